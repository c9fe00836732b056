"""The daemon's heartbeat in the database: `metarrd run` writes it every `HEALTH_CHECK_SECONDS`
(pipeline/daemon.py, `beat`), `/healthz` (web/health.py) and the CLI read it, often in another
process. Its key and its reading are the kit's, so the web reads it without importing the
daemon."""

from __future__ import annotations

import json
import logging
import socket

from metarrd import db

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 10.0  # how often the daemon checks its threads and beats
HEARTBEAT_KEY = "daemon.heartbeat"  # role `all`; a split role beats under `<key>.<role>@<host>`
STALE_AFTER_SECONDS = 3 * HEALTH_CHECK_SECONDS + 5


def heartbeat_key(role: str) -> str:
    return HEARTBEAT_KEY if role == "all" else f"{HEARTBEAT_KEY}.{role}@{socket.gethostname()}"


def write_heartbeat(state: dict, role: str = "all") -> None:
    try:
        db.set_meta(heartbeat_key(role), json.dumps(state))
    except Exception as exc:  # a busy database must not stop the daemon
        log.warning("cannot record the daemon's heartbeat: %s", exc)


def heartbeat_checks(raw: str | None, now: float) -> dict[str, str]:
    """`/healthz`'s view of the daemon from its heartbeat: {"watcher": …, "consumer": …}, each
    "ok …", "not running …" (no daemon: the web app alone) or "error (…)"."""
    if not raw:
        return {"watcher": "not running", "consumer": "not running"}
    try:
        state = json.loads(raw)
        age = now - float(state["at"])
    except (ValueError, KeyError, TypeError):
        return {
            "watcher": "error (unreadable heartbeat)",
            "consumer": "error (unreadable heartbeat)",
        }
    if state.get("stopped"):
        return {"watcher": "not running (stopped)", "consumer": "not running (stopped)"}
    if age > STALE_AFTER_SECONDS:
        stale = f"error (no heartbeat from the daemon, pid {state.get('pid')}, for {age:.0f} s)"
        return {"watcher": stale, "consumer": stale}
    bad = {name: s for name, s in (state.get("watcher") or {}).items() if s != "ok"}
    if bad:
        watcher = "error (" + "; ".join(f"{name}: {s}" for name, s in sorted(bad.items())) + ")"
    else:
        watcher = f"ok ({len(state.get('watcher') or {})} threads)"
        if state.get("watcher_restarts"):
            watcher = watcher[:-1] + f", restarted {state['watcher_restarts']} times)"
    c = state.get("consumer") or {}
    if c.get("alive", 0) < c.get("workers", 1) or not c.get("scheduler", False):
        consumer = (
            f"error ({c.get('alive', 0)} of {c.get('workers', '?')} workers alive"
            + ("" if c.get("scheduler") else ", scheduler dead")
            + ")"
        )
    else:
        consumer = f"ok ({c['workers']} workers)"
    return {"watcher": watcher, "consumer": consumer}
