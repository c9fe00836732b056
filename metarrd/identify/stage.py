"""The IDENTIFY stage: find a movie's TMDB id, and never guess.

Order (docs/kodi-layout.md §3): ids in the user's NFO, then id tags in the folder
or file name, then TMDB `/find` for an IMDb id, then a TMDB search by title and year (retrying
year±1 and without the year), and by the name's other title ("Title A AKA Title B") when the first
finds nothing sure. A confident match becomes `identified`; anything less stays
`unidentified` with its best candidates stored, for the user to choose.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import cache, db
from metarrd.config import LIBRARY_SOURCE
from metarrd.errors import ItemError, MetarrdError, ProviderError, internal_error
from metarrd.fields import CAST_LOCK, KEYWORDS_HINT, PROVIDED_HINT, follow_title, value_mark
from metarrd.identify.episodes import episode_marker
from metarrd.identify.match import (
    Match,
    SearchResult,
    is_confident,
    names_one_of,
    rank_candidates,
    search_plan,
)
from metarrd.identify.posters import add_posters
from metarrd.runtime import Runtime
from metarrd.text import count
from metarrd.user_urls import PROVIDER as USER_IMAGE

log = logging.getLogger(__name__)

MAX_STORED_CANDIDATES = 8


@dataclass
class IdentifyResult:
    movie_id: int
    identified: bool
    reason: str  # how it was identified, or why not
    error: bool = False  # True when something failed (provider down, bad key), not just "unsure"


def identify_many(rt: Runtime, movie_ids: list[int], threads: int = 4) -> list[IdentifyResult]:
    """Identify items side by side (the CLI's scan): a failure is recorded on its item, as the
    job runner records it, and the others go on."""

    def one(movie_id: int) -> IdentifyResult:
        movie = db.Movie.get_by_id(movie_id)
        try:
            return identify_item(rt, movie)
        except MetarrdError as exc:
            log.warning("item %d (%s): %s", movie.id, movie.path, exc)
            db.record_failure("identify", movie.id, str(exc))
            return IdentifyResult(movie.id, False, str(exc), error=True)
        except Exception as exc:  # a bug fails this item only, recorded as a job records it
            log.info("item %d (%s): internal error", movie.id, movie.path, exc_info=exc)
            reason = internal_error(exc)
            db.record_failure("identify", movie.id, reason)
            return IdentifyResult(movie.id, False, reason, error=True)

    with ThreadPoolExecutor(threads, thread_name_prefix="identify") as pool:
        return list(pool.map(db.carry_fence(one), movie_ids))


def identify_item(
    rt: Runtime,
    movie: db.Movie,
    *,
    tmdb_id: int | None = None,
    imdb_id: str | None = None,
    source: str | None = None,
    tvdb_id: int | None = None,
    series_type: str | None = None,
) -> IdentifyResult:
    """Identify one item. With `tmdb_id`/`imdb_id` (manual or webhook) no search is made.
    Shows and episodes go to identify/tv.py (an episode: by its identified show); a show's
    `series_type` is Sonarr's (`anime`, `daily`, `standard`: its webhook).

    An unsure match is no error: the item stays unidentified with its candidates and the reason.
    Raises ProviderUnavailable when TMDB cannot be reached (worth a retry) and ItemError when the
    given ids are unknown; whoever runs the stage records those."""
    if movie.kind != db.MOVIE:
        return _identify_tv(rt, movie, tmdb_id, tvdb_id, imdb_id, source, series_type)
    if tvdb_id:
        raise ItemError("--tvdb identifies TV shows; a movie takes --tmdb or --imdb")
    if tmdb_id or imdb_id:
        details = _lookup(rt, tmdb_id, imdb_id)
        if details is None:
            if tmdb_id:
                raise ItemError(f"TMDB id {tmdb_id} is unknown to TMDB")
            raise unknown_imdb(rt, str(imdb_id), "movie")
        return _identified(rt, movie, details, source or "manual")
    return _auto_identify(rt, movie)


def unknown_imdb(rt: Runtime, imdb_id: str, wanted: str) -> ItemError:
    """The error for an IMDb id TMDB has no `wanted` ("movie" or "tv") of. One TMDB knows as
    the other kind (a movie's id given for a show, or a show's for a movie) says what it is,
    rather than "unknown", which sent the user looking for a typo."""
    what = f"IMDb id {imdb_id}"
    if wanted == "movie":
        kind, other, other_kind = "movie", "tv_results", "TV show"
    else:
        kind, other, other_kind = "TV show", "movie_results", "movie"
    hits: list = []
    with contextlib.suppress(ProviderError):  # "unknown" a moment ago: that stays the answer
        hits = rt.tmdb.find(imdb_id, "imdb_id").get(other) or []
    if hits and isinstance(hits[0], dict):
        hit = hits[0]
        title = hit.get("title") or hit.get("name") or "?"
        year = str(hit.get("release_date") or hit.get("first_air_date") or "")[:4] or "?"
        return ItemError(
            f"{what} is not a {kind} on TMDB: it is the {other_kind} {title!r} ({year})"
        )
    return ItemError(f"{what} is unknown to TMDB")


def _identify_tv(rt, item, tmdb_id, tvdb_id, imdb_id, source, series_type) -> IdentifyResult:
    from metarrd.identify.tv import identify_episodes, identify_show

    if item.kind == db.SHOW:
        return identify_show(rt, item, tmdb_id=tmdb_id, tvdb_id=tvdb_id, imdb_id=imdb_id,
                             source=source, series_type=series_type)  # fmt: skip
    show = item.show
    if item.kind != db.EPISODE or show is None:
        raise ItemError(f"{item.label}: a season is identified with its show")
    if tmdb_id or tvdb_id or imdb_id:
        raise ItemError(f"identify the show (item {show.id}) instead: episodes follow its numbers")
    if show.identification_status == db.UNIDENTIFIED:
        return IdentifyResult(item.id, False, f"its show (item {show.id}) is not identified yet")
    # its file and the show's other new ones (a season import: one identify matches them all,
    # each season fetched once, and their own jobs find them done); those matched before stand
    new = db.Movie.select(db.Movie.id).where(
        db.Movie.show == show, db.Movie.kind == db.EPISODE, ~db.Movie.missing,
        db.Movie.identification_status == db.UNIDENTIFIED,
    )  # fmt: skip
    summary = identify_episodes(rt, show, only={item.id, *(i for (i,) in new.tuples())})
    fresh = db.Movie.get_by_id(item.id)
    ok = fresh.identification_status != db.UNIDENTIFIED
    return IdentifyResult(item.id, ok, summary if ok else (fresh.last_error or summary))


def _lookup(
    rt: Runtime, tmdb_id: int | None, imdb_id: str | None, append: str = "external_ids"
) -> dict[str, Any] | None:
    tmdb = rt.tmdb
    if tmdb_id:
        return tmdb.movie_or_none(int(tmdb_id), append=append)
    if imdb_id:
        results = tmdb.find_imdb(imdb_id)
        if not results:
            return None
        return tmdb.movie_or_none(int(results[0]["id"]), append="external_ids")
    return None


def _auto_identify(rt: Runtime, movie: db.Movie) -> IdentifyResult:
    hints = movie.hints or {}
    notes: list[str] = []
    for source, label in (("nfo", "the NFO"), ("name", "the file name")):
        tmdb_id = hints.get(f"{source}_tmdb_id")
        imdb_id = hints.get(f"{source}_imdb_id")
        unnamed = source == "nfo" and hints.get("nfo_tmdb_unnamed")
        if tmdb_id and unnamed:  # maybe another site's number: taken when it names this film
            details = _lookup(rt, tmdb_id, None, append="external_ids,alternative_titles")
            if details is not None and (mismatch := _not_named(details, hints)) is None:
                return _identified(rt, movie, details, source)
            notes.append(
                f"{label}'s {hints['nfo_tmdb_source']} {tmdb_id} is no TMDB id it can be sure"
                f" of: {mismatch}"
                if details is not None
                else f"{label} names TMDB id {tmdb_id}, which TMDB does not know"
            )
        elif tmdb_id:
            details = _lookup(rt, tmdb_id, None, append=_appends(hints, source))
            if details is not None:
                return _identified_or_asked(rt, movie, details, source, by_name=source == "name")
            notes.append(f"{label} names TMDB id {tmdb_id}, which TMDB does not know")
        if imdb_id:
            details = _lookup(rt, None, imdb_id, append=_appends(hints, source))
            if details is not None:
                return _identified_or_asked(rt, movie, details, "imdb", by_name=source == "name")
            notes.append(f"{label} names IMDb id {imdb_id}, which TMDB cannot find")

    title = hints.get("name_title") or _title_of_its_own(movie)
    year = hints.get("name_year") or movie.year
    if not title:
        return _unsure(rt, movie, "; ".join(notes + ["no title could be read from the name"]))
    others = [t for t in hints.get("name_other_titles") or [] if t != title]
    matches = search_titles(rt, [title, *others], year)
    movie.candidates = [_candidate_dict(m) for m in matches[:MAX_STORED_CANDIDATES]]
    if matches and is_confident(matches):
        details = rt.tmdb.movie_or_none(
            matches[0].candidate.tmdb_id, append=_appends(hints, "name")
        )
        if details is not None:
            return _identified_or_asked(rt, movie, details, "search", matches, by_name=True)
    movie.candidates = add_posters(rt, movie.candidates)  # the user chooses: show the posters
    what = " or ".join(repr(t) for t in [title, *others]) + (f" ({year})" if year else "")
    if not matches:
        reason = f"TMDB has no match for {what}"
    else:
        best = matches[0].candidate
        reason = (
            f"no confident match for {what}: {count(matches, 'candidate')}, best "
            f"{best.title!r} ({best.year or '?'}); choose one in the UI or run "
            f"`metarrd identify {movie.id} --tmdb ID`"
        )
    return _unsure(rt, movie, "; ".join(notes + [reason]))


def _appends(hints: dict[str, Any], source: str) -> str:
    """What a film's details are asked with: its alternative titles too when the file's own
    title is to be checked against them (`_identified_or_asked`)."""
    check = source == "name" and hints.get("name_file_title")  # what `by_name` checks
    return "external_ids,alternative_titles" if check else "external_ids"


def _identified_or_asked(
    rt: Runtime,
    movie: db.Movie,
    details: dict[str, Any],
    source: str,
    matches: list[Match] | None = None,
    *,
    by_name: bool,
) -> IdentifyResult:
    """The film its folder names (its title and year, its id tags), unless the file in it is
    named otherwise, with a title the film does not bear: "The Matrix (1999)/The Matrix
    Reloaded.mkv", "Alien (1979)/Aliens.mkv" are sequels kept in the first film's folder, not
    the first film. Then the user chooses, among the folder's film and the file title's ones."""
    hints = movie.hints or {}
    file_title = hints.get("name_file_title") if by_name else None
    if not file_title or names_one_of(_film_titles(details), [file_title]):
        return _identified(rt, movie, details, source)
    date = details.get("release_date") or ""
    film = f"{details.get('title')!r} ({date[:4] or '?'})"
    if not matches:  # its id tags named it: the folder's film is a candidate all the same
        named = hints.get("name_title") or details.get("title") or ""
        matches = rank_candidates(named, hints.get("name_year"), [SearchResult.from_tmdb(details)])
    seen = {m.candidate.tmdb_id for m in matches}
    found = [m for m in search(rt, file_title, None) if m.candidate.tmdb_id not in seen]
    ranked = found + matches
    movie.candidates = add_posters(rt, [_candidate_dict(m) for m in ranked[:MAX_STORED_CANDIDATES]])
    reason = (
        f"the folder names {film}, but the file is named {file_title!r}, which is not that"
        " film's title: another film kept in its folder? Choose one in the UI or run"
        f" `metarrd identify {movie.id} --tmdb ID`"
    )
    return _unsure(rt, movie, reason)


def _film_titles(details: dict[str, Any]) -> list[str]:
    """A TMDB film's title, original title and alternative titles (those it was fetched with)."""
    alternatives = (details.get("alternative_titles") or {}).get("titles") or []
    titles = [details.get("title"), details.get("original_title")]
    titles += [t.get("title") for t in alternatives if isinstance(t, dict)]
    return [t for t in titles if isinstance(t, str) and t]


def _not_named(details: dict[str, Any], hints: dict[str, Any]) -> str | None:
    """None when the film TMDB gives for a number the NFO does not say is TMDB's (a legacy
    `<id>`, an untyped `uniqueid`) bears a title the NFO or the file's name gives it; else why
    it is not taken. Kodi up to 17 wrote its scraper's id there, whatever the site: the AniDB
    movie scraper its anime id (scudlee-xbmc-addons metadata.movies.anidb.net.mod, `<id>` of
    its GetDetailsExt), which TMDB knows as some other film."""
    names = [*(hints.get("nfo_titles") or []), hints.get("name_title")]
    names += hints.get("name_other_titles") or []
    names = [n for n in names if isinstance(n, str) and n]
    if names_one_of(_film_titles(details), names):
        return None
    date = details.get("release_date") or ""
    film = f"{details.get('title')!r} ({date[:4] or '?'})"
    if not names:
        return f"TMDB's film of that number is {film}, and neither the NFO nor the name has a title"
    return (
        f"TMDB's film of that number is {film}, not {names[0]!r}; the number may be another site's"
    )


def _title_of_its_own(movie: db.Movie) -> str | None:
    """The item's title when its name gives none: the user's (their NFO's, an edit), never the
    file name the scan showed in its place ("movie", an obfuscated hash), which the name reading
    gave no title because searching it finds nothing or something wrong."""
    return movie.title if movie.title and movie.title != Path(movie.path).stem else None


def search(rt: Runtime, title: str, year: int | None) -> list[Match]:
    """Run the search plan until a confident match appears; rank everything seen."""
    seen: dict[int, SearchResult] = {}
    matches: list[Match] = []
    for attempt in search_plan(title, year):
        for result in rt.tmdb.search_movie(attempt["query"], attempt.get("year")):
            cand = SearchResult.from_tmdb(result)
            seen.setdefault(cand.tmdb_id, cand)
        matches = rank_candidates(title, year, list(seen.values()))
        if matches and is_confident(matches):
            break
    return matches


def search_titles(rt: Runtime, titles: list[str], year: int | None) -> list[Match]:
    """Search a film's titles in turn ("Title A AKA Title B"), each as `search` does, until one
    gives a confident match. None did: every candidate seen, each ranked against the title that
    found it, for the user to choose from."""
    found: dict[int, Match] = {}
    for title in titles:
        matches = search(rt, title, year)
        if matches and is_confident(matches):
            return matches
        for m in matches:
            if m.candidate.tmdb_id not in found or m.distance < found[m.candidate.tmdb_id].distance:
                found[m.candidate.tmdb_id] = m
    return sorted(found.values(), key=lambda m: (m.distance, -m.candidate.vote_count))


def candidate_dicts(matches: list[Match]) -> list[dict[str, Any]]:
    """The best matches as `movies.candidates` stores them (what the identify page lists)."""
    return [_candidate_dict(m) for m in matches[:MAX_STORED_CANDIDATES]]


def _candidate_dict(m: Match) -> dict[str, Any]:
    c = m.candidate
    return {
        "tmdb_id": c.tmdb_id,
        "title": c.title,
        "original_title": c.original_title,
        "year": c.year,
        "popularity": c.popularity,
        "overview": (c.overview or "")[:300],
        "poster_path": c.poster_path,
        "distance": round(m.distance, 4),
        "penalties": {k: round(v, 4) for k, v in m.penalties.items()},
        "recommendation": m.recommendation,
        "reasons": list(m.reasons),
    }


# how an item was identified, as the activity and the item's history say it: the raw source
# ("identified by manual", "identified by episode nfo") read as a code, not as a sentence
_HOW = {
    "nfo": "by its NFO",
    "folder": "by its folder's name",
    "name": "by its name",
    "imdb": "by its IMDb id",
    "episode nfo": "by its episode NFOs",
    "search": "by a TMDB search",
    "manual": "by hand",
    "webhook": "by the ids the webhook sent",
}


# the source of a show's identify that matches its episodes again in the order the user chose
# (`metarrd tv order`, the show page): the show stays as it was identified, and says how it was,
# not "identified by a TMDB search" when no search was made
ORDER_CHANGED = "order"


def identified_how(source: str) -> str:
    """ "by hand", "by its NFO"...: how an item identified by `source` (db.Movie.identified_by)
    was, for a message."""
    return _HOW.get(source, f"by {source}")


def _identified(
    rt: Runtime, movie: db.Movie, details: dict[str, Any], source: str
) -> IdentifyResult:
    tmdb_id = int(details["id"])
    imdb_id = details.get("imdb_id") or (details.get("external_ids") or {}).get("imdb_id") or None
    changed_id = movie.tmdb_id is not None and movie.tmdb_id != tmdb_id
    forgotten: tuple[set[str], set[str]] = (set(), set())
    with db.write_transaction():
        rt.require_lease([movie.id], "its identification")
        movie = db.Movie.get_by_id(movie.id)  # fresh: a user edit may have landed meanwhile
        if changed_id:
            forgotten = forget_enrichment(movie)
        movie.tmdb_id = tmdb_id
        movie.imdb_id = imdb_id or _known_imdb_id(movie, tmdb_id, changed_id)
        date = details.get("release_date") or ""
        title = details.get("title")
        if title and not movie.is_locked("title") and not movie.is_locked("sort_title"):
            # Kodi lists by <sorttitle>: "Change movie…" from The Matrix to The Thing left
            # "Matrix" (derived from the old title), filing The Thing under M
            movie.sort_title = follow_title(title, movie.sort_title, movie.title)
        for column, value in (
            ("title", details.get("title")),
            ("original_title", details.get("original_title")),
            ("year", int(date[:4]) if date[:4].isdigit() else None),
        ):
            if value and not movie.is_locked(column):
                setattr(movie, column, value)
        if movie.identification_status != db.ENRICHED or changed_id:
            movie.identification_status = db.IDENTIFIED
        movie.identified_by = source
        # identification succeeded; problems the scan found (a hostile NFO...) still stand
        movie.last_error = "; ".join((movie.hints or {}).get("scan_errors") or []) or None
        movie.updated_at = db.now()
        movie.save()
        reason = (
            f"identified {identified_how(source)} as {movie.title} ({movie.year}) [tmdb {tmdb_id}]"
        )
        db.record_event("identify.done", reason, movie=movie, tmdb_id=tmdb_id, source=source)
    if changed_id:  # the old film's images and previews, unless another row still uses them
        cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *forgotten)
    log.info("item %d: %s", movie.id, reason)
    return IdentifyResult(movie.id, True, reason)


