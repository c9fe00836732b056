"""Image analysis in worker processes: decoding off the daemon's interpreter, and off its life.

Analysing a candidate (decode, perceptual hash, SHA-256, preview) is CPU work, a good part of it
Python (imagehash, numpy) that holds the interpreter lock: in threads it runs on one core at a
time and competes with the downloads' own Python (requests). `[enrich] analysis_processes`
worker processes do it instead, on several cores (by default one per core, up to 4); the
Analyser's analysis threads each take an idle worker (or wait for one), hand the image over on
its pipe and wait without the lock (`run`): one message each way, no thread of the daemon's in
between. Only the image's bytes (a rendition) or its temp file's name (a whole image) go over,
and its facts and preview's name come back.

A worker also keeps a decoder's crash out of the daemon: an image that kills its process (a
codec bug met by a hostile file) takes only that worker with it, and a new one is started in
its place when next needed; the image is tried again alone, in a process of its own, so that
an image that crashes again is rejected with a reason, and one whose worker was killed under it
(the OOM killer) is analysed.

Workers come from a fork server that has imported this module once, with everything an
analysis needs (`metarrd.worker_boot`: scipy.fftpack, Pillow's plugins), so a new worker starts
with nothing to import (forking the daemon itself, with its threads and its database
connections, is not safe); the pool lives for the process, shared by every item, and each of
its workers is started when first needed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from metarrd.imaging import (
    DECODE_BUDGET,
    ImageInfo,
    ImageRejected,
    analyse_image,
    analyse_with_preview,
    check_whole,
    write_preview,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_pool: _Pool | None = None
_lock = threading.Lock()
_unavailable: str | None = None  # why no worker process can run here (then: in threads)...
_retry_at = 0.0  # ...until then (time.monotonic): they are tried again (the fork server started)
_failures = 0  # tries in a row that found them unavailable: the back-off doubles with each
RETRY_FIRST_SECONDS = 30.0  # worker processes unavailable: tried again after this, doubling...
RETRY_MAX_SECONDS = 3600.0  # ...up to this


def default_processes() -> int:
    """One worker per core, at most 4 (at least one, which keeps a decoder's crash out of the
    daemon even on a single core). On 2 cores two workers beat one: the daemon's own share of
    an enrich (downloads, database) waits on the network much of the time."""
    return max(1, min(4, os.cpu_count() or 1))


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["metarrd.worker_boot", "metarrd.enrich.analysts"])
    return context


class _Died(Exception):
    """The worker process ended while it analysed (a crash, a kill): no answer came back."""


class _Worker:
    """One worker process and the pipe to it, used by one caller at a time. A call is one
    message each way, straight from the calling thread: a ProcessPoolExecutor moves each task
    through a manager thread and a feeder thread of the daemon (measured: 0.22 against 0.06-0.1
    ms of the daemon's CPU a task, and three wake-ups of the interpreter lock instead of one,
    for the ~700 images of a 6-movie enrich), and a crash takes down only its own image."""

    def __init__(self, context, initializer: Callable[[int], None] | None = None) -> None:
        _start_fork_server()  # (again, where it died: killed as it started, say)
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(theirs, os.getpid(), initializer or _watch),
            name="metarrd-analysis",
            daemon=True,  # ended by multiprocessing at the daemon's exit, at the latest
        )
        try:
            self.process.start()
        finally:
            theirs.close()
        self.conn = ours
        self.pid = self.process.pid

    def call(self, fn: Callable[..., T], args: tuple) -> tuple[bool, T | BaseException]:
        """(True, what `fn(*args)` returned) or (False, what it raised), in the worker;
        `_Died` when the worker ended before it answered."""
        try:
            self.conn.send((fn, args))
            return self.conn.recv()
        except (EOFError, OSError) as exc:  # its end of the pipe closed: it is gone
            raise _Died(str(exc) or type(exc).__name__) from None

    def close(self, wait: float = 0.0) -> None:
        """Stop the worker: asked to (it ends after the image in hand), then killed if it is
        still there after `wait` seconds."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.conn.close()
        self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class _Pool:
    """Up to `size` workers, started as callers need them; a caller takes an idle one (or
    waits for one) and gives it back."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.context = _context()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._free = threading.Semaphore(size)
        self.workers: set[_Worker] = set()
        self.closed = False

    def take(self) -> _Worker:
        self._free.acquire()
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            worker = _Worker(self.context)
        except BaseException:
            self._free.release()
            raise
        with self._lock:
            self.workers.add(worker)
            closed = self.closed
        if closed:  # shut down meanwhile: this caller still gets its answer, then it ends
            self.workers.discard(worker)
        return worker

    def give(self, worker: _Worker) -> None:
        with self._lock:
            keep = not self.closed and worker in self.workers
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.close()
        self._free.release()

    def lost(self, worker: _Worker) -> None:
        """A worker that died (or must not be used again: interrupted in a call)."""
        with self._lock:
            self.workers.discard(worker)
        worker.close()
        self._free.release()

    def close(self, wait: float) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
            self.workers.difference_update(idle)
        for worker in idle:
            worker.close(wait)

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self.workers)


def _serve(conn, daemon: int, initializer: Callable[[int], None]) -> None:
    """A worker's life: each message a call, each answer (True, result) or (False, exception);
    None, or the daemon's end of the pipe closing, ends it."""
    initializer(daemon)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message
        try:
            answer = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - it goes back to the caller, as raised
            answer = (False, exc)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
            conn.send((False, RuntimeError(f"the analysis answer could not be sent back: {exc}")))


