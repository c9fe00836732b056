"""SCAN of a TV library: shows, seasons and episodes, what is not an episode, NFOs and art."""

from __future__ import annotations

import errno
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db
from metarrd.atomic import sha256_file
from metarrd.identify import NAME_RULES
from metarrd.publish.tv_nfo import ShowData, render_tvshow
from metarrd.scan import scan
from tests.caseless import caseless

from .conftest import EPISODES, NOT_EPISODES, downloaded, put

HEVC = Path(__file__).resolve().parent.parent / "media" / "hevc_hdr10.mkv"


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


def test_a_show_folder_that_comes_back_brings_its_seasons_back(tv_rt, tv_library):
    # a NAS share's show folder renamed away and back, or gone while a disk was swapped: the
    # full scan marks the show and its seasons missing; its return must undo both
    scan(tv_rt)
    show_dir = tv_library / "Breaking Bad (2008)"
    show = db.Movie.get(db.Movie.path == str(show_dir))

    def seasons_missing() -> dict[int, bool]:
        query = db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON)
        return {s.season: s.missing for s in query}

    away = tv_library.parent / "Breaking Bad (2008)"  # out of the library (renamed in it, it
    # would be followed: test_a_show_folder_renamed_without_the_webhook_keeps_its_items)
    show_dir.rename(away)
    scan(tv_rt)
    assert db.Movie.get_by_id(show.id).missing
    assert seasons_missing() == {0: True, 1: True, 2: True}
    away.rename(show_dir)
    scan(tv_rt)
    assert not db.Movie.get_by_id(show.id).missing
    assert seasons_missing() == {0: False, 1: False, 2: False}


def test_a_rescan_knows_our_own_files_by_their_lstat_without_reading_them(
    tv_rt, tv_library, monkeypatch
):
    # a published show's art and NFOs were all read back and hashed by every scan of the show
    # (each watcher event for one new episode): the ledger's lstat tells them unchanged
    import os

    from metarrd.atomic import sha256_file
    from metarrd.scan import stage

    scan(tv_rt)
    poster = tv_library / "Breaking Bad (2008)/poster.jpg"
    st = os.lstat(poster)
    show = db.Movie.get(db.Movie.path == str(poster.parent))  # published for the show
    db.LibraryFile.create(movie=show.id, path=str(poster), kind="art", sha256=sha256_file(poster),
                          size=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns)  # fmt: skip
    hashed = []
    monkeypatch.setattr(stage, "sha256_file", lambda p: hashed.append(Path(p).name) or "x")
    assert stage._written_by_us(poster) and hashed == []
    scan(tv_rt, [tv_library / "Breaking Bad (2008)"])
    assert "poster.jpg" not in hashed
    data = bytearray(poster.read_bytes())  # the user's edit, same size: read, and not ours
    data[-3] ^= 0xFF
    poster.write_bytes(bytes(data))
    assert not stage._written_by_us(poster) and hashed == ["poster.jpg"]


def test_a_rescan_decodes_only_the_users_show_art_that_changed(tv_rt, tv_library, monkeypatch):
    # every scan of a show (one per new episode the watcher sees) read and decoded all of the
    # user's show and season art again
    import os

    from metarrd.scan import tv as scan_tv

    scan(tv_rt)
    decoded = []
    real = scan_tv.analyse_image
    monkeypatch.setattr(
        scan_tv, "analyse_image", lambda p, **k: decoded.append(Path(p).name) or real(p, **k)
    )
    show = tv_library / "Breaking Bad (2008)"
    scan(tv_rt, [show])
    assert decoded == []
    poster = show / "poster.jpg"
    Image.new("RGB", (400, 600), (30, 30, 200)).save(poster)  # the user's new poster
    os.utime(poster, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt, [show])
    assert decoded == ["poster.jpg"]
    item = db.Movie.get(db.Movie.path == str(show))
    (row,) = [a for a in item.assets if a.asset_type == "poster"]
    assert row.content_hash == sha256_file(poster)
    decoded.clear()
    scan(tv_rt, [show])
    assert decoded == []


def test_a_rescan_reads_the_users_tvshow_nfo_again_only_when_it_changed(
    tv_rt, tv_library, monkeypatch
):
    import os

    from metarrd.scan import tv as scan_tv

    scan(tv_rt)
    read = []
    real = scan_tv.read_show_nfo
    monkeypatch.setattr(
        scan_tv, "read_show_nfo", lambda p, *a: read.append(p.parent.name) or real(p, *a)
    )
    show = tv_library / "My Chemistry Show"
    scan(tv_rt, [show])
    assert read == []
    item = db.Movie.get(db.Movie.path == str(show))
    assert item.hints["nfo_tvdb_id"] == 81189 and item.hints["nfo_id_sources"]["tvdb"] == "<id>"
    nfo = show / "tvshow.nfo"
    nfo.write_text(nfo.read_text().replace("81189", "81190"))
    os.utime(nfo, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt, [show])
    assert read == ["My Chemistry Show"]
    assert db.Movie.get(db.Movie.path == str(show)).hints["nfo_tvdb_id"] == 81190
    broken = tv_library / "Doctor Who (1963)"  # an NFO refused (entities) is read, and said, again
    scan(tv_rt, [broken])
    assert "Doctor Who (1963)" in read
    assert "entities" in db.Movie.get(db.Movie.path == str(broken)).last_error


def test_a_fifo_or_device_where_an_nfo_goes_is_the_items_error(tv_rt, tv_library, finishes, caplog):
    # passed over in silence before: the user saw no reason their NFO was not read
    import logging
    import os

    caplog.set_level(logging.WARNING, logger="metarrd")

    show = tv_library / "Firefly"
    (show / "Season 1").mkdir(parents=True)
    put(show, "Season 1/Firefly - S01E01 - Serenity.mkv")
    os.mkfifo(show / "tvshow.nfo")
    (show / "Season 1/Firefly - S01E01 - Serenity.nfo").symlink_to("/dev/zero")
    os.mkfifo(show / "season01-poster.jpg")  # images too: never opened, each said
    os.mkfifo(show / "Season 1/Firefly - S01E01 - Serenity-thumb.jpg")
    finishes(lambda: scan(tv_rt, [show]), 60)
    item = db.Movie.get(db.Movie.path == str(show))
    assert "is a FIFO (named pipe), not a regular file; ignored" in item.last_error
    assert "season01-poster.jpg: a FIFO (named pipe), not a regular file; skipped" in (
        item.last_error
    )
    episode = _episode(tv_library, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    # /dev/zero lies outside every library: refused before it is opened at all
    assert "symbolic link to /dev/zero, outside every configured library" in episode.last_error
    assert "Serenity-thumb.jpg: a FIFO (named pipe), not a regular file; skipped" in (
        episode.last_error
    )
    # in the log too, naming the item, as a movie's are (it had been in the UI alone)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        f"item {item.id}: {show / 'tvshow.nfo'}: is a FIFO (named pipe), not a regular file; ignored"
        in logged
    )
    assert any(
        m.startswith(f"item {episode.id}: ") and "symbolic link to /dev/zero" in m for m in logged
    )


SECRET_NFO = """<?xml version="1.0" encoding="UTF-8"?>
<tvshow><title>root:x:0:0</title><plot>the secret outside</plot>
<uniqueid type="tmdb" default="true">1437</uniqueid></tvshow>
"""


