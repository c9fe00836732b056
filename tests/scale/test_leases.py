"""Leases of running jobs on the shared PostgreSQL database (metarrd/pipeline/leases.py,
docs/scale-out.md): what the heartbeat renews, what a worker that lost its lease may still
record. The jobs run in this process, by `jobs.run_job`, as a worker thread runs them; other
workers are played by writing their rows. Runs only with METARRD_TEST_DATABASE_URL and
METARRD_TEST_QUEUE_URL set (.ci/services.sh)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import peewee as pw
import pytest

from metarrd import db
from metarrd.errors import ItemError
from metarrd.pipeline import jobs, leases, queue
from metarrd.pipeline.chain import Outcome
from metarrd.runtime import open_runtime
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_URL

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)

OTHER = "other-host:4242:abcdef"  # another worker's lease owner


@pytest.fixture
def rt(config_factory, simulator):
    config = config_factory(simulator)
    runtime = open_runtime(config)
    queue.configure(config)  # messages go to Redis; this test runs the jobs itself
    jobs.bind(runtime)
    yield runtime
    queue.configure(config, immediate=True)
    runtime.close()


def test_a_job_whose_outcome_could_not_be_recorded_is_not_renewed_for_ever(rt, monkeypatch):
    """PostgreSQL went away while the job's end was being recorded: the job stayed "running"
    under this worker, whose heartbeat renewed its lease as long as it lived, so it never ran
    again and every later job of its item waited behind it ("busy") for ever."""
    job = jobs.enqueue_scan()
    monkeypatch.setitem(jobs.HANDLERS, "scan", lambda rt, job: Outcome("walked"))

    def lost(*args, **kwargs):
        raise pw.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs, "_record", lost)
    with pytest.raises(pw.OperationalError):
        jobs.run_job(job.id)
    claimed = db.Job.get_by_id(job.id)
    assert (claimed.state, claimed.lease_owner) == ("running", leases.owner())

    assert leases.renew(3600) == 0  # the heartbeat: nothing here works on it any more
    assert db.Job.get_by_id(job.id).lease_until == claimed.lease_until
    db.Job.update(lease_until=db.now() - timedelta(seconds=1)).execute()  # time passes
    assert [j.id for j in leases.take_over()] == [job.id]
    assert db.Job.get_by_id(job.id).state == "queued"


def test_the_heartbeat_renews_the_jobs_running_here(rt, monkeypatch):
    job = jobs.enqueue_scan()
    renewed = []

    def walk(rt, job):
        renewed.append(leases.renew(3600))
        return Outcome("walked")

    monkeypatch.setitem(jobs.HANDLERS, "scan", walk)
    jobs.run_job(job.id)
    assert renewed == [1]
    assert db.Job.get_by_id(job.id).state == "done"
    assert leases.renew(3600) == 0


def test_a_worker_that_lost_its_lease_does_not_fail_the_job_taken_over(rt, monkeypatch):
    """A worker frozen (SIGSTOP, a VM paused, swapped out) past its lease: another worker took
    the job over and finished it. The first one, resumed, failed at its provider call and marked
    the job failed anyway, with an error on the item and a `.failed` event for work that was
    done."""
    job = jobs.enqueue_scan()

    def frozen_then_failing(rt, job):
        # meanwhile: the lease expired, another worker took the job over and finished it
        db.Job.update(state="done", lease_owner=None, lease_until=None, message="walked").where(
            db.Job.id == job.id
        ).execute()
        raise ItemError("TMDB answered 500")

    monkeypatch.setitem(jobs.HANDLERS, "scan", frozen_then_failing)
    jobs.run_job(job.id)
    assert db.Job.get_by_id(job.id).state == "done"
    assert not db.Event.select().where(db.Event.kind == "scan.failed").exists()

    # still running under the other worker: the same
    job = jobs.enqueue_scan()

    def taken_over_then_failing(rt, job):
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        raise ItemError("TMDB answered 500")

    monkeypatch.setitem(jobs.HANDLERS, "scan", taken_over_then_failing)
    jobs.run_job(job.id)
    assert (db.Job.get_by_id(job.id).state, db.Job.get_by_id(job.id).lease_owner) == (
        "running",
        OTHER,
    )
    assert not db.Event.select().where(db.Event.kind == "scan.failed").exists()


def test_a_worker_that_lost_its_lease_leaves_no_provider_error_on_the_item(rt, monkeypatch):
    """A worker frozen past its lease, whose enrich another worker took over and finished,
    resumed into TMDB answering 503: its retry was not recorded (the job is the other's), but
    the item got "TMDB unavailable" as its error anyway, shown on a finished item, and the job
    a retry message."""
    from metarrd.errors import ProviderUnavailable

    item = make_item(rt)
    job = jobs.enqueue_enrich(item.id)
    queue.huey.storage.flush_queue()  # its message: taken by this worker

    def frozen_then_unavailable(rt, job):
        db.Job.update(state="done", lease_owner=None, lease_until=None).where(
            db.Job.id == job.id
        ).execute()  # meanwhile: taken over and finished by another worker
        raise ProviderUnavailable("TMDB", "answered 503")

    monkeypatch.setitem(jobs.HANDLERS, "enrich", frozen_then_unavailable)
    jobs.run_job(job.id)
    assert db.Job.get_by_id(job.id).state == "done"
    assert db.Movie.get_by_id(item.id).last_error is None
    assert queue.message_job_ids() == set()


def test_a_job_claimed_again_by_the_same_worker_is_the_second_claims_alone(rt, monkeypatch):
    """A worker process frozen past its lease (SIGSTOP, a paused VM): another worker's
    heartbeat took its job over and sent it again, and a thread of this same worker, resumed,
    claimed it again, under the same lease owner. The first run, resumed too, found "its" lease
    held and recorded its outcome (the second run's was then dropped), and its end stopped the
    renewals of the second run, which was taken over again and ran a third time. A claim is
    now told from the next by the job's attempts, which each claim counts up."""
    job = jobs.enqueue_scan()
    lost_inside: list[set[int]] = []

    def frozen_then_claimed_again(rt, job):
        db.Job.update(lease_until=db.now() - timedelta(seconds=1)).execute()  # frozen
        with db.fenced_by(None):  # other threads': not under this run's lease check
            assert [j.id for j in leases.take_over()] == [job.id]  # another worker's heartbeat
            assert jobs._claim(db.Job.get_by_id(job.id)) == "claimed"  # a thread here, resumed
        with leases.working_on({0: job}):  # what a stage of the first run sees
            lost_inside.append(leases.lost([0]))
        return Outcome("walked (the first run)")

    monkeypatch.setitem(jobs.HANDLERS, "scan", frozen_then_claimed_again)
    jobs.run_job(job.id)
    assert lost_inside == [{0}]
    second = db.Job.get_by_id(job.id)
    assert (second.state, second.attempts, second.lease_owner) == ("running", 2, leases.owner())
    assert leases.renew(3600) == 1  # the second run's lease is still renewed
    leases.release(job.id)


def skewed_clock(monkeypatch, hours: float) -> None:
    """This process plays a host whose clock is `hours` off (no NTP on the NAS, a desktop's
    clock set by hand)."""
    real = db.now
    monkeypatch.setattr(db, "now", lambda: real() + timedelta(hours=hours))


def test_a_host_whose_clock_runs_ahead_takes_over_no_live_job(rt, monkeypatch):
    """Leases were compared with the local clock: a worker an hour ahead found every other
    worker's lease expired and took over every job they were running, every 30 seconds."""
    running = db.Job.create(
        kind="scan",
        key="scan",
        state="running",
        lease_owner=OTHER,
        lease_until=db.now() + timedelta(seconds=30),  # renewed by a worker with the right time
    )
    skewed_clock(monkeypatch, +1)
    assert leases.take_over() == []
    assert db.Job.get_by_id(running.id).lease_owner == OTHER


def test_a_host_whose_clock_lags_writes_leases_that_hold(rt, monkeypatch):
    """A worker an hour behind wrote leases that had expired an hour ago for the others: its
    jobs were taken over as soon as it claimed them, and run twice."""
    job = jobs.enqueue_scan()
    taken: list = []

    def walk(rt, job):
        monkeypatch.undo()  # another host, with the right time, looks at the leases now
        taken.extend(leases.take_over())
        return Outcome("walked")

    skewed_clock(monkeypatch, -1)
    monkeypatch.setitem(jobs.HANDLERS, "scan", walk)
    jobs.run_job(job.id)
    assert taken == []
    assert db.Job.get_by_id(job.id).state == "done"


def test_a_job_without_a_message_is_sent_again_while_others_wait_for_later(rt):
    """A worker killed between taking a job's message from Redis and claiming it: the job stays
    queued without a message. It was sent again only while the queue and the schedule were both
    empty, and a picture retry (scheduled 30 min to 24 h ahead) or a player notification kept
    the schedule busy: the job waited that long, or for a restart."""
    later = jobs.enqueue_notify(delay=3600)
    queue.huey.add_schedule(queue.huey.dequeue())  # a consumer put it in the schedule
    stranded = jobs.enqueue_enrich(make_item(rt).id)
    queue.huey.storage.flush_queue()  # its message: taken by the worker that died
    assert [t.args for t in queue.huey.scheduled()] == [(later.id,)]
    old = db.now() - timedelta(minutes=5)
    db.Job.update(created_at=old).execute()
    assert jobs.resend_stranded(60) == 1
    assert [t.args for t in queue.huey.pending()] == [(stranded.id,)]
    assert jobs.resend_stranded(60) == 0  # its message is waiting now: not sent twice


def make_item(rt) -> db.Movie:
    lib = db.Library.get()
    return db.Movie.create(library=lib, path=f"{lib.path}/Heat (1995)/Heat (1995).mkv")


def test_a_worker_frozen_past_its_lease_does_not_publish_the_item_taken_over(rt, monkeypatch):
    """A worker frozen mid-publish (SIGSTOP, a paused VM) past its lease: another worker took
    the publish over. The first one, resumed, went on writing the item's NFO and artwork into
    the library, over or beside the other's, and only found its lease gone when it recorded
    the outcome. It now looks at its lease under the folder's lock, before writing."""
    import metarrd.publish.stage as stage
    from tests.publish.conftest import build_enriched

    heat = build_enriched(rt, "Heat (1995)")
    job = jobs.enqueue_publish(heat.movie.id)
    prepare = stage._prepare

    def frozen_after_preparing(rt, item, **kwargs):
        prepared = prepare(rt, item, **kwargs)
        # frozen here past the lease: another worker took the job over and runs it now
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        return prepared

    monkeypatch.setattr(stage, "_prepare", frozen_after_preparing)
    jobs.run_job(job.id)
    assert not (heat.folder / "Heat (1995).nfo").exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER
    assert not db.Event.select().where(db.Event.kind.startswith("publish.")).exists()

    db.Job.update(state="done").where(db.Job.id == job.id).execute()  # the other one's
    monkeypatch.setattr(stage, "_prepare", prepare)  # not frozen: published
    again = jobs.enqueue_publish(heat.movie.id)
    jobs.run_job(again.id)
    assert db.Job.get_by_id(again.id).state == "done"
    assert (heat.folder / "Heat (1995).nfo").is_file()


def test_a_worker_frozen_past_its_lease_does_not_write_the_enrichment_taken_over(rt, monkeypatch):
    """A worker frozen mid-enrich (SIGSTOP, a paused VM) past its lease: another worker took the
    enrich over and finished it, and the user then chose another film for the item. The first
    one, resumed, wrote The Matrix's title, plot, cast and status over it, with an `enrich.done`
    event, and only found its lease gone when it recorded the outcome. It now looks at its
    lease in the transaction that commits the enrichment, and drops it."""
    import metarrd.enrich.stage as stage

    item = make_item(rt)
    db.Movie.update(
        tmdb_id=603, title="The Matrix", year=1999, identification_status=db.IDENTIFIED
    ).execute()
    job = jobs.enqueue_enrich(item.id)
    select = stage.select_and_cache

    def frozen_after_selecting(*args, **kwargs):
        selected = select(*args, **kwargs)
        # frozen here past the lease: another worker took the job over and finished it, and
        # the user identified the item as Heat on that worker
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        db.Movie.update(tmdb_id=949, title="Heat", year=1995, plot=None).execute()
        return selected

    monkeypatch.setattr(stage, "select_and_cache", frozen_after_selecting)
    jobs.run_job(job.id)
    heat = db.Movie.get_by_id(item.id)
    assert (heat.title, heat.plot, heat.identification_status) == ("Heat", None, db.IDENTIFIED)
    assert not db.MovieActor.select().exists()
    assert not db.Event.select().where(db.Event.kind.startswith("enrich.")).exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER

    db.Job.update(state="done").where(db.Job.id == job.id).execute()  # the other one's
    monkeypatch.setattr(stage, "select_and_cache", select)  # not frozen: enriched
    again = jobs.enqueue_enrich(item.id)
    jobs.run_job(again.id)
    assert db.Job.get_by_id(again.id).state == "done"
    assert db.Movie.get_by_id(item.id).identification_status == db.ENRICHED


def test_a_worker_frozen_past_its_lease_does_not_write_the_identification_taken_over(
    rt, monkeypatch
):
    """A worker frozen mid-identify past its lease: another worker took the identify over,
    and the user then chose the film by hand (Heat, not The Matrix the search was sure of).
    The first one, resumed, wrote its search's match over the user's choice. It now looks at
    its lease in the transaction that commits the identification, and drops it."""
    import metarrd.identify.stage as stage

    item = make_item(rt)
    db.Movie.update(hints={"name_title": "The Matrix", "name_year": 1999}).execute()
    job = jobs.enqueue_identify(item.id, manual=False)
    search = stage.search

    def frozen_after_searching(*args, **kwargs):
        found = search(*args, **kwargs)
        # frozen here past the lease: the job was taken over, the user chose Heat meanwhile
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        db.Movie.update(
            tmdb_id=949, title="Heat", year=1995, identified_by="manual",
            identification_status=db.IDENTIFIED,
        ).execute()  # fmt: skip
        return found

    monkeypatch.setattr(stage, "search", frozen_after_searching)
    jobs.run_job(job.id)
    heat = db.Movie.get_by_id(item.id)
    assert (heat.tmdb_id, heat.title, heat.identified_by) == (949, "Heat", "manual")
    assert not db.Event.select().where(db.Event.kind.startswith("identify.")).exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER


def test_a_search_frozen_past_its_lease_does_not_replace_a_newer_searchs_candidates(
    rt, monkeypatch
):
    """The identify page's search, frozen past its lease: another worker ran it, then the
    user searched again, for The Matrix. The first one, resumed, replaced the newer search's
    candidates on the page with its own (Heat's)."""
    import metarrd.identify as identify

    item = make_item(rt)
    job = jobs.enqueue_search(item.id, "Heat", 1995)
    search = identify.search
    newer = [{"tmdb_id": 603, "title": "The Matrix", "year": 1999}]

    def frozen_after_searching(*args, **kwargs):
        found = search(*args, **kwargs)
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        db.Movie.update(candidates=newer).execute()  # the user's newer search, on the other
        return found

    monkeypatch.setattr(identify, "search", frozen_after_searching)
    jobs.run_job(job.id)
    assert db.Movie.get_by_id(item.id).candidates == newer
    assert not db.Event.select().where(db.Event.kind.startswith("search.")).exists()


@pytest.fixture
def tv_rt(tmp_path, simulator):
    from tests.tv.conftest import tv_config

    config = tv_config(tmp_path, simulator)
    runtime = open_runtime(config)
    queue.configure(config)
    jobs.bind(runtime)
    yield runtime
    queue.configure(config, immediate=True)
    runtime.close()


def breaking_bad(rt) -> db.Movie:
    """A scanned show with two episode files; the show as the scan left it."""
    from metarrd.scan import scan
    from tests.tv.conftest import put

    root = rt.config.library[1].path
    for rel in (
        "Season 01/Breaking Bad - S01E01 - Pilot.mkv",
        "Season 01/Breaking Bad - S01E02.mkv",
    ):
        put(Path(root), f"Breaking Bad (2008)/{rel}")
    scan(rt)
    return db.Movie.get(db.Movie.kind == db.SHOW)


def test_a_worker_frozen_past_its_lease_does_not_write_the_show_identification_taken_over(
    tv_rt, monkeypatch
):
    """A show's identify frozen past its lease, taken over, and the show identified by hand
    meanwhile (another show): the resumed worker wrote its match, and its episodes' numbers,
    over the user's choice."""
    import metarrd.identify.tv as tv

    show = breaking_bad(tv_rt)
    job = jobs.enqueue_identify(show.id, manual=False)
    search = tv.search_shows

    def frozen_after_searching(*args, **kwargs):
        found = search(*args, **kwargs)
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        db.Movie.update(tmdb_id=60059, title="Better Call Saul", identified_by="manual").where(
            db.Movie.id == show.id
        ).execute()
        return found

    monkeypatch.setattr(tv, "search_shows", frozen_after_searching)
    jobs.run_job(job.id)
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.title, fresh.identified_by) == (
        60059,
        "Better Call Saul",
        "manual",
    )
    assert not db.Event.select().where(db.Event.kind.startswith("identify.")).exists()
    episodes = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert {e.identification_status for e in episodes} == {db.UNIDENTIFIED}


def test_a_worker_frozen_past_its_lease_does_not_write_the_show_enrichment_taken_over(
    tv_rt, monkeypatch
):
    """A show's enrich (queued for one of its episodes) frozen past its lease and taken over:
    the resumed worker wrote the show's metadata, cast and `enriched` status over the other
    worker's newer work."""
    import metarrd.enrich.tv as tv
    from metarrd.identify import identify_item

    show = breaking_bad(tv_rt)
    identify_item(tv_rt, show)
    episode = db.Movie.get(db.Movie.kind == db.EPISODE)
    job = jobs.enqueue_enrich(episode.id)
    plan_cast = tv._ShowEnrichment._plan_cast

    def frozen_after_asking(self, *args, **kwargs):
        plans = plan_cast(self, *args, **kwargs)
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        return plans

    monkeypatch.setattr(tv._ShowEnrichment, "_plan_cast", frozen_after_asking)
    jobs.run_job(job.id)
    items = db.Movie.select().where(db.Movie.kind.in_([db.SHOW, db.EPISODE]))
    assert {m.identification_status for m in items} == {db.IDENTIFIED}
    assert not db.MovieActor.select().exists()
    assert not db.Event.select().where(db.Event.kind.startswith("enrich.")).exists()


def test_a_worker_frozen_past_its_lease_does_not_write_the_artwork_scores_taken_over(
    rt, monkeypatch
):
    """A worker frozen mid-enrich, while its downloads were analysed, past its lease: taken
    over, and the item identified as another film meanwhile. The resumed worker wrote the old
    film's artwork scores, selection and cache rows on the item (only the first and the last
    write of the enrichment looked at the lease); it now writes none of them."""
    import metarrd.enrich.stage as stage

    item = make_item(rt)
    db.Movie.update(
        tmdb_id=603, title="The Matrix", year=1999, identification_status=db.IDENTIFIED
    ).execute()
    job = jobs.enqueue_enrich(item.id)
    take_outcomes = stage._Enrichment._take_outcomes

    def frozen_while_analysing(self):
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        db.Movie.update(tmdb_id=949, title="Heat", year=1995).execute()  # the user, meanwhile
        return take_outcomes(self)

    monkeypatch.setattr(stage._Enrichment, "_take_outcomes", frozen_while_analysing)
    jobs.run_job(job.id)
    assert db.ArtworkCandidate.select().exists()  # stored before it froze
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.is_selected).exists()
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.is_downloaded).exists()
    assert not db.Event.select().where(db.Event.kind.startswith("enrich.")).exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER


