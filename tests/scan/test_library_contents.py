"""What a real library holds besides movies: special files where images are expected, names that
are not UTF-8, symlinked folders. Each is one skipped file with a reason; the scan goes on."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import MEDIA, SAMPLE, put


@pytest.fixture
def make_rt(config_factory):
    made = []

    def _make(**kwargs):
        made.append(open_runtime(config_factory(**kwargs)))
        return made[-1]

    yield _make
    for runtime in made:
        runtime.close()


def test_fifos_and_device_links_in_a_movie_folder_are_skipped_not_read(tmp_path, make_rt, finishes):
    rt = make_rt()
    movies = tmp_path / "movies"
    folder = put(movies, "Heat (1995)/Heat (1995).mkv").parent
    Image.new("RGB", (200, 300), (200, 30, 30)).save(folder / "poster.jpg")
    extra = folder / "extrafanart"
    extra.mkdir()
    Image.new("RGB", (320, 180), (30, 30, 200)).save(extra / "fanart1.jpg")
    os.mkfifo(extra / "fanart2.jpg")
    (extra / "fanart3.jpg").symlink_to("/dev/zero")
    os.mkfifo(folder / "Heat (1995)-fanart.jpg")
    (folder / "Heat (1995)-banner.jpg").symlink_to("/dev/zero")
    os.mkfifo(folder / "Heat (1995).nfo")

    report = finishes(lambda: scan(rt), 60)

    assert len(report.new) == 1
    movie = db.Movie.get_by_id(report.new[0])
    urls = sorted(Path(a.url).name for a in movie.assets if a.provider == "library")
    assert urls == ["fanart1.jpg", "poster.jpg"]
    assert not list(rt.config.tmp_dir.iterdir())  # no endless copy of /dev/zero
    # the NFO is no image to skip: the item says why it was not read (docs/failure-modes.md)
    assert "is a FIFO (named pipe), not a regular file; ignored" in movie.last_error
    # nor are the images named as the user's: each said, not passed over in silence
    assert "Heat (1995)-fanart.jpg: a FIFO (named pipe), not a regular file; skipped" in (
        movie.last_error
    )
    assert "Heat (1995)-banner.jpg: a character device, not a regular file" in movie.last_error


def test_a_video_that_is_a_fifo_is_not_a_movie(tmp_path, make_rt, finishes):
    rt = make_rt()
    movies = tmp_path / "movies"
    put(movies, "Heat (1995)/Heat (1995).mkv")
    (movies / "Pipe (2001)").mkdir()
    os.mkfifo(movies / "Pipe (2001)/Pipe (2001).mkv")
    (movies / "Zero (2002)").mkdir()
    (movies / "Zero (2002)/Zero (2002).mkv").symlink_to("/dev/zero")

    report = finishes(lambda: scan(rt), 60)

    assert [Path(m.path).name for m in db.Movie.select()] == ["Heat (1995).mkv"]
    assert not report.errors


def test_a_name_that_is_not_utf8_is_one_readable_error_and_the_rest_is_scanned(tmp_path, make_rt):
    rt = make_rt()
    movies = tmp_path / "movies"
    put(movies, "Heat (1995)/Heat (1995).mkv")
    latin1 = os.fsencode(movies) + b"/Caf\xe9 (2001)"
    os.mkdir(latin1)
    shutil.copy2(SAMPLE, latin1 + b"/Caf\xe9 (2001).mkv")
    folder = movies / "Dune (1984)"
    put(movies, "Dune (1984)/Dune (1984).mkv")
    Image.new("RGB", (200, 300), (200, 30, 30)).save(os.fsencode(folder) + b"/poster\xe9.jpg")

    report = scan(rt)

    assert sorted(Path(m.path).name for m in db.Movie.select()) == [
        "Dune (1984).mkv",
        "Heat (1995).mkv",
    ]
    assert len(report.errors) == 1
    where, reason = report.errors[0]
    assert where == f"{movies}/Caf\\xe9 (2001)/Caf\\xe9 (2001).mkv"
    assert "not valid UTF-8" in reason
    event = db.Event.get(db.Event.kind == "scan.error")
    assert "Caf\\xe9 (2001).mkv" in event.message


def test_the_cli_scan_reports_a_latin1_name_and_exits_1(tmp_path, config_factory, capsys):
    from metarrd.cli import main

    movies = tmp_path / "movies"
    put(movies, "Heat (1995)/Heat (1995).mkv")
    os.mkdir(os.fsencode(movies) + b"/Caf\xe9 (2001)")
    shutil.copy2(SAMPLE, os.fsencode(movies) + b"/Caf\xe9 (2001)/Caf\xe9 (2001).mkv")
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[[library]]\nname = "Movies"\n'
        f'path = "{movies}"\nkind = "movie"\n[workflow]\nidentification = false\n'
    )

    code = main(["--config", str(config), "scan"])

    err = capsys.readouterr().err
    assert code == 1
    assert "Caf\\xe9 (2001).mkv" in err and "not valid UTF-8" in err
    assert db.Movie.select().count() == 1


def test_a_subtitle_name_that_is_not_utf8_does_not_sink_the_batch(tmp_path, make_rt):
    rt = make_rt()
    movies = tmp_path / "movies"
    video = put(movies, "Heat (1995)/Heat (1995).mkv")
    put(movies, "Dune (1984)/Dune (1984).mkv")
    (video.parent / "Heat (1995).en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n")
    Path(os.fsdecode(os.fsencode(video.parent) + b"/Heat (1995).fr\xe9.srt")).write_text("x")

    report = scan(rt)

    assert len(report.new) == 2 and not report.errors
    heat = db.Movie.get(db.Movie.path == str(video))
    paths = [s.path for s in db.SubtitleStream.select().where(db.SubtitleStream.movie == heat)]
    assert str(video.parent / "Heat (1995).en.srt") in paths


def test_a_video_that_vanishes_while_it_is_scanned_is_no_new_item(tmp_path, make_rt, monkeypatch):
    """Renamed or deleted between the walk and its reading (the soak test's rename during a
    full scan): no item with a "file not found" error, which no later scan marks missing; an
    item known at that path is marked missing."""
    import metarrd.scan.stage as stage

    rt = make_rt()
    movies = tmp_path / "movies"
    known = put(movies, "Heat (1995)/Heat (1995).mkv")
    report = scan(rt)
    assert len(report.new) == 1
    heat = report.new[0]
    os.utime(known, ns=(1, 1))  # changed: read again at the next scan
    fresh = put(movies, "Ronin (1998)/Ronin (1998).mkv")
    steady = put(movies, "Alien (1979)/Alien (1979).mkv")
    read = stage.read_stream_details

    def renamed_meanwhile(path, *libraries):
        if path != steady:
            path.parent.rename(path.parent.with_name(path.parent.name + " [r1]"))
        return read(path, *libraries)

    monkeypatch.setattr(stage, "read_stream_details", renamed_meanwhile)
    report = scan(rt, [known.parent, fresh.parent, steady.parent])
    assert not db.Movie.select().where(db.Movie.path == str(fresh)).exists()
    assert db.Movie.get_by_id(heat).missing and report.missing == [heat]
    assert [db.Movie.get_by_id(i).path for i in report.new] == [str(steady)]


def test_a_moved_video_that_vanishes_again_while_it_is_scanned_is_missing(
    tmp_path, make_rt, monkeypatch
):
    import metarrd.scan.stage as stage

    rt = make_rt()
    movies = tmp_path / "movies"
    heat = scan(rt, [put(movies, "Heat (1995)/Heat (1995).mkv").parent]).new[0]
    (movies / "Heat (1995)").rename(movies / "Heat (1995) [r1]")  # moved: the same file
    read = stage.read_stream_details

    def deleted_meanwhile(path, *libraries):
        shutil.rmtree(path.parent)
        return read(path, *libraries)

    monkeypatch.setattr(stage, "read_stream_details", deleted_meanwhile)
    report = scan(rt)
    assert db.Movie.get_by_id(heat).missing and report.missing == [heat] and report.moved == []
    assert db.Movie.select().count() == 1


def test_a_video_name_too_long_for_its_nfo_name_is_scanned_with_the_rest(tmp_path, make_rt):
    """A legal 255-byte `<base>.ts` (a TV recording) has no room for `<base>.nfo`: looking for
    it raised "File name too long", which stopped the scan of the whole library."""
    rt = make_rt()
    movies = tmp_path / "movies"
    long_name = "R" * 252 + ".ts"
    put(movies, f"Recordings/{long_name}")
    put(movies, "Heat (1995)/Heat (1995).mkv")
    report = scan(rt)
    assert len(report.new) == 2
    assert db.Movie.get(db.Movie.path == str(movies / "Recordings" / long_name))


def _deny_listing(monkeypatch, *folders: Path) -> None:
    """`os.scandir` of these folders fails as a NAS's EACCES or EIO does (we run as root, for
    whom chmod 000 changes nothing)."""
    real_scandir = os.scandir
    denied = {os.fspath(f) for f in folders}

    def scandir(path="."):
        if os.fspath(path) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_folder_that_cannot_be_listed_keeps_its_movies(tmp_path, make_rt, monkeypatch):
    """A movie folder, a category folder or the whole share unreadable for one scan (permission,
    EIO on a NAS): the error is reported, and the movies known there are not marked missing, as
    if deleted. Before, they were, and came back as changed at the next scan."""
    rt = make_rt()
    movies = tmp_path / "movies"
    heat = put(movies, "Heat (1995)/Heat (1995).mkv")
    alien = put(movies, "Collection/Alien (1979)/Alien (1979).mkv")
    ronin = put(movies, "Ronin (1998)/Ronin (1998).mkv")
    dvd = movies / "Brazil (1985)/VIDEO_TS"
    for name in ("VIDEO_TS.IFO", "VTS_01_1.VOB"):
        put(dvd, name, MEDIA / "mpeg2_mp2.mpg")
    assert len(scan(rt).new) == 4

    for folders, scope in (
        ((heat.parent, alien.parent.parent, dvd), None),  # a movie's, a category's, a DVD's
        ((movies,), None),  # the library's root
        ((heat.parent,), [heat.parent]),  # the watcher's scan of one folder
        ((heat.parent,), [heat]),  # ... of one file
    ):
        with monkeypatch.context() as m:
            _deny_listing(m, *folders)
            report = scan(rt, scope)
        assert report.missing == [] and not report.new and not report.changed, folders
        assert not db.Movie.select().where(db.Movie.missing).exists(), folders
        assert sorted(path for path, _ in report.errors) == sorted(map(str, folders))
        assert all("permission denied" in reason for _, reason in report.errors)

    errors = db.Event.select().where(db.Event.kind == "scan.error")
    assert str(alien.parent.parent) in {e.message.split(":")[0] for e in errors}
    again = scan(rt)  # readable again: nothing happened
    assert again.unchanged == 4 and not (again.new or again.changed or again.missing)
    ronin.unlink()  # a real deletion is still one
    assert scan(rt).missing == [db.Movie.get(db.Movie.path == str(ronin)).id]


def test_a_scan_of_a_path_below_a_folder_we_may_not_enter_is_one_error(
    tmp_path, make_rt, monkeypatch
):
    """Radarr, running as its own user with umask 077, made `Secret (2001)/` 0700, and its
    webhook (or `metarrd scan`, the watcher) named the file in it: the scan's `Path.is_dir` of
    that path raised PermissionError, the whole scan job failed, and was retried, again and
    again. Now that path is one error naming it, its item keeps its state, the other paths of
    the same scan are scanned. Seen on a real run without CAP_DAC_OVERRIDE (setpriv)."""
    from tests.conftest import no_entry

    rt = make_rt()
    movies = tmp_path / "movies"
    secret = put(movies, "Secret (2001)/Secret (2001).mkv")
    heat = put(movies, "Heat (1995)/Heat (1995).mkv")
    assert len(scan(rt).new) == 2
    ronin = put(movies, "Ronin (1998)/Ronin (1998).mkv")
    for scope in ([secret, ronin], [secret.parent / "CD2", ronin], [secret.parent, ronin]):
        with monkeypatch.context() as m:
            no_entry(m, secret.parent)
            report = scan(rt, scope)
        assert report.missing == [] and report.errors[1:] == [], scope
        assert report.errors[0][0] == str(scope[0]), scope
        assert "ermission denied" in report.errors[0][1], scope
    assert db.Movie.get(db.Movie.path == str(ronin))  # the rest of the scan went on
    assert not db.Movie.select().where(db.Movie.missing).exists()
    events = [e.message for e in db.Event.select().where(db.Event.kind == "scan.error")]
    assert any(m.startswith(f"{secret}: ") for m in events)
    assert scan(rt, [heat]).unchanged == 1


def test_a_movie_copied_to_another_library_while_its_folder_cannot_be_looked_at_is_no_move(
    tmp_path, make_rt, monkeypatch
):
    """`rsync -a Movies/Heat\\ (1995) "Movies 4K/"` (same name, size and mtime), or a hard link
    of it under Radarr's name (the same file: device and inode), while the old
    folder could not be looked at (EACCES: Radarr, another user, made it 0700; a share's
    permissions reset): `os.path.lexists` of the old file was False, and the copy's scan took
    the old item for moved into the other library, though its file was still there. The copy
    is a new item; the old one keeps its place, and the next scan that can look decides."""
    from tests.conftest import no_entry

    movies, uhd = tmp_path / "movies", tmp_path / "movies 4k"
    rt = make_rt(libraries={"Movies": movies, "Movies 4K": uhd})
    heat = put(movies, "Heat (1995)/Heat (1995).mkv")
    (heat_id,) = scan(rt).new
    shutil.copytree(heat.parent, uhd / heat.parent.name)  # copy2: the same mtime
    with monkeypatch.context() as m:
        no_entry(m, heat.parent)
        report = scan(rt, [uhd])
    assert len(report.new) == 1 and not report.moved
    assert db.Movie.get_by_id(heat_id).path == str(heat)
    assert not db.Movie.get_by_id(heat_id).missing
    # hard-linked under another name (the same file: device and inode), as an import does
    linked = uhd / "Heat (1995) {tmdb-949}" / "Heat (1995) {tmdb-949} [Bluray-2160p].mkv"
    linked.parent.mkdir()
    os.link(heat, linked)
    with monkeypatch.context() as m:
        no_entry(m, heat.parent)
        report = scan(rt, [linked.parent])
    assert len(report.new) == 1 and not report.moved
    assert db.Movie.get_by_id(heat_id).path == str(heat)


def test_a_copy_under_a_library_configured_in_other_letters_on_a_share_is_no_move(
    tmp_path, make_rt, monkeypatch
):
    """The libraries configured as `/mnt/nas/Movies` and `Movies 4K` on a share (SMB, ignoring
    case) whose folders are `movies` and `movies 4k`: every path metarrd knows goes through a
    name no listing gives. A copy of `Heat (1995)` into the other library (same name, size and
    mtime) is a new item, the old one still there: only the names below the folder the two
    paths share are looked at for a rename in other letters, not the library's own."""
    from tests.caseless import caseless

    put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    (tmp_path / "movies 4k").mkdir()
    caseless(monkeypatch)
    movies, uhd = tmp_path / "Movies", tmp_path / "Movies 4K"
    rt = make_rt(libraries={"Movies": movies, "Movies 4K": uhd})
    (heat_id,) = scan(rt).new  # MediaInfo opens files itself: it cannot read them here
    heat = db.Movie.get_by_id(heat_id).path
    shutil.copytree(tmp_path / "movies/Heat (1995)", tmp_path / "movies 4k/Heat (1995)")

    report = scan(rt, [uhd])

    assert len(report.new) == 1 and not report.moved
    assert db.Movie.get_by_id(heat_id).path == heat and not db.Movie.get_by_id(heat_id).missing


