"""TMDB movie details -> the movie's metadata field values, and the cast (pure).

`movie_fields` reads one `/movie/{id}?append_to_response=credits,release_dates,videos,keywords`
answer and returns values keyed by Movie column names (db.EDITABLE_FIELDS); `english_fallback`
gives the plot and tagline of its `translations` where the language asked for has none. `merge_fields` decides
what an enrich may change: never a locked field (nor, with the year locked, a premiered date of
another year, which Kodi would show instead), and an empty provider value never erases a value
the item already has (it may come from the user's own NFO). A sort title is only derived (from
the item's title, the user's when locked) when the item has none or had the one derived before.
`cast_members` gives the billed cast in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from metarrd.fields import follow_title, sort_title, value_mark
from metarrd.providers import number, positive, whole

YOUTUBE_PLUGIN = "plugin://plugin.video.youtube/play/?video_id={key}"
WRITER_JOBS = ("Screenplay", "Writer", "Author")
THEATRICAL = 3  # TMDB release type
# Fields we derive rather than read: only filled when the item has no value yet.
FILL_ONLY = frozenset({"sort_title"})
YEARS = (1870, 2100)  # the years the year column takes (db.INT_RANGES, a test checks they agree)


@dataclass(frozen=True)
class CastMember:
    tmdb_id: int
    name: str
    role: str
    order: int
    profile_path: str | None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _names(items: Any, key: str = "name") -> list[str]:
    out: list[str] = []
    for item in items or []:
        name = _text(item.get(key)) if isinstance(item, dict) else None
        if name and name not in out:
            out.append(name)
    return out


def certification(details: Mapping[str, Any], country: str) -> str | None:
    """The country's age rating: the first non-empty one, preferring theatrical (type 3)."""
    country = country.upper()
    for entry in (details.get("release_dates") or {}).get("results") or []:
        if not isinstance(entry, dict) or str(entry.get("iso_3166_1", "")).upper() != country:
            continue
        dates = [d for d in entry.get("release_dates") or [] if isinstance(d, dict)]
        rated = [d for d in dates if _text(d.get("certification"))]
        theatrical = [d for d in rated if d.get("type") == THEATRICAL]
        best = (theatrical or rated or [None])[0]
        if best is not None:
            return _text(best["certification"])
    return None


def trailer(details: Mapping[str, Any], language: str = "en") -> str | None:
    """Kodi's YouTube plugin URL of the best trailer: official, in the language, then any."""
    lang = language.split("-")[0].lower()
    videos = [
        v
        for v in (details.get("videos") or {}).get("results") or []
        if isinstance(v, dict) and v.get("site") == "YouTube" and _text(v.get("key"))
    ]
    if not videos:
        return None

    def rank(v: dict[str, Any]) -> tuple[int, int, int, int]:
        kind = {"Trailer": 0, "Teaser": 1}.get(_text(v.get("type")) or "", 2)
        return (kind, 0 if v.get("official") else 1, 0 if v.get("iso_639_1") == lang else 1,
                -(whole(v.get("size")) or 0))  # fmt: skip

    best = min(videos, key=rank)
    if rank(best)[0] == 2:
        return None  # featurettes and clips are no trailer
    return YOUTUBE_PLUGIN.format(key=best["key"].strip())


def crew(details: Mapping[str, Any], department: str, jobs: Iterable[str]) -> list[str]:
    jobs = set(jobs)
    wanted = [
        c
        for c in (details.get("credits") or {}).get("crew") or []
        if isinstance(c, dict) and c.get("department") == department and c.get("job") in jobs
    ]
    return _names(wanted)


