"""What a rescan of an unchanged library costs per movie (bench.scan: 10,000 unchanged movies
against the bare floor of one `os.scandir` per folder and one `stat` per file): counted in
Python calls and SQL statements, never timed."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from bench.scan import record_as_found
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.scan.stage import scan_library
from tests.conftest import sqlite_statements


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def known_library(root: Path, start: int, count: int) -> None:
    """`count` more movies in folders of their own, known as bench.scan makes them known (rows
    inserted as a first scan leaves them; one scan then settles them)."""
    for i in range(start, start + count):
        folder = root / f"Movie {i:05d} ({1950 + i % 70})"
        folder.mkdir(parents=True)
        (folder / f"{folder.name}.mkv").write_bytes(b"v")
    record_as_found(root)


@contextlib.contextmanager
def python_calls():
    """How many Python functions are called (generator resumes included), by `sys.setprofile`."""
    seen = [0]

    def profile(frame, event, arg):
        if event == "call":
            seen[0] += 1

    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def test_an_unchanged_movie_costs_a_rescan_few_python_calls(rt, tmp_path):
    """Past the walk (`test_walk`: five calls a folder), the scan compares each found movie
    with its row: this cost two Python calls a movie more (whether its row holds one part, the
    name rules its name was read by), 10,000 of each a rescan. Now their common answers are
    told inline."""
    movies = tmp_path / "movies"
    calls = []
    for count in (20, 40):
        known_library(movies, count - 20, 20)  # 20, then 40 in all
        scan(rt)
        with python_calls() as seen:
            report = scan(rt)
        assert report.unchanged == count and not (report.new or report.changed), report
        calls.append(seen[0])
    assert (calls[1] - calls[0]) / 20 <= 5


def test_a_rescan_of_an_unchanged_library_runs_the_same_few_statements_at_any_size(rt, tmp_path):
    movies = tmp_path / "movies"
    runs = []
    for count in (5, 50):
        known_library(movies, len(runs) * 5, count - len(runs) * 5)  # 5, then 50
        scan(rt)
        with sqlite_statements() as seen:
            scan(rt)
        runs.append([sql for sql in seen if sql.strip()])
    assert len(runs[0]) == len(runs[1]) <= 6, runs[1]


def test_a_library_with_nothing_published_keeps_no_listing_of_its_folders(rt, tmp_path):
    """The walk's listing of each folder (a set of its names, 10,000 a rescan) serves only the
    look for a published item's files gone (`scan.ours_gone`): a library with nothing
    published keeps none (it cost its rescan about 7%, `bench.scan --unpublished`)."""
    movies = tmp_path / "movies"
    known_library(movies, 0, 20)
    scan(rt)

    lib = rt.config.library[0]

    report = scan_library(rt, lib, [Path(lib.path)])

    assert report.published_known is False and report.listed == {}
