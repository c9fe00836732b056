"""`metarrd run [--role all|watcher|worker]`: the file watcher and the Huey consumer (`[daemon]
workers` threads) in one process (`all`, the default), or only one of them: a `watcher` (one per
library host) scans and enqueues, a `worker` (any number, on any host sharing the PostgreSQL
database and Redis queue) only consumes. docs/scale-out.md.

Start: refuse to run beside another daemon on the same SQLite queue (`claim_data_dir`), remove
what dead processes left in `<data_dir>/tmp`, remove our leftover temp files (cache, previews,
the folders of interrupted jobs), re-queue the jobs that were running when the process died,
send every queued job a fresh message, start the watcher (which queues a full, incremental
rescan) and the workers.

Stop: SIGINT (what `systemd/metarrd.service` sends, `KillSignal=SIGINT`) or SIGTERM stop the
watcher and let running jobs finish (up to `SHUTDOWN_SECONDS`); a second signal stops at once.
Whatever did not finish is still `running` in the jobs table and runs again: at the next start of
a daemon on this host, or on another worker once its lease expired (metarrd/pipeline/leases.py),
so neither a stop nor a crash (SIGKILL, power cut, a lost host) loses work.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from metarrd import cache, db, scratch
from metarrd.atomic import TEMP_MARKER, remove_stale_temp_files
from metarrd.errors import MetarrdError
from metarrd.heartbeat import HEALTH_CHECK_SECONDS, write_heartbeat
from metarrd.paths import ACTORS_DIR
from metarrd.pipeline import housekeeping, jobs, leases, queue
from metarrd.pipeline.watch import Watcher
from metarrd.runtime import Runtime

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 60.0  # systemd's TimeoutStopSec (90 s by default) leaves room for this
WORKER_MAX_IDLE_SECONDS = 1.0  # an idle worker looks at the queue at least this often


ROLES = ("all", "watcher", "worker")


def run(rt: Runtime, role: str = "all") -> int:
    """Run until stopped; raises AlreadyRunning (before doing anything) when another daemon runs
    the watcher or the workers of this data_dir's SQLite queue."""
    held = claim_data_dir(rt.config, role)
    try:
        return _run(rt, role)
    finally:
        for fd in held:
            os.close(fd)


