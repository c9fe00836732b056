"""TMDB TV JSON -> the metadata of a show, a season and an episode file, and their cast (pure).

`show_fields` reads `/tv/{id}?append_to_response=aggregate_credits,content_ratings,external_ids,...`;
`season_fields` one `season/N` body; `episode_detail` one episode of a season body, and
`episode_fields` the fields of an episode file from its episodes' details (the first one's
title, plot, air date, ratings; the runtimes added; directors and writers of all). Values are
keyed by Movie column; `metadata.merge_fields` decides what an enrich may change.

An episode ref (identify/tv.py) carries the numbers of the show's episode order (`season`,
`episode`: what the NFO writes) and, when they differ, TMDB's (`tmdb_season`,
`tmdb_episode`: where TMDB's season body has it); `tmdb_numbers` says which TMDB episode a ref
is, None for an episode only TheTVDB has, whose block `tvdb_episode_detail` builds from
TheTVDB's own text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from metarrd.enrich.metadata import CastMember, _names, _text, english_fallback, trailer
from metarrd.fields import DETAIL_FIELDS, SUMMED_FIELDS, block_lock
from metarrd.providers import number, positive

WRITER_JOBS = ("Writer", "Screenplay", "Teleplay", "Story", "Author")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: Any) -> str | None:
    text = _text(value)
    return text if text and _DATE.fullmatch(text) else None


def _rating(data: Mapping[str, Any]) -> tuple[float | None, int | None]:
    rating, votes = number(data.get("vote_average")), data.get("vote_count")
    if not (isinstance(votes, int) and votes > 0 and rating is not None):
        return None, None
    return round(rating, 3), votes


def content_rating(details: Mapping[str, Any], country: str) -> str | None:
    """The show's rating for the country (`content_ratings`), e.g. "TV-MA"."""
    for entry in (details.get("content_ratings") or {}).get("results") or []:
        if isinstance(entry, dict) and str(entry.get("iso_3166_1", "")).upper() == country.upper():
            return _text(entry.get("rating"))
    return None


def show_fields(
    details: Mapping[str, Any], certification_country: str, language: str = "en"
) -> dict[str, Any]:
    """The show's columns; `trailer` the best of its `videos` (as Kodi's TV scraper takes one:
    in `language`, else English), which only fills an empty one (`SHOW_FILL_ONLY`)."""
    premiered = _date(details.get("first_air_date"))
    rating, votes = _rating(details)
    return {
        "title": _text(details.get("name")),
        "original_title": _text(details.get("original_name")),
        "plot": _text(details.get("overview")),
        "premiered": premiered,
        "year": int(premiered[:4]) if premiered else None,
        "status": _text(details.get("status")),
        "studios": _names(details.get("networks")),
        "genres": _names(details.get("genres")),
        "rating": rating,
        "votes": votes,
        "mpaa": content_rating(details, certification_country),
        "trailer": trailer(details, language),
    }


# a show's trailer may be the one of the user's tvshow.nfo, which scan took: TMDB's only fills
# an empty one (an earlier publish's, read back, is ours)
SHOW_FILL_ONLY = frozenset({"trailer"})


def show_english_fallback(details: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, str]:
    """The show's plot in English where `fields` (`show_fields`, in the language asked for) has
    none: TMDB answers `"overview": ""` in a language nobody translated the show into, and Kodi's
    TV scraper then asks again in en-US (tmdb.py `load_show_info`); here the appended
    `translations` (`data`: name, overview, homepage, tagline) give it in the same request."""
    return {k: v for k, v in english_fallback(details, fields).items() if k in fields}


def show_ids(details: Mapping[str, Any]) -> dict[str, Any]:
    ext = details.get("external_ids") or {}
    tvdb = ext.get("tvdb_id")
    return {
        "imdb_id": _text(ext.get("imdb_id")),
        "tvdb_id": int(tvdb) if isinstance(tvdb, int) or str(tvdb or "").isdigit() else None,
    }


