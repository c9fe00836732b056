"""Rebuild episode_corpus.tsv: real episode names with the season and episode numbers their
source gives. Run by hand (`python tests/tv/build_episode_corpus.py`); the TSV is committed.

Sources: guessit's own test data (`guessit/test/episodes.yml` in the installed package: every
entry of type episode with an int season and int or int-list episodes, no date and no options)
and the table of names in docs/tv.md (from the public Kodi, Jellyfin and guessit rules) (KODI_ROWS below, values from the guessit and Jellyfin columns),
and release names from Sonarr's parser tests (`src/NzbDrone.Core.Test/ParserTests/*Fixture.cs`,
RELEASE_ROWS below, the numbers Sonarr expects; `.mkv` added to a release name) that our
parser once read wrongly, and the names of the players' own naming tests (PLAYER_ROWS below):
Jellyfin's `tests/Jellyfin.Naming.Tests/TV/*.cs` (the numbers each asserts, with the whole
reading where a test asserts one number of it: `02x03 - 02x04 - 02x15` is episodes 3, 4 and
15) and Kodi's `xbmc/video/test/TestVideoInfoScanner.cpp` (EnumerateEpisodeItem's TestData).
A row we read otherwise than the player's test on purpose (docs/tv.md) says why in `differs`;
each such name is reported to the user or read with a warning (test_episode_names.py).
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

_JF = "jellyfin Jellyfin.Naming.Tests/TV/"
_KODI = "kodi xbmc/video/test/TestVideoInfoScanner.cpp"
_ABSOLUTE = "an absolute number: reported (docs/tv.md, kodi-tv.md §6 point 3)"
_RANGE = (
    "Jellyfin S{}E{} (its `1-12 episode title` rule), Kodi skips it: the double episode of its "
    "season folder, with a warning (docs/tv.md: `01-02` stays a double episode)"
)
_SEASONS = "Kodi {}: a name of several seasons is reported (docs/tv.md)"
# (path below the library root, show title, season, episodes, aired, source, absolute,
# differs): the names of Jellyfin's and Kodi's own parser tests, the numbers they assert
PLAYER_ROWS = [
    ("Season 02/S02E03 blah.avi", "Show", 2, [3], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/02x03 - 02x04 - 02x15 - Ep Name.mp4", "Show", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/01x02 blah.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/S01x02 blah.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/S01E02 blah.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/Elementary - 02x03-04-15 - Ep Name.mp4", "Elementary", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/S01xE02 blah.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/seriesname S01E02 blah.avi", "seriesname", 1, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/[HorribleSubs] Hunter X Hunter - 136 [720p].mkv", "Hunter X Hunter", "", [], "",
     _JF + "EpisodeNumberTests", [136], "Jellyfin S2E36, Kodi S1E36: " + _ABSOLUTE),
    # ` - 16` in a season folder: S2E16, and absolute 16 in a show in TheTVDB's absolute order
    # (docs/tv.md: `Season 2/Naruto - 08`)
    ("Season 2/Episode - 16.avi", "Show", 2, [16], "", _JF + "EpisodeNumberTests", [16], ""),
    ("Season 2/Episode 16.avi", "Show", 2, [16], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/Episode 16 - Some Title.avi", "Show", 2, [16], "", _JF + "EpisodeNumberTests",
     [], ""),
    ("Season 2/16 Some Title.avi", "Show", 2, [16], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/16 - 12 Some Title.avi", "Show", 2, [16], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/7 - 12 Angry Men.avi", "Show", 2, [7], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 4/Uchuu.Senkan.Yamato.2199.S04E03.avi", "Uchuu Senkan Yamato 2199", 4, [3], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Running Man/Running Man S2017E368.mkv", "Running Man", 2017, [368], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 25/The Simpsons.S25E09.Steal this episode.mp4", "The Simpsons", 25, [9], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/seriesname S01x02 blah.avi", "seriesname", 1, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/Elementary - 02x03 - 02x04 - 02x15 - Ep Name.mp4", "Elementary", 2, [3, 4, 15],
     "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/seriesname S01xE02 blah.avi", "seriesname", 1, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/02x03 - x04 - x15 - Ep Name.mp4", "Show", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/Elementary - 02x03 - x04 - x15 - Ep Name.mp4", "Elementary", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/02x03x04x15 - Ep Name.mp4", "Show", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/Elementary - 02x03x04x15 - Ep Name.mp4", "Elementary", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/02x03-04-15 - Ep Name.mp4", "Show", 2, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/02x03-E15 - Ep Name.mp4", "Show", 2, list(range(3, 16)), "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 02/Elementary - 02x03-E15 - Ep Name.mp4", "Elementary", 2, list(range(3, 16)), "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/Elementary - S01E23-E24-E26 - The Woman.mp4", "Elementary", 1, [23, 24, 26], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/S2009E23-E24-E26 - The Woman.mp4", "Show", 2009, [23, 24, 26], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x02 blah.avi", "Show", 2009, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/S2009x02 blah.avi", "Show", 2009, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/S2009E02 blah.avi", "Show", 2009, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/Elementary - 2009x03x04x15 - Ep Name.mp4", "Elementary", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x03x04x15 - Ep Name.mp4", "Show", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/Elementary - 2009x03-E15 - Ep Name.mp4", "Elementary", 2009,
     list(range(3, 16)), "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/S2009xE02 blah.avi", "Show", 2009, [2], "", _JF + "EpisodeNumberTests", [],
     ""),
    ("Season 2009/Elementary - S2009E23-E24-E26 - The Woman.mp4", "Elementary", 2009,
     [23, 24, 26], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/seriesname S2009xE02 blah.avi", "seriesname", 2009, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x03-E15 - Ep Name.mp4", "Show", 2009, list(range(3, 16)), "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/seriesname S2009E02 blah.avi", "seriesname", 2009, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x03 - 2009x04 - 2009x15 - Ep Name.mp4", "Show", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x03 - x04 - x15 - Ep Name.mp4", "Show", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/seriesname S2009x02 blah.avi", "seriesname", 2009, [2], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/Elementary - 2009x03-04-15 - Ep Name.mp4", "Elementary", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 2009/2009x03-04-15 - Ep Name.mp4", "Show", 2009, [3, 4, 15], "",
     _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/02 - blah-02 a.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 1/02 - blah.avi", "Show", 1, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/02 - blah 14 blah.avi", "Show", 2, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/02.avi", "Show", 2, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("Season 2/2. Infestation.avi", "Show", 2, [2], "", _JF + "EpisodeNumberTests", [], ""),
    ("The.Wonder.Years.S04.PDTV.x264-JCH/The Wonder Years s04e07 Christmas Party NTSC PDTV.avi",
     "The Wonder Years", 4, [7], "", _JF + "EpisodeNumberTests", [], ""),
    ("The Simpsons/The Simpsons.S25E08.Steal this episode.mp4", "The Simpsons", 25, [8], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [], ""),
    ("The Simpsons/The Simpsons - 02 - Ep Name.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/02.avi", "The Simpsons", "", [], "", _JF + "EpisodeNumberWithoutSeasonTests",
     [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/02 - Ep Name.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/02-Ep Name.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/02.EpName.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/The Simpsons - 02.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/The Simpsons - 02 Ep Name.avi", "The Simpsons", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [2], "Jellyfin E2, Kodi skips it: " + _ABSOLUTE),
    ("GJ Club (2013)/GJ Club - 07.mkv", "GJ Club", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [7], "Jellyfin E7, Kodi skips it: " + _ABSOLUTE),
    ("Case Closed (1996-2007)/Case Closed - 317.mkv", "Case Closed", "", [], "",
     _JF + "EpisodeNumberWithoutSeasonTests", [317],
     "Jellyfin and Kodi S3E17: a bare 3-4 digit number after ` - ` is " + _ABSOLUTE),
    ("Foo/Foo-S01E01.mkv", "Foo", 1, [1], "", _JF + "EpisodePathParserTest", [], ""),
    ("Foo - S04E011.mkv", "Foo", 4, [11], "", _JF + "EpisodePathParserTest", [], ""),
    ("Foo/Foo s01x01.mkv", "Foo", 1, [1], "", _JF + "EpisodePathParserTest", [], ""),
    ("Foo (2019)/Season 4/Foo (2019).S04E03.mkv", "Foo", 4, [3], "",
     _JF + "EpisodePathParserTest", [], ""),
    ("Season 1/seriesname 01x02 blah.avi", "seriesname", 1, [2], "",
     _JF + "EpisodePathParserTest", [], ""),
    # Jellyfin: no episode (EpisodePathParserTest_FalsePositivePixelRate); Kodi S1920E1080
    ("Series Special (1920x1080).mkv", "Series Special", "", [], "",
     _JF + "EpisodePathParserTest", [], ""),
    ("Season 1/4x01 – 20 Hours in America (1).mkv", "Show", 4, [1], "",
     _JF + "MultiEpisodeTests", [], ""),
    ("Season 2/02x03 - 04 Ep Name.mp4", "Show", 2, [3], "", _JF + "MultiEpisodeTests", [], ""),
    ("Season 2/My show name 02x03 - 04 Ep Name.mp4", "My show name", 2, [3], "",
     _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/S01E23-E24-E26 - The Woman.mp4", "Show", 1, [23, 24, 26], "",
     _JF + "MultiEpisodeTests", [], ""),
    ("Season 2009/seriesname 2009x02 blah.avi", "seriesname", 2009, [2], "",
     _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/02-03 - blah.avi", "Show", 1, [2, 3], "", _JF + "MultiEpisodeTests", [],
     _RANGE.format(2, 3)),
    ("Season 2/02-04 - blah 14 blah.avi", "Show", 2, [4], "", _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/02-05 - blah-02 a.avi", "Show", 1, [2, 3, 4, 5], "", _JF + "MultiEpisodeTests",
     [], _RANGE.format(2, 5)),
    ("Season 2/02-04.avi", "Show", 2, [2, 3, 4], "", _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/series-s09e14-1080p.mkv", "series", 9, [14], "", _JF + "MultiEpisodeTests", [],
     ""),
    ("Season 1/series-s09e14-720p.mkv", "series", 9, [14], "", _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/series-s09e14-720i.mkv", "series", 9, [14], "", _JF + "MultiEpisodeTests", [], ""),
    ("Season 1/MOONLIGHTING_s01e01-e04.mkv", "MOONLIGHTING", 1, [1, 2, 3, 4], "",
     _JF + "MultiEpisodeTests", [], ""),
    ("Show/Season 02/S02E03 blah.avi", "Show", 2, [3], "", _JF + "SeasonNumberTests", [], ""),
    ("The Simpsons/The Simpsons.S25E09.Steal this episode.mp4", "The Simpsons", 25, [9], "",
     _JF + "SeasonNumberTests", [], ""),
    ("2016/Season s2016e1.mp4", "Show", 2016, [1], "", _JF + "SeasonNumberTests", [], ""),
    ("anything/anything_1996.11.14.mp4", "anything", "", [], "1996-11-14",
     _JF + "DailyEpisodeTests", [], ""),
    ("anything/anything_1996-11-14.mp4", "anything", "", [], "1996-11-14",
     _JF + "DailyEpisodeTests", [], ""),
    ("james.corden.2017.04.20.anne.hathaway.720p.hdtv.x264-crooks.mkv", "James Corden", "", [],
     "2017-04-20", _JF + "DailyEpisodeTests", [], ""),
    ("ABC News 2018_03_24_19_00_00.mkv", "ABC News", "", [], "2018-03-24",
     _JF + "DailyEpisodeTests", [], ""),
    ("Jeopardy 2023 07 14 HDTV x264 AC3.mkv", "Jeopardy", "", [], "2023-07-14",
     _JF + "DailyEpisodeTests", [], ""),
    ("anything_s01e02.mp4", "anything", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("anything_s1e2.mp4", "anything", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("anything_s01.e02.mp4", "anything", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("anything_102.mp4", "anything", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("anything_1x02.mp4", "anything", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("The Walking Dead 4x01.mp4", "The Walking Dead", 4, [1], "", _JF + "SimpleEpisodeTests", [],
     ""),
    ("the_simpsons-s02e01_18536.mp4", "the simpsons", 2, [1], "", _JF + "SimpleEpisodeTests", [],
     ""),
    ("Temp/S01E02 foo.mp4", "Temp", 1, [2], "", _JF + "SimpleEpisodeTests", [], ""),
    ("Series/4x12 - The Woman.mp4", "Series", 4, [12], "", _JF + "SimpleEpisodeTests", [], ""),
    ("Series/LA X, Pt. 1_s06e32.mp4", "Series", 6, [32], "", _JF + "SimpleEpisodeTests", [], ""),
    ("[Baz-Bar]Foo - [1080p][Multiple Subtitle]/[Baz-Bar] Foo - 05 [1080p][Multiple Subtitle]"
     ".mkv", "Foo", "", [], "", _JF + "SimpleEpisodeTests", [5],
     "Jellyfin E5 (no season), Kodi skips it: " + _ABSOLUTE),
    ("The.Series.Name.S01E04.WEBRip.x264-Baz[Bar]/the.series.name.s01e04.webrip.x264-Baz[Bar]"
     ".mkv", "The Series Name", 1, [4], "", _JF + "SimpleEpisodeTests", [], ""),
    ("Love.Death.and.Robots.S01.1080p.NF.WEB-DL.DDP5.1.x264-NTG/Love.Death.and.Robots.S01E01."
     "Sonnies.Edge.1080p.NF.WEB-DL.DDP5.1.x264-NTG.mkv", "Love Death and Robots", 1, [1], "",
     _JF + "SimpleEpisodeTests", [], ""),
    ("[YuiSubs] Tensura Nikki - Tensei Shitara Slime Datta Ken/[YuiSubs] Tensura Nikki - Tensei "
     "Shitara Slime Datta Ken - 12 (NVENC H.265 1080p).mkv",
     "Tensura Nikki - Tensei Shitara Slime Datta Ken", "", [], "", _JF + "SimpleEpisodeTests",
     [12], "Jellyfin E12 (no season), Kodi S2E65 (`H.265`): " + _ABSOLUTE),
    ("Series/4-12 - The Woman.mp4", "Series", "", [], "", _JF + "SimpleEpisodeTests", [],
     "Jellyfin S4E12, guessit episodes 4 to 12, Kodi skips it: reported (docs/tv.md)"),
    ("The Simpsons/12.avi", "The Simpsons", "", [], "", _JF + "AbsoluteEpisodeNumberTests", [12],
     "Jellyfin absolute 12, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/The Simpsons 12.avi", "The Simpsons", "", [], "",
     _JF + "AbsoluteEpisodeNumberTests", [12], "Jellyfin absolute 12, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/The Simpsons 82.avi", "The Simpsons", "", [], "",
     _JF + "AbsoluteEpisodeNumberTests", [82], "Jellyfin absolute 82, Kodi skips it: " + _ABSOLUTE),
    ("The Simpsons/The Simpsons 112.avi", "The Simpsons", 1, [12], "",
     _JF + "AbsoluteEpisodeNumberTests", [],
     "Jellyfin absolute 112, Kodi S1E12: scene style as Kodi, with a warning (docs/tv.md)"),
    ("The Simpsons/Foo_ep_02.avi", "The Simpsons", 1, [2], "", _JF + "AbsoluteEpisodeNumberTests",
     [], ""),
    ("The Simpsons/The Simpsons 889.avi", "The Simpsons", 8, [89], "",
     _JF + "AbsoluteEpisodeNumberTests", [],
     "Jellyfin absolute 889, Kodi S8E89: scene style as Kodi, with a warning (docs/tv.md)"),
    ("foo.S02E03.mkv", "foo", 2, [3], "", _KODI, [], ""),
    ("foo.203.mkv", "foo", 2, [3], "", _KODI, [], ""),
    ("foo.Ep03.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("foo.Ep_03.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("foo.Part.III.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("foo.Part.3.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("foo.E03.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("foo.2009.E03.mkv", "foo", 1, [3], "", _KODI, [], ""),
    ("The Legend of Korra - S01E01-02 - Welcome to Republic City & A Leaf in the Wind.mkv",
     "The Legend of Korra", 1, [1, 2], "", _KODI, [], ""),
    ("foo.S01E01E02.mkv", "foo", 1, [1, 2], "", _KODI, [], ""),
    ("foo.S01E03E04E05.mkv", "foo", 1, [3, 4, 5], "", _KODI, [], ""),
    ("foo.S02E01-S02E02.mkv", "foo", 2, [1, 2], "", _KODI, [], ""),
    ("foo S02E01-bar-S02E02-bar.mkv", "foo", 2, [1, 2], "", _KODI, [], ""),
    ("foo S02E01-S02E02-S02E03.mkv", "foo", 2, [1, 2, 3], "", _KODI, [], ""),
    ("foo 2x01-2x02.mkv", "foo", 2, [1, 2], "", _KODI, [], ""),
    ("foo ep01-ep02.mkv", "foo", 1, [1, 2], "", _KODI, [], ""),
    ("foo S02E01-02-03.mkv", "foo", 2, [1, 2, 3], "", _KODI, [], ""),
    ("foo 2x01x02.mkv", "foo", 2, [1, 2], "", _KODI, [], ""),
    ("foo ep01-02.mkv", "foo", 1, [1, 2], "", _KODI, [], ""),
    ("foo.E03-05.mkv", "foo", 1, [3, 4, 5], "", _KODI, [], ""),
    ("foo.ep03-05.mkv", "foo", 1, [3, 4, 5], "", _KODI, [], ""),
    ("foo.ep03-ep05.mkv", "foo", 1, [3, 4, 5], "", _KODI, [], ""),
    ("foo.5x03-5x05.mkv", "foo", 5, [3, 4, 5], "", _KODI, [], ""),
    ("foo.S05E03-05.mkv", "foo", 5, [3, 4, 5], "", _KODI, [], ""),
    ("foo.S05E03-E05.mkv", "foo", 5, [3, 4, 5], "", _KODI, [], ""),
    ("foo.S05E03-S05E05.mkv", "foo", 5, [3, 4, 5], "", _KODI, [], ""),
    ("foo.S05E01-E03-E05.mkv", "foo", 5, [1, 3, 5], "", _KODI, [], ""),
    ("foo.S05E01-S05E03-S05E05.mkv", "foo", 5, [1, 3, 5], "", _KODI, [], ""),
    ("foo.S00E100S05E03E04E05.mkv", "foo", "", [], "", _KODI, [],
     _SEASONS.format("S00E100, S05E03-E05")),
    ("foo.S01E01E02S02E01.mkv", "foo", "", [], "", _KODI, [], _SEASONS.format("S01E01-E02, S02E01")),
    ("foo.S00E01-04S05E03-E06.mkv", "foo", "", [], "", _KODI, [],
     _SEASONS.format("S00E01-E04, S05E03-E06")),
    # Kodi's expected failures: no episode
    ("foo.S01E01-S02E03.mkv", "foo", "", [], "", _KODI, [], ""),
    ("foo.S01E03-S01E01.mkv", "foo", "", [], "", _KODI, [], ""),
    ("foo.S01E03-E01.mkv", "foo", "", [], "", _KODI, [], ""),
    ("foo.S00E01-04S01E01-S02E03.mkv", "foo", "", [], "", _KODI, [], _SEASONS.format("S00E01-E04")),
    ("foo.S01E03-S02E02S03E01-E04.mkv", "foo", "", [], "", _KODI, [],
     _SEASONS.format("S03E01-E04")),
    # EnumerateEpisodeItemByTitle: a special Kodi finds by its title in the episode guide
    ("foo.special.mp4", "foo", "", [], "", _KODI, [],
     "Kodi: a special by its title: no numbers, reported (docs/tv.md)"),
]  # fmt: skip

# guessit's own reading of these names is season + episode; the numbers are One Piece's
# absolute episodes (a bare 3-4 digit number after ` - ` outside a season folder: Sonarr's
# AbsoluteEpisodeNumberParserFixture, kodi-tv.md §6 point 3), so we expect them reported
GUESSIT_ABSOLUTE = {"One Piece - 102": [102], "One Piece - 720": [720]}
# guessit's reading of these names is neither player's: (season, episodes, absolute, differs)
# as Kodi and Jellyfin read them
GUESSIT_AS_PLAYERS = {
    "Eyes.Of.Dawn.1991.E01.480p.MBCVOD.AAC.x264-NOGPR.mp4": (
        1, [1], [], "guessit S1991E01; Kodi (TestVideoInfoScanner `foo.2009.E03.mkv`: S1E3) and "
        "Jellyfin S1E1: a year before `E01` is no season"),
    "Westworld.S02E03.720p.WEB-DL/sample/Westworld.S01E01.sample.mkv": (
        1, [1], [], "guessit S2E3 from the release folder; Kodi and Jellyfin read the file's own "
        "S01E01 (a sample: the scan leaves it out)"),
    # `- 07` in the season folder: S3E7, and absolute 7 in TheTVDB's absolute order (docs/tv.md)
    "Friends S03/Friends - 07 - The One.mkv": (3, [7], [7], ""),
}  # fmt: skip


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
                rows.append((name, title, "", [], "", GUESSIT_ABSOLUTE[name], ""))
                continue
            if name in GUESSIT_AS_PLAYERS:
                rows.append((name, title, *GUESSIT_AS_PLAYERS[name][:2], "",
                             *GUESSIT_AS_PLAYERS[name][2:]))  # fmt: skip
                continue
            rows.append((name, title, season, episodes, "", [], ""))
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
    rows = [("path", "show_title", "season", "episodes", "aired", "source", "absolute", "differs")]
    for path, season, episodes, aired in KODI_ROWS:
        rows.append((path, "Show", str(season), _joined(episodes), aired, "kodi-tv.md", "", ""))
    for path, title, season, episodes, aired, source, *absolute in RELEASE_ROWS:
        absolute = _joined(absolute[0]) if absolute else ""
        rows.append((path, title, str(season), _joined(episodes), aired, source, absolute, ""))
    for path, title, season, episodes, aired, source, absolute, differs in PLAYER_ROWS:
        rows.append(
            (path, title, str(season), _joined(episodes), aired, source, _joined(absolute), differs)
        )
    for path, title, season, episodes, aired, absolute, differs in guessit_rows():
        rows.append(
            (path, title, str(season), _joined(episodes), aired, "guessit", _joined(absolute),
             differs)
        )  # fmt: skip
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(rows)
    print(f"{len(rows) - 1} names written to {OUT}")


if __name__ == "__main__":
    main()
