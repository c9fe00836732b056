"""The `provider_assets` rows of one item, as ENRICH keeps them (metarrd/enrich.py).

Storing what the providers listed (new rows inserted, known ones refreshed, rows a provider no
longer lists dropped unless the user chose them), phase 1B (a candidate whose picture the cache
already holds counts as downloaded), scoring, and the small helpers over one row that the
selection and caching (caching.py) share. The functions that write expect the
caller's write transaction; none does HTTP. Rows are written with `save_all`: one statement per
set of changed columns for the whole batch, not one query per row (an item has ~100 rows, written
three or four times per enrich).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from metarrd import cache, db
from metarrd.config import LIBRARY_SOURCE, ArtworkConfig
from metarrd.dbrows import insert_all, save_all
from metarrd.enrich.candidates import Candidate
from metarrd.enrich.score import ImageFacts, Preferences, score_image
from metarrd.enrich.selection import ScoredCandidate, same_picture
from metarrd.imaging import FORMATS, ImageInfo

EXTENSIONS = dict(FORMATS.values())  # jpeg -> jpg
OWN = ("cache_file",)  # keys of provider_metadata that enrich writes, kept across refreshes


@dataclass
class Stored:
    """What `plan_candidates` decided for one item, for `write_candidates` to write."""

    movie_id: int
    new: list[db.ArtworkCandidate] = field(default_factory=list)  # not stored yet (no id)
    gone: dict[int, db.ArtworkCandidate] = field(default_factory=dict)  # no provider lists them
    dropped: set[str] = field(default_factory=set)  # their previews


def plan_candidates(
    movie_id: int,
    rows: dict[tuple[str, str], db.ArtworkCandidate],
    answers: dict[str, list[Candidate]],
    locked_types: Iterable[str] = (),
) -> Stored:
    """New candidates, known ones refreshed, those a provider no longer lists dropped: decided
    in memory, no database (the write is `write_candidates`, in the caller's transaction).

    A row the user chose or removed stays, and so does a selected one of a type in
    `locked_types` (the item's `locked_asset_types`: left exactly as it is): "no longer
    listed" may only mean that TMDB was asked for other image languages since. The choices
    and locks are as read before: `write_candidates` reads them again and keeps a row the user
    chose, removed or locked meanwhile.
    `rows` (asset type, url) -> row is brought up to date in place: a new row is an unsaved
    model (no id until `write_candidates`). `dropped`: the previews of the rows dropped, for
    `cache.remove_unused` once the item's enrichment is over (not before: a new row of the same
    picture, still being analysed, shares its preview)."""
    stored = Stored(movie_id)
    locked = set(locked_types or ())
    for provider, found in answers.items():
        listed = {(c.asset_type, c.url) for c in found}
        for key, row in list(rows.items()):
            if row.provider == provider and key not in listed and not users_choice(row, locked):
                if row.preview_path:
                    stored.dropped.add(row.preview_path)
                stored.gone[row.id] = row  # a new row is its own provider's: listed
                del rows[key]
        for c in found:
            row = rows.get((c.asset_type, c.url))
            ours = {k: v for k, v in (row.provider_metadata if row else {}).items() if k in OWN}
            values = {
                "language": c.language,
                "vote_average": c.vote_average,
                "vote_count": c.vote_count,
                "api_width": c.width,
                "api_height": c.height,
                "provider_metadata": {**c.metadata, "small_url": c.small_url, **ours},
            }
            if row is None:
                row = db.ArtworkCandidate(movie=movie_id, asset_type=c.asset_type,
                                          provider=c.provider, url=c.url, **values)  # fmt: skip
                rows[(c.asset_type, c.url)] = row
                stored.new.append(row)
                continue
            set_changed(row, **values)
    return stored


def write_candidates(stored: Stored, rows: dict[tuple[str, str], db.ArtworkCandidate]) -> None:
    """Write what `plan_candidates` (and the phase 1B and scores after it) changed in `rows`:
    the dropped rows deleted, the known ones' changed columns updated, the new ones inserted
    (scores and all) and given their ids. Expects the caller's write transaction: the rows and
    their scores are committed together.

    A show's rows are read once for its whole enrichment (a movie's before its providers
    answer): the user may have chosen, removed or locked since. So the choices of the rows to
    drop are read again here, under the write lock, and a row that is now the user's (or a
    selected one of a type now locked) is kept, back in `rows` with its choice as stored."""
    model = db.ArtworkCandidate
    _keep_chosen(stored, rows)
    gone = list(stored.gone)
    for start in range(0, len(gone), 500):  # under SQLite's 999 parameters
        model.delete().where(model.id.in_(gone[start : start + 500])).execute()
    for row in rows.values():  # the database set theirs to NULL (ON DELETE SET NULL)
        if row.__data__.get("duplicate_of") in stored.gone:
            row.__data__["duplicate_of"] = None
    save_all(row for row in rows.values() if row.id is not None)
    if not stored.new:
        return
    insert_all(model, [{k: v for k, v in row.__data__.items() if k != "id"} for row in stored.new])
    query = model.select(model.id, model.asset_type, model.url).where(
        model.movie == stored.movie_id
    )
    ids = {(asset_type, url): row_id for row_id, asset_type, url in query.tuples()}
    for row in stored.new:
        row.id = ids[(row.asset_type, row.url)]
        row._dirty.clear()


CHOICE = ("is_selected", "selected_by", "rank", "selected_at")  # the columns a choice writes


class Choices(NamedTuple):
    """What `read_choices` found stored now: the item's locked types, and the ids of the rows
    asked about that are gone (another process deleted them meanwhile: the item forgotten)."""

    locked: set[str]
    gone: set[int]


def read_choices(movie_id: int, rows: Iterable[db.ArtworkCandidate]) -> Choices:
    """The choices of `rows` (stored rows of the item `movie_id`) as stored now, taken into the
    rows in memory (nothing to write back), and the item's locked types as stored now: read in
    the write transaction, they are what the user chose while the enrichment worked from its own
    copy (a choice made in the web UI, `choices.change_selection`, or undone, or a type locked).
    A row no longer stored keeps its old values in memory and is named in `gone`."""
    A = db.ArtworkCandidate
    by_id = {row.id: row for row in rows if row.id is not None}
    ids = list(by_id)
    gone = set(ids)
    columns = [getattr(A, name) for name in CHOICE]
    for start in range(0, len(ids), 500):  # under SQLite's 999 parameters
        query = A.select(A.id, *columns).where(
            (A.movie == movie_id) & A.id.in_(ids[start : start + 500])
        )
        for row_id, *values in query.tuples():
            gone.discard(row_id)
            row = by_id[row_id]
            for name, value in zip(CHOICE, values, strict=True):
                row.__data__[name] = value
                row._dirty.discard(name)
    M = db.Movie
    locked = set(M.select(M.locked_asset_types).where(M.id == movie_id).scalar() or ())
    return Choices(locked, gone)


def users_choice(row: db.ArtworkCandidate, locked: Container[str]) -> bool:
    """The row's choice is the user's: chosen or removed by the user, or selected in a locked
    type (left exactly as it is)."""
    return row.selected_by == "user" or (row.is_selected and row.asset_type in locked)


def _keep_chosen(stored: Stored, rows: dict[tuple[str, str], db.ArtworkCandidate]) -> None:
    """Of the rows `plan_candidates` dropped, keep those the user chose, removed or locked
    since it read them (`read_choices`, in the write transaction). A row that another process
    deleted meanwhile is not the user's to keep: it stays out of `rows` (nothing to write)."""
    if not stored.gone:
        return
    now = read_choices(stored.movie_id, stored.gone.values())
    for row_id, row in list(stored.gone.items()):
        if row_id not in now.gone and users_choice(row, now.locked):
            del stored.gone[row_id]
            rows[(row.asset_type, row.url)] = row
            stored.dropped.discard(row.preview_path)


