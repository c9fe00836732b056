"""Read-only queries behind the pages, shaped so that a page costs a fixed number of SQL
statements whatever its size (no N+1): the library page is five statements for any page size."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import peewee as pw
from flask import abort

from metarrd import db
from metarrd.web import pictures
from metarrd.web.pictures import ArtworkGroup
from metarrd.web.states import FILTERS, state_of

PER_PAGE = 50
MAX_PER_PAGE = 200
SORTS = {"title": "Title", "added": "Recently added", "year": "Year"}
ACTIVE_JOB_STATES = ("queued", "running")

# Only what a row shows: plot and the other long columns stay in the database.
ROW_COLUMNS = (
    db.Movie.id,
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


@dataclass
class LibraryPage:
    rows: list[Row]
    total: int  # items matching the search and filter
    page: int
    per_page: int
    q: str
    filter: str
    sort: str
    counts: dict[str, int]  # filter name -> items (ignoring the search)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filter_expr(name: str) -> pw.Expression | None:
    M = db.Movie
    present = ~M.missing
    return {
        "all": None,
        "missing": M.missing,
        "unidentified": present & (M.identification_status == db.UNIDENTIFIED),
        "identified": present
        & (M.identification_status == db.IDENTIFIED)
        & (M.publish_state == db.UNPUBLISHED),
        "unpublished": present
        & (M.identification_status == db.ENRICHED)
        & (M.publish_state == db.UNPUBLISHED),
        "outdated": present
        & (M.identification_status != db.UNIDENTIFIED)
        & (M.publish_state == db.OUTDATED),
        "published": present
        & (M.identification_status != db.UNIDENTIFIED)
        & (M.publish_state == db.PUBLISHED),
        "errors": M.last_error.is_null(False),
    }[name]


def _search_expr(q: str) -> pw.Expression | None:
    q = q.strip()
    if not q:
        return None
    M = db.Movie
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    op = pw.SQL("ILIKE" if db.is_postgresql() else "LIKE")  # SQLite's LIKE ignores case

    def like(column: pw.Field) -> pw.Expression:
        return pw.NodeList((column, op, pw.Value(pattern), pw.SQL("ESCAPE '\\'")))

    expr = like(M.title) | like(M.original_title) | like(M.sort_title)
    if q.isdigit():
        expr |= (M.id == int(q)) | (M.tmdb_id == int(q))
    if q.lower().startswith("tt"):
        expr |= M.imdb_id == q.lower()
    return expr


def _order(sort: str) -> list:
    M = db.Movie
    if sort == "added":
        return [M.date_added.desc(), M.id.desc()]
    if sort == "year":
        return [M.year.desc(nulls="LAST"), M.title, M.id]
    return [pw.fn.COALESCE(M.sort_title, M.title, M.path).collate("NOCASE"), M.id]


def state_counts() -> dict[str, int]:
    """Items per library filter, in one grouped statement."""
    M = db.Movie
    counts = dict.fromkeys(FILTERS, 0)
    query = M.select(
        M.identification_status,
        M.publish_state,
        M.missing,
        M.last_error.is_null(False).alias("failed"),
        pw.fn.COUNT(M.id).alias("n"),
    ).group_by(pw.SQL("1, 2, 3, 4"))
    for status, publish_state, missing, failed, n in query.tuples():
        counts["all"] += n
        counts[state_of(status, publish_state, bool(missing))] += n
        if failed:
            counts["errors"] += n
    return counts


def library_page(
    *,
    q: str = "",
    filter: str = "all",
    sort: str = "title",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> LibraryPage:
    filter = filter if filter in FILTERS else "all"
    sort = sort if sort in SORTS else "title"
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    counts = state_counts()
    where = [e for e in (_filter_expr(filter), _search_expr(q)) if e is not None]
    if q.strip():
        count_query = db.Movie.select(pw.fn.COUNT(db.Movie.id))
        if where:
            count_query = count_query.where(*where)
        total = count_query.scalar() or 0
    else:
        total = counts[filter]
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    query = db.Movie.select(*ROW_COLUMNS)
    if where:
        query = query.where(*where)
    movies = list(query.order_by(*_order(sort)).paginate(page, per_page))
    return LibraryPage(
        rows=rows_for(movies),
        total=total,
        page=page,
        per_page=per_page,
        q=q,
        filter=filter,
        sort=sort,
        counts=counts,
    )


def rows_for(movies: list[db.Movie]) -> list[Row]:
    """Rows with their poster and active jobs: two statements for any number of movies."""
    if not movies:
        return []
    ids = [m.id for m in movies]
    posters = first_posters(ids)
    jobs = active_jobs(ids)
    return [Row(m, posters.get(m.id), jobs.get(m.id, [])) for m in movies]


def row(movie_id: int) -> Row | None:
    movie = db.Movie.select(*ROW_COLUMNS).where(db.Movie.id == movie_id).first()
    return rows_for([movie])[0] if movie else None


def first_posters(movie_ids: list[int]) -> dict[int, str]:
    A = db.ArtworkCandidate
    query = (
        A.select(A.movie, A.preview_path)
        .where(
            A.movie.in_(movie_ids),
            A.asset_type == "poster",
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


def streams(movie_id: int) -> dict[str, list]:
    return {
        "video": list(db.VideoStream.select().where(db.VideoStream.movie == movie_id)),
        "audio": list(db.AudioStream.select().where(db.AudioStream.movie == movie_id)),
        "subtitle": list(db.SubtitleStream.select().where(db.SubtitleStream.movie == movie_id)),
    }


def movie_or_404(movie_id: int) -> db.Movie:
    """The item, or the 404 page that says it may have been removed."""
    movie = db.Movie.get_or_none(db.Movie.id == movie_id) if movie_id <= db.MAX_ID else None
    if movie is None:
        abort(404, f"There is no item {movie_id} (it may have been removed).")
    return movie
