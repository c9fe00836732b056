"""The user's artwork choices, applied: the manual counterpart of `caching.select_and_cache`.

The rules (which order results from "make #1", "add", "remove", "up", "down"; which candidates
are copies of one picture) are the selection's own, in `selection`; this module only reads the
item's candidates of one type and writes the new ranks, the type lock and the history event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from metarrd import db
from metarrd.config import Config
from metarrd.enrich.selection import label, reselect, twins
from metarrd.errors import EditRefused
from metarrd.text import count

log = logging.getLogger(__name__)


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
            raise EditRefused(f"artwork {asset_id} does not exist (the item was re-enriched?)")
        if op in ("use", "add") and asset.rejected_reason:
            raise EditRefused(f"this {asset.asset_type} was rejected: {asset.rejected_reason}")
        A = db.ArtworkCandidate
        same_type = list(
            A.select().where(A.movie == asset.movie_id, A.asset_type == asset.asset_type)
        )
        selected = sorted(
            (a for a in same_type if a.is_selected), key=lambda a: (a.rank or 999, a.id)
        )
        before = [a.id for a in selected]
        cap = config.artwork.limits.get(asset.asset_type, 1)
        copies = twins(same_type, asset.id) if op in ("use", "add") else set()
        order, dropped = reselect(before, op, asset.id, cap, copies)
        if op == "add" and asset.id in dropped:
            raise EditRefused(
                f"{count(before, asset.asset_type + ' image')} selected, the limit; "
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
        replaced = [label(a) for a in selected if a.id in gone and a.id in copies]
        movie = db.Movie.get_by_id(asset.movie_id)
        locked = list(movie.locked_asset_types or [])
        if asset.asset_type not in locked:
            locked.append(asset.asset_type)
        db.Movie.update(updated_at=db.now(), locked_asset_types=locked).where(
            db.Movie.id == movie.id
        ).execute()
        db.mark_outdated(movie.id)
        verb = {
            "use": "chosen as #1",
            "add": "added",
            "remove": "removed",
            "up": "moved up",
            "down": "moved down",
        }[op]
        message = f"{asset.asset_type} from {label(asset)} {verb} by the user"
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
        asset = A.get_by_id(asset_id)  # as chosen, read under the lock: a re-enrich may follow
    log.info("item %d: %s %d %s by the user", movie.id, asset.asset_type, asset.id, op)
    return SelectionChange(asset, replaced)
