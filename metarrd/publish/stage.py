"""The PUBLISH stage: an enriched movie's cache becomes the library layout Kodi, Jellyfin and
Plex read (docs/kodi-layout.md), written so that nothing of the user's is ever lost.

    publish_item(rt, movie) -> PublishResult      the stage (CLI, jobs)
    preview_publish(rt, movie) -> PublishPlan     what a publish would do, and the NFO diff (UI)
    plan_publish(...) -> PublishPlan              the pure decision: write / replace / keep /
                                                  remove / leave, per file, with the reason

Steps of `publish_item`: validate (publishing switched on, item enriched); make the cache
complete (a selected image missing from the cache is downloaded again; a 404 skips that image
with a note); work out the wanted files (`layout`, `nfo`); look at what is on disk and in the
ledger (`library_files`); plan; then apply the plan under a per-item lock:

1. refuse early, changing nothing, when a folder cannot be written (read-only share);
2. remove our leftover temp files from an earlier crash;
3. copy into the cache every file that is not ours and is about to be replaced or removed
   (a file the user made at a target name, the user's own NFO, a file changed since we wrote it);
4. write images, actor images, then the NFO (`atomic.write_atomic`: a reader sees the old file or
   the new one), recording each in the ledger right after it lands; unchanged files (same
   SHA-256) are not touched;
5. remove files we wrote earlier that are no longer wanted;
6. record the status, a `publish_log` row and an `publish.done` event, queue a
   notification per player that shows the library, and drop unselected candidates' full-size
   cache files.

A crash at any point leaves each library file whole (old or new); the next publish finishes
the job, because every decision is made again from the disk and the ledger.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from metarrd import db, workflow
from metarrd.atomic import (
    TEMP_MARKER,
    AtomicBatch,
    ensure_dir,
    fsync_dir,
    remove_stale_temp_files,
    sha256_file,
)
from metarrd.config import ASSET_TYPES
from metarrd.errors import (
    ItemError,
    MetarrdError,
)
from metarrd.files import MAX_FILE_BYTES, UnsafeFile, read_regular
from metarrd.paths import is_inside
from metarrd.publish import layout, nfo, sources
from metarrd.publish.layout import (
    KEEP,
    LEAVE,
    REMOVE,
    REPLACE,
    WRITE,
    FileAction,
    LedgerEntry,
    PublishPlan,
    Wanted,
    plan_publish,
)
from metarrd.runtime import Runtime
from metarrd.scan import VideoPlace, art_base_name, base_name, classify_image, movie_folder

__all__ = [
    "KEEP",
    "LEAVE",
    "REMOVE",
    "REPLACE",
    "WRITE",
    "FileAction",
    "LedgerEntry",
    "PublishPlan",
    "PublishResult",
    "Wanted",
    "movie_data",
    "plan_publish",
    "preview_publish",
    "publish_item",
]

log = logging.getLogger(__name__)


# --- results -----------------------------------------------------------------------------------


@dataclass
class PublishResult:
    movie_id: int
    title: str
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    backed_up: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # pictures left out for now, tried again
    players: list[str] = field(default_factory=list)
    cache_removed: int = 0
    nfo_hash: str = ""

    def __str__(self) -> str:
        text = (
            f"published {self.title}: {len(self.written)} written, {len(self.kept)} unchanged, "
            f"{len(self.removed)} removed"
        )
        if self.backed_up:
            text += f", {len(self.backed_up)} of yours copied into the cache"
        if self.skipped:
            text += f", {len(self.skipped)} skipped ({self.skipped[0]})"
        if self.warnings:
            text += f"; {'; '.join(self.warnings)}"
        if self.players:
            text += f"; telling {', '.join(self.players)}"
        return text


# --- the stage ---------------------------------------------------------------------------------


def publish_item(rt: Runtime, movie: db.Movie) -> PublishResult:
    """Publish one enriched movie into its library folder (see the module docstring)."""
    workflow.require(rt.config, "publishing")
    movie = db.Movie.get_by_id(movie.id)
    _validate(movie)
    with _folder_lock(rt, _location(movie)[0]):
        try:
            plan, skipped, missing = _prepare(rt, movie, fetch=True)
            result = _apply(rt, movie, plan)
        except MetarrdError as exc:
            _failed(movie, str(exc))
            raise
        except OSError as exc:
            where = exc.filename or movie.path
            error = ItemError(f"{movie.label}: cannot publish: {where}: {exc.strerror or exc}")
            _failed(movie, str(error))
            raise error from None
        result.skipped = skipped + result.skipped
        result.warnings = missing.warnings
        _finish(rt, movie, plan, result)
    return result


def preview_publish(rt: Runtime, movie: db.Movie) -> PublishPlan:
    """What `publish_item` would do now, without downloading or writing anything."""
    movie = db.Movie.get_by_id(movie.id)
    _validate(movie)
    plan, _, _ = _prepare(rt, movie, fetch=False)
    if not workflow.is_enabled(rt.config, "publishing"):
        plan.notes.insert(0, "publishing is switched off: a publish would be refused")
    return plan


def _validate(movie: db.Movie) -> None:
    if movie.identification_status != db.ENRICHED:
        raise ItemError(
            f"{movie.label}: cannot publish: not enriched yet "
            f"(it is {movie.identification_status}; run `metarrd enrich {movie.id}` first)"
        )
    if movie.missing:
        raise ItemError(f"{movie.label}: cannot publish: the video file is missing ({movie.path})")


@contextlib.contextmanager
def _folder_lock(rt: Runtime, folder: Path) -> Iterator[None]:
    """One publish into a folder at a time, across processes and threads (the kernel drops the
    lock when a process dies), so the temp files we clean up are never another publish's.
    Folders share 64 lock files in `<data_dir>/locks/` (not tmp/, which the daemon empties at
    start): two folders that meet on one merely take turns.

    On PostgreSQL (workers on several hosts, each with its own data_dir) the lock is a session
    advisory lock keyed by the folder, held on this thread's connection: every host sees it, and
    the server drops it when the worker's connection dies (SIGKILL, or a host lost: TCP
    keepalives)."""
    if db.is_postgresql():
        digest = hashlib.sha256(str(folder).encode("utf-8", "surrogateescape")).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        db.database.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            db.database.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
        return
    locks = rt.config.data_path / "locks"
    ensure_dir(locks)
    digest = hashlib.sha256(str(folder).encode("utf-8", "surrogateescape")).digest()
    with open(locks / f"publish-{digest[0] % 64:02d}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- gathering: cache, wanted files, disk and ledger state ----------------------------------------


def _location(movie: db.Movie) -> tuple[Path, str, str]:
    """The movie's folder, the `<base>` of its NFO and the `<base>` of its artwork: the same
    name, except for a stack (`layout` module docstring)."""
    place = VideoPlace.of(movie)
    return movie_folder(place), base_name(place), art_base_name(place)


@dataclass
class Missing:
    """Pictures that could not be downloaded again now (provider down, key refused): the
    warnings for the item, and the slots (paths without extension) whose library file of ours
    stays as it is until the picture comes back."""

    warnings: list[str] = field(default_factory=list)
    held: dict[Path, tuple[str, str]] = field(default_factory=dict)  # slot -> (what, kind)

    def add(self, movie: db.Movie, what: str, kind: str, slot: Path | None, exc: Exception) -> None:
        reason = getattr(exc, "reason", str(exc))
        self.warnings.append(f"published without {what}: {reason}")
        if slot is not None:
            self.held[slot.with_suffix("")] = (what, kind)
        log.warning("item %d: published without %s: %s", movie.id, what, reason)


def _prepare(
    rt: Runtime, movie: db.Movie, *, fetch: bool
) -> tuple[PublishPlan, list[str], Missing]:
    folder, base, art_base = _location(movie)
    notes: list[str] = []
    missing = Missing()
    wanted = _art_files(rt, movie, folder, art_base, notes, fetch, missing)
    wanted += _actor_files(rt, movie, folder, notes, fetch, missing)
    nfo_bytes = nfo.render_nfo(movie_data(movie))
    nfo_target = layout.nfo_path(folder, base)
    wanted.append(
        Wanted(
            nfo_target,
            "nfo",
            "NFO",
            _sha(nfo_bytes),
            len(nfo_bytes),
            data=nfo_bytes,
            backup_type="nfo",
        )
    )
    ledger = {
        Path(e.path): LedgerEntry(Path(e.path), e.sha256, e.size, e.kind)
        for e in db.LibraryFile.select().where(db.LibraryFile.movie == movie.id)
    }
    conflicts, leave = _neighbours(folder, base, art_base, wanted, ledger)
    # our file for a picture that cannot be downloaded now stays until it can
    held = {p: missing.held[p.with_suffix("")] for p in ledger if p.with_suffix("") in missing.held}
    ledger = {p: e for p, e in ledger.items() if p not in held}
    sizes: dict[Path, set[int]] = {}
    for w in wanted:
        sizes.setdefault(w.path, set()).add(w.size)
    for e in ledger.values():
        sizes.setdefault(e.path, set()).add(e.size)
    current = {p: _observe(p, s) for p, s in sizes.items()}
    nfo_current = None
    if current.get(nfo_target) is not None:
        with contextlib.suppress(OSError):
            nfo_current = read_regular(nfo_target, MAX_FILE_BYTES).decode("utf-8", "replace")
    stale = [
        d / n
        for d in (folder, folder / layout.ACTORS_DIR)
        for n in _listdir(d)
        if n.startswith(TEMP_MARKER)
    ]
    if folder / "movie.nfo" in leave:
        notes.append("movie.nfo is left as it is: Jellyfin reads it before " + nfo_target.name)
    plan = plan_publish(
        movie_id=movie.id,
        title=movie.label,
        folder=folder,
        wanted=wanted,
        current=current,
        ledger=ledger,
        conflicts=conflicts,
        leave=leave,
        notes=notes,
        nfo_current=nfo_current,
        nfo_new=nfo_bytes.decode("utf-8"),
        stale_temp=stale,
    )
    for path, (what, kind) in sorted(held.items()):
        reason = f"kept until {what} can be downloaded again"
        plan.actions.append(FileAction(path, LEAVE, reason, kind))
    return plan, notes, missing


def _art_files(
    rt: Runtime,
    movie: db.Movie,
    folder: Path,
    base: str,
    notes: list[str],
    fetch: bool,
    missing: Missing,
) -> list[Wanted]:
    """Selected artwork, best first per type, renumbered over the images actually available."""
    assets = (
        db.ArtworkCandidate.select()
        .where(db.ArtworkCandidate.movie == movie.id, db.ArtworkCandidate.is_selected)
        .order_by(
            db.ArtworkCandidate.asset_type,
            db.ArtworkCandidate.rank.is_null(),
            db.ArtworkCandidate.rank,
            db.ArtworkCandidate.score.desc(nulls="LAST"),
            db.ArtworkCandidate.id,
        )
    )
    assets = list(assets)
    if not assets:
        notes.append("no artwork selected: only the NFO and the actor images are written")
    cached = sources.rows_by_hash([a.content_hash for a in assets if a.content_hash])
    wanted: list[Wanted] = []
    ranks: dict[str, int] = {}
    for asset in assets:
        label = f"{asset.asset_type} {asset.rank or '?'} of {movie.title}"
        if asset.asset_type not in ASSET_TYPES:
            _note(movie, notes, f"{label}: unknown artwork type, skipped")
            continue
        try:
            image = sources.asset_image(
                rt,
                movie.id,
                asset,
                fetch=fetch,
                who=movie.label,
                label=label,
                notes=notes,
                rows=cached.get(asset.content_hash, []) if asset.content_hash else None,
            )
        except sources.PictureUnavailable as exc:
            # it comes back later: its place is kept, so the others do not move up meanwhile
            rank = ranks[asset.asset_type] = ranks.get(asset.asset_type, 0) + 1
            slot = layout.art_path(folder, base, asset.asset_type, rank, "jpg")
            missing.add(movie, f"{asset.asset_type} {rank}", "art", slot, exc)
            continue
        if image is None:
            continue
        rank = ranks[asset.asset_type] = ranks.get(asset.asset_type, 0) + 1
        try:
            ext = layout.ext_for_format(image.format, fallback=image.path.suffix)
        except layout.LayoutError as exc:
            ranks[asset.asset_type] -= 1
            _note(movie, notes, f"{label}: {exc}, skipped")
            continue
        wanted.append(
            Wanted(
                layout.art_path(folder, base, asset.asset_type, rank, ext),
                "art",
                f"{asset.asset_type} {rank}",
                image.sha256,
                image.size,
                source=image.path,
                cache_file_id=image.cache_file_id,
                backup_type=asset.asset_type,
            )
        )
    return wanted


def _actor_files(
    rt: Runtime, movie: db.Movie, folder: Path, notes: list[str], fetch: bool, missing: Missing
) -> list[Wanted]:
    cast = movie.cast()
    cached = sources.rows_by_actor([r.actor_id for r in cast])
    wanted: list[Wanted] = []
    taken: set[str] = set()
    for role in cast:
        actor = role.actor
        label = f"actor {actor.name}"
        try:
            image = sources.actor_image(
                rt,
                movie.id,
                actor,
                fetch=fetch,
                who=movie.label,
                label=label,
                notes=notes,
                rows=cached.get(actor.id, []),
            )
        except sources.PictureUnavailable as exc:
            slot = layout.actor_path(folder, actor.name, "jpg")
            missing.add(movie, f"{actor.name}'s photo", "actor", slot, exc)
            continue
        if image is None:
            continue
        try:
            ext = layout.ext_for_format(image.format, fallback=image.path.suffix)
        except layout.LayoutError as exc:
            _note(movie, notes, f"{label}: {exc}, skipped")
            continue
        path = layout.actor_path(folder, actor.name, ext)
        if path is None:
            why = (
                "Kodi reads only .jpg and .png there"
                if ext not in layout.ACTOR_EXTS
                else layout.why_no_actor_file(actor.name)
            )
            _note(movie, notes, f"{label}: image not written to .actors ({why})")
            continue
        if path.name.casefold() in taken:
            _note(movie, notes, f"{label}: another actor already has {path.name}, skipped")
            continue
        taken.add(path.name.casefold())
        wanted.append(
            Wanted(
                path,
                "actor",
                label,
                image.sha256,
                image.size,
                source=image.path,
                cache_file_id=image.cache_file_id,
                backup_type="actor",
                actor_id=actor.id,
            )
        )
    return wanted


def movie_data(movie: db.Movie) -> nfo.MovieData:
    """The NFO's view of an item, from its database rows."""
    cast = movie.cast()
    ratings = ()
    if movie.rating:
        ratings = (nfo.Rating("tmdb", movie.rating, movie.votes, default=True),)

    def by_movie(model):
        return model.select().where(model.movie == movie.id).order_by(model.id)

    return nfo.MovieData(
        title=movie.title or Path(movie.path).stem,
        original_title=movie.original_title,
        sort_title=movie.sort_title,
        plot=movie.plot,
        outline=movie.outline,
        tagline=movie.tagline,
        runtime=movie.runtime,
        mpaa=movie.mpaa,
        premiered=movie.premiered,
        year=movie.year,
        ratings=ratings,
        tmdb_id=movie.tmdb_id,
        imdb_id=movie.imdb_id,
        tvdb_id=movie.tvdb_id,
        genres=tuple(movie.genres or ()),
        countries=tuple(movie.countries or ()),
        studios=tuple(movie.studios or ()),
        directors=tuple(movie.directors or ()),
        writers=tuple(movie.writers or ()),
        tags=tuple(movie.tags or ()),
        set_name=movie.set_name,
        set_overview=movie.set_overview,
        trailer=movie.trailer,
        actors=tuple(
            nfo.CastMember(r.actor.name, r.role or "", r.order, r.actor.thumb_url) for r in cast
        ),
        video=tuple(
            nfo.VideoDetails(
                v.codec,
                v.aspect,
                v.width,
                v.height,
                v.duration_seconds,
                v.stereomode,
                v.hdrtype,
                v.language,
            )
            for v in by_movie(db.VideoStream)
        ),
        audio=tuple(
            nfo.AudioDetails(a.codec, a.language, a.channels) for a in by_movie(db.AudioStream)
        ),
        subtitles=tuple(nfo.SubtitleDetails(s.language) for s in by_movie(db.SubtitleStream)),
        date_added=movie.date_added,
        extra=tuple(movie.nfo_extra or ()),
    )


