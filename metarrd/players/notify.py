"""The notification queue: coalesce what PUBLISH queued per player, send it, retry with backoff.

PUBLISH adds one `PlayerNotification(state="pending")` per player and movie. Here:

- A player's batch is due once its oldest new row has waited `[daemon] notify_window_seconds`
  (everything that arrived in that window goes in one batch), or a retry's time has come. A due
  batch takes every pending row of that player.
- Each player's batch is sent on its own thread, so a slow or dead player never holds up the
  others; every request has a timeout and every wait a bound, so nothing hangs.
- A failed row is retried with exponential backoff (15 s, 30 s, ... at most 5 min) until
  `[daemon] notify_retry_minutes` after it was queued, then marked failed with a plain reason in
  the row, on the player (`MediaPlayer.last_error`, which the UI shows) and as an event. A path
  that the player's `path_map` does not cover fails at once: there is nothing sensible to send.
- A row told whose player's own work is still to be looked at (`LookAgain`: Kodi had not run
  the refresh of a watched movie, which resets its play count when it does, or of a rated
  show, its rating) is `checking`:
  the player's look (`LOOK_AGAIN`, never a second telling) is due at the same backoff from
  when it was told, until `notify_retry_minutes` after; then it is `sent`. A later row of the
  same player and item takes its place: it tells the player again, and takes over what was
  kept.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import peewee as pw

from metarrd import db
from metarrd.config import Config, LibraryConfig, PlayerConfig
from metarrd.http import HttpClient
from metarrd.pathmap import PathNotMapped
from metarrd.players import jellyfin, kodi_batch, plex
from metarrd.players.plan import Target, make_target, stack_folder
from metarrd.players.transport import (
    LookAgain,
    PlayerError,
    PlayerNotAllowed,
    PlayerUnreachable,
    label,
    make_http,
)
from metarrd.text import count
from metarrd.urls import hide_credentials

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 15.0
BACKOFF_MAX_SECONDS = 300.0
EARLY_TOLERANCE_SECONDS = 0.5  # a timer firing this early still counts as on time

Deliver = Callable[
    [PlayerConfig, HttpClient, Sequence[Target]], tuple[dict[int, PlayerError | None], list[str]]
]
DELIVER: dict[str, Deliver] = {
    "kodi": kodi_batch.deliver,
    "jellyfin": jellyfin.deliver,
    "plex": plex.deliver,
}
# a `checking` row's look (`transport.LookAgain`): only Kodi asks for one
LOOK_AGAIN: dict[str, Deliver] = {"kodi": kodi_batch.look_again}

_busy: set[str] = set()  # players whose batch is being sent right now (by any thread)
_busy_lock = threading.Lock()


@dataclass(frozen=True)
class Pending:
    """A snapshot of one pending row (no database access past loading)."""

    key: int
    player: str
    path: str
    is_disc: bool
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    movie_id: int | None
    is_show: bool = False  # a TV show: its path is the show folder
    ids: tuple[tuple[str, str], ...] = ()  # its provider ids: to find it in a player by them
    folder: str | None = None  # a folder stack's: the folder above its parts (`stack_folder`)
    title: str = ""  # its title in our database: a name to look it up by in a player
    checking: bool = False  # told, and to be looked at again (`LookAgain`); not told again
    sent_at: datetime | None = None  # when it was told


@dataclass
class PlayerReport:
    """What one pass did for one player (str() is the summary without the player's name)."""

    player: str
    who: str  # how messages name it: `Kodi "Living room"` (config.player_label)
    sent: int = 0
    checked: int = 0  # rows told before, looked at again and done
    looking: int = 0  # rows told, to be looked at again
    retrying: int = 0
    failed: int = 0
    done: list[str] = field(default_factory=list)
    error: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.sent} sent"] if self.sent or not self.checked else []
        if self.checked:
            parts.append(f"{self.checked} checked again")
        if self.looking:
            parts.append(f"{self.looking} to look at again")
        if self.retrying:
            parts.append(f"{self.retrying} to retry")
        if self.failed:
            parts.append(f"{self.failed} failed")
        text = ", ".join(parts)
        if self.done:
            text += " (" + "; ".join(self.done) + ")"
        # the error names the player (as `last_error` and the events keep it): said once,
        # `Kodi "Living room": 0 sent, 1 to retry: connection refused at …`
        error = (self.error or "").removeprefix(f"{self.who}: ")
        return text + (f": {error}" if error else "")


