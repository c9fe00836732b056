"""Schema migrations: a database made by an earlier version comes up to date."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator

import pytest

from metarrd import db
from tests.conftest import sqlites_snapshot_error


@contextlib.contextmanager
def _migrated_from(path, version: int, *statements: str) -> Iterator[None]:
    """The database open at `path` closed, turned back into what `version` left (`statements`
    undo what the later versions added), then opened again, which migrates it; closed after."""
    db.database.close()
    with sqlite3.connect(path) as con:
        for statement in statements:
            con.execute(statement)
        con.execute(f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version'")
    db.open_database(path)
    try:
        yield
    finally:
        db.database.close()


def test_a_version_3_database_gains_publish_warnings(tmp_path):
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    db.Movie.create(library=db.Library.create(name="Movies", path="/m"), path="/m/a.mkv")
    with _migrated_from(path, 3, "ALTER TABLE movies DROP COLUMN publish_warnings"):
        assert db.schema_version() == db.SCHEMA_VERSION >= 4
        assert db.Movie.get().publish_warnings == []
        db.open_database(path)  # again: nothing to do


def test_a_database_a_newer_metarrd_migrated_is_refused_untouched(tmp_path):
    """A downgrade (the package rolled back after the daemon migrated its database): this
    version went on with no word, reading and writing rows a newer schema may mean otherwise.
    Refused before any write, naming both versions; the database is left as it was."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    db.Movie.create(library=db.Library.create(name="Movies", path="/m"), path="/m/a.mkv")
    db.database.close()
    newer = db.SCHEMA_VERSION + 1
    with sqlite3.connect(path) as con:
        con.execute(f"UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with pytest.raises(db.SchemaTooNew) as caught:
        db.open_database(path)
    assert str(caught.value) == (
        f"the database {path} is at schema version {newer}, newer than this metarrd's "
        f"{db.SCHEMA_VERSION}: a newer metarrd has upgraded it; run that version (or a later "
        "one), or restore a copy of the database made before the upgrade. Nothing was changed"
    )
    assert db.database.is_closed()
    assert path.read_bytes() == before
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(newer),
        )


def test_events_recorded_before_stage_outcome_names_are_renamed(tmp_path):
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    history = [  # as version 2 left it, with history of the old names
        "INSERT INTO events (kind, message, level, data, created_at)"
        f" VALUES ('{kind}', 'm', 'info', '{{}}', '2026-01-01 00:00:00')"
        for kind in ("enrichment.complete", "entity.published", "field.lock", "scan.found")
    ]
    with _migrated_from(path, 2, *history):
        kinds = [e.kind for e in db.Event.select().order_by(db.Event.id)]
        assert kinds == ["enrich.done", "publish.done", "review.locked", "scan.found"]


def test_processes_that_start_together_migrate_once(tmp_path):
    """gunicorn's workers and the daemon open a new database at the same moment: every step
    runs once, none fails on a column or table another process just added."""
    import subprocess
    import sys

    path = tmp_path / "metarrd.db"
    code = "import sys; from metarrd import db; db.open_database(sys.argv[1]); print(db.schema_version())"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6
    assert set(outs) == {str(db.SCHEMA_VERSION)}


def test_opening_waits_for_a_lock_another_process_holds(tmp_path):
    """Two gunicorn workers starting on a new database: one held the write lock while the
    other set `journal_mode = wal`, which SQLite fails at once ("database is locked", no busy
    handler): the worker failed to boot and gunicorn stopped (seen in CI). It waits now."""
    import sqlite3
    import threading

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")  # a rollback-journal database, as a new one is
    holder.execute("BEGIN IMMEDIATE")  # another process migrating it
    threading.Timer(0.5, holder.commit).start()
    try:
        db.open_database(path)
        assert db.schema_version() == db.SCHEMA_VERSION
    finally:
        db.database.close()
        holder.close()


def test_a_version_10_database_gains_file_identities(tmp_path):
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    db.Movie.create(library=db.Library.create(name="Movies", path="/m"), path="/m/a.mkv")
    with _migrated_from(path, 10, "ALTER TABLE movies DROP COLUMN file_id"):
        assert db.schema_version() == db.SCHEMA_VERSION >= 11
        assert db.Movie.get().file_id is None  # the next scan records it


