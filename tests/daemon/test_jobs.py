"""The jobs module: merging of pending requests, chaining as docs/daemon.md says, the review
gate, retries, failures that name the item, one job at a time per item, recovery after a crash."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import api as huey_api
from huey import utils as huey_utils
from huey.utils import utcnow

from metarrd import db, workflow
from metarrd.errors import ItemError, ProviderUnavailable, StageDisabled
from metarrd.pipeline import jobs
from metarrd.pipeline.queue import huey
from tests.conftest import TEST_DATABASE_URL
from tests.daemon.conftest import _runtime

# SQLite's own write lock, which these tests take from a second connection to the database file:
# PostgreSQL has none such (its pass runs these files too)
sqlite_lock = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write lock")

# --- merging pending requests ----------------------------------------------------------------


def test_second_request_for_a_pending_item_is_merged(queued_rt, fake_stages, make_movie, drain):
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    first = jobs.enqueue_enrich(movie.id, manual=False)
    second = jobs.enqueue_enrich(movie.id, manual=False)
    assert second.id == first.id
    assert db.Job.select().where(db.Job.kind == "enrich").count() == 1
    assert huey.pending_count() == 1
    third = jobs.enqueue_enrich(movie.id, manual=True)  # the user asked: it stops for review
    assert third.id == first.id and db.Job.get_by_id(first.id).manual
    drain()
    assert fake_stages.calls == [("enrich", movie.id, {"manual": True})]
    assert db.Job.get_by_id(first.id).state == jobs.DONE


def test_a_request_while_running_queues_one_more(queued_rt, fake_stages, make_movie, drain):
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    first = jobs.enqueue_enrich(movie.id)
    db.Job.update(state=jobs.RUNNING).where(db.Job.id == first.id).execute()
    second = jobs.enqueue_enrich(movie.id)
    assert second.id != first.id
    assert jobs.enqueue_enrich(movie.id).id == second.id


def test_scan_requests_merge_their_paths(queued_rt):
    lib = queued_rt.config.library[0].path
    a = jobs.enqueue_scan([f"{lib}/A"])
    b = jobs.enqueue_scan([f"{lib}/B"], ids={f"{lib}/B": {"tmdb_id": 603}})
    assert a.id == b.id
    assert db.Job.get_by_id(a.id).payload == {
        "paths": [f"{lib}/A", f"{lib}/B"],
        "ids": {f"{lib}/B": {"tmdb_id": 603}},
        "renames": {},
        "gone": [],
    }
    jobs.enqueue_scan(None)
    assert db.Job.get_by_id(a.id).payload["paths"] is None  # a full scan covers them
    assert huey.pending_count() == 1


def test_a_delete_webhooks_recheck_waits_in_the_queue_and_survives_a_merge(
    queued_rt, make_movie, drain
):
    """A delete webhook's path still there: the look again is a delayed scan job (a message in
    the schedule, no worker waiting), and a scan request folded into it keeps the look again
    with the tries it spent (merge_payload kept only the keys it knew)."""
    movie = make_movie(queued_rt)
    folder = str(Path(movie.path).parent)
    first = jobs.enqueue_scan([], gone=[folder], recheck=True)
    drain()
    assert db.Job.get_by_id(first.id).state == jobs.DONE and not db.Movie.get().missing
    (again,) = db.Job.select().where(db.Job.kind == "scan", db.Job.state == jobs.QUEUED)
    assert again.payload["gone"] == [folder] and again.payload["recheck"] == {folder: 1}
    assert again.payload["due"] > time.time() + 1
    assert huey.pending_count() == 0 and [t.args for t in huey.scheduled()] == [(again.id,)]
    lib = queued_rt.config.library[0].path
    merged = jobs.enqueue_scan([f"{lib}/Other"])  # a Download meanwhile
    assert merged.id == again.id
    assert db.Job.get_by_id(again.id).payload["recheck"] == {folder: 1}
    jobs.enqueue_scan([], gone=[folder], recheck=True)  # the same delete sent again
    assert db.Job.get_by_id(again.id).payload["recheck"] == {folder: 1}  # tries not started over


def test_a_scan_waiting_for_its_time_keeps_it_when_a_later_one_is_folded_in(queued_rt):
    """Two looks again at deleted paths, due in 5 s and in 40 s, fold into one job: it kept
    neither time (merge_payload rebuilt a scan's payload from the keys it knew), so a worker
    that started meanwhile ran it at once (requeue_interrupted sends a job without `due` now)."""
    lib = queued_rt.config.library[0].path
    payload = {"paths": [], "ids": {}, "renames": {}, "gone": [f"{lib}/A"]}
    with db.write_transaction():
        job, _ = jobs._queue_row("scan", None, payload, manual=False, delay=5.0)
    due = db.Job.get_by_id(job.id).payload["due"]
    with db.write_transaction():
        merged, send = jobs._queue_row(
            "scan", None, {**payload, "gone": [f"{lib}/B"]}, manual=False, delay=40.0
        )
    assert merged.id == job.id and not send
    assert db.Job.get_by_id(job.id).payload["due"] == due
    assert db.Job.get_by_id(job.id).payload["gone"] == [f"{lib}/A", f"{lib}/B"]


# --- chaining -------------------------------------------------------------------------------


def test_identify_chains_to_enrich_and_stops_for_review(rt, fake_stages, make_movie):
    movie = make_movie(rt)
    jobs.enqueue_identify(movie.id, manual=False)
    assert fake_stages.stages() == ["identify", "enrich"]
    assert fake_stages.calls[1][2] == {"manual": False}
    assert db.Movie.get_by_id(movie.id).publish_state == db.UNPUBLISHED
    assert {j.kind: j.state for j in db.Job.select()} == {"identify": "done", "enrich": "done"}


def test_auto_publish_publishes_an_automatic_enrich_and_notifies(rt, fake_stages, make_movie):
    workflow.set_stage("auto_publish", True)
    movie = make_movie(rt)
    player = db.MediaPlayer.create(name="Kodi", type="kodi", url="http://127.0.0.1:1")
    db.PlayerLibrary.create(player=player, library=movie.library_id)
    jobs.enqueue_identify(movie.id, manual=False)
    assert fake_stages.stages() == ["identify", "enrich", "publish", "notify"]
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED


def test_a_manual_enrich_never_auto_publishes(rt, fake_stages, make_movie):
    workflow.set_stage("auto_publish", True)
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    jobs.enqueue_enrich(movie.id, manual=True)
    assert fake_stages.stages() == ["enrich"]
    manual_identify = make_movie(rt, "Heat (1995)")
    jobs.enqueue_identify(manual_identify.id, tmdb_id=949)  # the user chose the match
    assert fake_stages.stages() == ["enrich", "identify", "enrich"]
    assert fake_stages.calls[1][2]["source"] == "manual"


def test_enrichment_off_stops_after_identification(rt, fake_stages, make_movie):
    workflow.set_stage("enrichment", False)
    movie = make_movie(rt)
    jobs.enqueue_identify(movie.id, manual=False)
    assert fake_stages.stages() == ["identify"]


def test_publishing_off_refuses_every_publish(queued_rt, fake_stages, make_movie, drain):
    movie = make_movie(queued_rt, identification_status=db.ENRICHED)
    job = jobs.enqueue_publish(movie.id)
    workflow.set_stage("publishing", False)
    with pytest.raises(StageDisabled, match="publishing stage is switched off"):
        jobs.enqueue_publish(movie.id)
    drain()  # the one queued before the switch is refused when it runs
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.FAILED and "publishing stage is switched off" in job.error
    assert fake_stages.stages() == []


def test_scan_then_identify_new_items(rt, fake_stages):
    folder = rt.config.library[0].path + "/Heat (1995)"
    Path(folder).mkdir()
    (Path(folder) / "Heat (1995).mkv").write_bytes(b"\0" * 1000)
    job = jobs.enqueue_scan([folder])
    movie = db.Movie.get()
    assert movie.path == folder + "/Heat (1995).mkv"
    assert fake_stages.calls[0] == (
        "identify",
        movie.id,
        {"tmdb_id": None, "imdb_id": None, "source": None},
    )
    assert db.Job.get_by_id(job.id).message.startswith("1 video: 1 new")
    jobs.enqueue_scan([folder])  # unchanged: nothing more to do
    assert fake_stages.stages() == ["identify", "enrich"]


def test_scan_with_webhook_ids_identifies_without_search(rt, fake_stages):
    folder = Path(rt.config.library[0].path) / "Film"
    folder.mkdir()
    (folder / "film.mkv").write_bytes(b"\0" * 1000)
    jobs.enqueue_scan([folder], ids={str(folder): {"tmdb_id": 949, "imdb_id": "tt0113277"}})
    stage, _mid, kw = fake_stages.calls[0]
    assert (stage, kw) == (
        "identify",
        {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"},
    )


def test_a_renamed_file_keeps_its_item_and_data(rt, fake_stages, make_movie):
    movie = make_movie(
        rt, identification_status=db.ENRICHED, tmdb_id=603, publish_state=db.PUBLISHED
    )
    old = Path(movie.path)
    new = old.with_name("The Matrix (1999) Bluray-1080p.mkv")
    old.rename(new)
    jobs.enqueue_scan([new.parent], renames={str(old): str(new)})
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.tmdb_id) == (movie.id, str(new), 603)
    assert item.identification_status == db.ENRICHED and not item.missing
    # the published files carry the old name: published again (what the user had published),
    # they follow it
    assert [c[:2] for c in fake_stages.calls] == [("publish", movie.id)]


def test_a_folder_renamed_with_its_file_without_the_webhook_keeps_its_item(
    rt, fake_stages, make_movie
):
    """Radarr's rename with the webhook off, as the watcher reports it: the old folder gone
    and the new one come, in one scan job. The scan of the new folder knows the file (its
    device and inode) and the item follows it; the old folder marks nothing missing."""
    movie = make_movie(rt, identification_status=db.ENRICHED, tmdb_id=603)
    old = Path(movie.path)
    jobs.enqueue_scan([old.parent])  # the scan records the file's size, mtime and identity
    folder = old.parent.with_name("The Matrix (1999) {tmdb-603}")
    old.parent.rename(folder)
    new = folder / "The Matrix (1999) {tmdb-603} [Bluray-1080p].mkv"
    (folder / old.name).rename(new)

    job = jobs.enqueue_scan([old.parent, folder])

    (item,) = db.Movie.select()
    assert (item.id, item.path, item.tmdb_id, item.missing) == (movie.id, str(new), 603, False)
    assert "1 moved, 0 missing" in db.Job.get_by_id(job.id).message
    assert fake_stages.calls == []


def test_a_deleted_file_marks_its_item_missing_and_keeps_it(rt, fake_stages, make_movie):
    movie = make_movie(rt, identification_status=db.ENRICHED, tmdb_id=603)
    folder = Path(movie.path).parent
    Path(movie.path).unlink()
    folder.rmdir()
    job = jobs.enqueue_scan([folder], gone=[str(folder)])
    item = db.Movie.get_by_id(movie.id)
    assert item.missing and item.tmdb_id == 603
    assert db.Job.get_by_id(job.id).message == "1 items marked missing"


def test_scanning_off_skips_scans(rt, fake_stages):
    workflow.set_stage("scanning", False)
    job = jobs.enqueue_scan(None)
    assert db.Job.get_by_id(job.id).message == "skipped: the scanning stage is switched off"
    assert db.Movie.select().count() == 0


# --- failures, retries, idempotency -----------------------------------------------------------


def test_provider_unavailable_is_retried_with_backoff_then_fails(rt, fake_stages, make_movie):
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ProviderUnavailable("tmdb", "HTTP 503 after 4 retries")
    job = jobs.enqueue_enrich(movie.id)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.QUEUED and "retry 1 in 30s" in job.message
    assert huey.scheduled_count() == 1
    for _ in jobs.RETRY_DELAYS:
        (task,) = huey.read_schedule(_far_future())
        huey.execute(task, _far_future())
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.FAILED and "gave up after 5 attempts" in job.error
    assert len(fake_stages.calls) == 1 + len(jobs.RETRY_DELAYS)


def test_a_restart_keeps_the_back_off_of_a_provider_retry(
    queued_rt, fake_stages, make_movie, drain
):
    """TMDB down: an enrich waits 30 s, 2 min, 10 min, then 30 min before its retries. A daemon
    restarted meanwhile (with several workers: any worker that started) sent the waiting job a
    message to run at once, since only a delayed enqueue recorded when the job was due: each
    start spent a retry while TMDB was still down, and a few restarts failed the job for good
    ("gave up after 5 attempts")."""
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ProviderUnavailable("tmdb", "HTTP 503 after 4 retries")
    job = jobs.enqueue_enrich(movie.id)
    drain()
    assert "retry 1 in 30s" in db.Job.get_by_id(job.id).message
    jobs.requeue_interrupted()  # a restart
    drain()
    assert len(fake_stages.calls) == 1  # not run again before its time
    etas = [t.eta for t in huey.scheduled() if t.args == (job.id,)]
    assert etas and min(etas) > db.now() + timedelta(seconds=20)


def test_a_second_message_does_not_run_a_retry_before_its_time(queued_rt, fake_stages, make_movie):
    """A job waiting for its retry had two messages (a worker that started sent it one again,
    and Redis kept the first): the first ran it when due and TMDB was still down, so it waited
    again, for 2 min; the second then ran it at once, and the next retry went the same way.
    A message that comes before its job is due now waits for then."""
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ProviderUnavailable("tmdb", "HTTP 503 after 4 retries")
    job = jobs.enqueue_enrich(movie.id)
    huey.execute(huey.dequeue())
    jobs._send(db.Job.get_by_id(job.id), 30)  # the second message, for the same time
    while (task := huey.dequeue()) is not None:  # the consumer puts both in its schedule
        huey.add_schedule(task)
    db.Job.update(payload={"due": time.time() - 1}).execute()  # 30 s later: both come
    for task in huey.read_schedule(_far_future()):
        huey.execute(task, _far_future())
    assert len(fake_stages.calls) == 2
    assert "retry 2 in 120s" in db.Job.get_by_id(job.id).message


def test_a_retry_that_succeeds_completes(rt, fake_stages, make_movie):
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ProviderUnavailable("tmdb", "connection refused")
    job = jobs.enqueue_enrich(movie.id)
    del fake_stages.raises["enrich"]
    (task,) = huey.read_schedule(_far_future())
    huey.execute(task, _far_future())
    assert db.Job.get_by_id(job.id).state == jobs.DONE


def test_an_item_error_fails_the_job_naming_the_item(rt, fake_stages, make_movie, caplog):
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ItemError("poster 3: provider returned an HTML page")
    job = jobs.enqueue_enrich(movie.id)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.FAILED and job.error == "poster 3: provider returned an HTML page"
    assert db.Movie.get_by_id(movie.id).last_error == job.error
    assert db.Event.get(db.Event.kind == "enrich.failed").movie_id == movie.id
    line = next(r.getMessage() for r in caplog.records if "failed" in r.getMessage())
    assert f"enrich item {movie.id} ({movie.path})" in line


def test_a_bug_in_a_stage_fails_the_job_not_the_worker(rt, fake_stages, make_movie):
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = KeyError("oops")
    job = jobs.enqueue_enrich(movie.id)
    assert db.Job.get_by_id(job.id).error.startswith("internal error: KeyError")


def _sqlites_lock_error(rt) -> Exception:
    """SQLite's own "database is locked": a write while another connection (a sqlite3 shell
    left in a transaction, a daemon migrating after an upgrade) holds the write lock past the
    busy timeout (0 here, for this one write)."""
    other = sqlite3.connect(str(Path(rt.config.data_dir) / "metarrd.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db.database.execute_sql("PRAGMA busy_timeout = 0")
    try:
        with db.write_transaction():
            db.Event.create(kind="test")
    except Exception as exc:
        return exc
    finally:
        other.execute("ROLLBACK")
        other.close()
        db.database.execute_sql(f"PRAGMA busy_timeout = {db.PRAGMAS['busy_timeout']}")
    raise AssertionError("the write was not refused")


@sqlite_lock
def test_a_database_locked_past_the_busy_timeout_is_tried_again_not_a_bug(
    rt, fake_stages, make_movie, caplog
):
    """The job's write met SQLite's lock held by another process for longer than the busy
    timeout: that is no bug of the stage, and nothing of that write is kept. The job waits and
    runs again, saying why on the Jobs page and the item; it had failed for good as "internal
    error: OperationalError: database is locked", with a traceback in the log."""
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = _sqlites_lock_error(rt)
    job = jobs.enqueue_enrich(movie.id)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.QUEUED, job.error
    assert job.message.startswith("the database is locked: another process has been writing")
    assert "retry 1 in 30s" in job.message and "internal error" not in job.message
    assert db.Movie.get_by_id(movie.id).last_error.startswith("the database is locked")
    assert not any(r.exc_info for r in caplog.records)
    del fake_stages.raises["enrich"]  # the lock is gone
    (task,) = huey.read_schedule(_far_future())
    huey.execute(task, _far_future())
    assert db.Job.get_by_id(job.id).state == jobs.DONE


