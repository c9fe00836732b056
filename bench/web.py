"""Web benchmark: the pages of a 10,000-item library, server time per request.

    python -m bench.web [--items 10000] [--requests 30]

Every item has a selected poster with a preview (in one of four languages), a tenth have a
queued job, genres vary, some items have locked fields or an error, and a few hundred events
exist, as after a real enrichment. Each page variant is requested through the WSGI app (no
network) and its median time printed against its floor: 50 ms for the poster wall's first page,
every state filter and facet and the live counts (issue 13), 100 ms for the rest.
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
FAST = 0.050  # the poster wall's first page and any filter (issue 13)
CASES = {
    "poster wall, first page": ("/", FAST),
    "table view, first page": ("/?view=table", FAST),
    "filter: to review": ("/?filter=unpublished", FAST),
    "filter: published": ("/?filter=published", FAST),
    "facet: genre": ("/?genre=Comedy", FAST),
    "facet: decade": ("/?decade=1990", FAST),
    "facet: without a clearlogo": ("/?missing_art=clearlogo", FAST),
    "facet: locked fields": ("/?locked=1", FAST),
    "facet: has errors": ("/?errors=1", FAST),
    "facet: poster language": ("/?poster_lang=fr", FAST),
    "state + facets + year desc": ("/?filter=published&genre=Drama&decade=1990&sort=-year", FAST),
    "htmx: live state counts": ("/counts?genre=Drama", FAST),
    "search: title": ("/?q=Film%2009", FLOOR_SECONDS),
    "page 150 of 209": ("/?page=150", FLOOR_SECONDS),
    "newest first": ("/?sort=added", FLOOR_SECONDS),
    "htmx partial, 200 per page": ("/?per_page=200", FLOOR_SECONDS),
    "item page": ("/movies/5000", FLOOR_SECONDS),
    "item page, artwork tab (htmx)": ("/movies/5000/tabs/artwork", FLOOR_SECONDS),
    "health dashboard": ("/health", FLOOR_SECONDS),
}
GENRES = (["Drama", "Thriller"], ["Comedy"], ["Drama", "Romance"], ["Action", "Science Fiction"])
LANGUAGES = ("en", "fr", "de", None)


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
                    "genres": GENRES[i % len(GENRES)],
                    "locked_fields": ["plot"] if i % 17 == 0 else [],
                    "last_error": "TMDB unavailable" if i % 23 == 0 else None,
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
                        "language": LANGUAGES[movie_id % len(LANGUAGES)],
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
        for name, (url, floor) in CASES.items():
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            client.get(url, headers=headers)  # warm: templates compiled, pages cached by SQLite
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                answer = client.get(url, headers=headers)
                times.append(time.perf_counter() - start)
                assert answer.status_code == 200, (url, answer.status_code)
            report(f"{args.items:,} items: {name}", statistics.median(times), floor)
        print(
            "(ratio below 1.00 = within the budget: 50 ms for the wall and the filters, 100 ms"
            " for the rest; time = median server time per request)"
        )
    finally:
        if not db.database.is_closed():
            db.database.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
