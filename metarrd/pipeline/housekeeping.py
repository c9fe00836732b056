"""What a daemon forgets as it runs, so that its database grows with the library, not with time.

A NAS runs `metarrd run` for months without a restart. Every job, event, publish and player
notification adds a row; without this, a library of a constant size made a database (and the
Activity page's and the scans' questions of it) that grew with every Radarr upgrade and every
periodic rescan, for good. `forget_old` runs at the daemon's start and every `EVERY_SECONDS`
while it runs (docs/daemon.md, "What the daemon forgets"):

- finished jobs older than `JOB_DAYS` (failed ones twice that: `jobs.prune`), but a webhook's
  scan held while scanning is off (read by the scan that catches up, however late);
- an item's publishes but its newest `PUBLISHES_KEPT`, the ones its page lists
  (`web/queries.history`); one that copied a file of the user's into the cache stays, since it
  says where that file went (a publish with nothing to change adds a row too);
- a player's notifications of an item that were sent or gave up, but the newest (what the player
  was last told of the item: `publish.apply._last_told`, for a move) and those holding kept state
  still read (`players/kodi_kept.py`: a watched state to give back; the NFO tags Kodi read, of
  which the newest row's alone counts);
- an item's events but its newest `HISTORY_KEPT`, the ones its page lists, and events of no item
  (a webhook received, players told) older than `EVENT_DAYS`; never the user's edits and locks
  (`review.*`, read as the user's work: `scan.renames.untouched`, `identify.tv`), an item's
  newest identification (`identify.*`, read by a stage's catch-up and a scan's retry of a failed
  one; the older go: a scan retries a failed one each time) nor the providers' tests (`probe.*`,
  the newest of each shown in Settings), nor the newest event (the live updates' cursor: SQLite
  would give its id again);
- the pictures downloaded from the providers for an item missing (its video gone) for
  `MISSING_DAYS`: their cache rows, and the files no other row names (`cache.remove_unused`). A
  NAS's owner who deletes what they watched kept every deleted movie's full-size pictures for
  good, megabytes each. Its data stays, and its candidates (with their previews): back, its
  next publish downloads what it selected again (`publish.sources.asset_image`). The user's own
  (found in the library, uploaded, or from an address they gave) never go.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import peewee as pw

from metarrd import cache, db, dbrows
from metarrd.config import Config
from metarrd.pipeline import jobs
from metarrd.user_urls import PROVIDER as USER_PROVIDER

log = logging.getLogger(__name__)

EVERY_SECONDS = 6 * 3600.0  # how often a running daemon forgets
JOB_DAYS = 30.0
PUBLISHES_KEPT = 10  # an item's page lists its 10 newest publishes
HISTORY_KEPT = 50  # an item's page lists its 50 newest events (web/queries.history)
EVENT_DAYS = 30.0  # past the Health page's errors per day (two weeks)
MISSING_DAYS = 90.0  # an item missing this long gives back the pictures it downloaded
EVENTS_KEPT = ("review.", "identify.", "probe.")  # kinds read as data: never forgotten...
IDENTIFICATIONS = "identify."  # ...but an item's identifications before its newest
FINISHED = ("sent", "failed")  # a notification's states once nothing more is done with it
# kept-state entries of which only the newest row's is read (players/kodi_kept._kept)
LATEST_WINS = frozenset({"nfo_tags", "movie", "show_refresh"})


def forget_old(config: Config | None = None) -> dict[str, int]:
    """Forget what is past keeping; returns how many rows of each table went (and, with the
    `config`, how many cache files of long-missing items)."""
    return {
        "pictures of missing items": _forget_missing_pictures(config),
        "jobs": jobs.prune(JOB_DAYS),
        "publishes": _forget_publishes(),
        "notifications": _forget_notifications(),
        "events": _forget_events(),
    }


def run(config: Config) -> None:
    """`forget_old`, said in the log; a failure (a busy or gone database) is logged and left
    for the next time: the daemon goes on."""
    try:
        gone = forget_old(config)
    except Exception:
        log.exception("forgetting old rows failed; tried again in %d h", EVERY_SECONDS // 3600)
        return
    said = ", ".join(f"{n} {what}" for what, n in gone.items() if n)
    if said:
        log.info("forgot what is past keeping: %s", said)


def _beyond_newest(model, keep: int) -> tuple[pw.Query, pw.Query]:
    """(the items with more than `keep` rows of `model`, the id of a row's item's `keep`-th
    newest row): a row of one of those items with a smaller id is past keeping. Subqueries, no
    window function (SQLite before 3.25)."""
    Q = model.alias()
    crowded = (
        Q.select(Q.movie)
        .where(Q.movie.is_null(False))
        .group_by(Q.movie)
        .having(pw.fn.COUNT(Q.id) > keep)
    )
    last_kept = (
        Q.select(Q.id).where(Q.movie == model.movie).order_by(Q.id.desc()).limit(1).offset(keep - 1)
    )
    return crowded, last_kept


def _forget_publishes() -> int:
    """An item's publish log beyond its `PUBLISHES_KEPT` newest rows, but those that copied
    a file of the user's. One statement, with no window function (SQLite before 3.25)."""
    P = db.PublishLog
    crowded, last_kept = _beyond_newest(P, PUBLISHES_KEPT)
    nothing_of_yours = pw.Value("[]", converter=False)  # (the JSON of an empty list)
    with db.write_transaction():
        return (
            P.delete()
            .where(P.movie.in_(crowded), P.backed_up == nothing_of_yours, P.id < last_kept)
            .execute()
        )


