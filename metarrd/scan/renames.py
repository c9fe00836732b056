"""Files that moved or went away, as a webhook reports them: the item follows its file, or is
marked missing with its data kept. (A scan finds moves by itself: `stage._moved_from`.)"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import peewee as pw

from metarrd import cache, db
from metarrd.atomic import sha256_file
from metarrd.config import LIBRARY_SOURCE, Config
from metarrd.files import is_gone, respelt
from metarrd.mounts import device_of, share_gone
from metarrd.paths import deepest_folder, is_inside
from metarrd.scan.local_files import Place, VideoPlace, ledger_folder, movie_folder
from metarrd.text import count
from metarrd.walk import is_empty_folder, is_stack_folder

log = logging.getLogger(__name__)


def follow_renames(config: Config, renames: dict[str, str]) -> list[int]:
    """Radarr or Sonarr renamed these files: their items take the new path and keep everything
    else. Several files replaced by one (Sonarr's upgrade of `S01E01.mkv` and `S01E02.mkv` to
    one multi-episode `S01E01-E02.mkv`: its `deletedFiles` lists both): the item of the first
    episode follows the new file, the others merge into it (`tv.merge_replaced`)."""
    from metarrd.scan.tv import holds_first_episode, merge_replaced  # imports this module

    targets: dict[str, list[str]] = {}
    for old, new in renames.items():
        targets.setdefault(new, []).append(old)
    moved = []
    for new, olds in targets.items():
        # a show's folder is followed first, with its episodes (tv.follow_moved_shows), never
        # as a file
        query = db.Movie.select().where(db.Movie.path.in_(olds), db.Movie.kind != db.SHOW)
        items = {m.id: m for m in query}
        if not items or not os.path.exists(new):
            continue
        first, *others = sorted(items.values(), key=_episode_order)
        if not holds_first_episode(first, new):
            log.info("item %d: %s holds not its first episode; it does not follow", first.id, new)
            continue  # the scan makes the new file an item; this one is missing, data kept
        if not _follow(config, first, new):
            continue
        moved.append(first.id)
        if others:
            merge_replaced(config, first, others)
    return moved


def _episode_order(movie: db.Movie) -> tuple:
    """The order of a show's episode items by their numbers (a movie's: its id)."""
    episodes = [n for n in movie.episodes or [] if isinstance(n, int)]
    return (movie.season if movie.season is not None else -1, min(episodes, default=-1), movie.id)


def _follow(config: Config, movie: db.Movie, new: str) -> bool:
    """The item `movie` takes the path `new` of its renamed file (False: an item is there)."""
    from metarrd.scan.tv import take_replacement  # imports this module

    old = movie.path
    if old == new and _read_since(movie, new):
        # the watcher's scan came first: it read the new file's streams, and made the item
        # "Republish?" (and queued its publish) when they were another file's
        # (stage.restreamed). Not published twice
        log.info("item %d: %s was scanned since it was replaced", movie.id, new)
        return False
    if old == new:
        # replaced in place: an upgrade named as the file it replaced (Radarr's and Sonarr's
        # formats without the quality). Its item stays; what we published of it described the
        # old file (the NFO's <streamdetails>), so it is published again, as a renamed one is;
        # under the write lock, so that a job whose claim is lost writes nothing (`fenced_by`)
        with db.write_transaction():
            db.mark_outdated(movie.id)
        log.info("item %d: %s replaced by an upgrade of the same name", movie.id, new)
        return True
    unused = None
    with db.write_transaction():
        there = db.Movie.get_or_none(db.Movie.path == new)
        if there is not None:
            # already scanned as a new item (the watcher came first): an episode's, holding
            # none of the user's work, merges into this one; else the old one shows as missing
            unused = cache.files_of(there.id)
            if not take_replacement(movie, there):
                return False
        else:
            old_place = VideoPlace.of(movie)
            movie.parts = [new if p == old else p for p in movie.parts or []]
            was_published = movie.publish_state == db.PUBLISHED
            hints = _name_to_read(movie, new)
            db.Movie.update(
                path=new,
                parts=movie.parts,
                **({"hints": hints} if hints is not None else {}),
                missing=False,
                publish_state=db.OUTDATED if was_published else movie.publish_state,
                updated_at=db.now(),
            ).where(db.Movie.id == movie.id).execute()
            db.mark_outdated(movie.id)  # an episode's show too
            movie.path = new
            carry_sidecars(old, new)
            if movie.kind == db.MOVIE:
                carry_movie_ledger(movie.id, old_place, VideoPlace.of(movie))
            db.record_event("scan.renamed", f"{old} was renamed to {new}", movie=movie.id)
    if unused is not None:  # merged: the cache files its rows named, unless still used, go
        cache.remove_unused(config.cache_dir, config.previews_dir, *unused)
        movie.path = new
        return True
    log.info("item %d: renamed %s -> %s", movie.id, old, new)
    return True


def _read_since(movie: db.Movie, path: str) -> bool:
    """Is the file at `path`, the item's own, the one its last scan read (the size and time it
    recorded)?"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (movie.size, movie.mtime_ns) == (st.st_size, st.st_mtime_ns)


