"""Redis refusing a job's message after its row is committed: out of memory under `maxmemory`
with the noeviction policy (Redis's answer to every write then: "OOM command not allowed when
used memory > 'maxmemory'", redis.io/docs/latest/develop/reference/eviction), which is what a
queue that grew past its limit meets. Runs only with METARRD_TEST_DATABASE_URL and
METARRD_TEST_QUEUE_URL set (.ci/services.sh)."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest

from metarrd import db
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_URL

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)


@contextlib.contextmanager
def redis_out_of_memory():
    from redis import Redis

    client = Redis.from_url(TEST_QUEUE_URL)
    before = client.config_get("maxmemory*")
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", 1)  # below what it uses already: every write refused
    try:
        yield
    finally:
        client.config_set("maxmemory", before["maxmemory"])
        client.config_set("maxmemory-policy", before["maxmemory-policy"])
        client.close()


@pytest.fixture
def rt(config_factory, monkeypatch):
    config = config_factory()
    runtime = open_runtime(config)
    queue.configure(config)  # messages go to Redis; nothing consumes them here
    jobs.bind(runtime)
    monkeypatch.setitem(jobs._stranded_after, "id", 0)
    yield runtime
    queue.configure(config, immediate=True)
    runtime.close()


def test_a_job_whose_message_redis_refused_stays_queued_and_is_sent_later(rt):
    lib = db.Library.get()
    item = db.Movie.create(library=lib, path=f"{lib.path}/Heat (1995)/Heat (1995).mkv")
    with redis_out_of_memory():
        job = jobs.enqueue_enrich(item.id)  # raised the OOM error: a 500 page for the click
    job = db.Job.get_by_id(job.id)
    assert job.state == "queued"
    assert "queue refused its message" in job.message and "maxmemory" in job.message
    assert queue.message_job_ids() == set()
    # Redis has room again: the heartbeat's look sends it once it waited a lease
    db.Job.update(created_at=db.now() - timedelta(minutes=5)).where(db.Job.id == job.id).execute()
    assert jobs.resend_stranded(60) == 1
    assert queue.message_job_ids() == {job.id}


def test_a_rescan_clicked_while_redis_is_full_is_not_a_500(rt):
    # the scan was queued (its row committed) and ran later all the same, but the click got
    # "Something went wrong" (a 500, redis.exceptions.OutOfMemoryError in the log)
    from metarrd.web import create_app

    app = create_app(rt.config, testing=True)
    app.testing = False
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    with redis_out_of_memory():
        answer = client.post("/settings/scan", headers={"X-CSRF-Token": token})
    assert answer.status_code < 500
    assert db.Job.select().where(db.Job.kind == "scan", db.Job.state == "queued").count() == 1
