"""IDENTIFY for TV on the hard-case library: every show right and none wrong, every episode with
its provider ids, reasons for the rest; `list --json` per docs/interface.md; bad input stays local."""

from __future__ import annotations

import json

from metarrd import db
from metarrd.identify import identify_item, identify_many
from metarrd.pipeline.steps import after_scan_of
from metarrd.scan import scan

from .conftest import EPISODES, SHOWS


def _scan_and_identify(rt):
    report = scan(rt)
    todo = [s.movie_id for s in after_scan_of(rt, report, {}) if s.kind == "identify"]
    assert all(db.Movie.get_by_id(i).kind == db.SHOW for i in todo)
    return identify_many(rt, todo, threads=2)


def test_every_show_identified_right_and_none_wrong(tv_rt, tv_library):
    _scan_and_identify(tv_rt)
    for folder, tmdb_id in SHOWS.items():
        show = db.Movie.get(db.Movie.path == str(tv_library / folder))
        assert show.tmdb_id == tmdb_id, (folder, show.last_error)
        assert show.identification_status == db.IDENTIFIED
    undated = db.Movie.get(db.Movie.path == str(tv_library / "Doctor Who (2005)"))
    assert undated.tvdb_id == 78804 and undated.studios == ["BBC One"]


def test_episodes_get_both_providers_ids_by_cross_id(tv_rt, tv_library):
    _scan_and_identify(tv_rt)
    for rel, (_season, episodes, _aired, problem) in EPISODES.items():
        item = db.Movie.get(db.Movie.path == str(tv_library / rel))
        if problem:
            assert item.identification_status == db.UNIDENTIFIED and problem in item.last_error
            continue
        assert item.identification_status == db.IDENTIFIED, (rel, item.last_error)
        assert item.tmdb_id and item.tvdb_id, rel
        assert [r["episode"] for r in item.episode_refs] == (
            episodes or [r["episode"] for r in item.episode_refs]
        )
    daily = db.Movie.get(db.Movie.path.endswith("The Daily Show - 2024-01-09 - Guest.mkv"))
    assert daily.episode_refs[0]["season"] == 29 and daily.aired == "2024-01-09"
    futurama = db.Movie.get(db.Movie.path == str(tv_library / "Whatever {tmdb-615}"))
    assert "S01E10 (TMDB) is S02E01 (TheTVDB)" in futurama.numbering_note
    flight = db.Movie.get(db.Movie.path.endswith("A Flight to Remember.mkv"))
    assert flight.episode_refs[0]["tvdb_numbering"] == [2, 1]
    bb = db.Movie.get(db.Movie.path == str(tv_library / "Breaking Bad (2008)"))
    # the providers number Breaking Bad's specials each their own way (simulator's
    # `tvdb_specials`); its regular episodes alike
    assert bb.numbering_note == (
        "TMDB and TheTVDB number 1 episode differently, e.g. S00E01 (TMDB) is S00E04 "
        "(TheTVDB); files follow TMDB aired order here"
    )


def test_no_year_same_title_show_stays_unidentified_with_candidates(tv_rt, tmp_path):
    from .conftest import put

    put(tmp_path / "tv", "Doctor Who/Doctor Who - S01E01.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Doctor Who"))
    assert show.identification_status == db.UNIDENTIFIED
    assert {c["tmdb_id"] for c in show.candidates} == {121, 57243}
    for c in show.candidates:  # the identify page shows each one as it shows a movie's
        assert c["overview"] and c["year"] in (1963, 2005)
        assert (tv_rt.config.previews_dir / c["preview"]).is_file()
    assert "--tvdb" in show.last_error
    result = identify_item(tv_rt, show, tvdb_id=78804, source="manual")
    assert result.identified and db.Movie.get_by_id(show.id).tmdb_id == 57243
    ep = db.Movie.get(db.Movie.path.endswith("Doctor Who - S01E01.mkv"))
    assert ep.identification_status == db.IDENTIFIED