def test_a_folder_made_unreadable_while_its_movie_is_read_keeps_the_movie(
    tmp_path, make_rt, monkeypatch
):
    """The folder of a changed movie became unreadable between the walk and the reading of its
    file (Radarr's import, as another user, made it 0700; a share's EACCES for a moment): the
    reading failed, `os.path.lexists` of the file was False too, and the movie was taken for
    vanished while it was read, and marked missing. It is the item's error now, not missing."""
    from metarrd.scan import stage
    from metarrd.scan.streams import StreamReadError
    from tests.conftest import no_entry

    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    (heat_id,) = scan(rt).new
    with heat.open("ab") as f:
        f.write(b"\0" * 10)  # changed: read again
    with monkeypatch.context() as m:

        def refused(path, *args):
            no_entry(m, heat.parent)
            raise StreamReadError(path, "permission denied")

        m.setattr(stage, "read_stream_details", refused)
        report = scan(rt)
    assert not report.missing and report.changed == [heat_id]
    movie = db.Movie.get_by_id(heat_id)
    assert not movie.missing and "permission denied" in movie.last_error


def test_an_edited_nfo_we_may_not_read_is_said_not_passed_over(tmp_path, make_rt, monkeypatch):
    """tinyMediaManager, running as its own user with umask 077, rewrote the user's
    `movie.nfo` 0600 beside an unchanged video: the watcher's scan of the folder found it
    changed (its hash could not be taken) and passed over it in silence, so the user's edit was
    never taken in, and nothing said why. Now it is a `scan.error` on the item, which keeps what
    it had; the rest of the folder's scan goes on."""
    from tests.conftest import no_read

    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    nfo = heat.parent / "movie.nfo"
    nfo.write_text("<movie><title>Heat</title><plot>Mine.</plot></movie>")
    (heat_id,) = scan(rt).new
    nfo.write_text("<movie><title>Heat</title><plot>Edited in tinyMediaManager.</plot></movie>")
    with monkeypatch.context() as m:
        no_read(m, nfo)
        report = scan(rt, [heat.parent])
    assert report.unchanged == 1 and not (report.changed or report.missing)
    assert report.errors == [(str(nfo), "cannot be read (Permission denied)")]
    event = db.Event.get(db.Event.kind == "scan.error")
    assert event.movie_id == heat_id and event.message.startswith(str(nfo))
    assert db.Movie.get_by_id(heat_id).plot == "Mine."
    assert scan(rt, [heat.parent]).changed == [heat_id]  # readable again: taken in


