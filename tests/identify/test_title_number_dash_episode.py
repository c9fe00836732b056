"""`<show> 2 - 05`: a number right after the show's title, then the episode after a dash.
Jellyfin reads the episode after the dash (its NamingOptions rule "blah 2 - 01.avi"; its
EpisodeNumberWithoutSeasonTests keeps `The Simpsons/The Simpsons 5 - 02 - Ep Name.avi` as episode
2, a TODO), guessit too (`[SubsPlease] Shingeki no Kyojin 2 - 05 (1080p)`: episode 5). We took
the 2 as the absolute episode number, which a show in TheTVDB's absolute order then mapped to
its absolute episode 2 without a word."""

from __future__ import annotations

import pytest

from metarrd.identify import parse_episode


@pytest.mark.parametrize(
    ("name", "show_title", "read"),
    [
        ("The Simpsons 5 - 02 - Ep Name.avi", "The Simpsons", "'5 - 02'"),
        ("[SubsPlease] Shingeki no Kyojin 2 - 05 (1080p).mkv", "Shingeki no Kyojin", "'2 - 05'"),
    ],
)
def test_without_a_season_folder_it_is_reported_with_no_absolute_number(name, show_title, read):
    got = parse_episode(name, show_title)
    assert (got.season, got.episodes, got.absolute) == (None, (), None)
    assert f"{read} after the show's title is season" in got.problem
    first, episode = (int(n) for n in read.strip("'").split(" - "))
    assert f"Rename it S{first:02d}E{episode:02d}" in got.problem


def test_in_its_season_folder_the_episode_after_the_dash_is_read():
    got = parse_episode("[SubsPlease] Shingeki no Kyojin 2 - 05 (1080p).mkv",
                        "Shingeki no Kyojin", "Season 2")  # fmt: skip
    assert (got.season, got.episodes, got.absolute, got.problem) == (2, (5,), None, None)


def test_a_show_titled_with_the_number_keeps_the_absolute_episode():
    got = parse_episode("[Group] Show 2 - 05 [1080p].mkv", "Show 2")
    assert (got.episodes, got.absolute) == ((), 5)  # `Naruto - 05`'s reading, as before
