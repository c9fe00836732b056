"""The one way metarrd opens a file in a library for reading.

A library is the user's: a file named `poster.jpg` may be a FIFO (opening it blocks until a
writer comes), a symlink to `/dev/zero` (reading never ends) or a 40 GB mistake. Every library
file we read (NFOs, the user's artwork, backups before a publish replaces a file, the first byte
of a video before MediaInfo sees it) is opened here: non-blocking, checked with `fstat` to be a
regular file, and read no further than a size cap. Anything else raises `UnsafeFile` (an
`OSError`, so code that already treats an unreadable file as unreadable keeps doing so) whose
`strerror` says why in words a person can act on.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from metarrd.paths import folded, is_inside

MAX_FILE_BYTES = 128 * 1024 * 1024
"""Largest library file (artwork, an NFO) we import, back up before replacing it, or compare."""

_CHUNK = 1024 * 1024


class UnsafeFile(OSError):
    """A library file metarrd will not read: not a regular file, or too large."""

    def __init__(self, path: os.PathLike | str, reason: str, code: int = errno.EINVAL):
        super().__init__(code, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"{display(self.filename)}: {self.strerror}"


class NotARegularFile(UnsafeFile):
    """A FIFO, device, socket or folder where a file was expected."""

    def __init__(self, path: os.PathLike | str, kind: str):
        super().__init__(path, f"{kind}, not a regular file; skipped")
        self.kind = kind


class TooLarge(UnsafeFile):
    """Larger than the cap for its kind of file."""

    def __init__(self, path: os.PathLike | str, size: int, cap: int):
        super().__init__(path, _too_large(size, cap))
        self.size = size


def display(path: os.PathLike | str | bytes) -> str:
    """A path as text anyone can read and any log can carry: bytes that are not UTF-8 (a Latin-1
    name from an old NAS) are shown as `\\xNN` instead of breaking the log, JSON or database."""
    raw = path if isinstance(path, bytes) else os.fsencode(os.fspath(path))
    return raw.decode("utf-8", "backslashreplace")


def is_utf8(path: os.PathLike | str) -> bool:
    """Can this path be stored as text (no undecodable bytes, surrogate-escaped by Python)?"""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_gone(path: os.PathLike | str, *, follow_symlinks: bool = True) -> bool:
    """Is nothing at `path` (ENOENT; ENOTDIR, a file where a folder on the way was)? Not a path
    that cannot be looked at (EACCES, EIO or ESTALE on a share, a permission changed by the
    NAS): what is there is unknown, and an item there is not gone. `os.path.exists` is False
    for both, and so is `os.path.lexists` (`follow_symlinks=False`: a dangling link is
    there)."""
    try:
        os.stat(path, follow_symlinks=follow_symlinks)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except (OSError, ValueError):
        return False
    return False


def respelt(
    path: os.PathLike | str,
    within: os.PathLike | str,
    listings: dict[str, frozenset[str]] | None = None,
) -> bool:
    """Does `path` lead somewhere only through a name below `within` spelt otherwise on disk?
    On a file system that ignores letter case or Unicode form (an SMB share of Windows or a
    NAS, APFS), a folder renamed `inception (2010)` -> `Inception (2010)` is still found by its
    old name: the old path is not gone, yet no folder listing gives it, and the file it
    reaches is the one at the new name. `within`: the folder the old and new paths share
    (their `os.path.commonpath`), or the library's: the names above it are not looked at (a
    library configured as `/mnt/nas/Movies` on a share that spells it `movies` would make
    every path respelt). Each folder on the way is listed (`listings`: those listed so far,
    for a caller asking of many paths); False where one cannot be listed: nothing is known."""
    listings = {} if listings is None else listings
    here = os.path.normpath(os.path.abspath(os.fspath(path)))
    top = os.path.normpath(os.path.abspath(os.fspath(within)))
    if not is_inside(here, top):
        return False
    while here != top:
        parent, name = os.path.split(here)
        if not name or parent == here:
            return False
        if parent not in listings:
            try:
                listings[parent] = frozenset(os.listdir(parent))
            except OSError:
                listings[parent] = frozenset()
        if not listings[parent]:
            return False  # cannot be listed: nothing is known
        if name not in listings[parent]:
            return os.path.lexists(here)
        here = parent
    return False


def same_file(
    path: os.PathLike | str,
    other: os.PathLike | str,
    st: os.stat_result | None = None,
    st_other: os.stat_result | None = None,
) -> bool:
    """Whether `path` and `other` (not followed through a link; their `lstat`s when known) are
    the very file: one inode, or `other` is `path` spelt in other letters or another Unicode
    form (`paths.folded`) that a file system ignoring them takes for it. There the inode number
    may follow the name looked up, not the file: each spelling gets its own (FUSE without
    `use_ino`: exfat-fuse, a USB disk on a NAS; an SMB share mounted `noserverino`, which the
    kernel also falls back to when the server's numbers cannot be had), so the folders are
    asked: each name that differs is listed once in its folder, under one spelling, and the
    other reaches it. False where either is not there, or a folder cannot be listed."""
    try:
        st = os.lstat(path) if st is None else st
        st_other = os.lstat(other) if st_other is None else st_other
    except OSError:
        return False
    if os.path.samestat(st, st_other):
        return True
    if (st.st_dev, st.st_mode, st.st_size) != (st_other.st_dev, st_other.st_mode, st_other.st_size):
        return False
    one, two = Path(os.path.abspath(path)).parts, Path(os.path.abspath(other)).parts
    if len(one) != len(two) or one == two:
        return False
    for i, (name, spelt) in enumerate(zip(one, two, strict=True)):
        if name == spelt:
            continue
        key = folded(name)
        if folded(spelt) != key:
            return False
        try:
            listed = os.listdir(os.path.join(*one[:i]))
        except OSError:
            return False
        if sum(folded(n) == key for n in listed) != 1:
            return False  # both names are files of their own (a folder that counts case)
    return True


def gone_or_respelt(
    path: os.PathLike | str,
    within: os.PathLike | str,
    *,
    follow_symlinks: bool = True,
    listings: dict[str, frozenset[str]] | None = None,
) -> bool:
    """`is_gone`, or found only under a name below `within` spelt otherwise (`respelt`): an
    item or a file of ours whose path that is has moved, as a case-only rename on a share that
    ignores case."""
    return is_gone(path, follow_symlinks=follow_symlinks) or respelt(path, within, listings)


def look_refused(path: os.PathLike | str) -> OSError | None:
    """The error that looking at `path` gives when something may be there (EACCES: a folder on
    the way 0700 of another user; EIO or ESTALE on a share); None when it can be looked at, or
    is gone (its items are then missing, not unknown)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return exc
    except ValueError:  # a NUL in the name: nothing is there
        return None
    return None


def cannot_look(path: os.PathLike | str) -> str | None:
    """Why `path` cannot be looked at (`look_refused`), in words; None when it can be, or is
    gone. A scan that names such a path (a webhook's, the watcher's, `metarrd scan PATH`)
    reports it: `Path.is_dir` raised there, and the scan job failed as a whole, to be retried
    for ever."""
    exc = look_refused(path)
    return None if exc is None else f"cannot be looked at ({exc.strerror})"


def dangling_link(path: os.PathLike | str, exc: OSError) -> str:
    """Words for a symbolic link at `path` whose target `os.stat` refused with `exc`: where it
    leads and why that cannot be looked at (a disk or share not mounted, a loop)."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        why = "which does not exist (a disk or share not mounted?)"
    else:
        why = f"which cannot be looked at ({exc.strerror})"
    return f"is a symbolic link to {display(target)}, {why}"


def library_root_problem(path: os.PathLike | str) -> str | None:
    """Why a library root cannot be walked (None: it is a folder): not there, not a folder, a
    symbolic link that leads nowhere, or a folder this user may not look into. `Path.is_dir`
    raises on EACCES: `metarrd scan` run as a user who may not enter the root's parent (a
    library in a home folder of mode 0700, scanned with `sudo -u metarrd`) was a traceback."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            return dangling_link(path, exc)
        if isinstance(exc, FileNotFoundError | NotADirectoryError):
            return "library folder does not exist"
        return f"cannot be looked at: {exc.strerror}"
    return None if stat.S_ISDIR(st.st_mode) else "not a folder"


