"""Season and episode numbers from an episode file's name, never by a guess (docs/tv.md).

`parse_episode(file_name, show_title, season_folder, outer_folders)` reads the file name with
guessit (`type=episode`, the show folder's title as `expected_title`, so titles such as "9-1-1"
or "24" are not read as numbers). What it accepts:

- an explicit season and episode: `S01E02`, `s01.e02`, `S01xE02`, `1x02`, `Season 1 Episode 2`,
  also glued to a word (`grp-zoos01e11`, as Kodi reads it),
  `Show Season 2 - 03` (anime groups' form);
  multi-episode files `S01E01E02`, `S01E01-E03`, `S01E01-03`, `2x09-2x10`, `1x01-x03`,
  `S01E01 - E03`, `5x01 - x02` (a range: every number in it), `02x03 - x04 - x15` (a list),
  `S01E01+E02`, `S01E01 & E02`, `S01E01&E02` (guessit's; Kodi reads E01 alone: a warning says so);
  specials `S00E01`; a version or sub-episode letter after it (`S02E01v2`, `S06E01b`: S6E1);
  Sonarr's anime format `S01E08 - 008 - Title`, `S15E06-E07 - 100-101 - Title` (the season and
  episode number it, the absolute numbers are kept beside them for identify to check);
- `E02` / `ep02` without a season: the season folder's number (the file's folder, else the
  nearest season folder above it within the show's: `Season 2/Disc 1/Show - E05`, as Jellyfin
  reads it), else 1 (Kodi's rule; the BBC's
  `Series 2 Episode 3` is season 2, with a warning: Kodi skips it); the same
  for Kodi's `Part 2` / `Pt.VI` (mini-series) when the name has no season at all;
- an air date `2024-03-05` (daily shows), also from an obfuscated name's release folder: matched
  against the provider's air dates later; a second date right after it (`2024-01-09 -
  2024-01-10`, two airings in one file) is read by no player (Kodi, Jellyfin, Sonarr read the
  first): the first date's episode, with a warning that the second's would not appear;
- a bare number in a season folder (`Season 2/05 - Title`): that season, with a warning (Kodi
  skips such names), and scene-style `Show.501` (S5E01) when no season folder contradicts it
  (`Show - 501 - Title` outside a season folder is absolute, as Sonarr reads it).

What it reports, with the reason in `problem`, instead of mapping somewhere wrong:
absolute numbers (`Naruto - 001 - Title`, `Naruto - 130 - Title`, `[Grp] One Piece - 1050`:
Kodi reads S0E1 / S1E30 / S10E50; also an obfuscated name's anime release folder's,
`[SubsPlease] Show - 47 (1080p) [ABCD1234]/3f1b9c0a.mkv`, as Sonarr's ParsePath reads the
folder when the name parses not), a name of a whole season (`Show.S02.1080p`, `Show.Season.2`:
Sonarr's season pack, never episode 2),
a date that can be read two ways (`05.03.2024`), a range across seasons, a range of more than
50 episodes (Kodi's cap; found before guessit spends seconds listing it), a range that runs
backwards (`S01E03-E01`: Kodi after v21 skips it, Sonarr rejects it), and names with no
numbers at all (`Show - Special - Behind the Scenes`). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import pairwise
from pathlib import PurePath

from metarrd.identify.guess import guessit

_SEASON_EPISODE = re.compile(
    r"(?i)(?:s\d{1,4}[\s._x-]*e\d{1,4}|(?<![\dA-Za-z])\d{1,4}\s?[x×]\s?\d{1,3}(?!\d))"
)
# Kodi's first rule with a version or sub-episode letter after it (`S02E01v2`, `S06E01b`: S6E1),
# which guessit (type=episode) turns into an episode title without numbers
_SXE_SUFFIXED = re.compile(
    r"(?i)(?<![A-Za-z])s(\d{1,4})[\s._x-]*e(\d{1,4})(?:v\d{1,2}|[a-i])(?![\dA-Za-z])"
)
# `grp-zoos01e11-1080p`: S01E11 glued to a title (or group) word, which guessit reads as the title
_GLUED_SXE = re.compile(r"(?i)s\d{1,4}e\d{1,4}")
# an `&` between two episodes (`S01E01&E02`, `S03E14&S03E15`)
_GLUED_AMPERSAND = re.compile(r"(?i)(?<=\d)&(?=(?:s\d{1,4}[\s._]*)?e\d)")
# the season of every SxxEyy in a name (more than one: a file across seasons)
_SXE_SEASONS = re.compile(r"(?i)s(\d{1,4})[\s._x-]*e\d")
# `2x09-2x10`, `1x01-x03`, `[02x01-x02]`, `1x02-03-04`, `02x03-E15`: guessit (type=episode)
# drops or halves them (or stops one short); every number from the first to the last, as Sonarr
# and Jellyfin read them
_NX_RANGE = re.compile(
    r"(?i)(?<![\dA-Za-z])(\d{1,4})\s?[x×](\d{1,3})((?:-(?:\d{1,4}[x×]|[x×]|e)?\d{1,3})+)"
    r"(?![\dA-Za-z])"
)
# `02x03 - x04 - x15` (Jellyfin's MultiEpisodeTests): a list of three or more, as `02x03x04x15`
# and `02x03 - 02x04 - 02x15` are; guessit and Kodi read only the first. Two (`5x01 - x02`) are
# a range (`_SPACED_RANGE`)
_NX_SPACED_LIST = re.compile(
    r"(?i)(?<![\dA-Za-z])(\d{1,4})\s?[x×](\d{1,3})((?:[\s._]+-[\s._]+[x×]\d{1,3}){2,})(?![\dA-Za-z])"
)
# `2016x231`: a year-numbered season and its episode, which guessit reads as a screen size
_NX_YEAR_SEASON = re.compile(r"(?i)(?<![\dA-Za-z])((?:19|20)\d\d)\s?[x×]\s?(\d{1,3})(?![\dA-Za-z])")
_EPISODE_LIST = re.compile(
    r"(?i)(?:(?<![A-Za-z])s\d{1,4}[\s._]*e|(?<![\dA-Za-z])e|(?<![\dA-Za-z])ep)(\d{1,3})"
    r"((?:-(?:s\d{1,4}[\s._]*e|ep|e)?\d{1,3}){2,})(?![\dA-Za-z])"
)
# `S01E01 - E03`, `S42 Ep10 - Ep12`, `5x01 - x02`: a range, as `S01E01-E03` is (Jellyfin's
# multi-episode rule, Sonarr's first-to-last); guessit reads E1, E3, or `5x01` alone. Not a list
# of three (`E01 - E03 - E05`) nor `S01E01 - S01E03` (Sonarr's "Duplicate" style names each one)
_SPACED_RANGE = re.compile(
    r"(?i)(?:(?<![A-Za-z])s\d{1,4}[\s._x-]*(?:ep|e)|(?<![\dA-Za-z])\d{1,4}[x×])(\d{1,5})"
    r"[\s._]+-[\s._]+(?![xh]26[45])(ep|e|x)(\d{1,5})(?![\dA-Za-z])"
    r"(?![\s._]*-[\s._]*(?:ep|e|x|s\d{1,4}[\s._x-]*e)\d)"
)
_EPISODE_LIST_PART = re.compile(r"(?i)-(?:s\d{1,4}[\s._]*e|ep|e)?(\d{1,3})")
_NX_PART = re.compile(r"(?i)-(?:(\d{1,4})?[x×]|e)?(\d{1,3})")
# `Show Season 2 - 03`, `Show - S2 - 01` (Erai-raws and other anime groups): season 2 episode 3,
# which guessit reads as the seasons 2 to 3; a one-digit end (`Season 1 - 4`) stays a range
_SEASON_DASH_EPISODE = re.compile(
    r"(?i)(?<![A-Za-z])(?:season|saison|staffel|temporada|stagione|seizoen|sezon|сезон|s)"
    r"[\s._]*(\d{1,4})\)?[\s_]+-[\s_]+(\d{2,4})(?:v\d{1,2})?(?![\dA-Za-z])"
    # `Series 2nd Season - 01`
    r"|(?<![\dA-Za-z])(\d{1,2})(?:st|nd|rd|th)[\s._]+season[\s_]+-[\s_]+(\d{2,4})"
    r"(?:v\d{1,2})?(?![\dA-Za-z])"
)
# season and episode words guessit does not read (or reads only the episode of): Japanese
# `第2期 第12話`, `2期 12話`, Korean `시즌2 05화`, `시즌 2 제5회`, `시즌2.E07`, Arabic
# `الموسم 3 الحلقة 5`, `الموسم الثاني الحلقة 7` (an ordinal: "the second season"), also in
# Arabic-Indic digits (`الموسم ٣ الحلقة ٥`)
_ARABIC_ORDINALS = {
    "الأول": 1, "الاول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5,
    "السادس": 6, "السابع": 7, "الثامن": 8, "التاسع": 9, "العاشر": 10,
}  # fmt: skip
_SEASON_WORD = (
    r"(?:시즌\s*(\d{1,3})|(?<!\d)(\d{1,3})\s*期"
    r"|(?:ال)?موسم\s*(\d{1,3}|" + "|".join(_ARABIC_ORDINALS) + r"))(?![\d\w])"
)
_NAME_SEASON_WORD = re.compile(_SEASON_WORD)
_WORDED_SEASON_EPISODE = re.compile(
    _SEASON_WORD + r"[\s._\-]*"
    r"(?:第?\s*(\d{1,4})\s*[話话集]|(?:제\s*)?(\d{1,4})\s*[화회]|(?:ال)?حلقة\s*(\d{1,4})(?!\d))"
)
# a fansub's season in its title's bracket and the episode in the next one (`[不死者之王 第二季][01]`,
# `[Pokemon Horizons][第二季][01]`, `[Shingeki no Kyojin S2][01]`, `Title S02[07]`): guessit reads the season
# alone, and the episode was taken for an absolute number
_BRACKETED_EPISODE = re.compile(
    r"(?i)(?:第([0-9]{1,3}|[一二三四五六七八九十]{1,3})季|(?<![A-Za-z])(?:s|season\s*)(\d{1,3}))"
    r"\s*\]?\s*\[(\d{1,4})(?:v\d{1,2})?\]"
)
_WORDED_TITLE = re.compile(r"\d\s*[期話话集화회]|시즌|موسم|حلقة")
# a season's extras (`S03.Extras.02`, `S02 Bonus 1`, `S01.Deleted.Scenes`): no episode number
_SEASON_EXTRA = re.compile(
    r"(?i)(?<![A-Za-z])s\d{1,4}[\s._-]+(?:extras?|bonus|featurettes?|deleted[\s._-]?scenes"
    r"|behind[\s._-]the[\s._-]scenes)(?:[\s._-]+\d{1,3})?(?![\dA-Za-z])"
)
# a season word or token next to a number: then guessit's season and episode are the name's own
_SEASON_TOKEN = re.compile(
    r"(?i)(?:(?<![A-Za-z])(?:season|saison|staffel|temporada|temp|tem|stagione|sezon|series"
    r"|seizoen|сезон|säsong|sesong|sæson|s)[\s._-]*\d{1,4}(?!\d)|第.{1,3}季|シーズン\s?\d|시즌\s?\d"
    # Spanish `T02E22`, `T01XE08` (temporada); a number before its season word: Turkish
    # `2.Sezon`, German `2. Staffel`, Russian `2 сезон`, `5-й сезон`, Hungarian `2. évad`
    r"|(?<![A-Za-z])t\d{1,4}(?=x?e\d)"
    r"|(?<![\dA-Za-z])\d{1,4}(?:\.|-?(?:й|го|я))?[\s._]*(?:sezon|staffel|сезон|évad)(?![A-Za-z]))"
)
# a season word and its number (`S02`, `Season.2`, `Saison3`, `Series 1`, `S 01`), no dash
# between them (`Season - 01` is anime's episode 1)
_SEASON_NUMBER = re.compile(
    r"(?i)(?<![A-Za-z])(?:season|saison|staffel|temporada|temp|stagione|sezon|series|seizoen"
    r"|сезон|s)[\s._]*\d{1,4}(?!\d)"
)
# a DVD's number (`Disc 2`, `Disk 1`, `DVD.3`, `D1`, `CD1`): one file per disc, no episode
_DISC = re.compile(r"(?i)(?<![A-Za-z])(?:disc|disk|dvd|cd|d)[\s._-]*(\d{1,2})(?![\dA-Za-z])")
_DISC_BEFORE = re.compile(r"(?i)(?<![A-Za-z])(?:disc|disk|dvd|cd|d)[\s._-]*$")
# the BBC's season word (`Series 2`), which guessit takes for the episode title
_SERIES_WORD = re.compile(r"(?i)(?<![A-Za-z])series[\s._]*(\d{1,2})(?![\dA-Za-z])")
_BIT_DEPTH = re.compile(r"(?i)[\s._-]?bits?(?![A-Za-z])")
_EPISODE_ONLY = re.compile(r"(?i)(?:^|[\s._\-\[(])(?:e|ep|episode)[\s._-]?\d{1,4}(?![\d])")
# an episode marker and its number, with the range or list it starts (`E03`, `Ep01-02`,
# `E03-E04`, `E01E02`, `Episode 3`)
_EPISODE_MARKED = re.compile(
    r"(?i)(?:^|(?<=[\s._\-\[(]))(?:e|ep|episode)[\s._-]?\d{1,4}(?!\d)"
    r"(?:(?:[\s._]*[-~&+][\s._]*(?:ep|e)?|[\s._-]?(?:ep|e))[\s._]*\d{1,4}(?!\d))*"
)
# `2 - 05` right after the show's title (`Shingeki no Kyojin 2 - 05 (1080p)`): a season's or a
# sequel's number, then the episode
_NUMBER_DASH_NUMBER = re.compile(r"^[\s._]*([1-9]\d?)[\s_]+-[\s_]+(\d{1,4})(?![\dA-Za-z])")
# a number standing alone (`Apollo 18`, `Studio 60`)
_TITLE_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{1,4})(?![\dA-Za-z])")
# `Episode 21 - 94 Meetings`, `E21 - 100 Days`, `Ep01-02 - 3 Days`: episodes without a season,
# then a title that starts with a number (guessit reads episodes 21 and 94, 21 and 0, 1 to 3;
# Kodi and Jellyfin read 21)
_EPISODE_THEN_TITLE_NUMBER = re.compile(
    r"(?i)(?:^|[\s._\-\[(])(?:e|ep|episode)[\s._-]?(\d{1,4})((?:-?(?:ep|e)?\d{1,4})*)"
    r"[\s._]+-[\s._]+(\d{1,4})[\s._]+(?=[^\W\d_])"
)
# the numbers and separators right after a name's SxxEyy (`-E03`, `E02`, ` - S01E03`, `.S01E02`,
# ` - 100`; a marked number after the words and signs guessit joins episodes with: `+E02`,
# ` & E02`, ` to E03`, `,E02`): what follows them is the episode title
_AFTER_NUMBERS = re.compile(
    r"(?i)(?:(?:[\s._-]*(?:s\d{1,4}[\s._x-]*e|ep|e|x)?|[\s._]*(?:[+&,]|and|to)[\s._]*"
    r"(?:s\d{1,4}[\s._x-]*e|\d{1,4}[x×]|ep|e|x))\d{1,4}(?![\dA-Za-z]))*[\s._-]*"
)
_JOINER = re.compile(r"(?i)[\s._]*(?:[+&,]|and|to)[\s._]*")
# the episode numbers among them (not the season's: `S01` of `S01E02-E03`)
_OWN_EPISODES = re.compile(r"(?i)(?<![s\d])(\d{1,4})")
# an episode or part marker in an episode title (`The E10 Incident`, `Title, Part 2 of 3`)
_TITLE_MARK = re.compile(r"(?i)(?<![^\W_])(?:ep|e|p(?:ar)?t)[\s._]?(\d{1,4})(?![\dA-Za-z])")
_RELEASE_TAGS = re.compile(
    r"(?i)[\s._\[(-]+(?:\d{3,4}[pi]|web[\s._-]?(?:dl|rip)?|webdl|[hs]dtv|blu-?ray|bdrip|dvd(?:rip)?"
    r"|[xh]\.?26[45]|hevc|remux|proper|repack)(?![A-Za-z])"
)
# Kodi's `Part`/`Pt` rule (`Part 2`, `Pt.VI`, `Part.1`): one separator before the number, one
# or the end after it; season 1 (default season), as in Kodi, Jellyfin and Sonarr's mini-series
_PART = re.compile(r"(?i)(?:^|[\s._-])p(?:ar)?t[\s._-](\d{1,3}|[ivx]{1,6})(?=[\s._-]|$)")
# `Title (Part 2)`: a part of the episode's title, no episode number (Kodi's Part rule wants a
# separator before the word and reads none; Sonarr reads none)
_PART_BEFORE = re.compile(r"(?i)(?<![A-Za-z])p(?:ar)?t[\s._-]*$")
_ROMAN = {"i": 1, "v": 5, "x": 10}
# the part right after a daily show's date (Sonarr's DailyPart: `2015.09.07.Part1`, `Part.2`;
# also `Part 2`, `pt2`, `Pt.II`); not a stack's `cd1`, a file of one episode
_DAILY_PART = re.compile(
    r"(?i)^[\s._-]*p(?:ar)?t[\s._-]*(\d{1,2}(?![\dA-Za-z])|[ivx]{1,6}(?=[\s._-]*(?:$|[\[(]"
    r"|\d{3,4}[pi]|web|hdtv|[xh]\.?26)))"  # a roman part only before release tags: `Pt I Think`
)
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[.\-_ ](\d{2})[.\-_ ](\d{2})(?!\d)")
# a second air date right after the first (`Show - 2024-01-09 - 2024-01-10 - Guests`): a file of
# two airings, of which Kodi (no multi-episode loop for a date), Jellyfin and Sonarr read the first
_NEXT_DATE = re.compile(
    r"[\s._]*(?:[-&+~]|and|to)?[\s._]*(\d{4})[.\-_ ](\d{2})[.\-_ ](\d{2})(?!\d)"
)
# `20240305`: a date without separators, which neither Kodi nor guessit reads in a name
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")
_OTHER_DATE = re.compile(r"(?<!\d)(\d{1,2})[.\-_ ](\d{1,2})[.\-_ ](\d{4})(?!\d)")
# what follows a season's number after a dash and is no other season: a year, a video height,
# an ordinal (`Season 1 - 2019`, `Season 03 - 720p`, `Season 2 - 2nd Half`)
_NO_SEASON_AFTER = r"(?!(?:19|20)\d\d(?!\d)|\d{3,4}[pi]|\d{1,2}(?:st|nd|rd|th))"
# `Season 2`, `S02`, `Staffel 2`, `Сезон 2`, also with a suffix: `Season 2 (2019)`, `Season 02
# [1080p]`, `Season 2 - The Return`, or in brackets: `Show [S04][1080p]` (Jellyfin reads them);
# not `Season 1-3`, `S01-S03` (several seasons)
_SEASON_FOLDER = re.compile(
    r"(?i)(?:^|[\s._\-\[])(?:season|series|staffel|saison|temporada|seizoen|stagione|сезон|시즌"
    r"|シーズン|sæson|säsong|seasong|sezon|sezona|sezóna|sezonul|série|séria|serie|seria|kausi|s)"
    r"[\s._-]*(\d{1,4})(?:$|(?![\s._]*[-&+~][\s._]*" + _NO_SEASON_AFTER + r"\d)(?=[\s._\-\[(\]]))"
)
# `S01-S03`, `Season 1 - Season 3`: a pack of several seasons (the form `Season 1-3` is above)
_SEASONS_FOLDER = re.compile(
    r"(?i)(?<![A-Za-z])(?:s|seasons?)[\s._]*\d{1,4}[\s._]*[-&+~][\s._]*(?:s|season)[\s._]*\d"
)
# the number before the season word (German `3. Staffel`, `3.Staffel`, Turkish `2. Sezon`,
# Russian `2 сезон`, Hungarian `2. évad`, Danish `1. sæson`, Swedish `1:a säsongen`)
_NUMBER_FIRST_SEASON = re.compile(
    r"(?i)^(\d{1,3})(?:\.|:a|-?(?:й|го|я))?[\s._-]*(?:staffel|sezon|сезон|évad|sæson|säsong(?:en)?)"
    r"(?:[\s._-]*[(\[].*)?$"
)
_SPECIALS_FOLDER = re.compile(r"(?i)^(?:specials?|extras? specials?)$")
_CJK_SEASON = re.compile(r"第([0-9]{1,3}|[一二三四五六七八九十]{1,3})季$")
_CJK_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
# one episode, nothing after the title but separators, and only a title after it
_FAST = re.compile(r"^[\s._-]*[Ss](\d{1,2})[Ee](\d{1,3})(?:[\s._]+-[\s._]+([^\d\[\]()]*))?$")
# Sonarr's `{Quality Full}` without a digit, after the title of its default format (`Show -
# S01E01 - The Train Job DVD`): its qualities `SDTV`, `DVD`, `Raw-HD` (Quality.cs), then
# `Proper` and `REAL` (FileNameBuilder GetQualityProper, GetQualityReal), spelled so
_FAST_QUALITY = re.compile(r"(?:^|\s+)(?:SDTV|DVD|Raw-HD)(?:\s+Proper)?(?:\s+REAL)?\s*$")
# a number alone, with a release version (`004v2`) and the end of a range (`002-003`, `01~02`,
# `01 ~ 02` as anime groups write it, and the last of a list: `01-02-03`); not a month
# (`10月新番`, "October's new shows" in fansub names)
_BARE_NUMBER = re.compile(
    r"(?<![\dA-Za-z])(\d{1,4})(?:v\d{1,2})?"
    r"(?:(?:-\d{1,4}(?:v\d{1,2})?)*(?:-|\s?~\s?)(\d{1,4})(?:v\d{1,2})?)?(?![\dA-Za-z月])"
)
# video codecs and audio channels (`H.264`, `H 265`, `AAC2.0`, `DD5 1`, `AC3 2.0`): never episode
# numbers, although `.264-` fits Kodi's "foo.103" rule (S2E64)
_CODEC_NUMBERS = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:[hx][\s._-]?26[45]|(?:aac|e?ac-?3|ddp?|dd\+|dts(?:-?hd)?|truehd|atmos"
    r"|flac|opus|l?pcm|mp3)[\s._-]?[1-9][\s._][0-2])(?!\d)"
)
# a release group before the name (`[Grp] Show - 01`); not a name wholly in brackets (`[ Show S02E10
# 1080p ]`, a release name guessit reads)
_GROUP_PREFIX = re.compile(r"^\[[^\]]+\](?=.*?[^\W_])")
# `4-12`, `04-12`: a season and its episode joined by a dash (Jellyfin's "1-12 episode title")
_SEASON_EPISODE_DASH = re.compile(r"\d{1,2}-\d{2,3}")
# ` - ` right before a number: `Show - 130 - Title`
_DASHED = re.compile(r"(?:^|[\s_])-[\s_]*$")
# a release's CRC32 tag (`[E5A3B2C1]`): never a number, although `[E5` looks like episode 5
_CRC_TAG = re.compile(r"[\[(](?=[0-9A-F]*[A-F])[0-9A-F]{8}[\])]", re.IGNORECASE)
_ID_TAGS = re.compile(r"\s*[{\[][a-z]+(?:id)?[-=][\w]+[}\]]", re.IGNORECASE)
# a season or episode marker before a number (guessit's markers and season words)
_MARK = (
    r"(?:s\d{1,4}[\s._-]*(?:xe|ex|ep|e|x)|\d{1,4}[x×]|(?:episodes?|ep|e|x|×|seasons?|saison"
    r"|staffel|temporada|seizoen|stagione|sezon|сезон|s))[\s._]*"
)
# two marked numbers joined by a range separator guessit expands (`E01-E9999`, `S01-S9999`,
# `1x01 to 1x9999`, `S01E01-S99E01`, `E01-9999`): found before guessit spends seconds listing
# them; a lookahead, so `E01-E02-E9999` is seen pair by pair. A video height (`-720p`, `-1080i`)
# ends no range
_RANGE = re.compile(
    rf"(?i)(?=(?<![^\W_])(?![xh]26[45])({_MARK})(\d+)"
    rf"([\s._]*[-~][\s._]*|[\s._]+(?:to|a)[\s._]+)(?![xh]26[45])({_MARK})?(\d+)(?![\dpi]))"
)
_MARK_SEASON = re.compile(r"(?i)^s?(\d+)")
# an episode title TheTVDB gives many shows (`Episode 1`), after a name's own numbers and ` - `
_TITLE_EPISODE = re.compile(r"(?i)^episode[\s._]+$")
_SEASON_MARK = re.compile(
    r"(?i)^(?:s|seasons?|saison|staffel|temporada|seizoen|stagione|sezon|сезон)[\s._]*$"
)
MAX_RANGE = 50  # Kodi's cap on a multi-episode range (kodi-tv.md §1.1, PR #27049)
# video heights (`720` where `720p` was meant): an episode number only when nothing else can be
_RESOLUTIONS = {"480", "576", "720", "1080", "2160"}
_RELEASE_WORDS = {"1080p", "720p", "2160p", "480p", "576p", "x264", "x265", "h264", "h265"}
# a part number after an episode title (`(2)`, `, Part 1`, `Pt. 2`), then only release tags
_TITLE_PART = (
    r"(?:[\s._]*\(\d{1,2}\)|,?[\s._]+p(?:ar)?t[\s._]*\d{1,2})"
    r"(?=[\s._-]*(?:$|[\[(]|(?:\d{3,4}[pi]|web[\s._-]?(?:dl|rip)?|[hs]dtv|blu-?ray|bdrip|dvd(?:rip)?|[xh]\.?26[45])"
    r"(?![A-Za-z])))"
)
# the absolute number Sonarr's anime format puts before the episode title (`S01E01 - 001 -
# Title`), which guessit keeps in the title
_ABSOLUTE_TITLE = re.compile(r"\d{2,4}\s+-\s+(?=\S)")
# the absolute numbers Sonarr's anime formats put right after the season and episode (its
# naming presets `S{season:00}E{episode:00} - {absolute:000} - {Episode Title}`, `{season:0}x
# {episode:00} - {absolute:000}`, `S{season:00}E{episode:00}.{absolute:000}.{Episode.CleanTitle}`,
# and its tests' `[{absolute:000}]`), each multi-episode style's: `S01E08-E09 - 008-009 - `
# (range styles: the first and the last), `S01E08 - S01E09 - 008 - 009 - ` (Duplicate),
# `[100-101]`. A title follows ` - ` (Glee's `S05E12 - 100`, its 100th episode, is titled
# so); dotted, zero-padded only (`.008.`): a dotted title's number (`Stargate.SG-1.S02E21.1969`)
# is no absolute number
_PAIRED_ABSOLUTE = re.compile(
    r"(?i)(?:s\d{1,4}[\s._-]*e\d{1,4}|(?<![\dA-Za-z])\d{1,4}[x×]\d{1,3})"
    r"(?:(?:-?[ex]|-)\d{1,4})*(?![\dA-Za-z])"
    r"(?:(?P<dash>\s+-\s+\[?(?P<numbers>\d{2,4}(?:(?:-|\s+-\s+)\d{2,4})*)\]?)(?=\s+-\s+\S)"
    r"|(?P<dot>\.(?P<padded>0\d{2,3}(?:-\d{2,4})*))(?=\.))"
)
# a video height guessit leaves as the episode title (`-720i`: interlaced)
_HEIGHT_TITLE = re.compile(r"(?i)\d{3,4}[ip]")


# The rules `parse_episode` reads names by. Raise it with any change that reads some name
# otherwise: a scan then reads again the names of unchanged files read by older rules (not
# their streams), and a file whose reading changed is scanned again as a changed file
# (scan/tv.py `_reads_the_same`), so a library scanned before a fix gets it without a touch.
# Raise it too with a change that leaves out a name the TV walk took (`walk.is_episode_file`:
# a sample, an extra): the walk asks those rules only of files it does not know as episodes
# read by today's rules (scan/tv.py `known_episodes`).
NAME_RULES = 29


@dataclass(frozen=True)
class EpisodeName:
    """What the name says. `episodes` is empty for a by-date name (`aired` set) and for a name
    that `problem` explains; `warnings` are readings that work here but not in every player.
    `absolute` is an absolute-numbered name's number, or the numbers of its range (`002-003`:
    (2, 3)); `absolute_numbers` reads either, and either as stored in JSON. `part` is the part
    right after a by-date name's date (Sonarr's daily part: `Show.2015.09.07.Part1`, `Pt.2`):
    which of the episodes aired that date, when there are several. `paired_absolute` are the
    absolute numbers written beside the season and episode (Sonarr's anime format `S01E08 -
    008 - Title`), one per episode: they number nothing, identify checks that they name the
    same episodes (`_Guide.absolute_disagrees`)."""

    season: int | None = None
    episodes: tuple[int, ...] = ()
    aired: str | None = None
    absolute: int | tuple[int, ...] | None = None
    paired_absolute: tuple[int, ...] = ()
    episode_title: str | None = None
    problem: str | None = None
    warnings: tuple[str, ...] = field(default=())
    part: int | None = None  # a by-date name's part (`2015.09.07.Part2`): the date's 2nd episode

    @property
    def ok(self) -> bool:
        return self.problem is None


# `S01E02`, `s01.e02`, `1x02` in a film's file name (not `1920x1080`, not `DTS-HD.MA.5.1`,
# not a film's title followed by its year: `10x10 (2018)`, `10x10.2018.1080p`)
_EPISODE_MARKER = re.compile(
    r"(?i)(?<![A-Za-z\d])(?:s\d{1,2}[\s._-]?e\d{1,3}"
    r"|\d{1,2}x\d{2,3}(?![\s._-]*\(?(?:19|20)\d{2}(?!\d)))(?!\d)"
)


def episode_marker(path: PurePath) -> str | None:
    """What in the path of a file a movie library holds reads as a TV episode's: `S01E02` or
    `1x02` in its name, else the season folder holding it (`Season 1`, `Staffel 2`,
    `Specials`); None for a film's. A TV show's files in a library without `kind = "tv"`."""
    if m := _EPISODE_MARKER.search(path.name):
        return m.group(0)
    parent = path.parent.name
    return parent if parent and season_of_folder(parent) is not None else None


def absolute_order_hint(show_id: int) -> str:
    """What a problem of an absolute-numbered name (`Naruto - 001`) adds: the show's episode
    order that reads it (TheTVDB's absolute numbering), and where to choose it."""
    return (
        "; or switch the show's episode order to absolute (TheTVDB's absolute numbering): "
        f"`metarrd tv order {show_id} absolute` or the show page"
    )


def absolute_numbers(value: int | list[int] | tuple[int, ...] | None) -> tuple[int, ...]:
    """`EpisodeName.absolute` (or the list JSON made of it) as a tuple: 8 -> (8,), None -> ()."""
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    return tuple(int(v) for v in value)


def season_of_folder(name: str, numeric: bool = False) -> int | None:
    """`Season 1`, `Season 01`, `S2`, `Staffel 3`, `3. Staffel`, `Сезон 2`, `Sezon 2`, `Kausi 2`,
    `시즌 2`, `Season 2 (2019)` → the number (Jellyfin's season words);
    `Specials` → 0; a number alone (`2`, `01`) when `numeric`, for a folder right in the show
    folder (Jellyfin's numeric season folders: `Seinfeld/2` is season 2); else None."""
    name = name.strip()
    if _SPECIALS_FOLDER.match(name):
        return 0
    if numeric and re.fullmatch(r"\d{1,4}", name):
        return int(name)
    m = None if _SEASONS_FOLDER.search(name) else _SEASON_FOLDER.search(name)
    if m:
        return int(m.group(1))
    m = _NUMBER_FIRST_SEASON.match(name)
    if m:
        return int(m.group(1))
    m = _CJK_SEASON.search(name)
    return _cjk_number(m.group(1)) if m else None


def names_no_season(name: str, number: int | None) -> bool:
    """Whether a season name is only the season's default in some language: "Season 1",
    "Staffel 01" (tinyMediaManager's and Kodi's German default), "Specials", "第2季"; not
    "Season 1 - The Beginning", a name of the user's own. Such a name is no name: scan locks
    none, and publish writes none into `season.nfo` (Jellyfin shows its own default there)
    but in a folder named for another number (a daily show's `Season 2024`)."""
    name = name.strip()
    if number is None or season_of_folder(name) != number:
        return False
    if _SPECIALS_FOLDER.match(name):
        return True  # "Specials": season 0's default
    return name.endswith("季") or re.fullmatch(r"\D*\d+", name) is not None


def _cjk_number(text: str) -> int:
    """1-99 in digits or Chinese numerals (二 2, 十一 11, 二十三 23)."""
    if text.isdigit():
        return int(text)
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return _CJK_DIGITS.get(text, 0)
    return _CJK_DIGITS.get(tens, 1) * 10 + _CJK_DIGITS.get(ones, 0)


def show_title(folder_name: str) -> str:
    """The show folder's title for matching names and searching: id tags dropped, and what
    follows the year (`Show (2019) [1080p]`, `Band of Brothers (2001) - Complete`), as Kodi's
    CleanString reads a show folder; a season pack's release name (`Breaking.Bad.S01-S05.1080p.
    BluRay.x264-ROVERS`) up to its seasons or first quality tag, its dots as spaces; a show's
    years (`Friends (1994-2004)`) are its first year."""
    untagged = _first_year(_ID_TAGS.sub("", folder_name).strip())
    title = re.sub(r"\s*[(\[]\d{4}[)\]]\s*$", "", untagged).strip()
    year = _SHOW_YEAR.match(title)
    if year and year.end() == len(title) and title != untagged:
        year = None  # `Space 1999 (1975)`: the bracketed year was the show's
    tag = _SHOW_TAGS.search(title[: year.end(1)] if year else title)
    cut = tag.start() if tag and tag.start() > 0 else year.end(1) if year else None
    if cut is not None:
        title = title[:cut].strip(" _-")
        if " " not in title and _DOTTED_WORDS.search(title):  # not "S.W.A.T."
            title = re.sub(r"[._]+", " ", title).strip()
    return title or folder_name


def episode_folders(path: PurePath, show_dir: PurePath) -> tuple[str | None, tuple[str, ...]]:
    """The arguments `parse_episode` takes of an episode file's place in its show folder: the
    folder holding it (None in the show folder itself) and the folders between the two, nearest
    first (`Show/Season 2/Disc 1/x.mkv`: "Disc 1", ("Season 2",)); never the show folder nor any
    above it."""
    try:
        parts = path.parent.relative_to(show_dir).parts
    except ValueError:  # not below it: its folder alone, as it was read before
        return path.parent.name, ()
    return (parts[-1], tuple(reversed(parts[:-1]))) if parts else (None, ())


def parse_episode(
    file_name: str,
    show_title: str | None = None,
    season_folder: str | None = None,
    outer_folders: tuple[str, ...] = (),
    *,
    alone: bool = True,
) -> EpisodeName:
    """Read season, episodes or air date from an episode's file name (see the module text).
    `season_folder` is the name of the folder holding the file when it is below the show
    folder (None when the file sits in the show folder itself); `outer_folders` the folders
    between that one and the show folder, nearest first (`episode_folders`): when the file's
    folder is no season's (`Season 2/Disc 1/`, `Season 02/Show.1080p.WEB-DL/`), the nearest
    season folder among them is the file's (Jellyfin: an episode's season is its nearest
    Season parent; Kodi reads no folder: its warning says so). `alone`: the file is the only
    episode video in its folder; a numberless name takes an anime release folder's absolute
    number only then (`FOLDER_NUMBERS`), as Sonarr's ShouldUseFolderName: in a folder of
    several (`NCOP.mkv`, `NCED.mkv` beside the episode), it is no one file's."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", file_name)
    folders = (season_folder, *outer_folders) if season_folder else ()
    # the folder right in the show folder may be named by its number alone (`Show/2/`)
    seasons = [season_of_folder(f, numeric=i == len(folders) - 1) for i, f in enumerate(folders)]
    named = [(f, n) for f, n in zip(folders, seasons, strict=True) if n is not None]
    if any(n == 0 for _f, n in named) and any(n for _f, n in named):
        return _specials_in_a_season(file_name, show_title, named[0], named[-1])
    folder_season = named[0][1] if named else None
    # the season folder above the file's, when that one gives none
    outer_season = named[0][0] if named and named[0][0] != season_folder else None
    bad = _range_problem(_without_title(stem, show_title), file_name)
    if bad:  # before guessit, which takes seconds to list E01-E9999
        return EpisodeName(problem=f"{file_name}: {bad}")
    paired = _with_paired_absolute(file_name, stem, show_title, season_folder, outer_folders)
    if paired is not None:
        return paired
    fast = _FAST.match(_without_title(stem, show_title)) if show_title else None
    if fast:  # "<Show> - S01E02 - Title": the common form, without guessit's cost
        season, episode, rest = int(fast.group(1)), int(fast.group(2)), fast.group(3)
        rest = _FAST_QUALITY.sub("", rest or "").strip()
        return _numbered(file_name, season, [episode], rest or None, folder_season)
    options: dict = {"type": "episode"}
    if show_title:
        options["expected_title"] = [show_title]
    # `S01E01&E02`: guessit reads the numbers joined by a spaced `&` only (as Kodi reads S01E01)
    guess = guessit(_GLUED_AMPERSAND.sub(" & ", file_name), options)
    title = _text(guess.get("episode_title"))
    if show_title and _SEASON_EPISODE.match(stem.lstrip(" ._-")):
        # `S01E01 The Holy Trinity` (no show title before the numbers): guessit reads what
        # follows as the show's title, or cuts the show's out of it (`S00E01 Inside Breaking
        # Bad`: "Inside"); read without the show's title, it is the name's own
        alone = guessit(file_name, {"type": "episode"})
        title = _text(alone.get("episode_title") or alone.get("title")) or title
    if title and show_title and _show_in_title(stem, show_title, title):
        # `Breaking.Bad.S00E01.Inside.Breaking.Bad`: guessit cuts the show's title out of the
        # episode's ("Inside"); read without it, the whole title
        alone = _text(guessit(file_name, {"type": "episode"}).get("episode_title"))
        if alone and len(alone) > len(title) and alone.lower().startswith(title.lower()):
            title = alone
    title = _with_title_part(title, stem)
    if title and _SEASON_EPISODE.search(stem) and (anime_number := _ABSOLUTE_TITLE.match(title)):
        title = title[anime_number.end() :] or None  # Sonarr's anime format: `- 001 - Title`
    season = guess.get("season")
    episode = guess.get("episode")
    text = _without_title(stem, show_title)
    disc = None if _SEASON_EPISODE.search(text) else _DISC.search(text)
    if disc and _numbers(episode) == [int(disc.group(1))]:
        episode = None  # `Season 2 Disc 2`, `Season.2.DVD.3`: guessit's episode is the disc
    suffixed = _SXE_SUFFIXED.search(text) if episode is None else None
    if suffixed:
        season, episode = int(suffixed.group(1)), int(suffixed.group(2))
        if title and suffixed.group(0) in title:  # "S06E01b - Fade Out" -> "Fade Out"
            title = title.split(suffixed.group(0), 1)[1].strip(" ._-") or None

    glued = _GLUED_SXE.search(text) if episode is None and not suffixed else None
    retry = text[glued.start() :] + file_name[len(stem) :] if glued else file_name
    if retry != file_name:  # Kodi's first rule has no word boundary: read from the S onwards
        found = parse_episode(retry, None, season_folder, outer_folders)
        if found.ok and found.episodes:
            return found

    bracketed = _BRACKETED_EPISODE.search(text)
    if bracketed:  # `[不死者之王 第二季][01]`: season 2 episode 1
        cjk, latin, number = bracketed.groups()
        season_word = _cjk_number(cjk) if cjk else int(latin)
        return _numbered(file_name, season_word, [int(number)], title, folder_season)
    worded = _WORDED_SEASON_EPISODE.search(text)
    if worded:  # `第2期 第12話`: guessit's season 2 is read again as an absolute number 2
        season_word = _season_word_number(worded)
        episode_word = next(int(g) for g in worded.groups()[3:] if g)
        if title and (title == "第" or _WORDED_TITLE.search(title)):
            title = None  # guessit's title of the words themselves
        return _numbered(file_name, season_word, [episode_word], title, folder_season)
    dashed = _SEASON_DASH_EPISODE.search(text)
    if dashed:
        season = int(dashed.group(1) or dashed.group(3))
        episode = int(dashed.group(2) or dashed.group(4))
        return _numbered(file_name, season, [episode], title, folder_season)
    marked_seasons = sorted({int(n) for n in _SXE_SEASONS.findall(text)})
    if len(marked_seasons) > 1:  # `S00E01-04S05E03-E06`: guessit keeps the first season only
        season = marked_seasons
    if isinstance(season, list):
        return EpisodeName(problem=f"{file_name}: spans seasons {season}; split the file or name "
                                   "it with one season")  # fmt: skip
    nx = _NX_RANGE.search(text)
    if nx:
        first, start = int(nx.group(1)), int(nx.group(2))
        parts = [(int(a) if a else first, int(b)) for a, b in _NX_PART.findall(nx.group(3))]
        seasons = sorted({first, *(a for a, _b in parts)})
        if len(seasons) > 1:
            return EpisodeName(problem=f"{file_name}: spans seasons {seasons}; split the file "
                                       "or name it with one season")  # fmt: skip
        if parts[-1][1] > start:
            episodes = list(range(start, parts[-1][1] + 1))
            listed = [start, *(b for _a, b in parts)]
            if len(listed) > 2 and listed == sorted(set(listed)):  # `5x01-5x03-5x05`: a list
                episodes = listed
            return _numbered(file_name, first, episodes, title, folder_season)
    chain = _NX_SPACED_LIST.search(text)
    if chain:
        listed = [int(chain.group(2)), *(int(n) for n in re.findall(r"\d+", chain.group(3)))]
        if listed == sorted(set(listed)):
            rest = text[chain.end() :].strip(" ._-")  # guessit's title was of the chain's end
            title = (
                _text(guessit(f"{rest}.mkv", {"type": "episode"}).get("title")) if rest else None
            )
            return _numbered(file_name, int(chain.group(1)), listed, title, folder_season)
    explicit = _SEASON_EPISODE.search(text) or _season_token(text, season)
    extra = None if _SEASON_EPISODE.search(text) else _SEASON_EXTRA.search(text)
    if extra:  # `Show.S03.Extras.02`: guessit's S3E2, an extra Kodi skips and Sonarr leaves out
        return EpisodeName(problem=f"{file_name}: {extra.group(0).strip(' ._-')!r} is an extra "
                                   f"of the season, not an episode; {_kodi_reading(file_name)}. "
                                   "Move it into an Extras folder or name it as a special "
                                   "(S00E01)")  # fmt: skip
    episodes = _numbers(episode)
    token = None if _SEASON_EPISODE.search(text) else explicit
    if token is not None and episodes:
        # `Apollo 18 Season 2`, `Studio 60 Season 1 Episode 5`: a number before the season word
        # is the title's (guessit's episode 18, episodes 60 and 5); the episode follows it
        before = {int(n) for n in _TITLE_NUMBER.findall(text[: token.start()])}
        after = {int(n) for n in re.findall(r"\d+", text[token.end() :])}
        episodes = [e for e in episodes if e not in before or e in after]
    sxe = _SEASON_EPISODE.search(text) if len(episodes) > 1 else None
    if sxe:  # `S01E02 - The E10 Incident`: guessit's E10 is the title's (Kodi, Jellyfin: E02)
        start = _AFTER_NUMBERS.match(text, sxe.end()).end()
        inside = {int(n) for n in _TITLE_MARK.findall(text, start)}
        # the name's own episodes stay, whatever the title holds (`S01E01-E02 - Part 1 + Part 2`,
        # Sonarr's title of two episodes named "Part 1" and "Part 2"; `S01E01-E03 - Part 2`)
        own = [int(n) for n in _OWN_EPISODES.findall(text, sxe.start(), start)]
        kept = [e for i, e in enumerate(episodes)
                if i == 0 or e not in inside or min(own) <= e <= max(own)]  # fmt: skip
        joiner = bool(title and _JOINER.fullmatch(title))  # `S01E01 & E02`: guessit's title "&"
        if kept != episodes or joiner:
            episodes = kept
            raw = text[start:]
            raw = raw[: tag.start()] if (tag := _RELEASE_TAGS.search(raw)) else raw
            title = re.sub(r"[._]+", " ", raw).strip(" -") or (None if joiner else title)
    titled = None if explicit else _EPISODE_THEN_TITLE_NUMBER.search(text)
    if titled and episodes[:1] == [int(titled.group(1))]:
        marked = [int(titled.group(1)), *(int(n) for n in re.findall(r"\d+", titled.group(2)))]
        episodes = [e for e in episodes if min(marked) <= e <= max(marked)]  # 94 is the title's
        rest = text[titled.start(3) :].strip(" ._-")
        title = _text(guessit(f"{rest}.mkv", {"type": "movie"}).get("title")) or title
    marks = [] if explicit or titled else list(_EPISODE_MARKED.finditer(text))
    if marks and episodes:
        # `Uchuu.Senkan.Yamato.2199.E03`, `1883.E01`: guessit reads the title's number as a season
        # and an episode (S21E99) beside the marked one; Kodi's `ep` rule reads E03 alone
        marked = [int(n) for m in marks for n in re.findall(r"\d+", m.group(0))]
        episodes = [e for e in episodes if min(marked) <= e <= max(marked)] or episodes
    listed = _episode_list(text)
    if listed and episodes == list(range(listed[0], listed[-1] + 1)):
        episodes = listed  # `S05E01-E03-E05`: guessit's 1 to 5, Kodi's (and the name's) 1, 3, 5
    spaced = _SPACED_RANGE.search(text) if explicit else None
    first, last = (int(spaced.group(1)), int(spaced.group(3))) if spaced else (0, 0)
    if spaced and episodes and episodes[0] == first < last and set(episodes) <= {first, last}:
        episodes = list(range(first, last + 1))
        rest = text[spaced.end() :].strip(" ._-")
        if not title or title.lower().startswith((spaced.group(2) + spaced.group(3)).lower()):
            # `Ep03 - Title`, or no title: guessit's title of what follows the range
            title = (
                _text(guessit(f"{rest}.mkv", {"type": "episode"}).get("title")) if rest else None
            )
    year_season = _NX_YEAR_SEASON.search(text) if episode is None else None
    if year_season and not _video_size(int(year_season.group(1)), int(year_season.group(2))):
        # `Show - 2016x231` (a season named by its year): guessit's screen size, Kodi's S2016E231
        season, episodes = int(year_season.group(1)), [int(year_season.group(2))]
    if explicit and isinstance(season, int) and episodes:
        return _numbered(file_name, season, episodes, title, folder_season)
    if season_folder and _SEASON_EPISODE.search(season_folder):
        # an obfuscated or shortened name in its release folder: Kodi reads the whole path
        ext = file_name[len(stem) :]
        found = parse_episode(season_folder + ext, show_title)
        if found.ok and found.episodes:
            note = f"numbers read from its folder {season_folder!r}"
            kodi = _kodi_skips(file_name, found.season, list(found.episodes), [])
            return EpisodeName(found.season, found.episodes, episode_title=found.episode_title,
                               warnings=(*found.warnings, note, *([kodi] if kodi else [])))  # fmt: skip

    if not explicit:
        by_date = _air_date(text, file_name)
        if by_date is not None:
            return by_date
        if season_folder and _ISO_DATE.search(season_folder) and not _EPISODE_ONLY.search(text):
            # a daily show's obfuscated name in its release folder: Kodi finds the date anywhere
            # in the path
            found = parse_episode(season_folder + file_name[len(stem) :], show_title)
            if found.ok and found.aired:
                note = f"air date read from its folder {season_folder!r}"
                return replace(found, warnings=(*found.warnings, note))

    series = _SERIES_WORD.search(text) if season is None else None
    if series and _EPISODE_ONLY.search(text) and episodes:  # `Series 2 Episode 3`: the BBC's
        number = int(series.group(1))
        title = re.sub(r"(?i)^series[\s._]*\d{1,2}[\s._-]*", "", title or "") or None
        return _numbered(file_name, number, episodes, title, folder_season, warning=(
            f"{series.group(0)!r} read as season {number}; {_kodi_reading(file_name)}: name it "
            f"S{number:02d}" + "".join(f"E{e:02d}" for e in episodes)))  # fmt: skip
    named = _NAME_SEASON_WORD.search(text)
    if _EPISODE_ONLY.search(text) and episodes and named:  # `추리의 여왕 시즌2.E07`: season 2
        number = _season_word_number(named)
        title = None if title and _WORDED_TITLE.search(title) else title
        return _numbered(file_name, number, episodes, title, folder_season,
                         warning=f"{named.group(0)!r} read as season {number}")  # fmt: skip
    if _EPISODE_ONLY.search(text) and episodes:
        return _numbered(file_name, 1 if folder_season is None else folder_season, episodes, title,
                         folder_season, warning="no season in the name: "
                         f"season {1 if folder_season is None else folder_season} assumed")  # fmt: skip
    part = None if explicit else _PART.search(text)
    compact = _COMPACT_DATE.search(text) if part else None
    if compact and _dated(*(int(g) for g in compact.groups()), file_name, "") is not None:
        # `Show.20240305.Part.1`: a daily show's part, not the mini-series' S01E01 that Kodi's
        # Part rule reads (every date's Part 1 would be that one episode)
        day = "-".join(compact.groups())
        return EpisodeName(problem=(
            f"{file_name}: {compact.group(0)} looks like the air date {day} with its "
            f"{part.group(0).strip(' ._-')!r}, which Kodi reads as S01E{_part_number(part.group(1)):02d}"
            f" (it reads no date written so); rename it with the date as {day}"))  # fmt: skip
    if part:
        number, season = _part_number(part.group(1)), 1 if folder_season is None else folder_season
        whose = ("as Kodi reads it" if folder_season is None
                 else "the season from its folder (Kodi reads season 1)")  # fmt: skip
        return _numbered(file_name, season, [number], title, folder_season, warning=(
            f"{part.group(0).strip(' ._-')!r} read as season {season} episode {number}, {whose}; "
            f"name it S{season:02d}E{number:02d} to be sure"))  # fmt: skip
    after_title = _NUMBER_DASH_NUMBER.match(text) if show_title else None
    if after_title and text != _without_title(stem, None):
        # `Shingeki no Kyojin 2 - 05`, `The Simpsons 5 - 02 - Title`: the number right after the
        # show's title is its season's or its own (a sequel's), the episode follows the dash
        # (Jellyfin's "blah 2 - 01" rule, guessit: episode 5); we took 2 as the absolute number
        return _title_number_dash(file_name, after_title, folder_season, title, show_title)
    found = _bare_number(file_name, text, folder_season, title)
    disc = _DISC.fullmatch((season_folder or "").strip()) if outer_season else None
    if disc and found.episodes and folder_season is not None:
        # `Season 2/Disc 2/01.mkv`: a rip's title numbers count from 1 on every disc, so the
        # season above gives disc 2's first file disc 1's episode; not scene style (`205`)
        alone = _bare_number(file_name, text, None, title)
        if found.episodes == absolute_numbers(alone.absolute):
            named = f"S{folder_season:02d}" + "".join(f"E{e:02d}" for e in found.episodes)
            return EpisodeName(problem=(
                f"{file_name}: a number alone in the disc folder {season_folder!r} may count "
                f"the disc's titles, not the episodes of {outer_season!r}; "
                f"{_kodi_reading(file_name)}. Name it with its season and episode ({named} if "
                "it is that one)"))  # fmt: skip
    if season_folder and found == _no_numbers(file_name):
        by_folder = _absolute_of_folder(file_name, stem, show_title, season_folder, outer_folders)
        if by_folder is not None and not alone:
            return replace(found, problem=(
                f"{found.problem}; the number in its folder {season_folder!r} is no one file's: "
                "the folder holds other videos (Sonarr reads a folder's numbers only for its one "
                "video)"))  # fmt: skip
        return by_folder or found
    return found


# the note of a name read from its folder's numbers (`_absolute_of_folder`)
FOLDER_NUMBERS = "numbers read from its folder"


def _no_numbers(file_name: str) -> EpisodeName:
    """A name without season, episode, absolute number or air date: the problem says so."""
    return EpisodeName(problem=f"{file_name}: no season and episode numbers (S01E02) and no "
                               f"air date in the name; {_kodi_reading(file_name)}")  # fmt: skip


def _absolute_of_folder(
    file_name: str,
    stem: str,
    show_title: str | None,
    folder: str,
    outer_folders: tuple[str, ...],
) -> EpisodeName | None:
    """An obfuscated or numberless name (`a3f9c1e2.mkv`) in an anime release's folder that
    holds its absolute number (`[SubsPlease] Jujutsu Kaisen - 47 (1080p) [ABCD1234]/`): the
    folder read as the file's name, as Sonarr's ParsePath does when the file's name parses
    not, so absolute 47 is mapped in TheTVDB's absolute order like `... - 47.mkv` is (Kodi
    reads the folder's number no more than the name's: its rules are the file name's). A
    batch's range (`[Grp] Show - 01-12`) is not each file's; None for it and any other
    folder."""
    ext = file_name[len(stem) :]
    outer = (outer_folders[0], outer_folders[1:]) if outer_folders else (None, ())
    found = parse_episode(folder + ext, show_title, *outer)
    if not isinstance(found.absolute, int) or len(found.episodes) > 1:
        return None
    note = f"{FOLDER_NUMBERS} {folder!r}"
    kodi_folder, kodi = _kodi_reading(folder + ext), _kodi_reading(file_name)
    if found.problem:
        problem = found.problem.removeprefix(f"{folder}{ext}: ").replace(kodi_folder, kodi)
        return replace(found, problem=f"{file_name}: {note}: {problem}")
    warnings = [w.replace(kodi_folder, kodi) for w in found.warnings]
    return replace(found, episode_title=None, warnings=(*warnings, note))


def without_paired_absolute(stem: str) -> str:
    """A name without the absolute numbers Sonarr's anime format writes after its season and
    episode (`Show - S01E08-E09 - 008-009 - Title`: `Show - S01E08-E09 - Title`); any other
    name as it is."""
    m = _PAIRED_ABSOLUTE.search(stem)
    if m is None:
        return stem
    cut = "dash" if m.group("dash") else "dot"
    return stem[: m.start(cut)] + stem[m.end(cut) :]


def _with_paired_absolute(
    file_name: str,
    stem: str,
    show_title: str | None,
    season_folder: str | None,
    outer_folders: tuple[str, ...],
) -> EpisodeName | None:
    """Sonarr's anime name (`Show - S01E08 - 008 - Title`, `S15E06-E07 - 100-101 - Title`):
    read without its absolute numbers, which are kept beside the episodes (`paired_absolute`).
    Before, a multi-episode one was read as episodes 6, 7, 100 and 101 (guessit's) and its
    title check saw `100 101 Title`. None for any other name, and for numbers that cannot be
    absolute ones (smaller than the episode's, a special's: Sonarr writes none for specials)."""
    m = _PAIRED_ABSOLUTE.search(stem)
    if m is None:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", m.group("numbers") or m.group("padded"))]
    name = without_paired_absolute(stem) + file_name[len(stem) :]
    found = parse_episode(name, show_title, season_folder, outer_folders)
    episodes = list(found.episodes)
    if not found.ok or not found.season or not episodes or numbers[0] < episodes[0]:
        return None
    if len(numbers) == 2 and len(episodes) > 2 and numbers[1] - numbers[0] + 1 == len(episodes):
        numbers = list(range(numbers[0], numbers[1] + 1))  # Sonarr's range styles: first-last
    return replace(found, paired_absolute=tuple(numbers))


def _title_number_dash(
    file_name: str,
    m: re.Match,
    folder_season: int | None,
    title: str | None,
    show_title: str,
) -> EpisodeName:
    """`<show> 2 - 05`: episode 5 of the season its folder gives; without a season folder, season
    2's episode 5 or episode 5 of a show titled with its 2 (a sequel): reported, not guessed."""
    first, episode = int(m.group(1)), int(m.group(2))
    if folder_season is not None:
        return _numbered(file_name, folder_season, [episode], title, folder_season, warning=(
            f"{m.group(0).strip()!r} read as episode {episode} of season {folder_season} (its "
            f"folder's; the {first} is the title's, as Jellyfin reads it)"))  # fmt: skip
    return EpisodeName(problem=(
        f"{file_name}: {m.group(0).strip()!r} after the show's title is season {first} episode "
        f"{episode}, or episode {episode} of {show_title} {first} (Jellyfin and guessit read "
        f"episode {episode}); {_kodi_reading(file_name)}. Rename it S{first:02d}E{episode:02d}, "
        f"or move it into its season folder"))  # fmt: skip


def _specials_in_a_season(
    file_name: str, show_title: str | None, inner: tuple[str, int], outer: tuple[str, int]
) -> EpisodeName:
    """A file in a specials folder inside a season folder (`Show/Season 1/Specials/`), or the
    other way round: its name's own season or air date decides; a name without one is no
    special nor an episode of the season for sure (Jellyfin reads the outer folder's number, as
    its seasons are only the show folder's folders): reported, not guessed."""
    (near, near_number), (far, far_number) = inner, outer
    number = near_number or far_number
    nearest = parse_episode(file_name, show_title, near)
    other = parse_episode(file_name, show_title, far)
    read = (nearest.problem, nearest.season, nearest.episodes, nearest.aired)
    if read == (other.problem, other.season, other.episodes, other.aired):
        return nearest  # read by the name alone (`S00E03`, `S01E03`, an air date), as in Kodi
    numbers = nearest.episodes or other.episodes or absolute_numbers(nearest.absolute) or (1,)
    episode = "".join(f"E{e:02d}" for e in numbers)
    return EpisodeName(problem=(
        f"{file_name}: a special or an episode of season {number}? Its folder {near!r} is "
        f"inside {far!r}, which Jellyfin reads as season {far_number}; "
        f"{_kodi_reading(file_name)}. Name it S00{episode} if it is a special, "
        f"S{number:02d}{episode} if not"))  # fmt: skip


def _show_in_title(stem: str, show_title: str, title: str) -> bool:
    """Do the show title's words follow the start of the episode title in the name (`S00E01
    Inside Breaking Bad` of Breaking Bad)?"""
    first = re.match(r"[^\W_]+", title)
    words = [re.escape(w) for w in re.split(r"[\W_]+", show_title) if w]
    if not first or not words:
        return False
    at = re.search(r"(?i)(?<![^\W_])" + re.escape(first.group(0)) + r"(?![^\W_])", stem)
    show = r"(?i)(?<![^\W_])" + r"[\W_]+".join(words) + r"(?![^\W_])"
    return bool(at and re.search(show, stem[at.end() :]))


def _with_title_part(title: str | None, stem: str) -> str | None:
    """guessit's episode title with the part number it leaves out when only release tags follow
    it: `Title (2) [1080p]` -> "Title (2)", `Halloween, Part 1 - 720p` -> "Halloween, Part 1"
    (TheTVDB's titles of two-part episodes, which Sonarr writes into the name)."""
    words = [re.escape(w) for w in re.split(r"[\W_]+", title or "") if w]
    if not words:
        return title
    m = re.search(r"(?i)(?<![^\W_])" + r"[\W_]+".join(words) + _TITLE_PART, stem)
    return re.sub(r"[._]+", " ", m.group(0)).strip() if m else title


def _season_word_number(m: re.Match) -> int:
    """The season of a match of `_SEASON_WORD` (its first three groups): digits or an Arabic
    ordinal."""
    word = next(g for g in m.groups()[:3] if g)
    return _ARABIC_ORDINALS[word] if word in _ARABIC_ORDINALS else int(word)


def _season_token(text: str, season) -> re.Match | None:
    """A season word or token of the name that gives guessit's `season` (`Season 2`, `S02`,
    `第2季`), or None: guessit's S51E01E02 of a reversed name's `S.5102` is no season of the
    name's own. Tokens may overlap (`2019 Сезон 1`: a year before the season word)."""
    pos = 0
    while (m := _SEASON_TOKEN.search(text, pos)) is not None:
        digits = re.search(r"\d+", m.group(0))
        if digits is None or int(digits.group(0)) == season:
            return m
        pos = m.start() + 1
    return None


def _video_size(width: int, height: int) -> bool:
    """`1920x1080`, `2048x858`: a frame size (width 1.2 to 2.7 times the height), not a season
    and episode."""
    return height >= 120 and 1.2 <= width / height <= 2.7


def _episode_list(text: str) -> list[int] | None:
    """The episodes of a list of three or more joined by dashes (`S05E01-E03-E05`,
    `S05E01-S05E03-S05E05`, `S05E01-03-05`, `E01-E03-E05`), each above the one before; None for
    any other name. Kodi reads such a name as that list, before and after its episode ranges
    (its TestVideoInfoScanner: "should not be treated as episode ranges")."""
    m = _EPISODE_LIST.search(text)
    if not m:
        return None
    listed = [int(m.group(1)), *(int(n) for n in _EPISODE_LIST_PART.findall(m.group(2)))]
    return listed if listed == sorted(set(listed)) else None


def _part_number(text: str) -> int:
    """`2` -> 2, `IV` -> 4, `vi` -> 6."""
    if text.isdigit():
        return int(text)
    values = [_ROMAN[c] for c in text.lower()]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))


