"""Every image candidate of a movie on the three providers, as deterministic `Asset`s.

A realistic spread by default (TMDB posters in en/fr/de/null, mostly textless backdrops, logos with
an SVG; fanart.tv's typed art; TheTVDB artworks). Some fanart.tv and TheTVDB images are the same
picture as a TMDB image at another size: near-duplicates an artwork deduplicator should catch.
`candidates_per_movie=N` scales every list up to about N candidates in total, for benchmarks.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metarrd.simulator.catalog import Movie

_B62 = string.digits + string.ascii_letters
LANG3 = {
    "en": "eng", "fr": "fra", "de": "deu", "ja": "jpn", "ko": "kor", "zh": "zho", "es": "spa",
    "it": "ita",
}  # fmt: skip


def stable_int(*parts: object, low: int = 1, high: int = 2_000_000) -> int:
    """A deterministic integer in [low, high) derived from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode(errors="surrogatepass")).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low)


def tmdb_name(seed: str, ext: str) -> str:
    """A TMDB-looking file_path: '/' + 27 base-62 characters + extension."""
    n = int.from_bytes(hashlib.sha256(seed.encode(errors="surrogatepass")).digest(), "big")
    chars = []
    for _ in range(27):
        n, r = divmod(n, 62)
        chars.append(_B62[r])
    return "/" + "".join(chars) + "." + ext


@dataclass(frozen=True)
class Asset:
    """One image. `key` is its URL path on the simulator (TMDB: '/t/p' + file_path, no size)."""

    key: str
    picture: str  # drawing seed: two assets with the same picture are near-duplicates
    kind: str  # poster, backdrop, logo, profile, company; fanart key; TVDB type name
    style: str  # photo | cutout | disc
    width: int
    height: int
    ext: str  # jpg | png | svg
    lang: str | None = None  # TMDB/fanart: ISO 639-1 ('' / '00' on fanart); TVDB: 3 letters
    rating: float = 0.0  # TMDB vote_average, fanart likes, TVDB score
    votes: int = 0  # TMDB vote_count
    ident: int = 0  # fanart / TVDB image id
    type_id: int = 0  # TVDB artwork type

    @property
    def provider(self) -> str:
        return {"/t/p/": "tmdb", "/fanart": "fanart", "/banners": "tvdb"}[_prefix(self.key)]

    @property
    def file_path(self) -> str:
        """TMDB file_path ('/abc.jpg'); for the other providers the URL path."""
        return self.key[4:] if self.key.startswith("/t/p/") else self.key

    @property
    def thumb_size(self) -> tuple[int, int]:
        return self.width // 2, self.height // 2

    @property
    def thumb_key(self) -> str:
        stem, dot, ext = self.key.rpartition(".")
        return f"{stem}_t{dot}{ext}"

    def as_png(self) -> Asset:
        """TMDB's PNG rendition of an SVG logo (same file name, .png)."""
        return replace(self, key=self.key[:-4] + ".png", ext="png")


def _prefix(key: str) -> str:
    for prefix in ("/t/p/", "/fanart", "/banners"):
        if key.startswith(prefix):
            return prefix
    raise ValueError(key)


@dataclass
class MovieArt:
    posters: list[Asset] = field(default_factory=list)
    backdrops: list[Asset] = field(default_factory=list)
    logos: list[Asset] = field(default_factory=list)
    fanart: dict[str, list[Asset]] = field(default_factory=dict)  # v3 key -> images
    tvdb: list[Asset] = field(default_factory=list)

    def all(self) -> list[Asset]:
        return list(
            chain(self.posters, self.backdrops, self.logos, *self.fanart.values(), self.tvdb)
        )

    def near_duplicates(self) -> list[tuple[Asset, Asset]]:
        """Pairs of different assets showing the same picture."""
        seen: dict[str, Asset] = {}
        pairs = []
        for asset in self.all():
            if asset.picture in seen:
                pairs.append((seen[asset.picture], asset))
            else:
                seen[asset.picture] = asset
        return pairs


def plain_asset(seed: str, kind: str, style: str, width: int, height: int, ext: str) -> Asset:
    return Asset("/t/p" + tmdb_name(seed, ext), seed, kind, style, width, height, ext)


def person_asset(name: str, headliner: bool = False) -> Asset | None:
    """A profile picture, or None for about a quarter of the supporting cast (no photo on TMDB)."""
    if not headliner and stable_int("profile", name) % 4 == 0:
        return None
    return plain_asset(f"person-{name}", "profile", "photo", 600, 900, "jpg")


