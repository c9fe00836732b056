"""`metarrd players test`: ask each player who it is and whether it sees our libraries.

Each check answers one sentence: what works, or what is wrong in plain words (connection refused,
no answer, bad credentials, JSON-RPC off or not Kodi at all, a library folder that is not a Kodi
source / Jellyfin library folder / Plex section location, a library the path_map does not cover).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from metarrd import pathmap
from metarrd.config import Config, PlayerConfig
from metarrd.http import HttpClient
from metarrd.players.jellyfin import Jellyfin
from metarrd.players.kodi import Kodi
from metarrd.players.plex import Plex
from metarrd.players.transport import PlayerError, label, make_http
from metarrd.urls import hide_credentials

log = logging.getLogger(__name__)


def _library_folders(config: Config, player: PlayerConfig) -> list[tuple[str, str]]:
    """(library name, folder as the player sees it); raises PathNotMapped."""
    found = []
    for name in player.libraries:
        lib = config.library_named(name)
        if lib is not None:
            mapped = pathmap.map_path(lib.path, player.path_map, label(player))
            found.append((name, mapped))
    return found


def _coverage(
    libraries: Sequence[tuple[str, str]], folders: Sequence[tuple[str, str]], what: str
) -> tuple[bool, str]:
    """Whether every library folder lies inside one of the player's `folders` (label, path)."""
    if not libraries:
        return True, "no libraries are assigned to it (libraries = [...])"
    problems, fine = [], []
    for lib_name, mapped in libraries:
        holder = next(
            ((lbl, path) for lbl, path in folders if pathmap.is_under(mapped, path)), None
        )
        if holder:
            fine.append(f"library {lib_name!r} ({mapped}) is inside {what} {holder[0]!r}")
            continue
        inside = [path for _lbl, path in folders if pathmap.is_under(path, mapped)]
        if inside:
            problems.append(
                f"only part of library {lib_name!r} ({mapped}) is a {what}: {', '.join(inside)}"
            )
        else:
            known = ", ".join(path for _lbl, path in folders) or "none"
            problems.append(
                f"library {lib_name!r} is {mapped} for this player, but no {what} holds it "
                f"(its {what}s: {known}); check path_map"
            )
    return (not problems), "; ".join(problems or fine)


def check_player(config: Config, player: PlayerConfig, http: HttpClient) -> tuple[bool, str]:
    try:
        libraries = _library_folders(config, player)
        if player.type == "kodi":
            kodi = Kodi(player, http)
            api = kodi.api()
            ok, text = _coverage(libraries, kodi.sources(), "Kodi video source")
            return ok, f"{api.describe()}; {text}"
        if player.type == "jellyfin":
            jf = Jellyfin(player, http)
            info = jf.server_info()
            ok, text = _coverage(libraries, jf.locations(), "Jellyfin library folder")
            return ok, f"Jellyfin {info.get('Version', '?')}; {text}"
        if player.type == "plex":
            px = Plex(player, http)
            folders = [(s.title, loc) for s in px.sections() for loc in s.locations]
            ok, text = _coverage(libraries, folders, "Plex section folder")
            return ok, f"Plex answers; {text}"
        return False, f"unknown player type {player.type!r}"
    except (PlayerError, pathmap.PathNotMapped) as exc:
        return False, str(exc).removeprefix(f"{label(player)}: ")
    except Exception as exc:  # a surprise must still give an answer, not a traceback
        log.exception("%s: connection test failed unexpectedly", label(player))
        return False, f"unexpected error: {exc}"


def test_players(rt, name: str | None = None) -> list[tuple[str, bool, str]]:
    """Check every configured player (or the one named): (how messages name it, `Kodi
    "Living room"`; ok; one plain sentence)."""
    config: Config = rt.config
    chosen = [p for p in config.player if name is None or p.name == name]
    if not chosen:
        return []
    http = make_http(max(p.timeout_seconds for p in chosen))
    try:
        with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
            answers = list(pool.map(lambda p: check_player(config, p, http), chosen))
    finally:
        http.close()
    # the player's paths and ours may hold a password (hide_credentials): never in the answer
    return [
        (label(p), ok, hide_credentials(text))
        for p, (ok, text) in zip(chosen, answers, strict=True)
    ]


test_players.__test__ = False  # not a pytest test, whoever imports it
