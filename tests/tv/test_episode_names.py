"""Season and episode numbers from real episode names (identify/episodes.py)."""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath

import pytest

from metarrd.identify import episodes
from metarrd.identify.episodes import (
    absolute_numbers,
    parse_episode,
    season_of_folder,
    show_title,
)

CORPUS = Path(__file__).with_name("episode_corpus.tsv")
MIN_ACCURACY = 0.995


def _rows() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _parse(row: dict):
    path = PurePosixPath(row["path"])
    folder = path.parent.name if len(path.parts) > 1 else None
    return parse_episode(path.name, row["show_title"], folder)


def test_corpus_accuracy_for_season_and_episodes():
    rows = _rows()
    wrong = []
    for row in rows:
        got = _parse(row)
        want_season = int(row["season"]) if row["season"] else None
        want_episodes = tuple(int(e) for e in row["episodes"].split(",") if e)
        want_absolute = tuple(int(e) for e in row["absolute"].split(",") if e)
        if (got.season, got.episodes, got.aired or "", _absolute(got)) != (
            want_season,
            want_episodes,
            row["aired"],
            want_absolute,
        ):
            wrong.append((row["path"], (want_season, want_episodes), got))
    accuracy = 1 - len(wrong) / len(rows)
    detail = "\n".join(f"{p}: want {w}, got {g}" for p, w, g in wrong)
    assert len(rows) > 300
    assert accuracy >= MIN_ACCURACY, f"{accuracy:.3f} on {len(rows)} names\n{detail}"


def _absolute(got) -> tuple[int, ...]:
    return absolute_numbers(got.absolute)


def test_release_names_from_sonarr_are_read_exactly():
    # names our parser once read wrongly: each one exact, not within the corpus's accuracy
    wrong = []
    for row in _rows():
        if not row["source"].startswith("sonarr"):
            continue
        got = _parse(row)
        want = (
            int(row["season"]) if row["season"] else None,
            tuple(int(e) for e in row["episodes"].split(",") if e),
            tuple(int(e) for e in row["absolute"].split(",") if e),
        )
        if (got.season, got.episodes, _absolute(got)) != want:
            wrong.append(f"{row['path']}: want {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def _players_rows() -> list[dict]:
    return [r for r in _rows() if r["source"].startswith(("jellyfin ", "kodi "))]


def test_names_of_jellyfins_and_kodis_own_tests_are_read_exactly():
    # tests/Jellyfin.Naming.Tests/TV/*.cs and xbmc/video/test/TestVideoInfoScanner.cpp, each
    # exact: where both players read the same numbers, a different reading here is a bug
    rows = _players_rows()
    wrong = []
    for row in rows:
        got = _parse(row)
        want = (
            int(row["season"]) if row["season"] else None,
            tuple(int(e) for e in row["episodes"].split(",") if e),
            row["aired"],
            tuple(int(e) for e in row["absolute"].split(",") if e),
        )
        if (got.season, got.episodes, got.aired or "", _absolute(got)) != want:
            wrong.append(f"{row['source']}: {row['path']}: want {want}, got {got}")
    assert len(rows) > 140
    assert not wrong, "\n".join(wrong)


def test_a_name_read_otherwise_than_a_players_test_is_never_silent():
    # the rows marked `differs` (docs/tv.md readings): the user is told, as a problem (the
    # file is reported) or a warning naming what to rename it to
    marked = [r for r in _players_rows() if r["differs"]]
    assert len(marked) > 15
    read = [(r["path"], _parse(r)) for r in marked]
    silent = [path for path, got in read if not (got.problem or got.warnings)]
    assert not silent, silent


@pytest.mark.parametrize(
    "name, folder, season, episodes",
    [
        ("Show - S01E01 - Pilot.mkv", "Season 01", 1, (1,)),
        ("Show.s01.e02.mkv", None, 1, (2,)),
        ("Show - 1x02 - Title.mkv", None, 1, (2,)),
        ("Show S01E01E02.mkv", None, 1, (1, 2)),
        ("Show S01E01-E03.mkv", None, 1, (1, 2, 3)),
        ("Show S01E01-03.mkv", None, 1, (1, 2, 3)),
        ("Show - S00E01 - Making Of.mkv", "Specials", 0, (1,)),
        ("Show.E04.mkv", "Season 3", 3, (4,)),
        ("05 - Title.mkv", "Season 2", 2, (5,)),
        ("24 - S02E03.mkv", None, 2, (3,)),
        ("Show - 2x09-2x10 - Title.mkv", "Season 2", 2, (9, 10)),
        ("Show.2X09-X10.720p.mkv", None, 2, (9, 10)),
        ("Show - 1x01-1x03 - Title.mkv", None, 1, (1, 2, 3)),
        ("Show - 1x02-03-04 - Title.mkv", None, 1, (2, 3, 4)),
        ("Show.S02E01v2.1080p.mkv", None, 2, (1,)),
        ("Show - S06E01b - Fade Out.mkv", None, 6, (1,)),
    ],
)
def test_numbered_names(name, folder, season, episodes):
    title = "24" if name.startswith("24") else "Show"
    got = parse_episode(name, title, folder)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None)


def test_title_digits_are_not_episode_numbers():
    got = parse_episode("9-1-1 - S03E04 - Title.mkv", "9-1-1", "Season 3")
    assert (got.season, got.episodes) == (3, (4,))


def test_air_dates_for_daily_shows():
    got = parse_episode("The Daily Show - 2024-03-05 - Guest 5.mkv", "The Daily Show", None)
    assert (got.aired, got.episodes, got.problem) == ("2024-03-05", (), None)
    ambiguous = parse_episode("Show - 05.03.2024 - Guest.mkv", "Show", None)
    assert ambiguous.problem and "Kodi" in ambiguous.problem and ambiguous.aired is None
    assert parse_episode("Show - 25.03.2024.mkv", "Show", None).aired == "2024-03-25"


def test_absolute_numbers_are_reported_never_mapped_to_a_special():
    for name, folder in (
        ("Naruto - 001 - Enter Naruto.mkv", None),
        ("[Grp] One Piece - 1050 (1080p).mkv", "Season 01"),
        ("[SubGroup] Naruto - 05 [720p].mkv", None),
    ):
        got = parse_episode(name, name.split(" - ")[0].removeprefix("[Grp] "), folder)
        assert got.problem and "absolute" in got.problem, name
        assert got.episodes == () and got.season is None
    assert "special" in parse_episode("Naruto - 001 - X.mkv", "Naruto").problem


@pytest.mark.parametrize(
    "name, show, number",
    [
        ("Naruto - 130 - Title.mkv", "Naruto", 130),
        ("Hunter x Hunter (2011) - 141 - Title.mkv", "Hunter x Hunter", 141),
        ("Series - 100 - Mest.mkv", "Series", 100),
        ("One Piece - 1050 - Title.mkv", "One Piece", 1050),
    ],
)
def test_three_and_four_digit_absolute_numbers_are_reported(name, show, number):
    # Sonarr reads `- 130 -` as absolute 130; Kodi as S1E30, so it is no season + episode
    got = parse_episode(name, show, None)
    assert got.problem and "absolute" in got.problem, name
    assert (got.season, got.episodes, _absolute(got)) == (None, (), (number,))


def test_absolute_ranges_and_versions():
    got = parse_episode("[Grp] Naruto - 002-003 [720p].mkv", "Naruto", None)
    assert got.problem and "absolute" in got.problem
    assert (got.season, got.episodes, got.absolute) == (None, (), (2, 3))
    for name, number in (("[Grp] Naruto - 004v2 [720p].mkv", 4), ("Naruto - 130v2 - X.mkv", 130)):
        got = parse_episode(name, "Naruto", None)
        assert got.problem and "absolute" in got.problem and got.absolute == number, name
    got = parse_episode("Naruto - 001-9999.mkv", "Naruto", None)
    assert got.problem and "episode range of 9999 is over 50" in got.problem
    got = parse_episode("Show - 01-02 - Title.mkv", "Show", "Season 1")
    assert (got.season, got.episodes) == (1, (1, 2))


@pytest.mark.parametrize(
    "name, season, episodes",
    [
        # xbmc/xbmc xbmc/video/test/TestVideoInfoScanner.cpp ("should not be treated as episode
        # ranges"): a list of three joined by dashes; guessit read episodes 1 to 5
        ("foo.S05E01-E03-E05.mkv", 5, (1, 3, 5)),
        ("foo.S05E01-S05E03-S05E05.mkv", 5, (1, 3, 5)),
        # the same list in Sonarr's Extend style and in 5x01 and E01 forms
        ("foo.S05E01-03-05.mkv", 5, (1, 3, 5)),
        ("foo - 5x01-5x03-5x05.mkv", 5, (1, 3, 5)),
        ("foo.E01-E03-E05.mkv", 1, (1, 3, 5)),
        # and ranges stay ranges (the same file's TestData "episode ranges")
        ("foo.S05E03-E05.mkv", 5, (3, 4, 5)),
        ("foo.5x03-5x05.mkv", 5, (3, 4, 5)),
        ("foo.S05E01-02-03.mkv", 5, (1, 2, 3)),
    ],
)
def test_three_episodes_joined_by_dashes_are_a_list_not_a_range(name, season, episodes):
    got = parse_episode(name, "foo", None)
    assert (got.season, got.episodes) == (season, episodes)
    if episodes == (1, 3, 5):  # read alike by Kodi 21 and older (a range is warned about)
        assert not [w for w in got.warnings if "would not appear" in w]


@pytest.mark.parametrize(
    "name, folder",
    [
        # Sonarr CrapParserFixture.should_not_parse_special_with_part_number
        ("Series - Episode Title (part 1).mkv", "Specials"),
        ("Series - The Wedding (Part 2).mkv", "Season 1"),
        ("Series - The Wedding (Pt 2).mkv", "Season 1"),
    ],
)
def test_a_part_in_a_title_is_no_episode_number(name, folder):
    # the folder's season and the part were read as S00E01 / S01E02: another episode's data
    got = parse_episode(name, "Series", folder)
    assert got.episodes == () and got.problem and "no season and episode numbers" in got.problem
    # the episode number before the title stays one; Kodi's own `Part 2` rule too
    assert parse_episode("05 - The Wedding (Part 2).mkv", "Series", "Season 1").episodes == (5,)
    assert parse_episode("Series.Part.2.mkv", "Series", None).episodes == (2,)