MOUNTINFO = Path("/proc/self/mountinfo")
# File systems where inotify sees only what this machine does, not another machine's change
# ("Inotify reports only events that a user-space program triggers through the filesystem API.
# As a result, it does not catch remote events that occur on network filesystems", inotify(7)).
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "ncpfs"}
    | {"fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "fuse.davfs2", "davfs"}
    # an rclone mount of a cloud drive: what its --poll-interval finds changed on the remote
    # reaches no inotify watch (rclone/rclone#4380)
    | {"fuse.rclone"}
    # a host's folder shared into a virtual machine, where the host's own writes (its download
    # client, a NAS app) happen outside the guest's kernel: virtio-fs (kata-containers/runtime
    # #1505: "Lack of inotify support is a known limitation"), VirtualBox shared folders
    # (VirtualBox ticket #10660, boot2docker/boot2docker#688), VMware's (open-vm-tools#246)
    | {"virtiofs", "vboxsf", "vmhgfs", "fuse.vmhgfs-fuse"}
)
# Not in it: fuse.mergerfs, a pool of this machine's own disks. Its inotify works for what is
# done through the pool; a file written straight onto a branch disk is not seen (mergerfs FAQ,
# "Does inotify and fanotify work?"), which is a library configured on the wrong path, not a
# reason to poll the pool.


