"""Guessing the webhook token: after ten wrong or missing tokens from one client address within
15 minutes that address gets 429 (with Retry-After) without a comparison, also for calls made in
parallel; the right token keeps working for every other client."""

from __future__ import annotations

import base64
import collections
import threading

import pytest

from metarrd import db
from metarrd.web import attempts, create_app, senders, webhooks
from tests.web.conftest import ModuleTime

TOKEN = "k3-Zr9vQ0xY2mW8pL5tN"
TEST_EVENT = b'{"eventType": "Test", "instanceName": "Radarr"}'


@pytest.fixture
def app(config_factory):
    config = config_factory(webhooks={"token": TOKEN}, web={"trusted_proxies": ["127.0.0.1/32"]})
    return create_app(config, testing=True)


def call(app, token: str | None, remote_addr: str, forwarded_for: str | None = None):
    environ = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded_for
    headers = {"X-Api-Key": token} if token is not None else {}
    return app.test_client().post(
        "/api/webhooks/radarr", data=TEST_EVENT, headers=headers, environ_base=environ
    )


def test_an_address_with_too_many_wrong_tokens_is_refused_and_others_are_not(app):
    for i in range(webhooks.MAX_FAILURES):
        token = f"guess-{i}" if i % 2 else None  # a missing token counts too
        assert call(app, token, "203.0.113.9").status_code == 401
    refused = call(app, "guess-again", "203.0.113.9")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= webhooks.FAILURE_WINDOW
    assert refused.get_json()["ok"] is False
    # no comparison any more: the right token tells the guesser nothing
    assert call(app, TOKEN, "203.0.113.9").status_code == 429
    assert call(app, TOKEN, "192.168.1.20").status_code == 200  # Radarr elsewhere: unaffected


def test_an_ipv6_guesser_rotating_in_its_64_is_one_address(app):
    for i in range(1, webhooks.MAX_FAILURES + 1):
        assert call(app, "guess", f"2001:db8::{i:x}").status_code == 401
    assert call(app, "guess", "2001:db8::ffff").status_code == 429
    assert call(app, TOKEN, "2001:db8:0:1::1").status_code == 200


def test_behind_a_trusted_proxy_each_client_counts_by_its_forwarded_address(app):
    for _ in range(webhooks.MAX_FAILURES):
        assert call(app, "guess", "127.0.0.1", "203.0.113.9").status_code == 401
    assert call(app, "guess", "127.0.0.1", "192.168.1.20, 203.0.113.9").status_code == 429
    assert call(app, TOKEN, "127.0.0.1", "192.168.1.20").status_code == 200


def test_the_right_token_does_not_count_as_a_failure(app):
    for _ in range(2 * webhooks.MAX_FAILURES):
        assert call(app, TOKEN, "192.168.1.20").status_code == 200
    for _ in range(webhooks.MAX_FAILURES):
        assert call(app, "guess", "192.168.1.20").status_code == 401
    assert call(app, "guess", "192.168.1.20").status_code == 429


def test_parallel_wrong_tokens_from_two_workers_get_at_most_the_limit(app):
    workers = [app, create_app(app.config["METARRD"], testing=True)]
    answers: collections.Counter[int] = collections.Counter()
    start = threading.Barrier(40)

    def guess(i: int) -> None:
        start.wait()
        answers[call(workers[i % 2], f"guess-{i}", "203.0.113.9").status_code] += 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers[401] <= webhooks.MAX_FAILURES
    assert answers[401] + answers[429] == 40