def test_a_year_without_brackets_ending_the_folder_name_is_the_shows_year(tv_rt, tmp_path):
    """`Doctor Who 2005`: Kodi's CleanString (videocleandatetimeregexp, its last group
    optional) and Jellyfin's ParseName (CleanDateTimes: "Drug War 2013") read "Doctor Who",
    2005. Before, TMDB was searched for "Doctor Who 2005", which no show is called, and the
    show stayed unidentified under that title."""
    from .conftest import put

    put(tmp_path / "tv", "Doctor Who 2005/Doctor Who - S01E01 - Rose.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Doctor Who 2005"))
    assert (show.tmdb_id, show.title, show.year) == (57243, "Doctor Who", 2005), show.last_error
    ep = db.Movie.get(db.Movie.path.endswith("Doctor Who - S01E01 - Rose.mkv"))
    assert ep.identification_status == db.IDENTIFIED


def test_a_title_ending_in_a_year_is_also_searched_whole(tv_rt, tmp_path, monkeypatch):
    """A title whose last word looks like a year (`Space 1999`, `Blade Runner 2049`): when the
    search by the title before the year finds no sure match, the whole name is searched too."""
    from .conftest import put

    asked: list[tuple] = []
    real = tv_rt.tmdb.search_tv
    monkeypatch.setattr(
        tv_rt.tmdb, "search_tv", lambda q, y=None, **kw: asked.append((q, y)) or real(q, y, **kw)
    )
    put(tmp_path / "tv", "Doctor Who 1990/Doctor Who - S01E01.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Doctor Who 1990"))
    assert show.identification_status == db.UNIDENTIFIED
    assert ("Doctor Who", 1990) in asked and ("Doctor Who 1990", None) in asked


def test_an_episode_nfo_that_is_only_a_url_names_the_show(tv_rt, tmp_path):
    """Kodi takes an NFO that is only the scraper's URL. An episode's, TMDB's episode page,
    names its show: no scan error for that episode, and the show the folder name leaves open
    (two Doctor Who) is the one the URL names."""
    from .conftest import put

    video = put(tmp_path / "tv", "Doctor Who/Doctor Who - S01E01.mkv")
    url = "https://www.themoviedb.org/tv/57243-doctor-who/season/1/episode/1\n"
    video.with_suffix(".nfo").write_text(url)
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Doctor Who"))
    assert (show.tmdb_id, show.identified_by) == (57243, "episode nfo")
    ep = db.Movie.get_by_id(db.Movie.get(db.Movie.path == str(video)).id)
    assert ep.identification_status == db.IDENTIFIED and ep.last_error is None
    [warning] = [
        e.message
        for e in db.Event.select().where(db.Event.movie == ep.id, db.Event.kind == "scan.warning")
    ]
    assert "holds only a URL" in warning and "tmdb 57243" in warning


def test_thetvdb_episodes_without_a_season_or_number_are_skipped(tv_rt, tmp_path, monkeypatch):
    """TheTVDB v4 sends `seasonNumber`/`number` null for some episodes (thetvdb/v4-api#38). The
    numbering note compared and printed them (`None:02d`: the show's identify crashed); they
    have no numbers to compare, so they are left out and the episodes are matched as usual."""
    from metarrd.simulator import tv_others
    from metarrd.simulator.tv_catalog import load_tv_catalog

    from .conftest import put

    pilot = load_tv_catalog().get(1396).episode(1, 1)
    real = tv_others._episode

    def unnumbered(show, ep, season_type, *language):
        record = real(show, ep, season_type, *language)
        if ep.tvdb_id == pilot.tvdb_id:
            record.update(seasonNumber=None, number=None)
        return record

    monkeypatch.setattr(tv_others, "_episode", unnumbered)
    for rel in ("Breaking Bad - S01E01.mkv", "Breaking Bad - S01E02.mkv"):
        put(tmp_path / "tv", f"Breaking Bad (2008)/Season 01/{rel}")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Breaking Bad (2008)"))
    assert show.identification_status == db.IDENTIFIED, show.last_error
    first, second = (
        db.Movie.get(db.Movie.path.endswith(f"Breaking Bad - S01E0{n}.mkv")) for n in (1, 2)
    )
    assert first.identification_status == second.identification_status == db.IDENTIFIED
    assert first.tvdb_id == pilot.tvdb_id  # TMDB's cross-id still joins it
    assert "tvdb_numbering" not in first.episode_refs[0]
    assert second.episode_refs[0]["tvdb_numbering"] == [1, 2]
    assert show.numbering_note is None


