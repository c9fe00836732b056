"""Candidate rows as ENRICH writes them: only what changed, one statement per set of changed
columns for a whole batch of rows (not one UPDATE per row), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime

import pytest

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.enrich.candidate_store import save_all

from .conftest import make_movie


class _CountingCursor:
    def __init__(self, cursor, seen: list[str]):
        self._cursor, self._seen = cursor, seen

    def execute(self, sql, *args, **kwargs):
        self._seen.append(sql)
        return self._cursor.execute(sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        self._seen.append(sql)
        return self._cursor.executemany(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def __iter__(self):
        return iter(self._cursor)


@contextlib.contextmanager
def statements(monkeypatch):
    """Every statement sent to the database (an `executemany` counts once)."""
    seen: list[str] = []
    real = db.database.obj.cursor
    monkeypatch.setattr(
        db.database.obj, "cursor", lambda *a, **k: _CountingCursor(real(*a, **k), seen)
    )
    try:
        yield seen
    finally:
        monkeypatch.undo()


def updates_of(seen: list[str], table: str) -> list[str]:
    return [
        sql for sql in seen if sql.lstrip().upper().startswith(f'UPDATE "{table.upper()}"'.upper())
    ]


def _rows(movie, n: int) -> list[db.ArtworkCandidate]:
    db.ArtworkCandidate.insert_many(
        [
            {
                "movie": movie.id,
                "asset_type": "poster",
                "provider": "tmdb",
                "url": f"https://image.tmdb.org/t/p/original/p{i}.jpg",
            }
            for i in range(n)
        ]  # fmt: skip
    ).execute()
    query = db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id)
    return list(query.order_by(db.ArtworkCandidate.id))


def test_save_all_writes_each_set_of_changed_columns_in_one_statement(rt, monkeypatch):
    movie = make_movie(rt)
    rows = _rows(movie, 40)
    when = datetime(2024, 5, 17, 21, 3, 4, 123456)
    for i, row in enumerate(rows[:30]):  # analysed and scored
        row.analyzed, row.analyzed_at, row.width, row.height = True, when, 2000, 3000 + i
        row.score, row.score_breakdown = 50.5 + i, {"total": 50.5 + i, "factors": [{"n": "ü"}]}
    for row in rows[30:39]:  # rejected, and a near-duplicate of the first
        row.rejected_reason, row.duplicate_of, row.provider_metadata = (
            "SVG",
            rows[0].id,
            {"a": None},
        )
    untouched = rows[39]
    # another writer (the review UI) selects a row meanwhile: a column we did not change stays
    db.ArtworkCandidate.update(is_selected=True, selected_by="user").where(
        db.ArtworkCandidate.id == rows[5].id
    ).execute()

    actor = db.Actor.create(tmdb_id=6384, name="Keanu Reeves", name_normalized="keanu reeves")
    actor.thumb_url = "https://image.tmdb.org/t/p/original/4D0PpNI0kmP58hgrwGC3wCjxhnm.jpg"

    with statements(monkeypatch) as seen, db.write_transaction():
        written = save_all([*rows, actor])  # rows of another model are their own statement

    assert written == 40
    assert len(updates_of(seen, "provider_assets")) == 2 and len(updates_of(seen, "actors")) == 1
    assert db.Actor.get_by_id(actor.id).thumb_url == actor.thumb_url
    assert not any(row.dirty_fields for row in rows)
    fresh = {r.id: r for r in db.ArtworkCandidate.select()}
    for i, row in enumerate(rows[:30]):
        got = fresh[row.id]
        assert (got.analyzed, got.analyzed_at, got.width, got.height) == (
            True,
            when,
            2000,
            3000 + i,
        )
        assert got.score == 50.5 + i
        assert got.score_breakdown == {"total": 50.5 + i, "factors": [{"n": "ü"}]}
    for row in rows[30:39]:
        got = fresh[row.id]
        assert (got.rejected_reason, got.duplicate_of_id, got.provider_metadata) == (
            "SVG",
            rows[0].id,
            {"a": None},
        )
    assert fresh[rows[5].id].is_selected and fresh[rows[5].id].selected_by == "user"
    assert fresh[untouched.id].score is None and not fresh[untouched.id].analyzed
    with statements(monkeypatch) as seen, db.write_transaction():
        assert save_all(rows) == 0  # nothing changed: nothing sent
    assert not updates_of(seen, "provider_assets")


def test_an_enrich_writes_its_candidates_in_batches_not_row_by_row(rt, simulator, monkeypatch):
    movie = make_movie(rt)
    with statements(monkeypatch) as seen:
        result = enrich_item(rt, movie)

    assert result.candidates >= 30 and result.selected >= 8
    # each candidate row is written three or four times (analysis and score, selection,
    # cached); row by row that was well over a hundred UPDATEs
    assert len(updates_of(seen, "provider_assets")) <= 12
    inserts = [s for s in seen if s.lstrip().upper().startswith('INSERT INTO "CACHE_IMAGE_FILES"')]
    assert len(inserts) <= 2 + result.actors  # the selection's rows in one; cast: one each


def test_a_movies_cast_is_written_in_statements_that_do_not_grow_with_it(rt, monkeypatch):
    """Its people's thumbnails are recorded with one query and one insert, and its people
    saved with one UPDATE per set of changed columns: not a SELECT, an INSERT and an UPDATE
    per person (a fifth of `enrich --all`'s database time on a 34-movie library)."""
    from metarrd.enrich import enrich_item, stage

    from .conftest import make_movie

    real = stage.cast_members
    counts = []
    for actors, fields in ((3, {}), (8, FIGHT_CLUB)):
        movie = make_movie(rt, **fields)
        monkeypatch.setattr(stage, "cast_members", lambda d, n, k=actors: real(d, min(n, k)))
        with statements(monkeypatch) as seen:
            enrich_item(rt, movie)
        touched = [
            (sql.split(None, 1)[0].upper(), table)
            for sql in seen
            for table in ("cache_image_files", "actors")
            if re.search(rf'(FROM|INTO|UPDATE) "{table}"', sql)
        ]
        assert db.MovieActor.select().where(db.MovieActor.movie == movie.id).count() == actors
        counts.append(sorted(touched))
    assert counts[0] == counts[1], counts


FIGHT_CLUB = {"tmdb_id": 550, "imdb_id": "tt0137523", "title": "Fight Club", "year": 1999}


def test_insert_all_stores_what_insert_many_stores_in_one_statement(rt, monkeypatch):
    """New candidates go in with one executemany: every column as `insert_many` would write
    it (JSON, NULLs, peewee's defaults for what a row leaves out), read back identically."""
    from metarrd.enrich.candidate_store import insert_all

    movie = make_movie(rt)
    row = {
        "movie": movie.id,
        "asset_type": "clearlogo",
        "provider": "fanart",
        "language": None,
        "vote_average": 7.5,
        "vote_count": 12,
        "api_width": 800,
        "api_height": 310,
        "provider_metadata": {"small_url": "https://assets.fanart.tv/preview/x.png", "n": "ü"},
    }
    db.ArtworkCandidate.insert_many([{**row, "url": "https://a/1.png"}]).execute()
    with statements(monkeypatch) as seen, db.write_transaction():
        written = insert_all(
            db.ArtworkCandidate, [{**row, "url": f"https://b/{i}.png"} for i in range(50)]
        )
    assert written == 50
    assert len([sql for sql in seen if sql.lstrip().upper().startswith("INSERT")]) == 1
    query = db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id)
    got = list(query.order_by(db.ArtworkCandidate.id).dicts())
    assert len(got) == 51
    skip = {"id", "url", "created_at"}
    first = {k: v for k, v in got[0].items() if k not in skip}
    for other in got[1:]:
        assert {k: v for k, v in other.items() if k not in skip} == first
        assert abs((other["created_at"] - got[0]["created_at"]).total_seconds()) < 60
    assert first["provider_metadata"]["n"] == "ü" and first["is_selected"] is False
    assert first["score_breakdown"] == {} and first["language"] is None


