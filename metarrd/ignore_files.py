"""The players' ignore files that hold patterns: Jellyfin's `.ignore` and Plex's `.plexignore`.

Jellyfin (10.11, `DotIgnoreIgnoreRule`) reads a `.ignore` that holds lines as gitignore-style
patterns: a file or folder one matches is left out of its scan, a folder with all below it. Only
the nearest `.ignore` counts (the one in the folder itself, else in the nearest folder above,
past the library's own folder: `above`);
`!` takes back what an earlier pattern matched; the match ignores case (the `Ignore` library's
`RegexOptions.IgnoreCase`). An empty or blank `.ignore` keeps its whole folder out
(`walk.kept_out_rule`, not here).

Plex reads a `.plexignore` (support.plex.tv, "Excluding New Content with .plexignore"): one
pattern a line, `#` for a comment, `*` for any characters of one name, patterns relative to the
folder holding the file; one in the library's root applies to every folder below, and each
folder's own file adds its lines to those above it.

Both: a pattern without `/` matches a file or folder of that name at any depth below the file;
one with a `/` is relative to the folder holding the file (`Extras/*`, `/Sample`); a trailing
`/` matches folders only; `**` stands for any number of folders. A pattern is matched segment
by segment without backtracking regexes: each `*`-free piece is a fixed-width regex of escaped
text (no user text reaches a regex unescaped), searched left to right, so a hostile pattern
costs at most (pieces x name length) per name, and a file holds at most `MAX_PATTERNS` of them.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from metarrd.files import display, read_regular

JELLYFIN_FILE = ".ignore"
PLEX_FILE = ".plexignore"
NAMES = frozenset({JELLYFIN_FILE, PLEX_FILE})
MAX_BYTES = 64 * 1024
"""A larger file is no ignore file anybody wrote: it is not read (logged by the caller)."""
MAX_PATTERNS = 1000
MAX_PATTERN_CHARS = 1024

_ANY_FOLDERS = None  # a `**` segment


@dataclass(frozen=True)
class _Piece:
    """A run of a glob segment without `*`: a fixed number of characters."""

    rx: re.Pattern[str]
    width: int


_Segment = tuple[_Piece, ...] | None  # the pieces between a segment's stars; None for `**`


@dataclass(frozen=True)
class Pattern:
    text: str  # as the user wrote it, for the message
    segments: tuple[_Segment, ...]
    negate: bool = False
    folders_only: bool = False


@dataclass(frozen=True)
class PatternFile:
    folder: str  # the folder holding it: its patterns are relative to it
    source: str  # the file's path
    patterns: tuple[Pattern, ...]
    player: str  # "Jellyfin" or "Plex"

    def rule_for(self, path: str, is_dir: bool) -> str | None:
        """Why `path` (a file, or a folder when `is_dir`) is left out by this file, as a user
        reads it; None when no pattern leaves it out (or a later `!` pattern takes it back)."""
        base = self.folder.rstrip(os.sep) + os.sep
        if not path.startswith(base) or len(path) == len(base):
            return None  # not below the file's folder (the paths are the walk's, normalised)
        parts = path[len(base) :].split(os.sep)
        hit: Pattern | None = None
        for pattern in self.patterns:
            if pattern.folders_only and not is_dir:
                continue
            if pattern.negate:
                if hit is not None and _matches(pattern.segments, parts):
                    hit = None
            elif hit is None and _matches(pattern.segments, parts):
                hit = pattern
        if hit is None:
            return None
        return (
            f"matched by the pattern `{hit.text}` in {display(self.source)} ({self.player} "
            "does not scan it): not scanned"
        )


@dataclass(frozen=True)
class Rules:
    """The pattern files in force in a folder: the nearest `.ignore`, every `.plexignore`."""

    jellyfin: PatternFile | None = None
    plex: tuple[PatternFile, ...] = ()

    def __bool__(self) -> bool:
        return self.jellyfin is not None or bool(self.plex)

    def entering(self, folder: str, names: Iterable[str]) -> Rules:
        """The rules in force inside `folder`, whose listing holds `names` (only the ignore
        files' names are looked at)."""
        jellyfin, plex = self.jellyfin, self.plex
        for name in NAMES.intersection(names):
            path = os.path.join(folder, name)
            found = load(path)
            if name == JELLYFIN_FILE and not os.path.isdir(path):  # Jellyfin's File.Exists
                # the nearest one only, as Jellyfin: a blank one too (below a library's root
                # it keeps its folder out, `walk.kept_out_rule`; in the root, the patterns of
                # one above are no longer in force)
                jellyfin = found
            elif found is not None:
                plex = (*plex, found)
        if jellyfin is self.jellyfin and plex is self.plex:
            return self
        return Rules(jellyfin, plex)

    def entering_on_disk(self, folder: str) -> Rules:
        """`entering`, for a folder not listed: a look for each ignore file."""
        return self.entering(folder, [n for n in NAMES if os.path.lexists(os.path.join(folder, n))])

    def rule_for(self, path: str, is_dir: bool) -> str | None:
        """Why a player leaves `path` out by a pattern (see `PatternFile.rule_for`)."""
        if self.jellyfin is not None and (rule := self.jellyfin.rule_for(path, is_dir)):
            return rule
        for found in self.plex:
            if rule := found.rule_for(path, is_dir):
                return rule
        return None


NONE = Rules()


def above(root: str | os.PathLike[str]) -> Rules:
    """The rules in force in a library's folder `root` before its own files are read: the
    nearest `.ignore` in a folder above it, up to the file system's root, as Jellyfin looks for
    one from an item's folder up (DotIgnoreIgnoreRule.FindIgnoreFile: `current.Parent` until
    there is none), past its library's folder. Plex reads a `.plexignore` in the library's
    folders only. A blank one above keeps nothing out, as the root's own does not: a whole
    library is never left out (`walk.kept_out_rule` is for folders below the root)."""
    folder = os.path.normpath(root)
    parent = os.path.dirname(folder)
    while parent != folder:
        path = os.path.join(parent, JELLYFIN_FILE)
        if os.path.lexists(path) and not os.path.isdir(path):  # Jellyfin's File.Exists
            found = load(path)  # the nearest only: a blank or unreadable one ends the look
            return NONE if found is None else Rules(found)
        folder, parent = parent, os.path.dirname(parent)
    return NONE


def at_root(root: str | os.PathLike[str]) -> Rules:
    """The rules in force inside a library's folder `root`: those `above` it, then its own
    ignore files."""
    return above(root).entering_on_disk(os.fspath(root))


def load(path: str) -> PatternFile | None:
    """The patterns of the ignore file at `path`; None when there is no regular file there of
    at most `MAX_BYTES` bytes, or (for `.ignore`) when it is blank: that one keeps its whole
    folder out (`walk.kept_out_rule`). Parsed once for each version of the file."""
    try:
        st = os.stat(path)  # a symlink to an ignore file is read, as Jellyfin resolves it
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
        return None
    return _parsed(path, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))