def test_provider_trouble_stays_with_its_item(tv_rt, tv_library, simulator):
    simulator.not_found("/3/tv/1396/season/2")  # a season 404
    simulator.fail_5xx(50, 500, prefix="/3/tv/46260")  # a 500 storm for one show
    results = _scan_and_identify(tv_rt)
    naruto = db.Movie.get(db.Movie.path == str(tv_library / "Naruto"))
    assert any(r.error and r.movie_id == naruto.id for r in results)
    assert "tmdb" in naruto.last_error
    s2 = db.Movie.get(db.Movie.path.endswith("Breaking Bad - S02E01-E03.mkv"))
    assert "TMDB has no season 2" in s2.last_error
    pilot = db.Movie.get(db.Movie.path.endswith("Breaking Bad - S01E01 - Pilot.mkv"))
    assert pilot.identification_status == db.IDENTIFIED
    assert db.Movie.get(db.Movie.path == str(tv_library / "Doctor Who (2005)")).tmdb_id == 57243


def test_unknown_episode_says_which(tv_rt, tmp_path):
    from .conftest import put

    put(tmp_path / "tv", "Better Call Saul (2015)/Season 1/Better Call Saul - S01E99.mkv")
    _scan_and_identify(tv_rt)
    ep = db.Movie.get(db.Movie.path.endswith("S01E99.mkv"))
    assert "TMDB has no episode S01E99 of Better Call Saul" in ep.last_error


