"""Shared fixtures: the loopback-only network guard, the provider simulator, configs on temp dirs,
and the backend switch: with METARRD_TEST_DATABASE_URL (postgresql://…) and METARRD_TEST_QUEUE_URL
(redis://…) set (`.ci/services.sh start; eval "$(.ci/services.sh env)"`), every config the tests
make uses that PostgreSQL database and Redis queue; each test starts on empty tables and an empty
Redis database. Unset: SQLite under the test's temp dir, as always.

With them set, only the tests on the test backend run (`on_backend`): the others would run on
SQLite again, the same test as in the first pass."""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache

from metarrd import runtime
from metarrd.config import Config, data_dir_not_installed, parse_config

# --- no test opens a socket beyond loopback --------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address) -> None:
    if isinstance(address, tuple):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host == "localhost":
                return
            raise OSError(f"test tried to connect to a non-loopback host {host!r}") from None
        if not ip.is_loopback:
            raise OSError(f"test tried to connect to non-loopback address {host}")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- one compile of each template per session ---------------------------------------------------
# Every test builds its own app (create_app), and a new Jinja environment compiled every template
# it rendered again: a fifth of a web test's time. The compiled code is shared between the apps
# of the session: it is keyed by the template's name, the checksum of its source (an edited
# template compiles again) and every environment setting that the compiler reads.


