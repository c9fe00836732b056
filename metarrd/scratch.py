"""Our scratch folder, `<data_dir>/tmp`: each file made there is named by the process that made
it (its pid and host), so that a daemon's start removes what processes that died left there and
leaves what the web UI or a command running now is writing (an upload in flight: it had been
removed under it, and the upload failed with a 500). A name without one (an older version's),
or one of a process whose pid was taken since, goes once nobody wrote it for an hour."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from metarrd.atomic import TEMP_MARKER
from metarrd.db import this_host

STALE_SECONDS = 3600.0  # no upload or job writes a scratch file for this long without a write
_OWNER = re.compile(r"(?:^|-)(\d+)\+([^+/]+)\+")  # "<pid>+<host>+": a host name has no "+"


def _owner() -> str:
    return f"{os.getpid()}+{this_host()}+"


def scratch_path(folder: Path, kind: str, suffix: str = "") -> Path:
    """A new name in the scratch `folder`: `<kind>-<pid>+<host>+<random><suffix>`."""
    return Path(folder) / f"{kind}-{_owner()}{secrets.token_hex(6)}{suffix}"


def scratch_file(folder: Path) -> tuple[int, str]:
    """`tempfile.mkstemp` in the scratch `folder`, named as ours: (descriptor, path)."""
    return tempfile.mkstemp(prefix=f"{TEMP_MARKER}{_owner()}", dir=folder)


def is_stale(name: str, age_seconds: float) -> bool:
    """Whether the scratch entry `name`, last written `age_seconds` ago, is no one's: its
    process (of this host) ended, or nobody wrote it for STALE_SECONDS. Another host's (a
    data_dir on a share) and an unnamed one go by their age alone."""
    if age_seconds > STALE_SECONDS:
        return True
    m = _OWNER.search(name)
    if m is None or m.group(2) != this_host():
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
