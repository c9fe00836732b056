"""IDENTIFY for TV: a show's TMDB TV id, never by a guess, then its episodes by their numbers.

Show order (docs/interface.md §7, docs/tv.md): id tags in the folder name → the user's `tvshow.nfo`
(uniqueid, legacy `<id>`, `episodeguide`, URLs) → a TMDB TV search on the folder's title and
year, ranked by match.py's named penalties (two shows of one title are told apart by year, or
left for the user). Episodes: by the numbers in their file names in the show's episode order
(docs/tv.md "Episode orders"; daily shows by air date): TMDB's aired order (the default), or
TheTVDB's aired, DVD or absolute order. Each episode's TMDB id and TheTVDB id are joined by the
providers' own cross-ids (TMDB's episode `external_ids.tvdb_id`; `/find/{tvdb episode id}` the
other way), never by assuming both providers number alike. Where their numbering differs, the
show's `numbering_note` says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import cache, db
from metarrd.errors import ItemError, NotFound, ProviderError, ProviderUnavailable
from metarrd.fields import BLOCK_FIELDS, DETAIL_FIELDS, block_lock_name, follow_title
from metarrd.identify.episodes import (
    EPISODE_ORDERS,
    MAX_RANGE,
    absolute_numbers,
    absolute_order_hint,
    display_order,
    episode_folders,
    order_label,
    order_of,
    parse_episode,
    season_of_folder,
    without_paired_absolute,
)
from metarrd.identify.match import (
    Match,
    SearchResult,
    is_confident,
    names_one_of,
    normalize_title,
    rank_candidates,
    search_plan,
)
from metarrd.identify.posters import add_posters
from metarrd.identify.seasons import season_item
from metarrd.identify.stage import (
    OLD_FILMS_ELEMENTS,
    ORDER_CHANGED,
    candidate_dicts,
    drop_nfo_elements,
    forget_enriched_fields,
    forget_provider_rows,
    identified_how,
    stranded_locks,
    unknown_imdb,
    without_nfo_elements,
)
from metarrd.providers import finite, whole
from metarrd.providers.tvdb import language_code
from metarrd.runtime import Runtime
from metarrd.text import count, toml_string

log = logging.getLogger(__name__)


def _result(item_id: int, identified: bool, reason: str, error: bool = False):
    from metarrd.identify.stage import IdentifyResult

    return IdentifyResult(item_id, identified, reason, error)


def tv_search_result(result: dict[str, Any]) -> SearchResult:
    """One `/search/tv` item as match.py ranks it (name, original name, first-air year)."""
    date = result.get("first_air_date") or ""
    return SearchResult(
        tmdb_id=int(result["id"]),
        title=result.get("name") or result.get("original_name") or "",
        original_title=result.get("original_name"),
        year=int(date[:4]) if date[:4].isdigit() else None,
        popularity=finite(result.get("popularity")) or 0.0,
        vote_count=whole(result.get("vote_count")) or 0,
        overview=result.get("overview") or None,
        poster_path=result.get("poster_path"),
    )


# TheTVDB (so Sonarr's folders) tells remakes apart by a country after the title: `The Office
# (US)`, `Shameless (UK)`, `Ghosts (US)`; TMDB's name has no such tag, its `origin_country` says it
_COUNTRY_TAG = re.compile(r"^(?P<title>.+?)\s*\((?P<country>US|UK|GB|AU|CA|NZ|IE|DE|FR)\)$")


def country_tag(title: str) -> tuple[str, str | None]:
    """`The Office (US)` -> ("The Office", "US"); `Shameless (UK)` -> ("Shameless", "GB"),
    as TMDB's ISO 3166-1 `origin_country`; a title without the tag is returned as it is."""
    m = _COUNTRY_TAG.match(title.strip())
    if not m:
        return title, None
    country = m.group("country")
    return m.group("title"), "GB" if country == "UK" else country


def search_shows(rt: Runtime, title: str, year: int | None) -> list[Match]:
    """TMDB's shows for a folder's title and year, ranked; a country tag (`The Office (US)`)
    is searched without the tag and keeps only the shows of that country when any is."""
    title, country = country_tag(title)
    seen: dict[int, SearchResult] = {}
    countries: dict[int, list] = {}
    matches: list[Match] = []
    for attempt in search_plan(title, year):
        for result in rt.tmdb.search_tv(attempt["query"], attempt.get("year")):
            cand = tv_search_result(result)
            seen.setdefault(cand.tmdb_id, cand)
            countries.setdefault(cand.tmdb_id, result.get("origin_country") or [])
        found = list(seen.values())
        if country and any(country in countries[c.tmdb_id] for c in found):
            found = [c for c in found if country in countries[c.tmdb_id]]
        matches = rank_candidates(title, year, found)
        if matches and is_confident(matches):
            break
    return matches


def _by_ids(
    rt: Runtime, tmdb_id=None, tvdb_id=None, imdb_id=None, append: str = "external_ids"
) -> dict[str, Any] | None:
    """TMDB's show of the first id TMDB knows: its own, else TheTVDB's or IMDb's by `/find`
    (TMDB merges duplicate shows and drops the other id, which an older NFO still names)."""
    if tmdb_id and (details := rt.tmdb.tv_or_none(int(tmdb_id), append=append)) is not None:
        return details
    for value, source in ((tvdb_id, "tvdb_id"), (imdb_id, "imdb_id")):
        if value:
            found = rt.tmdb.find(str(value), source).get("tv_results") or []
            if found:
                return rt.tmdb.tv_or_none(int(found[0]["id"]), append=append)
    return None


def _not_named(details: dict[str, Any], hints: dict[str, Any]) -> str | None:
    """None when TMDB's show bears a title the tvshow.nfo or the folder gives (its name,
    original name or an alternative title); else why its number is not taken. Kodi up to 17
    wrote its scraper's id in `<id>`, whatever the site (AniDB's scraper its anime id)."""
    alternatives = (details.get("alternative_titles") or {}).get("results") or []
    titles = [details.get("name"), details.get("original_name")]
    titles += [t.get("title") for t in alternatives if isinstance(t, dict)]
    names = [*(hints.get("nfo_titles") or []), hints.get("folder_title"),
             hints.get("folder_whole_title")]  # fmt: skip
    names = [n for n in names if isinstance(n, str) and n]
    if names_one_of([t for t in titles if isinstance(t, str)], names):
        return None
    date = details.get("first_air_date") or ""
    found = f"{details.get('name')!r} ({date[:4] or '?'})"
    if not names:
        return (
            f"TMDB's show of that number is {found}, and neither the NFO nor the folder has a title"
        )
    return (
        f"TMDB's show of that number is {found}, not {names[0]!r}; the number may be another site's"
    )


def identify_show(
    rt: Runtime,
    show: db.Movie,
    *,
    tmdb_id: int | None = None,
    tvdb_id: int | None = None,
    imdb_id: str | None = None,
    source: str | None = None,
    series_type: str | None = None,
):
    """Identify a show, then its episodes. Explicit ids (manual, webhook) skip the search;
    unknown ones are an ItemError. `series_type` is Sonarr's (its webhook): the episode order
    the show starts in (_default_order)."""
    if tmdb_id or tvdb_id or imdb_id:
        details = _by_ids(rt, tmdb_id, tvdb_id, imdb_id)
        if details is None:
            if not (tmdb_id or tvdb_id):
                raise unknown_imdb(rt, str(imdb_id), "tv")
            what = f"TMDB TV id {tmdb_id}" if tmdb_id else f"TheTVDB id {tvdb_id}"
            raise ItemError(f"{what} is unknown to TMDB")
        return _identified(rt, show, details, source or "manual", series_type=series_type)
    hints = show.hints or {}
    notes = []
    for prefix, label in (("folder", "the folder name"), ("nfo", "tvshow.nfo")):
        ids = {k: hints.get(f"{prefix}_{k}") for k in ("tmdb_id", "tvdb_id", "imdb_id")}
        if any(ids.values()):
            # a number in `<id>` or an untyped uniqueid, read as TheTVDB's, may be another
            # site's: taken only when TMDB's show of it bears the NFO's or the folder's title
            unnamed = prefix == "nfo" and hints.get("nfo_tvdb_unnamed") and not ids["tmdb_id"]
            details = _by_ids(
                rt, **ids, append="external_ids,alternative_titles" if unnamed else "external_ids"
            )
            if details is not None and unnamed and (mismatch := _not_named(details, hints)):
                notes.append(
                    f"{label}'s {ids['tvdb_id']} (read as TheTVDB's) is no id it can be sure of: {mismatch}"
                )
                continue
            if details is not None:
                return _identified(rt, show, details, prefix)
            named = ", ".join(f"{k} {v}" for k, v in ids.items() if v)
            notes.append(f"{label} names {named}, which TMDB does not know")
    named_by_episodes = _episode_url_show_ids(show)
    if named_by_episodes:
        details = _by_ids(rt, **{f"{k}_id": v for k, v in named_by_episodes.items()})
        if details is not None:
            return _identified(rt, show, details, "episode nfo")
        named = ", ".join(f"{k} {v}" for k, v in named_by_episodes.items())
        notes.append(f"the episode NFOs' URLs name {named}, which TMDB does not know")
    title = hints.get("folder_title") or show.title
    year = hints.get("folder_year")
    matches = search_shows(rt, title, year)
    whole = hints.get("folder_whole_title")
    sure = bool(matches) and is_confident(matches)
    # `Space 1999`: the year that ends the folder's name is the title's own
    if whole and not sure and (found := search_shows(rt, whole, None)) and is_confident(found):
        matches, title, year = found, whole, None
    candidates = candidate_dicts(matches)  # as a movie's: title, year, overview, poster, reasons
    if matches and is_confident(matches):
        details = rt.tmdb.tv_or_none(matches[0].candidate.tmdb_id)
        if details is not None:
            return _identified(rt, show, details, "search", candidates)
    what = repr(title) + (f" ({year})" if year else "")
    if not matches:
        reason = f"TMDB has no TV show matching {what}"
    else:
        best = matches[0]
        reason = (
            f"no confident match for the show {what}: best {best.candidate.title!r} "
            f"({best.candidate.year or '?'}), {'; '.join(best.reasons) or best.recommendation}; "
            f"choose one in the UI or run `metarrd identify {show.id} --tmdb ID` (or --tvdb ID)"
        )
    if shows := _shows_inside(show):
        reason += (
            f"; its files are in show folders of their own below it ({', '.join(shows)}): "
            "Kodi takes each folder right in a TV library for one show, so a "
            f"folder of shows is a library of its own: [[library]] path = {toml_string(show.path, prefer_literal=True)}, "
            'kind = "tv"'
        )
    reason = "; ".join(notes + [reason])
    candidates = add_posters(rt, candidates)  # the user chooses: show the posters
    with db.write_transaction():
        rt.require_lease([show.id], "its candidates")
        db.Movie.update(
            candidates=candidates, last_error=_with_scan_errors(show, reason), updated_at=db.now()
        ).where(db.Movie.id == show.id).execute()
        db.record_event("identify.unsure", reason, movie=show.id, level="warning")
    log.warning("item %d (%s): %s", show.id, show.path, reason)
    return _result(show.id, False, reason)


