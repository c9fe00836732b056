"""Files PUBLISH wrote that are deleted from the library while their item stays (by the user, by
Kodi's "Remove library items", by a cleanup script): the NFO, a poster, an `.actors/` photo, a
season's poster, an episode's NFO. The item was "Published" although the library no longer held
what its publish wrote, and the UI refused Publish for it ("already published and unchanged").
Now the scan that looks at its folder (the watcher's, when it sees the deletion; a full rescan,
when it did not run) makes it "Republish?", and its publish writes what is missing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from metarrd import db
from metarrd.pipeline.watch import Watcher
from metarrd.publish import publish_item
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from tests.conftest import sqlite_statements
from tests.publish.conftest import build_enriched
from tests.publish.tvshow import build_show

PILOT = "Season 1/Breaking Bad - S01E01 - Pilot.mkv"
SECOND = "Season 1/Breaking Bad - S01E02 - Cat's in the Bag.mkv"
LAST = "Season 2/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv"


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


def ours(movie_id: int) -> dict[str, str]:
    """The ledger's files of an item: name (relative to the library) -> kind."""
    L = db.LibraryFile
    return {p: k for p, k in L.select(L.path, L.kind).where(L.movie == movie_id).tuples()}


def state(movie_id: int) -> str:
    return db.Movie.get_by_id(movie_id).publish_state


@pytest.fixture
def movie(config_factory):
    rt = open_runtime(config_factory())
    built = build_enriched(
        rt,
        art={"poster": ["jpeg"], "fanart": ["jpeg"]},
        cast=[("Keanu Reeves", "Neo", "jpeg")],
    )
    scan(rt)  # the video known as it is: its rescan finds it unchanged
    publish_item(rt, built.reload())
    assert state(built.movie.id) == db.PUBLISHED
    yield rt, built
    rt.close()


@pytest.fixture
def tv(config_factory, tmp_path):
    (tmp_path / "tv").mkdir()
    rt = open_runtime(
        config_factory(
            libraries={}, library=[{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}]
        )
    )
    built = build_show(rt, files={PILOT: (1, [1]), SECOND: (1, [2]), LAST: (2, [1])})
    scan(rt)
    publish_item(rt, built.reload())
    unit = [m.id for m in db.Movie.select().where(db.Movie.show == built.show.id)]
    assert {state(i) for i in [built.show.id, *unit]} == {db.PUBLISHED}
    yield rt, built
    rt.close()


def named(built, ending: str) -> Path:
    found = [
        p for (p,) in db.LibraryFile.select(db.LibraryFile.path).tuples() if p.endswith(ending)
    ]
    assert len(found) == 1, (ending, found)
    return Path(found[0])


@pytest.mark.parametrize("ending", [".nfo", "-poster.jpg", "Keanu_Reeves.jpg"])
def test_a_full_rescan_makes_a_movie_whose_published_file_is_gone_republish(movie, ending):
    rt, built = movie
    gone = named(built, ending)
    before = gone.read_bytes()
    gone.unlink()
    report = scan(rt)
    assert report.unchanged == 1 and report.outdated == [built.movie.id]
    assert state(built.movie.id) == db.OUTDATED
    said = db.Event.select().where(db.Event.kind == "scan.missing").get()  # /live says it
    assert said.movie_id == built.movie.id and str(gone) in said.message
    publish_item(rt, built.reload())  # writes what is missing
    assert gone.read_bytes() == before
    assert state(built.movie.id) == db.PUBLISHED
    assert scan(rt).outdated == []  # and nothing more to say


def test_an_unchanged_library_stays_published(movie):
    rt, built = movie
    assert scan(rt).outdated == [] and scan(rt, [built.folder]).outdated == []
    assert state(built.movie.id) == db.PUBLISHED


