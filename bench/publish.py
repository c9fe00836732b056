"""Publish benchmark: 1,000 enriched movies published into an empty library, then again unchanged.

    python -m bench.publish [--movies 1000]

    python -m bench.publish --one-by-one      # publish_item per movie, as a job does

    python -m bench.publish --writers 0       # temp files written one by one (the A/B baseline)

Each run publishes into an emptied library, then copies the published tree with `cp -a` and
`sync -f` (the floor: every publish is made durable so that a power cut never leaves a broken
file), then publishes again unchanged, then reads and hashes every published file (what
knowing "unchanged" by content would cost). Runs alternate publish and floor; the medians are
printed, with publish / (cp -a + sync) against the 1.5x target. Everything is synced before
each timed step, so no step pays for another's dirty pages.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import statistics
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from PIL import Image

from bench._common import report, timed
from metarrd import atomic, db
from metarrd.config import parse_config
from metarrd.imaging import analyse_image
from metarrd.publish import publish_item, publish_many
from metarrd.runtime import open_runtime

POOL = {"poster": (24, (300, 450)), "fanart": (24, (640, 360)), "actor": (60, (185, 278))}
PER_MOVIE = {"poster": 2, "fanart": 2}
ACTORS_PER_MOVIE = 6


def noise_image(size: tuple[int, int], fmt: str, rng: random.Random) -> bytes:
    im = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    im.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def cache_pool(rt, rng: random.Random) -> dict[str, list[tuple[str, Path, object]]]:
    """Distinct images in the cache, by type: (url, cache path, info)."""
    pool: dict[str, list] = {}
    kinds = {**POOL, "clearlogo": (8, (400, 155))}
    for kind, (count, size) in kinds.items():
        for i in range(count):
            fmt = "PNG" if kind == "clearlogo" else "JPEG"
            data = noise_image(size, fmt, rng)
            tmp = rt.config.tmp_dir / "bench-image"
            tmp.write_bytes(data)
            info = analyse_image(tmp)
            target = rt.config.cache_dir / kind / info.sha256[:2] / f"{info.sha256}.{info.ext}"
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(target)
            url = f"https://image.tmdb.org/t/p/original/{kind}{i}.{info.ext}"
            pool.setdefault(kind, []).append((url, target, info))
    return pool


def build_library(rt, count: int, rng: random.Random) -> None:
    """`count` enriched movies, bulk-inserted the way ENRICH leaves them."""
    pool = cache_pool(rt, rng)
    library = db.Library.get()
    root = Path(rt.config.library[0].path)
    with db.database.atomic():
        first = None
        movies = []
        for i in range(count):
            name = f"Movie {i:05d} ({1950 + i % 70})"
            (root / name).mkdir(parents=True)
            video = root / name / f"{name}.mkv"
            video.write_bytes(b"\x1a\x45\xdf\xa3")
            movies.append(
                {
                    "library": library.id,
                    "path": str(video),
                    "title": f"Movie {i:05d}",
                    "year": 1950 + i % 70,
                    "premiered": f"{1950 + i % 70}-01-{1 + i % 28:02d}",
                    "tmdb_id": 10000 + i,
                    "imdb_id": f"tt{1000000 + i:07d}",
                    "plot": f"The story of movie {i}. " * 8,
                    "runtime": 90 + i % 60,
                    "rating": 5 + (i % 50) / 10,
                    "votes": 100 + i,
                    "genres": ["Drama", "Thriller"],
                    "studios": ["Studio"],
                    "directors": ["Someone Famous"],
                    "date_added": datetime(2024, 1, 1),
                    "identification_status": db.ENRICHED,
                }
            )
        db.Movie.insert_many(movies).execute()
        ids = [m.id for m in db.Movie.select(db.Movie.id).order_by(db.Movie.id)]
        first = ids[0]
        for kind, images in pool.items():
            if kind == "actor":
                continue
            db.CacheImageFile.insert_many(
                [
                    {
                        "movie": first,
                        "image_type": kind,
                        "file_path": str(path),
                        "file_hash": info.sha256,
                        "file_size": info.size,
                        "format": info.format,
                        "source_type": "provider",
                        "source_url": url,
                    }
                    for url, path, info in images
                ]
            ).execute()
        actor_ids = []
        for n, (url, path, info) in enumerate(pool["actor"]):
            actor = db.Actor.create(
                tmdb_id=500000 + n,
                name=f"Actor Number {n}",
                name_normalized=f"actor number {n}",
                thumb_url=url,
                image_cache_path=str(path),
                image_hash=info.sha256,
            )
            db.CacheImageFile.create(
                actor=actor,
                image_type="actor",
                file_path=str(path),
                file_hash=info.sha256,
                file_size=info.size,
                format=info.format,
            )
            actor_ids.append(actor.id)
        assets, roles, video, audio = [], [], [], []
        for i, movie_id in enumerate(ids):
            picks = {k: rng.sample(pool[k], n) for k, n in PER_MOVIE.items()}
            picks["clearlogo"] = [pool["clearlogo"][i % len(pool["clearlogo"])]]
            for kind, chosen in picks.items():
                for rank, (url, _path, info) in enumerate(chosen, 1):
                    assets.append(
                        {
                            "movie": movie_id,
                            "asset_type": kind,
                            "provider": "tmdb",
                            "url": url,
                            "format": info.format,
                            "file_size": info.size,
                            "content_hash": info.sha256,
                            "score": 10 - rank,
                            "is_selected": True,
                            "is_downloaded": True,
                            "rank": rank,
                        }
                    )
            for order, actor_id in enumerate(rng.sample(actor_ids, ACTORS_PER_MOVIE)):
                roles.append({"movie": movie_id, "actor": actor_id, "role": "Role", "order": order})
            video.append({"movie": movie_id, "codec": "hevc", "width": 3840, "height": 2160})
            audio.append({"movie": movie_id, "codec": "eac3", "language": "eng", "channels": 6})
        for model, rows in (
            (db.ArtworkCandidate, assets),
            (db.MovieActor, roles),
            (db.VideoStream, video),
            (db.AudioStream, audio),
        ):
            for start in range(0, len(rows), 500):
                model.insert_many(rows[start : start + 500]).execute()


def hash_tree(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                hashlib.file_digest(fh, "sha256")
            total += 1
    return total


def unpublish(lib: Path) -> None:
    """Back to an empty library (the videos only) and an empty ledger, everything on disk."""
    for folder in lib.iterdir():
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            elif not entry.name.endswith(".mkv"):
                os.unlink(entry.path)
    with db.database.atomic():
        for model in (db.LibraryFile, db.PublishLog, db.Event, db.PlayerNotification):
            model.delete().execute()
    os.sync()


def copy_and_sync(lib: Path, copy: Path) -> None:
    subprocess.run(["cp", "-a", str(lib), str(copy)], check=True)
    subprocess.run(["sync", "-f", str(copy)], check=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.publish")
    ap.add_argument("--movies", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each figure (medians printed)")
    ap.add_argument(
        "--one-by-one",
        action="store_true",
        help="publish_item per movie (a job's path) instead of publish_many (`publish --all`)",
    )
    ap.add_argument(
        "--writers",
        type=int,
        default=atomic.WRITERS,
        help="temp files written at once (atomic.WRITERS; 0: one by one, inline)",
    )
    args = ap.parse_args(argv)
    atomic.WRITERS = args.writers
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-publish-"))
    try:
        lib = tmp / "movies"
        lib.mkdir()
        config = parse_config(
            {"data_dir": str(tmp / "data"), "library": [{"name": "Movies", "path": str(lib)}]}
        )
        rt = open_runtime(config)
        build_library(rt, args.movies, random.Random(42))
        movies = list(db.Movie.select().order_by(db.Movie.id))

        def publish() -> list:
            if args.one_by_one:
                return [publish_item(rt, m) for m in movies]
            return publish_many(rt, movies)

        runs: dict[str, list[float]] = {"publish": [], "floor": [], "republish": [], "hash": []}
        written = size = 0
        for _ in range(args.runs):  # interleaved: each publish next to its floor
            unpublish(lib)
            t: dict[str, float] = {}
            with timed(t, "publish"):
                results = publish()
            written = sum(len(r.written) for r in results)
            assert written == args.movies * 12, written
            size = sum(p.stat().st_size for p in lib.rglob("*") if p.is_file())
            copy = tmp / "copy"
            os.sync()
            with timed(t, "floor"):
                copy_and_sync(lib, copy)
            shutil.rmtree(copy)
            os.sync()
            with timed(t, "republish"):
                again = publish()
            assert not any(r.written for r in again)
            with timed(t, "hash"):
                hash_tree(lib)
            for key, value in t.items():
                runs[key].append(value)
            n = args.movies
            print(
                f"run {len(runs['publish'])}: per movie publish {t['publish'] / n * 1e3:.1f} ms, "
                f"cp -a + sync {t['floor'] / n * 1e3:.1f} ms "
                f"({t['publish'] / t['floor']:.2f}x); republish {t['republish'] / n * 1e3:.2f} ms, "
                f"hashing {t['hash'] / n * 1e3:.2f} ms",
                flush=True,
            )
        med = {key: statistics.median(values) for key, values in runs.items()}
        n = args.movies
        how = "publish_item per movie" if args.one_by_one else "publish_many"
        print(
            f"{n:,} movies, {written:,} files, {size / 1e6:,.0f} MB, {how}, median of "
            f"{args.runs} runs; per movie: publish {med['publish'] / n * 1e3:.1f} ms, "
            f"cp -a + sync {med['floor'] / n * 1e3:.2f} ms, republish "
            f"{med['republish'] / n * 1e3:.2f} ms"
        )
        report(
            f"publish {n:,} movies vs cp -a + sync",
            med["publish"],
            med["floor"],
            count=n,
            unit="movies",
        )
        ratios = sorted(p / f for p, f in zip(runs["publish"], runs["floor"], strict=True))
        ratio = med["publish"] / med["floor"] if med["floor"] > 0 else float("inf")
        print(
            f"publish / (cp -a + sync) = {ratio:.2f}x (target <= 1.5x; per run "
            f"{', '.join(f'{r:.2f}x' for r in ratios)})",
            flush=True,
        )
        report(
            f"republish {n:,} unchanged vs hashing them",
            med["republish"],
            med["hash"],
            count=n,
            unit="movies",
        )
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
