"""The modes of what PUBLISH writes into the user's library, in the setups other tools share
with it: a `media` group whose members (Radarr, Sonarr, tinyMediaManager, Kodi, a NAS share's
users) must be able to rewrite each other's files.

- A new file gets 0666 less the umask, a new folder 0777 less it, as `cp` and Kodi
  (`CPosixFile::OpenForWrite`) give them: a linuxserver.io container's `UMASK=002` or systemd's
  `UMask=0002` makes them group-writable. We wrote 0644 whatever the umask, as esbuild#3285 and
  Unmanic#629 report of tools that force a mode.
- A replaced file keeps its mode and group: Sonarr#871 shows what happens otherwise (its
  metadata left 0644 sonarr:sonarr among the 0660 sonarr:media files Sonarr's "Set
  Permissions" made); nzbdav#461: 644/755 files Sonarr could no longer delete.

The umask is the process's: set for the publish only, and put back.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from metarrd import db
from metarrd.atomic import new_file_mode
from metarrd.publish import publish_item
from tests.conftest import other_group, umask
from tests.publish.test_tv_publish import files_under
from tests.publish.tvshow import build_show, tv_runtime

BASE = "The Matrix (1999)"
MASKS = pytest.mark.parametrize("mask", [0o002, 0o022], ids=["umask002", "umask022"])


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def given(path: Path, data: bytes, bits: int, group: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, bits)
    os.chown(path, -1, group)
    return path


@MASKS
def test_a_movies_new_files_and_folders_follow_the_umask(rt, build, mask):
    built = build()
    with umask(mask):
        result = publish_item(rt, built.movie)
    written = [Path(p) for p in result.written]
    assert (
        built.path(f"{BASE}.nfo") in written and built.path(".actors/Keanu_Reeves.jpg") in written
    )
    assert {str(p.relative_to(built.folder)): mode(p) for p in written} == {
        str(p.relative_to(built.folder)): 0o666 & ~mask for p in written
    }
    assert mode(built.path(".actors")) == 0o777 & ~mask


@MASKS
def test_a_movies_replaced_files_keep_their_mode_and_group(rt, build, kit, mask):
    """tinyMediaManager's NFO (0660) and a poster Radarr's "Set Permissions" made 0664, both of
    the media group, replaced by ours: same mode, same group, whatever our umask. The files
    that are new get the umask's."""
    group = other_group()
    built = build()
    nfo = given(built.path(f"{BASE}.nfo"), b"<movie><title>tMM's</title></movie>", 0o660, group)
    poster = given(built.path(f"{BASE}-poster.jpg"), kit.image_bytes("poster"), 0o664, group)
    keanu = given(built.path(".actors/Keanu_Reeves.jpg"), b"Radarr's", 0o664, group)
    os.chown(built.path(".actors"), -1, group)  # the media group's folder, set-group-ID
    os.chmod(built.path(".actors"), 0o2775)

    with umask(mask):
        result = publish_item(rt, built.movie)

    assert {nfo, poster, keanu} <= {Path(p) for p in result.backed_up}
    for path, bits in ((nfo, 0o660), (poster, 0o664), (keanu, 0o664)):
        st = os.lstat(path)
        assert (path.name, stat.S_IMODE(st.st_mode), st.st_gid) == (path.name, bits, group)
    assert b"tMM's" not in nfo.read_bytes()
    fanart = built.path(f"{BASE}-fanart.jpg")  # new
    assert (mode(fanart), os.lstat(fanart).st_gid) == (0o666 & ~mask, os.getegid())
    carrie = built.path(".actors/Carrie-Anne_Moss.jpg")  # new, in the setgid folder: its group
    assert (mode(carrie), os.lstat(carrie).st_gid) == (0o666 & ~mask, group)


def test_a_republish_keeps_the_mode_a_user_gave_our_files(rt, build):
    """Our own NFO, made group-writable after the publish (`chmod -R g+w`, Radarr's "Set
    Permissions" on a rescan): a republish of a changed movie keeps 0664."""
    built = build()
    with umask(0o022):
        publish_item(rt, built.movie)
        nfo = built.path(f"{BASE}.nfo")
        os.chmod(nfo, 0o664)
        db.Movie.update(plot="A new plot.").execute()
        result = publish_item(rt, built.movie)
    assert str(nfo) in result.written and "A new plot." in nfo.read_text()
    assert mode(nfo) == 0o664


def test_a_group_that_cannot_be_kept_fails_no_publish(rt, build, monkeypatch):
    """Not a member of the old file's group (chown(2) says EPERM): the publish goes on, the
    file gets our group, its old mode and what a new file gets (readable by the old group's
    members still)."""
    built = build()
    nfo = given(built.path(f"{BASE}.nfo"), b"<movie/>", 0o660, other_group())

    def refused(fd, uid, gid):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refused)
    publish_item(rt, built.movie)
    assert built.reload().publish_state == db.PUBLISHED
    assert (mode(nfo), os.lstat(nfo).st_gid) == (0o660 | new_file_mode(), os.getegid())


@MASKS
def test_a_shows_new_files_follow_the_umask_and_replaced_ones_keep_theirs(tmp_path, mask):
    """A Sonarr library (Sonarr#871): its `tvshow.nfo` 0660 and a season poster 0664 of the
    media group keep theirs; every file and folder we make follows the umask."""
    group = other_group()
    rt = tv_runtime(tmp_path)
    try:
        built = build_show(rt)
        show_nfo = given(
            built.path("tvshow.nfo"), b"<tvshow><title>Sonarr's</title></tvshow>", 0o660, group
        )
        season = given(built.path("season01-poster.jpg"), b"Sonarr's poster", 0o664, group)
        with umask(mask):
            result = publish_item(rt, built.show)
    finally:
        rt.close()
    for path, bits in ((show_nfo, 0o660), (season, 0o664)):
        st = os.lstat(path)
        assert (path.name, stat.S_IMODE(st.st_mode), st.st_gid) == (path.name, bits, group)
    new = {rel for rel in files_under(built.folder)} - {"tvshow.nfo", "season01-poster.jpg"}
    assert "Season 01/Breaking Bad - S01E01 - Pilot.nfo" in new
    assert {str(built.path(rel)) for rel in new} <= set(result.written)
    assert {rel: mode(built.path(rel)) for rel in new} == {rel: 0o666 & ~mask for rel in new}
    assert mode(built.path(".actors")) == 0o777 & ~mask


@MASKS
def test_the_copies_of_the_users_files_follow_the_umask(rt, build, kit, mask):
    """The user's NFO and poster copied before ours replace them (`backup/`, the cache) are
    ordinary files of the umask, not `mkstemp`'s 0600: a shared `[cache] dir` is read by
    workers of other hosts, whose `metarrd` user has another uid (useradd --system) in a
    shared group."""
    built = build()
    built.path(f"{BASE}.nfo").write_bytes(b"<movie><title>Kodi's export</title></movie>")
    built.path(f"{BASE}-poster.jpg").write_bytes(kit.image_bytes("poster"))
    with umask(mask):
        result = publish_item(rt, built.movie)
    assert len(result.backed_up) == 2
    rows = db.CacheImageFile.select().where(db.CacheImageFile.source_type == "library")
    copies = [Path(r.file_path) for r in rows]
    assert sorted(p.suffix for p in copies) == [".jpg", ".nfo"]
    assert {p.name: mode(p) for p in copies} == {p.name: 0o666 & ~mask for p in copies}
    nfo_copy = next(p for p in copies if p.suffix == ".nfo")
    assert mode(nfo_copy.parent) == mode(nfo_copy.parent.parent) == 0o777 & ~mask  # new folders
