"""A movie's file replaced by another one in its folder, as an upgrade does without the webhook
(Radarr without *On Import*/*On Upgrade*, a manual upgrade, a re-encode): the item follows the
new file with its identification, locks and choices, as the Radarr webhook's upgrade path does
(`webhooks._upgrade` -> `renames.follow_renames`). Only where no other reading is possible:
the old file gone, exactly one new video in that movie's own folder, of the same title and
year by its name."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.scan.local_files import VideoPlace, movie_folder

from .conftest import MEDIA, put, scanned_with_users_work

# Radarr's default naming of the same film at two qualities ({Movie CleanTitle} {(Release Year)}
# {Quality Full}): the upgrade deletes the first, then imports the second beside it.
OLD = "Inception (2010)/Inception (2010) Bluray-720p.mkv"
NEW = "Inception (2010)/Inception (2010) Bluray-1080p.mkv"
BETTER = MEDIA / "hevc_hdr10.mkv"  # another size, other streams


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def _scanned(rt, movies, rel: str) -> db.Movie:
    return scanned_with_users_work(rt, movies, rel)


@pytest.mark.parametrize("whole", [True, False], ids=["full scan", "the watcher's folder"])
def test_a_file_replaced_in_its_folder_keeps_its_item(rt, tmp_path, whole):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    new = put(movies, NEW, BETTER)

    report = scan(rt) if whole else scan(rt, [new.parent])

    assert report.new == [] and report.missing == [] and report.changed == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert after.path == str(new) and not after.missing
    assert (after.tmdb_id, after.identification_status) == (27205, db.ENRICHED)
    assert (after.plot, after.locked_fields) == ("My own words.", ["plot"])
    assert after.publish_state == db.OUTDATED  # its NFO and artwork bear the old name
    assert after.size == BETTER.stat().st_size
    (video,) = db.VideoStream.select().where(db.VideoStream.movie == item.id)
    assert video.codec == "hevc"
    assert db.Movie.select().count() == 1
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.movie_id == item.id and "was replaced by" in event.message


def test_a_file_replaced_after_the_old_one_was_seen_gone_keeps_its_item(rt, tmp_path):
    """The old file deleted and scanned (the watcher, when the new file comes later than the
    folder settles): the item is missing; the new file, when it comes, takes it back."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    assert scan(rt, [(movies / OLD).parent]).missing == [item.id]
    new = put(movies, NEW, BETTER)

    report = scan(rt, [new.parent])

    assert report.new == [] and report.changed == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.missing, after.tmdb_id) == (str(new), False, 27205)


def test_a_different_film_in_the_folder_is_a_new_item(rt, tmp_path):
    """The file replaced by another film (its name says so): not the same item."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    put(movies, "Inception (2010)/Interstellar (2014) Bluray-1080p.mkv", BETTER)

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]


def test_two_new_files_do_not_take_the_old_item(rt, tmp_path):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    (movies / OLD).unlink()
    put(movies, NEW, BETTER)
    put(movies, "Inception (2010)/Inception (2010) Bluray-2160p.mkv", MEDIA / "xvid_mp3.avi")

    report = scan(rt)

    assert len(report.new) == 2 and report.missing == [item.id]


def test_a_file_replaced_in_a_folder_of_several_movies_is_a_new_item(rt, tmp_path):
    """In the library's root, or a folder of many films, one file gone and one come are two
    films: the one that went is missing, the one that came is new."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, "Inception.2010.720p.mkv")
    (movies / "Inception.2010.720p.mkv").unlink()
    put(movies, "Inception.2010.1080p.mkv", BETTER)

    report = scan(rt)

    assert len(report.new) == 1 and report.missing == [item.id]


# --- an upgrade copied in beside the old file, which is deleted at a later scan --------------


def _copied_in_beside(rt, movies, item, rel: str = NEW, source=BETTER) -> db.Movie:
    """The new file copied into the folder while the old one is still there (Radarr imports,
    then deletes the old file; a manual upgrade): a scan between the two makes it an item."""
    new = put(movies, rel, source)
    (extra_id,) = scan(rt, [new.parent]).new
    assert db.Movie.get_by_id(item.id).path == str(movies / OLD)  # the old one keeps its file
    return db.Movie.get_by_id(extra_id)


