"""Security: CSRF on every state-changing request, login whenever the UI can be reached from
elsewhere (or a password is set), session expiry, safe error pages, path-confined images, no key
ever shown."""

from __future__ import annotations

import io

import pytest

from metarrd import db, workflow
from metarrd.web import auth, cookies, create_app
from tests.web.conftest import ModuleTime, Seeder, cookie_name

# Every state-changing route of the UI (webhooks authenticate with their own token).
POST_ROUTES = [
    "/movies/{id}/enrich",
    "/movies/{id}/publish",
    "/movies/{id}/republish",
    "/bulk",
    "/movies/{id}/fields/plot",
    "/movies/{id}/fields/plot/lock",
    "/assets/{asset}/use",
    "/movies/{id}/artwork/poster/lock",
    "/movies/{id}/artwork/undo",
    "/settings/scan",
    "/settings/artwork",
    "/movies/{id}/artwork/poster/add",
    "/settings/providers/tmdb/test",
    "/movies/{id}/identify",
    "/movies/{id}/search",
    "/movies/{id}/episode-order",
    "/jobs/{job}/retry",
    "/settings/workflow/auto_publish",
    "/settings/players/0/test",
    "/logout",
]


def test_every_post_route_of_the_ui_is_listed_here(app):
    posts = {
        r.rule
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and not r.endpoint.startswith("webhooks.")
    }
    listed = {
        p.replace("{id}", "<int:movie_id>")
        .replace("{asset}", "<int:asset_id>")
        .replace("{job}", "<int:job_id>")
        for p in POST_ROUTES
    }
    normalised = {
        r.replace("<any(enrich, publish, republish):action>", "enrich")
        .replace("<op>", "use")
        .replace("<name>", "plot")
        .replace("<provider>", "tmdb")
        .replace("<asset_type>", "poster")
        .replace("<stage>", "auto_publish")
        .replace("<int:index>", "0")
        for r in posts
    }
    listed = {p.replace("/publish", "/enrich").replace("/republish", "/enrich") for p in listed}
    assert normalised == listed | {"/login"}


@pytest.mark.parametrize("route", POST_ROUTES)
def test_post_without_csrf_token_is_refused_and_changes_nothing(client, seed, route):
    movie = seed.movie("The Matrix", plot="old")
    asset = seed.asset(movie)
    job = db.Job.create(kind="enrich", movie=movie, key="enrich:1", state="failed")
    url = route.format(id=movie.id, asset=asset.id, job=job.id)
    before = db.Event.select().count(), db.Job.select().count()
    assert client.token  # the session has a token: a wrong one is compared with it
    # a token that is not ASCII (hmac.compare_digest refuses such str: TypeError) was a 500
    for headers, token in (
        ({}, None),
        ({"HX-Request": "true"}, None),
        ({"X-CSRF-Token": "forged"}, None),
        ({"X-CSRF-Token": "ÿ"}, None),
        ({}, "jetón"),
    ):
        data = {"value": "new", "id": "603"} | ({"csrf_token": token} if token else {})
        answer = client.c.post(url, data=data, headers=headers)
        assert answer.status_code == 400, (url, headers, token)
        assert "out of date or came from another site" in answer.get_data(as_text=True)
    assert (db.Event.select().count(), db.Job.select().count()) == before
    assert db.Movie.get_by_id(movie.id).plot == "old"


def test_htmx_requests_carry_the_token_in_a_header(client, seed):
    movie = seed.movie("The Matrix")
    page = client.get("/").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{client.token}"}}\'' in page
    answer = client.c.post(
        f"/movies/{movie.id}/fields/plot/lock",
        headers={"HX-Request": "true", "X-CSRF-Token": client.token},
    )
    assert answer.status_code == 200


def test_loopback_without_password_needs_no_login(client):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 302  # nothing to log in to


@pytest.fixture
def public_app(config_factory):
    config = config_factory(web={"bind": "0.0.0.0:8787", "session_hours": 2})
    app = create_app(config, testing=True)
    yield app


def token_of(c, url: str = "/login") -> str:
    page = c.get(url).get_data(as_text=True)
    return page.split('"X-CSRF-Token": "')[1].split('"')[0]


def login(c, password: str):
    token = token_of(c)
    return c.post("/login?next=/settings", data={"csrf_token": token, "password": password})