def network_filesystem(path: os.PathLike | str) -> str | None:
    """The type of the network file system holding `path` (`cifs`, `nfs4`, `fuse.sshfs`...), by
    the deepest mount point above its real path in /proc/self/mountinfo; None for a local one,
    or when that cannot be told (not Linux)."""
    kind = filesystem_type(path)
    return kind if kind in NETWORK_FILESYSTEMS else None


def filesystem_type(path: os.PathLike | str) -> str | None:
    """The type of the file system holding `path` (`ext4`, `nfs4`...), by the deepest mount
    point above its real path in /proc/self/mountinfo; None when that cannot be told."""
    real = os.path.realpath(path)
    best, kind = "", None
    try:
        lines = MOUNTINFO.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        fstype = fields[fields.index("-", 6) + 1]
        if is_inside(real, point) and len(point) >= len(best):
            best, kind = point, fstype
    return kind


class _Library(Protocol):
    path: str
    follow_symlinks: bool


def link_target_outside(path: os.PathLike | str, libraries: Iterable[_Library]) -> str | None:
    """Where a symlink at `path` leads, when that lies outside every one of `libraries` (the
    configured ones) and no library holding `path` sets `follow_symlinks`; else None (no
    symlink, a link into a library, a library whose links may lead anywhere).

    The rule of symlinked folders (`walk.may_follow`), for the files we read: a user's NFO or
    image linked to `/etc/passwd` is not read into the database, the UI or the cache. Only the
    last part of `path` is looked at: a folder that leads out of every library is not walked
    into in the first place. A dangling link is judged by the path it names.
    """
    try:
        if not stat.S_ISLNK(os.lstat(path).st_mode):
            return None
    except OSError:
        return None  # gone, or a name too long to exist: nothing will be read
    libraries = list(libraries)
    here = os.path.normpath(os.fspath(path))
    holding = [lib for lib in libraries if is_inside(here, os.path.normpath(lib.path))]
    if any(lib.follow_symlinks for lib in holding):
        return None
    target = os.path.realpath(path)
    if any(is_inside(target, os.path.realpath(lib.path)) for lib in libraries):
        return None
    return target


