"""Applying a batch of publish plans under one pair of durability barriers.

    apply_all(rt, jobs) -> {movie id: PublishResult | MetarrdError}

For every item of the batch, under its folder's lock (the caller's): refuse a folder that
cannot be written, remove our temp files left by a crash, copy into the cache what is not ours
and is about to go, then write each new file to a temp file beside its name. Then, for the
whole batch: one `syncfs` (barrier 1: every temp file is durable), per item the renames (images,
actor images, the NFO last) and the removals of files no longer wanted, one more `syncfs`
(barrier 2: renames and removals durable), then the ledger rows and the status rows, each in
one transaction for the batch.

A crash at any instant leaves every file old or new: a name only ever moves onto bytes made
durable before (barrier 1); a file is removed only when the ledger says it is ours and
unchanged, or after a durable copy into the cache; the ledger learns of a file only once it
is on disk in full (after barrier 2), so a ledger row never stands for a torn file. Lost in a
crash, a ledger row only makes the next publish read the file (and adopt it, or copy it into
the cache first as if it were the user's).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import stat
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import db, dbrows
from metarrd.atomic import (
    ASIDE_MARKER,
    TEMP_MARKER,
    AtomicBatch,
    Guard,
    Landed,
    LandFailed,
    NotCopied,
    Staged,
    is_aside,
    remove_copied,
    remove_temp_files,
    remove_unchanged,
    sha256_file,
    temp_path_for,
)
from metarrd.config import player_label
from metarrd.errors import DatabaseLost, ItemError, MetarrdError, internal_error
from metarrd.files import UnsafeFile, display, kind_of, link_target_outside, names_in, same_file
from metarrd.paths import folded, is_inside
from metarrd.publish import layout, sources
from metarrd.publish.layout import KEEP, REMOVE, REPLACE, WRITE, FileAction, PublishPlan, Wanted
from metarrd.runtime import Runtime
from metarrd.text import count

log = logging.getLogger(__name__)


@dataclass
class PublishResult:
    movie_id: int
    title: str
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    backed_up: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # pictures left out for now, tried again
    players: list[str] = field(default_factory=list)  # the names of the players to tell
    telling: list[str] = field(default_factory=list)  # the same as messages name them
    cache_removed: int = 0
    nfo_hash: str = ""

    def __str__(self) -> str:
        text = (
            f"published {self.title}: {len(self.written)} written, {len(self.kept)} unchanged, "
            f"{len(self.removed)} removed"
        )
        if self.backed_up:
            text += f", {len(self.backed_up)} of yours copied into the cache"
        skipped, warned = layout.skipped_and_warned(self.skipped)
        if skipped:
            more = f"; and {len(skipped) - 1} more" if len(skipped) > 1 else ""
            text += f", {len(skipped)} skipped ({skipped[0]}{more})"
        if warned:  # every file written: how a player may read them otherwise
            more = f"; and {len(warned) - 1} more" if len(warned) > 1 else ""
            text += f", {len(warned)} warning{'s' if len(warned) > 1 else ''} ({warned[0]}{more})"
        if self.warnings:
            text += f"; {'; '.join(self.warnings)}"
        if self.telling:
            text += f"; telling {', '.join(self.telling)}"
        return text


@dataclass
class Job:
    """One item of the batch: its plan, and what applying it did so far."""

    movie: db.Movie
    plan: PublishPlan
    skipped: list[str]  # the plan's notes
    missing: object  # stage.Missing: warnings for pictures left out for now
    seen: dict[Path, tuple[int, int, int]]  # lstat of the files the plan read
    result: PublishResult | None = None
    ordered: list[FileAction] = field(default_factory=list)  # write / replace / keep, in order
    left: set[Path] = field(default_factory=set)  # the user's, could not be backed up: untouched
    guards: dict[Path, Guard] = field(default_factory=dict)  # what may be replaced or removed
    staged: list[Staged] = field(default_factory=list)
    landed: dict[Path, Landed] = field(default_factory=dict)
    forget: list[Path] = field(default_factory=list)  # ledger rows to drop
    taken: dict[Path, tuple[int | None, str | None]] = field(
        default_factory=dict
    )  # rows `_record_intent` took from another (its owner, its pending_sha256), given back
    made: list[Path] = field(default_factory=list)  # folders this publish created
    writes: list[Wanted] = field(default_factory=list)  # its new files, in landing order
    writing: list[Future[list[Staged]]] = field(
        default_factory=list
    )  # their temp files, being written


def apply_all(rt: Runtime, jobs: list[Job]) -> dict[int, PublishResult | MetarrdError]:
    """Apply every job's plan (see the module docstring); the caller holds the folders' locks."""
    outcomes: dict[int, PublishResult | MetarrdError] = {}

    def fail(job: Job, exc: BaseException) -> None:
        outcomes[job.movie.id] = failed(job.movie, exc)

    real_paths: dict[str, str] = {}  # folders' real paths, for the library check
    landing: set[Path] = set()  # the actors' pictures the items staged so far write
    with AtomicBatch(inside=rt.config.library) as batch:
        staging, live = [], []
        try:
            for job in jobs:  # each item's temp files are written while the next is checked
                try:
                    _stage(rt, job, batch, real_paths, landing)
                    staging.append(job)
                except (MetarrdError, OSError) as exc:
                    fail(job, exc)
            for job in staging:
                try:
                    _staged(job, batch)
                    live.append(job)
                except (MetarrdError, OSError) as exc:
                    fail(job, exc)
        finally:
            # the folders a failed item made, once every item's temp files are written: one
            # another item writes into too (a shared `.actors/`) is not empty, and stays
            batch.settle()
            kept = set(map(id, live))
            for job in jobs:
                if id(job) not in kept:
                    _remove_made(job)
        try:
            if batch.staged:
                batch.make_durable()  # barrier 1
        except OSError as exc:
            for job in live:
                fail(job, exc)
            live = []
        if live:
            _record_intent(live)
        removed_in: set[Path] = set()
        landed, undone = [], []
        for job in live:
            try:
                landed_now = batch.land(job.staged, undo=True, guards=job.guards)
                job.landed = {s.target: s for s in landed_now}
                removed_in |= _remove(job)
                landed.append(job)
            except LandFailed as exc:  # what landed before is put back (or listed in exc.kept)
                job.landed = {k.target: k for k in exc.kept}
                removed_in |= _remove_made(job)
                undone.append(job)
                fail(job, _land_failed(job, exc))
            except OSError as exc:
                fail(job, exc)
        batch.finish(removed_in)  # barrier 2
    if undone:
        _record_undone(undone)
    if landed:
        _record_ledger(landed)
        _finish(rt, landed)
    for job in landed:
        assert job.result is not None
        outcomes[job.movie.id] = job.result
    return outcomes


def failed(movie: db.Movie, exc: BaseException) -> MetarrdError:
    """The error an item failed with (an OSError becomes an ItemError naming the file), kept in
    its publish history; the item's error and event are its runner's."""
    if isinstance(exc, MetarrdError):
        error = exc
    else:
        assert isinstance(exc, OSError)
        where = exc.filename or movie.path
        error = ItemError(f"{movie.label}: cannot publish: {where}: {exc.strerror or exc}")
    with db.write_transaction():
        db.PublishLog.create(movie=movie.id, ok=False, message=str(error))
    return error


# --- one item: checks, clean-up, backups, temp files --------------------------------------------


def _stage(
    rt: Runtime, job: Job, batch: AtomicBatch, real_paths: dict[str, str], landing: set[Path]
) -> None:
    """Check, clean up, copy what is not ours into the cache, and start writing the item's
    temp files. `landing`: the actors' pictures the batch's items before it write."""
    movie, plan = job.movie, job.plan
    folder = plan.folder
    actors_dir = (plan.actors_folder or folder) / layout.ACTORS_DIR
    touches_actors = any(
        a.path.parent == actors_dir for a in plan.by_action(WRITE, REPLACE, REMOVE)
    )
    # a folder we write a file into needs no probe: its first temp file is one
    written_into: set[Path] = set()
    checked = (folder, actors_dir)
    if plan.changes or plan.stale_temp:
        _check_inside_library(rt, movie, folder, real_paths)
        if touches_actors and actors_dir.parent != folder:  # a folder stack's, above CD1/
            _check_inside_library(rt, movie, actors_dir.parent, real_paths)
        written_into = {a.path.parent for a in plan.by_action(WRITE, REPLACE)}
        _check_writable(movie, folder, actors_dir if touches_actors else None, skip=written_into)
        # every other folder the plan changes (a show's season folders) passes the same check
        changed = {a.path.parent for a in plan.by_action(WRITE, REPLACE, REMOVE)}
        changed |= {p.parent for p in plan.stale_temp}
        for directory in sorted(changed - set(checked)):
            _check_inside_library(rt, movie, directory, real_paths)
        # a folder that only loses a file (a show's season folder, an episode's thumb no longer
        # chosen) gets no temp file to try it first: probed, as a removal failing there comes
        # after the item's renames
        losing = {a.path.parent for a in plan.by_action(REMOVE) if os.path.lexists(a.path)}
        for directory in sorted(losing - written_into - set(checked)):
            _check_writable(movie, directory, None, skip=set())
    for action in plan.by_action(REPLACE):
        if action.kind == "nfo" and (what := special_file(action.path)) is not None:
            raise ItemError(
                f"{movie.label}: cannot publish: {action.path} is {what}, where the NFO goes "
                "(remove or rename it); nothing was changed"
            )
    result = job.result = PublishResult(movie.id, movie.display_title)
    nfo_wanted = next((a.wanted for a in plan.actions if a.wanted and a.wanted.kind == "nfo"), None)
    result.nfo_hash = nfo_wanted.sha256 if nfo_wanted else ""
    if plan.stale_temp:  # only those seen: another item of the folder may be writing its own
        for path in plan.stale_temp:
            if is_aside(path):
                _recover_aside(rt, job, path)
        remove_temp_files(plan.stale_temp)
    for action in plan.actions:
        if action.backup and os.path.lexists(action.path):
            if (link := _link_out_of_libraries(rt, action)) is not None:
                _note(movie, result.skipped, link)  # nothing copied: the link is replaced
                continue
            verb = "replaced" if action.action == REPLACE else "removed"
            try:
                what = f"{action.path}, {verb} by this publish,"
                sha = _back_up(rt, job, action.path, action.backup_type or "fanart", what)
            except UnsafeFile as exc:
                if action.kind == "nfo" and action.action == REPLACE:
                    # a link to a FIFO where the NFO goes: it cannot go there. One no longer
                    # wanted (our old NFO the user swapped for a FIFO) is left like any file
                    raise ItemError(
                        f"{movie.label}: cannot publish: {exc}; the NFO cannot be written "
                        "there; nothing was changed"
                    ) from None
                job.left.add(action.path)
                _note(movie, result.skipped, f"{exc}; left as it is")
                continue
            except OSError as exc:
                if (link := _unreadable_link(action.path, exc, verb)) is None:
                    raise
                _note(movie, result.skipped, link)  # nothing to copy: the link is replaced
                continue
            result.backed_up.append(str(action.path))
            job.guards[action.path] = Guard(_copy_again(rt, job, action), copied=sha)
    for action in plan.by_action(REPLACE):
        known = plan.ledger.get(action.path) or plan.disowned.get(action.path)
        if not action.backup and known is not None:
            # ours when the plan looked (read, or known by its lstat): still that file by its
            # lstat when it is replaced, else a save landed since and it is copied first
            seen = job.seen.get(action.path)
            if seen is None and known.mtime_ns is not None and known.ctime_ns is not None:
                seen = (known.size, known.mtime_ns, known.ctime_ns)
            ours = frozenset(h for h in (known.sha256, known.pending) if h)
            job.guards[action.path] = Guard(_copy_again(rt, job, action), seen=seen, ours=ours)
    for action in plan.by_action(WRITE):
        # nothing there when the plan looked: a file made since (a save, another tool's poster
        # at the same name) is copied before ours takes the name; not a picture another item
        # of the batch writes there first (`.actors/` is one per folder), no file of the user's.
        # One holding the very bytes written now (the publish of another worker, frozen past
        # its lease while this one took its job over, landing after all) is not copied
        if action.kind != "actor" or action.path not in landing:
            ours = frozenset({action.wanted.sha256} if action.wanted else ())
            job.guards[action.path] = Guard(_copy_again(rt, job, action), ours=ours, absent=True)
    landing.update(a.path for a in plan.by_action(WRITE, REPLACE) if a.kind == "actor")
    order = {"art": 0, "actor": 1, "nfo": 2}
    job.ordered = [
        a
        for a in sorted(plan.by_action(WRITE, REPLACE, KEEP), key=lambda a: order[a.kind])
        if a.path not in job.left  # the user's file there could not be backed up: left as it is
    ]
    writes = [a.wanted for a in job.ordered if a.action != KEEP and a.wanted is not None]
    if unwritten := written_into - {w.path.parent for w in writes}:  # the user's file stays
        actors = actors_dir if actors_dir in unwritten else None
        _check_writable(movie, folder, actors, skip=set(checked) - unwritten)
    job.writes = writes
    there = {folder}  # the folders made (or found) for the item's files so far
    try:
        for parent in dict.fromkeys(w.path.parent for w in writes):
            if parent not in there:
                # only `.actors/` is ours to make: a show's season folder holds the video, and
                # one gone since the plan (renamed, removed) is not made again for its sidecars
                there.add(parent)
                within = actors_dir.parent if parent == actors_dir else parent
                job.made += batch.make_dir(parent, within=within)
    except BaseException as exc:
        _undo_staging(job, batch, exc)
        raise
    # one writer thread writes the item's files in landing order, while this one checks the
    # next item; the first that fails stops the item's writes and removes its temp files at
    # once (`stage_all_soon`): on a nearly full disk, the room they took is the next items'
    job.writing.append(
        batch.stage_all_soon([(w.path, w.data if w.data is not None else w.source) for w in writes])
    )


def _written_ok(future: Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _staged(job: Job, batch: AtomicBatch) -> None:
    """Wait for the item's temp files (`_stage` started them): all written, in `job.staged`
    in landing order; else none is left, and the first failure is raised as the item's."""
    wait(job.writing)  # an interrupt of this wait (Ctrl-C) is no error of a write: it stops
    errors = [exc for f in job.writing if not f.cancelled() and (exc := f.exception()) is not None]
    if errors:  # the first one in landing order is the item's error
        _undo_staging(job, batch, errors[0])
        raise errors[0]
    job.staged += [s for f in job.writing for s in f.result()]
    job.writing = []


