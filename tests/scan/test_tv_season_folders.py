"""The season a TV file takes from its folders: a season folder named by its number alone
(`Seinfeld/2/`), and a `Specials` folder inside a season folder (`Show/Season 1/Specials/`).
Jellyfin's `SeasonPathParser` (its tests, tests/Jellyfin.Naming.Tests/TV/SeasonPathParserTests.cs:
`/Drive/Seinfeld/2` is season 2, `/Drive/specials` season 0) reads a season only from a folder
right in the show folder (`SeasonResolver`: its parent is the series)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from metarrd import db
from metarrd.identify import episode_folders, parse_episode, season_of_folder
from metarrd.scan import scan
from tests.publish.tvshow import tv_runtime

from .conftest import SAMPLE


def _read(rel: str):
    path = PurePosixPath("/tv") / rel
    folder, outer = episode_folders(path, PurePosixPath("/tv") / rel.split("/")[0])
    return parse_episode(path.name, rel.split("/")[0], folder, outer)


@pytest.mark.parametrize(
    ("rel", "season", "numbers"),
    [
        # Jellyfin's `/Drive/Seinfeld/2`: before, a number alone in it was an absolute number
        # ("Rename it...") and `2/03.mkv` no episode of season 2
        ("Seinfeld/2/Seinfeld - 03.mkv", 2, (3,)),
        ("Seinfeld/01/Seinfeld - 03.mkv", 1, (3,)),
        ("Seinfeld/2/03.mkv", 2, (3,)),
        ("Seinfeld/2/Disc 1/Seinfeld - E05.mkv", 2, (5,)),  # the nearest season folder above
        ("Seinfeld/2/Seinfeld - S03E04.mkv", 3, (4,)),  # the name's own season wins
    ],
)
def test_a_season_folder_named_by_its_number_gives_the_season(rel, season, numbers):
    got = _read(rel)
    assert (got.season, got.episodes, got.problem) == (season, numbers, None), got
    if "S03" not in rel:
        assert f"season {season}" in got.warnings[0]  # Kodi reads no folder: a warning


def test_a_number_alone_is_a_season_only_right_in_the_show_folder():
    assert season_of_folder("2", numeric=True) == 2
    assert season_of_folder("2") is None  # `Season 2/2/`: a disc, a part, not a season
    got = _read("Show/Season 3/2/Show - E05.mkv")
    assert (got.season, got.episodes) == (3, (5,))


@pytest.mark.parametrize(
    "rel",
    [
        "Show/Season 1/Specials/Show - 03.mkv",
        "Show/Season 1/Specials/Show - E03 - Making Of.mkv",
        "Show/1/Specials/03.mkv",
        "Show/Season 01/Season 00/Show - 03.mkv",
        "Show/Specials/Season 1/Show - 03.mkv",  # the other way round: was S01E03
    ],
)
def test_a_specials_folder_inside_a_season_folder_is_not_guessed(rel):
    """Jellyfin reads the file in season 1 (its Specials is only a folder of Season 1's), the
    folder says a special: before, S00E03 without a word, which Jellyfin shows as S01E03."""
    got = _read(rel)
    assert (got.season, got.episodes) == (None, ())
    assert "a special or an episode of season 1?" in got.problem
    assert "S00E03 if it is a special, S01E03 if not" in got.problem


@pytest.mark.parametrize(
    ("rel", "season", "numbers"),
    [
        ("Show/Season 1/Specials/Show - S00E03.mkv", 0, (3,)),
        ("Show/Season 1/Specials/Show - S01E03.mkv", 1, (3,)),  # the name wins, as in Kodi
        ("Show/Season 1/Specials/Show.2024.03.05.mkv", None, ()),  # a daily show's air date
    ],
)
def test_a_name_with_its_own_season_in_a_nested_specials_folder_is_read(rel, season, numbers):
    got = _read(rel)
    assert (got.season, got.episodes, got.problem) == (season, numbers, None)
    assert got.aired == (None if season is not None else "2024-03-05")


def test_a_scan_numbers_the_episodes_of_a_numbered_season_folder(tmp_path):
    rt = tv_runtime(tmp_path)
    try:
        show = Path(rt.config.library[0].path) / "Seinfeld"
        for rel in ("2/Seinfeld - 03.mkv", "Season 1/Specials/Seinfeld - 01.mkv"):
            (show / rel).parent.mkdir(parents=True, exist_ok=True)
            (show / rel).write_bytes(SAMPLE.read_bytes())
        (show / "2" / "season.nfo").write_text(
            "<season><seasonnumber>2</seasonnumber><title>The Second Year</title></season>"
        )
        scan(rt)
        episode = db.Movie.get(db.Movie.path == str(show / "2/Seinfeld - 03.mkv"))
        assert (episode.season, episode.episodes) == (2, [3])
        season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 2)
        assert season.title == "The Second Year"  # its season.nfo read as season 2's
        special = db.Movie.get(db.Movie.path.endswith("Seinfeld - 01.mkv"))
        assert special.season is None and "a special or an episode" in special.last_error
    finally:
        rt.close()
