"""The TV NFOs users already have: `tvshow.nfo` and episode NFOs (docs/tv.md).

Both go through nfo_read's safe parser (no entities, no DTD, no network, size limit). On top of
what it reads, a show's ids come from: `uniqueid` (tmdb, tvdb, imdb), the legacy `<id>` (a
TheTVDB id: Kodi's old TVDB scraper and Sonarr wrote it so), a `uniqueid` without a type or of
type "unknown" (Kodi's one bucket for an untyped id: Kodi up to 17 wrote the scraper's id so, a
library carried into Kodi 18 exports it as `type="unknown"`) read as `<id>` is (neither is
read when the episode guide is AniDB's: Kodi's AniDB scraper wrote its anime id there), the
`episodeguide` JSON
(`{"tmdb":"1399","tvdb":"121361","imdb":"tt0944947"}`) or its old `<url>` forms (TheTVDB's v1
zip, Kodi 18's TheTVDB `api.thetvdb.com/login?{..."id":N}`, the TMDB scraper's API URL), and
themoviedb.org/tv, thetvdb.com and imdb.com URLs. A multi-episode NFO holds one
`<episodedetails>` block per episode, back to back (not one XML document) or inside a wrapper
root (Medusa, SickBeard): each block is read from its `<episodedetails` on, as Kodi does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from metarrd.db import MAX_TEXT
from metarrd.files import LedOut, NotARegularFile, TooLarge, read_regular
from metarrd.identify import named_seasons
from metarrd.scan.nfo_read import (
    MAX_NFO_BYTES,
    UNNAMED_SOURCES,
    UNTYPED_SOURCE,
    NfoData,
    NfoError,
    capped,
    decode_nfo,
    is_id,
    kodi_date,
    parse_text,
    refuse_entity_declarations,
)

# blocks read of an episode NFO: a file holds one per episode, Kodi reads at most 50 episodes
# of one name (its range cap); 300,000 blocks of a 5 MB file were 300,000 kept in the item's hints
MAX_EPISODE_BLOCKS = 100
_LEGACY_ID = re.compile(r"<id>\s*([0-9]+)\s*</id>")
_TMDB_TV_URL = re.compile(r"themoviedb\.org/tv/([0-9]+)")
# the episode guide of Kodi 17/18's TMDB TV scraper: its API URL (`cache="tmdb-46639-en.json"`)
_TMDB_API_TV_URL = re.compile(r"themoviedb\.org/3/tv/([0-9]+)")
# TheTVDB's show pages as Kodi's TheTVDB scrapers read them (their nfo.py: `series/<id>`, the id
# link `dereferrer/series/<id>`, and the old site's `?tab=...&id=<id>`, `index.php` too for the
# XML scraper before them); the old season and episode pages name the show `seriesid`
_TVDB_URL = re.compile(
    r"thetvdb\.com/(?:(?:index\.php)?\?tab=(?:series|seasonall|season|episode)&(?:amp;)?"
    r"(?:series)?id=|dereferrer/series/|api/[^/]+/series/|series/)([0-9]+)"
)
# each pattern below is bounded after its literal start: an unbounded `[a-z.]+`, `[^>]*` or
# `[^}]*?` scanned to the end of a 5 MB text from each of its 100,000s of starts (hours)
_IMDB_URL = re.compile(r"imdb\.[a-z.]{2,12}/title/(tt[0-9]{7,8})")  # imdb.com, imdb.co.uk
# the episode guide of Kodi 18's TheTVDB scraper (v2 API), as MediaElch, tinyMediaManager and
# TVRename write it too: `https://api.thetvdb.com/login?{"apikey":"...","id":121361}|...`
_TVDB_LOGIN_URL = re.compile(
    r"api\.thetvdb\.com/login\?\{[^}]{0,500}?[\"']id[\"']\s{0,20}:\s{0,20}[\"']?([0-9]+)"
)
_LONE_URL = re.compile(r"https?://\S+")
# the episode guide of a scraper whose id is no TheTVDB or TMDB id: Kodi's AniDB scraper
# (scudlee-xbmc-addons metadata.anidb.net/anidb.xml: `<id>` is the anime's AniDB id, the guide
# `http://api.anidb.net:9001/httpapi?request=anime&...&aid=N`)
_OTHER_GUIDE = re.compile(r"\b(anidb\.net)[:/]", re.IGNORECASE)
_OTHER_SITES = {"anidb.net": "AniDB"}
_FILLED_UNIQUEID = re.compile(r"<uniqueid(?:\s[^<>]*)?>\s*[^<\s]")  # no `<` in an attribute
_BLOCK_START = re.compile(r"<episodedetails(?=[\s>/])")
# an episode's page names its show: themoviedb.org/tv/1399-game-of-thrones/season/1/episode/2
_TMDB_EPISODE_URL = re.compile(
    r"themoviedb\.org/tv/([0-9]+)[^/\s]*/season/([0-9]{1,9})/episode/([0-9]{1,9})(?![0-9])"
)


@dataclass
class ShowNfo:
    data: NfoData
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    source: dict[str, str] = field(default_factory=dict)  # id kind -> where it was found
    named_seasons: dict[int, str] = field(default_factory=dict)  # `<namedseason>`: number -> name
    # id kind -> its number came from `<id>` or an untyped uniqueid, which no guide confirms:
    # maybe another site's (identify holds it to the NFO's title)
    unsure: dict[str, bool] = field(default_factory=dict)
    # whose id an episode NFO's untyped uniqueid is, as the episode guide says (the scraper
    # that wrote the show): "tvdb" (TheTVDB's zip or login URL, Kodi's TheTVDB scraper), "tmdb",
    # another site's name (AniDB), None when no guide says
    episode_site: str | None = None
    # `<status>` (Continuing/Ended: Kodi's export, tMM, MediaElch, Jellyfin write it)
    status: str | None = None


@dataclass
class SeasonNfo:
    data: NfoData
    number: int | None = None  # its `<seasonnumber>`
    title: str | None = None  # `<title>`, else Jellyfin's `<seasonname>`
    plot: str | None = None


@dataclass
class EpisodeNfo:
    data: NfoData
    season: int | None
    episode: int | None
    show_ids: dict[str, int] = field(default_factory=dict)  # a URL NFO's: the show's ids
    aired: str | None = None  # the block's own `<aired>`, YYYY-MM-DD (`block_aired`)


def _read_bytes(path: Path, inside: Iterable[Any] | None) -> bytes:
    """The NFO's bytes, opened only as a regular file (files.read_regular: a FIFO swapped in
    after a check could otherwise block the scan's thread for good), and with `inside` (the
    configured libraries) only inside one of them (a link swapped in after the look)."""
    try:
        return read_regular(path, MAX_NFO_BYTES, inside=inside)
    except LedOut as exc:
        raise NfoError(path, exc.strerror) from None
    except NotARegularFile as exc:
        raise NfoError(path, f"is {exc.kind}, not a regular file; ignored") from None
    except TooLarge:
        raise NfoError(
            path, f"is larger than {MAX_NFO_BYTES // (1024 * 1024)} MB; ignored"
        ) from None
    except OSError as exc:
        raise NfoError(path, f"cannot be read: {exc.strerror or exc}") from exc


def _quiet(data: NfoData, root: str) -> NfoData:
    """nfo_read speaks of movies; a `<tvshow>`/`<episodedetails>` root is what we expect here."""
    data.warnings = [w for w in data.warnings if not w.startswith(f"root element is <{root}>")]
    return data


def read_show_nfo(path: Path, inside: Iterable[Any] | None = None) -> ShowNfo:
    """A `tvshow.nfo` with its show ids; NfoError for anything unusable (hostile, corrupt)."""
    warnings: list[str] = []
    text = decode_nfo(
        _read_bytes(path, inside), path, warnings
    )  # as parse_nfo does: BOM, UTF-16...
    data = _quiet(
        parse_text(text, path, warnings, find_url_ids=show_url_ids, untyped_kind="tvdb"), "tvshow"
    )
    show = ShowNfo(data, named_seasons=named_seasons(data.unknown_elements))
    show.status = _element_text(data, "status")
    guide = _episodeguide(data)
    other_site = _guide_of_another_site(data)
    kinds = {kind for kind, _value in guide}
    show.episode_site = other_site or (
        "tmdb" if "tmdb" in kinds else "tvdb" if "tvdb" in kinds else None
    )
    # Kodi 16's export writes an empty <uniqueid></uniqueid> beside its <id>: no id in it
    uniqueids = _FILLED_UNIQUEID.search(text) is not None
    found: list[tuple[str, str, str]] = []  # (kind, value, source)
    if uniqueids:
        for kind, value in (("tmdb", data.tmdb_id), ("tvdb", data.tvdb_id), ("imdb", data.imdb_id)):
            if value and data.id_sources.get(kind) != "URL":  # URLs come last, below
                # an untyped one is the scraper's id, as `<id>` is: TMDB's with its guide
                untyped = data.id_sources.get(kind) == UNTYPED_SOURCE
                if untyped and ("tmdb", str(value)) in guide:
                    kind = "tmdb"
                elif untyped and other_site:
                    data.warnings.append(_not_tvdbs("uniqueid without a type", value, other_site))
                    continue
                found.append((kind, str(value), UNTYPED_SOURCE if untyped else "uniqueid"))
    if not uniqueids:
        # ids their element names (Jellyfin's and Emby's <tmdbid>, <tvdbid>, <imdb_id>, tMM's
        # <ids>), a tt... `<id>`; not a number in `<id>`, which nfo_read takes as a movie's
        for kind, value in (("tmdb", data.tmdb_id), ("tvdb", data.tvdb_id), ("imdb", data.imdb_id)):
            source = data.id_sources.get(kind)
            if value and source != "URL" and (source != "<id>" or kind == "imdb"):
                found.append((kind, str(value), "NFO"))
        legacy = _LEGACY_ID.search(text)
        # `<id>` is the id of the scraper that wrote the file: TheTVDB's, but TMDB's when its
        # episode guide is the TMDB scraper's (Kodi 17/18 wrote both with the same number)
        if legacy and other_site:
            data.warnings.append(_not_tvdbs("<id>", legacy.group(1), other_site))
        elif legacy and ("tmdb", legacy.group(1)) not in guide:
            found.append(("tvdb", legacy.group(1), "<id>"))
    for kind, value in guide:
        found.append((kind, value, "episodeguide"))
    found += [(kind, value, "URL") for kind, value in show_url_ids(text).items()]
    for kind, value, source in found:
        if kind in show.source:
            continue
        if kind == "imdb":
            show.imdb_id = value
        elif is_id(value):
            setattr(show, f"{kind}_id", int(value))
        else:
            continue
        show.source[kind] = source
        # a number that names no site, unless the episode guide names it too (TheTVDB's zip)
        show.unsure[kind] = source in UNNAMED_SOURCES and (kind, value) not in guide
    return show


def _element(element: str) -> etree._Element | None:
    """One of the NFO's elements nfo_read does not own, as it keeps them (a string), parsed
    again (no entities); None when it does not parse."""
    try:
        return etree.fromstring(element.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return None


def read_season_nfo(path: Path, inside: Iterable[Any] | None = None) -> SeasonNfo:
    """A season folder's `season.nfo` (root `<season>`), as Jellyfin and Emby (SeasonNfoSaver)
    and tinyMediaManager write it: `<seasonnumber>`, the season's `<title>` (Jellyfin 10.9+
    reads `<seasonname>` too) and `<plot>`; the show's ids and the rest are not the season's.
    Read as every NFO is (a regular file, size-capped, no entities); NfoError when unusable."""
    warnings: list[str] = []
    text = decode_nfo(_read_bytes(path, inside), path, warnings)
    data = _quiet(parse_text(text, path, warnings, find_url_ids=show_url_ids), "season")
    # its fields we do not write (tMM's and Jellyfin's `<sorttitle>`, `<dateadded>`, a date when
    # the season has none of its own...) go back into ours with its other elements
    season = SeasonNfo(
        _kept_users_fields(data, SEASON_USERS_FIELDS), _int_element(text, "seasonnumber")
    )
    title, plot = data.fields.get("title"), data.fields.get("plot")
    season.title = title if isinstance(title, str) else _element_text(data, "seasonname")
    season.plot = plot if isinstance(plot, str) else None
    return season


def _element_text(data: NfoData, tag: str) -> str | None:
    """The text of the first `<tag>` among the NFO's elements nfo_read does not own."""
    for element in data.unknown_elements:
        if element.startswith(f"<{tag}>"):
            if (node := _element(element)) is None:
                return None
            text = str(node.xpath("string()")).strip()  # itertext is quadratic (nfo_read._text)
            return text if text and len(text) <= MAX_TEXT else None
    return None


