"""What a first scan costs per new movie in SQL statements (bench.scan: 1,000 new movies against
the floor of reading their stream details alone), counted, never timed; each new movie's own
id, streams and events from the batch's statements; and the look under the write lock that they
keep (a new video another scan recorded meanwhile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._common import link_sample
from metarrd import db, dbrows
from metarrd.runtime import open_runtime
from metarrd.scan import local_files, scan, stage
from metarrd.walk import walk_library
from tests.conftest import sqlite_statements

from .conftest import KODI_NFO, SAMPLE


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


def test_a_new_movie_costs_a_first_scan_no_statement_of_its_own(rt, tmp_path):
    """A batch of new movies is recorded by a fixed number of statements: one look for the
    paths another scan recorded meanwhile, one INSERT of the movies (their ids back), one of
    their `scan.found` events, one of stream rows per table. Each new movie was looked up by
    its path and given three inserts of stream rows, then its own INSERT of every column and
    one of its event (two statements a movie, 2,000 in bench.scan's first scan)."""
    movies = tmp_path / "movies"
    runs = []
    for start, count in ((0, 5), (5, 25)):
        new_movies(movies, start, count)
        with sqlite_statements() as seen:
            report = scan(rt)
        assert len(report.new) == count and not report.errors, report
        runs.append([sql for sql in seen if sql.strip()])
    assert len(runs[1]) == len(runs[0]), runs[1]
    for movie in db.Movie.select():  # each with its own streams, as one insert a movie gave them
        assert [v.codec for v in movie.video_streams] == ["h264"], movie.path
        assert [(a.codec, a.channels) for a in movie.audio_streams] == [("aac", 2), ("ac3", 6)]
        assert len(movie.subtitle_streams) == 1


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "sqlite-before-3.35"])
def test_each_new_movie_has_its_own_id_its_streams_and_its_event(
    rt, tmp_path, monkeypatch, returning
):
    """The ids of one INSERT of a batch's movies come back with their paths: RETURNING's rows
    come in no promised order (SQLite's documentation and PostgreSQL's say so), and an SQLite
    without RETURNING (before 3.35) is asked for them. Each movie's streams, `scan.found`
    event and report entry are its own, in a batch of movies that differ (a stack, a movie
    whose NFO gives its values, one whose file cannot be read)."""
    monkeypatch.setattr(dbrows, "RETURNING", returning, raising=False)
    movies = tmp_path / "movies"
    new_movies(movies, 0, 4)
    heat = movies / "Heat (1995)"
    heat.mkdir()
    for part in ("cd1", "cd2"):
        link_sample(SAMPLE, heat / f"Heat (1995) {part}.mkv", movies)
    (movies / "Movie 00002 (1952)" / "Movie 00002 (1952).nfo").write_text(KODI_NFO)
    broken = movies / "Broken (2001)" / "Broken (2001).mkv"
    broken.parent.mkdir()
    broken.write_bytes(b"not a video" * 100)

    report = scan(rt)

    rows = {m.path: m for m in db.Movie.select()}
    assert sorted(report.new) == sorted(m.id for m in rows.values()) and len(rows) == 6
    thing = rows[str(movies / "Movie 00002 (1952)" / "Movie 00002 (1952).mkv")]
    assert (thing.title, thing.plot, thing.title_folded) == (
        "The Thing",
        "My own words about this film.",
        "the thing",
    )
    stack = rows[str(heat / "Heat (1995) cd1.mkv")]
    assert (stack.title, stack.year, len(stack.parts)) == ("Heat", 1995, 2)
    for path, movie in rows.items():
        found = [e.message for e in movie.events if e.kind == "scan.found"]
        assert found == [f"Found {Path(path).name}"], path
        streams = [v.codec for v in movie.video_streams]
        assert streams == ([] if movie.path == str(broken) else ["h264"]), path
    errors = [e for e in rows[str(broken)].events if e.kind == "scan.error"]
    assert len(errors) == 1 and rows[str(broken)].last_error == errors[0].message
    assert report.errors == [(str(broken), errors[0].message)]


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
