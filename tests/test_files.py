"""`files.open_regular`: a FIFO, a device or a huge file where a library file was expected is
refused at once, with a reason, and never blocks or reads without end."""

from __future__ import annotations

import io
import os
import stat

import pytest

from metarrd.atomic import sha256_file, write_atomic
from metarrd.config import LibraryConfig
from metarrd.files import (
    NotARegularFile,
    TooLarge,
    UnsafeFile,
    copy_regular,
    display,
    is_utf8,
    link_target_outside,
    open_regular,
    read_regular,
)


def test_a_regular_file_reads_as_usual(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(b"abc" * 1000)
    assert read_regular(path, 3000) == b"abc" * 1000
    with open_regular(path) as fh:
        assert fh.read(3) == b"abc"


def test_a_fifo_is_refused_without_blocking(tmp_path, finishes):
    fifo = tmp_path / "poster.jpg"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="FIFO"):
        finishes(lambda: read_regular(fifo, 100))
    with pytest.raises(NotARegularFile):
        finishes(lambda: sha256_file(fifo))


def test_a_symlink_to_dev_zero_is_refused(tmp_path, finishes):
    link = tmp_path / "poster.jpg"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotARegularFile, match="character device") as caught:
        finishes(lambda: copy_regular(link, io.BytesIO(), None))
    assert "poster.jpg" in str(caught.value)
    # the atomic write never copies from one either (it leaves no temp file behind)
    target = tmp_path / "copy.jpg"
    with pytest.raises(UnsafeFile):
        finishes(lambda: write_atomic(target, link))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poster.jpg"]


def test_an_atomic_write_from_a_fifo_is_refused_without_blocking(tmp_path, finishes):
    fifo = tmp_path / "cached.jpg"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="FIFO"):
        finishes(lambda: write_atomic(tmp_path / "poster.jpg", fifo))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cached.jpg"]  # no temp file left


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o000])
def test_an_atomic_write_gives_its_mode_whatever_the_umask(tmp_path, umask):
    """The players (Kodi, Jellyfin, Plex) often run as other users: a published file is
    readable by all (0644) even under a daemon's umask 077, and not writable by all under 000;
    the mode is only set when the umask did not give it already."""
    source = tmp_path / "cached.jpg"
    source.write_bytes(b"\xff\xd8 a picture" * 1000)
    before = os.umask(umask)
    try:
        write_atomic(tmp_path / "movie.nfo", b"<movie/>")
        write_atomic(tmp_path / "poster.jpg", source)
        write_atomic(tmp_path / "private.txt", b"x", mode=0o600)
    finally:
        os.umask(before)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes["movie.nfo"] == modes["poster.jpg"] == 0o644
    assert modes["private.txt"] == 0o600
    assert (tmp_path / "poster.jpg").read_bytes() == source.read_bytes()


def test_a_symlink_to_a_regular_file_is_followed_unless_told_not_to(tmp_path):
    real = tmp_path / "real.jpg"
    real.write_bytes(b"x")
    link = tmp_path / "link.jpg"
    link.symlink_to(real)
    assert read_regular(link, 10) == b"x"
    no_follow = open_regular(link, follow_symlinks=False)
    with pytest.raises(NotARegularFile, match="symbolic link"), no_follow:
        pass


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(NotARegularFile, match="a folder"):
        read_regular(tmp_path, 10)


def test_the_size_cap_holds_before_and_while_reading(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(b"x" * 101)
    with pytest.raises(TooLarge, match="over the"):
        read_regular(path, 100)
    # a file that grows after the check is still cut off at the cap
    path.write_bytes(b"x" * 50)
    with open_regular(path, 100) as fh:
        with open(path, "ab") as grow:
            grow.write(b"y" * 100)
        with pytest.raises(TooLarge):
            fh.read()


def test_names_that_are_not_utf8_are_shown_readably():
    name = os.fsdecode(b"/lib/Caf\xe9 (2001)/Caf\xe9 (2001).mkv")
    assert not is_utf8(name)
    assert is_utf8("/lib/Café (2001)")
    shown = display(name)
    assert shown == "/lib/Caf\\xe9 (2001)/Caf\\xe9 (2001).mkv"
    shown.encode("utf-8")  # safe for the database, JSON and any log


def test_a_file_linked_out_of_every_library_is_told_apart(tmp_path):
    """The rule of symlinked folders, for files: a link is fine into any library, and leads
    out only when its target is outside them all and its library does not follow links."""
    movies, tv, outside = tmp_path / "movies", tmp_path / "tv", tmp_path / "outside"
    for folder in (movies, tv, outside):
        folder.mkdir()
    (outside / "secret.nfo").write_text("secret")
    (tv / "show.nfo").write_text("fine")
    (movies / "own.nfo").write_text("fine")
    (movies / "out.nfo").symlink_to(outside / "secret.nfo")
    (movies / "tv.nfo").symlink_to(tv / "show.nfo")
    (movies / "here.nfo").symlink_to("own.nfo")
    (movies / "hop.nfo").symlink_to(movies / "out.nfo")  # a link to a link that leads out
    libraries = [LibraryConfig("Movies", str(movies)), LibraryConfig("TV", str(tv), "tv")]
    secret = str(outside / "secret.nfo")

    assert link_target_outside(movies / "out.nfo", libraries) == secret
    assert link_target_outside(movies / "hop.nfo", libraries) == secret
    for fine in ("tv.nfo", "here.nfo", "own.nfo", "missing.nfo"):
        assert link_target_outside(movies / fine, libraries) is None, fine
    following = [LibraryConfig("Movies", str(movies), follow_symlinks=True), libraries[1]]
    assert link_target_outside(movies / "out.nfo", following) is None
