"""Our scratch folder, `<data_dir>/tmp`: each file made there is named by the process that made
it (its pid and host), so that a daemon's start removes what processes that died left there and
leaves what the web UI or a command running now is writing (an upload in flight: it had been
removed under it, and the upload failed with a 500). So is each temp file written into the
image cache and the previews folder (`temp_beside`), which the start clears by the same rule.
A name without one (an older version's), or one of a process whose pid was taken since, goes
once nobody wrote it for an hour."""

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


def temp_beside(target: Path) -> Path:
    """A temp name for a write of `target` beside it, named as ours:
    `.metarrd-tmp-<pid>+<host>+<random>-<name>`. For the image cache and the previews folder,
    whose temp files a daemon's start removes by `is_stale` too: the web UI writes an upload's
    there, and another worker of this host its downloads, while a daemon restarts."""
    stem = target.name.encode("utf-8")[:80].decode("utf-8", "ignore")
    return target.with_name(f"{TEMP_MARKER}{_owner()}{secrets.token_hex(4)}-{stem}")


def owner(name: str) -> tuple[int, str] | None:
    """The process a scratch entry's `name` names: (its pid, its host), None for no owner."""
    m = _OWNER.search(name)
    return None if m is None else (int(m.group(1)), m.group(2))


def process_ended(name: str) -> bool | None:
    """Whether the process of this host named in `name` has ended (this one has not); None
    when `name` names no process of this host (another host's, on a data_dir several share, or
    another PID namespace's: `db.this_host`), whose pid means nothing here, or none."""
    named = owner(name)
    if named is None or named[1] != this_host():
        return None
    pid = named[0]
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def is_stale(name: str, age_seconds: float) -> bool:
    """Whether the scratch entry `name`, last written `age_seconds` ago, is no one's: its
    process (of this host) ended, or nobody wrote it for STALE_SECONDS. Another host's (a
    data_dir on a share) and an unnamed one go by their age alone."""
    return age_seconds > STALE_SECONDS or process_ended(name) is True
