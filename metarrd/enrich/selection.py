"""Which candidates a movie uses: near-duplicates collapse, then the top N per type (pure).

- **Near-duplicates**: within one type, images whose perceptual hashes differ by at most
  `DUPLICATE_DISTANCE` bits (or whose bytes are identical) show the same picture; the best copy
  (highest score, then most pixels) stays, the others point at it (`duplicate_of`).
- **Top N**: per type, `limits[type]` images (1 when the type is not listed), best score first
  within a language's tier (every image in the first preferred language before the second's);
  images in a language the user did not ask for come only after every fitting one.
- **The user wins**: a type in `locked_types` is left exactly as it is. An image the user chose
  (`selected_by == "user"`, selected) stays selected and first, and counts against the limit;
  an image the user removed (`selected_by == "user"`, not selected) is never picked again.
  A user's choice is never collapsed into a duplicate.
- **The user's own changes** (`reselect`): make a picture #1, add, remove, move it. Choosing a
  copy of a picture that is already selected replaces that copy (`twins`), so one picture is
  never selected twice. `choices.change_selection` applies them to the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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
    tier: int = 0  # score.Score.tier: the image's language's place among the preferred ones

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
    return (p.foreign, p.tier, -p.score, -p.pixels, p.id)


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


# --- the user's changes ---------------------------------------------------------------------


def reselect(
    selected: list[int], op: str, asset_id: int, cap: int, twins: Iterable[int] = ()
) -> tuple[list[int], list[int]]:
    """The selected asset ids of one type, in rank order, after a user's `op`:
    `use` (make it #1), `add` (append), `remove`, `up`, `down`. Returns (new order, dropped):
    selections beyond `cap` are dropped from the end. `twins` are the other copies of the same
    picture: choosing this copy replaces them (`add` takes the first one's place) rather than
    selecting the same picture twice."""
    twins = set(twins) - {asset_id}
    order = list(selected)
    if op == "use":
        order = [asset_id] + [a for a in order if a != asset_id and a not in twins]
    elif op == "add":
        if asset_id not in order:
            place = next((i for i, a in enumerate(order) if a in twins), None)
            if place is None:
                order.append(asset_id)
            else:
                order[place] = asset_id
                order = [a for a in order if a not in twins]
    elif op == "remove":
        order = [a for a in order if a != asset_id]
    elif op in ("up", "down"):
        if asset_id in order:
            i = order.index(asset_id)
            j = i - 1 if op == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    else:
        raise ValueError(f"unknown artwork operation {op!r}")
    cap = max(cap, 1)
    return order[:cap], order[cap:]


def same_picture_sets(assets: Iterable[Any]) -> dict[int, int]:
    """{asset id: id of its set}: assets linked by `duplicate_of` (either way, transitively)
    share a set. Links to rows outside `assets` are ignored."""
    assets = list(assets)
    parent = {a.id: a.id for a in assets}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in assets:
        other = getattr(a, "duplicate_of_id", None)
        if other in parent and other != a.id:
            parent[root(a.id)] = root(other)
    return {i: root(i) for i in parent}


def twins(assets: list[Any], asset_id: int) -> set[int]:
    """The other copies of asset `asset_id`'s picture (not rejected) among `assets`."""
    sets = same_picture_sets(assets)
    mine = sets.get(asset_id)
    return {
        a.id for a in assets if a.id != asset_id and sets[a.id] == mine and not a.rejected_reason
    }


# a provider as the pages and messages name it (the settings page, enrich's failures, the
# artwork viewer's "Source"): TMDB, fanart.tv, TheTVDB; `user` and `library` stay as they are
PROVIDER_NAMES = {"tmdb": "TMDB", "fanart": "fanart.tv", "tvdb": "TheTVDB"}


def provider_name(provider: Any) -> str:
    """`TheTVDB` for `tvdb`: a candidate's provider as a user reads it."""
    return PROVIDER_NAMES.get(str(provider), str(provider))


def label(asset: Any) -> str:
    """`TMDB 2000×3000`: a candidate as a user tells copies of one picture apart."""
    width, height = asset.width or asset.api_width, asset.height or asset.api_height
    name = provider_name(asset.provider)
    return f"{name} {width}×{height}" if width and height else name