def _shows_inside(show: db.Movie) -> list[str]:
    """The folders right in the show's folder that hold season folders, when it is a folder of
    shows (`TV/Cartoons/Futurama (1999)/Season 01/…`, a category folder) rather than a show:
    the show is then searched by the category's name and its episodes are another show's. At
    most three, by name."""
    found: set[str] = set()
    episodes = db.Movie.select(db.Movie.path).where(
        db.Movie.show == show.id, db.Movie.kind == db.EPISODE, ~db.Movie.missing
    )
    for (path,) in episodes.tuples():
        try:
            parts = Path(path).parent.relative_to(show.path).parts
        except ValueError:
            continue
        if (
            len(parts) >= 2
            and season_of_folder(parts[0], numeric=True) is None
            and season_of_folder(parts[1], numeric=True) is not None
        ):
            found.add(parts[0])
    return sorted(found)[:3]


def _episode_url_show_ids(show: db.Movie) -> dict[str, int]:
    """The show ids the episode NFOs that are only a URL name (themoviedb.org/tv/1399/season/1/
    episode/2), when they all name one show; {} otherwise."""
    named = {
        tuple(sorted(ids.items()))
        for (hints,) in db.Movie.select(db.Movie.hints)
        .where(db.Movie.show == show, db.Movie.kind == db.EPISODE, ~db.Movie.missing)
        .tuples()
        if isinstance(ids := (hints or {}).get("nfo_show_ids"), dict) and ids
    }
    return dict(next(iter(named))) if len(named) == 1 else {}


# the reasons of an episode the provider does not list (yet): a new episode aired today is on
# neither TMDB nor TheTVDB for hours, and the job chain matches it again later (chain.py)
_UNLISTED = re.compile(r"\b(TMDB|TheTVDB) has no (episode|season)\b")


def unlisted(episode: db.Movie) -> bool:
    """An unmatched episode whose reason is that a provider does not list it (yet), not a
    name that cannot be read."""
    error = episode.last_error or ""
    problem = (episode.hints or {}).get("name_problem")
    return (
        episode.identification_status == db.UNIDENTIFIED
        and not problem
        and bool(_UNLISTED.search(error))
    )


def unlisted_episodes(show: db.Movie) -> list[db.Movie]:
    """The show's episodes `unlisted` says a provider does not list yet."""
    query = db.Movie.select().where(
        db.Movie.show == show.id, db.Movie.kind == db.EPISODE, ~db.Movie.missing
    )
    return [e for e in query if unlisted(e)]


def _with_scan_errors(item: db.Movie, reason: str | None) -> str | None:
    parts = [*((item.hints or {}).get("scan_errors") or [])]
    return "; ".join(parts + ([reason] if reason else [])) or None


def _default_order(
    rt: Runtime,
    source: str,
    tvdb_id: int | None,
    series_type: str | None = None,
    nfo_default: str | None = None,
) -> str:
    """The order a show's file names count by, when nothing says otherwise: for a show Sonarr
    sent (its webhook: Sonarr names every file by TheTVDB's numbers, kodi-tv.md §3.4), where
    TheTVDB can be asked, TheTVDB's absolute order for an `anime` series (its files may carry
    only the absolute number, `[SubsPlease] Frieren - 12 (1080p)`; `SxxEyy` names are still
    read in TheTVDB's aired order there), else TheTVDB's aired order (a `daily` series' files
    are matched by TheTVDB's air dates, as Sonarr matched them); else TMDB's. In TMDB's order
    such a show got TMDB's data on TheTVDB-numbered files wherever the two split seasons or
    specials apart, and an anime's absolute numbers matched nothing. The same for a show whose
    `tvshow.nfo` marks its TheTVDB id the default one (`nfo_default`: the file was written by
    Sonarr, by Kodi's TheTVDB scraper or by tinyMediaManager or MediaElch scraping TheTVDB, and
    its episodes were named and numbered by TheTVDB): TheTVDB's aired order."""
    if not tvdb_id or rt.client("tvdb") is None:
        return "tmdb"
    if source == "webhook":
        return "absolute" if series_type == "anime" else "tvdb"
    return "tvdb" if nfo_default == "tvdb" else "tmdb"


def order_chosen(show: db.Movie) -> bool:
    """The show's episode order is the user's: set on the show page or with `metarrd tv order`
    (set_episode_order's `review.edited` event), or by its tvshow.nfo's `<displayorder>`."""
    if display_order(show.nfo_extra):
        return True
    edits = db.Event.select(db.Event.data).where(
        db.Event.movie == show.id, db.Event.kind == "review.edited"
    )
    return any((e.data or {}).get("field") == "ordering" for e in edits)


def sonarr_switch(rt: Runtime, show: db.Movie, series_type: str | None) -> str | None:
    """The order an identified show Sonarr sends as an `anime` series switches to: TheTVDB's
    absolute order, when its order is another one nobody chose (it was first identified by its
    folder's name, or from a Sonarr webhook before the type was read) and TheTVDB can be
    asked; None otherwise. In any other order its absolute-numbered files match nothing, and
    Sonarr numbers the others by TheTVDB. A standard or daily series keeps its order: both
    orders match its files, by numbers or by air date."""
    if series_type != "anime" or not show.tvdb_id or rt.client("tvdb") is None:
        return None
    if show.ordering == EPISODE_ORDERS["absolute"][0] or order_chosen(show):
        return None
    return "absolute"


def _identified(
    rt: Runtime,
    show: db.Movie,
    details: dict,
    source: str,
    candidates=None,
    *,
    series_type: str | None = None,
):
    external = details.get("external_ids") or {}
    tmdb_id = int(details["id"])
    date = details.get("first_air_date") or ""
    forgotten: tuple[set[str], set[str]] = (set(), set())
    held: set[int] = set()
    with db.write_transaction():
        rt.require_lease([show.id], "its identification")
        show = db.Movie.get_by_id(show.id)
        changed_id = show.tmdb_id is not None and show.tmdb_id != tmdb_id
        if changed_id:  # "Change show…" to another show: the old one's ids go with it
            # the seasons its files were in: a file named by air date has its season from
            # the old show's match, which goes now (for `identify_episodes` to see them left)
            held = db.seasons_with_files(show.id, with_missing=False)
            forgotten = forget_show(show)
            show.tvdb_id = show.imdb_id = None
        show.tmdb_id = tmdb_id
        show.tvdb_id = external.get("tvdb_id") or show.tvdb_id
        show.imdb_id = external.get("imdb_id") or show.imdb_id
        name = details.get("name")
        if name and not show.is_locked("title") and not show.is_locked("sort_title"):
            # Kodi lists by <sorttitle>: "Change show…" from The Daily Show to Futurama left
            # "Daily Show" (derived from the old title), filing Futurama under D
            show.sort_title = follow_title(name, show.sort_title, show.title)
        for column, value in (
            ("title", details.get("name")),
            ("original_title", details.get("original_name")),
            ("year", int(date[:4]) if date[:4].isdigit() else None),
            ("premiered", date or None),
            ("status", details.get("status")),
        ):
            if value and not show.is_locked(column):
                setattr(show, column, value)
        if not show.is_locked("studios"):
            show.studios = [n["name"] for n in details.get("networks") or [] if n.get("name")]
        nfo_default = (show.hints or {}).get("nfo_default_id")
        if not show.ordering:  # a Jellyfin tvshow.nfo's <displayorder>, else the default
            show.ordering = EPISODE_ORDERS[
                display_order(show.nfo_extra)
                or _default_order(rt, source, show.tvdb_id, series_type, nfo_default)
            ][0]
        elif source == "webhook" and (switch := sonarr_switch(rt, show, series_type)):
            log.info("item %d: Sonarr's anime series: episode order %s, was %s", show.id,
                     EPISODE_ORDERS[switch][0], show.ordering)  # fmt: skip
            show.ordering = EPISODE_ORDERS[switch][0]
        if candidates is not None:
            show.candidates = candidates
        show.identification_status = db.IDENTIFIED
        if source != ORDER_CHANGED:  # an order changed: identified as it was (by hand, say)
            show.identified_by = source
        show.last_error = _with_scan_errors(show, None)
        show.updated_at = db.now()
        show.save()
        what = f"{show.title} ({show.year}) [tmdb tv {tmdb_id}]"
        if source != ORDER_CHANGED:
            reason = f"identified {identified_how(source)} as {what}"
        else:  # no search made, no id given: the show as it was, and how it was identified
            how = show.identified_by and f", identified {identified_how(show.identified_by)}"
            reason = f"episode order changed: kept as {what}{how or ''}"
        db.record_event("identify.done", reason, movie=show, tmdb_id=tmdb_id, source=source)
    if changed_id:  # the old show's images and previews, unless another row still uses them
        cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *forgotten)
    log.info("item %d: %s", show.id, reason)
    episodes = identify_episodes(rt, show, details, held=held)
    return _result(show.id, True, f"{reason}; {episodes}")


# what enrich puts on each kind of item (enrich/tv_metadata: show_fields, season_fields,
# episode_fields and its `episode_details`), dropped when the show becomes another show; and an
# episode's values that only its NFO gave (scan's `apply_nfo_values`: MediaElch's and Kodi's
# export's `<mpaa>` and `<studio>` of the show in every block, `<originaltitle>`, `<genre>`...),
# which no enrich of the new show replaces: the old show's, as the elements they came from
_PROVIDER_FIELDS: dict[str, dict[str, Any]] = {
    db.SHOW: {"plot": None, "rating": None, "votes": None, "mpaa": None, "trailer": None,
              "genres": [], "premiered": None, "status": None,
              # its tvshow.nfo's, which publish writes from the show alone (Jellyfin's
              # `<outline>` and `<runtime>` of Torchwood under Doctor Who, else)
              "outline": None, "tagline": None, "runtime": None, "countries": []},
    db.SEASON: {"title": None, "plot": None, "premiered": None},
    db.EPISODE: {"title": None, "plot": None, "aired": None, "runtime": None, "rating": None, "votes": None,
                 "directors": [], "writers": [], "episode_details": [],
                 # the old show's episode: one the new show has not stays matched to nothing
                 "episode_refs": [], "tmdb_id": None, "tvdb_id": None, "imdb_id": None,
                 "mpaa": None, "studios": [], "original_title": None, "sort_title": None,
                 "outline": None, "tagline": None, "premiered": None, "year": None,
                 "genres": [], "countries": [], "trailer": None},
}  # fmt: skip


