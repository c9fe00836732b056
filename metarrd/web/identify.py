"""The identify pages: the unidentified movies and shows, and for one item its stored candidates
(with the match explanation), a TMDB search box and a field to paste an id. A show's page is
the same page for TV: its search is TMDB's TV search, ranked as identify ranks shows, and it
takes a TMDB TV id, a TheTVDB id or an IMDb id (or their sites' addresses). A search is a queued
search job (it only lists candidates), a choice a queued identify job: the daemon calls TMDB,
never the web. The page follows both jobs live. A season's or an episode's page is its show's.
"""

from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, flash, redirect, render_template, request, url_for
from htmx_flask import make_response

from metarrd import db
from metarrd.web import queries
from metarrd.web.actions import ActionRefused, queue_identify, queue_search
from metarrd.web.fragments import toast
from metarrd.web.ids import parse_int

bp = Blueprint("identify", __name__)

PER_PAGE = 50
IMDB_RE = re.compile(r"^tt[0-9]{5,10}$")  # ASCII digits: "٣" is none (`_bare_id`)
TMDB_URL_RE = re.compile(r"themoviedb\.org/movie/(\d+)")
IMDB_URL_RE = re.compile(r"imdb\.com/title/(tt[0-9]{5,10})")
TMDB_TV_URL_RE = re.compile(r"themoviedb\.org/tv/(\d+)")
# thetvdb.com's addresses that hold the id (its pages by name, /series/<slug>, do not)
TVDB_URL_RE = re.compile(
    r"thetvdb\.com/(?:\?tab=series&(?:amp;)?id=|dereferrer/series/|series/|api/[^/]+/series/)(\d+)"
)
TVDB_SLUG_RE = re.compile(r"thetvdb\.com/series/([a-z0-9-]+)", re.IGNORECASE)
# `tvdb-81189`, `tvdb 81189`, `tvdbid=81189`, `{tvdb-81189}`, `[tmdbid-1396]` (folder tags' forms)
TAGGED_ID_RE = re.compile(r"^[{\[]?(tmdb|tvdb)(?:id)?[-=: ]?\s*(\d{1,9})[}\]]?$", re.IGNORECASE)
SHOW_ID_HELP = "a TMDB TV id (1396), a TheTVDB id (tvdb-81189), an IMDb id (tt0903747) or their URL"


PENALTY_NAMES = {
    "title": "Title",
    "year": "Year",
    "obscurity": "How well known",
    "original_title": "Original title",
}


def confidence(candidate: dict) -> dict:
    """One wording for how sure the match is: the recommendation, in words a user reads."""
    label, tone = {
        "strong": ("Sure match", "success"),
        "medium": ("Likely match", "info"),
    }.get(candidate.get("recommendation") or "", ("Unsure: check it", "warning"))
    return {"label": label, "tone": tone}


def _bare_id(text: str) -> int | None:
    """`text` as an id (1 to 999,999,999) when it is one in ASCII digits, else None. Not
    `str.isdigit`, which "²" and "٣" pass, and whose int() then raised Python's own words
    ("invalid literal for int()", "Exceeds the limit (4300 digits)") onto the page."""
    number = parse_int(text)  # ASCII digits only, and no int() of thousands of them
    return number if number is not None and 0 < number < 10**9 else None


def _url_id(digits: str) -> int:
    """The number in a pasted address, when an id can be it (1 to 999,999,999): 0 would read
    as "no id" and queue an automatic identification, 30 digits a lookup that cannot succeed."""
    number = _bare_id(digits)
    if number is None:
        raise ValueError(f"{digits[:24]} in that address is no id")
    return number