def _range_problem(text: str, file_name: str) -> str | None:
    """What is wrong with a range of the name's own markers: more episodes (or seasons) than
    Kodi reads in one file (`episode range of N is over 50`), or a dash range of one season's
    episodes that runs backwards (`S01E03-E01`, `1x05-03`: Kodi after v21 skips the file, Kodi
    21 reads E03 and E01, Sonarr rejects it); None for every other name."""
    for m in _RANGE.finditer(text):
        if not m.group(4) and (m.group(3) not in "-~" or len(m.group(5)) > 4):
            continue  # `S01E05 - 1000 Ways`, `s8e6-768660`: no end of a range
        if (
            m.group(3) != "-"
            and _TITLE_EPISODE.match(m.group(4) or "")
            and not _TITLE_EPISODE.match(m.group(1))
        ):
            continue  # `S01E01-E02 - Episode 1 + Episode 2`: the titles, not the range's end
        first = _marked(m.group(1), m.group(2), None)
        second = _marked(m.group(4), m.group(5), first)
        for kind, a, b in (("season", first[0], second[0]), ("episode", first[1], second[1])):
            if a is not None and b is not None and b - a + 1 > MAX_RANGE:
                return (f"{kind} range of {b - a + 1} is over {MAX_RANGE}, the most Kodi reads "
                        "in one file; split the file or fix its name")  # fmt: skip
        dash = m.group(3).strip(" ._") == "-" and (
            m.group(4) or len(m.group(5)) >= 2 and not re.match(r"[._-]\d", text[m.end(5) :])
        )  # not `E12-2`, `E15-03.20.2014`
        (season, a), (b_season, b) = first, second
        if dash and a is not None and b is not None and b < a and b_season in (None, season):
            read = text[m.start(1) : m.end(5)].strip(" ._")
            # Kodi after v21 drops a backwards range of `-E`, `-S`, `-1x` right after the number
            ranged = m.group(3) == "-" and re.match(r"(?i)[es]|\d", m.group(4) or "")
            seen = kodi_numbers(file_name)
            kodi = ("Kodi 21 and older read it as "
                    + ", ".join(f"S{seen[0]:02d}E{e:02d}" for e in seen[1])
                    if seen else _kodi_reading(file_name))  # fmt: skip
            return (f"{read} runs backwards (episode {a} to {b}); {kodi}"
                    + (", later Kodi skips the file" if ranged else "") + "; Sonarr rejects "
                    f"it. Rename it with the first episode first (E{b:02d}-E{a:02d})")  # fmt: skip
    return None


