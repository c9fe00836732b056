"""Jellyfin: one `POST /Library/Media/Updated` naming every changed item (a movie's video file,
a disc's or show's folder).

Authenticated with `Authorization: MediaBrowser Token="<token>"` (the form Jellyfin accepts
whatever its legacy-authorization setting). Jellyfin debounces these reports (about 60 s) and
then refreshes the nearest item up each path, so one request per batch is all it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players.plan import Target
from metarrd.players.transport import Endpoint, PlayerError, PlayerProtocolError

log = logging.getLogger(__name__)


class Jellyfin:
    def __init__(self, player: PlayerConfig, http: HttpClient):
        self.player = player
        self.endpoint = Endpoint(
            player,
            http,
            auth_hint="token (an API key from Dashboard > API Keys)",
            api_hint="is this a Jellyfin server, and is the URL its base URL?",
        )

    @property
    def label(self) -> str:
        return self.endpoint.label

    def _auth(self) -> dict[str, str]:
        token = self.player.token.replace('"', "")
        return {"Authorization": f'MediaBrowser Token="{token}"'}

    def server_info(self) -> dict[str, Any]:
        """`/System/Info/Public` (no auth): proves a Jellyfin answers at this URL."""
        info = self.endpoint.request("GET", "/System/Info/Public")
        if not isinstance(info, dict) or "Version" not in info:
            raise PlayerProtocolError(
                f"{self.label}: /System/Info/Public does not look like Jellyfin's; "
                f"{self.endpoint.api_hint}"
            )
        return info

    def locations(self) -> list[tuple[str, str]]:
        """(library name, folder) of every Jellyfin library (needs an administrator's key)."""
        folders = self.endpoint.request("GET", "/Library/VirtualFolders", headers=self._auth())
        return [
            (str(f.get("Name", "")), str(loc))
            for f in (folders if isinstance(folders, list) else [])
            if isinstance(f, dict)
            for loc in f.get("Locations") or []
        ]

    def media_updated(self, paths: Sequence[str]) -> None:
        body = {"Updates": [{"Path": p, "UpdateType": "Modified"} for p in paths]}
        self.endpoint.request(
            "POST", "/Library/Media/Updated", headers=self._auth(), json=body, want_json=False
        )


def reported_path(target: Target) -> str:
    """The path whose nearest Jellyfin item is the published one: a movie's video file (its
    item's path; the movie folder is no item, so the library folder above it would be
    refreshed whole), a disc's or a show's folder (their items' paths)."""
    if target.is_show or target.is_disc:
        return target.mapped_folder
    return target.mapped_path


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    paths = list(dict.fromkeys(reported_path(t) for t in targets))
    Jellyfin(player, http).media_updated(paths)
    return {t.key: None for t in targets}, [f"reported {len(paths)} changed item(s)"]
