"""The SCAN stage: walk a library, record each movie with its stream details, and take in what the
user already has (their NFO's ids and values, their artwork, copied into the cache).

Rescans are incremental: a file whose size and mtime are unchanged is not read again, so a rescan
of an unchanged library costs one directory walk and one query; a scan of some folders (the
watcher's, a webhook's) also reads again an NFO of the user's that is not the one its item last
took in (edited in another tool beside an unchanged video). A vanished file marks its item
missing (data kept); a file that moved (same size and mtime, same name, new place) keeps its item,
also when it moved into another movie library, and so does one renamed in its folder, one
renamed with its folder (the same file: device and inode, `_renamed`), one
that became a later part of a stack (`cd2` scanned before its `cd1` came), or one replaced in
its own folder by another file of the same film (an upgrade without the webhook); an upgrade
copied in before the old file went, which a scan made an item of its own, is merged back into
the old item when that file goes (`_merge_upgrades`), and a stack an older metarrd split in two
items (its `cd2` one of its own) is one item again (`_rejoin_split_stacks`). A published item
whose file, replaced under its own name, reads as other streams is "Republish?" (`restreamed`).
An item under a folder the walk could not read (permission denied, EIO on a NAS) is not gone: it
keeps its state, and the next scan that can read the folder decides (`out_of_sight`).
Per-item problems (unreadable file, corrupt media, hostile NFO, corrupt image) become that item's
`last_error` and an event; the scan goes on.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import os
import re
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import peewee as pw

from metarrd import cache, db
from metarrd.atomic import sha256_file, whole_seconds
from metarrd.config import LIBRARY_SOURCE, Config, LibraryConfig
from metarrd.dbrows import insert_all, insert_models
from metarrd.fields import MAX_BLOCKS, later_episode_fields
from metarrd.files import cannot_look, display, is_gone, library_root_problem, same_file
from metarrd.identify import MOVIE_NAME_RULES, parse_hints
from metarrd.mounts import device_of, share_gone
from metarrd.paths import folded, is_inside
from metarrd.runtime import Runtime
from metarrd.scan.kind_change import (
    EpisodesKept,
    episodes_kept,
    remove_disowned,
    tv_items_to_films,
)
from metarrd.scan.local_files import (
    LocalArtwork,
    VideoPlace,
    find_local_artwork,
    find_nfo,
    has_own_folder,
    movie_folder,
    refused_link,
)
from metarrd.scan.nfo_read import UNNAMED_SOURCES, NfoData, NfoError, nfo_titles, read_nfo
from metarrd.scan.nfos_seen import NfosSeen
from metarrd.scan.ours_gone import mark_items_of_gone_files
from metarrd.scan.renames import (
    carry_movie_ledger,
    carry_sidecars,
    gone_share,
    respelt_from,
    same_runtime,
    take_files,
    untouched,
)
from metarrd.scan.skipped import Skipped
from metarrd.scan.skipped import save as save_skipped
from metarrd.scan.streams import (
    STREAMS_REFUSED,
    StreamDetails,
    StreamReadError,
    opens_now,
    read_stack_details,
    read_stream_details,
)
from metarrd.walk import (
    FoundVideo,
    is_empty_folder,
    is_stack_folder,
    leads_out,
    not_walked_for,
    walk_library,
    walks_into,
)

log = logging.getLogger(__name__)

PROBE_THREADS = 4
BATCH = 200


@dataclass
class ScanReport:
    found: int = 0
    unchanged: int = 0
    new: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (item, reason)
    # items merged into the item of the file they replaced (`_merge_upgrades`), or of the stack
    # they were split from (`_rejoin_split_stacks`): gone
    merged: list[int] = field(default_factory=list)
    skipped: int = 0  # videos and folders left out by name (samples, extras): `scan.skipped`
    # moved items not identified yet whose new names read otherwise ("Dune.mkv" renamed
    # "Dune (2021).mkv" to say which): identified again by them
    named_otherwise: list[int] = field(default_factory=list)
    # published items whose file changed where it is (replaced under the same name: an upgrade
    # without the webhook, a re-encode) and reads as other streams (`restreamed`): "Republish?",
    # their NFO's <streamdetails> being the old file's; the daemon publishes them again
    restreamed: list[int] = field(default_factory=list)
    # published items a file of whose publish is gone from the library (`ours_gone`): "Republish?"
    outdated: list[int] = field(default_factory=list)
    # did the scan know a published item there (its files then looked at: `ours_gone`)? A TV
    # scan does not tell: its files are always looked at
    published_known: bool = True
    # the names each folder the walk listed holds, by its path (`walk_library`'s `listed`): a
    # file of ours named there is there, and costs `ours_gone` no `lstat`. Not merged
    listed: dict[str, set[str]] = field(default_factory=dict)

    def merge(self, other: ScanReport) -> None:
        self.found += other.found
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        for name in (
            "new", "changed", "moved", "missing", "errors", "merged", "named_otherwise",
            "restreamed", "outdated",
        ):  # fmt: skip
            getattr(self, name).extend(getattr(other, name))

    @property
    def touched(self) -> list[int]:
        """Items whose content is new or changed, and those renamed to say another film
        (candidates for identification)."""
        return self.new + self.changed + self.named_otherwise

    def counts(self) -> dict[str, Counter]:
        """Per list (new, changed, moved, missing), how many of its items are videos (movies,
        episode files) and how many shows: a TV scan lists a new show and a gone show's seasons
        beside its episodes, and "scanned 3 videos: 5 new" counted them as videos."""
        lists = {name: getattr(self, name) for name in ("new", "changed", "moved", "missing")}
        ids = {i for items in lists.values() for i in items}
        kinds: dict[int, str] = {}
        for chunk in (sorted(ids)[i : i + 500] for i in range(0, len(ids), 500)):
            query = db.Movie.select(db.Movie.id, db.Movie.kind).where(db.Movie.id.in_(chunk))
            kinds.update((m.id, m.kind) for m in query)
        out = {}
        for name, items in lists.items():
            seen = Counter(kinds.get(i, db.MOVIE) for i in items)
            out[name] = Counter(videos=seen[db.MOVIE] + seen[db.EPISODE], shows=seen[db.SHOW])
        return out


@dataclass
class Probe:
    """Everything read from disk for one video (done in worker threads, no database)."""

    found: FoundVideo
    streams: StreamDetails | None = None
    hints: dict = field(default_factory=dict)
    nfo: NfoData | None = None
    nfo_hash: str | None = None
    artwork: list[LocalArtwork] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    vanished: bool = False  # gone between the walk and its reading (renamed, deleted)
    refused: bool = False  # its file's reading was refused (permission denied): STREAMS_REFUSED


def scan(rt: Runtime, paths: Iterable[Path] | None = None) -> ScanReport:
    """Scan every configured library, or only the given paths (each inside a library)."""
    report = ScanReport()
    # normalised, so "/lib/../elsewhere" is never taken for a path inside /lib
    paths = [Path(os.path.normpath(Path(p).absolute())) for p in paths or []]
    for lib in rt.config.library:
        root = Path(lib.path)
        scope = [p for p in paths if p == root or root in p.parents] if paths else [root]
        if paths and not scope:
            continue
        if lib.kind == "tv":
            from metarrd.scan.tv import scan_tv_library  # imports this module

            one = scan_tv_library(rt, lib, scope)
        else:
            one = scan_library(rt, lib, scope)
        report.merge(one)
        if (
            one.published_known and library_root_problem(root) is None
        ):  # our files gone: "Republish?" (ours_gone.py)
            gone_from = None if scope == [root] else scope
            report.outdated.extend(mark_items_of_gone_files(lib.name, gone_from, one.listed))
    for p in paths:
        if not any(is_inside(p, lib.path) for lib in rt.config.library):
            report.errors.append((str(p), "not inside any configured library"))
    return report


def scan_library(rt: Runtime, lib: LibraryConfig, scope: list[Path] | None = None) -> ScanReport:
    report = ScanReport()
    root = Path(lib.path)
    library = db.Library.get(db.Library.name == lib.name)
    if (reason := library_root_problem(root)) is not None:
        log.warning("library %s: %s: %s", lib.name, root, reason)
        report.errors.append((str(root), f"library {lib.name!r}: {reason}"))
        db.record_event("scan.failed", f"Library {lib.name}: {root} {reason}", level="error")
        return report
    if mounted_elsewhere(lib, library, report) or unmounted(lib, library, report):
        return report
    remove_disowned(library)  # a kind change's, killed before it removed them
    tops = scope or [root]
    unseen = {top: why for top in tops if (why := cannot_look(top)) is not None}
    # behind a share not there (`metarrd scan PATH` of it): reported as that share's folder
    shares = {top: share for top in tops if (share := _share_gone(top, root)) is not None}
    unseen.update((top, "") for top in shares)
    scope = [_with_its_stack(top, root) for top in tops if top not in unseen]

    # in bulk and as the database's plain rows: an unchanged item costs a dict lookup
    whole = scope == [root]
    query = db.Movie.select(
        db.Movie.id, db.Movie.path, db.Movie.size, db.Movie.mtime_ns, db.Movie.missing,
        db.Movie.parts, db.Movie.source_nfo_hash, db.Movie.file_id,
        db.json_int(db.Movie.hints, "name_rules"), db.json_int(db.Movie.hints, STREAMS_REFUSED),
        db.Movie.kind, db.Movie.publish_state,
    ).where(db.Movie.library == library)  # fmt: skip
    known = {  # path -> (id, path, size, mtime_ns, missing, parts as stored, source_nfo_hash,
        # file_id, the name rules its name was read by, its reading refused, kind, publish_state)
        row[1]: row
        for row in db.database.execute(query)
        if whole or any(is_inside(row[1], top) for top in scope)
    }
    kept: EpisodesKept | None = None  # its episodes, kept while kind = "tv" seems wrongly gone
    tv_in_scope = bool({k[10] for k in known.values()} - {db.MOVIE})
    # a TV library's items (its kind changed): in the scope, or elsewhere in the library, for
    # a scan of a folder with none yet (a new season's, a new show's) while they are kept
    if tv_in_scope or (not whole and _has_tv_items(library)):
        kept = episodes_kept(library, lib.name, root)
        if kept is not None:
            _say_kept(lib.name, kept, report)
        elif tv_in_scope:
            tv_items_to_films(rt.config, library, scope)
        known = {
            row[1]: row
            for row in db.database.execute(query)
            if (whole or any(is_inside(row[1], top) for top in scope)) and row[10] == db.MOVIE
        }
    report.published_known = db.PUBLISHED in {k[11] for k in known.values()}
    single = {  # `_one_part`, its test inlined: 10,000 a rescan
        path
        for path, k in known.items()
        if k[5] is None or len(k[5]) <= len(path) + 4 or _one_part(path, k[5])
    }

    unread: list[str] = []  # what the walk reported and skipped: its items keep their state
    owners: dict[str, set[int]] = {}  # a known video, part or their folder -> items, when asked

    def owner(path: str) -> int | None:
        """The one known item whose video or part, or the folder holding one, is `path`."""
        if not owners:
            for p, k in known.items():
                for part in [p] if _one_part(p, k[5]) else json.loads(k[5]):
                    for key in (part, os.path.dirname(part)):
                        owners.setdefault(key, set()).add(k[0])
        ids = owners.get(path, ())
        return next(iter(ids)) if len(ids) == 1 else None

    def on_error(path: Path, reason: str) -> None:
        unread.append(str(path))
        shown = display(path)  # a name that is not UTF-8 shows as \xNN, never a traceback
        log.warning("library %s: cannot read %s: %s", lib.name, shown, reason)
        report.errors.append((shown, reason))
        # on the item it hides, when one (a stack's `CD2` folder): its page says why
        db.record_event("scan.error", f"{shown}: {reason}", movie=owner(str(path)), level="error")

    def said(movie_id: int, path: Path, reason: str) -> None:
        """A file of the item's that cannot be read (its NFO): the item keeps what it had."""
        shown = display(path)
        log.warning("library %s: item %d: cannot read %s: %s", lib.name, movie_id, shown, reason)
        report.errors.append((shown, reason))
        db.record_event("scan.error", f"{shown}: {reason}", movie=movie_id, level="error")

    for top, why in unseen.items():  # its items keep their state: `known` holds none of them
        if top not in shares:
            on_error(top, why)
    for folder, why in dict(shares.values()).items():
        on_error(Path(folder), why)
    skipped = Skipped(root)  # what the walk leaves out by name: listed for the user
    nfos: dict[str, list[int]] | None = {} if whole else None  # the walk's NFOs' stats
    # symlinked folders are followed into any library (or anywhere, when this one says so)
    walk = functools.partial(
        walk_library,
        on_error=on_error,
        inside=[Path(other.path) for other in rt.config.library],
        follow_symlinks=lib.follow_symlinks,
        known=single,
        on_skip=skipped,
        library_root=root,
        nfos=nfos,
        # a published item's files are looked for in them (`ours_gone`); none, none kept
        listed=report.listed if report.published_known else None,
    )
    found: list[FoundVideo] = []
    with _cycle_collector_paused():
        for top in scope:
            if _led_out(rt, lib, top, report):
                continue
            folder = top if top.is_dir() else top.parent
            if not walks_into(folder, root):
                # a scope the watcher or a webhook named in extras (`Heat (1995)/Shorts/`): the
                # full walk does not go there, so nothing there is a movie
                log.info("library %s: %s is not walked (extras or junk)", lib.name, display(top))
                if (why := not_walked_for(folder, root)) is not None:
                    skipped(*why)
                continue
            skipped.walked.append(str(folder))
            if top.is_file():
                found.extend(v for v in walk(top.parent) if v.file == str(top))
            else:
                found.extend(walk(top))
    # a scope naming a folder and a file in it (the watcher's, a webhook's) walks the file twice:
    # probed once, recorded once (a second record in one batch inserted its path again)
    found = list({v.file: v for v in found}.values())
    if kept is not None:  # its episodes' files are no films: left as they are
        found = [v for v in found if not kept.holds(v.file)]
        # a new file that would be an episode waits with them (a film's stays the film's)
        waiting = {v.file for v in found if v.file not in known and kept.waits(v.file)}
        _say_waiting(lib.name, sorted(waiting), report)
        found = [v for v in found if v.file not in waiting]
    report.found = len(found)
    report.skipped = skipped.total
    save_skipped(library, skipped)

    # a full rescan: the NFOs new or changed since the last one, beside which an unchanged
    # video's NFO is checked as a folder's scan checks it (the watcher's, every time)
    seen_nfos = NfosSeen(library) if nfos is not None else None
    if seen_nfos is not None and nfos:
        seen_nfos.took(nfos)

    def nfo_changed(video: FoundVideo, k: tuple) -> bool:
        if seen_nfos is None:
            return _nfo_changed(rt, video, k[6], functools.partial(said, k[0]))
        near = seen_nfos.near(video.file, video.is_disc)
        if not near:
            return False
        errors = len(report.errors)
        changed = _nfo_changed(rt, video, k[6], functools.partial(said, k[0]))
        if len(report.errors) > errors:  # it could not be read: not taken in, nor seen
            seen_nfos.look_again(near)
        return changed

    changed: list[tuple[FoundVideo, int | None]] = []
    seen = set()
    identified: list[tuple[int, str]] = []  # unchanged items whose file identity is not recorded
    reread: list[tuple[int, FoundVideo]] = []  # unchanged items whose names older rules read
    unchanged = 0
    for video in found:
        path = video.file
        seen.add(path)
        k = known.get(path)
        if (
            k is not None
            and not k[4]
            and k[2] == video.size
            and k[3] == video.mtime_ns
            and not ((not whole or seen_nfos.folders) and nfo_changed(video, k))
            and not (k[9] and _opens_now(video, _roots(rt)))  # a permission fixed: read at last
        ):
            unchanged += 1
            if video.file_id is not None and k[7] != video.file_id:
                identified.append((k[0], video.file_id))
            if k[8] != MOVIE_NAME_RULES and _name_rules(k[8]) != MOVIE_NAME_RULES:
                reread.append((k[0], video))
        elif k is not None and unread and video.is_disc and _partly_unread(video.file, unread):
            continue  # its VIDEO_TS could not be listed: the size it was found with says nothing
        else:
            changed.append((video, k[0] if k is not None else None))
    report.unchanged += unchanged
    _record_identities(identified)
    _read_names_again(reread, root, report)
    unfound = [k for p, k in known.items() if p not in seen and not k[4]]
    for k in unfound:  # behind a share not there: reported, kept as unread ones are
        share = (
            None
            if out_of_sight(k[1], unread, k[5])
            else share_gone(k[1], lib.path, device_of(k[7]))
        )
        if share is not None:
            on_error(Path(share[0]), share[1])
    # then what is not behind one (a stack beside a single file in a share's mount point is)
    gone_ids = [k[0] for k in unfound if not out_of_sight(k[1], unread, k[5])]
    wanted = gone_ids + [i for _v, i in changed if i is not None]
    models = _movies_by_id(wanted)
    vanished = {models[i].path: models[i] for i in gone_ids if i in models}

    todo: list[tuple[FoundVideo, db.Movie | None]] = []
    elsewhere: Elsewhere | None = None  # read once
    renamed: dict[int, tuple[str, str]] = {}  # by their file identity: id -> (old, new path)
    new_ids = Counter(v.file_id for v, i in changed if i is None and v.file_id is not None)
    by_identity: dict[tuple[str, int, int], list[db.Movie]] | None = None  # of the vanished
    taken: set[int] = set()  # the items of `todo`
    for video, movie_id in changed:
        movie = models.get(movie_id) if movie_id is not None else None
        if movie is None and (movie := _grown_into(video, vanished)) is not None:
            del vanished[movie.path]  # changed, not moved: its file is still where it was
        elif movie is None and (movie := _shrunk_to(video, vanished)) is not None:
            del vanished[movie.path]  # changed, not moved: its other parts are where they were
        elif movie is None:
            movie = _moved_from(video, vanished)
            if movie is not None:
                del vanished[movie.path]
            else:
                if elsewhere is None:
                    in_sight = {k[0] for k in known.values() if not k[4]}
                    elsewhere = _elsewhere(in_sight)
                movie = _moved_from_elsewhere(video, elsewhere)
                if movie is None and new_ids[video.file_id] == 1:
                    if by_identity is None:
                        by_identity = _by_identity(vanished)
                    movie = _renamed(video, vanished, by_identity, elsewhere, root, taken)
                    if movie is not None:
                        vanished.pop(movie.path, None)
                        renamed[movie.id] = (movie.path, video.file)
            if movie is not None:
                report.moved.append(movie.id)  # its sidecars' rows follow in `_record`
        if movie is not None:
            taken.add(movie.id)
        todo.append((video, movie))
    # a stack an older metarrd split: its later part's item goes back into the stack's
    rejoined = _rejoin_split_stacks(todo, vanished, known, found, single, rt.config)
    # missing already: the watcher may have scanned the folder the old file left first
    replaced = _replaced_in_place(todo, vanished, known, found, root)
    # an upgrade copied in beside the old file, which goes now: the new file's item merges back
    others = [Path(o.path) for o in rt.config.library if o.kind != "tv" and o.name != lib.name]
    merged = _merge_upgrades(todo, vanished, known, found, root, others, rt.config)

    with ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="probe") as pool:
        probes = pool.map(lambda item: probe(rt, root, item[0]), todo)
        batch: list[tuple[Probe, db.Movie | None]] = []
        for (_video, movie), pr in zip(todo, probes, strict=True):
            batch.append((pr, movie))
            if len(batch) >= BATCH:
                _record_batch(rt, library, batch, report)
                batch = []
        _record_batch(rt, library, batch, report)

    for movie_id, (old, new) in replaced.items():
        if movie_id in report.changed:  # not vanished while it was read
            db.record_event("scan.renamed", f"{old} was replaced by {new}", movie=movie_id)
            log.info("item %d: %s replaced by %s", movie_id, old, new)
    report.merged.extend(rejoined + merged)
    for movie_id, (old, new) in renamed.items():
        if movie_id in report.moved:  # not vanished while it was read
            db.record_event("scan.renamed", f"{old} was renamed to {new}", movie=movie_id)
            log.info("item %d: %s renamed to %s (the same file)", movie_id, old, new)
    if vanished:
        ids = [m.id for m in vanished.values()]
        with db.write_transaction():  # a job's: not when another worker took the scan over
            db.Movie.update(missing=True, updated_at=db.now()).where(db.Movie.id.in_(ids)).execute()
            for movie in vanished.values():
                db.record_event(
                    "scan.missing", f"{movie.path} is gone; its data is kept", movie=movie
                )
        for movie in vanished.values():
            log.info("item %d: %s vanished, marked missing", movie.id, movie.path)
        report.missing.extend(ids)
    if seen_nfos is not None:
        seen_nfos.save()
    log.info(
        "library %s: %d videos, %d new, %d changed, %d moved, %d missing, %d unchanged, %d errors, "
        "%d skipped by name",
        lib.name,
        report.found,
        len(report.new),
        len(report.changed),
        len(report.moved),
        len(report.missing),
        report.unchanged,
        len(report.errors),
        report.skipped,
    )
    return report


