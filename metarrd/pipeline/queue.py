"""The one Huey object. Tasks (metarrd/jobs.py) import it; `configure(config)` points it at
`<data_dir>/queue.db` (SQLite, the default) or at Redis (`[queue] url`, Huey's RedisStorage: the
web UI, watchers and workers on several hosts share it) before anything is enqueued or consumed.

Until configured the object is in immediate mode on an in-memory store, so importing the task
module never creates a file. Tests call `configure(config, immediate=True)`: every enqueued task
then runs synchronously in the caller, which is how huey's own documentation tests tasks.

The queue only carries "run job N" messages; the truth about work (state, payload, progress,
de-duplication) lives in the `jobs` table of the main database, so a lost message is recovered
from there at daemon start.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huey import SqliteHuey
from huey.storage import SqliteStorage

from metarrd.config import Config

log = logging.getLogger(__name__)

huey = SqliteHuey("metarrd", immediate=True, results=False, utc=True)

_lock = threading.Lock()
_configured: dict[str, object] = {"path": None, "immediate": True, "config": None}


def configure(config: Config, *, immediate: bool = False) -> SqliteHuey:
    """Point the Huey object at the configured queue (or immediate mode). Idempotent."""
    where = f"{config.queue.url}#{config.queue.name}" if config.uses_redis else config.queue_path
    with _lock:
        _configured["config"] = config
        if _configured["path"] == str(where) and _configured["immediate"] == immediate:
            return huey
        huey.name = config.queue.name
        if immediate:
            huey.immediate = True
            huey.storage = huey.create_storage()  # a fresh in-memory store per configuration
        else:
            if config.uses_redis:
                from huey.storage import RedisStorage

                huey.storage_class = RedisStorage
                huey.storage_kwargs = {"connection_pool": redis_pool(config.queue.url)}
            else:
                path = Path(config.queue_path)
                path.parent.mkdir(parents=True, exist_ok=True)
                huey.storage_class = SqliteStorage
                huey.storage_kwargs = {"filename": str(path), "timeout": 15}
            huey._immediate = False  # the setter would build storage from the old kwargs
            huey.storage = huey.create_storage()
        _configured.update(path=str(where), immediate=immediate)
        log.debug("job queue at %s%s", _describe(config), " (immediate mode)" if immediate else "")
    return huey


# Seconds a Redis command or connect may take. redis-py before 8 waits forever by default: a
# Redis host that stops answering (a network partition, a paused VM) hung a web request's or the
# daemon's enqueue for good. Above huey's 1 s blocking read (BRPOP), which must not time out.
REDIS_TIMEOUT = 10.0
REDIS_HEALTH_CHECK_SECONDS = 30  # a pooled connection idle this long is PINGed before use


def redis_pool(url: str):
    """The connection pool of the Redis queue at `url`, with explicit timeouts whatever the
    redis-py version (huey's own `url=` builds one with redis-py's defaults)."""
    from urllib.parse import urlsplit

    from redis import ConnectionPool

    kwargs: dict[str, object] = {
        "socket_timeout": REDIS_TIMEOUT,
        "health_check_interval": REDIS_HEALTH_CHECK_SECONDS,
    }
    if urlsplit(url).scheme != "unix":  # redis-py < 5's unix socket connection has no such option
        kwargs["socket_connect_timeout"] = REDIS_TIMEOUT
    return ConnectionPool.from_url(url, **kwargs)


def _describe(config: Config) -> str:
    if not config.uses_redis:
        return str(config.queue_path)
    return f"{describe_redis_url(config.queue.url)} ({config.queue.name})"


def describe_redis_url(url: str) -> str:
    """`url` for a log line, without its user name or password: "redis://host:6379/0", or a
    unix socket's path ("unix:///run/redis/redis.sock?db=0", which read "unix://None:6379")."""
    from urllib.parse import parse_qs, urlsplit

    u = urlsplit(url)
    if u.scheme == "unix":  # its password, if any, is in the query: only the db is said
        db = parse_qs(u.query).get("db")
        return f"unix://{u.path}" + (f"?db={db[0]}" if db else "")
    return f"{u.scheme}://{u.hostname}:{u.port or 6379}{u.path}"


def ensure_configured(config: Config) -> SqliteHuey:
    """Configure for `config` unless this process already did (e.g. the web app factory)."""
    return huey if is_configured() else configure(config)


def is_configured() -> bool:
    return _configured["path"] is not None


def current_config() -> Config | None:
    """The configuration the queue was configured with (None before `configure`)."""
    return _configured["config"]  # type: ignore[return-value]


def pending_messages() -> int:
    """Messages waiting in the queue (not counting scheduled retries)."""
    return huey.pending_count()


def message_job_ids(limit: int | None = None, *, soon: float = 0.0) -> set[int] | None:
    """The jobs that have a message waiting, in the queue or in the schedule (a delay, a
    retry): every "run job N" message's N. With `limit`, of the queue's `limit` oldest
    messages and the schedule's `limit` soonest only, and None when that may leave out some
    of the queue, or of the schedule's messages due within `soon` seconds."""
    pending, scheduled = huey.pending(limit), huey.scheduled(limit)
    if limit is not None and len(pending) >= limit:
        return None
    if limit is not None and len(scheduled) >= limit:
        horizon = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=soon)
        if scheduled[-1].eta is None or scheduled[-1].eta <= horizon:
            return None
    return {task.args[0] for task in [*pending, *scheduled] if task.args}


REFUSED = "the job queue refused its message (it is sent again within a lease)"


def refused(exc: BaseException) -> bool:
    """Is `exc` Redis not taking a message (out of memory, down, a read-only replica)?"""
    try:
        from redis.exceptions import RedisError
    except ImportError:  # no Redis queue without it
        return False
    return isinstance(exc, RedisError)


def bring_schedule_forward(seconds: float, now: float, threshold: float) -> int:
    """Every scheduled message due at `threshold` or later (time.time()s) `seconds` sooner, not
    before `now`: the wall clock went back by that much (`jobs.bring_forward`). The schedule
    is taken out and put back, those with their new time; one lost between the two (the
    process killed) leaves its job without a message, which the look for stranded jobs sends
    again. Returns how many were moved."""

    def utc(moment: float) -> datetime:
        return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)

    floor, old = utc(now), utc(threshold)
    tasks = huey.read_schedule(floor + timedelta(days=3650) + timedelta(seconds=seconds))
    moved = 0
    for task in tasks:
        if task.eta is not None and task.eta >= old:
            task.eta = max(floor, task.eta - timedelta(seconds=seconds))
            moved += 1
        huey.add_schedule(task)
    return moved


def flush() -> None:
    """Drop every message and scheduled retry; the jobs table is re-read afterwards."""
    huey.storage.flush_queue()
    huey.storage.flush_schedule()
