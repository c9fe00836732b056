"""A folder that may not answer: a library root or the image cache on a hard NFS mount whose
server is gone, where every stat waits for ever, and the thread that made it with it (a web
thread: a dozen such and the UI answers nothing more). Its identity (device, inode) is looked at
in a thread of its own (`root_identity`), a few seconds at most, at once while an earlier look
still hangs: by the watcher for each library root, by the stages, jobs and web requests before
they read a library folder (`library_unanswered`, `hung_root`: the publish preview, the check
after an edit, a webhook's look at its paths) or the image cache (`cache.unanswered`), by
`config check`."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time

from metarrd.config import Config
from metarrd.files import dangling_link, display
from metarrd.paths import deepest_folder
from metarrd.walk import is_empty_folder

log = logging.getLogger(__name__)

ROOT_CHECK_TIMEOUT = 5.0  # a root check not answered by then (a hung hard mount): unreachable
UNREACHABLE = (-1, -1)  # the identity of a root whose check hangs (no folder has this one)


def folder_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the folder at `path`, through symlinks; None when it is no folder. A
    share mounted (or unmounted) on a library root, a root folder swapped, a symlinked root
    pointed elsewhere: another identity, which inotify, watching the folder it opened, misses."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


class _Check(threading.Thread):
    """One look at a root (`folder_identity`), which every caller asking meanwhile waits on."""

    def __init__(self, path: str) -> None:
        super().__init__(name="root-check", daemon=True)
        self.path = path
        self.until = time.monotonic() + ROOT_CHECK_TIMEOUT
        self.answer: list[tuple[int, int] | None] = []
        self.reported = False  # its hang was logged (and its callers answered UNREACHABLE)

    def run(self) -> None:
        self.answer.append(folder_identity(self.path))


_hanging: dict[str, _Check] = {}  # root -> its latest check (a hung one has not returned yet)
_hanging_lock = threading.Lock()


HUNG_ROOT = "library folder %s does not answer (a hung network mount?); watched again once it does"


def root_identity(path: str, *, hung: str = HUNG_ROOT) -> tuple[int, int] | None:
    """`folder_identity` of a library root, in a thread of its own: a hung hard NFS mount (its
    stat never returns) blocked the watcher thread that asked. Not answered in
    `ROOT_CHECK_TIMEOUT` seconds: UNREACHABLE, and `hung` (its caller's words, `%s` the path)
    logged; while that check still hangs no other is started for the root (one thread stuck
    per root at most): UNREACHABLE at once, logged no more. Callers that ask while a check is
    under way (a web page's twenty pictures at once) wait on that one. The image cache's folder
    is looked at the same way (`cache.unanswered`)."""
    with _hanging_lock:
        check = _hanging.get(path)
        if check is not None and check.reported and check.is_alive():
            return UNREACHABLE
        if check is None or not check.is_alive():
            check = _hanging[path] = _Check(path)
            check.start()
    check.join(max(0.0, check.until - time.monotonic()))
    if check.answer:
        return check.answer[0]
    with _hanging_lock:
        first, check.reported = not check.reported, True
    if first:
        log.warning(hung, display(path))
    return UNREACHABLE


def looking(path: str) -> bool:
    """Is a look at `path` (`root_identity`) under way, or hanging?"""
    check = _hanging.get(path)
    return check is not None and check.is_alive()


def library_unanswered(root: str) -> bool:
    """Does a library root not answer (a hung network mount), looked at as `cache.unanswered`
    looks at the cache, with the library's words in the log: for the stages, the jobs and the
    web requests that read a library folder."""
    return root_identity(root) == UNREACHABLE


def hung_root(config: Config, path: str) -> str | None:
    """The root of the library holding `path` when it does not answer; None when it does, or
    when `path` is in no library."""
    root = deepest_folder(path, [lib.path for lib in config.library])
    if root is not None and library_unanswered(root):
        return root
    return None


SHARE_LEFT = (
    "is empty, where the items below it were found on another file system (a share not "
    "mounted?): they are kept, not marked missing; delete the empty folder if they are gone"
)


def device_of(file_id: str | None) -> int | None:
    """The device of a file identity as recorded (`walk.file_id`: "<st_dev>:<st_ino>")."""
    if not file_id:
        return None
    device, _, _inode = file_id.partition(":")
    return int(device) if device.isdigit() else None


def share_gone(path: str, root: str, device: int | None) -> tuple[str, str] | None:
    """The folder (or link) on the way from the library `root` down to `path`, an item's file
    the scan did not find, that is a share not there, and why; None when nothing says so (the
    item is gone). A symbolic link on the way that leads nowhere (`Heat (1995)` ->
    `/mnt/nas2/Heat (1995)`, nas2 not mounted) is one. So is the deepest folder still there
    (not the root: `scan.stage.unmounted` decides for it) when it is empty (`is_empty_folder`)
    and on another file system than `device`, the one the item's file was found on: a share's
    mount point left empty, as an unmounted share leaves it. An empty folder on the file system
    the file was on was emptied by its user; one where that is not recorded (`device` None: a
    stack's, a disc's, an episode's) says nothing either way, and the item is gone as before."""
    root = os.path.normpath(root)
    here = os.path.normpath(path)
    if here == root or not here.startswith(root.rstrip(os.sep) + os.sep):
        return None
    names = [name for name in here[len(root) :].split(os.sep) if name]
    parent = found = root
    for name in names:
        parent, found = found, os.path.join(found, name)
        try:
            st = os.lstat(found)
        except OSError:  # gone from here on: `parent` is the deepest folder still there
            break
        if stat.S_ISLNK(st.st_mode):
            try:
                os.stat(found)
            except OSError as exc:
                return found, dangling_link(found, exc)
    else:
        return None  # all there: the scan left it out for another reason
    if parent == root or not is_empty_folder(parent):
        return None
    if device is None:
        return None  # nothing tells a mount point from a folder its user emptied
    try:
        here_device = os.stat(parent).st_dev
    except OSError:
        return None
    return None if here_device == device else (parent, SHARE_LEFT)
