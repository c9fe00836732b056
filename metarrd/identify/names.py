"""Identification hints read from a video's file and folder names.

Pure: looks only at the path text, never at the disk. Understands the id tags that Kodi 21,
Jellyfin, Plex and Radarr write (`{tmdb-603}`, `[tmdbid-603]`, `{imdb-tt0133093}`...), a bare
IMDb id, Plex's `{edition-...}`, `Title (Year)` and scene release names (through guessit).

Which name speaks: the file name, unless it says less than its folder (no year, or a generic
name such as `movie.mkv`); the folder only counts when it looks like the movie's own folder
(same title or same year as the file, or the file name says nothing) and is below
`library_root`. In that per-movie folder the folder's id tags win over the file's. DVD/Blu-ray structures
(`VIDEO_TS`, `BDMV`) and `CD1`-style sub-folders are named by the movie folder above them.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from metarrd.identify.guess import guessit
from metarrd.identify.match import normalize_title

log = logging.getLogger(__name__)

# The rules `parse_hints` reads names by. Raise it with any change that reads some name
# otherwise: a scan then reads again the names of unchanged videos read by older rules (not
# their files; scan/stage.py `_read_names_again`), so a library scanned before a fix gets it
# without a touch. A movie not identified yet is identified again by its new reading; one
# identified keeps its film (the identify page searches by the new reading).
NAME_RULES = 9

# Kodi 21's default videoFilenameIdentifierRegExp (advancedsettings).
_ID_TAG = re.compile(r"[{\[](\w+?)(?:id)?[-=](\w+)[}\]]")
_EDITION_TAG = re.compile(r"[{\[]edition-([^}\]]+)[}\]]", re.IGNORECASE)
_BARE_IMDB = re.compile(r"(?<![A-Za-z0-9])tt\d{7,8}(?!\d)")
_IMDB_ID = re.compile(r"tt\d{7,8}")
# `Title (Year)` or `Title [Year]`, the form Kodi, Plex, Jellyfin and Radarr all use.
_TITLE_YEAR = re.compile(r"^(?P<title>.*?[^\s._-])[\s._-]*[(\[](?P<year>1[89]\d\d|20\d\d)[)\]]")
# Kodi's stacking markers (cd1, dvd2, part3, pt1, disc a) at the end of a name.
_STACK_SUFFIX = re.compile(r"[\s._-]+(?:cd|dvd|p(?:ar)?t|dis[ck])[\s._-]*(?:\d+|[a-d])$", re.I)
# Those of them that are never a title's words. "Part 2" ends many a title ("Harry Potter and
# the Deathly Hallows Part 2", "The Godfather Part II"): a marker only in a stack's name.
_DISC_SUFFIX = re.compile(r"[\s._-]+(?:cd|dvd|dis[ck])[\s._-]*(?:\d+|[a-d])$", re.I)
_STACK_FOLDER = re.compile(r"^(?:cd|dvd|p(?:ar)?t|dis[ck])[\s._-]*\d+$", re.IGNORECASE)
# A folder-stack part with the title before its marker ("Heat CD1"): metarrd/walk.py's
# _FOLDER_STACK, which makes `Heat (1995)/Heat CD1/` + `Heat CD2/` one movie.
_TITLED_STACK_FOLDER = re.compile(r"(?:cd|dvd|dis[ck])[ _.-]?[0-9]+$", re.IGNORECASE)
# A name that is a stacking marker and nothing else: a stack's `cd1.avi`, a disc's `Disc 1/`
# folder (the walk's path for `Disc 1/VIDEO_TS`). Not `pt`: "PT 109" is a film.
_ONLY_MARKER = re.compile(r"(?:cd|dvd|part|dis[ck])[\s._-]*(?:\d{1,2}|[a-d])", re.IGNORECASE)
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>the|a|an)$", re.IGNORECASE)
_LETTER_OR_DIGIT_RUN = re.compile(r"[A-Za-z]+|[0-9]+")
_AKA = re.compile(r"\s(?:aka|a\.k\.a\.?)\s+(?=\S)", re.IGNORECASE)
_3D_BEFORE_YEAR = re.compile(
    r"(?P<head>[^()\[\]{}]*[^\W_])[\s._-]+3D[\s._-]*[(\[]?(?:18[89]|19\d|20\d)\d(?!\d)", re.I
)
_AKA_WORD = re.compile(r"a\.?k\.?a\b", re.IGNORECASE)
_PARENS_BEFORE_YEAR = re.compile(
    r"(?P<head>[^()\[\]{}]*[^\W_][^()\[\]{}]*?)[\s._]*\((?P<inner>[^()\[\]{}]*[^\W_][^()\[\]{}]*)\)"
    r"[\s._-]*[(\[]?(?:18[89]|19\d|20\d)\d(?!\d)"
)
_PAREN_AKA = re.compile(r"[(\[]a\.?k\.?a\.?[\s._]+([^)\]]*[^\W_][^)\]]*)[)\]]", re.IGNORECASE)
_DISC_FOLDERS = {"video_ts", "bdmv"}
_GENERIC_STEMS = {"movie", "film", "video", "feature", "main", "index", "video_ts", "sample"}


@dataclass(frozen=True)
class NameHints:
    """What a video's names say about it. `source` names where title/year came from:
    "file", "folder" or "none". `other_titles`: the film's other titles the name gives ("Title A
    AKA Title B", "Title A (aka Title B)"), to search when `title` finds nothing sure."""

    title: str | None
    year: int | None
    tmdb_id: int | None
    imdb_id: str | None
    edition: str | None
    source: str
    other_titles: tuple[str, ...] = ()
    # the file's own title, when the folder spoke and the file names something else ("The
    # Matrix (1999)/The Matrix Reloaded.mkv", "Alien (1979)/Aliens.mkv"): maybe another film
    # kept in the folder, so the film found must bear it too (identify's check)
    file_title: str | None = None