def test_public_bind_requires_login_and_refuses_everyone_without_a_password(public_app):
    c = public_app.test_client()
    answer = c.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert "metarrd passwd" in c.get("/login").get_data(as_text=True)
    assert login(c, "anything").status_code == 403
    assert c.get("/healthz").status_code == 200  # health stays public
    assert c.get("/static/app.css").status_code == 200
    assert c.get("/live").status_code == 401
    assert c.get("/", headers={"HX-Request": "true"}).headers.get("HX-Redirect") == "/login"


def test_login_logout_and_wrong_password(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    wrong = login(c, "wrong horse")
    assert wrong.status_code == 401 and "Wrong password." in wrong.get_data(as_text=True)
    ok = login(c, "correct horse")
    assert ok.status_code == 303 and ok.headers["Location"] == "/settings"
    assert c.get("/").status_code == 200
    c.post("/logout", data={"csrf_token": token_of(c, "/settings")})
    assert c.get("/").status_code == 302


def test_the_login_page_offers_no_navigation_to_pages_it_stands_in_front_of(public_app):
    # Found on the demo with a password set: the login page showed the bar's Library,
    # Identify, Health, Activity and Settings, each of which only led back to the login.
    auth.set_password("correct horse")
    c = public_app.test_client()
    for page in (c.get("/login").get_data(as_text=True), login(c, "wrong").get_data(as_text=True)):
        assert 'id="password"' in page
        assert '<nav aria-label="Main">' not in page and ">Settings</a>" not in page
    login(c, "correct horse")
    assert '<nav aria-label="Main">' in c.get("/").get_data(as_text=True)


def test_a_password_turns_the_login_on_even_on_loopback(client):
    auth.set_password("correct horse")
    assert client.get("/").status_code == 302


@pytest.fixture
def proxied_app(config_factory):
    """The reverse proxy set-up of docs/security.md: a loopback bind, the public name in
    allowed_hosts, nginx on this host, and no admin password set (yet)."""
    config = config_factory(
        web={"allowed_hosts": ["metarrd.example.com"], "trusted_proxies": ["127.0.0.1/32"]}
    )
    return create_app(config, testing=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "metarrd.example.com", "X-Forwarded-For": "203.0.113.5"},
        {"Host": "metarrd.example.com"},  # a proxy that sends no X-Forwarded-For
        {"Host": "127.0.0.1:8787", "X-Forwarded-For": "203.0.113.5"},  # the proxy's own Host
        {"Host": "127.0.0.1:8787", "X-Real-IP": "203.0.113.5"},
        {"Host": "127.0.0.1:8787", "Forwarded": "for=203.0.113.5;proto=https"},
    ],
)
def test_a_loopback_ui_reached_through_a_reverse_proxy_asks_for_a_login(proxied_app, headers):
    """A loopback bind means "only this computer" only while no proxy forwards to it: a visitor
    from the internet must not get the library, nor switch auto_publish on, for want of a
    password (nobody gets in until one is set, as with a public bind)."""
    c = proxied_app.test_client()
    page = c.get("/", headers=headers)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert c.get("/settings", headers=headers).status_code == 302
    login_page = c.get("/login", headers=headers).get_data(as_text=True)
    assert "metarrd passwd" in login_page
    token = login_page.split('"X-CSRF-Token": "')[1].split('"')[0]
    switched = c.post(
        "/settings/workflow/auto_publish",
        data={"csrf_token": token, "value": "on"},
        headers={**headers, "Origin": "https://metarrd.example.com"},
    )
    assert switched.status_code == 302 and "/login" in switched.headers["Location"]
    assert workflow.is_enabled(proxied_app.config["METARRD"], "auto_publish") is False


def test_a_browser_on_this_computer_still_needs_no_login_with_a_proxy_configured(proxied_app):
    c = proxied_app.test_client()
    assert c.get("/", headers={"Host": "localhost:8787"}).status_code == 200
    assert c.get("/", headers={"Host": "127.0.0.1:8787"}).status_code == 200
    assert c.get("/", headers={"Host": "[::1]:8787"}).status_code == 200


def session_cookie(answer) -> str:
    return next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("metarrd_session_"))


def test_over_https_the_session_cookie_is_secure(public_app):
    """Without `Secure`, the cookie of a UI served over HTTPS also goes out over plain HTTP: a
    person on the same network (a café's Wi-Fi) makes the browser load any http:// address of
    that host and reads the session, admin login included, off the air."""
    auth.set_password("correct horse")
    c = public_app.test_client()
    base = "https://10.0.0.1/"
    token = c.get("/login", base_url=base).get_data(as_text=True)
    token = token.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = c.post(
        "/login", base_url=base, data={"csrf_token": token, "password": "correct horse"}
    )
    assert answer.status_code == 303
    cookie = session_cookie(answer)
    assert "; Secure" in cookie and "HttpOnly" in cookie
    plain = session_cookie(public_app.test_client().get("/login", base_url="http://10.0.0.1/"))
    assert "Secure" not in plain  # a browser would not keep it over plain HTTP


