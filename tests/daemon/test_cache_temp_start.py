"""A daemon's start removes the temp files in the image cache and the previews folder that
processes that died left there, not the ones a process running now writes: the web UI taking in
an upload writes its preview and its cache file there (`user_images._store`), and another worker
of this host writes its downloads there. Removed under it, the write's rename failed and the
upload with it (a 500)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from metarrd.atomic import TEMP_MARKER
from metarrd.pipeline.daemon import recover
from metarrd.scratch import STALE_SECONDS

REPO = Path(__file__).resolve().parents[2]

# another process (the web UI's upload) writing the upload's preview and cache file as it does,
# each paused once written, before its rename, until told to go on
WEB = """
import os, sys
from pathlib import Path
from metarrd import cache
from metarrd.imaging import analyse_image, write_preview
cache_dir, previews_dir, source = map(Path, sys.argv[1:4])
real = os.replace
def paused(src, dst, *args, **kwargs):
    print(src, flush=True)
    sys.stdin.readline()
    return real(src, dst, *args, **kwargs)
os.replace = paused
info = analyse_image(source)
if write_preview(previews_dir, source, info.sha256) is None:
    sys.exit("no preview")
print("stored", cache.copy_into(cache_dir, "poster", source, info), flush=True)
"""


def _web(rt, source: Path) -> subprocess.Popen:
    config = rt.config
    return subprocess.Popen(
        [sys.executable, "-c", WEB, str(config.cache_dir), str(config.previews_dir), str(source)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _poster(tmp_path: Path) -> Path:
    source = tmp_path / "upload.jpg"
    Image.new("RGB", (200, 300), (180, 40, 40)).save(source, "JPEG")
    return source


def test_the_start_leaves_the_cache_and_preview_a_running_upload_writes(rt, tmp_path):
    web = _web(rt, _poster(tmp_path))
    try:
        preview_tmp = Path(web.stdout.readline().strip())
        assert preview_tmp.name.startswith(TEMP_MARKER) and preview_tmp.is_file()
        recover(rt, requeue=False)  # the daemon restarted while the upload comes in
        assert preview_tmp.is_file()
        web.stdin.write("\n")
        web.stdin.flush()

        cache_tmp = Path(web.stdout.readline().strip())
        assert rt.config.cache_dir in cache_tmp.parents and cache_tmp.is_file()
        recover(rt, requeue=False)
        assert cache_tmp.is_file()
        out, _ = web.communicate("\n", timeout=60)
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
    assert web.returncode == 0 and out.startswith("stored ")
    assert Path(out.split(" ", 1)[1].strip()).is_file()


def test_the_start_removes_what_a_killed_writer_left_and_an_unnamed_one_by_its_age(rt, tmp_path):
    web = _web(rt, _poster(tmp_path))
    try:
        preview_tmp = Path(web.stdout.readline().strip())
        web.send_signal(signal.SIGKILL)  # killed mid-write
        web.wait(timeout=60)
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
    folder = rt.config.cache_dir / "poster" / "ab"
    folder.mkdir(parents=True)
    unnamed_old = folder / f"{TEMP_MARKER}1a2b3c4d-{'ab' * 32}.jpg"  # an older version's
    unnamed_new = folder / f"{TEMP_MARKER}5e6f7a8b-{'ab' * 32}.png"
    for path in (unnamed_old, unnamed_new):
        path.write_bytes(b"\xff\xd8\xff")
    old = time.time() - STALE_SECONDS - 60
    os.utime(unnamed_old, (old, old))

    recover(rt, requeue=False)

    assert not preview_tmp.exists() and not unnamed_old.exists() and unnamed_new.is_file()