@dataclass(frozen=True)
class _Parsed:
    title: str | None
    year: int | None
    tmdb_id: int | None
    imdb_id: str | None
    edition_tag: str | None
    edition_guess: str | None
    cleaned: str
    obfuscated: bool = False
    other_titles: tuple[str, ...] = ()


def parse_hints(
    video_path: PurePath,
    library_root: PurePath | None = None,
    *,
    is_disc: bool = False,
    is_stack: bool = False,
) -> NameHints:
    """Read title, year, ids and edition from `video_path`'s file and folder names. `is_disc`:
    the path is a disc's folder (the one holding `VIDEO_TS`/`BDMV`, as the walk gives it), whose
    name has no extension to cut ("Dr. Strangelove (1964)"). `is_stack`: the path is a stack's
    first part, so a `part1`/`pt1` at its end is the stack's marker, not the title's."""
    file_name, folder_name = _names_to_read(PurePath(video_path), library_root, is_disc)
    file_p = _parse_name(file_name, stacked=is_stack) if file_name else None
    folder_p = _parse_name(folder_name) if folder_name else None
    if folder_p and file_p and not _is_movie_folder(file_p, folder_p, file_name):
        folder_p = None

    id_order = [p for p in (folder_p, file_p) if p]
    tmdb_id = next((p.tmdb_id for p in id_order if p.tmdb_id), None)
    imdb_id = next((p.imdb_id for p in id_order if p.imdb_id), None)
    edition = next((p.edition_tag for p in (file_p, folder_p) if p and p.edition_tag), None)

    chosen, source = _choose_title_source(file_p, folder_p, file_name)
    if chosen is None:
        return NameHints(None, None, tmdb_id, imdb_id, edition, "none")
    edition = edition or chosen.edition_guess
    others = list(chosen.other_titles)
    if (
        source == "file"
        and folder_p is not None
        and folder_p.title
        and folder_p.year == chosen.year
        and normalize_title(folder_p.title) != normalize_title(chosen.title)
    ):  # "Spirited Away (2001)/Sen to Chihiro no Kamikakushi (2001).mkv": the film's other title
        others += [t for t in (folder_p.title, *folder_p.other_titles) if t not in others]
    file_title = None
    if (
        source == "folder"
        and file_p is not None
        and file_p.title
        and not file_p.obfuscated
        and not _is_generic(file_name)
        and not _scene_file_in_release(file_name, chosen)
        and normalize_title(file_p.title) != normalize_title(chosen.title or "")
    ):
        file_title = file_p.title
    return NameHints(
        chosen.title, chosen.year, tmdb_id, imdb_id, edition, source, tuple(others), file_title
    )


def _names_to_read(
    path: PurePath, root: PurePath | None, is_disc: bool = False
) -> tuple[str | None, str | None]:
    """The file name (stem) and the folder name worth reading, never at or above `root`."""
    lowered = [part.casefold() for part in path.parts]
    disc_at = max((i for i, part in enumerate(lowered) if part in _DISC_FOLDERS), default=None)
    if disc_at is not None:
        movie_dir = PurePath(*path.parts[:disc_at])
        return (None, movie_dir.name if _below_root(movie_dir, root) else None)

    folder = path.parent
    if _below_root(folder.parent, root) and (
        _STACK_FOLDER.match(folder.name)
        or _titled_stack_part_of(folder.name, folder.parent.name)
        or _parse_name(folder.name).title
        is None  # "Movie.2013.BRRip/XD607ebb-BRc5/XD607ebb-BRc5.avi"
    ):
        folder = folder.parent
    return (path.name if is_disc else path.stem, folder.name if _below_root(folder, root) else None)


def _titled_stack_part_of(name: str, parent: str) -> bool:
    """ "Heat CD1" in "Heat (1995)": a stack part named like the movie folder above it, which
    says more (the year). "Heat CD1" in a shared "Movies" folder names the movie itself."""
    marker = _TITLED_STACK_FOLDER.search(name)
    if not marker or not name[: marker.start()].strip(" ._-"):
        return False
    part_title = _parse_name(name[: marker.start()]).title
    parent_title = _parse_name(parent).title
    return bool(part_title and parent_title) and normalize_title(part_title) == normalize_title(
        parent_title
    )


def _obfuscated(name: str) -> bool:
    """A hash or random string, not a title ("0e895c37245186812cb08aab1529cf8ee389dd05",
    "Vrq6e1Aba3U amCjuEgV5R2QvdsLEGYF3YQAQkw8", Radarr's CrapParserFixture): its longest word
    has 12 letters and digits or more, in five or more runs. Searching TMDB for it finds nothing
    or something wrong. "KillRoyWasHere", "THX1138", "R2D2" are titles."""
    longest = max(name.split(), key=len, default="")
    alnum = re.sub(r"[^A-Za-z0-9]", "", longest)
    return len(alnum) >= 12 and len(_LETTER_OR_DIGIT_RUN.findall(alnum)) >= 5


def _below_root(folder: PurePath, root: PurePath | None) -> bool:
    if not folder.name:  # filesystem root or empty path
        return False
    if root is None:
        return True
    return PurePath(root) in folder.parents


