"""The user's own image (item page, "Add your own"): an upload or a URL, checked like any
candidate; a URL is fetched only from public addresses (no server-side request forgery), from
real loopback servers here."""

from __future__ import annotations

import dataclasses
import gc
import http.client
import http.server
import io
import ipaddress
import socket
import threading
import time
import tracemalloc
import weakref
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from metarrd import db, user_urls
from metarrd.enrich import add_user_image
from metarrd.errors import EditRefused
from metarrd.user_urls import (
    UnreadableAddress,
    address_allowed,
    check_url,
    public_client,
)
from tests.web.conftest import jpeg


def png(size=(40, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


class _Served:
    """An HTTP server on `host` in a thread of its own, until `close`."""

    def _serve(self, host: str, handler) -> None:
        self.httpd = http.server.ThreadingHTTPServer((host, 0), handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Server(_Served):
    """A loopback HTTP server on `host` answering every path with (status, headers, body)."""

    def __init__(self, host: str, answer) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                status, headers, body = answer(self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.hits = 0
        self._serve(host, Handler)


@pytest.fixture
def image_server():
    server = Server(
        "127.0.0.1", lambda path: (200, {"Content-Type": "image/jpeg"}, jpeg(size=(200, 300)))
    )
    yield server
    server.close()


def allowing(config, *networks):
    art = dataclasses.replace(config.artwork, user_url_allow=tuple(networks))
    return dataclasses.replace(config, artwork=art)


@pytest.mark.parametrize(
    "address, ok",
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("192.168.1.20", False),
        ("172.16.0.9", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        # an IPv4 address inside an IPv6 one reaches that IPv4 address: through NAT64 (RFC 6052's
        # well-known prefix; DNS64 on an IPv6-only host or a cloud subnet hands these out for
        # every IPv4-only name, so a public one stays allowed), the IPv4-compatible and SIIT
        # forms; site-local (RFC 3879) and NAT64's local-use prefix (RFC 8215) are private
        # networks, and 6to4 (deprecated, RFC 7526) leads through a relay to any IPv4 address
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::a00:1", False),
        ("64:ff9b::808:808", True),
        ("64:ff9b:1::a00:1", False),
        ("2002:a9fe:a9fe::1", False),
        ("2002:808:808::1", False),
        ("::127.0.0.1", False),
        ("::ffff:0:7f00:1", False),
        ("fec0::1", False),
    ],
)
def test_only_public_addresses_are_fetched(address, ok):
    assert address_allowed(address, []) is ok


def test_a_network_the_configuration_allows():
    lan = [ipaddress.ip_network("192.168.1.0/24")]
    assert address_allowed("192.168.1.20", lan) and not address_allowed("192.168.2.1", lan)


@pytest.mark.parametrize(
    "url, why",
    [
        ("file:///etc/passwd", "only an http:// or https://"),
        ("ftp://example.com/a.jpg", "only an http:// or https://"),
        ("http://user:pw@example.com/a.jpg", "user name or password"),
        ("http:///a.jpg", "no host name"),
        ("http://localhost:8787/settings", "local or private address"),
        ("http://127.0.0.1/a.jpg", "local or private address"),
        ("http://[::1]/a.jpg", "local or private address"),
        ("http://169.254.169.254/latest/meta-data/", "local or private address"),
        ("http://0x7f000001/a.jpg", "local or private address"),  # 127.0.0.1 spelt in hex
    ],
)
def test_unsafe_urls_are_refused_before_any_request(url, why):
    with pytest.raises(EditRefused, match=why):
        check_url(url, [])


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[::1/x.jpg", "http://127.0.0.1:99999/x.jpg", "http://h:port/"]
)
def test_an_address_that_cannot_be_read_is_a_bad_request(client, seed, url):
    movie = seed.movie("The Matrix")
    answer = client.post(f"/movies/{movie.id}/artwork/poster/add", {"url": url}, htmx=True)
    assert answer.status_code == 400
    assert "that address cannot be read" in answer.get_data(as_text=True)
    assert not db.ArtworkCandidate.select().exists()
    with pytest.raises(UnreadableAddress):
        check_url(url, [])


def test_a_loopback_server_is_not_fetched_unless_allowed(app, config, seed, image_server):
    movie = seed.movie("The Matrix")
    with pytest.raises(EditRefused, match="local or private address"):
        add_user_image(config, movie.id, "poster", url=image_server.url + "/p.jpg")
    assert image_server.hits == 0  # refused before connecting
    asset = add_user_image(
        allowing(config, "127.0.0.1/32"), movie.id, "poster", url=image_server.url + "/p.jpg"
    )
    assert (asset.provider, asset.width, asset.height, asset.format) == ("user", 200, 300, "jpeg")
    assert asset.is_downloaded and asset.preview_path and asset.content_hash
    cached = db.CacheImageFile.get(db.CacheImageFile.file_hash == asset.content_hash)
    assert cached.provider_name == "user" and (config.cache_dir / "poster").exists()


def test_the_log_line_of_an_added_address_leaves_its_query_out(
    app, config, seed, image_server, caplog
):
    """An address copied from a browser often carries its key in the query string: Plex Web's
    "copy image address" (`/photo/:/transcode?url=…&X-Plex-Token=…`), an S3 pre-signed URL
    (`X-Amz-Signature=…`). Every log line leaves query strings out (metarrd.http); the line
    saying where the user's image came from wrote the address as typed."""
    movie = seed.movie("The Matrix")
    url = image_server.url + "/photo/:/transcode?width=600&X-Plex-Token=PlexS3cret"
    with caplog.at_level("INFO", logger="metarrd.enrich"):
        add_user_image(allowing(config, "127.0.0.1/32"), movie.id, "poster", url=url)
    assert image_server.hits == 1
    assert f"added by the user from {image_server.url}/photo/:/transcode?…" in caplog.text
    assert "PlexS3cret" not in caplog.text


def test_a_redirect_to_a_private_address_is_refused_at_connect(app, config, seed, image_server):
    """The name checked out, but the connection leads elsewhere (a redirect here; a DNS answer
    that changed in between works the same): the address actually reached is checked."""
    movie = seed.movie("The Matrix")
    hop = Server("127.0.0.2", lambda p: (302, {"Location": image_server.url + "/p.jpg"}, b""))
    try:
        with pytest.raises(EditRefused, match="local or private address"):
            add_user_image(
                allowing(config, "127.0.0.2/32"), movie.id, "poster", url=hop.url + "/go"
            )
        assert hop.hits == 1 and image_server.hits == 0
    finally:
        hop.close()


def test_what_is_not_an_image_is_refused_like_any_candidate(app, config, seed):
    movie = seed.movie("The Matrix")
    page = Server(
        "127.0.0.1", lambda p: (200, {"Content-Type": "image/jpeg"}, b"<html>login</html>")
    )
    try:
        with pytest.raises(EditRefused, match="not an image that can be used: .*HTML"):
            add_user_image(
                allowing(config, "127.0.0.0/8"), movie.id, "poster", url=page.url + "/x.jpg"
            )
    finally:
        page.close()
    with pytest.raises(EditRefused, match="not an image that can be used"):
        add_user_image(config, movie.id, "poster", data=b"GIF89a" + b"\0" * 20)
    tiny_cap = dataclasses.replace(
        config, artwork=dataclasses.replace(config.artwork, max_pixels=1000)
    )
    with pytest.raises(EditRefused, match="pixels"):
        add_user_image(tiny_cap, movie.id, "poster", data=png((100, 100)))  # a "bomb" for this cap
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").exists()


HEADER_START = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nX-A: "
BODY_START = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"


class Drip(_Served):
    """A loopback server that sends `start` (a header line begun, or whole headers), then a
    byte every 20 ms (within any read timeout) for 8 s: `cut` when the client hung up before
    the end."""

    def __init__(self, host: str, start: bytes = HEADER_START) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.asked += 1
                try:
                    self.wfile.write(start)
                    for _ in range(400):
                        self.wfile.write(b"a")
                        self.wfile.flush()
                        time.sleep(0.02)
                    self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    outer.cut = True
                finally:
                    outer.over.set()

            def log_message(self, *args):
                pass

        self.cut, self.over, self.asked = False, threading.Event(), 0
        self._serve(host, Handler)
        self.httpd.daemon_threads = True


def test_an_address_that_drips_its_headers_is_given_up_at_the_deadline(app, config, seed):
    """The host of a pasted address sent a header byte within every read timeout, holding one
    of the web worker's page threads for as long as it liked: its connection is cut at the
    headers' deadline, not tried again (the user waits for it), and the user told which host
    did not answer."""
    movie = seed.movie("The Matrix")
    drip = Drip("127.0.0.1")
    allowed = allowing(config, "127.0.0.1/32")
    fetcher = public_client(allowed)  # its retries as they are: a timeout is not tried again
    fetcher.header_timeout = 0.5
    host = drip.url.removeprefix("http://")
    try:
        with pytest.raises(EditRefused, match=f"{host} did not answer within 0.5 s"):
            add_user_image(allowed, movie.id, "poster", url=drip.url + "/x.jpg", client=fetcher)
    finally:
        fetcher.close()
        drip.close()
    assert drip.over.wait(30) and drip.cut  # hung up on, not waited out
    assert drip.asked == 1  # the user waited in the page thrice as long, asked again twice
    assert not db.ArtworkCandidate.select().exists()


def test_an_address_whose_image_drips_is_given_up_at_its_own_deadline(
    app, config, seed, monkeypatch
):
    """The headers came at once, then the image a byte within every read timeout: the user
    waited in the page for the providers' 5 minutes. A user's image has its own deadline for
    its body (USER_BODY_SECONDS, made short here), and the user is told what happened."""
    monkeypatch.setattr(user_urls, "USER_BODY_SECONDS", 0.5)
    movie = seed.movie("The Matrix")
    drip = Drip("127.0.0.1", BODY_START)
    host = drip.url.removeprefix("http://")
    try:
        with pytest.raises(EditRefused) as refused:
            add_user_image(
                allowing(config, "127.0.0.1/32"), movie.id, "poster", url=drip.url + "/x.jpg"
            )
    finally:
        drip.close()
    assert str(refused.value) == (
        f"cannot fetch that image: user: {host} did not send the whole answer within 0.5 s "
        f"for {drip.url}/x.jpg"
    )
    assert drip.over.wait(30) and drip.cut  # hung up on, not waited out
    assert not db.ArtworkCandidate.select().exists()


def test_upload_from_the_item_page_becomes_number_one_and_can_be_undone(client, seed):
    movie = seed.movie("The Matrix")
    old = seed.asset(movie, is_selected=True, rank=1)
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(png()), "mine.png")},
        htmx=True,
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Your poster (user 40×60) is now #1" in html
    mine = db.ArtworkCandidate.get(db.ArtworkCandidate.provider == "user")
    assert (mine.is_selected, mine.rank, mine.format) == (True, 1, "png")
    assert db.ArtworkCandidate.get_by_id(old.id).rank == 2
    assert 'name="snapshot"' in html  # Undo
    refused = client.post(
        f"/movies/{movie.id}/artwork/poster/add", {"url": "http://127.0.0.1:1/x.jpg"}, htmx=True
    ).get_data(as_text=True)
    assert "local or private address" in refused
    nothing = client.post(f"/movies/{movie.id}/artwork/poster/add", {}, htmx=True)
    assert "choose a file or paste an image address" in nothing.get_data(as_text=True)
    assert client.post(f"/movies/{movie.id}/artwork/nonsense/add", {}).status_code == 404


def test_an_upload_larger_than_the_cap_is_refused(client, seed, monkeypatch):
    from metarrd.web import item

    monkeypatch.setattr(item, "MAX_UPLOAD_BYTES", 1000)
    movie = seed.movie("The Matrix")
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(b"x" * 200_000), "big.jpg")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 413


def test_an_upload_over_the_cap_says_the_cap(client, seed, monkeypatch):
    """A file over the cap was answered with werkzeug's "The data value transmitted exceeds the
    capacity limit.": the user could not tell which limit, nor that it was the file's size."""
    from metarrd.web import item

    monkeypatch.setattr(item, "MAX_UPLOAD_BYTES", 100_000)
    movie = seed.movie("The Matrix")
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(b"x" * 300_000), "scan.png")},
        htmx=True,
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 413 and 'class="toast tone-danger"' in html
    assert "This file is too large: an image may be at most 97.7 KB; nothing was changed." in html
    assert "capacity limit" not in html
    other = client.post(f"/movies/{movie.id}/fields/title", {"value": "x" * 2_000_000}, htmx=True)
    assert other.status_code == 413
    assert "This request is too large: at most 1.0 MB; nothing was changed." in other.get_data(
        as_text=True
    )


