"""Reading the movie NFOs users already have, safely.

An NFO is untrusted input. `read_nfo` never expands entities, never loads a DTD, never touches
the network, refuses files over `MAX_NFO_BYTES` and anything that is not a regular file, and
refuses a DOCTYPE that declares entities (XXE, billion laughs) before the parser sees it. What
hand-edited files hold and Kodi's TinyXML reads, a bare `&` (`Fast & Furious`) or an HTML entity
(`&eacute;`, `&nbsp;`), is repaired before parsing (text, and the character from Python's own
HTML table), with a warning; nothing is expanded from the file itself. A character XML refuses
(a control character, raw or as `&#x0B;` as Kodi's export writes it) is dropped, with a warning.

Kinds, as Kodi tells them apart (NfoFile.cpp, the TMDB scraper's `find_uniqueids_in_text`):
- "full": XML only;
- "url": no usable XML, but a themoviedb.org/movie/<n> or imdb.<tld>/title/tt<n> URL;
- "combined": XML plus such a URL anywhere in the text (after `</movie>`, or even in a plot).
The root element's name is not checked (Kodi does not either); a non-`<movie>` root is noted.
What follows the root element is ignored, as Kodi's TinyXML ignores it (a URL, a second `<movie>`
appended to the file), with a warning when it is markup.

Ids, first found wins and disagreement is noted in `warnings`: `uniqueid[@type]` (Kodi, Radarr,
Jellyfin, tinyMediaManager), then a `uniqueid` without a type or of type "unknown" (one bucket in
Kodi: it files an untyped id under "unknown" and its export writes it so, as Kodi 17 libraries
carried into 18 hold their old scraper's id): tt... is IMDb, digits are TMDB's for a movie
(`untyped_kind` says whose in TV NFOs), then `tmdbid`/`imdbid`/`tvdbid` in any case and
`imdb_id` (Jellyfin, whose tvshow.nfo names its IMDb id so; tMM writes
`<tmdbId>`), then legacy `<id>` (Kodi reads it only without uniqueid, into the same bucket as
an untyped one: tt... is IMDb, digits are TMDB's in a movie NFO as tMM writes it, whose
`untyped_kind` says in TV NFOs: TheTVDB's in a Jellyfin, Emby or Sonarr tvshow.nfo), then the ids only their own tool reads, as hints: tMM's
`<ids><entry><key>tmdb</key><value>…</value></entry></ids>` (or `<entry key="tmdb">…</entry>`)
and MediaPortal's `<tmdb>`/`<imdb>`; then URLs.

MediaPortal's Moving Pictures writes a list between bars in one element (`|a|b|`) and a title so
too (`|Title|`): read as its values, as tinyMediaManager reads them (Kodi keeps the bars).

Jellyfin's and Emby's second spellings (their BaseNfoSaver writes both, their reader takes the
last one met) are read as Kodi's: `<writer>` as `credits`, `<releasedate>` as `premiered` when
there is none; publish writes Kodi's only, so a stale second one never wins in Jellyfin.

Dates are read the way Kodi reads them, and kept in Kodi's own spelling: `premiered` as
`YYYY-MM-DD` (Kodi's `CDateTime::SetFromDBDate` also takes `DD.MM.YYYY` / `DD-MM-YYYY` /
`DD/MM/YYYY`, as tMM and MediaPortal wrote it; `MM/DD/YYYY` only when the day cannot be first);
`dateadded` as `YYYY-MM-DD HH:MM:SS` (a bare date is midnight; an ISO 8601 stamp with a zone,
`2023-05-01T12:34:56+02:00` or `...Z`, is converted to local time, Kodi's clock for it). A date
that is no date is dropped with a warning.

Encoding: a BOM decides; else UTF-16 when the file starts with `<?` in two-byte units; else
UTF-8 (text that decodes as UTF-8 almost never is anything else); else the encoding the XML
declaration names; else Windows-1252, the usual encoding of NFOs from old Windows tools, with a
warning, so the user's text is read rather than refused. A declaration of UTF-16 or UTF-32 in a
file whose declaration reads as 8-bit text is wrong (a .NET tool's StringWriter writes
`encoding="utf-16"` into a file it saves as UTF-8) and ignored, as Kodi does.
Bytes that fit none of these, or contain NULs (binary data), give an NfoError.
"""

from __future__ import annotations

import codecs
import html.entities
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from metarrd.db import INT_RANGES, MAX_PROVIDER_ID, MAX_TEXT
from metarrd.files import LedOut, NotARegularFile, TooLarge, read_regular

if TYPE_CHECKING:
    from metarrd.config import LibraryConfig

log = logging.getLogger(__name__)

MAX_NFO_BYTES = 5 * 1024 * 1024
MAX_WARNINGS = 20  # per NFO (per block of an episode NFO)
MAX_WARNING_CHARS = 500  # a warning quotes the file: not all of a 4 MB <premiered>

