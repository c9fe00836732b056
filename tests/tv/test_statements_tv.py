"""A show's scan reads and writes its items in statements that do not grow with its
episodes (bench.tv_scan, bench.tv_enrich: per-item database work was most of their cost)."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter

import pytest

from metarrd import db
from metarrd.scan import scan

from .conftest import put


@contextlib.contextmanager
def statements():
    """The SQL this thread's SQLite connection runs (the sqlite3 trace callback)."""
    seen: list[str] = []
    connection = db.database.connection()
    if not hasattr(connection, "set_trace_callback"):
        pytest.skip("counts statements with SQLite's trace callback (the plan is the same SQL)")
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


def kinds(seen: list[str], tables: tuple[str, ...]) -> Counter:
    """(verb, table) -> how many statements, for the tables asked about."""
    out: Counter = Counter()
    for sql in seen:
        verb = sql.split(None, 1)[0].upper() if sql.strip() else ""
        table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
        if verb in {"SELECT", "INSERT", "UPDATE", "DELETE"} and table and table[1] in tables:
            out[(verb, table[1])] += 1
    return out


def show_files(show: str, seasons: int, per_season: int) -> list[str]:
    return [
        f"{show}/Season {s:02d}/{show.split(' (')[0]} - S{s:02d}E{e:02d}.mkv"
        for s in range(1, seasons + 1)
        for e in range(1, per_season + 1)
    ]


def test_a_scan_reads_and_inserts_a_shows_items_in_a_few_statements(tv_rt, tmp_path):
    tables = ("movies", "video_streams", "audio_streams", "subtitle_streams")
    counts, again = [], []
    for show, per_season in (("Breaking Bad (2008)", 2), ("Better Call Saul (2015)", 8)):
        files = [put(tmp_path / "tv", rel) for rel in show_files(show, 2, per_season)]
        with statements() as seen:
            report = scan(tv_rt, [tmp_path / "tv" / show])
        assert len(report.new) == 1 + 2 * per_season and not report.errors, report.errors
        counts.append(kinds(seen, tables))
        for f in files:  # every file changed: read again, its streams replaced
            os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
        with statements() as seen:
            report = scan(tv_rt, [tmp_path / "tv" / show])
        assert len(report.changed) == 2 * per_season, report
        again.append({k: n for k, n in kinds(seen, tables).items() if k[0] != "UPDATE"})
    small, big = counts
    assert small == big, (small, big)  # not SELECTs and INSERTs per episode
    assert again[0] == again[1], again  # an UPDATE per changed episode, the rest per show
    episodes = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert sorted((e.season, e.episodes[0]) for e in episodes if "Saul" in e.path) == [
        (s, e) for s in (1, 2) for e in range(1, 9)
    ]
    seasons = db.Movie.select().where(db.Movie.kind == db.SEASON)
    assert sorted((s.show.title, s.season) for s in seasons) == [
        ("Better Call Saul", 1), ("Better Call Saul", 2),
        ("Breaking Bad", 1), ("Breaking Bad", 2),
    ]  # fmt: skip
    assert all(e.video_streams.count() == 1 for e in episodes)  # each its own id
