"""A number in the show's title beside an episode marker with no season (`Yamato.2199.E03`):
guessit reads the title's number as a season and an episode (`2199`: S21E99) and we took its
episode too (E99 and E03). Kodi's `ep` rule reads E03 alone; Jellyfin's parser does not read
the name at all (its tests keep it as a TODO)."""

from __future__ import annotations

import pytest

from metarrd.identify import parse_episode


@pytest.mark.parametrize(
    ("name", "show_title", "folder", "season", "numbers"),
    [
        # jellyfin/jellyfin tests/Jellyfin.Naming.Tests/TV/EpisodePathParserTest.cs (TODO) and
        # EpisodeNumberTests.TestEpisodeNumber62 (FIXME): `/Season 4/Uchuu.Senkan.Yamato.2199.E03.avi`
        # in the show folder of its English title; before, S04E99E03
        ("Uchuu.Senkan.Yamato.2199.E03.avi", "Space Battleship Yamato 2199", "Season 4", 4, (3,)),
        ("Uchuu.Senkan.Yamato.2199.E03.avi", None, "Season 4", 4, (3,)),
        # the same form with other titles' numbers: before, E49 and E05, E83 and E01, E2 and E3
        ("Blade.Runner.2049.E05.mkv", "Blade Runner Black Out 2022", None, 1, (5,)),
        ("1883.E01.mkv", "Yellowstone 1883", None, 1, (1,)),
        ("Uchuu.Senkan.Yamato.2202.E03.avi", "Star Blazers", None, 1, (3,)),
        # the marked range or list is kept whole
        ("Uchuu.Senkan.Yamato.2199.E03-E04.avi", "Star Blazers", None, 1, (3, 4)),
        ("Uchuu.Senkan.Yamato.2199.E03E04.avi", "Star Blazers", None, 1, (3, 4)),
        ("Show.E01-02.mkv", "Show", None, 1, (1, 2)),
    ],
)
def test_a_title_number_is_no_episode_beside_a_marked_one(
    name, show_title, folder, season, numbers
):
    got = parse_episode(name, show_title, folder)
    assert (got.season, got.episodes, got.problem) == (season, numbers, None)
    assert got.warnings[0].startswith("no season in the name")  # Kodi's season 1 is warned of