def _say_kept(name: str, kept: EpisodesKept, report: ScanReport) -> None:
    """A movie library's episodes kept (`kind_change.episodes_kept`): said at each scan, on its
    output and in the log; the event once, not at each scan."""
    log.warning("%s", kept.warning)
    report.errors.append((name, kept.warning))
    E = db.Event
    if not E.select().where(E.kind == "scan.warning", E.message == kept.warning).exists():
        db.record_event("scan.warning", kept.warning, level="warning")


def _has_tv_items(library: db.Library) -> bool:
    M = db.Movie
    return M.select().where(M.library == library, M.kind != db.MOVIE).exists()


def _say_waiting(name: str, files: list[str], report: ScanReport) -> None:
    """The new files a movie library's scan leaves while its episodes are kept
    (`EpisodesKept.waits`): in a show's folder, or named as episodes; said on its output and in
    its log at each scan, as the kept episodes are."""
    if not files:
        return
    for path in files:
        log.info('library %s: %s waits: an episode once kind = "tv" is set back', name, path)
    report.errors.append(
        (
            name,
            f"library {name}: {len(files)} new files in its shows' folders or named as episodes "
            'wait with its episodes, not made films, until kind = "tv" is set back: '
            + ", ".join(files[:5])
            + (f" and {len(files) - 5} more" if len(files) > 5 else ""),
        )
    )


