"""Leases: a running job belongs to the worker process that claimed it for `[queue] lease_seconds`,
and that process's heartbeat renews the lease while it lives. A job whose lease expired (its worker
was SIGKILLed, its host lost) is taken over: put back to queued and sent again, so another worker
runs it. A job is never taken from a worker that lives and works on it (its heartbeat keeps the
lease fresh; only the jobs in hand, `hold`/`release`), and a worker that finds its lease gone
when it finishes drops its outcome instead of recording it.

Owners are `host:pid:nonce` (`db.this_host()`: the host name, and a container's own PID
namespace). At start, a worker also takes over at once the jobs of dead processes of its own
host (same host, pid no longer running): a restarted single-host daemon re-runs its interrupted
jobs immediately, as it always did, without waiting for their leases.

Leases are read and written by the database's clock on PostgreSQL, never by the hosts' own: a
host whose clock runs ahead would take over every job the others run, one whose clock lags would
write leases that have already expired for everyone else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from collections import Counter
from datetime import timedelta

import peewee as pw

from metarrd import db
from metarrd.errors import LeaseLost

log = logging.getLogger(__name__)

RUNNING, QUEUED = "running", "queued"
_owner: dict[str, object] = {}
_in_hand: Counter[int] = Counter()  # the jobs this process claimed and still works on, with
# how many runs here work on each (a job taken over and claimed again by another thread of this
# same process, while the first run, frozen past its lease, still goes on)
_in_hand_lock = threading.Lock()


def owner() -> str:
    """This process's lease owner name (a new one after a fork)."""
    if _owner.get("pid") != os.getpid():
        _owner.update(
            pid=os.getpid(), name=f"{db.this_host()}:{os.getpid()}:{secrets.token_hex(3)}"
        )
    return str(_owner["name"])


def clock(offset_seconds: float = 0.0):
    """Now (plus an offset) for lease times: on PostgreSQL the server's clock, as an SQL
    expression (every host sees the same), on SQLite (one host) this host's."""
    if db.is_postgresql():
        return pw.SQL(
            "((clock_timestamp() AT TIME ZONE 'UTC') + %s * interval '1 second')",
            (float(offset_seconds),),
        )
    return db.now() + timedelta(seconds=offset_seconds)


def until(lease_seconds: float):
    return clock(lease_seconds)


def hold(job_id: int) -> None:
    """This process claimed the job and works on it: its heartbeat renews the lease."""
    with _in_hand_lock:
        _in_hand[job_id] += 1


def release(*job_ids: int) -> None:
    """The jobs are no longer worked on here (recorded, or their run failed)."""
    with _in_hand_lock:
        _in_hand.subtract(job_ids)
        for job_id in job_ids:
            if _in_hand[job_id] <= 0:
                del _in_hand[job_id]


_working = threading.local()  # this thread's jobs by their item: {item id: job as claimed}


@contextlib.contextmanager
def working_on(items: dict[int, db.Job]):
    """This thread runs these jobs (item id -> the job as its claim left it): `lost` can tell a
    stage, before it commits its results (the database, the library), which of them another
    worker took over meanwhile."""
    _working.items = dict(items)
    try:
        yield
    finally:
        _working.items = {}


def lost(item_ids) -> set[int]:
    """Of these items, those whose job this thread runs but whose lease this run no longer
    holds (it froze past its lease, SIGSTOP or a paused VM: another worker took the job over
    and runs it now, maybe another thread of this same process: each claim counts the job's
    `attempts` up, so a claim is told from the next). Items of no job here (the CLI, the web
    UI) are never lost."""
    jobs = getattr(_working, "items", {})
    mine = {item: jobs[item] for item in item_ids if item in jobs}
    if not mine:
        return set()
    held = {
        (job.id, job.attempts)
        for job in db.Job.select(db.Job.id, db.Job.attempts).where(
            db.Job.id.in_([job.id for job in mine.values()]),
            db.Job.state == RUNNING,
            db.Job.lease_owner == owner(),
        )
    }
    return {item for item, job in mine.items() if (job.id, job.attempts) not in held}


def held(job: db.Job) -> pw.Expression:
    """The job is still running under this run's claim (not taken over meanwhile, by another
    worker or by another thread of this one: each claim counts `attempts` up)."""
    return (
        (db.Job.id == job.id)
        & (db.Job.state == RUNNING)
        & (db.Job.lease_owner == owner())
        & (db.Job.attempts == job.attempts)
    )


