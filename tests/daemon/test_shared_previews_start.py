"""A worker starting on a host whose image cache other hosts share (`[cache] dir`, docs/scale-out.md)
leaves the previews the others are writing now: the previews live in that cache too."""

from __future__ import annotations

import os
import time

from metarrd.atomic import TEMP_MARKER
from metarrd.pipeline.daemon import recover
from metarrd.runtime import open_runtime
from metarrd.scratch import STALE_SECONDS


def test_a_starting_worker_leaves_the_previews_other_hosts_are_writing(config_factory, tmp_path):
    config = config_factory(cache={"dir": str(tmp_path / "nfs-cache")})
    rt = open_runtime(config)
    try:
        folder = config.previews_dir / "ab"
        folder.mkdir(parents=True)
        writing = folder / f"{TEMP_MARKER}1234-{'ab' * 32}.webp"  # another host's, right now
        left = folder / f"{TEMP_MARKER}5678-{'ab' * 32}.jpg"  # a host that died mid-write
        for path in (writing, left):
            path.write_bytes(b"RIFF")
        old = time.time() - STALE_SECONDS - 60
        os.utime(left, (old, old))
        recover(rt, requeue=False)
        assert writing.exists() and not left.exists()
    finally:
        rt.close()