def test_a_show_enrichment_frozen_past_its_lease_writes_no_episode_artwork(tv_rt, monkeypatch):
    """A show's enrich frozen past its lease, taken over: the resumed worker stored, scored,
    selected and cached each item's artwork from its `tv-art` threads, which did not know of
    the job (the lease check was the job thread's own). They now run under its check."""
    import metarrd.enrich.tv as tv
    from metarrd.identify import identify_item

    show = breaking_bad(tv_rt)
    identify_item(tv_rt, show)
    episode = db.Movie.get(db.Movie.kind == db.EPISODE)
    job = jobs.enqueue_enrich(episode.id)
    finish = tv._ItemArt.finish

    def frozen_before_the_artwork(self):
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        return finish(self)

    monkeypatch.setattr(tv._ItemArt, "finish", frozen_before_the_artwork)
    jobs.run_job(job.id)
    assert not db.ArtworkCandidate.select().exists()
    assert not db.Event.select().where(db.Event.kind.startswith("enrich.")).exists()


def test_a_scan_frozen_past_its_lease_does_not_mark_missing_a_file_back_since(rt, monkeypatch):
    """A scan frozen past its lease after its walk, which found a film's file gone (moved away
    for a moment): taken over, the file back, the other worker's scan found it. The resumed
    worker marked the item missing, with a `scan.missing` event: a scan has no item, so it
    looked at no lease. Its writes now look at its job's."""
    import metarrd.scan.stage as stage

    item = make_item(rt)  # known, its file not there when the frozen scan walked
    other = Path(db.Library.get().path) / "Alien (1979)" / "Alien (1979).mkv"
    other.parent.mkdir(parents=True)  # the library holds other films (an empty root is a
    other.write_bytes(b"\0" * 16)  # share not mounted: then the scan marks nothing at all)
    job = jobs.enqueue_scan(None)
    replaced = stage._replaced_in_place

    def frozen_after_walking(*args, **kwargs):
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        Path(item.path).parent.mkdir(parents=True, exist_ok=True)
        Path(item.path).write_bytes(b"back")  # and the other worker's scan saw it there
        return replaced(*args, **kwargs)

    monkeypatch.setattr(stage, "_replaced_in_place", frozen_after_walking)
    jobs.run_job(job.id)
    assert not db.Movie.get_by_id(item.id).missing
    assert not db.Event.select().where(db.Event.kind.startswith("scan.")).exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER


