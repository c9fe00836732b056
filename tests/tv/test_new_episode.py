"""A new episode file in a show already enriched (and published): what the watcher's scan or a
Sonarr `Download` webhook sets off, through the job chain with the real stages, against the
simulator (which counts the requests)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from metarrd import db, workflow
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


def later(rt) -> None:
    """An hour on (an episode that airs a week after the one before): what the providers
    answered for the show's run is no longer reused (`http.REUSE_SECONDS`)."""
    rt.http.answers.clock = lambda: time.monotonic() + 3600


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
    later(rt)

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
    later(rt)

    assert identify_item(rt, first).reason.startswith("2 episodes identified")

    assert simulator.count("/3/tv/1396/season/1?") == 1
    assert simulator.count("/3/") == 3, [h.path for h in simulator.requests]
    after = statuses(show)
    assert after.pop("Breaking Bad - S01E02.mkv") == after.pop("Breaking Bad - S01E03.mkv")
    assert after == before


def published_show(rt, root, auto_publish: bool) -> db.Movie:
    workflow.set_stage("auto_publish", True)
    show = enriched_show(rt, root)  # and published, the chain's auto-publish
    assert db.Movie.get_by_id(show.id).publish_state == db.PUBLISHED
    workflow.set_stage("auto_publish", auto_publish)
    return show


def enriched_at(show: db.Movie) -> dict[int, object]:
    items = db.Movie.select().where((db.Movie.id == show.id) | (db.Movie.show == show.id))
    return {m.id: m.enriched_at for m in items}


def test_a_new_episode_of_a_published_show_is_enriched_alone_and_asks_to_republish(
    rt, tmp_path, simulator
):
    """The watcher's scan of a new episode file (Sonarr's `Download` queues the same scan):
    the episode is enriched alone (one TMDB request, its still; no fanart.tv, no TheTVDB
    artwork, no other item fetched or written again), and the published show is "Republish?".
    It enriched the whole show again: every season, fanart.tv and TheTVDB asked again."""
    root = tmp_path / "tv"
    show = published_show(rt, root, auto_publish=False)
    before = enriched_at(show)
    done = db.Job.select().count()
    simulator.reset_requests()
    later(rt)
    new = put(root, f"{BB}/Season 01/Breaking Bad - S01E02.mkv")

    jobs.enqueue_scan([str(new)])

    ep = db.Movie.get(db.Movie.path == str(new))
    assert ep.identification_status == db.ENRICHED and ep.title == "Cat's in the Bag..."
    assert simulator.count("/3/tv/1396?") == 1  # the show's cast and season 1's list
    assert simulator.count("/3/") == 3, [h.path for h in simulator.requests]  # + identify's 2
    assert simulator.count("/v3/") == 0 and simulator.count("/v4/series/81189/extended") == 0
    assert simulator.count("/t/p/original/") == 1  # its still
    assert simulator.count("/t/p/h632/") == 1  # its guest star's photo
    assert len(simulator.requests) == 6  # + TheTVDB's episode list (identify); 8 before
    assert {i: t for i, t in enriched_at(show).items() if i != ep.id} == before
    (enrich,) = db.Job.select().where(db.Job.kind == "enrich", db.Job.id > done)
    assert "S01E02: 0 seasons, 1 episode file" in enrich.message, enrich.message
    assert db.Movie.get_by_id(show.id).publish_state == db.OUTDATED  # "Republish?"
    assert not db.Job.select().where(db.Job.kind == "publish", db.Job.id > done).exists()


def test_with_auto_publish_the_new_episode_is_published_alone(rt, tmp_path, simulator):
    """auto_publish on: the new episode's NFO and thumb are written, `tvshow.nfo` and the
    other episodes' files are left as they are, and the show is "Published" again (nothing
    else to write). It was the whole show's enrich and then the whole show's publish."""
    root = tmp_path / "tv"
    show = published_show(rt, root, auto_publish=True)
    folder = root / BB
    files = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    done = db.Job.select().count()
    new = put(root, f"{BB}/Season 01/Breaking Bad - S01E02.mkv")

    jobs.enqueue_scan([str(new)])

    ep = db.Movie.get(db.Movie.path == str(new))
    publishes = db.Job.select().where(db.Job.kind == "publish", db.Job.id > done)
    assert [(j.movie_id, j.state) for j in publishes] == [(ep.id, jobs.DONE)]
    assert ep.publish_state == db.PUBLISHED
    assert (folder / "Season 01/Breaking Bad - S01E02.nfo").is_file()
    assert (folder / "Season 01/Breaking Bad - S01E02-thumb.jpg").is_file()
    assert {p: p.stat().st_mtime_ns for p in files} == files  # tvshow.nfo, the others
    assert db.Movie.get_by_id(show.id).publish_state == db.PUBLISHED


