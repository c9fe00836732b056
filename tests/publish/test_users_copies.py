"""The copies we keep of the user's files (docs/publish.md, "nothing of the user's is lost"):
the user's own image or NFO that a publish replaced or removed is copied first, into the cache
(`cache_image_files` row of source `library`) or `backup/`, and kept for good. These go through
what happens to the item afterwards (a scan merges an upgrade into it, it is identified as
another film, it is published again and the unselected downloads are swept) and check that the
copy is still on disk and still named by a row; and that the sweep still removes our own
unused downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from metarrd import db
from metarrd.pipeline.daemon import recover
from metarrd.publish import publish_item
from metarrd.scan import scan
from tests.publish.conftest import add_asset, image_bytes
from tests.scan.conftest import MEDIA, put, scanned_with_users_work

# Radarr's default naming of one film at two qualities: an upgrade imports the second beside
# the first, then deletes the first (tests/scan/test_replaced_files.py)
OLD = "Inception (2010)/Inception (2010) Bluray-720p.mkv"
NEW = "Inception (2010)/Inception (2010) Bluray-1080p.mkv"
NEW_BASE = "Inception (2010) Bluray-1080p"
# tinyMediaManager's movie NFO, the user's words
USER_NFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
    b"<!--created on 2024-03-02 18:11:54 - tinyMediaManager 5.0.2-->\n<movie>\n"
    b"  <title>Inception</title>\n  <userrating>9.0</userrating>\n</movie>\n"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kept(movie_id: int, data: bytes) -> Path:
    """The copy of the user's `data`: a `library` row of the item naming a file with its bytes."""
    C = db.CacheImageFile
    rows = list(C.select().where(C.file_hash == sha(data), C.source_type == "library"))
    assert [r.movie_id for r in rows] == [movie_id], "no row of the item names the copy"
    path = Path(rows[0].file_path)
    assert path.read_bytes() == data
    return path


def _upgrade_published(rt, movies: Path, users_poster: bytes) -> tuple[db.Movie, db.Movie]:
    """The film scanned and enriched; the upgrade copied in beside it with the user's own PNG
    poster and NFO named after it, scanned, enriched and published: the publish removed the
    PNG (our poster is a JPEG) and replaced the NFO, each after copying it."""
    item = scanned_with_users_work(rt, movies, OLD)
    new = put(movies, NEW, MEDIA / "hevc_hdr10.mkv")
    (new.parent / f"{NEW_BASE}-poster.png").write_bytes(users_poster)
    (new.parent / f"{NEW_BASE}.nfo").write_bytes(USER_NFO)
    (extra_id,) = scan(rt, [new.parent]).new
    db.Movie.update(tmdb_id=27205, identification_status=db.ENRICHED).where(
        db.Movie.id == extra_id
    ).execute()
    extra = db.Movie.get_by_id(extra_id)
    add_asset(rt, extra, "poster", score=9.0)  # TMDB's, chosen over the user's
    db.ArtworkCandidate.update(is_selected=False).where(
        db.ArtworkCandidate.movie == extra_id, db.ArtworkCandidate.provider == "library"
    ).execute()
    result = publish_item(rt, db.Movie.get_by_id(extra_id))
    assert not (new.parent / f"{NEW_BASE}-poster.png").exists()
    assert str(new.parent / f"{NEW_BASE}.nfo") in result.backed_up
    return item, extra


@pytest.mark.parametrize("shared", [False, True], ids=["own cache", "shared cache"])
def test_the_users_copies_follow_an_upgrade_merged_into_the_old_item(make_rt, tmp_path, shared):
    """With a shared cache (`[cache] dir`) the user's NFO is kept in its `backup/`, where
    the merge's `cache.remove_unused` looks; on one host in `<data_dir>/backup`."""
    rt = make_rt(**({"cache": {"dir": str(tmp_path / "nfs" / "cache")}} if shared else {}))
    movies = tmp_path / "movies"
    theirs = image_bytes("poster", "png")
    item, extra = _upgrade_published(rt, movies, theirs)
    kept(extra.id, theirs), kept(extra.id, USER_NFO)
    (movies / OLD).unlink()

    assert scan(rt).merged == [extra.id]

    kept(item.id, theirs)
    assert kept(item.id, USER_NFO).is_relative_to(rt.config.backup_dir)
    publish_item(rt, db.Movie.get_by_id(item.id))  # and its sweep of unselected downloads
    kept(item.id, theirs), kept(item.id, USER_NFO)


def test_the_users_copy_stays_when_the_old_item_downloaded_the_same_picture(rt, tmp_path):
    """The user's poster is TMDB's own file (Radarr and tinyMediaManager fetch it from there),
    which the old item had downloaded too, unselected: one cache file, named by the old item's
    row of the provider's. The merge left that row a provider's, and the old item's next
    publish swept it, the only copy of the user's removed poster with it."""
    movies = tmp_path / "movies"
    theirs = image_bytes("poster", "jpeg")
    item, extra = _upgrade_published(rt, movies, theirs)
    add_asset(rt, db.Movie.get_by_id(item.id), "poster", data=theirs, selected=False)
    add_asset(rt, db.Movie.get_by_id(item.id), "poster", selected=True)
    (movies / OLD).unlink()

    assert scan(rt).merged == [extra.id]
    publish_item(rt, db.Movie.get_by_id(item.id))

    kept(item.id, theirs)


