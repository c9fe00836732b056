"""fanart.tv and TheTVDB adapters against the simulator."""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metarrd.errors import ProviderAuthError, ProviderError, ProviderUnavailable
from metarrd.providers import fanart, tvdb


def test_fanart_movie_by_tmdb_id_and_no_art_is_none(rt, simulator):
    client = rt.client("fanart")
    data = client.movie(603, "tt0133093")
    assert data["tmdb_id"] == "603" and data["hdmovielogo"]
    assert client.movie(999_999_999, None) is None  # 404 means "no art"


def test_fanart_falls_back_to_the_imdb_id(rt, simulator):
    simulator.not_found("/v3/movies/603")
    assert rt.client("fanart").movie(603, "tt0133093")["imdb_id"] == "tt0133093"


@pytest.mark.parametrize(
    "body",
    [
        {},  # an empty object (a caching proxy's "no art", as Jellyfin stores it)
        {"status": "error", "error message": "Not found"},  # older servers, with HTTP 200
        {"name": "The Matrix", "tmdb_id": "603", "movieposter": [], "hdmovielogo": []},
    ],
)
def test_fanart_answer_without_art_falls_back_to_the_imdb_id(body):
    """A 200 that holds no image list is "no art" by that id: the IMDb id is asked next."""
    from metarrd.config import FanartConfig

    by_imdb = {"name": "The Matrix", "imdb_id": "tt0133093", "movieposter": [{"url": "x"}]}
    replies = {"/movies/603": body, "/movies/tt0133093": by_imdb}

    class Http:
        def get_json(self, url, **_kw):
            return replies[url.removeprefix("http://fanart.test/v3")]

    client = fanart.FanartClient(
        FanartConfig(api_key="k", base_url="http://fanart.test/v3"), Http()
    )
    assert client.movie(603, "tt0133093") == by_imdb
    assert client.movie(603, None) is None


@pytest.mark.parametrize("value", [7, "poster.jpg", {"url": "x"}])
@pytest.mark.parametrize("kind", ["movies", "tv"])
def test_a_fanart_answer_of_an_unexpected_shape_names_the_key(
    rt, simulator, monkeypatch, kind, value
):
    """A broken mirror or proxy answering a number where fanart.tv's list of posters belongs:
    the item failed with "internal error: TypeError: 'int' object is not iterable"; a text or
    an object was read as no art."""
    from metarrd.simulator import fanart as sim_fanart
    from metarrd.simulator import tv_others
    from metarrd.simulator.reply import json_reply

    def answer(*_args):
        key = "movieposter" if kind == "movies" else "tvposter"
        return json_reply(200, {"name": "x", key: value, "hdmovielogo": [None, 3]})

    monkeypatch.setattr(sim_fanart, "movie_art", answer)
    monkeypatch.setattr(tv_others, "fanart_tv", answer)
    client = rt.client("fanart")
    with pytest.raises(ProviderUnavailable, match="unexpected shape") as failed:
        client.movie(603) if kind == "movies" else client.tv(81189)
    key = "movies/603: movieposter" if kind == "movies" else "tv/81189: tvposter"
    assert f"{key} is " in str(failed.value)


def test_entries_of_a_fanart_list_that_are_not_objects_are_left_out(rt, simulator, monkeypatch):
    from metarrd.simulator import fanart as sim_fanart
    from metarrd.simulator.reply import json_reply

    real = sim_fanart.movie_art

    def answer(catalog, movie_id, base_url):
        reply = real(catalog, movie_id, base_url)
        body = json.loads(reply.body)
        body["movieposter"] = [None, 7, "poster.jpg", *body["movieposter"]]
        return json_reply(200, body)

    monkeypatch.setattr(sim_fanart, "movie_art", answer)
    posters = rt.client("fanart").movie(603)["movieposter"]
    assert posters and all(isinstance(p, dict) for p in posters)


# a personal key as fanart.tv's profile page shows one (32 hex digits); made up
PERSONAL_KEY = "5c1b0b3f2e9d4a7c8e6f1a2b3c4d5e6f"


