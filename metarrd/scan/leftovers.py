"""What metarrd published for a video that Sonarr or Radarr deleted (docs/daemon.md, "Files
left by a delete").

A delete webhook (`MovieFileDelete`, `EpisodeFileDelete`, `MovieDelete`, `SeriesDelete`, for
any `deleteReason` but `upgrade`: the Download of the new file follows, and ours would only be
written again) marks the item missing, its data kept (`renames.mark_gone`). The NFO and art
published for it stayed beside the gone video until a publish, which a delete never queues: a
season folder whose last episode went kept its `season.nfo` and the episode's NFO and
`-thumb.jpg`, and Sonarr's and Radarr's "Delete Empty Folders" (MediaFileDeletionService,
`RemoveEmptySubfolders`) never removed the folder. Now the files of ours that nothing there
needs any more go (`left_behind`):

- the gone video's own files: the ledger rows in its folder named after it (`<name>.nfo`,
  `<name>-thumb.jpg`, `<name>-poster.jpg`), not those of another video whose name starts the
  same (`<name>-E02.mkv`'s);
- once its folder holds no video (none on disk, no item not missing): every file of ours in it
  and under it (a season folder's `season.nfo` and art, a movie folder's `movie.nfo`,
  `.actors/`), never in a show's own folder (its `tvshow.nfo` is the show's, which may have
  other seasons) nor at a library's root.

Only files the ledger says are ours, and unchanged since we wrote them: the rows are owned by no
item (`kind_change._disown`), then `kind_change.remove_disowned` removes each file holding what
we wrote and keeps one changed since (the user's now, named in a `scan.warning` event). This is
no publish: nothing new is written, and an item waiting for review ("Republish?") is not
published by it. An item whose files went is "Republish?" (it was "published"): its video put
back at its name (a restore from the recycle bin) is found again with nothing of its NFO or art
on disk, and says so."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from metarrd import db
from metarrd.paths import is_inside
from metarrd.scan.kind_change import remove_disowned
from metarrd.walk import VIDEO_EXTENSIONS

log = logging.getLogger(__name__)


def remove_left_behind(ids: list[int]) -> None:
    """The files of ours that the videos of items `ids` (just marked missing by a delete
    webhook) leave with nothing needing them are removed; not in a write transaction."""
    M, L = db.Movie, db.LibraryFile
    items = list(
        M.select().where(M.id.in_(ids), M.missing, M.kind.in_([db.MOVIE, db.EPISODE]))
    ) if ids else []  # fmt: skip
    found = {item: left_behind(item) for item in items}  # the disk read before the write lock
    libraries: dict[int, db.Library] = {}
    with db.write_transaction():
        for item, rows in found.items():
            if rows:  # owned by no item: removed below, or by the next scan if killed first
                L.update(movie=None).where(L.id.in_(rows)).execute()
                # no longer as published: its video put back (a restore) is "Republish?"
                M.update(publish_state=db.OUTDATED).where(
                    M.id == item.id, M.publish_state == db.PUBLISHED
                ).execute()
                libraries[item.library_id] = item.library
                log.info("item %d: %s deleted: %d files of ours there to remove",
                         item.id, item.path, len(rows))  # fmt: skip
    for library in libraries.values():
        remove_disowned(library, "deleted")


def left_behind(item: db.Movie) -> list[int]:
    """The ledger rows (ids) of the files published for `item`'s video that nothing in its
    folder needs now that the video is gone."""
    L, M = db.LibraryFile, db.Movie
    folder = os.path.dirname(item.path)
    show = item.show_id if item.kind == db.EPISODE else None
    # an episode's files may be recorded under its show (its publish is the show's)
    owners = [item.id] if show is None else [show, *_members(show)]
    prefix = folder.rstrip(os.sep) + os.sep
    rows = [
        (row_id, path)
        for row_id, path in L.select(L.id, L.path)
        .where(L.movie.in_(owners), L.path.startswith(prefix))
        .tuples()
        # one gone with its folder (a SeriesDelete's) keeps its row, as before: a folder
        # brought back from the recycle bin holds our files, not the user's
        if is_inside(path, folder) and os.path.lexists(path)
    ]
    if not rows:
        return []
    roots = {lib.path for lib in db.Library.select(db.Library.path)}
    shows = {M.get_by_id(show).path} if show is not None else set()
    shared = folder in roots | shows  # its files are not the video's alone
    others = _videos_in(folder, item, deep=not shared)
    if not others and not shared:
        return [row_id for row_id, _ in rows]
    stem = Path(item.path).stem
    longer = [s for s in (Path(v).stem for v in others) if len(s) > len(stem)]
    return [
        row_id
        for row_id, path in rows
        if os.path.dirname(path) == folder
        and _named_after(os.path.basename(path), stem)
        and not any(_named_after(os.path.basename(path), s) for s in longer)
    ]


def _named_after(name: str, stem: str) -> bool:
    """Is `name` one of the files named after the video `stem` (`<stem>.nfo`, `<stem>-thumb.jpg`)?"""
    return name.startswith((stem + ".", stem + "-"))


def _members(show: int) -> list[int]:
    M = db.Movie
    return [i for (i,) in M.select(M.id).where(M.show == show).tuples()]


def _videos_in(folder: str, item: db.Movie, *, deep: bool) -> set[str]:
    """The videos in `folder` (`deep`: and under it) but `item`'s: on disk, and items not
    missing (a file a share cannot show for a moment)."""
    M = db.Movie
    prefix = folder.rstrip(os.sep) + os.sep
    found = {
        path
        for (path,) in M.select(M.path)
        .where(~M.missing, M.kind.in_([db.MOVIE, db.EPISODE]), M.path.startswith(prefix))
        .tuples()
        if is_inside(path, folder) and (deep or os.path.dirname(path) == folder)
    }
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if deep and not d.startswith(".")]
        found.update(
            os.path.join(top, name)
            for name in files
            if os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS
        )
    found.discard(item.path)
    return found
