"""Artwork candidates of one type as the item page shows them (pure: rows in, view out).

ENRICH marks near-duplicates with `duplicate_of`: the same picture from another provider or in
another size. The page shows one entry per *picture*, with its other copies folded under it,
so a user never picks the same picture twice by accident; candidates that were rejected (an
HTML page instead of an image, too big, a failed download) are listed apart with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from metarrd.enrich import label, same_picture_sets

__all__ = ["ArtworkGroup", "CandidateGroup", "group", "label", "pixels"]


@dataclass(frozen=True)
class CandidateGroup:
    asset: Any  # the copy shown: a selected one, else the best copy
    copies: tuple[Any, ...] = ()  # the other unselected copies of the same picture, best first
    same_as: int | None = None  # rank of a selected copy higher up (the picture is in twice)


@dataclass(frozen=True)
class ArtworkGroup:
    asset_type: str
    selected: list[CandidateGroup]  # in rank order
    alternatives: list[CandidateGroup]  # best score first
    rejected: list[Any]  # rows with a rejected_reason
    locked: bool
    limit: int

    @property
    def copies(self) -> int:
        return sum(len(p.copies) for p in self.selected + self.alternatives)


def pixels(asset: Any) -> int:
    return (asset.width or asset.api_width or 0) * (asset.height or asset.api_height or 0)


def _quality(asset: Any) -> tuple:
    """Best copy first: highest score, then most pixels."""
    return (-(asset.score or 0.0), -pixels(asset), asset.id)


def group(asset_type: str, assets: list[Any], *, locked: bool, limit: int) -> ArtworkGroup:
    """One artwork type: the selected pictures (with their unselected copies folded under the
    first selected copy), the alternative pictures (their copies folded under the best copy)
    and the rejected candidates."""
    usable = [a for a in assets if not a.rejected_reason]
    rejected = sorted(
        (a for a in assets if a.rejected_reason), key=lambda a: (a.provider or "", a.id)
    )
    sets = same_picture_sets(usable)
    members: dict[int, list[Any]] = defaultdict(list)
    for a in usable:
        members[sets[a.id]].append(a)

    selected: list[CandidateGroup] = []
    alternatives: list[CandidateGroup] = []
    first_rank: dict[int, int] = {}  # set id -> rank of its first selected copy
    chosen = sorted((a for a in usable if a.is_selected), key=lambda a: (a.rank or 999, a.id))
    for rank, a in enumerate(chosen, start=1):
        key = sets[a.id]
        if key in first_rank:
            selected.append(CandidateGroup(a, same_as=first_rank[key]))
            continue
        first_rank[key] = rank
        copies = sorted((c for c in members[key] if not c.is_selected), key=_quality)
        selected.append(CandidateGroup(a, tuple(copies)))
    for key, copies in members.items():
        if key in first_rank:
            continue
        # the copy the others point at (duplicate_of unset) leads; then the best one
        copies = sorted(copies, key=lambda c: (c.duplicate_of_id is not None, *_quality(c)))
        head, rest = copies[0], sorted(copies[1:], key=_quality)
        alternatives.append(CandidateGroup(head, tuple(rest)))
    alternatives.sort(key=lambda p: _quality(p.asset))
    return ArtworkGroup(asset_type, selected, alternatives, rejected, locked, limit)


def describe_change(
    op: str,
    asset_type: str,
    picked: str,
    before: list[int],
    after: list[int],
    labels: dict[int, str],
    *,
    was_locked: bool,
) -> str:
    """One line saying what a choice did: the new order, what left the selection, the lock."""
    what = {
        "use": f"{picked} is now {asset_type} #1",
        "add": f"{picked} added as {asset_type} #{len(after)}",
        "remove": f"{picked} is no longer a {asset_type}",
    }.get(op, "")
    if op in ("up", "down"):
        asset_id = next((i for i in after if labels.get(i) == picked), None)
        rank = after.index(asset_id) + 1 if asset_id in after else None
        what = f"{picked} moved to #{rank}" if rank else f"{picked} moved"
    parts = [what]
    if op == "use" and before and before[0] in after and before[0] != after[0]:
        parts.append(f"the previous #1 is now #{after.index(before[0]) + 1}")
    left = [labels.get(i, "one") for i in before if i not in after and labels.get(i) != picked]
    if left and op in ("use", "add"):
        parts.append(f"{', '.join(left)} left the selection (the limit is {len(after)})")
    if not was_locked:
        parts.append(f"{asset_type} is now locked, so enrichment keeps your choice")
    return "; ".join(parts) + "."