def show_url_ids(text: str) -> dict[str, str]:
    """The ids of the TV scraper's URLs anywhere in the text: themoviedb.org/tv/<n>,
    thetvdb.com (`?tab=series&id=<n>` and the old site's other pages of the show,
    `dereferrer/series/<n>`, `series/<n>`, the API's) and imdb.com/title/tt<n>. A
    tvshow.nfo holding only such a URL (Sonarr's "Series Metadata URL") is a URL NFO."""
    found: dict[str, str] = {}
    for kind, pattern in (("tmdb", _TMDB_TV_URL), ("tvdb", _TVDB_URL), ("imdb", _IMDB_URL)):
        m = pattern.search(text)
        if m:
            found[kind] = m.group(1)
    return found


def _episodeguide(data: NfoData) -> list[tuple[str, str]]:
    for element in data.unknown_elements:
        if not element.startswith("<episodeguide"):
            continue
        if (node := _element(element)) is None:
            return []
        text = str(node.xpath("string()")).strip()
        if text.startswith("{"):
            try:
                ids = json.loads(text)
            except (ValueError, RecursionError):  # nested too deep: no guide, not the show's end
                return []
            if isinstance(ids, dict):
                return [(k, str(v)) for k, v in ids.items() if k in ("tmdb", "tvdb", "imdb") and v]
        m = _TVDB_URL.search(text) or _TVDB_LOGIN_URL.search(text)
        if m:
            return [("tvdb", m.group(1))]
        m = _TMDB_API_TV_URL.search(text)
        if m:
            return [("tmdb", m.group(1))]
    return []


