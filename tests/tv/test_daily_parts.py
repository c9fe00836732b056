"""A daily show's files named by air date and part (Sonarr's daily part, its
DailyEpisodeParserFixture `should_parse_daily_episode_with_multiple_parts`:
`Series.Title.2015.09.07.Part1.720p.HULU.WEBRip.AAC2.0.H.264-Sonarr`): each part keeps its date
and is its own file; when one episode aired that date, every part is that episode (as
`S01E01 Part 1` and `Part 2` are both S01E01); when several did (the simulator's Daily Show airs
S29E29 and S29E30 on 2024-02-15), the part picks the date's episode by number, as Sonarr's
EpisodeService.FindOneByAirDate does, and a name without a part is no guess."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.identify import identify_many, parse_episode
from metarrd.pipeline.steps import after_scan_of
from metarrd.scan import scan

from .conftest import put


@pytest.mark.parametrize(
    ("name", "aired", "part"),
    [
        ("Series.Title.2015.09.07.Part1.720p.HULU.WEBRip.AAC2.0.H.264-Sonarr.mkv", "2015-09-07", 1),
        (
            "Series.Title.2015.09.07.Part.2.720p.HULU.WEBRip.AAC2.0.H.264-Sonarr.mkv",
            "2015-09-07",
            2,
        ),
        ("The Daily Show 2024-03-05 Part 1.mkv", "2024-03-05", 1),
        ("The Daily Show 2024-03-05 pt2.mkv", "2024-03-05", 2),
        ("The Daily Show 2024-03-05 Pt.II.mkv", "2024-03-05", 2),
        ("The Daily Show 2024-03-05 cd1.mkv", "2024-03-05", None),  # a stack's file, no part
        ("The Daily Show - 2024-03-05 - Guest Part 1.mkv", "2024-03-05", None),  # the title's
        ("The Daily Show 2024-03-05 Pt I Think.mkv", "2024-03-05", None),  # a title, no part I
        ("The Daily Show 2024-03-05 Part IV [720p].mkv", "2024-03-05", 4),
    ],
)
def test_a_daily_name_keeps_its_date_and_its_part(name, aired, part):
    got = parse_episode(name, "The Daily Show")
    assert (got.aired, got.part, got.problem, got.episodes) == (aired, part, None, ())


def _scan_and_identify(rt):
    report = scan(rt)
    todo = [s.movie_id for s in after_scan_of(rt, report, {}) if s.kind == "identify"]
    identify_many(rt, todo, threads=1)


def _episode(rel: str) -> db.Movie:
    return db.Movie.get(db.Movie.path.endswith(rel))


def test_the_parts_of_a_date_with_one_episode_are_that_episode(tv_rt, tmp_path):
    names = ["The Daily Show 2024-01-09 Part 1.mkv", "The Daily Show 2024-01-09 Part 2.mkv",
             "The.Daily.Show.2024.01.09.cd3.720p.mkv"]  # fmt: skip
    for name in names:
        put(tmp_path / "tv", f"The Daily Show/{name}")
    _scan_and_identify(tv_rt)
    items = [_episode(name) for name in names]
    assert len({i.id for i in items}) == 3  # three files, three items
    for item in items:
        assert item.identification_status == db.IDENTIFIED, item.last_error
        assert item.aired == "2024-01-09"
        assert [(r["season"], r["episode"]) for r in item.episode_refs] == [(29, 2)]


def test_the_part_picks_the_episode_of_a_date_with_two(tv_rt, tmp_path):
    names = ["The Daily Show 2024-02-15 Part 1.mkv", "The Daily Show 2024-02-15 Part 2.mkv"]
    for name in names:
        put(tmp_path / "tv", f"The Daily Show/{name}")
    _scan_and_identify(tv_rt)
    one, two = (_episode(name) for name in names)
    assert [(r["season"], r["episode"]) for r in one.episode_refs] == [(29, 29)]
    assert [(r["season"], r["episode"]) for r in two.episode_refs] == [(29, 30)]
    assert one.aired == two.aired == "2024-02-15"


@pytest.mark.parametrize(
    "name", ["The Daily Show 2024-02-15.mkv", "The Daily Show 2024-02-15 Part 3.mkv"]
)
def test_a_date_with_two_episodes_and_no_part_that_tells_them_apart_is_no_guess(
    tv_rt, tmp_path, name
):
    """Before, the date's first episode, S29E29, for any file of that date."""
    put(tmp_path / "tv", f"The Daily Show/{name}")
    _scan_and_identify(tv_rt)
    item = _episode(name)
    assert item.identification_status == db.UNIDENTIFIED and not item.episode_refs
    assert "2 episodes of The Daily Show aired on 2024-02-15 (S29E29, S29E30)" in item.last_error


def test_thetvdb_order_picks_by_the_part_too(tv_rt, tmp_path):
    """A Sonarr `daily` series is matched in TheTVDB's aired order (docs/tv.md)."""
    put(tmp_path / "tv", "The Daily Show/The Daily Show 2024-02-15 Part 2.mkv")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    db.Movie.update(ordering="tvdb:official").where(db.Movie.id == show.id).execute()
    identify_many(tv_rt, [show.id], threads=1)
    assert db.Movie.get_by_id(show.id).ordering == "tvdb:official"
    item = _episode("Part 2.mkv")
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert [(r["season"], r["episode"], "tvdb" in r) for r in item.episode_refs] == [(29, 30, True)]


def test_a_part_identified_by_older_rules_is_identified_again(tv_rt, tmp_path):
    """A library scanned before parts were read: its `Part 2` of 2024-02-15 identified as the
    date's first episode. The next scan reads the name again (`NAME_RULES`), and the file,
    unchanged on disk, is identified again as the date's second episode."""
    name = "The Daily Show 2024-02-15 Part 2.mkv"
    put(tmp_path / "tv", f"The Daily Show/{name}")
    _scan_and_identify(tv_rt)
    item = _episode(name)
    old = {k: v for k, v in item.hints.items() if k not in ("name_rules", "name_part")}
    first = {**item.episode_refs[0], "episode": 29, "title": "Author 29"}
    db.Movie.update(hints=old, episode_refs=[first]).where(db.Movie.id == item.id).execute()

    _scan_and_identify(tv_rt)

    item = _episode(name)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert [(r["season"], r["episode"]) for r in item.episode_refs] == [(29, 30)]


def test_a_part_after_a_date_without_separators_is_no_mini_series_episode():
    """`Show.20240305.Part.1`: Kodi reads no date written so, and its Part rule makes every
    date's Part 1 the mini-series' S01E01, so each day's file was that one episode. Reported
    with the name to give it (the same date unread without a part is reported too)."""
    for name in ("The.Daily.Show.20240305.Part.1.mkv", "The.Daily.Show.20240306.Part.1.mkv"):
        got = parse_episode(name, "The Daily Show")
        assert (got.season, got.episodes, got.aired) == (None, (), None)
        assert "looks like the air date 2024-03-0" in got.problem and "S01E01" in got.problem
    # not a date (no 13th month): Kodi's mini-series part, as before
    got = parse_episode("Show.20241305.Part.1.mkv", "Show")
    assert (got.season, got.episodes) == (1, (1,))