@pytest.mark.parametrize(
    "name, folder",
    [
        # Sonarr SeasonParserFixture.should_parse_season_extras (a season's extras, no episode)
        ("The.Series.S03.Extras.02.720p.mkv", None),
        ("The.Series.S03.Extras.02.720p.mkv", "Season 3"),
        ("The.Series.S03.Extras.01.Deleted.Scenes.720p.mkv", "Season 3"),
        ("The Series S03 Bonus 02.mkv", None),
    ],
)
def test_a_seasons_extras_are_no_episode(name, folder):
    # read as S3E2 (guessit: season 3, episode 2), the real S3E2's data went to an extra that
    # Kodi skips
    got = parse_episode(name, "The Series", folder)
    assert got.episodes == () and got.problem and "an extra of the season" in got.problem
    assert parse_episode("The.Series.S03E02.Extras.mkv", "The Series", None).episodes == (2,)


@pytest.mark.parametrize(
    "name, season, episodes",
    [
        # Sonarr SingleEpisodeParserFixture ("Series - 2016x231": season 2016, episode 231);
        # Kodi's 1x09 rule reads it so too. guessit takes `2016x231` for a screen size.
        ("Series - 2016x231.mkv", 2016, (231,)),
        ("Series.2016x231.720p.HDTV.mkv", 2016, (231,)),
        # a frame size stays one (`2048x858`: 2.39 to 1)
        ("[Grp] Series - 05 (2048x858 x264).mkv", None, ()),
    ],
)
def test_a_year_numbered_season_with_a_three_digit_episode(name, season, episodes):
    got = parse_episode(name, "Series", None)
    assert (got.season, got.episodes) == (season, episodes)


@pytest.mark.parametrize(
    "name, folder, season, episodes, absolute",
    [
        # Sonarr AbsoluteEpisodeNumberParserFixture (multi-episode absolute numbers): the file
        # held episodes 1 to 10, its absolute number was 1 alone (an absolute order mapped the
        # file to episode 1 and lost 2 to 10)
        ("[Erai-raws] Series Title! - 01~10 [1080p][Multiple Subtitle].mkv", None, None, (),
         tuple(range(1, 11))),
        ("[Erai-raws] Series Title! - 01 ~ 10 [1080p][Multiple Subtitle].mkv", None, None, (),
         tuple(range(1, 11))),
        ("[Grp] Series Title! - 01~02 [1080p].mkv", None, None, (), (1, 2)),
        # in a season folder: that season's episodes, and absolute 1-2 in the absolute order
        ("Series Title! - 01~02 - Title.mkv", "Season 1", 1, (1, 2), (1, 2)),
    ],
)  # fmt: skip
def test_absolute_ranges_with_a_tilde_hold_every_episode(name, folder, season, episodes, absolute):
    got = parse_episode(name, "Series Title!", folder)
    assert (got.season, got.episodes, _absolute(got)) == (season, episodes, absolute)


@pytest.mark.parametrize(
    "name, folder, season, episode",
    [
        # Jellyfin tests/Jellyfin.Naming.Tests/TV/SeasonNumberTests.cs (`Series/1-12 - The
        # Woman.mp4`: season 1) by its EpisodePathParser rule "1-12 episode title" (season,
        # episode); read as the episodes 1 to 12 of the folder's season before
        ("1-12 - The Woman.mp4", "Season 1", 1, 12),
        ("Elementary - 4-12 - The Woman.mkv", "Season 4", 4, 12),
        ("04-12 - The Woman.mkv", "Season 04", 4, 12),
        ("2-01 - Title.mkv", "Season 2", 2, 1),  # read as episode 2 alone before
    ],
)
def test_season_dash_episode_in_its_season_folder_is_that_episode(name, folder, season, episode):
    got = parse_episode(name, "Elementary", folder)
    assert (got.season, got.episodes, got.problem) == (season, (episode,), None)
    assert any(f"S{season:02d}E{episode:02d}" in w and "Kodi skips it" in w for w in got.warnings)


@pytest.mark.parametrize("name", ["1-12 - The Woman.mp4", "Elementary - 04-12 - The Woman.mkv"])
def test_season_dash_episode_without_a_season_folder_is_reported_with_both_readings(name):
    # Jellyfin reads S1E12 / S4E12, guessit a range, Kodi nothing: no absolute range to map
    got = parse_episode(name, "Elementary", None)
    assert (got.season, got.episodes, got.absolute) == (None, (), None)
    assert got.problem and "in Jellyfin" in got.problem and "Kodi skips it" in got.problem


def test_season_dash_episode_leaves_double_episodes_and_other_seasons_alone():
    # `01-02` in Season 1 is a double episode (as before); `1-12` in Season 4 is no season 4
    assert parse_episode("01-02 - Pilot.mkv", "Show", "Season 1").episodes == (1, 2)
    assert parse_episode("1-03 - Title.mkv", "Show", "Season 4").episodes == (1, 2, 3)


@pytest.mark.parametrize("folder, season", [(None, None), ("Season 1", 1)])
def test_a_list_of_three_absolute_numbers_gives_all_three(folder, season):
    # Sonarr src/NzbDrone.Core.Test/ParserTests/AbsoluteEpisodeNumberParserFixture.cs
    # (should_parse_multi_episode_absolute_numbers: 1 to 3); only 01-02 was read, so the
    # absolute order mapped the file to two episodes and lost the third
    name = "Series Title (2010) - 01-02-03 - Episode Title (1) HDTV-720p.mkv"
    got = parse_episode(name, show_title("Series Title (2010)"), folder)
    if folder is None:
        assert got.problem and "absolute" in got.problem and _absolute(got) == (1, 2, 3)
    else:  # in a season folder: that season's episodes, as `01-02` was (absolute 1 to 3 in
        # TheTVDB's absolute order)
        assert (got.season, got.episodes, got.absolute) == (season, (1, 2, 3), (1, 2, 3))


@pytest.mark.parametrize(
    "name, show, number",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/UnicodeReleaseParserFixture.cs
        ("【极影字幕社】 ★04月新番 【巴哈姆特之怒 Virgin Soul】【Anime Series Title】【24】 【END】GB "
         "MP4_720P.mkv", "Anime Series Title", 24),
        ("[愛戀&漫貓字幕组][10月新番][關於我轉生後成爲史萊姆那件事][18][720P][BIG5][MP4].mkv",
         "關於我轉生後成爲史萊姆那件事", 18),
        ("【咕咕茶字幕組】★1月新番[天使降臨到了我身邊! / Anime Series Title!][04][1080P][繁體][MP4].mkv",
         "Anime Series Title!", 4),
    ],
)  # fmt: skip
def test_a_month_in_a_fansub_name_is_no_episode_number(name, show, number):
    # `10月新番` ("October's new shows") gave absolute episode 10, which the absolute order
    # then mapped to a wrong episode
    got = parse_episode(name, show, None)
    assert got.problem and "absolute" in got.problem and _absolute(got) == (number,)


@pytest.mark.parametrize("folder, season, episodes", [(None, None, ()), ("Season 2", 2, (195,))])
def test_an_episode_marked_by_dai_and_wa_is_never_scene_style(folder, season, episodes):
    # guessit guessit/test/episodes.yml: `Show 第195話` is episode 195 ("the 195th episode");
    # it was read as S1E95, scene style, and matched to a wrong episode
    got = parse_episode("Show 第195話.mkv", "Show", folder)
    assert (got.season, got.episodes) == (season, episodes)
    if folder is None:
        assert got.problem and "absolute" in got.problem and _absolute(got) == (195,)


@pytest.mark.parametrize(
    "name, show, kodi",
    [
        # guessit guessit/test/episodes.yml (`第195話`): Kodi's "foo.103" rule needs a separator
        # on both sides of the digits, so no rule of its default list matches; the message said
        # S1E95
        ("名探偵コナン 第195話.mkv", "名探偵コナン", "Kodi skips it"),
        # Sonarr AbsoluteEpisodeNumberParserFixture: Kodi's `e<digits>` rule takes the CRC tag's
        # `E63` first (the message said S10E4, from the number alone)
        ("[HatSubs] Anime Title 1004 [E63F2984].mkv", "Anime Title", "season 1 episode 63"),
        # kodi-tv.md §1.1: `- 001 -` is a special, `1050` S10E50
        ("Naruto - 001 - Title.mkv", "Naruto", "season 0 episode 1 (a special)"),
        ("[Grp] One Piece - 1050 (1080p).mkv", "One Piece", "season 10 episode 50"),
    ],
)
def test_an_absolute_names_problem_says_what_kodi_really_reads(name, show, kodi):
    # the default tvshowmatching rules applied in order to the name, as Kodi does
    got = parse_episode(name, show, None)
    assert got.problem and "absolute" in got.problem
    assert kodi in got.problem, got.problem


@pytest.mark.parametrize(
    "name, show, folder",
    [
        # guessit guessit/test/episodes.yml: `1080` is the screen size, the name has no episode
        # (we reported absolute episode 1080, to be mapped in the absolute order)
        ("Show.Name.S01.1080.x264-GRP.mkv", "Show Name", None),
        ("Show.Name.S01.1080.x264-GRP.mkv", "Show Name", "Season 1"),
        # its "corner case with only date and 720p" (`-season: 7, -episode: 20`) without the
        # date: we read S7E20, scene style
        ("The.Show.Name.720.HDTV.x264-GROUP.VTV.mkv", "The Show Name", None),
    ],
)
def test_a_bare_resolution_is_no_episode_number(name, show, folder):
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.absolute) == (None, (), None)
    said = "a whole season" if ".S01." in name else "no season and episode numbers"
    assert got.problem and said in got.problem


