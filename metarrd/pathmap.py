"""How a media player sees our paths: pure translation through a player's `path_map`.

The longest `from` prefix that covers a path wins, matched on whole path components
(`/srv/movies` covers `/srv/movies/A (1999)/a.mkv`, never `/srv/movies2/...`). A player without a
`path_map` sees our own paths. A path that a non-empty `path_map` does not cover raises
`PathNotMapped`: it is reported, never sent raw.

The `to` side decides the form of the result: a Windows drive (`D:\\Movies`) or UNC share
(`\\\\nas\\movies`) gets backslashes; POSIX paths and URLs (`smb://nas/movies`, `nfs://...`) get
forward slashes. Kodi wants folders with a trailing separator (`kodi_folder`); Jellyfin and Plex
take folders without one (`folder`).

The same translation reads Radarr's and Sonarr's paths (`[webhooks] path_map`, the other way
round: their path to ours). Radarr or Sonarr on Windows sends Windows paths (`D:\\Media\\TV\\...`,
`\\\\nas\\tv\\...`); only an entry whose `from` is a Windows folder maps one, matched as
Windows matches paths: either separator, any case, `..` resolved first (never above the drive
or the share). A Windows path is never ours as it is, so one no entry covers raises
`PathNotMapped` even with no `path_map` at all.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote

from metarrd.errors import MetarrdError
from metarrd.paths import is_inside, is_windows

if TYPE_CHECKING:
    from metarrd.config import PathMap


class PathNotMapped(MetarrdError):
    """No `path_map` entry of the player covers the path."""

    def __init__(self, player: str, path: str):
        super().__init__(
            f"{player}: no path_map entry covers {path}; add one whose `from` is a parent of it"
        )
        self.player = player
        self.path = path


def separator(path: str) -> str:
    return "\\" if is_windows(path) else "/"


def _strip_trailing(path: str) -> str:
    """`path` without trailing separators, but never down to nothing (`/`, `C:\\`, `smb://`)."""
    stripped = path.rstrip("/\\")
    if not stripped or stripped.endswith(":"):
        return path
    return stripped


def _covers(prefix: str, path: str) -> bool:
    return is_inside(path, _strip_trailing(prefix), "/")


def map_path(path: str, path_map: Sequence[PathMap], player: str = "player") -> str:
    """Our absolute POSIX `path` as the player sees it (no trailing separator); or a sender's
    Windows `path` as we see it, through an entry whose `from` is a Windows folder."""
    if is_windows(path):
        return _map_windows(path, path_map, player)
    path = posixpath.normpath(path)
    if not path_map:
        return path
    candidates = [m for m in path_map if _covers(m.from_, path)]
    if not candidates:
        raise PathNotMapped(player, path)
    best = max(candidates, key=lambda m: len(_strip_trailing(m.from_)))
    base_from = _strip_trailing(best.from_)
    rest = path[len(base_from) :].lstrip("/") if base_from != "/" else path.lstrip("/")
    return _join(best.to, rest.split("/") if rest else [])


def _map_windows(path: str, path_map: Sequence[PathMap], player: str) -> str:
    """A Windows `path` through the entry with the deepest Windows `from` that holds it."""
    candidates = [
        (m, rest)
        for m in path_map
        if is_windows(m.from_) and (rest := _windows_rest(path, m.from_)) is not None
    ]
    if not candidates:
        raise PathNotMapped(player, ntpath.normpath(path))
    best, rest = min(candidates, key=lambda c: len(c[1]))  # the deepest `from` leaves the least
    return _join(best.to, rest)


def _join(to: str, names: Sequence[str]) -> str:
    """`names` below the mapped folder `to`, in the form of `to`."""
    target = _strip_trailing(to)
    if not names:
        return target
    sep = separator(target)
    if target.endswith(("/", "\\")):  # a bare root such as "/" or "C:\\" or "smb://"
        return target + sep.join(names)
    return target + sep + sep.join(names)


def windows_parts(path: str) -> tuple[str, list[str]]:
    """A Windows path's drive (`D:`, or `\\\\server\\share`) and the names below it, either
    separator read, `..` resolved (never above the drive or the share)."""
    drive, tail = ntpath.splitdrive(ntpath.normpath(path))
    return drive, [name for name in tail.split("\\") if name]


def _windows_rest(path: str, folder: str) -> list[str] | None:
    """The names of Windows `path` below Windows `folder`, or None when `folder` does not hold
    it; compared as Windows compares them, ignoring case (`d:\\media` holds `D:\\Media\\TV`)."""
    drive, names = windows_parts(path)
    folder_drive, folder_names = windows_parts(folder)
    head = names[: len(folder_names)]
    if drive.casefold() != folder_drive.casefold() or len(head) < len(folder_names):
        return None
    if any(a.casefold() != b.casefold() for a, b in zip(head, folder_names, strict=True)):
        return None
    return names[len(folder_names) :]


def kodi_folder(mapped: str) -> str:
    """A mapped folder in Kodi's stored form: with exactly one trailing separator."""
    sep = separator(mapped)
    return mapped if mapped.endswith(sep) else mapped.rstrip("/\\") + sep


def parent(mapped: str) -> str:
    """The folder holding a mapped file, in the same form (no trailing separator)."""
    sep = separator(mapped)
    head, _, _tail = mapped.rstrip(sep).rpartition(sep)
    if not head or head.endswith(":"):
        return head + sep
    return head


def _comparable(path: str) -> str:
    """Normalised for prefix comparison: one separator style, trailing separator, case-folded on
    Windows (where the file system ignores case)."""
    if is_windows(path):
        return kodi_folder(path.replace("/", "\\")).lower()
    return kodi_folder(path)


def is_under(child: str, ancestor: str) -> bool:
    """Whether the player-form folder `child` is `ancestor` or inside it (both in one form)."""
    sep = "\\" if is_windows(child) or is_windows(ancestor) else "/"
    return is_inside(_comparable(child), _comparable(ancestor), sep)


def same_path(a: str, b: str) -> bool:
    if is_windows(a) or is_windows(b):
        return a.replace("/", "\\").lower() == b.replace("/", "\\").lower()
    return a == b


def kodi_source_paths(source: str) -> list[str]:
    """The folders of a Kodi source; `multipath://a/b/` sources hold several, URL-encoded."""
    if not source.startswith("multipath://"):
        return [source]
    inner = source[len("multipath://") :]
    return [unquote(part) for part in inner.split("/") if part]


def common_folder(folders: Sequence[str], floor: str | None = None) -> str:
    """The deepest folder containing every one of `folders` (our POSIX form), never above
    `floor` when given (a library root)."""
    common = posixpath.commonpath(list(folders)) if folders else "/"
    if floor is not None and not _covers(floor, common):
        return posixpath.normpath(floor)
    return common
