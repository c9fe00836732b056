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
