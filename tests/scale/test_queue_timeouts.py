"""The Redis queue's client: explicit timeouts (redis-py before 8 has none by default, so a Redis
host that stops answering, a network partition or a paused VM, hung an enqueue for good), and
how its URL reads in the log. Needs no services: a loopback socket stands in for a hung Redis."""

from __future__ import annotations

import socket
import threading

import pytest

from metarrd.pipeline import queue


@pytest.mark.parametrize(
    ("url", "said"),
    [
        # redis-py's documented forms (redis.readthedocs.io, ConnectionPool.from_url)
        ("unix:///run/redis/redis.sock?db=0", "unix:///run/redis/redis.sock?db=0"),
        ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock"),
        (
            "unix://:s3cret@/run/redis/redis.sock?db=2&password=s3cret",
            "unix:///run/redis/redis.sock?db=2",
        ),
        ("redis://:s3cret@db.lan:6380/1", "redis://db.lan:6380/1"),
        ("rediss://user:s3cret@db.lan/0", "rediss://db.lan:6379/0"),
    ],
)
def test_a_queue_url_reads_as_its_host_or_socket_without_its_password(config_factory, url, said):
    # a unix socket's URL read "unix://None:6379/run/redis/redis.sock" in the log
    config = config_factory(queue={"url": url, "name": "metarrd"})
    assert queue._describe(config) == f"{said} (metarrd)"


def test_the_queue_pool_has_explicit_timeouts(config_factory):
    config = config_factory(queue={"url": "redis://127.0.0.1:6379/0"})
    queue.configure(config)  # builds the client; connects only on the first command
    try:
        kwargs = queue.huey.storage.pool.connection_kwargs
    finally:
        queue.configure(config, immediate=True)
    assert kwargs["socket_timeout"] == queue.REDIS_TIMEOUT
    assert kwargs["socket_connect_timeout"] == queue.REDIS_TIMEOUT
    assert kwargs["health_check_interval"] == queue.REDIS_HEALTH_CHECK_SECONDS
    assert queue.REDIS_TIMEOUT > 1  # huey's blocking read (BRPOP, 1 s) must not time out


def test_a_unix_socket_queue_pool_has_a_read_timeout():
    kwargs = queue.redis_pool("unix:///run/redis/redis.sock?db=0").connection_kwargs
    assert kwargs["socket_timeout"] == queue.REDIS_TIMEOUT
    assert kwargs["path"] == "/run/redis/redis.sock"


@pytest.fixture
def silent_redis():
    """A "Redis" on 127.0.0.1 that accepts and reads every command but never answers (a
    paused VM's kernel still completes the TCP handshake)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)  # read by nobody, answered never

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_an_enqueue_to_a_redis_that_never_answers_fails_instead_of_hanging(
    config_factory, silent_redis, monkeypatch, finishes
):
    monkeypatch.setattr(queue, "REDIS_TIMEOUT", 0.5, raising=False)
    config = config_factory(queue={"url": silent_redis})
    queue.configure(config)
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - checked below
            finishes(lambda: queue.huey.storage.enqueue(b"run job 1"), seconds=30)
    finally:
        queue.configure(config, immediate=True)
    from redis.exceptions import TimeoutError as RedisTimeout

    assert isinstance(caught.value, RedisTimeout), caught.value
    assert queue.refused(caught.value)  # the job's message is sent again within a lease
