"""What each kind of job does: run its stage on the job's item and say what follows.

`HANDLERS[kind](rt, job) -> chain.Outcome`. A step reads its job row (payload, manual flag),
calls the stage (scan, identify_item, enrich_item, publish_item, process_notifications), and
returns the message to record with the follow-up steps that the pure functions in
metarrd/chain.py decide. It never enqueues anything: metarrd/jobs.py claims the job, records the
outcome and queues what follows, so it stays the one place that chains stages.

Each stage module is imported inside its step, at call time, so a test can stand in for it
(tests/daemon/conftest.py swaps the modules).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import db, workflow
from metarrd.errors import ItemError, LibraryUnreachable, MetarrdError
from metarrd.files import display
from metarrd.mounts import library_unanswered
from metarrd.paths import deepest_folder, is_inside
from metarrd.pipeline import leases
from metarrd.pipeline.chain import (
    Outcome,
    Step,
    after_enrich,
    after_identify,
    after_notify,
    after_publish,
    after_scan,
    retry_unlisted,
)
from metarrd.runtime import Runtime
from metarrd.text import count

log = logging.getLogger(__name__)


def set_progress(job: db.Job, fraction: float, message: str | None = None) -> None:
    values: dict[str, Any] = {"progress": max(0.0, min(1.0, fraction))}
    if message is not None:
        values["message"] = message
    # only while this run's claim holds: a run frozen past its lease, resumed, does not show
    # its progress on the job another worker took over
    db.Job.update(**values).where(leases.held(job)).execute()


def _movie(job: db.Job) -> db.Movie | None:
    return db.Movie.get_or_none(db.Movie.id == job.movie_id) if job.movie_id else None


SCANNING_OFF = "skipped: the scanning stage is switched off"
# a webhook's scan skipped so: its ids, renames and deletes go to the scan that catches up
# (jobs.catch_up), found by this message
HELD_FOR_SCANNING = f"{SCANNING_OFF}; kept for the scan once it is on again"


def _told(payload: dict[str, Any]) -> bool:
    """Does a scan's payload hold what only a webhook knows (ids, renames, deletes)?"""
    return bool(payload.get("ids") or payload.get("renames") or payload.get("gone"))


def do_scan(rt: Runtime, job: db.Job) -> Outcome:
    from metarrd.scan import (
        follow_moved_shows,
        follow_renames,
        mark_gone,
        remove_left_behind,
        scan,
        stack_folders,
    )

    if not workflow.is_enabled(rt.config, "scanning"):
        return Outcome(HELD_FOR_SCANNING if _told(job.payload) else SCANNING_OFF)
    # before anything looks at a path: a root on a hung mount would hang this worker for good,
    # and so would the cache a movie's own artwork is copied into
    if cache_hung := unanswered_cache(rt, rt.config.cache_dir):
        raise LibraryUnreachable(cache_hung)  # tried again later (jobs.py)
    hung = unanswered_roots(rt, job.payload)
    paths = job.payload.get("paths")
    waits: list[Step] = []
    if hung:
        answering = [lib.path for lib in rt.config.library if lib.path not in hung]
        if paths is not None or not answering or _names_any(job.payload, hung):
            raise LibraryUnreachable(_not_answering(hung))  # tried again later (jobs.py)
        log.warning("%s; the other libraries are scanned", _not_answering(hung))
        paths = answering  # a full scan of those that answer; the others wait in a scan of
        waits = [Step("scan", payload={"paths": hung})]  # their own, tried again later
    renames = job.payload.get("renames") or {}
    # a show folder Sonarr moved unseen: the show and its episodes first, where the renames
    # and deletes of the same webhook look for them
    shows = follow_moved_shows(rt.config, renames)
    reviewed = _published_at(list(renames))  # before they follow: a rename marks them outdated
    moved = follow_renames(rt.config, renames)
    gone = mark_gone(rt.config, job.payload.get("gone") or [])
    if gone and workflow.is_enabled(rt.config, "publishing"):
        # a delete webhook's (never for an upgrade): our files beside a video gone, unneeded
        remove_left_behind(gone)
    # a stack's later part deleted (`cd2`) names no item: its stack's folder is scanned
    parted = stack_folders(job.payload.get("gone") or [])
    if parted and paths is not None:
        paths = [*paths, *(p for p in parted if p not in paths)]
    again = recheck_gone(job.payload.get("recheck") or {}) + waits
    vanished: list[str] = []  # folders the watcher saw go: their items are missing, if not moved
    if paths is not None:
        vanished = [p for p in paths if gone_from_library(rt, p)]
        paths = [p for p in paths if os.path.exists(p)]
    if paths == []:  # nothing left to walk (an empty list would mean "everything")
        gone += mark_gone(rt.config, vanished)
        waiting = f", {len(again)} deleted paths looked at again later" if again else ""
        return Outcome(f"{len(gone)} items marked missing{waiting}", again + tell_moved(rt, shows))
    set_progress(job, 0.1, f"walking {len(paths)} folders" if paths else "walking every library")
    report = scan(rt, [Path(p) for p in paths] if paths is not None else None)
    report.missing += mark_gone(rt.config, vanished)  # after the walk, which finds where they moved
    given = _items_named(rt, job.payload.get("ids") or {})
    if given and not workflow.is_enabled(rt.config, "identification"):
        _keep_ids(given)
    # what failed to identify there before (TMDB down past the job's retries) is tried again
    scopes = paths if paths is not None else [lib.path for lib in rt.config.library]
    follow = after_scan_of(rt, report, given, scopes)
    follow += resumed_after_move(rt, report.moved, set(report.touched) | set(given))
    # followed a webhook's rename or upgrade, or replaced where they are (found by the scan:
    # the watcher, a rescan): published as they were, published again
    followed = [i for i in moved if i in reviewed]
    follow += republish_moved(rt, followed + [i for i in report.restreamed if i not in followed])
    follow += again
    follow += tell_moved(rt, report.moved + moved + shows)  # also those not published again
    videos = {name: n["videos"] for name, n in report.counts().items()}  # not the shows
    message = (
        f"{count(report.found, 'video')}: {videos['new']} new, "
        f"{videos['changed']} changed, {videos['moved']} moved, {videos['missing']} missing, "
        f"{count(report.errors, 'error')}"
    )
    if report.skipped:  # a sample, a trailer, an extra: listed in Settings → Libraries
        message += f", {report.skipped} skipped by name (listed in Settings, Libraries)"
    if hung:
        message += f"; {_not_answering(hung)}: scanned once it does"
    return Outcome(message, follow)


