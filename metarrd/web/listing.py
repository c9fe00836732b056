"""The library listing: which items a library page shows (state filter, facets, search), in which
order, and how many there are per state. States partition the library (every item in exactly
one); facets (genre, decade, a missing artwork type, locked fields, errors) narrow any state.

A page costs a fixed number of statements whatever its size: the state counts (one grouped
statement over the same selection), the page, its posters, its jobs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import peewee as pw

from metarrd import db
from metarrd.config import ASSET_TYPES
from metarrd.web.ids import parse_int
from metarrd.web.queries import ROW_COLUMNS, Row, json_length, rows_for
from metarrd.web.states import FILTERS, state_of

PER_PAGE = 48
MAX_PER_PAGE = 200
MAX_BULK = 10_000  # "select all N matching" acts on at most this many
VIEWS = ("wall", "table")
# sort key -> label; a leading "-" reverses it
SORTS = {"title": "Title", "year": "Year", "added": "Date added", "state": "State"}
FACETS = ("genre", "decade", "missing_art", "locked", "errors")
# the kind tabs: what the library lists (seasons and episodes live on their show's page)
KINDS = {"all": "All", "movie": "Movies", "show": "Shows"}
FACET_ART_TYPES = tuple(t for t in ASSET_TYPES if t in ("poster", "fanart", "clearlogo", "banner"))


@dataclass(frozen=True)
class Query:
    """What the user asked the library for (the page's URL arguments, checked)."""

    q: str = ""
    filter: str = "all"
    sort: str = "title"
    page: int = 1
    per_page: int = PER_PAGE
    view: str = "wall"
    genre: str = ""
    decade: int | None = None
    missing_art: str = ""
    locked: bool = False
    errors: bool = False
    poster_lang: str = ""  # "none": posters without text
    kind: str = "all"  # a key of KINDS

    @classmethod
    def parse(cls, args) -> Query:
        def text(name: str, limit: int) -> str:
            return args.get(name, "")[:limit]  # fit text (metarrd/web/incoming.py): no NUL

        sort = args.get("sort", "title")
        if sort.lstrip("-") not in SORTS:
            sort = "title"
        decade = parse_int(args.get("decade"))
        missing_art = args.get("missing_art", "")
        return cls(
            q=text("q", 200),
            filter=args.get("filter", "all") if args.get("filter") in FILTERS else "all",
            sort=sort,
            page=max(parse_int(args.get("page"), 1) or 1, 1),
            per_page=min(
                max(parse_int(args.get("per_page"), PER_PAGE) or PER_PAGE, 1), MAX_PER_PAGE
            ),
            view=args.get("view") if args.get("view") in VIEWS else "wall",
            genre=text("genre", 100),
            decade=decade if decade is not None and 1800 <= decade <= 2200 else None,
            missing_art=missing_art if missing_art in FACET_ART_TYPES else "",
            locked=args.get("locked") in ("1", "on", "true"),
            errors=args.get("errors") in ("1", "on", "true"),
            poster_lang=text("poster_lang", 20),
            kind=args.get("kind") if args.get("kind") in KINDS else "all",
        )

    def args(self, **changes) -> dict:
        """URL arguments that differ from the defaults (for links), with `changes` applied."""
        values = {
            "q": self.q,
            "filter": self.filter,
            "sort": self.sort,
            "page": self.page,
            "per_page": self.per_page,
            "view": self.view,
            "genre": self.genre,
            "decade": self.decade,
            "missing_art": self.missing_art,
            "locked": 1 if self.locked else None,
            "errors": 1 if self.errors else None,
            "poster_lang": self.poster_lang,
            "kind": self.kind,
        }
        values.update(changes)
        defaults = Query()
        return {
            k: v
            for k, v in values.items()
            if v not in (None, "", False) and v != getattr(defaults, k, object())
        }

    @property
    def facets_on(self) -> int:
        return sum(
            bool(x) for x in (self.genre, self.decade, self.missing_art, self.locked, self.errors)
        )

    def sort_link(self, key: str) -> str:
        """The sort a column header switches to: ascending first, then the other way."""
        return "-" + key if self.sort == key else key

    def sort_state(self, key: str) -> str:
        """aria-sort of a column header."""
        if self.sort == key:
            return "ascending"
        if self.sort == "-" + key:
            return "descending"
        return "none"


@dataclass
class LibraryPage:
    rows: list[Row]
    total: int  # items matching everything asked
    query: Query
    page: int
    counts: dict[str, int]  # state -> items matching the search and facets
    options: dict[str, list] = field(default_factory=dict)  # facet -> values offered

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    # the templates' older names
    @property
    def q(self) -> str:
        return self.query.q

    @property
    def filter(self) -> str:
        return self.query.filter

    @property
    def sort(self) -> str:
        return self.query.sort

    @property
    def per_page(self) -> int:
        return self.query.per_page


def state_expr(name: str) -> pw.Expression | None:
    """The items in state `name` (states.state_of as SQL)."""
    M = db.Movie
    present = ~M.missing
    identified = M.identification_status != db.UNIDENTIFIED
    return {
        "all": None,
        "missing": M.missing,
        "unidentified": present & (M.identification_status == db.UNIDENTIFIED),
        "outdated": present & identified & (M.publish_state == db.OUTDATED),
        "published": present & identified & (M.publish_state == db.PUBLISHED),
        "unpublished": present
        & (M.identification_status == db.ENRICHED)
        & M.publish_state.not_in([db.OUTDATED, db.PUBLISHED]),
        "identified": present
        & identified
        & (M.identification_status != db.ENRICHED)
        & M.publish_state.not_in([db.OUTDATED, db.PUBLISHED]),
    }[name]


def _search_expr(q: str) -> pw.Expression | None:
    q = q.strip()
    if not q:
        return None
    M = db.Movie
    # both sides folded as the title sort folds them (db.fold: case, accents, NFC or NFD, "ß"
    # as "ss"): "amelie" finds "Amélie", "amélie" "Amelie", "брат" "Брат". The titles are
    # stored folded (migration 14): plain LIKE, the same on SQLite and PostgreSQL
    text = db.fold(q) or q  # (a mark alone folds to nothing, which would match every title)
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def like(column: pw.Field) -> pw.Expression:
        return pw.NodeList((column, pw.SQL("LIKE"), pw.Value(pattern), pw.SQL("ESCAPE '\\'")))

    expr = like(M.title_folded) | like(M.original_title_folded) | like(M.sort_title_folded)
    number = parse_int(q)  # an id SQLite can hold: not "²", not 20 digits
    if number is not None:
        expr |= (M.id == number) | (M.tmdb_id == number)
    if q.lower().startswith("tt"):
        expr |= M.imdb_id == q.lower()
    return expr


def _facet_exprs(query: Query) -> list[pw.Expression]:
    M, A = db.Movie, db.ArtworkCandidate
    out: list[pw.Expression] = []
    if query.genre:
        # the JSON list holds the name as db.JSONField wrote it (its characters as they are,
        # not \u-escaped): a plain substring test (no json_each per row), exact because the
        # quotes are part of it
        needle = json.dumps(query.genre, ensure_ascii=False)
        if db.is_postgresql():
            out.append(pw.fn.strpos(M.genres, needle) > 0)
        else:
            out.append(pw.fn.instr(M.genres, needle) > 0)
    if query.decade is not None:
        out.append(M.year.between(query.decade, query.decade + 9))
    if query.missing_art:
        # one pass over that type's selected rows (index on asset_type), not one probe per item
        have = A.select(A.movie).where((A.asset_type == query.missing_art) & A.is_selected)
        out.append(M.id.not_in(have))
    if query.locked:
        length = json_length
        out.append((length(M.locked_fields) > 0) | (length(M.locked_asset_types) > 0))
    if query.errors:
        out.append(M.last_error.is_null(False))
    if query.poster_lang:
        lang = (
            A.language.is_null() if query.poster_lang == "none" else A.language == query.poster_lang
        )
        first = A.select(A.movie).where(
            (A.asset_type == "poster") & A.is_selected & (A.rank == 1) & lang
        )
        out.append(M.id.in_(first))
    return out


def _order(sort: str) -> list:
    M = db.Movie
    key, desc = sort.lstrip("-"), sort.startswith("-")
    title = pw.fn.COALESCE(M.sort_title, M.title, M.path).collate(db.title_collation())
    if key == "added":
        # newest first is what "Date added" means at first click
        return [M.date_added.asc(), M.id.asc()] if desc else [M.date_added.desc(), M.id.desc()]
    if key == "year":
        if desc:
            return [M.year.desc(nulls="LAST"), title, M.id]
        return [M.year.asc(nulls="LAST"), title, M.id]
    if key == "state":
        # the order of the filters: unidentified, identified, to review, changed, published
        rank = pw.Case(
            None,
            [
                (M.missing, 6),
                (M.identification_status == db.UNIDENTIFIED, 0),
                (M.publish_state == db.OUTDATED, 3),
                (M.publish_state == db.PUBLISHED, 4),
                (M.identification_status == db.ENRICHED, 2),
            ],
            1,
        )
        return [rank.desc() if desc else rank.asc(), title, M.year, M.id]
    if desc:
        return [title.desc(), M.year.desc(nulls="LAST"), M.id.desc()]
    return [title, M.year.asc(nulls="LAST"), M.id]  # Heat (1986) before Heat (1995)


def listed(kind: str = "all") -> pw.Expression:
    """The items the library lists: movies and shows (`kind` one of KINDS); a show's seasons
    and episodes are on its page, never rows of the library."""
    M = db.Movie
    if kind == "movie":
        return db.is_movie()
    if kind == "show":
        return M.kind == db.SHOW
    return M.kind.in_([db.MOVIE, db.SHOW])


def _where(query: Query, *, with_state: bool = True) -> list[pw.Expression]:
    parts = [_search_expr(query.q), *_facet_exprs(query)]
    if with_state:
        parts.insert(0, state_expr(query.filter))
    return [listed(query.kind), *(p for p in parts if p is not None)]


def state_counts(query: Query | None = None) -> dict[str, int]:
    """Items per state (and "all") within the search and facets: one grouped statement."""
    M = db.Movie
    counts = dict.fromkeys(FILTERS, 0)
    select = M.select(
        M.identification_status, M.publish_state, M.missing, pw.fn.COUNT(M.id).alias("n")
    )
    where = _where(query, with_state=False) if query else [listed()]
    if where:
        select = select.where(*where)
    for status, publish_state, missing, n in select.group_by(pw.SQL("1, 2, 3")).tuples():
        counts["all"] += n
        counts[state_of(status, publish_state, bool(missing))] += n
    return counts


_OPTIONS: dict[str, tuple[float, dict[str, list]]] = {}
OPTIONS_SECONDS = 30.0  # the genres and decades of a library change slowly


def facet_options() -> dict[str, list]:
    """What the facet menus offer: the genres and decades present in the library, and the kinds
    of item it lists (the All / Movies / Shows switch is only for a library of both); read at
    most every OPTIONS_SECONDS per process and database."""
    key = f"{db.database.database}:{id(db.database.obj)}"  # a reopened database starts afresh
    cached = _OPTIONS.get(key)
    if cached and time.monotonic() - cached[0] < OPTIONS_SECONDS:
        return cached[1]
    options = _read_options()
    _OPTIONS[key] = (time.monotonic(), options)
    return options


def forget_options() -> None:
    _OPTIONS.clear()


def _read_options() -> dict[str, list]:
    M = db.Movie
    genres: set[str] = set()
    for (raw,) in (
        M.select(M.genres.cast("TEXT")).where(M.genres.is_null(False), listed()).distinct().tuples()
    ):
        try:
            values = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        genres.update(g for g in values or () if isinstance(g, str) and g)
    decades = [
        d
        for (d,) in M.select((M.year / 10 * 10).alias("d"))
        .where(M.year.is_null(False), listed())
        .distinct()
        .order_by(pw.SQL("1"))
        .tuples()
    ]
    kinds = {k for (k,) in M.select(M.kind).where(listed()).distinct().tuples()}
    return {
        "kinds": [k for k in ("movie", "show") if (db.SHOW if k == "show" else db.MOVIE) in kinds],
        "genre": sorted(genres, key=str.lower)[:100],
        "decade": decades,
        "missing_art": list(FACET_ART_TYPES),
    }


def library_page(query: Query, *, with_options: bool = True) -> LibraryPage:
    counts = state_counts(query)
    total = counts[query.filter]
    pages = max(1, -(-total // query.per_page))
    page = min(query.page, pages)
    select = db.Movie.select(*ROW_COLUMNS)
    where = _where(query)
    if where:
        select = select.where(*where)
    movies = list(select.order_by(*_order(query.sort)).paginate(page, query.per_page))
    return LibraryPage(
        rows=rows_for(movies),
        total=total,
        query=query,
        page=page,
        counts=counts,
        options=facet_options() if with_options else {},
    )


def matching_ids(query: Query, limit: int = MAX_BULK) -> list[int]:
    """Every item the query matches (all pages): "select all N matching"."""
    select = db.Movie.select(db.Movie.id)
    where = _where(query)
    if where:
        select = select.where(*where)
    return [i for (i,) in select.order_by(*_order(query.sort)).limit(limit).tuples()]


def neighbours(movie_id: int, states: tuple[str, ...] = ("unpublished", "outdated")) -> dict:
    """The previous and next item to review (title order) around `movie_id`, and how many wait."""
    review = state_expr(states[0])
    for name in states[1:]:
        review = review | state_expr(name)
    review = listed() & review  # both states: a "Republish?" show's seasons and episodes too
    ids = _in_title_order(review)
    if movie_id in ids:
        at = ids.index(movie_id)
        before, after = ids[:at], ids[at + 1 :]
    else:
        before, after = [], ids
    return {
        "previous": before[-1] if before else None,
        "next": after[0] if after else (ids[0] if ids and ids[0] != movie_id else None),
        "waiting": len(ids),
        "position": (ids.index(movie_id) + 1) if movie_id in ids else None,
    }


def _in_title_order(where: pw.Expression) -> list[int]:
    """The ids of the items `where` matches, in the library's title order (`_order("title")`).

    On SQLite the title collation is a Python function, which `ORDER BY` calls once per
    comparison: the review walk of a library all "To review" (thousands of items) spent most of
    an item page's time there. The rows are read unordered and sorted here by the collation's
    own key (one key per row), which is the same order. PostgreSQL sorts them itself."""
    M = db.Movie
    if db.is_postgresql():
        return [i for (i,) in M.select(M.id).where(where).order_by(*_order("title")).tuples()]
    title = pw.fn.COALESCE(M.sort_title, M.title, M.path)
    rows = M.select(M.id, title, M.year).where(where).tuples()
    key = db.title_key
    return [i for i, _, _ in sorted(rows, key=lambda r: (key(r[1]), r[2] is None, r[2] or 0, r[0]))]
