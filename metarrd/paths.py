"""Paths as text: the one answer to "is this path inside that folder?".

Compared as normalised strings, not through the file system, so it works for paths that no longer
exist (a deleted file a webhook names), for a player's paths (`smb://nas/movies/`, `D:\\Movies\\`)
and on the hot path of the watcher. Case-sensitive, as POSIX file systems are; callers with
case-insensitive paths fold them first (`folded`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable

# the folder of actor pictures beside a movie or in a show folder (Kodi, Jellyfin, Emby)
ACTORS_DIR = ".actors"

_WINDOWS_RE = re.compile(r"^(?:[A-Za-z]:(?:[\\/]|$)|\\\\)")


def is_inside(path: str | os.PathLike, folder: str | os.PathLike, sep: str = os.sep) -> bool:
    """`path` is `folder` itself or anything below it. `/a/bc` is not inside `/a/b`."""
    path, folder = os.fspath(path), os.fspath(folder)
    base = folder.rstrip(sep)
    return path.rstrip(sep) == base or path.startswith(base + sep)


def deepest_folder(path: str | os.PathLike, folders: Iterable[str]) -> str | None:
    """The deepest of `folders` holding `path` (both normalised), or None."""
    path = os.path.normpath(path)
    holding = [f for f in map(os.path.normpath, folders) if is_inside(path, f)]
    return max(holding, key=len) if holding else None


def in_scope(path: str, scope: list[str] | None) -> bool:
    """Does a scan of `scope` (None = everything) touch the item at `path`?"""
    return scope is None or any(is_inside(path, p) for p in scope)


def folded(name: str) -> str:
    """`name` as the most forgiving file systems compare it: by its upper case, as NTFS and a
    Synology NAS do (their upcase tables take the dotless `ı` for `I`), then Unicode's
    canonical caseless match (NFD, case folding, NFD), as APFS and ext4's `casefold` do
    (`Penélope` composed and decomposed is one name there). Two names one of them takes for
    one file (`POSTER.jpg`, `poster.jpg`) fold alike, so a name that a folder's listing lacks
    in this form is not there."""
    upper = unicodedata.normalize("NFD", name).upper()
    return unicodedata.normalize("NFD", upper.casefold())


def is_windows(path: str) -> bool:
    """A Windows path: a drive (`D:\\Movies`, `D:/Movies`, `D:`) or a UNC share (`\\\\nas\\movies`),
    as a player or Radarr/Sonarr on Windows sends it (pathmap.py); config checks a `path_map`'s
    `from` with it."""
    return bool(_WINDOWS_RE.match(path))
