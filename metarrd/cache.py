"""The image cache: `<data_dir>/cache/<type>/<hh>/<sha256>.<ext>`, content-addressed and immutable.

The bytes are exactly what was downloaded or found in the library, so the same picture is stored
once whatever its source, and a file in the cache never changes once written.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from metarrd.atomic import ensure_dir, fsync_dir, write_atomic
from metarrd.imaging import ImageInfo

log = logging.getLogger(__name__)


def cache_path(cache_dir: Path, image_type: str, info: ImageInfo) -> Path:
    if "/" in image_type or image_type.startswith("."):
        raise ValueError(f"bad image type {image_type!r}")
    return Path(cache_dir) / image_type / info.sha256[:2] / f"{info.sha256}.{info.ext}"


def store(cache_dir: Path, image_type: str, source: Path, info: ImageInfo) -> Path:
    """Put the analysed file `source` into the cache (atomically; a no-op when already there)."""
    target = cache_path(cache_dir, image_type, info)
    if target.exists() and target.stat().st_size == info.size:
        return target
    ensure_dir(target.parent)
    write_atomic(target, Path(source))
    return target


def move_into(cache_dir: Path, image_type: str, tmp_file: Path, info: ImageInfo) -> Path:
    """Like `store`, for a temp file of ours that may simply be renamed into place."""
    target = cache_path(cache_dir, image_type, info)
    if target.exists() and target.stat().st_size == info.size:
        tmp_file.unlink(missing_ok=True)
        return target
    ensure_dir(target.parent)
    with open(tmp_file, "rb+") as fh:
        os.fsync(fh.fileno())
    try:
        tmp_file.replace(target)  # same file system: atomic
        fsync_dir(target.parent)
    except OSError:
        write_atomic(target, tmp_file)
        tmp_file.unlink(missing_ok=True)
    return target


def remove_empty_dirs(path: Path, stop: Path) -> None:
    """Remove `path` and its parents up to (not including) `stop` while they are empty."""
    path, stop = Path(path), Path(stop)
    while path != stop and stop in path.parents:
        try:
            path.rmdir()
        except OSError:
            return
        path = path.parent
