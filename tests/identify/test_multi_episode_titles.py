"""A file of several episodes whose title, as Sonarr writes it, holds numbers or words that
look like episode markers. Sonarr's default episode format is `{Series Title} -
S{season:00}E{episode:00} - {Episode Title} {Quality Full}`; for several episodes it joins their
titles with " + " (FileNameBuilder.GetEpisodeTitle), and two titles that its
MultiPartCleanupRegex would empty ("Part 1", "Part 2") stay whole: its EpisodeTitleCollapseFixture
`should_not_collaspe_when_result_is_empty` expects "Part 1 + Part 2"."""

from __future__ import annotations

import pytest

from metarrd.identify import parse_episode


@pytest.mark.parametrize(
    ("name", "season", "episodes"),
    [
        # Sonarr's title of two episodes TheTVDB names "Part 1" and "Part 2" (a mini-series)
        ("Show - S01E01-E02 - Part 1 + Part 2 WEBDL-1080p.mkv", 1, (1, 2)),
        ("Show - S01E03-E04 - Part 3 + Part 4 WEBDL-1080p.mkv", 1, (3, 4)),
        ("Show - S01E01E02 - Part 1 + Part 2.mkv", 1, (1, 2)),  # Sonarr's "Repeat" style
        ("Show.S01E01E02.Part.1.and.Part.2.720p.mkv", 1, (1, 2)),  # `{Episode CleanTitle}`
        # the range's middle episode is no marker of the title either
        ("Show - S01E01-E03 - Part 2 HDTV-720p.mkv", 1, (1, 2, 3)),
    ],
)
def test_a_part_number_in_the_title_never_drops_the_names_own_episode(name, season, episodes):
    # before, an episode named by the title's `Part 2` too was dropped as the title's marker
    # (the `S01E02 - The E10 Incident` rule): S01E01 alone, with episode 2 neither published
    # nor reported, and S01E01-E03 lost its middle episode
    got = parse_episode(name, "Show")
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got


def test_a_title_marker_that_names_another_episode_is_still_the_titles():
    got = parse_episode("Show - S01E02E03 - The E10 Incident.mkv", "Show")
    assert (got.season, got.episodes, got.problem) == (1, (2, 3), None), got
    got = parse_episode("Show - S01E02 - Part 1.mkv", "Show")
    assert (got.season, got.episodes, got.problem) == (1, (2,), None), got


@pytest.mark.parametrize(
    ("name", "season", "episodes"),
    [
        # TheTVDB titles the episodes of many British series "Episode 1", "Episode 2"...
        # (Fleabag, Broadchurch): Sonarr's name of two of them in one file
        ("Fleabag - S01E01-E02 - Episode 1 + Episode 2 WEBDL-1080p.mkv", 1, (1, 2)),
        ("Show - S03E09-E10 - Episode 9 + Episode 10 HDTV-720p.mkv", 3, (9, 10)),
        ("Show - S01E01-E02 - Episode 1 and Episode 2.mkv", 1, (1, 2)),
        # a title counting the show's episodes from its first (`Episode 90` of season 5)
        ("Show - S05E01 - Episode 90 HDTV-720p.mkv", 5, (1,)),
        ("Show - S02E05 - Episode 3.mkv", 2, (5,)),
    ],
)
def test_an_episode_title_named_episode_n_is_no_end_of_a_range(name, season, episodes):
    # before, `E02 - Episode 1` was read as a range running backwards (episode 2 to 1) and
    # `E01 - Episode 90` as one of 90 episodes: the file was reported ("runs backwards",
    # "over 50") and never published, although Kodi and Jellyfin read its numbers
    got = parse_episode(name, name.split(" - ")[0])
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got


def test_a_range_that_runs_backwards_is_still_reported():
    for name in ("Show - S01E03-E01.mkv", "Show - Episode 3 - Episode 1.mkv"):
        got = parse_episode(name, "Show")
        assert got.episodes == () and "runs backwards" in got.problem, got


@pytest.mark.parametrize(
    ("name", "show", "title"),
    [
        # a pilot of two episodes in one file, as a public Star Trek upload names them (quoted
        # in a media matcher's test suite: "collapses the paired pilot onto S01E01")
        ("Star Trek ENT S01E01+E02 Broken Bow Pt 1 + Pt 2.mp4", "Star Trek ENT", "Broken Bow"),
        ("Star Trek DS9 S01E01+E02 Emissary Pt 1+ Pt 2.mp4", "Star Trek DS9", "Emissary"),
        # the words and signs guessit joins episodes with (its episodes.yml: `S01E01+02`,
        # `Phineas and Ferb S01E00 & S01E01 & S01E02`)
        ("Show - S01E01 & E02 - Title.mkv", "Show", "Title"),
        ("Show.S01E01.and.E02.720p.HDTV.mkv", "Show", None),
        ("Show.S01E01,E02.mkv", "Show", None),
    ],
)
def test_a_second_episode_after_a_plus_or_an_and_is_the_names_own(name, show, title):
    # before, guessit's E02 was taken for a marker of the title ("+E02", "& E02") and dropped:
    # S01E01 alone, and no word that episode 2 was in the file (Kodi 21 reads E01 alone too:
    # now a warning says so and how to name it)
    got = parse_episode(name, show)
    assert (got.season, got.episodes, got.problem) == (1, (1, 2), None), got
    assert got.episode_title == title
    assert any("episode 2 would not appear" in w for w in got.warnings), got.warnings


def test_a_range_written_with_to_holds_its_middle_episode():
    # guessit reads `E01 to E03` as the range 1 to 3 (its range separators: `-`, `~`, `to`);
    # before, E03 was dropped as the title's marker: S01E01E02, a reading no player has
    got = parse_episode("Show - S01E01 to E03.mkv", "Show")
    assert (got.season, got.episodes, got.problem) == (1, (1, 2, 3), None), got


@pytest.mark.parametrize(
    ("name", "show", "season", "episodes"),
    [
        # a file name shared on a public channel (quoted in a bot's source)
        ("Legend_Of_The_Seeker_S01E01&E02_2008_@nadithpro.mkv", "Legend of the Seeker", 1, (1, 2)),
        ("Show.S03E14&E15.720p.HDTV.x264.mkv", "Show", 3, (14, 15)),
    ],
)
def test_episodes_joined_by_an_ampersand_without_spaces(name, show, season, episodes):
    # guessit reads `S01E01 & E02` but nothing of `S01E01&E02`: before, the file was reported
    # as having "no season and episode numbers" and never published, although Kodi reads E01
    got = parse_episode(name, show)
    assert (got.season, got.episodes, got.problem) == (season, episodes, None), got
    assert any("would not appear" in w for w in got.warnings), got.warnings
