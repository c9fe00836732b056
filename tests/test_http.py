"""The shared HTTP client's retry policy, against a real loopback server."""

from __future__ import annotations

import email.utils
import gzip
import io
import os
import ssl
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from metarrd import deadline, http
from metarrd.errors import (
    NotFound,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    TryAgain,
)
from metarrd.http import HttpClient, redact, scrub


class Scripted(BaseHTTPRequestHandler):
    """Answers each path with the next scripted (status, headers, body) and records requests."""

    script: dict[str, list[tuple[int, dict, bytes]]] = {}
    seen: list[tuple[str, dict]] = []

    def do_GET(self):  # noqa: N802
        Scripted.seen.append((self.path, dict(self.headers)))
        path = self.path.split("?")[0]
        queue = Scripted.script.get(path) or [(200, {}, b"{}")]
        status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if callable(body):  # writes the body itself (a drip)
            body(self.wfile)
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Scripted.script = {}
    Scripted.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(waits):
    return HttpClient(timeout=2, max_retries=3, backoff=0.5, sleep=waits.append)


JSON = {"Content-Type": "application/json"}


def test_json_and_user_agent(server, client):
    Scripted.script["/a"] = [(200, JSON, b'{"ok": true}')]
    assert client.get_json(f"{server}/a", provider="t") == {"ok": True}
    assert Scripted.seen[0][1]["User-Agent"].startswith("metarrd/")


def test_429_waits_for_retry_after_and_zero_means_one_second(server, client, waits):
    Scripted.script["/r"] = [
        (429, {"Retry-After": "0"}, b"{}"),
        (429, {"Retry-After": "3"}, b"{}"),
        (200, JSON, b"[1]"),
    ]
    assert client.get_json(f"{server}/r", provider="t") == [1]
    assert waits == [1.0, 3.0]


def test_a_503_with_retry_after_waits_for_it_as_a_429_does(server, client, waits):
    """A provider down for maintenance says when to come back (RFC 9110: 503 + Retry-After);
    it was retried at 0.5 s, 1 s, 2 s regardless, and the job's retries were spent within 43
    minutes of a longer window. The same cap as a 429's holds in the thread."""
    Scripted.script["/m"] = [
        (503, {"Retry-After": "3"}, b"{}"),
        (503, {"Retry-After": "86400"}, b"{}"),
        (503, {}, b"{}"),  # none said: the back-off
        (200, JSON, b"[1]"),
    ]
    assert client.get_json(f"{server}/m", provider="t") == [1]
    assert waits == [3.0, 60.0, 2.0]


def test_a_503_given_up_says_how_long_the_host_asked_to_wait(server, client, waits):
    Scripted.script["/w"] = [(503, {"Retry-After": "7200"}, b"{}")]
    with pytest.raises(ProviderUnavailable, match=r"HTTP 503, asked to wait 7200 s") as err:
        client.get_json(f"{server}/w", provider="tmdb")
    assert err.value.retry_after == 7200 and err.value.status == 503
    assert waits == [60.0, 60.0, 60.0]
    assert client.host_wait(f"{server}/w") > 0  # the host is held, as after a 429
    with pytest.raises(http.TryAgain) as again:  # a caller that schedules its own retries
        client.request("GET", f"{server}/w", provider="tmdb", patient=False)
    assert again.value.sent is False and again.value.wait > 0


def test_a_429_asking_for_longer_than_a_thread_waits_says_what_it_asked(server, client, waits):
    """TMDB asked to wait an hour: the request's thread waits 60 s at most between its tries,
    and the job that gives up waits the hour. The error said "retry after 60 s", and the job's
    line "…retry after 60 s…; retry 1 in 3600s": two waits, one of them not what happened."""
    Scripted.script["/h"] = [(429, {"Retry-After": "3600"}, b"{}")]
    with pytest.raises(ProviderUnavailable) as err:
        client.get_json(f"{server}/h", provider="tmdb")
    assert "rate limited (HTTP 429, asked to wait 3600 s)" in str(err.value)
    assert "60 s" not in str(err.value) and err.value.retry_after == 3600
    assert waits == [60.0, 60.0, 60.0]


@pytest.mark.parametrize(
    ("value", "asked"),
    [("inf", 1.0), ("1e308", 1.0), ("-5", 1.0), ("9" * 400, 604800.0), ("1209600", 604800.0)],
)
def test_a_retry_after_no_host_means_is_bounded(server, client, waits, value, asked):
    """A broken or hostile host's Retry-After: `inf` and `1e308` were read as numbers (RFC 9110
    allows digits only), and the job's message said "asked to wait inf s" or a 309-digit wait.
    Nonsense is 1 s, as a missing one; a wait past a week is a week."""
    Scripted.script["/x"] = [(429, {"Retry-After": value}, b"{}")]
    with pytest.raises(ProviderUnavailable) as err:
        client.get_json(f"{server}/x", provider="tmdb")
    assert err.value.retry_after == asked
    assert "inf" not in str(err.value) and "e+" not in str(err.value)
    assert len(str(err.value)) < 300


def test_5xx_is_retried_with_backoff_then_gives_up(server, client, waits):
    Scripted.script["/e"] = [(500, {}, b"oops")]
    with pytest.raises(ProviderUnavailable) as err:
        client.get_json(f"{server}/e", provider="tmdb")
    assert "server error (HTTP 500)" in str(err.value)
    assert waits == [0.5, 1.0, 2.0]
    assert len(Scripted.seen) == 4


