"""What to tell a player about a batch of published movies: pure planning over small dataclasses.

A `Target` is one queued notification with its paths already translated for the player. Folders
that changed together are coalesced: up to `limit` distinct folders of one library are named one
by one; more than that become one request for their deepest common folder (never above the
library root), so publishing 300 movies, or 50 new TV shows, does not mean 300 or 50 scans.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from metarrd import pathmap
from metarrd.config import LibraryConfig, PlayerConfig, player_label
from metarrd.paths import deepest_folder

DISC_FOLDERS = ("VIDEO_TS", "BDMV")


def label(player: PlayerConfig) -> str:
    """How messages name a player: `Kodi "Living room"` (config.player_label)."""
    return player_label(player.type, player.name)


@dataclass(frozen=True)
class Target:
    key: int  # the notification row
    path: str  # our video path (or disc folder)
    folder: str  # our movie folder
    root: str  # our library root that holds it
    mapped_path: str  # the video path as the player sees it
    mapped_folder: str  # the movie folder as the player sees it (no trailing separator)
    is_disc: bool = False
    is_show: bool = False  # a TV show: `path` and `folder` are the show folder
    # (uniqueid type, value): tmdb, tvdb, imdb; finds an item whose title lacks the folder's name
    ids: tuple[tuple[str, str], ...] = ()
    # every configured library: a file read below `folder` (a show's episode NFOs, for Kodi)
    # is not read through a link that leads out of them all (`files.link_target_outside`)
    libraries: tuple[LibraryConfig, ...] = ()
    title: str = ""  # the movie's or show's title in our database: a name to look it up by


@dataclass(frozen=True)
class Group:
    """Targets that one folder request covers."""

    folder: str  # our form
    mapped_folder: str  # the player's form, no trailing separator
    targets: tuple[Target, ...]


def movie_folder(path: str, is_disc: bool = False) -> str:
    """The folder that holds a movie: the video's folder, or the disc's own folder."""
    path = posixpath.normpath(path)
    if is_disc:
        name = posixpath.basename(path).upper()
        return posixpath.dirname(path) if name in DISC_FOLDERS else path
    return posixpath.dirname(path)


# a disc's own files beside its VIDEO_TS/ or BDMV/, or out of them in its folder: a DVD's
# VIDEO_TS.IFO (its copy VIDEO_TS.BUP), a Blu-ray's index.bdmv, an AVCHD disc's INDEX.BDM
_DISC_OWN_FILES = frozenset({"VIDEO_TS.IFO", "VIDEO_TS.BUP", "INDEX.BDMV", "INDEX.BDM"})


def is_disc_file(file: str, mapped_folder: str) -> bool:
    """Whether a file a player lists for a movie is one of the disc in `mapped_folder` (both in
    the player's form): a file in its `VIDEO_TS/` or `BDMV/`, or in the folder itself a disc's
    own file (`VIDEO_TS.IFO`, `index.bdmv`). Kodi lists a disc as `VIDEO_TS.IFO` or
    `index.bdmv`, in its folder or its VIDEO_TS/ or BDMV/ (`GetOpticalMediaPath`); Plex as its
    `VIDEO_TS.IFO` then its biggest VOB, or its `BDMV/STREAM/` files (Plex Movie Scanner). Any
    letter case (a share that ignores it). Not any file below the folder: a disc copied
    straight into the library's folder (`movies/VIDEO_TS/`) has that folder for its own, and
    every movie below it was taken for the disc."""
    if not pathmap.is_under(file, mapped_folder):
        return False
    rest = file[len(mapped_folder.rstrip("/\\")) :]
    parts = [p.upper() for p in re.split(r"[/\\]", rest) if p]
    if len(parts) == 1:
        return parts[0] in _DISC_OWN_FILES
    return len(parts) > 1 and parts[0] in DISC_FOLDERS


def stack_folder(path: str, parts: Iterable[str]) -> str | None:
    """For a folder stack (`Heat (1995)/CD1/a.avi` + `CD2/b.avi`) whose first part is `path`:
    the folder common to its parts, which players are told about. Kodi stacks `CD1/`, `CD2/`
    only in a listing of the folder above them (FileItemList.cpp StackFolders): asked to Scan
    `CD1/`, a real Kodi 20.1 adds its one part as a movie of its own. Jellyfin takes that folder
    for the movie's too. None for anything else."""
    parts = [posixpath.normpath(p) for p in parts]
    folders = {posixpath.dirname(p) for p in parts}
    if posixpath.normpath(path) not in parts or len(folders) < 2:
        return None
    return posixpath.commonpath(sorted(folders))


def library_root(path: str, roots: Iterable[str]) -> str:
    """The deepest library root holding `path`; its own folder when no library does."""
    return deepest_folder(path, roots) or posixpath.dirname(posixpath.normpath(path))


def make_target(
    key: int,
    path: str,
    player: PlayerConfig,
    roots: Iterable[str],
    is_disc: bool = False,
    *,
    is_show: bool = False,
    ids: tuple[tuple[str, str], ...] = (),
    libraries: Sequence[LibraryConfig] = (),
    folder: str | None = None,
    title: str = "",
) -> Target:
    """Translate one queued path for `player`; raises `pathmap.PathNotMapped`. A show's path
    is its folder: players are told about the show folder (Jellyfin's Media/Updated, Plex's
    partial scan, Kodi's Scan or RefreshTVShow). `folder`: the movie's folder when it is not
    the video's (a folder stack's, `stack_folder`)."""
    path = posixpath.normpath(path)
    folder = path if is_show else folder or movie_folder(path, is_disc)
    name = label(player)
    return Target(
        key=key,
        path=path,
        folder=folder,
        root=library_root(path, roots),
        mapped_path=pathmap.map_path(path, player.path_map, name),
        mapped_folder=pathmap.map_path(folder, player.path_map, name),
        is_disc=is_disc,
        is_show=is_show,
        ids=ids,
        libraries=tuple(libraries),
        title=title,
    )


def _title_part(name: str) -> str:
    if " " not in name:
        name = re.sub(r"[._]", " ", name)
    return re.split(r"[(\[{]|(?<=\w)\s+(?:19|20)\d\d\b", name)[0].strip(" -") or name


def search_names(target: Target) -> list[str]:
    """What a player's title for the item likely contains, to look it up by name and then check
    its path: the folder's name without the year, anything in brackets and release-name dots;
    for a movie file also its own name (movies side by side in one folder); then its title in
    our database, so cut too (an unidentified one's is its file's name). Not the library's folder's name (`movies`), which a disc copied straight
    into it has for its folder: searched by that alone, an unidentified disc was never found,
    and its folder, the library's, was reported (Jellyfin refreshed the whole library)."""
    names = []
    if target.is_show or target.folder != target.root:
        names.append(_title_part(posixpath.basename(target.mapped_folder.replace("\\", "/"))))
    if not (target.is_show or target.is_disc):
        file = posixpath.basename(target.mapped_path.replace("\\", "/"))
        names.append(_title_part(posixpath.splitext(file)[0]))
    names.append(_title_part(target.title.strip()))
    unique: dict[str, str] = {}  # one search a name whatever its case: `searchTerm` ignores it
    for name in names:
        if name:
            unique.setdefault(name.casefold(), name)
    return list(unique.values())


def per_folder(targets: Sequence[Target]) -> list[Group]:
    """One group per distinct movie folder, in first-seen order."""
    groups: dict[str, list[Target]] = {}
    for t in targets:
        groups.setdefault(t.folder, []).append(t)
    return [Group(f, ts[0].mapped_folder, tuple(ts)) for f, ts in groups.items()]


def coalesce(targets: Sequence[Target], player: PlayerConfig, limit: int) -> list[Group]:
    """Folder requests for `targets`: per library root, the folders themselves when there are at
    most `limit` of them, else their deepest common folder."""
    by_root: dict[str, list[Target]] = {}
    for t in targets:
        by_root.setdefault(t.root, []).append(t)
    groups: list[Group] = []
    for root, members in by_root.items():
        folders = per_folder(members)
        if len(folders) <= limit:
            groups.extend(folders)
            continue
        common = pathmap.common_folder([g.folder for g in folders], floor=root)
        try:
            mapped = pathmap.map_path(common, player.path_map, label(player))
        except pathmap.PathNotMapped:
            groups.extend(folders)  # the mapping covers each folder but not their parent
            continue
        groups.append(Group(common, mapped, tuple(members)))
    return groups