def _is_movie_folder(file_p: _Parsed, folder_p: _Parsed, file_name: str | None) -> bool:
    """Whether the folder is the movie's own folder rather than a shared one ("Movies")."""
    if file_p.obfuscated:  # "Movies/0e895c37...dd05.mkv": only a movie or release folder names it
        return folder_p.year is not None or _release_name(folder_p)
    if _is_generic(file_name) or not file_p.title or _scene_file_in_release(file_name, folder_p):
        return True
    if folder_p.title is None or _collection_years(folder_p):
        return False
    file_key, folder_key = normalize_title(file_p.title), normalize_title(folder_p.title)
    if file_p.year is not None and folder_p.year is not None and file_p.year != folder_p.year:
        # "Dune (2021) {tmdb-438631}/Dune (1984).mkv", "The Matrix (1999)/The Matrix Reloaded
        # (2003).mkv": another film kept in a film's folder, none of whose ids are its own. A
        # year off by one under the same title is the film's (a scene name's year is not
        # always TMDB's, which Radarr names the folder by)
        return abs(file_p.year - folder_p.year) == 1 and file_key == folder_key
    sequel = file_key.startswith(folder_key + " ")
    if sequel and _SEQUEL_NUMBER.fullmatch(file_key[len(folder_key) + 1 :]):
        # "Toy Story (1995)/Toy Story 2.mkv", "Rocky (1976)/Rocky II.mkv": a numbered sequel
        # kept in its first film's folder, which names another film
        return False
    if file_key == folder_key or file_key.startswith(folder_key + " "):
        return True
    if folder_p.year is not None and file_p.year == folder_p.year:
        # "Amélie (2001) [tmdbid-194]/Le Fabuleux Destin d'Amélie Poulain (2001).mkv": one film
        # under two titles (Radarr's {Movie Title} folder, {Movie OriginalTitle} file)
        return True
    return file_p.year is None and folder_p.year is not None


def _collection_years(p: _Parsed) -> bool:
    """ "Star Wars Trilogy (1977-1983)", "Indiana Jones 1981-2008": a span of years, the last
    read as the year, names a collection's folder, not a film's. Not a span in a film's own
    title with its year after it ("Los Angeles 1982-1992 (2017)")."""
    spans = _YEAR_SPAN.findall(p.cleaned)
    return bool(spans) and int(spans[-1][1]) == p.year and int(spans[-1][0]) < p.year


def _choose_title_source(
    file_p: _Parsed | None, folder_p: _Parsed | None, file_name: str | None
) -> tuple[_Parsed | None, str]:
    file_ok = file_p is not None and file_p.title is not None and not _is_generic(file_name)
    if file_ok and file_p.year is not None:
        return file_p, "file"
    folder_ok = folder_p is not None and folder_p.title is not None
    if folder_ok and (
        folder_p.year is not None or not file_ok or _scene_file_in_release(file_name, folder_p)
    ):
        return folder_p, "folder"
    if file_ok:
        return file_p, "file"
    return None, "none"


def _scene_file_in_release(file_name: str | None, folder_p: _Parsed) -> bool:
    """A scene release's file ("dmd-aw.avi" in "Alice in Wonderland DVDRip.XviD-DiAMOND"): short,
    lower-case, no spaces, in a folder named like a release. The folder names the film."""
    if not file_name or not _SCENE_FILE.fullmatch(file_name):
        return False
    return _release_name(folder_p)


def _release_name(p: _Parsed) -> bool:
    guess = _guess(_strip_prefixes(p.cleaned))
    return any(key in guess for key in _RELEASE_KEYS)


def _is_generic(file_name: str | None) -> bool:
    if file_name is None:
        return True
    if _ONLY_MARKER.fullmatch(file_name.strip(" ._-")):
        return True
    stem = _STACK_SUFFIX.sub("", file_name).strip(" ._-").casefold()
    return stem in _GENERIC_STEMS or not stem


def _parse_name(raw: str, *, stacked: bool = False) -> _Parsed:
    name = unicodedata.normalize("NFC", raw)
    tmdb_id, imdb_id = _id_tags(name)
    edition_match = _EDITION_TAG.search(name)
    edition_tag = edition_match.group(1).strip() if edition_match else None

    bare = _BARE_IMDB.search(name)
    if imdb_id is None and bare:
        imdb_id = bare.group(0)
    cleaned = _EDITION_TAG.sub(" ", name)
    cleaned = _ID_TAG.sub(" ", cleaned)
    cleaned = _BARE_IMDB.sub(" ", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" -_")

    title, year, edition_guess = _title_and_year(cleaned, stacked=stacked)
    if edition_guess is None and year is not None:
        edition_guess = _edition_after_year(cleaned, year)
    if title and _obfuscated(title):
        return _Parsed(None, None, tmdb_id, imdb_id, edition_tag, None, cleaned, obfuscated=True)
    titles = _aka_titles(title, cleaned)
    lost = _lost_bracket(cleaned)
    if titles and lost and not normalize_title(titles[0]).startswith(normalize_title(lost)):
        # "[REC] 3 Genesis (2012)", "[REC] 2 2009 1080p": read as a group's, the bracket is
        # the first word of TMDB's "[REC]³ Génesis", which "3 Genesis" is never sure of
        other = _tidy_title(f"{lost} {titles[0]}")
        if other and other not in titles:
            titles.append(other)
    return _Parsed(
        titles[0] if titles else None,
        year,
        tmdb_id,
        imdb_id,
        edition_tag,
        edition_guess,
        cleaned,
        other_titles=tuple(titles[1:]),
    )


