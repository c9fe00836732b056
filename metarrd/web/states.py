"""An item's state as the UI names it: one word per state (the library's filters), its badge and
the actions it offers. Pure: no database queries, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metarrd import db
from metarrd.text import count


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # success | warning | info | danger | neutral (a CSS class)
    help: str
    short: str = ""  # on a poster, where room is short

    @property
    def compact(self) -> str:
        return self.short or self.label


BADGES = {
    "missing": Badge("Missing", "danger", "the video file is gone from the library"),
    "unidentified": Badge("Unidentified", "danger", "not matched to a TMDB movie yet"),
    "identified": Badge(
        "Identified – Not enriched",
        "neutral",
        "matched; metadata and artwork not fetched yet",
        "Not enriched",
    ),
    "unpublished": Badge(
        "Enriched – Unpublished", "warning", "ready for your review, not written yet", "To review"
    ),
    "outdated": Badge(
        "Updated – Republish?", "info", "changed since it was written to the library", "Republish?"
    ),
    "published": Badge("Published", "success", "the library files are up to date"),
}

# Library filters: name -> label, in the order the page shows them. They partition the library:
# every item is in exactly one (besides "all"); "has errors" is a facet (library.FACETS).
FILTERS = {
    "all": "All",
    "unidentified": "Unidentified",
    "identified": "Not enriched",
    "unpublished": "To review",
    "outdated": "Republish?",
    "published": "Published",
    "missing": "Missing",
}
ALERT_FILTERS = ("unidentified", "missing")


def state_of(identification_status: str, publish_state: str, missing: bool) -> str:
    """The one word that names an item's state (a key of BADGES and FILTERS)."""
    if missing:
        return "missing"
    if identification_status == db.UNIDENTIFIED:
        return "unidentified"
    if publish_state == db.OUTDATED:
        return "outdated"
    if publish_state == db.PUBLISHED:
        return "published"
    if identification_status == db.ENRICHED:
        return "unpublished"
    return "identified"


def badge_for(movie: Any, show: Any = None) -> Badge:
    """`movie`'s badge; a season's reads its `show` too: a season is never identified on its own
    (scan creates it unidentified, enrichment of its show enriches it), so once its show is
    identified it is "Not enriched", never "Unidentified". A season item is "missing" (no file
    is ever its own) when its show folder is gone, or, its show there, when it is hidden for
    holding no episode file (docs/tv.md): "Hidden", not "Missing"."""
    if (
        movie.missing
        and getattr(movie, "kind", db.MOVIE) == db.SEASON
        and show is not None
        and not show.missing
    ):
        return HIDDEN_SEASON_OUTDATED if movie.publish_state == db.OUTDATED else HIDDEN_SEASON
    state = state_of(movie.identification_status, movie.publish_state, movie.missing)
    if (
        state == "unidentified"
        and getattr(movie, "kind", db.MOVIE) == db.SEASON
        and show is not None
        and show.identification_status != db.UNIDENTIFIED
    ):
        state = "identified"
    warnings = getattr(movie, "publish_warnings", None) or []
    if state == "published" and warnings:  # published with warnings: pictures left out for now
        n = len(warnings)
        return Badge(
            f"Published – {count(n, 'picture')} missing",
            "warning",
            "; ".join(warnings) + " (tried again later by itself)",
            f"{count(n, 'picture')} missing",
        )
    if state == "unidentified" and getattr(movie, "kind", db.MOVIE) != db.MOVIE:
        return _UNIDENTIFIED_TV[movie.kind]
    return BADGES[state]


_HIDDEN = (
    "no episode file is in it (the show's episode order puts its files in other seasons, or"
    " only your season art is there): Kodi lists no season without an episode; it is back"
    " with its first file"
)
HIDDEN_SEASON = Badge("Hidden – No episode file", "neutral", _HIDDEN, "Hidden")
HIDDEN_SEASON_OUTDATED = Badge(
    "Hidden – Republish?",
    "info",
    _HIDDEN + "; what publish wrote for it goes at the next publish of its show",
    "Hidden",
)

_UNIDENTIFIED_TV = {
    db.SHOW: Badge("Unidentified", "danger", "not matched to a TMDB TV show yet"),
    db.SEASON: Badge("Unidentified", "danger", "its show is not identified yet"),
    db.EPISODE: Badge(
        "Unidentified", "danger", "not matched to an episode of its show yet (see the reason)"
    ),
}


def actions_for(movie: Any) -> list[str]:
    """The buttons an item offers: identify, enrich, publish, republish (in that order)."""
    state = state_of(movie.identification_status, movie.publish_state, movie.missing)
    return {
        "missing": [],
        "unidentified": ["identify"],
        "identified": ["enrich"],
        "unpublished": ["enrich", "publish"],
        "outdated": ["enrich", "republish"],
        "published": ["enrich"],
    }[state]


def can_enrich(movie: Any) -> bool:
    return "enrich" in actions_for(movie)


def can_publish(movie: Any) -> bool:
    return bool({"publish", "republish"} & set(actions_for(movie)))
