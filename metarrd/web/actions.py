"""Queueing work from the UI: an item's Enrich / Publish / Republish / Identify buttons, the bulk
actions and the retry button. The daemon runs the jobs; the page learns the outcome from the
event stream. Eligibility is checked here so that a stale page cannot queue nonsense."""

from __future__ import annotations

import logging

from metarrd import db
from metarrd.errors import MetarrdError
from metarrd.pipeline import jobs
from metarrd.web import busy
from metarrd.web.formatting import BULK_ACTIONS
from metarrd.web.states import actions_for

log = logging.getLogger(__name__)

ACTIONS = ("enrich", "publish", "identify")


class ActionRefused(ValueError):
    """The item cannot take that action now; the message says why."""


def queue_action(movie: db.Movie, action: str, *, published_too: bool = True) -> db.Job:
    """Queue `action` (enrich | publish | republish) for `movie`, or raise ActionRefused.

    `published_too`: a published item's Publish is queued too. A publish is idempotent (the
    files still as it wrote them are left alone) and writes again what is gone from the library
    since (its NFO, a poster, an `.actors/` photo deleted by hand or by Kodi's "Remove library
    items"), which no scan saw yet: the CLI's `publish ITEM` did, and the UI refused it as
    "already published and unchanged". A bulk Publish skips published items (one job each
    that would write nothing)."""
    action = "publish" if action == "republish" else action
    offered = {"publish" if a == "republish" else a for a in actions_for(movie)}
    if published_too and "enrich" in offered and movie.publish_state == db.PUBLISHED:
        offered.add("publish")  # enriched, its file there: `actions_for`'s "published"
    if action not in ("enrich", "publish"):
        raise ActionRefused(f"unknown action {action!r}")
    if action not in offered:
        raise ActionRefused(
            f"{movie.display_title}: cannot {action} now ({_why_not(movie, action)})"
        )
    try:
        if action == "enrich":
            job = jobs.enqueue_enrich(movie.id, manual=True)
        else:
            job = jobs.enqueue_publish(movie.id)
    except MetarrdError as exc:  # e.g. the publishing stage is switched off
        raise ActionRefused(f"{movie.display_title}: {exc}") from None
    log.info("item %d: %s queued from the web UI (job %d)", movie.id, action, job.id)
    return job


def queue_many(movie_ids: list[int], action: str) -> tuple[list[int], list[str]]:
    """Bulk version (enrich, publish, identify): returns (queued ids, one reason per skipped
    item). The batch is recorded as a `bulk.queued` event holding its job ids, so that the
    navigation can say "Enrich: 7 of 16" while it runs."""
    queued: list[int] = []
    skipped: list[str] = []
    job_ids: list[int] = []
    # The rows are read to the end first: a SELECT still being iterated holds its snapshot, and
    # each write below would then fail at once ("database is locked") when the daemon had
    # written since. Each item is then its own short write transaction, retried when busy.
    movies = list(db.Movie.select().where(db.Movie.id.in_(movie_ids)).order_by(db.Movie.id))
    if action == "identify":
        one = lambda m, _a: queue_reidentify(m)  # noqa: E731
    else:
        one = lambda m, a: queue_action(m, a, published_too=False)  # noqa: E731
    for movie in movies:
        try:
            job = busy.retrying(lambda movie=movie: one(movie, action))
            queued.append(movie.id)
            job_ids.append(job.id)
        except ActionRefused as exc:
            skipped.append(str(exc))
    if len(job_ids) > 1:
        busy.retrying(
            lambda: db.record_event(
                "bulk.queued",
                f"{BULK_ACTIONS.get(action, action.capitalize())} queued for {len(job_ids)} items",
                action=action,
                jobs=sorted(set(job_ids)),
            )
        )
    return queued, skipped


def queue_identify(
    movie: db.Movie,
    tmdb_id: int | None,
    imdb_id: str | None,
    tvdb_id: int | None = None,
    *,
    again: bool = False,
    pasted: str | None = None,
) -> db.Job:
    """Identify `movie`: from the chosen ids (a show's `tmdb_id` is a TMDB TV id; `tvdb_id` is
    for shows only), else by its names (`again`: though it is identified already). `pasted`:
    the text the user pasted the id as, kept with the job for the Identify page."""
    if movie.missing:
        raise ActionRefused(f"{movie.display_title}: the video file is missing")
    if movie.kind == db.SEASON:  # the job would only fail (identify.stage._identify_tv)
        raise ActionRefused(f"{movie.display_title}: a season is identified with its show")
    chosen = tmdb_id or imdb_id or tvdb_id
    if chosen and movie.kind not in (db.MOVIE, db.SHOW):
        raise ActionRefused(f"{movie.display_title}: choose its show; episodes follow its numbers")
    if tvdb_id and movie.kind != db.SHOW:
        raise ActionRefused("a TheTVDB id names a TV show; a movie takes a TMDB or IMDb id")
    return jobs.enqueue_identify(
        movie.id,
        tmdb_id=tmdb_id,
        imdb_id=imdb_id,
        tvdb_id=tvdb_id,
        manual=True,
        again=again,
        pasted=pasted,
    )


def queue_reidentify(movie: db.Movie) -> db.Job:
    """The library's "Re-identify": the item identified again from its names and NFO, as when it
    was new, though identified already (the job ended "already identified" and did nothing). An
    item the user identified by hand keeps their choice: its Identify page changes it."""
    if movie.identified_by == "manual" and movie.identification_status != db.UNIDENTIFIED:
        raise ActionRefused(
            f"{movie.display_title}: identified by hand; choose another on its Identify page"
        )
    return queue_identify(movie, None, None, again=True)


def queue_search(movie: db.Movie, title: str, year: int | None) -> db.Job:
    """A TMDB search (movies, or TV for a show), run by the daemon (the web never calls TMDB):
    the ranked candidates land on the item and the identify page shows them when the job is
    done. It never identifies the item; the user chooses a candidate."""
    if movie.kind not in (db.MOVIE, db.SHOW):
        raise ActionRefused(f"{movie.display_title}: search for its show; episodes follow it")
    return jobs.enqueue_search(movie.id, title, year)


def retry_job(job_id: int) -> db.Job:
    """Queue a failed job's work again (same kind, item and payload)."""
    try:
        return jobs.retry(job_id)
    except MetarrdError as exc:
        raise ActionRefused(str(exc)) from None


def _why_not(movie: db.Movie, action: str) -> str:
    if movie.missing:
        return "its video file is missing"
    if movie.identification_status == db.UNIDENTIFIED:
        return "it is not identified yet"
    if action == "publish" and movie.identification_status != db.ENRICHED:
        return "it is not enriched yet"
    if action == "publish":
        return "it is published already; its own Publish writes again what is missing"
    return "not available in its state"
