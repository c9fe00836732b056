"""Months in minutes: what a daemon that runs without a restart forgets, so that the database
grows with the library and not with time or churn (metarrd/pipeline/housekeeping.py)."""

from __future__ import annotations

import datetime
import os
import signal
import threading
import time

import pytest

from metarrd import db
from metarrd.heartbeat import HEARTBEAT_KEY
from metarrd.pipeline import daemon, housekeeping, queue, steps
from metarrd.publish import publish_item
from metarrd.runtime import open_runtime
from tests.publish.conftest import build_enriched, image_bytes


def _ago(days: float) -> datetime.datetime:
    return db.now() - datetime.timedelta(days=days)


@pytest.fixture
def running_daemon(config_factory, monkeypatch):
    """`run(rt)` in this process, its health loop (and so its housekeeping) turning at once:
    yields a function that runs the daemon until `done()` is true (or 60 s have passed) and
    returns whether it was."""
    monkeypatch.setattr(daemon, "HEALTH_CHECK_SECONDS", 0.05)
    monkeypatch.setattr(housekeeping, "EVERY_SECONDS", 0.0)
    rt = open_runtime(config_factory())
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def run_until(after_ready, done) -> bool:
        seen: list[bool] = []

        def watch() -> None:
            deadline = time.monotonic() + 60
            while not db.Meta.select().where(db.Meta.key.startswith(HEARTBEAT_KEY)).exists():
                time.sleep(0.05)  # "ready": the first beat is written
            after_ready()
            while time.monotonic() < deadline and not done():
                time.sleep(0.05)
            seen.append(done())
            db.database.close()
            os.kill(os.getpid(), signal.SIGINT)  # the daemon's own handler stops it

        helper = threading.Thread(target=watch)
        helper.start()
        assert daemon.run(rt) == 0
        helper.join()
        return seen == [True]

    yield run_until
    for number, handler in handlers.items():
        signal.signal(number, handler)
    queue.configure(rt.config, immediate=True)
    rt.close()


def test_a_daemon_that_is_never_restarted_forgets_old_jobs(running_daemon):
    """The jobs were forgotten at the start only: a NAS's daemon that ran for a year kept every
    job of that year (five a Radarr upgrade, two a periodic rescan), and the Activity page's
    count of failures asked all of them."""
    old: list[int] = []
    recent: list[int] = []

    def add_jobs() -> None:  # after the start's clean-up: finished long ago, and just now
        for n in range(3):
            row = db.Job.create(kind="scan", key=f"scan:{n}", state="done", finished_at=_ago(31))
            old.append(row.id)
        recent.append(db.Job.create(kind="scan", key="x", state="done", finished_at=_ago(0)).id)

    forgotten = running_daemon(
        add_jobs, lambda: not db.Job.select().where(db.Job.id.in_(old)).exists()
    )
    assert forgotten, "old finished jobs stayed while the daemon ran"
    assert db.Job.select().where(db.Job.id.in_(recent)).count() == 1  # a recent one stays


def test_an_item_published_again_and_again_keeps_the_publishes_its_page_lists(
    config_factory,
):
    """Every publish added a `publish_log` row (3.5 KB of the paths written, removed and kept)
    for good, one with nothing to change too: a movie Radarr upgraded monthly for years kept
    all of them while its page lists 10. The row of the publish that copied the user's own
    poster into the cache stays, as it says where that file went."""
    rt = open_runtime(config_factory())
    try:
        built = build_enriched(rt)
        built.path(f"{built.base}-poster.jpg").write_bytes(image_bytes("poster", seed=7))
        first = publish_item(rt, built.movie)
        assert first.backed_up  # the user's poster, copied into the cache first
        P = db.PublishLog
        yours = P.select(P.id).where(P.movie == built.movie.id).scalar()
        for cycle in range(2 * housekeeping.PUBLISHES_KEPT + 5):
            db.Movie.update(plot=f"Edited, time {cycle}.").where(
                db.Movie.id == built.movie.id
            ).execute()
            publish_item(rt, built.reload())
            if cycle % 2:
                publish_item(rt, built.reload())  # nothing to change: a row all the same
            housekeeping.forget_old()
            rows = [r.id for r in P.select(P.id).where(P.movie == built.movie.id)]
            assert len(rows) <= housekeeping.PUBLISHES_KEPT + 1, cycle
        newest = [r.id for r in P.select(P.id).order_by(P.id.desc()).limit(10)]
        assert sorted(rows) == sorted([yours, *newest])
        assert "Edited, time 24." in built.path(f"{built.base}.nfo").read_text()
    finally:
        rt.close()


def test_events_are_kept_as_many_as_an_items_page_lists_and_the_users_work_for_good(
    config_factory,
):
    """Every scan, publish, webhook and player told added an event for good (eight a Radarr
    upgrade): the Activity page and each scan's "said once" look-ups read a table that grew
    with every upgrade. An item keeps the events its page lists, and the user's edits always:
    they are read as the user's work (an item with them is never merged into another)."""
    from metarrd.scan.renames import untouched

    rt = open_runtime(config_factory())
    try:
        built = build_enriched(rt)
        item = built.movie.id
        db.record_event("review.edited", "plot edited", movie=item, field="plot")
        db.record_event("identify.done", "identified", movie=item)
        E = db.Event
        for cycle in range(housekeeping.HISTORY_KEPT + 10):
            db.Movie.update(plot=f"Edited, time {cycle}.").where(db.Movie.id == item).execute()
            publish_item(rt, built.reload())  # its publish.done
            db.record_event("webhook.received", f"Radarr: Download ({cycle})")  # of no item
            E.update(created_at=_ago(housekeeping.EVENT_DAYS + 1)).where(
                E.kind == "webhook.received", E.message == f"Radarr: Download ({cycle - 1})"
            ).execute()  # a month passes between two upgrades
            housekeeping.forget_old()
            assert E.select().where(E.movie == item).count() <= housekeeping.HISTORY_KEPT + 2
            assert E.select().where(E.movie.is_null()).count() <= 2, cycle
        kinds = [e.kind for e in E.select().where(E.movie == item).order_by(E.id)]
        assert kinds[:2] == ["review.edited", "identify.done"]
        assert kinds[2:] == ["publish.done"] * housekeeping.HISTORY_KEPT
        assert not untouched(item)  # the user's edit is still theirs
    finally:
        rt.close()


def test_an_item_retried_at_every_scan_keeps_only_its_newest_identification_event(
    config_factory,
):
    """A scan tries again each item whose identification failed (TMDB down, a refused key):
    one `identify.failed` a day for months, kept for good as "identifications" were. What is
    read of them is the newest (the retry, `steps.identify_failed_in`) and that there was one
    (`steps.backlog`): an item keeps its newest identification event, the others go."""
    rt = open_runtime(config_factory())
    try:
        built = build_enriched(rt)
        item = built.movie.id
        E = db.Event
        for day in range(40):
            db.record_event("identify.failed", f"TMDB did not answer ({day})", movie=item)
        db.record_event("review.edited", "plot edited", movie=item, field="plot")
        housekeeping.forget_old()
        kinds = [(e.kind, e.message) for e in E.select().where(E.movie == item).order_by(E.id)]
        failed = [k for k in kinds if k[0].startswith("identify.")]
        assert failed == [("identify.failed", "TMDB did not answer (39)")]
        assert ("review.edited", "plot edited") in kinds
        assert steps.identify_failed_in([str(built.folder)]) == []  # enriched: not retried
    finally:
        rt.close()