def test_an_artwork_folder_or_image_we_may_not_read_leaves_the_rest_of_the_artwork(
    tmp_path, make_rt, monkeypatch
):
    """An `extrafanart/` folder that a tool running as another user made 0700 (Kodi's
    "Artwork Dump" / Ember's extrafanart), beside the movie's readable poster and fanart: its
    listing raised, and the movie took none of its artwork ("cannot list artwork (Permission
    denied)"), as on a real run without CAP_DAC_OVERRIDE. A `fanart.jpg` of mode 000 was
    passed over with a line in the log only. Now each is the item's error, and the rest of the
    artwork is taken in."""
    from tests.conftest import no_entry, no_read

    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    Image.new("RGB", (200, 300), (200, 30, 30)).save(heat.parent / "poster.jpg")
    Image.new("RGB", (320, 180), (30, 200, 30)).save(heat.parent / "fanart.jpg")
    extra = heat.parent / "extrafanart"
    extra.mkdir()
    Image.new("RGB", (320, 180), (30, 30, 200)).save(extra / "fanart1.jpg")
    with monkeypatch.context() as m:
        no_entry(m, extra)
        no_read(m, heat.parent / "fanart.jpg")
        (heat_id,) = scan(rt).new
    movie = db.Movie.get_by_id(heat_id)
    assert sorted(Path(a.url).name for a in movie.assets if a.provider == "library") == [
        "poster.jpg"
    ]
    assert f"{extra}: cannot list the folder (Permission denied)" in movie.last_error
    assert f"{heat.parent / 'fanart.jpg'}: existing artwork unreadable" in movie.last_error


