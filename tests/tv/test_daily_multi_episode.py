"""A daily show's file of two airings named by both dates (`The Daily Show - 2024-01-09 -
2024-01-10 - Guests`). No player reads the second date: Kodi's date rule has no multi-episode
loop (VideoInfoScanner EnumerateEpisodeItem: `if (!byDate && ...)`, every version), Jellyfin's
EpisodePathParser reads one date, and Sonarr's parser reads one date and names such a file by
its first episode's air date alone (FileNameBuilder AddEpisodeTokens `episodes.First().AirDate`,
titles joined by " + "). So the file is the first date's episode, as everywhere, and the user is
told that the second date's episode would not appear. Before, nothing said so."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from metarrd import db
from metarrd.identify import identify_many, parse_episode
from metarrd.identify.episodes import kodi_air_date
from metarrd.identify.tv import _dated_titles, _titled_run, set_episode_order
from metarrd.pipeline.steps import after_scan_of
from metarrd.scan import scan

from .conftest import put

NAME = "The Daily Show - 2024-01-09 - 2024-01-10 - Guests.mkv"


@pytest.mark.parametrize(
    "name",
    [
        NAME,
        "The.Daily.Show.2024.01.09.2024.01.10.720p.HDTV.x264-BATV.mkv",
        "The Daily Show - 2024-01-09 & 2024-01-10.mkv",
    ],
)
def test_a_second_date_is_read_by_no_player_and_the_warning_says_so(name):
    got = parse_episode(name, "The Daily Show")
    assert (got.aired, got.episodes, got.problem) == ("2024-01-09", (), None)
    assert kodi_air_date(name) == "2024-01-09"  # what Kodi reads: the first date alone
    (warning,) = got.warnings
    assert "second air date 2024-01-10" in warning and "Kodi" in warning
    assert "episode of 2024-01-10 would not appear" in warning


@pytest.mark.parametrize(
    ("name", "show", "aired"),
    [
        # guessit guessit/test/episodes.yml: daily names with one date, titles and tags after it
        ("Show Name - 2010-11-23 - Ep Name.mkv", "Show Name", "2010-11-23"),
        (
            "The.Daily.Show.2015.07.22.Jake.Gyllenhaal.720p.HDTV.x264-BATV.mkv",
            "The Daily Show",
            "2015-07-22",
        ),
        ("Simply Red - 2016-07-08 Montreux Jazz Festival 720p.mkv", "Simply Red", "2016-07-08"),
        ("Show.Name.101.Event.2010.11.23.HDTV.XViD.Etc-Group.avi", "Show Name", "2010-11-23"),
        (
            "Real.Time.With.Bill.Maher.2014.10.31.HDTV.XviD-AFG.avi",
            "Real Time With Bill Maher",
            "2014-10-31",
        ),  # fmt: skip
        # a title that starts with an earlier date: the day it remembers, no second airing
        (
            "The Daily Show - 2021-09-10 - 2001-09-11 Remembered.mkv",
            "The Daily Show",
            "2021-09-10",
        ),  # fmt: skip
    ],
)
def test_a_name_of_one_airing_has_no_second_date(name, show, aired):
    got = parse_episode(name, show)
    assert (got.aired, got.problem, got.warnings) == (aired, None, ())


def test_the_file_is_the_first_dates_episode_and_a_library_scanned_before_is_told(tv_rt, tmp_path):
    """The simulator's Daily Show aired S29E02 on 2024-01-09 and S29E03 on 2024-01-10. A file
    scanned by older rules (no warning stored, as before) gets it on the next scan, unchanged on
    disk (`NAME_RULES`)."""
    put(tmp_path / "tv", f"The Daily Show/{NAME}")

    def scan_and_identify():
        report = scan(tv_rt)
        todo = [s.movie_id for s in after_scan_of(tv_rt, report, {}) if s.kind == "identify"]
        identify_many(tv_rt, todo, threads=1)
        return db.Movie.get(db.Movie.path.endswith(NAME))

    item = scan_and_identify()
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert [(r["season"], r["episode"]) for r in item.episode_refs] == [(29, 2)]
    assert "second air date 2024-01-10" in item.hints["name_warnings"][0]
    old = {k: v for k, v in item.hints.items() if k != "name_rules"} | {"name_warnings": []}
    db.Movie.update(hints=old).where(db.Movie.id == item.id).execute()

    item = scan_and_identify()
    assert "second air date 2024-01-10" in item.hints["name_warnings"][0]
    assert [(r["season"], r["episode"]) for r in item.episode_refs] == [(29, 2)]


@pytest.mark.parametrize(
    ("folder", "show", "aired", "said"),
    [
        # Sonarr DailyEpisodeParserFixture's name as an obfuscated file's release folder: Kodi
        # reads no date there (no 16th month), so the year-day-month warning stands
        (
            "2020.A.Late.Talk.Show.2012.16.02.PDTV.XviD-C4TV",
            "2020 A Late Talk Show",
            "2012-02-16",
            "Kodi expects year, month, day",
        ),  # fmt: skip
        (
            "The.Daily.Show.2024.01.09.2024.01.10.720p.HDTV.x264-BATV",
            "The Daily Show",
            "2024-01-09",
            "second air date 2024-01-10",
        ),  # fmt: skip
    ],
)
def test_a_date_read_from_the_release_folder_keeps_what_its_reading_warned(
    folder, show, aired, said
):
    """Before, only "air date read from its folder" was kept of the folder's reading."""
    got = parse_episode("42e7e8a48eb7454aaebebcf49705ce41.mkv", show, folder)
    assert (got.aired, got.problem) == (aired, None)
    assert any(said in w for w in got.warnings), got.warnings
    assert any("from its folder" in w for w in got.warnings)


