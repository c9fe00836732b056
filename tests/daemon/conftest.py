"""Fixtures for the daemon tests: a runtime on temp dirs with the queue in immediate mode (tasks
run synchronously in the test) or on a real SQLite queue file that the test drains by hand, and
stand-ins for stages other helpers own (enrich, publish, players) that record their calls."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from metarrd import db, jobs, queue
from metarrd.queue import huey
from metarrd.runtime import open_runtime


class Recorder:
    """Fake stage functions that remember their calls and can be told to raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict]] = []
        self.raises: dict[str, BaseException] = {}

    def _call(self, stage: str, movie_id: int, **kw):
        self.calls.append((stage, movie_id, kw))
        if stage in self.raises:
            raise self.raises[stage]

    def identify_item(self, rt, movie, *, tmdb_id=None, imdb_id=None, source=None):
        from metarrd.identify import IdentifyOutcome

        self._call("identify", movie.id, tmdb_id=tmdb_id, imdb_id=imdb_id, source=source)
        db.Movie.update(
            identification_status=db.IDENTIFIED, tmdb_id=tmdb_id or 603, identified_by=source
        ).where(db.Movie.id == movie.id).execute()
        return IdentifyOutcome(movie.id, True, f"identified item {movie.id}")

    def enrich_item(self, rt, movie, manual=True):
        self._call("enrich", movie.id, manual=manual)
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

    rec = Recorder()
    monkeypatch.setattr(metarrd.identify, "identify_item", rec.identify_item)
    monkeypatch.setitem(
        sys.modules, "metarrd.enrich", types.SimpleNamespace(enrich_item=rec.enrich_item)
    )
    monkeypatch.setitem(
        sys.modules, "metarrd.publish", types.SimpleNamespace(publish_item=rec.publish_item)
    )
    monkeypatch.setitem(
        sys.modules,
        "metarrd.players",
        types.SimpleNamespace(process_notifications=rec.process_notifications, due_in=rec.due_in),
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