def test_a_new_sqlite_database_holding_the_secret_key_is_made_0600(tmp_path):
    """The database holds the web UI's secret key (it signs the session cookies) and the admin
    password's hash. SQLite made it 0644 (0666 less the umask), its -wal and -shm alike: in a
    data_dir that is not systemd's 0750 folder, every user of the machine could read the key
    and sign themselves a session."""
    import stat

    from tests.conftest import umask

    path = tmp_path / "data" / "metarrd.db"
    with umask(0o022):
        db.open_database(path)
        try:
            db.set_meta("web_secret_key", "0123456789abcdef")
            for name in ("metarrd.db", "metarrd.db-wal", "metarrd.db-shm"):
                mode = stat.S_IMODE((path.parent / name).stat().st_mode)
                assert mode == 0o600, (name, oct(mode))
        finally:
            db.database.close()
        path.chmod(0o640)  # a database that exists keeps the mode its owner gave it
        db.open_database(path)
        db.database.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_version_12_database_gains_the_kept_state_of_notifications(tmp_path):
    """players/kodi_kept.py keeps a renamed show's watched state in its notification row while
    Kodi has it nowhere: a database made before has no such column."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    player = db.MediaPlayer.create(name="Den", type="kodi", url="http://127.0.0.1:8080")
    db.PlayerNotification.create(player=player, path="/tv/Breaking Bad (2008)")
    with _migrated_from(path, 12, "ALTER TABLE player_notifications DROP COLUMN kept_state"):
        assert db.schema_version() == db.SCHEMA_VERSION >= 13
        assert db.PlayerNotification.get().kept_state is None
        db.PlayerNotification.update(kept_state=[{"file": "a.mkv", "playcount": 1}]).execute()
        assert db.PlayerNotification.get().kept_state == [{"file": "a.mkv", "playcount": 1}]


def test_a_write_after_another_process_wrote_is_not_said_to_be_a_long_lock(tmp_path):
    """SQLite says "database is locked" for two things: the write lock held by another process
    past the busy timeout, and a transaction that read, then found the database written by
    another connection when it came to write (SQLITE_BUSY_SNAPSHOT, raised at once). Both are
    tried again; the second had been said to be "another process has been writing to it for
    longer than 15 s", which it had not."""
    import peewee as pw

    path = tmp_path / "metarrd.db"
    db.open_database(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        snapshot = sqlites_snapshot_error(path)
        assert db.locked(snapshot)
        reason = db.lock_reason(snapshot)
        assert "longer than" not in reason and "between the transaction's read" in reason
        other.execute("BEGIN IMMEDIATE")  # the write lock held, past a busy timeout of 0
        db.database.execute_sql("PRAGMA busy_timeout = 0")
        try:
            db.Event.create(kind="test")
        except pw.OperationalError as exc:
            held = exc
        else:
            raise AssertionError("the write was not refused")
        other.execute("ROLLBACK")
        assert db.locked(held)
        assert db.lock_reason(held).startswith(
            "the database is locked: another process has been writing to it for longer than 15 s"
        )
    finally:
        other.close()
        db.database.close()


def test_a_version_13_database_gains_the_folded_titles_the_search_reads(tmp_path):
    """The library's search reads titles folded as the sort folds them (db.fold): the items
    recorded before have theirs filled in, from titles stored NFC or NFD."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    library = db.Library.create(name="Movies", path="/m")
    titles = {
        "/m/a.mkv": ("Amélie", "Le Fabuleux Destin d'Amélie Poulain", None),
        "/m/b.mkv": ("Poke\u0301mon: The First Movie", None, "Pokémon 01"),
        "/m/c.mkv": (None, None, None),
    }
    for path_, (title, original, sort) in titles.items():
        db.Movie.create(
            library=library, path=path_, title=title, original_title=original, sort_title=sort
        )
    with _migrated_from(
        path,
        13,
        "ALTER TABLE movies DROP COLUMN title_folded",
        "ALTER TABLE movies DROP COLUMN original_title_folded",
        "ALTER TABLE movies DROP COLUMN sort_title_folded",
    ):
        assert db.schema_version() == db.SCHEMA_VERSION >= 14
        M = db.Movie
        got = {
            m.path: (m.title_folded, m.original_title_folded, m.sort_title_folded)
            for m in M.select(M.path, M.title_folded, M.original_title_folded, M.sort_title_folded)
        }
        assert got == {
            "/m/a.mkv": ("amelie", "le fabuleux destin d'amelie poulain", None),
            "/m/b.mkv": ("pokemon: the first movie", None, "pokemon 01"),
            "/m/c.mkv": (None, None, None),
        }


def test_the_folded_titles_of_a_large_library_are_filled_in_one_statement_run_for_all(
    tmp_path, monkeypatch
):
    """Migration 14 runs under the write lock, which other processes wait 15 s for: a peewee
    UPDATE built for each item took 15 s for 100,000 (a large TV library's episodes), 1.7 s
    as one statement run for every row. The rows are filled all the same."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    library = db.Library.create(name="TV", path="/tv")
    db.Movie.insert_many(
        [
            {"library": library, "path": f"/tv/Pokémon/S01E{n:03d}.mkv", "title": f"Épisode {n}"}
            for n in range(1, 1501)
        ]
    ).execute()
    statements = []
    execute_sql = db._SqliteDatabase.execute_sql

    def counted(self, sql, params=None):
        statements.append(sql)
        return execute_sql(self, sql, params)

    monkeypatch.setattr(db._SqliteDatabase, "execute_sql", counted)
    with _migrated_from(
        path,
        13,
        "ALTER TABLE movies DROP COLUMN title_folded",
        "ALTER TABLE movies DROP COLUMN original_title_folded",
        "ALTER TABLE movies DROP COLUMN sort_title_folded",
    ):
        M = db.Movie
        folded = dict(M.select(M.path, M.title_folded).tuples())
        assert len(folded) == 1500
        assert folded["/tv/Pokémon/S01E007.mkv"] == "episode 7"
        assert len([s for s in statements if s.startswith("UPDATE")]) < 10


def test_every_write_of_a_title_writes_its_folded_copy(tmp_path):
    """The search reads the folded copies, so each way a title is written (create, save,
    update, insert, insert_many of dicts or of tuples) writes its copy with it."""
    db.open_database(tmp_path / "metarrd.db")
    library = db.Library.create(name="Movies", path="/m")
    M = db.Movie

    def folded(path: str) -> tuple:
        row = M.select(M.title_folded, M.original_title_folded, M.sort_title_folded)
        return row.where(M.path == path).tuples().get()

    movie = M.create(library=library, path="/m/1.mkv", title="Léon")
    assert folded("/m/1.mkv") == ("leon", None, None)
    movie.original_title = "LÉON"
    movie.save()
    assert folded("/m/1.mkv") == ("leon", "leon", None)
    M.update(title="Señor", sort_title=None).where(M.id == movie.id).execute()
    assert folded("/m/1.mkv") == ("senor", "leon", None)
    M.update({M.sort_title: "Straße"}).where(M.id == movie.id).execute()
    assert folded("/m/1.mkv") == ("senor", "leon", "strasse")
    M.insert(library=library, path="/m/2.mkv", title="Ærø").execute()
    assert folded("/m/2.mkv") == ("aero", None, None)
    M.insert_many([{"library": library, "path": "/m/3.mkv", "title": "Éa"}]).execute()
    assert folded("/m/3.mkv") == ("ea", None, None)
    M.insert_many([(library, "/m/4.mkv", "ﬁn")], fields=[M.library, M.path, M.title]).execute()
    assert folded("/m/4.mkv") == ("fin", None, None)
    with pytest.raises(ValueError):
        M.update(title=M.original_title).execute()
    db.database.close()


def test_a_version_14_database_hides_the_seasons_made_of_the_users_art_alone(tmp_path):
    """An older version made a season item of the user's `season02-poster.jpg` (Sonarr's name,
    put in ahead of Season 2) though no episode file is in it: listed on the show's page with
    no file, enriched and published. The scan now keeps such a season hidden, but reads the
    art again only when it changes: left as it was, it stayed listed for good. Hidden, as a
    season another episode order leaves: published, it and its show are to republish (what
    publish wrote for it goes at the next publish). A season an episode item is in stays
    (its file there or gone, named by air date: the season identify matched), and so do the
    seasons of a show whose folder is gone."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    M = db.Movie
    tv = db.Library.create(name="TV", path="/tv", kind="tv")

    def show(name: str, **kw) -> db.Movie:
        return M.create(library=tv, path=f"/tv/{name}", kind=db.SHOW, **kw)

    def season(of: db.Movie, number: int, **kw) -> db.Movie:
        path = f"{of.path}/#season-{number:02d}"
        return M.create(library=tv, path=path, kind=db.SEASON, show=of, season=number, **kw)

    def episode(of: db.Movie, name: str, **kw) -> db.Movie:
        return M.create(library=tv, path=f"{of.path}/{name}", kind=db.EPISODE, show=of, **kw)

    bb = show("Breaking Bad (2008)", publish_state=db.PUBLISHED)
    first = season(bb, 1, publish_state=db.PUBLISHED)
    episode(bb, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", season=1, episodes=[1])
    second = season(bb, 2, publish_state=db.PUBLISHED)  # season02-poster.jpg alone
    specials = season(bb, 0, publish_state=db.UNPUBLISHED)  # season-specials-poster.jpg alone
    episode(bb, "Season 03/Breaking Bad - S03E01 - No Mas.mkv", season=3, episodes=[1],
            missing=True)  # fmt: skip
    third = season(bb, 3, publish_state=db.PUBLISHED)  # its file gone for now: it stays
    naruto = show("Naruto", publish_state=db.UNPUBLISHED)
    episode(naruto, "Naruto - 2002-11-14 - The Assassin of the Mist.mkv",
            episode_refs=[{"season": 1, "episode": 7}])  # fmt: skip
    dated = season(naruto, 1)
    # a season without episode numbers is held by no file (db.season_held), as identify tells
    # when it hides a season another order leaves: its refs' season is the one it is in
    episode(naruto, "Season 02/Naruto - 2002-11-21 - Zabuza's Last Stand.mkv", season=2,
            episodes=[], episode_refs=[{"season": 1, "episode": 8}])  # fmt: skip
    numberless = season(naruto, 2)
    art = season(naruto, 4)  # season04-poster.jpg alone, its show never published
    gone = show("The Wire (2002)", missing=True, publish_state=db.PUBLISHED)
    gone_season = season(gone, 5, missing=True, publish_state=db.PUBLISHED)
    firefly = show("Firefly (2002)", missing=True, publish_state=db.PUBLISHED)
    kept = season(firefly, 1, publish_state=db.PUBLISHED)  # not marked missing with its show

    with _migrated_from(path, 14):
        assert db.schema_version() == db.SCHEMA_VERSION >= 15
        states = {m.id: (m.missing, m.publish_state) for m in M.select()}
        assert states[second.id] == (True, db.OUTDATED)
        assert states[specials.id] == (True, db.UNPUBLISHED)
        assert states[art.id] == (True, db.UNPUBLISHED)
        assert states[bb.id] == (False, db.OUTDATED)
        assert states[naruto.id] == (False, db.UNPUBLISHED)
        for left in (first, third):
            assert states[left.id] == (False, db.PUBLISHED)
        assert states[dated.id] == (False, db.UNPUBLISHED)
        assert states[numberless.id] == (True, db.UNPUBLISHED)
        assert states[gone_season.id] == (True, db.PUBLISHED)
        assert states[kept.id] == (False, db.PUBLISHED)
        assert states[gone.id] == (True, db.PUBLISHED)


CLEAN_UP_QUERIES = {  # index: what `cache._files_in_use` asks (500 names at a time)
    "cache_image_files_file_path": "SELECT 1 FROM cache_image_files WHERE file_path IN (?, ?)",
    "actors_image_cache_path": "SELECT 1 FROM actors WHERE image_cache_path IN (?, ?)",
}


def _clean_up_plans(path) -> dict[str, str]:
    with sqlite3.connect(path) as con:
        return {
            index: " ".join(row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", ("a", "b")))
            for index, sql in CLEAN_UP_QUERIES.items()
        }


def test_a_version_15_database_gains_the_indexes_of_the_cache_clean_up(tmp_path):
    """`cache.remove_unused` asks which of the files it may remove a cache row or a person still
    names, by path: with no index on either column, each question read every row of the table
    (100,000 people's pictures: a minute of batches, the write lock held for each). A database
    made by version 15 gains the indexes, its rows kept; a new one has them from its first step."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    picture = "/var/lib/metarrd/cache/actor/3f/3f0c.jpg"
    actor = db.Actor.create(name="Keanu Reeves", name_normalized="keanu reeves",
                            image_cache_path=picture)  # fmt: skip
    db.CacheImageFile.create(actor=actor, image_type="actor", file_path=picture, file_hash="3f0c")
    db.database.close()
    for index, plan in _clean_up_plans(path).items():
        assert f"INDEX {index} " in plan, plan  # a new database
    with _migrated_from(path, 15, *(f"DROP INDEX {index}" for index in CLEAN_UP_QUERIES)):
        assert db.schema_version() == db.SCHEMA_VERSION >= 16
        assert db.CacheImageFile.get().file_path == db.Actor.get().image_cache_path == picture
    for index, plan in _clean_up_plans(path).items():
        assert f"INDEX {index} " in plan, plan
    db.open_database(path)  # again: nothing to do
    db.database.close()


def _sqlite_temp_files() -> list[str]:
    """The SQLite temp files (`etilqs_…`, unlinked once open) this process holds open."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if "etilqs_" in (target := os.readlink(f"/proc/self/fd/{fd}")):
                found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_large_write_in_a_transaction_keeps_its_statement_journal_in_memory(tmp_path):
    """A statement that changes many rows in a transaction that wrote before keeps the old
    pages in a statement journal, which SQLite spilled into a temp file past 64 KB (enrich's
    multi-row writes of ~100 candidates: about 20 files created and unlinked in a 6-movie run,
    each an inode on the data disk). `temp_store = memory` keeps it in memory."""
    db.open_database(tmp_path / "metarrd.db")
    try:
        seen: list[str] = []
        db.database.connection().create_function(
            "probe", 1, lambda value: (seen.extend(_sqlite_temp_files()), value)[1]
        )
        db.database.execute_sql("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        with db.write_transaction():
            db.database.execute_sql(
                "INSERT INTO big (body) SELECT printf('%.500c', 'x') FROM (WITH RECURSIVE "
                "n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i FROM n)"
            )
        with db.write_transaction():
            db.database.execute_sql("INSERT INTO big (body) VALUES ('first')")
            db.database.execute_sql("UPDATE big SET body = probe(body) || 'y'")
        assert seen == []
        assert db.database.execute_sql(
            "SELECT count(*) FROM big WHERE body LIKE '%y'"
        ).fetchone() == (2001,)
    finally:
        db.database.close()


PREVIEW_QUERY = "SELECT 1 FROM provider_assets WHERE preview_path IN (?, ?)"  # `_previews_in_use`


def _preview_plan(path) -> str:
    with sqlite3.connect(path) as con:
        rows = con.execute(f"EXPLAIN QUERY PLAN {PREVIEW_QUERY}", ("a", "b"))
        return " ".join(row[-1] for row in rows)


def test_a_version_16_database_gains_the_index_of_the_previews(tmp_path):
    """`cache.remove_unused` asks which of the previews it may remove a candidate still names,
    by path, at every item that goes or is enriched again: with no index, each question read
    every candidate of the library (tens per item). A database made by version 16 gains the
    index, its rows kept; a new one has it from its first step."""
    path = tmp_path / "metarrd.db"
    db.open_database(path)
    movie = db.Movie.create(
        library=db.Library.create(name="Movies", path="/srv/media/movies"),
        path="/srv/media/movies/Heat (1995)/Heat.mkv",
    )
    preview = "3f/3f0c2e9a.webp"
    db.ArtworkCandidate.create(
        movie=movie, asset_type="poster", provider="tmdb", preview_path=preview,
        url="https://image.tmdb.org/t/p/original/obpPQskaVpSbbW3e2nBRYvl0sVX.jpg",
    )  # fmt: skip
    db.database.close()
    index = "provider_assets_preview_path"
    assert f"INDEX {index} " in _preview_plan(path)  # a new database
    with _migrated_from(path, 16, f"DROP INDEX {index}"):
        assert db.schema_version() == db.SCHEMA_VERSION >= 17
        assert db.ArtworkCandidate.get().preview_path == preview
    assert f"INDEX {index} " in _preview_plan(path)
    db.open_database(path)  # again: nothing to do
    db.database.close()
