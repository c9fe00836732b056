"""The image cache as PUBLISH needs it: find a selected image's cache file (downloading it again
when the cache lost it), copy a user's file into the cache before it is replaced, and drop the
full-size files of candidates nobody selected (the design's decision 1).

Every file lands in the cache through `cache.move_into` (atomic, content-addressed), so a crash
leaves the cache as it was or with one more complete file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from metarrd import cache, db
from metarrd.atomic import ensure_dir, sha256_file
from metarrd.config import LIBRARY_SOURCE
from metarrd.errors import (
    EditRefused,
    ItemError,
    NotFound,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
)
from metarrd.files import MAX_FILE_BYTES, UnsafeFile, copy_regular, display, link_target_outside
from metarrd.image_hosts import redirects, refusal, refused_host
from metarrd.imaging import (
    DECODE_BUDGET,
    ImageInfo,
    ImageRejected,
    analyse_image,
    download_reason,
)
from metarrd.publish.layout import FORMAT_EXTS
from metarrd.runtime import Runtime
from metarrd.scratch import scratch_file
from metarrd.text import count
from metarrd.user_urls import PROVIDER as USER_PROVIDER
from metarrd.user_urls import UPLOAD_KEY
from metarrd.user_urls import fetch as fetch_user_image

log = logging.getLogger(__name__)


class PictureUnavailable(ItemError):
    """A picture that must be downloaded again cannot be had now (the provider is down or
    refuses our key). The publish goes on without it, says so, and tries again later."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label} must be downloaded again: {reason}")
        self.label = label
        self.reason = reason


@dataclass(frozen=True)
class CachedImage:
    path: Path  # the cache file (for a preview of a missing one: where it comes from)
    sha256: str
    size: int
    format: str  # jpeg | png | webp | gif (or an extension when unknown)
    cache_file_id: int | None = None
    missing: bool = False  # preview only: downloaded again on publish


def asset_image(
    rt: Runtime,
    movie_id: int,
    asset: db.ArtworkCandidate,
    *,
    fetch: bool,
    who: str,
    label: str,
    notes: list[str],
    rows: list[db.CacheImageFile] | None = None,
) -> CachedImage | None:
    """The cache file of a selected image. Missing from the cache: downloaded again (`fetch`),
    else reported as missing. None, with a note, when it cannot be had (404, not an image).
    `rows`: the cache rows with the asset's hash, when the caller fetched them in bulk."""
    if asset.content_hash:
        if rows is None:
            rows = rows_by_hash([asset.content_hash]).get(asset.content_hash, [])
        mine_first = sorted(
            rows, key=lambda r: (r.movie_id != movie_id, r.image_type != asset.asset_type, r.id)
        )
        for row in mine_first:
            if is_file(row.file_path, row.file_size):
                path = Path(row.file_path)
                fmt = row.format or asset.format or path.suffix
                return CachedImage(path, row.file_hash, row.file_size, fmt, row.id)
    if asset.provider == USER_PROVIDER and asset.url.startswith(UPLOAD_KEY):
        gone = (
            f"{label}: the uploaded picture is no longer in the cache and has no address to "
            "download it from: upload it again"
        )
        if fetch:
            _note(movie_id, notes, f"{gone}, skipped")
        else:
            notes.append(gone)
        return None
    if not fetch:
        if not asset.content_hash or not asset.file_size:
            # an alternative enrich kept only the preview of, then chosen: publish downloads it
            fmt, guessed = expected_format(asset)
            notes.append(f"{label}: not downloaded yet; it is downloaded on publish{guessed}")
            return CachedImage(Path(asset.url), "", 0, fmt, None, True)
        notes.append(f"{label}: missing from the cache; it is downloaded again on publish")
        fmt = asset.format or "jpeg"
        return CachedImage(Path(asset.url), asset.content_hash, asset.file_size, fmt, None, True)
    log.info("item %d: %s is missing from the cache, downloading it again", movie_id, label)
    fetched = _fetch(rt, movie_id, asset.url, asset.provider, asset.asset_type, who, label, notes)
    if fetched is None:
        return None
    path, info = fetched
    if asset.content_hash and info.sha256 != asset.content_hash:
        log.info("item %d: %s: the provider now serves different bytes", movie_id, label)
    row, created = db.CacheImageFile.get_or_create(
        movie=movie_id,
        actor=None,
        image_type=asset.asset_type,
        file_hash=info.sha256,
        defaults=row_values(path, info, "provider", asset.url, asset.provider),
    )
    if not created and row.file_path != str(path):
        db.CacheImageFile.update(file_path=str(path)).where(
            db.CacheImageFile.id == row.id
        ).execute()
    db.ArtworkCandidate.update(
        content_hash=info.sha256,
        format=info.format,
        file_size=info.size,
        width=info.width,
        height=info.height,
        is_downloaded=True,
    ).where(db.ArtworkCandidate.id == asset.id).execute()
    return CachedImage(path, info.sha256, info.size, info.format, row.id)