def test_the_fanart_personal_key_goes_in_the_client_key_header(make_rt, simulator):
    """fanart.tv API v3: the project key (`api-key`) is required, a user's personal key
    (`client-key`) optional; with it, new images show after 48 hours instead of 7 days
    (fanart.tv's docs and blog; Kodi's movie scraper and tinyMediaManager send both as
    headers). metarrd sent the project key only, and had no setting for the other."""
    rt = make_rt(fanart={"client_key": PERSONAL_KEY})
    simulator.reset_requests()
    client = rt.client("fanart")
    assert client.movie(603) and client.tv(81189)
    asked = [hit for hit in simulator.requests if hit.path.startswith("/v3/")]
    assert [hit.path for hit in asked] == ["/v3/movies/603", "/v3/tv/81189"]
    assert {hit.headers.get("client-key") for hit in asked} == {PERSONAL_KEY}
    assert {hit.headers.get("api-key") for hit in asked} == {simulator.fanart_key}
    assert not any(PERSONAL_KEY in hit.path for hit in simulator.requests)  # not in a URL


def test_without_a_personal_key_no_client_key_header_is_sent(make_rt, simulator):
    rt = make_rt(fanart={"client_key": "  "})  # blank: not set
    simulator.reset_requests()
    assert rt.client("fanart").movie(603)
    asked = [hit for hit in simulator.requests if hit.path.startswith("/v3/")]
    assert asked and not any("client-key" in hit.headers for hit in asked)


def test_the_fanart_personal_key_reaches_no_log_or_error(make_rt, simulator, caplog):
    """A failed fanart.tv request is logged and its error shown on the item page: neither may
    hold the personal key."""
    rt = make_rt(fanart={"client_key": PERSONAL_KEY})
    simulator.fail_5xx(10, 502)
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderUnavailable) as failed:
        rt.client("fanart").movie(603)
    assert simulator.requests[-1].headers.get("client-key") == PERSONAL_KEY  # it was sent
    assert PERSONAL_KEY not in str(failed.value)
    assert PERSONAL_KEY not in caplog.text


def test_fanart_bad_key_is_an_auth_error(make_rt, simulator):
    client = make_rt(fanart={"api_key": "wrong"}).client("fanart")
    with pytest.raises(ProviderAuthError):
        client.movie(603)


def test_no_key_means_no_client_and_one_log_line(make_rt, caplog):
    rt = make_rt(fanart={"api_key": ""}, tvdb={"api_key": ""})
    with caplog.at_level(logging.INFO):
        assert rt.client("fanart") is None
        assert rt.client("fanart") is None
        assert rt.client("tvdb") is None
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(lines) == 2


def test_make_client_reads_the_providers_config(rt):
    assert isinstance(fanart.make_client(rt.config.providers, rt.http), fanart.FanartClient)
    assert isinstance(tvdb.make_client(rt.config.providers, rt.http), tvdb.TvdbClient)


def test_tvdb_finds_the_movie_and_its_artwork(rt, simulator):
    client = rt.client("tvdb")
    tvdb_id = client.find_movie("tt0133093", 603)
    assert tvdb_id == 169
    assert client.find_movie(None, 603) == 169
    arts = client.movie_artworks(tvdb_id)
    assert arts and all("image" in a for a in arts)
    assert any(t["name"] == "ClearLogo" for t in client.artwork_types())
    assert client.movie_artworks(987654) == []


def test_tvdb_logs_in_once_and_again_after_a_401(rt, simulator):
    client = rt.client("tvdb")
    simulator.reset_requests()
    client.find_movie("tt0133093", None)
    client.artwork_types()
    assert simulator.count("/v4/login") == 1
    simulator.revoke_tvdb_tokens()
    assert client.find_movie("tt0133093", None) == 169
    assert simulator.count("/v4/login") == 2


def test_tvdb_renews_an_old_token(rt, simulator):
    clock = [0.0]
    client = tvdb.TvdbClient(rt.config.providers.tvdb, rt.http, clock=lambda: clock[0])
    simulator.reset_requests()
    client.find_movie("tt0133093", None)
    clock[0] = tvdb.TOKEN_TTL + 1
    client.find_movie("tt0133093", None)
    assert simulator.count("/v4/login") == 2


def test_tvdb_bad_key_is_an_auth_error(make_rt):
    client = make_rt(tvdb={"api_key": "wrong"}).client("tvdb")
    with pytest.raises(ProviderAuthError):
        client.find_movie("tt0133093", None)


@pytest.mark.parametrize(
    "provider, setting",
    [
        ("tmdb", r"api_key \(or read_token\) in \[providers.tmdb\]"),
        ("fanart", r"api_key in \[providers.fanart\]"),
        ("tvdb", r"api_key \(and pin, for a subscriber key\) in \[providers.tvdb\]"),
    ],
)
def test_a_refused_key_says_which_setting_to_check(make_rt, simulator, provider, setting):
    """Every item said "tmdb: refused our credentials (HTTP 401) for …/3/movie/603", leaving the user
    to guess that a key in the configuration was wrong, and which one."""
    client = make_rt(**{provider: {"api_key": "wrong"}}).client(provider)
    ask = {
        "tmdb": lambda: client.movie(603),
        "fanart": lambda: client.movie(603),
        "tvdb": lambda: client.find_movie("tt0133093", None),
    }[provider]
    with pytest.raises(ProviderAuthError, match=f"HTTP 401.*; check the {setting} of the config"):
        ask()


