"""The user's image whose bytes are in the cache already (the very poster TMDB offers, saved
from its site and uploaded): the cache file is one, and a clean-up that runs while the upload is
stored must not take it. An upload has no address to download it from again. Each race is made
deterministic by the clean-up landing from inside the step between the two. The sweep after a
publish removes files under the write lock, so not while the cache does not answer."""

from __future__ import annotations

import hashlib
from pathlib import Path

from metarrd import cache, db
from metarrd.enrich import add_user_image, change_selection
from metarrd.identify import forget_enrichment
from metarrd.publish import publish_item, sources
from tests.publish.conftest import add_asset

A, C = db.ArtworkCandidate, db.CacheImageFile


def _published_with(rt, built, mine: db.ArtworkCandidate, data: bytes) -> None:
    """The user's image is in the cache, and a publish of it writes its bytes."""
    row = C.get(C.movie == built.movie.id, C.file_hash == mine.content_hash)
    assert Path(row.file_path).read_bytes() == data
    change_selection(rt.config, mine.id, "use")
    publish_item(rt, built.reload())
    assert built.path("The Matrix (1999)-poster.jpg").read_bytes() == data


def test_an_upload_keeps_its_cache_file_when_the_item_that_had_it_goes_meanwhile(
    rt, build, monkeypatch
):
    """The other film, which had the same poster, is identified as another film while the
    upload is stored: `cache.remove_unused` sees no row naming the file (ours is not yet
    written) and removes it."""
    built = build()
    other = build("Mad Max Fury Road (2015)", title="Mad Max: Fury Road", year=2015, tmdb_id=76341)
    _theirs, data = add_asset(rt, other.movie, "poster", selected=False)
    real = db.write_transaction
    landed = []

    def the_other_film_goes_first(*args, **kwargs):
        if not landed:  # the upload's rows, about to be written
            landed.append(True)
            with real():
                forgotten = forget_enrichment(other.reload())
            cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *forgotten)
            assert not C.select().where(C.file_hash == hashlib.sha256(data).hexdigest()).exists()
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "write_transaction", the_other_film_goes_first)
    mine = add_user_image(rt.config, built.movie.id, "poster", data=data)
    monkeypatch.setattr(db, "write_transaction", real)

    assert landed
    _published_with(rt, built, mine, data)


def test_an_upload_of_a_picture_the_publish_is_sweeping_stays(rt, build, monkeypatch):
    """A publish ends: it read which unselected pictures it may remove (TMDB's poster, not
    chosen), then the user uploads that very poster before `drop_unselected` removes them."""
    built = build()
    _theirs, data = add_asset(rt, built.movie, "poster", selected=False)
    real = sources.unselected_hashes
    added = []

    def the_user_uploads_after(movie_ids):
        found = real(movie_ids)
        if not added:
            added.append(add_user_image(rt.config, built.movie.id, "poster", data=data))
        return found

    monkeypatch.setattr(sources, "unselected_hashes", the_user_uploads_after)
    result = publish_item(rt, built.movie)
    monkeypatch.setattr(sources, "unselected_hashes", real)

    assert added and result.cache_removed == 0
    mine = A.get_by_id(added[0].id)
    assert mine.is_downloaded
    _published_with(rt, built, mine, data)


def test_the_sweep_waits_for_a_cache_that_does_not_answer(rt, build, monkeypatch):
    """The sweep removes files under the write lock: not while the cache hangs (a hard NFS
    mount whose server is gone), which would hold every writer for as long. Left for the next
    publish, rows and file."""
    built = build()
    _theirs, data = add_asset(rt, built.movie, "poster", selected=False)
    path = Path(C.get(C.file_hash == hashlib.sha256(data).hexdigest()).file_path)
    hung = rt.config.cache_dir
    monkeypatch.setattr(cache, "unanswered", lambda folder, **kw: Path(folder) == Path(hung))

    assert sources.drop_unselected(rt, built.movie.id) == 0

    assert path.read_bytes() == data
    assert C.select().where(C.file_path == str(path)).exists()
    monkeypatch.undo()
    assert sources.drop_unselected(rt, built.movie.id) == 1 and not path.exists()
