"""Sonarr's anime names hold two numbers of one episode: its season and episode and its absolute
number (the naming presets of Sonarr's anime format, `{Series TitleYear} - S{season:00}E
{episode:00} - {absolute:000} - {Episode CleanTitle} {Quality Full}`, frontend NamingModal.tsx).
The season and episode number the file; the absolute number is checked against TheTVDB's (where
Sonarr's come from): a file whose two numbers are different episodes is not matched to either
(docs/tv.md "Episode orders")."""

from __future__ import annotations

import re

import pytest

from metarrd import db
from metarrd.identify.episodes import parse_episode, show_title
from metarrd.identify.tv import _named_titles, _titles_named

from .conftest import put
from .test_episode_orders import episode, run, show_of  # noqa: F401 - `run` is a fixture
from .test_titles_name_the_order import _Item


@pytest.mark.parametrize(
    ("name", "season", "episodes", "absolute", "title"),
    [
        # Sonarr's OrganizerTests/FileNameBuilderTests/MultiEpisodeFixture, its absolute pattern
        # in each multi-episode style (AddAbsoluteNumberingTokens): the range styles write the
        # first and the last (`100-102` of three), the others each one
        ("South Park - 15x06 - 15x07 - [100-101] - City Sushi - HDTV-720p.mkv", 15, (6, 7),
         (100, 101), "City Sushi"),
        ("South Park - S15E06-E07 - 100-101 - City Sushi HDTV-720p.mkv", 15, (6, 7),
         (100, 101), "City Sushi"),
        ("South Park - S15E06-E08 - 100-102 - City Sushi HDTV-720p.mkv", 15, (6, 7, 8),
         (100, 101, 102), "City Sushi"),
        ("South Park - S15E06-08 - 100-102 - City Sushi HDTV-720p.mkv", 15, (6, 7, 8),
         (100, 101, 102), "City Sushi"),
        ("South Park - S15E06E07E08 - 100-101-102 - City Sushi HDTV-720p.mkv", 15, (6, 7, 8),
         (100, 101, 102), "City Sushi"),
        ("South Park - S15E06 - S15E07 - 100 - 101 - City Sushi HDTV-720p.mkv", 15, (6, 7),
         (100, 101), "City Sushi"),
        # the presets for one episode, the second with `{season:0}x{episode:00}`, the third
        # dotted (`{absolute:000}`: zero-padded)
        ("Naruto - S02E02 - 008 - The Oath of Pain [HDTV-1080p].mkv", 2, (2,), (8,),
         "The Oath of Pain"),
        ("Naruto - 2x02 - 008 - The Oath of Pain HDTV-1080p.mkv", 2, (2,), (8,),
         "The Oath of Pain"),
        ("Naruto.S02E02.008.The.Oath.of.Pain.HDTV-1080p.mkv", 2, (2,), (8,), "The Oath of Pain"),
        ("One Piece (1999) - S21E1071 - 1071 - The Mystery of Gear 5 [Bluray-1080p].mkv", 21,
         (1071,), (1071,), "The Mystery of Gear 5"),
        # Sonarr's ParserTests/AbsoluteEpisodeNumberParserFixture: its title was read as
        # "001-002-003 - Episode Title"
        ("[RlsGrp] Series Title (2010) - S01E01-02-03 - 001-002-003 - Episode Title HDTV-720p "
         "v2.mkv", 1, (1, 2, 3), (1, 2, 3), "Episode Title"),
        ("[RlsGrp] Series Title (2010) - S01E01-02 - 001-002 - Episode Title HDTV-720p v2.mkv",
         1, (1, 2), (1, 2), "Episode Title"),
        ("[RlsGrp]Series.Title.2010.S01E01.001.HDTV-720p.x264-DTS.mkv", 1, (1,), (1,), None),
        # a title's number is none: Glee's 100th episode is titled "100", Stargate SG-1's
        # S02E21 "1969" (dotted, not zero-padded)
        ("Glee - S05E12 - 100 HDTV-720p.mkv", 5, (12,), (), "100"),
        ("Stargate.SG-1.S02E21.1969.720p.HDTV.x264.mkv", 2, (21,), (), None),
    ],
)  # fmt: skip
def test_sonarrs_anime_names_read_the_absolute_number_beside_the_episodes(
    name, season, episodes, absolute, title
):
    """A multi-episode one was read as episodes 6, 7, 100 and 101 (guessit's reading): no
    episode 100 of season 15, the file unmatched."""
    show = show_title(re.split(r" - |\.S\d", re.sub(r"^\[\w+\] ?", "", name))[0].replace(".", " "))
    got = parse_episode(name, show, None)
    assert (got.season, got.episodes, got.paired_absolute) == (season, episodes, absolute), got
    assert (got.episode_title, got.problem) == (title, None)


