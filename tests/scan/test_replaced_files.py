"""A movie's file replaced by another one in its folder, as an upgrade does without the webhook
(Radarr without *On Import*/*On Upgrade*, a manual upgrade, a re-encode): the item follows the
new file with its identification, locks and choices, as the Radarr webhook's upgrade path does
(`webhooks._upgrade` -> `renames.follow_renames`). Only where no other reading is possible:
the old file gone, exactly one new video in that movie's own folder, of the same title and
year by its name."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import MEDIA, put

# Radarr's default naming of the same film at two qualities ({Movie CleanTitle} {(Release Year)}
# {Quality Full}): the upgrade deletes the first, then imports the second beside it.
OLD = "Inception (2010)/Inception (2010) Bluray-720p.mkv"
NEW = "Inception (2010)/Inception (2010) Bluray-1080p.mkv"
BETTER = MEDIA / "hevc_hdr10.mkv"  # another size, other streams


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def _scanned(rt, movies, rel: str) -> db.Movie:
    video = put(movies, rel)
    (movie_id,) = scan(rt, [video.parent]).new
    db.Movie.update(
        tmdb_id=27205,
        identification_status=db.ENRICHED,
        publish_state=db.PUBLISHED,
        plot="My own words.",
        locked_fields=["plot"],
    ).where(db.Movie.id == movie_id).execute()
    return db.Movie.get_by_id(movie_id)


@pytest.mark.parametrize("whole", [True, False], ids=["full scan", "the watcher's folder"])
def test_a_file_replaced_in_its_folder_keeps_its_item(rt, tmp_path, whole):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    new = put(movies, NEW, BETTER)

    report = scan(rt) if whole else scan(rt, [new.parent])

    assert report.new == [] and report.missing == [] and report.changed == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert after.path == str(new) and not after.missing
    assert (after.tmdb_id, after.identification_status) == (27205, db.ENRICHED)
    assert (after.plot, after.locked_fields) == ("My own words.", ["plot"])
    assert after.publish_state == db.OUTDATED  # its NFO and artwork bear the old name
    assert after.size == BETTER.stat().st_size
    (video,) = db.VideoStream.select().where(db.VideoStream.movie == item.id)
    assert video.codec == "hevc"
    assert db.Movie.select().count() == 1
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.movie_id == item.id and "was replaced by" in event.message


def test_a_file_replaced_after_the_old_one_was_seen_gone_keeps_its_item(rt, tmp_path):
    """The old file deleted and scanned (the watcher, when the new file comes later than the
    folder settles): the item is missing; the new file, when it comes, takes it back."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    assert scan(rt, [(movies / OLD).parent]).missing == [item.id]
    new = put(movies, NEW, BETTER)

    report = scan(rt, [new.parent])

    assert report.new == [] and report.changed == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.missing, after.tmdb_id) == (str(new), False, 27205)


def test_a_different_film_in_the_folder_is_a_new_item(rt, tmp_path):
    """The file replaced by another film (its name says so): not the same item."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    put(movies, "Inception (2010)/Interstellar (2014) Bluray-1080p.mkv", BETTER)

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]


def test_two_new_files_do_not_take_the_old_item(rt, tmp_path):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    put(movies, NEW, BETTER)
    put(movies, "Inception (2010)/Inception (2010) Bluray-2160p.mkv", MEDIA / "xvid_mp3.avi")

    report = scan(rt)

    assert len(report.new) == 2 and report.missing == [item.id]


def test_a_file_replaced_in_a_folder_of_several_movies_is_a_new_item(rt, tmp_path):
    """In the library's root, or a folder of many films, one file gone and one come are two
    films: the one that went is missing, the one that came is new."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, "Inception.2010.720p.mkv")
    (movies / "Inception.2010.720p.mkv").unlink()
    put(movies, "Inception.2010.1080p.mkv", BETTER)

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]