def season_fields(season: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": _text(season.get("name")),
        "plot": _text(season.get("overview")),
        "premiered": _date(season.get("air_date")),
    }


def season_english_fallback(
    fields: Mapping[str, Any], english: Mapping[str, Any] | None
) -> dict[str, str]:
    """The season's plot in English (`english`: its `season/N` body asked with
    `language=en-US`) where `fields` (`season_fields`, in the language asked for) has none, as
    Kodi's TV scraper takes it (tmdb.py `load_show_info`: `season_info_backup`)."""
    text = _text((english or {}).get("overview"))
    return {"plot": text} if text and not fields.get("plot") else {}


# TMDB's name of an episode nobody named in the language asked for: a word and the episode's
# number ("Episode 5", German "Folge 5", Slovak "Epizóda 1", Korean "에피소드 123", Japanese
# "第123話"), where the English name is the real one (xbmc/metadata.tvshows.themoviedb.org.python
# #18, jellyfin-plugin-tmdb#11, Cinephage#509: TMDB's `language=de` answers "Folge 2"); a word
# of letters only: a title such as "Catch-22" is no stand-in
_WORD = r"[^\d\s\-_:;,!?'\"()\[\]#/&+*]"
_PLACEHOLDER = re.compile(rf"({_WORD}{{1,12}})\s*0*(\d{{1,4}})\s*({_WORD}{{0,3}})")


def placeholder_name(name: Any, number: Any) -> bool:
    """Whether `name` is TMDB's stand-in name of episode `number` ("Folge 5" for 5)."""
    text = _text(name)
    match = _PLACEHOLDER.fullmatch(text) if text else None
    return bool(match) and isinstance(number, int) and int(match.group(2)) == number


def english_title(ep: Mapping[str, Any], english: Mapping[str, Any] | None) -> str | None:
    """The English name (`english`: the episode asked with `language=en-US`) of a TMDB episode
    whose name in the language asked for is TMDB's stand-in (`placeholder_name`), as Kodi's TV
    scraper takes it (tmdb.py `load_episode_info`: a name starting with "episode"); None when
    the name is a real one, or the English one is a stand-in too ("Episode 5": named nowhere)."""
    number = ep.get("episode_number")
    if not english or not placeholder_name(ep.get("name"), number):
        return None
    name = _text(english.get("name"))
    return name if name and not placeholder_name(name, number) else None


def english_plots(
    blocks: list[dict[str, Any]], english: list[str | None], users: list[Any]
) -> list[dict[str, Any]]:
    """`blocks` with each later block's empty plot the English one (`english`: per block, its
    episode's overview asked with `language=en-US`, as Kodi's TV scraper does in
    `load_episode_info`), unless the user's own block for that episode (`users`: scan's
    `hints["nfo_episodes"]`, matched as publish matches them) has a plot: publish writes that
    one. The first block's stays empty: publish writes the item's plot for it, which the
    English one fills only when the item has none (`metadata.merge_fields`' fill_only)."""
    out = []
    owns = _users_blocks(blocks, users)
    for i, (block, text, own) in enumerate(zip(blocks, english, owns, strict=True)):
        if i > 0 and text and not block.get("plot") and not _text((own or {}).get("plot")):
            block = {**block, "plot": text}
        out.append(block)
    return out


def _users_blocks(blocks: list[dict[str, Any]], users: Any) -> list[dict[str, Any] | None]:
    """Per block, the user's own block for its episode (scan's `hints["nfo_episodes"]`), as
    publish matches them: the one of the same season and episode, else the one at the same
    place when the user's file has as many blocks; None for none."""
    read = [b for b in users or () if isinstance(b, dict)]
    by_number = {(b.get("season"), b.get("episode")): b for b in read}
    out = []
    for i, block in enumerate(blocks):
        own = by_number.get((block.get("season"), block.get("episode")))
        if own is None and len(read) == len(blocks):
            own = read[i]
        out.append(own)
    return out


