"""The daemon's publish jobs queued together run as one batch (`jobs._claim_publishes`,
`steps.publish_jobs`): one `publish_many`, each job's row and events as if it had run alone."""

from __future__ import annotations

import time

import metarrd.publish
from metarrd import db
from metarrd.pipeline import jobs, queue


def _queued(movie_id: int, **payload) -> db.Job:
    """A publish job row whose message has not come yet (a busy worker's backlog)."""
    with db.write_transaction():
        job, _send = jobs._queue_row("publish", movie_id, payload, manual=True)
    return job


def test_publish_jobs_queued_together_run_as_one_batch(rt, build, monkeypatch):
    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    good, broken, later, other = (
        build(name) for name in ("Heat (1995)", "Ronin (1998)", "Alien (1979)", "Arrival (2016)")
    )
    db.Movie.update(identification_status=db.IDENTIFIED).where(
        db.Movie.id == broken.movie.id
    ).execute()  # not enriched: this item fails, the others go on
    first, failing, waiting, last = (
        _queued(good.movie.id),
        _queued(broken.movie.id),
        _queued(later.movie.id, due=time.time() + 600),  # a retry for later: not taken
        _queued(other.movie.id),
    )
    batches: list[list[int]] = []
    real = metarrd.publish.publish_many
    monkeypatch.setattr(
        metarrd.publish,
        "publish_many",
        lambda rt, movies: batches.append([m.id for m in movies]) or real(rt, movies),
    )

    jobs.run_job(first.id)

    assert batches == [[good.movie.id, broken.movie.id, other.movie.id]]
    rows = {j.id: j for j in db.Job.select()}
    assert rows[first.id].state == rows[last.id].state == jobs.DONE
    assert rows[first.id].message.startswith("published ")
    assert rows[last.id].message.startswith("published ")
    assert rows[failing.id].state == jobs.FAILED and "not enriched" in rows[failing.id].error
    assert rows[waiting.id].state == jobs.QUEUED
    assert (good.folder / "Heat (1995).nfo").is_file()
    assert (other.folder / "Arrival (2016).nfo").is_file()
    assert not (broken.folder / "Ronin (1998).nfo").exists()
    events = [
        (e.kind, e.movie_id) for e in db.Event.select().where(db.Event.kind.startswith("publish."))
    ]
    assert sorted(events) == sorted(
        [
            ("publish.done", good.movie.id),
            ("publish.done", other.movie.id),
            ("publish.failed", broken.movie.id),
        ]
    )
    assert "not enriched" in db.Movie.get_by_id(broken.movie.id).last_error

    jobs.run_job(last.id)  # its own message, come later: dropped, nothing published again
    assert len(batches) == 1


def test_claiming_the_batch_survives_another_process_writing_meanwhile(rt, build, monkeypatch):
    """Another process (the web, a second worker) writes while the batch is being claimed: the
    claims still go through. The queued jobs were read through a cursor still open while they
    were claimed, and SQLite refused to turn that stale read into a write ("database is
    locked", at once, whatever the busy timeout): an unhandled error in the daemon's task."""
    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    items = [build(name) for name in ("Heat (1995)", "Ronin (1998)", "Alien (1979)")]
    first, *others = (_queued(item.movie.id) for item in items)
    db_path = rt.config.db_path
    real_claim = jobs._claim

    def claim_after_a_write_elsewhere(job):
        if db.is_postgresql():
            return real_claim(job)
        import sqlite3

        with sqlite3.connect(db_path, timeout=5) as other:  # another process's connection
            other.execute("UPDATE jobs SET message = 'seen' WHERE id = ?", (first.id,))
        return real_claim(job)

    monkeypatch.setattr(jobs, "_claim", claim_after_a_write_elsewhere)

    claimed = jobs._claim_publishes(first)

    assert [j.id for j in claimed] == [j.id for j in others]
    assert {db.Job.get_by_id(j.id).state for j in others} == {jobs.RUNNING}


def test_a_bug_in_one_item_of_the_batch_fails_that_items_job_only(rt, build, monkeypatch):
    """A bug (an exception that is none of metarrd's errors) in one item ended the whole
    `publish_many`, and every job of the batch (up to 50) failed with that item's "internal
    error"; the batch is now published again one item at a time, so only that job fails."""
    from metarrd.publish import stage as publish_stage

    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    good, broken, other = (
        build(name) for name in ("Heat (1995)", "Ronin (1998)", "Arrival (2016)")
    )
    first, failing, last = (_queued(item.movie.id) for item in (good, broken, other))
    real = publish_stage._prepare

    def bug_for_ronin(rt_, item, *args, **kwargs):
        if item.movie.id == broken.movie.id:
            raise TypeError("'NoneType' object is not subscriptable")
        return real(rt_, item, *args, **kwargs)

    monkeypatch.setattr(publish_stage, "_prepare", bug_for_ronin)

    jobs.run_job(first.id)

    rows = {j.id: j for j in db.Job.select()}
    assert rows[first.id].state == rows[last.id].state == jobs.DONE
    assert rows[failing.id].state == jobs.FAILED
    assert "internal error: TypeError" in rows[failing.id].error
    assert (good.folder / "Heat (1995).nfo").is_file()
    assert (other.folder / "Arrival (2016).nfo").is_file()
    assert not (broken.folder / "Ronin (1998).nfo").exists()
