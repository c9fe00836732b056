"""Web benchmark: the library page of a 10,000-item library, server time per request.

    python -m bench.web [--items 10000] [--requests 30]

Every item has a selected poster with a preview, a tenth have a queued job and a few hundred
events exist, as after a real enrichment. Each page variant (first page, a filter, a title
search, a deep page, newest first, the htmx partial) is requested through the WSGI app (no
network), and its median time is printed against the floor: the 100 ms the issue allows.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench._common import report
from metarrd import db
from metarrd.config import parse_config

FLOOR_SECONDS = 0.100
CASES = {
    "first page": "/",
    "filter: unpublished": "/?filter=unpublished",
    "search: title": "/?q=Film%2009",
    "page 150 of 200": "/?page=150",
    "newest first": "/?sort=added",
    "htmx partial, 200 per page": "/?per_page=200",
}


def seed(items: int) -> None:
    lib = db.Library.get()
    states = [
        (db.ENRICHED, db.UNPUBLISHED),
        (db.ENRICHED, db.PUBLISHED),
        (db.ENRICHED, db.OUTDATED),
        (db.IDENTIFIED, db.UNPUBLISHED),
        (db.UNIDENTIFIED, db.UNPUBLISHED),
    ]
    with db.database.atomic():
        rows = []
        for i in range(items):
            status, publish = states[i % len(states)]
            rows.append(
                {
                    "library": lib.id,
                    "path": f"{lib.path}/Film {i:05d} ({1950 + i % 70})/Film {i:05d}.mkv",
                    "title": f"Film {i:05d}",
                    "year": 1950 + i % 70,
                    "tmdb_id": 100000 + i,
                    "identification_status": status,
                    "publish_state": publish,
                    "plot": "A long plot. " * 40,
                    "genres": ["Drama", "Thriller"],
                }
            )
        for start in range(0, items, 500):
            db.Movie.insert_many(rows[start : start + 500]).execute()
        ids = [m.id for m in db.Movie.select(db.Movie.id)]
        assets = []
        for movie_id in ids:
            for rank in (1, 2, 3, None, None):
                assets.append(
                    {
                        "movie": movie_id,
                        "asset_type": "poster",
                        "provider": "tmdb",
                        "url": f"http://127.0.0.1:9/{movie_id}/{rank}/{len(assets)}.jpg",
                        "preview_path": f"ab/{movie_id:064d}.webp",
                        "is_selected": rank is not None,
                        "rank": rank,
                        "score": 0.5,
                    }
                )
        for start in range(0, len(assets), 500):
            db.ArtworkCandidate.insert_many(assets[start : start + 500]).execute()
        for movie_id in ids[::10]:
            db.Job.create(kind="enrich", movie=movie_id, key=f"enrich:{movie_id}", state="queued")
        for movie_id in ids[:500]:
            db.record_event("enrich.done", "enriched", movie=movie_id)


def main(argv: list[str] | None = None) -> None:
    from metarrd.web import create_app

    ap = argparse.ArgumentParser(prog="python -m bench.web")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-web-"))
    try:
        (tmp / "movies").mkdir()
        config = parse_config(
            {
                "data_dir": str(tmp / "data"),
                "library": [{"name": "Movies", "path": str(tmp / "movies")}],
            }
        )
        app = create_app(config)
        seed(args.items)
        client = app.test_client()
        for name, url in CASES.items():
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            client.get(url, headers=headers)  # warm: templates compiled, pages cached by SQLite
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                answer = client.get(url, headers=headers)
                times.append(time.perf_counter() - start)
                assert answer.status_code == 200, (url, answer.status_code)
            report(
                f"library page, {args.items:,} items: {name}",
                statistics.median(times),
                FLOOR_SECONDS,
            )
        print(
            "(ratio below 1.00 = within the 100 ms budget; time = median server time per request)"
        )
    finally:
        if not db.database.is_closed():
            db.database.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
