"""The file watcher: library changes become scan jobs once the files have settled.

watchfiles (inotify) watches every library root recursively; a library with `poll = true` (a
network share where inotify sees nothing) is polled every `poll_seconds` instead. Only changes
that can matter to a movie count: video files (and disc structures), NFOs added or changed by
the user or another tool (tinyMediaManager, Jellyfin: a movie's, `tvshow.nfo`, `season.nfo`, an
episode's), folders that appear or vanish, and a sample, trailer or extra added to or deleted
from a folder the scan walks (its folder is scanned so Settings → Libraries lists it at once).
Everything else is ignored, notably our own temp
files (`.metarrd-tmp-…`), artwork, `.actors/`, and the NFOs PUBLISH wrote (the ledger's size and
mtime, looked up once per tick for every NFO settled then), so a publish never triggers a
rescan that re-enriches. A file PUBLISH wrote that is deleted (its NFO, its art, a photo in its
`.actors/`) has its folder scanned, which makes its item "Republish?" (`scan.ours_gone`).

A new or changed file is handled only once its size and mtime have stopped changing for
`[daemon] settle_seconds` (a copy in progress), and a folder is scanned only once nothing in it
is still settling (an upgrade deletes the old file, then copies the new one in: the deletion
waits for the copy, also one made under a temporary name, `PARTIAL_SUFFIXES`). Settled paths
become scan scopes (the movie's folder), collapsed and batched into one scan request, which
the jobs module merges with any scan still waiting. A full rescan runs at start and every
`full_rescan_hours` as a safety net.

The full rescan at start (and after a watcher thread restarts) is enqueued only once every
library is watched: a change made between that scan's walk and the first inotify watch would
be seen by neither, and its item would keep a path that no longer exists until the next full
rescan.

Every `ROOT_CHECK_SECONDS` the watch looks whether a library root is still the folder it
watches (a share mounted or unmounted there, the folder or its symlink replaced, a missing root
come back): inotify keeps watching the folder it opened, so the library is watched again and a
full rescan queued. That check runs in a thread of its own (`mounts.root_identity`): a root on a
hung hard NFS mount, whose stat never returns, counts as unreachable after a few seconds
(`mounts.ROOT_CHECK_TIMEOUT`; it is not watched, the other libraries are) and is watched again, with a full rescan, once it
answers; the watcher thread never waits on it longer than that.
"""

from __future__ import annotations

import logging
import os
import queue as queue_mod
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from metarrd import db, workflow
from metarrd.atomic import TEMP_MARKER, sha256_file, whole_seconds
from metarrd.config import Config, LibraryConfig
from metarrd.files import display, is_utf8, network_filesystem
from metarrd.mounts import UNREACHABLE, library_unanswered, root_identity
from metarrd.paths import ACTORS_DIR, deepest_folder, is_inside
from metarrd.walk import (
    NOT_UTF8,
    VIDEO_EXTENSIONS,
    episode_skip_rule,
    is_junk_folder,
    is_skipped_folder,
    is_skipped_show_folder,
    is_video_path,
    leads_out,
    skip_rule,
    walks_into,
)

log = logging.getLogger(__name__)

MAX_SCOPES_PER_LIBRARY = 200  # more changed folders than this: one walk of the library instead
TICK_SECONDS = 0.5
RETRY_SECONDS = 30.0  # a library root that cannot be watched (not mounted yet) is tried again
RESTART_FIRST_SECONDS = 1.0  # a watcher thread that died is restarted after this, doubling...
RESTART_MAX_SECONDS = 300.0  # ...up to this
WATCH_READY_SECONDS = 60.0  # the start-up rescan waits this long at most for the watches
HEALTHY_AFTER_SECONDS = 120.0  # a thread that ran this long before dying starts the backoff over
ROOT_CHECK_SECONDS = 10.0  # how often a watched library root is checked for being another folder
ENQUEUE_RETRY_SECONDS = 5.0  # a scan the database or queue refused is queued again after this
WATCH_LIMIT = "watch limit reached"  # notify's MaxFilesWatch ("OS file watch limit reached.")
_FOLDER_STACK = re.compile(r"(?:cd|dvd|dis[ck])[ _.-]?[0-9]+$", re.IGNORECASE)
# a video still being written under another name, renamed once complete: Sonarr's and Radarr's
# copy (DiskTransferService, `<name>.partial~`), Transmission's `.part`, rclone's `.partial`,
# qBittorrent's `.!qB`, uTorrent's `.!ut`
PARTIAL_SUFFIXES = (".partial~", ".partial", ".part", ".!qb", ".!ut")

