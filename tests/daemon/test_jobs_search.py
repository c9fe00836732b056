"""The search job: the identify page's TMDB search, run by the daemon against the simulator.
It stores ranked candidates on the item and never identifies it, however good the match."""

from __future__ import annotations

import pytest
from PIL import Image

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.pipeline.queue import huey
from metarrd.runtime import open_runtime


@pytest.fixture
def sim_rt(config_factory, simulator):
    """Immediate mode (a job runs inside enqueue) with the providers of the simulator."""
    config = config_factory(simulator, providers={"max_retries": 0})
    rt = open_runtime(config)
    queue.configure(config, immediate=True)
    jobs.bind(rt)
    yield rt
    rt.close()


def test_a_search_stores_ranked_candidates_and_does_not_identify(sim_rt, make_movie):
    movie = make_movie(sim_rt, "Thing")
    job = jobs.enqueue_search(movie.id, "The Thing", 1982)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.DONE and job.kind == "search"
    fresh = db.Movie.get_by_id(movie.id)
    assert fresh.identification_status == db.UNIDENTIFIED and fresh.tmdb_id is None
    best = fresh.candidates[0]
    assert (best["tmdb_id"], best["title"], best["year"]) == (1091, "The Thing", 1982)
    assert best["recommendation"] == "strong"  # a confident match, still left to the user
    assert {"distance", "penalties", "reasons"} <= set(best)
    assert job.message.startswith("TMDB search for 'The Thing' (1982): ")
    event = db.Event.get(db.Event.kind == "search.done")
    assert event.movie_id == movie.id and event.message == job.message
    assert db.Job.select().count() == 1  # nothing follows a search


def test_a_search_of_an_identified_item_changes_nothing_but_the_candidates(sim_rt, make_movie):
    movie = make_movie(sim_rt, identification_status=db.ENRICHED, tmdb_id=603)
    jobs.enqueue_search(movie.id, "The Thing", None)
    fresh = db.Movie.get_by_id(movie.id)
    assert (fresh.identification_status, fresh.tmdb_id) == (db.ENRICHED, 603)
    assert {c["year"] for c in fresh.candidates} >= {1982, 2011}


def test_no_match_stores_no_candidates(sim_rt, make_movie):
    movie = make_movie(sim_rt, "Thing", candidates=[{"tmdb_id": 1, "title": "old"}])
    job = jobs.enqueue_search(movie.id, "Qwxzv Plorth", None)
    assert db.Job.get_by_id(job.id).message == "TMDB search for 'Qwxzv Plorth': no match"
    assert db.Movie.get_by_id(movie.id).candidates == []


def test_tmdb_down_retries_the_search(sim_rt, make_movie, simulator):
    movie = make_movie(sim_rt, "Thing")
    simulator.fail_5xx(50, status=503, prefix="/3/search")
    job = jobs.enqueue_search(movie.id, "The Thing", 1982)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.QUEUED and "retry 1 in 30s" in job.message
    assert huey.scheduled_count() == 1
    assert db.Movie.get_by_id(movie.id).candidates in (None, [])


def test_a_waiting_search_takes_the_latest_title(queued_rt, make_movie):
    movie = make_movie(queued_rt, "Thing")
    first = jobs.enqueue_search(movie.id, "Thing", None)
    second = jobs.enqueue_search(movie.id, "The Thing", 1982)
    assert second.id == first.id
    assert db.Job.get_by_id(first.id).payload == {"title": "The Thing", "year": 1982}
    assert huey.pending_count() == 1


def test_candidates_come_with_a_small_poster_for_the_identify_page(sim_rt, make_movie, simulator):
    movie = make_movie(sim_rt, "Thing")
    jobs.enqueue_search(movie.id, "The Thing", None)
    candidates = db.Movie.get_by_id(movie.id).candidates
    with_poster = [c for c in candidates if c.get("poster_path")]
    assert with_poster and all(c["preview"] for c in with_poster)
    for c in with_poster:
        preview = sim_rt.config.previews_dir / c["preview"]
        with Image.open(preview) as im:  # w185 fits the preview box: kept as TMDB serves it
            assert im.format == "JPEG" and preview.suffix == ".jpg" and max(im.size) <= 300
    assert any("/w185/" in h.path for h in simulator.requests)  # thumbnails, not originals