# the note of an actor the provider has no photo of: common, and nothing to do about it
NO_ACTOR_IMAGE = ": no image, nothing written to .actors"


def by_weight(notes: list[str]) -> list[str]:
    """`notes` with those of actors without a photo last, each group in its order: the first
    is the one the publish line shows (`N skipped (first)`, the activity, the history), and a
    FIFO left at the poster's name or an episode without its NFO is what the user must see."""
    return [n for n in notes if not n.endswith(NO_ACTOR_IMAGE)] + [
        n for n in notes if n.endswith(NO_ACTOR_IMAGE)
    ]


def actor_image(
    rt: Runtime,
    movie_id: int,
    actor: db.Actor,
    *,
    fetch: bool,
    who: str,
    label: str,
    notes: list[str],
    rows: list[db.CacheImageFile] | None = None,
) -> CachedImage | None:
    """The cache file of an actor's thumbnail (downloaded again when lost); None with a note
    when the actor has no image. `rows`: the actor's cache rows, when fetched in bulk."""
    if rows is None:
        rows = rows_by_actor([actor.id]).get(actor.id, [])
    for row in sorted(rows, key=lambda r: (r.file_hash != actor.image_hash, r.id)):
        if is_file(row.file_path, row.file_size):
            return CachedImage(
                Path(row.file_path), row.file_hash, row.file_size, row.format or "", row.id
            )
    if actor.image_cache_path and is_file(Path(actor.image_cache_path), None):
        path = Path(actor.image_cache_path)
        sha = actor.image_hash or sha256_file(path)
        return CachedImage(path, sha, path.stat().st_size, path.suffix)
    url = (actor.thumb_url or "").strip()
    if not url.startswith(("http://", "https://")):
        notes.append(f"{label}{NO_ACTOR_IMAGE}")
        log.info("item %d: %s has no image; skipped", movie_id, label)
        return None
    if not fetch:
        fmt, guessed = _cached_format(actor, rows, url)
        notes.append(
            f"{label}: image missing from the cache; it is downloaded again on publish{guessed}"
        )
        return CachedImage(Path(url), actor.image_hash or "", 0, fmt, None, True)
    fetched = _fetch(rt, movie_id, url, "tmdb", "actor", who, label, notes)
    if fetched is None:
        return None
    path, info = fetched
    row, _ = db.CacheImageFile.get_or_create(
        movie=None,
        actor=actor.id,
        image_type="actor",
        file_hash=info.sha256,
        defaults=row_values(path, info, "provider", url, "tmdb"),
    )
    db.Actor.update(image_cache_path=str(path), image_hash=info.sha256).where(
        db.Actor.id == actor.id
    ).execute()
    return CachedImage(path, info.sha256, info.size, info.format, row.id)


def _cached_format(actor: db.Actor, rows: list[db.CacheImageFile], url: str) -> tuple[str, str]:
    """(format, what the preview says of it) of an actor's picture the cache lost, named as the
    publish will name it: by the format of the bytes it cached (its row, the actor's current
    picture first), which the download gives again (the publish names the file by the bytes it
    downloads, `ext_for_format`), not by the address: a PNG behind a `.jpg` address is a `.png`
    in `.actors/`. Never cached: by the address's extension, said to be read from there."""
    known = sorted(
        (r for r in rows if r.format), key=lambda r: (r.file_hash != actor.image_hash, -r.id)
    )
    if known:
        return known[0].format, ""
    ext = Path(url.split("?", 1)[0]).suffix.lower().lstrip(".")
    if ext in FORMAT_EXTS:
        return ext, f" (its file type, .{FORMAT_EXTS[ext]}, is read from its address until then)"
    return "jpeg", " (its file type is not known until then: .jpg assumed)"


