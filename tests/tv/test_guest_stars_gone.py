"""A show's enrich forgets the guest stars no item plays any more, with their cached photos
(docs/enrich.md, "Cast"), as a movie's does."""

from __future__ import annotations

import time
from pathlib import Path

from metarrd import db
from metarrd.enrich.tv import enrich_show
from metarrd.pipeline import jobs, queue
from metarrd.simulator import tv_tmdb

from .conftest import put


def test_a_guest_star_tmdb_no_longer_lists_goes_with_their_photo(tv_rt, tmp_path, monkeypatch):
    """TMDB's credits of Breaking Bad's pilot lost a guest star (a mistaken credit removed):
    the show's re-enrich dropped their role, but the person stayed in `actors` with their
    photo in the cache, played by no item."""
    queue.configure(tv_rt.config, immediate=True)
    jobs.bind(tv_rt)
    put(tmp_path / "tv", "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    jobs.enqueue_scan(None)  # scan -> identify -> enrich, run in place
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    pilot = db.Movie.get(db.Movie.kind == db.EPISODE)
    guests = [r.actor for r in pilot.cast() if r.actor.image_cache_path]
    assert guests and show.identification_status == db.ENRICHED
    gone = guests[0]
    photo = Path(gone.image_cache_path)
    assert photo.is_file()
    people = tv_tmdb.episode_people

    def fewer(show_, ep):
        listed, director, writer = people(show_, ep)
        return [g for g in listed if g[0] != gone.name], director, writer

    monkeypatch.setattr(tv_tmdb, "episode_people", fewer)
    tv_rt.http.answers.clock = lambda: time.monotonic() + 3600  # TMDB asked again

    enrich_show(tv_rt, db.Movie.get_by_id(show.id))

    assert gone.name not in [r.actor.name for r in db.Movie.get_by_id(pilot.id).cast()]
    assert not db.Actor.select().where(db.Actor.tmdb_id == gone.tmdb_id).exists()
    assert not photo.exists()
    for role in db.Movie.get_by_id(show.id).cast():  # the show's cast keeps its photos
        assert not role.actor.image_cache_path or Path(role.actor.image_cache_path).is_file()
