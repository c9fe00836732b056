"""The PUBLISH stage: an enriched movie's cache becomes the library layout Kodi, Jellyfin and
Plex read (docs/kodi-layout.md), written so that nothing of the user's is ever lost.

    publish_item(rt, movie) -> PublishResult      the stage for one item (jobs, the UI)
    publish_many(rt, movies) -> [PublishResult | MetarrdError]
                                                  a batch under one pair of durability barriers
                                                  (`metarrd publish --all`)
    preview_publish(rt, movie) -> PublishPlan     what a publish would do, and the NFO diff (UI)
    plan_publish(...) -> PublishPlan              the pure decision: write / replace / keep /
                                                  remove / leave, per file, with the reason

Steps, for a batch of items (one item is a batch of one): validate (publishing switched on,
item enriched); read every item's rows at once (`gather`); take the folders' locks; per item,
make the cache complete (a selected image missing from the cache is downloaded again; a 404
skips that image with a note), work out the wanted files (`layout`, `nfo`), look at what is on
disk and in the ledger (`library_files`), plan; then apply every plan (`apply`):

1. refuse an item early, changing nothing, when a folder of it cannot be written;
2. remove our leftover temp files from an earlier crash;
3. copy into the cache every file that is not ours and is about to be replaced or removed;
4. write every item's images, actor images and NFO to temp files, make them all durable at
   once, rename them item by item, remove files we wrote earlier that are no longer wanted,
   make the renames and removals durable at once, then record the ledger;
5. record the status, a `publish_log` row and a `publish.done` event per item, queue a
   notification per player that shows the library (for an item whose files changed, or
   whose path is not the one that player was last told about), and drop unselected
   candidates' full-size cache files.

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
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from metarrd import db, workflow
from metarrd.atomic import TEMP_MARKER, ensure_dir, sha256_file, whole_seconds
from metarrd.config import ASSET_TYPES, LibraryConfig
from metarrd.errors import ItemError, MetarrdError, not_enriched
from metarrd.files import (
    MAX_FILE_BYTES,
    display,
    link_target_outside,
    names_in,
    read_regular,
    same_file,
    sha256_regular,
)
from metarrd.paths import folded
from metarrd.publish import actors, apply, discs, layout, nfo, plex, sources
from metarrd.publish.apply import PublishResult
from metarrd.publish.gather import ItemRows, load_rows, stream_details
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
    Warned,
    plan_publish,
)
from metarrd.runtime import Runtime
from metarrd.scan import (
    VideoPlace,
    art_base_name,
    base_name,
    classify_image,
    disc_file,
    folder_stack_art,
    has_own_folder,
    ledger_folder,
    movie_folder,
    nfo_present,
)

__all__ = [
    "BATCH_SIZE",
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
    "publish_many",
]

log = logging.getLogger(__name__)

# Items per pair of durability barriers: more makes the barriers rarer, but holds more folders'
# locks (and more temp files) at once.
BATCH_SIZE = 50


# --- the stage ---------------------------------------------------------------------------------


def publish_item(rt: Runtime, movie: db.Movie) -> PublishResult:
    """Publish one enriched movie into its library folder (see the module docstring)."""
    (outcome,) = publish_many(rt, [movie])
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def publish_many(rt: Runtime, movies: Sequence[db.Movie]) -> list[PublishResult | MetarrdError]:
    """Publish these movies, `BATCH_SIZE` at a time under one pair of durability barriers: one
    outcome per movie, in order, a `PublishResult` or the error that item failed with (recorded
    in its publish history as `publish_item` does; its `last_error` and event are the caller's,
    `db.record_failure`). `StageDisabled` when publishing is switched off."""
    workflow.require(rt.config, "publishing")
    outcomes: dict[int, PublishResult | MetarrdError] = {}
    asked: dict[int | None, list[db.Movie]] = {}
    for item in movies:  # TV items: once per show (publish/tv.py), with the episodes asked for
        if item.kind != db.MOVIE:
            asked.setdefault(item.id if item.kind == db.SHOW else item.show_id, []).append(item)
    for items in asked.values():
        outcomes.update(_publish_tv(rt, items))
    ids = list(dict.fromkeys(m.id for m in movies if m.kind == db.MOVIE))
    for start in range(0, len(ids), BATCH_SIZE):
        outcomes.update(_publish_batch(rt, ids[start : start + BATCH_SIZE]))
    return [outcomes[m.id] for m in movies]


def _publish_tv(rt: Runtime, items: list[db.Movie]) -> dict[int, PublishResult | MetarrdError]:
    """Items of one show: the whole show when it or a season is asked for, else those
    episodes (and what the show needs for them: `tv._scope`). Episodes asked for that cannot
    be published (not enriched, file missing) are each refused with their own reason; the
    others go on."""
    from metarrd.publish import tv

    episodes = [i for i in items if i.kind == db.EPISODE]
    alone = len(episodes) == len(items)
    outcomes: dict[int, PublishResult | MetarrdError] = {}
    if alone and len(episodes) > 1:
        outcomes.update(tv.refused_episodes(episodes))
        items = episodes = [e for e in episodes if e.id not in outcomes]
    if not items:
        return outcomes
    try:
        outcomes.update(tv.publish_show(rt, items))
    except MetarrdError as exc:
        outcomes.update((item.id, exc) for item in items)
    return outcomes


def _publish_batch(rt: Runtime, ids: list[int]) -> dict[int, PublishResult | MetarrdError]:
    rows = load_rows(ids)
    outcomes: dict[int, PublishResult | MetarrdError] = {}
    ready: list[ItemRows] = []
    for movie_id in ids:
        item = rows.get(movie_id)
        if item is None:
            outcomes[movie_id] = ItemError(f"item {movie_id}: cannot publish: it no longer exists")
            continue
        try:
            _validate(item.movie)
        except ItemError as exc:  # nothing was tried: nothing recorded
            outcomes[movie_id] = exc
            continue
        ready.append(item)
    if not ready:
        return outcomes
    folders = [_location(item.movie)[0] for item in ready]
    folders += [home[0] for item in ready if (home := _art_home(rt, item.movie)) is not None]
    folders += [_actors_home(rt, item.movie) for item in ready]  # a folder stack's: above CD1/
    with _folder_locks(rt, folders):
        jobs = []
        for item in ready:
            try:
                prepared = _prepare(rt, item, fetch=True)
            except (MetarrdError, OSError) as exc:
                outcomes[item.movie.id] = apply.failed(item.movie, exc)
                continue
            jobs.append(
                apply.Job(
                    item.movie, prepared.plan, prepared.skipped, prepared.missing, prepared.seen
                )
            )
        clashes = _clashes(jobs)
        for job in jobs:
            if job.movie.id in clashes:
                outcomes[job.movie.id] = apply.failed(job.movie, clashes[job.movie.id])
        jobs = [job for job in jobs if job.movie.id not in clashes]
        for movie_id in _taken_over(rt, [job.movie for job in jobs]):
            outcomes[movie_id] = taken_over_error(rows[movie_id].movie)
        jobs = [job for job in jobs if job.movie.id not in outcomes]
        outcomes.update(apply.apply_all(rt, jobs))
    return outcomes


def _taken_over(rt: Runtime, movies: list[db.Movie]) -> set[int]:
    """Items whose publish job this worker lost to another while it prepared them (it froze
    past its lease): they are left to that worker, nothing written. Looked at under the
    folders' locks, right before writing."""
    if rt.taken_over is None or not movies:
        return set()
    return rt.taken_over([m.id for m in movies])


