"""Rendering `tvshow.nfo` and episode NFOs (kodi-tv.md §2.2, §2.4, §7). Pure: data in, bytes out.

Same rules as the movie NFO (`nfo.py`: fixed element order after Kodi's own writer, UTF-8 with an
XML declaration, two-space indentation, one value per list element, ratings with one default
written last, absolute actor thumb URLs only, no scraper URL text), plus:

- `tvshow.nfo`: `uniqueid` tmdb (default), tvdb, imdb, then the user's of other types (tvmaze
  ...); `outline`, `tagline`, `runtime`, `country` and `trailer` only from the show item (no TV
  provider gives the others: they are the user's tvshow.nfo's, which would lose them otherwise;
  the trailer is the user's, else TMDB's);
  `episodeguide` = one-line JSON of our ids, only when asked (the caller's rule: every
  video file of the show gets its NFO in the same publish — a real Kodi 20.1 drops the whole
  show otherwise); `status` (TMDB's words as Jellyfin's SeriesStatus: Continuing, Ended,
  Unreleased, `fields.nfo_status`), `studio` (networks), `namedseason number="N"` (the season items' names, and the user's of a season
  with no item); no `<thumb>` URLs (the art is written as files).
- an episode file's NFO holds one XML declaration, then one `<episodedetails>` block per
  episode of the file, in file-name order, back to back (not one XML document: Kodi walks the
  blocks for the `<episode>` it parsed from the name; Jellyfin reads them all). Each block
  keeps the elements of the user's block for that episode that we do not write (`extra`: the
  watch state Kodi's export and Jellyfin write, `playcount`, `lastplayed`, `resume`,
  `watched`, `userrating`; `displayseason`/`displayepisode`; `lockdata`; the fields Kodi reads
  that no TV provider gives for an episode: `originaltitle`, `sorttitle`, `mpaa`, `premiered`,
  `genre`, `studio`...), their other ratings and their `uniqueid`s of other types (tvmaze...), as the movie NFO does.
  The first block of a file of several episodes says the last one, `<episodenumberend>` (the
  largest episode number of the first block's season), as Jellyfin's saver does: Emby reads
  only the first block, Jellyfin takes the largest of it and the later blocks' `<episode>`,
  Kodi ignores it. The user's own `<episodenumberend>` is never kept: after the file was split
  or renumbered it would show a wrong range.
- a season folder's `season.nfo` (root `<season>`, as Jellyfin's and Emby's SeasonNfoSaver write
  it; Jellyfin's SeasonNfoParser reads it, Kodi none): `seasonnumber`, `title` only when it is
  a name (not "Season 2": Jellyfin shows its own default, in the user's language), `plot`,
  `premiered` and `year` (BaseNfoParser: `premiered` is the season's premiere date), then the
  user's elements of their season.nfo we do not write (`<lockdata>`, `<art>`, `<sorttitle>`...). No
  `uniqueid`: Jellyfin's TMDB season lookup goes by the show's id and the season number
  (TmdbSeasonProvider), and metarrd keeps no id of a season.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from metarrd.fields import nfo_status
from metarrd.identify import named_seasons
from metarrd.publish import nfo
from metarrd.publish.nfo import (
    XML_DECLARATION,
    AudioDetails,
    CastMember,
    Rating,
    SubtitleDetails,
    VideoDetails,
)

__all__ = [
    "AudioDetails",
    "CastMember",
    "EpisodeData",
    "Rating",
    "ShowData",
    "SubtitleDetails",
    "VideoDetails",
    "episode_guide",
    "SeasonData",
    "render_episodes",
    "render_season",
    "render_tvshow",
]

# an episode's guest star as Jellyfin's PersonKind (`<actor><type>`: its NFO reader, 10.8 on)
GUEST_STAR = "GuestStar"

SHOW_OWNED = nfo.OWNED | {"showtitle", "episodeguide", "status", "namedseason", "season", "episode"}
# an episode's fields Kodi reads that no TV provider gives and `_episode` does not write (its
# original title, sort title, mpaa, premiered, genres, studio...): the user's block keeps them
# (scan.tv_nfo.EPISODE_USERS_FIELDS)
EPISODE_USERS = frozenset(
    ["originaltitle", "sorttitle", "outline", "tagline", "mpaa", "premiered", "year", "genre"]
    + ["country", "studio", "tag", "set", "trailer"]
)
# `episodenumberend`: the first block's own, from the file's episodes (`render_episodes`)
EPISODE_OWNED = (nfo.OWNED - EPISODE_USERS) | {
    "showtitle", "season", "episode", "episodenumberend", "aired"
}  # fmt: skip
# Kodi's TMDB TV scraper finds a show by these in the text too (a "combination NFO").
_TV_SCRAPER_URLS = (
    re.compile(r"themoviedb.org/tv(/)[0-9]", re.I | re.S),
    re.compile(r"thetvdb.com(/)", re.I | re.S),
)
_IMDB_ID = re.compile(r"tt\d{7,10}")


@dataclass(frozen=True)
class ShowData:
    """Everything `tvshow.nfo` says (built by publish from the show item)."""

    title: str
    original_title: str | None = None
    sort_title: str | None = None
    outline: str | None = None
    plot: str | None = None
    tagline: str | None = None
    runtime: int | None = None  # minutes, an episode's
    mpaa: str | None = None
    premiered: str | None = None  # YYYY-MM-DD
    year: int | None = None
    status: str | None = None
    ratings: tuple[Rating, ...] = ()
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    genres: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # the user's (their tvshow.nfo's `<tag>`), kept
    studios: tuple[str, ...] = ()
    trailer: str | None = None
    actors: tuple[CastMember, ...] = ()
    named_seasons: tuple[tuple[int, str], ...] = ()  # (season number, title)
    episodeguide: bool = False
    date_added: datetime | None = None
    extra: tuple[str, ...] = field(default=())  # serialized elements of the user's NFO


@dataclass(frozen=True)
class SeasonData:
    """Everything a season folder's `season.nfo` says (built by publish from the season item)."""

    number: int
    title: str | None = None  # a name of its own; None for "Season 2" (`names_no_season`)
    plot: str | None = None
    premiered: str | None = None  # YYYY-MM-DD: TMDB's air date of the season
    extra: tuple[str, ...] = field(default=())  # serialized elements of the user's season.nfo


