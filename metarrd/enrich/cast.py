"""The cast of a movie: actors found or created by TMDB person id, roles in billing order, and
one cached thumbnail per person across all movies.

Two steps so that thumbnails download alongside the artwork candidates: `plan_cast` starts the
downloads that are needed (a person whose picture is already cached costs nothing), and
`apply_cast` waits for them, caches the new pictures under `<data_dir>/cache/actor/<hh>/` and
writes the actors and the movie's roles. The absolute provider URL of each picture stays in
`Actor.thumb_url`, for the NFO. A person without a picture simply has no thumbnail.
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
from metarrd.enrich.metadata import CastMember

log = logging.getLogger(__name__)

ACTOR_IMAGE_TYPE = "actor"
CAST_LOCK = "cast"  # in Movie.locked_fields: the user keeps the cast as it is


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


def cast_snapshot(movie_id: int) -> list[tuple]:
    """What the library sees of the cast: (person, name, role, order, thumb URL) in order."""
    rows = db.Movie(id=movie_id).cast()
    return [(r.actor.tmdb_id, r.actor.name, r.role, r.order, r.actor.thumb_url) for r in rows]


def _store_thumb(actor: db.Actor, outcome: AnalysisResult) -> None:
    """Record a thumbnail the worker already put into the cache."""
    info, target = outcome.info, outcome.cached
    if info is None or target is None:
        return
    row = db.CacheImageFile.get_or_none(
        db.CacheImageFile.actor == actor,
        db.CacheImageFile.image_type == ACTOR_IMAGE_TYPE,
        db.CacheImageFile.file_hash == info.sha256,
    )
    if row is None:
        db.CacheImageFile.create(
            actor=actor,
            movie=None,
            image_type=ACTOR_IMAGE_TYPE,
            file_path=str(target),
            file_hash=info.sha256,
            perceptual_hash=info.phash,
            file_size=info.size,
            width=info.width,
            height=info.height,
            format=info.format,
            source_type="provider",
            source_url=outcome.url,
            provider_name="tmdb",
        )
    actor.image_cache_path = str(target)
    actor.image_hash = info.sha256


def apply_cast(movie_id: int, plan: CastPlan) -> int:
    """Wait for the thumbnails, then write actors and roles (call inside a transaction).

    Returns how many thumbnails were newly cached.
    """
    outcomes = {pid: f.result() for pid, f in plan.downloads.items()}
    ids = [m.tmdb_id for m in plan.members]
    if ids:
        db.Actor.insert_many(
            [
                {"tmdb_id": m.tmdb_id, "name": m.name, "name_normalized": normalise_name(m.name)}
                for m in plan.members
            ]
        ).on_conflict_ignore().execute()
    actors = {a.tmdb_id: a for a in db.Actor.select().where(db.Actor.tmdb_id.in_(ids))}
    cached = 0
    for m in plan.members:
        actor = actors[m.tmdb_id]
        values = {
            "name": m.name,
            "name_normalized": normalise_name(m.name),
            "thumb_url": plan.thumb_urls.get(m.tmdb_id),
        }
        outcome = outcomes.get(m.tmdb_id)
        if outcome is not None and outcome.ok:
            _store_thumb(actor, outcome)
            cached += 1
        elif outcome is not None:
            log.info("movie %d: no thumbnail for %s: %s", movie_id, m.name, outcome.reason)
        if m.profile_path is None:
            values.update(image_cache_path=None, image_hash=None)
        if outcome is None or outcome.ok:
            values["profile_path"] = m.profile_path  # a failed download is retried next time
        for name, value in values.items():
            if getattr(actor, name) != value:
                setattr(actor, name, value)
        if actor.dirty_fields:
            actor.save(only=actor.dirty_fields)
    db.MovieActor.delete().where(
        (db.MovieActor.movie == movie_id)
        & db.MovieActor.actor.not_in([a.id for a in actors.values()])
    ).execute()
    existing = {
        r.actor_id: r for r in db.MovieActor.select().where(db.MovieActor.movie == movie_id)
    }
    new_roles = []
    for m in plan.members:
        actor = actors[m.tmdb_id]
        row = existing.get(actor.id)
        if row is None:
            new_roles.append(
                {"movie": movie_id, "actor": actor.id, "role": m.role, "order": m.order}
            )
        elif (row.role, row.order) != (m.role, m.order):
            row.role, row.order = m.role, m.order
            row.save()
    if new_roles:
        db.MovieActor.insert_many(new_roles).execute()
    return cached
