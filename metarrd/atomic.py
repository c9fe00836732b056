"""The one atomic-write function for the library and the cache.

A write goes to a hidden temp file in the target's own directory (`.metarrd-tmp-…`), is fsynced,
then `os.replace`d onto the target, and the directory is fsynced. A reader sees the old file or
the new one, never half of one; a crash leaves at most a recognisable temp file, which the scanner
ignores and `remove_stale_temp_files` cleans up; but a file set aside (`set_aside`,
`remove_unchanged`: `.metarrd-tmp-aside-…`), which may hold the user's bytes alone: the next
publish of its folder copies it into the cache first.

`AtomicBatch` gives the same promise for many files at the price of two durability barriers:
every temp file is written first, all are made durable together (one `syncfs` per file system,
or an fsync of each where that call is missing), then renamed, then the renames are made
durable (one more `syncfs`, or an fsync of each folder). A crash before the renames leaves only
temp files; after, each target is old or new, because its bytes were durable before its name.
`land(..., undo=True)` keeps each file it replaces under a hard link until the item's renames
are done, so a rename that fails part-way puts the earlier ones back (`LandFailed`).

File modes, as `cp` and Kodi give them: a new file gets 0666 less the process umask (systemd's
`UMask=`, a container's `UMASK`), or what the folder's default ACL says, from `open` itself; a
file that replaces one keeps that file's permission bits and group (`take_over`). A temp file has
its final mode before its rename, so the name never shows the bytes under another mode.

`stage_soon` writes a batch's temp files on a few threads (`WRITERS`), several at once and
while the caller goes on checking the next item: creating a file costs about 0.1 ms of kernel
time on ext4 and copying it more, which one thread paid file after file (bench/publish.py).
`stage_all_soon` gives a writer a publish item's files as one task, in order.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import logging
import os
import secrets
import shutil
import stat
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from metarrd.files import LedOut, open_regular, opened_outside, regular_chunks

log = logging.getLogger(__name__)

TEMP_MARKER = ".metarrd-tmp-"
# a file set aside from its name (`set_aside`, `remove_unchanged`): it may hold a save of the
# user's that is nowhere else, so a clean-up of temp files never removes it (`remove_temp_files`);
# the next publish of its folder copies it into the cache first (publish.apply)
ASIDE_MARKER = TEMP_MARKER + "aside-"
_COPY_CHUNK = 1024 * 1024
WRITERS = 3  # writer threads of `AtomicBatch.stage_soon`/`stage_all_soon` (0: inline)

_writers: ThreadPoolExecutor | None = None
_writers_lock = threading.Lock()


def _writer_pool() -> ThreadPoolExecutor:
    global _writers
    with _writers_lock:
        if _writers is None:
            _writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="metarrd-write")
        return _writers


def _forget_writers() -> None:  # a forked child has none of the parent's threads
    global _writers, _writers_lock
    _writers, _writers_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_writers)


def _umask_now() -> int | None:
    """The process umask from `/proc/self/status` (Linux 4.7 and later), which reads it
    without changing it; None where there is no such line."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _umask_at_start() -> int:
    """Elsewhere, the umask as this module found it on import: `os.umask` can only read it by
    setting it, which a thread creating a file meanwhile would see, so it is done once, here,
    and put back at once."""
    if (mask := _umask_now()) is not None:
        return mask
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_at_start()
# The umask, read once a process (on the first new file; a forked child inherits it) and kept:
# `/proc/self/status` cost 15 µs a read, once a file moved into the cache. It is set before
# metarrd starts (systemd's `UMask=`, a container's entry point); whatever sets it in the
# process goes through `set_umask`, which keeps this in step.
_umask: int | None = None
_umask_lock = threading.Lock()


def set_umask(mask: int) -> int:
    """Set the process umask, as `os.umask` does, and return the one before: the one way to
    change it in metarrd, so that `new_file_mode` follows."""
    global _umask
    with _umask_lock:  # a first read meanwhile cannot keep the one before
        before = os.umask(mask)
        _umask = mask & 0o777
    return before


def _process_umask() -> int:
    global _umask
    if (mask := _umask) is None:
        with _umask_lock:
            if _umask is None:
                now = _umask_now()
                _umask = _UMASK_AT_START if now is None else now
            mask = _umask
    return mask


def new_file_mode() -> int:
    """The mode `open` gives a new file: 0666 less the process umask (systemd's `UMask=`, a
    container's `UMASK`), read without changing it. For a file made with another mode
    (`tempfile.mkstemp`'s 0600) that becomes an ordinary file."""
    return 0o666 & ~_process_umask()


def temp_path_for(target: Path, marker: str = TEMP_MARKER) -> Path:
    # Keep the name short enough for 255-byte file-name limits.
    stem = target.name.encode("utf-8")[:80].decode("utf-8", "ignore")
    return target.with_name(f"{marker}{secrets.token_hex(4)}-{stem}")


