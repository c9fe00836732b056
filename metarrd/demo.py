"""`metarrd demo`: the whole product on 127.0.0.1 in one process, with no API key and no internet.

It creates a library of a dozen movies and a small TV library (four shows, with season folders,
a multi-episode file, a special and two series named "Doctor Who": copies of one tiny real video
file, so the scan finds real stream details), starts the provider simulator (fake TMDB, fanart.tv and TheTVDB with
generated images), writes a configuration pointing at both, and runs the web UI (in a thread)
and the daemon (in the main thread, which owns the signals). The daemon's start-up rescan finds
the files; identification and enrichment follow, and every item stops at the review gate,
"Enriched – Unpublished", for you to look at and publish. One item ("The Thing", no year) is
ambiguous on purpose and waits on the Identify page; so does the show "Doctor Who" without a
year (1963 or 2005?).

Ctrl-C stops everything, quietly: running jobs finish, the open pages' live streams end, the
database is closed (no -wal file is left) and the exit status is 0. Without `--dir` the demo lives in a temporary folder that is removed at
the end; with `--dir PATH` it is kept (and reused by the next run).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
from importlib import resources
from pathlib import Path

from metarrd.atomic import write_atomic
from metarrd.files import display, read_regular
from metarrd.text import toml_string

DEMO_HEADER = "# Written by `metarrd demo`"  # the first line of the config.toml it writes

log = logging.getLogger(__name__)


def shell_command(argv0: str | None = None) -> str:
    """How the user can type metarrd in another shell, for the demo's "other commands" line.

    `make demo` runs `.venv/bin/metarrd`, which is on no PATH: a plain `metarrd` there would be
    "command not found". The name on PATH when it is this very script, else the script's own
    path (as typed, from the folder it was typed in), else `python -m metarrd` of this Python.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    script = Path(argv0)
    if script.name == "metarrd":
        on_path = shutil.which("metarrd")
        if on_path and Path(on_path).resolve() == script.resolve():
            return "metarrd"
        return shlex.quote(argv0)
    return f"{shlex.quote(sys.executable)} -m metarrd"


DEMO_MOVIES = (
    "The Matrix (1999)",
    "Alien (1979)",
    "Blade Runner (1982)",
    "Heat (1995)",
    "Dune (1984)",
    "Dune (2021)",
    "Amélie (2001)",
    "Fight Club (1999)",
    "Spirited Away (2001)",
    "Inception (2010)",
    "Parasite (2019)",
    "The Thing",  # no year: 1982 or 2011? left for the Identify page
)


DEMO_EPISODES = (  # real name forms (kodi-tv.md §1); the simulator knows these shows
    "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    "Breaking Bad (2008)/Season 01/Breaking.Bad.s01.e02.mkv",
    "Breaking Bad (2008)/Season 01/Breaking Bad - 1x03 - Bag.mkv",
    "Breaking Bad (2008)/Season 01/Breaking Bad S01E04E05.mkv",
    "Breaking Bad (2008)/Specials/Breaking Bad - S00E01 - Good Cop.mkv",
    "Doctor Who (2005)/Season 01/Doctor Who - S01E01 - Rose.mkv",
    "Doctor Who/Doctor Who - S01E01.mkv",  # no year: left for the Identify page
    "Firefly (2002)/Season 01/Firefly - S01E01 - The Train Job.mkv",
    "Firefly (2002)/Season 01/Firefly - S01E11 - Serenity.mkv",
)


def sample_video() -> Path:
    return Path(str(resources.files("metarrd") / "demo_media" / "sample.mkv"))


def make_library(root: Path, names: tuple[str, ...] = DEMO_MOVIES) -> list[Path]:
    """`<root>/<name>/<name>.mkv` for every name (existing files are kept)."""
    sample = sample_video()
    videos = []
    for name in names:
        video = root / name / f"{name}.mkv"
        if not video.exists():
            video.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample, video)
        videos.append(video)
    return videos