class ForwardingProxy(_Served):
    """A loopback HTTP proxy that forwards each request as it comes (redirects included, not
    followed), as squid or tinyproxy would."""

    def __init__(self, host: str) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append(self.path)
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
                upstream.request("GET", target.path or "/")
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name in ("Content-Type", "Location"):
                    if answer.getheader(name):
                        self.send_header(name, answer.getheader(name))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                upstream.close()

            def log_message(self, *args):
                pass

        self.seen: list[str] = []
        self._serve(host, Handler)


def test_a_proxy_in_the_environment_does_not_hide_where_a_redirect_leads(
    client, config, seed, image_server, monkeypatch
):
    """Through a proxy, the only peer a connection sees is the proxy: a user's URL never
    goes through one, so a redirect to a private address is still seen and refused."""
    movie = seed.movie("The Matrix")
    hop = Server("127.0.0.2", lambda p: (302, {"Location": image_server.url + "/p.jpg"}, b""))
    proxy = ForwardingProxy("127.0.0.3")
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    client.application.config["METARRD"] = allowing(config, "127.0.0.2/32", "127.0.0.3/32")
    try:
        answer = client.post(
            f"/movies/{movie.id}/artwork/poster/add", {"url": hop.url + "/go"}, htmx=True
        ).get_data(as_text=True)
        assert "local or private address" in answer
        assert proxy.seen == [] and hop.hits == 1 and image_server.hits == 0
        assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user")
        assert public_client(config).proxies_for(hop.url) is None
    finally:
        hop.close()
        proxy.close()


