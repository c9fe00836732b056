"""What a first scan costs per new movie in SQL statements (bench.scan: 1,000 new movies against
the floor of reading their stream details alone), counted, never timed; and the look under the
write lock that its batched statements keep (a new video another scan recorded meanwhile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._common import link_sample
from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import local_files, scan, stage
from metarrd.walk import walk_library
from tests.conftest import sqlite_statements

from .conftest import SAMPLE


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def new_movies(root: Path, start: int, count: int) -> None:
    """`count` more movies in folders of their own, each a hard link to the sample (a video, two
    audio and a subtitle stream), as bench.scan makes them."""
    for i in range(start, start + count):
        folder = root / f"Movie {i:05d} ({1950 + i % 70})"
        folder.mkdir(parents=True)
        link_sample(SAMPLE, folder / f"{folder.name}.mkv", root)


def test_a_new_movie_costs_a_first_scan_two_statements(rt, tmp_path):
    """Its row and its `scan.found` event. Each new movie was looked up by its path (another
    scan may have recorded it meanwhile) and given three inserts of stream rows, 1,000 of each
    in bench.scan's first scan: one look and one insert per table serve a batch now."""
    movies = tmp_path / "movies"
    runs = []
    for start, count in ((0, 5), (5, 25)):
        new_movies(movies, start, count)
        with sqlite_statements() as seen:
            report = scan(rt)
        assert len(report.new) == count and not report.errors, report
        runs.append([sql for sql in seen if sql.strip()])
    assert (len(runs[1]) - len(runs[0])) / 20 <= 2, runs[1]
    for movie in db.Movie.select():  # each with its own streams, as one insert a movie gave them
        assert [v.codec for v in movie.video_streams] == ["h264"], movie.path
        assert [(a.codec, a.channels) for a in movie.audio_streams] == [("aac", 2), ("ac3", 6)]
        assert len(movie.subtitle_streams) == 1


def test_a_probe_looks_once_whether_the_movie_has_its_folder_alone(rt, tmp_path, monkeypatch):
    """Whether a movie has its folder alone (`has_own_folder`: its `movie.nfo`, its bare-named
    art) is asked once a probe: the NFO's search and the artwork's asked it each, listing the
    folder twice."""
    movies = tmp_path / "movies"
    new_movies(movies, 0, 1)
    [video] = walk_library(movies)
    asked = []
    own = local_files.has_own_folder

    def has_own_folder(place, roots=()):
        asked.append(place.path)
        return own(place, roots)

    monkeypatch.setattr(local_files, "has_own_folder", has_own_folder)
    monkeypatch.setattr(stage, "has_own_folder", has_own_folder, raising=False)
    pr = stage.probe(rt, movies, video)
    assert pr.streams is not None and not pr.errors
    assert asked == [video.path]


def test_a_new_video_another_scan_recorded_meanwhile_is_its_item(rt, tmp_path, monkeypatch):
    """A webhook's or the watcher's scan recording the video while this scan reads it: this
    scan takes that item under the write lock, not a second one (UNIQUE constraint failed:
    movies.path), and reads the rest of the batch as new."""
    movies = tmp_path / "movies"
    new_movies(movies, 0, 3)
    raced = movies / "Movie 00001 (1951)" / "Movie 00001 (1951).mkv"
    probe = stage.probe

    def probe_while_another_scan_records(rt_, root, video):
        if video.path == raced:
            db.Movie.create(
                library=db.Library.get(), path=str(raced), parts=[str(raced)], title="other"
            )
        return probe(rt_, root, video)

    monkeypatch.setattr(stage, "probe", probe_while_another_scan_records)
    report = scan(rt)

    other = db.Movie.get(db.Movie.path == str(raced))
    assert report.changed == [other.id] and len(report.new) == 2 and not report.errors, report
    assert db.Movie.select().count() == 3
    assert [v.codec for v in other.video_streams] == ["h264"]


def test_a_video_the_scope_names_twice_is_one_item_with_its_streams_once(rt, tmp_path):
    """The watcher's and a webhook's scopes name a folder and a file in it: the file is probed
    twice into one batch. Its second record found no item by the batch's one look (its row was
    not there yet) and inserted the path again: "UNIQUE constraint failed: movies.path", the
    scan failed, and in the daemon's 2,000-file burst 134 files were left unscanned."""
    folder = tmp_path / "movies" / "Alien (1979)"
    folder.mkdir(parents=True)
    video = folder / "Alien (1979).mkv"
    link_sample(SAMPLE, video, folder.parent)

    report = scan(rt, [folder, video, folder.parent])

    assert not report.errors, report.errors
    assert report.found == 1  # walked twice, probed once
    [movie] = db.Movie.select()
    assert movie.path == str(video) and report.new == [movie.id]
    assert db.AudioStream.select().where(db.AudioStream.movie == movie).count() == 2
    assert db.VideoStream.select().where(db.VideoStream.movie == movie).count() == 1
