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