class Listener:
    """A bare listening socket (an open port) that tells whether a connection came."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.sock = socket.create_server((host, port))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connected(self) -> bool:
        try:
            self.sock.accept()[0].close()
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    listening = Listener("127.0.0.1")
    yield listening
    listening.close()


def test_a_public_client_once_closed_leaves_nothing_behind(config):
    """Each image added by its address (a refused one too), and each publish that fetches one
    again, makes a client of its own, whose connection classes are its own (they hold its
    allowed networks): the deadlines' table of watched pool classes kept every one of them, some
    15 KB a client, for as long as the process ran, a web worker growing with every address
    pasted."""
    client = public_client(config)
    adapter = client.session.get_adapter("https://example.com/")
    pools = [weakref.ref(cls) for cls in adapter.poolmanager.pool_classes_by_scheme.values()]
    client.close()
    del client, adapter
    gc.collect()
    assert [pool() for pool in pools] == [None, None]


def test_a_refused_address_answers_the_same_whether_its_port_is_open_or_closed(
    client, config, seed, listener
):
    """No port scan through the redirects: the address is checked before connecting, and the
    answer does not depend on what listens there."""
    movie = seed.movie("The Matrix")
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    ports = {"/open": listener.port, "/closed": closed_port}
    hop = Server(
        "127.0.0.2", lambda p: (302, {"Location": f"http://127.0.0.1:{ports[p]}/x.jpg"}, b"")
    )
    client.application.config["METARRD"] = allowing(config, "127.0.0.2/32")
    try:
        answers = [
            client.post(
                f"/movies/{movie.id}/artwork/poster/add", {"url": hop.url + path}, htmx=True
            ).get_data(as_text=True)
            for path in ports
        ]
    finally:
        hop.close()
    assert "127.0.0.1 is a local or private address" in answers[0]
    # the same answer but the address typed, which the form shows again
    assert answers[0].replace(f"{hop.url}/open", f"{hop.url}/closed") == answers[1]
    assert not listener.connected()


@pytest.fixture
def resolver(monkeypatch):
    """`answers(name, [address, ...])`: each lookup of `name` gets the next address (the last
    one from then on), as a rebinding DNS server would answer; other names resolve as usual."""
    real = socket.getaddrinfo
    queues: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        queue = queues.get(host)
        if not queue:
            return real(host, port, *args, **kwargs)
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lambda name, addresses: queues.__setitem__(name, list(addresses))


def test_a_name_that_turns_private_after_the_check_is_refused_unconnected(
    app, config, seed, listener, resolver
):
    movie = seed.movie("The Matrix")
    resolver("rebind.test", ["127.0.0.2", "127.0.0.1"])
    url = f"http://rebind.test:{listener.port}/p.jpg"
    with pytest.raises(EditRefused, match="rebind.test is a local or private address"):
        add_user_image(allowing(config, "127.0.0.2/32"), movie.id, "poster", url=url)
    assert not listener.connected()


def test_the_connection_goes_to_the_address_that_was_checked(app, config, seed, resolver):
    """Checked, then connected: a second lookup for the connection could answer otherwise
    (DNS rebinding), so there is none; the checked address is the one connected to."""
    movie = seed.movie("The Matrix")
    image = Server(
        "127.0.0.2", lambda path: (200, {"Content-Type": "image/jpeg"}, jpeg(size=(200, 300)))
    )
    port = image.httpd.server_address[1]
    inside = Listener("127.0.0.1", port)
    resolver("rebind.test", ["127.0.0.2", "127.0.0.2", "127.0.0.1"])
    try:
        asset = add_user_image(
            allowing(config, "127.0.0.2/32"),
            movie.id,
            "poster",
            url=f"http://rebind.test:{port}/p.jpg",
        )
        assert image.hits == 1 and (asset.width, asset.height) == (200, 300)
        assert not inside.connected()
    finally:
        image.close()
        inside.close()


def test_a_name_the_dns_server_never_answers_for_is_given_up_at_the_deadline(
    app, config, seed, listener, hung_dns
):
    """A NAS whose DNS server is dead: the lookup of the pasted address's name held the page
    for the resolver's own timeouts (5 s a try, several tries, each address family). It is
    waited for until the headers' deadline at most, and the user told which name it was;
    the lookup, answered at last, connects nowhere."""
    movie = seed.movie("The Matrix")
    hung_dns.hang("art.hung.test", "127.0.0.1")
    allowed = allowing(config, "127.0.0.1/32")
    fetcher = public_client(allowed)
    fetcher.header_timeout = 0.5
    url = f"http://art.hung.test:{listener.port}/p.jpg"
    try:
        with pytest.raises(
            EditRefused, match=r"^art.hung.test could not be looked up within 0.5 s$"
        ):
            add_user_image(allowed, movie.id, "poster", url=url, client=fetcher)
        assert not hung_dns.released.is_set()  # given up while the resolver still hung
    finally:
        fetcher.close()
    assert hung_dns.release()  # its thread ended with the resolver's answer
    assert not listener.connected()
    assert not db.ArtworkCandidate.select().exists()


def test_a_lookup_for_the_connection_that_never_ends_is_given_up_at_the_deadline(
    app, config, seed, listener, hung_dns
):
    """The check's lookup was answered, the connection's own one (it looks up again, and checks
    again, rebinding) hangs: given up at the request's deadline, saying so."""
    movie = seed.movie("The Matrix")
    hung_dns.hang("art.hung.test", "127.0.0.1", after=1)
    allowed = allowing(config, "127.0.0.1/32")
    fetcher = public_client(allowed)
    fetcher.header_timeout, fetcher.max_retries = 0.5, 0
    host = f"art.hung.test:{listener.port}"
    try:
        with pytest.raises(
            EditRefused, match="user: art.hung.test could not be looked up within 0.5 s"
        ):
            add_user_image(allowed, movie.id, "poster", url=f"http://{host}/p.jpg", client=fetcher)
        assert not hung_dns.released.is_set()
    finally:
        fetcher.close()
    assert [thread.startswith("lookup ") for _, thread in hung_dns.asked] == [True, True]
    assert hung_dns.release()
    assert not listener.connected()