# what `render_season` writes; a date of the user's (`<aired>`, Jellyfin's `<releasedate>`: both
# its premiere date, the last one read wins) only goes when we write ours
SEASON_OWNED = frozenset(["seasonnumber", "title", "seasonname", "plot"])
SEASON_DATES = frozenset(["premiered", "year", "aired", "releasedate"])


@dataclass(frozen=True)
class EpisodeData:
    """One `<episodedetails>` block: one episode of a video file."""

    title: str
    show_title: str
    season: int
    episode: int
    plot: str | None = None
    runtime: int | None = None  # minutes
    aired: str | None = None  # YYYY-MM-DD
    code: str | None = None  # the production code (TMDB's `production_code`)
    ratings: tuple[Rating, ...] = ()
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    actors: tuple[CastMember, ...] = ()  # guest stars
    video: tuple[VideoDetails, ...] = ()
    audio: tuple[AudioDetails, ...] = ()
    subtitles: tuple[SubtitleDetails, ...] = ()
    date_added: datetime | None = None
    extra: tuple[str, ...] = field(default=())  # serialized elements of the user's block
    # a special's place among the regular episodes (identify/tv.py `_placement`):
    # {"after_season": n} or {"before_season": s, "before_episode": e}
    placement: dict[str, int] | None = None


def episode_guide(tmdb_id: int | None, tvdb_id: int | None, imdb_id: str | None) -> str | None:
    """`{"tmdb":"1399","tvdb":"121361","imdb":"tt0944947"}` (Kodi v19.5+ scrapers), or None."""
    ids = _ids(tmdb_id, tvdb_id, imdb_id)
    return json.dumps(dict(ids), separators=(",", ":")) if ids else None