def make_tv_library(root: Path, names: tuple[str, ...] = DEMO_EPISODES) -> list[Path]:
    """`<root>/<show>/.../<episode>` for every relative name (existing files are kept)."""
    sample = sample_video()
    videos = []
    for name in names:
        video = root / name
        if not video.exists():
            video.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample, video)
        videos.append(video)
    return videos


def config_text(base: Path, sim, port: int) -> str:
    """The demo's configuration: our folders, the simulator's URLs and keys, a loopback bind."""
    return f"""{DEMO_HEADER}: the providers are the local simulator on {sim.url}.
data_dir = {toml_string(str(base / "data"))}

[[library]]
name = "Demo movies"
path = {toml_string(str(base / "movies"))}
kind = "movie"

[[library]]
name = "Demo TV"
path = {toml_string(str(base / "tv"))}
kind = "tv"

[providers.tmdb]
api_key = {toml_string(sim.tmdb_key)}
base_url = {toml_string(sim.tmdb_url)}

[providers.fanart]
api_key = {toml_string(sim.fanart_key)}
base_url = {toml_string(sim.fanart_url)}

[providers.tvdb]
api_key = {toml_string(sim.tvdb_key)}
base_url = {toml_string(sim.tvdb_url)}

[daemon]
settle_seconds = 1.0

[web]
bind = "127.0.0.1:{port}"
"""


def write_config(base: Path, sim, port: int) -> Path:
    """`base/config.toml` (`config_text`), 0600 as `metarrd config check` wants a file holding
    secrets (the simulator's provider keys: a copy of this config pointed at the real providers
    keeps its mode), written atomically as every file metarrd writes (an earlier run's is
    replaced whole, and takes this mode too)."""
    path = base / "config.toml"
    write_atomic(path, config_text(base, sim, port).encode("utf-8"), mode=0o600)
    return path


def simulator_stopped(config, *, daemon: bool = False) -> str | None:
    """Why a command that asks the providers cannot run on `config`, or None: it is a kept
    demo's (`metarrd demo --dir DIR`, its file starts with `DEMO_HEADER`), a provider's
    `base_url` is still the demo's simulator, and nothing answers there: the demo has stopped.
    Each request had been tried 5 times, 20 s an item, to say `connection failed
    (WatchedHTTPConnectionPool(…))… gave up after 5 attempts` of every item. A demo's config
    pointed at the real providers (or any other) is left to fail as theirs does. `daemon`:
    for `metarrd run`, which the demo runs itself (a second daemon beside it exits)."""
    if not config.source:
        return None
    try:
        head = read_regular(Path(config.source), 4096).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    first = head.split("\n", 1)[0]
    found = re.match(re.escape(DEMO_HEADER) + r".* on (http://127\.0\.0\.1:(\d+))\.?$", first)
    if found is None:
        return None
    sim_url, sim_port = found.group(1), int(found.group(2))
    providers = config.providers
    bases = (providers.tmdb.base_url, providers.fanart.base_url, providers.tvdb.base_url)
    if not any(base == sim_url or base.startswith(sim_url + "/") for base in bases):
        return None
    try:
        socket.create_connection(("127.0.0.1", sim_port), timeout=2).close()
    except OSError:
        pass
    else:
        return None
    demo_dir = Path(config.source).parent
    port = config.web.bind.rpartition(":")[2]
    again = f"{shell_command()} demo --dir {shlex.quote(str(demo_dir))}"
    if port != "8787":
        again += f" --port {port}"
    then = (
        "it runs the daemon with its simulator"
        if daemon
        else "and run this command in another shell while it runs"
    )
    return (
        f"{config.source} is a kept demo's configuration: its providers are the demo's "
        f"simulator on {sim_url}, which is not running (the demo has stopped); start the demo "
        f"again, `{again}`, {then}"
    )