def _neighbours(
    folder: Path,
    base: str,
    art_base: str,
    wanted: list[Wanted],
    ledger: Mapping[Path, LedgerEntry],
) -> tuple[dict[Path, str], list[Path]]:
    """The user's files beside ours: other names for a wanted slot (conflicts, with their
    backup type), and the rest of the movie's artwork and NFOs (left alone). For a stack, the
    user's images and NFO under the first part's name are listed too (`base` vs `art_base`)."""
    names = set(_listdir(folder))
    actor_names = set(_listdir(folder / layout.ACTORS_DIR))
    mine = {w.path for w in wanted} | set(ledger)
    conflicts: dict[Path, str] = {}
    for w in wanted:
        if w.kind == "art":
            slot = w.path.name[len(art_base) + 1 :].rsplit(".", 1)[0]
            asset_type = slot.rstrip("0123456789")
            rank = int(slot[len(asset_type) :] or 0) + 1
            for p in layout.art_variants(folder, art_base, asset_type, rank):
                if p.name in names and p not in mine:
                    conflicts[p] = asset_type
        elif w.kind == "actor":
            stem = w.path.stem
            for ext in ("jpg", "png", "tbn"):
                p = w.path.with_name(f"{stem}.{ext}")
                if p.name in actor_names and p not in mine:
                    conflicts[p] = "actor"
    bases = dict.fromkeys([art_base, base])
    nfo_names = {f"{b}.nfo" for b in bases} | {"movie.nfo"}
    leave = [
        folder / n
        for n in names
        if (any(classify_image(n, b, False) for b in bases) or n in nfo_names)
        and folder / n not in mine
        and folder / n not in conflicts
    ]
    leave += [
        folder / layout.ACTORS_DIR / n
        for n in actor_names
        if not n.startswith(".")
        and folder / layout.ACTORS_DIR / n not in mine
        and folder / layout.ACTORS_DIR / n not in conflicts
    ]
    return conflicts, leave


