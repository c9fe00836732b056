"""A stack that an older metarrd split in two items: its later part (`cd2`, a folder stack's
`CD2/` video) an item of its own beside the stack's. Before 5554c32 a `cd2` scanned before its
`cd1` came kept its item while the stack became a new one; before d198d9c a scan of `CD2/`
alone (the watcher's) made its video a new movie beside the stack. The next scans left the
part's item missing for good, with its data, the user's work and its published files. A scan
makes them one item again."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.scan import stage as scan_stage
from metarrd.scan.local_files import VideoPlace, movie_folder

from .conftest import put, scanned_with_users_work

FILES = ("Heat (1995)/Heat (1995) cd1.mkv", "Heat (1995)/Heat (1995) cd2.mkv")
FOLDERS = ("Heat (1995)/CD1/heat-a.mkv", "Heat (1995)/CD2/heat-b.mkv")


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def _published(movie: db.Movie, name: str) -> db.LibraryFile:
    return db.LibraryFile.create(
        movie=movie.id, path=str(movie_folder(VideoPlace.of(movie)) / name), kind="nfo",
        sha256="0" * 64, size=10,
    )  # fmt: skip


def _in_cache(rt, movie_id: int, digest: str):
    path = rt.config.cache_dir / "poster" / digest[:2] / f"{digest}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(digest.encode())
    db.CacheImageFile.create(
        movie=movie_id, image_type="poster", file_path=str(path), file_hash=digest,
        source_type="provider",
    )  # fmt: skip
    return path


def _split_by_the_scan_before_5554c32(rt, monkeypatch, movies, parts):
    """`cd2` scanned alone (identified, edited, published), then the stack once `cd1` came,
    with `_grown_into` (5554c32's fix) out: the stack a new item, `cd2`'s item missing."""
    one, two = (movies / p for p in parts)
    item = scanned_with_users_work(rt, movies, parts[1])
    ours = _published(item, f"{two.stem}.nfo")
    with monkeypatch.context() as m:
        m.setattr(scan_stage, "_grown_into", lambda video, vanished: None)
        put(movies, parts[0])
        report = scan(rt)
    (stack_id,) = report.new
    assert report.missing == [item.id]
    assert db.Movie.get_by_id(stack_id).parts == [str(one), str(two)]
    return item, stack_id, ours


@pytest.mark.parametrize("parts", [FILES, FOLDERS], ids=["cd1 + cd2", "CD1/ + CD2/"])
def test_a_stack_split_when_its_cd2_came_first_is_its_items_again(rt, tmp_path, monkeypatch, parts):
    movies = tmp_path / "movies"
    item, stack_id, ours = _split_by_the_scan_before_5554c32(rt, monkeypatch, movies, parts)
    theirs = _published(db.Movie.get_by_id(stack_id), "Heat (1995)-poster.jpg")
    only_stacks = _in_cache(rt, stack_id, "a" * 64)

    report = scan(rt)

    assert report.merged == [stack_id] and not (report.new or report.missing), report
    assert report.changed == [item.id]
    (movie,) = db.Movie.select()
    one, two = (str(movies / p) for p in parts)
    assert (movie.id, movie.path, movie.parts, movie.missing) == (item.id, one, [one, two], False)
    assert (movie.tmdb_id, movie.plot, movie.locked_fields) == (27205, "My own words.", ["plot"])
    assert movie.publish_state == db.OUTDATED  # its NFO at cd2's name goes at its next publish
    for row in (ours, theirs):
        assert db.LibraryFile.get_by_id(row.id).movie_id == item.id
    assert not only_stacks.exists()
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.movie_id == item.id and f"#{stack_id}" in event.message
    assert scan(rt).unchanged == 1


@pytest.mark.parametrize("when", ["vanishing now", "missing since"])
def test_a_cd2_made_a_movie_of_its_own_beside_its_stack_goes_back_into_it(
    rt, tmp_path, monkeypatch, when
):
    """The watcher's scan of `CD2/` before d198d9c: its video a new movie (enriched, published)
    beside the stack the user had edited; the next full scan marked it missing (`missing
    since`: by a scan before this fix)."""
    movies = tmp_path / "movies"
    one, two = (movies / p for p in FOLDERS)
    put(movies, FOLDERS[1])
    stack = scanned_with_users_work(rt, movies, FOLDERS[0])
    assert db.Movie.get_by_id(stack.id).parts == [str(one), str(two)]
    with monkeypatch.context() as m:
        m.setattr(scan_stage, "_with_its_stack", lambda top, root: top)
        (split_id,) = scan(rt, [two.parent]).new
    db.Movie.update(tmdb_id=949, identification_status=db.ENRICHED).where(
        db.Movie.id == split_id
    ).execute()
    published = _published(db.Movie.get_by_id(split_id), "heat-b.nfo")
    only_its = _in_cache(rt, split_id, "b" * 64)
    if when == "missing since":
        with monkeypatch.context() as m:
            m.setattr(scan_stage, "_rejoin_split_stacks", lambda *args: [], raising=False)
            assert scan(rt).missing == [split_id]

    report = scan(rt)

    assert report.merged == [split_id] and not (report.new or report.missing), report
    (movie,) = db.Movie.select()
    assert (movie.id, movie.parts, movie.missing) == (stack.id, [str(one), str(two)], False)
    assert (movie.plot, movie.locked_fields) == ("My own words.", ["plot"])
    assert movie.publish_state == db.OUTDATED
    assert db.LibraryFile.get_by_id(published.id).movie_id == stack.id
    assert not only_its.exists()
    assert scan(rt).unchanged == 1


def test_a_split_stack_whose_items_both_hold_the_users_work_stays_two_items(
    rt, tmp_path, monkeypatch
):
    """The stack's item edited, and the part's too (an artwork chosen on it): neither is lost;
    the part's item stays missing with its data, said once."""
    movies = tmp_path / "movies"
    item, stack_id, _ours = _split_by_the_scan_before_5554c32(rt, monkeypatch, movies, FILES)
    db.record_event("review.selected", "poster chosen", movie=stack_id)

    report = scan(rt)

    assert report.merged == [] and report.unchanged == 1, report
    assert db.Movie.get_by_id(item.id).missing and not db.Movie.get_by_id(stack_id).missing
    (said,) = db.Event.select().where(db.Event.kind == "scan.warning")
    assert said.movie_id == item.id and f"#{stack_id}" in said.message
    assert scan(rt).merged == []
    assert db.Event.select().where(db.Event.kind == "scan.warning").count() == 1


@pytest.mark.parametrize("parts", [FILES, FOLDERS], ids=["cd1 + cd2", "CD1/ + CD2/"])
def test_a_stack_missing_beside_its_part_left_made_a_new_item_is_that_item_again(
    rt, tmp_path, monkeypatch, parts
):
    """`cd1` deleted before 914339f: the whole stack was marked missing and the `cd2` left a
    new item, enriched and published; the user's item stayed missing for good."""
    movies = tmp_path / "movies"
    two = put(movies, parts[1])
    stack = scanned_with_users_work(rt, movies, parts[0])
    assert db.Movie.get_by_id(stack.id).parts == [str(movies / parts[0]), str(two)]
    (movies / parts[0]).unlink()
    with monkeypatch.context() as m:
        m.setattr(scan_stage, "_shrunk_to", lambda video, vanished: None)
        report = scan(rt)
    (split_id,) = report.new
    assert report.missing == [stack.id]
    db.Movie.update(tmdb_id=949, identification_status=db.ENRICHED).where(
        db.Movie.id == split_id
    ).execute()
    published = _published(db.Movie.get_by_id(split_id), f"{two.stem}.nfo")
    only_its = _in_cache(rt, split_id, "c" * 64)

    report = scan(rt)

    assert report.merged == [split_id] and not (report.new or report.missing), report
    (movie,) = db.Movie.select()
    assert (movie.id, movie.path, movie.parts, movie.missing) == (
        stack.id,
        str(two),
        [str(two)],
        False,
    )
    assert (movie.tmdb_id, movie.plot, movie.locked_fields) == (27205, "My own words.", ["plot"])
    assert movie.publish_state == db.OUTDATED
    assert db.LibraryFile.get_by_id(published.id).movie_id == stack.id
    assert not only_its.exists()
    assert scan(rt).unchanged == 1


@pytest.mark.parametrize(
    ("identified", "kept"), [(True, "part's"), (False, "stack's")], ids=["identified", "not"]
)
def test_of_two_untouched_items_the_identified_one_is_kept(
    rt, tmp_path, monkeypatch, identified, kept
):
    """Neither item holds the user's work: the stack's is kept, unless only the part's is
    identified (it knows more: an identification to do again otherwise)."""
    movies = tmp_path / "movies"
    item, stack_id, _ours = _split_by_the_scan_before_5554c32(rt, monkeypatch, movies, FILES)
    db.Movie.update(
        locked_fields=[],
        tmdb_id=949 if identified else None,
        identification_status=db.IDENTIFIED if identified else db.UNIDENTIFIED,
    ).where(db.Movie.id == item.id).execute()

    report = scan(rt)

    (movie,) = db.Movie.select()
    assert movie.id == (item.id if kept == "part's" else stack_id)
    assert report.merged == [stack_id if kept == "part's" else item.id]
    assert movie.parts == [str(movies / p) for p in FILES] and not movie.missing