@pytest.mark.parametrize(
    "ask, reply, said",
    [
        ("series", {"data": []}, "/series/81189/extended: data is a list, not an object"),
        ("series", None, "/series/81189/extended is null, not an object"),
        ("episodes", [], "/series/81189/episodes/default is a list, not an object"),
        ("series", {"data": {"artworks": 7}}, "/series/81189/extended: artworks is a number"),
        ("episodes", {"data": "x"}, "/series/81189/episodes/default: data is a text"),
        ("episodes", {"data": {"episodes": {}}}, "episodes is an object, not a list"),
        ("types", {"data": 5}, "/artwork/types: data is a number, not a list"),
        ("artworks", {"data": [None]}, "/movies/169/extended: data is a list, not an object"),
    ],
)
def test_a_tvdb_answer_of_an_unexpected_shape_names_the_field(ask, reply, said):
    """A broken mirror or caching proxy: the show's enrich failed with "internal error:
    AttributeError: 'str' object has no attribute 'get'", or went on with a list for a series."""
    from metarrd.config import TvdbConfig

    class Http:  # as HttpClient.get_json: the answer through the caller's check
        def get_json(self, url, check=None, **_kw):
            data = {"data": {"token": "t"}} if url.endswith("/login") else reply
            return check(data) if check else data

    client = tvdb.TvdbClient(TvdbConfig(api_key="k", base_url="http://tvdb.test/v4"), Http())
    call = {
        "series": lambda: client.series(81189),
        "episodes": lambda: client.series_episodes(81189),
        "types": client.artwork_types,
        "artworks": lambda: client.movie_artworks(169),
    }[ask]
    with pytest.raises(ProviderUnavailable, match="unexpected shape") as failed:
        call()
    assert said in str(failed.value)


def _tvdb_answering(replies: dict) -> tvdb.TvdbClient:
    """A TheTVDB client whose HTTP answers each path with `replies`' (and any login)."""
    from metarrd.config import TvdbConfig

    class Http:  # as HttpClient.get_json: the answer through the caller's check
        def get_json(self, url, check=None, **_kw):
            path = url.removeprefix("http://tvdb.test/v4")
            data = {"data": {"token": "t"}} if path == "/login" else replies[path]
            return check(data) if check else data

    return tvdb.TvdbClient(TvdbConfig(api_key="k", base_url="http://tvdb.test/v4"), Http())


def test_entries_of_a_tvdb_list_that_are_not_objects_are_left_out():
    episode = {"id": 349232, "seasonNumber": 1, "number": 1, "name": "Pilot"}
    replies = {
        "/series/81189/episodes/default": {"data": {"episodes": [None, 3, "x", episode]}},
        "/series/81189/extended": {"data": {"id": 81189, "seasons": [None, {"number": 1}]}},
    }

    client = _tvdb_answering(replies)
    assert client.series_episodes(81189) == [episode]
    assert client.series(81189)["seasons"] == [{"number": 1}]


@pytest.mark.parametrize("odd", [[1], {"id": 1}])
def test_tvdb_episodes_with_an_id_that_is_no_number_and_odd_links_are_read(odd):
    """Found by fuzzing (stop 49): an episode whose `id` is a list or an object (a broken
    mirror) made the look for repeated pages fail with "TypeError: unhashable type", and
    `links` of another shape with AttributeError: the show's identify failed for good."""
    episode = {"id": 349232, "seasonNumber": 1, "number": 1, "name": "Pilot"}
    odd_one = {**episode, "id": odd}
    page = {"data": {"episodes": [odd_one, episode], "series": {"originalLanguage": "nld"}}}
    replies = {
        "/series/81189/episodes/default": {**page, "links": ["next"]},
        "/series/81189/episodes/default/eng": {**page, "links": "next"},
    }

    client = _tvdb_answering(replies)
    assert client.series_episodes(81189) == [odd_one, episode]
    assert client.series_episodes(81189, language="eng") == [odd_one, episode]


