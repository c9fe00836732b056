"""A share gone from inside a library whose root is still there: a movie folder that is a
symbolic link into a second NAS share (`Movies/Heat (1995)` -> `/mnt/nas2/Heat (1995)`, nas2
not mounted: the link leads nowhere), or a second share mounted on a folder of the library
(`Movies/Collection`), unmounted: its mount point is left, empty. The scan marked their items
missing, as if the user had deleted the films. They are reported as a folder that cannot be
read (EACCES, EIO) is, and keep their state; a folder the user deleted or emptied is gone."""

from __future__ import annotations

import os
import shutil

import pytest

from metarrd import db
from metarrd.pipeline.steps import gone_from_library
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import put


@pytest.fixture
def nas2(tmp_path):
    """The second share's mount point, outside the library (as `/mnt/nas2`)."""
    mount_point = tmp_path / "mnt" / "nas2"
    mount_point.mkdir(parents=True)
    return mount_point


@pytest.fixture
def rt(tmp_path, config_factory):
    # a link out of the library is followed only with follow_symlinks (walk.may_follow)
    movies = tmp_path / "movies"
    movies.mkdir()
    library = [{"name": "Movies", "path": str(movies), "kind": "movie", "follow_symlinks": True}]
    runtime = open_runtime(config_factory(library=library))
    yield runtime
    runtime.close()


def _unmount(mount_point, away):
    """What the library sees of an unmounted share: its mount point, empty."""
    away.mkdir()
    for entry in os.listdir(mount_point):
        shutil.move(mount_point / entry, away / entry)


def _remount(mount_point, away):
    for entry in os.listdir(away):
        shutil.move(away / entry, mount_point / entry)
    away.rmdir()


def test_a_movie_folder_linked_into_a_share_not_mounted_is_unreachable_not_missing(
    tmp_path, rt, nas2
):
    movies = tmp_path / "movies"
    heat = put(nas2, "Heat (1995)/Heat (1995).mkv")
    link = movies / "Heat (1995)"
    link.symlink_to(heat.parent, target_is_directory=True)
    put(movies, "Ronin (1998)/Ronin (1998).mkv")
    assert len(scan(rt).new) == 2
    item = db.Movie.get(db.Movie.path == str(link / "Heat (1995).mkv"))

    away = tmp_path / "unmounted"
    _unmount(nas2, away)
    assert not link.exists() and link.is_symlink()
    for scope in (None, [link], [link / "Heat (1995).mkv"]):  # a full scan, `scan PATH`
        report = scan(rt, scope)
        assert report.missing == [] and not report.new, scope
        assert [path for path, _ in report.errors] == [str(link)], scope
        assert f"is a symbolic link to {heat.parent}, which does not exist" in report.errors[0][1]
        assert not db.Movie.get_by_id(item.id).missing, scope
    # the daemon's scan of the path the watcher or a webhook saw go, and `metarrd scan PATH`
    assert not gone_from_library(rt, str(link))
    assert not gone_from_library(rt, str(link / "Heat (1995).mkv"))
    event = db.Event.select().where(db.Event.kind == "scan.error", db.Event.movie == item.id)
    assert event.exists()  # on the item's page

    _remount(nas2, away)
    again = scan(rt)
    assert again.unchanged == 2 and not (again.missing or again.errors or again.new)

    link.unlink()  # the user deleted the link: the film is gone from the library
    assert gone_from_library(rt, str(link))
    assert scan(rt).missing == [item.id]