@pytest.mark.parametrize(
    "name, show, folder, want",
    [
        # guessit guessit/test/episodes.yml (#933) and the corpus: absolute numbers of long
        # anime, with or without a resolution tag beside them, stay absolute numbers
        ("[Group] One Piece - 1080 [1080p][x264].mkv", "One Piece", None, (None, (), 1080)),
        ("[Group] Show Name - 1080 [x264].mkv", "Show Name", None, (None, (), 1080)),
        ("One Piece - 720.mkv", "One Piece", None, (None, (), 720)),
        # a resolution beside the episode number gives way to it
        ("Show.Name.1080.05.mkv", "Show Name", "Season 1", (1, (5,), None)),
        # scene style in the folder of that season: nothing else can be the number
        (
            "The.Show.Name.720.HDTV.x264-GROUP.VTV.mkv",
            "The Show Name",
            "Season 7",
            (7, (20,), None),
        ),
    ],
)
def test_a_resolution_number_is_an_episode_only_when_nothing_else_can_be(name, show, folder, want):
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.absolute) == want


def test_a_daily_shows_obfuscated_name_takes_the_date_of_its_release_folder():
    # guessit guessit/test/episodes.yml (date 2017-11-27); the file was reported as having no
    # numbers, while Kodi finds `yyyy.mm.dd` anywhere in the path, as SxxEyy was already read
    folder = (
        "The.Late.Late.Show.with.James.Corden.2017.11.27.Armie.Hammer.Juno.Temple.Charlie.Puth"
        ".1080p.AMZN.WEB-DL.DDP2.0.H.264-monkee-Scrambled"
    )
    got = parse_episode(
        "42e7e8a48eb7454aaebebcf49705ce41.mkv", "The Late Late Show with James Corden", folder
    )
    assert (got.aired, got.episodes, got.problem) == ("2017-11-27", (), None)
    assert got.warnings and "from its folder" in got.warnings[0]


@pytest.mark.parametrize(
    "name, aired",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/DailyEpisodeParserFixture.cs
        ("2020.A.Late.Talk.Show.2012.16.02.PDTV.XviD-C4TV.mkv", "2012-02-16"),
        ("2020.A.Late.Talk.Show.2012.13.02.PDTV.XviD-C4TV.mkv", "2012-02-13"),
    ],
)
def test_a_year_day_month_date_is_read_when_only_one_reading_is_a_date(name, aired):
    # month 16 is no month: the daily episode was reported as absolute episode 16 (and mapped
    # to it in the absolute order)
    got = parse_episode(name, "2020 A Late Talk Show", None)
    assert (got.aired, got.episodes, got.absolute, got.problem) == (aired, (), None, None)
    assert got.warnings and aired in got.warnings[0]


def test_absolute_numbers_read_as_stored():
    assert [absolute_numbers(v) for v in (None, 8, [2, 3], (2, 3))] == [(), (8,), (2, 3), (2, 3)]


def test_scene_numbers_stay_scene_numbers():
    # `Show - 501` in `Season 5` is also absolute 501 (anime's form), read so only in TheTVDB's
    # absolute order
    for name, folder, absolute in (
        ("Show.501.HDTV.mkv", None, None),
        ("Show - 501 - Title.mkv", "Season 5", 501),
    ):
        got = parse_episode(name, "Show", folder)
        assert (got.season, got.episodes, got.absolute) == (5, (1,), absolute), name


@pytest.mark.parametrize(
    "name, show, episode",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/MiniSeriesEpisodeParserFixture.cs
        ("The.Big.Series.Leader.Part.2.DSR.XviD-SYS.mkv", "The Big Series Leader", 2),
        ("Series and Show 2012 Part 1 REPACK 720p HDTV x264 2HD.mkv", "Series and Show 2012", 1),
        # Sonarr src/NzbDrone.Core.Test/ParserTests/SingleEpisodeParserFixture.cs
        (
            "24 7 Series-Title - Road to the Sonarr Part 02 720p HDTV x264 ORENJI.mkv",
            "24 7 Series-Title - Road to the Sonarr",
            2,
        ),
    ],
)
def test_part_numbers_of_mini_series_are_episodes_as_kodi_reads_them(name, show, episode):
    # Kodi's `Part`/`Pt` rule (season 1), also Jellyfin's and Sonarr's: these were reported as
    # absolute numbers that "Kodi skips", and the episodes never identified
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.absolute, got.problem) == (1, (episode,), None, None)
    assert got.warnings and f"S01E{episode:02d}" in got.warnings[0]


def test_part_numbers_need_kodis_separators_and_no_season_in_the_name():
    # Kodi's rule wants a separator around the number (`Part01`: no match), and a season
    # token makes it a season pack, not a mini-series part (both Sonarr ParserTests names)
    for name, show in (
        ("24 7 Series-Title - Road to the Sonarr Part01 720p HDTV x264 ORENJI.mkv",
         "24 7 Series-Title - Road to the Sonarr"),
        ("The.Series.2016.S02.Part.1.1080p.NF.WEBRip.DD5.1.x264-NTb.mkv", "The Series 2016"),
    ):  # fmt: skip
        got = parse_episode(name, show, None)
        assert (got.season, got.episodes) == (None, ()) and got.problem, name
    got = parse_episode("Series.Title.S06E01b.Fade.Out.Fade.in.Part.2.1080p.mkv", "Series Title")
    assert (got.season, got.episodes) == (6, (1,))


@pytest.mark.parametrize(
    "name, show, episodes",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/MultiEpisodeParserFixture.cs
        ("Series.Title.103.104.720p.HDTV.X264-DIMENSION.mkv", "Series Title", (3, 4)),
        ("the.Series.101.102.hdtv-lol.mkv", "the Series", (1, 2)),
    ],
)
def test_scene_style_multi_episode_names_give_every_episode(name, show, episodes):
    # only the first number was read (S1E3): the file's second episode was lost; Kodi reads
    # both, applying its "foo.103" rule again to the rest of the name
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.problem) == (1, episodes, None)
    assert "S01" + "".join(f"E{e:02d}" for e in episodes) in got.warnings[0]


@pytest.mark.parametrize(
    "name, folder",
    [("[Erai-raws] Show Season 2 - 03 [1080p].mkv", "Season 2"), ("Show Season 2 - 03.mkv", None)],
)
def test_season_word_then_a_dashed_episode(name, folder):
    # guessit reads `Season 2 - 03` as the seasons 2 to 3
    got = parse_episode(name, "Show", folder)
    assert (got.season, got.episodes, got.problem) == (2, (3,), None)
    assert parse_episode("Show Season 1 - 4 Complete.mkv", "Show").problem  # seasons 1 to 4


@pytest.mark.parametrize(
    "name, episodes",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/SingleEpisodeParserFixture.cs
        ("grp-zoos01e11-1080p.mkv", (11,)),
        # Sonarr src/NzbDrone.Core.Test/ParserTests/MultiEpisodeParserFixture.cs
        ("grp-zoos01e11e12-1080p.mkv", (11, 12)),
    ],
)
@pytest.mark.parametrize("show, folder", [("grp-zoo", None), ("Zoo", "Season 1")])
def test_season_and_episode_glued_to_a_word(name, episodes, show, folder):
    # guessit took `grp-zoos01e11` for the title and the file was reported as unnumbered;
    # Kodi's first rule has no word boundary and reads S1E11 (Sonarr too)
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.problem) == (1, episodes, None)


@pytest.mark.parametrize(
    "name, show, folder, season",
    [
        # jellyfin tests/Jellyfin.Naming.Tests/TV/MultiEpisodeTests.cs (ending episode 15)
        ("02x03-E15 - Ep Name.mp4", None, "Season 02", 2),
        ("Elementary - 02x03-E15 - Ep Name.mp4", "Elementary", "Season 02", 2),
        ("2009x03-E15 - Ep Name.mp4", None, "Season 2009", 2009),
        ("Elementary - 2009x03-E15 - Ep Name.mp4", "Elementary", "Season 2009", 2009),
    ],
)
def test_an_nx_range_closed_by_an_e_number_ends_there(name, show, folder, season):
    # guessit stops such a range one short (3 to 14): the file's last episode was lost
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.problem) == (season, tuple(range(3, 16)), None)


def test_a_range_across_seasons_is_reported():
    got = parse_episode("Show - 2x09-3x01 - Title.mkv", "Show", None)
    assert got.problem and "spans seasons [2, 3]" in got.problem and got.episodes == ()


@pytest.mark.parametrize(
    "name, seasons",
    [
        # xbmc/xbmc xbmc/video/test/TestVideoInfoScanner.cpp (multi-season names)
        ("foo.S00E01-04S05E03-E06.mkv", "[0, 5]"),
        ("foo.S01E03-S02E02S03E01-E04.mkv", "[1, 2, 3]"),
    ],
)
def test_a_name_across_seasons_is_reported_not_read_as_its_first_season(name, seasons):
    # guessit keeps the first season only: S0 episodes 1 and 6, S1 episodes 3 and 4
    got = parse_episode(name, "foo", None)
    assert got.problem and f"spans seasons {seasons}" in got.problem
    assert (got.season, got.episodes) == (None, ())


def test_crc_tags_are_no_episode_numbers():
    # `[E5A3B2C1]` is a CRC32, not episode 5 (with `[A5A3B2C1]` the name was already absolute)
    for crc in ("E5A3B2C1", "A5A3B2C1"):
        got = parse_episode(f"[SubsPlease] One Piece - 1050 (1080p) [{crc}].mkv", "One Piece")
        assert got.problem and "absolute" in got.problem and _absolute(got) == (1050,), crc
        assert (got.season, got.episodes) == (None, ())
    got = parse_episode("[Grp] Show - S01E05 [E0123456].mkv", "Show")
    assert (got.season, got.episodes, got.problem) == (1, (5,), None)


@pytest.mark.parametrize(
    "name",
    [
        # Sonarr src/NzbDrone.Core.Test/ParserTests/CrapParserFixture.cs
        "Series Title (2018) Complete 360p HDTV AAC H.264-NEXT.mkv",
        # Sonarr src/NzbDrone.Core.Test/ParserTests/SeasonParserFixture.cs
        "Tiny.Series.2020.DOC.S01.MULTi.1080p.ATVP.WEB.Atmos.H.265-TFA.mkv",
        "Series.S01.720p.WEBDL.DD5.1.H.264-NTb.mkv",
        "Title.S01.720p.VF.WEB-DL.AAC2.0.H.264-BTN.mkv",
    ],
)
def test_codec_and_audio_channel_digits_are_no_episode_numbers(name):
    # `H.264` was read as S2E64 (scene style), `DD5.1` / `AAC2.0` as absolute episode 1 / 0
    got = parse_episode(name, None, None)
    assert (got.season, got.episodes, got.absolute) == (None, (), None)
    said = "a whole season ('S01')" if ".S01." in name else "no season and episode numbers"
    assert got.problem and said in got.problem


