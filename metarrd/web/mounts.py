"""Library roots that do not answer: a hard NFS mount whose server is gone, where every stat
waits for ever, and the web thread that made it with it (a dozen such and the UI answers
nothing more). Whatever reads an item's library folder in a request (the publish preview, the
check after an edit, a webhook's look at its paths) asks first, with the watcher's own look
(`mounts.root_identity`: a few seconds at most, at once while an earlier look still hangs).
The image cache (`[cache] dir`, on NFS when several workers share it) is looked at the same way
(`cache.unanswered`) before a request opens a picture there."""

from __future__ import annotations

from metarrd.config import Config
from metarrd.mounts import UNREACHABLE, root_identity
from metarrd.paths import deepest_folder


def hung_root(config: Config, path: str) -> str | None:
    """The root of the library holding `path` when it does not answer; None when it does, or
    when `path` is in no library."""
    root = deepest_folder(path, [lib.path for lib in config.library])
    if root is not None and root_identity(root) == UNREACHABLE:
        return root
    return None
