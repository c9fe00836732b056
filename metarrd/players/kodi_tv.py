"""What a republished show's files say, pushed into a Kodi that already has its episodes.

Kodi 20.1 re-reads a known episode's NFO only by `RefreshEpisode` (or `RefreshTVShow
{refreshepisodes: true}`), and both delete and re-add the episode: a new id, the play count and
resume point gone (docs/tv.md "Kodi 20.1 [real Kodi]"); a Scan skips files it has. So for a show
Kodi has at its folder, after `RefreshTVShow` (tvshow.nfo, show and season art):

- `VideoLibrary.GetEpisodes {tvshowid}` (one call per show) gives each episode's file, numbers
  and the values below; each is compared with the `<episodedetails>` block of its number in the
  NFO beside its file (and its `<base>-thumb.<ext>`), and only what differs is sent with
  `VideoLibrary.SetEpisodeDetails {episodeid, ...}`: title, plot, firstaired, director,
  writer, ratings, uniqueid, art thumb. The episode keeps its id, play count and resume point.
  Not the runtime: Kodi 20.1 reports the video's own duration once it has stream details (or a
  resume point), so it never equals the NFO's minutes; nor the guest stars.
- Seasons need nothing of the kind: in Kodi 20.1 RefreshTVShow (without its episodes) took a
  renamed `namedseason` as the season's new title (tests/players/test_real_kodi.py), and it
  reads the `seasonNN-<type>` art again, so `SetSeasonDetails` is not sent.

Pure comparison (`episode_changes`) over what is read; reading is here too
(the files are the ones PUBLISH wrote; every read goes through `files.read_regular`, and an NFO
that is a link leading out of every library is not read: `files.link_target_outside`, as SCAN
and PUBLISH refuse it).
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree

from metarrd import files, pathmap
from metarrd.config import LibraryConfig
from metarrd.paths import is_windows

log = logging.getLogger(__name__)

MAX_NFO_BYTES = 5 * 1024 * 1024  # what SCAN accepts as an NFO
THUMB_EXTS = ("jpg", "png")
EPISODE_PROPERTIES = [
    "file",
    "season",
    "episode",
    "title",
    "plot",
    "firstaired",
    "director",
    "writer",
    "ratings",
    "uniqueid",
    "art",
]
_BLOCK_END = "</episodedetails>"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)


@dataclass(frozen=True)
class EpisodeBlock:
    """One `<episodedetails>` block in Kodi's terms (None: the block does not say)."""

    season: int
    episode: int
    title: str
    plot: str
    firstaired: str
    director: tuple[str, ...]
    writer: tuple[str, ...]
    ratings: dict[str, tuple[float, int, bool]]  # name -> (value, votes, default)
    uniqueid: dict[str, str]


