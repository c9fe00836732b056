"""PostgreSQL not taking work for a while: restarting (it refuses connections until it is up),
at its connection limit, or a standby after a failover (read-only). A job that meets it waits
and runs again; a web request gets a 503 page that needs no database. Runs only with
METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL set (.ci/services.sh).

`ALLOW_CONNECTIONS false` is what a server that is starting or at its connection limit does
to a new connection (a FATAL error at connect, before any statement: "the database system is
starting up", "sorry, too many clients already"); `default_transaction_read_only` is what a
promoted-away primary or a standby answers a write with."""

from __future__ import annotations

import contextlib
import hashlib

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.pipeline.chain import Outcome
from metarrd.runtime import open_runtime
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_URL, _admin_connection
from tests.scale.test_reconnect import drop_sessions

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)

NAME = TEST_DATABASE_URL.rsplit("/", 1)[-1]  # "" without the services (the tests skip)


def _alter(setting: str) -> None:
    conn = _admin_connection(TEST_DATABASE_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{NAME}" {setting}')
    finally:
        conn.close()


@contextlib.contextmanager
def refusing_connections():
    """The server down for new connections (its sessions dropped), until the block ends."""
    _alter("ALLOW_CONNECTIONS false")
    try:
        drop_sessions(but_mine=False)
        yield
    finally:
        _alter("ALLOW_CONNECTIONS true")


@contextlib.contextmanager
def read_only():
    """The database a standby now: every new session read-only, until the block ends."""
    _alter("SET default_transaction_read_only = on")
    try:
        drop_sessions(but_mine=False)
        yield
    finally:
        _alter("RESET default_transaction_read_only")
        drop_sessions(but_mine=False)  # the read-only sessions go


@pytest.fixture
def runtime(config_factory):
    rt = open_runtime(config_factory())
    queue.configure(rt.config)
    jobs.bind(rt)
    yield rt
    queue.configure(rt.config, immediate=True)
    rt.close()


def _a_job_meeting(runtime, monkeypatch, outage):
    lib = db.Library.get()
    item = db.Movie.create(library=lib, path=f"{lib.path}/Heat (1995)/Heat (1995).mkv")
    job = jobs.enqueue_enrich(item.id)

    def cut(rt, job):
        with outage():  # while the job runs; it is over when the job's end is recorded
            db.Movie.update(title="Heat").where(db.Movie.id == job.movie_id).execute()
        return Outcome("enriched")

    monkeypatch.setitem(jobs.HANDLERS, "enrich", cut)
    jobs.run_job(job.id)
    return db.Job.get_by_id(job.id), db.Movie.get_by_id(item.id)


def test_a_job_whose_connection_cannot_be_made_again_is_tried_again(runtime, monkeypatch):
    # PostgreSQL restarting: the job's next statement finds its connection dropped, and the
    # new one refused ("the database system is starting up"). The job was failed as a bug
    # ("internal error" on the item, the chain stopped) whenever the restart took longer
    # than the job's next statement.
    job, item = _a_job_meeting(runtime, monkeypatch, refusing_connections)
    assert job.state == "queued", job.message
    assert "database" in job.message and "retry 1 in" in job.message
    assert "internal error" not in (item.last_error or "")


def test_a_job_writing_to_a_standby_is_tried_again(runtime, monkeypatch):
    # failed over to a read-only server: "cannot execute UPDATE in a read-only transaction"
    job, item = _a_job_meeting(runtime, monkeypatch, read_only)
    assert job.state == "queued", job.message
    assert "read-only" in job.message and "retry 1 in" in job.message
    assert "internal error" not in (item.last_error or "")


@pytest.fixture
def client(config_factory):
    from metarrd.web import create_app

    app = create_app(config_factory(), testing=True)
    app.testing = False  # errors go to the handlers, as in production
    yield app.test_client()
    if not db.database.is_closed():
        db.database.close()


@pytest.mark.parametrize("url", ["/", "/settings", "/identify"])
def test_a_page_asked_for_while_postgresql_is_down_is_a_503_page(client, url):
    # the error page itself read the database (the login state, the jobs indicator): its
    # rendering failed again, and the browser got Flask's bare "500 Internal Server Error"
    assert client.get(url).status_code == 200
    with refusing_connections():
        answer = client.get(url)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    page = answer.get_data(as_text=True)
    assert "The database cannot be reached right now" in page and "Try again" in page
    assert client.get(url).status_code == 200  # and when it is back


def test_an_htmx_request_while_postgresql_is_down_gets_its_toast(client):
    with refusing_connections():
        answer = client.get("/", headers={"HX-Request": "true"})
    assert answer.status_code == 503
    assert 'id="toast"' in answer.get_data(as_text=True)
    assert "cannot be reached" in answer.get_data(as_text=True)


def test_an_edit_sent_to_a_standby_is_a_503_and_changes_nothing(client):
    # after a failover to a read-only server: "cannot execute UPDATE in a read-only
    # transaction" was logged as an unexpected error and answered 500
    import re

    lib = db.Library.get()
    movie = db.Movie.create(library=lib, path=f"{lib.path}/Heat (1995)/Heat (1995).mkv")
    page = client.get(f"/movies/{movie.id}").get_data(as_text=True)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    with read_only():
        answer = client.post(
            f"/movies/{movie.id}/fields/plot/lock",
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    assert answer.status_code == 503
    assert "cannot be reached" in answer.get_data(as_text=True)
    assert db.Movie.get_by_id(movie.id).locked_fields == []


@contextlib.contextmanager
def statement_timeout(limit: str):
    """The DBA's limit on every statement of the database's sessions (against runaway
    queries), as `ALTER DATABASE … SET statement_timeout` or `ALTER ROLE` sets it."""
    _alter(f"SET statement_timeout = '{limit}'")
    try:
        drop_sessions(but_mine=False)  # the sessions made from now on have it
        yield
    finally:
        _alter("RESET statement_timeout")
        drop_sessions(but_mine=False)


@contextlib.contextmanager
def held_elsewhere(lock_sql: str, key: int, seconds: float):
    """Another process (a long scan's transaction, another host's publish) holding an advisory
    lock for `seconds`."""
    import threading
    import time

    import psycopg2

    from tests.conftest import TEST_DATABASE_URL as url

    other = psycopg2.connect(url, options="-c statement_timeout=0")
    taken = threading.Event()

    def hold():
        with other.cursor() as cur:
            cur.execute(lock_sql, (key,))
            taken.set()
            time.sleep(seconds)
        other.rollback()  # ends the transaction, and with it a transaction lock
        other.close()  # and a session lock

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(10)
    try:
        yield
    finally:
        holder.join()


def test_waiting_for_the_write_lock_is_not_cut_by_the_dbas_statement_timeout(runtime):
    import peewee as pw

    with statement_timeout("300ms"):
        # "canceling statement due to statement timeout": the job failed as a bug
        lock = "SELECT pg_advisory_xact_lock(%s)"
        with held_elsewhere(lock, db.WRITE_LOCK_KEY, 1.5), db.write_transaction():
            db.set_meta("probe", "written")
        assert db.get_meta("probe") == "written"
        with pytest.raises(pw.DatabaseError, match="statement timeout"):
            db.database.execute_sql("SELECT pg_sleep(2)")  # the limit still holds after
        db.database.close()


def test_waiting_for_a_folder_another_host_publishes_is_not_cut_either(runtime, tmp_path):
    from metarrd.publish.stage import _folder_lock

    folder = tmp_path / "movies" / "Heat (1995)"
    key = int.from_bytes(hashlib.sha256(str(folder).encode()).digest()[:8], "big", signed=True)
    with statement_timeout("300ms"):
        db.database.execute_sql("SELECT 1")  # connected again, with the limit
        with held_elsewhere("SELECT pg_advisory_lock(%s)", key, 1.5), _folder_lock(runtime, folder):
            held = db.database.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted"
            ).fetchone()[0]
        assert held == 1


def test_a_command_while_postgresql_refuses_connections_says_so_in_one_line(
    config_factory, tmp_path, capsys
):
    # `metarrd list` (or `metarrd run` at start) ended in a peewee.OperationalError traceback
    from metarrd.cli import main

    config = config_factory()
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{config.data_dir}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
        f'[database]\nurl = "{TEST_DATABASE_URL}"\n'
    )
    with refusing_connections():
        code = main(["--config", str(path), "list"])
    said = capsys.readouterr().err
    assert code == 1
    assert "the database cannot be reached" in said and "not currently accepting" in said
    assert "Traceback" not in said


def test_healthz_while_postgresql_is_down_answers_its_own_body(client):
    # a load balancer or systemd watchdog reads which check failed (docs/interface.md §4.3): the
    # per-request connect failed before the health view ran, and /healthz answered the generic
    # {"ok": false, "error": "Service Unavailable", "message": ...} instead
    assert client.get("/healthz").get_json()["ok"] is True
    with refusing_connections():
        answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["ok"] is False
    assert body["database"] == "error"
    assert body["queue"].startswith("ok")  # Redis answers: checked as usual
    assert body["jobs_queued"] is None
    assert "message" not in body
    assert client.get("/healthz").get_json()["database"].startswith("ok")  # and when it is back
