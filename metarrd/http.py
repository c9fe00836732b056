"""The one place metarrd talks HTTP: session, timeouts, User-Agent, retries, per-host limits.

Retry policy (docs/providers.md §4): 5xx, timeouts and refused connections are retried with
exponential backoff; 429, and 503 with a `Retry-After` (RFC 9110 §15.6.4: a maintenance
window), wait for `Retry-After` (seconds or an HTTP-date; 0, missing or unreadable means 1 s,
at most `MAX_RETRY_AFTER`), and the whole host waits with it: no request to a host that asked
us to wait leaves before its time. Given up, the error carries the whole wait the host asked
for (`ProviderUnavailable.retry_after`), which a job's retry then waits for. 401/403 and 404 are never retried
(404 is `NotFound`, a normal outcome). A caller that schedules its own retries (image
downloads, metarrd/enrich/analysis.py) asks with `patient=False` and gets `TryAgain(wait)`
instead of a sleeping thread. At most `per_host` requests go to one host at once; when that
cap is reached, the waiting request of the lowest rank goes next (`HostSlots`; enrich ranks
items by when they started). Query strings are redacted in every log line and error message,
so API keys never reach a log; redirects are followed, but the key headers never go to another
host, and a request with a body (TheTVDB's login, a player's POST) is not sent on to another host
at all (`_Session`). A player's own CA bundle (`ca_file`) verifies its own host only; a redirect
to another host is verified against the usual CAs (`OwnCA`).

Downloads can ask for the first bytes only (`first_bytes`, an HTTP Range request); a server that
ignores Range sends the whole file, which is then downloaded in full. An HTML page in place of
an image (a captive portal, a block page) is `ProviderUnavailable`: the network's doing, not the
picture's. A URL that is gone for good
(404, or not an image: `mark_gone`) is remembered for `GONE_SECONDS`, so a publish right after
an enrich does not ask again (`GONE_MAX` URLs at most, the expired dropped as new ones come). A JSON answer is read here, at most `MAX_JSON_BYTES` once decoded
(a gzip bomb is refused, not held in memory), with its strings made fit for the database and an
NFO (`text.fit_json`: no lone surrogate, NUL or other character XML 1.0 forbids, escaped or raw),
and no body may take longer than `body_timeout` to arrive (a server that drips a byte within
every read timeout is a timeout all the same). Nor may the answer's start: name lookup, connect
and headers have `header_timeout` (`HEADERS_SECONDS`, or thrice the read timeout when that is
longer), the body `body_timeout` from when the headers came; past either the request's sockets
are cut (a lookup is given up) (`metarrd.deadline`) and it is a timeout, retried as one, saying
the host (the name) and the limit.

A caller may ask for a JSON answer to be reused (`get_json(reuse=True)`: TMDB's and TheTVDB's
show records and season lists, which each episode of a season import asked for again): a 200
whose JSON the caller's `check` accepted is kept as its bytes for `REUSE_SECONDS`, at most
`REUSE_BYTES` in all (the oldest go first), and the same URL with the same parameters is
answered from there (`Answers`). An error, a retry, an HTML page or an answer the caller
refused is never kept; `forget_answers()` (a user's own enrich or identify) drops them all.

The environment is read once, when a client is made: the proxies (`HTTP_PROXY`, `HTTPS_PROXY`,
`ALL_PROXY`, `NO_PROXY`, lower case first, as requests and curl read them) and a CA bundle
(`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`). requests would read them again for every request
(`trust_env`), a third of the client's own time on a loopback image host; `~/.netrc` is not
consulted (no provider takes its credentials from there). A client made with
`use_proxies=False` ignores the proxy settings (the user's own image URLs, user_urls.py).
"""

from __future__ import annotations

import email.utils
import errno
import heapq
import ipaddress
import itertools
import json as jsonlib
import logging
import math
import os
import re
import socket
import ssl
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import unquote, urlencode, urlsplit

import requests
import urllib3.exceptions

from metarrd import __version__
from metarrd.deadline import Deadline, Overdue, WatchedAdapter, current
from metarrd.errors import (
    NotFound,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    TryAgain,
)
from metarrd.text import fit_json
from metarrd.urls import hide_credentials, redact, scrub

log = logging.getLogger(__name__)

USER_AGENT = f"metarrd/{__version__} (+https://github.com/metarrd/metarrd)"
RETRY_STATUSES = {500, 502, 503, 504, 520, 521, 522, 523, 524}  # 52x: Cloudflare, origin down
MAX_RETRY_AFTER = 60.0
GONE_SECONDS = 3600.0
GONE_MAX = 10_000  # URLs remembered gone at most (a few MB), the oldest forgotten first
MAX_JSON_BYTES = 64 * 1024 * 1024  # decoded; TMDB's largest answers (a soap's credits) are a few MB
BODY_SECONDS = 300.0  # the longest a body may take to arrive, however steadily it drips
HEADERS_SECONDS = 60.0  # the longest connect and headers may take, however steadily they drip
REUSE_SECONDS = 600.0  # a season import's webhooks come within minutes; unmatched episodes are
# tried again after an hour (pipeline/chain.py), by then with the provider's answer of that time
REUSE_BYTES = 32 * 1024 * 1024  # a long show's record with its seasons is a few MB
_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