def _published(movie: db.Movie, name: str) -> db.LibraryFile:
    return db.LibraryFile.create(
        movie=movie.id, path=str(movie_folder(VideoPlace.of(movie)) / name), kind="nfo",
        sha256="0" * 64, size=10,
    )  # fmt: skip


@pytest.mark.parametrize("whole", [True, False], ids=["full scan", "the watcher's folder"])
def test_an_upgrade_copied_in_before_the_old_file_went_merges_into_its_item(rt, tmp_path, whole):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    db.ArtworkCandidate.create(
        movie=item.id, asset_type="poster", provider="tmdb", url="https://x/p.jpg", is_selected=True
    )
    ours = _published(item, "Inception (2010) Bluray-720p.nfo")
    extra = _copied_in_beside(rt, movies, item)
    theirs = _published(extra, "Inception (2010) Bluray-1080p-poster.jpg")
    (movies / OLD).unlink()

    report = scan(rt) if whole else scan(rt, [(movies / NEW).parent])

    assert db.Movie.select().count() == 1 and db.Movie.get_or_none(db.Movie.id == extra.id) is None
    assert report.merged == [extra.id] and report.missing == [] and report.new == []
    assert report.changed == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.parts, after.missing) == (
        str(movies / NEW),
        [str(movies / NEW)],
        False,
    )
    assert (after.tmdb_id, after.identification_status) == (27205, db.ENRICHED)
    assert (after.plot, after.locked_fields) == ("My own words.", ["plot"])
    assert after.publish_state == db.OUTDATED
    (video,) = db.VideoStream.select().where(db.VideoStream.movie == item.id)
    assert video.codec == "hevc"
    (chosen,) = db.ArtworkCandidate.select().where(db.ArtworkCandidate.is_selected)
    assert chosen.movie_id == item.id
    # both items' published files are the item's: its next publish removes or replaces them
    for row in (ours, theirs):
        assert db.LibraryFile.get_by_id(row.id).movie_id == item.id
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.movie_id == item.id and f"#{extra.id}" in event.message

    assert scan(rt).changed == [] and db.Movie.select().count() == 1  # settled


class ClockBack:
    """`datetime` as metarrd.db sees it (`db.now()`, every row's time): three hours back."""

    @staticmethod
    def now(tz=None):
        return datetime.now(tz) - timedelta(hours=3)

    def __getattr__(self, name):
        return getattr(datetime, name)


def test_an_upgrade_copied_in_after_the_clock_went_back_merges_into_its_item(
    rt, tmp_path, monkeypatch
):
    """NTP set the clock back three hours (a board without a real-time clock whose time had
    run ahead), then Radarr copied an upgrade in beside the movie and deleted the old file:
    the new file's item, made "before" the old one by the clock, was not taken for its
    upgrade; the movie went missing with the user's work, and the new file was a movie to
    identify again. An item made after another is one with a greater id, whatever the clock
    said."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    monkeypatch.setattr(db, "datetime", ClockBack())
    extra = _copied_in_beside(rt, movies, item)
    assert extra.created_at < item.created_at  # the clock's word
    (movies / OLD).unlink()

    report = scan(rt)

    assert report.merged == [extra.id] and report.missing == []
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.tmdb_id, after.plot) == (str(movies / NEW), 27205, "My own words.")


@pytest.mark.parametrize(
    ("old", "new"),
    [  # a scene release, upgraded to Radarr's name of it ({edition-{Edition Tags}}: Radarr's
        # edition keeps its Cut or Edition, and no apostrophe, Parser.cs EditionRegex)
        (
            "Inception (2010)/Inception.2010.Extended.Edition.720p.BluRay.x264-GRP.mkv",
            "Inception (2010)/Inception (2010) {edition-Extended Edition} Bluray-1080p.mkv",
        ),
        (
            "Inception (2010)/Inception.2010.Directors.Cut.720p.BluRay.x264-GRP.mkv",
            "Inception (2010)/Inception (2010) {edition-Directors Cut} Bluray-1080p.mkv",
        ),
        (
            "Inception (2010)/Inception (2010) - Theatrical Cut.mkv",
            "Inception (2010)/Inception (2010) {edition-Theatrical Cut} Bluray-1080p.mkv",
        ),
    ],
)
def test_an_upgrade_naming_its_edition_another_way_merges(rt, tmp_path, old, new):
    """The same edition, spelt as guessit reads a name ("Extended", "Director's Cut",
    "Theatrical") and as Radarr's `{edition-…}` writes it ("Extended Edition", "Directors
    Cut", "Theatrical Cut"): the editions compared unequal, and the upgrade was no upgrade (the
    old item missing with the user's work, the new file an item of its own)."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, old)
    (extra_id,) = scan(rt, [put(movies, new, BETTER).parent]).new
    (movies / old).unlink()

    report = scan(rt)

    assert report.merged == [extra_id] and report.missing == []
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.plot, after.missing) == (str(movies / new), "My own words.", False)


