"""What Plex reads that Kodi's layout lacks.

Plex reads no NFO, only local artwork, through its Local Media Assets (LocalMedia.bundle
`localmedia.findAssets`; support.plex.tv "Local Media Assets – Movies"): in the folder of a
movie's first file only, `(poster|default|cover|movie|folder|<root file>)-?[0-9]?.<ext>` for
the poster and `(fanart|art|background|backdrop|<root file>-fanart)-?[0-9]?.<ext>` for the
background, `<root file>` being that file's name without its extension (a stack's first part,
`Heat (1995) cd1`) and `<ext>` one of `IMAGE_EXTS`. So with a Plex player showing
the library, a movie gets (`copies`):

- its poster at `<base>.<ext>` (`layout.plex_poster_name`): Kodi's `<base>-poster.jpg` is no
  name Plex reads;
- a folder stack's fanart at `CD1/<base>-fanart.<ext>`: Kodi's is in the folder above the
  parts, where Plex does not look. (A stack of files in one folder has it already: the copy
  under the first part's name that Jellyfin reads, `stage.jellyfin_stack_art`.)

A Plex player added to a library, or taken off it, changes what its published movies need:
loading the configuration marks those whose files are not what a publish would now write
"Republish?" (`follow_players`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from metarrd import db
from metarrd.publish import layout
from metarrd.publish.gather import CHUNK
from metarrd.publish.layout import Wanted
from metarrd.scan import VideoPlace, base_name, ledger_folder, movie_folder

log = logging.getLogger(__name__)

# The image extensions Plex's Local Media Assets read: LocalMedia.bundle's
# `config.IMAGE_EXTS` (and `artExt` of its older versions), in any letter case. A `.webp` or
# `.gif` poster is read under no name.
IMAGE_EXTS = ("jpg", "jpeg", "png", "tbn")
FANART = "fanart for Plex"  # the label of a folder stack's fanart copy beside its first part
# the names of the libraries a Plex player showed when `follow_players` last ran
SHOWN_KEY = "plex_libraries"


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


def reads_as_poster(path: Path, folder: Path, base: str) -> bool:
    """Whether Plex's Local Media Assets take `path` for the poster of the movie whose first
    file is `<folder>/<base>.<video ext>`: that file's name, in any letter case, in its folder,
    with an extension Plex reads (`IMAGE_EXTS`)."""
    stem, dot, ext = path.name.rpartition(".")
    return (
        path.parent == folder
        and bool(dot)
        and stem.lower() == base.lower()
        and ext.lower() in IMAGE_EXTS
    )


def _first_of(names: Iterable[Path], folder: Path, kind: str) -> str | None:
    """The extension of the rank-1 image of `kind` among our files in `folder` (`<x>-poster.jpg`,
    a bare `poster.jpg`), or None."""
    for path in names:
        stem, dot, ext = path.name.rpartition(".")
        if path.parent == folder and dot and (stem == kind or stem.endswith(f"-{kind}")):
            return ext
    return None


def needs_publish(movie: db.Movie, ledger: Iterable[Path], plex: bool) -> bool:
    """Whether a published movie's files (`ledger`, the paths of its art) are not what a
    publish would write for Plex now (`plex`: a Plex player shows its library): the
    copies `copies` makes are missing, or ours are there with no Plex to read them. Told from
    the ledger alone, the files unread: the poster's and fanart's copies are of the rank-1
    image in our art folder."""
    if movie.is_disc:
        return False
    place = VideoPlace.of(movie)
    folder, base, above = movie_folder(place), base_name(place), ledger_folder(place)
    paths = list(ledger)
    want: set[Path] = set()
    if plex:
        poster = _first_of(paths, above, "poster")
        if poster in IMAGE_EXTS:
            want.add(folder / layout.plex_poster_name(base, poster))
        fanart = _first_of(paths, above, "fanart") if above != folder else None
        if fanart in IMAGE_EXTS:
            want.add(layout.art_path(folder, base, "fanart", 1, fanart))
    fanart_copies = {layout.art_path(folder, base, "fanart", 1, e) for e in layout.IMAGE_EXTS}
    have = {
        p
        for p in paths
        if is_poster_copy(p, folder, base) or (above != folder and p in fanart_copies)
    }
    return have != want


def shown_libraries() -> set[str]:
    """The names of the libraries a Plex player shows: one switched off (`enabled = false`)
    too, which is told of no publish but reads the files all the same."""
    P, PL, L = db.MediaPlayer, db.PlayerLibrary, db.Library
    query = L.select(L.name).join(PL).join(P).where(P.type == "plex")
    return {name for (name,) in query.tuples()}


def _shown_before() -> set[str]:
    return set(json.loads(db.get_meta(SHOWN_KEY) or "[]"))


def follow_players() -> int:
    """Mark "Republish?" (`db.OUTDATED`) each published movie whose library a Plex
    player began or ceased to show since the last run, and whose files are not what a publish
    would write for Plex now (`needs_publish`): a Plex added to a library showed none of its
    posters until each movie was published again for another reason. The set of libraries is
    kept (`SHOWN_KEY`) with the marks, in one transaction: a start that stops half way runs it
    again; one with the same players reads two rows and writes nothing. Every process that
    loads the configuration runs it (the daemon, a command, the web app), after
    `db.mirror_config`. Returns how many were marked."""
    if shown_libraries() == _shown_before():  # the common case: read, nothing written
        return 0
    with db.write_transaction():
        shown, before = shown_libraries(), _shown_before()
        if shown == before:  # another process did it meanwhile
            return 0
        changed = shown ^ before
        M, L = db.Movie, db.LibraryFile
        libraries = {
            lib_id: name
            for lib_id, name in db.Library.select(db.Library.id, db.Library.name)
            .where(db.Library.name.in_(sorted(changed)))
            .tuples()
        }
        movies = list(
            M.select()
            .where(
                M.library.in_(list(libraries)),
                M.kind == db.MOVIE,
                M.publish_state == db.PUBLISHED,
                ~M.is_disc,
            )
            .order_by(M.id)
        )
        ledger: dict[int, list[Path]] = {m.id: [] for m in movies}
        ids = list(ledger)
        for start in range(0, len(ids), CHUNK):
            rows = L.select(L.movie, L.path).where(
                L.movie.in_(ids[start : start + CHUNK]), L.kind == "art"
            )
            for movie_id, path in rows.tuples():
                ledger[movie_id].append(Path(path))
        marked = [
            m.id for m in movies if needs_publish(m, ledger[m.id], libraries[m.library_id] in shown)
        ]
        for start in range(0, len(marked), CHUNK):
            M.update(publish_state=db.OUTDATED, updated_at=db.now()).where(
                M.id.in_(marked[start : start + CHUNK]), M.publish_state == db.PUBLISHED
            ).execute()
        db.set_meta(SHOWN_KEY, json.dumps(sorted(shown)))
        if marked:
            log.info(
                "%d published movies marked to republish: the libraries a Plex player shows "
                "changed (now: %s; before: %s), and their poster's copy for Plex is to write "
                "or remove",
                len(marked),
                ", ".join(sorted(shown)) or "none",
                ", ".join(sorted(before)) or "none",
            )
    return len(marked)
