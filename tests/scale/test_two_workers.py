"""Two worker hosts on one PostgreSQL database and one Redis queue (docs/scale-out.md).

Each "host" is a `metarrd run --role worker` process with its own data_dir (as two machines would
have), both seeing the library at the same path and one shared cache; a third process is the
watcher. Runs only with METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL set (`make test`
sets them for its second pass)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from metarrd import db
from metarrd.config import load_config
from metarrd.runtime import open_runtime
from metarrd.simulator import Simulator
from metarrd.simulator.catalog import synthetic_movie
from tests.conftest import TEST_DATABASE_URL, TEST_QUEUE_URL, backend_toml

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_QUEUE_URL),
    reason="needs METARRD_TEST_DATABASE_URL and METARRD_TEST_QUEUE_URL (.ci/services.sh)",
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "media" / "h264_aac_mono.mp4"
BURST = int(os.environ.get("METARRD_TEST_BURST", "2000"))


def host_config(tmp_path: Path, name: str, sim, *, workers: int = 2) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'data_dir = "{tmp_path / name}"\n'
        f'[[library]]\nname = "Movies"\npath = "{tmp_path / "movies"}"\n'
        f"[providers]\ntimeout_seconds = 10.0\n"
        f'[providers.tmdb]\napi_key = "{sim.tmdb_key}"\nbase_url = "{sim.tmdb_url}"\n'
        f"[workflow]\nenrichment = false\n"
        f"[daemon]\nworkers = {workers}\nsettle_seconds = 1.0\nfull_rescan_hours = 0.0\n"
        f'[cache]\ndir = "{tmp_path / "shared-cache"}"\n' + backend_toml()
    )
    return path


class Host:
    def __init__(self, config: Path, role: str) -> None:
        self.log = config.with_suffix(".log")
        self.out = open(self.log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "metarrd.cli", "--config", str(config), "run", "--role", role],
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        wait_for(lambda: "metarrd daemon ready" in self.text(), 60, f"{role} start", self)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def started(self) -> Counter:
        return Counter(int(n) for n in re.findall(r"job (\d+) started", self.text()))

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


def wait_for(predicate, timeout: float, what: str, *hosts: Host):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for h in hosts:
            if h.proc.poll() is not None:
                raise AssertionError(f"{h.log.name} exited:\n{h.text()[-4000:]}")
        time.sleep(0.2)
    logs = "\n".join(f"--- {h.log.name}\n{h.text()[-3000:]}" for h in hosts)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_a_burst_on_two_workers_one_killed_mid_job(tmp_path):
    with Simulator(extra_movies=BURST) as sim:
        _burst(tmp_path, sim)


def _burst(tmp_path: Path, sim) -> None:
    library, staging = tmp_path / "movies", tmp_path / "staging"
    library.mkdir()
    sample = tmp_path / SAMPLE.name  # linked from here: tmp_path may be on a tmpfs, apart
    shutil.copyfile(SAMPLE, sample)  # from the checkout (make test: .ci/test-both.sh)
    for i in range(BURST):
        m = synthetic_movie(i)
        name = f"{m.title} ({m.release_date[:4]}) {{tmdb-{m.id}}}"
        (staging / name).mkdir(parents=True)
        os.link(sample, staging / name / f"{name}.mp4")
    sim.set_latency(0.02)
    watcher = Host(host_config(tmp_path, "watcher", sim), "watcher")
    a = Host(host_config(tmp_path, "host-a", sim), "worker")
    b = Host(host_config(tmp_path, "host-b", sim), "worker")
    hosts = (watcher, a, b)
    rt = open_runtime(load_config(tmp_path / "host-a.toml"))
    try:
        for folder in staging.iterdir():  # Radarr-style: whole folders moved in at once
            folder.rename(library / folder.name)
        a_pid = f":{a.proc.pid}:"

        def running_on_a():
            return (
                db.Job.select()
                .where(
                    db.Job.kind == "identify",
                    db.Job.state == "running",
                    db.Job.lease_owner.contains(a_pid),
                )
                .order_by(db.Job.id)
                .first()
            )

        while True:
            wait_for(running_on_a, 240, "host A to run an identify job", *hosts)
            # frozen before the jobs it holds are read: a job cannot finish between the read
            # and the kill (it did once, and the "victim" ended done at its first attempt)
            os.kill(a.proc.pid, signal.SIGSTOP)
            # a COMMIT host A sent just before it froze may still be on its way to PostgreSQL:
            # let it land, or the job read as running ends done at its first attempt (CI, once)
            time.sleep(1.0)
            victim = running_on_a()
            if victim is not None:
                break
            os.kill(a.proc.pid, signal.SIGCONT)  # it finished them meanwhile: try again
        a.stop(signal.SIGKILL)  # host lost mid-job: no clean-up, no message
        held = {
            j.id
            for j in db.Job.select(db.Job.id).where(
                db.Job.state == "running", db.Job.lease_owner.contains(a_pid)
            )
        } | {victim.id}

        def all_identified():
            done = db.Movie.select().where(db.Movie.identification_status == db.IDENTIFIED).count()
            busy = db.Job.select().where(db.Job.state.in_(["queued", "running"])).count()
            return done == BURST and busy == 0

        wait_for(all_identified, 900, f"{BURST} items identified", watcher, b)
        b_started, a_started = b.started(), a.started()
    finally:
        for h in hosts:
            h.stop(signal.SIGKILL if h is not watcher else signal.SIGINT)

    identify = list(db.Job.select().where(db.Job.kind == "identify"))
    assert len(identify) == BURST  # one job per item: none lost, none duplicated
    assert {j.state for j in identify} == {"done"}
    assert db.Job.select().where(db.Job.state != "done").count() == 0
    per_item = Counter(j.movie_id for j in identify)
    assert set(per_item.values()) == {1}
    # no job ran twice, except those host A held when it died: B ran them once more
    both = a_started + b_started
    twice = {job for job, n in both.items() if n > 1}
    assert twice <= held
    assert all(b_started[j] == 1 and a_started[j] == 1 for j in twice)
    taken = db.Job.get_by_id(victim.id)
    assert taken.state == "done" and taken.attempts == 2
    assert f"job {victim.id} (" in b.text() and "was interrupted" in b.text()
    assert b_started, "host B did work too"
    assert a_started, "host A did work before it died"
    rt.close()


LOCKER = textwrap.dedent(
    """
    import sys, time
    from metarrd.config import load_config
    from metarrd.publish.stage import _folder_lock
    from metarrd.runtime import open_runtime
    from pathlib import Path

    rt = open_runtime(load_config(sys.argv[1]))
    folder, out = Path(sys.argv[2]), Path(sys.argv[3])
    for _ in range(6):
        with _folder_lock(rt, folder):
            start = time.time()
            time.sleep(0.15)
            with open(out, "a") as fh:
                fh.write(f"{start} {time.time()}\\n")
    """
)


def test_publishes_of_one_folder_on_two_hosts_never_overlap(tmp_path, sim):
    (tmp_path / "movies").mkdir()
    folder = tmp_path / "movies" / "Heat (1995)"
    procs = []
    for name in ("host-a", "host-b"):  # separate data_dirs: lock files would not meet
        cfg = host_config(tmp_path, name, sim)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", LOCKER, str(cfg), str(folder), str(tmp_path / f"{name}.t")],
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        )
    assert [p.wait(60) for p in procs] == [0, 0]
    spans = sorted(
        tuple(map(float, line.split()))
        for name in ("host-a", "host-b")
        for line in (tmp_path / f"{name}.t").read_text().splitlines()
    )
    assert len(spans) == 12
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        assert s2 >= e1, "two publishes of one folder overlapped"
