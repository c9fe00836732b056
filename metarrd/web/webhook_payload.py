"""Reading a Radarr/Sonarr webhook body: the JSON itself, the shape of the parts we use, and the
paths in it, which Radarr may see under another root than we do (Docker: `/movies/...` for our
`/srv/media/movies/...`; on Windows: `D:\\Media\\Movies\\...` or `\\\\nas\\movies\\...`;
`[webhooks] path_map` translates them, pathmap.py).

Everything that is not what Radarr sends is a `BadPayload` whose message names the field, so
the sender gets a 400 with a reason, never a 500: bytes that are not UTF-8, JSON nested deeper
than any real payload, strings that are not valid Unicode (a lone surrogate such as `\\ud800`),
and a field of the wrong type (`"series": "str"`, `"remoteMovie": [1]`).
"""

from __future__ import annotations

import json
import ntpath
import os
import posixpath
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from metarrd.config import PathMap
from metarrd.pathmap import PathNotMapped, map_path, windows_parts
from metarrd.paths import is_inside, is_windows
from metarrd.spelling import on_disk
from metarrd.text import fit, toml_string
from metarrd.web.ids import MAX_INT

MAX_DEPTH = 16  # Radarr's and Sonarr's payloads nest 4 deep
PATH_MAX = 4096  # bytes, Linux's (limits.h): no longer path names a file
TEXT_MAX = 200  # characters of a title or name in a message, a log line, an event


class BadPayload(Exception):
    """The body is not a payload we understand (400)."""


# --- the body ------------------------------------------------------------------------------