def test_nfos_and_art_linked_out_of_every_library_are_the_items_errors_not_read(tv_rt, tmp_path):
    """`tvshow.nfo`, an episode NFO, show, season and episode art that are symlinks to files
    outside every library are not read (the rule of symlinked folders): nothing of them
    reaches the items or the cache; each item says why. A link into a library is read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nfo").write_text(SECRET_NFO)
    episode_nfo = "<episodedetails><title>root:x:0:0</title><season>1</season>"
    (outside / "secret-episode.nfo").write_text(
        episode_nfo + "<episode>1</episode></episodedetails>"
    )
    Image.new("RGB", (400, 600), (1, 2, 3)).save(outside / "secret.jpg")
    Image.new("RGB", (400, 600), (4, 5, 6)).save(tmp_path / "movies/shared.jpg")
    show = tmp_path / "tv/Firefly (2002)"
    video = put(show, "Season 1/Firefly - S01E01 - Serenity.mkv")
    (show / "tvshow.nfo").symlink_to(outside / "secret.nfo")
    (show / "poster.jpg").symlink_to(outside / "secret.jpg")
    (show / "season01-poster.jpg").symlink_to(outside / "secret.jpg")
    (show / "fanart.jpg").symlink_to(tmp_path / "movies/shared.jpg")  # another library: read
    (video.with_suffix(".nfo")).symlink_to(outside / "secret-episode.nfo")
    (video.parent / f"{video.stem}-thumb.jpg").symlink_to(outside / "secret.jpg")

    report = scan(tv_rt)

    reason = "outside every configured library: not read"
    item = db.Movie.get(db.Movie.path == str(show))
    assert item.title == "Firefly" and item.plot is None and not item.hints.get("nfo_tmdb_id")
    assert f"tvshow.nfo is a symbolic link to {outside / 'secret.nfo'}" in item.last_error
    assert item.last_error.count(reason) == 3  # tvshow.nfo, poster, season01-poster
    assert [a.asset_type for a in item.assets] == ["fanart"]
    episode = db.Movie.get(db.Movie.path == str(video))
    assert not episode.hints.get("nfo_episodes") and episode.title != "root:x:0:0"
    assert episode.last_error.count(reason) == 2 and not list(episode.assets)  # NFO, thumb
    season = db.Movie.get(db.Movie.show == item, db.Movie.kind == db.SEASON)
    assert not list(season.assets)
    secret = (outside / "secret.jpg").read_bytes()
    cached = [p.read_bytes() for p in tv_rt.config.cache_dir.rglob("*") if p.is_file()]
    assert secret not in cached and len(cached) == 1
    assert sum(reason in why for _item, why in report.errors) == 5


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


def test_names_that_are_not_utf8_are_reported_and_the_rest_is_scanned(tv_rt, tmp_path):
    """A Latin-1 episode name or show folder (an old share) cannot be stored: it is reported
    with its fix, and the shows after it are scanned; before, the whole scan stopped."""
    import os

    root = os.fsencode(tmp_path / "tv")
    for rel in (
        b"Caf\xe9 Show/Season 1/Cafe Show - S01E01.mkv",
        b"Dexter (2006)/Season 1/Dexter - S01E02 - Caf\xe9.mkv",
        b"Dexter (2006)/Saison \xe9/Dexter - S02E01.mkv",
    ):
        put(Path(os.fsdecode(root)), os.fsdecode(rel))
    put(tmp_path / "tv", "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tmp_path / "tv", "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
    report = scan(tv_rt)
    assert sorted(Path(i.path).name for i in db.Movie.select().where(db.Movie.kind == db.EPISODE)) == [
        "Dexter - S01E01 - Dexter.mkv", "Firefly - S01E01 - Serenity.mkv",
    ]  # fmt: skip
    reasons = dict(report.errors)
    assert len(reasons) == 3 and all("not valid UTF-8" in r for r in reasons.values())
    assert any("Caf\\xe9 Show" in path for path in reasons)
    # Dexter's two on Dexter's page (its history: the scan that found it said them); the show
    # that cannot be stored has none: on no item, the activity's
    dexter = db.Movie.get(db.Movie.path == str(tmp_path / "tv" / "Dexter (2006)"))
    said = {e.message: e.movie_id for e in db.Event.select().where(db.Event.kind == "scan.error")}
    assert sorted(said.values(), key=str) == [dexter.id, dexter.id, None]
    assert said[next(m for m in said if "Caf\\xe9 Show" in m)] is None


def test_the_walks_errors_are_recorded_when_the_scan_then_fails(tv_rt, tmp_path, monkeypatch):
    """The walk's errors become events once the shows are stored (on the show that holds
    each); a scan that then failed (a bug, a database error) lost the events of what it found
    before: the Latin-1 name was in the log only."""
    import metarrd.scan.tv as scan_tv

    put(tmp_path / "tv", "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(Path(os.fsdecode(os.fsencode(tmp_path / "tv") + b"/Caf\xe9 Show/Season 1")), "x.mkv")

    def fails(library, skipped):
        raise RuntimeError("the skipped list could not be saved")

    monkeypatch.setattr(scan_tv, "save_skipped", fails)
    with pytest.raises(RuntimeError, match="could not be saved"):
        scan(tv_rt)
    (event,) = db.Event.select().where(db.Event.kind == "scan.error")
    assert "Caf\\xe9 Show" in event.message and "not valid UTF-8" in event.message


def test_every_folder_in_the_root_is_a_show_and_trailer_is_a_word(tv_rt, tmp_path):
    """ "Extras" (the BBC's), "Proof" and "Specials" are shows in a TV library's root (the movie
    rules skipped them as extras folders, silently); "Trailer Park Boys" episodes are not
    trailers; real extras, samples and junk stay out."""
    tv = tmp_path / "tv"
    for rel in (
        "Extras (2005)/Season 1/Extras - S01E01 - Ben Stiller.mkv",
        "Proof/Proof.2015.S01E10.720p.HDTV.x264.mkv",
        "Specials/Specials - S01E01.mkv",
        "Trailer Park Boys/Season 1/Trailer.Park.Boys.S01E01.DVDRip.XviD.avi",
        "Trailer Park Boys/Trailer Park Boys-trailer.mkv",
        "Trailer Park Boys/Season 1/Trailer.Park.Boys.S01E01.sample.avi",
        "Trailer Park Boys/Extras/Trailer Park Boys - S01E02.mkv",
        "@eaDir/Show - S01E01.mkv",
    ):
        put(tv, rel)
    report = scan(tv_rt)
    shows = sorted(Path(s.path).name for s in db.Movie.select().where(db.Movie.kind == db.SHOW))
    assert shows == ["Extras (2005)", "Proof", "Specials", "Trailer Park Boys"]
    episodes = sorted(
        Path(i.path).name for i in db.Movie.select().where(db.Movie.kind == db.EPISODE)
    )
    assert episodes == [
        "Extras - S01E01 - Ben Stiller.mkv", "Proof.2015.S01E10.720p.HDTV.x264.mkv",
        "Specials - S01E01.mkv", "Trailer.Park.Boys.S01E01.DVDRip.XviD.avi",
    ]  # fmt: skip
    assert report.found == 4


def _linked_shows(tmp_path: Path) -> Path:
    """A TV library whose Firefly has a season 2 linked out of every library and a season 3
    linked into the movie library, and whose Dexter is a show linked out of every library."""
    tv = tmp_path / "tv"
    put(tv, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    elsewhere = tmp_path / "elsewhere"
    put(elsewhere, "Firefly S2/Firefly - S02E01 - Unaired.mkv")
    put(elsewhere, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tmp_path / "movies", "Firefly S3/Firefly - S03E01.mkv")
    (tv / "Firefly (2002)/Season 3").symlink_to(tmp_path / "movies/Firefly S3")  # in a library
    (tv / "Firefly (2002)/Season 2").symlink_to(elsewhere / "Firefly S2")  # outside: no
    (tv / "Dexter (2006)").symlink_to(elsewhere / "Dexter (2006)")
    return tv


def test_symlinked_show_and_season_folders_are_followed_as_the_movie_walk_does(tv_rt, tmp_path):
    """Inside a library: followed; outside every library: only with `follow_symlinks`, with a
    warning otherwise; a loop is walked once."""
    tv = _linked_shows(tmp_path)
    (tv / "Firefly (2002)/Season 1/loop").symlink_to(tv / "Firefly (2002)")  # a loop
    scan(tv_rt)
    names = sorted(
        str(Path(i.path).relative_to(tv))
        for i in db.Movie.select().where(db.Movie.kind == db.EPISODE)
    )
    assert names == [
        "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv",
        "Firefly (2002)/Season 3/Firefly - S03E01.mkv",
    ]
    from dataclasses import replace

    from metarrd.runtime import open_runtime

    libraries = tuple(
        replace(lib, follow_symlinks=True) if lib.kind == "tv" else lib
        for lib in tv_rt.config.library
    )
    rt = open_runtime(replace(tv_rt.config, library=libraries))
    try:
        scan(rt)
    finally:
        rt.close()
    names = sorted(
        str(Path(i.path).relative_to(tv))
        for i in db.Movie.select().where(db.Movie.kind == db.EPISODE)
    )
    assert "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv" in names
    assert "Firefly (2002)/Season 2/Firefly - S02E01 - Unaired.mkv" in names


def test_a_scan_scoped_through_a_link_out_of_every_library_reads_nothing_there(tv_rt, tmp_path):
    """The watcher scans the folder a change was in: a show or season folder that is a
    symlink out of every library, scanned on its own, is not walked either (the full scan
    does not follow it): reported, nothing recorded; a link into a library still is."""
    tv = _linked_shows(tmp_path)
    scan(tv_rt)

    scopes = [
        tv / "Dexter (2006)",
        tv / "Dexter (2006)/Season 1",
        tv / "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv",
        tv / "Firefly (2002)/Season 2",
        tv / "Firefly (2002)/Season 3",
    ]
    report = scan(tv_rt, scopes)

    names = sorted(
        str(Path(i.path).relative_to(tv))
        for i in db.Movie.select().where(db.Movie.kind != db.MOVIE)
    )
    assert not [n for n in names if n.startswith("Dexter") or "Season 2" in n], names
    assert "Firefly (2002)/Season 3/Firefly - S03E01.mkv" in names
    refused = [path for path, reason in report.errors if "outside every configured" in reason]
    assert len(refused) == 4, report.errors


def test_a_show_that_fails_leaves_the_others_scanned(tv_rt, tmp_path, monkeypatch):
    import metarrd.scan.tv as tv_scan

    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    record = tv_scan._record_show

    def broken(rt, library, show_dir, *args):
        if show_dir.name.startswith("Dexter"):
            raise RuntimeError("a bug met by this show")
        return record(rt, library, show_dir, *args)

    monkeypatch.setattr(tv_scan, "_record_show", broken)
    report = scan(tv_rt)
    (episode,) = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert Path(episode.path).name == "Firefly - S01E01 - Serenity.mkv"
    (reason,) = [r for p, r in report.errors if p.endswith("Dexter (2006)")]
    assert "a bug met by this show" in reason


def test_an_episode_name_too_long_for_its_nfo_name_is_scanned(tv_rt, tmp_path):
    stem = "Show - S01E01 - " + "x" * (252 - len("Show - S01E01 - "))
    put(tmp_path / "tv", f"Show/{stem}.ts")
    put(tmp_path / "tv", "Show/Show - S01E02.mkv")
    report = scan(tv_rt)
    assert report.found == 2 and not report.errors


def test_the_nfo_warnings_of_shows_and_episodes_reach_the_user(tv_rt, tmp_path):
    """A repaired or guessed-encoding NFO is read with a warning; the TV scan dropped them,
    so a TV user never saw why a title came out as it did."""
    show = tmp_path / "tv" / "Firefly (2002)"
    put(show.parent, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    (show / "tvshow.nfo").write_bytes(b"<tvshow><title>Firefly & Serenity</title></tvshow>")
    (show / "Season 1/Firefly - S01E01 - Serenity.nfo").write_bytes(
        "<episodedetails><title>Sérénité</title><season>1</season><episode>1</episode>"
        "</episodedetails>".encode("cp1252")
    )
    scan(tv_rt)
    said = [e.message for e in db.Event.select().where(db.Event.kind == "scan.warning")]
    assert any(m.startswith("tvshow.nfo: ") for m in said), said
    assert any(m.startswith("Firefly - S01E01 - Serenity.nfo: ") and "cp1252" in m for m in said)


def test_a_symlink_loop_in_the_library_root_stops_nothing(tv_rt, tmp_path):
    """`loop -> loop` beside the shows: not a show, not a file. Before, following it raised
    ELOOP out of the root's listing and the whole TV library went unscanned."""
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    (tv / "loop.mkv").symlink_to("loop.mkv")
    (tv / "Firefly").symlink_to("Firefly")
    put(tv, "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
    report = scan(tv_rt)
    assert sorted(Path(s.path).name for s in db.Movie.select().where(db.Movie.kind == db.SHOW)) == [
        "Dexter (2006)", "Firefly (2002)",
    ]  # fmt: skip
    assert report.found == 2


def test_a_show_folder_whose_art_cannot_be_listed_is_still_scanned(tv_rt, tmp_path, monkeypatch):
    """A `poster.jpg -> poster.jpg` loop in a show folder: the show's error says so, and the
    show is recorded; a show folder that cannot be listed is one error of the scan, and no
    show is made of a folder nothing in which could be seen. Before, the OSError failed the
    whole show with a traceback in the log ("the show could not be scanned (OSError: ...)")."""
    import os

    import metarrd.scan.tv as tv_scan

    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    (tv / "Dexter (2006)/poster.jpg").symlink_to("poster.jpg")
    put(tv, "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
    real_scandir = os.scandir

    def denied(path="."):
        if os.fspath(path) == str(tv / "Firefly (2002)"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(tv_scan.os, "scandir", denied)
    with _no_tracebacks() as logged:
        report = scan(tv_rt)
    dexter = db.Movie.get(db.Movie.path == str(tv / "Dexter (2006)"))
    assert dexter.last_error is None
    assert _episode(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv").last_error is None
    assert db.Movie.get_or_none(db.Movie.path == str(tv / "Firefly (2002)")) is None
    assert (str(tv / "Firefly (2002)"), "cannot list the folder (Permission denied)") in (
        report.errors
    )
    assert not [r.getMessage() for r in logged if r.exc_info]


class _no_tracebacks:
    """The log records of the block (root logger, WARNING and up)."""

    def __enter__(self):
        import logging

        self.records = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = self.records.append
        logging.getLogger().addHandler(self.handler)
        return self.records

    def __exit__(self, *exc):
        import logging

        logging.getLogger().removeHandler(self.handler)


def test_a_symlink_loop_beside_episodes_is_no_error_of_theirs(tv_rt, tmp_path):
    """`Season 1/loop.jpg -> loop.jpg`: before, following it while looking for thumbs raised
    ELOOP, and every episode of the folder got "cannot list artwork (Too many levels of
    symbolic links)" as its error, though its folder was listed fine."""
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")
    (tv / "Dexter (2006)/Season 1/loop.jpg").symlink_to("loop.jpg")
    report = scan(tv_rt)
    assert report.found == 2 and not report.errors
    assert not db.Movie.select().where(db.Movie.last_error.is_null(False)).exists()


def test_an_episode_moved_to_another_season_folder_keeps_its_item(tv_rt, tmp_path):
    """A season folder renamed `Season 1` -> `Season 01`, an episode moved to `Season 2`: the
    items follow their files with the user's edits, as a moved movie does. Before, each got a
    new item and the old one, with the user's edits, was left missing. A move the watcher sees
    in two scans (the old path's folder first) is followed too."""
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S02E01 - Popping Cherry.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")
    scan(tv_rt)
    ids = {Path(m.path).name: m.id for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    db.Movie.update(title="My own title", locked_fields=["title"]).execute()
    show = tv / "Dexter (2006)"
    (show / "Season 1").rename(show / "Season 01")
    (show / "Season 2").mkdir()
    (show / "Season 01/Dexter - S02E01 - Popping Cherry.mkv").rename(
        show / "Season 2/Dexter - S02E01 - Popping Cherry.mkv"
    )
    report = scan(tv_rt)
    assert not report.new and not report.missing and sorted(report.moved) == sorted(ids.values())
    (show / "Season 3").mkdir()
    old = show / "Season 01/Dexter - S01E02 - Crocodile.mkv"
    old.rename(show / "Season 3/Dexter - S01E02 - Crocodile.mkv")
    scan(tv_rt, [show / "Season 01"])  # the watcher: the folder it left, then where it went
    report = scan(tv_rt, [show / "Season 3"])
    assert not report.new and report.moved == [ids["Dexter - S01E02 - Crocodile.mkv"]]
    episodes = {
        Path(m.path).relative_to(show).as_posix(): m
        for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)
    }
    assert sorted(episodes) == [
        "Season 01/Dexter - S01E01 - Dexter.mkv", "Season 2/Dexter - S02E01 - Popping Cherry.mkv",
        "Season 3/Dexter - S01E02 - Crocodile.mkv",
    ]  # fmt: skip
    for rel, item in episodes.items():
        assert item.id == ids[Path(rel).name] and not item.missing
        assert item.title == "My own title"


def test_an_episode_file_upgraded_in_its_folder_keeps_its_item(tv_rt, tmp_path):
    """Sonarr without its webhook upgrades an episode (its default naming,
    `{Series Title} - S{season:00}E{episode:00} - {Episode Title} {Quality Full}`): the 720p
    file deleted, the 1080p one imported beside it, another size and mtime. It became a new
    item and the old one, with the user's edits, was left missing; now the item follows its
    file when exactly one file of those episodes went and one came in that season folder."""
    tv = tmp_path / "tv"
    season = tv / "Dexter (2006)/Season 1"
    old = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter WEBDL-720p.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile WEBDL-720p.mkv")
    scan(tv_rt)
    item = db.Movie.get(db.Movie.path == str(old))
    db.Movie.update(title="My own title", locked_fields=["title"]).execute()
    old.unlink()
    new = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter Bluray-1080p.mkv", HEVC)

    report = scan(tv_rt, [season])

    assert not report.new and not report.missing and report.moved == [item.id]
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.missing, after.title) == (str(new), False, "My own title")
    assert after.size == HEVC.stat().st_size
    event = db.Event.get(db.Event.kind == "scan.renamed")
    assert event.message == f"{old} was replaced by {new}"
    # two files of one episode came (two qualities kept): neither takes the item
    new.unlink()
    put(
        tv,
        "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter Bluray-2160p.mkv",
        HEVC.with_name("av1_opus_sbs.mkv"),
    )
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter HDTV-720p.mkv")
    report = scan(tv_rt, [season])
    assert len(report.new) == 2 and report.missing == [item.id]


def test_a_scope_in_an_extras_or_junk_folder_records_nothing(tv_rt, tmp_path):
    """The watcher names `Show/Shorts/` (its rule for TV paths does not judge "Shorts"), the
    CLI or a webhook names a file under `@eaDir/`: before, the scoped scan recorded an episode
    there (and `@eaDir` as a show) that the next full scan marked missing."""
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Shorts/Dexter - S01E02 - Short.mkv")
    put(tv, "Dexter (2006)/Extras/Dexter - S01E03 - Making of.mkv")
    put(tv, "@eaDir/Dexter - S01E01 - Dexter.mkv")
    scan(tv_rt)
    before = sorted(m.path for m in db.Movie.select())
    report = scan(
        tv_rt,
        [
            tv / "Dexter (2006)/Shorts",
            tv / "Dexter (2006)/Extras/Dexter - S01E03 - Making of.mkv",
            tv / "@eaDir/Dexter - S01E01 - Dexter.mkv",
        ],
    )
    assert sorted(m.path for m in db.Movie.select()) == before
    assert not report.new and not report.errors
    report = scan(tv_rt, [tv / "Dexter (2006)/Season 1"])
    assert report.unchanged == 1


def test_an_nfo_swapped_for_a_fifo_while_read_is_that_items_error(tv_rt, tmp_path, monkeypatch):
    """The NFO is read, then hashed: swapped for a FIFO in between, the hash's refusal (an
    OSError, not an NfoError) escaped and failed the whole show, as the movie scan already
    guards against."""
    import metarrd.scan.tv as tv_scan
    from metarrd.files import NotARegularFile

    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")
    (tv / "Dexter (2006)/tvshow.nfo").write_text("<tvshow><title>Dexter</title></tvshow>")
    (tv / "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.nfo").write_text(
        "<episodedetails><title>Dexter</title></episodedetails>"
    )
    real = tv_scan.sha256_file

    def swapped(path):
        if path.suffix == ".nfo":
            raise NotARegularFile(path, "a FIFO (named pipe)")
        return real(path)

    monkeypatch.setattr(tv_scan, "sha256_file", swapped)
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv / "Dexter (2006)"))
    assert "tvshow.nfo: cannot be read (a FIFO (named pipe), not a regular file" in show.last_error
    first = _episode(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    assert "Dexter.nfo: cannot be read (a FIFO" in first.last_error
    assert _episode(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv").last_error is None


def test_a_folder_that_cannot_be_listed_keeps_its_episodes(tv_rt, tmp_path, monkeypatch):
    """A season folder, a show folder or the whole share unreadable for one scan (permission,
    EIO on a NAS): the error is reported, and the episodes and shows known there are not marked
    missing, as if deleted. Before, they were, and were read again at the next scan."""
    import os

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")
    two = put(tv, "Dexter (2006)/Season 2/Dexter - S02E01 - It's Alive.mkv")
    firefly = put(tv, "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
    assert scan(tv_rt).found == 4
    real_scandir = os.scandir

    for folders, scope in (
        ((one.parent,), None),  # a season folder
        ((firefly.parent,), None),  # a show folder
        ((tv,), None),  # the library's root
        ((one.parent,), [one.parent]),  # the watcher's scan of one folder
        ((one.parent,), [two.parent.parent]),  # ... of the show
    ):
        denied = {str(f) for f in folders}

        def scandir(path=".", denied=denied):
            if os.fspath(path) in denied:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)

        with monkeypatch.context() as m:
            m.setattr(os, "scandir", scandir)
            report = scan(tv_rt, scope)
        assert report.missing == [] and not report.new and not report.changed, folders
        assert not db.Movie.select().where(db.Movie.missing).exists(), folders
        assert any("Permission denied" in reason for _path, reason in report.errors), folders
        assert str(folders[0]) in {path for path, _reason in report.errors}, folders

    messages = [e.message for e in db.Event.select().where(db.Event.kind == "scan.error")]
    assert any(m.startswith(str(one.parent)) for m in messages)
    # on the show's page: the one whose folder it is, or holds it; the root's on none
    dexter, firefly_show = (db.Movie.get(db.Movie.path == str(one.parent.parent)),
                            db.Movie.get(db.Movie.path == str(firefly.parent)))  # fmt: skip
    on = {
        (e.message.split(":")[0], e.movie_id)
        for e in db.Event.select().where(db.Event.kind == "scan.error")
    }
    assert on == {
        (str(one.parent), dexter.id),
        (str(firefly.parent), firefly_show.id),
        (str(tv), None),
    }
    again = scan(tv_rt)  # readable again: nothing happened
    assert again.unchanged == 4 and not (again.new or again.changed or again.missing)
    two.unlink()  # a real deletion is still one
    assert scan(tv_rt).missing == [_episode(tv, two.relative_to(tv)).id]


def test_a_show_folder_we_may_not_enter_is_one_clear_error_and_keeps_its_episodes(
    tv_rt, tmp_path, monkeypatch
):
    """A show folder made 0700 by another user (Sonarr running as its own user, a
    root-squashed NFS export): it can be stat'ed, not listed, and nothing in it looked at.
    The look for its `tvshow.nfo` raised, and the show's error was the traceback's words
    ("the show could not be scanned (PermissionError: ...tvshow.nfo')"); a show first seen so
    would have been recorded with nothing known of it. Seen on a real run without
    CAP_DAC_OVERRIDE (setpriv) of a library whose `Lost (2004)` was chmod 000."""
    from tests.conftest import no_entry

    tv = tmp_path / "tv"
    lost = put(tv, "Lost (2004)/Season 1/Lost - S01E01 - Pilot.mkv").parents[1]
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    assert scan(tv_rt).found == 2
    fringe = put(tv, "Fringe (2008)/Season 1/Fringe - S01E01 - Pilot.mkv").parents[1]
    put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")

    for scope in (None, [lost, fringe]):  # the library, the watcher's scan of the folders
        with monkeypatch.context() as m:
            no_entry(m, lost, fringe)
            report = scan(tv_rt, scope)
        errors = dict(report.errors)
        assert errors[str(lost)] == "cannot list the folder (Permission denied)"
        assert errors[str(fringe)] == "cannot list the folder (Permission denied)"
        assert report.missing == []
    assert not db.Movie.select().where(db.Movie.missing).exists()
    assert db.Movie.get_or_none(db.Movie.path == str(fringe)) is None  # nothing known of it
    assert _episode(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")  # the rest
    assert _episode(tv, "Lost (2004)/Season 1/Lost - S01E01 - Pilot.mkv").last_error is None
    messages = [e.message for e in db.Event.select().where(db.Event.kind == "scan.error")]
    assert f"{lost}: cannot list the folder (Permission denied)" in messages


def test_a_scan_of_a_path_below_a_folder_we_may_not_enter_is_one_error(
    tv_rt, tmp_path, monkeypatch
):
    """Sonarr, as its own user with umask 077, made `Season 2/` 0700, and its webhook (or
    `metarrd scan`) named the episode file in it, or a file in a show folder made so: a `stat`
    of that path raised PermissionError, and the whole scan job failed, to be retried. Now it
    is one error naming the path, its items keep their state, the rest of the scan goes on."""
    from tests.conftest import no_entry

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    two = put(tv, "Dexter (2006)/Season 2/Dexter - S02E01 - It's Alive.mkv")
    lost = put(tv, "Lost (2004)/Season 1/Lost - S01E01 - Pilot.mkv")
    assert scan(tv_rt).found == 3
    new = put(tv, "Dexter (2006)/Season 1/Dexter - S01E02 - Crocodile.mkv")
    for denied, scope in (
        (two.parent, [two, new]),
        (lost.parents[1], [lost, new]),
        (lost.parents[1], [lost.parent, new]),
    ):
        with monkeypatch.context() as m:
            no_entry(m, denied)
            report = scan(tv_rt, scope)
        assert [path for path, _reason in report.errors] == [str(scope[0])], scope
        assert "Permission denied" in report.errors[0][1], scope
        assert report.missing == [], scope
    assert _episode(tv, new.relative_to(tv)).last_error is None  # the rest went on
    assert not db.Movie.select().where(db.Movie.missing).exists()
    assert scan(tv_rt, [one]).unchanged == 1


def test_a_symlinked_show_folder_that_cannot_be_told_keeps_its_episodes(
    tv_rt, tmp_path, monkeypatch
):
    """A show folder in the root that is a symlink into a share we may not read (or that
    answers EIO): it cannot be told from a file. It was passed over in silence, and the full
    scan marked the show and its episodes missing ("is gone"); it is reported, and they keep
    their state. A link loop stays junk."""
    tv = tmp_path / "tv"
    put(tv, "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
    share = tv / ".share"  # hidden: no show of its own; a target inside the library, followed
    put(share, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    (tv / "Dexter (2006)").symlink_to(share / "Dexter (2006)")
    (tv / "loop").symlink_to("loop")
    assert scan(tv_rt).found == 2
    linked = tv / "Dexter (2006)"
    real_scandir = os.scandir

    class Untellable:
        def __init__(self, entry, exc):
            self._entry, self._exc = entry, exc

        def __getattr__(self, name):
            return getattr(self._entry, name)

        def is_dir(self, **_kwargs):
            raise self._exc

    for exc in (
        PermissionError(errno.EACCES, "Permission denied"),
        OSError(errno.EIO, "I/O error"),
    ):

        def scandir(path=".", exc=exc):
            if os.fspath(path) != str(tv):
                return real_scandir(path)
            entries = list(real_scandir(path))
            return [Untellable(x, exc) if x.path == str(linked) else x for x in entries]

        with monkeypatch.context() as m:
            m.setattr(os, "scandir", scandir)
            report = scan(tv_rt)
        assert report.missing == [] and not db.Movie.select().where(db.Movie.missing).exists()
        assert report.errors == [(str(linked), f"cannot read ({exc.strerror})")]


def test_a_folder_made_unreadable_while_its_episode_is_read_keeps_the_episode(
    tv_rt, tmp_path, monkeypatch
):
    """The season folder of a changed episode file became unreadable between the walk and the
    reading of the file (Sonarr, another user, made it 0700 on import; a share's EACCES for a
    moment): `os.path.lexists` was False too, the file was taken for vanished while it was
    read, and its episode marked missing. It is the item's error now, not missing."""
    from metarrd.scan import tv as tv_scan
    from metarrd.scan.streams import StreamReadError
    from tests.conftest import no_entry

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    assert scan(tv_rt).found == 1
    with one.open("ab") as f:
        f.write(b"\0" * 10)  # changed: read again
    with monkeypatch.context() as m:

        def refused(path, *args):
            no_entry(m, one.parent)
            raise StreamReadError(path, "permission denied")

        m.setattr(tv_scan, "read_stream_details", refused)
        report = scan(tv_rt)
    item = _episode(tv, one.relative_to(tv))
    assert not report.missing and report.changed == [item.id]
    assert not item.missing and "permission denied" in item.last_error


def test_an_edited_episode_nfo_we_may_not_read_is_said_not_passed_over(
    tv_rt, tmp_path, monkeypatch
):
    """tinyMediaManager, as its own user with umask 077, rewrote an episode's NFO 0600 beside
    its unchanged file: the watcher's scan of the season folder passed over it in silence (its
    hash could not be taken), so the user's edit was never taken in, and nothing said why. Now
    it is a `scan.error` on the episode, which keeps what it had."""
    from tests.conftest import no_read

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    nfo = one.with_suffix(".nfo")
    nfo.write_text("<episodedetails><title>Dexter</title><plot>Mine.</plot></episodedetails>")
    assert scan(tv_rt).found == 1
    nfo.write_text("<episodedetails><title>Dexter</title><plot>Edited.</plot></episodedetails>")
    item = _episode(tv, one.relative_to(tv))
    with monkeypatch.context() as m:
        no_read(m, nfo)
        report = scan(tv_rt, [one.parent])
    assert report.unchanged == 1 and not (report.changed or report.missing)
    assert (str(nfo), "cannot be read (Permission denied)") in report.errors
    event = db.Event.get(db.Event.kind == "scan.error", db.Event.movie == item.id)
    assert event.message.startswith(str(nfo))
    assert _episode(tv, one.relative_to(tv)).plot == "Mine."
    assert scan(tv_rt, [one.parent]).changed == [item.id]  # readable again: taken in


def test_an_episode_file_we_could_not_read_is_read_once_it_can_be(tv_rt, tmp_path, monkeypatch):
    """An episode file of mode 000 (or 0600 of the user Sonarr runs as): scanned by its name,
    its stream details unread. Once the user fixed the permissions (no size nor mtime changed),
    every later scan took it for unchanged: no stream details, that error for good."""
    from tests.conftest import no_read

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    with monkeypatch.context() as m:
        no_read(m, one)
        assert scan(tv_rt).found == 1
        assert scan(tv_rt).unchanged == 1  # still unreadable: not read again
    item = _episode(tv, one.relative_to(tv))
    assert (item.season, item.episodes) == (1, [1])  # by its name
    assert "permission denied" in item.last_error and not list(item.video_streams)
    assert scan(tv_rt).changed == [item.id]
    item = _episode(tv, one.relative_to(tv))
    assert item.last_error is None and list(item.video_streams)
    assert scan(tv_rt).unchanged == 1


def test_an_episode_nfo_we_could_not_read_is_taken_in_once_it_can_be(tv_rt, tmp_path, monkeypatch):
    """The user's episode NFO 0600 of the user tinyMediaManager runs as: the episode was
    scanned by its name, its NFO "cannot be read". Once the permissions were fixed, a full scan
    took the unchanged file for unchanged and never read the NFO."""
    from tests.conftest import no_read

    tv = tmp_path / "tv"
    one = put(tv, "Dexter (2006)/Season 1/Dexter - S01E01 - Dexter.mkv")
    nfo = one.with_suffix(".nfo")
    nfo.write_text("<episodedetails><title>Dexter</title><plot>Mine.</plot></episodedetails>")
    with monkeypatch.context() as m:
        no_read(m, nfo)
        assert scan(tv_rt).found == 1
        assert scan(tv_rt).unchanged == 1  # still unreadable: not read again
    item = _episode(tv, one.relative_to(tv))
    assert "cannot be read" in item.last_error and item.plot is None
    assert scan(tv_rt).changed == [item.id]
    item = _episode(tv, one.relative_to(tv))
    assert item.plot == "Mine." and item.last_error is None
    assert scan(tv_rt).unchanged == 1


def test_a_multi_episode_nfo_gives_the_item_its_first_episodes_block(tv_rt, tmp_path):
    """MediaElch wrote this S02E03-S02E04 file's NFO with E4's block first. The item's own
    values are its first episode's (E3, as Kodi takes the block whose `<episode>` is the one
    it parsed): the scan took E4's title, date added and locks for it."""
    nfo = Path(__file__).resolve().parents[1] / "nfo"
    users = (nfo / "mediaelch-kodi_v18_episode_American_Dad_S02E03-S02E04.nfo").read_text()
    e4, e3 = users.split("</episodedetails>\n<episodedetails>")  # each block its own date
    users = "</episodedetails>\n<episodedetails>".join(
        [
            e4.replace("<aired>", "<dateadded>2019-04-04 04:04:04</dateadded><aired>"),
            e3.replace("<aired>", "<dateadded>2019-03-03 03:03:03</dateadded><aired>"),
        ]
    )
    rel = "American Dad! (2005)/Season 2/American Dad! - S02E03-E04.mkv"
    video = put(tmp_path / "tv", rel)
    video.with_suffix(".nfo").write_text(users)
    scan(tv_rt)
    item = _episode(tmp_path / "tv", rel)
    assert (item.season, item.episodes) == (2, [3, 4])
    assert item.title == "All About Steve"  # E3's, not E4's "Con Heir"
    assert item.date_added == datetime(2019, 3, 3, 3, 3, 3)
    assert "<playcount>0</playcount>" in item.nfo_extra
    # each block's own <aired>, E3's the item's (it had none before an enrich)
    assert item.aired == "2005-09-25"
    assert [(b["episode"], b["aired"]) for b in item.hints["nfo_episodes"]] == [
        (4, "2005-10-02"), (3, "2005-09-25")]  # fmt: skip


# Disc layouts inside a show. Kodi (VideoInfoScanner::EnumerateSeriesFolder) keeps only the
# VIDEO_TS.IFO or index.bdmv of a disc (`BACKUP/INDEX.BDMV` left out) and reads its episode
# numbers from the folder holding the disc; Jellyfin (BaseVideoResolver.ResolveVideo, used by
# its EpisodeResolver) takes a folder holding VIDEO_TS/BDMV/VIDEO_TS.IFO as one video.
DISC_LAYOUTS = (
    "Firefly/Season 1/Disc 1/BDMV/index.bdmv",
    "Firefly/Season 1/Disc 1/BDMV/BACKUP/index.bdmv",
    "Firefly/Season 1/Disc 1/BDMV/STREAM/00001.m2ts",
    "Firefly/Season 1/Disc 1/BDMV/STREAM/00002.m2ts",
    "Firefly/Season 1/Firefly.S01.Disc2/VIDEO_TS/VIDEO_TS.IFO",
    "Firefly/Season 1/Firefly.S01.Disc2/VIDEO_TS/VTS_01_1.VOB",
    "Firefly/Season 1/Firefly.S01.Disc2/VIDEO_TS/VTS_01_2.VOB",
    "Firefly/Season 2/VIDEO_TS/VIDEO_TS.IFO",
    "Firefly/Season 2/VIDEO_TS/VTS_01_1.VOB",
    "Firefly/Season 3/Disc 1/VIDEO_TS.IFO",  # a DVD's files out of their VIDEO_TS folder
    "Firefly/Season 3/Disc 1/VTS_01_0.IFO",
    "Firefly/Season 3/Disc 1/VTS_01_1.VOB",
    "Firefly/Season 3/Disc 1/VTS_02_1.VOB",
    "Firefly/Season 3/Disc 2/index.bdmv",  # a BDMV folder under another name (Kodi: a Blu-ray)
    "Firefly/Season 3/Disc 2/PLAYLIST/00001.mpls",
    "Firefly/Season 3/Disc 2/STREAM/00001.m2ts",
    "Firefly/Season 3/Disc 2/STREAM/00002.m2ts",
)


def test_a_disc_in_a_show_is_one_skipped_entry_not_an_episode_per_stream_file(tv_rt, tmp_path):
    """Each .m2ts and .VOB of a Blu-ray or DVD folder was an episode "with no numbers": a
    season's discs flooded the show page with problem episodes."""
    from metarrd.scan import skipped_by_name

    tv = tmp_path / "tv"
    put(tv, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    put(tv, "Firefly/Season 2/Firefly - S02E01.mkv")  # beside a disc: still an episode
    put(tv, "Firefly/Season 2/index.bdmv")  # a stray one, no Blu-ray: hides nothing
    for rel in DISC_LAYOUTS:
        put(tv, rel)
    report = scan(tv_rt)
    episodes = sorted(
        Path(i.path).name for i in db.Movie.select().where(db.Movie.kind == db.EPISODE)
    )
    assert episodes == ["Firefly - S01E01 - Serenity.mkv", "Firefly - S02E01.mkv"]
    assert report.found == 2 and not report.errors
    library = db.Library.get(db.Library.name == "TV")
    assert skipped_by_name([library.id])[library.id]["entries"] == [
        (
            "Firefly/Season 1/Disc 1/BDMV",
            "a Blu-ray structure (BDMV): not scanned, a disc's .m2ts files are no episodes",
        ),
        (
            "Firefly/Season 1/Firefly.S01.Disc2/VIDEO_TS",
            "a DVD structure (VIDEO_TS): not scanned, a disc's .VOB files are no episodes",
        ),
        (
            "Firefly/Season 2/VIDEO_TS",
            "a DVD structure (VIDEO_TS): not scanned, a disc's .VOB files are no episodes",
        ),
        (
            "Firefly/Season 3/Disc 1",
            "a DVD structure (VIDEO_TS.IFO and .VOB files): not scanned, a disc's .VOB "
            "files are no episodes",
        ),
        (
            "Firefly/Season 3/Disc 2",
            "a Blu-ray structure (index.bdmv and STREAM/): not scanned, a disc's .m2ts files "
            "are no episodes; Kodi (21 and later) then leaves out every other video in Season "
            "3/ and below: move the disc's files into a BDMV folder (Disc 2/BDMV/index.bdmv)",
        ),
    ]


def test_a_disc_named_as_an_episode_is_not_listed_as_stream_files_that_are_no_episodes(
    tv_rt, tmp_path
):
    """`Firefly.S01E02/VIDEO_TS/`: Kodi reads a disc's episode numbers from the folder holding
    it (VideoInfoScanner EnumerateEpisodeItem, GetLocalMetadataPath) and lists S01E02. The
    skipped list said "a disc's .VOB files are no episodes", and the user looked for why Kodi
    had an episode metarrd did not."""
    from metarrd.scan import skipped_by_name

    tv = tmp_path / "tv"
    put(tv, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    put(tv, "Firefly/Season 1/Firefly.S01E02/VIDEO_TS/VIDEO_TS.IFO")
    put(tv, "Firefly/Season 1/Firefly.S01E02/VIDEO_TS/VTS_01_1.VOB")
    put(tv, "Firefly/Season 1/Firefly 1x03/BDMV/index.bdmv")
    put(tv, "Firefly/Season 1/Firefly.S01E04/VIDEO_TS.IFO")  # out of its VIDEO_TS folder
    put(tv, "Firefly/Season 1/Firefly.S01E04/VTS_01_1.VOB")
    put(tv, "Firefly/Season 2/Disc 1/VIDEO_TS/VIDEO_TS.IFO")  # no numbers: Kodi skips it too
    scan(tv_rt)
    library = db.Library.get(db.Library.name == "TV")
    rules = dict(skipped_by_name([library.id])[library.id]["entries"])
    assert rules["Firefly/Season 1/Firefly.S01E02/VIDEO_TS"].startswith(
        "a DVD structure Kodi reads as episode S01E02 by its folder's name"
    )
    assert "Kodi reads as episode S01E03" in rules["Firefly/Season 1/Firefly 1x03/BDMV"]
    assert "Kodi reads as episode S01E04" in rules["Firefly/Season 1/Firefly.S01E04"]
    assert "no episodes" in rules["Firefly/Season 2/Disc 1/VIDEO_TS"]
    assert not any("no episodes" in rule for rule in rules.values() if "Kodi reads" in rule)


def test_a_scan_of_a_discs_stream_file_records_no_episode(tv_rt, tmp_path):
    """The watcher or a webhook names one stream file of a disc: no episode either."""
    tv = tmp_path / "tv"
    put(tv, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    for rel in DISC_LAYOUTS:
        put(tv, rel)
    scan(tv_rt)
    report = scan(
        tv_rt,
        [
            tv / "Firefly/Season 1/Disc 1/BDMV/STREAM/00002.m2ts",
            tv / "Firefly/Season 3/Disc 1/VTS_02_1.VOB",
            tv / "Firefly/Season 3/Disc 2/STREAM/00002.m2ts",
        ],
    )
    assert report.found == 0 and not report.new
    assert db.Movie.select().where(db.Movie.kind == db.EPISODE).count() == 1


def test_a_show_folder_renamed_without_the_webhook_keeps_its_items(tv_rt, tmp_path):
    """Sonarr renames a series folder to its `{Series TitleYear} {tvdb-...}` format (or the
    user renames it, or moves it) without the webhook: every episode file is where it was in
    the folder, same size and mtime. The show, its seasons and episodes were new items to
    identify again, the old ones missing with the user's work; they follow the folder now,
    with the files we published there still ours."""
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 01/Dexter - S01E01 - Dexter.mkv")
    put(tv, "Dexter (2006)/Season 01/Dexter - S01E02 - Crocodile.mkv")
    scan(tv_rt)
    before = {m.id: (m.kind, Path(m.path).name) for m in db.Movie.select()}
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    db.Movie.update(tvdb_id=79349, identification_status=db.IDENTIFIED).where(
        db.Movie.id == show.id
    ).execute()
    db.Movie.update(title="My own title", locked_fields=["title"]).where(
        db.Movie.kind == db.EPISODE
    ).execute()
    nfo = tv / "Dexter (2006)/tvshow.nfo"
    nfo.write_text("<tvshow><title>Dexter</title></tvshow>")
    ours = db.LibraryFile.create(
        movie=show.id, path=str(nfo), kind="nfo", sha256=sha256_file(nfo), size=nfo.stat().st_size
    )
    new = tv / "Dexter (2006) {tvdb-79349}"
    (tv / "Dexter (2006)").rename(new)

    report = scan(tv_rt, [new])  # the watcher: the folder that came (the old one is gone)

    assert report.new == [] and report.missing == [] and report.moved == [show.id]
    after = {m.id: m for m in db.Movie.select()}
    assert set(after) == set(before)
    assert all(m.path.startswith(str(new) + "/") or m.path == str(new) for m in after.values())
    assert not any(m.missing for m in after.values())
    assert after[show.id].tvdb_id == 79349
    assert {m.title for m in after.values() if m.kind == db.EPISODE} == {"My own title"}
    assert db.LibraryFile.get_by_id(ours.id).path == str(new / "tvshow.nfo")
    assert scan(tv_rt).missing == []  # the full scan agrees


def test_a_show_folder_renamed_in_case_only_on_a_share_that_ignores_case_keeps_its_items(
    tv_rt, tmp_path, monkeypatch
):
    """`dexter (2006)` renamed `Dexter (2006)` (Windows Explorer, a renamer) on a share that
    ignores case (SMB, APFS), found by the watcher's scan of the new folder: the old path still
    led to the folder, so the show was not gone, and the folder became a new show with new
    episodes, the old ones left with the user's work and our files' rows."""
    tv = tmp_path / "tv"
    put(tv, "dexter (2006)/Season 01/Dexter - S01E01 - Dexter.mkv")
    put(tv, "dexter (2006)/Season 01/Dexter - S01E02 - Crocodile.mkv")
    scan(tv_rt)
    before = set(db.Movie.select(db.Movie.id).tuples())
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    nfo = tv / "dexter (2006)/tvshow.nfo"
    nfo.write_text("<tvshow><title>Dexter</title></tvshow>")
    ours = db.LibraryFile.create(
        movie=show.id, path=str(nfo), kind="nfo", sha256=sha256_file(nfo), size=nfo.stat().st_size
    )
    new = tv / "Dexter (2006)"
    (tv / "dexter (2006)").rename(new)
    caseless(monkeypatch)

    report = scan(tv_rt, [new])

    assert report.new == [] and report.missing == [] and report.moved == [show.id]
    assert set(db.Movie.select(db.Movie.id).tuples()) == before
    assert all(m.path.startswith(str(new)) for m in db.Movie.select())
    assert db.LibraryFile.get_by_id(ours.id).path == str(new / "tvshow.nfo")


def test_a_new_show_folder_with_other_files_is_a_new_show(tv_rt, tmp_path):
    tv = tmp_path / "tv"
    put(tv, "Dexter (2006)/Season 01/Dexter - S01E01 - Dexter.mkv")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    shutil.rmtree(tv / "Dexter (2006)")
    put(tv, "Dexter (2006) {tvdb-79349}/Season 01/Dexter - S01E01 - Dexter.mkv", HEVC)

    report = scan(tv_rt)

    assert len(report.new) == 2 and show.id in report.missing  # a show, its episode


def test_episodes_renamed_with_their_season_folder_keep_their_items(tv_rt, tmp_path):
    """Sonarr's *Rename Episodes* after its season folder format changed, without the webhook:
    `Season 1/Dexter.S01E01.720p.mkv` becomes `Season 01/Dexter - S01E01 - Dexter
    WEBDL-720p.mkv` (its default episode format), another name in another folder. Each was a
    new item, its old one missing with the user's edits; the file of those episodes with the
    same size and mtime is the same file now."""
    tv = tmp_path / "tv"
    show = tv / "Dexter (2006)"
    for number in (1, 2):
        old = put(tv, f"Dexter (2006)/Season 1/Dexter.S01E0{number}.720p.mkv")
        os.utime(old, ns=(number * 10**18, number * 10**18))  # two files, not two copies
    scan(tv_rt)
    ids = {m.episodes[0]: m.id for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    db.Movie.update(title="My own title", locked_fields=["title"]).where(
        db.Movie.kind == db.EPISODE
    ).execute()
    (show / "Season 1").rename(show / "Season 01")
    for number, name in ((1, "Dexter"), (2, "Crocodile")):
        (show / f"Season 01/Dexter.S01E0{number}.720p.mkv").rename(
            show / f"Season 01/Dexter - S01E0{number} - {name} WEBDL-720p.mkv"
        )

    report = scan(tv_rt)

    assert not report.new and not report.missing and sorted(report.moved) == sorted(ids.values())
    for item_id in ids.values():
        item = db.Movie.get_by_id(item_id)
        assert Path(item.path).parent.name == "Season 01" and item.title == "My own title"


def test_an_empty_tv_root_is_a_share_not_mounted_and_marks_nothing_missing(tv_rt, tmp_path):
    """The TV library's share unmounted (its mount point left empty): no show nor episode is
    marked missing, the scan says why (as Sonarr's DiskScanService skips an empty root folder)."""
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    assert scan(tv_rt).new
    away = tmp_path / "away"
    root.rename(away)
    root.mkdir()
    report = scan(tv_rt)
    assert report.missing == [] and not db.Movie.select().where(db.Movie.missing).exists()
    assert any("empty" in reason for _, reason in report.errors)
    root.rmdir()
    away.rename(root)
    again = scan(tv_rt)
    assert not (again.new or again.changed or again.missing)


def test_a_show_folder_renamed_with_its_episode_files_keeps_its_items(tv_rt, tmp_path):
    """Sonarr without its webhook, after the user set its series folder format to `{Series
    Title} ({Series Year}) {tvdb-{TvdbId}}` and its episode format to the default: `Breaking.Bad/
    Season 1/Breaking.Bad.S01E01.720p.mkv` becomes `Breaking Bad (2008) {tvdb-81189}/Season 01/
    Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv`, every name new. The show was a new
    one with new episodes, the old ones missing with the user's work; the same files (size and
    mtime) in a folder named for the show are the show now. A folder named for another show
    with such files is not (test media share their size)."""
    tv = tmp_path / "tv"
    for number in (1, 2):
        old = put(tv, f"Breaking.Bad/Season 1/Breaking.Bad.S01E0{number}.720p.mkv")
        os.utime(old, ns=(number * 10**18, number * 10**18))
    scan(tv_rt)
    before = {m.id for m in db.Movie.select()}
    db.Movie.update(title="My own title", locked_fields=["title"]).where(
        db.Movie.kind == db.EPISODE
    ).execute()
    for number in (1, 2):  # the same sizes and mtimes, another show
        bcs = put(tv, f"Better Call Saul (2015)/Season 01/Better.Call.Saul.S01E0{number}.mkv")
        os.utime(bcs, ns=(number * 10**18, number * 10**18))
    new = tv / "Breaking Bad (2008) {tvdb-81189}"
    (tv / "Breaking.Bad").rename(new)
    (new / "Season 1").rename(new / "Season 01")
    for number, name in ((1, "Pilot"), (2, "Cat's in the Bag...")):
        (new / f"Season 01/Breaking.Bad.S01E0{number}.720p.mkv").rename(
            new / f"Season 01/Breaking Bad (2008) - S01E0{number} - {name} [HDTV-720p].mkv"
        )

    report = scan(tv_rt)

    assert not report.missing and len(report.new) == 1 + 2  # Better Call Saul, its episodes
    kept = {m.id: m for m in db.Movie.select().where(db.Movie.id.in_(before))}
    assert all(m.path.startswith(str(new)) and not m.missing for m in kept.values())
    assert {m.title for m in kept.values() if m.kind == db.EPISODE} == {"My own title"}


def test_an_unchanged_file_read_by_older_name_rules_is_read_again(tv_rt, tmp_path):
    """A library scanned before a name-reading fix (Jellyfin's `series-s09e14-720i`, read as
    "an episode range of 707"): its files did not change, so a rescan never read them again
    and the misreading stayed for good. A name read by older rules (`NAME_RULES`) is read again;
    read otherwise, its file is scanned as a changed one."""
    rel = "Series (2010)/Season 09/series-s09e14-720i.mkv"
    put(tmp_path / "tv", rel)
    scan(tv_rt)
    item = _episode(tmp_path / "tv", rel)
    assert (item.season, item.episodes, item.hints["name_problem"]) == (9, [14], None)
    # as an older reading left it: no numbers, a problem, no rules recorded
    old = {k: v for k, v in item.hints.items() if k != "name_rules"}
    old["name_problem"] = f"{Path(rel).name}: an episode range of 707 is over 50"
    db.Movie.update(season=None, episodes=[], hints=old, last_error=old["name_problem"]).where(
        db.Movie.id == item.id
    ).execute()

    report = scan(tv_rt)

    item = _episode(tmp_path / "tv", rel)
    assert (item.season, item.episodes) == (9, [14])
    assert item.hints["name_problem"] is None and item.last_error is None
    assert item.hints["name_rules"] == NAME_RULES
    assert item.id in report.changed


def test_an_episode_title_read_with_sonarrs_quality_is_read_again(tv_rt, tmp_path):
    """Rules 25 kept Sonarr's `DVD` in the title scan stores (`The Train Job DVD`, a title
    identify compares with the providers'); the file is unchanged, its name is read again."""
    rel = "Firefly (2002)/Season 1/Firefly - S01E01 - The Train Job DVD.mkv"
    put(tmp_path / "tv", rel)
    scan(tv_rt)
    item = _episode(tmp_path / "tv", rel)
    assert item.hints["name_episode_title"] == "The Train Job"
    old = {**item.hints, "name_rules": 25, "name_episode_title": "The Train Job DVD"}
    db.Movie.update(hints=old).where(db.Movie.id == item.id).execute()

    scan(tv_rt)

    item = _episode(tmp_path / "tv", rel)
    assert item.hints["name_episode_title"] == "The Train Job"
    assert item.hints["name_rules"] == NAME_RULES


def test_a_name_that_reads_the_same_by_todays_rules_is_not_scanned_again(
    tv_rt, tmp_path, monkeypatch
):
    """Read the same: only its name was read (no MediaInfo), and it is marked as read by
    today's rules, so the next scan does not read it again."""
    from metarrd.scan import tv

    rel = "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    put(tmp_path / "tv", rel)
    scan(tv_rt)
    item = _episode(tmp_path / "tv", rel)
    old = {k: v for k, v in item.hints.items() if k != "name_rules"}
    db.Movie.update(hints=old).where(db.Movie.id == item.id).execute()
    read: list[Path] = []
    real = tv.read_stream_details
    monkeypatch.setattr(tv, "read_stream_details", lambda p: read.append(p) or real(p))

    report = scan(tv_rt)

    assert read == [] and report.unchanged == 1 and not report.changed
    assert _episode(tmp_path / "tv", rel).hints["name_rules"] == NAME_RULES


# files below a folder inside their season folder: a disc of a DVD rip, a release folder kept
# as downloaded (`Season 02/Show.1080p.WEB-DL/`); relative path -> (season, episodes)
NESTED = {
    "Firefly/Season 2/Disc 1/Firefly - E05.mkv": (2, [5]),
    "Firefly/Season 02/Firefly.1080p.WEB-DL/Firefly - 06.mkv": (2, [6]),
    "Firefly/Season 02/Firefly.1080p.WEB-DL/Firefly.S02.Ep07.mkv": (2, [7]),
    "Firefly/Season 2/Disc 2/Firefly - S03E08.mkv": (3, [8]),  # the name's own season wins
    "Firefly/Specials/Disc 1/Firefly - E01.mkv": (0, [1]),
    "Firefly/Disc 3/Firefly - E09.mkv": (1, [9]),  # no season folder: season 1, as before
}
# extras folders in a season folder (Jellyfin's and Plex's names): never episodes of it
NESTED_EXTRAS = [
    "Firefly/Season 2/Extras/Firefly - E05.mkv",
    "Firefly/Season 2/Featurettes/Firefly - S02E01 - Making of.mkv",
    "Firefly/Season 2/Behind The Scenes/Firefly - 03.mkv",
    "Firefly/Season 02/Firefly.S02.1080p.WEB-DL/Deleted Scenes/Firefly.S02E06.mkv",
]


def test_an_episode_below_its_season_folder_takes_that_seasons_number(tv_rt, tmp_path):
    """Only the file's own folder was read for a season: `Season 2/Disc 1/Firefly - E05` was
    S01E05 ("season 1 assumed") and took another episode's metadata, `Season 02/<release>/
    Firefly - 06` an absolute number. The nearest season folder up the path, within the show
    folder, gives the season when the name and its folder give none, as in Jellyfin (an
    episode's season is its nearest Season parent: EpisodeResolver)."""
    tv = tmp_path / "tv"
    for rel in [*NESTED, *NESTED_EXTRAS]:
        put(tv, rel)

    scan(tv_rt)

    for rel, numbers in NESTED.items():
        item = _episode(tv, rel)
        assert (item.season, item.episodes) == numbers, rel
    for rel in NESTED_EXTRAS:
        assert db.Movie.get_or_none(db.Movie.path == str(tv / rel)) is None, rel
    e05 = _episode(tv, "Firefly/Season 2/Disc 1/Firefly - E05.mkv")
    assert any("Kodi numbers it S01E05" in w for w in e05.hints["name_warnings"])


def test_a_nested_episode_read_by_the_rules_before_is_read_again(tv_rt, tmp_path):
    """A library scanned by rules 10 (the file's own folder only) kept its S01E05 for good:
    the file did not change. Rules 10 are older rules, and the file is read again."""
    rel = "Firefly/Season 2/Disc 1/Firefly - E05.mkv"
    put(tmp_path / "tv", rel)
    scan(tv_rt)
    item = _episode(tmp_path / "tv", rel)
    old = {
        **item.hints,
        "name_rules": 10,
        "name_warnings": ["no season in the name: season 1 assumed"],
    }
    db.Movie.update(season=1, hints=old).where(db.Movie.id == item.id).execute()

    report = scan(tv_rt)

    item = _episode(tmp_path / "tv", rel)
    assert (item.season, item.episodes) == (2, [5]) and item.id in report.changed
    assert item.hints["name_rules"] == NAME_RULES


# Sonarr's upgrade of two single episodes to one multi-episode file (UpgradeMediaFileService.cs,
# Sonarr 49df353f: every file holding one of the new file's episodes is deleted, then the new
# one is moved in), named by its default episode format `{Series Title} - S{season:00}E
# {episode:00} - {Episode Title} {Quality Full}` with the "Prefixed Range" multi-episode style.
# Its "On Import Complete" call (WebhookImportCompletePayload.cs) has no `deletedFiles`, and
# the watcher or a manual import has nothing at all: only the scan can pair them.
DEXTER = "Dexter (2006)/Season 1"
SINGLE_720P = (
    f"{DEXTER}/Dexter - S01E01 - Dexter HDTV-720p.mkv",
    f"{DEXTER}/Dexter - S01E02 - Crocodile HDTV-720p.mkv",
)
DOUBLE_1080P = f"{DEXTER}/Dexter - S01E01-E02 - Dexter + Crocodile Bluray-1080p.mkv"


def _two_singles(tv_rt, tv: Path) -> tuple[db.Movie, db.Movie]:
    first, second = (put(tv, rel) for rel in SINGLE_720P)
    scan(tv_rt)
    db.Movie.update(title="My own title", locked_fields=["title"]).where(
        db.Movie.path == str(first)
    ).execute()
    return db.Movie.get(db.Movie.path == str(first)), db.Movie.get(db.Movie.path == str(second))


def test_two_episodes_replaced_by_one_file_follow_it_as_one_item(tv_rt, tmp_path):
    """Before, the first episode's item (the user's title and lock on it) and the second's
    stayed missing, and the multi-episode file was a bare new item. Now the first follows the
    file, with its data, and is identified again (other numbers); the second merges into it."""
    tv = tmp_path / "tv"
    first, second = _two_singles(tv_rt, tv)
    for rel in SINGLE_720P:
        (tv / rel).unlink()
    new = put(tv, DOUBLE_1080P, HEVC)

    report = scan(tv_rt, [tv / DEXTER])

    assert not report.new and not report.missing
    assert report.moved == [first.id] and report.merged == [second.id]
    assert first.id in report.touched  # identified again as E01-E02
    (kept,) = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (first.id, str(new), False)
    assert (kept.title, kept.locked_fields, kept.episodes) == ("My own title", ["title"], [1, 2])
    assert kept.identification_status == db.UNIDENTIFIED


def test_the_cache_files_of_an_episode_merged_into_a_multi_episode_file_go(tv_rt, tmp_path):
    """Sonarr's upgrade of two episodes to one file: the second's item merges into the first's,
    its provider rows go, and so do the files in metarrd's image cache and the previews that no
    row uses now (its thumb); a picture the kept item uses too (the same image downloaded for
    both) stays. They stayed on disk, unused, for good."""
    tv = tmp_path / "tv"
    first, second = _two_singles(tv_rt, tv)
    kept = downloaded(tv_rt.config, tmp_path, first.id, "thumb", (20, 90, 20))
    assert downloaded(tv_rt.config, tmp_path, second.id, "thumb", (20, 90, 20)) == kept
    dropped = downloaded(tv_rt.config, tmp_path, second.id, "thumb", (90, 20, 20))
    for rel in SINGLE_720P:
        (tv / rel).unlink()
    put(tv, DOUBLE_1080P, HEVC)

    report = scan(tv_rt, [tv / DEXTER])

    assert report.merged == [second.id]
    assert not [p for p in dropped if p.exists()]
    assert all(p.is_file() for p in kept)


def test_the_cache_files_of_a_replacements_item_go_when_sonarrs_webhook_merges_it(tv_rt, tmp_path):
    """The watcher scanned Sonarr's upgrade of the pilot before its Download webhook came (the
    new file an item of its own, its thumb downloaded meanwhile); the webhook's rename merges
    that item into the pilot's (`take_replacement`), and the thumb's file in metarrd's image
    cache and its preview go with its rows; the pilot's own stay."""
    from metarrd.scan import follow_renames

    tv = tmp_path / "tv"
    first, _second = _two_singles(tv_rt, tv)
    kept = downloaded(tv_rt.config, tmp_path, first.id, "thumb", (20, 20, 90))
    new = put(tv, f"{DEXTER}/Dexter - S01E01 - Dexter Bluray-1080p.mkv")
    scan(tv_rt, [new])
    upgrade = db.Movie.get(db.Movie.path == str(new))
    dropped = downloaded(tv_rt.config, tmp_path, upgrade.id, "thumb", (90, 90, 20))
    (tv / SINGLE_720P[0]).unlink()

    assert follow_renames(tv_rt.config, {str(tv / SINGLE_720P[0]): str(new)}) == [first.id]

    assert db.Movie.get_or_none(db.Movie.id == upgrade.id) is None
    assert db.Movie.get_by_id(first.id).path == str(new)
    assert not [p for p in dropped if p.exists()]
    assert all(p.is_file() for p in kept)


def test_an_episode_with_the_users_edits_stays_when_one_file_replaces_it(tv_rt, tmp_path):
    """merge_replaced's rule: the second episode's edits have no place in the multi-episode
    item (one title, the first episode's); it stays, missing, and says why."""
    tv = tmp_path / "tv"
    first, second = _two_singles(tv_rt, tv)
    db.Movie.update(locked_fields=["plot"]).where(db.Movie.id == second.id).execute()
    for rel in SINGLE_720P:
        (tv / rel).unlink()
    put(tv, DOUBLE_1080P, HEVC)

    report = scan(tv_rt, [tv / DEXTER])

    assert report.moved == [first.id] and report.missing == [second.id] and not report.merged
    assert db.Movie.get_by_id(second.id).missing
    warning = db.Event.get(db.Event.movie == second.id, db.Event.kind == "scan.warning")
    assert "S01E01-E02" in warning.message


def test_an_episode_locked_while_the_merge_was_on_its_way_stays(tv_rt, tmp_path):
    """merge_replaced judges the user's work from the item as it is when the merge is written:
    a lock set on the review page after the scan read `others` (and before it merged them)
    keeps the item, as a lock set before does."""
    from metarrd.scan.tv import merge_replaced

    tv = tmp_path / "tv"
    first, second = _two_singles(tv_rt, tv)
    stale = db.Movie.get_by_id(second.id)  # read by the scan, untouched then
    db.Movie.update(locked_fields=["plot"]).where(db.Movie.id == second.id).execute()

    assert merge_replaced(tv_rt.config, db.Movie.get_by_id(first.id), [stale]) == []
    assert db.Movie.get_or_none(db.Movie.id == second.id) is not None


def test_files_replaced_by_one_seen_by_two_watcher_scans_follow_it(tv_rt, tmp_path):
    """The watcher scanned the folder once the old files were gone (Sonarr moves them to its
    recycle bin, then copies the new one in from another disk: more than the settle time),
    and again once the new one was there: the missing items are paired all the same."""
    tv = tmp_path / "tv"
    first, second = _two_singles(tv_rt, tv)
    for rel in SINGLE_720P:
        (tv / rel).unlink()
    assert sorted(scan(tv_rt, [tv / DEXTER]).missing) == sorted([first.id, second.id])
    new = put(tv, DOUBLE_1080P, HEVC)

    report = scan(tv_rt, [tv / DEXTER])

    assert not report.new and report.moved == [first.id] and report.merged == [second.id]
    assert db.Movie.get_by_id(first.id).path == str(new)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # a multi-episode file of another season
        (SINGLE_720P, ["Dexter (2006)/Season 2/Dexter - S02E01-E02 - Its Alive + Waiting.mkv"]),
        # E02-E03 went with E01, E01-E02 came: E03 is not in the new file
        (
            [SINGLE_720P[0], f"{DEXTER}/Dexter - S01E02-E03 - Crocodile + Popping Cherry.mkv"],
            [DOUBLE_1080P],
        ),
        # two files of E01-E02 came (two qualities kept): neither is the items'
        (SINGLE_720P, [DOUBLE_1080P, DOUBLE_1080P.replace("Bluray-1080p", "WEBDL-2160p")]),
        # a delete with nothing in its place
        (SINGLE_720P, []),
    ],
)
def test_files_replaced_by_one_are_not_paired_on_a_guess(tv_rt, tmp_path, before, after):
    """No pairing on a guess: the gone items are missing with their data, the new files items
    of their own."""
    tv = tmp_path / "tv"
    for rel in before:
        put(tv, rel)
    scan(tv_rt)
    olds = [db.Movie.get(db.Movie.path == str(tv / rel)).id for rel in before]
    for rel in before:
        (tv / rel).unlink()
    for rel in after:
        put(tv, rel, HEVC)

    report = scan(tv_rt, [tv / "Dexter (2006)"])

    assert sorted(report.missing) == sorted(olds) and not report.moved and not report.merged
    assert len(report.new) == len(after)


NFO = Path(__file__).resolve().parent.parent / "nfo"


def test_the_users_tvshow_nfo_status_is_the_shows_unless_locked(tv_rt, tmp_path):
    """Kodi's export, tinyMediaManager (tests/nfo/tmm-kodi-tvshow.nfo), MediaElch and
    Jellyfin write `<status>Continuing</status>` / `Ended` into tvshow.nfo. It was kept only
    as an element the show did not own, so the show had no status until enrich (none at all
    for a show TMDB never enriched) and publish wrote the show's (none) in its place. It is
    taken as the other fields are: a status locked on the item page stays."""
    shows = tmp_path / "tv"
    put(shows, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    shutil.copy(NFO / "tmm-kodi-tvshow.nfo", shows / "Breaking Bad (2008)/tvshow.nfo")
    put(shows, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    firefly = shows / "Firefly (2002)/tvshow.nfo"
    firefly.write_text("<tvshow><title>Firefly</title><status>Continuing</status></tvshow>")
    scan(tv_rt)
    status = {s.title: s.status for s in db.Movie.select().where(db.Movie.kind == db.SHOW)}
    assert status == {"Breaking Bad": "Ended", "Firefly": "Continuing"}

    show = db.Movie.get(db.Movie.title == "Firefly", db.Movie.kind == db.SHOW)
    show.status, show.locked_fields = "Canceled", ["status"]
    show.save()
    firefly.write_text("<tvshow><title>Firefly</title><status>Ended</status></tvshow>")
    os.utime(firefly, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt)
    assert db.Movie.get_by_id(show.id).status == "Canceled"


def test_a_published_status_read_back_keeps_tmdbs_words(tv_rt, tmp_path):
    """Publish writes TMDB's "Returning Series" as `<status>Continuing</status>` (the word
    Jellyfin reads); the scan reading that tvshow.nfo back put "Continuing" on the show, and
    the item page no longer said TMDB's words. A status of the NFO that says another (the
    user's edit of the file) is still taken."""
    shows = tmp_path / "tv"
    put(shows, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    nfo = shows / "Firefly (2002)/tvshow.nfo"
    nfo.write_text("<tvshow><title>Firefly</title></tvshow>")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.title == "Firefly", db.Movie.kind == db.SHOW)
    show.status = "Returning Series"  # enrich's, TMDB's words
    show.save()
    nfo.write_bytes(render_tvshow(ShowData(title="Firefly", status=show.status)))
    assert b"<status>Continuing</status>" in nfo.read_bytes()
    os.utime(nfo, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt)
    assert db.Movie.get_by_id(show.id).status == "Returning Series"

    nfo.write_text("<tvshow><title>Firefly</title><status>Ended</status></tvshow>")
    os.utime(nfo, ns=(2_000_000_000, 2_000_000_000))
    scan(tv_rt)
    assert db.Movie.get_by_id(show.id).status == "Ended"


def test_an_nfo_swapped_for_a_link_after_the_look_is_not_read(tv_rt, tmp_path, monkeypatch):
    """`tvshow.nfo` and an episode NFO that are links out of every library are not read; ones
    swapped for such a link after that look (by someone who may write the library: a download
    client's user, a share's guest) were read all the same. What is opened is looked at too."""
    from metarrd.scan import tv as scan_tv

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nfo").write_text(SECRET_NFO)
    (outside / "secret-episode.nfo").write_text(
        "<episodedetails><title>root:x:0:0</title><season>1</season>"
        "<episode>1</episode></episodedetails>"
    )
    show = tmp_path / "tv/Firefly (2002)"
    video = put(show, "Season 1/Firefly - S01E01 - Serenity.mkv")
    (show / "tvshow.nfo").write_text("<tvshow><title>Firefly</title></tvshow>")
    video.with_suffix(".nfo").write_text(
        "<episodedetails><title>Serenity</title><season>1</season>"
        "<episode>1</episode></episodedetails>"
    )
    looked = scan_tv.refused_link

    def swapped_after_the_look(path, config):
        reason = looked(path, config)
        if reason is None and not Path(path).is_symlink():
            secret = "secret.nfo" if Path(path).name == "tvshow.nfo" else "secret-episode.nfo"
            Path(path).unlink()
            Path(path).symlink_to(outside / secret)
        return reason

    monkeypatch.setattr(scan_tv, "refused_link", swapped_after_the_look)

    scan(tv_rt)

    item = db.Movie.get(db.Movie.path == str(show))
    assert item.plot is None and not item.hints.get("nfo_tmdb_id")
    assert "put there while it was being read" in item.last_error
    episode = db.Movie.get(db.Movie.path == str(video))
    assert episode.title != "root:x:0:0" and not episode.hints.get("nfo_episodes")
    assert "put there while it was being read" in episode.last_error


def test_an_avchd_disc_in_a_show_is_left_out_as_what_it_is(tv_rt, tmp_path):
    """An AVCHD disc (what a Panasonic DIGA recorder burns a broadcast to, or a camcorder's
    `PRIVATE/AVCHD/BDMV/` copied without its BDMV folder): `INDEX.BDM`, `MOVIEOBJ.BDM`,
    `PLAYLIST/00000.MPL`, `CLIPINF/00000.CPI`, `STREAM/00000.MTS`. The TV scan leaves it out as
    a disc (`walk.is_flat_bluray` takes `INDEX.BDM` as Kodi's IsBDFile does), but the reason
    listed named a Blu-ray's `index.bdmv` and `.m2ts` files, none of which the folder holds."""
    from metarrd.scan import skipped_by_name

    tv = tmp_path / "tv"
    put(tv, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    for disc in ("Firefly/Season 1/Disc 2", "Firefly/Season 1/Firefly.S01E02.AVCHD"):
        for rel in ("INDEX.BDM", "MOVIEOBJ.BDM", "PLAYLIST/00000.MPL", "CLIPINF/00000.CPI"):
            put(tv, f"{disc}/{rel}")
        put(tv, f"{disc}/STREAM/00000.MTS")
    report = scan(tv_rt)
    assert report.found == 1 and not report.errors
    library = db.Library.get(db.Library.name == "TV")
    rules = dict(skipped_by_name([library.id])[library.id]["entries"])
    assert rules["Firefly/Season 1/Disc 2"] == (
        "an AVCHD structure (INDEX.BDM and STREAM/): not scanned, a disc's .MTS files are no "
        "episodes"
    )
    assert rules["Firefly/Season 1/Firefly.S01E02.AVCHD"].startswith(
        "an AVCHD structure Kodi reads as episode S01E02 by its folder's name"
    )


def test_a_blurays_files_out_of_their_bdmv_folder_in_a_season_say_kodi_hides_the_season(
    tv_rt, tmp_path
):
    """`Season 1/Firefly.S01E03.BD/index.bdmv` + `STREAM/` (a Blu-ray's BDMV folder renamed for
    the episode): Kodi's TV scan (VideoInfoScanner EnumerateSeriesFolder, since xbmc/xbmc#24314,
    Kodi 21) drops every file below
    the parent of the folder holding an `INDEX.BDMV`, made for `<disc>/BDMV/index.bdmv`: here
    `Season 1/`, so S01E01, tagged by metarrd, is gone from Kodi with no word of why. An AVCHD
    disc's `INDEX.BDM` is not pruned so (`file.find("INDEX.BDMV")`)."""
    from metarrd.scan import skipped_by_name

    tv = tmp_path / "tv"
    put(tv, "Firefly/Season 1/Firefly - S01E01 - Serenity.mkv")
    put(tv, "Firefly/Season 1/Firefly.S01E03.BD/index.bdmv")
    put(tv, "Firefly/Season 1/Firefly.S01E03.BD/STREAM/00001.m2ts")
    put(tv, "Firefly/Season 2/Disc 1/INDEX.BDM")
    put(tv, "Firefly/Season 2/Disc 1/STREAM/00000.MTS")
    report = scan(tv_rt)
    assert report.found == 1 and not report.errors
    library = db.Library.get(db.Library.name == "TV")
    rules = dict(skipped_by_name([library.id])[library.id]["entries"])
    assert rules["Firefly/Season 1/Firefly.S01E03.BD"].endswith(
        "; Kodi (21 and later) then leaves out every other video in Season 1/ and below: move "
        "the disc's files into a BDMV folder (Firefly.S01E03.BD/BDMV/index.bdmv)"
    )
    assert "leaves out every other video" not in rules["Firefly/Season 2/Disc 1"]


def test_the_users_season_art_does_not_bring_back_a_season_with_no_file(tv_rt, tmp_path):
    """Naruto's 2002-11-14 episode is TMDB's S01E07 and TheTVDB's S02E01: in TheTVDB's order
    its Season 1 holds no file and is hidden (identify.tv._season_items). The user's
    `season01-poster.jpg` in the show folder, new or changed, does not list it again: Kodi
    shows a season only when an episode is in it (its art alone makes none), and this season
    had come back on the scan with no file, its poster and name published again."""
    from metarrd.identify.tv import identify_episodes, set_episode_order
    from metarrd.web.tv import seasons as season_views

    from .test_identify_tv import _scan_and_identify

    put(tmp_path / "tv", "Naruto/Naruto - 2002-11-14 - The Assassin of the Mist.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Naruto"))
    set_episode_order(show, "tvdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    first = db.Movie.get(db.Movie.show == show, db.Movie.season == 1)
    assert first.kind == db.SEASON and first.missing

    poster = tmp_path / "tv/Naruto/season01-poster.jpg"
    for colour in ((30, 30, 200), (200, 30, 30)):  # new, then changed
        Image.new("RGB", (400, 600), colour).save(poster)
        os.utime(poster, ns=(1_000_000_000, 1_000_000_000 + colour[0]))
        scan(tv_rt, [tmp_path / "tv/Naruto"])
        assert db.Movie.get_by_id(first.id).missing
        assert [v.number for v in season_views(db.Movie.get_by_id(show.id))] == [2]
    # its art is recorded on it all the same, for when a file is in it again
    assert [a.asset_type for a in db.Movie.get_by_id(first.id).assets] == ["poster"]


def test_a_season_of_the_users_art_alone_is_no_season(tv_rt, tmp_path):
    """Breaking Bad with Season 1's files, and the user's `season02-poster.jpg` (Sonarr's name)
    put in the show folder ahead of Season 2, and `season-specials-poster.jpg`: each made a
    season item, listed on the show's page with no file, enriched and published. Kodi lists a
    season only when an episode is in it (its art alone makes none), so it is hidden; the
    user's files stay as they are, their art kept on the hidden item, which comes back with
    it when the first file of that season comes."""
    from metarrd.web.tv import seasons as season_views

    tv = tmp_path / "tv"
    show_dir = tv / "Breaking Bad (2008)"
    put(tv, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    posters = {}
    for name, colour in (("season02-poster.jpg", (30, 30, 200)), ("season-specials-poster.jpg", (200, 30, 30))):  # fmt: skip
        Image.new("RGB", (400, 600), colour).save(show_dir / name)
        posters[name] = sha256_file(show_dir / name)
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(show_dir))

    def seasons() -> dict[int, db.Movie]:
        M = db.Movie
        return {s.season: s for s in M.select().where(M.show == show, M.kind == db.SEASON)}

    assert {n: s.missing for n, s in seasons().items()} == {0: True, 1: False, 2: True}
    assert [(v.number, v.files) for v in season_views(db.Movie.get_by_id(show.id))] == [(1, 1)]
    assert {name: sha256_file(show_dir / name) for name in posters} == posters
    assert [a.asset_type for a in seasons()[2].assets] == ["poster"]

    put(tv, "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv")
    scan(tv_rt)
    assert {n: s.missing for n, s in seasons().items()} == {0: True, 1: False, 2: False}
    assert [(v.number, v.files) for v in season_views(db.Movie.get_by_id(show.id))] == [
        (1, 1),
        (2, 1),
    ]
    assert [a.asset_type for a in seasons()[2].assets] == ["poster"]


def test_a_season_an_earlier_scan_made_of_the_users_art_alone_is_hidden_when_it_changes(
    tv_rt, tmp_path
):
    """A season item made, listed and published before for the user's `season02-poster.jpg`
    alone (no file of Season 2): the scan that reads that art again (the user changed it)
    hides it, as a new one is. What publish wrote for it is still there, to go at the next
    publish: to republish, not "Published", and so is its show (published as one unit; it
    stayed "Published", its Republish not offered)."""
    from metarrd.web.tv import seasons as season_views

    tv = tmp_path / "tv"
    show_dir = tv / "Breaking Bad (2008)"
    put(tv, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    Image.new("RGB", (400, 600), (30, 30, 200)).save(show_dir / "season02-poster.jpg")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(show_dir))
    second = db.Movie.get(db.Movie.show == show, db.Movie.season == 2)
    db.Movie.update(missing=False, publish_state=db.PUBLISHED).where(
        db.Movie.id == second.id
    ).execute()  # as the earlier scan left it, published since
    db.Movie.update(publish_state=db.PUBLISHED).where(db.Movie.id == show.id).execute()
    assert [v.number for v in season_views(db.Movie.get_by_id(show.id))] == [1, 2]

    poster = show_dir / "season02-poster.jpg"
    Image.new("RGB", (400, 600), (200, 30, 30)).save(poster)
    os.utime(poster, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt, [show_dir])
    second = db.Movie.get_by_id(second.id)
    assert (second.missing, second.publish_state) == (True, db.OUTDATED)
    assert db.Movie.get_by_id(show.id).publish_state == db.OUTDATED  # published as one unit
    assert [v.number for v in season_views(db.Movie.get_by_id(show.id))] == [1]


def test_a_show_folder_back_brings_back_only_the_seasons_a_file_is_in(tv_rt, tmp_path):
    """Breaking Bad with Season 1's file and the user's `season02-poster.jpg`: Season 2 is
    hidden (its art alone makes no season). The show folder moved off the share and back (a
    share remounted): while it was gone its seasons were missing with it, and when it came
    back every one came back, Season 2 too, listed with no file; the scan reads the unchanged
    art no more, so it stayed listed. Only the seasons a file is in come back."""
    from metarrd.web.tv import seasons as season_views

    tv = tmp_path / "tv"
    show_dir = tv / "Breaking Bad (2008)"
    put(tv, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(tv, "The Wire (2002)/Season 01/The Wire - S01E01 - The Target.mkv")  # the share's there
    Image.new("RGB", (400, 600), (30, 30, 200)).save(show_dir / "season02-poster.jpg")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(show_dir))
    M = db.Movie

    def seasons() -> list[db.Movie]:
        return list(M.select().where(M.show == show, M.kind == db.SEASON))

    assert {s.season: s.missing for s in seasons()} == {1: False, 2: True}

    away = tmp_path / "away"
    away.mkdir()
    show_dir.rename(away / show_dir.name)
    scan(tv_rt)
    assert db.Movie.get_by_id(show.id).missing
    assert {s.season: s.missing for s in seasons()} == {1: True, 2: True}
    (away / show_dir.name).rename(show_dir)
    scan(tv_rt)
    assert not db.Movie.get_by_id(show.id).missing
    assert {s.season: s.missing for s in seasons()} == {1: False, 2: True}
    assert [(v.number, v.files) for v in season_views(db.Movie.get_by_id(show.id))] == [(1, 1)]


@pytest.mark.parametrize(
    ("show_nfo", "season_nfo", "episode_nfo"),
    [("TVSHOW.NFO", "SEASON.NFO", "Dexter - S01E01 - Dexter.NFO"), ("Tvshow.nfo", "Season.nfo",
     "dexter - s01e01 - dexter.nfo")],
)  # fmt: skip
def test_the_users_tv_nfos_in_other_letters_are_read_as_kodi_reads_them_over_smb(
    tv_rt, tmp_path, show_nfo, season_nfo, episode_nfo
):
    """`TVSHOW.NFO`, `Season.nfo`, `<episode>.NFO` (a tool on Windows wrote them so): on the
    NAS's own disk, which metarrd reads, none is at the name Kodi asks for (`tvshow.nfo`,
    `<episode>.nfo`; Jellyfin's and tinyMediaManager's `season.nfo`); over the NAS's SMB share,
    whose Samba looks names up without case, Kodi reads each all the same. The scan passed
    them over: the user's ids, titles and plots not taken in, nor an edit of them later."""
    show = tmp_path / "tv" / "Dexter (2006)"
    video = put(show, "Season 01/Dexter - S01E01 - Dexter.mkv")
    (show / show_nfo).write_text(
        '<tvshow><title>Dexter</title><uniqueid type="tvdb" default="true">79349</uniqueid>'
        '<uniqueid type="tmdb">1405</uniqueid><plot>Mine.</plot></tvshow>'
    )
    (video.parent / season_nfo).write_text(
        "<season><seasonnumber>1</seasonnumber><title>Miami</title></season>"
    )
    episode = video.parent / episode_nfo
    episode.write_text(
        "<episodedetails><title>Pilot</title><season>1</season><episode>1</episode>"
        "<plot>My plot.</plot></episodedetails>"
    )

    scan(tv_rt)

    item = db.Movie.get(db.Movie.kind == db.SHOW)
    assert item.hints["nfo_tvdb_id"] == 79349 and item.hints["nfo_tmdb_id"] == 1405
    assert item.plot == "Mine."
    assert db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 1).title == "Miami"
    pilot = db.Movie.get(db.Movie.path == str(video))
    assert (pilot.title, pilot.plot) == ("Pilot", "My plot.")
    episode.write_text(episode.read_text().replace("My plot.", "Edited."))
    os.utime(episode, ns=(1_000_000_000, 1_000_000_000))
    scan(tv_rt, [show])
    assert db.Movie.get(db.Movie.path == str(video)).plot == "Edited."


def test_the_users_show_jpg_is_offered_as_the_show_poster_and_movie_jpg_is_not(tv_rt, tv_library):
    """Jellyfin reads a series' poster from `show.jpg` as well as `poster.jpg`, `folder.jpg`,
    `cover.jpg` and `default.jpg` (LocalImageProvider._seriesImageFileNames), and `movie.jpg`
    only for a movie (_videoImageFileNames); Plex's local assets read `show.jpg` for a show
    too. The scan offered a show folder's `movie.jpg` as the user's show poster, a name no
    player reads for a show, and never its `show.jpg`."""
    show = tv_library / "Doctor Who (2005)"
    Image.new("RGB", (400, 600), (200, 200, 30)).save(show / "show.jpg")
    Image.new("RGB", (400, 600), (30, 200, 200)).save(show / "movie.jpg")
    scan(tv_rt)
    item = db.Movie.get(db.Movie.path == str(show))
    posters = [a for a in item.assets if a.asset_type == "poster"]
    assert [a.content_hash for a in posters] == [sha256_file(show / "show.jpg")]


@pytest.mark.parametrize(
    ("name", "kind", "found"),
    [
        ("show.jpg", "show", ("poster", 1)),
        ("movie.jpg", "show", None),
        ("movie.jpg", "movie", ("poster", 1)),
        ("show.jpg", "movie", None),
        ("folder.jpg", "show", ("poster", 1)),
        ("fanart.jpg", "show", ("fanart", 1)),
    ],
)
def test_a_posters_own_name_is_read_for_its_kind_alone(name, kind, found):
    from metarrd.scan import classify_image

    assert classify_image(name, "\0", own_folder=True, kind=kind) == found


def test_an_episodes_movie_jpg_is_not_taken_for_its_thumb(tv_rt, tv_library):
    """`<episode>-movie.jpg` beside an episode: `movie.jpg` is a movie's poster for Jellyfin
    (LocalImageProvider._videoImageFileNames, a Video that is no Episode) and Plex, and no
    player reads it for an episode, whose still is `<episode>-thumb.jpg` or `<episode>.jpg`.
    The scan took it for the episode's thumb, a movie's poster name read as any item's."""
    video = tv_library / "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    for old in video.parent.glob(f"{video.stem}*.jpg"):
        old.unlink()
    Image.new("RGB", (400, 600), (200, 30, 30)).save(video.with_name(f"{video.stem}-movie.jpg"))
    scan(tv_rt)
    assert list(_episode(tv_library, video.relative_to(tv_library)).assets) == []


@pytest.mark.parametrize("word", ["poster", "folder", "cover", "default"])
def test_an_episodes_poster_names_are_not_taken_for_its_thumb(tv_rt, tv_library, word):
    """An episode has no poster: Jellyfin's EpisodeLocalImageProvider reads `<episode>.jpg` and
    `<episode>-thumb.jpg` alone (its LocalImageProvider, which reads `-poster`, `-folder`,
    `-cover`, `-default`, does not take an Episode), Kodi `<episode>-thumb.jpg` and
    `<episode>.tbn`, Plex `<episode>.jpg`. The scan took `<episode>-poster.jpg` for the
    episode's thumb, a name no player reads for its image."""
    video = tv_library / "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    for old in video.parent.glob(f"{video.stem}*.jpg"):
        old.unlink()
    Image.new("RGB", (400, 600), (200, 30, 30)).save(video.with_name(f"{video.stem}-{word}.jpg"))
    scan(tv_rt)
    assert list(_episode(tv_library, video.relative_to(tv_library)).assets) == []


@pytest.mark.parametrize("name", ["{}-thumb.jpg", "{}.tbn", "{}.jpg"])
def test_an_episodes_thumb_names_are_its_thumb(tv_rt, tv_library, name):
    """What the players read for an episode's image stays its thumb."""
    video = tv_library / "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    for old in video.parent.glob(f"{video.stem}*.jpg"):
        old.unlink()
    still = video.with_name(name.format(video.stem))
    Image.new("RGB", (640, 360), (20, 30, 200)).save(still, format="JPEG")
    scan(tv_rt)
    assets = _episode(tv_library, video.relative_to(tv_library)).assets
    assert [(a.asset_type, a.provider, a.url) for a in assets] == [("thumb", "library", str(still))]