def _observe(path: Path, sizes: set[int]) -> str | None:
    """SHA-256 of the file at `path`, None when there is none; only files whose size matches
    one of `sizes` are read (any other file differs anyway: a marker string stands for it)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file (mode {st.st_mode:o})"
    if st.st_size not in sizes:
        return f"size {st.st_size}"
    return sha256_file(path)


# --- applying the plan -------------------------------------------------------------------------


def _apply(rt: Runtime, movie: db.Movie, plan: PublishPlan) -> PublishResult:
    folder = plan.folder
    actors_dir = folder / layout.ACTORS_DIR
    touches_actors = any(
        a.path.parent == actors_dir for a in plan.by_action(WRITE, REPLACE, REMOVE)
    )
    if plan.changes or plan.stale_temp:
        _check_inside_library(rt, movie, folder)
        _check_writable(movie, folder, actors_dir if touches_actors else None)
    result = PublishResult(movie.id, movie.display_title)
    nfo_wanted = next((a.wanted for a in plan.actions if a.wanted and a.wanted.kind == "nfo"), None)
    result.nfo_hash = nfo_wanted.sha256 if nfo_wanted else ""
    for directory in (folder, actors_dir):
        remove_stale_temp_files(directory)
    left: set[Path] = set()  # what cannot be backed up is not replaced either
    for action in plan.actions:
        if action.backup and _exists(action.path):
            try:
                sources.back_up(rt, movie.id, action.path, action.backup_type or "fanart")
            except UnsafeFile as exc:
                left.add(action.path)
                _note(movie, result.skipped, f"{exc}; left as it is")
                continue
            result.backed_up.append(str(action.path))
    order = {"art": 0, "actor": 1, "nfo": 2}
    ordered = [
        a
        for a in sorted(plan.by_action(WRITE, REPLACE, KEEP), key=lambda a: order[a.kind])
        if a.path not in left  # the user's file there could not be backed up: left as it is
    ]
    writes = [a.wanted for a in ordered if a.action != KEEP and a.wanted is not None]
    try:
        with AtomicBatch() as batch:
            for w in writes:
                ensure_dir(w.path.parent)
                batch.stage(w.path, w.data if w.data is not None else w.source)
            landed = {s.target: s.sha256 for s in batch.commit()}
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _disk_full(movie, folder, writes, exc) from None
        raise
    with db.write_transaction():  # the ledger learns of every file that landed
        for action in ordered:
            w = action.wanted
            assert w is not None
            if action.action == KEEP:
                _remember(movie, w, w.sha256, plan.ledger.get(w.path))
                result.kept.append(str(w.path))
                continue
            sha = landed[w.path]
            if sha != w.sha256:
                log.warning(
                    "item %d: %s: cache file %s changed on disk", movie.id, w.label, w.source
                )
            _remember(movie, w, sha, plan.ledger.get(w.path))
            result.written.append(str(w.path))
    written_dirs: set[Path] = set()  # fsynced once each, after the removals
    for action in plan.by_action(REMOVE):
        if action.path in left:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(action.path)
            written_dirs.add(action.path.parent)
            result.removed.append(str(action.path))
        db.LibraryFile.delete().where(db.LibraryFile.path == str(action.path)).execute()
    for directory in sorted(written_dirs):
        fsync_dir(directory)
    if touches_actors and actors_dir.is_dir() and not _listdir(actors_dir):
        with contextlib.suppress(OSError):
            actors_dir.rmdir()
            fsync_dir(folder)
    return result


def _disk_full(movie: db.Movie, folder: Path, writes: list[Wanted], exc: OSError) -> ItemError:
    """The library (or its quota) is full: name the file being written and the room needed."""
    need = sum(w.size for w in writes)
    try:
        st = os.statvfs(folder)
        free = f"{_megabytes(st.f_bavail * st.f_frsize)} free"
    except OSError:
        free = "free space unknown"
    return ItemError(
        f"{movie.label}: cannot publish: {exc.strerror or 'no space left'} while writing "
        f"{exc.filename}: this publish needs {_megabytes(need)} in {folder} ({free}); "
        "the files already there are unchanged"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _check_inside_library(rt: Runtime, movie: db.Movie, folder: Path) -> None:
    """Refuse a folder outside the configured libraries, or one a symlinked folder leads out of
    them (unless its library sets `follow_symlinks = true`): publish writes nowhere else."""
    libraries = [lib for lib in rt.config.library if is_inside(folder, os.path.normpath(lib.path))]
    if any(lib.follow_symlinks for lib in libraries):
        return
    real = os.path.realpath(folder)
    if libraries and any(is_inside(real, os.path.realpath(lib.path)) for lib in rt.config.library):
        return
    where = f"{folder} leads to {real}, " if libraries else f"{folder} is "
    raise ItemError(
        f"{movie.label}: cannot publish: {where}outside every configured library (a symlinked "
        "folder? see follow_symlinks); nothing was changed"
    )


def _check_writable(movie: db.Movie, folder: Path, actors_dir: Path | None) -> None:
    """Refuse before changing anything when a folder we write into cannot take a file."""
    if actors_dir is not None and (
        actors_dir.is_symlink() or (actors_dir.exists() and not actors_dir.is_dir())
    ):
        raise ItemError(
            f"{movie.label}: cannot publish: {actors_dir} is not a folder; nothing was changed"
        )
    for directory in (folder, actors_dir if actors_dir and actors_dir.is_dir() else None):
        if directory is None:
            continue
        probe = directory / f"{TEMP_MARKER}probe-{secrets.token_hex(4)}"
        try:
            fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise ItemError(
                f"{movie.label}: cannot publish: cannot write into {directory} "
                f"({exc.strerror}); nothing was changed"
            ) from None
        os.close(fd)
        probe.unlink(missing_ok=True)


def _remember(movie: db.Movie, w: Wanted, sha: str, known: LedgerEntry | None) -> None:
    """Record a file we wrote (or found identical to ours) in the ledger (the caller's
    transaction, right after the batch landed). A crash before it leaves our file unrecorded:
    the next publish adopts it when it holds the wanted bytes, else copies it into the cache
    as if it were the user's before replacing it; nothing is lost either way."""
    if known is not None and known.sha256 == sha:
        return  # `known` comes from this item's own ledger rows
    L = db.LibraryFile
    values = {
        L.movie: movie.id,
        L.kind: w.kind,
        L.sha256: sha,
        L.size: w.size,
        L.written_at: db.now(),
        L.cache_file: w.cache_file_id,
    }
    L.insert({L.path: str(w.path), **values}).on_conflict(
        conflict_target=[L.path], update=values
    ).execute()