def test_a_codec_before_a_scene_number_does_not_make_it_dashed():
    # Sonarr src/NzbDrone.Core.Test/ParserTests/SingleEpisodeParserFixture.cs: `x264-103` is
    # S1E3, not the anime form `Show - 103`
    got = parse_episode("tvs-amgo-dd51-dl-7p-azhd-x264-103.mkv", "tvs-amgo-dd51-dl-7p-azhd")
    assert (got.season, got.episodes, got.absolute) == (1, (3,), None)


def test_unreadable_names_say_why():
    got = parse_episode("Show - Special - Behind the Scenes.mkv", "Show", "Specials")
    assert got.problem and "no season and episode numbers" in got.problem


def test_warnings_for_names_players_read_differently():
    got = parse_episode("Show S01E01-03.mkv", "Show", None)
    assert any("Kodi 21 and older read it as S01E01, S01E03; episode 2" in w for w in got.warnings)


# Sonarr's multi-episode styles (its "Multi-Episode Style" setting, src/NzbDrone.Core/Organizer/
# FileNameBuilder.cs MultiEpisodeStyle): how Kodi 21 and older read each (kodi-tv.md §1.2). The
# scan's warning on the episode and publish's on the show come from one reading and agree.
@pytest.mark.parametrize(
    ("name", "misread"),
    [
        ("Show - S01E01-02-03 - Title.mkv", False),  # Extend: Kodi follows -02-03
        # Duplicate (Sonarr's MultiEpisodeFixture: "South Park - S15E06 - S15E07 - City Sushi"):
        # Kodi finds its expression again in the rest of the name
        ("Show - S01E01 - S01E02 - S01E03 - Title.mkv", False),
        ("Show - 1x01 - 1x02 - 1x03 - Title.mkv", False),
        ("Show - S01E01E02E03 - Title.mkv", False),  # Repeat
        ("Show - S01E01-E02-E03 - Title.mkv", False),  # Scene
        ("Show - S01E01-03 - Title.mkv", True),  # Range: Kodi reads E01 and E03
        ("Show - S01E01-E03 - Title.mkv", True),  # Prefixed Range
        ("Show - 1x01-1x03 - Title.mkv", True),
    ],
)
def test_the_scan_warns_of_kodis_reading_as_publish_does(name, misread):
    from metarrd.publish import tv_layout

    got = parse_episode(name, "Show", None)
    assert got.episodes == (1, 2, 3)
    warned = [w for w in got.warnings if "Kodi 21 and older" in w]
    assert bool(warned) is misread, got.warnings
    at_publish = tv_layout.misread_warning(name, got.season, list(got.episodes))
    assert (at_publish is not None) is misread
    if misread:
        assert at_publish == f"{name}: {warned[0]}"


@pytest.mark.parametrize(
    "folder",
    # jellyfin tests/Jellyfin.Naming.Tests/TV/SeasonPathParserTests.cs (season 1 in each)
    ["sæson 1", "SÆSON 1", "Kausi 1", "Säsong 1", "SÄSONG 1", "Seasong 1", "Sezon 1", "sezona 1",
     "sezóna 1", "SEZÓNA 1", "Sezonul 1", "시즌 1", "シーズン 1"],
)  # fmt: skip
def test_season_folders_in_the_languages_jellyfin_reads(folder):
    # these gave no season: `Sezon 1/05 - Title.mkv` was reported as absolute episode 5
    assert season_of_folder(folder) == 1
    got = parse_episode("05 - Title.mkv", "Show", folder)
    assert (got.season, got.episodes, got.absolute) == (1, (5,), None)


@pytest.mark.parametrize(
    "folder",
    ["Season 2 (2019)", "Season 2 - Total Series Action", "Season 02 [1080p]", "Staffel 2 (2019)",
     "Сезон 2", "Season 2"],
)  # fmt: skip
def test_season_folders_with_a_suffix_give_the_season(folder):
    # Jellyfin reads these (kodi-tv.md §1.3); they gave S1E5 before
    assert season_of_folder(folder) == 2
    got = parse_episode("Show - Episode 5 - Title.mkv", "Show", folder)
    assert (got.season, got.episodes) == (2, (5,))


def test_a_folder_of_several_seasons_gives_none():
    assert [season_of_folder(n) for n in ("Season 1-3", "Season 1 & 2")] == [None, None]


def test_season_folders_and_show_titles():
    assert [season_of_folder(n) for n in ("Season 1", "Season 01", "Specials", "Season 00",
                                          "S2", "Extras")] == [1, 1, 0, 0, 2, None]  # fmt: skip
    assert show_title("Doctor Who (2005) {tvdb-78804}") == "Doctor Who"


def test_absurd_ranges_are_reported_before_guessit_lists_them(monkeypatch):
    # guessit took 40 s to list S01E01-E9999 as 9,999 episodes; Kodi reads at most 50
    got = parse_episode("Show - S01E01-E9999.mkv", "Show", "Season 1")
    assert got.problem and "episode range of 9999 is over 50" in got.problem
    assert got.episodes == ()

    def no_guessit(*_args, **_kwargs):
        raise AssertionError("guessit was asked to read an absurd range")

    monkeypatch.setattr(episodes, "guessit", no_guessit)
    for name, over in (
        ("Show - S01E01-E9999.mkv", "episode range of 9999"),
        ("Show.S01E01.to.E2000.mkv", "episode range of 2000"),
        ("Show - S01E01-E02-E2000.mkv", "episode range of 1999"),
        ("Show - ep01-ep2000.mkv", "episode range of 2000"),
        ("Show 1x01 to 1x3000.mkv", "episode range of 3000"),
        ("Show - S01-S9999.mkv", "season range of 9999"),
        ("Show.S01E01-S2000E01.mkv", "season range of 2000"),
        ("Show Season 1 to Season 3000.mkv", "season range of 3000"),
    ):
        got = parse_episode(name, "Show", None)
        assert got.problem and f"{over} is over 50" in got.problem, name


def test_ranges_up_to_fifty_episodes_are_read():
    got = parse_episode("Show - S01E01-E50.mkv", "Show", None)
    assert (got.season, got.episodes, got.problem) == (1, tuple(range(1, 51)), None)
    got = parse_episode("Show - S01E01-E51.mkv", "Show", None)
    assert got.problem and "episode range of 51 is over 50" in got.problem
    # a chain of three is a list (Kodi's TestVideoInfoScanner: `S05E01-E03-E05` is E1, E3, E5),
    # so `E01-E30-E60` holds three episodes, not 60; a list of 51 is over the cap
    chained = parse_episode("Show - S01E01-E30-E60.mkv", "Show", None)
    assert (chained.season, chained.episodes, chained.problem) == (1, (1, 30, 60), None)
    listed = "-".join(f"E{n:02d}" for n in range(1, 52))
    chained = parse_episode(f"Show - S01{listed}.mkv", "Show", None)
    assert chained.problem and "episode range of 51 is over 50" in chained.problem


@pytest.mark.parametrize(
    "name",
    [
        "Show.S01E03-E01.mkv",
        "Show - S01E03-E01 - Title.mkv",
        "Show.S01E03-S01E01.720p.mkv",
        "Show.S01E05-03.mkv",
        "Show.1x03-1x01.mkv",
        "Show - 1x05-x03 - Title.mkv",
        "Show.ep05-ep03.mkv",
        "Show - S01E03 - E01 - Title.mkv",
        "Show - S01E03 - S01E01 - Title.mkv",
    ],
)
def test_a_range_that_runs_backwards_is_reported(name):
    # Kodi after v21 skips `S01E03-E01` (TestVideoInfoScanner: "range backwards"), Kodi 21
    # reads E03 and E01, Sonarr rejects it (first > last): before, we took E03 and E01 (or
    # E05 alone, or "no numbers") without a word
    got = parse_episode(name, "Show", None)
    assert got.episodes == () and got.problem and "runs backwards" in got.problem, got


def test_a_dash_and_a_smaller_number_that_is_no_range_is_still_read():
    # a resolution, a codec, a one-digit part: no end of a range
    for name, wanted in (
        ("Show.S01E12-720p.mkv", (12,)),
        ("Show.S01E05-x264.mkv", (5,)),
        ("Show - S01E05 - 03 Days Later.mkv", (5,)),
    ):
        got = parse_episode(name, "Show", None)
        assert (got.season, got.episodes, got.problem) == (1, wanted, None), name


@pytest.mark.parametrize(
    ("name", "folder", "season", "episode"),
    [
        # Jellyfin's MultiEpisodeTests (tests/Jellyfin.Naming.Tests/TV/MultiEpisodeTests.cs):
        # "format specification that must not be detected as ending episode number"
        ("series-s09e14-720i.mkv", "Season 9", 9, 14),
        ("Show.S01E12-1080i.HDTV.mkv", None, 1, 12),
        ("Show - 1x05-1080i.mkv", None, 1, 5),
    ],
)
def test_an_interlaced_height_after_a_dash_is_no_end_of_a_range(name, folder, season, episode):
    # `-720i` was read as the end of a range E14-E720 and the file reported as "episode range
    # of 707 is over 50", as `-720p` is not
    got = parse_episode(name, "series" if name.startswith("series") else "Show", folder)
    assert (got.season, got.episodes, got.episode_title, got.problem) == (
        season, (episode,), None, None
    ), got  # fmt: skip