def _edition_after_year(name: str, year: int) -> str | None:
    """An edition guessit has no word for, named after the year (`Blade Runner (1982) - The
    Final Cut`, `Apocalypse Now (1979) - Redux`, `Heat (1995) - Directors Definitive
    Edition`): up to three words and then Cut, Edition or Version, or Redux or Workprint alone.
    Before the year the words are the title's (`The Final Cut (2004)` is a film); a release
    word ends them (`4K HDR Version` is no edition)."""
    ends = [m.end() for m in re.finditer(rf"(?<!\d){year}(?!\d)", name)]
    if not ends:
        return None
    words = [w for w in re.split(r"[\s._()\[\]{}-]+", name[ends[-1] :]) if w]
    for i, word in enumerate(words):
        if word.casefold() in _EDITION_ALONE:
            return word
        if word.casefold() not in _EDITION_ENDS:
            continue
        start = i
        while start > 0 and i - start < 3 and _is_edition_word(words[start - 1]):
            start -= 1
        phrase = words[start : i + 1]
        if phrase[0].casefold() == "the":
            phrase = phrase[1:]
        if len(phrase) > 1:
            return " ".join(phrase)
    return None


def _is_edition_word(word: str) -> bool:
    """A word that may name an edition before its Cut or Edition: letters (an apostrophe
    within: `Director's`), no release word."""
    return (
        re.fullmatch(r"[^\W\d_]+(?:'[^\W\d_]+)?", word) is not None
        and word.casefold() not in _RELEASE_WORDS
    )


def _aka_titles(title: str | None, name: str) -> list[str]:
    """The titles a name gives a film: "Skjegg AKA Rox Beard", "Mon cousin a.k.a. My Cousin",
    "Radarr.Under.Water.(aka.Beneath.the.Code.Freeze)" (Radarr's ParserFixture), and the title
    with what it may have lost as a tag. The first, mostly the original, is searched first; the
    others when it finds nothing sure."""
    if not title:
        return []
    titles = []
    for part in _AKA.split(title):
        part = _tidy_title(part)
        if part and part not in titles and re.search(r"[^\W_]", part):
            titles.append(part)
    if not titles:  # no letter nor digit in it ('"".mkv', "!!.mkv"): no title
        return []
    others = [_spaced(other, name) for other in _PAREN_AKA.findall(name)]
    after = _PARENS_BEFORE_YEAR.match(_strip_prefixes(name))
    if after and normalize_title(_spaced(after.group("head"), name)) == normalize_title(titles[0]):
        # "Birdman or (The Unexpected Virtue of Ignorance) (2014)", "Le Prestige (The Prestige)":
        # words in parentheses after the title are mostly another title, now and then the rest
        # of it (TMDB's "Birdman or (The Unexpected Virtue of Ignorance)")
        inner = _spaced(after.group("inner"), name)
        words = {w.casefold() for w in re.split(r"[\s._-]+", inner)}
        if not words & _TAG_WORDS and not _AKA_WORD.match(inner):
            others.append(f"{titles[0]} ({inner})")
            if len(words) > 1 and not inner.isupper():  # not "Funny Games (US)": no title alone
                others.append(inner)
    three_d = _3D_BEFORE_YEAR.match(_strip_prefixes(name))
    if three_d and normalize_title(_spaced(three_d.group("head"), name)) == normalize_title(
        titles[0]
    ):  # "Jackass 3D (2010)", "Piranha.3D.2010": TMDB's title, or a 3D copy ("Avatar.3D.2009")
        others.append(f"{titles[0]} 3D")
    others += _script_runs(titles[0])
    for other in others:
        other = _tidy_title(other)
        if other and other not in titles:
            titles.append(other)
    return titles


def _script_runs(title: str) -> list[str]:
    """ "기생충 Parasite", "霸王别姬 Farewell My Concubine", "Брат 2 - Brother 2": the original
    title and a Latin one side by side, as CJK and Russian libraries name films. No film has
    both as one title: each is another title. Numbers go with the run before them ("Брат 2"),
    or the first ("3 Idiots"); a "-" between the runs with neither."""
    runs: list[list[str]] = []
    kinds: list[bool] = []
    leading: list[str] = []
    for word in title.split():
        letter = next((c for c in word if c.isalpha()), None)
        if letter is None:
            if word.strip("-–:"):
                (runs[-1] if runs else leading).append(word)
            continue
        latin = "LATIN" in unicodedata.name(letter, "")
        if not kinds or kinds[-1] != latin:
            runs.append(leading if not runs else [])
            kinds.append(latin)
        runs[-1].append(word)
    if len(runs) != 2:
        return []
    return [" ".join(run) for run in runs]


def _id_tags(name: str) -> tuple[int | None, str | None]:
    tmdb_id: int | None = None
    imdb_id: str | None = None
    for key, value in _ID_TAG.findall(name):
        key = key.casefold()
        if key == "tmdb" and tmdb_id is None and value.isdigit() and int(value) > 0:
            tmdb_id = int(value)
        elif key == "imdb" and imdb_id is None:
            value = value.lower()
            if value.isdigit():
                value = "tt" + value
            if _IMDB_ID.fullmatch(value):
                imdb_id = value
    return tmdb_id, imdb_id


def _title_and_year(
    name: str, *, fast: bool = True, stacked: bool = False
) -> tuple[str | None, int | None, str | None]:
    """Title, year and a guessed edition ("Director's Cut") from a name without id tags.

    `fast` lets a plain `Title (Year)` skip guessit (milliseconds a name); the corpus test holds
    it to giving what the full parse gives. `stacked`: the name is a stack part's (`part1`)."""
    glued = _GLUED_BRACKET.match(name)
    # "[REC]² (2009)", "(T)Raumschiff.Surprise": parsed as "REC² (2009)", "TRaumschiff.Surprise",
    # and the brackets put back on the title
    if glued and (glued.group("paren") or not name[glued.end()].isalpha()):
        word = glued.group("bracket") or glued.group("paren")
        title, year, edition = _title_and_year(
            word + name[glued.end() :], fast=fast, stacked=stacked
        )
        if title and title.startswith(word):
            title = f"{glued.group(0)}{title[len(word) :]}"
        return title, year, edition
    # "Anime Title - 2018v2": the release's version glued to the year hides the year from guessit
    name = _VERSIONED_YEAR.sub(r"\1", _strip_prefixes(name))
    if not name:
        return None, None, None
    plain = _plain_title_year(name, inner=True) or (_plain_title_year(name) if fast else None)
    if plain:
        title, year = plain
        edition = (
            _first(_value(_guess(name).get("edition"))) if _EDITION_WORDS.search(name) else None
        )
        return title, year, edition
    return _full_parse(name, stacked)