# headers that carry a key or token, dropped on a redirect to another host (`_Session`):
# fanart.tv's keys (docs/providers.md §2.1), Plex's token, and the ones Jellyfin and Emby
# also read a token from
SECRET_HEADERS = (
    "api-key",
    "client-key",
    "x-plex-token",
    "x-emby-token",
    "x-emby-authorization",
    "x-mediabrowser-token",
    "x-api-key",
)
# where a provider's refused key is set (the players say their own: players/transport.py)
KEY_SETTINGS = {
    "tmdb": "api_key (or read_token) in [providers.tmdb]",
    "fanart": "api_key in [providers.fanart]",
    "tvdb": "api_key (and pin, for a subscriber key) in [providers.tvdb]",
}


class RedirectChangesMethod(requests.RequestException):
    """A 301 or 302 answer to a POST or PUT: requests would send it on as a GET, as browsers
    do, and an API takes that for another request (a media player's reverse proxy sending
    http:// on to https://: jellyfin/jellyfin-kodi#223)."""


class RedirectCarriesBody(requests.RequestException):
    """A 307 or 308 answer to a request with a body, naming another host: requests would send
    the body on as it is, and a body may hold a secret (TheTVDB's login: the API key and PIN)."""


class RedirectNotTrusted(requests.RequestException):
    """A redirect from a host trusted by its own CA bundle (a player's `ca_file`) to another
    host whose certificate the usual CAs do not trust: that bundle is for its host only."""


class RedirectRefused(requests.RequestException):
    """A redirect to an address its request may not go to (`HttpClient.request`'s `redirects`:
    a provider's image sent on from its image hosts to the user's network)."""


class OwnCA(str):
    """A CA bundle (its path) that verifies the host of `origin` only (a media player's
    `ca_file`); a redirect to any other host, port or scheme is verified against `elsewhere`
    (the usual CAs), as any other request is. requests takes it for the path it is."""

    origin: str
    elsewhere: bool | str

    def __new__(cls, path: str, origin: str, elsewhere: bool | str) -> OwnCA:
        bundle = super().__new__(cls, path)
        bundle.origin, bundle.elsewhere = origin, elsewhere
        return bundle


def _unverified(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed within requests' (and urllib3's) SSLError, or None
    (a handshake that failed for another reason)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return cur
        stack.extend(e for e in (cur.__cause__, cur.__context__) if e is not None)
        stack.extend(a for a in cur.args if isinstance(a, BaseException))
        if isinstance(reason := getattr(cur, "reason", None), BaseException):
            stack.append(reason)
    return None


class _Session(requests.Session):
    """requests drops `Authorization` on a redirect to another host (or from https to http) and
    keeps every other header, so fanart.tv's key headers and Plex's `X-Plex-Token` went along
    to whatever host a redirect named (a captive portal, a parked domain, a proxy's sign-in
    page). They (`SECRET_HEADERS`) are dropped whenever `Authorization` is. A body, which a
    307 or 308 keeps, cannot be told apart from its secrets: such a redirect to another host is
    not followed at all (`RedirectCarriesBody`).

    requests verifies every hop of a redirect against the first request's `verify`: a
    player's own CA (`OwnCA`) is used for the player's own host only, every other host the
    redirect names against the usual CAs (`OwnCA.elsewhere`); one whose certificate they do
    not trust fails as that (`RedirectNotTrusted`), not as a player that does not answer."""

    def send(self, request, **kwargs):
        verify = kwargs.get("verify")
        if isinstance(verify, OwnCA) and self.should_strip_auth(verify.origin, request.url):
            try:
                return super().send(request, **{**kwargs, "verify": verify.elsewhere})
            except requests.exceptions.SSLError as exc:
                if (problem := _unverified(exc)) is None:
                    raise
                raise RedirectNotTrusted(
                    f"{redact(verify.origin)} redirected to {redact(request.url)}, whose TLS "
                    f"certificate is not trusted ({problem.verify_message or problem.reason}); "
                    "the ca_file is trusted for its own host only (scheme, name and port): "
                    "use the URL it redirects to, with a ca_file for that host"
                ) from None
        return super().send(request, **kwargs)

    def __init__(self) -> None:
        super().__init__()
        self._hops = threading.local()  # the current request's `redirects` check, per thread

    def rebuild_auth(self, prepared_request, response) -> None:
        refused = getattr(self._hops, "refused", None)  # every hop, before it is sent
        if refused is not None and (why := refused(prepared_request.url)) is not None:
            raise RedirectRefused(
                f"{redact(response.url)} was redirected (HTTP {response.status_code}) to "
                f"{redact(prepared_request.url)}, not followed: {why}"
            )
        if self.should_strip_auth(response.request.url, prepared_request.url):
            if prepared_request.body is not None:  # a 301/302/303 has dropped it by now
                raise RedirectCarriesBody(
                    f"{prepared_request.method} {redact(response.url)} was redirected "
                    f"(HTTP {response.status_code}) to {redact(prepared_request.url)}, another "
                    "host, port or scheme, and was not sent there (its body may hold a key or password); use "
                    "the URL it redirects to if that host is the right one"
                )
            for name in SECRET_HEADERS:
                prepared_request.headers.pop(name, None)
        super().rebuild_auth(prepared_request, response)

    def rebuild_method(self, prepared_request, response) -> None:
        method = prepared_request.method
        super().rebuild_method(prepared_request, response)
        if prepared_request.method != method and response.status_code in (301, 302):
            raise RedirectChangesMethod(
                f"{method} {redact(response.url)} was redirected (HTTP {response.status_code}) "
                f"to {redact(prepared_request.url)}, where it would arrive as a GET; use the "
                "URL it redirects to"
            )


