"""A whole answer's deadline: connect, headers and body, however steadily a server drips them.

requests and urllib3 know a timeout per socket operation only (connect, each read): a server
that sends one byte within every read timeout keeps a request open for as long as it likes.
Each request of `metarrd.http` has a `Deadline`, and one thread (`Watchdog`) cuts the sockets
of every request whose deadline has passed: a `shutdown`, which wakes a read blocked in another
thread (a `close` would not, and its descriptor could be reused meanwhile). The requesting
thread then sees its answer end and asks `Deadline.expired`: the error says the host and the
limit (`Overdue`), whatever urllib3 made of a socket cut in the middle of a header line.

The connections a request uses are those its thread takes from a pool while the deadline is
`current` (`watched_pools`: the pool classes of an adapter, `WatchedAdapter`, the user images'
`PublicOnlyAdapter`, a proxy's); one given back to its pool is no longer the request's.

The name lookup before a connection counts too. The resolver (getaddrinfo) cannot be cut, and
a dead DNS server holds it for its own timeouts (5 s a try, twice per server, per address
family, with glibc's defaults; more where resolv.conf says so), so `lookup` runs it in a
thread of its own and waits no longer than the deadline: past it the request is `Overdue`
("<host> could not be looked up within 60 s"). The lookup thread ends when the resolver gives
up, and its answer is dropped: no connection is made from it. One name is looked up by one
thread at a time, whoever asks meanwhile waits for that one, so a dead DNS server makes one
thread per name, not per request. Connections whose lookup is ours: `user_urls`'
(`PublicOnlyAdapter`, which checks every address first), and every one of a watched pool
whose connection class is urllib3's own (`bounded`: it looks up, then connects to an
address; TLS still checks the certificate against the name, and SNI and Host carry it; a
proxy's connection looks up the proxy's name, the proxy the host's). Not ours: a SOCKS
proxy's connection (urllib3's SOCKSConnection hands the name to PySocks, which looks it up
or has the proxy do it), whose lookup the resolver's own timeouts still bound.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import os
import socket
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util.connection import allowed_gai_family, create_connection

AGAIN_SECONDS = 0.2  # past its deadline, a request still connecting is looked at again so often
AGAIN_FOR_SECONDS = 60.0  # and for so long at most (a connection attempt has its own timeout)
# what an `Overdue` says the host did not do, by phase: "<host> did not answer within 60 s"
OVERDUE = ("did not answer", "did not send the whole answer", "could not be looked up")
_local = threading.local()


class Overdue(requests.exceptions.Timeout):
    """The answer did not come whole within its deadline: a timeout, retried as one."""


class Deadline:
    """One request's: first `seconds` for connect and headers, then `body` for the body."""

    def __init__(self, host: str, seconds: float, watchdog: Watchdog | None = None) -> None:
        self.host = host
        self.seconds = seconds
        self.phase = "answer"
        self.name = host  # the name looked up past the deadline (`lapse`)
        self.deadline = time.monotonic() + seconds
        self.expired = False  # the watchdog has cut its sockets
        self._done = False
        self._conns: set[Any] = set()
        self._lock = threading.Lock()
        self._dog = watchdog or WATCHDOG
        self._dog.schedule(self, self.deadline)

    def body(self, seconds: float) -> None:
        """The headers have come: the body has `seconds` from now."""
        with self._lock:
            if self.expired or self._done:
                return
            self.phase, self.seconds = "body", seconds
            self.deadline = time.monotonic() + seconds
        self._dog.schedule(self, self.deadline)

    def cancel(self) -> None:
        """The request is over: its deadline no longer matters."""
        with self._lock:
            self._done = True
            self._conns.clear()

    @property
    def live(self) -> bool:
        return not self._done

    def error(self) -> Overdue:
        if self.phase == "lookup":  # the name it was: the host's, or its proxy's
            return Overdue(f"{self.name} {OVERDUE[2]} within {self.seconds:g} s")
        what = OVERDUE[0] if self.phase == "answer" else OVERDUE[1]
        return Overdue(f"{self.host} {what} within {self.seconds:g} s")

    def lapse(self, name: str) -> None:
        """The lookup of `name` for this request (`lookup`) was still going at the deadline."""
        with self._lock:
            if not self._done:
                self.expired, self.phase, self.name = True, "lookup", name

    def check(self) -> None:
        if self.expired:
            raise self.error()

    def add(self, conn: Any) -> None:
        with self._lock:
            if self._done:
                return
            self._conns.add(conn)
            late = self.expired
        if late:  # a redirect's connection, taken after the deadline: cut it too
            self._dog.schedule(self, time.monotonic())

    def discard(self, conn: Any) -> None:
        with self._lock:
            self._conns.discard(conn)

    def fire(self, when: float) -> None:
        """Called by the watchdog at `when`: past the deadline, cut every socket."""
        with self._lock:
            if self._done or when < self.deadline:
                return  # over, or a deadline since moved on (`body`)
            self.expired = True
            socks = [getattr(conn, "sock", None) for conn in self._conns]
        for sock in socks:
            _cut(sock)
        now = time.monotonic()
        if None in socks and now < self.deadline + AGAIN_FOR_SECONDS:
            self._dog.schedule(self, now + AGAIN_SECONDS)  # still connecting: its socket next


