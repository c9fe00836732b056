"""SCAN of a TV library: shows, seasons and episodes, what is not an episode, NFOs and art."""

from __future__ import annotations

from metarrd import db
from metarrd.scan import scan

from .conftest import EPISODES, NOT_EPISODES, put


def _episode(root, rel) -> db.Movie:
    return db.Movie.get(db.Movie.path == str(root / rel))


def test_every_episode_read_right_and_nothing_else_taken(tv_rt, tv_library):
    report = scan(tv_rt)
    for rel, (season, episodes, aired, problem) in EPISODES.items():
        item = _episode(tv_library, rel)
        assert item.kind == db.EPISODE and item.show.kind == db.SHOW
        assert (item.season, item.episodes, item.aired) == (season, episodes, aired), rel
        if problem:
            assert problem in item.last_error, rel
        else:
            assert item.last_error is None, (rel, item.last_error)
    for rel in NOT_EPISODES:
        assert db.Movie.get_or_none(db.Movie.path == str(tv_library / rel)) is None, rel
    assert report.found == len(EPISODES)
    assert not db.Movie.select().where(db.is_movie()).exists()
    reasons = dict(report.errors)
    assert "absolute" in reasons[str(tv_library / "Naruto/Naruto - 001 - Enter Naruto Uzumaki.mkv")]


def test_show_items_nfos_and_the_users_art(tv_rt, tv_library):
    scan(tv_rt)
    bb = db.Movie.get(db.Movie.path == str(tv_library / "Breaking Bad (2008)"))
    assert (bb.title, bb.year) == ("Breaking Bad", 2008)
    assert {a.asset_type for a in bb.assets} == {"poster"}
    seasons = {
        s.season: s
        for s in db.Movie.select().where(db.Movie.show == bb, db.Movie.kind == db.SEASON)
    }
    assert set(seasons) == {0, 1, 2}
    assert [a.asset_type for a in seasons[1].assets] == ["poster"]
    pilot = _episode(tv_library, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    assert [a.asset_type for a in pilot.assets] == ["thumb"] and pilot.video_streams.count() == 1
    multi = _episode(tv_library, "Breaking Bad (2008)/Season 1/Breaking Bad S01E04E05.mkv")
    assert [e["episode"] for e in multi.hints["nfo_episodes"]] == [4, 5]
    assert multi.hints["nfo_episodes"][0]["tvdb_id"] == 349235
    legacy = db.Movie.get(db.Movie.path == str(tv_library / "My Chemistry Show"))
    assert legacy.hints["nfo_tvdb_id"] == 81189 and legacy.hints["nfo_id_sources"]["tvdb"] == "<id>"
    hostile = db.Movie.get(db.Movie.path == str(tv_library / "Doctor Who (1963)"))
    assert "entities" in hostile.last_error and hostile.title == "Doctor Who"
    tagged = db.Movie.get(db.Movie.path == str(tv_library / "Better Call Saul {tvdb-273181}"))
    assert tagged.hints["folder_tvdb_id"] == 273181 and tagged.title == "Better Call Saul"


def test_rescan_is_incremental_and_vanished_episodes_are_missing(tv_rt, tv_library):
    scan(tv_rt)
    again = scan(tv_rt)
    assert again.unchanged == len(EPISODES) and not again.new and not again.changed
    gone = tv_library / "Doctor Who (2005)/Doctor Who - S01E01 - Rose.mkv"
    gone.unlink()
    third = scan(tv_rt, [tv_library / "Doctor Who (2005)"])
    assert third.missing == [db.Movie.get(db.Movie.path == str(gone)).id]
    assert db.Movie.get(db.Movie.path == str(gone)).missing


def test_an_episode_that_vanishes_while_it_is_scanned_is_no_new_item(
    tv_rt, tv_library, monkeypatch
):
    """Renamed or deleted between the walk and its reading (a rename while a full scan runs):
    no item with a "file not found" error, which no later scan marks missing; an item known at
    that path is marked missing; the others of the show are read as ever."""
    import os

    import metarrd.scan.tv as tv

    show = tv_library / "Doctor Who (2005)"
    scan(tv_rt, [show])
    known = show / "Doctor Who - S01E01 - Rose.mkv"
    item = db.Movie.get(db.Movie.path == str(known))
    os.utime(known, ns=(1, 1))  # changed: read again at the next scan
    fresh = put(tv_library, "Doctor Who (2005)/Doctor Who - S01E02 - The End of the World.mkv")
    steady = put(tv_library, "Doctor Who (2005)/Doctor Who - S01E03 - The Unquiet Dead.mkv")
    read = tv.read_stream_details

    def renamed_meanwhile(path):
        if path != steady:
            path.rename(path.with_name(path.stem + " [r1].mkv"))
        return read(path)

    monkeypatch.setattr(tv, "read_stream_details", renamed_meanwhile)
    report = scan(tv_rt, [show])
    assert not db.Movie.select().where(db.Movie.path == str(fresh)).exists()
    assert db.Movie.get_by_id(item.id).missing and report.missing == [item.id]
    assert [db.Movie.get_by_id(i).path for i in report.new] == [str(steady)]
    assert not report.errors