def _run(rt: Runtime, role: str) -> int:
    config = rt.config
    # our own lines say what each job did and what the watcher saw
    for noisy in ("huey", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log.info(
        "metarrd daemon starting (pid %d, role %s, lease owner %s): %d libraries, %d workers, "
        "data in %s",
        os.getpid(),
        role,
        leases.owner(),
        len(config.library),
        config.daemon.workers,
        config.data_dir,
    )
    queue.configure(config)
    jobs.bind(rt)
    recover(rt, requeue=role != "watcher")
    consumer = _consumer(config) if role != "watcher" else None
    watcher = Watcher(config) if role != "worker" else None
    heartbeat = None
    stop = threading.Event()
    if consumer is not None:
        heartbeat = leases.Heartbeat(
            config.queue.lease_seconds, jobs.send_again, jobs.resend_stranded
        )
        heartbeat.start()
        consumer.start()
    _install_signal_handlers(stop)  # after start(): ours replace huey's
    if watcher is not None:
        watcher.start()
        _notify_leftovers(rt)
    beat(consumer, watcher, role)
    log.info("metarrd daemon ready")
    # recover() forgot at the start; a daemon that runs for months forgets as it goes
    forget_at = time.monotonic() + housekeeping.EVERY_SECONDS
    while not stop.wait(HEALTH_CHECK_SECONDS):
        if consumer is not None:
            try:
                consumer.check_worker_health()  # huey restarts a dead worker or scheduler
            except Exception:
                log.exception("checking the job workers failed")
            if time.monotonic() >= forget_at:
                housekeeping.run(config)
                forget_at = time.monotonic() + housekeeping.EVERY_SECONDS
        beat(consumer, watcher, role)
    if watcher is not None:
        watcher.stop()
    if consumer is not None:
        log.info("stopping: waiting up to %ds for running jobs", SHUTDOWN_SECONDS)
        consumer.stop(graceful=True)
        mine = db.Job.select().where(
            db.Job.state == jobs.RUNNING, db.Job.lease_owner == leases.owner()
        )
        unfinished = mine.count()
        if unfinished:
            log.warning("%d jobs did not finish; they run again at the next start", unfinished)
    if heartbeat is not None:
        heartbeat.stop()
    write_heartbeat({"pid": os.getpid(), "at": time.time(), "stopped": True}, role)
    log.info("metarrd daemon stopped")
    return 0


def _consumer(config):
    return queue.huey.create_consumer(
        workers=max(1, config.daemon.workers),
        worker_type="thread",
        periodic=False,
        initial_delay=0.1,
        backoff=1.5,
        max_delay=WORKER_MAX_IDLE_SECONDS,
        scheduler_interval=1,
        check_worker_health=True,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )


# --- one daemon per SQLite queue (docs/daemon.md, "One daemon per data_dir") --------------------


class AlreadyRunning(MetarrdError):
    """Another daemon runs the part of this data_dir that this one would."""


# What two daemons on one SQLite queue (`<data_dir>/queue.db`, one host) must not both run: the
# watcher (two would scan every change twice) and the workers (a worker's start flushes the
# queue the other consumes, `jobs.requeue_interrupted`; both write the heartbeat /healthz
# reads, and one stopping says the daemon stopped). `--role watcher` beside `--role worker`
# stays allowed. On a Redis queue nothing is locked: any number of watchers and workers share
# its jobs (docs/scale-out.md), on one host or several, their data_dir on a share or not.
PARTS = {"all": ("watcher", "worker"), "watcher": ("watcher",), "worker": ("worker",)}
_PART_WORDS = {"watcher": "watches the libraries", "worker": "runs the jobs of its SQLite queue"}


def claim_data_dir(config, role: str) -> list[int]:
    """Lock `<data_dir>/locks/<part>.lock` for each part of `role`, held for the process's life
    (the kernel lets go of an flock when its process ends, however it ends: no stale lock after
    a crash); the file names its holder for the message of the next. Returns the descriptors to
    close at the end; raises AlreadyRunning, naming the other daemon, when one is taken."""
    if config.uses_redis:
        return []
    folder = config.data_path / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    held: list[int] = []
    try:
        for part in PARTS[role]:
            fd = _lock(folder / f"{part}.lock", config, role, part)
            if fd is not None:
                held.append(fd)
    except BaseException:
        for fd in held:
            os.close(fd)
        raise
    return held


def _lock(path: Path, config, role: str, part: str) -> int | None:
    # not inheritable (PEP 446): no child (ffprobe, the analysis fork server) keeps the lock
    # held after this process died
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        os.close(fd)
        if exc.errno not in (errno.EAGAIN, errno.EACCES):  # a file system without locks
            log.warning("cannot lock %s (%s): not checked that no other daemon %s", path,
                        exc.strerror, _PART_WORDS[part])  # fmt: skip
            return None
        raise AlreadyRunning(
            f"another metarrd daemon on {config.data_path} ({holder or 'its pid not written yet'})"
            f" already {_PART_WORDS[part]}: stop it first, or give this one another data_dir "
            "(one daemon per SQLite queue: docs/daemon.md)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {db.this_host()}, role {role}\n".encode(), 0)
    return fd


# --- liveness, for /healthz (the web app may run in another process: the database carries it,
# metarrd/heartbeat.py) --


def beat(consumer, watcher: Watcher | None, role: str = "all") -> None:
    """Record that this daemon is alive, with the state of its watcher and worker threads."""
    try:
        state: dict = {"pid": os.getpid(), "at": time.time(), "role": role}
        if watcher is not None:
            state.update(watcher=watcher.status(), watcher_restarts=watcher.restarts)
        if consumer is not None:
            workers = [p for _, p in consumer.worker_threads]
            alive = sum(consumer.environment.is_alive(p) for p in workers)
            scheduler = consumer.environment.is_alive(consumer.scheduler)
            state["consumer"] = {"alive": alive, "workers": len(workers), "scheduler": scheduler}
    except Exception:
        log.exception("cannot tell the health of the daemon's threads")
        return
    for name, thread_state in state.get("watcher", {}).items():
        if thread_state != "ok":
            log.warning("health: watcher thread %s: %s", name, thread_state)
    write_heartbeat(state, role)


def _install_signal_handlers(stop: threading.Event) -> None:
    def on_signal(signum, frame):
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("received %s again: stopping now", name)
            raise KeyboardInterrupt
        log.info("received %s: finishing running jobs, then stopping", name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, lambda s, f: log.info("SIGHUP ignored (restart the service)"))


def recover(rt: Runtime, *, requeue: bool = True) -> None:
    """Clean up after a crash and re-queue unfinished jobs (see the module docstring); a watcher
    (`requeue` False) only cleans up."""
    config = rt.config
    clear_scratch(config.tmp_dir)
    # the temp files of processes that ended, not of those writing now (the web UI's upload,
    # another worker; another host's on a shared cache, its previews/ included: docs/scale-out.md)
    if not cache.unanswered(config.cache_dir):  # a hung mount (logged): left for the next start
        remove_temp_files_under(config.cache_dir)
    if not config.shared_cache:
        remove_temp_files_under(config.previews_dir)
    running = db.Job.select().where((db.Job.state == jobs.RUNNING) & db.Job.movie.is_null(False))
    for job in running:
        if not leases.dead_here(job.lease_owner):
            continue  # a live worker's (or another host's: its folder is cleaned when re-run)
        movie = db.Movie.get_or_none(db.Movie.id == job.movie_id)
        if movie is not None:
            folder = Path(movie.path) if movie.is_disc else Path(movie.path).parent
            for d in (folder, folder / ACTORS_DIR):
                remove_stale_temp_files(d)
    if not requeue:
        return
    housekeeping.run(config)
    resent = jobs.requeue_interrupted()
    if resent:
        log.info("%d queued jobs picked up again", resent)


def clear_scratch(directory: Path) -> None:
    """Remove what is stale in our scratch folder (`scratch.is_stale`: its process ended, or
    nobody wrote it for an hour), not what a process running now uses: the web UI's upload in
    flight, the work folder of a `metarrd enrich` in a shell. It had emptied the folder, and an
    upload the web UI was taking in at a restart of the daemon failed with a 500."""
    from metarrd.enrich import WORK_PREFIX, sweep_stale

    directory.mkdir(parents=True, exist_ok=True)
    sweep_stale(directory)
    now = time.time()
    for entry in os.scandir(directory):
        if entry.name.startswith(WORK_PREFIX):
            continue  # sweep_stale left it: its process is alive
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if not scratch.is_stale(entry.name, age):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError as exc:
            log.warning("cannot remove leftover %s: %s", entry.path, exc.strerror)


def remove_temp_files_under(directory: Path) -> int:
    """Remove the stale temp files under `directory` (the image cache, the previews folder):
    those `scratch.is_stale` gives up, their process ended or nobody wrote them for an hour.
    Not the ones a process running now writes (`scratch.temp_beside` names each by its
    process): it had removed them all, and an upload the web UI was storing at a restart of
    the daemon failed with a 500."""
    removed = 0
    now = time.time()
    for dirpath, _dirs, files in os.walk(directory):
        for name in files:
            if name.startswith(TEMP_MARKER):
                try:
                    path = os.path.join(dirpath, name)
                    if not scratch.is_stale(name, now - os.stat(path).st_mtime):
                        continue
                    os.unlink(path)
                    removed += 1
                except FileNotFoundError:
                    continue  # its writer renamed it meanwhile
                except OSError as exc:
                    log.warning("cannot remove leftover %s/%s: %s", dirpath, name, exc.strerror)
    if removed:
        log.info("removed %d leftover temp files under %s", removed, directory)
    return removed


def _notify_leftovers(rt: Runtime) -> None:
    """Player notifications still pending from before the restart get a job."""
    try:
        from metarrd.players import due_in

        if due_in(rt) is not None:
            jobs.enqueue_notify()
    except Exception:
        log.exception("cannot look at pending player notifications")
