"""End to end in a real headless Chromium: the web UI in this process, the daemon as a separate
process (`metarrd run`), providers from the simulator. Open the library, enrich an item and watch
its badge change live, swap its poster, edit and lock its plot, publish, and check the files on
disk. Screenshots of every page go to $METARRD_SCREENSHOTS (docs/screenshots/ via
`make screenshots`), else to the test's temp folder.

A missing browser FAILS these tests (CI installs it with .ci/install-browser.sh); never skipped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metarrd import db
from metarrd.demo import sample_video

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

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
LIVE_SECONDS = 2.0  # the promise: open pages update within 2 s of the event
JOB_SECONDS = 60.0  # how long a job may take on a slow CI machine
MOVIES = ("The Matrix (1999)", "Alien (1979)", "The Thing")


def wait_for(predicate, timeout: float, what: str, proc=None, log: Path | None = None):
    """Poll `predicate`; give up early when the daemon died or a job failed."""
    deadline = time.monotonic() + timeout
    started = db.Event.select(db.Event.id).order_by(db.Event.id.desc()).scalar() or 0
    problem = "timed out"
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            problem = f"the daemon exited with status {proc.returncode}"
            break
        failed = db.Event.get_or_none((db.Event.id > started) & (db.Event.level == "error"))
        if failed is not None:
            problem = f"{failed.kind}: {failed.message}"
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"waiting for {what}: {problem}\n--- daemon log ---\n{tail}")


def toml_config(tmp: Path, sim) -> str:
    return f"""