def _sqlites_snapshot_error(rt) -> Exception:
    """SQLite's other "database is locked" (SQLITE_BUSY_SNAPSHOT): a transaction read, another
    connection wrote, then this one came to write; raised at once, with no wait."""
    from tests.conftest import sqlites_snapshot_error

    return sqlites_snapshot_error(Path(rt.config.data_dir) / "metarrd.db")


@sqlite_lock
def test_a_write_that_found_the_database_written_meanwhile_is_tried_again_saying_so(
    rt, fake_stages, make_movie
):
    """Another process wrote between the stage's read and its write (SQLite's BUSY_SNAPSHOT,
    its message "database is locked" too, raised at once): tried again, as a lock is; it had
    been said to be "another process has been writing to it for longer than 15 s", untrue."""
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = _sqlites_snapshot_error(rt)
    job = db.Job.get_by_id(jobs.enqueue_enrich(movie.id).id)
    assert job.state == jobs.QUEUED, job.error
    assert "longer than" not in job.message and "retry 1 in 30s" in job.message
    assert job.message.startswith("the database changed under a transaction: another process")


@sqlite_lock
def test_a_database_locked_when_a_job_is_claimed_leaves_it_queued_for_later(
    queued_rt, fake_stages, make_movie
):
    """The lock held past the busy timeout when the worker claims the job: it stays queued
    and is tried again shortly, as a job whose item is busy; the task had raised into the
    consumer (a traceback in its log) and the job waited a lease for its message again."""
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    job = jobs.enqueue_enrich(movie.id)
    huey.dequeue()  # its message, which the worker took
    other = sqlite3.connect(str(Path(queued_rt.config.data_dir) / "metarrd.db"))
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    db.database.execute_sql("PRAGMA busy_timeout = 0")
    try:
        jobs.run_job(job.id)
    finally:
        other.execute("ROLLBACK")
        other.close()
        db.database.execute_sql(f"PRAGMA busy_timeout = {db.PRAGMAS['busy_timeout']}")
    assert db.Job.get_by_id(job.id).state == jobs.QUEUED
    (task,) = huey.pending()  # its message again, for a moment later
    assert task.args == (job.id,) and task.eta is not None
    assert fake_stages.calls == []