def test_a_video_we_could_not_read_is_read_once_it_can_be(tmp_path, make_rt, monkeypatch):
    """A movie file of mode 000 (or 0600 of the user Radarr runs as): scanned by its name, its
    stream details unread ("permission denied"). The user fixes the permissions (`chmod 644`
    changes no size nor mtime): every later scan took the file for unchanged, and the item
    stayed without stream details and with that error for good. Seen on a real run without
    CAP_DAC_OVERRIDE (setpriv). A file still unreadable is not read again each scan."""
    from tests.conftest import no_read

    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    with monkeypatch.context() as m:
        no_read(m, heat)
        (heat_id,) = scan(rt).new
        movie = db.Movie.get_by_id(heat_id)
        assert movie.title == "Heat" and movie.year == 1995  # by its name
        assert "permission denied" in movie.last_error and not list(movie.video_streams)
        assert scan(rt).unchanged == 1  # still unreadable: not read again
    report = scan(rt)
    assert report.changed == [heat_id]
    movie = db.Movie.get_by_id(heat_id)
    assert movie.last_error is None and list(movie.video_streams)
    assert scan(rt).unchanged == 1


@pytest.mark.parametrize("name", ["Heat (1995).NFO", "Movie.NFO"])
def test_the_users_nfo_in_other_letters_is_read_as_kodi_reads_it_over_smb(tmp_path, make_rt, name):
    """`Heat (1995).NFO` or `Movie.NFO` (Ember, MediaElch or a tool on Windows wrote it): on
    the NAS's own disk, which metarrd reads, it is not `Heat (1995).nfo`; Kodi reads it all the
    same over the NAS's SMB share, whose Samba looks names up without case (Kodi on Windows;
    Kodi's own smb:// client). The scan passed it over: the user's ids and plot not taken in."""
    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    (heat.parent / name).write_text(
        "<movie><title>Heat</title><plot>Mine.</plot>"
        '<uniqueid type="tmdb" default="true">949</uniqueid></movie>'
    )

    (heat_id,) = scan(rt).new

    movie = db.Movie.get_by_id(heat_id)
    assert movie.plot == "Mine." and movie.hints["nfo_tmdb_id"] == 949


