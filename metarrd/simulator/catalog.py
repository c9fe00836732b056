"""The simulator's movie catalog: hand-written fixtures (movies.json) plus optional synthetic ones.

`Movie` holds compact facts; the provider modules (tmdb.py, fanart.py, tvdb.py) expand them into
each provider's JSON shapes, and artwork.py derives every image candidate. Title matching works
like TMDB's: case- and accent-insensitive word matching on title, original title, translations and
alternative titles.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from metarrd.simulator.artwork import (
    Asset,
    MovieArt,
    build_art,
    collection_images,
    company_logo,
    person_asset,
)

DATA_FILE = Path(__file__).with_name("movies.json")
SYNTHETIC_BASE_ID = 2_000_000
ENGLISH_SPEAKING = ("US", "GB", "CA", "AU")

GENRES = {
    12: "Adventure", 14: "Fantasy", 16: "Animation", 18: "Drama", 27: "Horror", 28: "Action",
    35: "Comedy", 53: "Thriller", 80: "Crime", 99: "Documentary", 878: "Science Fiction",
    9648: "Mystery", 10749: "Romance", 10751: "Family",
}  # fmt: skip
COUNTRIES = {
    "AU": ("Australia", "aus"), "CA": ("Canada", "can"), "CN": ("China", "chn"),
    "DE": ("Germany", "deu"), "FR": ("France", "fra"), "GB": ("United Kingdom", "gbr"),
    "HK": ("Hong Kong", "hkg"), "JP": ("Japan", "jpn"), "KR": ("South Korea", "kor"),
    "MX": ("Mexico", "mex"), "TW": ("Taiwan", "twn"), "US": ("United States of America", "usa"),
}  # fmt: skip
LANGUAGES = {
    "cn": ("Cantonese", "广州话 / 廣州話", "yue"), "da": ("Danish", "Dansk", "dan"),
    "de": ("German", "Deutsch", "deu"), "en": ("English", "English", "eng"),
    "es": ("Spanish", "Español", "spa"), "fr": ("French", "Français", "fra"),
    "hu": ("Hungarian", "Magyar", "hun"), "it": ("Italian", "Italiano", "ita"),
    "ja": ("Japanese", "日本語", "jpn"), "ko": ("Korean", "한국어/조선말", "kor"),
    "no": ("Norwegian", "Norsk", "nor"), "sw": ("Swahili", "Kiswahili", "swa"),
    "zh": ("Mandarin", "普通话", "zho"),
}  # fmt: skip


def normalise_words(text: str, apostrophe: str = "") -> list[str]:
    """Lower-case, accent-free words; CJK text stays one run per word. Apostrophes are
    dropped ("ocean's" -> "oceans") or, with apostrophe=" ", split words ("d'amelie")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"\w+", plain.replace("'", apostrophe).replace("\u2019", apostrophe))


def _wordings(text: str) -> list[list[str]]:
    return [normalise_words(text), normalise_words(text, " ")]


def words_match(query: list[str], title: list[str]) -> bool:
    """Every query word starts a word of the title; CJK runs match as substrings."""
    if not query:
        return False
    if all(any(t.startswith(w) for t in title) for w in query):
        return True
    compact = "".join(query)
    return not compact.isascii() and compact in "".join(title)