def render_tvshow(show: ShowData) -> bytes:
    """`tvshow.nfo` as UTF-8 bytes, identical for identical input."""
    root = etree.Element("tvshow")
    nfo._sub(root, "title", show.title)
    nfo._sub(root, "originaltitle", show.original_title)
    nfo._sub(root, "sorttitle", show.sort_title)
    nfo._ratings(root, show.ratings, show.extra)
    nfo._sub(root, "outline", show.outline)
    nfo._sub(root, "plot", show.plot)
    nfo._sub(root, "tagline", show.tagline)
    if show.runtime and show.runtime > 0:
        nfo._sub(root, "runtime", str(int(show.runtime)))
    nfo._sub(root, "mpaa", show.mpaa)
    if show.episodeguide:
        nfo._sub(root, "episodeguide", episode_guide(show.tmdb_id, show.tvdb_id, show.imdb_id))
    _uniqueids(root, show.tmdb_id, show.tvdb_id, show.imdb_id)
    nfo._user_uniqueids(root, show.extra)
    nfo._list(root, "genre", show.genres)
    nfo._list(root, "country", show.countries)
    nfo._list(root, "tag", show.tags)
    premiered, year = nfo.premiered_and_year(show.premiered, show.year)
    nfo._sub(root, "premiered", premiered)
    nfo._sub(root, "year", str(year) if year else None)
    nfo._sub(root, "status", nfo_status(show.status))
    nfo._list(root, "studio", show.studios)
    nfo._sub(root, "trailer", show.trailer)
    nfo._actors(root, show.actors, show.extra)
    for number, name in sorted(_season_names(show).items()):
        el = nfo._sub(root, "namedseason", name)
        if el is not None:
            el.set("number", str(int(number)))
    if show.date_added is not None:
        nfo._sub(root, "dateadded", show.date_added.strftime("%Y-%m-%d %H:%M:%S"))
    for element in nfo._extra_elements(show.extra):
        if element.tag not in SHOW_OWNED:
            root.append(element)
    return (XML_DECLARATION + _text(root) + "\n").encode("utf-8")


def _season_names(show: ShowData) -> dict[int, str]:
    """The seasons' names: the season items', and the user's `<namedseason>` of a season we have
    no item for (no episode on disk: Kodi keeps its name for when one comes)."""
    return {**named_seasons(show.extra), **dict(show.named_seasons)}


def render_season(season: SeasonData) -> bytes:
    """A season folder's `season.nfo` as UTF-8 bytes, identical for identical input."""
    root = etree.Element("season")
    nfo._sub(root, "seasonnumber", str(int(season.number)))
    nfo._sub(root, "title", season.title)
    nfo._sub(root, "plot", season.plot)
    premiered, year = nfo.premiered_and_year(season.premiered, None)
    nfo._sub(root, "premiered", premiered)
    nfo._sub(root, "year", str(year) if year else None)
    owned = SEASON_OWNED | (SEASON_DATES if premiered or year else frozenset())
    for element in nfo._extra_elements(season.extra, owned):
        root.append(element)
    return (XML_DECLARATION + _text(root) + "\n").encode("utf-8")


def season_number_of(data: bytes) -> int | None:
    """The `<seasonnumber>` a `season.nfo` (`render_season`'s, or Jellyfin's) says, or None:
    none, not a number, or not a season NFO that parses."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    text = root.findtext("seasonnumber") if root.tag == "season" else None
    try:
        return int(text.strip()) if text else None
    except ValueError:
        return None


def render_episodes(episodes: Sequence[EpisodeData]) -> bytes:
    """An episode file's NFO: one declaration, one `<episodedetails>` block per episode."""
    if not episodes:
        raise ValueError("an episode NFO needs at least one episode")
    first = episodes[0]
    end = max(e.episode for e in episodes if e.season == first.season)
    ends = [end if i == 0 and end > first.episode else None for i in range(len(episodes))]
    blocks = [_text(_episode(e, n)) + "\n" for e, n in zip(episodes, ends, strict=True)]
    return (XML_DECLARATION + "".join(blocks)).encode("utf-8")