def parse_id(text: str) -> tuple[int | None, str | None]:
    """A pasted TMDB id, IMDb id, or either site's movie URL -> (tmdb_id, imdb_id)."""
    text = text.strip()
    if (number := _bare_id(text)) is not None:
        return number, None
    if IMDB_RE.match(text.lower()):
        return None, text.lower()
    if m := TMDB_URL_RE.search(text):
        return _url_id(m.group(1)), None
    if m := IMDB_URL_RE.search(text):
        return None, m.group(1)
    raise ValueError(
        f"{text[:40]!r} is neither a TMDB id (603), an IMDb id (tt0133093) nor their URL"
    )


def parse_show_id(text: str) -> tuple[str, int | str]:
    """A pasted id of a TV show -> (source, id), source one of tmdb | tvdb | imdb. A bare number
    is a TMDB TV id (as `metarrd identify SHOW --tmdb ID`); TheTVDB's is tagged or its URL."""
    text = text.strip()
    if (number := _bare_id(text)) is not None:
        return "tmdb", number
    if IMDB_RE.match(text.lower()):
        return "imdb", text.lower()
    if (m := TAGGED_ID_RE.match(text)) and int(m.group(2)) > 0:
        return m.group(1).lower(), int(m.group(2))
    if m := TMDB_TV_URL_RE.search(text):
        return "tmdb", _url_id(m.group(1))
    if m := TVDB_URL_RE.search(text):
        return "tvdb", _url_id(m.group(1))
    if m := IMDB_URL_RE.search(text):
        return "imdb", m.group(1)
    if TMDB_URL_RE.search(text):
        raise ValueError("that is a movie's page on TMDB; a show's is themoviedb.org/tv/…")
    if m := TVDB_SLUG_RE.search(text):
        raise ValueError(
            f"thetvdb.com's address by name ({m.group(1)}) does not hold the id: paste the "
            "“TheTVDB ID” of that page as tvdb-ID"
        )
    raise ValueError(f"{text[:40]!r} is neither {SHOW_ID_HELP}")


SOURCE_NAMES = {"tmdb": "TMDB TV", "tvdb": "TheTVDB", "imdb": "IMDb"}


@bp.get("/identify")
def index():
    page = max(parse_int(request.args.get("page"), 1), 1)
    query = db.Movie.select(*queries.ROW_COLUMNS, db.Movie.candidates).where(
        db.Movie.identification_status == db.UNIDENTIFIED,
        ~db.Movie.missing,
        db.Movie.kind.in_([db.MOVIE, db.SHOW]),  # an episode follows its show
    )
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    movies = list(query.order_by(db.Movie.path).paginate(page, PER_PAGE))
    return render_template(
        "identify.html",
        movies=movies,
        total=total,
        page=page,
        pages=pages,
        live_cursor=queries.live_cursor(),
    )


def _context(movie: db.Movie) -> dict:
    J = db.Job
    identifying = (
        J.select()
        .where(J.movie == movie.id, J.kind == "identify", J.state.in_(queries.ACTIVE_JOB_STATES))
        .exists()
    )
    last_choice = (
        J.select().where(J.movie == movie.id, J.kind == "identify").order_by(J.id.desc()).first()
    )
    failed_choice = failed_paste = None
    if last_choice and last_choice.state == "failed" and last_choice.manual:
        failed_choice = last_choice.error
        # the id the user pasted stays in its field to correct, as a paste refused at once does
        failed_paste = (last_choice.payload or {}).get("pasted")
    last_search = J.select().where(J.movie == movie.id, J.kind == "search").order_by(J.id.desc())
    last_search = last_search.first()
    asked = (last_search.payload or {}) if last_search else {}
    hints = movie.hints or {}
    tv = movie.kind == db.SHOW
    return {
        "movie": movie,
        "tv": tv,
        "noun": "show" if tv else "movie",
        "tmdb_kind": "tv" if tv else "movie",  # themoviedb.org/<kind>/<id>
        "identifying": identifying,
        "failed_choice": failed_choice,
        "failed_paste": failed_paste,
        "pasted": failed_paste,
        "confidence": confidence,
        "penalty_names": PENALTY_NAMES,
        "searching": bool(last_search and last_search.state in queries.ACTIVE_JOB_STATES),
        "last_search": last_search,
        "search_title": asked.get("title")
        or hints.get("name_title")
        or hints.get("folder_title")
        or movie.title
        or "",
        "search_year": asked.get("year")
        or hints.get("name_year")
        or hints.get("folder_year")
        or movie.year
        or "",
    }