def _refused(rt, movies, item, extra):
    (movies / OLD).unlink()
    report = scan(rt)
    assert report.merged == [] and report.missing == [item.id]
    assert db.Movie.get_by_id(item.id).missing
    kept = db.Movie.get_by_id(extra.id)
    assert not kept.missing and db.Movie.select().count() == 2
    return kept


@pytest.mark.parametrize(
    "rel",
    [
        "Inception (2010)/Inception 2 (2014).mkv",  # its sequel, kept in the same folder
        "Inception (2010)/Inception (2010) {edition-Extended}.mkv",  # another cut kept beside
        # cuts whose names guessit reads no edition in (Kodi's and Jellyfin's versions)
        "Inception (2010)/Inception (2010) - The Final Cut.mkv",
        "Inception (2010)/Inception (2010) - Redux.mkv",
        "Inception (2010)/Inception.2010.Final.Cut.1080p.BluRay.x264-GRP.mkv",
        "Inception (2010)/Inception (2010) cd2.mkv",  # what is left of a stack whose cd1 went
    ],
)
def test_another_film_or_cut_beside_the_old_file_is_not_merged(rt, tmp_path, rel):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    extra = _copied_in_beside(rt, movies, item, rel)

    _refused(rt, movies, item, extra)


def test_an_extra_named_after_its_film_is_not_merged(rt, tmp_path):
    """`Inception (2010) - Deleted Scenes.mkv`: the walk takes it (no extras suffix), its name
    gives the film's title and year; its runtime is not the film's."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    db.VideoStream.update(duration_seconds=8880).where(db.VideoStream.movie == item.id).execute()
    extra = _copied_in_beside(
        rt, movies, item, "Inception (2010)/Inception (2010) - Deleted Scenes.mkv"
    )

    _refused(rt, movies, item, extra)


@pytest.mark.parametrize(
    "work",
    [
        {"locked_fields": ["title"]},
        {"identified_by": "manual", "tmdb_id": 27205, "identification_status": db.IDENTIFIED},
        {"tmdb_id": 157336, "identification_status": db.IDENTIFIED},  # another film
    ],
    ids=["a lock", "identified by the user", "identified as another film"],
)
def test_the_new_item_with_work_of_its_own_is_not_merged(rt, tmp_path, work):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    extra = _copied_in_beside(rt, movies, item)
    db.Movie.update(**work).where(db.Movie.id == extra.id).execute()

    kept = _refused(rt, movies, item, extra)

    assert all(getattr(kept, k) == v for k, v in work.items())


def test_an_artwork_choice_on_the_new_item_is_not_lost(rt, tmp_path):
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    extra = _copied_in_beside(rt, movies, item)
    db.record_event("review.selected", "poster chosen", movie=extra.id)

    _refused(rt, movies, item, extra)


def test_a_stack_replaced_by_one_file_is_not_merged(rt, tmp_path):
    movies = tmp_path / "movies"
    put(movies, "Inception (2010)/Inception (2010) cd1.mkv")
    cd2 = put(movies, "Inception (2010)/Inception (2010) cd2.mkv")
    (item_id,) = scan(rt).new
    db.Movie.update(tmdb_id=27205, identification_status=db.ENRICHED).execute()
    new = put(movies, NEW, BETTER)
    (extra_id,) = scan(rt, [new.parent]).new
    (movies / "Inception (2010)/Inception (2010) cd1.mkv").unlink()
    cd2.unlink()

    report = scan(rt)

    assert report.merged == [] and report.missing == [item_id]
    assert db.Movie.get_by_id(extra_id).path == str(new)


def test_two_versions_kept_then_one_moved_to_another_library_is_not_merged(
    config_factory, tmp_path
):
    """The 1080p and 2160p files of one film kept side by side, then the 2160p one moved to
    the 4K library (same folder name): its item follows it there, when that library is
    scanned; the one left keeps its own item."""
    movies, movies_4k = tmp_path / "movies", tmp_path / "movies-4k"
    rt = open_runtime(config_factory(libraries={"Movies": movies, "Movies 4K": movies_4k}))
    try:
        item = _scanned(rt, movies, OLD)
        extra = _copied_in_beside(rt, movies, item)
        (movies_4k / "Inception (2010)").mkdir()
        os.rename(movies / OLD, movies_4k / OLD)

        report = scan(rt)

        assert report.merged == [] and report.moved == [item.id] and report.new == []
        assert db.Movie.get_by_id(item.id).path == str(movies_4k / OLD)
        assert db.Movie.get_by_id(extra.id).path == str(movies / NEW)
    finally:
        rt.close()


def _in_cache(rt, movie_id: int, image_type: str, digest: str, **values) -> Path:
    path = rt.config.cache_dir / image_type / digest[:2] / f"{digest}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(digest.encode())
    db.CacheImageFile.create(
        movie=movie_id, image_type=image_type, file_path=str(path), file_hash=digest, **values
    )
    return path


def _preview(rt, movie_id: int, digest: str, url: str) -> Path:
    rel = f"{digest[:2]}/{digest}.webp"
    (rt.config.previews_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (rt.config.previews_dir / rel).write_bytes(b"RIFF")
    db.ArtworkCandidate.create(
        movie=movie_id, asset_type="poster", provider="tmdb", url=url, content_hash=digest,
        format="jpeg", preview_path=rel,
    )  # fmt: skip
    return rt.config.previews_dir / rel


def test_the_merged_items_cache_files_and_previews_go_unless_still_used(rt, tmp_path):
    """The new file's item was enriched before the old file went (its posters downloaded, its
    previews made): once merged, what only it used goes from the cache (nothing else would ever
    remove it: no row names it); what the kept item, or any other, uses stays."""
    movies = tmp_path / "movies"
    item = _scanned(rt, movies, OLD)
    extra = _copied_in_beside(rt, movies, item)
    only_extra = _in_cache(rt, extra.id, "poster", "a" * 64, source_type="provider")
    shared = _in_cache(rt, extra.id, "fanart", "b" * 64, source_type="provider")
    _in_cache(rt, item.id, "fanart", "b" * 64, source_type="provider")
    theirs = _in_cache(rt, extra.id, "poster", "c" * 64, source_type="library")
    lone_preview = _preview(rt, extra.id, "d" * 64, "https://x/d.jpg")
    shared_preview = _preview(rt, extra.id, "e" * 64, "https://x/e.jpg")
    _preview(rt, item.id, "e" * 64, "https://x/e.jpg")
    outside = tmp_path / "mine.jpg"  # never ours to remove, whatever a row says
    outside.write_bytes(b"x")
    db.CacheImageFile.create(
        movie=extra.id, image_type="poster", file_path=str(outside), file_hash="f" * 64
    )
    (movies / OLD).unlink()

    assert scan(rt).merged == [extra.id]

    assert not only_extra.exists() and not lone_preview.exists()
    assert not only_extra.parent.exists()  # its empty folder too
    assert shared.exists() and shared_preview.exists() and outside.exists()
    assert theirs.exists()  # the user's own image, now the kept item's
    assert db.CacheImageFile.get(db.CacheImageFile.file_path == str(theirs)).movie_id == item.id