def _share_gone(top: Path, root: Path) -> tuple[str, str] | None:
    """The folder (or link) that makes a scope not there a share not there, and why
    (`renames.gone_share`: a symbolic link on the way leading nowhere, an empty mount point
    where its items were found on another file system); None when it is gone, or there. A
    scope `gone_from_library` kept for that (`metarrd scan PATH`) is reported so, and its
    items keep their state."""
    return gone_share(str(top), str(root)) if is_gone(top) else None


def _with_its_stack(top: Path, root: Path) -> Path:
    """A folder stack's `CD2/`, or a file in it (`metarrd scan <path>`), is scanned with the movie
    folder holding it, as the watcher scans it (`watch.scope_for`): walked alone, its video was a
    movie of its own, which the next full scan marked missing."""
    folder = top if top.is_dir() else top.parent
    if folder != root and is_inside(folder, root) and is_stack_folder(folder.name):
        return folder.parent
    return top


EMPTY_ROOT = "library folder is empty (a share not mounted?): nothing is marked missing"


def mounted_elsewhere(lib: LibraryConfig, library: db.Library, report: ScanReport) -> bool:
    """Does the shared database hold this library at another path than this host's
    configuration (a worker on another host that mounts the share elsewhere, docs/scale-out.md)?
    Then it is not scanned: its walk found every item at a path of its own and moved them all
    there, and the next scan on the other host moved them back, each time. Reported as the
    scan's error; the host that started last wrote its path (`db.mirror_config`). On one host,
    the same after the path is edited (a disk moved) while the daemon runs: the web UI or a
    command started since wrote the new path, and the daemon, until its restart, scans by the
    old one (a copy left there: every item moved back to it)."""
    if os.path.normpath(library.path) == os.path.normpath(lib.path):  # "movies/" is "movies"
        return False
    reason = (
        f"library {lib.name!r} is at {library.path} in the shared database (another host's "
        f"configuration), at {lib.path} in this one's: not scanned. Every host mounts the "
        "libraries at the same paths (docs/scale-out.md); a path edited on purpose (a library "
        "moved to another disk): restart every metarrd process with the edited configuration"
    )
    log.error("%s", reason)
    report.errors.append((lib.path, reason))
    db.record_event("scan.failed", reason[:1].upper() + reason[1:], level="error")
    return True


def unmounted(lib: LibraryConfig, library: db.Library, report: ScanReport) -> bool:
    """Is the library's root empty while items of it are not missing? Then it is taken for a
    share not mounted (its mount point is left, empty) and not scanned: a scan of it would mark
    every item missing. Reported as the scan's error; the next scan of a root that holds
    anything decides as usual."""
    if not is_empty_folder(lib.path):
        return False
    if not db.Movie.select().where(db.Movie.library == library, ~db.Movie.missing).exists():
        return False  # a new, empty library: nothing to keep
    log.warning("library %s: %s: %s", lib.name, lib.path, EMPTY_ROOT)
    report.errors.append((lib.path, f"library {lib.name!r}: {EMPTY_ROOT}"))
    db.record_event("scan.failed", f"Library {lib.name}: {lib.path} {EMPTY_ROOT}", level="error")
    return True


def _led_out(rt: Runtime, lib: LibraryConfig, top: Path, report: ScanReport) -> bool:
    """Is `top` (a scope below the root) reached through a symlinked folder that leads out of
    every library? Then it is not walked, as the full walk does not follow that link
    (walk.may_follow): reported, and what was known there is gone from the library."""
    if top == Path(lib.path):
        return False
    folder = top if top.is_dir() else top.parent
    real = leads_out(folder, rt.config.library, follow_symlinks=lib.follow_symlinks)
    if real is None:
        return False
    shown = display(folder)
    reason = (
        f"leads to {display(real)}, outside every configured library: not followed (set "
        f"follow_symlinks = true for library {lib.name} to follow it)"
    )
    log.warning("library %s: %s %s", lib.name, shown, reason)
    report.errors.append((shown, reason))
    db.record_event("scan.error", f"{shown} {reason}", level="error")
    return True


def out_of_sight(path: str, unread: list[str], parts_json: str | None = None) -> bool:
    """Is the item at `path` at or below a path the walk reported and skipped (a folder it could
    not list, a file it could not stat)? Not seeing it there says nothing: a read error on a NAS
    is often transient, so the item keeps its state (not missing, not read again) until a scan
    can read the folder. A stack (its `parts` column as stored) is out of sight when any of its
    parts is: `Movie/CD2/` unreadable hides the stack `Movie/CD1/a.avi` + `Movie/CD2/b.avi`."""
    if not unread:
        return False
    paths = [path] if _one_part(path, parts_json) else json.loads(parts_json or "[]")
    return any(is_inside(p, folder) for p in paths for folder in unread)


def _partly_unread(folder: str, unread: list[str]) -> bool:
    """Did the walk skip something inside this disc's folder (its VIDEO_TS)?"""
    return any(is_inside(path, folder) for path in unread)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """The walk piles up one small object per movie, all alive until the scan ends, and no cycle
    among them; meanwhile Python's cycle collector would go through the whole heap as they pile
    up (a sixth of a 10,000-movie rescan). Reference counting frees everything as usual, and
    the collector runs again afterwards. Another thread's pause is left as it is."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _one_part(path: str, parts_json: str | None) -> bool:
    """Is the item at `path` a single file (or a disc), given its `parts` column as stored?

    A JSON list of two paths, the first of them `path`, is more than 4 characters longer than
    `path`, so only such rows are parsed.
    """
    if parts_json is None or len(parts_json) <= len(path) + 4:
        return True
    return len(json.loads(parts_json)) <= 1


def _movies_by_id(ids: list[int]) -> dict[int, db.Movie]:
    movies: dict[int, db.Movie] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        movies.update({m.id: m for m in db.Movie.select().where(db.Movie.id.in_(chunk))})
    return movies


def _grown_into(video: FoundVideo, vanished: dict[str, db.Movie]) -> db.Movie | None:
    """A vanished item whose video is a later part of this new stack: `cd2` came first and was a
    movie of its own, then `cd1` came (a download finishing its files in any order). The stack
    is named by its first part, and it is that item's movie."""
    return next((vanished[p] for p in video.files[1:] if p in vanished), None)


def _shrunk_to(video: FoundVideo, vanished: dict[str, db.Movie]) -> db.Movie | None:
    """A vanished stack whose first part was deleted (`cd1`, a folder stack's `CD1/`) and whose
    later parts are this video (`cd2` alone, or the stack `cd2` + `cd3`): it is that item's
    movie, named by its first part left, with its id, data and files."""
    files = set(video.files)
    for movie in vanished.values():
        if movie.kind == db.MOVIE and files.intersection((movie.parts or [])[1:]):
            return movie
    return None


def _moved_from(video: FoundVideo, vanished: dict[str, db.Movie]) -> db.Movie | None:
    """A vanished item with the same size and mtime is this file: moved (the same file name)
    or renamed where it is (the same folder: a renamer, Radarr without its webhook)."""
    for movie in vanished.values():
        if movie.size == video.size and movie.mtime_ns == video.mtime_ns:
            old = Path(movie.path)
            if old.name == video.path.name or old.parent == video.path.parent:
                return movie
    return None


def _replaced_in_place(
    todo: list[tuple[FoundVideo, db.Movie | None]],
    vanished: dict[str, db.Movie],
    known: dict[str, tuple],
    found: list[FoundVideo],
    root: Path,
) -> dict[int, tuple[str, str]]:
    """A vanished movie whose file another one replaced in its folder, as an upgrade does
    without the webhook (`Movie.2010.720p.mkv` deleted, `Movie.2010.1080p.mkv` come): the item
    follows the new file, keeping its identification, locks and choices, as the Radarr
    webhook's upgrade makes it (`renames.follow_renames`). Only where nothing else can be
    meant: the folder is a movie's own (not the library's root; no other video found there),
    exactly one known file vanished from it (in this scan, or missing since an earlier one:
    `known` rows marked missing) and exactly one new one came, both single files (no stack, no
    disc), of the same title and year by their names. The new video's entry in `todo` takes
    the item (taken out of `vanished`); item id -> (old path, new path)."""
    new_in: dict[Path, list[int]] = {}
    for i, (video, movie) in enumerate(todo):
        if movie is None:
            new_in.setdefault(movie_folder(video), []).append(i)
    if not new_in:
        return {}
    folders = {str(folder) for folder in new_in}
    earlier = [  # `known` rows: (id, path, size, mtime_ns, missing, ...)
        k[0]
        for k in known.values()
        if k[4]
        and (os.path.dirname(k[1]) in folders or os.path.dirname(os.path.dirname(k[1])) in folders)
    ]
    gone_in: dict[Path, list[db.Movie]] = {}
    for movie in [*vanished.values(), *_movies_by_id(earlier).values()]:
        if movie.missing and os.path.lexists(movie.path):
            continue  # back where it was: the scan takes it there
        gone_in.setdefault(movie_folder(VideoPlace.of(movie)), []).append(movie)
    videos_in: dict[Path, int] = {}
    for video in found:
        folder = movie_folder(video)
        videos_in[folder] = videos_in.get(folder, 0) + 1
    replaced = {}
    for folder, indexes in new_in.items():
        gone = gone_in.get(folder, [])
        if folder == root or len(indexes) != 1 or len(gone) != 1 or videos_in[folder] != 1:
            continue
        video, movie = todo[indexes[0]][0], gone[0]
        if video.is_disc or len(video.parts) > 1 or movie.kind != db.MOVIE or movie.is_disc:
            continue
        if len(movie.parts or []) > 1 or not _same_film(Path(movie.path), video.path, root):
            continue
        vanished.pop(movie.path, None)
        todo[indexes[0]] = (video, movie)
        replaced[movie.id] = (movie.path, str(video.path))
    return replaced


