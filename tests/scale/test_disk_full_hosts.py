"""A full disk on one host of several (docs/scale-out.md, docs/failure-modes.md "`data_dir` fills
up"): the web UI and /healthz of another host say so, naming the host, and only that host's next
write that commits clears it (a worker's data folder is another disk than the web host's).

The hosts share one database: PostgreSQL in real life (`tests/scale/test_disk_full_pg.py`). Here
the two "hosts" are two data folders, two host names and one SQLite file that both open, taken for
a shared database (`db.shared_database`, PostgreSQL's answer), so that it runs everywhere."""

from __future__ import annotations

import errno

import pytest

from metarrd import db
from metarrd.web import create_app
from tests.conftest import make_config


@pytest.fixture
def hosts(tmp_path, monkeypatch):
    """(web host's config, worker host's config) on one database, the worker's host name "nas"."""
    shared = {"dir": str(tmp_path / "nfs" / "metarrd-cache")}
    libraries = {"Movies": tmp_path / "movies"}
    web, worker = (
        make_config(tmp_path / host, libraries=libraries, cache=shared) for host in ("web", "nas")
    )
    for config in (web, worker):
        config.data_path.mkdir(parents=True)
    monkeypatch.setattr(db, "shared_database", lambda: True, raising=False)
    yield web, worker
    if not db.database.is_closed():
        db.database.close()


def as_host(monkeypatch, name: str, config, database) -> None:
    """This process is now `name`, with `config`'s data folder, on the shared database."""
    monkeypatch.setattr(db, "this_host", lambda: name)
    db.open_database(database, data_dir=config.data_path)


def enospc(config) -> OSError:
    """What a worker's enrich meets when its data folder is full (a temp download)."""
    path = str(config.tmp_dir / ".metarrd-tmp-abc123")
    return OSError(errno.ENOSPC, "No space left on device", path)


def test_the_web_ui_of_another_host_shows_a_workers_full_disk(hosts, monkeypatch):
    """A worker on the NAS filled its data folder: its items failed with "disk full", but the
    web UI on another host showed no banner and its /healthz said `"disk": "ok"`: the state was
    a file in the NAS's own data_dir, where no other host looks."""
    web, worker = hosts
    shared = web.database_url  # the database every host uses (PostgreSQL in the second pass)
    app = create_app(web, testing=True)
    client = app.test_client()
    assert client.get("/healthz").get_json()["disk"] == "ok"

    as_host(monkeypatch, "nas", worker, shared)
    with pytest.raises(db.DiskFull), db.write_transaction():  # a job's transaction: noted after
        db.set_meta("probe", "1")
        raise db.disk_full(enospc(worker))
    assert db.disk_full_state(worker.data_path) is not None  # its own mark, as before

    as_host(monkeypatch, "web", web, shared)
    assert db.disk_full_state(web.data_path) is None  # the web host's disk is not full
    disk = client.get("/healthz").get_json()["disk"]
    assert disk.startswith("full on nas since ") and "No space left on device" in disk
    page = client.get("/").get_data(as_text=True)
    assert "Disk full</strong> on nas since" in page and str(worker.tmp_dir) in page

    with db.write_transaction():  # the web host's write: no sign of room on the NAS's disk
        db.set_meta("probe", "2")
    assert client.get("/healthz").get_json()["disk"].startswith("full on nas since ")

    as_host(monkeypatch, "nas", worker, shared)
    with db.write_transaction():  # the NAS's next write that commits: room again there
        db.set_meta("probe", "3")
    assert db.disk_full_state(worker.data_path) is None

    as_host(monkeypatch, "web", web, shared)
    assert client.get("/healthz").get_json()["disk"] == "ok"
    assert "Disk full" not in client.get("/").get_data(as_text=True)


def test_each_host_shows_its_own_disk_and_the_others_once(hosts, monkeypatch):
    """Both hosts' disks filled: the web host shows its own (without a host name, as on one
    machine) and the NAS's, each once; a note the NAS wrote outside any transaction (the CLI's)
    is there at once; only "since when" for anyone who may not see the UI."""
    web, worker = hosts
    shared = web.database_url
    as_host(monkeypatch, "nas", worker, shared)
    db.disk_full(enospc(worker))  # no transaction open: noted at once
    db.disk_full(enospc(worker))  # the next item: the first note (its time) stays
    assert db.Meta.select().where(db.Meta.key.startswith(db.DISK_FULL_KEY)).count() == 1

    monkeypatch.setattr(db, "this_host", lambda: "web")
    app = create_app(web, testing=True)  # the web host, on the same database
    db.disk_full(OSError(errno.ENOSPC, "No space left on device", str(web.tmp_dir / "x")))
    notes = db.disk_full_notes(web.data_path)
    assert [n.host for n in notes] == ["nas", None]
    disk = app.test_client().get("/healthz").get_json()["disk"]
    assert disk.startswith("full on nas since ") and "; full since " in disk  # oldest first
    assert str(web.tmp_dir) in disk and str(worker.tmp_dir) in disk

    from metarrd.web import auth

    auth.set_password("correct horse")  # a login is needed now: the names are not for anyone
    db.disk_full(OSError(errno.ENOSPC, "No space left on device", str(web.tmp_dir / "x")))
    disk = app.test_client().get("/healthz").get_json()["disk"]
    assert disk.count("full since ") == 2 and "nas" not in disk and "No space" not in disk
