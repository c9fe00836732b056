"""The videos of a show folder that Kodi's TV scan adds as episodes and metarrd does not (an
extra named with its episode's numbers, a disc structure in a folder named for an episode):
they get no NFO, so `tvshow.nfo` must have no `episodeguide` (kodi-tv.md §7). PUBLISH reads
them to leave the guide out, SCAN to mark a published show whose `tvshow.nfo` has the guide
"Republish?" when one turns up."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import NamedTuple

from metarrd import walk
from metarrd.files import display, is_utf8
from metarrd.identify import kodi_rule_reading

# Kodi's TV scan leaves out only these paths (xbmc/xbmc `AdvancedSettings.cpp` Initialize:
# `m_tvshowExcludeFromScanRegExps` = the sample rule + `m_allExcludeFromScanRegExps`), caseless
_KODI_TV_EXCLUDED = re.compile(
    r"[!-._ \\/]sample[-._ \\/]|[\\/].+\.ite[\\/]|[\\/]\._|\.DS_Store|\.AppleDouble",
    re.IGNORECASE,
)

# the file of a disc structure Kodi lists as its episode (VideoFileItemClassify IsDVDFile,
# IsBDFile), beside the disc's other files
_DISC_INDEXES = frozenset({"VIDEO_TS.IFO"}) | walk.BLURAY_INDEXES


def kodi_adds_episode(show_rel_path: str) -> bool:
    """Whether Kodi's TV scan adds the video at `show_rel_path` (`<Show>/Season 01/x.mkv`, from
    the show folder's name down) as an episode: not left out by its exclusions, and a name one
    of its `tvshowmatching` rules reads (kodi-tv.md §1.2; a name none reads is "Could not
    enumerate file"). A video of the show that Kodi adds and that gets no NFO makes Kodi fetch
    the episode guide (kodi-tv.md §7)."""
    if _KODI_TV_EXCLUDED.search("/" + show_rel_path):
        return False
    return kodi_rule_reading(show_rel_path.rsplit("/", 1)[-1])[0] != "none"


class KodiOnly(NamedTuple):
    """A video Kodi adds as an episode and metarrd does not."""

    name: str  # relative to the show folder, as `display` shows it
    why: str  # why metarrd has no episode of it


EXTRA = "an extra, by its name or folder"
DISC = "a disc structure, which metarrd does not tag"
NOT_UTF8 = "its name is not UTF-8, so metarrd cannot store it"


_VIDEO_SUFFIXES = tuple(sorted(walk.VIDEO_EXTENSIONS))


def video_key(path: str) -> tuple[str, str]:
    """(folder, stem) of a video file's path, as `kodi_only_videos` compares them: strings, not
    `Path`s (built for every file of a show at each rescan of a published one, they were most
    of its cost)."""
    folder, name = os.path.split(path)
    return folder, os.path.splitext(name)[0]


def _listed(folder: str) -> list[os.DirEntry[str]]:
    return sorted(os.scandir(folder), key=lambda e: e.name)


def kodi_only_videos(
    folder: Path,
    ours: set[tuple[str, str]],
    listing: Callable[[str], list[os.DirEntry[str]]] = _listed,
    paths: AbstractSet[str] = frozenset(),
) -> list[KodiOnly]:
    """The videos below the show folder (`KodiOnly`: the path relative to it, and why metarrd
    has no episode of it) that Kodi's scan adds as episodes
    (`kodi_adds_episode`) and that are not among `ours` (`video_key` of the show's episode
    files), so get no NFO: an extra named with its episode's numbers (`S01E01 -
    Rose-deleted.mkv`, Jellyfin's extras naming) or kept in an `Extras/` folder. Kodi lists no
    hidden file nor a `.nomedia` folder; an unreadable folder is passed over (the scan reports
    it). A name that is not UTF-8 (a Latin-1 name from an old share) comes as `display` shows
    it, a `\\xNN` for each such byte: the list goes into messages and the database, and a
    lone surrogate failed the insert of the scan's event and the publish (the whole show).
    `listing(folder)`: its entries sorted by name (a scan's, which listed them already); the
    folders are walked as `os.walk` does, a symlinked folder not entered. `paths`: videos
    that are ours by their paths (a rescan's unchanged episodes), no `video_key` made of each."""
    found: list[KodiOnly] = []

    def add(rel: str, why: str) -> None:
        found.append(KodiOnly(display(rel), why if is_utf8(rel) else NOT_UTF8))

    pending = [str(folder)]
    while pending:
        top = pending.pop()
        try:
            entries = listing(top)
        except OSError:
            continue
        dirs, files, links = [], [], set()
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(entry.name)
                continue
            dirs.append(entry.name)
            try:
                if entry.is_symlink():
                    links.add(entry.name)
            except OSError:
                pass
        if walk.NO_MEDIA in files and top != str(folder):
            continue
        # a disc structure: Kodi reads its episode from the folder holding it (`Show.S01E02/
        # VIDEO_TS/`: S01E02), and metarrd writes no NFO for a disc (docs/tv.md "Scan"); its
        # files out of their VIDEO_TS or BDMV folder too, an AVCHD disc's `INDEX.BDM` as a
        # Blu-ray's `index.bdmv` (Kodi's IsBDFile, the walk's BLURAY_INDEXES)
        disc = {d for d in dirs if d.upper() in walk.DISC_FOLDERS}
        if disc or {f.upper() for f in files} & _DISC_INDEXES:
            rel = Path(top).relative_to(folder).as_posix()
            if rel != "." and kodi_adds_episode(f"{folder.name}/{rel}"):
                add(f"{rel}/{min(disc)}" if disc else rel, DISC)
            dirs = [d for d in dirs if d not in disc]
            if not disc:
                pending.extend(os.path.join(top, d) for d in reversed(dirs) if d not in links)
                continue
        dirs = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.lower().endswith(_VIDEO_SUFFIXES):  # no call for an NFO, an image
                continue
            if top + os.sep + name in paths:
                continue
            stem, ext = os.path.splitext(name)
            if name.startswith(".") or ext.lower() not in walk.VIDEO_EXTENSIONS:
                continue
            if (top, stem) in ours:
                continue
            rel = Path(top, name).relative_to(folder).as_posix()
            if kodi_adds_episode(f"{folder.name}/{rel}"):
                add(rel, EXTRA)
        pending.extend(os.path.join(top, d) for d in reversed(dirs) if d not in links)
    return found