def taken_over_error(movie: db.Movie) -> ItemError:
    return ItemError(
        f"{movie.label}: not published here: another worker took the job over (this one "
        "stopped renewing its lease); nothing was written"
    )


def _clashes(jobs: list[apply.Job]) -> dict[int, ItemError]:
    """Items whose NFO or artwork would land on a name another item owns: two videos in one
    folder with one base name (`Alien (1979).mkv` and `.avi`), a stack beside a single file of
    its stacked title. Each would back up and overwrite the other's files on every publish, so
    the one that does not own them (in the ledger, or earlier in this batch) is refused. The
    owner must still be there (not missing); `.actors/` is shared by every movie of a folder.
    In a folder that ignores case (a share: `_ignores_case`), names in other letters are one
    name (`Alien (1979).mkv` and `alien (1979).avi`), and a file of ours there the folder lists
    in other letters is owned under that spelling."""
    caseless = {job.movie.id for job in jobs if _ignores_case(Path(job.movie.path))}
    paths = {
        str(a.path): job
        for job in jobs
        for a in job.plan.by_action(WRITE, REPLACE, KEEP)
        if a.kind != "actor"
    }
    spelt: dict[str, str] = {}  # our name -> the folder's name for that file in other letters
    listings: dict[Path, list[str]] = {}
    for job in jobs:
        if job.movie.id not in caseless:
            continue
        for a in job.plan.by_action(REPLACE, KEEP):  # there already, maybe in other letters
            if a.kind == "actor":
                continue
            if a.path.parent not in listings:
                listings[a.path.parent] = names_in(a.path.parent)
            names = listings[a.path.parent]
            if a.path.name not in names:
                name = folded(a.path.name)
                other = next((n for n in names if folded(n) == name), None)
                if other is not None:
                    spelt[str(a.path)] = str(a.path.parent / other)
    owners: dict[str, int] = {}
    keys = list(paths) + list(spelt.values())
    L = db.LibraryFile
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        owners.update(L.select(L.path, L.movie).where(L.path.in_(chunk)).tuples())
    ids = {i for i in owners.values() if i is not None}
    live = {m.id: m for m in db.Movie.select().where(db.Movie.id.in_(ids), ~db.Movie.missing)}
    live.update({job.movie.id: job.movie for job in jobs})
    claimed: dict[str, db.Movie] = {}
    claimed_caseless: dict[tuple[str, str], db.Movie] = {}  # (folder, folded name) -> item
    clashes: dict[int, ItemError] = {}
    for job in jobs:
        ignores_case = job.movie.id in caseless
        for a in job.plan.by_action(WRITE, REPLACE, KEEP):
            path = str(a.path)
            if a.kind == "actor":
                continue
            owner = owners.get(path) or owners.get(spelt.get(path, ""))
            other = live.get(owner) or claimed.get(path)  # type: ignore[arg-type]
            if other is None and ignores_case:
                other = claimed_caseless.get((str(a.path.parent), folded(a.path.name)))
            if other is not None and other.id != job.movie.id:
                clashes[job.movie.id] = ItemError(
                    f"{job.movie.label}: cannot publish: {a.path.name} is the name of "
                    f"{other.label}'s {a.kind.upper() if a.kind == 'nfo' else 'artwork'} "
                    f"({other.path}): two videos here share their NFO and artwork names; move "
                    "one into its own folder or rename it; nothing was changed"
                )
                break
        else:
            written = [a.path for a in job.plan.by_action(WRITE, REPLACE)]
            claimed.update({str(p): job.movie for p in written})
            if ignores_case:
                claimed_caseless.update(
                    {(str(p.parent), folded(p.name)): job.movie for p in written}
                )
    return clashes