def _name_to_read(movie: db.Movie, new: str) -> dict | None:
    """The hints of `movie` for its new path, or None when they stay as they are: an episode
    whose new name gives it other numbers (`tv.numbered_otherwise`) loses the mark that its
    name was read (`name_rules`), so the scan that follows reads it again
    (scan.tv._reads_the_same), as it reads a file it finds moved. Its size and time are the old
    file's, so without it the scan took it for unchanged, and a file Sonarr renamed into
    another season (`Specials/S00E05.mkv` to `Season 1/S01E05.mkv`, after TheTVDB renumbered
    it) kept the old numbers, and the old episode's data. Renamed to the same numbers, it is
    not read again (a whole series renamed: no file opened). Called in the rename's write
    transaction: the hints are read again there, so that what another job wrote in them while
    the rename waited for the lock (an enrich's keywords) stays."""
    from metarrd.scan.tv import numbered_otherwise  # imports this module

    if movie.kind != db.EPISODE:
        return None
    item = db.Movie.get_or_none(db.Movie.id == movie.id)
    if item is None or "name_rules" not in (item.hints or {}):
        return None
    if not numbered_otherwise(item, new):
        return None
    return {key: value for key, value in item.hints.items() if key != "name_rules"}


def carry_sidecars(old: str, new: str) -> int:
    """Radarr and Sonarr renamed a video and, with it, the files of ours named after it that
    they took for their own metadata: the ledger rows of those files follow them, so that the
    scan that comes next does not read our NFO as the user's (taking its values back into the
    item: what changed since it was published was lost), and the next publish replaces them
    as ours rather than copying them into the cache as the user's. Radarr's and Sonarr's disk
    scan adopts every Kodi NFO (and Sonarr every `-thumb.jpg`) named after a video, whether
    their Kodi metadata is switched on or not (ExistingMetadataImporter.cs); their rename
    moves them after the video
    (MetadataService.MoveFilesAfterRename, XbmcMetadata.GetFilenameAfterMove): Radarr
    `<name>.nfo`, Sonarr `<name>.nfo` and `<name>-thumb.jpg`.

    A row follows when its file is `<old name><suffix>` beside the old video (the suffix
    `.ext` or `-kind.ext`), that file is gone, a file is at `<new name><suffix>` (or, for a
    `-kind.ext`, `<new name>.ext`: Radarr's "other extra files", _sidecar_places) beside the
    new video holding exactly the bytes the row names (not a file of the user's that bears
    that name), and no row names it. The number of rows that followed."""
    old_dir, old_name = os.path.split(old)
    new_dir, new_name = os.path.split(new)
    old_stem, new_stem = os.path.splitext(old_name)[0], os.path.splitext(new_name)[0]
    if not old_stem or not new_stem or (old_dir, old_stem) == (new_dir, new_stem):
        return 0
    prefix = os.path.join(old_dir, old_stem)
    L = db.LibraryFile
    moved = 0
    # `<prefix>-…` and `<prefix>.…` are the paths from `<prefix>-` up to `<prefix>/` (- . / are
    # consecutive code points): a range the unique index on `path` answers, where a LIKE of the
    # prefix read the whole ledger for each renamed video (a naming change of 10,000 files
    # inside the scan's write transaction). PostgreSQL compares in code point order under "C".
    path_ = pw.NodeList((L.path, pw.SQL('COLLATE "C"'))) if db.is_postgresql() else L.path
    rows = L.select(L.id, L.path, L.size, L.sha256).where(
        (path_ >= prefix + "-") & (path_ < prefix + "/")
    )
    for row_id, path, size, sha in list(rows.tuples()):
        rest = path[len(prefix) :]
        if os.sep in rest:
            continue  # a file in a folder below
        for there in _sidecar_places(new_dir, new_stem, rest):
            if _still_there(path, there) or not _holds(there, size, sha):
                continue
            moved += _row_follows(row_id, there)
            break
    if moved:
        log.info("%s of %s followed it to %s", count(moved, "published file"), old, new)
    return moved


