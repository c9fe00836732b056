"""What the UI shows, as pure functions: badges, the actions an item offers, field labels and the
parsing of what a user typed into a field. No database, no Flask: easy to test, shared by pages."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from metarrd import db

# --- badges and actions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # success | warning | info | danger | neutral (a CSS class)
    help: str


BADGES = {
    "missing": Badge("Missing", "danger", "the video file is gone from the library"),
    "unidentified": Badge("Unidentified", "danger", "not matched to a TMDB movie yet"),
    "identified": Badge("Identified", "neutral", "matched; metadata and artwork not fetched yet"),
    "unpublished": Badge(
        "Enriched – Unpublished", "warning", "ready for your review, not written yet"
    ),
    "outdated": Badge(
        "Updated – Republish?", "info", "changed since it was written to the library"
    ),
    "published": Badge("Published", "success", "the library files are up to date"),
}

# Library filters: name -> label, in the order the page shows them.
FILTERS = {
    "all": "All",
    "unidentified": "Unidentified",
    "identified": "Identified",
    "unpublished": "Unpublished",
    "outdated": "Republish?",
    "published": "Published",
    "missing": "Missing",
    "errors": "Errors",
}


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


def badge_for(movie: Any) -> Badge:
    state = state_of(movie.identification_status, movie.publish_state, movie.missing)
    warnings = getattr(movie, "publish_warnings", None) or []
    if state == "published" and warnings:  # published with warnings: pictures left out for now
        n = len(warnings)
        return Badge(
            f"Published – {n} picture{'s' if n > 1 else ''} missing",
            "warning",
            "; ".join(warnings) + " (tried again later by itself)",
        )
    return BADGES[state]


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


# --- fields --------------------------------------------------------------------------------

FIELD_LABELS = {
    "title": "Title",
    "original_title": "Original title",
    "sort_title": "Sort title",
    "year": "Year",
    "premiered": "Premiered",
    "plot": "Plot",
    "outline": "Outline",
    "tagline": "Tagline",
    "runtime": "Runtime (minutes)",
    "mpaa": "Rating (MPAA)",
    "rating": "TMDB rating (0–10)",
    "votes": "Votes",
    "genres": "Genres",
    "countries": "Countries",
    "studios": "Studios",
    "directors": "Directors",
    "writers": "Writers",
    "tags": "Tags",
    "set_name": "Collection",
    "set_overview": "Collection overview",
    "trailer": "Trailer",
}
LIST_FIELDS = frozenset({"genres", "countries", "studios", "directors", "writers", "tags"})
LONG_FIELDS = frozenset({"plot", "outline", "set_overview"})  # edited in a text area
WIDE_FIELDS = LONG_FIELDS | {"tagline", "trailer"}  # shown across the whole width
# The item page's order: short fields in rows of four (two rows, so no gaps), then the wide ones.
FIELD_ORDER = (
    "title",
    "original_title",
    "sort_title",
    "year",
    "premiered",
    "runtime",
    "mpaa",
    "rating",
    "plot",
    "outline",
    "tagline",
    "genres",
    "countries",
    "studios",
    "directors",
    "writers",
    "tags",
    "set_name",
    "votes",
    "trailer",
    "set_overview",
)
COMPACT_FIELDS = frozenset(FIELD_ORDER[:8])  # short values: two to a row even on a phone
INT_FIELDS = {"year": (1870, 2100), "runtime": (0, 10_000), "votes": (0, 10**10)}
MAX_TEXT = 20_000


def field_text(name: str, value: Any) -> str:
    """A field's value as the user sees and edits it."""
    if value is None:
        return ""
    if name in LIST_FIELDS:
        return ", ".join(str(v) for v in value or [])
    if name == "rating":
        return f"{value:g}"
    return str(value)


def parse_field(name: str, raw: str) -> Any:
    """What the user typed, as the column's value; ValueError with a readable reason."""
    if name not in FIELD_LABELS:
        raise ValueError(f"{name!r} is not an editable field")
    label = FIELD_LABELS[name]
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"{label}: too long ({len(text)} characters, at most {MAX_TEXT})")
    if name in LIST_FIELDS:
        items: list[str] = []
        for part in text.split(","):
            part = " ".join(part.split())
            if part and part not in items:
                items.append(part)
        return items
    if not text:
        if name == "title":
            raise ValueError("Title: must not be empty")
        return None
    if name in INT_FIELDS:
        low, high = INT_FIELDS[name]
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{label}: must be between {low} and {high}")
        return number
    if name == "rating":
        try:
            rating = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a number") from None
        if not 0 <= rating <= 10:
            raise ValueError(f"{label}: must be between 0 and 10")
        return round(rating, 1)
    if name == "premiered":
        try:
            return _dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a date like 1999-03-31") from None
    if "\n" in text and name not in LONG_FIELDS:
        text = " ".join(text.split())
    return text


# --- small formatting helpers (Jinja filters) ----------------------------------------------


def human_size(size: int | None) -> str:
    if not size:
        return "–"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def ago(when: _dt.datetime | None, now: _dt.datetime | None = None) -> str:
    """'3 min ago' for a naive-UTC timestamp."""
    if when is None:
        return "never"
    seconds = int(((now or db.now()) - when).total_seconds())
    if seconds < 5:
        return "just now"
    for span, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= span:
            return f"{seconds // span} {unit} ago"
    return f"{seconds} s ago"


def channels_text(channels: int | None) -> str:
    return {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(channels or 0, str(channels or "?"))


# --- publish preview -------------------------------------------------------------------------

PLAN_ORDER = ("write", "replace", "remove", "keep", "leave")
PLAN_VERBS = {
    "write": "new",
    "replace": "replace",
    "remove": "remove",
    "keep": "unchanged",
    "leave": "left alone",
}


@dataclass(frozen=True)
class PlanView:
    summary: str
    notes: list[str]
    files: list[tuple[str, str, str, bool]]  # (action, path relative to the folder, reason, backup)
    diff: list[tuple[str, str]]  # (css class, line) of the NFO diff
    folder: str
    changes: bool

    @property
    def changed_lines(self) -> int:
        return sum(css in ("add", "del") for css, _line in self.diff)


def plan_view(plan: Any) -> PlanView:
    """A publish plan (metarrd.layout.PublishPlan) as the preview shows it."""

    def rel(path: Any) -> str:
        try:
            return str(path.relative_to(plan.folder))
        except ValueError:
            return str(path)

    files = sorted(
        ((a.action, rel(a.path), a.reason, a.backup) for a in plan.actions),
        key=lambda f: (PLAN_ORDER.index(f[0]) if f[0] in PLAN_ORDER else 9, f[1]),
    )
    diff = []
    for line in plan.nfo_diff().splitlines():
        if line.startswith(("+++", "---")):
            css = "head"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        elif line.startswith("@@"):
            css = "hunk"
        else:
            css = ""
        diff.append((css, line))
    counts = {a: sum(f[0] == a for f in files) for a in PLAN_ORDER}
    summary = " · ".join(f"{n} {PLAN_VERBS[a]}" for a, n in counts.items() if n) or "no files"
    return PlanView(summary, list(plan.notes), files, diff, str(plan.folder), bool(plan.changes))