def _ignores_case(video: Path) -> bool:
    """Whether the folder of `video` (there: a file) ignores letter case, as a share does: its
    name in other letters (`ALIEN (1979).MKV`) is the very file, by lstat. Not when that name
    is another file, or nothing, or the name has no letters to change."""
    other = video.name.swapcase()
    if other == video.name:
        return False
    return same_file(video, video.with_name(other))


def preview_publish(rt: Runtime, movie: db.Movie) -> PublishPlan:
    """What `publish_item` would do now, without downloading or writing anything."""
    if movie.kind != db.MOVIE:
        from metarrd.publish import tv

        return tv.preview_show(rt, movie)
    item = load_rows([movie.id]).get(movie.id)
    if item is None:
        raise ItemError(f"item {movie.id}: it no longer exists")
    _validate(item.movie)
    plan = _prepare(rt, item, fetch=False).plan
    if not workflow.is_enabled(rt.config, "publishing"):
        plan.notes.insert(0, "publishing is switched off: a publish would be refused")
    return plan


def _validate(movie: db.Movie) -> None:
    if movie.identification_status != db.ENRICHED:
        raise not_enriched(movie, movie.identification_status)
    if movie.missing:
        raise ItemError(f"{movie.label}: cannot publish: the video file is missing ({movie.path})")


@contextlib.contextmanager
def _folder_lock(rt: Runtime, folder: Path) -> Iterator[None]:
    """One publish into a folder at a time, across processes and threads (the kernel drops the
    lock when a process dies), so the temp files we clean up are never another publish's.
    Folders share 64 lock files in `<data_dir>/locks/` (not tmp/, which the daemon empties at
    start): two folders that meet on one merely take turns.

    On PostgreSQL (workers on several hosts, each with its own data_dir) the locks are session
    advisory locks keyed by the folder, held on this thread's connection: every host sees them,
    and the server drops them when the worker's connection dies (SIGKILL, or a host lost)."""
    with _folder_locks(rt, [folder]):
        yield


@contextlib.contextmanager
def _folder_locks(rt: Runtime, folders: list[Path]) -> Iterator[None]:
    """`_folder_lock` of several folders at once (a batch): each lock file taken once, in
    order, so two batches never wait for each other in a circle."""
    if db.is_postgresql():
        keys = sorted(
            {
                int.from_bytes(
                    hashlib.sha256(str(f).encode("utf-8", "surrogateescape")).digest()[:8],
                    "big",
                    signed=True,
                )
                for f in folders
            }
        )
        with db.database.obj.session_locks(keys):
            yield
        return
    locks = rt.config.data_path / "locks"
    ensure_dir(locks)
    slots = sorted(
        {
            hashlib.sha256(str(f).encode("utf-8", "surrogateescape")).digest()[0] % 64
            for f in folders
        }
    )
    with contextlib.ExitStack() as stack:
        for slot in slots:
            fh = stack.enter_context(open(locks / f"publish-{slot:02d}.lock", "a"))
            fcntl.flock(fh, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, fh, fcntl.LOCK_UN)
        yield


# --- gathering: cache, wanted files, disk and ledger state ----------------------------------------


def _location(movie: db.Movie) -> tuple[Path, str, str]:
    """The movie's folder, the `<base>` of its NFO and the `<base>` of its artwork: the same
    name, except for a stack (`layout` module docstring)."""
    place = VideoPlace.of(movie)
    return movie_folder(place), base_name(place), art_base_name(place)


def _art_home(rt: Runtime, movie: db.Movie) -> tuple[Path, str, bool] | None:
    """Where a folder stack's artwork goes, its `<base>` there, and whether that folder is the
    movie's alone (`scan.folder_stack_art`): the movie folder above its `CD1/`, `CD2/` parts,
    the only place Kodi reads it. None for any other movie (its art goes beside its NFO), and
    for bare names in a library's own folder, where they would be the whole library's."""
    return folder_stack_art(VideoPlace.of(movie), _roots(rt))  # a root is not walked


def _actors_home(rt: Runtime, movie: db.Movie) -> Path:
    """The folder of the movie's `.actors/`, where Kodi looks for its actors' pictures
    (CVideoInfoScanner::GetArtwork: FetchActorThumbs in `URIUtils::GetBasePath`): its movie
    folder, except for a folder stack in `CD1/`, `CD2/`...: the folder above them. Kodi 20/21's
    GetBasePath of a stack is its first part's folder, or the one above when that folder's
    name is `cd` and one character; Kodi 22's (`CStackDirectory::GetBasePath`, xbmc/xbmc#27048)
    the folder common to the parts. Parts in `Disc1/`, `DVD1/` keep it in the first part's
    folder, where Kodi 20/21 reads it; so does a stack whose folder above is a library's."""
    place = VideoPlace.of(movie)
    folder, above = movie_folder(place), ledger_folder(place)
    name = folder.name
    if above == folder or above != folder.parent or len(name) != 3 or name[:2].lower() != "cd":
        return folder
    return folder if os.path.normpath(above) in _roots(rt) else above


def _roots(rt: Runtime) -> set[str]:
    """The libraries' own folders: no bare name there is one movie's."""
    return {os.path.normpath(lib.path) for lib in rt.config.library}


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


@dataclass
class Prepared:
    plan: PublishPlan
    skipped: list[str]
    missing: Missing
    seen: dict[Path, tuple[int, int, int]]  # lstat (size, mtime_ns, ctime_ns) of files read


