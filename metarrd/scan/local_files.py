"""What the user already has beside a movie: its NFO and its artwork, by the names Kodi, Jellyfin
and Plex use. Artwork found here is copied into the cache (source `library`) so nothing the user
had can be lost when a later publish replaces it."""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from metarrd import cache
from metarrd.atomic import TEMP_MARKER, ensure_dir
from metarrd.config import Config
from metarrd.files import (
    MAX_FILE_BYTES,
    copy_regular,
    display,
    is_utf8,
    kind_of,
    link_target_outside,
)
from metarrd.imaging import ImageInfo, ImageRejected, analyse_image
from metarrd.jellyfin_names import is_version
from metarrd.paths import folded
from metarrd.scratch import scratch_file
from metarrd.walk import FoundVideo, is_skipped_folder, is_video_path, stacked_title

log = logging.getLogger(__name__)


class Place(Protocol):
    """Where an item's video lives, which is all its file names depend on: a scan's FoundVideo,
    or a recorded item's `VideoPlace`."""

    path: Path
    parts: tuple[Path, ...]
    is_disc: bool


@dataclass(frozen=True)
class VideoPlace:
    path: Path
    parts: tuple[Path, ...] = ()
    is_disc: bool = False

    @classmethod
    def of(cls, item) -> VideoPlace:
        """A recorded item's place (`db.Movie`: path and parts as text)."""
        return cls(Path(item.path), tuple(Path(p) for p in item.parts or []), item.is_disc)


IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".tbn", ".gif"}

# Names (without <base>- prefix, lower-cased) mapped to Kodi asset types; a movie's or a
# show's poster also by the name the players read for that kind alone (`KIND_POSTERS`).
TYPE_ALIASES = {
    "poster": "poster",
    "folder": "poster",
    "cover": "poster",
    "default": "poster",
    "fanart": "fanart",
    "backdrop": "fanart",
    "background": "fanart",
    "clearlogo": "clearlogo",
    "logo": "clearlogo",
    "clearart": "clearart",
    "discart": "discart",
    "disc": "discart",
    "cdart": "discart",
    "banner": "banner",
    "landscape": "landscape",
    "keyart": "keyart",
    "thumb": "thumb",
}
# Jellyfin's LocalImageProvider (PopulatePrimaryImages: `movie` for a Video that is no Episode,
# `show` for a Series) and Plex's Local Media Assets: `show.jpg` is a show's poster, never a
# movie's; `movie.jpg` a movie's, never a show's
KIND_POSTERS = {"movie": "movie", "show": "show"}
_NAME_RE = re.compile(r"^(?P<type>[a-z]+)(?:-?(?P<n>\d{1,2}))?$")


@dataclass(frozen=True)
class LocalArtwork:
    path: Path
    asset_type: str
    rank: int  # 1 = the main one of its type
    info: ImageInfo
    cache_path: Path
    # the file's (size, mtime_ns) when it was read: a scan that finds them again does not read
    # and decode it again (scan.tv._show_artwork)
    seen: tuple[int, int] | None = None


def movie_folder(video: Place) -> Path:
    """The folder that holds the movie's NFO and artwork."""
    p = video.path
    if video.is_disc:
        if p.name.upper() in ("VIDEO_TS", "BDMV"):
            return p.parent
        return p
    return p.parent


def base_name(video: Place) -> str:
    """`<base>` of docs/kodi-layout.md §1.1: the video's name without extension (the folder's name for discs)."""
    if video.is_disc:
        return movie_folder(video).name
    return video.path.stem


def art_base_name(video: Place) -> str:
    """`<base>` of the artwork names Kodi reads (docs/kodi-layout.md §1.1, §5):

    - a disc (`VIDEO_TS`/`BDMV`): `""`, no base at all. Kodi's art base is the movie folder
      itself, so it reads only bare names there (`poster.jpg`, `fanart1.jpg`) and drops
      `<folder>-poster.jpg` (seen with a real Kodi 20.1);
    - a stack of files in one folder: the stacked title Kodi looks under (`Heat (1995) cd1.mkv`
      + `cd2.mkv` -> `Heat (1995)`: `Heat (1995)-poster.jpg`; `walk.stacked_title`);
    - anything else: `base_name`.
    """
    if video.is_disc:
        return ""
    return _stacked_base(video) or base_name(video)


