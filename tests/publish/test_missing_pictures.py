"""A NAS owner deletes what they watched: the movie's item stays, missing, with its data; after
`housekeeping.MISSING_DAYS` the pictures it downloaded leave the image cache, so the cache holds
the library's pictures and not every deleted movie's for good. Back, it downloads them again."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from metarrd import db
from metarrd.pipeline import housekeeping
from metarrd.publish import publish_item
from metarrd.scan import scan
from tests.publish.conftest import image_bytes

CYCLES = 4


def _served(built, image_server) -> None:
    """The candidates' addresses on the image server (the provider's image host)."""
    for asset in db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == built.movie.id):
        url = image_server.serve(f"art/{asset.id}.img", built.images[asset.url])
        built.images[url] = built.images[asset.url]
        db.ArtworkCandidate.update(url=url).where(db.ArtworkCandidate.id == asset.id).execute()


def _cache_files(rt) -> set[Path]:
    """The items' pictures in the cache (not the people's, which are the actors' own)."""
    people = rt.config.cache_dir / "actor"
    return {
        p
        for p in rt.config.cache_dir.rglob("*")
        if p.is_file() and people not in p.parents and rt.config.backup_dir not in p.parents
    }


def test_movies_deleted_for_months_give_back_their_downloaded_pictures(
    rt, build, image_server, tmp_path
):
    resident = build("Resident (2000)", title="Resident", tmdb_id=499)  # stays in the library
    _served(resident, image_server)
    publish_item(rt, resident.movie)
    C = db.CacheImageFile
    residents = {Path(r.file_path) for r in C.select().where(C.movie == resident.movie.id)}
    assert residents
    gone = []
    for cycle in range(CYCLES):
        built = build(f"Film {cycle} (19{70 + cycle})", title=f"Film {cycle}", tmdb_id=500 + cycle)
        _served(built, image_server)
        if cycle == 0:  # the user's own poster: copied into the cache, kept for good
            users = image_bytes("poster", seed=99)
            built.path(f"{built.base}-poster.jpg").write_bytes(users)
        assert publish_item(rt, built.movie).written
        # Radarr deletes what was watched: the scan marks it missing, its data kept
        video = Path(built.movie.path)
        saved = tmp_path / f"saved-{cycle}.mkv"
        shutil.copyfile(video, saved)
        shutil.rmtree(built.folder)
        scan(rt, [video.parent.parent])
        assert built.reload().missing
        long_ago = db.now() - datetime.timedelta(days=housekeeping.MISSING_DAYS + 1)
        db.Movie.update(updated_at=long_ago).where(db.Movie.id == built.movie.id).execute()
        gone.append((built, saved))
        housekeeping.forget_old(rt.config)
        # none of the deleted movies' downloads stays: only the user's own poster's copy
        kept = C.select().where(C.movie.is_null(False), C.movie != resident.movie.id)
        assert [(r.source_type, r.movie_id) for r in kept] == [("library", gone[0][0].movie.id)]
        assert _cache_files(rt) == residents | {Path(r.file_path) for r in kept}, cycle

    # one comes back (restored from the recycle bin): its publish downloads its pictures again
    built, saved = gone[-1]
    built.folder.mkdir()
    shutil.copyfile(saved, built.movie.path)
    scan(rt, [built.folder])
    assert not built.reload().missing
    image_server.requests.clear()
    result = publish_item(rt, built.reload())
    selected = [a for assets in built.selected.values() for a in assets]
    assert len(image_server.requests) == len(selected)  # each downloaded again, once
    assert result.skipped == ["actor Hugo Weaving: no image, nothing written to .actors"]
    poster = db.ArtworkCandidate.get_by_id(built.selected["poster"][0].id)
    assert built.path(f"{built.base}-poster.jpg").read_bytes() == built.images[poster.url]
    assert poster.is_downloaded
