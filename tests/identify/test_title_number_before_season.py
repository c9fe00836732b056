"""A number in the title before the season word (`Apollo 18 Temporada 2`, `Studio 60 Сезон 5`):
guessit reads it as the episode (S02E18, S05E60) when the show folder's title is not the name's
(`Studio 60 on the Sunset Strip/`, a show folder in another language). A season's file with no
episode of its own is reported as a whole season, as guessit and Sonarr read it; an episode
after the season word is the episode."""

from __future__ import annotations

import pytest

from metarrd.identify import parse_episode


@pytest.mark.parametrize(
    ("name", "show_title"),
    [
        # guessit/test/episodes.yml: `Studio 60 Сезон 5 1080p` (season 5, no episode) and
        # `Apollo 18 Temporada 2` (season 2, no episode); before, S05E60 and S02E18
        ("Studio 60 Сезон 5 1080p.mkv", "Studio 60 on the Sunset Strip"),
        ("Apollo 18 Temporada 2.mkv", "Apolo 18"),
        ("Studio.60.Season.1.1080p.mkv", "Studio 60 on the Sunset Strip"),  # was S01E60
        ("Studio.60.S01.1080p.mkv", "Studio 60 on the Sunset Strip"),  # was absolute 60
    ],
)
def test_a_title_number_before_the_season_is_no_episode(name, show_title):
    got = parse_episode(name, show_title)
    assert (got.season, got.episodes, got.absolute) == (None, (), None)
    assert "named as a whole season" in got.problem


@pytest.mark.parametrize(
    ("name", "season", "numbers"),
    [
        ("Studio 60 Season 1 Episode 5.mkv", 1, (5,)),  # was S01E60E05
        ("Apollo 18 Temporada 2 Capitulo 18.mkv", 2, (18,)),  # the same number after it stays
        ("Studio 60 Season 2 - 03.mkv", 2, (3,)),
    ],
)
def test_the_episode_after_the_season_word_is_read(name, season, numbers):
    got = parse_episode(name, "Studio 60 on the Sunset Strip")
    assert (got.season, got.episodes, got.problem) == (season, numbers, None)