def _sidecar_places(folder: str, stem: str, rest: str) -> list[str]:
    """Where our file `<old name><rest>` may be after Radarr's rename: `<new name><rest>` (its
    Kodi metadata, moved as such), or, a `-kind.ext` file (`-fanart1.jpg`, `-clearlogo1.png`:
    no name XbmcMetadata.cs claims, so Radarr's disk scan adopted it as an "other extra file",
    ExistingOtherExtraImporter.cs), `<new name>.ext`: ExtraFileManager.MoveFile names such a
    file after the new video plus its extension, its suffix dropped (the first one of each
    extension gets there, the others stay where they were)."""
    places = [os.path.join(folder, stem + rest)]
    if rest.startswith("-") and (ext := os.path.splitext(rest)[1]):
        places.append(os.path.join(folder, stem + ext))
    return places


def carry_file(old: str, new: str) -> bool:
    """The ledger row of our file `old` follows it to `new`, where it went along with its
    folder (a season folder renamed by hand, `Season 1` -> `Season 01`: its `season.nfo`), so
    the scan does not read it as the user's, nor the next publish back it up as theirs: when
    `old` is gone, `new` holds exactly the bytes the row names, and no row names `new`."""
    L = db.LibraryFile
    row = L.get_or_none(L.path == old)
    if row is None or _still_there(old, new) or not _holds(new, row.size, row.sha256):
        return False
    if not _row_follows(row.id, new):
        return False
    log.info("published file %s followed its folder to %s", old, new)
    return True


def _still_there(
    path: str,
    new: str,
    roots: list[str] | None = None,
    listings: dict[str, frozenset[str]] | None = None,
) -> bool:
    """Is our file still at `path`, under that very name? Not when only a name in other letters
    leads to it (`respelt_from`: its folder renamed in case only on a share that ignores case):
    it went along to `new`, and its row follows it. `roots`, `listings`: the libraries'
    folders and the folders listed so far, for a caller asking of many rows."""
    return os.path.lexists(path) and not respelt_from(path, new, roots, listings)


def respelt_from(
    old: str,
    new: str,
    roots: list[str] | None = None,
    listings: dict[str, frozenset[str]] | None = None,
) -> bool:
    """Is `old` found only through a name spelt otherwise (`files.respelt`), now that what was
    there is at `new`: a name below both the folder the two paths share and `old`'s library's
    folder (a library configured as `/mnt/nas/Movies` on a share that spells it `movies`
    would make every path respelt), in a folder that ignores case. `roots`: the libraries'
    folders (asked of the database when not given); False outside every library."""
    top = deepest_folder(old, library_roots() if roots is None else roots)
    if top is None:
        return False
    common = os.path.commonpath([os.path.normpath(old), os.path.normpath(new)])
    return respelt(old, common if len(common) > len(top) else top, listings)


def library_roots() -> list[str]:
    """The libraries' folders, as recorded (`db.Library`)."""
    return [path for (path,) in db.Library.select(db.Library.path).tuples()]


def _row_follows(row_id: int, there: str) -> bool:
    """The ledger row names `there` now, unless a row names it already (a file of ours the
    publish wrote there since): the one step of every carry."""
    L = db.LibraryFile
    if L.select().where(L.path == there).exists():
        return False
    L.update(path=there).where(L.id == row_id).execute()
    return True


