"""Fixtures for the ENRICH tests: a runtime on temp folders wired to the simulator, and
identified movies created directly in the database."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from metarrd import db
from metarrd.runtime import open_runtime

MATRIX = {"tmdb_id": 603, "imdb_id": "tt0133093", "title": "The Matrix", "year": 1999}
IMAGE_PREFIXES = ("/t/p/", "/fanart/", "/banners/")


@pytest.fixture
def make_rt(simulator, config_factory):
    """make_rt(**config sections) -> an open Runtime (closed after the test)."""
    opened = []

    def factory(**sections):
        sections.setdefault("providers", {"timeout_seconds": 10.0, "max_retries": 2})
        rt = open_runtime(config_factory(simulator, **sections))
        rt.http.backoff = 0.05  # keep retried faults quick
        opened.append(rt)
        return rt

    yield factory
    for rt in opened:
        rt.close()


@pytest.fixture
def rt(make_rt):
    return make_rt()


def make_movie(rt, **fields) -> db.Movie:
    """An identified movie whose video file exists in the first library."""
    values = {**MATRIX, **fields}
    library = db.Library.get(db.Library.name == rt.config.library[0].name)
    folder = Path(library.path) / f"{values['title']} ({values['year']})"
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{values['title']} ({values['year']}).mkv"
    video.write_bytes(b"\0" * 16)
    return db.Movie.create(
        library=library, path=str(video), identification_status=db.IDENTIFIED, **values
    )


def image_requests(sim) -> list[str]:
    """Image requests the simulator answered. A request an earlier test made hang is recorded
    (status 0) only when its hang ends, possibly during a later test: it does not count."""
    return [h.path for h in sim.requests if h.path.startswith(IMAGE_PREFIXES) and h.status]


def had(movie_id: int) -> set[str]:
    """URL paths of every image the item already has analysed (what must not be fetched again)."""
    rows = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == movie_id) & db.ArtworkCandidate.analyzed
    )
    return {urlsplit(r.url).path for r in rows if r.provider != "library"}
