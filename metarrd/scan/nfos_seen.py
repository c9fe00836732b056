"""The NFOs a full rescan saw last, by their size and mtime: it tells an NFO the user or another
tool (tinyMediaManager, MediaElch, Jellyfin) added or changed beside an unchanged video while the
daemon was down, which a scan of the folder (the watcher's) reads, at one `stat` per NFO.

A library's are one `meta` row (`nfos_seen:<library id>`, a JSON object of path -> [size,
mtime_ns]), written by a scan of the whole library only, and only when they changed; it goes
when the library leaves the configuration (`db.mirror_config`). An NFO not
there, or there with another size or mtime, is looked at again: the videos beside it are
checked as a scan of their folder checks them (their NFO's content against what the item took
in), unless the ledger knows the NFO as ours, its size and mtime still those recorded after
PUBLISH wrote it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from metarrd import db
from metarrd.files import is_utf8

_KEY = db.NFOS_SEEN_KEY
_CHUNK = 500  # paths in one `IN (...)`: SQLite's older limit on variables is 999

Stats = dict[str, list[int]]  # path -> [size, mtime_ns]: as JSON reads it, compared as it is


class NfosSeen:
    """The library's NFOs as its last full rescan saw them, against those this one finds
    (`took`, from the walk)."""

    def __init__(self, library: db.Library) -> None:
        self.key = _KEY.format(library.id)
        self.now: Stats = {}
        self.before: Stats | None = None  # read when the walk finds a first NFO
        self.new: set[str] = set()
        # the folders to look in: each unchanged video's NFO is looked for near it (`near`)
        self.folders: set[str] = set()
        self.again: set[str] = set()  # folders whose new NFOs the next full rescan looks at again

    def took(self, found: Stats) -> None:
        """The NFOs the walk found (the library's, or a TV show's): those the last full rescan
        did not see as they are now, and PUBLISH did not write, are `new`."""
        if not all(map(is_utf8, found)):  # no name that cannot be stored: none is read either
            found = {p: st for p, st in found.items() if is_utf8(p)}
        if not found:
            return
        if self.before is None:
            self.before = _parsed(db.get_meta(self.key))
        self.now.update(found)
        new = [p for p, st in found.items() if self.before.get(p) != st]
        if new:
            ours = _ledger(new)
            new = [p for p in new if ours.get(p) != found[p]]
        self.new.update(new)
        self.folders.update(os.path.dirname(p) for p in new)

    def near(self, video_file: str, is_disc: bool) -> list[str]:
        """The folders of `folders` where the NFO of a video is looked for (`find_nfo`): its
        own, the one above (a stack's parts in `CD1/`, `CD2/`), a disc's `VIDEO_TS/`."""
        here = os.path.dirname(video_file)
        found = [f for f in (video_file, here, os.path.dirname(here)) if f in self.folders]
        if is_disc:
            found += [f for f in self.folders if f.startswith(video_file + os.sep)]
        return found

    def look_again(self, folders: Iterable[str]) -> None:
        """The new NFOs of these folders stay new for the next full rescan: one could not be
        read (0600 of another user, EIO), so its edit was not taken in; said again then. One
        read, even with an error (refused, not XML), is seen: an error is news once."""
        self.again.update(folders)

    def save(self) -> None:
        """Keep this rescan's NFOs as seen, not those of `again`; one write, when they changed.
        In the scan's write transaction: a scan whose job claim was lost writes nothing."""
        seen = {
            p: st
            for p, st in self.now.items()
            if p not in self.new or os.path.dirname(p) not in self.again
        }
        # none found (a library without NFOs): not one statement more a rescan; those kept
        # stay, an NFO put back as it was (same size and mtime) is the one seen then
        if self.before is None or seen == self.before:
            return
        value = json.dumps(seen, ensure_ascii=False)
        with db.write_transaction():
            db.set_meta(self.key, value)


def _parsed(raw: str | None) -> Stats:
    if not raw:
        return {}
    try:
        seen = json.loads(raw)
    except ValueError:
        seen = None
    # anything else (not written by us): every NFO is looked at once; a value not [size,
    # mtime] equals no stat, and is looked at
    return seen if isinstance(seen, dict) else {}


def _ledger(paths: list[str]) -> Stats:
    """The size and mtime PUBLISH recorded after writing each of `paths` it wrote."""
    F = db.LibraryFile
    out: Stats = {}
    for i in range(0, len(paths), _CHUNK):
        query = F.select(F.path, F.size, F.mtime_ns).where(F.path.in_(paths[i : i + _CHUNK]))
        out.update((path, [size, mtime]) for path, size, mtime in query.tuples())
    return out
