"""`GET /healthz`: 200 with a small JSON body when the database and the job queue answer and the
daemon's watcher and job workers are alive, 503 when one is not (for systemd watchdogs, load
balancers and the demo's start-up wait). The daemon (`metarrd run`, often another process)
records a heartbeat in the database every few seconds; no heartbeat at all means no daemon runs
(the web app alone): "not running", which is not a failure."""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing

from flask import Blueprint, current_app

from metarrd import cache, db
from metarrd.heartbeat import HEARTBEAT_KEY, heartbeat_checks
from metarrd.web import auth

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        version = db.schema_version()
        db.Movie.select(db.Movie.id).limit(1).execute()
        return f"ok (schema {version})"
    except Exception as exc:  # noqa: BLE001 - any failure is "not reachable"
        log.warning("healthz: database: %s", exc)
        return "error"


def _queue() -> str:
    """The Huey queue the daemon consumes: Redis, or a SQLite file created by whichever process
    opens it first."""
    config = current_app.config["METARRD"]
    if config.uses_redis:
        return _redis_queue(config)
    path = config.queue_path
    if not path.exists():
        return "ok (not created yet)"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return "ok"
    except sqlite3.Error as exc:
        log.warning("healthz: queue %s: %s", path, exc)
        return "error"


def _redis_queue(config) -> str:
    """A Redis queue (`[queue] url`): "ok (N messages)" when it answers. Messages are not jobs
    (a job may have several, a done one's stays until a worker drops it): `_jobs_queued`
    counts those."""
    try:
        from redis import Redis

        client = Redis.from_url(config.queue.url, socket_timeout=2, socket_connect_timeout=2)
        try:
            waiting = client.llen(f"huey.redis.{config.queue.name}")
        finally:
            client.close()
        return f"ok ({waiting} messages)"
    except Exception as exc:  # noqa: BLE001 - any failure is "not reachable"
        log.warning("healthz: queue %s: %s", config.queue.name, type(exc).__name__)
        return "error"


def _jobs_queued() -> int | None:
    """Jobs waiting to run (queued; a retry waiting for its time too), from the jobs table: the
    same number on SQLite and Redis. None when the database does not answer."""
    try:
        return db.Job.select().where(db.Job.state == "queued").count()
    except Exception:  # noqa: BLE001 - the database check says what is wrong
        return None


def _daemon() -> dict[str, str]:
    try:
        raw = db.get_meta(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001 - the database check says what is wrong
        log.warning("healthz: daemon heartbeat: %s", exc)
        raw = None
    return heartbeat_checks(raw, time.time())


def _disk() -> str:
    """ "ok", or "full since <UTC time>: <what failed>" while a write found the disk full (another
    host's, on a shared database: "full on <host> since …", each joined by "; "). It does
    not make /healthz fail: reads still work and a restart would not free any space. What failed
    names a file (a cache path, a library folder): only for those who may see the UI, never for
    anyone on the network nor a page under any host name, which /healthz answers too."""
    notes = db.disk_full_notes(current_app.config["METARRD"].data_path)
    if not notes:
        return "ok"
    named = _may_see_ui()
    said = []
    for host, since, what in notes:  # another host's: its name (a worker's disk, or a shared one)
        on = f" on {host}" if host and named else ""  # the names of the hosts: not for anyone
        shown = f"full{on} since {since:%Y-%m-%d %H:%M:%S} UTC"
        said.append(f"{shown}: {what}" if named else shown)
    return "; ".join(said)


def _may_see_ui() -> bool:
    try:
        return not auth.login_required() or auth.is_logged_in()
    except Exception:  # noqa: BLE001 - the database check says what is wrong
        return False


def _cache() -> str:
    """ "ok", or why the image cache's pictures are not shown (`[cache] dir` on a hung network
    mount). Not a failure either: a restart would not bring the mount back."""
    if cache.unanswered(current_app.config["METARRD"].cache_dir):
        return "does not answer (a hung network mount?)"
    return "ok"


@bp.get("/healthz")
def healthz():
    checks = {"database": _database(), "queue": _queue(), **_daemon()}
    ok = all(v.startswith(("ok", "not running")) for v in checks.values())
    body = {"ok": ok, **checks, "jobs_queued": _jobs_queued(), "disk": _disk(), "cache": _cache()}
    return body, 200 if ok else 503
