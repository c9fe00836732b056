"""The one place that chains stages: scan -> identify -> enrich -> (auto) publish -> notify.

Every unit of work is a row in the `jobs` table (kind, item, key, state, payload, progress) and a
"run job N" message in the Huey queue (metarrd/queue.py). The row is the truth:

- **Merged, not duplicated.** A request whose key (`enrich:42`, `scan`, ...) already has a
  *queued* job is folded into it (scan paths are unioned, a show's new episodes to enrich too,
  webhook ids and the manual flag carried over) and that job is returned.
- **One at a time per item.** A job is claimed (queued -> running) only while no other job runs on
  its item (a TV show counting as one item with its seasons and episodes, but for publishes:
  `_same_show`), and no running scan covers the item's file, and vice versa; otherwise the
  message is put back for a moment.
- **Idempotent.** A message whose job is no longer queued is dropped, one that comes before
  its job is due (a second message of a retry) waits for then; stages skip work already
  done; a job whose worker died is taken over once its lease expired (metarrd/pipeline/leases.py;
  at once at the restart of a daemon on the same host).
- **Publishes batched.** A publish job claims the other publish jobs waiting and due, and runs
  them as one `publish_many` batch (`_claim_publishes`); each is recorded as if run alone.
- **Retried** with backoff when a provider is unavailable; any other error fails the job with a
  message that names the item, and the item keeps its `last_error`.

What each kind of job does is in metarrd/pipeline/steps.py (`HANDLERS`): a step runs its stage and
returns an Outcome; run_job here records it and queues what follows. What follows is decided by
the pure functions in metarrd/chain.py (enrich follows identify when `enrichment` is on; publish
follows only an *automatic* enrich with `auto_publish` on); `publishing` off refuses every
publish, queued or new, with a message saying how to turn it on. A `search` job (the identify
page's TMDB search) only stores ranked candidates on its item; nothing follows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import db, workflow
from metarrd.config import Config
from metarrd.errors import (
    DatabaseLost,
    LibraryUnreachable,
    MetarrdError,
    ProviderUnavailable,
    internal_error,
)
from metarrd.paths import in_scope
from metarrd.pipeline import leases, queue
from metarrd.pipeline.chain import Outcome
from metarrd.pipeline.queue import huey
from metarrd.pipeline.steps import (
    CATCH_UP_KINDS,
    HANDLERS,
    HELD_FOR_SCANNING,
    SCANNING_OFF,
    backlog,
    catch_up_step,
    publish_jobs,
)
from metarrd.runtime import Runtime

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
KINDS = tuple(HANDLERS)  # scan, identify, search, enrich, publish, notify, probe, catch_up
RETRY_DELAYS = (30.0, 120.0, 600.0, 1800.0)  # seconds before retry 1, 2, ... then the job fails
# a provider's own Retry-After (a 503's maintenance window) delays a retry up to this long
MAX_RETRY_AFTER = 6 * 3600.0
BUSY_DELAY = 1.0  # seconds before a job whose item is busy is tried again, doubling...
BUSY_MAX_DELAY = 10.0  # ...up to this while it stays busy (behind a long scan)
LOCKED_MAX_DELAY = 120.0  # ...or up to this while SQLite's write lock is held past the busy
# timeout by another process (a migration, a sqlite3 shell in a transaction): each try holds a
# worker for the busy timeout
PUBLISH_BATCH = 50  # publish jobs run together at most (publish_many's own batch size)

_bound: dict[str, Runtime] = {}


def bind(rt: Runtime) -> None:
    """The runtime tasks run with (the daemon's; a test's in immediate mode)."""
    rt.taken_over = leases.lost
    _bound["rt"] = rt


def _runtime() -> Runtime:
    try:
        return _bound["rt"]
    except KeyError:
        raise RuntimeError("jobs.bind(rt) was not called in this process") from None


# --- enqueue API (web UI, webhooks, watcher) ---------------------------------------------------


def enqueue_scan(
    paths: Iterable[str | Path] | None = None,
    *,
    ids: dict[str, dict[str, Any]] | None = None,
    renames: dict[str, str] | None = None,
    gone: Iterable[str] = (),
    recheck: bool = False,
) -> db.Job:
    """Scan `paths` (None: every library). What a webhook knows comes along:
    `ids` maps a path to the {tmdb_id, imdb_id} of the movie there, or the {tmdb_id, tvdb_id,
    imdb_id, kind: "show"} of the show (identified from them, without searching); `renames` maps
    an item's old file path to its new one (the item follows its file and keeps its data), or a
    show's old folder to its new one (Sonarr moved it unseen: scan.tv.follow_moved_shows); the
    items at the `gone` paths are marked missing (data kept). With `recheck`, a `gone` path
    still there when the job runs is looked at again a little later (steps.RECHECK_DELAYS):
    Radarr and Sonarr call the webhook before they delete the files."""
    plist = None if paths is None else sorted({_abs(p) for p in paths})
    gone_list = sorted({_abs(p) for p in gone})
    payload: dict[str, Any] = {
        "paths": plist,
        "ids": {_abs(k): v for k, v in (ids or {}).items()},
        "renames": {_abs(k): _abs(v) for k, v in (renames or {}).items()},
        "gone": gone_list,
    }
    if recheck and gone_list:
        payload["recheck"] = dict.fromkeys(gone_list, 0)  # path -> times looked at again
    return _enqueue("scan", None, payload, manual=False)


def _abs(path: str | Path) -> str:
    return str(Path(path).absolute())


def enqueue_identify(
    movie_id: int,
    tmdb_id: int | None = None,
    imdb_id: str | None = None,
    *,
    tvdb_id: int | None = None,
    source: str | None = None,
    manual: bool = True,
    again: bool = False,
    pasted: str | None = None,
) -> db.Job:
    """Identify an item: from the given ids (the user's choice, a webhook's; `tvdb_id` a show's
    TheTVDB id), else by search. `again`: an item identified already is identified once more
    (the library's "Re-identify"); else it is left as it is. `pasted`: the text the user pasted
    the ids as on the Identify page, which it gives back to correct when the job fails."""
    if (tmdb_id or imdb_id or tvdb_id) and source is None:
        source = "manual" if manual else "webhook"
    payload = {"tmdb_id": tmdb_id, "imdb_id": imdb_id, "source": source}
    if tvdb_id:
        payload["tvdb_id"] = tvdb_id
    if again:
        payload["again"] = True
    if pasted:
        payload["pasted"] = pasted
    return _enqueue("identify", movie_id, payload, manual=manual)


def enqueue_search(movie_id: int, title: str, year: int | None = None) -> db.Job:
    """Search TMDB for `title` (and `year`) on behalf of the user: the ranked candidates land on
    the item (`movies.candidates`) for the user to choose from. Never identifies, however good
    the match. A second search while one waits replaces its title and year."""
    return _enqueue("search", movie_id, {"title": title, "year": year}, manual=True)


def enqueue_enrich(movie_id: int, manual: bool = True) -> db.Job:
    return _enqueue("enrich", movie_id, {}, manual=manual)


def enqueue_publish(movie_id: int) -> db.Job:
    """Raises StageDisabled (a message for the user) when the publishing stage is off."""
    workflow.require(_config(), "publishing")
    return _enqueue("publish", movie_id, {}, manual=True)


def enqueue_notify(delay: float = 0.0) -> db.Job:
    """Send the players' due notification batches (PUBLISH queued them), after `delay` seconds."""
    return _enqueue("notify", None, {}, manual=False, delay=delay)


def enqueue_probe(providers: Iterable[str]) -> db.Job:
    """Settings' "Test connection" for providers (tmdb | fanart | tvdb): the daemon makes one
    cheap request to each and records the outcome as an event."""
    return _enqueue("probe", None, {"providers": sorted(set(providers))}, manual=True)


def catch_up(stage: str) -> int:
    """A workflow stage switched on again (`metarrd workflow set`): queue, once, what it would
    have done while it was off; the chain goes on from there as usual (automatic jobs: an
    identify is followed by an enrich when that stage is on, a publish waits for the review
    unless `auto_publish`). Returns how many jobs were queued.

    - `scanning`: a scan of every library (changes the watcher saw while it was off were
      skipped), with what the webhooks said meanwhile (`_catch_up_scan`);
    - `identification`, `enrichment`: a job for each item of its backlog (`steps.backlog`:
      items never tried; items identified, not enriched yet).
    The other stages leave nothing behind: `auto_publish` never publishes what waits for the
    user's review. A web request queues one job for this instead (`enqueue_catch_up`)."""
    if stage == "scanning":
        _catch_up_scan()
        return 1
    if stage not in CATCH_UP_KINDS:
        return 0
    rows = list(backlog(stage).tuples())
    for mid, show in rows:
        step = catch_up_step(CATCH_UP_KINDS[stage], mid, show)
        _enqueue(step.kind, step.movie_id, step.payload, manual=False)
    return len(rows)


def enqueue_catch_up(stage: str) -> int:
    """`catch_up` for a web request (Settings): one job row and one message whatever the
    backlog, whose worker queues the items' jobs `steps.CATCH_UP_BATCH` at a time (a job and
    a message per item, queued in the request, took seconds for thousands of items and timed
    out behind a proxy). Returns how many items it queues work for."""
    if stage == "scanning":
        _catch_up_scan()
        return 1
    if stage not in CATCH_UP_KINDS:
        return 0
    count = backlog(stage).count()
    if count:
        _enqueue("catch_up", None, {"stages": {stage: 0}}, manual=False)
    return count


def _catch_up_scan() -> db.Job:
    """A scan of every library that carries what the webhooks said while scanning was off
    (their scans skipped: steps.HELD_FOR_SCANNING): a movie's or series' ids, which identify
    it without a search (a scan of its folder's name would search TMDB), the files an upgrade
    or a rename replaced (their items follow the new ones, data kept), the deletes. Each such
    job gives them once."""
    with db.write_transaction():
        held = list(
            db.Job.select(db.Job.id, db.Job.payload)
            .where(db.Job.kind == "scan", db.Job.state == DONE,
                   db.Job.message == HELD_FOR_SCANNING)
            .order_by(db.Job.id)
        )  # fmt: skip
        payload: dict[str, Any] = {"paths": None, "ids": {}, "renames": {}, "gone": []}
        for told in held:  # in the order they came: a later rename of a file wins
            payload = merge_payload("scan", payload, told.payload or {})
        job, send = _queue_row("scan", None, payload, manual=False)
        if held:
            db.Job.update(message=f"{SCANNING_OFF}; handed to the scan of job {job.id}").where(
                db.Job.id.in_([told.id for told in held])
            ).execute()
    if send:
        _send_or_leave(job)
    return job


def use_queue(config: Config, *, if_unset: bool = False) -> None:
    """Point this process's enqueues at the configured queue (the web app's processes); with
    `if_unset`, only when nothing configured it yet (a test's immediate mode stays)."""
    if if_unset:
        queue.ensure_configured(config)
    else:
        queue.configure(config)


def _config():
    rt = _bound.get("rt")
    if rt is not None:
        return rt.config
    cfg = queue.current_config()
    if cfg is None:
        raise RuntimeError("metarrd.queue.configure(config) was not called in this process")
    return cfg


def job_key(kind: str, movie_id: int | None) -> str:
    return kind if movie_id is None else f"{kind}:{movie_id}"


def merge_payload(kind: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A second request for a queued job folds into it."""
    if kind == "scan":
        if old.get("paths") is None or new.get("paths") is None:
            paths = None  # a full scan covers every path
        else:
            paths = sorted(set(old["paths"]) | set(new["paths"]))
        return {
            "paths": paths,
            "ids": {**old.get("ids", {}), **new.get("ids", {})},
            "renames": _chained(old.get("renames", {}), new.get("renames", {})),
            "gone": sorted(set(old.get("gone", [])) | set(new.get("gone", []))),
            **_rechecks(old.get("recheck", {}), new.get("recheck", {})),
            # a scan waiting for its time (a look again) keeps it; one sooner sets its own
            **({"due": old["due"]} if "due" in old else {}),
        }
    if kind == "catch_up":  # each stage from the earlier of the two points (0: from the start)
        stages = {**old.get("stages", {}), **new.get("stages", {})}
        return {"stages": {s: min(c, old.get("stages", {}).get(s, c)) for s, c in stages.items()}}
    if kind == "probe":
        return {"providers": sorted(set(old.get("providers", [])) | set(new.get("providers", [])))}
    if kind == "enrich":  # a show's new episodes add up; a whole item's enrich covers them all
        merged = {**old, **new}
        if "episodes" in old and "episodes" in new:
            merged["episodes"] = sorted(set(old["episodes"]) | set(new["episodes"]))
        else:
            merged.pop("episodes", None)
        return merged
    if kind == "identify" and not (new.get("tmdb_id") or new.get("imdb_id") or new.get("tvdb_id")):
        from metarrd.identify import ORDER_CHANGED

        # explicit ids already queued win over a plain "identify it"; a "Re-identify" still
        # counts; a show's episode order switched is a plain one's too, and nothing to either
        # of the others (each matches the episodes in the order the show has when it runs)
        if new.get("source") == ORDER_CHANGED and not _identifies(old):
            return {**old, "source": ORDER_CHANGED}
        return {**old, "again": True} if new.get("again") else old
    if kind == "identify":  # the newer ids replace the older, never mix with them
        old = {k: v for k, v in old.items() if k not in ("tmdb_id", "imdb_id", "tvdb_id", "pasted")}
    merged = {**old, **new}
    if kind == "publish" and not ("picture_retry" in old and "picture_retry" in new):
        merged.pop("picture_retry", None)  # a user's publish folded in is no mere retry
    return merged


def _identifies(payload: dict) -> bool:
    """Whether an identify job's `payload` identifies its item whatever it is now: by the ids
    it names, or again by its names (the library's "Re-identify")."""
    return bool(
        payload.get("tmdb_id") or payload.get("imdb_id") or payload.get("tvdb_id")
        or payload.get("again")
    )  # fmt: skip


def _rechecks(old: dict[str, int], new: dict[str, int]) -> dict[str, Any]:
    """The `gone` paths to look at again (a delete webhook's), each with the most tries either
    request had spent: a merge never starts a path's tries over, nor drops them."""
    merged = {p: max(old.get(p, 0), new.get(p, 0)) for p in {*old, *new}}
    return {"recheck": merged} if merged else {}


def _chained(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """Two renames folded into one job: a file renamed a -> b, then b -> c, is followed from a to
    c (its item is still at a when the job runs); a newer rename of the same file wins."""
    return {**{src: new.get(dst, dst) for src, dst in old.items()}, **new}


def _enqueue(
    kind: str, movie_id: int | None, payload: dict, *, manual: bool, delay: float = 0.0
) -> db.Job:
    with db.write_transaction():
        job, send = _queue_row(kind, movie_id, payload, manual=manual, delay=delay)
    if send:
        _send_or_leave(job, delay)
    return job


def _queue_row(
    kind: str, movie_id: int | None, payload: dict, *, manual: bool, delay: float = 0.0
) -> tuple[db.Job, bool]:
    """The row half of an enqueue, inside the caller's write transaction: the queued job (new,
    or the one the request was merged into) and whether it needs a message of its own (a new
    job, or a merged request that is due sooner). The caller sends it after the commit."""
    key = job_key(kind, movie_id)
    due = time.time() + delay
    job = (
        db.Job.select().where(db.Job.key == key, db.Job.state == QUEUED).order_by(db.Job.id).first()
    )
    if job is not None:
        merged = merge_payload(kind, job.payload or {}, payload)
        sooner = due < (job.payload or {}).get("due", 0) - 0.5
        if sooner:
            merged["due"] = due
        if merged != job.payload or (manual and not job.manual):
            job.payload, job.manual = merged, job.manual or manual
            db.Job.update(payload=merged, manual=job.manual).where(db.Job.id == job.id).execute()
        log.debug("job %d: %s request merged into the queued job", job.id, key)
        return job, sooner
    if delay > 0:
        payload = {**payload, "due": due}
    job = db.Job.create(
        kind=kind,
        movie=movie_id,
        key=key,
        state=QUEUED,
        manual=manual,
        payload=payload,
        message="queued",
    )
    log.debug("job %d queued: %s", job.id, key)
    return job, True


def _send(job: db.Job, delay: float = 0.0) -> None:
    if delay > 0 and not huey.immediate:
        job_task.schedule((job.id,), delay=delay)
    else:
        job_task(job.id)


def _send_or_leave(job: db.Job, delay: float = 0.0) -> None:
    """`_send`, after the job's row is committed: a queue that refuses the message (Redis out of
    memory under `maxmemory` with noeviction, "OOM command not allowed"; Redis down) leaves the
    job queued without one, and says so on it; a worker's look for stranded jobs
    (`resend_stranded`) sends it once it has waited a lease. The error had gone up to the
    caller: a 500 page for a click whose job was queued all the same, a webhook answered 500,
    a finished job's follow-ups logged as a crash."""
    try:
        _send(job, delay)
    except Exception as exc:
        if not queue.refused(exc):
            raise
        log.warning("job %d queued, but the queue refused its message: %s", job.id, exc)
        db.Job.update(message=f"queued; {queue.REFUSED}: {str(exc).strip()}").where(
            db.Job.id == job.id, db.Job.state == QUEUED
        ).execute()


def retry(job_id: int) -> db.Job:
    """Queue a failed job's work again: same kind, item and payload. Raises MetarrdError when it
    cannot (no such job, not failed, its stage switched off)."""
    job = db.Job.get_or_none(db.Job.id == job_id)
    if job is None:
        raise MetarrdError(f"job {job_id} does not exist")
    if job.state != FAILED:
        raise MetarrdError(f"job {job_id} is {job.state}, not failed")
    if job.kind == "publish":
        workflow.require(_config(), "publishing")
    payload = {k: v for k, v in (job.payload or {}).items() if k != "due"}
    manual = job.manual or job.kind == "enrich"  # the user asked: an enrich stops for review
    return _enqueue(job.kind, job.movie_id, payload, manual=manual)


def requeue_interrupted() -> int:
    """At a worker's start: jobs that were running when their process died run again (those of
    dead processes of this host at once, others once their lease expired), and every queued job
    gets a fresh message, for when it is due. A SQLite queue (one host) is flushed first; a
    shared Redis queue is not (other workers' messages are in it): a duplicate message finds
    its job taken and is dropped. Returns how many jobs were sent."""
    for job in leases.take_over(at_start=True):
        _log_interrupted(job)
    if not _config().uses_redis:
        queue.flush()
    pending = list(db.Job.select().where(db.Job.state == QUEUED).order_by(db.Job.id))
    now = time.time()
    for job in pending:  # a job due later (a picture retry, a notification) keeps its time
        _send(job, max(0.0, (job.payload or {}).get("due", 0) - now))
    return len(pending)


STRANDED_BATCH = 500  # queued jobs (and waiting messages) one look for stranded jobs reads
_stranded_after = {"id": 0}  # where this process's next look goes on from


def resend_stranded(older_than: float) -> int:
    """Messages for queued jobs that have none: jobs that have waited longer than `older_than`
    seconds while no message in the queue or the schedule names them (a worker died between
    committing them and sending their messages, or after taking a message, before claiming its
    job; Redis restarted without its data). Each gets a message again; a duplicate is dropped
    at claim. Returns how many were sent.

    A look reads at most `STRANDED_BATCH` messages, and `STRANDED_BATCH` jobs at a time: while
    more messages wait than that, it looks at nothing (one LLEN; the workers take them in turn,
    a stranded job waits for them as it would behind them in the queue), nor while the
    schedule holds that many due within minutes (jobs whose items a long scan keeps busy, or
    that wait for SQLite's lock: one sent again ahead of its message starts its back-off
    over). Each look goes on
    from the job after the last one read, so every queued job is looked at; it reads the next
    jobs too only while it finds stranded ones (Redis restarted without its data: all of them
    are sent in one look, as the workers' start sends them)."""
    follow_the_clock()
    if queue.pending_messages() >= STRANDED_BATCH:
        return 0
    cutoff = db.now() - timedelta(seconds=older_than)
    due_later = time.time() + 1
    messages: set[int] | None = None
    sent = 0
    while True:
        after = _stranded_after["id"]
        batch = list(
            db.Job.select(db.Job.id, db.Job.payload)
            .where(db.Job.state == QUEUED, db.Job.created_at < cutoff, db.Job.id > after)
            .order_by(db.Job.id)
            .limit(STRANDED_BATCH)
        )
        _stranded_after["id"] = batch[-1].id if len(batch) == STRANDED_BATCH else 0
        stranded = [j for j in batch if (j.payload or {}).get("due", 0) < due_later]
        if stranded and messages is None:  # read after the jobs: a message sent meanwhile is seen
            # a job whose item is busy has its message in the schedule, due within seconds;
            # one waiting for SQLite's lock, within minutes (PostgreSQL has none: there, the
            # retries due within minutes, whose jobs wait for their `due`, hold no look up)
            locked = 0.0 if db.is_postgresql() else LOCKED_MAX_DELAY
            soon = max(BUSY_MAX_DELAY, locked) + BUSY_DELAY
            messages = queue.message_job_ids(STRANDED_BATCH, soon=soon)
            if messages is None:  # more due soon than a look reads (a long scan keeps their
                _stranded_after["id"] = after  # items busy): their jobs come first, as above
                break
        stranded = [j for j in stranded if j.id not in (messages or ())]
        for job in stranded:
            _send(job)
        sent += len(stranded)
        if not stranded or not _stranded_after["id"]:
            break  # none here (a look's usual end), or every queued job read
    if sent:
        log.warning("%d queued jobs had no message (a worker died while queueing); sent", sent)
    return sent


CLOCK_BACK_SECONDS = 60.0  # the wall clock going back by this much is stepped, not slewed
# at this process's last look: "offset", time.time() - time.monotonic(); "at", time.monotonic()
_clock: dict[str, float] = {}


def follow_the_clock() -> float:
    """After the wall clock went back since this process's last look, by CLOCK_BACK_SECONDS or
    more (NTP setting back the clock of a board without a real-time clock, whose saved time, or
    own clock, ran ahead): what waits is brought forward as much (`bring_forward`). The
    monotonic clock is the yardstick: it never moves but forward. The look is taken as done
    only once that succeeded (a busy database: the next look does it). Returns the seconds the
    clock went back (0: it did not)."""
    steady = time.monotonic()
    offset = time.time() - steady
    back = _clock.get("offset", offset) - offset
    if back < CLOCK_BACK_SECONDS:
        back = 0.0
    else:
        bring_forward(back, since=steady - _clock.get("at", steady))
    _clock.update(offset=offset, at=steady)
    return back


def bring_forward(seconds: float, since: float = 0.0) -> None:
    """After the wall clock went back by `seconds`, within the last `since` seconds: what waits
    for a time of the old clock (a retry's or a notification's `due`, the queue's schedule of
    messages: a retry, an item found busy; the players' pending notifications) waits as much
    less, never past now; it had waited the hours the clock went back too. A time of the old
    clock is one at least `seconds - since` ahead of now: one set by the new clock (a wait
    shorter than the jump, set since, or by another host, or moved by another worker of this
    host that noticed the jump first) is left as it is."""
    now = time.time()
    threshold = now + max(0.0, seconds - since) - 1.0
    moved = 0
    with db.write_transaction():
        for job in db.Job.select(db.Job.id, db.Job.payload).where(db.Job.state == QUEUED):
            due = (job.payload or {}).get("due")
            if isinstance(due, int | float) and due >= threshold:
                payload = {**job.payload, "due": max(now, due - seconds)}
                db.Job.update(payload=payload).where(db.Job.id == job.id).execute()
                moved += 1
    messages = queue.bring_schedule_forward(seconds, now, threshold)
    from metarrd.players import bring_forward as notifications_forward  # only where needed

    def utc(moment: float) -> datetime:
        return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)

    told = notifications_forward(seconds, utc(now), utc(threshold))
    log.warning(
        "the clock went back %.0f s: %d waiting jobs, %d scheduled messages and %d player "
        "notifications brought forward as much",
        seconds,
        moved,
        messages,
        told,
    )


def send_again(job: db.Job) -> None:
    """A message for a job taken over from a dead worker (the lease heartbeat's)."""
    _log_interrupted(job)
    _send(job)


def _log_interrupted(job: db.Job) -> None:
    log.warning(
        "job %d (%s) was interrupted (worker %s); it runs again",
        job.id,
        _what(job),
        job.lease_owner or "unknown",
    )


def prune(days: float = 30.0) -> int:
    """Forget finished jobs older than `days` (failed ones stay until retried or older still).
    Never a webhook's scan held while scanning is off (HELD_FOR_SCANNING): finished, yet what
    it holds (Radarr's ids, the files an upgrade replaced, the deletes) is read by the scan
    that catches up once scanning is on again, however long that takes (`_catch_up_scan`)."""
    cutoff = db.now() - timedelta(days=days)
    J = db.Job
    held = (J.kind == "scan") & (pw.fn.COALESCE(J.message, "") == HELD_FOR_SCANNING)
    return (
        J.delete()
        .where(
            ((J.state == DONE) & (J.finished_at < cutoff) & ~held)
            | ((J.state == FAILED) & (J.finished_at < cutoff - timedelta(days=days)))
        )
        .execute()
    )


# --- running a job ---------------------------------------------------------------------------


def _what(job: db.Job) -> str:
    """`enrich item 42 (/movies/The Matrix (1999)/The Matrix.mkv)`, for log lines."""
    if job.movie_id is None:
        return job.kind
    movie = db.Movie.get_or_none(db.Movie.id == job.movie_id)
    return f"{job.kind} item {job.movie_id}" + (f" ({movie.path})" if movie else "")


def _claim(job: db.Job) -> str:
    """queued -> running. Returns "claimed", "busy" (its item is being worked on) or "gone"."""
    with db.write_transaction():
        fresh = db.Job.get_or_none(db.Job.id == job.id)
        if fresh is None or fresh.state != QUEUED:
            return "gone"
        running = list(db.Job.select().where(db.Job.state == RUNNING))
        if _conflicts(fresh, running):
            return "busy"
        db.Job.update(
            state=RUNNING,
            lease_owner=leases.owner(),
            lease_until=leases.until(_config().queue.lease_seconds),
            started_at=db.now(),
            attempts=db.Job.attempts + 1,
            progress=0.0,
            message="running",
        ).where(db.Job.id == job.id).execute()
    leases.hold(job.id)
    return "claimed"


def _conflicts(job: db.Job, running: list[db.Job]) -> bool:
    if any(r.kind == job.kind and r.movie_id is None and job.movie_id is None for r in running):
        return True  # one scan (or notify) at a time
    if job.movie_id is not None:
        if any(r.movie_id == job.movie_id for r in running):
            return True
        if _same_show(job, [r for r in running if r.movie_id is not None]):
            return True
        scans = [r for r in running if r.kind == "scan"]
        if scans:
            movie = db.Movie.get_or_none(db.Movie.id == job.movie_id)
            path = movie.path if movie else ""
            return any(in_scope(path, s.payload.get("paths")) for s in scans)
    elif job.kind == "scan":
        busy = [r.movie_id for r in running if r.movie_id is not None]
        if busy:
            paths = [m.path for m in db.Movie.select(db.Movie.path).where(db.Movie.id.in_(busy))]
            return any(in_scope(p, job.payload.get("paths")) for p in paths)
    return False


def _same_show(job: db.Job, running: list[db.Job]) -> bool:
    """Whether a job runs on another item of `job`'s show (the show, a season, an episode): a
    show is one item with its seasons and episodes (an enrich of the show writes every
    episode's rows, an identify matches them again). Publishes of one show are left to run
    together (one batch) or one after the other (the show folder's lock)."""
    others = [r for r in running if not (r.kind == job.kind == "publish")]
    if not others:
        return False
    ids = [job.movie_id, *(r.movie_id for r in others)]
    show_of = {
        i: show or i
        for i, show in db.Movie.select(db.Movie.id, db.Movie.show).where(db.Movie.id.in_(ids))
        .tuples()
    }  # fmt: skip
    mine = show_of.get(job.movie_id)
    return mine is not None and any(show_of.get(r.movie_id) == mine for r in others)


def run_job(job_id: int, busy: int = 0) -> None:
    """What every task does: claim, run the stage, record the outcome, enqueue what follows.
    `busy`: how many times in a row this job's item was found busy (its message's)."""
    job = db.Job.get_or_none(db.Job.id == job_id)
    if job is None:
        log.debug("job %d: no such job, message dropped", job_id)
        return
    if job.state != QUEUED:  # a duplicate (each worker that starts sends every queued job
        # one): dropped on this read, without the write lock every host's claims wait on
        log.debug("job %d: %s, message dropped", job_id, job.state)
        return
    early = (job.payload or {}).get("due", 0) - time.time()
    if early > BUSY_DELAY and not huey.immediate:
        # a second message of a job waiting for its time (a retry): one more for then, not a
        # run now (that spent the retry at once); at most one of them finds the job queued
        job_task.schedule((job.id,), delay=early)
        return
    try:
        claim = _claim(job)
    except pw.OperationalError as exc:
        if not db.locked(exc):
            raise
        # another process held SQLite's write lock past the busy timeout: the job stays
        # queued and is tried again, later each time (each try holds a worker for the busy
        # timeout: a long lock must not keep every worker waiting on it), saying why
        delay = min(BUSY_DELAY * 2 ** min(busy, 16), LOCKED_MAX_DELAY)
        reason = f"waiting: {db.lock_reason(exc)}; tried again in {delay:.0f}s"
        _say_waiting(job, reason)
        log.warning("job %d %s", job_id, reason)
        job_task.schedule((job.id,), {"busy": busy + 1}, delay=delay)
        return
    if claim == "gone":
        log.debug("job %d: not queued any more, message dropped", job_id)
        return
    if claim == "busy":  # tried again later, and later each time: thousands of jobs waiting
        # for a full scan must not take the write lock every second each while it walks
        delay = min(BUSY_DELAY * 2 ** min(busy, 16), BUSY_MAX_DELAY)
        job_task.schedule((job.id,), {"busy": busy + 1}, delay=delay)
        return
    others: list[db.Job] = []
    try:
        job = db.Job.get_by_id(job_id)
        if job.kind == "publish":
            _run_publishes([job, *_claim_publishes(job, others)])
            return
        what = _what(job)
        log.info("job %d started: %s", job.id, what)
        try:
            # every write transaction of the run first checks that its claim still holds
            # (a scan's, which has no item, too): a run frozen past its lease writes nothing
            with (
                db.fenced_by(leases.fence(job)),
                leases.working_on({job.movie_id: job} if job.movie_id else {}),
            ):
                outcome: Outcome | Exception = HANDLERS[job.kind](_runtime(), job)
        except Exception as exc:
            outcome = exc
        _record(job, what, outcome)
    finally:  # recorded, or recording failed: either way no longer renewed from here
        leases.release(job_id, *(other.id for other in others))


def _say_waiting(job: db.Job, reason: str) -> None:
    """`reason` as the queued job's message (the activity page's), written only if SQLite's
    write lock is free at once: a write waits for the lock the claim could not get, and this
    one must not hold the worker for another busy timeout. Left unsaid while the lock stays."""
    db.database.execute_sql("PRAGMA busy_timeout = 0")
    try:
        db.Job.update(message=reason).where(
            (db.Job.id == job.id) & (db.Job.state == QUEUED)
        ).execute()
    except pw.OperationalError as exc:
        if not db.locked(exc):
            raise
        log.debug("job %d: its reason to wait not written (the database is locked)", job.id)
    finally:
        db.database.execute_sql(f"PRAGMA busy_timeout = {db.PRAGMAS['busy_timeout']}")


def _claim_publishes(job: db.Job, claimed: list[db.Job] | None = None) -> list[db.Job]:
    """Other publish jobs queued and due now, claimed to run in `job`'s batch (up to
    `PUBLISH_BATCH` in all): a daemon told to publish many items at once (a bulk enrich with
    `auto_publish`, the UI's selection) pays one pair of durability barriers per batch, not per
    item. A job waiting for a retry or a later time is left to its own message; the message of
    a job claimed here, when it comes, finds it no longer queued and is dropped."""
    now = time.time()
    others = list(  # read at once: claiming while this SELECT's cursor is still open upgrades
        # its old read snapshot to a write, which SQLite refuses at once ("database is locked")
        db.Job.select()
        .where(
            db.Job.kind == "publish",
            db.Job.state == QUEUED,
            db.Job.attempts == 0,
            db.Job.id != job.id,
        )
        .order_by(db.Job.id)
        .limit(PUBLISH_BATCH * 2)
    )
    claimed = [] if claimed is None else claimed  # the caller's: what to release if this fails
    for other in others:
        if len(claimed) >= PUBLISH_BATCH - 1:
            break
        try:
            if (other.payload or {}).get("due", 0) <= now and _claim(other) == "claimed":
                claimed.append(db.Job.get_by_id(other.id))
        except pw.OperationalError as exc:  # a busy database: the batch is smaller, not lost
            log.info("publish batch of job %d: stopped claiming others (%s)", job.id, exc)
            break
    return claimed


def _run_publishes(batch: list[db.Job]) -> None:
    """Publish jobs claimed together: one `steps.publish_jobs`, then each job recorded as if it
    had run alone (its outcome and follow-ups, or its own failure)."""
    whats = {job.id: _what(job) for job in batch}
    for job in batch:
        log.info("job %d started: %s", job.id, whats[job.id])
    try:
        with leases.working_on({job.movie_id: job for job in batch if job.movie_id}):
            outcomes: dict[int, Outcome | Exception] = publish_jobs(_runtime(), batch)
    except Exception as exc:  # publishing switched off (or a bug): every job of the batch
        outcomes = dict.fromkeys((job.id for job in batch), exc)
    for job in batch:
        _record(job, whats[job.id], outcomes[job.id])


def _record(job: db.Job, what: str, outcome: Outcome | Exception) -> None:
    """A job's end: its outcome recorded and what follows queued, or its failure (a provider
    unavailable: retried later)."""
    if isinstance(outcome, Exception) and db.unavailable(outcome):
        # not a bug: PostgreSQL restarted or failed over under the run (still starting, at its
        # connection limit, or a standby now), which is tried again
        outcome = DatabaseLost(
            f"the connection to the database was lost ({str(outcome).strip()}; PostgreSQL "
            "restarted or failed over?)"
        )
    elif isinstance(outcome, Exception) and db.locked(outcome):
        # not a bug either: another process held SQLite's write lock past the busy timeout (a
        # daemon migrating the database after an upgrade, a sqlite3 shell left in a
        # transaction): the write that met it was undone whole, and the job runs again later,
        # as after a PostgreSQL restart. It had failed for good as "internal error:
        # OperationalError: database is locked", a bug's traceback in the log. (Or another
        # connection wrote between the transaction's read and its write: said as that.)
        outcome = DatabaseLost(db.lock_reason(outcome))
    if isinstance(outcome, (ProviderUnavailable, LibraryUnreachable, DatabaseLost)):
        _retry_or_fail(job, what, outcome)
        return
    if isinstance(outcome, MetarrdError):
        _fail(job, what, str(outcome))
        return
    if isinstance(outcome, Exception):  # a bug must not kill the worker; the job shows it
        log.error("job %d failed: %s: internal error", job.id, what, exc_info=outcome)
        _fail(job, what, internal_error(outcome), logged=True)
        return
    # The DONE and the follow-up rows commit together: a kill between them cannot leave the
    # item without its next step. Messages go after the commit; a lost one is re-sent at start
    # (`requeue_interrupted` sends every queued job).
    follow: list[tuple[db.Job, float]] = []
    with db.write_transaction():
        done = (
            db.Job.update(
                state=DONE,
                progress=1.0,
                message=outcome.message,
                error=None,
                finished_at=db.now(),
                lease_owner=None,
                lease_until=None,
            )
            .where(_held(job))
            .execute()
        )
        if not done:
            log.warning("job %d: lease lost while running (%s); outcome dropped", job.id, what)
            return
        for step in outcome.follow:
            queued, send = _queue_row(
                step.kind, step.movie_id, step.payload, manual=step.manual, delay=step.delay
            )
            if send:
                follow.append((queued, step.delay))
    log.info("job %d finished: %s: %s", job.id, what, outcome.message)
    for queued, delay in follow:
        _send_or_leave(queued, delay)


def _held(job: db.Job) -> pw.Expression:
    return leases.held(job)


def _retry_or_fail(
    job: db.Job, what: str, exc: ProviderUnavailable | LibraryUnreachable | DatabaseLost
) -> None:
    attempt = job.attempts
    if attempt > len(RETRY_DELAYS):
        _fail(job, what, f"{exc} (gave up after {attempt} attempts)")
        return
    delay = RETRY_DELAYS[attempt - 1]
    if exc.retry_after:  # not before the provider said it would answer again (Retry-After)
        delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER))
    message = f"{exc}; retry {attempt} in {delay:.0f}s"
    # when it is due, as a delayed enqueue records it: a worker that starts meanwhile sends the
    # job's message for then (`requeue_interrupted`), not at once (a retry spent per start)
    payload = {**(job.payload or {}), "due": time.time() + delay}
    with db.write_transaction():
        waiting = (
            db.Job.update(
                state=QUEUED,
                payload=payload,
                message=message,
                error=str(exc),
                lease_owner=None,
                lease_until=None,
            )
            .where(_held(job))
            .execute()
        )
        if not waiting:  # taken over (maybe finished): the item's error is the other's to say
            log.warning("job %d: lease lost while running (%s); its retry dropped", job.id, what)
            return
        if job.movie_id is not None:  # the item says why it waits; no event until it gives up
            db.Movie.update(last_error=str(exc), updated_at=db.now()).where(
                db.Movie.id == job.movie_id
            ).execute()
    log.warning("job %d waiting: %s: %s", job.id, what, message)
    job_task.schedule((job.id,), delay=delay)  # immediate mode: kept in memory


def _fail(job: db.Job, what: str, reason: str, *, logged: bool = False) -> None:
    recorded = db.record_failure(  # a full disk: logged
        job.kind,
        job.movie_id,
        reason,
        job_id=job.id,
        lease_owner=leases.owner(),
        attempts=job.attempts,
    )
    if recorded and not logged:
        log.error("job %d failed: %s: %s", job.id, what, reason)


# --- the Huey task (thin: the job row says what to do) -----------------------------------------


@huey.task(name="job")
def job_task(job_id: int, busy: int = 0) -> None:
    run_job(job_id, busy)
