"""Live updates: the server-sent event stream fed by the events table, across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from metarrd import db
from metarrd.web import live


def read_stream(client, url: str, **headers) -> str:
    return client.get(url, headers=headers).get_data(as_text=True)


def test_messages_coalesce_per_item_and_carry_the_cursor():
    events = [(7, 3, "enrich.done"), (8, 3, "review.edited"), (9, None, "scan.failed")]
    events += [(10, 4, "publish.done"), (11, 5, "review.edited"), (12, 5, "review.locked")]
    text = live.messages(events)
    assert text == (
        "event: movie-3\ndata: enrich.done review.edited\n\n"
        "event: movie-3-data\ndata: enrich.done review.edited\n\n"
        "event: movie-4\ndata: publish.done\n\n"
        "event: movie-4-data\ndata: publish.done\n\n"
        "event: movie-5\ndata: review.edited review.locked\n\n"  # the user's own edits only
        "event: library\ndata: scan\n\n"
        "id: 12\nevent: activity\ndata: 6\n\n"
    )


def test_stream_sends_events_after_the_cursor(app, client, seed):
    app.config.update(LIVE_MAX_SECONDS=0.3, LIVE_POLL_SECONDS=0.05)
    movie = seed.movie("The Matrix")
    old = db.record_event("scan.found", "found", movie=movie)
    new = db.record_event("enrich.done", "enriched", movie=movie)
    answer = client.get(f"/live?after={old.id}")
    assert answer.mimetype == "text/event-stream"
    assert answer.headers["Cache-Control"] == "no-cache"
    text = answer.get_data(as_text=True)
    assert text.startswith("retry: 1000\n\n")
    assert f"event: movie-{movie.id}\ndata: enrich.done\n\n" in text
    assert f"id: {new.id}\nevent: activity" in text
    assert "scan.found" not in text


def test_reconnect_resumes_from_last_event_id(app, client, seed):
    app.config.update(LIVE_MAX_SECONDS=0.3, LIVE_POLL_SECONDS=0.05)
    movie = seed.movie("The Matrix")
    first = db.record_event("enrich.done", "enriched", movie=movie)
    db.record_event("publish.done", "published", movie=movie)
    text = read_stream(client, "/live?after=0", **{"Last-Event-ID": str(first.id)})
    assert "publish.done" in text and "enrich.done" not in text


def test_without_a_cursor_only_new_events_come(app, client, seed):
    app.config.update(LIVE_MAX_SECONDS=0.2, LIVE_POLL_SECONDS=0.05)
    movie = seed.movie("The Matrix")
    db.record_event("enrich.done", "enriched", movie=movie)
    assert "event:" not in read_stream(client, "/live")


def test_heartbeat_keeps_an_idle_stream_alive(app, client):
    app.config.update(LIVE_MAX_SECONDS=0.3, LIVE_POLL_SECONDS=0.05, LIVE_HEARTBEAT_SECONDS=0.1)
    assert ": keep-alive\n\n" in read_stream(client, "/live?after=0")


def test_an_event_written_by_another_process_arrives(app, client, seed, config):
    """The daemon is a separate process: its events reach the stream through the database."""
    app.config.update(LIVE_MAX_SECONDS=20.0, LIVE_POLL_SECONDS=0.05)
    movie = seed.movie("The Matrix")
    cursor = live.new_events(0)[-1][0] if live.new_events(0) else 0
    writer = textwrap.dedent(
        f"""
        from metarrd import db
        db.open_database({config.database.url or str(config.db_path)!r})
        db.record_event("publish.done", "published by the daemon", movie={movie.id})
        """
    )
    wanted = f"event: movie-{movie.id}\ndata: publish.done"
    answer = client.get(f"/live?after={cursor}")
    chunks = iter(answer.response)
    text = next(chunks).decode()  # the stream is open before the other process writes
    proc = subprocess.Popen([sys.executable, "-c", writer])
    try:
        for chunk in chunks:  # ends at LIVE_MAX_SECONDS at the latest
            text += chunk.decode()
            if wanted in text:
                break
    finally:
        answer.close()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert wanted in text


def test_an_empty_library_page_waits_for_the_first_scan(client, seed):
    assert 'hx-trigger="sse:library"' in client.get("/").get_data(as_text=True)
    seed.movie("The Matrix")
    assert 'hx-trigger="sse:library"' not in client.get("/").get_data(as_text=True)


def test_pages_listen_for_their_items(client, seed):
    movie = seed.movie("The Matrix")
    cursor = db.record_event("scan.found", "found", movie=movie).id
    page = client.get(f"/movies/{movie.id}").get_data(as_text=True)
    assert f'sse-connect="/live?after={cursor}"' in page
    assert f'hx-trigger="sse:movie-{movie.id}-data"' in page  # the item page
    assert f'hx-trigger="sse:movie-{movie.id}"' in page  # its header
    assert 'hx-trigger="sse:activity, every 3s"' in client.get("/activity").get_data(as_text=True)


def test_streams_beyond_the_cap_get_a_short_answer_and_poll(app, client, seed):
    """Every open tab holds a stream; past LIVE_MAX_STREAMS a tab is answered at once (what is
    new, and a longer retry) so the threads stay free for pages."""
    app.config.update(LIVE_MAX_STREAMS=2, LIVE_MAX_SECONDS=30.0, LIVE_POLL_SECONDS=0.05)
    movie = seed.movie("The Matrix")
    event = db.record_event("enrich.done", "enriched", movie=movie)
    held = [client.get("/live?after=0") for _ in range(2)]
    for answer in held:
        assert next(iter(answer.response)) == b"retry: 1000\n\n"  # a real, held stream
    started = time.monotonic()
    short = client.get("/live?after=0").get_data(as_text=True)
    assert time.monotonic() - started < 2
    assert short.startswith(f"retry: {app.config['LIVE_BUSY_RETRY_MS']}\n\n")
    assert f"id: {event.id}\nevent: activity" in short  # it still learns what is new
    held[0].close()  # a tab closed: its slot is free again
    again = client.get("/live?after=0")
    assert next(iter(again.response)) == b"retry: 1000\n\n"
    for answer in (held[1], again):
        answer.close()
    assert app.extensions["metarrd.live_slots"].held == 0


def test_another_sites_page_cannot_hold_the_streams(app, client):
    """A password-less loopback UI answers any page this browser shows: another site's
    `<img src="http://127.0.0.1:8787/live">` (or one on another port of this host: "same-site")
    took a stream slot each, and a few of them left the UI's tabs polling. The UI's own
    EventSource is "same-origin" (Fetch Metadata, sent by Chromium, Firefox and Safari)."""
    app.config.update(LIVE_MAX_STREAMS=1, LIVE_MAX_SECONDS=30.0)
    for site in ("cross-site", "same-site"):
        answer = client.get("/live", headers={"Sec-Fetch-Site": site, "Sec-Fetch-Dest": "image"})
        assert answer.status_code == 403, site
        assert app.extensions.get("metarrd.live_slots") is None or (
            app.extensions["metarrd.live_slots"].held == 0
        )
    for site in ("same-origin", "none", None):  # its own page; the address bar; an old browser
        headers = {"Sec-Fetch-Site": site} if site else {}
        answer = client.get("/live?after=0", headers=headers)
        assert next(iter(answer.response)) == b"retry: 1000\n\n", site  # a real, held stream
        answer.close()
    assert app.extensions["metarrd.live_slots"].held == 0


def test_a_stream_that_never_started_gives_its_slot_back(app, client):
    app.config.update(LIVE_MAX_STREAMS=1)
    client.get("/live").close()  # closed before its first byte
    assert app.extensions["metarrd.live_slots"].held == 0


def test_gunicorn_keeps_threads_for_pages(monkeypatch, tmp_path):
    import importlib

    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path}/data"\n')
    monkeypatch.setenv("METARRD_CONFIG", str(config))
    monkeypatch.delitem(sys.modules, "metarrd.web.wsgi", raising=False)
    wsgi = importlib.import_module("metarrd.web.wsgi")
    assert wsgi.worker_class == "gthread"
    assert wsgi.PAGE_THREADS >= 4
    assert wsgi.threads == wsgi.LIVE_STREAMS_PER_WORKER + wsgi.PAGE_THREADS
    assert wsgi.workers * wsgi.LIVE_STREAMS_PER_WORKER >= 20  # twenty tabs hold real streams