def test_401_and_404_are_never_retried(server, client, waits):
    Scripted.script["/u"] = [(401, JSON, b'{"status_code": 7}')]
    Scripted.script["/n"] = [(404, JSON, b'{"status_code": 34}')]
    with pytest.raises(ProviderAuthError):
        client.get_json(f"{server}/u?api_key=SECRET", provider="tmdb")
    with pytest.raises(NotFound):
        client.get_json(f"{server}/n", provider="tmdb")
    assert waits == [] and len(Scripted.seen) == 2


def test_html_instead_of_json_is_a_clear_error(server, client):
    Scripted.script["/h"] = [(200, {"Content-Type": "text/html"}, b"<html>maintenance</html>")]
    with pytest.raises(ProviderError, match="returned an HTML page"):
        client.get_json(f"{server}/h", provider="tmdb")


def test_json_nested_too_deeply_is_a_clear_error(server, client):
    """`[[[[…` 100,000 deep (a hostile mirror): json raised RecursionError, which no one
    expects from a provider, so the item failed with "internal error: RecursionError"."""
    Scripted.script["/deep"] = [(200, JSON, b"[" * 100_000 + b"]" * 100_000)]
    with pytest.raises(ProviderError, match="nested too deeply"):
        client.get_json(f"{server}/deep", provider="tmdb")


def test_text_in_an_answer_is_made_fit_for_the_database_and_the_nfo(server, client):
    """Every provider's answer comes through here: a lone surrogate (`\\ud800`), NUL and the
    other C0 controls XML 1.0 forbids, escaped or raw (no JSON encoder writes a raw one, but
    hand-made JSON does: omdbapi/OMDb-API#322 and #53, plots with a raw tab, U+000B, U+001F),
    are taken out once, here (metarrd/text.py), for every field of every provider. A raw one
    made the whole answer "no JSON", retried for ever; a kept answer is read the same way."""
    body = b'{"title": "L\\u00e9on\\u0000 \\ud800", "overview": "a\tb\x0bc\x1f", "id": 101}'
    Scripted.script["/3/movie/101"] = [(200, JSON, body)]
    url = f"{server}/3/movie/101"
    want = {"title": "L\u00e9on \ufffd", "overview": "a\tbc", "id": 101}
    assert client.get_json(url, provider="tmdb", reuse=True) == want
    assert client.get_json(url, provider="tmdb", reuse=True) == want
    assert client.reused() == 1


def test_keys_never_appear_in_errors(server, client):
    Scripted.script["/u"] = [(401, JSON, b"{}")]
    with pytest.raises(ProviderAuthError) as err:
        client.get_json(f"{server}/u", provider="tmdb", params={"api_key": "SECRET123"})
    assert "SECRET123" not in str(err.value)
    assert "SECRET" not in redact("http://h/p?api_key=SECRET")
    assert redact("http://kodi:SECRET@[::1]:8080/jsonrpc?a=1") == "http://…@[::1]:8080/jsonrpc?…"
    assert "SECRET" not in scrub("GET /x?api_key=SECRET&a=1 failed")


def test_timeout_is_retried_then_reported(client, waits):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection but never answers
    client.timeout = 0.2
    try:
        with pytest.raises(ProviderUnavailable, match="timed out"):
            client.get_json(f"http://127.0.0.1:{listener.getsockname()[1]}/x", provider="t")
    finally:
        listener.close()
    assert len(waits) == 3


def test_refused_connection(client):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ProviderUnavailable) as failed:
        client.get_json(f"http://127.0.0.1:{port}/", provider="t")
    # what happened, not urllib3's `WatchedHTTPConnectionPool(host=…): Max retries exceeded
    # with url: … (Caused by NewConnectionError(…` cut off before its reason
    assert (
        f"connection failed (connection refused at 127.0.0.1:{port}) for "
        f"http://127.0.0.1:{port}/, gave up after" in str(failed.value)
    )
    assert "Max retries" not in str(failed.value)