def _undo_staging(job: Job, batch: AtomicBatch, exc: BaseException) -> None:
    """A temp file (or a folder) of the item could not be made: remove the others, and say
    why in the item's terms (a full disk, a read-only one). The folders made for them are
    `apply_all`'s to remove: another item may be writing into one of them now."""
    wait(job.writing)  # those still being written: let them finish, then drop them
    job.staged += [s for f in job.writing if _written_ok(f) for s in f.result()]
    job.writing = []
    batch.discard(job.staged)
    job.staged = []
    if not isinstance(exc, OSError):
        return
    movie, folder = job.movie, job.plan.folder
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        raise _disk_full(movie, folder, job.writes, exc) from None
    if exc.errno in _NOT_WRITABLE and exc.filename:
        # a temp file (or .actors/) could not be created; the item's others are gone
        raise _not_writable(movie, Path(exc.filename).parent, exc) from None


def _remove_made(job: Job) -> set[Path]:
    """After a failure: remove the folders this publish created that are still empty (deepest
    first); the folders changed."""
    changed = set()
    for directory in job.made:
        with contextlib.suppress(OSError):
            directory.rmdir()
            changed.add(directory.parent)
    return changed


def _land_failed(job: Job, exc: LandFailed) -> MetarrdError:
    """A rename failed (a protected target: immutable, another user's file in a sticky
    folder; a name the file system refuses): what the user can act on, and what stayed. A
    copy that met SQLite's lock, or a database not taking work now, is `DatabaseLost`, as in
    `_back_up`: the job runs again later."""
    label = job.movie.label
    what = f"{label}: cannot publish: cannot replace {exc.filename} ({exc.strerror})"
    if isinstance(exc.failed, NotCopied):  # changed since it was read: copied first, failed
        what = (
            f"{label}: cannot publish: {exc.filename} changed while it was being published, "
            f"and could not be copied into the cache before it was replaced: "
            f"{_copy_failure(exc.failed.cause)}"
        )
    elif exc.errno == errno.EEXIST:  # atomic.SavedMeanwhile: the user's newest, left as it is
        what = (
            f"{label}: cannot publish: {exc.filename} was saved again while it was being "
            "replaced: the save is left as it is (publish again to replace it, copied first)"
        )
    elif exc.errno in _NOT_WRITABLE:
        what += (
            ": the file is protected (immutable, read-only, or another user's in a shared folder)"
        )
    cause = exc.failed.cause if isinstance(exc.failed, NotCopied) else None
    error = DatabaseLost if cause and (db.locked(cause) or db.unavailable(cause)) else ItemError
    if not exc.kept:
        return error(f"{what}; nothing was changed")
    names = ", ".join(k.target.name for k in exc.kept)
    return error(
        f"{what}; this file system could not put back the {count(exc.kept, 'file')} written "
        f"before it, which stay as metarrd's: {names}"
    )