# a tvshow.nfo's elements kept beside ours that speak of the show (MediaElch's and Kodi's
# `<namedseason>`, `<episodeguide>`), not of the user's copy: gone with the old show's id
OLD_SHOWS_ELEMENTS = OLD_FILMS_ELEMENTS | {"namedseason", "episodeguide"}
# an episode NFO's (each block's) elements kept beside ours that speak of the old show's
# episode: its other ids (TVmaze's), ratings (TheTVDB's, IMDb's), Top 250, cast, and what Kodi's
# reader takes of an episode that no TV provider gives (scan/tv_nfo's EPISODE_USERS_FIELDS:
# MediaElch's `<mpaa>` and `<studio>` of the show, Kodi's export's `<genre>`, `<premiered>`...),
# each with the name of the item's field it fills, a lock of which keeps it. Its watch state,
# user rating, tags and date added are the user's copy's: they stay (a special's placement
# goes where it names a place: `PLACEMENT_ELEMENTS`)
OLD_EPISODES_ELEMENTS: dict[str, str | None] = {
    **dict.fromkeys(OLD_FILMS_ELEMENTS),
    "originaltitle": "original_title", "sorttitle": "sort_title", "outline": "outline",
    "tagline": "tagline", "mpaa": "mpaa", "premiered": "premiered", "year": "year",
    "genre": "genres", "country": "countries", "studio": "studios", "trailer": "trailer",
    # the old episode's air date: publish's fallback where the new show's has none; its
    # production code (Kodi's export, tinyMediaManager), kept where the new show's has none
    "aired": "aired", "code": None,
}  # fmt: skip
# a special's place among the old show's episodes (TheTVDB's airsBefore/airsAfter, as Sonarr's
# Kodi metadata writes them, and Jellyfin's names of them, which Jellyfin reads alike): where
# one names a season or episode, the new show's special is not there (publish writes its own,
# which a user's placement would win over). Kodi's `-1` in every block places nothing: it stays
PLACEMENT_ELEMENTS = frozenset({"displayseason", "displayepisode", "displayafterseason",
                                "airsbefore_season", "airsbefore_episode", "airsafter_season"})  # fmt: skip
# a season.nfo's elements kept beside ours that speak of the old show's season (Jellyfin's and
# tinyMediaManager's `<tvdbid>`, which Jellyfin reads as the season's TheTVDB id, its cast...);
# its title and plot the season's (`_nfo_locks`), its `<art>`, `<lockdata>`, date added stay
OLD_SEASONS_ELEMENTS: dict[str, str | None] = {
    **{e: f for e, f in OLD_EPISODES_ELEMENTS.items() if e != "sorttitle"},
    "tvdbid": None, "runtime": "runtime", "director": "directors", "credits": "writers",
}  # fmt: skip
# an NFO block's values of the episode it named (scan's `hints["nfo_episodes"]`): publish
# writes them where the new show's episode has none (a later episode's title, plot, crew, its
# IMDb id), identify matches by its TheTVDB id
_BLOCK_VALUES = ("title", "plot", "aired", "runtime", "rating", "votes", "directors", "writers",
                 "tmdb_id", "tvdb_id", "imdb_id", "unnamed")  # fmt: skip


def forget_show(show: db.Movie) -> tuple[set[str], set[str]]:
    """The show is now another show ("Change show…" from Doctor Who 2005 to 1963): the old
    show's provider metadata (every field not locked), artwork candidates and cast go from the
    show, its seasons and its episodes, and they are no longer enriched, as tinyMediaManager
    and MediaElch drop a re-scrape's old data; the user's locked fields and own images stay,
    and so do the locks of artwork types, but those whose chosen images were the old show's
    (`stranded_locks`: the new show's enrich would choose none).
    Returns the cache files and previews named, for `cache.remove_unused` once committed."""
    M = db.Movie
    # the rows of the show and all its items at once (a daily show has 15,000 files)
    ids = M.select(M.id).where((M.id == show.id) | (M.show == show))
    stranded = stranded_locks(ids)  # the types whose chosen images are the old show's
    found = forget_provider_rows(ids)
    items = [show, *M.select().where(M.show == show)]
    touched = _users_fields([i.id for i in items if i.kind == db.SEASON])
    for item in items:
        forget_enriched_fields(item, stranded.get(item.id, ()))
        if item.kind == db.SHOW:  # its tvshow.nfo's ids, ratings, season names of the old show
            drop_nfo_elements(item, OLD_SHOWS_ELEMENTS)
        if item.kind == db.SEASON and (given := _nfo_locks(item, touched.get(item.id, set()))):
            # the name and plot the old show's NFOs gave its season, which scan locked
            item.locked_fields = [f for f in item.locked_fields or [] if f not in given]
        locked = set(item.locked_fields or [])
        if item.kind == db.EPISODE:  # its NFO's ids, ratings, cast of the old show's episode
            _forget_episode_nfo(item, locked)
        if item.kind == db.SEASON:  # its season.nfo's TheTVDB id, cast of the old show's
            _forget_season_nfo(item, locked)
        blocks_locked = any("-" in name for name in locked)
        # a later episode's locked title or date is the user's: its block keeps that
        blocks = _locked_blocks(item, locked) if blocks_locked else []
        for name, empty in _PROVIDER_FIELDS.get(item.kind, {}).items():
            if name not in locked:
                setattr(item, name, empty)
        if item.kind == db.EPISODE and blocks_locked:
            item.episode_details = blocks
        if item.identification_status == db.ENRICHED:
            item.identification_status = db.IDENTIFIED
        if item is not show:
            item.updated_at = db.now()
            item.save()
    db.record_event("identify.changed", "another show: the old show's metadata, artwork "
                    "and cast dropped", movie=show, tmdb_id=show.tmdb_id)  # fmt: skip
    return found


def _users_fields(ids: list[int]) -> dict[int, set[str] | None]:
    """Per item of `ids`, the fields the user edited or locked on its page (its `review.edited`
    and `review.locked` events); None for an item whose every field the user locked ("Lock
    fields"). An item the user never touched is not in it. A query per 500 items."""
    out: dict[int, set[str] | None] = {}
    E = db.Event
    for start in range(0, len(ids), 500):
        rows = E.select(E.movie, E.data).where(
            E.movie.in_(ids[start : start + 500]), E.kind.in_(("review.edited", "review.locked"))
        )
        for movie_id, data in rows.tuples():
            data = data if isinstance(data, dict) else {}
            if data.get("asset_type") is not None or out.get(movie_id, set()) is None:
                continue  # an artwork lock; or every field already
            if isinstance(field := data.get("field"), str):
                out.setdefault(movie_id, set()).add(field)
            else:  # "every field locked"
                out[movie_id] = None
    return out


def _nfo_locks(item: db.Movie, touched: set[str] | None) -> set[str]:
    """Of a season's locked title and plot, those scan took and locked from the show's NFOs
    (tvshow.nfo's `<namedseason>`, its season.nfo's `<title>`, `<plot>`: a name and plot of the
    old show's season, Jellyfin's and tinyMediaManager's TMDB text of it) and still as they gave
    them; not one the user edited or locked on the season's page (`touched`: `_users_fields`)."""
    if touched is None:
        return set()
    hints = item.hints or {}
    users = hints.get("season_nfo") if isinstance(hints.get("season_nfo"), dict) else {}
    given = {"title": (hints.get("namedseason"), users.get("title")), "plot": (users.get("plot"),)}
    locked = set(item.locked_fields or [])
    return {
        name
        for name, values in given.items()
        if name in locked
        and name not in touched
        and getattr(item, name) in values
        and getattr(item, name)
    }


def _forget_episode_nfo(item: db.Movie, locked: set[str]) -> None:
    """`item`, an episode (not saved), keeps nothing of what its NFO said of the old show's
    episode (`OLD_EPISODES_ELEMENTS`, `_BLOCK_VALUES`): neither in its `nfo_extra` nor in any
    block scan kept (`hints["nfo_episodes"]`: publish writes each block's `extra` back into
    that episode's block). The user's locked fields and cast stay."""
    names = [e for e, field in OLD_EPISODES_ELEMENTS.items() if field not in locked]
    item.nfo_extra = _without_placement(without_nfo_elements(item.nfo_extra, names, locked))
    hints = dict(item.hints or {})
    blocks = hints.get("nfo_episodes")
    if not isinstance(blocks, list):
        return
    numbers = [(item.season, n) for n in item.episodes or []]
    out: list[Any] = []
    for block in blocks:
        if not isinstance(block, dict):
            out.append(block)
            continue
        key = (block.get("season"), block.get("episode"))
        i = numbers.index(key) if key in numbers else None
        kept = {k: v for k, v in block.items() if k not in _BLOCK_VALUES}
        for name in _BLOCK_VALUES:  # a value the user locked in that episode (`title-2`)
            if (
                i is not None
                and name in block
                and ((name if i == 0 else block_lock_name(name, i)) in locked)
            ):
                kept[name] = block[name]
        if isinstance(block.get("extra"), list):
            kept["extra"] = _without_placement(without_nfo_elements(block["extra"], names, locked))
        out.append(kept)
    hints["nfo_episodes"] = out
    item.hints = hints


def _without_placement(extra: list[str]) -> list[str]:
    """The serialized elements `extra` but those of `PLACEMENT_ELEMENTS` that place the
    special: a number above 0 (as Kodi's `XMLUtils::GetInt` and Jellyfin's `TryReadInt` read it)."""
    return [e for e in extra if not (isinstance(e, str) and _PLACES.match(e))]


_PLACES = re.compile(
    rf"\s*<({'|'.join(sorted(PLACEMENT_ELEMENTS))})(\s[^>]*)?>\s*\+?0*[1-9][0-9]*\s*</", re.I
)


def _forget_season_nfo(item: db.Movie, locked: set[str]) -> None:
    """`item`, a season (not saved), keeps none of the elements of its season.nfo that scan kept
    for publish (`hints["season_nfo"]["extra"]`) that speak of the old show's season
    (`OLD_SEASONS_ELEMENTS`), but those of a field the user locked, and a locked cast."""
    hints = dict(item.hints or {})
    users = hints.get("season_nfo")
    if not isinstance(users, dict) or not isinstance(users.get("extra"), list):
        return
    names = [e for e, field in OLD_SEASONS_ELEMENTS.items() if field not in locked]
    hints["season_nfo"] = {**users, "extra": without_nfo_elements(users["extra"], names, locked)}
    item.hints = hints


def _locked_blocks(item: db.Movie, locked: set[str]) -> list[Any]:
    """The `episode_details` of a file whose later episode has a field of its own locked
    (`aired-2`), the old show's gone: each block's numbers and the fields the user locked in
    it, which enrich keeps (`keep_locked`), and none of the old show's titles, plots, crews,
    guests or episode ids (publish writes a block's ids as its `<uniqueid>`s)."""
    out: list[Any] = []
    for i, block in enumerate(item.episode_details or []):
        if not isinstance(block, dict):
            out.append(block)
            continue
        kept = {k: block[k] for k in ("season", "episode") if k in block}
        for name in DETAIL_FIELDS if i == 0 else BLOCK_FIELDS:
            if (name if i == 0 else block_lock_name(name, i)) in locked and name in block:
                kept[name] = block[name]
        out.append(kept)
    return out


