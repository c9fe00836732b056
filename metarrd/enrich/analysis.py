"""Download and analyse artwork candidates concurrently, each exactly once.

An `Analyser` owns a private work folder under `<data_dir>/tmp/` and a pool of
`[enrich] concurrency` threads (the shared HttpClient adds its per-host cap). Each candidate is
downloaded to a temp file and analysed in the same worker right after the download (real size,
format, SHA-256, perceptual hash, sanity checks), and a ~300 px WebP preview is written under
`<data_dir>/previews/<hh>/<sha256>.webp`. The analysed temp file is kept until the work folder
closes, so a selected image is moved into the cache instead of being downloaded a second time.

Closing the Analyser removes the work folder whatever happened; a folder left behind by a crashed
process is removed by the next Analyser (`sweep_stale`). Failures never raise: a candidate that
cannot be downloaded (`retry=True`: try again at the next enrich) or is no usable image
(`retry=False`) comes back with a reason a person can read.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from metarrd import cache
from metarrd.atomic import TEMP_MARKER
from metarrd.config import Config
from metarrd.errors import NotFound, ProviderError
from metarrd.http import HttpClient, redact
from metarrd.imaging import (
    ImageInfo,
    ImageRejected,
    analyse_image,
    analyse_with_preview,
    make_preview,
)

log = logging.getLogger(__name__)

WORK_PREFIX = "enrich-"
MAX_IMAGE_BYTES = 64 * 1024 * 1024
ANALYSIS_THREADS = max(2, os.cpu_count() or 2)  # decoding is CPU work: one thread per core
_ACTIVE: set[str] = set()  # work folders of this process that are in use
_ACTIVE_LOCK = threading.Lock()


@dataclass
class AnalysisResult:
    url: str
    info: ImageInfo | None = None
    reason: str | None = None  # why the candidate is rejected
    retry: bool = False  # a download problem: worth trying again at the next enrich
    path: Path | None = None  # the analysed temp file (lives until the Analyser closes)
    preview: str | None = None  # relative to previews_dir
    size: int = 0  # bytes downloaded
    cached: Path | None = None  # where it went in the cache, when fetched with `cache_as`

    @property
    def ok(self) -> bool:
        return self.info is not None


def preview_relpath(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}.webp"


def write_preview(
    previews_dir: Path, source: Path, sha256: str, data: bytes | None = None
) -> str | None:
    """Keep the preview of an accepted image (once per content): `data` when already made,
    else made from `source`. None when it cannot be made.

    Written to a temp name and renamed, so no reader sees half a preview; not fsynced: a preview
    is derived data that a later enrich simply makes again.
    """
    rel = preview_relpath(sha256)
    target = Path(previews_dir) / rel
    if target.exists():
        return rel
    tmp = target.with_name(f"{TEMP_MARKER}{secrets.token_hex(4)}-{target.name}")
    try:
        if data is None:
            data = make_preview(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        log.warning("preview of %s failed: %s", source.name, exc)
        return None
    return rel


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(tmp_dir: Path) -> list[Path]:
    """Remove work folders of processes that are gone (or of this one, no longer in use)."""
    removed = []
    try:
        entries = list(os.scandir(tmp_dir))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(WORK_PREFIX):
            continue
        pid_text = entry.name[len(WORK_PREFIX) :].split("-", 1)[0]
        pid = int(pid_text) if pid_text.isdigit() else -1
        with _ACTIVE_LOCK:
            in_use = entry.path in _ACTIVE
        if in_use or (pid != os.getpid() and pid > 0 and _pid_alive(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
        log.info("removed leftover work folder %s", entry.path)
    return removed


class Analyser:
    """`with Analyser(config, http) as an: an.fetch(url, provider)` -> Future[AnalysisResult].

    Two pools: `[enrich] concurrency` threads download (the HttpClient adds its per-host cap),
    and one thread per CPU analyses each download as soon as it lands, so a download slot is
    never held up by decoding.
    """

    def __init__(self, config: Config, http: HttpClient, *, label: str = ""):
        self.config = config
        self.http = http
        self.label = label  # the item, for log lines
        self.max_pixels = config.artwork.max_pixels
        self.previews_dir = config.previews_dir
        self.workdir: Path | None = None
        self._io: ThreadPoolExecutor | None = None
        self._cpu: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future[AnalysisResult]] = {}
        self._names = itertools.count(1)
        self._lock = threading.Lock()

    def __enter__(self) -> Analyser:
        tmp_dir = self.config.tmp_dir
        tmp_dir.mkdir(parents=True, exist_ok=True)
        sweep_stale(tmp_dir)
        self.workdir = tmp_dir / f"{WORK_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.workdir.mkdir()
        with _ACTIVE_LOCK:
            _ACTIVE.add(str(self.workdir))
        self._io = ThreadPoolExecutor(self.config.enrich.concurrency, thread_name_prefix="fetch")
        self._cpu = ThreadPoolExecutor(ANALYSIS_THREADS, thread_name_prefix="analyse")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for pool in (self._io, self._cpu):  # downloads first: they hand work to the analysts
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._io = self._cpu = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            with _ACTIVE_LOCK:
                _ACTIVE.discard(str(self.workdir))
            self.workdir = None

    def submit(self, fn, *args, cpu: bool = False, **kwargs) -> Future:
        """Run other work on the bounded pools: file work by default, decoding with cpu=True."""
        pool = self._cpu if cpu else self._io
        if pool is None:
            raise RuntimeError("the Analyser is not open")
        return pool.submit(fn, *args, **kwargs)

    def fetch(
        self, url: str, provider: str, *, preview: bool = True, cache_as: str | None = None
    ) -> Future[AnalysisResult]:
        """Download and analyse `url` (once per Analyser, however often it is asked for).

        With `cache_as` (an image type), an accepted image goes straight into the cache under
        that type, from the worker: for images that are always kept (cast thumbnails).
        """
        with self._lock:
            future = self._futures.get(url)
            if future is None:
                future = self._futures[url] = Future()
                self.submit(self._download, future, url, provider, preview, cache_as)
            return future

    def temp_file(self, suffix: str = ".part") -> Path:
        """A fresh file name inside the work folder."""
        if self.workdir is None:
            raise RuntimeError("the Analyser is not open")
        return self.workdir / f"{next(self._names):05d}{suffix}"

    def _download(self, future: Future, url: str, provider: str, *rest) -> None:
        try:
            tmp = self.temp_file()
            outcome = self._get(url, provider, tmp)
            if outcome.reason:
                future.set_result(outcome)
            else:
                self.submit(self._analyse, future, outcome, tmp, *rest, cpu=True)
        except BaseException as exc:  # never leave a waiter hanging
            future.set_exception(exc)

    def _get(self, url: str, provider: str, tmp: Path) -> AnalysisResult:
        try:
            with open(tmp, "wb") as out:
                download = self.http.download(
                    url, out, provider=provider, max_bytes=MAX_IMAGE_BYTES
                )
        except NotFound:
            reason = "the provider does not have it (HTTP 404)"
        except ProviderError as exc:
            reason = f"download failed: {exc}"
        except OSError as exc:
            reason = f"cannot write a temp file: {exc.strerror}"
        else:
            return AnalysisResult(url, size=download.size)
        tmp.unlink(missing_ok=True)
        return AnalysisResult(url, reason=reason, retry=True)

    def _analyse(
        self, future: Future, got: AnalysisResult, tmp: Path, preview: bool, cache_as: str | None
    ) -> None:
        try:
            future.set_result(self._facts(got, tmp, preview, cache_as))
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            future.set_exception(exc)

    def _facts(
        self, got: AnalysisResult, tmp: Path, preview: bool, cache_as: str | None
    ) -> AnalysisResult:
        url = got.url
        small = None
        try:
            if preview:  # one decode for both (imaging.analyse_with_preview)
                info, small = analyse_with_preview(tmp, max_pixels=self.max_pixels)
            else:
                info = analyse_image(tmp, max_pixels=self.max_pixels)
        except ImageRejected as exc:
            tmp.unlink(missing_ok=True)
            log.info("%s: %s rejected: %s", self.label, redact(url), exc)
            return AnalysisResult(url, reason=str(exc), size=got.size)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return AnalysisResult(
                url, reason=f"cannot read the download: {exc.strerror}", retry=True
            )
        rel = write_preview(self.previews_dir, tmp, info.sha256, small) if preview else None
        outcome = AnalysisResult(url, info, path=tmp, preview=rel, size=got.size)
        if cache_as is not None:
            try:
                outcome.cached = cache.move_into(self.config.cache_dir, cache_as, tmp, info)
                outcome.path = None
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                return AnalysisResult(url, reason=f"cannot write to the cache: {exc}", retry=True)
        return outcome
