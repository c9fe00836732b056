"""TV scan benchmark: first scan of a 5,000-episode library (50 shows x 5 seasons x 20 episodes).

    python -m bench.tv_scan [--episodes 5000]

Floor: reading the same files' stream details alone with the same number of threads (the
unavoidable work); the figure is the ratio of the first scan to it (name parsing, NFO and art
look-ups, the database rows of shows, seasons and episodes on top).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import link_sample, report, timed
from metarrd import scan, workflow
from metarrd.config import parse_config
from metarrd.runtime import open_runtime
from metarrd.scan.stage import PROBE_THREADS
from metarrd.scan.streams import read_stream_details

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "media" / "h264_aac_2audio_sub.mkv"
SEASONS, PER_SEASON = 5, 20


def make_library(root: Path, episodes: int) -> list[Path]:
    files = []
    per_show = SEASONS * PER_SEASON
    for i in range(-(-episodes // per_show)):
        show = f"Bench Show {i:03d} ({1990 + i % 30})"
        for n in range(min(per_show, episodes - i * per_show)):
            season, episode = divmod(n, PER_SEASON)
            path = root / show / f"Season {season + 1:02d}"
            path.mkdir(parents=True, exist_ok=True)
            target = path / f"Bench Show {i:03d} - S{season + 1:02d}E{episode + 1:02d} - Title.mkv"
            link_sample(SAMPLE, target, root)
            files.append(target)
    return files


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tv_scan")
    ap.add_argument("--episodes", type=int, default=5000)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-tvscan-"))
    try:
        t: dict[str, float] = {}
        lib = tmp / "tv"
        files = make_library(lib, args.episodes)
        config = parse_config(
            {
                "data_dir": str(tmp / "data"),
                "library": [{"name": "TV", "path": str(lib), "kind": "tv"}],
                "providers": {"tmdb": {"api_key": "unused", "base_url": "http://127.0.0.1:9/3"}},
            }
        )
        rt = open_runtime(config)
        workflow.set_stage("identification", False)
        with timed(t, "floor"), ThreadPoolExecutor(PROBE_THREADS) as pool:
            list(pool.map(read_stream_details, files))
        with timed(t, "first"):
            r = scan.scan(rt)
        assert r.found == args.episodes and not r.errors, r.errors[:3]
        report(
            f"first scan of {args.episodes:,} episodes",
            t["first"],
            t["floor"],
            count=args.episodes,
            unit="episodes",
        )
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