def company_logo(company_id: int) -> Asset | None:
    if company_id % 5 == 0:
        return None
    return plain_asset(f"company-{company_id}", "company", "cutout", 500, 200, "png")


def collection_images(collection_id: int) -> tuple[Asset, Asset]:
    return (
        plain_asset(f"collection-{collection_id}-poster", "poster", "photo", 1000, 1500, "jpg"),
        plain_asset(f"collection-{collection_id}-back", "backdrop", "photo", 1920, 1080, "jpg"),
    )


# (lang, width, height, ext); "orig" = the movie's original language (or es for English films)
TMDB_POSTERS = [("en", 2000, 3000), ("en", 1000, 1500), (None, 2000, 3000), ("orig", 1000, 1500),
                ("de", 1400, 2100), ("en", 680, 1000), (None, 1000, 1500), ("fr", 2000, 3000)]  # fmt: skip
TMDB_BACKDROPS = [(None, 3840, 2160), (None, 1920, 1080), ("en", 1920, 1080), (None, 1280, 720),
                  (None, 1920, 1080), ("orig", 1920, 1080)]  # fmt: skip
TMDB_LOGOS = [("en", 1000, 389, "png"), ("en", 800, 311, "svg"), ("orig", 1200, 467, "png")]
SPARSE = {"posters": [("en", 1000, 1500), (None, 680, 1000)], "backdrops": [(None, 1280, 720)]}

# (key, lang, width, height, ext, style, same picture as)
FANART = [
    ("hdmovielogo", "en", 800, 310, "png", "cutout", "logo-0"),
    ("hdmovielogo", "en", 800, 310, "png", "cutout", None),
    ("hdmovielogo", "orig", 800, 310, "png", "cutout", None),
    ("movielogo", "en", 400, 155, "png", "cutout", None),
    ("hdmovieclearart", "en", 1000, 562, "png", "cutout", None),
    ("hdmovieclearart", "", 1000, 562, "png", "cutout", None),
    ("movieart", "en", 500, 281, "png", "cutout", None),
    ("moviedisc", "en", 1000, 1000, "png", "disc", None),
    ("moviedisc", "", 1000, 1000, "png", "disc", None),
    ("moviebanner", "en", 1000, 185, "jpg", "photo", None),
    ("moviethumb", "en", 1000, 562, "jpg", "photo", None),
    ("moviebackground", "", 1920, 1080, "jpg", "photo", "backdrop-0"),
    ("moviebackground", "", 1920, 1080, "jpg", "photo", None),
    ("movie4kbackground", "", 3840, 2160, "jpg", "photo", None),
    ("movieposter", "en", 1000, 1426, "jpg", "photo", "poster-0"),
    ("movieposter", "00", 1000, 1426, "jpg", "photo", None),
    ("movieposter", "de", 1000, 1426, "jpg", "photo", None),
]
FANART_KEYS = ["hdmovielogo", "movielogo", "hdmovieclearart", "movieart", "moviedisc",
               "moviebanner", "moviethumb", "moviebackground", "movie4kbackground", "movieposter"]  # fmt: skip
# (type id, type name, folder, lang, width, height, ext, style, same picture as)
TVDB = [
    (14, "Poster", "posters", "eng", 680, 1000, "jpg", "photo", "poster-0"),
    (14, "Poster", "posters", "eng", 1000, 1500, "jpg", "photo", None),
    (14, "Poster", "posters", "orig", 680, 1000, "jpg", "photo", None),
    (15, "Background", "backgrounds", None, 1920, 1080, "jpg", "photo", "backdrop-1"),
    (15, "Background", "backgrounds", None, 1920, 1080, "jpg", "photo", None),
    (16, "Banner", "banners", "eng", 758, 140, "jpg", "photo", None),
    (24, "ClearArt", "clearart", "eng", 1000, 562, "png", "cutout", None),
    (25, "ClearLogo", "clearlogo", "eng", 800, 310, "png", "cutout", None),
]
BASE_TOTAL = len(TMDB_POSTERS) + len(TMDB_BACKDROPS) + len(TMDB_LOGOS) + len(FANART) + len(TVDB)


def _scaled(table: list, factor: float) -> list[tuple[int, tuple]]:
    """(index, row) pairs: the table, cycled to about factor times its length."""
    count = max(len(table), round(len(table) * factor))
    return [(i, table[i % len(table)]) for i in range(count)]


def _lang(value: str | None, movie: Movie) -> str | None:
    if value == "orig":
        return movie.original_language if movie.original_language != "en" else "es"
    return value