def test_a_scan_frozen_past_its_lease_records_nothing_of_its_walk(rt, monkeypatch):
    """A scan frozen past its lease before its walk and taken over: the resumed worker showed
    its progress on the job the other worker runs, and recorded the films it walked."""
    import metarrd.scan as scan

    lib = db.Library.get()
    alien = Path(lib.path) / "Alien (1979)" / "Alien (1979).mkv"
    alien.parent.mkdir(parents=True)
    alien.write_bytes(b"not really a movie")
    job = jobs.enqueue_scan(None)
    mark_gone = scan.mark_gone

    def frozen_before_walking(config, paths):
        gone = mark_gone(config, paths)
        db.Job.update(lease_owner=OTHER, progress=0.5, message="the other's").where(
            db.Job.id == job.id
        ).execute()
        return gone

    monkeypatch.setattr(scan, "mark_gone", frozen_before_walking)
    jobs.run_job(job.id)
    assert not db.Movie.select().exists()
    taken = db.Job.get_by_id(job.id)
    assert (taken.lease_owner, taken.progress, taken.message) == (OTHER, 0.5, "the other's")


def test_a_scan_frozen_past_its_lease_records_no_error_of_its_walk(rt, monkeypatch):
    """A scan frozen past its lease and taken over, while the library's share was unmounted
    for a moment: the resumed worker recorded "library folder does not exist" in the
    activity log, an event written on its own, outside the scan's write transactions."""
    import metarrd.scan as scan

    root = Path(db.Library.get().path)
    job = jobs.enqueue_scan(None)
    mark_gone = scan.mark_gone

    def frozen_before_walking(config, paths):
        gone = mark_gone(config, paths)
        if root.exists():  # the first call, before the walk
            db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
            root.rename(root.with_name("unmounted"))  # when it resumed
        return gone

    monkeypatch.setattr(scan, "mark_gone", frozen_before_walking)
    try:
        jobs.run_job(job.id)
    finally:
        root.with_name("unmounted").rename(root)
    assert not db.Event.select().where(db.Event.kind.startswith("scan.")).exists()
    assert db.Job.get_by_id(job.id).lease_owner == OTHER


