"""The provider simulator: threaded HTTP/1.1 servers on 127.0.0.1 speaking TMDB v3 (/3),
fanart.tv v3 (/v3), TheTVDB v4 (/v4), and serving each provider's images (/t/p, /fanart,
/banners) from a host of its own (another port), as image.tmdb.org, assets.fanart.tv and
artworks.thetvdb.com are; with fault switches and request accounting for tests, benchmarks and
the demo."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from metarrd.simulator import fanart, routes, tmdb, tvdb
from metarrd.simulator.artwork import Asset
from metarrd.simulator.catalog import Catalog, load_catalog
from metarrd.simulator.faults import CORRUPT_MODES, Faults
from metarrd.simulator.images import ImageCache, bomb_png, garbage
from metarrd.simulator.reply import Reply, html_error_page, json_reply
from metarrd.simulator.routes import Keys, Request, Router

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_HANG = 60.0  # seconds; stop() ends a hang at once


class Hit(NamedTuple):
    """One request as served: method, path with query string, HTTP status (0 = hung up), the
    body bytes sent, and the request's headers (lower-case names: what a client sent, such as
    fanart.tv's `api-key` and `client-key`)."""

    method: str
    path: str
    status: int
    size: int = 0
    headers: Mapping[str, str] = MappingProxyType({})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, handler, sim: Simulator) -> None:
        self.sim = sim
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        log.debug("simulator: connection from %s ended abruptly", client_address, exc_info=True)

    def drop_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "metarrd-simulator/1.0"
    timeout = 60  # an idle keep-alive connection is closed after this long
    disable_nagle_algorithm = True  # else every reply waits ~40 ms for a delayed ACK
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("simulator: " + format, *args)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY)) if length else b""
        split = urlsplit(self.path)
        req = Request(
            method=method,
            path=split.path,
            params=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        sim = self.server.sim
        sim._flight(+1)
        try:
            reply = sim._respond(req)
        except Exception:
            log.exception("simulator: %s %s failed", method, self.path)
            reply = json_reply(500, {"error": "simulator error"})
        finally:
            sim._flight(-1)
        sent = len(reply.body) if reply and method != "HEAD" else 0
        sim._record(Hit(method, self.path, reply.status if reply else 0, sent, req.headers))
        if reply is None:  # hung up without answering
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)


IMAGE_HOSTS = ("tmdb", "fanart", "tvdb")