def test_behind_a_tls_proxy_the_session_cookie_is_secure(config_factory):
    """A TLS proxy speaks plain HTTP to us and says `X-Forwarded-Proto: https`; only a proxy in
    `[web] trusted_proxies` is believed."""
    config = config_factory(web={"bind": "0.0.0.0:8787", "trusted_proxies": ["10.0.0.2/32"]})
    app = create_app(config, testing=True)
    proxy = app.test_client()
    proxy.environ_base.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
    assert "; Secure" in session_cookie(proxy.get("/login", base_url="http://10.0.0.1/"))
    stranger = app.test_client()
    stranger.environ_base.update(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_PROTO="https")
    assert "Secure" not in session_cookie(stranger.get("/login", base_url="http://10.0.0.1/"))


def test_session_expires(public_app, monkeypatch):
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    assert c.get("/").status_code == 200
    monkeypatch.setattr(auth, "time", ModuleTime(ahead=2 * 3600 + 5))
    assert c.get("/").status_code == 302


def test_a_clock_set_back_keeps_the_session_and_its_forms(public_app, monkeypatch):
    """NTP set the clock of a board without a real-time clock back three hours (it had run
    ahead): every browser was logged out, and each page left open refused its next click
    ("This form was out of date"), since a session cookie signed "in the future" was thrown
    away (itsdangerous: "Signature age < 0"). The server's session and its login time say
    how long it lasts; a cookie signed later than now is good."""
    import itsdangerous.timed

    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    token = token_of(c, "/settings")
    back = ModuleTime(ahead=-3 * 3600)
    monkeypatch.setattr(itsdangerous.timed, "time", back)  # the cookie's signer's clock
    monkeypatch.setattr(cookies, "time", back)  # its reader's
    monkeypatch.setattr(auth, "time", back)  # the login's age
    assert c.get("/").status_code == 200
    assert c.post("/logout", data={"csrf_token": token}).status_code == 303
    assert c.get("/").status_code == 302


def test_a_session_made_while_the_clock_ran_far_ahead_still_lasts_its_hours(
    public_app, monkeypatch
):
    """A login made while the clock read 30 days ahead (a board's clock before NTP set it
    back) stays good once the clock is set right, as a session signed "in the future" is; but
    for its `session_hours` from then, not for the 30 days its login time and row read ahead:
    neither its cookie nor a copy of it is good for longer than the session's hours."""
    import itsdangerous.timed

    def clocks(ahead: float) -> None:
        at = ModuleTime(ahead=ahead)
        for module in (itsdangerous.timed, cookies, auth):
            monkeypatch.setattr(module, "time", at)

    auth.set_password("correct horse")
    clocks(30 * 86400)
    c = public_app.test_client()
    login(c, "correct horse")
    copy = public_app.test_client()  # the same cookie, copied before the clock went back
    name = cookie_name(public_app, cookies.SESSION)
    copy.set_cookie(name, c.get_cookie(name).value)
    clocks(0)
    assert c.get("/").status_code == 200
    clocks(2 * 3600 + 5)  # session_hours = 2
    assert c.get("/").status_code == 302
    assert copy.get("/").status_code == 302