def test_a_new_season_still_enriches_the_whole_show(rt, tmp_path, simulator):
    """Its season's art and name are new: the show is enriched whole (fanart.tv and TheTVDB
    asked), the new season enriched with it."""
    root = tmp_path / "tv"
    show = enriched_show(rt, root)
    simulator.reset_requests()
    later(rt)
    new = put(root, f"{BB}/Season 03/Breaking Bad - S03E01.mkv")

    jobs.enqueue_scan([str(new)])

    season = db.Movie.get(
        db.Movie.show == show.id, db.Movie.season == 3, db.Movie.kind == db.SEASON
    )
    assert season.identification_status == db.ENRICHED
    assert db.Movie.get(db.Movie.path == str(new)).identification_status == db.ENRICHED
    assert simulator.count("/v3/tv/81189") == 1 and simulator.count("/v4/series/81189/extended")
    enrich = db.Job.select().where(db.Job.kind == "enrich").order_by(db.Job.id.desc()).first()
    assert "4 seasons, 4 episode files" in enrich.message, enrich.message


@pytest.fixture
def sonarr(tmp_path, simulator, backend):
    """(import episode n of season 1 as Sonarr does: its file, then its `Download` webhook,
    the show enriched before) on a real queue that runs nothing until `drain()`."""
    from metarrd.config import parse_config
    from tests.daemon.conftest import webhook_client
    from tests.daemon.test_sonarr import KEY, TOKEN, per_file

    sim = simulator
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
            "providers": {
                "max_retries": 2,
                "tmdb": {"api_key": sim.keys.tmdb_key, "base_url": sim.tmdb_url},
                "fanart": {"api_key": sim.keys.fanart_key, "base_url": sim.fanart_url},
                "tvdb": {"api_key": sim.keys.tvdb_key, "base_url": sim.tvdb_url},
            },
            "webhooks": {"token": TOKEN},
            **backend,
        }
    )
    root = tmp_path / "tv"
    root.mkdir(exist_ok=True)
    client, rt = webhook_client(config)  # the queue run in place for the show's first run
    show = enriched_show(rt, root)
    later(rt)  # the show was added to Sonarr before its episodes came
    queue.configure(config, immediate=False)  # now a real queue: nothing runs until drain
    folder = root / BB

    def download(n: int) -> None:
        rel = f"Season 01/Breaking Bad - S01E0{n}.mkv"
        put(root, f"{BB}/{rel}")
        body = per_file(folder, rel)  # WebhookImportPayload, as tests/daemon/test_sonarr.py
        body["series"].update(title="Breaking Bad", tvdbId=81189, tmdbId=1396,
                              imdbId="tt0903747", year=2008, path=str(folder))  # fmt: skip
        body["episodes"][0].update(episodeNumber=n, title=f"Ep {n}")
        r = client.post("/api/webhooks/sonarr", json=body, headers=KEY)
        assert r.status_code == 202, r.get_json()

    sim.reset_requests()
    yield show, download, db.Job.select().count()
    queue.configure(config, immediate=True)
    rt.close()


def test_a_sonarr_season_import_is_one_enrich_of_its_new_episodes(sonarr, simulator):
    """Sonarr imports five episodes of a season the show has: five `Download` webhooks (one per
    file, "On Import"), queued before a worker gets to them, as a busy daemon's queue holds
    them. One scan, the episodes matched together, and one enrich of the five (one TMDB
    request, no fanart.tv, no TheTVDB artwork): the show's queued enrich folds them."""
    from tests.daemon.conftest import drain

    show, download, done = sonarr
    for n in range(2, 7):
        download(n)
    drain()

    new = db.Job.select().where(db.Job.id > done).order_by(db.Job.id)
    assert [j.kind for j in new] == ["scan"] + ["identify"] * 5 + ["enrich"], [
        (j.kind, j.movie_id, j.message) for j in new
    ]
    identified = [j.message for j in new[1:-1]]
    assert (
        identified
        == ["5 episodes identified in TMDB aired order, 0 not"] + ["already identified"] * 4
    )  # the first matches them all
    assert simulator.count("/3/tv/1396/season/1?") == 1
    enrich = new[-1]
    assert (enrich.movie_id, enrich.state) == (show.id, jobs.DONE)
    assert "S01E02, S01E03, S01E04, S01E05, S01E06: 0 seasons, 5 episode files" in (
        enrich.message
    ), enrich.message
    assert simulator.count("/3/tv/1396?") == 1
    assert simulator.count("/v3/") == 0 and simulator.count("/v4/series/81189/extended") == 0
    episodes = db.Movie.select().where(db.Movie.show == show.id, db.Movie.kind == db.EPISODE)
    assert {e.identification_status for e in episodes} == {db.ENRICHED}