def test_a_users_nfo_we_could_not_read_is_taken_in_once_it_can_be(tmp_path, make_rt, monkeypatch):
    """The user's `movie.nfo` (their TMDB id, their plot) 0600 of the user tinyMediaManager runs
    as: the movie was scanned by its name, "cannot be read: Permission denied". Once the user
    fixed the permissions, a full scan took the unchanged video for unchanged and never read
    the NFO: the user's ids and plot never taken in. It is read once it can be; while it cannot,
    the movie is not read again each scan."""
    from tests.conftest import no_read

    rt = make_rt()
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    nfo = heat.parent / "movie.nfo"
    nfo.write_text(
        "<movie><title>Heat</title><plot>Mine.</plot>"
        '<uniqueid type="tmdb" default="true">949</uniqueid></movie>'
    )
    with monkeypatch.context() as m:
        no_read(m, nfo)
        (heat_id,) = scan(rt).new
        assert "movie.nfo: cannot be read" in db.Movie.get_by_id(heat_id).last_error
        assert scan(rt).unchanged == 1  # still unreadable: not read again
    assert scan(rt).changed == [heat_id]
    movie = db.Movie.get_by_id(heat_id)
    assert movie.plot == "Mine." and movie.hints["nfo_tmdb_id"] == 949
    assert movie.last_error is None
    assert scan(rt).unchanged == 1


def test_a_scan_of_an_extras_folder_alone_records_nothing(tmp_path, make_rt):
    """`Heat (1995)/Shorts/` beside the movie is its extras, which the walk does not enter; a
    scan of that folder alone (the watcher's, a webhook's) took its short for a movie, which the
    next full scan marked missing. A `Shorts` category folder is walked."""
    rt = make_rt()
    movies = tmp_path / "movies"
    put(movies, "Heat (1995)/Heat (1995).mkv")
    short = put(movies, "Heat (1995)/Shorts/Short.mkv")
    making = put(movies, "Heat (1995)/Extras/Making of.mkv")
    paperman = put(movies, "Shorts/Paperman (2012)/Paperman (2012).mkv")
    assert len(scan(rt).new) == 2
    for scope in ([short.parent], [short], [making.parent]):
        report = scan(rt, scope)
        assert report.found == 0 and not report.new, scope
    assert scan(rt, [paperman.parent.parent]).unchanged == 1  # a category: walked
    assert not db.Movie.select().where(db.Movie.missing).exists()
    assert {Path(m.path).name for m in db.Movie.select()} == {"Heat (1995).mkv", paperman.name}


SECRET_NFO = """<?xml version="1.0" encoding="UTF-8"?>
<movie><title>root:x:0:0</title><plot>the secret outside</plot>
<uniqueid type="tmdb" default="true">1091</uniqueid></movie>
"""