def _known_imdb_id(movie: db.Movie, tmdb_id: int, changed_id: bool) -> str | None:
    """The IMDb id we already had for this TMDB id, when TMDB gives none (its `imdb_id` is null
    for many small films): the item's own, else the one the user's NFO names beside this same
    TMDB id. Another TMDB id means another film: its IMDb id goes."""
    if changed_id:
        return None
    hints = movie.hints or {}
    nfo_imdb = hints.get("nfo_imdb_id") if hints.get("nfo_tmdb_id") == tmdb_id else None
    return movie.imdb_id or nfo_imdb or None


# what enrich puts on a movie (enrich/metadata.py `movie_fields`) besides its title, original
# title, sort title and year, which identification sets: the old film's go with its id
_MOVIE_PROVIDER_FIELDS: dict[str, Any] = {
    "plot": None, "tagline": None, "runtime": None, "premiered": None, "rating": None,
    "votes": None, "genres": [], "countries": [], "studios": [], "directors": [], "writers": [],
    "mpaa": None, "set_name": None, "set_overview": None, "trailer": None,
}  # fmt: skip


def forget_enrichment(movie: db.Movie) -> tuple[set[str], set[str]]:
    """The item now is another movie: provider candidates and cast of the old one go, and so
    do its rows of the old film's cached provider images (the user's own images stay, found in
    the library or added on its page, chosen as they were: `forget_provider_rows`); a
    movie's metadata not locked goes too (the old film's plot under the new film's title was
    what the review showed and a publish wrote before the next enrich), and the keywords the
    last enrich added to its tags (the user's tags stay). Returns the cache files and previews
    they named, for `cache.remove_unused` once committed."""
    ids = db.Movie.select(db.Movie.id).where(db.Movie.id == movie.id)
    stranded = stranded_locks(ids).get(movie.id, set())
    found = forget_provider_rows(ids)
    forget_enriched_fields(movie, stranded)
    return found