def unanswered_roots(rt: Runtime, payload: dict[str, Any]) -> list[str]:
    """The roots of the libraries a scan job looks into (every library for a full scan; a
    publish: its item's) that do not answer: a hard network mount whose server is gone, whose stat never returns, counts
    after `mounts.ROOT_CHECK_TIMEOUT` (`mounts.root_identity`, the watcher's own look, which
    never leaves more than one thread waiting on a root: `mounts.library_unanswered`)."""
    roots = [lib.path for lib in rt.config.library]
    if payload.get("paths") is not None:
        roots = [root for root in roots if _names_any(payload, [root])]
    return [root for root in roots if library_unanswered(root)]


def unanswered_cache(rt: Runtime, *folders: Path) -> str:
    """Why a job cannot use the image cache (`[cache] dir` on a network share, the previews in
    the data folder): the first of `folders` that does not answer (a hung hard mount, looked at
    as a library root is: `cache.unanswered`); "" when they all do."""
    from metarrd import cache

    for folder in folders:
        if cache.unanswered(folder):
            return f"the image cache {display(folder)} does not answer (a hung network mount?)"
    return ""


def _names_any(payload: dict[str, Any], roots: list[str]) -> bool:
    """Does the scan's payload name a path inside one of `roots` (to scan, renamed, gone)?"""
    renames = payload.get("renames") or {}
    named = [
        *(payload.get("paths") or []),
        *renames,
        *renames.values(),
        *(payload.get("gone") or []),
        *(payload.get("recheck") or {}),
    ]
    return any(is_inside(path, root) for path in named for root in roots)


def _not_answering(roots: list[str]) -> str:
    shown = ", ".join(display(root) for root in roots)
    if len(roots) == 1:
        return f"library root {shown} does not answer (a hung network mount?)"
    return f"library roots {shown} do not answer (hung network mounts?)"


# A delete webhook comes before the files go: Radarr's and Sonarr's EventAggregator runs the
# notification (a synchronous handler) first, and MediaFileDeletionService.HandleAsync (on a task
# of its own) deletes the folder afterwards (Radarr and Sonarr
# src/NzbDrone.Core/Messaging/Events/EventAggregator.cs). A `gone` path still there with items
# on it is looked at again after each of these delays (about a minute in all), then left to
# the watcher or the periodic rescan. Each is a delayed scan job: no worker waits meanwhile.
RECHECK_DELAYS = (5.0, 15.0, 40.0)


def recheck_gone(recheck: dict[str, int]) -> list[Step]:
    """Delayed scans for the `gone` paths of a delete webhook (path -> tries spent) that still
    have items not missing (mark_gone, just before, found their files there); a path still
    there after the last try: one log line."""
    from metarrd.scan import stack_folders  # the scan imports this package

    later: dict[int, list[str]] = {}
    for path, tries in sorted(recheck.items()):
        # not "is the path there": it may have gone since mark_gone; a stack's later part
        # names no item, its stack holds it
        if not items_on(path) and not stack_folders([path]):
            continue
        if tries >= len(RECHECK_DELAYS):
            log.info(
                "%s is still there %.0f s after a webhook said it was deleted; its items are "
                "left as they are (the watcher or the next rescan marks them if it goes)",
                path, sum(RECHECK_DELAYS),
            )  # fmt: skip
            continue
        later.setdefault(tries, []).append(path)
    return [
        Step(
            "scan",
            payload={
                "paths": [],
                "ids": {},
                "renames": {},
                "gone": paths,
                "recheck": dict.fromkeys(paths, tries + 1),
            },
            delay=RECHECK_DELAYS[tries],
        )  # fmt: skip
        for tries, paths in sorted(later.items())
    ]


