"""The user's manual choices, written to the database: the only place the web app writes rows
other than queueing jobs and the workflow switches.

Each change runs in one `BEGIN IMMEDIATE` transaction on a fresh copy of the row (the daemon may
be writing the same movie), locks what the user chose (an edited field, a hand-picked artwork
type) so that enrichment leaves it alone, records an event for the item's history and the live
updates, and turns a published item into "outdated" when the library files would change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from metarrd import db
from metarrd.config import Config
from metarrd.web import pictures
from metarrd.web.present import FIELD_LABELS, field_text, parse_field, reselect

log = logging.getLogger(__name__)


class EditError(ValueError):
    """A change the user asked for that cannot be made; the message says why."""


def mark_outdated(movie_id: int) -> None:
    """A published item whose library files no longer match becomes "Updated – Republish?"."""
    db.Movie.update(publish_state=db.OUTDATED).where(
        db.Movie.id == movie_id, db.Movie.publish_state == db.PUBLISHED
    ).execute()


def _touch(movie: db.Movie, **columns: Any) -> None:
    db.Movie.update(updated_at=db.now(), **columns).where(db.Movie.id == movie.id).execute()


def set_field(movie_id: int, name: str, raw: str) -> db.Movie:
    """Set a metadata field from what the user typed, and lock it."""
    try:
        value = parse_field(name, raw)
    except ValueError as exc:
        raise EditError(str(exc)) from None
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        changed = getattr(movie, name) != value
        locked = list(movie.locked_fields or [])
        if name not in locked:
            locked.append(name)
        _touch(movie, **{name: value, "locked_fields": locked})
        if changed:
            mark_outdated(movie_id)
        label = FIELD_LABELS[name]
        db.record_event(
            "review.edited",
            f"{label} {'edited' if changed else 'kept'} and locked",
            movie=movie_id,
            field=name,
            value=field_text(name, value)[:200],
        )
    log.info("item %d: field %s set by the user and locked", movie_id, name)
    return db.Movie.get_by_id(movie_id)


def toggle_field_lock(movie_id: int, name: str) -> db.Movie:
    if name not in FIELD_LABELS:
        raise EditError(f"{name!r} is not an editable field")
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        locked = list(movie.locked_fields or [])
        now_locked = name not in locked
        locked = locked + [name] if now_locked else [f for f in locked if f != name]
        _touch(movie, locked_fields=locked)
        what = "locked" if now_locked else "unlocked: enrichment may refresh it"
        db.record_event("review.locked", f"{FIELD_LABELS[name]} {what}", movie=movie_id, field=name)
    return db.Movie.get_by_id(movie_id)


def toggle_type_lock(movie_id: int, asset_type: str) -> db.Movie:
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        locked = list(movie.locked_asset_types or [])
        now_locked = asset_type not in locked
        locked = locked + [asset_type] if now_locked else [t for t in locked if t != asset_type]
        _touch(movie, locked_asset_types=locked)
        what = "locked" if now_locked else "unlocked: enrichment may choose again"
        db.record_event(
            "review.locked", f"{asset_type} artwork {what}", movie=movie_id, asset_type=asset_type
        )
    return db.Movie.get_by_id(movie_id)


@dataclass(frozen=True)
class SelectionChange:
    asset: db.ArtworkCandidate
    replaced: list[str]  # e.g. ["tmdb 2000×3000"]: copies of the same picture it replaced


def change_selection(config: Config, asset_id: int, op: str) -> SelectionChange:
    """`use` (make #1), `add`, `remove`, `up`, `down` one artwork candidate. Choosing a copy of
    a picture that is already selected (a near-duplicate from another provider or size) replaces
    that copy instead of selecting the picture twice. The type becomes locked (the user chose),
    the rest of the type is re-ranked 1..n."""
    with db.write_transaction():
        asset = db.ArtworkCandidate.get_or_none(db.ArtworkCandidate.id == asset_id)
        if asset is None:
            raise EditError(f"artwork {asset_id} does not exist (the item was re-enriched?)")
        if op in ("use", "add") and asset.rejected_reason:
            raise EditError(f"this {asset.asset_type} was rejected: {asset.rejected_reason}")
        A = db.ArtworkCandidate
        same_type = list(
            A.select().where(A.movie == asset.movie_id, A.asset_type == asset.asset_type)
        )
        selected = sorted(
            (a for a in same_type if a.is_selected), key=lambda a: (a.rank or 999, a.id)
        )
        before = [a.id for a in selected]
        cap = config.artwork.limits.get(asset.asset_type, 1)
        copies = pictures.twins(same_type, asset.id) if op in ("use", "add") else set()
        order, dropped = reselect(before, op, asset.id, cap, copies)
        if op == "add" and asset.id in dropped:
            raise EditError(
                f"{len(before)} {asset.asset_type} image(s) are selected, the limit; "
                "remove one first, or make this one #1"
            )
        if order == before and not dropped:
            return SelectionChange(asset, [])
        stamp = db.now()
        for rank, selected_id in enumerate(order, start=1):
            A.update(is_selected=True, rank=rank, selected_by="user", selected_at=stamp).where(
                A.id == selected_id
            ).execute()
        gone = set(before) - set(order)
        if gone:
            A.update(is_selected=False, rank=None, selected_by="user", selected_at=stamp).where(
                A.id.in_(list(gone))
            ).execute()
        replaced = [pictures.label(a) for a in selected if a.id in gone and a.id in copies]
        movie = db.Movie.get_by_id(asset.movie_id)
        locked = list(movie.locked_asset_types or [])
        if asset.asset_type not in locked:
            locked.append(asset.asset_type)
        _touch(movie, locked_asset_types=locked)
        mark_outdated(movie.id)
        verb = {
            "use": "chosen as #1",
            "add": "added",
            "remove": "removed",
            "up": "moved up",
            "down": "moved down",
        }[op]
        message = f"{asset.asset_type} from {pictures.label(asset)} {verb} by the user"
        if replaced:
            message += f" (instead of the same picture from {', '.join(replaced)})"
        db.record_event(
            "review.selected",
            message,
            movie=movie.id,
            asset_id=asset.id,
            asset_type=asset.asset_type,
            op=op,
        )
    log.info("item %d: %s %d %s by the user", movie.id, asset.asset_type, asset.id, op)
    return SelectionChange(db.ArtworkCandidate.get_by_id(asset_id), replaced)
