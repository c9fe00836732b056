"""SCAN for a TV library (`kind = "tv"`): one folder per show below the root, episode files
anywhere below it (season folders or not). See docs/tv.md.

Each show folder becomes a `show` item (its `tvshow.nfo` ids and values, its artwork), each
season seen a `season` item (internal: its `seasonNN-*` art), each video file an `episode` item
with the numbers its name gives (identify/episodes.py) or the reason it has none, its stream
details, its NFO ids (one block per episode in a multi-episode NFO) and its `-thumb` image.
Samples, extras folders and our temp files are not episodes. Rescans are incremental, as for
movies: an unchanged file (size, mtime) is not read again; a vanished one is marked missing, but
not one under a folder that could not be listed (it keeps its state until a scan can read it).
A show folder or an episode file that moved keeps its items (renamed, `_follow_renamed_shows`,
`_moved_episodes`; copied then deleted, its copy scanned in between: `follow_copies`).
Per-item problems become that item's `last_error` and an event; the scan goes on.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import operator
import os
import re
import stat
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from metarrd import cache, db, ignore_files
from metarrd.atomic import TEMP_MARKER, sha256_file
from metarrd.config import (
    EPISODE_THUMB,
    LIBRARY_SOURCE,
    SEASON_ART_TYPES,
    Config,
    LibraryConfig,
)
from metarrd.dbrows import Prepared
from metarrd.errors import LeaseLost
from metarrd.fields import DETAIL_FIELDS, SUMMED_FIELDS, block_lock_name, nfo_status
from metarrd.files import (
    cannot_look,
    display,
    gone_or_respelt,
    is_gone,
    is_utf8,
    library_root_problem,
    read_regular,
)
from metarrd.identify import (
    EPISODE_ORDERS,
    FOLDER_NUMBERS,
    NAME_RULES,
    EpisodeName,
    absolute_numbers,
    absolute_order_hint,
    episode_folders,
    forget_enrichment,
    kodi_rule_reading,
    name_season,
    named_seasons,
    names_no_season,
    offer_season_name,
    parse_episode,
    season_item,
    season_of_folder,
    season_path,
    show_folder_hints,
)
from metarrd.imaging import ImageRejected, analyse_image
from metarrd.mounts import device_of, share_gone
from metarrd.paths import deepest_folder, folded, is_inside
from metarrd.runtime import Runtime
from metarrd.scan.kind_change import FilmsKept, films_kept, films_left_in_tv, remove_disowned
from metarrd.scan.kodi_episodes import kodi_only_videos, video_key
from metarrd.scan.local_files import (
    IMAGE_EXTS,
    LocalArtwork,
    classify_image,
    in_other_letters,
    nfo_present,
    not_a_file,
    refused_link,
)
from metarrd.scan.nfo_read import MAX_NFO_BYTES, UNNAMED_SOURCES, NfoError, capped, nfo_titles
from metarrd.scan.nfos_seen import NfosSeen
from metarrd.scan.renames import (
    carry_file,
    carry_ledger,
    carry_sidecars,
    gone_from_library,
    gone_share,
    same_runtime,
    take_files,
    untouched,
)
from metarrd.scan.skipped import Skipped
from metarrd.scan.skipped import save as save_skipped
from metarrd.scan.stage import (
    PROBE_THREADS,
    ScanReport,
    _led_out,
    _record_artwork,
    _stream_rows,
    _written_by_us,
    apply_nfo_values,
    date_added_from_mtime,
    ledger_rows,
    mounted_elsewhere,
    out_of_sight,
    published_now,
    restreamed,
    unmounted,
)
from metarrd.scan.streams import (
    STREAMS_REFUSED,
    StreamDetails,
    StreamReadError,
    opens_now,
    read_stream_details,
)
from metarrd.scan.tv_nfo import (
    EpisodeNfo,
    SeasonNfo,
    read_episode_nfo,
    read_season_nfo,
    read_show_nfo,
)
from metarrd.user_urls import PROVIDER as USER_IMAGE
from metarrd.walk import (
    _MARKERS,
    BLURAY_PARTS,
    DISC_FOLDERS,
    DISC_IN_SHOW,
    NOT_UTF8,
    VIDEO_EXTENSIONS,
    RealFolders,
    drop_ignored,
    episode_skip_rule,
    flat_bluray_index,
    folder_markers,
    folder_skip_rule,
    is_empty_folder,
    is_episode_file,
    is_junk_folder,
    is_skipped_show_folder,
    kept_out_by,
    kept_out_on_the_way,
    kept_out_rule,
    may_follow,
    rules_down_to,
)

log = logging.getLogger(__name__)

_VIDEO_SUFFIXES = tuple(sorted(VIDEO_EXTENSIONS))  # a name that ends in none is no video
_NAME = operator.attrgetter("name")
# of a lower-case name: an image's
_IMAGE_NAME = operator.methodcaller("endswith", tuple(sorted(IMAGE_EXTS)))

SHOW_NFO = "tvshow.nfo"
SEASON_NFO = "season.nfo"  # in a season folder: Jellyfin's, Emby's and tinyMediaManager's
# in the show folder: tinyMediaManager's season NFO naming "seasonXX.nfo" (`season01.nfo`,
# `season-specials.nfo`: TvShowSeasonNfoNaming.SEASON), as its reader matches it
_SHOW_FOLDER_SEASON_NFO = re.compile(r"season(?:([0-9]{2,9})|-(specials))\.nfo", re.I)
_SEASON_ART = re.compile(r"^season(?:(\d{2,4})|-(specials|all))-([a-z]+)$")
# a season's own art in its folder (`Season 1/folder.jpg`): what Jellyfin's image saver writes
# there ("save artwork into media folders": its default convention's `folder`, then `backdrop`,
# `backdrop1`; ImageSaver.GetStandardSavePath) and its LocalImageProvider reads for a season
# (`poster`/`folder`/`cover`/`default`, `fanart`/`background`/`backdrop`, `banner`,
# `landscape`), and tinyMediaManager's "season folder" namings (`Season 01/season01.jpg`,
# `Season 01/season01-fanart.jpg`: TvShowSeasonPosterNaming.SEASON_FOLDER and its like)
_IN_SEASON_FOLDER = {
    "poster": "poster",
    "folder": "poster",
    "cover": "poster",
    "default": "poster",
    "fanart": "fanart",
    "background": "fanart",
    "backdrop": "fanart",
    "banner": "banner",
    "landscape": "landscape",
}
_IN_SEASON_FOLDER_NAME = re.compile(r"^([a-z]+)-?(\d{1,2})?$")
_SEASON_POSTER = re.compile(r"^season(?:(\d{2,4})|-(specials))$")


@dataclass
class EpisodeProbe:
    path: Path
    size: int
    mtime_ns: int
    name: EpisodeName
    streams: StreamDetails | None = None
    nfo: list[EpisodeNfo] = field(default_factory=list)
    nfo_hash: str | None = None
    artwork: list[LocalArtwork] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the NFO's (a guessed encoding, repaired)
    vanished: bool = False  # gone between the walk and its reading (renamed, deleted)
    refused: bool = False  # its reading was refused (permission denied): STREAMS_REFUSED


def scan_tv_library(rt: Runtime, lib: LibraryConfig, scope: list[Path] | None = None) -> ScanReport:
    report = ScanReport()
    root = Path(lib.path)
    library = db.Library.get(db.Library.name == lib.name)
    if (reason := library_root_problem(root)) is not None:
        report.errors.append((str(root), f"library {lib.name!r}: {reason}"))
        db.record_event("scan.failed", f"Library {lib.name}: {root} {reason}", level="error")
        return report
    if mounted_elsewhere(lib, library, report) or unmounted(lib, library, report):
        return report
    remove_disowned(library)  # a kind change's, killed before it removed them
    scope = scope or [root]

    said: list[tuple[Path, str]] = []  # recorded once the shows are: on the show of each

    def on_error(path: Path, reason: str) -> None:
        shown = display(path)  # a name that is not UTF-8 shows as \xNN, never a traceback
        log.warning("library %s: cannot read %s: %s", lib.name, shown, reason)
        report.errors.append((shown, reason))
        said.append((path, f"{shown}: {reason}"))

    try:
        _walk_and_scan(rt, lib, library, root, scope, report, on_error)
    except BaseException:
        # what the walk found before it stopped is recorded still (it had been lost with the
        # job's error), unless the database refuses that too: then the walk's error is the one
        # raised, this one logged
        try:
            _record_errors(library, root, said)
        except Exception:  # noqa: BLE001 - the walk's own error is what the job says
            log.warning("library %s: the walk's errors were not recorded", lib.name, exc_info=True)
        raise
    _record_errors(library, root, said)
    return report


def _record_errors(library: db.Library, root: Path, said: list[tuple[Path, str]]) -> None:
    """A `scan.error` event for each problem of the walk, on the show whose folder holds its
    path (its page shows it: a Latin-1 episode name, a season folder that cannot be listed), a
    show found by this scan too; on none for the library's own."""
    if not said:
        return
    shows = dict(
        db.Movie.select(db.Movie.path, db.Movie.id)
        .where((db.Movie.library == library.id) & (db.Movie.kind == db.SHOW))
        .tuples()
    )
    for path, message in said:
        show = next(
            (shows[str(p)] for p in (path, *path.parents) if p != root and str(p) in shows),
            None,
        )
        db.record_event("scan.error", message, movie=show, level="error")


def _walk_and_scan(
    rt: Runtime,
    lib: LibraryConfig,
    library: db.Library,
    root: Path,
    scope: list[Path],
    report: ScanReport,
    on_error,
) -> None:
    """The walk of `scope`, and the scan of each show found in it."""
    skipped = Skipped(root)  # what the walk leaves out by name: listed for the user
    walk = _ShowWalk(rt.config, lib, on_error, skipped)
    walk.listed = report.listed  # for the look at our files gone, after the scan (`ours_gone`)
    # a full rescan: the episode NFOs new or changed since the last one (`scan_show`)
    seen_nfos = NfosSeen(library) if root in scope else None
    shows: dict[Path, list[Path]] = {}  # show folder -> scope paths inside it
    for top in scope:
        if top != root and (why := cannot_look(top)) is not None:  # its items keep their state
            walk.unreadable(top, why)
            continue
        if top != root and is_gone(top) and (share := gone_share(str(top), str(root))):
            walk.unreadable(Path(share[0]), share[1])  # behind a share not there: kept too
            continue
        if top == root:
            skipped.walked.append(str(root))
            try:
                entries = sorted(os.scandir(root), key=lambda e: e.name)
            except OSError as exc:
                walk.unreadable(root, f"cannot list the library ({exc.strerror})")
                continue
            # the root's .ignore / .plexignore, for the shows below: read once, by this listing
            patterns = ignore_files.above(root).entering(str(root), [e.name for e in entries])
            walk.root_rules[str(root)] = patterns
            for entry in entries:
                if is_junk_folder(entry.name):
                    continue
                enters = walk.enters(entry, report=True)
                if enters and patterns and (rule := patterns.rule_for(entry.path, True)):
                    skipped(entry.path, rule)  # a pattern of the root's .ignore / .plexignore
                elif enters and (rule := kept_out_rule(entry.path)) is not None:
                    skipped(entry.path, rule)  # kept out of the players' scans
                elif enters:  # every other folder in the root is a show
                    if is_utf8(entry.path):
                        shows.setdefault(Path(entry.path), []).append(Path(entry.path))
                    else:
                        on_error(Path(entry.path), NOT_UTF8)
                elif _is_regular(entry) and Path(entry.name).suffix.lower() in VIDEO_EXTENSIONS:
                    report.errors.append(
                        (
                            display(entry.path),
                            "a video file directly in a TV library root: put it in its "
                            "show's folder",
                        )  # fmt: skip
                    )
        else:
            show_dir = root / top.relative_to(root).parts[0]
            if _led_out(rt, lib, top, report):
                continue
            if is_junk_folder(show_dir.name) or not _walked_into(show_dir, top):
                log.info("library %s: %s is not walked (junk or extras)", lib.name, display(top))
                if not is_junk_folder(show_dir.name):
                    _tell_not_walked(show_dir, top, skipped)
                continue
            if (marked := kept_out_on_the_way(top, root)) is not None:
                log.info("library %s: %s is not walked (%s)", lib.name, display(top), marked[1])
                skipped(*marked)
                continue
            skipped.walked.append(str(top))  # a file alone: `episode_files` reads only it
            if is_utf8(show_dir):
                shows.setdefault(show_dir, []).append(top)
            else:
                on_error(show_dir, NOT_UTF8)
    _follow_renamed_shows(rt.config, library, shows, report)
    _mark_vanished_shows(rt.config, library, root, scope, set(shows), walk, report)
    walk.known = known_episodes(library, None if root in scope else list(shows))
    # the films a movie library's scan recorded here: only those read as episodes become some
    kept = films_kept(library, lib.name, root, scope)
    if kept.warning:
        log.warning("%s", kept.warning)
        report.errors.append((lib.name, kept.warning))
        E = db.Event  # said at each scan; its event once, until what it says changes
        if not E.select().where(E.kind == "scan.warning", E.message == kept.warning).exists():
            db.record_event("scan.warning", kept.warning, level="warning")
    for show_dir, tops in shows.items():
        if show_dir.is_dir():
            try:
                scan_show(
                    rt, library, show_dir, tops, report, walk, nfos=root not in scope,
                    films=kept, seen=seen_nfos,
                )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - one show's failure is that show's only
                if db.is_disk_full(exc) or isinstance(exc, LeaseLost):  # no show's: the job's
                    raise
                log.warning(  # the traceback: the daemon's journal, or the command line's -v
                    "library %s: scanning %s failed", lib.name, display(show_dir), exc_info=True
                )
                on_error(show_dir, f"the show could not be scanned ({type(exc).__name__}: {exc})")
                walk.unread.append(str(show_dir))  # its films, if any, stay as they are
                if seen_nfos is not None:  # its NFOs: looked at again by the next rescan
                    seen_nfos.look_again(f for f in seen_nfos.folders if is_inside(f, show_dir))
    # a movie library's films its walk left out (a show's `Shorts/`): its kind changed since
    films_left_in_tv(rt.config, library, scope, lambda film: _out_of_reach(film, root, walk), kept)
    report.skipped = skipped.total
    save_skipped(library, skipped)
    if seen_nfos is not None:
        seen_nfos.save()
    log.info(
        "TV library %s: %d shows, %d videos, %d new, %d changed, %d missing, %d unchanged, "
        "%d errors, %d skipped by name", lib.name, len(shows), report.found, len(report.new),
        len(report.changed), len(report.missing), report.unchanged, len(report.errors),
        report.skipped,
    )  # fmt: skip


def known_episodes(
    library: db.Library, shows: list[Path] | None
) -> dict[str, tuple[int, int, str | None]]:
    """path -> (size, mtime_ns, file_id) of the episode files recorded in `library` (in the
    show folders `shows`; None: all), not missing, whose names today's rules read
    (`NAME_RULES`): the walk takes one as it was without its name's rules (`_ShowWalk`). Plain
    rows, a query for the library (for a scan of some shows, one per 500 of them)."""
    M, S = db.Movie, db.Movie.alias()
    rows = db.database.execute  # a cursor's plain tuples: no conversion a row
    query = M.select(M.path, M.size, M.mtime_ns, M.file_id).where(
        M.library == library,
        M.kind == db.EPISODE,
        ~M.missing,
        db.json_int(M.hints, "name_rules") == NAME_RULES,
    )
    if shows is None:
        return {path: (size, mtime_ns, file_id) for path, size, mtime_ns, file_id in rows(query)}
    found = {}
    for start in range(0, len(shows), _CHUNK):
        chunk = [str(show) for show in shows[start : start + _CHUNK]]
        ids = S.select(S.id).where(S.library == library, S.kind == db.SHOW, S.path.in_(chunk))
        for path, size, mtime_ns, file_id in rows(query.where(M.show.in_(ids))):
            found[path] = (size, mtime_ns, file_id)
    return found


