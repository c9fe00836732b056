"""/live streams end when the server shuts down or the database goes away, without a traceback
(issue 11 item 17: the demo's Ctrl-C printed `disk I/O error` tracebacks from held streams)."""

from __future__ import annotations

import threading
import time

import peewee as pw

from metarrd.web import live


def test_a_held_stream_ends_within_one_poll_once_stopping(app):
    stopping = threading.Event()
    with app.app_context():
        body = live.stream(0, poll=0.05, max_seconds=60, heartbeat=60, stopping=stopping)
        assert next(body) == "retry: 1000\n\n"
        threading.Timer(0.2, stopping.set).start()
        started = time.monotonic()
        rest = list(body)
    assert time.monotonic() - started < 5
    assert all("event:" not in chunk for chunk in rest)


def test_a_stream_whose_database_fails_ends_quietly(app, monkeypatch, caplog):
    def broken(after, limit=live.BATCH):
        raise pw.OperationalError("disk I/O error")

    monkeypatch.setattr(live, "new_events", broken)
    body = live.stream(0, poll=0.05, max_seconds=60, heartbeat=60)
    assert list(body) == ["retry: 1000\n\n"]
    assert "the stream ends" in caplog.text
    stopping = threading.Event()
    stopping.set()
    caplog.clear()
    assert list(live.stream(0, poll=0.05, max_seconds=60, heartbeat=60, stopping=stopping)) == [
        "retry: 1000\n\n"
    ]


def test_stop_streams_waits_for_held_streams(app):
    slots = app.extensions["metarrd.live_slots"] = live.Slots(10)
    assert slots.take()
    threading.Timer(0.2, slots.give_back).start()
    assert live.stop_streams(app, timeout=5)
    assert app.extensions["metarrd.live_stopping"].is_set()
    assert slots.take()
    assert not live.stop_streams(app, timeout=0.2)
