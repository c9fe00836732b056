"""A folder that ignores letter case and Unicode normalisation, for tests on Linux.

The file systems a library often lives on compare names that way: an SMB share of a Windows
server (NTFS) or of a NAS (Samba with its default `case sensitive = auto`), macOS's APFS and
HFS+ (`Penélope` composed or decomposed is one name there), ext4 with `casefold`. `POSTER.jpg`
and `poster.jpg` are one file. The kernel this runs on may have none of them (ext4's casefold
needs CONFIG_UNICODE; vfat may be missing; mounting needs root), so `caseless` gives the
calls metarrd makes on a library path that behaviour instead: a name not there as spelt is
looked up among its folder's names by `fold` (and so is each folder on its way), for `lstat`,
`stat`, `open`, `unlink`, `rename`, `replace`, `link`, `mkdir`, `listdir` and `scandir` (whose
entries are under the folder as spelt); a rename onto
a name found so replaces that file and keeps its spelling, as Samba does. New names are made
as spelt; a listing gives the names as stored. Python's own `open` (`Path.read_bytes`) is not
covered: read a file by the name its folder lists.
"""

from __future__ import annotations

import os
import unicodedata


def fold(name: str) -> str:
    """The canonical caseless form of a name (Unicode's D145: NFD, case folding, NFD), as APFS
    and ext4's casefold compare names; it takes in NTFS's and Samba's case-blindness."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def caseless(monkeypatch, inodes: str = "shared") -> None:
    """From here on (monkeypatch's), every path is looked up as on such a file system.

    `inodes`: "shared", a file has one inode number whatever the spelling it is looked up by
    (ext4's casefold, APFS, an SMB share mounted with the server's numbers); "per-name", a
    name spelt otherwise than its folder lists it gets a number of its own from `stat` and
    `lstat`, as where the numbers are made per name looked up: FUSE without `use_ino`
    (exfat-fuse, whose `Abc.txt` and `abc.txt` stat 8013 and 8014) and an SMB share mounted
    `noserverino` (the kernel's fallback when the server gives no numbers)."""
    assert inodes in ("shared", "per-name")
    names = ("lstat", "stat", "open", "unlink", "rename", "replace", "listdir", "scandir", "mkdir")
    real = {n: getattr(os, n) for n in names}
    real_link = os.link

    def found(path):
        """`path` with each name not there as spelt replaced by the one its folder holds."""
        if not isinstance(path, str | os.PathLike) or isinstance(os.fspath(path), bytes):
            return path  # a descriptor
        text = os.fspath(path)
        try:
            real["lstat"](text)
            return path
        except OSError:
            pass
        parent, name = os.path.split(text)
        if parent and parent != text:
            parent = found(parent)
        try:
            listed = real["listdir"](parent or ".")
        except OSError:
            return path
        same = [n for n in listed if fold(n) == fold(name)]
        return os.path.join(parent, same[0] if same else name)

    def one(name):
        return lambda p, *a, **k: real[name](found(p), *a, **k)

    def looked_up(name):
        def look(p, *a, **k):
            there = found(p)
            st = real[name](there, *a, **k)
            if inodes == "per-name" and there is not p:
                return _OwnNumber(st, os.fspath(p))
            return st

        return look

    def two(name):
        return lambda s, d, *a, **k: real[name](found(s), found(d), *a, **k)

    def scandir(path=".", *a, **k):
        it = real["scandir"](found(path), *a, **k)
        if not isinstance(path, str | os.PathLike):
            return it  # a descriptor
        return _Entries(it, os.fspath(path))

    for name in ("open", "unlink", "listdir", "mkdir"):
        monkeypatch.setattr(os, name, one(name))
    for name in ("lstat", "stat"):
        monkeypatch.setattr(os, name, looked_up(name))
    monkeypatch.setattr(os, "scandir", scandir)
    for name in ("rename", "replace"):
        monkeypatch.setattr(os, name, two(name))
    monkeypatch.setattr(os, "link", lambda s, d, *a, **k: real_link(found(s), found(d), *a, **k))


class _OwnNumber:
    """A `stat` result whose inode number is the name's looked up, not the file's."""

    def __init__(self, st: os.stat_result, name: str) -> None:
        self._st, self.st_ino = st, 1 << 40 | hash(name) & 0xFFFFFFFF

    def __getattr__(self, name):
        return getattr(self._st, name)


class _Entry:
    """A `DirEntry` whose path is under the folder as the caller spelt it, as a real listing's."""

    def __init__(self, entry, folder: str):
        self._entry, self.name, self.path = entry, entry.name, os.path.join(folder, entry.name)

    def __getattr__(self, name):
        return getattr(self._entry, name)

    def __fspath__(self) -> str:
        return self.path


class _Entries:
    def __init__(self, it, folder: str):
        self._it, self._folder = it, folder

    def __iter__(self):
        return (_Entry(e, self._folder) for e in self._it)

    def __next__(self):
        return _Entry(next(self._it), self._folder)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._it.close()

    def close(self):
        self._it.close()
