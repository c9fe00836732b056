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


def files_of(movie_id: int) -> tuple[set[str], set[str]]:
    """The cache files and previews (relative to the previews folder) that the item's rows name:
    read before the item goes, for `remove_unused` after."""
    from metarrd import db

    C, A = db.CacheImageFile, db.ArtworkCandidate
    files = {p for (p,) in C.select(C.file_path).where(C.movie == movie_id).tuples()}
    previews = {
        p
        for (p,) in A.select(A.preview_path)
        .where(A.movie == movie_id, A.preview_path.is_null(False))
        .tuples()
    }
    return files, previews


def remove_unused(cache_dir: Path, previews_dir: Path, files: set[str], previews: set[str]) -> int:
    """Remove those of `files` (cache paths) and `previews` that no row refers to any more (an
    item that went took its rows with it); returns how many. A file another item, an actor or a
    candidate still uses stays (the cache is shared by content), and so does anything outside
    the cache and previews folders (the user's library is never touched here)."""
    from metarrd import db

    C, A = db.CacheImageFile, db.ArtworkCandidate
    cache_dir, previews_dir = Path(cache_dir), Path(previews_dir)
    removed = 0
    with db.write_transaction():  # no row takes one of them while we look
        for name in sorted(files):
            path = Path(name)
            if cache_dir not in path.parents or path.suffix == "":
                continue
            digest = path.stem
            image_type = path.parent.parent.name
            used = (
                C.select().where(C.file_path == name).exists()
                or db.Actor.select().where(db.Actor.image_cache_path == name).exists()
                or A.select()
                .where(
                    A.content_hash == digest,
                    A.asset_type == image_type,
                    A.is_downloaded | A.is_selected,
                )
                .exists()
            )
            if not used and _unlink(path):
                removed += 1
                remove_empty_dirs(path.parent, cache_dir)
        for rel in sorted(previews):
            path = previews_dir / rel
            if previews_dir not in path.parents or ".." in Path(rel).parts:
                continue
            used = (
                A.select().where(A.preview_path == rel).exists()
                # identification posters: `movies.candidates`, each with its "preview"
                or db.Movie.select().where(db.Movie.candidates.contains(rel)).exists()
            )
            if not used and _unlink(path):
                removed += 1
                remove_empty_dirs(path.parent, previews_dir)
    return removed


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot remove %s from the cache: %s", path, exc.strerror)
        return False
    return True
