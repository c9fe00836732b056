"""Web benchmark: the pages of a 10,000-item library, server time per request.

    python -m bench.web [--items 10000] [--requests 30] [--shows 300 --seasons 3 --episodes 10]

Every item has a selected poster with a preview (in one of four languages), a tenth have a
queued job, genres vary, some items have locked fields or an error, and a few hundred events
exist, as after a real enrichment. Beside the movies, a TV library of `--shows` shows with
`--seasons` seasons of `--episodes` episode files each (300 x 3 x 10: 9,000 episode files and
900 season rows by default), in every state, some files unmatched or with the user's own NFO.
Each page variant is requested through the WSGI app (no network) and its median time printed
against its floor: 50 ms for the poster wall's first page, every state filter and facet and the
live counts (issue 13), 100 ms for the rest.
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
    "search: title typed with an accent": ("/?q=F%C3%ADlm%2009", FLOOR_SECONDS),
    "page 150 of 209": ("/?page=150", FLOOR_SECONDS),
    "newest first": ("/?sort=added", FLOOR_SECONDS),
    "htmx partial, 200 per page": ("/?per_page=200", FLOOR_SECONDS),
    "item page": ("/movies/{movie}", FLOOR_SECONDS),  # the middle movie
    "item page, artwork tab (htmx)": ("/movies/{movie}/tabs/artwork", FLOOR_SECONDS),
    "health dashboard": ("/health", FLOOR_SECONDS),
}
# the TV pages; {show}, {season}, {episode} and {unidentified} are ids found after seeding
TV_CASES = {
    "shows tab, first page": ("/?kind=show", FAST),
    "shows to review": ("/?kind=show&filter=unpublished", FAST),
    "show page": ("/movies/{show}", FLOOR_SECONDS),
    "show: seasons & episodes (htmx)": ("/movies/{show}/tabs/episodes", FLOOR_SECONDS),
    "season page": ("/movies/{season}", FLOOR_SECONDS),
    "episode page": ("/movies/{episode}", FLOOR_SECONDS),
    "identify list (movies + shows)": ("/identify", FLOOR_SECONDS),
    "identify page of a show": ("/movies/{unidentified}/identify", FLOOR_SECONDS),
}
GENRES = (["Drama", "Thriller"], ["Comedy"], ["Drama", "Romance"], ["Action", "Science Fiction"])
LANGUAGES = ("en", "fr", "de", None)


def seed(items: int) -> None:
    lib = db.Library.get(db.Library.name == "Movies")
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


SHOW_STATES = [
    (db.ENRICHED, db.UNPUBLISHED),
    (db.ENRICHED, db.PUBLISHED),
    (db.ENRICHED, db.OUTDATED),
    (db.IDENTIFIED, db.UNPUBLISHED),
    (db.UNIDENTIFIED, db.UNPUBLISHED),
]
TV_CANDIDATES = [  # what an unsure show keeps for its identify page (Doctor Who without a year)
    {"tmdb_id": 57243, "title": "Doctor Who", "year": 2005, "distance": 0.31,
     "penalties": {"year": 0.3}, "recommendation": "low", "reasons": ["no year to compare"]},
    {"tmdb_id": 121, "title": "Doctor Who", "year": 1963, "distance": 0.33,
     "penalties": {"year": 0.3}, "recommendation": "low", "reasons": ["no year to compare"]},
]  # fmt: skip


def seed_tv(shows: int, seasons: int, episodes: int) -> dict[str, int]:
    """Shows, their season rows and episode files in every state; returns the ids the TV cases
    open: a show in the middle, its first season and episode, and an unidentified show."""
    lib = db.Library.get(db.Library.kind == "tv")
    M = db.Movie
    with db.database.atomic():
        rows = []
        for i in range(shows):
            status, publish = SHOW_STATES[i % len(SHOW_STATES)]
            rows.append({
                "library": lib.id, "kind": db.SHOW, "path": f"{lib.path}/Show {i:04d}",
                "title": f"Show {i:04d}", "year": 1990 + i % 35,
                "tmdb_id": None if status == db.UNIDENTIFIED else 500000 + i,
                "identification_status": status, "publish_state": publish,
                "plot": "A long plot. " * 40, "genres": GENRES[i % len(GENRES)],
                "candidates": TV_CANDIDATES if status == db.UNIDENTIFIED else [],
            })  # fmt: skip
        for start in range(0, len(rows), 500):
            M.insert_many(rows[start : start + 500]).execute()
        show_rows = list(
            M.select(M.id, M.path, M.identification_status, M.publish_state)
            .where(M.kind == db.SHOW)
            .order_by(M.id)
            .tuples()
        )
        rows = []
        for show_id, folder, status, publish in show_rows:
            for n in range(1, seasons + 1):
                rows.append({
                    "library": lib.id, "kind": db.SEASON, "show": show_id, "season": n,
                    "path": f"{folder}/#season-{n:02d}", "title": f"Season {n}",
                    "identification_status": status, "publish_state": publish,
                })  # fmt: skip
                for e in range(1, episodes + 1):
                    unmatched = status != db.UNIDENTIFIED and e == episodes and n == 1
                    rows.append({
                        "library": lib.id, "kind": db.EPISODE, "show": show_id, "season": n,
                        "episodes": [e], "path": f"{folder}/Season {n:02d}/S{n:02d}E{e:02d}.mkv",
                        "title": f"Episode {e}", "aired": f"20{n:02d}-01-{e:02d}",
                        "identification_status": db.UNIDENTIFIED if unmatched else status,
                        "publish_state": publish,
                        "last_error": "TMDB has no such episode" if unmatched else None,
                        "source_nfo_hash": "ab" * 32 if e % 7 == 0 else None,
                    })  # fmt: skip
        for start in range(0, len(rows), 500):
            M.insert_many(rows[start : start + 500]).execute()
        assets = [
            {"movie": show_id, "asset_type": "poster", "provider": "tmdb", "is_selected": True,
             "rank": 1, "score": 0.5, "url": f"http://127.0.0.1:9/show/{show_id}.jpg",
             "preview_path": f"cd/{show_id:064d}.webp", "language": "en"}
            for show_id, *_rest in show_rows
        ]  # fmt: skip
        for start in range(0, len(assets), 500):
            db.ArtworkCandidate.insert_many(assets[start : start + 500]).execute()
    middle = show_rows[len(show_rows) // 2][0]
    unidentified = next(r[0] for r in show_rows if r[2] == db.UNIDENTIFIED)
    season = M.select(M.id).where(M.show == middle, M.kind == db.SEASON).order_by(M.season)
    episode = M.select(M.id).where(M.show == middle, M.kind == db.EPISODE).order_by(M.path)
    return {
        "show": middle,
        "season": season.scalar(),
        "episode": episode.scalar(),
        "unidentified": unidentified,
    }


def _time(client, name: str, url: str, floor: float, requests: int, label: str) -> None:
    headers = {"HX-Request": "true"} if "htmx" in name else {}
    client.get(url, headers=headers)  # warm: templates compiled, pages cached by SQLite
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, (url, answer.status_code)
    report(f"{label}: {name}", statistics.median(times), floor)


def main(argv: list[str] | None = None) -> None:
    from metarrd.web import create_app

    ap = argparse.ArgumentParser(prog="python -m bench.web")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--shows", type=int, default=300, help="TV shows beside the movies (0: none)")
    ap.add_argument("--seasons", type=int, default=3, help="seasons per show")
    ap.add_argument("--episodes", type=int, default=10, help="episode files per season")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="metarrd-bench-web-"))
    try:
        (tmp / "movies").mkdir()
        (tmp / "tv").mkdir()
        config = parse_config(
            {
                "data_dir": str(tmp / "data"),
                "library": [
                    {"name": "Movies", "path": str(tmp / "movies")},
                    {"name": "TV", "path": str(tmp / "tv"), "kind": "tv"},
                ],
            }
        )
        app = create_app(config)
        seed(args.items)
        movie = db.Movie.select(db.Movie.id).order_by(db.Movie.id).offset(args.items // 2)
        ids = seed_tv(args.shows, args.seasons, args.episodes) if args.shows else None
        client = app.test_client()
        label = f"{args.items:,} items"
        if ids:
            files = args.shows * args.seasons * args.episodes
            label += f" + {args.shows} shows ({files:,} episodes)"
        for name, (url, floor) in CASES.items():
            _time(client, name, url.format(movie=movie.scalar()), floor, args.requests, label)
        for name, (url, floor) in TV_CASES.items() if ids else ():
            _time(client, name, url.format(**ids), floor, args.requests, label)
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