def _start_fork_server() -> None:
    """Start the fork server (once) with Ctrl-C blocked: it ignores SIGINT only once it has
    imported `metarrd.worker_boot`, and a Ctrl-C to the process group before that (the daemon
    stopping just as its first enrich starts the workers) killed it in the middle of its
    imports with a KeyboardInterrupt on the terminal. A blocked signal stays blocked in the
    process it starts; once worker_boot ignores SIGINT a pending one is dropped, and it unblocks
    it (as multiprocessing's own resource tracker is started). Where it cannot start, starting
    the first worker says so (`_Worker`, in `run`)."""
    block = getattr(signal, "pthread_sigmask", None)
    try:
        # first, on its own: starting it unblocks SIGINT in this thread when done
        multiprocessing.resource_tracker.ensure_running()
    except OSError:
        return
    old = block(signal.SIG_BLOCK, {signal.SIGINT}) if block else None
    try:
        multiprocessing.forkserver.ensure_running()
    except OSError:
        pass
    finally:
        if block:
            block(signal.SIG_SETMASK, old)


def _watch(daemon: int) -> None:
    """A worker ends when the process that started it does: killed (SIGKILL, an OOM kill), the
    daemon never says so. An idle worker then finds its pipe closed and ends (`_serve`), but one
    in the middle of an image (a slow decode, a hostile file) would go on with it first: this
    ends it at once. Ctrl-C in a terminal reaches the whole process group: the worker ignores
    it, as the daemon finishes its jobs before it stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def wait_for_the_end() -> None:
        try:
            fd = os.pidfd_open(daemon)  # readable once the daemon has ended (Linux 5.3)
            select.select([fd], [], [])
        except (AttributeError, OSError):
            while pid_alive(daemon):
                time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=wait_for_the_end, name="metarrd-watch", daemon=True).start()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (another user's counts: it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _the_pool(processes: int) -> _Pool:
    global _pool
    with _lock:
        if _pool is None or _pool.size != processes:
            old, _pool = _pool, _Pool(processes)
            if old is not None:
                old.close(wait=0.0)
        return _pool


def run(processes: int, fn: Callable[..., T], *args) -> T:
    """`fn(*args)` in a worker process (in this thread when `processes` is 0, or where worker
    processes cannot run at all). Exceptions come back as raised there; a worker's death
    raises ImageRejected once the image has crashed a process of its own too. Where they
    could not run, they are tried again after a back-off (`RETRY_FIRST_SECONDS`, doubling)."""
    if processes <= 0 or not _try_workers():
        return fn(*args)
    pool = _the_pool(processes)
    try:
        worker = pool.take()
    except EOFError:  # the fork server died before it answered (killed while it started)
        return _in_this_process("the fork server died as it started", fn, *args)
    except OSError as exc:  # no process can be started here (limits, no AF_UNIX ...)
        return _in_this_process(f"cannot start one ({exc})", fn, *args)
    try:
        ok, value = worker.call(fn, args)
    except _Died:
        pool.lost(worker)
    except BaseException:  # interrupted mid-call: its answer would be the next caller's
        pool.lost(worker)
        raise
    else:
        pool.give(worker)
        _workers_run()
        if ok:
            return value
        raise value
    # the worker died under this image: once more, in a process of its own, to tell a crash
    # of the image's from a worker killed under it (what the image's own analysis raises there,
    # an OSError reading its file say, comes back as it is)
    try:
        alone = _Worker(pool.context)
    except (OSError, EOFError):  # it could not even start
        alone = None
    if alone is not None:
        try:
            ok, value = alone.call(fn, args)
        except _Died:
            pass
        else:
            if ok:
                return value
            raise value
        finally:
            alone.close()
    if not _workers_work():  # none lives long enough to analyse anything: not this image's fault
        return _in_this_process("they die before they answer", fn, *args)
    _workers_run()
    log.warning("an image crashed its analysis process (%s)", getattr(fn, "__name__", fn))
    raise ImageRejected("the image crashed the decoder (a broken or hostile file); skipped")


def _workers_work() -> bool:
    """Whether a worker process can start and answer at all."""
    try:
        probe = _Worker(_context())
    except Exception:  # noqa: BLE001 - any failure says the same: they cannot run here
        return False
    try:
        ok, pid = probe.call(os.getpid, ())
        return ok and pid > 0
    except _Died:
        return False
    finally:
        probe.close()


def _try_workers() -> bool:
    """Whether to use worker processes: yes unless they could not run, and then once the
    back-off has passed (one caller tries them; the others stay in threads meanwhile). The fork
    server killed (an OOM kill as it started) is started again by that try."""
    global _retry_at
    with _lock:
        if _unavailable is None:
            return True
        now = time.monotonic()
        if now < _retry_at:
            return False
        _retry_at = now + _backoff()  # the others wait for this one's outcome
        return True


def _backoff() -> float:
    return min(RETRY_FIRST_SECONDS * 2 ** max(0, _failures - 1), RETRY_MAX_SECONDS)


def _workers_run() -> None:
    """A worker process answered: unavailable no longer (said once, when they were)."""
    global _unavailable, _failures
    if _unavailable is None:
        return
    with _lock:
        was, _unavailable, _failures = _unavailable, None, 0
    if was is not None:
        log.info("image analysis: worker processes run again")


def _in_this_process(why: str, fn: Callable[..., T], *args) -> T:
    """Worker processes cannot run here: analyse in the daemon's threads until they are tried
    again (`_try_workers`), said once."""
    global _unavailable, _failures, _retry_at
    with _lock:
        first = _unavailable is None
        _unavailable = why
        _failures += 1
        wait = _backoff()
        _retry_at = time.monotonic() + wait
    if first:
        log.warning(
            "image analysis: worker processes cannot run here (%s); the images are analysed in "
            "the daemon's threads instead, and workers tried again in %.0fs ([enrich] "
            "analysis_processes = 0 says so at once)",
            why,
            wait,
        )
    else:
        log.debug("image analysis: worker processes still cannot run (%s)", why)
    return fn(*args)


def worker_pids() -> list[int]:
    """The process ids of the live pool's workers (none before it starts; for the benchmark's
    CPU accounting)."""
    with _lock:
        pool = _pool
    return pool.pids() if pool is not None else []


def shutdown() -> None:
    """Stop the workers now (at exit they stop by themselves; the tests call this)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close(wait=10.0)


# --- what runs in a worker (module-level: sent by name) ------------------------------------------


def examine_small(
    source: Path | bytes, previews_dir: Path, max_pixels: int
) -> tuple[ImageInfo, str | None]:
    """A small rendition: its facts and its preview, kept (imaging.write_preview)."""
    info, preview = analyse_with_preview(source, max_pixels=max_pixels)
    return info, write_preview(previews_dir, source, info.sha256, preview)


def examine_whole(
    path: Path, previews_dir: Path, max_pixels: int, preview: bool, phash: str | None
) -> tuple[ImageInfo, str | None]:
    """A whole image: checked, not decoded, when its picture is known from its rendition
    (`phash`: imaging.check_whole); else analysed, with its preview when asked."""
    info = check_whole(path, phash, max_pixels=max_pixels) if phash else None
    if info is not None:
        return info, None  # the rendition gave the preview
    if not preview:
        return analyse_image(path, max_pixels=max_pixels, budget=DECODE_BUDGET), None
    info, small = analyse_with_preview(path, max_pixels=max_pixels)
    return info, write_preview(previews_dir, path, info.sha256, small)