def _same_film(old: Path, new: Path, root: Path) -> bool:
    """Whether two video names give one title and year (`Inception (2010) Bluray-720p` and
    `Inception.2010.1080p.BluRay.x264`), in any case and punctuation; never for a name that
    gives no title."""

    def film(path: Path) -> tuple[str, int | None] | None:
        try:
            hints = parse_hints(path, root)
        except Exception:  # a name we cannot parse: not known to be the same film
            return None
        if not hints.title:
            return None
        return "".join(c for c in hints.title.casefold() if c.isalnum()), hints.year

    before = film(old)
    return before is not None and before == film(new)


# the volume of Kodi's first <moviestacking> expression (walk._STACK_PATTERNS), after a separator
_STACK_VOLUME = re.compile(r"(?:^|[ _.-])(?:cd|dvd|p(?:ar)?t|dis[ck])[ _.-]*[0-9]+(?![0-9])", re.I)


def _merge_upgrades(
    todo: list[tuple[FoundVideo, db.Movie | None]],
    vanished: dict[str, db.Movie],
    known: dict[str, tuple],
    found: list[FoundVideo],
    root: Path,
    others: list[Path],
    config: Config,
) -> list[int]:
    """An upgrade copied in before the old file was deleted (Radarr without its webhook, a
    manual copy-then-delete): one scan saw both files in the movie's folder and made the new one
    an item of its own, to identify again; the old file goes at a later scan. The new file then
    takes over the old item, keeping its identification, locks, edits, artwork choices and
    published files (the ledger rows of both items are the old item's now), and the new file's
    item goes. Only where nothing else can be meant: the folder is a movie's own (not the
    library's root) and holds that one video now; the old item vanished in this scan; the new
    item was made after it, holds no work of the user's (a manual identification, an edit, a
    lock, an artwork choice) and no job in hand, and is not identified as another film; both
    are single files (no stack, no disc), their names give the same title, year and edition and
    neither is a part of a stack (`cd2`), and their video streams run as long (an extra
    named after its film does not). Nor when the old file is at its place in another movie
    library (`others`: their roots), the same size and mtime: moved there (`Movies/Inception
    (2010)/` to `Movies 4K/Inception (2010)/`), it is that library's scan that takes the item.
    The merged items' ids (gone)."""
    movies_in: dict[Path, list[db.Movie]] = {}
    for movie in vanished.values():
        if movie.kind == db.MOVIE and not movie.is_disc and len(movie.parts or []) <= 1:
            movies_in.setdefault(movie_folder(VideoPlace.of(movie)), []).append(movie)
    if not movies_in:
        return []
    videos_in: dict[Path, list[FoundVideo]] = {}
    for video in found:
        folder = movie_folder(video)
        if folder in movies_in:
            videos_in.setdefault(folder, []).append(video)
    merged = []
    for folder, gone in movies_in.items():
        videos = videos_in.get(folder, [])
        if folder == root or len(gone) != 1 or len(videos) != 1:
            continue
        old, video = gone[0], videos[0]
        k = known.get(video.file)
        if k is None or k[4] or video.is_disc or len(video.parts) > 1:
            continue  # a new file (`_replaced_in_place`), or one seen gone before
        if _moved_away(old, root, others):
            continue
        at = next((i for i, (v, _m) in enumerate(todo) if v.file == video.file), None)
        if at is not None and (todo[at][1] is None or todo[at][1].id != k[0]):
            continue  # this scan has another reading of it (a move, a replacement)
        with db.write_transaction():  # a job's: not when another worker took the scan over
            extra = db.Movie.get_or_none(db.Movie.id == k[0])
            if extra is None or not _is_upgrade_of(old, extra, root):
                continue
            files, previews = cache.files_of(extra.id)
            _merge_into(old, extra, video)
        cache.remove_unused(config.cache_dir, config.previews_dir, files, previews)
        vanished.pop(old.path, None)
        movie = db.Movie.get_by_id(old.id)
        if at is None:
            todo.append((video, movie))  # its streams, NFO and artwork read again for the item
        else:
            todo[at] = (video, movie)
        merged.append(extra.id)
    return merged


def _rejoin_split_stacks(
    todo: list[tuple[FoundVideo, db.Movie | None]],
    vanished: dict[str, db.Movie],
    known: dict[str, tuple],
    found: list[FoundVideo],
    single: set[str],
    config: Config,
) -> list[int]:
    """A stack split by an older metarrd: a later part (`cd2`, a folder stack's `CD2/` video)
    became an item of its own beside the stack's. Its `cd2` scanned before `cd1` came, whose
    stack was then a new item; a scan of `CD2/` alone; `CD1/` unreadable for a scan; `CD1/`
    scanned before `CD2/` came: once the walk finds the stack whole, that part's item is
    missing, or vanishes in this scan. Its `cd1` deleted, which marked the whole stack missing
    (a delete webhook, `metarrd scan PATH`): the part left was a new item beside the missing
    stack's. Each kept its data, its published files and any work of the user's on it. The
    two are one item again, at the video found: the part's item merges into the stack's
    when it holds no work of the user's (a manual identification, an edit, a lock, an
    artwork choice) and no job in hand; else, or when it is identified and the stack's item
    not, the stack's item merges into it when that one holds none. The item kept takes the
    ledger rows of the one that goes (its next publish removes what was published at the
    other names) and the user's files it copied into the cache; the cache files only the one
    that goes used are removed. Both holding the user's work: both stay, said in an event.
    The merged items' ids (gone)."""
    later: dict[str, tuple] = {}  # a later part of a stack gone (its first part deleted) -> row
    for path, k in known.items():
        if path not in single and k[10] == db.MOVIE and (k[4] or path in vanished):
            for part in json.loads(k[5])[1:]:
                later[part] = k
    merged: list[int] = []
    for video in found:
        if len(video.files) < 2 and not later:
            continue
        k = known.get(video.file)
        if k is None or k[10] != db.MOVIE:
            continue  # a new stack is `_grown_into`'s, a new part left `_shrunk_to`'s
        pairs = []  # (the stack's row, its part's row)
        for part in video.files[1:]:
            p = known.get(part)
            if p is None or p[10] != db.MOVIE or not _one_part(part, p[5]):
                continue
            if p[4] or part in vanished:  # not out of sight: the scan that sees it decides
                pairs.append((k, p))
        if _one_part(video.file, k[5]):
            pairs.extend((s, k) for f in video.files if (s := later.get(f)) is not None)
        if not pairs:  # the common case: `todo` (every changed file) is not searched
            continue
        at = next((i for i, (v, _m) in enumerate(todo) if v.file == video.file), None)
        if at is not None and (todo[at][1] is None or todo[at][1].id != k[0]):
            continue  # this scan has another reading of it
        for stack_row, part_row in pairs:
            if stack_row[0] == part_row[0] or k[0] not in (stack_row[0], part_row[0]):
                continue  # one of them went into the other already
            kept = _rejoin(video, stack_row, part_row, config)
            if kept is None:
                continue
            for row in (stack_row, part_row):
                vanished.pop(row[1], None)
                later.pop(row[1], None)
            merged.append(stack_row[0] if kept == part_row[0] else part_row[0])
            movie = db.Movie.get_by_id(kept)
            if at is None:
                todo.append((video, movie))  # unchanged: its NFO and artwork read again
                at = len(todo) - 1
            else:
                todo[at] = (video, movie)
            k = (kept, *k[1:])
    return merged


def _rejoin(video: FoundVideo, stack_row: tuple, part_row: tuple, config: Config) -> int | None:
    """The items of a split stack (`_rejoin_split_stacks`; their `known` rows) made one at
    `video`: the id kept; None when both hold the user's work, or one went or moved meanwhile."""
    with db.write_transaction():  # a job's: not when another worker took the scan over
        rows = {
            m.id: m for m in db.Movie.select().where(db.Movie.id.in_([stack_row[0], part_row[0]]))
        }
        if any(rows.get(k[0]) is None or rows[k[0]].path != k[1] for k in (stack_row, part_row)):
            return None
        stack, split = rows[stack_row[0]], rows[part_row[0]]
        kept, gone = _rejoined(stack, split)
        if kept is None or gone is None:
            _say_split(stack, split)
            return None
        files, previews = cache.files_of(gone.id)
        L = db.LibraryFile
        ours = dict(L.select(L.path, L.sha256).where(L.movie.in_([kept.id, gone.id])).tuples())
        _take_over(kept.id, gone.id, video, ours)  # what was published at the other names goes
        db.record_event(
            "scan.renamed",
            f"{split.path} is a part of the stack {stack.path}, which it was split from; "
            f"item #{gone.id} is merged into this one, at {video.file}",
            movie=kept.id,
        )
    cache.remove_unused(config.cache_dir, config.previews_dir, files, previews)
    log.info("item %d: %s rejoined its stack (item %d merged)", kept.id, split.path, gone.id)
    return kept.id


def _rejoined(stack: db.Movie, split: db.Movie) -> tuple[db.Movie | None, db.Movie | None]:
    """Of a stack's item and its later part's split from it (`_rejoin_split_stacks`): the one
    kept and the one that goes, or (None, None) when both hold the user's work."""
    if _may_go(split) and not (
        stack.identification_status == db.UNIDENTIFIED
        and split.identification_status != db.UNIDENTIFIED
        and _may_go(stack)
    ):
        return stack, split
    if _may_go(stack):
        return split, stack
    return None, None


