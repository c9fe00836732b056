"""Guessing the admin password: the lockout holds against parallel guesses (an attempt is counted
before its password is checked), counts the client behind a trusted reverse proxy and an IPv6
client's /64, and slows every check when many addresses guess together."""

from __future__ import annotations

import collections
import threading
import time

import pytest

from metarrd import db
from metarrd.web import attempts, auth, cookies, create_app
from tests.web.conftest import ModuleTime, cookie_name

PASSWORD = "correct horse"


@pytest.fixture
def public_app(config_factory, monkeypatch):
    # The password stored as a scrypt hash of work factor 2**10, not the product's 2**15: each
    # check still runs werkzeug's scrypt (and `counted_checks` makes it slow where checks must
    # overlap), in 2 ms instead of 100. These tests check hundreds of passwords to reach the
    # caps; what they prove is how many checks run, not what one costs. The product's own hash
    # is test_security.py's `test_password_is_stored_as_a_scrypt_hash`.
    real_hash = auth.generate_password_hash
    monkeypatch.setattr(
        auth,
        "generate_password_hash",
        lambda password, method: real_hash(password, "scrypt:1024:8:1"),
    )
    app = create_app(config_factory(web={"bind": "0.0.0.0:8787"}), testing=True)
    auth.set_password(PASSWORD)
    return app


def client(app, remote_addr: str, forwarded_for: str | None = None):
    """A browser at `remote_addr`; with `forwarded_for`, behind a proxy that sends that header."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = remote_addr
    if forwarded_for is not None:
        c.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return c


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


@pytest.fixture
def proxied_app(config_factory):
    """The documented reverse-proxy setup: loopback bind, nginx on the same host in front."""
    config = config_factory(
        web={
            "bind": "127.0.0.1:8787",
            "allowed_hosts": ["metarrd.example.com"],
            "trusted_proxies": ["127.0.0.1/32"],
        }
    )
    app = create_app(config, testing=True)
    auth.set_password(PASSWORD)
    return app


def test_behind_a_trusted_proxy_one_outside_guesser_cannot_lock_the_admin_out(proxied_app):
    attacker = client(proxied_app, "127.0.0.1", "203.0.113.9")
    for _ in range(auth.MAX_FAILURES):
        assert login(attacker, "nope").status_code == 401
    assert login(attacker, "nope").status_code == 429
    # nginx appends the real peer to a forged header: the attacker is still the attacker
    forged = client(proxied_app, "127.0.0.1", "198.51.100.7, 203.0.113.9")
    assert login(forged, PASSWORD).status_code == 429
    admin = client(proxied_app, "127.0.0.1", "198.51.100.7")
    assert login(admin, PASSWORD).status_code == 303
    assert admin.get("/").status_code == 200


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(public_app):
    """No trusted_proxies (the default): a header the client writes itself changes nothing."""
    for i in range(auth.MAX_FAILURES):
        assert login(client(public_app, "203.0.113.9", f"10.0.0.{i}"), "nope").status_code == 401
    assert login(client(public_app, "203.0.113.9", "10.0.0.99"), PASSWORD).status_code == 429
    assert login(client(public_app, "198.51.100.7"), PASSWORD).status_code == 303


def test_ipv6_addresses_of_one_64_are_one_client(public_app):
    for i in range(1, auth.MAX_FAILURES + 1):
        assert login(client(public_app, f"2001:db8::{i:x}"), "nope").status_code == 401
    for i in range(auth.MAX_FAILURES + 1, 12):
        assert login(client(public_app, f"2001:db8::{i:x}"), "nope").status_code == 429
    assert login(client(public_app, "2001:db8:0:1::1"), PASSWORD).status_code == 303


def test_many_addresses_guessing_together_get_one_check_every_half_minute(
    public_app, counted_checks, monkeypatch
):
    guessers = auth.OVERALL_FAILURES // auth.MAX_FAILURES
    for n in range(guessers):
        for _ in range(auth.MAX_FAILURES):
            assert login(client(public_app, f"203.0.113.{n}"), "nope").status_code == 401
    refused = login(client(public_app, "198.51.100.7"), PASSWORD)
    assert refused.status_code == 429
    assert "one password is checked every" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= auth.OVERALL_EVERY
    assert len(counted_checks) == auth.OVERALL_FAILURES
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=auth.OVERALL_EVERY + 1))
    assert login(client(public_app, "198.51.100.7"), PASSWORD).status_code == 303
    assert login(client(public_app, "198.51.100.8"), "nope").status_code == 401
    assert login(client(public_app, "198.51.100.9"), PASSWORD).status_code == 429


def fill_the_overall_cap(app) -> None:
    """Many addresses, five wrong passwords each, up to the cap over every address."""
    for n in range(auth.OVERALL_FAILURES // auth.MAX_FAILURES):
        for _ in range(auth.MAX_FAILURES):
            assert login(client(app, f"203.0.113.{n}"), "nope").status_code == 401


def test_the_admins_browser_gets_in_while_many_addresses_keep_every_check_busy(
    public_app, monkeypatch
):
    """Past the overall cap one password is checked every 30 s, whoever sends it, and a refused
    guess costs nothing: a botnet polling the login takes each check the moment it is free, and
    a person typing a password never gets one. A browser that has logged in before (its
    signed device cookie) is counted on its own, outside both caps."""
    admin = client(public_app, "198.51.100.7")
    assert login(admin, PASSWORD).status_code == 303
    fill_the_overall_cap(public_app)
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=auth.OVERALL_EVERY + 1))
    assert login(client(public_app, "203.0.113.200"), "nope").status_code == 401  # slot taken
    assert login(client(public_app, "198.51.100.8"), PASSWORD).status_code == 429
    assert login(admin, PASSWORD).status_code == 303
    assert admin.get("/").status_code == 200
    forged = client(public_app, "198.51.100.9")
    forged.set_cookie(cookie_name(public_app, cookies.DEVICE), "made-up", path="/login")
    assert login(forged, PASSWORD).status_code == 429


def test_a_guesser_at_the_admins_address_does_not_lock_the_admins_browser_out(public_app):
    """A reverse proxy without trusted_proxies (or a shared NAT): everyone has one address."""
    admin = client(public_app, "192.0.2.1")
    assert login(admin, PASSWORD).status_code == 303
    guesser = client(public_app, "192.0.2.1")
    for _ in range(auth.MAX_FAILURES):
        assert login(guesser, "nope").status_code == 401
    assert login(guesser, PASSWORD).status_code == 429
    assert login(admin, PASSWORD).status_code == 303


def test_a_known_browser_still_gets_five_guesses_in_the_window(public_app):
    """The device cookie is no way round the lockout: a stolen one buys five guesses, and the
    new password after a change is not the old browser's to guess (the cookie dies with it)."""
    c = client(public_app, "198.51.100.7")
    assert login(c, PASSWORD).status_code == 303
    cookie = c.get_cookie(cookie_name(public_app, cookies.DEVICE), path="/login")
    assert cookie is not None and cookie.http_only
    thief = client(public_app, "203.0.113.50")
    thief.set_cookie(cookie_name(public_app, cookies.DEVICE), cookie.value, path="/login")
    for _ in range(auth.MAX_FAILURES):
        assert login(thief, "nope").status_code == 401
    assert login(thief, PASSWORD).status_code == 429
    auth.set_password("battery staple")
    stranger = client(public_app, "198.51.100.20")
    stranger.set_cookie(cookie_name(public_app, cookies.DEVICE), cookie.value, path="/login")
    fill_the_overall_cap(public_app)
    assert login(stranger, "battery staple").status_code == 429


