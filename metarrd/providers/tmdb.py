"""TMDB v3 client: search, find, movie and TV details, configuration (docs/providers.md §1; TV: docs/tv.md).

Every answer is checked against the shape TMDB documents (`_conform`) before anyone reads it:
an object where an object belongs, a list where a list belongs (null stands for either), and
entries of such a list that are not objects dropped. An answer of another shape (a broken
mirror or caching proxy) is `ProviderUnavailable` naming the field, so the job is retried later
and the item says why, instead of failing with "internal error: AttributeError".
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from metarrd.config import TmdbConfig
from metarrd.errors import ConfigError, NotFound
from metarrd.http import HttpClient
from metarrd.providers import has_id, unexpected

log = logging.getLogger(__name__)

PROVIDER = "tmdb"
CONFIGURATION_TTL = 3 * 24 * 3600.0  # TMDB advises refreshing "every few days"
# translations: the English plot where the configured language has none (metadata.english_fallback)
MOVIE_APPENDS = "images,credits,external_ids,release_dates,videos,keywords,translations"
# translations: the show's English plot where the configured language has none
TV_APPENDS = "external_ids,aggregate_credits,content_ratings,images,keywords,videos,translations"

# The shapes the callers read: {} an object (its keys checked when given), [x] a list of x
# ("" a text: a list's entries are kept when of the entry's type).
_LIST: list = [{}]
_IMAGES = {"posters": _LIST, "backdrops": _LIST, "logos": _LIST, "stills": _LIST}
_CREDITS = {"cast": [{"roles": _LIST}], "crew": [{"jobs": _LIST}]}
_EPISODE = {"crew": _LIST, "guest_stars": _LIST, "external_ids": {}, "images": _IMAGES}
_SEASON = {"episodes": [_EPISODE], "images": _IMAGES, "external_ids": {}, "credits": _CREDITS}
_DETAILS = {
    "genres": _LIST,
    "production_companies": _LIST,
    "production_countries": _LIST,
    "spoken_languages": _LIST,
    "networks": _LIST,
    "created_by": _LIST,
    "seasons": _LIST,
    "belongs_to_collection": {},
    "external_ids": {},
    "credits": _CREDITS,
    "aggregate_credits": _CREDITS,
    "images": _IMAGES,
    "release_dates": {"results": [{"release_dates": _LIST}]},
    "content_ratings": {"results": _LIST},
    "videos": {"results": _LIST},
    "keywords": {"keywords": _LIST, "results": _LIST},
    "translations": {"translations": [{"data": {}}]},
}
_SEARCH = {"results": _LIST}
_FIND = dict.fromkeys(
    ("movie_results", "tv_results", "tv_episode_results", "tv_season_results", "person_results"),
    _LIST,
)
_CONFIGURATION = {"images": {"profile_sizes": [""], "poster_sizes": [""]}}
# Keys TMDB documents as text wherever they appear (a title, a name, a plot, a date): another
# type there (a number, a list, an object: a broken mirror) counts as null, as TMDB's own null
# for a name nobody entered, so the field is just empty. Read as text, a number failed
# identification ("internal error: TypeError") and was stored as a title.
_TEXTS = frozenset(
    ("title", "original_title", "name", "original_name", "overview", "tagline", "character",
     "job", "department", "release_date", "first_air_date", "air_date", "certification")
)  # fmt: skip


def _conform(value: Any, shape: Any, where: str) -> Any:
    """`value` in `shape` (see `_DETAILS`); a list's entries of another type are dropped, a
    value of another type raises ProviderUnavailable naming it (`where`); a text (`_TEXTS`) of
    another type in any object is None."""
    if value is None or not isinstance(shape, dict | list):  # a scalar entry: as it is
        return value
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise unexpected(PROVIDER, where, value, "an object")
        for key in _TEXTS.intersection(value):
            if not isinstance(value[key], str):
                value[key] = None
        for key, inner in shape.items():
            if key in value:
                value[key] = _conform(value[key], inner, f"{where}: {key}")
        return value
    if not isinstance(value, list):
        raise unexpected(PROVIDER, where, value, "a list")
    entry = shape[0]
    return [_conform(v, entry, where) for v in value if isinstance(v, type(entry))]


def _with_id(path: str) -> Any:
    """The check of a movie's or show's details: they carry their own whole-number `id`
    (identify ranks them as a search result by it), else ProviderUnavailable naming it."""

    def check(data: dict[str, Any]) -> dict[str, Any]:
        if not has_id(data):
            raise unexpected(PROVIDER, f"{path}: id", data.get("id"), "a whole number")
        return data

    return check


class TmdbClient:
    def __init__(self, config: TmdbConfig, http: HttpClient):
        if not (config.api_key or config.read_token):
            raise ConfigError("providers.tmdb: set api_key or read_token")
        self.config = config
        self.http = http
        self.base = config.base_url.rstrip("/")
        self._configuration: dict[str, Any] | None = None
        self._configuration_at = 0.0
        self._lock = threading.Lock()

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        shape: Any = None,
        check: Any = None,
        reuse: bool = False,
    ) -> dict[str, Any]:
        """The answer, an object in `shape` (`_conform`), then through `check`. `reuse`: the
        same request answered a few minutes ago is not sent again (`HttpClient.get_json`)."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {}
        if self.config.read_token:
            headers["Authorization"] = f"Bearer {self.config.read_token}"
        else:
            params["api_key"] = self.config.api_key

        def shaped(data: Any) -> dict[str, Any]:
            if not isinstance(data, dict):  # every TMDB answer is an object
                raise unexpected(PROVIDER, path, data, "an object")
            data = _conform(data, shape or {}, path)
            return check(data) if check else data

        return self.http.get_json(
            f"{self.base}{path}", provider=PROVIDER, params=params, headers=headers,
            check=shaped, reuse=reuse,
        )  # fmt: skip

    def configuration(self) -> dict[str, Any]:
        """`/configuration`, fetched once and kept for a few days."""
        with self._lock:
            fresh = time.monotonic() - self._configuration_at < CONFIGURATION_TTL
            if self._configuration is None or not fresh:
                self._configuration = self._get("/configuration", shape=_CONFIGURATION)
                self._configuration_at = time.monotonic()
            return self._configuration

    def image_url(self, file_path: str, size: str = "original") -> str:
        images = self.configuration().get("images", {})
        base = images.get("secure_base_url") or images.get("base_url") or ""
        return f"{base}{size}{file_path}"

    def search_movie(
        self, query: str, year: int | None = None, page: int = 1
    ) -> list[dict[str, Any]]:
        data = self._get(
            "/search/movie",
            {
                "query": query,
                "year": year,
                "page": page,
                "include_adult": "false",
                "language": self.config.language,
            },
            _SEARCH,
        )
        return [r for r in data.get("results") or [] if has_id(r)]

    def find_imdb(self, imdb_id: str) -> list[dict[str, Any]]:
        data = self._get(
            f"/find/{imdb_id}",
            {"external_source": "imdb_id", "language": self.config.language},
            _FIND,
        )
        return [r for r in data.get("movie_results") or [] if has_id(r)]

    def movie(
        self,
        tmdb_id: int,
        *,
        append: str = MOVIE_APPENDS,
        image_languages: list[str] | None = None,
    ) -> dict[str, Any]:
        """Full details. Images are filtered to `image_languages` (ISO 639-1 codes, "null" for
        textless); by default the configured language, English and textless ones. Videos
        (trailers) are in the configured language or English: `language` alone filters them
        to the one language (TMDB's `include_video_language`, 2021, widens it as
        `include_image_language` does images)."""
        lang = self.config.language.split("-")[0]
        langs = image_languages or [lang, "en", "null"]
        return self._get(
            f"/movie/{int(tmdb_id)}",
            {
                "language": self.config.language,
                "append_to_response": append or None,
                "include_image_language": ",".join(dict.fromkeys(langs)),
                "include_video_language": ",".join(dict.fromkeys([lang, "en"])),
            },
            _DETAILS,
            _with_id(f"/movie/{int(tmdb_id)}"),
        )

    def movie_or_none(self, tmdb_id: int, *, append: str = "") -> dict[str, Any] | None:
        try:
            return self.movie(tmdb_id, append=append)
        except NotFound:
            return None

    # --- TV (docs/tv.md) -------------------------------------------------------------------

    def search_tv(self, query: str, year: int | None = None, page: int = 1) -> list[dict[str, Any]]:
        """`/search/tv`; `year` filters on the first air date's year."""
        data = self._get(
            "/search/tv",
            {
                "query": query,
                "first_air_date_year": year,
                "page": page,
                "include_adult": "false",
                "language": self.config.language,
            },
            _SEARCH,
        )
        return [r for r in data.get("results") or [] if has_id(r)]

    def find(self, external_id: str, source: str) -> dict[str, list[dict[str, Any]]]:
        """`/find/{id}` with `external_source` imdb_id | tvdb_id: all five result lists."""
        data = self._get(
            f"/find/{external_id}",
            {"external_source": source, "language": self.config.language},
            _FIND,
        )
        return {
            k: [r for r in v if has_id(r)] for k, v in (data or {}).items() if isinstance(v, list)
        }

    def tv(
        self,
        tmdb_id: int,
        *,
        append: str = TV_APPENDS,
        image_languages: list[str] | None = None,
        reuse: bool = False,
        language: str | None = None,
    ) -> dict[str, Any]:
        """A show's details with `append` (also `season/N` items, at most 20 in all);
        `reuse`: as answered a few minutes ago (`_get`); `language` instead of the configured
        one (en-US: the English text of what has none in it). Videos (the trailer) in the
        configured language or English, as `movie`'s."""
        lang = self.config.language.split("-")[0]
        langs = image_languages or [lang, "en", "null"]
        path = f"/tv/{int(tmdb_id)}"

        def seasons(data: dict[str, Any]) -> dict[str, Any]:
            for key in [k for k in data if k.startswith("season/")]:  # appended seasons
                data[key] = _conform(data[key], _SEASON, f"{path}: {key}")
            return _with_id(path)(data)

        return self._get(
            path,
            {
                "language": language or self.config.language,
                "append_to_response": append or None,
                "include_image_language": ",".join(dict.fromkeys(langs)),
                "include_video_language": ",".join(dict.fromkeys([lang, "en"])),
            },
            _DETAILS,
            seasons,
            reuse,
        )

    def tv_or_none(self, tmdb_id: int, *, append: str = "external_ids") -> dict[str, Any] | None:
        try:
            return self.tv(tmdb_id, append=append)
        except NotFound:
            return None

    def tv_season(
        self, tmdb_id: int, season: int, *, append: str = "", reuse: bool = False
    ) -> dict[str, Any]:
        """`/tv/{id}/season/{n}`: every episode of the season (NotFound for no such season);
        `reuse`: as answered a few minutes ago (`_get`)."""
        return self._get(
            f"/tv/{int(tmdb_id)}/season/{int(season)}",
            {"language": self.config.language, "append_to_response": append or None},
            _SEASON,
            reuse=reuse,
        )

    def tv_episode(
        self, tmdb_id: int, season: int, episode: int, *, append: str = "external_ids"
    ) -> dict[str, Any]:
        """`/tv/{id}/season/{n}/episode/{e}`; `external_ids.tvdb_id` joins TheTVDB's episode."""
        return self._get(
            f"/tv/{int(tmdb_id)}/season/{int(season)}/episode/{int(episode)}",
            {"language": self.config.language, "append_to_response": append or None},
            _EPISODE,
        )