def _outside_files(tmp_path: Path) -> tuple[Path, Path]:
    """A secret NFO and image in a folder that is no library."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nfo").write_text(SECRET_NFO)
    Image.new("RGB", (200, 300), (1, 2, 3)).save(outside / "secret.jpg")
    return outside / "secret.nfo", outside / "secret.jpg"


def _cached_bytes(rt) -> list[bytes]:
    return [p.read_bytes() for p in Path(rt.config.cache_dir).rglob("*") if p.is_file()]


def test_an_nfo_or_image_linked_out_of_every_library_is_the_items_error_not_read(tmp_path, make_rt):
    """A user's NFO or artwork that is a symlink to a file outside every library is not read
    (the rule of symlinked folders): nothing of it reaches the item, the UI or the cache; the
    item says why; a link into a library (this one or another) is read as before."""
    movies, other = tmp_path / "movies", tmp_path / "other"
    rt = make_rt(libraries={"Movies": movies, "Other": other})
    secret_nfo, secret_jpg = _outside_files(tmp_path)
    heat = put(movies, "Heat (1995)/Heat (1995).mkv").parent
    (heat / "Heat (1995).nfo").symlink_to(secret_nfo)
    (heat / "poster.jpg").symlink_to(secret_jpg)
    (heat / "Heat (1995)-fanart.jpg").symlink_to(secret_jpg)
    Image.new("RGB", (320, 180), (30, 30, 200)).save(other / "shared.jpg")
    (heat / "banner.jpg").symlink_to(other / "shared.jpg")  # another library: fine
    dune = put(movies, "Dune (1984)/Dune (1984).mkv").parent
    (other / "dune.nfo").write_text(SECRET_NFO.replace("root:x:0:0", "Dune"))
    (dune / "movie.nfo").symlink_to(other / "dune.nfo")

    report = scan(rt)

    movie = db.Movie.get(db.Movie.path == str(heat / "Heat (1995).mkv"))
    assert movie.title == "Heat" and movie.plot is None
    assert movie.hints.get("nfo_tmdb_id") is None and not movie.source_nfo_hash
    reason = "outside every configured library: not read"
    problems = [e for e in movie.last_error.split("; ") if reason in e]
    assert len(problems) == 3, movie.last_error
    assert f"Heat (1995).nfo is a symbolic link to {secret_nfo}" in movie.last_error
    assert "follow_symlinks" in problems[0]
    assert sorted(Path(a.url).name for a in movie.assets if a.provider == "library") == [
        "banner.jpg"
    ]
    assert secret_jpg.read_bytes() not in _cached_bytes(rt)
    assert sum(reason in why for _item, why in report.errors) == 3
    events = db.Event.select().where(db.Event.movie == movie, db.Event.kind == "scan.error")
    assert sum(reason in e.message for e in events) == 3
    assert db.Movie.get(db.Movie.path == str(dune / "Dune (1984).mkv")).title == "Dune"


def test_a_library_that_follows_symlinks_reads_linked_nfos_and_images(tmp_path, make_rt):
    rt = make_rt()
    lib = dataclasses.replace(rt.config.library[0], follow_symlinks=True)
    rt.config = dataclasses.replace(rt.config, library=(lib,))
    secret_nfo, secret_jpg = _outside_files(tmp_path)
    heat = put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv").parent
    (heat / "Heat (1995).nfo").symlink_to(secret_nfo)
    (heat / "poster.jpg").symlink_to(secret_jpg)

    scan(rt)

    movie = db.Movie.get(db.Movie.path == str(heat / "Heat (1995).mkv"))
    assert movie.plot == "the secret outside" and movie.last_error is None
    assert [a.asset_type for a in movie.assets if a.provider == "library"] == ["poster"]


def test_a_scan_scoped_through_a_link_out_of_every_library_reads_nothing_there(tmp_path, make_rt):
    """The watcher scans the folder a change was in: a folder that is a symlink out of every
    library, scanned on its own, is not walked either (the full walk does not follow it), so
    its movie's NFO is never read and no item is recorded; a link into a library still is."""
    movies, other = tmp_path / "movies", tmp_path / "other"
    rt = make_rt(libraries={"Movies": movies, "Other": other})
    put(movies, "Heat (1995)/Heat (1995).mkv")
    outside = put(tmp_path / "outside", "Secret (2001)/Secret (2001).mkv").parent
    (outside / "Secret (2001).nfo").write_text("<movie><title>root:x:0:0</title></movie>")
    put(other, "Dune (1984)/Dune (1984).mkv")
    (movies / "Secret (2001)").symlink_to(outside)
    (movies / "Elsewhere").symlink_to(outside.parent)
    (movies / "Dune (1984)").symlink_to(other / "Dune (1984)")
    scan(rt)  # Heat, and Dune through the link into a library (and in its own)

    scopes = [
        movies / "Secret (2001)",
        movies / "Secret (2001)" / "Secret (2001).mkv",
        movies / "Elsewhere",
        movies / "Elsewhere" / "Secret (2001)",
        movies / "Dune (1984)",
    ]
    report = scan(rt, scopes)

    paths = sorted(
        Path(m.path).relative_to(movies).parts[0]
        for m in db.Movie.select()
        if Path(m.path).is_relative_to(movies)
    )
    assert paths == ["Dune (1984)", "Heat (1995)"]
    assert not db.Movie.select().where(db.Movie.title == "root:x:0:0").exists()
    refused = [path for path, reason in report.errors if "outside every configured" in reason]
    assert len(refused) == 4, report.errors


@pytest.mark.parametrize("denied", ["CD1", "CD2"])
def test_a_folder_stack_with_one_unlistable_part_stays_one_item(
    tmp_path, make_rt, monkeypatch, denied
):
    """`Movie (2001)/CD1/`, `CD2/`: one of them cannot be listed for a scan (EACCES, EIO). The
    stack is not seen as a stack then; the other part's file became a new movie of its own (or,
    CD2 unreadable, the stack was marked missing). It stays one item with its known parts, and
    the folder is reported."""
    rt = make_rt()
    movies = tmp_path / "movies"
    one = put(movies, "Movie (2001)/CD1/movie-a.mkv")
    two = put(movies, "Movie (2001)/CD2/movie-b.mkv")
    [stack] = scan(rt).new
    assert db.Movie.get_by_id(stack).parts == [str(one), str(two)]

    folder = movies / "Movie (2001)" / denied
    with monkeypatch.context() as m:
        _deny_listing(m, folder)
        report = scan(rt)
    assert not (report.new or report.changed or report.missing), report
    assert report.errors == [(str(folder), "permission denied")]
    [movie] = db.Movie.select()
    assert movie.parts == [str(one), str(two)] and not movie.missing
    [event] = db.Event.select().where(db.Event.kind == "scan.error")
    assert event.movie_id == stack and event.message == f"{folder}: permission denied"

    again = scan(rt)
    assert again.unchanged == 1 and not (again.new or again.changed or again.missing)


def test_a_scan_of_one_part_of_a_folder_stack_keeps_the_stack(tmp_path, make_rt):
    """The watcher's scan of `Movie (2001)/CD2/` (or of its file) after a change there walked
    CD2 alone: its video was a movie of its own, a new item the next full scan marked missing."""
    rt = make_rt()
    movies = tmp_path / "movies"
    one = put(movies, "Movie (2001)/CD1/movie-a.mkv")
    two = put(movies, "Movie (2001)/CD2/movie-b.mkv")
    [stack] = scan(rt).new
    for scope in ([two.parent], [two], [one.parent], [one]):
        report = scan(rt, scope)
        assert not (report.new or report.missing), (scope, report)
        [movie] = db.Movie.select()
        assert movie.id == stack and movie.parts == [str(one), str(two)], scope
    assert scan(rt).unchanged == 1


