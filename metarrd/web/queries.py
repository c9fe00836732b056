"""Read-only queries behind the pages, shaped so that a page costs a fixed number of SQL
statements whatever its size (no N+1): the library page is five statements for any page size."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import db
from metarrd.publish import episode_sidecar_paths
from metarrd.web import pictures
from metarrd.web.errors import not_found
from metarrd.web.pictures import ArtworkGroup

ACTIVE_JOB_STATES = ("queued", "running")

# Only what a row shows: plot and the other long columns stay in the database.
ROW_COLUMNS = (
    db.Movie.id,
    db.Movie.kind,
    db.Movie.library,
    db.Movie.path,
    db.Movie.title,
    db.Movie.year,
    db.Movie.sort_title,
    db.Movie.tmdb_id,
    db.Movie.identification_status,
    db.Movie.publish_state,
    db.Movie.publish_warnings,
    db.Movie.missing,
    db.Movie.last_error,
    db.Movie.date_added,
    db.Movie.last_published_at,
)


@dataclass
class Row:
    movie: db.Movie
    poster: str | None = None  # preview_path of the first selected poster
    jobs: list[str] = field(default_factory=list)  # e.g. ["enrich queued"]
    episodes: int | None = None  # a show: the episodes its files hold (S01E01E02 is two)
    episode_errors: int = 0  # a show: its episode files with an error (unmatched, ...)
    # a movie whose film has other files in the libraries (a Director's Cut beside the
    # theatrical cut, a 2160p copy beside the 1080p one): its file's name, which tells the
    # cards of the same title and year apart
    version: str | None = None


def rows_for(movies: list[db.Movie]) -> list[Row]:
    """Rows with their poster and active jobs: two statements for any number of movies (a
    third for the episode counts when the page has shows)."""
    if not movies:
        return []
    ids = [m.id for m in movies]
    posters = first_posters(ids)
    jobs = active_jobs(ids)
    shows = [m.id for m in movies if m.kind == db.SHOW]
    episodes = episode_counts(shows) if shows else {}
    several = films_with_several_files(movies)
    return [
        Row(m, posters.get(m.id), jobs.get(m.id, []), *episodes.get(m.id, (0, 0)))
        if m.id in shows
        else Row(m, posters.get(m.id), jobs.get(m.id, []), version=version_name(m, several))
        for m in movies
    ]


def films_with_several_files(movies: list[db.Movie]) -> set[int]:
    """The TMDB ids among `movies` that more than one movie item has (versions of one film:
    Kodi's and Jellyfin's, Plex's editions), in one statement, asked only when the page has an
    identified movie."""
    M = db.Movie
    ids = {m.tmdb_id for m in movies if m.kind == db.MOVIE and m.tmdb_id}
    if not ids:
        return set()
    query = (
        M.select(M.tmdb_id)
        .where(M.kind == db.MOVIE, M.tmdb_id.in_(sorted(ids)))
        .group_by(M.tmdb_id)
        .having(pw.fn.COUNT(M.id) > 1)
    )
    return {tmdb_id for (tmdb_id,) in query.tuples()}


def version_name(movie: db.Movie, several: set[int]) -> str | None:
    """The name of `movie`'s file (a disc's folder) when its film has several files
    (`films_with_several_files`), else None."""
    if movie.kind != db.MOVIE or movie.tmdb_id not in several:
        return None
    return Path(movie.path).name


def json_length(column: pw.Field) -> pw.Expression:
    """The length of a JSON list column (TEXT on both backends)."""
    if db.is_postgresql():
        return pw.fn.json_array_length(column.cast("json"))
    return pw.fn.json_array_length(column)


def episode_counts(show_ids: list[int]) -> dict[int, tuple[int, int]]:
    """show id -> (the episodes its files hold, how many files have an error) in one statement,
    only asked when the page has shows. A file holds the episodes its name numbers (S01E01E02:
    two), else those identify matched by its air date; a file matched to none holds none."""
    M = db.Movie
    numbered = M.season.is_null(False) & (json_length(M.episodes) > 0)
    held = pw.Case(None, [(numbered, json_length(M.episodes))], json_length(M.episode_refs))
    query = (
        M.select(M.show, pw.fn.SUM(held), pw.fn.COUNT(M.last_error))
        .where(M.show.in_(show_ids), M.kind == db.EPISODE)
        .group_by(M.show)
    )
    return {show: (int(n or 0), errors) for show, n, errors in query.tuples()}


def row(movie_id: int) -> Row | None:
    movie = db.Movie.select(*ROW_COLUMNS).where(db.Movie.id == movie_id).first()
    return rows_for([movie])[0] if movie else None


def first_posters(movie_ids: list[int]) -> dict[int, str]:
    return first_selected(movie_ids, "poster")


def first_selected(movie_ids: list[int], asset_type: str) -> dict[int, str]:
    """movie id -> preview of its #1 selected image of `asset_type` (one statement)."""
    A = db.ArtworkCandidate
    query = (
        A.select(A.movie, A.preview_path)
        .where(
            A.movie.in_(movie_ids),
            A.asset_type == asset_type,
            A.is_selected,
            A.preview_path.is_null(False),
        )
        .order_by(A.movie, A.rank.asc(nulls="LAST"), A.id)
    )
    posters: dict[int, str] = {}
    for movie_id, preview in query.tuples():
        posters.setdefault(movie_id, preview)
    return posters


