"""Find the movies in a library folder: one fast `os.scandir` walk, no database, no MediaInfo.

A movie is a video file, a stack of parts (`cd1`/`cd2`, `part1`/`part2`... by Kodi's default
stacking rules), or a DVD/Blu-ray folder structure (VIDEO_TS, BDMV). Samples, trailers, extras
folders (Kodi/Plex/Jellyfin names), hidden and NAS housekeeping entries, a folder holding a
`.nomedia` file (as Kodi) or an empty `.ignore` file (as Jellyfin), what a pattern of a
Jellyfin `.ignore` or a Plex `.plexignore` matches (`ignore_files`) and our own temp files are
not movies. Unreadable folders are reported through `on_error` and skipped: the walk never
raises for what it finds on disk.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import operator
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from pathlib import Path
from typing import NamedTuple

from metarrd import ignore_files
from metarrd.files import display, is_utf8, read_regular
from metarrd.paths import is_inside

log = logging.getLogger(__name__)

TEMP_MARKER = ".metarrd-tmp-"
"""Prefix of every temp file metarrd writes in a library; the walk and the watcher ignore them."""

VIDEO_EXTENSIONS = frozenset(
    {
        ".mkv", ".mk3d", ".mp4", ".m4v", ".avi", ".divx", ".xvid", ".mov", ".wmv", ".asf", ".ts",
        ".mts", ".m2ts", ".m2t", ".tp", ".webm", ".mpg", ".mpeg", ".flv", ".f4v", ".ogv", ".ogm",
        ".rmvb", ".rm", ".3gp", ".3g2", ".qt", ".m2v", ".dv", ".nuv", ".wtv", ".dvr-ms", ".ty",
        ".nsv", ".pva", ".viv", ".vp3", ".svq3", ".bivx", ".fli",
        ".vob",  # a lone one, out of any DVD structure (a DVD's own are the disc's)
        ".iso", ".img", ".nrg",  # disc images
        ".strm",  # a stream's URL (Kodi, Jellyfin): a movie or episode without stream details
        ".disc",  # a media stub, a disc on the shelf (Kodi, Jellyfin): no stream details either
    }
)  # fmt: skip
# Kodi's and Jellyfin's video extensions both hold these (AdvancedSettings.cpp m_videoExtensions,
# Emby.Naming/Common/NamingOptions.cs VideoFileExtensions); not the ones whose name says
# nothing (`.bin`, `.dat`, `.001`, `.rec`) nor a playlist (`.asx`). A `.vob` is a video of its
# own out of a DVD structure, as both list it (Kodi's movie scan takes any file of a video
# extension its folder holds, VideoInfoScanner DoScan/RetrieveInfoForMovie; Jellyfin's
# VideoResolver.IsVideoFile): the VOBs in a VIDEO_TS folder, or beside a VIDEO_TS.IFO, are the
# disc's (Kodi's GetOpticalMediaPath makes their folder the disc, Jellyfin's IsDvdFile)
DISC_IMAGES = frozenset({".iso", ".img", ".nrg"})
"""Disc image files: MediaInfo may not look into one, which then has no stream details."""
NO_STREAMS = frozenset({".strm", ".disc"})
"""Videos that only point at one: a stream's URL (`.strm`), a media stub (`.disc`: Kodi's
`m_discStubExtensions`, Jellyfin's `StubFileExtensions`, an XML note of the disc on the
shelf). Never opened for stream details."""
_VIDEO_SUFFIXES = tuple(sorted(VIDEO_EXTENSIONS))
NO_MEDIA = ".nomedia"
"""A file whose presence keeps a folder and everything below it out of Kodi's scan
(CVideoInfoScanner::HasNoMedia); the walk honours it too, below a library's root."""
NO_MEDIA_RULE = "a folder holding a .nomedia file (Kodi does not scan it): not scanned"
IGNORE_FILE = ignore_files.JELLYFIN_FILE
"""Jellyfin's: an empty one (or blank) keeps its folder and everything below out of Jellyfin's
scan (DotIgnoreIgnoreRule); one with patterns ignores what they match (`ignore_files`), as
Plex's `.plexignore` does."""
IGNORE_RULE = "a folder holding an empty .ignore file (Jellyfin does not scan it): not scanned"
_MAX_IGNORE_BYTES = 64 * 1024
_MARKERS = frozenset({NO_MEDIA, *ignore_files.NAMES})  # files that change what a folder holds
DISC_FOLDERS = frozenset({"VIDEO_TS", "BDMV"})
# A BDMV folder's own folders: beside an index.bdmv out of its BDMV folder, the disc's, not walked
BLURAY_PARTS = frozenset(
    {"STREAM", "PLAYLIST", "CLIPINF", "BACKUP", "AUXDATA", "BDJO", "JAR", "META"}
)
# Why the TV scan leaves out a disc structure inside a show (a folder named so, or the folder
# holding `VIDEO_TS.IFO`, `index.bdmv` or an AVCHD disc's `INDEX.BDM`): one entry for the disc,
# never an episode per stream file
DISC_IN_SHOW = {
    "VIDEO_TS": "a DVD structure (VIDEO_TS): not scanned, a disc's .VOB files are no episodes",
    "BDMV": "a Blu-ray structure (BDMV): not scanned, a disc's .m2ts files are no episodes",
    "VIDEO_TS.IFO": "a DVD structure (VIDEO_TS.IFO and .VOB files): not scanned, a disc's .VOB "
    "files are no episodes",
    "INDEX.BDMV": "a Blu-ray structure (index.bdmv and STREAM/): not scanned, a disc's .m2ts "
    "files are no episodes",
    "INDEX.BDM": "an AVCHD structure (INDEX.BDM and STREAM/): not scanned, a disc's .MTS files "
    "are no episodes",
}

