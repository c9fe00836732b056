"""TV on the item page (issue 14): which tabs and fields a show, season or episode page offers,
its breadcrumbs back to the show, and the "Seasons & episodes" tab: each season with its
episode files (numbers, title, aired, state, the reason a file is not matched), and the show's
episode order (docs/tv.md "Episode orders"): a switch that matches the episodes again. A show's
page costs a fixed number of statements whatever its number of episodes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, request, url_for

from metarrd import db
from metarrd.config import (
    ALL_SEASONS,
    ASSET_TYPES,
    EPISODE_THUMB,
    SEASON_ART_TYPES,
    SHOW_ART_TYPES,
)
from metarrd.errors import MetarrdError
from metarrd.fields import BLOCK_FIELDS
from metarrd.identify import (
    EPISODE_ORDERS,
    ORDER_CHANGED,
    order_label,
    order_of,
    set_episode_order,
)
from metarrd.pipeline import jobs
from metarrd.web import busy, queries
from metarrd.web.errors import no_such, not_found
from metarrd.web.states import actions_for

log = logging.getLogger(__name__)
bp = Blueprint("tv", __name__)

# kind -> the item page's tabs (name -> label); movies keep item.TABS
TABS = {
    db.SHOW: {
        "overview": "Overview",
        "episodes": "Seasons & episodes",
        "artwork": "Artwork",
        "cast": "Cast",
        "files": "Files",
        "history": "History",
        "publish": "Preview & publish",
    },
    db.SEASON: {
        "overview": "Overview",
        "episodes": "Episodes",
        "artwork": "Artwork",
        "history": "History",
        "publish": "Preview & publish",
    },
    db.EPISODE: {
        "overview": "Overview",
        "artwork": "Artwork",
        "cast": "Guest stars",
        "files": "Files & streams",
        "history": "History",
        "publish": "Preview & publish",
    },
}
# kind -> the fields its page edits (what the TV NFOs write)
FIELDS = {
    db.SHOW: (
        "title",
        "original_title",
        "sort_title",
        "year",
        "premiered",
        "status",
        "mpaa",
        "rating",
        "votes",
        "plot",
        "genres",
        "studios",
        "tags",
    ),
    db.SEASON: ("title", "premiered", "plot"),
    db.EPISODE: ("title", "aired", "runtime", "rating", "votes", "plot", "directors", "writers"),
}
# a later episode's own fields of a multi-episode file (`title-2`, `aired-2`, `plot-2`), in the
# order of the item's: listed under "Episodes in this file"
BLOCK_FIELD_ORDER = tuple(f for f in FIELDS[db.EPISODE] if f in BLOCK_FIELDS)
# kind -> the artwork types TV enrich looks for (docs/tv.md "Enrich"): what "no candidates for"
# names, and the order of the artwork tab
ART_TYPES = {
    db.SHOW: SHOW_ART_TYPES
    + tuple(ALL_SEASONS + t for t in SEASON_ART_TYPES if t != "fanart")
    + (ALL_SEASONS + "fanart",),
    db.SEASON: SEASON_ART_TYPES,
    db.EPISODE: (EPISODE_THUMB,),
}
# a movie's: every type but a show's "all seasons" art (movie publish has no name for it)
MOVIE_ART_TYPES = tuple(t for t in ASSET_TYPES if not t.startswith(ALL_SEASONS))


def art_types(movie: db.Movie) -> tuple[str, ...]:
    """The artwork types an item of this kind has: what its page may add or lock. Another
    level's type (a season's clearlogo, a movie's season-all-poster) would be chosen where no
    tab shows it, and publish would skip it or fail on it."""
    return ART_TYPES.get(movie.kind, MOVIE_ART_TYPES)


def is_tv(movie: db.Movie) -> bool:
    return movie.kind in TABS


def season_name(number: int | None, title: str | None = None) -> str:
    if title:
        return title
    if number is None:
        return "Not matched to an episode"
    return "Specials" if number == 0 else f"Season {number}"


def episode_code(season: int | None, numbers: list[int] | None) -> str:
    """S01E04, S01E04–E05 for a file of two or more episodes; "—" without numbers."""
    if season is None or not numbers:
        return "—"
    code = f"S{season:02d}E{numbers[0]:02d}"
    if len(numbers) > 1:
        code += f"–E{numbers[-1]:02d}"
    return code


def episode_numbers(movie: db.Movie) -> tuple[int | None, list[int]]:
    """(season, episode numbers) of an episode file (`db.Movie.episode_numbers`: its name's, else
    those identify matched to its air date); (None, []) for a file matched to no episode."""
    return movie.episode_numbers()


def file_code(movie: db.Movie) -> str:
    """An episode file's code (S01E04–E05), "—" for a file matched to no episode."""
    return episode_code(*episode_numbers(movie))