class _ShowWalk:
    """How a TV library's folders are walked: a symlinked folder is followed when its target
    lies inside a library (any), or anywhere with the library's `follow_symlinks`, as the movie
    walk does; errors go to `on_error(path, reason)`. `unread`: the folders (and files) it
    could not read, whose known items keep their state (`stage.out_of_sight`). What it leaves
    out by name (samples, extras, extras folders) goes to `on_skip(path, rule)`."""

    def __init__(self, config: Config, lib: LibraryConfig, on_error, on_skip=None) -> None:
        # each looked up when a symlink first asks: a library on a hung mount (its lstat never
        # returns) hung the walk of every TV library before its first folder
        self.allowed = RealFolders(other.path for other in config.library)
        self.anywhere = lib.follow_symlinks
        self.on_error = on_error
        self.on_skip = on_skip
        self.unread: list[str] = []
        self.root = os.path.normpath(lib.path)
        # the ignore files' patterns in force in a folder (the root's, read by its listing)
        self.root_rules: dict[str, ignore_files.Rules] = {}
        # when set (a full rescan), `episode_files` adds the size and mtime of each episode
        # NFO it passes by its path (`nfos_seen`): one `stat` per NFO
        self.nfos: dict[str, list[int]] | None = None
        # when set, `episode_files` adds the names each folder it lists holds, by its path: a
        # file of ours whose name is there was there when the walk looked (`scan.ours_gone`)
        self.listed: dict[str, set[str]] | None = None
        # when set (a show's scan), `episode_files` keeps each folder's listing, sorted by name
        # and unfiltered, by its path: the show's other looks (its art, its season NFOs, the
        # videos Kodi alone adds) read it instead of listing the folders again (`listing`)
        self.entries: dict[str, list[os.DirEntry[str]]] | None = None
        # when set (`known_episodes`): path -> (size, mtime_ns, file_id or None) of each known
        # episode file whose name today's rules read (`NAME_RULES`): one with the same size and
        # mtime (and identity, where recorded) is an episode file as it was, no name rule asked
        self.known: dict[str, tuple[int, int, str | None]] | None = None

    def listing(self, folder: str | os.PathLike[str]) -> list[os.DirEntry[str]]:
        """The entries of `folder` sorted by name: as this scan's walk listed it, else listed
        now (a folder the walk did not list: out of its scope, or left out by it). Raises the
        listing's OSError."""
        folder = os.fspath(folder)
        if self.entries is not None and (known := self.entries.get(folder)) is not None:
            return known
        return sorted(os.scandir(folder), key=lambda e: e.name)

    def kept_out(self, folder: str | os.PathLike[str]) -> str | None:
        """`kept_out_rule` of `folder`, read from its listing (`listing`): no look for its
        `.nomedia` and `.ignore` by their paths, two calls a season folder at each rescan."""
        try:
            entries = self.listing(folder)
        except OSError:  # as `kept_out_rule` tells a folder it cannot look into
            return kept_out_rule(folder)
        if _MARKERS.isdisjoint(map(_NAME, entries)):  # by calls in C: most folders hold none
            return None
        return kept_out_by(entries)

    def rules_above(self, top: str) -> ignore_files.Rules:
        """The patterns in force in the folder holding `top` (a show folder, or a scope in one)."""
        parent = os.path.dirname(os.path.normpath(top))
        if parent not in self.root_rules:
            self.root_rules[parent] = rules_down_to(parent, self.root)
        return self.root_rules[parent]

    def skipped(self, path: str | os.PathLike[str], rule: str | None) -> None:
        """A video or folder left out by its name (`rule` None: not worth telling)."""
        if rule is not None and self.on_skip is not None:
            self.on_skip(path, rule)

    def unreadable(self, path: Path, reason: str) -> None:
        """Report a folder or file that could not be read, and keep its items as they are."""
        self.unread.append(str(path))
        self.on_error(path, reason)

    def enters(self, entry: os.DirEntry[str], *, report: bool = False) -> bool:
        """Is the entry a folder to walk into (a real one, or a symlink allowed to be followed)?
        `report`: one that cannot be told (a symlinked show folder into a share we may not
        read, EIO) is reported, so that its items keep their state; a link loop is junk, and
        one gone since the listing was never there."""
        try:
            if not entry.is_dir():  # follows a symlink
                return False
            return self.anywhere or may_follow(entry, self.allowed, self.on_skip)
        except OSError as exc:
            if report and not isinstance(exc, FileNotFoundError) and exc.errno != errno.ELOOP:
                self.unreadable(Path(entry.path), f"cannot read ({exc.strerror})")
            return False

    def episode_files(self, tops: list[Path]) -> list[tuple[str, int, int]]:
        """(path, size, mtime_ns) of every episode file under `tops`, folder by folder in name
        order; a folder met twice (a symlink loop) is walked once, one that cannot be listed
        or whose name is not UTF-8 is reported, never silently left out. A file `known` as it
        was costs its `stat` alone: its name was read by today's rules when it was recorded
        (a rescan asked them of every file of every show, its regular expressions included);
        the folder's own rules (`.nomedia`, `.ignore`, a disc's structure) are asked still."""
        found: list[tuple[str, int, int]] = []
        known = self.known or {}
        for top in tops:
            if top.is_file():
                if _is_dvd_file(top.name) and _holds_dvd(top.parent):
                    self.skipped(top.parent, disc_rule(top.parent, "VIDEO_TS.IFO"))
                elif top.parent.name.upper() == "STREAM" and (
                    index := _bluray_index(top.parent.parent)
                ):
                    self.skipped(top.parent.parent, _flat_bluray_rule(top.parent.parent, index))
                elif is_episode_file(top.name) and is_utf8(top):
                    st = top.stat()
                    found.append((str(top), st.st_size, st.st_mtime_ns))
                elif top.suffix.lower() in VIDEO_EXTENSIONS:
                    self.skipped(top, episode_skip_rule(top.name))
                continue
            seen: set[tuple[int, int]] = set()
            pending = [os.fspath(top)]
            # None where no pattern is in force, the common case
            rules_in = {pending[0]: self.rules_above(pending[0]) or None}
            while pending:
                folder = pending.pop()
                rules = rules_in.pop(folder, None)
                try:
                    st = os.stat(folder)
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                    entries = sorted(os.scandir(folder), key=_NAME)
                except FileNotFoundError:
                    continue  # gone since it was listed
                except OSError as exc:
                    self.unreadable(Path(folder), f"cannot list the folder ({exc.strerror})")
                    continue
                # the names at once, by calls in C: a Python call or loop step an entry cost a
                # rescan more than its listing (bench.tv_scan)
                names = list(map(_NAME, entries))
                if self.listed is not None:
                    self.listed[folder] = set(names)
                if self.entries is not None:
                    self.entries[folder] = entries
                if not _MARKERS.isdisjoint(names):  # .nomedia, .ignore...: most folders none
                    rule, rules = folder_markers(folder, entries, rules)
                    if rule is not None:
                        self.skipped(folder, rule)
                        continue
                if rules is not None:
                    entries = drop_ignored(entries, rules, self.skipped)
                    names = list(map(_NAME, entries))
                folders = []
                upper = set(map(str.upper, names))
                dvd = "VIDEO_TS.IFO" in upper  # VIDEO_TS's files
                if dvd:
                    self.skipped(folder, disc_rule(Path(folder), "VIDEO_TS.IFO"))
                # BDMV's files (an AVCHD disc's too): its folders are the disc's
                index = flat_bluray_index(names, names) if "STREAM" in upper else None
                bluray = index is not None
                if index is not None:
                    self.skipped(folder, _flat_bluray_rule(Path(folder), index))
                for entry in entries:
                    name = entry.name
                    if bluray and name.upper() in BLURAY_PARTS:
                        continue
                    if dvd and _is_dvd_file(name):
                        continue
                    try:
                        if entry.is_dir():
                            if is_skipped_show_folder(name):
                                self.skipped(entry.path, _folder_rule(Path(entry.path)))
                                continue
                            if not is_utf8(entry.path):
                                self.on_error(Path(entry.path), NOT_UTF8)
                            elif self.enters(entry):
                                folders.append(entry.path)
                        elif not entry.is_file():  # regular files only
                            continue
                        elif (k := known.get(entry.path)) is not None and (
                            (info := entry.stat()).st_size == k[0]
                            and info.st_mtime_ns == k[1]
                            and (k[2] is None or k[2] == f"{info.st_dev}:{info.st_ino}")
                        ):  # a known episode file as it was: a valid UTF-8 path, no name rule
                            found.append((entry.path, k[0], k[1]))
                        elif not name.lower().endswith(_VIDEO_SUFFIXES):
                            if (
                                self.nfos is not None
                                and name[-4:].lower() == ".nfo"
                                and name.lower() not in (SHOW_NFO, "season.nfo")  # every scan
                            ):
                                info = entry.stat()
                                self.nfos[entry.path] = [info.st_size, info.st_mtime_ns]
                        elif is_episode_file(name):
                            if not is_utf8(entry.path):
                                self.on_error(Path(entry.path), NOT_UTF8)
                                continue
                            info = entry.stat()
                            found.append((entry.path, info.st_size, info.st_mtime_ns))
                        elif os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS:
                            self.skipped(entry.path, episode_skip_rule(name))
                    except FileNotFoundError:
                        continue  # vanished since the listing
                    except OSError as exc:  # a link into a share we may not read, EIO
                        if exc.errno != errno.ELOOP:  # a link loop is junk, nothing to read
                            self.unreadable(Path(entry.path), f"cannot read ({exc.strerror})")
                pending.extend(reversed(folders))
                if rules is not None:
                    rules_in.update(dict.fromkeys(folders, rules))
        return found


def _follow_renamed_shows(
    config: Config, library: db.Library, shows: dict[Path, list[Path]], report
) -> None:
    """Show folders renamed or moved without the webhook (Sonarr's series folder renamed to
    `Dexter (2006) {tvdb-79349}`, a show moved into another TV library): the show item, its
    seasons and episodes follow their folder, with the user's identification, edits and locks,
    and the ledger rows of the files we published there (`renames.carry_ledger`). Before, the
    folder was a new show with new episodes, and the old ones went missing. A show follows a
    folder no show is known at when its own folder is gone, and that folder holds its episode
    files at the same places (same relative path and size; a copy may have another mtime): at
    least one, and half of its episodes or more; or, its files renamed too, when the folder's
    name gives the show's title (or id) and holds as many of its files by size and mtime under
    other names (whose episodes then follow them: `_moved_episodes`); only when exactly one
    gone show does. Never a show behind a share not there (`_share_not_there`): the same show
    in two libraries, the first's share not mounted, is not moved into the second's."""
    new = [d for d in shows if d.is_dir()]
    if not new:
        return
    M = db.Movie
    paths = [str(d) for d in new]
    known = set()
    for start in range(0, len(paths), 500):  # within any SQLite's limit of query variables
        chunk = paths[start : start + 500]
        known.update(p for (p,) in M.select(M.path).where(M.path.in_(chunk)).tuples())
    new = [d for d in new if str(d) not in known]
    if not new:
        return
    # a show folder found only under a name spelt otherwise (`files.respelt`: renamed in case
    # only on a share that ignores case) is gone from there too; each folder listed once
    listings: dict[str, frozenset[str]] = {}
    gone = [
        s
        for s in M.select().where(M.kind == db.SHOW)
        if gone_or_respelt(
            s.path, os.path.dirname(s.path), follow_symlinks=False, listings=listings
        )
        and not _share_not_there(config, s.path)
    ]
    if not gone:
        return
    episodes: dict[int, list[db.Movie]] = {}
    for m in M.select().where(M.show.in_([s.id for s in gone]), M.kind == db.EPISODE):
        episodes.setdefault(m.show_id, []).append(m)
    for show_dir in new:
        found = [s for s in gone if _holds_episodes_of(show_dir, s, episodes.get(s.id, []))]
        if not found:  # its episode files renamed with it (Sonarr renaming both, no webhook)
            files = _files_in(show_dir)
            found = [
                s
                for s in gone
                if _holds_files_of(files, episodes.get(s.id, [])) and _same_show_name(show_dir, s)
            ]
        if len(found) != 1:
            continue
        show = found[0]
        gone.remove(show)
        _move_show(library, show, show_dir)
        report.moved.append(show.id)


def _holds_episodes_of(show_dir: Path, show: db.Movie, episodes: list[db.Movie]) -> bool:
    same = 0
    for episode in episodes:
        there = show_dir / os.path.relpath(episode.path, show.path)
        try:
            st = os.stat(there)
        except (OSError, ValueError):
            continue
        # not the mtime: a copy (`cp -r`, `rsync -r`, a move across filesystems) may not keep it
        same += st.st_size == episode.size
    return same > 0 and 2 * same >= len(episodes)


def _files_in(show_dir: Path) -> set[tuple[int, int]]:
    """(size, mtime_ns) of each episode file under a show folder (not following links)."""
    found = set()
    for folder, _dirs, names in os.walk(show_dir):
        for name in names:
            if is_episode_file(name):
                try:
                    st = os.stat(os.path.join(folder, name), follow_symlinks=False)
                except OSError:
                    continue
                found.add((st.st_size, st.st_mtime_ns))
    return found


def _holds_files_of(files: set[tuple[int, int]], episodes: list[db.Movie]) -> bool:
    """Does a folder holding files of these (size, mtime_ns) hold the show's episode files
    under other names (half of them or more, at least one)? The same size and mtime to the
    nanosecond: the same files, renamed."""
    same = sum((e.size, e.mtime_ns) in files for e in episodes)
    return same > 0 and 2 * same >= len(episodes)


def _share_not_there(config: Config, path: str) -> bool:
    """Is `path` under a library root missing or left empty (a share not mounted, as
    `stage.unmounted` has it), or behind a share's empty mount point or a link into a share
    not there (`gone_share`)? What was there is unseen, not gone."""
    root = deepest_folder(path, [lib.path for lib in config.library])
    if root is None:
        return False  # in no library configured here: as before
    if not os.path.isdir(root) or is_empty_folder(root):
        return True
    return gone_share(path, root) is not None


def _same_show_name(show_dir: Path, show: db.Movie) -> bool:
    """Does the folder's name give the show's title (with or without its year: `Dexter` and
    `Dexter (2006) {tvdb-79349}`, `Breaking.Bad.2008` and `Breaking Bad (2008)`), or its
    TheTVDB or TMDB id?"""

    def keys(title: str | None, year: int | None) -> set[str]:
        bare = "".join(c for c in (title or "").casefold() if c.isalnum())
        return {bare, f"{bare}{year}"} - {"", f"{year}"} if year else {bare} - {""}

    new = show_folder_hints(show_dir.name)
    ids = [(new.get(k), getattr(show, k)) for k in ("tvdb_id", "tmdb_id")]
    if any(mine and mine == theirs for mine, theirs in ids):
        return True
    old = show_folder_hints(os.path.basename(show.path))
    known = keys(old["title"], old["year"]) | keys(show.title, show.year)
    return bool(keys(new["title"], new["year"]) & known)


def _move_show(library: db.Library, show: db.Movie, show_dir: Path) -> None:
    """The show, its seasons and episodes take their new folder (`_follow_renamed_shows`)."""
    old, new = show.path, str(show_dir)

    def moved(path: str) -> str:
        return os.path.join(new, os.path.relpath(path, old))

    with db.write_transaction():  # a job's: not when another worker took the scan over
        children = list(db.Movie.select().where(db.Movie.show == show.id))
        db.Movie.update(path=new, library=library, updated_at=db.now()).where(
            db.Movie.id == show.id
        ).execute()
        for child in children:
            path = season_path(new, child.season) if child.kind == db.SEASON else moved(child.path)
            db.Movie.update(
                path=path, parts=[moved(p) for p in child.parts or []], library=library
            ).where(db.Movie.id == child.id).execute()
        for item_id in [show.id, *(c.id for c in children)]:
            carry_ledger(item_id, Path(old), show_dir, renamed_inside=True)
        db.record_event("scan.renamed", f"{old} was renamed to {new}", movie=show)
    log.info("show %d: %s renamed to %s", show.id, old, new)