def test_cli_list_json_and_tv_kept_out_of_movie_flows(tv_rt, tv_library, capsys, monkeypatch):
    from metarrd import cli
    from metarrd.cli import main

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    assert main(["scan"]) == 1  # the unparsable names are failures, each on one line
    err = capsys.readouterr().err
    assert "absolute episode number" in err and "no season and episode numbers" in err
    assert main(["list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    kinds = {e["kind"] for e in entries}
    assert kinds == {"show", "episode"}
    show = next(e for e in entries if e["path"] == str(tv_library / "Breaking Bad (2008)"))
    assert show["episode_count"] == 9 and show["tmdb_id"] == 1396 and show["tvdb_id"] == 81189
    ep = next(e for e in entries if e["path"].endswith("Breaking Bad S01E04E05.mkv"))
    assert set(ep) >= {"show_id", "season", "episodes", "title", "aired", "tmdb_id", "tvdb_id",
                       "identification_status", "publish_state", "last_error"}  # fmt: skip
    assert (ep["show_id"], ep["season"], ep["episodes"]) == (show["id"], 1, [4, 5])
    assert main(["publish", str(ep["id"])]) == 1  # TV enrich: tests/tv/test_enrich_tv.py
    assert "not enriched yet" in capsys.readouterr().err  # its show waits for enrich


def test_a_season_listing_an_episode_twice_or_without_a_number(tv_rt, tmp_path, monkeypatch):
    """TMDB seasons hold such entries (an episode entered twice, one without its number): the
    first entry of a number is the episode, as enrich takes it, and an entry without a number
    is skipped, not the whole season's error."""
    from .conftest import put

    real = tv_rt.tmdb.tv_season

    def odd_season(tmdb_id, number, **kw):
        data = real(tmdb_id, number, **kw)
        episodes = list(data.get("episodes") or [])
        if number == 1 and episodes:
            twice = {**episodes[0], "id": 999_999_001, "name": "Entered twice"}
            data = {**data, "episodes": [*episodes, twice, {**episodes[1], "episode_number": None}]}
        return data

    monkeypatch.setattr(tv_rt.tmdb, "tv_season", odd_season)
    put(tmp_path / "tv", "Better Call Saul (2015)/Season 1/Better Call Saul - S01E01.mkv")
    put(tmp_path / "tv", "Better Call Saul (2015)/Season 1/Better Call Saul - S01E02.mkv")
    _scan_and_identify(tv_rt)
    first = db.Movie.get(db.Movie.path.endswith("S01E01.mkv"))
    assert first.identification_status == db.IDENTIFIED, first.last_error
    assert first.tmdb_id != 999_999_001 and first.episode_refs[0]["tmdb_id"] != 999_999_001
    second = db.Movie.get(db.Movie.path.endswith("S01E02.mkv"))
    assert second.identification_status == db.IDENTIFIED, second.last_error


def test_every_list_json_element_has_the_contracts_fields(tv_rt, tv_library, capsys, monkeypatch):
    """docs/interface.md: each element has at least id, path, title, year, tmdb_id, imdb_id, the
    two states and last_error; shows and episodes gain theirs. An episode had no `year`, so a
    script reading `e["year"]` of every element stopped with a KeyError at the first episode."""
    from metarrd import cli
    from metarrd.cli import main

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    main(["scan"])
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {e["kind"] for e in entries} == {"show", "episode"}
    for e in entries:
        assert isinstance(e["id"], int) and e["path"].startswith("/")
        assert e["title"] is None or isinstance(e["title"], str)
        assert e["year"] is None or isinstance(e["year"], int), e
        assert e["tmdb_id"] is None or isinstance(e["tmdb_id"], int)
        assert e["imdb_id"] is None or e["imdb_id"].startswith("tt")
        assert e["identification_status"] in ("unidentified", "identified", "enriched")
        assert e["publish_state"] in ("unpublished", "published", "outdated")
        assert e["last_error"] is None or isinstance(e["last_error"], str)
    pilot = next(e for e in entries if e["path"].endswith("S01E01 - Pilot.mkv"))
    assert (pilot["aired"], pilot["year"]) == ("2008-01-20", 2008)


def test_identify_an_episode_by_id_is_a_usage_error_naming_its_show(tv_rt, tmp_path, capsys,
                                                                   monkeypatch):  # fmt: skip
    """`identify EPISODE --tmdb N` recorded "identify the show instead" as the episode's
    last_error (exit 1, as if the item had failed): a wrong command line is exit 2 and
    leaves the episode as it was."""
    from metarrd import cli
    from metarrd.cli import main

    from .conftest import put

    put(tmp_path / "tv", "Better Call Saul (2015)/Season 1/Better Call Saul - S01E01.mkv")
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    main(["scan"])
    ep = db.Movie.get(db.Movie.path.endswith("S01E01.mkv"))
    capsys.readouterr()
    assert main(["identify", str(ep.id), "--tmdb", "60059"]) == 2
    assert f"identify its show (item {ep.show_id})" in capsys.readouterr().err
    assert db.Movie.get_by_id(ep.id).last_error == ep.last_error


def test_a_bug_in_one_shows_scan_is_its_failure_line_without_a_traceback(
    tv_rt, tmp_path, capsys, monkeypatch, caplog
):
    """docs/interface.md: an internal error is one line naming the item; its traceback is logged
    with --verbose. A show whose scan raised printed its traceback at ERROR, which the command
    line shows without --verbose, above the failure line."""
    import logging

    from metarrd import cli
    from metarrd.cli import main
    from metarrd.scan import tv as scan_tv

    from .conftest import put

    put(tmp_path / "tv", "Better Call Saul (2015)/Season 1/Better Call Saul - S01E01.mkv")
    put(tmp_path / "tv", "Firefly (2002)/Season 1/Firefly - S01E01.mkv")
    real = scan_tv.scan_show

    def buggy(rt, library, show_dir, *args, **kwargs):
        if "Firefly" in str(show_dir):
            raise TypeError("'int' object is not iterable")
        return real(rt, library, show_dir, *args, **kwargs)

    monkeypatch.setattr(scan_tv, "scan_show", buggy)
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    with caplog.at_level(logging.INFO):
        assert main(["scan"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "Firefly (2002)" in err[0] and "TypeError" in err[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(r.exc_info for r in caplog.records)  # the traceback, for --verbose


def test_a_country_tag_tells_two_shows_of_one_title_apart(tv_rt, tmp_path):
    """TheTVDB, so Sonarr, names remakes `The Office (US)` / `The Office (UK)`; TMDB calls both
    "The Office" and says the country in `origin_country`. The tag picks the show; without it
    the two stay the user's choice."""
    from .conftest import put

    put(tmp_path / "tv", "The Office (US)/Season 01/The Office (US) - S01E02 - Diversity Day.mkv")
    put(tmp_path / "tv", "The Office (UK)/Season 1/The Office (UK) - S01E01 - Downsize.mkv")
    put(tmp_path / "tv", "The Office/Season 1/The Office - S01E01.mkv")
    _scan_and_identify(tv_rt)
    us = db.Movie.get(db.Movie.path == str(tmp_path / "tv/The Office (US)"))
    uk = db.Movie.get(db.Movie.path == str(tmp_path / "tv/The Office (UK)"))
    assert (us.tmdb_id, uk.tmdb_id) == (2316, 2996), (us.last_error, uk.last_error)
    ep = db.Movie.get(db.Movie.path.endswith("Diversity Day.mkv"))
    assert ep.identification_status == db.IDENTIFIED and ep.episode_refs[0]["title"] == (
        "Diversity Day"
    )
    bare = db.Movie.get(db.Movie.path == str(tmp_path / "tv/The Office"))
    assert bare.identification_status == db.UNIDENTIFIED
    assert {c["tmdb_id"] for c in bare.candidates} >= {2316, 2996}


def test_a_new_episode_of_a_known_show_is_enriched_with_its_show(tv_rt, tmp_path):
    """A file added to an identified show (the watcher's scan: not a Sonarr webhook, which
    identifies the show by its ids) is identified alone; its show's enrich must follow, as it
    follows a show's identify, else the episode never gets its NFO."""
    from metarrd.pipeline import steps
    from metarrd.pipeline.chain import Step

    from .conftest import put

    tv = tmp_path / "tv"
    put(tv, "Better Call Saul (2015)/Season 1/Better Call Saul - S01E01 - Uno.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv / "Better Call Saul (2015)"))
    assert show.tmdb_id == 60059
    put(tv, "Better Call Saul (2015)/Season 1/Better Call Saul - S01E02 - Mijo.mkv")
    follow = after_scan_of(tv_rt, scan(tv_rt), {})
    new = db.Movie.get(db.Movie.path.endswith("S01E02 - Mijo.mkv"))
    assert [(s.kind, s.movie_id) for s in follow] == [("identify", new.id)]
    job = db.Job.create(kind="identify", movie=new.id, key=f"identify:{new.id}", payload={})
    outcome = steps.do_identify(tv_rt, job)
    assert db.Movie.get_by_id(new.id).identification_status == db.IDENTIFIED, outcome.message
    # the show's enrich of the episodes not enriched yet (the show never was: the whole show,
    # enrich/tv.py `_scope`)
    first = db.Movie.get(db.Movie.path.endswith("S01E01 - Uno.mkv"))
    enrich = Step("enrich", show.id, {"episodes": sorted([first.id, new.id])})
    assert outcome.follow == [enrich]
    # the daemon killed between that identify and its end: the job run again enriches too
    assert steps.do_identify(tv_rt, job).follow == [enrich]


def test_an_episode_no_provider_lists_yet_is_matched_again_later(tv_rt, tmp_path):
    """An episode aired today is on neither TMDB nor TheTVDB for hours: its file is matched
    again after 1 h, 6 h, 24 h and 72 h (then its error is the user's), not failed for good.
    A name that cannot be read is never tried again."""
    from metarrd.pipeline import steps
    from metarrd.pipeline.chain import EPISODE_RETRY_DELAYS, Step

    from .conftest import put

    tv = tmp_path / "tv"
    put(tv, "Better Call Saul (2015)/Season 1/Better Call Saul - S01E01 - Uno.mkv")
    put(tv, "Better Call Saul (2015)/Season 1/Better Call Saul - S01E99.mkv")
    put(tv, "Better Call Saul (2015)/Specials/Better Call Saul - Special - Behind.mkv")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv / "Better Call Saul (2015)"))
    new = db.Movie.get(db.Movie.path.endswith("S01E99.mkv"))
    job = db.Job.create(kind="identify", movie=show.id, key=f"identify:{show.id}", payload={})
    outcome = steps.do_identify(tv_rt, job)
    assert "TMDB has no episode S01E99" in db.Movie.get_by_id(new.id).last_error
    again = [s for s in outcome.follow if s.kind == "identify"]
    assert again == [Step("identify", new.id, {"episode_retry": 1}, delay=3600.0)]
    delays = []
    for tries in range(len(EPISODE_RETRY_DELAYS) + 1):
        payload = {"episode_retry": tries} if tries else {}
        job = db.Job.create(kind="identify", movie=new.id, key=f"identify:{new.id}",
                            payload=payload)  # fmt: skip
        follow = steps.do_identify(tv_rt, job).follow
        delays += [s.delay for s in follow]
        assert all(s.payload == {"episode_retry": tries + 1} for s in follow)
    assert tuple(delays) == EPISODE_RETRY_DELAYS


def test_list_json_gives_a_file_named_by_air_date_the_numbers_it_matched(
    tv_rt, tv_library, capsys, monkeypatch
):
    """docs/interface.md: an episode's `season` is an int and `episodes` its numbers. A file
    named by air date (a daily show) has none in its name: identify matches the date to an
    episode, which plain `list`, the web UI and its NFO number it by, but `list --json` said
    `"season": null, "episodes": []` for it, as for a file matched to nothing."""
    from metarrd import cli

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    _scan_and_identify(tv_rt)
    assert cli.main(["list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    daily = next(
        e for e in entries if e["path"].endswith("The Daily Show - 2024-01-09 - Guest.mkv")
    )
    item = db.Movie.get_by_id(daily["id"])
    assert (daily["season"], daily["episodes"]) == (29, [item.episode_refs[0]["episode"]])
    assert daily["identification_status"] == "identified" and daily["aired"] == "2024-01-09"
    unmatched = next(e for e in entries if e["path"].endswith("Special - Behind the Scenes.mkv"))
    assert (unmatched["season"], unmatched["episodes"]) == (None, [])


def test_a_tvshow_nfos_stale_tmdb_id_leaves_its_other_ids_tried(tv_rt, tmp_path):
    """TMDB merges duplicate shows and deletes the other id: a tvshow.nfo written before (by
    Kodi, tinyMediaManager, Sonarr v4) names a TMDB id TMDB no longer knows beside TheTVDB's
    and IMDb's, which still name the show. Only the TMDB id was tried, and the show stayed
    unidentified (the folder's `Doctor Who` leaves two shows open); TheTVDB's id is tried next,
    as when the NFO names no TMDB id."""
    from .conftest import put

    put(tmp_path / "tv", "Doctor Who/Doctor Who - S01E01.mkv")
    (tmp_path / "tv/Doctor Who/tvshow.nfo").write_text(
        "<tvshow><title>Doctor Who</title>"
        '<uniqueid type="tmdb" default="true">999999</uniqueid>'
        '<uniqueid type="tvdb">78804</uniqueid><uniqueid type="imdb">tt0436992</uniqueid>'
        "</tvshow>"
    )
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Doctor Who"))
    assert (show.tmdb_id, show.identified_by) == (57243, "nfo"), show.last_error


def test_a_file_named_by_air_date_gets_its_seasons_item(tv_rt, tv_library):
    """A daily show's files named by air date (`The Daily Show - 2024-01-09 - Guest.mkv`) have no
    season in their names: the scan made no season item, and after identify matched them to
    TMDB's season 29 the show page's "Season 29" had no page, no poster and no season NFO (a
    daily show of thousands of files then listed its first 500 and "more not listed here", with
    no page to list the rest), where Kodi, tinyMediaManager and MediaElch list the season."""
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv_library / "The Daily Show"))
    daily = db.Movie.get(db.Movie.show == show, db.Movie.kind == db.EPISODE)
    assert daily.episode_numbers()[0] == 29 and daily.season is None
    seasons = db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON)
    assert [(s.season, s.title, s.path) for s in seasons] == [
        (29, "Season 29", str(tv_library / "The Daily Show" / "#season-29"))
    ]
    # identified again (the same match): still one season item
    from metarrd.identify.tv import identify_episodes

    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    assert seasons.count() == 1


def test_a_file_named_by_air_date_is_said_identified_as_its_episode(tv_rt, tv_library):
    """Its history read "Identified: aired 2024-01-09: <title>", not which episode of which show
    the date was matched to, as a numbered file's says ("S01E02 of Breaking Bad")."""
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv_library / "The Daily Show"))
    daily = db.Movie.get(db.Movie.show == show, db.Movie.kind == db.EPISODE)
    number = daily.episode_refs[0]["episode"]
    event = db.Event.get(db.Event.kind == "identify.done", db.Event.movie == daily.id)
    assert event.message == (
        f"S29E{number:02d} of The Daily Show, aired 2024-01-09: {daily.episode_refs[0]['title']}"
    )


