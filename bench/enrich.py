"""Enrich benchmark: `enrich --all` of movies with ~100 artwork candidates each, against the
provider simulator at 0 and 50 ms per request, with and without faults; and the analysis cost of
one 2000x3000 JPEG poster.

    python -m bench.enrich [--movies 6] [--latencies 0,50] [--no-faults] [--rounds 3]
                           [--candidates 130] [--items N]

`--movies` above 6 adds the simulator's other movies with full artwork, then synthetic ones
(e.g. `--movies 34 --candidates 42`: a library of a few dozen movies with the simulator's
ordinary ~42 candidates each, instead of the ~130 that stress one movie).

What it prints, per latency and fault setting:
- bytes: image bytes served (cast thumbnails aside) ÷ the bytes that decide: the selected
  originals plus the small rendition of every other candidate analysed;
- wall: enrich wall time ÷ downloading those same images (the selected originals, the
  renditions of the rest, the cast thumbnails) alone, the hosts taken in turn, from the same
  hosts (the simulator serves
  each provider's images from a port of its own, as the real image hosts are separate), with the
  same HTTP client settings and the same number of threads under the same per-host cap;
- faults: enrich wall time with faults ÷ without, at the same latency;
- cpu: the CPU time the enrich took, all processes together (ours, the analysis workers, the
  simulator), divided by the number of CPUs: the wall time no schedule of that work can beat on
  this machine, as a ratio to the same floor; and the floor's own CPU time (Linux: /proc);
- publish: `publish --all` of the movies just enriched (first round), its time, the files it left
  in the library and the provider requests it made (none: it publishes from the cache; the issue
  table's peer asked the providers again, and retried a failing actor photo for 17 s);
each the median of `--rounds` interleaved runs, with the load average.
The simulator runs in its own process so that its image serving does not compete with ours for
the GIL; a warm-up enrich (with and without the faults) renders every image first.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests
from PIL import Image

from bench._common import report
from bench.scan import load_average
from metarrd import db
from metarrd.config import parse_config
from metarrd.enrich import analysts
from metarrd.http import HttpClient
from metarrd.imaging import analyse_image, analyse_with_preview
from metarrd.publish import publish_many
from metarrd.runtime import open_runtime

try:
    from metarrd.enrich import enrich_items
except ImportError:  # before 16.3: one movie after the other
    from metarrd.enrich import enrich_item

    def enrich_items(rt, movies):
        for movie in movies:
            yield movie, enrich_item(rt, movie), None


MOVIES = [603, 550, 27205, 78, 348, 949]  # full artwork on every provider
CANDIDATES = 130  # the TMDB language filter keeps ~100 of them in total
IMAGE_PREFIXES = ("/t/p/", "/fanart/", "/preview/", "/banners/")
CAST = "/t/p/h632/"
# a bad day at the providers: a short 429 burst on TMDB images, 5xx bursts on the other two,
# a few broken or missing files (at every size, as a broken upload is)
FAULTS = [
    ["fail_429", [2], {"retry_after": 1, "prefix": "/t/p/w"}],
    ["fail_5xx", [12], {"prefix": "/preview/"}],
    ["fail_5xx", [8], {"prefix": "/banners/"}],
    ["fail_5xx", [6], {"prefix": "/t/p/original/"}],
]
SIM_SCRIPT = """
import json, sys
from metarrd.simulator import Simulator
sim = Simulator(candidates_per_movie={candidates}, extra_movies={extra}, cache_bytes=3 << 30)
sim.start()
hosts = {{name: sim.image_host(name) for name in ("tmdb", "fanart", "tvdb")}}
print(json.dumps({{"url": sim.url, "images": hosts}}), flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "reset":
        sim.reset_faults(); sim.reset_requests(); sim.latency = float(arg)
    elif cmd == "faults":
        for name, args, kwargs in json.loads(arg):
            getattr(sim, name)(*args, **kwargs)
    elif cmd == "range":
        sim.honour_range = arg == "on"
    elif cmd == "stats":
        print(json.dumps([[h.path, h.status, h.size] for h in sim.requests]), flush=True)
        continue
    elif cmd == "quit":
        break
    print("ok", flush=True)
sim.stop()
"""


class Sim:
    """The simulator in its own process, driven line by line."""

    def __init__(self, candidates: int = CANDIDATES, extra_movies: int = 0) -> None:
        script = SIM_SCRIPT.format(candidates=candidates, extra=extra_movies)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            started = json.loads(self.proc.stdout.readline())
        except ValueError:
            self.proc.kill()
            raise RuntimeError("the simulator did not start") from None
        self.url = started["url"]
        self.image_hosts = started["images"]  # each provider's images on a host of their own

    def image_url(self, path: str) -> str:
        """The URL an image path is served at: its provider's image host."""
        if path.startswith("/t/p/"):
            return self.image_hosts["tmdb"] + path
        if path.startswith(("/fanart/", "/preview/")):
            return self.image_hosts["fanart"] + path
        return self.image_hosts["tvdb"] + path

    def send(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def stats(self) -> list[tuple[str, int, int]]:
        return [tuple(hit) for hit in json.loads(self.send("stats"))]

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            self.send("quit")
        self.proc.wait(timeout=10)


def library(count: int) -> tuple[list[int], int]:
    """(TMDB ids of `count` movies with full artwork, how many of them are synthetic)."""
    from metarrd.simulator.catalog import SYNTHETIC_BASE_ID, load_catalog

    full = [m.id for m in load_catalog().movies.values() if m.art == "full" and m.fanart]
    ids = MOVIES + [i for i in full if i not in MOVIES]
    extra = max(0, count - len(ids))
    return (ids + [SYNTHETIC_BASE_ID + i for i in range(extra)])[: max(1, count)], extra


ENRICH: dict[str, int] = {}  # `[enrich]` settings of this run (--items)


def make_runtime(data_dir: Path, url: str):
    config = parse_config(
        {
            "data_dir": str(data_dir),
            "enrich": dict(ENRICH),
            "library": [{"name": "Movies", "path": str(data_dir / "movies")}],
            "providers": {
                "tmdb": {"api_key": "sim-tmdb-key", "base_url": url + "/3"},
                "fanart": {"api_key": "sim-fanart-key", "base_url": url + "/v3"},
                "tvdb": {"api_key": "sim-tvdb-key", "base_url": url + "/v4"},
            },
        }
    )
    (data_dir / "movies").mkdir(parents=True, exist_ok=True)
    return open_runtime(config)


def add_movie(rt, tmdb_id: int) -> db.Movie:
    library = db.Library.get(db.Library.name == "Movies")
    path = Path(library.path) / f"movie-{tmdb_id}-{time.monotonic_ns()}.mkv"
    path.write_bytes(b"")
    return db.Movie.create(
        library=library, path=str(path), tmdb_id=tmdb_id, identification_status=db.IDENTIFIED
    )


def small_path(row: db.ArtworkCandidate) -> str | None:
    url = (row.provider_metadata or {}).get("small_url")
    return urlsplit(url).path if url else None


def deciding_paths(movies: list[db.Movie]) -> tuple[list[str], list[str]]:
    """(the selected originals, the small renditions of every other analysed candidate)."""
    originals, smalls = [], []
    rows = db.ArtworkCandidate.select().where(
        db.ArtworkCandidate.movie.in_([m.id for m in movies])
        & (db.ArtworkCandidate.provider != "library")
    )
    for row in rows:
        if row.is_selected:
            originals.append(urlsplit(row.url).path)
        elif row.analyzed or row.rejected_reason:
            smalls.append(small_path(row) or urlsplit(row.url).path)
    return sorted(set(originals)), sorted(set(smalls) - set(originals))


def served_bytes(hits, prefixes=IMAGE_PREFIXES) -> dict[str, int]:
    """Path -> bytes of its last complete (200) answer."""
    sizes = {}
    for path, status, size in hits:
        if status == 200 and path.startswith(prefixes):
            sizes[path] = size
    return sizes


def download_only(sim: Sim, paths: list[str], rt, tmp: Path) -> float:
    """The floor: the same downloads to temp files from the same hosts, with the same client
    settings, threads and per-host cap."""
    cfg = rt.config
    http = HttpClient(
        timeout=cfg.providers.timeout_seconds,
        max_retries=cfg.providers.max_retries,
        per_host=cfg.enrich.per_host,
        pool_size=max(16, cfg.enrich.concurrency * 2),
    )
    tmp.mkdir(parents=True, exist_ok=True)

    def fetch(i_path):
        i, path = i_path
        with open(tmp / f"{i}.part", "wb") as out:
            http.download(sim.image_url(path), out, provider="bench")

    by_host: dict[str, list[str]] = {}
    for path in paths:
        by_host.setdefault(urlsplit(sim.image_url(path)).netloc, []).append(path)
    # the hosts taken in turn: in path order, the threads would queue for one host at a time
    # while the others idle, a slower "floor" than any real schedule
    mixed = [p for turn in itertools.zip_longest(*by_host.values()) for p in turn if p]
    threads = cfg.enrich.concurrency * max(1, min(cfg.enrich.items, len(MOVIES)))
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, enumerate(mixed)))
    seconds = time.perf_counter() - start
    http.close()
    shutil.rmtree(tmp)
    return seconds


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far; 0 where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class CpuMeter:
    """CPU time used between `start` and `stop`: ours (every thread, `time.process_time`), the
    analysis workers' (the pool's processes, from /proc) and the simulator's (its process)."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.ours = self.workers = self.simulator = 0.0
        self._at: tuple[float, dict[int, float], float] | None = None

    def _now(self) -> tuple[float, dict[int, float], float]:
        workers = {pid: process_cpu(pid) for pid in analysts.worker_pids()}
        return time.process_time(), workers, process_cpu(self.sim.proc.pid)

    def start(self) -> CpuMeter:
        self._at = self._now()
        return self

    def stop(self) -> CpuMeter:
        ours, workers, simulator = self._now()
        ours0, workers0, simulator0 = self._at
        self.ours = ours - ours0
        # a worker started during the run counts from zero; one that ended is not seen
        self.workers = sum(cpu - workers0.get(pid, 0.0) for pid, cpu in workers.items())
        self.simulator = simulator - simulator0
        return self

    @property
    def total(self) -> float:
        return self.ours + self.workers + self.simulator


def run_enrich(sim: Sim, root: Path, tmdb_ids: list[int], latency: float, faults: bool):
    sim.send(f"reset {latency}")
    if faults:
        sim.send("faults " + json.dumps(FAULTS))
    rt = make_runtime(root, sim.url)
    movies = [add_movie(rt, tmdb_id) for tmdb_id in tmdb_ids]
    cpu = CpuMeter(sim).start()
    start = time.perf_counter()
    results = [result for _movie, result, _error in enrich_items(rt, movies)]
    seconds = time.perf_counter() - start
    cpu.stop()
    hits = sim.stats()
    return rt, movies, results, seconds, hits, cpu


def bench_enrich(
    sim: Sim, root: Path, tmdb_ids: list[int], latencies, with_faults: bool, rounds: int = 1
) -> None:
    settings = [False, True] if with_faults else [False]
    for faults in settings:  # warm-up: the simulator renders every image either run touches
        rt, *_ = run_enrich(sim, root / f"warm-{faults}", tmdb_ids, 0.0, faults)
        rt.close()
    for latency in latencies:
        walls: dict[bool, list[float]] = {faults: [] for faults in settings}
        floors: dict[bool, list[float]] = {faults: [] for faults in settings}
        cpus: dict[bool, list[tuple[CpuMeter, CpuMeter]]] = {faults: [] for faults in settings}
        for n in range(rounds):  # interleaved, so every setting sees the same load
            for faults in settings:
                seconds, floor, cpu = one_run(sim, root / f"run-{latency}-{faults}-{n}", tmdb_ids,
                                              latency, faults, verbose=n == 0)  # fmt: skip
                walls[faults].append(seconds)
                floors[faults].append(floor)
                cpus[faults].append(cpu)
        for faults in settings:
            name = f"{len(tmdb_ids)} movies, {latency * 1000:.0f} ms" + (
                ", faults" if faults else ""
            )
            wall = statistics.median(walls[faults])
            report(f"  wall ({name})", wall, statistics.median(floors[faults]))
            report_cpu(name, cpus[faults], statistics.median(floors[faults]))
        if with_faults:
            report(
                f"  with faults ÷ without ({latency * 1000:.0f} ms)",
                statistics.median(walls[True]),
                statistics.median(walls[False]),
            )
        print(f"    medians of {rounds} interleaved rounds; {load_average()}", flush=True)


def one_run(
    sim: Sim, root: Path, tmdb_ids: list[int], latency: float, faults: bool, verbose: bool
) -> tuple[float, float]:
    """One enrich and its download-only floor: (enrich seconds, floor seconds)."""
    name = f"{len(tmdb_ids)} movies, {latency * 1000:.0f} ms" + (", faults" if faults else "")
    rt, movies, results, seconds, hits, cpu = run_enrich(sim, root, tmdb_ids, latency, faults)
    if verbose:
        publish_after(sim, rt, movies, name, len(hits))
    images = [h for h in hits if h[0].startswith(IMAGE_PREFIXES) and h[2]]
    got = sum(size for path, _status, size in images if not path.startswith(CAST))
    originals, smalls = deciding_paths(movies)
    sizes = served_bytes(hits)
    sim.send(f"reset {latency}")
    missing = [p for p in originals + smalls if p not in sizes]
    if missing:  # asked for only in the other strategy: learn their sizes
        for path in missing:
            sizes[path] = len(requests.get(sim.image_url(path), timeout=30).content)
    ideal = sum(sizes[p] for p in originals + smalls)
    cast = sorted({h[0] for h in images if h[0].startswith(CAST)})
    floor_cpu = CpuMeter(sim).start()
    floor = download_only(sim, originals + smalls + cast, rt, root / "floor")
    floor_cpu.stop()
    candidates = sum(r.candidates for r in results if r)
    if verbose:
        print(
            f"enrich {name}: {candidates} candidates, {len(hits)} requests "
            f"({len(images)} images), {got / 1e6:.1f} MB of images; the bytes that decide: "
            f"{len(originals)} originals + {len(smalls)} renditions = {ideal / 1e6:.1f} MB",
            flush=True,
        )
        print(
            f"{'  bytes (' + name + ')':<46} {got / 1e6:8.1f} MB floor {ideal / 1e6:8.1f} MB"
            f"  ratio {got / ideal:6.2f}x",
            flush=True,
        )
    rt.close()
    return seconds, floor, (cpu, floor_cpu)


def report_cpu(name: str, runs: list[tuple[CpuMeter, CpuMeter]], floor: float) -> None:
    """The enrich's CPU time ÷ the CPUs, as a ratio to the floor: the least wall time any
    schedule of the same work could take here. Where it is above a target, no overlap of
    downloads and analysis meets the target on this machine; only less CPU work does."""
    cores = os.cpu_count() or 1
    mid = sorted(runs, key=lambda r: r[0].total)[len(runs) // 2]
    cpu, floor_cpu = mid
    report(f"  cpu ÷ {cores} CPUs ({name})", cpu.total / cores, floor)
    print(
        f"    enrich used {cpu.total:.2f} s of CPU: ours {cpu.ours:.2f}, analysis workers "
        f"{cpu.workers:.2f}, simulator {cpu.simulator:.2f}; the floor {floor_cpu.total:.2f} s "
        f"(ours {floor_cpu.ours:.2f}, simulator {floor_cpu.simulator:.2f})",
        flush=True,
    )


def publish_after(sim: Sim, rt, movies: list[db.Movie], name: str, asked: int) -> None:
    """Time `publish --all` of the movies just enriched, on the same simulator (the peer's
    publish step in the issue's table: it asks providers again; we publish from the cache)."""
    fresh = [db.Movie.get_by_id(m.id) for m in movies]
    start = time.perf_counter()
    outcomes = publish_many(rt, fresh)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if isinstance(o, Exception)]
    requests_made = len(sim.stats()) - asked
    files = sum(1 for p in Path(rt.config.library[0].path).rglob("*") if p.is_file())
    print(
        f"{'  publish (' + name + ')':<46} {seconds:8.3f} s  {len(fresh)} movies, {files} files "
        f"in the library, {requests_made} provider requests, {len(failed)} failed",
        flush=True,
    )


