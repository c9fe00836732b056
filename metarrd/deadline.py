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
`PublicOnlyAdapter`, a proxy's); one given back to its pool is no longer the request's. The
name lookup before a connection is not cut: the resolver's own timeouts bound it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter

AGAIN_SECONDS = 0.2  # past its deadline, a request still connecting is looked at again so often
AGAIN_FOR_SECONDS = 60.0  # and for so long at most (a connection attempt has its own timeout)
# what an `Overdue` says the host did not do, by phase: "<host> did not answer within 60 s"
OVERDUE = ("did not answer", "did not send the whole answer")
_local = threading.local()


class Overdue(requests.exceptions.Timeout):
    """The answer did not come whole within its deadline: a timeout, retried as one."""


class Deadline:
    """One request's: first `seconds` for connect and headers, then `body` for the body."""

    def __init__(self, host: str, seconds: float, watchdog: Watchdog | None = None) -> None:
        self.host = host
        self.seconds = seconds
        self.phase = "answer"
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
        what = OVERDUE[0] if self.phase == "answer" else OVERDUE[1]
        return Overdue(f"{self.host} {what} within {self.seconds:g} s")

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
if hasattr(os, "register_at_fork"):  # a lock held at the fork would never be released
    os.register_at_fork(after_in_child=WATCHDOG._reset)


@contextmanager
def current(deadline: Deadline) -> Iterator[None]:
    """The connections this thread takes from a pool meanwhile are `deadline`'s."""
    before = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = before


_WATCHED: dict[type, type] = {}


def watched(pool_cls: type) -> type:
    """`pool_cls` whose connections, while taken, belong to the taker's current deadline."""
    if getattr(pool_cls, "_watched", False):
        return pool_cls
    if pool_cls not in _WATCHED:

        class Watched(pool_cls):  # type: ignore[misc, valid-type]
            _watched = True

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
        _WATCHED[pool_cls] = Watched
    return _WATCHED[pool_cls]


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
