"""Rebuild episode_corpus.tsv: real episode names with the season and episode numbers their
source gives. Run by hand (`python tests/tv/build_episode_corpus.py`); the TSV is committed.

Sources: guessit's own test data (`guessit/test/episodes.yml` in the installed package: every
entry of type episode with an int season and int or int-list episodes, no date and no options)
and the table of names in docs/tv.md (from the public Kodi, Jellyfin and guessit rules) (KODI_ROWS below, values from the guessit and Jellyfin columns),
and release names from Sonarr's parser tests (`src/NzbDrone.Core.Test/ParserTests/*Fixture.cs`,
RELEASE_ROWS below, the numbers Sonarr expects; `.mkv` added to a release name) that our
parser once read wrongly.
"""

from __future__ import annotations

import csv
from pathlib import Path

import guessit

HERE = Path(__file__).resolve().parent
OUT = HERE / "episode_corpus.tsv"

# (path below the library root, season, episodes, aired): the name forms of docs/tv.md
KODI_ROWS = [
    ("Show (2019)/Season 01/Show - S01E01 - Pilot.mkv", 1, [1], ""),
    ("Show/Show.S01.E01.mkv", 1, [1], ""),
    ("Show/Show S01 - E02.mkv", 1, [2], ""),
    ("Show/Show S01xE02.mkv", 1, [2], ""),
    ("Show/Show - 2x05 - Title.mkv", 2, [5], ""),
    ("Show/Specials/Show - S00E01 - Making Of.mkv", 0, [1], ""),
    ("Show/Season 00/Show - S00E02 - Deleted Scenes.mkv", 0, [2], ""),
    ("Show/Show S01E01E02.mkv", 1, [1, 2], ""),
    ("Show/Show S01E01-E02.mkv", 1, [1, 2], ""),
    ("Show/Show S01E01-E03.mkv", 1, [1, 2, 3], ""),
    ("Show/Show S01E01-03.mkv", 1, [1, 2, 3], ""),
    ("Show/Show S01E01E03.mkv", 1, [1, 3], ""),
    ("Show/Show - 2024-03-05 - Guest.mkv", "", [], "2024-03-05"),
    ("Show/Season 1/01 - Title.mkv", 1, [1], ""),
    ("Show/Show - S02E05.mkv", 2, [5], ""),
    ("Show/Season 2024/Show - 2024-03-05 - Guest.mkv", "", [], "2024-03-05"),
    ("Show/Show s01.e02.mkv", 1, [2], ""),
    ("Show/Season 3/Show.E04.mkv", 3, [4], ""),
]

