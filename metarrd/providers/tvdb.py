"""TheTVDB v4 client: login token kept and renewed, movie lookup by remote id, movie artwork,
series records and their episodes in every season type, and the artwork type table
(docs/providers.md §3; TV: docs/tv.md).

The token from `POST /login` is valid for a month; it is renewed after 25 days, and a 401 on a
later call means: log in again once, then retry (as Jellyfin does). Logins are serialised, and
requests refused together log in once: the first renews, the others take its token.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from babelfish import Error as BabelfishError
from babelfish import Language

from metarrd.config import ProvidersConfig, TvdbConfig
from metarrd.errors import NotFound, ProviderAuthError, ProviderError
from metarrd.http import HttpClient
from metarrd.providers import unexpected

log = logging.getLogger(__name__)

PROVIDER = "tvdb"
TOKEN_TTL = 25 * 24 * 3600.0
TYPES_TTL = 24 * 3600.0
ARTWORK_HOST = "https://artworks.thetvdb.com"
OFFICIAL_API_HOST = "api4.thetvdb.com"
MAX_EPISODE_PAGES = 40  # 20,000 episodes: more than any series has
# TheTVDB's name of an episode not named yet in a language (its data rules; v4-api#30): a
# translation so named leaves the original's name
UNNAMED = frozenset(("TBA", "TBD"))
# the lists of `/series/{id}/extended` the callers read
SERIES_LISTS = ("seasons", "artworks", "remoteIds", "seasonTypes", "characters", "genres")


def _shaped(value: Any, want: type, where: str) -> Any:
    """`value` when None or a `want` (a list keeps its object entries only), else
    ProviderUnavailable saying what it was."""
    if value is None:
        return None
    if not isinstance(value, want):
        raise unexpected(PROVIDER, where, value, "a list" if want is list else "an object")
    return [v for v in value if isinstance(v, dict)] if want is list else value


class TvdbClient:
    def __init__(self, config: TvdbConfig, http: HttpClient, *, clock=time.monotonic):
        self.config = config
        self.http = http
        self.base = config.base_url.rstrip("/")
        self._clock = clock
        self._token: str | None = None
        self._token_at = 0.0
        self._types: list[dict[str, Any]] | None = None
        self._types_at = 0.0
        self._lock = threading.Lock()
        self._types_lock = threading.Lock()

    @property
    def artwork_host(self) -> str:
        """Where site-relative image paths live: the first of `image_hosts` when set (only
        those are fetched: image_hosts.py), else the artworks host, or the fake's own host."""
        if self.config.image_hosts:
            return self.config.image_hosts[0].rstrip("/")
        parts = urlsplit(self.base)
        if parts.netloc == OFFICIAL_API_HOST:
            return ARTWORK_HOST
        return f"{parts.scheme}://{parts.netloc}"

    # --- auth ---------------------------------------------------------------------------------

    def _login(self) -> str:
        body: dict[str, str] = {"apikey": self.config.api_key}
        if self.config.pin:
            body["pin"] = self.config.pin
        data = self.http.get_json(f"{self.base}/login", provider=PROVIDER, method="POST", json=body)
        token = ((data or {}).get("data") or {}).get("token") if isinstance(data, dict) else None
        if not token:
            raise ProviderError(PROVIDER, "login answered without a token")
        return token

    def token(self, *, renew: bool = False, refused: str | None = None) -> str:
        """The login token; a new one when `renew`, when it is old, or when it is `refused`
        (the one a 401 answered: not when another request has already replaced it)."""
        with self._lock:
            stale = self._clock() - self._token_at > TOKEN_TTL
            renew = renew or (refused is not None and refused == self._token)
            if renew or self._token is None or stale:
                self._token = self._login()
                self._token_at = self._clock()
                log.debug("tvdb: logged in")
            return self._token

    def _get(
        self, path: str, params: dict[str, Any] | None = None, want: type = dict,
        reuse: bool = False,
    ) -> Any:  # fmt: skip
        """The reply's `data`: None, or a `want` (dict or list; a list's entries that are not
        objects left out); another shape is ProviderUnavailable naming it."""
        return _shaped(self._envelope(path, params, reuse).get("data"), want, f"{path}: data")

    def _envelope(
        self, path: str, params: dict[str, Any] | None = None, reuse: bool = False
    ) -> dict[str, Any]:
        """The whole reply (`data`, and `links` on paged lists); a 401 logs in again once.
        `reuse`: as answered a few minutes ago (`HttpClient.get_json`), a failure never."""

        def checked(data: Any) -> dict[str, Any]:
            if not isinstance(data, dict):  # `null` or a list: not "no such series"
                raise unexpected(PROVIDER, path, data, "an object")
            if data.get("status") == "failure":
                raise ProviderError(PROVIDER, str(data.get("message") or "request failed"))
            return data

        refused = None
        for attempt in (1, 2):
            token = self.token(refused=refused)
            headers = {"Authorization": f"Bearer {token}"}
            try:
                return self.http.get_json(
                    f"{self.base}{path}", provider=PROVIDER, params=params, headers=headers,
                    check=checked, reuse=reuse,
                )  # fmt: skip
            except ProviderAuthError:
                if attempt == 2:
                    raise
                log.info("tvdb: token refused; logging in again")
                refused = token
        raise AssertionError("unreachable")

    # --- lookups ------------------------------------------------------------------------------

    def artwork_types(self) -> list[dict[str, Any]]:
        """`/artwork/types`, kept for a day (TheTVDB asks clients not to hard-code the ids)."""
        with self._types_lock:  # one request for items asking at once
            with self._lock:
                if self._types is not None and self._clock() - self._types_at < TYPES_TTL:
                    return self._types
            types = self._get("/artwork/types", want=list) or []
            with self._lock:
                self._types, self._types_at = list(types), self._clock()
                return self._types

    def find_movie(self, imdb_id: str | None, tmdb_id: int | None) -> int | None:
        """TheTVDB movie id for an IMDb or TMDB id, or None."""
        for remote in (imdb_id, str(tmdb_id) if tmdb_id else None):
            if not remote:
                continue
            try:
                hits = self._get(f"/search/remoteid/{remote}", want=list) or []
            except NotFound:
                continue
            for hit in hits:
                movie = hit.get("movie") if isinstance(hit, dict) else None
                if isinstance(movie, dict) and str(movie.get("id", "")).isdigit():
                    return int(movie["id"])
        return None

    def movie_artworks(self, tvdb_id: int) -> list[dict[str, Any]]:
        """The `artworks` of `/movies/{id}/extended` (empty when TheTVDB has no such movie)."""
        try:
            record = self._get(f"/movies/{int(tvdb_id)}/extended") or {}
        except NotFound:
            return []
        where = f"/movies/{int(tvdb_id)}/extended: artworks"
        return _shaped(record.get("artworks"), list, where) or []

    def series(self, tvdb_id: int, *, reuse: bool = False) -> dict[str, Any] | None:
        """`/series/{id}/extended` (seasons, season types, remoteIds, artworks), or None;
        `reuse`: as answered a few minutes ago."""
        path = f"/series/{int(tvdb_id)}/extended"
        try:
            record = self._get(path, {"meta": "translations"}, reuse=reuse)
        except NotFound:
            return None
        for key in SERIES_LISTS:
            if record and key in record:
                record[key] = _shaped(record[key], list, f"{path}: {key}")
        return record

    def series_episodes(
        self,
        tvdb_id: int,
        season_type: str = "default",
        *,
        language: str | None = None,
        reuse: bool = False,
    ) -> list[dict[str, Any]]:
        """Every episode (specials too) in `season_type` order, all pages; [] when TheTVDB
        has none (it answers 404 for a series without episodes). `reuse`: as answered a few
        minutes ago.

        The list names episodes in the series' original language (thetvdb/v4-api#70, #276:
        a Dutch or Japanese show's titles in Dutch or Japanese). With `language` (TheTVDB's
        three letters, "eng") and a series of another original language, each episode takes
        the name and overview of `/episodes/{season_type}/{language}` where it has them, and
        keeps the original where that translation is null or missing (v4-api#101; TheTVDB's
        site falls back so, Sonarr#7991 asks for it), and its name where the translation's is
        "TBA" (`UNNAMED`, v4-api#30)."""
        path = f"/series/{int(tvdb_id)}/episodes/{season_type}"
        episodes, original = self._episode_pages(path, reuse)
        if not (episodes and language and isinstance(original, str) and original != language):
            return episodes
        translated, _ = self._episode_pages(f"{path}/{language}", reuse)
        by_id = {_key(e): e for e in translated if _key(e) is not None}
        out = []
        for ep in episodes:  # copies: a reused answer stays as it was answered
            theirs = by_id.get(_key(ep)) or {}
            ep = dict(ep)
            for key in ("name", "overview"):
                text = theirs.get(key).strip() if isinstance(theirs.get(key), str) else ""
                if text and not (key == "name" and text.upper() in UNNAMED):
                    ep[key] = theirs[key]
            out.append(ep)
        return out

    def _episode_pages(self, path: str, reuse: bool) -> tuple[list[dict[str, Any]], Any]:
        """The episodes of every page of an episode list, and the original language its
        `series` record names; ([], None) on a 404."""
        episodes: list[dict[str, Any]] = []
        seen: set[Any] = set()
        original = None
        for page in range(MAX_EPISODE_PAGES):
            try:
                reply = self._envelope(path, {"page": page}, reuse)
            except NotFound:
                break
            where = f"{path}: data"
            body = _shaped(reply.get("data"), dict, where) or {}
            listed = _shaped(body.get("episodes"), list, f"{where}: episodes") or []
            series = body.get("series")
            if original is None and isinstance(series, dict):
                original = series.get("originalLanguage")
            new = [e for e in listed if _key(e) is None or _key(e) not in seen]
            seen.update(_key(e) for e in new)
            episodes += new
            # `links.next` was set on every page, those past the last empty (v4-api#138), and
            # the `/{language}` list answered page 0 whatever page was asked (v4-api#74): a
            # page without a new episode is the end
            links = reply.get("links")
            if not new or not (isinstance(links, dict) and links.get("next")):
                break
        return episodes, original


def _key(episode: dict[str, Any]) -> Any:
    """An episode's `id` as a key: None when it is none, or no number or text (a list, an
    object: a broken mirror's), which cannot be one."""
    ident = episode.get("id")
    return ident if isinstance(ident, int | str) else None


def language_code(tag: str | None) -> str | None:
    """TheTVDB's three-letter language of an IETF tag ("en-US" -> "eng", "de" -> "deu"),
    or None."""
    try:
        return Language.fromietf(str(tag or "").strip()).alpha3
    except (ValueError, KeyError, BabelfishError):
        return None


def make_client(providers_config: ProvidersConfig, http: HttpClient) -> TvdbClient | None:
    """The client, or None (with one log line) when no API key is configured."""
    config = providers_config.tvdb
    if not config.api_key:
        log.info("tvdb: no api_key in [providers.tvdb]; TheTVDB is skipped")
        return None
    return TvdbClient(config, http)