def items_on(path: str, *, missing_too: bool = False) -> bool:
    """Whether an item not marked missing (`missing_too`: any item) is at or under `path`."""
    prefix = path.rstrip(os.sep) + os.sep
    query = db.Movie.select(db.Movie.path).where(
        (db.Movie.path == path) | db.Movie.path.startswith(prefix)
    )
    if not missing_too:
        query = query.where(~db.Movie.missing)
    return any(is_inside(movie.path, path) for movie in query)  # LIKE ignores case; paths do not


def gone_from_library(rt: Runtime, path: str) -> bool:
    """A folder or file gone from a library that is there (the daemon's scan of a folder the
    watcher saw go, `metarrd scan PATH` after a delete by hand: its items are marked missing,
    `mark_gone`): `scan.gone_from_library`. A root on a hung mount is for the caller to leave
    out before (`unanswered_roots`)."""
    from metarrd.scan import gone_from_library as gone  # the scan imports this package

    return gone(rt.config, path)


def after_scan_of(
    rt: Runtime, report, given: dict[int, dict[str, Any]], scopes: Sequence[str] = ()
) -> list[Step]:
    """What follows a scan (the daemon's and the CLI's): its new or changed items that are still
    unidentified are identified; items a webhook named, from the webhook's ids; and those in
    `scopes` (what the scan covered) whose last identify failed (`identify_failed_in`)."""
    touched = list(
        db.Movie.select(db.Movie.id, db.Movie.kind, db.Movie.show).where(
            db.Movie.id.in_(report.touched), db.Movie.identification_status == db.UNIDENTIFIED
        )
    )
    shows = {m.id for m in touched if m.kind == db.SHOW}
    # a show identifies its episodes; an episode alone (new in a known show) is identified alone
    unidentified = [
        m.id
        for m in touched
        if m.kind in (db.MOVIE, db.SHOW) or (m.kind == db.EPISODE and m.show_id not in shows)
    ]
    stages = workflow.all_stages(rt.config)
    if scopes and stages["identification"]:
        unidentified += [i for i in identify_failed_in(scopes) if i not in unidentified]
    return after_scan(unidentified, given, stages)


def resumed_after_move(rt: Runtime, moved: list[int], followed: set[int]) -> list[Step]:
    """Moved items whose chain stopped while they were missing go on where they stand: a
    folder renamed while an item's identify or enrich waited in the queue (the watcher saw the
    old folder go first, and its scan marked the item missing) had that job skipped ("the
    item's file is missing"); found again under its new name, the item stayed unidentified, or
    identified and never enriched, with no error and nothing queued (the soak test caught it
    once). As a stage switched on again does (`backlog`): an identify for an item never tried,
    an enrich for one identified and not enriched; a job already queued for it takes this one
    in (`jobs.merge_payload`)."""
    ids = [i for i in moved if i not in followed]
    if not ids:
        return []
    stages = workflow.all_stages(rt.config)
    steps: list[Step] = []
    for stage, kind in CATCH_UP_KINDS.items():
        if stages[stage]:
            rows = backlog(stage).where(db.Movie.id.in_(ids)).tuples()
            steps += [catch_up_step(kind, mid, show) for mid, show in rows]
    return steps


def tell_moved(rt: Runtime, moved: list[int]) -> list[Step]:
    """Movies and shows the scan found at a new path (a folder renamed by hand): the players
    told about the old one are told about the new one, published again or not (nothing may
    be left to write: our files went along; the user may not have reviewed the item)."""
    from metarrd.publish import tell_players_moved

    if not tell_players_moved(moved):
        return []
    return after_publish(True, rt.config.daemon.notify_window_seconds)


def _published_at(paths: list[str]) -> set[int]:
    """The items at these paths that are published as they are (nothing left to review)."""
    query = db.Movie.select(db.Movie.id).where(
        db.Movie.path.in_(paths), db.Movie.publish_state == db.PUBLISHED
    )
    return {movie_id for (movie_id,) in query.tuples()} if paths else set()


