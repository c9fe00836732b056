"""One `.actors/` image to publish: the `Wanted` row of a cast member, for a movie and a show.

    actor_wanted(rt, rows, role, folder, owner=..., taken=..., ...) -> Wanted | None

The image comes from `sources.actor_image` (the cache, else downloaded again); no image, an
image Kodi does not read there (not .jpg/.png), a name without a file name, or a file name
another actor already has (`taken`, case-folded) gives None and a note. A picture that cannot be
downloaded now is recorded in `missing`: our file in its slot stays until it can.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from metarrd import db
from metarrd.publish import layout, sources
from metarrd.publish.gather import ItemRows
from metarrd.publish.layout import Wanted
from metarrd.runtime import Runtime

if TYPE_CHECKING:
    from metarrd.publish.stage import Missing

log = logging.getLogger(__name__)


def actor_wanted(
    rt: Runtime,
    rows: ItemRows,
    role: db.MovieActor,
    folder: Path,
    *,
    owner: db.Movie,
    taken: set[str],
    notes: list[str],
    fetch: bool,
    missing: Missing,
) -> Wanted | None:
    """The `.actors/` file of `role`'s actor in `folder` (`owner`: the item the notes and the
    missing pictures are about; a show for every episode's guest stars)."""
    actor = role.actor
    label = f"actor {actor.name}"
    try:
        image = sources.actor_image(
            rt,
            rows.movie.id,
            actor,
            fetch=fetch,
            who=owner.label,
            label=label,
            notes=notes,
            rows=rows.actor_cache.get(actor.id, []),
        )
    except sources.PictureUnavailable as exc:
        slot = layout.actor_path(folder, actor.name, "jpg")
        missing.add(owner, f"{actor.name}'s photo", "actor", slot, exc)
        return None
    if image is None:
        return None
    try:
        ext = layout.ext_for_format(image.format, fallback=image.path.suffix)
    except layout.LayoutError as exc:
        _note(owner, notes, f"{label}: {exc}, skipped")
        return None
    path = layout.actor_path(folder, actor.name, ext)
    if path is None:
        why = (
            "Kodi reads only .jpg and .png there"
            if ext not in layout.ACTOR_EXTS
            else layout.why_no_actor_file(actor.name)
        )
        _note(owner, notes, f"{label}: image not written to .actors ({why})")
        return None
    if path.name.casefold() in taken:
        _note(owner, notes, f"{label}: another actor already has {path.name}, skipped")
        return None
    taken.add(path.name.casefold())
    return Wanted(
        path,
        "actor",
        label,
        image.sha256,
        image.size,
        source=image.path,
        cache_file_id=image.cache_file_id,
        backup_type="actor",
        actor_id=actor.id,
    )


def _note(item: db.Movie, notes: list[str], text: str) -> None:
    notes.append(text)
    log.warning("item %d: %s", item.id, text)
