"""Items of four kinds share one table: migration 5 adds the TV columns to an existing database,
and every query that means "movies" still means movies."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys

from metarrd import db


def _old_db_module(tmp_path):
    """metarrd/db.py as it was before TV (schema version 3), loaded under another name."""
    source = subprocess.run(
        ["git", "show", "f658aac:metarrd/db.py"], capture_output=True, text=True, check=True
    ).stdout
    path = tmp_path / "old_db.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_db", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_db"] = module
    spec.loader.exec_module(module)
    return module


def test_migration_5_adds_tv_columns_and_keeps_movies(tmp_path):
    old = _old_db_module(tmp_path)
    path = tmp_path / "metarrd.db"
    old.open_database(path)
    lib = old.Library.create(name="Movies", path="/m", kind="movie")
    old.Movie.create(library=lib, path="/m/a.mkv", title="A")
    old.database.close()
    sys.modules.pop("old_db")

    db.open_database(path)
    assert db.schema_version() == db.SCHEMA_VERSION >= 5
    movie = db.Movie.get(db.Movie.path == "/m/a.mkv")
    assert (movie.kind, movie.show_id, movie.episodes) == ("movie", None, [])
    show = db.Movie.create(library=lib, path="/tv/Show", kind=db.SHOW, title="Show")
    ep = db.Movie.create(
        library=lib, path="/tv/Show/e.mkv", kind=db.EPISODE, show=show, season=1, episodes=[1, 2]
    )
    assert [m.id for m in db.Movie.select().where(db.is_movie())] == [movie.id]
    show.delete_instance()  # a show's seasons and episodes go with it
    assert db.Movie.get_or_none(db.Movie.id == ep.id) is None
    db.database.close()
    columns = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(movies)")}
    assert set(db.TV_COLUMNS) - {"show"} | {"show_id"} <= columns


def test_list_entries_per_kind(tmp_path):
    db.open_database(tmp_path / "x.db")
    lib = db.Library.create(name="TV", path="/tv", kind="tv")
    show = db.Movie.create(library=lib, path="/tv/S", kind=db.SHOW, title="S", tvdb_id=5)
    ep = db.Movie.create(library=lib, path="/tv/S/e.mkv", kind=db.EPISODE, show=show, season=0,
                         episodes=[3], aired="2024-01-02")  # fmt: skip
    movie = db.Movie.create(library=lib, path="/m.mkv", title="M")
    assert movie.as_list_entry()["kind"] == "movie"
    entry = show.as_list_entry(episode_count=1)
    assert entry["kind"] == "show" and entry["episode_count"] == 1 and entry["tvdb_id"] == 5
    e = json.loads(json.dumps(ep.as_list_entry()))
    assert {k: e[k] for k in ("kind", "show_id", "season", "episodes", "aired")} == {
        "kind": "episode", "show_id": show.id, "season": 0, "episodes": [3], "aired": "2024-01-02"
    }  # fmt: skip
    db.database.close()