def follow_moved_shows(config: Config, renames: dict[str, str]) -> list[int]:
    """Show folders a Sonarr webhook names as moved (`webhooks._show_moved_unseen`): Sonarr
    moves a series' folder (a new root folder, a folder renamed: MoveSeriesService) and sends
    no webhook for it, and the watcher does not see a share written from another computer.
    The show item, its seasons and episodes follow their folder first (`_move_show`), so that
    the paths the same webhook names in the new folder (a Rename's `previousPath`, an
    upgrade's `deletedFiles`, a deleted file) find their items there. Only when the show's
    folder is gone (`gone_from_library`: not behind a share not mounted, which the webhook may
    have seen mounted), the new one is a folder in a TV library, and no item is at it. The ids
    of the shows that followed."""
    M = db.Movie
    olds = [old for old, new in renames.items() if old != new]
    if not olds:
        return []
    libraries = {lib.path: lib for lib in db.Library.select().where(db.Library.kind == "tv")}
    moved = []
    for show in M.select().where(M.path.in_(olds), M.kind == db.SHOW):
        new = renames[show.path]
        root = deepest_folder(new, list(libraries))
        if root is None or not gone_from_library(config, show.path) or not os.path.isdir(new):
            continue
        if M.select().where(M.path == new).exists():
            continue
        _move_show(libraries[root], show, Path(new))
        moved.append(show.id)
    return moved


# Copy-then-delete: a show folder moved to another filesystem (Sonarr's *Move series* to a root
# folder on another disk, `rsync -a` then `rm -r`, `mv` across mounts) or an episode copied to
# another season folder (`Season 1` -> `Season 01`) before the old one is removed. The copies
# are new files (new inodes), and a scan that sees them while the old ones are still there
# makes them new items; when the old files go, those items merge back into the old ones.


def _gone(path: str) -> bool:
    """Is nothing at `path`, not even a dangling link? Not a path that cannot be looked at
    (EACCES, EIO on a share), for which `os.path.lexists` was False too: its item was taken
    for gone, and followed a copy while its file was still there."""
    return is_gone(path, follow_symlinks=False)


def follow_copies(config: Config, gone: list[db.Movie]) -> dict[int, int | None]:
    """Of these items whose files (a show's folder) are gone, those a copy now stands for: the
    copy's items, made by an earlier scan (or this one) while the old files were still there,
    merge into them (`_merge_show`, `_merge_episode`), which take the copy's place and keep
    their identification, edits, locks, artwork choices and published files. A show's copy is
    a show folder (any TV library) made after it whose folder holds its episode files at the
    same places, same name and size (the mtime may differ: `cp -r`, `rsync -r`): at least one,
    and half of its episodes or more, the one such show. An episode's copy is in its show,
    made after it: the one file of its name, size and episode numbers (no other gone episode
    of the show has it); else, the one other file of its episodes in its folder, running as
    long: a repack or better quality copied in before the old file went (`_upgrade_of_episode`).
    Neither when the copy's items hold any of the user's work, or are identified as something
    else. The gone items that follow a copy (a merged show's seasons and the episodes it found
    again too), not missing: id -> the id of the copy's item merged into it, which is gone
    (None: none was). The cache files and previews that the rows of the copies' items that go
    named are removed once committed, unless another row still uses them."""
    followed: dict[int, int | None] = {}
    for show in [m for m in gone if m.kind == db.SHOW]:
        if not _gone(show.path):  # there, or it cannot be looked at: not gone
            continue
        copy = _copy_of_show(show)
        if copy is not None:
            followed.update(_merge_show(config, show, copy))
    episodes = [m for m in gone if m.kind == db.EPISODE and m.id not in followed]
    for item in episodes:
        if not _gone(item.path):
            continue
        copy = _copy_of_episode(item, episodes)
        if copy is not None:
            with db.write_transaction():  # a job's: not when another worker took it over
                unused = cache.files_of(copy.id)
                _merge_episode(item, copy)
            cache.remove_unused(config.cache_dir, config.previews_dir, *unused)
            followed[item.id] = copy.id
    for item in episodes:
        if item.id in followed or not _gone(item.path):
            continue
        upgrade = _upgrade_of_episode(item, episodes)
        if upgrade is not None:
            with db.write_transaction():  # a job's: not when another worker took it over
                unused = cache.files_of(upgrade.id)
                _merge_episode(item, upgrade, "replaced by")
            cache.remove_unused(config.cache_dir, config.previews_dir, *unused)
            followed[item.id] = upgrade.id
    return followed


def _merged(followed: dict[int, int | None], report: ScanReport) -> None:
    """The report of a scan whose gone items followed their copies (`follow_copies`): moved,
    and the copies' items merged (gone, no longer new)."""
    copies = {i for i in followed.values() if i is not None}
    report.moved.extend(i for i in followed if i not in report.moved)
    report.merged.extend(copies)
    report.new[:] = [i for i in report.new if i not in copies]
    report.changed[:] = [i for i in report.changed if i not in copies]


def _no_work_of_the_users(item: db.Movie, old: db.Movie, *, same_kind: bool = True) -> bool:
    """May the item `item`, a copy's, merge into `old`: made after it, none of the user's work
    (a lock, a manual identification, an edit or artwork choice), no job in hand, and (an item
    of the same kind, `same_kind`) not identified as something else than `old`?"""
    if item.id <= old.id or item.locked_fields or item.locked_asset_types:
        return False
    if item.identified_by == "manual":
        return False
    if same_kind and not _identified_alike(item, old):
        return False
    return untouched(item.id)


def _identified_alike(copy: db.Movie, old: db.Movie) -> bool:
    """Is the copy's item identified as nothing else than `old` (and not when `old` is not)?"""
    knows = copy.identification_status not in (db.UNIDENTIFIED, None)
    if old.identification_status == db.UNIDENTIFIED and knows:
        return False  # the copy knows more: it stays, the old item is missing
    for column in ("tmdb_id", "tvdb_id", "imdb_id"):
        mine, theirs = getattr(copy, column), getattr(old, column)
        if mine and theirs and mine != theirs:
            return False
    return True


def _copy_of_show(show: db.Movie) -> db.Movie | None:
    M = db.Movie
    episodes = list(M.select().where(M.show == show.id, M.kind == db.EPISODE))
    if not episodes:
        return None
    # the shows holding a later item of one of its files' sizes: the copies' items, if any
    # (a query and a few `stat`s, not a look into every show folder of every library)
    sizes = sorted({e.size for e in episodes if e.size})[:_CHUNK]
    later = M.select(M.show).where(
        M.kind == db.EPISODE, ~M.missing, M.id > show.id, M.size.in_(sizes)
    )
    found = []
    for other in M.select().where(M.id.in_(later), M.kind == db.SHOW, ~M.missing):
        if os.path.isdir(other.path) and _holds_episodes_of(Path(other.path), show, episodes):
            found.append(other)
    if len(found) != 1 or not _no_work_of_the_users(found[0], show):
        return None
    children = M.select().where(M.show == found[0].id)
    if not all(_no_work_of_the_users(child, show, same_kind=False) for child in children):
        return None
    return found[0]


def _copy_of_episode(item: db.Movie, gone: list[db.Movie]) -> db.Movie | None:
    M = db.Movie
    name = os.path.basename(item.path)
    numbers = (item.season, list(item.episodes or []))
    query = M.select().where(
        M.show == item.show_id, M.kind == db.EPISODE, ~M.missing, M.size == item.size
    )
    candidates = [
        m
        for m in query.where(M.id > item.id)
        if os.path.basename(m.path) == name
        and (m.season, list(m.episodes or [])) == numbers
        and os.path.lexists(m.path)
    ]
    if len(candidates) != 1:
        return None
    rivals = [
        m
        for m in gone
        if os.path.basename(m.path) == name
        and m.size == item.size
        and m.show_id == item.show_id
        and _gone(m.path)
    ]
    if len(rivals) != 1 or not _no_work_of_the_users(candidates[0], item):
        return None
    return candidates[0]


def _take_over(old: db.Movie, copy: db.Movie) -> None:
    """`old` takes the rows `copy` (which goes next) keeps of files: the ledger rows of what was
    published for it (still ours, `old`'s now), the user's images found with it and their
    cached copies, as candidates only (`old`'s artwork choices stay). Not an image we published
    for `old` and the copy brought along (its ledger row followed it: `carry_ledger`), which
    the copy's scan took for the user's. Called in a write transaction."""
    L, A, C = db.LibraryFile, db.ArtworkCandidate, db.CacheImageFile
    # the copy's readings of library files that a ledger row names, whoever owns the row (an
    # episode's NFO and thumb are its show's: the show's publish wrote them)
    read = {a.url for a in A.select(A.url).where(A.movie == copy.id, A.provider == LIBRARY_SOURCE)}
    read |= {
        c.source_url
        for c in C.select(C.source_url).where(C.movie == copy.id, C.source_type == LIBRARY_SOURCE)
    }
    ledger = L.select(L.path, L.sha256).where(
        L.movie.in_([old.id, copy.id]) | L.path.in_(sorted(u for u in read if u))
    )
    ours = dict(ledger.tuples())
    take_files(old.id, copy.id, ours)
    for row in A.select().where(A.movie == copy.id, A.provider == LIBRARY_SOURCE):
        taken = A.select().where(
            A.movie == old.id, A.asset_type == row.asset_type, A.url == row.url
        )
        if row.url not in ours and not taken.exists():
            A.update(movie=old.id, is_selected=False, selected_at=None, selected_by=None).where(
                A.id == row.id
            ).execute()


def _upgrade_of_episode(item: db.Movie, gone: list[db.Movie]) -> db.Movie | None:
    """The file that replaced the gone episode `item` in its folder, copied in before it went
    (a repack or a better quality imported by hand, or by a tool that deletes the old file
    last): the one other file of its episodes there, made after it, running as long, when
    no other gone file of those episodes was there (`follow_copies`)."""
    numbers = (item.season, list(item.episodes or []))
    if not numbers[1]:
        return None
    folder = os.path.dirname(item.path)

    def alike(m: db.Movie) -> bool:
        return (
            m.show_id == item.show_id
            and (m.season, list(m.episodes or [])) == numbers
            and (os.path.dirname(m.path) == folder)
        )

    M = db.Movie
    query = M.select().where(M.show == item.show_id, M.kind == db.EPISODE, ~M.missing)
    left = [m for m in query if m.id != item.id and alike(m) and os.path.lexists(m.path)]
    rivals = [m for m in gone if alike(m) and _gone(m.path)]
    if len(left) != 1 or len(rivals) != 1 or not _no_work_of_the_users(left[0], item):
        return None  # two files of those episodes kept (two qualities): neither is the item's
    if not same_runtime(item.id, left[0].id):
        return None  # another cut, an extra named as the episode
    return left[0]


def _merge_episode(old: db.Movie, copy: db.Movie, how: str = "moved to") -> None:
    """The episode `old`, whose file is gone, takes the file of its copy (or of the file that
    replaced it: `how`, "replaced by"), whose item goes, with the stream details and the name
    read from that file; our NFO, thumb and season.nfo copied along with it stay ours (their
    ledger rows follow, when the old ones are gone and the copies hold what we wrote: never
    read as the user's, nor backed up as theirs). Called in a write transaction; the caller
    removes the cache files the copy's rows named (`cache.files_of`) once committed."""
    # first: `_take_over` tells our files from the user's by the ledger's paths, which must
    # name the copies (else the copy's scan's reading of our thumb became the user's picture)
    carry_sidecars(old.path, copy.path)
    if (show := db.Movie.get_or_none(db.Movie.id == old.show_id)) is not None:
        _carry_season_nfos(Path(show.path), {copy.path: old})
    _take_over(old, copy)
    for model in (db.VideoStream, db.AudioStream, db.SubtitleStream):
        model.delete().where(model.movie == old.id).execute()
        model.update(movie=old.id).where(model.movie == copy.id).execute()
    named = {k: v for k, v in (copy.hints or {}).items() if k.startswith("name_")}
    db.Movie.delete().where(db.Movie.id == copy.id).execute()
    db.Movie.update(
        path=copy.path,
        parts=copy.parts,
        size=copy.size,
        mtime_ns=copy.mtime_ns,
        library=copy.library_id,
        hints={**(old.hints or {}), **named},
        missing=False,
        updated_at=db.now(),
    ).where(db.Movie.id == old.id).execute()
    db.mark_outdated(old.id)  # its NFO and thumb were published beside the old file
    copied = " (copied, then deleted)" if how == "moved to" else ", found beside it earlier"
    db.record_event(
        "scan.renamed",
        f"{old.path} was {how} {copy.path}{copied}; that file's item (#{copy.id}) is merged "
        "into this one",
        movie=old.id,
    )
    log.info("episode %d: %s %s %s (item %d merged)", old.id, old.path, how, copy.path, copy.id)


def _read_new_name(item: db.Movie, new: str) -> tuple[db.Movie | None, EpisodeName | None]:
    """(the show of the episode `item`, what the name of `new` says as a file of that show):
    (None, None) when the show is gone, (show, None) when guessit cannot read the name (a
    hostile one). Only the name is read."""
    show = db.Movie.get_or_none(db.Movie.id == item.show_id)
    if show is None:
        return None, None
    path = Path(new)
    folder, outer = episode_folders(path, Path(show.path))
    try:
        title = (show.hints or {}).get("folder_title") or show.title
        return show, read_episode_name(path, title, folder, outer)
    except Exception:  # guessit on a hostile name
        return show, None


def holds_first_episode(item: db.Movie, new: str) -> bool:
    """May the episode `item` follow the file `new` that a webhook says replaced its own (an
    upgrade, a rename)? Not when the new file's name gives the item's season without its
    first episode: Sonarr upgrading the second episode of a multi-episode file alone (a
    proper of E02) deletes `S01E01-E02.mkv` for `S01E02.mkv`, and the item's title, locks and
    thumb, which are its first episode's, would be E02's. A name that says nothing of it (by
    air date, an absolute number, another season's: identify maps those) does not stop it."""
    if item.kind != db.EPISODE or item.season is None or not item.episodes:
        return True
    show, name = _read_new_name(item, new)
    if name is None:  # no show, or a hostile name: nothing is known of it
        return True
    if name.season != item.season or not name.episodes:
        return True
    return min(item.episodes) in name.episodes


def numbered_otherwise(item: db.Movie, new: str) -> bool:
    """Does the name of `new`, the file the episode `item` follows (a webhook's rename), give it
    other numbers, or another air date, than it holds? Sonarr names a file after its episode's
    numbers as they are now (RenameEpisodeFileService.cs): a special TheTVDB moved into season 1
    is renamed from `Specials/…S00E05` to `Season 1/…S01E05`. Only the name is read."""
    if item.kind != db.EPISODE:
        return False
    show, name = _read_new_name(item, new)
    if show is None:
        return False
    if name is None:  # guessit on a hostile name: the scan of the file says so
        return True
    hints = item.hints or {}
    if absolute_numbers(hints.get("name_absolute")) != absolute_numbers(name.absolute):
        return True
    if not _in_absolute_order(show, name) and (name.season, list(name.episodes)) != (
        item.season,
        list(item.episodes or []),
    ):
        return True
    if _paired(hints) != name.paired_absolute:  # Sonarr's `S01E08 - 008`: checked again
        return True
    return (hints.get("name_aired"), hints.get("name_part")) != (name.aired, name.part)


def _paired(hints: dict) -> tuple[int, ...]:
    """The absolute numbers a name held beside its season and episode, as scan stored them."""
    return tuple(int(n) for n in hints.get("name_paired_absolute") or ())


def take_replacement(old: db.Movie, new: db.Movie) -> bool:
    """A webhook says the episode `old`'s file was replaced by (or renamed to) the file that a
    scan already made the item `new` of (the watcher saw the new file before the webhook came):
    `new`, made after `old` in its show and holding none of the user's work, merges into it
    (`_merge_episode`), which keeps its data. Called in a write transaction; the caller removes
    the cache files `new`'s rows named (`cache.files_of`) once committed."""
    if old.kind != db.EPISODE or new.kind != db.EPISODE or new.show_id != old.show_id:
        return False
    if not _no_work_of_the_users(new, old, same_kind=False):
        return False
    _merge_episode(old, new, "replaced by")
    # read again by the scan that follows, as a renamed file is: its numbers may be others
    # now (S01E01 became S01E01-E02), and so its episodes to identify
    db.Movie.update(mtime_ns=0).where(db.Movie.id == old.id).execute()
    return True