def test_changing_the_password_ends_every_session(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    assert c.get("/").status_code == 200
    auth.set_password("battery staple")
    assert c.get("/").status_code == 302


def test_login_is_rate_limited(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    for _ in range(auth.MAX_FAILURES):
        assert login(c, "nope").status_code == 401
    assert login(c, "correct horse").status_code == 429


def test_the_lockout_is_shared_by_every_worker_and_survives_a_restart(public_app, config_factory):
    """gunicorn runs several workers, each its own app: five guesses in all, not five each."""
    auth.set_password("correct horse")
    config = public_app.config["METARRD"]
    workers = [public_app.test_client(), create_app(config, testing=True).test_client()]
    for i in range(auth.MAX_FAILURES):
        assert login(workers[i % 2], "nope").status_code == 401
    for c in workers:
        assert login(c, "correct horse").status_code == 429
    restarted = create_app(config, testing=True).test_client()
    assert login(restarted, "correct horse").status_code == 429


def test_a_copied_cookie_stops_working_at_logout(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    stolen = c.get_cookie(cookie_name(public_app, cookies.SESSION)).value
    thief = public_app.test_client()
    thief.set_cookie(cookie_name(public_app, cookies.SESSION), stolen)
    assert thief.get("/").status_code == 200
    assert c.post("/logout", data={"csrf_token": token_of(c, "/settings")}).status_code == 303
    assert c.get("/").status_code == 302
    assert thief.get("/").status_code == 302  # the session ended on the server, not only here
    assert db.WebSession.select().count() == 0


def test_an_ended_session_sees_a_plain_login_page(public_app, monkeypatch):
    """The page frame looked only for an `auth` entry in the cookie: a copy of a logged-out
    cookie, an expired session or one the password change ended still got the job counts of
    the daemon and a "Log out" button on the login page."""
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    assert 'id="jobs-indicator"' in c.get("/settings").get_data(as_text=True)
    stolen = c.get_cookie(cookie_name(public_app, cookies.SESSION)).value
    c.post("/logout", data={"csrf_token": token_of(c, "/settings")})
    thief = public_app.test_client()
    thief.set_cookie(cookie_name(public_app, cookies.SESSION), stolen)
    page = thief.get("/login").get_data(as_text=True)
    assert "Admin password" in page
    assert 'id="jobs-indicator"' not in page and "Log out" not in page
    login(c, "correct horse")
    monkeypatch.setattr(auth, "time", ModuleTime(ahead=2 * 3600 + 5))  # session_hours = 2
    page = c.get("/login").get_data(as_text=True)
    assert 'id="jobs-indicator"' not in page and "Log out" not in page


def test_a_login_from_another_worker_is_recognised(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    other = create_app(public_app.config["METARRD"], testing=True).test_client()
    other.set_cookie(
        cookie_name(public_app, cookies.SESSION),
        c.get_cookie(cookie_name(public_app, cookies.SESSION)).value,
    )
    assert other.get("/").status_code == 200


def test_a_full_disk_names_its_file_only_to_those_who_may_see_the_ui(public_app, config_factory):
    """The disk-full note names the file a write failed on (a cache path, a library folder):
    the login page and /healthz, which anyone reaches (healthz under any host name, so a
    rebinding page reads it too), say only since when; a logged-in browser sees it all."""
    failed = "/srv/media/movies/Private Home Video (2019)/poster.jpg"

    def disk_full():  # (again: a write that commits, such as a login, clears the note)
        (public_app.config["METARRD"].data_path / db.DISK_FULL_MARK).write_text(
            f"disk full: No space left on device ({failed}); free some space, then run it again"
        )

    auth.set_password("correct horse")
    c = public_app.test_client()
    disk_full()
    page = c.get("/login").get_data(as_text=True)
    assert "Admin password" in page and failed not in page
    for host in ("localhost", "evil.example"):
        disk = c.get("/healthz", headers={"Host": host}).get_json()["disk"]
        assert disk.startswith("full since ") and "Private Home Video" not in disk
    login(c, "correct horse")
    disk_full()
    assert failed in c.get("/").get_data(as_text=True)
    assert failed in c.get("/healthz").get_json()["disk"]


def test_login_redirect_stays_on_this_site(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    token = token_of(c)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = c.post(
            "/login", query_string={"next": target}, data={"csrf_token": token, "password": "x"}
        )
        assert answer.status_code in (401, 429)
    answer = c.post(
        "/login",
        query_string={"next": "//evil.example/"},
        data={"csrf_token": token, "password": "correct horse"},
    )
    assert answer.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",  # browsers drop tabs and newlines from a URL: //evil.example
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",
        "/\x00/evil.example",
        "///evil.example",
        "http:evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_redirect_refuses_paths_a_browser_reads_as_another_site(public_app, target):
    auth.set_password("correct horse")
    c = public_app.test_client()
    answer = c.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token_of(c), "password": "correct horse"},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_login_redirect_keeps_a_path_on_this_site(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    answer = c.post(
        "/login",
        query_string={"next": "/movies/7?tab=art"},
        data={"csrf_token": token_of(c), "password": "correct horse"},
    )
    assert answer.headers["Location"] == "/movies/7?tab=art"


def test_a_click_after_the_session_ended_logs_in_back_to_the_page_it_was_on(public_app):
    """The session ended with the tab still open (12 hours after the login, a password change):
    a form's POST (Log out, the episode order) went to the login with `next=` the POST's own
    address, and after the login the browser GETs it: a 405 "Not allowed" page. An htmx click
    went to the login without `next`, and after it to the library, not to the item the user was
    on. Both now come back to the page the browser showed."""
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    show = Seeder(public_app.config["METARRD"]).movie("Dark", 2017, kind=db.SHOW)
    page = f"http://localhost/movies/{show.id}?tab=episodes"
    token = token_of(c, f"/movies/{show.id}")
    db.WebSession.delete().execute()  # the session ends; the tab and its cookie stay
    answer = c.post(
        f"/movies/{show.id}/episode-order",
        data={"csrf_token": token, "order": "tvdb:official"},
        headers={"Referer": page},
    )
    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back == f"/login?next=/movies/{show.id}?tab%3Depisodes"
    login_page = c.get(back)
    answer = c.post(back, data={"csrf_token": token_of(c, back), "password": "correct horse"})
    assert login_page.status_code == 200 and answer.status_code == 303
    assert answer.headers["Location"] == f"/movies/{show.id}?tab=episodes"
    assert c.get(answer.headers["Location"]).status_code == 200

    token = token_of(c, "/")
    db.WebSession.delete().execute()
    answer = c.post(
        f"/movies/{show.id}/fields/plot/lock",
        headers={"HX-Request": "true", "HX-Current-URL": page, "X-CSRF-Token": token},
    )
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"] == f"/login?next=/movies/{show.id}?tab%3Depisodes"
    # a page on another site is no page to come back to
    for elsewhere in ("http://evil.example/movies/1", "not a url", "http://[::1"):
        answer = c.post(
            "/logout", data={"csrf_token": token_of(c, "/login")}, headers={"Referer": elsewhere}
        )
        assert answer.status_code in (302, 303) and "evil" not in answer.headers["Location"]


def test_password_is_stored_as_a_scrypt_hash(app):
    auth.set_password("correct horse")
    stored = db.get_meta(auth.PASSWORD_KEY)
    assert stored.startswith("scrypt:") and "correct horse" not in stored
    with pytest.raises(ValueError, match="at least 8"):
        auth.set_password("short")


def test_set_password_interactive(app, monkeypatch, capsys):
    answers = iter(["long enough", "long enough"])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt: next(answers))
    assert auth.set_password_interactive() == 0
    assert auth.check_password("long enough")
    answers = iter(["long enough", "different"])
    assert auth.set_password_interactive() == 2
    assert "differ" in capsys.readouterr().err
    answers = iter(["short", "short"])
    assert auth.set_password_interactive() == 2
    assert auth.check_password("long enough")


def test_secret_key_is_generated_once_and_kept(config, app):
    first = app.secret_key
    assert len(first) == 64
    again = create_app(config, testing=True)
    assert again.secret_key == first


@pytest.mark.parametrize(
    ("bind", "loopback"),
    [
        ("127.0.0.1:8787", True),
        ("localhost:80", True),
        ("[::1]:8787", True),
        ("127.1.2.3:1", True),
        ("0.0.0.0:8787", False),
        ("192.168.1.5:8787", False),
        ("[::]:8787", False),
        ("nas.local:8787", False),
    ],
)
def test_is_loopback_bind(bind, loopback):
    assert auth.is_loopback_bind(bind) is loopback


def test_error_pages_never_show_a_traceback(app, client, monkeypatch):
    from metarrd.web import listing

    def boom(*args, **kwargs):
        raise RuntimeError("secret-token-123 exploded")

    monkeypatch.setattr(listing, "library_page", boom)
    answer = client.get("/")
    assert answer.status_code == 500
    html = answer.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "Traceback" not in html and "secret-token-123" not in html
    hx = client.hx_get("/")
    assert hx.status_code == 500 and hx.headers["HX-Retarget"] == "#toast"
    assert "secret-token-123" not in hx.get_data(as_text=True)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)


def test_api_keys_are_never_shown(config_factory, sim):
    personal = "5c1b0b3f2e9d4a7c8e6f1a2b3c4d5e6f"  # a fanart.tv personal key (client_key)
    config = config_factory(sim, fanart={"client_key": personal})
    app = create_app(config, testing=True)
    c = app.test_client()
    pages = ("/", "/settings", "/activity", "/identify", "/settings/providers/fanart")
    for url in pages:
        html = c.get(url).get_data(as_text=True)
        for key in (sim.tmdb_key, sim.fanart_key, sim.tvdb_key, personal):
            assert key not in html, (url, key)
    assert "key present" in c.get("/settings").get_data(as_text=True)


def test_a_password_in_a_providers_address_is_never_shown(config_factory):
    """A provider reached through a caching proxy with a login (`base_url` with `user:pass@`,
    which `config check` expects): the settings page names its host, never the password."""
    proxied = "https://me:pr0xy-s3cret@tmdb-cache.example:8443/3"
    config = config_factory(providers={"tmdb": {"api_key": "k", "base_url": proxied}})
    c = create_app(config, testing=True).test_client()
    for url in ("/settings", "/settings/providers/tmdb"):
        html = c.get(url).get_data(as_text=True)
        assert "tmdb-cache.example:8443" in html and "pr0xy-s3cret" not in html, url


def test_a_password_in_a_kodi_source_is_never_shown(config_factory, tmp_path):
    """Kodi's Files.GetSources strips the user and password of `smb://` sources only
    (xbmc/interfaces/json-rpc/FileOperations.cpp, GetRootDirectory: `IsSmb()` ->
    `GetWithoutUserDetails()`): an FTP or WebDAV source written into sources.xml as
    `ftp://kodi:pass@nas/...` comes back with its password, and the path_map matching it holds
    the same one. "Test connection" in Settings showed both, in the page and in the flash."""
    from tests.players.player_fakes import FakeKodi

    with FakeKodi(
        sources=["ftp://kodi:FtpS3cret@nas/tv/", "davs://me:DavS3cret@dav/films/"]
    ) as kodi:
        player = {
            "name": "Den",
            "type": "kodi",
            "url": kodi.url,
            "username": "kodi",
            "password": "secret",
            "libraries": ["Movies"],
            "path_map": [
                {"from": str(tmp_path / "movies"), "to": "ftp://kodi:FtpS3cret@nas/movies"}
            ],
        }
        c = create_app(config_factory(player=[player]), testing=True).test_client()
        token = token_of(c, "/settings")
        fragment = c.post(
            "/settings/players/0/test", headers={"HX-Request": "true", "X-CSRF-Token": token}
        ).get_data(as_text=True)
        answer = c.post("/settings/players/0/test", data={"csrf_token": token})
        page = c.get(answer.headers["Location"]).get_data(as_text=True)
    for html in (fragment, page):
        assert "no Kodi video source holds it" in html
        assert "ftp://…@nas/movies" in html and "ftp://…@nas/tv/" in html
        assert "FtpS3cret" not in html and "DavS3cret" not in html


def test_a_password_a_player_message_stored_earlier_is_never_shown(config_factory):
    """A player's last error and a notification event recorded before the messages hid the
    login of a Kodi path (`scanned ftp://kodi:pass@nas/…`, see above): the rows stay in the
    database after the upgrade, and Settings and Activity showed them as stored."""
    player = {"name": "Den", "type": "kodi", "url": "http://127.0.0.1:9"}
    c = create_app(config_factory(player=[player]), testing=True).test_client()
    c.get("/settings")  # the app records its players
    said = "Kodi 'Den': no movie at ftp://kodi:FtpS3cret@nas/movies/Heat (1995)/Heat.mkv"
    db.MediaPlayer.update(last_error=said).execute()
    db.record_event("notify.failed", said, level="error", player="Den")
    for url in ("/settings", "/activity"):
        html = c.get(url).get_data(as_text=True)
        assert "ftp://…@nas/movies/Heat (1995)/Heat.mkv" in html, url
        assert "FtpS3cret" not in html, url


def test_security_headers(client):
    answer = client.get("/")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    cookie = answer.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_images_only_from_previews_and_the_actor_cache(client, seed, config, tmp_path):
    movie = seed.movie("The Matrix")
    asset = seed.asset(movie, "poster")
    rel = asset.preview_path.split("/previews/")[1]
    image = client.get(f"/previews/{rel}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    for url in (
        "/previews/../metarrd.db",
        "/previews/%2e%2e/metarrd.db",
        "/previews//etc/passwd",
        f"/previews/{secret}",
    ):
        assert client.get(url, follow_redirects=True).status_code == 404, url
    inside = config.cache_dir / "actor" / "ab" / "keanu.jpg"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"\xff\xd8\xff")
    good = db.Actor.create(name="K", name_normalized="k", image_cache_path=str(inside))
    evil = db.Actor.create(name="E", name_normalized="e", image_cache_path=str(secret))
    assert client.get(f"/actors/{good.id}/thumb").status_code == 200
    assert client.get(f"/actors/{evil.id}/thumb").status_code == 404
    assert client.get("/actors/9999/thumb").status_code == 404


def test_another_site_cannot_embed_the_images_to_learn_about_the_library(client, seed, config):
    """A loopback UI without a password answers this computer's browser, whatever page it is
    on: any site could put `<img src="http://127.0.0.1:8787/assets/1/image">` in its page and
    learn from `onload` (and the image's `naturalWidth`) that metarrd runs here and which items
    it holds, id by id (an XS-Leak, https://xsleaks.dev/docs/defenses/opt-in/corp/). With
    `Cross-Origin-Resource-Policy: same-origin` the browser hands such a load only an error,
    found or not."""
    asset = seed.asset(seed.movie("The Matrix"), "poster")
    inside = config.cache_dir / "actor" / "ab" / "keanu.jpg"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"\xff\xd8\xff")
    actor = db.Actor.create(name="K", name_normalized="k", image_cache_path=str(inside))
    rel = asset.preview_path.split("/previews/")[1]
    cross_site = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}
    for url in (
        f"/assets/{asset.id}/image",
        f"/previews/{rel}",
        f"/actors/{actor.id}/thumb",
        "/assets/9999/image",
        "/static/favicon.svg",
        "/",
    ):
        answer = client.get(url, headers=cross_site)
        assert answer.headers.get("Cross-Origin-Resource-Policy") == "same-origin", url