class Answers:
    """JSON answers kept for reuse (`HttpClient.get_json(reuse=True)`), as their bytes: each
    hit is parsed anew, so no caller sees what another one changed. Bounded in age
    (`seconds`) and in size (`max_bytes`, the least recently used go first)."""

    def __init__(
        self,
        seconds: float = REUSE_SECONDS,
        max_bytes: int = REUSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self.max_bytes, self.clock = seconds, max_bytes, clock
        self._kept: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._kept.get(key)
            if entry is None:
                return None
            if self.clock() - entry[0] > self.seconds:
                self._drop(key)
                return None
            self._kept.move_to_end(key)
            return entry[1]

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._kept:
                self._drop(key)
            self._kept[key] = (self.clock(), body)
            self._size += len(body)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._kept)))

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0

    def _drop(self, key: str) -> None:
        self._size -= len(self._kept.pop(key)[1])


@dataclass
class Download:
    url: str
    status: int
    content_type: str
    size: int  # bytes received
    total: int | None = None  # the whole file's size, when the server said (Content-Range)

    @property
    def partial(self) -> bool:
        """Only the first bytes came (206): the server honoured the Range request."""
        return self.status == 206


class HostSlots:
    """The per-host cap: at most `size` requests to one host at once. When it is reached, the
    waiter with the lowest rank goes next (first come first among equals), and a freed slot
    is handed to it directly. Enrich ranks an item's downloads by the order the items started
    (analysis.py), so with several items sharing a host the earliest finishes first and the
    next one starts while the others still download, instead of all finishing together and
    leaving the hosts idle while they complete."""

    def __init__(self, size: int) -> None:
        self._free = size
        self.users = 0  # requests holding or waiting for a slot (HttpClient's, under its lock)
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, threading.Event]] = []  # a heap
        self._order = itertools.count()

    def acquire(self, rank: int = 0) -> None:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            entry = (rank, next(self._order), turn)
            heapq.heappush(self._waiting, entry)
        try:
            turn.wait()  # the slot is ours when set: release handed it over
        except BaseException:  # interrupted (Ctrl-C): give up the place or the slot
            with self._lock:
                handed = turn.is_set()
                if not handed:
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
            if handed:
                self.release()
            raise

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1

    @contextmanager
    def held(self, rank: int = 0) -> Iterator[None]:
        self.acquire(rank)
        try:
            yield
        finally:
            self.release()


