"""Schema migrations: a database made by an earlier version comes up to date."""

from __future__ import annotations

import sqlite3

from metarrd import db


def test_a_version_2_database_gains_publish_warnings(tmp_path):
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    db.Movie.create(library=db.Library.create(name="Movies", path="/m"), path="/m/a.mkv")
    db.database.close()
    with sqlite3.connect(path) as con:  # as version 2 left it
        con.execute("ALTER TABLE movies DROP COLUMN publish_warnings")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.open_database(path)
    try:
        assert db.schema_version() == db.SCHEMA_VERSION == 3
        assert db.Movie.get().publish_warnings == []
        db.open_database(path)  # again: nothing to do
    finally:
        db.database.close()