@pytest.mark.parametrize(
    ("name", "season", "wanted", "title"),
    [
        # `E01 - E03` is a range as `E01-E03` is (Jellyfin's multi-episode rule reads `(-| - )?E`;
        # guessit and we read E1, E3 before: episode 2 lost from the NFO)
        ("Show - S01E01 - E03 - Title.mkv", 1, (1, 2, 3), "Title"),
        ("Show S01E01 - E03.mkv", 1, (1, 2, 3), None),
        ("Show - S01E01 - Ep03 - Title.mkv", 1, (1, 2, 3), "Title"),
        # Sonarr's MultiEpisodeParserFixture (a case it leaves commented out): E2 was dropped
        (
            "Adventure Series - 5x01 - x02 - Dev the Human (2) & Sonarr the Robot (3).mkv",
            5,
            (1, 2),
            "Dev the Human",
        ),
        ("Show - 1x01 - x03 - Title.mkv", 1, (1, 2, 3), "Title"),
        # each episode named: every one of them, and no more
        ("Show - S01E01 - E02 - E03 - Title.mkv", 1, (1, 2, 3), "Title"),
        ("Show - S01E01 - E03 - E05 - Title.mkv", 1, (1, 3, 5), "Title"),
        # Sonarr's "Duplicate" style names each episode, and Kodi reads each SxxEyy of it
        ("Show - S01E01 - S01E03 - Title.mkv", 1, (1, 3), "Title"),
        ("Show - 1x01 - 1x02 - Title.mkv", 1, (1, 2), "Title"),
    ],
)
def test_a_range_with_a_spaced_dash_covers_every_episode(name, season, wanted, title):
    show = "Adventure Series" if name.startswith("Adventure") else "Show"
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.episode_title, got.problem) == (
        season, wanted, title, None
    ), got  # fmt: skip


@pytest.mark.parametrize(
    "name", ["Show - 1x05 - x264.mkv", "Show - S01E05 - x265 - GRP.mkv", "Show.S01E05.-.x264.mkv"]
)
def test_a_codec_after_a_spaced_dash_is_no_end_of_a_range(name):
    got = parse_episode(name, "Show", None)
    assert (got.season, got.episodes, got.problem) == (1, (5,), None)


def test_kodi_reads_only_the_first_episode_of_a_spaced_range_and_is_warned_of():
    # Kodi's multi-episode loop wants `-E03` right after the number (kodi-tv.md §1.2)
    got = parse_episode("Show - S01E01 - E03 - Title.mkv", "Show", None)
    assert any("read it as S01E01; episode 2, 3 would not appear" in w for w in got.warnings)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Show.Season.2.1080p.mkv", "Season 2"),  # was S2E2: the season's number as episode 2
        ("Show.Season.02.720p.mkv", "Season 2"),
        ("Show - Season 2 - 1080p.mkv", "Season 2"),
        ("Show.Season.2.1080p.mkv", None),  # was absolute 2: episode 2 in the absolute order
        ("Show.Saison.2.FRENCH.720p.mkv", None),
        ("Show.Staffel.2.German.720p.mkv", None),
        ("Show.S02.1080p.mkv", None),
        ("Show.S02.1080p.BluRay.x264-GROUP.mkv", "Show.S02.1080p.BluRay.x264-GROUP"),
    ],
)
def test_a_file_named_as_a_whole_season_is_reported_not_read_as_an_episode(name, folder):
    # Sonarr's SeasonParserFixture: a full season, no episode; Kodi skips such a name
    got = parse_episode(name, "Show", folder)
    assert (got.episodes, got.absolute) == ((), None), got
    assert got.problem and "a whole season" in got.problem, got


def test_an_unreadable_episode_number_is_not_called_a_whole_season():
    got = parse_episode("Show.S01E01E999.mkv", "Show", None)  # guessit reads no episode
    assert got.problem and "whole season" not in got.problem


def test_a_file_in_a_season_pack_folder_uses_its_own_name():
    pack = "Show.S02.1080p.BluRay.x264-GROUP"
    got = parse_episode("show.s02e05.1080p.mkv", "Show", pack)
    assert (got.season, got.episodes, got.problem, got.warnings) == (2, (5,), None, ())


def test_a_pack_of_several_seasons_gives_no_season():
    # `S01-S03` is seasons 1 to 3 (as `Season 1-3` is): before, season 1, so `05.mkv` in it was
    # S1E5 and `S02E05` in it was warned about a "season 1" folder
    assert season_of_folder("Show.S01-S03.1080p.BluRay.x264-GRP") is None
    assert season_of_folder("Show.Complete.Series.S01-S05.720p") is None
    got = parse_episode("Show.S02E05.mkv", "Show", "Show.S01-S03.1080p.BluRay.x264-GRP")
    assert (got.season, got.episodes, got.warnings) == (2, (5,), ())
    assert season_of_folder("Show.S02.1080p.BluRay.x264-GROUP") == 2
    assert season_of_folder("Season 2 - The Return") == 2


def test_a_reversed_name_in_its_release_folder_takes_the_folders_numbers():
    # guessit guessit/test/episodes.yml: an obfuscated (reversed) name in its release folder.
    # guessit reads `S.5102` as S51E01E02, which we took silently
    got = parse_episode(
        "QoQ-sbuSLN.462.H.1.5DD.LD-BEW.p0801.70E10S.5102.sregnesseM.ehT.mkv",
        None,
        "The.Messengers.2015.S01E07.1080p.WEB-DL.DD5.1.H264.Nlsubs-Q",
    )
    assert (got.season, got.episodes) == (1, (7,))
    assert any("numbers read from its folder" in w for w in got.warnings)


@pytest.mark.parametrize(
    ("rel", "season", "numbers"),
    [
        # a disc of a DVD rip, a release folder kept in its season folder as downloaded: the
        # file's folder gives no season, and the name was S01E05 ("season 1 assumed") or an
        # absolute number; Jellyfin takes the nearest Season parent (EpisodeResolver)
        ("Show/Season 2/Disc 1/Show - E05.mkv", 2, (5,)),
        ("Show/Season 02/Show.1080p.WEB-DL/Show - 05 - Title.mkv", 2, (5,)),
        ("Show/Season 3/Show.720p.WEB/Part 1/Show.Part.2.mkv", 3, (2,)),  # two folders down
        ("Show/Specials/Disc 1/Show - E01.mkv", 0, (1,)),
        ("Show/Season 02/Show.S02.1080p.WEB-DL/Show - 05.mkv", 2, (5,)),  # the pack's own
        ("Show/Season 2/Show.S03.1080p.WEB-DL/Show - E05.mkv", 3, (5,)),  # the nearest wins
        ("Show/Season 2/Disc 1/Show - S04E05.mkv", 4, (5,)),  # the name's own season wins
        ("Show/Disc 1/Show - E05.mkv", 1, (5,)),  # no season folder: Kodi's season 1
    ],
)
def test_an_episode_below_its_season_folder_takes_the_nearest_seasons_number(rel, season, numbers):
    path = PurePosixPath("/tv") / rel
    folder, outer = episodes.episode_folders(path, PurePosixPath("/tv/Show"))
    got = parse_episode(path.name, "Show", folder, outer)
    assert (got.season, got.episodes, got.problem) == (season, numbers, None), got


def test_no_folder_at_or_above_the_show_folder_gives_a_season():
    # a show folder named as a season pack, a library under a `Season 3` folder: not the
    # episode's season folder
    show = PurePosixPath("/media/Season 3/Psych S02 Season 2 Complete")
    assert episodes.episode_folders(show / "Disc 1" / "Psych - E05.mkv", show) == (
        "Disc 1", ()
    )  # fmt: skip
    assert episodes.episode_folders(show / "Psych - E05.mkv", show) == (None, ())
    got = parse_episode("Psych - E05.mkv", "Psych", "Disc 1", ())
    assert (got.season, got.episodes) == (1, (5,))


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Show - Season 2 Disc 2.mkv", "Season 2"),  # was S2E2, without a warning
        ("Show.Season.2.DVD.3.mkv", None),  # was S2E3, without a warning
        ("Show S02 Disk 1.mkv", None),  # was absolute episode 1
        ("Show.S02.Disc.1.mkv", None),
        ("Show.S02.D1.mkv", None),
        ("Show Disc 1.mkv", "Season 1"),  # was S1E1
    ],
)
def test_a_disc_of_a_season_is_no_episode(name, folder):
    # one file per DVD disc: a disc's number is no episode's (Kodi skips these names)
    got = parse_episode(name, "Show", folder)
    assert (got.episodes, got.absolute) == ((), None), got
    assert got.problem, got


def test_a_disc_beside_an_episode_number_leaves_the_episode():
    got = parse_episode("Show.S01E05.Disc.2.mkv", "Show", None)
    assert (got.season, got.episodes) == (1, (5,))


@pytest.mark.parametrize(
    ("name", "season", "episode"),
    [
        # the BBC's "Series 2" is season 2: guessit takes "Series 2" for the episode title, and
        # the name became S1E3 ("no season in the name: season 1 assumed")
        ("Show Series 2 Episode 3.mkv", 2, 3),
        ("Show - Series 4 - Episode 6 - Title.mkv", 4, 6),
        ("Show.Series.3.Ep.02.mkv", 3, 2),
    ],
)
def test_a_series_word_gives_the_season_of_an_episode_number(name, season, episode):
    got = parse_episode(name, "Show", None)
    assert (got.season, got.episodes) == (season, (episode,)), got
    assert not any("season 1 assumed" in w for w in got.warnings), got


@pytest.mark.parametrize(
    "name, season, episodes",
    [
        # no `E` before the episode: none of Kodi's default `tvshowmatching` rules reads it
        # (kodi-tv.md §1.2; AdvancedSettings.cpp), so the file never appears in Kodi
        ("Show.S2.05.mkv", 2, (5,)),
        ("Show.S02.05.720p.HDTV.mkv", 2, (5,)),
        ("[ASW] Show - S2 - 01 [1080p].mkv", 2, (1,)),  # episode_corpus.tsv
        ("Show Season 2 - 03.mkv", 2, (3,)),
        ("La casa del dragón 2×7.mkv", 2, (7,)),  # `×`, not Kodi's `x`
    ],
)
def test_a_name_kodi_skips_is_read_with_a_warning_saying_so(name, season, episodes):
    got = parse_episode(name, "Show", None)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None)
    named = f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)
    assert any("Kodi skips it" in w and named in w for w in got.warnings), got.warnings
    # a name Kodi reads alike gets no such warning
    assert parse_episode(f"Show.{named}.mkv", "Show", None).warnings == ()


