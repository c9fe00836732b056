"""What Plex reads that Kodi's layout lacks.

Plex reads no NFO, only local artwork, through its Local Media Assets (LocalMedia.bundle
`localmedia.findAssets`; support.plex.tv "Local Media Assets – Movies"): in the folder of a
movie's first file only, `(poster|default|cover|movie|folder|<root file>)-?[0-9]?.<ext>` for
the poster and `(fanart|art|background|backdrop|<root file>-fanart)-?[0-9]?.<ext>` for the
background, `<root file>` being that file's name without its extension (a stack's first part,
`Heat (1995) cd1`) and `<ext>` one of `IMAGE_EXTS`. So with an enabled Plex player showing
the library, a movie gets (`copies`):

- its poster at `<base>.<ext>` (`layout.plex_poster_name`): Kodi's `<base>-poster.jpg` is no
  name Plex reads;
- a folder stack's fanart at `CD1/<base>-fanart.<ext>`: Kodi's is in the folder above the
  parts, where Plex does not look. (A stack of files in one folder has it already: the copy
  under the first part's name that Jellyfin reads, `stage.jellyfin_stack_art`.)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from metarrd.publish import layout
from metarrd.publish.layout import Wanted

# The image extensions Plex's Local Media Assets read: LocalMedia.bundle's
# `config.IMAGE_EXTS` (and `artExt` of its older versions), in any letter case. A `.webp` or
# `.gif` poster is read under no name.
IMAGE_EXTS = ("jpg", "jpeg", "png", "tbn")
FANART = "fanart for Plex"  # the label of a folder stack's fanart copy beside its first part


def copies(
    wanted: list[Wanted],
    folder: Path,
    base: str,
    art_folder: Path,
    art_base: str,
    held: dict[Path, tuple[str, str]],
    notes: list[str],
) -> tuple[list[Wanted], tuple[str, str] | None]:
    """The copies Plex reads for a movie (not a disc) whose files are `wanted` (`folder` and
    `base`: its NFO's; `art_folder` and `art_base`: its art's), and what holds the poster's
    copy while the poster cannot be had (`held`: the slots whose picture could not be
    downloaded now, by path without extension; a folder stack's fanart's slot beside its
    first part is added). A poster in a format Plex does not read gets no copy, and a note
    saying so: Plex would show nothing of it."""
    firsts = {w.label: w for w in wanted if w.kind == "art"}
    found: list[Wanted] = []
    poster_held = None
    poster = firsts.get("poster 1")
    if poster is None:
        poster_held = held.get(
            layout.art_path(art_folder, art_base, "poster", 1, "jpg").with_suffix("")
        )
    elif (ext := poster.path.suffix[1:]) in IMAGE_EXTS:
        name = layout.plex_poster_name(base, ext)
        found.append(replace(poster, path=folder / name, label=layout.PLEX_POSTER))
    else:
        notes.append(
            f"{layout.PLEX_POSTER} not written: Plex reads no .{ext} poster (only "
            f"{', '.join('.' + e for e in IMAGE_EXTS)}); choose a JPEG or PNG poster for Plex "
            "to show it"
        )
    if art_folder != folder:  # a folder stack: Plex reads its first part's folder only
        above = layout.art_path(art_folder, art_base, "fanart", 1, "jpg").with_suffix("")
        if above in held:  # the copy stays with the fanart while its picture cannot be had
            held[layout.art_path(folder, base, "fanart", 1, "jpg").with_suffix("")] = held[above]
        fanart = firsts.get("fanart 1")
        if fanart is not None and (ext := fanart.path.suffix[1:]) in IMAGE_EXTS:
            path = layout.art_path(folder, base, "fanart", 1, ext)
            found.append(replace(fanart, path=path, label=FANART))
    return found, poster_held


def is_poster_copy(path: Path, folder: Path, base: str) -> bool:
    """Whether `path` is a name `layout.plex_poster_name` gives in `folder` for `base`."""
    stem, dot, ext = path.name.rpartition(".")
    return path.parent == folder and bool(dot) and stem == base and ext in layout.IMAGE_EXTS
