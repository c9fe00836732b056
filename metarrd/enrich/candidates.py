"""Provider JSON -> artwork candidates with Kodi asset types (pure).

One function per provider turns its answer into `Candidate`s: the Kodi art type (docs/kodi-layout.md), the
absolute image URL, the language (ISO 639-1, None = no text) and the provider's own estimate of
size and popularity. Nothing is fetched here.

Rules (docs/providers.md §1.6, §2.4, §3.5):
- TMDB posters -> poster, backdrops -> fanart, logos -> clearlogo. An SVG logo is replaced by the
  PNG rendition TMDB serves under the same name (`original` size); "xx" counts as no language.
- fanart.tv keys map as Kodi's scrapers map them (hd* variants preferred by their size only);
  a movieposter without text ("" / "00") is keyart; for logos, clearart, banners, thumbs and
  discs an empty language counts as English (Kodi's rule); backgrounds never have a language.
- TheTVDB artwork types are looked up by name (never hard-coded ids); its language ids (mostly
  ISO 639-2/T, "zhtw" Chinese - Taiwan, "pt" Portuguese - Brazil) are turned into ISO 639-1
  wherever one exists.
- An SVG that has no raster rendition is skipped: it is never stored as an image.

Each candidate also names the provider's small rendition of the same picture (`small_url`:
TMDB `w185`/`w300`, fanart.tv `/preview/`, TheTVDB's `thumbnail`), which analysis uses for the
perceptual hash and the preview, and says whether the size can stand for the file's
(`size_exact`): TMDB and TheTVDB measure the file; fanart.tv states no size, but accepts uploads
of its type's one size only (docs/providers.md §2.5), so the nominal size is taken too. Analysis
takes such a size when the rendition has its shape; the selected images are measured in full.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from babelfish import Error as BabelfishError
from babelfish import Language

from metarrd.config import ProvidersConfig
from metarrd.image_hosts import refusal, refused_host
from metarrd.providers import finite, whole

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    asset_type: str
    provider: str  # tmdb | fanart | tvdb
    url: str
    language: str | None  # ISO 639-1; None = no text
    vote_average: float | None = None  # TMDB 0-10
    vote_count: int | None = None  # TMDB votes, fanart.tv likes, TheTVDB score
    width: int | None = None  # the provider's claim; analysis measures the real size
    height: int | None = None
    small_url: str | None = None  # the same picture, small (for the hash and the preview)
    size_exact: bool = False  # width/height stand for the file's (measured, or fanart.tv's rule)
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _is_svg(path: str) -> bool:
    return urlsplit(path).path.lower().endswith(".svg")


_int = whole  # a provider's number, None when it is none (a list, infinity, NaN)
_float = finite


def unique(candidates: list[Candidate]) -> list[Candidate]:
    """Drop repeats of the same (type, URL), keeping the first."""
    seen: set[tuple[str, str]] = set()
    out = []
    for c in candidates:
        key = (c.asset_type, c.url)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def drop_foreign(found: list[Candidate], providers: ProvidersConfig, label: str) -> list[Candidate]:
    """`found` without the candidates whose address (or small rendition's) is not on their
    provider's image hosts (image_hosts.py): never fetched, with one log line per provider and
    host naming the item (`label`)."""
    kept, refused = [], Counter()
    for c in found:
        urls = (c.url, c.small_url) if c.small_url else (c.url,)
        host = next((h for u in urls if (h := refused_host(providers, c.provider, u))), None)
        if host is None:
            kept.append(c)
        else:
            refused[c.provider, host] += 1
    for (provider, host), count in refused.items():
        what = "candidate" if count == 1 else "candidates"
        log.warning("%s: %d %s left out: %s", label, count, what, refusal(provider, host))
    return kept


# --- TMDB ------------------------------------------------------------------------------------

TMDB_KINDS = {"posters": "poster", "backdrops": "fanart", "logos": "clearlogo"}
# the rendition of each kind that fits the ~300 px preview box as it is (§1.4 size lists): it
# is analysed and kept as its own preview, with no resize or re-encode (imaging.analyse_with_preview)
TMDB_SMALL = {"poster": "w185", "fanart": "w300", "clearlogo": "w300"}


def tmdb_language(code: Any) -> str | None:
    if not code or code == "xx":
        return None
    return str(code).lower()


def from_tmdb(details: dict[str, Any], image_base: str) -> list[Candidate]:
    """Candidates from `/movie/{id}?append_to_response=images,...`.

    `image_base` is the configuration's secure base URL including the size, e.g.
    "https://image.tmdb.org/t/p/original".
    """
    images = details.get("images") or {}
    base = image_base.rstrip("/")
    sizes_base = base.rsplit("/", 1)[0]  # ".../t/p"
    out = []
    for key, asset_type in TMDB_KINDS.items():
        for img in images.get(key) or []:
            path = img.get("file_path")
            if not isinstance(path, str) or not path.startswith("/"):
                continue
            meta: dict[str, Any] = {"file_path": path}
            if _is_svg(path):
                # TMDB serves a PNG rendition under the same name (image-basics doc)
                meta["svg_original"] = path
                path = path[: -len(".svg")] + ".png"
            width, height = _int(img.get("width")), _int(img.get("height"))
            out.append(
                Candidate(
                    asset_type=asset_type,
                    provider="tmdb",
                    url=f"{base}{path}",
                    language=tmdb_language(img.get("iso_639_1")),
                    vote_average=_float(img.get("vote_average")),
                    vote_count=_int(img.get("vote_count")),
                    width=width,
                    height=height,
                    small_url=f"{sizes_base}/{TMDB_SMALL[asset_type]}{path}",
                    size_exact=bool(width and height),
                    metadata=meta,
                )
            )
    return unique(out)


# --- fanart.tv -------------------------------------------------------------------------------

# v3 movie key -> (Kodi art type, nominal width, nominal height) (docs/providers.md §2.4, §2.5)
FANART_MOVIE_KEYS: dict[str, tuple[str, int, int]] = {
    "hdmovielogo": ("clearlogo", 800, 310),
    "movielogo": ("clearlogo", 400, 155),
    "hdmovieclearart": ("clearart", 1000, 562),
    "movieart": ("clearart", 500, 281),
    "moviedisc": ("discart", 1000, 1000),
    "moviebanner": ("banner", 1000, 185),
    "moviethumb": ("landscape", 1000, 562),
    "moviebackground": ("fanart", 1920, 1080),
    "movie4kbackground": ("fanart", 3840, 2160),
    "movieposter": ("poster", 1000, 1426),
}

# Every artwork type a movie's candidates can have (TMDB's, fanart.tv's, and textless posters
# as key art): the Health page counts a movie's coverage in these only
MOVIE_ART_TYPES = frozenset(
    [*TMDB_KINDS.values(), *(t for t, _w, _h in FANART_MOVIE_KEYS.values()), "keyart"]
)

_TEXTLESS = ("", "00")
# Kodi: for these, an image without a language counts as English.
_EMPTY_MEANS_ENGLISH = {"clearlogo", "clearart", "banner", "landscape", "discart"}


def fanart_language(asset_type: str, lang: Any) -> str | None:
    code = str(lang or "").strip().lower()
    if asset_type == "fanart":
        return None
    if code in _TEXTLESS:
        return "en" if asset_type in _EMPTY_MEANS_ENGLISH else None
    return {"cz": "cs"}.get(code, code)


def fanart_url(url: str) -> str:
    """v3 gives http:// URLs; the assets host serves https too (Jellyfin upgrades them)."""
    if url.startswith("http://assets.fanart.tv/"):
        return "https://" + url[len("http://") :]
    return url


def fanart_preview(url: str) -> str | None:
    """fanart.tv's thumbnail of an image: `/fanart/...` -> `/preview/...` on the same host."""
    parts = urlsplit(url)
    if not parts.path.startswith("/fanart/"):
        return None
    return parts._replace(path="/preview/" + parts.path[len("/fanart/") :]).geturl()


def from_fanart(data: dict[str, Any] | None) -> list[Candidate]:
    """Candidates from fanart.tv `/v3/movies/{id}`; unknown keys are ignored."""
    if not isinstance(data, dict) or data.get("status") == "error":
        return []
    out = []
    for key, (asset_type, width, height) in FANART_MOVIE_KEYS.items():
        for img in data.get(key) or []:
            url = img.get("url") if isinstance(img, dict) else None
            if not isinstance(url, str) or not url or _is_svg(url):
                continue
            raw_lang = img.get("lang")
            kind = asset_type
            if key == "movieposter" and str(raw_lang or "").strip() in _TEXTLESS:
                kind = "keyart"
            meta = {"key": key, "id": img.get("id"), "lang": raw_lang}
            if key == "moviedisc":
                meta.update(disc=img.get("disc"), disc_type=img.get("disc_type"))
            out.append(
                Candidate(
                    asset_type=kind,
                    provider="fanart",
                    url=fanart_url(url),
                    small_url=fanart_preview(fanart_url(url)),
                    language=fanart_language(kind, raw_lang),
                    vote_count=_int(img.get("likes")) or 0,
                    width=_int(img.get("width")) or width,
                    height=_int(img.get("height")) or height,
                    size_exact=True,  # v3.2's measured size, or the one size fanart.tv accepts
                    metadata=meta,
                )
            )
    return unique(out)


# --- TheTVDB ---------------------------------------------------------------------------------

# artwork type name (as /artwork/types says, recordType "movie") -> Kodi art type
TVDB_TYPE_NAMES = {
    "poster": "poster",
    "background": "fanart",
    "banner": "banner",
    "clearart": "clearart",
    "clearlogo": "clearlogo",
}
# TheTVDB's language ids (GET /languages) that are not ISO 639-2/T: its "pt" is Portuguese -
# Brazil ("por" is Portugal), "zhtw" Chinese - Taiwan
TVDB_OWN_LANGUAGES = {"zhtw": "zh"}


def tvdb_language(code: Any) -> str | None:
    """TheTVDB's language id -> ISO 639-1 ("vie" -> "vi"; 639-2/B "ger" too); an id without
    a two-letter code stays as it is ("yue")."""
    text = str(code or "").strip().lower()
    text = TVDB_OWN_LANGUAGES.get(text, text)
    if len(text) <= 2:
        return text or None
    for make in (Language, Language.fromalpha3b):
        try:
            return make(text).alpha2
        except (ValueError, KeyError, BabelfishError):
            continue
    return text


def tvdb_kinds(artwork_types: list[dict[str, Any]]) -> dict[int, str]:
    """Type id -> Kodi art type, for the movie artwork types of `/artwork/types`."""
    kinds = {}
    for t in artwork_types or []:
        if not isinstance(t, dict):
            continue
        record = str(t.get("recordType") or "movie").lower()
        name = "".join(str(t.get("name") or "").lower().split())
        type_id = _int(t.get("id"))
        if record == "movie" and type_id is not None and name in TVDB_TYPE_NAMES:
            kinds[type_id] = TVDB_TYPE_NAMES[name]
    return kinds


def tvdb_image_url(image: str, artwork_host: str) -> str:
    """TheTVDB gives absolute URLs or site-relative paths (`/banners/...`)."""
    if image.startswith(("http://", "https://")):
        return image
    return artwork_host.rstrip("/") + "/" + image.lstrip("/")


def from_tvdb(
    artworks: list[dict[str, Any]], kinds: dict[int, str], artwork_host: str
) -> list[Candidate]:
    """Candidates from the `artworks` of `/movies/{id}/extended`."""
    out = []
    for art in artworks or []:
        if not isinstance(art, dict):
            continue
        asset_type = kinds.get(_int(art.get("type")) or -1)
        image = art.get("image")
        if asset_type is None or not isinstance(image, str) or not image or _is_svg(image):
            continue
        language = tvdb_language(art.get("language"))
        if art.get("includesText") is False and asset_type in ("poster", "fanart"):
            language = None
        thumb = art.get("thumbnail")
        width, height = _int(art.get("width")), _int(art.get("height"))
        out.append(
            Candidate(
                asset_type=asset_type,
                provider="tvdb",
                url=tvdb_image_url(image, artwork_host),
                language=language,
                vote_count=_int(art.get("score")),
                width=width,
                height=height,
                small_url=tvdb_image_url(thumb, artwork_host)
                if isinstance(thumb, str) and thumb
                else None,
                size_exact=bool(width and height),
                metadata={"id": art.get("id"), "type": art.get("type")},
            )
        )
    return unique(out)
