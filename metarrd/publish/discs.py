"""What a disc movie (`Alien (1979)/VIDEO_TS/`, `Blade Runner (1982)/BDMV/`) adds to its
publish (publish/stage.py): the NFO Jellyfin reads for a disc stack, in the folder above its
discs, and the warnings of what a player reads instead of the disc's NFO, or of a disc it has
no movie for.

    stack_nfo(nfo, folder, roots, notes) -> [Wanted]
                                    the disc's NFO once more, above the discs of a Jellyfin
                                    disc stack, for its first disc (`jellyfin_disc_stack_nfo`)
    disc_notes(folder, names, nfo_target, roots) -> [note]
                                    an NFO Kodi or Jellyfin reads first, a Blu-ray straight in
                                    a library's folder (`Warned`)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from metarrd.atomic import TEMP_MARKER
from metarrd.files import display, names_in
from metarrd.jellyfin_names import EXTRAS_FOLDERS, disc_stack_first, stack_part
from metarrd.publish import layout
from metarrd.publish.layout import Wanted, Warned
from metarrd.scan import disc_file, nfo_present
from metarrd.walk import DISC_FOLDERS, VIDEO_EXTENSIONS


def stack_nfo(nfo: Wanted, folder: Path, roots: set[str], notes: list[str]) -> list[Wanted]:
    """The disc's NFO (`nfo`) once more where Jellyfin reads it when the disc in `folder` is
    the first of a disc stack (`jellyfin_disc_stack_nfo`), in the ledger like the other;
    nothing for any other disc. A user's `movie.nfo` there, which Jellyfin reads first, is left
    with a note."""
    if (stacked := jellyfin_disc_stack_nfo(folder, roots)) is None:
        return []
    if nfo_present(first := stacked.parent / "movie.nfo"):
        notes.append(
            Warned(
                f"{display(first)} is left as it is: Jellyfin reads it before "
                f"{stacked.name}, for the discs below it"
            )
        )
    return [dataclasses.replace(nfo, path=stacked, label="Jellyfin's NFO of the disc stack")]


def disc_notes(
    folder: Path,
    names: set[str],
    nfo_target: Path,
    roots: set[str],
    versions: Mapping[str, tuple[int, str]] | None = None,
) -> list[str]:
    """The disc's warnings: an NFO Kodi or Jellyfin reads before ours (`_disc_nfo_notes`;
    `names`: the disc folder's, ours left out; `versions`: those of them that other items of
    ours published there, name -> (item id, its video's name)), and a Blu-ray straight in a
    library's folder (`BLURAY_IN_ROOT`)."""
    notes = _disc_nfo_notes(folder, names, nfo_target, versions or {})
    if os.path.normpath(folder) in roots and "BDMV" in {n.upper() for n in names}:
        notes.append(Warned(BLURAY_IN_ROOT.format(folder=display(folder))))
    return notes


# A Blu-ray copied straight into a library's folder (`movies/BDMV/`): Kodi has it as a movie,
# Jellyfin none (the library's folder is no movie, MovieResolver.IsInvalid; `BDMV/` holds no
# disc, so its `STREAM/` is a folder of videos: a movie per `.m2ts`), nor does Plex
BLURAY_IN_ROOT = (
    "a Blu-ray straight in the library's folder {folder}: Kodi reads it, but Jellyfin and Plex "
    "have no movie for it (Jellyfin takes each .m2ts of its BDMV/STREAM/ for a movie), and "
    "each notification of it makes them scan the whole library; move BDMV/ into a folder of "
    "its own ({folder}/Title (Year)/BDMV/)"
)


# The NFO Kodi reads first for a disc, inside it: the name of the file it stores the disc as
# (`VIDEO_TS.IFO`, `index.bdmv`) with `.nfo` (`CVideoTagLoaderNFO::FindNFO`); Jellyfin reads
# `VIDEO_TS/VIDEO_TS.nfo` first too (`MovieNfoSaver.GetMovieSavePaths`, where its saver writes a
# DVD's NFO). tinyMediaManager writes one for every disc (`DISC_NFO`).
# (the folder's entry that shows the disc's form, the NFO, whether Jellyfin reads it first)
_DISC_NFOS = (
    ("VIDEO_TS", "VIDEO_TS/VIDEO_TS.nfo", True),
    ("BDMV", "BDMV/index.nfo", False),
    ("VIDEO_TS.IFO", "VIDEO_TS.nfo", False),  # a DVD's files in the movie folder itself
    ("index.bdmv", "index.nfo", False),  # a Blu-ray's
)


def jellyfin_disc_stack_nfo(folder: Path, roots: set[str]) -> Path | None:
    """Where Jellyfin reads the NFO of the disc in `folder` when it is the first of a disc
    stack (`The Sound of Music (1965)/The Sound of Music (1965) - Disc 1/VIDEO_TS` + `- Disc 2/`:
    `jellyfin_names.disc_stack_first`): `<above>/<above's name>.nfo`, in the folder above the
    discs, the one name every Jellyfin from 10.8 reads for a DVD or Blu-ray there
    (MovieNfoSaver.GetMovieSavePaths, after `VIDEO_TS/VIDEO_TS.nfo` and, from 10.9,
    `movie.nfo`). Kodi has each disc for a movie of its own and reads no NFO in a folder that
    holds no video. None for any other disc, when the folder above is a library's (no movie
    to Jellyfin) or outside the libraries (a disc straight in a library's folder: never listed),
    or holds a video or a disc of its own (then no disc stack)."""
    above = folder.parent
    if above == folder or {os.path.normpath(above), os.path.normpath(folder)} & roots:
        return None  # the folder above a disc in a library's folder is no library's: not read
    names = names_in(above)
    if sum(stack_part(name) is not None for name in names) < 2:
        return None  # no stack of two parts: its folders are not looked into (a collection's)
    discs: dict[str, str] = {}
    for name in names:
        path = above / name
        if name.startswith(".") or name.casefold() in EXTRAS_FOLDERS:
            continue
        if not path.is_dir():
            if name.upper() == "VIDEO_TS.IFO" or Path(name).suffix.lower() in VIDEO_EXTENSIONS:
                return None  # a DVD's own files, or a video: no disc stack here
            continue
        if (kind := _jellyfin_disc(path)) is not None:
            discs[name] = kind
        elif name.upper() in DISC_FOLDERS:
            return None  # the folder above is a disc itself
    if disc_stack_first(discs) != folder.name:
        return None
    return layout.nfo_path(above, above.name)


def _jellyfin_disc(folder: Path) -> str | None:
    """`dvd` or `bluray` when Jellyfin takes `folder` for a disc of a disc stack (its
    `VIDEO_TS/` holding a `.vob`, its `BDMV/`, or a `VIDEO_TS.IFO` in it: MovieResolver.
    GetMultiDiscMovie, IsDvdDirectory, IsBluRayDirectory, IsDvdFile), any letter case."""
    names = names_in(folder)
    folders = [n for n in names if (folder / n).is_dir()]
    dvd = [n for n in folders if n.upper() == "VIDEO_TS"]
    if any(n.lower().endswith(".vob") for d in dvd for n in names_in(folder / d)):
        return "dvd"
    if any(n.upper() == "BDMV" for n in folders):
        return "bluray"
    if any(n.upper() == "VIDEO_TS.IFO" for n in names if n not in folders):
        return "dvd"
    return None


# Another video of the film kept in a disc's folder (`Alien (1979)/VIDEO_TS/` beside `Alien
# (1979) - 1080p.mkv`, a version): its NFO, which Kodi needs for it, is the second `.nfo` there,
# and Kodi then reads none for the disc and does not add it (FindNFO, docs/kodi-layout.md §5.2).
# Said by the disc's publish and by the video's, which writes it: neither NFO can go.
VERSION_BESIDE_DISC = (
    "{nfo} is item {item}'s NFO ({video}), beside {disc_nfo} in the disc's folder: Kodi reads "
    "no NFO for the disc then (only the one .nfo of its folder) and does not add it; keep the "
    "disc and that video in folders of their own"
)
DISC_BESIDE_VERSION = (
    "{nfo} is written beside item {item}'s disc ({disc}/) and its {disc_nfo}: Kodi reads no NFO "
    "for the disc then (only the one .nfo of its folder) and does not add it; keep the disc "
    "and this video in folders of their own"
)


def version_notes(nfo_target: Path, discs_here: Sequence[tuple[int, str, str]]) -> list[str]:
    """The warning of a video (not a disc) whose NFO goes into the folder of a disc of another
    item (`discs_here`: (item id, the disc's folder name as the item has it, the disc's NFO
    name)), for each such disc."""
    return [
        Warned(
            DISC_BESIDE_VERSION.format(nfo=nfo_target.name, item=item, disc=disc, disc_nfo=disc_nfo)
        )
        for item, disc, disc_nfo in discs_here
    ]


def _disc_nfo_notes(
    folder: Path,
    names: set[str],
    nfo_target: Path,
    versions: Mapping[str, tuple[int, str]],
) -> list[str]:
    """Why Kodi (and Jellyfin) may not read a disc's NFO we publish: an NFO inside the disc,
    read first, or another `.nfo` in its folder (`names`), where Kodi takes the folder's only
    one and so none (it then does not add the movie: docs/kodi-layout.md §5.2). Both are left:
    warnings (`Warned`), every file of ours written."""
    upper = {n.upper() for n in names}
    for marker, rel, jellyfin in _DISC_NFOS:
        with contextlib.suppress(OSError):
            # any letter case: `video_ts/video_ts.nfo` is Kodi's VIDEO_TS/VIDEO_TS.nfo over a
            # share that ignores case (a disc copied off a Linux mount is lower case)
            if marker.upper() in upper and nfo_present(path := disc_file(folder, rel)):
                both = jellyfin and path == folder / rel  # Jellyfin's spelling, case and all
                readers, them = (
                    ("Kodi and Jellyfin read", "them") if both else ("Kodi reads", "Kodi")
                )
                return [
                    Warned(
                        f"{path.relative_to(folder).as_posix()} is left as it is: {readers} it "
                        f"before {nfo_target.name}; remove it to have {them} read the NFO "
                        "published here"
                    )
                ]
    return [
        Warned(
            VERSION_BESIDE_DISC.format(
                nfo=n, item=versions[n][0], video=versions[n][1], disc_nfo=nfo_target.name
            )
            if n in versions
            else f"{n} is left as it is: beside {nfo_target.name}, Kodi reads no NFO for a disc "
            "(only the one .nfo of its folder) and does not add it; remove it to have Kodi read "
            "the NFO published here"
        )
        for n in sorted(names)
        if n.lower().endswith(".nfo") and n != nfo_target.name and not n.startswith(TEMP_MARKER)
    ]