@dataclass
class Movie:
    id: int
    imdb_id: str | None
    tvdb_id: int | None
    wikidata_id: str | None
    title: str
    original_title: str
    original_language: str
    release_date: str
    runtime: int | None
    popularity: float
    vote_average: float
    vote_count: int
    budget: int
    revenue: int
    tagline: str | None
    overview: str
    homepage: str | None
    genres: list[int]
    countries: list[str]
    languages: list[str]
    companies: list[list]
    collection: list | None
    directors: list[str]
    writers: list[list[str]]
    cast: list[list]
    certifications: dict[str, str]
    trailer: str | None
    keywords: list[str]
    translations: dict[str, dict[str, str]]
    alternative_titles: list[str]
    art: str = "full"
    fanart: bool = True
    de_date: str | None = None
    premiere: str | None = None
    synthetic: bool = False
    images: MovieArt = field(default_factory=MovieArt)

    @property
    def year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date else None

    @property
    def slug(self) -> str:
        return "-".join(normalise_words(self.title)) or str(self.id)

    def releases(self) -> dict[str, list[tuple[str, int, str, str]]]:
        """Country -> [(date, release type, certification, note)], like TMDB's release_dates.

        Films from outside the English-speaking world open in the US about four months later.
        """
        if not self.release_date:
            return {}
        first = date.fromisoformat(self.release_date)
        origin = self.countries[0] if self.countries else "US"
        events: dict[str, list[tuple[str, int, str, str]]] = {}
        if origin not in ENGLISH_SPEAKING:
            events[origin] = [(self.release_date, 3, "", "")]
        if "US" in self.certifications:
            us_date = first if origin in ENGLISH_SPEAKING else first + timedelta(days=120)
            cert = self.certifications["US"]
            us = [(us_date.isoformat(), 3, cert, "")]
            if self.premiere:
                us.insert(0, (self.premiere, 1, "", "Premiere"))
            us.append(((us_date + timedelta(days=190)).isoformat(), 5, cert, "Blu-ray"))
            events["US"] = us
        if "DE" in self.certifications:
            de_date = self.de_date or (first + timedelta(days=60)).isoformat()
            events["DE"] = [(de_date, 3, self.certifications["DE"], "")]
        return events

    def release_years(self) -> set[int]:
        """Years of every theatrical or premiere release (TMDB's `year` search filter)."""
        years = {
            int(d[:4]) for events in self.releases().values() for d, kind, *_ in events if kind < 4
        }
        return years | ({self.year} if self.year else set())

    def searchable_titles(self) -> list[str]:
        titles = [self.title, self.original_title, *self.alternative_titles]
        titles += [t["title"] for t in self.translations.values() if t.get("title")]
        return titles

    def matches(self, query: str) -> bool:
        """TMDB-like: case/accent-insensitive word matching on all of the movie's titles."""
        return any(
            words_match(q, t)
            for title in self.searchable_titles()
            for q in _wordings(query)
            for t in _wordings(title)
        )


class Catalog:
    """All movies and every image the simulator can serve, indexed by URL path."""

    def __init__(self, movies: list[Movie], candidates_per_movie: int | None = None) -> None:
        self.movies: dict[int, Movie] = {m.id: m for m in movies}
        self.by_imdb = {m.imdb_id: m for m in movies if m.imdb_id}
        self.by_tvdb = {m.tvdb_id: m for m in movies if m.tvdb_id}
        self.candidates_per_movie = candidates_per_movie
        self.images: dict[str, Asset] = {}  # URL path of the full-size image -> asset
        self.people: dict[str, Asset | None] = {}  # cast/crew name -> profile image
        for movie in movies:
            movie.images = build_art(movie, candidates_per_movie)
            for asset in movie.images.all():
                self.images[asset.key] = asset
        headliners = {name for movie in movies for name, *_ in movie.cast[:4]}
        for movie in movies:
            for name, *_ in movie.cast:
                self._person(name, name in headliners)
            for name in movie.directors + [w[0] for w in movie.writers]:
                self._person(name, False)
            for extra in _extra_assets(movie):
                self.images[extra.key] = extra

    def _person(self, name: str, headliner: bool) -> Asset | None:
        if name not in self.people:
            self.people[name] = person_asset(name, headliner)
            if self.people[name] is not None:
                self.images[self.people[name].key] = self.people[name]
        return self.people[name]

    def images_list(self) -> list[Asset]:
        """Every movie artwork candidate (not profiles or company logos)."""
        return [asset for movie in self.movies.values() for asset in movie.images.all()]

    def get(self, movie_id: int) -> Movie | None:
        return self.movies.get(movie_id)

    def search(self, query: str, year: int | None = None, primary_year: int | None = None):
        """Movies matching the query, most popular first (TMDB's default order)."""
        hits = [m for m in self.movies.values() if m.matches(query)]
        if primary_year is not None:
            hits = [m for m in hits if m.year == primary_year]
        if year is not None:
            hits = [m for m in hits if year in m.release_years()]
        return sorted(hits, key=lambda m: (-m.popularity, m.id))

    def tmdb_file(self, file_path: str) -> Asset | None:
        """The TMDB image with this file_path; a `.png` request also finds an `.svg` logo."""
        asset = self.images.get("/t/p" + file_path)
        if asset is None and file_path.endswith(".png"):
            svg = self.images.get("/t/p" + file_path[:-4] + ".svg")
            if svg is not None:
                return svg.as_png()
        return asset