class Simulator:
    """TMDB v3 + fanart.tv v3 + TheTVDB v4 on 127.0.0.1, with real generated images.

    The APIs answer on `port`; each provider's images are served from a port of its own
    (`image_host(provider)`: `image_ports[provider]`, or any free one), so that a client's per-host limits and a 429's
    `Retry-After` apply per provider as they do on the real hosts. Every port answers every
    path; faults and the request log cover them all.

    >>> with Simulator() as sim:
    ...     requests.get(sim.tmdb_url + "/movie/603", params={"api_key": sim.tmdb_key})
    """

    def __init__(
        self,
        port: int = 0,
        *,
        tmdb_key: str = routes.DEFAULT_TMDB_KEY,
        tmdb_token: str = routes.DEFAULT_TMDB_TOKEN,
        fanart_key: str = routes.DEFAULT_FANART_KEY,
        tvdb_key: str = routes.DEFAULT_TVDB_KEY,
        tvdb_pin: str | None = None,
        candidates_per_movie: int | None = None,
        extra_movies: int = 0,
        latency: float = 0.0,
        cache_bytes: int = 256 * 1024 * 1024,
        image_ports: dict[str, int] | None = None,
    ) -> None:
        self.port = port
        self.image_ports = dict(image_ports or {})
        self.catalog: Catalog = load_catalog(extra_movies, candidates_per_movie)
        self.keys = Keys(tmdb_key, tmdb_token, fanart_key, tvdb_key, tvdb_pin)
        self.router = Router(self.catalog, self.keys, ImageCache(cache_bytes))
        self.faults = Faults()
        self.faults.latency = latency
        self._requests: list[Hit] = []
        self._in_flight = 0
        self._requests_lock = threading.Lock()
        self._stopping = threading.Event()
        self.honour_range = True  # False: answer a Range request with the whole image (200)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._image_servers: dict[str, _Server] = {}
        self._image_threads: list[threading.Thread] = []

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._image_servers = {
            name: _Server(("127.0.0.1", self.image_ports.get(name, 0)), _Handler, self)
            for name in IMAGE_HOSTS
        }
        self.router.base_url = self.url
        self.router.image_hosts = {name: self.image_host(name) for name in IMAGE_HOSTS}
        self._thread = self._serve(self._server, "simulator")
        self._image_threads = [
            self._serve(server, f"simulator-{name}") for name, server in self._image_servers.items()
        ]
        log.info("provider simulator listening on %s", self.url)
        return self

    @staticmethod
    def _serve(server: _Server, name: str) -> threading.Thread:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"{name}:{server.server_address[1]}", daemon=True,
        )  # fmt: skip
        thread.start()
        return thread

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes hanging and delayed requests
        servers = [server, *self._image_servers.values()]
        for each in servers:
            each.shutdown()
            each.drop_connections()
            each.server_close()
        for thread in [self._thread, *self._image_threads]:
            if thread is not None:
                thread.join(timeout=5)
        log.info("provider simulator on port %s stopped", self.port)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- addresses and keys -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tmdb_url(self) -> str:
        return self.url + "/3"

    @property
    def fanart_url(self) -> str:
        return self.url + "/v3"

    @property
    def tvdb_url(self) -> str:
        return self.url + "/v4"

    def image_host(self, provider: str) -> str:
        """`http://127.0.0.1:<port>` serving the images of `provider` (tmdb, fanart, tvdb)."""
        return f"http://127.0.0.1:{self._image_servers[provider].server_address[1]}"

    @property
    def image_base_url(self) -> str:
        """TMDB's image base (what /3/configuration gives), sizes below it."""
        return self.image_host("tmdb") + "/t/p/"

    tmdb_key = property(lambda self: self.keys.tmdb_key)
    tmdb_token = property(lambda self: self.keys.tmdb_token)
    fanart_key = property(lambda self: self.keys.fanart_key)
    tvdb_key = property(lambda self: self.keys.tvdb_key)

    def image_url(self, asset: Asset, size: str = "original") -> str:
        """Absolute URL of an asset (TMDB ones at the given size)."""
        if asset.provider == "tmdb":
            return f"{self.image_base_url}{size}{asset.file_path}"
        return self.image_host(asset.provider) + asset.key

    def prewarm(self, assets: list[Asset] | None = None) -> int:
        """Render images ahead of time (all originals by default) so that a benchmark measures
        the client, not the drawing; returns how many were rendered."""
        assets = self.catalog.images_list() if assets is None else assets
        for asset in assets:
            self.router.image(urlsplit(self.image_url(asset)).path)
        return len(assets)

    def revoke_tvdb_tokens(self) -> None:
        """Forget every issued TVDB token: the next call gets 401 and must log in again."""
        with self.keys.lock:
            self.keys.tvdb_tokens.clear()

    # --- fault switches -----------------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.faults.latency = seconds

    def set_latency(self, seconds: float, prefix: str | None = None) -> None:
        """Add `seconds` to requests under `prefix` (every request when None)."""
        if prefix is None:
            self.faults.latency = seconds
        else:
            self.faults.add("latency", prefix, seconds)

    def fail_429(
        self, n: int = 1, retry_after: int | str | None = 1, prefix: str | None = None
    ) -> None:
        """The next n requests (under prefix) get 429 with Retry-After and the provider's body.
        `retry_after` is sent as given: seconds, an HTTP-date (RFC 9110 allows either), or no
        header at all for None."""
        self.faults.add("429", prefix, retry_after, n)

    def fail_5xx(
        self,
        n: int = 1,
        status: int = 500,
        prefix: str | None = None,
        retry_after: int | str | None = None,
    ) -> None:
        """The next n requests (under prefix) get `status` with the provider's body; with
        `retry_after` (seconds or an HTTP-date), a Retry-After header too (a 503's maintenance
        window, RFC 9110 §15.6.4)."""
        self.faults.add("5xx", prefix, (status, retry_after), n)

    def not_found(self, path_or_prefix: str) -> None:
        self.faults.add("not_found", path_or_prefix)

    def corrupt(self, path: str, mode: str = "truncated") -> None:
        """Serve broken bytes with status 200: 'truncated', 'html' or 'garbage'."""
        if mode not in CORRUPT_MODES:
            raise ValueError(f"corrupt mode must be one of {CORRUPT_MODES}, not {mode!r}")
        self.faults.add("corrupt", path, mode)

    def bomb(self, path: str) -> None:
        """Serve a 25000x25000 PNG decompression bomb (~600 KB) instead of the image."""
        self.faults.add("bomb", path)

    def redirect(self, prefix: str | None, location: str, status: int = 302) -> None:
        """Answer requests under `prefix` with a redirect to `location` (a provider that moved,
        a captive portal sending the API call to its login page)."""
        self.faults.add("redirect", prefix, (status, location))

    def challenge(self, prefix: str | None = None) -> None:
        """Answer as Cloudflare does when it challenges a client (a VPN's address, a busy
        network): 403, `cf-mitigated: challenge` and the "Just a moment..." page, not the
        provider's own 401/403 body."""
        self.faults.add("challenge", prefix)

    def hang(self, path: str, seconds: float = 30.0) -> None:
        """Say nothing for `seconds` (cut short by stop()), then hang up."""
        self.faults.add("hang", path, seconds)

    def reset_faults(self) -> None:
        self.faults.reset()

    # --- request accounting -------------------------------------------------------------------

    @property
    def requests(self) -> list[Hit]:
        with self._requests_lock:
            return list(self._requests)

    def bytes_sent(self, prefix: str = "") -> int:
        """Body bytes served for requests whose path starts with prefix."""
        return sum(hit.size for hit in self.requests if hit.path.startswith(prefix))

    def count(self, prefix: str = "", method: str | None = None, status: int | None = None) -> int:
        """How many requests whose path (with query) starts with prefix, optionally filtered."""
        return sum(
            1
            for hit in self.requests
            if hit.path.startswith(prefix)
            and (method is None or hit.method == method)
            and (status is None or hit.status == status)
        )

    @property
    def in_flight(self) -> int:
        """Requests received and not yet answered (held by latency or hang, or being built)."""
        with self._requests_lock:
            return self._in_flight

    def _flight(self, delta: int) -> None:
        with self._requests_lock:
            self._in_flight += delta

    def reset_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    def _record(self, hit: Hit) -> None:
        with self._requests_lock:
            self._requests.append(hit)

    # --- serving ------------------------------------------------------------------------------

    def _respond(self, req: Request) -> Reply | None:
        path = req.path
        delay = self.faults.delay(path)
        if delay > 0 and self._stopping.wait(delay):
            return None
        hang = self.faults.take("hang", path)
        if hang is not None:
            self._stopping.wait(min(float(hang.value), MAX_HANG))
            return None
        if self.faults.take("challenge", path) is not None:
            headers = {"cf-mitigated": "challenge"}
            return Reply(403, CHALLENGE_PAGE, "text/html; charset=UTF-8", headers)
        rule = self.faults.take("429", path)
        if rule is not None:
            return _too_many(path, None if rule.value is None else str(rule.value))
        rule = self.faults.take("5xx", path)
        if rule is not None:
            status, retry_after = rule.value
            reply = _server_error(path, int(status))
            if retry_after is not None:
                reply.headers["Retry-After"] = str(retry_after)
            return reply
        if self.faults.take("not_found", path) is not None:
            return _not_found(path)
        rule = self.faults.take("redirect", path)
        if rule is not None:
            status, location = rule.value
            reply = html_error_page(status, "Moved Temporarily" if status == 302 else "Moved")
            reply.headers["Location"] = location
            return reply
        reply = self.router(req)
        if reply.status != 200:
            return reply
        if self.faults.take("bomb", path) is not None:
            return Reply(200, bomb_png(), "image/png")
        rule = self.faults.take("corrupt", path)
        if rule is not None:
            reply = _corrupted(reply, str(rule.value))
        if self.honour_range and req.method == "GET" and _is_image_path(path):
            return _ranged(reply, req.headers.get("range"))
        return reply


