"""Daemon benchmark: a burst of 2,000 new movie files, from the moment they land in a watched
library to the moment all are identified, with a real `metarrd run` process.

    python -m bench.daemon [--count 2000] [--workers 2] [--settle 2] [--names tag|title]

The files are moved into the library at once (as Radarr imports them). Floor: the same scan and
identification done in one process with no watcher and no queue (`scan` then `identify_many` with
as many threads as the daemon has workers) - what the daemon adds is the settle time, the queue
and the per-job bookkeeping. Also checked: none lost, no duplicate jobs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import link_sample, report, timed
from metarrd import db
from metarrd.config import load_config
from metarrd.identify import identify_many
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.simulator import Simulator
from metarrd.simulator.catalog import synthetic_movie

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "media" / "h264_aac_mono.mp4"


def make_files(root: Path, count: int, names: str) -> None:
    for i in range(count):
        m = synthetic_movie(i)
        name = f"{m.title} ({m.release_date[:4]})"
        if names == "tag":
            name += f" {{tmdb-{m.id}}}"
        (root / name).mkdir(parents=True)
        link_sample(SAMPLE, root / name / f"{name}.mp4", root)


def write_config(path: Path, data: Path, library: Path, sim, workers: int, settle: float) -> Path:
    path.write_text(
        f'data_dir = "{data}"\n'
        f'[[library]]\nname = "Movies"\npath = "{library}"\n'
        f"[providers]\ntimeout_seconds = 10.0\n"
        f'[providers.tmdb]\napi_key = "{sim.tmdb_key}"\nbase_url = "{sim.tmdb_url}"\n'
        f"[workflow]\nenrichment = false\n"
        f"[daemon]\nworkers = {workers}\nsettle_seconds = {settle}\nfull_rescan_hours = 0.0\n"
    )
    return path


def floor_run(cfg: Path, threads: int) -> tuple[float, int]:
    rt = open_runtime(load_config(cfg))
    t: dict[str, float] = {}
    with timed(t, "floor"):
        found = scan(rt)
        outcomes = identify_many(rt, found.new, threads=threads)
    rt.close()
    return t["floor"], sum(o.identified for o in outcomes)


def daemon_run(cfg: Path, staging: Path, library: Path, count: int, log: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "metarrd.cli", "--config", str(cfg), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait(lambda: "metarrd daemon ready" in log.read_text(), 60, proc, log)
        rt = open_runtime(load_config(cfg))
        start = time.perf_counter()
        for entry in os.scandir(staging):
            os.rename(entry.path, library / entry.name)

        def done() -> bool:
            finished = db.Job.select().where(
                db.Job.kind == "identify", db.Job.state.in_(("done", "failed"))
            )
            return finished.count() >= count

        _wait(done, 1800, proc, log)
        elapsed = time.perf_counter() - start
        movies = db.Movie.select().count()
        jobs = list(db.Job.select().where(db.Job.kind == "identify"))
        identified = db.Movie.select().where(db.Movie.identification_status == "identified")
        print(
            f"  {movies:,} items, {identified.count():,} identified, {len(jobs):,} identify jobs "
            f"for {len({j.movie_id for j in jobs}):,} items",
            flush=True,
        )
        assert movies == count, f"{count - movies} files were lost"
        assert len(jobs) == len({j.movie_id for j in jobs}) == count, "duplicate identify jobs"
        rt.close()
        return elapsed
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait(predicate, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"timed out; daemon log:\n{log.read_text()[-3000:]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.daemon")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2, help="[daemon] workers (default 2)")
    ap.add_argument("--settle", type=float, default=2.0, help="[daemon] settle_seconds")
    ap.add_argument("--names", choices=["tag", "title"], default="tag",
                    help="{tmdb-ID} in the names (lookup) or title and year only (search)")  # fmt: skip
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-daemon-"))
    try:
        with Simulator(extra_movies=args.count) as sim:
            staging, library = tmp / "staging", tmp / "library"
            library.mkdir()
            make_files(staging, args.count, args.names)
            floor_cfg = write_config(
                tmp / "floor.toml", tmp / "floor", staging, sim, args.workers, args.settle
            )
            floor, n = floor_run(floor_cfg, args.workers)
            print(f"  floor identified {n:,} of {args.count:,}", flush=True)
            cfg = write_config(
                tmp / "daemon.toml", tmp / "data", library, sim, args.workers, args.settle
            )
            elapsed = daemon_run(cfg, staging, library, args.count, tmp / "daemon.log")
        report(
            f"burst of {args.count:,} files -> all identified",
            elapsed,
            floor,
            count=args.count,
            unit="movies",
        )
        print(f"  (includes the {args.settle:g} s settle time; {args.workers} workers)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