def _may_go(movie: db.Movie) -> bool:
    """Does the item hold no work of the user's (a lock, a manual identification, an edit, an
    artwork choice) and no job in hand, so it may merge into another?"""
    if movie.locked_fields or movie.locked_asset_types or movie.identified_by == "manual":
        return False
    return untouched(movie.id)


def _say_split(stack: db.Movie, split: db.Movie) -> None:
    """Both items of a split stack hold the user's work: they stay, said once on the part's."""
    message = (
        f"{split.path} is a part of the stack {stack.path} (item #{stack.id}), which it was "
        "split from; both items hold work of the user's, so they stay two items"
    )
    E = db.Event
    if not E.select().where(E.movie == split.id, E.message == message).exists():
        db.record_event("scan.warning", message, level="warning", movie=split.id)
    log.info("item %d: a part of the stack of item %d, kept for its edits", split.id, stack.id)


def _moved_away(movie: db.Movie, root: Path, others: list[Path]) -> bool:
    """Is the movie's file at the same place in another library, same size and mtime?"""
    relative = os.path.relpath(movie.path, root)
    for other in others:
        try:
            st = os.stat(other / relative)
        except (OSError, ValueError):
            continue
        if (st.st_size, st.st_mtime_ns) == (movie.size, movie.mtime_ns):
            return True
    return False


def _is_upgrade_of(old: db.Movie, new: db.Movie, root: Path) -> bool:
    """Is the item `new`, made beside `old` (whose file is gone), that film's upgrade, and
    nothing of its own lost by merging it into `old` (`_merge_upgrades`)?"""
    if new.kind != db.MOVIE or new.is_disc or len(new.parts or []) > 1 or new.missing:
        return False
    # made after it: a greater id (a clock set back by NTP since had made it "older")
    if new.id <= old.id or new.locked_fields or new.locked_asset_types:
        return False
    if new.identified_by == "manual" or (
        old.identification_status == db.UNIDENTIFIED
        and new.identification_status != db.UNIDENTIFIED
    ):
        return False  # the new item knows more: it stays, the old one is missing
    if (new.tmdb_id and new.tmdb_id != old.tmdb_id) or (
        new.imdb_id and old.imdb_id and new.imdb_id != old.imdb_id
    ):
        return False  # identified as another film
    old_path, new_path = Path(old.path), Path(new.path)
    if not _same_film(old_path, new_path, root) or _edition(old_path, root) != _edition(
        new_path, root
    ):
        return False
    if any(_STACK_VOLUME.search(p.stem) for p in (old_path, new_path)):
        return False  # a part of a film (`cd2`, `part1`), whose other part is not there
    return same_runtime(old.id, new.id) and untouched(new.id)


def _edition(path: Path, root: Path) -> str | None:
    """The edition `path`'s names give, as two names of one edition compare equal: guessit's
    reading (`Extended`, `Director's Cut`, `Theatrical`) and Radarr's `{edition-…}`, which keeps
    the Cut or Edition and drops the apostrophe (`Extended Edition`, `Directors Cut`,
    `Theatrical Cut`): case, apostrophes, a leading "The" and a last Cut, Edition or Version
    do not count."""
    try:
        edition = parse_hints(path, root).edition
    except Exception:  # a name we cannot parse: `_same_film` said no already
        return None
    if not edition:
        return None
    words = re.sub(r"['\u2019]", "", edition.casefold()).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    if len(words) > 1 and words[-1] in ("cut", "edition", "version"):
        words = words[:-1]
    return " ".join(words)


def _take_over(
    kept: int, gone: int, video: FoundVideo, ours: Mapping[str, str] | None = None
) -> None:
    """Item `kept` takes the files of item `gone`, which goes (`renames.take_files`; `ours`:
    its ledger's paths -> SHA-256, of both items), and the video found, `video`; it is
    "Republish?": what it published bears other names. Called in a write transaction."""
    take_files(kept, gone, ours)
    db.Movie.delete().where(db.Movie.id == gone).execute()
    db.Movie.update(
        path=video.file,
        parts=list(video.files),
        size=video.size,
        mtime_ns=video.mtime_ns,
        file_id=video.file_id,
        missing=False,
        updated_at=db.now(),
    ).where(db.Movie.id == kept).execute()
    db.mark_outdated(kept)


def _merge_into(old: db.Movie, extra: db.Movie, video: FoundVideo) -> None:
    """The item `old` takes the file of `extra`, which goes; the files `extra` published stay
    ours, as `old`'s (its next publish keeps, replaces or removes them, as any of its own), and
    so do the user's files it copied into the cache before replacing them. Called in a write
    transaction."""
    _take_over(old.id, extra.id, video)  # its NFO and artwork bear the old file's name
    db.record_event(
        "scan.renamed",
        f"{old.path} was replaced by {video.file}, found beside it at an earlier scan; "
        f"that file's item (#{extra.id}) is merged into this one",
        movie=old.id,
    )
    log.info("item %d: %s replaced by %s (item %d merged)", old.id, old.path, video.file, extra.id)


@dataclass
class Elsewhere:
    """Every movie outside this walk, by file name, size and mtime, and by file identity:
    (id, path) each (`_elsewhere`)."""

    by_name: dict[tuple[str, int, int], list[tuple[int, str]]]
    by_identity: dict[tuple[str, int, int], list[tuple[int, str]]]


def _elsewhere(in_sight: set[int]) -> Elsewhere:
    """Every movie outside this walk (`in_sight` are its own, looked for among the vanished):
    of another library, of this one outside the scanned folders, missing or not, by file name,
    size and mtime, and by file identity, size and mtime."""
    M = db.Movie
    query = M.select(M.id, M.path, M.size, M.mtime_ns, M.file_id).where(M.kind == db.MOVIE)
    found = Elsewhere({}, {})
    for movie_id, path, size, mtime_ns, file_id in query.tuples():
        if movie_id not in in_sight:
            found.by_name.setdefault((os.path.basename(path), size, mtime_ns), []).append(
                (movie_id, path)
            )
            if file_id is not None:
                found.by_identity.setdefault((file_id, size, mtime_ns), []).append((movie_id, path))
    return found


def _by_identity(vanished: dict[str, db.Movie]) -> dict[tuple[str, int, int], list[db.Movie]]:
    found: dict[tuple[str, int, int], list[db.Movie]] = {}
    for movie in vanished.values():
        if movie.file_id is not None:
            found.setdefault((movie.file_id, movie.size, movie.mtime_ns), []).append(movie)
    return found


def _renamed(
    video: FoundVideo,
    vanished: dict[str, db.Movie],
    by_identity: dict[tuple[str, int, int], list[db.Movie]],
    elsewhere: Elsewhere,
    root: Path,
    taken: set[int],
) -> db.Movie | None:
    """The vanished movie whose file this is, by its identity (device and inode, size and
    mtime), under another name in another folder: renamed with its folder (Radarr renaming
    `Inception (2010)/Inception.mkv` to `Inception (2010) {tmdb-27205}/Inception (2010)
    {tmdb-27205} [Bluray-1080p].mkv` without its webhook), or moved and renamed at once. Only
    where nothing else can be meant: the one movie with that identity whose file is gone (the
    caller makes sure no other new file of this scan has it: two hard links to one file are
    two readings), and the new name the same film (same title and year, or the item's own
    TMDB or IMDb id), not another one: a download hard-linked again into the library as
    another film (`Dune (1984)` imported again as `Dune (2021)`) is the same file, not the same
    item. `by_identity`: the vanished by identity (`_by_identity`); `taken`: the items this
    scan found already. Taken out of `elsewhere` (not out of `vanished`: the caller's)."""
    key = (video.file_id, video.size, video.mtime_ns)
    if video.file_id is None or video.is_disc or len(video.parts) > 1:
        return None
    inside = [(m.id, m.path) for m in by_identity.get(key, []) if m.path in vanished]
    outside = elsewhere.by_identity.get(key, [])
    gone = inside + [c for c in outside if _gone_from(c[1], video.path)]
    gone = [c for c in gone if c[0] not in taken]
    if len(gone) != 1:
        return None
    movie = db.Movie.get_or_none(db.Movie.id == gone[0][0])
    if movie is None or movie.kind != db.MOVIE or movie.is_disc or len(movie.parts or []) > 1:
        return None
    try:
        hints = parse_hints(video.path, root, is_disc=video.is_disc, is_stack=len(video.files) > 1)
    except Exception:  # a name we cannot parse says nothing either way
        return None
    if (hints.tmdb_id and movie.tmdb_id and hints.tmdb_id != movie.tmdb_id) or (
        hints.imdb_id and movie.imdb_id and hints.imdb_id != movie.imdb_id
    ):
        return None  # the new name says it is another film
    ids_agree = (hints.tmdb_id and hints.tmdb_id == movie.tmdb_id) or (
        hints.imdb_id and hints.imdb_id == movie.imdb_id
    )
    if not ids_agree and not _same_film(Path(movie.path), video.path, root):
        return None
    if gone[0] in outside:
        outside.remove(gone[0])
    return movie


def _name_rules(stored: int | str | None) -> int | None:
    """The `MOVIE_NAME_RULES` an item's name was read by, as the scan's query reads it from the
    stored hints (`db.json_int`: no row's JSON decoded here, 10,000 of them a rescan)."""
    try:
        return int(stored) if stored is not None else None
    except (TypeError, ValueError):
        return None


def _read_names_again(items: list[tuple[int, FoundVideo]], root: Path, report: ScanReport) -> None:
    """Unchanged videos whose names older rules read (`identify.MOVIE_NAME_RULES`): their names
    are read again, not their files. Read the same, they are marked as read by today's rules. Read
    otherwise, the new reading is recorded; a movie not identified yet also takes it as its title
    and year (unless the user gave others) and counts as changed, so it is identified by it. An
    identified movie keeps its film, titles and state: a name fix never changes the film the user
    has, and the identify page searches by the new reading."""
    for start in range(0, len(items), BATCH):
        readings = {i: _name_hints(video, root) for i, video in items[start : start + BATCH]}
        with db.write_transaction():  # read inside: an identify or an edit meanwhile is kept
            for movie in _movies_by_id(list(readings)).values():
                if _take_reading(movie, readings[movie.id], movie.path):
                    movie.updated_at = db.now()
                    report.unchanged -= 1
                    report.changed.append(movie.id)
                movie.save(only=movie.dirty_fields)