def test_a_host_name_not_found_is_said_so(client, monkeypatch):
    import socket

    def not_found(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", not_found)
    with pytest.raises(ProviderUnavailable) as failed:
        client.get_json("http://api.themoviedb.invalid/3/movie/1", provider="tmdb")
    assert "connection failed (host name 'api.themoviedb.invalid' not found)" in str(failed.value)


def test_a_host_name_that_could_not_be_looked_up_is_not_said_not_found(client, monkeypatch):
    """A resolver that could not answer (glibc's EAI_AGAIN, "Temporary failure in name
    resolution": the network or its DNS server down) is not a name that does not exist: "not
    found" sent the user to check a provider's address that is right."""
    import socket

    def unanswered(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", unanswered)
    with pytest.raises(ProviderUnavailable) as failed:
        client.get_json("http://api.themoviedb.org/3/movie/1", provider="tmdb")
    assert (
        "connection failed (host name 'api.themoviedb.org' could not be looked up: "
        "Temporary failure in name resolution)" in str(failed.value)
    )
    assert "not found" not in str(failed.value)


@pytest.mark.parametrize("code", ["EHOSTUNREACH", "ENETUNREACH"])
def test_a_host_that_cannot_be_reached_is_said_so(client, monkeypatch, code):
    """The kernel's "No route to host" (a host on the LAN switched off: no ARP answer) and
    "Network is unreachable" (no route, the network down) in words, not urllib3's pool and
    retry count cut off before them."""
    import errno
    import socket

    connect = socket.socket.connect
    number = getattr(errno, code)

    def unreachable(sock, address):
        if address[0] == "192.0.2.7":  # TEST-NET-1 (RFC 5737)
            raise OSError(number, os.strerror(number))
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    with pytest.raises(ProviderUnavailable) as failed:
        client.get_json("http://192.0.2.7:8080/3/movie/1", provider="tmdb")
    said = str(failed.value)
    assert f"connection failed (cannot reach 192.0.2.7:8080: {os.strerror(number)}) for " in said
    assert "Max retries" not in said


def test_download_streams_and_caps_size(server, client):
    Scripted.script["/img"] = [(200, {"Content-Type": "image/jpeg"}, b"x" * 5000)]
    buf = io.BytesIO()
    d = client.download(f"{server}/img", buf, provider="t")
    assert d.size == 5000 and buf.getvalue() == b"x" * 5000
    with pytest.raises(ProviderError, match="larger than"):
        client.download(f"{server}/img", io.BytesIO(), provider="t", max_bytes=1000)


def test_a_body_cut_short_is_retried_then_reported(server, client, waits):
    Scripted.script["/cut"] = [(200, {**JSON, "Content-Length": "5000"}, b'{"partial": ')]
    with pytest.raises(ProviderUnavailable, match="connection failed"):
        client.get_json(f"{server}/cut", provider="tmdb")
    assert len(waits) == 3


def test_a_url_requests_cannot_send_is_a_clear_error(client):
    with pytest.raises(ProviderError, match="cannot request"):
        client.get_json("ftp://127.0.0.1/3/movie/1", provider="tmdb")


# psf/requests#5744 (open): a host name urllib3 cannot encode, a label over 63 characters or an
# empty one (`kodi..local`, a typo), passes requests' own parse and fails only at connect, where
# requests re-raises urllib3's LocationParseError as it is: not a RequestException
OVERLONG_LABEL = "a" * 64 + ".example"


def test_a_redirect_to_a_host_with_an_overlong_label_is_a_provider_error(server, client):
    # a provider's image URL (fanart.tv and TheTVDB send whole URLs) or a CDN's redirect
    Scripted.script["/img"] = [(302, {"Location": f"http://{OVERLONG_LABEL}/p.jpg"}, b"")]
    with pytest.raises(ProviderError, match="cannot request") as err:
        client.download(f"{server}/img", io.BytesIO(), provider="fanart")
    assert OVERLONG_LABEL in str(err.value)


@pytest.mark.parametrize(
    "location, said",
    [("http://[::1/p.jpg", "Invalid IPv6 URL"), ("http://127.0.0.1:99999/p.jpg", "Port out of")],
)
@pytest.mark.parametrize("kind", ["json", "download", "image"])
def test_a_redirect_to_an_address_that_cannot_be_read_is_a_provider_error(
    server, client, location, said, kind
):
    """requests reads a redirect's Location with urllib.parse, whose ValueError (an IPv6 address
    without its `]`, a port past 65535) is none of requests' exceptions: it went through the
    client as it was, and a host answering so made a user's image address a 500 in the page and
    one candidate of a provider's (fanart.tv's and TheTVDB's whole URLs) the whole item's
    enrich error, where an address that cannot be fetched is that image's own failure. (The
    port is read when the redirect stays on its host: whether the key headers go along.)"""
    Scripted.script["/img"] = [(302, {"Location": location}, b"")]
    with pytest.raises(ProviderError, match=f"cannot request {server}/img .*{said}"):
        if kind == "json":
            client.get_json(f"{server}/img", provider="tmdb")
        elif kind == "download":
            client.download(f"{server}/img", io.BytesIO(), provider="fanart", patient=False)
        else:  # an image host's redirect is looked at by the image hosts' rule first
            client.download(
                f"{server}/img", io.BytesIO(), provider="fanart", redirects=lambda url: None
            )
    assert len(Scripted.seen) == 1  # not tried again: it would say the same


@pytest.mark.parametrize("host", [OVERLONG_LABEL, "kodi..local"])
def test_a_host_name_that_cannot_be_encoded_is_a_provider_error(client, host):
    with pytest.raises(ProviderError, match="cannot request"):
        client.get_json(f"http://kodi:SECRET@{host}:8080/jsonrpc", provider="Kodi")


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_a_proxy_set_in_the_environment_is_used_and_no_proxy_honoured(server, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", server)  # the loopback server plays the proxy
    no_proxy_env.setenv("NO_PROXY", "localhost,127.0.0.1")
    client = HttpClient(timeout=2, max_retries=0)
    client.get_json("http://api.themoviedb.org/3/movie/603?api_key=k", provider="tmdb")
    assert Scripted.seen[-1][0] == "http://api.themoviedb.org/3/movie/603?api_key=k"  # proxied
    client.get_json(f"{server}/direct", provider="tmdb")
    assert Scripted.seen[-1][0] == "/direct"  # loopback is in NO_PROXY: straight there


class _WatchedEnviron(dict):
    """os.environ's contents, counting every read."""

    reads = 0

    def _read(self):
        type(self).reads += 1

    def get(self, *args):
        self._read()
        return super().get(*args)

    def __getitem__(self, key):
        self._read()
        return super().__getitem__(key)

    def __contains__(self, key):
        self._read()
        return super().__contains__(key)

    def __iter__(self):
        self._read()
        return super().__iter__()

    def items(self):
        self._read()
        return super().items()

    def keys(self):
        self._read()
        return super().keys()


def test_requests_do_not_read_the_environment_again(server, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", server)
    client = HttpClient(timeout=2, max_retries=0)  # reads it here, once
    watched = _WatchedEnviron(os.environ)
    no_proxy_env.setattr(os, "environ", watched)
    watched["HTTP_PROXY"] = "http://127.0.0.1:9"  # changed afterwards: not seen
    client.get_json("http://api.themoviedb.org/3/movie/603", provider="tmdb")
    client.download("http://image.tmdb.org/t/p/w342/a.jpg", io.BytesIO(), provider="tmdb")
    assert _WatchedEnviron.reads == 0
    assert [path for path, _ in Scripted.seen[-2:]] == [
        "http://api.themoviedb.org/3/movie/603",
        "http://image.tmdb.org/t/p/w342/a.jpg",
    ]


def test_a_hosts_freed_slot_goes_to_the_lowest_rank_waiting():
    """Enrich ranks each item's downloads by when the item started: with the host at its
    cap, the earliest item's next download goes first, whatever order they queued in, and
    first come first among equals."""
    from metarrd.http import HostSlots

    slots = HostSlots(1)
    slots.acquire()
    served: list[str] = []
    threads = []
    for name, rank in [("late", 9), ("early", 3), ("middle", 5), ("early-2", 3)]:
        queued = len(slots._waiting)

        def wait(name=name, rank=rank):
            with slots.held(rank):
                served.append(name)

        t = threading.Thread(target=wait, daemon=True)
        t.start()
        threads.append(t)
        for _ in range(500):  # queued in this order
            if len(slots._waiting) > queued:
                break
            threading.Event().wait(0.01)
    assert len(slots._waiting) == 4 and served == []
    slots.release()
    for t in threads:
        t.join(5)
    assert served == ["early", "early-2", "middle", "late"]
    slots.acquire()  # every slot came back: one, free again
    assert slots._free == 0 and not slots._waiting


def test_a_gzip_answer_that_decodes_to_gigabytes_is_refused_not_read(server, client, monkeypatch):
    """A few KB of gzip that decode to gigabytes (a hostile or broken mirror): requests reads a
    JSON answer whole into memory, so the daemon's memory grew until the kernel killed it."""
    monkeypatch.setattr(http, "MAX_JSON_BYTES", 1024 * 1024, raising=False)
    bomb = gzip.compress(b"{" + b" " * (8 * 1024 * 1024) + b"}")  # 8 KB, 8 MB decoded
    Scripted.script["/bomb"] = [(200, {**JSON, "Content-Encoding": "gzip"}, bomb)]
    with pytest.raises(ProviderError, match="more than 1 MB; not read"):
        client.get_json(f"{server}/bomb", provider="tmdb")
    assert len(Scripted.seen) == 1  # not retried: it would say the same again


def _drip(wfile):
    """A byte every 20 ms, well within the read timeout, for as long as someone listens."""
    try:
        for _ in range(250):
            wfile.write(b" ")
            wfile.flush()
            time.sleep(0.02)
    except OSError:
        pass


@pytest.mark.parametrize("kind", ["json", "download"])
def test_a_body_that_never_ends_is_given_up(server, client, waits, kind):
    """Each read came in time, so the read timeout never fired: an answer that dripped a byte
    now and then held its worker (and the item) for as long as the server kept it up."""
    client.body_timeout = 0.3
    Scripted.script["/drip"] = [(200, {**JSON, "Content-Length": "100000"}, _drip)]
    if kind == "json":
        with pytest.raises(ProviderUnavailable, match="did not send the whole answer within 0.3 s"):
            client.get_json(f"{server}/drip", provider="tmdb")
        assert len(waits) == 3  # retried like any timeout
    else:
        with pytest.raises(ProviderUnavailable, match="did not send the whole answer within 0.3 s"):
            client.download(f"{server}/drip", io.BytesIO(), provider="tmdb")


class HeaderDrip(BaseHTTPRequestHandler):
    """Starts an answer, then sends its header a byte every 20 ms, well within any read
    timeout, for as long as someone listens (8 s at most): the headers never end."""

    hits = 0
    cut = False
    over = threading.Event()

    def do_GET(self):  # noqa: N802
        HeaderDrip.hits += 1
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nX-Drip: ")
            for _ in range(400):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.02)
            self.wfile.write(b"\r\nContent-Length: 2\r\n\r\nok")
        except OSError:  # hung up on by the client
            HeaderDrip.cut = True
        finally:
            HeaderDrip.over.set()

    def log_message(self, *args):
        pass


@pytest.fixture
def header_drip():
    HeaderDrip.hits, HeaderDrip.cut, HeaderDrip.over = 0, False, threading.Event()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), HeaderDrip)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("kind", ["json", "download", "impatient"])
def test_headers_that_never_end_are_given_up_at_the_deadline(header_drip, waits, kind):
    """A server that sent a header byte within every read timeout kept the request open for
    as long as it liked: `body_timeout` covered the body only. Past the headers' deadline the
    socket is cut, and it is a timeout like any other, saying the host and the limit."""
    client = HttpClient(timeout=2, max_retries=2, sleep=waits.append)
    client.header_timeout = 0.5
    host = header_drip.removeprefix("http://")
    said = f"{host} did not answer within 0.5 s for {header_drip}/x"
    if kind == "json":
        with pytest.raises(ProviderUnavailable, match=f"{said}, gave up after 3 attempts"):
            client.get_json(f"{header_drip}/x", provider="tmdb")
        assert len(waits) == 2 and HeaderDrip.hits == 3  # retried like any timeout
    elif kind == "download":
        with pytest.raises(ProviderUnavailable, match=said):
            client.download(f"{header_drip}/x.jpg", io.BytesIO(), provider="fanart")
    else:
        with pytest.raises(TryAgain, match=said):
            client.download(f"{header_drip}/x.jpg", io.BytesIO(), provider="fanart", patient=False)
        assert HeaderDrip.hits == 1
        assert HeaderDrip.over.wait(30) and HeaderDrip.cut  # hung up on, not waited out


def test_a_password_in_the_address_is_in_no_error(header_drip, server, waits):
    """A provider behind a caching proxy with a login (`base_url = "https://me:s3cret@cache:8443/3"`,
    which `config check` takes) or a player whose URL holds its password: a request past its
    deadline said "me:s3cret@cache:8443 did not answer within 60 s", and one held by a host's
    Retry-After "me:s3cret@cache:8443 asked us to wait", in the log (whose filter hides a
    password only after a scheme), the item's error, the page and `list --json`."""
    client = HttpClient(timeout=2, max_retries=0, sleep=waits.append)
    client.header_timeout = 0.5
    host = header_drip.removeprefix("http://")
    with pytest.raises(ProviderUnavailable) as err:
        client.get_json(f"http://me:s3cret@{host}/3/movie/603", provider="tmdb")
    assert "s3cret" not in str(err.value) and f"{host} did not answer within 0.5 s" in str(
        err.value
    )
    Scripted.script["/busy"] = [(429, {"Retry-After": "100"}, b"")]
    held = server.replace("http://", "http://me:s3cret@") + "/busy"
    with pytest.raises(ProviderUnavailable):
        client.get_json(held, provider="tmdb")  # the host asked to wait: it is held
    with pytest.raises(TryAgain) as err:
        client.download(held, io.BytesIO(), provider="tmdb", patient=False)
    assert str(err.value) == f"tmdb: {server.removeprefix('http://')} asked us to wait"


def test_a_proxys_connection_is_cut_at_the_deadline_too(header_drip, no_proxy_env):
    no_proxy_env.setenv("HTTP_PROXY", header_drip)
    client = HttpClient(timeout=2, max_retries=0)
    client.header_timeout = 0.5
    with pytest.raises(ProviderUnavailable, match="did not answer within 0.5 s"):
        client.get_json("http://api.themoviedb.org/3/movie/603", provider="tmdb")


def _steady(wfile):
    """Twenty bytes, one every 50 ms: longer than the headers' deadline, well within the body's."""
    for _ in range(20):
        wfile.write(b"x")
        wfile.flush()
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["json", "download"])
def test_a_slow_steady_body_has_the_body_timeout_not_the_headers(server, waits, kind):
    """The headers' deadline ends when they come: a body that takes longer (a large image on a
    slow line) still has all of `body_timeout`."""
    client = HttpClient(timeout=2, max_retries=0, body_timeout=60)
    client.header_timeout = 0.5
    Scripted.script["/slow"] = [(200, {"Content-Length": "20"}, _steady)]
    if kind == "json":
        resp = client.request("GET", f"{server}/slow", provider="tmdb")
        assert resp.content == b"x" * 20
    else:
        out = io.BytesIO()
        client.download(f"{server}/slow", out, provider="tmdb")
        assert out.getvalue() == b"x" * 20


