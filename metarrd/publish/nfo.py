"""Rendering a movie's NFO for Kodi and Jellyfin (docs/kodi-layout.md §2). Pure: data in, bytes out.

The output is deterministic: a fixed element order (the order Kodi's own writer uses), UTF-8
with an XML declaration, two-space indentation, one trailing newline. Golden files under
`tests/golden/` hold it byte for byte.

What the players need, and how it is kept:
- `premiered` (YYYY-MM-DD) and `year` both, `year` taken from `premiered` so they agree;
- ratings on 0-10 (`max="10"`), exactly one `default="true"`, written last (Jellyfin keeps the
  last rating it reads, its value as it is; Kodi the one marked default) unless it is the
  user's on another scale (a `metascore` of `max="100"`): one on 0-10 goes last then; ours is
  TMDB's, named `tmdb` as Kodi's TMDB scraper names it; the user's other named ratings (imdb, metacritic, trakt...) are kept
  as they were, and the one they marked default stays the default;
- `uniqueid` for tmdb, imdb and tvdb with exactly one default (tmdb when known), then the
  user's of any other type (trakt, tmdbSet, tvmaze...: Kodi keeps every type), as they were
  but never a second default;
- one value per `genre`/`country`/`studio`/`director`/`credits`/`tag`: Kodi splits values on
  " / " and Jellyfin on "/" (and directors on "," ";" "|"), so a value holding " / " becomes
  several elements, a remaining "/" becomes the look-alike U+2215, and directors are split on
  commas (a trailing "Jr."/"Sr."/"III" stays with its name);
- actor `thumb` only as an absolute http(s) URL (Kodi never resolves a relative one);
- no `themoviedb.org/movie/<n>` or `imdb.<tld>/title/tt<n>` text anywhere: Kodi's TMDB scraper
  would treat the file as a "combination NFO" and scrape online over it. Such URLs are kept, but
  their slash is written as the character reference `&#47;`, which every XML reader decodes
  back to "/" while the scraper's regular expressions no longer match the raw text;
- elements of the user's NFO that metarrd does not own (`nfo_extra`) follow ours, in order;
  the user's `<actor>`s (kept there too) are written only when the item has no cast of its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from lxml import etree

from metarrd.text import UNFIT

log = logging.getLogger(__name__)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SLASH_LOOKALIKE = "\u2215"  # DIVISION SLASH: looks like "/", split by nobody

# Elements this module writes (plus legacy spellings of the same facts): an extra element of
# the user's with one of these names would duplicate ours, so it is left out.
OWNED = frozenset(
    [
        "title",
        "originaltitle",
        "sorttitle",
        "ratings",
        "rating",
        "votes",
        "outline",
        "plot",
        "tagline",
        "runtime",
        "mpaa",
        "uniqueid",
        "id",
        "tmdbid",
        "imdbid",
        "imdb_id",  # Jellyfin's series id: it reads the last IMDb id it meets, so never a stale one
        "tvdbid",
        "genre",
        "country",
        "set",
        "tag",
        "credits",
        "writer",  # Jellyfin's second spelling of credits: it reads both, the last one met wins
        "director",
        "premiered",
        "releasedate",  # Jellyfin's second spelling of premiered: likewise
        "year",
        "studio",
        "trailer",
        "fileinfo",
        "actor",
        "dateadded",
        "thumb",
        "fanart",
    ]
)

# uniqueid types written from our own ids (with the other spellings the scan reads as them):
# the user's uniqueid of any other type is theirs, written back after ours. "unknown" is Kodi's
# type for an id that had none (a Kodi 17 library's, exported by Kodi 18+): the scan reads it as
# one of ours, so written back beside ours it would repeat one of them under another type.
OWN_ID_TYPES = frozenset(["tmdb", "themoviedb", "imdb", "imdb_id", "tvdb", "thetvdb", "unknown"])

# Ratings that are TMDB's, as Kodi's TMDB scrapers name them (new, old): ours replaces the
# user's. Without one, the scan took the user's unnamed rating (Kodi's "default") as ours.
TMDB_RATING_NAMES = frozenset(["tmdb", "themoviedb"])
UNNAMED_RATING_NAMES = frozenset(["", "default"])

# The scraper's patterns (metadata.themoviedb.org.python, find_uniqueids_in_text), made
# case-insensitive and newline-crossing to be safe; group 1 is the slash to neutralise.
_SCRAPER_URLS = (
    re.compile(r"themoviedb.org/movie(/)[0-9]", re.I | re.S),
    re.compile(r"imdb....?(/)title/tt[0-9]", re.I | re.S),
    re.compile(r"imdb....?(/)Title\?t{0,2}[0-9]", re.I | re.S),
)
# What XML 1.0 cannot hold (lxml refuses it; TinyXML would reject the file): left out of every
# text, and so of the actor names `layout.actor_stem` turns into `.actors/` file names. A
# provider's text has none left (metarrd/text.py); the user's own edits and NFOs may.
XML_INVALID = UNFIT
_KODI_SEPARATOR = re.compile(r"\s+/\s+")
_NAME_SEPARATORS = re.compile(r"\s*[,;|]\s*")
_NAME_SUFFIX = re.compile(r"(jr|sr|ii|iii|iv|v|phd|md|esq)\.?", re.I)
_IMDB_ID = re.compile(r"tt\d{7,10}")
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


@dataclass(frozen=True)
class Rating:
    name: str  # tmdb | imdb | trakt | ...
    value: float  # 0-10
    votes: int | None = None
    default: bool = False


@dataclass(frozen=True)
class CastMember:
    name: str
    role: str = ""
    order: int | None = None
    thumb: str | None = None  # absolute provider URL
    # Jellyfin's PersonKind as `<type>` ("GuestStar": an episode's guest star; Jellyfin takes a
    # person with none as an Actor, Kodi reads no `<type>`)
    kind: str | None = None


@dataclass(frozen=True)
class VideoDetails:
    codec: str = ""
    aspect: float | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: int | None = None
    stereomode: str = ""
    hdrtype: str = ""
    language: str = ""


@dataclass(frozen=True)
class AudioDetails:
    codec: str = ""
    language: str = ""
    channels: int | None = None


@dataclass(frozen=True)
class SubtitleDetails:
    language: str = ""


@dataclass(frozen=True)
class MovieData:
    """Everything the NFO says about one movie (built by publish from the database)."""

    title: str
    original_title: str | None = None
    sort_title: str | None = None
    plot: str | None = None
    outline: str | None = None
    tagline: str | None = None
    runtime: int | None = None  # minutes
    mpaa: str | None = None
    premiered: str | None = None  # YYYY-MM-DD
    year: int | None = None
    ratings: tuple[Rating, ...] = ()
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    genres: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    studios: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    set_name: str | None = None
    set_overview: str | None = None
    trailer: str | None = None
    actors: tuple[CastMember, ...] = ()
    video: tuple[VideoDetails, ...] = ()
    audio: tuple[AudioDetails, ...] = ()
    subtitles: tuple[SubtitleDetails, ...] = ()
    date_added: datetime | None = None
    extra: tuple[str, ...] = field(default=())  # serialized elements of the user's NFO


def render_nfo(movie: MovieData) -> bytes:
    """The NFO as UTF-8 bytes, identical for identical input."""
    root = etree.Element("movie")
    _sub(root, "title", movie.title)
    _sub(root, "originaltitle", movie.original_title)
    _sub(root, "sorttitle", movie.sort_title)
    _ratings(root, movie.ratings, movie.extra)
    _sub(root, "outline", movie.outline)
    _sub(root, "plot", movie.plot)
    _sub(root, "tagline", movie.tagline)
    if movie.runtime and movie.runtime > 0:
        _sub(root, "runtime", str(int(movie.runtime)))
    _sub(root, "mpaa", movie.mpaa)
    _uniqueids(root, movie)
    _user_uniqueids(root, movie.extra)
    _list(root, "genre", movie.genres)
    _list(root, "country", movie.countries)
    _set(root, movie.set_name, movie.set_overview, movie.extra)
    _list(root, "tag", movie.tags)
    _list(root, "credits", movie.writers, names=True)
    _list(root, "director", movie.directors, names=True)
    premiered, year = premiered_and_year(movie.premiered, movie.year)
    _sub(root, "premiered", premiered)
    _sub(root, "year", str(year) if year else None)
    _list(root, "studio", movie.studios)
    _sub(root, "trailer", movie.trailer)
    _fileinfo(root, movie)
    _actors(root, movie.actors, movie.extra)
    if movie.date_added is not None:
        _sub(root, "dateadded", movie.date_added.strftime("%Y-%m-%d %H:%M:%S"))
    for element in _extra_elements(movie.extra):
        root.append(element)
    etree.indent(root, space="  ")
    text = etree.tostring(root, encoding="unicode")
    return (XML_DECLARATION + neutralise_scraper_urls(text) + "\n").encode("utf-8")


# --- rules (pure helpers, tested on their own) -----------------------------------------------


def premiered_and_year(premiered: str | None, year: int | None) -> tuple[str | None, int | None]:
    """A valid YYYY-MM-DD premiered, and the year that agrees with it (else the given year)."""
    text = (premiered or "").strip()
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        day = None
    if day is not None:
        return day.isoformat(), day.year
    if re.fullmatch(r"\d{4}", text):
        year = year or int(text)
    if year is not None and not 1800 <= int(year) <= 2200:
        year = None
    return None, int(year) if year else None


def single_values(values: Iterable[str], *, names: bool = False) -> list[str]:
    """One value per element: split on Kodi's " / " (and, for people, on "," ";" "|"),
    replace any other "/" with a look-alike, drop empties and repeats (case-insensitive)."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = _clean(value)
        if not text:
            continue
        for part in _KODI_SEPARATOR.split(text):
            for piece in _split_names(part) if names else [part]:
                piece = piece.strip().replace("/", SLASH_LOOKALIKE)
                if piece and piece.casefold() not in seen:
                    seen.add(piece.casefold())
                    out.append(piece)
    return out


