"""`atomic.remove_unchanged`: a file of ours removed only while it holds our bytes, a save of
the user's landing meanwhile kept, whichever way the save is made (in place, or a new file
renamed over the name, as editors and most tools save)."""

from __future__ import annotations

import contextlib
import hashlib
import os

import pytest

from metarrd import atomic
from metarrd.files import NotARegularFile

OURS = b"<movie><title>ours</title></movie>\n"
SHA = hashlib.sha256(OURS).hexdigest()


def _temps(folder):
    return [p for p in folder.iterdir() if p.name.startswith(atomic.TEMP_MARKER)]


def test_ours_unchanged_is_removed_and_the_users_stays(tmp_path):
    ours, users = tmp_path / "ours.nfo", tmp_path / "users.nfo"
    ours.write_bytes(OURS)
    users.write_bytes(b"<movie><title>mine</title></movie>\n")
    assert atomic.remove_unchanged(ours, [SHA, None]) is True
    assert atomic.remove_unchanged(users, [SHA]) is False
    assert not ours.exists() and users.read_bytes().endswith(b"mine</title></movie>\n")
    assert not _temps(tmp_path)


def test_a_link_to_our_bytes_is_never_followed_nor_removed(tmp_path):
    target, link = tmp_path / "elsewhere.nfo", tmp_path / "movie.nfo"
    target.write_bytes(OURS)
    link.symlink_to(target)
    with pytest.raises(NotARegularFile):
        atomic.remove_unchanged(link, [SHA])
    assert link.is_symlink() and target.read_bytes() == OURS


def test_a_save_in_place_then_a_newer_save_keeps_the_newer(tmp_path, monkeypatch):
    """Saved in place right after it was read (the renamed file holds that save), then saved
    again as a new file at its name: the newer save is the user's file, the older one goes
    as the newer save replaced it; nothing of ours is left."""
    path = tmp_path / "movie.nfo"
    path.write_bytes(OURS)
    real_open, real_rename = atomic.open_regular, os.rename

    @contextlib.contextmanager
    def read_then_saved(p, *args, **kwargs):
        with real_open(p, *args, **kwargs) as fh:
            yield fh
        if p == path:
            path.write_bytes(b"first save")

    def renamed_then_saved(src, dst):
        real_rename(src, dst)
        if src == path:
            path.write_bytes(b"second save")

    monkeypatch.setattr(atomic, "open_regular", read_then_saved)
    monkeypatch.setattr(os, "rename", renamed_then_saved)
    assert atomic.remove_unchanged(path, [SHA]) is False
    assert path.read_bytes() == b"second save"
    assert not _temps(tmp_path)


def test_a_save_after_the_rename_is_a_new_file_which_stays(tmp_path, monkeypatch):
    path = tmp_path / "movie.nfo"
    path.write_bytes(OURS)
    real_rename = os.rename

    def renamed_then_saved(src, dst):
        real_rename(src, dst)
        if src == path:
            path.write_bytes(b"saved")

    monkeypatch.setattr(os, "rename", renamed_then_saved)
    assert atomic.remove_unchanged(path, [SHA]) is True  # ours went; the save is the user's
    assert path.read_bytes() == b"saved"
    assert not _temps(tmp_path)