def stranded_locks(ids: pw.Query) -> dict[int, set[str]]:
    """Per item of `ids` (a query of their ids), the artwork types whose selected images are
    all provider images, which `forget_provider_rows` drops: the lock the user's choice of one
    put on its type (choosing locks it) would outlive it, and the new film's enrich, which
    leaves a locked type as it is, would select nothing of that type for good: no poster. A
    type one of the user's own images is chosen in keeps its lock, and so does a type locked
    with nothing chosen (the user wants none). One query for all the items."""
    A = db.ArtworkCandidate
    own: dict[int, set[str]] = {}
    providers: dict[int, set[str]] = {}
    rows = A.select(A.movie, A.asset_type, A.provider).where(A.movie.in_(ids), A.is_selected)
    for movie_id, asset_type, provider in rows.tuples():
        (own if provider in _USERS_OWN else providers).setdefault(movie_id, set()).add(asset_type)
    return {m: types - own.get(m, set()) for m, types in providers.items()}


def forget_provider_rows(ids: pw.Query) -> tuple[set[str], set[str]]:
    """The provider candidates, cached provider images and cast of the items `ids` (a query
    of their ids: a show and all its items at once) go; the user's own images stay: the files
    found in the library (provider "library") and the images added on the item's page
    (uploaded, or from an address: provider "user"), each with its cached image and preview,
    chosen (and ranked) as it was, under the type's lock, which stays (`forget_enriched_fields`
    touches no `locked_asset_types`). Returns the cache files and previews the rows named, for
    `cache.remove_unused` once committed (a file or preview a kept row uses stays)."""
    files, previews = cache.files_of(ids)
    C, A = db.CacheImageFile, db.ArtworkCandidate
    A.delete().where(A.movie.in_(ids), A.provider.not_in(_USERS_OWN)).execute()
    # an added image's cached copy: its own row, or the row of a provider's image of the same
    # type and content that it took (`add_user_image`: one row per picture of an item's type)
    K = C.alias("kept")  # not the name of the table the statement deletes from
    added = (
        K.select(K.id)
        .join(A, on=(A.movie == K.movie) & (A.asset_type == K.image_type)
              & (A.content_hash == K.file_hash))
        .where(K.movie.in_(ids), K.actor.is_null(), A.provider == USER_IMAGE)
    )  # fmt: skip
    C.delete().where(
        C.movie.in_(ids), C.actor.is_null(), C.source_type != LIBRARY_SOURCE, C.id.not_in(added)
    ).execute()
    db.MovieActor.delete().where(db.MovieActor.movie.in_(ids)).execute()
    return files, previews