def _split_names(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in _NAME_SEPARATORS.split(text):
        if pieces and _NAME_SUFFIX.fullmatch(piece.strip()):
            pieces[-1] = f"{pieces[-1]} {piece.strip()}"  # "Sammy Davis, Jr." stays one name
        elif piece.strip():
            pieces.append(piece.strip())
    return pieces


def has_scraper_url(text: str) -> bool:
    """True when Kodi's TMDB scraper would find a movie URL in this raw text."""
    return any(p.search(text) for p in _SCRAPER_URLS)


def neutralise_scraper_urls(
    xml_text: str, patterns: Iterable[re.Pattern[str]] = _SCRAPER_URLS
) -> str:
    """Write the slash of every scraper-recognised URL as `&#47;` (same value for XML readers):
    group 1 of each of `patterns`. One pass per pattern: searching and rebuilding the whole
    text once per URL took hours for a user's element repeating one 300,000 times."""
    for pattern in patterns:
        xml_text = pattern.sub(_slash_written_as_reference, xml_text)
    return xml_text


def _slash_written_as_reference(m: re.Match[str]) -> str:
    start = m.start()
    return m[0][: m.start(1) - start] + "&#47;" + m[0][m.end(1) - start :]


def is_absolute_url(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- element builders --------------------------------------------------------------------------


def _clean(value: object) -> str:
    if value is None:
        return ""
    return XML_INVALID.sub("", str(value)).strip()


def _sub(parent: etree._Element, tag: str, value: object) -> etree._Element | None:
    text = _clean(value)
    if not text:
        return None
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def _list(parent: etree._Element, tag: str, values: Iterable[str], *, names: bool = False) -> None:
    for value in single_values(values, names=names):
        _sub(parent, tag, value)


def _format_rating(value: float) -> str:
    return f"{value:.1f}"


def _ratings(parent: etree._Element, ratings: Iterable[Rating], extra: Iterable[str] = ()) -> None:
    """Ours, then the user's other named ratings from their NFO's `<ratings>` (in `extra`);
    the default (the user's marked one, else ours) last."""
    valid: dict[str, Rating] = {}
    for r in ratings:
        name = _clean(r.name).lower() or "default"
        if r.value is None or not 0 < float(r.value) <= 10 or name in valid:
            continue  # Kodi drops values outside (0, 10]
        valid[name] = r
    users = _user_ratings(extra, set(valid))
    if not valid and not users:
        return
    marked = [n for n, r in users.items() if _is_true(r.get("default"))]
    default = (marked or [n for n, r in valid.items() if r.default] or [*valid, *users])[0]
    order = [n for n in [*valid, *users] if n != default] + [default]
    # Jellyfin shows the value of the last rating that is not a critics' one as it is, whatever
    # its max (`BaseNfoParser.FetchFromRatingNode`): a metacritic 67 of 100 would show as 67
    # of 10. One on 0-10 goes last then, ours first; Kodi takes the one marked default anyway.
    community = [n for n in order if n in valid or not _critics(users[n])]
    if community and not _on_ten(community[-1], users):
        last = next((n for n in community if _on_ten(n, users)), None)
        if last is not None:
            order = [n for n in order if n != last] + [last]
    el = etree.SubElement(parent, "ratings")
    for name in order:
        if name in users:
            rating = users[name]
            if name == default:
                rating.set("default", "true")
            elif _is_true(rating.get("default")):
                del rating.attrib["default"]
            rating.tail = None
            el.append(rating)
            continue
        r = valid[name]
        rating = etree.SubElement(el, "rating", name=name, max="10")
        if name == default:
            rating.set("default", "true")
        _sub(rating, "value", _format_rating(float(r.value)))
        if r.votes is not None and r.votes >= 0:
            _sub(rating, "votes", str(int(r.votes)))


def _user_ratings(extra: Iterable[str], ours: set[str]) -> dict[str, etree._Element]:
    """The user's `<rating>`s to keep, by case-folded name, as written: not TMDB's (ours
    replaces it), not one the scan took as ours (an unnamed one, when none is TMDB's), not a
    name we write, once per name, and only what Kodi reads (a value in (0, 10] once scaled)."""
    found = [
        ((r.get("name") or "").strip().casefold(), r)
        for block in _parsed(extra)
        if block.tag == "ratings"
        for r in block.iterfind("rating")
    ]
    skip = set(ours) | TMDB_RATING_NAMES
    if not any(name in TMDB_RATING_NAMES for name, _ in found):
        skip |= UNNAMED_RATING_NAMES
    kept: dict[str, etree._Element] = {}
    for name, r in found:
        key = name or "default"  # Kodi's name for an unnamed rating
        if name not in skip and key not in skip and key not in kept and _kodi_reads(r):
            kept[key] = r
    return kept


def _critics(rating: etree._Element) -> bool:
    """A critics' rating for Jellyfin (its 0-100 critic rating, never the community one): a
    name holding "tomato" but not "audience"."""
    name = (rating.get("name") or "").casefold()
    return "tomato" in name and "audience" not in name


def _on_ten(name: str, users: dict[str, etree._Element]) -> bool:
    """Whether the rating of this name is written on 0-10: ours always; the user's when its
    `max` is 10 (or missing, which Kodi and Jellyfin read as 10)."""
    if name not in users:
        return True
    try:
        return float((users[name].get("max") or "10").strip()) == 10
    except ValueError:
        return False


def _kodi_reads(rating: etree._Element) -> bool:
    """Kodi's rule: value/max*10 (when max >= 1) must land in (0, 10]."""
    try:
        value = float((rating.findtext("value") or "").strip())
        top = float((rating.get("max") or "10").strip())
    except ValueError:
        return False
    if top >= 1:
        value = value / top * 10
    return 0 < value <= 10


def _uniqueids(parent: etree._Element, movie: MovieData) -> None:
    ids: list[tuple[str, str]] = []
    if movie.tmdb_id:
        ids.append(("tmdb", str(int(movie.tmdb_id))))
    imdb = _clean(movie.imdb_id)
    if _IMDB_ID.fullmatch(imdb):
        ids.append(("imdb", imdb))
    if movie.tvdb_id:
        ids.append(("tvdb", str(int(movie.tvdb_id))))
    for i, (kind, value) in enumerate(ids):
        el = etree.SubElement(parent, "uniqueid", type=kind)
        if i == 0:
            el.set("default", "true")  # exactly one: without it Kodi's id comes out empty
        el.text = value


def _user_uniqueids(parent: etree._Element, extra: Iterable[str]) -> None:
    """The user's `uniqueid`s of a type we do not write, after ours, once per type, as they
    were except for `default`: Kodi takes the first `default="true"`, so only ours keeps it
    (with none of ours, the user's marked one, else their first, is the default)."""
    kept: dict[str, etree._Element] = {}
    for el in _parsed(extra):
        kind = (el.get("type") or "").strip().casefold() if el.tag == "uniqueid" else ""
        if kind and kind not in OWN_ID_TYPES and kind not in kept and _clean(el.text):
            kept[kind] = el
    if not kept:
        return
    has_default = any(u.get("default") == "true" for u in parent.iterfind("uniqueid"))
    marked = [el for el in kept.values() if _is_true(el.get("default"))]
    default = None if has_default else (marked or list(kept.values()))[0]
    for el in kept.values():
        if el is default:
            el.set("default", "true")
        elif _is_true(el.get("default")):
            del el.attrib["default"]
        el.tail = None
        parent.append(el)


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _set(
    parent: etree._Element, name: str | None, overview: str | None, extra: Iterable[str] = ()
) -> None:
    """The collection, with the attributes of the user's `<set>` of the same name (Jellyfin's
    and Emby's `tmdbcolid`, the collection's TMDB id); another collection's are not ours."""
    if not _clean(name):
        return
    el = etree.SubElement(parent, "set")
    for users in _parsed(extra):
        users_name = users.findtext("name") if users.find("name") is not None else users.text
        if users.tag == "set" and _clean(users_name).casefold() == _clean(name).casefold():
            for key, value in users.attrib.items():
                el.set(key, value)
            break
    _sub(el, "name", name)
    _sub(el, "overview", overview)


def _fileinfo(parent: etree._Element, movie: MovieData) -> None:
    """Ours from the scan; without any (a `.strm`, a file MediaInfo cannot read), the user's
    `<fileinfo>`: Kodi does not probe a file whose NFO has codec, size and duration."""
    if not (movie.video or movie.audio or movie.subtitles):
        for users in _parsed(movie.extra):
            if users.tag == "fileinfo":
                parent.append(users)
                return
        return
    details = etree.SubElement(etree.SubElement(parent, "fileinfo"), "streamdetails")
    for v in movie.video:
        el = etree.SubElement(details, "video")
        _sub(el, "codec", _clean(v.codec).lower())
        if v.aspect:
            _sub(el, "aspect", f"{v.aspect:.3f}")
        _sub(el, "width", v.width or None)
        _sub(el, "height", v.height or None)
        _sub(el, "durationinseconds", v.duration_seconds or None)
        _sub(el, "stereomode", _clean(v.stereomode).lower())
        _sub(el, "hdrtype", _clean(v.hdrtype).lower())
        _sub(el, "language", v.language)
    for a in movie.audio:
        el = etree.SubElement(details, "audio")
        _sub(el, "codec", _clean(a.codec).lower())
        _sub(el, "language", a.language)
        _sub(el, "channels", a.channels or None)
    for s in movie.subtitles:
        el = etree.SubElement(details, "subtitle")
        _sub(el, "language", s.language)


def _actors(
    parent: etree._Element, actors: Iterable[CastMember], extra: Iterable[str] = ()
) -> None:
    """Our cast; with none (the cast locked before we had one, or none from TMDB), the
    user's `<actor>`s from their NFO (`extra`), as they were: never no cast at all."""
    actors = list(actors)
    if not any(_clean(a.name) for a in actors):
        for el in _parsed(extra):
            if el.tag == "actor" and _clean(el.findtext("name")):
                el.tail = None
                parent.append(el)
        return
    for a in actors:
        if not _clean(a.name):
            continue
        el = etree.SubElement(parent, "actor")
        _sub(el, "name", a.name)
        _sub(el, "role", a.role)
        _sub(el, "type", a.kind)  # where Jellyfin's own NFO saver puts it
        if a.order is not None:
            _sub(el, "order", str(int(a.order)))
        if is_absolute_url(a.thumb):
            _sub(el, "thumb", a.thumb)


def _extra_elements(extra: Iterable[str], owned: frozenset[str] = OWNED) -> list[etree._Element]:
    """The user's elements of names we do not write (their `uniqueid`s of other types and
    their other ratings are merged with ours instead: `_user_uniqueids`, `_ratings`)."""
    elements = []
    for el in _parsed(extra, warn=True):
        if el.tag in owned:
            continue
        el.tail = None
        elements.append(el)
    return elements


def users_actors(extra: Iterable[str], limit: int | None = None) -> list[tuple[str, str]]:
    """(name, role) of the user's `<actor>`s kept from their NFO (`nfo_extra`): the cast the
    NFO gets when the item has none of its own (`_actors`), for the review page to show; the
    first `limit` of them (the rest are not parsed)."""
    out: list[tuple[str, str]] = []
    for el in _parsed(extra):
        if limit is not None and len(out) >= limit:
            break
        name = _clean(el.findtext("name")) if el.tag == "actor" else None
        if name:
            out.append((name, _clean(el.findtext("role")) or ""))
    return out


def _parsed(extra: Iterable[str], *, warn: bool = False) -> Iterator[etree._Element]:
    """The user's serialized elements, parsed safely; what cannot be parsed is skipped."""
    for text in extra:
        try:
            el = etree.fromstring(text.encode("utf-8"), _SAFE_PARSER)
        except (etree.XMLSyntaxError, ValueError) as exc:
            if warn:
                log.warning("an element of the user's NFO cannot be written back: %s", exc)
            continue
        if isinstance(el.tag, str):
            yield el