def _copy_failure(exc: Exception) -> str:
    """Why a copy into the cache failed with no OSError (`atomic.NotCopied`): its row in the
    database (a full disk: `DiskFull`; SQLite's lock held too long; another database error),
    or a bug."""
    if isinstance(exc, MetarrdError):
        return str(exc)
    if db.locked(exc):
        return db.lock_reason(exc)
    if isinstance(exc, pw.DatabaseError):  # its row refused: a corrupt or read-only database
        return f"the database refused its record: {exc}"
    return internal_error(exc)


def _remove(job: Job) -> set[Path]:
    """Remove the job's files no longer wanted (after its renames); the folders changed."""
    plan, result = job.plan, job.result
    assert result is not None
    changed: set[Path] = set()
    ours = {
        folded(str(a.path)): a.path
        for a in plan.by_action(WRITE, REPLACE, KEEP)
        if a.path not in job.left
    }
    for action in plan.by_action(REMOVE):
        if action.path in job.left:
            continue
        if (other := _same_file_by_case(action.path, ours)) is not None:
            # our file at `other`, still in the old letters: it takes the new ones, which
            # Kodi compares exactly (`<base>-`, `.actors/` names); its old row goes (a name
            # the same but for its folder's letters is as it should be)
            if other.name != action.path.name:
                _rename_in_case(action.path, other)
            changed.add(action.path.parent)
            job.forget.append(action.path)
            continue
        try:
            gone = _unlink_unless_saved(action, plan.ledger.get(action.path), job.guards)
        except UnsafeFile as exc:  # no longer a file of ours: put there since the plan
            _note(job.movie, result.skipped, f"{exc}; left as it is")
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENAMETOOLONG):  # gone, or never could be
                raise
        else:
            if gone:
                changed.add(action.path.parent)
                result.removed.append(str(action.path))
            else:  # saved by the user since the plan read it: theirs now, its row goes
                said = f"{action.path}: changed since it was read, so the user's: left as it is"
                _note(job.movie, result.skipped, said)
        job.forget.append(action.path)
    # an `.actors/` left empty goes (also one it no longer uses: a folder stack's in CD1/)
    for actors_dir in sorted(d for d in changed if d.name == layout.ACTORS_DIR):
        if actors_dir.is_dir() and not names_in(actors_dir):
            with contextlib.suppress(OSError):
                actors_dir.rmdir()
                changed.add(actors_dir.parent)
    return changed


