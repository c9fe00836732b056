"""`/healthz` tells a dead file watcher or job worker from a healthy daemon: the daemon (often
another process) leaves a heartbeat in the database."""

from __future__ import annotations

import json
import time

from metarrd import db
from metarrd.heartbeat import HEARTBEAT_KEY, STALE_AFTER_SECONDS


def beat(**state):
    healthy = {
        "pid": 4242,
        "at": time.time(),
        "watcher": {"watch": "ok", "watch-handler": "ok"},
        "watcher_restarts": 0,
        "consumer": {"alive": 2, "workers": 2, "scheduler": True},
    }
    db.set_meta(HEARTBEAT_KEY, json.dumps({**healthy, **state}))


def test_no_daemon_is_not_a_failure_of_the_web_app(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["watcher"] == "not running"


def test_a_healthy_daemon(client):
    beat()
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["ok"] is True
    assert body["watcher"] == "ok (2 threads)" and body["consumer"] == "ok (2 workers)"


def test_a_dead_watcher_is_unhealthy_and_says_why(client):
    reason = (
        'restarting in 8s after: WatchfilesRustInternalError: Unable to decode path "/m/Caf\\xE9"'
    )
    beat(watcher={"watch": reason, "watch-handler": "ok"}, watcher_restarts=4)
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 503 and body["ok"] is False
    assert body["watcher"].startswith("error (watch: restarting") and "decode" in body["watcher"]
    assert body["database"].startswith("ok") and body["consumer"].startswith("ok")


def test_a_dead_worker_is_unhealthy(client):
    beat(consumer={"alive": 1, "workers": 2, "scheduler": True})
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["consumer"] == "error (1 of 2 workers alive)"


def test_a_daemon_that_stopped_beating_is_unhealthy(client):
    beat(at=time.time() - STALE_AFTER_SECONDS - 60)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert "no heartbeat from the daemon, pid 4242" in answer.get_json()["watcher"]


def test_a_daemon_stopped_on_purpose_is_not_a_failure(client):
    db.set_meta(HEARTBEAT_KEY, json.dumps({"pid": 1, "at": time.time() - 9999, "stopped": True}))
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["consumer"] == "not running (stopped)"


def test_jobs_waiting_are_counted_alike_on_every_backend(client, config):
    """On Redis `/healthz` said `"queue": "ok (3 waiting)"`: the messages in its list, not the
    jobs waiting. Every worker that starts sends each queued job a message again and a done
    job's message stays until a worker drops it, so the number grew with restarts and
    duplicates; on SQLite there was no number at all. The jobs waiting now come from the
    jobs table on both; Redis's messages are named as what they are."""
    for kind in ("scan", "notify"):
        db.Job.create(kind=kind, key=kind, state="queued")
    db.Job.create(kind="probe", key="probe", state="running")
    if config.uses_redis:  # two messages for one job, one for a job done long ago
        from redis import Redis

        redis = Redis.from_url(config.queue.url)
        redis.rpush(f"huey.redis.{config.queue.name}", b"1", b"1", b"2")
        redis.close()
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["jobs_queued"] == 2
    assert body["queue"] == ("ok (3 messages)" if config.uses_redis else "ok")