def prepare_candidates(
    movie_id: int,
    rows: dict[tuple[str, str], db.ArtworkCandidate],
    answers: dict[str, list[Candidate]],
    locked_types: Iterable[str],
    cache: tuple[list[db.CacheImageFile], dict[str, db.CacheImageFile], Container[str]],
    pending: Container[str],
    artwork: ArtworkConfig,
) -> Stored:
    """`plan_candidates`, phase 1B (`match_cache`; `cache`: the item's cache files, by source
    URL, `on_disk`) and the scores of the rows not being analysed (`pending`): all in memory,
    before the write transaction, which then only writes (`write_candidates`). Under a busy
    write lock the transaction is held for the writes alone, not for the Python work of
    ~100 rows."""
    stored = plan_candidates(movie_id, rows, answers, locked_types)
    cache_files, by_source, present = cache
    match_cache(rows.values(), cache_files, by_source, pending, present, save=False)
    unfetched = (row for row in rows.values() if row.url not in pending)
    score_rows(unfetched, artwork, save=False)
    return stored


def on_disk(cache_files: Iterable[db.CacheImageFile]) -> set[str]:
    """The paths of `cache_files` that are there: looked at before the write transaction of
    `match_cache` (a stat each, on a cache on a slow NFS server, would hold the write lock)."""
    return {str(c.file_path) for c in cache_files if Path(c.file_path).is_file()}


def match_cache(
    rows: Iterable[db.ArtworkCandidate],
    cache_files: list[db.CacheImageFile],
    by_source: dict[str, db.CacheImageFile],
    pending: Container[str],
    present: Container[str],
    save: bool = True,
) -> None:
    """Phase 1B: candidates whose picture the cache already holds (`present`: `on_disk`) count
    as downloaded. `save=False`: the rows only changed in memory (`write_candidates`)."""
    files = [c for c in cache_files if str(c.file_path) in present]
    adopted = []
    for row in rows:
        if row.provider == LIBRARY_SOURCE or row.url in pending or row.is_downloaded:
            continue
        match = None if row.analyzed else by_source.get(row.url)
        if match is None and row.analyzed and not row.rejected_reason:
            match = next((f for f in files if _same_cached(row, f)), None)
        if match is None or str(match.file_path) not in present:
            continue
        _adopt(row, match)
        adopted.append(row)
    if save:
        save_all(adopted)