def _unlink_unless_saved(
    action: FileAction, ours: layout.LedgerEntry | None, guards: dict[Path, Guard]
) -> bool:
    """Remove a file no longer wanted: True once removed. Ours unchanged (no copy kept), or
    gone, when the plan read it: still ours only (`atomic.remove_unchanged`), else a save of
    the user's landed since and it stays (False), unless it is a link, whose target stays. A
    file copied into the cache first (`action.backup`): set aside, and copied again when a
    save landed since its copy (`atomic.remove_copied`), then removed. A link: unlinked."""
    if action.backup and (guard := guards.get(action.path)) is not None:
        if not remove_copied(action.path, guard):
            raise FileNotFoundError(errno.ENOENT, "gone", str(action.path))
        return True
    if action.backup or ours is None or os.path.islink(action.path):
        os.unlink(action.path)
        return True
    return remove_unchanged(action.path, (ours.sha256, ours.pending))


def _back_up(
    rt: Runtime, job: Job, path: Path, kind: str, what: str, *, named: Path | None = None
) -> str:
    """`sources.back_up` of a file the item's publish replaces or removes, before any of its
    files is written. Its row failing with no OSError (a database error: locked past its
    timeout, refused) fails this item alone, saying which file and why, as a copy failing
    while landing does (`NotCopied`), rather than ending the whole batch; SQLite's lock held
    past its timeout as `DatabaseLost`, so that its job runs again later, as the job runner
    does with any such error; a full disk is `DiskFull` already, and a database not taking
    work now (`db.unavailable`) fails every item alike, as a job waits for it."""
    try:
        return sources.back_up(rt, job.movie.id, path, kind, named=named)
    except (OSError, MetarrdError):
        raise
    except Exception as exc:
        if db.unavailable(exc):
            raise
        log.info("item %d: cannot copy %s into the cache", job.movie.id, path, exc_info=exc)
        error = DatabaseLost if db.locked(exc) else ItemError
        raise error(
            f"{job.movie.label}: cannot publish: {what} could not be copied into the cache: "
            f"{_copy_failure(exc)}; nothing was changed"
        ) from exc


def _copy_again(rt: Runtime, job: Job, action: FileAction):
    """The `Guard.copy` of `action`'s file: when it changed since the plan read it (or since
    its copy), the file set aside is copied into the cache (or `backup/`) before it goes."""

    def copy(aside: Path) -> str:
        kind = action.backup_type or (action.wanted.backup_type if action.wanted else "")
        sha = sources.back_up(rt, job.movie.id, aside, kind or "fanart", named=action.path)
        assert job.result is not None
        if str(action.path) not in job.result.backed_up:
            job.result.backed_up.append(str(action.path))
        verb = "removed" if action.action == REMOVE else "replaced"
        how = "made" if action.action == WRITE else "saved"  # where the plan found nothing
        _note(
            job.movie,
            job.result.skipped,
            f"{action.path.name} was {how} while it was being published: "
            f"copied into the cache before it was {verb}",
        )
        return sha

    return copy


def _recover_aside(rt: Runtime, job: Job, path: Path) -> None:
    """A file set aside by a publish (or a kind change) that was killed before it was done
    (`atomic.set_aside`, `atomic.remove_unchanged`): it may hold a save of the user's that is
    nowhere else. Bytes of ours (the item's ledger says) go; anything else is copied into the
    cache (or `backup/`) first, like any file of the user's that publish replaces. One that
    cannot be copied stays, said; its copy's row failing (a database error) fails the item,
    as `_back_up` says."""
    ours = {h for e in job.plan.ledger.values() for h in (e.sha256, e.pending) if h}
    name = path.name[len(ASIDE_MARKER) :].split("-", 1)[-1]
    kind = "nfo" if name.lower().endswith(".nfo") else "fanart"
    assert job.result is not None
    try:
        if (
            not stat.S_ISREG(os.lstat(path).st_mode)
            or sha256_file(path, follow_symlinks=False) in ours
        ):
            os.unlink(path)
            return
        what = f"{path}, left by an interrupted publish (it stays),"
        _back_up(rt, job, path, kind, what, named=path.with_name(name))
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        _note(
            job.movie,
            job.result.skipped,
            f"{path}: left by an interrupted publish, and cannot be copied into the cache "
            f"({exc.strerror or exc}); left as it is",
        )
        return
    job.result.backed_up.append(str(path.with_name(name)))
    log.info(
        "item %d: %s, left by an interrupted publish, copied into the cache", job.movie.id, path
    )


