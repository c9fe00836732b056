"""A show's episode order (docs/tv.md "Episode orders"), end to end through the CLI against the
simulator: files numbered in TMDB's aired order, TheTVDB's aired order (what Sonarr names),
TheTVDB's DVD order or by absolute number (anime) are matched in that order, joined to TMDB by
the providers' cross-ids, enriched and published with the numbers and titles of that order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from metarrd import cli, db
from metarrd.cli import main

from .conftest import put

FIREFLY = "Firefly (2002)"
# named in TheTVDB's aired order (Fox's broadcast order): TMDB numbers these episodes otherwise
FIREFLY_FILES = {
    f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv": (1, 1, "The Train Job"),
    f"{FIREFLY}/Season 01/Firefly - S01E11 - Serenity.mkv": (1, 11, "Serenity"),
    f"{FIREFLY}/Firefly - S00E01 - Here's How It Was.mkv": (
        0,
        1,
        "Here's How It Was: The Making of Firefly",
    ),
}
NARUTO_FILES = {  # absolute numbers; TheTVDB's aired order has 6 episodes in season 1
    "Naruto/Naruto - 001 - Enter Naruto Uzumaki.mkv": (1, 1, "Enter: Naruto Uzumaki!"),
    "Naruto/Naruto - 008 - The Oath of Pain.mkv": (2, 2, "The Oath of Pain"),
}


@pytest.fixture
def run(tv_rt, monkeypatch, capsys):
    """`metarrd ARGS...` in-process on the simulator's config: (exit status, stdout, stderr)."""
    tv_rt.http.backoff = 0.05
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)

    def go(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return go


def show_of(root: Path, folder: str) -> db.Movie:
    return db.Movie.get(db.Movie.path == str(root / folder))


def episode(root: Path, rel: str) -> db.Movie:
    return db.Movie.get(db.Movie.path == str(root / rel))


def nfo_blocks(video: Path) -> list[etree._Element]:
    text = video.with_suffix(".nfo").read_text("utf-8").split("?>", 1)[1]
    return [
        etree.fromstring((b + "</episodedetails>").encode())
        for b in text.split("</episodedetails>")
        if b.strip()
    ]


@pytest.fixture
def tv_catalog():
    from metarrd.simulator.tv_catalog import load_tv_catalog

    return load_tv_catalog()


def test_tvdb_aired_order_joins_tmdb_by_cross_id_and_publishes_that_order(
    run, tmp_path, tv_catalog
):
    root = tmp_path / "tv"
    for rel in FIREFLY_FILES:
        put(root, rel)
    status, _out, err = run("scan")
    show = show_of(root, FIREFLY)
    assert show.tmdb_id == 1437 and show.ordering == "tmdb:default"
    # TMDB's order on these files is the complaint: TMDB's S01E01 is "Serenity", not this file
    train = episode(root, f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv")
    assert train.tmdb_id == tv_catalog.get(1437).episode(1, 1).tmdb_id
    special = episode(root, f"{FIREFLY}/Firefly - S00E01 - Here's How It Was.mkv")
    # TMDB has no season 0: the special is TheTVDB's S00E01 in TMDB's order too
    assert special.identification_status == db.IDENTIFIED, special.last_error
    assert special.tvdb_id and special.tmdb_id is None and special.last_error is None

    status, out, err = run("tv", "order", str(show.id), "tvdb")
    assert status == 0, err
    assert "TheTVDB aired order" in out
    firefly = tv_catalog.get(1437)
    for rel, (season, number, title) in FIREFLY_FILES.items():
        item = episode(root, rel)
        assert item.identification_status == db.IDENTIFIED, (rel, item.last_error)
        ref = item.episode_refs[0]
        assert (ref["season"], ref["episode"]) == (season, number)
        tvdb = next(
            e
            for e in firefly.episodes + firefly.tvdb_extra
            if e.tvdb_numbers("official") == (season, number)
        )
        assert item.tvdb_id == tvdb.tvdb_id and ref["title"] == title
        assert item.tmdb_id == (tvdb.tmdb_id or None)
    train = episode(root, f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv")
    assert (train.episode_refs[0]["tmdb_season"], train.episode_refs[0]["tmdb_episode"]) == (1, 2)
    note = show_of(root, FIREFLY).numbering_note
    assert "S01E01 (TheTVDB aired order) is S01E02 (TMDB)" in note
    assert "1 episode only on TheTVDB" in note
    said = run("tv", "order", str(show.id))[1].splitlines()
    assert said[0].endswith("tvdb (TheTVDB aired order)")
    assert said[1:] == [f"numbering: {note}"]  # the note, where the order is chosen

    status, out, err = run("enrich", str(show.id))
    assert status == 0, err
    status, out, err = run("publish", str(show.id))
    assert status == 0, err
    for rel, (season, number, title) in FIREFLY_FILES.items():
        [block] = nfo_blocks(root / rel)
        assert (block.findtext("season"), block.findtext("episode")) == (str(season), str(number))
        assert block.findtext("title") == title
    [train_nfo] = nfo_blocks(root / f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv")
    ids = {u.get("type"): u.text for u in train_nfo.findall("uniqueid")}
    assert ids["tmdb"] == str(firefly.episode(1, 2).tmdb_id)
    assert train_nfo.findtext("aired") == "2002-09-20"
    [special] = nfo_blocks(root / f"{FIREFLY}/Firefly - S00E01 - Here's How It Was.mkv")
    assert "tmdb" not in {u.get("type") for u in special.findall("uniqueid")}
    assert special.findtext("plot") == "Firefly: Here's How It Was: The Making of Firefly."


def test_a_new_order_says_the_show_is_kept_as_identified_not_searched_again(run, tmp_path):
    """`tv order` matches the episodes again under the show's own TMDB id: it had said
    "identified by a TMDB search as …" (the show's first identification), though no search was
    made, on the terminal and the Activity page. A show identified by hand stays so."""
    root = tmp_path / "tv"
    for rel in FIREFLY_FILES:
        put(root, rel)
    run("scan")
    show = show_of(root, FIREFLY)
    assert show.identified_by == "search"

    status, out, err = run("tv", "order", str(show.id), "tvdb")

    assert status == 0, err
    kept = "episode order changed: kept as Firefly (2002) [tmdb tv 1437], identified"
    assert out.splitlines()[1].startswith(f"{kept} by a TMDB search; 3 episodes identified in")
    assert "identified by a TMDB search as" not in out
    assert _show_done(show) == f"{kept} by a TMDB search"  # the Activity page's
    assert show_of(root, FIREFLY).identified_by == "search"
    assert run("identify", str(show.id), "--tmdb", "1437")[0] == 0
    assert run("tv", "order", str(show.id), "tmdb")[0] == 0
    assert _show_done(show) == f"{kept} by hand"
    assert show_of(root, FIREFLY).identified_by == "manual"


def _show_done(show: db.Movie) -> str:
    """The message of the show's last `identify.done` event."""
    events = db.Event.select().where(db.Event.kind == "identify.done", db.Event.movie == show.id)
    return events.order_by(db.Event.id.desc()).get().message


def test_dvd_order_is_not_the_aired_order(run, tmp_path, tv_catalog):
    root = tmp_path / "tv"
    rel = "Futurama (1999)/Season 01/Futurama - S01E10 - A Flight to Remember.mkv"
    put(root, rel)
    run("scan")
    show = show_of(root, "Futurama (1999)")
    status, _out, err = run("tv", "order", str(show.id), "tvdb")
    assert status == 1  # TheTVDB's aired season 1 has nine episodes
    assert "TheTVDB has no episode S01E10 of Futurama in its official order" in err
    status, _out, err = run("tv", "order", str(show.id), "dvd")
    assert status == 0, err
    item = episode(root, rel)
    flight = tv_catalog.get(615).episode(1, 10)
    assert item.identification_status == db.IDENTIFIED
    assert (item.tmdb_id, item.tvdb_id) == (flight.tmdb_id, flight.tvdb_id)
    assert item.episode_refs[0]["title"] == "A Flight to Remember"
    assert db.Movie.get_by_id(show.id).ordering == "tvdb:dvd"


def test_absolute_numbers_become_episodes_only_in_the_absolute_order(run, tmp_path, tv_catalog):
    root = tmp_path / "tv"
    for rel in NARUTO_FILES:
        put(root, rel)
    run("scan")
    show = show_of(root, "Naruto")
    for rel in NARUTO_FILES:
        item = episode(root, rel)
        assert item.identification_status == db.UNIDENTIFIED
        assert "absolute episode number" in item.last_error
        assert f"metarrd tv order {show.id} absolute" in item.last_error

    status, out, err = run("tv", "order", str(show.id), "absolute")
    assert status == 0, err
    naruto = tv_catalog.get(46260)
    for rel, (season, number, title) in NARUTO_FILES.items():
        item = episode(root, rel)
        assert item.identification_status == db.IDENTIFIED, item.last_error
        assert (item.season, item.episodes) == (season, [number])  # TheTVDB's aired numbers
        absolute = int(Path(rel).name.split(" - ")[1])
        tmdb = naruto.episode(1, absolute)  # TMDB has all nine in season 1
        assert (item.tmdb_id, item.episode_refs[0]["title"]) == (tmdb.tmdb_id, title)
        assert item.identified_by == "absolute number"
    assert "S02E02 (TheTVDB aired order) is S01E08 (TMDB)" in show_of(root, "Naruto").numbering_note
    assert run("enrich", str(show.id))[0] == 0
    status, _out, err = run("publish", str(show.id))
    assert status == 0, err
    for rel, (season, number, title) in NARUTO_FILES.items():
        [block] = nfo_blocks(root / rel)
        assert (block.findtext("season"), block.findtext("episode")) == (str(season), str(number))
        assert block.findtext("title") == title

    status, _out, err = run("tv", "order", str(show.id), "tmdb")  # back: reported again
    assert status == 1 and "absolute episode number" in err
    item = episode(root, "Naruto/Naruto - 008 - The Oath of Pain.mkv")
    assert (item.season, item.episodes, item.identification_status) == (None, [], db.UNIDENTIFIED)


def test_an_absolute_range_maps_each_number_in_the_absolute_order(run, tmp_path):
    root = tmp_path / "tv"
    put(root, both := "Naruto/[Grp] Naruto - 002-003 [720p].mkv")
    put(root, across := "Naruto/[Grp] Naruto - 006-007 [720p].mkv")  # TheTVDB: S01E06, S02E01
    run("scan")
    show = show_of(root, "Naruto")
    assert episode(root, both).hints["name_absolute"] == [2, 3]
    run("tv", "order", str(show.id), "absolute")
    item = episode(root, both)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes) == (1, [2, 3])
    assert [r["episode"] for r in item.episode_refs] == [2, 3]
    item = episode(root, across)
    assert item.identification_status == db.UNIDENTIFIED
    assert "absolute 6-7 of Naruto spans seasons [1, 2]" in item.last_error
    # touched: rescanned, it keeps the aired numbers identify gave it (the stored range is a
    # list, the name's a tuple: compared as numbers, not re-identified at every change)
    touched = root / both
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    events = db.Event.select().where(db.Event.kind == "identify.done").count()
    run("scan")
    item = episode(root, both)
    assert (item.season, item.episodes, item.identification_status) == (1, [2, 3], db.IDENTIFIED)
    assert db.Event.select().where(db.Event.kind == "identify.done").count() == events


def test_an_obfuscated_file_in_its_release_folder_follows_the_absolute_order(run, tmp_path):
    """A download kept in its release folder with an obfuscated name: only a folder's SxxEyy
    was read, so absolute 8 was dropped and the file was "no numbers in the name" in every
    order. Sonarr reads the folder when the name parses not (Parser.ParsePath)."""
    root = tmp_path / "tv"
    put(root, rel := "Naruto/[Grp] Naruto - 008 [720p][B4D4514E]/3f1b9c0a7d2864f5.mkv")
    run("scan")
    show = show_of(root, "Naruto")
    item = episode(root, rel)
    assert item.hints["name_absolute"] == 8
    assert f"metarrd tv order {show.id} absolute" in item.last_error
    status, _out, err = run("tv", "order", str(show.id), "absolute")
    assert status == 0, err
    item = episode(root, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes) == (2, [2])  # TheTVDB's aired numbers of absolute 8
    assert item.episode_refs[0]["title"] == "The Oath of Pain"


def test_a_release_folders_number_is_not_given_to_each_of_its_videos(run, tmp_path):
    """The folder's absolute number was given to every numberless video in it: the creditless
    opening and ending beside the obfuscated episode (`NCOP.mkv`, `NCED.mkv`, kept by name:
    no sample, trailer or extra rule takes them) were all absolute 8, so the absolute order
    made each of them episode 8. Sonarr reads a folder's numbers only for its one video
    (ImportDecisionMaker.ShouldUseFolderName); a sample beside it does not count."""
    root = tmp_path / "tv"
    folder = "Naruto/[Grp] Naruto - 008 [720p][B4D4514E]"
    put(root, alone := "Naruto/[Grp] Naruto - 009 [720p][0A1B2C3D]/3f1b9c0a7d2864f5.mkv")
    put(root, "Naruto/[Grp] Naruto - 009 [720p][0A1B2C3D]/3f1b9c0a7d2864f5.sample.mkv")
    for name in ("3f1b9c0a7d2864f5.mkv", "NCOP.mkv", "NCED.mkv"):
        put(root, f"{folder}/{name}")
    run("scan")
    show = show_of(root, "Naruto")
    assert episode(root, alone).hints["name_absolute"] == 9
    status, _out, err = run("tv", "order", str(show.id), "absolute")
    assert status == 1, err
    assert (episode(root, alone).season, episode(root, alone).episodes) == (2, [3])
    for name in ("3f1b9c0a7d2864f5.mkv", "NCOP.mkv", "NCED.mkv"):
        item = episode(root, f"{folder}/{name}")
        assert item.identification_status != db.IDENTIFIED and item.episodes in (None, [])
        assert not item.hints.get("name_absolute"), item.hints
        assert "the folder holds other videos" in item.last_error, item.last_error


def test_a_rescan_in_the_absolute_order_keeps_the_numbers_and_reports_no_problem(run, tmp_path):
    """Once the show is in the absolute order, an absolute name is no scan problem: a new
    anime file is found without error and a touched one keeps the aired numbers identify
    gave it (the name alone has none)."""
    root = tmp_path / "tv"
    for rel in NARUTO_FILES:
        put(root, rel)
    run("scan")
    show = show_of(root, "Naruto")
    assert run("tv", "order", str(show.id), "absolute")[0] == 0
    touched = root / "Naruto/Naruto - 008 - The Oath of Pain.mkv"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    put(root, new := "Naruto/Naruto - 003 - Sasuke and Sakura.mkv")

    status, out, err = run("scan")
    assert status == 0, err
    assert "absolute episode number" not in err
    item = episode(root, "Naruto/Naruto - 008 - The Oath of Pain.mkv")
    assert (item.season, item.episodes, item.identification_status) == (2, [2], db.IDENTIFIED)
    assert item.last_error is None
    fresh = episode(root, new)  # scan identifies new files of an identified show
    assert fresh.last_error is None and fresh.hints["name_absolute"] == 3
    assert fresh.identification_status == db.IDENTIFIED, fresh.last_error
    assert (fresh.season, fresh.episodes) == (1, [3])


def test_the_hard_case_library_anime_follows_the_absolute_order(run, tv_library):
    run("scan")
    rel = "Naruto/Naruto - 001 - Enter Naruto Uzumaki.mkv"
    item = episode(tv_library, rel)
    assert "absolute episode number" in item.last_error
    assert "episode order to absolute" in item.last_error
    show = show_of(tv_library, "Naruto")
    assert run("tv", "order", str(tv_library / "Naruto"), "absolute")[0] == 0
    item = episode(tv_library, rel)
    assert item.identification_status == db.IDENTIFIED and (item.season, item.episodes) == (1, [1])
    assert db.Movie.get_by_id(show.id).ordering == "tvdb:absolute"


def test_a_jellyfin_displayorder_in_tvshow_nfo_sets_the_order(run, tmp_path):
    root = tmp_path / "tv"
    put(root, NARUTO_ABS := "Naruto/Naruto - 008 - The Oath of Pain.mkv")
    (root / "Naruto/tvshow.nfo").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<tvshow><title>Naruto</title>'
        "<displayorder>absolute</displayorder></tvshow>\n"
    )
    run("scan")
    assert show_of(root, "Naruto").ordering == "tvdb:absolute"
    assert episode(root, NARUTO_ABS).episode_refs[0]["title"] == "The Oath of Pain"


def test_unknown_order_and_non_show_are_usage_errors(run, tmp_path):
    put(tmp_path / "tv", "Naruto/Naruto - 001 - Enter Naruto Uzumaki.mkv")
    run("scan")
    show = show_of(tmp_path / "tv", "Naruto")
    status, _out, err = run("tv", "order", str(show.id), "production")
    assert status == 2 and "one of tmdb, tvdb, dvd, absolute" in err
    assert db.Movie.get_by_id(show.id).ordering == "tmdb:default"


def test_a_bug_while_the_order_is_applied_is_one_line_not_a_traceback(run, tmp_path, monkeypatch):
    """`tv order` caught metarrd's own errors only: a bug while the show was identified again
    in its new order ended the command with a traceback and left the show's last_error empty.
    It is one line and the show's error now, as for the other commands (exit status 1)."""
    import metarrd.identify

    root = tmp_path / "tv"
    put(root, "Futurama (1999)/Season 01/Futurama - S01E01 - Space Pilot 3000.mkv")
    run("scan")
    show = show_of(root, "Futurama (1999)")

    def bug(*_args, **_kwargs):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(metarrd.identify, "identify_item", bug)
    status, _out, err = run("tv", "order", str(show.id), "dvd")
    assert status == 1
    assert err.strip().splitlines() == [
        f"item {show.id} ({show.path}): internal error: TypeError: "
        "'NoneType' object is not subscriptable"
    ]
    assert "internal error: TypeError" in db.Movie.get_by_id(show.id).last_error


def test_a_special_only_thetvdb_has_is_published_in_tmdbs_order(run, tmp_path, tv_catalog):
    """TMDB has no season 0 of Firefly, TheTVDB has the making-of (what Sonarr names specials
    by): in TMDB's order (the default) the special is TheTVDB's S00E01, not an error for good
    that only switching the whole show to TheTVDB's order would clear."""
    root = tmp_path / "tv"
    rel = f"{FIREFLY}/Firefly - S00E01 - Here's How It Was.mkv"
    put(root, rel)
    put(root, f"{FIREFLY}/Season 01/Firefly - S01E01 - Serenity.mkv")
    run("scan")
    show = show_of(root, FIREFLY)
    assert show.ordering == "tmdb:default"
    special = episode(root, rel)
    assert special.identification_status == db.IDENTIFIED, special.last_error
    tvdb = tv_catalog.get(1437).tvdb_extra[0]
    assert special.tvdb_id == tvdb.tvdb_id and special.tmdb_id is None
    assert run("enrich", str(show.id))[0] == 0
    assert run("publish", str(show.id))[0] == 0
    [block] = nfo_blocks(root / rel)
    assert (block.findtext("season"), block.findtext("episode")) == ("0", "1")
    assert block.findtext("title") == "Here's How It Was: The Making of Firefly"
    assert {u.get("type"): u.text for u in block.findall("uniqueid")} == {"tvdb": str(tvdb.tvdb_id)}


def test_a_show_sonarr_sent_counts_by_thetvdbs_aired_order(tv_rt, tmp_path, tv_catalog):
    """Sonarr names every file by TheTVDB's numbers (kodi-tv.md §3.4): a show its webhook
    identifies follows TheTVDB's aired order at once, so Firefly's S01E01 is "The Train Job"
    (TMDB's S01E02), not TMDB's S01E01; found by a scan, a show keeps TMDB's order; without
    TheTVDB's key, TMDB's too (a TheTVDB order would match nothing)."""
    from metarrd import workflow
    from metarrd.identify import identify_item
    from metarrd.scan import scan

    root = tmp_path / "tv"
    for rel in FIREFLY_FILES:
        put(root, rel)
    workflow.set_stage("identification", False)
    scan(tv_rt)
    show = show_of(root, FIREFLY)
    identify_item(tv_rt, show, tmdb_id=1437, tvdb_id=78874, source="webhook")  # Sonarr's ids
    assert show_of(root, FIREFLY).ordering == "tvdb:official"
    train = episode(root, f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv")
    assert train.identification_status == db.IDENTIFIED, train.last_error
    assert train.episode_refs[0]["title"] == "The Train Job"
    assert train.tmdb_id == tv_catalog.get(1437).episode(1, 2).tmdb_id

    db.Movie.update(ordering=None).where(db.Movie.id == show.id).execute()
    identify_item(tv_rt, show_of(root, FIREFLY), tmdb_id=1437, source="folder")
    assert show_of(root, FIREFLY).ordering == "tmdb:default"


def test_without_thetvdb_a_show_sonarr_sent_keeps_tmdbs_order(tv_rt, tmp_path, monkeypatch):
    from metarrd import workflow
    from metarrd.identify import identify_item
    from metarrd.scan import scan

    root = tmp_path / "tv"
    for rel in FIREFLY_FILES:
        put(root, rel)
    workflow.set_stage("identification", False)
    scan(tv_rt)
    real = type(tv_rt).client
    monkeypatch.setattr(  # no [providers.tvdb] api_key
        type(tv_rt), "client", lambda self, name: None if name == "tvdb" else real(self, name)
    )
    identify_item(tv_rt, show_of(root, FIREFLY), tmdb_id=1437, tvdb_id=78874, source="webhook")
    assert show_of(root, FIREFLY).ordering == "tmdb:default"


BB = "Breaking Bad (2008)"


def test_specials_named_in_thetvdbs_numbers_are_joined_by_id_in_tmdbs_order(
    run, tmp_path, tv_catalog
):
    """TMDB and TheTVDB number Breaking Bad's specials each their own way (the simulator's
    `tvdb_specials`: TMDB's S00E01 "Good Cop Bad Cop" is TheTVDB's S00E04, TheTVDB's S00E01 a
    special TMDB does not list), and Sonarr names specials by TheTVDB's. In TMDB's order (the
    default) `S00E01 - Inside Breaking Bad` took TMDB's S00E01 (another special's title, plot,
    still and ids) and `S00E04 - Good Cop Bad Cop` was "TMDB has no episode S00E04". A file whose
    title is TheTVDB's special of that number, or whose NFO names its TheTVDB id, is joined by
    TheTVDB's id; one named by TMDB's numbers stays TMDB's."""
    root = tmp_path / "tv"
    show = tv_catalog.get(1396)
    tmdb_s00 = {e.number: e for e in show.episodes if e.season == 0}
    tvdb_s00 = {e.tvdb_number: e for e in show.episodes + show.tvdb_extra if e.tvdb_season == 0}
    inside = f"{BB}/Specials/Breaking Bad - S00E01 - Inside Breaking Bad.mkv"
    good_cop = f"{BB}/Specials/Breaking Bad - S00E04 - Good Cop Bad Cop.mkv"
    by_nfo = f"{BB}/Specials/Breaking Bad - S00E03.mkv"
    by_tmdb = f"{BB}/Specials/Breaking Bad - S00E02 - Wedding Day.mkv"
    for rel in (inside, good_cop, by_nfo, by_tmdb, f"{BB}/Season 01/Breaking Bad - S01E01.mkv"):
        put(root, rel)
    (root / by_nfo).with_suffix(".nfo").write_text(
        "<episodedetails><title>?</title><season>0</season><episode>3</episode>"
        f'<uniqueid type="tvdb">{tvdb_s00[3].tvdb_id}</uniqueid></episodedetails>'
    )
    run("scan")
    assert show_of(root, BB).ordering == "tmdb:default"

    item = episode(root, inside)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tvdb_id == tvdb_s00[1].tvdb_id and item.tmdb_id is None  # TheTVDB's own
    item = episode(root, good_cop)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tmdb_id, item.tvdb_id) == (tmdb_s00[1].tmdb_id, tmdb_s00[1].tvdb_id)
    assert "S00E04 (TheTVDB" in item.episode_refs[0]["numbering_note"]
    item = episode(root, by_nfo)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tvdb_id == tvdb_s00[3].tvdb_id and item.tmdb_id is None
    item = episode(root, by_tmdb)
    assert (item.tmdb_id, item.tvdb_id) == (tmdb_s00[2].tmdb_id, tmdb_s00[2].tvdb_id)

    show_id = show_of(root, BB).id
    assert run("enrich", str(show_id))[0] == 0
    assert run("publish", str(show_id))[0] == 0
    [block] = nfo_blocks(root / good_cop)
    assert (block.findtext("season"), block.findtext("episode")) == ("0", "4")
    assert block.findtext("title") == "Good Cop Bad Cop"
    ids = {u.get("type"): u.text for u in block.findall("uniqueid")}
    assert ids == {"tmdb": str(tmdb_s00[1].tmdb_id), "tvdb": str(tmdb_s00[1].tvdb_id)}
    [block] = nfo_blocks(root / inside)
    assert block.findtext("title") == "Inside Breaking Bad"
    assert {u.get("type") for u in block.findall("uniqueid")} == {"tvdb"}


def test_a_special_beyond_tmdbs_is_thetvdbs_in_tmdbs_order(run, tmp_path, tv_catalog):
    """TMDB lists two specials of Breaking Bad, TheTVDB four: `S00E04` (no title in the name)
    was "TMDB has no episode S00E04" for good; it is TheTVDB's S00E04 (what Sonarr names
    specials by), as a special of a show TMDB has no season 0 of is."""
    root = tmp_path / "tv"
    rel = f"{BB}/Specials/Breaking.Bad.S00E04.720p.HDTV.x264-GRP.mkv"
    put(root, rel)
    run("scan")
    item = episode(root, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    good_cop = next(e for e in tv_catalog.get(1396).episodes if (e.season, e.number) == (0, 1))
    assert (item.tmdb_id, item.tvdb_id) == (good_cop.tmdb_id, good_cop.tvdb_id)


@pytest.mark.parametrize(
    "rel",
    [
        "Naruto/Season 2/Naruto - 08 (1080p).mkv",
        # a release folder kept in the season folder: its season is the one above it
        "Naruto/Season 2/Naruto.1080p.WEB-DL/Naruto - 08 (1080p).mkv",
    ],
)
def test_an_anime_number_in_a_season_folder_follows_the_absolute_order(run, tmp_path, rel):
    """`Season 2/Naruto - 08 (1080p)` (no `[Group]`): season 2 episode 8 by its folder, and
    absolute episode 8 once the show is in TheTVDB's absolute order (before, it stayed S02E08
    there, TheTVDB's `The Oath of Pain` never found); back in TMDB's order, the name's own
    S02E08 again, not the numbers the absolute order mapped it to."""
    root = tmp_path / "tv"
    put(root, rel)
    run("scan")
    show = show_of(root, "Naruto")
    item = episode(root, rel)
    assert (item.season, item.episodes, item.hints["name_absolute"]) == (2, [8], 8)

    assert run("tv", "order", str(show.id), "absolute")[0] == 0
    item = episode(root, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes) == (2, [2])  # TheTVDB's aired numbers of absolute 8
    assert item.episode_refs[0]["title"] == "The Oath of Pain"
    assert item.identified_by == "absolute number"

    run("tv", "order", str(show.id), "tmdb")
    item = episode(root, rel)
    assert (item.season, item.episodes) == (2, [8])


@pytest.mark.parametrize(
    "name",
    [
        # the episode's title right after the numbers, no show title (Jellyfin's `Season
        # 1/S01E01 The Holy Trinity.mkv`)
        "S00E01 Inside Breaking Bad.mkv",
        # a scene name: the special's title holds the show's
        "Breaking.Bad.S00E01.Inside.Breaking.Bad.720p.WEB-DL.x264-GRP.mkv",
    ],
)
def test_a_special_whose_title_holds_the_show_is_joined_by_its_title(
    run, tmp_path, tv_catalog, name
):
    """guessit, given the show's title, cut it out of the special's ("Inside"), so the file
    took TMDB's S00E01 (another special, "Good Cop Bad Cop") instead of TheTVDB's special
    "Inside Breaking Bad"."""
    root = tmp_path / "tv"
    show = tv_catalog.get(1396)
    tvdb_s00 = {e.tvdb_number: e for e in show.episodes + show.tvdb_extra if e.tvdb_season == 0}
    put(root, inside := f"{BB}/Specials/{name}")
    put(root, f"{BB}/Season 01/Breaking Bad - S01E01.mkv")
    run("scan")
    item = episode(root, inside)
    assert item.hints["name_episode_title"] == "Inside Breaking Bad"
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tvdb_id == tvdb_s00[1].tvdb_id and item.tmdb_id is None  # TheTVDB's own


@pytest.mark.parametrize(
    "name",
    [
        # Sonarr's default format with its DVD and SDTV qualities: no digit ends the title,
        # which was read as "Inside Breaking Bad DVD"
        "Breaking Bad - S00E01 - Inside Breaking Bad DVD.mkv",
        "Breaking Bad - S00E01 - Inside Breaking Bad SDTV.mkv",
        # a scene name's tag after the title
        "Breaking.Bad.S00E01.Inside.Breaking.Bad.REPACK.720p.WEB-DL.x264-GRP.mkv",
    ],
)
def test_a_special_is_joined_by_the_title_its_name_says(run, tmp_path, tv_catalog, name):
    """The special's title is read from its name to its quality or release tags, as a
    multi-episode file's is: scan's episode title kept Sonarr's quality `DVD`, and the file took
    TMDB's S00E01 (another special, "Good Cop Bad Cop") instead of TheTVDB's "Inside Breaking
    Bad"."""
    root = tmp_path / "tv"
    show = tv_catalog.get(1396)
    tvdb_s00 = {e.tvdb_number: e for e in show.episodes + show.tvdb_extra if e.tvdb_season == 0}
    put(root, inside := f"{BB}/Specials/{name}")
    put(root, f"{BB}/Season 01/Breaking Bad - S01E01.mkv")
    run("scan")
    item = episode(root, inside)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tvdb_id == tvdb_s00[1].tvdb_id and item.tmdb_id is None  # TheTVDB's own


def test_a_season_folders_own_count_is_kept_in_the_absolute_order(run, tmp_path):
    """`Season 2/Naruto - 01`: absolute episode 1 is TheTVDB's S01E01, not an episode of
    season 2, so the number counts from the start of its folder's season (S02E01, absolute
    7), as it did before such names got an absolute reading; `Season 2/Naruto - 08` stays
    absolute 8 (TheTVDB's S02E02)."""
    root = tmp_path / "tv"
    put(root, own := "Naruto/Season 2/Naruto - 01 (1080p).mkv")
    put(root, absolute := "Naruto/Season 2/Naruto - 08 (1080p).mkv")
    run("scan")
    show = show_of(root, "Naruto")
    assert run("tv", "order", str(show.id), "absolute")[0] == 0
    item = episode(root, own)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes) == (2, [1])
    assert item.episode_refs[0]["title"] == "The Assassin of the Mist!"
    item = episode(root, absolute)
    assert (item.season, item.episodes, item.episode_refs[0]["title"]) == (
        2, [2], "The Oath of Pain"
    )  # fmt: skip


# A tvshow.nfo and episode NFOs as Sonarr's Kodi metadata writes them (Sonarr/Sonarr
# src/NzbDrone.Core/Extras/Metadata/Consumers/Xbmc/XbmcMetadata.cs): no XML declaration,
# XDocument.ToString()'s indent, TheTVDB's id as `<id>` and the default uniqueid, the
# "Series Metadata URL" line after the XML; an episode NFO holds one `<episodedetails>` root per
# episode of the file, each with the episode's TheTVDB id and Sonarr's own id.
SONARR_TVSHOW = """<tvshow>
  <title>Firefly</title>
  <plot>Five hundred years in the future, a renegade crew aboard a small spacecraft...</plot>
  <mpaa>TV-14</mpaa>
  <id>78874</id>
  <uniqueid type="tvdb" default="true">78874</uniqueid>
  <uniqueid type="imdb">tt0303461</uniqueid>
  <genre>Drama</genre>
  <status>Ended</status>
  <premiered>2002-09-20</premiered>
  <studio>FOX</studio>
  <episodeguide>{"tvdb":"78874","imdb":"tt0303461"}</episodeguide>
</tvshow>
https://www.thetvdb.com/?tab=series&id=78874"""


def sonarr_episode(tvdb_ids: dict[tuple[int, int], int]) -> str:
    return "\r\n".join(
        f"""<episodedetails>
  <title>?</title>
  <season>{season}</season>
  <episode>{number}</episode>
  <aired>2002-09-20</aired>
  <plot />
  <uniqueid type="tvdb" default="true">{tvdb_id}</uniqueid>
  <uniqueid type="sonarr">{100 + number}</uniqueid>
  <thumb />
  <watched>false</watched>
</episodedetails>"""
        for (season, number), tvdb_id in tvdb_ids.items()
    )


@pytest.mark.parametrize(
    ("tvshow_nfo", "order"),
    [
        (SONARR_TVSHOW, "tvdb:official"),
        (SONARR_TVSHOW.replace(' default="true"', ""), "tmdb:default"),
    ],
    ids=["sonarr", "no-default-id"],
)
def test_sonarrs_nfos_keep_tmdbs_data_off_thetvdb_numbered_files(
    run, tmp_path, tv_catalog, tvshow_nfo, order
):
    """A Sonarr library (TheTVDB-numbered files, Sonarr's NFOs) identified by its tvshow.nfo
    started in TMDB's order, as every show does; its episode NFOs name each file's TheTVDB
    episode. `S01E01 - The Train Job` got TMDB's S01E01, "Serenity" (its title, plot, still
    and ids), and `S01E02E03` TMDB's "The Train Job" and "Bushwhacked": the NFO's TheTVDB ids
    were read only for specials. A tvshow.nfo whose default id is TheTVDB's (Sonarr's, Kodi's
    TheTVDB scraper's) now starts the show in TheTVDB's aired order, as Sonarr's webhook does;
    in TMDB's order (a tvshow.nfo naming no default id), an episode whose NFO names a TheTVDB
    episode other than the one TMDB numbers so is joined by that id, as a special is."""
    root = tmp_path / "tv"
    firefly = tv_catalog.get(1437)
    by_tvdb = {e.tvdb_numbers("official"): e for e in firefly.episodes}
    train = f"{FIREFLY}/Season 01/Firefly - S01E01 - The Train Job.mkv"
    double = f"{FIREFLY}/Season 01/Firefly - S01E02E03.mkv"
    for rel in (train, double):
        put(root, rel)
    (root / FIREFLY / "tvshow.nfo").write_text(tvshow_nfo)
    for rel, numbers in ((train, [(1, 1)]), (double, [(1, 2), (1, 3)])):
        nfo = sonarr_episode({n: by_tvdb[n].tvdb_id for n in numbers})
        (root / rel).with_suffix(".nfo").write_bytes(b"\xef\xbb\xbf" + nfo.encode())
    run("scan")
    show = show_of(root, FIREFLY)
    assert (show.tmdb_id, show.identified_by, show.ordering) == (1437, "nfo", order)

    item = episode(root, train)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tvdb_id, item.tmdb_id) == (by_tvdb[1, 1].tvdb_id, by_tvdb[1, 1].tmdb_id)
    ref = item.episode_refs[0]
    assert (ref["season"], ref["episode"], ref["title"]) == (1, 1, "The Train Job")
    assert (ref["tmdb_season"], ref["tmdb_episode"]) == (1, 2)
    item = episode(root, double)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert [r["title"] for r in item.episode_refs] == ["Bushwhacked", "Our Mrs. Reynolds"]
    assert [r["tmdb_id"] for r in item.episode_refs] == [
        by_tvdb[1, 2].tmdb_id,
        by_tvdb[1, 3].tmdb_id,
    ]
    assert "S01E01 (TheTVDB aired order) is S01E02 (TMDB)" in show_of(root, FIREFLY).numbering_note

    assert run("enrich", str(show.id))[0] == 0
    assert run("publish", str(show.id))[0] == 0
    [block] = nfo_blocks(root / train)
    assert (block.findtext("season"), block.findtext("episode")) == ("1", "1")
    assert block.findtext("title") == "The Train Job"
    ids = {u.get("type"): u.text for u in block.findall("uniqueid")}
    assert ids["tmdb"] == str(by_tvdb[1, 1].tmdb_id) and ids["sonarr"] == "101"


def test_an_nfo_naming_tmdbs_own_episode_keeps_it(run, tmp_path, tv_catalog):
    """Kodi's TMDB scraper writes an episode's TMDB id and the TheTVDB id TMDB gave it then;
    TMDB corrects such cross-ids. A block naming TMDB's episode of the file's numbers is
    TMDB's, whatever TheTVDB id it names beside it."""
    root = tmp_path / "tv"
    firefly = tv_catalog.get(1437)
    serenity, train = firefly.episode(1, 1), firefly.episode(1, 2)
    rel = f"{FIREFLY}/Season 01/Firefly - S01E01 - Serenity.mkv"
    put(root, rel)
    (root / rel).with_suffix(".nfo").write_text(
        "<episodedetails><title>Serenity</title><season>1</season><episode>1</episode>"
        f'<uniqueid type="tmdb" default="true">{serenity.tmdb_id}</uniqueid>'
        f'<uniqueid type="tvdb">{train.tvdb_id}</uniqueid></episodedetails>'
    )
    run("scan")
    item = episode(root, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tmdb_id, item.tvdb_id) == (serenity.tmdb_id, serenity.tvdb_id)


def test_an_nfos_thetvdb_id_matches_a_season_tmdb_does_not_have(run, tmp_path, tv_catalog):
    """TMDB has Naruto's first nine episodes in one season, TheTVDB in two; Sonarr names
    `S02E02 - The Oath of Pain` and its NFO names the episode's TheTVDB id. In TMDB's order it
    stayed "TMDB has no season 2 of Naruto" though its NFO said which episode it is."""
    root = tmp_path / "tv"
    oath = tv_catalog.get(46260).episode(1, 8)
    rel = "Naruto/Season 02/Naruto - S02E02 - The Oath of Pain.mkv"
    put(root, rel)
    (root / rel).with_suffix(".nfo").write_text(sonarr_episode({(2, 2): oath.tvdb_id}))
    run("scan")
    item = episode(root, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tmdb_id, item.tvdb_id) == (oath.tmdb_id, oath.tvdb_id)
    ref = item.episode_refs[0]
    assert (ref["season"], ref["episode"], ref["tmdb_season"], ref["tmdb_episode"]) == (2, 2, 1, 8)


def test_a_season_of_thetvdbs_order_tmdb_has_not_is_enriched_with_thetvdbs_art(run, tmp_path):
    """Naruto as Sonarr names it (TheTVDB's aired order: season 1 has six episodes, season 2
    starts with TMDB's S01E07): TheTVDB's season 2 is no season of TMDB's. Its season item was
    the enrich's error ("TMDB has no season 2 of Naruto"), an `enrich.failed` event at every
    enrich, left unenriched, so its `season02-poster` from TheTVDB's season 2 (the order the
    files use) was never chosen. It is enriched, its name kept, with TheTVDB's art."""
    root = tmp_path / "tv"
    put(root, "Naruto/Season 01/Naruto - S01E01.mkv")
    put(root, "Naruto/Season 02/Naruto - S02E02.mkv")
    run("scan")
    show = show_of(root, "Naruto")
    assert run("tv", "order", str(show.id), "tvdb")[0] == 0
    status, out, err = run("enrich", str(show.id))
    assert status == 0, err
    assert "not enriched" not in out
    season = db.Movie.get(db.Movie.show == show.id, db.Movie.season == 2,
                          db.Movie.kind == db.SEASON)  # fmt: skip
    assert season.identification_status == db.ENRICHED, season.last_error
    assert (season.title, season.last_error) == ("Season 2", None)
    assert not db.Event.select().where(db.Event.kind == "enrich.failed").exists()
    posters = db.ArtworkCandidate.select().where(
        db.ArtworkCandidate.movie == season.id,
        db.ArtworkCandidate.asset_type == "poster",
        db.ArtworkCandidate.is_selected,
    )
    assert {c.provider for c in posters} == {"tvdb"}


def test_a_thetvdb_special_of_a_foreign_show_takes_its_english_text(run, tmp_path, tv_catalog):
    """A Dutch show's special only TheTVDB has (TMDB has no season 0: Sonarr's name, TheTVDB's
    numbers): TheTVDB's episode list names it in Dutch (its original language: v4-api#276,
    theTVDbAPI#41), so its NFO said "Achter de dijk" with a Dutch plot for a library in
    English. TheTVDB's English is asked for that show, as TMDB's text is."""
    root = tmp_path / "tv"
    special = "Polder Light/Specials/Polder Light - S00E01.mkv"
    put(root, special)
    put(root, "Polder Light/Season 01/Polder Light - S01E01.mkv")
    run("scan")
    item = episode(root, special)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tmdb_id is None and item.tvdb_id
    show = show_of(root, "Polder Light")
    status, _out, err = run("enrich", str(show.id))
    assert status == 0, err
    [block] = episode(root, special).episode_details
    assert (block["title"], block["plot"]) == ("Behind the Dike", "Polder Light: Behind the Dike.")


def test_a_thetvdb_episode_named_later_gets_its_name_at_the_next_enrich(run, tmp_path, monkeypatch):
    """TheTVDB lists an announced episode with `"name": null, "overview": null` (v4's episode
    record; Sonarr shows "TBA" then) and fills them in later. A TheTVDB-only episode took its
    text from identify's copy alone, so an enrich the next day still wrote no title and no
    plot: the episode stayed nameless until it was identified again. Enrich asks TheTVDB."""
    from metarrd.simulator import tv_others

    real = tv_others._episode

    def announced(show, ep, season_type, *language):
        record = real(show, ep, season_type, *language)
        if show.tvdb_id == 78874 and ep.tvdb_season == 0:
            record.update(name=None, overview=None)
        return record

    monkeypatch.setattr(tv_others, "_episode", announced)
    root = tmp_path / "tv"
    special = f"{FIREFLY}/Specials/Firefly - S00E01.mkv"
    put(root, special)
    put(root, f"{FIREFLY}/Season 01/Firefly - S01E01.mkv")
    run("scan")
    item = episode(root, special)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.tmdb_id is None and item.episode_refs[0]["tvdb"]["title"] is None

    monkeypatch.setattr(tv_others, "_episode", real)  # TheTVDB named it since
    status, _out, err = run("enrich", str(show_of(root, FIREFLY).id))
    assert status == 0, err
    [block] = episode(root, special).episode_details
    title = "Here's How It Was: The Making of Firefly"
    assert (block["title"], block["plot"]) == (title, f"Firefly: {title}.")
    assert episode(root, special).title == title


def test_a_season_tmdb_numbers_otherwise_takes_no_tmdb_season_of_that_number(
    run, tmp_path, tv_catalog
):
    """Futurama as Sonarr names it (TheTVDB's aired order: season 1 has nine episodes, season 2
    starts with "A Flight to Remember", TMDB's S01E10). Season 2's item took TMDB's season 2:
    its air date and poster, of episodes the folder does not start with. A season whose files
    are TMDB's episodes of another season takes no TMDB season data: its name stays, its art
    is TheTVDB's and fanart.tv's (which number it so)."""
    root = tmp_path / "tv"
    put(root, "Futurama/Season 01/Futurama - S01E01.mkv")
    put(root, flight := "Futurama/Season 02/Futurama - S02E01.mkv")
    run("scan")
    show = show_of(root, "Futurama")
    assert run("tv", "order", str(show.id), "tvdb")[0] == 0
    ref = episode(root, flight).episode_refs[0]
    assert (ref["tmdb_season"], ref["tmdb_episode"], ref["title"]) == (
        1, 10, "A Flight to Remember")  # fmt: skip
    status, _out, err = run("enrich", str(show.id))
    assert status == 0, err
    seasons = {
        s.season: s
        for s in db.Movie.select().where(db.Movie.show == show.id, db.Movie.kind == db.SEASON)
    }
    futurama = tv_catalog.get(615)
    assert seasons[1].premiered == futurama.episode(1, 1).aired  # TMDB's season 1 is its own
    assert seasons[2].identification_status == db.ENRICHED, seasons[2].last_error
    assert seasons[2].premiered != futurama.episode(2, 1).aired
    assert seasons[2].title == "Season 2"
    providers = {
        c.provider
        for c in db.ArtworkCandidate.select().where(
            db.ArtworkCandidate.movie == seasons[2].id, db.ArtworkCandidate.asset_type == "poster"
        )
    }
    assert "tmdb" not in providers and "tvdb" in providers