def whole_seconds(*stamps: int | None) -> bool:
    """Whether these timestamps (an lstat's `st_mtime_ns`, `st_ctime_ns`) fall on whole
    seconds: a file system that keeps times in seconds or two (FAT's 2 s, exfat-fuse's 1 s,
    ext3's, HFS+'s), where a write of the same size within the second of the lstat leaves it
    as it was, so an unchanged lstat does not say the file is (a save right after a publish,
    as tinyMediaManager's, was taken for our file and replaced with no copy). On a file
    system with finer times (ext4, XFS, Btrfs, and the shares of their NAS) a time falls on
    a whole second next to never: such a file is read once more. False when none is given."""
    known = [s for s in stamps if s is not None]
    return bool(known) and all(s % 1_000_000_000 == 0 for s in known)


def is_aside(path: Path | str) -> bool:
    """Whether `path` names a file `set_aside` (or `remove_unchanged`) renamed away."""
    return os.path.basename(path).startswith(ASIDE_MARKER)


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some network file systems refuse to open directories; nothing more we can do
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(
    target: Path,
    data: bytes | Path | IO[bytes],
    *,
    mode: int | None = None,
    sync_dir: bool = True,
    tmp: Path | None = None,
) -> str:
    """Atomically replace `target` with `data` (bytes, a file to copy, or a binary stream).

    The file gets `mode` when given (from its creation on: the bytes are never under a looser
    one); else the mode and group of the file it replaces (`take_over`), or, new, 0666 less the
    umask. Returns the SHA-256 of what was written.
    Raises OSError (e.g. read-only folder) with no temp file left behind. `sync_dir=False`
    leaves the directory fsync to the caller, who writes several files into one folder and
    fsyncs it once (each file is whole either way: before that fsync a power cut can only
    bring back the old file). `tmp`: the temp file's name, beside `target`, when not ours
    (`scratch.temp_beside` in the image cache: named by its process).
    """
    target = Path(target)
    tmp = temp_path_for(target) if tmp is None else tmp
    try:
        sha, _ = _write_temp(tmp, target, data, sync=True, mode=mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(target.parent)
    return sha


def _write_temp(
    tmp: Path,
    target: Path,
    data: bytes | Path | IO[bytes],
    *,
    sync: bool = False,
    mode: int | None = None,
    inside: list | None = None,
) -> tuple[str, os.stat_result]:
    """Write `data` into the new file `tmp` (fsynced when `sync`; given `mode`, else the mode
    of the file at `target`, `take_over`): its SHA-256 and its `fstat`. A full disk raises an
    OSError that names `target`, the file being written. `inside` (the configured libraries):
    `tmp` must be made inside one of them (`files.opened_outside`), else `files.LedOut`,
    unwritten.

    On plain descriptors, with no Python file objects: a publish writes thousands of small
    files from several threads, and each system call a file object adds (the `fstat` of
    `open`, the `fcntl`s and `lseek` of a buffered reader) is one more hand-over of the
    interpreter lock between them."""
    digest = hashlib.sha256()
    try:
        # made with `mode` when given (0600 for secrets): never more open, even before its chmod
        first = 0o666 if mode is None else mode
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, first)
        try:
            if inside is not None and (real := opened_outside(out, tmp, inside)) is not None:
                raise LedOut(target, real, writing=True)
            if isinstance(data, bytes | bytearray | memoryview):
                digest.update(data)
                _write(out, data)
            elif isinstance(data, Path):
                for chunk in regular_chunks(data):  # a FIFO or device never hangs a copy
                    digest.update(chunk)
                    _write(out, chunk)
            else:
                while chunk := data.read(_COPY_CHUNK):
                    digest.update(chunk)
                    _write(out, chunk)
            st = os.fstat(out)
            if mode is None:
                take_over(out, target, st)
            elif stat.S_IMODE(st.st_mode) != mode:
                os.fchmod(out, mode)
            if sync:
                os.fsync(out)
            else:
                _start_writeback(out)
        finally:
            os.close(out)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(target)) from exc
        raise
    return digest.hexdigest(), st


def take_over(out: int, target: Path, st: os.stat_result) -> None:
    """Give the new file `out` (its `fstat`: `st`) the permission bits and group of the regular
    file at `target` it is to replace, and its owner where we may (as root): a user's
    `movie.nfo` that Radarr's "Set Permissions" made 0664 for the `media` group, or that
    tinyMediaManager wrote, stays writable by them once ours replaces it. Nothing where
    `target` is not a regular file: a new file keeps what `open` gave it (0666 less the umask,
    or the folder's default ACL). A group or mode that cannot be given (not a member of that
    group, a share that ignores modes) is left as it is: the file is written all the same;
    then its bits are kept with no less than a new file's, since they were for an owner or
    group it no longer has. Only the 0777 bits: no set-user-ID or sticky bit is carried over."""
    try:
        old = os.lstat(target)
    except OSError:
        return
    if not stat.S_ISREG(old.st_mode):
        return  # a symlink (or nothing) at the name: a new file
    bits = stat.S_IMODE(old.st_mode) & 0o777
    if (old.st_uid != st.st_uid or old.st_gid != st.st_gid) and not _chown_like(
        out, target, old, st
    ):
        # the old bits were for an owner or group the file no longer has: a 0640 NFO of the
        # `media` group (Kodi reads as a member) would become 0640 of ours, unreadable to Kodi;
        # it keeps them, and no less than a new file gets (`open`'s 0666 less the umask)
        bits |= stat.S_IMODE(st.st_mode)
    if bits != stat.S_IMODE(st.st_mode):
        try:
            os.fchmod(out, bits)
        except OSError as exc:
            log.debug("%s: cannot keep its mode %o: %s", target, bits, exc.strerror)