def test_a_write_lock_held_long_elsewhere_does_not_stop_lease_renewals(rt, monkeypatch):
    """Another worker frozen (SIGSTOP, a paused VM) inside a write transaction holds the write
    lock. This worker's heartbeat waited for it in its take-over and renewed nothing meanwhile:
    when the frozen one let go, every live worker's lease had expired, and their jobs were
    taken over and run twice. The take-over now waits at most a beat."""
    import threading

    job = jobs.enqueue_scan()
    beats: list[int] = []
    heartbeat = leases.Heartbeat(rt.config.queue.lease_seconds, send=lambda job: None)

    def walk(rt, job):
        import psycopg2
        from playhouse.db_url import parse

        params = parse(TEST_DATABASE_URL)
        params["dbname"] = params.pop("database")
        frozen = psycopg2.connect(**params)  # the frozen worker: in a write transaction
        with frozen.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (db.WRITE_LOCK_KEY,))

        def beat():
            for n in (1, 2, 3, 4):
                heartbeat.tick(n)
                beats.append(leases.renew(rt.config.queue.lease_seconds))

        beating = threading.Thread(target=beat, daemon=True)
        beating.start()
        beating.join(30)  # far longer than the two beats' waits
        alive = beating.is_alive()
        frozen.rollback()  # the frozen worker resumes (and lets go)
        beating.join(30)
        frozen.close()
        assert not alive, "the heartbeat stalled behind another process's write lock"
        return Outcome("walked")

    monkeypatch.setitem(jobs.HANDLERS, "scan", walk)
    jobs.run_job(job.id)
    assert beats == [1, 1, 1, 1]
    assert db.Job.get_by_id(job.id).state == "done"