def test_tvdb_relative_images_use_the_api_host():
    from metarrd.config import TvdbConfig

    official = tvdb.TvdbClient(TvdbConfig(api_key="k"), http=None)
    assert official.artwork_host == "https://artworks.thetvdb.com"
    fake = tvdb.TvdbClient(TvdbConfig(api_key="k", base_url="http://127.0.0.1:5/v4"), http=None)
    assert fake.artwork_host == "http://127.0.0.1:5"


# --- what the real services send on a bad day ---------------------------------------------------


@pytest.fixture
def waits():
    return []


@pytest.fixture
def tmdb_client(rt, waits):
    """A TMDB client on the simulator whose waits are recorded instead of slept."""
    from metarrd.http import HttpClient
    from metarrd.providers.tmdb import TmdbClient

    http = HttpClient(timeout=10, max_retries=2, backoff=0.5, sleep=waits.append)
    yield TmdbClient(rt.config.providers.tmdb, http)
    http.close()


def test_retry_after_as_an_http_date_is_waited_for(tmdb_client, simulator, waits):
    """RFC 9110 lets Retry-After be a date (CDNs and proxies in front of the APIs send one); read
    as "1 s" it made every retry hit the host long before it would answer again."""
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=40), True)
    simulator.fail_429(1, retry_after=when, prefix="/3/configuration")
    assert tmdb_client.configuration()["images"]
    assert len(waits) == 1 and 30 <= waits[0] <= 41


@pytest.mark.parametrize(
    ("header", "wait"),
    [(None, 1.0), ("0", 1.0), ("-5", 1.0), ("86400", 60.0), ("nan", 1.0), ("soon", 1.0),
     ("Thu, 01 Jan 1970 00:00:00 GMT", 1.0)],
)  # fmt: skip
def test_odd_retry_after_values_wait_between_one_second_and_the_cap(
    tmdb_client, simulator, waits, header, wait
):
    simulator.fail_429(1, retry_after=header, prefix="/3/configuration")
    assert tmdb_client.configuration()["images"]
    assert waits == [wait]


