"""Work in progress as the navigation and the activity page show it: running and queued counts,
bulk batches ("Enrich: 7 of 16"), an enrich's candidates analysed so far, and whether retrying a
failure can help. Reads only."""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from typing import Any

import peewee as pw

from metarrd import db
from metarrd.web.formatting import BULK_ACTIONS, JOB_KINDS

BATCH_HOURS = 12  # bulk batches older than this are not followed any more
FINISHED = ("done", "failed")


@dataclass(frozen=True)
class Batch:
    action: str
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def running(self) -> bool:
        return self.finished < self.total

    @property
    def label(self) -> str:
        return BULK_ACTIONS.get(self.action) or JOB_KINDS.get(self.action, self.action.capitalize())


@dataclass(frozen=True)
class Summary:
    running: int
    queued: int
    batches: list[Batch]

    @property
    def busy(self) -> bool:
        return bool(self.running or self.queued)


def batches(limit: int = 5) -> list[Batch]:
    """The recent bulk actions still at work, newest first (two statements)."""
    E, J = db.Event, db.Job
    since = db.now() - _dt.timedelta(hours=BATCH_HOURS)
    events = list(
        E.select(E.data)
        .where(E.kind == "bulk.queued", E.created_at >= since)
        .order_by(E.id.desc())
        .limit(limit)
    )
    wanted = {int(i) for e in events for i in (e.data or {}).get("jobs", [])}
    if not wanted:
        return []
    states = dict(J.select(J.id, J.state).where(J.id.in_(list(wanted))).tuples())
    out = []
    for e in events:
        ids = [int(i) for i in (e.data or {}).get("jobs", [])]
        done = sum(states.get(i) == "done" for i in ids)
        failed = sum(states.get(i) == "failed" for i in ids)
        gone = sum(i not in states for i in ids)  # pruned: finished long ago
        batch = Batch(str((e.data or {}).get("action", "work")), len(ids), done + gone, failed)
        if batch.running:
            out.append(batch)
    return out


def summary() -> Summary:
    """Jobs running and queued. A retry due later (an episode TMDB does not list yet, a picture
    that could not be had) is no work going on, as on the item's header (`queries.active_jobs`):
    the navigation said "0 running · 1 queued" with a spinner for the hour a daily show's
    episode waits."""
    counts = job_counts(("queued", "running"))
    return Summary(counts.get("running", 0), counts.get("queued", 0), batches())


def job_counts(states: tuple[str, ...] | None = None) -> dict[str, int]:
    """Jobs by state (those of `states`, or all), the queued ones due later apart under
    "later", not in "queued". One statement: the payloads of the jobs that have a due time,
    the others counted; the activity page took "later" as the queued count less the
    navigation's, read apart, and a job queued or started between the two showed "-1 due
    later"."""
    J = db.Job
    with_due = pw.Case(None, [(has_due(), J.payload)], None)
    counts = {"later": 0}
    now = time.time()
    query = J.select(J.state, with_due, pw.fn.COUNT(J.id))
    if states is not None:
        query = query.where(J.state.in_(states))
    for state, payload, n in query.group_by(J.state, with_due).tuples():
        if state == "queued" and payload and due(payload) > now:
            state = "later"
        counts[state] = counts.get(state, 0) + n
    return counts


def has_due() -> pw.Expression:
    """Whether a job's payload holds a due time (a retry's), as SQL on SQLite and PostgreSQL."""
    return pw.Expression(db.Job.payload, pw.OP.ILIKE, pw.Value('%"due"%', converter=False))


def due(payload: Any) -> float:
    """A job payload's due time (0 when it has none or cannot be read)."""
    try:
        data = payload if isinstance(payload, dict) else json.loads(payload)
        return float(data.get("due") or 0)
    except (TypeError, ValueError, AttributeError):
        return 0.0


def enrich_progress(movie_ids: list[int]) -> dict[int, tuple[int, int]]:
    """movie id -> (candidates analysed, candidates) for the items being enriched."""
    if not movie_ids:
        return {}
    A = db.ArtworkCandidate
    analysed = pw.fn.SUM(pw.Case(None, [((A.analyzed | A.rejected_reason.is_null(False)), 1)], 0))
    query = (
        A.select(A.movie, analysed, pw.fn.COUNT(A.id))
        .where(A.movie.in_(movie_ids))
        .group_by(A.movie)
    )
    return {movie: (int(n or 0), int(total)) for movie, n, total in query.tuples()}


def retry_helps(job: Any) -> bool:
    """Whether running the same work again can succeed: not for an id the provider does not
    know (choose another), a switched-off stage or a missing file (fix that first)."""
    error = (job.error or job.message or "").lower()
    payload = job.payload or {}
    if "gave up after" in error or error.startswith("internal error"):
        return True
    if job.kind == "identify" and (payload.get("tmdb_id") or payload.get("imdb_id")):
        return False  # the same id gives the same answer
    return not any(
        words in error
        for words in ("switched off", "not found", "no movie", "is missing", "does not exist")
    )