# the providers of the user's own images, which a re-identification keeps: the user's files in
# the library (scan) and the images added by hand on the item's page (enrich/user_images.py)
_USERS_OWN = (LIBRARY_SOURCE, USER_IMAGE)


def forget_enriched_fields(movie: db.Movie, stranded: Collection[str] = ()) -> None:
    """`movie` (not saved) is no longer enriched: a movie's metadata not locked goes (but a
    `<set>` of the user's own that the old film's enrich did not give: `_the_old_films`), and
    with it the outline of a plot and the overview of a collection that go, the keywords the last
    enrich added to its tags, and what the user's NFO said of the old film itself: its ratings
    (IMDb's, Metacritic's...), its ids on other sites (Trakt...), its Top 250 rank, its cast and
    producers (`OLD_FILMS_ELEMENTS`), as tinyMediaManager drops a film's ids and ratings when
    another film is scraped. The user's own stay: tags, sort title, user rating, watch state,
    the locks of artwork types but those `stranded` (`stranded_locks`: the old film's images
    they held went). A published item is outdated."""
    movie.enriched_at = None
    if stranded and movie.locked_asset_types:
        movie.locked_asset_types = [t for t in movie.locked_asset_types if t not in stranded]
    if movie.kind == db.MOVIE:
        locked = set(movie.locked_fields or [])
        hints = dict(movie.hints or {})
        provided = hints.pop(PROVIDED_HINT, None)
        plot = movie.plot
        for name, empty in _MOVIE_PROVIDER_FIELDS.items():
            if name not in locked and _the_old_films(movie, name, provided):
                setattr(movie, name, empty)
        if plot and movie.plot is None and "outline" not in locked:
            movie.outline = None  # the old film's plot in short (tinyMediaManager writes one)
        keywords = set(hints.pop(KEYWORDS_HINT, None) or [])
        if keywords and "tags" not in locked:
            movie.tags = [t for t in movie.tags or [] if t not in keywords]
        movie.hints = hints
        drop_nfo_elements(movie, OLD_FILMS_ELEMENTS)
    if movie.publish_state == db.PUBLISHED:
        movie.publish_state = db.OUTDATED


