"""Images for the UI, only ever from our own data folder: candidate previews from
`<data_dir>/previews/` and actor thumbnails from `<data_dir>/cache/actor/`, each confined to its
folder (nothing is hot-linked to a provider, nothing outside those folders is served)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file, send_from_directory

from metarrd import db
from metarrd.config import Config

bp = Blueprint("files", __name__)

IMAGE_CACHE_SECONDS = 7 * 24 * 3600  # previews are content-addressed: they never change


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


def _confined(base: Path, candidate: str | None) -> Path | None:
    if not candidate:
        return None
    real_base = base.resolve()
    target = Path(candidate).resolve()
    if not target.is_relative_to(real_base) or not target.is_file():
        return None
    return target


@bp.get("/previews/<path:name>")
def preview(name: str):
    config = current_app.config["METARRD"]
    return send_from_directory(config.previews_dir, name, max_age=IMAGE_CACHE_SECONDS)


@bp.get("/actors/<int:actor_id>/thumb")
def actor_thumb(actor_id: int):
    config = current_app.config["METARRD"]
    actor = db.Actor.get_or_none(db.Actor.id == actor_id)
    target = _confined(config.cache_dir / "actor", actor.image_cache_path if actor else None)
    if target is None:
        abort(404)
    return send_file(target, max_age=IMAGE_CACHE_SECONDS)
