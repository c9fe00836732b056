"""`metarrd db migrate-to postgresql://…` copies a SQLite installation into an empty PostgreSQL
database. Runs only with METARRD_TEST_DATABASE_URL set."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.cli import main
from metarrd.dbcopy import migrate_to
from metarrd.errors import MetarrdError
from tests.conftest import TEST_DATABASE_URL, _admin_connection

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs METARRD_TEST_DATABASE_URL")


@pytest.fixture
def empty_pg():
    url = TEST_DATABASE_URL + "_copy"
    name = url.rsplit("/", 1)[1]
    conn = _admin_connection(TEST_DATABASE_URL)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    yield url
    if not db.database.is_closed():
        db.database.close()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _seed_sqlite(path):
    db.open_database(path)
    lib = db.Library.create(name="Movies", path="/srv/media/movies")
    movie = db.Movie.create(
        library=lib, path="/srv/media/movies/Heat (1995)/Heat.mkv", title="Heat", year=1995,
        genres=["Crime"], is_disc=False, locked_fields=["title"],
    )  # fmt: skip
    db.record_event("scan.found", "found Heat", movie=movie)
    db.Job.create(kind="enrich", movie=movie, key=f"enrich:{movie.id}", state="queued")
    db.set_meta("web.secret", "s3cret")
    db.database.close()
    return movie.id


def test_a_sqlite_installation_is_copied_whole(tmp_path, empty_pg, capsys):
    sqlite_path = tmp_path / "data" / "metarrd.db"
    movie_id = _seed_sqlite(sqlite_path)
    (tmp_path / "config.toml").write_text(
        f'data_dir = "{tmp_path / "data"}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
    )
    assert main(["--config", str(tmp_path / "config.toml"), "db", "migrate-to", empty_pg]) == 0
    assert "movies: 1 row\n" in capsys.readouterr().out
    db.open_database(empty_pg)
    assert db.is_postgresql()
    movie = db.Movie.get_by_id(movie_id)
    assert (movie.title, movie.genres, movie.locked_fields, movie.is_disc) == (
        "Heat", ["Crime"], ["title"], False,
    )  # fmt: skip
    assert db.Event.get().kind == "scan.found"
    assert db.Job.get().state == "queued"
    assert db.get_meta("web.secret") == "s3cret"
    assert db.get_meta("schema_version") == str(db.SCHEMA_VERSION)
    new = db.Movie.create(library=movie.library_id, path="/srv/media/movies/Alien/Alien.mkv")
    assert new.id > movie_id  # the sequence moved past the copied ids


def test_a_database_with_rows_is_refused(tmp_path, empty_pg):
    _seed_sqlite(tmp_path / "a.db")
    migrate_to(tmp_path / "a.db", empty_pg)
    with pytest.raises(MetarrdError, match="not empty"):
        migrate_to(tmp_path / "a.db", empty_pg)


def test_attempt_and_session_times_keep_their_seconds_on_postgresql(empty_pg):
    """`real` (4 bytes) held a time.time() to within about a minute: the login lockout's
    30-second pace never held on PostgreSQL. A database made before migration 10 is altered."""

    def types() -> set[str]:
        rows = db.database.execute_sql(
            "SELECT data_type FROM information_schema.columns WHERE "
            "(table_name, column_name) IN (('login_failures', 'at'), ('web_sessions', 'created_at'))"
        ).fetchall()
        return {row[0] for row in rows}

    db.open_database(empty_pg)
    assert types() == {"double precision"}
    db.database.execute_sql("ALTER TABLE login_failures ALTER COLUMN at TYPE real")
    db.database.execute_sql("ALTER TABLE web_sessions ALTER COLUMN created_at TYPE real")
    db.set_meta("schema_version", "9")  # as a database of the version before
    db.database.close()
    db.open_database(empty_pg)
    assert types() == {"double precision"}
    at = 1_764_770_000.25
    failure = db.LoginFailure.create(addr="login 192.0.2.1", at=at)
    assert db.LoginFailure.get_by_id(failure.id).at == at


def test_a_postgresql_database_before_migration_13_gains_the_kept_state_of_notifications(
    empty_pg,
):
    """players/kodi_kept.py keeps a renamed show's watched state in its notification row, on
    the database every host shares: one made before has no such column."""
    db.open_database(empty_pg)
    player = db.MediaPlayer.create(name="Den", type="kodi", url="http://127.0.0.1:8080")
    db.PlayerNotification.create(player=player, path="/tv/Breaking Bad (2008)")
    db.database.execute_sql("ALTER TABLE player_notifications DROP COLUMN kept_state")
    db.set_meta("schema_version", "12")  # as a database of the version before
    db.database.close()
    db.open_database(empty_pg)
    assert db.schema_version() == db.SCHEMA_VERSION >= 13
    assert db.PlayerNotification.get().kept_state is None
    kept = [{"file": "Season 01/Breaking Bad - S01E01 - Pilot.mkv", "playcount": 2}]
    db.PlayerNotification.update(kept_state=kept).execute()
    assert db.PlayerNotification.get().kept_state == kept


def test_a_database_still_written_to_is_copied_as_of_one_moment(tmp_path, empty_pg, monkeypatch):
    """The daemon left running during the copy (or a web request landing) wrote between the
    tables: the copy read each table at another moment, found events and jobs of an item it
    had not copied, and PostgreSQL refused them (a foreign key violation); the whole copy
    failed. It now reads every table from one snapshot of the source."""
    import peewee as pw

    from metarrd import dbcopy

    sqlite_path = tmp_path / "metarrd.db"
    _seed_sqlite(sqlite_path)
    copy = dbcopy._copy

    def daemon_writes_meanwhile(model, src, target):
        copied = copy(model, src, target)
        if model is db.Movie:  # the daemon, on its own connection: a new item and its work
            writer = db.connect_to(sqlite_path)
            with writer.bind_ctx([db.Library, db.Movie, db.Event, db.Job]), writer.atomic():
                new = db.Movie.create(
                    library=db.Library.get(), path="/srv/media/movies/Alien (1979)/Alien.mkv"
                )
                db.Event.create(kind="scan.found", message="found Alien", movie=new)
                db.Job.create(kind="identify", movie=new, key=f"identify:{new.id}")
            writer.close()
        return copied

    monkeypatch.setattr(dbcopy, "_copy", daemon_writes_meanwhile)
    try:
        report = migrate_to(sqlite_path, empty_pg)
    except pw.IntegrityError as exc:
        pytest.fail(f"the copy mixed two moments of the source: {exc}")
    assert report.rows["movies"] == report.rows["jobs"] == 1
    assert report.rows["events"] == 1


def test_the_previews_move_into_the_cache_the_other_hosts_share(tmp_path, empty_pg, capsys):
    """After `db migrate-to` and `[database] url` set, the previews are read from the shared
    cache's previews/ (Config.previews_dir): those of the installation go there, or every
    candidate picture it had was a broken image."""
    _seed_sqlite(tmp_path / "data" / "metarrd.db")
    kept = tmp_path / "data" / "previews" / "ab" / ("ab" * 32 + ".webp")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"RIFF")
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
    )
    assert main(["--config", str(config), "db", "migrate-to", empty_pg]) == 0
    assert "moved the previews into the cache" in capsys.readouterr().out
    from metarrd.config import load_config

    config.write_text(config.read_text() + f'[database]\nurl = "{empty_pg}"\n')
    previews = load_config(config).previews_dir
    assert previews == tmp_path / "data" / "cache" / "previews"
    assert (previews / "ab" / kept.name).read_bytes() == b"RIFF"


def test_the_copies_of_the_users_files_move_into_the_cache_with_their_rows(
    tmp_path, empty_pg, capsys
):
    """After `db migrate-to`, the copies of the user's files a publish replaced (their NFO) are
    looked for in the shared cache's backup/ (Config.backup_dir): those of the installation go
    there, and their rows (absolute paths) name them there, so that every host finds them."""
    import hashlib

    data = tmp_path / "data"
    movie_id = _seed_sqlite(data / "metarrd.db")
    nfo = b"<movie><title>Heat</title><userrating>9</userrating></movie>\n"  # the user's
    sha = hashlib.sha256(nfo).hexdigest()
    old = data / "backup" / "nfo" / sha[:2] / f"{sha}.nfo"
    old.parent.mkdir(parents=True)
    old.write_bytes(nfo)
    db.open_database(data / "metarrd.db")
    db.CacheImageFile.create(
        movie=movie_id, actor=None, image_type="nfo", file_hash=sha, file_path=str(old),
        file_size=len(nfo), source_type="library", source_url="/srv/media/movies/Heat (1995)/Heat.nfo",
        provider_name="library",
    )  # fmt: skip
    db.database.close()
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{data}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n')
    assert main(["--config", str(config), "db", "migrate-to", empty_pg]) == 0
    assert "moved the copies of your files a publish replaced" in capsys.readouterr().out

    from metarrd.config import load_config

    config.write_text(config.read_text() + f'[database]\nurl = "{empty_pg}"\n')
    backups = load_config(config).backup_dir
    assert backups == data / "cache" / "backup"
    db.open_database(empty_pg)
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha)
    assert row.file_path == str(backups / "nfo" / sha[:2] / f"{sha}.nfo")
    assert Path(row.file_path).read_bytes() == nfo


def test_a_nul_character_is_named_and_nothing_is_copied(tmp_path, empty_pg, capsys):
    """SQLite's text holds a NUL, PostgreSQL's cannot (a plot pasted with one, a webhook's
    "\\u0000" title). The copy died in psycopg2 ("A string literal cannot contain NUL (0x00)
    characters"), a traceback naming no row. Now: which rows, nothing copied, source kept."""
    sqlite_path = tmp_path / "data" / "metarrd.db"
    movie_id = _seed_sqlite(sqlite_path)
    db.open_database(sqlite_path)
    db.Movie.update(plot="Los Angeles.\x00", genres=["Crime\x00"]).execute()
    db.database.close()
    (tmp_path / "config.toml").write_text(
        f'data_dir = "{tmp_path / "data"}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
    )
    assert main(["--config", str(tmp_path / "config.toml"), "db", "migrate-to", empty_pg]) != 0
    said = capsys.readouterr().err
    assert f"movies {movie_id} plot" in said and "NUL" in said  # not the JSON genres: escaped
    assert "Traceback" not in said
    db.open_database(empty_pg)
    assert not db.Movie.select().exists() and not db.Library.select().exists()
    db.open_database(sqlite_path)  # the source as it was
    assert db.Movie.get_by_id(movie_id).plot == "Los Angeles.\x00"
    assert db.Event.select().count() == 1


def test_very_long_texts_and_a_nul_inside_json_are_copied(tmp_path, empty_pg):
    # a 4 MB plot (a scraper that put a whole wiki page in) and a JSON list holding a NUL,
    # which the JSON column writes escaped
    sqlite_path = tmp_path / "metarrd.db"
    movie_id = _seed_sqlite(sqlite_path)
    db.open_database(sqlite_path)
    long_plot = "Ä" * 4_000_000
    db.Movie.update(plot=long_plot, genres=["Cri\x00me"]).execute()
    db.database.close()
    migrate_to(sqlite_path, empty_pg)
    db.open_database(empty_pg)
    movie = db.Movie.get_by_id(movie_id)
    assert movie.plot == long_plot and movie.genres == ["Cri\x00me"]


def test_the_dbas_session_limits_do_not_end_the_copy(tmp_path, empty_pg, monkeypatch):
    """`idle_in_transaction_session_timeout` set on the database (against sessions left open
    in a transaction): the target waits idle while each table is read from SQLite, which for
    a large events table takes seconds; the server ended the copy ("terminating connection
    due to idle-in-transaction timeout"). Here the read of each table is made slow."""
    import time

    from metarrd import dbcopy

    sqlite_path = tmp_path / "metarrd.db"
    movie_id = _seed_sqlite(sqlite_path)
    name = empty_pg.rsplit("/", 1)[1]
    conn = _admin_connection(TEST_DATABASE_URL)
    with conn.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = 300')
        cur.execute(f'ALTER DATABASE "{name}" SET statement_timeout = 300')
    conn.close()
    refuse = dbcopy._refuse_nul

    slow = [True]

    def slow_read(model, rows):  # the first table is a million events, read from SQLite
        if slow.pop() if slow else False:
            time.sleep(0.6)
        refuse(model, rows)

    monkeypatch.setattr(dbcopy, "_refuse_nul", slow_read)
    migrate_to(sqlite_path, empty_pg)
    db.open_database(empty_pg)
    assert db.Movie.get_by_id(movie_id).title == "Heat"


def test_a_postgresql_database_before_migration_17_gains_the_index_of_the_previews(empty_pg):
    """`cache.remove_unused` asks which previews a candidate still names by `preview_path IN
    (...)`: a database every host shares, made before, gains the index (the same step as on
    SQLite), its rows kept."""

    def indexed() -> bool:
        return bool(
            db.database.execute_sql(
                "SELECT 1 FROM pg_indexes WHERE tablename = 'provider_assets' "
                "AND indexname = 'provider_assets_preview_path'"
            ).fetchone()
        )

    db.open_database(empty_pg)
    assert indexed()  # a new database
    movie = db.Movie.create(
        library=db.Library.create(name="Movies", path="/srv/media/movies"),
        path="/srv/media/movies/Heat (1995)/Heat.mkv",
    )
    db.ArtworkCandidate.create(
        movie=movie, asset_type="poster", provider="tmdb", preview_path="3f/3f0c2e9a.webp",
        url="https://image.tmdb.org/t/p/original/obpPQskaVpSbbW3e2nBRYvl0sVX.jpg",
    )  # fmt: skip
    db.database.execute_sql("DROP INDEX provider_assets_preview_path")
    db.set_meta("schema_version", "16")  # as a database of the version before
    db.database.close()
    db.open_database(empty_pg)
    assert db.schema_version() == db.SCHEMA_VERSION >= 17
    assert indexed()
    assert db.ArtworkCandidate.get().preview_path == "3f/3f0c2e9a.webp"