def test_a_refused_address_keeps_the_form_open_with_what_was_typed(client, seed):
    """A refused address came back in a toast only, the "Add your own poster" panel closed and
    emptied: the user had to open it again and paste the address again to fix one character."""
    movie = seed.movie("The Matrix")
    seed.asset(movie, is_selected=True, rank=1)
    url = "http://10.0.0.1/poster.jpg?a=1&b=2"
    answer = client.post(f"/movies/{movie.id}/artwork/poster/add", {"url": url}, htmx=True)
    html = answer.get_data(as_text=True)
    section = html[html.index('id="art-poster"') : html.index("</section>")]
    assert '<details class="art-add" open>' in section
    assert 'value="http://10.0.0.1/poster.jpg?a=1&amp;b=2" autofocus aria-invalid="true"' in section
    assert 'id="own-error-poster" role="alert">10.0.0.1 is a local or private address' in section
    again = client.hx_get(f"/movies/{movie.id}?tab=artwork").get_data(as_text=True)
    assert '<details class="art-add">' in again and "own-error-poster" not in again


def test_uploads_at_once_are_decoded_one_at_a_time(app, config, seed, monkeypatch):
    """Each upload may take up to imaging.DECODE_BUDGET (192 MB) to decode, and gunicorn runs
    six page threads a worker: six uploads at once took six times that, over a GB of a NAS's
    memory. Two uploads sent together: the second is decoded once the first is done."""
    from metarrd.enrich import user_images

    movie = seed.movie("The Matrix")
    inside, most = [], []
    real = user_images.analyse_with_preview

    def watched(*args, **kwargs):
        inside.append(1)
        most.append(len(inside))
        deadline = time.monotonic() + 1.0
        while len(inside) < 2 and time.monotonic() < deadline:  # room for the other to come in
            time.sleep(0.01)
        most.append(len(inside))
        try:
            return real(*args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(user_images, "analyse_with_preview", watched)
    errors = []

    def upload(size):
        db.database.connect(reuse_if_open=True)
        try:
            add_user_image(config, movie.id, "poster", data=png(size))
        except Exception as exc:  # noqa: BLE001 - said by the assertion below
            errors.append(exc)
        finally:
            db.database.close()

    threads = [threading.Thread(target=upload, args=(size,)) for size in ((40, 60), (41, 61))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert max(most) == 1
    assert db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").count() == 2


def test_an_upload_is_copied_to_disk_not_read_into_memory(client, seed):
    """A phone's "motion photo" (Samsung, Google Pixel) is a JPEG with its video appended after
    the picture's end: 10-20 MB for a 2 MB picture (10 MB here). The upload was read whole into
    memory before being written to the temp file the checks read (werkzeug has it on disk
    already), by a `read(64 MB + 1)` that makes its 64 MB buffer first, whatever the file's
    size: 65 MB traced for this one. Now it is copied over a MB at a time."""
    movie = seed.movie("The Matrix")
    photo = jpeg(size=(300, 450)) + b"ftypmp42" + bytes(range(256)) * 40_000  # 10 MB of "video"
    form = {"image": (io.BytesIO(photo), "PXL_20240101_MP.jpg")}
    tracemalloc.start()
    try:
        answer = client.post(
            f"/movies/{movie.id}/artwork/poster/add",
            form,
            htmx=True,
            content_type="multipart/form-data",
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    mine = db.ArtworkCandidate.get(db.ArtworkCandidate.provider == "user")
    assert (mine.width, mine.height, mine.file_size) == (300, 450, len(photo))
    # the test client holds the request body once (werkzeug's own copy goes to a temp file)
    assert peak < len(photo) + 8 * 1024 * 1024, f"{peak / 2**20:.0f} MB"


def test_an_upload_too_costly_to_decode_is_a_422_saying_why(client, seed):
    """A 3600x3600 WebP (a few KB: one colour) under the pixel cap, whose decode takes 207 MB
    (libwebp's canvases), was decoded in the request; now it is refused from its header, the
    form stays open with the reason, and the status says nothing was added."""
    movie = seed.movie("The Matrix")
    seed.asset(movie, is_selected=True, rank=1)
    buf = io.BytesIO()
    Image.new("RGB", (3600, 3600), (200, 30, 30)).save(buf, "WEBP", method=0)
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(buf.getvalue()), "wallpaper.webp")},
        htmx=True,
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    reason = "decoding this 3600x3600 WebP would take 198 MB of memory, over the 192 MB"
    assert 'class="toast tone-danger"' in html and reason in html
    assert '<details class="art-add" open>' in html
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").exists()


def test_an_upload_is_spooled_under_the_data_folder_not_in_tmp(client, config, seed, monkeypatch):
    """werkzeug spools a form's file over 500 KB to a temp file in the system's temp folder. On
    Debian 13 (and Arch, Fedora) /tmp is a tmpfs, so is the private /tmp of the unit
    (PrivateTmp=true): each upload of up to 64 MB was held in memory until its request ended,
    on top of the decode. It is spooled under data_dir/tmp instead, where add_user_image puts
    its own copy."""
    import tempfile

    movie = seed.movie("The Matrix")
    seed.asset(movie, is_selected=True, rank=1)
    made = []
    real = tempfile.TemporaryFile

    def recorded(*args, **kwargs):
        made.append(kwargs.get("dir"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recorded)
    photo = jpeg(size=(300, 450)) + b"ftypmp42" + bytes(range(256)) * 4_000  # 1 MB
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(photo), "PXL_20240101_MP.jpg")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    assert made and all(d is not None and Path(d) == config.tmp_dir for d in made), made


def test_a_type_without_candidates_can_have_the_users_own_image(client, seed):
    """A film TMDB has no fanart or logo for (an obscure or very new one) showed "No candidates
    for fanart, clearlogo" and nothing to do: "Add your own" lived in a type's section, and a
    type got one only with a candidate (tinyMediaManager lets any type take a file or a URL)."""
    movie = seed.movie("Obscure")
    seed.asset(movie, is_selected=True, rank=1)  # a poster, and nothing else
    page = client.hx_get(f"/movies/{movie.id}?tab=artwork").get_data(as_text=True)
    assert 'id="art-fanart"' in page and "Add your own fanart" in page
    refused = client.post(
        f"/movies/{movie.id}/artwork/fanart/add", {"url": "http://10.0.0.1/f.jpg"}, htmx=True
    ).get_data(as_text=True)  # the form stays, open, with the reason (it was swapped away)
    assert 'id="art-fanart"' in refused and 'id="own-error-fanart" role="alert"' in refused
    answer = client.post(
        f"/movies/{movie.id}/artwork/fanart/add",
        {"image": (io.BytesIO(png((160, 90))), "mine.png")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200 and "Your fanart (user 160×90) is now #1" in answer.get_data(
        as_text=True
    )
    assert db.ArtworkCandidate.get(db.ArtworkCandidate.asset_type == "fanart").is_selected


# what a browser's "Save Page As" writes when the user means to save the poster shown on a page
# (Firefox and Chrome both save the page, with the name the user typed: poster.jpg)
SAVED_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    b"<title>The Matrix (1999) - Posters - The Movie Database (TMDB)</title>\n</head>\n"
    b'<body><img src="https://image.tmdb.org/t/p/w500/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg">'
    b"</body>\n</html>\n"
)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (SAVED_PAGE, "the file is an HTML page, not an image"),
        # the TMDB API's answer saved instead of the image it names (images/posters of a movie)
        (b'{"id":603,"posters":[{"file_path":"/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"}]}', "the file is JSON, not an image"),
    ],
)  # fmt: skip
def test_an_upload_that_is_not_an_image_says_what_the_file_is(client, seed, body, said):
    """An uploaded file that is a saved web page was refused with "the provider returned an
    HTML page, not an image" (and JSON as "the provider returned JSON"): no provider was
    asked, the user chose the file."""
    movie = seed.movie("The Matrix")
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(body), "poster.jpg")},
        htmx=True,
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'class="toast tone-danger"' in html
    assert f"this is not an image that can be used: {said}" in html
    assert "provider" not in html.split('class="toast tone-danger"', 1)[1].split("</", 1)[0]
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").exists()


