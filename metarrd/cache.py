"""The image cache: `<data_dir>/cache/<type>/<hh>/<sha256>.<ext>`, content-addressed and immutable.

The bytes are exactly what was downloaded or found in the library, so the same picture is stored
once whatever its source, and a file in the cache never changes once written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd import mounts
from metarrd.atomic import ensure_dir, fsync_dir, new_file_mode, write_atomic
from metarrd.config import BACKUP_FOLDER
from metarrd.imaging import ImageInfo
from metarrd.scratch import temp_beside

log = logging.getLogger(__name__)


HUNG = (
    "the image cache %s does not answer (a hung network mount?); its pictures are neither "
    "shown nor written until it does"
)


ANSWERED_FOR = 1.0  # seconds a good look at a folder stands for the web's pictures (`unanswered`)
_answered: dict[str, float] = {}  # folder -> when its latest good look started (`clock`)
clock = time.monotonic


def unanswered(folder: Path, *, recent: bool = False) -> bool:
    """Does `folder` (the image cache, `[cache] dir` on an NFS mount several workers share; the
    previews folder in the data folder) not answer: a hard mount whose server is gone, where
    every stat waits for ever, and the web or worker thread that made it with it? Looked at as
    a library root is (`mounts.root_identity`: a few seconds at most, at once while an earlier
    look still hangs, logged once per hang), before a request or a job opens a file there.

    `recent` (a picture request: a poster wall asks for 48 at once, a Cast tab for twenty)
    takes a good answer less than `ANSWERED_FOR` seconds old as it is, instead of a look (a
    thread and a stat) per picture: a mount that hangs is seen by the first request after
    that, as before, and only the requests of that second can meet it. A look under way (the
    second is over, or a job or a page looks: the mount may be hanging now) is waited on by
    every request (`root_identity`), never one each."""
    key = str(folder)
    started = clock()
    seen = _answered.get(key)
    fresh = seen is not None and started - seen < ANSWERED_FOR
    if recent and fresh and not mounts.looking(key):
        return False
    if mounts.root_identity(key, hung=HUNG) == mounts.UNREACHABLE:
        _answered.pop(key, None)
        return True
    _answered[key] = started  # the look began then: what it saw is no older
    return False


def cache_path(cache_dir: Path, image_type: str, info: ImageInfo) -> Path:
    if "/" in image_type or image_type.startswith("."):
        raise ValueError(f"bad image type {image_type!r}")
    return Path(cache_dir) / image_type / info.sha256[:2] / f"{info.sha256}.{info.ext}"


def store(cache_dir: Path, image_type: str, source: Path, info: ImageInfo) -> Path:
    """Put the analysed file `source` into the cache (atomically; a no-op when already there)."""
    target = cache_path(cache_dir, image_type, info)
    if target.exists() and target.stat().st_size == info.size:
        return target
    ensure_dir(target.parent)
    write_atomic(target, Path(source), tmp=temp_beside(target))
    return target


def copy_into(cache_dir: Path, image_type: str, tmp_file: Path, info: ImageInfo) -> Path:
    """Like `store`, for a temp file of ours the caller keeps until a row names the cache file
    (a clean-up may take a file no row names, `remove_unused`: the caller then puts it back
    from `tmp_file`). Copied a MB at a time: an upload may be tens of MB."""
    target = cache_path(cache_dir, image_type, info)
    if target.exists() and target.stat().st_size == info.size:
        return target
    ensure_dir(target.parent)
    with open(tmp_file, "rb") as fh:
        write_atomic(target, fh, tmp=temp_beside(target))
    return target


def move_into(cache_dir: Path, image_type: str, tmp_file: Path, info: ImageInfo) -> Path:
    """Like `store`, for a temp file of ours that may simply be renamed into place. It gets the
    mode of a new file (0666 less the umask), not the 0600 of `tempfile.mkstemp`: workers on
    other hosts (other uids, one group) read a shared cache too."""
    target = cache_path(cache_dir, image_type, info)
    if target.exists() and target.stat().st_size == info.size:
        tmp_file.unlink(missing_ok=True)
        return target
    ensure_dir(target.parent)
    with open(tmp_file, "rb+") as fh:
        mode = new_file_mode()
        if stat.S_IMODE(os.fstat(fh.fileno()).st_mode) != mode:
            with contextlib.suppress(OSError):  # a share that refuses chmod: read by us alone
                os.fchmod(fh.fileno(), mode)
        os.fsync(fh.fileno())
    try:
        tmp_file.replace(target)  # same file system: atomic
        fsync_dir(target.parent)
    except OSError:
        write_atomic(target, tmp_file, tmp=temp_beside(target))
        tmp_file.unlink(missing_ok=True)
    return target


def remove_empty_dirs(path: Path, stop: Path) -> None:
    """Remove `path` and its parents up to (not including) `stop` while they are empty."""
    path, stop = Path(path), Path(stop)
    while path != stop and stop in path.parents:
        try:
            path.rmdir()
        except OSError:
            return
        path = path.parent


def files_of(movie_id: Any) -> tuple[set[str], set[str]]:
    """The cache files and previews (relative to the previews folder) that the item's rows name:
    read before the item goes, for `remove_unused` after. `movie_id`: an item's id, or a
    query of the ids of several (a show's items: `Movie.select(Movie.id)...`)."""
    from metarrd import db

    C, A = db.CacheImageFile, db.ArtworkCandidate
    of = C.movie.in_(movie_id) if isinstance(movie_id, pw.Query) else C.movie == movie_id
    files = {p for (p,) in C.select(C.file_path).where(of).tuples()}
    of = A.movie.in_(movie_id) if isinstance(movie_id, pw.Query) else A.movie == movie_id
    previews = {
        p for (p,) in A.select(A.preview_path).where(of, A.preview_path.is_null(False)).tuples()
    }
    return files, previews


def remove_unused(
    cache_dir: Path,
    previews_dir: Path,
    files: set[str],
    previews: set[str],
    *,
    not_for: pw.Query | None = None,
) -> int:
    """Remove those of `files` (cache paths) and `previews` that no row refers to any more (an
    item that went took its rows with it); returns how many. `not_for`: a query of the ids of
    items whose candidates keep no file (missing for months: `pipeline.housekeeping`), asked
    under the lock (one found again meanwhile keeps its files). A file another item, an actor or a
    candidate still uses stays (the cache is shared by content), and so does anything outside
    the cache and previews folders (the user's library is never touched here), and the copies
    of the user's files a publish replaced (a shared cache's `backup/`), which stay for good.

    What is still used is asked once per kind of row and 500 files, not once per file (the
    cache rows' and the people's paths are indexed, migration 16, the candidates' previews
    migration 17): this runs in a write transaction (other writers wait). So not while the
    cache or previews folder does not answer (`unanswered`, a hung network mount): an unlink
    there would hold the write lock, and every writer, for as long as the mount hangs. The
    files are left where they are (unused: logged).

    The people no item plays any more go first, in the same transaction, and their pictures
    join `files` (`forget_unlinked_actors`): every item that goes, is merged or is identified
    again, and every enrich that drops a role, comes here once committed, so the actors' rows
    and pictures do not grow for ever on a library with churn. Not while the cache does not
    answer: their rows stay for next time. At most `PEOPLE_A_TRANSACTION` of them a
    transaction: more (the first clean-up after an upgrade to a version that removes them, a
    library's cast dropped at once) go in further transactions of as many each, the write
    lock let go in between (`_LettingIn`), so that the web UI's and the queue's writes
    wait for one batch, not for all of them; the cache is looked at again before each (a
    mount that hangs meanwhile leaves the rest for next time). Each batch is whole: killed
    between two, the people of the batches before are gone with their pictures, the others are
    there with theirs, for the next clean-up. Every caller calls it once its own transaction
    is committed (inside one, the batches would be savepoints of it, the lock held all along)."""
    from metarrd import db

    cache_dir, previews_dir = Path(cache_dir), Path(previews_dir)
    cache_hung = unanswered(cache_dir)
    if (files and cache_hung) or (previews and unanswered(previews_dir)):
        log.warning(
            "%d unused pictures left in the image cache: it does not answer", len(files | previews)
        )
        return 0
    previews = {
        rel for rel in previews
        if previews_dir in (previews_dir / rel).parents and ".." not in Path(rel).parts
    }  # fmt: skip
    removed = 0
    after: int | None = 0  # the people past this id are still to look at (None: none)
    letting_in = _LettingIn()
    while True:
        letting_in.asking()
        with db.write_transaction():  # no row takes one of them while we look
            letting_in.holding()
            if cache_hung:
                after = None
            else:
                people, after = forget_unlinked_actors(after or 0)
                files = files | people
            files = _in_cache(cache_dir, files)
            for name in sorted(files - _files_in_use(files, not_for)):
                path = Path(name)
                if _unlink(path):
                    removed += 1
                    remove_empty_dirs(path.parent, cache_dir)
            for rel in sorted(previews - _previews_in_use(previews)):
                path = previews_dir / rel
                if _unlink(path):
                    removed += 1
                    remove_empty_dirs(path.parent, previews_dir)
        if after is None:
            return removed
        files, previews = set(), set()
        letting_in.pause()
        if unanswered(cache_dir):  # hung meanwhile: the others stay for next time
            return removed


_ROWS = 500  # ids per IN (...), far below SQLite's and PostgreSQL's limits
PEOPLE_A_TRANSACTION = 500  # `remove_unused`'s batches: one IN (...) of their pictures each
LET_IN = 0.1  # seconds: SQLite's busy handler tries again at least every 100 ms
# seconds: the sleeps of SQLite's busy handler between two tries (sqlite3.c,
# `sqliteDefaultBusyCallback`, `delays`), then `LET_IN` each, until `busy_timeout`
BUSY_SLEEPS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)
WAITED_AT_ONCE = 0.001  # seconds: a BEGIN IMMEDIATE that took longer waited (its first sleep)
OVERSLEEP = 0.005  # seconds a sleep of the waiter's may end late (a loaded machine's scheduler)
FULL_EVERY = 4  # while others keep taking the lock in the pauses, every 4th is `LET_IN` long
sleep = time.sleep