def _marked(
    marker: str | None, digits: str, first: tuple[int | None, int | None] | None
) -> tuple[int | None, int | None]:
    """(season, episode) of a marked number: `S01E` 05 -> (1, 5), `Season` 2 -> (2, None),
    `E` 5 -> (None, 5); an unmarked number continues the first one's kind."""
    number = int(digits) if len(digits) <= 9 else 10**9  # no int() of a 5,000-digit name
    if not marker:
        return (number, None) if first and first[1] is None else (None, number)
    if _SEASON_MARK.match(marker):
        return number, None
    season = _MARK_SEASON.match(marker)
    return (int(season.group(1)) if season else None), number


def _numbered(
    file_name: str,
    season: int,
    episodes: list[int],
    title: str | None,
    folder_season: int | None,
    warning: str | None = None,
) -> EpisodeName:
    if len(episodes) > MAX_RANGE:  # `E01-E02-...-E51`: pairs under the cap, a file over it
        return EpisodeName(problem=f"{file_name}: episode range of {len(episodes)} is over "
                                   f"{MAX_RANGE}, the most Kodi reads in one file; split the "
                                   "file or fix its name")  # fmt: skip
    warnings = [warning] if warning else []
    if title and _HEIGHT_TITLE.fullmatch(title):
        title = None
    if folder_season is not None and folder_season != season:
        warnings.append(f"the name says season {season}, its folder season {folder_season}; "
                        "the name wins, as in Kodi")  # fmt: skip
    if (misread := kodi_misreading(file_name, season, episodes)) is not None:
        warnings.append(misread)
    elif (other := _kodi_skips(file_name, season, episodes, warnings)) is not None:
        warnings.append(other)
    return EpisodeName(season, tuple(episodes), episode_title=title, warnings=tuple(warnings))


