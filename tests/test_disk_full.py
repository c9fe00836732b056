"""A full disk under data_dir (issue 11 item 6): each item fails on its own with "disk full",
the rest are still tried, nothing is half-written, and /healthz and the UI say so until a write
succeeds again.

SQLite answers a write on a full disk with SQLITE_FULL and rolls the transaction back itself;
peewee's rollback then failed with "cannot rollback - no transaction is active" and that hid the
real error. The injected tests below do exactly what SQLite does; the last test fills a real
(small, tmpfs) file system when this machine lets us mount one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import peewee as pw
import pytest

from metarrd import db
from metarrd.cli import main
from metarrd.errors import DiskFull
from tests.conftest import providers_toml

MEDIA = Path(__file__).resolve().parent / "media" / "h264_aac_2audio_sub.mkv"
ROOT = Path(__file__).resolve().parent.parent


def _sqlite_full() -> None:
    """What SQLite does when a write finds the disk full: the transaction is gone, then the error."""
    db.database.cursor().execute("ROLLBACK")
    raise pw.OperationalError("database or disk is full")


@pytest.fixture
def database(tmp_path):
    db.open_database(tmp_path / "data" / "metarrd.db")
    yield tmp_path / "data"
    db.database.close()


def test_full_disk_inside_a_transaction_is_disk_full_not_cannot_rollback(database):
    with pytest.raises(DiskFull) as err, db.write_transaction():
        db.set_meta("probe", "1")
        _sqlite_full()
    assert "disk full" in str(err.value) and "free some space" in str(err.value)
    assert db.get_meta("probe") is None, "rolled back whole"
    assert db.database.transaction_depth() == 0
    assert db.disk_full_state(database) is not None


def test_full_disk_at_commit_is_disk_full_and_a_later_write_clears_the_state(database, monkeypatch):
    real_commit = db.database.commit
    monkeypatch.setattr(db.database.obj, "commit", _sqlite_full)
    with pytest.raises(DiskFull), db.write_transaction():
        db.set_meta("probe", "1")
    since, what = db.disk_full_state(database)
    assert "database or disk is full" in what
    monkeypatch.setattr(db.database.obj, "commit", real_commit)
    with db.write_transaction(shows_room=False):  # a failure record is no sign of room
        db.set_meta("probe", "2")
    assert db.disk_full_state(database) is not None
    with db.write_transaction():
        db.set_meta("probe", "3")
    assert db.disk_full_state(database) is None
    assert db.get_meta("probe") == "3"


def test_postgresqls_full_disk_is_disk_full_too(database):
    """PostgreSQL's answer when the disk of the database every host shares fills up: SQLSTATE
    53100 `disk_full` (psycopg2's `errors.DiskFull`), with the message and hint of its storage
    manager (src/backend/storage/smgr/md.c, mdextend). It was no "disk full": the transaction
    failed as an OperationalError, a job with it as a bug ("internal error: …"), and neither
    the banner nor /healthz said so."""
    errors = pytest.importorskip("psycopg2.errors")
    said = 'could not extend file "base/16384/16402": No space left on device'
    with pytest.raises(DiskFull) as err, db.write_transaction():
        db.set_meta("probe", "1")
        with pw.__exception_wrapper__:  # as peewee hands psycopg2's errors on
            raise errors.DiskFull(f"{said}\nHINT:  Check free disk space.\n")
    assert str(err.value) == f"disk full: {said}; free some space, then run it again"
    assert db.get_meta("probe") is None, "rolled back whole"
    assert db.disk_full_state(database) is not None


def test_record_failure_on_a_full_disk_logs_instead_of_raising(database, monkeypatch, caplog):
    monkeypatch.setattr(db.database.obj, "commit", _sqlite_full)
    db.record_failure("enrich", None, "disk full: database or disk is full")
    assert "not recorded (disk full)" in caplog.text


@pytest.fixture
def library(tmp_path, simulator) -> Path:
    root = tmp_path / "movies"
    for name in ("Alien (1979)", "Heat (1995)", "The Matrix (1999)"):
        (root / name).mkdir(parents=True)
        shutil.copy2(MEDIA, root / name / f"{name}.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{root}"\n' + providers_toml(simulator, fanart=False)
    )
    return cfg


def test_enrich_all_fails_the_full_item_only_and_tries_the_rest(library, monkeypatch, capsys):
    import metarrd.enrich.stage as enrich  # enrich_items begins each item with `_begin`

    assert main(["--config", str(library), "scan"]) == 0
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    real = enrich._begin

    def begin(rt, movie, *args, **kw):
        if movie.id == heat.id:
            with db.write_transaction():
                db.Movie.update(plot="half").where(db.Movie.id == movie.id).execute()
                _sqlite_full()
        return real(rt, movie, *args, **kw)

    monkeypatch.setattr(enrich, "_begin", begin)
    capsys.readouterr()
    assert main(["--config", str(library), "enrich", "--all"]) == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        f"item {heat.id} ({heat.path}): disk full: database or disk is full; "
        "free some space, then run it again"
    ]
    assert out.count("enriched ") == 2, out
    heat = db.Movie.get_by_id(heat.id)
    assert heat.plot is None and heat.identification_status == db.IDENTIFIED
    assert "disk full" in heat.last_error
    others = db.Movie.select().where(db.Movie.id != heat.id)
    assert {m.identification_status for m in others} == {db.ENRICHED}


def test_healthz_and_the_header_show_a_full_disk(config_factory):
    from metarrd.web import create_app

    config = config_factory()
    app = create_app(config, testing=True)
    client = app.test_client()
    assert client.get("/healthz").get_json()["disk"] == "ok"
    assert "Disk full" not in client.get("/").get_data(as_text=True)
    (config.data_path / db.DISK_FULL_MARK).write_text("disk full: database or disk is full\n")
    answer = client.get("/healthz")
    assert answer.status_code == 200  # reads still work; a restart frees nothing
    assert answer.get_json()["disk"].startswith("full since ")
    assert "database or disk is full" in answer.get_json()["disk"]
    page = client.get("/").get_data(as_text=True)
    assert "Disk full" in page and "database or disk is full" in page
    db.database.close()


# --- a real full file system ----------------------------------------------------------------------


def _fill(folder: Path, leave_bytes: int) -> Path:
    stat = os.statvfs(folder)
    filler = folder / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave_bytes))
    return filler


@pytest.mark.slow
def test_enrich_all_on_a_really_full_data_dir(tmp_path, small_data_dir, simulator):
    root = tmp_path / "movies"
    for name in ("Alien (1979)", "Heat (1995)", "The Matrix (1999)"):
        (root / name).mkdir(parents=True)
        shutil.copy2(MEDIA, root / name / f"{name}.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{small_data_dir}"\n[[library]]\nname = "Movies"\npath = "{root}"\n'
        + providers_toml(simulator)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "metarrd.cli", "--config", str(cfg), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cli("scan").returncode == 0
    filler = _fill(small_data_dir, 400_000)
    done = cli("enrich", "--all")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "cannot rollback" not in done.stderr, done.stderr
    failures = [line for line in done.stderr.splitlines() if line.startswith("item ")]
    assert len(failures) == 3, done.stderr  # every item tried, each with its own line
    assert all("disk full" in line for line in failures)
    assert (small_data_dir / db.DISK_FULL_MARK).exists()

    filler.unlink()
    done = cli("enrich", "--all")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("enriched ") == 3
    assert not (small_data_dir / db.DISK_FULL_MARK).exists(), "a write succeeded: the state ends"


def test_a_job_that_fails_on_a_full_disk_is_logged_and_never_kills_the_worker(
    database, monkeypatch, caplog
):
    """The runner marks the job failed in the same transaction as the item's record; when even
    that finds the disk full, the failure is logged and the worker goes on (no traceback into
    Huey, no job stuck as "running" because a half-done record raised)."""
    from metarrd.pipeline import jobs

    job = db.Job.create(kind="enrich", key="enrich", state="running", payload={})
    monkeypatch.setattr(db.database.obj, "commit", _sqlite_full)
    jobs._fail(job, "enrich", "disk full: database or disk is full")
    assert "not recorded (disk full)" in caplog.text
    monkeypatch.undo()
    assert db.Job.get_by_id(job.id).state == "running"  # re-run at the next start, never lost