class HttpClient:
    """A shared requests session with the project's timeouts, retries and per-host cap."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        per_host: int = 6,
        pool_size: int = 16,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        use_proxies: bool = True,
        body_timeout: float = BODY_SECONDS,
        header_timeout: float | None = None,
        retry_overdue: bool = True,
    ):
        """`use_proxies=False`: straight to every host, whatever the environment says (a
        caller that checks the address each connection reaches: through a proxy it would see
        only the proxy's). `header_timeout`: the longest connect and headers may take
        together; by default `HEADERS_SECONDS`, or thrice `timeout` when that is longer (a
        connect and a first byte may each take a whole read timeout). `retry_overdue=False`: a
        request past its deadline (`Overdue`) is given up at once, not tried again (someone waits
        for it in a page). `clock`: the time Retry-After holds and URLs gone are counted in."""
        self.timeout = timeout
        self.retry_overdue = retry_overdue
        self.body_timeout = body_timeout
        self.header_timeout = (
            max(HEADERS_SECONDS, 3 * timeout) if header_timeout is None else header_timeout
        )
        self.max_retries = max_retries
        self.backoff = backoff
        self.per_host = per_host
        self._sleep = sleep
        self._clock = clock
        # host -> its slots, while a request holds or waits for one (a daemon running for months
        # meets many hosts: players renamed, image hosts changed); the holds alike, while live
        self._hosts: dict[str, HostSlots] = {}
        self._hosts_lock = threading.Lock()
        self._not_before: dict[str, float] = {}  # host -> `clock` time (Retry-After)
        # url -> (until, why), oldest first: every entry lives GONE_SECONDS, so the first to
        # expire is the first in the dict (mark_gone prunes them and keeps GONE_MAX at most)
        self._gone: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._local = threading.local()  # this thread's rank (`ranked`)
        self.answers = Answers()  # JSON answers kept for reuse (`get_json(reuse=True)`)
        self.session = _Session()
        self.session.trust_env = False  # the environment is read here, once (below)
        self.proxies, self.no_proxy = environment_proxies() if use_proxies else ({}, "")
        self.session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        adapter = WatchedAdapter(pool_connections=8, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def reused(self) -> int:
        """How many JSON answers this thread has had from those kept (`get_json(reuse=True)`):
        a caller that finds something missing in one asks again (what the provider added
        since), and only then."""
        return getattr(self._local, "reused", 0)

    def forget_answers(self) -> None:
        """Ask again for every JSON answer kept for reuse (a user's own enrich or identify:
        what the provider says now)."""
        self.answers.clear()

    def proxies_for(self, url: str) -> dict[str, str] | None:
        """The environment's proxies for `url` (None: straight there), as read at creation."""
        if not self.proxies or bypasses_proxy(url, self.no_proxy):
            return None
        return self.proxies

    @contextmanager
    def _host_slot(self, url: str, rank: int) -> Iterator[None]:
        """One of the host's slots (`HostSlots.held`); the host's entry goes with its last user
        (it then holds nothing: every slot free, no one waiting)."""
        host = urlsplit(url).netloc
        with self._hosts_lock:
            slots = self._hosts.get(host)
            if slots is None:
                slots = self._hosts[host] = HostSlots(self.per_host)
            slots.users += 1
        try:
            with slots.held(rank):
                yield
        finally:
            with self._hosts_lock:
                slots.users -= 1
                if not slots.users:
                    del self._hosts[host]

    @contextmanager
    def ranked(self, rank: int) -> Iterator[None]:
        """Requests of this thread wait for a host's slot at `rank` (`HostSlots`)."""
        before = getattr(self._local, "rank", 0)
        self._local.rank = rank
        try:
            yield
        finally:
            self._local.rank = before

    def host_wait(self, url: str) -> float:
        """Seconds until the URL's host may be asked again (its last Retry-After)."""
        return self.netloc_wait(urlsplit(url).netloc)

    def netloc_wait(self, netloc: str) -> float:
        """`host_wait` by the host's `netloc` (host[:port], as urlsplit gives it)."""
        with self._hosts_lock:
            now = self._clock()
            until = self._not_before.get(netloc, now)
            if until <= now:  # the hold is over: forgotten
                self._not_before.pop(netloc, None)
        return max(0.0, until - now)

    def _hold_host(self, url: str, seconds: float) -> None:
        host = urlsplit(url).netloc
        with self._hosts_lock:
            now = self._clock()
            for other in [h for h, until in self._not_before.items() if until <= now]:
                del self._not_before[other]  # holds that are over (no more than MAX_RETRY_AFTER)
            self._not_before[host] = max(self._not_before.get(host, now), now + seconds)

    def mark_gone(self, url: str, why: str) -> None:
        """The URL failed for good (404, not an image): do not ask again for a while."""
        now = self._clock()
        with self._hosts_lock:
            self._gone.pop(url, None)  # marked again: the newest
            self._gone[url] = (now + GONE_SECONDS, why)
            while self._gone:  # a daemon running for months met many: the expired go
                oldest, (until, _why) = next(iter(self._gone.items()))
                if until >= now and len(self._gone) <= GONE_MAX:
                    break
                del self._gone[oldest]

    def gone(self, url: str) -> str | None:
        """Why the URL is known to be gone, or None."""
        with self._hosts_lock:
            entry = self._gone.get(url)
            if entry is not None and entry[0] < self._clock():
                del self._gone[url]
                entry = None
        return entry[1] if entry else None

    def request(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        stream: bool = False,
        timeout: float | None = None,
        patient: bool = True,
        max_body: int | None = None,
        verify: str | None = None,
        redirects: Callable[[str], str | None] | None = None,
    ) -> requests.Response:
        """Send with the retry policy; return a 2xx response or raise a ProviderError.

        `max_body`: the body is read here, at most that many bytes once decoded (more is a
        ProviderError); a body cut short or too slow is retried. Every body is read within
        `body_timeout` of the headers, which come within `header_timeout` (`Deadline`); a
        `stream` response's (`resp.deadline`) is the caller's to end once it has read it.

        `patient=False`: no waiting in this thread; a failure worth retrying (or a host that
        asked us to wait) raises `TryAgain` with the wait instead. Where the host's cap is
        reached, it waits at this thread's rank (`ranked`; 0 when unset).

        `verify`: a CA bundle (PEM file) to check this host's certificate against instead of
        the usual ones (a media player's self-signed certificate); a redirect to another host
        is checked against the usual ones (`OwnCA`).

        `redirects`: why a redirect's URL may not be followed (None: it may), asked of each
        hop before it is sent; a refused one is a ProviderError (`RedirectRefused`)."""
        rank = getattr(self._local, "rank", 0)
        hold = self.host_wait(url)
        if hold > 0:
            if not patient:
                raise TryAgain(
                    provider, f"{shown_host(url)} asked us to wait", wait=hold, sent=False
                )
            self._sleep(hold)
        read_here = not stream or max_body is not None
        attempt = 0
        while True:
            attempt += 1
            asked = None  # the wait the host asked for (Retry-After), uncapped
            held = None  # 429 or 503: the host asked us to wait (and is held)
            deadline, kept = None, False
            try:
                with self._host_slot(url, rank):
                    # from the slot on: a request waiting for its turn is not the host's doing
                    # named in its error: host and port, never a password before them
                    deadline = Deadline(shown_host(url), self.header_timeout)
                    hops = self.session._hops
                    with current(deadline):
                        try:
                            hops.refused = redirects
                            resp = self.session.request(
                                method,
                                url,
                                params=params,
                                headers=headers,
                                json=json,
                                stream=True,  # the body is read here, or by the caller
                                timeout=timeout or self.timeout,
                                proxies=self.proxies_for(url),
                                verify=OwnCA(verify, url, self.session.verify)
                                if verify
                                else self.session.verify,
                            )
                        except Exception:
                            deadline.check()  # what urllib3 made of the socket cut: overdue
                            raise
                        finally:
                            hops.refused = None
                    if deadline.expired:  # cut in a header line: urllib3 took it for the end
                        resp.close()
                        deadline.check()
                    deadline.body(self.body_timeout)
                    if read_here and resp.status_code < 400:
                        self._read_body(resp, max_body, deadline, provider=provider, url=url)
            except requests.Timeout as exc:
                reason = str(exc) if isinstance(exc, Overdue) else "timed out"
                if isinstance(exc, Overdue) and not self.retry_overdue:  # may answer later
                    raise ProviderUnavailable(provider, f"{reason} for {redact(url)}") from None
                wait = self.backoff_for(attempt)
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                # refused, reset, or a body cut short: worth another try
                reason = f"connection failed ({_connection_problem(exc, url)})"
                wait = self.backoff_for(attempt)
            except requests.exceptions.InvalidHeader:  # its message quotes the value: a key
                raise ProviderError(
                    provider,
                    f"cannot request {redact(url)}: an API key or token in the configuration "
                    "starts with a space or holds a line break",
                ) from None
            except (
                RedirectChangesMethod,
                RedirectCarriesBody,
                RedirectNotTrusted,
                RedirectRefused,
            ) as exc:
                raise ProviderError(provider, str(exc)) from None
            except (
                requests.RequestException,
                urllib3.exceptions.LocationValueError,
                ValueError,
            ) as exc:
                # a bad URL and the like: retrying won't help. urllib3's LocationParseError for a
                # host it cannot encode at connect (a label over 63 characters, `kodi..local`),
                # the request's own or a redirect's, reaches us unwrapped (psf/requests#5744),
                # and so does urllib.parse's ValueError for a redirect's Location it cannot read
                # (`http://[::1/x`, a port past 65535), which requests parses unguarded
                raise ProviderError(
                    provider, f"cannot request {redact(url)} ({_short(exc, url)})"
                ) from None
            else:
                status = resp.status_code
                if status < 400:
                    if not read_here:  # the caller reads the body: its deadline goes along
                        resp.deadline = deadline  # type: ignore[attr-defined]
                        kept = True
                    return resp
                if status == 403 and "html" in resp.headers.get("Content-Type", ""):
                    # the providers refuse a key in JSON; a 403 page is a CDN or firewall in
                    # front of them (Cloudflare's challenge of a VPN's address): not the key's
                    # fault (players answer a wrong password with 401, pages included)
                    resp.close()
                    raise ProviderUnavailable(
                        provider,
                        "blocked in front of the provider (HTTP 403 with an HTML page, a CDN "
                        f"or firewall challenge, not a refused key) for {redact(url)}; "
                        "try again later or from another network",
                        status=403,
                    )
                if status in (401, 403):
                    resp.close()
                    setting = KEY_SETTINGS.get(provider)
                    hint = f"; check the {setting} of the configuration" if setting else ""
                    raise ProviderAuthError(
                        provider,
                        f"refused our credentials (HTTP {status}) for {redact(url)}{hint}",
                        status=status,
                    )
                if status == 404:
                    resp.close()
                    raise NotFound(provider, f"not found: {redact(url)}", status=404)
                if status == 429 or (status == 503 and resp.headers.get("Retry-After")):
                    asked = _asked_wait(resp.headers.get("Retry-After"), resp.headers.get("Date"))
                    wait = min(asked, MAX_RETRY_AFTER)
                    what = "rate limited" if status == 429 else "unavailable"
                    # what the host asked, past the wait in this thread: a job that gives up
                    # waits that long (it had said "retry after 60 s" next to "retry 1 in 3600s")
                    reason = (
                        f"{what} (HTTP {status}, asked to wait {asked:.0f} s)"
                        if asked > wait
                        else f"{what} (HTTP {status}, retry after {wait:g} s)"
                    )
                    held = status
                    self._hold_host(url, wait)
                elif status in RETRY_STATUSES:
                    reason, wait = f"server error (HTTP {status})", self.backoff_for(attempt)
                else:
                    resp.close()
                    raise ProviderError(provider, f"HTTP {status} for {redact(url)}", status=status)
                resp.close()
            finally:
                if deadline is not None and not kept:
                    deadline.cancel()
            if not patient:
                raise TryAgain(
                    provider, f"{reason} for {redact(url)}", wait=wait, status=held,
                )  # fmt: skip
            if attempt > self.max_retries:
                raise ProviderUnavailable(
                    provider, f"{reason} for {redact(url)}, gave up after {attempt} attempts",
                    status=held, retry_after=asked,
                )  # fmt: skip
            log.info("%s: %s for %s; retrying in %.1f s", provider, reason, redact(url), wait)
            self._sleep(wait)

    def get_json(
        self,
        url: str,
        *,
        provider: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        json: Any = None,
        check: Callable[[Any], Any] | None = None,
        reuse: bool = False,
    ) -> Any:
        """The answer's JSON, through `check` (which returns it, or raises for an answer of
        another shape). `reuse`: a GET answered before (`Answers`) is not asked again; the
        headers are not part of what is asked (a renewed token asks the same)."""
        key = None
        if reuse and method == "GET":
            key = f"{url}?{urlencode(sorted((params or {}).items()))}"
            body = self.answers.get(key)
            if body is not None:
                data = fit_json(jsonlib.loads(body, strict=False), body)
                data = check(data) if check else data
                self._local.reused = self.reused() + 1
                return data
        hdrs = {"Accept": "application/json", **(headers or {})}
        resp = self.request(
            method,
            url,
            provider=provider,
            params=params,
            headers=hdrs,
            json=json,
            max_body=MAX_JSON_BYTES,
        )
        try:  # strict=False: a raw control character in a string, which `fit_json` drops
            data = fit_json(resp.json(strict=False), resp.content)
        except ValueError:  # a captive portal's or a CDN's page, a body cut short: try later
            kind = "an HTML page" if "html" in resp.headers.get("Content-Type", "") else "no JSON"
            raise ProviderUnavailable(provider, f"returned {kind} for {redact(url)}") from None
        except RecursionError:  # `[[[[…` nested deeper than Python's parser goes: hostile
            raise ProviderError(
                provider, f"returned JSON nested too deeply to read for {redact(url)}"
            ) from None
        if check is not None:
            data = check(data)
        if key is not None and resp.status_code == 200:  # kept once `check` took it
            self.answers.put(key, resp.content)
        return data

    def download(
        self,
        url: str,
        out: IO[bytes],
        *,
        provider: str,
        max_bytes: int = 64 * 1024 * 1024,
        chunk_size: int = 256 * 1024,
        first_bytes: int | None = None,
        patient: bool = True,
        recheck: bool = False,
        redirects: Callable[[str], str | None] | None = None,
    ) -> Download:
        """Stream `url` into the binary file `out`; refuse bodies larger than `max_bytes`.

        `first_bytes`: ask for only that many (Range); a server that ignores it sends it all
        (`Download.partial` tells which). A URL known to be gone raises NotFound unasked, unless
        `recheck` (ENRICH asks again; it is PUBLISH that must not). `redirects`: as `request`'s."""
        why = None if recheck else self.gone(url)
        if why is not None:
            raise NotFound(provider, f"{why}: {redact(url)} (not asked again)", status=404)
        headers = {"Range": f"bytes=0-{first_bytes - 1}"} if first_bytes else None
        try:
            resp = self.request(
                "GET", url, provider=provider, stream=True, headers=headers, patient=patient,
                redirects=redirects,
            )  # fmt: skip
        except NotFound:
            self.mark_gone(url, "the provider does not have it (HTTP 404)")
            raise
        if recheck:
            with self._hosts_lock:
                self._gone.pop(url, None)
        total = _total_size(resp)
        content_type = resp.headers.get("Content-Type", "")
        size = 0
        looked = "html" not in content_type.lower()
        try:
            for chunk in _chunks(resp, chunk_size, resp.deadline):
                if not looked and chunk.strip():
                    looked = True
                    if chunk.lstrip()[:1] == b"<":
                        # a captive portal, a block page, a CDN error page: may be gone next time
                        raise ProviderUnavailable(
                            provider, f"{redact(url)} answered with an HTML page, not an image"
                        )
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(
                        provider, f"{redact(url)} is larger than {max_bytes // 1048576} MB; skipped"
                    )
                out.write(chunk)
        except Overdue as exc:  # not broken off: the host took too long to send it all
            raise ProviderUnavailable(provider, f"{exc} for {redact(url)}") from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(
                provider, f"download of {redact(url)} broke off ({_short(exc, url)})"
            ) from None
        finally:
            resp.close()
            resp.deadline.cancel()
        return Download(url, resp.status_code, content_type, size, total or size)

    def _read_body(
        self,
        resp: requests.Response,
        limit: int | None,
        deadline: Deadline,
        *,
        provider: str,
        url: str,
    ) -> None:
        """Read the whole body into `resp` (as requests does without `stream`), by `deadline`,
        refusing more than `limit` bytes once decoded: a gzip body of a few KB can decode to
        gigabytes."""
        body = bytearray()
        try:
            for chunk in _chunks(resp, 64 * 1024, deadline):
                body += chunk
                if limit is not None and len(body) > limit:
                    raise ProviderError(
                        provider,
                        f"{redact(url)} answered with more than {limit // 1048576} MB; not read",
                    )
        except BaseException:
            resp.close()
            raise
        resp._content = bytes(body)
        resp._content_consumed = True
        resp.close()  # the body is read: the connection goes back to the pool

    def backoff_for(self, attempt: int) -> float:
        """The wait before retry number `attempt` (exponential, at most 30 s)."""
        return min(self.backoff * (2 ** (attempt - 1)), 30.0)


def environment_proxies() -> tuple[dict[str, str], str]:
    """({scheme: proxy URL}, NO_PROXY) from the environment, read the way requests reads it."""
    found = dict(urllib.request.getproxies())
    no_proxy = found.pop("no", "")
    return found, no_proxy


def bypasses_proxy(url: str, no_proxy: str) -> bool:
    """`url`'s host is in NO_PROXY (names match themselves and their subdomains, with or
    without the port; addresses also by CIDR; `*` matches everything), requests' rule."""
    parts = urlsplit(url)
    host = parts.hostname
    if host is None:
        return True
    entries = [e.lstrip(".") for e in no_proxy.replace(" ", "").split(",") if e]
    if "*" in entries:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    with_port = f"{host}:{parts.port}" if parts.port else host

    def matches(entry: str) -> bool:
        if host == entry or with_port == entry:
            return True
        if address is None:  # a name: its subdomains too
            return host.endswith("." + entry) or with_port.endswith("." + entry)
        try:
            return "/" in entry and address in ipaddress.ip_network(entry, strict=False)
        except ValueError:  # not a network
            return False

    return any(matches(entry) for entry in entries)


def _chunks(resp: requests.Response, size: int, deadline: Deadline) -> Iterator[bytes]:
    """A streamed body, decoded, as it comes (pieces of at most `size` bytes), with requests'
    exceptions. Each read has the client's timeout, but a body that drips a byte now and then
    never times out: past `deadline` it is `Overdue` (a ReadTimeout), the read it was waiting
    in cut by the watchdog. urllib3's `read1` returns what has come; `read(size)` (urllib3 1.x)
    waits for `size` bytes."""
    raw = resp.raw
    read = getattr(raw, "read1", None) or raw.read
    while True:
        if time.monotonic() > deadline.deadline:
            raise deadline.error()
        try:
            try:
                chunk = read(size, decode_content=True)
            except Exception:
                deadline.check()  # cut by the watchdog: overdue, whatever urllib3 made of it
                raise
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from None
        except urllib3.exceptions.ProtocolError as exc:  # reset, or cut short
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        if not chunk:
            deadline.check()  # a body without a length, cut: not its end
            return
        yield chunk


def _total_size(resp: requests.Response) -> int | None:
    """The whole file's size: from Content-Range on a 206, Content-Length otherwise."""
    if resp.status_code == 206:
        match = _CONTENT_RANGE_RE.match(resp.headers.get("Content-Range", ""))
        return int(match.group(3)) if match and match.group(3).isdigit() else None
    length = resp.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


ASKED_WAIT_MAX = 7 * 86400.0  # a Retry-After past this (a week) is taken as this


def _asked_wait(value: str | None, sent: str | None = None) -> float:
    """The wait a `Retry-After` asks for: seconds or an HTTP-date (RFC 9110 §10.2.3), at least
    1 s (0, missing, a past date or nonsense), at most ASKED_WAIT_MAX: `inf`, `1e308` or a
    300-digit number (a broken host's) was read as that many seconds, and said so in the job's
    message. A date is counted from the answer's `Date` (`sent`: when the host wrote it), else
    from this clock: one days behind (a board without a real-time clock before NTP set it)
    waited those days too."""
    text = (value or "").strip()
    try:
        if text and not text.replace(".", "", 1).isdigit():
            raise ValueError(text)  # delay-seconds is digits: not `inf`, `nan`, `1e308`, `-5`
        seconds = min(float(text), ASKED_WAIT_MAX) if text else 1.0
    except (ValueError, OverflowError):
        when = _http_date(text)
        now = _http_date(sent) or datetime.now(UTC)
        seconds = (when - now).total_seconds() if when else 1.0
    if math.isnan(seconds):
        seconds = 1.0
    return min(max(seconds, 1.0), ASKED_WAIT_MAX)


def _http_date(text: str | None) -> datetime | None:
    """An HTTP-date header's moment (UTC when it names no zone), None for none or nonsense."""
    try:
        when = email.utils.parsedate_to_datetime(text or "")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def shown_host(url: str) -> str:
    """`url`'s host and port as a message names them: without the user and password some put
    before the host (a caching proxy's login in a provider's `base_url`, a player's URL), which
    the log's filter (`urls.hide_credentials`) finds only after a scheme."""
    return urlsplit(url).netloc.rpartition("@")[2]


# getaddrinfo's answers that the name has no address (glibc's EAI_NODATA too); the others
# (EAI_AGAIN: "Temporary failure in name resolution") say the lookup itself failed
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
# the kernel's: no route to the host (no ARP answer, a LAN host switched off) or its network
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}


