"""Scale-out benchmark: enrich throughput of 1, 2 and 4 `metarrd run --role worker` processes
(one job thread each) on PostgreSQL + Redis, and the same on the SQLite default, against the
provider simulator with latency on every request.

    python -m bench.scale [--movies 24] [--latency-ms 50] [--candidates 12] [--procs 1,2,4]
                          [--database-url postgresql://…] [--queue-url redis://…]

Without URLs, `.ci/services.sh env` is read (start the services first: `make services`). Each run
gets a fresh database (a new PostgreSQL database; a new data_dir on SQLite) with the movies
scanned and identified; the workers are started and ready before the enrich jobs are queued, and
the clock runs from the enqueue to the last job done. Reported: seconds, movies per second and
the ratio of throughput to one worker of the same backend. Floor: one worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import link_sample
from metarrd import db
from metarrd.config import load_config
from metarrd.identify import identify_many
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from metarrd.scan import scan

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "media" / "h264_aac_mono.mp4"
SIM_SCRIPT = """
import sys
from metarrd.simulator import Simulator
sim = Simulator(latency={latency}, candidates_per_movie={candidates}, extra_movies={count},
                cache_bytes=1 << 30)
sim.start()
print(sim.port, sim.keys.tmdb_key, sim.keys.fanart_key, sim.keys.tvdb_key, flush=True)
sys.stdin.read()
sim.stop()
"""


def start_simulator(latency: float, candidates: int, count: int):
    script = SIM_SCRIPT.format(latency=latency, candidates=candidates, count=count)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    port, tmdb, fanart, tvdb = proc.stdout.readline().split()
    return proc, f"http://127.0.0.1:{port}", (tmdb, fanart, tvdb)


def services_env() -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(REPO / ".ci" / "services.sh"), "env"], capture_output=True, text=True
    )
    found = {}
    for line in out.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        found[key] = value
    return found


def fresh_pg(url: str, name: str) -> str:
    import psycopg2
    from playhouse.db_url import parse

    params = parse(url)
    params.pop("database", None)
    conn = psycopg2.connect(dbname="postgres", **params)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return url.rsplit("/", 1)[0] + "/" + name


def make_library(root: Path, count: int) -> None:
    from metarrd.simulator.catalog import synthetic_movie

    for i in range(count):
        m = synthetic_movie(i)
        name = f"{m.title} ({m.release_date[:4]}) {{tmdb-{m.id}}}"
        (root / name).mkdir(parents=True)
        link_sample(SAMPLE, root / name / f"{name}.mp4", root)


def write_config(path: Path, data: Path, library: Path, base: str, keys, backend: dict) -> Path:
    tmdb, fanart, tvdb = keys
    text = (
        f'data_dir = "{data}"\n[[library]]\nname = "Movies"\npath = "{library}"\n'
        f"[providers]\ntimeout_seconds = 20.0\n"
        f'[providers.tmdb]\napi_key = "{tmdb}"\nbase_url = "{base}/3"\n'
        f'[providers.fanart]\napi_key = "{fanart}"\nbase_url = "{base}/v3"\n'
        f'[providers.tvdb]\napi_key = "{tvdb}"\nbase_url = "{base}/v4"\n'
        f"[daemon]\nworkers = 1\nsettle_seconds = 1.0\nfull_rescan_hours = 0.0\n"
    )
    for table, values in backend.items():
        text += f"[{table}]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items())
    path.write_text(text)
    return path


def one_run(tmp: Path, procs: int, count: int, base: str, keys, backend: dict) -> float:
    library = tmp / "movies"
    cfg = write_config(tmp / "host0.toml", tmp / "host0", library, base, keys, backend)
    config = load_config(cfg)
    rt = open_runtime(config)
    identify_many(rt, scan(rt).new, threads=4)
    queue.configure(config)
    jobs.bind(rt)
    workers, logs = [], []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for i in range(procs):
        # on PostgreSQL each worker is a "host" of its own (data_dir); on SQLite they share one
        data = tmp / (f"host{i}" if backend else "host0")
        wcfg = write_config(tmp / f"worker{i}.toml", data, library, base, keys, backend)
        log = open(tmp / f"worker{i}.log", "w")  # noqa: SIM115
        logs.append(log)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "metarrd.cli",
                    "--config",
                    str(wcfg),
                    "run",
                    "--role",
                    "worker",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
            )
        )
    for i in range(procs):
        deadline = time.monotonic() + 60
        while "metarrd daemon ready" not in (tmp / f"worker{i}.log").read_text():
            if time.monotonic() > deadline:
                raise RuntimeError((tmp / f"worker{i}.log").read_text())
            time.sleep(0.1)
    movies = [m.id for m in db.Movie.select(db.Movie.id)]
    started = time.perf_counter()
    for movie_id in movies:
        jobs.enqueue_enrich(movie_id, manual=False)
    while True:
        left = (
            db.Job.select()
            .where(db.Job.kind == "enrich", db.Job.state.in_(["queued", "running"]))
            .count()
        )
        if not left:
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    failed = db.Job.select().where(db.Job.kind == "enrich", db.Job.state != "done").count()
    for p in workers:
        p.send_signal(2)
    for p in workers:
        p.wait(90)
    for log in logs:
        log.close()
    rt.close()
    if failed:
        raise RuntimeError(f"{failed} enrich jobs failed; see {tmp}/worker*.log")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--movies", type=int, default=24)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--candidates", type=int, default=12)
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--database-url")
    ap.add_argument("--queue-url")
    args = ap.parse_args()
    env = services_env()
    db_url = args.database_url or env.get("METARRD_TEST_DATABASE_URL", "")
    queue_url = args.queue_url or env.get("METARRD_TEST_QUEUE_URL", "")
    procs = [int(p) for p in args.procs.split(",")]
    sim, base, keys = start_simulator(args.latency_ms / 1000, args.candidates, args.movies)
    print(
        f"enrich of {args.movies} movies, {args.candidates} candidates each, "
        f"{args.latency_ms:.0f} ms per provider request, 1 job thread per worker process",
        flush=True,
    )
    try:
        # warm-up, not reported: the simulator renders each image once, on its first request
        tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-scale-"))
        make_library(tmp / "movies", args.movies)
        one_run(tmp, max(procs), args.movies, base, keys, {})
        shutil.rmtree(tmp, ignore_errors=True)
        backends = [("SQLite", {})]
        if db_url and queue_url:
            backends.insert(0, ("PostgreSQL+Redis", {}))
        for label, _ in backends:
            first = None
            for n in procs:
                tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-scale-"))
                make_library(tmp / "movies", args.movies)
                backend = {}
                if label != "SQLite":
                    name = f"metarrd_bench_{os.getpid()}_{n}"
                    backend = {
                        "database": {"url": fresh_pg(db_url, name)},
                        "queue": {"url": queue_url, "name": f"bench{os.getpid()}x{n}"},
                    }
                seconds = one_run(tmp, n, args.movies, base, keys, backend)
                rate = args.movies / seconds
                first = first or rate
                print(
                    f"{label:<17} {n} worker{'s' if n > 1 else ' '}  {seconds:7.2f} s  "
                    f"{rate:6.2f} movies/s  ratio to 1 worker {rate / first:5.2f}x",
                    flush=True,
                )
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        sim.stdin.close()
        sim.wait(10)


if __name__ == "__main__":
    main()