data_dir = "{tmp / "data"}"
[[library]]
name = "Movies"
path = "{tmp / "movies"}"
[providers]
timeout_seconds = 10.0
max_retries = 2
[providers.tmdb]
api_key = "{sim.tmdb_key}"
base_url = "{sim.tmdb_url}"
[providers.fanart]
api_key = "{sim.fanart_key}"
base_url = "{sim.fanart_url}"
[providers.tvdb]
api_key = "{sim.tvdb_key}"
base_url = "{sim.tvdb_url}"
[workflow]
enrichment = false   # the test presses Enrich itself
[daemon]
settle_seconds = 0.5
"""


@pytest.fixture
def stack(tmp_path, simulator):
    """Library on disk, daemon process, web server thread; yields (config, url, daemon log)."""
    from metarrd.config import load_config
    from metarrd.web import DevServer, create_app

    sim = simulator
    art = sim.catalog.get(603).images  # The Matrix: two posters that cannot be used
    sim.corrupt("/t/p/*" + art.posters[6].file_path, "html")
    sim.not_found(art.fanart["movieposter"][-1].key)
    for name in MOVIES:
        folder = tmp_path / "movies" / name
        folder.mkdir(parents=True)
        shutil.copyfile(sample_video(), folder / f"{name}.mkv")
    config_path = tmp_path / "config.toml"
    config_path.write_text(toml_config(tmp_path, sim))
    config = load_config(config_path)
    app = create_app(config)
    server = DevServer(app).start()
    log_path = tmp_path / "daemon.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with open(log_path, "w") as log_file:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "metarrd.cli", "--config", str(config_path), "run"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_for(
            lambda: (
                db.Movie.select().where(db.Movie.identification_status == db.IDENTIFIED).count()
                == 2
            ),
            JOB_SECONDS,
            "the daemon to scan and identify the library",
            daemon,
            log_path,
        )
        yield config, server.url, log_path, daemon
    finally:
        daemon.send_signal(2)  # SIGINT, as systemd stops it
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        server.stop()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run .ci/install-browser.sh (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def shots_dir(tmp_path: Path) -> Path:
    target = os.environ.get("METARRD_SCREENSHOTS")
    folder = Path(target) if target else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, folder: Path, name: str, full_page: bool = True) -> None:
    page.evaluate(
        """() => Promise.all([...document.images].map(img => {
             img.loading = 'eager';
             return img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });
           }))"""
    )
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def element_shot(page, selector: str, folder: Path, name: str, max_height: int = 1300) -> None:
    """A screenshot of one part of the page (at most `max_height` pixels of it)."""
    target = page.locator(selector)
    target.scroll_into_view_if_needed()
    unstick = "(on) => document.querySelectorAll('.topbar, .sections').forEach(e => {"
    unstick += " e.style.position = on ? 'static' : ''; })"
    page.evaluate(unstick, True)  # sticky bars would show up mid-picture
    screenshot(page, folder, name + "-tmp", full_page=False)  # loads the images
    (folder / f"{name}-tmp.png").unlink()
    box = target.bounding_box()  # relative to the viewport; the clip is relative to the page
    scroll_x, scroll_y = page.evaluate("() => [window.scrollX, window.scrollY]")
    page.screenshot(
        path=str(folder / f"{name}.png"),
        full_page=True,
        clip={
            "x": max(box["x"] + scroll_x - 16, 0),
            "y": max(box["y"] + scroll_y - 16, 0),
            "width": box["width"] + 32,
            "height": min(box["height"] + 32, max_height),
        },
    )
    page.evaluate(unstick, False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_review_flow_in_a_real_browser(stack, browser, tmp_path):
    config, url, log_path, daemon = stack
    shots = shots_dir(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, color_scheme="light")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    matrix = db.Movie.get(db.Movie.title == "The Matrix")

    # 1. The library, with the item identified but not enriched yet.
    page.goto(url + "/")
    row = page.locator(f"#movie-{matrix.id}")
    assert row.locator(".badge").inner_text() == "Identified"
    assert page.locator("#movie-3 .badge, .badge", has_text="Unidentified").count() >= 1
    page.wait_for_function("() => !!document.body && document.readyState === 'complete'")
    screenshot(page, shots, "library-before")

    # 2. Enrich it and watch the badge change without a reload.
    page.evaluate("() => { window.__sameDocument = true; }")
    row.get_by_role("button", name="Enrich").click()
    page.locator(f"#movie-{matrix.id} .job", has_text="enrich").wait_for(timeout=15000)
    event = wait_for(
        lambda: db.Event.get_or_none(
            (db.Event.kind == "enrich.done") & (db.Event.movie == matrix.id)
        ),
        JOB_SECONDS,
        "enrich.done from the daemon",
        daemon,
        log_path,
    )
    assert event is not None
    badge = page.locator(f"#movie-{matrix.id} .badge")
    badge.filter(has_text="Enriched – Unpublished").wait_for(timeout=LIVE_SECONDS * 1000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert page.locator(f"#movie-{matrix.id} img.thumb").count() == 1  # poster preview
    screenshot(page, shots, "library")

    # 3. The item page: swap the poster.
    row.get_by_role("link", name="The Matrix").click()
    page.wait_for_url(f"**/movies/{matrix.id}")
    page.locator("#preview .plan, #preview .empty-inline").first.wait_for(timeout=20000)
    screenshot(page, shots, "item", full_page=False)
    posters = page.locator("#art-poster")
    posters.locator("summary", has_text="Alternatives").click()
    alternative = posters.locator(".art-grid > .art-card").first
    chosen_id = int(alternative.get_attribute("id").removeprefix("asset-"))
    alternative.get_by_role("button", name="Use this poster as #1").click()
    page.locator(f"#art-poster .art-selected #asset-{chosen_id}").wait_for(timeout=15000)
    first = page.locator("#art-poster .art-selected .art-card").first
    assert first.get_attribute("id") == f"asset-{chosen_id}"
    assert "your choice" in first.inner_text()
    assert page.locator("#art-poster .lock").get_attribute("aria-pressed") == "true"
    asset = db.ArtworkCandidate.get_by_id(chosen_id)
    assert (asset.is_selected, asset.rank, asset.selected_by) == (True, 1, "user")
    # copies of one picture fold under it; the posters that could not be used say why
    copies = posters.locator(".art-selected details.copies").first
    copies.locator(":scope > summary").click()
    assert "Same picture from" in copies.inner_text()
    rejected = posters.locator("details.art-rejected")
    rejected.locator(":scope > summary", has_text="Rejected (2)").click()
    assert "HTTP 404" in rejected.inner_text() or "404" in rejected.inner_text()
    assert "HTML" in rejected.inner_text()
    first.locator("details.score > summary").click()  # the score explains itself
    assert "resolution" in first.locator("details.score").inner_text()
    element_shot(page, "#art-poster", shots, "item-artwork", max_height=1800)

    # 4. Edit the plot (keyboard only) and check it is locked.
    new_plot = "Neo takes the red pill. Edited in the review UI."
    page.locator("#field-plot").get_by_role("button", name="Edit").click()
    editor = page.locator("#input-plot")
    editor.wait_for()
    assert editor.evaluate("el => el === document.activeElement")
    editor.fill(new_plot)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Save
    page.locator("#field-plot .field-value", has_text=new_plot).wait_for(timeout=15000)
    assert page.locator("#field-plot .lock").get_attribute("aria-pressed") == "true"
    fresh = db.Movie.get_by_id(matrix.id)
    assert fresh.plot == new_plot and "plot" in fresh.locked_fields
    page.locator("#preview").get_by_role("button", name="Refresh preview").click()
    page.locator("#preview .diff", has_text="Edited in the review UI").wait_for(
        state="attached", timeout=20000
    )
    page.locator("#preview details.nfo-diff:not([open]) > summary").click()
    page.locator("#preview .diff .add", has_text="Edited in the review UI").wait_for()
    element_shot(page, "#publish-preview", shots, "item-preview")

    # 5. Publish and watch the header follow the publish.done event.
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("#item-header").get_by_role("button", name="Publish").click()
    wait_for(
        lambda: db.Event.get_or_none(
            (db.Event.kind == "publish.done") & (db.Event.movie == matrix.id)
        ),
        JOB_SECONDS,
        "publish.done from the daemon",
        daemon,
        log_path,
    )
    page.locator("#item-header .badge", has_text="Published").wait_for(timeout=LIVE_SECONDS * 1000)
    assert page.evaluate("() => window.__sameDocument === true")

    # 6. The files on disk.
    folder = Path(matrix.path).parent
    nfo = folder / "The Matrix (1999).nfo"
    assert new_plot in nfo.read_text(encoding="utf-8")
    poster_files = sorted(folder.glob("The Matrix (1999)-poster.*"))
    assert len(poster_files) == 1
    assert sha256(poster_files[0]) == asset.content_hash
    assert (folder / ".actors").is_dir() and any((folder / ".actors").iterdir())

    # 7. The other pages.
    page.goto(url + "/identify")
    thing = db.Movie.get(db.Movie.path.endswith("The Thing.mkv"))
    assert "The Thing" in page.locator("main").inner_text()
    screenshot(page, shots, "identify")
    page.goto(f"{url}/movies/{thing.id}/identify")
    page.locator(".candidate").first.wait_for()
    # a TMDB search by the daemon: the candidates replace the list live; nothing is identified
    page.locator("#search-year").fill("2011")
    page.get_by_role("button", name="Search").click()
    page.locator(
        ".search-state", has_text="Results of your search for “The Thing” (2011)"
    ).wait_for(timeout=JOB_SECONDS * 1000)
    assert "TMDB 60935" in page.locator(".candidate").first.inner_text()
    assert db.Movie.get_by_id(thing.id).identification_status == db.UNIDENTIFIED
    screenshot(page, shots, "identify-item")
    page.goto(url + "/activity")
    page.locator("#activity .timeline").wait_for()
    screenshot(page, shots, "activity")
    page.goto(url + "/settings")
    screenshot(page, shots, "settings")
    assert config.providers.tmdb.api_key not in page.content()

    # 8. Dark mode and a phone.
    dark = browser.new_context(viewport={"width": 1280, "height": 860}, color_scheme="dark")
    dark_page = dark.new_page()
    dark_page.goto(f"{url}/movies/{matrix.id}")
    dark_page.locator("#preview .plan").wait_for(timeout=20000)
    screenshot(dark_page, shots, "item-dark", full_page=False)
    dark.close()
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone_page = phone.new_page()
    phone_page.goto(url + "/")
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the library page scrolls sideways on a phone ({width}px)"
    screenshot(phone_page, shots, "library-phone", full_page=False)
    phone_page.goto(f"{url}/movies/{matrix.id}")
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the item page scrolls sideways on a phone ({width}px)"
    screenshot(phone_page, shots, "item-phone", full_page=False)
    phone.close()

    assert not problems, problems
    context.close()