def _chown_like(out: int, target: Path, old: os.stat_result, st: os.stat_result) -> bool:
    """`old`'s owner and group for `out`: both as root; else the group alone (allowed when
    we are a member of it, `chown(2)`). Whether `out` has both now."""
    try:
        os.fchown(out, old.st_uid if old.st_uid != st.st_uid else -1, old.st_gid)
        return True
    except OSError as exc:
        error = exc
    if old.st_uid != st.st_uid and old.st_gid != st.st_gid:
        try:
            os.fchown(out, -1, old.st_gid)
            return False  # the group, not the owner
        except OSError as exc:
            error = exc
    if old.st_gid == st.st_gid:
        return False  # the owner alone could not be given
    if old.st_gid != st.st_gid and old.st_gid not in _GROUPS_TOLD:
        _GROUPS_TOLD.add(old.st_gid)  # once per group: a library has thousands of its files
        log.warning(
            "%s: its group (gid %d) cannot be kept on the file that replaces it (%s): files "
            "replaced get our own group; make metarrd a member of that group "
            "(SupplementaryGroups= in its unit)",
            target, old.st_gid, error.strerror,
        )  # fmt: skip
    return False


_GROUPS_TOLD: set[int] = set()  # groups `_chown_like` could not give, warned about once


def _write(out: int, data: bytes | bytearray | memoryview) -> None:
    """All of `data` into the descriptor `out` (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(out, view) :]


@dataclass(frozen=True)
class Staged:
    """A temp file beside `target`, waiting for its rename: what it holds and where it lives."""

    target: Path
    tmp: Path
    sha256: str
    size: int
    device: int


@dataclass(frozen=True)
class Landed:
    """A file renamed onto its name: its SHA-256 and its `lstat` right after the rename (what
    the publish ledger compares later to know the file unchanged without reading it)."""

    target: Path
    sha256: str
    size: int
    mtime_ns: int
    ctime_ns: int


class AtomicBatch:
    """Atomic replacement of many files, made durable together (see the module docstring).

        with AtomicBatch() as batch:
            batch.stage(path, data)        # a temp file beside `path`; returns a Staged
            ...
            batch.commit()                 # one durability barrier, renames, one more barrier

    `commit` in steps, for many folders under one pair of barriers (PUBLISH of a batch):
    `make_durable()` (barrier 1: every temp file staged so far), `land(staged)` (renames, in
    the order given), `finish(more_dirs)` (barrier 2: the renames, and removals the caller made
    in `more_dirs`). `discard(staged)` drops temp files that will not be renamed. Leaving the
    block removes every temp file not landed: the targets are untouched."""

    def __init__(self, *, mode: int | None = None, inside: Iterable | None = None) -> None:
        """`inside`: the configured libraries, when every file must be written inside one of
        them (`_write_temp`)."""
        self.mode = mode
        self.inside = None if inside is None else list(inside)
        self._staged: dict[int, Staged] = {}  # by id(): a file landed or dropped goes in O(1)
        self._dirs: dict[Path, int | None] = {}  # folders whose entries changed -> st_dev
        self._made: set[Path] = set()
        self._lock = threading.Lock()  # `staged` and `_writing`: writer threads add to them
        self._writing: set[Future] = set()

    def __enter__(self) -> AtomicBatch:
        return self

    @property
    def staged(self) -> list[Staged]:
        """The temp files staged and not yet landed or dropped, in the order staged."""
        with self._lock:
            return list(self._staged.values())

    def __exit__(self, *exc_info: object) -> None:
        self.abort()

    def stage(self, target: Path, data: bytes | Path | IO[bytes]) -> Staged:
        target = _path(target)
        tmp = temp_path_for(target)
        try:
            sha, st = _write_temp(tmp, target, data, mode=self.mode, inside=self.inside)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        staged = Staged(target, tmp, sha, st.st_size, st.st_dev)
        with self._lock:
            self._staged[id(staged)] = staged
        return staged

    def stage_soon(self, target: Path, data: bytes | Path) -> Future[Staged]:
        """`stage` on a writer thread: the future gives its Staged, or raises its error. The
        batch waits for every write it started before its barrier, and before `abort`.
        With `WRITERS` 0, the write is made here, before this returns."""
        if WRITERS <= 0:
            done: Future[Staged] = Future()
            try:
                done.set_result(self.stage(target, data))
            except Exception as exc:
                done.set_exception(exc)
            return done
        future = _writer_pool().submit(self.stage, target, data)
        with self._lock:
            self._writing.add(future)
        future.add_done_callback(self._written)
        return future

    def stage_all_soon(self, writes: list[tuple[Path, bytes | Path]]) -> Future[list[Staged]]:
        """`stage` of each of `writes` (target, data), in this order, on one writer thread: a
        future for them all, not one per file (a publish item's dozen files, each with its
        future, its lock and its hand-overs of the interpreter lock, cost more than writing
        them). The first write that fails stops them: the temp files written before it are
        removed at once (on a nearly full disk their room is the next items' again) and the
        future raises its error. With `WRITERS` 0, all are written here."""
        if WRITERS <= 0:
            done: Future[list[Staged]] = Future()
            try:
                done.set_result(self._stage_all(writes))
            except Exception as exc:
                done.set_exception(exc)
            return done
        future = _writer_pool().submit(self._stage_all, writes)
        with self._lock:
            self._writing.add(future)
        future.add_done_callback(self._written)
        return future

    def _stage_all(self, writes: list[tuple[Path, bytes | Path]]) -> list[Staged]:
        staged: list[Staged] = []
        try:
            for target, data in writes:
                staged.append(self.stage(target, data))
        except BaseException:
            self.discard(staged)
            raise
        return staged

    def _written(self, future: Future) -> None:
        with self._lock:
            self._writing.discard(future)

    def settle(self) -> None:
        """Wait for every write `stage_soon` and `stage_all_soon` started (their errors are
        their futures')."""
        with self._lock:
            writing = list(self._writing)
        wait(writing)

    def make_dir(self, directory: Path, *, within: Path | None = None) -> list[Path]:
        """mkdir -p for a folder of this batch: made durable by the barriers (its temp files'
        `syncfs`, or an fsync of its parent with the renames), not by an fsync of its own.
        Returns the folders it created, deepest first (for the caller to remove on failure).
        `within`: only folders below it are made; it must be there (FileNotFoundError when it
        is gone: an item's folder the user moved away is not made again by its `.actors/`)."""
        directory = _path(directory)
        if directory in self._made:
            return []
        made = _make_dirs(directory, within)
        self._dirs.update(dict.fromkeys(m.parent for m in made))
        self._made.add(directory)
        return made

    def discard(self, staged: list[Staged]) -> None:
        """Remove these temp files now (their targets stay as they are)."""
        for s in staged:
            with contextlib.suppress(OSError):
                s.tmp.unlink()
        with self._lock:
            for s in staged:
                self._staged.pop(id(s), None)

    def make_durable(self) -> None:
        """Barrier 1: the data of every staged temp file is durable (one `syncfs` per file
        system, else an fsync of each file)."""
        self.settle()
        staged = self.staged
        sync_files([s.tmp for s in staged], devices=[s.device for s in staged])

    def land(
        self,
        staged: list[Staged],
        *,
        undo: bool = False,
        guards: dict[Path, Guard] | None = None,
    ) -> list[Landed]:
        """Rename these (durable) temp files onto their targets, in this order. A rename that
        fails raises an OSError naming its target (not the temp file). With `undo`, it raises
        `LandFailed` after putting back what the renames before it replaced: each file there
        was kept under a hard link (a temp name) just before its rename and is renamed back, a
        target that had nothing is removed again. A file system without hard links cannot
        undo a replacement: such files stay landed, listed in `LandFailed.kept`.

        `guards`: for a target whose file the caller knows (`Guard`), that file must still be
        the one known at the instant it is replaced: one that may have changed is set aside
        (`set_aside`: renamed to a temp name, read again, copied again when it changed) and
        the new file takes its name only when no save made a new file there meanwhile
        (`SavedMeanwhile` otherwise, an OSError like any failed rename)."""
        landed: list[Landed] = []
        olds: list[tuple[Path | None, bool]] = []  # per landed file: old file's link, was one
        asides: dict[Path, Aside] = {}  # the old files set aside, by their link
        try:
            for s in staged:
                guard = guards.get(s.target) if guards else None
                if guard is not None and (guard.absent or not guard.unchanged(s.target)):
                    aside, was = _land_free(s, guard) if guard.absent else _land_guarded(s, guard)
                    old = (aside.path if aside else None, was)
                    if aside is not None:
                        asides[aside.path] = aside
                else:
                    old = _link_old(s.target) if undo else (None, True)
                    try:
                        os.replace(s.tmp, s.target)
                    except OSError as exc:
                        if old[0] is not None:
                            with contextlib.suppress(OSError):
                                old[0].unlink()
                        raise OSError(exc.errno, exc.strerror, str(s.target)) from None
                olds.append(old)
                self._dirs[s.target.parent] = s.device
                st = os.lstat(s.target)
                landed.append(
                    Landed(s.target, s.sha256, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                )
        except OSError as exc:
            if not undo:
                for link, _ in olds:  # a file set aside holds what its copy holds
                    if link in asides:
                        _remove_aside(asides[link])
                raise
            raise LandFailed(exc, _undo(staged[: len(olds)], olds, landed)) from None
        finally:
            with self._lock:  # the item's own entries only, not every file of the batch
                for s in staged[: len(olds)]:
                    self._staged.pop(id(s), None)
        for link, _ in olds:
            if link in asides:
                _remove_aside(asides[link])
            elif link is not None:
                with contextlib.suppress(OSError):
                    link.unlink()
        return landed

    def finish(self, more_dirs: set[Path] | None = None) -> None:
        """Barrier 2: every rename so far (and the removals in `more_dirs`) is durable."""
        dirs = dict.fromkeys(more_dirs or ()) | self._dirs
        sync_dirs(sorted(dirs), devices=[dirs[d] for d in sorted(dirs)])
        self._dirs = {}

    def commit(self) -> list[Landed]:
        """Make every temp file durable, rename each onto its target (in the order staged),
        make the renames durable. Returns what landed."""
        self.make_durable()
        landed = self.land(self.staged)
        self.finish()
        return landed

    def abort(self) -> None:
        self.settle()  # a write still running would leave its temp file behind
        with self._lock:
            staged, self._staged = list(self._staged.values()), {}
        for s in staged:
            with contextlib.suppress(OSError):
                s.tmp.unlink()


def _remove_aside(aside: Aside) -> None:
    """`aside.remove()` once its item's renames are done; one that cannot be copied again
    stays, for the next publish of its folder."""
    try:
        aside.remove()
    except Exception as exc:  # its copy failing (a full disk, the database): the file stays
        log.warning("%s left as it is: %s", aside.path, getattr(exc, "strerror", None) or exc)


class LandFailed(OSError):
    """A rename of `AtomicBatch.land(..., undo=True)` failed (errno, strerror and filename are
    its own, the filename the target's). Every target is as it was, but those in `kept`: files
    that landed and could not be put back (no hard links on that file system). `failed`: the
    error of the rename (or of the copy before it: `NotCopied`)."""

    def __init__(self, exc: OSError, kept: list[Landed]) -> None:
        super().__init__(exc.errno, exc.strerror, exc.filename)
        self.kept = kept
        self.failed = exc


@dataclass(frozen=True)
class Guard:
    """What `AtomicBatch.land` (or `remove_copied`) may replace at a target: the file the
    caller knows there. `copied`: the SHA-256 of the copy it made of that file (the user's,
    copied into the cache); it is read again at the instant it goes. `seen`: the file's lstat
    (size, mtime_ns, ctime_ns) when the plan read it (one of ours, no copy kept): one lstat
    at the instant it goes; when it differs, a save landed since and the file is copied first,
    like the user's. `ours`: with `seen`, the SHA-256s of what metarrd wrote there (the
    ledger's): a file whose lstat differs but whose bytes are one of these is not copied (its
    ctime moves with its link count: a leftover hard link of a publish killed mid-way, removed
    since the plan's look). `absent`: the plan found no file there (a new name): the new file
    takes the name only while it is free, and one made there since (a save, another tool's) is
    set aside and copied first, like the user's, unless its bytes are one of `ours` (the file
    written now, landed by another worker's publish of the item). `copy(path)`: copies the file
    at `path` (set aside from the target) to safety and returns the SHA-256 of what it copied."""

    copy: Callable[[Path], str]
    copied: str | None = None
    seen: tuple[int, int, int] | None = None
    ours: frozenset[str] = frozenset()
    absent: bool = False  # the plan found nothing there: the name is taken only while free

    def unchanged(self, target: Path) -> bool:
        """Whether the file at `target` is surely the one known, with no read of its bytes; never
        where times are kept in whole seconds (`whole_seconds`)."""
        if self.copied is not None or self.seen is None or whole_seconds(*self.seen[1:]):
            return False
        try:
            st = os.lstat(target)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns, st.st_ctime_ns) == self.seen


class SavedMeanwhile(FileExistsError):
    """A file appeared at a target while its old file was set aside: a save of the user's,
    newer than anything publish read; it stays, and the item's renames are put back."""

    def __init__(self, target: Path) -> None:
        super().__init__(
            errno.EEXIST,
            "saved again while it was being replaced; it is left as it is",
            str(target),
        )


@dataclass(frozen=True)
class Aside:
    """A file `set_aside`: its temp name, the guard that copies it, and its lstat (size,
    mtime_ns, ctime_ns) just after the rename, before it was read or copied; None for a link
    or anything but a regular file."""

    path: Path
    guard: Guard
    seen: tuple[int, int, int] | None

    def remove(self) -> None:
        """Unlink the file set aside, its copy made sure of once more: an editor that kept it
        open writes into this very file (its temp name now), so one written into since it
        was set aside (its lstat differs) is copied again first, as often as it keeps
        changing (`_ASIDE_TRIES`); one still changing after that, or whose copy fails, stays
        (raised), for the next publish of its folder to copy (publish.apply). A write landing
        between the last lstat and the unlink, or made after it through the editor's open
        file, is not seen (docs/publish.md)."""
        seen = self.seen
        for _ in range(_ASIDE_TRIES):
            now = _stamp(self.path) if seen is not None else None
            if now == seen:
                os.unlink(self.path)
                return
            seen = now
            _copy(self.guard, self.path)
        raise OSError(
            errno.EBUSY, "still being written into; left for the next publish", str(self.path)
        )


_ASIDE_TRIES = 3


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.lstat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def set_aside(path: Path, guard: Guard) -> Aside | None:
    """Rename the file at `path` to a temp name beside it (`ASIDE_MARKER`: never removed as a
    mere temp file) and make sure its bytes are copied: read again there, and copied again
    (`guard.copy`) when they are not what `guard.copied` says (a save that landed since the
    copy), or when the guard knew only its lstat, unless they are one of `guard.ours`. From
    the rename on, a save of the user's makes a new file at `path` rather than changing this
    one; a write into it through a file an editor kept open is seen by `Aside.remove`. Returns
    the file set aside (the caller removes it, or renames it back); None when nothing is at
    `path`. A failure to read
    or copy puts the file back and raises. A symbolic link, or anything but a regular file,
    has no bytes of its own to lose: set aside as it is."""
    aside = temp_path_for(path, ASIDE_MARKER)
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return None
    try:
        st = os.lstat(aside)
        seen = None
        if stat.S_ISREG(st.st_mode):
            seen = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            known = {guard.copied} if guard.copied is not None else guard.ours
            now = sha256_file(aside, follow_symlinks=False) if known else None
            if now is None or now not in known:
                _copy(guard, aside, path)
    except BaseException:
        _put_back(aside, path)
        raise
    return Aside(aside, guard, seen)


class NotCopied(OSError):
    """`Guard.copy` failed otherwise than with an OSError (its row in a database on a full
    disk: `DiskFull`; a database error): raised as an OSError naming the file (no errno), so
    that the item's renames are put back (`LandFailed`) or its removal fails, like any failed
    copy, rather than let through half done. `cause`: the error the copy raised."""

    def __init__(self, path: Path, cause: Exception) -> None:
        super().__init__(None, str(cause) or type(cause).__name__, str(path))
        self.cause = cause


def _copy(guard: Guard, path: Path, named: Path | None = None) -> str:
    """`guard.copy(path)`; an error of it that is no OSError raised as `NotCopied` (of the
    file's name, `named`, when `path` is where it was set aside)."""
    try:
        return guard.copy(path)
    except OSError:
        raise
    except Exception as exc:
        raise NotCopied(named or path, exc) from exc


def remove_copied(path: Path, guard: Guard) -> bool:
    """Remove the user's file at `path`, copied before (`guard`): set aside, its copy made
    sure of (`set_aside`), then removed (`Aside.remove`). True once removed, False when
    nothing was there."""
    aside = set_aside(path, guard)
    if aside is None:
        return False
    aside.remove()
    return True


def _land_guarded(s: Staged, guard: Guard) -> tuple[Aside | None, bool]:
    """`s` onto its target, whose file is first set aside (`set_aside`); the new file takes the
    name only while it is free (`_rename_no_replace`): a save landing after the file was set
    aside is never replaced (`SavedMeanwhile`). (the file set aside, True), or (None, False)
    when nothing was there, for `_undo`."""
    try:
        aside = set_aside(s.target, guard)
    except NotCopied:
        raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(s.target)) from None
    try:
        _rename_no_replace(s.tmp, s.target)
    except OSError as exc:
        if aside is not None:
            _put_back(aside.path, s.target)
        if isinstance(exc, SavedMeanwhile):
            raise
        raise OSError(exc.errno, exc.strerror, str(s.target)) from None
    return aside, aside is not None


def _land_free(s: Staged, guard: Guard) -> tuple[Aside | None, bool]:
    """`s` onto its target, where the plan found nothing (`Guard.absent`): it takes the name
    only while it is free (`_rename_no_replace`, as many system calls as the hard link to keep
    and the rename it does instead of); a file made there since (a save of the user's, another
    tool's poster under the same name) is set aside and copied first (`_land_guarded`). As
    `_land_guarded` returns."""
    try:
        _rename_no_replace(s.tmp, s.target)
    except SavedMeanwhile:
        return _land_guarded(s, guard)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(s.target)) from None
    return None, False


