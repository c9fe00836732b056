"""Enrich benchmark: a first enrich of movies with ~100 artwork candidates each, against the
provider simulator at 50 ms per request, and the analysis cost of one 2000x3000 JPEG poster.

    python -m bench.enrich [--movies 3] [--latency-ms 50] [--rounds 2]

Floors: for enrich, downloading exactly the same images (every candidate and cast thumbnail the
enrich fetched) alone, with the same HTTP client settings and the same concurrency; for the
analysis, downloading that one poster from the simulator at the same latency. The simulator runs
in its own process so that its image serving does not compete with ours for the GIL, and it is
warmed first (it renders each image once).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

from bench._common import report
from metarrd import db
from metarrd.config import parse_config
from metarrd.enrich import enrich_item
from metarrd.http import HttpClient
from metarrd.imaging import analyse_image, analyse_with_preview
from metarrd.runtime import open_runtime

MOVIES = [603, 550, 27205, 78, 348, 949]  # full artwork on every provider
WARMUP_MOVIE = 841
CANDIDATES = 130  # the TMDB language filter keeps ~100 of them in total
SIM_SCRIPT = """
import sys
from metarrd.simulator import Simulator
sim = Simulator(latency={latency}, candidates_per_movie={candidates}, cache_bytes=3 << 30)
sim.start()
print(sim.port, flush=True)
sys.stdin.read()
sim.stop()
"""


def start_simulator(latency: float) -> tuple[subprocess.Popen, str]:
    script = SIM_SCRIPT.format(latency=latency, candidates=CANDIDATES)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        raise RuntimeError("the simulator did not start")
    return proc, f"http://127.0.0.1:{port}"


def make_runtime(data_dir: Path, url: str):
    config = parse_config(
        {
            "data_dir": str(data_dir),
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


def downloaded_urls(movie: db.Movie) -> list[str]:
    """Every image an enrich of this movie fetched: candidates and cast thumbnails."""
    urls = {
        r.url
        for r in db.ArtworkCandidate.select().where(
            (db.ArtworkCandidate.movie == movie.id) & (db.ArtworkCandidate.provider != "library")
        )
        if r.analyzed or r.rejected_reason
    }
    cast = db.MovieActor.select().where(db.MovieActor.movie == movie.id)
    actor_ids = [r.actor_id for r in cast]
    thumbs = db.CacheImageFile.select().where(
        db.CacheImageFile.actor.in_(actor_ids) & (db.CacheImageFile.image_type == "actor")
    )
    return sorted(urls | {t.source_url for t in thumbs})


def download_only(urls: list[str], rt, tmp: Path) -> float:
    """The floor: the same downloads to temp files, same client settings and concurrency."""
    cfg = rt.config
    http = HttpClient(
        timeout=cfg.providers.timeout_seconds,
        max_retries=cfg.providers.max_retries,
        per_host=cfg.enrich.per_host,
        pool_size=max(16, cfg.enrich.concurrency * 2),
    )
    tmp.mkdir(parents=True, exist_ok=True)

    def fetch(i_url):
        i, url = i_url
        with open(tmp / f"{i}.part", "wb") as out:
            http.download(url, out, provider="bench")

    start = time.perf_counter()
    with ThreadPoolExecutor(cfg.enrich.concurrency) as pool:
        list(pool.map(fetch, enumerate(urls)))
    seconds = time.perf_counter() - start
    http.close()
    shutil.rmtree(tmp)
    return seconds


def bench_enrich(url: str, root: Path, movies: list[int], rounds: int) -> None:
    scratch = make_runtime(root / "scratch", url)  # warms the simulator, learns the URLs
    urls = {}
    for tmdb_id in movies:
        movie = add_movie(scratch, tmdb_id)
        enrich_item(scratch, movie)
        urls[tmdb_id] = downloaded_urls(movie)
    scratch.close()
    totals = {"enrich": 0.0, "floor": 0.0}
    for tmdb_id in movies:
        best_enrich = best_floor = float("inf")
        for r in range(rounds):
            rt = make_runtime(root / f"run-{tmdb_id}-{r}", url)
            enrich_item(rt, add_movie(rt, WARMUP_MOVIE))  # clients warm, as in the daemon
            best_floor = min(best_floor, download_only(urls[tmdb_id], rt, root / "floor"))
            movie = add_movie(rt, tmdb_id)
            start = time.perf_counter()
            result = enrich_item(rt, movie)
            best_enrich = min(best_enrich, time.perf_counter() - start)
            candidates = result.candidates
            rt.close()
        report(
            f"enrich {tmdb_id} ({candidates} candidates, {len(urls[tmdb_id])} downloads)",
            best_enrich,
            best_floor,
        )
        totals["enrich"] += best_enrich
        totals["floor"] += best_floor
    report(f"enrich, {len(movies)} movies in total", totals["enrich"], totals["floor"])


def bench_analysis(url: str, root: Path) -> None:
    from metarrd.simulator.catalog import load_catalog

    poster = next(
        a for a in load_catalog().get(603).images.posters if (a.width, a.height) == (2000, 3000)
    )
    poster_url = f"{url}/t/p/original{poster.file_path}"
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
    ap.add_argument("--movies", type=int, default=3, help=f"1 to {len(MOVIES)}")
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--rounds", type=int, default=2, help="best of this many per movie")
    args = ap.parse_args(argv)
    proc, url = start_simulator(args.latency_ms / 1000)
    root = Path(tempfile.mkdtemp(prefix="metarrd-bench-enrich-"))
    try:
        bench_enrich(url, root, MOVIES[: max(1, args.movies)], max(1, args.rounds))
        bench_analysis(url, root)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
