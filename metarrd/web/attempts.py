"""Attempts at a secret (the admin password, the webhook token), counted per client in the
database (`login_failures`, one row per attempt keyed `<scope> <client>`), so that every gunicorn
worker and a restart see the same count.

An attempt is recorded *before* its secret is checked, in the same write transaction that counts
the earlier ones (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL: `db.write_transaction`).
Parallel guesses therefore cannot all pass the count while the first ones are still being checked
(a password check takes a slow scrypt): at most `per_client` checks run per window, whatever the
number of workers and threads. A correct secret takes its own attempt back (`forgive`), so only
the wrong ones keep counting; an attempt whose check never finished counts as wrong.

A second line holds against many clients at once (a botnet, or the many /64 networks of one IPv6
allocation): past `overall` attempts from every client together within the window, one attempt
is counted every `overall_every` seconds, whoever makes it. That slows everybody rather than
locking everybody out, so no single client can lock the others out.

A refused attempt is not recorded: a client that keeps trying while locked out does not stretch
its lockout, which ends `window` seconds after its oldest counted attempt. Nor is it logged each
time (`logged_refusal`): it costs its sender nothing, so a botnet sends thousands a second, and
one log line each drowned the journal (journald drops a service's lines past its rate limit,
the daemon's own with them). One line per kind of refusal every LOG_EVERY seconds, per process,
says how many were left unsaid.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from peewee import fn

from metarrd import db


@dataclass(frozen=True)
class Limit:
    scope: str  # what is guessed: "login", "webhook"
    per_client: int  # attempts counted per client within `window`
    window: float  # seconds
    overall: int = 0  # attempts from every client together within `window` (0: no cap) ...
    overall_every: float = 0.0  # ... past which one attempt is counted per this many seconds


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds until an attempt would be counted again
    overall: bool = False  # refused by the cap over every client, not the client's own count


def _key(limit: Limit, client: str) -> str:
    return f"{limit.scope} {client}"[:255]


def reserve(limit: Limit, client: str) -> int | Refusal:
    """Record an attempt by `client` and return its id, or a Refusal when `client` already has
    `limit.per_client` attempts in the window, or every client together is past the overall cap
    and the last attempt is recent. Count and record are one write transaction. Times are the
    wall clock's (the rows are shared by the web's workers and hosts); one that went back makes
    the attempts recorded before it count as made now."""
    F = db.LoginFailure
    key = _key(limit, client)
    now = time.time()
    since = now - limit.window
    with db.write_transaction():
        # an attempt recorded later than now was made before the clock went back (NTP set a
        # board's clock, that had run ahead, back by hours): it counts as made now, so that a
        # refusal lasts at most the window, not the window and the hours the clock went back
        F.update(at=now).where(F.at > now).execute()
        F.delete().where(F.at < since).execute()
        mine = F.select(F.at).where(F.addr == key, F.at >= since).order_by(F.at)
        recent = [row.at for row in mine]
        if len(recent) >= limit.per_client:
            oldest = recent[len(recent) - limit.per_client]
            return Refusal(_seconds(oldest + limit.window - now))
        if limit.overall:
            everyone = F.select().where(F.addr.startswith(f"{limit.scope} "), F.at >= since)
            if everyone.count() >= limit.overall:
                latest = everyone.select(fn.MAX(F.at)).scalar()
                if latest is not None and latest > now - limit.overall_every:
                    return Refusal(_seconds(latest + limit.overall_every - now), overall=True)
        return F.create(addr=key, at=now).id


def _seconds(delay: float) -> int:
    return max(1, math.ceil(delay))


def forgive(attempt: int) -> None:
    """The secret was right: this attempt does not count."""
    with db.write_transaction():
        db.LoginFailure.delete().where(db.LoginFailure.id == attempt).execute()


LOG_EVERY = 60.0  # seconds between two log lines of one kind of refusal (per process)
clock = time.monotonic  # what LOG_EVERY is counted in (a test's own)
_said: dict[str, tuple[float, int]] = {}  # kind -> (when its last line was written, left unsaid)
_said_lock = threading.Lock()


def logged_refusal(kind: str) -> str | None:
    """Whether this refusal of `kind` gets its log line: None when a line of its kind was
    written within LOG_EVERY seconds (it is counted instead), else what the line adds: "" or
    " (and 1234 more since the last line)"."""
    now = clock()
    with _said_lock:
        last, unsaid = _said.get(kind, (-math.inf, 0))
        if now - last < LOG_EVERY:
            _said[kind] = (last, unsaid + 1)
            return None
        _said[kind] = (now, 0)
    return f" (and {unsaid} more since the last line)" if unsaid else ""