def _episode(ep: EpisodeData, end: int | None = None) -> etree._Element:
    root = etree.Element("episodedetails")
    nfo._sub(root, "title", ep.title)
    nfo._sub(root, "showtitle", ep.show_title)
    nfo._ratings(root, ep.ratings, ep.extra)
    nfo._sub(root, "season", str(int(ep.season)))
    nfo._sub(root, "episode", str(int(ep.episode)))
    if end is not None:
        nfo._sub(root, "episodenumberend", str(int(end)))
    placed = _placement(root, ep)
    nfo._sub(root, "plot", ep.plot)
    if ep.runtime and ep.runtime > 0:
        nfo._sub(root, "runtime", str(int(ep.runtime)))
    _uniqueids(root, ep.tmdb_id, ep.tvdb_id, ep.imdb_id)
    nfo._user_uniqueids(root, ep.extra)
    nfo._list(root, "credits", ep.writers, names=True)
    nfo._list(root, "director", ep.directors, names=True)
    nfo._sub(root, "code", ep.code)  # before `aired`, as Kodi's export
    aired, _ = nfo.premiered_and_year(ep.aired or _users_aired(ep.extra), None)
    nfo._sub(root, "aired", aired)
    data = nfo.MovieData(
        title="", video=ep.video, audio=ep.audio, subtitles=ep.subtitles, extra=ep.extra
    )
    nfo._fileinfo(root, data)
    nfo._actors(root, ep.actors, ep.extra)
    if ep.date_added is not None:
        nfo._sub(root, "dateadded", ep.date_added.strftime("%Y-%m-%d %H:%M:%S"))
    owned = EPISODE_OWNED | ({"code"} if ep.code else frozenset())  # else the user's stays
    owned |= frozenset(_PLACEMENT) if placed else frozenset()  # the user's `-1`s: no place
    for element in nfo._extra_elements(ep.extra, owned):
        root.append(element)
    return root


_PLACEMENT = ("displayseason", "displayepisode", "displayafterseason")


def _placement(root: etree._Element, ep: EpisodeData) -> bool:
    """A special's place among the regular episodes, as Kodi reads it (`displayafterseason`,
    else `displayseason` + `displayepisode`; Jellyfin reads the same names) and Sonarr writes
    it; True when written. The user's own block's placement wins (it is kept as theirs); not
    the `-1` Kodi's export (`CVideoInfoTag::Save`), MediaElch and tinyMediaManager write into
    every block, which places nothing: ours replaces it."""
    place = ep.placement or {}
    if ep.season != 0 or not place:
        return False
    if any(el.tag in _PLACEMENT and _places(el) for el in nfo._parsed(ep.extra)):
        return False
    if after := place.get("after_season"):
        nfo._sub(root, "displayafterseason", str(int(after)))
    elif before := place.get("before_season"):
        nfo._sub(root, "displayseason", str(int(before)))
        if episode := place.get("before_episode"):
            nfo._sub(root, "displayepisode", str(int(episode)))
    else:
        return False
    return True


def _places(el: etree._Element) -> bool:
    """Whether a user's placement element names a season (Kodi places a special by a season
    above 0: its default, -1, and an empty one place nothing)."""
    text = (el.text or "").strip()
    return el.tag != "displayepisode" and text.isdigit() and int(text) > 0


def _users_aired(extra: Iterable[str]) -> str | None:
    """The `<aired>` of the user's block: the date when the provider has none (TMDB has no air
    date of many episodes, specials above all); `_episode` keeps it only as `YYYY-MM-DD`."""
    for el in nfo._parsed(extra):
        if el.tag == "aired" and (text := str(el.xpath("string()")).strip()):
            return text
    return None


def _ids(tmdb_id: int | None, tvdb_id: int | None, imdb_id: str | None) -> list[tuple[str, str]]:
    ids: list[tuple[str, str]] = []
    if tmdb_id:
        ids.append(("tmdb", str(int(tmdb_id))))
    if tvdb_id:
        ids.append(("tvdb", str(int(tvdb_id))))
    imdb = nfo._clean(imdb_id)
    if _IMDB_ID.fullmatch(imdb):
        ids.append(("imdb", imdb))
    return ids


def _uniqueids(
    parent: etree._Element, tmdb_id: int | None, tvdb_id: int | None, imdb_id: str | None
) -> None:
    for i, (kind, value) in enumerate(_ids(tmdb_id, tvdb_id, imdb_id)):
        el = etree.SubElement(parent, "uniqueid", type=kind)
        if i == 0:
            el.set("default", "true")  # exactly one: tmdb when known, like Kodi's TMDB scraper
        el.text = value


def _text(root: etree._Element) -> str:
    etree.indent(root, space="  ")
    text = nfo.neutralise_scraper_urls(etree.tostring(root, encoding="unicode"))
    return nfo.neutralise_scraper_urls(text, _TV_SCRAPER_URLS)


def cast_members(roles: Iterable, kind: str | None = None) -> tuple[CastMember, ...]:
    """`db.MovieActor` rows (actor loaded) as NFO actors, each of Jellyfin's PersonKind `kind`
    when given (`<type>`)."""
    return tuple(
        CastMember(r.actor.name, r.role or "", r.order, r.actor.thumb_url, kind) for r in roles
    )
