"""Metadata fields as the item page edits them: labels, display order, and the parsing of what a
user typed (numbers in range, dates, lists). Pure: no database queries, no Flask."""

from __future__ import annotations

import calendar
import datetime as _dt
import secrets
from collections.abc import Iterable
from typing import Any

from metarrd import db
from metarrd.fields import block_lock

_HASH_MOD = (1 << 61) - 1  # a prime: the rolling hash of comma-separated runs

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
    "status": "Status",
    "aired": "Aired",
}
LIST_FIELDS = frozenset({"genres", "countries", "studios", "directors", "writers", "tags"})
LONG_FIELDS = frozenset({"plot", "outline", "set_overview"})  # edited in a text area
# How a list is edited: one name per line, in a text area. A name may hold a comma ("Sammy
# Davis, Jr.", TMDB's company "Warner Bros. Pictures, Inc.", its keyword "paris, france"), so
# a comma separates names only in what a form of before (a one-line input) or a script sends:
# the text area's form says it sends lines (`LIST_FORM`, `ONE_PER_LINE`).
LIST_FORM = "list"
ONE_PER_LINE = "lines"
LIST_SHOWN_SEPARATOR = " · "  # how the page shows a list: a comma there would be ambiguous
WIDE_FIELDS = LONG_FIELDS | {"tagline", "trailer"}  # shown across the whole width
# The item page's order: short fields in rows of four (two rows, so no gaps), then the wide ones.
# The item page's order: short values first (two to a row even on a phone), then the texts and
# lists in the database's order, then the rarely edited ones.
_COMPACT = (
    "title",
    "original_title",
    "sort_title",
    "year",
    "premiered",
    "runtime",
    "mpaa",
    "rating",
)
_LAST = ("votes", "trailer", "set_overview")
TV_ONLY = ("status", "aired")  # a show's and an episode's: no movie NFO writes them
_MOVIE = tuple(f for f in db.EDITABLE_FIELDS if f not in _COMPACT + _LAST + TV_ONLY)
FIELD_ORDER = _COMPACT + _MOVIE + _LAST  # a movie's page
COMPACT_FIELDS = frozenset(_COMPACT + TV_ONLY)
DATE_FIELDS = frozenset({"premiered", "aired"})
INT_FIELDS = db.INT_RANGES  # the NFO reader takes the same
MAX_TEXT = db.MAX_TEXT  # the NFO reader takes the same


def is_field(name: str) -> bool:
    """Whether `name` is a field the item page may edit: one of FIELD_LABELS, or a later
    episode's own field of a multi-episode file (`aired-2`, `title-2`, `plot-2`: its second
    episode's air date, title, plot)."""
    return name in FIELD_LABELS or block_lock(name) is not None


def field_base(name: str) -> str:
    """The field a name edits: `aired` of `aired-2` (a later episode's air date), `plot` of
    `plot-2`, else itself."""
    lock = block_lock(name)
    return lock[0] if lock is not None else name


def field_label(name: str, details: Any = ()) -> str:
    """A field's label; a later episode's own field names its episode ("Title (S01E02)"), from
    the file's `details` when it has that block."""
    lock = block_lock(name)
    if lock is None:
        return FIELD_LABELS[name]
    base, index = lock
    details = list(details or [])
    block = details[index] if index < len(details) and isinstance(details[index], dict) else {}
    season, episode = block.get("season"), block.get("episode")
    if isinstance(season, int) and isinstance(episode, int):
        return f"{FIELD_LABELS[base]} (S{season:02d}E{episode:02d})"
    return f"{FIELD_LABELS[base]} (episode {index + 1} of the file)"


def field_value(movie: Any, name: str) -> Any:
    """A field's value on an item: its column, or for a later episode's own field (`title-2`)
    that episode's block of `episode_details`; None where the file has no such block."""
    lock = block_lock(name)
    if lock is None:
        return getattr(movie, name)
    base, index = lock
    details = movie.episode_details or []
    block = details[index] if index < len(details) else None
    return block.get(base) if isinstance(block, dict) else None


def field_text(name: str, value: Any) -> str:
    """A field's value as the user edits it (a list: one name per line)."""
    if value is None:
        return ""
    if name in LIST_FIELDS:
        return "\n".join(str(v) for v in value or [])
    if name == "rating":
        return f"{value:g}"
    text = str(value)
    if name not in LONG_FIELDS and ("\n" in text or "\r" in text):
        # a one-line input cannot show a line break (HTML strips it from the value, words
        # glued): shown, and saved unless edited, as `parse_field` reads a typed one
        return " ".join(text.split())
    return text