def episode_title(movie: db.Movie) -> str | None:
    """Every title of the episodes an episode file holds, "Pilot / Cat's in the Bag" for
    S01E01E02: the item's own title is its first episode's (what the user edits), the others
    are in `episode_details`. None without any title."""
    details = movie.episode_details or []
    more = [d.get("title") for d in details[1:] if isinstance(d, dict)]
    return " / ".join(t for t in [movie.title, *more] if t) or None


def episode_heading(movie: db.Movie) -> str:
    """An episode page's heading: its episodes' titles, else its file's name (as the seasons
    list names a file without a title)."""
    return episode_title(movie) or movie.path.rsplit("/", 1)[-1]


def page_title(movie: db.Movie) -> str:
    """An item page's title in the browser (its tab, history, a bookmark): the heading's name."""
    name = episode_heading(movie) if movie.kind == db.EPISODE else movie.title
    return name or f"Item {movie.id}"


def show_titles(items: list[db.Movie]) -> dict[int, str]:
    """show id -> title of the shows of these seasons and episodes (one statement; none
    without any)."""
    ids = {m.show_id for m in items if m.kind in (db.SEASON, db.EPISODE) and m.show_id}
    if not ids:
        return {}
    M = db.Movie
    return dict(M.select(M.id, M.title).where(M.id.in_(sorted(ids))).tuples())


def item_name(movie: db.Movie, shows: dict[int, str]) -> str:
    """How a list of items of every kind names one: a movie or a show by its title (its file's
    name without), a season and an episode file after their show ("Firefly · Season 1",
    "Breaking Bad · S01E04–E05 Cancer Man / Gray Matter"): "Season 1" alone is every show's."""
    if movie.kind == db.SEASON:
        name = season_name(movie.season, movie.title)
    elif movie.kind == db.EPISODE:
        code = file_code(movie)
        name = episode_heading(movie) if code == "—" else f"{code} {episode_heading(movie)}"
    else:
        return movie.title or movie.path.rsplit("/", 1)[-1]
    show = shows.get(movie.show_id)
    return f"{show} · {name}" if show else name


def item_actions(movie: db.Movie) -> list[str]:
    """The action bar's buttons: a season or an episode is enriched and published with its
    show, and is never identified on its own (its show is)."""
    offered = actions_for(movie)
    if movie.kind in (db.SEASON, db.EPISODE):
        return [a for a in offered if a != "identify"]
    return offered


@dataclass
class Crumb:
    label: str
    href_id: int | None  # the item page it links to; None: the library's shows


def family(movie: db.Movie) -> tuple[db.Movie | None, db.Movie | None]:
    """(its show, its season item) of a season or episode; (the show, None) of a show."""
    if movie.kind == db.SHOW:
        return movie, None
    if movie.kind == db.SEASON:
        return db.Movie.get_or_none(db.Movie.id == movie.show_id), movie
    if movie.kind == db.EPISODE:
        show = db.Movie.get_or_none(db.Movie.id == movie.show_id)
        season = None
        number, _numbers = episode_numbers(movie)
        if number is not None:
            season = (
                db.Movie.select()
                .where(
                    db.Movie.show == movie.show_id,
                    db.Movie.kind == db.SEASON,
                    db.Movie.season == number,
                )
                .first()
            )
        return show, season
    return None, None


def crumbs(movie: db.Movie) -> list[Crumb]:
    """Shows › the show › the season › (this page): the links above a TV item's title."""
    show, season = family(movie)
    out = [Crumb("Shows", None)]
    if show is not None and show.id != movie.id:
        out.append(Crumb(show.title or "(show)", show.id))
    if season is not None and season.id != movie.id:
        out.append(Crumb(season_name(season.season, season.title), season.id))
    return out


def owner(movie: db.Movie) -> db.Movie:
    """The item that publishes: a show is published as one unit."""
    if movie.kind in (db.SEASON, db.EPISODE) and movie.show_id:
        return db.Movie.get_or_none(db.Movie.id == movie.show_id) or movie
    return movie


def action_name(movie: db.Movie, action: str) -> str:
    """How the answer to an item's Enrich or Publish names what it acts on: a season's act on
    its show, and so do an episode's unless it acts alone (`enriches_alone`,
    `publishes_alone`): "Breaking Bad (the whole show)", not "Breaking Bad · Season 1"."""
    shows = show_titles([movie])
    if movie.kind in (db.SEASON, db.EPISODE) and movie.show_id in shows:
        alone = enriches_alone if action == "enrich" else publishes_alone
        if movie.kind == db.SEASON or not alone(movie):
            return f"{shows[movie.show_id]} (the whole show)"
    return item_name(movie, shows)


