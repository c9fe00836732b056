"""Which candidates a movie uses: near-duplicates collapse, then the top N per type (pure).

- **Near-duplicates**: within one type, images whose perceptual hashes differ by at most
  `DUPLICATE_DISTANCE` bits (or whose bytes are identical) show the same picture; the best copy
  (highest score, then most pixels) stays, the others point at it (`duplicate_of`).
- **Top N**: per type, `limits[type]` images (1 when the type is not listed), best score first;
  images in a language the user did not ask for come only after every fitting one.
- **The user wins**: a type in `locked_types` is left exactly as it is. An image the user chose
  (`selected_by == "user"`, selected) stays selected and first, and counts against the limit;
  an image the user removed (`selected_by == "user"`, not selected) is never picked again.
  A user's choice is never collapsed into a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DUPLICATE_DISTANCE = 6  # of 64 bits
USER, AUTO = "user", "auto"


@dataclass(frozen=True)
class ScoredCandidate:
    id: int
    asset_type: str
    eligible: bool  # analysed, scored and not rejected
    score: float = 0.0
    foreign: bool = False
    pixels: int = 0
    phash: str | None = None
    content_hash: str | None = None
    selected: bool = False
    selected_by: str | None = None
    rank: int | None = None

    @property
    def user_chosen(self) -> bool:
        return self.selected and self.selected_by == USER

    @property
    def user_removed(self) -> bool:
        return not self.selected and self.selected_by == USER


@dataclass(frozen=True)
class Decision:
    id: int
    selected: bool
    selected_by: str | None
    rank: int | None
    duplicate_of: int | None
    locked: bool = False  # the type is locked: leave the row exactly as it is


def hash_distance(a: str, b: str) -> int:
    """Bits that differ between two hex perceptual hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def same_picture(
    a: ScoredCandidate, b: ScoredCandidate, max_distance: int = DUPLICATE_DISTANCE
) -> bool:
    if a.content_hash and a.content_hash == b.content_hash:
        return True
    if a.phash and b.phash and len(a.phash) == len(b.phash):
        return hash_distance(a.phash, b.phash) <= max_distance
    return False


def _quality(p: ScoredCandidate) -> tuple:
    return (p.foreign, -p.score, -p.pixels, p.id)


def collapse(picks: Iterable[ScoredCandidate]) -> dict[int, int]:
    """{id: id of the best copy} for every eligible pick that duplicates a better one."""
    by_type: dict[str, list[ScoredCandidate]] = {}
    for p in picks:
        if p.eligible or p.user_chosen:
            by_type.setdefault(p.asset_type, []).append(p)
    duplicates: dict[int, int] = {}
    for group in by_type.values():
        group.sort(key=lambda p: (not p.user_chosen, *_quality(p)))
        kept: list[ScoredCandidate] = []
        for p in group:
            twin = next((k for k in kept if same_picture(p, k)), None)
            if twin is None or p.user_chosen:
                kept.append(p)
            else:
                duplicates[p.id] = twin.id
    return duplicates


def select(
    picks: Iterable[ScoredCandidate],
    limits: Mapping[str, int],
    locked_types: Iterable[str] = (),
) -> list[Decision]:
    """The selection for every pick (one Decision each, in input order)."""
    picks = list(picks)
    locked = set(locked_types or ())
    duplicates = collapse(p for p in picks if p.asset_type not in locked)
    chosen: dict[int, tuple[str, int]] = {}  # id -> (selected_by, rank)
    by_type: dict[str, list[ScoredCandidate]] = {}
    for p in picks:
        by_type.setdefault(p.asset_type, []).append(p)
    for asset_type, group in by_type.items():
        if asset_type in locked:
            continue
        limit = max(0, int(limits.get(asset_type, 1)))
        users = sorted(
            (p for p in group if p.user_chosen),
            key=lambda p: (p.rank if p.rank is not None else 10**6, *_quality(p)),
        )
        pool = sorted(
            (
                p
                for p in group
                if p.eligible
                and not p.user_chosen
                and not p.user_removed
                and p.id not in duplicates
            ),
            key=_quality,
        )
        autos = pool[: max(0, limit - len(users))]
        for rank, p in enumerate(users + autos, start=1):
            chosen[p.id] = (USER if p.user_chosen else AUTO, rank)
    decisions = []
    for p in picks:
        if p.asset_type in locked:
            decisions.append(Decision(p.id, p.selected, p.selected_by, p.rank, None, locked=True))
        elif p.id in chosen:
            by, rank = chosen[p.id]
            decisions.append(Decision(p.id, True, by, rank, duplicates.get(p.id)))
        else:
            by = USER if p.user_removed else None
            decisions.append(Decision(p.id, False, by, None, duplicates.get(p.id)))
    return decisions