# Sonarr's daily format (NamingConfig `{Series Title} - {Air-Date} - {Episode Title} {Quality
# Full}`) for a file of several episodes: the first episode's air date alone (FileNameBuilder
# AddEpisodeTokens `episodes.First().AirDate`) and every title joined by " + " (GetEpisodeTitles,
# GetEpisodeTitle). The simulator's Daily Show airs S29E02 "Chef 2" on 2024-01-09, S29E03 "Author
# 3" on 2024-01-10, and S29E29 "Senator 29" and S29E30 "Chef 30" both on 2024-02-15.
@pytest.mark.parametrize(
    ("name", "numbers"),
    [
        ("The Daily Show - 2024-01-09 - Chef 2 + Author 3 HDTV-720p.mkv", [(29, 2), (29, 3)]),
        # two episodes of one night: before, "2 episodes aired on 2024-02-15 and the name says no
        # part", no match at all
        (
            "The Daily Show - 2024-02-15 - Senator 29 + Chef 30 WEBDL-1080p.mkv",
            [(29, 29), (29, 30)],
        ),
        # one episode's title, or titles of no episodes that follow the date's: the date's own
        ("The Daily Show - 2024-01-09 - Chef 2 HDTV-720p.mkv", [(29, 2)]),
        ("The Daily Show - 2024-01-09 - Author 3 + Chef 4 HDTV-720p.mkv", [(29, 2)]),
    ],
)
@pytest.mark.parametrize("order", ["tmdb", "tvdb"])
def test_sonarrs_name_of_several_daily_episodes_is_matched_by_its_titles(
    tv_rt, tmp_path, name, numbers, order
):
    """Before, such a file was the date's episode alone (S29E02): the user got one episode where
    the file holds two, and the second was listed as missing."""
    put(tmp_path / "tv", f"The Daily Show/{name}")
    report = scan(tv_rt)
    todo = [s.movie_id for s in after_scan_of(tv_rt, report, {}) if s.kind == "identify"]
    identify_many(tv_rt, todo, threads=1)
    if order != "tmdb":
        show = db.Movie.get(db.Movie.kind == db.SHOW)
        assert set_episode_order(show, order)
        identify_many(tv_rt, [show.id], threads=1)
    item = db.Movie.get(db.Movie.path.endswith(name))
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert [(r["season"], r["episode"]) for r in item.episode_refs] == numbers
    assert item.episode_numbers() == (29, [n for _s, n in numbers])
    said = db.Event.select().where(db.Event.movie == item.id, db.Event.kind == "identify.done")
    kodi = [
        e.message for e in said if "Kodi lists the file by its date as one episode" in e.message
    ]
    assert bool(kodi) == (len(numbers) > 1), [e.message for e in said]


DAILY = [(29, 1, "Chef 1"), (29, 2, "Chef 2"), (29, 3, "Author 3"), (29, 4, "Chef 4")]


@pytest.mark.parametrize(
    ("name", "numbers"),
    [
        ("The Daily Show - 2024-01-09 - Chef 2 + Author 3 + Chef 4 HDTV-720p.mkv", [2, 3, 4]),
        # too long for its name, Sonarr writes the first and the last title (GetEpisodeTitle,
        # TruncatedEpisodeTitlesFixture): the middle one's title is not in it
        ("The Daily Show - 2024-01-09 - Chef 2...Chef 4 HDTV-720p.mkv", [2, 3, 4]),
        ("The Daily Show - 2024-01-09 - Chef 2 + Chef 4 HDTV-720p.mkv", None),
    ],
)
def test_the_titles_of_a_run_of_episodes_from_the_date(name, numbers):
    listed = [(s, n, {"name": title}) for s, n, title in DAILY]
    item = SimpleNamespace(path=f"/tv/The Daily Show/{name}", hints={})
    run = _titled_run(_dated_titles(item, "2024-01-09"), listed[1:2], listed, "..." in name)
    assert (run and [n for _s, n, _ep in run]) == numbers


def test_a_cut_title_of_one_of_two_episodes_of_a_night_is_no_run_of_them():
    """Sonarr cuts a title too long for its format (`{Episode Title:30}`: GetEpisodeTitle,
    `firstTitle.Truncate(maxLength - 3)` and `...`). The file of the first of two episodes aired
    the same night was taken for both, then the second for it and the next day's: the cut title
    is the start of every run from that episode. A file of one episode titled so is the date's
    own, as for a date of one episode."""
    night = [
        (29, 28, {"name": "Chef 28", "aired": "2024-02-14"}),
        (29, 29, {"name": "Senator Elizabeth Warren Talks About Her Book", "aired": "2024-02-15"}),
        (29, 30, {"name": "Chef 30", "aired": "2024-02-15"}),
        (29, 31, {"name": "Author 31", "aired": "2024-02-16"}),
    ]
    found = night[1:3]
    for title in ("Senator Elizabeth Warren Ta...", "Chef 30"):
        name = f"The Daily Show - 2024-02-15 - {title} WEBDL-1080p.mkv"
        item = SimpleNamespace(path=f"/tv/The Daily Show/{name}", hints={})
        named = _dated_titles(item, "2024-02-15")
        assert _titled_run(named, found, night, "..." in name) is None, name
    # the two of them named whole stay a run
    name = (
        "The Daily Show - 2024-02-15 - Senator Elizabeth Warren Talks About Her Book + Chef 30.mkv"
    )
    item = SimpleNamespace(path=f"/tv/The Daily Show/{name}", hints={})
    run = _titled_run(_dated_titles(item, "2024-02-15"), found, night, False)
    assert run is not None and [n for _s, n, _ep in run] == [29, 30]