def _kodi_skips(
    file_name: str, season: int, episodes: list[int], warnings: list[str]
) -> str | None:
    """Kodi's warning for a name we number and none of its rules reads (`Show.S2.05`, `Show
    1×02`, `Show Season 2 - 03`: the file will not appear in Kodi), or that a rule other than
    its SxxEyy and 1x02 ones numbers otherwise (`Season 2/Show.E01`: its `ep` rule's default
    season 1, so Kodi shows S01E01). None when Kodi reads it alike or a warning already says
    what Kodi does."""
    if any("Kodi" in w for w in warnings):
        return None
    kind, read = kodi_rule_reading(file_name)
    named = f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)
    if kind == "none":
        return f"{_kodi_reading(file_name)}: name it {named}"
    if kind == "numbers" and read is not None and read != (season, list(episodes)):
        theirs = f"S{read[0]:02d}" + "".join(f"E{e:02d}" for e in read[1])
        return f"Kodi numbers it {theirs} by its name, not {named}: name it {named}"
    return None


def _air_date(text: str, file_name: str) -> EpisodeName | None:
    m = _ISO_DATE.search(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        if month > 12 >= day:  # `2012.16.02`: year, day, month (Sonarr reads it so); one reading
            dated = _dated(year, day, month, file_name, text[m.end() :])
            return dated and replace(dated, warnings=(
                f"{m.group(0)} read as {dated.aired} (year, day, month); Kodi expects year, "
                f"month, day: name it {dated.aired}",))  # fmt: skip
        dated = _dated(year, month, day, file_name, text[m.end() :])
        return dated and _with_next_date(dated, text[m.end() :])
    m = _OTHER_DATE.search(text)
    if m:
        first, second, year = (int(g) for g in m.groups())
        if first <= 12 and second <= 12 and first != second:
            return EpisodeName(problem=(
                f"{file_name}: the date {m.group(0)} reads as {second}/{first} in Kodi (month "
                f"first) and {first}/{second} in Jellyfin (day first); rename it "
                f"{year}-MM-DD"))  # fmt: skip
        day, month = (first, second) if first > 12 else (second, first)
        if first == second:
            day = month = first
        return _dated(year, month, day, file_name, text[m.end() :])
    return None


def _with_next_date(dated: EpisodeName, after: str) -> EpisodeName:
    """`dated` with a warning when a later air date follows its date right away (`2024-01-09 -
    2024-01-10`): the file holds two airings, and no player reads the second: Kodi's date rule
    has no multi-episode loop (VideoInfoScanner `!byDate`), Jellyfin's and Sonarr's parsers read
    one date (Sonarr names such a file by its first date alone). It is the first date's episode
    here too. A title that starts with an earlier date (`2024-01-09 - 1969-07-20 ...`) is none."""
    m = _NEXT_DATE.match(after)
    if m is None:
        return dated
    try:
        later = date(*(int(g) for g in m.groups()))
    except ValueError:
        return dated
    if dated.aired is None or later.isoformat() <= dated.aired:
        return dated
    return replace(dated, warnings=(*dated.warnings, (
        f"a second air date {later.isoformat()} follows {dated.aired}: Kodi, Jellyfin and Sonarr "
        f"read the first date alone, so this file is the episode of {dated.aired} and the "
        f"episode of {later.isoformat()} would not appear; name it by its season and episode "
        "numbers (S01E01E02) for every player to read both")))  # fmt: skip


def _dated(year: int, month: int, day: int, file_name: str, after: str) -> EpisodeName | None:
    try:
        aired = date(year, month, day)
    except ValueError:
        return None
    if not 1900 <= year <= 2200:
        return None
    part = _DAILY_PART.match(after)
    number = _part_number(part.group(1)) if part else 0
    return EpisodeName(aired=aired.isoformat(), part=number or None)


def _bare_number(
    file_name: str, text: str, folder_season: int | None, title: str | None
) -> EpisodeName:
    text = _CODEC_NUMBERS.sub("codec", text)  # a word: `x264-103` stays undashed
    # `Season.2`, `S02`, `Staffel 2`: a season's number, never an episode (Sonarr's full season)
    seasons = list(_SEASON_NUMBER.finditer(text))
    found = [
        m
        for m in _BARE_NUMBER.finditer(text)
        if m.group(1).lower() not in _RELEASE_WORDS
        and not (len(m.group(1)) == 4 and 1900 <= int(m.group(1)) <= 2100)
        and not _PART_BEFORE.search(text[: m.start()])
        and not any(s.start() <= m.start() < s.end() for s in seasons)
        and not _BIT_DEPTH.match(text, m.end())  # `HEVC 10 bits`
        and not _DISC_BEFORE.search(text[: m.start()])  # `Disc 1`: a DVD of the season
        and not (seasons and m.end() <= seasons[0].start())  # `Apollo 18 Season 2`: the title's
    ]
    found = _without_resolutions(text, found, folder_season)
    if not found and seasons and not _SEASON_EPISODE.search(text):
        disc = _DISC.search(text)
        return EpisodeName(problem=f"{file_name}: named as a whole season "
                                   f"({seasons[-1].group(0).strip(' ._-')!r})"
                                   + (f" or a disc of it ({disc.group(0).strip(' ._-')!r})"
                                      if disc else "") + " with no episode "
                                   f"number; {_kodi_reading(file_name)}. A file of a season "
                                   "pack: name it with its episode (S02E01) or split it, as "
                                   "Sonarr does")  # fmt: skip
    if not found:
        return _no_numbers(file_name)
    raw, end = found[0].group(1), found[0].group(2)
    value = int(raw)
    anime = bool(_GROUP_PREFIX.match(file_name))
    dotted = found[1] if len(found) > 1 and not end and folder_season == value else None
    if dotted and text[found[0].end() : dotted.start()] == "." and len(dotted.group(1)) == 2:
        # `Season 2/Show - 2.05 - Title`: season 2 episode 5 (guessit's episode 5)
        number, read = int(dotted.group(1)), text[found[0].start() : dotted.end()]
        rest = text[dotted.end() :].strip(" ._-")  # guessit's title was the season's number
        title = _text(guessit(f"{rest}.mkv", {"type": "episode"}).get("title")) if rest else None
        kodi = _kodi_skips(file_name, value, [number], [])
        return EpisodeName(value, (number,), episode_title=title, warnings=(
            f"{read} read as season {value} episode {number} (its folder's season); name it "
            f"S{value:02d}E{number:02d} to be sure", *([kodi] if kodi else [])))  # fmt: skip
    dashed_pair = end and not anime and _SEASON_EPISODE_DASH.fullmatch(found[0].group(0))
    if dashed_pair and re.fullmatch(r"\d+(?:-\d+)+", text.strip()):
        dashed_pair = False  # `Season 2/02-04.avi`: episodes 2 to 4 (Jellyfin's "01.avi" rule)
    if dashed_pair and int(end) != value + 1:  # `01-02` stays episodes 1 and 2 (a double episode)
        seasoned = _season_dash_episode(
            file_name, found[0].group(0), (value, int(end)), folder_season, title
        )
        if seasoned is not None:
            return seasoned
    numbers = list(range(value, int(end) + 1)) if end and int(end) > value else [value]
    if len(numbers) > MAX_RANGE:
        return EpisodeName(problem=f"{file_name}: episode range of {len(numbers)} is over "
                                   f"{MAX_RANGE}; split the file or fix its name")  # fmt: skip
    scene = len(raw) == 3 and not raw.startswith("0") or len(raw) == 4 and raw.startswith("0")
    if len(raw) == 4 and not raw.startswith("0"):
        scene = folder_season == value // 100  # 1050 in "Season 10"; in "Season 01", absolute
    if folder_season is None and _DASHED.search(text[: found[0].start()]):
        scene = False  # `Naruto - 130 - Title`: anime's absolute form (Sonarr), not S1E30
    marked = text[: found[0].start()].endswith("第")  # `第195話`, `第105集`: episode 195, 105
    scene = scene and not marked
    # `Season 2/Naruto - 08`: anime's absolute form in a season folder; read by the folder, and
    # as absolute episode 8 in a show in TheTVDB's absolute order (identify maps it there)
    dual = folder_season is not None and not marked and _DASHED.search(text[: found[0].start()])
    also = (value if len(numbers) == 1 else tuple(numbers)) if dual else None
    label = f"episode {value}" if len(numbers) == 1 else f"episodes {numbers[0]}-{numbers[-1]}"
    in_order = f"; absolute {label} in TheTVDB's absolute order" if also is not None else ""
    if scene and not anime and len(numbers) == 1:
        season, episode = divmod(value, 100)
        if folder_season is None or folder_season == season:
            scene_episodes = _scene_run(text, found, season, [episode])
            read = ".".join(m.group(1) for m in found[: len(scene_episodes)])
            kodi = _kodi_skips(file_name, season, scene_episodes, [])  # `[401]`: no Kodi rule
            return EpisodeName(season, tuple(scene_episodes), absolute=also if len(
                scene_episodes) == 1 else None, episode_title=title, warnings=(
                f"{read} read as season {season} episode{'s' if len(scene_episodes) > 1 else ''} "
                f"{', '.join(map(str, scene_episodes))} (scene style); name it S{season:02d}"
                + "".join(f"E{e:02d}" for e in scene_episodes) + " to be sure"
                + (in_order if len(scene_episodes) == 1 else ""),
                *([kodi] if kodi else [])))  # fmt: skip
    if (len(raw) <= 2 or marked) and folder_season is not None and not anime:
        named = "".join(f"E{n:02d}" for n in numbers)
        kind, _read = kodi_rule_reading(file_name)  # `03 - 1985`: its "foo.103" rule, S19E85
        kodi = "Kodi skips names without one" if kind == "none" else _kodi_reading(file_name)
        return EpisodeName(folder_season, tuple(numbers), absolute=also, episode_title=title,
                           warnings=(
            f"no season in the name: season {folder_season} from its folder; {kodi}, name it "
            f"S{folder_season:02d}{named}{in_order}",))  # fmt: skip
    if len(numbers) > 1:
        return EpisodeName(absolute=tuple(numbers), problem=(
            f"{file_name}: {found[0].group(0)} look like absolute episode numbers (anime "
            f"numbering); {_kodi_reading(file_name)}. Rename it with its season and episodes or "
            "map the numbers by hand"))  # fmt: skip
    return EpisodeName(absolute=value, problem=(
        f"{file_name}: {raw} looks like an absolute episode number (anime numbering); "
        f"{_kodi_reading(file_name)}. Rename it with its season and episode (S01E{value:02d} if "
        "the show has one season) or map the numbers by hand"))  # fmt: skip


def _without_resolutions(
    text: str, found: list[re.Match], folder_season: int | None
) -> list[re.Match]:
    """The numbers without the bare resolutions (`Show.Name.720.HDTV`, `S01.1080.x264`, `[1080
    Hi10p]`, where `720p` was meant): one is an episode only when no other number is there and
    it is either anime's absolute form (`One Piece - 1080 [1080p]`, after ` - `) or scene style
    in the folder of its season (`Season 7/Show.720`)."""
    others = [m for m in found if m.group(2) or m.group(1) not in _RESOLUTIONS]
    if others or len(found) != 1:
        return others
    m = found[0]
    if _DASHED.search(text[: m.start()]) or folder_season == int(m.group(1)) // 100:
        return found
    return []


def _season_dash_episode(
    file_name: str,
    read: str,
    numbers: tuple[int, int],
    folder_season: int | None,
    title: str | None,
) -> EpisodeName | None:
    """`4-12 - The Woman`: season 4 episode 12, as Jellyfin reads it (its "1-12 episode title"
    rule); in the `Season 4` folder that is the reading, with no season folder it is reported
    (guessit reads episodes 4 to 12, Kodi skips it); in another season's folder, None."""
    season, episode = numbers
    named = f"S{season:02d}E{episode:02d}"
    if folder_season == season:
        return EpisodeName(season, (episode,), episode_title=title, warnings=(
            f"{read} read as season {season} episode {episode} (season-episode, as Jellyfin "
            f"reads it; its folder is season {season}); {_kodi_reading(file_name)}: name it "
            f"{named}",))  # fmt: skip
    if folder_season is not None:
        return None
    as_range = episode > season
    return EpisodeName(problem=(
        f"{file_name}: {read} reads as season {season} episode {episode} in Jellyfin"
        + (f" and as episodes {season} to {episode} in guessit" if as_range else "")
        + f"; {_kodi_reading(file_name)}. Rename it {named}"
        + (f" (S01E{season:02d}-E{episode:02d} if it holds episodes {season} to {episode})"
           if as_range else "")
        + " or move it into its season folder"))  # fmt: skip


def _scene_run(text: str, found: list[re.Match], season: int, episodes: list[int]) -> list[int]:
    """The episodes of a scene-style multi-episode name (`Show.103.104.720p`: 3, 4): the
    numbers right after the first, one separator apart, of its length and season, each one
    further on; Kodi reads each of them with the same "foo.103" rule."""
    for prev, m in pairwise(found):
        raw = m.group(1)
        if m.group(2) or len(raw) != len(found[0].group(1)):
            break
        if not re.fullmatch(r"[\s._-]", text[prev.end() : m.start()]):
            break
        more_season, more = divmod(int(raw), 100)
        if more_season != season or more <= episodes[-1]:
            break
        episodes.append(more)
    return episodes


def kodi_rule_reading(file_name: str) -> tuple[str, tuple[int, list[int]] | None]:
    """How Kodi's default `tvshowmatching` reads `file_name`, by the first rule that matches
    (kodi-tv.md §1.2): ("numbers", (season, [episode])), ("date", None), ("special", None), or
    ("none", None) when no rule matches and Kodi skips the file. With the episodes its
    multi-episode loop adds (`Show.103.104`: (1, [3, 4]); `E07-E08`: (1, [7, 8]))."""
    kind, m = _kodi_first_rule(file_name)
    return kind, (_kodi_episodes(m) if kind == "numbers" and m is not None else None)


def _kodi_first_rule(file_name: str) -> tuple[str, re.Match | None]:
    path = "/" + file_name  # the rules see the whole path; a separator before the name
    for kind, rule in _KODI_RULES:
        if m := rule.search(path):
            if kind == "date" and _kodi_date(m) is None:
                continue  # Kodi goes on to its next rule (`25.03.2024`: no 25th month)
            return kind, m
    return "none", None


def _kodi_date(m: re.Match) -> str | None:
    """The date of a match of Kodi's yyyy.mm.dd or mm.dd.yyyy rule, or None when it is none."""
    first, second, third = m.groups()
    year, month, day = (first, second, third) if len(first) == 4 else (third, first, second)
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def kodi_air_date(file_name: str) -> str | None:
    """The air date Kodi 21 and older read from `file_name` (yyyy-mm-dd; its rules read
    `yyyy.mm.dd` and `mm.dd.yyyy`, with `.` or `-`), or None when an earlier rule numbers the
    file or no date rule gives a date."""
    kind, m = _kodi_first_rule(file_name)
    return _kodi_date(m) if kind == "date" and m is not None else None


def _rule_numbers(m: re.Match) -> tuple[int, list[int]]:
    season = int(m.group(1)) if m.group(1) else 1  # `()`: Kodi's default season
    raw = m.group(2)
    return season, [_part_number(raw) if not raw[0].isdigit() else _number(raw)]


def _kodi_reading(file_name: str) -> str:
    """What Kodi does with `file_name` by its default `tvshowmatching`, first rule that matches
    (`Naruto - 1050` -> "Kodi reads it as season 10 episode 50"; `第195話` matches none: "Kodi
    skips it ...")."""
    kind, m = _kodi_first_rule(file_name)
    if kind == "date":
        return f"Kodi reads it by the air date {m.group(0)}"
    if kind == "special":
        return "Kodi reads it as a special found by its title"
    if m is None:
        return "Kodi skips it (none of its name rules matches)"
    season, (number,) = _rule_numbers(m)
    return f"Kodi reads it as season {season} episode {number}" + (
        " (a special)" if season == 0 else ""
    )


def _without_title(stem: str, show_title: str | None) -> str:
    """The name without the show's title, so digits in a title ("24", "9-1-1") are no numbers,
    and without its group prefix and CRC tag."""
    text = _CRC_TAG.sub(" ", _GROUP_PREFIX.sub(" ", stem))
    if show_title:
        words = [re.escape(w) for w in re.split(r"[\W_]+", show_title) if w]
        if words:
            pattern = r"(?i)^[\s._\-\[\]()]*" + r"[\W_]+".join(words)
            text = re.sub(pattern, " ", text, count=1)
    return text


def _numbers(value) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return sorted(dict.fromkeys(value), key=value.index)
    return []


def _text(value) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value) if value else None


