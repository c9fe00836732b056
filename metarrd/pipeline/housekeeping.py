"""What a daemon forgets as it runs, so that its database grows with the library, not with time.

A NAS runs `metarrd run` for months without a restart. Every job, event, publish and player
notification adds a row; without this, a library of a constant size made a database (and the
Activity page's and the scans' questions of it) that grew with every Radarr upgrade and every
periodic rescan, for good. `forget_old` runs at the daemon's start and every `EVERY_SECONDS`
while it runs (docs/daemon.md, "What the daemon forgets"):

- finished jobs older than `JOB_DAYS` (failed ones twice that: `jobs.prune`).
"""

from __future__ import annotations

import logging

from metarrd.pipeline import jobs

log = logging.getLogger(__name__)

EVERY_SECONDS = 6 * 3600.0  # how often a running daemon forgets
JOB_DAYS = 30.0


def forget_old() -> dict[str, int]:
    """Forget what is past keeping; returns how many rows of each table went."""
    return {"jobs": jobs.prune(JOB_DAYS)}


def run() -> None:
    """`forget_old`, said in the log; a failure (a busy or gone database) is logged and left
    for the next time: the daemon goes on."""
    try:
        gone = forget_old()
    except Exception:
        log.exception("forgetting old rows failed; tried again in %d h", EVERY_SECONDS // 3600)
        return
    said = ", ".join(f"{n} {what}" for what, n in gone.items() if n)
    if said:
        log.info("forgot what is past keeping: %s", said)