def _strip_prefixes(name: str) -> str:
    """Drop what stands before a title and is never part of it: a site (`www.site.tld - `), a
    leading group or tag in brackets (`[MTBB] `), a list index (`(1)`), a date (`09.03.08.`)."""
    name = _SITE_PREFIX.sub("", name)
    bracket = _LEADING_BRACKET.match(name)
    if bracket:
        rest = name[bracket.end() :]
        # else "[Taxi 1998] [BDRemux]", "[REC].2007.1080p": the bracket is the name
        group = _group_bracket(name[: bracket.end()], rest)
        name = rest if group else bracket.group(1) + " " + rest
    name = _LIST_INDEX.sub("", name)
    name = _DATE_PREFIX.sub("", name)
    return name.strip(" ._-")


def _lost_bracket(name: str) -> str | None:
    """The word of a leading `[...]` that `_strip_prefixes` drops as a release group's, when it
    could be a title's first word instead (letters, one or two words, no tag): to search with
    the title next, when the title alone finds nothing sure. A group's name searched so costs a
    search; a title's word lost costs the film ("[REC] 3 Genesis" is titled "3 Genesis")."""
    name = _SITE_PREFIX.sub("", name)
    bracket = _LEADING_BRACKET.match(name)
    if bracket is None or not _group_bracket(name[: bracket.end()], name[bracket.end() :]):
        return None
    inner = bracket.group(1).strip()
    if not re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)?", inner):
        return None
    return None if {w.casefold() for w in inner.split()} & _TAG_WORDS else inner


def _group_bracket(bracket: str, rest: str) -> bool:
    """Is a leading `[...]` a release group or tag (`[MTBB] Kimi no Na wa. (2016)`, `[Group]
    1917 (2019)`) rather than the title (`[REC].2007.1080p.BluRay.x264-GRP`, `[Taxi 1998]
    [BDRemux]`)? A group when title words follow it, or a title and then a year (`1917 (2019)`,
    `1917.2019.1080p`). When only a year-like number and tags follow, the bracket is the title
    if the name is a scene name: joined to the number by a dot, or with its own group at the end
    (`-GRP`: one release, one group). `[Group] 1917` and `[REC] 2007` are the same shape; the
    group reading wins (fansub groups write a space after their bracket), and the movie's
    folder, or `[REC] (2007)`, says the rest (docs/kodi-layout.md §3)."""
    outside = _BRACKETED.sub("", rest)
    number = _LEADING_YEAR.match(outside)
    if number is None:
        return re.search(r"[^\W\d_]", outside) is not None
    if _LATER_YEAR.search(rest, number.end()) or _OLD_YEAR.search(rest, number.end()):
        return True  # "1917 (2019)": the number is the title
    if re.search(r"[\s._-](?:19|20)\d\d[)\]]", rest[number.end() :]):
        return True  # "1917 [2019]"
    scene = bracket.endswith("].") or _SCENE_GROUP_END.search(outside) is not None
    return not scene


def _plain_title_year(name: str, *, inner: bool = False) -> tuple[str, int] | None:
    """`Title (Year)` where the title is only title words: the form a library uses. With `inner`,
    only a title with words in parentheses before more of it, which are its own and which
    guessit drops: "(T)Raumschiff Surprise", "Evangelion 1.0 You Are (Not) Alone" (TMDB's titles).
    Parentheses at its end are a tag or another title ("Battle Royale (Batoru Rowaiaru)")."""
    plain = _TITLE_YEAR.match(name)
    if not plain or not _year_ok(int(plain.group("year"))):
        return None
    title = plain.group("title")
    bare = _INNER_PARENS.sub(" ", title)
    if (bare == title) == inner or _NOT_PLAIN.search(bare):
        return None
    words = {w.casefold() for w in re.split(r"[\s._()-]+", title)}
    if words & _TAG_WORDS:
        return None
    if " " not in title:
        title = re.sub(r"[._]+", " ", title)
    tidy = _tidy_title(title)
    return (tidy, int(plain.group("year"))) if tidy else None


