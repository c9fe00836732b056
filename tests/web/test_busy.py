"""A busy database (the daemon writing all the time) never fails a request: handlers keep no
read open while they write, write through `db.write_transaction()`, and retry when SQLite still
says it is busy."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from metarrd import db
from metarrd.web import busy
from tests.conftest import TEST_DATABASE_URL


class Writer:
    """The daemon, as the database sees it: another connection committing small writes back to
    back (each its own BEGIN IMMEDIATE ... COMMIT)."""

    def __init__(self, path, pause: float = 0.0005) -> None:
        self.conn = sqlite3.connect(str(path), timeout=15, isolation_level=None,
                                    check_same_thread=False)  # fmt: skip
        self.conn.execute("PRAGMA busy_timeout = 15000")
        self.pause = pause
        self.stop = threading.Event()
        self.commits = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO events (created_at, kind, level, message, data) "
                "VALUES (datetime('now'), 'daemon.tick', 'info', 'tick', '{}')"
            )
            self.conn.execute("COMMIT")
            self.commits += 1
            time.sleep(self.pause)

    def wait_for(self, commits: int, timeout: float = 15.0) -> None:
        """Until the writer has made `commits` commits in all: it writes alongside what follows
        (asserted, not assumed from how long the test's own requests take)."""
        deadline = time.monotonic() + timeout
        while self.commits < commits:
            assert time.monotonic() < deadline, f"the writer stopped at {self.commits} commits"
            time.sleep(0.001)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.conn.close()


@pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="SQLite's write lock (PostgreSQL has no file to hold)"
)
def test_bulk_publish_of_32_items_while_the_daemon_writes_never_fails(client, seed, config):
    ids = seed.many(32, identification_status=db.ENRICHED)
    statuses = []
    with Writer(config.db_path) as writer:
        for _ in range(5):
            writer.wait_for(writer.commits + 5)  # the daemon writing as the round begins
            answer = client.post("/bulk", {"action": "publish", "ids": [str(i) for i in ids]})
            statuses.append(answer.status_code)
            assert db.Job.select().count() == 32
            db.Job.delete().execute()  # the next round queues them all again
    assert writer.commits >= 25  # the daemon wrote all along (5 rounds, 5 commits before each)
    assert statuses == [303] * 5


def test_a_busy_error_is_retried(monkeypatch):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise db.pw.OperationalError("database is locked")
        return "done"

    monkeypatch.setattr(busy, "DELAYS", (0.0, 0.0, 0.0))
    assert busy.retrying(flaky) == "done" and len(calls) == 3
    with pytest.raises(db.pw.OperationalError, match="no such table"):
        busy.retrying(lambda: (_ for _ in ()).throw(db.pw.OperationalError("no such table")))


def test_a_database_that_stays_busy_is_a_503_not_a_500(client, seed, monkeypatch):
    from metarrd.web import actions

    def locked(*args, **kwargs):
        raise db.pw.OperationalError("database is locked")

    monkeypatch.setattr(busy, "DELAYS", (0.0,))
    monkeypatch.setattr(actions, "queue_action", locked)
    movie = seed.movie("The Matrix")
    answer = client.post("/bulk", {"action": "publish", "ids": [str(movie.id)]})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert "busy" in answer.get_data(as_text=True)