# Kodi's videocleandatetimeregexp (AdvancedSettings.cpp): the title is what stands before the
# last year set apart by separators, whatever follows it ("Show (2019) [1080p]", "Show.2019.S01"),
# also when the year ends the name ("Doctor Who 2005": Kodi's last group is optional, and
# Jellyfin's ParseName reads "Drug War 2013" so)
_SHOW_YEAR = re.compile(r"^(.*[^ _,.(\[-])[ _,.()\[\]-]+((?:19|20)\d\d)(?:[ _,.()\[\]-]|$)")
_DOTTED_WORDS = re.compile(r"[^\W\d_]{2,}[._][^\W_]{2,}")
# what ends a season pack's name when no year does: its seasons, "Complete Series", quality tags
_SHOW_TAGS = re.compile(
    r"(?i)[ _.\[(-]+(?:s\d{1,2}(?:[-e._ ]|$)|seasons?[ ._]\d|complete[ ._-]+(?:series|seasons?)"
    r"|\d{3,4}p(?![a-z])|blu-?ray|web-?dl|webrip|hdtv|[xh]\.?26[45]|hevc|remux)"
)
_FOLDER_TAG = re.compile(r"[{\[](tmdb|tvdb|imdb)(?:id)?[-=](tt\d{7,8}|\d+)[}\]]", re.IGNORECASE)
_FOLDER_YEAR = re.compile(r"[(\[]((?:19|20)\d\d)[)\]]")
# the years a show ran (`1994-2004`, `1996 – 2007`), or since (`(2019-)`, `(2019-present)`)
_YEAR_RANGE = re.compile(r"(?<![\dA-Za-z])((?:19|20)\d\d)\s*[-–—]\s*((?:19|20)\d\d)(?![\dA-Za-z])")
_OPEN_YEAR_RANGE = re.compile(
    r"(?i)[(\[]((?:19|20)\d\d)\s*[-–—]\s*(?:present|now|current|today)?\s*[)\]]"
)


