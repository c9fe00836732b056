"""fanart.tv v3 client: movie artwork by TMDB id, then IMDb id; TV artwork by TheTVDB id
(docs/providers.md §2).

A 404 (or a 200 whose body says `"status": "error"`, or holds no image list at all, such as
`{}`) means "no art", not a failure: for a movie, the IMDb id is asked next.
"""

from __future__ import annotations

import logging
from typing import Any

from metarrd.config import FanartConfig, ProvidersConfig
from metarrd.errors import NotFound
from metarrd.http import HttpClient

log = logging.getLogger(__name__)

PROVIDER = "fanart"


class FanartClient:
    def __init__(self, config: FanartConfig, http: HttpClient):
        self.config = config
        self.http = http
        self.base = config.base_url.rstrip("/")

    def _movie(self, movie_id: str, kind: str = "movies") -> dict[str, Any] | None:
        try:
            data = self.http.get_json(
                f"{self.base}/{kind}/{movie_id}",
                provider=PROVIDER,
                headers={"api-key": self.config.api_key},
            )
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("status") == "error":
            return None
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
