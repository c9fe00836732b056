"""A show's scan and enrich read and write its items in statements that do not grow with its
episodes (bench.tv_scan, bench.tv_enrich: per-item database work was most of their cost)."""

from __future__ import annotations

import os
import re
from collections import Counter

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.identify import identify_many
from metarrd.scan import scan
from tests.conftest import sqlite_statements

from .conftest import put


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
        with sqlite_statements() as seen:
            report = scan(tv_rt, [tmp_path / "tv" / show])
        assert len(report.new) == 1 + 2 * per_season and not report.errors, report.errors
        counts.append(kinds(seen, tables))
        for f in files:  # every file changed: read again, its streams replaced
            os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
        with sqlite_statements() as seen:
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


def test_an_enrich_writes_a_shows_items_and_their_cast_in_a_few_statements(tv_rt, tmp_path):
    tv_rt.http.backoff = 0.05
    counts = []
    for show, per_season in (("Breaking Bad (2008)", 1), ("Better Call Saul (2015)", 4)):
        for rel in show_files(show, 1, per_season):
            put(tmp_path / "tv", rel)
        scan(tv_rt, [tmp_path / "tv" / show])
        item = db.Movie.get(db.Movie.path == str(tmp_path / "tv" / show))
        identify_many(tv_rt, [item.id], threads=1)
        with sqlite_statements() as seen:
            result = enrich_item(tv_rt, db.Movie.get_by_id(item.id))
        assert (result.episodes, result.failed) == (per_season, {}), str(result)
        found = kinds(seen, ("movies", "movie_actors", "events"))
        counts.append({k: n for k, n in found.items() if k[0] != "UPDATE"})  # a save per item
    small, big = counts
    assert small == big, (small, big)  # `enrich.done` events: an INSERT each (213 of 1,090)
    done = db.Event.select().where(db.Event.kind == "enrich.done").order_by(db.Event.id)
    assert [e.movie.kind for e in done][-6:] == [db.SHOW, db.SEASON] + [db.EPISODE] * 4
    assert all(e.created_at and e.level == "info" and e.data["outdated"] is False for e in done)
    guests = db.MovieActor.select().join(db.Movie).where(db.Movie.kind == db.EPISODE)
    assert guests.count() > 0


def test_a_show_reads_the_users_artwork_preferences_once_and_asks_tmdb_in_them(
    tv_rt, tmp_path, simulator
):
    import json

    from metarrd import preferences

    for rel in show_files("Breaking Bad (2008)", 1, 3):
        put(tmp_path / "tv", rel)
    scan(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    identify_many(tv_rt, [show.id], threads=1)
    db.set_meta(preferences.KEY, json.dumps({"languages": ["de"], "limits": {"fanart": 1}}))
    simulator.reset_requests()
    with sqlite_statements() as seen:
        enrich_item(tv_rt, db.Movie.get_by_id(show.id))
    asked = [h.path for h in simulator.requests if h.path.startswith("/3/tv/1396?")]
    assert len(asked) == 1 and "include_image_language=de%2C" in asked[0], asked
    reads = [sql for sql in seen if sql.startswith("SELECT") and '"meta"' in sql]
    assert len(reads) == 1, reads  # not once per season and episode
    fanart = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == show.id)
        & (db.ArtworkCandidate.asset_type == "fanart")
        & db.ArtworkCandidate.is_selected
    )
    assert fanart.count() == 1  # the user's limit


def test_a_rescan_reads_no_whole_item_of_an_unchanged_episode(tv_rt, tmp_path, monkeypatch):
    """A rescan compared each episode file with its item read whole, every column and its
    JSON decoded (hints, stream details, cast...): most of the cost of a rescan of an unchanged
    library (`bench.tv_scan`). Its size, mtime and a few hints, read as a plain row, tell an
    unchanged file; an item is read whole only when the scan goes on with it."""
    built: list[int] = []
    init = db.Movie.__init__

    def counted(self, *args, **kwargs):
        if kwargs.get("__no_default__"):  # a row read from the database
            built.append(1)
        init(self, *args, **kwargs)

    whole = []
    show = "Breaking Bad (2008)"
    for per_season in (2, 8):  # 4 episodes, then 16
        for rel in show_files(show, 2, per_season):
            if not (tmp_path / "tv" / rel).exists():
                put(tmp_path / "tv", rel)
        assert not scan(tv_rt, [tmp_path / "tv" / show]).errors
        monkeypatch.setattr(db.Movie, "__init__", counted)
        built.clear()
        for scope in ([tmp_path / "tv" / show], None):  # the watcher's scan, a full rescan
            report = scan(tv_rt, scope)
            assert not (report.new or report.changed or report.missing), report
        whole.append(len(built))
        monkeypatch.setattr(db.Movie, "__init__", init)
    assert whole[0] == whole[1], whole  # the show's and its seasons', not one an episode