def _same_file_by_case(path: Path, ours: dict[str, Path]) -> Path | None:
    """The path of ours kept or just written (`ours`: by `paths.folded` path) that is the very
    file at `path`, a path to remove in other letters, on a share that ignores case: our
    `.actors/Carrie-Anne_Moss.jpg` once TMDB spells her "Carrie-anne Moss", a video renamed in
    other letters, our files under a folder's old letters (`the matrix (1999)/`, renamed `The
    Matrix (1999)/` by hand). Unlinked, `path` would take that file with it. None for any
    other."""
    other = ours.get(folded(str(path)))
    if other is None or other == path:
        return None
    return other if same_file(path, other) else None


def _rename_in_case(old: Path, new: Path) -> None:
    """`old` renamed `new`, the same name in other letters, on a share that ignores case: in two
    steps through a temp name, since a rename onto the same file may change nothing. Failing,
    the file keeps its old letters (killed between the steps: the next publish removes the
    temp file and writes the file again)."""
    tmp = temp_path_for(new)
    try:
        os.rename(old, tmp)
    except OSError as exc:
        log.warning("cannot rename %s to %s: %s", old, new.name, exc.strerror)
        return
    try:
        os.rename(tmp, new)
    except OSError as exc:
        log.warning("cannot rename %s to %s: %s", old, new.name, exc.strerror)
        with contextlib.suppress(OSError):
            os.rename(tmp, old)


# --- the ledger and the status -------------------------------------------------------------------

_LEDGER_COLUMNS = "INSERT INTO library_files (path, movie_id, kind, sha256, size, written_at, "
_LEDGER_UPSERT = (  # dbrows.insert_rows: one statement a batch on SQLite
    _LEDGER_COLUMNS + "cache_file_id, mtime_ns, ctime_ns) VALUES ",
    "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
    " ON CONFLICT (path) DO UPDATE SET "
    "movie_id = excluded.movie_id, kind = excluded.kind, sha256 = excluded.sha256, "
    "size = excluded.size, written_at = excluded.written_at, "
    "cache_file_id = excluded.cache_file_id, mtime_ns = excluded.mtime_ns, "
    "ctime_ns = excluded.ctime_ns, pending_sha256 = NULL",
)
_LEDGER_INTENT = (
    _LEDGER_COLUMNS + "cache_file_id, pending_sha256) VALUES ",
    "(?, ?, ?, '', 0, ?, ?, ?)",
    # the item takes the row: one owned by no item (a kind change's, not yet removed) would be
    # removed by `remove_disowned` once the pending bytes landed there, the item's new file
    " ON CONFLICT (path) DO UPDATE SET "
    "movie_id = excluded.movie_id, pending_sha256 = excluded.pending_sha256",
)


def _record_intent(jobs: list[Job]) -> None:
    """Before the renames: each target's row says which bytes may land there (`pending_sha256`),
    leaving what it says is there (`sha256`) as it is; the row is the item's from now on (one
    owned by no item is not `remove_disowned`'s to remove then). Killed between a rename and
    the ledger transaction, the next publish still knows the file for ours (to keep, replace
    or remove), rather than taking it for the user's and leaving it there for good.

    A row it takes from another (`Job.taken`: owned by no item, a kind change's not yet
    removed, or by a missing item) is given back if the renames are put back
    (`_record_undone`). Only a file there that is not the item's can have one (a replacement
    copied into the cache first), asked of the database only then: a target with no file has
    no file to lose, whose row `remove_disowned` drops anyway."""
    when = str(db.now())
    rows = []
    others: dict[str, Job] = {}
    for job in jobs:
        kinds = {a.path: a.kind for a in job.ordered}
        rows += [
            (str(s.target), job.movie.id, kinds.get(s.target, "art"), when, None, s.sha256)
            for s in job.staged
        ]
        staged = {s.target for s in job.staged}
        others.update(
            {
                str(a.path): job
                for a in job.ordered
                if a.action == REPLACE and a.path in staged and a.path not in job.plan.ledger
            }
        )
    if rows:
        with db.write_transaction():
            L = db.LibraryFile
            keys = list(others)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = L.select(L.path, L.movie, L.pending_sha256).where(L.path.in_(chunk))
                for path, owner, pending in query.tuples():
                    others[path].taken[Path(path)] = (owner, pending)
            _insert(_LEDGER_INTENT, rows)


def _record_undone(jobs: list[Job]) -> None:
    """Items whose renames were put back (`LandFailed`): the ledger rows say again what they
    said before `_record_intent` (a new row goes, an old row's `pending_sha256` is restored, a
    row taken from another is given back), but for the files that could not be put back,
    recorded as ours like any that landed."""
    upserts, forget, pending, given = [], [], [], []
    when = str(db.now())
    wanted = {a.path: a.wanted for job in jobs for a in job.ordered if a.wanted is not None}
    for job in jobs:
        for s in job.staged:
            if (k := job.landed.get(s.target)) is not None:
                w = wanted[s.target]
                upserts.append(_row(job.movie, w, k.sha256, k.size, k.mtime_ns, k.ctime_ns, when))
            elif (before := job.plan.ledger.get(s.target)) is not None:
                pending.append((str(s.target), before.pending))
            elif s.target in job.taken:  # the file put back is its owner's again
                given.append((str(s.target), *job.taken[s.target]))
            else:
                forget.append(str(s.target))
    with db.write_transaction():
        _insert(_LEDGER_UPSERT, upserts)
        dbrows.delete_all("library_files", "path", forget)
        dbrows.update_all("library_files", "path", ["pending_sha256"], pending)
        # an item deleted meanwhile would have left its rows owned by no item (SET NULL)
        live = _still_there({owner for _path, owner, _pending in given if owner is not None})
        given = [(p, owner if owner in live else None, sha) for p, owner, sha in given]
        dbrows.update_all("library_files", "path", ["movie_id", "pending_sha256"], given)


