"""Load tests against gunicorn with the shipped settings (metarrd/web/wsgi.py), loopback only:

- 24 open tabs (each a `/live` EventSource that reconnects as a browser does) do not starve the
  UI: `GET /` keeps answering.
- A bulk publish of 32 items, five times, while another process writes to the database back to
  back, never answers 500.

Figures are printed (`pytest -q -m slow tests/web/test_load.py -s`)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from metarrd import db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TABS = 24
BULK_ROUNDS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """gunicorn on a loopback port with 32 enriched items; yields (port, db path)."""
    port = _free_port()
    library = tmp_path / "movies"
    library.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        f'[[library]]\nname = "Movies"\npath = "{library}"\n'
        f'[web]\nbind = "127.0.0.1:{port}"\n'
    )
    db_path = tmp_path / "data" / "metarrd.db"
    db.open_database(db_path)
    lib = db.Library.create(name="Movies", path=str(library))
    for i in range(32):
        db.Movie.create(
            library=lib,
            path=f"{library}/Film {i:02d}/Film {i:02d}.mkv",
            title=f"Film {i:02d}",
            identification_status=db.ENRICHED,
        )
    db.database.close()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "METARRD_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(gunicorn), "--config", "python:metarrd.web.wsgi", "metarrd.web.wsgi:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        start_new_session=True,  # its own process group: the workers go with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port, db_path
    finally:
        proc.terminate()  # gunicorn waits for open streams: not for long here
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _get(port: int, path: str, timeout: float = 10.0, headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Tab:
    """A browser tab's EventSource: holds /live open, reconnects after the server's retry."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        self.port, self.stop = port, stop
        self.held = self.short = self.errors = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            retry = 1.0
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    host = f"127.0.0.1:{self.port}"
                    sock.sendall(f"GET /live HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                    data = b""
                    while not self.stop.is_set():
                        try:
                            chunk = sock.recv(4096)
                        except TimeoutError:
                            continue
                        if not chunk:
                            break
                        data += chunk
                        if b"retry: 1000" in data and not self.held_now(data):
                            self.held += 1
                            data += b"[counted]"
                    if m := re.search(rb"retry: (\d+)", data):
                        retry = int(m.group(1)) / 1000
                    if b"retry: 1000" not in data:
                        self.short += 1
            except OSError:
                self.errors += 1
            self.stop.wait(retry)

    @staticmethod
    def held_now(data: bytes) -> bool:
        return b"[counted]" in data


def test_open_tabs_do_not_starve_the_pages(server):
    port, _ = server
    stop = threading.Event()
    tabs = [Tab(port, stop) for _ in range(TABS)]
    for tab in tabs:
        tab.thread.start()
    try:
        time.sleep(3)  # every tab connected (and the ones past the cap came back once)
        timings = []
        for _ in range(20):
            started = time.monotonic()
            status, body = _get(port, "/", timeout=10)
            timings.append(time.monotonic() - started)
            assert status == 200 and b"<html" in body
    finally:
        stop.set()
        for tab in tabs:
            tab.thread.join(timeout=5)
    held = sum(t.held for t in tabs)
    short = sum(t.short for t in tabs)
    print(
        f"\n{TABS} tabs: {held} held streams, {short} short answers, "
        f"{sum(t.errors for t in tabs)} errors; GET / while open: median "
        f"{statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
    )
    assert held >= 10  # at least one worker's worth of real streams (gunicorn does not balance)
    assert max(timings) < 5


def _session(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/settings")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    conn.close()
    return cookie, token


WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=15, isolation_level=None)
conn.execute("PRAGMA busy_timeout = 15000")
n = 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO events (created_at, kind, level, message, data) "
                 "VALUES (datetime('now'), 'daemon.tick', 'info', 'tick', '{}')")
    time.sleep(0.002)  # a daemon write transaction does some work
    conn.execute("COMMIT")
    n += 1
    time.sleep(0.003)  # ... and some work between two transactions
print(n)
"""


def test_bulk_publish_while_the_daemon_writes_never_fails(server):
    port, db_path = server
    cookie, token = _session(port)
    ids = "&".join(f"ids={i}" for i in range(1, 33))
    body = f"csrf_token={token}&action=publish&{ids}".encode()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), "60"], stdout=subprocess.DEVNULL
    )
    statuses, timings = [], []
    try:
        time.sleep(0.5)
        for _ in range(BULK_ROUNDS):
            with sqlite3.connect(db_path, timeout=15) as conn:
                conn.execute("DELETE FROM jobs")  # each round queues all 32 again
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.monotonic()
            conn.request(
                "POST",
                "/bulk",
                body=body,
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                },
            )
            response = conn.getresponse()
            text = response.read().decode()
            timings.append(time.monotonic() - started)
            statuses.append(response.status)
            assert "Publish queued for 32 of 32 items" in text, text[-500:]
            conn.close()
    finally:
        writer.terminate()
        writer.wait(timeout=10)
        with sqlite3.connect(db_path, timeout=15) as conn:
            query = "SELECT count(*) FROM events WHERE kind = 'daemon.tick'"
            writes = conn.execute(query).fetchone()[0]
    print(
        f"\nbulk publish of 32 items x{BULK_ROUNDS} under a writer ({writes} commits): "
        f"statuses {statuses}, median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms"
    )
    assert statuses == [200] * BULK_ROUNDS