def field_shown(name: str, value: Any) -> str:
    """A field's value as the item page shows it (a list's names apart, as no comma keeps
    them: "Sammy Davis, Jr. · Frank Sinatra")."""
    if name in LIST_FIELDS and value is not None:
        return LIST_SHOWN_SEPARATOR.join(str(v) for v in value or [])
    return field_text(name, value)


def field_parts(name: str, value: Any) -> list[str] | None:
    """A list field's names, each shown whole with its separator (`_field.html`: a line of the
    page never starts with " · "); None for any other field."""
    if name in LIST_FIELDS and value:
        return [str(v) for v in value]
    return None


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def sent_back_as_shown(name: str, raw: str, value: Any, *, one_per_line: bool = False) -> bool:
    """Whether `raw` is `value` as its edit form showed it, sent back untouched: a browser sends
    every line break of a text area as CR LF, whatever the value held (HTML reads CR LF and a
    lone CR as LF, and submits each LF as CR LF). A list from a form of before (not
    `one_per_line`) came comma-separated."""
    if name in LIST_FIELDS and not one_per_line and value:
        return (raw or "").strip() == ", ".join(str(v) for v in value)
    return _lines(raw or "") == _lines(field_text(name, value))


def _known_names_whole(parts: list[str], known: Iterable[str]) -> list[str]:
    """Comma-separated `parts` with the runs that spell a known name ("Sammy Davis", "Jr.")
    joined back into it: in a list sent comma-separated, those commas were that name's.

    The longest known run wins at each place. Runs are found by a rolling hash of the parts
    (confirmed by comparing the text), so a known name of thousands of commas from a hostile
    NFO costs one lookup per distinct run length at each part, not a join of every run."""
    runs: dict[int, dict[int, list[str]]] = {}  # run length -> hash -> names
    ids: dict[str, int] = {}
    base = secrets.randbelow(_HASH_MOD - 2) + 2  # not a value a hostile name can aim at
    for name in {" ".join(str(n).split()) for n in known if "," in str(n)}:
        tokens = [" ".join(p.split()) for p in name.split(",")]
        if ", ".join(tokens) != name:  # "A ,B": no run of comma-separated parts spells it
            continue
        code = 0
        for token in tokens:
            code = (code * base + ids.setdefault(token, len(ids) + 1)) % _HASH_MOD
        runs.setdefault(len(tokens), {}).setdefault(code, []).append(name)
    if not runs:
        return parts
    prefix = [0]
    for part in parts:
        prefix.append((prefix[-1] * base + ids.get(part, 0)) % _HASH_MOD)
    widths = [(k, pow(base, k, _HASH_MOD)) for k in sorted(runs, reverse=True)]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for k, power in widths:
            j = i + k
            if j > len(parts):
                continue
            found = runs[k].get((prefix[j] - prefix[i] * power) % _HASH_MOD, ())
            whole = ", ".join(parts[i:j]) if found else ""
            if whole in found:
                out.append(whole)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return out


def parse_field(
    name: str, raw: str, *, one_per_line: bool = False, known: Iterable[str] = ()
) -> Any:
    """What the user typed, as the column's value; ValueError with a readable reason. A list
    is one name per line when `one_per_line` (its text area), else comma-separated, where
    the commas of a `known` name (the list's as it was) are that name's own."""
    if not is_field(name):
        raise ValueError(f"{name!r} is not an editable field")
    name = field_base(name)  # a later episode's title, air date, plot: read as the first's
    label = FIELD_LABELS[name]
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"{label}: too long ({len(text)} characters, at most {MAX_TEXT})")
    if name in LIST_FIELDS:
        parts = [" ".join(p.split()) for p in text.split("\n" if one_per_line else ",")]
        if not one_per_line:
            parts = _known_names_whole(parts, known)
        items: list[str] = []
        for part in parts:
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
    if name in DATE_FIELDS:
        try:
            return _dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{label}: {_not_a_date(text)}") from None
    if "\n" in text and name not in LONG_FIELDS:
        text = " ".join(text.split())
    return text


def _not_a_date(text: str) -> str:
    """Why `text` is no date: its form, or, in the right form (YYYY-MM-DD), the day no calendar
    has ("2008-02-30": February 2008 has 29), which "not a date like 1999-03-31" put as a form
    typed wrong."""
    parts = text.split("-")
    if (
        len(parts) != 3
        or [len(p) for p in parts] != [4, 2, 2]
        or not all(p.isascii() and p.isdigit() for p in parts)
    ):
        return f"{text!r} is not a date like 1999-03-31"
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        return f"{text!r} is not a date: a year has 12 months"
    if year == 0:
        return f"{text!r} is not a date: there is no year 0"
    last = calendar.monthrange(year, month)[1]
    return f"{text!r} is not a date: {calendar.month_name[month]} {year} has {last} days"