def test_a_season_left_without_files_by_a_new_episode_order_goes_and_comes_back(tv_rt, tmp_path):
    """A file named by air date has its season from the episode identify matched, and identify
    made that season's item (`_season_items`). Naruto's 2002-11-14 episode is TMDB's S01E07 and
    TheTVDB's S02E01: after switching to TheTVDB's order the show listed Season 2 and still a
    Season 1 with no file, whose poster and name went on being enriched and published. It is
    hidden (missing, as the seasons of a show gone are), and when the order changes back the
    same item returns, with the name the user locked on it."""
    from metarrd.identify.tv import identify_episodes, set_episode_order
    from metarrd.web.tv import seasons as season_views

    from .conftest import put

    put(tmp_path / "tv", "Naruto/Naruto - 2002-11-14 - The Assassin of the Mist.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tmp_path / "tv/Naruto"))

    def seasons():
        return list(db.Movie.select().where(db.Movie.show == show, db.Movie.kind == db.SEASON))

    def listed():
        return [(v.number, v.files) for v in season_views(db.Movie.get_by_id(show.id))]

    assert show.tmdb_id == 46260 and [(s.season, s.missing) for s in seasons()] == [(1, False)]
    assert listed() == [(1, 1)]
    first = seasons()[0]
    db.Movie.update(title="Land of Waves", locked_fields=["title"]).where(
        db.Movie.id == first.id
    ).execute()

    set_episode_order(db.Movie.get_by_id(show.id), "tvdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    by_number = {s.season: s for s in seasons()}
    assert sorted((n, s.missing) for n, s in by_number.items()) == [(1, True), (2, False)]
    assert listed() == [(2, 1)]

    set_episode_order(db.Movie.get_by_id(show.id), "tmdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    by_number = {s.season: s for s in seasons()}
    assert sorted((n, s.missing) for n, s in by_number.items()) == [(1, False), (2, True)]
    assert by_number[1].id == first.id
    assert (by_number[1].title, by_number[1].locked_fields) == ("Land of Waves", ["title"])
    assert listed() == [(1, 1)]


def test_an_imdb_id_of_the_other_kind_says_what_tmdb_knows_it_as(tv_rt, tmp_path):
    """A movie's IMDb id given for a show (the movie page's tab still open), or a show's for a
    movie: TMDB's /find knows it, in its `movie_results` or `tv_results`, but the error said
    "IMDb id tt0133093 is unknown to TMDB", and the user looked for a typo that is not there."""
    import pytest

    from metarrd.errors import ItemError

    from .conftest import put

    put(tmp_path / "tv", "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01.mkv")
    put(tmp_path / "movies", "Heat (1995)/Heat (1995).mkv")
    report = scan(tv_rt)
    identify_many(
        tv_rt, [s.movie_id for s in after_scan_of(tv_rt, report, {}) if s.kind == "identify"]
    )
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    movie = db.Movie.get(db.Movie.kind == db.MOVIE)

    with pytest.raises(ItemError) as caught:
        identify_item(tv_rt, show, imdb_id="tt0133093", source="manual")
    assert str(caught.value) == (
        "IMDb id tt0133093 is not a TV show on TMDB: it is the movie 'The Matrix' (1999)"
    )
    with pytest.raises(ItemError) as caught:
        identify_item(tv_rt, movie, imdb_id="tt0903747", source="manual")
    assert str(caught.value) == (
        "IMDb id tt0903747 is not a movie on TMDB: it is the TV show 'Breaking Bad' (2008)"
    )
    with pytest.raises(ItemError, match=r"^IMDb id tt9999999 is unknown to TMDB$"):
        identify_item(tv_rt, movie, imdb_id="tt9999999", source="manual")
    assert db.Movie.get_by_id(show.id).tmdb_id == 1396
    assert db.Movie.get_by_id(movie.id).tmdb_id == 949


def test_an_unsure_show_points_to_the_identify_page_as_an_unsure_movie_does(tv_rt, tmp_path):
    """An unsure movie's reason says "choose one in the UI or run `metarrd identify 12 --tmdb
    ID`"; an unsure show's (the demo's `Doctor Who/`, in `metarrd list` and the daemon's log)
    said only "run `metarrd identify 21 --tmdb ID` (or --tvdb ID)", though the show has its
    Identify page with the candidates and their posters. The UI's words stay without either."""
    from metarrd.web.formatting import plain_message

    from .conftest import put

    put(tmp_path / "tv", "Doctor Who/Doctor Who - S01E01.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert show.last_error.endswith(
        f"; choose one in the UI or run `metarrd identify {show.id} --tmdb ID` (or --tvdb ID)"
    )
    # one quote style in one message, not "best 'Doctor Who' (2005) ... “Doctor Who” (1963)"
    assert (
        "best 'Doctor Who' (2005), no year in the name, and 'Doctor Who' (1963)" in show.last_error
    )
    assert plain_message(show.last_error).endswith("'Doctor Who' (1963) has the same title")


def test_each_folder_id_tag_of_the_contract_identifies_its_show(tv_rt, tmp_path):
    """interface.md "TV libraries": a show is identified by the id tags in its folder name first,
    `{tvdb-81189}`, `[tvdbid-81189]`, `{tmdb-1396}`, `[tmdbid-1396]`, `{imdb-tt0903747}`
    (Sonarr's, Jellyfin's and Plex's spellings), never by a search: the folders' titles here
    are ones TMDB's search finds nothing for."""
    from .conftest import put

    tags = ["{tvdb-81189}", "[tvdbid-81189]", "{tmdb-1396}", "[tmdbid-1396]", "{imdb-tt0903747}"]
    for n, tag in enumerate(tags):
        put(tmp_path / "tv", f"Qqzx Heisenberg Files {n} {tag}/Season 01/Qqzx - S01E02.mp4")
    _scan_and_identify(tv_rt)
    for n, tag in enumerate(tags):
        show = db.Movie.get(
            db.Movie.path == str(tmp_path / "tv" / f"Qqzx Heisenberg Files {n} {tag}")
        )
        assert (show.identification_status, show.tmdb_id, show.tvdb_id) == (
            db.IDENTIFIED,
            1396,
            81189,
        ), (tag, show.last_error)
        episode = db.Movie.get(db.Movie.show == show, db.Movie.kind == db.EPISODE)
        assert (episode.season, episode.tvdb_id) == (1, 7615280), tag
