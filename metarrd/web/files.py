"""Images for the UI, only ever from our own data folder: candidate previews from
`Config.previews_dir` (`<data_dir>/previews/`, a shared cache's `previews/`) and actor
thumbnails from `<data_dir>/cache/actor/`, each confined to its folder (nothing is hot-linked to a provider, nothing outside those folders is served): a path is
resolved, symbolic links included, and served only when it is a regular file inside the folder
(`_confined`).

Both folders may be on a network share (`[cache] dir` on NFS for several workers, see
docs/scale-out.md): a hard mount whose server is gone would hang each request in its first stat,
and a Cast tab's twenty thumbnails take twenty web threads. So each folder is looked at first
(`cache.unanswered`, a few seconds at most, at once while the look hangs): an image there is
then a 503 saying why, and the viewer shows the candidate's preview. A good look stands for a
second (`recent`): a poster wall's 48 pictures make one look, not 48 threads and stats."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, current_app, send_file

from metarrd import cache, db
from metarrd.config import Config
from metarrd.web.errors import not_found

bp = Blueprint("files", __name__)

IMAGE_CACHE_SECONDS = 7 * 24 * 3600  # previews are content-addressed: they never change
HUNG = "The image cache does not answer (a hung network mount?); try again once it does."


def _send(target: Path):
    """`target` for the browser to keep: `private`, not send_file's `public`, since these are
    behind the login and a shared cache in front of the UI (a CDN, nginx's proxy_cache) would hand
    a kept copy to anyone who asks."""
    response = send_file(target, max_age=IMAGE_CACHE_SECONDS)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


def preview_name(config: Config, preview_path: str | None) -> str | None:
    """`preview_path` (absolute under previews_dir, or relative to it) as a URL name, or None
    when it points elsewhere."""
    if not preview_path:
        return None
    path = Path(os.path.normpath(preview_path))
    if path.is_absolute():
        try:
            path = path.relative_to(os.path.normpath(config.previews_dir))
        except ValueError:
            return None
    if path.parts[:1] == ("..",) or not path.parts:
        return None
    return path.as_posix()


def _confined(base: Path, candidate: str | Path | None) -> Path | None:
    """`candidate` resolved (links followed), when that is a regular file inside `base`."""
    if not candidate:
        return None
    try:
        real_base = base.resolve()
        target = Path(candidate).resolve()
        if not target.is_relative_to(real_base) or not target.is_file():
            return None
    except (OSError, ValueError):  # a NUL byte, a loop of links
        return None
    return target


def _unanswered() -> Response:
    """The answer for an image in a folder that does not answer: at once, and not kept."""
    return Response(HUNG, 503, mimetype="text/plain", headers={"Retry-After": "30"})


def _preview_or_404(config: Config, name: str | None, what: str | None = None):
    if cache.unanswered(config.previews_dir, recent=True):
        return _unanswered()
    target = _confined(config.previews_dir, config.previews_dir / name if name else None)
    if target is None:
        not_found(what or f"preview {(name or '')[:200]!r}")
    return _send(target)


@bp.get("/previews/<path:name>")
def preview(name: str):
    return _preview_or_404(current_app.config["METARRD"], name)


@bp.get("/actors/<int:actor_id>/thumb")
def actor_thumb(actor_id: int):
    config = current_app.config["METARRD"]
    actor = db.Actor.get_or_none(db.Actor.id == actor_id)
    if (
        actor is not None
        and actor.image_cache_path
        and cache.unanswered(config.cache_dir, recent=True)
    ):
        return _unanswered()
    target = _confined(config.cache_dir / "actor", actor.image_cache_path if actor else None)
    if target is None:
        not_found(f"image of actor {actor_id}")
    return _send(target)


def cached_image(config: Config, asset: db.ArtworkCandidate) -> Path | None:
    """The candidate's full-size bytes in the image cache (selected and downloaded ones), found
    by content hash and confined to the cache folder; None when only the preview exists. Only
    once the cache answered (`full_image`)."""
    if not asset.content_hash:
        return None
    C = db.CacheImageFile
    row = C.select(C.file_path).where(C.file_hash == asset.content_hash).first()
    return _confined(config.cache_dir, row.file_path if row else None)


def full_image(config: Config, asset: db.ArtworkCandidate) -> Path | None:
    """`cached_image`, or None while the cache does not answer."""
    if not asset.content_hash or cache.unanswered(config.cache_dir, recent=True):
        return None
    return cached_image(config, asset)


@bp.get("/assets/<int:asset_id>/image")
def asset_image(asset_id: int):
    """A candidate at full size when the cache holds it, else its preview."""
    config = current_app.config["METARRD"]
    asset = db.ArtworkCandidate.get_or_none(db.ArtworkCandidate.id == asset_id)
    if asset is None:
        not_found(f"artwork {asset_id} (the item was enriched again?)")
    target = full_image(config, asset)
    if target is None:
        name = preview_name(config, asset.preview_path)
        return _preview_or_404(config, name, f"image of artwork {asset_id} (nor its preview)")
    return _send(target)
