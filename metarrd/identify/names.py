"""Identification hints read from a video's file and folder names.

Pure: looks only at the path text, never at the disk. Understands the id tags that Kodi 21,
Jellyfin, Plex and Radarr write (`{tmdb-603}`, `[tmdbid-603]`, `{imdb-tt0133093}`...), a bare
IMDb id, Plex's `{edition-...}`, `Title (Year)` and scene release names (through guessit).

Which name speaks: the file name, unless it says less than its folder (no year, or a generic
name such as `movie.mkv`); the folder only counts when it looks like the movie's own folder
(same title as the file, or the file name says nothing) and is below `library_root`. In that
per-movie folder the folder's id tags win over the file's. DVD/Blu-ray structures
(`VIDEO_TS`, `BDMV`) and `CD1`-style sub-folders are named by the movie folder above them.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from guessit import guessit

from metarrd.identify.match import normalize_title

log = logging.getLogger(__name__)

# Kodi 21's default videoFilenameIdentifierRegExp (advancedsettings).
_ID_TAG = re.compile(r"[{\[](\w+?)(?:id)?[-=](\w+)[}\]]")
_EDITION_TAG = re.compile(r"[{\[]edition-([^}\]]+)[}\]]", re.IGNORECASE)
_BARE_IMDB = re.compile(r"(?<![A-Za-z0-9])tt\d{7,8}(?!\d)")
_IMDB_ID = re.compile(r"tt\d{7,8}")
# `Title (Year)` or `Title [Year]`, the form Kodi, Plex, Jellyfin and Radarr all use.
_TITLE_YEAR = re.compile(r"^(?P<title>.*?[^\s._-])[\s._-]*[(\[](?P<year>(?:19|20)\d\d)[)\]]")
# Kodi's stacking markers (cd1, dvd2, part3, pt1, disc a) at the end of a name.
_STACK_SUFFIX = re.compile(r"[\s._-]+(?:cd|dvd|p(?:ar)?t|dis[ck])[\s._-]*(?:\d+|[a-d])$", re.I)
_STACK_FOLDER = re.compile(r"^(?:cd|dvd|p(?:ar)?t|dis[ck])[\s._-]*\d+$", re.IGNORECASE)
# `Part 2` right before the year belongs to the title (Deathly Hallows Part 2 2011).
_PART_BEFORE_YEAR = re.compile(r"[\s._-]part[\s._-]*(\d+)[\s._-]+[(\[]?(?:19|20)\d\d", re.I)
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>the|a|an)$", re.IGNORECASE)
_DISC_FOLDERS = {"video_ts", "bdmv"}
_GENERIC_STEMS = {"movie", "film", "video", "feature", "main", "index", "video_ts", "sample"}


@dataclass(frozen=True)
class NameHints:
    """What a video's names say about it. `source` names where title/year came from:
    "file", "folder" or "none"."""

    title: str | None
    year: int | None
    tmdb_id: int | None
    imdb_id: str | None
    edition: str | None
    source: str


@dataclass(frozen=True)
class _Parsed:
    title: str | None
    year: int | None
    tmdb_id: int | None
    imdb_id: str | None
    edition_tag: str | None
    edition_guess: str | None


def parse_hints(video_path: PurePath, library_root: PurePath | None = None) -> NameHints:
    """Read title, year, ids and edition from `video_path`'s file and folder names."""
    file_name, folder_name = _names_to_read(PurePath(video_path), library_root)
    file_p = _parse_name(file_name) if file_name else None
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
    return NameHints(chosen.title, chosen.year, tmdb_id, imdb_id, edition, source)


def _names_to_read(path: PurePath, root: PurePath | None) -> tuple[str | None, str | None]:
    """The file name (stem) and the folder name worth reading, never at or above `root`."""
    lowered = [part.casefold() for part in path.parts]
    disc_at = max((i for i, part in enumerate(lowered) if part in _DISC_FOLDERS), default=None)
    if disc_at is not None:
        movie_dir = PurePath(*path.parts[:disc_at])
        return (None, movie_dir.name if _below_root(movie_dir, root) else None)

    folder = path.parent
    if _STACK_FOLDER.match(folder.name) and _below_root(folder.parent, root):
        folder = folder.parent
    return (path.stem, folder.name if _below_root(folder, root) else None)