def parse_episode_nfo(data: bytes) -> list[EpisodeBlock]:
    """The blocks of an episode NFO (one XML declaration, blocks back to back); a block that
    is not XML or has no numbers is left out."""
    text = data.decode("utf-8", errors="replace")
    if text.lstrip().startswith("<?xml"):
        text = text.split("?>", 1)[1]
    blocks = []
    for chunk in text.split(_BLOCK_END):
        if "<episodedetails" not in chunk:
            continue
        try:
            root = etree.fromstring((chunk + _BLOCK_END).strip().encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError:
            continue
        season, episode = _int(root.findtext("season")), _int(root.findtext("episode"))
        if season is None or episode is None:
            continue
        blocks.append(
            EpisodeBlock(
                season=season,
                episode=episode,
                title=_text(root, "title"),
                plot=_text(root, "plot"),
                firstaired=_text(root, "aired"),
                director=_all(root, "director"),
                writer=_all(root, "credits"),
                ratings=_ratings(root),
                uniqueid={
                    u.get("type"): (u.text or "").strip()
                    for u in root.iter("uniqueid")
                    if u.get("type") and (u.text or "").strip()
                },
            )
        )
    return blocks


def episode_changes(kodi: Mapping[str, Any], block: EpisodeBlock, thumb: str | None) -> dict:
    """The `SetEpisodeDetails` fields where Kodi's episode differs from its NFO block (and the
    thumb file, in Kodi's form, when one is published); empty when Kodi shows the files."""
    changes: dict[str, Any] = {}
    for field, value in (("title", block.title), ("plot", block.plot)):
        if (kodi.get(field) or "").strip() != value:
            changes[field] = value
    if (kodi.get("firstaired") or "") != block.firstaired:
        changes["firstaired"] = block.firstaired
    for field, values in (("director", block.director), ("writer", block.writer)):
        if values and tuple(kodi.get(field) or ()) != values:
            changes[field] = list(values)
    # ratings and ids are added or changed, never removed (Kodi keeps what SetEpisodeDetails
    # does not name, so an absent value would be sent again on every publish)
    if block.ratings and _kodi_ratings(kodi.get("ratings")) != _rounded(block.ratings):
        changes["ratings"] = {
            name: {"rating": value, "votes": votes, "default": default}
            for name, (value, votes, default) in block.ratings.items()
        }
    have = {str(k): str(v) for k, v in (kodi.get("uniqueid") or {}).items() if v}
    if any(have.get(kind) != value for kind, value in block.uniqueid.items()):
        changes["uniqueid"] = dict(block.uniqueid)
    if thumb is not None and image_path((kodi.get("art") or {}).get("thumb", "")) != thumb:
        changes["art"] = {"thumb": thumb}
    return changes


def image_path(url: str) -> str:
    """Kodi's `image://<url-encoded path>/` as the plain path; anything else as it is."""
    if url.startswith("image://") and url.endswith("/"):
        return unquote(url[len("image://") : -1])
    return url


# --- reading the published files --------------------------------------------------------------


def our_path(kodi_file: str, mapped_folder: str, folder: str) -> str | None:
    """The path in our file system of a file Kodi stores under `mapped_folder` (our `folder`);
    None when it is not below it."""
    relative = _relative(kodi_file, mapped_folder)
    return os.path.join(folder, *relative.split("/")) if relative else None


def mapped_sibling(kodi_file: str, name: str) -> str:
    """A file beside `kodi_file`, in Kodi's form (its separator)."""
    sep = "\\" if is_windows(kodi_file) else "/"
    return kodi_file.rsplit(sep, 1)[0] + sep + name


class EpisodeFiles:
    """Each video file's NFO blocks and thumb, read once per file. `libraries` are the
    configured ones: an NFO that is a link out of them all is not read (a link swapped in for
    our NFO, or one publish could not replace, would send what it leads to into Kodi)."""

    def __init__(self, libraries: Iterable[LibraryConfig] = ()) -> None:
        self._blocks: dict[str, list[EpisodeBlock]] = {}
        self._libraries = list(libraries)

    def blocks(self, video: str) -> list[EpisodeBlock]:
        if video not in self._blocks:
            nfo = str(Path(video).with_suffix(".nfo"))
            outside = files.link_target_outside(nfo, self._libraries)
            if outside is not None:
                log.warning(
                    "%s: a link to %s, outside every library; not read, nothing of it is sent",
                    files.display(nfo),
                    files.display(outside),
                )
                self._blocks[video] = []
                return []
            try:
                self._blocks[video] = parse_episode_nfo(
                    files.read_regular(nfo, MAX_NFO_BYTES, inside=self._libraries)
                )
            except OSError as exc:
                log.debug("no episode NFO to push for %s: %s", video, exc)
                self._blocks[video] = []
        return self._blocks[video]


def movie_nfo_userrating(video: str, libraries: Iterable[LibraryConfig] = ()) -> int | None:
    """The `<userrating>` (1 to 10) of the `<name>.nfo` beside a movie's `video`, the one
    PUBLISH writes (it keeps the user's: Kodi's own export, tinyMediaManager write one): what a
    refresh gives the movie, as Kodi stores an NFO's user rating whatever its settings
    (`CVideoDatabase::SetDetailsForMovie`; its play count only with <importwatchedstate>).
    None when there is none, it cannot be read (or is a link out of every library), it is not
    one `<movie>`, or a `movie.nfo` is beside it (the user's, which publish leaves: Kodi reads
    that one first in a library of movie folders, `CNfoFile`'s FindNFO)."""
    nfo = str(Path(video).with_suffix(".nfo"))
    other = os.path.join(os.path.dirname(video), "movie.nfo")
    if other != nfo and os.path.lexists(other):
        return None
    return _nfo_userrating(nfo, "movie", libraries)


def show_nfo_userrating(folder: str, libraries: Iterable[LibraryConfig] = ()) -> int | None:
    """The `<userrating>` (1 to 10) of a show folder's `tvshow.nfo`: what a RefreshTVShow
    sets the show's rating to (`CVideoDatabase::UpdateDetailsForTvShow`); None when there is
    none or it cannot be read."""
    return _nfo_userrating(os.path.join(folder, "tvshow.nfo"), "tvshow", libraries)


def _nfo_root(nfo: str, kind: str, libraries: Iterable[LibraryConfig]) -> etree._Element | None:
    """The root element of the NFO at `nfo` when it is one `<kind>`; None when it cannot be
    read (a link out of every library, not a regular file, too large, not XML) or is another."""
    libraries = list(libraries)
    if files.link_target_outside(nfo, libraries) is not None:
        return None
    try:
        root = etree.fromstring(files.read_regular(nfo, MAX_NFO_BYTES, inside=libraries), _PARSER)
    except (OSError, etree.XMLSyntaxError, ValueError):
        return None
    return root if root.tag == kind else None


def _nfo_userrating(nfo: str, kind: str, libraries: Iterable[LibraryConfig]) -> int | None:
    root = _nfo_root(nfo, kind, libraries)
    if root is None:
        return None
    rating = _int(root.findtext("userrating"))
    return rating if rating is not None and 0 < rating < 11 else None


def movie_nfo_tags(nfo: str, libraries: Iterable[LibraryConfig] = ()) -> list[str] | None:
    """The `<tag>`s of a published movie NFO, in order: what Kodi reads into the movie's tags
    (a refresh or a scan sets the NFO's). None when it cannot be read (or is a link out of
    every library) or is not one `<movie>`."""
    return _nfo_tags(nfo, "movie", libraries)


def show_nfo_tags(folder: str, libraries: Iterable[LibraryConfig] = ()) -> list[str] | None:
    """The `<tag>`s of a show folder's `tvshow.nfo`, in order: what a RefreshTVShow adds to
    the show's tags. None when it cannot be read (or is a link out of every library) or is
    not one `<tvshow>`."""
    return _nfo_tags(os.path.join(folder, "tvshow.nfo"), "tvshow", libraries)


def _nfo_tags(nfo: str, kind: str, libraries: Iterable[LibraryConfig]) -> list[str] | None:
    root = _nfo_root(nfo, kind, libraries)
    if root is None:
        return None
    return tag_union(t for el in root.findall("tag") if (t := (el.text or "").strip()))


# --- tags as Kodi tells them apart ------------------------------------------------------------
#
# Kodi 20.1 links a tag by name: `CVideoDatabase::AddToTable` (AddTag, AddLinksToItem: an NFO's
# `<tag>`s, SetMovieDetails / SetTVShowDetails `tag`) runs `SELECT tag_id FROM tag WHERE name
# LIKE '<name>'` and adds a row only when none is found. SQLite's LIKE folds ASCII letter case:
# "Time Travel" and "time travel" are one tag, listed (GetMovieDetails `tag`) in the spelling
# stored first, whichever NFO or user that was. So tags are compared that way here.

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def tag_key(tag: str) -> str:
    """A tag as Kodi looks it up: ASCII letters of either case are the same (SQLite's LIKE;
    other letters are not: "Émile" and "émile" are two tags there)."""
    return tag.translate(_ASCII_LOWER)


def tags_lacking(tags: Iterable[str], others: Iterable[str]) -> list[str]:
    """The tags of `tags` that are none of `others` for Kodi (`tag_key`), in order."""
    known = {tag_key(t) for t in others}
    return [t for t in tags if tag_key(t) not in known]


def tags_among(tags: Iterable[str], others: Iterable[str]) -> list[str]:
    """The tags of `tags` that are one of `others` for Kodi (`tag_key`), in order."""
    known = {tag_key(t) for t in others}
    return [t for t in tags if tag_key(t) in known]


def tag_union(*lists: Iterable[str]) -> list[str]:
    """The tags of `lists`, each once for Kodi (`tag_key`), in the first spelling met."""
    out: dict[str, str] = {}
    for tags in lists:
        for t in tags:
            out.setdefault(tag_key(t), t)
    return list(out.values())


def thumb_name(video: str) -> str | None:
    """The name of the `<base>-thumb.<ext>` beside `video`, when one is there."""
    stem = Path(video).stem
    for ext in THUMB_EXTS:
        name = f"{stem}-thumb.{ext}"
        if os.path.isfile(os.path.join(os.path.dirname(video), name)):
            return name
    return None


# --- small readers ------------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _text(root: etree._Element, tag: str) -> str:
    return (root.findtext(tag) or "").strip()


def _all(root: etree._Element, tag: str) -> tuple[str, ...]:
    return tuple(t for el in root.findall(tag) if (t := (el.text or "").strip()))


def _ratings(root: etree._Element) -> dict[str, tuple[float, int, bool]]:
    out = {}
    for el in root.findall("ratings/rating"):
        name = el.get("name")
        try:
            value = float(el.findtext("value") or "")
        except ValueError:
            continue
        if name:
            votes = _int(el.findtext("votes")) or 0
            out[name] = (value, votes, el.get("default") == "true")
    return out


def _rounded(ratings: Mapping[str, tuple[float, int, bool]]) -> dict:
    return {name: (round(v, 1), votes, d) for name, (v, votes, d) in ratings.items()}


def _kodi_ratings(ratings: Any) -> dict:
    """Kodi's `ratings` (`{name: {rating, votes, default}}`, float32 values) for comparing."""
    out = {}
    for name, r in (ratings or {}).items() if isinstance(ratings, dict) else ():
        if isinstance(r, dict):
            value = round(float(r.get("rating") or 0), 1)
            out[name] = (value, int(r.get("votes") or 0), bool(r.get("default")))
    return out


# --- a show whose folder was renamed ----------------------------------------------------------

WATCHED_PROPERTIES = ["file", "season", "episode", "playcount", "resume", "lastplayed"]


@dataclass(frozen=True)
class Watched:
    """An episode's watched state, keyed by its place below the show folder and its number."""

    relative: str
    season: int
    episode: int
    details: dict[str, Any]  # playcount, resume, lastplayed as SetEpisodeDetails takes them


def watched_episodes(episodes: list[Mapping[str, Any]], mapped_folder: str) -> list[Watched]:
    """The episodes of a show (Kodi's GetEpisodes) that were played or have a resume point."""
    out = []
    for e in episodes:
        details = watched_details(e)
        relative = _relative(str(e.get("file", "")), mapped_folder)
        if details is None or relative is None:
            continue
        out.append(Watched(relative, int(e["season"]), int(e["episode"]), details))
    return out


def watched_details(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """An episode's or movie's play count, resume point and last played time as
    SetEpisodeDetails / SetMovieDetails take them; None when it was never played."""
    resume = entry.get("resume") or {}
    played = int(entry.get("playcount") or 0)
    if not played and not float(resume.get("position") or 0):
        return None
    details: dict[str, Any] = {"playcount": played}
    if float(resume.get("position") or 0):
        details["resume"] = {
            "position": float(resume["position"]),
            "total": float(resume.get("total") or 0),
        }
    if entry.get("lastplayed"):
        details["lastplayed"] = entry["lastplayed"]
    return details


def restore_watched(
    watched: list[Watched], episodes: list[Mapping[str, Any]], mapped_folder: str
) -> dict[int, dict[str, Any]]:
    """episodeid -> the watched state to give back, for the episodes of the show at its new
    folder that are the same file (same place below the show folder) and number."""
    by_place = {(w.relative, w.season, w.episode): w for w in watched}
    out = {}
    for e in episodes:
        relative = _relative(str(e.get("file", "")), mapped_folder)
        w = by_place.get((relative, e.get("season"), e.get("episode")))
        if w is not None and "episodeid" in e:
            out[int(e["episodeid"])] = w.details
    return out


def _relative(kodi_file: str, mapped_folder: str) -> str | None:
    if not pathmap.is_under(kodi_file, mapped_folder):
        return None
    rest = kodi_file[len(mapped_folder.rstrip("/\\")) :].lstrip("/\\")
    return "/".join(p for p in re.split(r"[/\\]", rest) if p) or None


def folder_is_gone(kodi_folder: str, mapped_root: str, root: str) -> bool:
    """Whether the folder Kodi has a show at (or the file it has a movie at) is, on our side,
    inside our library root and no longer there (renamed or moved); False when it cannot be
    told."""
    ours = our_path(kodi_folder, mapped_root, root)
    return ours is not None and os.path.isdir(root) and not os.path.lexists(ours)
