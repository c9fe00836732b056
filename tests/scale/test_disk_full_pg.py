"""The "Disk full" state on PostgreSQL (docs/failure-modes.md, `data_dir` fills up): a worker
whose data folder or cache filled up notes it in its `data_dir`, where the web UI and /healthz
of that host look. Runs only with METARRD_TEST_DATABASE_URL."""

from __future__ import annotations

import errno

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.web import create_app
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs METARRD_TEST_DATABASE_URL")


def test_a_full_disk_on_postgresql_shows_the_banner(config_factory, tmp_path, monkeypatch):
    """On PostgreSQL the mark was written next to "the database file": the database's name,
    relative to the process's working folder (`/` under systemd: not written at all), so the
    red Disk full banner and /healthz never said so, and a `disk-full` file could appear in
    whatever folder the worker was started from."""
    cwd = tmp_path / "started-here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    config = config_factory()
    rt = open_runtime(config)
    app = create_app(config, testing=True)  # the web UI of the same host
    try:
        full = OSError(errno.ENOSPC, "No space left on device", str(config.cache_dir / "x.jpg"))
        assert isinstance(db.disk_full(full), db.DiskFull)
        assert not list(cwd.iterdir())
        since, what = db.disk_full_state(config.data_path)
        assert "No space left on device" in what
        assert "disk full" in app.test_client().get("/healthz").get_data(as_text=True).lower()
        with db.write_transaction():  # the first write that commits afterwards: room again
            db.set_meta("probe", "1")
        assert db.disk_full_state(config.data_path) is None
    finally:
        rt.close()


def test_a_workers_full_disk_shows_in_the_web_ui_of_another_host(tmp_path, monkeypatch):
    """A worker on the NAS (its own data_dir) filled its disk: the web UI on another host showed
    no banner and its /healthz `"disk": "ok"`, the state being only a file in the NAS's data
    folder. Now it is in the database too, with the host's name; the web host's own writes do
    not clear it, the NAS's next write that commits does."""
    from tests.conftest import make_config

    web, nas = (make_config(tmp_path / host) for host in ("web", "nas"))
    monkeypatch.setattr(db, "this_host", lambda: "web")
    app = create_app(web, testing=True)
    client = app.test_client()
    try:
        monkeypatch.setattr(db, "this_host", lambda: "nas")
        db.open_database(TEST_DATABASE_URL, data_dir=nas.data_path)  # the worker's process
        full = OSError(errno.ENOSPC, "No space left on device", str(nas.tmp_dir / "x.jpg"))
        with pytest.raises(db.DiskFull), db.write_transaction():
            db.set_meta("probe", "1")
            raise db.disk_full(full)

        monkeypatch.setattr(db, "this_host", lambda: "web")
        db.open_database(TEST_DATABASE_URL, data_dir=web.data_path)  # the web host's process
        disk = client.get("/healthz").get_json()["disk"]
        assert disk.startswith("full on nas since ") and str(nas.tmp_dir) in disk
        assert "Disk full</strong> on nas" in client.get("/").get_data(as_text=True)
        with db.write_transaction():
            db.set_meta("probe", "2")
        assert client.get("/healthz").get_json()["disk"].startswith("full on nas since ")

        monkeypatch.setattr(db, "this_host", lambda: "nas")
        db.open_database(TEST_DATABASE_URL, data_dir=nas.data_path)
        with db.write_transaction():
            db.set_meta("probe", "3")
        monkeypatch.setattr(db, "this_host", lambda: "web")
        db.open_database(TEST_DATABASE_URL, data_dir=web.data_path)
        assert client.get("/healthz").get_json()["disk"] == "ok"
    finally:
        app.extensions["metarrd.runtime"].close()