def _forget_notifications() -> int:
    """The finished notifications (sent, or given up) of a player and item but the newest, and
    but those holding kept state a later row of theirs does not replace
    (`_still_read`); a finished one of an item since deleted."""
    N = db.PlayerNotification
    with db.write_transaction():
        gone = [
            i
            for (i,) in N.select(N.id)
            .where(N.movie.is_null(), N.state.in_(FINISHED), N.kept_state.is_null())
            .tuples()
        ]
        crowded = (
            N.select(N.player, N.movie)
            .where(N.movie.is_null(False))
            .group_by(N.player, N.movie)
            .having(pw.fn.COUNT(N.id) > 1)
        )
        rows = (
            N.select(N.id, N.player, N.movie, N.state, N.kept_state)
            .join(crowded, on=(N.player == crowded.c.player_id) & (N.movie == crowded.c.movie_id))
            .order_by(N.player, N.movie, N.id.desc())
            .tuples()
        )
        group, later = None, set()
        for row_id, player, movie, state, kept in rows.iterator():
            if (player, movie) != group:  # its newest row: what the player was last told
                group, later = (player, movie), set(_names(kept))
                continue
            if state in FINISHED and not _still_read(kept, later):
                gone.append(row_id)
            later.update(_names(kept))
        dbrows.delete_all(N._meta.table_name, "id", gone)
    return len(gone)


def _names(kept) -> list[str]:
    return [k for e in kept or () if isinstance(e, dict) for k in e]


def _still_read(kept, later: set[str]) -> bool:
    """Whether a row's `kept_state` is read (players/kodi_kept.py): a watched state (`file`,
    `show` entries, read from every row of the item) or a latest-wins entry (`nfo_tags`,
    `movie`, `show_refresh`) no later row of the player and item holds."""
    return any(name not in LATEST_WINS or name not in later for name in _names(kept))


def _forget_events() -> int:
    """An item's events beyond its `HISTORY_KEPT` newest, and events of no item older than
    `EVENT_DAYS`; none of the kinds `EVENTS_KEPT`, nor the newest of all. Of an item's
    identifications, the newest alone is read (`steps.identify_failed_in`: whether a scan tries
    it again; `steps.backlog`: whether one was tried): the older go, since a scan tries an item
    whose identification failed again each time (a key refused for months: one a day)."""
    E = db.Event
    crowded, last_kept = _beyond_newest(E, HISTORY_KEPT)
    cutoff = db.now() - timedelta(days=EVENT_DAYS)
    Q = E.alias()
    newer_identification = Q.select(pw.fn.MAX(Q.id)).where(
        Q.movie == E.movie, Q.kind.startswith(IDENTIFICATIONS)
    )
    with db.write_transaction():
        newest = E.select(pw.fn.MAX(E.id)).scalar()
        if newest is None:
            return 0
        gone = (
            E.delete()
            .where(
                *[~E.kind.startswith(kind) for kind in EVENTS_KEPT],
                E.id < newest,
                (E.movie.in_(crowded) & (E.id < last_kept))
                | (E.movie.is_null() & (E.created_at < cutoff)),
            )
            .execute()
        )
        return gone + (
            E.delete()
            .where(
                E.kind.startswith(IDENTIFICATIONS),
                E.movie.is_null(False),
                E.id < newer_identification,
            )
            .execute()
        )


def _forget_missing_pictures(config: Config | None) -> int:
    """The provider pictures of the items missing for `MISSING_DAYS` (`updated_at`: when it was
    marked missing, or later): their cache rows go and their candidates are no longer
    downloaded, in one transaction; then the files no row names any more. Returns how many
    files went. Not while the cache does not answer (a hung mount)."""
    if config is None or cache.unanswered(config.cache_dir):
        return 0
    M, C, A = db.Movie, db.CacheImageFile, db.ArtworkCandidate
    long_gone = M.select(M.id).where(
        M.missing, M.updated_at < db.now() - timedelta(days=MISSING_DAYS)
    )
    with db.write_transaction():
        rows = list(
            C.select(C.id, C.movie, C.file_path, C.file_hash)
            .where(
                C.movie.in_(long_gone),
                C.actor.is_null(),
                C.source_type == "provider",
                C.provider_name != USER_PROVIDER,
            )
            .tuples()
        )
        if not rows:
            return 0
        dbrows.delete_all(C._meta.table_name, "id", [row_id for row_id, *_ in rows])
        hashes: dict[int, set[str]] = {}
        for _id, movie, _path, digest in rows:
            hashes.setdefault(movie, set()).add(digest)
        for movie, digests in hashes.items():
            A.update(is_downloaded=False).where(
                A.movie == movie, A.content_hash.in_(sorted(digests))
            ).execute()
    files = {path for _, _, path, _ in rows}
    return cache.remove_unused(
        config.cache_dir, config.previews_dir, files, set(), not_for=long_gone
    )