def foreign_dir(base: Path) -> str | None:
    """Why `metarrd demo --dir base` must not use `base`, or None: it is new, empty, or one an
    earlier demo made (its config.toml starts with `DEMO_HEADER`). The demo writes config.toml
    there, copies sample videos into its `movies/` and `tv/` and publishes NFOs and artwork
    beside them: `--dir /etc/metarrd` replaced the user's own config.toml, `--dir /srv/media`
    put the samples and the demo's NFOs into a real library."""
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot list it: {exc.strerror}"
    if not names:
        return None
    try:
        head = read_regular(base / "config.toml", 4096)
    except OSError as exc:
        why = "it holds no config.toml" if isinstance(exc, FileNotFoundError) else str(exc)
        return f"{why}; it is neither empty nor a folder an earlier demo made"
    if not head.startswith(DEMO_HEADER.encode()):
        return "its config.toml was not written by `metarrd demo` (it would be replaced)"
    return None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: a port
        try:  # whose last connections linger in TIME_WAIT (a demo just stopped) is free
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def simulator_ports(port: int) -> dict:
    """The simulator's ports: its API on `port + 1` and the TMDB, fanart.tv and TheTVDB image
    hosts on the three after it, each when free (else any free one). Fixed, so that a demo kept
    with `--dir` finds every picture at the same address when it starts again: the candidates'
    URLs are the same (nothing is downloaded twice) and so are the actors' `<thumb>` URLs in the
    NFOs, which a host on a new port would change: every published item would turn
    "Republish?" at its next enrich though nothing changed."""
    from metarrd.simulator.server import IMAGE_HOSTS

    def free(p: int) -> int:
        return p if _port_free(p) else 0

    return {
        "port": free(port + 1),
        "image_ports": {name: free(port + 2 + n) for n, name in enumerate(IMAGE_HOSTS)},
    }


def _stop_quietly(app, server) -> None:
    """After the daemon stopped: end the held /live streams before the web server, then close
    the database last, so SQLite folds its -wal file back and removes it (and, without --dir,
    nothing still reads the files that are about to be deleted)."""
    from metarrd import db
    from metarrd.web.live import stop_streams

    if not stop_streams(app):
        log.warning("demo: a live stream did not end in time")
    server.stop()
    db.database.close()


def run_demo(args: argparse.Namespace) -> int:
    from metarrd.config import load_config
    from metarrd.pipeline import daemon
    from metarrd.simulator import Simulator
    from metarrd.web import DevServer, create_app

    port = int(getattr(args, "port", 8787) or 8787)
    keep = bool(getattr(args, "dir", None))
    base = Path(args.dir).absolute() if keep else Path(tempfile.mkdtemp(prefix="metarrd-demo-"))
    if keep and (why := foreign_dir(base)) is not None:
        print(
            f"metarrd demo: --dir {display(base)}: {why}; give a new or empty folder",
            file=sys.stderr,
        )
        return 2
    if not _port_free(port):
        # the whole command: `make demo` takes no --port (its script is on no PATH: the line
        # names it), and a kept demo's --dir goes along
        again = f"{shell_command()} demo --port {port + 10}"
        if keep:
            again += f" --dir {shlex.quote(str(base))}"
        print(
            f"metarrd demo: port {port} on 127.0.0.1 is in use (another demo, or another "
            f"program); choose another: `{again}`",
            file=sys.stderr,
        )
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:
        with Simulator(**simulator_ports(port)) as sim:
            make_library(base / "movies")
            make_tv_library(base / "tv")
            config_path = write_config(base, sim, port)
            config = load_config(config_path)
            app = create_app(config)
            server = DevServer(app, "127.0.0.1", port).start()
            print(
                f"\n  metarrd demo: open {server.url}/\n"
                f"  {len(DEMO_MOVIES)} movies in {base / 'movies'}, "
                f"{len(DEMO_EPISODES)} episode files in {base / 'tv'}; "
                f"providers simulated at {sim.url}\n"
                f"  other commands: {shell_command()} --config {shlex.quote(str(config_path))} list\n"
                "  Ctrl-C stops.\n",
                flush=True,
            )
            try:
                return daemon.run(app.extensions["metarrd.runtime"])
            except daemon.AlreadyRunning as exc:  # another demo's daemon on this --dir
                print(f"metarrd demo: {exc}", file=sys.stderr)
                return 1
            finally:
                _stop_quietly(app, server)
    finally:
        if keep:
            print(f"metarrd demo: stopped; everything is kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
            print("metarrd demo: stopped and cleaned up (use --dir PATH to keep the files)")