def _crew(ep: Mapping[str, Any], department: str, jobs: tuple[str, ...]) -> list[str]:
    wanted = [
        c
        for c in ep.get("crew") or []
        if isinstance(c, dict) and c.get("department") == department and c.get("job") in jobs
    ]
    return _names(wanted)


def episode_detail(ep: Mapping[str, Any], ref: Mapping[str, Any]) -> dict[str, Any]:
    """One `<episodedetails>` block's data: TMDB's episode with the ids identify found."""
    rating, votes = _rating(ep)
    return {
        "season": int(ref["season"]),
        "episode": int(ref["episode"]),
        "title": _text(ep.get("name")),
        "plot": _text(ep.get("overview")),
        "aired": _date(ep.get("air_date")),
        "runtime": positive(ep.get("runtime")),
        "rating": rating,
        "votes": votes,
        "directors": _crew(ep, "Directing", ("Director",)),
        "writers": _crew(ep, "Writing", WRITER_JOBS),
        "tmdb_id": ep.get("id") if isinstance(ep.get("id"), int) else ref.get("tmdb_id"),
        "tvdb_id": ref.get("tvdb_id"),
        # TMDB ids of this episode's own guest stars: a file of several episodes holds the
        # guests of all on its item, and each block lists only its episode's (publish)
        "guests": [c["id"] for c in _people(ep.get("guest_stars"))],
        # the production code (Futurama's "1ACV01"), written as `<code>`: kept only when TMDB
        # has one, so that the blocks of the many episodes without one do not change
        **({"code": code} if (code := _text(ep.get("production_code"))) else {}),
    }


def tmdb_numbers(ref: Mapping[str, Any]) -> tuple[int, int] | None:
    """(season, episode) of a ref's TMDB episode; None when TMDB has no counterpart."""
    if ref.get("tmdb_id") is None:
        return None
    return int(ref.get("tmdb_season", ref["season"])), int(ref.get("tmdb_episode", ref["episode"]))


