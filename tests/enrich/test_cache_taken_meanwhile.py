"""An enrich relies on a picture being in the cache already (another item's: the same film in a
second folder, the same fanart on a show and its season) from the moment it places its downloads
until its rows name the file. A clean-up that runs meanwhile (`cache.remove_unused` once that
other item went) sees no row naming it and removes it; the enrich must not end with rows that
name a file that is gone. Made deterministic by the clean-up landing between the two."""

from __future__ import annotations

from pathlib import Path

from metarrd import cache, db
from metarrd.enrich import caching, enrich_item
from metarrd.enrich.candidate_store import in_cache
from metarrd.identify import forget_enrichment

from .conftest import make_movie

A, C = db.ArtworkCandidate, db.CacheImageFile


def test_a_picture_a_clean_up_takes_while_the_enrich_places_it_is_placed_again(
    rt, simulator, monkeypatch
):
    first = make_movie(rt)
    enrich_item(rt, first)
    second = make_movie(rt, title="The Matrix Remastered")  # TMDB 603 too: the same pictures
    real_place, real_write = caching._Placing._place, db.write_transaction
    placed, landed = [], []

    def place(self, rows):
        results = real_place(self, rows)
        placed.append(True)
        return results

    def write_transaction(*args, **kwargs):
        if placed and not landed:  # the rows of the placed images, about to be written
            landed.append(True)
            with real_write():
                forgotten = forget_enrichment(db.Movie.get_by_id(first.id))
            assert cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *forgotten)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(caching._Placing, "_place", place)
    monkeypatch.setattr(db, "write_transaction", write_transaction)
    enrich_item(rt, second)
    monkeypatch.setattr(db, "write_transaction", real_write)

    assert landed
    chosen = list(A.select().where(A.movie == second.id, A.is_selected, A.provider != "library"))
    assert chosen and all(r.is_downloaded and in_cache(rt.config.cache_dir, r) for r in chosen)
    for row in C.select().where(C.movie == second.id, C.actor.is_null()):
        assert Path(row.file_path).is_file(), row.file_path