OWNED_ELEMENTS = frozenset(
    [
        "title",
        "originaltitle",
        "sorttitle",
        "plot",
        "outline",
        "tagline",
        "runtime",
        "mpaa",
        "premiered",
        "year",
        "ratings",
        "rating",
        "votes",
        "uniqueid",
        "id",
        "tmdbid",
        "imdbid",
        "imdb_id",  # Jellyfin's and Emby's tvshow.nfo
        "tmdb",  # MediaPortal
        "imdb",  # MediaPortal
        "genre",
        "country",
        "studio",
        "director",
        "credits",
        "writer",  # Jellyfin's and Emby's second spelling of credits (BaseNfoSaver writes both)
        "tag",
        "set",
        "actor",
        "fileinfo",
        "dateadded",
        "releasedate",  # Jellyfin's and Emby's second spelling of premiered
        "trailer",
        "thumb",
        "fanart",
    ]
)
# A YouTube trailer address with no video id after it (Radarr's, when the movie has none)
_NO_VIDEO = re.compile(
    r"\s*(?:plugin://plugin\.video\.youtube/(?:play/)?\?(?:.*&)?(?:video_id|videoid)"
    r"|https?://(?:www\.)?youtube\.com/watch\?v)=\s*",
    re.IGNORECASE,
)
_TEXT_FIELDS = ("title", "originaltitle", "sorttitle", "plot", "outline", "tagline", "mpaa")
_TEXT_FIELDS += ("premiered", "trailer", "dateadded")
_LIST_FIELDS = {
    "genre": "genres",
    "country": "countries",
    "studio": "studios",
    "director": "directors",
    "credits": "credits",
    "writer": "credits",
    "tag": "tags",
}
_ID_TYPES = {"tmdb": "tmdb", "themoviedb": "tmdb", "imdb": "imdb", "imdb_id": "imdb"}
_ID_TYPES |= {"tvdb": "tvdb", "thetvdb": "tvdb"}
# a uniqueid without a type, and Kodi's name for one ("unknown": the type Kodi files it under)
_UNTYPED = frozenset(["", "unknown"])
UNTYPED_SOURCE = "uniqueid without a type"
LEGACY_SOURCE = "<id>"
# where a number names no site: the id of the scraper that wrote the file, which need not be
# TMDB's (Kodi up to 17 wrote any scraper's id there: the AniDB movie scraper its anime id)
UNNAMED_SOURCES = frozenset([UNTYPED_SOURCE, LEGACY_SOURCE])
_TMDB_RATINGS = ("tmdb", "themoviedb")  # Kodi's TMDB scrapers, new and old
# id elements whose name is matched in any case (tMM writes <tmdbId>): the tag's lower case
# (Jellyfin and Emby write a series' IMDb id as <imdb_id>, and read it: BaseNfoSaver, BaseNfoParser)
_NAMED_IDS = {"tmdbid": "tmdb", "imdbid": "imdb", "imdb_id": "imdb", "tvdbid": "tvdb"}
_TOOL_IDS = {"tmdb": "tmdb", "imdb": "imdb"}  # MediaPortal's top-level <tmdb>, <imdb>
# Jellyfin's <lockedfields> (its MetadataField names, `|`-separated; Emby's older Keywords) as
# metarrd's locked_fields; "cast" is fields.CAST_LOCK. <lockdata>true</lockdata> locks all.
_JELLYFIN_LOCKS = {
    "name": ("title",),
    "overview": ("plot",),
    "genres": ("genres",),
    "tags": ("tags",),
    "keywords": ("tags",),
    "studios": ("studios",),
    "productionlocations": ("countries",),
    "runtime": ("runtime",),
    "officialrating": ("mpaa",),
    "cast": ("cast",),
}
_IMDB_ID = re.compile(r"tt[0-9]{7,8}")
# The TMDB scraper's own patterns (scraper_datahelper.find_uniqueids_in_text).
_TMDB_URL = re.compile(r"themoviedb.org/movie/([0-9]+)")
_IMDB_URL = re.compile(r"imdb....?/title/tt([0-9]+)")
_IMDB_OLD_URL = re.compile(r"imdb....?/Title\?t{0,2}([0-9]+)")
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_ROOT_START = re.compile(r"<([A-Za-z_][\w.:-]*)")
# ASCII digits only: `\d` and int() also take Arabic-Indic and full-width digits, Kodi does not
_LEADING_INT = re.compile(r"\s*([0-9]+)")
# libxml2's advice to programmers at its limits ("Excessive depth in document: 256, use
# XML_PARSE_HUGE option"): not for the user, who cannot pass it, and who is better without it
_LIBXML_HINT = re.compile(r",?\s*(?:use|try) XML_PARSE_HUGE(?: option)?", re.IGNORECASE)
# votes as written: digits, maybe grouped by thousands (`1,234,567`, `1.234.567`, `1 234 567`)
_VOTES = re.compile(r"[0-9]+(?:[,.' \u00a0\u202f][0-9]{3})*")
_RATING = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_YEAR_FIRST = re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?![\d])")
_DAY_FIRST = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?![\d])")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
# MediaPortal's Moving Pictures writes a list as `|a|b|` in one element, a title as `|Title|`
# (tinyMediaManager src/test/resources/movie_nfo/mp-moving_pictures.nfo: `<director>|Dan
# Trachtenberg|</director>`, `<originaltitle>|10 Cloverfield Lane|</originaltitle>`); tMM
# splits such lists at the `|`. Kodi keeps the bars, which no title or name has.
_MP_LIST = re.compile(r"\s*\||.*\|\s*$", re.DOTALL)
_MP_WRAPPED = re.compile(r"^\s*\|([^|]*[^|\s][^|]*)\|\s*$")
_TITLES = frozenset(["title", "originaltitle", "sorttitle"])
_BINARY_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")
# A hand-edited NFO's `&` that starts no reference, and its named references; the markup
# where `&` is text already (CDATA, comments, processing instructions) is left alone.
_BARE_AMP = re.compile(r"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]{1,8})|x([0-9A-Fa-f]{1,8}));")
# what XML 1.0's Char production leaves out (tab, LF and CR are in)
_XML_INVALID_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_XML_ENTITIES = frozenset(["amp", "lt", "gt", "quot", "apos"])
_SKIPPED_START = re.compile(r"<!\[CDATA\[|<!--|<\?")
_SKIPPED_END = {"<![CDATA[": "]]>", "<!--": "-->", "<?": "?>"}


