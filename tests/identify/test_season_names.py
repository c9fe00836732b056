"""`names_no_season`: which season names are only a season's default (no name of the user's:
scan locks none, publish writes none into season.nfo) and which are names of their own."""

import pytest

from metarrd.identify import names_no_season


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("Season 1", 1),
        ("Season 01", 1),
        ("Staffel 2", 2),  # tinyMediaManager's and Kodi's German default
        ("Specials", 0),  # TMDB's and Kodi's name of season 0
        ("Season 0", 0),
        ("第2季", 2),
    ],
)
def test_a_default_name_is_no_name(name, number):
    assert names_no_season(name, number)


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("Season 1 - The Beginning", 1),
        # a season 0 the user named: as much a name of theirs as season 1's above (it was
        # taken for "Specials" because its number is 0, and left out of season.nfo)
        ("Season 0 - Holiday Specials", 0),
        ("Season 00 - Webisodes", 0),
    ],
)
def test_a_name_of_the_users_own_is_a_name(name, number):
    assert not names_no_season(name, number)