def _holds(path: str, size: int, sha: str) -> bool:
    """Is `path` a regular file of exactly these bytes (what we wrote)? A file of the user's
    that happens to bear the new name is not made ours (a publish could remove it). Read
    without following a link: one swapped in after the `lstat` is refused, not read."""
    try:
        st = os.lstat(path)
        return (
            stat.S_ISREG(st.st_mode)
            and st.st_size == size
            and sha256_file(Path(path), follow_symlinks=False) == sha
        )
    except OSError:
        return False


def carried_folders(old: Place, new: Place) -> tuple[Path, Path]:
    """The old and new folders for `carry_ledger` of a movie known at `old`, found at `new`:
    its movie folders, or, a folder stack both times, the folders above its parts, where its
    art was published (`local_files.ledger_folder`)."""
    old_home, new_home = ledger_folder(old), ledger_folder(new)
    if old_home != movie_folder(old) and new_home != movie_folder(new):
        return old_home, new_home
    return movie_folder(old), movie_folder(new)


def carry_movie_ledger(movie_id: int, old: Place, new: Place) -> int:
    """`carry_ledger` of a movie known at `old`, found at `new` (`carried_folders`), and for a
    disc also of the files we published straight in the folder above its own: a Jellyfin disc
    stack's NFO, `<above>/<above's name>.nfo` (`publish.discs`), which goes along when
    that folder is renamed or moved (`Movie (1965)/` -> `Movie (1965) {tmdb-15121}/`, the discs
    in it). Followed, it is ours to the next publish, which removes it (Jellyfin reads the NFO
    named after the folder's new name, written then) as it does any file of ours no longer
    wanted; left, it stayed there unread, a file of no one's that the user took for theirs.
    The number of rows that followed."""
    moved = carry_ledger(movie_id, *carried_folders(old, new))
    if old.is_disc and new.is_disc:
        above, now = movie_folder(old).parent, movie_folder(new).parent
        moved += carry_ledger(movie_id, above, now, beside_only=True)
    return moved


def carry_ledger(
    movie_id: int,
    old_folder: Path,
    new_folder: Path,
    *,
    renamed_inside: bool = False,
    beside_only: bool = False,
) -> int:
    """A movie's folder was renamed or moved (within a library or into another), and the files
    we published in it went along: the ledger rows of those files follow them, so the next
    publish knows them for ours (to keep, replace or remove) rather than forgetting them as gone
    and leaving them, as the user's, where they are now. A row follows only when its file is
    gone from the old place, and a file is at the same name in the new folder that no row
    names; whether it is still what we wrote is decided by the publish, as for any file of
    ours. `renamed_inside`: files in the folder may have been renamed along with it (Sonarr
    renaming a show folder and its episode files, our NFO and thumb with them: a row whose file
    is not at its name in the new folder names that place all the same, so that
    `carry_sidecars` finds it there when the episode is found renamed, and follows its file).
    `beside_only`: only the rows of files straight in `old_folder`, none in a folder below it.
    Called in the transaction that moves the item; the number of rows that followed."""
    if old_folder == new_folder:
        return 0
    L = db.LibraryFile
    moved = 0
    roots = library_roots()
    listings: dict[str, frozenset[str]] = {}  # each folder listed once (`_still_there`)
    for row_id, path in L.select(L.id, L.path).where(L.movie == movie_id).tuples():
        if not is_inside(path, old_folder):
            continue
        if beside_only and os.path.dirname(path) != os.fspath(old_folder):
            continue
        there = os.path.join(new_folder, os.path.relpath(path, old_folder))
        if _still_there(path, there, roots, listings) or not (
            renamed_inside or os.path.lexists(there)
        ):
            continue
        moved += _row_follows(row_id, there)
    if moved:
        log.info(
            "item %d: %s followed it to %s", movie_id, count(moved, "published file"), new_folder
        )
    return moved


