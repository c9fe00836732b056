"""The one atomic-write function for the library and the cache.

A write goes to a hidden temp file in the target's own directory (`.metarrd-tmp-…`), is fsynced,
then `os.replace`d onto the target, and the directory is fsynced. A reader sees the old file or
the new one, never half of one; a crash leaves at most a recognisable temp file, which the scanner
ignores and `remove_stale_temp_files` cleans up.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import shutil
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
    digest = hashlib.sha256()
    try:
        with open(tmp, "xb") as out:
            if isinstance(data, bytes | bytearray | memoryview):
                digest.update(data)
                out.write(data)
            else:
                src_cm = (
                    open_regular(data)  # a FIFO or device never hangs a copy
                    if isinstance(data, Path)
                    else contextlib.nullcontext(data)
                )
                with src_cm as src:
                    while chunk := src.read(_COPY_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(target.parent)
    return digest.hexdigest()


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
