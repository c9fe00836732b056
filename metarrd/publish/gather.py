"""Everything PUBLISH reads from the database about a batch of items, in a fixed number of
queries whatever the number of items or files: the item rows, the selected artwork and its cache
rows, the cast with their actors and cache rows, the ledger, the stream details.

    load_rows([7, 8, 9]) -> {7: ItemRows, 8: ItemRows, 9: ItemRows}

Each query asks for every item of the batch at once (in chunks of `CHUNK` ids, SQLite's limit
on bound values), so a publish costs the same queries for 1 file or 30, and a batch of 50
items costs what one item does.

The items are model objects (`movie.label`); the artwork, cache, cast, ledger and stream rows
are read-only `Row`s, named tuples with the model's field names (a foreign key as `movie_id`,
`actor_id`; a role's actor as `role.actor`, a Row too): building a peewee model per row was
most of a republish's cost.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import peewee as pw

from metarrd import db
from metarrd.publish import nfo
from metarrd.publish.layout import LedgerEntry

CHUNK = 500


@dataclass
class ItemRows:
    """One item's rows, as the stage needs them."""

    movie: db.Movie
    assets: list = field(default_factory=list)  # ArtworkCandidate Rows, selected, best first
    asset_cache: dict[str, list] = field(default_factory=dict)  # CacheImageFile Rows by hash
    cast: list = field(default_factory=list)  # MovieActor Rows, billing order, `.actor` a Row
    actor_cache: dict[int, list] = field(default_factory=dict)  # CacheImageFile Rows by actor
    ledger: dict[Path, LedgerEntry] = field(default_factory=dict)
    video: list = field(default_factory=list)  # VideoStream Rows
    audio: list = field(default_factory=list)  # AudioStream Rows
    subtitles: list = field(default_factory=list)  # SubtitleStream Rows
    plex: bool = False  # a Plex player shows its library (stage: its poster's copy)


def stream_details(rows: ItemRows) -> dict[str, tuple]:
    """The `video`, `audio` and `subtitles` of an item's NFO (a movie's, an episode's: the same
    `<fileinfo><streamdetails>`), from its stream rows."""
    return dict(
        video=tuple(
            nfo.VideoDetails(
                v.codec,
                v.aspect,
                v.width,
                v.height,
                v.duration_seconds,
                v.stereomode,
                v.hdrtype,
                v.language,
            )
            for v in rows.video
        ),
        audio=tuple(nfo.AudioDetails(a.codec, a.language, a.channels) for a in rows.audio),
        subtitles=tuple(nfo.SubtitleDetails(s.language) for s in rows.subtitles),
    )


def load_rows(movie_ids: Iterable[int]) -> dict[int, ItemRows]:
    """The rows of these items (an id with no item is left out)."""
    ids = list(dict.fromkeys(movie_ids))
    P, PL = db.MediaPlayer, db.PlayerLibrary
    # a Plex switched off (`enabled = false`) is told nothing, yet reads the files: its copies stay
    plex = pw.fn.EXISTS(
        P.select(P.id).join(PL).where(PL.library == db.Movie.library, P.type == "plex")
    )
    rows = {
        m.id: ItemRows(m, plex=bool(m.plex_shown))
        for m in _chunked(
            ids,
            lambda c: db.Movie.select(db.Movie, plex.alias("plex_shown")).where(db.Movie.id.in_(c)),
        )
    }
    ids = [i for i in ids if i in rows]
    if not ids:
        return rows
    A = db.ArtworkCandidate
    for asset in _chunked(
        ids,
        lambda c: (
            _select(A)
            .where(A.movie.in_(c), A.is_selected)
            .order_by(
                A.movie, A.asset_type, A.rank.is_null(), A.rank, A.score.desc(nulls="LAST"), A.id
            )
        ),
    ):
        rows[asset.movie_id].assets.append(asset)
    hashes = sorted({a.content_hash for r in rows.values() for a in r.assets if a.content_hash})
    C = db.CacheImageFile
    by_hash: dict[str, list] = {}
    for row in _chunked(hashes, lambda c: _select(C).where(C.file_hash.in_(c))):
        by_hash.setdefault(row.file_hash, []).append(row)
    for r in rows.values():
        r.asset_cache = {
            a.content_hash: by_hash.get(a.content_hash, []) for a in r.assets if a.content_hash
        }
    M = db.MovieActor
    role_fields, actor_fields = M._meta.sorted_fields, db.Actor._meta.sorted_fields
    make_actor, split = _row_type(db.Actor)._make, len(role_fields)
    make_role = _row_type(M, "actor")._make
    for values in _chunked(
        ids,
        lambda c: (
            M.select(*role_fields, *actor_fields)
            .join(db.Actor)
            .where(M.movie.in_(c))
            .order_by(M.movie, M.order, M.id)
            .tuples()
        ),
    ):
        role = make_role((*values[:split], make_actor(values[split:])))
        rows[role.movie_id].cast.append(role)
    actor_ids = sorted({role.actor_id for r in rows.values() for role in r.cast})
    by_actor: dict[int, list] = {}
    for row in _chunked(
        actor_ids, lambda c: _select(C).where(C.actor.in_(c), C.image_type == "actor")
    ):
        by_actor.setdefault(row.actor_id, []).append(row)
    for r in rows.values():
        r.actor_cache = {role.actor_id: by_actor.get(role.actor_id, []) for role in r.cast}
    L = db.LibraryFile
    ledger_columns = (L.movie, L.path, L.sha256, L.size, L.kind, L.mtime_ns, L.ctime_ns)
    for movie_id, *entry, pending in _chunked(
        ids,
        lambda c: L.select(*ledger_columns, L.pending_sha256).where(L.movie.in_(c)).tuples(),
    ):
        path = Path(entry[0])
        rows[movie_id].ledger[path] = LedgerEntry(path, *entry[1:], pending)
    for model, attr in (
        (db.VideoStream, "video"),
        (db.AudioStream, "audio"),
        (db.SubtitleStream, "subtitles"),
    ):
        for s in _chunked(ids, lambda c, m=model: _select(m).where(m.movie.in_(c)).order_by(m.id)):
            getattr(rows[s.movie_id], attr).append(s)
    return rows


class _Rows:
    """A select of every column of a model whose rows come out as `Row`s (named tuples with
    the model's field names, `<name>_id` for a foreign key) instead of model objects."""

    def __init__(self, model: type[pw.Model]) -> None:
        self.query = model.select(*model._meta.sorted_fields).tuples()
        self.make = _row_type(model)._make

    def where(self, *conditions) -> _Rows:
        self.query = self.query.where(*conditions)
        return self

    def order_by(self, *order) -> _Rows:
        self.query = self.query.order_by(*order)
        return self

    def __iter__(self) -> Iterator:
        return map(self.make, self.query)


_select = _Rows


@cache
def _row_type(model: type[pw.Model], *extra: str) -> type:
    """The named tuple of a model's rows (`extra`: more fields after its own, such as a
    role's `actor`)."""
    names = [
        f"{f.name}_id" if isinstance(f, pw.ForeignKeyField) else f.name
        for f in model._meta.sorted_fields
    ]
    return namedtuple(f"{model.__name__}Row", [*names, *extra])  # type: ignore[misc]


def _chunked(values: list, query) -> Iterator:
    for start in range(0, len(values), CHUNK):
        yield from query(values[start : start + CHUNK])