def gone_from_library(config: Config, path: str) -> bool:
    """A folder or file gone from a library that is there: never the library itself, nor a
    path of one whose root is missing or empty (a share not mounted, its mount point left: its
    items are not gone, as `stage.unmounted` has it for a scan), nor one that cannot be looked
    at (EACCES, EIO on a share: `is_gone`), nor one behind a share not there (`gone_share`: a
    link into it, its mount point left empty). For `mark_gone`'s callers, and for a webhook
    taking an item for moved elsewhere (`tv.follow_moved_shows`). A root on a hung mount is for
    the caller to leave out before: this looks at it."""
    root = deepest_folder(path, [lib.path for lib in config.library])
    if root is None or os.path.normpath(path) == root or not os.path.isdir(root):
        return False
    if is_empty_folder(root):
        return False
    return is_gone(path) and gone_share(path, root) is None


def gone_share(path: str, root: str) -> tuple[str, str] | None:
    """The share not there (`mounts.share_gone`: its folder or link, and why) that an item
    known at or under `path`, which is not there, is behind; None when there is none: what was
    there is gone. The items' recorded devices tell a share's empty mount point."""
    prefix = path.rstrip(os.sep) + os.sep
    query = db.Movie.select(db.Movie.path, db.Movie.file_id).where(
        ~db.Movie.missing, (db.Movie.path == path) | db.Movie.path.startswith(prefix)
    )
    for movie in query:
        if is_inside(movie.path, path):
            share = share_gone(movie.path, root, device_of(movie.file_id))
            if share is not None:
                return share
    return None


def stack_folders(paths: list[str]) -> list[str]:
    """The folders of the stacks (items not missing) a part of which, not all, is at or under
    one of `paths` (`Movie (2000) cd2.avi` or `cd1.avi`, a folder stack's `CD2/` or `CD1/`): a
    deleted part is not the whole movie, which `mark_gone` leaves while another part is there
    (a later part names no item at all: an item's path is its first part). The scan of its
    stack's folder finds the stack without it, and the item keeps its other parts (named by
    the first part left when the first went). In the order of `paths`, each once."""
    folders: list[str] = []
    for path in paths:
        path = os.path.normpath(path)
        parent = os.path.dirname(path)
        # a part in the stack's own folder, or a folder stack's `CDn/` (or a file in it)
        above = os.path.dirname(parent) if is_stack_folder(os.path.basename(parent)) else parent
        prefix = above.rstrip(os.sep) + os.sep
        query = db.Movie.select(db.Movie.path, db.Movie.parts).where(
            ~db.Movie.missing, db.Movie.kind == db.MOVIE, db.Movie.path.startswith(prefix)
        )
        for movie in query:
            if _partly_inside(movie.parts or [], path):
                # the folder holding its parts: a folder stack's `CD1/` may be the one gone
                folder = os.path.commonpath(movie.parts)
                if folder not in folders:
                    folders.append(folder)
    return folders


def _partly_inside(parts: list[str], path: str) -> bool:
    """Is a stack's part, not every one, at or under `path`?"""
    inside = [is_inside(part, path) for part in parts]
    return len(parts) > 1 and any(inside) and not all(inside)


def _part_left(movie: db.Movie, path: str) -> bool:
    """Is `movie` a stack with a part at or under `path` (its first, `cd1`, names it) and
    another part still there?"""
    parts = movie.parts or []
    if movie.kind != db.MOVIE or not _partly_inside(parts, path):
        return False
    return not all(is_gone(part) for part in parts if not is_inside(part, path))