@pytest.mark.parametrize(
    "name, folder, kodi, ours",
    [
        # Kodi's `ep` rule (`foo.E01`, `foo.ep01`) has no season: its default season 1 (kodi-tv.md
        # §1.2), whatever the folder; a FULL NFO's season does not change it
        ("Show.E04.mkv", "Season 3", "S01E04", "S03E04"),  # episode_corpus.tsv
        ("E13 - The Wedding of River Song.mkv", "Season 06", "S01E13", "S06E13"),
        # guessit episodes.yml: `S6.Ep5` is no SxxEyy to Kodi (a dot between S6 and E)
        ("Game.of.Thrones.S6.Ep5.X265.Dolby.2.0.KTM3.mp4", None, "S01E05", "S06E05"),
    ],
)
def test_a_name_kodi_numbers_otherwise_by_another_rule_is_warned_at_scan(name, folder, kodi, ours):
    # only publish said so (misread_warning); the scan's warning was "season 3 assumed"
    got = parse_episode(name, "Show", folder)
    assert f"S{got.season:02d}" + "".join(f"E{e:02d}" for e in got.episodes) == ours
    assert any(f"Kodi numbers it {kodi}" in w and ours in w for w in got.warnings), got.warnings


@pytest.mark.parametrize(
    "name, show, folder, kodi",
    [
        # guessit episodes.yml: a scene-style number Kodi's "foo.103" rule does not reach (a
        # bracket before it), or reads from the show's year first (`2014.208`: S20E14)
        ("The Office [401] Fun Run.avi", "The Office", "Season 4", "Kodi skips it"),
        ("the.flash.2014.208.hdtv-lol[ettv].mkv", "the flash", None, "Kodi numbers it S20E14"),
    ],
)
def test_a_scene_style_number_says_what_kodi_does_with_the_name(name, show, folder, kodi):
    # the warning said only "name it S04E01 to be sure"
    got = parse_episode(name, show, folder)
    assert got.problem is None and got.episodes
    assert any(w.startswith(kodi) for w in got.warnings), got.warnings
    assert parse_episode("Show.501.mkv", "Show", None).warnings == (
        "501 read as season 5 episode 1 (scene style); name it S05E01 to be sure",
    )  # Kodi reads it alike: nothing more to say


def test_an_episode_titled_with_a_year_in_its_season_folder_says_kodis_reading():
    # `Season 1/03 - 1985.mkv` (an episode titled by a year): the warning said "Kodi skips names
    # without one" while Kodi's "foo.103" rule reads ` 1985.` as S19E85
    got = parse_episode("03 - 1985.mkv", "Show", "Season 1")
    assert (got.season, got.episodes) == (1, (3,))
    assert "Kodi reads it as season 19 episode 85" in got.warnings[0]
    assert "Kodi skips" in parse_episode("03 - Title.mkv", "Show", "Season 1").warnings[0]


@pytest.mark.parametrize(
    "folder, title, year",
    [
        # what follows the year is no title, as Kodi's CleanString (videocleandatetimeregexp)
        # reads a show folder; before, TMDB was searched for "Show (2019) [1080p]"
        ("The Last of Us (2023) [1080p WEB-DL]", "The Last of Us", 2023),
        ("Band of Brothers (2001) - Complete", "Band of Brothers", 2001),
        ("House (2004) {tvdb-73255} [1080p]", "House", 2004),
        # a season pack's release folder used as the show's (Sonarr's SeasonParserFixture form)
        ("Breaking.Bad.S01-S05.1080p.BluRay.x264-ROVERS", "Breaking Bad", None),
        ("Doctor.Who.2005.S01.1080p.BluRay", "Doctor Who", 2005),
        ("The.Wire.Complete.Series.720p.BluRay.x264", "The Wire", None),
        # titles that keep their numbers, brackets and dots
        ("Shameless (US) (2011)", "Shameless (US)", 2011),
        ("The Office (US)", "The Office (US)", None),
        ("Space 1999 (1975)", "Space 1999", 1975),
        # a year ending the name, as Kodi's CleanString and Jellyfin's ParseName read it
        # (identify searches the whole name too when that finds no sure match)
        ("Doctor Who 2005", "Doctor Who", 2005),
        ("Battlestar Galactica 2003 {tvdb-73545}", "Battlestar Galactica", 2003),
        ("Doctor.Who.2005", "Doctor Who", 2005),
        ("Blade Runner 2049", "Blade Runner", 2049),
        ("1923", "1923", None),
        ("The 4400", "The 4400", None),
        ("9-1-1 (2018)", "9-1-1", 2018),
        ("S.W.A.T. (2017)", "S.W.A.T.", 2017),
        ("Marvel's Agents of S.H.I.E.L.D. (2013)", "Marvel's Agents of S.H.I.E.L.D.", 2013),
        ("The Complete Guide", "The Complete Guide", None),
    ],
)
def test_a_show_folders_title_ends_at_its_year_or_its_release_tags(folder, title, year):
    hints = episodes.show_folder_hints(folder)
    assert (hints["title"], hints["year"]) == (title, year)


@pytest.mark.parametrize(
    "name, show, season, episodes",
    [
        # guessit 4.4 episodes.yml (#874, "additional non-English keywords"): guessit reads
        # them, but its season was taken only beside a season word we knew, so each was
        # reported as an absolute number (the season's) or no number at all
        ("My Little Pony - T02E22.mp4", "My Little Pony", 2, (22,)),
        ("30 M0N3D4S ESP T01XE08.mkv", "30 M0N3D4S", 1, (8,)),
        ("The.White.Lotus.2.Sezon.7.Bolum.2021.1080p.WEB-DL.mkv", "The White Lotus", 2, (7,)),
        ("Vikings Сезон 3 Эпизод 21 1080p.mkv", "Vikings", 3, (21,)),
        ("Интерны 2 сезон 24 серия.mkv", "Интерны", 2, (24,)),
        ("Проклytie 5-й сезон 09-я серия.mkv", "Проклytie", 5, (9,)),
        ("Die Simpsons 2. Staffel Folge 5.mkv", "Die Simpsons", 2, (5,)),
        ("Sorozat 2. évad 5. rész.mkv", "Sorozat", 2, (5,)),
        ("Serie Säsong 2 Avsnitt 5 SWEDISH 1080p.mkv", "Serie", 2, (5,)),
        ("Cosmos 2019 Сезон 1 Серия 5 1080p.mkv", "Cosmos", 1, (5,)),  # a year first
        ("Serial 5-го сезон 9 серия.mkv", "Serial", 5, (9,)),
    ],
)
def test_season_words_of_other_languages_give_the_season(name, show, season, episodes):
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None)


def test_a_number_before_a_season_word_is_no_season_when_a_season_follows_it():
    # guessit 4.4 episodes.yml: "Studio 60 Сезон 5" is season 5 of Studio 60, a season pack
    got = parse_episode("Studio 60 Сезон 5 1080p.mkv", "Studio 60", None)
    assert got.episodes == () and got.problem and "whole season" in got.problem


@pytest.mark.parametrize(
    ("name", "folder", "season", "episodes", "absolute"),
    [
        # anime's `Show - 08` without a `[Group]` prefix in a season folder: the folder's season,
        # and the absolute number identify maps in TheTVDB's absolute order (before: none)
        ("Naruto - 08 (1080p).mkv", "Season 2", 2, (8,), 8),
        ("Naruto - 08v2 (1080p).mkv", "Season 2", 2, (8,), 8),
        ("Naruto - 01-02 (1080p).mkv", "Season 2", 2, (1, 2), (1, 2)),
        ("Naruto - 108 - Title.mkv", "Season 1", 1, (8,), 108),
        # no dash before the number: an episode of the season, no absolute reading
        ("02 - Title.mkv", "Season 2", 2, (2,), None),
    ],
)
def test_an_anime_number_in_a_season_folder_is_also_absolute(
    name, folder, season, episodes, absolute
):
    got = parse_episode(name, "Naruto", folder)
    assert (got.season, got.episodes, got.absolute, got.problem) == (
        season, episodes, absolute, None
    ), got  # fmt: skip
    if absolute is not None:
        assert "in TheTVDB's absolute order" in got.warnings[0]


@pytest.mark.parametrize("show", [None, "Engineering Catastrophes"])
def test_a_name_wholly_in_brackets_keeps_its_numbers(show):
    # guessit's own test data (guessit/test/various.yml): the bracket was taken for a release
    # group before the name and stripped with everything in it, so the file had "no season and
    # episode numbers"
    name = "[ Engineering Catastrophes S02E10 1080p AMZN WEB-DL DD+ 2.0 x264-TrollHD ].mkv"
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.problem) == (2, (10,), None), got


@pytest.mark.parametrize(
    ("name", "title"),
    [
        # Jellyfin's MultiEpisodeTests `4x01 – 20 Hours in America (1).mkv`, with the show's
        # title as Sonarr writes it, and in Sonarr's default format (`{Episode Title}
        # {Quality Full}`)
        ("The West Wing - 4x01 - 20 Hours in America (1).mkv", "20 Hours in America (1)"),
        (
            "The West Wing - S04E01 - 20 Hours in America (1) WEBDL-1080p.mkv",
            "20 Hours in America (1)",
        ),
        ("The West Wing - S04E01 - 20 Hours in America (1) [1080p].mkv", "20 Hours in America (1)"),
        # Sonarr's SingleEpisodeParserFixture `01x04 - Halloween, Part 1 - 720p WEB-DL`
        ("The West Wing - 01x04 - Halloween, Part 1 - 720p WEB-DL.mkv", "Halloween, Part 1"),
        # a part number in the middle of a title stays guessit's reading
        (
            "Adventure Series - 5x01 - x02 - Dev the Human (2) & Sonarr the Robot (3).mkv",
            "Dev the Human",
        ),
    ],
)
def test_an_episode_title_keeps_its_part_number(name, title):
    # guessit drops `(1)` / `Part 1` from the title: the special joined by its title to
    # TheTVDB's (`Good Cop Bad Cop (2)`) was never found by it
    show = name.split(" - ", 1)[0]
    got = parse_episode(name, show, None)
    assert (got.episode_title, got.problem) == (title, None), got