def _still_there(ids: set[int]) -> set[int]:
    """Those of the items `ids` not deleted."""
    if not ids:
        return set()
    M = db.Movie
    return {i for (i,) in M.select(M.id).where(M.id.in_(list(ids))).tuples()}


def _record_ledger(jobs: list[Job]) -> None:
    """The ledger learns of every file that landed (or was found identical to ours), and
    forgets the removed ones: one transaction for the batch, after barrier 2. A crash before it
    leaves our files unrecorded: the next publish adopts a file holding the wanted bytes, else
    copies it into the cache as if it were the user's before replacing it."""
    upserts, forget = [], []
    when = str(db.now())
    for job in jobs:
        movie, result = job.movie, job.result
        assert result is not None
        for action in job.ordered:
            w = action.wanted
            assert w is not None
            known = job.plan.ledger.get(w.path)
            if action.action == KEEP:
                result.kept.append(str(w.path))
                seen = job.seen.get(w.path)
                if known and known.sha256 == w.sha256 and not known.pending and seen is None:
                    continue  # known unchanged by its lstat: the row is right as it is
                size, mtime, ctime = seen if seen is not None else (w.size, None, None)
                upserts.append(_row(movie, w, w.sha256, size, mtime, ctime, when))
                continue
            landed = job.landed[w.path]
            if landed.sha256 != w.sha256:
                log.warning(
                    "item %d: %s: cache file %s changed on disk", movie.id, w.label, w.source
                )
            upserts.append(
                _row(movie, w, landed.sha256, landed.size, landed.mtime_ns, landed.ctime_ns, when)
            )
            result.written.append(str(w.path))
        forget += [str(p) for p in job.forget]
    if not upserts and not forget:
        return
    with db.write_transaction():
        _insert(_LEDGER_UPSERT, upserts)
        dbrows.delete_all("library_files", "path", forget)


def _insert(statement: tuple[str, str, str], rows: list[tuple]) -> None:
    head, one, tail = statement
    dbrows.insert_rows(head, rows, one, tail)


def _row(movie, w: Wanted, sha: str, size: int, mtime, ctime, when: str) -> tuple:
    return (str(w.path), movie.id, w.kind, sha, size, when, w.cache_file_id, mtime, ctime)


_STATUS = (  # dbrows.update_all: movies.id, then these
    "last_published_at",
    "published_nfo_hash",
    "publish_state",
    "publish_warnings",
    "last_error",
    "updated_at",
)


CHANGED_MEANWHILE = "changed while it was published (an edit, a new choice): publish it again"


def changed_meanwhile(loaded: dict[int, Any]) -> set[int]:
    """The items (id -> `updated_at` as their publish read them) changed since: what was written
    is what they were, so they are "Updated – Republish?", not "Published". Read in the write
    transaction that sets their state."""
    M = db.Movie
    now = dict(M.select(M.id, M.updated_at).where(M.id.in_(list(loaded))).tuples())
    return {i for i, at in loaded.items() if now.get(i) != at}


def _finish(rt: Runtime, jobs: list[Job]) -> None:
    """The status of every item published, its history and event, the players to tell: one
    transaction; then the unselected candidates' cache files go. An item changed while it was
    being published (`changed_meanwhile`) is published, and "Updated – Republish?"."""
    when = db.now()
    results = []
    for job in jobs:
        result = job.result
        assert result is not None
        result.skipped = sources.by_weight(job.skipped + result.skipped)
        result.warnings = list(job.missing.warnings)  # type: ignore[attr-defined]
        results.append(result)
    with db.write_transaction():
        stale = changed_meanwhile({job.movie.id: job.movie.updated_at for job in jobs})
        for r in results:
            if r.movie_id in stale:
                r.warnings.append(CHANGED_MEANWHILE)
                log.warning("item %d: %s", r.movie_id, CHANGED_MEANWHILE)
        dbrows.update_all(
            "movies",
            "id",
            _STATUS,
            [
                (
                    r.movie_id,
                    str(when),
                    r.nfo_hash,
                    db.OUTDATED if r.movie_id in stale else db.PUBLISHED,
                    json.dumps(r.warnings, ensure_ascii=False),
                    None,
                    str(when),
                )
                for r in results
            ],
        )
        _queue_notifications(jobs)
        db.PublishLog.insert_many(
            [
                {
                    "movie": r.movie_id,
                    "published_at": when,
                    "ok": True,
                    "nfo_hash": r.nfo_hash,
                    "written": r.written,
                    "removed": r.removed,
                    "kept": r.kept,
                    "backed_up": r.backed_up,
                    "message": str(r),
                }
                for r in results
            ]
        ).execute()
        db.Event.insert_many(
            [
                {
                    "created_at": when,
                    "kind": "publish.done",
                    "message": str(r),
                    "movie": r.movie_id,
                    "level": "warning" if r.warnings else "info",
                    "data": {
                        "written": len(r.written),
                        "removed": len(r.removed),
                        "kept": len(r.kept),
                        "backed_up": len(r.backed_up),
                        "skipped": r.skipped,
                        "warnings": r.warnings,
                    },
                }
                for r in results
            ]
        ).execute()
    _drop_unselected(rt, results)
    for r in results:
        log.info("item %d: %s", r.movie_id, r)