def _take_reading(movie: db.Movie, read: dict, old_path: str) -> bool:
    """`movie.hints` takes a new reading of its names (`_name_hints`). Whether it reads
    otherwise for a movie not identified yet, which then takes it as its title and year too,
    unless the user gave others (its NFO, an edit): not those the name at `old_path` gave."""
    hints = dict(movie.hints or {})
    old = {key: hints.get(f"name_{key}") for key in read}
    hints.update({f"name_{key}": value for key, value in read.items()})
    movie.hints = hints
    differs = any((old[key] or None) != (read[key] or None) for key in read if key != "rules")
    if not differs or movie.identification_status != db.UNIDENTIFIED:
        return False
    stem = Path(old_path).stem
    if movie.title == (old.get("title") or stem) and not movie.is_locked("title"):
        movie.title = read.get("title") or Path(movie.path).stem
    if movie.year == old.get("year") and not movie.is_locked("year"):
        movie.year = read.get("year")
    return True


def _name_hints(video: FoundVideo, root: Path) -> dict:
    """What `parse_hints` reads from a video's names, as `movies.hints` keeps it (each key with
    `name_` before it), with the rules it was read by. Only those when the name cannot be read."""
    try:
        hints = parse_hints(video.path, root, is_disc=video.is_disc, is_stack=len(video.files) > 1)
    except Exception as exc:  # a name we cannot parse is not fatal
        log.warning("%s: cannot parse the name: %s", display(video.file), exc)
        return {"rules": MOVIE_NAME_RULES}
    return {
        "title": hints.title,
        "year": hints.year,
        "tmdb_id": hints.tmdb_id,
        "imdb_id": hints.imdb_id,
        "edition": hints.edition,
        "other_titles": list(hints.other_titles),
        "file_title": hints.file_title,
        "rules": MOVIE_NAME_RULES,
    }


def _record_identities(identified: list[tuple[int, str]]) -> None:
    """Unchanged items whose file identity is not the one recorded (items of a version before
    it was, or a share mounted again under another device number): recorded, so that a later
    rename with their folder finds them (`_renamed`). Written once: the next scan finds them
    as recorded."""
    if not identified:
        return
    with db.write_transaction():  # a job's: not when another worker took the scan over
        for movie_id, file_id in identified:
            db.Movie.update(file_id=file_id).where(db.Movie.id == movie_id).execute()


def _gone_from(old: str, new: Path) -> bool:
    """Is the item's file gone from `old`, now that a file like it is at `new`? Not one that
    cannot be looked at (EACCES); one found at `old` only through a name spelt otherwise (a
    share that ignores case: `renames.respelt_from`) is the file at `new`."""
    return is_gone(old, follow_symlinks=False) or respelt_from(old, str(new))


def _moved_from_elsewhere(video: FoundVideo, elsewhere: Elsewhere) -> db.Movie | None:
    """A movie of `_elsewhere` whose file is gone, with this file's name, size and mtime: its
    folder was moved within the library, its old place not walked (the watcher scans only the
    folder it went to), or into another library (`Movies/Heat (1995)` to `Movies 4K/`). Each
    library is scanned on its own, the other one before or after this one, and the old place
    may have been seen empty by an earlier scan: the item may be marked missing already."""
    candidates = elsewhere.by_name.get((video.path.name, video.size, video.mtime_ns), [])
    for i, (movie_id, path) in enumerate(candidates):
        # not one that cannot be looked at (EACCES); one found only in other letters (a share
        # that ignores case) is this file under its new name
        if _gone_from(path, video.path):
            del candidates[i]  # taken: another copy of the file cannot take it too
            return db.Movie.get_or_none(db.Movie.id == movie_id)
    return None


def probe(rt: Runtime, root: Path, video: FoundVideo) -> Probe:
    """Read one video's stream details, name hints, NFO and artwork. Never raises."""
    pr = Probe(video)
    pr.hints = _name_hints(video, root)
    try:
        if len(video.parts) > 1:
            pr.streams = read_stack_details(list(video.parts))
        else:
            pr.streams = read_stream_details(video.path, rt.config.library)
    except StreamReadError as exc:
        pr.errors.append(str(exc))
        pr.refused = isinstance(exc.__cause__, PermissionError)
    except OSError as exc:
        pr.errors.append(f"{video.path}: cannot read ({exc.strerror})")
        pr.refused = isinstance(exc, PermissionError)
    own = has_own_folder(video, _roots(rt))  # (its folder listed once, for the NFO and the art)
    try:
        nfo_path = find_nfo(video, _roots(rt), own)
    except OSError as exc:
        nfo_path = None
        pr.errors.append(f"{video.path.parent}: cannot look for its NFO ({exc.strerror})")
    if nfo_path is not None and (refused := refused_link(nfo_path, rt.config)) is not None:
        pr.errors.append(refused)
    elif nfo_path is not None and not _written_by_us(nfo_path):
        try:
            pr.nfo = read_nfo(nfo_path, rt.config.library)
            pr.nfo_hash = sha256_file(nfo_path)
            pr.warnings.extend(f"{nfo_path}: {w}" for w in pr.nfo.warnings)
        except NfoError as exc:
            pr.errors.append(str(exc))
            pr.refused |= isinstance(exc.__cause__, PermissionError)
        except OSError as exc:  # swapped for a FIFO between the two reads, say
            pr.errors.append(f"{nfo_path}: cannot be read ({exc.strerror})")
            pr.refused |= isinstance(exc, PermissionError)
    try:
        pr.artwork = find_local_artwork(
            video, rt.config, is_ours=_written_by_us, errors=pr.errors, own=own
        )
    except OSError as exc:
        pr.errors.append(f"{video.path.parent}: cannot list artwork ({exc.strerror})")
    if pr.errors and is_gone(video.path, follow_symlinks=False):  # not EACCES: not gone
        pr.vanished = True
    return pr


def _roots(rt: Runtime) -> list[str]:
    """The libraries' own folders, whose `movie.nfo` and bare art are no movie's
    (`local_files.has_own_folder`)."""
    return [lib.path for lib in rt.config.library]


def _opens_now(video: FoundVideo, roots: list[str]) -> bool:
    """Can the files of this video whose reading was refused (`STREAMS_REFUSED`) be opened
    now: its parts, and the user's NFO beside it when there is one?"""
    try:
        nfo_path = find_nfo(video, roots)
    except OSError:
        return False
    return opens_now([*video.parts, *([nfo_path] if nfo_path is not None else [])])


def _nfo_changed(
    rt: Runtime,
    video: FoundVideo,
    read_hash: str | None,
    on_unreadable: Callable[[Path, str], None] | None = None,
) -> bool:
    """In a scan of some folders (the watcher's, for an NFO edited in tinyMediaManager or a
    text editor; a webhook's): is the NFO of this unchanged video the user's, and not the one
    the item last took in (`source_nfo_hash`)? Then it is read again. Never in a scan of the
    whole library: its unchanged videos cost one `stat` each. One that is there and cannot be
    read (0600 of the other user tinyMediaManager runs as, EIO on a share) goes to
    `on_unreadable(path, reason)`: passed over in silence, the user's edit was never taken in."""
    try:
        nfo_path = find_nfo(video, _roots(rt))
        if nfo_path is None or refused_link(nfo_path, rt.config) is not None:
            return False
        if _written_by_us(nfo_path):
            return False
    except OSError:  # gone, or not a file we read: the probe would say nothing new
        return False
    try:
        return sha256_file(nfo_path) != read_hash
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if on_unreadable is not None:
            on_unreadable(nfo_path, f"cannot be read ({exc.strerror or exc})")
        return False


class LedgerRow(NamedTuple):
    """What `_written_by_us` reads of a ledger row (`db.LibraryFile`), as a plain row."""

    path: str
    size: int
    mtime_ns: int | None
    ctime_ns: int | None
    sha256: str
    pending_sha256: str | None


_LEDGER_COLUMNS = ", ".join(f'"{c}"' for c in LedgerRow._fields)


def ledger_rows(paths: Iterable[Path | str]) -> dict[str, LedgerRow]:
    """The ledger rows of these paths, by path: a query per 500 for `_written_by_us`'s
    `ledger`, not one per file (a rescan of a show asked once for each of its images); plain
    rows of the columns it reads, in a statement of our own (peewee's of `db.LibraryFile`,
    compiled at each call, cost a rescan more than running it)."""
    wanted = sorted({str(p) for p in paths})
    found: dict[str, LedgerRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join([db.database.param] * len(chunk))
        sql = f'SELECT {_LEDGER_COLUMNS} FROM "library_files" WHERE "path" IN ({marks})'
        found.update((row[0], LedgerRow(*row)) for row in db.database.execute_sql(sql, chunk))
    return found


def _written_by_us(
    path: Path, ledger: Mapping[str, LedgerRow | db.LibraryFile] | None = None
) -> bool:
    """True when the ledger says we wrote this exact file (same size and content hash), under
    its name or, on a share that ignores case, in other letters (`_ours_in_other_letters`). A file
    whose lstat (size, mtime, ctime) is still the one recorded when we wrote it holds that
    content without being read, as publish knows it (docs/publish.md, "Knowing a file
    unchanged"): a rescan of a published show read all its art and NFOs back to hash them.
    `ledger`: the rows of the paths asked about, read together (`ledger_rows`)."""
    if ledger is None:
        ledger = ledger_rows([path])
    entry = ledger.get(str(path))
    if entry is None and (entry := _ours_in_other_letters(path)) is None:
        return False
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
            return False
        stamps = (st.st_mtime_ns, st.st_ctime_ns)
        if (
            entry.pending_sha256 is None
            and stamps == (entry.mtime_ns, entry.ctime_ns)
            and not whole_seconds(*stamps)
        ):
            return True  # never for a row without a recorded lstat (None)
        return sha256_file(path) == entry.sha256
    except OSError:  # gone, unreadable, or no longer a regular file
        return False


_SWAP_ASCII_CASE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)