def mark_gone(config: Config, paths: list[str]) -> list[int]:
    """Items whose file a webhook says was deleted, and which is indeed gone (`is_gone`: not one
    a share cannot show for a moment): missing, data kept; not a stack whose other part is
    still there (`cd1` deleted, `cd2` left: `stack_folders`);
    a TV item that a copy made earlier stands for follows it (`tv.follow_copies`)."""
    from metarrd.scan.tv import follow_copies  # imports this module

    gone = []
    for path in paths:
        prefix = path.rstrip(os.sep) + os.sep
        query = db.Movie.select().where(
            ~db.Movie.missing, (db.Movie.path == path) | db.Movie.path.startswith(prefix)
        )
        movies = list(query)  # read at once: no write while its cursor is open
        # a show or episode copied before it went (another disk, another season folder), whose
        # copy an earlier scan made new items: they merge into these, which follow the copy
        followed = follow_copies(
            config, [m for m in movies if m.kind != db.MOVIE and is_inside(m.path, path)]
        )
        for movie in movies:
            # a season item's path is no file (identify.seasons.season_path): gone with its show
            on_disk = os.path.dirname(movie.path) if movie.kind == db.SEASON else movie.path
            if movie.id in followed:
                continue
            if _part_left(movie, path):  # its folder's scan keeps it (`stack_folders`)
                continue
            if is_inside(movie.path, path) and is_gone(on_disk):  # not EACCES, EIO on a share
                with db.write_transaction():  # a job's: not when another worker took it over
                    db.Movie.update(missing=True, updated_at=db.now()).where(
                        db.Movie.id == movie.id
                    ).execute()
                    db.record_event(
                        "scan.missing", f"{movie.path} is gone; its data is kept", movie=movie.id
                    )
                log.info("item %d: %s deleted, marked missing", movie.id, movie.path)
                gone.append(movie.id)
    return gone


# --- one item merged into another (a scan's: a file replaced beside it, a copy then delete) --

# An upgrade's file runs as long as the film it replaces, give or take a PAL speed-up (4 %) or
# a few seconds of studio logos; an extra (a making-of, deleted scenes) or another cut does not.
SAME_RUNTIME = 0.1


def same_runtime(a: int, b: int) -> bool:
    """Do two items' files run as long (within `SAME_RUNTIME`), both with a known runtime?"""
    runtimes = dict.fromkeys((a, b), 0)
    V = db.VideoStream
    for movie_id, seconds in (
        V.select(V.movie, V.duration_seconds).where(V.movie.in_([a, b])).tuples()
    ):
        runtimes[movie_id] = max(runtimes[movie_id], seconds or 0)
    longest, shortest = max(runtimes.values()), min(runtimes.values())
    return bool(shortest) and longest - shortest <= SAME_RUNTIME * longest


def untouched(movie_id: int) -> bool:
    """No work of the user's on the item (an edit, an artwork choice: a `review.` event) and no
    job of it running: it may merge into another."""
    E = db.Event
    user_work = E.select().where(E.movie == movie_id, E.kind.startswith("review."))
    in_hand = db.Job.select().where(db.Job.movie == movie_id, db.Job.state == "running")
    return not user_work.exists() and not in_hand.exists()


def take_files(old: int, other: int, ours: Mapping[str, str] | None = None) -> None:
    """Item `old` takes what item `other` (which goes next) keeps of files: the ledger rows of
    what was published for it (still ours, `old`'s now; its next publish keeps, replaces or
    removes them) and the user's files copied into the cache or `backup/`, unless it is one of
    `ours` (the ledger's path -> SHA-256 of both items: a file we published, which `other`'s
    scan took for the user's). A copy from such a path of bytes we never wrote is the user's
    file that a publish of `other` replaced there by ours, and stays, `old`'s. When `old` has
    that picture for that type already (the same bytes downloaded from a provider: the user's
    poster is often TMDB's own), its row becomes the user's copy, which the cache clean-up
    never takes. Called in a write transaction."""
    L, C = db.LibraryFile, db.CacheImageFile
    ours = ours or {}
    written = set(ours.values())
    L.update(movie=old).where(L.movie == other).execute()
    for row in C.select().where(C.movie == other, C.source_type == LIBRARY_SOURCE):
        if row.actor_id is not None or (row.source_url in ours and row.file_hash in written):
            continue
        taken = C.get_or_none(
            C.movie == old,
            C.actor.is_null(),
            C.image_type == row.image_type,
            C.file_hash == row.file_hash,
        )
        if taken is None:
            C.update(movie=old).where(C.id == row.id).execute()
        elif taken.source_type != LIBRARY_SOURCE:
            C.update(
                source_type=LIBRARY_SOURCE,
                source_url=row.source_url,
                provider_name=LIBRARY_SOURCE,
                file_path=row.file_path,
            ).where(C.id == taken.id).execute()