def _guide_of_another_site(data: NfoData) -> str | None:
    """The site of an episode guide that is neither TMDB's nor TheTVDB's (its scraper's id is
    in `<id>`, and in an untyped `uniqueid` when Kodi 17 exported it), or None."""
    for element in data.unknown_elements:
        if element.startswith("<episodeguide") and (m := _OTHER_GUIDE.search(element)):
            return _OTHER_SITES[m.group(1).casefold()]
    return None


def _not_tvdbs(where: str, value: object, site: str) -> str:
    return (
        f"{where} {value} is {site}'s (the episode guide is {site}'s), not TheTVDB's or TMDB's;"
        " ignored"
    )


def read_episode_nfo(path: Path, inside: Iterable[Any] | None = None) -> list[EpisodeNfo]:
    """Every `<episodedetails>` block of an episode NFO (the first `MAX_EPISODE_BLOCKS`, with a
    warning past them), in file order; a block that cannot be read is skipped with a warning
    (NfoError only when none can be). Like Kodi (NfoFile.cpp),
    each block is read from its `<episodedetails` on: back to back blocks, and the wrapper root
    Medusa (`<kodimultiepisode>`) and SickBeard (`<xbmcmultiepisode>`) put around them, read
    alike. The file is decoded once, as a single NFO is (BOM, UTF-16, Windows-1252 with a
    warning on every block)."""
    warnings: list[str] = []
    text = decode_nfo(_read_bytes(path, inside), path, warnings)
    refuse_entity_declarations(text, path)  # the DOCTYPE is not in any block
    starts = [m.start() for m in _BLOCK_START.finditer(text)]
    if len(starts) > MAX_EPISODE_BLOCKS:
        warnings.append(
            f"holds {len(starts):,} <episodedetails> blocks, one per episode of the file: only"
            f" the first {MAX_EPISODE_BLOCKS} are read"
        )
        starts = starts[: MAX_EPISODE_BLOCKS + 1]  # the last one ends the one before it
    if not starts:  # no block: what parse_text makes of it (URL, other root, an error)
        if (url := _episode_url_nfo(text, path, warnings)) is not None:
            return [url]
        blocks = [text]
    else:
        ends = starts[1:] + [len(text)]
        blocks = [text[a:b] for a, b in zip(starts, ends, strict=True)][:MAX_EPISODE_BLOCKS]
    episodes: list[EpisodeNfo] = []
    broken: list[tuple[str, NfoError]] = []
    for i, block in enumerate(blocks, 1):
        season, episode = _int_element(block, "season"), _int_element(block, "episode")
        try:
            # an untyped uniqueid is read as the old TVDB scraper's episode id (Kodi 14's
            # export: tests/nfo/tmm-tvshowepisode-kodi14.2.nfo; type="unknown" once in Kodi 18);
            # other scrapers' ids came so too: identify holds it to the show (`_nfo_tvdb_id`)
            data = parse_text(block, path, warnings, untyped_kind="tvdb")
        except NfoError as exc:
            # as Kodi reads each block on its own: a typo in one costs that episode only
            named = f" ({code})" if (code := _code(season, episode)) else ""
            broken.append((f"block {i} of {len(blocks)}{named}", exc))
            continue
        data = _kept_users_fields(_quiet(data, "episodedetails"))
        episodes.append(EpisodeNfo(data, season, episode, aired=block_aired(data, season, episode)))
    if not episodes:
        raise broken[0][1]
    said = [f"<episodedetails> {which} ignored: {exc.reason}" for which, exc in broken]
    for read in episodes:
        read.data.warnings = capped([*read.data.warnings, *said])
    return episodes


