"""A scan job on a library root that does not answer (a hard NFS mount whose server is gone: its
stat never returns). The hang is a stat, lstat and scandir of the root made to wait on an Event, as
in test_watch.py, not a real NFS server."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from metarrd import db, mounts
from metarrd.pipeline import jobs
from metarrd.runtime import open_runtime
from tests.conftest import hard_mount


@contextmanager
def _jobs_beside_a_hung_mount(config_factory, monkeypatch, nfs: Path, libraries: list[dict]):
    """A runtime whose libraries are `NFS` (at `nfs`, on a mount that hangs while `hanging` is
    set, until `release` is) and `libraries`; a queue file nothing reads (the test runs the
    jobs). Yields the runtime and the mount."""
    from metarrd.pipeline import queue

    config = config_factory(library=[{"name": "NFS", "path": str(nfs)}, *libraries])
    rt = open_runtime(config)
    queue.configure(config)
    jobs.bind(rt)
    # lstat: os.path.realpath's, of each component
    mount = hard_mount(monkeypatch, nfs, calls=("stat", "scandir", "lstat"))
    mount.hanging.set()
    try:
        yield rt, mount
    finally:
        mount.release.set()  # no thread of the test left waiting
        queue.configure(config, immediate=True)
        rt.close()


@pytest.fixture
def hung(config_factory, tmp_path, monkeypatch):
    """Two libraries, `NFS` on a mount that hangs (while `hanging` is set) until `release` is
    set, and `Local`; a queue file nothing reads (the test runs the jobs)."""
    nfs, local = tmp_path / "nfs", tmp_path / "local"
    for root, name in ((nfs, "Heat (1995)"), (local, "Ronin (1998)")):
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.mkv").write_bytes(b"\0" * 1000)
    libraries = [{"name": "Local", "path": str(local)}]
    with _jobs_beside_a_hung_mount(config_factory, monkeypatch, nfs, libraries) as (rt, mount):
        yield rt, nfs, local, mount.release, mount.hanging  # hanging cleared: the mount answers


def test_a_scan_in_a_library_on_a_hung_mount_waits_instead_of_hanging_its_worker(hung, finishes):
    """A hard NFS mount whose server stopped answering: a scan job of a folder there (the
    watcher's, a webhook's) hung in its first stat of the library root, for ever, and with it
    the worker thread: with `workers = 1` nothing ran again until a restart. It is now tried
    again later, saying why."""
    rt, nfs, _, release, _ = hung
    job = jobs.enqueue_scan([nfs / "Heat (1995)"])
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"library root {nfs} does not answer (a hung network mount?)" in waiting.message
    assert waiting.payload["due"] > 0  # a retry, after its back-off
    assert not db.Movie.select().exists()

    release.set()  # the server is back
    db.Job.update(payload={**waiting.payload, "due": 0}).where(db.Job.id == job.id).execute()
    mounts._hanging[str(nfs)].join(10)  # the hung look returns
    finishes(lambda: jobs.run_job(job.id))
    assert db.Job.get_by_id(job.id).state == "done"
    assert [Path(m.path).name for m in db.Movie.select()] == ["Heat (1995).mkv"]


def test_a_full_scan_scans_the_libraries_that_answer(hung, finishes):
    """The periodic full rescan with one library on a hung mount: the others are scanned, and
    the hung one gets a scan of its own, which waits for it. The walk of `Local` had looked up
    the real path of every library (where a symlinked folder may lead) before its first
    folder, and hung there on `NFS`'s."""
    rt, nfs, local, _, _ = hung
    job = jobs.enqueue_scan(None)
    finishes(lambda: jobs.run_job(job.id))
    done = db.Job.get_by_id(job.id)
    assert done.state == "done"
    assert f"library root {nfs} does not answer (a hung network mount?)" in done.message
    assert [Path(m.path).name for m in db.Movie.select()] == ["Ronin (1998).mkv"]
    later = db.Job.get(db.Job.kind == "scan", db.Job.state == "queued")
    assert later.payload["paths"] == [str(nfs)]
    finishes(lambda: jobs.run_job(later.id))
    assert "does not answer" in db.Job.get_by_id(later.id).message


