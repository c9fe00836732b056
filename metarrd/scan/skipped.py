"""What a scan left out by name, kept for the user: a movie or episode that "does not show up"
may be one metarrd took for a sample, a trailer or an extra (`walk.skip_rule`).

Each library keeps the list of its latest scan only, in one `meta` row (`skipped:<library id>`):
the path relative to the library and the rule, at most `SHOWN` entries and the count of all.
A scan writes it once, at its end, and only when it changed: a rescan of an unchanged library
writes nothing. A scan of part of a library (the watcher's, a webhook's, `metarrd scan PATH`)
replaces what was listed under the folders it walked and keeps the rest. The row goes when the
library leaves the configuration (`db.mirror_config`).

Paths are stored as they can be shown: bytes that are not UTF-8 as `\\xNN`, control characters
and bidirectional marks (an RTL override that would reverse the line) as `\\n`, `\\u202e`.
"""

from __future__ import annotations

import json
import os
import re

from metarrd import db
from metarrd.files import display
from metarrd.logs import escape_controls
from metarrd.paths import is_inside

SHOWN = 200  # entries kept per library; the rest is counted ("and N more")
_KEY = db.SKIPPED_KEY

# the marks that reorder or hide text: LRM/RLM, ALM, embeddings and overrides, isolates
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """`text` (a path or a rule naming one) safe to print or put in a page as it is."""
    text = escape_controls(display(text))
    return _BIDI.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class Skipped:
    """The skips of one library's scan, as the walk reports them (`on_skip`): bounded."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self.entries: list[tuple[str, str]] = []  # (path relative to the root, rule)
        self.total = 0
        self.walked: list[str] = []  # the folders walked (absolute); [root] for a whole scan

    def __call__(self, path: str | os.PathLike[str], rule: str) -> None:
        self.total += 1
        if len(self.entries) < SHOWN:
            self.entries.append((shown(os.path.relpath(path, self.root)), shown(rule)))


def load(library_ids: list[int]) -> dict[int, dict]:
    """{library id: {"entries": [(path, rule)...], "total": n}} as the latest scans left them;
    a library never scanned, or that skipped nothing, is left out."""
    keys = {_KEY.format(i): i for i in library_ids}
    out: dict[int, dict] = {}
    if not keys:
        return out
    for key, value in (
        db.Meta.select(db.Meta.key, db.Meta.value).where(db.Meta.key.in_(list(keys))).tuples()
    ):
        try:
            data = json.loads(value)
            entries = [(str(p), str(r)) for p, r in data["entries"]]
            total = int(data["total"])
        except (ValueError, KeyError, TypeError):
            continue
        if total:
            out[keys[key]] = {"entries": entries, "total": max(total, len(entries))}
    return out


def save(library: db.Library, skipped: Skipped) -> None:
    """Keep `skipped` as the library's list: the whole of it after a scan of the whole library,
    else in place of what was listed under the folders walked. One write, when it changed; and
    then one `scan.skipped` event when something is listed that was not (the activity page).
    Read and written in one write transaction: a job's, so a scan whose claim was lost writes
    nothing over the list of the scan that took over (docs/scale-out.md), and two scans of two
    folders of the library do not each write the list they read without the other's."""
    with db.write_transaction():
        _save(library, skipped)


def _save(library: db.Library, skipped: Skipped) -> None:
    key = _KEY.format(library.id)
    before = db.get_meta(key)
    old = _parsed(before)
    entries, total = skipped.entries, skipped.total
    if skipped.walked != [skipped.root] and old is not None:
        entries, total = _merged(old, skipped)
    if before is None and not total:
        return
    entries = sorted(entries)
    value = json.dumps({"entries": entries, "total": total}, ensure_ascii=False)
    if value == before:
        return
    db.set_meta(key, value)
    known = {str(p) for p, _r in (old or {}).get("entries", [])}
    new = [(p, r) for p, r in entries if p not in known]
    if new:
        path, rule = new[0]
        more = f" and {len(new) - 1} more" if len(new) > 1 else ""
        db.record_event(
            "scan.skipped",
            f"Library {library.name}: {path} skipped by name, {rule}{more}; "
            "Settings, Libraries lists what the latest scan skipped",
        )


def _parsed(value: str | None) -> dict | None:
    try:
        data = json.loads(value) if value is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _merged(old: dict, new: Skipped) -> tuple[list, int]:
    """The stored list with what lay under the folders `new` walked replaced by `new`'s."""
    walked = [shown(os.path.relpath(folder, new.root)) for folder in new.walked]
    whole = "." in walked

    def under(rel: str) -> bool:
        return whole or any(is_inside(rel, top) for top in walked)

    listed = [(str(p), str(r)) for p, r in old.get("entries", [])]
    kept = [e for e in listed if not under(e[0])]
    unlisted = max(int(old.get("total", 0)) - len(listed), 0)  # where they lie is not known
    fresh = {e[0]: e for e in kept}
    fresh.update({e[0]: e for e in new.entries})
    return sorted(fresh.values())[:SHOWN], len(kept) + unlisted + new.total
