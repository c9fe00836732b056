"""Artwork candidates of one type as the item page shows them (pure: rows in, view out).

ENRICH marks near-duplicates with `duplicate_of`: the same picture from another provider or in
another size. The page shows one entry per *picture*, with its other copies folded under it,
so a user never picks the same picture twice by accident; candidates that were rejected (an
HTML page instead of an image, too big, a failed download) are listed apart with the reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from metarrd.enrich import label, provider_name, same_picture_sets
from metarrd.urls import redact
from metarrd.web.formatting import LANGUAGES, language_name

__all__ = [
    "ArtworkGroup",
    "CandidateGroup",
    "Rejection",
    "factor_reason",
    "group",
    "label",
    "pixels",
    "rejection",
]


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


# a URL inside a reason: up to a space, a quote or an angle bracket; a comma, a full stop or a
# closing bracket at its end is the sentence's ("… for https://…/a.jpg, gave up after 4 attempts")
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"']+", re.I)
_SENTENCE_END = ".,;:)]"


@dataclass(frozen=True)
class Rejection:
    """A rejected candidate as the artwork tab lists it: its file's name (None when the reason
    already names it), the reason with every URL named by its file, and the whole of both,
    redacted, for a tooltip."""

    file: str | None
    url: str
    reason: str
    reason_full: str


def file_name(url: str) -> str:
    """`603-poster-12.jpg` of `https://assets.fanart.tv/…/603-poster-12.jpg?…`: the last part
    of the path as the URL spells it (still %-encoded: a hostile name stays inert), else the
    host, else the whole URL redacted (`http://user:pass@/` names no file and no host)."""
    parts = urlsplit(url)
    name = parts.path.rstrip("/").rpartition("/")[2]
    return name or parts.hostname or redact(url)


def _each_url(text: str, shown) -> str:
    def one(match: re.Match) -> str:
        url = match.group()
        tail = len(url) - len(url.rstrip(_SENTENCE_END))
        core, end = (url[:-tail], url[-tail:]) if tail else (url, "")
        return shown(core) + end

    return _URL_IN_TEXT.sub(one, text)


def rejection(asset: Any) -> Rejection:
    """Why `asset` was rejected, readable: a download failure's reason names the whole URL
    ("download failed: fanart: HTTP 404 for https://assets.fanart.tv/fanart/movies/603/…"),
    a line long; the page names the file, the whole (redacted) URL is in the tooltip. The
    reason was redacted when written (metarrd/http.py); it is redacted again here, so that a
    URL that came through in an exception's own words never shows its query or password."""
    reason = asset.rejected_reason or ""
    short = _each_url(reason, file_name)
    own = file_name(asset.url) if asset.url else None
    return Rejection(
        file=None if own is None or own in short else own,
        url=redact(asset.url) if asset.url else "",
        reason=short,
        reason_full=_each_url(reason, redact),
    )


def factor_reason(factor: Mapping[str, Any]) -> str:
    """A score factor's stored reason as the page says it: the provider factor names its
    provider as the rest of the page does ("TheTVDB: number 3 in priority"). An enrich before
    that stored the provider's key ("tvdb: number 3 in priority"), kept until the next enrich
    scores the picture again. The language factor names its language as the card above it does
    ("German: your second language" under "German", where enrich stores the code, "de: ...")."""
    reason = str(factor.get("reason") or "")
    key, sep, rest = reason.partition(": ")
    if sep and factor.get("name") == "provider" and provider_name(key) != key:
        return f"{provider_name(key)}: {rest}"
    if sep and factor.get("name") == "language" and key.lower() in LANGUAGES:
        return f"{language_name(key)}: {rest}"
    return reason