@sqlite_lock
def test_a_job_waiting_for_a_locked_database_says_so_and_waits_longer_each_time(
    queued_rt, fake_stages, make_movie, monkeypatch
):
    """The claim met SQLite's lock held past the busy timeout again and again (a migration of
    a large database, a sqlite3 shell left in a transaction): the job stayed queued with no
    reason on the activity page, tried again every 10 s at most while each try held a worker
    for the busy timeout. It says why it waits (when the lock lets that be written), and the
    tries come further apart, up to a couple of minutes."""
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    job = jobs.enqueue_enrich(movie.id)
    huey.dequeue()  # its message, which the worker took
    lock = _sqlites_lock_error(queued_rt)

    def claim(job):
        raise lock

    monkeypatch.setattr(jobs, "_claim", claim)
    jobs.run_job(job.id, busy=6)  # its seventh try
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == jobs.QUEUED
    assert waiting.message.startswith("waiting: the database is locked: another process")
    assert waiting.message.endswith("tried again in 64s")
    (task,) = huey.pending()
    assert task.args == (job.id,) and task.kwargs == {"busy": 7}
    assert task.eta - datetime.now(UTC).replace(tzinfo=None) > timedelta(seconds=60)
    assert fake_stages.calls == []


@sqlite_lock
def test_jobs_waiting_for_a_locked_database_are_not_taken_for_stranded(
    queued_rt, make_movie, monkeypatch
):
    """Jobs whose claim met SQLite's lock wait minutes for their next try, their messages in
    the schedule. A look for stranded jobs that read only the schedule's soonest messages took
    a job whose message came later for one without: sent again at once, it met the lock again
    and started its back-off over."""
    monkeypatch.setattr(jobs, "STRANDED_BATCH", 3)
    monkeypatch.setitem(jobs._stranded_after, "id", 0)
    names = ("Heat (1995)", "Alien (1979)", "Fargo (1996)", "Se7en (1995)")
    movies = [make_movie(queued_rt, n, identification_status=db.IDENTIFIED) for n in names]
    waiting = [jobs.enqueue_enrich(m.id) for m in movies]
    db.Job.update(created_at=db.now() - timedelta(minutes=10)).execute()
    while huey.dequeue():  # their first messages, which the workers took
        pass
    for n, job in enumerate(waiting):  # each tried again 80, 60, 40 and 20 s from now
        task = jobs.job_task.s(job.id, busy=5)
        task.eta = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=80 - 20 * n)
        huey.add_schedule(task)
    assert jobs.resend_stranded(60) == 0
    assert huey.pending_count() == 0