Stat = tuple[int, int] | None  # (size, mtime_ns), None when the path is gone


def stat_of(path: str) -> Stat:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


# --- pure parts ------------------------------------------------------------------------------


def root_of(path: str, roots: Iterable[str]) -> str | None:
    """The library root holding `path` (the longest match)."""
    return deepest_folder(path, roots)


def is_ignored(path: str, root: str) -> bool:
    """Our temp files and anything in a hidden folder (`.actors/`, `.@__thumb`, ...)."""
    if TEMP_MARKER in os.path.basename(path):
        return True
    rel = os.path.relpath(path, root)
    return any(part.startswith(".") for part in rel.split(os.sep)[:-1]) or TEMP_MARKER in rel


def _in_actors(path: str, root: str) -> bool:
    """Is `path` a file right in an `.actors/` folder that no other hidden folder holds (PUBLISH
    writes a movie's or a show's cast pictures there)?"""
    if TEMP_MARKER in os.path.basename(path):
        return False
    parts = os.path.relpath(path, root).split(os.sep)
    return (
        len(parts) >= 3
        and parts[-2] == ACTORS_DIR
        and not any(part.startswith(".") for part in parts[:-2])
    )


def scope_for(path: str, root: str) -> str:
    """What to scan for a changed video path: the folder of its movie (the library root for a
    file directly in it)."""
    p = Path(path)
    folder = p.parent
    upper = folder.name.upper()
    if upper == "VIDEO_TS":
        folder = folder.parent
    elif upper == "STREAM" and folder.parent.name.upper() == "BDMV":
        folder = folder.parent.parent
    elif upper == "STREAM" and p.suffix.lower() in (".m2ts", ".mts"):  # a Blu-ray's files in
        # the movie folder itself (`index.bdmv`, no BDMV/)
        folder = folder.parent
    elif upper == "BDMV":
        folder = folder.parent
    if _FOLDER_STACK.search(folder.name) and str(folder) != root:
        folder = folder.parent
    if len(str(folder)) < len(root):
        return root
    return str(folder)


def collapse(scopes: Iterable[str], root: str, limit: int = MAX_SCOPES_PER_LIBRARY) -> list[str]:
    """Drop scopes inside other scopes; too many become the library root."""
    ordered = sorted(set(scopes), key=lambda s: (s.count(os.sep), s))
    kept: list[str] = []
    for s in ordered:
        if not any(is_inside(s, k) for k in kept):
            kept.append(s)
    if root in kept or len(kept) > limit:
        return [root]
    return sorted(kept)


def is_scanned_video(path: str, root: str, *, tv: bool = False) -> bool:
    """Would a scan of its library take this video? By the scan's own rules (walk.py): in a TV
    library the episode rules (extras folders such as `Featurettes` or `Shorts` are skipped,
    `Specials` is a season); in a movie library the movie walk's, where a `Shorts` or `Other`
    folder is extras next to a movie (a listing of the folder holding it) and a category
    folder elsewhere."""
    if not is_video_path(Path(path), Path(root), tv=tv):
        return False
    return tv or walks_into(scope_for(path, root), root)


def is_listed_skip(path: str, root: str, *, tv: bool = False) -> bool:
    """Is this a video the scan of its folder leaves out by name and lists under Settings →
    Libraries (a trailer, a sample, an extra: `walk.skip_rule`, `walk.episode_skip_rule`), in a
    folder the scan walks? The watcher scans that folder for it, so the list shows it now, not
    at the next scan there. Not one directly in the library's root (nor a TV root's, where
    nothing is a show's): listing it would walk the whole library."""
    name = os.path.basename(path)
    if os.path.splitext(name)[1].lower() not in VIDEO_EXTENSIONS:
        return False
    if (episode_skip_rule(name) if tv else skip_rule(name)) is None:
        return False
    try:
        folders = Path(path).relative_to(root).parts[:-1]
    except ValueError:
        return False
    if tv:
        if not folders or is_junk_folder(folders[0]):
            return False
        return not any(is_skipped_show_folder(f) for f in folders[1:])
    scope = scope_for(path, root)
    if scope == root or any(is_skipped_folder(f, next_to_movie=False) for f in folders):
        return False
    return walks_into(scope, root)


