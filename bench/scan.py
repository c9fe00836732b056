"""Scan benchmark: first scan of 1,000 movies, rescan of 10,000 unchanged published ones.

    python -m bench.scan [--first 1000] [--rescan 10000] [--rounds 9] [--unpublished]

The rescan's movies are published, as a real library's are: beside each video the files a
publish leaves (an NFO, four artwork files, two `.actors/` photos) and their ledger rows, which
each scan looks at (`scan.ours_gone`); `--unpublished` rescans the bare videos alone.

Floors: for the first scan, reading the same files' stream details alone with the same number of
threads (the unavoidable work); for the rescan, the bare floor: `os.scandir` of every folder and a
`stat` of every file (`bare_walk`, no rules at all; the published files and `.actors/` folders
too), since an unchanged item must cost nothing more
than noticing it is unchanged. Each figure and its floor are the medians of interleaved runs
(`--rounds`; each first scan on a fresh database), printed with the load average; the first
scan's CPU time in this process (the recording: stream details are read by MediaInfo) with it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._common import link_sample, report, timed
from metarrd import db, scan, workflow
from metarrd.config import parse_config
from metarrd.runtime import open_runtime
from metarrd.scan.stage import PROBE_THREADS
from metarrd.scan.streams import read_stream_details
from metarrd.walk import walk_library

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "media" / "h264_aac_2audio_sub.mkv"


def load_average() -> str:
    """The machine's load, to read timings by."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} (1, 5, 15 min), {os.cpu_count()} CPUs"


def make_library(root: Path, count: int, prefix: str) -> None:
    for i in range(count):
        folder = root / f"{prefix} Movie {i:05d} ({1950 + i % 70})"
        folder.mkdir(parents=True)
        link_sample(SAMPLE, folder / f"{folder.name}.mkv", root)


PUBLISHED_ART = ("-poster.jpg", "-fanart.jpg", "-clearlogo.png", "-landscape.jpg")
ACTORS = ("Keanu_Reeves.jpg", "Carrie-Anne_Moss.jpg")


def publish_as_written(lib: Path) -> int:
    """The files a publish leaves beside each recorded movie of the library (its NFO, artwork,
    `.actors/` photos), with their ledger rows, its item published: what a rescan of a real
    library looks at (`scan.ours_gone`). How many files."""
    rows = []
    for movie_id, path in db.Movie.select(db.Movie.id, db.Movie.path).tuples():
        video = Path(path)
        stem = video.parent / video.stem
        nfo = f"<movie><title>{video.stem}</title></movie>\n".encode()
        files = [(Path(f"{stem}.nfo"), "nfo", nfo)]
        files += [(Path(f"{stem}{end}"), "art", end.encode()) for end in PUBLISHED_ART]
        files += [(video.parent / ".actors" / name, "actor", name.encode()) for name in ACTORS]
        (video.parent / ".actors").mkdir()
        rows += [written_as_ours(movie_id, file, kind, data) for file, kind, data in files]
    return record_published(rows)


def written_as_ours(owner: int, file: Path, kind: str, data: bytes) -> dict:
    """`file` written with `data`, and the ledger row a publish records for it (`owner`: the
    item owning it, a show for all its files)."""
    file.write_bytes(data)
    st = file.lstat()
    return {
        "movie": owner,
        "path": str(file),
        "kind": kind,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
    }


def record_published(rows: list[dict]) -> int:
    """The ledger `rows` stored 500 at a time, every item published. How many rows."""
    with db.database.atomic():
        for i in range(0, len(rows), 500):
            db.LibraryFile.insert_many(rows[i : i + 500]).execute()
        db.Movie.update(publish_state=db.PUBLISHED).execute()
    return len(rows)