def republish_moved(rt: Runtime, moved: list[int]) -> list[Step]:
    """Items that followed a renamed file (a webhook's rename or upgrade), or whose file was
    replaced under its own name (the scan's `restreamed`: the NFO's <streamdetails> were the
    old file's), published as they were: each is published again, so its NFO and art follow
    the file (ours at the old name are removed), and nothing the user has not reviewed is
    written: a webhook's upgrade and the watcher's look at the same file end alike. A movie is
    published again; an episode alone, never its whole show, whose changes the user has not
    reviewed yet stay "Republish?" (the review gate: auto_publish may be off), and only when
    the show is published with its `tvshow.nfo` there (publish/tv.py `_published`: else an
    episode's publish is the whole show's)."""
    if not moved or not workflow.is_enabled(rt.config, "publishing"):
        return []
    M, Show = db.Movie, db.Movie.alias()
    ready = M.id.in_(moved) & ~M.missing & (M.identification_status == db.ENRICHED)
    movies = M.select(M.id).where(ready, M.kind == db.MOVIE).tuples()
    episodes = (
        M.select(M.id, Show.path)
        .join(Show, on=(M.show == Show.id))
        .where(
            ready,  # the scan after the rename may have changed the episode
            M.kind == db.EPISODE,
            Show.publish_state.in_([db.PUBLISHED, db.OUTDATED]),
            Show.last_published_at.is_null(False),
            Show.identification_status == db.ENRICHED,
        )
        .tuples()
    )
    alone = [i for i, show in episodes if os.path.lexists(os.path.join(show, "tvshow.nfo"))]
    return [Step("publish", item_id) for item_id in sorted([i for (i,) in movies] + alone)]