def _full_parse(name: str, stacked: bool = False) -> tuple[str | None, int | None, str | None]:
    unstacked = (_STACK_SUFFIX if stacked else _DISC_SUFFIX).sub("", name)
    guess = _guess(unstacked)
    edition = _first(_value(guess.get("edition")))
    title_m = _one(guess.get("title"))
    year_m = _one(guess.get("year"))
    year = year_m.value if year_m is not None and isinstance(year_m.value, int) else None
    year_at = year_m.start if year_m is not None else None
    if year is not None and not _year_ok(year):
        year, year_at = None, None
    later = _LATER_YEAR.match(unstacked, year_m.end) if year is not None else None
    if later and _year_ok(int(later.group(1))):  # "Los.Angeles.1982-1992.2017": 2017
        year, year_at = int(later.group(1)), later.start(1)
    if year is None:
        old = _OLD_YEAR.search(unstacked)  # guessit reads no year before 1900
        if old and _year_ok(int(old.group(1))):
            year, year_at = int(old.group(1)), old.start()

    if title_m is None or (year_at is not None and title_m.start >= year_at):
        head = unstacked[:year_at] if year_at else ""
        if re.search(
            r"[^\W_]", head
        ):  # "xXx.2002.15th.Anniversary.Edition": the title is before the year
            return _tidy_title(_spaced(head, unstacked)), year, edition
        if year_m is not None and year_m.start == 0 and title_m is None:
            return (
                str(year_m.value),
                None,
                edition,
            )  # "1917.mkv", "2012.AC3.720p": the title is a year
        if title_m is None:
            return _tidy_title(_spaced(unstacked, unstacked)), year, edition
    title = str(title_m.value)
    before = unstacked[: title_m.start]
    leading = [m for m in _matches(guess) if m.start < title_m.start]
    if _hyphen_word_before(leading, unstacked, title_m):  # "Spider-Man.2002", "Face-Off.1997"
        title = f"{unstacked[: title_m.start]}{title}"
    elif re.search(r"[^\W_]", before) and all(
        _leads_into_title(m, unstacked, title_m) for m in leading
    ):
        title = _join(_spaced(before, unstacked), title)  # "(500) Days of Summer", "PT 109"
    if year_at is not None:
        title = _join(title, _title_words_before(unstacked, title_m.end, year_at, guess))
    else:
        title = _join(
            title, _part(unstacked, title_m, guess) or _subtitle(unstacked, title_m, guess)
        )
    title = _drop_trailing_tags(title, edition is not None)
    if year is not None and title.endswith(f" {year}"):  # "Prometheus.2012.(IMAX).1080p.2012"
        title = title[: -len(f" {year}")]
    edition_m = _one(guess.get("edition"))
    if edition_m is not None and _spaced(unstacked[edition_m.start : edition_m.end], unstacked) in (
        title.split()
    ):  # "DC.League.of.Super-Pets.2022": the edition guessit saw is a title word
        edition = None
    return _tidy_title(title), year, edition


def _hyphen_word_before(leading: list, name: str, title_m) -> bool:
    """ "Spider-Man.No.Way.Home.2021", "Face-Off.1997", "Ju-On.The.Grudge.2002": guessit takes
    the word before the first hyphen for a release group when none ends the name. A group in
    front is written in capitals before a title that is not, or in lower case ("AMIABLE-Heat",
    "sinners-ncfom")."""
    if len(leading) != 1 or leading[0].name != "release_group" or leading[0].start != 0:
        return False
    word = name[: leading[0].end]
    after = re.match(r"[^\W\d_]+", name[title_m.start :])
    return (
        name[leading[0].end : title_m.start] == "-"
        and after is not None
        # "WALL-E", "SPIDER-MAN": capitals on both sides
        and (
            re.fullmatch(r"[A-Z][a-z]*", word) is not None or word.isupper() and after[0].isupper()
        )
    )


def _leads_into_title(m, name: str, title_m) -> bool:
    """ "En.Kongelig.Affaere.2012", "Hi.Mom.2021", "PT.109.1963": a two-letter word at the start
    that guessit takes for a language is the title's first word when one dot or space joins it
    to the title. A language tag stands apart ("Fr - Paris 2054", "[FR] ...") or is upper case
    ("FR.Paris.2054.2005"); upper case counts as a word only before a number ("PT 109")."""
    word = name[m.start : m.end]
    joined = m.start == 0 and re.fullmatch(r"[ ._]", name[m.end : title_m.start + 1]) is not None
    if m.name in _SHORT_TAG_KINDS:  # "Ra.One.2011", "DC.League.of.Super-Pets.2022"
        return joined and _short_word(word)
    return (
        m.name in ("language", "country")
        and joined
        and m.end == 2
        and (not word.isupper() or str(title_m.value)[:1].isdigit())
    )


def _short_word(word: str) -> bool:
    """ "Ra" (a RealAudio file to guessit), "Om" (Open Matte), "DC" (Director's Cut): two
    letters that guessit reads as a tag. Such a tag never starts a name outside brackets, nor
    stands between two title words."""
    return len(word) == 2 and word.isalpha()


def _drop_trailing_tags(title: str, edition: bool = False) -> str:
    """ "Fake Movie Final Cut 2016", "Prometheus 50th Anniversary Edition 2012": edition words guessit
    left in the title, and "The" before them or before the `edition` guessit found ("Blade Runner The
    Final Cut"). Kept when nothing but an article would remain ("The Final Cut"). "Cut" and
    "Edition" are tags only after a word that says which ("Assembly Cut", "Special Edition"):
    "The Christmas Edition" is a film."""
    words = title.split()
    end = len(words)
    while end:
        word = words[end - 1].casefold()
        before = words[end - 2].casefold() if end >= 2 else ""
        if word in ("cut", "edition"):
            if before in _EDITION_QUALIFIERS:
                end -= 2
            elif _is_tag_word(before) and before not in ("cut", "edition"):
                end -= 1
            else:
                break
        elif word == "anniversary" and before.isdigit():  # "25 Anniversary"
            end -= 2
        elif _is_tag_word(word):
            end -= 1
        else:
            break
    rest = words[:end]
    if not rest or (len(rest) == 1 and rest[0].casefold() in {"the", "a", "an"}):
        return title
    if end < len(words) or edition:  # "Blade Runner - The Final Cut": "The" and "-" go with it
        while len(rest) > 1 and rest[-1].casefold() in {"the", "-"}:
            rest.pop()
    return " ".join(rest)


def _is_tag_word(word: str) -> bool:
    return word.casefold() in _TAG_WORDS or _ORDINAL.fullmatch(word) is not None