def _first_year(name: str) -> str:
    """`Friends (1994-2004)`, `Case Closed (1996–2007)`, `Show (2019-)`, `Show (2019-present)`
    -> `Friends (1994)`...: the years a show ran, as users name its folder, stand for its
    first (TMDB's first air date); read as they are, the title was "Friends (1994" and the
    year 2004, and no search found the show."""
    name = _YEAR_RANGE.sub(
        lambda m: m.group(1) if int(m.group(2)) >= int(m.group(1)) else m.group(0), name
    )
    return _OPEN_YEAR_RANGE.sub(r"(\1)", name)


def show_folder_hints(folder_name: str) -> dict:
    """Title, year and id tags of a show folder: `Doctor Who (2005) {tvdb-78804}`,
    `[tmdbid-1396]`, `{imdb-tt0903747}` (guessit ignores these tags: we read them here). A year
    that ends the name (`Doctor Who 2005`) may be the title's own (`Space 1999`): the whole
    name is kept as `whole_title` for identify to search too."""
    hints: dict = {"title": show_title(folder_name), "year": None}
    untagged = _first_year(_ID_TAGS.sub("", folder_name).strip())
    year = _FOLDER_YEAR.search(untagged) or _SHOW_YEAR.match(untagged)  # `Show.2005.S01.1080p`
    if year:
        hints["year"] = int(year.group(year.lastindex or 1))
        if year.re is _SHOW_YEAR and year.end() == len(untagged):
            dotted = " " not in untagged and _DOTTED_WORDS.search(untagged)
            hints["whole_title"] = re.sub(r"[._]+", " ", untagged) if dotted else untagged
    for kind, value in _FOLDER_TAG.findall(folder_name):
        kind = kind.lower()
        if kind == "imdb" and value.lower().startswith("tt"):
            hints.setdefault("imdb_id", value.lower())
        elif kind in ("tmdb", "tvdb") and value.isdigit():
            hints.setdefault(f"{kind}_id", int(value))
    return hints