def test_a_folder_stack_whose_second_part_arrives_later_becomes_one_item(
    tmp_path, make_rt, monkeypatch
):
    """`Movie (2001)/CD1/` copied in first and scanned (the watcher's scan as it landed), `CD2/`
    after: the known CD1 movie's folder was not looked at again, so the stack was never formed
    and CD2's video became a second movie, for good."""
    rt = make_rt()
    movies = tmp_path / "movies"
    one = put(movies, "Movie (2001)/CD1/movie-a.mkv")
    [first] = scan(rt).new
    two = put(movies, "Movie (2001)/CD2/movie-b.mkv")
    with monkeypatch.context() as m:  # CD2 not readable yet: CD1's movie is still seen
        _deny_listing(m, two.parent)
        report = scan(rt)
    assert report.unchanged == 1 and not (report.new or report.changed or report.missing)
    report = scan(rt)
    assert not report.new and report.changed == [first], report
    [movie] = db.Movie.select()
    assert movie.parts == [str(one), str(two)]
    assert scan(rt).unchanged == 1


def test_a_stack_part_that_cannot_be_statted_is_the_one_reported(tmp_path, make_rt, monkeypatch):
    """`Heat (1995) cd2.mkv` gives EIO on stat (a bad sector, a flaky NAS): the error named cd1,
    which reads fine. The stack keeps its item and both parts."""
    rt = make_rt()
    movies = tmp_path / "movies"
    one = put(movies, "Heat (1995)/Heat (1995) cd1.mkv")
    two = put(movies, "Heat (1995)/Heat (1995) cd2.mkv")
    [stack] = scan(rt).new
    real_scandir = os.scandir

    class Broken:
        def __init__(self, entry):
            self._entry = entry

        def __getattr__(self, name):
            return getattr(self._entry, name)

        def stat(self, **_kwargs):
            raise OSError(5, "Input/output error", self._entry.path)

    def scandir(path="."):
        return [Broken(e) if e.path == str(two) else e for e in real_scandir(path)]

    with monkeypatch.context() as m:
        m.setattr(os, "scandir", scandir)
        report = scan(rt)
    assert report.errors == [(str(two), "Input/output error")]
    assert not (report.new or report.changed or report.missing), report
    movie = db.Movie.get_by_id(stack)
    assert movie.parts == [str(one), str(two)] and not movie.missing


def test_a_strm_file_is_a_movie_without_stream_details(tmp_path, make_rt):
    """A `.strm` file (one line: the URL of a stream) is a movie to Kodi and Jellyfin (Kodi's
    video extensions, AdvancedSettings.cpp; Jellyfin's "Streaming" docs). A library of them was
    skipped without a word. Nothing is read from it or from the URL: no stream details."""
    rt = make_rt()
    movies = tmp_path / "movies"
    strm = movies / "Ronin (1998)" / "Ronin (1998).strm"
    strm.parent.mkdir(parents=True)
    strm.write_text("http://192.0.2.1/ronin.m3u8\n")
    put(movies, "Heat (1995)/Heat (1995).mkv")
    report = scan(rt)
    assert len(report.new) == 2 and not report.errors, report
    movie = db.Movie.get(db.Movie.path == str(strm))
    assert (movie.title, movie.year, movie.last_error) == ("Ronin", 1998, None)
    assert not db.VideoStream.select().where(db.VideoStream.movie == movie).exists()
    assert scan(rt).unchanged == 2


def test_a_disc_stub_is_a_movie_without_stream_details(tmp_path, make_rt):
    """A media stub (`.disc`: a small XML note standing for a disc on the shelf) is a movie to
    Kodi (AdvancedSettings.cpp adds `m_discStubExtensions` ".disc" to its video extensions;
    kodi.wiki "Media stubs") and Jellyfin (Emby.Naming/Common/NamingOptions.cs
    StubFileExtensions; tests/Jellyfin.Naming.Tests/Video/StubTests.cs `video.bluray.disc`).
    A collection catalogued so was skipped without a word. It is never handed to MediaInfo."""
    rt = make_rt()
    movies = tmp_path / "movies"
    stub = movies / "Alien (1979)" / "Alien (1979).bluray.disc"
    stub.parent.mkdir(parents=True)
    stub.write_text(
        "<discstub>\n  <title>Alien</title>\n  <message>Shelf 3, box B</message>\n</discstub>\n"
    )
    put(movies, "Heat (1995)/Heat (1995).mkv")
    report = scan(rt)
    assert len(report.new) == 2 and not report.errors, report
    movie = db.Movie.get(db.Movie.path == str(stub))
    assert (movie.title, movie.year, movie.last_error) == ("Alien", 1979, None)
    assert not db.VideoStream.select().where(db.VideoStream.movie == movie).exists()
    assert scan(rt).unchanged == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Heat (1995)/Heat (1995) cd2.mkv", "Heat (1995)/Heat (1995) cd1.mkv"),
        ("Heat (1995)/CD2/heat-b.mkv", "Heat (1995)/CD1/heat-a.mkv"),
    ],
)
def test_a_stack_whose_first_part_arrives_last_keeps_its_item(tmp_path, make_rt, first, second):
    """A download finishing `cd2` before `cd1` (torrent files complete in any order): the scan
    between them recorded `cd2` as a movie; once `cd1` came, the stack (named by its first
    part) was a new item and the one the user may have identified was marked missing."""
    rt = make_rt()
    movies = tmp_path / "movies"
    two = put(movies, first)
    [item] = scan(rt).new
    one = put(movies, second)
    report = scan(rt)
    assert report.changed == [item] and not (report.new or report.missing), report
    [movie] = db.Movie.select()
    assert movie.path == str(one) and movie.parts == [str(one), str(two)] and not movie.missing
    assert scan(rt).unchanged == 1