def publishes_alone(movie: db.Movie) -> bool:
    """An episode of a published show: its Publish writes that episode alone (docs/tv.md
    "Publish"), and its page offers the whole show's publish beside it."""
    from metarrd.publish import publishes_alone as alone

    if movie.kind != db.EPISODE or not movie.show_id:
        return False
    return db.Movie.select().where(db.Movie.id == movie.show_id).exists() and alone(movie)


def enriches_alone(movie: db.Movie) -> bool:
    """An episode of an enriched show whose season is enriched: its Enrich fetches that episode
    alone (docs/tv.md "Enrich"); else Enrich on it enriches its whole show."""
    from metarrd.enrich import enriches_alone as alone

    return alone(movie)


def publish_scope(movie: db.Movie, asked: str | None) -> tuple[str | None, bool]:
    """(what an episode page's Preview & publish previews and publishes, whether it could
    publish the episode alone): "episode" (it alone, its show published) unless the whole show
    is asked for (`?scope=show`), else "show" (a show never published is published whole).
    (None, False): not an episode."""
    if movie.kind != db.EPISODE:
        return None, False
    alone = publishes_alone(movie)
    return ("episode" if alone and asked != "show" else "show"), alone


@dataclass
class EpisodeRow:
    movie: db.Movie
    code: str
    aired: str | None
    numbers: list[int] = field(default_factory=list)  # its episodes' (tv.episode_numbers)
    thumb: str | None = None  # the preview of its selected thumb (its still)


@dataclass
class SeasonView:
    number: int | None
    name: str
    item: db.Movie | None = None  # the season item (its page, poster)
    poster: str | None = None
    episodes: list[EpisodeRow] = field(default_factory=list)
    files: int = 0  # its episode files, listed or not
    folded: bool = False  # its files are listed on its own page, not the show's
    paging: Paging | None = None  # on its own page: which of its files this page lists

    @property
    def unlisted(self) -> int:
        return 0 if self.paging else self.files - len(self.episodes)


@dataclass(frozen=True)
class Paging:
    """Which of a season's files its page lists: "Episodes 101–200 of 500", page 2 of 5."""

    page: int
    pages: int
    first: int  # the number of the first file listed, from 1
    last: int
    total: int


# A show's tab lists its episode files up to this many; a longer show (a daily show's thirty
# seasons of 500 files: a 6 MB page) lists its seasons, each page listing its own files.
SHOW_FILES_LISTED = 500
# A season's page lists its files this many at a time (a daily show's season of 500, a long
# anime season: one page of about 300 KB), with Previous / Next between them.
SEASON_FILES_PAGE = 100


EPISODE_COLUMNS = (
    db.Movie.id,
    db.Movie.kind,
    db.Movie.path,
    db.Movie.title,
    db.Movie.season,
    db.Movie.episodes,
    db.Movie.episode_details,  # the titles of a file's second and later episodes
    db.Movie.episode_refs,  # a file named by air date: the episodes identify matched
    db.Movie.aired,
    db.Movie.identification_status,
    db.Movie.publish_state,
    db.Movie.publish_warnings,
    db.Movie.missing,
    db.Movie.last_error,
)


# what orders a season's files and tells which season a file named by air date is in
KEY_COLUMNS = (
    db.Movie.id,
    db.Movie.path,
    db.Movie.season,
    db.Movie.episodes,
    db.Movie.episode_refs,
)


