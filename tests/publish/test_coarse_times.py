"""A library on a file system that keeps file times in whole seconds (FAT's 2 s, exfat-fuse's
1 s: a USB disk on a NAS or a player; ext3, HFS+): a save of the same size within the second
of our publish leaves the file's size, mtime and ctime as publish recorded them. The lstat
that lets publish know its own file without reading it ("Knowing a file unchanged",
docs/publish.md) then vouches for the user's bytes: their save was replaced with no copy."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from metarrd import db
from metarrd.pipeline import watch
from metarrd.publish import preview_publish, publish_item
from metarrd.publish.layout import KEEP, REPLACE
from metarrd.scan import scan

BASE = "The Matrix (1999)"
TICK = 1_700_000_000 * 10**9  # every time in the library: saves all land in one second


class _Stamped:
    """An lstat whose mtime and ctime are those of a file system with a long clock tick."""

    def __init__(self, st: os.stat_result) -> None:
        self._st = st
        self.st_mtime_ns = self.st_ctime_ns = TICK
        self.st_mtime = self.st_ctime = TICK / 10**9

    def __getattr__(self, name):
        return getattr(self._st, name)


def in_whole_seconds(monkeypatch, folder: Path) -> None:
    """Files under `folder` stat with times in whole seconds, all in one second."""
    for name in ("lstat", "stat"):
        real = getattr(os, name)

        def look(path, *args, _real=real, **kwargs):
            st = _real(path, *args, **kwargs)
            inside = isinstance(path, str | os.PathLike) and not isinstance(path, bytes)
            if inside and str(path).startswith(f"{folder}{os.sep}"):
                return _Stamped(st)
            return st

        monkeypatch.setattr(os, name, look)


def edit_same_size(nfo: Path) -> bytes:
    """tinyMediaManager's save of the NFO, one letter changed: the same size."""
    theirs = nfo.read_bytes().replace(b"<title>The Matrix</title>", b"<title>The Matrlx</title>")
    nfo.write_bytes(theirs)
    return theirs


def assert_copied_then_replaced(rt, built, nfo: Path, theirs: bytes) -> None:
    plan = {a.path: a for a in preview_publish(rt, built.movie).actions}
    assert (plan[nfo].action, plan[nfo].backup) != (KEEP, False), "taken for ours, unchanged"
    db.Movie.update(plot="Edited in metarrd.").where(db.Movie.id == built.movie.id).execute()
    plan = {a.path: a for a in preview_publish(rt, built.reload()).actions}
    assert (plan[nfo].action, plan[nfo].backup) == (REPLACE, True)

    result = publish_item(rt, built.reload())

    assert str(nfo) in result.backed_up
    copy = db.CacheImageFile.get(db.CacheImageFile.file_hash == hashlib.sha256(theirs).hexdigest())
    assert Path(copy.file_path).read_bytes() == theirs
    assert b"Edited in metarrd." in nfo.read_bytes()


def test_a_same_size_save_in_the_second_of_our_publish_is_copied_before_it_is_replaced(
    rt, build, monkeypatch
):
    built = build()
    in_whole_seconds(monkeypatch, built.folder)
    publish_item(rt, built.movie)
    nfo = built.path(f"{BASE}.nfo")
    theirs = edit_same_size(nfo)
    assert_copied_then_replaced(rt, built, nfo, theirs)


def test_a_same_size_save_in_the_second_of_our_publish_is_read_by_the_scan(rt, build, monkeypatch):
    """The watcher passed the save over as our own write, and its scan of the folder read the
    NFO as ours, unchanged: the title the user corrected never reached the item."""
    built = build()
    in_whole_seconds(monkeypatch, built.folder)
    publish_item(rt, built.movie)
    nfo = built.path(f"{BASE}.nfo")
    assert watch._published([str(nfo)]) == {str(nfo)}  # its own write: no rescan
    edit_same_size(nfo)

    assert watch._published([str(nfo)]) == set()  # the watcher does not pass it over
    scan(rt, [built.folder])

    assert built.reload().title == "The Matrlx"


def test_on_a_real_exfat_disk_a_same_size_save_in_our_second_is_copied_first(
    make_rt, build, exfat_dir
):
    """exfat-fuse keeps times in whole seconds: the save made in the second of our publish
    (put there with `utime`, as a save within that second is) is the user's, not ours."""
    runtime = make_rt(libraries={"Movies": exfat_dir / "movies"})
    built = build(runtime=runtime)
    publish_item(runtime, built.movie)
    nfo = built.path(f"{BASE}.nfo")
    ours = os.lstat(nfo)
    assert ours.st_mtime_ns % 10**9 == 0  # exFAT through FUSE: whole seconds
    theirs = edit_same_size(nfo)
    os.utime(nfo, ns=(ours.st_atime_ns, ours.st_mtime_ns))
    assert (os.lstat(nfo).st_mtime_ns, os.lstat(nfo).st_ctime_ns) == (
        ours.st_mtime_ns,
        ours.st_ctime_ns,
    )
    assert_copied_then_replaced(runtime, built, nfo, theirs)
