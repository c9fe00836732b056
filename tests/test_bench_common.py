"""bench/_common.py: the benchmarks' libraries of hard links to a sample media file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from bench import _common

SAMPLE = Path(__file__).resolve().parent / "media" / "h264_aac_mono.mp4"


def test_a_library_on_another_file_system_links_a_copy_of_the_sample(tmp_path, monkeypatch):
    """A tmpfs /tmp (Debian 13, Arch, Fedora; make test's /dev/shm) is another file system
    than the checkout: `os.link` from the checkout fails there (EXDEV), and every benchmark
    that builds a library stopped at its first movie."""
    real_link = os.link

    def link(src, dst):
        if Path(src) == SAMPLE:  # the checkout, on its own file system
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src))
        real_link(src, dst)

    monkeypatch.setattr(_common.os, "link", link)
    monkeypatch.setattr(_common, "_local_samples", {})
    root = tmp_path / "movies"
    targets = [root / f"Movie {n} (2000)" / f"Movie {n} (2000).mp4" for n in range(3)]
    for target in targets:
        target.parent.mkdir(parents=True)
        _common.link_sample(SAMPLE, target, root)
    inodes = {t.stat().st_ino for t in targets}
    assert len(inodes) == 1 and targets[0].stat().st_nlink == 4  # three links and the copy
    assert targets[0].read_bytes() == SAMPLE.read_bytes()
    (copy,) = _common._local_samples.values()
    assert copy.parent.parent == tmp_path and not copy.is_relative_to(root)