def test_one_job_at_a_time_per_item(queued_rt, fake_stages, make_movie, drain):
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    other = jobs.enqueue_identify(movie.id, tmdb_id=603)
    db.Job.update(state=jobs.RUNNING).where(db.Job.id == other.id).execute()
    job = jobs.enqueue_enrich(movie.id)
    drain()
    assert fake_stages.calls == [] and db.Job.get_by_id(job.id).state == jobs.QUEUED
    assert huey.scheduled_count() == 1  # tried again in a moment
    db.Job.update(state=jobs.DONE).where(db.Job.id == other.id).execute()
    for task in huey.read_schedule(_far_future()):
        huey.execute(task, _far_future())
    assert fake_stages.stages() == ["enrich"]


def test_a_message_for_a_finished_job_does_nothing(rt, fake_stages, make_movie):
    movie = make_movie(rt, identification_status=db.IDENTIFIED)
    job = jobs.enqueue_enrich(movie.id)
    jobs.job_task(job.id)  # a duplicate message
    assert fake_stages.stages() == ["enrich"]


def test_interrupted_jobs_run_again_after_a_restart(queued_rt, fake_stages, make_movie, drain):
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    job = jobs.enqueue_enrich(movie.id, manual=False)
    db.Job.update(state=jobs.RUNNING).where(db.Job.id == job.id).execute()  # died mid-way
    drain()  # the old message finds the job running: dropped
    assert fake_stages.calls == []
    assert jobs.requeue_interrupted() == 1
    drain()
    assert fake_stages.calls == [("enrich", movie.id, {"manual": False})]
    assert db.Job.get_by_id(job.id).state == jobs.DONE
    assert db.Job.select().count() == 1


def test_an_identify_killed_after_its_work_is_followed_by_enrich_when_run_again(
    queued_rt, fake_stages, make_movie, drain
):
    """The daemon killed after an identify committed and before the job ended (its follow-ups
    go with its outcome): run again after the restart, it finds the item identified, and the
    enrich still follows. It ended with "already identified" and no enrich, and the item stayed
    identified for good (the soak test caught it once)."""
    movie = make_movie(queued_rt, identification_status=db.UNIDENTIFIED)
    job = jobs.enqueue_identify(movie.id)
    db.Job.update(state=jobs.RUNNING).where(db.Job.id == job.id).execute()
    db.Movie.update(identification_status=db.IDENTIFIED, tmdb_id=603).where(
        db.Movie.id == movie.id
    ).execute()  # its identify had committed when the SIGKILL came
    assert jobs.requeue_interrupted() == 1
    drain()
    assert db.Job.get_by_id(job.id).message == "already identified"
    assert fake_stages.stages() == ["enrich"]
    enriched = make_movie(queued_rt, "Heat (1995)", identification_status=db.ENRICHED)
    jobs.enqueue_identify(enriched.id)
    drain()
    assert fake_stages.stages() == ["enrich"]  # nothing follows for an enriched item