def test_a_sonarr_import_run_between_its_webhooks_enriches_each_episode_alone(sonarr, simulator):
    """A worker that runs each webhook's jobs before the next comes: nothing to fold, so one
    enrich per episode, each of that episode alone, never the show. The season's lists are
    asked for once, not once per episode: TMDB's season list and TheTVDB's episodes (identify)
    and the show's cast with the season (enrich) are reused from the first episode's run; each
    episode asks only for its own TheTVDB id. Each asked for all four again: a season of ten
    episodes downloaded one by one cost 40 requests, 13 now."""
    from tests.daemon.conftest import drain

    show, download, done = sonarr
    for n in range(2, 5):
        download(n)
        drain()

    enriches = db.Job.select().where(db.Job.kind == "enrich", db.Job.id > done)
    assert [j.message.split(":")[0] for j in enriches] == [
        f"enriched Breaking Bad (2008) S01E0{n}" for n in range(2, 5)
    ]
    assert simulator.count("/3/tv/1396?") == 1  # was 3
    assert simulator.count("/3/tv/1396/season/1?") == 1  # was 3
    assert simulator.count("/v4/series/81189/episodes/default") == 1  # was 3
    assert [simulator.count(f"/3/tv/1396/season/1/episode/{n}?") for n in (2, 3, 4)] == [1] * 3
    assert simulator.count("/3/") == 5, [h.path for h in simulator.requests]  # was 12
    assert simulator.count("/v3/") == 0 and simulator.count("/v4/series/81189/extended") == 0
    assert db.Movie.get_by_id(show.id).identification_status == db.ENRICHED
    titles = db.Movie.select().where(db.Movie.show == show.id, db.Movie.season == 1,
                                     db.Movie.kind == db.EPISODE)  # fmt: skip
    assert "Cat's in the Bag..." in {e.title for e in titles}


def test_a_whole_show_enrich_folded_with_new_episodes_stays_the_whole_show():
    """A user's Enrich of the show queued with the chain's enrich of its new episodes (either
    first): the whole show; new episodes of one show add up."""
    from metarrd.pipeline.jobs import merge_payload

    assert merge_payload("enrich", {}, {"episodes": [3]}) == {}
    assert merge_payload("enrich", {"episodes": [3]}, {}) == {}
    assert merge_payload("enrich", {"episodes": [3]}, {"episodes": [2, 3]}) == {"episodes": [2, 3]}


def test_a_new_episode_its_enrich_cannot_do_fails_alone_not_its_show(rt, tmp_path):
    """The show's enrich job for its new episodes: one TMDB does not list (any more) is that
    episode's failure (its error, an `enrich.failed` event on it); the job and the show do
    not fail, the other episode is enriched."""
    from metarrd.pipeline import steps

    root = tmp_path / "tv"
    show = enriched_show(rt, root)
    good = put(root, f"{BB}/Season 01/Breaking Bad - S01E02.mkv")
    jobs.enqueue_scan([str(good)])  # scanned, matched and enriched
    good = db.Movie.get(db.Movie.path == str(good))
    path = put(root, f"{BB}/Season 01/Breaking Bad - S01E99.mkv")
    gone = db.Movie.create(
        library=show.library_id, path=str(path), kind=db.EPISODE, show=show, season=1,
        episodes=[99], tmdb_id=999, identification_status=db.IDENTIFIED,
        episode_refs=[{"season": 1, "episode": 99, "tmdb_id": 999, "tvdb_id": None}],
    )  # fmt: skip
    workflow.set_stage("auto_publish", True)
    for payload, published in (
        ({"episodes": [gone.id]}, []),  # nothing enriched: nothing to publish, not the show
        ({"episodes": [good.id, gone.id]}, [good.id]),
    ):
        job = db.Job.create(kind="enrich", movie=show.id, key=f"enrich:{show.id}", manual=False,
                            payload=payload)  # fmt: skip
        outcome = steps.do_enrich(rt, job)
        assert "S01E99 of Breaking Bad" in outcome.message, outcome.message
        assert [(s.kind, s.movie_id) for s in outcome.follow] == [("publish", i) for i in published]
        assert db.Movie.get_by_id(show.id).last_error is None
        gone = db.Movie.get_by_id(gone.id)
        assert gone.last_error == "TMDB has no episode S01E99 of Breaking Bad"
        assert gone.identification_status == db.IDENTIFIED
    failed = db.Event.select().where(db.Event.kind == "enrich.failed", db.Event.movie == gone.id)
    assert failed.count() == 2  # once per run