def test_an_empty_library_root_is_a_share_not_mounted_and_marks_nothing_missing(tmp_path, make_rt):
    """A NAS share unmounted while the daemon runs leaves its mount point: an empty folder. A
    scan of it found no video and marked every movie of the library missing (a 24-hour rescan
    later, or a remount the watcher never sees, brought them back). Sonarr and Radarr skip the
    scan of a root folder that is empty for this reason (Sonarr's DiskScanService:
    "Series' root folder (…) is empty"). Now it is the scan's error and nothing is missing; a
    movie deleted from a library that still holds something is still missing."""
    rt = make_rt()
    movies = tmp_path / "movies"
    heat = put(movies, "Heat (1995)/Heat (1995).mkv")
    put(movies, "Alien (1979)/Alien (1979).mkv")
    assert len(scan(rt).new) == 2
    away = tmp_path / "away"
    movies.rename(away)  # the umount: the mount point stays, empty
    movies.mkdir()

    report = scan(rt)
    assert report.missing == [] and not db.Movie.select().where(db.Movie.missing).exists()
    assert report.errors and "empty" in report.errors[0][1]
    assert db.Event.select().where(db.Event.kind == "scan.failed").exists()
    # the watcher's scan of a vanished movie folder, in the empty mount point
    from metarrd.pipeline.steps import gone_from_library

    assert not gone_from_library(rt, str(heat.parent))

    movies.rmdir()
    away.rename(movies)  # mounted again
    again = scan(rt)
    assert again.unchanged == 2 and not (again.new or again.changed or again.missing)
    shutil.rmtree(heat.parent)  # a real deletion is still one
    assert scan(rt).missing == [db.Movie.get(db.Movie.path == str(heat)).id]


def test_a_link_put_in_place_after_the_look_is_not_read_either(tmp_path, make_rt, monkeypatch):
    """The look at a user's NFO or image (is it a link out of every library?) comes before its
    open: someone who may write the library (a download client's user, a share's guest) who
    swaps the file for such a link in between had it read all the same, the secret NFO into
    the item, the image into the cache. What is opened is looked at too."""
    from metarrd.scan import local_files
    from metarrd.scan import stage as scan_stage

    movies = tmp_path / "movies"
    rt = make_rt()
    secret_nfo, secret_jpg = _outside_files(tmp_path)
    heat = put(movies, "Heat (1995)/Heat (1995).mkv").parent
    (heat / "Heat (1995).nfo").write_text("<movie><title>Heat</title></movie>")
    Image.new("RGB", (200, 300), (9, 9, 9)).save(heat / "poster.jpg")
    looked = local_files.refused_link

    def swapped_after_the_look(path, config):
        reason = looked(path, config)
        if reason is None and not Path(path).is_symlink():
            Path(path).unlink()
            Path(path).symlink_to(secret_nfo if Path(path).suffix == ".nfo" else secret_jpg)
        return reason

    monkeypatch.setattr(local_files, "refused_link", swapped_after_the_look)
    monkeypatch.setattr(scan_stage, "refused_link", swapped_after_the_look)

    scan(rt)

    movie = db.Movie.get(db.Movie.path == str(heat / "Heat (1995).mkv"))
    assert movie.plot is None and movie.title != "root:x:0:0"
    assert secret_jpg.read_bytes() not in _cached_bytes(rt)
    assert "put there while it was being read" in (movie.last_error or ""), movie.last_error


def test_a_lone_vob_is_scanned_as_a_movie_with_its_streams(tmp_path, make_rt, finishes):
    """`Old Film (1975)/Old Film (1975).vob`, no VIDEO_TS nor VIDEO_TS.IFO: Kodi and Jellyfin
    list it as a movie (both hold `.vob` among their video extensions: AdvancedSettings.cpp,
    NamingOptions.cs), so it is ours too, its streams read from the file (an MPEG program
    stream, as a VOB is); the DVD beside it stays one disc, its VOBs no movies."""
    rt = make_rt()
    movies = tmp_path / "movies"
    put(movies, "Old Film (1975)/Old Film (1975).vob", MEDIA / "mpeg2_mp2.mpg")
    put(movies, "Alien (1979)/VIDEO_TS.IFO", MEDIA / "mpeg2_mp2.mpg")
    put(movies, "Alien (1979)/VTS_01_1.VOB", MEDIA / "mpeg2_mp2.mpg")

    report = finishes(lambda: scan(rt), 60)

    assert not report.errors
    found = {Path(m.path).name: m for m in db.Movie.select()}
    assert set(found) == {"Old Film (1975).vob", "Alien (1979)"}
    old = found["Old Film (1975).vob"]
    assert not old.is_disc
    assert [v.codec for v in old.video_streams] == ["mpeg2video"]  # Kodi's name
    assert [a.codec for a in old.audio_streams] == ["mp2"]
