"""Plex: a partial scan of the changed folders in the library section that holds them.

`GET /library/sections` (header `X-Plex-Token`, `Accept: application/json`) lists the sections
with their `Location` folders; the section whose location holds the mapped folder then gets
`GET /library/sections/<key>/refresh?path=<mapped folder>`. The token travels in a header, never
in the URL, so it cannot reach a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from metarrd import pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players.plan import Target, coalesce, per_folder
from metarrd.players.transport import (
    Endpoint,
    PlayerAuthError,
    PlayerError,
    PlayerProtocolError,
    PlayerUnreachable,
)

log = logging.getLogger(__name__)

TARGETED_REFRESHES = 10  # more changed folders than this in one library: refresh their parent


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    type: str
    locations: tuple[str, ...]


class Plex:
    def __init__(self, player: PlayerConfig, http: HttpClient):
        self.player = player
        self.endpoint = Endpoint(
            player,
            http,
            auth_hint="token (X-Plex-Token of the server's owner)",
            api_hint="is this a Plex Media Server (usually port 32400)?",
        )

    @property
    def label(self) -> str:
        return self.endpoint.label

    def _headers(self) -> dict[str, str]:
        return {
            "X-Plex-Token": self.player.token,
            "X-Plex-Product": "metarrd",
            "X-Plex-Client-Identifier": "metarrd",
        }

    def sections(self) -> list[Section]:
        answer = self.endpoint.request("GET", "/library/sections", headers=self._headers())
        container = answer.get("MediaContainer") if isinstance(answer, dict) else None
        if not isinstance(container, dict):
            raise PlayerProtocolError(
                f"{self.label}: /library/sections has no MediaContainer; {self.endpoint.api_hint}"
            )
        return [
            Section(
                key=str(d.get("key", "")),
                title=str(d.get("title", "")),
                type=str(d.get("type", "")),
                locations=tuple(
                    str(loc.get("path", "")) for loc in d.get("Location") or [] if loc.get("path")
                ),
            )
            for d in container.get("Directory") or []
            if isinstance(d, dict)
        ]

    def refresh(self, section: Section, folder: str) -> None:
        path = (
            f"/library/sections/{quote(section.key, safe='')}/refresh?path={quote(folder, safe='')}"
        )
        self.endpoint.request("GET", path, headers=self._headers(), want_json=False)
        log.info("%s: partial scan of %s in section %r", self.label, folder, section.title)


def section_for(sections: Sequence[Section], mapped_folder: str) -> Section | None:
    """The section with the deepest location holding `mapped_folder`."""
    best: tuple[int, Section] | None = None
    for section in sections:
        for loc in section.locations:
            if pathmap.is_under(mapped_folder, loc) and (best is None or len(loc) > best[0]):
                best = (len(loc), section)
    return best[1] if best else None


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    """Tell Plex about `targets`: (key -> None when told, or the error), and what was done. A
    refresh Plex refuses fails its own folders only; after an unreachable Plex or refused
    credentials the rest is left for the next attempt (Kodi's `deliver` does the same)."""
    plex = Plex(player, http)
    sections = plex.sections()
    results: dict[int, PlayerError | None] = {}
    done: list[str] = []
    stop: PlayerError | None = None
    for group in coalesce(targets, player, TARGETED_REFRESHES):
        parts = [group]
        if section_for(sections, group.mapped_folder) is None and len(group.targets) > 1:
            parts = per_folder(group.targets)  # the common folder lies above every section
        for part in parts:
            section = section_for(sections, part.mapped_folder)
            if section is None:
                err = PlayerProtocolError(
                    f"{plex.label}: no library section has a folder holding "
                    f"{part.mapped_folder}; check the path_map and the section's folders"
                )
                results.update({t.key: err for t in part.targets})
                continue
            if stop is not None:
                results.update({t.key: stop for t in part.targets})
                continue
            try:
                plex.refresh(section, part.mapped_folder)
            except (PlayerUnreachable, PlayerAuthError) as exc:
                stop = exc
                results.update({t.key: exc for t in part.targets})
                continue
            except PlayerError as exc:
                results.update({t.key: exc for t in part.targets})
                continue
            results.update({t.key: None for t in part.targets})
            done.append(f"refreshed {part.mapped_folder} in {section.title!r}")
    return results, done