# --- a show's episode order (docs/tv.md "Episode orders") ------------------------------------

# order name -> (the `ordering` stored on the show, TheTVDB season type or None, label)
EPISODE_ORDERS: dict[str, tuple[str, str | None, str]] = {
    "tmdb": ("tmdb:default", None, "TMDB aired order"),
    "tvdb": ("tvdb:official", "official", "TheTVDB aired order"),
    "dvd": ("tvdb:dvd", "dvd", "TheTVDB DVD order"),
    "absolute": ("tvdb:absolute", "absolute", "TheTVDB absolute order"),
}
DEFAULT_ORDER = "tmdb"
# Jellyfin's tvshow.nfo `<displayorder>` -> our order (its TMDB episode groups of that type
# are the same orders as TheTVDB's season types; docs/tv.md)
DISPLAY_ORDERS = {"aired": "tmdb", "dvd": "dvd", "absolute": "absolute"}


def order_of(ordering: str | None) -> str:
    """The order name of a show's stored `ordering` (`tvdb:dvd` -> `dvd`); unknown: tmdb."""
    for name, (stored, _type, _label) in EPISODE_ORDERS.items():
        if ordering == stored:
            return name
    return DEFAULT_ORDER


def order_label(name: str) -> str:
    return EPISODE_ORDERS.get(name, EPISODE_ORDERS[DEFAULT_ORDER])[2]