def fence(job: db.Job):
    """The check every write transaction made for `job` runs first (`db.fenced_by`): one
    SELECT by the job's primary key; raises LeaseLost when this run's claim is gone."""

    def check() -> None:
        if not db.Job.select(db.Job.id).where(held(job)).exists():
            raise LeaseLost(
                f"job {job.id}: not written: another worker took the job over (this one "
                "stopped renewing its lease)"
            )

    return check


def renew(lease_seconds: float) -> int:
    """Extend the leases of the jobs this process works on now; how many it holds. A job left
    running under this owner that nobody here works on any more (its outcome could not be
    recorded: the database went away at that moment) is not renewed: its lease expires and it
    is taken over, instead of staying "running" as long as this process lives."""
    with _in_hand_lock:
        mine = sorted(_in_hand)
    if not mine:
        return 0
    return (
        db.Job.update(lease_until=until(lease_seconds))
        .where(db.Job.id.in_(mine), db.Job.state == RUNNING, db.Job.lease_owner == owner())
        .execute()
    )


def dead_here(lease_owner: str | None) -> bool:
    """A process of this host that no longer runs (or a job from before leases existed)."""
    if not lease_owner:
        return True
    where, _, rest = lease_owner.partition(":")
    pid_text = rest.partition(":")[0]
    if where != db.this_host() or not pid_text.isdigit() or lease_owner == owner():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def take_over(*, at_start: bool = False, wait_seconds: float | None = None) -> list[db.Job]:
    """Running jobs whose lease expired (and, `at_start`, those of dead processes of this host)
    become queued again; the caller sends their messages. Returns them. `wait_seconds`: wait no
    longer for the write lock (raises `db.WriteLockBusy`)."""
    with db.write_transaction(wait_seconds=wait_seconds):
        running = list(
            db.Job.select(
                db.Job.id, db.Job.kind, db.Job.movie, db.Job.lease_owner, db.Job.lease_until
            ).where(db.Job.state == RUNNING)
        )
        expired = {
            j.id
            for j in db.Job.select(db.Job.id).where(
                db.Job.state == RUNNING, db.Job.lease_until < clock()
            )
        }
        stale = [j for j in running if j.id in expired or (at_start and dead_here(j.lease_owner))]
        if not stale:
            return []
        for job in stale:
            message = (
                "re-queued after a restart"
                if at_start and dead_here(job.lease_owner)
                else f"re-queued: worker {job.lease_owner} stopped renewing its lease"
            )
            db.Job.update(state=QUEUED, lease_owner=None, lease_until=None, message=message).where(
                db.Job.id == job.id, db.Job.state == RUNNING
            ).execute()
    return stale


class Heartbeat(threading.Thread):
    """Renews this process's leases every lease/4 seconds; every lease/2 seconds takes over
    expired ones (any live worker does: whoever comes first) and gives queued jobs stranded
    without a message a new one (`jobs.resend_stranded`)."""

    def __init__(self, lease_seconds: float, send, resend_stranded=None) -> None:
        super().__init__(name="metarrd-leases", daemon=True)
        self.lease_seconds = lease_seconds
        self.send = send
        self.resend_stranded = resend_stranded
        self.stopping = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self.stopping.wait(self.lease_seconds / 4):
            tick += 1
            self.tick(tick)
        with contextlib.suppress(Exception):
            db.database.close()

    def tick(self, tick: int) -> None:
        """One beat: renew; every second one, take over and re-send. The take-over waits at
        most a beat for the write lock: another process holding it long (a worker frozen
        inside a transaction, SIGSTOP or a paused VM) must not stop this one renewing its
        leases, or they would all have expired, and been taken over, when it lets go."""
        try:
            renew(self.lease_seconds)
            if tick % 2 == 0:
                for job in take_over(wait_seconds=self.lease_seconds / 4):
                    self.send(job)
                if self.resend_stranded is not None:
                    self.resend_stranded(self.lease_seconds)
        except db.WriteLockBusy as exc:
            log.warning("taking over expired leases: %s; tried again at the next beat", exc)
        except Exception:  # a database hiccup must not end the heartbeat
            log.exception("renewing job leases failed")

    def stop(self) -> None:
        self.stopping.set()