def _title_words_before(name: str, start: int, end: int, guess: dict) -> str:
    """What stands between guessit's title and the year and still belongs to the title: "Part 2",
    "Vol. 1", "Episode IV - A New Hope", a language that is a title word ("The Good German")."""
    inside = sorted(
        (m for m in _matches(guess) if start <= m.start and m.end <= end), key=lambda m: m.start
    )
    pieces: list[str] = []
    pos = start
    stopped = False
    for m in inside:
        pieces.append(name[pos : m.start])
        pos = m.end
        raw = name[m.start : m.end]
        if m.name == "volume":
            pieces.append(f" \1{m.value} ")  # written "Vol. N" after the dots become spaces
        elif m.name in _TITLE_KINDS:
            pieces.append(raw)
        elif m.name in ("language", "country") and _language_is_title_word(raw, name):
            pieces.append(f"\0{raw}\0")  # a title word only when nothing but the year follows
        elif _tag_among_title_words(m, name, end, inside):
            pieces.append(raw)
        else:
            stopped = True
            break
    if not stopped:
        pieces.append(name[pos:end])
    text = "".join(pieces)
    if stopped:
        text = re.sub(r"\0[^\0]*\0", " ", text)
    text = _BRACKETED.sub(" ", text.replace("\0", ""))
    text = re.sub(r"[(\[{].*$", "", text)  # "Mise à Sac (Alain Cavalier, 1967)"
    return _spaced(text, name).replace("\1", "Vol. ")


def _tag_among_title_words(m, name: str, end: int, inside: list) -> bool:
    """ "Evangelion.1.0.You.Are.Not.Alone.2007" (audio channels), "Ta.Ra.Rum.Pum.2007": what
    guessit took for a tag is a title word when words no tag claims follow it before the year
    (a group's name there is such words: groups end a name). "Om.Shanti.Om.2007": a short tag
    word right before the year is one too, unless written in capitals ("Alien.DC.1979")."""
    raw = name[m.start : m.end]
    if m.name == "website" or _BRACKET_CHARS.search(raw):
        return False
    if m.name == "release_group":
        return True
    claimed = [x.start for x in inside if x.start >= m.end and x.name not in _UNCLAIMED_KINDS]
    words = name[m.end : min(claimed, default=end)]
    if re.search(r"[^\W\d_]", words) and not _BRACKET_CHARS.search(words):
        return True
    return (
        m.name in _SHORT_TAG_KINDS
        and _short_word(raw)
        and not raw.isupper()
        and not name[m.end : end].strip(" ._-")
    )


def _language_is_title_word(raw: str, name: str) -> bool:
    """ "Johnny.English.2003", "The.Good.German.2006": the language is a title word. German and
    French dubs are marked before the year ("Noah.German.2014"), so there those two are a tag
    unless the title is an English "The ..." one; an upper-case word is always a tag."""
    word = raw.strip(" ._-")
    if word.isupper():
        return False
    return word.casefold() not in {"german", "french"} or name.casefold().startswith("the")


def _part(name: str, title_m, guess: dict) -> str:
    """A name without a year: the part right after guessit's title is the title's ("Harry Potter
    and the Deathly Hallows Part 2", "Dune - Part Two", "The Godfather Part II"), as the
    year-less names' `_title_words_before` would keep it. A stack's marker is gone before."""
    part = _one(guess.get("part"))
    if part is None or not re.fullmatch(
        r"[\s._,-]*p(?:ar)?t[\s._-]*", name[title_m.end : part.start], re.IGNORECASE
    ):
        return ""
    return _spaced(name[title_m.end : part.end], name)


def _subtitle(name: str, title_m, guess: dict) -> str:
    """A name without a year: guessit's alternative title after " - " is a subtitle when it is
    words ("OSS 117 -- Cairo, Nest of Spies"), not a tag ("Blind - NORDiC")."""
    alternative = next(
        (
            m
            for m in _matches(guess)
            if m.name in ("alternative_title", "episode_title") and m.start >= title_m.end
        ),
        None,
    )
    volume = _one(guess.get("volume"))
    if alternative is None or len(str(alternative.value).split()) < 2:
        return f"Vol. {volume.value}" if volume is not None else ""
    if str(alternative.value).isupper():
        return ""
    return f"- {alternative.value}"


def _join(title: str, more: str) -> str:
    more = more.strip()
    if not more:
        return title
    # "Spider-Man", "Face+Off": what was glued to the title stays glued
    return f"{title}{more}" if more[0] in "-+" and more[1:2] != " " else f"{title} {more}"


def _spaced(text: str, name: str) -> str:
    if " " not in name:
        text = re.sub(r"[._]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ._")


def _year_ok(year: int) -> bool:
    return 1880 <= year <= 2099


def _matches(guess: dict) -> list:
    found = []
    for value in guess.values():
        found.extend(value if isinstance(value, list) else [value])
    return [m for m in found if hasattr(m, "span")]