def test_images_behind_the_login_are_kept_by_the_browser_only(public_app):
    """`Cache-Control: public` (send_file's default with a max age) let a shared cache in front of
    the UI (a CDN, an nginx proxy_cache) keep a poster, an actor's photo or a user's own upload and
    hand it to anyone without a login; `private` keeps it in the browser that logged in."""
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    config = public_app.config["METARRD"]
    seeder = Seeder(config)
    movie = seeder.movie("The Matrix")
    asset = seeder.asset(movie, "poster")
    inside = config.cache_dir / "actor" / "ab" / "keanu.jpg"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"\xff\xd8\xff")
    actor = db.Actor.create(name="K", name_normalized="k", image_cache_path=str(inside))
    rel = asset.preview_path.split("/previews/")[1]
    for url in (f"/previews/{rel}", f"/assets/{asset.id}/image", f"/actors/{actor.id}/thumb"):
        answer = c.get(url)
        assert answer.status_code == 200, url
        assert answer.cache_control.private and not answer.cache_control.public, url
        assert answer.cache_control.max_age, url  # the browser still keeps it
    assert c.get("/static/app.css").cache_control.private is None  # no login needed for those


def test_a_link_in_the_previews_folder_to_outside_is_not_followed(client, seed, config, tmp_path):
    """Previews are served like the other images: only regular files that resolve inside the
    previews folder, whether named in the URL or by a candidate (the viewer's fallback)."""
    movie = seed.movie("The Matrix")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    folder = config.previews_dir / "poster"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "link.jpg").symlink_to(secret)
    (config.previews_dir / "outside").symlink_to(tmp_path, target_is_directory=True)
    (folder / "sub").mkdir()
    for url in (
        "/previews/poster/link.jpg",
        "/previews/outside/secret.txt",
        "/previews/poster/sub",
        "/previews/poster/x%00.jpg",
    ):
        answer = client.get(url)
        assert answer.status_code == 404 and b"do not serve" not in answer.data, url
    linked = seed.asset(movie, "poster", preview_path=str(folder / "link.jpg"))
    assert client.get(f"/assets/{linked.id}/image").status_code == 404
    inner = seed.asset(movie, "poster")  # a link to a preview inside the folder is fine
    (folder / "alias.jpg").symlink_to(inner.preview_path)
    assert client.get("/previews/poster/alias.jpg").status_code == 200
    assert client.get(f"/assets/{inner.id}/image").mimetype == "image/jpeg"


