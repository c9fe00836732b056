"""The soak test: a real `metarrd run` under a mixed load for a bounded time, then the books.

For SOAK_SECONDS a seeded random schedule drives the daemon the way a household does: movies
arrive (some with the user's own NFO and poster), folders are renamed and deleted, the providers
fail (5xx, 429, slowness), pages are read and Publish/Republish pressed in the web UI, and the
daemon is SIGKILLed and restarted, three times (the load goes on until then). `auto_publish` is
on, so every movie goes all the way to the library. Then the load stops, the test waits (polling the jobs table, with a deadline) until
nothing is queued or running, presses Republish for what a rename left outdated, stops the
daemon with SIGINT, and checks:

- 0 lost items: every video on disk is one item, enriched and published, at its current path;
  every deleted one is marked missing;
- 0 duplicate jobs: no two *queued* jobs ever had the same key (sampled all along);
- 0 torn files: every NFO parses, every image opens, every file in the publish ledger that is
  still there has the SHA-256 the ledger says;
- 0 temp files (`.metarrd-tmp-…`) in the library or data_dir, and `tmp/` empty;
- the user's own files all byte-identical somewhere: where they were, or in the cache/backup;

and prints a report of its figures. Run it alone with:

    pytest -q -s -m slow tests/soak            (METARRD_SOAK_SEED, METARRD_SOAK_SECONDS to vary)
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import peewee as pw
import pytest
from PIL import Image

from metarrd import db
from metarrd.atomic import TEMP_MARKER
from metarrd.config import load_config
from metarrd.pipeline import jobs
from metarrd.runtime import open_runtime
from metarrd.simulator import Simulator
from metarrd.simulator.catalog import synthetic_movie

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "media" / "h264_aac_mono.mp4"
SEED = int(os.environ.get("METARRD_SOAK_SEED", "20261111"))
SOAK_SECONDS = float(os.environ.get("METARRD_SOAK_SECONDS", "45"))
# after the load: a bound on reaching quiescence, polled (a 30 s job retry fits; at a load
# average of 30 on 2 cores settling took 70 s, so the bound is well above that)
SETTLE_DEADLINE = 240.0
POOL = 60  # synthetic movies the simulator knows


# --- the daemon process ----------------------------------------------------------------------


class Daemon:
    """`metarrd run` as a child; each start logs to its own file."""

    def __init__(self, config_path: Path, logs: Path) -> None:
        self.config_path, self.logs = config_path, logs
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.logs / f"daemon-{self.starts}.log"

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.logs.glob("daemon-*.log"))
        )

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "w") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "metarrd.cli", "--config", str(self.config_path), "run"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                cwd=REPO,
            )
        deadline = time.monotonic() + 60
        while "metarrd daemon ready" not in self.log_path.read_text(errors="replace"):
            assert self.proc.poll() is None, f"daemon exited:\n{self.output()[-4000:]}"
            assert time.monotonic() < deadline, "daemon did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def reap(self) -> None:
        """Kill a daemon still running when the test ends (a failed soak leaves none behind)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def write_config(tmp_path: Path, sim: Simulator) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""data_dir = "{tmp_path}/data"