# --- pure timing rules ------------------------------------------------------------------------


def due_at(row: Pending, window: float) -> datetime:
    """When a row wants sending: a new row after the coalescing window, a retry at its time."""
    if row.attempts == 0:
        return max(row.next_attempt_at, row.created_at + timedelta(seconds=window))
    return row.next_attempt_at


def is_due(rows: Sequence[Pending], now: datetime, window: float) -> bool:
    slack = timedelta(seconds=EARLY_TOLERANCE_SECONDS)
    return any(due_at(r, window) <= now + slack for r in rows)


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` (1 = the first retry)."""
    return min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def after_failure(row: Pending, now: datetime, retry_minutes: float) -> datetime | None:
    """When to try a failed row again, or None when its retry time is used up."""
    deadline = row.created_at + timedelta(minutes=retry_minutes)
    if now >= deadline:
        return None
    return min(now + timedelta(seconds=backoff(row.attempts + 1)), deadline)


# --- the queue ----------------------------------------------------------------------------------


def _pending(config: Config) -> dict[str, list[Pending]]:
    configured = {p.name for p in config.player}
    query = (
        db.PlayerNotification.select(db.PlayerNotification, db.MediaPlayer, db.Movie)
        .join(db.MediaPlayer)
        .switch(db.PlayerNotification)
        .join(db.Movie, pw.JOIN.LEFT_OUTER)
        .where(
            db.PlayerNotification.state.in_(["pending", "checking"])
            & (db.MediaPlayer.enabled == True)  # noqa: E712 (peewee expression)
        )
        .order_by(db.PlayerNotification.id)
    )
    by_player: dict[str, list[Pending]] = {}
    for row in query:
        name = row.player.name
        if name not in configured:
            continue
        movie = row.movie if row.movie_id else None
        is_show = bool(movie and movie.kind == db.SHOW)
        by_player.setdefault(name, []).append(
            Pending(
                key=row.id,
                player=name,
                path=row.path,
                is_disc=bool(movie and movie.is_disc),
                is_show=is_show,
                ids=provider_ids(movie) if movie else (),
                folder=stack_folder(row.path, movie.parts or ()) if movie else None,
                title=(movie.title or "") if movie else "",
                attempts=row.attempts,
                created_at=row.created_at,
                next_attempt_at=row.next_attempt_at,
                movie_id=row.movie_id,
                checking=row.state == "checking",
                sent_at=row.sent_at,
            )
        )
    return by_player


def _superseded(rows: Sequence[Pending]) -> set[int]:
    """The `checking` rows of an item a later row of the same player is about: that row tells
    the player again (a Kodi refresh takes the state kept for the item), so there is nothing
    to look at."""
    movies = sorted({r.movie_id for r in rows if r.checking and r.movie_id is not None})
    if not movies:
        return set()
    N, P = db.PlayerNotification, db.MediaPlayer
    latest = {
        (name, movie): last
        for name, movie, last in N.select(P.name, N.movie, pw.fn.MAX(N.id))
        .join(P)
        .where(N.movie.in_(movies))
        .group_by(P.name, N.movie)
        .tuples()
    }
    return {r.key for r in rows if r.checking and latest.get((r.player, r.movie_id), r.key) > r.key}


def provider_ids(item: db.Movie) -> tuple[tuple[str, str], ...]:
    """A movie's or show's ids as Kodi's `uniqueid` types (and Plex's guids) name them."""
    ids = (("tmdb", item.tmdb_id), ("tvdb", item.tvdb_id), ("imdb", item.imdb_id))
    return tuple((kind, str(value)) for kind, value in ids if value)


def bring_forward(seconds: float, now: datetime, threshold: datetime) -> int:
    """After the wall clock went back by `seconds` (`jobs.bring_forward`; `now`: naive UTC, as
    `db.now()`): the pending and checking rows' times of the old clock (at `threshold` or
    later) are as much sooner (the next attempt never before now), so their window and
    back-off count from when they were set; they had waited the hours the clock went back
    too. Returns how many rows moved."""
    N = db.PlayerNotification
    back = timedelta(seconds=seconds)
    moved = 0
    with db.write_transaction():
        rows = N.select(N.id, N.created_at, N.next_attempt_at).where(
            N.state.in_(["pending", "checking"])
            & ((N.created_at >= threshold) | (N.next_attempt_at >= threshold))
        )
        for row in list(rows):
            created, attempt = row.created_at, row.next_attempt_at
            N.update(
                created_at=created - back if created >= threshold else created,
                next_attempt_at=max(now, attempt - back) if attempt >= threshold else attempt,
            ).where(N.id == row.id).execute()
            moved += 1
    return moved


def due_in(rt, now: datetime | None = None) -> float | None:
    """Seconds until the next batch, or look at a `checking` row, is due (0 when one is due
    now); None when nothing is pending or to be looked at."""
    now = now or db.now()
    window = rt.config.daemon.notify_window_seconds
    with _busy_lock:
        busy = set(_busy)  # the pass sending to these schedules their follow-up itself
    times = [
        due_at(r, window)
        for name, rows in _pending(rt.config).items()
        if name not in busy
        for r in rows
    ]
    if not times:
        return None
    return max((min(times) - now).total_seconds(), 0.0)


def process_notifications(
    rt, now: datetime | None = None, players: Sequence[str] | None = None
) -> list[PlayerReport]:
    """Send every due batch (optionally only for the named players); one report per player."""
    config: Config = rt.config
    now = now or db.now()
    window = config.daemon.notify_window_seconds
    by_name = {p.name: p for p in config.player}
    batches: dict[str, list[Pending]] = {}
    slack = timedelta(seconds=EARLY_TOLERANCE_SECONDS)
    for name, rows in _pending(config).items():
        if players is not None and name not in players:
            continue
        # every pending row of a due batch; a row told goes only when its look is due
        rows = [r for r in rows if not r.checking or due_at(r, window) <= now + slack]
        if not rows or not is_due(rows, now, window):
            continue
        with _busy_lock:
            if name in _busy:
                continue  # another pass is telling this player right now
            _busy.add(name)
        batches[name] = rows
    if not batches:
        return []
    roots = [lib.path for lib in config.library]
    libraries = tuple(config.library)
    reports = []
    http = make_http(max(by_name[n].timeout_seconds for n in batches))
    try:
        with ThreadPoolExecutor(max_workers=len(batches), thread_name_prefix="notify") as pool:
            futures = {}
            for name, rows in batches.items():
                gone = _superseded(rows)
                targets, unmapped = _targets(
                    by_name[name], [r for r in rows if r.key not in gone], roots, libraries
                )
                unmapped.update(dict.fromkeys(gone))  # (outcomes known) done: a later row tells it
                looks = {r.key for r in rows if r.checking}
                told = [t for t in targets if t.key not in looks]
                looked = [t for t in targets if t.key in looks]
                futures[pool.submit(_send, by_name[name], http, told, looked)] = (
                    name,
                    rows,
                    unmapped,
                )
            for future in as_completed(futures):
                name, rows, unmapped = futures[future]
                results, done = future.result()
                results.update(unmapped)
                try:
                    reports.append(_record(by_name[name], rows, results, done, now, config))
                finally:
                    with _busy_lock:
                        _busy.discard(name)
    finally:
        http.close()
        with _busy_lock:
            _busy.difference_update(batches)
    return reports


def _targets(
    player: PlayerConfig,
    rows: Sequence[Pending],
    roots: Sequence[str],
    libraries: Sequence[LibraryConfig] = (),
) -> tuple[list[Target], dict[int, PlayerError | None]]:
    targets, unmapped = [], {}
    for row in rows:
        try:
            targets.append(
                make_target(
                    row.key,
                    row.path,
                    player,
                    roots,
                    row.is_disc,
                    is_show=row.is_show,
                    ids=row.ids,
                    libraries=libraries,
                    folder=row.folder,
                    title=row.title,
                )
            )
        except PathNotMapped as exc:
            unmapped[row.key] = exc
    return targets, unmapped


def _send(
    player: PlayerConfig,
    http: HttpClient,
    targets: Sequence[Target],
    looks: Sequence[Target] = (),
) -> tuple[dict[int, PlayerError | None], list[str]]:
    """Deliver one player's batch, then its looks (`checking` rows: `LOOK_AGAIN`); every
    failure comes back as a value, never raised."""
    results: dict[int, PlayerError | None] = {}
    done: list[str] = []
    try:
        for send, items in ((DELIVER[player.type], targets), (LOOK_AGAIN.get(player.type), looks)):
            if not items:
                continue
            if send is None:  # (a player that asks for no look: nothing to look at)
                results.update(dict.fromkeys(t.key for t in items))
                continue
            gone = next((e for e in results.values() if isinstance(e, PlayerUnreachable)), None)
            if gone is not None:  # the batch found it unreachable: no look waits for it again
                results.update(dict.fromkeys((t.key for t in items), gone))
                continue
            try:
                answers, what = send(player, http, items)
            except PlayerError as exc:
                answers, what = {t.key: exc for t in items}, []
            except Exception as exc:  # a bug or a surprise answer must not stop the other players
                log.exception("%s: notification failed unexpectedly", label(player))
                err = PlayerError(f"{label(player)}: unexpected error: {exc}")
                answers, what = {t.key: err for t in items}, []
            results.update(answers)
            done += what
        return results, done
    finally:  # this thread's connection (Kodi's deliver keeps a renamed show's state: kodi_kept)
        with contextlib.suppress(Exception):
            db.database.close()


def _record(
    player: PlayerConfig,
    rows: Sequence[Pending],
    results: dict[int, PlayerError | BaseException | None],
    done: list[str],
    now: datetime,
    config: Config,
) -> PlayerReport:
    # what the player was told names its paths, which may hold a password (`ftp://kodi:…@`)
    done = [hide_credentials(step) for step in done]
    who = label(player)
    report = PlayerReport(player.name, who, done=done)
    first_error: str | None = None
    refused_logged = False  # a PlayerNotAllowed is logged once per batch, not once per row
    with db.write_transaction():
        for row in rows:
            outcome = results.get(row.key, PlayerError(f"{who}: not sent"))
            q = db.PlayerNotification.update
            if row.checking:
                error = _record_look(who, row, outcome, now, config, report)
                first_error = first_error or error
                continue
            if isinstance(outcome, LookAgain) and config.daemon.notify_retry_minutes > 0:
                # told; what the player does about it is looked at again from now
                q(
                    state="checking",
                    sent_at=now,
                    last_error=None,
                    attempts=row.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=BACKOFF_FIRST_SECONDS),
                ).where(db.PlayerNotification.id == row.key).execute()
                report.sent += 1
                report.looking += 1
                continue
            if outcome is None or isinstance(outcome, LookAgain):
                q(state="sent", sent_at=now, last_error=None, attempts=row.attempts + 1).where(
                    db.PlayerNotification.id == row.key
                ).execute()
                report.sent += 1
                continue
            reason = hide_credentials(str(outcome))
            first_error = first_error or reason
            # the errors name the player first (`Kodi "Den": connection refused ...`); the log
            # lines and events below name it themselves
            why = reason.removeprefix(f"{who}: ")
            retry_at = None
            final = isinstance(outcome, PathNotMapped | PlayerNotAllowed)  # retrying cannot help
            if not final:
                retry_at = after_failure(row, now, config.daemon.notify_retry_minutes)
            if retry_at is not None:
                q(attempts=row.attempts + 1, next_attempt_at=retry_at, last_error=reason).where(
                    db.PlayerNotification.id == row.key
                ).execute()
                report.retrying += 1
                if row.attempts == 0:
                    log.warning("%s: %s; will retry", who, why)
                continue
            q(state="failed", attempts=row.attempts + 1, last_error=reason).where(
                db.PlayerNotification.id == row.key
            ).execute()
            report.failed += 1
            tried = "" if final else f" (tried {row.attempts + 1}x)"
            db.record_event(
                "notify.failed",
                f"{who} was not told about {row.path}: {why}{tried}",
                movie=row.movie_id,
                level="error",
                player=player.name,
                path=row.path,
            )
            if isinstance(outcome, PlayerNotAllowed):
                if not refused_logged:
                    refused_logged = True
                    log.error("%s", reason)  # it names the player
                continue
            log.error("%s: gave up on %s: %s", who, row.path, why)
        if report.sent or (report.checked and done):
            db.record_event(
                "notify.done",
                f"{who}: " + ("; ".join(done) or f"told about {count(report.sent, 'item')}"),
                player=player.name,
                sent=report.sent,
            )
        if report.retrying and any(r.attempts == 0 for r in rows):
            db.record_event(
                "notify.retrying",
                f"{who}: {(first_error or '').removeprefix(f'{who}: ')}; will retry for up to "
                f"{config.daemon.notify_retry_minutes:g} min",
                level="warning",
                player=player.name,
            )
        changes = {"last_error": first_error}
        if report.sent or report.checked:
            changes["last_ok_at"] = now
        db.MediaPlayer.update(**changes).where(db.MediaPlayer.name == player.name).execute()
    report.error = first_error
    if report.sent or report.checked:
        log.info("%s: %s", who, report)
    return report