def test_healthz(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (
        body["ok"] is True and body["database"].startswith("ok") and body["queue"].startswith("ok")
    )


def test_only_a_logged_in_browser_may_send_an_image_upload(public_app):
    """The upload route takes 64 MB; a request that has not logged in gets the 1 MB every other
    route has, before its form (and its file) is read for the CSRF check."""
    auth.set_password("correct horse")
    Seeder(public_app.config["METARRD"]).movie("Heat", 1995)
    big = {"image": (io.BytesIO(b"x" * 2_000_000), "big.jpg")}
    c = public_app.test_client()
    anonymous = c.post("/movies/1/artwork/poster/add", data=big, content_type="multipart/form-data")
    assert anonymous.status_code == 413
    login(c, "correct horse")
    big = {"image": (io.BytesIO(b"x" * 2_000_000), "big.jpg"), "csrf_token": token_of(c, "/")}
    answer = c.post("/movies/1/artwork/poster/add", data=big, content_type="multipart/form-data")
    assert answer.status_code == 303  # read, and refused as no image
    assert answer.headers["Location"].startswith("/movies/1#art-poster")


def test_the_upload_route_takes_its_64_mb_as_a_multipart_form_only(public_app, monkeypatch):
    """werkzeug streams a multipart form's file to a temp file, but reads a urlencoded body
    whole into memory (incoming.FormParser): posted to the upload route by a script, each
    request held up to 64 MB in its worker. Such a body gets the 1 MB every other route has."""
    from metarrd.web import incoming

    auth.set_password("correct horse")
    Seeder(public_app.config["METARRD"]).movie("Heat", 1995)
    c = public_app.test_client()
    login(c, "correct horse")
    read = []
    real_parse = incoming.FormParser._parse_urlencoded
    monkeypatch.setattr(
        incoming.FormParser,
        "_parse_urlencoded",
        lambda self, *args: read.append(1) or real_parse(self, *args),
    )
    body = f"csrf_token={token_of(c, '/')}&url=" + "x" * 2_000_000
    answer = c.post(
        "/movies/1/artwork/poster/add", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 413
    assert read == []  # refused by its Content-Length, before a byte of it was read
    # the page's own form, multipart, still takes a file past 1 MB
    big = {"image": (io.BytesIO(b"x" * 2_000_000), "big.jpg"), "csrf_token": token_of(c, "/")}
    answer = c.post("/movies/1/artwork/poster/add", data=big, content_type="multipart/form-data")
    assert answer.status_code == 303


def test_a_form_of_many_fields_is_refused_before_it_is_read(public_app, monkeypatch):
    """werkzeug bounds a multipart form's parts (1,000) but not a urlencoded form's fields, and
    the CSRF check reads the form of any POST before the login is asked for: 1 MB of `&a=`
    (330,000 fields) cost a worker over a second of CPU to split and fit, sent by anyone who
    can reach the login page (the shape of the hash-collision / many-parameters DoS,
    CVE-2011-4885, oCERT-2011-003). Such a form is a 413 now, before one field is read."""
    from metarrd.web import incoming

    auth.set_password("correct horse")
    c = public_app.test_client()
    fitted = []
    real_fit = incoming.fit_typed
    monkeypatch.setattr(incoming, "fit_typed", lambda text: fitted.append(text) or real_fit(text))
    body = "password=x" + "&a=" * 330_000
    answer = c.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 413
    assert "too many fields: at most 1,000; nothing was changed" in answer.get_data(as_text=True)
    assert len(fitted) < 10  # the 330,000 fields were never split nor fitted
    # the largest form of the UI, a bulk action on the 200 items of a page, is still read
    login(c, "correct horse")
    ids = Seeder(public_app.config["METARRD"]).many(200)
    form = {"csrf_token": token_of(c, "/"), "action": "lock", "ids": ids, "q": "", "page": "1"}
    answer = c.post("/bulk", data=form)
    assert answer.status_code == 303


def test_a_full_disk_names_its_file_to_no_rebinding_page_even_without_a_password(app):
    """Loopback, no password: a browser on this computer needs no login, and a DNS-rebinding
    page is one, asking under its own name; /healthz answers under any name, so the note's
    file is named only under a name the UI itself accepts."""
    failed = "/srv/media/movies/Private Home Video (2019)/poster.jpg"
    (app.config["METARRD"].data_path / db.DISK_FULL_MARK).write_text(
        f"disk full: No space left on device ({failed}); free some space, then run it again"
    )
    c = app.test_client()
    disk = c.get("/healthz", headers={"Host": "evil.example"}).get_json()["disk"]
    assert disk.startswith("full since ") and "Private Home Video" not in disk
    assert failed in c.get("/healthz", headers={"Host": "localhost"}).get_json()["disk"]


def test_the_settings_access_card_names_the_command_that_sets_the_password(client):
    """Settings → "Access to this page" said a password "on the server" turns the login on, and
    that one is changed "on the server (see the security guide)": which command, and which
    guide, the page did not say, and the user had to go looking. It names `metarrd passwd`."""
    html = client.get("/settings").get_data(as_text=True)  # loopback, no password
    assert "No login: only this computer can reach the page." in html
    assert "Setting a password with <code>metarrd passwd</code> on the server turns" in html


def test_the_settings_access_card_says_how_the_password_is_changed(public_app):
    auth.set_password("correct horse")
    c = public_app.test_client()
    login(c, "correct horse")
    html = c.get("/settings").get_data(as_text=True)
    assert "Login required; sessions last 2 h." in html
    assert "The password is changed with <code>metarrd passwd</code> on the server" in html
    assert "security guide" not in html
