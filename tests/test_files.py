"""`files.open_regular`: a FIFO, a device or a huge file where a library file was expected is
refused at once, with a reason, and never blocks or reads without end."""

from __future__ import annotations

import errno
import io
import logging
import os
import stat

import pytest

from metarrd import atomic
from metarrd.atomic import AtomicBatch, new_file_mode, sha256_file, write_atomic
from metarrd.config import LibraryConfig
from metarrd.files import (
    LedOut,
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
from tests.conftest import other_group, umask


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


@pytest.mark.parametrize("mask", [0o002, 0o022, 0o077], ids=["002", "022", "077"])
def test_an_atomic_write_of_a_new_file_follows_the_umask(tmp_path, mask):
    """A new file gets 0666 less the umask, as `cp`, `>` and Kodi (`CPosixFile::OpenForWrite`)
    give it: systemd's `UMask=0002` or a linuxserver.io container's `UMASK=002` makes it
    group-writable for the other tools of a `media` group (esbuild#3285 and Unmanic#629: a
    tool that forces 0644 or 0640 whatever the umask breaks such setups; so did we, 0644)."""
    source = tmp_path / "cached.jpg"
    source.write_bytes(b"\xff\xd8 a picture" * 1000)
    with umask(mask):
        write_atomic(tmp_path / "movie.nfo", b"<movie/>")
        write_atomic(tmp_path / "poster.jpg", source)
        write_atomic(tmp_path / "private.txt", b"x", mode=0o600)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes["movie.nfo"] == modes["poster.jpg"] == 0o666 & ~mask
    assert modes["private.txt"] == 0o600
    assert (tmp_path / "poster.jpg").read_bytes() == source.read_bytes()


def test_an_atomic_write_keeps_the_mode_and_group_of_the_file_it_replaces(tmp_path):
    """A `movie.nfo` Radarr's "Set Permissions" made 0664 for the media group (Sonarr#871: its
    metadata left 0644 sonarr:sonarr among 0660 sonarr:media files, which the group could no
    longer rewrite) keeps 0664 and its group once ours replaces it, whatever our umask; the
    temp file has them before its rename, so the name never shows another mode."""
    group = other_group()
    target = tmp_path / "movie.nfo"
    target.write_bytes(b"<movie><title>Radarr's</title></movie>")
    os.chmod(target, 0o664)
    os.chown(target, -1, group)
    with umask(0o077):
        with AtomicBatch() as batch:
            staged = batch.stage(target, b"<movie><title>ours</title></movie>")
            tmp = os.stat(staged.tmp)
            assert (stat.S_IMODE(tmp.st_mode), tmp.st_gid) == (0o664, group)
            batch.commit()
        write_atomic(target.with_name("poster.jpg"), b"new", mode=None)
    st = os.stat(target)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o664, group)
    assert target.read_bytes() == b"<movie><title>ours</title></movie>"
    assert stat.S_IMODE(os.stat(tmp_path / "poster.jpg").st_mode) == 0o600  # new: the umask's


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_as_root_a_replaced_file_keeps_its_owner(tmp_path):
    """metarrd as root (a container started without PUID): the user's `movie.nfo` (uid 1000)
    replaced by ours is still theirs to edit, not root's."""
    target = tmp_path / "movie.nfo"
    target.write_bytes(b"theirs")
    os.chown(target, 1000, 1000)
    write_atomic(target, b"ours")
    st = os.stat(target)
    assert (st.st_uid, st.st_gid) == (1000, 1000)


@pytest.fixture
def chown_refused(monkeypatch):
    """chown(2) says EPERM (not a member of the group asked for), and no group was warned of."""

    def refused(fd, uid, gid):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refused)
    monkeypatch.setattr(atomic, "_GROUPS_TOLD", set())


def test_a_group_that_cannot_be_kept_fails_no_write(tmp_path, chown_refused, caplog):
    """Not a member of the old file's group (chown(2): EPERM): the file is written all the
    same, with our own group, its old mode and no less than a new file's (0660 of the `media`
    group would otherwise be unreadable to every member of it, Kodi among them)."""
    target = tmp_path / "tvshow.nfo"
    target.write_bytes(b"Sonarr's")
    os.chmod(target, 0o660)
    os.chown(target, -1, other_group())

    with caplog.at_level(logging.WARNING, logger="metarrd.atomic"):
        write_atomic(target, b"ours")
        write_atomic(target.with_name("season01-poster.jpg"), b"ours")
        os.chown(target, -1, other_group())
        write_atomic(target, b"ours again")
    st = os.stat(target)
    assert target.read_bytes() == b"ours again"
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o660 | new_file_mode(), os.getegid())
    told = [r.getMessage() for r in caplog.records]
    assert len(told) == 1 and "SupplementaryGroups=" in told[0]  # once for the group