def test_one_thread_watches_every_deadline(server):
    """No thread per request: the deadlines of many requests, a client's or another's, share
    one watchdog thread."""
    for _ in range(3):
        client = HttpClient(timeout=2, max_retries=0)
        for _ in range(5):
            client.get_json(f"{server}/x", provider="tmdb")
            client.download(f"{server}/x", io.BytesIO(), provider="tmdb")
    names = [t.name for t in threading.enumerate()]
    assert names.count("http-deadlines") == 1


# --- the name lookup under the deadline (metarrd/deadline.py `lookup`) ---------------------------

TLS = Path(__file__).resolve().parent / "players" / "tls"


def test_a_name_the_dns_server_never_answers_for_is_given_up_at_the_deadline(server, hung_dns):
    """A NAS whose DNS server is dead: the lookup before the connection held the request for the
    resolver's own timeouts (5 s a try, several tries, each address family), outside the
    request's deadline. It is waited for until the deadline, and the error names the name;
    answered at last, the lookup connects nowhere."""
    port = server.rsplit(":", 1)[1]
    hung_dns.hang("api.hung.test", "127.0.0.1")
    client = HttpClient(timeout=2, max_retries=0, header_timeout=0.5)
    with pytest.raises(
        ProviderUnavailable, match="api.hung.test could not be looked up within 0.5 s"
    ):
        client.get_json(f"http://api.hung.test:{port}/3/movie/603", provider="tmdb")
    assert not hung_dns.released.is_set()  # given up while the resolver still hung
    assert hung_dns.release()  # its thread ended with the resolver's answer
    assert Scripted.seen == []