def test_a_publish_without_some_pictures_completes_itself_later(
    queued_rt, fake_stages, make_movie, drain, monkeypatch
):
    import sys
    import time

    movie = make_movie(queued_rt, identification_status=db.ENRICHED)
    left_out = [["published without Hugo Weaving's photo: tmdb: server error (HTTP 500)"], []]

    def publish_item(rt, m):
        fake_stages._call("publish", m.id)
        db.Movie.update(publish_state=db.PUBLISHED, publish_warnings=left_out.pop(0)).where(
            db.Movie.id == m.id
        ).execute()
        return f"published item {m.id}"

    monkeypatch.setattr(sys.modules["metarrd.publish"], "publish_item", publish_item)
    jobs.enqueue_publish(movie.id)
    drain()
    retry = db.Job.get(db.Job.kind == "publish", db.Job.state == jobs.QUEUED)
    assert retry.payload["picture_retry"] == 1
    assert 1790 < retry.payload["due"] - time.time() <= 1800  # in 30 minutes, not now
    assert huey.scheduled_count() == 1 and drain() == 0
    due = {**retry.payload, "due": time.time() - 1}  # 30 minutes later
    db.Job.update(payload=due).where(db.Job.id == retry.id).execute()
    for task in huey.read_schedule(_far_future()):
        huey.execute(task, _far_future())
    assert fake_stages.stages() == ["publish", "publish"]
    assert db.Movie.get_by_id(movie.id).publish_warnings == []
    assert not db.Job.select().where(db.Job.state == jobs.QUEUED).exists()  # complete: no more