def test_the_users_copies_stay_when_the_item_is_identified_as_another_film(
    config_factory, simulator
):
    """The user tells us the folder is another film (Fight Club, not The Matrix): the
    old film's downloaded pictures go (`forget_enrichment`, `cache.remove_unused`); the
    copies of the user's poster and NFO that the first publish took out of the library stay."""
    from metarrd.identify import manual_identify
    from metarrd.runtime import open_runtime
    from tests.publish.conftest import build_enriched

    rt = open_runtime(config_factory(simulator))
    try:
        built = build_enriched(rt)
        theirs = image_bytes("poster", "png")
        built.path("The Matrix (1999)-poster.png").write_bytes(theirs)
        built.path("The Matrix (1999).nfo").write_bytes(USER_NFO)
        publish_item(rt, built.movie)
        # TMDB's other poster of The Matrix, downloaded since (a look at the Artwork tab)
        unused, _ = add_asset(rt, built.movie, "poster", selected=False)
        ours = db.CacheImageFile.get(db.CacheImageFile.file_hash == unused.content_hash)
        assert Path(ours.file_path).is_file()

        assert manual_identify(rt, built.reload(), tmdb_id=550).identified

        kept(built.movie.id, theirs), kept(built.movie.id, USER_NFO)
        assert not Path(ours.file_path).exists()  # the old film's download: swept
    finally:
        rt.close()


def test_the_sweep_after_a_publish_keeps_the_users_copy_and_removes_our_unused_downloads(rt, build):
    """A publish removes the cache files of the unselected candidates (`drop_unselected`). The
    user's `-poster.png` is TMDB's own PNG poster, which we downloaded and left unselected: one
    cache file, which the publish copied the user's file into before removing it: kept. TMDB's
    other unselected poster, ours only: removed."""
    built = build()
    same, theirs = add_asset(rt, built.movie, "poster", fmt="png", selected=False)
    other, _ = add_asset(rt, built.movie, "poster", selected=False)
    downloaded = Path(
        db.CacheImageFile.get(db.CacheImageFile.file_hash == other.content_hash).file_path
    )
    built.path("The Matrix (1999)-poster.png").write_bytes(theirs)

    result = publish_item(rt, built.movie)

    assert str(built.path("The Matrix (1999)-poster.png")) in result.backed_up
    kept(built.movie.id, theirs)
    assert not downloaded.exists() and result.cache_removed == 1
    publish_item(rt, built.reload())
    recover(rt, requeue=False)  # the daemon's clean-up at start: our temp files only
    kept(built.movie.id, theirs)


def test_the_users_copies_stay_when_the_file_is_deleted_and_the_item_marked_missing(rt, tmp_path):
    """Radarr deletes the upgrade (or the user does): the scan marks the item missing and keeps
    its data (`mark_gone`); the copies of the user's files stay named by its rows."""
    movies = tmp_path / "movies"
    theirs = image_bytes("poster", "png")
    _item, extra = _upgrade_published(rt, movies, theirs)
    (movies / NEW).unlink()

    assert extra.id in scan(rt).missing

    kept(extra.id, theirs), kept(extra.id, USER_NFO)


def test_the_users_copy_stays_when_the_cache_file_it_shares_is_swept_meanwhile(
    rt, build, monkeypatch
):
    """The user's poster is TMDB's own file, which another film had downloaded: its copy finds
    that cache file already there, and the other film is identified as another film before the
    copy's row names it: `cache.remove_unused` sees no row naming the file and removes it, and
    the publish then replaces the user's poster."""
    from metarrd import cache
    from metarrd.identify import forget_enrichment
    from metarrd.publish import sources

    built = build()
    other = build("Mad Max Fury Road (2015)", title="Mad Max: Fury Road", year=2015, tmdb_id=76341)
    _downloaded, theirs = add_asset(rt, other.movie, "poster", selected=False)
    built.path("The Matrix (1999)-poster.jpg").write_bytes(theirs)
    real = sources.row_values
    landed = []

    def the_other_film_goes_first(path, info, source_type, *rest):
        if source_type == "library" and not landed:  # the copy, about to be named by its row
            landed.append(True)
            with db.write_transaction():
                forgotten = forget_enrichment(db.Movie.get_by_id(other.movie.id))
            cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, *forgotten)
        return real(path, info, source_type, *rest)

    monkeypatch.setattr(sources, "row_values", the_other_film_goes_first)
    result = publish_item(rt, built.movie)

    assert landed and str(built.path("The Matrix (1999)-poster.jpg")) in result.backed_up
    assert built.path("The Matrix (1999)-poster.jpg").read_bytes() != theirs
    kept(built.movie.id, theirs)