def test_requests_for_a_name_that_hangs_share_one_lookup(server, hung_dns):
    """A dead DNS server leaves a thread waiting in the resolver per name, not per request:
    each request for that name waits for the lookup already under way."""
    port = server.rsplit(":", 1)[1]
    hung_dns.hang("api.hung.test", "127.0.0.1")
    client = HttpClient(timeout=2, max_retries=0, header_timeout=0.5)
    errors: list[str] = []

    def get() -> None:
        try:
            client.get_json(f"http://api.hung.test:{port}/3/movie/603", provider="tmdb")
        except ProviderUnavailable as exc:
            errors.append(str(exc))

    requests = [threading.Thread(target=get) for _ in range(4)]
    for each in requests:
        each.start()
    for each in requests:
        each.join(30)
    assert len(errors) == 4 and all("could not be looked up" in error for error in errors)
    assert len(hung_dns.asked) == 1
    assert hung_dns.release()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_worker_does_not_wait_for_its_parents_lookup(server, hung_dns):
    """A lookup under way when a worker forks goes on in the parent only: the worker, which
    has no such thread, would wait for it at every request for that name, each given up."""
    port = int(server.rsplit(":", 1)[1])
    hung_dns.hang("api.hung.test", "127.0.0.1")
    client = HttpClient(timeout=2, max_retries=0, header_timeout=0.3)
    with pytest.raises(ProviderUnavailable, match="could not be looked up"):
        client.get_json(f"http://api.hung.test:{port}/3/movie/603", provider="tmdb")
    pid = os.fork()
    if pid == 0:  # the worker, whose resolver answers
        code = 1
        try:
            hung_dns.released.set()
            code = 0 if deadline.lookup("api.hung.test", port, seconds=5) else 2
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_proxys_name_is_looked_up_under_the_deadline_the_hosts_by_the_proxy(
    server, hung_dns, no_proxy_env
):
    """Through a proxy our lookup is the proxy's name (the proxy looks up the host's): a proxy
    whose name the dead DNS server never answers for is given up at the deadline, named."""
    port = server.rsplit(":", 1)[1]
    no_proxy_env.setenv("HTTP_PROXY", f"http://proxy.hung.test:{port}")
    client = HttpClient(timeout=2, max_retries=0, header_timeout=0.5)
    hung_dns.hang("proxy.lan.test", "127.0.0.1", after=1)
    hung_dns.hang("proxy.hung.test", "127.0.0.1")
    with pytest.raises(
        ProviderUnavailable, match="proxy.hung.test could not be looked up within 0.5"
    ):
        client.get_json("http://api.themoviedb.org/3/movie/603", provider="tmdb")
    assert hung_dns.release()
    assert Scripted.seen == []
    no_proxy_env.setenv("HTTP_PROXY", f"http://proxy.lan.test:{port}")
    client = HttpClient(timeout=2, max_retries=0, header_timeout=0.5)
    assert client.get_json("http://api.themoviedb.org/3/movie/603", provider="tmdb") == {}
    assert [path for path, _ in Scripted.seen] == ["http://api.themoviedb.org/3/movie/603"]
    assert [name for name, _ in hung_dns.asked] == ["proxy.hung.test", "proxy.lan.test"]