# what the user's NFO keeps beside ours (`nfo_extra`) that speaks of the film, not of the
# user's copy: gone with the old film's id (`drop_nfo_elements`)
OLD_FILMS_ELEMENTS = frozenset({"ratings", "uniqueid", "top250", "actor", "producer"})
_TAG = re.compile(r"<([A-Za-z_][\w.-]*)")


def drop_nfo_elements(item: db.Movie, names: Collection[str]) -> None:
    """`item` (not saved) keeps none of the elements `names` of its NFO (`nfo_extra`), but its
    `<actor>`s when the user locked its cast."""
    item.nfo_extra = without_nfo_elements(item.nfo_extra, names, item.locked_fields)


def without_nfo_elements(
    extra: Any, names: Collection[str], locked: Collection[str] | None
) -> list[str]:
    """The serialized NFO elements `extra` (an `nfo_extra`, an episode block's `extra`) but
    those named `names`; the `<actor>`s stay when the user locked the cast (`locked`)."""
    drop = set(names) - ({"actor"} if CAST_LOCK in (locked or ()) else set())
    return [e for e in extra or [] if not isinstance(e, str) or _element(e) not in drop]


def _element(serialized: str) -> str | None:
    found = _TAG.match(serialized.lstrip())
    return found.group(1).casefold() if found else None


