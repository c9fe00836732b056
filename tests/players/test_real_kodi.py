"""Integration test against a real Kodi (Debian's `kodi` package) running headless under Xvfb.

The outer test re-runs itself with pytest inside a fresh network namespace (`unshare -n`) that
holds only loopback, so Kodi's web server (which binds every interface) is reachable from the
test and from nowhere else. Inside: start Kodi on a throw-away profile, publish a movie folder
the way PUBLISH lays it out, let metarrd notify Kodi, and ask Kodi over JSON-RPC what it now
knows. Then change the NFO and publish again: the known movie must be refreshed.

Skipped only when the kodi binary is missing outside CI; in CI (CI=true) a missing Kodi fails.
`.ci/install-kodi.sh` installs what it needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image
from player_helpers import queue
from real_kodi import RealKodi, enter_isolated_network, find_kodi

from metarrd import db, players
from metarrd.config import parse_config
from metarrd.runtime import open_runtime

INSIDE = "METARRD_KODI_NETNS"
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "media" / "h264_aac_2audio_sub.mkv"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
    <title>{title}</title>
    <originaltitle>The Matrix</originaltitle>
    <plot>A hacker learns what the Matrix is.</plot>
    <premiered>1999-03-30</premiered>
    <uniqueid type="tmdb" default="true">603</uniqueid>
    <uniqueid type="imdb">tt0133093</uniqueid>
    <genre>Action</genre>
    <actor>
        <name>Keanu Reeves</name>
        <role>Neo</role>
        <order>0</order>
    </actor>
    <actor>
        <name>Carrie-Anne Moss</name>
        <role>Trinity</role>
        <order>1</order>
        <thumb>{actors}/Carrie-Anne_Moss.jpg</thumb>
    </actor>
</movie>
"""


def publish_folder(folder: Path, title: str) -> Path:
    """The Kodi layout PUBLISH writes (kodi.md): video, <base>.nfo, <base>-art, .actors/."""
    base = folder.name
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{base}.mkv"
    if not video.exists():
        shutil.copy2(SAMPLE, video)
    actors = folder / ".actors"
    actors.mkdir(exist_ok=True)
    Image.new("RGB", (400, 600), (20, 120, 40)).save(folder / f"{base}-poster.jpg")
    Image.new("RGB", (1280, 720), (10, 10, 60)).save(folder / f"{base}-fanart.jpg")
    Image.new("RGBA", (800, 310), (255, 255, 255, 0)).save(folder / f"{base}-clearlogo.png")
    for name in ("Keanu_Reeves", "Carrie-Anne_Moss"):
        Image.new("RGB", (300, 450), (90, 60, 30)).save(actors / f"{name}.jpg")
    (folder / f"{base}.nfo").write_text(NFO.format(title=title, actors=actors), encoding="utf-8")
    return video


@pytest.mark.slow
def test_real_kodi_learns_published_movies(tmp_path):
    if os.environ.get(INSIDE) != "1":
        run_inside_namespace(tmp_path)
        return
    enter_isolated_network()
    library = tmp_path / "movies"
    library.mkdir()
    kodi = RealKodi(tmp_path / "home", library)
    kodi.start(find_kodi())
    try:
        check_against(kodi, tmp_path, library)
    finally:
        kodi.stop()