def is_read_nfo(path: str, root: str, *, tv: bool = False) -> bool:
    """Is this an NFO a scan of its folder reads (a movie's, `movie.nfo`, `VIDEO_TS.nfo`,
    `tvshow.nfo`, `season.nfo`, an episode's)? By name and folder, as `is_scanned_video` judges
    a video there: never one in a folder the scan does not walk (extras, samples)."""
    if not path.lower().endswith(".nfo"):
        return False
    try:
        folders = Path(path).relative_to(root).parts[:-1]
    except ValueError:
        return False
    if tv:  # nothing directly in a TV root is a show's
        if not folders or is_junk_folder(folders[0]):
            return False
        return not any(is_skipped_show_folder(name) for name in folders[1:])
    if any(is_skipped_folder(name, next_to_movie=False) for name in folders):
        return False
    return walks_into(scope_for(path, root), root)


def is_partial_video(path: str, root: str, *, tv: bool = False) -> bool:
    """Is this a video the scan would take, still being copied under a temporary name
    (`PARTIAL_SUFFIXES`: `Heat (1995).mkv.partial~`)? It is never scanned, but holds a scan of
    its folder until it has settled (`Watcher._hold_unsettled`)."""
    lower = path.lower()
    for suffix in PARTIAL_SUFFIXES:
        if lower.endswith(suffix):
            return is_scanned_video(path[: -len(suffix)], root, tv=tv)
    return False


def existing_ancestor(path: str, root: str) -> str:
    """The nearest folder that still exists (a vanished folder's scope), or that can be looked
    at (one below a folder made 0700 by another user: `Path.is_dir` raised), never above root."""
    p = Path(path)
    while str(p) != root and len(str(p)) > len(root) and not os.path.isdir(p):
        p = p.parent
    return str(p) if len(str(p)) >= len(root) else root


def is_folder_named(path: str) -> bool:
    """Is `path` a folder there under that very name? A share that looks names up ignoring
    case (a CIFS mount of Samba, Windows or macOS) still finds `heat (1995)` renamed to
    `Heat (1995)` under its old name; only a listing of its parent tells. A scope of the old
    spelling would walk the folder as if it had kept its name: a duplicate item."""
    if not os.path.isdir(path):
        return False
    try:
        return os.path.basename(path) in os.listdir(os.path.dirname(path))
    except OSError:
        return False


def tv_scope(path: str, root: str) -> str:
    """What to scan in a TV library for a changed path: its season's or show's folder, or the
    nearest one that is still there, never above the show's own folder. A show folder gone
    (deleted, renamed by Sonarr) is its own scope, as a movie folder is: the scan marks its
    items missing unless it finds where they went (`steps.gone_from_library`, the renamed show's
    folder a scope too). Its scope was the library's root: one show's rename walked them all."""
    parts = Path(path).relative_to(root).parts
    if not parts:
        return root
    show = os.path.join(root, parts[0])
    if len(parts) == 1:  # a show's folder (or a loose file in the root, which no item is)
        if os.path.isfile(path) or (os.path.isdir(path) and not is_folder_named(path)):
            return root  # renamed in case only, on a share that ignores case: the root's walk
        return show
    if not os.path.isdir(show):
        return show
    scope = scope_for(path, root)
    return scope if os.path.isdir(scope) else existing_ancestor(scope, show)


@dataclass
class _Pending:
    stat: Stat
    since: float


class Settler:
    """Tracks changed paths until their size and mtime have been still for `settle_seconds`
    (or they have stayed gone that long). Time and stat are passed in: testable without sleeping."""

    def __init__(self, settle_seconds: float, stat: Callable[[str], Stat] = stat_of):
        self.settle = settle_seconds
        self.stat = stat
        self.pending: dict[str, _Pending] = {}

    def note(self, path: str, now: float) -> None:
        self.pending[path] = _Pending(self.stat(path), now)

    def ready(self, now: float) -> list[str]:
        done = []
        for path, entry in list(self.pending.items()):
            current = self.stat(path)
            if current != entry.stat:
                entry.stat, entry.since = current, now
            elif now - entry.since >= self.settle:
                done.append(path)
                del self.pending[path]
        return done

    def hold(self, path: str, now: float) -> None:
        """A settled path put back: ready again at the next look, unless it changes meanwhile."""
        self.pending[path] = _Pending(self.stat(path), now - self.settle)


# --- the watcher -----------------------------------------------------------------------------