def _drop_unselected(rt: Runtime, results: list[PublishResult]) -> None:
    """The unselected candidates' cache files of the items published go (`drop_unselected`).
    The items are published and recorded by now: a clean-up that fails (a cache file that
    cannot be removed, the database refusing or locked past its timeout) leaves those files
    for the next publish, logged, and neither fails its item nor stops the others'."""
    try:
        unselected = sources.unselected_hashes([r.movie_id for r in results])
    except (MetarrdError, pw.PeeweeException) as exc:
        log.warning("unselected images left in the image cache: %s", exc)
        return
    for r in results:
        if not unselected.get(r.movie_id):
            continue
        try:
            r.cache_removed = sources.drop_unselected(rt, r.movie_id, unselected[r.movie_id])
        except (MetarrdError, OSError, pw.PeeweeException) as exc:
            log.warning("item %d: unselected images left in the image cache: %s", r.movie_id, exc)


def _queue_notifications(jobs: list[Job]) -> None:
    """The players to tell about the items published (`queue_notifications`)."""
    told = queue_notifications(
        [(j.movie, bool(j.result.written or j.result.removed)) for j in jobs]
    )
    for job in jobs:
        for name, label in told.get(job.movie.id, []):
            job.result.players.append(name)
            job.result.telling.append(label)


def queue_notifications(items: list[tuple[db.Movie, bool]]) -> dict[int, list[tuple[str, str]]]:
    """A pending notification per enabled player that shows each item's library, for an item
    whose files changed (`(item, True)`: written or removed) or whose path is not the one that
    player was last told about (its folder renamed by hand: the scan followed it and carried
    our files, so nothing is written, yet the player still lists it at the old path). An item
    a player was never told about needs nothing unless its files changed. At most one pending
    row per player and path: a pending row of the item at its old path takes the new one, a
    player's switched off too (`enabled = false`: nothing new is queued for it, and what waits
    for it goes out for the path the item has when it is on again). Returns item id -> (name, `Kodi "Living room"`) of each player told. Called in a write
    transaction."""
    if not items:
        return {}
    libraries = sorted({m.library_id for m, _ in items})
    players: dict[int, list[tuple[int, str, str, bool]]] = {}
    P = db.MediaPlayer
    query = (
        P.select(P.id, P.name, P.type, P.enabled, db.PlayerLibrary.library)
        .join(db.PlayerLibrary)
        .where(db.PlayerLibrary.library.in_(libraries))
        .order_by(P.name)
        .tuples()
    )
    for player_id, name, type_, enabled, library_id in query:
        players.setdefault(library_id, []).append(
            (player_id, name, player_label(type_, name), bool(enabled))
        )
    if not players:
        return {}
    told = _last_told([m.id for m, _ in items if m.library_id in players])
    paths = [m.path for m, _ in items]
    pending = set(
        db.PlayerNotification.select(db.PlayerNotification.player, db.PlayerNotification.path)
        .where(db.PlayerNotification.path.in_(paths), db.PlayerNotification.state == "pending")
        .tuples()
    )
    new = []
    names: dict[int, list[tuple[str, str]]] = {}
    for movie, changed in items:
        path = movie.path
        for player_id, name, label, enabled in players.get(movie.library_id, []):
            last = told.get((player_id, movie.id))
            if not changed and (last is None or last[1] == path):
                continue
            if not enabled and (last is None or last[2] != "pending"):
                continue  # switched off: nothing new is queued for it
            if (
                last
                and last[2] == "pending"
                and last[1] != path
                and (player_id, path) not in pending
            ):
                # not sent yet, and its path is gone: it goes out for the new one
                db.PlayerNotification.update(path=path).where(
                    db.PlayerNotification.id == last[0]
                ).execute()
                pending.add((player_id, path))
            if not enabled:
                continue  # switched off: its waiting row follows the item, and waits on
            if (player_id, path) not in pending:
                pending.add((player_id, path))
                new.append({"player": player_id, "movie": movie.id, "path": path})
            names.setdefault(movie.id, []).append((name, label))
    if new:
        db.PlayerNotification.insert_many(new).execute()
    return names


def tell_players_moved(movie_ids: list[int]) -> int:
    """Movies and shows a scan found at a new path (a folder renamed by hand, no webhook):
    every player told about them at their old path gets a notification of the new one, with
    no publish needed (our files went along). Returns how many items a player is told of."""
    if not movie_ids:
        return 0
    M = db.Movie
    with db.write_transaction():
        items = list(
            M.select().where(M.id.in_(movie_ids), M.kind.in_([db.MOVIE, db.SHOW]), ~M.missing)
        )
        told = queue_notifications([(m, False) for m in items])
    for movie_id, names in told.items():
        log.info("item %d: moved; telling %s", movie_id, ", ".join(label for _, label in names))
    return len(told)


def _last_told(movie_ids: list[int]) -> dict[tuple[int, int], tuple[int, str, str]]:
    """(player id, item id) -> (row id, path, state) of the latest notification of that item
    for that player: the path it was last told about (or is about to be)."""
    if not movie_ids:
        return {}
    N = db.PlayerNotification
    latest = N.select(pw.fn.MAX(N.id)).where(N.movie.in_(movie_ids)).group_by(N.player, N.movie)
    rows = N.select(N.id, N.player, N.movie, N.path, N.state).where(N.id.in_(latest)).tuples()
    return {(player, movie): (row_id, path, state) for row_id, player, movie, path, state in rows}


# --- checks ----------------------------------------------------------------------------------------


def _disk_full(movie: db.Movie, folder: Path, writes: list[Wanted], exc: OSError) -> ItemError:
    """The library (or its quota) is full: name the file being written and the room needed."""
    need = sum(w.size for w in writes)
    try:
        st = os.statvfs(folder)
        free = f"{_megabytes(st.f_bavail * st.f_frsize)} free"
        if st.f_files and not st.f_favail:  # room for bytes, none for another file
            free += ", but no file can be added: it has no inodes left"
    except OSError:
        free = "free space unknown"
    return ItemError(
        f"{movie.label}: cannot publish: {exc.strerror or 'no space left'} while writing "
        f"{exc.filename}: this publish needs {_megabytes(need)} in {len(writes)} files in "
        f"{folder} ({free}); the files already there are unchanged"
    )