def check_against(kodi: RealKodi, tmp_path: Path, library: Path) -> None:
    kodi.set_movie_content()
    config_player = {
        "name": "Real Kodi",
        "type": "kodi",
        "url": kodi.url,
        "username": "kodi",
        "password": "metarrd-test",
        "libraries": ["Movies"],
        "timeout_seconds": 10.0,
    }
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "Movies", "path": str(library)}],
            "player": [config_player],
            "daemon": {"notify_window_seconds": 0},
        }
    )
    rt = open_runtime(config)
    try:
        [(_name, ok, message)] = players.test_players(rt)
        assert ok, message
        assert "JSON-RPC v13" in message and "inside Kodi video source 'Movies'" in message

        # 1. a new movie: metarrd asks Kodi to scan its folder
        video = publish_folder(library / "The Matrix (1999)", "The Matrix")
        lib = db.Library.get(db.Library.name == "Movies")
        movie = db.Movie.create(library=lib, path=str(video), title="The Matrix")
        queue(movie)
        [report] = players.process_notifications(rt)
        assert report.sent == 1, report
        assert report.done == [f"scanned {video.parent}/ for 1 new movie(s)"]

        movies = kodi.wait_for(
            "added the movie",
            lambda: kodi.call("VideoLibrary.GetMovies", {"properties": ["file"]}).get("movies"),
        )
        assert [m["file"] for m in movies] == [str(video)]
        details = movie_details(kodi, movies[0]["movieid"])
        assert details["title"] == "The Matrix"
        assert details["year"] == 1999
        assert details["uniqueid"] == {"tmdb": "603", "imdb": "tt0133093"}
        assert details["imdbnumber"] == "603"  # the default uniqueid
        cast = {c["name"]: c for c in details["cast"]}
        assert cast["Keanu Reeves"]["role"] == "Neo"
        assert "Keanu_Reeves.jpg" in unquote(cast["Keanu Reeves"].get("thumbnail", ""))
        assert "Carrie-Anne_Moss.jpg" in unquote(cast["Carrie-Anne Moss"].get("thumbnail", ""))
        art = {k: unquote(v) for k, v in details["art"].items()}
        assert art["poster"].endswith("The Matrix (1999)-poster.jpg/")
        assert art["fanart"].endswith("The Matrix (1999)-fanart.jpg/")
        assert art["clearlogo"].endswith("The Matrix (1999)-clearlogo.png/")

        # 2. the same movie published again with a new NFO: Kodi refreshes it (no scan)
        kodi.wait_for("finished scanning", lambda: not scanning(kodi))
        publish_folder(library / "The Matrix (1999)", "The Matrix (Remastered)")
        queue(movie)
        [report] = players.process_notifications(rt)
        assert report.sent == 1, report
        assert report.done == ["refreshed 1 known movie(s)"]
        # Kodi's refresh removes the movie and adds it again (under a new movieid)
        refreshed = kodi.wait_for(
            "re-read the NFO",
            lambda: [
                m
                for m in kodi.call("VideoLibrary.GetMovies", {"properties": ["title"]}).get(
                    "movies", []
                )
                if m["title"] == "The Matrix (Remastered)"
            ],
        )
        assert len(refreshed) == 1
        kodi.wait_for("finished refreshing", lambda: not scanning(kodi))
        assert len(kodi.call("VideoLibrary.GetMovies")["movies"]) == 1
    finally:
        rt.close()


def movie_details(kodi: RealKodi, movieid: int) -> dict:
    props = ["title", "year", "uniqueid", "imdbnumber", "cast", "art", "file"]
    return kodi.call("VideoLibrary.GetMovieDetails", {"movieid": movieid, "properties": props})[
        "moviedetails"
    ]


def scanning(kodi: RealKodi) -> bool:
    answer = kodi.call("XBMC.GetInfoBooleans", {"booleans": ["Library.IsScanningVideo"]})
    return bool(answer.get("Library.IsScanningVideo"))


def run_inside_namespace(tmp_path: Path) -> None:
    """Re-run this test with pytest in a new network namespace; fail with its output."""
    missing = [tool for tool in ("Xvfb", "unshare", "ip") if shutil.which(tool) is None]
    if find_kodi() is None:
        if not IN_CI:
            pytest.skip("kodi is not installed (CI installs it with .ci/install-kodi.sh)")
        pytest.fail("kodi is not installed: run .ci/install-kodi.sh before the tests in CI")
    if missing:
        pytest.fail(
            f"kodi is installed but {', '.join(missing)} is missing: run .ci/install-kodi.sh"
        )
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    env = {**os.environ, INSIDE: "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [
        *unshare,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "--basetemp",
        str(tmp_path / "inner"),
        f"{Path(__file__)}::test_real_kodi_learns_published_movies",
    ]
    try:
        done = subprocess.run(
            cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the real-Kodi test did not finish in 300 s:\n{exc.stdout}\n{exc.stderr}")
    if done.returncode != 0:
        pytest.fail(
            f"real Kodi test failed inside the network namespace (exit {done.returncode}):\n"
            f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
        )
