"""A show folder named with the years the show ran: `Case Closed (1996-2007)` (Jellyfin's
EpisodeNumberTests and SeasonNumberTests keep episodes in that folder), `Friends (1994–2004)`
as Wikipedia writes a series' run, `Show (2019-)` for one still airing. Kodi's and our
clean-date rule take the last year and keep the rest as the title: "Case Closed (1996" and
2007, so the TMDB search for the show found nothing sure and the show stayed unidentified."""

from __future__ import annotations

import pytest

from metarrd.identify.episodes import show_folder_hints, show_title


@pytest.mark.parametrize(
    ("folder", "title", "year"),
    [
        ("Case Closed (1996-2007)", "Case Closed", 1996),  # Jellyfin's test data
        ("Friends (1994 - 2004)", "Friends", 1994),
        ("Friends (1994–2004)", "Friends", 1994),  # an en dash
        ("The Wire (2002-2008) [tvdbid-79126]", "The Wire", 2002),
        ("Seinfeld (1989-1998) Complete Series", "Seinfeld", 1989),
        ("Friends.1994-2004.Complete.Series.1080p.BluRay", "Friends", 1994),
        ("The Simpsons (1989-)", "The Simpsons", 1989),
        ("The Simpsons (1989-present)", "The Simpsons", 1989),
    ],
)
def test_the_years_a_show_ran_give_its_title_and_first_year(folder, title, year):
    hints = show_folder_hints(folder)
    assert (hints["title"], hints["year"]) == (title, year), hints
    assert show_title(folder) == title


@pytest.mark.parametrize(
    ("folder", "title", "year"),
    [
        ("Space 1999 (1975)", "Space 1999", 1975),
        ("The Daily Show 2024-03-05", "The Daily Show", 2024),  # a date, no years of a run
        ("Doctor Who (2005)", "Doctor Who", 2005),
    ],
)
def test_a_single_year_reads_as_before(folder, title, year):
    hints = show_folder_hints(folder)
    assert (hints["title"], hints["year"]) == (title, year), hints
