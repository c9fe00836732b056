"""A path as the disk spells it, when it was given in the other Unicode normalisation.

A keyboard or Radarr's database gives "Amélie (2001)" composed (NFC), a Mac's share or a NAS holds
the name decomposed (NFD), or the reverse: each name below a library root that is not there as
given is looked for in its folder in any normalisation. One found is that one; two or more, the
same but for their normalisation and neither the one given (a Linux disk keeps "Léon" NFC and
NFD side by side), are `SpelledTwice`, never one picked: the command line refuses the PATH, a
webhook refuses its call. Shared by both (cli.py, web/webhook_payload.py).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable

from metarrd.files import display
from metarrd.paths import is_inside


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class SpelledTwice(Exception):
    """`name`, below `folder`, names several entries whose names differ only in their Unicode
    normalisation (`names`, sorted), and is spelled as none of them."""

    def __init__(self, folder: str, name: str, names: list[str]) -> None:
        self.folder, self.name, self.names = folder, name, names
        super().__init__(
            f"{len(names)} entries of {display(folder)} whose names are the same but for their "
            "Unicode normalisation (" + ", ".join(f"{n!a}" for n in names) + ")"
        )


def in_configured_root(path: str, roots: Iterable[str]) -> str:
    """`path` with the library root (of `roots`) that holds it spelled as configured, when it
    was given in the other normalisation (a share "vidéos" the configuration names NFD, as the
    NAS does, typed or sent NFC). The looks that compare paths as spelled (the hung roots',
    which must come before anything looks below a root) then find its library. Nothing on disk
    is looked at."""
    if path.isascii():
        return path
    for root in sorted(map(os.path.normpath, roots), key=len, reverse=True):
        if is_inside(path, root):
            return path
        if is_inside(nfc(path), nfc(root)):
            depth = len([name for name in root.split(os.sep) if name])
            return os.path.join(root, *[name for name in path.split(os.sep) if name][depth:])
    return path


def on_disk(path: str, root: str) -> str:
    """`path`, inside the library `root` (as configured; compared as NFC), as the disk spells
    it: each name below `root` that is not there as given is looked for in its folder in the
    other normalisation. A name found in no form stays as given, and so does everything after
    it (a file deleted: its item's spelling is another question). Two found: SpelledTwice."""
    if path.isascii() or os.path.lexists(path):
        return path
    root = os.path.normpath(root)
    depth = len([name for name in root.split(os.sep) if name])
    names = [name for name in path.split(os.sep) if name][depth:]
    found = root
    for i, name in enumerate(names):
        here = os.path.join(found, name)
        if name.isascii() or os.path.lexists(here):
            found = here
            continue
        try:
            with os.scandir(found) as entries:
                same = sorted(e.name for e in entries if nfc(e.name) == nfc(name))
        except OSError:
            same = []
        if not same:
            return os.path.join(found, *names[i:])
        if len(same) > 1:
            raise SpelledTwice(found, name, same)
        found = os.path.join(found, same[0])
    return found