def _prepare(rt: Runtime, item: ItemRows, *, fetch: bool) -> Prepared:
    movie = item.movie
    folder, base, art_base = _location(movie)
    notes: list[str] = []
    missing = Missing()
    limits: dict[Path, int] = {}
    nfo_target = layout.nfo_path(folder, base)
    if (too_long := name_too_long(nfo_target, limits)) is not None:
        raise ItemError(
            f"{movie.label}: cannot publish: the NFO's name {too_long}; "
            "rename the video shorter; nothing was changed"
        )
    art_folder, art_alone = folder, False
    if (home := _art_home(rt, movie)) is not None:  # a folder stack's: above its CD1/, CD2/
        art_folder, art_base, art_alone = home
    elif (above := ledger_folder(VideoPlace.of(movie))) != folder:
        notes.append(
            Warned(
                f"artwork published in {folder.name}/, where Kodi does not read a stack's: the "
                f"parts' names give no stacked title, and {display(above)} is not the movie's own "
                "folder (a library's, or one holding other movies: a bare poster.jpg there would be "
                "theirs too); name the parts after the movie "
                f"(`{movie.title or 'Title'} cd1{Path(movie.path).suffix}`) for Kodi to show it"
            )
        )
    actors_folder = _actors_home(rt, movie)
    actors_dir = actors_folder / layout.ACTORS_DIR
    wanted = _art_files(rt, item, art_folder, art_base, notes, fetch, missing)
    plex_held = None  # what holds the poster's copy for Plex while the poster cannot be had
    if item.plex and not movie.is_disc:
        for_plex, plex_held = plex.copies(
            wanted, folder, base, art_folder, art_base, missing.held, notes
        )
        wanted += for_plex
    if art_folder == folder and art_base not in ("", base):  # a stack of files in one folder
        wanted += jellyfin_stack_art(wanted, folder, base, missing)
    taken: set[str] = set()
    for role in item.cast:
        actor_file = actors.actor_wanted(
            rt,
            item,
            role,
            actors_folder,
            owner=movie,
            taken=taken,
            notes=notes,
            fetch=fetch,
            missing=missing,
        )
        if actor_file is not None:
            wanted.append(actor_file)
    wanted = fitting_names(movie, wanted, limits, notes)
    nfo_bytes = nfo.render_nfo(movie_data(movie, item))
    nfo_file = Wanted(
        nfo_target,
        "nfo",
        "NFO",
        _sha(nfo_bytes),
        len(nfo_bytes),
        data=nfo_bytes,
        backup_type="nfo",
    )
    wanted.append(nfo_file)
    if movie.is_disc:
        wanted += discs.stack_nfo(nfo_file, folder, _roots(rt), notes)
    ledger = item.ledger
    names = set(names_in(folder))
    actor_names = set(names_in(actors_dir))
    art_names = names if art_folder == folder else set(names_in(art_folder))
    conflicts, leave = _neighbours(
        folder, base, art_base, wanted, ledger, names, actor_names, actors_dir
    )
    if art_folder != folder:
        more, beside = _art_neighbours(art_folder, art_base, art_alone, wanted, ledger, art_names)
        conflicts.update(more)
        leave += beside
    # our file for a picture that cannot be downloaded now stays until it can
    held = {p: missing.held[p.with_suffix("")] for p in ledger if p.with_suffix("") in missing.held}
    if plex_held is not None:
        held.update({p: plex_held for p in ledger if plex.is_poster_copy(p, folder, base)})
    shared = _shown_by_others(rt, movie, actors_folder, wanted, ledger)
    ledger = {p: e for p, e in ledger.items() if p not in held and p not in shared}
    stale = [folder / n for n in names if n.startswith(TEMP_MARKER)]
    stale += [actors_dir / n for n in actor_names if n.startswith(TEMP_MARKER)]
    if art_folder != folder:
        stale += [art_folder / n for n in art_names if n.startswith(TEMP_MARKER)]
    if folder / "movie.nfo" in leave:
        notes.append(
            Warned("movie.nfo is left as it is: Jellyfin reads it before " + nfo_target.name)
        )
    if movie.is_disc:
        ours = {p.name for p in item.ledger if p.parent == folder}  # removed if not wanted
        # nor one the folder lists in other letters, the very file at our NFO's name (a share)
        mine = {nfo_target, *item.ledger}
        others = {n for n in names - ours if not _same_file_by_case(folder / n, mine, names)}
        versions = _published_by_others(movie, folder, others)
        notes += discs.disc_notes(folder, others, nfo_target, _roots(rt), versions)
    elif {n.upper() for n in names} & _DISC_NAMES:  # the folder holds a disc: whose?
        notes += discs.version_notes(nfo_target, _discs_in(movie, folder))
    first_poster = next((w for w in wanted if w.label == "poster 1"), None)
    poster = first_poster.path.name if first_poster is not None else None
    if first_poster is not None and art_base:
        # Jellyfin takes `<base>.jpg` as the poster before any other name, in any letter case
        # of the extension (`.JPG`, `.Tbn`: `LocalImageProvider.GetImage`); Plex too, for the
        # formats it reads (`plex.reads_as_poster`: no `.webp`, no `.gif`)
        shadows = {f"{b}.{ext}" for b in (art_base, base) for ext in layout.IMAGE_EXTS}

        def shadow(name: str) -> bool:
            stem, dot, ext = name.rpartition(".")
            return bool(dot) and f"{stem}.{ext.lower()}" in shadows

        for path in sorted(p for p in leave if p.parent in (folder, art_folder) and shadow(p.name)):
            if _holds_ours(path, first_poster):  # the very poster chosen here
                continue
            both = plex.reads_as_poster(path, folder, base)
            notes.append(
                Warned(
                    f"{path.name} is left as it is: "
                    f"{'Jellyfin and Plex show' if both else 'Jellyfin shows'} it as the poster, "
                    f"before {poster}; remove it to have {'them' if both else 'Jellyfin'} show "
                    "the poster chosen here"
                )
            )
    notes += jellyfin_first_notes(
        [w for w in wanted if w.path.parent == art_folder],
        art_names,
        (art_base, base),
        lambda: (
            art_alone or (art_folder == folder and has_own_folder(VideoPlace.of(movie), _roots(rt)))
        ),
    )
    plan, seen = plan_against_disk(
        movie,
        folder,
        wanted,
        ledger,
        held,
        nfo_target=nfo_target,
        nfo_bytes=nfo_bytes,
        conflicts=conflicts,
        leave=leave,
        notes=notes,
        stale=stale,
        fetch=fetch,
        listings={folder: names, actors_dir: actor_names, art_folder: art_names},
        actors_folder=None if actors_folder == folder else actors_folder,
        libraries=rt.config.library,
    )
    for path, other in sorted(shared.items()):
        reason = f"no longer this movie's actor, but {other}, in the same folder, shows it too"
        plan.actions.append(FileAction(path, LEAVE, reason, "actor"))
    return Prepared(plan, notes, missing, seen)