def test_a_file_whose_group_cannot_be_kept_stays_readable_by_that_group(tmp_path, chown_refused):
    """A 0640 `movie.nfo` of the `media` group, which Kodi (a member) reads, replaced while
    metarrd is no member of it: our file gets our group, and with the old 0640 alone nobody of
    `media` could read it any more; it gets what a new file gets too (0644 under umask 022)."""
    target = tmp_path / "movie.nfo"
    target.write_bytes(b"tinyMediaManager's")
    os.chmod(target, 0o640)
    os.chown(target, -1, other_group())

    with umask(0o022):
        write_atomic(target, b"ours")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_the_umask_is_read_once_and_follows_where_metarrd_sets_it(monkeypatch):
    """`new_file_mode` runs once a file moved into the cache (about 500 for 34 movies); each
    read `/proc/self/status` (proc(5): its `Umask:` line, Linux 4.7, read without setting it,
    as `os.umask` cannot). It is read once a process now, and follows `set_umask`."""
    reads = []

    def counted():
        reads.append(1)
        return real()

    real = atomic._umask_now
    monkeypatch.setattr(atomic, "_umask_now", counted)
    monkeypatch.setattr(atomic, "_umask", None)  # put back as it was after the test
    with umask(0o022):
        monkeypatch.setattr(atomic, "_umask", None)  # a process that has read none yet
        modes = {new_file_mode() for _ in range(500)}
        assert (modes, len(reads)) == ({0o644}, 1)
        with umask(0o077):
            assert new_file_mode() == 0o600
        with umask(0o002):
            assert new_file_mode() == 0o664
        assert new_file_mode() == 0o644
    assert len(reads) == 1


def test_a_symlink_replaced_gives_a_new_files_mode(tmp_path):
    """A link at the name is replaced by a file of our own (docs/publish.md): it is a new
    file, with the umask's mode, not the link's 0777 nor its target's."""
    real = tmp_path / "elsewhere.nfo"
    real.write_bytes(b"x")
    os.chmod(real, 0o600)
    link = tmp_path / "movie.nfo"
    link.symlink_to(real)
    with umask(0o022):
        write_atomic(link, b"ours")
    assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o644
    assert stat.S_IMODE(real.stat().st_mode) == 0o600 and real.read_bytes() == b"x"


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


def test_reading_or_writing_through_a_link_out_of_every_library_is_one_error(tmp_path):
    """A movie folder swapped for a link to a folder outside (test_library_contents.py: after
    publish looked) and an NFO swapped for a link out after scan looked: one `LedOut`, an
    `UnsafeFile`, saying what was refused; the write names the folder, as it did."""
    movies, outside = tmp_path / "movies", tmp_path / "outside"
    (outside / "elsewhere").mkdir(parents=True)
    movies.mkdir()
    (outside / "secret.nfo").write_text("secret")
    (movies / "Heat (1995)").symlink_to(outside / "elsewhere")
    libraries = [LibraryConfig("Movies", str(movies))]
    target = movies / "Heat (1995)" / "Heat (1995).nfo"

    with AtomicBatch(inside=libraries) as batch, pytest.raises(LedOut) as wrote:
        batch.stage(target, b"<movie/>")
    assert isinstance(wrote.value, UnsafeFile) and wrote.value.errno == errno.EXDEV
    assert wrote.value.filename == str(target.parent)
    assert wrote.value.strerror == (
        f"the folder leads to {outside / 'elsewhere'}, outside every configured library "
        "(a symbolic link put there while publishing?); nothing written there"
    )
    assert list((outside / "elsewhere").iterdir()) == []

    (movies / "Heat (1995).nfo").symlink_to(outside / "secret.nfo")
    with pytest.raises(LedOut) as read:
        read_regular(movies / "Heat (1995).nfo", 1000, inside=libraries)
    assert read.value.errno == errno.EINVAL and "not read" in read.value.strerror
