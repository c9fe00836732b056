"""What a process needs to run stages: the config, the open database, the shared HTTP client and
the provider clients (created on first use). Built once per process and passed in."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from metarrd import db
from metarrd.config import Config, data_dir_not_installed
from metarrd.errors import ConfigError, ItemError
from metarrd.files import dangling_link
from metarrd.http import HttpClient
from metarrd.providers import fanart, tvdb
from metarrd.providers.tmdb import TmdbClient

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    _http: HttpClient | None = field(default=None, repr=False)
    _clients: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # the job runner's (metarrd/pipeline/leases.py `lost`): of these items, those whose job
    # another worker took over while this one worked on it; a stage writes nothing for them
    taken_over: Callable[[list[int]], set[int]] | None = field(default=None, repr=False)

    @property
    def http(self) -> HttpClient:
        with self._lock:
            if self._http is None:
                p = self.config.providers
                self._http = HttpClient(
                    timeout=p.timeout_seconds,
                    max_retries=p.max_retries,
                    per_host=self.config.enrich.per_host,
                    pool_size=max(16, self.config.enrich.concurrency * 2),
                )
            return self._http

    def client(self, name: str):
        """The provider client `name` (tmdb | fanart | tvdb), created once: under the lock, so
        that two enrich threads asking at once do not make two (an empty key's "is skipped"
        line came twice). Making one opens no connection."""
        http = self.http
        with self._lock:
            if name not in self._clients:
                if name == "tmdb":
                    self._clients[name] = TmdbClient(self.config.providers.tmdb, http)
                else:
                    make = {"fanart": fanart.make_client, "tvdb": tvdb.make_client}[name]
                    self._clients[name] = make(self.config.providers, http)
            return self._clients[name]

    def require_lease(self, item_ids: Iterable[int], what: str) -> None:
        """Raise ItemError when the job this thread runs for one of these items was taken over
        by another worker (this one froze past its lease: SIGSTOP, a paused VM), so that its
        `what` is not written over the other's newer work. Call it inside the write transaction
        that commits the results: the take-over needs the same write lock, so none comes
        between the look and the commit, and the error rolls the transaction back. The job
        runner then drops the error with a log line (the job is the other worker's)."""
        if self.taken_over is None or db.fence_checked():  # this transaction's fence did
            return
        lost = self.taken_over(list(item_ids))
        if lost:
            raise ItemError(
                f"item {min(lost)}: {what} not written: another worker took the job over (this "
                "one stopped renewing its lease)"
            )

    @property
    def tmdb(self):
        return self.client("tmdb")

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if not db.database.is_closed():
            db.database.close()


def _probe_write(directory: Path) -> None:
    """Create and remove a file in `directory`. A data_dir that is there but cannot be written
    (its disk remounted read-only after an error, `errors=remount-ro`; a container volume
    mounted `:ro`; a folder of another user) made every command a traceback from SQLite
    ("unable to open database file"), or a daemon that started and failed each job. A real
    write, not `os.access`: on a CIFS share the mode bits it reads are not the server's word."""
    probe = directory / f".metarrd-write-probe-{os.getpid()}-{threading.get_ident()}"
    fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    os.close(fd)
    probe.unlink(missing_ok=True)


def open_runtime(config: Config) -> Runtime:
    """Create the data folders, open and migrate the database, mirror libraries and players.
    The default data_dir is the install's to make (`data_dir_not_installed`): a ConfigError.
    A `[cache] dir` on a share that does not answer (a hung NFS mount) is left alone (logged):
    making it would hang the start of the daemon and of the web UI until the mount answers."""
    from metarrd import cache

    if (why := data_dir_not_installed(config.data_dir)) is not None:
        raise ConfigError(f"data_dir: {why}")
    hung = bool(config.cache.dir) and cache.unanswered(config.cache_dir)
    for directory in (config.data_path, config.cache_dir, config.previews_dir, config.tmp_dir):
        in_cache = bool(config.cache.dir) and directory.is_relative_to(config.cache_dir)
        if in_cache and hung:  # its previews/ too (a shared cache holds them)
            continue  # its jobs and pictures wait for it (pipeline/steps.py, web/files.py)
        key = "cache.dir" if in_cache else "data_dir"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # not made yet, and no right to make it: the setting is at fault
            for link in (directory, *directory.parents):  # "File exists", for a link to a disk
                if os.path.islink(link) and not os.path.exists(link):  # not mounted
                    try:
                        os.stat(link)
                    except OSError as why:
                        raise ConfigError(f"{key}: {link} {dangling_link(link, why)}") from None
            raise ConfigError(f"{key}: cannot create {directory}: {exc.strerror}") from None
        if directory != config.data_path:
            continue  # the cache may be read-only to a watcher, which writes none of it
        try:
            _probe_write(directory)
        except OSError as exc:
            raise ConfigError(f"{key}: cannot write in {directory}: {exc.strerror}") from None
    db.open_database(config.database.url or config.db_path, data_dir=config.data_path)
    db.mirror_config(config)
    return Runtime(config)
