"""A real, headless Kodi for the integration test: a throw-away profile, Xvfb and `kodi.bin`.

Kodi's web server binds every interface, so this runs only inside a network namespace that has
nothing but loopback (plus a tap device carrying 127.0.0.2: with `lo` alone Kodi's web server
silently never starts). `enter_isolated_network()` sets that up and refuses to go on when any
other interface is visible, so no traffic can leave the machine.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

PORT = 8080
USER, PASSWORD = "kodi", "metarrd-test"
TAP = "mtap0"

GUISETTINGS = f"""<settings version="2">
    <setting id="services.webserver">true</setting>
    <setting id="services.webserverport">{PORT}</setting>
    <setting id="services.webserverauthentication">true</setting>
    <setting id="services.webserverusername">{USER}</setting>
    <setting id="services.webserverpassword">{PASSWORD}</setting>
    <setting id="services.zeroconf">false</setting>
    <setting id="services.upnp">false</setting>
    <setting id="general.addonupdates">2</setting>
    <setting id="videolibrary.actorthumbs">true</setting>
</settings>
"""

SOURCES = """<sources>
    <video>
        <default pathversion="1"></default>
{sources}    </video>
</sources>
"""
SOURCE = """        <source>
            <name>{name}</name>
            <path pathversion="1">{path}</path>
            <allowsharing>true</allowsharing>
        </source>
"""

# ALSA's default device becomes a null sink: without it Kodi probes audio for seconds.
ASOUNDRC = """pcm.!default { type null }
ctl.!default { type hw card 0 }
"""


def find_kodi() -> str | None:
    for candidate in [shutil.which("kodi.bin"), *sorted(glob.glob("/usr/lib/*/kodi/kodi.bin"))]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def enter_isolated_network() -> None:
    """Bring up lo and a tap device with 127.0.0.2 in this (fresh) network namespace."""
    listing = subprocess.run(
        ["ip", "-o", "link", "show"], check=True, capture_output=True, text=True
    )
    names = {line.split(":")[1].strip().split("@")[0] for line in listing.stdout.splitlines()}
    others = sorted(names - {"lo", TAP})
    if others:
        raise RuntimeError(f"not in an isolated network namespace: interfaces {others} exist")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "tuntap", "add", "dev", TAP, "mode", "tap"], check=True)
    subprocess.run(["ip", "link", "set", TAP, "up"], check=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", TAP], check=True)


class RealKodi:
    def __init__(self, home: Path, source: Path, tv_source: Path | None = None):
        self.home = home
        self.source = source
        self.tv_source = tv_source  # a second video source "TV" (content: tvshows)
        self.userdata = home / ".kodi" / "userdata"
        self.procs: list[subprocess.Popen] = []
        self.url = f"http://127.0.0.1:{PORT}"
        self.session = requests.Session()
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.session.headers["Authorization"] = f"Basic {token}"

    # --- life cycle ---------------------------------------------------------------------------

    def write_profile(self) -> None:
        self.userdata.mkdir(parents=True, exist_ok=True)
        (self.userdata / "guisettings.xml").write_text(GUISETTINGS)
        sources = SOURCE.format(name="Movies", path=f"{self.source}/")
        if self.tv_source is not None:
            sources += SOURCE.format(name="TV", path=f"{self.tv_source}/")
        (self.userdata / "sources.xml").write_text(SOURCES.format(sources=sources))
        (self.home / ".asoundrc").write_text(ASOUNDRC)

    def start(self, kodi_bin: str, timeout: float = 90) -> None:
        self.write_profile()
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x720x24",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=open(self.home / "xvfb.log", "wb"),  # noqa: SIM115 (lives as long as Xvfb)
        )
        self.procs.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            display = pipe.readline().strip()
        if not display:
            raise RuntimeError(f"Xvfb did not start: {(self.home / 'xvfb.log').read_text()}")
        env = {**os.environ, "HOME": str(self.home), "DISPLAY": f":{display}"}
        kodi = subprocess.Popen(
            [kodi_bin, "--windowing=x11"],
            env=env,
            stdout=open(self.home / "kodi.out", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.procs.append(kodi)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if kodi.poll() is not None:
                raise RuntimeError(f"kodi exited with {kodi.returncode}: {self.log_tail()}")
            try:
                self.call("JSONRPC.Ping")
                return
            except (requests.RequestException, RuntimeError):
                time.sleep(0.5)
        raise RuntimeError(f"Kodi's web server did not answer in {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Application.Quit")
        for proc in reversed(self.procs):
            if proc is self.procs[0]:  # Xvfb, which never ends by itself: Kodi has left it
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if proc.poll() is None:
                proc.terminate()
        self.session.close()

    def log_tail(self, lines: int = 40) -> str:
        log = self.home / ".kodi" / "temp" / "kodi.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- JSON-RPC -----------------------------------------------------------------------------

    def call(self, method: str, params: dict | None = None) -> Any:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            body["params"] = params
        resp = self.session.post(f"{self.url}/jsonrpc", json=body, timeout=10)
        resp.raise_for_status()
        answer = resp.json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def image(self, art_url: str) -> bytes:
        """An image as Kodi serves it (`/image/<art url>`): from its texture cache, which this
        fills when the image is not cached yet."""
        resp = self.session.get(f"{self.url}/image/{quote(art_url, safe='')}", timeout=10)
        resp.raise_for_status()
        return resp.content

    def scanning(self) -> bool:
        answer = self.call("XBMC.GetInfoBooleans", {"booleans": ["Library.IsScanningVideo"]})
        return bool(answer.get("Library.IsScanningVideo"))

    def wait_for(self, what: str, probe, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"Kodi never {what} within {timeout} s:\n{self.log_tail()}")

    # --- the video database -------------------------------------------------------------------

    def set_movie_content(self) -> None:
        """Mark the source as movies scanned with "Local information only" (what the Set
        Content dialog stores), in the video database Kodi created at start; the TV source,
        when there is one, as TV shows (one show per folder below it) the same way."""
        db_path = self.wait_for(
            "created its video database",
            lambda: sorted(glob.glob(str(self.userdata / "Database" / "MyVideos*.db")))[-1:],
        )[0]
        with sqlite3.connect(db_path, timeout=30) as con:
            self.wait_for(
                "created the path table",
                lambda: con.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='path'"
                ).fetchone(),
            )
            con.execute(
                "INSERT INTO path (strPath, strContent, strScraper, strHash, scanRecursive,"
                " useFolderNames, strSettings, noUpdate, exclude, allAudio)"
                " VALUES (?, 'movies', 'metadata.local', NULL, 2147483647, 0, '', 0, 0, 0)",
                (f"{self.source}/",),
            )
            if self.tv_source is not None:
                # Set Content "TV shows": scanRecursive 0 (each folder below is a show, whose
                # own folders Kodi walks anyway), "Local information only"
                con.execute(
                    "INSERT INTO path (strPath, strContent, strScraper, strHash, scanRecursive,"
                    " useFolderNames, strSettings, noUpdate, exclude, allAudio)"
                    " VALUES (?, 'tvshows', 'metadata.local', NULL, 0, 0, '', 0, 0, 0)",
                    (f"{self.tv_source}/",),
                )