class AnotherHost(BaseHTTPRequestHandler):
    """A server on loopback that is not the provider's host (`another_host`)."""

    def answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def headers_seen(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def another_host(handler: type[AnotherHost]) -> Iterator[str]:
    """`handler` served on loopback under `localhost` (the simulator is `127.0.0.1`: another
    host to requests and to our clients); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def portal():
    """Another host on loopback (a captive portal, a parked domain): its login page, and the
    headers of every request it got."""
    seen: list[dict[str, str]] = []

    class Portal(AnotherHost):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers_seen())
            self.answer(b"<html><title>Sign in to the hotel Wi-Fi</title></html>", "text/html")

    with another_host(Portal) as url:
        yield url, seen


def test_a_redirect_to_another_host_does_not_carry_the_fanart_keys(make_rt, simulator, portal):
    """fanart.tv's keys travel in the `api-key` and `client-key` headers; requests drops only
    `Authorization` on a redirect to another host, so they went along to whatever host the
    redirect named."""
    rt = make_rt(fanart={"client_key": PERSONAL_KEY})
    url, seen = portal
    simulator.redirect("/v3/movies/603", f"{url}/login?continue=/v3/movies/603")
    with pytest.raises(ProviderError, match="HTML page"):
        rt.client("fanart").movie(603)
    assert seen and all("api-key" not in h and "client-key" not in h for h in seen)
    assert all(simulator.fanart_key not in str(h) and PERSONAL_KEY not in str(h) for h in seen)


def test_a_redirect_to_a_file_url_is_not_followed(rt, simulator):
    simulator.redirect("/v3/movies/603", "file:///etc/passwd")
    with pytest.raises(ProviderError) as err:
        rt.client("fanart").movie(603)
    assert "cannot request" in str(err.value) and simulator.fanart_key not in str(err.value)


def test_a_cloudflare_challenge_is_not_reported_as_a_refused_key(rt, simulator):
    """fanart.tv and TheTVDB sit behind Cloudflare, which answers a challenged address (a VPN,
    a busy network) with 403 and its "Just a moment..." page: that is not the provider refusing
    the key, and telling the user to check the key sent them after the wrong thing."""
    simulator.challenge("/v3/")
    with pytest.raises(ProviderUnavailable) as err:
        rt.client("fanart").movie(603)
    assert not isinstance(err.value, ProviderAuthError)
    assert "credentials" not in str(err.value) and "HTML page" in str(err.value)
    client = rt.client("tvdb")
    client.artwork_types()
    simulator.reset_requests()
    simulator.challenge("/v4/search")
    with pytest.raises(ProviderUnavailable):
        client.find_movie("tt0133093", None)
    assert simulator.count("/v4/login") == 0  # not a token problem: no new login


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [("fanart", "api_key", " {key}"), ("tmdb", "read_token", "{key}\n")],
)
def test_a_key_requests_cannot_send_is_not_repeated_in_the_error(
    make_rt, simulator, section, field, value
):
    """A key pasted with a leading space or a line break: requests refuses the header and its
    message quotes the whole value, which became the item's error in the UI and the log."""
    key = "0123456789abcdef0123456789abcdef"
    rt = make_rt(**{section: {field: value.format(key=key)}})
    with pytest.raises(ProviderError) as err:
        if section == "fanart":
            rt.client("fanart").movie(603)
        else:
            rt.tmdb.configuration()
    assert key not in str(err.value) and "0123" not in str(err.value)
    assert "line break" in str(err.value)


def test_requests_refused_together_log_in_again_once(rt, simulator):
    """Items ask TheTVDB at the same time; when the token expires, each of their requests gets
    its 401. Every one of them logged in again, one login per request in flight."""
    client = rt.client("tvdb")
    client.artwork_types()
    simulator.revoke_tvdb_tokens()
    simulator.reset_requests()
    simulator.set_latency(0.5, "/v4/search")  # the three are all sent with the old token
    with ThreadPoolExecutor(3) as pool:
        found = list(pool.map(lambda _: client.find_movie("tt0133093", None), range(3)))
    assert found == [169] * 3
    assert simulator.count("/v4/search", status=401) == 3
    assert simulator.count("/v4/login") == 1


@pytest.mark.parametrize("status", [521, 523])
def test_cloudflare_origin_down_is_retried_then_unavailable(rt, simulator, waits, status):
    """fanart.tv and TheTVDB sit behind Cloudflare, which answers 521 (web server is down) or
    523 (origin is unreachable) while their servers are down: an outage like a 502, to be
    tried again, not a final "HTTP 521" (for TheTVDB's episode orders: the job failed for good)."""
    from metarrd.http import HttpClient

    http = HttpClient(timeout=10, max_retries=2, backoff=0.5, sleep=waits.append)
    client = fanart.FanartClient(rt.config.providers.fanart, http)
    simulator.fail_5xx(1, status=status, prefix="/v3/movies/603")
    assert client.movie(603)["hdmovielogo"]
    assert waits == [0.5]
    simulator.fail_5xx(5, status=status, prefix="/v3/movies/603")
    with pytest.raises(ProviderUnavailable, match=f"HTTP {status}"):
        client.movie(603)
    http.close()


@pytest.fixture
def listener():
    """Another host on loopback that answers every request with a JSON 200, and records each
    request's method, headers and body."""
    seen: list[tuple[str, dict[str, str], bytes]] = []

    class Listener(AnotherHost):
        def _do(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append((self.command, self.headers_seen(), body))
            page = b'{"status": "success", "data": {"token": "from-elsewhere"}}'
            self.answer(page, "application/json")

        do_GET = do_POST = _do  # noqa: N815

    with another_host(Listener) as url:
        yield url, seen


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_of_the_tvdb_login_to_another_host_does_not_carry_the_key(
    make_rt, simulator, listener, status
):
    """TheTVDB's `POST /login` carries the API key and the PIN in its JSON body, and requests
    sends a 307 or 308 on with its body, to any host (it drops only `Authorization`): a
    compromised or misconfigured proxy in front of api4.thetvdb.com answering 307 got both."""
    rt = make_rt(tvdb={"api_key": simulator.tvdb_key, "pin": "PIN-s3cret"})
    url, seen = listener
    simulator.redirect("/v4/login", f"{url}/v4/login", status=status)
    with pytest.raises(ProviderError) as err:
        rt.client("tvdb").find_movie("tt0133093", 603)
    message = str(err.value)
    assert f"redirected (HTTP {status}) to {url}/v4/login" in message
    assert "another host" in message
    assert simulator.tvdb_key not in message and "PIN-s3cret" not in message
    assert seen == []  # nothing at all reached the other host


def test_a_redirect_of_the_tvdb_login_to_the_same_host_is_followed(make_rt, simulator):
    """A 307/308 within the provider's own host (a moved path) still logs in."""
    rt = make_rt()
    client = rt.client("tvdb")
    simulator.faults.add("redirect", "/v4/login", (308, f"{client.base}/login?again=1"), count=1)
    assert client.find_movie("tt0133093", 603) == 169