# The art Jellyfin reads for a movie, one image of each (`LocalImageProvider.PopulateImages`,
# 10.8 to 10.11): `<base>-poster`, `-fanart`, `-clearlogo`, `-clearart`, `-discart`, `-banner`,
# `-landscape`, and `-thumb` only without a `-landscape`
_JELLYFIN_MOVIE_ART = ("poster", "fanart", "clearlogo", "clearart", "discart", "banner")


def _published_by_others(
    movie: db.Movie, folder: Path, names: set[str]
) -> dict[str, tuple[int, str]]:
    """The NFOs among `names` (in `folder`) that other items published there, by the ledger:
    name -> (that item's id, its video's name). One statement, asked for a disc only."""
    nfos = [str(folder / n) for n in sorted(names) if n.lower().endswith(".nfo")]
    if not nfos:
        return {}
    L, M = db.LibraryFile, db.Movie
    rows = (
        L.select(L.path, M.id, M.path)
        .join(M)
        .where(L.path.in_(nfos), L.kind == "nfo", M.id != movie.id)
        .tuples()
    )
    return {Path(path).name: (item, Path(video).name) for path, item, video in rows}


# what a folder holding a disc lists (`walk.py`): its `VIDEO_TS/` or `BDMV/`, or a DVD's or a
# Blu-ray's files straight in it
_DISC_NAMES = {"VIDEO_TS", "BDMV", "VIDEO_TS.IFO", "INDEX.BDMV"}


def _discs_in(movie: db.Movie, folder: Path) -> list[tuple[int, str, str]]:
    """The discs of other items kept in `folder` (`Alien (1979)/VIDEO_TS/` beside `movie`'s
    file), as `discs.version_notes` names them: (item id, the disc folder's name, its NFO's
    name). One statement."""
    M = db.Movie
    paths = [str(folder)] + [str(folder / d) for d in ("VIDEO_TS", "BDMV", "video_ts", "bdmv")]
    rows = M.select(M.id, M.path).where(
        M.path.in_(paths), M.is_disc, ~M.missing, M.id != movie.id, M.kind == db.MOVIE
    )
    found = []
    for row in rows:
        place = VideoPlace(Path(row.path), (Path(row.path),), True)
        home = movie_folder(place)
        disc = next((d for d in ("VIDEO_TS", "BDMV") if disc_file(home, d).is_dir()), "VIDEO_TS")
        inside = "VIDEO_TS/VIDEO_TS.nfo" if disc == "VIDEO_TS" else "BDMV/index.nfo"
        if nfo_present(disc_file(home, inside)):
            continue  # Kodi reads that one first, whatever else the folder holds
        found.append((row.id, disc_file(home, disc).name, f"{base_name(place)}.nfo"))
    return found


def jellyfin_stack_art(
    wanted: list[Wanted], folder: Path, base: str, missing: Missing
) -> list[Wanted]:
    """Copies of a file stack's first image of each type Jellyfin reads, under the first
    part's name (`Heat (1995) cd1-poster.jpg` beside Kodi's `Heat (1995)-poster.jpg`).
    Jellyfin's movie of a stack has its first part for `Path` (MovieResolver.ResolveVideos:
    the others are its `AdditionalParts`), and it looks for art under that file's name, or
    bare (`poster.jpg`) in a folder of the movie's own (`LocalImageProvider`): never under
    the stacked title Kodi reads, so a stack showed no artwork in Jellyfin. Kodi reads none
    of the copies (its art base for a stack is the stacked title, ArtUtils
    GetLocalArtBaseFilename). A slot whose picture cannot be downloaded now keeps its copy
    too (`missing`)."""
    firsts = {
        w.backup_type: w for w in wanted if w.kind == "art" and w.label == f"{w.backup_type} 1"
    }
    types = [*_JELLYFIN_MOVIE_ART, "landscape" if "landscape" in firsts else "thumb"]
    for kind in types:
        slot = layout.art_path(folder, base, kind, 1, "jpg").with_suffix("")
        for held, what in list(missing.held.items()):
            if held.parent == folder and what[0] == f"{kind} 1":
                missing.held[slot] = what
    return [
        replace(
            w,
            path=layout.art_path(folder, base, kind, 1, w.path.suffix[1:]),
            label=f"{kind} 1 for Jellyfin",
        )
        for kind in types
        if (w := firsts.get(kind)) is not None
    ]


