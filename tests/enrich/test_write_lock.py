"""ENRICH holds the write lock to write only: the candidates, their cache matches and scores,
and the selection are worked out before their write transaction. What may land in between (a
user's lock) and what a crash in between leaves must still come out right."""

from __future__ import annotations

import sqlite3

import pytest

from metarrd import db
from metarrd.enrich import caching, candidate_store, enrich_item
from metarrd.enrich.cast import CastPlan, apply_cast, cast_snapshot
from metarrd.enrich.metadata import CastMember
from tests.conftest import sqlite_statements

from .conftest import make_movie


def _rows(movie) -> list[db.ArtworkCandidate]:
    return list(db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id))


def test_a_type_locked_while_the_selection_is_made_is_left_as_it_was(rt, simulator, monkeypatch):
    movie = make_movie(rt)
    real = caching._Placing._locked
    read = []

    def user_locks_posters_meanwhile(self):
        locked = real(self)
        if not read:  # the selection is worked out with this; then the user locks posters
            db.Movie.update(locked_asset_types=["poster"]).where(db.Movie.id == movie.id).execute()
        read.append(locked)
        return locked

    monkeypatch.setattr(caching._Placing, "_locked", user_locks_posters_meanwhile)

    enrich_item(rt, movie)

    posters = [r for r in _rows(movie) if r.asset_type == "poster"]
    assert posters and not read[0]  # read before the lock landed
    assert not [r for r in posters if r.is_selected]  # a locked type is left exactly as it is
    assert [r for r in _rows(movie) if r.asset_type == "fanart" and r.is_selected]


def test_a_crash_before_the_selection_is_written_leaves_the_item_to_enrich_again(
    rt, simulator, monkeypatch
):
    movie = make_movie(rt)

    def killed(self, unsaved=()):
        raise RuntimeError("killed before the selection's write transaction")

    with monkeypatch.context() as m:
        m.setattr(caching._Placing, "select", killed)
        with pytest.raises(RuntimeError, match="killed"):
            enrich_item(rt, movie)

    stored = _rows(movie)
    assert stored and all(r.id for r in stored)  # the candidates were committed, with scores
    assert not [r for r in stored if r.is_selected]
    unanalysed = [r for r in stored if not r.analyzed and not r.rejected_reason]
    assert unanalysed  # the last analyses went with the transaction that never came
    assert db.Movie.get_by_id(movie.id).identification_status != db.ENRICHED

    result = enrich_item(rt, movie)

    after = {r.id: r for r in _rows(movie)}
    assert set(after) == {r.id for r in stored}  # the same rows, not stored twice
    assert all(after[r.id].analyzed or after[r.id].rejected_reason for r in unanalysed)
    assert result.selected and [
        r for r in after.values() if r.asset_type == "poster" and r.is_selected
    ]
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED


def test_a_batch_of_rows_is_one_statement_run_under_the_write_lock(rt):
    """SQLite's `executemany` runs its statement once a row, letting go of the interpreter lock
    each time: beside busy download and analysis threads each row then waited for it, with the
    write lock held. A batch is written by one run of one statement."""
    if db.is_postgresql():
        pytest.skip("SQLite's statement runs, as its trace counts them")
    movie = make_movie(rt)
    new = [
        {"movie": movie.id, "asset_type": "poster", "provider": "tmdb", "url": f"https://p/{i}.jpg"}
        for i in range(100)
    ]
    runs: list[str] = []
    connection = db.database.connection()
    connection.set_trace_callback(runs.append)
    try:
        with db.write_transaction():
            assert candidate_store.insert_all(db.ArtworkCandidate, new) == 100
        rows = _rows(movie)
        for n, row in enumerate(rows):
            row.score, row.width = 40.0 + n, 1000 + n
        runs.clear()
        with db.write_transaction():
            assert candidate_store.save_all(rows) == 100
        writes = [sql for sql in runs if sql.lstrip().upper().startswith("UPDATE")]
    finally:
        connection.set_trace_callback(None)
    assert len(writes) == 1, writes[:3]
    got = {r.id: (r.score, r.width) for r in _rows(movie)}
    assert got == {row.id: (40.0 + n, 1000 + n) for n, row in enumerate(rows)}


def test_a_batch_is_cut_to_the_connections_own_limit_of_parameters(rt):
    """A statement takes as many parameters as the connection allows: a SQLite built with a
    lower SQLITE_MAX_VARIABLE_NUMBER than its version's default (or lowered by `setlimit`)
    still takes a whole item's rows, in more statements."""
    if db.is_postgresql():
        pytest.skip("SQLite's limit of parameters")
    movie = make_movie(rt)
    new = [
        {"movie": movie.id, "asset_type": "poster", "provider": "tmdb", "url": f"https://p/{i}.jpg"}
        for i in range(400)
    ]
    connection = db.database.connection()
    before = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    try:
        with db.write_transaction():
            assert candidate_store.insert_all(db.ArtworkCandidate, new) == 400
        rows = _rows(movie)
        for n, row in enumerate(rows):
            row.score, row.width, row.height = 40.0 + n, 1000 + n, 1500
        with db.write_transaction():
            assert candidate_store.save_all(rows) == 400  # 400 x 4 parameters: 1600
    finally:
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    got = {r.id: (r.score, r.width, r.height) for r in _rows(movie)}
    assert got == {row.id: (40.0 + n, 1000 + n, 1500) for n, row in enumerate(rows)}


def test_the_roles_a_new_cast_changes_are_one_statement_run(rt):
    """The roles an enrich changes (a new order, a role renamed) are written by one statement
    run in its transaction, not one UPDATE each, every one waiting for the interpreter lock
    with the write lock held."""
    movie = make_movie(rt)
    cast = [CastMember(100 + n, f"Actor {n}", f"Role {n}", n, None) for n in range(30)]
    with db.write_transaction():
        apply_cast(movie.id, CastPlan(cast))
    recast = [CastMember(m.tmdb_id, m.name, f"{m.role} (voice)", 29 - m.order, None) for m in cast]
    with sqlite_statements() as seen, db.write_transaction():
        apply_cast(movie.id, CastPlan(recast))
    writes = [sql for sql in seen if sql.lstrip().startswith('UPDATE "movie_actors"')]
    assert len(writes) == 1, writes[:3]
    assert cast_snapshot(movie.id) == [
        (m.tmdb_id, m.name, m.role, m.order, None) for m in sorted(recast, key=lambda m: m.order)
    ]
