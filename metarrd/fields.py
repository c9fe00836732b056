"""The item's fields as every stage names them (pure): the locks (a field's, the cast's, a
later episode's own block's), what an episode file's first block carries, what the last enrich
gave (`Movie.hints`), and the sort title derived from a title.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_ARTICLE = re.compile(r"^(the|a|an)\s+(?=\S)", re.IGNORECASE)

CAST_LOCK = "cast"  # in Movie.locked_fields: the user keeps the cast as it is


# an episode file's fields that its first block carries too (publish writes the NFO from the
# blocks): the item page edits both, and a re-enrich keeps both while the field is locked
DETAIL_FIELDS = frozenset(
    {"title", "plot", "aired", "runtime", "rating", "votes", "directors", "writers"}
)
SUMMED_FIELDS = frozenset({"runtime", "directors", "writers"})  # `episode_fields`: of every block


# the fields a later episode of a multi-episode file has of its own, edited and locked on its
# own block (`<episodedetails>`): the lock is `aired-2`, `title-2`, `plot-2` for the file's second
# episode (`block_lock`), `aired`, `title`, `plot` being the first's, the item's own columns
BLOCK_FIELDS = frozenset({"aired", "title", "plot"})
MAX_BLOCKS = 100  # scan reads the first 100 blocks of an episode NFO
_BLOCK_LOCK = re.compile(r"([a-z]+)-([2-9]|[1-9][0-9]{1,2})")


def block_lock(name: str) -> tuple[str, int] | None:
    """("aired", 1) for `aired-2`: the field and the index in `episode_details` of a later
    episode's own field (its lock's and its edit's name); None for any other name."""
    m = _BLOCK_LOCK.fullmatch(name)
    if m is None or m[1] not in BLOCK_FIELDS or int(m[2]) > MAX_BLOCKS:
        return None
    return m[1], int(m[2]) - 1


def block_lock_name(field: str, index: int) -> str:
    """`aired-2`: the name of the field `field` of block `index` (1 and later) of a file."""
    return f"{field}-{index + 1}"


def later_episode_fields(episodes: int) -> list[str]:
    """The own fields (`aired-2`, `plot-2`, `title-2`...) of the later episodes of a file of `episodes` episodes:
    what locks every episode of it (Jellyfin's `<lockdata>` on such a file's one
    `<episodedetails>`, EpisodeNfoSaver.cs; the review's "lock every field")."""
    return [block_lock_name(f, i) for i in range(1, episodes) for f in sorted(BLOCK_FIELDS)]


KEYWORDS_HINT = "enrich_keywords"  # Movie.hints: the TMDB keywords the last enrich put in tags


PROVIDED_HINT = "enrich_provided"  # Movie.hints: {column: value_mark} of what the last enrich gave


def value_mark(value: Any) -> str:
    """A short fingerprint of a column's value, to tell later whether it is still that value."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sort_title(title: str | None) -> str | None:
    """The title without a leading English article ("The Matrix" -> "Matrix"), or None."""
    if not title:
        return None
    stripped = _ARTICLE.sub("", title, count=1)
    return stripped if stripped != title else None


def follow_title(title: str | None, old_sort: str | None, *old_titles: str | None) -> str | None:
    """The sort title for an item now titled `title`: derived from it (`sort_title`) when the
    item has none or had the one derived from one of its `old_titles` (its title before, the
    provider's); the item's own otherwise (the user's NFO's, the user's edit)."""
    if old_sort and all(old_sort != sort_title(t) for t in old_titles):
        return old_sort
    return sort_title(title)


# A show's status as `<status>` says it so both players read it (docs/players.md). Jellyfin's
# SeriesNfoParser takes the text as its SeriesStatus enum (`Enum.TryParse`, any letter case:
# Continuing, Ended, and Unreleased since 10.9; 10.9.2 added "Returning Series", "Returning",
# "Pilot" as Continuing and "Canceled", "Cancelled" as Ended, TvParserHelpers.cs); any other
# text leaves the show with no status. Kodi shows the text as it is (its TheTVDB scraper's were
# Continuing and Ended; tinyMediaManager and Sonarr write those too). So TMDB's words (kept on
# the item, shown on its page) are written as the enum's: "Pilot" as Jellyfin's own TMDB fetcher
# takes it, "Planned" and "In Production" (Jellyfin's fetcher: none) as Unreleased, as Sonarr's
# "Upcoming" (a Jellyfin before 10.9 reads none of these three, as it read none of TMDB's
# words); a status of the user's of other words is written as it is.
_NFO_STATUS = {
    "continuing": "Continuing",
    "returning series": "Continuing",
    "returning": "Continuing",
    "pilot": "Continuing",
    "ended": "Ended",
    "canceled": "Ended",
    "cancelled": "Ended",
    "unreleased": "Unreleased",
    "planned": "Unreleased",
    "in production": "Unreleased",
    "upcoming": "Unreleased",
}


def nfo_status(status: str | None) -> str | None:
    """`<status>` for a show's status: "Continuing" for TMDB's "Returning Series", "Ended" for
    "Canceled", "Unreleased" for "Planned"; another text as it is; None for none."""
    text = " ".join((status or "").split())
    return _NFO_STATUS.get(text.casefold(), text) or None
