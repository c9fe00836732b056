"""Jellyfin: one `POST /Library/Media/Updated` naming every changed folder.

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
from metarrd.players.plan import Target, per_folder
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

    def media_updated(self, folders: Sequence[str]) -> None:
        body = {"Updates": [{"Path": f, "UpdateType": "Modified"} for f in folders]}
        self.endpoint.request(
            "POST", "/Library/Media/Updated", headers=self._auth(), json=body, want_json=False
        )


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    folders = [g.mapped_folder for g in per_folder(targets)]
    Jellyfin(player, http).media_updated(folders)
    return {t.key: None for t in targets}, [f"reported {len(folders)} changed folder(s)"]