def _megabytes(size: int) -> str:
    """0.0 MB said of a few small files: below a megabyte, kilobytes (rounded up)."""
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{-(-size // 1000)} KB"


def _check_inside_library(
    rt: Runtime, movie: db.Movie, folder: Path, real_paths: dict[str, str]
) -> None:
    """Refuse a folder outside the configured libraries, or one a symlinked folder leads out of
    them (unless its library sets `follow_symlinks = true`): publish writes nowhere else.
    `real_paths`: the real paths found so far in this batch (`_realpath`)."""
    if (where := outside_library(rt, folder, real_paths)) is not None:
        raise ItemError(
            f"{movie.label}: cannot publish: {where}outside every configured library (a "
            "symlinked folder? see follow_symlinks); nothing was changed"
        )


def outside_library(rt: Runtime, folder: Path, real_paths: dict[str, str]) -> str | None:
    """None when publish may write into `folder` (inside a library, through no symlink that
    leads out of every library, or in a library with `follow_symlinks = true`); else the start
    of the reason: `"<folder> leads to <real path>, "` or `"<folder> is "`."""
    libraries = [lib for lib in rt.config.library if is_inside(folder, os.path.normpath(lib.path))]
    if any(lib.follow_symlinks for lib in libraries):
        return None
    real = _realpath(os.fspath(folder), real_paths)
    # its own libraries first: another library's real path is looked up only for a folder a
    # symlink leads out of its own (on a hung mount, that lookup never returns)
    others = [lib for lib in rt.config.library if lib not in libraries]
    if libraries and any(
        is_inside(real, _realpath(lib.path, real_paths)) for lib in [*libraries, *others]
    ):
        return None
    return f"{folder} leads to {real}, " if libraries else f"{folder} is "


_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _check_writable(
    movie: db.Movie, folder: Path, actors_dir: Path | None, *, skip: set[Path]
) -> None:
    """Refuse before changing anything when a folder we change cannot take a file. A folder
    in `skip` gets a file written before anything changes (the item's first temp file there
    refuses it the same way, `_not_writable`): it is not probed."""
    actors_is_dir = False
    if actors_dir is not None:
        try:
            actors_is_dir = stat.S_ISDIR(os.lstat(actors_dir).st_mode)  # a symlink is refused
        except OSError:  # not there yet: made with the first actor image
            pass
        else:
            if not actors_is_dir:
                raise ItemError(
                    f"{movie.label}: cannot publish: {actors_dir} is not a folder; "
                    "nothing was changed"
                )
    for directory in (folder, actors_dir if actors_is_dir else None):
        if directory is None or directory in skip:
            continue
        probe = directory / f"{TEMP_MARKER}probe-{secrets.token_hex(4)}"
        try:
            fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise _not_writable(movie, directory, exc) from None
        os.close(fd)
        probe.unlink(missing_ok=True)


def _unreadable_link(path: Path, exc: OSError, verb: str) -> str | None:
    """A note when `path` is a symlink whose target cannot be read (dangling: an unmounted
    share; a loop; a target we may not read): there is nothing of the user's to copy, and
    replacing the link changes nothing behind it. None for anything else (`exc` stands)."""
    if exc.errno not in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EACCES):
        return None
    try:
        target = os.readlink(path)
    except OSError:
        return None  # not a link (or gone): the error stands
    return (
        f"{path.name} was a symbolic link to {target!r}, which cannot be read "
        f"({exc.strerror}): nothing to copy into the cache; the link is {verb}"
    )


def _link_out_of_libraries(rt: Runtime, action: FileAction) -> str | None:
    """A note when the file at `action.path` is a symlink to a regular file outside every
    configured library (its library not set to `follow_symlinks`): what it leads to is not the
    library's, so it is not copied into the cache or `backup/` (`/etc/passwd` would be); the
    link itself is replaced or removed, its target left as it is. None otherwise: a link to a
    FIFO or a device is refused as before, one that leads nowhere is noted as before."""
    target = link_target_outside(action.path, rt.config.library)
    if target is None:
        return None
    try:
        if not stat.S_ISREG(os.stat(action.path).st_mode):
            return None
    except OSError:
        return None
    verb = "replaced" if action.action == REPLACE else "removed"
    return (
        f"{action.path.name} is a symbolic link to {display(target)}, outside every configured "
        f"library: not copied into the cache; the link is {verb}, its target left as it is"
    )


def special_file(path: Path) -> str | None:
    """What is at `path` when it is neither a regular file nor a symlink (which a rename
    replaces): "a FIFO (named pipe)", "a folder"...; None otherwise. Our NFO cannot go there:
    the user's thing is neither copied nor replaced, so the item cannot be published."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return None
    return kind_of(mode)


def _realpath(path: str, memo: dict[str, str]) -> str:
    """`os.path.realpath`, remembering each folder's answer: the real path of a folder that is
    no symlink is its parent's plus its name, so a batch of folders in one library lstats
    each folder once rather than every folder above it once per item."""
    if path in memo:
        return memo[path]
    parent, name = os.path.split(path)
    if not os.path.isabs(path) or not name or name in (".", "..") or ".." in path.split(os.sep):
        real = os.path.realpath(path)
    else:
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            is_link = True  # gone, or unreadable: realpath says what it says
        real = os.path.realpath(path) if is_link else os.path.join(_realpath(parent, memo), name)
    memo[path] = real
    return real


def _not_writable(movie: db.Movie, directory: Path, exc: OSError) -> ItemError:
    return ItemError(
        f"{movie.label}: cannot publish: cannot write into {directory} "
        f"({exc.strerror}); nothing was changed"
    )


def _note(movie: db.Movie, notes: list[str], text: str) -> None:
    notes.append(text)
    log.warning("item %d: %s", movie.id, text)
