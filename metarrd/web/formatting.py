"""Small formatting helpers for the templates (sizes, times, channels) and the publish preview's
view of a plan. Pure."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
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
