"""What a real library holds besides movies: special files where images are expected, names that
are not UTF-8, symlinked folders. Each is one skipped file with a reason; the scan goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import put


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