def tvdb_episode_detail(
    ref: Mapping[str, Any], episode: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The block of an episode TMDB does not have: TheTVDB's title, plot, air date, runtime;
    those of its `episode` of TheTVDB's list now where they are not null, else as identify
    found them (the ref's `tvdb`)."""
    tvdb = dict(ref.get("tvdb") or {})
    fresh = {
        "title": _text((episode or {}).get("name")),
        "plot": _text((episode or {}).get("overview")),
        "aired": _date((episode or {}).get("aired")),
        "runtime": (episode or {}).get("runtime"),
    }
    tvdb.update((key, value) for key, value in fresh.items() if value)
    return {
        "season": int(ref["season"]),
        "episode": int(ref["episode"]),
        "title": _text(tvdb.get("title") or ref.get("title")),
        "plot": _text(tvdb.get("plot")),
        "aired": _date(tvdb.get("aired") or ref.get("aired")),
        "runtime": positive(tvdb.get("runtime")),
        "rating": None,
        "votes": None,
        "directors": [],
        "writers": [],
        "tmdb_id": None,
        "tvdb_id": ref.get("tvdb_id"),
    }


def keep_locked(
    blocks: list[dict[str, Any]],
    old: list[dict[str, Any]],
    current: Mapping[str, Any],
    locked: list[str],
    users: Any = (),
) -> list[dict[str, Any]]:
    """`blocks` with the first one keeping each locked field as the item's `old` first block had
    it (what the user edited and locked: the provider's fresh text must not undo it in the NFO).
    Without an old block, the item's `current` value, which is its first episode's, except the
    runtimes summed and the crews joined of a file of several episodes (the provider's stay).
    A later block keeps each of its own locked fields (`aired-2`: `block_lock`) as its old block
    had it, when that block was the same episode (a file renumbered since holds another one).
    Without an old block (the first enrich of a file whose NFO's `<lockdata>` locked it), as
    the user's own block of that episode in the NFO scan read (`users`: `hints["nfo_episodes"]`)
    has it, as the first block takes the item's."""
    first = old[0] if old and isinstance(old[0], dict) else None
    kept = {}
    for name in DETAIL_FIELDS & set(locked):
        if first is not None and name in first:
            kept[name] = first[name]
        elif len(blocks) == 1 or name not in SUMMED_FIELDS:
            kept[name] = current.get(name)
    out = list(blocks)
    if out and kept:
        out[0] = {**out[0], **kept}
    owns = _users_blocks(blocks, users) if any(block_lock(n) for n in locked) else []
    for name in locked:
        lock = block_lock(name)
        if lock is None or lock[1] >= len(out):
            continue
        field, i = lock
        was = old[i] if i < len(old) and isinstance(old[i], dict) else None
        if was is not None:
            if field in was and _same_episode(was, out[i]):
                out[i] = {**out[i], field: was[field]}
            continue
        own = owns[i]
        if own is not None and _same_episode(own, out[i]) and own.get(field):
            out[i] = {**out[i], field: own[field]}
    return out


def _same_episode(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return (a.get("season"), a.get("episode")) == (b.get("season"), b.get("episode"))


def episode_fields(details: list[dict[str, Any]]) -> dict[str, Any]:
    """The episode file's columns: the first episode's, runtimes summed, crews joined."""
    first = details[0]
    runtimes = [d["runtime"] for d in details if d["runtime"]]
    joined = {
        key: list(dict.fromkeys(name for d in details for name in d[key]))
        for key in ("directors", "writers")
    }
    return {
        "title": first["title"],
        "plot": first["plot"],
        "aired": first["aired"],
        "runtime": sum(runtimes) if runtimes else None,
        "rating": first["rating"],
        "votes": first["votes"],
        **joined,
    }


def _member(person: Mapping[str, Any], role: str, order: int) -> CastMember:
    return CastMember(
        tmdb_id=person["id"],
        name=_text(person["name"]) or "",
        role=role,
        order=order,
        profile_path=_text(person.get("profile_path")),
    )


def _people(items: Any) -> list[dict[str, Any]]:
    return [
        c
        for c in items or []
        if isinstance(c, dict) and isinstance(c.get("id"), int) and _text(c.get("name"))
    ]


def _episodes(role: Mapping[str, Any]) -> int:
    count = role.get("episode_count")
    return count if isinstance(count, int) else 0


def show_cast(details: Mapping[str, Any], limit: int) -> list[CastMember]:
    """The whole run's cast (`aggregate_credits`, else `credits`) in billing order; a person's
    role is the named character they played in most episodes (an uncredited role, `""` or
    null, names nobody)."""
    aggregate = (details.get("aggregate_credits") or {}).get("cast")
    people = _people(aggregate if aggregate else (details.get("credits") or {}).get("cast"))
    people.sort(key=lambda c: c.get("order") if isinstance(c.get("order"), int) else 10**6)
    out: list[CastMember] = []
    seen: set[int] = set()
    for c in people:
        if len(out) >= limit:
            break
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        roles = [r for r in c.get("roles") or [] if isinstance(r, dict)]
        roles.sort(key=lambda r: -_episodes(r))
        named = [name for r in roles if (name := _text(r.get("character")))]
        role = next(iter(named), None) if roles else _text(c.get("character"))
        out.append(_member(c, role or "", len(out)))
    return out


def guest_stars(
    episodes: list[Mapping[str, Any]], first_order: int, skip: set[int]
) -> list[CastMember]:
    """Guest stars of an episode file (all its episodes), numbered after the show's cast;
    people already in the show's cast (`skip`) are left out."""
    out: list[CastMember] = []
    seen = set(skip)
    for ep in episodes:
        stars = _people(ep.get("guest_stars"))
        stars.sort(key=lambda c: c.get("order") if isinstance(c.get("order"), int) else 10**6)
        for c in stars:
            if c["id"] in seen:
                continue
            seen.add(c["id"])
            out.append(_member(c, _text(c.get("character")) or "", first_order + len(out)))
    return out