def _is_image_path(path: str) -> bool:
    return not path.startswith(("/3/", "/v3/", "/v4/"))


def _ranged(reply: Reply, header: str | None) -> Reply:
    """A single `bytes=a-b` / `bytes=a-` / `bytes=-n` range as the CDNs answer it: 206 with
    Content-Range, 416 when it starts past the end; anything else gets the whole body."""
    total = len(reply.body)
    headers = {**reply.headers, "Accept-Ranges": "bytes"}
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if match is None or not (match.group(1) or match.group(2)):
        return Reply(reply.status, reply.body, reply.content_type, headers)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else total - 1, total - 1)
    else:
        start, end = max(0, total - int(last)), total - 1
    if start >= total or start > end:
        return Reply(416, b"", reply.content_type, {**headers, "Content-Range": f"bytes */{total}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    return Reply(206, reply.body[start : end + 1], reply.content_type, headers)


def _too_many(path: str, retry_after: str | None) -> Reply:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    if path.startswith("/3/"):
        return tmdb.error(25, headers)
    if path.startswith("/v3/"):
        return json_reply(429, {"status": "error", "error message": "Rate limit exceeded"}, headers)
    if path.startswith("/v4/"):
        reply = tvdb.failure(429, "TooManyRequests: rate limit exceeded")
        reply.headers.update(headers)
        return reply
    reply = html_error_page(429, "Too Many Requests")
    reply.headers.update(headers)
    return reply


# Cloudflare (in front of fanart.tv and TheTVDB) answers for an origin it cannot reach with a
# page of its own: 520 unknown error, 521 web server is down, 522 connection timed out, 523
# origin is unreachable, 524 a timeout occurred
CLOUDFLARE = {520: "Web server is returning an unknown error", 521: "Web server is down",
              522: "Connection timed out", 523: "Origin is unreachable", 524: "A timeout occurred"}  # fmt: skip


def _server_error(path: str, status: int) -> Reply:
    if status in CLOUDFLARE:
        return html_error_page(status, CLOUDFLARE[status])
    if path.startswith("/3/") and status in tmdb.STATUS_CODES:
        reply = tmdb.error(tmdb.STATUS_CODES[status])
        reply.status = status
        return reply
    if path.startswith("/v3/"):
        return json_reply(status, {"status": "error", "error message": "Internal Server Error"})
    if path.startswith("/v4/"):
        return tvdb.failure(status, "InternalServerError: something went wrong")
    return html_error_page(status, "Internal Server Error" if status == 500 else "Bad Gateway")


def _not_found(path: str) -> Reply:
    if path.startswith("/3/"):
        return tmdb.error(34)
    if path.startswith("/v3/"):
        return json_reply(404, fanart.NOT_FOUND)
    if path.startswith("/v4/"):
        return tvdb.not_found()
    return html_error_page(404, "Not Found")


CHALLENGE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>"
    b"<body><h1>Checking your browser before accessing the site.</h1></body></html>\n"
)


def _corrupted(reply: Reply, mode: str) -> Reply:
    if mode == "html":
        return Reply(200, CHALLENGE_PAGE, "text/html; charset=utf-8")
    if mode == "truncated":
        return Reply(200, reply.body[: len(reply.body) // 2], reply.content_type)
    return Reply(200, garbage(max(len(reply.body), 1024)), reply.content_type)
