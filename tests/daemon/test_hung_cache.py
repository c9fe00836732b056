"""Enrich and publish jobs on an image cache whose hard NFS mount hung (`[cache] dir` on shared
storage for several workers, docs/scale-out.md): its stat never returns. The hang is a stat,
lstat, scandir and listdir of the cache made to wait on an Event, as in test_hung_scan.py, not
a real NFS server."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from tests.conftest import hard_mount
from tests.enrich.conftest import make_movie


@pytest.fixture
def hung_cache(config_factory, simulator, tmp_path, monkeypatch):
    """A runtime on the simulator whose `[cache] dir` hangs once `hanging` is set (until the
    test ends); a queue file nothing reads (the test runs the jobs)."""
    nfs = tmp_path / "nfs-cache"
    config = config_factory(simulator, cache={"dir": str(nfs)})
    rt = open_runtime(config)
    queue.configure(config)
    jobs.bind(rt)
    mount = hard_mount(
        monkeypatch, nfs, calls=("stat", "lstat", "scandir", "listdir", "unlink", "rmdir")
    )
    try:
        yield rt, nfs, mount.hanging
    finally:
        mount.release.set()  # no thread of the test left waiting
        queue.configure(config, immediate=True)
        rt.close()


def test_an_enrich_on_a_hung_cache_waits_instead_of_hanging_its_worker(hung_cache, finishes):
    """An enrich (a new movie's, after its identification) while the cache's NFS mount hung:
    the worker fetched the metadata, then hung for good storing the first picture, and its
    heartbeat kept the job's lease, so no other worker took it over. It now waits and is tried
    again later, saying why."""
    rt, nfs, hanging = hung_cache
    movie = make_movie(rt)
    hanging.set()
    job = jobs.enqueue_enrich(movie.id)
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"the image cache {nfs} does not answer (a hung network mount?)" in waiting.message
    assert "retry 1" in waiting.message and waiting.payload["due"] > 0
    assert "does not answer" in db.Movie.get_by_id(movie.id).last_error


def test_a_publish_on_a_hung_cache_waits_instead_of_hanging_its_worker(hung_cache, finishes):
    """A publish copies its pictures from the cache: with the cache's mount hung, the worker
    thread hung in its first read there, while the library answered."""
    from tests.publish.conftest import build_enriched

    rt, nfs, hanging = hung_cache
    heat = build_enriched(rt, "Heat (1995)")  # enriched before the server went
    hanging.set()
    job = jobs.enqueue_publish(heat.movie.id)
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"the image cache {nfs} does not answer (a hung network mount?)" in waiting.message
    assert not (heat.folder / "Heat (1995).nfo").exists()


def test_the_daemon_and_the_web_ui_start_while_the_cache_hangs(
    hung_cache, config_factory, simulator, tmp_path, finishes, caplog
):
    """A host restarted while the NAS holding `[cache] dir` was still hung: the web UI
    (`create_app`, in each gunicorn worker) and the daemon hung at start, making the cache
    folder (`open_runtime`) and, for the daemon, clearing the cache's leftover temp files
    (`recover`): no UI at all, not even to see why. Both start, and the log says why."""
    from metarrd.pipeline.daemon import recover
    from metarrd.web import create_app

    rt, nfs, hanging = hung_cache
    config = rt.config
    hanging.set()
    again = finishes(lambda: open_runtime(config))
    assert again.config.cache_dir == nfs
    app = finishes(lambda: create_app(config, testing=True))
    assert app.test_client().get("/healthz").get_json()["cache"].startswith("does not answer")
    finishes(lambda: recover(rt, requeue=False))
    assert f"the image cache {nfs} does not answer" in caplog.text


def test_forgetting_pictures_on_a_hung_cache_does_not_hold_the_write_lock(hung_cache, finishes):
    """An enriched movie identified as another film while the cache hung (the user's choice on
    the Identify page): its old pictures were removed from the cache inside a write
    transaction, whose first unlink hung, so the database's write lock was held for as long as
    the mount hung and every tab and worker waited. They are left (unused files, logged)."""
    from metarrd import cache

    rt, nfs, hanging = hung_cache
    old = rt.config.cache_dir / "poster" / "ab" / "ab12.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old film's poster")
    hanging.set()
    removed = finishes(
        lambda: cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, {str(old)}, set())
    )
    assert removed == 0
    finishes(lambda: db.Job.update(message="written").where(db.Job.id == 0).execute())
    hanging.clear()
    assert old.exists()


def test_a_scan_of_a_folder_with_its_own_artwork_on_a_hung_cache_waits(hung_cache, finishes):
    """A new movie whose folder holds its own poster (tinyMediaManager's, Radarr's), scanned
    while the cache's mount hung: the scan copies that poster into the cache, and the worker
    thread hung there for good, its lease renewed. The scan now waits and is tried again later,
    saying why, as one of a hung library does."""
    from tests.web.conftest import jpeg

    rt, nfs, hanging = hung_cache
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir(parents=True)
    (folder / "Heat (1995).mkv").write_bytes(b"\0" * 1000)
    (folder / "poster.jpg").write_bytes(jpeg(size=(200, 300)))
    hanging.set()
    job = jobs.enqueue_scan([folder])
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"the image cache {nfs} does not answer (a hung network mount?)" in waiting.message


def test_a_search_on_a_hung_cache_lists_its_candidates_without_posters(hung_cache, finishes):
    """The previews live in the shared cache (docs/scale-out.md): a search (the Identify page's
    candidates) whose cache hung wrote each candidate's small poster there and hung its worker
    in the first stat. The candidates are listed without posters (as when TMDB has none)."""
    rt, nfs, hanging = hung_cache
    assert rt.config.previews_dir.is_relative_to(nfs)
    movie = make_movie(rt)
    hanging.set()
    job = jobs.enqueue_search(movie.id, "The Matrix", 1999)
    finishes(lambda: jobs.run_job(job.id))
    assert db.Job.get_by_id(job.id).state == "done"
    candidates = db.Movie.get_by_id(movie.id).candidates
    assert candidates and any(c.get("poster_path") for c in candidates)
    assert not any(c.get("preview") for c in candidates)