def movie_fields(
    details: Mapping[str, Any], certification_country: str, language: str = "en"
) -> dict[str, Any]:
    """Every metadata value TMDB gives for the movie, keyed by Movie column."""
    date = _text(details.get("release_date"))
    premiered = date if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None
    runtime = positive(details.get("runtime"))
    rating = number(details.get("vote_average"))
    votes = details.get("vote_count")
    collection = details.get("belongs_to_collection")
    title = _text(details.get("title"))
    fields: dict[str, Any] = {
        "title": title,
        "original_title": _text(details.get("original_title")),
        "sort_title": sort_title(title),
        "plot": _text(details.get("overview")),
        "tagline": _text(details.get("tagline")),
        "runtime": runtime,
        "premiered": premiered,
        "year": int(premiered[:4]) if premiered else None,
        "rating": round(rating, 3) if rating is not None and votes else None,
        "votes": int(votes) if isinstance(votes, int) and votes > 0 else None,
        "genres": _names(details.get("genres")),
        "countries": _names(details.get("production_countries")),
        "studios": _names(details.get("production_companies")),
        "directors": crew(details, "Directing", ("Director",)),
        "writers": crew(details, "Writing", WRITER_JOBS),
        "mpaa": certification(details, certification_country),
        "tags": _names((details.get("keywords") or {}).get("keywords")),
        "set_name": _text(collection.get("name")) if isinstance(collection, dict) else None,
        "trailer": trailer(details, language),
    }
    return fields


# the text columns TMDB leaves empty ("") in a language the movie has no translation into, and
# their key in a `translations` entry's `data`
TRANSLATED = {"plot": "overview", "tagline": "tagline"}


def english_fallback(details: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, str]:
    """The plot and tagline in English where `fields` (the language asked for) has none.

    TMDB answers `overview: ""` in a language nobody translated the movie into; Kodi's scraper
    then takes the text of its request without a language, English (tmdb.py `_assemble_details`:
    `movie.get('overview') or movie_fallback.get('overview')`). Here the appended
    `translations` give it in the same request: en-US first, then any English one."""
    entries = [
        t
        for t in (details.get("translations") or {}).get("translations") or []
        if isinstance(t, dict) and t.get("iso_639_1") == "en" and isinstance(t.get("data"), dict)
    ]
    entries.sort(key=lambda t: t.get("iso_3166_1") != "US")
    out: dict[str, str] = {}
    for column, key in TRANSLATED.items():
        if _empty(fields.get(column)):
            text = next((v for t in entries if (v := _text(t["data"].get(key)))), None)
            if text:
                out[column] = text
    return out


def provided_marks(item: Mapping[str, Any], provided: Mapping[str, Any]) -> dict[str, str]:
    """{column: value_mark} of the item's columns that hold the provider's value after an enrich
    (`provided`: what the provider gave). A column it gave nothing for, or whose value stayed
    another (locked, or the user's NFO's where the provider's is only a fill-in), is the user's:
    "Change movie…" keeps such a collection (`identify.forget_enrichment`). Tags have their own
    record (KEYWORDS_HINT)."""
    return {
        column: value_mark(item.get(column))
        for column, value in provided.items()
        if column != "tags" and not _empty(value) and item.get(column) == value
    }


