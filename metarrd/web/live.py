"""Live updates: a server-sent event stream fed by the `events` table.

The daemon and the web are separate processes; the database is what they share. Every open page
holds one `EventSource` on `/live`. The stream polls for events newer than its cursor (an event
id; `?after=N` from the page, or the browser's `Last-Event-ID` when it reconnects) and sends, per
batch, one `movie-<id>` message for every item that changed (`movie-<id>-data` too when it was not
just the user's own edit) and one `activity` message. Page elements that show an item listen with
`hx-trigger="sse:movie-<id>"` (rows, headers) or `sse:movie-<id>-data` (the whole item page) and
fetch themselves again.

A stream ends after LIVE_MAX_SECONDS (the browser reconnects at once and resumes from its last
event id), sends a comment line every LIVE_HEARTBEAT_SECONDS (so a closed tab frees its thread),
and holds no database connection while it sleeps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import peewee as pw
from flask import Blueprint, Response, current_app, request

from metarrd import db
from metarrd.web.ids import parse_int

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)

BATCH = 500
# What the UI itself records (a user's edit): the page that made it has already swapped in the
# result, so these refresh small parts (rows, headers), not whole item pages under the user.
USER_KINDS = frozenset({"field.edited", "field.lock", "artwork.selected", "artwork.lock"})


def new_events(after: int, limit: int = BATCH) -> list[tuple[int, int | None, str]]:
    """(id, movie id, kind) of the events after cursor `after`, oldest first."""
    E = db.Event
    query = E.select(E.id, E.movie, E.kind).where(E.id > after).order_by(E.id).limit(limit)
    with db.database.connection_context():
        return list(query.tuples())


def messages(events: list[tuple[int, int | None, str]]) -> str:
    """Per changed item `movie-<id>`, and `movie-<id>-data` when something other than the user's
    own edits changed it (the daemon's work); then `activity` carrying the new cursor as its id."""
    kinds: dict[int, list[str]] = {}
    for _id, movie_id, kind in events:
        if movie_id is not None:
            kinds.setdefault(movie_id, [])
            if kind not in kinds[movie_id]:
                kinds[movie_id].append(kind)
    out = []
    for mid, k in kinds.items():
        out.append(f"event: movie-{mid}\ndata: {' '.join(k)}\n\n")
        if set(k) - USER_KINDS:
            out.append(f"event: movie-{mid}-data\ndata: {' '.join(k)}\n\n")
    if any(kind.startswith("scan.") for _id, _movie, kind in events):
        out.append("event: library\ndata: scan\n\n")  # items may have come or gone
    out.append(f"id: {events[-1][0]}\nevent: activity\ndata: {len(events)}\n\n")
    return "".join(out)


def stream(after: int, *, poll: float, max_seconds: float, heartbeat: float) -> Iterator[str]:
    yield "retry: 1000\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < max_seconds:
        events = new_events(after)
        if events:
            after = events[-1][0]
            yield messages(events)
            last_sent = time.monotonic()
            if len(events) == BATCH:
                continue  # more are waiting
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        time.sleep(poll)


def _cursor() -> int:
    for value in (request.headers.get("Last-Event-ID"), request.args.get("after")):
        cursor = parse_int(value)
        if cursor is not None:
            return cursor
    with db.database.connection_context():
        return db.Event.select(pw.fn.MAX(db.Event.id)).scalar() or 0


@bp.get("/live")
def live():
    cfg = current_app.config
    body = stream(
        _cursor(),
        poll=cfg["LIVE_POLL_SECONDS"],
        max_seconds=cfg["LIVE_MAX_SECONDS"],
        heartbeat=cfg["LIVE_HEARTBEAT_SECONDS"],
    )
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each message through at once
    return response