def record_as_found(lib: Path) -> int:
    """Rows for the library's videos not recorded yet, as a first scan leaves them (a known
    library without a first scan's stream reads; one scan then settles them), 500 at a time.
    How many were added."""
    library = db.Library.get()
    known = {path for (path,) in db.Movie.select(db.Movie.path).tuples()}
    rows = [
        {
            "library": library,
            "path": str(v.path),
            "parts": [str(p) for p in v.parts],
            "size": v.size,
            "mtime_ns": v.mtime_ns,
            "title": v.path.stem,
        }
        for v in walk_library(lib)
        if str(v.path) not in known
    ]
    with db.database.atomic():
        for i in range(0, len(rows), 500):
            db.Movie.insert_many(rows[i : i + 500]).execute()
    return len(rows)


def bare_walk(root: Path) -> int:
    """The floor: one scandir per folder and one stat per file, nothing else."""
    files = 0
    pending = [str(root)]
    while pending:
        with os.scandir(pending.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    entry.stat()
                    files += 1
    return files


def runtime_for(tmp: Path, lib: Path):
    config = parse_config(
        {
            "data_dir": str(tmp / "data"),
            "library": [{"name": "Movies", "path": str(lib)}],
            "providers": {"tmdb": {"api_key": "unused", "base_url": "http://127.0.0.1:9/3"}},
        }
    )
    rt = open_runtime(config)
    workflow.set_stage("identification", False)
    return rt


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scan")
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("--rescan", type=int, default=10000)
    ap.add_argument(
        "--rounds", type=int, default=9, help="interleaved runs of each figure and its floor"
    )
    ap.add_argument(
        "--unpublished", action="store_true", help="rescan bare videos: no published files"
    )
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-scan-"))
    try:
        t: dict[str, float] = {}
        lib = tmp / "first"
        make_library(lib, args.first, "First")
        files = [v.path for v in walk_library(lib)]
        floors, firsts, cpus, floor_cpus = [], [], [], []
        for n in range(args.rounds):  # interleaved, so both see the same load
            cpu = time.process_time()
            with timed(t, "floor"), ThreadPoolExecutor(PROBE_THREADS) as pool:
                list(pool.map(read_stream_details, files))
            floor_cpus.append(time.process_time() - cpu)
            floors.append(t["floor"])
            rt = runtime_for(tmp / f"a{n}", lib)  # a fresh database: a first scan again
            cpu = time.process_time()
            with timed(t, "first"):
                r = scan.scan(rt)
            cpus.append(time.process_time() - cpu)
            firsts.append(t["first"])
            assert len(r.new) == args.first, r
            rt.close()
        report(
            f"first scan of {args.first:,} movies",
            statistics.median(firsts),
            statistics.median(floors),
            count=args.first,
            unit="movies",
        )
        print(
            f"  medians of {args.rounds} interleaved runs; CPU time in this process "
            f"{statistics.median(cpus):.3f} s, the floor's {statistics.median(floor_cpus):.3f} s; "
            f"{load_average()}",
            flush=True,
        )

        lib = tmp / "rescan"
        make_library(lib, args.rescan, "Rescan")
        rt = runtime_for(tmp / "b", lib)
        record_as_found(lib)
        scan.scan(rt)  # known as a first scan leaves them
        published = 0 if args.unpublished else publish_as_written(lib)
        scan.scan(rt)  # warm: the first walk of a fresh tree pays for the kernel's caches
        walks, rescans = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same load
            start = time.perf_counter()
            files = bare_walk(lib)
            walks.append(time.perf_counter() - start)
            start = time.perf_counter()
            r = scan.scan(rt)
            rescans.append(time.perf_counter() - start)
            assert r.unchanged == args.rescan == files - published, r
            assert not r.new and not r.changed and not r.outdated, r
        t["walk"], t["rescan"] = statistics.median(walks), statistics.median(rescans)
        what = "movies" if args.unpublished else f"published movies ({published:,} files of ours)"
        report(
            f"rescan of {args.rescan:,} unchanged {what}",
            t["rescan"],
            t["walk"],
            count=args.rescan,
            unit="movies",
        )
        print(f"  medians of {args.rounds} interleaved runs; {load_average()}", flush=True)
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
