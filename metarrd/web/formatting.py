"""Small formatting helpers for the templates (sizes, times, channels) and the publish preview's
view of a plan. Pure."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from metarrd import db


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
    """'3 min ago' for a naive-UTC timestamp; 'on 2024-05-20' from 30 days back ('940 d ago'
    left the reader to work out when that was)."""
    if when is None:
        return "never"
    seconds = int(((now or db.now()) - when).total_seconds())
    if seconds >= 30 * 86400:
        return f"on {when:%Y-%m-%d}"
    if seconds < 5:
        return "just now"
    for span, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= span:
            return f"{seconds // span} {unit} ago"
    return f"{seconds} s ago"


def local_ago(when: _dt.datetime | None, now: _dt.datetime | None = None) -> str:
    """`ago` for a naive local-time stamp: an item's date added, which is the local wall clock
    as Kodi's `<dateadded>` is (it was read as UTC: "5 h ago" for a movie found a minute before
    in New York, "just now" for one of 10 hours before in Auckland)."""
    if when is None:
        return ago(None, now)
    try:
        utc = when.astimezone(_dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):  # a year past 9999 or before 1 in UTC
        utc = when
    said = ago(utc, now)
    return f"on {when:%Y-%m-%d}" if said.startswith("on ") else said  # the local day


def channels_text(channels: int | None) -> str:
    return {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(channels or 0, str(channels or "?"))


def relative_path(path: str, root: str | None) -> str:
    """`path` relative to `root` when it lies inside it, else the file's last two parts."""
    pure = PurePosixPath(path)
    if root:
        try:
            return str(pure.relative_to(root))
        except ValueError:
            pass
    return str(PurePosixPath(*pure.parts[-2:])) if len(pure.parts) > 1 else path


def shorter_paths(text: str, folders: dict[str, tuple[str, str]]) -> str:
    """`text` (a message) with the absolute paths under `folders` shortened, each folder ->
    (what its files' paths start with instead, what the folder itself is called): a library's
    files relative to it, as the rest of the UI shows them; the data dir's and the cache's never
    in full. A longer folder goes first (the cache inside the data dir)."""
    for folder in sorted(folders, key=len, reverse=True):
        inside, itself = folders[folder]
        if not folder.strip("/"):
            continue  # a library at "/" would take every slash
        head = re.escape(folder.rstrip("/"))
        text = re.sub(
            head + r"(?:/|(?=[\s'\"),;:]|$))",
            lambda m, inside=inside, itself=itself: inside if m[0].endswith("/") else itself,
            text,
        )
    return text


def path_folders(config: Any) -> dict[str, tuple[str, str]]:
    """`shorter_paths`' folders of a configuration: its libraries, data dir and cache."""
    folders = {lib.path: ("", f"the library folder of {lib.name}") for lib in config.library}
    folders[str(config.data_path)] = ("", "the data folder")
    folders[str(config.cache_dir)] = ("cache/", "the cache")
    return folders


LANGUAGES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "pl": "Polish", "cs": "Czech", "hu": "Hungarian", "ru": "Russian",
    "uk": "Ukrainian", "tr": "Turkish", "el": "Greek", "he": "Hebrew", "ar": "Arabic",
    "hi": "Hindi", "ja": "Japanese", "ko": "Korean", "zh": "Chinese", "th": "Thai",
}  # fmt: skip


def language_name(code: str | None) -> str:
    """'fr' -> 'French'; None (an image without text) -> 'no text'."""
    if not code:
        return "no text"
    return LANGUAGES.get(code.lower(), code)


JOB_KINDS = {
    "scan": "Scan",
    "identify": "Identify",
    "search": "Search",
    "enrich": "Enrich",
    "publish": "Publish",
    "notify": "Notify players",
    "probe": "Connection test",
    "catch_up": "Catch up",
}


