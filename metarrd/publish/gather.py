"""Everything PUBLISH reads from the database about a batch of items, in a fixed number of
queries whatever the number of items or files: the item rows, the selected artwork and its cache
rows, the cast with their actors and cache rows, the ledger, the stream details.

    load_rows([7, 8, 9]) -> {7: ItemRows, 8: ItemRows, 9: ItemRows}

Each query asks for every item of the batch at once (in chunks of `CHUNK` ids, SQLite's limit
on bound values), so a publish costs the same queries for 1 file or 30, and a batch of 50
items costs what one item does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from metarrd import db
from metarrd.publish.layout import LedgerEntry

CHUNK = 500


@dataclass
class ItemRows:
    """One item's rows, as the stage needs them."""

    movie: db.Movie
    assets: list[db.ArtworkCandidate] = field(default_factory=list)  # selected, best first
    asset_cache: dict[str, list[db.CacheImageFile]] = field(default_factory=dict)  # by hash
    cast: list[db.MovieActor] = field(default_factory=list)  # billing order, actor loaded
    actor_cache: dict[int, list[db.CacheImageFile]] = field(default_factory=dict)  # by actor
    ledger: dict[Path, LedgerEntry] = field(default_factory=dict)
    video: list[db.VideoStream] = field(default_factory=list)
    audio: list[db.AudioStream] = field(default_factory=list)
    subtitles: list[db.SubtitleStream] = field(default_factory=list)


def load_rows(movie_ids: Iterable[int]) -> dict[int, ItemRows]:
    """The rows of these items (an id with no item is left out)."""
    ids = list(dict.fromkeys(movie_ids))
    rows = {
        m.id: ItemRows(m)
        for m in _chunked(ids, lambda c: db.Movie.select().where(db.Movie.id.in_(c)))
    }
    ids = [i for i in ids if i in rows]
    if not ids:
        return rows
    A = db.ArtworkCandidate
    for asset in _chunked(
        ids,
        lambda c: (
            A.select()
            .where(A.movie.in_(c), A.is_selected)
            .order_by(
                A.movie, A.asset_type, A.rank.is_null(), A.rank, A.score.desc(nulls="LAST"), A.id
            )
        ),
    ):
        rows[asset.movie_id].assets.append(asset)
    hashes = sorted({a.content_hash for r in rows.values() for a in r.assets if a.content_hash})
    C = db.CacheImageFile
    by_hash: dict[str, list[db.CacheImageFile]] = {}
    for row in _chunked(hashes, lambda c: C.select().where(C.file_hash.in_(c))):
        by_hash.setdefault(row.file_hash, []).append(row)
    for r in rows.values():
        r.asset_cache = {
            a.content_hash: by_hash.get(a.content_hash, []) for a in r.assets if a.content_hash
        }
    M = db.MovieActor
    for role in _chunked(
        ids,
        lambda c: (
            M.select(M, db.Actor)
            .join(db.Actor)
            .where(M.movie.in_(c))
            .order_by(M.movie, M.order, M.id)
        ),
    ):
        rows[role.movie_id].cast.append(role)
    actor_ids = sorted({role.actor_id for r in rows.values() for role in r.cast})
    by_actor: dict[int, list[db.CacheImageFile]] = {}
    for row in _chunked(
        actor_ids, lambda c: C.select().where(C.actor.in_(c), C.image_type == "actor")
    ):
        by_actor.setdefault(row.actor_id, []).append(row)
    for r in rows.values():
        r.actor_cache = {role.actor_id: by_actor.get(role.actor_id, []) for role in r.cast}
    L = db.LibraryFile
    for e in _chunked(ids, lambda c: L.select().where(L.movie.in_(c))):
        path = Path(e.path)
        rows[e.movie_id].ledger[path] = LedgerEntry(
            path, e.sha256, e.size, e.kind, e.mtime_ns, e.ctime_ns, e.pending_sha256
        )
    for model, attr in (
        (db.VideoStream, "video"),
        (db.AudioStream, "audio"),
        (db.SubtitleStream, "subtitles"),
    ):
        for s in _chunked(ids, lambda c, m=model: m.select().where(m.movie.in_(c)).order_by(m.id)):
            getattr(rows[s.movie_id], attr).append(s)
    return rows


def _chunked(values: list, query) -> Iterator:
    for start in range(0, len(values), CHUNK):
        yield from query(values[start : start + CHUNK])