@pytest.fixture
def tls_server():
    """HTTPS on 127.0.0.1 with a certificate for 127.0.0.1 and localhost, signed by a home
    network's CA (mkcert's); `names`: the name each handshake asked for (SNI)."""
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "homelan.pem", TLS / "homelan.key")
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield srv.server_address[1], names
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("name, valid", [("localhost", True), ("media.lan.test", False)])
def test_a_name_we_look_up_is_still_the_one_tls_checks(server, tls_server, hung_dns, name, valid):
    """The connection goes to the address our lookup found; TLS still goes by the name: SNI
    carries it and the certificate is checked against it (this one is valid for 127.0.0.1 as
    well: checked against the address, media.lan.test would pass)."""
    port, names = tls_server
    hung_dns.hang(name, "127.0.0.1", after=9)  # answered at once
    client = HttpClient(timeout=2, max_retries=0)
    client.session.verify = str(TLS / "homeca.pem")
    url = f"https://{name}:{port}/3/movie/603"
    if valid:
        assert client.get_json(url, provider="tmdb") == {}
    else:
        with pytest.raises(ProviderUnavailable, match="SSLCertVerificationError"):
            client.get_json(url, provider="tmdb")
    assert names and set(names) == {name}
    assert hung_dns.asked and all(thread.startswith("lookup ") for _, thread in hung_dns.asked)


# --- JSON answers reused (`get_json(reuse=True)`: a season import's episodes, docs/tv.md) ----