def rows_by_hash(hashes: list[str]) -> dict[str, list[db.CacheImageFile]]:
    """Cache rows of these content hashes, in one query."""
    found: dict[str, list[db.CacheImageFile]] = {}
    if hashes:
        query = db.CacheImageFile.select().where(db.CacheImageFile.file_hash.in_(list(hashes)))
        for row in query:
            found.setdefault(row.file_hash, []).append(row)
    return found


def rows_by_actor(actor_ids: list[int]) -> dict[int, list[db.CacheImageFile]]:
    """Actor thumbnail cache rows of these actors, in one query."""
    found: dict[int, list[db.CacheImageFile]] = {}
    if actor_ids:
        query = db.CacheImageFile.select().where(
            db.CacheImageFile.actor.in_(list(actor_ids)), db.CacheImageFile.image_type == "actor"
        )
        for row in query:
            found.setdefault(row.actor_id, []).append(row)
    return found


def _fetch(
    rt: Runtime,
    movie_id: int,
    url: str,
    provider: str,
    image_type: str,
    who: str,
    label: str,
    notes: list[str],
) -> tuple[Path, ImageInfo] | None:
    """Download (or, for the user's own images, re-read) an image into the cache. None with a
    note when it is gone for good (404, not an image); PictureUnavailable when it may come back."""
    tmp: Path | None = None
    if (host := refused_host(rt.config.providers, provider, url)) is not None:
        # stored before the rule, or the configured hosts changed since: not fetched
        _note(movie_id, notes, f"{label}: {refusal(provider, host)}, skipped")
        return None
    try:
        if provider == LIBRARY_SOURCE:
            if not Path(url).is_file():
                _note(movie_id, notes, f"{label}: the library file it came from is gone, skipped")
                return None
            if (target := link_target_outside(url, rt.config.library)) is not None:
                _note(
                    movie_id, notes,
                    f"{label}: {display(url)} is a symbolic link to {display(target)}, outside "
                    "every configured library: not read (set follow_symlinks = true for this "
                    "library to follow it)",
                )  # fmt: skip
                return None
            tmp, _, _ = stage_copy(rt, Path(url))
        else:
            ensure_dir(rt.config.tmp_dir)
            fd, name = scratch_file(rt.config.tmp_dir)
            tmp = Path(name)
            if provider == USER_PROVIDER:  # checked as when the user added it
                os.close(fd)
                fetch_user_image(rt.config, url, tmp)
            else:
                with os.fdopen(fd, "wb") as out:
                    rt.http.download(
                        url, out, provider=provider,
                        redirects=redirects(rt.config.providers, provider),
                    )  # fmt: skip
        # a download is checked as enrich checked it (its answer may have changed since)
        budget = None if provider == LIBRARY_SOURCE else DECODE_BUDGET
        info = analyse_image(tmp, max_pixels=rt.config.artwork.max_pixels, budget=budget)
        return cache.move_into(rt.config.cache_dir, image_type, tmp, info), info
    except EditRefused as exc:  # the user's image now leads to a private address
        _note(movie_id, notes, f"{label}: not downloaded again: {exc}")
    except NotFound:
        _note(movie_id, notes, f"{label}: the provider answered 404 on re-download, skipped")
    except (ProviderUnavailable, ProviderAuthError) as exc:
        raise PictureUnavailable(label, str(exc)) from None
    except ImageRejected as exc:  # a library file is said as a file, a download as an answer
        why = str(exc)
        if provider != LIBRARY_SOURCE:
            why = download_reason(
                exc, "the address" if provider == USER_PROVIDER else "the provider"
            )
        _note(movie_id, notes, f"{label}: {why}, skipped")
    except ProviderError as exc:
        _note(movie_id, notes, f"{label}: {exc}, skipped")
    except UnsafeFile as exc:  # the user's file became a FIFO, a device, a huge file
        _note(movie_id, notes, f"{label}: {exc.strerror}")
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return None


