"""The lease heartbeat's look for queued jobs without a message (`jobs.resend_stranded`) on the
shared PostgreSQL database and Redis queue: what one look costs with a long queue (counted:
statements, Redis commands and the rows and messages they hand back, never timed), and that a
stranded job is still sent again. Runs only with METARRD_TEST_DATABASE_URL and
METARRD_TEST_QUEUE_URL set (.ci/services.sh)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_URL

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)

WAITING = 5000  # a Settings catch-up's backlog, or a bulk enrich of a large library


@pytest.fixture
def rt(config_factory, simulator, monkeypatch):
    config = config_factory(simulator)
    runtime = open_runtime(config)
    queue.configure(config)  # messages go to Redis; nothing consumes them here
    jobs.bind(runtime)
    monkeypatch.setitem(jobs._stranded_after, "id", 0)  # no earlier test's point
    yield runtime
    queue.configure(config, immediate=True)
    runtime.close()


class Cost:
    """Statements and Redis commands made, and the rows and messages they handed back."""

    def __init__(self, monkeypatch) -> None:
        self.statements = self.rows = self.commands = self.messages = 0
        database, conn = db.database.obj, queue.huey.storage.conn
        execute_sql = database.execute_sql
        command = conn.execute_command

        def counted_sql(sql, params=None, *args, **kwargs):
            cursor = execute_sql(sql, params, *args, **kwargs)
            self.statements += 1
            if sql.lstrip().upper().startswith("SELECT") and cursor.description:
                self.rows += max(cursor.rowcount, 0)
            return cursor

        def counted_command(*args, **options):
            answer = command(*args, **options)
            self.commands += 1
            if isinstance(answer, list):
                self.messages += len(answer)
            return answer

        monkeypatch.setattr(database, "execute_sql", counted_sql)
        monkeypatch.setattr(conn, "execute_command", counted_command)

    def __repr__(self) -> str:
        return (
            f"{self.statements} statements ({self.rows} rows), "
            f"{self.commands} Redis commands ({self.messages} messages)"
        )


def waiting_jobs(count: int) -> list[int]:
    """`count` enrich jobs queued five minutes ago, each with its message waiting in Redis."""
    lib = db.Library.get()
    old = db.now() - timedelta(minutes=5)
    with db.database.atomic():
        db.Movie.insert_many(
            [{"library": lib, "path": f"{lib.path}/Film {n}/Film {n}.mkv"} for n in range(count)]
        ).execute()
        ids = [m.id for m in db.Movie.select(db.Movie.id).order_by(db.Movie.id)]
        db.Job.insert_many(
            [
                {
                    "kind": "enrich",
                    "movie": mid,
                    "key": f"enrich:{mid}",
                    "state": "queued",
                    "payload": {},
                    "message": "queued",
                    "created_at": old,
                }
                for mid in ids
            ]
        ).execute()
    job_ids = [j.id for j in db.Job.select(db.Job.id).order_by(db.Job.id)]
    for job_id in job_ids:
        jobs.job_task(job_id)
    return job_ids


def test_a_heartbeat_with_thousands_of_jobs_waiting_reads_a_bounded_part(rt, monkeypatch):
    """Every lease/2 seconds each worker's heartbeat read every queued job and every waiting
    message, to find those without one: after a large catch-up (5,000 jobs waiting) one look
    read 5,000 rows and 5,000 messages, every 30 seconds on every worker, while the jobs
    waited for their turn."""
    waiting_jobs(WAITING)
    cost = Cost(monkeypatch)
    assert jobs.resend_stranded(60) == 0
    print(f"one look, {WAITING} jobs waiting: {cost}")
    assert cost.rows <= jobs.STRANDED_BATCH
    assert cost.messages <= jobs.STRANDED_BATCH
    assert cost.commands <= 4 and cost.statements <= 2


def test_a_stranded_job_behind_a_long_queue_is_still_sent_again(rt, monkeypatch):
    """A worker killed after taking a job's message and before claiming it, while thousands of
    others wait: the job gets a message again once the queue is shorter than a look reads."""
    monkeypatch.setattr(jobs, "STRANDED_BATCH", 50)
    ids = waiting_jobs(120)
    stranded = ids[100]
    kept = [t for t in queue.huey.pending() if t.args != (stranded,)]
    queue.huey.storage.flush_queue()  # its message: taken by the worker that died
    for task in kept:  # oldest first, as they were
        queue.huey.enqueue(task)
    assert jobs.resend_stranded(60) == 0  # 119 messages wait: their jobs come first
    for _ in range(119 - 40):  # workers take them and run their jobs
        taken = queue.huey.dequeue().args[0]
        db.Job.update(state="done").where(db.Job.id == taken).execute()
    cost = Cost(monkeypatch)
    sent, looks = 0, 0
    while not sent:  # each look reads the next jobs; none is left out
        sent = jobs.resend_stranded(60)
        looks += 1
        assert looks <= 4
    assert sent == 1
    assert queue.message_job_ids() >= {stranded}
    assert cost.rows <= looks * 50 and cost.messages <= looks * 50 * 2


def test_every_job_of_a_queue_redis_lost_is_sent_again_in_one_look(rt, monkeypatch):
    """Redis restarted without its data while a long queue waited: one look sends every job
    again (as a worker's start does), not one batch per look."""
    monkeypatch.setattr(jobs, "STRANDED_BATCH", 50)
    ids = waiting_jobs(120)
    queue.flush()  # the restart
    assert jobs.resend_stranded(60) == 120
    assert queue.message_job_ids() == set(ids)
    cost = Cost(monkeypatch)
    assert jobs.resend_stranded(60) == 0  # 120 messages wait: nothing read
    assert (cost.statements, cost.commands) == (0, 1)


def test_a_heartbeat_with_thousands_of_retries_waiting_reads_a_bounded_part(rt, monkeypatch):
    """TMDB down during a large catch-up: 5,000 jobs wait for their retry, their messages in
    the schedule. One look read them all, every 30 seconds on every worker."""
    ids = waiting_jobs(WAITING)
    later = time.time() + 3600
    db.Job.update(payload={"due": later}).execute()
    queue.huey.storage.flush_queue()
    for job_id in ids:
        jobs.job_task.schedule((job_id,), delay=3600)
        queue.huey.add_schedule(queue.huey.dequeue())  # a consumer put it in the schedule
    cost = Cost(monkeypatch)
    assert jobs.resend_stranded(60) == 0
    print(f"one look, {WAITING} retries waiting: {cost}")
    assert cost.rows <= jobs.STRANDED_BATCH and cost.messages <= jobs.STRANDED_BATCH


def test_jobs_waiting_for_a_long_scan_are_not_taken_for_stranded(rt, monkeypatch):
    """A full rescan walking while a catch-up's jobs wait: their items busy, their messages sit
    in the schedule, a few seconds ahead each. A look read only the soonest of them and took
    every other job for one without a message: it sent them all again, and each duplicate,
    busy in its turn, stayed in the schedule as long as the scan ran."""
    monkeypatch.setattr(jobs, "STRANDED_BATCH", 50)
    ids = waiting_jobs(120)
    queue.huey.storage.flush_queue()
    for job_id in reversed(ids):  # busy: tried again a few seconds later (jobs.run_job), in
        # the order the workers found them busy, not the jobs' own
        jobs.job_task.schedule((job_id,), {"busy": 3}, delay=8)
        queue.huey.add_schedule(queue.huey.dequeue())  # a consumer put it in the schedule
    assert jobs.resend_stranded(60) == 0
    assert queue.huey.pending_count() == 0


def test_a_stranded_job_is_sent_again_while_more_retries_than_a_look_reads_are_due(rt, monkeypatch):
    """TMDB down during a catch-up: more jobs than a look reads wait for their first retry,
    30 s from now, in the schedule; one job beside them lost its message (its worker died).
    Counting messages due within SQLite's lock back-off (2 min) on PostgreSQL too, which has
    no such lock, a look saw "more due soon than it reads" and sent nothing while the retries
    kept coming due; a retry's job waits for its own time (its payload's `due`) and is no
    stranded one, so only busy jobs' messages (seconds ahead) need to be read here."""
    monkeypatch.setattr(jobs, "STRANDED_BATCH", 50)
    ids = waiting_jobs(61)
    stranded, retried = ids[0], ids[1:]
    queue.huey.storage.flush_queue()
    delay = jobs.RETRY_DELAYS[0]
    db.Job.update(payload={"due": time.time() + delay}).where(db.Job.id.in_(retried)).execute()
    for job_id in retried:
        jobs.job_task.schedule((job_id,), delay=delay)
        queue.huey.add_schedule(queue.huey.dequeue())  # a consumer put it in the schedule
    assert jobs.resend_stranded(60) == 1
    assert [t.args for t in queue.huey.pending()] == [(stranded,)]