def test_refused_logins_do_not_flood_the_log(public_app, caplog, monkeypatch):
    """As the webhook's (test_auth_webhooks.py): a refused login costs nothing, and one warning
    each drowned the journal; one line a minute says how many there were."""
    now = [5000.0]
    monkeypatch.setattr(attempts, "clock", lambda: now[0])
    guesser = client(public_app, "203.0.113.9")
    for _ in range(auth.MAX_FAILURES):
        assert login(guesser, "nope").status_code == 401
    caplog.clear()
    for _ in range(30):
        assert login(guesser, "nope").status_code == 429
    now[0] += attempts.LOG_EVERY
    assert login(guesser, "nope").status_code == 429
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert lines == [
        "web login from 203.0.113.9 refused: too many failures",
        "web login from 203.0.113.9 refused: too many failures (and 29 more since the last line)",
    ]


def test_a_clock_set_back_does_not_lock_the_admin_out_for_longer_than_the_window(
    public_app, monkeypatch
):
    """A board without a real-time clock whose time NTP set back three hours (it had run
    ahead, or booted with a saved time that was): the five failures made before counted as
    made in the future, so the admin was refused for three hours and a quarter, not at most a
    quarter of an hour; a failure recorded in the future counts as made now."""
    c = public_app.test_client()
    for _ in range(auth.MAX_FAILURES):
        assert login(c, "nope").status_code == 401
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=-3 * 3600))
    refused = login(c, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= auth.FAILURE_WINDOW
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=-3 * 3600 + auth.FAILURE_WINDOW + 1))
    assert login(c, PASSWORD).status_code == 303


def test_the_admins_browser_is_still_known_after_the_clock_went_back(public_app, monkeypatch):
    """The browser that logged in before is let in past a guesser's lockout at its address
    (its device cookie). NTP then set the clock back three hours: the cookie, signed "in the
    future", was thrown away (itsdangerous: "Signature age < 0"), and the guesser's five
    failures locked the admin out with them."""
    import itsdangerous.timed

    admin = client(public_app, "192.0.2.1")
    assert login(admin, PASSWORD).status_code == 303
    back = ModuleTime(ahead=-3 * 3600)
    monkeypatch.setattr(itsdangerous.timed, "time", back)  # the cookie's signer's clock
    monkeypatch.setattr(cookies, "time", back)  # its reader's
    monkeypatch.setattr(auth, "time", back)
    monkeypatch.setattr(attempts, "time", back)
    guesser = client(public_app, "192.0.2.1")
    for _ in range(auth.MAX_FAILURES):
        assert login(guesser, "nope").status_code == 401
    assert login(guesser, PASSWORD).status_code == 429
    assert login(admin, PASSWORD).status_code == 303