def wakes_within(waited: float) -> float:
    """The longest a connection that has waited `waited` seconds for SQLite's write lock
    sleeps before it tries again (`BUSY_SLEEPS`: one that has just begun to wait tries again
    within a millisecond, one that has waited a quarter of a second within `LET_IN`)."""
    slept = 0.0
    for delay in BUSY_SLEEPS:
        slept += delay
        if waited < slept:
            return delay
    return BUSY_SLEEPS[-1]


class _LettingIn:
    """Between two of `remove_unused`'s transactions: a pause for the connections waiting for
    the write lock to take it. SQLite's busy handler (`busy_timeout`) sleeps between its tries
    (`BUSY_SLEEPS`): a next transaction begun at once would take the lock again before they
    woke, every time, and their writes waited for the whole clean-up after all.

    A pause of `LET_IN` (the longest of those sleeps) let every one in, but it was as long as
    a batch of 500 people (20 s of pauses in 100,000 people's clean-up). It is `LET_IN` after
    the first transaction alone (a connection may have waited from before the clean-up);
    after the others, as long as the sleeps of a connection that began to wait as the
    transaction asked for the lock (`wakes_within` the time it took: 25 ms after 100 ms),
    every one that began then woken in it. One that waited from before may sleep longer: one
    that woke in the pause before to find another connection had taken the lock first (seen
    by `PRAGMA data_version`, or this transaction's BEGIN IMMEDIATE kept waiting), or that
    waited behind that other's long transaction. So while others take the lock in the pauses,
    every `FULL_EVERY`-th is `LET_IN` long, which lets every one waiting in; a pause no other
    connection took the lock in (no one was waiting) starts the count again. PostgreSQL queues
    the waiters of the advisory lock (the next transaction waits behind them): no pause; nor
    inside a transaction of the caller's, whose lock is not let go."""

    def __init__(self) -> None:
        from metarrd import db

        self.pausing = not db.is_postgresql() and not db.database.in_transaction()
        self.version: int | None = None  # PRAGMA data_version in the transaction before
        self.asked = 0.0  # when the current transaction asked for the lock
        self.crowded = 0  # short pauses in a row another connection took the lock in
        self.full = True  # the pause before was `LET_IN` long (as if for the first)
        self.first = True  # the transaction holding the lock is the first

    def asking(self) -> None:
        self.asked = time.monotonic()

    def holding(self) -> None:
        """Inside the transaction, the lock taken: did another connection take it in the
        pause before (committed since the transaction before, or held it as this one
        asked)?"""
        from metarrd import db

        if not self.pausing:
            return
        waited = time.monotonic() - self.asked >= WAITED_AT_ONCE
        (version,) = db.database.execute_sql("PRAGMA data_version").fetchone()
        if version == self.version and not waited:
            self.crowded = 0
        elif not self.full:
            self.crowded += 1
        self.first, self.version = self.version is None, version

    def pause(self) -> None:
        if not self.pausing:
            return
        self.full = self.first or self.crowded >= FULL_EVERY - 1
        if self.full:
            self.crowded = 0
            sleep(LET_IN + OVERSLEEP)
        else:
            sleep(wakes_within(time.monotonic() - self.asked) + OVERSLEEP)


