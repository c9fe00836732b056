"""Analyse artwork candidates concurrently from the bytes that decide, each exactly once.

An `Analyser` owns a private work folder under `<data_dir>/tmp/` and borrows a pool of
`[enrich] concurrency` threads (the shared HttpClient adds its per-host cap) and an analysis
pool, idle ones of an earlier item first (`_lend_pools`). Two ways in:

- `probe` (every candidate): the provider's small rendition gives the perceptual hash, the sanity
  checks and the ~300 px preview (`<data_dir>/previews/<hh>/<sha256>.webp`, or the rendition's
  own bytes and extension where it fits the preview box as it is); the real size and
  format come from the provider's stated size where it is exact and agrees with the rendition's
  shape, else from the image header: an HTTP Range request for its first bytes, or the whole file
  when the server ignores Range. No SHA-256: that needs the whole file. The rendition and the
  header stay in memory (`_Spool`, up to IN_MEMORY_BYTES): no temp file written and read back.
- `fetch` (the selected images, cast thumbnails): the whole file, analysed (real size, format,
  SHA-256, perceptual hash) and kept as a temp file until the work folder closes, so it is moved
  into the cache rather than downloaded again.

A download that fails in a way worth retrying (5xx, 429, timeout) never holds a thread: it is
tried again in the background after its backoff, at the front of its host's queue, while the rest
goes on, up to `max_retries` times; a host that answered 429 keeps its whole queue, in order,
until its `Retry-After`. Each Analyser has a rank (the order its item started): where a host is
at its cap, lower ranks go first (http.HostSlots). `when_drained` tells the item's caller when
none of its downloads waits to start, so that the next item can start. Closing the Analyser
removes the work folder whatever happened; a folder left behind by a crashed process is removed
by the next Analyser (`sweep_stale`). Failures
never raise: a candidate that cannot be downloaded (`retry=True`: try again at the next enrich) or
is no usable image (`retry=False`) comes back with a reason a person can read.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from metarrd import cache, db, scratch, user_urls
from metarrd.config import Config
from metarrd.enrich import analysts
from metarrd.errors import (
    EditRefused,
    ItemError,
    MetarrdError,
    NotFound,
    ProviderError,
    TryAgain,
)
from metarrd.http import Download, HttpClient, redact
from metarrd.image_hosts import redirects, refusal, refused_host
from metarrd.imaging import (
    MAX_IMAGE_BYTES,
    Header,
    ImageInfo,
    ImageRejected,
    download_reason,
    read_header,
)
from metarrd.scratch import scratch_path

log = logging.getLogger(__name__)

WORK_PREFIX = "enrich-"
HEADER_BYTES = 2048  # PNG, GIF, WebP and plain JPEGs state their size well inside this
# A rendition or a header is kept in memory up to this size (a temp file beyond): hundreds per
# item, each otherwise written, read back and removed in the work folder, on a NAS's disk.
IN_MEMORY_BYTES = 1024 * 1024
ASPECT_TOLERANCE = 0.02  # a rendition's shape may differ this much from the original's (rounding)
ANALYSIS_THREADS = max(2, os.cpu_count() or 2)  # decoding is CPU work: one thread per core
_ACTIVE: set[str] = set()  # work folders of this process that are in use
_ACTIVE_LOCK = threading.Lock()
_RANKS = itertools.count(1)  # items in the order they started: the earlier goes first


POOLS_KEPT = 8  # idle pairs of pools kept for the next Analysers (enrich_items runs items + 1)
_IDLE_POOLS: dict[int, list[tuple[ThreadPoolExecutor, ThreadPoolExecutor]]] = {}
_IDLE_LOCK = threading.Lock()


def _lend_pools(concurrency: int) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
    """A download pool of `concurrency` threads and an analysis pool, idle ones first.

    Lent, not made per item: Thread.start waits until the new thread runs, which on a busy
    machine took 8 ms on average (bench.enrich, 34 movies: 750 such waits, 6 s in all, many
    of them in `_pump` under the Analyser's lock, holding up every download of the item)."""
    with _IDLE_LOCK:
        idle = _IDLE_POOLS.get(concurrency)
        if idle:
            return idle.pop()
    return (
        ThreadPoolExecutor(concurrency, thread_name_prefix="fetch"),
        ThreadPoolExecutor(ANALYSIS_THREADS, thread_name_prefix="analyse"),
    )


def _return_pools(concurrency: int, pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor]) -> None:
    with _IDLE_LOCK:
        idle = _IDLE_POOLS.setdefault(concurrency, [])
        if len(idle) < POOLS_KEPT:
            idle.append(pools)
            return
    for pool in pools:
        pool.shutdown(wait=False)