def test_a_worker_starting_keeps_the_delays_of_queued_jobs(rt):
    """Every worker that started sent every queued job a message to run now, a picture retry
    due in 24 hours included: with workers started and stopped on several hosts, the retries
    (30 min, 2 h, 8 h, 24 h) were spent within minutes while the provider was still down, and
    the item's missing pictures were never completed."""
    heat = make_item(rt)
    retry = jobs._enqueue("publish", heat.id, {"picture_retry": 4}, manual=False, delay=86400)
    now = jobs.enqueue_enrich(heat.id)
    queue.huey.storage.flush_queue()
    jobs.requeue_interrupted()
    etas = {t.args[0]: t.eta for t in [*queue.huey.pending(), *queue.huey.scheduled()]}
    assert etas[now.id] is None
    assert etas[retry.id] is not None and etas[retry.id] > db.now() + timedelta(hours=23)


def test_a_worker_in_a_container_of_its_own_takes_no_live_job_at_start(rt, monkeypatch):
    """Worker containers sharing the host's name (`network_mode: host`): a worker starting in
    one took the jobs of a live worker in another for those of a dead process of its own host
    (that pid does not exist in its PID namespace) and ran them a second time at once."""
    import socket

    other_container = db.Job.create(
        kind="scan",
        key="scan",
        state="running",
        lease_owner=f"{socket.gethostname()}:2999999:abcdef",  # a pid no namespace here has
        lease_until=db.now() + timedelta(seconds=30),
    )
    monkeypatch.setattr(db, "_pid_namespace", lambda: "pid:[4026532999]")
    monkeypatch.setattr(leases, "_owner", {})  # this worker, in a container of its own
    assert leases.take_over(at_start=True) == []
    assert db.Job.get_by_id(other_container.id).state == "running"