def merge_replaced(config: Config, follower: db.Movie, others: list[db.Movie]) -> list[int]:
    """Episode files that one file replaced along with `follower`'s (Sonarr's upgrade of
    `S01E01.mkv` and `S01E02.mkv` to one `S01E01-E02.mkv`): each other episode of its show
    merges into `follower`, which now holds its episode too (the rows of files kept for it go
    with it: `_take_over`), so it does not stay behind as missing and our NFO and thumb at its
    old name go at the next publish, as a renamed episode's. One holding the user's work (an
    edit, a lock, an artwork choice, a manual identification) stays, missing once its file is
    gone, with its data: a multi-episode file has one title and one thumb, which are the
    first episode's. The ids merged; the cache files and previews their rows named go once
    committed, unless another row still uses them."""
    merged = []
    for stale in others:
        with db.write_transaction():  # a job's: not when another worker took it over
            # read again under the write lock: a lock or an edit the user made on the review
            # page since `others` was read is the user's work all the same
            other = db.Movie.get_or_none(db.Movie.id == stale.id)
            if other is None or other.kind != db.EPISODE or other.show_id != follower.show_id:
                continue
            if (
                other.locked_fields
                or other.locked_asset_types
                or other.identified_by == "manual"
                or not untouched(other.id)
            ):
                db.record_event(
                    "scan.warning",
                    f"{other.path} was replaced by {follower.path}, which holds this episode "
                    f"too (item #{follower.id}); this item keeps the edits made to it",
                    level="warning",
                    movie=other.id,
                )
                log.info(
                    "episode %d: replaced with item %d; kept for its edits", other.id, follower.id
                )
                continue
            unused = cache.files_of(other.id)
            _take_over(follower, other)
            db.Movie.delete().where(db.Movie.id == other.id).execute()
            db.record_event(
                "scan.renamed",
                f"{other.path} was replaced by {follower.path} with this episode; its item "
                f"(#{other.id}) is merged into this one",
                movie=follower.id,
            )
        cache.remove_unused(config.cache_dir, config.previews_dir, *unused)
        log.info("episode %d: %s replaced by %s (item %d merged)",
                 follower.id, other.path, follower.path, other.id)  # fmt: skip
        merged.append(other.id)
    return merged


def _merge_show(config: Config, old: db.Movie, copy: db.Movie) -> dict[int, int | None]:
    """The show `old`, whose folder is gone, takes its copy's folder (`follow_copies`): each of
    its episodes found there (same place, name and size) merges with the copy's item of that
    file, its seasons with the copy's of the same number; the copy's other episodes and
    seasons become its own, and the copy's show item goes. Its episodes not found there stay
    where they were, missing. `old` and its items that followed: id -> its copy's id. The cache
    files and previews that the rows of the copy's items that go named are removed once
    committed, unless another row still uses them."""
    M = db.Movie
    old_dir, new_dir = old.path, copy.path
    followed: dict[int, int | None] = {old.id: copy.id}
    with db.write_transaction():  # a job's: not when another worker took the scan over
        mine = list(M.select().where(M.show == old.id))
        for item_id in [old.id, *(m.id for m in mine)]:  # what we published there came along
            carry_ledger(item_id, Path(old_dir), Path(new_dir))
        theirs = {m.path: m for m in M.select().where(M.show == copy.id)}
        pairs = []
        for item in mine:
            if item.kind == db.SEASON:
                there = theirs.pop(season_path(new_dir, item.season), None)
            else:
                there = theirs.get(os.path.join(new_dir, os.path.relpath(item.path, old_dir)))
                if there is not None and there.size == item.size and _gone(item.path):
                    del theirs[there.path]
                else:
                    there = None
            pairs.append((item, there))
        going = [copy.id, *(there.id for _item, there in pairs if there is not None)]
        unused = cache.files_of(M.select(M.id).where(M.id.in_(going)))
        for item, there in pairs:
            if there is not None:
                _take_over(item, there)
                M.delete().where(M.id == there.id).execute()
        M.update(show=old.id).where(M.id.in_([m.id for m in theirs.values()])).execute()
        _take_over(old, copy)
        M.delete().where(M.id == copy.id).execute()
        M.update(path=new_dir, library=copy.library_id, missing=False, updated_at=db.now()).where(
            M.id == old.id
        ).execute()
        for item, there in pairs:
            if item.kind == db.SEASON:
                path, values = season_path(new_dir, item.season), {}
            elif there is not None:
                path = there.path
                values = {"size": there.size, "mtime_ns": there.mtime_ns, "parts": there.parts}
            else:
                continue  # not copied: missing where it was
            M.update(
                path=path, library=copy.library_id, missing=False, updated_at=db.now(), **values
            ).where(M.id == item.id).execute()
            followed[item.id] = there.id if there is not None else None
        for item_id in followed:
            db.mark_outdated(item_id)
        db.record_event(
            "scan.renamed",
            f"{old_dir} was moved to {new_dir} (copied, then deleted); the copy's items are "
            f"merged into this show's",
            movie=old.id,
        )
    cache.remove_unused(config.cache_dir, config.previews_dir, *unused)
    log.info("show %d: %s copied to %s (show %d merged)", old.id, old_dir, new_dir, copy.id)
    return followed


def _mark_vanished_shows(
    config: Config, library, root: Path, scope, present: set[Path], walk: _ShowWalk, report
) -> None:
    if scope != [root]:
        return
    M = db.Movie  # the shows' paths first: a gone one alone is read whole
    shows = M.select(M.id, M.path).where(M.library == library, M.kind == db.SHOW, ~M.missing)
    away = [show_id for show_id, path in shows.tuples() if Path(path) not in present]
    gone = [
        s
        for start in range(0, len(away), _CHUNK)
        for s in M.select().where(M.id.in_(away[start : start + _CHUNK])).order_by(M.id)
        if not _out_of_reach(s, root, walk)
    ]
    for show in gone:
        children = list(db.Movie.select().where(db.Movie.show == show, ~db.Movie.missing))
        # copied to a folder seen before it went
        followed = follow_copies(config, [show, *children])
        _merged(followed, report)
        ids = [m.id for m in [show, *children] if m.id not in followed]
        if not ids:
            continue
        with db.write_transaction():  # a job's: not when another worker took the scan over
            db.Movie.update(missing=True, updated_at=db.now()).where(db.Movie.id.in_(ids)).execute()
            db.record_event("scan.missing", f"{show.path} is gone; its data is kept", movie=show)
        report.missing.extend(ids)


def _out_of_reach(item: db.Movie, root: Path, walk: _ShowWalk) -> bool:
    """Is a known item the walk did not find under a folder it reported (`out_of_sight`), or
    behind a share not there (`mounts.share_gone`: a show folder linked into a share not
    mounted, a share's mount point left empty), which is then reported? Not gone: it keeps
    its state."""
    if out_of_sight(item.path, walk.unread):
        return True
    share = share_gone(item.path, str(root), device_of(item.file_id))
    if share is None:
        return False
    walk.unreadable(Path(share[0]), share[1])
    return True


def _walked_into(show_dir: Path, top: Path) -> bool:
    """Does the full walk reach `top` (a scope inside `show_dir`)? Not below a folder it skips
    (`Show/Shorts/`, `Show/@eaDir/`), nor a file it would not take: a scope the watcher or a
    webhook names there must record nothing the next full scan marks missing."""
    folders = top.relative_to(show_dir).parts
    if top.is_file() or not top.is_dir():
        folders = folders[:-1]
    return not any(is_skipped_show_folder(name) for name in folders)


def _tell_not_walked(show_dir: Path, top: Path, skipped: Skipped) -> None:
    """List the folder of `show_dir` on the way to `top` that the walk does not enter, with
    why, as the full walk lists it."""
    folder = show_dir
    for name in top.relative_to(show_dir).parts:
        folder = folder / name
        if is_skipped_show_folder(name):
            if (rule := _folder_rule(folder)) is not None:
                skipped(folder, rule)
            return


def _folder_rule(folder: Path) -> str | None:
    """Why the TV scan does not enter `folder` (`folder_skip_rule`), a disc's by `disc_rule`."""
    if folder.name.upper() in DISC_FOLDERS:
        return disc_rule(folder.parent, folder.name.upper())
    return folder_skip_rule(folder.name, False, show=True)


def disc_rule(disc: Path, kind: str) -> str:
    """Why a disc structure in a show (`kind`: a `DISC_IN_SHOW` key) is not scanned.
    `disc` is the folder whose name Kodi reads for it (VideoInfoScanner EnumerateEpisodeItem:
    an optical media item's GetLocalMetadataPath, the folder holding VIDEO_TS or BDMV): named
    with an episode's numbers (`Show.S01E02/VIDEO_TS`), Kodi lists it as that episode, so it is
    no stream files left out but an episode metarrd does not tag."""
    what, numbers = kodi_rule_reading(disc.name)
    if what != "numbers" or numbers is None:
        return DISC_IN_SHOW[kind]
    season, episodes = numbers
    named = f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)
    structure = (
        "an AVCHD structure"
        if kind == "INDEX.BDM"
        else "a Blu-ray structure (BDMV)"
        if "BDM" in kind
        else "a DVD structure"
    )
    return (
        f"{structure} Kodi reads as episode {named} by its folder's name: metarrd does not read "
        "episodes on disc structures (no NFO, artwork or stream details for it); a video file "
        f"named {named} would be read"
    )


def _flat_bluray_rule(disc: Path, index: str) -> str:
    """`disc_rule` of a Blu-ray's files out of their BDMV folder (`index`: its index's name).
    For an `index.bdmv`, Kodi's TV scan (21 and later: xbmc/xbmc#24314) drops every other file
    below the folder above the one holding it (VideoInfoScanner EnumerateSeriesFolder: the
    parent of the index's folder, made for `<disc>/BDMV/index.bdmv`), so the season's other
    episodes are gone from Kodi: said, with the way out. An AVCHD disc's `INDEX.BDM` prunes
    nothing there."""
    rule = disc_rule(disc, index)
    if index != "INDEX.BDMV":
        return rule
    return (
        f"{rule}; Kodi (21 and later) then leaves out every other video in {disc.parent.name}/ "
        f"and below: move the disc's files into a BDMV folder ({disc.name}/BDMV/index.bdmv)"
    )


def _is_dvd_file(name: str) -> bool:
    """A DVD's stream file (`VTS_01_1.VOB`): no episode where `VIDEO_TS.IFO` lies beside it."""
    return name.lower().endswith(".vob")