def _below_root(folder: PurePath, root: PurePath | None) -> bool:
    if not folder.name:  # filesystem root or empty path
        return False
    if root is None:
        return True
    return PurePath(root) in folder.parents


def _is_movie_folder(file_p: _Parsed, folder_p: _Parsed, file_name: str | None) -> bool:
    """Whether the folder is the movie's own folder rather than a shared one ("Movies")."""
    if _is_generic(file_name) or not file_p.title:
        return True
    if folder_p.title is None:
        return False
    file_key, folder_key = normalize_title(file_p.title), normalize_title(folder_p.title)
    if file_key == folder_key or file_key.startswith(folder_key + " "):
        return True
    return file_p.year is None and folder_p.year is not None


def _choose_title_source(
    file_p: _Parsed | None, folder_p: _Parsed | None, file_name: str | None
) -> tuple[_Parsed | None, str]:
    file_ok = file_p is not None and file_p.title is not None and not _is_generic(file_name)
    if file_ok and file_p.year is not None:
        return file_p, "file"
    folder_ok = folder_p is not None and folder_p.title is not None
    if folder_ok and (folder_p.year is not None or not file_ok):
        return folder_p, "folder"
    if file_ok:
        return file_p, "file"
    return None, "none"


def _is_generic(file_name: str | None) -> bool:
    if file_name is None:
        return True
    stem = _STACK_SUFFIX.sub("", file_name).strip(" ._-").casefold()
    return stem in _GENERIC_STEMS or not stem


def _parse_name(raw: str) -> _Parsed:
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

    title, year, edition_guess = _title_and_year(cleaned)
    return _Parsed(title, year, tmdb_id, imdb_id, edition_tag, edition_guess)


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


def _title_and_year(name: str) -> tuple[str | None, int | None, str | None]:
    """Title, year and a guessed edition ("Director's Cut") from a name without id tags."""
    if not name:
        return None, None, None
    plain = _TITLE_YEAR.match(name)
    # guessit costs milliseconds a name: ask it only when the name is not plain "Title (Year)"
    # or may carry an edition.
    guess = _guess(name) if not plain or _EDITION_WORDS.search(name) else {}
    edition = _first(guess.get("edition"))

    if plain:
        title = plain.group("title")
        if " " not in title:
            title = re.sub(r"[._]+", " ", title)
        return _tidy_title(title), int(plain.group("year")), edition

    unstacked = _STACK_SUFFIX.sub("", name)
    if unstacked != name:
        guess = _guess(unstacked)
    title = _first(guess.get("title"))
    year = guess.get("year") if isinstance(guess.get("year"), int) else None
    if year is not None and not 1900 <= year <= 2099:
        year = None
    if title is None:
        # "1917.mkv": guessit reads the title as a year.
        if isinstance(guess.get("year"), int) and re.fullmatch(r"\d{4}", name.strip()):
            return name.strip(), None, edition
        fallback = re.sub(r"[._]+", " ", unstacked).strip(" -")
        return (_tidy_title(fallback) or None), year, edition
    alternative = _first(guess.get("alternative_title"))
    if alternative:
        title = f"{title} - {alternative}"
    volume = guess.get("volume")
    if isinstance(volume, int):
        title = f"{title} Vol. {volume}"
    part = _PART_BEFORE_YEAR.search(name)
    if part and year is not None and isinstance(guess.get("part"), int):
        title = f"{title} Part {part.group(1)}"
    return _tidy_title(title), year, edition


_EDITION_WORDS = re.compile(
    r"cut|edition|extended|remaster|unrated|uncut|imax|criterion|special|theatrical|collector",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def _guess(name: str) -> dict:
    try:
        return dict(guessit(name, {"type": "movie"}))
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