@bp.get("/movies/<int:movie_id>/identify")
def item(movie_id: int):
    movie = queries.movie_or_404(movie_id)
    if movie.kind in (db.SEASON, db.EPISODE) and movie.show_id:
        return redirect(url_for("identify.item", movie_id=movie.show_id), code=303)
    if request.htmx and not request.htmx.boosted:
        return render_template("_identify_item.html", **_context(movie))
    return render_template(
        "identify_item.html", live_cursor=queries.live_cursor(), **_context(movie)
    )


def _answer(movie: db.Movie, message: str, tone: str, *, quiet: bool = False, **typed):
    """The page again (htmx: its fragment, plus a toast unless `quiet`: the page says it);
    `typed` (pasted, search_title, search_year) keeps what the user typed in a refused form."""
    if not request.htmx:
        flash(message, tone)
        return redirect(url_for("identify.item", movie_id=movie.id), code=303)
    movie = db.Movie.get_by_id(movie.id)
    body = render_template("_identify_item.html", **{**_context(movie), **typed})
    return make_response(body if quiet else body + toast(message, tone))


@bp.post("/movies/<int:movie_id>/identify")
def choose(movie_id: int):
    """A candidate's "This one" button, or the pasted id."""
    movie = queries.movie_or_404(movie_id)
    text = request.form.get("id", "")
    # what the user pasted (not a candidate's "This one"), given back if the lookup fails
    pasted = None if request.form.get("from") == "candidate" else text.strip()[:2000]
    try:
        if movie.kind == db.SHOW:
            source, value = parse_show_id(text)
            ids = {f"{source}_id": value}
            queue_identify(
                movie, ids.get("tmdb_id"), ids.get("imdb_id"), ids.get("tvdb_id"), pasted=pasted
            )
            what = f"{SOURCE_NAMES[source]} {value}"
        else:
            tmdb_id, imdb_id = parse_id(text)
            queue_identify(movie, tmdb_id, imdb_id, pasted=pasted)
            what = f"TMDB {tmdb_id}" if tmdb_id else f"IMDb {imdb_id}"
    except (ValueError, ActionRefused) as exc:
        return _answer(movie, str(exc), "danger", pasted=text[:2000], failed_paste=None)
    # no green "done" here: the page itself says it is looking the id up, then what came of it
    return _answer(movie, f"Looking up {what}…", "info", quiet=True)


@bp.post("/movies/<int:movie_id>/search")
def search(movie_id: int):
    """The search box: a search job for the daemon; the candidates show up when it is done."""
    movie = queries.movie_or_404(movie_id)
    # NFC, as identify reads a file's name (a name pasted from a Mac's Finder is NFD)
    title = unicodedata.normalize("NFC", " ".join(request.form.get("title", "").split()))[:200]
    year_text = request.form.get("year", "").strip()
    typed = {"search_title": title, "search_year": year_text[:20]}
    if not title:
        return _answer(movie, "Type a title to search for.", "danger", **typed)
    year = parse_int(year_text)  # "²" is a digit to isdigit(), not to int()
    if year_text and not (year is not None and 1870 <= year <= 2100):
        return _answer(movie, f"{year_text!r} is not a year.", "danger", **typed)
    try:
        queue_search(movie, title, year)
    except ActionRefused as exc:
        return _answer(movie, str(exc), "danger", **typed)
    what = repr(title) + (f" ({year})" if year else "")
    where = "TMDB's TV shows" if movie.kind == db.SHOW else "TMDB"
    return _answer(movie, f"Searching {where} for {what}…", "info", quiet=True)