def _bluray_index(folder: Path) -> str | None:
    """The index (`INDEX.BDMV`, an AVCHD disc's `INDEX.BDM`) of a Blu-ray's files out of their
    BDMV folder that `folder` holds (`walk.flat_bluray_index`), else None."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    return flat_bluray_index(names, names)


def _holds_dvd(folder: Path) -> bool:
    """Does `folder` hold `VIDEO_TS.IFO` (a DVD's files out of their VIDEO_TS folder)?"""
    try:
        with os.scandir(folder) as it:
            return any(e.name.upper() == "VIDEO_TS.IFO" for e in it)
    except OSError:
        return False


def _is_regular(entry: os.DirEntry[str]) -> bool:
    """`entry.is_file()`, where a symlink that cannot be followed (a loop, a target we may not
    read) is no file rather than an OSError that stops the scan."""
    try:
        return entry.is_file()
    except OSError:
        return False


class _EpisodeRow(NamedTuple):
    """What a show's scan compares of each of its episodes (`_EPISODE_ROWS`): a plain row."""

    id: int
    path: str
    missing: bool
    size: int
    mtime_ns: int
    name_rules: int | None
    refused: int | None
    source_nfo_hash: str | None


def _episode_rows(show_id: int):
    M = db.Movie
    return M.select(
        M.id, M.path, M.missing, M.size, M.mtime_ns, db.json_int(M.hints, "name_rules"),
        db.json_int(M.hints, STREAMS_REFUSED), M.source_nfo_hash,
    ).where(M.show == show_id, M.kind == db.EPISODE)  # fmt: skip


_EPISODE_ROWS = Prepared(_episode_rows)
# what of a show an unchanged rescan reads (`_record_show` and, when no episode changed,
# `scan_show`): its item whole (`whole_show`) for all else
_SHOW_COLUMNS = (
    "id", "library", "path", "kind", "title", "ordering", "hints", "missing", "last_error",
    "identification_status", "nfo_extra",
)  # fmt: skip
_SHOW_ROW = Prepared(
    lambda path: (
        db.Movie.select(*(db.Movie._meta.fields[f] for f in _SHOW_COLUMNS))
        .where(db.Movie.path == path)
        .limit(1)
    )
)


def whole_show(show: db.Movie) -> db.Movie:
    """`show` with all its columns: read again when `_record_show` read only `_SHOW_COLUMNS`."""
    return db.Movie.get_by_id(show.id) if getattr(show, "partial", False) else show


_PUBLISH_STATE = Prepared(
    lambda item_id: db.Movie.select(db.Movie.publish_state).where(db.Movie.id == item_id)
)


_FILM_KEPT = (
    "recorded as a film while its library was a movie library, and its name reads as no "
    "episode (no S01E02, air date or absolute number): kept as a film, not read as an "
    "episode; rename it to make it one"
)


def scan_show(
    rt: Runtime,
    library: db.Library,
    show_dir: Path,
    tops: list[Path],
    report: ScanReport,
    walk: _ShowWalk,
    *,
    nfos: bool = False,
    films: FilmsKept | None = None,
    seen: NfosSeen | None = None,
) -> None:
    """`nfos`: an unchanged episode file is read again when its NFO is the user's and not the
    one its item last took in (a scan of some folders: the watcher's, for an NFO edited in
    another tool; never the whole library's, where an unchanged file costs one `stat`).
    `films`: the films a movie library's scan recorded that stay films
    (`kind_change.films_kept`: their names read as no episode): not read, noted as seen,
    each reported unless the library is guarded (its warning says it of them all).
    `seen`: in a full rescan, the NFOs its last one saw: an unchanged file is read again when
    its NFO is new or changed since (`nfos_seen`), and is the user's, not the one taken in.
    A show folder that cannot be listed (0700 of another user, EIO on a share) is reported
    and its items keep their state: nothing in it can be looked at, not even its NFO."""
    try:
        with os.scandir(show_dir):
            pass
    except OSError as exc:
        walk.unreadable(show_dir, f"cannot list the folder ({exc.strerror})")
        return
    if seen is not None:
        walk.nfos = {}
    walk.entries = {}  # this show's listings, for its art, season NFOs and Kodi-only videos
    files = walk.episode_files(tops)
    if seen is not None:
        seen.took(walk.nfos or {})
        walk.nfos = None

    ledger = None  # of the episodes' NFOs, read together for a scan that asks of each

    def nfo_changed(path: str, row) -> bool:
        if seen is None:
            return _episode_nfo_changed(rt.config, Path(path), row, report, ledger)
        folder = os.path.dirname(path)
        if folder not in seen.folders:
            return False
        errors = len(report.errors)
        changed = _episode_nfo_changed(rt.config, Path(path), row, report)
        if len(report.errors) > errors:  # it could not be read: not taken in, nor seen
            seen.look_again([folder])
        return changed

    if films and (left := [f for f in files if films.holds(f[0])]):
        files = [f for f in files if f not in left]
        for path, *_ in [] if films.guarded else left:
            report.errors.append((display(path), _FILM_KEPT))
        if not files:  # a film's folder (`Heat (1995)/`): no show made of it
            return
    show, nfo_ours = _record_show(rt, library, show_dir, report, walk)
    report.found += len(files)
    # the show's episodes as plain rows first: an unchanged file costs a dict lookup, and only
    # the items a scan goes on with (changed, gone, read by older rules) are loaded whole
    # (a rescan of 5,000 unchanged episodes built and JSON-decoded every one of them)
    exact, under = {str(t) for t in tops}, tuple(str(t) + os.sep for t in tops)
    rows = {
        row.path: row
        for row in map(_EpisodeRow._make, _EPISODE_ROWS.rows(show.id))
        if row.path in exact or row.path.startswith(under)
    }
    whole: dict[int, db.Movie] = {}  # the items loaded whole, by id

    def item_of(row) -> db.Movie:
        if row.id not in whole:
            whole[row.id] = db.Movie.get_by_id(row.id)
        return whole[row.id]

    if nfos and seen is None:  # each unchanged file's NFO asked about: their rows at once
        ledger = ledger_rows(os.path.splitext(path)[0] + ".nfo" for path, *_ in files)
    todo = []
    title = (show.hints or {}).get("folder_title") or show.title
    relabel: list[db.Movie] = []  # unchanged files whose names read the same by today's rules
    same: list[str] = []  # their paths: episodes of the show (`_guide_outdated`)
    for path, size, mtime_ns in files:
        row = rows.pop(path, None)
        if (
            row is not None
            and not row.missing
            and row.size == size
            and row.mtime_ns == mtime_ns
            and not ((nfos or seen is not None) and nfo_changed(path, row))
            and not (row.refused and _opens_now(Path(path)))
        ):
            if row.name_rules != NAME_RULES:  # read by older rules
                if not _reads_the_same(show, show_dir, title, Path(path), item := item_of(row)):
                    todo.append((Path(path), size, mtime_ns, item))  # scanned again: read otherwise
                    continue
                relabel.append(item)
            report.unchanged += 1
            same.append(path)
            continue
        todo.append((Path(path), size, mtime_ns, row))
    if todo or rows:  # the scan goes on with an episode: the show's item whole, as it is now
        show = whole_show(show)
    # what the scan goes on with, whole: the files to read again, the items not seen
    wanted = [t[3].id for t in todo if t[3] is not None and not isinstance(t[3], db.Movie)]
    wanted += [row.id for row in rows.values()]
    for start in range(0, len(wanted), _CHUNK):
        chunk = [i for i in wanted[start : start + _CHUNK] if i not in whole]
        whole.update((m.id, m) for m in db.Movie.select().where(db.Movie.id.in_(chunk)))
    todo = [
        (*t[:3], None if t[3] is None else whole.get(t[3].id))
        for t in todo
    ]  # fmt: skip
    known = {row.path: whole[row.id] for row in rows.values() if row.id in whole}
    if relabel:
        with db.write_transaction():
            for item in relabel:
                hints = {**(item.hints or {}), "name_rules": NAME_RULES}
                db.Movie.update(hints=hints).where(db.Movie.id == item.id).execute()
    with ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="probe") as pool:
        probes = list(pool.map(lambda t: probe_episode(rt.config, show_dir, title, *t[:3]), todo))
    # gone between the walk and its reading (a rename or a delete while the scan ran): no new
    # item with a "file not found" error, which no later scan would mark missing (the scan of
    # the folder it went to may have run already); an item known at that path is missing
    gone = [pr.path for pr in probes if pr.vanished]
    if gone:
        for path in gone:
            log.info("%s vanished while it was scanned", display(str(path)))
        report.found -= len(gone)
        known.update(_items_by_path([str(path) for path in gone]))  # marked missing below
        kept = [(t, pr) for t, pr in zip(todo, probes, strict=True) if not pr.vanished]
        todo, probes = [t for t, _pr in kept], [pr for _t, pr in kept]
    with db.write_transaction():
        seasons = {  # read whole for the episodes recorded below: none when all are unchanged
            s.season: s
            for s in db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON)
        } if todo else {}  # fmt: skip
        elsewhere = _items_by_path(
            [str(pr.path) for t, pr in zip(todo, probes, strict=True) if t[3] is None]
        )
        items = [
            item or elsewhere.get(str(pr.path)) for (*_, item), pr in zip(todo, probes, strict=True)
        ]
        moved, joined = _moved_episodes(show, items, probes, known)
        probes = [_ours_left_out(pr, moved.get(str(pr.path))) for pr in probes]
        _carry_season_nfos(show_dir, moved)  # before `_record_season_nfos` reads them
        found = {str(pr.path): (pr.size, pr.mtime_ns) for pr in probes}
        for new_path, item in moved.items():
            how = "moved to" if found[new_path] == (item.size, item.mtime_ns) else "replaced by"
            db.record_event("scan.renamed", f"{item.path} was {how} {new_path}", movie=item)
            report.moved.append(item.id)
        # films that become episodes (`_film_to_episode`): the cache files and previews their
        # rows that go named, removed once committed unless another row still uses them
        films = [i.id for i in items if i is not None and i.kind == db.MOVIE]
        unused = (
            cache.files_of(db.Movie.select(db.Movie.id).where(db.Movie.id.in_(films)))
            if films
            else (set(), set())
        )  # (two queries a show for none, each rescan)
        # renamed with another absolute number beside its episodes (Sonarr's `S02E01 - 009`
        # renamed `S02E01 - 007`): the same episode file, checked again (`_record_episode`)
        paired = {item.id: _paired(item.hints or {}) for item in moved.values()}
        recorded = [
            _record_episode(library, show, pr, item or moved.get(str(pr.path)))
            for item, pr in zip(items, probes, strict=True)
        ]
        report.named_otherwise += [
            item.id for item, _is_new, pr in recorded
            if item.id in paired and paired[item.id] != pr.name.paired_absolute
        ]  # fmt: skip
        for item in moved.values():
            db.mark_outdated(item.id)  # its published NFO and thumb stayed where it was
        moved_ids = {item.id for item in moved.values()}
        read = [
            (item, pr.streams)
            for item, is_new, pr in recorded
            if not is_new and pr.streams is not None and item.id not in moved_ids
        ]
        published = published_now([item.id for item, _streams in read])
        for item_id in restreamed(
            [(item, streams) for item, streams in read if item.id in published]
        ):  # replaced where it is: its NFO describes the old file
            db.mark_outdated(item_id)  # and its show's
            report.restreamed.append(item_id)
        _insert_new([item for item, is_new, _pr in recorded if is_new])
        _replace_all_streams([(item, is_new, pr.streams) for item, is_new, pr in recorded])
        for item, is_new, pr in recorded:
            _after_episode(library, show, seasons, item, is_new, pr, report)
    if films:
        cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *unused)
    for follower_id, others in joined.items():  # its other episodes' items merge into it
        merged = merge_replaced(rt.config, db.Movie.get_by_id(follower_id), others)
        report.merged.extend(merged)
        report.named_otherwise.append(follower_id)  # other numbers: identified again
        known.update({m.path: m for m in others if m.id not in merged})  # kept: missing
    _record_season_nfos(rt, show, show_dir, walk, report)
    vanished = [
        m for m in known.values() if not m.missing and not _out_of_reach(m, Path(walk.root), walk)
    ]
    if vanished:  # copied elsewhere in the show before they went: they follow the copy
        followed = follow_copies(rt.config, vanished)
        _merged(followed, report)
        vanished = [m for m in vanished if m.id not in followed]
    if vanished:
        ids = [m.id for m in vanished]
        with db.write_transaction():  # a job's: not when another worker took the scan over
            db.Movie.update(missing=True, updated_at=db.now()).where(db.Movie.id.in_(ids)).execute()
            for m in vanished:
                db.record_event("scan.missing", f"{m.path} is gone; its data is kept", movie=m)
        report.missing.extend(ids)
    _guide_outdated(show, show_dir, walk, same, nfo_ours)
    walk.entries = None


def _ours_left_out(pr: EpisodeProbe, item: db.Movie | None) -> EpisodeProbe:
    """The probe of an episode file found moved from `item`'s path, once the ledger rows of our
    NFO and thumb that went along with it follow them (`carry_sidecars`: Sonarr's rename moves
    them after the video, its webhook off or not come yet; a season folder renamed by hand):
    without what it read of them, which the probe, run before the move was known, took for the
    user's (our stale NFO's values over what changed since the publish)."""
    if item is None or not carry_sidecars(item.path, str(pr.path)):
        return pr
    nfo_path = pr.path.with_suffix(".nfo")
    if pr.nfo and _written_by_us(nfo_path):
        pr = replace(pr, nfo=[], nfo_hash=None, warnings=[])
    return replace(pr, artwork=[a for a in pr.artwork if not _written_by_us(a.path)])


def _carry_season_nfos(show_dir: Path, moved: dict[str, db.Movie]) -> None:
    """A season folder renamed with its episodes (`mv "Season 1" "Season 01"`, Sonarr's
    season folder format changed and the folder renamed by hand): our `season.nfo` that went
    along (in the folder right in the show folder, `Season 1/Disc 1/` being Season 1's) keeps
    its ledger row, never read as the user's (its stale plot taken into the season and locked)
    nor backed up as theirs by the next publish."""

    def season_folder(path: str) -> str | None:
        parts = Path(os.path.relpath(path, show_dir)).parts
        return str(show_dir / parts[0]) if len(parts) > 1 and parts[0] != os.pardir else None

    folders = {(season_folder(m.path), season_folder(new)) for new, m in moved.items()}
    for old, new in sorted(f for f in folders if None not in f and f[0] != f[1]):
        carry_file(os.path.join(old, SEASON_NFO), os.path.join(new, SEASON_NFO))


def _guide_outdated(
    show: db.Movie,
    show_dir: Path,
    walk: _ShowWalk,
    same: list[str],
    nfo_ours: bool | None = None,
) -> None:
    """A published show whose `tvshow.nfo` (ours) has `episodeguide` becomes "Republish?" when
    a video Kodi adds as an episode and metarrd takes for an extra turns up in its folder
    (`kodi_only_videos`, e.g. `Season 01/Show - S01E01 - Rose-deleted.mkv` copied in after the
    publish): it gets no NFO, and with the guide Kodi (local information only) drops the show
    (kodi-tv.md §7); the publish leaves the guide out. One that was there at the publish left
    the guide out already.
    The show's folders as the scan's walk listed them (`_ShowWalk.listing`: it walked the whole
    show folder again); `same`: the paths of its unchanged episodes, which the scan knows are
    its own: the others' are asked of the database only when a video is none of those (its
    every episode path was read at each rescan). `nfo_ours`: whether `_record_show` found its
    tvshow.nfo ours (None: not asked)."""
    # its state alone, now (a publish may have run meanwhile): the whole row, decoded, cost
    # more than the rest of this
    if _PUBLISH_STATE.rows(show.id) != [(db.PUBLISHED,)]:
        return
    nfo = show_dir / SHOW_NFO
    try:
        if nfo_ours is None:
            nfo_ours = _written_by_us(nfo)
        if not nfo_ours or b"<episodeguide" not in read_regular(nfo, MAX_NFO_BYTES):
            return
    except OSError:
        return
    # first against the unchanged episodes alone: the show's others are asked of the database
    # only when some video is none of those (a subset of its episodes finds the same or more)
    if not kodi_only_videos(show_dir, set(), walk.listing, set(same)):
        return
    query = db.Movie.select(db.Movie.path).where(
        db.Movie.show == show.id, db.Movie.kind == db.EPISODE
    )
    ours = {video_key(path) for (path,) in query.tuples()}
    found = kodi_only_videos(show_dir, ours, walk.listing)
    if not found:
        return
    with db.write_transaction():
        db.mark_outdated(show.id)
        db.record_event(
            "scan.warning",
            f"{', '.join(k.name for k in found)}: Kodi reads it as an episode, and it is no "
            f"episode of metarrd's ({'; '.join(dict.fromkeys(k.why for k in found))}); "
            "republish the show, so that tvshow.nfo has no episodeguide (with it, Kodi, local "
            "information only, drops the whole show)",
            movie=show.id,
            level="warning",
        )


def _moved_episodes(
    show: db.Movie, items: list[db.Movie | None], probes: list[EpisodeProbe], known: dict
) -> tuple[dict[str, db.Movie], dict[int, list[db.Movie]]]:
    """New path -> the item of the episode file that moved there (another season folder, a
    season folder renamed `Season 1` -> `Season 01`), or renamed in its folder (its new name
    gives the same episodes), or both at once (the one file of those episodes with that size
    and mtime): same size and mtime, and its old path gone, as the movie scan finds moves; or
    replaced in its folder by the one file that came there with its episodes
    (an upgrade without the webhook), or with theirs (`_replaced_by_one`). Found among the
    show's items not seen in this walk (`known`, from which a moved one is taken) and its
    missing ones (the watcher may have seen the old path go in an earlier scan). And the item
    that followed a file of several replaced ones -> the others' items, to merge into it."""
    new = [pr for item, pr in zip(items, probes, strict=True) if item is None]
    if not new:
        return {}, {}
    gone = list(known.values())
    seen = {m.path for m in gone}
    gone += [
        m
        for m in db.Movie.select().where(
            db.Movie.show == show, db.Movie.kind == db.EPISODE, db.Movie.missing
        )
        if m.path not in seen and _gone(m.path)
    ]
    moved: dict[str, db.Movie] = {}
    for pr in new:
        for m in gone:
            old = Path(m.path)
            if (
                (m.size, m.mtime_ns) == (pr.size, pr.mtime_ns)
                and (
                    old.name == pr.path.name
                    or (old.parent == pr.path.parent and _same_episodes(m, pr))
                )
                or (  # copied there, then deleted (`cp -r`: the copy has another mtime)
                    m.size == pr.size and old.name == pr.path.name and _same_episodes(m, pr)
                )
            ):
                moved[str(pr.path)] = m
                gone.remove(m)
                known.pop(m.path, None)
                break
    # renamed and moved at once (Sonarr renaming its season folders `Season 1` -> `Season 01`
    # and its episode files with them, without the webhook): the same size and mtime and the
    # same episodes, when exactly one gone file and exactly one new file are so
    left = [pr for pr in new if str(pr.path) not in moved]
    for pr in left:
        same = [m for m in gone if (m.size, m.mtime_ns) == (pr.size, pr.mtime_ns)]
        same = [m for m in same if _same_episodes(m, pr)]
        rivals = [o for o in left if (o.size, o.mtime_ns) == (pr.size, pr.mtime_ns)]
        if len(same) == 1 and len(rivals) == 1:
            moved[str(pr.path)] = same[0]
            gone.remove(same[0])
            known.pop(same[0].path, None)
    # replaced in its folder, as an upgrade without the webhook does (the 720p file deleted,
    # the 1080p one come): another size and mtime, so only when exactly one file of those
    # episodes went from that folder and exactly one came
    left = [pr for pr in new if str(pr.path) not in moved]
    for pr in left:
        same = [m for m in gone if Path(m.path).parent == pr.path.parent and _same_episodes(m, pr)]
        rivals = [
            other
            for other in left
            if other.path.parent == pr.path.parent
            and (other.name.season, list(other.name.episodes))
            == (pr.name.season, list(pr.name.episodes))
        ]
        if len(same) == 1 and len(rivals) == 1:
            moved[str(pr.path)] = same[0]
            gone.remove(same[0])
            known.pop(same[0].path, None)
    left = [pr for pr in new if str(pr.path) not in moved]
    joined: dict[int, list[db.Movie]] = {}
    for path, (first, *others) in _replaced_by_one(left, gone).items():
        moved[path] = first
        joined[first.id] = others
        for m in (first, *others):
            known.pop(m.path, None)
    return moved, joined


def _replaced_by_one(new: list[EpisodeProbe], gone: list[db.Movie]) -> dict[str, list[db.Movie]]:
    """New path -> the gone items (the first episode's first) of the files that one file of
    all their episodes replaced in their folder: Sonarr's upgrade of `S01E01.mkv` and
    `S01E02.mkv` to one `S01E01-E02.mkv`, which its "On Import Complete" call (no
    `deletedFiles`), the watcher or a manual import tells us nothing of. Only when those items'
    episodes are exactly the new file's, each once, in its season (not a gone file that held
    one of them and another one: `S01E02-E03.mkv`), and no other new file there has one of
    them (two qualities kept: neither is the items')."""
    found: dict[str, list[db.Movie]] = {}
    for pr in new:
        numbers = set(pr.name.episodes)
        if len(numbers) < 2 or pr.name.season is None:
            continue
        here = [
            m
            for m in gone
            if Path(m.path).parent == pr.path.parent
            and m.season == pr.name.season
            and numbers & set(m.episodes or [])
        ]
        held = sorted(n for m in here for n in m.episodes)
        rivals = [
            o
            for o in new
            if o.path.parent == pr.path.parent
            and o.name.season == pr.name.season
            and numbers & set(o.name.episodes)
        ]
        if len(here) < 2 or held != sorted(numbers) or len(rivals) != 1:
            continue
        found[str(pr.path)] = sorted(here, key=lambda m: min(m.episodes))
    return found


def _same_episodes(item: db.Movie, pr: EpisodeProbe) -> bool:
    """Does the file's new name give the episodes the item has (a file renamed in its folder
    is the same episode file, never another one of the same size)?"""
    numbers = list(pr.name.episodes)
    return bool(numbers) and (item.season, list(item.episodes or [])) == (pr.name.season, numbers)