def test_a_scan_frozen_past_its_lease_carries_no_ledger_row_of_a_renamed_movie(rt, monkeypatch):
    """Radarr's *Rename Movies* with the webhook off, our NFO moved along with the video
    (MetadataService.cs MoveFilesAfterRename): the scan job that finds the rename froze past
    its lease (SIGSTOP, a paused VM) while it read the files, and another worker took it over.
    The first one had already moved the ledger row of our NFO to the new name, outside any
    write transaction, unchecked: the row named the new file while the item named the old one,
    whatever the worker that took over had decided. It is now moved with the item, or not."""
    import metarrd.scan.stage as stage
    from metarrd.publish import publish_item
    from tests.publish.conftest import build_enriched

    built = build_enriched(rt, "Old Name (1999)", art={"poster": ["jpeg"]}, cast=[])
    st = Path(built.movie.path).stat()
    db.Movie.update(size=st.st_size, mtime_ns=st.st_mtime_ns).where(
        db.Movie.id == built.movie.id
    ).execute()
    publish_item(rt, built.reload())
    rows = {r.id: r.path for r in db.LibraryFile.select()}
    old_path = built.movie.path
    Path(old_path).rename(built.path("New Name (1999).mkv"))
    built.path("Old Name (1999).nfo").rename(built.path("New Name (1999).nfo"))  # by Radarr
    job = jobs.enqueue_scan([str(built.folder)])
    probe = stage.probe

    def frozen_while_reading(rt, root, video):
        read = probe(rt, root, video)
        # frozen here past the lease: another worker took the job over and runs it now
        db.Job.update(lease_owner=OTHER).where(db.Job.id == job.id).execute()
        return read

    monkeypatch.setattr(stage, "probe", frozen_while_reading)
    jobs.run_job(job.id)

    assert db.Job.get_by_id(job.id).lease_owner == OTHER
    assert {r.id: r.path for r in db.LibraryFile.select()} == rows
    assert built.reload().path == old_path


