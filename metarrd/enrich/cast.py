"""The cast of a movie: actors found or created by TMDB person id, roles in billing order, and
one cached thumbnail per person across all movies.

Two steps so that thumbnails download alongside the artwork candidates: `plan_cast` starts the
downloads that are needed (a person whose picture is already cached costs nothing), and
`apply_cast` waits for them, caches the new pictures under `<data_dir>/cache/actor/<hh>/` and
writes the actors and the movie's roles. The absolute provider URL of each picture stays in
`Actor.thumb_url`, for the NFO. A person without a picture simply has no thumbnail. A person
dropped from the cast whom no item plays any more goes, with their cached picture, at the
`cache.remove_unused` that follows the commit (`cache.forget_unlinked_actors`).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from metarrd import db
from metarrd.enrich.analysis import Analyser, AnalysisResult
from metarrd.enrich.candidate_store import image_columns, insert_all, save_all
from metarrd.enrich.metadata import CastMember

log = logging.getLogger(__name__)

ACTOR_IMAGE_TYPE = "actor"


@dataclass
class CastPlan:
    members: list[CastMember]
    thumb_urls: dict[int, str | None] = field(default_factory=dict)  # person -> NFO URL
    downloads: dict[int, Future[AnalysisResult]] = field(
        default_factory=dict
    )  # person -> thumbnail


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def _has_thumb(actor: db.Actor | None, profile_path: str) -> bool:
    return (
        actor is not None
        and actor.profile_path == profile_path
        and bool(actor.image_cache_path)
        and Path(actor.image_cache_path).is_file()
    )


def plan_cast(
    members: list[CastMember],
    *,
    thumb_url: Callable[[str], str],
    download_url: Callable[[str], str],
    analyser: Analyser,
) -> CastPlan:
    """Start the thumbnail downloads this cast needs (database reads only)."""
    plan = CastPlan(members)
    ids = [m.tmdb_id for m in members]
    known = {a.tmdb_id: a for a in db.Actor.select().where(db.Actor.tmdb_id.in_(ids))}
    for m in members:
        plan.thumb_urls[m.tmdb_id] = thumb_url(m.profile_path) if m.profile_path else None
        if m.profile_path and not _has_thumb(known.get(m.tmdb_id), m.profile_path):
            url = download_url(m.profile_path)
            plan.downloads[m.tmdb_id] = analyser.fetch(
                url, "tmdb", preview=False, cache_as=ACTOR_IMAGE_TYPE
            )
    return plan


_CHUNK = 500  # ids per IN (...), far below SQLite's and PostgreSQL's limits


def cast_snapshot(movie_id: int) -> list[tuple]:
    """What the library sees of the cast: (person, name, role, order, thumb URL) in order."""
    return cast_snapshots([movie_id])[movie_id]


def cast_snapshots(movie_ids: list[int]) -> dict[int, list[tuple]]:
    """`cast_snapshot` of many items (a show's seasons and episodes) in a query per 500."""
    out: dict[int, list[tuple]] = {i: [] for i in movie_ids}
    for start in range(0, len(movie_ids), _CHUNK):
        rows = (
            db.MovieActor.select(db.MovieActor, db.Actor)
            .join(db.Actor)
            .where(db.MovieActor.movie.in_(movie_ids[start : start + _CHUNK]))
            .order_by(db.MovieActor.movie, db.MovieActor.order, db.MovieActor.id)
        )
        for r in rows:
            out[r.movie_id].append(
                (r.actor.tmdb_id, r.actor.name, r.role, r.order, r.actor.thumb_url)
            )
    return out


def _store_thumbs(thumbs: list[tuple[db.Actor, AnalysisResult]]) -> None:
    """Record the thumbnails the workers already put into the cache: one query for the rows
    there are, one insert for the rest (not a SELECT and an INSERT per person)."""
    thumbs = [(a, o) for a, o in thumbs if o.info is not None and o.cached is not None]
    have: set[tuple[int, str]] = set()
    for start in range(0, len(thumbs), _CHUNK):
        part = thumbs[start : start + _CHUNK]
        query = db.CacheImageFile.select(
            db.CacheImageFile.actor, db.CacheImageFile.file_hash
        ).where(
            db.CacheImageFile.actor.in_([a.id for a, _o in part])
            & (db.CacheImageFile.image_type == ACTOR_IMAGE_TYPE)
        )
        have.update((r.actor_id, r.file_hash) for r in query)
    new = []
    for actor, outcome in thumbs:
        info, target = outcome.info, outcome.cached
        if (actor.id, info.sha256) not in have:
            have.add((actor.id, info.sha256))
            new.append(
                {
                    "actor": actor.id,
                    "movie": None,
                    "image_type": ACTOR_IMAGE_TYPE,
                    "file_path": str(target),
                    "file_hash": info.sha256,
                    **image_columns(info),
                    "source_type": "provider",
                    "source_url": outcome.url,
                    "provider_name": "tmdb",
                }
            )
        actor.image_cache_path = str(target)
        actor.image_hash = info.sha256
    insert_all(db.CacheImageFile, new)


def apply_cast(movie_id: int, plan: CastPlan) -> bool:
    """Wait for the thumbnails, then write actors and roles (call inside a write transaction).

    Returns whether a role went: its person may be played by no item any more, for
    `cache.remove_unused` once committed (`cache.forget_unlinked_actors`).
    """
    return apply_casts({movie_id: plan})


def apply_casts(plans: dict[int, CastPlan]) -> bool:
    """`apply_cast` for many items at once (a show's episodes): each person written once, the
    roles of every item in a few statements, not a handful per item.

    Returns whether a role went, for `cache.remove_unused` once committed: the people no item
    plays any more go there, with their pictures, their rows and files in one transaction
    (`forget_unlinked_actors`; 500 people a transaction at most); killed before it, or while the cache does not answer, they go at the next one.
    """
    people: dict[int, CastMember] = {}
    thumb_urls: dict[int, str | None] = {}
    downloads: dict[int, Future[AnalysisResult]] = {}
    for plan in plans.values():
        for m in plan.members:
            people.setdefault(m.tmdb_id, m)
            thumb_urls.setdefault(m.tmdb_id, plan.thumb_urls.get(m.tmdb_id))
            if m.tmdb_id in plan.downloads:
                downloads.setdefault(m.tmdb_id, plan.downloads[m.tmdb_id])
    outcomes = {pid: f.result() for pid, f in downloads.items()}
    ids = list(people)
    actors: dict[int, db.Actor] = {}
    for start in range(0, len(ids), _CHUNK):
        part = [people[i] for i in ids[start : start + _CHUNK]]
        db.Actor.insert_many(
            [
                {"tmdb_id": m.tmdb_id, "name": m.name, "name_normalized": normalise_name(m.name)}
                for m in part
            ]
        ).on_conflict_ignore().execute()
        query = db.Actor.select().where(db.Actor.tmdb_id.in_([m.tmdb_id for m in part]))
        actors.update((a.tmdb_id, a) for a in query)
    shown_before = {a.id: _shown(a) for a in actors.values()}
    thumbs = [(actors[pid], outcome) for pid, outcome in outcomes.items() if outcome.ok]
    _store_thumbs(thumbs)
    for m in people.values():
        actor = actors[m.tmdb_id]
        values = {
            "name": m.name,
            "name_normalized": normalise_name(m.name),
            "thumb_url": thumb_urls.get(m.tmdb_id),
        }
        outcome = outcomes.get(m.tmdb_id)
        if outcome is not None and not outcome.ok:
            log.info("%s: no thumbnail for %s: %s", _items(plans), m.name, outcome.reason)
        if m.profile_path is None:
            values.update(image_cache_path=None, image_hash=None)
        if outcome is None or outcome.ok:
            values["profile_path"] = m.profile_path  # a failed download is retried next time
        for name, value in values.items():
            if getattr(actor, name) != value:
                setattr(actor, name, value)
    save_all(actors.values())  # one UPDATE per set of changed columns, not one per person
    _others_outdated(plans, [a.id for a in actors.values() if _shown(a) != shown_before[a.id]])
    movie_ids = list(plans)
    existing: dict[int, dict[int, db.MovieActor]] = {i: {} for i in movie_ids}
    for start in range(0, len(movie_ids), _CHUNK):
        part = movie_ids[start : start + _CHUNK]
        for r in db.MovieActor.select().where(db.MovieActor.movie.in_(part)):
            existing[r.movie_id][r.actor_id] = r
    gone, new_roles, recast = [], [], []
    for movie_id, plan in plans.items():
        wanted = {actors[m.tmdb_id].id: m for m in plan.members}
        rows = existing[movie_id]
        gone += [r.id for actor_id, r in rows.items() if actor_id not in wanted]
        for actor_id, m in wanted.items():
            row = rows.get(actor_id)
            if row is None:
                new_roles.append(
                    {"movie": movie_id, "actor": actor_id, "role": m.role, "order": m.order}
                )
            elif (row.role, row.order) != (m.role, m.order):
                row.role, row.order = m.role, m.order
                recast.append(row)
    save_all(recast)  # one statement, not an UPDATE per role
    for start in range(0, len(gone), _CHUNK):
        db.MovieActor.delete().where(db.MovieActor.id.in_(gone[start : start + _CHUNK])).execute()
    for start in range(0, len(new_roles), _CHUNK):
        db.MovieActor.insert_many(new_roles[start : start + _CHUNK]).execute()
    return bool(gone)


def _shown(actor: db.Actor) -> tuple:
    """What every item's library files show of a person: the NFO's name and <thumb>, the
    `.actors/` picture."""
    return actor.name, actor.thumb_url, actor.image_hash


def _others_outdated(plans: dict[int, CastPlan], people: list[int]) -> None:
    """A person is shared by every item they play in: when what the library shows of them
    changed (a new picture, a new name), the other published items with them turn "Updated –
    Republish?" too (those enriched here compare their own cast)."""
    others: set[int] = set()
    for start in range(0, len(people), _CHUNK):
        query = db.MovieActor.select(db.MovieActor.movie).where(
            db.MovieActor.actor.in_(people[start : start + _CHUNK])
        )
        others.update(movie_id for (movie_id,) in query.tuples() if movie_id not in plans)
    for movie_id in sorted(others):
        db.mark_outdated(movie_id)  # an episode's show too


def _items(plans: dict[int, CastPlan]) -> str:
    ids = list(plans)
    return f"movie {ids[0]}" if len(ids) == 1 else f"items {ids[0]}..{ids[-1]}"