_SONARR = "sonarr ParserTests/"
_SONARR_NAMES = "sonarr OrganizerTests/FileNameBuilderTests/"
# (path below the library root, show title, season, episodes, aired, source[, absolute]): an
# absolute-numbered name has no season or episodes (it is reported) and its absolute numbers
RELEASE_ROWS = [
    ("Series Kings - 2x9-2x10 - Served Code [SDTV].mkv", "Series Kings", 2, [9, 10], "",
     _SONARR + "MultiEpisodeParserFixture"),
    ("Series Kings - 2x09-2x10 - Served Code [SDTV].mkv", "Series Kings", 2, [9, 10], "",
     _SONARR + "MultiEpisodeParserFixture"),
    ("1x01-x03 - Episode Title.HDTV-720p.mkv", "", 1, [1, 2, 3], "",
     _SONARR + "MultiEpisodeParserFixture"),
    ("Series Title - [02x01-x02] - Episode 1.mkv", "Series Title", 2, [1, 2], "",
     _SONARR + "MultiEpisodeParserFixture"),
    ("[SubsPlus+] Series no Chill - S02E01v2 (NF WEB 1080p AVC AAC).mkv", "Series no Chill", 2,
     [1], "", _SONARR + "SingleEpisodeParserFixture"),
    ("Series.Title.S06E01b.Fade.Out.Fade.in.Part.2.1080p.DSNP.WEB-DL.AAC2.0.H.264-FLUX.mkv",
     "Series Title", 6, [1], "", _SONARR + "SingleEpisodeParserFixture"),
    ("Anime Title - S01E01v2 - (BD 1080p HEVC FLAC) [Dual Audio] [Group].mkv", "Anime Title", 1,
     [1], "", _SONARR + "AnimeVersionFixture"),
    ("[Commie]_Some_Anime_Show_-_15_[E76552EA].mkv", "Some Anime Show", "", [], "",
     _SONARR + "AbsoluteEpisodeNumberParserFixture", [15]),
    ("[HatSubs] Anime Title 1004 [E63F2984].mkv", "Anime Title", "", [], "",
     _SONARR + "AbsoluteEpisodeNumberParserFixture", [1004]),
    ("Series Title - 100 - Mest.mkv", "Series Title", "", [], "",
     _SONARR + "AbsoluteEpisodeNumberParserFixture", [100]),
    ("Series Title - 130 - Found You, Gohan! Harsh Training in the Kaioshin Realm! [Baaro][720p]"
     "[5A1AD35B].mkv", "Series Title", "", [], "", _SONARR + "AbsoluteEpisodeNumberParserFixture",
     [130]),
    ("Abc x Abc (2011) - 141 - Magician [KaiDubs] [1080p].mkv", "Abc x Abc", "", [], "",
     _SONARR + "AbsoluteEpisodeNumberParserFixture", [141]),
    ("Abc - Abc Abc Abc - 107 VOSTFR par Fansub-Miracle Sharingan (1920x1080) - HQ_Draft.mkv",
     "Abc - Abc Abc Abc", "", [], "", _SONARR + "AbsoluteEpisodeNumberParserFixture", [107]),
    ("[DeadFish] Series Title - 09v2 [720p][AAC].mkv", "Series Title", "", [], "",
     _SONARR + "AbsoluteEpisodeNumberParserFixture", [9]),
    ("[SubsPlease] Anime Title - 01v2 (1080p) [B1F227CF].mkv", "Anime Title", "", [], "",
     _SONARR + "AnimeVersionFixture", [1]),
    ("[Judas] Some Anime Show - 091-123 [1080p][HEVC x265 10bit][Dual-Audio][Multi-Subs].mkv",
     "Some Anime Show", "", [], "", _SONARR + "AbsoluteEpisodeNumberParserFixture",
     list(range(91, 124))),
    ("[Moxie] One Series - The Country (892-916) (BD Remux 1080p AAC FLAC) [Dual Audio].mkv",
     "One Series - The Country", "", [], "", _SONARR + "AbsoluteEpisodeNumberParserFixture",
     list(range(892, 917))),
    ("Series/Season 2 - Total Series Action/01. Total Series Action - Episode 1 - Monster Cash.mkv",
     "Series", 2, [1], "", _SONARR + "PathParserFixture"),
    # Sonarr's file names of several episodes: its default format, titles joined by " + " and
    # "Part 1 + Part 2" kept whole (OrganizerTests/FileNameBuilderTests/EpisodeTitleCollapseFixture)
    ("Show - S01E01-E02 - Part 1 + Part 2 WEBDL-1080p.mkv", "Show", 1, [1, 2], "",
     _SONARR_NAMES + "EpisodeTitleCollapseFixture"),
    ("Show - S01E01-E03 - Part 2 HDTV-720p.mkv", "Show", 1, [1, 2, 3], "",
     _SONARR_NAMES + "EpisodeTitleCollapseFixture"),
    ("Fleabag - S01E01-E02 - Episode 1 + Episode 2 WEBDL-1080p.mkv", "Fleabag", 1, [1, 2], "",
     _SONARR_NAMES + "EpisodeTitleCollapseFixture"),
    # a paired pilot of a public Star Trek upload (quoted in a media matcher's test suite)
    ("Star Trek ENT S01E01+E02 Broken Bow Pt 1 + Pt 2.mp4", "Star Trek ENT", 1, [1, 2], "",
     "upload Star Trek ENT"),
    ("Legend_Of_The_Seeker_S01E01&E02_2008_@nadithpro.mkv", "Legend of the Seeker", 1, [1, 2],
     "", "upload Legend of the Seeker"),
]  # fmt: skip