def _stacked_base(video: Place) -> str | None:
    """The stacked title of a stack of files in one folder, without extension; None for
    anything else, and for a stack whose stacked title would leave no name (`cd1.avi`,
    `cd2.avi`: it keeps the first part's name)."""
    parts = video.parts
    if video.is_disc or len(parts) < 2 or len({p.parent for p in parts}) != 1:
        return None
    title = stacked_title([p.name for p in parts])
    stem = title.rsplit(".", 1)[0] if title else ""  # Kodi: URIUtils::ReplaceExtension
    return stem if stem.strip(" ._-") and stem != base_name(video) else None


def stack_nfo_name(video: Place) -> str | None:
    """The stacked title's NFO name (`Heat (1995).nfo`), Kodi's second choice for a stack after
    the first part's; None when the movie is not a stack with a stacked title of its own."""
    base = _stacked_base(video)
    return f"{base}.nfo" if base else None


def has_own_folder(video: Place, roots: Iterable[str | os.PathLike[str]] = ()) -> bool:
    """True when the movie is alone in its folder (so bare names like poster.jpg are its own),
    or one of the versions of the film the folder holds alone (`versions_of_one_film`: the
    bare names and `movie.nfo` are the film's, each version's). Never in a library's own
    folder (`roots`): Kodi scans a source's folder with `parent_name_root` off (VideoDatabase
    GetScraperForPath), no `movie.nfo` nor folder art is read there, and its bare names are
    the whole library's."""
    if video.is_disc:
        return True
    folder = video.path.parent
    if _is_root(folder, roots):
        return False
    parts = {str(p) for p in video.parts} | {str(video.path)}
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.path in parts or entry.name.startswith("."):
                    continue
                if entry.is_file() and is_video_path(Path(entry.path)):
                    return versions_of_one_film(video, roots)
    except OSError:
        return False
    return True


def versions_of_one_film(video: Place, roots: Iterable[str | os.PathLike[str]] = ()) -> bool:
    """True when `video` is one of the versions of the film whose folder holds it, and the
    folder holds nothing else (`Heat (1995)/Heat (1995) - 1080p.mkv` beside `Heat (1995) -
    2160p.mkv`, `Heat (1995).mkv` beside `Heat (1995) [Director's Cut].mkv`): every video file
    there named as Jellyfin names a version (`jellyfin_names.is_version`). Jellyfin makes one
    movie of them, in no mixed folder, and reads (and writes) its `movie.nfo`; Kodi reads that
    for each of them with "Movies are in separate folders" (VideoTagLoaderNFO FindNFO). Never a
    disc, a stack, nor a file in a library's own folder."""
    if video.is_disc or len(video.parts) > 1:
        return False
    folder = video.path.parent
    if _is_root(folder, roots) or not is_version(folder.name, video.path.name):
        return False
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith(".") or entry.path == str(video.path):
                    continue
                video_file = entry.is_file() and is_video_path(Path(entry.path))
                if video_file and not is_version(folder.name, entry.name):
                    return False
    except OSError:
        return False
    return True


def _is_root(folder: Path, roots: Iterable[str | os.PathLike[str]]) -> bool:
    return os.path.normpath(folder) in {os.path.normpath(r) for r in roots}