# the fields that may be the user's own order of their library, not a word on the film: a
# `<set>` of theirs ("John Carpenter's Apocalypse Trilogy") where TMDB has the film in none
_USERS_WHEN_NOT_GIVEN = frozenset({"set_name", "set_overview"})


def _the_old_films(movie: db.Movie, name: str, provided: Any) -> bool:
    """Whether the value of `name` is the old film's. A plot, a runtime, a director... is, even
    one the old film's enrich did not give (the user's NFO's, written by tinyMediaManager from
    IMDb: the old film's still). A collection is the old film's when its last enrich gave it
    (`provided`, enrich's PROVIDED_HINT), or when there is no record of that enrich (enriched
    before the record was kept, or never); its overview goes with it."""
    if name not in _USERS_WHEN_NOT_GIVEN or not isinstance(provided, dict):
        return True
    if name == "set_overview":
        return movie.set_name is None
    return provided.get(name) == value_mark(getattr(movie, name))


def _unsure(rt: Runtime, movie: db.Movie, reason: str) -> IdentifyResult:
    """Left unidentified for the user: the candidates and the reason stay on the item. A film
    named as a TV episode is said to be one: a TV library configured without `kind = "tv"`
    left every episode a film TMDB has no match for, and said nothing of the kind."""
    if movie.kind == db.MOVIE and (marker := episode_marker(Path(movie.path))) is not None:
        reason += (
            f"; named like a TV episode ({marker}): a movie library reads each file as a film; "
            f'if library {movie.library.name!r} holds TV shows, set kind = "tv" in its '
            "[[library]] and scan again"
        )
    with db.write_transaction():
        rt.require_lease([movie.id], "its candidates")
        fresh = db.Movie.get_by_id(movie.id)
        fresh.candidates = movie.candidates
        fresh.last_error = "; ".join([*((fresh.hints or {}).get("scan_errors") or []), reason])
        fresh.updated_at = db.now()
        fresh.save()
        db.record_event("identify.unsure", reason, movie=fresh, level="warning")
    log.warning("item %d (%s): %s", movie.id, movie.path, reason)
    return IdentifyResult(movie.id, False, reason)


def manual_identify(
    rt: Runtime,
    movie: db.Movie,
    *,
    tmdb_id: int | None = None,
    imdb_id: str | None = None,
    tvdb_id: int | None = None,
) -> IdentifyResult:
    if not (tmdb_id or imdb_id or tvdb_id):
        raise ValueError("give a TMDB, TheTVDB or IMDb id")
    return identify_item(
        rt, movie, tmdb_id=tmdb_id, imdb_id=imdb_id, tvdb_id=tvdb_id, source="manual"
    )