def forget_unlinked_actors(after: int = 0, limit: int | None = None) -> tuple[set[str], int | None]:
    """The people no item plays any more (their items deleted, re-identified, or their casts
    changed) go, with their cache rows: the first `limit` (`PEOPLE_A_TRANSACTION`) by id past
    `after`. Returns the cache files they named, for `remove_unused` to remove in the same
    transaction (a file another row still uses stays there): the rows go with their files, or
    stay for the next clean-up (killed before it, the cache on a hung mount), never a picture
    left behind that no row names; and the id to go on after, None when there are no more.

    Call inside a write transaction: every enrich writes its roles under the same write lock,
    so no person is linked to an item between the look and the DELETE (on PostgreSQL too:
    `db.write_transaction`'s advisory lock). A person an enrich planned before they went is
    simply created again by its `cast.apply_casts` (their picture downloaded again by the
    publish, or the next enrich). Looked for from `after` on, by id, each transaction reads
    the people past the last one's alone; one no item plays since (an id before `after`) is the
    next clean-up's."""
    from metarrd import db

    limit = PEOPLE_A_TRANSACTION if limit is None else limit
    A, R, C = db.Actor, db.MovieActor, db.CacheImageFile
    found = list(
        A.select(A.id, A.image_cache_path)
        .where(A.id > after, ~pw.fn.EXISTS(R.select(R.id).where(R.actor == A.id)))
        .order_by(A.id)
        .limit(limit)
        .tuples()
    )
    files = {path for _id, path in found if path}
    ids = [actor_id for actor_id, _path in found]
    for start in range(0, len(ids), _ROWS):
        part = ids[start : start + _ROWS]
        files.update(path for (path,) in C.select(C.file_path).where(C.actor.in_(part)).tuples())
        C.delete().where(C.actor.in_(part)).execute()
        A.delete().where(A.id.in_(part)).execute()
    return files, (ids[-1] if len(ids) == limit else None)