def identify_episodes(
    rt: Runtime,
    show: db.Movie,
    details: dict | None = None,
    only: Collection[int] | None = None,
    held: Collection[int] = (),
) -> str:
    """Match every episode item of an identified show in its episode order; each failure stays
    on its episode. `only`: those episodes alone (a new file in a show matched before: the
    others keep their match and their status, and their seasons are not fetched again).
    `held`: the seasons its files were in before the old show's matches were dropped ("Change
    show…"), left behind too when no file is in them now."""
    items = [
        item
        for item in db.Movie.select().where(
            db.Movie.show == show, db.Movie.kind == db.EPISODE, ~db.Movie.missing
        )
        if only is None or item.id in only
    ]
    if not items:
        return "no episode files"
    guide = _Guide(rt, show, details)
    done = failed = 0
    seasons: set[int] = set()  # the seasons of the files matched
    before = {n for item in items if (n := item.episode_numbers()[0]) is not None} | set(held)
    mismatches: list[str] = []
    in_other_order: list[dict] = []  # files whose names title another order's episode
    tvdb_only = 0
    for item in items:
        own = None if guide.order == "absolute" else _own_numbers(show, item)
        if own is not None:  # `Season 2/Naruto - 08`: S02E08 outside the absolute order
            item.season, item.episodes = own
        ok, reason, refs = guide.match(item)
        with db.write_transaction():
            rt.require_lease([show.id, *(i.id for i in items)], "its episodes' numbers")
            fresh = db.Movie.get_by_id(item.id)
            absolute = absolute_numbers((fresh.hints or {}).get("name_absolute"))
            if own is not None:
                fresh.season, fresh.episodes = own
            elif absolute and fresh.episodes:  # numbers mapped in an earlier absolute order
                fresh.season, fresh.episodes = None, []
            absolute = absolute if guide.order == "absolute" else ()
            if ok:
                first = refs[0]
                fresh.tmdb_id, fresh.tvdb_id = first["tmdb_id"], first.get("tvdb_id")
                if not fresh.is_locked("aired"):  # the user's edited date stays
                    fresh.aired = first.get("aired") or fresh.aired
                if (titled := guide.titled_in_other_order(fresh, refs)) is not None:
                    refs[0]["titled_in"] = titled  # kept: the show's note counts them all
                fresh.episode_refs = refs
                if absolute:  # the NFO carries the real season and episodes (Kodi's reading)
                    fresh.season, fresh.episodes = first["season"], [r["episode"] for r in refs]
                fresh.identification_status = db.IDENTIFIED
                fresh.identified_by = (
                    "absolute number" if absolute else "numbers" if item.episodes else "air date"
                )
                fresh.last_error = _with_scan_errors(fresh, None)
                db.record_event("identify.done", reason, movie=fresh)
                done += 1
                if (number := fresh.episode_numbers()[0]) is not None:
                    seasons.add(number)
                mismatches += [r["numbering_note"] for r in refs if r.get("numbering_note")]
                tvdb_only += sum(1 for r in refs if r.get("tmdb_id") is None)
                in_other_order += [t for r in refs if (t := _titled_in(r))]
            else:
                fresh.identification_status = db.UNIDENTIFIED
                fresh.last_error = _with_scan_errors(fresh, reason)
                # matched to no episode (no numbers, none such at the provider): not tried
                # again by the next scan as a failure to reach the provider is (`unmatched`)
                db.record_event(
                    "identify.failed", reason, movie=fresh, level="error", unmatched=True
                )
                failed += 1
            fresh.updated_at = db.now()
            fresh.save()
    _season_items(rt, show, seasons, before - seasons)
    if only is not None:  # the show's note is about all of them: counted from every match
        mismatches, tvdb_only, in_other_order = _numbering(show)
    notes = []
    if mismatches:
        notes.append(f"TMDB and TheTVDB number {count(mismatches, 'episode')} differently, e.g. "
                     f"{mismatches[0]}; files follow {order_label(guide.order)} here")  # fmt: skip
    if tvdb_only:
        notes.append(f"{count(tvdb_only, 'episode')} only on TheTVDB: their title, plot and air date "
                     "come from TheTVDB")  # fmt: skip
    for order in dict.fromkeys(t["order"] for t in in_other_order):
        files = [t["text"] for t in in_other_order if t["order"] == order]
        sonarr = "Sonarr's names; " if order == "tvdb" else ""
        # the absolute order's other files are named by absolute number: switching leaves them
        rename = "name them by absolute number or " if guide.order == "absolute" else ""
        notes.append(f"{len(files)} file name(s) title their episode as {_ORDER_OF[order]} "
                     f"numbers it, not {_OWNER[guide.order]} (e.g. {files[0]}): {sonarr}"
                     f"{rename}switch the show's episode order to {order_label(order)}: "
                     f"`metarrd tv order {show.id} {order}` or the show page")  # fmt: skip
    note = "; ".join(notes) or None
    db.Movie.update(numbering_note=note).where(db.Movie.id == show.id).execute()
    return f"{count(done, 'episode')} identified in {order_label(guide.order)}, {failed} not"


def _season_items(rt: Runtime, show: db.Movie, seasons: set[int], left: set[int]) -> None:
    """The season items of the seasons its files were matched to: the scan makes those of the
    numbered files, but a file named by air date (a daily show's) or by absolute number has its
    season from the episode matched here; without its item the season had no page, poster or
    season NFO. Few statements: one per season, not per file.

    `left`: the seasons its files were in before and are not now (another episode order): one
    no episode file (missing ones too) is in any more is missing, as the seasons of a show gone
    are: hidden, not enriched nor published, its item kept with what the user locked on it for
    when a file is in it again (`season_item` brings it back)."""
    M = db.Movie
    with db.write_transaction():
        rt.require_lease([show.id], "its seasons")
        library = db.Library.get_by_id(show.library_id)
        for number in sorted(seasons):
            season_item(library, show, number)
        if not left:
            return
        left -= db.seasons_with_files(show.id)
        if left:
            hidden = M.show == show.id, M.kind == db.SEASON, M.season.in_(sorted(left)), ~M.missing
            # published, what publish wrote for it is still there, and goes at the next publish
            # (publish.tv `_prepare`), which makes it unpublished (`_finish`): to republish,
            # as its show is, not "Published" for files that are to go
            were = {state for (state,) in M.select(M.publish_state).where(*hidden).tuples()}
            to_go = pw.Case(None, [(M.publish_state == db.PUBLISHED, db.OUTDATED)], M.publish_state)
            M.update(missing=True, publish_state=to_go, updated_at=db.now()).where(
                *hidden
            ).execute()
            if were - {db.UNPUBLISHED}:
                M.update(publish_state=db.OUTDATED).where(
                    M.id == show.id, M.publish_state == db.PUBLISHED
                ).execute()
            log.info("item %d: %s %s no episode file in %s; hidden", show.id,
                     "season" if len(left) == 1 else "seasons", ", ".join(map(str, sorted(left))),
                     "holds" if len(left) == 1 else "hold", order_label(order_of(show.ordering)))  # fmt: skip


def _numbering(show: db.Movie) -> tuple[list[str], int, list[dict]]:
    """The numbering notes, the count of refs only TheTVDB has and the files titled as
    another order numbers them (`_titled_in`), of every episode of the show matched (as
    `identify_episodes` counts them for the show's note)."""
    refs = [
        ref
        for item in db.Movie.select(db.Movie.episode_refs).where(
            db.Movie.show == show,
            db.Movie.kind == db.EPISODE,
            ~db.Movie.missing,
            db.Movie.identification_status != db.UNIDENTIFIED,
        )  # fmt: skip
        for ref in item.episode_refs or []
    ]
    notes = [r["numbering_note"] for r in refs if r.get("numbering_note")]
    titled = [t for r in refs if (t := _titled_in(r))]
    return notes, sum(1 for r in refs if r.get("tmdb_id") is None), titled


def _by_number(episodes: list) -> dict[int, dict]:
    """A TMDB season's episodes by their number. The first of two with one number (TMDB has
    such duplicates, an episode entered twice) is the one, as enrich takes it
    (enrich/tv.py): the item's TMDB episode id is the one its NFO is written from. An entry
    without a number (null, missing) is no episode to match."""
    out: dict[int, dict] = {}
    for e in episodes:
        n = e.get("episode_number") if isinstance(e, dict) else None
        if isinstance(n, int) and not isinstance(n, bool):
            out.setdefault(n, e)
    return out


def _numbered(episodes: list[dict], show: db.Movie, season_type: str) -> list[dict]:
    """TheTVDB's episodes that have an id, a season and a number. TheTVDB sends `null` for
    either (thetvdb/v4-api#38: `seasonNumber` null on a numbered Tatort episode): such an entry
    can be matched by no file name and joined to no numbers, so it is skipped, with a note."""
    kept = [
        e for e in episodes
        if all(isinstance(e.get(k), int) and not isinstance(e.get(k), bool)
               for k in ("id", "seasonNumber", "number"))
    ]  # fmt: skip
    if len(kept) < len(episodes):
        log.info("item %d: %s of TheTVDB in its %s order without a season or number; "
                 "skipped", show.id, count(len(episodes) - len(kept), "episode"), season_type)  # fmt: skip
    return kept


def _placement(ep: dict) -> dict[str, int] | None:
    """Where a special (season 0) airs among the regular episodes, from TheTVDB's episode:
    `{"after_season": n}` (`airsAfterSeason`: after that season's last episode), else
    `{"before_season": s, "before_episode": e}` (`airsBeforeSeason`/`airsBeforeEpisode`);
    None when TheTVDB does not say. Publish writes it as Kodi's `<displayafterseason>` or
    `<displayseason>`/`<displayepisode>`, as Sonarr's Kodi metadata does."""

    def number(key: str) -> int | None:
        value = ep.get(key)
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return value if ok else None

    if after := number("airsAfterSeason"):
        return {"after_season": after}
    if before := number("airsBeforeSeason"):
        episode = number("airsBeforeEpisode")
        return {"before_season": before, **({"before_episode": episode} if episode else {})}
    return None


