"""A real `metarrd run` process against the provider simulator: new movies are picked up by
themselves and stop for review (or are published with auto_publish), a Radarr webhook does the
same, a SIGKILL in the middle of an enrich loses nothing, and a burst of 2,000 files is taken in
whole with no duplicate jobs."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from flask import Flask

from metarrd import db
from metarrd.atomic import TEMP_MARKER
from metarrd.config import load_config
from metarrd.heartbeat import HEARTBEAT_KEY, heartbeat_checks
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "media" / "h264_aac_mono.mp4"


def _open(config_path: Path):
    """The test's own view of the daemon's database (opened once the daemon made it)."""
    config = load_config(config_path)
    return config, open_runtime(config)


def _movie(path: Path) -> db.Movie | None:
    return db.Movie.get_or_none(db.Movie.path == str(path))


def _settled(daemon) -> None:
    """Wait until no job is queued or running (e.g. the start-up rescan has finished)."""
    daemon.wait_for(
        lambda: (
            db.Job.select().count()
            and not db.Job.select().where(db.Job.state.in_((jobs.QUEUED, jobs.RUNNING))).exists()
        ),
        60,
        "the queue to empty",
    )


def _temp_files(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            found += [os.path.join(dirpath, f) for f in files if f.startswith(TEMP_MARKER)]
    return found


def test_a_copied_movie_is_identified_and_enriched_then_waits_for_review(
    tmp_path, simulator, daemon_factory, copy_slowly, write_config
):
    cfg_path = write_config(tmp_path, simulator)
    daemon = daemon_factory(cfg_path).start()
    config, rt = _open(cfg_path)
    _settled(daemon)  # the start-up rescan is done: only the watcher can find what comes now
    health = heartbeat_checks(db.get_meta(HEARTBEAT_KEY), time.time())  # what /healthz shows
    assert health["watcher"].startswith("ok") and health["consumer"].startswith("ok"), health
    video = tmp_path / "movies" / "The Matrix (1999)" / "The Matrix (1999).mp4"
    copy_slowly(SAMPLE, video)
    movie = daemon.wait_for(
        lambda: (m := _movie(video)) and m.identification_status == db.ENRICHED and m,
        60,
        "the copied movie to be enriched",
    )
    assert movie.tmdb_id == 603 and movie.publish_state == db.UNPUBLISHED
    assert not (video.parent / "The Matrix (1999).nfo").exists()  # it waits for review
    kinds = sorted(j.kind for j in db.Job.select().where(db.Job.movie == movie.id))
    assert kinds == ["enrich", "identify"]
    assert daemon.stop(signal.SIGINT) == 0
    assert "metarrd daemon stopped" in daemon.output()
    stopped = heartbeat_checks(db.get_meta(HEARTBEAT_KEY), time.time())
    assert stopped["watcher"] == "not running (stopped)"
    assert f"job {db.Job.get(db.Job.kind == 'enrich').id} finished: enrich item {movie.id}" in (
        daemon.output()
    )
    rt.close()


def test_with_auto_publish_it_is_published_without_a_rescan_loop(
    tmp_path, simulator, daemon_factory, copy_slowly, write_config
):
    cfg_path = write_config(tmp_path, simulator, workflow={"auto_publish": True})
    daemon = daemon_factory(cfg_path).start()
    config, rt = _open(cfg_path)
    _settled(daemon)
    video = tmp_path / "movies" / "Heat (1995)" / "Heat (1995).mp4"
    copy_slowly(SAMPLE, video)
    movie = daemon.wait_for(
        lambda: (m := _movie(video)) and m.publish_state == db.PUBLISHED and m,
        60,
        "the copied movie to be published",
    )
    assert movie.tmdb_id == 949
    assert (video.parent / "Heat (1995).nfo").exists()
    _settled(daemon)
    scans = db.Job.select().where(db.Job.kind == "scan").count()
    # what PUBLISH wrote (NFO, artwork, .actors) must not start another round: give a loop
    # the time it would need to show (settle time, a scan, an identify)
    time.sleep(config.daemon.settle_seconds + 2.0)
    assert db.Job.select().where(db.Job.kind == "scan").count() == scans
    assert db.Job.select().where(db.Job.kind == "enrich").count() == 1
    assert daemon.stop() == 0
    rt.close()


def test_a_radarr_download_webhook_identifies_from_its_ids(
    tmp_path, simulator, daemon_factory, write_config
):
    cfg_path = write_config(tmp_path, simulator)
    daemon = daemon_factory(cfg_path).start()
    config, rt = _open(cfg_path)
    queue.configure(config)  # the web process's side of the queue file
    app = Flask(__name__)
    app.config["METARRD"] = config
    from metarrd.web import webhooks

    app.register_blueprint(webhooks.bp)
    folder = tmp_path / "movies" / "xqzv.release-GRP"  # a name no search could match
    folder.mkdir()
    (folder / "xqzv.release-GRP.mp4").write_bytes(SAMPLE.read_bytes())
    body = {
        "eventType": "Download",
        "movie": {"title": "Heat", "year": 1995, "folderPath": str(folder), "tmdbId": 949,
                  "imdbId": "tt0113277"},
        "movieFile": {"path": str(folder / "xqzv.release-GRP.mp4")},
    }  # fmt: skip
    r = app.test_client().post(
        "/api/webhooks/radarr", json=body, headers={"X-Api-Key": "webhook-token"}
    )
    assert r.status_code == 202
    video = folder / "xqzv.release-GRP.mp4"
    movie = daemon.wait_for(
        lambda: (m := _movie(video)) and m.identification_status == db.ENRICHED and m,
        60,
        "the webhook's movie to be enriched",
    )
    assert (movie.tmdb_id, movie.identified_by) == (949, "webhook")
    assert movie.publish_state == db.UNPUBLISHED
    assert db.Movie.select().count() == 1
    assert daemon.stop(signal.SIGTERM) == 0  # SIGTERM stops as cleanly as SIGINT
    assert "received SIGTERM" in daemon.output()
    rt.close()


def test_sigkill_during_an_enrich_then_restart_completes_it(
    tmp_path, simulator, daemon_factory, write_config
):
    cfg_path = write_config(tmp_path, simulator)
    video = tmp_path / "movies" / "Alien (1979)" / "Alien (1979).mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(SAMPLE.read_bytes())
    simulator.set_latency(0.4)  # every provider answer is slow: the enrich takes a while
    daemon = daemon_factory(cfg_path).start()  # the start-up scan finds it
    config, rt = _open(cfg_path)
    job = daemon.wait_for(
        lambda: db.Job.get_or_none(db.Job.kind == "enrich", db.Job.state == jobs.RUNNING),
        60,
        "the enrich to start",
    )
    work = tmp_path / "data" / "tmp"
    daemon.wait_for(  # inside the enrich: its downloads' work folder is made
        lambda: work.is_dir() and list(work.iterdir()), 60, "the enrich's work folder"
    )
    daemon.stop(signal.SIGKILL)
    assert db.Job.get_by_id(job.id).state == jobs.RUNNING  # died mid-way
    assert list((tmp_path / "data" / "tmp").iterdir()), "the enrich's work folder is left over"
    simulator.reset_faults()

    daemon = daemon_factory(cfg_path).start()
    done = daemon.wait_for(
        lambda: (j := db.Job.get_by_id(job.id)).state == jobs.DONE and j,
        60,
        "the interrupted enrich to complete",
    )
    assert done.attempts == 2
    movie = _movie(video)
    assert movie.identification_status == db.ENRICHED
    assert db.Movie.select().count() == 1
    assert db.Job.select().where(db.Job.kind == "enrich").count() == 1
    assert f"job {job.id} (enrich item {movie.id} ({video})) was interrupted" in daemon.output()
    assert movie.tmdb_id == 348
    assert daemon.stop() == 0
    assert _temp_files(tmp_path / "data", tmp_path / "movies") == []
    assert list((tmp_path / "data" / "tmp").iterdir()) == []
    rt.close()


@pytest.mark.slow
def test_a_burst_of_2000_files_is_picked_up_whole_without_duplicate_jobs(
    tmp_path, daemon_factory, write_config
):
    from metarrd.simulator import Simulator
    from metarrd.simulator.catalog import synthetic_movie

    count = 2000
    with Simulator(extra_movies=count) as sim:
        cfg_path = write_config(tmp_path, sim, workflow={"enrichment": False}, workers=4)
        daemon = daemon_factory(cfg_path).start()
        config, rt = _open(cfg_path)
        root = tmp_path / "movies"
        for i in range(count):
            m = synthetic_movie(i)
            name = f"{m.title} ({m.release_date[:4]}) {{tmdb-{m.id}}}"
            (root / name).mkdir()
            (root / name / f"{name}.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(512))
        daemon.wait_for(
            lambda: (
                db.Movie.select().where(db.Movie.identification_status == db.IDENTIFIED).count()
                == count
            ),
            600,
            f"all {count} movies identified",
        )
        assert db.Movie.select().count() == count
        identify = list(db.Job.select().where(db.Job.kind == "identify"))
        assert len(identify) == count
        assert len({j.movie_id for j in identify}) == count
        assert db.Job.select().where(db.Job.state == jobs.FAILED).count() == 0
        assert daemon.stop() == 0
        rt.close()