def _cut(sock: Any) -> None:
    """Shut the socket down (both ways) under whatever wraps it: TLS, TLS in TLS."""
    raw = sock if isinstance(sock, socket.socket) else getattr(sock, "socket", None)
    if raw is None:
        return
    # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under the reader;
    # OSError: closed meanwhile, or already shut
    with contextlib.suppress(OSError):
        socket.socket.shutdown(raw, socket.SHUT_RDWR)


class Watchdog:
    """One thread for the deadlines of every request of the process, started when first
    needed (and again in a forked worker, which has no thread of its parent's)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._compact_at = 256

    def schedule(self, deadline: Deadline, when: float) -> None:
        with self._lock:
            heapq.heappush(self._heap, (when, next(self._order), deadline))
            if len(self._heap) > self._compact_at:  # requests over long before their deadline
                self._heap = [e for e in self._heap if e[2].live]
                heapq.heapify(self._heap)
                self._compact_at = max(256, 2 * len(self._heap))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="http-deadlines", daemon=True
                )
                self._thread.start()
            if self._heap[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                when, _, deadline = heapq.heappop(self._heap)
            deadline.fire(when)


WATCHDOG = Watchdog()


@contextmanager
def current(deadline: Deadline) -> Iterator[None]:
    """The connections this thread takes from a pool meanwhile are `deadline`'s."""
    before = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = before