@pytest.mark.parametrize(
    "browser",
    [
        {"Origin": "https://evil.example", "Content-Type": "text/plain"},  # a cross-site form/fetch
        {"Origin": "null"},  # a sandboxed frame, a page opened from a file
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
    ],
)
def test_a_web_page_cannot_lock_radarr_on_the_same_computer_out(app, browser):
    """Any web page the admin opens can make the browser POST to 127.0.0.1:8787/api/webhooks/…
    (a "simple" cross-site request needs no CORS). Ten of those used to lock 127.0.0.1 out for a
    quarter of an hour, and with it Radarr running on the same computer. Radarr and Sonarr send
    neither Origin nor Sec-Fetch-* (their WebhookProxy, NzbDrone.Core/Notifications/Webhook/
    WebhookProxy.cs, sets Accept, Content-Type and basic auth): a request that does comes from
    a browser and is refused without being counted."""
    c = app.test_client()
    answers = [
        c.post(
            "/api/webhooks/radarr",
            data=TEST_EVENT,
            headers=browser,
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        for _ in range(3 * webhooks.MAX_FAILURES)
    ]
    assert call(app, TOKEN, "127.0.0.1").status_code == 200  # Radarr on this computer
    assert {a.status_code for a in answers} == {403}
    assert "browser" in answers[0].get_json()["message"]


@pytest.mark.parametrize("source", ["radarr", "sonarr"])
def test_a_url_typed_with_a_trailing_slash_is_the_same_webhook(app, source):
    client = app.test_client()
    url = f"/api/webhooks/{source}/"
    answer = client.post(url, data=TEST_EVENT, headers={"X-Api-Key": TOKEN})
    assert answer.status_code == 200 and answer.get_json()["event"] == "Test"
    assert client.put(url, data=TEST_EVENT, headers={"X-Api-Key": TOKEN}).status_code == 200
    assert client.post(url, data=TEST_EVENT).status_code == 401  # the token still applies
    assert client.post(url, data=TEST_EVENT, headers={"X-Api-Key": "wrong"}).status_code == 401


# a token with letters beyond ASCII, as a user types one into Radarr's or Sonarr's settings
UNICODE_TOKEN = "sésame-ouvre-toi-Grüße-€-k3Zr9vQ0"


@pytest.fixture
def unicode_app(config_factory):
    return create_app(config_factory(webhooks={"token": UNICODE_TOKEN}), testing=True)


def wsgi_header(value: str) -> str:
    """A header as a WSGI server puts it into the environ (PEP 3333, gunicorn and werkzeug's
    server alike): the bytes on the wire, here UTF-8 (curl with a token typed in a terminal),
    each byte one character (ISO-8859-1)."""
    return value.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize("source", ["radarr", "sonarr"])
def test_a_token_beyond_ascii_matches_as_the_wsgi_server_hands_it_over(unicode_app, source, caplog):
    """The header reached the app as `sÃ©same-…` (its UTF-8 bytes read as ISO-8859-1) and was
    compared, encoded to UTF-8 once more, with the configured `sésame-…`: never equal, so the
    right token got 401 and, after ten calls, 429. The bytes sent are compared with the UTF-8
    bytes of the configured token, and the token is never logged."""
    caplog.set_level("DEBUG")
    client = unicode_app.test_client()
    url = f"/api/webhooks/{source}"
    sent = {"HTTP_X_API_KEY": wsgi_header(UNICODE_TOKEN), "REMOTE_ADDR": "192.168.1.20"}
    answer = client.post(url, data=TEST_EVENT, environ_base=sent)
    assert answer.status_code == 200, answer.get_json()
    basic = base64.b64encode(f"sonarr:{UNICODE_TOKEN}".encode()).decode("ascii")
    answer = client.post(url, data=TEST_EVENT, headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200, answer.get_json()
    for wrong in ("sésame-ouvre-toi", UNICODE_TOKEN.encode("utf-8").decode("latin-1")):
        # a prefix, and the token's UTF-8 read as ISO-8859-1 and sent as UTF-8 again: wrong
        refused = client.post(url, data=TEST_EVENT, environ_base={
            "HTTP_X_API_KEY": wsgi_header(wrong), "REMOTE_ADDR": "192.168.1.20"})  # fmt: skip
        assert refused.status_code == 401
    logged = caplog.text
    assert "sésame" not in logged and wsgi_header("sésame") not in logged


LATIN_TOKEN = "sésame-ouvre-toi-Grüße-k3Zr9vQ0"  # every letter in ISO-8859-1


@pytest.mark.parametrize("source", ["radarr", "sonarr"])
def test_radarrs_and_sonarrs_basic_auth_beyond_ascii_matches(config_factory, source):
    """Radarr and Sonarr send their connection's Username and Password as basic auth encoded
    in ISO-8859-1 (src/NzbDrone.Common/Http/Dispatchers/ManagedHttpDispatcher.cs:
    `Encoding.GetEncoding("ISO-8859-1").GetBytes(authInfo)`), and a custom header only in ASCII
    (.NET's SocketsHttpHandler refuses any other). werkzeug decodes basic auth as UTF-8 and
    drops credentials that are not: a password `sésame…` got 401 whatever it was. Both
    encodings of the token match, and a header sent in ISO-8859-1 (Python's http.client, so
    `requests`, encodes a header so) too."""
    app = create_app(config_factory(webhooks={"token": LATIN_TOKEN}), testing=True)
    client = app.test_client()
    url = f"/api/webhooks/{source}"
    sonarrs = base64.b64encode(f"sonarr:{LATIN_TOKEN}".encode("latin-1")).decode("ascii")
    answer = client.post(url, data=TEST_EVENT, headers={"Authorization": f"Basic {sonarrs}"})
    assert answer.status_code == 200, answer.get_json()
    as_python_sends_it = {"HTTP_X_API_KEY": LATIN_TOKEN, "REMOTE_ADDR": "192.168.1.20"}
    assert client.post(url, data=TEST_EVENT, environ_base=as_python_sends_it).status_code == 200
    as_utf8 = {"HTTP_X_API_KEY": wsgi_header(LATIN_TOKEN), "REMOTE_ADDR": "192.168.1.20"}
    assert client.post(url, data=TEST_EVENT, environ_base=as_utf8).status_code == 200
    # a token beyond ISO-8859-1 reaches us from Radarr's basic auth with `?` for `€`: wrong
    euro = create_app(config_factory(webhooks={"token": UNICODE_TOKEN}), testing=True)
    mangled = UNICODE_TOKEN.encode("latin-1", "replace")
    basic = base64.b64encode(b"sonarr:" + mangled).decode("ascii")
    refused = euro.test_client().post(
        url, data=TEST_EVENT, headers={"Authorization": f"Basic {basic}"}
    )
    assert refused.status_code == 401


def test_a_refused_webhook_call_still_answers_with_ok_false(app):
    """A webhook answer's body is always `{"ok": bool, "message": ...}` (docs/interface.md), also
    when the shared error handler makes it: a payload over the webhooks' limit (413) had only
    `error` and `message`."""
    answer = app.test_client().post(
        "/api/webhooks/radarr",
        data=b"{" + b" " * (webhooks.MAX_BODY_BYTES + 1) + b"}",
        headers={"X-Api-Key": TOKEN, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.get_json()["ok"] is False and answer.get_json()["message"]


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    ("url", "headers", "hint"),
    [
        # the token typed in Username, Password left empty: WebhookProxy.cs sends
        # BasicNetworkCredential(Username, Password), ManagedHttpDispatcher.cs "user:" in base64
        ("/api/webhooks/radarr", _basic(TOKEN, ""), "a user name came, with no password"),
        # the token in the URL, as other apps take it: Radarr calls the URL as typed
        (f"/api/webhooks/sonarr?apikey={TOKEN}", {}, "a token in the URL is not read"),
        ("/api/webhooks/radarr", {}, "none was sent"),
    ],
    ids=["token-as-username", "token-in-url", "nothing"],
)
def test_a_missing_token_says_which_field_it_goes_in(app, url, headers, hint):
    """Radarr's and Sonarr's *Test* shows only "401 Unauthorized"; the body, in their log and
    ours, says which of the connection's fields the token goes in."""
    answer = app.test_client().post(url, data=TEST_EVENT, headers=headers)
    assert answer.status_code == 401
    message = answer.get_json()["message"]
    assert message.startswith("wrong or missing webhook token")
    assert hint in message and "Password" in message, message


def test_a_wrong_token_gets_no_hint(app):
    for headers in (_basic("radarr", "guess"), {"X-Api-Key": "guess"}):
        answer = app.test_client().post("/api/webhooks/radarr", data=TEST_EVENT, headers=headers)
        assert answer.get_json()["message"] == "wrong or missing webhook token"


def fill_the_overall_cap(app) -> None:
    """Many addresses (a botnet, the /64 networks of one IPv6 allocation), each below its own
    cap, up to the cap over every address together."""
    for n in range(webhooks.OVERALL_FAILURES // webhooks.MAX_FAILURES):
        for i in range(webhooks.MAX_FAILURES):
            assert call(app, f"guess-{n}-{i}", f"203.0.113.{n}").status_code == 401


def test_many_addresses_guessing_together_get_one_comparison_every_half_minute(app, monkeypatch):
    """Each address alone is capped at ten; past the cap over every address together, one token
    is compared every OVERALL_EVERY seconds, whoever sends it, so a botnet's guesses are
    bounded too. A new address with the right token is refused meanwhile (it cannot be told
    from a guesser without comparing its token): it gets through at the next free comparison."""
    fill_the_overall_cap(app)
    refused = call(app, "guess-more", "198.51.100.50")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= webhooks.OVERALL_EVERY
    assert "many addresses" in refused.get_json()["message"]
    assert call(app, TOKEN, "198.51.100.7").status_code == 429
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=webhooks.OVERALL_EVERY + 1))
    assert call(app, "guess-more", "198.51.100.50").status_code == 401  # the free comparison
    assert call(app, TOKEN, "198.51.100.7").status_code == 429  # the next is 30 s away


def test_radarr_that_sent_the_right_token_before_gets_through_a_botnets_guessing(app, monkeypatch):
    """The real Radarr and Sonarr, at an address that sent the right token before, are counted
    on their own, outside the cap over every address: guessers elsewhere cannot lock them out,
    however many. Still ten wrong tokens a window for them: being known buys no more guesses."""
    assert call(app, TOKEN, "192.168.1.20").status_code == 200  # Radarr, before the attack
    assert call(app, TOKEN, "2001:db8:5::20").status_code == 200  # Sonarr, over IPv6
    fill_the_overall_cap(app)
    monkeypatch.setattr(attempts, "time", ModuleTime(ahead=webhooks.OVERALL_EVERY + 1))
    assert call(app, "guess-more", "198.51.100.50").status_code == 401  # the free comparison
    assert call(app, TOKEN, "198.51.100.7").status_code == 429  # a new address waits
    for _ in range(3):
        assert call(app, TOKEN, "192.168.1.20").status_code == 200
        assert call(app, TOKEN, "2001:db8:5::21").status_code == 200  # its /64
    for i in range(webhooks.MAX_FAILURES):
        assert call(app, f"known-guess-{i}", "192.168.1.20").status_code == 401
    assert call(app, TOKEN, "192.168.1.20").status_code == 429


def test_an_address_is_known_for_a_while_and_few_are_kept(app, monkeypatch):
    """A sender is known for KNOWN_DAYS after its last right token, and only the
    KNOWN_SENDERS most recent ones are kept: the list cannot grow without end."""
    for n in range(webhooks.KNOWN_SENDERS + 5):
        assert call(app, TOKEN, f"10.0.{n}.1").status_code == 200
    fill_the_overall_cap(app)
    assert call(app, TOKEN, "10.0.0.1").status_code == 429  # the oldest were dropped
    assert call(app, TOKEN, f"10.0.{webhooks.KNOWN_SENDERS + 4}.1").status_code == 200
    monkeypatch.setattr(senders, "time", ModuleTime(ahead=webhooks.KNOWN_DAYS * 86400 + 60))
    assert not senders.known("webhook", f"10.0.{webhooks.KNOWN_SENDERS + 3}.1", webhooks.KNOWN_DAYS)


def test_a_senders_time_is_written_once_when_its_calls_come_together(app, monkeypatch):
    """Radarr's calls that come together (gunicorn's threads and workers) each read the
    sender's time before the first of them wrote it: each then wrote the meta row again, one
    write transaction under the write lock a call. The time is looked at again under it."""
    senders.remember("webhook", "192.168.1.20", webhooks.KNOWN_DAYS, webhooks.KNOWN_SENDERS)
    assert senders.known("webhook", "192.168.1.20", webhooks.KNOWN_DAYS)
    written = []
    monkeypatch.setattr(db, "set_meta", lambda key, value: written.append(key))
    stale = [{}]  # what a call read before the first one's write was committed
    read = senders._read
    monkeypatch.setattr(senders, "_read", lambda scope: stale.pop() if stale else read(scope))
    senders.remember("webhook", "192.168.1.20", webhooks.KNOWN_DAYS, webhooks.KNOWN_SENDERS)
    assert not stale and written == []


def test_refused_calls_do_not_flood_the_log(app, monkeypatch, caplog):
    """A refused call costs its sender nothing: a botnet sends thousands a second, and one
    warning each drowned the journal (journald drops a service's lines past its rate limit,
    the daemon's own with them). One line per kind of refusal a minute says how many came."""
    now = [5000.0]
    monkeypatch.setattr(attempts, "clock", lambda: now[0])
    for i in range(webhooks.MAX_FAILURES):
        assert call(app, f"guess-{i}", "203.0.113.9").status_code == 401
    browser = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    caplog.clear()
    for _ in range(100):
        assert call(app, "guess", "203.0.113.9").status_code == 429
        answer = app.test_client().post("/api/webhooks/radarr", data=TEST_EVENT, headers=browser)
        assert answer.status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == webhooks.log.name]
    assert len(lines) == 2, lines
    now[0] += attempts.LOG_EVERY
    caplog.clear()
    assert call(app, "guess", "203.0.113.9").status_code == 429
    lines = [r.getMessage() for r in caplog.records if r.name == webhooks.log.name]
    assert lines == [
        "Radarr webhook refused from 203.0.113.9: too many wrong tokens (and 99 more since the "
        "last line)"
    ]