def _connection_problem(exc: Exception, url: str) -> str:
    """What a failed connection to `url` met, in words: `connection refused at 127.0.0.1:8788`,
    `host name 'api.themoviedb.org' not found` (or `could not be looked up: Temporary failure
    in name resolution`), `cannot reach 192.168.1.20:8080: No route to host`. requests' own
    text was urllib3's pool and retry count (`WatchedHTTPConnectionPool(host=…, port=…): Max
    retries exceeded with url: …`), the reason cut off at its end; a proxy's failure
    (`ProxyError`) keeps it, it is not the host's."""
    if isinstance(exc, requests.exceptions.ProxyError):
        return _short(exc, url)
    seen: set[int] = set()
    causes: list[BaseException] = [exc]
    while causes:
        cause = causes.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused at {shown_host(url)}"
        if isinstance(cause, socket.gaierror):  # under urllib3's NameResolutionError
            if cause.errno in _NO_SUCH_NAME:
                return f"host name {urlsplit(url).hostname!r} not found"
            # EAI_AGAIN and the like: the resolver did not answer (the network down), the
            # name may well exist
            why = cause.strerror or str(cause)
            return f"host name {urlsplit(url).hostname!r} could not be looked up: {why}"
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE and cause.strerror:
            return f"cannot reach {shown_host(url)}: {cause.strerror}"
        causes += [a for a in cause.args if isinstance(a, BaseException)]
        reason = getattr(cause, "reason", None)
        causes += [
            c for c in (reason, cause.__cause__, cause.__context__) if isinstance(c, BaseException)
        ]
    return _short(exc, url)


