"""fanart.tv v3 client: movie artwork by TMDB id, then IMDb id; TV artwork by TheTVDB id
(docs/providers.md §2).

A 404 (or a 200 whose body says `"status": "error"`, or holds no image list at all, such as
`{}`) means "no art", not a failure: for a movie, the IMDb id is asked next. An image list of
another shape (a number, a text or an object: a broken mirror or proxy) is ProviderUnavailable
naming the key, retried later; entries of a list that are not objects are left out.
"""

from __future__ import annotations

import logging
from typing import Any

from metarrd.config import FanartConfig, ProvidersConfig
from metarrd.errors import NotFound
from metarrd.http import HttpClient
from metarrd.providers import unexpected

log = logging.getLogger(__name__)

PROVIDER = "fanart"
# the image lists of `/movies/{id}` and `/tv/{id}` the callers read (enrich/candidates.py,
# enrich/tv_candidates.py)
IMAGE_LISTS = (
    *("hdmovielogo", "movielogo", "hdmovieclearart", "movieart", "moviedisc", "moviebanner"),
    *("moviethumb", "moviebackground", "movie4kbackground", "movieposter"),
    *("tvposter", "showbackground", "show4kbackground", "hdtvlogo", "clearlogo", "hdclearart"),
    *("clearart", "characterart", "tvthumb", "tvbanner", "seasonposter", "seasonbanner"),
    "seasonthumb",
)


class FanartClient:
    def __init__(self, config: FanartConfig, http: HttpClient):
        self.config = config
        self.http = http
        self.base = config.base_url.rstrip("/")
        # in headers, never in the query: out of URLs, logs and error messages (the personal
        # key, when set, shows the images of the last 7 days too: docs/providers.md §2.1)
        self.headers = {"api-key": config.api_key}
        if config.client_key.strip():
            self.headers["client-key"] = config.client_key.strip()

    def _movie(self, movie_id: str, kind: str = "movies") -> dict[str, Any] | None:
        try:
            data = self.http.get_json(
                f"{self.base}/{kind}/{movie_id}",
                provider=PROVIDER,
                headers=self.headers,
            )
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("status") == "error":
            return None
        for key in IMAGE_LISTS:
            value = data.get(key)
            if value is None:
                continue
            if not isinstance(value, list):
                raise unexpected(PROVIDER, f"/{kind}/{movie_id}: {key}", value, "a list")
            data[key] = [v for v in value if isinstance(v, dict)]
        if not any(isinstance(v, list) and v for v in data.values()):
            return None  # `{}` or only names and ids: no art by this id (the next is tried)
        return data

    def movie(self, tmdb_id: int | None, imdb_id: str | None = None) -> dict[str, Any] | None:
        """The v3 movie record, or None when fanart.tv has no art for it."""
        for movie_id in (str(tmdb_id) if tmdb_id else None, imdb_id):
            if movie_id:
                data = self._movie(movie_id)
                if data is not None:
                    return data
        return None

    def tv(self, tvdb_id: int) -> dict[str, Any] | None:
        """The v3 TV record (season art carries `season`: "0" specials, "N", "all"), or None."""
        return self._movie(str(int(tvdb_id)), "tv")


def make_client(providers_config: ProvidersConfig, http: HttpClient) -> FanartClient | None:
    """The client, or None (with one log line) when no API key is configured."""
    config = providers_config.fanart
    if not config.api_key:
        log.info("fanart.tv: no api_key in [providers.fanart]; fanart.tv is skipped")
        return None
    return FanartClient(config, http)