# Jellyfin looks for a logo as `logo`, and only without one as `clearlogo`; for a disc image
# as `disc`, then `cdart`, then `discart`: each under `<base>-` and, in a folder of the movie's
# own, bare (`LocalImageProvider.PopulateImages`, any letter case). Its own saver writes the
# bare `logo.png` and `disc.png` there ("save artwork into media folders").
_JELLYFIN_FIRST = {"clearlogo": ("logo",), "discart": ("disc", "cdart")}


def _holds_ours(path: Path, file: Wanted) -> bool:
    """Whether the user's image at `path` is a regular file of the very bytes we publish as
    `file` (their Jellyfin `logo.png` chosen as the clear logo, copied to `clearlogo.png`):
    a player that reads theirs first shows the picture chosen here all the same, and a note
    telling the user to remove it would be wrong. Read only when its size is `file`'s."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size != file.size:
            return False
        return sha256_regular(path, MAX_FILE_BYTES) == file.sha256
    except (OSError, ValueError):
        return False


def jellyfin_first_notes(
    wanted: list[Wanted], names: set[str], bases: Sequence[str], own: Callable[[], bool]
) -> list[str]:
    """The user's images Jellyfin shows instead of our clear logo or disc art (left as they
    are, like a `<base>.jpg` poster), one note each. `names`: the folder's; `bases`: the
    `<base>`s Jellyfin may put before `-logo`; `own()`: whether the item has the folder to
    itself (Jellyfin reads bare names there only)."""
    notes = []
    for ours, theirs in _JELLYFIN_FIRST.items():
        first = next((w for w in wanted if w.label == f"{ours} 1"), None)
        if first is None:
            continue
        mine = first.path.name
        stems = {f"{b}-{t}".casefold() for b in bases if b for t in theirs}
        bare = {t.casefold() for t in theirs}
        found = [
            n
            for n in sorted(names)
            if (dot := n.rfind(".")) > 0
            and n[dot + 1 :].lower() in layout.IMAGE_EXTS
            and (n[:dot].casefold() in stems or n[:dot].casefold() in bare)
            and not _holds_ours(first.path.parent / n, first)
        ]
        if any(n[: n.rfind(".")].casefold() in bare for n in found) and not own():
            found = [n for n in found if n[: n.rfind(".")].casefold() in stems]
        kind = "clear logo" if ours == "clearlogo" else "disc art"
        notes += [
            Warned(
                f"{n} is left as it is: Jellyfin shows it as the {kind}, before {mine}; remove "
                f"it to have Jellyfin show the {kind} chosen here"
            )
            for n in found
        ]
    return notes


def _shown_by_others(
    rt: Runtime,
    movie: db.Movie,
    folder: Path,
    wanted: list[Wanted],
    ledger: Mapping[Path, LedgerEntry],
) -> dict[Path, str]:
    """Our `.actors/` files this movie no longer wants that another movie whose `.actors/` is
    in `folder` still names (`.actors/` is one per folder, its files recorded for the movie
    that published them last): path -> that movie's label. They are left; that movie takes
    their ledger rows at its next publish. Asked of the database only when this movie drops
    an actor's file. Names compare as a share that ignores case does (`paths.folded`): there
    `Carrie-Anne_Moss.jpg` and the other movie's `Carrie-anne_Moss.jpg` are one file."""
    wanted_paths = {w.path for w in wanted}
    gone = [p for p, e in ledger.items() if e.kind == "actor" and p not in wanted_paths]
    if not gone:
        return {}
    M, MA = db.Movie, db.MovieActor
    roles = (
        MA.select(MA, db.Actor, M)
        .join(db.Actor)
        .switch(MA)
        .join(M)
        .where(
            M.path.startswith(str(folder)),
            M.id != movie.id,
            M.kind == db.MOVIE,
            ~M.missing,
        )
    )
    shown: dict[Path, str] = {}
    for role in roles:
        for path in gone:
            if (
                path not in shown
                and folded(layout.actor_file_name(role.actor.name, path.suffix[1:]))
                == folded(path.name)
                and _actors_home(rt, role.movie) == folder
            ):
                shown[path] = role.movie.label
    return shown


def plan_against_disk(
    item: db.Movie,
    folder: Path,
    wanted: list[Wanted],
    ledger: dict[Path, LedgerEntry],
    held: dict[Path, tuple[str, str]],
    *,
    nfo_target: Path,
    nfo_bytes: bytes,
    conflicts: dict[Path, str],
    leave: list[Path] | None = None,
    notes: list[str],
    stale: list[Path],
    fetch: bool,
    listings: Mapping[Path, set[str]] | None = None,
    libraries: Sequence[LibraryConfig],
    actors_folder: Path | None = None,
) -> tuple[PublishPlan, dict[Path, tuple[int, int, int]]]:
    """What is on disk now for every wanted and ledger path (by lstat, hashed only when it could
    have changed), the plan against it, and a LEAVE for each held slot (a picture that cannot be
    had now keeps our file). Shared by a movie's and a show's publish. `listings`: the names
    in some folders, just listed: a path whose name is not there in any letter case or Unicode
    form (`paths.folded`: a share may ignore case, APFS normalisation too) is absent without
    an lstat. `libraries`: the configured ones; the preview shows
    no NFO a symlink leads to outside them all (`files.link_target_outside`). `actors_folder`:
    where the item's `.actors/` is, when not in `folder`."""
    sizes: dict[Path, set[int]] = {}
    for w in wanted:
        sizes.setdefault(w.path, set()).add(w.size)
    for e in ledger.values():
        sizes.setdefault(e.path, set()).add(e.size)
    listed = {d: {folded(n) for n in names} for d, names in (listings or {}).items()}
    seen: dict[Path, tuple[int, int, int]] = {}
    current = {
        p: None
        if (name := folded(p.name)) not in listed.get(p.parent, (name,))
        else _observe(p, s, ledger.get(p), seen)
        for p, s in sizes.items()
    }
    # a file that is not the item's, there where it writes one (the user's: copied first), may
    # be one metarrd wrote for what the library was before its kind changed, its row owned by
    # no item, not removed yet, or for a missing item (its video gone): asked of the database
    # only then, and read again by that row
    others = [w for w in wanted if w.path not in ledger and current[w.path] not in (None, w.sha256)]
    disowned = _disowned_at([w.path for w in others]) if others else {}
    for path, entry in disowned.items():
        current[path] = _observe(path, sizes[path] | {entry.size}, entry, seen)
    nfo_current = None
    if not fetch and current.get(nfo_target) is not None:  # the preview's diff
        if (target := link_target_outside(nfo_target, libraries)) is not None:
            notes.append(
                f"{nfo_target.name} is a symbolic link to {display(target)}, outside every "
                "configured library: what it holds is not shown"
            )
        else:
            with contextlib.suppress(OSError):
                nfo_current = read_regular(nfo_target, MAX_FILE_BYTES, inside=libraries).decode(
                    "utf-8", "replace"
                )
    plan = plan_publish(
        movie_id=item.id,
        title=item.label,
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
        actors_folder=actors_folder,
        disowned=disowned,
    )
    for path, (what, kind) in sorted(held.items()):
        plan.actions.append(
            FileAction(path, LEAVE, f"kept until {what} can be downloaded again", kind)
        )
    return plan, seen