_DISPLAY_ORDER = re.compile(r"^<displayorder>\s*([A-Za-z]+)\s*</displayorder>$")


def display_order(nfo_elements: list[str] | None) -> str | None:
    """Our order from a tvshow.nfo's `<displayorder>` (Jellyfin writes it), or None."""
    for element in nfo_elements or []:
        m = _DISPLAY_ORDER.match(element.strip())
        if m:
            return DISPLAY_ORDERS.get(m.group(1).lower())
    return None


# --- how Kodi 21 and older read a name (kodi-tv.md §1.2; publish warns with it too) -------------

_SUB = r"(?:(?:[a-i]|\.[1-9])(?![0-9]))?"
_KODI_SXXEYY = re.compile(r"s([0-9]+)[ ._x-]*e([0-9]+" + _SUB + r")([^\\/]*)$", re.I)
_KODI_NXNN = re.compile(r"[\\/._ \[(-]([0-9]+)x([0-9]+" + _SUB + r")([^\\/]*)$", re.I)
_KODI_MORE = re.compile(r"^[-_ex]+([0-9]+" + _SUB + r")", re.I)
# the whole default list, in Kodi's order (AdvancedSettings.cpp; kodi-tv.md §1.2): the first
# match wins; a rule's empty `()` season is Kodi's default season 1
_KODI_RULES = (
    ("numbers", _KODI_SXXEYY),
    ("numbers", re.compile(r"[._ -]?()e(?:p[ ._-]?)?([0-9]+" + _SUB + r")([^\\/]*)$", re.I)),
    ("date", re.compile(r"([0-9]{4})[.-]([0-9]{2})[.-]([0-9]{2})")),
    ("date", re.compile(r"([0-9]{2})[.-]([0-9]{2})[.-]([0-9]{4})")),
    ("numbers", _KODI_NXNN),
    ("numbers", re.compile(r"[\\/._ -]p(?:ar)?t[_. -]()([ivx]+|[0-9]+)([._ -][^\\/]*)$", re.I)),
    ("special", re.compile(r"[\\/]([^\\/]+)\.special\.[a-z0-9]+$", re.I)),
    ("numbers", re.compile(r"[\\/._ -]([0-9]+)([0-9][0-9]" + _SUB + r")([._ -][^\\/]*)$", re.I)),
)


def kodi_numbers(file_name: str) -> tuple[int, list[int]] | None:
    """(season, episodes) as Kodi 21 and older read `file_name` with the default
    `tvshowmatching` (its two numbered expressions and the multi-episode continuation), or None
    when neither matches (a date, absolute numbers: read otherwise, not judged here).
    The continuation is Kodi's loop (VideoInfoScanner EnumerateEpisodeItem): in the rest of the
    name, `-E03`/`-03`/`E03` right at its start, or the same expression again anywhere in it
    (`S15E06 - S15E07`, Sonarr's "Duplicate" style; `1x01 - 1x02`), whichever comes first; the
    expression wins a tie and a new season ends the list here (such names are reported)."""
    for pattern in (_KODI_SXXEYY, _KODI_NXNN):
        m = pattern.search("/" + file_name)  # a separator before the name, as in Kodi's path
        if m:
            return _kodi_episodes(m)
    return None


def _kodi_episodes(m: re.Match) -> tuple[int, list[int]]:
    """(season, episodes) of a match of one of Kodi's numbered rules, with its multi-episode
    loop (`kodi_numbers`)."""
    season, episodes = _rule_numbers(m)
    rest = m.group(3)
    while True:
        again, more = m.re.search(rest), _KODI_MORE.match(rest)
        if again and (more is None or again.start() == 0):
            again_season, again_episodes = _rule_numbers(again)
            if again_season != season:
                break
            episodes += again_episodes
            rest = again.group(3)
        elif more:
            episodes.append(_number(more.group(1)))
            rest = rest[more.end() :]
        else:
            break
    return season, episodes


def _number(text: str) -> int:
    return int(re.match(r"[0-9]+", text).group(0))  # type: ignore[union-attr]


def kodi_misreading(
    file_name: str, season: int, episodes: list[int] | tuple[int, ...]
) -> str | None:
    """How Kodi 21 and older would read the numbers of `file_name` otherwise than `season` and
    `episodes` (episodes lost or shown as others), with the name every player reads the same;
    None when it reads them alike, or reads no numbers from the name (a date, absolute numbers)."""
    seen = kodi_numbers(file_name)
    if seen is None or not episodes or seen == (season, list(episodes)):
        return None
    k_season, k_episodes = seen
    theirs = ", ".join(f"S{k_season:02d}E{e:02d}" for e in k_episodes)
    ours = "".join(f"E{e:02d}" for e in episodes)
    lost = sorted(set(episodes) - set(k_episodes)) if k_season == season else list(episodes)
    what = f"; episode {', '.join(map(str, lost))} would not appear" if lost else ""
    return (
        f"Kodi 21 and older read it as {theirs}{what} "
        f"(naming it S{season:02d}{ours} is read the same by every player)"
    )