def _rename_no_replace(tmp: Path, target: Path) -> None:
    """`tmp` renamed `target` unless a file is there (`SavedMeanwhile`): a hard link then the
    temp name's removal; where there are no hard links (vfat, exFAT, some shares), a rename
    that refuses a name taken (`_rename_exclusive`), else, where that is missing too, a
    rename once no file is seen there: a save landing between the look and the rename is
    replaced (docs/publish.md)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
    except FileExistsError:
        raise SavedMeanwhile(target) from None
    except OSError:
        if _rename_exclusive(tmp, target):
            return
        if os.path.lexists(target):
            raise SavedMeanwhile(target) from None
        os.rename(tmp, target)
        return
    os.unlink(tmp)


_RENAMEAT2: list = []
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _rename_exclusive(src: Path, dst: Path) -> bool:
    """Rename `src` to `dst` unless a file is there (`SavedMeanwhile`), in one step: Linux
    `renameat2(RENAME_NOREPLACE)`, which vfat, exFAT and SMB shares do without hard links.
    True once renamed; False where the C library or the file system lacks it (EINVAL)."""
    fn = _libc_renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.EEXIST:
        raise SavedMeanwhile(dst)
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(dst))


def _libc_renameat2():
    if not _RENAMEAT2:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
            fn.argtypes += [ctypes.c_uint]
            fn.restype = ctypes.c_int
        except (OSError, AttributeError):
            fn = None
        _RENAMEAT2.append(fn)
    return _RENAMEAT2[0]


def _link_old(target: Path) -> tuple[Path | None, bool]:
    """Keep the file at `target` under a hard link (a temp name beside it) before a rename
    replaces it: (the link, True); (None, False) when nothing is there; (None, True) when the
    file there cannot be linked (a folder, a file system without hard links)."""
    link = temp_path_for(target)
    try:
        os.link(target, link, follow_symlinks=False)
    except FileNotFoundError:
        return None, False
    except OSError:
        return None, True
    return link, True


def _undo(
    staged: list[Staged], olds: list[tuple[Path | None, bool]], landed: list[Landed]
) -> list[Landed]:
    """Put back, last first, what these renames replaced; what could not be put back."""
    kept = []
    for i in reversed(range(len(olds))):
        (link, was), target = olds[i], staged[i].target
        try:
            if link is not None:
                os.replace(link, target)
            elif not was:
                os.unlink(target)
            elif i < len(landed):
                kept.append(landed[i])
        except OSError as exc:
            log.warning("cannot put back %s: %s", target, exc.strerror)
            if i < len(landed):
                kept.append(landed[i])
            if link is not None:
                with contextlib.suppress(OSError):
                    link.unlink()
    return kept


def _path(path: Path | str) -> Path:
    """`path` as a Path, without building a new one from a Path (a cost in a batch's loop)."""
    return path if isinstance(path, Path) else Path(path)


def sync_files(paths: list[Path], *, devices: list[int] | None = None) -> None:
    """Make the data of `paths` durable: one `syncfs` per file system they are on (flushing a
    batch costs one journal commit, not one per file), or an fsync of each file where the
    platform lacks syncfs or refuses it. `devices`: each path's `st_dev`, when known."""
    if devices is None:
        devices = [os.stat(path).st_dev for path in paths]
    by_device: dict[int, Path] = {}
    for path, device in zip(paths, devices, strict=True):
        by_device.setdefault(device, path)
    done = {device for device, path in by_device.items() if _syncfs(path)}
    for path, device in zip(paths, devices, strict=True):
        if device not in done:
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def sync_dirs(directories: list[Path], *, devices: list[int | None] | None = None) -> None:
    """Make renames in `directories` durable: one `syncfs` per file system (one journal commit
    for every folder), else an fsync of each folder. `devices`: each folder's `st_dev` where
    known (a file renamed into it told), None where not."""
    synced: set[int] = set()
    for directory, known in zip(directories, devices or [None] * len(directories), strict=True):
        try:
            device = known if known is not None else os.stat(directory).st_dev
        except OSError:
            continue
        if device in synced or _syncfs(directory):
            synced.add(device)
        else:
            fsync_dir(directory)


def _syncfs(path: Path) -> bool:
    fn = _libc_syncfs()
    if fn is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if fn(fd) == 0:
            return True
        log.debug("syncfs(%s) failed: %s", path, os.strerror(ctypes.get_errno()))
        return False
    finally:
        os.close(fd)


_SYNCFS: list = []
_SYNC_FILE_RANGE: list = []
_SYNC_FILE_RANGE_WRITE = 2


def _start_writeback(fd: int) -> None:
    """Start writing a temp file's data to disk now, without waiting (Linux
    `sync_file_range(SYNC_FILE_RANGE_WRITE)`): the disk works while the batch goes on, and the
    barrier that follows (`syncfs`) finds little left to wait for. No promise of its own; a
    no-op where the call is missing."""
    if not _SYNC_FILE_RANGE:
        try:
            fn = ctypes.CDLL(None, use_errno=True).sync_file_range
            fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            fn.restype = ctypes.c_int
        except (OSError, AttributeError):
            fn = None
        _SYNC_FILE_RANGE.append(fn)
    fn = _SYNC_FILE_RANGE[0]
    if fn is not None:
        fn(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def _libc_syncfs():
    if not _SYNCFS:
        try:
            fn = ctypes.CDLL(None, use_errno=True).syncfs
            fn.argtypes = [ctypes.c_int]
            fn.restype = ctypes.c_int
        except (OSError, AttributeError):
            fn = None
        _SYNCFS.append(fn)
    return _SYNCFS[0]


def ensure_dir(directory: Path) -> None:
    """mkdir -p, fsyncing each parent we created so the new entry survives a power cut."""
    for created in reversed(_make_dirs(Path(directory))):
        fsync_dir(created.parent)


def _make_dirs(directory: Path, within: Path | None = None) -> list[Path]:
    """mkdir -p (below `within` only, when given); returns the folders it created, deepest
    first. Below `within`, every folder must be a folder, not a symbolic link to one: a link
    put there since publish looked (`.actors` -> a folder outside the library) would have the
    files written wherever it leads (ENOTDIR)."""
    if within is not None and directory != within and within in directory.parents:
        # the usual case, `.actors/` in an item's folder: one mkdir, the walk only on ENOENT
        try:
            os.mkdir(directory)
        except FileExistsError:
            _check_folders(directory, within)
            return []
        except FileNotFoundError:
            pass  # a folder above is missing (or `within` is gone): the walk below says which
        else:
            _check_folders(directory.parent, within)  # `directory` is the folder just made
            return [directory]
    missing = []
    d = directory
    while not (d.exists() if within is None else os.path.lexists(d)):
        if within is not None and (d == within or within not in d.parents):
            raise FileNotFoundError(errno.ENOENT, "the folder is gone (moved or removed)", str(d))
        missing.append(d)
        d = d.parent
    if within is None:
        directory.mkdir(parents=True, exist_ok=True)
        return missing
    for folder in reversed(missing):  # from the top: one that vanishes meanwhile fails
        with contextlib.suppress(FileExistsError):  # made meanwhile: looked at below
            os.mkdir(folder)
    _check_folders(directory, within)
    return missing


def _check_folders(directory: Path, within: Path) -> None:
    """`directory` and every folder above it up to `within` (not included) is a folder, not a
    symbolic link to one (`_make_dirs`); NotADirectoryError otherwise."""
    d = directory
    while d != within and within in d.parents:
        if not stat.S_ISDIR(os.lstat(d).st_mode):
            raise NotADirectoryError(
                errno.ENOTDIR, "not a folder (a symbolic link put there?); nothing written", str(d)
            )
        d = d.parent


def remove_stale_temp_files(directory: Path) -> list[Path]:
    """Remove our own leftover temp files (from a crash) directly in `directory`."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    return remove_temp_files([Path(e.path) for e in entries if e.name.startswith(TEMP_MARKER)])


def remove_temp_files(paths: list[Path]) -> list[Path]:
    """Remove these leftover temp files of ours (a crash's, seen when planning): only these,
    not the temp files another item of the same folder is writing now. Never a file set aside
    (`is_aside`): it may hold the user's bytes alone; a publish of its folder deals with it."""
    removed = []
    for path in paths:
        if not path.name.startswith(TEMP_MARKER) or is_aside(path):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed.append(path)
            log.info("removed leftover temp file %s", path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot remove leftover temp file %s: %s", path, exc.strerror)
    return removed


def sha256_file(path: Path, *, follow_symlinks: bool = True) -> str:
    """SHA-256 of a regular file; `files.UnsafeFile` (an OSError) for a FIFO, device... and,
    with `follow_symlinks=False`, for a link."""
    digest = hashlib.sha256()
    with open_regular(path, follow_symlinks=follow_symlinks) as fh:
        while chunk := fh.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_unchanged(path: Path, ours: Iterable[str | None]) -> bool:
    """Remove the file at `path` when it still holds bytes metarrd wrote there (`ours`: their
    SHA-256s, the ledger's); True once removed, False when it holds other bytes: the user's,
    left as they are. A save of the user's landing while it is looked at is never lost: the
    file is renamed to a temp name in its own folder first, so that a save from then on makes
    a new file at `path` instead of changing the one removed; the renamed file is read again,
    and put back when it changed before the rename after all, or its lstat changed across
    that read (an editor that kept it open wrote into it) (unless a newer save is at
    `path` by then: that one replaced it, as it would have replaced it there). One that cannot
    be unlinked once renamed is put back at `path` and the error raised, for the next try to
    find it there (a folder with no item has no publish to copy a file set aside). Killed in
    between, what is left is a file set aside (`ASIDE_MARKER`), which a publish of the folder
    copies into the cache before removing it, unless it holds bytes of ours. A regular file
    only, never followed through a link: `files.UnsafeFile` otherwise; FileNotFoundError when
    it is gone."""
    ours = {h for h in ours if h}
    if sha256_file(path, follow_symlinks=False) not in ours:
        return False
    tmp = temp_path_for(path, ASIDE_MARKER)
    os.rename(path, tmp)
    try:
        seen = _stamp(tmp)
        now = sha256_file(tmp, follow_symlinks=False)
        if _stamp(tmp) != seen:  # written into since, by an editor that had it open
            now = None
    except OSError:
        now = None
    if now in ours:
        try:
            os.unlink(tmp)
        except OSError:
            _put_back(tmp, path)  # at its name, for the next try; not under a temp name
            raise
        return True
    _put_back(tmp, path)
    return False


def _put_back(tmp: Path, path: Path) -> None:
    """`tmp`, the user's file renamed away from `path`, at `path` again; not over a newer one
    saved there since (a hard link fails on a name taken), which replaced it anyway."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        pass  # the user's newer save is there: theirs, the older bytes go as they would have
    except OSError:  # no hard links here (some shares): a rename, unless a file is there now
        try:
            if _rename_exclusive(tmp, path):
                return
        except SavedMeanwhile:
            pass
        else:
            if not os.path.lexists(path):
                os.rename(tmp, path)
                return
    os.unlink(tmp)