def bench_analysis(url: str, root: Path) -> None:
    from metarrd.simulator.catalog import load_catalog

    poster = next(
        a for a in load_catalog().get(603).images.posters if (a.width, a.height) == (2000, 3000)
    )
    poster_url = f"{url}/t/p/original{poster.file_path}"  # the image host
    requests.get(poster_url, timeout=30)  # rendered once by the simulator
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        data = requests.get(poster_url, timeout=30).content
        timings.append(time.perf_counter() - start)
    download = statistics.median(timings)
    plain = root / "poster.jpg"
    plain.write_bytes(data)
    fine = root / "poster-q95.jpg"
    with Image.open(plain) as im:
        im.save(fine, "JPEG", quality=95)
    for path, label in ((plain, "simulator q85"), (fine, "re-encoded q95")):
        combined = _mean_ms(lambda p=path: analyse_with_preview(p), 20)
        alone = _mean_ms(lambda p=path: analyse_image(p), 20)
        size = path.stat().st_size // 1024
        report(f"analysis 2000x3000 JPEG {label} {size} KB", combined / 1000, download)
        print(
            f"    {combined:.1f} ms with its preview (what enrich runs); "
            f"analyse_image alone {alone:.1f} ms; the download {download * 1000:.0f} ms",
            flush=True,
        )


def _mean_ms(fn, n: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.enrich")
    ap.add_argument("--movies", type=int, default=len(MOVIES))
    ap.add_argument("--candidates", type=int, default=CANDIDATES, help="per movie, about")
    ap.add_argument("--latencies", default="0,50", help="milliseconds, comma-separated")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--no-range", action="store_true", help="the simulator ignores Range")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved runs of each setting")
    ap.add_argument("--items", type=int, help="[enrich] items: movies enriched at once")
    args = ap.parse_args(argv)
    if args.items:
        ENRICH["items"] = args.items
    movies, extra = library(args.movies)
    sim = Sim(args.candidates, extra)
    root = Path(tempfile.mkdtemp(prefix="metarrd-bench-enrich-"))
    try:
        if args.no_range:
            sim.send("range off")
        latencies = [float(x) / 1000 for x in args.latencies.split(",") if x.strip()]
        bench_enrich(sim, root, movies, latencies, not args.no_faults, max(1, args.rounds))
        bench_analysis(sim.image_hosts["tmdb"], root)
    finally:
        sim.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
