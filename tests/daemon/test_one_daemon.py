"""One daemon per SQLite queue: a second `metarrd run` on the same data_dir is refused at once,
naming the first; the lock is the kernel's, so it is free again however the first ended. The web
UI and one-off commands go on beside it, and so do any number of daemons on a Redis queue
(docs/scale-out.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from metarrd.config import parse_config
from metarrd.pipeline.daemon import AlreadyRunning, claim_data_dir
from tests.daemon.conftest import REPO, Daemon


def _config(tmp_path: Path, **sections):
    (tmp_path / "movies").mkdir(exist_ok=True)
    data = {
        "data_dir": str(tmp_path / "data"),
        "library": [{"name": "Movies", "path": str(tmp_path / "movies")}],
        **sections,
    }
    return parse_config(data)


def _release(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def test_a_second_daemon_on_one_sqlite_queue_is_refused_and_the_pair_of_roles_is_not(tmp_path):
    config = _config(tmp_path)
    first = claim_data_dir(config, "all")
    try:
        for role in ("all", "watcher", "worker"):
            with pytest.raises(AlreadyRunning) as refused:
                claim_data_dir(config, role)
            assert f"pid {os.getpid()} on " in str(refused.value)
            assert str(config.data_path) in str(refused.value)
    finally:
        _release(first)
    watcher = claim_data_dir(config, "watcher")  # the split roles on one host: one of each
    worker = claim_data_dir(config, "worker")
    try:
        with pytest.raises(AlreadyRunning, match="already runs the jobs of its SQLite queue"):
            claim_data_dir(config, "worker")
        with pytest.raises(AlreadyRunning, match="already watches the libraries"):
            claim_data_dir(config, "all")
    finally:
        _release(watcher + worker)


def test_on_a_redis_queue_daemons_share_a_data_dir(tmp_path):
    """Scale-out: a watcher and workers on one host read one config (one data_dir), and a
    data_dir on a share may be every host's; the jobs table decides who runs what."""
    config = _config(
        tmp_path,
        database={"url": "postgresql://metarrd:secret@db.lan:5432/metarrd"},
        queue={"url": "redis://db.lan:6379/0"},
    )
    held = [claim_data_dir(config, role) for role in ("all", "all", "watcher", "worker")]
    assert held == [[], [], [], []]


def _write_config(tmp_path: Path, sim) -> Path:
    """A daemon on SQLite (the default; not the PostgreSQL pass's backend: the lock is SQLite's)."""
    (tmp_path / "movies").mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        f'[[library]]\nname = "Movies"\npath = "{tmp_path}/movies"\n'
        f'[providers.tmdb]\napi_key = "{sim.tmdb_key}"\nbase_url = "{sim.tmdb_url}"\n'
        "[daemon]\nworkers = 1\nsettle_seconds = 0.5\nfull_rescan_hours = 0.0\n"
    )
    return path


def _metarrd(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metarrd.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )


def test_a_second_metarrd_run_exits_at_once_until_the_first_is_killed(tmp_path, simulator):
    config = _write_config(tmp_path, simulator)
    first = Daemon(config, tmp_path / "first.log").start()
    again = None
    try:
        second = _metarrd(config, "run")
        assert second.returncode == 1, second.stdout + second.stderr
        assert f"another metarrd daemon on {tmp_path}/data (pid {first.proc.pid} on " in (
            second.stderr
        )
        assert "metarrd daemon starting" not in second.stdout  # nothing cleaned, nothing sent
        assert _metarrd(config, "list").returncode == 0  # one-off commands go on beside it
        assert first.proc.poll() is None
        first.stop(signal.SIGKILL)  # no stop of its own: the kernel let go of its lock
        again = Daemon(config, tmp_path / "again.log").start()
        assert again.stop(signal.SIGINT) == 0
    finally:
        for daemon in (first, again):
            if daemon is not None:
                daemon.stop(signal.SIGKILL)