class _Guide:
    """TMDB's seasons of one show, fetched once each; TheTVDB's episodes in each season type
    the show's order needs, fetched once each. Both as answered a few minutes ago, when they
    were (`HttpClient.get_json(reuse=True)`: each file of a season import asked for the same
    lists); an episode these lack is looked for again in fresh ones (`match`)."""

    def __init__(self, rt: Runtime, show: db.Movie, details: dict | None) -> None:
        self.rt, self.show, self.details = rt, show, details
        self.order = order_of(show.ordering)
        self.seasons: dict[int, dict[int, dict] | str] = {}
        self._tvdb: dict[str, list[dict] | str] = {}
        self.reuse = True  # until an episode is missing from what was reused
        self._reused: set[int | str] = set()  # the lists reused: a TMDB season, a TheTVDB order
        self._read_reused = False  # whether the file's lookup read a list reused

    def match(self, item: db.Movie) -> tuple[bool, str, list[dict]]:
        """(matched, reason, episode refs) of an episode file. Not found in lists that may
        be a few minutes old (an episode TMDB or TheTVDB added since): the lists are asked
        for again, once per run, and the file looked up in them."""
        self._read_reused = False
        found = self._checked(item, self._match(item))
        if found[0] or not (self.reuse and self._read_reused):
            return found
        self.reuse = False
        self.seasons.clear()
        self._tvdb.clear()
        self._reused.clear()
        return self._checked(item, self._match(item))

    def _checked(
        self, item: db.Movie, found: tuple[bool, str, list[dict]]
    ) -> tuple[bool, str, list[dict]]:
        """A match, unless the name's absolute numbers name other episodes than its season
        and episode matched (`absolute_disagrees`): then no match, and the reason says both."""
        if not found[0]:
            return found
        reason = self.absolute_disagrees(item, found[2])
        return found if reason is None else (False, reason, [])

    def absolute_disagrees(self, item: db.Movie, refs: list[dict]) -> str | None:
        """Why a file named by its season and episode and by its absolute number too (Sonarr's
        anime format, `Naruto - S02E02 - 008 - The Oath of Pain`) is not matched: TheTVDB's
        episodes of those absolute numbers (Sonarr's, from TheTVDB) are not the ones its
        season and episode matched, so one of the two is wrong (TheTVDB renumbered the show
        after the file was named, a name made by hand) and either would tag the file with
        another episode's data; no guess. None when they agree, or when nothing tells: no
        TheTVDB, no absolute numbers on TheTVDB for the show, an episode TMDB does not join
        to TheTVDB."""
        paired = [int(n) for n in (item.hints or {}).get("name_paired_absolute") or ()]
        if not paired or not item.season:
            return None
        listed = self.tvdb_list("default")
        if isinstance(listed, str):
            return None
        by_absolute = {
            n: e for e in listed
            if isinstance(n := e.get("absoluteNumber"), int) and n > 0 and e["seasonNumber"] > 0
        }  # fmt: skip
        if not by_absolute:
            return None
        name = f"S{item.season:02d}" + "".join(f"E{n:02d}" for n in item.episodes)
        numbers = "-".join(f"{n:03d}" for n in paired)
        if len(paired) != len(refs):
            return (f"the name's {name} names {count(len(refs), 'episode')} and its absolute "
                    f"numbers {numbers} {count(len(paired), 'episode')}: {_RENAME}")  # fmt: skip
        wrong = []
        for number, ref in zip(paired, refs, strict=True):
            ep = by_absolute.get(number)
            if ep is None:
                wrong.append(f"TheTVDB has no absolute {number} of {self.show.title}")
            elif ref.get("tvdb_id") is not None and int(ep["id"]) != ref["tvdb_id"]:
                theirs = next((a for a, e in by_absolute.items() if e["id"] == ref["tvdb_id"]),
                              None)  # fmt: skip
                which = f"absolute {theirs}" if theirs else "no absolute number"
                wrong.append(f"S{ref['season']:02d}E{ref['episode']:02d} is "
                             f"{ref.get('title') or '?'!r} ({which} on TheTVDB), absolute "
                             f"{number} is S{ep['seasonNumber']:02d}E{ep['number']:02d} "
                             f"{ep.get('name') or '?'!r}")  # fmt: skip
        if not wrong:
            return None
        return (f"the name's {name} and its absolute number {numbers} are different episodes "
                f"of {self.show.title}: {'; '.join(wrong)}; {_RENAME}")  # fmt: skip

    def season(self, number: int) -> dict[int, dict] | str:
        """Episode number -> TMDB episode, or the reason the season cannot be had."""
        if number not in self.seasons:
            try:
                reused = self.rt.http.reused()
                data = self.rt.tmdb.tv_season(self.show.tmdb_id, number, reuse=self.reuse)
                if self.rt.http.reused() > reused:
                    self._reused.add(number)
                self.seasons[number] = _by_number(data.get("episodes") or [])
            except NotFound:
                self.seasons[number] = f"TMDB has no season {number} of {self.show.title}"
            except ProviderUnavailable:
                raise
            except ProviderError as exc:
                self.seasons[number] = f"season {number}: {exc}"
        self._read_reused = self._read_reused or number in self._reused
        return self.seasons[number]

    def tvdb_list(self, season_type: str) -> list[dict] | str:
        """TheTVDB's episodes in `season_type` order, or the reason there are none."""
        if season_type not in self._tvdb:
            client = self.rt.client("tvdb")
            if client is None:
                self._tvdb[season_type] = "TheTVDB is not configured ([providers.tvdb] api_key)"
            elif not self.show.tvdb_id:
                self._tvdb[season_type] = f"TMDB knows no TheTVDB id of {self.show.title}"
            else:
                try:
                    reused = self.rt.http.reused()
                    found = client.series_episodes(
                        self.show.tvdb_id, season_type, reuse=self.reuse,
                        language=language_code(self.rt.tmdb.config.language),
                    )  # fmt: skip
                    if self.rt.http.reused() > reused:
                        self._reused.add(season_type)
                    self._tvdb[season_type] = _numbered(found, self.show, season_type)
                except ProviderUnavailable:
                    if self.order != "tmdb":
                        raise
                    self._tvdb[season_type] = "TheTVDB unavailable"
                except ProviderError as exc:
                    log.warning("item %d: TheTVDB episodes unavailable: %s", self.show.id, exc)
                    self._tvdb[season_type] = f"TheTVDB episodes unavailable: {exc}"
        self._read_reused = self._read_reused or season_type in self._reused
        return self._tvdb[season_type]

    def tvdb_episodes(self) -> dict[int, dict]:
        """TheTVDB's episodes by id (aired order numbers), or {} without TheTVDB."""
        found = self.tvdb_list("default")
        return {} if isinstance(found, str) else {int(e["id"]): e for e in found}

    def _match(self, item: db.Movie) -> tuple[bool, str, list[dict]]:
        hints = item.hints or {}
        problem = hints.get("name_problem")
        absolute = absolute_numbers(hints.get("name_absolute"))
        if absolute and self.order == "absolute":
            label = f"absolute {absolute[0]}" + (f"-{absolute[-1]}" if len(absolute) > 1 else "")
            found = self._by_tvdb("absolute", [(1, n) for n in absolute], label)
            seasons = sorted({r["season"] for r in found[2]})
            own = None if problem else _own_numbers(self.show, item)
            if own is not None and seasons != [own[0]]:
                # `Season 2/Naruto - 01`: absolute 1 is another season's episode, so the number
                # counts from the start of its folder's season (as Jellyfin reads it)
                keys = [(own[0], n) for n in own[1]]
                return self._by_tvdb("official", keys, f"S{own[0]:02d}"
                                     + "".join(f"E{n:02d}" for n in own[1]))  # fmt: skip
            if len(seasons) > 1:  # one file, one season (as for S01E01-S02E01 names)
                return False, (f"{label} of {self.show.title} spans seasons {seasons} in "
                               "TheTVDB's aired order; split the file"), []  # fmt: skip
            return found
        if problem:
            if absolute:
                problem += absolute_order_hint(self.show.id)
            return False, problem, []
        if item.episodes and item.season is not None:
            if self.order != "tmdb":
                season_type = "dvd" if self.order == "dvd" else "official"
                keys = [(item.season, n) for n in item.episodes]
                label = "".join(f"E{n:02d}" for n in item.episodes)
                return self._by_tvdb(season_type, keys, f"S{item.season:02d}{label}")
            refs = []
            for number in item.episodes:
                season = self.season(item.season)
                if isinstance(season, str) and item.season == 0:
                    return self._tvdb_specials(item, season)
                if isinstance(season, str):
                    if (ref := self._by_nfo(item, number)) is not None:
                        refs.append(ref)  # TMDB splits its seasons otherwise: Sonarr's numbers
                        continue
                    return False, season, []
                if item.season == 0 and (ref := self._tvdb_special(item, number, season)):
                    refs.append(ref)  # TheTVDB's numbers: joined to TMDB by TheTVDB's id
                    continue
                ep = season.get(number)
                if ep is None:
                    problem = (f"TMDB has no episode S{item.season:02d}E{number:02d} of "
                               f"{self.show.title}")  # fmt: skip
                    if item.season == 0:  # TheTVDB lists more specials: Sonarr's numbers
                        return self._tvdb_specials(item, problem)
                    if (ref := self._by_nfo(item, number)) is not None:
                        refs.append(ref)
                        continue
                    return False, problem, []
                ref = self._ref(item.season, ep)
                known = self._nfo_tvdb_id(item, item.season, number, ref["tmdb_id"])
                if known is not None and ref["tvdb_id"] != known:
                    # a TheTVDB-numbered file (Sonarr's NFO names its TheTVDB episode): that
                    # episode, not the one TMDB numbers so
                    ref = self._tvdb_by_id(item.season, number, known) or ref
                refs.append(ref)
            label = "".join(f"E{n:02d}" for n in item.episodes)
            return True, f"S{item.season:02d}{label} of {self.show.title}", refs
        # the date of the file's name picks the episode (an air date the user edited and
        # locked, a regional airing's, is what the NFO says, not which night it was)
        when = (item.hints or {}).get("name_aired") or item.aired
        if when:
            part = (item.hints or {}).get("name_part")
            if self.order != "tmdb":
                return self._aired_tvdb(item, when, part)
            for number in self._season_numbers(when[:4]):
                season = self.season(number)
                if isinstance(season, str):
                    continue
                aired = [ep for ep in season.values() if ep.get("air_date") == when]
                if aired:
                    found = [(number, int(ep["episode_number"]), ep) for ep in aired]
                    listed = [(number, n, ep) for n, ep in sorted(season.items())]
                    return self._of_the_date(item, when, part, found, listed,
                                             lambda s, _n, ep: self._ref(s, ep))  # fmt: skip
            return False, f"TMDB has no episode of {self.show.title} aired on {when}", []
        return False, "no episode numbers", []

    def _season_numbers(self, year: str) -> list[int]:
        if self.details is None:
            self.details = self.rt.tmdb.tv(self.show.tmdb_id, append="")
        seasons = self.details.get("seasons") or []
        near = [s for s in seasons if (s.get("air_date") or "")[:4] <= year]
        return [int(s["season_number"]) for s in reversed(near or seasons)]

    def titled_in_other_order(self, item: db.Movie, refs: list[dict]) -> dict | None:
        """A file whose name's episode title is not that of the episode its numbers matched in
        the show's order, but another order's episode of those numbers: in TMDB's order,
        Sonarr's `Firefly - S01E01 - The Train Job` (TheTVDB's aired order; TMDB's S01E01 is
        "Serenity"); in TheTVDB's, a file named by TMDB's order (a show whose tvshow.nfo marks
        TheTVDB's id the default, or set by the user, while the files were named from TMDB:
        Kodi's TMDB scraper, Jellyfin, Plex). Every such file got another episode's title,
        plot and still. `{"order": that order, "text": what the note shows of it}`; else None.
        In the absolute order, a file named by season and episode is matched in TheTVDB's
        aired order (`_match`): looked at as there. Not a special, a file of no title, named by
        air date or by absolute number (no other order numbers by it: TMDB has no absolute
        numbers), nor one whose title is a placeholder (`TBA`, `Episode 5`, `Pilot`: no proof
        of an order), nor one whose other order's episode is the one matched (the titles
        differ, not the numbers)."""
        hints = item.hints or {}
        if not item.season or not item.episodes:
            return None  # specials: each provider numbers its own (`_tvdb_special`)
        if absolute_numbers(hints.get("name_absolute")) or len(refs) != len(item.episodes):
            return None
        several = len(item.episodes) > 1
        if several:
            named = _named_titles(item)
        else:  # a placeholder read proves nothing; another reading of the name still may
            keys = _episode_titles(item)
            numbers = self._absolute_of(refs) if any(k.isdigit() for k in keys) else set()
            named = _order_titles(keys, numbers)
        if not named:
            return None
        mine = [self._own_titles(r) for r in refs]
        if _titles_named(named, mine, several, lenient=True):
            return None
        for other in _OTHER_ORDERS[self.order]:
            try:
                theirs = self._numbered_in(other, item.season, item.episodes)
            except ProviderUnavailable:
                return None
            if theirs is None or all(
                _same_episode(ref, ep) for ref, ep in zip(refs, theirs, strict=True)
            ):
                continue
            if _titles_named(named, [[ep["name"]] for ep in theirs], several, lenient=False):
                code = f"S{item.season:02d}" + "".join(f"E{n:02d}" for n in item.episodes)
                text = (f"{code} {' + '.join(ep['name'] for ep in theirs)!r}, "
                        f"{_OWNER[self.order]} {' + '.join(r.get('title') or '?' for r in refs)!r}")  # fmt: skip
                return {"order": other, "text": text}
        return None

    def _absolute_of(self, refs: list[dict]) -> set[int]:
        """TheTVDB's absolute numbers of the episodes refs matched (none without TheTVDB)."""
        try:
            episodes = self.tvdb_episodes()
        except ProviderUnavailable:
            return set()
        found = (episodes.get(r["tvdb_id"], {}).get("absoluteNumber") for r in refs
                 if isinstance(r.get("tvdb_id"), int))  # fmt: skip
        return {n for n in found if isinstance(n, int) and n > 0}

    def _own_titles(self, ref: dict) -> list[str]:
        """The titles of the episode a ref matched: TMDB's and TheTVDB's."""
        titles = [ref.get("title"), (ref.get("tvdb") or {}).get("title")]
        if "tvdb" not in ref and isinstance(ref.get("tvdb_id"), int):  # TMDB's: as `_ref` read
            titles.append(self.tvdb_episodes().get(ref["tvdb_id"], {}).get("name"))
        return [t for t in titles if isinstance(t, str) and t.strip()]

    def _numbered_in(self, order: str, season: int, numbers: list[int]) -> list[dict] | None:
        """The episodes `order` numbers so, each `{"name", "tmdb_id" or "tvdb_id"}`; None
        when that order has not all of them (or cannot be had)."""
        found = []
        if order == "tmdb":
            listed = self.season(season)
            if isinstance(listed, str):
                return None
            for n in numbers:
                ep = listed.get(n)
                if ep is None or not isinstance(ep.get("name"), str):
                    return None
                found.append({"name": ep["name"], "tmdb_id": ep.get("id")})
            return found
        episodes = self.tvdb_list(EPISODE_ORDERS[order][1] or "official")
        if isinstance(episodes, str):
            return None
        by_number = {(e["seasonNumber"], e["number"]): e for e in episodes}
        for n in numbers:
            ep = by_number.get((season, n))
            if ep is None or not isinstance(ep.get("name"), str):
                return None
            found.append({"name": ep["name"], "tvdb_id": ep.get("id")})
        return found

    def _ref(self, season: int, ep: dict) -> dict:
        ref = {"season": season, "episode": int(ep["episode_number"]), "tmdb_id": int(ep["id"]),
               "title": ep.get("name"), "aired": ep.get("air_date") or None, "tvdb_id": None}  # fmt: skip
        try:
            extra = self.rt.tmdb.tv_episode(self.show.tmdb_id, season, ref["episode"])
        except NotFound:
            return ref
        tvdb_id = (extra.get("external_ids") or {}).get("tvdb_id")
        if tvdb_id:
            ref["tvdb_id"] = int(tvdb_id)
            other = self.tvdb_episodes().get(int(tvdb_id))
            if other is not None:
                theirs = (other.get("seasonNumber"), other.get("number"))
                ref["tvdb_numbering"] = list(theirs)
                if season == 0 and (placement := _placement(other)):
                    ref["placement"] = placement
                if theirs != (season, ref["episode"]):
                    ref["numbering_note"] = (f"S{season:02d}E{ref['episode']:02d} (TMDB) is "
                                             f"S{theirs[0]:02d}E{theirs[1]:02d} (TheTVDB)")  # fmt: skip
        return ref

    # --- TheTVDB's orders ---------------------------------------------------------------------

    def _by_tvdb(
        self, season_type: str, keys: list[tuple[int, int]], label: str
    ) -> tuple[bool, str, list[dict]]:
        """The file's numbers looked up in TheTVDB's `season_type` order, each joined to TMDB
        by TheTVDB's episode id."""
        episodes = self.tvdb_list(season_type)
        if isinstance(episodes, str):
            return False, f"{order_label(self.order)} needs TheTVDB: {episodes}", []
        by_number = {(e.get("seasonNumber"), e.get("number")): e for e in episodes}
        refs = []
        for season, number in keys:
            ep = by_number.get((season, number))
            if ep is None:
                what = f"absolute {number}" if season_type == "absolute" else (
                    f"S{season:02d}E{number:02d}")  # fmt: skip
                return False, (f"TheTVDB has no episode {what} of {self.show.title} in its "
                               f"{season_type} order"), []  # fmt: skip
            if season_type == "absolute":  # the real (aired order) numbers of that episode
                aired = self.tvdb_episodes().get(int(ep["id"]))
                if aired is None:
                    return False, (f"TheTVDB's absolute {number} of {self.show.title} has no "
                                   "aired-order numbers"), []  # fmt: skip
                season, number = int(aired["seasonNumber"]), int(aired["number"])
            refs.append(self._tvdb_ref(season, number, ep))
        titles = ", ".join(r["title"] or "?" for r in refs)
        return True, f"{label} of {self.show.title} ({order_label(self.order)}): {titles}", refs

    def _tvdb_specials(self, item: db.Movie, problem: str) -> tuple[bool, str, list[dict]]:
        """A special of a show TMDB has no season 0 of, in TMDB's order: TheTVDB's season 0
        (what Sonarr names specials by), joined to TMDB by id where TMDB has the episode
        elsewhere; TMDB's own reason when TheTVDB has none either."""
        keys = [(0, n) for n in item.episodes]
        label = "S00" + "".join(f"E{n:02d}" for n in item.episodes)
        ok, reason, refs = self._by_tvdb("official", keys, label)
        if not ok:
            return False, f"{problem}; {reason}", []
        return True, f"{reason} (TheTVDB's specials: {problem})", refs

    def _tvdb_special(self, item: db.Movie, number: int, tmdb: dict[int, dict]) -> dict | None:
        """In TMDB's order, special `number` of a file numbered by TheTVDB (TMDB and TheTVDB
        number season 0 each their own way: TMDB's S00E05 is often TheTVDB's S00E12, and Sonarr
        names specials by TheTVDB's): the episode of the TheTVDB id its NFO names for that
        number, else TheTVDB's special of that number when the file's title is that special's
        and not TMDB's; joined to TMDB by id (`_tvdb_ref`). None: TMDB's number holds."""
        known = self._nfo_tvdb_id(item, 0, number)
        if known is not None:
            return self._tvdb_by_id(0, number, known)
        listed = self.tvdb_list("official")
        listed = [] if isinstance(listed, str) else listed
        named = _episode_titles(item)
        if not named or len(item.episodes) != 1:
            return None
        ep = next((e for e in listed if (e["seasonNumber"], e["number"]) == (0, number)), None)
        if ep is None or not _titles_named(named, [[ep.get("name") or ""]], False, False):
            return None
        if _titles_named(named, [[(tmdb.get(number) or {}).get("name") or ""]], False, False):
            return None  # both number it so
        return self._tvdb_ref(0, number, ep)

    def _nfo_tvdb_id(
        self, item: db.Movie, season: int, number: int, tmdb_id: int | None = None
    ) -> int | None:
        """The TheTVDB episode id the file's own NFO names for episode `season`x`number`
        (`_block_tvdb_id`). An untyped uniqueid names no site: Kodi 17 wrote its scraper's
        episode id so, AniDB's or TMDB's as well as TheTVDB's. It is TheTVDB's when the
        tvshow.nfo's episode guide is TheTVDB's (Kodi's TheTVDB scraper wrote the show), else
        only when TheTVDB's episode of that id is this show's with these numbers or the
        block's title; None otherwise (the file's numbers and title decide). A block scanned
        before scan kept which ids name no site is held to the same."""
        block = _nfo_block(item, season, number)
        known = _block_tvdb_id(block, tmdb_id)
        # a block scanned before scan said which ids name no site: any of them may be one
        if known is None or "tvdb" not in block.get("unnamed", ["tvdb"]):
            return known
        if (self.show.hints or {}).get("nfo_episode_site") == "tvdb":
            return known
        listed = self.tvdb_list("official")
        ep = {} if isinstance(listed, str) else {e["id"]: e for e in listed}.get(known)
        if not ep:
            return None
        title = _words(block.get("title"))
        if (ep.get("seasonNumber"), ep.get("number")) == (season, number) or (
            title and _words(ep.get("name")) == title
        ):
            return known
        return None

    def _tvdb_by_id(self, season: int, number: int, tvdb_id: int) -> dict | None:
        """Episode `season`x`number` of the file as the TheTVDB episode `tvdb_id` its NFO names
        (`_nfo_tvdb_id`), joined to TMDB by that id (`_tvdb_ref`); None when neither TheTVDB's
        aired order of the show nor TMDB's `/find` knows it (not this show's episode)."""
        listed = self.tvdb_list("official")
        listed = [] if isinstance(listed, str) else listed
        ep = next((e for e in listed if e["id"] == tvdb_id), None)
        ref = self._tvdb_ref(season, number, ep or {"id": tvdb_id})
        return ref if ep is not None or ref["tmdb_id"] is not None else None

    def _by_nfo(self, item: db.Movie, number: int) -> dict | None:
        """Episode `number` of the file's season as the TheTVDB episode its NFO names
        (`_nfo_tvdb_id`), where TMDB has no such episode or season; None without one."""
        known = self._nfo_tvdb_id(item, item.season, number)
        return None if known is None else self._tvdb_by_id(item.season, number, known)

    def _aired_tvdb(
        self, item: db.Movie, aired: str, part: int | None
    ) -> tuple[bool, str, list[dict]]:
        season_type = "dvd" if self.order == "dvd" else "official"
        episodes = self.tvdb_list(season_type)
        if isinstance(episodes, str):
            return False, f"{order_label(self.order)} needs TheTVDB: {episodes}", []
        listed = sorted(
            ((int(ep["seasonNumber"]), int(ep["number"]), ep) for ep in episodes),
            key=lambda f: (f[0], f[1]),
        )
        found = [f for f in listed if f[2].get("aired") == aired]
        if found:
            return self._of_the_date(item, aired, part, found, listed, self._tvdb_ref)
        return False, f"TheTVDB has no episode of {self.show.title} aired on {aired}", []

    def _of_the_date(
        self,
        item: db.Movie,
        aired: str,
        part: int | None,
        found: list[tuple[int, int, dict]],
        listed: list[tuple[int, int, dict]],
        ref_of: Callable[[int, int, dict], dict],
    ) -> tuple[bool, str, list[dict]]:
        """The episode a by-date file is of, among those that aired that date (`found`, of the
        show's episodes in order, `listed`), as Sonarr picks it (EpisodeService.
        FindOneByAirDate): the one; else the one regular episode (specials left out); else the
        part's (`Part 2`: the second by number). Several without a part that tells them apart:
        no guess. Or the episodes its name's titles name (`_titled_run`): Sonarr's name of a
        file of several episodes, which holds the first one's air date alone."""
        if len(found) > 1:
            found = [f for f in found if f[0] > 0] or found
        found.sort(key=lambda f: (f[0], f[1]))
        named = [] if part is not None else _dated_titles(item, aired)
        run = _titled_run(named, found, listed, _CUT in Path(item.path).stem)
        if run is not None:
            refs = [ref_of(*f) for f in run]
            code = f"S{refs[0]['season']:02d}" + "".join(f"E{r['episode']:02d}" for r in refs)
            titles = " + ".join(str(r["title"] or "?") for r in refs)
            # Kodi's date rule reads one episode (no multi-episode loop, kodi-tv.md 1.2)
            return True, (f"{code} of {self.show.title}, aired from {aired}, as the titles in "
                          f"its name say: {titles}; Kodi lists the file by its date as one "
                          f"episode: name it {code} for Kodi to list each"), refs  # fmt: skip
        if len(found) > 1 and part is not None and part <= len(found):
            found = [found[part - 1]]
        if len(found) == 1:
            season, number, ep = found[0]
            ref = ref_of(season, number, ep)
            code = f"S{ref['season']:02d}E{ref['episode']:02d} of {self.show.title}"
            return True, f"{code}, aired {aired}: {ref['title']}", [ref]
        listed = ", ".join(f"S{s:02d}E{n:02d}" for s, n, _ep in found)
        named = f"part {part} of {len(found)}" if part else "no part"
        return (
            False,
            (
                f"{len(found)} episodes of {self.show.title} aired on {aired} ({listed}) and the "
                f"name says {named}: name the file by its numbers ({listed.split(', ')[0]}) or "
                f"by its part of the date, as Sonarr reads it ({aired} Part 1)"
            ),
            [],
        )

    def _tvdb_ref(self, season: int, number: int, ep: dict) -> dict:
        """One episode numbered in the show's order: TheTVDB's own text, and TMDB's episode
        found by TheTVDB's episode id (`/find`), never by its numbers."""
        tvdb_id = int(ep["id"])
        runtime = ep.get("runtime")
        ref: dict[str, Any] = {
            "season": season, "episode": number, "tvdb_id": tvdb_id, "tmdb_id": None,
            "title": ep.get("name"), "aired": ep.get("aired") or None,
            "tvdb": {"title": ep.get("name"), "plot": ep.get("overview") or None,
                     "aired": ep.get("aired") or None,
                     "runtime": runtime if isinstance(runtime, int) and runtime > 0 else None},
        }  # fmt: skip
        if season == 0 and (placement := _placement(ep)):
            ref["placement"] = placement
        try:
            found = self.rt.tmdb.find(str(tvdb_id), "tvdb_id").get("tv_episode_results") or []
        except NotFound:
            found = []
        mine = [f for f in found if f.get("show_id") in (None, self.show.tmdb_id)]
        if not mine:
            return ref
        tmdb = mine[0]
        ref["tmdb_id"] = int(tmdb["id"])
        ref["tmdb_season"] = int(tmdb["season_number"])
        ref["tmdb_episode"] = int(tmdb["episode_number"])
        ref["title"] = tmdb.get("name") or ref["title"]
        theirs = (ref["tmdb_season"], ref["tmdb_episode"])
        # absolute files are numbered in TheTVDB's aired order (the numbers their NFO writes),
        # and so are the specials TMDB's order looks up here (`_tvdb_special(s)`)
        label = order_label("tvdb" if self.order in ("absolute", "tmdb") else self.order)
        if theirs != (season, number):
            ref["numbering_note"] = (f"S{season:02d}E{number:02d} ({label}) "
                                     f"is S{theirs[0]:02d}E{theirs[1]:02d} (TMDB)")  # fmt: skip
        return ref