@pytest.mark.parametrize(
    ("name", "show", "season", "episode"),
    [
        # Korean release names (a Korean file-sharing site's top-100 page, saved in a public
        # GitHub repository): guessit reads E07 alone, and the season word `시즌2` was lost
        # (S01E07); `시즌7 06화` ("season 7, episode 6") was absolute episode 7
        ("추리의 여왕 시즌2.E07.180321.HDTV.H264.720p-NEXT.mp4", "추리의 여왕", 2, 7),
        ("홈랜드 시즌7 06화 한글자막 480p.mp4", "홈랜드", 7, 6),
        ("[통합]홈랜드 시즌7-06화.mp4", "홈랜드", 7, 6),
        # Arabic streaming sites' episode titles (public scrapers' test fixtures on GitHub):
        # "series X, the second season, episode 8"; read as absolute episode 8 or 3
        ("مسلسل The Gentlemen الموسم الثاني الحلقة 8 الثامنة والاخيرة مترجمة.mp4", "The Gentlemen",
         2, 8),
        ("مسلسل Red Queen الموسم الثاني الحلقة 6 والاخيرة مترجمة.mp4", "Red Queen", 2, 6),
        ("مسلسل الاختيار الموسم ٣ الحلقة ٥.mp4", "الاختيار", 3, 5),
        # Japanese and Korean season and episode words: `第2期` (second season) was read as
        # absolute episode 2
        ("進撃の巨人 第2期 第12話.mkv", "進撃の巨人", 2, 12),
        ("進撃の巨人 2期 12話.mkv", "進撃の巨人", 2, 12),
        ("런닝맨 시즌2 05화.mkv", "런닝맨", 2, 5),
    ],
)  # fmt: skip
def test_season_and_episode_words_guessit_does_not_read(name, show, season, episode):
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.episode_title, got.problem) == (
        season, (episode,), None, None
    ), got  # fmt: skip
    assert any("Kodi" in w for w in got.warnings)  # Kodi skips these, or reads season 1


@pytest.mark.parametrize(
    ("folder", "season"),
    [
        # Jellyfin's SeasonPathParserTests (tests/Jellyfin.Naming.Tests/TV/): `/Drive/3.Staffel`
        ("3.Staffel", 3),
        ("3. Staffel", 3),
        # the other languages whose names put the number first (as _SEASON_TOKEN reads them in
        # a file name)
        ("2. Sezon", 2),
        ("2 сезон", 2),
        ("2. évad", 2),
        ("3. Staffel (2019)", 3),
        ("3 Staffeln", None),
    ],
)
def test_a_season_folder_with_its_number_first(folder, season):
    assert season_of_folder(folder) == season
    if season is not None:  # its episodes numbered by the folder, not reported as absolute
        got = parse_episode("05 - Title.mkv", "Dark", folder)
        assert (got.season, got.episodes, got.problem) == (season, (5,), None), got


@pytest.mark.parametrize(
    ("name", "show", "title"),
    [
        # Jellyfin's SimpleEpisodeTests (a TODO there): `The Grand Tour (2016)/Season 1/S01E01 The
        # Holy Trinity.mkv`; guessit takes the title for the show's, so the name had none
        ("S01E01 The Holy Trinity.mkv", "The Grand Tour", "The Holy Trinity"),
        # Sonarr's SingleEpisodeParserFixture
        ("S02E10 6-50 to SLC [SDTV].mkv", "Developers & Coders", "6-50 to SLC"),
        ("01x04 - Halloween, Part 1 - 720p WEB-DL.mkv", "Series", "Halloween, Part 1"),
        # a title holding the show's: guessit cut "Breaking Bad" out of it
        ("S00E01 Inside Breaking Bad.mkv", "Breaking Bad", "Inside Breaking Bad"),
    ],
)
def test_a_title_right_after_the_numbers_is_the_episodes(name, show, title):
    got = parse_episode(name, show, None)
    assert (got.episode_title, got.problem) == (title, None), got


@pytest.mark.parametrize(
    ("name", "show", "title"),
    [
        # Sonarr's anime episode format (`{Series Title} - S{season:00}E{episode:00} -
        # {absolute:000} - {Episode Title}`): the absolute number was read as part of the title,
        # and the show's title cut out of it ("001 - Enter")
        ("Naruto - S01E01 - 001 - Enter Naruto Uzumaki! [HDTV-1080p].mkv", "Naruto",
         "Enter Naruto Uzumaki!"),
        ("One Piece (1999) - S21E1071 - 1071 - The Mystery of Gear 5 [Bluray-1080p].mkv",
         "One Piece", "The Mystery of Gear 5"),
        # a scene name whose episode title holds the show's
        ("Breaking.Bad.S00E01.Inside.Breaking.Bad.720p.mkv", "Breaking Bad", "Inside Breaking Bad"),
        ("Breaking Bad S05E14 Ozymandias.mkv", "Breaking Bad", "Ozymandias"),
    ],
)  # fmt: skip
def test_the_episode_title_keeps_the_shows_words_and_drops_sonarrs_absolute(name, show, title):
    got = parse_episode(name, show, None)
    assert (got.episode_title, got.problem) == (title, None), got


@pytest.mark.parametrize(
    ("name", "show", "folder"),
    [
        # fansub release names from public anime-release parsers' tests on GitHub: the season in
        # the title's bracket, the episode in the next; read as absolute episode 1 (an absolute
        # order would map it to S01E01)
        ("[DBD-Raws][不死者之王 第二季][01][1080P][BDRip][HEVC-10bit][FLAC].mkv", "不死者之王", None),
        ("[DBD-Raws][不死者之王 第二季][01][1080P][BDRip][HEVC-10bit][FLAC].mkv", "不死者之王",
         "Season 2"),
        ("[云歌字幕组][7月新番][欢迎来到实力至上主义的教室 第二季][01][X264 10bit][1080p][简体中文].mp4",
         "欢迎来到实力至上主义的教室", None),
        ("[SWSUB][Pokemon Horizons][第二季][01][CHS_JP][AVC][1080P].mp4", "Pokemon Horizons", None),
        ("[Nekomoe kissaten][Shingeki no Kyojin S2][01][1080p][CHS].mp4", "Shingeki no Kyojin",
         None),
    ],
)  # fmt: skip
def test_a_fansub_season_and_its_bracketed_episode(name, show, folder):
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.absolute, got.problem) == (2, (1,), None, None), got


@pytest.mark.parametrize(
    ("name", "show", "folder"),
    [
        # an anime library matcher's test paths on GitHub (SubsPlease's name for a second season)
        ("[SubsPlease] Jujutsu Kaisen 2nd Season - 01 (1080p) [12345678].mkv", "Jujutsu Kaisen",
         None),
        ("[SubsPlease] Jujutsu Kaisen 2nd Season - 01 (1080p) [12345678].mkv", "Jujutsu Kaisen",
         "Season 2"),
        # Sonarr's UnicodeReleaseParserFixture (its anime parser reads absolute 1)
        ("[Suzuya Raws] 腼腆英雄 东京夺还篇 Series 2nd Season - 01 [CR WebRip 1080p HEVC-10bit AAC]"
         "[Multi-Subs].mkv", "Series", None),
    ],
)  # fmt: skip
def test_an_ordinal_season_before_the_dash_is_that_seasons_episode(name, show, folder):
    # as `Season 2 - 01` is: before, absolute episode 1 (S01E01 in an absolute order)
    got = parse_episode(name, show, folder)
    assert (got.season, got.episodes, got.absolute, got.problem) == (2, (1,), None, None), got


@pytest.mark.parametrize(
    ("name", "folder", "season", "episodes"),
    [
        # Jellyfin tests/Jellyfin.Naming.Tests/TV/MultiEpisodeTests.cs and EpisodeNumberTests.cs
        # (one file of episodes 3 to 15: its end number 15); the same list as `02x03x04x15`
        # and `02x03 - 02x04 - 02x15`, which guessit, Kodi and we read as 3, 4, 15
        ("02x03 - x04 - x15 - Ep Name.mp4", "Season 02", 2, (3, 4, 15)),
        ("Elementary - 02x03 - x04 - x15 - Ep Name.mp4", "Season 02", 2, (3, 4, 15)),
        ("Elementary - 2009x03 - x04 - x15 - Ep Name.mp4", "Season 2009", 2009, (3, 4, 15)),
        ("Elementary - 5x01 - x02 - x03.mkv", None, 5, (1, 2, 3)),
    ],
)
def test_a_spaced_chain_of_x_numbers_gives_every_episode(name, folder, season, episodes):
    # before, only the first (S02E03): episodes 4 and 15 silently lost, no warning
    got = parse_episode(name, "Elementary", folder)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got
    assert got.episode_title == ("Ep Name" if "Ep Name" in name else None)
    # Kodi's multi-episode loop does not read ` - x04` (its `^[-_ex]+` wants no space first)
    assert any("would not appear" in w for w in got.warnings), got.warnings


@pytest.mark.parametrize(
    ("name", "folder", "season", "episodes"),
    [
        # Jellyfin tests/Jellyfin.Naming.Tests/TV/MultiEpisodeTests.cs (`Season 2/02-04.avi`: end
        # number 4, by its "01.avi" rule, which reads a name of numbers alone as first-last);
        # guessit reads episodes 2, 3 and 4 too. Before: S02E04 alone, E02 and E03 lost
        ("02-04.avi", "Season 2", 2, (2, 3, 4)),
        ("04-12.mkv", "Season 04", 4, tuple(range(4, 13))),
        # with a title after it, Jellyfin's "1-12 episode title" rule reads season-episode
        ("02-04 - blah 14 blah.avi", "Season 2", 2, (4,)),
    ],
)
def test_a_name_of_two_numbers_alone_in_a_season_folder_is_their_range(
    name, folder, season, episodes
):
    got = parse_episode(name, "Show", folder)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got
    assert any("Kodi skips" in w for w in got.warnings), got.warnings


