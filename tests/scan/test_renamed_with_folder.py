"""A movie's folder and file renamed together without the webhook: Radarr's *Rename Movies*
(or a folder format change) turns `Inception (2010)/Inception (2010).mkv` into
`Inception (2010) {tmdb-27205}/Inception (2010) {tmdb-27205} [Bluray-1080p].mkv` (its default
folder and file formats with `{tmdb-...}` and `[{Quality Full}]`, as Radarr's naming page
suggests for Plex and Jellyfin). The file is the same one (same device and inode, size and
mtime): its item follows, with its identification, locks and published files. A file that only
looks like it (a copy, a hard link of a download imported again as another film) does not."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from tests.caseless import caseless

from .conftest import scanned_with_users_work

OLD = "Inception (2010)/Inception (2010).mkv"
NEW_FOLDER = "Inception (2010) {tmdb-27205}"
NEW = f"{NEW_FOLDER}/Inception (2010) {{tmdb-27205}} [Bluray-1080p].mkv"


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def _scanned(rt, movies, rel: str = OLD, tmdb_id: int = 27205) -> db.Movie:
    return scanned_with_users_work(rt, movies, rel, tmdb_id)


def _radarr_renames(movies):
    """Radarr's rename: the folder first, then the file in it (both rename(2): one file)."""
    os.rename(movies / "Inception (2010)", movies / NEW_FOLDER)
    os.rename(movies / NEW_FOLDER / "Inception (2010).mkv", movies / NEW)


@pytest.mark.parametrize(
    "scope",
    [None, [NEW_FOLDER]],
    ids=["full scan", "the watcher's (the new folder; the old one is gone, not walked)"],
)
def test_a_file_renamed_with_its_folder_keeps_its_item(rt, tmp_path, scope):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    poster = movies / "Inception (2010)/poster.jpg"
    poster.write_bytes(b"ours")
    ours = db.LibraryFile.create(
        movie=item.id, path=str(poster), kind="art", sha256="0" * 64, size=4
    )
    _radarr_renames(movies)

    report = scan(rt) if scope is None else scan(rt, [movies / p for p in scope])

    assert report.new == [] and report.missing == [] and report.moved == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.missing) == (str(movies / NEW), False)
    assert (after.tmdb_id, after.plot, after.locked_fields) == (27205, "My own words.", ["plot"])
    assert after.publish_state == db.OUTDATED  # its NFO and artwork bear the old name
    assert db.Movie.select().count() == 1
    # our poster went along with the folder: still ours, for the next publish to replace
    assert db.LibraryFile.get_by_id(ours.id).path == str(movies / NEW_FOLDER / "poster.jpg")
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.movie_id == item.id and "was renamed to" in event.message


def test_an_item_scanned_by_an_earlier_version_learns_its_file_identity(rt, tmp_path):
    """Items recorded before file identities were: the next full scan records them (once), so a
    rename after it is followed."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    db.Movie.update(file_id=None).execute()

    assert scan(rt).unchanged == 1
    assert db.Movie.get_by_id(item.id).file_id is not None
    _radarr_renames(movies)

    assert scan(rt).moved == [item.id]


def test_a_copy_under_another_name_elsewhere_is_a_new_item(rt, tmp_path):
    """`cp -p` keeps size and mtime, not the inode: the old item is missing, the copy new."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    (movies / NEW).parent.mkdir()
    shutil.copy2(movies / OLD, movies / NEW)
    shutil.rmtree(movies / "Inception (2010)")

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id] and report.moved == []


def test_a_download_linked_again_as_another_film_is_a_new_item(rt, tmp_path):
    """Radarr imported a download by hard link as the wrong film, then again as the right one:
    the same file (same inode) under another film's name does not take the first film's item."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, "Dune (1984)/Dune (1984).mkv", tmdb_id=841)
    (movies / "Dune (2021)").mkdir()
    os.link(movies / "Dune (1984)/Dune (1984).mkv", movies / "Dune (2021)/Dune (2021).mkv")
    shutil.rmtree(movies / "Dune (1984)")

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]
    assert db.Movie.get_by_id(item.id).tmdb_id == 841


def test_a_new_name_with_another_tmdb_id_is_a_new_item(rt, tmp_path):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    (movies / "Inception (2010) {tmdb-99999}").mkdir()
    os.rename(movies / OLD, movies / "Inception (2010) {tmdb-99999}/Inception (2010).1080p.mkv")

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]


def test_two_links_to_the_file_are_two_new_items(rt, tmp_path):
    """Renamed, and linked once more elsewhere: which one is the item's is not known."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    _radarr_renames(movies)
    (movies / "Inception.2010.1080p").mkdir()
    os.link(movies / NEW, movies / "Inception.2010.1080p/Inception.2010.1080p.mkv")

    report = scan(rt)

    assert len(report.new) == 2 and report.missing == [item.id]