def _nfo_block(item: db.Movie, season: int, number: int) -> dict[str, Any]:
    """The file's own NFO block for episode `season`x`number` (scan's `hints["nfo_episodes"]`),
    {} without one."""
    blocks = [b for b in (item.hints or {}).get("nfo_episodes") or [] if isinstance(b, dict)]
    return next((b for b in blocks if (b.get("season"), b.get("episode")) == (season, number)),
                {})  # fmt: skip


def _block_tvdb_id(block: dict[str, Any], tmdb_id: int | None = None) -> int | None:
    """The TheTVDB episode id an NFO block names: `uniqueid type="tvdb"` as Sonarr, Kodi's
    TheTVDB scraper, tinyMediaManager and MediaElch write it. None when that block names TMDB's
    episode `tmdb_id` too (Kodi's TMDB scraper writes both ids of the episode TMDB numbers so:
    TMDB's own episode, whatever its TheTVDB id says since)."""
    known = block.get("tvdb_id")
    if not isinstance(known, int) or isinstance(known, bool):
        return None
    return None if tmdb_id is not None and block.get("tmdb_id") == tmdb_id else known


def _words(text: Any) -> str:
    """A title compared as words (case and punctuation aside): a file name's
    `Good Cop, Bad Cop` is TheTVDB's "Good Cop Bad Cop"."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold())) if isinstance(text, str) else ""


# the orders a file's title may name its episode in instead of the show's, the likeliest first
# (the absolute order matches a file named by season and episode in TheTVDB's aired order)
_OTHER_ORDERS = {"tmdb": ("tvdb", "dvd"), "tvdb": ("tmdb", "dvd"), "dvd": ("tvdb", "tmdb"),
                 "absolute": ("tmdb", "dvd")}  # fmt: skip
_ORDER_OF = {"tmdb": "TMDB's aired order", "tvdb": "TheTVDB's aired order",
             "dvd": "TheTVDB's DVD order"}  # fmt: skip
_OWNER = {"tmdb": "TMDB's", "tvdb": "TheTVDB's", "dvd": "TheTVDB's DVD order's",
          "absolute": "TheTVDB's"}  # fmt: skip
# what a file whose two numbers disagree (`_Guide.absolute_disagrees`) is to do
_RENAME = (
    "one of the two is wrong (TheTVDB renumbered the show after the file was named, or the "
    "name was made by hand), so the file is not matched to either; rename it with the right "
    "pair (Sonarr's Rename Files does, from TheTVDB's numbers)"
)
# titles that prove no order: TheTVDB's and Sonarr's `TBA` of an episode not named yet, TMDB's
# `Episode 5` of one it has no name for, a pilot either may call so, a zero-padded number (Sonarr's
# anime format's `{absolute:000}` with no title after it: `Naruto - S01E08 - 008 HDTV-720p`)
_PLACEHOLDER = re.compile(r"^(?:tba|tbd|tbc|untitled|pilot|(?:episode|part|chapter) \d+|0\d*)$")


# Sonarr's MultiPartCleanupRegex: the part number its multi-episode title drops
_PART_NUMBER = re.compile(r":?\s?(?:\(\d+\)|(?:part|pt\.?)\s?\d+)$", re.IGNORECASE)
# the last episode marker of a name: what follows is the episode title (and the quality); with
# the episodes joined to it by `+` or `&` (`S01E01+E02`, `S01E01 & E02`, `S01E01+02`, which
# parse_episode reads as E1 and E2): the title was read as "and e02 ..."
_EPISODE_MARKER = re.compile(
    r"(?i)(?:s\d{1,4}(?:[ ._-]*e\d{1,4})+|\b\d{1,2}x\d{1,3})"
    r"(?:[ ._-]*(?:e|x|-)\d{1,4}|_\d{1,4}|\s?[+&]\s?(?:s\d{1,4}[ ._-]*)?e?\d{1,4})*"
)

# an air date written year first (`2024-01-09`, `2024.01.09`): Sonarr's `{Air-Date}`, scene names'
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[ ._-](\d{2})[ ._-](\d{2})(?!\d)")

# where a name's episode title ends: Sonarr's `{Quality Full}` (`WEBDL-720p`, `HDTV-720p
# Proper`, `DVD`), a bracket (`[Bluray-1080p]`), a scene name's resolution or source and codec,
# also of a name without a resolution (`DVDRip.XviD-GRP`, `WEB.h264-TBS`, `PDTVx264-JIVE`: read
# as the title's words before); never a word a title may hold (`Charlotte's Web`, Cleveland
# Hustles' `Downward Dogs and Proper Pigs`; guessit reads Supernatural's `The French Mistake`
# as "The French" and a release group, `VHS` as a source: its title is no bound)
_QUALITY = re.compile(
    r"(?i)\[|(?<![^\W_])(?:[hps]dtv(?:rip|mux|x26[45])?|dvd|dvdscr|webdl|web-?dl|webrip|dsr|"
    r"bluray|remux|raw-hd|br-disk|\d{3,4}[pi]|dvdrip|bdrip|brrip|hdrip|xvid|divx|[xh]\.?26[45]"
    r"|hevc|web(?=[ ._-]+(?:[xh]\.?26[45]|hevc|xvid|divx)(?![^\W_])))(?![^\W_])"
)
# Sonarr's `Unknown` quality (Quality.Unknown: a `.webm` file's when neither its name nor its
# streams say more, MediaFileExtensions, QualityFinder) where its `{Episode Title} {Quality
# Full}` writes it, right after the title and last (with its `Proper`, `REAL`): a title word too
# ("The Unknown", "Into the Unknown"), so a title is read with it and without it
_UNKNOWN_QUALITY = re.compile(r"(?<=[^\s._-])[ .]Unknown(?:[ .]Proper)?(?:[ .]REAL)?[ ._-]*$")
# the tags a scene name writes between its episode title and its resolution or source (the TV
# x264 releasing standards' `PROPER`, `REPACK`, `REAL`, `INTERNAL`, `READ.NFO`, `EXTENDED`...,
# then a language): the title is read without them too (`Michael.B.Jordan.PROPER.HDTV`), and
# with them, as a title may end in such a word
_RELEASE_TAGS = re.compile(
    r"(?i)(?:[ ._-]+(?:proper|repack\d?|rerip|real|internal|read[ ._]?nfo|dirfix|nfofix|"
    r"samplefix|subbed|dubbed|uncut|uncensored|unrated|extended|remastered|dc|ws|oar|ppv|"
    r"convert|colorized|alternat(?:iv)?e[ ._]cut|west[ ._]feed|final|multi|dl|custom|"
    r"eng(?:lish)?|german|french|truefrench|vostfr|fr|ita|spanish|sub|subs))+[ ._-]*$"
)


# what `_named_titles` ends a name's title with where Sonarr cut it short after its first
_CUT = "..."


def _dated_titles(item: db.Movie, aired: str) -> list[str]:
    """What a by-date file's name says after its air date, as title keys (`_title_keys`):
    Sonarr's daily format `{Series Title} - {Air-Date} - {Episode Title} {Quality Full}`
    (NamingConfig), `The Daily Show - 2024-01-09 - Chef 2 + Author 3 HDTV-720p`. Nothing for a
    name without that date written year first."""
    stem = Path(item.path).stem
    for m in _NAME_DATE.finditer(stem):
        if "-".join(m.groups()) == aired:
            return _title_keys(stem[m.end() :])
    return []


def _titled_run(
    named: list[str],
    found: list[tuple[int, int, dict]],
    listed: list[tuple[int, int, dict]],
    cut: bool,
) -> list[tuple[int, int, dict]] | None:
    """The episodes a by-date file holds by its name's titles (`named`, `_dated_titles`):
    Sonarr names a file of several episodes of a daily show by the first one's air date alone
    and every title after it, joined by " + " (FileNameBuilder AddEpisodeTokens
    `episodes.First().AirDate`, GetEpisodeTitles), so the titles are of an episode that aired
    that date (`found`) and of those right after it in the season (`listed`, in order:
    `2024-01-09 - Chef 2 + Author 3`, or the two of one night). None when one of the date's
    episodes is titled so, or no such run of two or more is. `cut`: the name has Sonarr's
    `...` (a title too long, cut: `_titles_named`), so an episode's title may be left out of
    it; else a run stops at the first episode whose title the name does not hold (a daily
    show's thousands of files are each looked at so)."""
    if not named:
        return None
    # the name of one of the date's episodes (two of one night too): a title Sonarr cut short
    # (`Senator Elizabeth Warren Ta...`) is the start of that episode's and of every run from it
    if any(_titles_named(named, [[ep.get("name") or ""]], False, lenient=False)
           for _s, _n, ep in found):  # fmt: skip
        return None
    index = {(s, n): i for i, (s, n, _ep) in enumerate(listed)}
    for season, number, _ep in found:
        start = index.get((season, number))
        if start is None:
            continue
        for end in range(start + 1, min(len(listed), start + MAX_RANGE) + 1):
            run = listed[start:end]
            if run[-1][0] != season or not (cut or _holds(named, run[-1][2].get("name"))):
                break
            titles = [[ep.get("name") or ""] for _s, _n, ep in run]
            if len(run) > 1 and _titles_named(named, titles, True, lenient=False):
                return run
    return None


def _holds(named: list[str], title: Any) -> bool:
    """Whether a name's title keys (`named`) may hold this episode's title as Sonarr writes it
    among others (without its part number, `_sonarr_titles`): its words are in one of them."""
    title = title if isinstance(title, str) else ""
    words = normalize_title(_sonarr_titles([title, ""])[0]) or normalize_title(title)
    return not words or any(words in key for key in named)


def _named_titles(item: db.Movie) -> list[str]:
    """What a file's name says between its last episode marker and its quality, as title keys
    (`normalize_title`): that text, and it without the release tags it ends in
    (`_RELEASE_TAGS`). Sonarr's `Show - S01E01-E02 - Serenity (1) + Serenity (2) WEBDL-720p`,
    `Supernatural.S06E15.The.French.Mistake.720p.HDTV`: guessit's episode title keeps only one
    of several, drops part numbers and takes title words for release tags ("The French").
    Nothing for a name without such a marker (`Season 1/Show - 05 - Title`)."""
    stem = Path(item.path).stem
    if (item.hints or {}).get("name_paired_absolute"):
        # Sonarr's anime format, `S15E06-E07 - 100-101 - City Sushi`: read as `100 101 city
        # sushi` before, no episodes' title
        stem = without_paired_absolute(stem)
    markers = list(_EPISODE_MARKER.finditer(stem))
    return _title_keys(stem[markers[-1].end() :]) if markers else []


def _title_keys(rest: str) -> list[str]:
    """What a name says after its episode marker or air date, up to its quality (`_QUALITY`), as
    title keys (`normalize_title`): that text, it without the release tags it ends in, and it
    without Sonarr's `Unknown` quality (`_UNKNOWN_QUALITY`)."""
    rest = rest[: m.start()] if (m := _QUALITY.search(rest)) else rest
    # Sonarr's first title alone, cut short (`Episode Title 1... HDTV-720p`): Sonarr trims a
    # title's own dots, so a name's ending in `...` is its ellipsis
    cut = f" {_CUT}" if rest.rstrip(" _-").endswith("...") else ""
    keys = [normalize_title(rest), normalize_title(_RELEASE_TAGS.sub("", rest))]
    if unknown := _UNKNOWN_QUALITY.search(rest):
        keys.append(normalize_title(rest[: unknown.start()]))
    return [f"{key}{cut}" for key in dict.fromkeys(keys) if key]


def _episode_titles(item: db.Movie) -> list[str]:
    """The title keys a file of one episode is named by: its name's (`_named_titles`), and the
    title scan read (guessit's: a title after the episode's number alone, `Season 1/Show - 05 -
    Title`, or before languages and a release group, `Title.ENG.-.sub.FR`)."""
    named = _named_titles(item)
    read = normalize_title((item.hints or {}).get("name_episode_title") or "")
    return [*named, read] if read and read not in named else named


def _order_titles(keys: list[str], absolute: set[int]) -> list[str]:
    """The title keys of a file of one episode (`_episode_titles`) that may prove an order:
    not a placeholder (`_PLACEHOLDER`), nor a number that is the episode's absolute number
    (`absolute`, TheTVDB's: `Naruto - S07E03 - 130`, Sonarr's anime format without a title).
    Other numbers are titles: Stargate SG-1's "1969", Doctor Who's "42", Lost's "316", The
    X-Files' "731"."""
    return [
        k for k in keys if not _PLACEHOLDER.match(k) and not (k.isdigit() and int(k) in absolute)
    ]


def _sonarr_titles(titles: list[str]) -> list[str]:
    """The titles Sonarr writes for a file of these episodes (FileNameBuilder.GetEpisodeTitles):
    each without its part number, once (`Serenity (1)` + `Serenity (2)`: `Serenity`); the
    titles whole when that leaves none (`Part 1`, `Part 2`)."""
    titles = [t.rstrip(" .?") for t in titles]
    if len(titles) == 1:
        return titles
    cleaned = list(dict.fromkeys(_PART_NUMBER.sub("", t).strip() for t in titles))
    if all(not t for t in cleaned):
        cleaned = list(dict.fromkeys(titles))
    return cleaned


def _sonarr_title(titles: list[str]) -> str:
    """The title Sonarr writes for a file of these episodes: `_sonarr_titles` joined with
    " + " (`Serenity`, `The Train Job + Bushwhacked`, `Part 1 + Part 2`)."""
    return " + ".join(_sonarr_titles(titles))


def _titles_named(named: list[str], titles: list[list[str]], several: bool, lenient: bool) -> bool:
    """Whether one of a file's title keys (`named`: its name read each way) names these
    episodes (each with the titles it has): one episode, that title (`lenient`: or it without
    its part number, `Pilot` of "Pilot (1)"); several, Sonarr's title of them (`_sonarr_title`,
    or its first and last when it cut them short) as what follows the numbers
    (`_named_titles`); either, the start of it where Sonarr cut the title (`_cut_from`)."""
    if not several:
        keys = {normalize_title(t) for t in titles[0]}
        if lenient:
            keys |= {normalize_title(_PART_NUMBER.sub("", t)) for t in titles[0]}
        return not (keys - {""}).isdisjoint(named) or _cut_from(named, keys)
    choices = [[]]  # every combination of the episodes' titles (TMDB's, TheTVDB's)
    for options in titles:
        choices = [[*c, t] for c in choices for t in dict.fromkeys(options)][:16]
    for chosen in choices:  # Sonarr's title, or every title whole (older Sonarr, FileBot)
        keys = {normalize_title(_sonarr_title(chosen)), normalize_title(" + ".join(chosen))}
        if len(written := _sonarr_titles(chosen)) > 1:
            # too long for its name (255 bytes, or a `{Episode Title:30}` format): the first
            # and the last, `Episode Title 1...A Really Long Episode Title`, else the first,
            # `Episode Title 1...` (GetEpisodeTitle)
            keys.add(normalize_title(f"{written[0].rstrip(' .')} {written[-1]}"))
            keys.add(f"{normalize_title(written[0])} {_CUT}")
        if not (keys - {""}).isdisjoint(named) or _cut_from(named, keys):
            return True
    return False


def _cut_from(named: list[str], keys: set[str]) -> bool:
    """Whether a title key Sonarr cut short (`_named_titles`: `Episode Ti...`) is the start of
    one of `keys`. Sonarr's GetEpisodeTitle cuts a title too long for the name (255 bytes, or a
    `{Episode Title:30}` format) at that many bytes, mid-word too (`... triggers the trunc...`),
    and trims the spaces and dots before its `...`."""
    cuts = [n.removesuffix(f" {_CUT}") for n in named if n.endswith(f" {_CUT}")]
    return any(key.startswith(cut) for cut in cuts if cut for key in keys if key)


def _same_episode(ref: dict, other: dict) -> bool:
    """Whether another order's episode is the one a ref matched, by an id both know."""
    return any(
        other.get(k) is not None and other.get(k) == ref.get(k) for k in ("tmdb_id", "tvdb_id")
    )


def _titled_in(ref: dict) -> dict | None:
    """A ref's `titled_in` (`_Guide.titled_in_other_order`); `titled_in_tvdb`, its text, as
    matches in TMDB's order kept it before the other orders were looked at."""
    if isinstance(found := ref.get("titled_in"), dict):
        return found
    return {"order": "tvdb", "text": ref["titled_in_tvdb"]} if ref.get("titled_in_tvdb") else None


def _own_numbers(show: db.Movie, item: db.Movie) -> tuple[int, list[int]] | None:
    """The season and episodes of a name that is also absolute-numbered (`Season 2/Naruto -
    08`: S02E08 by its folder, absolute 8), read again from its path: an earlier absolute order
    replaced them with the mapped ones. None for any other episode."""
    hints = item.hints or {}
    if not absolute_numbers(hints.get("name_absolute")) or hints.get("name_problem"):
        return None
    path = Path(item.path)
    folder, outer = episode_folders(path, Path(show.path))
    title = (show.hints or {}).get("folder_title") or show.title
    name = parse_episode(path.name, title, folder, outer)
    if not name.ok or name.season is None or not name.episodes:
        return None
    return name.season, list(name.episodes)


def set_episode_order(show: db.Movie, order: str) -> bool:
    """Store the show's episode order (`tmdb`, `tvdb`, `dvd`, `absolute`); True when it
    changed. The caller matches the episodes again (identify the show: a job, or in-process)."""
    if show.kind != db.SHOW:
        raise ItemError(f"{show.label}: an episode order belongs to a show")
    if order not in EPISODE_ORDERS:
        raise ItemError(f"unknown episode order {order!r}: one of {', '.join(EPISODE_ORDERS)}")
    stored = EPISODE_ORDERS[order][0]
    if show.ordering == stored or (not show.ordering and order == "tmdb"):
        return False
    with db.write_transaction():
        db.Movie.update(ordering=stored, updated_at=db.now()).where(
            db.Movie.id == show.id
        ).execute()
        db.record_event("review.edited", f"episode order: {order_label(order)}", movie=show.id,
                        field="ordering", value=stored)  # fmt: skip
    log.info("item %d: episode order %s", show.id, stored)
    return True