def test_insert_all_refuses_movies_whose_folded_titles_it_would_leave_empty(rt):
    """A raw INSERT skips what `db.Movie` keeps in step with its titles (the library's search
    reads the folded copies): a movie written so would never be found by its title."""
    from metarrd.enrich.candidate_store import insert_all

    library = db.Library.get(db.Library.name == rt.config.library[0].name)
    row = {"library": library.id, "path": str(rt.config.library[0].path) + "/Amélie.mkv"}
    with pytest.raises(TypeError, match="folded titles"):
        insert_all(db.Movie, [{**row, "title": "Amélie"}])
    with pytest.raises(TypeError, match="folded titles"):
        insert_all(db.Movie, [])
    assert not db.Movie.select().where(db.Movie.path == row["path"]).exists()


def test_save_all_writes_a_movies_folded_titles_with_its_titles(rt):
    """`save_all` writes what the model marked changed: the folded copy a title set with it."""
    movie = make_movie(rt)
    movie.title, movie.sort_title = "Amélie", "Fabuleux Destin d'Amélie Poulain, Le"
    assert save_all([movie]) == 1
    got = db.Movie.get_by_id(movie.id)
    assert (got.title_folded, got.sort_title_folded) == (
        "amelie",
        db.fold("Fabuleux Destin d'Amélie Poulain, Le"),
    )