def test_the_title_of_a_multi_episode_anime_name_is_its_episodes(tmp_path):
    """The title check read `100 101 city sushi` after the numbers: such a file titled in
    another order was never counted."""
    name = "Show - S15E06-E07 - 100-101 - The Train Job + Bushwhacked HDTV-720p.mkv"
    named = _named_titles(_Item(name, [100, 101]))
    assert _titles_named(named, [["The Train Job"], ["Bushwhacked"]], True, lenient=False)
    name = "Show - 15x06 - 15x07 - [100-101] - The Train Job + Bushwhacked - HDTV-720p.mkv"
    assert _titles_named(_named_titles(_Item(name, [100, 101])),
                         [["The Train Job"], ["Bushwhacked"]], True, lenient=False)  # fmt: skip


# Naruto in the simulator: TMDB's season 1 of nine; TheTVDB's aired order six and three
AGREE = "Naruto/Season 2/Naruto - S02E02 - 008 - The Oath of Pain [HDTV-1080p].mkv"
DOUBLE = ("Naruto/Season 1/Naruto - S01E01-E02 - 001-002 - Enter Naruto Uzumaki! + My Name is "
          "Konohamaru! [HDTV-1080p].mkv")  # fmt: skip
# three episodes, two absolute numbers (the range styles write the first and the last: 001-003)
COUNT = "Naruto/Season 1/Naruto - S01E04-E06 - 004-005 - Pass or Fail [HDTV-1080p].mkv"
# S02E01 is absolute 7; 009 is S02E03
DISAGREE = "Naruto/Season 2/Naruto - S02E01 - 009 - The Assassin of the Mist! [HDTV-1080p].mkv"


def test_an_anime_name_whose_numbers_are_other_episodes_is_not_matched(run, tmp_path):  # noqa: F811
    """Before, the absolute number was dropped: the file got S02E01's data whichever of its two
    numbers was wrong. Its numbers agreeing, a file is matched as before."""
    root = tmp_path / "tv"
    for rel in (AGREE, DOUBLE, DISAGREE, COUNT):
        put(root, rel)
    run("scan")
    show = show_of(root, "Naruto")
    status, _out, err = run("tv", "order", str(show.id), "tvdb")  # Sonarr's numbers
    assert status == 1

    item = episode(root, AGREE)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes, item.episode_refs[0]["title"]) == (
        2, [2], "The Oath of Pain"
    )  # fmt: skip
    item = episode(root, DOUBLE)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.season, item.episodes) == (1, [1, 2])
    assert [r["title"] for r in item.episode_refs] == ["Enter: Naruto Uzumaki!",
                                                       "My Name is Konohamaru!"]  # fmt: skip

    item = episode(root, DISAGREE)
    assert item.identification_status == db.UNIDENTIFIED
    assert item.tmdb_id is None and item.episode_refs == []
    assert item.last_error == (
        "the name's S02E01 and its absolute number 009 are different episodes of Naruto: S02E01 "
        "is 'The Assassin of the Mist!' (absolute 7 on TheTVDB), absolute 9 is S02E03 'Kakashi: "
        "Sharingan Warrior!'; one of the two is wrong (TheTVDB renumbered the show after the "
        "file was named, or the name was made by hand), so the file is not matched to either; "
        "rename it with the right pair (Sonarr's Rename Files does, from TheTVDB's numbers)"
    )
    assert item.last_error in err  # `metarrd tv order` prints each episode left unmatched
    item = episode(root, COUNT)
    assert item.identification_status == db.UNIDENTIFIED
    assert item.last_error.startswith(
        "the name's S01E04E05E06 names 3 episodes and its absolute numbers 004-005 2 episodes: "
        "one of the two is wrong"
    )

    # renamed with the right pair (as Sonarr renames it): matched
    fixed = root / DISAGREE.replace(" - 009 - ", " - 007 - ")
    (root / DISAGREE).rename(fixed)
    status, out, err = run("scan")
    assert status == 0, err
    assert "1 moved" in out and "1 identified" in out  # the same item, checked again
    item = db.Movie.get(db.Movie.path == str(fixed))
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert item.episode_refs[0]["title"] == "The Assassin of the Mist!"

    # the other way: a matched file renamed with an absolute number of another episode
    wrong = root / AGREE.replace(" - 008 - ", " - 009 - ")
    (root / AGREE).rename(wrong)
    status, out, _err = run("scan")
    item = db.Movie.get(db.Movie.path == str(wrong))
    assert item.identification_status == db.UNIDENTIFIED and item.episode_refs == []
    assert item.last_error.startswith(
        "the name's S02E02 and its absolute number 009 are different episodes of Naruto"
    )
    assert "1 moved" in out and "1 left unidentified" in out
