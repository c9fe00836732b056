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

A held stream takes a worker thread for as long as it lasts, so a process holds at most
LIVE_MAX_STREAMS of them (gunicorn: per worker, fewer than its threads, so pages always find
one; metarrd/web/wsgi.py). A tab that finds every slot taken gets what is new at once and
`retry: LIVE_BUSY_RETRY_MS`: its browser asks again after that pause, so it still follows the
daemon, a few seconds late instead of within a second, and the pages keep answering.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import peewee as pw
from flask import Blueprint, Flask, Response, current_app, request

from metarrd import db
from metarrd.web.ids import parse_int

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)

BATCH = 500
# What the UI itself records (a user's edit): the page that made it has already swapped in the
# result, so these refresh small parts (rows, headers), not whole item pages under the user.
USER_KINDS = frozenset({"review.edited", "review.locked", "review.selected"})


def new_events(after: int, limit: int = BATCH) -> list[tuple[int, int | None, str]]:
    """(id, movie id, kind) of the events after cursor `after`, oldest first. An event of a
    season or an episode comes once more for its show (same id): the show changed with it (an
    episode's edit turns it "Republish?"), so its card and header follow."""
    E, M = db.Event, db.Movie
    query = (
        E.select(E.id, E.movie, E.kind, M.show)
        .join(M, pw.JOIN.LEFT_OUTER, on=(E.movie == M.id))
        .where(E.id > after)
        .order_by(E.id)
        .limit(limit)
    )
    with db.database.connection_context():
        rows = list(query.tuples())
    out: list[tuple[int, int | None, str]] = []
    for event_id, movie_id, kind, show_id in rows:
        out.append((event_id, movie_id, kind))
        if show_id is not None:
            out.append((event_id, show_id, kind))
    return out


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
    count = len({event_id for event_id, _movie, _kind in events})
    out.append(f"id: {events[-1][0]}\nevent: activity\ndata: {count}\n\n")
    return "".join(out)


def stream(
    after: int,
    *,
    poll: float,
    max_seconds: float,
    heartbeat: float,
    stopping: threading.Event | None = None,
) -> Iterator[str]:
    """The held stream; it ends after `max_seconds`, as soon as `stopping` is set (the server
    shuts down), or when the database stops answering (the browser reconnects either way)."""
    stopping = stopping or threading.Event()
    yield "retry: 1000\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < max_seconds and not stopping.is_set():
        try:
            events = new_events(after)
        except pw.DatabaseError as exc:
            if not stopping.is_set():
                log.warning("live: the database does not answer (%s); the stream ends", exc)
            return
        if events:
            after = events[-1][0]
            yield messages(events)
            last_sent = time.monotonic()
            if len(events) >= BATCH:
                continue  # more are waiting
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        stopping.wait(poll)


def _cursor() -> int:
    for value in (request.headers.get("Last-Event-ID"), request.args.get("after")):
        cursor = parse_int(value)
        if cursor is not None:
            return cursor
    with db.database.connection_context():
        return db.Event.select(pw.fn.MAX(db.Event.id)).scalar() or 0


class Slots:
    """How many held streams this process may have; `take()` is False when all are taken."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.held >= self.limit:
                return False
            self.held += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.held = max(0, self.held - 1)


def _slots() -> Slots:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = app.extensions.get("metarrd.live_slots")
    if slots is None or slots.limit != app.config["LIVE_MAX_STREAMS"]:
        slots = app.extensions["metarrd.live_slots"] = Slots(app.config["LIVE_MAX_STREAMS"])
    return slots


def _stopping() -> threading.Event:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault("metarrd.live_stopping", threading.Event())


def stop_streams(app: Flask, timeout: float = 5.0) -> bool:
    """Shutting down: end every held stream (each within one poll) and wait until they have
    given their slots back, so none still reads the database while it closes or goes away.
    True when all ended in time."""
    app.extensions.setdefault("metarrd.live_stopping", threading.Event()).set()
    slots = app.extensions.get("metarrd.live_slots")
    deadline = time.monotonic() + timeout
    while slots is not None and slots.held and time.monotonic() < deadline:
        time.sleep(0.05)
    return slots is None or not slots.held


def catch_up(after: int, retry_ms: int) -> Iterator[str]:
    """The answer when every slot is taken: what is new, then the pause before the next ask."""
    yield f"retry: {retry_ms}\n\n"
    events = new_events(after)
    if events:
        yield messages(events)


# What a browser says of the page that asked (Fetch Metadata): the UI's own EventSource is
# `same-origin`, the address typed in the bar `none`. Another site's page (any other port of
# this host is `same-site`) could hold every stream slot of a password-less loopback UI with a
# few `<img src="http://127.0.0.1:8787/live">`, and the tabs would fall back to polling.
OWN_PAGES = frozenset({"same-origin", "none"})


@bp.get("/live")
def live():
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in OWN_PAGES:
        log.info("live: refused a stream asked by another site's page (%s)", site[:40])
        return Response("the live stream is for this UI's own pages\n", 403, mimetype="text/plain")
    cfg = current_app.config
    slots = _slots()
    after = _cursor()
    if slots.take():
        body = stream(
            after,
            poll=cfg["LIVE_POLL_SECONDS"],
            max_seconds=cfg["LIVE_MAX_SECONDS"],
            heartbeat=cfg["LIVE_HEARTBEAT_SECONDS"],
            stopping=_stopping(),
        )
        response = Response(body, mimetype="text/event-stream")
        response.call_on_close(slots.give_back)  # however the stream ends (or never starts)
    else:
        log.debug("live: all %d streams of this process are held; a short answer", slots.limit)
        body = catch_up(after, cfg["LIVE_BUSY_RETRY_MS"])
        response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each message through at once
    return response