def kind_of(mode: int) -> str:
    """`a FIFO`, `a character device`...: what a non-regular file is, for messages."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return f"a special file (mode {mode:o})"


class LedOut(UnsafeFile):
    """A file opened outside every configured library, by way of a symbolic link put there
    after the look before: one read (a link put at its name after `link_target_outside`
    looked: `open_regular(..., inside=...)`), or a temp file written (`writing`: a folder on
    its way swapped for a link after publish looked: `atomic.AtomicBatch(inside=...)`)."""

    def __init__(self, path: os.PathLike | str, real: str, *, writing: bool = False):
        if writing:  # `path` is the file being written; its folder is what leads out
            super().__init__(
                Path(path).parent,
                f"the folder leads to {display(os.path.dirname(real))}, outside every "
                "configured library (a symbolic link put there while publishing?); "
                "nothing written there",
                errno.EXDEV,
            )
        else:
            super().__init__(
                path,
                f"is a symbolic link to {display(real)} (put there while it was being read), "
                "outside every configured library: not read",
            )
        self.real = real


def opened_outside(fd: int, path: os.PathLike | str, libraries: Iterable[_Library]) -> str | None:
    """Where the descriptor `fd`, opened at `path`, really is, when that lies outside every one
    of `libraries` and no library holding `path` sets `follow_symlinks`; else None. The rule
    of `link_target_outside`, for the file actually opened: a link put at the name since that
    looked (a moment a library's writer can choose) leads nowhere it should not. Read from
    `/proc/self/fd` (Linux); where there is none, the look before the open stands alone."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    here = os.path.normpath(os.path.abspath(path))
    libraries = list(libraries)
    holding = [lib for lib in libraries if is_inside(here, os.path.normpath(lib.path))]
    if real == here and holding:  # no link on the way: a file of the library it is in
        return None
    if any(lib.follow_symlinks for lib in holding):
        return None
    if any(is_inside(real, os.path.realpath(lib.path)) for lib in libraries):
        return None
    return real


@contextlib.contextmanager
def open_regular(
    path: os.PathLike | str,
    max_bytes: int | None = None,
    *,
    follow_symlinks: bool = True,
    inside: Iterable[_Library] | None = None,
) -> Iterator[BinaryIO]:
    """Open `path` for reading only if it is a regular file of at most `max_bytes` bytes.

    Opened with O_NONBLOCK, so a FIFO cannot hang us, then checked with `fstat` on the open
    descriptor (no race with a swap between check and open). A symlink is followed to its target
    (which must itself be a regular file) unless `follow_symlinks` is False. The returned stream
    refuses to read past `max_bytes` even when the file grows while we read it. `inside`: the
    configured libraries, for a library file: one that is opened outside them all
    (`opened_outside`) raises `LedOut`, unread.
    """
    fd, _st = _open_regular_fd(path, max_bytes, follow_symlinks, inside)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle if max_bytes is None else _Capped(handle, path, max_bytes)  # type: ignore[misc]


def _open_regular_fd(
    path: os.PathLike | str,
    max_bytes: int | None,
    follow_symlinks: bool = True,
    inside: Iterable[_Library] | None = None,
) -> tuple[int, os.stat_result]:
    """The checks of `open_regular` on a bare descriptor: (descriptor, its fstat), opened
    without blocking (a FIFO cannot hang us); the caller closes it."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise NotARegularFile(path, "a symbolic link (not followed)") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(path, kind_of(st.st_mode))
        if max_bytes is not None and st.st_size > max_bytes:
            raise TooLarge(path, st.st_size, max_bytes)
        if inside is not None and (real := opened_outside(fd, path, inside)) is not None:
            raise LedOut(path, real)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def regular_chunks(path: os.PathLike | str, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """The bytes of a regular file (what `open_regular` accepts), read on a bare descriptor
    with no file object: a small file in one `read`. For the atomic writes of a publish, where
    each system call a file object adds (its `fcntl`s, `lseek`, `isatty`) is one more hand-over
    of the interpreter lock between the writer threads."""
    fd, st = _open_regular_fd(path, None)
    try:
        size = min(max(chunk, st.st_size + 1), 64 << 20)  # a small file: one read, then EOF
        while data := os.read(fd, size):
            yield data
    finally:
        os.close(fd)


def read_regular(
    path: os.PathLike | str, max_bytes: int, *, inside: Iterable[_Library] | None = None
) -> bytes:
    """The whole content of a regular file of at most `max_bytes` bytes (`inside`: see
    `open_regular`)."""
    with open_regular(path, max_bytes, inside=inside) as fh:
        return fh.read()


def copy_regular(
    path: os.PathLike | str,
    out: BinaryIO,
    max_bytes: int | None,
    *,
    inside: Iterable[_Library] | None = None,
) -> tuple[str, int]:
    """Copy a regular file into `out`: (SHA-256, size) (`inside`: see `open_regular`)."""
    digest, size = hashlib.sha256(), 0
    with open_regular(path, max_bytes, inside=inside) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _too_large(size: int, cap: int) -> str:
    return f"{size / 1e6:.0f} MB, over the {cap / 1e6:.0f} MB limit for this kind of file; skipped"


class _Capped:
    """A read-only stream that raises TooLarge instead of reading past the cap."""

    def __init__(self, raw: BinaryIO, path: os.PathLike | str, cap: int):
        self._raw, self._path, self._cap, self._done = raw, path, cap, 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        data = self._raw.read(min(n, self._cap + 1 - self._done))
        self._done += len(data)
        if self._done > self._cap:
            raise TooLarge(self._path, self._done, self._cap)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = self._raw.seek(offset, whence)
        self._done = pos
        return pos

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()


def names_in(folder: os.PathLike | str) -> list[str]:
    """The names `os.listdir` gives in `folder`; none when it cannot be listed (gone, not a
    folder, refused)."""
    try:
        return os.listdir(folder)
    except OSError:
        return []


def sha256_regular(path: Path | str, max_bytes: int | None = None) -> str:
    """SHA-256 of a regular file (see `open_regular`)."""
    digest = hashlib.sha256()
    with open_regular(path, max_bytes) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
