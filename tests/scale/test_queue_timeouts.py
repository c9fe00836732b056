"""The Redis queue: how its URL reads in the log."""

from __future__ import annotations

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