def _record_look(
    who: str,
    row: Pending,
    outcome: PlayerError | BaseException | None,
    now: datetime,
    config: Config,
    report: PlayerReport,
) -> str | None:
    """The outcome of a `checking` row's look: done (`sent`), or looked at again at the
    backoff of the time since it was told (15 s, 30 s, 1 min, ... at most 5 min) until
    `notify_retry_minutes` after it; then `sent` with a line in the log saying why it was
    waited for. The player's error (not a LookAgain) when there was one."""
    q = db.PlayerNotification.update
    where = db.PlayerNotification.id == row.key
    if outcome is None:
        q(state="sent", attempts=row.attempts + 1, last_error=None).where(where).execute()
        report.checked += 1
        return None
    reason = hide_credentials(str(outcome))
    error = None if isinstance(outcome, LookAgain) else reason
    told = row.sent_at or now
    until = told + timedelta(minutes=config.daemon.notify_retry_minutes)
    if now < until:
        since = (now - told).total_seconds()
        wait = min(max(since, BACKOFF_FIRST_SECONDS), BACKOFF_MAX_SECONDS)
        q(
            attempts=row.attempts + 1,
            next_attempt_at=min(now + timedelta(seconds=wait), until),
            last_error=reason,
        ).where(where).execute()
        report.looking += 1
        return error
    q(state="sent", attempts=row.attempts + 1, last_error=error).where(where).execute()
    log.info(
        "%s: stopped looking at %s %g min after it was told: %s",
        who,
        row.path,
        config.daemon.notify_retry_minutes,
        reason.removeprefix(f"{who}: "),
    )
    return error
