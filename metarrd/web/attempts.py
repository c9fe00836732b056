"""Attempts at a secret (the admin password), counted per client in the database
(`login_failures`), so that every gunicorn worker and a restart see the same count.

An attempt is recorded *before* its secret is checked, in the same write transaction that counts
the earlier ones (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL: `db.write_transaction`).
Parallel guesses therefore cannot all pass the count while the first ones are still being checked
(a password check takes a slow scrypt): at most `per_client` checks run per window, whatever the
number of workers and threads. A correct secret takes its own attempt back (`forgive`), so only
the wrong ones keep counting; an attempt whose check never finished counts as wrong.

A refused attempt is not recorded: a client that keeps trying while locked out does not stretch
its lockout, which ends `window` seconds after its oldest counted attempt.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from metarrd import db


@dataclass(frozen=True)
class Limit:
    scope: str  # what is guessed: "login"
    per_client: int  # attempts counted per client within `window`
    window: float  # seconds


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds until an attempt would be counted again


def _key(limit: Limit, client: str) -> str:
    return f"{limit.scope} {client}"[:255]


def reserve(limit: Limit, client: str) -> int | Refusal:
    """Record an attempt by `client` and return its id, or a Refusal when `client` already has
    `limit.per_client` attempts in the window. Count and record are one write transaction."""
    F = db.LoginFailure
    key = _key(limit, client)
    now = time.time()
    since = now - limit.window
    with db.write_transaction():
        F.delete().where(F.at < since).execute()
        mine = F.select(F.at).where(F.addr == key, F.at >= since).order_by(F.at)
        recent = [row.at for row in mine]
        if len(recent) >= limit.per_client:
            oldest = recent[len(recent) - limit.per_client]
            return Refusal(max(1, math.ceil(oldest + limit.window - now)))
        return F.create(addr=key, at=now).id


def forgive(attempt: int) -> None:
    """The secret was right: this attempt does not count."""
    with db.write_transaction():
        db.LoginFailure.delete().where(db.LoginFailure.id == attempt).execute()