def find_nfo(
    video: FoundVideo, roots: Iterable[str | os.PathLike[str]] = (), own: bool | None = None
) -> Path | None:
    """The user's NFO for `video` (docs/kodi-layout.md §1.5). `roots`: the libraries' folders,
    whose `movie.nfo` is no movie's (`has_own_folder`: a folder of one film's versions is
    theirs); `own`: `has_own_folder`'s answer,
    when the caller has it (a probe asks it once, for the artwork too)."""
    roots = list(roots)
    folder = movie_folder(video)
    base = base_name(video)
    candidates = [folder / f"{base}.nfo"]
    stack_nfo = stack_nfo_name(video)  # Kodi: the first part's NFO, then the stacked title's
    if stack_nfo:
        candidates.append(folder / stack_nfo)
    if video.is_disc:
        candidates += [
            disc_file(folder, "VIDEO_TS/VIDEO_TS.nfo"),
            disc_file(folder, "BDMV/index.nfo"),
            # Kodi's first for a DVD's files in the folder itself (`<dir>/VIDEO_TS.IFO`), and the
            # names tinyMediaManager gives a disc's NFO in its folder (FILENAME_NFO)
            disc_file(folder, "VIDEO_TS.nfo"),
            disc_file(folder, "index.nfo"),  # Kodi's first for a Blu-ray's (`<dir>/index.bdmv`)
            disc_file(folder, "BDMV.nfo"),
            folder / "movie.nfo",
        ]
    else:
        above = _nfos_above(video)
        candidates += above[:-1]
        if has_own_folder(video, roots) if own is None else own:
            candidates.append(folder / "movie.nfo")
        if (
            above
            and not _is_root(above[-1].parent, roots)  # first: no walk below a library's root
            and _is_alone_above(above[-1].parent, video)
        ):
            candidates.append(above[-1])
    for c in candidates:
        if nfo_present(c):
            return c
        # Kodi asks for the name as spelt, and a share that ignores case gives it in any letters
        if (spelt := in_other_letters(c)) is not None and nfo_present(spelt):
            return spelt
    return None


_LISTINGS: dict[str, tuple[int, tuple[str, ...]]] = {}  # folder -> (its mtime, its names)
_LISTINGS_LOCK = threading.Lock()
_LISTINGS_KEPT = 256


def in_other_letters(path: Path) -> Path | None:
    """`path` as its folder lists it in other letters (`Heat (1995).NFO`, `MOVIE.NFO` for
    `Heat (1995).nfo`, `movie.nfo`) when nothing is there as spelt: a player reads it over a
    share that ignores case (Kodi on Windows; Kodi's own smb:// client, or any SMB client, of a
    NAS whose Samba looks names up without case), where metarrd sees the folder as its disk
    has it, case-sensitive (on the NAS itself, or over NFS). The first such name in code point
    order; None when there is none. Each folder's names are listed once while it is unchanged
    (its mtime): a first scan asks this of every movie without an NFO, many in one folder."""
    folder = str(path.parent)
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return None
    with _LISTINGS_LOCK:
        known = _LISTINGS.get(folder)
    if known is None or known[0] != mtime:
        try:
            names = tuple(sorted(os.listdir(folder)))
        except OSError:
            return None
        with _LISTINGS_LOCK:
            if len(_LISTINGS) >= _LISTINGS_KEPT:
                _LISTINGS.pop(next(iter(_LISTINGS)))
            _LISTINGS[folder] = (mtime, names)
    else:
        names = known[1]
    key = folded(path.name)
    return next((path.parent / n for n in names if n != path.name and folded(n) == key), None)


def _nfos_above(video: Place) -> list[Path]:
    """The NFOs Kodi reads for a video in a `cd1` folder, or a stack of parts in folders of
    their own (`Heat (1995)/CD1/`, `CD2/`), in the movie folder above them, with its
    `movie.nfo` last; none for anything else. Kodi's FindNFO (VideoTagLoaderNFO.cpp) leaves
    out a trailing `cd1` folder and looks for the first part's name there, then for a stack
    the stacked title's NFO in the folder common to its parts (`GetStackedTitlePath` under
    `URIUtils::GetParentPath` of the stack), the name Kodi's own library export writes a
    stack's NFO under (CVideoDatabase::ExportToXML)."""
    parts = video.parts
    first = parts[0]
    found = []
    if first.parent.name.casefold().endswith("cd1"):  # Kodi: EndsWithNoCase(path, "cd1")
        found.append(first.parent.parent / f"{first.stem}.nfo")
    home = _folder_stack_home(video)
    if home is not None and home[1]:
        found.append(home[0] / f"{home[1]}.nfo")
    if found:
        found.append(found[-1].parent / "movie.nfo")
    return list(dict.fromkeys(found))