def test_a_share_mounted_in_the_library_and_unmounted_leaves_its_items(tmp_path, rt):
    """`Movies/Collection` is a second share's mount point; the library's root holds other
    movies, so it is not taken for a share not mounted itself (`stage.unmounted`)."""
    movies = tmp_path / "movies"
    collection = movies / "Collection"
    alien = put(collection, "Alien (1979)/Alien (1979).mkv")
    put(collection, "Inception (2010)/Inception (2010) cd1.mkv")  # a stack: no file identity
    put(collection, "Inception (2010)/Inception (2010) cd2.mkv")
    heat = put(movies, "Heat (1995)/Heat (1995).mkv")
    ronin = put(movies, "Ronin (1998)/Ronin (1998).mkv")
    assert len(scan(rt).new) == 4
    # the share's files were found on its own file system: the scan recorded that device (here
    # /proc's, another file system than the tmp folder's, as a mounted share's is)
    share_device = os.stat("/proc").st_dev
    assert share_device != os.stat(movies).st_dev
    item = db.Movie.get(db.Movie.path == str(alien))
    db.Movie.update(file_id=f"{share_device}:{os.stat(alien).st_ino}").where(
        db.Movie.id == item.id
    ).execute()
    stack = db.Movie.get(db.Movie.path.endswith("cd1.mkv"))
    assert stack.file_id is None

    away = tmp_path / "unmounted"
    _unmount(collection, away)
    (collection / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # a Mac browsed the mount point
    shutil.rmtree(heat.parent)  # deleted by the user meanwhile: gone
    report = scan(rt)
    assert report.missing == [db.Movie.get(db.Movie.path == str(heat)).id]
    assert [path for path, _ in report.errors] == [str(collection)]
    assert (
        "is empty, where the items below it were found on another file system"
        in (report.errors[0][1])
    )
    assert not db.Movie.get_by_id(item.id).missing and not db.Movie.get_by_id(stack.id).missing
    for path in (collection, alien.parent, alien):
        assert not gone_from_library(rt, str(path)), path
    report = scan(rt, [alien.parent])
    assert report.missing == [] and [p for p, _ in report.errors] == [str(collection)]

    _remount(collection, away)
    again = scan(rt)
    assert not (again.missing or again.errors or again.new)

    # a folder the user emptied, on the file system its file was found on: gone
    ronin.unlink()
    assert gone_from_library(rt, str(ronin))
    assert scan(rt).missing == [db.Movie.get(db.Movie.path == str(ronin)).id]


def test_films_behind_a_share_not_mounted_are_kept_when_the_library_becomes_tv(
    tmp_path, rt, config_factory, nas2
):
    """A TV folder first scanned as a movie library (its `kind = "tv"` forgotten), a show
    folder a link into nas2; set to TV while nas2 is not mounted. The TV scan drops the films
    it leaves out (`kind_change.films_left_in_tv`), and dropped these, with their history, as
    if the show were deleted: they are behind a share not there, kept and reported, and
    become episodes, the same items, once it is back."""
    movies = tmp_path / "movies"
    show = put(nas2, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv").parents[1]
    link = movies / "Firefly (2002)"
    link.symlink_to(show, target_is_directory=True)
    put(movies, "Breaking Bad (2008)/Season 1/Breaking Bad - S01E01 - Pilot.mkv")
    assert len(scan(rt).new) == 2
    film = db.Movie.get(db.Movie.path.startswith(str(link)))
    assert film.kind == db.MOVIE
    db.record_event("scan.found", "the user's history", movie=film.id)
    rt.close()

    away = tmp_path / "unmounted"
    _unmount(nas2, away)
    library = [{"name": "Movies", "path": str(movies), "kind": "tv", "follow_symlinks": True}]
    tv = open_runtime(config_factory(library=library))
    try:
        report = scan(tv)
        assert db.Movie.get_or_none(db.Movie.id == film.id) is not None
        assert db.Event.select().where(db.Event.movie == film.id).exists()
        assert [path for path, _ in report.errors] == [str(link)]
        assert f"is a symbolic link to {show}, which does not exist" in report.errors[0][1]

        _remount(nas2, away)
        scan(tv)
        assert db.Movie.get_by_id(film.id).kind == db.EPISODE
        assert not db.Movie.select().where(db.Movie.kind == db.MOVIE).exists()
    finally:
        tv.close()