@pytest.fixture
def show_rt(tmp_path, backend):
    from tests.publish.tvshow import tv_runtime

    runtime = tv_runtime(tmp_path, **backend)
    queue.configure(runtime.config)
    jobs.bind(runtime)
    yield runtime
    queue.configure(runtime.config, immediate=True)
    runtime.close()


PILOT = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"
E2 = "Season 01/Breaking.Bad.s01.e02.mkv"


@pytest.mark.parametrize(
    ("batch", "lost"),
    [((PILOT, E2), E2), ((PILOT, E2), PILOT), (("show", PILOT), "show")],
    ids=["second-episode", "first-episode", "show"],
)
def test_a_worker_frozen_past_its_lease_publishes_a_show_without_the_item_taken_over(
    show_rt, monkeypatch, batch, lost
):
    """Publish jobs of one published show (two episodes the user fixed, or the show and an
    episode) claimed as one batch; the worker froze while it planned them, past its lease, and
    another worker took one job over. Only the first item's lease was looked at: an episode
    taken over second was written all the same, beside the other worker's publish of it; the
    first taken over failed the other job too ("another worker took the job over"), though
    no other worker ran it, and its files were never written. Now the item taken over is left
    out, and the rest planned again without it and published."""
    import metarrd.publish.tv as tv
    from metarrd.publish import publish_item
    from tests.publish.test_tv_publish_episode import edit
    from tests.publish.tvshow import build_show

    built = build_show(show_rt)
    publish_item(show_rt, built.show)
    edit(built.episodes[PILOT], "Pilot (fixed)")
    edit(built.episodes[E2], "Cat's in the Bag (fixed)")
    db.Movie.update(plot="A plot fixed by the user.").where(db.Movie.id == built.show.id).execute()
    items = {"show": built.show, PILOT: built.episodes[PILOT], E2: built.episodes[E2]}
    files = {
        "show": (built.path("tvshow.nfo"), "A plot fixed by the user."),
        PILOT: (built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo"), "Pilot (fixed)"),
        E2: (built.path("Season 01/Breaking.Bad.s01.e02.nfo"), "Cat's in the Bag (fixed)"),
    }
    queued = {name: jobs.enqueue_publish(items[name].id) for name in batch}
    prepare = tv._prepare

    def frozen_after_preparing(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        # frozen here past the lease: another worker took this job over and runs it now
        db.Job.update(lease_owner=OTHER).where(db.Job.id == queued[lost].id).execute()
        return prepared

    monkeypatch.setattr(tv, "_prepare", frozen_after_preparing)
    jobs.run_job(queued[batch[0]].id)

    (kept,) = [name for name in batch if name != lost]
    taken = db.Job.get_by_id(queued[lost].id)
    assert (taken.state, taken.lease_owner) == ("running", OTHER)
    done = db.Job.get_by_id(queued[kept].id)
    assert done.state == "done", done.error
    assert files[kept][1] in files[kept][0].read_text("utf-8")
    assert files[lost][1] not in files[lost][0].read_text("utf-8")  # the other worker's
    assert db.Movie.get_by_id(items[lost].id).publish_state == db.OUTDATED
    assert db.Movie.get_by_id(items[kept].id).publish_state == db.PUBLISHED
