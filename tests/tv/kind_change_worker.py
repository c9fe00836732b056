"""Crash-test helper: `metarrd scan` in a process of its own, killed with SIGKILL (a power cut)
right before its first change to a file of the library: the removal of what the library was
before its kind changed, once the scan's transaction is committed. argv: the config file, the
library's root. Only loopback is reached (the simulator)."""

from __future__ import annotations

import os
import signal
import sys

from metarrd.cli import main
from metarrd.paths import is_inside

ROOT = sys.argv[2]


def _killed_first(call):
    def call_or_die(path, *args, **kwargs):
        if is_inside(os.fspath(path), ROOT):  # nothing after this point runs
            os.kill(os.getpid(), signal.SIGKILL)
        return call(path, *args, **kwargs)

    return call_or_die


os.rename = _killed_first(os.rename)
os.unlink = _killed_first(os.unlink)
os.remove = os.unlink

if __name__ == "__main__":
    sys.exit(main(["--config", sys.argv[1], "scan"]))