@pytest.mark.parametrize("stage", ["identification", "enrichment"])
def test_a_new_episode_found_while_a_stage_was_off_is_caught_up(rt, tmp_path, simulator, stage):
    """A new episode of an enriched show scanned while `identification` (or `enrichment`) was
    off: switched on again, its catch-up matches and enriches that episode (alone). The
    backlog held movies and shows only: the episode stayed unidentified (or identified, never
    enriched, no NFO) for good, the unchanged file never rescanned as new."""
    root = tmp_path / "tv"
    show = enriched_show(rt, root)
    workflow.set_stage(stage, False)
    new = put(root, f"{BB}/Season 01/Breaking Bad - S01E02.mkv")
    jobs.enqueue_scan([str(new)])
    waiting = db.IDENTIFIED if stage == "enrichment" else db.UNIDENTIFIED
    assert db.Movie.get(db.Movie.path == str(new)).identification_status == waiting
    simulator.reset_requests()

    workflow.set_stage(stage, True)
    assert jobs.catch_up(stage) == 1

    assert db.Movie.get(db.Movie.path == str(new)).identification_status == db.ENRICHED
    assert simulator.count("/v3/") == 0 and simulator.count("/3/tv/1396?") == 1  # alone
    assert db.Movie.get_by_id(show.id).identification_status == db.ENRICHED


def test_an_episode_added_upstream_since_the_last_ones_run_is_asked_for_again(
    sonarr, simulator, monkeypatch
):
    """Sonarr imports E02, then E03 a few minutes later, which TMDB and TheTVDB listed only in
    between (an episode entered on the day it airs). The lists reused from E02's run lack it:
    they are asked for again, and E03 is matched and enriched, not left "TMDB has no episode
    S01E03" until its retry an hour later."""
    from tests.daemon.conftest import drain

    show, download, done = sonarr
    catalog = simulator.router.tv.get(1396)
    every = list(catalog.episodes)
    monkeypatch.setattr(catalog, "episodes", [e for e in every if (e.season, e.number) != (1, 3)])
    download(2)
    drain()
    catalog.episodes = every  # TMDB and TheTVDB have it now
    download(3)
    drain()

    ep = db.Movie.get(db.Movie.path.endswith("S01E03.mkv"))
    assert ep.identification_status == db.ENRICHED, ep.last_error
    assert ep.title == "...and the Bag's in the River"
    assert simulator.count("/3/tv/1396/season/1?") == 2  # E02's, then again for E03
    assert simulator.count("/3/tv/1396?") == 2


def test_the_users_own_enrich_asks_the_providers_again(sonarr, simulator):
    """What was reused for the import is not what the user's Enrich reads: TMDB corrected a
    title a minute ago; the chain's enrich of the episode reuses the answer of minutes ago,
    the user's Enrich of it (a job of theirs) asks TMDB again and takes the title."""
    from metarrd.pipeline import steps
    from tests.daemon.conftest import drain

    show, download, done = sonarr
    rt = jobs._runtime()  # the worker's
    download(2)
    drain()
    ep = db.Movie.get(db.Movie.path.endswith("S01E02.mkv"))
    catalog = simulator.router.tv.get(1396)
    title = catalog.episode(1, 2).title
    catalog.episode(1, 2).title = "Cat's in the Bag (corrected)"
    try:
        simulator.reset_requests()
        job = db.Job.create(kind="enrich", movie=show.id, key=f"enrich:{show.id}",
                            manual=False, payload={"episodes": [ep.id]})  # fmt: skip
        steps.do_enrich(rt, job)  # the chain's, as a webhook queues it: reused
        assert simulator.count("/3/tv/1396?") == 0
        assert db.Movie.get_by_id(ep.id).title == title

        job = db.Job.create(kind="enrich", movie=ep.id, key=f"enrich:{ep.id}", manual=True)
        steps.do_enrich(rt, job)  # the user's Enrich
        assert simulator.count("/3/tv/1396?") == 1
        assert db.Movie.get_by_id(ep.id).title == "Cat's in the Bag (corrected)"
    finally:
        catalog.episode(1, 2).title = title


def test_the_users_own_identify_asks_the_providers_again(sonarr, simulator):
    """The user's Identify of the show (a job of theirs) asks for its seasons again, not the
    lists reused for the import's episodes."""
    from metarrd.pipeline import steps
    from tests.daemon.conftest import drain

    show, download, done = sonarr
    download(2)
    drain()
    simulator.reset_requests()
    job = db.Job.create(kind="identify", movie=show.id, key=f"identify:{show.id}",
                        manual=True, payload={"tmdb_id": 1396, "source": "manual"})  # fmt: skip
    steps.do_identify(jobs._runtime(), job)
    assert simulator.count("/3/tv/1396/season/1?") == 1
    assert simulator.count("/v4/series/81189/episodes/default") == 1