class Watcher:
    """Watches every library and enqueues scans. `start()` runs it in threads; `stop()` ends them."""

    def __init__(
        self,
        config: Config,
        enqueue: Callable[[list[str] | None], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.roots = {str(Path(lib.path)): lib for lib in config.library}
        self.enqueue = enqueue or _enqueue_scan
        self.clock = clock
        self.settler = Settler(config.daemon.settle_seconds)
        self.nfos: set[str] = set()  # settling paths that are NFOs: ours (the ledger) or not
        self.partials: set[str] = set()  # settling videos still copied under a temporary name
        self.events: queue_mod.Queue[tuple[str, str]] = queue_mod.Queue()
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        hours = config.daemon.full_rescan_hours
        self.full_every = hours * 3600 if hours > 0 else None
        self.next_full: float | None = None
        self.states: dict[str, str] = {}  # thread name -> "ok" or why it is being restarted
        self.restarts = 0
        # source thread name -> set once its watches are live (or it cannot watch for now)
        self.watching: dict[str, threading.Event] = {}
        self.pending_full: tuple[str, float] | None = None  # (why, when to stop waiting)
        self.retry_at = 0.0  # no tick before (an enqueue failed: the database was away)

    # threads

    def start(self, *, full_scan_now: bool = True) -> None:
        inotify = [lib for lib in self.config.library if not lib.poll]
        polled = [lib for lib in self.config.library if lib.poll]
        for lib in inotify:
            if library_unanswered(lib.path):
                continue  # a hung mount (said so): the realpath below would hang the start too
            if (fstype := network_filesystem(lib.path)) is not None:
                log.warning(
                    "library %s: %s is on a %s share: inotify does not see a change made there "
                    "by another machine; set poll = true for it (docs/daemon.md)",
                    lib.name,
                    display(lib.path),
                    fstype,
                )
        sources = [("watch", inotify, False)] if inotify else []
        sources += [(f"poll-{lib.name}", [lib], True) for lib in polled]
        for name, _libs, _polling in sources:
            self.watching[name] = threading.Event()
        now = self.clock()
        if full_scan_now:
            self._full_scan_when_watching("start")
        for name, libs, polling in sources:
            self._thread(self._watch_source, libs, polling, self.watching[name], name=name)
        if self.full_every:
            self.next_full = now + self.full_every
        self._thread(self._handle_loop, name="watch-handler")

    def _thread(self, target, *args, name: str) -> None:
        t = threading.Thread(
            target=self._supervise, args=(name, target, args), name=name, daemon=True
        )
        t.start()
        self.threads.append(t)

    def _supervise(self, name: str, target, args: tuple) -> None:
        """Run `target` until stop; when it dies, log why and restart it with backoff. A source
        that restarts queues a full (incremental) rescan: changes made while it was down are
        found that way."""
        delay = RESTART_FIRST_SECONDS
        while not self.stop_event.is_set():
            self.states[name] = "ok"
            started = time.monotonic()
            try:
                target(*args)
                if self.stop_event.is_set():
                    return
                reason = "returned without being stopped"
            except Exception as exc:
                reason = display(f"{type(exc).__name__}: {exc}")
                log.error("file watcher: thread %s died: %s", name, reason, exc_info=True)
            if time.monotonic() - started >= HEALTHY_AFTER_SECONDS:
                delay = RESTART_FIRST_SECONDS
            self.restarts += 1
            self.states[name] = f"restarting in {delay:g}s after: {reason}"
            log.warning("file watcher: restarting thread %s in %gs", name, delay)
            if self.stop_event.wait(delay):
                return
            delay = min(delay * 2, RESTART_MAX_SECONDS)
            if name in self.watching:
                self.watching[name].clear()
                self._full_scan_when_watching(f"{name} restarted")

    def status(self) -> dict[str, str]:
        """Each watcher thread: "ok", "restarting in …s after: <reason>", or "dead: …" when the
        thread itself is gone (the daemon's health report)."""
        out = {}
        for t in self.threads:
            state = self.states.get(t.name, "starting")
            if not t.is_alive() and not self.stop_event.is_set():
                state = f"dead: {state}"
            out[t.name] = state
        return out

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout)

    def _watch_source(
        self, libs: list[LibraryConfig], polling: bool, watching: threading.Event
    ) -> None:
        """Watch `libs` until stopped; set `watching` once the watches are live, or once it is
        clear they cannot be for now (no root to watch, watchfiles failing): the full rescan
        waiting for it then runs without them."""
        import watchfiles

        poll_ms = int(min(lib.poll_seconds for lib in libs) * 1000)
        names = ", ".join(lib.name for lib in libs)
        hung: set[str] = set()  # roots whose check hangs: not watched, rescanned once back
        while not self.stop_event.is_set():
            seen = {lib.path: root_identity(lib.path) for lib in libs}
            answered = sorted(p for p in hung if seen[p] != UNREACHABLE)
            hung = {p for p, identity in seen.items() if identity == UNREACHABLE}
            if answered:  # what changed there meanwhile went unseen
                log.info("library folder %s answers again", display(answered[0]))
                watching.clear()
                self._full_scan_when_watching(f"{display(answered[0])} answers again")
            roots = [lib.path for lib in libs if seen[lib.path] not in (None, UNREACHABLE)]
            for lib in libs:
                if lib.path not in roots and seen[lib.path] is None:
                    log.error(
                        "library %s: %s is not a folder; watching it again in %ds",
                        lib.name,
                        lib.path,
                        RETRY_SECONDS,
                    )
            if not roots:
                self._now_watching(watching)
                self.stop_event.wait(RETRY_SECONDS)
                continue
            how = f"polling every {poll_ms / 1000:g}s" if polling else "inotify"
            log.info("watching %s (%s)", names, how)
            signals = _FirstAskSignals(
                self.stop_event, self._now_watching, watching, seen, polled=polling
            )
            try:
                for changes in watchfiles.watch(
                    *roots,
                    watch_filter=self._interesting,
                    debounce=400,
                    step=50,
                    stop_event=signals,
                    rust_timeout=1000,
                    yield_on_timeout=False,
                    force_polling=polling,
                    poll_delay_ms=poll_ms,
                    recursive=True,
                    ignore_permission_denied=True,
                    raise_interrupt=False,
                ):
                    for change, path in changes:
                        self.events.put((change.name, path))
                if self.stop_event.is_set() or signals.replaced is None:
                    return
                if UNREACHABLE in (signals.now, seen[signals.replaced]):
                    continue  # hangs (root_identity said so), or answers again (see above)
                log.warning(
                    "library folder %s is another folder now (a share mounted or unmounted "
                    "there, the folder or its symlink replaced): watching it again, then a "
                    "full rescan",
                    display(signals.replaced),
                )
                watching.clear()
                self._full_scan_when_watching(f"{display(signals.replaced)} replaced")
                continue
            except (RuntimeError, OSError) as exc:
                if not polling and WATCH_LIMIT in str(exc).lower():
                    # inotify_add_watch said ENOSPC (notify's MaxFilesWatch): while the watches
                    # were set up (an OSError), or later for a new folder (watchfiles' "error in
                    # underlying watcher"), whose changes then went unseen: a full rescan
                    log.warning(
                        "%s: inotify watch limit reached (%s); polling every %ds instead (raise "
                        "fs.inotify.max_user_watches to get inotify back)",
                        names,
                        display(str(exc)),
                        poll_ms // 1000,
                    )
                    polling = True
                    if watching.is_set():
                        watching.clear()
                        self._full_scan_when_watching("inotify watch limit reached")
                    continue
                if isinstance(exc, OSError):
                    log.error(
                        "watching %s failed: %s; trying again in %ds", names, exc, RETRY_SECONDS
                    )
                    self._now_watching(watching)
                    self.stop_event.wait(RETRY_SECONDS)
                    continue
                # watchfiles: 'Unable to decode path "…\\xE9…"'
                if polling or "decode" not in str(exc).lower():
                    raise  # the supervisor restarts us (a fresh poll snapshot) and rescans
                log.error(
                    "%s: %s: a name that is not UTF-8 stops inotify at every start; polling every "
                    "%ds instead (rename it to UTF-8 to get inotify back)",
                    names,
                    display(str(exc)),
                    poll_ms // 1000,
                )
                polling = True
                if watching.is_set():  # the changes that came with that name were lost with it
                    watching.clear()
                    self._full_scan_when_watching("a name that is not UTF-8")
                continue

    def _now_watching(self, watching: threading.Event) -> None:
        if not watching.is_set():
            watching.set()
            self.events.put(_WAKE)  # the handler looks at a waiting full rescan now

    def _interesting(self, change, path: str) -> bool:
        root = root_of(path, self.roots)
        return root is not None and not is_ignored(path, root)

    def _handle_loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                change, path = self.events.get(timeout=TICK_SECONDS)
                self.handle(change, path)
                while True:  # take everything that is waiting before looking at the clock
                    change, path = self.events.get_nowait()
                    self.handle(change, path)
            except queue_mod.Empty:
                pass
            try:
                self.tick()
            except Exception:  # never let the watcher die silently
                log.exception("file watcher: handling changes failed; continuing")

    # handling (called from the handler thread; tests call them directly)

    def handle(self, change: str, path: str) -> None:
        """One raw change ("added" | "modified" | "deleted")."""
        if (change, path) == _WAKE:
            return
        root = root_of(path, self.roots)
        if root is None or self._led_out(path, root):
            return
        if is_ignored(path, root):
            if change == "deleted" and _in_actors(path, root) and self._was_ours(path):
                # a photo of ours in an `.actors/` folder (its movie's, its show's): that
                # folder's scan marks its item "Republish?" (`scan.ours_gone`)
                self.settler.note(os.path.dirname(os.path.dirname(path)), self.clock())
            return
        if not is_utf8(path):
            log.warning("%s: %s", display(path), NOT_UTF8)
            return
        now = self.clock()
        tv = self.roots[root].kind == "tv"
        if path in self.partials or is_partial_video(path, root, tv=tv):
            self.settler.note(path, now)  # holds its folder's scan while it changes
            self.partials.add(path)
            return
        if change == "deleted":
            if (
                is_scanned_video(path, root, tv=tv)
                or is_listed_skip(path, root, tv=tv)
                or self._may_hold_items(path)
            ):
                self.settler.note(path, now)
            elif self._was_ours(path):  # its folder's scan marks its item "Republish?"
                self.settler.note(os.path.dirname(path), now)
            return
        if os.path.isdir(path):
            if change == "added":  # files copied in before inotify watched the new folder
                for found in _videos_under(path, root, tv=tv):
                    self.settler.note(found, now)
            return
        if is_scanned_video(path, root, tv=tv) or is_listed_skip(path, root, tv=tv):
            self.settler.note(path, now)
        elif is_read_nfo(path, root, tv=tv):
            self.settler.note(path, now)
            self.nfos.add(path)

    def _led_out(self, path: str, root: str) -> bool:
        """Did the change come through a symlinked folder that leads out of every library, in
        a library not set to `follow_symlinks`? watchfiles' inotify follows such links (it
        has no way not to) and tells a change out there under the link's path; the walk never
        goes there (`walk.leads_out`), so it is no change of ours. A path through a link into a
        library, or one in a library that follows links, is as any other."""
        lib = self.roots[root]
        if lib.follow_symlinks:
            return False
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if folder == root or os.path.realpath(folder) == folder:
            return False  # no symlink on the way: the common case, one realpath
        return leads_out(folder, self.config.library) is not None

    def _may_hold_items(self, path: str) -> bool:
        """`_holds_items`, or True when the database cannot tell now (PostgreSQL restarting):
        the scan of a folder that held nothing costs little, a deletion dropped leaves its
        items present until the next full rescan."""
        try:
            return self._holds_items(path)
        except Exception as exc:
            log.warning("%s deleted: scanned (the database did not answer: %s)", display(path), exc)
            return True

    def _was_ours(self, path: str) -> bool:
        """Did PUBLISH write the deleted `path` (a ledger row names it)? Our NFO or art
        deleted by the user, by Kodi's "Remove library items" or by a script: the scan of its
        folder makes its item "Republish?" (`scan.ours_gone`). One that a publish removed has
        no row once that publish is done: the scan finds nothing to do. False when the
        database cannot tell now: the next full rescan sees it."""
        try:
            return db.LibraryFile.select().where(db.LibraryFile.path == path).exists()
        except Exception as exc:
            log.warning(
                "%s deleted: not looked up (the database did not answer: %s)", display(path), exc
            )
            return False

    def _holds_items(self, path: str) -> bool:
        prefix = path.rstrip(os.sep) + os.sep
        return db.Movie.select().where(db.Movie.path.startswith(prefix)).exists()

    def tick(self) -> list[str] | None:
        """Enqueue a scan for what has settled (and the periodic full scan). Returns the scopes.
        A scan the database or the queue refused (PostgreSQL or Redis restarting) is not lost:
        its paths, or the full rescan, are queued at a tick `ENQUEUE_RETRY_SECONDS` later."""
        now = self.clock()
        if now < self.retry_at:
            return None
        if self.pending_full is not None:
            why, give_up = self.pending_full
            if all(e.is_set() for e in self.watching.values()) or now >= give_up:
                self._full_scan_or_later(why, now)
                self.pending_full = None
        if self.next_full is not None and now >= self.next_full:
            self._full_scan_or_later("periodic", now)
            self.next_full = now + (self.full_every or 0)
        settled = self._hold_unsettled(self.settler.ready(now), now)
        if self.partials:  # copied and renamed (its new name is a change of its own), or left
            done = self.partials.intersection(settled)
            self.partials.difference_update(done)
            settled = [p for p in settled if p not in done]
        nfos = self.nfos.intersection(settled)
        try:
            ready = self._not_ours(settled)
            if not ready:
                return None
            scopes = self.scopes(ready)
            if not workflow.is_enabled(self.config, "scanning"):
                log.info("scanning is switched off: %d changed paths not scanned", len(ready))
                return None
            log.info("%d changed paths settled: scanning %d folders", len(ready), len(scopes))
            self.enqueue(scopes)
        except Exception:
            for path in settled:  # settled still: ready again at the tick after the wait
                self.settler.hold(path, now)
            self.nfos.update(nfos)
            self.retry_at = now + ENQUEUE_RETRY_SECONDS
            raise
        return scopes

    def _full_scan_or_later(self, why: str, now: float) -> None:
        try:
            self._full_scan(why)
        except Exception:
            self.retry_at = now + ENQUEUE_RETRY_SECONDS
            raise

    def _hold_unsettled(self, ready: list[str], now: float) -> list[str]:
        """Settled paths whose scan would walk a file still changing (an upgrade deleted the
        old file and is still copying the new one in) wait for it: one scan once everything
        there has settled, never a half-copied file taken for a new movie."""
        if not ready:  # nothing to hold back: no look at each path still settling (a stat each)
            return ready
        unsettled = [s[1] for p in self.settler.pending if (s := self._scope(p)) is not None]
        if not unsettled:
            return ready
        out = []
        for path in ready:
            found = self._scope(path)
            if found is not None and any(is_inside(s, found[1]) for s in unsettled):
                self.settler.hold(path, now)
            else:
                out.append(path)
        return out

    def _not_ours(self, ready: list[str]) -> list[str]:
        """`ready` without the NFOs PUBLISH wrote: one whose size and mtime are still the
        ledger's (a write still under way, `pending_sha256`, by its content). One query for
        every NFO settled in this tick: a publish of 1,000 movies is a few, not 1,000. A user's
        later edit of our NFO changes its size or mtime: scanned."""
        nfos = [p for p in ready if p in self.nfos]
        if not nfos:
            return ready
        self.nfos.difference_update(nfos)
        ours = _published(nfos)
        if ours:
            log.debug("%d NFOs written by publish: not scanned", len(ours))
        return [p for p in ready if p not in ours]

    def _scope(self, path: str) -> tuple[str, str] | None:
        """The library root and the folder a scan looks at for a changed path (None: in no
        library). A movie folder or a show folder that vanished is its own scope: the scan
        marks its items missing, unless it finds where they went (a folder renamed or moved:
        the new one is a scope too), without walking the library that held it."""
        root = root_of(path, self.roots)
        if root is None:
            return None
        if self.roots[root].kind == "tv":
            return root, tv_scope(path, root)
        if is_folder_named(path) or (
            not os.path.exists(path)
            and not is_video_path(Path(path))
            and not is_listed_skip(path, root)
        ):  # a folder that held items (gone, or deleted and there again, as a restore from a
            # backup puts it back): scoped as for a file in it, never as one in its parent
            path = os.path.join(path, "-")
        return root, scope_for(path, root)

    def scopes(self, paths: Iterable[str]) -> list[str]:
        by_root: dict[str, list[str]] = {}
        for path in paths:
            found = self._scope(path)
            if found is not None:
                by_root.setdefault(found[0], []).append(found[1])
        out: list[str] = []
        for root, scopes in by_root.items():
            out.extend(collapse(scopes, root))
        return sorted(out)

    def _full_scan_when_watching(self, why: str) -> None:
        """A full rescan, enqueued by the handler once every source watches (tick): what
        changes after the scan walked a folder is then seen by the watcher."""
        self.pending_full = (why, self.clock() + WATCH_READY_SECONDS)

    def _full_scan(self, why: str) -> None:
        if not workflow.is_enabled(self.config, "scanning"):
            return
        log.info("full rescan of every library (%s)", why)
        self.enqueue(None)


_WAKE = ("", "")  # an event the handler takes for "look again now", not a change


class _FirstAskSignals:
    """The `stop_event` given to watchfiles: it is asked `is_set()` only from inside its wait,
    after RustNotify has set up every watch (inotify's recursive watches, or the poller's first
    snapshot): the first question says the watch is live. Every `ROOT_CHECK_SECONDS` it also
    looks whether a library root is another folder than the one watched (or one that was no
    folder is one now, or one that hung answers): then it says "stop", with `replaced` naming
    that root, and the watcher watches again. A root whose check hangs (`root_identity`) is
    unreachable, and is not watched until it answers.

    `polled`: the roots are polled, by their paths, which sees what a folder swapped for
    another holds: only another device (a share mounted or unmounted there) counts, not another
    inode number, which some file systems give a folder anew once their cache let it go: an
    rclone mount after each `--dir-cache-time` (5 minutes: rclone/rclone#9830), FUSE without
    `use_ino` (exfat-fuse), SMB mounted `noserverino`; each was a new watch and a full rescan."""

    def __init__(
        self,
        stop: threading.Event,
        on_first: Callable[[threading.Event], None],
        watching: threading.Event,
        roots: dict[str, tuple[int, int] | None] | None = None,
        *,
        polled: bool = False,
    ) -> None:
        self.stop, self.on_first, self.watching = stop, on_first, watching
        self.roots = roots or {}
        self.polled = polled
        self.replaced: str | None = None
        self.now: tuple[int, int] | None = None  # the identity `replaced` has now
        self.next_check = time.monotonic() + ROOT_CHECK_SECONDS

    def is_set(self) -> bool:
        if not self.watching.is_set():
            self.on_first(self.watching)
        if self.stop.is_set():
            return True
        if self.roots and time.monotonic() >= self.next_check:
            self.next_check = time.monotonic() + ROOT_CHECK_SECONDS
            for path, identity in self.roots.items():
                now = root_identity(path)
                if not self._same(identity, now):
                    self.replaced, self.now = path, now
                    return True
        return False

    def _same(self, before: tuple[int, int] | None, now: tuple[int, int] | None) -> bool:
        if self.polled and None not in (before, now) and UNREACHABLE not in (before, now):
            return before[0] == now[0]  # type: ignore[index]
        return before == now


def _videos_under(folder: str, root: str, limit: int = 10_000, *, tv: bool = False) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if is_scanned_video(path, root, tv=tv) and not is_ignored(path, root):
                if not is_utf8(path):
                    log.warning("%s: %s", display(path), NOT_UTF8)
                    continue
                found.append(path)
                if len(found) >= limit:
                    return found
    return found


def _published(paths: list[str], chunk: int = 500) -> set[str]:
    """Which of `paths` hold what PUBLISH wrote there, by the ledger (`library_files`): the
    size and mtime recorded after the write; a file without them recorded, or whose write is
    still under way, by its SHA-256. A file gone or unreadable is not ours, nor is anything
    but a regular file: a publish writes no link, so a link put at its path (to a file out of
    the library) is neither followed nor read, and a FIFO is not opened."""
    L = db.LibraryFile
    rows = []
    for i in range(0, len(paths), chunk):
        part = paths[i : i + chunk]
        query = L.select(L.path, L.size, L.mtime_ns, L.sha256, L.pending_sha256)
        rows.extend(query.where(L.path.in_(part)).tuples())
    ours = set()
    for path, size, mtime_ns, sha256, pending in rows:
        try:
            lst = os.lstat(path)
        except OSError:
            continue
        st = (lst.st_size, lst.st_mtime_ns)
        if not stat.S_ISREG(lst.st_mode) or (st[0] != size and pending is None):
            continue
        if pending is None and mtime_ns is not None and not whole_seconds(mtime_ns):
            if st == (size, mtime_ns):
                ours.add(path)
            continue
        try:
            if sha256_file(Path(path), follow_symlinks=False) in (sha256, pending):
                ours.add(path)
        except OSError:
            continue
    return ours


def _enqueue_scan(paths: list[str] | None) -> object:
    from metarrd.pipeline import jobs

    return jobs.enqueue_scan(paths)
