"""Jellyfin's naming rules that decide what one movie is, where they differ from Kodi's.

Pure: names in, answers out. Jellyfin stacks parts by their names (Emby.Naming
`NamingOptions.VideoFileStackingRules`, `StackResolver.Resolve`, 10.9 to 10.11): the stack's
name, then a separator or a closing bracket, then cd, dvd, part, pt, disc or disk and a number
(or a letter a to d): `Movie (2000) - Disc 1`, `Movie (2000) (Disc 02)`. A folder named
`Disc 1` or `CD1` alone is no part: no separator comes before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_STACK_PART = re.compile(
    r"^(?P<name>.*?)(?:(?<=[\]\)\}])|[ _.-]+)[\(\[]?(?P<type>cd|dvd|part|pt|dis[ck])[ _.-]*"
    r"(?:(?P<number>[0-9]+)|(?P<letter>[a-d]))[\)\]]?(?:\.[^.]+)?$",
    re.IGNORECASE,
)

# the folders Jellyfin takes for a movie's extras, whatever their case (NamingOptions
# VideoExtraRules, `ExtraRuleType.DirectoryName`): never one of its discs
EXTRAS_FOLDERS = frozenset(
    {
        "trailers",
        "backdrops",
        "theme-music",
        "behind the scenes",
        "deleted scenes",
        "interviews",
        "scenes",
        "samples",
        "shorts",
        "featurettes",
        "extras",
        "extra",
        "other",
        "clips",
    }
)


# what may follow the folder's name in a version's file name (VideoListResolver
# IsEligibleForMultiVersion): nothing, or `-`, `_`, `.`, or a label in brackets first
_VERSION_LABEL = re.compile(r"^(?:$|[-_.]|\[[^]]*\])")


def is_version(folder: str, file: str) -> bool:
    """Whether Jellyfin takes `file` for a version of the movie in `folder` (names): its name
    without the extension starts with the folder's, and what follows starts with `-`, `_`, `.`
    or a `[label]` (`Heat (1995) - 1080p.mkv`, `Heat (1995) [Director's Cut].mkv`)."""
    stem = file.rsplit(".", 1)[0] if "." in file else file
    if len(folder) <= 1 or stem[: len(folder)].lower() != folder.lower():
        return False
    return _VERSION_LABEL.match(stem[len(folder) :].strip()) is not None


def stack_part(name: str) -> tuple[tuple[str, str, bool], str] | None:
    """(which stack: its name, part type, numbered or lettered; which part) of a file's or
    folder's name, or None for one that is no part of a stack."""
    m = _STACK_PART.match(name)
    if m is None:
        return None
    part = m["number"] if m["number"] is not None else m["letter"].lower()
    return (m["name"], m["type"].lower(), m["number"] is not None), part


def _stacks(names: list[str]) -> int:
    """How many stacks of two parts or more Jellyfin makes of `names` (StackResolver.Resolve:
    in name order, each name the part of the first stack that takes it; a part number seen
    twice, or another part type, starts no second stack of that name)."""
    stacks: dict[str, tuple[str, bool, set[str]]] = {}  # name -> (type, numbered, parts)
    for name in sorted(names):
        found = stack_part(name)
        if found is None:
            continue
        (stack, kind, numbered), part = found
        if stack not in stacks:
            stacks[stack] = (kind, numbered, {part.casefold()})
            continue
        known_kind, known_numbered, parts = stacks[stack]
        if kind == known_kind and numbered == known_numbered and part.casefold() not in parts:
            parts.add(part.casefold())
    return sum(len(parts) >= 2 for _kind, _numbered, parts in stacks.values())


def disc_stack_first(discs: Mapping[str, str]) -> str | None:
    """For the disc folders that one folder holds (their names -> `dvd` or `bluray`), and
    nothing else Jellyfin takes for a movie there: the first disc's name when Jellyfin makes
    them one movie (MovieResolver.GetMultiDiscMovie): two discs or more, all of one kind,
    whose names make exactly one stack. That movie's `Path` is the first disc folder by name,
    its other discs `AdditionalParts`, and its NFO is read in the folder above them (a stacked
    video's `ContainingFolderPath`). None when Jellyfin makes no such movie (each disc is then
    a movie of its own, as in Kodi)."""
    if len(discs) < 2 or len(set(discs.values())) != 1 or _stacks(list(discs)) != 1:
        return None
    return sorted(discs)[0]