# The library's bulk actions, as its buttons name them; the activity names a batch so too (a
# bulk "Re-identify" queues identify jobs, and its bulk work read "Identify").
BULK_ACTIONS = {
    "enrich": "Enrich",
    "publish": "Publish",
    "lock": "Lock fields",
    "identify": "Re-identify",
}


def job_text(text: str) -> str:
    """ "enrich queued" -> "Enrich queued" (a row's active job)."""
    kind, _, state = text.partition(" ")
    return f"{JOB_KINDS.get(kind, kind.capitalize())} {state}".strip()


# Event kinds as the activity page and an item's history name them.
EVENT_LABELS = {
    "scan.found": "Found",
    "scan.missing": "File missing",
    "scan.renamed": "File renamed",
    "scan.skipped": "Skipped by name",
    "scan.removed": "Files removed",
    "scan.done": "Scan finished",
    "identify.done": "Identified",
    "identify.failed": "Identify failed",
    "identify.unsure": "Needs your choice",
    "identify.changed": "Another show chosen",
    "scan.failed": "Scan failed",
    "scan.error": "Scan problem",
    "scan.warning": "Scan warning",
    "webhook.received": "Webhook received",
    "webhook.ignored": "Webhook ignored",
    "webhook.missing": "Webhook folder missing",
    "settings.changed": "Settings changed",
    "notify.retrying": "Player retry",
    "auth.password_changed": "Password changed",
    "search.done": "Search finished",
    "search.failed": "Search failed",
    "enrich.done": "Enriched",
    "enrich.failed": "Enrich failed",
    "publish.done": "Published",
    "publish.failed": "Publish failed",
    "notify.done": "Players notified",
    "notify.failed": "Player not reached",
    "review.edited": "Edited",
    "review.locked": "Lock changed",
    "review.selected": "Artwork chosen",
    "bulk.queued": "Bulk work queued",
    "probe.done": "Connection tested",
    "probe.failed": "Connection test failed",
}
_OUTCOMES = {"done": "finished", "failed": "failed", "started": "started", "queued": "queued"}


def event_text(kind: str) -> str:
    """A person's words for an event kind (never the raw code)."""
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    stage, _, outcome = kind.partition(".")
    words = JOB_KINDS.get(stage, stage.replace("_", " ").capitalize())
    return f"{words} {_OUTCOMES.get(outcome, outcome.replace('_', ' '))}".strip()


# Each starts where a run of white space does, and takes it whole (`(?<!\s)`, possessive `*+`):
# a message names an item by its title, which a movie.nfo may fill with thousands of spaces,
# and trying every start and every split of such a run took hours for 20,000 of them.
_CLI_CLAUSE = re.compile(
    r"(?<!\s)(?:\s*+[;,]\s*+|\s++)(?:or\s+)?run\s+`metarrd[^`]*`(?:\s+first)?"  # "; or run `…`"
    r"(?:\s*\(or\s+--[a-z]+\s+ID\))?"  # "… --tmdb ID` (or --tvdb ID)"
    r"|(?<!\s)\s*+\((?:[^()]*?;\s*)?run\s+`metarrd[^`]*`(?:\s+first)?\)"  # "(it is …; run `…` first)"
)
_CHOOSE_CLAUSE = re.compile(r"(?<!\s)\s*+;?\s*+choose one in the UI\b")
_PROPER = (
    (re.compile(r"\bradarr/sonarr\b", re.I), "Radarr/Sonarr"),
    (re.compile(r"\b(?:tmdb)\b"), "TMDB"),
    (re.compile(r"\b(?:imdb)\b"), "IMDb"),
    (re.compile(r"\bradarr\b"), "Radarr"),
    (re.compile(r"\bsonarr\b"), "Sonarr"),
    (re.compile(r"\bkodi\b"), "Kodi"),
    (re.compile(r"\bjellyfin\b"), "Jellyfin"),
)


