"""ENRICH for TV against the simulator: a show with specials and a multi-episode file enriched
end to end (docs/tv.md "Enrich": the contract with publish), re-enrich, locks, provider trouble."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.identify import identify_many
from metarrd.scan import scan

from .conftest import put

BB = "Breaking Bad (2008)"
FILES = [
    f"{BB}/Specials/Breaking Bad - S00E01 - Good Cop.mkv",
    f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    f"{BB}/Season 01/Breaking Bad S01E04E05.mkv",
    f"{BB}/Season 02/Breaking Bad - S02E01.mkv",
]
SHOW_TYPES = {"poster", "fanart", "banner", "clearlogo", "clearart", "landscape",
              "characterart", "keyart", "season-all-poster", "season-all-banner",
              "season-all-landscape", "season-all-fanart"}  # fmt: skip
SEASON_TYPES = {"poster", "fanart", "banner", "landscape"}


@pytest.fixture
def rt(tv_rt):
    tv_rt.http.backoff = 0.05
    return tv_rt


def identified_show(rt, root: Path, files=FILES) -> db.Movie:
    for rel in files:
        put(root, rel)
    scan(rt)
    shows = [m.id for m in db.Movie.select().where(db.Movie.kind == db.SHOW)]
    identify_many(rt, shows, threads=1)
    return db.Movie.get(db.Movie.kind == db.SHOW)


def selected(item_id: int) -> dict[str, list[db.ArtworkCandidate]]:
    out: dict[str, list] = {}
    query = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == item_id) & db.ArtworkCandidate.is_selected
    )
    for row in query.order_by(db.ArtworkCandidate.rank):
        out.setdefault(row.asset_type, []).append(row)
    return out


def cached(item_id: int) -> set[str]:
    query = db.CacheImageFile.select().where(db.CacheImageFile.movie == item_id)
    return {c.image_type for c in query if Path(c.file_path).is_file()}


def episode(path_end: str) -> db.Movie:
    return db.Movie.get(db.Movie.path.endswith(path_end))


def test_show_seasons_and_episodes_enriched_end_to_end(rt, tmp_path):
    show = identified_show(rt, tmp_path / "tv")
    result = enrich_item(rt, show)
    assert not result.failed and not result.provider_errors, str(result)
    assert (result.seasons, result.episodes) == (3, 4), str(result)

    show = db.Movie.get_by_id(show.id)
    assert show.identification_status == db.ENRICHED and show.last_error is None
    assert (show.title, show.original_title, show.premiered, show.year) == (
        "Breaking Bad", "Breaking Bad", "2008-01-20", 2008)  # fmt: skip
    assert show.plot and show.status == "Ended" and show.studios == ["AMC"]
    assert show.genres == ["Drama", "Crime"] and show.mpaa == "TV-MA"
    assert show.rating == 8.9 and show.votes == 14120
    assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (1396, 81189, "tt0903747")
    roles = show.cast()
    assert [(r.actor.name, r.role, r.order) for r in roles][:2] == [
        ("Bryan Cranston", "Walter White", 0), ("Aaron Paul", "Jesse Pinkman", 1)]  # fmt: skip
    assert all(r.actor.image_cache_path and Path(r.actor.image_cache_path).is_file()
               for r in roles)  # fmt: skip
    assert set(selected(show.id)) == SHOW_TYPES
    assert cached(show.id) == SHOW_TYPES

    seasons = {s.season: s for s in db.Movie.select().where(db.Movie.kind == db.SEASON)}
    assert set(seasons) == {0, 1, 2}
    assert seasons[0].title == "Specials" and seasons[1].title == "Season 1"
    assert seasons[1].premiered == "2008-01-20"
    for s in seasons.values():
        assert s.identification_status == db.ENRICHED
        assert set(selected(s.id)) == SEASON_TYPES, s.season
        assert cached(s.id) == SEASON_TYPES

    multi = episode("Breaking Bad S01E04E05.mkv")
    assert multi.identification_status == db.ENRICHED
    assert multi.title == "Cancer Man" and multi.aired and multi.runtime == 2 * 47
    assert (multi.rating, multi.votes) == (7.5, 12)
    assert multi.directors and multi.writers
    details = multi.episode_details
    assert [(d["season"], d["episode"], d["title"]) for d in details] == [
        (1, 4, "Cancer Man"), (1, 5, "Gray Matter")]  # fmt: skip
    assert all(d["tmdb_id"] and d["tvdb_id"] and d["plot"] and d["aired"] for d in details)
    assert set(details[0]) >= {"season", "episode", "title", "plot", "aired", "runtime",
                               "rating", "directors", "writers", "tmdb_id", "tvdb_id"}  # fmt: skip
    guests = multi.cast()
    assert guests and min(g.order for g in guests) == len(roles)
    assert all(g.role.startswith("Visitor") for g in guests)
    assert all(g.actor.image_cache_path for g in guests if g.actor.profile_path)
    for item in db.Movie.select().where(db.Movie.kind == db.EPISODE):
        assert item.identification_status == db.ENRICHED, item.path
        assert set(selected(item.id)) == {"thumb"} and cached(item.id) == {"thumb"}
    special = episode("S00E01 - Good Cop.mkv")
    assert special.title == "Good Cop Bad Cop" and special.publish_state == db.UNPUBLISHED