def _in_cache(cache_dir: Path, files: set[str]) -> set[str]:
    """Those of `files` inside the cache folder, not its `backup/` (the user's own files, kept
    for good), named with a suffix: none with a `..` in it (whatever it leads to). Told by
    their text, as `Path` parses it (`//` and `/./` collapse, a trailing `/` goes), not by
    a `Path` and its `parents` each: 100,000 people's pictures at once."""
    inside = os.path.normpath(str(cache_dir)).rstrip("/") + "/"
    kept = f"{inside}{BACKUP_FOLDER}/"
    return {name for name in files if _cache_file(name, inside, kept)}


def _cache_file(name: str, inside: str, kept: str) -> bool:
    if ".." in name.split("/"):
        return False
    path = os.path.normpath(name)  # with no "..", only what `Path` collapses too
    if not path.startswith(inside) or path.startswith(kept):
        return False
    last = path[path.rfind("/") + 1 :]
    dot = last.rfind(".")
    return 0 < dot < len(last) - 1  # `Path.suffix`: ".jpg" of "a.jpg", none of ".jpg" or "a."


def _chunks(values: set[str], size: int = 500) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _files_in_use(files: set[str], not_for: pw.Query | None = None) -> set[str]:
    """Those of the cache `files` a cache row, an actor or a downloaded or selected candidate
    (by content and type: `<type>/<xx>/<sha256>.<ext>`; not one of the items `not_for`) still
    uses."""
    from metarrd import db

    C, A = db.CacheImageFile, db.ArtworkCandidate
    used: set[str] = set()
    by_content = {_digest_and_type(name): name for name in files}
    for chunk in _chunks(files):
        used.update(p for (p,) in C.select(C.file_path).where(C.file_path.in_(chunk)).tuples())
        actors = db.Actor.select(db.Actor.image_cache_path)
        used.update(p for (p,) in actors.where(db.Actor.image_cache_path.in_(chunk)).tuples())
    for chunk in _chunks({digest for digest, _type in by_content}):
        rows = A.select(A.content_hash, A.asset_type).where(
            A.content_hash.in_(chunk),
            A.is_downloaded | A.is_selected,
            *([~A.movie.in_(not_for)] if not_for is not None else []),
        )
        used.update(by_content[key] for key in rows.tuples() if key in by_content)
    return used


def _digest_and_type(name: str) -> tuple[str, str]:
    """`Path(name).stem, Path(name).parent.parent.name` of a name with no `..` (`_in_cache`'s),
    told by its text."""
    path = os.path.normpath(name)
    if path == ".":  # `Path("./")`: no name at all
        path = ""
    *rest, last = path.rsplit("/", 2)
    dot = last.rfind(".")
    stem = last[:dot] if 0 < dot < len(last) - 1 else last
    return stem, (rest[0].rpartition("/")[2] if len(rest) == 2 else "")


def _previews_in_use(previews: set[str]) -> set[str]:
    """Those of `previews` a candidate row, or an identify page's poster (`movies.candidates`,
    each with its "preview"), still uses."""
    from metarrd import db

    A, M = db.ArtworkCandidate, db.Movie
    used: set[str] = set()
    for chunk in _chunks(previews):
        used.update(
            p for (p,) in A.select(A.preview_path).where(A.preview_path.in_(chunk)).tuples()
        )
    left = previews - used
    if left:
        rows = M.select(M.candidates).where(M.candidates.is_null(False)).tuples()
        for (candidates,) in rows:
            for candidate in candidates if isinstance(candidates, list) else ():
                if isinstance(candidate, dict) and candidate.get("preview") in left:
                    used.add(candidate["preview"])
    return used


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot remove %s from the cache: %s", path, exc.strerror)
        return False
    return True