def _season_files(show: db.Movie, only: int, page: int) -> tuple[list[db.Movie], Paging]:
    """One page of season `only`'s episode files, in number order, and where it is among them:
    the keys of its files (and of the files named by air date, whose season is identify's: two
    ranges of the (show, kind, season) index, not every file of the show), then the page's
    rows. Two statements, and a page's rows, however long the season."""
    M = db.Movie
    mine = M.select(*KEY_COLUMNS).where(M.show == show.id, M.kind == db.EPISODE)
    keys = sorted(
        (numbers, ep.path, ep.id)
        for ep in mine.where(M.season == only) + mine.where(M.season.is_null())
        for number, numbers in [episode_numbers(ep)]
        if number == only
    )
    total = len(keys)
    pages = max(1, -(-total // SEASON_FILES_PAGE))
    page = min(max(page, 1), pages)  # a stale link past the last page: the last page
    start = (page - 1) * SEASON_FILES_PAGE
    ids = [i for _numbers, _path, i in keys[start : start + SEASON_FILES_PAGE]]
    rows = {m.id: m for m in M.select(*EPISODE_COLUMNS).where(M.id.in_(ids))} if ids else {}
    shown = [rows[i] for i in ids if i in rows]
    return shown, Paging(page, pages, start + 1 if ids else 0, start + len(ids), total)


def seasons(show: db.Movie, only: int | None = None, page: int = 1) -> list[SeasonView]:
    """The show's seasons in order (specials last), each with its episode files in number
    order, with their thumbs; files without numbers in a last group of their own. Four
    statements. The whole show of more than SHOW_FILES_LISTED files: its seasons folded (their
    rows on their own pages), at most that many of its files without numbers. Season `only`
    alone: its `page` of SEASON_FILES_PAGE files (five statements)."""
    M = db.Movie
    season_items = list(M.select().where(M.show == show.id, M.kind == db.SEASON).order_by(M.season))
    paging = None
    if only is not None:
        episodes, paging = _season_files(show, only, page)
    else:
        episodes = list(M.select(*EPISODE_COLUMNS).where(M.show == show.id, M.kind == db.EPISODE))
    posters = queries.first_posters([s.id for s in season_items]) if season_items else {}
    views: dict[int | None, SeasonView] = {}
    for item in season_items:
        if only is None or item.season == only:
            views[item.season] = SeasonView(
                item.season, season_name(item.season, item.title), item, posters.get(item.id)
            )
    fold = only is None and len(episodes) > SHOW_FILES_LISTED
    rows: list[EpisodeRow] = []
    for ep in episodes:
        number, numbers = episode_numbers(ep)
        if only is not None and number != only:
            continue
        view = views.setdefault(number, SeasonView(number, season_name(number)))
        view.files += 1
        if paging is not None:
            view.paging, view.files = paging, paging.total
        view.folded = fold and view.item is not None  # a season with a page of its own
        if view.folded:
            continue
        row = EpisodeRow(ep, episode_code(number, numbers), ep.aired, numbers)
        view.episodes.append(row)
    for number in [n for n, v in views.items() if v.item and v.item.missing and not v.files]:
        del views[number]  # a season another episode order left without files (its item kept)
    for view in views.values():
        view.episodes.sort(key=lambda r: (r.numbers, r.movie.path))
        if fold:
            del view.episodes[SHOW_FILES_LISTED:]
        rows.extend(view.episodes)
    thumbs = queries.first_selected([r.movie.id for r in rows], "thumb") if rows else {}
    for row in rows:
        row.thumb = thumbs.get(row.movie.id)

    def order(number: int | None) -> tuple[int, int]:
        if number is None:
            return (2, 0)
        return (1, 0) if number == 0 else (0, number)

    return [views[n] for n in sorted(views, key=order)]


# --- the show's episode order -----------------------------------------------------------------


@dataclass
class OrderChoice:
    name: str
    label: str
    selected: bool


def order_choices(show: db.Movie) -> list[OrderChoice]:
    """The episode orders a show can follow, its own selected."""
    current = order_of(show.ordering)
    return [OrderChoice(n, order_label(n), n == current) for n in EPISODE_ORDERS]


@bp.post("/movies/<int:movie_id>/episode-order")
def episode_order(movie_id: int):
    """Switch the show's episode order; its identify job (the show as it is identified when the
    job runs: `steps.do_identify`) matches every episode again, and the enrich that follows
    fetches their metadata."""
    show = queries.movie_or_404(movie_id)
    if show.kind != db.SHOW:
        article = "an" if show.kind == db.EPISODE else "a"
        not_found(f"show {movie_id} (item {movie_id} is {article} {show.kind})")
    order = request.form.get("order", "")
    back = redirect(url_for("item.show", movie_id=show.id, tab="episodes"), code=303)
    if order not in EPISODE_ORDERS:
        flash(no_such(f"episode order {order[:40]!r}"), "danger")
        return back
    try:
        changed = busy.retrying(lambda: set_episode_order(show, order))
        if show.tmdb_id is None:
            flash(f"{order_label(order)} stored: the episodes follow it once the show is "
                  "identified.", "info")  # fmt: skip
            return back
        # no id: the show read now may be changed before the job runs (the user's choice on its
        # Identify page queued, or run first), and the id would have identified it back
        job = busy.retrying(
            lambda: jobs.enqueue_identify(show.id, source=ORDER_CHANGED, manual=True)
        )
    except MetarrdError as exc:
        flash(str(exc), "danger")
        return back
    log.info("item %d: episode order %s (job %d)", show.id, order, job.id)
    what = "now" if changed else "again"
    flash(f"{show.display_title}: episodes are matched {what} in {order_label(order)}.", "success")
    return back