def _items_named(rt: Runtime, ids_by_path: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Items at the paths a webhook named, with its ids; items already that movie are left.

    The ids are one movie's (Radarr) or one show's (Sonarr; marked `kind: "show"`): they go
    to the one item at or under the path, never to several. A path that holds more (a library's
    root sent as a movie's folder, a flat folder of movies) gets none, with a warning: identify
    never guesses which item the ids meant. A show already identified with those ids is
    identified again only when Sonarr's series type asks for another episode order
    (identify.tv.sonarr_switch: an anime series in an order nobody chose)."""
    from metarrd.identify import sonarr_switch

    given: dict[int, dict[str, Any]] = {}
    for path, sent in ids_by_path.items():
        prefix = path.rstrip(os.sep) + os.sep
        # and Sonarr's series_type; `file`: the file Radarr imported there
        ids = {k: v for k, v in sent.items() if k not in ("kind", "file")}
        # a series without a TheTVDB id (`tvdbId: 0`) is a show all the same; a job queued
        # before `kind` was sent knew a show by its tvdb_id
        kind = sent.get("kind") or (db.SHOW if "tvdb_id" in ids else db.MOVIE)
        query = db.Movie.select().where(
            ~db.Movie.missing,
            (db.Movie.path == path) | db.Movie.path.startswith(prefix),
            db.Movie.kind == kind,
        )
        # LIKE is case-insensitive; paths are not
        items = [movie for movie in query if is_inside(movie.path, path)]
        if len(items) > 1 and (named := [m for m in items if m.path == sent.get("file")]):
            items = named  # the folder holds other movies too: the one Radarr imported
        if len(items) > 1:
            what = "shows" if kind == db.SHOW else "movies"
            message = (
                f"webhook ids not applied: {path} holds {len(items)} {what}, and the ids name one"
            )
            log.warning("%s", message)
            db.record_event("webhook.ignored", message, level="warning", path=path, **ids)
            continue
        for movie in items:
            same = (ids.get("tmdb_id") and movie.tmdb_id == ids.get("tmdb_id")) or (
                ids.get("tvdb_id") and movie.tvdb_id == ids.get("tvdb_id")
            )
            if (
                same
                and movie.identification_status != db.UNIDENTIFIED
                and not (kind == db.SHOW and sonarr_switch(rt, movie, ids.get("series_type")))
            ):
                continue  # identified again only for Sonarr's anime series in another order
            if not same and movie.identified_by == "manual":
                _users_choice_kept(movie, ids)
                continue
            given[movie.id] = ids
    return given


# the hint that holds a webhook's ids for an item scanned while identification was off
WEBHOOK_IDS = "webhook_ids"


def _keep_ids(given: dict[int, dict[str, Any]]) -> None:
    """Items a webhook named while the `identification` stage is off: its ids are kept in their
    hints, for the identify that catches up once the stage is on (`do_identify`), which would
    otherwise search by name what Radarr or Sonarr had said."""
    with db.write_transaction():
        for movie in db.Movie.select(db.Movie.id, db.Movie.hints).where(
            db.Movie.id.in_(list(given))
        ):
            hints = {**(movie.hints or {}), WEBHOOK_IDS: given[movie.id]}
            db.Movie.update(hints=hints).where(db.Movie.id == movie.id).execute()


def _kept_ids(movie: db.Movie, job: db.Job) -> dict[str, Any]:
    """The ids a webhook sent for `movie` while identification was off (`_keep_ids`), for an
    automatic identify of it still unidentified that names none (the catch-up's, a scan's).
    Any identify takes them off the item: a later one (the user's choice made since, another
    file there) is never overruled by them."""
    sent = (movie.hints or {}).get(WEBHOOK_IDS)
    if sent is None:
        return {}
    hints = {k: v for k, v in movie.hints.items() if k != WEBHOOK_IDS}
    with db.write_transaction():
        db.Movie.update(hints=hints).where(db.Movie.id == movie.id).execute()
    movie.hints = hints
    if (
        job.manual
        or not isinstance(sent, dict)
        or movie.identification_status != db.UNIDENTIFIED
        or any(job.payload.get(k) for k in ID_KEYS)
    ):
        return {}
    return {
        **{k: v for k, v in sent.items() if k in (*ID_KEYS, "series_type")},
        "source": "webhook",
    }


ID_KEYS = ("tmdb_id", "imdb_id", "tvdb_id")


def _named(payload: dict[str, Any]) -> bool:
    """Whether an identify job's `payload` names the item's ids."""
    return any(payload.get(k) for k in ID_KEYS)


def _users_choice_kept(movie: db.Movie, ids: dict[str, Any]) -> None:
    """A webhook's ids name another film or show than the user identified the item as by
    hand (Radarr's or Sonarr's own match is wrong, or was corrected here only): the user's
    choice stands, and a warning says how they disagree."""
    sent = ", ".join(f"{k} {v}" for k, v in sorted(ids.items()) if k in ID_KEYS and v)
    mine = ", ".join(f"{k} {getattr(movie, k)}" for k in ID_KEYS if getattr(movie, k))
    message = (
        f"webhook ids not applied: {movie.label} was identified by hand ({mine or 'no id'}); "
        f"the webhook sends {sent}. The choice made here is kept: identify the item again to "
        "change it, or correct the movie or series in Radarr or Sonarr"
    )
    log.warning("%s", message)
    db.record_event("webhook.ignored", message, level="warning", movie=movie.id)


def do_identify(rt: Runtime, job: db.Job) -> Outcome:
    from metarrd.identify import ORDER_CHANGED, identify_item

    movie = _movie(job)
    if movie is None:
        return Outcome("skipped: the item no longer exists")
    if movie.missing:
        return Outcome("skipped: the item's file is missing")
    payload = {**job.payload, **_kept_ids(movie, job)}
    if payload.get("source") == ORDER_CHANGED and not (payload.get("again") or _named(payload)):
        # a show's episode order switched: the show as it is identified now, not as it was
        # when the switch was queued (changed since, the id then had identified it back)
        if movie.tmdb_id is None:
            return Outcome("skipped: the show is not identified; its episodes follow the order "
                           "once it is")  # fmt: skip
        payload["tmdb_id"] = movie.tmdb_id
    tmdb_id, imdb_id = payload.get("tmdb_id"), payload.get("imdb_id")
    tvdb_id = payload.get("tvdb_id")  # Sonarr's series
    series_type = payload.get("series_type")  # and its type (anime, daily, standard)
    again = payload.get("again")  # the library's "Re-identify"
    if (
        not (tmdb_id or imdb_id or tvdb_id or again)
        and movie.identification_status != db.UNIDENTIFIED
    ):
        if movie.identification_status == db.IDENTIFIED:
            # its enrichment has not run: what follows an identify follows now. The daemon
            # killed between this job's identify and its end (its follow-ups are queued with
            # its outcome) ran it again after the restart, and the item stayed identified,
            # never enriched (the soak test caught it once)
            follow = _after_identify(rt, movie, job.manual)
            return Outcome("already identified", follow)
        return Outcome("already identified")
    if job.manual:  # the user's own: what the providers say now, not minutes ago
        rt.http.forget_answers()
    outcome = identify_item(
        rt,
        movie,
        tmdb_id=tmdb_id,
        imdb_id=imdb_id,
        source=payload.get("source"),
        **({"tvdb_id": tvdb_id} if tvdb_id else {}),  # a show's, from Sonarr
        **({"series_type": series_type} if series_type else {}),
    )
    later = _unlisted_again(rt, movie, job)
    if not outcome.identified:
        return Outcome(f"left for review: {outcome.reason}", later)
    return Outcome(outcome.reason, _after_identify(rt, movie, job.manual) + later)


def _unlisted_again(rt: Runtime, movie: db.Movie, job: db.Job) -> list[Step]:
    """Episodes left unmatched because no provider lists them yet (a new episode aired today)
    are identified again later, each by itself; an episode's retry counts its tries."""
    if movie.kind not in (db.SHOW, db.EPISODE):
        return []
    from metarrd.identify import unlisted, unlisted_episodes

    stages = workflow.all_stages(rt.config)
    if movie.kind == db.SHOW:
        return retry_unlisted([e.id for e in unlisted_episodes(movie)], 0, stages)
    fresh = db.Movie.get_or_none(db.Movie.id == movie.id)
    if fresh is None or not unlisted(fresh):
        return []
    return retry_unlisted([fresh.id], int((job.payload or {}).get("episode_retry") or 0), stages)


def _after_identify(rt: Runtime, movie: db.Movie, manual: bool) -> list[Step]:
    """What follows an identify. An episode identified alone (a new file in a known show: the
    watcher's scan queues the episode, not its show) is enriched with its show, as a show's
    identify is followed by the show's enrich; else its NFO was never written."""
    stages = workflow.all_stages(rt.config)
    if movie.kind == db.EPISODE and movie.show_id is not None:
        # that episode and the show's others matched, not enriched yet (a season import's
        # files, matched together by the first one's identify): one enrich of them
        M = db.Movie
        matched = M.select(M.id).where(
            M.show == movie.show_id, M.kind == db.EPISODE, ~M.missing,
            M.identification_status == db.IDENTIFIED,
        )  # fmt: skip
        episodes = {movie.id, *(i for (i,) in matched.tuples())}
        return after_identify(movie.show_id, True, manual, stages, db.SHOW, episodes)
    return after_identify(movie.id, True, manual, stages, movie.kind)


def do_search(rt: Runtime, job: db.Job) -> Outcome:
    """The identify page's search: TMDB movies for a movie, TMDB TV (`/search/tv`, ranked as
    identify ranks shows) for a show."""
    from metarrd.identify import add_posters, candidate_dicts, search, search_shows

    movie = _movie(job)
    if movie is None:
        return Outcome("skipped: the item no longer exists")
    title, year = job.payload.get("title") or "", job.payload.get("year")
    what = repr(title) + (f" ({year})" if year else "")
    if not title.strip():
        raise ItemError("a TMDB search needs a title")
    if movie.kind not in (db.MOVIE, db.SHOW):
        raise ItemError(f"{movie.label}: search for its show instead (episodes follow it)")
    tv = movie.kind == db.SHOW
    ranked = (search_shows if tv else search)(rt, title, year)  # TMDB down: retried
    candidates = add_posters(rt, candidate_dicts(ranked))  # thumbnails for the identify page
    if candidates:
        best = candidates[0]
        found = f"{count(candidates, 'candidate')}, best {best['title']!r} ({best['year'] or '?'})"
    else:
        found = "no match"
    message = f"TMDB {'TV ' if tv else ''}search for {what}: {found}"
    with db.write_transaction():
        rt.require_lease([movie.id], "its search results")
        db.Movie.update(candidates=candidates, updated_at=db.now()).where(
            db.Movie.id == movie.id
        ).execute()
        db.record_event(
            "search.done", message, movie=movie.id, title=title, year=year, found=len(candidates)
        )
    return Outcome(message)


def do_enrich(rt: Runtime, job: db.Job) -> Outcome:
    from metarrd.enrich import enrich_item

    movie = _movie(job)
    if movie is None:
        return Outcome("skipped: the item no longer exists")
    if movie.missing:
        return Outcome("skipped: the item's file is missing")
    if movie.kind == db.MOVIE and movie.identification_status == db.UNIDENTIFIED:
        raise ItemError("not identified yet: choose its movie first")
    # its pictures go into the cache and the previews: a hung mount there would hang this worker
    hung = unanswered_cache(rt, rt.config.cache_dir, rt.config.previews_dir)
    if hung:
        raise LibraryUnreachable(hung)  # tried again later (jobs.py)
    # TV: the whole show, or an episode of an enriched show alone (enrich/tv.py `_scope`);
    # a show's job for its new episodes (their identify's follow-up): those, as one run
    asked = job.payload.get("episodes") if movie.kind == db.SHOW else None
    episodes = _new_episodes(movie, asked) if asked else None
    if episodes == []:
        return Outcome("skipped: its new episodes no longer exist or their files are missing")
    result = enrich_item(rt, movie, manual=job.manual, **({"episodes": episodes} if asked else {}))
    refused = getattr(result, "refused", None) or {}
    for episode_id, why in refused.items():
        db.record_failure("enrich", episode_id, why)  # that episode's failure, not the show's
    shown = movie.id if movie.kind in (db.MOVIE, db.SHOW) else movie.show_id  # TV: the show
    # their publish: the episodes enriched alone, each alone (publish/tv.py `_scope`); none
    # when every episode asked for was refused (nothing enriched: not the show either)
    alone = [i for i in getattr(result, "alone", None) or [] if i not in refused]
    if not alone and not (episodes and len(refused) == len(episodes)):
        alone = None  # the item: a movie, or the whole show
    stages = workflow.all_stages(rt.config)
    return Outcome(str(result), after_enrich(shown, job.manual, stages, alone))


def _new_episodes(show: db.Movie, ids: list[int]) -> list[db.Movie]:
    """The episodes of `show` a job names (new files, identified alone) that are still there."""
    return list(
        db.Movie.select()
        .where(db.Movie.id.in_(ids), db.Movie.show == show.id, ~db.Movie.missing)
        .order_by(db.Movie.id)
    )


def do_publish(rt: Runtime, job: db.Job) -> Outcome:
    outcome = publish_jobs(rt, [job])[job.id]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def publish_jobs(rt: Runtime, jobs: list[db.Job]) -> dict[int, Outcome | Exception]:
    """`do_publish` for publish jobs claimed together: their items in one `publish_many` (a
    batch under one pair of durability barriers, each folder under its own lock). Per job its
    Outcome, or the error its item failed with (the others go on). `StageDisabled` for all
    when publishing is switched off."""
    workflow.require(rt.config, "publishing")
    outcomes: dict[int, Outcome | Exception] = {}
    todo: list[tuple[db.Job, db.Movie, int]] = []
    hung: dict[str, bool] = {}  # library root -> does not answer (a hung network mount)
    cache_hung: str | None = None  # why the image cache does not answer ("": it does)
    for job in jobs:
        movie = _movie(job)
        if movie is None:
            outcomes[job.id] = Outcome("skipped: the item no longer exists")
            continue
        if cache_hung is None:  # the pictures it copies: a hung cache would hang the worker
            cache_hung = unanswered_cache(rt, rt.config.cache_dir)
        if cache_hung:
            outcomes[job.id] = LibraryUnreachable(cache_hung)
            continue
        root = deepest_folder(movie.path, [lib.path for lib in rt.config.library])
        if root is not None and root not in hung:
            hung[root] = bool(unanswered_roots(rt, {"paths": [root]}))
        if root is not None and hung[root]:  # a publish would hang its worker: tried again later
            outcomes[job.id] = LibraryUnreachable(_not_answering([root]))
            continue
        tries = job.payload.get("picture_retry", 0)
        if tries and not (movie.publish_state == db.PUBLISHED and movie.publish_warnings):
            # complete, or changed since (waiting for review): a retry never publishes that
            outcomes[job.id] = Outcome("skipped: nothing left to complete")
            continue
        todo.append((job, movie, tries))
    results = _publish(rt, [movie for _, movie, _ in todo])
    window = rt.config.daemon.notify_window_seconds
    for (job, movie, tries), result in zip(todo, results, strict=True):
        if isinstance(result, BaseException):
            outcomes[job.id] = result
            continue
        has_players = (
            db.PlayerLibrary.select().where(db.PlayerLibrary.library == movie.library_id).exists()
        )
        missing = bool(db.Movie.get_by_id(movie.id).publish_warnings)
        follow = after_publish(has_players, window, movie.id, missing, tries)
        outcomes[job.id] = Outcome(str(result), follow)
    return outcomes


def _publish(rt: Runtime, movies: list[db.Movie]) -> list:
    """Each item's PublishResult or the error it failed with: `publish_item` for one (the
    stage's single-item entry), `publish_many` for several. A bug in one item (an exception
    none of ours) ends `publish_many` for the whole batch: its items are then published one at
    a time, so that only that item's job fails (what is published already is skipped as
    unchanged)."""
    if not movies:
        return []
    if len(movies) > 1:
        from metarrd.publish import publish_many

        try:
            return publish_many(rt, movies)
        except MetarrdError:
            raise  # publishing switched off: the same for every item
        except Exception:
            log.warning(
                "publish: a batch of %d items failed; publishing them one by one",
                len(movies), exc_info=True,
            )  # fmt: skip
    return [_publish_alone(rt, movie) for movie in movies]


def _publish_alone(rt: Runtime, movie: db.Movie):
    from metarrd.publish import publish_item

    try:
        return publish_item(rt, movie)
    except Exception as exc:  # noqa: BLE001 - ours or a bug: this item's outcome (jobs._record)
        return exc


def do_notify(rt: Runtime, job: db.Job) -> Outcome:
    from metarrd.players import due_in, process_notifications

    reports = process_notifications(rt)
    message = "; ".join(f"{r.who}: {r}" for r in reports) or "nothing due"
    return Outcome(message, after_notify(due_in(rt)))


def do_probe(rt: Runtime, job: db.Job) -> Outcome:
    """Settings' "Test connection" for providers: one cheap request each, its outcome recorded as
    a `probe.done` / `probe.failed` event (the page shows the newest per provider)."""
    from metarrd.errors import MetarrdError

    results = []
    for name in job.payload.get("providers") or []:
        try:
            message = _probe(rt, name)
            kind, level = "probe.done", "info"
        except MetarrdError as exc:
            message, kind, level = str(exc), "probe.failed", "warning"
        db.record_event(kind, f"{name}: {message}", level=level, provider=name, result=message)
        results.append(f"{name}: {message}")
    return Outcome("; ".join(results) or "nothing to test")


def _probe(rt: Runtime, name: str) -> str:
    from metarrd.errors import MetarrdError

    if name == "tmdb":
        rt.tmdb.movie_or_none(603)  # a real request (the configuration is cached for days)
        return "reached; the key works"
    client = rt.client(name)
    if client is None:
        raise MetarrdError("no key configured")
    if name == "fanart":
        client.movie(603)  # The Matrix: any answer, even "not found", means the key works
    elif name == "tvdb":
        client.token(renew=True)
    return "reached; the key works"


CATCH_UP_KINDS = {"identification": "identify", "enrichment": "enrich"}  # stage -> its jobs
CATCH_UP_BATCH = 500  # items a catch-up job queues work for; the rest in the job after it


def backlog(stage: str) -> pw.ModelSelect:
    """The (id, show) of the items a stage switched on again skipped while it was off, in id
    order:

    - `identification`: every movie and show (not missing) that was never tried, no identify
      having run for it (its events say so): scanned while the stage was off, they stayed
      unidentified for good, as the next scans find them unchanged. One the search left to
      the user is not searched again. And every such episode of a show identified before (a
      new file in a known show: its identify is the episode's, which its show's never repeats);
    - `enrichment`: every identified movie and show (not missing) not enriched yet, and every
      identified episode of an enriched show (a new file: its show's enrich of it,
      `catch_up_step`)."""
    M, E, Show = db.Movie, db.Event, db.Movie.alias()
    top = M.kind.in_([db.MOVIE, db.SHOW]) & ~M.missing
    episode = (M.kind == db.EPISODE) & ~M.missing
    if stage == "identification":
        known = Show.select(Show.id).where(Show.identification_status != db.UNIDENTIFIED)
        tried = E.select(E.id).where(E.movie == M.id, E.kind.startswith("identify."))
        where = (top | (episode & M.show.in_(known))) & (
            M.identification_status == db.UNIDENTIFIED
        ) & ~pw.fn.EXISTS(tried)  # fmt: skip
    else:
        enriched = Show.select(Show.id).where(Show.identification_status == db.ENRICHED)
        where = (top | (episode & M.show.in_(enriched))) & (
            M.identification_status == db.IDENTIFIED
        )  # fmt: skip
    return M.select(M.id, M.show).where(where).order_by(M.id)


def identify_failed_in(scopes: Sequence[str]) -> list[int]:
    """The movies, shows and episodes (not missing, still unidentified) in `scopes` (folders or
    files a scan covers: an item at or below one, or a show holding one) whose last identify
    failed (`identify.failed`: TMDB did not answer, or an id it does not know), in id order. A
    `metarrd scan` after one run while TMDB was down found them unchanged and tried none: they
    stayed unidentified for good. One the search left to the user (`identify.unsure`) is not
    among them, nor an episode of an identified show matched to no episode (`unmatched`: no
    numbers in its name, none such at the provider), which the next scan would only ask the
    provider about again; an episode of a show not identified follows its show."""
    M, E, S = db.Movie, db.Event, db.Movie.alias()
    rows = (
        M.select(M.id, M.kind, M.path)
        .join(S, pw.JOIN.LEFT_OUTER, on=(M.show == S.id))
        .where(
            (M.kind.in_([db.MOVIE, db.SHOW]) | (S.identification_status != db.UNIDENTIFIED)),
            ~M.missing,
            M.identification_status == db.UNIDENTIFIED,
        )
        .tuples()
    )
    ids = [
        movie_id
        for movie_id, kind, path in rows
        if any(
            is_inside(path, scope) or (kind == db.SHOW and is_inside(scope, path))
            for scope in scopes
        )
    ]
    last: dict[int, tuple[str, Any]] = {}
    for start in range(0, len(ids), 500):
        events = (
            E.select(E.movie, E.kind, E.data)
            .where(E.movie.in_(ids[start : start + 500]), E.kind.startswith("identify."))
            .order_by(E.id)
            .tuples()
        )
        last.update((movie, (kind, data)) for movie, kind, data in events)  # the newest wins
    return sorted(
        movie_id
        for movie_id, (kind, data) in last.items()
        if kind == "identify.failed" and not (data or {}).get("unmatched")
    )


def catch_up_step(kind: str, movie_id: int, show_id: int | None) -> Step:
    """A catch-up's job for a backlog item: an episode's enrich is its show's enrich of it
    (the episodes of one show fold into one job: `jobs.merge_payload`)."""
    if kind == "enrich" and show_id is not None:
        return Step("enrich", show_id, {"episodes": [movie_id]})
    return Step(kind, movie_id)


def do_catch_up(rt: Runtime, job: db.Job) -> Outcome:
    """A stage switched on again (jobs.catch_up): an automatic job for each of the next
    `CATCH_UP_BATCH` items of its backlog after the id the payload names, and a catch-up job
    for the rest. The rows of a batch commit with this job's end (a worker killed between
    two batches: the next goes on from its own point); a stage switched off again meanwhile
    stops there."""
    follow: list[Step] = []
    rest: dict[str, int] = {}
    said = []
    for stage, after in sorted((job.payload.get("stages") or {}).items()):
        kind = CATCH_UP_KINDS[stage]
        if not workflow.is_enabled(rt.config, stage):
            said.append(f"{stage} switched off again: nothing more queued")
            continue
        query = backlog(stage).where(db.Movie.id > after).limit(CATCH_UP_BATCH)
        rows = list(query.tuples())
        follow += [catch_up_step(kind, mid, show) for mid, show in rows]
        if len(rows) == CATCH_UP_BATCH:
            rest[stage] = rows[-1][0]
        said.append(f"{len(rows)} {kind} jobs queued for what {stage} skipped")
    if rest:
        follow.append(Step("catch_up", None, {"stages": rest}))
        said.append("more to come")
    return Outcome("; ".join(said) or "nothing to catch up", follow)


HANDLERS: dict[str, Callable[[Runtime, db.Job], Outcome]] = {
    "scan": do_scan,
    "identify": do_identify,
    "search": do_search,
    "enrich": do_enrich,
    "publish": do_publish,
    "notify": do_notify,
    "probe": do_probe,
    "catch_up": do_catch_up,
}