def test_a_publish_into_a_library_on_a_hung_mount_waits_instead_of_hanging_its_worker(
    hung, finishes
):
    """The same hung mount under a publish (`auto_publish`, or the user's Publish): the worker
    thread hung in its first look at the item's folder; four such publishes and the worker ran
    nothing more, while its heartbeat kept their leases, so no other worker took them over."""
    from tests.publish.conftest import build_enriched

    rt, nfs, _, _, hanging = hung
    hanging.clear()  # the item was enriched before the server went
    heat = build_enriched(rt, "Heat (1995)", library="NFS")
    hanging.set()
    job = jobs.enqueue_publish(heat.movie.id)
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"library root {nfs} does not answer (a hung network mount?)" in waiting.message


def test_a_publish_into_a_library_that_answers_goes_on_while_another_hangs(hung, finishes):
    """A publish into `Local` while `NFS` (listed first) hung: the check that its folder leads
    out of no library looked up the real path of each library in turn, `NFS`'s first, and hung
    the worker there, though nothing of the item is on that mount."""
    from tests.publish.conftest import build_enriched

    rt, _, local, _, _ = hung
    ronin = build_enriched(rt, "Ronin (1998)", library="Local")
    job = jobs.enqueue_publish(ronin.movie.id)
    finishes(lambda: jobs.run_job(job.id))
    assert db.Job.get_by_id(job.id).state == "done"
    assert (local / "Ronin (1998)" / "Ronin (1998).nfo").is_file()


def test_a_tv_library_is_scanned_while_another_librarys_mount_hangs(
    config_factory, tmp_path, monkeypatch, finishes
):
    """The same full rescan with a TV library that answers: its walk looked up the real path of
    every library (where a symlinked folder may lead) before its first folder, as the movie walk
    did, and hung on the hung library's; the episodes were never scanned."""
    nfs, shows = tmp_path / "nfs", tmp_path / "shows"
    (nfs / "Heat (1995)").mkdir(parents=True)
    (nfs / "Heat (1995)" / "Heat (1995).mkv").write_bytes(b"\0" * 1000)
    episode = shows / "Breaking Bad" / "Season 01" / "Breaking Bad - S01E01 - Pilot.mkv"
    episode.parent.mkdir(parents=True)
    episode.write_bytes(b"\0" * 1000)
    libraries = [{"name": "Shows", "path": str(shows), "kind": "tv"}]
    with _jobs_beside_a_hung_mount(config_factory, monkeypatch, nfs, libraries):
        job = jobs.enqueue_scan(None)
        finishes(lambda: jobs.run_job(job.id))
        assert db.Job.get_by_id(job.id).state == "done"
        episodes = db.Movie.select().where(db.Movie.kind == db.EPISODE)
        assert [Path(m.path).name for m in episodes] == [episode.name]


@pytest.mark.parametrize("told", ["MovieDelete", "watcher"])
def test_a_folder_gone_on_a_hung_mount_marks_nothing_missing(hung, finishes, told):
    """A delete webhook's job (`gone`), or the watcher's scan of a folder it saw go, in a
    library whose mount hangs: nothing there is looked at, nor marked missing (a NAS that went
    away is no deletion); the job waits for the mount, as `metarrd scan PATH` refuses it."""
    import shutil

    rt, nfs, _, _, hanging = hung
    hanging.clear()
    finishes(lambda: jobs.run_job(jobs.enqueue_scan([nfs]).id))
    assert [Path(m.path).name for m in db.Movie.select()] == ["Heat (1995).mkv"]
    heat = nfs / "Heat (1995)"
    shutil.rmtree(heat)
    hanging.set()
    if told == "MovieDelete":
        job = jobs.enqueue_scan([], gone=[str(heat)], recheck=True)
    else:
        job = jobs.enqueue_scan([heat])
    finishes(lambda: jobs.run_job(job.id))
    waiting = db.Job.get_by_id(job.id)
    assert waiting.state == "queued"
    assert f"library root {nfs} does not answer" in waiting.message
    assert not db.Movie.select().where(db.Movie.missing).exists()