def _folder_stack_home(video: Place) -> tuple[Path, str] | None:
    """For a stack of parts in folders of their own (`Heat (1995)/CD1/Heat (1995) cd1.avi` +
    `CD2/...`): the folder common to the parts, where Kodi looks for the stack's art and
    second-choice NFO (`URIUtils::GetParentPath` of a `stack://` path), and the stacked title's
    name without extension there (`Heat (1995)`; "" when its names give none). None for
    anything else."""
    parts = video.parts
    folders = {str(p.parent) for p in parts}
    if video.is_disc or len(folders) < 2:
        return None
    title = stacked_title([p.name for p in parts])
    stem = title.rsplit(".", 1)[0] if title else ""  # Kodi: URIUtils::ReplaceExtension
    return Path(os.path.commonpath(sorted(folders))), stem if stem.strip(" ._-") else ""


def folder_stack_art(
    video: Place, roots: Iterable[str | os.PathLike[str]] = ()
) -> tuple[Path, str, bool] | None:
    """Where a folder stack's artwork goes (`Heat (1995)/CD1/Heat (1995) cd1.avi` + `CD2/...`):
    the movie folder above its parts, where Kodi reads it (ArtUtils GetLocalArtBaseFilename:
    the stack's parent path); the `<base>` of its names there: the stacked title
    (`Heat (1995)`: `Heat (1995)-poster.jpg`), or "" for bare names (`poster.jpg`, Kodi's
    folder art) when the names give no stacked title; and whether that folder is the movie's
    alone (`_is_alone_above`: its bare names are the movie's; a library's own folder in
    `roots` never is, and is not walked). None for anything else (the art then goes beside
    the NFO), and for a folder stack with neither name there."""
    home = _folder_stack_home(video)
    if home is None:
        return None
    alone = not _is_root(home[0], roots) and _is_alone_above(home[0], video)
    return (*home, alone) if home[1] or alone else None


def ledger_folder(video: Place) -> Path:
    """The folder holding every file PUBLISH writes for the movie, whose ledger rows follow it
    when it moves (`renames.carry_ledger`): the movie folder, or for a folder stack the one
    above its parts, where its art goes (`folder_stack_art`)."""
    home = _folder_stack_home(video)
    return movie_folder(video) if home is None else home[0]


def _is_alone_above(folder: Path, video: Place) -> bool:
    """Is `folder`, above the `CD1/`... folders of `video`'s parts, the movie's alone: no video
    file of its own, and no other movie in a folder below it that the walk enters (not the
    parts', nor extras, samples or hidden ones), at any depth? Its bare names and `movie.nfo`
    are then the movie's, as Kodi takes them; a category folder's (`Movies/Action/CD1/`,
    `CD2/` beside `Movies/Action/Ronin (1998)/`) are its own, and a bare name published there
    would be every movie's below it. A symlinked folder counts as the library walk may follow
    it (`follow_symlinks`, or a link to another library's folder): a category folder whose
    only other movie is a linked folder is not the stack's alone (each link's target once;
    one leading back into `folder` or above it is seen already)."""
    if _holds_video(folder):
        return False
    parts = {os.path.normpath(p.parent) for p in video.parts}
    seen = [os.path.realpath(folder)]  # the real folders walked: what is inside is seen
    for top, dirs, files in os.walk(folder, followlinks=True):
        next_to = top == str(folder)
        kept = []
        for d in dirs:
            path = os.path.join(top, d)
            if os.path.normpath(path) in parts or is_skipped_folder(d, next_to_movie=next_to):
                continue
            if os.path.islink(path):
                real = os.path.realpath(path)
                if any(_within(real, s) or _within(seen[0], real) for s in seen):
                    continue  # walked already, or a loop back up
                seen.append(real)
            kept.append(d)
        dirs[:] = kept
        if not next_to and any(is_video_path(Path(top, f)) for f in files):
            return False
    return True


