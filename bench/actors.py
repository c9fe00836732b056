"""The clean-up of the people no item plays: 100,000 of them at once, each with a cached picture
(the first `cache.remove_unused` after an upgrade to a version that removes them).

    python -m bench.actors [--people 100000] [--one-transaction]

Timed: `remove_unused` removing them all (their rows, their cache rows, their pictures), on
SQLite, with the CPU time of its thread; beside it, another thread writes a row every 10 ms as
the web UI or the queue would, and the longest it waited for the write lock is printed (and how
many of its writes were refused: the lock held past `busy_timeout`), with the longest write
transaction of the clean-up. The floor: unlinking as many files of the cache alone (the removal
cannot cost less). `--one-transaction`: all of them in one transaction, as before the batches.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import peewee as pw

from bench._common import report
from metarrd import cache, db, dbrows
from metarrd.config import parse_config
from metarrd.runtime import open_runtime


def build_people(cache_dir: Path, count: int) -> list[Path]:
    """`count` people no item plays, each with a picture in the cache and its cache row; and
    one film playing ten others, who stay."""
    pictures = []
    actors, rows = [], []
    for n in range(count + 10):
        data = f"picture of person {n}".encode()
        digest = hashlib.sha256(data).hexdigest()
        path = cache_dir / "actor" / digest[:2] / f"{digest}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        pictures.append(path)
        actors.append({"id": n + 1, "tmdb_id": 10_000 + n, "name": f"Person {n}",
                       "name_normalized": f"person {n}", "image_cache_path": str(path),
                       "image_hash": digest})  # fmt: skip
        rows.append({"actor": n + 1, "image_type": "actor", "file_path": str(path),
                     "file_hash": digest, "file_size": len(data)})  # fmt: skip
    with db.write_transaction():
        dbrows.insert_all(db.Actor, actors)
        dbrows.insert_all(db.CacheImageFile, rows)
        film = db.Movie.create(library=db.Library.get(), path="/movies/Heat (1995).mkv")
        for n in range(count + 1, count + 11):
            db.MovieActor.create(movie=film, actor=n, order=n)
    return pictures


@contextmanager
def held_locks(longest: list[float]):
    """Each write transaction of this thread timed, from asking for the lock to its commit."""
    real = db.write_transaction

    @contextmanager
    def timed_transaction(**kwargs):
        start = time.perf_counter()
        with real(**kwargs) as tx:
            yield tx
        if threading.current_thread() is threading.main_thread():
            longest.append(time.perf_counter() - start)

    db.write_transaction = timed_transaction
    try:
        yield
    finally:
        db.write_transaction = real


def other_writer(stop: threading.Event, waits: list[float], refused: list[float]) -> None:
    """A row written every 10 ms, as the web UI's edits or the queue's: how long each waited,
    and the writes refused ("database is locked": the lock held past `busy_timeout`)."""
    while not stop.is_set():
        start = time.perf_counter()
        try:
            with db.write_transaction():
                db.Meta.insert(key="bench.writer", value=str(start)).on_conflict_replace().execute()
        except pw.OperationalError:
            refused.append(time.perf_counter() - start)
            continue
        waits.append(time.perf_counter() - start)
        time.sleep(0.01)
    db.database.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.actors")
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--one-transaction", action="store_true", help="as before the batches")
    args = ap.parse_args(argv)
    if args.one_transaction:
        cache.PEOPLE_A_TRANSACTION = args.people + 1
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-actors-"))
    try:
        lib = tmp / "movies"
        lib.mkdir()
        config = parse_config(
            {"data_dir": str(tmp / "data"), "library": [{"name": "Movies", "path": str(lib)}]}
        )
        rt = open_runtime(config)
        pictures = build_people(config.cache_dir, args.people)
        floor_dir = tmp / "floor"
        floor_dir.mkdir()
        copies = []
        for n, path in enumerate(pictures[: args.people]):
            copy = floor_dir / f"{n}.jpg"
            copy.write_bytes(path.read_bytes())
            copies.append(copy)
        os.sync()

        start = time.perf_counter()
        for copy in copies:
            copy.unlink()
        floor = time.perf_counter() - start

        stop, waits, refused, held = threading.Event(), [], [], []
        writer = threading.Thread(target=other_writer, args=(stop, waits, refused))
        writer.start()
        time.sleep(0.05)
        with held_locks(held):
            start, cpu = time.perf_counter(), time.thread_time()
            removed = cache.remove_unused(config.cache_dir, config.previews_dir, set(), set())
            seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
        stop.set()
        writer.join()
        assert removed == args.people, removed
        assert db.Actor.select().count() == 10 and sum(p.exists() for p in pictures) == 10
        how = "one transaction" if args.one_transaction else "batches"
        report(f"{args.people:,} people gone ({how})", seconds, floor, count=args.people,
               unit="people")  # fmt: skip
        print(
            f"{'':<46} {cpu:.3f} s of CPU; {len(held)} transactions, the longest "
            f"{max(held):.3f} s; another writer waited {max(waits):.3f} s at most ({len(waits)} writes, "
            f"{len(refused)} refused: database is locked)",
            flush=True,
        )
        rt.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