def _identify_reason(show: db.Movie, before: dict) -> list[str]:
    """Why an unidentified show is so, as identification wrote it in `last_error` after the
    scan's own problems of then (`identify.tv._with_scan_errors`): a scan that does not identify
    the show again (nothing in its folder changed) keeps it, or `list --json` said `null`."""
    if show.identification_status != db.UNIDENTIFIED or not show.last_error:
        return []
    scanned = "; ".join(before.get("scan_errors") or [])
    reason = show.last_error
    if scanned and reason.startswith(scanned):
        reason = reason[len(scanned) :].removeprefix("; ")
    return [reason] if reason else []


def _record_show(
    rt: Runtime, library: db.Library, show_dir: Path, report: ScanReport, walk: _ShowWalk
) -> tuple[db.Movie, bool | None]:
    """The show's item, and whether its `tvshow.nfo` (as spelt) is ours (None: not asked, for
    `_guide_outdated`). An unchanged show's row is read once and not written: a rescan read it
    twice and saved it, its `updated_at` bumped (which a publish running meanwhile took for an
    edit, `publish.apply.changed_meanwhile`)."""
    hints = show_folder_hints(show_dir.name)
    nfo_path = users_nfo(show_dir / SHOW_NFO)
    nfo = None
    errors: list[str] = []
    nfo_hash = None
    # the columns an unchanged show's scan reads (`_SHOW_COLUMNS`), in a query compiled once
    # (`Prepared`): peewee's `get` of every column cost more than its run, and the row's JSON
    # decoded; read whole only to change it, or when the scan goes on with an episode
    known = next(iter(_SHOW_ROW.models(db.Movie, str(show_dir))), None)
    if known is not None:
        known.partial = True  # `whole_show`
    before = (known.hints if known is not None else None) or {}
    nfo_seen = kept_nfo = None
    nfo_changed = False
    nfo_ours: bool | None = None
    before_names: dict[int, str] = {}  # the season names of the tvshow.nfo read before
    present = nfo_present(nfo_path)
    if present and (refused := refused_link(nfo_path, rt.config)) is not None:
        log.warning("show %s: %s", display(show_dir), refused)
        errors.append(refused)
    elif present and not (nfo_ours := _written_by_us(nfo_path)):
        nfo_seen = _seen([(None, nfo_path, SHOW_NFO, 1)]).get(str(nfo_path))
        if nfo_seen is not None and before.get("nfo_seen") == list(nfo_seen):
            # read by an earlier scan, unchanged since (every scan of the show read it again)
            kept_nfo = {k: v for k, v in before.items() if k.startswith("nfo_")}
    if nfo_seen is not None and kept_nfo is None:
        try:
            nfo = read_show_nfo(nfo_path, rt.config.library)
            nfo_hash = sha256_file(nfo_path)
        except NfoError as exc:
            errors.append(str(exc))
        except OSError as exc:  # swapped for a FIFO between the two reads, say
            errors.append(f"{nfo_path}: cannot be read ({exc.strerror})")
    if nfo_path.name != SHOW_NFO:
        nfo_ours = None  # another file than `_guide_outdated`'s
    art, art_errors = _show_artwork(rt.config, show_dir, walk)
    errors += art_errors
    same = (
        known is not None
        and nfo is None
        and not known.missing
        and ({**_show_hints(known, hints, kept_nfo), "scan_errors": errors} == known.hints)
        and ("; ".join([*errors, *_identify_reason(known, before)]) or None) == known.last_error
    )
    quiet = same and not art and not errors and not named_seasons(known.nfo_extra or [])
    with contextlib.nullcontext() if quiet else db.write_transaction():
        # unchanged: as read above, not written; else read again, whole, in the write's
        # transaction
        show = known if quiet else db.Movie.get_or_none(db.Movie.path == str(show_dir))
        is_new = show is None
        if is_new:
            show = db.Movie(library=library, path=str(show_dir), kind=db.SHOW)
            show.title, show.year = hints["title"], hints["year"]
            show.date_added = date_added_from_mtime(show_dir.stat().st_mtime_ns)
        stored = _show_hints(show, hints, kept_nfo)
        if nfo is not None:
            stored.update(nfo_tmdb_id=nfo.tmdb_id, nfo_tvdb_id=nfo.tvdb_id, nfo_imdb_id=nfo.imdb_id,
                          nfo_id_sources=nfo.source, nfo_default_id=nfo.data.default_id,
                          nfo_tvdb_unnamed=nfo.unsure.get("tvdb", False),
                          nfo_episode_site=nfo.episode_site,
                          nfo_titles=nfo_titles(nfo.data),
                          nfo_seen=list(nfo_seen))  # fmt: skip
            if nfo_hash != show.source_nfo_hash:
                # an unidentified show's new ids (the user's tvshow.nfo, added or fixed) are
                # identify's to try: the show counts as changed
                nfo_changed = not is_new and show.identification_status == db.UNIDENTIFIED
                before_names = named_seasons(show.nfo_extra or [])
                # as apply_nfo_values takes the other fields; a text saying the status the show
                # has (our `<status>Continuing</status>` of TMDB's "Returning Series") keeps its
                # words, which the item page shows
                if (
                    nfo.status
                    and not show.is_locked("status")
                    and nfo_status(nfo.status) != nfo_status(show.status)
                ):
                    show.status = nfo.status
                apply_nfo_values(show, nfo.data)
                show.source_nfo_hash = nfo_hash
        stored["scan_errors"] = errors
        if not same:
            show.hints = stored
        if (
            not same and show.missing
        ):  # back (renamed away and back, a share remounted): its seasons too,
            # which only a vanished show marks missing (_mark_vanished_shows, renames.mark_gone),
            # but for one hidden for holding no file (another episode order, the user's season
            # art alone): the scan, which reads unchanged art no more, would leave it listed
            db.Movie.update(missing=False, updated_at=db.now()).where(
                db.Movie.show == show,
                db.Movie.kind == db.SEASON,
                db.Movie.missing,
                db.Movie.season.in_(sorted(db.seasons_with_files(show.id))),
            ).execute()
        if not same:
            show.missing = False
            show.last_error = "; ".join([*errors, *_identify_reason(show, before)]) or None
            show.updated_at = db.now()
            show.save()
        if not is_new:
            _name_seasons(show, before_names)
        held = db.seasons_with_files(show.id) if any(n is not None for n, _a in art) else set()
        for season, asset in art:
            # the user's season art alone makes no season, nor brings back one hidden for
            # holding no file: Kodi lists a season only with an episode in it. Its item is kept
            # hidden with the art, for when an episode comes (`season_item`'s `back`)
            target = (
                show
                if season is None
                else season_item(library, show, season, back=False, hide=season not in held)
            )
            _record_artwork(target, asset)
        for err in errors:
            log.warning("item %d: %s", show.id, err)  # the daemon's journal, as a movie's
            db.record_event("scan.error", err, movie=show, level="error")
            report.errors.append((show.path, err))
        for warning in nfo.data.warnings if nfo is not None else ():
            db.record_event("scan.warning", f"{SHOW_NFO}: {warning}", movie=show, level="warning")
        if is_new:
            report.new.append(show.id)
            db.record_event("scan.found", f"Found show folder {show_dir.name}", movie=show)
        elif nfo_changed:
            report.changed.append(show.id)
    return show, nfo_ours


def _show_hints(show: db.Movie, hints: dict, kept_nfo: dict | None) -> dict:
    """The show's hints with its folder's (`hints`) and the unchanged NFO's (`kept_nfo`)."""
    stored = {k: v for k, v in (show.hints or {}).items() if not k.startswith(("folder_", "nfo_"))}
    stored.update({f"folder_{k}": v for k, v in hints.items()})
    stored.update(kept_nfo or {})
    return stored


def _name_seasons(show: db.Movie, before: dict[int, str]) -> None:
    """Offer each season item of the show the name tvshow.nfo's `<namedseason>` gives it (kept
    in the show's `nfo_extra`), at every scan of the show: not only when tvshow.nfo changed, so
    a season item that has not met that name yet (its name was read while the season had no
    item, or by a metarrd that did not read `<namedseason>`) takes it at once. `before`: the
    names of the tvshow.nfo this scan replaced (a name it gave is the NFO's, not the user's)."""
    named = named_seasons(show.nfo_extra or [])
    if not named:
        return
    # the show's seasons, few: not an IN of the NFO's numbers (PostgreSQL takes 65,535 at most)
    for season in db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON):
        if season.season not in named:
            continue
        title = season.title
        if offer_season_name(season, named[season.season], before.get(season.season)):
            season.save()
            if season.title != title:
                db.mark_outdated(season.id)  # our tvshow.nfo named it otherwise


def _record_season_nfos(
    rt: Runtime, show: db.Movie, show_dir: Path, walk: _ShowWalk, report: ScanReport
) -> None:
    """The title and plot of each season folder's `season.nfo` (Jellyfin's, Emby's, tMM's), and
    of tMM's `seasonNN.nfo`/`season-specials.nfo` in the show folder, on that season's item, as
    tvshow.nfo's `<namedseason>` names it (`name_season`: a name of the user's own locked, so
    enrich does not put TMDB's back; the file's next name replaces the one it gave), its plot
    locked alike; publish writes the name into our tvshow.nfo's `<namedseason>` (Kodi reads no
    season.nfo). The season is the folder's (`Season 02`, `Specials`) or the name's
    (`season02.nfo`), else the file's `<seasonnumber>`; a file naming another season than its
    folder or name is not taken. Read again only when its size or mtime changed; not one the
    ledger says publish wrote (ours, which publish writes in each season folder: backed up
    first when the user's was there, its elements we do not write kept in the season's hints)."""
    done: set[int] = set()
    found, refused = _season_nfo_files(rt.config, show_dir, walk)
    for reason in refused:
        _season_nfo_problem(show, reason, report)
    if not found:  # none of the user's (the common case): the seasons' rows are not read
        return
    seasons = {
        s.season: s
        for s in db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON)
    }
    cached = {tuple((s.hints or {}).get("season_nfo_seen") or ()): s for s in seasons.values()}
    for label, path, seen, number in found:
        if number in done:
            continue  # `Season 1` and `Season 01`: the first in name order names it
        known = cached.get((str(path), *seen))
        if known is not None and (known.hints or {}).get("season_nfo_read") != SEASON_NFO_READ:
            known = None  # read by older rules, which kept less of it: read again
        if known is not None and number in (None, known.season):
            done.add(known.season)
            continue
        try:
            nfo = read_season_nfo(path, rt.config.library)
            nfo_hash = sha256_file(path)
        except NfoError as exc:
            _season_nfo_problem(show, str(exc), report)
            continue
        except OSError as exc:  # swapped for a FIFO between the two reads, say
            _season_nfo_problem(show, f"{path}: cannot be read ({exc.strerror})", report)
            continue
        if number is not None and nfo.number is not None and nfo.number != number:
            _season_nfo_problem(
                show,
                f"{path}: its <seasonnumber> is {nfo.number}, its {_where(path)} season {number};"
                " ignored",
                report,
                level="warning",
            )
            continue
        number = nfo.number if number is None else number
        item = seasons.get(number) if number is not None else None
        if item is None or number in done:
            continue  # no episode of that season on disk: the file stays there for when one comes
        done.add(number)
        with db.write_transaction():
            item = db.Movie.get_by_id(item.id)
            _apply_season_nfo(item, nfo, nfo_hash, [str(path), *seen])
        for warning in nfo.data.warnings:
            db.record_event("scan.warning", f"{label}: {warning}", movie=item, level="warning")


def users_nfo(path: Path) -> Path:
    """`path`, or the NFO its folder lists at it in other letters when nothing is there as
    spelt (`TVSHOW.NFO`, `Tvshow.nfo`, `Season.nfo`, `Show - S01E01.NFO`, from a tool on
    Windows): Kodi (and Jellyfin, Emby, tinyMediaManager for a `season.nfo`) asks for the name
    as spelt, and a share that ignores case gives it in any letters, where metarrd may see the
    NAS's own case-sensitive disk (`local_files.in_other_letters`, as the movie scan reads
    `Heat (1995).NFO`). Raises as `nfo_present` does for a folder that cannot be looked into."""
    if nfo_present(path):
        return path
    other = in_other_letters(path)
    return other if other is not None and nfo_present(other) else path


def _where(path: Path) -> str:
    """What gives a season NFO its season: its folder's name, or its own (`season02.nfo`)."""
    return "folder's" if path.name.casefold() == SEASON_NFO else "name's"


def _season_nfo_files(
    config: Config, show_dir: Path, walk: _ShowWalk
) -> tuple[list[tuple[str, Path, tuple[int, int], int | None]], list[str]]:
    """(label, path, (size, mtime_ns), season) of each `season.nfo` in a folder of the show the
    walk enters (the season its folder's name gives), in name order, then of each
    `seasonNN.nfo`/`season-specials.nfo` in the show folder (tinyMediaManager's: the season its
    name gives); not one the publish ledger says we wrote, nor a symlink out of every library
    (why each such one is not read: the second list)."""
    try:
        entries = walk.listing(show_dir)  # as the walk listed it: not listed again
    except OSError:
        return [], []  # the episodes' walk reports the folder
    found, refused = [], []
    in_folders: list[tuple[str, Path, int | None]] = []
    in_show: list[tuple[str, Path, int | None]] = []
    for entry in entries:
        if not is_utf8(entry.path):
            continue
        if (m := _SHOW_FOLDER_SEASON_NFO.fullmatch(entry.name)) is not None:
            number = 0 if m.group(2) else int(m.group(1))
            in_show.append((entry.name, Path(entry.path), number))
        elif (
            not is_skipped_show_folder(entry.name)
            and walk.enters(entry)
            and walk.kept_out(entry.path) is None
        ):
            path = Path(entry.path) / SEASON_NFO
            number = season_of_folder(entry.name, numeric=True)  # `Show/2/`: season 2
            in_folders.append((f"{SEASON_NFO} of {entry.name}", path, number))
    present = []
    for label, path, number in in_folders + in_show:
        try:
            if path.name == SEASON_NFO and not _holds_season_nfo(walk.listing(path.parent)):
                continue  # none in any letters (`users_nfo`), by the folder's listing: no stat
            path = users_nfo(path)
            if not nfo_present(path):
                continue
            present.append((label, path, os.stat(path), number))
        except OSError:
            continue
    ledger = ledger_rows(path for _label, path, _st, _number in present)  # ours: one query
    for label, path, st, number in present:
        if (reason := refused_link(path, config)) is not None:
            refused.append(reason)
        elif not _written_by_us(path, ledger):
            found.append((label, path, (st.st_size, st.st_mtime_ns), number))
    return found, refused


_SEASON_NFO_FOLDED = folded(SEASON_NFO)


def _holds_season_nfo(entries: list[os.DirEntry[str]]) -> bool:
    """Does a folder listed as `entries` hold a `season.nfo` in any letters (`folded`)? By calls
    in C for ASCII names (`folded`'s is their lower case): a season folder's hundred files
    cost a rescan a Python call or loop step each."""
    names = list(map(_NAME, entries))
    if SEASON_NFO in map(str.lower, names):
        return True
    return not all(map(str.isascii, names)) and any(
        folded(name) == _SEASON_NFO_FOLDED for name in names
    )


def _season_nfo_problem(
    show: db.Movie, problem: str, report: ScanReport, level: str = "error"
) -> None:
    log.warning("show %s: %s", display(show.path), problem)
    db.record_event(f"scan.{level}", problem, movie=show, level=level)
    if level == "error":
        report.errors.append((show.path, problem))


# what a season.nfo read keeps (`_apply_season_nfo`): raised when it keeps more, so a season.nfo
# read before is read again (2: its fields publish does not write, `SEASON_USERS_FIELDS`)
SEASON_NFO_READ = 2