# Folder names (NFC, casefolded) that never hold movies.
_JUNK_FOLDERS = frozenset(
    {
        "@eadir", "#recycle", "#snapshot", "@recycle", "@recently-snapshot", "@sharebin",
        "$recycle.bin", "recycler", "lost+found", "system volume information",
        "temprec", "tempsbe",  # Windows Media Center's live TV buffers (Jellyfin's IgnorePatterns)
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
# to a movie of their own. `Minta` is a Hungarian release's samples folder (Jellyfin's
# IgnorePatterns.cs `**/minta/*`), and a film's name too.
_MAYBE_EXTRAS_FOLDERS = frozenset(
    {"scenes", "shorts", "other", "others", "clips", "specials", "minta"}
)
# Extras folders inside a TV show (beside the list above): Jellyfin and Plex read these as
# extras. Not "specials": that is season 0.
_SHOW_EXTRAS_FOLDERS = frozenset(
    {"scenes", "shorts", "other", "others", "clips", "featurette", "minta"}
)
_SAMPLE_FOLDERS = frozenset({"samples", "sample", "minta"})
_EPISODE_SAMPLE = re.compile(r"(?:^|[\s._-])sample\d*$", re.IGNORECASE)  # "Show - S01E01 - sample"

# "sample" as a word of the name, as Kodi's default exclude expression takes it, its case ignored
# (AdvancedSettings.cpp m_moviesExcludeFromScanRegExps, m_tvshowExcludeFromScanRegExps:
# `[!-._ \\/]sample[-._ \\/]` on the whole path): `-sample`, `.sample`, `_sample`, Jellyfin's
# `Up - sample`, and a title's word too, `The DNA Sample.mp4`, which Jellyfin's movie resolver
# leaves out as well (MovieResolver.cs IsIgnoredRegex `\bsample\b`; jellyfin#10656); not a word
# that starts so (`Sampler.mkv`)
_SAMPLE = re.compile(r"(?:^|[!-.\\_ ])sample\d*(?:[-._ ]|$)", re.IGNORECASE)
# a Hungarian release's sample ("minta"), as Jellyfin takes it (IgnorePatterns.cs, issue 16237):
# `minta.mkv`, `<release>.minta.mkv`; not a title's word (`Minta (2019).mkv`)
_MINTA = re.compile(r"(?:^|\.)minta$", re.IGNORECASE)
# Kodi's `-trailer`, a `.trailer` or `_trailer` part, Jellyfin's `Up - trailer` at the end, or a
# name that is "trailer" alone (Jellyfin's `trailer.mp4`); not a name that starts with "Trailer.":
# `Trailer.Park.Boys.The.Movie.2006` is a film, nor one ending in the word (`I Live In A Trailer`)
_TRAILER = re.compile(
    r"-trailer|[._]trailers?\d*(?:[-._]|$)|^trailers?[-._ ]?\d*$|-\s+trailers?\d*$", re.IGNORECASE
)
_TRAILER_END = re.compile(r"(?:^|[-._ ])trailers?\d*$", re.IGNORECASE)
_EXTRA_SUFFIX = re.compile(
    r"-(?:behindthescenes|deleted|deletedscene|featurette|interview|scene|short|other|extra"
    r"|clip|bts)\d*$",
    re.IGNORECASE,
)
# a name with its own episode numbers (Kodi's `S01E02`, `1x02`, a daily show's `2024-03-05`): an
# episode whose title ends in "Trailer" or whose release group is `-SCENE`, `-OTHER`, `-CLiP`;
# only Kodi's `sample` and the suffixes no title or group ends in (`-trailer`, Jellyfin's episode
# extras) make it an extra
_EPISODE_NUMBERS = re.compile(
    r"(?i)s\d{1,4}[\s._x-]*e\d{1,4}|(?<![\dA-Za-z])\d{1,4}x\d{1,3}(?!\d)"
    r"|(?<!\d)(?:(?:19|20)\d\d[.-]\d\d[.-]\d\d|\d\d[.-]\d\d[.-](?:19|20)\d\d)(?!\d)"
)
# a release name's quality tags: after them, `-SCENE`, `-OTHER`, `-CLiP` is the release group
# (a release name kept as the file's, Radarr's `{Original Title}`), never an extras suffix; the
# suffixes no group is named (`-featurette`, `-interview`...) stay extras
_RELEASE_TAGS = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:\d{3,4}p|[xh][._ ]?26[45]|hevc|avc|xvid|divx|blu-?ray|bdrip|brrip"
    r"|web-?dl|webrip|hdtv|dvdrip|remux|uhd)(?![A-Za-z0-9])"
)
_EPISODE_EXTRA_SUFFIX = re.compile(
    r"-(?:trailer|behindthescenes|deleted|deletedscene|featurette|interview)\d*$", re.IGNORECASE
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
SkipCallback = Callable[[str, str], None]


class FoundVideo(NamedTuple):
    """One movie on disk: `file` is the first part of a stack, or the folder holding a disc.

    Paths are strings, since a rescan compares tens of thousands of them with the database;
    `path` and `parts` give them as `Path`s.
    """

    file: str
    files: tuple[str, ...]
    size: int
    mtime_ns: int
    is_disc: bool = False
    file_id: str | None = None  # a single file's "<st_dev>:<st_ino>" (`file_id`)

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def parts(self) -> tuple[Path, ...]:
        return tuple(map(Path, self.files))


def file_id(st: os.stat_result) -> str:
    """A file's identity on this machine, its device and inode: kept by a rename or a move
    within its file system, and by its hard links; not by a copy."""
    return f"{st.st_dev}:{st.st_ino}"


# --- names (pure) ---------------------------------------------------------------------------


def is_empty_folder(folder: str | os.PathLike[str]) -> bool:
    """Does `folder` hold nothing the walk would look at (no entry, or only hidden ones and a
    NAS's junk: the `.DS_Store` a Mac's Finder leaves on a share it browsed, a `.Trash-1000`,
    `@eaDir`)? A library root that does is taken for a share not mounted (its mount point),
    not for a library whose every movie was deleted: a scan of it marks nothing missing, as
    Sonarr and Radarr skip the scan of an empty root folder (Sonarr's DiskScanService: one
    without subfolders). False when it cannot be listed (the walk reports that)."""
    try:
        entries = os.scandir(folder)
    except OSError:
        return False
    try:
        return all(is_junk_folder(entry.name) for entry in entries)
    except OSError:
        return False
    finally:
        if hasattr(entries, "close"):
            entries.close()


def _fold(name: str) -> str:
    return (name if name.isascii() else unicodedata.normalize("NFC", name)).casefold()


def is_hidden(name: str) -> bool:
    """Dot files and folders: `.actors`, `.@__thumb`, AppleDouble `._x`, our temp files."""
    return name.startswith(".")


def is_excluded_file(name: str) -> bool:
    """A file name that is never a movie: hidden, temp, or a sample, trailer or `-featurette`...
    by `skip_rule` (the rule and the reason it gives are one)."""
    return is_hidden(name) or name.startswith(TEMP_MARKER) or skip_rule(name) is not None


def is_episode_file(name: str) -> bool:
    """A file name in a show's folder that is an episode: a video, not hidden nor temp, and no
    sample, trailer or extra by `episode_skip_rule`. The TV scan's rule, and the watcher's."""
    return (
        os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS
        and not (is_hidden(name) or name.startswith(TEMP_MARKER))
        and episode_skip_rule(name) is None
    )


def is_skipped_show_folder(name: str) -> bool:
    """A folder inside a TV show that the TV scan does not enter: the movie walk's extras,
    samples, hidden and junk folders, and `Scenes`/`Shorts`/`Other`/`Clips` wherever they are
    (`Specials` is a season), and a disc structure's `VIDEO_TS`/`BDMV`: its stream files are no
    episodes (`Disc 1/BDMV/STREAM/00001.m2ts`). The TV scan's rule, and the watcher's; the
    reason is `folder_skip_rule(name, False, show=True)`."""
    return is_junk_folder(name) or folder_skip_rule(name, False, show=True) is not None


def is_junk_folder(name: str) -> bool:
    """A folder that is nobody's media: hidden, a NAS's recycle bin or thumbnails. In a TV
    library's root every other folder is a show, "Extras" (the BBC's) and "Proof" included."""
    return is_hidden(name) or _fold(name) in _JUNK_FOLDERS


def is_skipped_folder(name: str, next_to_movie: bool = True) -> bool:
    """A folder the walk does not enter: hidden, NAS junk, extras, samples, trailers, iTunes
    Extras bundles (`*.ite`).

    Names like "Shorts" or "Other" are only extras next to a movie (`next_to_movie`); elsewhere
    they are a user's category folder.
    """
    return is_junk_folder(name) or folder_skip_rule(name, next_to_movie) is not None


SAMPLE_RULE = 'a sample ("sample" in its name, as -sample or .sample)'
MINTA_RULE = 'a sample ("minta", a Hungarian release\'s sample, as minta.mkv or .minta.mkv)'


def skip_rule(name: str) -> str | None:
    """Why the movie walk leaves out a video file named `name` (`is_excluded_file`), as a user
    reads it; None when it is a movie, or no video worth telling about (hidden, our temp
    files)."""
    if is_hidden(name) or name.startswith(TEMP_MARKER):
        return None
    stem = os.path.splitext(name)[0]
    if _SAMPLE.search(stem):
        return SAMPLE_RULE
    if _MINTA.search(stem):
        return MINTA_RULE
    if _TRAILER.search(stem):
        return 'a trailer ("trailer" in its name, as -trailer or .trailer)'
    extra = _EXTRA_SUFFIX.search(stem)
    if (
        extra
        and not _EPISODE_EXTRA_SUFFIX.search(stem)
        and _RELEASE_TAGS.search(stem[: extra.start()])
    ):
        return None  # "The.Brutalist.2024.1080p.BluRay.x264-SCENE": the release's group
    return f"an extra (its name ends in {extra.group()})" if extra else None


def episode_skip_rule(name: str) -> str | None:
    """Why the TV scan leaves out a video file named `name` (`is_episode_file`); None when it
    is an episode, or no video worth telling about (hidden, our temp files)."""
    if is_hidden(name) or name.startswith(TEMP_MARKER):
        return None
    stem = os.path.splitext(name)[0]
    if _SAMPLE.search(stem) or _EPISODE_SAMPLE.search(stem):
        return SAMPLE_RULE
    if _MINTA.search(stem):
        return MINTA_RULE
    if _EPISODE_NUMBERS.search(stem):
        extra = _EPISODE_EXTRA_SUFFIX.search(stem)
        return f"an extra (its name ends in {extra.group()})" if extra else None
    if _TRAILER_END.search(stem):
        return 'a trailer (its name ends in "trailer")'
    extra = _EXTRA_SUFFIX.search(stem)
    return f"an extra (its name ends in {extra.group()})" if extra else None


def folder_skip_rule(name: str, next_to_movie: bool = True, *, show: bool = False) -> str | None:
    """Why a walk does not enter a folder named `name` (`is_skipped_folder`; `show`: inside a
    TV show, `is_skipped_show_folder`), as a user reads it; None when it is entered, or is
    nobody's media (hidden, a NAS's recycle bin or thumbnails)."""
    folded = _fold(name)
    if is_hidden(name) or folded in _JUNK_FOLDERS:
        return None
    if show and name.upper() in DISC_FOLDERS:
        return DISC_IN_SHOW[name.upper()]
    if folded in _EXTRAS_FOLDERS or (show and folded in _SHOW_EXTRAS_FOLDERS):
        kind = "samples" if folded in _SAMPLE_FOLDERS else "extras"
        return f"a folder of {kind}, by its name: not scanned"
    if folded.endswith(".ite"):  # Kodi skips iTunes Extras bundles too
        return "an iTunes Extras bundle (.ite): not scanned"
    if _SAMPLE.search(name):
        return 'a folder of samples ("sample" in its name): not scanned'
    if next_to_movie and folded in _MAYBE_EXTRAS_FOLDERS:
        kind = "samples" if folded in _SAMPLE_FOLDERS else "extras"
        return f"a folder of {kind}, beside a movie: not scanned (elsewhere a category folder)"
    return None


def is_stack_folder(name: str) -> bool:
    """A folder named as a part of a folder stack: `CD1`, `Disc 2`, `DVD.3`."""
    return _FOLDER_STACK.search(name) is not None


def is_video_path(path: Path, root: Path | None = None, *, tv: bool = False) -> bool:
    """Does a change to this file matter to a movie (for the file watcher)? Pure: no disk access.

    True for video files the walk would take, and for the stream files of a disc structure
    (VIDEO_TS/*.VOB, BDMV/STREAM/*.m2ts). With `root`, the folders between root and the file
    are checked too (extras, hidden, junk); names like "Shorts" are not judged without a listing
    (`walks_into` does). `tv`: in a TV library, by the TV scan's rules (`is_episode_file`,
    `is_skipped_show_folder`; the root's folders are shows, whatever their name but junk).
    """
    path = Path(path)
    wanted = is_episode_file(path.name) if tv else _is_movie_video_name(path)
    if not wanted:
        return False
    if root is None:
        return True
    try:
        folders = path.relative_to(root).parts[:-1]
    except ValueError:
        return False
    if tv:  # a TV root's folders are shows, whatever their name but junk
        if folders and is_junk_folder(folders[0]):
            return False
        return not any(is_skipped_show_folder(name) for name in folders[1:])
    return not any(is_skipped_folder(name, next_to_movie=False) for name in folders)


def walks_into(folder: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Does the movie walk of `root` enter `folder` (root or below)? Each folder between is
    judged by its name (`is_skipped_folder`), and one named like "Shorts" or "Specials" by a
    listing of the folder holding it, as the walk judges it: extras next to a movie, a category
    folder elsewhere; one holding a `.nomedia` or empty `.ignore` file, or one a pattern of an
    ignore file above it matches, is not entered. For the watcher and a scan of part of a
    library: a video where the walk does not go is no movie of the library (a scan of `Heat (1995)/Shorts/` alone took its
    short for one, and the next full scan marked it missing)."""
    folder, root = os.path.normpath(folder), os.path.normpath(root)
    if not is_inside(folder, root):
        return False
    return _first_not_walked(folder, root) is None


def rules_down_to(
    folder: str | os.PathLike[str], root: str | os.PathLike[str]
) -> ignore_files.Rules:
    """The ignore files' patterns in force inside `folder` (root or below), read from `root`
    down: a walk that starts there judges what it meets by them, as the full walk does."""
    folder, root = os.path.normpath(folder), os.path.normpath(root)
    rules = ignore_files.at_root(root)
    path = root
    if folder != root and is_inside(folder, root):
        for name in Path(folder).relative_to(root).parts:
            path = os.path.join(path, name)
            rules = rules.entering_on_disk(path)
    return rules


def not_walked_for(
    folder: str | os.PathLike[str], root: str | os.PathLike[str]
) -> tuple[str, str] | None:
    """The folder on the way from `root` to `folder` that the walk does not enter (when
    `walks_into` says no) and why (`folder_skip_rule`, `kept_out_rule`, a pattern of an ignore
    file on the way); None when it is hidden or junk, which is nobody's media."""
    found = _first_not_walked(os.path.normpath(folder), os.path.normpath(root))
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def _first_not_walked(folder: str, root: str) -> tuple[str, str | None] | None:
    """The first folder from `root` down to `folder` the walk does not enter, and why (None:
    hidden or junk); None when it enters them all."""
    parent = root
    rules = ignore_files.at_root(root)
    for name in Path(folder).relative_to(root).parts:
        path = os.path.join(parent, name)
        if is_skipped_folder(name, next_to_movie=False):
            return path, folder_skip_rule(name, False)
        if _fold(name) in _MAYBE_EXTRAS_FOLDERS and _holds_movie(parent):
            return path, folder_skip_rule(name, True) or ""
        if rules and (rule := rules.rule_for(path, True)) is not None:
            return path, rule
        if (rule := kept_out_rule(path)) is not None:
            return path, rule
        rules = rules.entering_on_disk(path)
        parent = path
    return None


def kept_out_on_the_way(
    path: str | os.PathLike[str], root: str | os.PathLike[str]
) -> tuple[str, str] | None:
    """The folder (or the file `path` itself) from below `root` down to `path` that the
    players leave out of their scan, and why: a `.nomedia` or empty `.ignore` in it
    (`kept_out_rule`), or a pattern of a `.ignore` or `.plexignore` from `root` down that
    matches it (`ignore_files`); None when there is none, or `path` is not inside `root`.
    By these files alone, for a movie or a TV library: the scoped TV scan, a webhook's answer."""
    path, root = os.path.normpath(path), os.path.normpath(root)
    if path == root or not is_inside(path, root):
        return None
    rules = ignore_files.at_root(root)
    folder = root
    for name in Path(path).relative_to(root).parts:
        folder = os.path.join(folder, name)
        is_dir = os.path.isdir(folder)
        if rules and (rule := rules.rule_for(folder, is_dir)) is not None:
            return folder, rule
        if not is_dir:  # the file `path`, or nothing there
            return None
        if (rule := kept_out_rule(folder)) is not None:
            return folder, rule
        rules = rules.entering_on_disk(folder)
    return None


def kept_out_rule(folder: str | os.PathLike[str]) -> str | None:
    """Why the players leave `folder` and everything below it out of their scan, as a user
    reads it: it holds a `.nomedia` file (Kodi) or an empty `.ignore` file (Jellyfin); None
    when it holds neither."""
    if os.path.lexists(os.path.join(folder, NO_MEDIA)):
        return NO_MEDIA_RULE
    return IGNORE_RULE if _ignores_all(os.path.join(folder, IGNORE_FILE)) else None


def kept_out_by(entries: Iterable[os.DirEntry[str]]) -> str | None:
    """`kept_out_rule` of the folder whose listing is `entries`."""
    for entry in entries:
        if entry.name == NO_MEDIA:
            return NO_MEDIA_RULE
        if entry.name == IGNORE_FILE and _ignores_all(entry.path):
            return IGNORE_RULE
    return None


def folder_markers(
    folder: str,
    entries: Sequence[os.DirEntry[str]],
    rules: ignore_files.Rules | None,
    *,
    kept_out: bool = True,
) -> tuple[str | None, ignore_files.Rules | None]:
    """What the files that change what a folder holds say of `folder`, whose listing is
    `entries`, in one pass over it (every folder of a library; most hold none): why the players
    leave it out (`kept_out_by`: a `.nomedia`, an empty `.ignore`; asked only with `kept_out`),
    and the ignore files' patterns in force inside it (`rules`, those in force where it is, and
    its own `.ignore` or `.plexignore`; None where there are none)."""
    marked = [e for e in entries if e.name in _MARKERS]
    if not marked:
        return None, rules
    if kept_out and (rule := kept_out_by(marked)) is not None:
        return rule, rules
    names = [e.name for e in marked if e.name in ignore_files.NAMES]
    if names:
        rules = (rules or ignore_files.NONE).entering(folder, names) or None
    return None, rules


def _ignores_all(path: str) -> bool:
    """Is `path` a Jellyfin `.ignore` file that ignores everything: a regular file, empty or
    blank (Jellyfin's DotIgnoreIgnoreRule.ParseIgnoreFile: `IsNullOrWhiteSpace`)?"""
    try:
        return not read_regular(path, _MAX_IGNORE_BYTES).strip()
    except OSError:  # none, not a regular file, too large to be blank: patterns, not ours
        return False


def _holds_movie(folder: str) -> bool:
    """Does the walk find a movie directly in `folder` (a video, a stack, a disc)?"""
    entries = _scan_quiet(folder)
    if len(entries) > 1:
        entries.sort(key=_entry_key)
    movies, _subfolders = _classify(folder, entries, _Quiet(None))
    return bool(movies)


_DVD_TITLE_VOB = re.compile(r"vts_\d\d_[1-9]\.vob$", re.IGNORECASE)  # VTS_01_1.VOB


def _is_movie_video_name(path: Path) -> bool:
    """A video file the movie walk takes, or a disc structure's stream file, by name."""
    ext = path.suffix.lower()
    parent = path.parent.name.upper()
    if ext == ".vob" and (parent == "VIDEO_TS" or _DVD_TITLE_VOB.match(path.name)):
        return not is_hidden(path.name)  # a DVD's, or a title's VOB out of VIDEO_TS
    if ext in {".m2ts", ".mts"} and parent == "STREAM":  # in BDMV/STREAM, or beside index.bdmv
        return not is_hidden(path.name)
    return ext in VIDEO_EXTENSIONS and not is_excluded_file(path.name)


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> list:
    """Sort key: case-insensitive, numbers by value ("cd2" before "cd10")."""
    parts: list = _DIGITS.split(_fold(name))
    parts[1::2] = map(int, parts[1::2])  # text at even places, numbers at odd ones
    return parts


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
    root: str | os.PathLike[str],
    on_error: ErrorCallback | None = None,
    *,
    inside: Sequence[str | os.PathLike[str]] = (),
    follow_symlinks: bool = False,
    known: Set[str] | None = None,
    on_skip: SkipCallback | None = None,
    library_root: str | os.PathLike[str] | None = None,
    nfos: dict[str, list[int]] | None = None,
    listed: dict[str, set[str]] | None = None,
) -> Iterator[FoundVideo]:
    """Every movie under `root`, folder by folder in name order.

    Folders that cannot be read, and videos whose name is not valid UTF-8 (it could not be
    stored), are logged and passed to `on_error(path, reason)`, then skipped. A symlinked folder
    is followed once (loops are cut) when its target lies inside `root` or one of the folders
    `inside` (the other libraries), or anywhere with `follow_symlinks`. `known`: paths of
    single-file movies found before (a rescan); their names and folders were judged then, so a
    folder whose only entry that matters is one of them costs its listing and one stat: no name
    rules, no sorting. `on_skip(path, rule)`: each video file and folder left out by its name
    (a sample, a trailer, an extra, an extras folder) or a symlink not followed, with the rule
    as a user reads it (`skip_rule`); hidden and NAS junk entries are not told. A file or folder
    a pattern of a Jellyfin `.ignore` or a Plex `.plexignore` matches is left out and told
    (`ignore_files`); `library_root`: the library's root when `root` is a folder inside it,
    whose ignore files on the way down to `root` count too. `nfos`, when given, takes the size
    and mtime of each `.nfo` file of the folders listed, by its path: a full rescan tells an
    NFO changed beside an unchanged video by them (`scan.stage`), at one `stat` per NFO.
    `listed`, when given, takes the names each folder listed holds, by its path: a file of
    ours whose name is there was there when the walk looked (`scan.ours_gone`), at no call.
    """
    known = known or frozenset()
    known_dirs = {p.rpartition(os.sep)[0] for p in known}  # compared with subfolder paths only
    root = os.fspath(root)
    report = _Reporter(on_error, on_skip)
    report.nfos = nfos
    allowed = RealFolders((root, *inside))
    try:
        root_stat = os.stat(root)
    except OSError as exc:
        report(Path(root), _reason(exc))
        return
    if not stat.S_ISDIR(root_stat.st_mode):
        report(Path(root), "not a folder")
        return
    seen = _Seen(root_stat)
    pending = [root]
    # the ignore files' patterns in force in a folder waiting in `pending`, when there are any
    lib = os.path.normpath(library_root if library_root is not None else root)
    above = os.path.dirname(root)
    if os.path.normpath(root) == lib:  # the nearest `.ignore` above the library, as Jellyfin
        start = ignore_files.above(lib) or None
    else:
        start = rules_down_to(above, lib) if is_inside(above, lib) else None
    # None where no pattern is in force, the common case: no call to ask
    rules_in: dict[str, ignore_files.Rules | None] = {root: start} if start else {}
    while pending:
        folder = pending.pop()
        entries = _scan(folder, report, quiet_if_gone=folder is not root)
        rules = rules_in.pop(folder, None) if rules_in else None
        if entries is None:
            continue
        if listed is not None:
            listed[folder] = set(map(_NAME, entries))  # no Python call: 10,000 a rescan
        if nfos is not None:  # `report.note_nfos` inlined: a call a folder costs a rescan
            for entry in entries:
                if entry.name[-4:].lower() == ".nfo":
                    try:
                        st = entry.stat()
                    except OSError:  # gone since the listing, a dangling link: no NFO
                        continue
                    if stat.S_ISREG(st.st_mode):
                        nfos[entry.path] = [st.st_size, st.st_mtime_ns]
        single = _known_single(folder, entries, known) if known else None
        if (
            single is not None
            and rules is not None
            and (rule := rules.rule_for(single.path, False))
        ):
            report.skipped(single.path, rule)
            continue
        if single is not None:
            # a known movie's folder as it was: its rules held then, and a known path (from
            # the database) is valid UTF-8
            try:
                st = single.stat()
            except OSError as exc:  # vanished since the listing, or unreadable
                if not isinstance(exc, FileNotFoundError):
                    report(Path(single.path), _reason(exc))
                continue
            path = single.path  # `file_id(st)`, inlined: one per unchanged movie
            yield _found_video(
                (path, (path,), st.st_size, st.st_mtime_ns, False, f"{st.st_dev}:{st.st_ino}")
            )
            continue
        kept_out, rules = folder_markers(folder, entries, rules, kept_out=folder is not root)
        if kept_out is not None:
            report.skipped(folder, kept_out)  # the user keeps it out of the players: ours too
            continue
        if rules is not None:
            entries = drop_ignored(entries, rules, report.skipped)
        if len(entries) > 1:
            entries.sort(key=_entry_key)
        if not follow_symlinks:
            entries = _disc_links_kept(entries, allowed, report.skipped)
        movies, subfolders = _classify(folder, entries, report, known, known_dirs)
        for movie in movies:
            bad = next((p for p in (movie.file, *movie.files) if not is_utf8(p)), None)
            if bad is None:
                yield movie
            else:  # the part whose name it is (a stack's `CD2/b\xe9.mkv`), not the first part
                report(Path(bad), NOT_UTF8)
        if not follow_symlinks:
            subfolders = _followed(subfolders, allowed, report.skipped)
        fresh = seen.fresh(subfolders, report)
        if rules is not None:
            rules_in.update(dict.fromkeys(fresh, rules))
        pending.extend(reversed(fresh))


def drop_ignored(
    entries: list[os.DirEntry[str]], rules: ignore_files.Rules, on_skip: SkipCallback
) -> list[os.DirEntry[str]]:
    """`entries` without those a pattern of an ignore file matches; each video or folder left
    out is told (not a hidden one, nor the other files: nobody's movie)."""
    kept = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        rule = rules.rule_for(entry.path, is_dir)
        if rule is None:
            kept.append(entry)
        elif not entry.name.startswith(".") and (
            is_dir or entry.name.lower().endswith(_VIDEO_SUFFIXES)
        ):
            on_skip(entry.path, rule)
    return kept


NOT_UTF8 = (
    "the name is not valid UTF-8 (a Latin-1 name from an old share?), so it cannot be stored: "
    "rename it, e.g. `convmv -f latin1 -t utf-8 -r --notest <folder>`"
)


_DISC_ENDINGS = tuple(os.sep + name for name in DISC_FOLDERS)


def _is_disc_name(folder: str) -> bool:
    """Is the folder itself a VIDEO_TS or BDMV?"""
    if os.sep in folder and not folder.endswith(os.sep):  # the cheap way, for every subfolder
        return folder.upper().endswith(_DISC_ENDINGS)
    return os.path.basename(folder.rstrip(os.sep)).upper() in DISC_FOLDERS


class RealFolders:
    """The real paths of `folders` (where a symlinked folder may lead), each looked up when a
    symlink first asks: a library on a hung hard mount, whose lstat never returns, had hung
    the walk of every other library before its first folder."""

    def __init__(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        self._folders = list(folders)
        self._real: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for i, folder in enumerate(self._folders):
            if i == len(self._real):
                self._real.append(os.path.realpath(folder))
            yield self._real[i]


def _disc_links_kept(
    entries: list[os.DirEntry[str]], allowed: Iterable[str], on_skip: SkipCallback
) -> list[os.DirEntry[str]]:
    """`entries` without a VIDEO_TS or BDMV folder that is a symlink leading out of every
    library: a disc folder is walked into (its stream files listed, then read) like any other
    folder, so the rule of symlinked folders (`may_follow`) holds for it too."""
    if DISC_FOLDERS.isdisjoint([e.name.upper() for e in entries if len(e.name) in (4, 8)]):
        return entries
    return [
        e for e in entries if e.name.upper() not in DISC_FOLDERS or may_follow(e, allowed, on_skip)
    ]


def _entry_key(entry: os.DirEntry[str]) -> str:
    """`natural_key(entry.name)`, as one string that sorts the same (`_name_key`)."""
    return _name_key(entry.name)


@functools.lru_cache(maxsize=1 << 15)
def _name_key(name: str) -> str:
    """`natural_key(name)` as one string that sorts the same, remembered for the last 32,768
    names: the top folder of a library holds thousands of folders, which every walk sorts.
    Each number becomes NUL, its count of digits (a character) and its digits without leading
    zeros: NUL sorts before any character a name holds (none holds NUL), so a text that ends
    where the other's goes on sorts first, as in the list; a number of fewer digits sorts
    before one of more, and one of as many by its digits. Two strings compare in one go, where
    two lists compare element by element, and one string is a fifth of a list's memory."""
    parts = _DIGITS.split(name.casefold() if name.isascii() else _fold(name))
    parts[1::2] = [f"\0{chr(len(n))}{n}" for n in map(str, map(int, parts[1::2]))]
    return "".join(parts)


def _known_single(
    folder: str, entries: list[os.DirEntry[str]], known: Set[str]
) -> os.DirEntry[str] | None:
    """The one video of a folder that holds nothing else the walk looks at (no subfolder but a
    hidden one, no other video, no disc structure) when it is a known single-file movie, else
    None; None too when the folder is a VIDEO_TS or BDMV itself, or holds a `.nomedia` or
    `.ignore` file (`kept_out_by` decides)."""
    video = None
    for entry in entries:
        name = entry.name
        try:
            if entry.is_dir():
                if name[:1] == ".":  # hidden (a published movie's `.actors/`): never walked
                    continue
                return None
            if not name.lower().endswith(_VIDEO_SUFFIXES):
                if name in _MARKERS or name.upper() == "VIDEO_TS.IFO":
                    return None
                continue
            if not entry.is_file():
                continue
        except OSError:
            return None  # let the full rules decide
        if video is not None:
            return None
        video = entry
    if video is None or video.path not in known or _is_disc_name(folder):
        return None
    return video


_NAME = operator.attrgetter("name")

_found_video = functools.partial(tuple.__new__, FoundVideo)
"""A `FoundVideo` of all its fields in a tuple, without the keyword handling of a NamedTuple's
own `__new__` (a Python function): one per unchanged movie of a rescan."""


def _followed(
    dirs: list[os.DirEntry[str]], allowed: Iterable[str], on_skip: SkipCallback
) -> list[os.DirEntry[str]]:
    """The folders of `dirs` that `may_follow` allows: a real folder, told by its listing
    (`d_type`), costs no call of it; thousands of them sit in a library's top folder."""
    kept = []
    for d in dirs:
        try:
            if not d.is_symlink():
                kept.append(d)
                continue
        except OSError:
            continue
        if may_follow(d, allowed, on_skip):
            kept.append(d)
    return kept


class _Seen:
    """The folders walked, to cut loops: a symlink back to a folder walked already is skipped.

    A tree of real folders cannot reach one folder twice, so until the walk meets its first
    symlinked folder it only notes paths; from then on every folder is known by (device, inode),
    the ones noted before included.
    """

    def __init__(self, root_stat: os.stat_result) -> None:
        self.keys = {(root_stat.st_dev, root_stat.st_ino)}
        self.noted: list[str] | None = []  # None once every folder is checked by inode

    def fresh(self, dirs: list[os.DirEntry[str]], report: _Reporter) -> list[str]:
        """Subfolders not walked yet, as paths. One that cannot be looked at (EACCES, EIO or
        ESTALE on a share) is reported, so that the scan keeps what it knew there; one gone
        since the listing was never there."""
        if self.noted is not None:
            for d in dirs:  # a loop, not a generator step per folder: thousands in a top folder
                if d.is_symlink():
                    break
            else:
                paths = [d.path for d in dirs]
                self.noted.extend(paths)
                return paths
            for path in self.noted:
                with contextlib.suppress(OSError):  # gone since: nothing to loop back to
                    st = os.stat(path)
                    self.keys.add((st.st_dev, st.st_ino))
            self.noted = None
        fresh: list[str] = []
        for d in dirs:
            try:
                st = d.stat()
            except (FileNotFoundError, NotADirectoryError):
                continue  # vanished since the listing
            except OSError as exc:
                report(Path(d.path), _reason(exc))
                continue
            key = (st.st_dev, st.st_ino)
            if key in self.keys:
                log.debug(
                    "library walk: %s already walked (symlink loop?), skipped", display(d.path)
                )
                continue
            self.keys.add(key)
            fresh.append(d.path)
        return fresh


def leads_out(
    folder: str | os.PathLike[str], libraries: Sequence, *, follow_symlinks: bool = False
) -> str | None:
    """Where `folder` (a scan's or a webhook's scope inside a library) really is, when a
    symlinked folder on its way leads out of every one of `libraries` (the configured ones,
    each with a `path`); None when it stays inside one, or when its library sets
    `follow_symlinks`. The rule `may_follow` applies to the folders a walk meets, for the
    folder a walk starts from: a scan scoped to `Movies/link-to-elsewhere/` (the watcher's,
    after the link was made) would otherwise read what the full walk never enters."""
    if follow_symlinks:
        return None
    real = os.path.realpath(folder)
    if any(is_inside(real, os.path.realpath(lib.path)) for lib in libraries):
        return None
    return real


def may_follow(
    entry: os.DirEntry[str], allowed: Iterable[str], on_skip: SkipCallback | None = None
) -> bool:
    """A real folder, or a symlinked one whose target lies inside a library; one that is not
    is logged, and told to `on_skip(path, rule)`."""
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
    if on_skip is not None:
        on_skip(entry.path, f"{SYMLINK_OUT} (it leads to {display(target)})")
    return False


SYMLINK_OUT = (
    "a symlink to a folder outside every library: not followed (set follow_symlinks = true "
    "for this library to follow it)"
)


class _Reporter:
    def __init__(self, on_error: ErrorCallback | None, on_skip: SkipCallback | None = None):
        self.on_error = on_error
        self.on_skip = on_skip
        # `walk_library`'s `nfos`: a disc's NFOs in its VIDEO_TS or BDMV folder go there too
        self.nfos: dict[str, list[int]] | None = None

    def note_nfos(self, entries: Iterable[os.DirEntry[str]]) -> None:
        """The size and mtime of each `.nfo` file of `entries`, into `nfos` when it is set."""
        if self.nfos is None:
            return
        for entry in entries:
            if entry.name[-4:].lower() == ".nfo":
                try:
                    st = entry.stat()
                except OSError:  # gone since the listing, a dangling link: no NFO
                    continue
                if stat.S_ISREG(st.st_mode):
                    self.nfos[entry.path] = [st.st_size, st.st_mtime_ns]

    def skipped(self, path: str, rule: str | None) -> None:
        """A video or folder left out by its name (`rule` None: not worth telling)."""
        if rule is not None and self.on_skip is not None:
            log.debug("library walk: skipped %s: %s", display(path), rule)
            self.on_skip(path, rule)

    def __call__(self, path: Path, reason: str) -> None:
        log.warning("library walk: skipped %s: %s", display(path), reason)
        if self.on_error is not None:
            try:
                self.on_error(path, reason)
            except Exception:
                log.exception("library walk: on_error callback failed for %s", display(path))


class _Quiet(_Reporter):
    """A reporter for a look that is not the scan (the watcher's): the scan reports errors
    and skips."""

    def skipped(self, path: str, rule: str | None) -> None:
        pass

    def __call__(self, path: Path, reason: str) -> None:
        log.debug("library walk: %s: %s", display(path), reason)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "folder not found"
    return exc.strerror or str(exc)


def _scan(
    folder: str, report: _Reporter, *, quiet_if_gone: bool = False
) -> list[os.DirEntry[str]] | None:
    """The folder's entries in listing order; None (reported) when it cannot be read. A
    subfolder that vanished since its parent was listed is not worth a report."""
    try:
        return list(os.scandir(folder))  # closed once exhausted
    except FileNotFoundError:
        if quiet_if_gone:
            log.debug("library walk: %s vanished while walking", display(folder))
            return None
        report(Path(folder), "folder not found")
        return None
    except OSError as exc:
        report(Path(folder), _reason(exc))
        return None


def _sorted_scan(folder: str, report: _Reporter) -> list[os.DirEntry[str]]:
    entries = _scan(folder, report) or []
    return entries if len(entries) < 2 else sorted(entries, key=_entry_key)


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _split(
    entries: list[os.DirEntry[str]], report: _Reporter
) -> tuple[list[os.DirEntry[str]], list[os.DirEntry[str]]]:
    """The folders and the regular files among `entries` (a symlink followed). One that cannot
    be told (a link into a share we may not read, EIO) is reported, so that the scan keeps what
    it knew there; a link loop is junk, and one gone since the listing was never there."""
    dirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        try:
            if entry.is_dir():
                dirs.append(entry)
            elif entry.is_file():
                files.append(entry)
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError) and exc.errno != errno.ELOOP:
                report(Path(entry.path), _reason(exc))
    return dirs, files


def _classify(
    folder: str,
    entries: list[os.DirEntry[str]],
    report: _Reporter,
    known: Set[str] = frozenset(),
    known_dirs: Set[str] = frozenset(),
) -> tuple[list[FoundVideo], list[os.DirEntry[str]]]:
    """The movies directly in `folder` (entries in name order), and the subfolders to walk."""
    dirs, files = _split(entries, report)
    movies: list[FoundVideo] = []

    is_disc_folder = _is_disc_name(folder)
    flat_bluray = is_flat_bluray((f.name for f in files), (d.name for d in dirs))
    flat_dvd = any(f.name.upper() == "VIDEO_TS.IFO" for f in files)
    if (
        is_disc_folder
        or flat_bluray
        or flat_dvd
        or not DISC_FOLDERS.isdisjoint([d.name.upper() for d in dirs if len(d.name) in (4, 8)])
    ):
        movies.append(_disc(folder, dirs, files, report))
    if is_disc_folder:
        return movies, []

    videos = [f for f in files if f.name.lower().endswith(_VIDEO_SUFFIXES)]
    if flat_dvd:  # its VOBs are the DVD's title files, not movies of their own
        videos = [f for f in videos if not f.name.lower().endswith(".vob")]
    if len(videos) == 1 and videos[0].path in known:  # judged at an earlier scan
        found = _found(videos, report)
        movies.extend([found] if found is not None else [])
    else:
        kept = []
        for f in videos:
            if is_excluded_file(f.name):
                report.skipped(f.path, skip_rule(f.name))
            else:
                kept.append(f)
        videos = kept
        by_name = {f.name: f for f in videos}
        for group in stack_names([f.name for f in videos]):
            found = _found([by_name[name] for name in group], report)
            if found is not None:
                movies.append(found)

    walkable = []  # in listing order: known movies' own folders, and the others the rules let in
    fresh = []  # the others
    known_stacks = []  # known movies' folders named as a stack's parts
    for d in dirs:
        if d.path in known_dirs:  # a known movie's own folder: its rules held then
            walkable.append(d)
            # a known movie's `CD1` folder is a stack's part once its `CD2` has come (the
            # name's last character first: a rescan meets thousands, few end in a digit)
            if d.name[-1:].isdigit() and _FOLDER_STACK.search(d.name):
                known_stacks.append(d)
            continue
        if d.name.upper() in DISC_FOLDERS:
            continue
        if flat_bluray and d.name.upper() in BLURAY_PARTS:
            continue
        if is_skipped_folder(d.name, False):
            report.skipped(d.path, folder_skip_rule(d.name, False))
        else:
            fresh.append(d)
            walkable.append(d)
    stackable = fresh + known_stacks
    stacked, rest = _folder_stacks(stackable, report, known_dirs)
    if len(rest) < len(stackable):  # a stack's folders are its parts, not walked
        parts = {d.path for d in stackable} - {d.path for d in rest}
        walkable = [d for d in walkable if d.path not in parts]
    movies.extend(stacked)
    if movies:  # "Shorts", "Other" beside a movie are its extras
        extras = [d for d in walkable if is_skipped_folder(d.name, True)]
        for d in extras:
            report.skipped(d.path, folder_skip_rule(d.name, True))
        if extras:
            walkable = [d for d in walkable if d not in extras]
    return movies, walkable


BLURAY_INDEXES = frozenset({"INDEX.BDMV", "INDEX.BDM"})
"""A BDMV folder's index: a Blu-ray's `index.bdmv`, an AVCHD camcorder's `INDEX.BDM` (its
`STREAM/*.MTS`), both of which Kodi plays as a disc (VideoUtils GetOpticalMediaPath)."""


def flat_bluray_index(files: Iterable[str], folders: Iterable[str]) -> str | None:
    """`INDEX.BDMV` or `INDEX.BDM` (an AVCHD disc's), the index of a Blu-ray's files out of
    their BDMV folder these names make (`is_flat_bluray`); None when they make none."""
    if not any(n.upper() == "STREAM" for n in folders):
        return None
    return next((u for n in files if (u := n.upper()) in BLURAY_INDEXES), None)


def is_flat_bluray(files: Iterable[str], folders: Iterable[str]) -> bool:
    """Do these file and folder names make a Blu-ray's files out of their BDMV folder (a BDMV
    folder under the film's name: `Alien (1979)/index.bdmv` and `STREAM/`, or an AVCHD
    camcorder's `INDEX.BDM` and `STREAM/`), which Kodi takes for a Blu-ray
    (GetOpticalMediaPath)? A lone index.bdmv is not one."""
    return any(n.upper() in BLURAY_INDEXES for n in files) and any(
        n.upper() == "STREAM" for n in folders
    )


def _found(entries: list[os.DirEntry[str]], report: _Reporter) -> FoundVideo | None:
    stats = []
    for entry in entries:
        try:
            stats.append(entry.stat())
        except FileNotFoundError:  # vanished between listing and stat: not an error
            return None
        except OSError as exc:  # the part that failed, not a stack's first part
            report(Path(entry.path), _reason(exc))
            return None
    if len(stats) == 1:
        st = stats[0]
        return FoundVideo(
            entries[0].path, (entries[0].path,), st.st_size, st.st_mtime_ns, file_id=file_id(st)
        )
    return FoundVideo(
        entries[0].path,
        tuple(e.path for e in entries),
        sum(s.st_size for s in stats),
        max(s.st_mtime_ns for s in stats),
    )


def _disc(
    folder: str,
    dirs: list[os.DirEntry[str]],
    files: list[os.DirEntry[str]],
    report: _Reporter,
) -> FoundVideo:
    """A DVD/Blu-ray structure in `folder`; size and mtime are those of its stream files.

    `folder` holds VIDEO_TS or BDMV, holds VIDEO_TS.IFO or index.bdmv itself (a disc's files out
    of their VIDEO_TS or BDMV folder), or is VIDEO_TS/BDMV (as a root).
    """
    streams: list[os.DirEntry[str]] = []
    own_name = os.path.basename(folder.rstrip(os.sep)).upper()
    if is_flat_bluray((f.name for f in files), (d.name for d in dirs)):
        own_name = "BDMV"
    if own_name == "VIDEO_TS" or any(f.name.upper() == "VIDEO_TS.IFO" for f in files):
        streams += [f for f in files if _is_vob(f)]
    for sub in dirs:
        name = sub.name.upper()
        if name == "VIDEO_TS":
            listing = _sorted_scan(sub.path, report)
            streams += [e for e in listing if _is_vob(e)]
            report.note_nfos(listing)  # its `VIDEO_TS.nfo`
        elif name == "BDMV":
            listing = _scan_quiet(sub.path)
            report.note_nfos(listing)  # its `index.nfo`
            for stream in listing:  # `STREAM`, or `stream` off a Linux mount
                if stream.name.upper() == "STREAM":  # a file so named lists as nothing
                    streams += [e for e in _scan_quiet(stream.path) if _is_m2ts(e)]
        elif name == "STREAM" and own_name == "BDMV":
            streams += [e for e in _scan_quiet(sub.path) if _is_m2ts(e)]
    stats = []
    for entry in streams:
        try:
            stats.append(entry.stat())
        except OSError:
            continue
    return FoundVideo(
        file=folder,
        files=(folder,),
        size=sum(s.st_size for s in stats),
        mtime_ns=max((s.st_mtime_ns for s in stats), default=_mtime_ns(folder)),
        is_disc=True,
    )


def _scan_quiet(folder: str) -> list[os.DirEntry[str]]:
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


def _mtime_ns(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _folder_stacks(
    dirs: list[os.DirEntry[str]], report: _Reporter, known_dirs: Set[str] = frozenset()
) -> tuple[list[FoundVideo], list[os.DirEntry[str]]]:
    """`Movie/CD1/x.avi` + `Movie/CD2/y.avi` -> one stacked movie, when each holds one video.

    A member that cannot be listed (EACCES, EIO) is reported, and its group is walked no further
    when every other member holds one video: it is a stack seen in part, not movies of their own
    (the scan keeps the stack known there, `scan.stage.out_of_sight`); a member that is a known
    movie's folder (`known_dirs`) is still walked, so that movie is seen."""
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
        singles = [_single_video(d.path) for _, d in members]
        if any(single is None for single in singles):
            continue
        unread = [
            (d, s) for (_, d), s in zip(members, singles, strict=True) if isinstance(s, OSError)
        ]
        if unread:
            for d, exc in unread:
                report(Path(d.path), _reason(exc))
            consumed.update(d.path for _, d in members if d.path not in known_dirs)
            continue
        found = _found([s for s in singles if isinstance(s, os.DirEntry)], report)
        if found is not None:
            stacked.append(found)
            consumed.update(d.path for _, d in members)
    return stacked, [d for d in dirs if d.path not in consumed]


def _single_video(folder: str) -> os.DirEntry[str] | OSError | None:
    """The only video file of a `CDn` folder (no disc, no subfolder with videos), else None;
    the error when the folder cannot be listed (one gone since its parent was listed: None)."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc
    names = [e.name for e in entries]
    if any(n.upper() in DISC_FOLDERS or n.upper() == "VIDEO_TS.IFO" for n in names):
        return None  # a disc (its VOBs are no video of their own)
    if is_flat_bluray(names, names):
        return None
    videos = [
        e
        for e in entries
        if e.name.lower().endswith(_VIDEO_SUFFIXES) and not is_excluded_file(e.name) and _is_file(e)
    ]
    return videos[0] if len(videos) == 1 else None
