"""A file of the user's that publish sets aside (`atomic.set_aside`, `atomic.remove_unchanged`)
keeps every byte the user writes, whichever way: an editor that keeps the file open and writes
into it after it was set aside (the same file, under its temp name) has what it wrote copied
before the file goes; on a share without hard links, a save landing at the last instant before
our file takes the name is never replaced; a file set aside that cannot be removed is put back
at its name, not left under a temp name nothing comes back for. The editor is a real process
holding the file open; each race is made deterministic by its write or save landing from inside
the step it races with."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metarrd import atomic
from metarrd.atomic import AtomicBatch, Guard
from metarrd.errors import DiskFull

# Kodi's movie NFO as a user keeps it, then what their editor appends while it has it open
USER_NFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<movie>\n'
    b"  <title>The Matrix</title>\n  <userrating>9</userrating>\n</movie>\n"
)
APPENDED = b"<!-- my notes: watch the lobby scene again -->\n"
OURS = b'<?xml version="1.0" encoding="UTF-8"?>\n<movie><title>The Matrix</title></movie>\n'
SAVED = USER_NFO.replace(b"9</userrating>", b"10</userrating>")

# an editor that opened the file before publish set it aside, and writes into it when told
EDITOR = """
import sys
fh = open(sys.argv[1], "r+b")
print("open", flush=True)
sys.stdin.readline()
fh.seek(0, 2)
fh.write(sys.argv[2].encode())
fh.flush()
print("wrote", flush=True)
sys.stdin.readline()
"""


class Editor:
    def __init__(self, path: Path, text: bytes) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", EDITOR, str(path), text.decode()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout.readline() == b"open\n"

    def write(self) -> None:
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == b"wrote\n"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def nfo(tmp_path):
    path = tmp_path / "The Matrix (1999).nfo"
    path.write_bytes(USER_NFO)
    os.utime(path, ns=(1_700_000_000_000_000_000,) * 2)  # saved by the user long before
    editor = Editor(path, APPENDED)
    yield path, editor
    editor.close()


def _copying(copies: list[bytes], then=None):
    """A `Guard.copy` keeping what it read; `then` runs once its first copy is made."""

    def copy(aside: Path) -> str:
        copies.append(aside.read_bytes())
        if then is not None and len(copies) == 1:
            then()
        return "sha"

    return copy


def _temps(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(atomic.TEMP_MARKER)]


def test_an_editor_writing_into_the_removed_file_after_its_copy_is_copied_again(nfo):
    path, editor = nfo
    copies: list[bytes] = []

    assert atomic.remove_copied(path, Guard(copy=_copying(copies, editor.write), seen=(0, 0, 0)))

    assert copies[-1] == USER_NFO + APPENDED
    assert not path.exists() and not _temps(path.parent)


def test_an_editor_writing_into_the_replaced_file_after_its_copy_is_copied_again(nfo):
    path, editor = nfo
    copies: list[bytes] = []
    with AtomicBatch() as batch:
        staged = [batch.stage(path, OURS)]
        batch.make_durable()
        batch.land(staged, undo=True, guards={path: Guard(copy=_copying(copies, editor.write))})
        batch.finish()

    assert copies[-1] == USER_NFO + APPENDED
    assert path.read_bytes() == OURS and not _temps(path.parent)


def test_a_file_written_into_after_its_copy_that_cannot_be_copied_again_stays(nfo):
    """Its second copy failing (the cache's disk full), the file set aside is not removed: it
    holds the editor's bytes alone; the next publish of its folder copies it."""
    path, editor = nfo

    def copy(aside: Path) -> str:
        if aside.read_bytes() != USER_NFO:
            raise OSError(errno.ENOSPC, "No space left on device")
        editor.write()
        return "sha"

    with pytest.raises(OSError, match="No space"):
        atomic.remove_copied(path, Guard(copy=copy, seen=(0, 0, 0)))

    (aside,) = _temps(path.parent)
    assert atomic.is_aside(aside)
    assert (path.parent / aside).read_bytes() == USER_NFO + APPENDED


def test_our_file_written_into_after_it_was_read_is_put_back_not_removed(tmp_path, monkeypatch):
    """`remove_unchanged`: our bytes read again once set aside, then an editor that had it
    open writes into it before it is unlinked: the user's now, put back at its name."""
    path = tmp_path / "movie.nfo"
    path.write_bytes(OURS)
    os.utime(path, ns=(1_700_000_000_000_000_000,) * 2)
    sha = atomic.sha256_file(path)
    editor = Editor(path, APPENDED)
    real = atomic.sha256_file

    def read_then_written(p, **kwargs):
        digest = real(p, **kwargs)
        if atomic.is_aside(p):  # the read of the file set aside
            editor.write()
        return digest

    monkeypatch.setattr(atomic, "sha256_file", read_then_written)
    try:
        assert atomic.remove_unchanged(path, [sha]) is False
    finally:
        editor.close()
    assert path.read_bytes() == OURS + APPENDED and not _temps(tmp_path)


def _no_hard_links(monkeypatch) -> None:
    """A share without hard links (vfat, exFAT, SMB without its Unix extensions): link refused."""

    def refused(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)


def _saved_at_the_last_instant(monkeypatch, path: Path, data: bytes) -> None:
    """The user's save makes a new file at `path` the instant before we rename a file onto
    it: after every check we make, before the rename itself."""

    def saved_first(real):
        def rename(src, dst, *args):
            if Path(dst) == path and not os.path.lexists(path):
                path.write_bytes(data)
            return real(src, dst, *args)

        return rename

    monkeypatch.setattr(os, "rename", saved_first(os.rename))
    if hasattr(atomic, "_rename_exclusive"):
        monkeypatch.setattr(atomic, "_rename_exclusive", saved_first(atomic._rename_exclusive))


def test_a_save_at_the_last_instant_on_a_share_without_hard_links_is_not_replaced(
    tmp_path, monkeypatch
):
    path = tmp_path / "movie.nfo"
    path.write_bytes(USER_NFO)
    copies: list[bytes] = []
    _no_hard_links(monkeypatch)
    with AtomicBatch() as batch:
        staged = [batch.stage(path, OURS)]
        batch.make_durable()
        _saved_at_the_last_instant(monkeypatch, path, SAVED)
        with pytest.raises(atomic.LandFailed) as failed:
            batch.land(staged, undo=True, guards={path: Guard(copy=_copying(copies))})
    assert failed.value.errno == errno.EEXIST and "saved again" in str(failed.value)
    assert path.read_bytes() == SAVED and copies == [USER_NFO]
    assert not _temps(tmp_path)


def test_putting_back_on_a_share_without_hard_links_never_replaces_a_newer_save(
    tmp_path, monkeypatch
):
    """`remove_unchanged` puts back a file saved in place after its first read; a newer save
    made as a new file at the last instant before that stays (the older one goes, as that
    save replaced it)."""
    path = tmp_path / "movie.nfo"
    path.write_bytes(OURS)
    sha = atomic.sha256_file(path)
    real = atomic.sha256_file
    _no_hard_links(monkeypatch)

    def read_then_saved_in_place(p, **kwargs):
        digest = real(p, **kwargs)
        if p == path:
            path.write_bytes(USER_NFO)
            _saved_at_the_last_instant(monkeypatch, path, SAVED)
        return digest

    monkeypatch.setattr(atomic, "sha256_file", read_then_saved_in_place)
    assert atomic.remove_unchanged(path, [sha]) is False
    assert path.read_bytes() == SAVED and not _temps(tmp_path)


def test_without_renameat2_a_share_without_hard_links_still_takes_the_name(tmp_path, monkeypatch):
    """A libc or file system without `renameat2(RENAME_NOREPLACE)` (EINVAL): the name is taken
    by a rename once no file is seen there, as before."""
    path = tmp_path / "movie.nfo"
    path.write_bytes(USER_NFO)
    _no_hard_links(monkeypatch)
    monkeypatch.setattr(atomic, "_RENAMEAT2", [None], raising=False)
    copies: list[bytes] = []
    with AtomicBatch() as batch:
        staged = [batch.stage(path, OURS)]
        batch.make_durable()
        batch.land(staged, guards={path: Guard(copy=_copying(copies))})
    assert path.read_bytes() == OURS and copies == [USER_NFO] and not _temps(tmp_path)


def test_a_file_set_aside_that_cannot_be_unlinked_is_put_back(tmp_path, monkeypatch):
    """An unlink refused once the file was set aside (EIO, ESTALE from a share): the file is put
    back at its name and the error raised, so the next try finds it there; left under its
    temp name, only a publish of its folder would come back for it, and a folder with no item
    (a kind change's `remove_disowned`) has none."""
    path = tmp_path / "movie.nfo"
    path.write_bytes(OURS)
    real = os.unlink
    refusals = []

    def refused(p, *args, **kwargs):
        if atomic.is_aside(p) and not refusals:  # once: a share's passing error
            refusals.append(p)
            raise OSError(errno.EIO, "Input/output error", str(p))
        return real(p, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refused)
    with pytest.raises(OSError, match="Input/output"):
        atomic.remove_unchanged(path, [atomic.sha256_file(path)])
    assert path.read_bytes() == OURS and not _temps(tmp_path)


def test_a_copy_failing_with_no_os_error_puts_back_the_items_renames(tmp_path):
    """The guard's copy failing otherwise than with an OSError (`sources.back_up`'s row in a
    database on a full disk: `DiskFull`) while the NFO, last of the item's files, is set
    aside: the NFO is put back at its name and the poster renamed before it is put back too
    (`LandFailed`), not left half-published with the error let through."""
    poster, path = tmp_path / "The Matrix (1999)-poster.jpg", tmp_path / "The Matrix (1999).nfo"
    poster.write_bytes(b"the user's poster")
    path.write_bytes(USER_NFO)

    def copy(aside: Path) -> str:
        raise DiskFull("disk full: database or disk is full; free some space, then run it again")

    with AtomicBatch() as batch:
        staged = [batch.stage(poster, b"our poster"), batch.stage(path, OURS)]
        batch.make_durable()
        with pytest.raises(atomic.LandFailed) as failed:
            batch.land(staged, undo=True, guards={path: Guard(copy=copy)})
    assert failed.value.filename == str(path) and not failed.value.kept
    assert "disk full" in failed.value.strerror
    assert isinstance(failed.value.failed.__cause__, DiskFull)
    assert poster.read_bytes() == b"the user's poster" and path.read_bytes() == USER_NFO
    assert not _temps(tmp_path)


def test_a_copy_failing_with_no_os_error_before_a_removal_leaves_the_file(tmp_path):
    """`remove_copied`: the same failure raised as an OSError naming the file (publish fails
    the item, as for any removal that fails), the file back at its name."""
    path = tmp_path / "The Matrix (1999)-poster.png"
    path.write_bytes(b"the user's poster")

    def copy(aside: Path) -> str:
        raise DiskFull("disk full: database or disk is full; free some space, then run it again")

    with pytest.raises(OSError) as failed:
        atomic.remove_copied(path, Guard(copy=copy))
    assert failed.value.filename == str(path) and "disk full" in failed.value.strerror
    assert path.read_bytes() == b"the user's poster" and not _temps(tmp_path)