def next_rank() -> int:
    """The rank of an item starting now: where a host is at its cap, the downloads of items
    that started earlier go first (http.HostSlots), so the first finishes first."""
    return next(_RANKS)


@dataclass
class AnalysisResult:
    url: str
    info: ImageInfo | None = None
    reason: str | None = None  # why the candidate is rejected
    retry: bool = False  # a download problem: worth trying again at the next enrich
    path: Path | None = None  # the analysed temp file (lives until the Analyser closes)
    preview: str | None = None  # relative to previews_dir
    size: int = 0  # bytes downloaded
    cached: Path | None = None  # where it went in the cache, when fetched with `cache_as`
    whole: bool = True  # info measured on the whole file (SHA-256 known); False: probed

    @property
    def ok(self) -> bool:
        return self.info is not None


def own_disk_error(exc: OSError) -> MetarrdError | None:
    """A write into data_dir (its temp files, the cache) that its disk refused: full, read-only,
    or not ours to write. That is the item's error, not the picture's: taken for the picture's,
    every download was rejected in turn and the item came out enriched with no artwork, its
    earlier choices dropped. None for any other error (the picture's own)."""
    if db.is_disk_full(exc):
        return db.disk_full(exc)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        where = f" {exc.filename}" if exc.filename else ""
        return ItemError(
            f"cannot write the artwork into the data folder:{where}: {exc.strerror}; nothing "
            "was dropped: make data_dir writable, then enrich the item again"
        )
    return None


class _Spool:
    """Where a download goes: memory while it stays within `limit` bytes, else a temp file
    (`new_path()`); a negative `limit` makes the file at once (a whole image, for the cache)."""

    def __init__(self, new_path: Callable[[], Path], limit: int):
        self._new_path = new_path
        self._limit = limit
        self._buffer = bytearray()
        self._fh = None
        self.path: Path | None = None
        if limit < 0:
            self._spill()

    def _spill(self) -> None:
        self.path = self._new_path()
        self._fh = open(self.path, "wb")  # noqa: SIM115 (closed by close/discard)
        self._fh.write(self._buffer)
        self._buffer = bytearray()

    def write(self, chunk: bytes) -> int:
        if self._fh is None and len(self._buffer) + len(chunk) > self._limit:
            self._spill()
        if self._fh is not None:
            return self._fh.write(chunk)
        self._buffer += chunk
        return len(chunk)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def got(self, download: Download) -> _Got:
        self.close()
        if self.path is not None:
            return _Got(self.path, download)
        return _Got(download=download, data=bytes(self._buffer))


class _Job(NamedTuple):
    """One download waiting for its host (or its retry): what to get, and whom to tell."""

    url: str
    provider: str
    then: Callable[[_Got], None]
    first_bytes: int | None = None  # a Range for the header only
    attempt: int = 1
    memory: bool = False  # small (a rendition, a header): bytes in memory up to IN_MEMORY_BYTES


@dataclass
class _Got:
    """One GET: the temp file or the bytes (`memory` jobs, while small), and what the server
    said; or why it failed."""

    path: Path | None = None
    download: Download | None = None
    data: bytes | None = None
    reason: str | None = None
    not_found: bool = False
    error: BaseException | None = None  # a bug, not a download problem: handed to the waiter


def same_shape(stated: tuple[int, int], small: tuple[int, int]) -> bool:
    """A rendition of `small` size can be the stated original (same aspect, give or take the
    rounding of the small side)."""
    (w, h), (sw, sh) = stated, small
    if min(w, h, sw, sh) <= 0:
        return False
    slack = ASPECT_TOLERANCE + 1.0 / min(sw, sh)
    return abs((w / h) / (sw / sh) - 1.0) <= slack


