"""`metarrd demo`: the sample library, its configuration, and the whole thing running and
stopping cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from metarrd import demo
from metarrd.config import parse_config
from metarrd.scan.streams import read_stream_details


def test_the_sample_video_ships_with_the_package():
    sample = demo.sample_video()
    assert sample.is_file() and 10_000 < sample.stat().st_size < 100_000
    details = read_stream_details(sample)
    assert details.video and details.video[0].codec


def test_make_library_creates_a_dozen_movies_and_keeps_existing_files(tmp_path):
    videos = demo.make_library(tmp_path)
    assert len(videos) == len(demo.DEMO_MOVIES) == 12
    assert all(v.is_file() and v.parent.name == v.stem for v in videos)
    videos[0].write_bytes(b"changed by the user")
    demo.make_library(tmp_path)
    assert videos[0].read_bytes() == b"changed by the user"


def test_make_tv_library_creates_four_shows_in_real_name_forms(tmp_path):
    videos = demo.make_tv_library(tmp_path)
    assert len(videos) == len(demo.DEMO_EPISODES) and all(v.is_file() for v in videos)
    shows = {v.relative_to(tmp_path).parts[0] for v in videos}
    assert shows == {"Breaking Bad (2008)", "Doctor Who (2005)", "Doctor Who", "Firefly (2002)"}


def test_config_text_is_valid_and_points_at_the_simulator(tmp_path):
    sim = SimpleNamespace(
        url="http://127.0.0.1:9",
        tmdb_url="http://127.0.0.1:9/3",
        fanart_url="http://127.0.0.1:9/v3",
        tvdb_url="http://127.0.0.1:9/v4",
        tmdb_key='k"ey',
        fanart_key="f",
        tvdb_key="t",
    )
    config = parse_config(tomllib.loads(demo.config_text(tmp_path / "demo dir", sim, 8899)))
    assert config.web.bind == "127.0.0.1:8899"
    assert config.providers.tmdb.api_key == 'k"ey'
    assert config.providers.tmdb.base_url == sim.tmdb_url
    assert config.library[0].path == str(tmp_path / "demo dir" / "movies")
    assert (config.library[1].kind, config.library[1].path) == (
        "tv",
        str(tmp_path / "demo dir" / "tv"),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_demo_runs_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "metarrd.cli", "demo", "--port", str(port), "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get_json(url + "/healthz")["ok"]:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.2)
        config = parse_config(tomllib.loads((tmp_path / "config.toml").read_text()))
        assert config.web.bind == f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(url + "/", timeout=5) as answer:
                page = answer.read().decode()
            if page.count('class="poster-card') == 12 + 4:  # the movies and the shows
                break
            assert time.monotonic() < deadline, "the demo library did not appear"
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert f"metarrd demo: open {url}/" in output
    assert proc.returncode == 0, output[-3000:]
    assert "everything is kept in" in output
    assert (tmp_path / "movies" / "The Matrix (1999)" / "The Matrix (1999).mkv").is_file()
    assert (tmp_path / "tv" / demo.DEMO_EPISODES[0]).is_file()