def _apply_season_nfo(item: db.Movie, nfo: SeasonNfo, nfo_hash: str, seen: list) -> None:
    """A changed season.nfo's title and plot on its season item (`_record_season_nfos`)."""
    hints = dict(item.hints or {})
    hints["season_nfo_seen"] = seen
    hints["season_nfo_read"] = SEASON_NFO_READ
    # its elements publish does not write (`<lockdata>`, `<art>`, `<sorttitle>`...) go back into
    # ours; kept afresh when it is read again by newer rules, unchanged
    extra = list(nfo.data.unknown_elements)
    if nfo_hash == item.source_nfo_hash and isinstance(hints.get("season_nfo"), dict):
        hints["season_nfo"] = {**hints["season_nfo"], "extra": extra}
    if nfo_hash != item.source_nfo_hash:
        before = hints.get("season_nfo") or {}
        title = item.title
        # "Season 1" (Jellyfin's default), "Staffel 1" (tMM's, in German) name nothing: no
        # title is replaced by one, but the name the file gave before is taken back
        # a value the season has already (TMDB's, as our own season.nfo says it, rewritten by
        # Jellyfin's saver) is no edit of the user's: not locked
        if nfo.title == item.title and not item.is_locked("title"):
            pass
        elif nfo.title and not names_no_season(nfo.title, item.season):
            name_season(item, nfo.title, before.get("title"))
        elif nfo.title and before.get("title") == item.title and item.is_locked("title"):
            item.title = nfo.title
            item.locked_fields = [f for f in item.locked_fields if f != "title"]
        if nfo.plot == item.plot and not item.is_locked("plot"):
            pass
        elif nfo.plot and (not item.is_locked("plot") or item.plot == before.get("plot")):
            item.plot = nfo.plot
            if not item.is_locked("plot"):
                item.locked_fields = [*(item.locked_fields or []), "plot"]
        hints["season_nfo"] = {"title": nfo.title, "plot": nfo.plot, "extra": extra}
        item.source_nfo_hash = nfo_hash
        if item.title != title:
            db.mark_outdated(item.id)  # our tvshow.nfo's <namedseason> names it
    item.hints = hints
    item.updated_at = db.now()
    item.save()


_CHUNK = 500  # ids or paths per IN (...): far below SQLite's and PostgreSQL's limits


def _items_by_path(paths: list[str]) -> dict[str, db.Movie]:
    """The items already recorded at these paths, in a query per 500 (not one per file)."""
    found: dict[str, db.Movie] = {}
    for start in range(0, len(paths), _CHUNK):
        chunk = paths[start : start + _CHUNK]
        found.update((m.path, m) for m in db.Movie.select().where(db.Movie.path.in_(chunk)))
    return found


def _insert_new(items: list[db.Movie]) -> None:
    """Insert new items in one statement per 500 and give each its id (read back by path, the
    unique key, so SQLite and PostgreSQL behave the same)."""
    if not items:
        return
    columns = set().union(*(item.__data__ for item in items)) - {"id"}
    fields = [db.Movie._meta.fields[name] for name in sorted(columns)]
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        rows = [tuple(item.__data__.get(f.name) for f in fields) for item in chunk]
        db.Movie.insert_many(rows, fields=fields).execute()
        ids = dict(
            db.Movie.select(db.Movie.path, db.Movie.id)
            .where(db.Movie.path.in_([item.path for item in chunk]))
            .tuples()
        )
        for item in chunk:
            item.id = ids[item.path]
            item._dirty.clear()


def _show_artwork(
    config: Config, show_dir: Path, walk: _ShowWalk
) -> tuple[list[tuple[int | None, LocalArtwork]], list[str]]:
    """The user's show art (`poster.jpg`, ...) and season art (`season01-poster.jpg`,
    `season-specials-poster.jpg`) in the show folder; `season-all-*` goes on the show as
    `season-all-<type>`. The folders as the scan's walk listed them (`_ShowWalk.listing`)."""
    found: list[tuple[int | None, Path, str, int]] = []
    try:
        entries = walk.listing(show_dir)
    except OSError as exc:  # the episodes' walk reports the folder too, by its own reason
        return [], [f"{show_dir}: cannot list artwork ({exc.strerror})"]
    odd: list[str] = []  # a FIFO, a device named as an image: never read, said
    for entry in entries:
        if entry.name.startswith((".", TEMP_MARKER)):
            continue
        stem, ext = os.path.splitext(entry.name)
        if ext.lower() not in IMAGE_EXTS:
            continue
        if not _is_regular(entry):
            if (why := not_a_file(entry)) is not None:
                odd.append(why)
            continue
        m = _SEASON_ART.match(stem.lower())
        if m:
            number, special, kind = m.groups()
            if special == "all":
                found.append((None, Path(entry.path), f"season-all-{kind}", 1))
            else:
                found.append((0 if special else int(number), Path(entry.path), kind, 1))
            continue
        kind = classify_image(entry.name, "\0", own_folder=True, kind="show")
        if kind:
            found.append((None, Path(entry.path), *kind))
    for entry in entries:
        found += _season_folder_artwork(entry, odd, walk)
    if any(entry.name == "extrafanart" for entry in entries):  # else no such folder
        found += _extra_fanart(show_dir, odd)
    found, refused = _readable(config, found, show_dir)
    seen = _seen(found)
    # ours first (one query for the show's images): the user's unchanged images are asked of
    # the candidates only when there are any, not at each rescan of a show all of whose are ours
    ledger = ledger_rows(f[1] for f in found)
    found = [f for f in found if str(f[1]) not in ledger or not _written_by_us(f[1], ledger)]
    unchanged = _unchanged_library_art(
        {str(f[1]): seen[str(f[1])] for f in found if str(f[1]) in seen}
    )
    art, errors = _analysed(config, [f for f in found if str(f[1]) not in unchanged], ledger)
    art_seen = [(season, replace(a, seen=seen.get(str(a.path)))) for season, a in art]
    return art_seen, odd + refused + errors


def _extra_fanart(show_dir: Path, odd: list[str]) -> list[tuple[None, Path, str, int]]:
    """The show's extra backdrops in its `extrafanart/` folder, as a movie's are read
    (`local_files.find_local_artwork`): tinyMediaManager's "extrafanart/fanartX" naming
    (TvShowExtraFanartNaming.FOLDER_EXTRAFANART), Ember's and MediaElch's; Jellyfin shows them
    as the series' backdrops (LocalImageProvider.PopulateBackdropsFromExtraFanart), Kodi reads
    none. A movie's were offered, a show's never. Not a symlinked folder, as for a movie."""
    folder = show_dir / "extrafanart"
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except OSError as exc:  # made 0700 by a tool running as another user: the rest is read
        odd.append(f"{folder}: cannot list artwork ({exc.strerror})")
        return []
    found: list[tuple[None, Path, str, int]] = []
    for entry in entries:
        if entry.name.startswith((".", TEMP_MARKER)):
            continue
        if os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTS:
            continue
        if _is_regular(entry):
            found.append((None, Path(entry.path), "fanart", 100 + len(found)))
        elif (why := not_a_file(entry)) is not None:
            odd.append(why)
    return found


def _season_folder_artwork(
    folder: os.DirEntry[str], odd: list[str], walk: _ShowWalk
) -> list[tuple[int, Path, str, int]]:
    """The user's art of a season in that season's folder right in the show folder (`Season 1/`,
    `Specials/`; `_IN_SEASON_FOLDER`): (season, path, type, rank). A migrated library's season
    posters were left unread there, and ours (`season01-poster.jpg`, which Jellyfin reads
    first) took their place without the user's ever being offered. A name giving another
    season than its folder (`Season 2/season01.jpg`) is not taken."""
    if folder.name.startswith((".", TEMP_MARKER)) or is_skipped_show_folder(folder.name):
        return []
    try:
        if not folder.is_dir(follow_symlinks=False) or walk.kept_out(folder.path) is not None:
            return []
        number = season_of_folder(folder.name, numeric=True)
        if number is None:
            return []
        entries = walk.listing(folder.path)
    except OSError:  # the episodes' walk reports the folder, by its own reason
        return []
    found = []
    # the images alone, picked by calls in C: no loop step for each of its episodes' files
    images = map(_IMAGE_NAME, map(str.lower, map(_NAME, entries)))
    for entry in itertools.compress(entries, images):
        stem, ext = os.path.splitext(entry.name)
        if ext.lower() not in IMAGE_EXTS or entry.name.startswith((".", TEMP_MARKER)):
            continue
        stem = stem.lower()
        if (m := _SEASON_ART.match(stem) or _SEASON_POSTER.match(stem)) is not None:
            named = 0 if m.group(2) == "specials" else m.group(1) and int(m.group(1))
            kind = m.group(3) if m.re is _SEASON_ART else "poster"
            rank = 1
        elif (m := _IN_SEASON_FOLDER_NAME.match(stem)) is not None and m.group(1) in (
            _IN_SEASON_FOLDER
        ):
            named, kind = number, _IN_SEASON_FOLDER[m.group(1)]
            rank = int(m.group(2)) + 1 if m.group(2) else 1
        else:
            continue
        if named != number or kind not in SEASON_ART_TYPES:
            continue
        if not _is_regular(entry):
            if (why := not_a_file(entry)) is not None:
                odd.append(why)
            continue
        found.append((number, Path(entry.path), kind, rank))
    return found


def _readable(config: Config, found: list, item: Path) -> tuple[list, list[str]]:
    """The images found for `item` (a show folder, an episode file) that may be read, and why
    each other one is not (a symlink out of every library, `refused_link`): checked on every
    scan, before an image recorded earlier is taken as unchanged."""
    kept, refused = [], []
    for f in found:
        if (reason := refused_link(f[1], config)) is not None:
            log.warning("%s: %s", display(item), reason)
            refused.append(reason)
        else:
            kept.append(f)
    return kept, refused