class _Lookup:
    """One name lookup under way in a thread of its own (`lookup`)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.infos: list = []
        self.error: BaseException | None = None


_lookups: dict[tuple[str, int, int], _Lookup] = {}  # those under way, by (host, port, family)
_lookups_lock = threading.Lock()


def _resolve(key: tuple[str, int, int], pending: _Lookup) -> None:
    host, port, family = key
    try:
        pending.infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except Exception as exc:  # gaierror; UnicodeError for a name IDNA cannot encode
        pending.error = exc
    finally:
        with _lookups_lock:
            if _lookups.get(key) is pending:
                del _lookups[key]
        pending.done.set()


def lookup(host: str, port: int, family: int = 0, *, seconds: float | None = None) -> list:
    """`socket.getaddrinfo(host, port, family, SOCK_STREAM)`, waited for until this thread's
    current deadline (`current`), or for `seconds` when it has none: past that `Overdue`
    ("<host> could not be looked up within 60 s"), the deadline's as its own error. The
    lookup goes on in its thread until the resolver gives up; its answer is then dropped.
    Without a deadline or `seconds`, an address, or a name being looked up: the resolver's own
    timeouts, in this thread."""
    deadline: Deadline | None = getattr(_local, "deadline", None)
    if (deadline is None and seconds is None) or _is_address(host):
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    key = (host, port, family)
    with _lookups_lock:
        pending = _lookups.get(key)
        if pending is None:  # else the one under way: a dead DNS server makes one thread a name
            pending = _lookups[key] = _Lookup()
            threading.Thread(
                target=_resolve, args=(key, pending), name=f"lookup {host}", daemon=True
            ).start()
    wait = seconds if deadline is None else deadline.deadline - time.monotonic()
    if not pending.done.wait(max(wait or 0.0, 0.0)):
        if deadline is None:
            raise Overdue(f"{host} {OVERDUE[2]} within {seconds:g} s")
        deadline.lapse(host)
        raise deadline.error()
    error = pending.error
    if isinstance(error, OSError):  # its own copy: the waiters of one lookup raise it each
        raise type(error)(*error.args)
    if error is not None:
        raise error
    return list(pending.infos)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def connect_first(infos: list, port: int, conn: Any) -> socket.socket:
    """A socket connected to the first address of `infos` (getaddrinfo's) that answers, with
    the settings of urllib3's connection `conn`; the last failure when none does."""
    failure: OSError | None = None
    for address in dict.fromkeys(str(info[4][0]) for info in infos):
        try:
            return create_connection(
                (address, port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            failure = exc
    raise failure or OSError("getaddrinfo returns an empty list")


class _Made:
    """The subclasses `bounded` and `watched` made, one per class while it is in use, held by
    nothing here: a class made for one client (user_urls' connection classes, which hold its
    allowed networks) goes with that client. Kept in a plain dict, every one of them stayed
    for as long as the process ran, some 15 KB for each image address the user pasted."""

    def __init__(self) -> None:
        self._made: weakref.WeakKeyDictionary[type, weakref.ref[type]] = weakref.WeakKeyDictionary()

    def get(self, base: type) -> type | None:
        made = self._made.get(base)
        return made() if made is not None else None

    def put(self, base: type, made: type) -> type:
        self._made[base] = weakref.ref(made)
        return made


_BOUNDED = _Made()


def bounded(conn_cls: type) -> type:
    """urllib3's connection class `conn_cls` whose name lookup, under a deadline, is `lookup`'s;
    then it connects to an address, as urllib3 would (its errors, its settings). The name
    stays the connection's own: TLS sends it (SNI) and checks the certificate against it, the
    request's Host header carries it. A class that makes its connections its own way
    (SOCKSConnection, user_urls' guarded ones) is left as it is."""
    if getattr(conn_cls, "_new_conn", None) is not HTTPConnection._new_conn:
        return conn_cls
    if (made := _BOUNDED.get(conn_cls)) is None:

        class Bounded(conn_cls):  # type: ignore[misc, valid-type]
            def _new_conn(self) -> socket.socket:
                if getattr(_local, "deadline", None) is None:
                    return super()._new_conn()
                host = self._dns_host
                if host.startswith("["):
                    host = host.strip("[]")
                try:  # as urllib3's create_connection
                    host.encode("idna")
                except UnicodeError:
                    raise LocationParseError(f"'{host}', label empty or too long") from None
                try:
                    infos = lookup(host, self.port, allowed_gai_family())
                except OSError as exc:  # gaierror, or Overdue (a requests exception: IOError)
                    raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
                try:
                    sock = connect_first(infos, self.port, self)
                except TimeoutError as exc:
                    raise ConnectTimeoutError(
                        self,
                        f"Connection to {self.host} timed out. (connect timeout={self.timeout})",
                    ) from exc
                except OSError as exc:
                    raise NewConnectionError(
                        self, f"Failed to establish a new connection: {exc}"
                    ) from exc
                sys.audit("http.client.connect", self, self.host, self.port)
                return sock

        Bounded.__name__ = Bounded.__qualname__ = f"Bounded{conn_cls.__name__}"
        made = _BOUNDED.put(conn_cls, Bounded)
    return made


def _after_fork() -> None:
    """In a forked worker: no thread of the parent's is there, nor is a lock it held released."""
    global _lookups_lock
    WATCHDOG._reset()
    _lookups_lock = threading.Lock()
    _lookups.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


_WATCHED = _Made()


def watched(pool_cls: type) -> type:
    """`pool_cls` whose connections, while taken, belong to the taker's current deadline, and
    whose name lookups it bounds (`bounded`)."""
    if getattr(pool_cls, "_watched", False):
        return pool_cls
    if (made := _WATCHED.get(pool_cls)) is None:

        class Watched(pool_cls):  # type: ignore[misc, valid-type]
            _watched = True
            ConnectionCls = bounded(pool_cls.ConnectionCls)

            def _get_conn(self, timeout=None):
                conn = super()._get_conn(timeout)
                deadline = getattr(_local, "deadline", None)
                if deadline is not None:
                    conn._metarrd_deadline = deadline
                    deadline.add(conn)
                return conn

            def _put_conn(self, conn) -> None:
                deadline = conn.__dict__.pop("_metarrd_deadline", None) if conn else None
                if deadline is not None:
                    deadline.discard(conn)
                super()._put_conn(conn)

        Watched.__name__ = Watched.__qualname__ = f"Watched{pool_cls.__name__}"
        made = _WATCHED.put(pool_cls, Watched)
    return made


def watched_pools(manager: Any) -> None:
    """Every pool class of urllib3's `manager` (a PoolManager, a proxy's, a SOCKS one) watched."""
    manager.pool_classes_by_scheme = {
        scheme: watched(cls) for scheme, cls in manager.pool_classes_by_scheme.items()
    }


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections (a proxy's too) are cut at their request's deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        watched_pools(manager)
        return manager