def _one(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _value(value):
    value = _one(value)
    return getattr(value, "value", value)


_EDITION_WORDS = re.compile(
    r"cut|edition|extended|remaster|unrated|uncut|imax|criterion|special|theatrical|collector",
    re.IGNORECASE,
)
# What may stand between guessit's title and the year and still be title.
_TITLE_KINDS = {"part", "episode", "alternative_title", "film_title", "year", "episode_title"}
# Between the title and the year, these are words no tag claims.
_UNCLAIMED_KINDS = _TITLE_KINDS | {"release_group"}
_SHORT_TAG_KINDS = {"container", "edition", "other"}
_BRACKET_CHARS = re.compile(r"[()\[\]{}【】]")
_SCENE_FILE = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")
_RELEASE_KEYS = ("source", "video_codec", "audio_codec", "release_group", "screen_size", "cd")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)
_SITE_PREFIX = re.compile(
    r"^[\[(]?www[.\s]\S+?[.\s][a-z0-9]{2,10}[\])]?\s*(?:-\s*|_)"
    # a site without "www" before " - " ("test-hyphen123.org.au - ", Radarr's UrlFixture)
    r"|^[\[(]?[a-z0-9][\w-]*(?:\.[\w-]+)*\.(?:com|net|org|info|biz|io|to|tv|cc|me|ws|co|uk"
    r"|au|nz|za|ca|de|fr|it|es|nl|pl|ru|in|mx|am|ag|lt|se|win|xyz|site|club|top)[\])]?\s+-\s+",
    re.I,
)
_LEADING_BRACKET = re.compile(r"^\[([^\]]*)\][\s._-]*")
# A word in brackets glued to a digit or sign after it is the title's own ("[REC]²", "[REC]³
# Génesis", TMDB's titles); a group's bracket stands apart or before a letter ("[BD]Movie").
# So are letters in parentheses glued to the word after them ("(T)Raumschiff", "(T)ERROR").
_GLUED_BRACKET = re.compile(r"^(?:\[(?P<bracket>[^\W_]+)\]|\((?P<paren>[^\W\d_]+)\))(?=[^\W_])")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")
_LIST_INDEX = re.compile(r"^\(\d{1,2}\)\s*(?=[^\W\d_])")
_DATE_PREFIX = re.compile(r"^\d\d\.\d\d\.\d\d\.(?=[^\W\d_])")
# A year-like number first after a leading bracket ("[REC].2007", "[Group] 1917").
_LEADING_YEAR = re.compile(r"[\s._-]*(?:18[89]|19\d|20\d)\d(?![\dA-Za-z])")
# A scene release's group at the end of the name ("x264-GRP", "BluRay-SPARKS").
_SCENE_GROUP_END = re.compile(r"[\w.]-[A-Za-z0-9]{2,}(?:\.[a-z0-9]{2,4})?$")
# What follows a film's title in a numbered sequel's, as `normalize_title` writes it ("2",
# "part 2": roman numerals are digits there).
_SEQUEL_NUMBER = re.compile(r"(?:part )?[2-9]|(?:part )?[1-3]\d")
_YEAR_SPAN = re.compile(r"(?<!\d)((?:18[89]|19\d|20\d)\d)\s*[-–]\s*((?:18[89]|19\d|20\d)\d)(?!\d)")
_LATER_YEAR = re.compile(r"[\s._-]+((?:19|20)\d\d)(?![\dA-Za-z])")
_OLD_YEAR = re.compile(r"[(\[](18[89]\d)[)\]]")
_VERSIONED_YEAR = re.compile(r"(?<![^\s._(\[-])((?:18[89]|19\d|20\d)\d)v\d{1,2}(?![^\s._)\]-])")
# Words in parentheses with more of the title after them: "(T)Raumschiff", "(Not) Alone".
_INNER_PARENS = re.compile(r"\([^()\[\]{}]*[^\W_][^()\[\]{}]*\)(?= ?[^\W_])")
# A title with brackets, a site or a leading language tag is not plain: the full parse decides.
_NOT_PLAIN = re.compile(r"[()\[\]{}]|^www|^\w{2,3}\s-\s")
# Words that are release tags, not title words, when they stand before "(Year)".
_TAG_WORDS = {
    "dc", "extended", "edition", "cut", "uncut", "unrated", "remastered", "criterion",
    "theatrical", "imax", "collector", "collectors", "collector's", "director's", "directors", "final",
    "anniversary", "restored", "despecialized", "fanedit", "3d", "vhs", "dvd", "bluray", "hdtv",
    "multi", "truefrench", "vostfr", "vf", "vo", "internal", "limited", "proper", "repack",
    "remux", "1080p", "720p", "2160p", "4k", "uhd", "hdr", "x264", "x265", "hevc", "xvid",
}  # fmt: skip


# What ends an edition's name that guessit does not know (`_edition_after_year`), and the
# editions named by one word; the release words that are never one of its words.
_EDITION_ENDS = {"cut", "edition", "version"}
_EDITION_ALONE = {"redux", "workprint"}
_RELEASE_WORDS = {
    "bluray", "bdrip", "brrip", "webrip", "web", "dl", "hdtv", "hdrip", "dvd", "dvdrip",
    "remux", "uhd", "hdr", "sdr", "dv", "hevc", "avc", "xvid", "divx", "proper", "repack",
    "internal", "multi", "hybrid", "dts", "truehd", "atmos", "aac", "ac", "dd", "ddp", "mkv",
}  # fmt: skip

# Words that name an edition only before "Cut" or "Edition" ("Assembly Cut", "Special Edition").
_EDITION_QUALIFIERS = {"assembly", "special", "ultimate", "definitive", "deluxe", "rogue"}


@functools.lru_cache(maxsize=4096)
def _guess(name: str) -> dict:
    try:
        return dict(guessit(name, {"type": "movie", "advanced": True}))
    except Exception:  # guessit raises assorted errors on odd input; a name is only a hint
        log.warning("guessit could not parse %r; using the plain name", name, exc_info=True)
        return {}


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def _tidy_title(title: str) -> str | None:
    title = re.sub(r"\s+", " ", title).strip(" -_.")
    trailing = _TRAILING_ARTICLE.match(title)
    if trailing:  # "Matrix, The" as written by sort-title folder names
        title = f"{trailing.group('article')} {trailing.group('rest')}"
    return unicodedata.normalize("NFC", title) or None
