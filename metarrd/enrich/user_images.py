"""An image the user adds to an item by hand (web UI: upload, or a URL), checked like any
candidate and stored as a candidate of provider "user".

Both ways end in the same checks as a provider's candidate: at most MAX_IMAGE_BYTES, a real
image by its bytes (not by a name or a Content-Type), a known format, no more pixels than
`[artwork] max_pixels` (decompression bombs); the image goes into the cache and gets a preview,
so the page shows it and publishing writes it like any other. A URL is fetched by the rules of
metarrd/user_urls.py (public addresses only, never through a proxy).
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from typing import BinaryIO

from metarrd import cache, db
from metarrd.config import ASSET_TYPES, Config
from metarrd.enrich.candidate_store import image_columns
from metarrd.errors import EditRefused, MetarrdError
from metarrd.http import HttpClient
from metarrd.imaging import MAX_IMAGE_BYTES, ImageRejected, analyse_with_preview, write_preview
from metarrd.scratch import scratch_path
from metarrd.urls import redact
from metarrd.user_urls import PROVIDER, UPLOAD_KEY, fetch

log = logging.getLogger(__name__)

# One user image is decoded at a time in a process: each may take up to imaging.DECODE_BUDGET
# (192 MB), and a web worker has six page threads (wsgi.py), so six uploads at once could take
# over a GB of a NAS's memory. Another waits its turn, at most DECODE_WAIT_SECONDS.
DECODING = threading.BoundedSemaphore(1)
DECODE_WAIT_SECONDS = 60.0


def add_user_image(
    config: Config,
    movie_id: int,
    asset_type: str,
    *,
    data: bytes | BinaryIO | None = None,
    url: str | None = None,
    client: HttpClient | None = None,
) -> db.ArtworkCandidate:
    """Add the uploaded `data` (its bytes, or a file to read them from: copied to our temp
    file in chunks, never whole in memory), or the image at `url`, to the item's candidates of
    `asset_type`; raise EditRefused with a sentence when it cannot be used."""
    if asset_type not in ASSET_TYPES:
        raise EditRefused(f"{asset_type!r} is not an artwork type")
    if (data is None) == (url is None):
        raise EditRefused("choose a file or give an address")
    if db.Movie.get_or_none(db.Movie.id == movie_id) is None:
        raise EditRefused(f"item {movie_id} does not exist")
    config.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = scratch_path(config.tmp_dir, "user", ".part")
    try:
        if data is not None:
            _save_upload(io.BytesIO(data) if isinstance(data, bytes) else data, tmp)
            source = "upload"
        else:
            try:
                source = fetch(config, url or "", tmp, client=client)
            except EditRefused:  # UnsafeAddress, UnreadableAddress: said as they are
                raise
            except MetarrdError as exc:
                raise EditRefused(f"cannot fetch that image: {exc}") from None
        if not DECODING.acquire(timeout=DECODE_WAIT_SECONDS):
            raise EditRefused("not added: the server is busy checking other images; try again")
        try:
            info, preview = analyse_with_preview(tmp, max_pixels=config.artwork.max_pixels)
        except ImageRejected as exc:
            raise EditRefused(f"this is not an image that can be used: {exc}") from None
        finally:
            DECODING.release()
        return _store(config, movie_id, asset_type, tmp, info, preview, source)
    finally:
        tmp.unlink(missing_ok=True)


def _save_upload(data: BinaryIO, tmp: Path) -> None:
    """Copy the upload into `tmp`, a MB at a time, refused beyond MAX_IMAGE_BYTES."""
    total = 0
    with open(tmp, "wb") as out:
        while chunk := data.read(1024 * 1024):
            total += len(chunk)
            if total > MAX_IMAGE_BYTES:
                raise EditRefused(f"the file is larger than {MAX_IMAGE_BYTES // 1048576} MB")
            out.write(chunk)


def _store(config, movie_id, asset_type, tmp, info, preview, source) -> db.ArtworkCandidate:
    rel = write_preview(config.previews_dir, tmp, info.sha256, preview)
    # a copy, `tmp` kept until the rows are committed: the same bytes may be in the cache
    # already (the poster TMDB offers too), named by no row, or only by an item that goes, or
    # unselected in a publish that ends now, and cleaned up (`cache.remove_unused`,
    # `drop_unselected`) before our rows name the file; an upload has nowhere to come again from
    path = cache.copy_into(config.cache_dir, asset_type, tmp, info)
    key = source if source != "upload" else f"{UPLOAD_KEY}{info.sha256}"
    with db.write_transaction():
        db.CacheImageFile.get_or_create(
            movie=movie_id,
            actor=None,
            image_type=asset_type,
            file_hash=info.sha256,
            defaults={
                "file_path": str(path),
                **image_columns(info),
                "source_type": "provider",
                "source_url": key,
                "provider_name": PROVIDER,
            },
        )
        asset, _ = db.ArtworkCandidate.get_or_create(
            movie=movie_id,
            asset_type=asset_type,
            url=key,
            defaults={"provider": PROVIDER},
        )
        db.ArtworkCandidate.update(
            provider=PROVIDER,
            analyzed=True,
            analyzed_at=db.now(),
            width=info.width,
            height=info.height,
            format=info.format,
            file_size=info.size,
            content_hash=info.sha256,
            perceptual_hash=info.phash,
            preview_path=rel,
            rejected_reason=None,
            is_downloaded=True,
        ).where(db.ArtworkCandidate.id == asset.id).execute()
        db.record_event(
            "review.selected",
            f"{asset_type} added by the user ({info.width}×{info.height} {info.format})",
            movie=movie_id,
            asset_id=asset.id,
            asset_type=asset_type,
        )
    # put back if a clean-up took it meanwhile: our rows name it now, and both clean-ups look
    # under the write lock, so none removes it any more
    cache.copy_into(config.cache_dir, asset_type, tmp, info)
    # an address copied from a browser may carry a key in its query (`X-Plex-Token=`)
    where = "an upload" if source == "upload" else redact(source)
    log.info("item %d: %s added by the user from %s", movie_id, asset_type, where)
    return db.ArtworkCandidate.get_by_id(asset.id)