def back_up(
    rt: Runtime, movie_id: int, path: Path, image_type: str, *, named: Path | None = None
) -> str:
    """Copy a library file that is not ours into the cache (source `library`, kept for good)
    before it is replaced or removed; returns the SHA-256 of the copy, which the file must
    still hold when it goes (`atomic.Guard`: a save landing between the copy and the
    replacement is copied again). `named`: the file's name in the library when `path` is
    where it was set aside (`atomic.set_aside`), for its row and extension. Images go to the cache; anything
    else (the user's NFO, a broken image) to `Config.backup_dir` (`<data_dir>/backup`, with a
    shared cache its `backup/`) as `<type>/<hh>/<sha256>.<ext>`. A row that names an older copy
    of the same bytes (in one host's own `<data_dir>/backup`, from before the cache was shared)
    names this one afterwards, which every host finds."""
    named = path if named is None else named
    tmp, sha, size = stage_copy(rt, path)
    try:
        info = None
        if image_type != "nfo":
            with contextlib.suppress(ImageRejected, OSError):
                info = analyse_image(tmp, max_pixels=rt.config.artwork.max_pixels)
        raw = info is None or info.sha256 != sha
        store = rt.config.cache_dir
        if raw:
            # not an image (the user's NFO, an HTML page named .jpg): the cache holds images only,
            # by their real format, so such files are kept under backup/ instead
            ext = _safe_ext(named, "nfo" if image_type == "nfo" else "bin")
            info = ImageInfo(0, 0, "", ext, sha, size, "")
            store = rt.config.backup_dir
        # a copy, `tmp` kept until the row is committed: the same bytes may be in the cache
        # already (TMDB's poster another item downloaded), named by no row that keeps them,
        # and a clean-up (`cache.remove_unused`, another item's `drop_unselected`) may take
        # the file before our row names it; then it is put back from `tmp`
        target = cache.copy_into(store, image_type, tmp, info)
        _library_row(movie_id, image_type, sha, named, target, None if raw else info)
        cache.copy_into(store, image_type, tmp, info)  # our row names it now: no clean-up takes it
    finally:
        tmp.unlink(missing_ok=True)
    log.info("item %d: copied %s into the cache (%s) before replacing it", movie_id, named, target)
    return sha


def _library_row(movie_id, image_type, sha, named, target, info) -> None:
    values = row_values(target, info, LIBRARY_SOURCE, str(named), LIBRARY_SOURCE)
    with db.write_transaction():
        row = db.CacheImageFile.get_or_none(
            db.CacheImageFile.movie == movie_id,
            db.CacheImageFile.actor.is_null(),
            db.CacheImageFile.image_type == image_type,
            db.CacheImageFile.file_hash == sha,
        )
        if row is None:
            db.CacheImageFile.create(
                movie=movie_id, actor=None, image_type=image_type, file_hash=sha, **values
            )
        elif row.source_type != LIBRARY_SOURCE:  # so that cache clean-up never takes it
            db.CacheImageFile.update(
                source_type=LIBRARY_SOURCE, source_url=str(named), file_path=str(target)
            ).where(db.CacheImageFile.id == row.id).execute()
        elif row.file_path != str(target):  # an older copy (another host's disk): this one
            db.CacheImageFile.update(file_path=str(target)).where(
                db.CacheImageFile.id == row.id
            ).execute()


def stage_copy(rt: Runtime, src: Path) -> tuple[Path, str, int]:
    """Copy `src` to a temp file under the data folder: (temp path, SHA-256, size).
    `files.UnsafeFile` when `src` is not a regular file or is over `MAX_FILE_BYTES`."""
    ensure_dir(rt.config.tmp_dir)
    fd, name = scratch_file(rt.config.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            sha, size = copy_regular(src, out, MAX_FILE_BYTES, inside=rt.config.library)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), sha, size


def unselected_hashes(movie_ids: list[int]) -> dict[int, set[str]]:
    """Per item, the content hashes of its unselected candidates that no selected candidate
    and no image the user added (uploaded, or from an address), of any item, uses: what
    `drop_unselected` may remove. The user's image stays cached while its candidate is there,
    chosen or not: an upload has no address to download it from again, and an address the
    user gave may answer no more (its picture may also be a provider's, sharing its cache
    row). Two queries for any number of items."""
    found: dict[int, set[str]] = {}
    A = db.ArtworkCandidate
    for start in range(0, len(movie_ids), 500):
        query = A.select(A.movie, A.content_hash).where(
            A.movie.in_(movie_ids[start : start + 500]),
            ~A.is_selected,
            A.content_hash.is_null(False),
        )
        for movie_id, digest in query.tuples():
            found.setdefault(movie_id, set()).add(digest)
    every = sorted({h for hashes in found.values() for h in hashes})
    used: set[str] = set()
    for start in range(0, len(every), 500):
        query = A.select(A.content_hash).where(
            A.is_selected | (A.provider == USER_PROVIDER),
            A.content_hash.in_(every[start : start + 500]),
        )
        used.update(h for (h,) in query.tuples())
    return {m: hashes - used for m, hashes in found.items() if hashes - used}