def _extra_assets(movie: Movie) -> list[Asset]:
    """Company logos and collection images, so every path in the JSON resolves."""
    extras = [company_logo(cid) for cid, _name, _country in movie.companies]
    if movie.collection:
        extras += collection_images(movie.collection[0])
    return [asset for asset in extras if asset is not None]


_ADJECTIVES = [
    "Silent",
    "Crimson",
    "Hollow",
    "Last",
    "Broken",
    "Golden",
    "Distant",
    "Burning",
    "Frozen",
    "Hidden",
    "Wandering",
    "Electric",
    "Velvet",
    "Iron",
    "Paper",
    "Midnight",
    "Quiet",
    "Savage",
    "Lucky",
    "Glass",
    "Northern",
    "Restless",
    "Secret",
    "Painted",
]
_NOUNS = [
    "Harbor",
    "Orchard",
    "Frontier",
    "Signal",
    "Lantern",
    "Meridian",
    "Garden",
    "Engine",
    "Kingdom",
    "Archive",
    "River",
    "Circus",
    "Lighthouse",
    "Tenant",
    "Comet",
    "Ballad",
    "Mirror",
    "Station",
    "Voyage",
    "Orchestra",
    "Summit",
    "Island",
    "Witness",
    "Tide",
]


def synthetic_movie(index: int) -> Movie:
    """A deterministic made-up movie for large-library benchmarks."""
    rng = random.Random(index)
    adjective = _ADJECTIVES[index % len(_ADJECTIVES)]
    noun = _NOUNS[(index // len(_ADJECTIVES)) % len(_NOUNS)]
    cycle = index // (len(_ADJECTIVES) * len(_NOUNS))
    title = f"The {adjective} {noun}" + (f" {cycle + 1}" if cycle else "")
    released = date(1950, 1, 1) + timedelta(days=(index * 7919) % (74 * 365))
    people = [f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}son" for _ in range(6)]
    return Movie(
        id=SYNTHETIC_BASE_ID + index,
        imdb_id=f"tt9{index:06d}",
        tvdb_id=500_000 + index,
        wikidata_id=None,
        title=title,
        original_title=title,
        original_language="en",
        release_date=released.isoformat(),
        runtime=rng.randint(80, 160),
        popularity=round(rng.uniform(0.5, 40), 3),
        vote_average=round(rng.uniform(4, 8.5), 3),
        vote_count=rng.randint(3, 4000),
        budget=0,
        revenue=0,
        tagline=None,
        overview=f"A made-up film about a {adjective.lower()} {noun.lower()}.",
        homepage="",
        genres=[rng.choice(list(GENRES))],
        countries=["US"],
        languages=["en"],
        companies=[],
        collection=None,
        directors=[people[0]],
        writers=[[people[1], "Screenplay"]],
        cast=[[name, f"Role {i + 1}", 1 + i % 2] for i, name in enumerate(people[2:])],
        certifications={"US": "PG-13", "DE": "12"},
        trailer=None,
        keywords=[],
        translations={},
        alternative_titles=[],
        synthetic=True,
    )


def load_catalog(extra_movies: int = 0, candidates_per_movie: int | None = None) -> Catalog:
    """The fixture movies, plus `extra_movies` synthetic ones; a bigger image set when asked."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    movies = [Movie(**entry) for entry in raw]
    movies += [synthetic_movie(i) for i in range(extra_movies)]
    return Catalog(movies, candidates_per_movie)