def _within(path: str, folder: str) -> bool:
    """Is real path `path` `folder` or inside it?"""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _holds_video(folder: Path) -> bool:
    """Does `folder` hold a video file of its own (not in a subfolder)? Its `movie.nfo` is then
    not the movie's below it."""
    try:
        with os.scandir(folder) as it:
            return any(e.is_file() and is_video_path(Path(e.path)) for e in it)
    except OSError:
        return True


def disc_file(folder: Path, rel: str) -> Path:
    """`folder/rel` (`VIDEO_TS/VIDEO_TS.nfo`) as spelled on disk when only the letter case
    differs (`video_ts/video_ts.nfo`: a disc copied off a Linux mount, whose iso9660 driver
    lower-cases names), which Kodi reads over a share that ignores case; as given when there
    is none."""
    path = folder
    for name in rel.split("/"):
        try:
            listed = sorted(os.listdir(path))
        except OSError:
            listed = []
        if name not in listed:
            name = next((n for n in listed if n.upper() == name.upper()), name)
        path = path / name
    return path


def nfo_present(path: Path) -> bool:
    """Whether an NFO is at `path`, to be read or to be reported: a regular file, or a FIFO, a
    device or a socket, whose reading refuses it with the reason, as the item's error (it was
    passed over in silence); not a folder, a dangling link, or a name too long to exist (the
    `<base>.nfo` of a 252-byte `<base>.ts`). `os.stat` does not open: a FIFO cannot block it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
            return False
        raise
    return not stat.S_ISDIR(st.st_mode)


def refused_link(path: Path, config: Config) -> str | None:
    """Why the user's NFO or image at `path` is not read: it is a symlink whose target lies
    outside every configured library, and its library does not set `follow_symlinks` (the rule
    of symlinked folders); None when it may be read. What it leads to is never opened, so
    nothing of it reaches the database, the UI or the cache."""
    target = link_target_outside(path, config.library)
    if target is None:
        return None
    return (
        f"{display(path)} is a symbolic link to {display(target)}, outside every configured "
        "library: not read (set follow_symlinks = true for this library to follow it)"
    )


def classify_image(
    name: str, base: str, own_folder: bool, kind: str = "movie"
) -> tuple[str, int] | None:
    """(asset type, rank) for an image file name, or None when it is not artwork of an item of
    this `kind` ("movie"; "show": a show folder's own art; "episode": beside an episode's
    video, where no player reads `<episode>-movie.jpg` nor `<episode>-show.jpg`, and
    `<episode>.jpg` is its thumb: an episode has no poster, and what Jellyfin's
    EpisodeLocalImageProvider, Kodi and Plex read for its image is `<episode>.jpg` or
    `<episode>-thumb.jpg` alone, never `<episode>-poster.jpg`). `base` ""
    (a disc's art base, `art_base_name`) stands for bare names only."""
    stem, ext = os.path.splitext(name)
    if ext.lower() not in IMAGE_EXTS or name.startswith((".", TEMP_MARKER)):
        return None
    if not base:
        rest = stem
    elif stem == base:  # <base>.jpg / <base>.tbn: Kodi's thumb, Jellyfin's primary image
        return ("thumb" if kind == "episode" else "poster", 1)
    elif stem.startswith(base + "-"):
        rest = stem[len(base) + 1 :]
    elif own_folder:
        rest = stem
    else:
        return None
    m = _NAME_RE.match(rest.lower())
    if not m:
        return None
    n = int(m.group("n")) if m.group("n") else 0
    if m.group("type") == KIND_POSTERS.get(kind):
        return "poster", n + 1
    if m.group("type") not in TYPE_ALIASES:
        return None
    return TYPE_ALIASES[m.group("type")], n + 1


def find_local_artwork(
    video: FoundVideo,
    config: Config,
    *,
    is_ours: Callable[[Path], bool],
    errors: list[str] | None = None,
    own: bool | None = None,
) -> list[LocalArtwork]:
    """Analyse and cache the user's artwork for `video`; corrupt images are logged and skipped.
    An image linked out of every library (`refused_link`) is not read: its reason goes to
    `errors` (the item's), or the log without one. `own`: `has_own_folder`'s answer, when the
    caller has it."""
    folder = movie_folder(video)
    # a stack's art is under its stacked title, a disc's has bare names (what Kodi reads);
    # images named after a stack's first part or a disc's folder (what Jellyfin and older tools
    # used) are the user's too
    bases = dict.fromkeys([art_base_name(video), base_name(video)])
    roots = [lib.path for lib in config.library]
    own = has_own_folder(video, roots) if own is None else own
    found: list[tuple[Path, str, int]] = []
    with os.scandir(folder) as it:
        for entry in it:
            kind = next(filter(None, (classify_image(entry.name, b, own) for b in bases)), None)
            if not kind:
                continue
            if (odd := not_a_file(entry)) is not None:  # a FIFO named -poster.jpg: never read
                _said(errors, odd)
            elif entry.is_file():
                found.append((Path(entry.path), *kind))
    if (home := _folder_stack_home(video)) is not None:
        # a folder stack's: Kodi reads its art in the folder above its parts, under the stacked
        # title (what Kodi's library export writes) and, there alone, bare (ArtUtils
        # GetLocalArtBaseFilename)
        above, stem = home
        # bare names in a library's own folder are the whole library's (`publish` writes none)
        alone = not _is_root(above, roots) and _is_alone_above(above, video)
        if stem or alone:
            with os.scandir(above) as it:
                for entry in it:
                    if entry.is_file() and (kind := classify_image(entry.name, stem, alone)):
                        found.append((Path(entry.path), *kind))
    extra = folder / "extrafanart"
    names: list[str] = []
    if own and not extra.is_symlink():
        try:
            with os.scandir(extra) as it:
                names = sorted(e.name for e in it if e.is_file())  # no FIFOs, devices, folders
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:  # made 0700 by a tool running as another user: the rest is read
            _said(errors, f"{display(extra)}: cannot list the folder ({exc.strerror})")
    for i, name in enumerate(names):
        if Path(name).suffix.lower() in IMAGE_EXTS and not name.startswith("."):
            found.append((extra / name, "fanart", 100 + i))
    result = []
    for path, asset_type, rank in sorted(found):
        if not is_utf8(path):
            log.warning("%s: existing artwork skipped: the name is not UTF-8", display(path))
            continue
        if is_ours(path):
            continue
        if (refused := refused_link(path, config)) is not None:
            _said(errors, refused)
            continue
        try:
            info, cached = _import(config, path, asset_type)
        except ImageRejected as exc:  # a truncated download, an HTML page: the item's error
            _said(errors, f"{display(path)}: existing artwork skipped: {exc}")
            continue
        except OSError as exc:  # mode 000, 0600 of another user: the item's error
            _said(errors, f"{display(path)}: existing artwork unreadable: {exc.strerror}")
            continue
        result.append(LocalArtwork(path, asset_type, rank, info, cached))
    return result


def not_a_file(entry: os.DirEntry[str]) -> str | None:
    """Why the user's image at `entry` (named as one) is not read: it is a FIFO, a device or a
    socket (or a symlink to one), not a regular file; None for a regular file, a folder, or a
    link that leads nowhere. `os.stat` does not open: a FIFO cannot block it."""
    try:
        st = os.stat(entry.path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return f"{display(entry.path)}: {kind_of(st.st_mode)}, not a regular file; skipped"


def _said(errors: list[str] | None, problem: str) -> None:
    """A problem of the item's artwork: its error (logged with the item), or the log's."""
    if errors is None:
        log.warning("%s", problem)
    else:
        errors.append(problem)


def _import(config: Config, path: Path, asset_type: str) -> tuple[ImageInfo, Path]:
    """Copy a library image once (checked to be a regular file, size-capped) into our temp
    folder, analyse the copy and move it into the cache: the library file is opened only here."""
    ensure_dir(config.tmp_dir)
    fd, name = scratch_file(config.tmp_dir)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            copy_regular(path, out, MAX_FILE_BYTES, inside=config.library)
        info = analyse_image(tmp, max_pixels=config.artwork.max_pixels)
        return info, cache.move_into(config.cache_dir, asset_type, tmp, info)
    finally:
        tmp.unlink(missing_ok=True)
