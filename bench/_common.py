"""Helpers shared by the benchmarks: timing and ratio printing."""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def timed(result: dict, key: str):
    start = time.perf_counter()
    yield
    result[key] = time.perf_counter() - start


def report(
    name: str, seconds: float, floor: float, *, count: int | None = None, unit: str = "items"
) -> None:
    rate = f"  {count / seconds:,.0f} {unit}/s" if count and seconds > 0 else ""
    ratio = seconds / floor if floor > 0 else float("inf")
    print(
        f"{name:<46} {seconds:8.3f} s  floor {floor:8.3f} s  ratio {ratio:6.2f}x{rate}", flush=True
    )


def best_of(n: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


_local_samples: dict[tuple[Path, int], Path] = {}


def link_sample(sample: Path, target: Path, root: Path) -> None:
    """A hard link at `target` to the sample media file (thousands of movies cost no disk). Where
    the library is on another file system than the checkout (a tmpfs /tmp: Debian 13, Arch,
    Fedora; `make test`'s /dev/shm) a link cannot cross: it is made from one copy of the sample
    in a temp folder beside `root`, removed at exit (made again when that folder went first)."""
    try:
        os.link(sample, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    key = (sample, os.stat(root).st_dev)
    # (gone: the folder it was made beside was removed, as a passed test's temp folder is)
    if key not in _local_samples or not _local_samples[key].is_file():
        folder = Path(tempfile.mkdtemp(prefix="metarrd-bench-sample-", dir=root.parent))
        atexit.register(shutil.rmtree, folder, True)
        _local_samples[key] = folder / sample.name
        shutil.copyfile(sample, _local_samples[key])
    os.link(_local_samples[key], target)
