"""How a media player sees our paths: pure translation through a player's `path_map`.

The longest `from` prefix that covers a path wins, matched on whole path components
(`/srv/movies` covers `/srv/movies/A (1999)/a.mkv`, never `/srv/movies2/...`). A player without a
`path_map` sees our own paths. A path that a non-empty `path_map` does not cover raises
`PathNotMapped`: it is reported, never sent raw.

The `to` side decides the form of the result: a Windows drive (`D:\\Movies`) or UNC share
(`\\\\nas\\movies`) gets backslashes; POSIX paths and URLs (`smb://nas/movies`, `nfs://...`) get
forward slashes. Kodi wants folders with a trailing separator (`kodi_folder`); Jellyfin and Plex
take folders without one (`folder`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from urllib.parse import unquote

from metarrd.config import PathMap
from metarrd.errors import MetarrdError
from metarrd.paths import is_inside

_WINDOWS_RE = re.compile(r"^(?:[A-Za-z]:(?:[\\/]|$)|\\\\)")


class PathNotMapped(MetarrdError):
    """No `path_map` entry of the player covers the path."""

    def __init__(self, player: str, path: str):
        super().__init__(
            f"{player}: no path_map entry covers {path}; add one whose `from` is a parent of it"
        )
        self.player = player
        self.path = path


def is_windows(path: str) -> bool:
    return bool(_WINDOWS_RE.match(path))


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
    """Our absolute POSIX `path` as the player sees it (no trailing separator)."""
    path = posixpath.normpath(path)
    if not path_map:
        return path
    candidates = [m for m in path_map if _covers(m.from_, path)]
    if not candidates:
        raise PathNotMapped(player, path)
    best = max(candidates, key=lambda m: len(_strip_trailing(m.from_)))
    base_from = _strip_trailing(best.from_)
    rest = path[len(base_from) :].lstrip("/") if base_from != "/" else path.lstrip("/")
    target = _strip_trailing(best.to)
    if not rest:
        return target
    sep = separator(target)
    if target.endswith(("/", "\\")):  # a bare root such as "/" or "C:\\" or "smb://"
        return target + rest.replace("/", sep)
    return target + sep + rest.replace("/", sep)


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