def test_a_poster_that_cannot_be_fetched_leaves_the_candidate_without_one(
    sim_rt, make_movie, simulator
):
    movie = make_movie(sim_rt, "Thing")
    simulator.fail_5xx(50, status=404, prefix="/t/p/")
    job = jobs.enqueue_search(movie.id, "The Thing", None)
    assert db.Job.get_by_id(job.id).state == jobs.DONE
    candidates = db.Movie.get_by_id(movie.id).candidates
    assert candidates and all(c.get("preview") is None for c in candidates)


def test_a_probe_reaches_each_provider_and_says_so(sim_rt):
    job = jobs.enqueue_probe(["tmdb", "fanart", "tvdb"])
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.DONE, job.error
    events = {e.data["provider"]: e for e in db.Event.select().where(db.Event.kind == "probe.done")}
    assert set(events) == {"tmdb", "fanart", "tvdb"}
    assert events["tmdb"].data["result"] == "reached; the key works"


def test_a_probe_with_a_wrong_key_says_what_is_wrong(config_factory, simulator):
    config = config_factory(simulator, providers={"max_retries": 0}, tmdb={"api_key": "wrong"})
    rt = open_runtime(config)
    queue.configure(config, immediate=True)
    jobs.bind(rt)
    try:
        jobs.enqueue_probe(["tmdb"])
        event = db.Event.get(db.Event.kind == "probe.failed")
        assert event.data["provider"] == "tmdb" and "credentials" in event.data["result"]
    finally:
        rt.close()


def test_a_show_searches_tmdb_tv_and_tells_same_title_shows_apart_by_year(
    sim_rt, make_movie, simulator
):
    show = make_movie(sim_rt, "Doctor Who", kind=db.SHOW)
    before = len(simulator.requests)
    job = jobs.enqueue_search(show.id, "Doctor Who", None)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.DONE, job.error
    assert job.message.startswith("TMDB TV search for 'Doctor Who': 2 candidates")
    searched = [h.path for h in simulator.requests[before:] if "/search/" in h.path]
    assert searched and all("/3/search/tv" in p for p in searched)  # never TMDB's movies
    candidates = db.Movie.get_by_id(show.id).candidates
    assert {(c["tmdb_id"], c["year"]) for c in candidates} == {(121, 1963), (57243, 2005)}
    assert all(c["recommendation"] != "strong" for c in candidates)  # no year: the user's call
    assert all(c["preview"] for c in candidates)  # TV posters as thumbnails too
    jobs.enqueue_search(show.id, "Doctor Who", 2005)
    best = db.Movie.get_by_id(show.id).candidates[0]
    assert (best["tmdb_id"], best["year"], best["recommendation"]) == (57243, 2005, "strong")
    fresh = db.Movie.get_by_id(show.id)
    assert fresh.identification_status == db.UNIDENTIFIED and fresh.tmdb_id is None


def test_an_episode_is_not_searched_on_its_own(sim_rt, make_movie):
    show = make_movie(sim_rt, "Doctor Who", kind=db.SHOW)
    episode = make_movie(sim_rt, "Doctor Who - S01E01", kind=db.EPISODE, show=show, season=1)
    job = db.Job.get_by_id(jobs.enqueue_search(episode.id, "Doctor Who", None).id)
    assert job.state == jobs.FAILED and "search for its show instead" in job.error
    assert not db.Movie.get_by_id(episode.id).candidates


def test_a_chosen_tvdb_id_replaces_a_waiting_choice(queued_rt, make_movie):
    show = make_movie(queued_rt, "Doctor Who", kind=db.SHOW)
    first = jobs.enqueue_identify(show.id, tmdb_id=121)
    second = jobs.enqueue_identify(show.id, tvdb_id=78804)
    assert second.id == first.id
    payload = db.Job.get_by_id(first.id).payload
    assert (payload.get("tmdb_id"), payload["tvdb_id"], payload["source"]) == (
        None,
        78804,
        "manual",
    )