def block_aired(data: NfoData, season: int | None, episode: int | None) -> str | None:
    """A block's own `<aired>` (its episode's: Kodi reads each block's, `XMLUtils::GetDate(movie,
    "aired", m_firstAired)` in CVideoInfoTag::ParseNative, as it reads `<premiered>`), as
    `YYYY-MM-DD` (nfo_read's `kodi_date`: `02.10.2005` too, with a warning). One that is no date
    is a warning naming the block's episode, and None: the file's other blocks keep theirs.
    The element stays among the block's own (publish's fallback when TMDB has no date)."""
    text = _element_text(data, "aired")
    if text is None:
        return None
    day = kodi_date(text)
    named = f"{code}: " if (code := _code(season, episode)) else ""
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if day is None:
        data.warnings.append(f"{named}<aired> {shown} is not a date; ignored")
    elif day != text:
        data.warnings.append(f"{named}<aired> {shown} read as {day}")
    return day


def _code(season: int | None, episode: int | None) -> str:
    """`S02E04` for a block's numbers, "" for a block without them."""
    return f"S{season:02d}E{episode:02d}" if season is not None and episode is not None else ""


# An episode's fields Kodi's reader takes (CVideoInfoTag::ParseNative) that no TV provider gives
# for an episode and publish does not write from the item: the user's, kept per block.
# (NfoData field, element); a list field gives one element per value.
EPISODE_USERS_FIELDS = (
    ("originaltitle", "originaltitle"),  # Jellyfin writes one per block
    ("sorttitle", "sorttitle"),
    ("outline", "outline"),
    ("tagline", "tagline"),
    ("mpaa", "mpaa"),  # Kodi's export and MediaElch write the show's rating into each block
    ("premiered", "premiered"),
    ("year", "year"),
    ("genres", "genre"),
    ("countries", "country"),
    ("studios", "studio"),
    ("tags", "tag"),
    ("trailer", "trailer"),
)


