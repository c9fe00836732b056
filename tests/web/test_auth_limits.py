"""Guessing the admin password: the lockout holds against parallel guesses (an attempt is counted
before its password is checked)."""

from __future__ import annotations

import collections
import threading
import time

import pytest

from metarrd import db
from metarrd.web import auth, create_app

PASSWORD = "correct horse"


@pytest.fixture
def public_app(config_factory):
    app = create_app(config_factory(web={"bind": "0.0.0.0:8787"}), testing=True)
    auth.set_password(PASSWORD)
    return app


def token_of(c) -> str:
    page = c.get("/login").get_data(as_text=True)
    return page.split('"X-CSRF-Token": "')[1].split('"')[0]


def login(c, password: str, token: str | None = None):
    data = {"csrf_token": token or token_of(c), "password": password}
    return c.post("/login", data=data)


@pytest.fixture
def counted_checks(monkeypatch) -> list[str]:
    """Every password check that runs; each takes a while, as scrypt does on a slow NAS, so that
    parallel requests overlap."""
    checks: list[str] = []
    real = auth.check_password

    def slow_check(password: str) -> bool:
        checks.append(password)
        time.sleep(0.05)
        return real(password)

    monkeypatch.setattr(auth, "check_password", slow_check)
    return checks


def test_parallel_guesses_from_two_workers_get_at_most_the_limit_of_checks(
    public_app, counted_checks
):
    """gunicorn runs two workers of 16 threads: 40 guesses at once from one address, half to
    each worker, check at most five passwords; the others are told to wait."""
    workers = [public_app, create_app(public_app.config["METARRD"], testing=True)]
    clients = [workers[i % 2].test_client() for i in range(40)]
    tokens = [token_of(c) for c in clients]
    answers: collections.Counter[int] = collections.Counter()
    start = threading.Barrier(len(clients))

    def guess(i: int) -> None:
        start.wait()
        answers[login(clients[i], f"guess {i}", tokens[i]).status_code] += 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counted_checks) <= auth.MAX_FAILURES
    assert answers[401] == len(counted_checks) and answers[429] == 40 - len(counted_checks)
    assert login(clients[0], PASSWORD).status_code == 429  # still locked: the right one too


def test_a_locked_out_login_says_when_to_come_back(public_app, counted_checks):
    c = public_app.test_client()
    for _ in range(auth.MAX_FAILURES):
        assert login(c, "nope").status_code == 401
    refused = login(c, PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= auth.FAILURE_WINDOW
    assert len(counted_checks) == auth.MAX_FAILURES  # the refused one checked nothing


def test_a_successful_login_does_not_count_as_a_failure(public_app):
    """The attempt recorded before the check is taken back when the password is right; earlier
    failures from the address keep counting, as before."""
    c = public_app.test_client()
    assert login(c, "nope").status_code == 401
    for _ in range(auth.MAX_FAILURES + 1):
        assert login(public_app.test_client(), PASSWORD).status_code == 303
    assert db.LoginFailure.select().count() == 1
    for _ in range(auth.MAX_FAILURES - 1):
        assert login(c, "nope").status_code == 401
    assert login(c, PASSWORD).status_code == 429