@functools.lru_cache(maxsize=256)
def _parsed(path: str, _version: tuple[int, int, int, int]) -> PatternFile | None:
    try:  # a regular file only: one swapped for a FIFO since the stat cannot hang the walk
        text = read_regular(path, MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    name = os.path.basename(path)
    if name == JELLYFIN_FILE and not text.strip():
        return None
    gitignore = name == JELLYFIN_FILE
    patterns = []
    for line in text.split("\n")[: MAX_PATTERNS * 4]:
        pattern = parse(line, gitignore=gitignore)
        if pattern is not None:
            patterns.append(pattern)
            if len(patterns) >= MAX_PATTERNS:
                break
    return PatternFile(
        os.path.dirname(path), path, tuple(patterns), "Jellyfin" if gitignore else "Plex"
    )


def parse(line: str, *, gitignore: bool = True) -> Pattern | None:
    """One line of an ignore file; None for a blank line, a comment or a pattern of nothing.
    `gitignore`: Jellyfin's `!` (take back) and `\\!`, `\\#` (a name starting so)."""
    text = line.strip()
    if not text or text.startswith("#") or len(text) > MAX_PATTERN_CHARS:
        return None
    body, negate = text, False
    if gitignore and body.startswith("!"):
        body, negate = body[1:], True
    elif gitignore and body.startswith(("\\!", "\\#")):
        body = body[1:]
    folders_only = body.endswith("/")
    body = body.rstrip("/")
    anchored = "/" in body
    names = [s for s in body.split("/") if s]
    if not names:
        return None
    if not anchored:
        names = ["**", names[0]]  # a name at any depth
    segments = tuple(_ANY_FOLDERS if s == "**" else _segment(s) for s in names)
    return Pattern(text, segments, negate, folders_only)


def _segment(glob: str) -> tuple[_Piece, ...]:
    """The pieces of one segment between its `*`s, each a fixed-width regex of escaped text,
    `?` (one character) and `[...]` classes."""
    pieces: list[_Piece] = []
    out: list[str] = []
    width = 0
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "*":
            pieces.append(_piece(out, width))
            out, width = [], 0
            while i < n and glob[i] == "*":
                i += 1
            continue
        if c == "?":
            out.append(".")
        elif c == "[" and (end := _class_end(glob, i)) is not None:
            out.append(_class(glob[i + 1 : end]))
            i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(c))
        width += 1
        i += 1
    pieces.append(_piece(out, width))
    return tuple(pieces)