def active_jobs(movie_ids: list[int]) -> dict[int, list[str]]:
    J = db.Job
    query = (
        J.select(J.movie, J.kind, J.state, J.payload)
        .where(J.movie.in_(movie_ids), J.state.in_(ACTIVE_JOB_STATES))
        .order_by(J.id)
    )
    jobs: dict[int, list[str]] = defaultdict(list)
    now = time.time()
    for movie_id, kind, state, payload in query.tuples():
        if state == "queued" and (payload or {}).get("due", 0) > now:
            continue  # a retry due later (a picture that could not be had) is not work going on
        text = f"{kind} {state}"
        if text not in jobs[movie_id]:
            jobs[movie_id].append(text)
    return jobs


def live_cursor() -> int:
    """The newest event id: pages start listening for live updates after it."""
    return db.Event.select(pw.fn.MAX(db.Event.id)).scalar() or 0


# --- the item page -------------------------------------------------------------------------


def artwork_groups(
    movie: db.Movie, limits: dict[str, int], types: tuple[str, ...]
) -> list[ArtworkGroup]:
    """Every artwork type that has candidates (one statement): selected pictures in rank order,
    then the alternatives best first, copies of one picture folded together, rejected apart."""
    by_type: dict[str, list[db.ArtworkCandidate]] = defaultdict(list)
    for asset in db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id):
        by_type[asset.asset_type].append(asset)
    locked = set(movie.locked_asset_types or [])
    return [
        pictures.group(t, by_type[t], locked=t in locked, limit=limits.get(t, 1))
        for t in list(types) + sorted(set(by_type) - set(types))
        if by_type.get(t)
    ]


def history(movie_id: int, limit: int = 50) -> dict[str, Any]:
    events = list(
        db.Event.select()
        .where(db.Event.movie == movie_id)
        .order_by(db.Event.id.desc())
        .limit(limit)
    )
    publishes = list(
        db.PublishLog.select()
        .where(db.PublishLog.movie == movie_id)
        .order_by(db.PublishLog.id.desc())
        .limit(10)
    )
    return {"events": events, "publishes": publishes}


# the streams of each kind the Files tab lists: a Blu-ray remux holds a few dozen subtitle
# tracks; an MKV muxed with thousands (or a folder of thousands of .srt files) made a page of
# thousands of rows
STREAMS_SHOWN = 100


def streams(movie_id: int, limit: int = STREAMS_SHOWN) -> dict[str, Any]:
    """The item's first `limit` video, audio and subtitle streams, in the order scan found
    them, and under "more" how many more of each kind there are (kinds with none left out)."""
    shown: dict[str, Any] = {}
    more: dict[str, int] = {}
    for kind, model in (
        ("video", db.VideoStream),
        ("audio", db.AudioStream),
        ("subtitle", db.SubtitleStream),
    ):
        mine = model.select().where(model.movie == movie_id)
        rows = list(mine.order_by(model.id).limit(limit + 1))
        if len(rows) > limit:
            more[kind] = mine.count() - limit
        shown[kind] = rows[:limit]
    shown["more"] = more
    return shown


def library_files(movie_id: int) -> list[db.LibraryFile]:
    """The files metarrd wrote into the library for this item (NFO, artwork, actors)."""
    LF = db.LibraryFile
    return list(LF.select().where(LF.movie == movie_id).order_by(LF.kind, LF.path).limit(200))


def episode_files(episode: db.Movie) -> list[db.LibraryFile]:
    """What metarrd wrote beside an episode file: its NFO and thumb (the show's ledger rows
    named after the video: `<name>.nfo`, `<name>-thumb.<ext>`, publish/tv_layout.py), not
    those of a file whose name starts alike (`Show 1x1` is not `Show 1x10`). Found by their
    paths (their unique index), not among the show's 30,000 rows of 15,000 episodes."""
    LF = db.LibraryFile
    paths = [str(p) for p in episode_sidecar_paths(Path(episode.path))]
    rows = LF.select().where(LF.path.in_(paths)).order_by(LF.kind, LF.path)  # one row a path
    return [row for row in rows if row.movie_id == episode.show_id]  # the show's, by the path


def movie_or_404(movie_id: int) -> db.Movie:
    """The item, or the 404 page that says it may have been removed."""
    movie = db.Movie.get_or_none(db.Movie.id == movie_id) if movie_id <= db.MAX_ID else None
    if movie is None:
        not_found(f"item {movie_id} (it may have been removed)")
    return movie