# guessit's own reading of these names is season + episode; the numbers are One Piece's
# absolute episodes (a bare 3-4 digit number after ` - ` outside a season folder: Sonarr's
# AbsoluteEpisodeNumberParserFixture, kodi-tv.md §6 point 3), so we expect them reported
GUESSIT_ABSOLUTE = {"One Piece - 102": [102], "One Piece - 720": [720]}


def guessit_rows() -> list[tuple]:
    source = Path(guessit.__file__).parent / "test" / "episodes.yml"
    data = _load(source.read_text(encoding="utf-8"))
    rows = []
    for key, expected in data.items():
        if key == "__default__" or not isinstance(expected, dict):
            continue
        if expected.get("type", "episode") != "episode" or "options" in expected:
            continue
        if any(k in expected for k in ("date", "absolute_episode", "episode_details", "part")):
            continue
        season, episode, title = (
            expected.get("season"),
            expected.get("episode"),
            expected.get("title"),
        )
        if not isinstance(season, int) or not isinstance(title, str):
            continue
        episodes = episode if isinstance(episode, list) else [episode]
        if not episodes or not all(isinstance(e, int) for e in episodes):
            continue
        for name in key if isinstance(key, list) else [key]:
            name = str(name)
            if name.startswith("-"):
                continue
            if name in GUESSIT_ABSOLUTE:
                rows.append((name, title, "", [], "", GUESSIT_ABSOLUTE[name]))
                continue
            rows.append((name, title, season, episodes, "", []))
    return rows


def _load(text: str) -> dict[str, dict]:
    """The subset of YAML episodes.yml uses: `? key`, then `: name: value` and indented
    `name: value` lines, values scalars, `[a, b]` lists or `- item` lines. (No PyYAML here.)"""
    entries: dict[str, dict] = {}
    current: dict | None = None
    last: str | None = None
    for line in text.splitlines():
        if line.startswith("? "):
            current = entries.setdefault(line[2:].strip(), {})
            last = None
            continue
        if current is None or not line.strip() or line.lstrip().startswith("#"):
            continue
        body = line[2:] if line.startswith((": ", "  ")) else line
        if body.lstrip().startswith("- ") and last is not None:
            if not isinstance(current.get(last), list):
                current[last] = []
            current[last].append(_scalar(body.lstrip()[2:]))
            continue
        if body.startswith(" ") or ":" not in body:
            continue
        name, _, value = body.partition(":")
        last = name.strip()
        current[last] = _scalar(value.strip()) if value.strip() else None
    return entries


def _scalar(value: str):
    if value.startswith("[") and value.endswith("]"):
        return [_scalar(v.strip()) for v in value[1:-1].split(",") if v.strip()]
    if value.isdigit():
        return int(value)
    return value.strip("'\"")


def _joined(numbers: list[int]) -> str:
    return ",".join(map(str, numbers))


def main() -> None:
    rows = [("path", "show_title", "season", "episodes", "aired", "source", "absolute")]
    for path, season, episodes, aired in KODI_ROWS:
        rows.append((path, "Show", str(season), _joined(episodes), aired, "kodi-tv.md", ""))
    for path, title, season, episodes, aired, source, *absolute in RELEASE_ROWS:
        absolute = _joined(absolute[0]) if absolute else ""
        rows.append((path, title, str(season), _joined(episodes), aired, source, absolute))
    for path, title, season, episodes, aired, absolute in guessit_rows():
        rows.append(
            (path, title, str(season), _joined(episodes), aired, "guessit", _joined(absolute))
        )
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(rows)
    print(f"{len(rows) - 1} names written to {OUT}")


if __name__ == "__main__":
    main()