def drop_unselected(rt: Runtime, movie_id: int, hashes: set[str] | None = None) -> int:
    """Remove the full-size cache files of this item's unselected candidates; returns how many.
    Previews stay; so does anything from the user's library or added by the user (uploaded, or
    from an address), and every file that a selected image, another item or an actor still
    uses. `hashes`: `unselected_hashes` of the item, when the caller has them."""
    if hashes is None:
        hashes = unselected_hashes([movie_id]).get(movie_id, set())
    if not hashes:
        return 0
    if cache.unanswered(rt.config.cache_dir):  # no unlink under the write lock while it hangs
        log.warning(
            "item %d: unselected images left in the image cache: it does not answer", movie_id
        )
        return 0
    with db.write_transaction():  # no row takes one of them while we look, as remove_unused
        # the user may have chosen or added one of them since they were read (an upload of
        # the very poster TMDB offers, its file already in the cache: it has no row yet, or
        # its rows are committed now): asked again, under the lock
        hashes = hashes & unselected_hashes([movie_id]).get(movie_id, set())
        removed = _drop(rt, movie_id, hashes)
    if removed:
        log.info("item %d: %s removed from the cache", movie_id, count(removed, "unselected image"))
    return removed


def _drop(rt: Runtime, movie_id: int, hashes: set[str]) -> int:
    removed = 0
    for digest in sorted(hashes):
        users_of: dict[str, list[db.CacheImageFile]] = {}
        for row in db.CacheImageFile.select().where(db.CacheImageFile.file_hash == digest):
            users_of.setdefault(row.file_path, []).append(row)
        for file_path, users in users_of.items():
            if any(
                r.movie_id != movie_id or r.actor_id is not None or r.source_type == LIBRARY_SOURCE
                for r in users
            ):
                continue
            db.CacheImageFile.delete().where(
                db.CacheImageFile.id.in_([r.id for r in users])
            ).execute()
            with contextlib.suppress(FileNotFoundError):
                Path(file_path).unlink()
                removed += 1
            cache.remove_empty_dirs(Path(file_path).parent, rt.config.cache_dir)
        db.ArtworkCandidate.update(is_downloaded=False).where(
            db.ArtworkCandidate.movie == movie_id, db.ArtworkCandidate.content_hash == digest
        ).execute()
    return removed


def row_values(
    path: Path, info: ImageInfo | None, source_type: str, source_url: str, provider: str
):
    """Column values of a CacheImageFile row for `path` (info None: not an analysed image)."""
    return {
        "file_path": str(path),
        "perceptual_hash": info.phash if info else None,
        "file_size": info.size if info else path.stat().st_size,
        "width": info.width if info else None,
        "height": info.height if info else None,
        "format": info.format if info else None,
        "source_type": source_type,
        "source_url": source_url,
        "provider_name": provider,
    }


def is_file(path: Path | str, size: int | None) -> bool:
    """A regular file (of `size` bytes, when given)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (not size or st.st_size == size)


def _note(movie_id: int, notes: list[str], text: str) -> None:
    notes.append(text)
    log.warning("item %d: %s", movie_id, text)


def expected_format(asset: db.ArtworkCandidate) -> tuple[str, str]:
    """(format, what the preview says of it) of a candidate not downloaded yet, named as the
    publish will name it: by the format its analysed header read (the publish names the file
    by the bytes it downloads, `ext_for_format`); unanalysed, by its address's extension (the
    provider's own name of the file: TMDB's `file_path`, fanart.tv's and TheTVDB's URLs), said
    to be read from there; an address that names no image format (`image.php?id=7`) by JPEG,
    said to be assumed. The download decides (a preview never says "unknown format, skipped"
    of an image the publish writes)."""
    if asset.format:
        return asset.format, ""
    path = str((asset.provider_metadata or {}).get("file_path") or asset.url.split("?", 1)[0])
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in FORMAT_EXTS:
        return ext, f" (its file type, .{FORMAT_EXTS[ext]}, is read from its address until then)"
    return "jpeg", " (its file type is not known until then: .jpg assumed)"


def _safe_ext(path: Path, default: str) -> str:
    ext = path.suffix.lower().lstrip(".")
    return ext if ext.isalnum() and len(ext) <= 5 else default
