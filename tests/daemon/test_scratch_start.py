"""A daemon's start clears `<data_dir>/tmp` of what processes that died left there, not of what
a process running now writes: the web UI taking in an upload (its `user-….part`) while the daemon
restarts. Emptied whole, the upload lost its file and failed with a 500."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from metarrd.pipeline.daemon import recover
from metarrd.scratch import STALE_SECONDS

REPO = Path(__file__).resolve().parents[2]

# another process (the web UI's) making an upload's scratch file and writing it, until told
WEB = """
import sys
from metarrd.scratch import scratch_path
path = scratch_path(sys.argv[1], "user", ".part")
with open(path, "wb") as out:
    out.write(b"\\xff\\xd8\\xff\\xe0 the first MB of a photo")
    out.flush()
    print(path, flush=True)
    sys.stdin.readline()
"""


def test_the_start_leaves_a_running_uploads_file_and_removes_a_dead_ones(rt):
    tmp = rt.config.tmp_dir
    tmp.mkdir(parents=True, exist_ok=True)
    web = subprocess.Popen(
        [sys.executable, "-c", WEB, str(tmp)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        upload = Path(web.stdout.readline().strip())
        unnamed_old = tmp / "upload-from-an-older-version.part"  # no owner: by its age
        unnamed_new = tmp / "another-one-written-now.part"
        for path in (unnamed_old, unnamed_new):
            path.write_bytes(b"x")
        old = time.time() - STALE_SECONDS - 60
        os.utime(unnamed_old, (old, old))

        recover(rt, requeue=False)  # the daemon restarted while the upload comes in

        assert upload.is_file() and unnamed_new.is_file() and not unnamed_old.exists()
    finally:
        web.communicate("done\n", timeout=30)
    assert web.returncode == 0
    recover(rt, requeue=False)  # the next start: its process is gone (killed mid-upload)
    assert not upload.exists() and unnamed_new.is_file()