# A season.nfo's fields nfo_read takes that publish does not write from the season item: the
# episode block's, and Jellyfin's (BaseNfoSaver) `<dateadded>`, `<runtime>` and crew.
SEASON_USERS_FIELDS = (
    *EPISODE_USERS_FIELDS,
    ("dateadded", "dateadded"),
    ("runtime", "runtime"),
    ("directors", "director"),
    ("credits", "credits"),
)


def _kept_users_fields(
    data: NfoData, fields: tuple[tuple[str, str], ...] = EPISODE_USERS_FIELDS
) -> NfoData:
    """An episode block's values of `EPISODE_USERS_FIELDS` (and its `<set>`), as nfo_read read
    them (a date in Kodi's spelling), kept with the block's elements we do not write, so publish
    writes them back into that block; the item takes them too (scan's `apply_nfo_values`)."""
    kept = []
    for key, tag in fields:
        value = data.fields.get(key)
        for v in value if isinstance(value, list) else [value]:
            if v not in (None, ""):
                el = etree.Element(tag)
                el.text = str(v)
                kept.append(el)
    kept_as_written = any(e.startswith("<set") for e in data.unknown_elements)  # with attributes
    if isinstance(name := data.fields.get("set_name"), str) and not kept_as_written:
        el = etree.Element("set")
        etree.SubElement(el, "name").text = name
        if isinstance(overview := data.fields.get("set_overview"), str):
            etree.SubElement(el, "overview").text = overview
        kept.append(el)
    data.unknown_elements[:0] = [etree.tostring(el, encoding="unicode") for el in kept]
    return data