def test_an_answer_asked_for_again_is_reused_for_the_same_url_and_parameters(server, client):
    """Each episode of a season that Sonarr imports one by one asked TMDB and TheTVDB for the
    same season lists; asked again with the same parameters, the answer kept is read again,
    each time as a new object (a caller changing what it got changes no one else's)."""
    Scripted.script["/tv/1396"] = [(200, JSON, b'{"n": 1}'), (200, JSON, b'{"n": 2}')]
    url = f"{server}/tv/1396"
    first = client.get_json(url, provider="tmdb", params={"language": "en-US"}, reuse=True)
    first["n"] = 99
    again = client.get_json(url, provider="tmdb", params={"language": "en-US"}, reuse=True)
    assert again == {"n": 1} and len(Scripted.seen) == 1 and client.reused() == 1
    other = client.get_json(url, provider="tmdb", params={"language": "de-DE"}, reuse=True)
    assert other == {"n": 2} and len(Scripted.seen) == 2  # another language: asked
    assert client.get_json(url, provider="tmdb", params={"language": "en-US"}) == {"n": 2}
    assert len(Scripted.seen) == 3  # not asked to reuse: asked


def test_a_failed_or_refused_answer_is_never_reused(server, client):
    """A 429, a 500, an HTML page in place of JSON, and a 200 the caller refused (an answer of
    another shape, TheTVDB's `"status": "failure"`) are asked for again the next time."""
    Scripted.script["/s"] = [
        (429, {"Retry-After": "1"}, b"{}"),
        (500, {}, b"oops"),
        (200, {"Content-Type": "text/html"}, b"<html>maintenance</html>"),
        (200, JSON, b'{"status": "failure"}'),
        (200, JSON, b'{"status": "success"}'),
    ]

    def check(data):
        if data.get("status") == "failure":
            raise ProviderError("tvdb", "request failed")
        return data

    url = f"{server}/s"
    with pytest.raises(ProviderUnavailable, match="HTML page"):  # after the 429 and the 500
        client.get_json(url, provider="tvdb", check=check, reuse=True)
    with pytest.raises(ProviderError, match="request failed"):
        client.get_json(url, provider="tvdb", check=check, reuse=True)
    assert client.get_json(url, provider="tvdb", check=check, reuse=True)["status"] == "success"
    assert client.get_json(url, provider="tvdb", check=check, reuse=True)["status"] == "success"
    assert len(Scripted.seen) == 5


def test_answers_are_reused_for_minutes_within_a_size_and_forgotten_on_demand(server, client):
    """Kept `REUSE_SECONDS`, at most `REUSE_BYTES` in all (the least recently used go first),
    and none once forgotten (a user's own enrich or identify)."""
    now = [1000.0]
    client.answers = http.Answers(seconds=600, max_bytes=40, clock=lambda: now[0])
    for name in ("a", "b", "c"):
        Scripted.script[f"/{name}"] = [(200, JSON, b'{"x": "' + name.encode() * 8 + b'"}')]

    def ask(name):
        before = len(Scripted.seen)
        client.get_json(f"{server}/{name}", provider="tmdb", reuse=True)
        return len(Scripted.seen) - before  # 1: asked, 0: reused

    assert [ask("a"), ask("b"), ask("a")] == [1, 1, 0]  # 17 bytes each
    assert [ask("c"), ask("a"), ask("b")] == [1, 0, 1]  # "b", the least recently used, went
    assert ask("a") == 0  # and "c" went for "b"
    now[0] += 601
    assert ask("a") == 1  # too old
    client.forget_answers()
    assert ask("a") == 1


@pytest.mark.parametrize(
    "login",
    ["me:s3cret\\x9", "me:s3cr%5Cet\\99", "me\\:s3cretpass"],
    ids=["backslash", "quoted", "user"],
)
def test_a_password_an_error_quotes_without_its_scheme_is_hidden(login):
    """A base URL whose password holds a backslash (`https://me:s3cret\\x9@cache/3`, a generated
    password), which `config check` took before it refused a backslash there, failed every
    request: urllib3 reads the backslash as the path's start, and its error quoted what came
    before it, "Failed to parse: 'me:s3cret' is not a valid host or port", into the item's
    error and `list --json`. The log's and the page's filters look for
    `scheme://user:password@` only, so the message is scrubbed where it is made, whatever the
    URL came past."""
    url = f"http://{login}@127.0.0.1:9/3/movie/603"
    with pytest.raises(ProviderError) as err:
        HttpClient(max_retries=0).get_json(url, provider="tmdb")
    assert "s3cr" not in str(err.value)
    assert "http://…@127.0.0.1:9/3/movie/603" in str(err.value)


