"""When SQLite is busy. The daemon writes all the time; a request must not fail because of it.

The rules every handler follows: read first and finish the read (materialise the rows: a
half-iterated SELECT keeps a snapshot open, and a write on that connection then fails at once
with "database is locked" whatever the busy timeout); write through `db.write_transaction()`
(BEGIN IMMEDIATE waits for the lock); keep each transaction short (one item). A write that still
meets SQLITE_BUSY is retried here a few times; a request that meets it even so is a 503 with
Retry-After (errors.py), never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import peewee as pw

log = logging.getLogger(__name__)

T = TypeVar("T")
DELAYS = (0.05, 0.2, 0.5, 1.0)  # seconds before each retry (beyond the 15 s busy timeout)


def is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, pw.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def retrying(work: Callable[[], T]) -> T:
    """`work()`, again after a pause each time SQLite answers busy; the last error is raised."""
    for delay in DELAYS:
        try:
            return work()
        except pw.OperationalError as exc:
            if not is_busy(exc):
                raise
            log.info("database busy (%s); trying again in %.2f s", exc, delay)
            time.sleep(delay)
    return work()