[[library]]
name = "Movies"
path = "{tmp_path}/movies"
[providers]
timeout_seconds = 5.0
max_retries = 2
[providers.tmdb]
api_key = "{sim.keys.tmdb_key}"
base_url = "{sim.tmdb_url}"
[providers.fanart]
api_key = "{sim.keys.fanart_key}"
base_url = "{sim.fanart_url}"
[workflow]
auto_publish = true
[daemon]
workers = 2
settle_seconds = 0.5
full_rescan_hours = 0.0
notify_window_seconds = 0.5
"""
    )
    return path


# --- the user's library ----------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Entry:
    tmdb_id: int
    folder: Path
    video_name: str
    user_files: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256
    deleted: bool = False
    renamed: int = 0

    @property
    def video(self) -> Path:
        return self.folder / self.video_name


def user_nfo(title: str, year: str, tmdb_id: int, rng: random.Random) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<movie>\n'
        f"  <title>{title}</title>\n  <year>{year}</year>\n"
        f'  <uniqueid type="tmdb" default="true">{tmdb_id}</uniqueid>\n'
        f"  <tag>mine-{rng.randrange(10**6)}</tag>\n  <userrating>{rng.randint(1, 10)}</userrating>\n"
        "</movie>\n"
    ).encode()


def user_poster(rng: random.Random) -> bytes:
    buf = io.BytesIO()
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    Image.new("RGB", (400, 600), colour).save(buf, "JPEG", quality=90)
    return buf.getvalue()


class Household:
    """What a user does to the library; remembers what should be there afterwards."""

    def __init__(self, root: Path, incoming: Path, rng: random.Random) -> None:
        self.root, self.incoming, self.rng = root, incoming, rng
        self.entries: list[Entry] = []
        self.unused = list(range(POOL))
        rng.shuffle(self.unused)
        self.counts: Counter[str] = Counter()

    def live(self) -> list[Entry]:
        return [e for e in self.entries if not e.deleted]

    def add(self) -> None:
        if not self.unused:
            return
        m = synthetic_movie(self.unused.pop())
        year = m.release_date[:4]
        name = f"{m.title} ({year}) {{tmdb-{m.id}}}"
        staging = self.incoming / name
        staging.mkdir(parents=True)
        entry = Entry(m.id, self.root / name, f"{m.title} ({year}).mp4")
        stem = Path(entry.video_name).stem
        if self.rng.random() < 0.4:
            (staging / f"{stem}.nfo").write_bytes(user_nfo(m.title, year, m.id, self.rng))
        if self.rng.random() < 0.4:
            (staging / f"{stem}-poster.jpg").write_bytes(user_poster(self.rng))
        for f in staging.iterdir():
            entry.user_files[f.name] = sha256(f)
        shutil.copyfile(SAMPLE, staging / entry.video_name)
        os.rename(staging, entry.folder)  # moved in whole, as Radarr imports
        self.entries.append(entry)
        self.counts["added"] += 1

    def rename(self) -> None:
        live = self.live()
        if not live:
            return
        entry = self.rng.choice(live)
        entry.renamed += 1
        base = re.sub(r" \[r\d+\]$", "", entry.folder.name)
        target = entry.folder.with_name(f"{base} [r{entry.renamed}]")
        os.rename(entry.folder, target)
        entry.folder = target
        self.counts["renamed"] += 1

    def delete(self) -> None:
        live = self.live()
        if len(live) < 4:
            return
        entry = self.rng.choice(live)
        remove_tree(entry.folder)
        entry.deleted = True
        self.counts["deleted"] += 1


def remove_tree(folder: Path) -> None:
    """`rm -rf` of a folder the daemon may be publishing into: a temp file of its renamed or
    removed between the listing and the unlink is no error (rm -rf ignores it too), and a file
    it adds meanwhile is removed on the next pass."""
    for _ in range(50):
        shutil.rmtree(folder, onerror=_vanished_or_refilled)
        if not os.path.lexists(folder):
            return
        time.sleep(0.05)
    raise AssertionError(f"{folder} could not be removed")


def _vanished_or_refilled(_function, _path, exc_info) -> None:
    exc = exc_info[1]
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOTEMPTY:
        return
    raise exc


# --- provider faults and web requests ------------------------------------------------------


def inject_fault(sim: Simulator, rng: random.Random, counts: Counter, *, early: bool) -> None:
    """One of the simulator's fault switches. Three 5xx in a row outlast the HTTP client's own
    retries (max_retries = 2) and send the job to its 30 s retry: only early in the load, so
    that retry is over before the deadline."""
    kind = rng.choice(["5xx-api", "5xx-images", "429", "slow", "calm"])
    if kind == "5xx-api":
        n = rng.randint(1, 3 if early else 2)
        sim.fail_5xx(n=n, status=rng.choice([500, 502, 503]), prefix="/3/movie")
    elif kind == "5xx-images":
        sim.fail_5xx(n=rng.randint(1, 4), prefix="/t/p/")
    elif kind == "429":
        sim.fail_429(n=rng.randint(1, 2), retry_after=1)
    elif kind == "slow":
        sim.set_latency(rng.choice([0.2, 0.5]))
    else:
        sim.reset_faults()
    counts[kind] += 1


class Browser:
    """The web UI in this process (it shares data_dir with the daemon, as gunicorn does)."""

    def __init__(self, config) -> None:
        from metarrd.web import create_app

        self.client = create_app(config).test_client()
        self.statuses: Counter[int] = Counter()
        self.presses: Counter[str] = Counter()
        self._token: str | None = None

    def get(self, url: str) -> None:
        self.statuses[self.client.get(url).status_code] += 1

    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/settings").get_data(as_text=True)
            self._token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self._token

    def press(self, movie_id: int, action: str) -> None:
        answer = self.client.post(f"/movies/{movie_id}/{action}", data={"csrf_token": self.token()})
        self.statuses[answer.status_code] += 1
        self.presses[action] += 1

    def browse(self, rng: random.Random) -> None:
        ids = [m.id for m in db.Movie.select(db.Movie.id)]
        url = rng.choice(["/", "/activity", "/healthz", "/identify", "/settings"])
        if ids and rng.random() < 0.5:
            url = f"/movies/{rng.choice(ids)}"
        self.get(url)
        outdated = list(db.Movie.select().where(db.Movie.publish_state == db.OUTDATED))
        if outdated and rng.random() < 0.5:
            self.press(rng.choice(outdated).id, "republish")


# --- the books ---------------------------------------------------------------------------------


def duplicate_queued_jobs() -> int:
    """Keys with more than one *queued* job (a request must merge into the waiting one)."""
    return (
        db.Job.select(db.Job.key)
        .where(db.Job.state == jobs.QUEUED)
        .group_by(db.Job.key)
        .having(pw.fn.COUNT(db.Job.id) > 1)
        .count()
    )


def busy_jobs() -> int:
    return db.Job.select().where(db.Job.state.in_((jobs.QUEUED, jobs.RUNNING))).count()


def wait_quiet(deadline: float, samples: list[int]) -> bool:
    """Nothing queued or running for three polls in a row (the watcher's settle time included)."""
    quiet = 0
    while time.monotonic() < deadline:
        samples.append(duplicate_queued_jobs())
        quiet = quiet + 1 if busy_jobs() == 0 else 0
        if quiet >= 3:
            return True
        time.sleep(1.0)
    return False


def lost_items(household: Household) -> list[str]:
    problems = []
    for entry in household.entries:
        rows = list(db.Movie.select().where(db.Movie.path == str(entry.video)))
        if entry.deleted:
            if any(not r.missing for r in rows):
                problems.append(f"{entry.video}: deleted, not marked missing")
            continue
        if len(rows) != 1:
            problems.append(f"{entry.video}: {len(rows)} items")
            continue
        row = rows[0]
        state = (row.missing, row.identification_status, row.publish_state)
        if state != (False, db.ENRICHED, db.PUBLISHED) or row.tmdb_id != entry.tmdb_id:
            problems.append(f"{entry.video}: {state} tmdb {row.tmdb_id}: {row.last_error}")
    on_disk = {str(e.video) for e in household.live()}
    for row in db.Movie.select().where(~db.Movie.missing):
        if row.path not in on_disk:
            problems.append(f"item {row.id} ({row.path}): not missing, but no such file")
    return problems


def torn_files(root: Path) -> list[str]:
    torn = []
    for path in root.rglob("*"):
        if not path.is_file() or path.name.startswith(TEMP_MARKER):
            continue
        try:
            if path.suffix == ".nfo":
                ET.fromstring(path.read_bytes())
            elif path.suffix in (".jpg", ".png", ".webp"):
                with Image.open(path) as image:
                    image.verify()
        except Exception as exc:  # noqa: BLE001 - any failure to read is a torn file
            torn.append(f"{path}: {exc}")
    for row in db.LibraryFile.select():
        path = Path(row.path)
        if path.is_file() and sha256(path) != row.sha256:
            torn.append(f"{path}: not what the publish ledger says")
    return torn


def temp_files(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        found += [str(p) for p in root.rglob(f"{TEMP_MARKER}*")]
    return found


def stray_folders(root: Path) -> list[str]:
    """Folders in the library with no video (a publish into a folder the user had moved)."""
    return [
        str(d)
        for d in root.iterdir()
        if d.is_dir() and not any(p.suffix == ".mp4" for p in d.iterdir())
    ]


def user_files_not_kept(household: Household, data: Path) -> list[str]:
    kept_copies = {p.stem: p for sub in ("cache", "backup") for p in (data / sub).rglob("*.*")}
    missing = []
    for entry in household.live():
        for name, digest in entry.user_files.items():
            here = entry.folder / name
            if here.is_file() and sha256(here) == digest:
                continue
            copy = kept_copies.get(digest)
            if copy is None or sha256(copy) != digest:
                missing.append(f"{here}: neither there nor in the cache/backup")
    return missing


# --- the test ----------------------------------------------------------------------------------


def test_soak(tmp_path, request):
    started = time.monotonic()
    rng = random.Random(SEED)
    root, incoming, data = tmp_path / "movies", tmp_path / "incoming", tmp_path / "data"
    root.mkdir()
    incoming.mkdir()
    (tmp_path / "logs").mkdir()
    household = Household(root, incoming, rng)
    faults: Counter[str] = Counter()
    dup_samples: list[int] = []
    kills = 0
    with Simulator(extra_movies=POOL, candidates_per_movie=4) as sim:
        config_path = write_config(tmp_path, sim)
        for _ in range(4):
            household.add()  # there before the daemon's first start-up scan
        daemon = Daemon(config_path, tmp_path / "logs")
        request.addfinalizer(daemon.reap)
        daemon.start()
        config = load_config(config_path)
        rt = open_runtime(config)
        browser = Browser(config)
        kill_at = sorted(rng.uniform(5, SOAK_SECONDS - 5) for _ in range(3))
        load_started = time.monotonic()
        # until the three kills are made too: on a loaded machine a restart (until "ready")
        # can take so long that the last one's time came after SOAK_SECONDS
        while (elapsed := time.monotonic() - load_started) < SOAK_SECONDS or kill_at:
            if kill_at and elapsed >= kill_at[0]:
                kill_at.pop(0)
                daemon.kill()
                kills += 1
                daemon.start()
            action = rng.choices(
                ["add", "rename", "delete", "fault", "web"], weights=[40, 12, 8, 15, 25]
            )[0]
            if action == "add":
                household.add()
            elif action == "rename":
                household.rename()
            elif action == "delete":
                household.delete()
            elif action == "fault":
                inject_fault(sim, rng, faults, early=elapsed < SOAK_SECONDS / 2)
            else:
                browser.browse(rng)
            dup_samples.append(duplicate_queued_jobs())
            time.sleep(rng.uniform(0.1, 0.8))  # pacing of the load, not a wait for a result
        load_seconds = time.monotonic() - load_started

        sim.reset_faults()
        settle_started = time.monotonic()
        deadline = settle_started + SETTLE_DEADLINE
        quiet = wait_quiet(deadline, dup_samples)
        left = db.Movie.select().where(~db.Movie.missing, db.Movie.publish_state != db.PUBLISHED)
        for movie in list(left):  # read to the end first: each request closes the connection
            browser.press(
                movie.id, "republish" if movie.publish_state == db.OUTDATED else "publish"
            )
        quiet = wait_quiet(deadline, dup_samples) and quiet
        settle_seconds = time.monotonic() - settle_started
        stop_code = daemon.stop()
        sim_requests = len(sim.requests)
        sim_errors = sum(1 for hit in sim.requests if hit.status >= 429)

    lost = lost_items(household)
    torn = torn_files(root)
    temps = temp_files(root, data)
    tmp_left = [str(p) for p in (data / "tmp").iterdir()]
    strays = stray_folders(root)
    not_kept = user_files_not_kept(household, data)
    job_states = Counter((j.kind, j.state) for j in db.Job.select())
    report = {
        "seed": SEED,
        "seconds": {
            "load": round(load_seconds, 1),
            "settle": round(settle_seconds, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "items": {
            **household.counts,
            "live": len(household.live()),
            "published": db.Movie.select().where(db.Movie.publish_state == db.PUBLISHED).count(),
            "user_files": sum(len(e.user_files) for e in household.live()),
        },
        "jobs": {f"{k}:{s}": n for (k, s), n in sorted(job_states.items())},
        "jobs_total": sum(job_states.values()),
        "jobs_failed": sorted(
            f"{j.kind} item {j.movie_id}: {(j.error or '')[:120]}"
            for j in db.Job.select().where(db.Job.state == jobs.FAILED)
        ),
        "kills": kills,
        "daemon_starts": daemon.starts,
        "faults": dict(faults),
        "provider_requests": sim_requests,
        "provider_errors_served": sim_errors,
        "web": {
            "requests": sum(browser.statuses.values()),
            "statuses": {str(k): v for k, v in sorted(browser.statuses.items())},
            "presses": dict(browser.presses),
        },
        "lost": len(lost),
        "duplicate_queued_jobs_max": max(dup_samples, default=0),
        "torn": len(torn),
        "temp_files": len(temps) + len(tmp_left),
        "stray_folders": len(strays),
        "user_files_not_kept": len(not_kept),
    }
    text = json.dumps(report, indent=1)
    print(f"\nsoak report:\n{text}")
    (tmp_path / "soak-report.json").write_text(text)
    if out := os.environ.get("METARRD_SOAK_REPORT"):
        Path(out).write_text(text)
    rt.close()

    tail = daemon.output()[-6000:]
    assert quiet, f"jobs still queued or running after {SETTLE_DEADLINE:.0f}s:\n{tail}"
    assert stop_code == 0
    assert "Traceback" not in daemon.output(), tail
    assert lost == [], lost
    assert report["duplicate_queued_jobs_max"] == 0
    assert torn == [], torn
    assert temps == [] and tmp_left == [], temps + tmp_left
    assert strays == [], strays
    assert not_kept == [], not_kept
    assert not [s for s in browser.statuses if s >= 500], browser.statuses
    assert household.counts["added"] >= 10 and kills == 3