def test_urls_remembered_gone_are_forgotten_once_expired_and_bounded(monkeypatch):
    """A URL gone for good (404, not an image) is remembered for GONE_SECONDS; it was dropped
    only when asked for again, and a daemon running for months, enriching thousands of items
    with a few dead artwork URLs each, kept every one it had met. The expired go as new ones
    come, and no more than GONE_MAX are kept (the oldest go first)."""
    now = [1000.0]
    client = HttpClient(clock=lambda: now[0])
    for i in range(50):
        client.mark_gone(f"https://image.tmdb.org/t/p/original/{i}.jpg", "HTTP 404")
    now[0] += http.GONE_SECONDS + 1
    client.mark_gone("https://assets.fanart.tv/fanart/movies/603/a.jpg", "HTTP 404")
    assert len(client._gone) == 1
    assert client.gone("https://assets.fanart.tv/fanart/movies/603/a.jpg") == "HTTP 404"
    monkeypatch.setattr(http, "GONE_MAX", 10)
    for i in range(25):
        client.mark_gone(f"https://image.tmdb.org/t/p/original/{i}.jpg", "HTTP 404")
    assert len(client._gone) == 10
    assert client.gone("https://image.tmdb.org/t/p/original/24.jpg") == "HTTP 404"
    assert client.gone("https://image.tmdb.org/t/p/original/0.jpg") is None
    client.mark_gone("https://image.tmdb.org/t/p/original/15.jpg", "not an image")  # again:
    client.mark_gone("https://image.tmdb.org/t/p/original/99.jpg", "HTTP 404")  # the newest
    assert client.gone("https://image.tmdb.org/t/p/original/15.jpg") == "not an image"
    assert client.gone("https://image.tmdb.org/t/p/original/16.jpg") is None


def test_a_hosts_slots_are_dropped_with_its_last_request(server, client):
    """Every host ever asked kept its slots for the life of the daemon (players renamed, image
    hosts changed, months of them): they go once no request holds or waits for one, and a
    host busy at its cap still has them."""
    port = server.rsplit(":", 1)[1]
    for i in range(20):  # a user name in the address: another host to the cap, the same server
        assert client.get_json(f"http://u{i}@127.0.0.1:{port}/a", provider="t") == {}
    assert client._hosts == {}

    started, go = threading.Event(), threading.Event()

    def slow(out):
        started.set()
        go.wait(5)
        out.write(b"{}")

    Scripted.script["/slow"] = [(200, {**JSON, "Content-Length": "2"}, slow)]
    busy = HttpClient(timeout=5, per_host=1)
    host = server.removeprefix("http://")
    first = threading.Thread(
        target=busy.get_json, args=(f"{server}/slow",), kwargs={"provider": "t"}
    )
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=busy.get_json, args=(f"{server}/a",), kwargs={"provider": "t"})
    second.start()
    for _ in range(500):  # the second waits for the one slot
        if busy._hosts[host].users == 2:
            break
        threading.Event().wait(0.01)
    assert busy._hosts[host].users == 2 and len(busy._hosts[host]._waiting) == 1
    go.set()
    first.join(5)
    second.join(5)
    assert busy._hosts == {} and [path for path, _ in Scripted.seen[-2:]] == ["/slow", "/a"]


def test_a_hosts_retry_after_is_forgotten_once_over_and_kept_while_it_lasts(server):
    """Every host that ever asked us to wait was remembered for good; a hold that is over is
    forgotten as others come, and one still running is kept, whatever comes after."""
    now = [1000.0]
    client = HttpClient(timeout=2, clock=lambda: now[0])
    port = server.rsplit(":", 1)[1]
    Scripted.script["/busy"] = [(429, {"Retry-After": "30"}, b"{}")]
    for i in range(20):
        with pytest.raises(TryAgain):
            client.request("GET", f"http://u{i}@127.0.0.1:{port}/busy", provider="t", patient=False)
    assert len(client._not_before) == 20
    now[0] += 31
    Scripted.script["/busy"] = [(429, {"Retry-After": "60"}, b"{}")]
    with pytest.raises(TryAgain):
        client.request("GET", f"{server}/busy", provider="t", patient=False)
    assert list(client._not_before) == [server.removeprefix("http://")]
    now[0] += 59  # still held: the host is not asked, and its hold stays
    with pytest.raises(TryAgain, match="asked us to wait") as err:
        client.request("GET", f"{server}/busy", provider="t", patient=False)
    assert err.value.wait == 1
    Scripted.script["/busy"] = [(429, {"Retry-After": "5"}, b"{}")]
    with pytest.raises(TryAgain):
        client.request("GET", f"http://u0@127.0.0.1:{port}/busy", provider="t", patient=False)
    assert client.host_wait(f"{server}/busy") == 1
    now[0] += 1
    assert client.host_wait(f"{server}/busy") == 0
    assert list(client._not_before) == ["u0@127.0.0.1:" + port]


class ClockBehind:
    """`datetime` as metarrd.http sees it on a board that booted with the time it saved days
    ago (fake-hwclock) and has not reached its time server yet: three days behind."""

    @staticmethod
    def now(tz=None):
        return datetime.now(tz) - timedelta(days=3)

    def __getattr__(self, name):
        return getattr(datetime, name)


def test_a_retry_after_date_is_counted_from_the_hosts_date_not_our_clock(
    server, client, waits, monkeypatch
):
    """A Retry-After given as a date two minutes ahead, read on a board whose clock is three
    days behind: the wait was three days and two minutes (the job held for a week's cap, or
    its retries' 6 hours). RFC 9110's Date says when the host wrote the answer: the wait is
    the one from it to the date asked, whatever this clock says."""
    monkeypatch.setattr(http, "datetime", ClockBehind())
    then = email.utils.formatdate(time.time() + 120, usegmt=True)
    Scripted.script["/d"] = [(429, {"Retry-After": then}, b"{}")]
    with pytest.raises(ProviderUnavailable) as err:
        client.get_json(f"{server}/d", provider="tmdb")
    assert 100 <= err.value.retry_after <= 120