def _piece(out: list[str], width: int) -> _Piece:
    return _Piece(re.compile("".join(out), re.IGNORECASE | re.DOTALL), width)


def _class_end(glob: str, start: int) -> int | None:
    """Where the `[...]` class opened at `start` closes; None when it does not (a `[` then)."""
    i = start + 1
    if i < len(glob) and glob[i] in "!^":
        i += 1
    if i < len(glob) and glob[i] == "]":
        i += 1
    end = glob.find("]", i)
    return end if end != -1 else None


def _class(inner: str) -> str:
    """A regex class of a glob's `[...]` body: each character escaped, ranges kept."""
    negate = inner[:1] in ("!", "^")
    if negate:
        inner = inner[1:]
    parts = []
    i = 0
    while i < len(inner):
        if i + 2 < len(inner) and inner[i + 1] == "-" and inner[i] <= inner[i + 2]:
            parts.append(f"{re.escape(inner[i])}-{re.escape(inner[i + 2])}")
            i += 3
        else:
            parts.append(re.escape(inner[i]))
            i += 1
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def _matches(segments: tuple[_Segment, ...], parts: list[str]) -> bool:
    """Do the pattern's segments match the path's names, a `**` standing for any number of
    them? The positions each step can reach, at most (segments x names) name matches."""
    reach = {0}
    for segment in segments:
        if segment is _ANY_FOLDERS:
            reach = set(range(min(reach), len(parts) + 1))
        else:
            reach = {j + 1 for j in reach if j < len(parts) and _glob(segment, parts[j])}
        if not reach:
            return False
    return len(parts) in reach


def _glob(pieces: tuple[_Piece, ...], name: str) -> bool:
    """Does one segment match one name? Without a star, the one piece matches it whole; else
    the first piece starts it, the last ends it, and each between is found leftmost after the
    one before: with fixed-width pieces that is right, and linear in their count."""
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1:
        return first.width == len(name) and first.rx.fullmatch(name) is not None
    end = len(name) - last.width
    if end < first.width:
        return False
    if first.rx.fullmatch(name, 0, first.width) is None:
        return False
    if last.rx.fullmatch(name, end) is None:
        return False
    pos = first.width
    for piece in pieces[1:-1]:
        if piece.width == 0:
            continue
        found = piece.rx.search(name, pos, end)
        if found is None:
            return False
        pos = found.end()
    return True