def _seen(found) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of each image found (none for one that cannot be stat'ed)."""
    seen = {}
    for _season, path, _type, _rank in found:
        try:
            st = os.stat(path)
        except OSError:
            continue
        seen[str(path)] = (st.st_size, st.st_mtime_ns)
    return seen


def _unchanged_library_art(seen: dict[str, tuple[int, int]]) -> set[str]:
    """The user's images recorded by an earlier scan with the same size and mtime: not read and
    decoded again (every scan of a show, one per new episode the watcher sees, read its art)."""
    if not seen:
        return set()
    A = db.ArtworkCandidate
    rows = A.select(A.url, A.provider_metadata).where(
        (A.provider == LIBRARY_SOURCE) & A.url.in_(list(seen)) & A.analyzed
    )
    return {r.url for r in rows if (r.provider_metadata or {}).get("seen") == list(seen[r.url])}


def _analysed(config: Config, found, ledger: dict | None = None) -> tuple[list, list[str]]:
    """`ledger`: the rows of the images found (`ledger_rows`), when read already."""
    result, errors = [], []
    if ledger is None:
        ledger = ledger_rows(f[1] for f in found)  # one query for the item's images
    for season, path, asset_type, rank in sorted(found, key=lambda f: str(f[1])):
        if _written_by_us(path, ledger):
            continue
        try:
            info = analyse_image(path, max_pixels=config.artwork.max_pixels)
        except ImageRejected as exc:
            errors.append(f"{path}: existing artwork skipped: {exc}")
            continue
        except OSError as exc:
            errors.append(f"{path}: existing artwork unreadable: {exc.strerror}")
            continue
        cached = cache.store(config.cache_dir, asset_type, path, info)
        result.append((season, LocalArtwork(path, asset_type, rank, info, cached)))
    return result, errors


def _opens_now(path: Path) -> bool:
    """Can this episode file whose reading, or its NFO's, was refused (`STREAMS_REFUSED`) be
    opened now, and the NFO beside it when there is one?"""
    try:
        nfo_path = users_nfo(path.with_suffix(".nfo"))
        nfo = [nfo_path] if nfo_present(nfo_path) else []
    except OSError:
        return False
    return opens_now([path, *nfo])


def _episode_nfo_changed(
    config: Config,
    path: Path,
    item,
    report: ScanReport | None = None,
    ledger: Mapping[str, db.LibraryFile] | None = None,
) -> bool:
    """Is the NFO beside this episode file the user's, and not the one `item` last took in?
    One that is there and cannot be read (0600 of the other user tinyMediaManager runs as, EIO
    on a share) is said, as the item's `scan.error` in `report`: passed over in silence, the
    user's edit was never taken in. The item keeps what it had. `item`: its id and
    `source_nfo_hash` are read (an item, or its row as `scan_show` reads it); `ledger`: the
    ledger rows of the NFOs asked about (`ledger_rows`), else asked of this one."""
    try:
        nfo_path = users_nfo(path.with_suffix(".nfo"))
        if not nfo_present(nfo_path) or refused_link(nfo_path, config) is not None:
            return False
        if _written_by_us(nfo_path, ledger):
            return False
    except OSError:  # gone, or not a file we read: the probe would say nothing new
        return False
    try:
        return sha256_file(nfo_path) != item.source_nfo_hash
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if report is not None:
            shown, reason = display(nfo_path), f"cannot be read ({exc.strerror or exc})"
            log.warning("item %d: cannot read %s: %s", item.id, shown, reason)
            report.errors.append((shown, reason))
            db.record_event("scan.error", f"{shown}: {reason}", movie=item.id, level="error")
        return False


def read_episode_name(
    path: Path, show_title: str | None, folder: str | None, outer: tuple[str, ...]
) -> EpisodeName:
    """What an episode file's name says (`parse_episode`), its folder listed when the name
    took the absolute number of its anime release folder (`[SubsPlease] Show - 47 (1080p)/
    3f1b9c0a.mkv`): that number is the file's only when no other episode video is there, as
    Sonarr's ShouldUseFolderName has it; `NCOP.mkv` and `NCED.mkv` beside the episode are not
    all episode 47."""
    name = parse_episode(path.name, show_title, folder, outer)
    said = " ".join((name.problem or "", *name.warnings))
    if not folder or name.absolute is None or FOLDER_NUMBERS not in said:
        return name
    if not _other_episode_videos(path):
        return name
    return parse_episode(path.name, show_title, folder, outer, alone=False)


def _other_episode_videos(path: Path) -> bool:
    """Whether the folder of the episode file `path` holds another episode video (not a
    sample, trailer or extra by name: `is_episode_file`)."""
    try:
        with os.scandir(path.parent) as entries:
            return any(
                e.name != path.name and is_episode_file(e.name) and e.is_file() for e in entries
            )
    except OSError:
        return False


def probe_episode(
    config: Config, show_dir: Path, show_title: str | None, path: Path, size: int, mtime_ns: int
) -> EpisodeProbe:
    """Everything read from disk for one episode file (worker threads, no database)."""
    folder, outer = episode_folders(path, show_dir)  # `Season 2/Disc 1/`: Season 2's
    try:  # guessit one at a time: identify.guess
        name = read_episode_name(path, show_title, folder, outer)
    except Exception as exc:  # guessit on a hostile name: that file's problem only
        name = EpisodeName(problem=f"{path.name}: the name cannot be read ({exc})")
    pr = EpisodeProbe(path, size, mtime_ns, name)
    try:
        pr.streams = read_stream_details(path)
    except StreamReadError as exc:
        pr.errors.append(str(exc))
        pr.refused = isinstance(exc.__cause__, PermissionError)
    except OSError as exc:
        pr.errors.append(f"{path}: cannot read ({exc.strerror})")
        pr.refused = isinstance(exc, PermissionError)
    nfo_path = path.with_suffix(".nfo")
    try:
        nfo_path = users_nfo(nfo_path)
        present = nfo_present(nfo_path)
    except OSError as exc:  # its folder cannot be looked into now (made 0700, EIO on a share)
        present = False
        pr.errors.append(f"{nfo_path}: cannot be looked at ({exc.strerror})")
    if present and (refused := refused_link(nfo_path, config)) is not None:
        log.warning("episode %s: %s", display(path), refused)
        pr.errors.append(refused)
    elif present and not _written_by_us(nfo_path):
        try:
            pr.nfo = read_episode_nfo(nfo_path, config.library)
            pr.nfo_hash = sha256_file(nfo_path)
            said = (f"{nfo_path.name}: {w}" for n in pr.nfo for w in n.data.warnings)
            pr.warnings = capped(list(said))  # each block repeats the file's
        except NfoError as exc:
            pr.errors.append(str(exc))
            pr.refused |= isinstance(exc.__cause__, PermissionError)
        except OSError as exc:  # swapped for a FIFO between the two reads, say
            pr.errors.append(f"{nfo_path}: cannot be read ({exc.strerror})")
            pr.refused |= isinstance(exc, PermissionError)
    found = []
    try:
        for entry in os.scandir(path.parent):
            # `<base>.jpg`, `<base>.tbn`, `<base>-thumb.jpg`: never `<base>-poster.jpg`
            kind = classify_image(entry.name, path.stem, own_folder=False, kind="episode")
            if not kind or kind[0] != "thumb":
                continue
            if _is_regular(entry):  # a symlink loop beside it is no thumb, nor a listing error
                found.append((None, Path(entry.path), *kind))
            elif (why := not_a_file(entry)) is not None:  # a FIFO: never read, said
                pr.errors.append(why)
        found += _jellyfin_saved_thumb(path, pr.errors)
    except OSError as exc:
        pr.errors.append(f"{path.parent}: cannot list artwork ({exc.strerror})")
    found, refused = _readable(config, found, path)
    art, errors = _analysed(config, found)
    pr.artwork = [a for _s, a in art]
    pr.errors += refused + errors
    if pr.errors and _gone(str(path)):  # not one that cannot be looked at now (EACCES)
        pr.vanished = True
    return pr


def _jellyfin_saved_thumb(path: Path, errors: list[str]) -> list[tuple[None, Path, str, int]]:
    """The thumb Jellyfin's image saver wrote for the episode `path` ("save artwork into media
    folders", its default convention): `metadata/<base>.<ext>` in the episode's folder
    (ImageSaver.GetStandardSavePath), which its EpisodeLocalImageProvider reads when no
    `<base>.<ext>` or `<base>-thumb.<ext>` is beside the video, in any letter case."""
    folder = path.parent / "metadata"
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    except OSError as exc:
        errors.append(f"{folder}: cannot list artwork ({exc.strerror})")
        return []
    found = []
    for entry in sorted(entries, key=lambda e: e.name):
        stem, ext = os.path.splitext(entry.name)
        if ext.lower() not in IMAGE_EXTS or stem.casefold() != path.stem.casefold():
            continue
        if _is_regular(entry):
            found.append((None, Path(entry.path), "thumb", 1))
        elif (why := not_a_file(entry)) is not None:
            errors.append(why)
    return found


def _replace_all_streams(items: list[tuple[db.Movie, bool, StreamDetails | None]]) -> None:
    """The stream rows of every episode read again: the old ones deleted and the new ones
    inserted in a statement per table and 500 items."""
    read = [(item, is_new, streams) for item, is_new, streams in items if streams is not None]
    again = [item.id for item, is_new, _s in read if not is_new]
    tables: dict[type, list] = {}
    for item, _new, streams in read:
        for model, rows in _stream_rows(item, streams):
            tables.setdefault(model, []).extend(rows)
    for model in (db.VideoStream, db.AudioStream, db.SubtitleStream):
        for start in range(0, len(again), _CHUNK):
            model.delete().where(model.movie.in_(again[start : start + _CHUNK])).execute()
        rows = tables.get(model, [])
        for start in range(0, len(rows), _CHUNK):
            model.insert_many(rows[start : start + _CHUNK]).execute()


def _reads_the_same(
    show: db.Movie, show_dir: Path, title: str | None, path: Path, item: db.Movie
) -> bool:
    """Does an unchanged file's name, read by older rules (`NAME_RULES`), read the same today:
    the numbers its item would take (`_record_episode`), its problem, absolute number, air
    date, title and warnings? Only the name is read, not the file."""
    folder, outer = episode_folders(path, show_dir)
    try:
        name = read_episode_name(path, title, folder, outer)
    except Exception:  # guessit on a hostile name: the scan of the file says so
        return False
    hints = item.hints or {}
    now = (item.season, list(item.episodes or []))
    same_absolute = absolute_numbers(hints.get("name_absolute")) == absolute_numbers(name.absolute)
    wanted = now if _in_absolute_order(show, name) and same_absolute else (
        name.season, list(name.episodes)
    )  # fmt: skip
    return (
        wanted == now
        and same_absolute
        and hints.get("name_problem") == name.problem
        and hints.get("name_aired") == name.aired
        and hints.get("name_part") == name.part
        and _paired(hints) == name.paired_absolute
        and hints.get("name_episode_title") == name.episode_title
        and list(hints.get("name_warnings") or []) == list(name.warnings)
    )


def _in_absolute_order(show: db.Movie, name: EpisodeName) -> bool:
    """An absolute-numbered name in a show the user set to TheTVDB's absolute order: identify
    maps it to its aired season and episode, so the name is no problem there."""
    return name.absolute is not None and show.ordering == EPISODE_ORDERS["absolute"][0]


def _problems(show: db.Movie, pr: EpisodeProbe) -> list[str]:
    """The episode's read errors and its name's problem (none for an absolute number in a
    show in the absolute order; for one in another order, with the switch that reads it)."""
    name = pr.name
    if not name.problem or _in_absolute_order(show, name):
        return pr.errors
    # the absolute order reads it: said here too, where `metarrd scan` prints it (identify's
    # message, which says so, is not printed for an episode)
    hint = absolute_order_hint(show.id) if absolute_numbers(name.absolute) else ""
    return [*pr.errors, name.problem + hint]


def _record_episode(
    library: db.Library, show: db.Movie, pr: EpisodeProbe, item: db.Movie | None
) -> tuple[db.Movie, bool, EpisodeProbe]:
    """The episode item with what was read from disk; a known one saved, a new one not yet
    (`_insert_new` inserts them together)."""
    is_new = item is None
    whole = False  # saved whole: a film made an episode, its other columns a new episode's
    if is_new:
        item = db.Movie(library=library, path=str(pr.path), kind=db.EPISODE, show=show)
        item.date_added = date_added_from_mtime(pr.mtime_ns)
    elif item.kind != db.EPISODE:
        item = _film_to_episode(item, library, show)
        whole = True
    name = pr.name
    stored = (item.hints or {}).get("name_absolute")  # a range comes back as a list
    if _in_absolute_order(show, name) and absolute_numbers(stored) == absolute_numbers(
        name.absolute
    ):
        # the same absolute number: keep the aired numbers identify mapped it to
        season, episodes = item.season, list(item.episodes or [])
    else:
        season, episodes = name.season, list(name.episodes)
    before = item.hints or {}
    renumbered = (item.season, list(item.episodes or [])) != (season, episodes) or (
        # a by-date name's date or part (`2024-03-05 Part 2`: the date's second episode)
        not is_new
        and name.aired is not None
        and (before.get("name_aired"), before.get("name_part")) != (name.aired, name.part)
    )
    # another absolute number beside the same ones (`S01E08 - 009`): checked again
    renumbered = renumbered or (not is_new and _paired(before) != name.paired_absolute)
    item.path = str(pr.path)  # a moved episode's new place
    item.size, item.mtime_ns, item.missing = pr.size, pr.mtime_ns, False
    item.season, item.episodes = season, episodes
    if name.aired and not item.is_locked("aired"):  # an edited air date stays (identify
        item.aired = name.aired  # matches by the name's, `name_aired`)
    if renumbered and not is_new and item.identification_status != db.UNIDENTIFIED:
        item.identification_status = db.UNIDENTIFIED  # other numbers: another episode
        item.tmdb_id = item.tvdb_id = None
        item.episode_refs = []
    hints = {
        "name_rules": NAME_RULES,
        "name_problem": name.problem,
        "name_warnings": list(name.warnings),
        "name_absolute": name.absolute,
        "name_paired_absolute": list(name.paired_absolute) or None,
        "name_aired": name.aired,
        "name_part": name.part,
        "name_episode_title": name.episode_title,
        "scan_errors": pr.errors,
        # an episode NFO that is only a URL names its show (identify's hint after tvshow.nfo)
        "nfo_show_ids": next((n.show_ids for n in pr.nfo if n.show_ids), None),
    }
    if pr.nfo:
        # each block's own elements we do not own (its play count, resume point, userrating,
        # displayseason...): publish writes them back into that episode's block
        # and its own values of the fields an item has (title, plot...): the item takes the
        # first episode's, publish falls back to the block's for a later episode of the file
        hints["nfo_episodes"] = [
            {"season": n.season, "episode": n.episode, "tmdb_id": n.data.tmdb_id,
             "tvdb_id": n.data.tvdb_id, "imdb_id": n.data.imdb_id,
             # an id of `<id>` or an untyped uniqueid names no site (Kodi 17 wrote its
             # scraper's id so: AniDB's, TMDB's or TheTVDB's): identify checks it
             "unnamed": sorted(k for k, s in n.data.id_sources.items() if s in UNNAMED_SOURCES),
             **{key: n.data.fields.get(field) for key, field in _BLOCK_FIELDS},
             "aired": n.aired,
             "extra": list(n.data.unknown_elements)}
            for n in pr.nfo
        ]  # fmt: skip
        if pr.nfo_hash != item.source_nfo_hash:
            locked = set(item.locked_fields or [])
            was = {f: getattr(item, f) for f in DETAIL_FIELDS}
            first = _first_episodes_block(pr.nfo, season, episodes)
            # its `<aired>` is the item's, as its title is; not over a by-date name's (the
            # date Kodi reads), nor for a name without numbers (Kodi skips it; identify would
            # match it by this date)
            if first.aired and episodes and not name.aired and "aired" not in locked:
                item.aired = first.aired
            apply_nfo_values(item, first.data)
            item.episode_details = _blocks_with_the_users(item, was, locked, hints["nfo_episodes"])
            item.source_nfo_hash = pr.nfo_hash
    item.hints = {k: v for k, v in (item.hints or {}).items() if k != STREAMS_REFUSED} | hints
    if pr.refused:
        item.hints[STREAMS_REFUSED] = 1
    problems = _problems(show, pr)
    item.last_error = "; ".join(problems) or None
    item.updated_at = db.now()
    if not is_new:
        # only what the scan changed, as a movie's scan saves: the item was read before its
        # file was, and a web edit, an identify or a publish that landed meanwhile keeps its
        # columns (saved whole, they were set back: a lock, a title, "Published")
        item.save(only=None if whole else item.dirty_fields)
    return item, is_new, pr


def _film_to_episode(film: db.Movie, library: db.Library, show: db.Movie) -> db.Movie:
    """The episode item of a file recorded as a film: its library was a movie library (the
    `[[library]]` written without `kind = "tv"`, the likeliest first mistake) and is a TV
    library now. The file stayed a film, unidentified for good and under no show, and its show
    counted no episode: the scan took the film for the episode. It becomes this show's
    episode as a new one would be, keeping its id, its history and the files it published
    (the ledger's: ours, replaced without a backup); what it was as a film goes: its
    identification, metadata, provider candidates and cast, and the pictures found beside it
    as a film's (read again as the episode's; their cached copies stay). A thumb the user added
    (uploaded, or from an address) stays, chosen as it was, and so does its type's lock: an
    episode has `<base>-thumb` too (kodi-tv.md 2.4), as an episode that becomes a film keeps
    its (`kind_change._forget_but_the_users`); the images the user added that an episode has no
    place for (a poster, a fanart) go, said in a `scan.warning` event. Called in a write
    transaction; the caller removes the cache files its rows named once committed."""
    forget_enrichment(film)  # the user's added images and the library's stay: not here
    A, C = db.ArtworkCandidate, db.CacheImageFile
    thumbs = (A.provider == USER_IMAGE) & (A.asset_type == EPISODE_THUMB)
    kept = list(A.select(A.content_hash, A.is_selected).where(A.movie == film.id, thumbs).tuples())
    gone = sorted(
        t
        for (t,) in A.select(A.asset_type)
        .where(A.movie == film.id, A.provider == USER_IMAGE, ~thumbs)
        .distinct()
        .tuples()
    )
    A.delete().where(A.movie == film.id, ~thumbs).execute()
    # the cached copies of the user's images that went (`forget_enrichment` left them)
    hashes = [h for h, _ in kept if h]
    ours = (C.image_type == EPISODE_THUMB) & C.file_hash.in_(hashes) if hashes else None
    where = [C.movie == film.id, C.actor.is_null(), C.source_type != LIBRARY_SOURCE]
    C.delete().where(*where, *([~ours] if ours is not None else [])).execute()
    db.record_event(
        "scan.found",
        f"{film.path}: recorded as a film while its library was a movie library; now an "
        f"episode of {show.title or Path(show.path).name}",
        movie=film.id,
    )
    if gone:
        db.record_event(
            "scan.warning",
            f"{film.path}: now an episode, which has no place for these images you added to the "
            f"film (removed): {', '.join(gone)}",
            movie=film.id,
            level="warning",
        )
    # the user's choice of its thumb stays the user's (enrich leaves a locked type as it is)
    lock = EPISODE_THUMB in (film.locked_asset_types or []) and any(s for _, s in kept)
    return db.Movie(
        id=film.id, library=library, path=film.path, kind=db.EPISODE, show=show,
        date_added=film.date_added, created_at=film.created_at,
        locked_asset_types=[EPISODE_THUMB] if lock else [],
    )  # fmt: skip


# an episode block's values kept per block (`hints["nfo_episodes"]`): key, nfo_read's field
_BLOCK_FIELDS = (
    ("title", "title"),
    ("plot", "plot"),
    ("runtime", "runtime"),
    ("directors", "directors"),
    ("writers", "credits"),
    # its TMDB rating (or its unnamed one: a flat `<rating>` as Sonarr, Jellyfin and Kodi up to
    # 16 write it), which the block's kept `<ratings>` do not hold: publish writes ours so
    ("rating", "rating"),
    ("votes", "votes"),
)


def _blocks_with_the_users(
    item: db.Movie, was: dict[str, Any], locked: set[str], users: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The item's `episode_details` (enrich's, which publish writes the NFO from) with what the
    user's NFO just read says: an NFO edited in another tool after an enrich (tinyMediaManager,
    MediaElch, Kodi's export) is what the next publish writes, not the title it replaced. The
    first block takes the fields the NFO changed on the item (`was`: before), a later block its
    own title, air date, plot and rating (with its votes: publish writes them together) from
    the user's block of that episode, as the first takes them; a field locked before this read
    (`locked`: the item page's edit, `aired-2`..., which the NFO does not override) keeps its
    block's."""
    details = list(item.episode_details or [])
    by_number = {(u.get("season"), u.get("episode")): u for u in users}
    first = (item.season, (item.episodes or [None])[0])
    out = []
    for i, block in enumerate(details):
        if not isinstance(block, dict):
            out.append(block)
            continue
        taken: dict[str, Any] = {}
        if i == 0 and (block.get("season"), block.get("episode")) == first:
            # a file of several episodes: the item's runtime and crews are all episodes'
            fields = DETAIL_FIELDS if len(details) == 1 else DETAIL_FIELDS - SUMMED_FIELDS
            taken = {
                f: getattr(item, f)
                for f in fields
                if f not in locked and getattr(item, f) != was[f]
            }
        elif i > 0:
            own = by_number.get((block.get("season"), block.get("episode"))) or {}
            taken = {
                f: own[f]
                for f in ("title", "aired", "plot")
                if own.get(f) and block_lock_name(f, i) not in locked
            }
            rating, votes = own.get("rating"), own.get("votes")
            if isinstance(rating, float) and 0 <= rating <= 10:  # as apply_nfo_values takes it
                low, high = db.INT_RANGES["votes"]
                ok = isinstance(votes, int) and low <= votes <= high
                taken |= {"rating": rating, "votes": votes if ok else None}
        out.append({**block, **taken})
    return out


def _first_episodes_block(
    blocks: list[EpisodeNfo], season: int | None, episodes: list[int]
) -> EpisodeNfo:
    """The block of the file's first episode, whose values are the item's own: the one whose
    `<season>`/`<episode>` are its numbers, as Kodi picks the block (MediaElch writes a file's
    E4 before its E3), else the first."""
    if episodes:
        for block in blocks:
            if (block.season, block.episode) == (season, episodes[0]):
                return block
    return blocks[0]


def _after_episode(
    library: db.Library,
    show: db.Movie,
    seasons: dict[int, db.Movie],
    item: db.Movie,
    is_new: bool,
    pr: EpisodeProbe,
    report: ScanReport,
) -> None:
    """An episode item's season, streams, art, events and report lines, once it has its id."""
    name = pr.name
    problems = _problems(show, pr)
    if item.season is not None:
        season_item(library, show, item.season, seasons)
    for art in pr.artwork:
        _record_artwork(item, art)
    for problem in problems:
        log.warning("item %d: %s", item.id, problem)  # the daemon's journal, as a movie's
        db.record_event("scan.error", problem, movie=item, level="error")
        report.errors.append((item.path, problem))
    for warning in name.warnings:
        db.record_event("scan.warning", f"{pr.path.name}: {warning}", movie=item, level="warning")
    for warning in pr.warnings:
        db.record_event("scan.warning", warning, movie=item, level="warning")
    if is_new:
        report.new.append(item.id)
        db.record_event("scan.found", f"Found {pr.path.name}", movie=item)
    elif item.id not in report.moved:
        report.changed.append(item.id)