def test_a_link_beside_the_file_still_there_is_a_new_item(rt, tmp_path):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies)
    (movies / NEW).parent.mkdir()
    os.link(movies / OLD, movies / NEW)

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [] and report.moved == []
    assert db.Movie.get_by_id(item.id).path == str(movies / OLD)


def test_a_folder_and_file_renamed_in_case_only_keep_their_item(rt, tmp_path):
    """`inception (2010)/inception (2010).mkv` renamed to `Inception (2010)/Inception
    (2010).mkv` (a renamer fixing the case): another name in another folder, the same file."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, "inception (2010)/inception (2010).mkv")
    os.rename(movies / "inception (2010)", movies / "Inception (2010)")
    os.rename(movies / "Inception (2010)/inception (2010).mkv", movies / OLD)

    report = scan(rt, [movies / "Inception (2010)"])

    assert report.new == [] and report.moved == [item.id]
    assert db.Movie.get_by_id(item.id).path == str(movies / OLD)


@pytest.mark.parametrize("file_too", [True, False], ids=["folder and file", "folder alone"])
def test_a_folder_renamed_in_case_only_on_a_share_that_ignores_case_keeps_its_item(
    rt, tmp_path, monkeypatch, file_too
):
    """The same case-only rename (Windows Explorer, a renamer) on a share that ignores case
    (SMB, APFS), found by the watcher's scan of the new folder: the old path still leads to the
    file there, so it was not gone, and the file became a second item of its own, the first
    one left with its identification on a path no listing gives any more. Nor did the rows of
    our files there follow: the next publish took our poster at the new name for the user's,
    and removed it under the old one, the same file there, after writing it."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, "inception (2010)/inception (2010).mkv")
    poster = movies / "inception (2010)/poster.jpg"
    poster.write_bytes(b"ours")
    ours = db.LibraryFile.create(
        movie=item.id, path=str(poster), kind="art", sha256=hashlib.sha256(b"ours").hexdigest(),
        size=4,
    )  # fmt: skip
    os.rename(movies / "inception (2010)", movies / "Inception (2010)")
    if file_too:
        os.rename(movies / "Inception (2010)/inception (2010).mkv", movies / OLD)
    caseless(monkeypatch)
    new = movies / (OLD if file_too else "Inception (2010)/inception (2010).mkv")

    report = scan(rt, [movies / "Inception (2010)"])

    assert report.new == [] and report.moved == [item.id]
    assert db.Movie.get_by_id(item.id).path == str(new)
    assert db.Movie.select().count() == 1
    # our poster went along: its row names it where the folder lists it, for the next publish
    assert db.LibraryFile.get_by_id(ours.id).path == str(movies / "Inception (2010)/poster.jpg")


def test_a_link_swapped_in_after_the_check_is_not_read_as_our_file(tmp_path, monkeypatch):
    """Our file at its new name checked as a regular file, then swapped for a symbolic link
    (to a file of the same bytes elsewhere) before it is read: the row does not follow onto
    it; the link is not opened."""
    from metarrd.scan import renames

    data = b"<movie><title>Inception</title></movie>\n"
    outside = tmp_path / "outside.nfo"
    outside.write_bytes(data)
    ours = tmp_path / "Inception (2010) {tmdb-27205}.nfo"
    ours.write_bytes(data)
    real_lstat, swapped = os.lstat, []

    def lstat_then_swap(path, *args, **kwargs):
        st = real_lstat(path, *args, **kwargs)
        if os.fspath(path) == str(ours) and not swapped:
            swapped.append(path)
            os.unlink(ours)
            os.symlink(outside, ours)
        return st

    monkeypatch.setattr(renames.os, "lstat", lstat_then_swap)
    assert not renames._holds(str(ours), len(data), hashlib.sha256(data).hexdigest())
    assert swapped
