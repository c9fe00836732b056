"""Find the movies in a library folder: one fast `os.scandir` walk, no database, no MediaInfo.

A movie is a video file, a stack of parts (`cd1`/`cd2`, `part1`/`part2`... by Kodi's default
stacking rules), or a DVD/Blu-ray folder structure (VIDEO_TS, BDMV). Samples, trailers, extras
folders (Kodi/Plex/Jellyfin names), hidden and NAS housekeeping entries and our own temp files
are not movies. Unreadable folders are reported through `on_error` and skipped: the walk never
raises for what it finds on disk.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from metarrd.files import display, is_utf8
from metarrd.paths import is_inside

log = logging.getLogger(__name__)

TEMP_MARKER = ".metarrd-tmp-"
"""Prefix of every temp file metarrd writes in a library; the walk and the watcher ignore them."""

VIDEO_EXTENSIONS = frozenset(
    {
        ".mkv", ".mk3d", ".mp4", ".m4v", ".avi", ".divx", ".mov", ".wmv", ".asf", ".ts", ".mts",
        ".m2ts", ".webm", ".iso", ".mpg", ".mpeg", ".flv", ".ogv", ".ogm", ".rmvb", ".3gp",
    }
)  # fmt: skip
_VIDEO_SUFFIXES = tuple(sorted(VIDEO_EXTENSIONS))
DISC_FOLDERS = frozenset({"VIDEO_TS", "BDMV"})

# Folder names (NFC, casefolded) that never hold movies.
_JUNK_FOLDERS = frozenset(
    {
        "@eadir", "#recycle", "#snapshot", "@recycle", "@recently-snapshot", "@sharebin",
        "$recycle.bin", "recycler", "lost+found", "system volume information",
    }
)  # fmt: skip
_EXTRAS_FOLDERS = frozenset(
    {
        "extras", "extra", "featurettes", "featurette", "behind the scenes", "behindthescenes",
        "deleted scenes", "deletedscenes", "interviews", "trailers", "trailer", "samples",
        "sample", "extrafanart", "extrathumbs", "backdrops", "theme-music", "proof", "subs",
        "subtitles",
    }
)  # fmt: skip
# Extras names that are also plausible category folders ("Movies/Shorts/"): skipped only next
# to a movie of their own.
_MAYBE_EXTRAS_FOLDERS = frozenset({"scenes", "shorts", "other", "others", "clips", "specials"})

_SAMPLE = re.compile(r"(?:^|[-._])sample\d*(?:[-._]|$)", re.IGNORECASE)
_TRAILER = re.compile(r"-trailer|(?:^|[._])trailers?\d*(?:[-._]|$)", re.IGNORECASE)
_EXTRA_SUFFIX = re.compile(
    r"-(?:behindthescenes|deleted|deletedscene|featurette|interview|scene|short|other|extra"
    r"|clip|bts)\d*$",
    re.IGNORECASE,
)

# Kodi's default <moviestacking> expressions (AdvancedSettings.cpp): title, volume, ignore, ext.
_STACK_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"(.*?)([ _.-]*(?:cd|dvd|p(?:(?:ar)?t)|dis[ck])[ _.-]*[0-9]+)(.*?)(\.[^.]+)$",
        r"(.*?)([ _.-]*(?:cd|dvd|p(?:(?:ar)?t)|dis[ck])[ _.-]*[a-d])(.*?)(\.[^.]+)$",
        r"(.*?)([ ._-]*[a-d])(.*?)(\.[^.]+)$",
    )
)
# Kodi's folder stacking ("Movie/CD1/movie.avi", "Movie/CD2/movie.avi"), with a separator allowed.
_FOLDER_STACK = re.compile(r"(?:cd|dvd|dis[ck])[ _.-]?([0-9]+)$", re.IGNORECASE)

ErrorCallback = Callable[[Path, str], None]


@dataclass(frozen=True)
class FoundVideo:
    """One movie on disk. `path` is the first part of a stack, or the folder holding a disc."""

    path: Path
    parts: tuple[Path, ...]
    size: int
    mtime_ns: int
    is_disc: bool = False


# --- names (pure) ---------------------------------------------------------------------------


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def is_hidden(name: str) -> bool:
    """Dot files and folders: `.actors`, `.@__thumb`, AppleDouble `._x`, our temp files."""
    return name.startswith(".")


def is_excluded_file(name: str) -> bool:
    """A file name that is never a movie: hidden, temp, sample, trailer or a `-featurette`..."""
    if is_hidden(name) or name.startswith(TEMP_MARKER):
        return True
    stem = os.path.splitext(name)[0]
    return bool(_SAMPLE.search(stem) or _TRAILER.search(stem) or _EXTRA_SUFFIX.search(stem))


def is_skipped_folder(name: str, next_to_movie: bool = True) -> bool:
    """A folder the walk does not enter: hidden, NAS junk, extras, samples, trailers.

    Names like "Shorts" or "Other" are only extras next to a movie (`next_to_movie`); elsewhere
    they are a user's category folder.
    """
    folded = _fold(name)
    if is_hidden(name) or folded in _JUNK_FOLDERS or folded in _EXTRAS_FOLDERS:
        return True
    if _SAMPLE.search(name):
        return True
    return next_to_movie and folded in _MAYBE_EXTRAS_FOLDERS


def is_video_path(path: Path, root: Path | None = None) -> bool:
    """Does a change to this file matter to a movie (for the file watcher)? Pure: no disk access.

    True for video files the walk would take, and for the stream files of a disc structure
    (VIDEO_TS/*.VOB, BDMV/STREAM/*.m2ts). With `root`, the folders between root and the file
    are checked too (extras, hidden, junk); names like "Shorts" are not judged without a listing.
    """
    path = Path(path)
    ext = path.suffix.lower()
    parent = path.parent.name.upper()
    if ext == ".vob":
        wanted = parent == "VIDEO_TS" and not is_hidden(path.name)
    elif ext in {".m2ts", ".mts"} and parent == "STREAM":
        wanted = path.parent.parent.name.upper() == "BDMV" and not is_hidden(path.name)
    else:
        wanted = ext in VIDEO_EXTENSIONS and not is_excluded_file(path.name)
    if not wanted:
        return False
    if root is None:
        return True
    try:
        folders = path.relative_to(root).parts[:-1]
    except ValueError:
        return False
    return not any(is_skipped_folder(name, next_to_movie=False) for name in folders)


def natural_key(name: str) -> tuple:
    """Sort key: case-insensitive, numbers by value ("cd2" before "cd10")."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", _fold(name)))


def stack_names(names: Sequence[str]) -> list[tuple[str, ...]]:
    """Group sorted file names into stacks by Kodi's default rules; singletons stay alone.

    Parts of a stack are consecutive in `names`, share title, "ignore" part and extension, and
    differ in volume ("cd1"/"cd2", "part1"/"part2", "a"/"b").
    """
    groups: list[tuple[str, ...]] = []
    i = 0
    while i < len(names):
        length = _stack_length(names, i)
        groups.append(tuple(names[i : i + length]))
        i += length
    return groups


def _stack_length(names: Sequence[str], i: int) -> int:
    first = unicodedata.normalize("NFC", names[i])
    for pattern in _STACK_PATTERNS:
        offset = 0
        while True:
            m1 = pattern.search(first, offset)
            if m1 is None:
                break
            title, volume, ignore, ext = _parts(first, m1)
            length, retry = 1, None
            for other in names[i + 1 :]:
                other = unicodedata.normalize("NFC", other)
                m2 = pattern.search(other, offset)
                if m2 is None:
                    break
                title2, volume2, ignore2, ext2 = _parts(other, m2)
                if title2 != title:
                    break
                if volume2 == volume:
                    if ignore2 != ignore:  # matched too early in the name: look further on
                        retry = m2.start(3)
                    break
                if ignore2 != ignore or ext2 != ext:  # a sequel, not a part
                    break
                length += 1
            if length > 1:
                return length
            if retry is None:
                break
            offset = retry
    return 1


def stacked_title(names: Sequence[str]) -> str | None:
    """The name Kodi gives a stack of files (`CStackDirectory::GetStackedTitlePath`): title, the
    "ignore" part and extension of the first part, volume left out, from the first two names.

    `("Heat (1995) cd1.mkv", "Heat (1995) cd2.mkv")` -> `"Heat (1995).mkv"`; Kodi looks for a
    stack's artwork (and its second-choice NFO) under this name. None for anything that is not a
    stack by Kodi's default rules. The first name's own spelling (case, Unicode form) is kept.
    """
    if len(names) < 2:
        return None
    first, second = names[0], names[1]
    for pattern in _STACK_PATTERNS:
        offset = 0
        while True:
            m1, m2 = pattern.search(first, offset), pattern.search(second, offset)
            if m1 is None or m2 is None:
                break
            title, volume, ignore, ext = (_nfc(p) for p in _parts(first, m1))
            title2, volume2, ignore2, ext2 = (_nfc(p) for p in _parts(second, m2))
            if title != title2:
                break
            if volume == volume2:  # matched too early in the name: look further on
                offset = m2.start(3)
                continue
            if ignore != ignore2 or ext != ext2:
                return None  # Kodi: "invalid stack"
            return first[: m1.start(2)] + m1.group(3) + m1.group(4)
    return None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _parts(name: str, match: re.Match[str]) -> tuple[str, str, str, str]:
    return (
        name[: match.start(2)].casefold(),
        match.group(2).casefold(),
        match.group(3).casefold(),
        match.group(4).casefold(),
    )


# --- the walk (I/O) -------------------------------------------------------------------------


def walk_library(
    root: Path,
    on_error: ErrorCallback | None = None,
    *,
    inside: Sequence[Path] = (),
    follow_symlinks: bool = False,
    known: Set[str] | None = None,
) -> Iterator[FoundVideo]:
    """Every movie under `root`, folder by folder in name order.

    Folders that cannot be read, and videos whose name is not valid UTF-8 (it could not be
    stored), are logged and passed to `on_error(path, reason)`, then skipped. A symlinked folder
    is followed once (loops are cut) when its target lies inside `root` or one of the folders
    `inside` (the other libraries), or anywhere with `follow_symlinks`. `known`: paths of
    single-file movies found before (a rescan); their names and folders were judged then, so a
    folder whose only video is one of them costs a listing and a stat, no name rules.
    """
    known = known or frozenset()
    known_dirs = {os.path.dirname(p) for p in known}
    root = Path(root)
    report = _Reporter(on_error)
    allowed = [os.path.realpath(p) for p in (root, *inside)]
    try:
        root_stat = root.stat()
    except OSError as exc:
        report(root, _reason(exc))
        return
    if not root.is_dir():
        report(root, "not a folder")
        return
    seen = {(root_stat.st_dev, root_stat.st_ino)}
    pending = [root]
    while pending:
        folder = pending.pop()
        entries = _scan(folder, report)
        if entries is None:
            continue
        movies, subfolders = _classify(folder, entries, report, known, known_dirs)
        for movie in movies:
            if all(is_utf8(p) for p in (movie.path, *movie.parts)):
                yield movie
            else:
                report(movie.path, NOT_UTF8)
        if not follow_symlinks:
            subfolders = [d for d in subfolders if _may_follow(d, allowed)]
        pending.extend(reversed(_unseen(subfolders, seen)))


NOT_UTF8 = (
    "the name is not valid UTF-8 (a Latin-1 name from an old share?), so it cannot be stored: "
    "rename it, e.g. `convmv -f latin1 -t utf-8 -r --notest <folder>`"
)


def _may_follow(entry: os.DirEntry[str], allowed: list[str]) -> bool:
    """A real folder, or a symlinked one whose target lies inside a library."""
    try:
        if not entry.is_symlink():
            return True
    except OSError:
        return False
    target = os.path.realpath(entry.path)
    if any(is_inside(target, folder) for folder in allowed):
        return True
    log.warning(
        "library walk: %s is a symlink to %s, outside every library: not followed "
        "(set follow_symlinks = true for this library to follow it)",
        display(entry.path),
        display(target),
    )
    return False


class _Reporter:
    def __init__(self, on_error: ErrorCallback | None):
        self.on_error = on_error

    def __call__(self, path: Path, reason: str) -> None:
        log.warning("library walk: skipped %s: %s", display(path), reason)
        if self.on_error is not None:
            try:
                self.on_error(path, reason)
            except Exception:
                log.exception("library walk: on_error callback failed for %s", display(path))


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "folder not found"
    return exc.strerror or str(exc)


def _scan(folder: Path, report: _Reporter) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
        return entries if len(entries) < 2 else sorted(entries, key=lambda e: natural_key(e.name))
    except OSError as exc:
        report(folder, _reason(exc))
        return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _classify(
    folder: Path,
    entries: list[os.DirEntry[str]],
    report: _Reporter,
    known: Set[str] = frozenset(),
    known_dirs: Set[str] = frozenset(),
) -> tuple[list[FoundVideo], list[os.DirEntry[str]]]:
    """The movies directly in `folder`, and the subfolders still to walk."""
    dirs = [e for e in entries if _is_dir(e)]
    files = [e for e in entries if _is_file(e)]
    movies: list[FoundVideo] = []

    is_disc_folder = folder.name.upper() in DISC_FOLDERS
    if (
        is_disc_folder
        or any(d.name.upper() in DISC_FOLDERS for d in dirs)
        or any(f.name.upper() == "VIDEO_TS.IFO" for f in files)
    ):
        movies.append(_disc(folder, dirs, files, report))
    if is_disc_folder:
        return movies, []

    videos = [f for f in files if f.name.lower().endswith(_VIDEO_SUFFIXES)]
    if len(videos) == 1 and videos[0].path in known:  # judged at an earlier scan
        found = _found(videos, report)
        movies.extend([found] if found is not None else [])
    else:
        videos = [f for f in videos if not is_excluded_file(f.name)]
        by_name = {f.name: f for f in videos}
        for group in stack_names([f.name for f in videos]):
            found = _found([by_name[name] for name in group], report)
            if found is not None:
                movies.append(found)

    seen_before = [d for d in dirs if d.path in known_dirs]  # a known movie's own folder
    walkable = [
        d
        for d in dirs
        if d.path not in known_dirs
        and d.name.upper() not in DISC_FOLDERS
        and not is_skipped_folder(d.name, False)
    ]
    stacked, walkable = _folder_stacks(folder, walkable, report)
    if seen_before:  # back in listing order
        keep = {d.path for d in walkable} | {d.path for d in seen_before}
        walkable = [d for d in dirs if d.path in keep]
    movies.extend(stacked)
    next_to_movie = bool(movies)
    walkable = [d for d in walkable if not (next_to_movie and is_skipped_folder(d.name, True))]
    return movies, walkable


def _found(entries: list[os.DirEntry[str]], report: _Reporter) -> FoundVideo | None:
    try:
        stats = [e.stat() for e in entries]
    except FileNotFoundError:  # vanished between listing and stat: not an error
        return None
    except OSError as exc:
        report(Path(entries[0].path), _reason(exc))
        return None
    parts = tuple(Path(e.path) for e in entries)
    return FoundVideo(
        path=parts[0],
        parts=parts,
        size=sum(s.st_size for s in stats),
        mtime_ns=max(s.st_mtime_ns for s in stats),
    )


def _disc(
    folder: Path,
    dirs: list[os.DirEntry[str]],
    files: list[os.DirEntry[str]],
    report: _Reporter,
) -> FoundVideo:
    """A DVD/Blu-ray structure in `folder`; size and mtime are those of its stream files.

    `folder` holds VIDEO_TS or BDMV, holds VIDEO_TS.IFO itself, or is VIDEO_TS/BDMV (as a root).
    """
    streams: list[os.DirEntry[str]] = []
    own_name = folder.name.upper()
    if own_name == "VIDEO_TS" or any(f.name.upper() == "VIDEO_TS.IFO" for f in files):
        streams += [f for f in files if _is_vob(f)]
    for sub in dirs:
        name = sub.name.upper()
        if name == "VIDEO_TS":
            streams += [e for e in _scan(Path(sub.path), report) or [] if _is_vob(e)]
        elif name == "BDMV":
            streams += [e for e in _scan_quiet(Path(sub.path) / "STREAM") if _is_m2ts(e)]
        elif name == "STREAM" and own_name == "BDMV":
            streams += [e for e in _scan_quiet(Path(sub.path)) if _is_m2ts(e)]
    stats = []
    for entry in streams:
        try:
            stats.append(entry.stat())
        except OSError:
            continue
    return FoundVideo(
        path=folder,
        parts=(folder,),
        size=sum(s.st_size for s in stats),
        mtime_ns=max((s.st_mtime_ns for s in stats), default=_mtime_ns(folder)),
        is_disc=True,
    )


def _scan_quiet(folder: Path) -> list[os.DirEntry[str]]:
    """Listing of an optional folder (BDMV/STREAM): a missing one is not worth a warning."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _is_vob(entry: os.DirEntry[str]) -> bool:
    return entry.name.lower().endswith(".vob") and _is_file(entry)


def _is_m2ts(entry: os.DirEntry[str]) -> bool:
    return entry.name.lower().endswith((".m2ts", ".mts")) and _is_file(entry)


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _folder_stacks(
    folder: Path, dirs: list[os.DirEntry[str]], report: _Reporter
) -> tuple[list[FoundVideo], list[os.DirEntry[str]]]:
    """`Movie/CD1/x.avi` + `Movie/CD2/y.avi` -> one stacked movie, when each holds one video."""
    groups: dict[str, list[tuple[int, os.DirEntry[str]]]] = {}
    for d in dirs:
        match = _FOLDER_STACK.search(d.name)
        if match:
            prefix = _fold(d.name[: match.start()]).strip(" _.-")
            groups.setdefault(prefix, []).append((int(match.group(1)), d))
    stacked: list[FoundVideo] = []
    consumed: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda pair: pair[0])
        singles = [_single_video(Path(d.path)) for _, d in members]
        if any(single is None for single in singles):
            continue
        found = _found([s for s in singles if s is not None], report)
        if found is not None:
            stacked.append(found)
            consumed.update(d.path for _, d in members)
    return stacked, [d for d in dirs if d.path not in consumed]


def _single_video(folder: Path) -> os.DirEntry[str] | None:
    """The only video file of a `CDn` folder (no disc, no subfolder with videos), else None."""
    entries = _scan_quiet(folder)
    if any(e.name.upper() in DISC_FOLDERS for e in entries):
        return None
    videos = [
        e
        for e in entries
        if e.name.lower().endswith(_VIDEO_SUFFIXES) and not is_excluded_file(e.name) and _is_file(e)
    ]
    return videos[0] if len(videos) == 1 else None


def _unseen(dirs: list[os.DirEntry[str]], seen: set[tuple[int, int]]) -> list[Path]:
    """Subfolders not walked yet (a symlink back to an ancestor would loop forever)."""
    fresh: list[Path] = []
    for d in dirs:
        try:
            st = d.stat()
        except OSError:
            continue  # vanished, or a dangling symlink
        key = (st.st_dev, st.st_ino)
        if key in seen:
            log.debug("library walk: %s already walked (symlink loop?), skipped", display(d.path))
            continue
        seen.add(key)
        fresh.append(Path(d.path))
    return fresh
