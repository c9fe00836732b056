"""Where PUBLISH puts each file of a movie, by the names Kodi reads (docs/kodi-layout.md §1).

For a video `<dir>/<base>.<ext>` (`local_files.movie_folder` / `base_name` give `<dir>` and
`<base>`, discs included):

- NFO: `<dir>/<base>.nfo`;
- rank 1 of an art type: `<dir>/<base>-<type>.<ext>`; rank n: `<dir>/<base>-<type><n-1>.<ext>`;
  a disc (`VIDEO_TS`/`BDMV`) has no `<base>` for artwork: `<dir>/<type>.<ext>`, `<dir>/<type><n-1>.<ext>`;
- actor image: `<dir>/.actors/<Name_With_Underscores>.<ext>` (only .jpg/.png are read by Kodi).

Extensions follow the image's real format.

A stack of files (`Heat (1995) cd1.mkv` + `cd2.mkv`) has two bases: its NFO keeps the first
part's name (`Heat (1995) cd1.nfo`, which Kodi reads first and Jellyfin reads at all), its
artwork takes the stacked title Kodi looks under (`Heat (1995)-poster.jpg`;
`local_files.art_base_name`), and the first image of each type Jellyfin reads is copied under
the first part's name, Jellyfin's (`Heat (1995) cd1-poster.jpg`; `stage.jellyfin_stack_art`).
Artwork published earlier under the first part's name past those is in the ledger and no longer
wanted, so the next publish writes the new names and then removes the old.
A folder stack (`Heat (1995)/CD1/Heat (1995) cd1.avi` + `CD2/...`) keeps its NFO in `CD1/`, but
its artwork (and, for `CD1/`...`CD9/`, its `.actors/`) goes in the movie folder above, the only
place Kodi reads it (`scan.folder_stack_art`; `stage._art_home`, `stage._actors_home`).
A disc's artwork has bare names (`poster.jpg`, `fanart1.jpg`): Kodi's art base for a
`VIDEO_TS`/`BDMV` movie is its folder, and a real Kodi 20.1 read none of `<folder>-poster.jpg`.
Disc artwork published under `<folder>-` earlier moves the same way.

`plan_publish` decides, per file, what a publish does to reach that layout (write, replace,
keep, remove, leave) and why; `publish` gathers its inputs from the disk and the ledger and
applies it. Pure functions: nothing here touches the disk.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metarrd.config import ASSET_TYPES
from metarrd.paths import ACTORS_DIR
from metarrd.publish.nfo import XML_INVALID

NFO_EXT = "nfo"
# format (imaging.FORMATS names) -> file extension
FORMAT_EXTS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}
# Kodi lists only .jpg, .png and .tbn in .actors/ (docs/kodi-layout.md §1.4).
ACTOR_EXTS = frozenset({"jpg", "png"})
ACTOR_READ_EXTS = ("jpg", "png", "tbn")  # what Kodi lists there, any letter case
# Every image extension a player may read for the same art slot (a second file there conflicts).
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "gif", "tbn")
MAX_NAME_BYTES = 255
# The label of the poster's copy at `<base>.<ext>` for Plex (`plex_poster_name`).
PLEX_POSTER = "poster for Plex"
WRITE, REPLACE, KEEP, REMOVE, LEAVE = "write", "replace", "keep", "remove", "leave"

_ART_TYPE = re.compile(r"[a-z][a-z0-9]{0,24}")  # Kodi: ASCII letters and digits, <= 25 chars
_ART_SLOT = re.compile(r"([a-z]+)([0-9]*)\.[a-z]+")  # `poster1.jpg` after the prefix
_ILLEGAL = re.compile(r'[/\\:*?"<>|]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Device names Windows reserves, whatever the case and extension ("con.jpg", "Com1.Air.png"):
# a file so named on an SMB share cannot be opened or deleted from a Windows client.
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"{port}{n}" for port in ("com", "lpt") for n in (*"123456789", "¹", "²", "³")}
)


class Warned(str):
    """A publish note that leaves nothing out: every file was written, and the note says how a
    player may read them otherwise (Kodi reading an episode file's name as a range), or that a
    file of the user's is left as it is and shadows ours. The publish line counts it among the
    warnings; every other note is a file skipped (not written, or left without its NFO)."""


def skipped_and_warned(notes: Iterable[str]) -> tuple[list[str], list[str]]:
    """`notes` split into those of files skipped and the warnings (`Warned`), each in order."""
    notes = list(notes)
    return [n for n in notes if not isinstance(n, Warned)], [
        n for n in notes if isinstance(n, Warned)
    ]


class LayoutError(ValueError):
    """A name that cannot be placed safely in the layout (the message says which)."""


@dataclass(frozen=True)
class Target:
    """One file of the layout: its path and what it is."""

    path: Path
    kind: str  # nfo | art | actor
    label: str  # "poster 2", "actor Keanu Reeves", "NFO": for messages and the preview


def ext_for_format(fmt: str | None, fallback: str | None = None) -> str:
    """The file extension for an image format (`jpeg` -> `jpg`); `fallback` when unknown."""
    key = (fmt or "").lower().lstrip(".")
    if key in FORMAT_EXTS:
        return FORMAT_EXTS[key]
    fb = (fallback or "").lower().lstrip(".")
    if fb in FORMAT_EXTS:
        return FORMAT_EXTS[fb]
    raise LayoutError(f"unknown image format {fmt!r}")


def nfo_path(folder: Path, base: str) -> Path:
    return _under(folder, f"{base}.{NFO_EXT}")


def _under(folder: Path | str, *names: str) -> Path:
    """`folder / names...`, building one Path (a publish makes thousands)."""
    return (folder if isinstance(folder, Path) else Path(folder)).joinpath(*names)


def art_prefix(base: str) -> str:
    """What comes before the art type in a name: `<base>-`, nothing for a disc (base "")."""
    return f"{base}-" if base else ""


def art_name(base: str, asset_type: str, rank: int, ext: str) -> str:
    """`<base>-poster.jpg` for rank 1, `<base>-poster1.jpg` for rank 2, and so on; with no base
    (a disc: `local_files.art_base_name`) the bare `poster.jpg`, `poster1.jpg`."""
    if not _ART_TYPE.fullmatch(asset_type):
        raise LayoutError(f"art type {asset_type!r} is not letters and digits (Kodi would drop it)")
    if rank < 1:
        raise LayoutError(f"rank {rank} of {asset_type}: ranks start at 1")
    suffix = "" if rank == 1 else str(rank - 1)
    return f"{art_prefix(base)}{asset_type}{suffix}.{ext}"


def art_slot(name: str, base: str) -> tuple[str, int]:
    """The (art type, rank) behind a name `art_name` gave for `base` (`poster1.jpg` ->
    `("poster", 2)`); LayoutError for any other name."""
    prefix = art_prefix(base)
    m = _ART_SLOT.fullmatch(name[len(prefix) :]) if name.startswith(prefix) else None
    if not m:
        raise LayoutError(f"{name!r} is no artwork name for {base!r}")
    return m.group(1), int(m.group(2) or 0) + 1


def plex_poster_name(base: str, ext: str) -> str:
    """`<base>.<ext>`: the poster's name Plex's Local Media Assets read for the video
    `<base>.<video ext>` (and a stack's first part), in any folder; `<base>-poster.jpg` is not
    one of them (docs/kodi-layout.md §4). Kodi reads no such name for a movie (only
    `<base>-<type>` and a `.tbn`); Jellyfin reads it as the poster, first."""
    if not base:
        raise LayoutError("a disc has no <base> for artwork: its bare poster.jpg is Plex's")
    return f"{base}.{ext}"


def art_path(folder: Path, base: str, asset_type: str, rank: int, ext: str) -> Path:
    return _under(folder, art_name(base, asset_type, rank, ext))


def art_variants(folder: Path, base: str, asset_type: str, rank: int) -> list[Path]:
    """Every name a player could read for this art slot, whatever the image extension."""
    return [art_path(folder, base, asset_type, rank, ext) for ext in IMAGE_EXTS]


def by_lower_name(names: Iterable[str]) -> dict[str, list[str]]:
    """A folder's names by their lower-case spelling, for `slot_rivals`."""
    index: dict[str, list[str]] = {}
    for n in names:
        index.setdefault(n.lower(), []).append(n)
    return index


def slot_rivals(name: str, kind: str, index: Mapping[str, list[str]]) -> list[str]:
    """The other names in a folder (`index`: `by_lower_name` of its listing) that a player
    reads for the same slot as our file `name`, in any letter case Kodi accepts: it compares
    the `<base>-` of an artwork name exactly but lowers the art type and extension after it
    (`<base>-Poster.JPG` is a poster), and compares the stem of an `.actors/` file exactly,
    with any extension case (`CVideoInfoScanner::AddLocalItemArtwork`, `FetchActorThumbs`).
    `kind`: art | actor."""
    stem = name.rpartition(".")[0]
    if kind == "actor":
        fixed, exts = len(stem), ACTOR_READ_EXTS
    else:
        fixed, exts = stem.rfind("-") + 1, IMAGE_EXTS  # art types hold no "-"
    head = name[:fixed]
    return [
        n
        for ext in exts
        for n in index.get(f"{stem}.{ext}".lower(), ())
        if n != name and n.startswith(head)
    ]


def actor_stem(name: str) -> str | None:
    """Kodi's `.actors` name for an actor: spaces become `_`, nothing else changes, except
    that characters no file name may hold (`/ \\ : * ? " < > |`, tab and the other control
    characters XML keeps) become `_`, those the NFO leaves out (`nfo.XML_INVALID`) go, and
    leading dots go, so no name can leave `.actors/` or hide. None when nothing is left,
    or for a device name Windows reserves (`CON`, `NUL`, `COM1`... with any extension): any
    other spelling is one Kodi never looks up, so nothing is written and Kodi uses the NFO's
    thumb URL (trailing dots and spaces cannot occur: the extension follows, and spaces are `_`).
    """
    # no Unicode normalisation: Kodi compares the NFO's bytes ("Zoe" + U+0308 stays so). What
    # the NFO leaves out of `<name>` (characters XML 1.0 cannot hold) is left out here too:
    # replaced by `_`, the name would be one Kodi never looks up.
    text = XML_INVALID.sub("", name or "").strip()
    text = _CONTROL.sub("_", text)
    text = text.replace(" ", "_")
    text = _ILLEGAL.sub("_", text)
    text = text.lstrip(".")
    # A trailing dot stays ("Robert Downey Jr." -> Robert_Downey_Jr..jpg): Kodi compares the whole
    # name, and the extension that follows keeps Windows/SMB from dropping it.
    if not text.strip("_."):
        return None
    if is_windows_device(text):
        return None
    return text


def is_windows_device(stem: str) -> bool:
    """`CON`, `nul.x`, `Com1.Air`...: a name (before its first dot, trailing spaces and dots
    ignored, as Windows does) that Windows reserves for a device."""
    return stem.split(".", 1)[0].rstrip(" .").casefold() in _WINDOWS_DEVICES


def why_no_actor_file(name: str) -> str:
    """Why `actor_file_name` gave nothing for this actor (for the publish notes)."""
    text = (name or "").strip().replace(" ", "_").lstrip(".")
    if text.strip("_.") and is_windows_device(text):
        return (
            f"{text.split('.', 1)[0]} is a device name Windows reserves, which no Windows or SMB "
            "client could open; Kodi shows the NFO's thumb URL instead"
        )
    return "no usable file name"


def actor_file_name(name: str, ext: str) -> str | None:
    """`Keanu_Reeves.jpg`; None when the name leaves nothing usable or the format is one Kodi
    does not read in `.actors/`. Over-long names are cut to fit 255 bytes."""
    if ext not in ACTOR_EXTS:
        return None
    return _fitted_name(name, ext)


def _fitted_name(name: str, ext: str) -> str | None:
    stem = actor_stem(name)
    if stem is None:
        return None
    room = MAX_NAME_BYTES - len(ext.encode("utf-8")) - 1
    raw = stem.encode("utf-8")
    if len(raw) > room:
        stem = raw[:room].decode("utf-8", "ignore").rstrip(". ")
    file_name = f"{stem}.{ext}"
    # Belt and braces: the result is one plain, visible name inside the folder.
    if "/" in file_name or "\0" in file_name or file_name.startswith("."):
        return None
    return file_name


def actor_path(folder: Path, name: str, ext: str) -> Path | None:
    """`<folder>/.actors/<Name_With_Underscores>.<ext>`, or None (see `actor_file_name`)."""
    file_name = actor_file_name(name, ext)
    if file_name is None:
        return None
    return _under(folder, ACTORS_DIR, file_name)


def actor_variants(folder: Path, name: str) -> list[Path]:
    """Every `.actors` file Kodi could match for this actor, whatever the extension."""
    names = (_fitted_name(name, ext) for ext in ACTOR_READ_EXTS)
    return [_under(folder, ACTORS_DIR, n) for n in names if n]


# --- the plan (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A file the layout needs: its bytes come from a cache file (`source`) or from `data`."""

    path: Path
    kind: str  # nfo | art | actor
    label: str  # "poster 1", "actor Keanu Reeves", "NFO"
    sha256: str
    size: int
    source: Path | None = None
    data: bytes | None = None
    cache_file_id: int | None = None
    backup_type: str = ""  # cache image type for a backup of what sits at `path` now
    actor_id: int | None = None


@dataclass(frozen=True)
class LedgerEntry:
    path: Path
    sha256: str
    size: int
    kind: str = "art"
    mtime_ns: int | None = None  # the file's lstat when we wrote it (None: not recorded)
    ctime_ns: int | None = None
    pending: str | None = None  # a write that may have landed (a crash between rename and row)

    def holds(self, now: str | None) -> bool:
        """Whether `now` (the SHA-256 on disk) is a file we wrote there."""
        return now is not None and now in (self.sha256, self.pending)


@dataclass(frozen=True)
class FileAction:
    path: Path
    action: str  # write | replace | keep | remove | leave
    reason: str
    kind: str
    backup: bool = False  # copy the current file into the cache first
    wanted: Wanted | None = None
    backup_type: str = ""


@dataclass
class PublishPlan:
    movie_id: int
    title: str
    folder: Path
    actions: list[FileAction]
    notes: list[str] = field(default_factory=list)
    nfo_path: Path | None = None
    nfo_current: str | None = None
    nfo_new: str = ""
    stale_temp: list[Path] = field(default_factory=list)
    ledger: dict[Path, LedgerEntry] = field(default_factory=dict)  # this item's, before
    actors_folder: Path | None = None  # the folder of its `.actors/`, when not `folder`
    # the rows owned by no item (or a missing one) of files it replaces, holding what they say
    disowned: dict[Path, LedgerEntry] = field(default_factory=dict)

    def by_action(self, *actions: str) -> list[FileAction]:
        return [a for a in self.actions if a.action in actions]

    @property
    def changes(self) -> bool:
        return bool(self.by_action(WRITE, REPLACE, REMOVE))

    def nfo_diff(self) -> str:
        """Unified diff of the current NFO (empty when there is none) against the new one."""
        old = (self.nfo_current or "").splitlines(keepends=True)
        new = self.nfo_new.splitlines(keepends=True)
        name = self.nfo_path.name if self.nfo_path else "nfo"
        return "".join(difflib.unified_diff(old, new, f"current/{name}", f"new/{name}"))

    def summary(self) -> str:
        counts = {a: len(self.by_action(a)) for a in (WRITE, REPLACE, KEEP, REMOVE, LEAVE)}
        backups = sum(a.backup for a in self.actions)
        parts = [f"{n} {a}" for a, n in counts.items() if n]
        if backups:
            parts.append(f"{backups} backed up first")
        return ", ".join(parts) or "nothing to do"


def plan_publish(
    *,
    movie_id: int,
    title: str,
    folder: Path,
    wanted: list[Wanted],
    current: Mapping[Path, str | None],
    ledger: Mapping[Path, LedgerEntry],
    conflicts: Mapping[Path, str] | None = None,
    leave: list[Path] | None = None,
    notes: list[str] | None = None,
    nfo_current: str | None = None,
    nfo_new: str = "",
    stale_temp: list[Path] | None = None,
    actors_folder: Path | None = None,
    disowned: Mapping[Path, LedgerEntry] | None = None,
) -> PublishPlan:
    """Decide, per file, what publishing does. `current` maps a path to the SHA-256 of the file
    there now (None: no file; any other string that is no SHA-256 means "something else");
    `ledger` holds what metarrd wrote earlier for this item; `conflicts` are the user's files at
    another name for a wanted slot (e.g. `-poster.png` when `-poster.jpg` is written), mapped
    to their backup image type; `actors_folder`: where its `.actors/` is, when not in `folder`
    (a folder stack's, above its `CD1/`). `disowned`: ledger rows owned by no item (what a
    library was before its kind changed, not removed yet: `remove_disowned`) or by a missing
    item (its video gone) at wanted paths: a file there that holds what its row says is ours,
    replaced with no copy kept, as that removal keeps none; one changed since is the user's,
    copied first."""
    actions: list[FileAction] = []
    wanted_paths = {w.path for w in wanted}
    disowned = disowned or {}
    replaced: dict[Path, LedgerEntry] = {}
    for w in wanted:
        now, ours = current.get(w.path), ledger.get(w.path)
        nobodys = disowned.get(w.path) if ours is None else None
        if now is None:
            actions.append(FileAction(w.path, WRITE, f"new {w.label}", w.kind, wanted=w))
        elif now == w.sha256:
            actions.append(FileAction(w.path, KEEP, f"{w.label} unchanged", w.kind, wanted=w))
        elif ours is not None and ours.holds(now):
            reason = f"{w.label} changed; replaces metarrd's earlier version"
            actions.append(FileAction(w.path, REPLACE, reason, w.kind, wanted=w))
        elif nobodys is not None and nobodys.holds(now):
            reason = f"{w.label}: replaces a file metarrd wrote for an item that is gone"
            actions.append(FileAction(w.path, REPLACE, reason, w.kind, wanted=w))
            replaced[w.path] = nobodys
        else:
            why = "was changed since metarrd wrote it" if ours else "is not metarrd's"
            reason = f"{w.label}: the file there {why}; copied into the cache, then replaced"
            actions.append(
                FileAction(
                    w.path, REPLACE, reason, w.kind, True, wanted=w, backup_type=w.backup_type
                )
            )
    for path, entry in sorted(ledger.items()):
        if path in wanted_paths:
            continue
        now = current.get(path)
        if now is None:
            actions.append(FileAction(path, REMOVE, "written earlier, already gone", entry.kind))
        elif entry.holds(now):
            actions.append(
                FileAction(path, REMOVE, "written earlier, no longer selected", entry.kind)
            )
        else:
            reason = "no longer selected, but changed since metarrd wrote it: copied into the cache"
            actions.append(
                FileAction(path, REMOVE, reason, entry.kind, True, backup_type=_backup_type(entry))
            )
    for path, backup_type in sorted((conflicts or {}).items()):
        if path in wanted_paths or path in ledger:
            continue
        reason = "another image for the same slot: copied into the cache, then removed"
        kind = "actor" if backup_type == "actor" else "art"
        actions.append(FileAction(path, REMOVE, reason, kind, True, backup_type=backup_type))
    for path in sorted(leave or []):
        actions.append(FileAction(path, LEAVE, "not metarrd's; left as it is", "other"))
    return PublishPlan(
        movie_id,
        title,
        Path(folder),
        actions,
        list(notes or []),
        next((w.path for w in wanted if w.kind == "nfo"), None),
        nfo_current,
        nfo_new,
        list(stale_temp or []),
        dict(ledger),
        actors_folder,
        replaced,
    )


def _backup_type(entry: LedgerEntry) -> str:
    if entry.kind == "nfo":
        return "nfo"
    if entry.kind == "actor":
        return "actor"
    stem = entry.path.stem.rsplit("-", 1)[-1].rstrip("0123456789")
    return stem if stem in ASSET_TYPES else "fanart"