def parse_body(data: bytes) -> dict[str, Any]:
    """The JSON object in `data`, with a string `eventType`; else BadPayload."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("malformed body: not UTF-8 text") from None
    try:
        body = json.loads(text)
    except RecursionError:
        raise BadPayload("malformed body: JSON nested too deeply") from None
    except ValueError as exc:
        raise BadPayload(f"malformed body: not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise BadPayload("malformed body: expected a JSON object")
    _check_strings(body)
    event = body.get("eventType")
    if not isinstance(event, str) or not event:
        raise BadPayload("malformed body: no eventType")
    return body


def _check_strings(body: dict[str, Any]) -> None:
    """Every key and string is valid Unicode, and nothing nests deeper than MAX_DEPTH (walked
    with a list, not recursion)."""
    todo: list[tuple[Any, int]] = [(body, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise BadPayload("malformed body: JSON nested too deeply")
        if isinstance(value, dict):
            todo.extend((k, depth) for k in value)
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise BadPayload(
                    "malformed body: a string is not valid Unicode (a lone surrogate)"
                ) from None


# --- typed parts ---------------------------------------------------------------------------


def obj(parent: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict | None:
    """`parent[key]` as an object; None when absent (or null) and not required."""
    value = parent.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise BadPayload(f"{where}{key}: expected an object, got {_kind(value)}")
    return value


def objects(parent: dict[str, Any], key: str, where: str) -> list[dict[str, Any]] | None:
    """`parent[key]` as a list of objects; None when absent (or null)."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadPayload(f"{where}{key}: expected a list, got {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise BadPayload(f"{where}{key}[{i}]: expected an object, got {_kind(item)}")
    return value


def text(parent: dict[str, Any], key: str, default: str = "") -> str:
    """A string field for messages, cut at TEXT_MAX characters (a 16 MiB body may hold a title
    of megabytes: whole, it filled a log line and an event row) and fit (a NUL in an event's
    text is a 500 on PostgreSQL); anything else is `default`. A path is never read with it: a
    Linux file name may hold a control character, and the path is used as sent."""
    value = parent.get(key)
    if not isinstance(value, str):
        return default
    return fit(value if len(value) <= TEXT_MAX else value[: TEXT_MAX - 1] + "…") or default


# An IMDb id as the search box takes one (web/identify.py IMDB_RE): ASCII digits only, since
# "tt٠١١٣٢٧٧" is digits to str.isdigit(), and no longer than a real one.
IMDB_ID = re.compile(r"tt[0-9]{5,10}")


def ids(movie: dict[str, Any]) -> dict[str, Any]:
    """The movie's TMDB and IMDb ids when they look real (others are left out)."""
    tmdb_id = movie.get("tmdbId")
    imdb_id = movie.get("imdbId")
    found: dict[str, Any] = {}
    if type(tmdb_id) is int and 0 < tmdb_id <= MAX_INT:
        found["tmdb_id"] = tmdb_id
    if isinstance(imdb_id, str) and IMDB_ID.fullmatch(imdb_id):
        found["imdb_id"] = imdb_id
    return found


def series_ids(series: dict[str, Any]) -> dict[str, Any]:
    """A Sonarr series' TMDB (TV), TheTVDB and IMDb ids when they look real (Sonarr sends 0 for
    an unknown id)."""
    found = ids(series)
    tvdb_id = series.get("tvdbId")
    if type(tvdb_id) is int and 0 < tvdb_id <= MAX_INT:
        found["tvdb_id"] = tvdb_id
    return found


# Sonarr's SeriesTypes (src/NzbDrone.Core/Tv/SeriesTypes.cs), sent camelCase as `series.type`
# (WebhookSeries.cs): how the series' files are numbered
SERIES_TYPES = frozenset({"standard", "daily", "anime"})


def series_type(series: dict[str, Any]) -> str | None:
    """A Sonarr series' type (`standard`, `daily`, `anime`), or None when it sends none we know
    (an older Sonarr, the Test event)."""
    value = series.get("type")
    value = value.lower() if isinstance(value, str) else None
    return value if value in SERIES_TYPES else None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


# --- paths ---------------------------------------------------------------------------------


def sent_path(value: Any, what: str) -> str:
    """An absolute path as sent, normalised ("/lib/../etc" must not pass for a path inside
    /lib): POSIX, or Windows (`D:\\...`, `\\\\nas\\share\\...`: Radarr or Sonarr on Windows),
    which only a `[webhooks] path_map` entry makes ours; else BadPayload."""
    if not isinstance(value, str) or "\x00" in value:
        raise BadPayload(f"{what} is not an absolute path: {value!r:.200}")
    if len(value.encode("utf-8")) > PATH_MAX:
        raise BadPayload(
            f"{what} is longer than any path can be ({len(value.encode('utf-8'))} bytes; "
            f"Linux allows {PATH_MAX}): {value!r:.200}"
        )
    if is_windows(value):
        return ntpath.normpath(value)
    if not value.startswith("/"):
        raise BadPayload(f"{what} is not an absolute path: {value!r:.200}")
    return posixpath.normpath(value)


def sent_join(folder: str, relative: str) -> str:
    """A sender's `relative` path below its `folder`, in the folder's form."""
    return ntpath.join(folder, relative) if is_windows(folder) else posixpath.join(folder, relative)


def local_path(path: str, path_map: Sequence[PathMap]) -> str:
    """How we see the sender's `path`: through the longest `[webhooks] path_map` entry that
    covers it (pathmap rules); a path no entry covers stays as it is (a Windows one is then
    outside every library). A `from` typed in the other Unicode form than the sender's
    (`/Volumes/Vidéos` NFC in the TOML, NFD from a Radarr on a Mac, whose SMB client hands
    names over decomposed) covers it all the same: the names below it are disk_spelling's."""
    try:
        return map_path(path, path_map, "[webhooks]")
    except PathNotMapped:
        pass
    composed = [PathMap(unicodedata.normalize("NFC", m.from_), m.to) for m in path_map]
    try:
        return map_path(unicodedata.normalize("NFC", path), composed, "[webhooks]")
    except PathNotMapped:
        return path


def disk_spelling(path: str, roots: Sequence[str]) -> str:
    """`path` as the disk spells it (`spelling.on_disk`, as `metarrd scan PATH` reads one):
    each of its names below the library root (of `roots`) that holds it that is not there as
    sent is looked for in its folder in the other Unicode normalisation (Radarr and Sonarr on
    Linux send what their database holds, often NFC; a NAS or a Mac share may hold the name
    NFD, or the other way round). A name found in neither stays as sent, and so does
    everything after it; one that matches several names there, and none exactly, raises
    `SpelledTwice` (the call is refused: never one of them picked). A path outside every
    library is not looked at: its folders are none of ours to list (and may hang, a dead
    network mount)."""
    if path.isascii() or not path.startswith("/"):
        return path
    sent = unicodedata.normalize("NFC", path)
    holding = [
        root
        for root in map(posixpath.normpath, roots)
        if is_inside(sent, unicodedata.normalize("NFC", root), "/")
    ]
    return on_disk(path, max(holding, key=len)) if holding else path


def other_spellings(path: str) -> list[str]:
    """`path` with the names below its deepest folder on disk in the other Unicode forms (NFC,
    NFD): how our items may spell a path that is gone, which disk_spelling cannot look up (a
    file deleted, a folder removed: the scan stored the names as the disk spelled them)."""
    if path.isascii() or not path.startswith("/"):
        return []
    there = path
    while there != "/" and not os.path.lexists(there):
        there = os.path.dirname(there)
    rest = path[len(there) :].lstrip("/")
    spellings = []
    for form in ("NFC", "NFD"):
        spelled = posixpath.join(there, unicodedata.normalize(form, rest))
        if spelled != path and spelled not in spellings:
            spellings.append(spelled)
    return spellings


def suggest_mapping(
    folder: str, roots: Sequence[str], exists: Callable[[str], bool] = os.path.exists
) -> PathMap | None:
    """The `path_map` entry that would put the sender's movie `folder` inside a library, best
    guess first: a split of `folder` whose rest exists under a library root; a component named
    like a root's last folder (on Windows in any case); with one library, the folder's parent
    (Radarr's root folder). A Windows `folder` gets a Windows `from`."""
    windows = is_windows(folder)
    drive, parts = windows_parts(folder) if windows else ("", [p for p in folder.split("/") if p])

    def sender(names: list[str]) -> str:
        if not windows:
            return "/" + "/".join(names)
        if not names and drive.endswith(":"):
            return drive + "\\"  # a drive's root: "D:" alone is a relative path
        return "\\".join([drive, *names])

    def same(name: str, root: str) -> bool:
        last = posixpath.basename(root.rstrip("/"))
        return name.casefold() == last.casefold() if windows else name == last

    for i in range(len(parts)):
        rest = "/".join(parts[i:])
        for root in roots:
            if exists(posixpath.join(root, rest)):
                return PathMap(from_=sender(parts[:i]), to=root)
    for i in range(len(parts) - 1, -1, -1):
        for root in roots:
            if same(parts[i], root):
                return PathMap(from_=sender(parts[: i + 1]), to=root)
    if len(roots) == 1 and len(parts) >= 2:
        return PathMap(from_=sender(parts[:-1]), to=roots[0])
    return None


def toml_entry(entry: PathMap) -> str:
    return f"{{ from = {toml_string(entry.from_)}, to = {toml_string(entry.to)} }}"