class NfoError(Exception):
    """An NFO that cannot be used; `reason` says why in words a user can act on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True)
class NfoActor:
    name: str
    role: str | None = None
    order: int | None = None
    thumb: str | None = None


@dataclass
class NfoData:
    """What an NFO says. `fields` holds only what is present: str values for title,
    originaltitle, sorttitle, plot, outline, tagline, mpaa, premiered, trailer, dateadded,
    set_name, set_overview; int runtime (minutes), year, votes; float rating (0-10: the
    TMDB rating, named tmdb or themoviedb, else an unnamed one; the default one of those);
    list[str] genres, countries, studios, directors, credits, tags; and `ratings` as a list
    of {"name", "value", "votes", "default"} dicts (every rating, whatever its name).
    `id_sources` says where each id was found ("uniqueid", "<id>", "URL", ...); `default_id`
    the kind of the `<uniqueid default="true">` (the scraper that wrote the file: Sonarr's and
    Kodi's TheTVDB scraper mark "tvdb"), None when none is marked or its type is not read.
    `locked_fields` (metarrd's field names) and `lock_all` are the user's locks in Jellyfin's
    `<lockedfields>` and `<lockdata>`; those elements stay in `unknown_elements` too.
    `unknown_elements` are serialized top-level elements metarrd does not own, in order, plus
    the `<ratings>` and any `uniqueid` of a type not read as an id (trakt, tvmaze...): publish
    keeps the user's other ratings and ids beside its own; a `<set>` with attributes
    (Jellyfin's and Emby's `tmdbcolid`), whose attributes publish keeps on the same set; and
    each named `<actor>`, which publish writes back when the item has no cast of its own."""

    path: Path
    kind: str
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    id_sources: dict[str, str] = field(default_factory=dict)
    default_id: str | None = None
    fields: dict[str, object] = field(default_factory=dict)
    locked_fields: list[str] = field(default_factory=list)
    lock_all: bool = False
    actors: list[NfoActor] = field(default_factory=list)
    unknown_elements: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def nfo_titles(data: NfoData) -> list[str]:
    """The NFO's `<title>` and `<originaltitle>`, those it has: what identify holds a number
    of an `UNNAMED_SOURCES` source to (the provider's work of that number must bear one)."""
    titles = (data.fields.get(k) for k in ("title", "originaltitle"))
    return [t for t in titles if isinstance(t, str) and t]


def read_nfo(path: Path, inside: Iterable[LibraryConfig] | None = None) -> NfoData:
    """Read and parse one NFO file; raises NfoError for anything unusable. `inside`: the
    configured libraries, when the file opened must be in one (`files.open_regular`)."""
    path = Path(path)
    try:
        data = read_regular(path, MAX_NFO_BYTES, inside=inside)
    except LedOut as exc:
        raise NfoError(path, exc.strerror) from exc
    except NotARegularFile as exc:
        raise NfoError(path, f"is {exc.kind}, not a regular file; ignored") from exc
    except TooLarge as exc:
        raise NfoError(path, _too_big(exc.size)) from exc
    except OSError as exc:
        raise NfoError(path, f"cannot be read: {exc.strerror or exc}") from exc
    return parse_nfo(data, path)


def parse_nfo(
    data: bytes, path: Path, *, find_url_ids: Callable[[str], dict[str, str]] | None = None
) -> NfoData:
    """Parse NFO bytes (already read); `path` names the file in messages. `find_url_ids` finds
    the ids of the scraper's URLs in the text (default: the TMDB movie scraper's; a tvshow.nfo
    passes the TV scraper's themoviedb.org/tv, thetvdb.com and imdb.com URLs)."""
    path = Path(path)
    warnings: list[str] = []
    text = decode_nfo(data, path, warnings)
    return parse_text(text, path, warnings, find_url_ids=find_url_ids)


def parse_text(
    text: str,
    path: Path,
    warnings: list[str] | None = None,
    *,
    find_url_ids: Callable[[str], dict[str, str]] | None = None,
    untyped_kind: str = "tmdb",
) -> NfoData:
    """`parse_nfo` of text `decode_nfo` decoded; `warnings` (decoding's) go into the result.
    `untyped_kind` is whose id a number in an untyped or type="unknown" `uniqueid` is."""
    path = Path(path)
    warnings = list(warnings or [])
    if not text.strip():
        raise NfoError(path, "is empty")
    if len(_BINARY_CONTROL.findall(text[:65536])) > 16:
        raise NfoError(path, "contains control characters: binary data, not an NFO")

    url_ids = (find_url_ids or movie_url_ids)(text)
    xml = _xml_part(text, path)
    xml_error: NfoError | None = None
    if xml is not None:
        xml, repaired, dropped = _repair_references(xml)
        if repaired:
            warnings.append(
                f"repaired {len(repaired)} '&' that XML refuses (first: {repaired[0]!r}): a"
                " bare '&' read as text, an HTML entity as its character, as Kodi reads them"
            )
        if dropped:
            warnings.append(
                f"dropped {len(dropped)} character{'s' if len(dropped) > 1 else ''} that XML"
                f" refuses (first: {dropped[0]!r}): control characters, as Kodi's own export"
                " writes them"
            )
        try:
            root = _parse_xml(xml, path, warnings)
            return _from_tree(root, path, url_ids, warnings, untyped_kind)
        except NfoError as exc:
            xml_error = exc
    if not url_ids:
        raise xml_error or NfoError(path, "is neither XML nor a TMDB/IMDb URL")
    if xml_error is not None:
        warnings.append(f"XML part ignored ({xml_error.reason}); using the URL only")
    data = NfoData(path, "url", warnings=warnings)
    _apply_ids(data, [("URL", url_ids)])
    return data


def _too_big(size: int) -> str:
    return (
        f"is {_megabytes(size)} MB, larger than the {_megabytes(MAX_NFO_BYTES)} MB limit; ignored"
    )


def _megabytes(size: int) -> str:
    return f"{round(size / (1024 * 1024), 1):g}"


def decode_nfo(data: bytes, path: Path, warnings: list[str]) -> str:
    """NFO bytes as text (see the module docstring); a guessed encoding adds a warning."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return _decode_strict(data[len(bom) :], codec, path)
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode_strict(data[2:], "utf-16-be", path)
    # UTF-16 without a BOM, told by `<?` in two-byte units (Kodi's GuessXmlEncoding)
    for start, codec in ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be")):
        if data.startswith(start):
            return _decode_strict(data, codec, path)
    declared = _declared_codec(data)
    if declared and declared.startswith(("utf-16", "utf-32")):
        # read as 8-bit text, the declaration is no UTF-16's: a .NET StringWriter's label on
        # a file saved as UTF-8, which Kodi ignores too (CCharsetDetection::DetectXmlEncoding)
        declared = None
    if b"\x00" in data:
        raise NfoError(path, "contains NUL bytes: binary data, not an NFO")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    for codec in (declared, "cp1252"):
        if codec in (None, "utf-8"):
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        note = f"not valid UTF-8 (byte {utf8_error.start}); read as {codec}"
        log.warning("NFO %s: %s", path, note)
        warnings.append(note)
        return text
    raise NfoError(
        path,
        f"is not valid UTF-8 (byte {utf8_error.start}) nor Windows-1252 text; fix its encoding",
    )


def _decode_strict(data: bytes, codec: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise NfoError(path, f"is not valid {codec} (byte {exc.start}); fix its encoding") from exc


def _declared_codec(data: bytes) -> str | None:
    match = _DECLARED_ENCODING.search(data[:512])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def movie_url_ids(text: str) -> dict[str, str]:
    """The ids of Kodi's TMDB movie scraper's URLs anywhere in the text."""
    found: dict[str, str] = {}
    tmdb = _TMDB_URL.search(text)
    if tmdb:
        found["tmdb"] = tmdb.group(1)
    imdb = _IMDB_URL.search(text) or _IMDB_OLD_URL.search(text)
    if imdb:
        found["imdb"] = "tt" + imdb.group(1)
    return found


def refuse_entity_declarations(text: str, path: Path) -> None:
    """NfoError for a DOCTYPE that declares entities (XXE, billion laughs), before any parser
    sees it; whatever a DOCTYPE parser would make of it."""
    if "<!DOCTYPE" in text and "<!ENTITY" in text:
        raise NfoError(
            path, "declares XML entities in its DOCTYPE (XXE / entity expansion); refused"
        )


def _xml_part(text: str, path: Path) -> str | None:
    """The text from the first markup to the end of the root element (None: no markup).
    Refuses a DOCTYPE that declares entities before any parser sees it."""
    refuse_entity_declarations(text, path)
    start = text.find("<")
    if start < 0:
        return None
    pos = start
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = len(text) if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = len(text) if end < 0 else end + 3
        elif text.startswith("<!DOCTYPE", pos):
            pos = _doctype_end(text, pos)
        else:
            break
    root = _ROOT_START.match(text, pos)
    if not root:
        return text[start:]
    close = text.rfind(f"</{root.group(1)}")
    end = text.find(">", close) if close >= 0 else -1
    return text[start : end + 1] if end >= 0 else text[start:]


def _repair_references(xml: str) -> tuple[str, list[str], list[str]]:
    """Hand-edited NFOs hold a bare `&` (`Fast & Furious`) or an HTML entity (`&eacute;`,
    `&nbsp;`), which XML refuses and Kodi's TinyXML keeps. Outside CDATA, comments and
    processing instructions, a `&` that starts no XML reference (`&amp;`, `&#233;`, `&#xE9;`)
    becomes `&amp;`, and an HTML entity the character it names, escaped. Nothing is expanded
    from the file itself (no DTD is read).

    A character XML 1.0 does not allow (a control character below 32 but tab and newlines,
    U+FFFE, a lone surrogate), raw or as a character reference, is dropped: Kodi's export
    writes every character below 32 as `&#xNN;` (TinyXML's EncodeString), so a stray one in a
    provider's plot comes out as `&#x0B;`, which TinyXML reads back and XML refuses, and with
    it the whole file. Returns the text, what was repaired and what was dropped, in order."""
    dropped = _XML_INVALID_CHAR.findall(xml)
    xml = _XML_INVALID_CHAR.sub("", xml) if dropped else xml
    if "&" not in xml:
        return xml, [], dropped
    out: list[str] = []
    repaired: list[str] = []

    def numeric(m: re.Match[str]) -> str:
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        if code > 0x10FFFF or _XML_INVALID_CHAR.fullmatch(chr(min(code, 0x10FFFF))):
            dropped.append(m.group())
            return ""
        return m.group()

    def named(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group()
        repaired.append(m.group())
        char = html.entities.html5.get(f"{name};")
        if char is None:  # no one defines it: text, as TinyXML keeps it
            return f"&amp;{name};"
        return char.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    pos = 0
    while pos < len(xml):
        m = _SKIPPED_START.search(xml, pos)
        stop = m.start() if m else len(xml)
        part, bare = _BARE_AMP.subn("&amp;", xml[pos:stop])
        repaired += ["&"] * bare
        out.append(_NUMERIC_REFERENCE.sub(numeric, _NAMED_REFERENCE.sub(named, part)))
        if m is None:
            break
        end = xml.find(_SKIPPED_END[m.group()], m.end())  # copied as it is, up to its end
        pos = len(xml) if end < 0 else end + len(_SKIPPED_END[m.group()])
        out.append(xml[stop:pos])
    return "".join(out), repaired, dropped


def _doctype_end(text: str, pos: int) -> int:
    """Index just past a DOCTYPE declaration, internal subset `[...]` included."""
    depth = 0
    for i in range(pos, len(text)):
        ch = text[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == ">" and depth <= 0:
            return i + 1
    return len(text)


def _parse_xml(xml: str, path: Path, warnings: list[str]) -> etree._Element:
    """The root element. What follows it (a second `<movie>` appended to the file, text naming
    `</movie>`) is ignored with a warning, as Kodi's TinyXML stops after the first root: the
    strict parse failed only there, so the root before it is well-formed, and libxml2's
    recovering parse, which stops at the same place, gives it."""
    parser = _xml_parser(recover=False)
    try:
        return etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        if (exc.msg or "").startswith("Extra content at the end of the document"):
            root = etree.fromstring(xml.encode("utf-8"), _xml_parser(recover=True))
            if root is not None:
                warnings.append(
                    f"what follows the <{root.tag}> element ignored, as Kodi ignores it"
                )
                return root
        reason = _LIBXML_HINT.sub("", exc.msg or str(exc))
        if "XML_PARSE_HUGE" in (exc.msg or ""):  # a limit met, not a typo
            raise NfoError(path, f"is too large or too deeply nested to read: {reason}") from exc
        raise NfoError(path, f"is not well-formed XML: {reason}") from exc


def _xml_parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
        encoding="utf-8",
    )


def _from_tree(
    root: etree._Element,
    path: Path,
    url_ids: dict[str, str],
    warnings: list[str],
    untyped_kind: str = "tmdb",
) -> NfoData:
    data = NfoData(path, "combined" if url_ids else "full", warnings=warnings)
    if root.tag != "movie":
        warnings.append(f"root element is <{root.tag}>, not <movie>; read anyway, as Kodi does")
    docinfo = root.getroottree().docinfo
    if docinfo.system_url:
        warnings.append(f"external DTD {docinfo.system_url!r} ignored (never loaded)")

    elements = [el for el in root if isinstance(el.tag, str)]
    _apply_ids(data, _id_sources(elements, untyped_kind) + [("URL", url_ids)])
    data.default_id = _default_id(elements)
    fields = data.fields
    seen: dict[str, set[str]] = {}  # a list field's values so far: a list scan was quadratic
    released: str | None = None
    for el in elements:
        tag, value = el.tag, _text(el)
        if tag.casefold() in ("tmdbid", "imdbid", "imdb_id"):
            continue  # <tmdbId> too: read above, written back as uniqueid
        if tag not in OWNED_ELEMENTS or _kept_beside_ours(el):
            data.unknown_elements.append(etree.tostring(el, encoding="unicode", with_tail=False))
            if tag in ("lockdata", "lockedfields") and value:
                _read_locks(data, tag, value)
        elif tag == "trailer" and value and _NO_VIDEO.fullmatch(value):
            # Radarr's NFO writer (XbmcMetadata.cs) appends the movie's YouTube trailer id to
            # the YouTube add-on's address whether it has one or not: nothing to play, and
            # kept, it was published back whenever TMDB had no trailer either
            warnings.append(f"<trailer> {value!r} names no video; not kept")
        elif tag in _TEXT_FIELDS and value and tag not in fields:
            fields[tag] = _MP_WRAPPED.sub(r"\1", value) if tag in _TITLES else value
        elif tag in _LIST_FIELDS and value:
            items = fields.setdefault(_LIST_FIELDS[tag], [])
            known = seen.setdefault(_LIST_FIELDS[tag], set())
            parts = value.split("|") if _MP_LIST.match(value) else value.split(" / ")
            for v in (p.strip() for p in parts):
                if v and v not in known:
                    known.add(v)
                    items.append(v)
        elif tag in ("runtime", "year") and value and tag not in fields:
            number = _in_range(tag, _leading_int(value), value, warnings)
            if number is not None:
                fields[tag] = number
        elif tag == "releasedate" and value:
            released = released or value
        elif tag == "set":
            _read_set(el, fields)
            if el.attrib:  # Jellyfin's and Emby's <set tmdbcolid="...">: publish keeps the id
                data.unknown_elements.append(
                    etree.tostring(el, encoding="unicode", with_tail=False)
                )
        elif tag == "actor":
            actor = _read_actor(el)
            if actor:
                data.actors.append(actor)
                # as written too: publish writes the user's cast when the item has none of
                # its own (the cast locked, or none from TMDB), rather than no <actor> at all
                data.unknown_elements.append(
                    etree.tostring(el, encoding="unicode", with_tail=False)
                )
    if released and "premiered" not in fields:
        fields["premiered"] = released  # Kodi's <premiered> first, wherever it is
    _drop_long_texts(fields, warnings)
    _read_ratings(elements, fields, warnings)
    _read_dates(fields, warnings)
    data.warnings = capped(data.warnings)
    return data


def _drop_long_texts(fields: dict[str, object], warnings: list[str]) -> None:
    """A text (or list) longer than the item page takes (MAX_TEXT characters; a 4 MB `<plot>`)
    is not read, with a warning: the page could not save it again, and every listing and
    history line would carry it."""
    for key, value in list(fields.items()):
        text = ", ".join(value) if isinstance(value, list) else value
        if isinstance(text, str) and len(text) > MAX_TEXT:
            del fields[key]
            warnings.append(
                f"{key} is {len(text):,} characters long, more than the {MAX_TEXT:,} an item"
                " takes; ignored"
            )


def capped(warnings: list[str]) -> list[str]:
    """The warnings once each, at most MAX_WARNINGS of them and a line saying how many more,
    each cut at MAX_WARNING_CHARS: each is an event on the item, and an NFO of 50,000 bad
    `<rating>`s or a `<lockedfields>` of 100,000 names is not 100,000 events."""
    unique = list(
        dict.fromkeys(
            w if len(w) <= MAX_WARNING_CHARS else w[: MAX_WARNING_CHARS - 1] + "…" for w in warnings
        )
    )
    if len(unique) <= MAX_WARNINGS:
        return unique
    more = len(unique) - MAX_WARNINGS
    return [*unique[:MAX_WARNINGS], f"… and {more} more warnings about this NFO, not listed"]


def _read_dates(fields: dict[str, object], warnings: list[str]) -> None:
    """`premiered` and `dateadded` in Kodi's spelling; what is no date goes, with a warning."""
    premiered = fields.get("premiered")
    if isinstance(premiered, str):
        day = kodi_date(premiered)
        if day is not None:
            fields["premiered"] = day
            if day != premiered:
                warnings.append(f"premiered {_shown(premiered)} read as {day}")
        else:
            del fields["premiered"]
            year = _leading_int(premiered)
            low, high = INT_RANGES["year"]
            if re.fullmatch(r"\s*[0-9]{4}\s*", premiered) and year and low <= year <= high:
                fields.setdefault("year", year)  # a bare year is still the year
            else:
                warnings.append(f"premiered {_shown(premiered)} is not a date; ignored")
    added = fields.get("dateadded")
    if isinstance(added, str):
        stamp = kodi_datetime(added)
        if stamp is not None:
            fields["dateadded"] = stamp
        else:
            del fields["dateadded"]
            warnings.append(f"dateadded {_shown(added)} is not a date and time; ignored")


def kodi_date(text: str) -> str | None:
    """A release date as `YYYY-MM-DD`, read the way Kodi reads `premiered`
    (`CDateTime::SetFromDBDate`): year first, else day first (`19.08.2009`, `19-08-2009`); a
    month-first date (`08/19/2009`) only when the day cannot come first. None: no date."""
    text = text.strip()
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _iso_date(year, month, day)
    match = _DAY_FIRST.match(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        return _iso_date(year, second, first) or _iso_date(year, first, second)
    return None


def kodi_datetime(text: str) -> str | None:
    """`dateadded` as Kodi writes it, `YYYY-MM-DD HH:MM:SS` (an ISO `T`, a missing seconds or
    time, a fraction of a second and a time zone are accepted; any other date form goes through
    `kodi_date`). None: no date.

    Kodi's `dateadded` has no zone: it is the local wall clock (Kodi takes the file's mtime in
    local time, as `stage.date_added_from_mtime` does). A stamp with one (`Z`, `+02:00`,
    `-0500`: ISO 8601 as .NET and JavaScript tools write it) is converted to this machine's
    local time, so it sorts among the zoneless ones as the moment it names; a fraction of a
    second is dropped, as Kodi keeps whole seconds."""
    text = text.strip()
    match = _DATE_TIME.fullmatch(text)
    if match:
        day = kodi_date(match.group(1))
        hour, minute, second = (int(g or 0) for g in match.groups()[1:4])
        if not (day and hour < 24 and minute < 60 and second < 60):
            return None
        stamp = datetime.fromisoformat(day).replace(hour=hour, minute=minute, second=second)
        if match.group(5):
            zone = _utc_offset(match.group(5))
            if zone is None:
                return None
            stamp = stamp.replace(tzinfo=zone).astimezone().replace(tzinfo=None)
        return stamp.strftime("%Y-%m-%d %H:%M:%S")
    day = kodi_date(text) if len(text) <= 10 else None
    return f"{day} 00:00:00" if day else None


def _utc_offset(text: str) -> timezone | None:
    """`Z`, `+02`, `+02:00` or `-0500` as a zone; None for an offset no zone has (past 18h)."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 18 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def _iso_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat() if 1800 <= year <= 2200 else None
    except ValueError:
        return None


def _id_sources(
    elements: list[etree._Element], untyped_kind: str = "tmdb"
) -> list[tuple[str, dict[str, str]]]:
    unique: dict[str, str] = {}
    untyped: dict[str, str] = {}  # Kodi's "unknown" bucket: no type, or type="unknown"
    for el in elements:
        value = _text(el)
        if el.tag == "uniqueid" and value:
            type_ = (el.get("type") or "").strip().casefold()
            if type_ in _UNTYPED:
                untyped.setdefault("imdb" if value.startswith("tt") else untyped_kind, value)
            elif kind := _ID_TYPES.get(type_):
                unique.setdefault(kind, value)
    named: dict[str, str] = {}
    legacy: dict[str, str] = {}
    tool: dict[str, str] = {}
    has_uniqueid = any(el.tag == "uniqueid" for el in elements)
    for el in elements:
        value, tag = _text(el), el.tag.casefold()
        if tag in _NAMED_IDS and value:
            named.setdefault(_NAMED_IDS[tag], value)
        elif el.tag == "id" and value and not has_uniqueid:
            # Kodi files `<id>` with an untyped uniqueid (one "unknown" bucket): the same kind
            legacy.setdefault("imdb" if value.startswith("tt") else untyped_kind, value)
        elif el.tag in _TOOL_IDS and value:
            tool.setdefault(_TOOL_IDS[el.tag], value)
        elif el.tag == "ids":
            for kind, entry_value in _tmm_ids(el):
                tool.setdefault(kind, entry_value)
    return [
        ("uniqueid", unique),
        (UNTYPED_SOURCE, untyped),
        ("tmdbid/imdbid/tvdbid", named),
        (LEGACY_SOURCE, legacy),
        ("<ids>/<tmdb>/<imdb>", tool),
    ]


def _default_id(elements: list[etree._Element]) -> str | None:
    """The kind of the first filled `<uniqueid default="true">` of a kind read as an id."""
    for el in elements:
        if el.tag == "uniqueid" and (el.get("default") or "").strip().casefold() == "true":
            kind = _ID_TYPES.get((el.get("type") or "").strip().casefold())
            if kind and _text(el):
                return kind
    return None


def _tmm_ids(ids: etree._Element) -> list[tuple[str, str]]:
    """tinyMediaManager's `<ids>`: `<entry><key>tmdb</key><value>603</value></entry>`, or
    `<entry key="tmdb">603</entry>`; kinds we do not know (trakt...) are skipped."""
    found = []
    for entry in ids.iterfind("entry"):
        key = entry.get("key") or _child_text(entry, "key") or ""
        value = _child_text(entry, "value") if entry.find("value") is not None else _text(entry)
        kind = _ID_TYPES.get(key.strip().casefold())
        if kind and value:
            found.append((kind, value))
    return found


def _apply_ids(data: NfoData, sources: list[tuple[str, dict[str, str]]]) -> None:
    chosen: dict[str, tuple[str, str]] = {}
    for source, ids in sources:
        for kind, raw in ids.items():
            if raw.strip().strip("0") == "":
                continue  # tMM's and Kodi's "no id" (`<tmdbId>0</tmdbId>`): no site's id is 0
            value = _valid_id(kind, raw.strip())
            if value is None:
                data.warnings.append(f"{source} {kind} id {_shown(raw)} is not valid; ignored")
            elif kind not in chosen:
                chosen[kind] = (value, source)
            elif chosen[kind][0] != value:
                first_value, first_source = chosen[kind]
                data.warnings.append(
                    f"{source} says {kind} {value} but {first_source} says {first_value};"
                    f" using {first_value}"
                )
    data.id_sources = {kind: source for kind, (_, source) in chosen.items()}
    if "tmdb" in chosen:
        data.tmdb_id = int(chosen["tmdb"][0])
    if "imdb" in chosen:
        data.imdb_id = chosen["imdb"][0]
    if "tvdb" in chosen:
        data.tvdb_id = int(chosen["tvdb"][0])


def _valid_id(kind: str, value: str) -> str | None:
    if kind == "imdb":
        return value if _IMDB_ID.fullmatch(value) else None
    return str(int(value)) if is_id(value) else None


def is_id(value: str) -> bool:
    """A TMDB or TheTVDB id: ASCII digits (isdigit() and int() take `٣`), 1 to
    MAX_PROVIDER_ID (an INTEGER column; int() refuses 4,300+ digits)."""
    return (
        value.isascii()
        and value.isdigit()
        and len(value) <= 10
        and 0 < int(value) <= MAX_PROVIDER_ID
    )


def _read_locks(data: NfoData, tag: str, value: str) -> None:
    """Jellyfin's user locks: `<lockdata>true</lockdata>` (every field) and
    `<lockedfields>Name|Overview|Genres</lockedfields>`; names we have no field for are noted."""
    if tag == "lockdata":
        data.lock_all = data.lock_all or value.strip().casefold() == "true"
        return
    for name in (n.strip() for n in value.split("|")):
        columns = _JELLYFIN_LOCKS.get(name.casefold())
        if columns is None:
            if name:
                data.warnings.append(f"locked field {_shown(name)} has no metarrd field; ignored")
            continue
        data.locked_fields.extend(c for c in columns if c not in data.locked_fields)


def _read_set(el: etree._Element, fields: dict[str, object]) -> None:
    if "set_name" in fields:
        return
    name = el.find("name")
    if name is None and len(el) == 0:  # pre-Jarvis <set>Name</set>
        if _text(el):
            fields["set_name"] = _text(el)
        return
    if name is not None and _text(name):
        fields["set_name"] = _text(name)
        overview = el.find("overview")
        if overview is not None and _text(overview):
            fields["set_overview"] = _text(overview)


def _read_actor(el: etree._Element) -> NfoActor | None:
    name = _child_text(el, "name")
    if not name:
        return None
    order = _child_text(el, "order")
    return NfoActor(
        name=name,
        role=_child_text(el, "role"),
        order=_leading_int(order) if order else None,
        thumb=_child_text(el, "thumb"),
    )


def _kept_beside_ours(el: etree._Element) -> bool:
    """Owned elements that are still the user's in part, kept for publish to merge: the
    `<ratings>` (named ratings other than TMDB's), a `uniqueid` of a type we do not read, and
    `<fileinfo>` (written back only when the scan has no stream details of its own: a `.strm`)."""
    kind = (el.get("type") or "").strip().casefold()
    return el.tag in ("ratings", "fileinfo") or (
        el.tag == "uniqueid" and kind not in _UNTYPED and kind not in _ID_TYPES
    )


def _read_ratings(
    elements: list[etree._Element], fields: dict[str, object], warnings: list[str]
) -> None:
    """Kodi's rules: value/max*10, values outside (0, 10] dropped, first default="true" wins
    (else the first), legacy <rating>/<votes> only without <ratings>. A value or vote count
    that is no number, or one a column cannot hold, is dropped with a warning (0, Kodi's "no
    rating", silently)."""
    ratings: list[dict[str, object]] = []
    for block in (el for el in elements if el.tag == "ratings"):
        for rating in block.iterfind("rating"):
            name = (rating.get("name") or "default").strip()
            value = _rating_value(_child_text(rating, "value"), rating.get("max"), warnings, name)
            if value is None:
                continue
            ratings.append(
                {
                    "name": name,
                    "value": value,
                    "votes": _votes(_child_text(rating, "votes"), warnings),
                    "default": (rating.get("default") or "").strip().lower() == "true",
                }
            )
    if not ratings:
        legacy = next((el for el in elements if el.tag == "rating"), None)
        votes = next((el for el in elements if el.tag == "votes"), None)
        value = (
            _rating_value(_text(legacy), legacy.get("max"), warnings, "default")
            if legacy is not None
            else None
        )
        if value is not None:
            votes_text = _text(votes) if votes is not None else None
            ratings.append(
                {
                    "name": "default",
                    "value": value,
                    "votes": _votes(votes_text, warnings),
                    "default": True,
                }
            )
    if not ratings:
        return
    fields["ratings"] = ratings
    # `rating` is TMDB's: one named so, else an unnamed one; other names stay only the user's
    own = [r for r in ratings if str(r["name"]).casefold() in _TMDB_RATINGS]
    own = own or [r for r in ratings if str(r["name"]).casefold() in ("", "default")]
    if not own:
        return
    default = next((r for r in own if r["default"]), own[0])
    fields["rating"] = default["value"]
    if default["votes"] is not None:
        fields["votes"] = default["votes"]


def _rating_value(
    text: str | None, max_attr: str | None, warnings: list[str], name: str
) -> float | None:
    """A rating out of 10, or None. float() takes `NaN`, `inf`, `1_0` and non-ASCII digits
    (`٣`); Kodi's reader does not: those are no number here either."""
    if not text:
        return None
    top = _number(max_attr) if max_attr else 10.0
    value = _number(text)
    if value is None or top is None:
        warnings.append(f"rating {_shown(name)} {_shown(text)} is not a number; ignored")
        return None
    if top >= 1:
        value = value / top * 10
    if value == 0:
        return None  # Kodi's "no rating"
    if not 0 < value <= 10:
        warnings.append(f"rating {_shown(name)} {_shown(text)} is not between 0 and 10; ignored")
        return None
    return round(value, 4)


def _number(text: str) -> float | None:
    if not _RATING.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _votes(text: str | None, warnings: list[str]) -> int | None:
    """A vote count: digits, maybe grouped by thousands; else None with a warning."""
    text = (text or "").strip()
    if not text:
        return None
    if _VOTES.fullmatch(text):
        return _in_range("votes", _leading_int(re.sub(r"[^0-9]", "", text)), text, warnings)
    warnings.append(f"votes {_shown(text)} is not a whole number; ignored")
    return None


def _in_range(tag: str, number: int | None, text: str, warnings: list[str]) -> int | None:
    """`number` when the column `tag` can take it (INT_RANGES, the item page's limits too),
    else None with a warning: the NFO keeps it, the database does not get it. A year or a
    runtime of 0 is Kodi's "none": None, silently."""
    low, high = INT_RANGES[tag]
    if tag in ("year", "runtime") and number == 0:
        # Kodi's export writes an unknown year so (tests/nfo/tmm-tvshowepisode-...), and an
        # unknown runtime (tests/nfo/jellyfin-The-Bone-Orchard.nfo): it reads 0 back as none
        return None
    if number is None:
        warnings.append(f"{tag} {_shown(text)} is not a whole number; ignored")
        return None
    if not low <= number <= high:
        warnings.append(f"{tag} {_shown(text)} is not between {low} and {high}; ignored")
        return None
    return number


def _shown(text: str) -> str:
    """A value of the file in a message: quoted, at most 40 characters."""
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _leading_int(text: str) -> int | None:
    """The number `text` starts with (ASCII digits, as Kodi's atoi); a number of more than 18
    digits is 10**18 (int() refuses 4,300+ digits; no column takes either)."""
    match = _LEADING_INT.match(text)
    if not match:
        return None
    digits = match.group(1).lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def _child_text(el: etree._Element, tag: str) -> str | None:
    child = el.find(tag)
    return _text(child) if child is not None else None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    # XPath's string(): the same text as "".join(el.itertext()), in linear time (itertext is
    # quadratic over an element holding many comments: a 5 MB NFO of `<!---->` took minutes)
    value = str(el.xpath("string()")).strip()
    return value or None
