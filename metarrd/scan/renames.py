"""Files that moved or went away, as a webhook reports them: the item follows its file, or is
marked missing with its data kept. (A scan finds moves by itself: `stage._moved_from`.)"""

from __future__ import annotations

import logging
import os

from metarrd import db
from metarrd.paths import is_inside

log = logging.getLogger(__name__)


def follow_renames(renames: dict[str, str]) -> list[int]:
    """Radarr renamed these files: their items take the new path and keep everything else."""
    moved = []
    for old, new in renames.items():
        with db.write_transaction():
            movie = db.Movie.get_or_none(db.Movie.path == old)
            if movie is None or not os.path.exists(new):
                continue
            if db.Movie.select().where(db.Movie.path == new).exists():
                continue  # already scanned as a new item; the old one will show as missing
            movie.parts = [new if p == old else p for p in movie.parts or []]
            was_published = movie.publish_state == db.PUBLISHED
            db.Movie.update(
                path=new,
                parts=movie.parts,
                missing=False,
                publish_state=db.OUTDATED if was_published else movie.publish_state,
                updated_at=db.now(),
            ).where(db.Movie.id == movie.id).execute()
            db.mark_outdated(movie.id)  # an episode's show too
            db.record_event("scan.renamed", f"{old} was renamed to {new}", movie=movie.id)
        log.info("item %d: renamed %s -> %s", movie.id, old, new)
        moved.append(movie.id)
    return moved


def mark_gone(paths: list[str]) -> list[int]:
    """Items whose file a webhook says was deleted, and which is indeed gone: missing, data kept."""
    gone = []
    for path in paths:
        prefix = path.rstrip(os.sep) + os.sep
        query = db.Movie.select().where(
            ~db.Movie.missing, (db.Movie.path == path) | db.Movie.path.startswith(prefix)
        )
        for movie in query:
            # a season item's path is no file (scan.tv.season_path): it is gone with its show
            on_disk = os.path.dirname(movie.path) if movie.kind == db.SEASON else movie.path
            if is_inside(movie.path, path) and not os.path.exists(on_disk):
                db.Movie.update(missing=True, updated_at=db.now()).where(
                    db.Movie.id == movie.id
                ).execute()
                db.record_event(
                    "scan.missing", f"{movie.path} is gone; its data is kept", movie=movie.id
                )
                log.info("item %d: %s deleted, marked missing", movie.id, movie.path)
                gone.append(movie.id)
    return gone
