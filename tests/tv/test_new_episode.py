"""A new episode file in a show already enriched (and published): what the watcher's scan or a
Sonarr `Download` webhook sets off, through the job chain with the real stages, against the
simulator (which counts the requests)."""

from __future__ import annotations

from collections import Counter

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue

from .conftest import put

BB = "Breaking Bad (2008)"
FILES = [
    f"{BB}/Specials/Breaking Bad - S00E01 - Good Cop.mkv",
    f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    f"{BB}/Season 02/Breaking Bad - S02E01.mkv",
]


@pytest.fixture
def rt(tv_rt):
    tv_rt.http.backoff = 0.05
    queue.configure(tv_rt.config, immediate=True)
    jobs.bind(tv_rt)
    return tv_rt


def enriched_show(rt, root, files=FILES) -> db.Movie:
    for rel in files:
        put(root, rel)
    jobs.enqueue_scan(None)  # scan -> identify -> enrich, run in place
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert show.identification_status == db.ENRICHED
    return show


def hosts(sim) -> Counter:
    out: Counter = Counter()
    for hit in sim.requests:
        out[hit.path.split("?")[0].split("/")[1]] += 1
    return out


def statuses(show: db.Movie) -> dict[str, str]:
    return {
        m.path.rsplit("/", 1)[-1]: m.identification_status
        for m in db.Movie.select().where(db.Movie.show == show.id)
    }


def test_a_new_episode_of_an_enriched_show_is_matched_alone(rt, tmp_path, simulator):
    """Its identify matches that file, not every episode of the show again: one request for its
    season's episode list and one for its TheTVDB id, not one per season and per episode (a
    long-running show: hundreds); the show's other episodes keep their match and stay
    enriched. It matched the whole show again, each episode put back to "identified"."""
    from metarrd.identify import identify_item
    from metarrd.scan import scan

    root = tmp_path / "tv"
    show = enriched_show(rt, root)
    before = statuses(show)
    note = db.Movie.get_by_id(show.id).numbering_note
    assert "S00E01 (TMDB) is S00E04 (TheTVDB)" in note  # the special's
    put(root, f"{BB}/Season 01/Breaking Bad - S01E02.mkv")
    scan(rt)
    new = db.Movie.get(db.Movie.path.endswith("S01E02.mkv"))
    simulator.reset_requests()

    result = identify_item(rt, new)

    assert result.identified, result.reason
    assert simulator.count("/3/tv/1396/season/1?") == 1
    assert simulator.count("/3/tv/1396/season/1/episode/2") == 1
    assert simulator.count("/3/") == 2, [h.path for h in simulator.requests]
    after = statuses(show)
    assert after.pop("Breaking Bad - S01E02.mkv") == db.IDENTIFIED
    assert after == before
    assert db.Movie.get_by_id(show.id).numbering_note == note  # still about every episode


def test_new_episodes_of_a_known_show_are_matched_together(rt, tmp_path, simulator):
    """Two new files of one season (a season import): the first one's identify matches both,
    its season fetched once; the second's finds itself matched."""
    from metarrd.identify import identify_item
    from metarrd.scan import scan

    root = tmp_path / "tv"
    show = enriched_show(rt, root)
    before = statuses(show)
    for n in (2, 3):
        put(root, f"{BB}/Season 01/Breaking Bad - S01E0{n}.mkv")
    scan(rt)
    first = db.Movie.get(db.Movie.path.endswith("S01E02.mkv"))
    simulator.reset_requests()

    assert identify_item(rt, first).reason.startswith("2 episode(s) identified")

    assert simulator.count("/3/tv/1396/season/1?") == 1
    assert simulator.count("/3/") == 3, [h.path for h in simulator.requests]
    after = statuses(show)
    assert after.pop("Breaking Bad - S01E02.mkv") == after.pop("Breaking Bad - S01E03.mkv")
    assert after == before