class _SessionTemplates(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        autoescape = environment.autoescape
        settings = (
            self.get_cache_key(name, filename),
            autoescape(name) if callable(autoescape) else autoescape,
            *(getattr(environment, option) for option in _COMPILE_OPTIONS),
            tuple(sorted(environment.extensions)),
            getattr(environment.finalize, "__qualname__", environment.finalize),
        )
        bucket = Bucket(environment, repr(settings), self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


_COMPILE_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
    "code_generator_class",
    "context_class",
)
_TEMPLATES = _SessionTemplates()
_real_jinja_environment = Flask.create_jinja_environment


def _jinja_environment(self):
    env = _real_jinja_environment(self)
    env.bytecode_cache = _TEMPLATES
    return env


Flask.create_jinja_environment = _jinja_environment  # type: ignore[method-assign]


# --- one migration per session -----------------------------------------------------------------
# Every test that opens a runtime (open_runtime, create_app) on its own temp data folder made a
# new SQLite database and ran every migration on it again: 30 to 60 ms a test. The first one
# migrates a database once (the real `db.open_database`); a new test database is a copy of it.
# open_runtime then opens it as it opens any database already up to date. Migrating a new
# database, and an old one, stays tested where it is the subject (tests/test_db.py, the model
# tests, and every daemon, CLI or web server started as a process of its own).

_migrated: list[Path] = []


def _migrated_database() -> Path:
    if not _migrated:
        from metarrd import db

        folder = Path(tempfile.mkdtemp(prefix="metarrd-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        db.open_database(folder / "metarrd.db", data_dir=folder)
        db.database.close()  # its WAL checkpointed: the one file holds it all
        _migrated.append(folder / "metarrd.db")
    return _migrated[0]


def _open_runtime(config: Config):
    target = config.db_path
    installed = data_dir_not_installed(config.data_dir) is None  # else not made: open_runtime's
    if installed and not config.database.url and not os.path.lexists(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_migrated_database(), target)
        except OSError:  # no room or no right: open_runtime says so as it would have
            with contextlib.suppress(OSError):
                target.unlink()
    return _real_open_runtime(config)


_real_open_runtime = runtime.open_runtime
runtime.open_runtime = _open_runtime


# --- the backend switch -------------------------------------------------------------------------

# One database and one queue name per test session (its pid), so that two sessions on one
# server never meet; the database is created at the start and dropped at the end.
_SESSION = str(os.getpid())
TEST_DATABASE_URL = os.environ.get("METARRD_TEST_DATABASE_URL", "")
if TEST_DATABASE_URL:
    TEST_DATABASE_URL = f"{TEST_DATABASE_URL}_{_SESSION}"
TEST_QUEUE_URL = os.environ.get("METARRD_TEST_QUEUE_URL", "")
TEST_QUEUE_NAME = f"metarrdtest{_SESSION}"


def backend_sections() -> dict:
    """The [database] and [queue] tables of a test config ({} on the SQLite default)."""
    _backend_asked.append(True)
    sections: dict = {}
    if TEST_DATABASE_URL:
        sections["database"] = {"url": TEST_DATABASE_URL}
    if TEST_QUEUE_URL:
        sections["queue"] = {"url": TEST_QUEUE_URL, "name": TEST_QUEUE_NAME, "lease_seconds": 10.0}
    return sections


def backend_toml() -> str:
    """The same as TOML lines, for tests that write a config file for a subprocess."""
    out = []
    for table, values in backend_sections().items():
        out.append(f"[{table}]")
        out.extend(f"{k} = {v!r}".replace("'", '"') for k, v in values.items())
    return "\n".join(out) + ("\n" if out else "")


# --- which tests the PostgreSQL + Redis pass runs -----------------------------------------------
# The second pass (`make test-scale`) runs the tests again with the two URLs set. A test whose
# configs never come from `backend_sections` runs there on SQLite once more, as in the first
# pass: it is deselected. A test is on the test backend when
# - it requests the `backend` fixture: `config_factory` does, and with it every fixture built on
#   it (rt, make_rt, app, client, tv_rt, …);
# - or it is marked `@pytest.mark.backend`;
# - or it, or its module, names one of BACKEND_NAMES (imports it to build configs, config files
#   or connections of its own: make_config, backend_toml, tv_config, TEST_DATABASE_URL, …).
# Every pass, the SQLite one too, checks the rule: a test that calls `backend_sections` (through
# make_config, backend_toml, tv_config, a helper) without being on the backend fails, saying so.

BACKEND_NAMES = frozenset(
    {
        "backend_sections",
        "backend_toml",
        "make_config",
        "tv_config",  # tests/tv/conftest.py
        "TEST_DATABASE_URL",
        "TEST_QUEUE_URL",
        "TEST_QUEUE_NAME",
        "_admin_connection",
    }
)
_backend_asked: list[bool] = []  # a call of backend_sections during the current test


def on_backend(item: pytest.Item) -> bool:
    """Whether the test `item` runs on the test backend (PostgreSQL and Redis when set)."""
    if "backend" in getattr(item, "fixturenames", ()) or item.get_closest_marker("backend"):
        return True
    module = getattr(item, "module", None)
    if module is not None and not BACKEND_NAMES.isdisjoint(vars(module)):
        return True
    code = getattr(getattr(item, "function", None), "__code__", None)
    return code is not None and not BACKEND_NAMES.isdisjoint(code.co_names)  # imported in it


def pytest_collection_modifyitems(config, items) -> None:
    if not (TEST_DATABASE_URL or TEST_QUEUE_URL):
        return
    off = [item for item in items if not on_backend(item)]
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = [item for item in items if on_backend(item)]


@pytest.fixture
def backend() -> dict:
    """Puts the test on the test backend (`on_backend`); the tables `backend_sections` gives."""
    return backend_sections()


@pytest.fixture(autouse=True)
def _backend_rule(request):
    """A test that asked for the backend's tables is on the backend (`on_backend`), or the
    PostgreSQL pass would skip it."""
    _backend_asked.clear()
    yield
    if _backend_asked and not on_backend(request.node):
        pytest.fail(
            "this test builds a config with backend_sections() but is not on the test backend: "
            "request the `backend` fixture (or config_factory), or mark it "
            "@pytest.mark.backend (tests/conftest.py, on_backend)",
            pytrace=False,
        )


def _admin_connection(url: str):
    """psycopg2 connection to the server's `postgres` database (creating/dropping test dbs)."""
    import psycopg2
    from playhouse.db_url import parse

    params = parse(url)
    params["dbname"] = "postgres"
    params.pop("database", None)
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session", autouse=True)
def _fresh_test_database():
    """A new, empty PostgreSQL test database for the session (dropped at the end)."""
    if not TEST_DATABASE_URL:
        yield
        return
    from playhouse.db_url import parse

    name = parse(TEST_DATABASE_URL)["database"]
    conn = _admin_connection(TEST_DATABASE_URL)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    yield
    from metarrd import db

    if not db.database.is_closed():
        db.database.close()
    conn = _admin_connection(TEST_DATABASE_URL)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(autouse=True)
def _empty_backends():
    """Each test starts on empty PostgreSQL tables (schema kept) and an empty Redis queue."""
    if TEST_DATABASE_URL:
        import psycopg2
        from playhouse.db_url import parse

        params = parse(TEST_DATABASE_URL)
        params["dbname"] = params.pop("database")
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = [r[0] for r in cur.fetchall() if r[0] != "meta"]
            if tables:
                quoted = ", ".join(f'"{t}"' for t in tables)
                cur.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                cur.execute("DELETE FROM meta WHERE key <> 'schema_version'")
        conn.close()
    if TEST_QUEUE_URL:
        from redis import Redis

        client = Redis.from_url(TEST_QUEUE_URL)
        keys = list(client.scan_iter(f"huey.*.{TEST_QUEUE_NAME}*"))
        if keys:
            client.delete(*keys)
        client.close()
    yield


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sim() -> Iterator:
    """One provider simulator for the whole session; tests reset its faults."""
    from metarrd.simulator import Simulator

    with Simulator() as s:
        yield s


@pytest.fixture
def simulator(sim) -> Iterator:
    sim.reset_faults()
    yield sim
    sim.reset_faults()


def make_config(
    tmp_path: Path,
    sim=None,
    *,
    libraries: dict[str, Path] | None = None,
    **sections,
) -> Config:
    """A Config on temp folders, wired to the simulator when given."""
    data: dict = {"data_dir": str(tmp_path / "data"), **backend_sections()}
    libraries = libraries if libraries is not None else {"Movies": tmp_path / "movies"}
    data["library"] = []
    for name, path in libraries.items():
        Path(path).mkdir(parents=True, exist_ok=True)
        data["library"].append({"name": name, "path": str(path), "kind": "movie"})
    providers: dict = {"timeout_seconds": 5.0, "max_retries": 2}
    if sim is not None:
        providers["tmdb"] = {"api_key": sim.keys.tmdb_key, "base_url": sim.tmdb_url}
        providers["fanart"] = {"api_key": sim.keys.fanart_key, "base_url": sim.fanart_url}
        providers["tvdb"] = {"api_key": sim.keys.tvdb_key, "base_url": sim.tvdb_url}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(providers.get(key), dict):
            providers[key].update(value)
        else:
            data[key] = value
    data["providers"] = {**providers, **data.get("providers", {})}
    return parse_config(data)


def providers_toml(sim, *, fanart: bool = True) -> str:
    """The `[providers]` tables of a config file a test writes for the CLI, wired to the
    simulator: TMDB and, unless `fanart=False`, fanart.tv (no TheTVDB key: what a user without
    one has), one retry so that a provider's failure is said at once."""
    lines = [
        "[providers]",
        "max_retries = 1",
        "[providers.tmdb]",
        f'api_key = "{sim.keys.tmdb_key}"',
        f'base_url = "{sim.tmdb_url}"',
    ]
    if fanart:
        lines += ["[providers.fanart]", f'api_key = "{sim.keys.fanart_key}"']
        lines.append(f'base_url = "{sim.fanart_url}"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def config_factory(tmp_path, backend):
    def factory(sim=None, **kwargs) -> Config:
        return make_config(tmp_path, sim, **kwargs)

    return factory


# --- a call that might block forever (a FIFO, /dev/zero) fails the test instead of hanging it --


def _finishes(fn, seconds: float = 10.0):
    """Run `fn` in a daemon thread; its result or exception, or a failure when it blocks."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (blocked or endless read)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def finishes():
    return _finishes


# --- hung network mounts -------------------------------------------------------------------------


class Clock:
    """`time.monotonic` for `cache.clock`, moved on by hand (`advance`)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class _Hanging(threading.Event):
    """`HardMount.hanging`: set, the mount has hung for longer than a good look at a folder
    stands for the web's pictures (`cache.ANSWERED_FOR`), so the next look is made and sees it
    (a picture asked for in that second after a good look opens its file, and would hang)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def set(self) -> None:
        from metarrd import cache

        self.clock.advance(cache.ANSWERED_FOR)
        super().set()


class HardMount:
    """Folders on a hard NFS mount whose server stopped answering (`hard_mount`): while `hanging`
    is set, each patched call on a path under one of `folders` waits until `release` is set (the
    server back), as a stat of such a mount waits, uninterruptibly, for ever."""

    def __init__(self, folders) -> None:
        self.folders = [os.fspath(f) for f in folders]
        self.clock = Clock()
        self.hanging = _Hanging(self.clock)
        self.release = threading.Event()

    def hang(self, folder) -> None:
        """`folder` stops answering too, from now on."""
        self.folders.append(os.fspath(folder))
        self.hanging.set()

    def waits(self, real):
        def call(path, *args, **kwargs):
            named = isinstance(path, (str, bytes, os.PathLike))  # not a file descriptor
            if (
                self.hanging.is_set()
                and named
                and os.fsdecode(path).startswith(tuple(self.folders))
            ):
                self.release.wait(60)
            return real(path, *args, **kwargs)

        return call


# How long a look at a folder (`mounts.root_identity`) waits, in the tests of a hung mount,
# before the folder counts as not answering (5 s in the product). It bounds the looks at the
# folders that do answer as well: 0.3 s was too short for them on a loaded machine (a load
# average of 14 on 2 cores, two busy threads in the process: a look at a local folder took up
# to 0.7 s, 0.5 s at the 99th percentile), and such a folder counted as hung. Each look at a
# hung folder waits it out once: `finishes` (10 s) still holds two of them and the work.
HUNG_LOOK_SECONDS = 1.5


def hard_mount(monkeypatch, *folders, calls=("stat", "lstat", "scandir", "listdir")) -> HardMount:
    """`folders` on a hard mount that hangs once the result's `hanging` is set (`hang` adds
    one); the looks at a folder (`mounts.root_identity`) give up after HUNG_LOOK_SECONDS. The caller
    sets `release` when its test ends, so that no thread of it is left waiting. Good looks at
    the cache kept for the web's pictures (`cache.unanswered`) start afresh, on `mount.clock`."""
    from metarrd import cache, mounts

    mount = HardMount(folders)
    monkeypatch.setattr(mounts, "ROOT_CHECK_TIMEOUT", HUNG_LOOK_SECONDS)
    monkeypatch.setattr(mounts, "_hanging", {})
    monkeypatch.setattr(cache, "_answered", {})
    monkeypatch.setattr(cache, "clock", mount.clock)
    for name in calls:
        monkeypatch.setattr(os, name, mount.waits(getattr(os, name)))
    return mount


def no_entry(monkeypatch, *folders) -> None:
    """`folders` as a 0700 folder of another user looks to us (a Synology `#snapshot`, a movie
    folder Radarr made as its own user, a root-squashed NFS export's root folder): it can be
    stat'ed, not listed, and nothing below it can be stat'ed or opened (EACCES, each call). We
    run as root, whose looks no mode refuses; a bare `scandir` patch let the scan's later
    `stat`s below such a folder succeed, as they never do."""
    import builtins

    denied = [os.fspath(f) for f in folders]

    def refused(path) -> bool:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return False  # a file descriptor
        path = os.path.abspath(os.fsdecode(path))
        return any(path.startswith(f + os.sep) for f in denied)

    def guard(real, *, listing: bool = False):
        def call(path=".", *args, **kwargs):
            if refused(path) or (listing and os.path.abspath(os.fsdecode(path)) in denied):
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return real(path, *args, **kwargs)

        return call

    for name in ("stat", "lstat", "open"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    for name in ("scandir", "listdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name), listing=True))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))


def no_read(monkeypatch, *files) -> None:
    """`files` as a file of mode 000, or 0600 of another user, looks to us: it can be stat'ed
    (its folder is ours), not opened (EACCES). We run as root, for whom no mode refuses."""
    import builtins

    denied = {os.path.abspath(os.fspath(f)) for f in files}

    def guard(real):
        def call(path, *args, **kwargs):
            named = isinstance(path, (str, bytes, os.PathLike))
            if named and os.path.abspath(os.fsdecode(path)) in denied:
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """The process umask `mask` (systemd's `UMask=`, a container's `UMASK`) for the block, and
    the one before put back after it; set as metarrd sets it (`atomic.set_umask`)."""
    from metarrd.atomic import set_umask

    before = set_umask(mask)
    try:
        yield
    finally:
        set_umask(before)


def other_group() -> int:
    """A group not our own we may give a file (the `media` group Radarr, Sonarr, Kodi and
    tinyMediaManager share): any as root, else one we are a member of."""
    if os.geteuid() == 0:
        return 4242
    groups = [g for g in os.getgroups() if g != os.getegid()]
    if not groups:
        pytest.skip("needs root or a supplementary group")
    return groups[0]


@contextlib.contextmanager
def sqlite_statements() -> Iterator[list[str]]:
    """The SQL this thread's SQLite connection runs (the sqlite3 trace callback); skips the test
    on another backend (the plan is the same SQL)."""
    from metarrd import db

    seen: list[str] = []
    connection = db.database.connection()
    if not hasattr(connection, "set_trace_callback"):
        pytest.skip("counts statements with SQLite's trace callback (the plan is the same SQL)")
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


def sqlites_snapshot_error(path) -> Exception:
    """SQLite's other "database is locked" (SQLITE_BUSY_SNAPSHOT), as it is raised: a
    transaction on the open database read, another connection to `path` wrote, then the
    transaction came to write; refused at once, with no wait."""
    import peewee as pw

    from metarrd import db

    other = sqlite3.connect(str(path), isolation_level=None)
    try:
        with db.database.atomic():  # a deferred transaction: BEGIN, a read, then a write
            db.Event.select().count()
            other.execute("INSERT INTO events (kind, message, level, data, created_at) "
                          "VALUES ('test', '', 'info', '{}', '2026-12-06 22:00:00')")  # fmt: skip
            try:
                db.Event.create(kind="test")
            except pw.OperationalError as exc:
                return exc
    finally:
        other.close()
    raise AssertionError("the write was not refused")


def two_cd_rip(folder: Path, stack: str = "files") -> list[Path]:
    """`Magnolia (1999)`, an XviD rip on two CDs, in `folder`: `Magnolia (1999) cd1.avi` and
    `cd2.avi` (a file stack), or `CD1/magnolia.cd1.avi` and `CD2/...` (Kodi's folder stack)
    when `stack` is "folders". Its parts, in order."""
    if stack == "files":
        parts = [folder / f"Magnolia (1999) cd{n}.avi" for n in (1, 2)]
    else:
        parts = [folder / f"CD{n}" / f"magnolia.cd{n}.avi" for n in (1, 2)]
    for part in parts:
        part.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(__file__).resolve().parent / "media" / "xvid_mp3.avi", part)
    return parts


class HungDns:
    """The resolver of a NAS whose DNS server is dead, for the names given: a lookup of
    `hang(name, address)`'s name waits until `release()` (a real resolver: for its own
    timeouts), then answers `address`; the first `after` lookups answer at once. Other names
    resolve as usual. `asked`: (name, thread name) of each lookup of those names."""

    def __init__(self, real) -> None:
        self.real = real
        self.names: dict[str, tuple[str, int]] = {}
        self.released = threading.Event()
        self.asked: list[tuple[str, str]] = []

    def hang(self, name: str, address: str, after: int = 0) -> None:
        self.names[name] = (address, after)

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self.names:
            return self.real(host, port, *args, **kwargs)
        address, after = self.names[host]
        self.asked.append((host, threading.current_thread().name))
        if len(self.asked) > after:
            self.released.wait(20)
        return self.real(address, port, *args, **kwargs)

    def release(self) -> bool:
        """The resolver answers at last; True once every lookup thread has ended with it."""
        self.released.set()
        for thread in threading.enumerate():
            if thread.name.startswith("lookup "):
                thread.join(10)
        return not any(t.name.startswith("lookup ") for t in threading.enumerate())


@pytest.fixture
def hung_dns(monkeypatch) -> Iterator[HungDns]:
    dns = HungDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    yield dns
    dns.release()


@pytest.fixture
def exfat_dir(tmp_path) -> Iterator[Path]:
    """A folder on a real exFAT file system: exfat-fuse on a 64 MB loop image, as a USB disk
    plugged into a NAS or a media player is often mounted. It ignores letter case, has no hard
    links and no modes, and gives a file looked up in other letters an inode number of its own
    (FUSE without `use_ino`). Skipped where it cannot be made: not root, no `/dev/fuse`, no
    loop device, or no `mkfs.exfat` and `mount.exfat-fuse` (`apt-get install exfatprogs
    exfat-fuse`); `tests.caseless` gives that behaviour everywhere."""
    if os.geteuid() != 0:
        pytest.skip("mounting an exFAT image needs root")
    tools = ("mkfs.exfat", "mount.exfat-fuse", "losetup")
    if not os.path.exists("/dev/fuse") or not all(shutil.which(t) for t in tools):
        pytest.skip("no FUSE or no exFAT tools (apt-get install exfatprogs exfat-fuse)")
    image, folder = tmp_path / "exfat.img", tmp_path / "exfat"
    folder.mkdir()
    with open(image, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.exfat", str(image)], capture_output=True, check=True)
    made = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"no loop device: {made.stderr.strip()}")
    device = made.stdout.strip()
    try:
        mounted = subprocess.run(
            ["mount.exfat-fuse", "-o", "uid=0,gid=0", device, str(folder)],
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount exFAT here: {mounted.stderr.strip()}")
        try:
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], check=False)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


@pytest.fixture
def small_data_dir(tmp_path) -> Iterator[Path]:
    """A data folder (the SQLite database, its temp files, the cache) on a small file system of
    its own (a 40 MB tmpfs), to fill for real: tests/test_disk_full.py and the publish tests of
    a copy into the cache failing on a full disk. Skipped where no tmpfs can be mounted (not
    root, a container without the right); the injected disk-full tests cover the logic."""
    data = tmp_path / "data"
    data.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(data)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield data
    subprocess.run(["umount", "-l", str(data)], check=False)