def _ours_in_other_letters(path: Path) -> db.LibraryFile | None:
    """The ledger row of our file at `path` under its name in other letters or another Unicode
    form (`paths.folded`), on a file system that ignores them (an SMB share, APFS): publish
    records the name it writes (`-poster.jpg`) for a file its folder may list as the user
    spelt it (`-Poster.jpg`: theirs, holding the very bytes we publish, kept; or replaced by a
    rename that kept its name, as Samba does). Asked of the ledger only where the folder takes
    `path`'s name in other letters for the same file: on any other file system the row is
    always found as spelt, and this costs one `lstat`."""
    name = path.name
    other = name.translate(_SWAP_ASCII_CASE)
    try:
        st = os.lstat(path)
        if other == name or not same_file(path, path.with_name(other), st):
            return None
    except OSError:
        return None
    folder, key = str(path.parent), folded(name)
    L = db.LibraryFile
    # the rows below `folder` are the paths from `folder/` up to `folder0` (`/` and `0` are
    # consecutive code points): a range the unique index on `path` answers
    path_ = pw.NodeList((L.path, pw.SQL('COLLATE "C"'))) if db.is_postgresql() else L.path
    rows = L.select().where((path_ >= folder + os.sep) & (path_ < folder + chr(ord(os.sep) + 1)))
    for row in rows:
        where, spelt = os.path.split(row.path)
        same = where == folder and spelt != name and folded(spelt) == key
        if same and same_file(path, row.path, st):
            return row
    return None


def _record_batch(
    rt: Runtime, library: db.Library, batch: list[tuple[Probe, db.Movie | None]], report: ScanReport
) -> None:
    if not batch:
        return
    moved = set(report.moved)  # found moved: their sidecars' rows follow them (`_record`)
    with db.write_transaction():
        # another scan (a webhook, the watcher) may have recorded a new video since we looked:
        # under the write lock, one query for the batch says which paths have an item now (only
        # a video's own record gives an item its path, so none comes while the batch records)
        paths = [str(pr.found.path) for pr, movie in batch if movie is None]
        query = db.Movie.select(db.Movie.path).where(db.Movie.path.in_(paths))
        taken = {path for (path,) in query.tuples()} if paths else set()
        streams, new = _StreamRows(), _NewMovies()
        for pr, movie in batch:  # (each path once: `scan_library` drops a scope's repeats)
            _record(rt, library, pr, movie, report, moved, taken, new)
        new.insert(streams, report)
        streams.insert()


def _ours_left_out(pr: Probe, old_path: str) -> None:
    """The probe of a video found moved from `old_path`, once the ledger rows of our NFO and
    artwork that went along with it follow them (`carry_sidecars`: Radarr's rename moves them
    after the video, its webhook off or not come yet): without what it read of them, which the
    probe, run before the move was known, took for the user's (our stale NFO's values over what
    changed since the publish). In the write transaction that moves the item, so that a scan
    whose claim was lost (docs/scale-out.md, the fence) carries nothing, and the rows never
    name the new files while the item names the old one."""
    if not carry_sidecars(old_path, str(pr.found.path)):
        return
    _drop_ours(pr)


def _drop_ours(pr: Probe) -> None:
    """The probe without what it read of our own NFO and artwork, their ledger rows just
    carried to where they are now (`_ours_left_out`)."""
    try:
        nfo_path = find_nfo(pr.found)
    except OSError:
        nfo_path = None
    if pr.nfo is not None and nfo_path is not None and _written_by_us(nfo_path):
        pr.nfo, pr.nfo_hash = None, None
        pr.warnings = [w for w in pr.warnings if not w.startswith(f"{nfo_path}: ")]
    pr.artwork = [a for a in pr.artwork if not _written_by_us(a.path)]


def _vanished_while_read(movie: db.Movie | None, video: FoundVideo, report: ScanReport) -> None:
    """The walk saw the video, and it was gone when it was read (a rename or a delete while
    the scan ran): not a new item with a "file not found" error, which no later scan would mark
    missing (the scan of the folder it left may have run already); an item known at that path
    is missing, and so is one taken for moved here (its old path is gone too). The watcher
    scans where it went."""
    log.info("%s vanished while it was scanned", display(str(video.path)))
    if movie is None or movie.id is None:
        return
    if movie.id in report.moved:
        report.moved.remove(movie.id)
    if not movie.missing:
        db.Movie.update(missing=True, updated_at=db.now()).where(db.Movie.id == movie.id).execute()
        db.record_event("scan.missing", f"{movie.path} is gone; its data is kept", movie=movie)
        report.missing.append(movie.id)


def _record(
    rt: Runtime,
    library: db.Library,
    pr: Probe,
    movie: db.Movie | None,
    report: ScanReport,
    moved: set[int],
    taken: set[str],
    new: _NewMovies,
) -> None:
    """`taken`: the paths of the batch's new videos that have an item now (`_record_batch`);
    `new`: where a new item waits for the batch's inserts, with what its probe read."""
    video = pr.found
    if movie is None and str(video.path) in taken:
        # another scan (a webhook, the watcher) recorded it since we looked: we hold the write
        # lock now, so this look is final
        movie = db.Movie.get_or_none(db.Movie.path == str(video.path))
    if pr.vanished:
        _vanished_while_read(movie, video, report)
        return
    is_new = movie is None
    if movie is None:
        movie = db.Movie(library=library)
    elif movie.id in moved and len(video.parts) == 1:
        _ours_left_out(pr, movie.path)
    elif movie.id in moved and carry_movie_ledger(movie.id, VideoPlace.of(movie), video):
        # a stack's folder moved, our files with it (a folder stack's art above its parts)
        _drop_ours(pr)
    renamed = not is_new and os.path.basename(movie.path) != video.path.name
    # a part gone or come: a stack's art is named by its stacked title, a single file's by its
    # own name, and the NFO's duration is the parts' sum
    restacked = not is_new and max(len(movie.parts or []), 1) != len(video.parts)
    old_place = None if is_new else VideoPlace.of(movie)
    old_path = movie.path
    if movie.library_id != library.id:  # moved in from another library
        movie.library = library
    movie.path = str(video.path)
    movie.parts = [str(p) for p in video.parts]
    movie.is_disc = video.is_disc
    movie.size = video.size
    movie.mtime_ns = video.mtime_ns
    movie.file_id = video.file_id
    movie.missing = False
    named_otherwise = not is_new and _take_reading(movie, pr.hints, old_path)
    hints = dict(movie.hints or {})
    if is_new:
        hints.update({f"name_{k}": v for k, v in pr.hints.items()})
    if pr.nfo is not None:
        hints.update(nfo_tmdb_id=pr.nfo.tmdb_id, nfo_imdb_id=pr.nfo.imdb_id, nfo_kind=pr.nfo.kind)
        # a number in `<id>` or an untyped uniqueid may be another site's: identify checks it
        # against the NFO's titles
        source = pr.nfo.id_sources.get("tmdb")
        hints.update(nfo_tmdb_source=source, nfo_tmdb_unnamed=source in UNNAMED_SOURCES,
                     nfo_titles=nfo_titles(pr.nfo))  # fmt: skip
    movie.hints = hints
    if is_new:
        movie.title = pr.hints.get("title") or video.path.stem
        movie.year = pr.hints.get("year")
        movie.date_added = date_added_from_mtime(video.mtime_ns)
    if pr.nfo is not None and pr.nfo_hash != movie.source_nfo_hash:
        apply_nfo_values(movie, pr.nfo)
        movie.source_nfo_hash = pr.nfo_hash
    movie.last_error = "; ".join(pr.errors) or None
    hints = {k: v for k, v in movie.hints.items() if k != STREAMS_REFUSED}
    movie.hints = {
        **hints,
        "scan_errors": pr.errors,
        **({STREAMS_REFUSED: 1} if pr.refused else {}),
    }
    movie.updated_at = db.now()
    if is_new:  # inserted with the batch's other new items, its streams, artwork and events
        new.add(movie, pr)
        return
    # only what the scan changed: a concurrent identify or user edit keeps its columns
    movie.save(only=movie.dirty_fields)
    if renamed or restacked:  # its published NFO and artwork still bear the old names
        db.mark_outdated(movie.id)
    elif (
        pr.streams is not None
        and movie.id not in moved
        and published_now([movie.id])
        and restreamed([(movie, pr.streams)])
    ):  # replaced where it is: its NFO describes the old file
        db.mark_outdated(movie.id)
        report.restreamed.append(movie.id)
    if old_place is not None:  # our files went along with a moved folder: still ours
        carry_movie_ledger(movie.id, old_place, video)
    if pr.streams is not None:
        _replace_streams(movie, pr.streams)
    for art in pr.artwork:
        _record_artwork(movie, art)
    for err in pr.errors:
        log.warning("item %d: %s", movie.id, err)
        db.record_event("scan.error", err, movie=movie, level="error")
        report.errors.append((movie.path, err))
    for warning in pr.warnings:
        db.record_event("scan.warning", warning, movie=movie, level="warning")
    if movie.id not in report.moved:
        report.changed.append(movie.id)
    elif named_otherwise:
        report.named_otherwise.append(movie.id)


# NFO field -> Movie column, for values the user's own NFO gives us as a starting point.
_NFO_FIELDS = {
    "title": "title",
    "originaltitle": "original_title",
    "sorttitle": "sort_title",
    "plot": "plot",
    "outline": "outline",
    "tagline": "tagline",
    "runtime": "runtime",
    "mpaa": "mpaa",
    "premiered": "premiered",
    "year": "year",
    "genres": "genres",
    "countries": "countries",
    "studios": "studios",
    "directors": "directors",
    "credits": "writers",
    "tags": "tags",
    "set_name": "set_name",
    "set_overview": "set_overview",
    "trailer": "trailer",
    "rating": "rating",
    "votes": "votes",
}


CLOCK_SET_AFTER = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
"""A wall clock earlier than this has not been set: a board without a real-time clock (a
Raspberry Pi without fake-hwclock) reads 1970 until its time server answers."""


def date_added_from_mtime(mtime_ns: int, now: float | None = None) -> datetime:
    """When a movie without a `<dateadded>` of its own was added, as Kodi decides it by default
    (advancedsettings `<dateadded>1</dateadded>`): the video file's modification time, in local
    time like Kodi's, the present when the mtime is unset (0, or before 1970 on a copy from a
    FAT disk) or in the future. Taken once, when the scan first finds the movie, so
    republishing never changes it. While the clock is not set (`CLOCK_SET_AFTER`), every mtime
    is "in the future": the mtime is taken (the present, 1970, was kept for good)."""
    now = time.time() if now is None else now
    seconds = mtime_ns / 1e9
    if now < CLOCK_SET_AFTER and seconds > 0:
        now = max(now, seconds)
    stamp = seconds if 0 < seconds <= now else now
    return datetime.fromtimestamp(int(stamp))


def _not_of_the_locked_year(movie: db.Movie, premiered: object) -> bool:
    """Whether the NFO's premiered date is of another year than the one the user locked: Kodi
    takes the year from `<premiered>` and ignores `<year>` (kodi.md), so the user's NFO read
    again (MediaElch or tinyMediaManager wrote it anew) would bring back the year they changed."""
    year = movie.year if movie.is_locked("year") else None
    return isinstance(year, int) and isinstance(premiered, str) and premiered[:4] != f"{year:04d}"