def _art_files(
    rt: Runtime,
    rows: ItemRows,
    folder: Path,
    base: str,
    notes: list[str],
    fetch: bool,
    missing: Missing,
) -> list[Wanted]:
    """Selected artwork, best first per type, renumbered over the images actually available."""
    movie, assets, cached = rows.movie, rows.assets, rows.asset_cache
    if not assets:
        notes.append("no artwork selected: only the NFO and the actor images are written")
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


def movie_data(movie: db.Movie, rows: ItemRows | None = None) -> nfo.MovieData:
    """The NFO's view of an item, from its database rows (`rows`: already loaded)."""
    if rows is None:
        rows = load_rows([movie.id])[movie.id]
    cast = rows.cast
    ratings = ()
    if movie.rating:
        ratings = (nfo.Rating("tmdb", movie.rating, movie.votes, default=True),)

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
        **stream_details(rows),
        date_added=movie.date_added,
        extra=tuple(movie.nfo_extra or ()),
    )


def _neighbours(
    folder: Path,
    base: str,
    art_base: str,
    wanted: list[Wanted],
    ledger: Mapping[Path, LedgerEntry],
    names: set[str],
    actor_names: set[str],
    actors_dir: Path,
) -> tuple[dict[Path, str], list[Path]]:
    """The user's files beside ours: other names for a wanted slot (conflicts, with their
    backup type), and the rest of the movie's artwork and NFOs (left alone). For a stack, the
    user's images and NFO under the first part's name are listed too (`base` vs `art_base`).
    `names`, `actor_names`: what the folder and `actors_dir` (its `.actors/`, or a folder
    stack's above its parts) hold."""
    mine = {w.path for w in wanted} | set(ledger)
    taken: dict[str, set[str]] = {str(folder): set(), str(actors_dir): set()}  # by name
    for p in mine:
        directory, name = os.path.split(str(p))
        if directory in taken:
            taken[directory].add(name)
    mine_here, mine_actors = taken[str(folder)], taken[str(actors_dir)]
    listings = {folder: names, actors_dir: actor_names}
    indexes: dict[Path, dict[str, list[str]]] = {}
    conflicts: dict[Path, str] = {}
    for w in wanted:
        if w.label == layout.PLEX_POSTER:  # the user's other `<base>.<ext>` stays, with a note
            continue
        if w.kind in ("art", "actor") and w.path.parent in listings:
            for p in slot_rivals(w, listings, indexes, mine):
                if w.kind == "art":
                    conflicts[p] = w.backup_type or layout.art_slot(w.path.name, art_base)[0]
                    mine_here.add(p.name)
                else:
                    conflicts[p] = "actor"
                    mine_actors.add(p.name)
    bases = dict.fromkeys([art_base, base])
    nfo_names = {f"{b}.nfo" for b in bases} | {"movie.nfo"}
    leave = [
        folder / n
        for n in names
        if n not in mine_here
        and (n in nfo_names or any(classify_image(n, b, False) for b in bases))
        and not _same_file_by_case(folder / n, mine, names)
    ]
    leave += [
        actors_dir / n
        for n in actor_names
        if not n.startswith(".")
        and n not in mine_actors
        and not _same_file_by_case(actors_dir / n, mine, actor_names)
    ]
    return conflicts, leave


def _art_neighbours(
    art_folder: Path,
    art_base: str,
    alone: bool,
    wanted: list[Wanted],
    ledger: Mapping[Path, LedgerEntry],
    names: set[str],
) -> tuple[dict[Path, str], list[Path]]:
    """`_neighbours` in a folder stack's art folder, the movie folder above its parts
    (`names`: its listing): the user's other names for a wanted slot there, and the rest of
    the movie's artwork there (under `art_base`, and bare when the folder is the movie's
    `alone`), left as it is."""
    mine = {w.path for w in wanted} | set(ledger)
    listings = {art_folder: names}
    indexes: dict[Path, dict[str, list[str]]] = {}
    conflicts: dict[Path, str] = {}
    for w in wanted:
        if w.kind == "art" and w.path.parent == art_folder:
            for p in slot_rivals(w, listings, indexes, mine):
                conflicts[p] = layout.art_slot(w.path.name, art_base)[0]
    leave = [
        p
        for n in names
        if (p := art_folder / n) not in mine
        and p not in conflicts
        and classify_image(n, art_base, alone)
        and not _same_file_by_case(p, mine, names)
    ]
    return conflicts, leave


