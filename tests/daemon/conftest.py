"""Fixtures for the daemon tests: a runtime on temp dirs with the queue in immediate mode (tasks
run synchronously in the test) or on a real SQLite queue file that the test drains by hand, and
stand-ins for stages other helpers own (enrich, publish, players) that record their calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.pipeline.queue import huey
from metarrd.runtime import open_runtime
from tests.conftest import backend_toml


class Recorder:
    """Fake stage functions that remember their calls and can be told to raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict]] = []
        self.raises: dict[str, BaseException] = {}

    def _call(self, stage: str, movie_id: int, **kw):
        self.calls.append((stage, movie_id, kw))
        if stage in self.raises:
            raise self.raises[stage]

    def identify_item(self, rt, movie, *, tmdb_id=None, imdb_id=None, source=None, **more):
        from metarrd.identify import IdentifyResult

        self._call("identify", movie.id, tmdb_id=tmdb_id, imdb_id=imdb_id, source=source, **more)
        db.Movie.update(
            identification_status=db.IDENTIFIED, tmdb_id=tmdb_id or 603, identified_by=source
        ).where(db.Movie.id == movie.id).execute()
        return IdentifyResult(movie.id, True, f"identified item {movie.id}")

    def enrich_item(self, rt, movie, manual=True, **more):
        self._call("enrich", movie.id, manual=manual, **more)
        db.Movie.update(identification_status=db.ENRICHED).where(db.Movie.id == movie.id).execute()
        return f"enriched item {movie.id}"

    def publish_item(self, rt, movie):
        self._call("publish", movie.id)
        db.Movie.update(publish_state=db.PUBLISHED).where(db.Movie.id == movie.id).execute()
        return f"published item {movie.id}"

    def process_notifications(self, rt):
        self._call("notify", 0)
        return []

    def due_in(self, rt):
        return None

    def stages(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def fake_stages(monkeypatch) -> Recorder:
    import metarrd.identify
    import metarrd.scan  # before the fakes: the scan stage takes names of the real enrich's
    import metarrd.scan.tv  # (which `renames.follow_renames` imports when first called)
    from metarrd.players import bring_forward
    from metarrd.publish import tell_players_moved  # the real one: it only queues rows

    rec = Recorder()
    monkeypatch.setattr(metarrd.identify, "identify_item", rec.identify_item)
    monkeypatch.setitem(
        sys.modules, "metarrd.enrich", types.SimpleNamespace(enrich_item=rec.enrich_item)
    )
    monkeypatch.setitem(
        sys.modules,
        "metarrd.publish",
        types.SimpleNamespace(publish_item=rec.publish_item, tell_players_moved=tell_players_moved),
    )
    monkeypatch.setitem(
        sys.modules,
        "metarrd.players",
        types.SimpleNamespace(
            process_notifications=rec.process_notifications,
            due_in=rec.due_in,
            bring_forward=bring_forward,  # the real one: it only moves rows' times
        ),
    )
    return rec


def _runtime(config_factory, immediate: bool, **sections):
    config = config_factory(**sections)
    rt = open_runtime(config)
    queue.configure(config, immediate=immediate)
    jobs.bind(rt)
    return rt


@pytest.fixture
def rt(config_factory) -> Iterator:
    """Immediate mode: an enqueued job runs to completion (with what follows) before enqueue returns."""
    runtime = _runtime(config_factory, immediate=True)
    yield runtime
    runtime.close()


@pytest.fixture
def queued_rt(config_factory) -> Iterator:
    """A real queue file; nothing runs until the test calls `drain()`."""
    runtime = _runtime(config_factory, immediate=False)
    yield runtime
    queue.configure(runtime.config, immediate=True)
    runtime.close()


def webhook_client(config):
    """The webhooks' blueprint on an app of its own over `config`, with the queue run in
    place: (its test client, the runtime to close)."""
    from flask import Flask

    from metarrd.web import webhooks

    rt = open_runtime(config)
    queue.configure(config, immediate=True)
    jobs.bind(rt)
    app = Flask(__name__)
    app.config["METARRD"] = config
    app.register_blueprint(webhooks.bp)
    return app.test_client(), rt


def drain(limit: int = 1000) -> int:
    """Run queued messages in this thread, as a consumer worker would. Returns how many ran."""
    ran = 0
    while ran < limit and (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def make_movie(rt, name: str = "The Matrix (1999)", **values) -> db.Movie:
    lib = db.Library.get()
    folder = Path(lib.path) / name
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{name}.mkv"
    video.write_bytes(b"not really a movie")
    return db.Movie.create(library=lib, path=str(video), title=name, **values)


@pytest.fixture(name="drain")
def drain_fixture():
    return drain


@pytest.fixture(name="make_movie")
def make_movie_fixture():
    return make_movie


# --- a real daemon process -------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"
TOKEN = "webhook-token"


def write_config(tmp_path: Path, sim, *, workflow: dict | None = None, **daemon) -> Path:
    """A TOML configuration on temp folders, wired to the simulator."""
    (tmp_path / "movies").mkdir(exist_ok=True)
    daemon_cfg = {"workers": 2, "settle_seconds": 0.5, "full_rescan_hours": 0.0, **daemon}
    lines = [
        f'data_dir = "{tmp_path}/data"',
        "[[library]]",
        'name = "Movies"',
        f'path = "{tmp_path}/movies"',
        "[providers]",
        "timeout_seconds = 5.0",
        "max_retries = 1",
        "[providers.tmdb]",
        f'api_key = "{sim.tmdb_key}"',
        f'base_url = "{sim.tmdb_url}"',
        "[providers.fanart]",
        f'api_key = "{sim.fanart_key}"',
        f'base_url = "{sim.fanart_url}"',
        "[providers.tvdb]",
        f'api_key = "{sim.tvdb_key}"',
        f'base_url = "{sim.tvdb_url}"',
        "[workflow]",
        *(f"{k} = {'true' if v else 'false'}" for k, v in (workflow or {}).items()),
        "[daemon]",
        *(f"{k} = {v!r}" for k, v in daemon_cfg.items()),
        "[webhooks]",
        f'token = "{TOKEN}"',
    ]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n" + backend_toml())
    return path


class Daemon:
    """`metarrd --config X run` as a child process, its output in a log file."""

    def __init__(self, config_path: Path, log_path: Path):
        self.config_path = config_path
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Daemon:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "metarrd.cli", "--config", str(self.config_path), "run"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
        self.wait_for(lambda: "metarrd daemon ready" in self.output(), timeout, "daemon start")
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"daemon exited ({self.proc.returncode}):\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; daemon log:\n{self.output()[-6000:]}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code


@pytest.fixture
def daemon_factory(tmp_path):
    started: list[Daemon] = []

    def factory(config_path: Path) -> Daemon:
        d = Daemon(config_path, tmp_path / "daemon.log")
        started.append(d)
        return d

    yield factory
    for d in started:
        d.stop(signal.SIGKILL)


def copy_slowly(source: Path, target: Path, pieces: int = 4, pause: float = 0.2) -> None:
    """Copy like a file manager does: the file grows in steps, then stops."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    step = len(data) // pieces + 1
    with open(target, "wb") as out:
        for i in range(0, len(data), step):
            out.write(data[i : i + step])
            out.flush()
            time.sleep(pause)


@pytest.fixture(name="write_config")
def write_config_fixture(backend):
    return write_config


@pytest.fixture(name="copy_slowly")
def copy_slowly_fixture():
    return copy_slowly
