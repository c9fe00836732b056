"""Episode names from Sonarr's parser tests, read by identify/episodes.py.

The names, Sonarr's reading, ours and the reason where they differ: sonarr_names.tsv (its header
names the Sonarr commit). Every row is exact: a change in our reading of any of them fails here,
and a new difference from Sonarr needs its reason in the file (kodi-tv.md decides: Kodi's reading
wins for a Kodi library).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from metarrd.identify.episodes import absolute_numbers, parse_episode

DATA = Path(__file__).with_name("sonarr_names.tsv")
_READING = re.compile(
    r"^(?:S\d+E\d+(?:-\d+|(?:,\d+)*)|\d{4}-\d{2}-\d{2}|abs \d+(?:-\d+|(?:,\d+)*)(?: \(S\d+\))?"
    r"|none|reported)$"
)


def _rows() -> list[dict]:
    with DATA.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _rows()


def _numbers(values) -> str:
    values = list(values)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))


def reading(name: str, show_title: str, folder: str) -> str:
    """Our reading of a name in the data file's form."""
    got = parse_episode(name, show_title or None, folder or None)
    if got.aired:
        return got.aired
    if got.episodes:
        assert got.season is not None
        return f"S{got.season}E{_numbers(got.episodes)}"
    if got.absolute is not None:
        assert got.problem, name  # an absolute number is never taken as it stands
        return f"abs {_numbers(absolute_numbers(got.absolute))}"
    assert got.problem, name  # nothing read: the user is told why
    return "reported"


def _agree(sonarr: str, ours: str) -> bool:
    return sonarr == ours or (sonarr == "none" and ours == "reported")


def test_the_sample_is_large_and_covers_every_fixture():
    assert len(ROWS) >= 500
    fixtures = {row["source"].split(".")[0] for row in ROWS}
    assert {
        "SingleEpisodeParserFixture",
        "MultiEpisodeParserFixture",
        "DailyEpisodeParserFixture",
        "AbsoluteEpisodeNumberParserFixture",
        "SeasonParserFixture",
        "CrapParserFixture",
        "PathParserFixture",
    } <= fixtures
    assert len({(row["name"], row["show_title"], row["folder"]) for row in ROWS}) == len(ROWS)


def test_every_difference_from_sonarr_has_its_reason():
    for row in ROWS:
        assert _READING.match(row["sonarr"]) and _READING.match(row["ours"]), row
        agree = _agree(row["sonarr"], row["ours"])
        assert bool(row["reason"]) is not agree, row


def test_most_names_are_read_as_sonarr_reads_them():
    agree = sum(_agree(row["sonarr"], row["ours"]) for row in ROWS)
    assert agree / len(ROWS) >= 0.8, f"{agree} of {len(ROWS)}"


@pytest.mark.parametrize("row", ROWS, ids=[f"{i}:{row['name'][:40]}" for i, row in enumerate(ROWS)])
def test_each_name_is_read_as_recorded(row):
    assert reading(row["name"], row["show_title"], row["folder"]) == row["ours"]