def test_a_picture_retry_never_publishes_changes_waiting_for_review(
    queued_rt, fake_stages, make_movie, drain
):
    movie = make_movie(
        queued_rt,
        identification_status=db.ENRICHED,
        publish_state=db.OUTDATED,
        publish_warnings=["published without poster 1: tmdb: server error (HTTP 500)"],
    )
    job = jobs._enqueue("publish", movie.id, {"picture_retry": 2}, manual=False)
    drain()
    assert fake_stages.stages() == []
    assert db.Job.get_by_id(job.id).message == "skipped: nothing left to complete"


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler catches it."""


def _kill_when_done_is_recorded(monkeypatch):
    real = jobs.log.info

    def info(msg, *args):
        if msg.startswith("job %d finished"):  # logged right after the DONE is committed
            raise _Killed
        real(msg, *args)

    monkeypatch.setattr(jobs.log, "info", info)


def _kill_when_the_follow_up_is_sent(monkeypatch):
    def send(job, delay=0.0):
        raise _Killed

    monkeypatch.setattr(jobs, "_send", send)


@pytest.mark.parametrize(
    "kill", [_kill_when_done_is_recorded, _kill_when_the_follow_up_is_sent], ids=["done", "send"]
)
def test_a_kill_after_a_job_is_done_never_loses_its_follow_up(
    queued_rt, fake_stages, make_movie, drain, monkeypatch, kill
):
    movie = make_movie(queued_rt)
    identify = jobs.enqueue_identify(movie.id, manual=False)
    with monkeypatch.context() as m:
        kill(m)
        with pytest.raises(_Killed):
            drain()
    assert db.Job.get_by_id(identify.id).state == jobs.DONE
    follow = db.Job.get(db.Job.kind == "enrich")
    assert follow.state == jobs.QUEUED and follow.movie_id == movie.id
    jobs.requeue_interrupted()  # the daemon's start
    drain()
    assert fake_stages.stages() == ["identify", "enrich"]
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED


def _far_future():
    import datetime

    return datetime.datetime.utcnow() + datetime.timedelta(days=1)


def test_prune_forgets_old_finished_jobs(queued_rt):
    import datetime

    old = db.now() - datetime.timedelta(days=31)
    done = db.Job.create(kind="scan", key="scan", state=jobs.DONE, finished_at=old)
    failed = db.Job.create(kind="scan", key="scan", state=jobs.FAILED, finished_at=old)
    recent = db.Job.create(kind="scan", key="scan", state=jobs.DONE, finished_at=db.now())
    queued = db.Job.create(kind="scan", key="scan", state=jobs.QUEUED)
    assert jobs.prune(30) == 1
    left = {j.id for j in db.Job.select()}
    assert left == {failed.id, recent.id, queued.id} and done.id not in left


def test_a_sooner_notify_request_gets_its_own_message(queued_rt):
    late = jobs.enqueue_notify(delay=300)
    assert huey.pending_count() == 1  # with its eta; a worker moves it to the schedule
    now = jobs.enqueue_notify()
    assert now.id == late.id
    assert huey.pending_count() == 2  # one more, due now; the late one will find the job done
    jobs.enqueue_notify(delay=300)
    assert huey.pending_count() == 2


def test_a_scan_job_says_how_many_it_skipped_by_name(rt, fake_stages):
    """Its message is what the Activity page shows: a trailer left out is counted there."""
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    (folder / "Heat (1995).mkv").write_bytes(b"\0" * 1000)
    (folder / "Heat (1995)-trailer.mkv").write_bytes(b"\0" * 1000)

    job = jobs.enqueue_scan([str(folder)])

    assert db.Job.get_by_id(job.id).message.endswith(
        ", 1 skipped by name (listed in Settings, Libraries)"
    )


def test_identification_switched_on_again_identifies_what_was_scanned_meanwhile(
    queued_rt, fake_stages, drain
):
    """Items scanned while `identification` was off stayed unidentified for good: the next
    scans found them unchanged, and only new or changed items are identified. Switched on
    again, it identifies them once (and the chain goes on: enrich, then the review gate); one
    the search already left to the user, or missing, is not searched again."""
    root = Path(queued_rt.config.library[0].path)
    workflow.set_stage("identification", False)
    for name in ("Heat (1995)", "Alien (1979)"):
        (root / name).mkdir()
        (root / name / f"{name}.mkv").write_bytes(b"\0" * 1000)
    jobs.enqueue_scan(None)
    drain()
    jobs.enqueue_scan(None)  # unchanged: still nothing
    drain()
    assert fake_stages.stages() == []
    heat = db.Movie.get(db.Movie.path.endswith("Heat (1995).mkv"))
    alien = db.Movie.get(db.Movie.path.endswith("Alien (1979).mkv"))
    left = db.Movie.create(library=heat.library, path=str(root / "Left.mkv"), title="Left")
    db.record_event("identify.unsure", "no confident match", movie=left)
    gone = db.Movie.create(library=heat.library, path=str(root / "Gone.mkv"), missing=True)

    workflow.set_stage("identification", True)
    assert jobs.catch_up("identification") == 2
    drain()

    identified = [mid for stage, mid, _kw in fake_stages.calls if stage == "identify"]
    assert sorted(identified) == sorted([heat.id, alien.id])
    assert left.id not in identified and gone.id not in identified
    enriched = {mid: kw for stage, mid, kw in fake_stages.calls if stage == "enrich"}
    assert enriched == {heat.id: {"manual": False}, alien.id: {"manual": False}}
    assert "publish" not in fake_stages.stages()  # the review gate holds


def test_enrichment_switched_on_again_enriches_what_was_identified_meanwhile(
    queued_rt, fake_stages, make_movie, drain
):
    waiting = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    done = make_movie(queued_rt, "Heat (1995)", identification_status=db.ENRICHED)
    assert jobs.catch_up("enrichment") == 1
    drain()
    assert fake_stages.calls == [("enrich", waiting.id, {"manual": False})]
    assert done.id not in [mid for _s, mid, _kw in fake_stages.calls]
    assert jobs.catch_up("auto_publish") == 0  # what waits for the review stays there


def test_a_stage_switched_on_in_settings_queues_its_backlog_in_the_worker(config_factory):
    """Settings queued a stage's backlog inside the web request, a job row and a message per
    item: for a library of thousands the page took seconds and timed out behind a proxy. The
    request queues one catch-up job (a few statements, one message, whatever the backlog);
    the worker queues the rest in batches, and every item gets exactly one job and message."""
    from metarrd.pipeline import queue, steps
    from metarrd.web import create_app
    from tests.web.conftest import Client, QueryCounter

    app = create_app(config_factory(), testing=True)  # the web's queue: a real file
    rt = app.extensions["metarrd.runtime"]
    jobs.bind(rt)
    client = Client(app.test_client())
    assert client.token  # its page read before the statements are counted
    lib = db.Library.get()
    count = 3007
    rows = [
        {
            "library": lib.id,
            "path": f"{lib.path}/Film {i:05d}/Film {i:05d}.mkv",
            "title": f"Film {i:05d}",
            # every 10th enriched already, every 25th missing: not queued
            "identification_status": db.ENRICHED if i % 10 == 3 else db.IDENTIFIED,
            "missing": i % 25 == 4,
        }
        for i in range(count)
    ]
    with db.database.atomic():
        for start in range(0, count, 500):
            db.Movie.insert_many(rows[start : start + 500]).execute()
    waiting = sorted(
        m.id
        for m in db.Movie.select().where(
            db.Movie.identification_status == db.IDENTIFIED, ~db.Movie.missing
        )
    )
    assert len(waiting) > 2500
    client.post("/settings/workflow/enrichment", {"value": "off"})
    try:
        with QueryCounter() as statements:
            answer = client.post("/settings/workflow/enrichment", {"value": "on"}, htmx=True)
        assert answer.status_code == 200 and 'aria-checked="true"' in answer.get_data(True)
        assert statements.count < 20  # two per item (and a message) before: thousands
        assert queue.pending_messages() == 1
        assert [j.kind for j in db.Job.select()] == ["catch_up"]

        messages: list[int] = []  # the enrich jobs' messages, as the consumer takes them
        while (task := huey.dequeue()) is not None:
            job = db.Job.get_by_id(task.args[0])
            if job.kind == "catch_up":
                huey.execute(task)
            else:
                messages.append(job.id)
    finally:
        queue.configure(rt.config, immediate=True)
        rt.close()
    enrich = list(db.Job.select().where(db.Job.kind == "enrich").order_by(db.Job.movie))
    assert [j.movie_id for j in enrich] == waiting  # each once, none of the others
    assert not any(j.manual for j in enrich)  # automatic: the review gate holds after them
    assert sorted(messages) == sorted(j.id for j in enrich)  # one message each
    catch_ups = list(db.Job.select().where(db.Job.kind == "catch_up"))
    assert len(catch_ups) == len(waiting) // steps.CATCH_UP_BATCH + 1  # batches, and the last
    assert all(j.state == jobs.DONE for j in catch_ups)


def test_catch_up_requests_fold_into_the_one_waiting(queued_rt, fake_stages, make_movie, drain):
    """Identification and enrichment switched on one after the other: one catch-up job for
    both; a stage asked again starts from the earlier point."""
    unknown = make_movie(queued_rt)
    known = make_movie(queued_rt, "Heat (1995)", identification_status=db.IDENTIFIED)
    assert jobs.enqueue_catch_up("identification") == 1
    assert jobs.enqueue_catch_up("enrichment") == 1
    assert jobs.enqueue_catch_up("auto_publish") == 0
    (job,) = db.Job.select()
    assert job.payload == {"stages": {"identification": 0, "enrichment": 0}}
    assert jobs.merge_payload("catch_up", {"stages": {"enrichment": 500}}, job.payload) == {
        "stages": {"identification": 0, "enrichment": 0}
    }
    workflow.set_stage("enrichment", False)  # off again before it ran: only identification
    drain()
    identify = {"tmdb_id": None, "imdb_id": None, "source": None}
    assert fake_stages.calls == [("identify", unknown.id, identify)]
    assert known.id not in [mid for _s, mid, _kw in fake_stages.calls]


def test_a_duplicate_message_of_a_finished_job_takes_no_write_lock(
    queued_rt, fake_stages, make_movie, drain, monkeypatch
):
    """Every worker that starts sends every queued job a message again (a shared Redis queue
    keeps the others' too): after a restart of the workers during a catch-up of 5,000 items,
    5,000 duplicates each took the write lock (PostgreSQL's one advisory lock, every host's
    claims and records wait on it) only to find their job taken. A message whose job is no
    longer queued is now dropped after the one read it made already."""
    job = jobs.enqueue_enrich(make_movie(queued_rt, identification_status=db.IDENTIFIED).id)
    jobs.job_task(job.id)  # a worker starting on a shared queue: a second message for it
    locks: list[int] = []
    write_transaction = db.write_transaction

    def counted(*args, **kwargs):
        locks.append(1)
        return write_transaction(*args, **kwargs)

    monkeypatch.setattr(db, "write_transaction", counted)
    assert drain(1) == 1
    assert db.Job.get_by_id(job.id).state == "done"
    taken = len(locks)
    assert drain() == 1  # the duplicate
    assert len(locks) == taken
    assert fake_stages.stages() == ["enrich"]


def test_a_job_waiting_for_a_long_scan_backs_off(queued_rt, fake_stages, make_movie, drain):
    """A full rescan (every worker's start queues one, and every `full_rescan_hours`) while a
    catch-up's thousands of jobs waited: each of them, its item "busy" while the scan ran, was
    tried again every second, each try a write transaction under the write lock the scan's
    own writes wait for, for as long as the scan walked. A job found busy again and again now
    waits longer each time, up to `BUSY_MAX_DELAY`."""
    from datetime import UTC, datetime

    db.Job.create(kind="scan", key="scan", state="running", payload={"paths": None})
    job = jobs.enqueue_enrich(make_movie(queued_rt, identification_status=db.IDENTIFIED).id)
    delays = []
    for _ in range(7):
        assert drain(1) == 1  # the message: the item is busy, it is sent again for later
        (task,) = huey.pending()
        huey.storage.flush_queue()
        now = datetime.now(UTC).replace(tzinfo=None)
        delays.append(round((task.eta - now).total_seconds()))
        task.eta = None
        huey.enqueue(task)  # its time has come (the consumer's scheduler)
    assert delays == [1, 2, 4, 8, 10, 10, 10]
    assert db.Job.get_by_id(job.id).state == "queued"


def test_a_job_on_an_episode_waits_for_the_job_running_on_its_show(
    queued_rt, fake_stages, make_movie, drain
):
    """One at a time per item, and a show is one item with its seasons and episodes: an enrich
    of the show (every episode's rows) and an enrich of one of its episodes (the Enrich of the
    show's page, then of an episode's) ran at once on the daemon's two workers, both writing
    that episode's candidates, cast and fields. The episode's job now waits for the show's;
    publishes of one show are the folder lock's to order (and run as one batch)."""
    lib = db.Library.get()
    folder = Path(lib.path) / "Breaking Bad (2008)"
    folder.mkdir(parents=True)
    show = db.Movie.create(library=lib, path=str(folder), kind=db.SHOW, title="Breaking Bad")
    (folder / "S01E01.mkv").write_bytes(b"x")
    ep = db.Movie.create(
        library=lib, path=str(folder / "S01E01.mkv"), kind=db.EPISODE, show=show, season=1,
        episodes=[1], identification_status=db.ENRICHED,
    )  # fmt: skip
    other = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    db.Job.create(kind="enrich", movie=show.id, key=f"enrich:{show.id}", state="running")
    waiting = jobs.enqueue_enrich(ep.id)
    free = jobs.enqueue_enrich(other.id)
    assert drain(2) == 2
    assert db.Job.get_by_id(waiting.id).state == jobs.QUEUED  # busy: sent again for later
    assert db.Job.get_by_id(free.id).state == jobs.DONE
    assert fake_stages.stages() == ["enrich"]
    running = db.Job.get(db.Job.movie == show.id)
    assert jobs._claim(db.Job.get_by_id(waiting.id)) == "busy"
    db.Job.update(kind="publish", key=f"publish:{show.id}").where(db.Job.id == running.id).execute()
    publish = db.Job.create(kind="publish", movie=ep.id, key=f"publish:{ep.id}", state="queued")
    assert jobs._claim(publish) == "claimed"


@pytest.mark.parametrize("status, kind", [(db.IDENTIFIED, "enrich"), (db.UNIDENTIFIED, "identify")])
def test_an_item_missing_while_its_job_ran_goes_on_once_found_moved(
    queued_rt, fake_stages, make_movie, drain, status, kind
):
    """A folder renamed while the item's enrich waited in the queue: the watcher saw the old
    folder go first, its scan marked the item missing, and the enrich that ran then was skipped
    ("the item's file is missing"). The scan of the new folder found the file moved, but only
    new or changed items were followed up: the item stayed identified, never enriched, with
    no error and nothing queued (the soak test caught it once, under load)."""
    movie = make_movie(queued_rt)
    old = Path(movie.path)
    jobs.enqueue_scan([old.parent])  # the scan records the file's size, mtime and identity
    drain()
    db.Movie.update(identification_status=status).where(db.Movie.id == movie.id).execute()
    fake_stages.calls.clear()  # what that scan's follow-ups did
    folder = old.parent.with_name("The Matrix (1999) [r1]")
    old.parent.rename(folder)
    jobs.enqueue_scan([old.parent], gone=[str(old.parent)])
    drain()
    assert db.Movie.get_by_id(movie.id).missing
    if kind == "enrich":
        jobs.enqueue_enrich(movie.id, manual=False)
    else:
        jobs.enqueue_identify(movie.id)
    drain()
    assert fake_stages.calls == []  # skipped: the item's file is missing

    jobs.enqueue_scan([folder])
    drain()

    item = db.Movie.get_by_id(movie.id)
    assert (item.path, item.missing) == (str(folder / old.name), False)
    chain = [("identify", movie.id)] if kind == "identify" else []  # then its enrich
    assert [c[:2] for c in fake_stages.calls] == [*chain, ("enrich", movie.id)]


def test_a_folder_renamed_by_hand_is_told_to_the_players_without_a_publish(
    config_factory, fake_stages, make_movie
):
    """`The Matrix (1999)/` renamed by hand, the watcher's scan job naming both folders: the
    item follows its file and stays "Published" (our files went along), so nothing publishes
    it again; Kodi, told about the old folder, would list it there for good. The scan queues
    a notification of the new path, and the players are told."""
    player = {"name": "Kodi", "type": "kodi", "url": "http://127.0.0.1:9", "libraries": ["Movies"]}
    rt = _runtime(config_factory, immediate=True, player=[player])
    try:
        movie = make_movie(
            rt, identification_status=db.ENRICHED, tmdb_id=603, publish_state=db.PUBLISHED
        )
        old = Path(movie.path)
        jobs.enqueue_scan([old.parent])  # the scan records the file's identity
        kodi = db.MediaPlayer.get(db.MediaPlayer.name == "Kodi")
        db.PlayerNotification.create(player=kodi, movie=movie, path=movie.path, state="sent")
        folder = old.parent.with_name("The Matrix (1999) [1080p]")
        old.parent.rename(folder)

        jobs.enqueue_scan([old.parent, folder])

        assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED
        rows = [
            (r.path, r.state)
            for r in db.PlayerNotification.select().order_by(db.PlayerNotification.id)
        ]
        assert rows == [(str(old), "sent"), (str(folder / old.name), "pending")]
        assert fake_stages.stages() == ["notify"]
    finally:
        rt.close()


class WallClock:
    """The `time` module as metarrd.pipeline.jobs sees it: `time.time()` moved by `ahead`
    seconds (negative: back), `time.monotonic()` and the rest the real module's, as when NTP
    steps the wall clock of a running daemon."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_a_clock_set_back_does_not_hold_a_retry_for_the_hours_it_went_back(
    queued_rt, fake_stages, make_movie, drain, monkeypatch
):
    """A board whose clock had run ahead, set back three hours by NTP while an enrich waited
    30 s for its retry (TMDB down): the retry's message (in the queue's schedule) and the job's
    due time were the old clock's, so the retry waited 3 h 30 s. The lease heartbeat's look
    (`resend_stranded`) sees the wall clock go back against the monotonic one and brings what
    waits forward by as much."""
    clock = WallClock()
    monkeypatch.setattr(jobs, "time", clock)
    monkeypatch.setattr(jobs, "_clock", {})  # this test's looks alone, and no later test's
    movie = make_movie(queued_rt, identification_status=db.IDENTIFIED)
    fake_stages.raises["enrich"] = ProviderUnavailable("tmdb", "HTTP 503 after 4 retries")
    job = jobs.enqueue_enrich(movie.id)
    drain()  # run, failed: its retry in the schedule
    assert "retry 1 in 30s" in db.Job.get_by_id(job.id).message
    (before,) = [t.eta for t in huey.scheduled() if t.args == (job.id,)]
    due = db.Job.get_by_id(job.id).payload["due"]
    jobs.resend_stranded(60)  # a heartbeat's look before the clock moves

    clock.ahead = -3 * 3600
    monkeypatch.setattr(huey_utils, "utcnow", lambda: utcnow() - timedelta(hours=3))  # queue's
    monkeypatch.setattr(huey_api, "utcnow", lambda: utcnow() - timedelta(hours=3))
    # before the look: a notification queued by the new clock, for 2 minutes from now
    later = jobs.enqueue_notify(delay=120)
    later_due = db.Job.get_by_id(later.id).payload["due"]
    drain()  # its message goes to the schedule
    (later_eta,) = [t.eta for t in huey.scheduled() if t.args == (later.id,)]
    pre_jump = dict(jobs._clock)
    jobs.resend_stranded(60)  # the next look
    (after,) = [t.eta for t in huey.scheduled() if t.args == (job.id,)]
    assert abs(before - after - timedelta(hours=3)) < timedelta(seconds=1)  # stored as floats
    assert db.Job.get_by_id(job.id).payload["due"] == pytest.approx(due - 3 * 3600)
    # the new clock's wait is left as it is
    assert db.Job.get_by_id(later.id).payload["due"] == later_due
    assert [t.eta for t in huey.scheduled() if t.args == (later.id,)] == [later_eta]

    jobs.resend_stranded(60)  # a look after: the clock has not gone back again
    assert [t.eta for t in huey.scheduled() if t.args == (job.id,)] == [after]
    monkeypatch.setattr(jobs, "_clock", pre_jump)  # another worker of this host, looking now
    jobs.resend_stranded(60)
    assert [t.eta for t in huey.scheduled() if t.args == (job.id,)] == [after]  # not twice
    assert db.Job.get_by_id(job.id).payload["due"] == pytest.approx(due - 3 * 3600)


def test_a_clock_set_forward_by_days_takes_over_no_job_this_daemon_runs(queued_rt, monkeypatch):
    """Regression guard (stop 48; right already): a board that booted with fake-hwclock's saved
    time, NTP setting its clock three days forward while a scan runs. On SQLite the leases are
    this host's clock's: every lease had expired by the new clock, but the heartbeat renews the
    leases of the jobs in hand before it looks for expired ones, so the running scan is not
    taken over (and run twice)."""
    from metarrd.pipeline import leases
    from metarrd.pipeline.chain import Outcome

    job = jobs.enqueue_scan()
    taken: list = []
    heartbeat = leases.Heartbeat(queued_rt.config.queue.lease_seconds, send=taken.append)

    def walk(rt, job):
        real = db.now
        monkeypatch.setattr(db, "now", lambda: real() + timedelta(days=3))  # NTP's step
        heartbeat.tick(2)  # a beat: renew, then take over
        return Outcome("walked")

    monkeypatch.setitem(jobs.HANDLERS, "scan", walk)
    jobs.run_job(job.id)
    assert taken == []
    assert db.Job.get_by_id(job.id).state == jobs.DONE