def score_rows(
    rows: Iterable[db.ArtworkCandidate], artwork: ArtworkConfig, save: bool = True
) -> None:
    """Score the rows (unchanged scores are not rewritten) and save what changed (`save=False`:
    in memory only, for a `save_all` in the write transaction after)."""
    prefs = Preferences(artwork.preferred_languages, artwork.provider_priority)
    rows = list(rows)
    for row in rows:
        if eligible(row):
            facts = ImageFacts(
                row.asset_type, row.provider, row.width, row.height,
                row.language if row.provider != LIBRARY_SOURCE else None,
                row.vote_average, row.vote_count,
            )  # fmt: skip
            score = score_image(facts, prefs)
            set_changed(row, score=score.total, score_breakdown=score.breakdown())
        else:
            set_changed(row, score=None, score_breakdown={})
    if save:
        save_all(rows)


def in_cache(cache_dir: Path, row: db.ArtworkCandidate) -> bool:
    """The row's image (as analysed) is in the cache."""
    if not (row.content_hash and row.format in EXTENSIONS):
        return False
    return cache.cache_path(cache_dir, row.asset_type, image_info(row)).is_file()


def set_changed(row: db.BaseModel, **values: Any) -> None:
    """Assign only what differs, so that saving writes only real changes."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def image_columns(info: ImageInfo) -> dict[str, Any]:
    """A `cache_image_files` row's columns that describe the picture (its hash is the key)."""
    return {
        "perceptual_hash": info.phash,
        "file_size": info.size,
        "width": info.width,
        "height": info.height,
        "format": info.format,
    }


def eligible(row: db.ArtworkCandidate) -> bool:
    return bool(
        row.analyzed and not row.rejected_reason and (row.width or 0) > 0 and (row.height or 0) > 0
    )


def as_pick(row: db.ArtworkCandidate) -> ScoredCandidate:
    breakdown = row.score_breakdown or {}
    foreign = bool(breakdown.get("foreign"))
    tier = breakdown.get("tier")
    return ScoredCandidate(
        id=row.id,
        asset_type=row.asset_type,
        eligible=eligible(row) and row.score is not None,
        score=row.score or 0.0,
        foreign=foreign,
        tier=tier if isinstance(tier, int) else 0,
        pixels=(row.width or 0) * (row.height or 0),
        phash=row.perceptual_hash,
        content_hash=row.content_hash,
        selected=row.is_selected,
        selected_by=row.selected_by,
        rank=row.rank,
    )


def image_info(row: db.ArtworkCandidate) -> ImageInfo:
    return ImageInfo(
        row.width or 0, row.height or 0, row.format, EXTENSIONS[row.format],
        row.content_hash, row.file_size or 0, row.perceptual_hash or "",
    )  # fmt: skip


def take_info(row: db.ArtworkCandidate, info: ImageInfo) -> None:
    """What analysis measured; a probe (no whole file) leaves the SHA-256 and size unknown."""
    row.width, row.height, row.format = info.width, info.height, info.format
    row.file_size, row.content_hash = info.size or None, info.sha256 or None
    row.perceptual_hash = info.phash


def _same_cached(row: db.ArtworkCandidate, cached: db.CacheImageFile) -> bool:
    """The cache holds this candidate's bytes, or (from the user's library) its picture at least
    as large. A provider download is never adopted by another candidate: near-duplicates of it
    are collapsed by selection instead, so every row keeps its own provenance."""
    if cached.image_type != row.asset_type:
        return False
    if cached.file_hash == row.content_hash:
        return True
    if cached.source_type != LIBRARY_SOURCE:
        return False
    big_enough = (cached.width or 0) * (cached.height or 0) >= (row.width or 0) * (row.height or 0)
    a = ScoredCandidate(0, row.asset_type, True, phash=row.perceptual_hash)
    b = ScoredCandidate(1, row.asset_type, True, phash=cached.perceptual_hash)
    return big_enough and same_picture(a, b)


def _adopt(row: db.ArtworkCandidate, cached: db.CacheImageFile) -> None:
    """The candidate is the cached file (phase 1B): take its analysis, no download."""
    row.analyzed, row.analyzed_at, row.rejected_reason = True, db.now(), None
    row.width, row.height, row.format = cached.width, cached.height, cached.format
    row.file_size, row.content_hash = cached.file_size, cached.file_hash
    row.perceptual_hash = cached.perceptual_hash
    row.is_downloaded = True
    row.provider_metadata = {**(row.provider_metadata or {}), "cache_file": cached.id}