def slot_rivals(
    w: Wanted,
    listings: Mapping[Path, set[str]],
    indexes: dict[Path, dict[str, list[str]]],
    mine: set[Path],
) -> list[Path]:
    """The user's files a player reads for `w`'s slot (`layout.slot_rivals`: `-poster.png`,
    `-Poster.JPG` beside our `-poster.jpg`): not ours, and not the file at `w`'s own name under
    another spelling. `listings`: the names in `w`'s folder; `indexes`: their
    `layout.by_lower_name`, made once per folder here."""
    folder = w.path.parent
    names = listings[folder]
    if folder not in indexes:
        indexes[folder] = layout.by_lower_name(names)
    found = []
    for name in layout.slot_rivals(w.path.name, w.kind, indexes[folder]):
        p = folder / name
        if p not in mine and not _same_file_by_case(p, mine, names):
            found.append(p)
    return found


def _same_file_by_case(path: Path, mine: set[Path], names: set[str]) -> bool:
    """Whether `path` is one of `mine` spelt in other letters (`paths.folded`), on a file system
    that ignores case (a share): that name of ours is not in the folder's listing (`names`),
    yet is there. Removed after our rename onto it, it would take our new file with it; listed
    as the user's file left as it is, the plan would say so of the file it replaces."""
    name = folded(path.name)
    return any(
        folded(m.name) == name
        and m.parent == path.parent
        and m.name not in names
        and os.path.lexists(m)
        for m in mine
    )


def _disowned_at(paths: list[Path]) -> dict[Path, LedgerEntry]:
    """The ledger rows at `paths` owned by no item (`scan.kind_change.remove_disowned`'s), or
    by a missing item (its video gone: a name it no longer owns, `_clashes`)."""
    L, M = db.LibraryFile, db.Movie
    columns = (L.path, L.sha256, L.size, L.kind, L.mtime_ns, L.ctime_ns, L.pending_sha256)
    keys = [str(p) for p in paths]
    found: dict[Path, LedgerEntry] = {}
    gone = L.movie.is_null() | L.movie.in_(M.select(M.id).where(M.missing))
    for start in range(0, len(keys), 500):
        rows = L.select(*columns).where(L.path.in_(keys[start : start + 500]), gone)
        for path, *entry in rows.tuples():
            found[Path(path)] = LedgerEntry(Path(path), *entry)
    return found


def _observe(
    path: Path,
    sizes: set[int],
    known: LedgerEntry | None,
    seen: dict[Path, tuple[int, int, int]],
) -> str | None:
    """SHA-256 of the file at `path`, None when there is none. A file whose size, mtime and
    ctime are those the ledger recorded when we wrote it holds the ledger's SHA-256: it is not
    read (docs/publish.md, "Knowing a file unchanged"). Otherwise only files whose size matches
    one of `sizes` are read (any other file differs anyway: a marker string stands for it).
    The lstat of every file read goes into `seen`, for the ledger."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # no file can have that name
            return None
        raise
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file (mode {st.st_mode:o})"
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if (
        known is not None
        and known.pending is None
        and key == (known.size, known.mtime_ns, known.ctime_ns)
        and not whole_seconds(st.st_mtime_ns, st.st_ctime_ns)
    ):
        return known.sha256  # never matches a row without a recorded lstat (None)
    if st.st_size not in sizes:
        return f"size {st.st_size}"
    seen[path] = key
    return sha256_file(path)


# --- file-name limits -------------------------------------------------------------------------


def name_too_long(path: Path, limits: dict[Path, int]) -> str | None:
    """None when `path`'s name fits its folder's file-name limit (`PC_NAME_MAX`, in bytes of
    the encoded name: 255 on most file systems, 143 on eCryptfs); else why, for a message.
    `limits`: each folder's limit, asked once. A rename onto a longer name fails part-way
    through a publish; checked while planning, it changes nothing."""
    folder = path.parent
    if folder not in limits:
        limits[folder] = _name_max(folder, limits)
    size = len(os.fsencode(path.name))
    if size <= limits[folder]:
        return None
    return (
        f"{path.name} is {size} bytes, over the {limits[folder]}-byte limit for a file name "
        f"in {folder}"
    )


def _name_max(folder: Path, limits: dict[Path, int]) -> int:
    """The longest file name (bytes) `folder` takes: asked of the folder, or of the nearest
    one above it that exists (`.actors/` before it is made: its movie folder's, in `limits`
    when known, not asked again); 255 where none can say."""
    for directory in (folder, *folder.parents):
        if directory in limits:
            return limits[directory]
        try:
            limit = os.pathconf(directory, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
        return limit if limit > 0 else layout.MAX_NAME_BYTES
    return layout.MAX_NAME_BYTES


def fitting_names(
    item: db.Movie, wanted: list[Wanted], limits: dict[Path, int], notes: list[str]
) -> list[Wanted]:
    """The images in `wanted` whose names fit their folder (`name_too_long`); each other one
    is skipped with a note, as an over-long actor name is cut to fit."""
    fitting = []
    for w in wanted:
        if (too_long := name_too_long(w.path, limits)) is None:
            fitting.append(w)
        else:
            _note(item, notes, f"{w.label}: {too_long}; skipped")
    return fitting


# --- small helpers -----------------------------------------------------------------------------


def _note(movie: db.Movie, notes: list[str], text: str) -> None:
    notes.append(text)
    log.warning("item %d: %s", movie.id, text)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