def _users_images(movie_id: int) -> dict[str, tuple]:
    """The item's images added by the user, by asset type: (row id, selected, by, rank,
    preview, content hash)."""
    A = db.ArtworkCandidate
    rows = A.select().where(A.movie == movie_id, A.provider == "user")
    return {
        r.asset_type: (r.id, r.is_selected, r.selected_by, r.rank, r.preview_path, r.content_hash)
        for r in rows
    }


def test_change_movie_keeps_the_images_the_user_added_and_their_choice(sim_stack, image_server):
    """ "Change movie…" (the identify page, The Matrix to The Thing) dropped the images the
    user uploaded or added from an address with the old film's provider images: their rows,
    cached copies and previews; the user's poster, chosen (which locks its type), gave way to TMDB's of
    the new film. Like the user's files in the library, they stay, chosen as they were, and
    the next publish writes the user's poster."""
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    mine = png((400, 600))
    answer = client.post(
        f"/movies/{movie.id}/artwork/poster/add",
        {"image": (io.BytesIO(mine), "mine.png")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert "Your poster (user 400×600) is now #1" in answer.get_data(as_text=True)
    assert db.Movie.get_by_id(movie.id).locked_asset_types == ["poster"]  # the user chose
    config = allowing(seed.config, "127.0.0.1/32")  # added, not chosen
    add_user_image(config, movie.id, "fanart", url=image_server.url + "/backdrop.jpg")
    before = _users_images(movie.id)
    assert before["poster"][1:4] == (True, "user", 1) and before["fanart"][1] is False
    C = db.CacheImageFile
    cached = {c.file_path for c in C.select().where(C.movie == movie.id, C.provider_name == "user")}
    assert len(cached) == 2

    client.post(f"/movies/{movie.id}/identify", {"id": "1091"}, htmx=True)
    changed = db.Movie.get_by_id(movie.id)
    assert (changed.tmdb_id, changed.title) == (1091, "The Thing")
    assert _users_images(movie.id) == before
    assert changed.locked_asset_types == ["poster"]
    assert cached <= {c.file_path for c in C.select().where(C.movie == movie.id)}
    assert all(Path(p).is_file() for p in cached)
    assert all((seed.config.previews_dir / row[4]).is_file() for row in before.values())

    enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert _users_images(movie.id)["poster"][1:4] == (True, "user", 1)
    publish_item(rt, db.Movie.get_by_id(movie.id))
    posters = list(movie.video_path.parent.glob("*poster*"))
    assert [p.read_bytes() for p in posters] == [mine]


def test_an_added_image_keeps_the_cached_copy_it_shares_with_the_old_films(sim_stack):
    """The user uploads a picture the old film's enrich had cached already (saved from TMDB's
    page): it takes that cache row (`add_user_image`, one row per picture of an item's type),
    a provider's. "Change movie…" kept the user's image but dropped that row with the old
    film's: publish, which finds an image's cached copy by its content, had none for it, and
    an upload has no address to fetch it again from."""
    from metarrd import workflow
    from metarrd.enrich import enrich_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    C, A = db.CacheImageFile, db.ArtworkCandidate
    tmdbs = C.get(C.movie == movie.id, C.image_type == "fanart", C.provider_name == "tmdb")
    saved = Path(tmdbs.file_path).read_bytes()
    answer = client.post(
        f"/movies/{movie.id}/artwork/fanart/add",
        {"image": (io.BytesIO(saved), "saved.jpg")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert "Your fanart (user" in answer.get_data(as_text=True)
    mine = A.get(A.movie == movie.id, A.provider == "user")
    assert mine.content_hash == tmdbs.file_hash
    workflow.set_stage("enrichment", False)  # what the item holds before the new film's enrich
    client.post(f"/movies/{movie.id}/identify", {"id": "1091"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).tmdb_id == 1091
    assert not A.select().where(A.movie == movie.id, A.provider == "tmdb").exists()
    assert A.get_by_id(mine.id).is_selected
    kept = C.get_or_none(C.movie == movie.id, C.file_hash == mine.content_hash)
    assert kept is not None and Path(kept.file_path).read_bytes() == saved
    assert C.select().where(C.movie == movie.id).count() == 1  # the old film's others went


def _upload(client, movie_id: int, asset_type: str, data: bytes, name: str):
    answer = client.post(
        f"/movies/{movie_id}/artwork/{asset_type}/add",
        {"image": (io.BytesIO(data), name)},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert f"Your {asset_type} (user" in answer.get_data(as_text=True)
    A = db.ArtworkCandidate
    return A.get(A.movie == movie_id, A.provider == "user", A.content_hash == _sha(data))


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_an_upload_not_chosen_outlives_a_publish_and_can_be_chosen_later(sim_stack):
    """The user uploads two posters, keeps the second one and publishes: the publish dropped
    the cached copy of every image nobody chose, the first upload's with the provider images;
    an upload has no address to download it again from, so when the user made it #1 later,
    the publish skipped it ("not downloaded again: only an http:// or https:// address can be
    fetched") and the library kept the second upload as its poster. An upload's copy stays
    while its candidate does; a provider's image nobody chose still goes."""
    from metarrd.enrich import enrich_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    first, second = jpeg((10, 20, 30), (400, 600)), jpeg((200, 210, 220), (400, 600))
    one = _upload(client, movie.id, "poster", first, "first.jpg")
    two = _upload(client, movie.id, "poster", second, "second.jpg")
    client.post(f"/assets/{one.id}/remove", htmx=True)  # the user keeps the second one
    assert not db.ArtworkCandidate.get_by_id(one.id).is_selected
    C, A = db.CacheImageFile, db.ArtworkCandidate
    tmdbs = [
        c.file_path
        for c in C.select()
        .join(A, on=(A.content_hash == C.file_hash))
        .where(C.movie == movie.id, A.provider == "tmdb", ~A.is_selected, A.movie == movie.id)
    ]
    assert tmdbs  # provider images nobody chose, cached by the enrich

    client.post(f"/movies/{movie.id}/publish", htmx=True)
    poster = movie.video_path.with_name("The Matrix (1999)-poster.jpg")
    assert poster.read_bytes() == second
    assert not any(Path(p).is_file() for p in tmdbs)  # the cache's size: these go as before
    kept = C.get_or_none(C.movie == movie.id, C.file_hash == one.content_hash)
    assert kept is not None and Path(kept.file_path).read_bytes() == first
    assert A.get_by_id(one.id).is_downloaded

    client.post(f"/assets/{one.id}/use", htmx=True)
    assert A.get_by_id(one.id).rank == 1
    client.post(f"/movies/{movie.id}/publish", htmx=True)
    assert poster.read_bytes() == first
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED
    assert C.get(C.movie == movie.id, C.file_hash == two.content_hash)  # now the one not chosen
