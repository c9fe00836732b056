"""Fixtures for the web tests: the app on a temp data folder (rows seeded directly), its test
client with a CSRF token at hand, the app served on loopback for the Chromium tests (`site`), the
headless Chromium they drive (`browser`), and a statement counter for query-count assertions."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db
from metarrd.web import DevServer, attempts, create_app


class ModuleTime:
    """The `time` module as one module of metarrd sees it (set as `that_module.time`):
    `time.time()` `ahead` seconds later, the rest the real module's. The rest of the process
    (the database, the session cookie's signature, logging) keeps the real time, so a test
    that moves the clock on checks that module's handling of it, not another's."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead

    def time(self) -> float:
        return time.time() + self.ahead

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture(autouse=True)
def _refusals_logged_anew(monkeypatch):
    """Each test sees the first line of each kind of refusal (attempts.logged_refusal): the
    count of those left unsaid is per process, and another test's would hush this one's."""
    monkeypatch.setattr(attempts, "_said", {})


@pytest.fixture
def local_zone(monkeypatch):
    """The process's local time zone set to a name (TZ, as a systemd unit or a NAS sets it)."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def config(config_factory):
    return config_factory()


@pytest.fixture
def app(config):
    app = create_app(config, testing=True)
    yield app
    if not db.database.is_closed():
        db.database.close()


class Client:
    """Flask's test client plus the session's CSRF token (read from a rendered page)."""

    def __init__(self, flask_client) -> None:
        self.c = flask_client
        self._token: str | None = None

    def __getattr__(self, name):
        return getattr(self.c, name)

    @property
    def token(self) -> str:
        if self._token is None:
            page = self.c.get("/settings").get_data(as_text=True)
            self._token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self._token

    def post(self, url: str, data: dict | None = None, *, htmx: bool = False, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        headers = dict(kw.pop("headers", {}))
        if htmx:
            headers["HX-Request"] = "true"
        return self.c.post(url, data=data, headers=headers, **kw)

    def hx_get(self, url: str, **kw):
        return self.c.get(url, headers={"HX-Request": "true"}, **kw)


def cookie_name(app, base: str, base_url: str = "http://localhost/") -> str:
    """The name `app` gives its cookie `base` (metarrd/web/cookies.py) for a browser at `base_url`."""
    from metarrd.web import cookies

    with app.test_request_context(base_url=base_url):
        return cookies.name(base)


@pytest.fixture
def client(app) -> Client:
    return Client(app.test_client())


@pytest.fixture
def library(config) -> db.Library:
    return db.Library.get(db.Library.name == "Movies")


def jpeg(color=(200, 40, 40), size=(20, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


class Seeder:
    """Rows straight into the database, as the daemon would have left them."""

    def __init__(self, config) -> None:
        self.config = config
        self.library = db.Library.get(db.Library.name == "Movies")
        self.n = 0

    def movie(self, title: str = "The Matrix", year: int | None = 1999, **values) -> db.Movie:
        self.n += 1
        path = Path(self.library.path) / f"{title} ({year})" / f"{title} ({year}).mkv"
        values.setdefault("identification_status", db.ENRICHED)
        values.setdefault("tmdb_id", 600 + self.n)
        return db.Movie.create(
            library=self.library, path=str(path), title=title, year=year, **values
        )

    def asset(self, movie: db.Movie, asset_type: str = "poster", *, preview: bool = True, **values):
        self.n += 1
        values.setdefault("provider", "tmdb")
        values.setdefault("url", f"http://127.0.0.1:9/{asset_type}/{self.n}.jpg")
        values.setdefault("score", 0.5)
        values.setdefault("width", 1000)
        values.setdefault("height", 1500)
        values.setdefault("language", "en")
        values.setdefault("score_breakdown", {"resolution": 0.3, "language": 0.2})
        if preview and "preview_path" not in values:
            rel = Path(asset_type) / f"{self.n:04d}.jpg"
            target = self.config.previews_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(jpeg((self.n * 37 % 255, 80, 120)))
            values["preview_path"] = str(target)
        return db.ArtworkCandidate.create(movie=movie, asset_type=asset_type, **values)

    def many(self, count: int, **values) -> list[int]:
        """`count` movies inserted in bulk (for paging and query-count tests)."""
        rows = [
            {
                "library": self.library.id,
                "path": f"{self.library.path}/Film {i:05d}/Film {i:05d}.mkv",
                "title": f"Film {i:05d}",
                "year": 1950 + i % 70,
                "identification_status": values.get("identification_status", db.ENRICHED),
                "publish_state": values.get("publish_state", db.UNPUBLISHED),
            }
            for i in range(count)
        ]
        with db.database.atomic():
            for start in range(0, len(rows), 500):
                db.Movie.insert_many(rows[start : start + 500]).execute()
        return [m.id for m in db.Movie.select(db.Movie.id)]


@pytest.fixture
def seed(app, config) -> Seeder:
    return Seeder(config)


@pytest.fixture
def site(config):
    """(url, seeder) of the web UI served on loopback by a thread, without the daemon (a queued
    job stays queued): what the Chromium tests drive, with rows seeded straight into its
    database."""
    server = DevServer(create_app(config)).start()
    yield server.url, Seeder(config)
    server.stop()
    if not db.database.is_closed():
        db.database.close()


@pytest.fixture
def sim_stack(config_factory, simulator):
    """(client, seeder) of an app wired to the simulator, with the queue in immediate mode: a job
    the page queues runs at once in the test, as the daemon would run it."""
    from metarrd.pipeline import jobs, queue

    config = config_factory(simulator)
    app = create_app(config, testing=True)
    queue.configure(config, immediate=True)
    jobs.bind(app.extensions["metarrd.runtime"])
    yield Client(app.test_client()), Seeder(config)
    app.extensions["metarrd.runtime"].close()


class QueryCounter:
    """SQL statements this thread runs (other threads, e.g. a leftover worker, do not count)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __enter__(self):
        self._orig = db.database.obj.execute_sql
        me = threading.get_ident()

        def counting(sql, params=None, *args, **kwargs):
            skip = sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
            if threading.get_ident() == me and not skip:
                self.statements.append(sql)
            return self._orig(sql, params, *args, **kwargs)

        db.database.obj.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.database.obj.execute_sql = self._orig

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries() -> Iterator[type[QueryCounter]]:
    yield QueryCounter


# --- one headless Chromium for the browser tests -------------------------------------------------
# Launching Chromium took a second or more of each browser test's set-up (39 of them). The tests
# share one browser; each opens contexts of its own (cookies, storage, cache and pages of its
# own, as a new browser profile has), and every context a test left open is closed after it.

CHROMIUM = os.environ.get("METARRD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """The session's headless Chromium (Playwright's Browser); tests use `browser`."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run .ci/install-browser.sh (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def browser(chromium) -> Iterator:
    """The shared Chromium, with no context open; the contexts the test opens are closed after
    it."""
    if not chromium.is_connected():
        pytest.fail("the shared Chromium has gone (crashed in an earlier test)")
    assert not chromium.contexts, "a context left open by an earlier test"
    yield chromium
    for context in chromium.contexts:
        context.close()
