"""The patterns of Jellyfin's `.ignore` and Plex's `.plexignore` (metarrd/ignore_files.py), as
the players document them, and as an attacker would write them."""

from __future__ import annotations

import os

import pytest

from metarrd import ignore_files
from metarrd.ignore_files import PatternFile, parse


def jellyfin(*lines: str) -> PatternFile:
    patterns = tuple(p for line in lines if (p := parse(line)) is not None)
    return PatternFile("/lib", "/lib/.ignore", patterns, "Jellyfin")


def ignored(rules: PatternFile, rel: str, is_dir: bool = False) -> bool:
    return rules.rule_for(f"/lib/{rel}", is_dir) is not None


@pytest.mark.parametrize(
    ("lines", "rel", "is_dir", "expected"),
    [
        # Jellyfin's DotIgnoreIgnoreRuleTest data: a name at any depth, any case; `!` takes back
        (["SPs"], "cd/sps", True, True),
        (["SPs", "!thebestshot.mkv"], "cd/sps/thebestshot.mkv", False, False),
        (["*.txt", "videos/", "*.mkv"], "videos", True, True),
        (["*.txt", "videos/", "*.mkv"], "test.mp3", False, False),
        # Jellyfin's docs: `specials/` is a folder only
        (["specials/"], "Show/specials", True, True),
        (["specials/"], "Show/specials", False, False),
        # relative to the file's folder when the pattern holds a `/`
        (["/Extras"], "Extras", True, True),
        (["/Extras"], "Heat (1995)/Extras", True, False),
        (["Heat (1995)/Extras"], "Heat (1995)/Extras", True, True),
        (["**/minta/**"], "Heat (1995)/Minta/x.mkv", False, True),
        (["Heat (1995)/**/*.mkv"], "Heat (1995)/a/b/c.mkv", False, True),
        # `*` and `?` stay within one name; classes
        (["Heat*"], "Heat (1995)/x.mkv", False, False),
        (["Heat*"], "Heat (1995)", True, True),
        (["Part?.mkv"], "Part1.mkv", False, True),
        (["Part?.mkv"], "Part10.mkv", False, False),
        (["CD[1-3].avi"], "cd2.avi", False, True),
        (["CD[!1-3].avi"], "cd2.avi", False, False),
        # comments and escapes (gitignore's)
        (["# Extras"], "# Extras", False, False),
        (["\\#1 Fan (2021).mkv"], "#1 Fan (2021).mkv", False, True),
    ],
)
def test_patterns_match_as_the_players_document_them(lines, rel, is_dir, expected):
    assert ignored(jellyfin(*lines), rel, is_dir) is expected


def test_a_pattern_is_never_a_regular_expression():
    """What a regex reads as syntax is a name's own characters here: a `.ignore` is written
    by whoever can write in the library."""
    rules = jellyfin("(a+)+$.mkv", "Heat.(1995).*", "[[:alpha:]]", "a{1,3}", "\\", "[")
    assert ignored(rules, "(a+)+$.mkv")
    assert not ignored(rules, "aaaa.mkv")
    assert ignored(rules, "Heat.(1995).mkv")
    assert not ignored(rules, "Heat (1995).mkv")
    assert ignored(rules, "a{1,3}") and not ignored(rules, "aa")
    assert ignored(rules, "[") and not ignored(rules, "x")


def test_a_pattern_made_to_backtrack_is_answered():
    """Thirty stars between letters the name never ends with: a backtracking matcher tries
    every way to share 250 characters among them. Each piece here is searched once."""
    hostile = "*a" * 30 + "*b"
    rules = jellyfin(*[hostile] * 1000)
    assert not ignored(rules, "a" * 250)
    assert ignored(rules, "a" * 249 + "b")
    assert all(p.segments[-1] is not None and len(p.segments[-1]) == 32 for p in rules.patterns)


def test_an_ignore_file_is_read_within_bounds(tmp_path):
    """At most 64 KiB and 1,000 patterns; a FIFO or a folder named so is never opened."""
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / ".plexignore").write_text("*.mkv\n" + "#" * (64 * 1024))
    assert ignore_files.load(str(tmp_path / "big" / ".plexignore")) is None
    (tmp_path / "many").mkdir()
    (tmp_path / "many" / ".plexignore").write_text("".join(f"x{i}\n" for i in range(1001)))
    many = ignore_files.load(str(tmp_path / "many" / ".plexignore"))
    assert many is not None and len(many.patterns) == 1000
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / ".ignore")
    assert ignore_files.NONE.entering_on_disk(str(tmp_path / "fifo")) == ignore_files.NONE
    (tmp_path / "dir" / ".plexignore").mkdir(parents=True)
    assert ignore_files.load(str(tmp_path / "dir" / ".plexignore")) is None