def tags_with_keywords(
    current: Iterable[str] | None, added_before: Iterable[str] | None, keywords: list[str]
) -> list[str]:
    """The item's tags after an enrich: the user's own first (those of `current` that no
    enrich added: a tinyMediaManager or Radarr NFO's `<tag>`s, Kodi's smart playlists' base),
    then TMDB's keywords of now. TMDB's keywords replaced the user's tags before, unless the
    field was locked; a keyword TMDB no longer gives, or the old film's after "Change movie…",
    goes (`added_before`: what the last enrich added, Movie.hints[KEYWORDS_HINT])."""
    before = set(added_before or ())
    own = [t for t in dict.fromkeys(current or ()) if t not in before]
    return own + [k for k in keywords if k not in own]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def merge_fields(
    current: Mapping[str, Any],
    new: Mapping[str, Any],
    locked: Iterable[str],
    fill_only: Iterable[str] = (),
) -> dict[str, Any]:
    """The changes an enrich makes: {column: new value} for unlocked fields whose value differs.

    Locked fields never change; an empty provider value never erases an existing one; derived
    fields (sort title) and `fill_only` ones (a plot in English standing in for the language
    asked for: the user's own, from their NFO, stays) are only filled when empty.
    """
    locked = set(locked or ())
    fill = FILL_ONLY | set(fill_only or ())
    changes: dict[str, Any] = {}
    for column, value in new.items():
        if column in locked or _empty(value):
            continue
        old = current.get(column)
        if column in fill and not _empty(old):
            continue
        if old != value:
            changes[column] = value
    if "set_name" in changes and "set_overview" not in locked:
        changes["set_overview"] = None  # the old collection's overview no longer applies
    if "sort_title" in new and "sort_title" not in locked:
        _derive_sort_title(current, changes, new.get("title"))
    if "year" in locked and "premiered" not in locked:
        _keep_locked_year(current, changes)
    if "premiered" in locked and "year" not in locked:
        _keep_locked_date(current, changes)
    return changes


def _keep_locked_date(current: Mapping[str, Any], changes: dict[str, Any]) -> None:
    """With the premiered date locked, the year is the date's (the NFO's `<year>` is written
    from it, and Kodi reads the date): a provider's year that is not the date's is not taken,
    and one the item has (identification took it) becomes the date's, so the page shows the
    year Kodi does."""
    premiered = current.get("premiered")
    if not isinstance(premiered, str) or not premiered[:4].isdigit():
        return
    year = int(premiered[:4])
    changes.pop("year", None)
    if current.get("year") != year and YEARS[0] <= year <= YEARS[1]:  # not a typo's 0199
        changes["year"] = year


def _derive_sort_title(
    current: Mapping[str, Any], changes: dict[str, Any], provider_title: str | None
) -> None:
    """The derived sort title follows the item's title after this enrich, not the provider's:
    a title the user locked ("Neo Rising") got the sort title of TMDB's ("Matrix"), and Kodi,
    which lists by `<sorttitle>`, filed the user's title under M."""
    title = changes.get("title", current.get("title"))
    old = current.get("sort_title")
    wanted = follow_title(title, old, current.get("title"), provider_title)
    if wanted != old:
        changes["sort_title"] = wanted
    else:
        changes.pop("sort_title", None)


def _keep_locked_year(current: Mapping[str, Any], changes: dict[str, Any]) -> None:
    """A locked year wins over an unlocked premiered date of another year: Kodi takes the year
    from `<premiered>` and ignores `<year>` (kodi.md), so a date of the provider's year would
    show in Kodi instead of the user's. The provider's date is then not taken, and one of another
    year the item still has (from an enrich before the user edited the year) is cleared; the NFO
    then holds the user's `<year>` alone."""
    year = current.get("year")
    if not isinstance(year, int):
        return
    premiered = changes.get("premiered", current.get("premiered"))
    if isinstance(premiered, str) and premiered[:4] != f"{year:04d}":
        if _empty(current.get("premiered")):
            changes.pop("premiered", None)
        else:
            changes["premiered"] = None


def cast_members(details: Mapping[str, Any], limit: int) -> list[CastMember]:
    """The first `limit` billed cast members (TMDB `order`), one entry per person."""
    cast = [
        c
        for c in (details.get("credits") or {}).get("cast") or []
        if isinstance(c, dict) and isinstance(c.get("id"), int) and _text(c.get("name"))
    ]
    cast.sort(key=lambda c: c.get("order") if isinstance(c.get("order"), int) else 10**6)
    out: list[CastMember] = []
    seen: set[int] = set()
    for c in cast:
        if len(out) >= limit:
            break
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        out.append(
            CastMember(
                tmdb_id=c["id"],
                name=_text(c["name"]) or "",
                role=_text(c.get("character")) or "",
                order=len(out),
                profile_path=_text(c.get("profile_path")),
            )
        )
    return out