def apply_nfo_values(movie: db.Movie, nfo: NfoData) -> None:
    """Take the user's NFO values as the item's values, except locked fields; keep the elements
    we do not own so a later publish writes them back. The NFO's `<dateadded>` (Kodi's "recently
    added" order) is kept as written; without one, the item keeps the date it has. The NFO's own
    locks (Jellyfin's `<lockedfields>`, `<lockdata>true</lockdata>` for every field and the cast)
    are added to the item's, after its values are taken, so enrichment keeps them; a lock is
    never removed here (the item's locks are the user's, whoever set them). A premiered date of
    another year than a locked year is not taken either."""
    added = nfo.fields.get("dateadded")
    if isinstance(added, str) and not movie.is_locked("date_added"):
        with contextlib.suppress(ValueError):
            movie.date_added = datetime.strptime(added, "%Y-%m-%d %H:%M:%S")
    for key, column in _NFO_FIELDS.items():
        value = nfo.fields.get(key)
        if value in (None, "", []) or movie.is_locked(column):
            continue
        if column in db.INT_RANGES:  # nfo_read warned of a value out of these ranges
            low, high = db.INT_RANGES[column]
            if not isinstance(value, int) or not low <= value <= high:
                continue
        elif column == "rating" and not (isinstance(value, float) and 0 <= value <= 10):
            continue
        if column == "premiered" and _not_of_the_locked_year(movie, value):
            continue
        setattr(movie, column, value)
    movie.nfo_extra = list(nfo.unknown_elements)
    nfo_locks = (
        [*db.EDITABLE_FIELDS, "cast", *_later_episodes_fields(movie)]
        if nfo.lock_all
        else nfo.locked_fields
    )
    locked = list(movie.locked_fields or [])
    added = [f for f in nfo_locks if f not in locked]
    if added:
        movie.locked_fields = locked + added


def _later_episodes_fields(movie: db.Movie) -> list[str]:
    """The own fields (`aired-2`, `title-2`...) of the later episodes of a multi-episode file:
    Jellyfin keeps such a file as one item, written as one `<episodedetails>` (EpisodeNfoSaver.cs:
    `<episode>`, `<episodenumberend>`), so its `<lockdata>` locks every episode of it. Its
    episodes as far as the item knows them (numbers or blocks), as many as scan reads."""
    if movie.kind != db.EPISODE:
        return []
    count = max(len(movie.episodes or []), len(movie.episode_details or []))
    return later_episode_fields(min(count, MAX_BLOCKS))


# what the NFO's `<fileinfo><streamdetails>` is written from, per stream table (publish.gather
# `stream_details`: a subtitle's language, not where an external one is). The aspect has 2
# decimals (`kodi_codecs.frame_aspect`), which PostgreSQL's 4-byte `real` gives back as they were
_STREAM_COLUMNS = {
    db.VideoStream: (
        "codec", "width", "height", "aspect", "duration_seconds", "stereomode", "hdrtype",
        "language",
    ),
    db.AudioStream: ("codec", "language", "channels"),
    db.SubtitleStream: ("language",),
}  # fmt: skip


def published_now(ids: list[int]) -> set[int]:
    """Of the items `ids`, those "Published" as the database says now, read in the scan's write
    transaction: the scan's own rows were read before it read the files, and a publish that
    landed meanwhile (the user's click, an auto-publish) wrote the old file's streams, the only
    ones recorded yet, under "Published"."""
    M = db.Movie
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        query = M.select(M.id).where(M.id.in_(part), M.publish_state == db.PUBLISHED)
        out.update(i for (i,) in query.tuples())
    return out


def restreamed(items: list[tuple[db.Movie, StreamDetails]]) -> list[int]:
    """Of these known items whose file was read again (its size, time or identity changed),
    the ids of those whose streams read now are not the ones recorded: the published NFO's
    `<fileinfo><streamdetails>` (the video's codec, resolution, HDR and duration, the audio
    tracks, the subtitles) describes another file. A re-encode or an upgrade kept under the
    file's name (Radarr's or Sonarr's format without the quality) is one; a file only touched,
    or copied back as it was, is not. Reads the recorded rows of these items alone, in the
    scan's write transaction, before `_replace_streams`: an unchanged file is never here."""
    ids = [movie.id for movie, _streams in items]
    recorded: dict[tuple[int, type], list[tuple]] = {}
    for model, columns in _STREAM_COLUMNS.items():
        fields = [getattr(model, name) for name in columns]
        for start in range(0, len(ids), 500):
            query = (
                model.select(model.movie, *fields)
                .where(model.movie.in_(ids[start : start + 500]))
                .order_by(model.movie, model.id)
            )
            for movie_id, *values in query.tuples():
                recorded.setdefault((movie_id, model), []).append(tuple(values))
    changed = []
    for movie, streams in items:
        for model, rows in _stream_rows(movie, streams):
            columns = _STREAM_COLUMNS[model]
            read = [tuple(row[name] for name in columns) for row in rows]
            if read != recorded.get((movie.id, model), []):
                changed.append(movie.id)
                break
    return changed


def _replace_streams(movie: db.Movie, streams: StreamDetails) -> None:
    for model in (db.VideoStream, db.AudioStream, db.SubtitleStream):
        model.delete().where(model.movie == movie).execute()
    for model, rows in _stream_rows(movie, streams):
        if rows:
            model.insert_many(rows).execute()


class _StreamRows:
    """New items' stream rows, inserted once per table for a batch of them (`_record_batch`), in
    the order they came: three inserts a new item were a third of a first scan's recording."""

    def __init__(self) -> None:
        self.rows: dict[type[db.BaseModel], list] = {}

    def add(self, movie: db.Movie, streams: StreamDetails) -> None:
        for model, rows in _stream_rows(movie, streams):
            self.rows.setdefault(model, []).extend(rows)

    def insert(self) -> None:
        for model, rows in self.rows.items():
            insert_all(model, rows)
        self.rows.clear()


class _NewMovies:
    """A batch's new items (`_record_batch`), inserted by one INSERT with their ids back
    (`dbrows.insert_models`, by their paths: distinct, `scan_library` drops a scope's repeats,
    and a path another scan recorded meanwhile is that item's, `taken`), then their `scan.*`
    events by another: peewee's INSERT of every column of a movie, and one of its event, were
    the larger part of a first scan's recording. Their stream rows go with the batch's
    (`_StreamRows`), and their artwork, seldom there, one at a time."""

    def __init__(self) -> None:
        self.movies: list[tuple[db.Movie, Probe]] = []

    def add(self, movie: db.Movie, pr: Probe) -> None:
        self.movies.append((movie, pr))

    def insert(self, streams: _StreamRows, report: ScanReport) -> None:
        insert_models([movie for movie, _pr in self.movies], key="path")
        events = []
        for movie, pr in self.movies:
            if pr.streams is not None:
                streams.add(movie, pr.streams)
            for art in pr.artwork:
                _record_artwork(movie, art)
            for err in pr.errors:
                log.warning("item %d: %s", movie.id, err)
                events.append(db.Event(kind="scan.error", message=err, movie=movie, level="error"))
                report.errors.append((movie.path, err))
            events.extend(
                db.Event(kind="scan.warning", message=warning, movie=movie, level="warning")
                for warning in pr.warnings
            )
            report.new.append(movie.id)
            found = f"Found {pr.found.path.name}"
            events.append(db.Event(kind="scan.found", message=found, movie=movie))
        db.record_events(events)
        self.movies.clear()


def _stream_rows(movie: db.Movie, streams: StreamDetails) -> list[tuple[type[db.BaseModel], list]]:
    """The rows of `movie`'s video, audio and subtitle streams, per table."""
    video = [
        {
            "movie": movie,
            "codec": v.codec or "",
            "width": v.width,
            "height": v.height,
            "aspect": v.aspect,
            "duration_seconds": v.duration_seconds,
            "stereomode": v.stereomode or "",
            "hdrtype": v.hdrtype or "",
            "language": v.language or "",
        }
        for v in streams.video
    ]
    audio = [
        {
            "movie": movie,
            "codec": a.codec or "",
            "language": a.language or "",
            "channels": a.channels,
        }
        for a in streams.audio
    ]
    subs = [
        {
            "movie": movie,
            "language": s.language or "",
            "external": s.external,
            "path": str(s.path) if s.path else None,
        }
        for s in streams.subtitles
    ]
    return [(db.VideoStream, video), (db.AudioStream, audio), (db.SubtitleStream, subs)]


def _record_artwork(movie: db.Movie, art: LocalArtwork) -> None:
    """The user's own image: a cached copy and a candidate of source `library`."""
    info = art.info
    cached, _ = db.CacheImageFile.get_or_create(
        movie=movie,
        actor=None,
        image_type=art.asset_type,
        file_hash=info.sha256,
        defaults={
            "file_path": str(art.cache_path),
            "perceptual_hash": info.phash,
            "file_size": info.size,
            "width": info.width,
            "height": info.height,
            "format": info.format,
            "source_type": LIBRARY_SOURCE,
            "source_url": str(art.path),
            "provider_name": LIBRARY_SOURCE,
        },
    )
    asset = db.ArtworkCandidate.get_or_none(
        db.ArtworkCandidate.movie == movie,
        db.ArtworkCandidate.asset_type == art.asset_type,
        db.ArtworkCandidate.url == str(art.path),
    )
    values = {
        "provider": LIBRARY_SOURCE,
        "analyzed": True,
        "analyzed_at": db.now(),
        "width": info.width,
        "height": info.height,
        "api_width": info.width,
        "api_height": info.height,
        "format": info.format,
        "file_size": info.size,
        "content_hash": info.sha256,
        "perceptual_hash": info.phash,
        "is_downloaded": True,
        "provider_metadata": {"library_path": str(art.path), "rank": art.rank},
    }
    if art.seen is not None:
        values["provider_metadata"]["seen"] = list(art.seen)
    if asset is None:
        db.ArtworkCandidate.create(
            movie=movie, asset_type=art.asset_type, url=str(art.path), **values
        )
    elif asset.content_hash != info.sha256 or (
        art.seen is not None and (asset.provider_metadata or {}).get("seen") != list(art.seen)
    ):
        for k, v in values.items():
            setattr(asset, k, v)
        asset.save()
    del cached
