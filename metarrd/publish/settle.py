"""Whether a published item "Updated – Republish?" is "Published" again: its library files
already are what a publish would write now (`settle_unit`, after every enrich and every edit).
"""

from __future__ import annotations

import logging
from typing import Any

from metarrd import cache, db, mounts
from metarrd.errors import MetarrdError
from metarrd.paths import deepest_folder
from metarrd.publish.stage import preview_publish
from metarrd.runtime import Runtime

log = logging.getLogger(__name__)


def written_as_wanted(rt: Runtime, item: db.Movie) -> bool:
    """Whether the library files of a published item (a movie, or a show with its seasons and
    episodes) already are what a publish would write now: nothing to write, replace or remove
    (`preview_publish`). What changed in the database may not show in them (a rating the NFO
    writes to one decimal, an artwork choice undone), and "Updated – Republish?" must appear
    exactly when a publish would change something. False when that cannot be told."""
    try:
        return not preview_publish(rt, item).changes
    except (MetarrdError, OSError) as exc:
        log.info("item %d: what a publish would write is unknown: %s", item.id, exc)
        return False


def unit_versions(root_id: int) -> dict[int, tuple[Any, Any]]:
    """The item `root_id` and, for a show, its seasons and episodes (published as one unit):
    id -> (`updated_at`, `publish_state`). An edit, a new choice, an enrichment or a publish
    changes the first; `db.mark_outdated` the second: equal twice, nothing changed between."""
    M = db.Movie
    rows = M.select(M.id, M.updated_at, M.publish_state).where(
        (M.id == root_id) | (M.show == root_id)
    )
    return {i: (at, state) for i, at, state in rows.tuples()}


def settle_unit(rt: Runtime, root_id: int) -> bool:
    """A published item (a movie, or a show with its seasons and episodes) "Updated –
    Republish?" is "Published" again when its library files already are what a publish would
    write (`written_as_wanted`); True when it was. The files are read outside any transaction
    (hundreds of episode files on a slow NFS server take their time: every other writer, the
    daemon's jobs and the browser's tabs, would wait for as long under the write lock); then a
    short write transaction records "Published" only when nothing of the unit changed meanwhile
    (`unit_versions`, as a publish's `apply.changed_meanwhile`): an edit made while the files
    were read stays "Republish?", never called published unwritten. Not while its library or
    the image cache (its pictures are compared) does not answer (a hung NFS mount): the read
    would wait for as long as the mount hangs."""
    M = db.Movie
    unit = (M.id == root_id) | (M.show == root_id)
    if not M.select().where(unit, M.publish_state == db.OUTDATED).exists():
        return False  # not "Republish?" (never published, the common case): nothing more to read
    item = M.get_or_none(M.id == root_id)
    if item is None:
        return False
    root = deepest_folder(item.path, [lib.path for lib in rt.config.library])
    if (root is not None and mounts.library_unanswered(root)) or cache.unanswered(
        rt.config.cache_dir
    ):
        log.info("item %d: its files cannot be read now (a hung mount): left to republish", root_id)
        return False
    before = unit_versions(root_id)  # before the rows the check reads: an edit after it shows
    item = M.get_or_none(M.id == root_id)  # removed or merged while the mounts were looked at
    if item is None or not written_as_wanted(rt, item):
        return False
    with db.write_transaction():
        if unit_versions(root_id) != before:
            log.info("item %d: changed while its files were read: left to republish", root_id)
            return False
        # a season hidden for holding no episode file (docs/tv.md): nothing of it is left for
        # a publish to remove, so nothing of it is in the library: unpublished, as a publish
        # leaves it (publish.tv `_finish`), not "Published"
        hidden = (M.kind == db.SEASON) & M.missing
        outdated = unit & (M.publish_state == db.OUTDATED)
        M.update(publish_state=db.UNPUBLISHED).where(outdated, hidden).execute()
        M.update(publish_state=db.PUBLISHED).where(outdated, ~hidden).execute()
    log.info("item %d: its library files are as a publish would write them", root_id)
    return True