# --- after a successful publish ----------------------------------------------------------------


def _finish(rt: Runtime, movie: db.Movie, plan: PublishPlan, result: PublishResult) -> None:
    with db.write_transaction():
        db.Movie.update(
            last_published_at=db.now(),
            published_nfo_hash=result.nfo_hash,
            publish_state=db.PUBLISHED,
            publish_warnings=result.warnings,
            last_error=None,
            updated_at=db.now(),
        ).where(db.Movie.id == movie.id).execute()
        if result.written or result.removed:
            result.players = _queue_notifications(movie)
        db.PublishLog.create(
            movie=movie.id,
            ok=True,
            nfo_hash=result.nfo_hash,
            written=result.written,
            removed=result.removed,
            kept=result.kept,
            backed_up=result.backed_up,
            message=str(result),
        )
        db.record_event(
            "publish.done",
            str(result),
            movie=movie.id,
            level="warning" if result.warnings else "info",
            written=len(result.written),
            removed=len(result.removed),
            kept=len(result.kept),
            backed_up=len(result.backed_up),
            skipped=result.skipped,
            warnings=result.warnings,
        )
    result.cache_removed = sources.drop_unselected(rt, movie.id)
    log.info("item %d: %s", movie.id, result)


def _failed(movie: db.Movie, message: str) -> None:
    """The publish history keeps the failure; the item's error and event are its runner's."""
    with db.write_transaction():
        db.PublishLog.create(movie=movie.id, ok=False, message=message)


def _queue_notifications(movie: db.Movie) -> list[str]:
    """A pending notification per enabled player that shows this movie's library."""
    players = (
        db.MediaPlayer.select()
        .join(db.PlayerLibrary)
        .where(db.PlayerLibrary.library == movie.library_id, db.MediaPlayer.enabled)
        .order_by(db.MediaPlayer.name)
    )
    names = []
    for player in players:
        pending = db.PlayerNotification.get_or_none(
            db.PlayerNotification.player == player.id,
            db.PlayerNotification.path == movie.path,
            db.PlayerNotification.state == "pending",
        )
        if pending is None:
            db.PlayerNotification.create(player=player.id, movie=movie.id, path=movie.path)
        names.append(player.name)
    return names


# --- small helpers -----------------------------------------------------------------------------


def _note(movie: db.Movie, notes: list[str], text: str) -> None:
    notes.append(text)
    log.warning("item %d: %s", movie.id, text)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _listdir(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []
