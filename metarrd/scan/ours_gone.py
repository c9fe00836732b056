"""Files PUBLISH wrote that are gone from the library while their item stays: the NFO, a poster,
`.actors/` photos, a season's poster, an episode's thumb deleted by the user, by Kodi's "Remove
library items" or by a cleanup script.

Their item was "Published" while the library no longer held what the last publish wrote, and
the UI offered no Publish for it. Each scan now looks at the ledger rows (`library_files`) of
the published items in what it walked: one of them whose file is gone, its folder still there,
makes its item "Updated – Republish?" (`db.mark_outdated`: a season's or an episode's show too),
with a `scan.missing` event naming the file (the open pages follow it through /live).
The publish then writes what is missing and forgets a row whose file is no longer wanted (an
art type switched off since): it is never written again, nor the item marked again for it.

Never a file whose folder is gone too (a share not mounted, a folder deleted: its items are
missing, or the library's root is), nor one a publish is writing now (`pending_sha256`) or
removing: an item whose publish job runs (its show's, for a season or an episode) is left to
it.

A file whose name is in the listing the scan's walk made of its folder was there then: no call
for it (`listed`; an `.actors/` folder, which the walk does not enter, is listed here once when
its movie's folder holds it). Only a name missing from the listing, or a file in a folder the
walk did not list (a TV library's, one it left out), is looked at with an `lstat`: a rescan of
a published library costs what its walk costs, not one `lstat` per file published."""

from __future__ import annotations

import logging
import operator
import os
from pathlib import Path

from metarrd import db

log = logging.getLogger(__name__)

ACTORS = ".actors"
CHUNK = 500
NAME = operator.attrgetter("name")


def mark_items_of_gone_files(
    library: str, scope: list[Path] | None, listed: dict[str, set[str]] | None = None
) -> list[int]:
    """Mark "Republish?" the published items of the library named `library` whose published files are gone
    (`scope`: the folders or files a scan looked at; None: the whole library). One query; a
    stat for each file of a published item not named in `listed` (the names each folder the
    scan's walk listed holds, by its path). Returns the ids marked."""
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
    listed = listed if listed is not None else {}
    actors: dict[str, set[str] | None] = {}  # the `.actors/` folders listed here
    for path, movie_id in db.database.execute(query):  # a cursor: no model, no row object
        if movie_id in gone:
            continue
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
            gone[movie_id] = path
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
                    # its event: the history says why, and /live turns an open page (its
                    # header, its Preview's Publish now, its show's card) "Republish?"
                    db.record_event(
                        "scan.missing",
                        f"{gone[movie_id]} (published) is gone; republish to write it again",
                        movie=movie_id,
                    )
                    marked.append(movie_id)
    for movie_id in marked:
        log.info("item %d: %s published for it is gone: Republish?", movie_id, gone[movie_id])
    return marked


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