def build_art(movie: Movie, candidates_per_movie: int | None = None) -> MovieArt:
    art = MovieArt()
    if movie.art == "none":
        return art
    factor = (candidates_per_movie or BASE_TOTAL) / BASE_TOTAL
    mid = movie.id
    tables = {"posters": TMDB_POSTERS, "backdrops": TMDB_BACKDROPS, "logos": TMDB_LOGOS}
    if movie.art == "sparse":
        tables = {**SPARSE, "logos": []}
    for name, table in tables.items():
        kind = name[:-1]
        items = getattr(art, name)
        for i, row in _scaled(table, factor) if table else []:
            lang, width, height, *rest = row
            ext = rest[0] if rest else "jpg"
            if ext == "svg" and mid % 2 == 0:
                ext = "png"
            seed = f"{mid}-{kind}-{i}"
            rng = random.Random(seed)
            rated = i < len(table) * 0.7 or rng.random() < 0.3
            average = round(max(0.0, rng.uniform(5.0, 5.8) - 0.04 * i), 3) if rated else 0.0
            if i >= len(table):
                lang = _cycle_lang(lang, i)
            items.append(
                Asset(
                    key="/t/p" + tmdb_name(seed, ext),
                    picture=seed,
                    kind=kind,
                    style="cutout" if kind == "logo" else "photo",
                    width=width,
                    height=height,
                    ext=ext,
                    lang=_lang(lang, movie),
                    rating=average,
                    votes=rng.randint(1, 24) if average else 0,
                )
            )
    if movie.art == "full" and movie.fanart:
        _fanart(art, movie, factor)
    if movie.art == "full" and movie.tvdb_id:
        _tvdb(art, movie, factor)
    return art


def _cycle_lang(lang: str | None, i: int) -> str | None:
    return (lang, None, "en", "fr", "de", "it", "es", "ja")[i % 8]


def _picture(
    ref: str | None,
    art: MovieArt,
    i: int,
    base: int,
    seed: str,
    style: str,
    width: int,
    height: int,
) -> str:
    """The drawing seed: the TMDB picture named by `ref` (e.g. 'poster-0') for duplicate rows,
    and a TMDB picture for every third row beyond the base table; a new picture otherwise."""
    if i < base:
        if ref is None:
            return seed
        kind, index = ref.split("-")
        pool = getattr(art, kind + "s")
        return pool[int(index)].picture if len(pool) > int(index) else seed
    if i % 3 != 2 or style == "disc":
        return seed
    pool = art.logos if style == "cutout" else art.backdrops if width > height else art.posters
    return pool[i % len(pool)].picture if pool else seed


def _fanart(art: MovieArt, movie: Movie, factor: float) -> None:
    year = movie.year or 2000
    for i, (key, lang, width, height, ext, style, ref) in _scaled(FANART, factor):
        if (key == "movielogo" and year >= 2000) or (key == "movieart" and year >= 2005):
            continue
        if key == "movie4kbackground" and year < 2010:
            continue
        seed = f"{movie.id}-fanart-{i}"
        picture = _picture(ref, art, i, len(FANART), seed, style, width, height)
        rng = random.Random(seed)
        name = f"{movie.slug}-{rng.getrandbits(52):013x}.{ext}"
        art.fanart.setdefault(key, []).append(
            Asset(
                key=f"/fanart/movies/{movie.id}/{key}/{name}",
                picture=picture,
                kind=key,
                style=style,
                width=width,
                height=height,
                ext=ext,
                lang=_lang(lang, movie),
                rating=float(max(0, 12 - 2 * (i % 9) + rng.randint(0, 3))),
                ident=stable_int(seed, low=10_000, high=400_000),
            )
        )


def _tvdb(art: MovieArt, movie: Movie, factor: float) -> None:
    for i, (type_id, type_name, folder, lang, width, height, ext, style, ref) in _scaled(
        TVDB, factor
    ):
        seed = f"{movie.id}-tvdb-{i}"
        picture = _picture(ref, art, i, len(TVDB), seed, style, width, height)
        lang3 = LANG3.get(_lang(lang, movie) or "") if lang == "orig" else lang
        rng = random.Random(seed)
        art.tvdb.append(
            Asset(
                key=f"/banners/movies/{movie.tvdb_id}/{folder}/{rng.getrandbits(64):016x}.{ext}",
                picture=picture,
                kind=type_name,
                style=style,
                width=width,
                height=height,
                ext=ext,
                lang=lang3,
                rating=float(max(0, 100_000 - 25_000 * (i % 5) + rng.randint(0, 5000))),
                ident=stable_int(seed, low=1_000_000, high=70_000_000),
                type_id=type_id,
            )
        )
