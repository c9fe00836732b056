"""TV enrich benchmark: enrich of one show with 10 seasons x 20 episodes and 2 specials
(Tenfold Harbour in the simulator: 11 season items, 202 episode files), against the provider
simulator in its own process, at 0 and 50 ms per request.

    python -m bench.tv_enrich [--latencies 0,50]

What it prints, per latency: requests (TMDB, fanart.tv, TheTVDB, images), and
- wall: enrich wall time ÷ downloading the same images alone (the selected originals, the
  renditions of the rest, the cast thumbnails) with the same HTTP client settings, the same
  number of download threads (`[enrich] concurrency`) and the same per-host cap.
Scan and identify run first and are not timed; a warm-up enrich renders every image.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import report
from bench.enrich import IMAGE_PREFIXES, Sim, deciding_paths
from metarrd import db
from metarrd.config import parse_config
from metarrd.http import HttpClient
from metarrd.runtime import open_runtime

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "media" / "h264_aac_mono.mp4"
SHOW = "Tenfold Harbour (2011)"
CAST = "/t/p/h632/"


def files() -> list[str]:
    out = [f"{SHOW}/Specials/Tenfold Harbour - S00E0{e}.mkv" for e in (1, 2)]
    out += [f"{SHOW}/Season {s:02d}/Tenfold Harbour - S{s:02d}E{e:02d}.mkv"
            for s in range(1, 11) for e in range(1, 21)]  # fmt: skip
    return out


def make_runtime(root: Path, url: str):
    config = parse_config(
        {
            "data_dir": str(root / "data"),
            "library": [{"name": "TV", "path": str(root / "tv"), "kind": "tv"}],
            "providers": {
                "tmdb": {"api_key": "sim-tmdb-key", "base_url": url + "/3"},
                "fanart": {"api_key": "sim-fanart-key", "base_url": url + "/v3"},
                "tvdb": {"api_key": "sim-tvdb-key", "base_url": url + "/v4"},
            },
        }
    )
    for rel in files():
        target = root / "tv" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SAMPLE, target)
    return open_runtime(config)


def identified_show(rt) -> db.Movie:
    from metarrd.identify import identify_many
    from metarrd.scan import scan

    scan(rt)
    identify_many(rt, [m.id for m in db.Movie.select().where(db.Movie.kind == db.SHOW)])
    return db.Movie.get(db.Movie.kind == db.SHOW)


def download_only(url: str, paths: list[str], rt, tmp: Path) -> float:
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
            http.download(url + path, out, provider="bench")

    start = time.perf_counter()
    with ThreadPoolExecutor(cfg.enrich.concurrency) as pool:
        list(pool.map(fetch, enumerate(paths)))
    seconds = time.perf_counter() - start
    http.close()
    shutil.rmtree(tmp)
    return seconds


def run(sim: Sim, root: Path, latency: float):
    from metarrd.enrich import enrich_item

    sim.send("reset 0")
    rt = make_runtime(root, sim.url)
    show = identified_show(rt)
    sim.send(f"reset {latency}")
    start = time.perf_counter()
    result = enrich_item(rt, show)
    seconds = time.perf_counter() - start
    return rt, show, result, seconds, sim.stats()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tv_enrich")
    ap.add_argument("--latencies", default="0,50", help="milliseconds, comma-separated")
    args = ap.parse_args(argv)
    latencies = [float(x) / 1000 for x in args.latencies.split(",")]
    sim = Sim()
    root = Path(tempfile.mkdtemp(prefix="metarrd-bench-tv-"))
    try:
        rt, *_ = run(sim, root / "warm", 0.0)
        rt.close()
        for latency in latencies:
            rt, show, result, seconds, hits = run(sim, root / f"run-{latency}", latency)
            items = [show, *db.Movie.select().where(db.Movie.show == show)]
            originals, smalls = deciding_paths(items)
            cast = sorted({h[0] for h in hits if h[0].startswith(CAST)})
            sim.send(f"reset {latency}")
            floor = download_only(sim.url, originals + smalls + cast, rt, root / "floor")
            images = sum(1 for h in hits if h[0].startswith(IMAGE_PREFIXES))
            count = {p: sum(1 for h in hits if h[0].startswith(p)) for p in ("/3/", "/v3/", "/v4/")}
            name = f"10x20 show, {latency * 1000:.0f} ms"
            print(
                f"enrich {name}: {result.seasons} seasons, {result.episodes} episodes, "
                f"{result.candidates} candidates, {result.selected} selected; requests: "
                f"TMDB {count['/3/']}, fanart.tv {count['/v3/']}, TheTVDB {count['/v4/']}, "
                f"images {images} (floor: {len(originals)} originals + {len(smalls)} "
                f"renditions + {len(cast)} thumbnails)",
                flush=True,
            )
            report(f"  wall ({name})", seconds, floor)
            rt.close()
    finally:
        sim.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