@pytest.mark.parametrize(
    "folder",
    [
        # Jellyfin tests/Jellyfin.Naming.Tests/TV/SeasonPathParserTests.cs (season 4)
        "The.Wonder.Years [S04][1080p.PDTV.x264-JCH]",
        "The Wonder Years [Season 4] [1080p]",
    ],
)
def test_a_season_in_brackets_names_the_season_folder(folder):
    # before, no season: a file named by its episode alone in it was reported as absolute
    assert season_of_folder(folder) == 4
    got = parse_episode("The Wonder Years - 07 - Title.avi", "The Wonder Years", folder)
    assert (got.season, got.episodes, got.problem) == (4, (7,), None), got


@pytest.mark.parametrize(
    ("name", "folder", "season", "episode", "title"),
    [
        # Jellyfin tests/Jellyfin.Naming.Tests/TV/EpisodeNumberTests.cs ("Title starts with a
        # number": episode 21)
        ("Episode 21 - 94 Meetings.mp4", "Season 2", 2, 21, "94 Meetings"),
        ("The Series - Ep21 - 94 Meetings.mp4", "Season 2", 2, 21, "94 Meetings"),
        ("The Series - E21 - 100 Days [720p].mkv", "Season 2", 2, 21, "100 Days"),
        ("The Series - Episode 5 - 12 Angry Men.mkv", None, 1, 5, "12 Angry Men"),
        ("E21 - 100 Days.mkv", "Season 2", 2, 21, "100 Days"),
        ("The Series - Ep01-02 - 3 Days.mkv", "Season 2", 2, (1, 2), "3 Days"),
        ("The Series - E01E02 - 3 Days.mkv", "Season 2", 2, (1, 2), "3 Days"),
    ],
)
def test_a_number_starting_the_title_after_an_episode_is_no_episode(
    name, folder, season, episode, title
):
    # before, guessit's episode of the title was kept: S02E21E94 (S02E21E00 for `100 Days`,
    # S02E01E02E03 for `Ep01-02 - 3 Days`), so the file matched no episode at all ("TMDB has
    # no episode S02E94")
    got = parse_episode(name, "The Series", folder)
    episodes = episode if isinstance(episode, tuple) else (episode,)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got
    assert got.episode_title == title


@pytest.mark.parametrize(
    ("name", "season", "episode", "title"),
    [
        ("Show - S01E02 - The E10 Incident.mkv", 1, 2, "The E10 Incident"),
        ("Show.S02E05.The.E10.Incident.720p.WEB-DL.mkv", 2, 5, "The E10 Incident"),
        ("Show - S02E05 - Project E12 [WEBDL-1080p].mkv", 2, 5, "Project E12"),
        ("Show - S01E09 - Title, Part 2 of 3.mkv", 1, 9, "Title, Part 2 of 3"),
        ("Show - S01E09 - Part 2 of 3.mkv", 1, 9, "Part 2 of 3"),
    ],
)
def test_an_episode_marker_inside_the_title_is_no_episode(name, season, episode, title):
    # guessit reads `E10` / `Part 2` of the title as a second episode (S01E02E10); Kodi's
    # multi-episode loop and Jellyfin's multi-episode rules read only what follows the SxxEyy
    # right away, so S01E02 alone. Before, the file matched E02 and E10 both, or nothing
    got = parse_episode(name, "Show", None)
    assert (got.season, got.episodes, got.problem) == (season, (episode,), None), got
    assert got.episode_title == title
    assert not any("would not appear" in w for w in got.warnings), got.warnings


@pytest.mark.parametrize(
    ("folder", "season"),
    [
        ("Season 1 - 2019", 1),  # its year, as `Season 1 (2019)` is
        ("Season 03 - 720p", 3),  # Jellyfin's SeasonPathParser reads season 3 (`\d{3,4}p`)
        ("Season 2 - 2nd Half", 2),
        # several seasons: none
        ("Season 1 - 3", None),
        ("Season 1-3", None),
        ("Season 1 - 10", None),
    ],
)
def test_a_year_or_a_resolution_after_the_season_is_no_second_season(folder, season):
    # before, `Season 1 - 2019` was read as the seasons 1 to 2019: no season, so a file named
    # `Show - 05 - Title` in it was reported as an absolute number
    assert season_of_folder(folder) == season
    if season is not None:
        got = parse_episode("Show - 05 - Title.mkv", "Show", folder)
        assert (got.season, got.episodes, got.problem) == (season, (5,), None), got


@pytest.mark.parametrize(
    "name", ["Show - 2.05 - Title.mkv", "Show 2.05.mkv", "Show.2.05.Title.720p.mkv"]
)
def test_season_dot_episode_in_its_season_folder_is_that_episode(name):
    # `2.05` (season.episode, as fan wikis number episodes) in `Season 2`: guessit reads episode
    # 5; before, the first number was taken: S02E02, a wrong episode with no warning saying so
    got = parse_episode(name, "Show", "Season 2")
    assert (got.season, got.episodes, got.problem) == (2, (5,), None), got
    assert any("S02E05" in w for w in got.warnings), got.warnings
    assert got.episode_title == ("Title" if "Title" in name else None)


@pytest.mark.parametrize("name", ["01.mkv", "Title 03.mkv", "Show - 02 - Title.mkv"])
def test_a_bare_number_in_a_discs_folder_is_not_taken_for_its_seasons_episode(name):
    # `Season 2/Disc 2/01.mkv`: a rip's title numbers count from 1 on every disc, so the
    # season folder above the disc would give disc 2's first file S02E01, disc 1's episode
    # (Kodi skips such names; Jellyfin reads S02E01): reported, as in the disc folder alone
    got = parse_episode(name, "Show", "Disc 2", ("Season 2",))
    assert (got.season, got.episodes) == (None, ()) and got.problem, got
    assert "Disc 2" in got.problem and "S02E" in got.problem, got
    # with an episode marker the number is the episode's, and scene style is the name's own
    assert parse_episode("Show - E05.mkv", "Show", "Disc 2", ("Season 2",)).episodes == (5,)
    got = parse_episode("Show - 205.mkv", "Show", "Disc 2", ("Season 2",))
    assert (got.season, got.episodes) == (2, (5,))


@pytest.mark.parametrize(
    ("folder", "absolute"),
    [
        # anime releases (guessit guessit/test/episodes.yml) kept in their release folders
        ("[Kaylith] Zankyou no Terror - 04 [480p][B4D4514E]", 4),
        ("[Stratos-Subs]_Infinite_Stratos_-_12_(1280x720_H.264_AAC)_[379759DB]", 12),
        ("[PuyaSubs!] Seirei Tsukai no Blade Dance - 05 [720p][32DD560E]", 5),
        ("[SubsPlease] Jujutsu Kaisen - 47 (1080p) [ABCD1234]", 47),
    ],
)
def test_an_obfuscated_name_takes_the_absolute_number_of_its_release_folder(folder, absolute):
    # only a folder's SxxEyy was read: the file was "no numbers in the name" and stayed so in
    # the absolute order, where Sonarr's ParsePath (the folder read as the name) imports it
    got = parse_episode("3f1b9c0a7d2864f5.mkv", None, folder)
    assert (got.season, got.episodes, got.absolute) == (None, (), absolute), got
    assert got.problem.startswith(f"3f1b9c0a7d2864f5.mkv: numbers read from its folder {folder!r}")
    assert "absolute episode number" in got.problem and "Kodi skips it" in got.problem


def test_a_batch_folders_range_is_not_each_files_number():
    got = parse_episode("3f1b9c0a7d2864f5.mkv", "Bleach",
                        "[ShinBunBu-Subs] Bleach - 02-03 (CX 1280x720 x264 AAC)")  # fmt: skip
    assert (got.episodes, got.absolute) == ((), None) and "no season and episode" in got.problem
    got = parse_episode("Bleach - 02.mkv", "Bleach", "[ShinBunBu-Subs] Bleach - 02-03 (CX)")
    assert got.absolute == 2  # the name's own number wins


def test_a_release_folder_in_a_season_folder_is_read_as_the_name_would_be():
    # `Season 2/Naruto - 08 (1080p).mkv` is S02E08 and absolute 8: so is its obfuscated file
    got = parse_episode("3f1b9c0a7d2864f5.mkv", "Naruto", "Naruto - 08 (1080p)", ("Season 2",))
    assert (got.season, got.episodes, got.absolute, got.problem) == (2, (8,), 8, None)
    assert "numbers read from its folder 'Naruto - 08 (1080p)'" in got.warnings


@pytest.mark.parametrize(
    ("show", "name", "title"),
    [
        # Sonarr's default format with a quality of no digit (Sonarr's own test names:
        # FormatVideoCodecFixture, QualityParserFixture), and with its Proper and REAL
        ("Ghost Advent", "Ghost Advent - S04E05 - Stanley Hotel SDTV.avi", "Stanley Hotel"),
        ("Show", "Show - S03E01 - Episode Title Raw-HD.ts", "Episode Title"),
        ("Firefly", "Firefly - S01E01 - The Train Job DVD.mkv", "The Train Job"),
        ("Firefly", "Firefly - S01E01 - The Train Job DVD Proper.mkv", "The Train Job"),
        ("Firefly", "Firefly - S01E01 - The Train Job SDTV Proper REAL.mkv", "The Train Job"),
        # a title's own word stays (Sonarr spells its qualities so)
        ("Show", "Show - S01E01 - The Dvd.mkv", "The Dvd"),
        ("Show", "Show - S01E01 - DVD.mkv", None),  # no title: the quality alone
    ],
)
def test_sonarrs_quality_is_not_the_episode_title(show, name, title):
    # the title scan stores (identify compares it with the providers') kept `DVD`, `SDTV`
    got = parse_episode(name, show)
    assert got.episode_title == title and got.episodes and got.problem is None, got


@pytest.mark.parametrize(("name", "show"), [("-.mkv", "_"), (":.mkv", "_"), (" :.mkv", "_")])
def test_a_name_guessit_fails_on_is_a_name_without_numbers(name, show):
    """Found by fuzzing (stop 49): guessit fails inside ("An internal error has occurred in
    guessit", IndexError in its rules) on a name of punctuation in a show folder named `_`; the
    episode's error and the scan's event held guessit's whole report, thousands of characters of
    its options, instead of the reason. Now such a name is one guessit reads nothing in."""
    found = episodes.parse_episode(name, show)
    assert found.season is None and not found.episodes
    assert found.problem and "no season and episode numbers" in found.problem
    assert "guessit" not in found.problem