def test_a_rescan_looks_at_no_published_file_its_walk_listed(movie, monkeypatch):
    """Each published file cost a full rescan an `lstat` (about 80,000 for 10,000 movies with their
    artwork: as much again as the walk of the library, which bench.scan did not see). Its name
    in the listing the walk made of its folder tells it is there (an `.actors/` folder's names:
    one listing of it)."""
    rt, built = movie
    ledger = set(ours(built.movie.id))
    assert any("/.actors/" in p for p in ledger) and len(ledger) >= 4
    looked: list[str] = []
    lstat = os.lstat

    def counted(path, *args, **kwargs):
        looked.append(os.fspath(path))
        return lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counted)
    assert scan(rt).outdated == []
    assert ledger.isdisjoint(looked), sorted(ledger & set(looked))


def test_an_actors_folder_deleted_makes_its_movie_republish(movie):
    rt, built = movie
    photo = named(built, "Keanu_Reeves.jpg")
    photo.unlink()
    photo.parent.rmdir()
    assert scan(rt).outdated == [built.movie.id]


def test_a_library_not_mounted_marks_nothing(movie, tmp_path):
    """Its folders gone with the share: nothing of ours is counted gone."""
    rt, built = movie
    root = Path(rt.config.library[0].path)
    root.rename(tmp_path / "elsewhere")
    root.mkdir()  # the empty mount point
    scan(rt)
    assert state(built.movie.id) == db.PUBLISHED


def test_a_file_a_running_publish_removed_is_left_to_that_publish(tv):
    """A publish removes ours (renamed away) before it forgets their rows in its last
    transaction: a scan between the two took the file for one the user deleted, and the
    publish then ended "changed while publishing", "Republish?", for nothing."""
    rt, built = tv
    gone = named(built, "S01E01 - Pilot.nfo")
    owner = db.LibraryFile.get(db.LibraryFile.path == str(gone)).movie_id
    gone.unlink()
    job = db.Job.create(kind="publish", movie=built.show.id, key="x", state="running")
    scan(rt)
    assert state(owner) == db.PUBLISHED and state(built.show.id) == db.PUBLISHED
    job.delete_instance()
    assert scan(rt).outdated == [owner]
    assert state(built.show.id) == db.OUTDATED


def watching(rt) -> tuple[Watcher, Clock, list]:
    """The daemon's watcher on a clock of the test's, and the scans it asks for."""
    clock, calls = Clock(), []
    return Watcher(rt.config, enqueue=calls.append, clock=clock), clock, calls


def test_the_watcher_scans_the_folder_of_a_published_file_deleted(movie):
    rt, built = movie
    w, clock, calls = watching(rt)
    nfo = named(built, ".nfo")
    nfo.unlink()
    w.handle("deleted", str(nfo))
    w.handle("deleted", str(built.folder / "notes.txt"))  # not ours: nothing to scan
    clock.t = 100.0
    assert w.tick() == [str(built.folder)]
    scan(rt, [Path(p) for p in calls[0]])  # the scan the daemon runs for it
    assert state(built.movie.id) == db.OUTDATED


@pytest.mark.parametrize("whole_folder", [False, True])
def test_the_watcher_scans_the_folder_of_an_actors_photo_deleted(movie, whole_folder):
    """An `.actors/` photo of ours deleted (or the whole folder): the watcher passes over
    everything in a hidden folder, and the movie stayed "Published" without its cast's
    pictures until the next full rescan, hours later."""
    rt, built = movie
    w, clock, calls = watching(rt)
    photo = named(built, "Keanu_Reeves.jpg")
    photo.unlink()
    if whole_folder:
        photo.parent.rmdir()
    w.handle("deleted", str(photo))  # inotify tells each once done
    if whole_folder:
        w.handle("deleted", str(photo.parent))
    w.handle("deleted", str(photo.parent / "Not_Ours.jpg"))  # no row: nothing to scan
    clock.t = 100.0
    assert w.tick() == [str(built.folder)]
    scan(rt, [Path(p) for p in calls[0]])
    assert state(built.movie.id) == db.OUTDATED


@pytest.mark.parametrize(
    "ending", ["tvshow.nfo", "/poster.jpg", "season01-poster.jpg", "S01E01 - Pilot.nfo"]
)
def test_a_show_whose_published_file_is_gone_is_republish(tv, ending):
    rt, built = tv
    gone = named(built, ending)
    owner = db.LibraryFile.get(db.LibraryFile.path == str(gone)).movie_id
    before = gone.read_bytes()
    gone.unlink()
    w, clock, calls = watching(rt)
    w.handle("deleted", str(gone))
    clock.t = 100.0
    assert w.tick() == [str(built.folder)]
    scan(rt, [Path(p) for p in calls[0]])
    assert state(built.show.id) == db.OUTDATED and state(owner) == db.OUTDATED
    publish_item(rt, built.reload())
    assert gone.read_bytes() == before
    assert state(built.show.id) == db.PUBLISHED