def plain_message(text: str | None) -> str:
    """A stage's message as the UI says it: without command lines for the terminal (the page
    has the button), without backticks, proper nouns capitalised."""
    if not text:
        return ""
    text = _CLI_CLAUSE.sub("", text)
    # "…: `metarrd tv order 11 absolute` or the show page": the page is where the user is
    text = re.sub(r"`metarrd[^`]*`\s+or\s+(?=the\b)", "on ", text)
    text = _CHOOSE_CLAUSE.sub("", text)
    text = text.replace("`", "")
    for pattern, name in _PROPER:
        text = pattern.sub(name, text)
    return text.strip()


# --- publish preview -------------------------------------------------------------------------

PLAN_ORDER = ("write", "replace", "remove", "keep", "leave")
PLAN_VERBS = {
    "write": "new",
    "replace": "replace",
    "remove": "remove",
    "keep": "unchanged",
    "leave": "left alone",
}


# The preview lists at most this many files of each list (to change, unchanged); the counts
# say all of them. A whole show of 30 seasons of 500 files is 15,000 lines (a 3 MB page).
PLAN_FILES_LISTED = 500


@dataclass(frozen=True)
class PlanView:
    summary: str
    notes: list[str]
    files: list[tuple[str, str, str, bool]]  # (action, path relative to the folder, reason, backup)
    diff: list[tuple[str, str]]  # (css class, line) of the NFO diff
    folder: str
    changes: bool
    info: list[str] = ()  # type: ignore[assignment]  # notes that are no problem

    @property
    def changed_lines(self) -> int:
        return sum(css in ("add", "del") for css, _line in self.diff)

    @property
    def changed_files(self) -> list[tuple[str, str, str, bool]]:
        """What publishing writes, replaces or removes: shown first."""
        return [f for f in self.files if f[0] in ("write", "replace", "remove")]

    @property
    def unchanged_files(self) -> list[tuple[str, str, str, bool]]:
        """What stays as it is: folded away."""
        return [f for f in self.files if f[0] not in ("write", "replace", "remove")]

    @property
    def listed(self) -> int:
        """How many files of each list the preview shows."""
        return PLAN_FILES_LISTED


_REDOWNLOAD = re.compile(
    r"^(?P<what>.+?): (?:(?:image )?missing from the cache; it is downloaded again"
    r"|not downloaded yet; it is downloaded) on publish"  # a chosen alternative: only previewed
    r"(?: \((?P<type>its file type[^()]*)\))?$"  # the name's extension before the download
)


def split_notes(notes: list[str]) -> tuple[list[str], list[str]]:
    """(warnings, information): a chosen image that is not downloaded yet is no problem (publish
    fetches it), so it is said plainly instead of as a warning."""
    warnings, info = [], []
    for note in notes:
        if m := _REDOWNLOAD.match(note):
            kind = f" ({m.group('type')})" if m.group("type") else ""
            info.append(f"{m.group('what')} is downloaded when you publish{kind}.")
        else:
            warnings.append(note)
    return warnings, info


def plan_view(plan: Any, say: Callable[[str], str] = str) -> PlanView:
    """A publish plan (metarrd.layout.PublishPlan) as the preview shows it; `say` words its
    notes and reasons (their paths shortened)."""

    def rel(path: Any) -> str:
        try:
            return str(path.relative_to(plan.folder))
        except ValueError:
            # a folder stack's art, in the movie folder above its `CD1/`: `../Heat-poster.jpg`
            if path.parent == plan.folder.parent:
                return f"../{path.name}"
            return str(path)

    files = sorted(
        ((a.action, rel(a.path), say(a.reason), a.backup) for a in plan.actions),
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
    # the separator glued to the count before it (a no-break space): no line starts with "·"
    summary = "\u00a0· ".join(f"{n} {PLAN_VERBS[a]}" for a, n in counts.items() if n) or "no files"
    warnings, info = split_notes([say(note) for note in plan.notes])
    return PlanView(summary, warnings, files, diff, str(plan.folder), bool(plan.changes), info)
