"""The one atomic-write function for the library and the cache.

A write goes to a hidden temp file in the target's own directory (`.metarrd-tmp-…`), is fsynced,
then `os.replace`d onto the target, and the directory is fsynced. A reader sees the old file or
the new one, never half of one; a crash leaves at most a recognisable temp file, which the scanner
ignores and `remove_stale_temp_files` cleans up.

`AtomicBatch` gives the same promise for many files at the price of two durability barriers:
every temp file is written first, all are made durable together (one `syncfs` per file system,
or an fsync of each where that call is missing), then renamed, then the renames are made
durable (one more `syncfs`, or an fsync of each folder). A crash before the renames leaves only
temp files; after, each target is old or new, because its bytes were durable before its name.
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from metarrd.files import open_regular

log = logging.getLogger(__name__)

TEMP_MARKER = ".metarrd-tmp-"
_COPY_CHUNK = 1024 * 1024


def temp_path_for(target: Path) -> Path:
    # Keep the name short enough for 255-byte file-name limits.
    stem = target.name.encode("utf-8")[:80].decode("utf-8", "ignore")
    return target.with_name(f"{TEMP_MARKER}{secrets.token_hex(4)}-{stem}")


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
    target: Path, data: bytes | Path | IO[bytes], *, mode: int = 0o644, sync_dir: bool = True
) -> str:
    """Atomically replace `target` with `data` (bytes, a file to copy, or a binary stream).

    Returns the SHA-256 of what was written. Raises OSError (e.g. read-only folder) with no
    temp file left behind. `sync_dir=False` leaves the directory fsync to the caller, who writes
    several files into one folder and fsyncs it once (each file is whole either way: before that
    fsync a power cut can only bring back the old file).
    """
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        sha = _write_temp(tmp, target, data, sync=True)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(target.parent)
    return sha


def _write_temp(
    tmp: Path, target: Path, data: bytes | Path | IO[bytes], *, sync: bool = False
) -> str:
    """Write `data` into the new file `tmp` (fsynced when `sync`); its SHA-256. A full disk
    raises an OSError that names `target`, the file being written."""
    digest = hashlib.sha256()
    try:
        with open(tmp, "xb") as out:
            if isinstance(data, bytes | bytearray | memoryview):
                digest.update(data)
                _write(out, data)
            else:
                src_cm = (
                    open_regular(data)  # a FIFO or device never hangs a copy
                    if isinstance(data, Path)
                    else contextlib.nullcontext(data)
                )
                with src_cm as src:
                    while chunk := src.read(_COPY_CHUNK):
                        digest.update(chunk)
                        _write(out, chunk)
            if sync:
                out.flush()
                os.fsync(out.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(target)) from exc
        raise
    return digest.hexdigest()


def _write(out: IO[bytes], data: bytes | bytearray | memoryview) -> None:
    out.write(data)


@dataclass(frozen=True)
class Staged:
    target: Path
    tmp: Path
    sha256: str


class AtomicBatch:
    """Atomic replacement of many files, made durable together (see the module docstring).

        with AtomicBatch() as batch:
            batch.stage(path, data)        # a temp file beside `path`; returns its SHA-256
            ...
            batch.commit()                 # one durability barrier, renames, one fsync per folder

    Leaving the block without `commit` (an error, a full disk) removes the temp files: the
    targets are untouched."""

    def __init__(self, *, mode: int = 0o644) -> None:
        self.mode = mode
        self.staged: list[Staged] = []

    def __enter__(self) -> AtomicBatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.abort()

    def stage(self, target: Path, data: bytes | Path | IO[bytes]) -> str:
        target = Path(target)
        tmp = temp_path_for(target)
        try:
            sha = _write_temp(tmp, target, data)
            os.chmod(tmp, self.mode)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self.staged.append(Staged(target, tmp, sha))
        return sha

    def commit(self) -> list[Staged]:
        """Make every temp file durable, rename each onto its target (in the order staged),
        fsync each folder once. Returns what landed."""
        staged = self.staged
        sync_files([s.tmp for s in staged])
        for s in staged:
            os.replace(s.tmp, s.target)
        self.staged = []
        sync_dirs(sorted({s.target.parent for s in staged}))
        return staged

    def abort(self) -> None:
        for s in self.staged:
            with contextlib.suppress(OSError):
                s.tmp.unlink()
        self.staged = []


def sync_files(paths: list[Path]) -> None:
    """Make the data of `paths` durable: one `syncfs` per file system they are on (flushing a
    batch costs one journal commit, not one per file), or an fsync of each file where the
    platform lacks syncfs or refuses it."""
    by_device: dict[int, Path] = {}
    for path in paths:
        by_device.setdefault(os.stat(path).st_dev, path)
    done: set[int] = set()
    for device, path in by_device.items():
        if _syncfs(path):
            done.add(device)
    for path in paths:
        if os.stat(path).st_dev not in done:
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def sync_dirs(directories: list[Path]) -> None:
    """Make renames in `directories` durable: one `syncfs` per file system (one journal commit
    for every folder), else an fsync of each folder."""
    synced: set[int] = set()
    for directory in directories:
        try:
            device = os.stat(directory).st_dev
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
    directory = Path(directory)
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    directory.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        fsync_dir(created.parent)


def remove_stale_temp_files(directory: Path) -> list[Path]:
    """Remove our own leftover temp files (from a crash) directly in `directory`."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(TEMP_MARKER):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
                log.info("removed leftover temp file %s", entry.path)
            except OSError as exc:
                log.warning("cannot remove leftover temp file %s: %s", entry.path, exc.strerror)
    return removed


def sha256_file(path: Path) -> str:
    """SHA-256 of a regular file; `files.UnsafeFile` (an OSError) for a FIFO, device..."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
