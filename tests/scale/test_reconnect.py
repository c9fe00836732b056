"""PostgreSQL restarted or failed over under running workers (docs/scale-out.md). The server
dropping every session is what a restart, a failover or an idle-session kill look like to a
worker; `pg_terminate_backend` does exactly that. Runs only with METARRD_TEST_DATABASE_URL and
METARRD_TEST_QUEUE_URL set (.ci/services.sh)."""

from __future__ import annotations

import contextlib

import peewee as pw
import pytest

from metarrd import db
from metarrd.config import load_config
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_NAME, TEST_QUEUE_URL, _admin_connection
from tests.scale.test_two_workers import Host, host_config, wait_for

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)


def drop_sessions(*, but_mine: bool = True) -> int:
    """What a restart of PostgreSQL does to its clients: every session of the test database
    (except this process's own, unless told) is ended by the server."""
    name = TEST_DATABASE_URL.rsplit("/", 1)[1]
    mine = db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0] if but_mine else 0
    conn = _admin_connection(TEST_DATABASE_URL)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()",
                (name, mine),
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_a_connection_the_server_dropped_is_replaced(config_factory):
    rt = open_runtime(config_factory())
    try:
        db.Job.create(kind="scan", key="scan", state="queued")
        assert drop_sessions(but_mine=False) >= 1
        assert db.Job.select().count() == 1  # the statement after the drop: a new connection
        drop_sessions(but_mine=False)
        with db.write_transaction():  # and a transaction's BEGIN
            db.Job.update(state="done").execute()
        assert db.Job.get().state == "done"
    finally:
        rt.close()


@contextlib.contextmanager
def _a_worker_that_scanned(tmp_path, sim):
    """A worker host and this process's runtime on the test services, the worker's first scan
    done (its threads connected): the worker, stopped at the end."""
    (tmp_path / "movies").mkdir()
    config = host_config(tmp_path, "host-a", sim, workers=1)
    worker = Host(config, "worker")
    rt = open_runtime(load_config(config))
    try:
        queue.configure(rt.config)
        jobs.bind(rt)
        first = jobs.enqueue_scan([tmp_path / "movies"])
        wait_for(lambda: db.Job.get_by_id(first.id).state == "done", 20, "a first scan", worker)
        yield worker
    finally:
        worker.stop()
        rt.close()


def test_workers_go_on_after_postgresql_dropped_their_connections(tmp_path, sim):
    """Every worker thread's connection died with the server; none was ever made again, so no
    job ran any more (and no lease was renewed) until the workers were restarted by hand."""
    with _a_worker_that_scanned(tmp_path, sim) as worker:
        assert drop_sessions() >= 1  # the worker's threads, its heartbeat, its main thread
        second = jobs.enqueue_scan([tmp_path / "movies"])
        wait_for(lambda: db.Job.get_by_id(second.id).state == "done", 20, "a scan after", worker)
        assert "connecting again" in worker.text()


def test_workers_go_on_after_redis_restarted_without_its_data(tmp_path, sim):
    """Redis restarted (no persistence): every connection dropped, every message gone. A job
    queued before is sent again by the workers (its row is the truth); one queued after runs."""
    from redis import Redis

    with _a_worker_that_scanned(tmp_path, sim) as worker:
        with db.write_transaction():  # a job whose message was in Redis when it restarted
            lost, _ = jobs._queue_row("probe", None, {"providers": ["tmdb"]}, manual=True)
        client = Redis.from_url(TEST_QUEUE_URL)
        client.delete("none", *client.keys(f"huey.*.{TEST_QUEUE_NAME}*"))  # the restart
        client.client_kill_filter(_type="normal", skipme=True)
        client.close()
        second = jobs.enqueue_scan([tmp_path / "movies"])
        wait_for(lambda: db.Job.get_by_id(second.id).state == "done", 20, "a scan after", worker)
        # the lost message: sent again once its job waited longer than a lease (10 s here)
        wait_for(lambda: db.Job.get_by_id(lost.id).state == "done", 30, "the lost job", worker)


def test_a_publish_whose_folder_lock_died_with_its_connection_stops(config_factory, tmp_path):
    """A publish holds its folder's lock as a PostgreSQL session lock. The connection lost (a
    restart, a failover) takes the lock with it: going on, on a new connection, would write
    into the folder while another host may publish it too. The work under the lock fails
    instead, and the next statement after it connects again."""
    from metarrd.publish.stage import _folder_lock

    rt = open_runtime(config_factory())
    try:
        folder = tmp_path / "movies" / "Heat (1995)"
        with pytest.raises(pw.DatabaseError), _folder_lock(rt, folder):
            drop_sessions(but_mine=False)
            db.Job.select().count()  # what the publish does next under the lock
        assert db.Job.select().count() == 0  # after it: a new connection
        with _folder_lock(rt, folder):  # and the lock can be taken again
            held = db.database.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid()"
            ).fetchone()[0]
        assert held == 1
    finally:
        rt.close()


def test_a_job_cut_by_a_postgresql_restart_is_tried_again_not_failed(config_factory, monkeypatch):
    """PostgreSQL restarted (or failed over) while jobs ran: the statement a job made next
    failed with "terminating connection due to administrator command", and the job was
    recorded failed with an "internal error" on its item, as for a bug: the chain stopped
    there (no enrich after the identify), and every job that ran at that moment had to be
    found and retried by hand. It is now tried again later, as for a provider that is down."""
    from metarrd.pipeline.chain import Outcome

    rt = open_runtime(config_factory())
    try:
        queue.configure(rt.config)
        jobs.bind(rt)
        lib = db.Library.get()
        item = db.Movie.create(library=lib, path=f"{lib.path}/Heat (1995)/Heat (1995).mkv")
        job = jobs.enqueue_enrich(item.id)

        def cut(rt, job):
            with db.write_transaction():
                drop_sessions(but_mine=False)  # the restart, while the job writes
                db.Movie.update(title="Heat").where(db.Movie.id == job.movie_id).execute()
            return Outcome("enriched")

        monkeypatch.setitem(jobs.HANDLERS, "enrich", cut)
        jobs.run_job(job.id)
        after = db.Job.get_by_id(job.id)
        assert after.state == "queued", after.message
        assert "database" in after.message and "retry 1 in" in after.message
        assert "internal error" not in (db.Movie.get_by_id(item.id).last_error or "")
    finally:
        queue.configure(rt.config, immediate=True)
        rt.close()