def _episode_url_nfo(text: str, path: Path, warnings: list[str]) -> EpisodeNfo | None:
    """An episode NFO that is only a scraper URL (Kodi takes an NFO that is just the URL of the
    scraper's page): TMDB's episode page or a TheTVDB series URL names the show, not the
    episode (an IMDb URL there is the episode's own title, no show id). Its show ids are kept,
    the episode is numbered by its file name. A URL of another scraper (TheTVDB's episode
    page, `thetvdb.com/series/<slug>/episodes/<id>`) names no show: a warning, not the
    episode's error. None when the text is none of this (parse_text says what it is)."""
    if "<" in text:
        return None
    ids = {k: v for k, v in show_url_ids(text).items() if k != "imdb" and is_id(v)}
    if not ids:
        if _LONE_URL.fullmatch(text.strip()) and not _IMDB_URL.search(text):
            note = (f"holds only a URL ({text.strip()[:200]}) that names no show metarrd can read;"
                    " ignored, the episode is numbered by its file name")  # fmt: skip
            return EpisodeNfo(NfoData(path, "url", warnings=[*warnings, note]), None, None)
        return None
    m = _TMDB_EPISODE_URL.search(text)
    named = ", ".join(f"{kind} {value}" for kind, value in ids.items())
    warnings = [*warnings, (
        f"holds only a URL, no episode details: its show ({named}) helps identify the show when"
        " the folder and tvshow.nfo name none; the episode is numbered by its file name"
    )]  # fmt: skip
    return EpisodeNfo(
        NfoData(path, "url", warnings=warnings),
        int(m.group(2)) if m else None,
        int(m.group(3)) if m else None,
        {kind: int(value) for kind, value in ids.items()},
    )


def _int_element(block: str, tag: str) -> int | None:
    m = re.search(rf"<{tag}>\s*(-?[0-9]{{1,9}})\s*</{tag}>", block)  # ASCII, as Kodi's atoi
    return int(m.group(1)) if m else None