def _short(exc: Exception, url: str) -> str:
    """`exc`'s message for an error's text, without the key of a query string, the user and
    password of a URL after its scheme (`urls.hide_credentials`), nor those of `url` wherever
    they stand: urllib3 reads a backslash as the path's start (urlsplit, and `config check`,
    as part of the password), and its error quoted the user info without a scheme, "Failed to
    parse: 'me:s3cret' is not a valid host or port", which no later filter finds."""
    text = scrub(hide_credentials(str(exc)))
    for secret in _user_info_pieces(url):
        text = text.replace(secret, "…")
    return text if len(text) < 160 else text[:157] + "…"


def _user_info_pieces(url: str) -> list[str]:
    """The user info of `url` (`user:password`) as an error's text may quote it: whole, cut at
    a backslash, the password alone; as written and percent-decoded; longest first. Pieces
    under four characters are left (a user name such as `me` is in every other word)."""
    try:
        info, at, _host = urlsplit(url).netloc.rpartition("@")
    except ValueError:
        return []
    if not at:
        return []
    forms = {info, unquote(info)}
    forms |= {form.partition(":")[2] for form in forms}
    pieces = forms | {piece for form in forms for piece in form.split("\\")}
    return sorted((p for p in pieces if len(p) >= 4), key=len, reverse=True)
