"""Files PUBLISH wrote that are gone from the library while their item stays: the NFO, a poster,
`.actors/` photos, a season's poster, an episode's thumb deleted by the user, by Kodi's "Remove
library items" or by a cleanup script.

Their item was "Published" while the library no longer held what the last publish wrote, and
the UI offered no Publish for it. Each scan now looks at the ledger rows (`library_files`) of
the published items in what it walked: one of them whose file is gone, its folder still there,
makes its item "Updated – Republish?" (`db.mark_outdated`: a season's or an episode's show too),
with a `scan.missing` event naming the file (the open pages follow it through /live). An
episode's NFO or thumb, whose ledger row its show owns, makes that episode "Republish?" too.
The publish then writes what is missing and forgets a row whose file is no longer wanted (an
art type switched off since): it is never written again, nor the item marked again for it.

Never a file whose folder is gone too (a share not mounted, a folder deleted: its items are
missing, or the library's root is), nor one a publish is writing now (`pending_sha256`) or
removing: an item whose publish job runs (its show's, for a season or an episode) is left to
it.

A file whose name is in the listing the scan's walk made of its folder was there then: no call
for it (`listed`, the movie walk's and the TV walk's alike; an `.actors/` folder, which the walk
does not enter, is listed here once when its movie's or show's folder holds it). Only a name
missing from the listing, or a file in a folder the walk did not list (one it left out), is
looked at with an `lstat`: a rescan of a published library costs what its walk costs, not one
`lstat` per file published."""

from __future__ import annotations

import logging
import operator
import os
from pathlib import Path

from metarrd import db
from metarrd.paths import ACTORS_DIR as ACTORS

log = logging.getLogger(__name__)

CHUNK = 500
NAME = operator.attrgetter("name")


def mark_items_of_gone_files(
    library: str, scope: list[Path] | None, listed: dict[str, set[str]] | None = None
) -> list[int]:
    """Mark "Republish?" the published items of the library named `library` whose published
    files are gone (`scope`: the folders or files a scan looked at; None: the whole library).
    One query; a stat for each file of a published item not named in `listed` (the names each
    folder the scan's walk listed holds, by its path). Returns the ids marked."""
    L, M = db.LibraryFile, db.Movie
    query = (
        L.select(L.path, L.movie)
        .join(M, on=(L.movie == M.id))
        .where(
            M.library.in_(db.Library.select(db.Library.id).where(db.Library.name == library))
            & (M.publish_state == db.PUBLISHED)
            & (M.missing == False)  # noqa: E712
            & L.pending_sha256.is_null()
        )
    )
    if scope is not None:
        inside = None
        for top in scope:
            here = L.path.startswith(str(top).rstrip(os.sep) + os.sep)
            inside = here if inside is None else inside | here
        if inside is None:
            return []
        query = query.where(inside)
    gone: dict[int, str] = {}
    every: dict[int, list[str]] = {}  # each gone file of an item: its episodes' sidecars
    listed = listed if listed is not None else {}
    actors: dict[str, set[str] | None] = {}  # the `.actors/` folders listed here
    for path, movie_id in db.database.execute(query):  # a cursor: no model, no row object
        where, _, name = path.rpartition(os.sep)  # an absolute path: `os.path.split`'s
        names = listed.get(where)
        if names is None and os.path.basename(where) == ACTORS:
            names = _actors_listed(where, listed, actors)
        if (names is not None and name in names) or os.path.lexists(path):
            continue
        folder = os.path.dirname(path)
        if os.path.basename(folder) == ACTORS:
            folder = os.path.dirname(folder)
        if os.path.isdir(folder):
            gone.setdefault(movie_id, path)
            every.setdefault(movie_id, []).append(path)
    if not gone:
        return []
    marked: list[int] = []
    with db.write_transaction():
        J = db.Job  # a publish under way removes ours before it forgets their rows
        running = J.select(J.movie).where((J.kind == "publish") & (J.state == "running"))
        publishing = {movie_id for (movie_id,) in running.tuples()}
        ids = list(gone)
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            rows = [gone[movie_id] for movie_id in part]
            still = M.select(M.id, M.show).where(  # published, its row not forgotten meanwhile
                M.id.in_(part)
                & (M.publish_state == db.PUBLISHED)
                & M.id.in_(L.select(L.movie).where(L.path.in_(rows)))
            )
            for movie_id, show_id in still.tuples():
                if publishing & {movie_id, show_id}:
                    continue
                if not os.path.lexists(gone[movie_id]):  # not written again meanwhile
                    db.mark_outdated(movie_id)
                    marked.append(movie_id)
                    said = False
                    for path, episode_id in _episodes_of(movie_id, every[movie_id]):
                        db.mark_outdated(episode_id)  # its row in the list, its page
                        _say_gone(path, episode_id)
                        said = True
                    if not said:
                        _say_gone(gone[movie_id], movie_id)
    for movie_id in marked:
        log.info("item %d: %s published for it is gone: Republish?", movie_id, gone[movie_id])
    return marked


def _say_gone(path: str, movie_id: int) -> None:
    """The event of a published file gone: the history says why, and /live turns the open
    pages of its item (its header, its Preview's Publish now; a season's or an episode's show's
    card) "Republish?"."""
    db.record_event(
        "scan.missing", f"{path} (published) is gone; republish to write it again", movie=movie_id
    )


def _episodes_of(show_id: int, paths: list[str]) -> list[tuple[str, int]]:
    """(path, episode id) of the gone `paths` that are an episode's NFO or thumb (`<video
    stem>.nfo`, `<video stem>-thumb.<ext>`): the show owns its whole publish's ledger rows,
    and the episode, not only its show, is what lacks them."""
    stems: dict[tuple[str, str], str] = {}
    for path in paths:
        folder, name = os.path.split(path)
        base, ext = os.path.splitext(name)
        if ext == ".nfo":
            stems.setdefault((folder, base), path)
        elif base.endswith("-thumb"):
            stems.setdefault((folder, base.removesuffix("-thumb")), path)
    if not stems:
        return []
    M = db.Movie
    episodes = M.select(M.id, M.path).where(
        (M.show == show_id)
        & (M.kind == db.EPISODE)
        & (M.missing == False)  # noqa: E712
        & (M.publish_state == db.PUBLISHED)
    )
    out = []
    for episode_id, video in episodes.tuples():
        folder, name = os.path.split(video)
        path = stems.get((folder, os.path.splitext(name)[0]))
        if path is not None:
            out.append((path, episode_id))
    return out


def _actors_listed(
    folder: str, listed: dict[str, set[str]], actors: dict[str, set[str] | None]
) -> set[str] | None:
    """The names the `.actors/` folder `folder` holds, listed once; an empty set when the walk's
    listing of its movie's folder does not hold it; None when that folder was not listed, or
    this one cannot be (each of its files then looked at)."""
    above = listed.get(os.path.dirname(folder))
    if above is None:
        return None
    if ACTORS not in above:
        return set()
    if folder not in actors:
        try:
            with os.scandir(folder) as entries:
                actors[folder] = set(map(NAME, entries))
        except OSError:
            actors[folder] = None
    return actors[folder]
