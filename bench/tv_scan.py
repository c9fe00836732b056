"""TV scan benchmark: first scan of a 5,000-episode library (50 shows x 5 seasons x 20 episodes),
and a rescan of it unchanged and published.

    python -m bench.tv_scan [--episodes 5000] [--rounds 9]

First scan: its floor is reading the same files' stream details alone with the same number of
threads (the unavoidable work); the figure is the ratio of the first scan to it (name parsing,
NFO and art look-ups, the database rows of shows, seasons and episodes on top).

Rescan: the library as a publish leaves it (beside each episode its NFO and thumb; in each show
folder its NFO, art, season posters and `.actors/` photos; their ledger rows, which each scan
looks at: `scan.ours_gone`), rescanned unchanged. Its floor is the bare one of `bench.scan`:
`os.scandir` of every folder and a `stat` of every file. Medians of `--rounds` interleaved runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import link_sample, report, timed
from bench.scan import bare_walk, load_average, record_published, written_as_ours
from metarrd import db, scan, workflow
from metarrd.config import parse_config
from metarrd.runtime import open_runtime
from metarrd.scan.stage import PROBE_THREADS
from metarrd.scan.streams import read_stream_details

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "media" / "h264_aac_2audio_sub.mkv"
SEASONS, PER_SEASON = 5, 20
SHOW_FILES = ("poster.jpg", "fanart.jpg", "banner.jpg", "clearlogo.png", "landscape.jpg")
ACTORS = ("Bryan_Cranston.jpg", "Aaron_Paul.jpg", "Anna_Gunn.jpg")


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


def publish_as_written() -> int:
    """The files a TV publish leaves (tv_layout.py) beside each recorded show and episode, with
    their ledger rows (the show owns its whole publish's), every item published: what a rescan
    of a real library looks at (`scan.ours_gone`). How many files."""
    M = db.Movie
    rows: list[dict] = []

    def write(show_id: int, file: Path, kind: str, data: bytes) -> None:
        rows.append(written_as_ours(show_id, file, kind, data))

    for show_id, path in M.select(M.id, M.path).where(M.kind == db.SHOW).tuples():
        folder = Path(path)
        guide = b'<episodeguide>{"tmdb": "1396"}</episodeguide>'  # as publish writes it
        write(show_id, folder / "tvshow.nfo", "nfo", b"<tvshow>" + guide + b"</tvshow>\n")
        for name in SHOW_FILES:
            write(show_id, folder / name, "art", name.encode())
        for season in range(1, SEASONS + 1):
            name = f"season{season:02d}-poster.jpg"
            write(show_id, folder / name, "art", name.encode())
        (folder / ".actors").mkdir()
        for name in ACTORS:
            write(show_id, folder / ".actors" / name, "actor", name.encode())
    for show_id, path in M.select(M.show, M.path).where(M.kind == db.EPISODE).tuples():
        stem = str(Path(path).with_suffix(""))
        write(show_id, Path(f"{stem}.nfo"), "nfo", b"<episodedetails/>\n")
        write(show_id, Path(f"{stem}-thumb.jpg"), "art", b"thumb")
    return record_published(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tv_scan")
    ap.add_argument("--episodes", type=int, default=5000)
    ap.add_argument(
        "--rounds", type=int, default=9, help="interleaved runs of the rescan and its floor"
    )
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
        published = publish_as_written()
        scan.scan(rt)  # warm: the first walk of the published tree pays for the kernel's caches
        walks, rescans = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same load
            start = time.perf_counter()
            bare_walk(lib)
            walks.append(time.perf_counter() - start)
            start = time.perf_counter()
            r = scan.scan(rt)
            rescans.append(time.perf_counter() - start)
            assert r.unchanged == args.episodes and not r.errors, r
            assert not r.new and not r.changed and not r.outdated, r
        report(
            f"rescan of {args.episodes:,} unchanged published episodes ({published:,} files "
            "of ours)",
            statistics.median(rescans),
            statistics.median(walks),
            count=args.episodes,
            unit="episodes",
        )
        print(f"  medians of {args.rounds} interleaved runs; {load_average()}", flush=True)
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