def test_a_tv_rescan_looks_at_no_published_file_its_walk_listed(tv, monkeypatch):
    """The TV walk kept no listing: the look for files of ours gone asked `lexists` of every
    file a show's publish wrote (on 5,000 published episodes, some 11,000 calls each rescan,
    `bench.tv_scan`). The names the walk listed in each folder, the show's `.actors/` folder
    listed once, tell them there; one deleted is still found (the tests above)."""
    rt, built = tv
    ledger = set(ours(built.show.id))
    assert any("/.actors/" in p for p in ledger) and any(p.endswith("-thumb.jpg") for p in ledger)
    looked: list[str] = []
    lexists = os.path.lexists

    def counted(path):
        looked.append(os.fspath(path))
        return lexists(path)

    monkeypatch.setattr(os.path, "lexists", counted)
    assert scan(rt).outdated == [] and scan(rt, [built.folder]).outdated == []
    assert ledger.isdisjoint(looked), sorted(ledger & set(looked))
    assert state(built.show.id) == db.PUBLISHED


_ONE_PATH = re.compile(
    r'FROM "library_files"(?: AS "t1")? WHERE (?:\("t1"."path" = |"path" IN \()'
    r"'((?:[^']|'')*)'\)"
)


def test_a_rescan_asks_the_ledger_of_a_shows_files_at_once(tv):
    """A rescan of a show asked the ledger for the row of each image of its folder (ours: the
    poster, the fanart, each season's poster), each season folder's `season.nfo` and, in the
    scan of a folder (the watcher's), each episode's NFO, one query each: some 350 on a rescan
    of 50 published shows (`bench.tv_scan`). They are asked together now; only `tvshow.nfo`,
    one a show, is asked alone."""
    rt, built = tv
    images = [
        p for p in ours(built.show.id)
        if os.path.dirname(p) == str(built.folder) and not p.endswith(".nfo")
    ]  # fmt: skip
    assert len(images) >= 4, images
    for scope in ([built.folder], None):
        with sqlite_statements() as seen:
            assert scan(rt, scope).outdated == []
        alone = [  # peewee's `get`, or the ledger's own statement (`ledger_rows`) of one path
            m[1]
            for sql in seen
            if (m := _ONE_PATH.search(sql))
        ]  # fmt: skip
        assert alone and {os.path.basename(p) for p in alone} == {"tvshow.nfo"}, alone
    assert state(built.show.id) == db.PUBLISHED


def test_an_episode_whose_nfo_or_thumb_is_gone_is_republish_itself(tv):
    """The show owns the ledger rows of its whole publish: an episode's NFO deleted made the
    show "Republish?" while the episode went on saying "Published" in the show's episode list
    and on its own page (whose preview listed its NFO to write)."""
    rt, built = tv
    pilot, second, last = (built.episodes[rel].id for rel in (PILOT, SECOND, LAST))
    nfo = named(built, "S01E01 - Pilot.nfo")
    thumb = named(built, "Cat's in the Bag-thumb.jpg")
    nfo.unlink()
    thumb.unlink()
    report = scan(rt, [built.folder])
    assert report.outdated == [built.show.id]
    assert state(pilot) == state(second) == db.OUTDATED and state(built.show.id) == db.OUTDATED
    assert state(last) == db.PUBLISHED
    said = {e.movie_id: e.message for e in db.Event.select().where(db.Event.kind == "scan.missing")}
    assert said.keys() == {pilot, second}
    assert str(nfo) in said[pilot] and str(thumb) in said[second]
    publish_item(rt, built.reload())
    assert nfo.is_file() and thumb.is_file()
    assert {state(i) for i in (built.show.id, pilot, second, last)} == {db.PUBLISHED}