def sweep_stale(tmp_dir: Path) -> list[Path]:
    """Remove work folders of processes of this host that are gone (or of this one, no longer
    in use), and those of another host (a data_dir several share, another container's PID
    namespace) or named by no host (an older version's) that nobody wrote for an hour
    (`scratch.STALE_SECONDS`): a pid of theirs means nothing here, dead or alive."""
    removed = []
    try:
        entries = list(os.scandir(tmp_dir))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(WORK_PREFIX):
            continue
        with _ACTIVE_LOCK:
            in_use = entry.path in _ACTIVE
        if in_use:
            continue
        named = scratch.owner(entry.name)
        if named is not None and named[1] == db.this_host():  # ours when not in use: stale
            stale = named[0] == os.getpid() or scratch.process_ended(entry.name)
        else:
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            stale = age > scratch.STALE_SECONDS
        if not stale:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
        log.info("removed leftover work folder %s", entry.path)
    return removed


class Analyser:
    """`with Analyser(config, http) as an: an.probe(...)` / `an.fetch(url, provider)`
    -> Future[AnalysisResult].

    Two pools: `[enrich] concurrency` threads download (the HttpClient adds its per-host cap),
    and one thread per CPU hands each download to the analysis workers (`analysts.run`) as
    soon as it lands, so a download slot is
    never held up by decoding; a retry waits on a timer, holding neither. Both are lent for the
    Analyser's life and given back when it closes, after its own work on them has ended
    (`_settle`), so the threads serve item after item.

    Downloads wait in a queue per host and start host by host (`_pump`): no more of ours on a
    host than its cap, the least busy host first. In one FIFO queue the threads all waited
    for the host answered first (TMDB's renditions) while fanart.tv's and TheTVDB's hosts
    idled, which made enrich at 50 ms 1.7x the downloads alone.
    """

    def __init__(
        self, config: Config, http: HttpClient, *, label: str = "", rank: int | None = None
    ):
        self.config = config
        self.http = http
        self.label = label  # the item, for log lines
        self.max_pixels = config.artwork.max_pixels
        self.previews_dir = config.previews_dir
        processes = config.enrich.analysis_processes
        self.processes = analysts.default_processes() if processes < 0 else processes
        self.workdir: Path | None = None
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None  # lent
        self._io: ThreadPoolExecutor | None = None
        self._cpu: ThreadPoolExecutor | None = None
        self._tasks: dict[bool, set[Future]] = {False: set(), True: set()}  # by cpu=, not done
        self._tasks_lock = threading.Lock()
        self._futures: dict[str, Future[AnalysisResult]] = {}
        self._probes: dict[str, Future[AnalysisResult]] = {}
        self._timers: set[threading.Timer] = set()
        self._names = itertools.count(1)
        self._lock = threading.RLock()  # fetch/probe hold it while they queue a download
        self._waiting: dict[str, deque[_Job]] = {}  # host -> downloads not started yet
        self._running: Counter[str] = Counter()  # host -> our downloads on it now
        self._in_flight = 0
        self._placing: dict[str, threading.Lock] = {}
        self._pumping_at: threading.Timer | None = None  # a pump when a held host opens
        self._on_drained: Callable[[], None] | None = None  # `when_drained`
        self.retries = 0  # background retries scheduled (for the log and the benchmark)
        self.rank = next_rank() if rank is None else rank  # at a host's cap: lowest first
        self._user_http: HttpClient | None = None  # `_client`

    def __enter__(self) -> Analyser:
        tmp_dir = self.config.tmp_dir
        tmp_dir.mkdir(parents=True, exist_ok=True)
        sweep_stale(tmp_dir)
        workdir = scratch_path(tmp_dir, WORK_PREFIX.removesuffix("-"))  # enrich-<pid>+<host>+…
        with _ACTIVE_LOCK:  # in use before it exists: another item's sweep never takes it
            _ACTIVE.add(str(workdir))
        workdir.mkdir()
        self.workdir = workdir
        self._pools = _lend_pools(self.config.enrich.concurrency)
        self._io, self._cpu = self._pools
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, set()
            pumping, self._pumping_at = self._pumping_at, None
        if pumping is not None:
            pumping.cancel()
        for timer in timers:
            timer.cancel()
            timer.function(*timer.args)  # runs at once: the pool is closing, it fails cleanly
        with self._lock:
            self._io = None  # no download starts from now on
        self._settle(cpu=False)  # downloads first: they hand work to the analysts
        with self._lock:
            self._cpu = None
        self._settle(cpu=True)
        pools, self._pools = self._pools, None
        if pools is not None:
            _return_pools(self.config.enrich.concurrency, pools)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            with _ACTIVE_LOCK:
                _ACTIVE.discard(str(self.workdir))
            self.workdir = None
        with self._lock:
            waiting = [job for queue in self._waiting.values() for job in queue]
            self._waiting.clear()
        for job in waiting:  # never started: each fails at once with a reason
            self._get(job)
        with self._lock:
            user_http, self._user_http = self._user_http, None
        if user_http is not None:
            user_http.close()

    def _client(self, provider: str) -> HttpClient:
        """Who downloads for `provider`: the user's own images (added by their address, and
        fetched again when the cache lost them) only from public addresses and never through a
        proxy, as when they were added (user_urls.py); the rest `self.http`."""
        if provider != user_urls.PROVIDER:
            return self.http
        with self._lock:
            if self._user_http is None:
                self._user_http = user_urls.public_client(self.config)
            return self._user_http

    def submit(self, fn, *args, cpu: bool = False, **kwargs) -> Future:
        """Run other work on the bounded pools: file work by default, decoding with cpu=True."""
        pool = self._cpu if cpu else self._io
        if pool is None:
            raise RuntimeError("the Analyser is not open")
        future = pool.submit(db.carry_fence(fn), *args, **kwargs)  # a job's writes: its check
        with self._tasks_lock:
            self._tasks[cpu].add(future)
        future.add_done_callback(self._forget)  # at once when it is done already
        return future

    def _forget(self, future: Future) -> None:
        with self._tasks_lock:
            self._tasks[False].discard(future)
            self._tasks[True].discard(future)

    def _settle(self, cpu: bool) -> None:
        """Wait for this Analyser's work on one of its pools; what has not started is dropped
        (the pools are lent: they outlive it, so shutting them down is not how it waits)."""
        while True:
            with self._tasks_lock:
                pending = list(self._tasks[cpu])
            if not pending:
                return
            for future in pending:
                future.cancel()  # not started yet
            wait(pending)

    def placing(self, url: str) -> threading.Lock:
        """The lock under which the download of `url` is put into the cache: the items that
        share this Analyser (a show's) may all place it at once."""
        with self._lock:
            return self._placing.setdefault(url, threading.Lock())

    def temp_file(self, suffix: str = ".part") -> Path:
        """A fresh file name inside the work folder."""
        if self.workdir is None:
            raise RuntimeError("the Analyser is not open")
        return self.workdir / f"{next(self._names):05d}{suffix}"

    # --- the two ways in ------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        provider: str,
        *,
        preview: bool = True,
        cache_as: str | None = None,
        phash: str | None = None,
    ) -> Future[AnalysisResult]:
        """Download and analyse the whole of `url` (once per Analyser, however often asked).

        With `cache_as` (an image type), an accepted image goes straight into the cache under
        that type, from the worker: for images that are always kept (cast thumbnails). With
        `phash` (the picture is known from its rendition), the file is checked, not decoded:
        header, SHA-256 and a complete ending (imaging.check_whole); no preview.
        """
        with self._lock:
            future = self._futures.get(url)
            if future is None:
                future = self._futures[url] = Future()
                then = self._guarded(
                    future, self._whole_landed, future, url, preview, cache_as, phash
                )
                self._schedule(url, provider, then)
            return future

    def forget(self, url: str) -> None:
        """Download `url` anew when it is asked for again: what it gave is gone (a clean-up took
        its file from the cache before our rows named it: `caching.cache_selected`)."""
        with self._lock:
            self._futures.pop(url, None)

    def probe(
        self,
        url: str,
        provider: str,
        *,
        small_url: str | None,
        stated: tuple[int | None, int | None] = (None, None),
        exact: bool = False,
    ) -> Future[AnalysisResult]:
        """Analyse `url` from its small rendition and its header (once per Analyser); the whole
        file when there is no rendition. A whole download already asked for is used instead."""
        with self._lock:
            future = self._futures.get(url) or self._probes.get(url)
        if future is not None:
            return future
        if small_url is None:
            return self.fetch(url, provider)
        with self._lock:
            future = self._probes.get(url)
            if future is None:
                future = self._probes[url] = Future()
                size = (stated[0] or 0, stated[1] or 0) if exact else None
                then = self._guarded(future, self._small_landed, future, url, provider, size)
                self._schedule(small_url, provider, then, memory=True)
            return future

    def pick(self, url: str, provider: str, *, small_url: str | None) -> Future[AnalysisResult]:
        """A likely pick whose whole decode is dear (enrich/stage.py: a PNG): the whole file and
        its small rendition at once. The rendition gives the picture (the perceptual hash, the
        preview) as it does for every other candidate; the whole file its real size, format and
        SHA-256 without a decode (imaging.check_whole), as a selected image fetched again does
        (`fetch` with `phash`). Where the rendition fails (missing, broken, refused), the whole
        file is analysed as `fetch` does. Once per Analyser, however often asked."""
        if small_url is None:
            return self.fetch(url, provider)
        with self._lock:
            future = self._futures.get(url)
            if future is not None:
                return future
            future = self._futures[url] = Future()
            small: Future[tuple[ImageInfo, str | None, int] | None] = Future()
            self._schedule(
                small_url, provider, self._guarded(small, self._pick_small, small), memory=True
            )
            landed = self._guarded(future, self._pick_landed, future, url, small)
            self._schedule(url, provider, landed)
            return future

    def _pick_small(self, small: Future, got: _Got) -> None:
        """A likely pick's rendition: its facts and preview, or None (the whole file decides)."""
        if got.reason:
            small.set_result(None)
            return
        self.submit(self._guarded(small, self._pick_small_analysed, small), got, cpu=True)

    def _pick_small_analysed(self, small: Future, got: _Got) -> None:
        try:
            info, rel = self._examine_rendition(got)
        except (ImageRejected, OSError):  # the whole file's own analysis says what is wrong
            small.set_result(None)
            return
        small.set_result((info, rel, got.download.size))

    def _pick_landed(self, future: Future, url: str, small: Future, got: _Got) -> None:
        """The whole file of a likely pick is here: checked once its rendition has its say."""
        if got.reason:
            future.set_result(AnalysisResult(url, reason=got.reason, retry=True))
            return

        def analyse(small: Future) -> None:
            try:
                picture = small.result()
            except BaseException as exc:  # noqa: BLE001 - its waiter gets it (own disk errors)
                got.path.unlink(missing_ok=True)
                future.set_exception(exc)
                return
            try:
                if picture is None:  # no usable rendition: the whole file is analysed
                    done = AnalysisResult(url, size=got.download.size)
                    self.submit(self._analyse, future, done, got.path, True, None, cpu=True)
                    return
                info, rel, spent = picture
                done = AnalysisResult(url, size=got.download.size + spent)
                self.submit(
                    self._analyse, future, done, got.path, False, None, info.phash, rel, cpu=True
                )
            except RuntimeError as exc:  # closed meanwhile: never leave the waiter hanging
                got.path.unlink(missing_ok=True)
                future.set_exception(exc)

        small.add_done_callback(analyse)

    # --- downloads, host by host, with background retries ------------------------------------------

    def _schedule(
        self,
        url: str,
        provider: str,
        then: Callable[[_Got], None],
        first_bytes: int | None = None,
        *,
        memory: bool = False,
    ) -> None:
        """Queue the download of `url` behind the others of its host; `_pump` starts it.
        `memory`: a small download (a rendition, a header), handed over as bytes."""
        self._enqueue(_Job(url, provider, then, first_bytes, memory=memory))

    def _enqueue(self, job: _Job, front: bool = False) -> None:
        """Queue the job behind its host's others; a retry goes to the front (it has waited
        its turn already), also one that a host's Retry-After sent back: the host's queue
        then waits, in order, until the host's time (`_pump`)."""
        with self._lock:
            queued = self._io is not None
            if queued:
                queue = self._waiting.setdefault(urlsplit(job.url).netloc, deque())
                if front:
                    queue.appendleft(job)
                else:
                    queue.append(job)
        if not queued:  # closed: it fails at once with a reason
            self._get(job)
            return
        self._pump()

    def _pump(self) -> None:
        """Start queued downloads while threads are free: each time on the host with the
        fewest of ours running (the one with most waiting on a tie), never more than its cap.
        A host that asked us to wait (429 Retry-After) keeps its queue, in order, until its
        time: one timer pumps again then."""
        cap = self.http.per_host
        with self._lock:
            held: list[float] = []
            while self._io is not None and self._in_flight < self.config.enrich.concurrency:
                ready = []
                for h, q in self._waiting.items():
                    if q and self._running[h] < cap:
                        wait = self.http.netloc_wait(h)
                        if wait > 0:
                            held.append(wait)
                        else:
                            ready.append(h)
                if not ready:
                    break
                host = min(ready, key=lambda h: (self._running[h], -len(self._waiting[h])))
                job = self._waiting[host].popleft()
                self._running[host] += 1
                self._in_flight += 1
                self.submit(self._run_get, host, job)
            drained, self._on_drained = self._on_drained, None
            if drained is not None and any(
                q and self.http.netloc_wait(h) <= 0 for h, q in self._waiting.items()
            ):
                drained, self._on_drained = None, drained  # not yet
            if held and self._io is not None and self._pumping_at is None:
                self._pumping_at = threading.Timer(min(held), self._pump_again)
                self._pumping_at.daemon = True
                self._pumping_at.start()

        if drained is not None:
            drained()

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Call `callback` once, as soon as none of the downloads asked for so far waits to
        start on an open host (all are running or done, or wait for a retry's timer or a
        host's Retry-After): from then on another item's downloads can use the free slots."""
        with self._lock:
            self._on_drained = callback
        self._pump()

    def _pump_again(self) -> None:
        with self._lock:
            self._pumping_at = None
        self._pump()

    def _run_get(self, host: str, job: _Job) -> None:
        try:
            self._get(job)
        finally:
            with self._lock:
                self._running[host] -= 1
                self._in_flight -= 1
            self._pump()

    def _guarded(self, future: Future, fn: Callable, *args) -> Callable[[_Got], None]:
        """`fn(*args, got)`, with any exception handed to the waiter instead of lost."""

        def run(got: _Got) -> None:
            try:
                if got.error is not None:
                    raise got.error
                fn(*args, got)
            except BaseException as exc:  # never leave a waiter hanging
                if got.path is not None:
                    got.path.unlink(missing_ok=True)
                if not future.done():
                    future.set_exception(exc)

        return run

    def _get(self, job: _Job) -> None:
        """GET the job's URL into a temp file (into memory, while small, for a `memory` job)
        and hand the outcome to its `then` (in a download thread). A failure worth retrying is
        tried again after its wait, on a timer."""
        url, provider, then, first_bytes, attempt, memory = job
        if (host := refused_host(self.config.providers, provider, url)) is not None:
            then(_Got(reason=refusal(provider, host)))  # a stored candidate's too
            return
        try:
            if self.workdir is None:
                raise RuntimeError("the Analyser is not open")
            out = _Spool(self.temp_file, IN_MEMORY_BYTES if memory else -1)
        except RuntimeError as exc:
            then(_Got(reason=f"enrichment ended before the download ({exc})"))
            return
        except OSError as exc:
            own = own_disk_error(exc)
            then(
                _Got(error=own) if own else _Got(reason=f"cannot write a temp file: {exc.strerror}")
            )
            return
        try:
            http = self._client(provider)
            with http.ranked(self.rank):
                download = http.download(
                    url, out, provider=provider, max_bytes=MAX_IMAGE_BYTES,
                    first_bytes=first_bytes, patient=False, recheck=True,
                    redirects=redirects(self.config.providers, provider),
                )  # fmt: skip
            got = out.got(download)
        except TryAgain as exc:
            out.discard()
            tried = attempt if exc.sent else attempt - 1
            if tried > self.http.max_retries:
                then(_Got(reason=f"download failed: {exc}, gave up after {tried} attempts"))
                return
            again = job._replace(attempt=tried + 1)
            # a host that asked us to wait (429, 503 with Retry-After) is held: back to the front
            if exc.status in (429, 503) or not exc.sent:
                self._enqueue(again, front=True)
            else:
                self._later(self.http.backoff_for(tried), again)
            return
        except NotFound:
            reason, not_found = "the provider does not have it (HTTP 404)", True
        except ProviderError as exc:
            reason, not_found = f"download failed: {exc}", False
        except EditRefused as exc:  # the user's own image leads to a private address now
            reason, not_found = f"not downloaded: {exc}", False
        except OSError as exc:
            reason, not_found = f"cannot write a temp file: {exc.strerror}", False
            own = own_disk_error(exc)
            if own is not None:
                out.discard()
                then(_Got(error=own))
                return
        except BaseException as exc:  # never leave a waiter hanging
            out.discard()
            then(_Got(error=exc))
            return
        else:
            then(got)
            return
        out.discard()
        then(_Got(reason=reason, not_found=not_found))

    def _later(self, wait: float, job: _Job) -> None:
        """Queue the download `job` again after `wait` seconds, holding no thread."""

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            self._enqueue(job, front=True)  # closing: it fails at once with a reason

        timer = threading.Timer(wait, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
            self.retries += 1
        timer.start()

    # --- the whole file ---------------------------------------------------------------------------

    def _whole_landed(
        self, future: Future, url: str, preview: bool, cache_as, phash: str | None, got: _Got
    ) -> None:
        if got.reason:
            future.set_result(AnalysisResult(url, reason=got.reason, retry=True))
            return
        done = AnalysisResult(url, size=got.download.size)
        self.submit(self._analyse, future, done, got.path, preview, cache_as, phash, cpu=True)

    def _analyse(
        self,
        future: Future,
        got: AnalysisResult,
        tmp: Path,
        preview: bool,
        cache_as: str | None,
        phash: str | None = None,
        rel: str | None = None,
    ) -> None:
        """The facts of a whole file; `phash` and `rel`: the picture and the preview its
        rendition gave (`pick`), so the file is only checked."""
        try:
            outcome = self._facts(got, tmp, preview, cache_as, phash)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            future.set_exception(exc)
            return
        if outcome.ok and rel is not None:
            outcome.preview = rel
        future.set_result(outcome)

    def _facts(
        self,
        got: AnalysisResult,
        tmp: Path,
        preview: bool,
        cache_as: str | None,
        phash: str | None = None,
    ) -> AnalysisResult:
        url = got.url
        try:  # one decode for the facts and the preview (imaging.analyse_with_preview)
            info, rel = analysts.run(
                self.processes, analysts.examine_whole,
                tmp, self.previews_dir, self.max_pixels, preview, phash,
            )  # fmt: skip
        except ImageRejected as exc:
            tmp.unlink(missing_ok=True)
            reason = download_reason(exc)  # a provider's answer ("the provider returned ...")
            log.info("%s: %s rejected: %s", self.label, redact(url), reason)
            self.http.mark_gone(url, reason)  # not asked again at publish
            return AnalysisResult(url, reason=reason, size=got.size)
        except OSError as exc:  # reading our temp file, or writing the preview beside it
            tmp.unlink(missing_ok=True)
            own = own_disk_error(exc)
            if own is not None:
                raise own from None
            return AnalysisResult(
                url, reason=f"cannot read the download: {exc.strerror}", retry=True
            )
        outcome = AnalysisResult(url, info, path=tmp, preview=rel, size=got.size)
        if cache_as is not None:
            try:
                outcome.cached = cache.move_into(self.config.cache_dir, cache_as, tmp, info)
                outcome.path = None
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                own = own_disk_error(exc)
                if own is not None:
                    raise own from None
                return AnalysisResult(url, reason=f"cannot write to the cache: {exc}", retry=True)
        return outcome

    # --- the probe: rendition, then (when needed) the header ------------------------------------

    def _small_landed(
        self, future: Future, url: str, provider: str, exact: tuple[int, int] | None, got: _Got
    ) -> None:
        if got.not_found:  # no rendition of this one: the whole file it is
            self._whole_instead(future, url, provider)
        elif got.reason:
            future.set_result(AnalysisResult(url, reason=got.reason, retry=True))
        else:
            analyse = self._guarded(future, self._small_analysed, future, url, provider, exact)
            self.submit(analyse, got, cpu=True)

    def _examine_rendition(self, got: _Got) -> tuple[ImageInfo, str | None]:
        """A downloaded rendition's facts and preview (analysts.examine_small); its temp file,
        if it had one, goes. A disk of ours that refused the preview raises the item's error
        (`own_disk_error`); ImageRejected and any other OSError are the picture's."""
        source = got.data if got.data is not None else got.path
        try:
            return analysts.run(
                self.processes, analysts.examine_small, source, self.previews_dir, self.max_pixels
            )
        except OSError as exc:  # reading it, or writing its preview
            own = own_disk_error(exc)
            if own is not None:
                raise own from None  # to the waiter (`_guarded`)
            raise
        finally:
            if got.path is not None:
                got.path.unlink(missing_ok=True)

    def _small_analysed(
        self, future: Future, url: str, provider: str, exact: tuple[int, int] | None, got: _Got
    ) -> None:
        try:
            small, rel = self._examine_rendition(got)
        except ImageRejected as exc:
            reason = download_reason(exc)
            log.info("%s: %s rejected: %s", self.label, redact(url), reason)
            future.set_result(AnalysisResult(url, reason=reason, size=got.download.size))
            return
        except OSError as exc:
            reason = f"cannot read the download: {exc.strerror}"
            future.set_result(AnalysisResult(url, reason=reason, retry=True))
            return
        probed = AnalysisResult(url, small, preview=rel, size=got.download.size, whole=False)
        if exact and same_shape(exact, (small.width, small.height)):
            header = Header(*exact, small.format, small.ext)
            future.set_result(self._with_header(probed, header, total=0))
            return
        then = self._guarded(future, self._header_landed, future, url, provider, probed)
        self._schedule(url, provider, then, HEADER_BYTES, memory=True)

    def _header_landed(
        self, future: Future, url: str, provider: str, probed: AnalysisResult, got: _Got
    ) -> None:
        if got.reason:
            future.set_result(AnalysisResult(url, reason=got.reason, retry=True))
            return
        probed.size += got.download.size
        if not got.download.partial:  # Range ignored: we have the whole file, use it
            done = AnalysisResult(url, size=probed.size)
            try:
                path = self._on_disk(got)
            except OSError as exc:
                own = own_disk_error(exc)
                if own is not None:
                    raise own from None  # to the waiter (`_guarded`)
                reason = f"cannot write a temp file: {exc.strerror}"
                future.set_result(AnalysisResult(url, reason=reason, retry=True))
                return
            self.submit(self._analyse, future, done, path, True, None, cpu=True)
            return
        try:
            head = got.data if got.data is not None else got.path.read_bytes()
            header = read_header(head, max_pixels=self.max_pixels)
        except ImageRejected as exc:
            future.set_result(AnalysisResult(url, reason=download_reason(exc), size=probed.size))
            return
        finally:
            if got.path is not None:
                got.path.unlink(missing_ok=True)
        if header is None:  # the size lies further in (a large EXIF block): the whole file
            self._whole_instead(future, url, provider, probed.size)
        else:
            future.set_result(self._with_header(probed, header, got.download.total or 0))

    def _on_disk(self, got: _Got) -> Path:
        """The download as a temp file (the whole image, when a server ignored the Range: it is
        analysed and, if selected, moved into the cache from there)."""
        if got.path is not None:
            return got.path
        path = self.temp_file()
        path.write_bytes(got.data or b"")
        got.path = path
        return path

    def _with_header(self, probed: AnalysisResult, header: Header, total: int) -> AnalysisResult:
        """The rendition's analysis with the original's size and format."""
        pixels = header.width * header.height
        if pixels > self.max_pixels:
            reason = (
                f"{header.width}x{header.height} is {pixels / 1e6:.0f} megapixels, over the "
                f"{self.max_pixels / 1e6:.0f} megapixel limit (decompression bomb?)"
            )
            return AnalysisResult(probed.url, reason=reason, size=probed.size)
        info = replace(
            probed.info, width=header.width, height=header.height, format=header.format,
            ext=header.ext, sha256="", size=total,
        )  # fmt: skip
        return replace(probed, info=info)

    def _whole_instead(self, future: Future, url: str, provider: str, spent: int = 0) -> None:
        def landed(got: _Got) -> None:
            if got.reason:
                future.set_result(AnalysisResult(url, reason=got.reason, retry=True))
                return
            done = AnalysisResult(url, size=spent + got.download.size)
            self.submit(self._analyse, future, done, got.path, True, None, cpu=True)

        self._schedule(url, provider, self._guarded(future, landed))
