"""What the user already has beside a movie: its NFO and its artwork, by the names Kodi, Jellyfin
and Plex use. Artwork found here is copied into the cache (source `library`) so nothing the user
had can be lost when a later publish replaces it."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metarrd import cache
from metarrd.atomic import TEMP_MARKER, ensure_dir
from metarrd.config import Config
from metarrd.files import MAX_FILE_BYTES, copy_regular, display, is_utf8
from metarrd.imaging import ImageInfo, ImageRejected, analyse_image
from metarrd.walk import FoundVideo, is_video_path

log = logging.getLogger(__name__)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".tbn", ".gif"}

# Names (without <base>- prefix, lower-cased) mapped to Kodi asset types.
TYPE_ALIASES = {
    "poster": "poster",
    "folder": "poster",
    "cover": "poster",
    "default": "poster",
    "movie": "poster",
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
_NAME_RE = re.compile(r"^(?P<type>[a-z]+)(?:-?(?P<n>\d{1,2}))?$")


@dataclass(frozen=True)
class LocalArtwork:
    path: Path
    asset_type: str
    rank: int  # 1 = the main one of its type
    info: ImageInfo
    cache_path: Path


def movie_folder(video: FoundVideo) -> Path:
    """The folder that holds the movie's NFO and artwork."""
    p = video.path
    if video.is_disc:
        if p.name.upper() in ("VIDEO_TS", "BDMV"):
            return p.parent
        return p
    return p.parent


def base_name(video: FoundVideo) -> str:
    """`<base>` of kodi.md: the video's name without extension (the folder's name for discs)."""
    if video.is_disc:
        return movie_folder(video).name
    return video.path.stem


def has_own_folder(video: FoundVideo) -> bool:
    """True when the movie is alone in its folder (so bare names like poster.jpg are its own)."""
    if video.is_disc:
        return True
    folder = video.path.parent
    parts = {str(p) for p in video.parts} | {str(video.path)}
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.path in parts or entry.name.startswith("."):
                    continue
                if entry.is_file() and is_video_path(Path(entry.path)):
                    return False
    except OSError:
        return False
    return True


def find_nfo(video: FoundVideo) -> Path | None:
    folder = movie_folder(video)
    base = base_name(video)
    candidates = [folder / f"{base}.nfo"]
    if video.parts and len(video.parts) > 1:
        stack_title = re.sub(
            r"[ _.-]*(cd|dvd|part|pt|dis[ck])[ _.-]*\d+$", "", video.path.stem, flags=re.I
        )
        candidates.append(folder / f"{stack_title}.nfo")
    if video.is_disc:
        candidates += [
            folder / "VIDEO_TS" / "VIDEO_TS.nfo",
            folder / "BDMV" / "index.nfo",
            folder / "movie.nfo",
        ]
    elif has_own_folder(video):
        candidates.append(folder / "movie.nfo")
    for c in candidates:
        if c.is_file():
            return c
    return None


def classify_image(name: str, base: str, own_folder: bool) -> tuple[str, int] | None:
    """(asset type, rank) for an image file name, or None when it is not movie artwork."""
    stem, ext = os.path.splitext(name)
    if ext.lower() not in IMAGE_EXTS or name.startswith((".", TEMP_MARKER)):
        return None
    if stem == base:
        return ("poster", 1)  # <base>.jpg / <base>.tbn: Kodi thumb, Jellyfin primary
    if stem.startswith(base + "-"):
        rest = stem[len(base) + 1 :]
    elif own_folder:
        rest = stem
    else:
        return None
    m = _NAME_RE.match(rest.lower())
    if not m or m.group("type") not in TYPE_ALIASES:
        return None
    n = int(m.group("n")) if m.group("n") else 0
    return TYPE_ALIASES[m.group("type")], n + 1


def find_local_artwork(
    video: FoundVideo, config: Config, *, is_ours: Callable[[Path], bool]
) -> list[LocalArtwork]:
    """Analyse and cache the user's artwork for `video`; corrupt images are logged and skipped."""
    folder = movie_folder(video)
    base = base_name(video)
    own = has_own_folder(video)
    found: list[tuple[Path, str, int]] = []
    with os.scandir(folder) as it:
        for entry in it:
            if not entry.is_file():
                continue
            kind = classify_image(entry.name, base, own)
            if kind:
                found.append((Path(entry.path), *kind))
    extra = folder / "extrafanart"
    if own and extra.is_dir() and not extra.is_symlink():
        with os.scandir(extra) as it:
            names = sorted(e.name for e in it if e.is_file())  # no FIFOs, devices, folders
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
        try:
            info, cached = _import(config, path, asset_type)
        except ImageRejected as exc:
            log.warning("%s: existing artwork skipped: %s", path, exc)
            continue
        except OSError as exc:
            log.warning("%s: existing artwork unreadable: %s", path, exc.strerror)
            continue
        result.append(LocalArtwork(path, asset_type, rank, info, cached))
    return result


def _import(config: Config, path: Path, asset_type: str) -> tuple[ImageInfo, Path]:
    """Copy a library image once (checked to be a regular file, size-capped) into our temp
    folder, analyse the copy and move it into the cache: the library file is opened only here."""
    ensure_dir(config.tmp_dir)
    fd, name = tempfile.mkstemp(prefix=TEMP_MARKER, dir=config.tmp_dir)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            copy_regular(path, out, MAX_FILE_BYTES)
        info = analyse_image(tmp, max_pixels=config.artwork.max_pixels)
        return info, cache.move_into(config.cache_dir, asset_type, tmp, info)
    finally:
        tmp.unlink(missing_ok=True)
