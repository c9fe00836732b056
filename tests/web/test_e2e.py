"""End to end in a real headless Chromium (1366×900 and a 390×844 phone): the web UI in this
process, the daemon as a separate process (`metarrd run`), providers from the simulator. Every
journey: the poster wall (bulk enrich, live badges and counts, ticks cleared), the table (sorting
both ways), the item page's tabs, the artwork viewer, a swap and its undo, a keyboard edit, the
publish preview and publishing from it, the review walk by keyboard, identify (search, a wrong
id said once), the health dashboard, activity, settings (scan now), dark mode and a phone. No
console error and no Content-Security-Policy violation anywhere. Screenshots go to
$METARRD_SCREENSHOTS (docs/screenshots/ via `make screenshots`), else to the test's temp folder.

A missing browser FAILS these tests (CI installs it with .ci/install-browser.sh); never skipped.
"""

from __future__ import annotations

import contextlib
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
    sim = simulator
    art = sim.catalog.get(603).images  # The Matrix: two posters that cannot be used
    sim.corrupt("/t/p/*" + art.posters[6].file_path, "html")
    gone = art.fanart["movieposter"][-1].key  # deleted at fanart.tv: its preview 404s too
    sim.not_found(gone)
    sim.not_found("/preview/" + gone.removeprefix("/fanart/"))
    for name in MOVIES:
        folder = tmp_path / "movies" / name
        folder.mkdir(parents=True)
        shutil.copyfile(sample_video(), folder / f"{name}.mkv")
    config_path = tmp_path / "config.toml"
    config_path.write_text(toml_config(tmp_path, sim))
    with web_and_daemon(config_path, tmp_path) as (config, server, log_path, daemon):
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


@contextlib.contextmanager
def web_and_daemon(config_path: Path, tmp_path: Path):
    """The web server (a thread) and `metarrd run` (a process, logging to daemon.log) on one
    configuration; yields (config, server, log path, daemon); stops both as systemd would."""
    from metarrd.config import load_config
    from metarrd.web import DevServer, create_app

    config = load_config(config_path)
    server = DevServer(create_app(config)).start()
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
        yield config, server, log_path, daemon
    finally:
        daemon.send_signal(2)  # SIGINT, as systemd stops it
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        server.stop()


def shots_dir(tmp_path: Path) -> Path:
    target = os.environ.get("METARRD_SCREENSHOTS")
    folder = Path(target) if target else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, folder: Path, name: str, full_page: bool = True) -> None:
    if full_page:  # the sticky top bar would show up mid-picture (a test-only style)
        page.evaluate(
            "() => document.querySelectorAll('.topbar').forEach(e => {"
            " e.style.position = 'static'; })"
        )
    page.evaluate(
        """() => Promise.all([...document.images].map(img => {
             img.loading = 'eager';
             return img.complete ? null : new Promise(r => { img.onload = img.onerror = r; });
           }))"""
    )
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def element_shot(page, selector: str, folder: Path, name: str, max_height: int = 1300) -> None:
    """A screenshot of one part of the page (at most `max_height` pixels of it), without the
    toasts of what the test did before."""
    page.evaluate("() => { const t = document.getElementById('toast'); if (t) t.innerHTML = ''; }")
    target = page.locator(selector)
    target.scroll_into_view_if_needed()
    unstick = "(on) => document.querySelectorAll('.topbar, .action-bar').forEach(e => {"
    unstick += " e.style.position = on ? 'static' : ''; })"
    page.evaluate(unstick, True)  # sticky bars would show up mid-picture (a test-only style)
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


# Records what the page's Content-Security-Policy refused (the console says it too, as an error).
CSP_WATCH = """
window.__csp = [];
document.addEventListener('htmx:sseOpen', () => { window.__live = true; });
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));
"""


def watch(page, problems: list[str]) -> None:
    page.add_init_script(CSP_WATCH)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console on {page.url}: {msg.text[:150]}")
            if msg.type == "error"
            else None
        ),
    )


def csp_violations(page) -> list[str]:
    return page.evaluate("() => window.__csp || []")


def settled(page, selector: str, timeout: float = 30000) -> None:
    """Wait until `selector` is on the page and htmx has settled the swap that brought it. New
    content is on the page a moment (htmx's 20 ms settle delay, far longer on a loaded machine)
    before htmx processes it: until then a button of it does nothing and Enter in a form of it
    sends a plain form POST (a 303, the page reloaded, a refusal as a toast instead of beside
    the field). htmx marks new content with the class `htmx-added` until it is settled."""
    page.wait_for_function(
        "(sel) => { const e = document.querySelector(sel);"
        " return !!e && !e.closest('.htmx-added') && !e.querySelector('.htmx-added'); }",
        arg=selector,
        polling=100,
        timeout=timeout,
    )


def open_editor(page, name: str) -> None:
    """Click field `name`'s Edit and wait until htmx has settled the form it swaps in."""
    page.locator(f"#field-{name} .edit").click()
    settled(page, f"form#field-{name}")


def test_review_flow_in_a_real_browser(stack, browser, tmp_path):
    config, url, log_path, daemon = stack
    shots = shots_dir(tmp_path)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme="light")
    page = context.new_page()
    problems: list[str] = []
    watch(page, problems)
    matrix = db.Movie.get(db.Movie.title == "The Matrix")
    alien = db.Movie.get(db.Movie.title == "Alien")

    # 1. The poster wall, with both items identified but not enriched yet.
    page.goto(url + "/")
    card = page.locator(f"#movie-{matrix.id}")
    assert card.locator(".badge").inner_text() == "Not enriched"
    assert page.locator(".poster-card .badge", has_text="Unidentified").count() == 1
    assert page.locator("#count-identified").inner_text() == "2"
    page.wait_for_function("() => document.readyState === 'complete'")
    screenshot(page, shots, "library-before", full_page=False)

    # 2. Bulk: tick The Matrix and enrich it; its badge and the counts change without a reload.
    page.evaluate("() => { window.__sameDocument = true; }")
    card.locator("input.pick").check()
    page.locator("#bulk").get_by_role("button", name="Enrich").click()
    page.locator("#toast", has_text="Enrich queued for 1 of 1 item").wait_for(timeout=15000)
    assert not page.locator(f"#sel-{matrix.id}").is_checked()  # the ticks go after a bulk action
    wait_for(
        lambda: db.Event.get_or_none(
            (db.Event.kind == "enrich.done") & (db.Event.movie == matrix.id)
        ),
        JOB_SECONDS,
        "enrich.done from the daemon",
        daemon,
        log_path,
    )
    badge = page.locator(f"#movie-{matrix.id} .badge")
    badge.filter(has_text="To review").wait_for(timeout=LIVE_SECONDS * 1000)
    page.locator("#count-unpublished", has_text="1").wait_for(timeout=LIVE_SECONDS * 1000)
    assert page.locator("#count-identified").inner_text() == "1"
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert page.locator(f"#movie-{matrix.id} .poster-link img").count() == 1  # poster preview
    # No artwork looks different. Both cards' classes come with their own live swaps (each
    # card its own event), so they are waited for, not read at once.
    page.wait_for_function(
        "() => document.querySelectorAll('.poster-card.no-art').length === 2",
        polling=100,  # animation frames may not come in a headless page
        timeout=LIVE_SECONDS * 1000,
    )
    screenshot(page, shots, "library", full_page=False)

    # 3. The table: headers sort both ways.
    page.locator('input[name="view"][value="table"]').check()
    page.locator("table.library-table").wait_for()
    page.locator("th.col-title a.sort").click()
    page.locator('th.col-title[aria-sort="descending"]').wait_for()
    names = page.locator("td.col-title a.title").all_inner_texts()
    assert names == sorted(names, key=str.lower, reverse=True), names
    assert "/movies/" not in page.locator("td.col-title .path").first.inner_text()  # relative
    screenshot(page, shots, "library-table", full_page=False)

    # 4. The item page: tabs; the artwork viewer; a swap says what it did and can be undone.
    page.goto(f"{url}/movies/{matrix.id}")
    assert page.locator("#tab-overview").get_attribute("aria-current") == "page"
    page.locator("#field-plot").wait_for()
    screenshot(page, shots, "item", full_page=False)
    page.locator("#tab-artwork").click()
    posters = page.locator("#art-poster")
    posters.wait_for()
    assert "tab=artwork" in page.url
    before = page.locator("#art-poster .art-selected .art-card").first.get_attribute("id")
    posters.locator(".art-alternatives > summary").click()
    alternative = posters.locator(".art-grid > .art-card").first
    chosen_id = int(alternative.get_attribute("id").removeprefix("asset-"))
    alternative.locator(".art-zoom").click()
    viewer = page.locator("#viewer[open]")
    viewer.wait_for(timeout=10000)
    assert "Size" in viewer.inner_text() and "Score" in viewer.inner_text()
    viewer.locator("img").evaluate("img => img.complete || new Promise(r => img.onload = r)")
    element_shot(page, "#viewer .viewer-inner", shots, "artwork-viewer")
    viewer.get_by_role("button", name="Use as #1").click()
    page.locator("#viewer").wait_for(state="hidden", timeout=10000)
    page.locator(f"#art-poster .art-selected #asset-{chosen_id}").wait_for(timeout=15000)
    toast = page.locator("#toast .toast")
    assert "is now poster #1" in toast.inner_text() and "locked" in toast.inner_text()
    toast.get_by_role("button", name="Undo").click()
    page.locator("#toast", has_text="Undone").wait_for(timeout=15000)
    assert page.locator("#art-poster .art-selected .art-card").first.get_attribute("id") == before
    assert page.locator("#art-poster .lock").get_attribute("aria-pressed") == "false"
    # now for real, from the card's own button (the alternatives stay open after an undo)
    page.locator(f"#asset-{chosen_id}").get_by_role("button", name="Use this poster as #1").click()
    page.locator(f"#art-poster .art-selected #asset-{chosen_id}").wait_for(timeout=15000)
    first = page.locator("#art-poster .art-selected .art-card").first
    assert first.get_attribute("id") == f"asset-{chosen_id}"
    assert page.locator("#art-poster .lock").get_attribute("aria-pressed") == "true"
    asset = db.ArtworkCandidate.get_by_id(chosen_id)
    assert (asset.is_selected, asset.rank, asset.selected_by) == (True, 1, "user")
    copies = posters.locator(".art-selected details.copies").first
    copies.locator(":scope > summary").click()
    assert "Same picture from" in copies.inner_text()
    rejected = posters.locator("details.art-rejected")
    rejected.locator(":scope > summary", has_text="Rejected (2)").click()
    assert "404" in rejected.inner_text() and "HTML" in rejected.inner_text()
    first.locator("details.score > summary").click()  # the score explains itself
    assert "resolution" in first.locator("details.score").inner_text()
    element_shot(page, "#art-poster", shots, "item-artwork", max_height=1800)

    # 5. Edit the plot (keyboard only) and check it is locked.
    page.keyboard.press("o")  # the Overview tab
    page.locator("#field-plot").wait_for()
    new_plot = "Neo takes the red pill. Edited in the review UI."
    page.locator("#field-plot").get_by_role("button", name="Edit").click()
    editor = page.locator("#input-plot")
    editor.wait_for()
    # the editor takes the focus (htmx settles the swap a moment after it appears)
    page.wait_for_function("() => document.activeElement?.id === 'input-plot'", timeout=5000)
    editor.fill(new_plot)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Save
    page.locator("#field-plot .field-value", has_text=new_plot).wait_for(timeout=15000)
    assert page.locator("#field-plot .lock").get_attribute("aria-pressed") == "true"
    fresh = db.Movie.get_by_id(matrix.id)
    assert fresh.plot == new_plot and "plot" in fresh.locked_fields

    # 6. "p" opens the preview: changed files and the NFO diff first; publish from there.
    page.locator("body").focus()
    page.keyboard.press("p")
    page.locator("#preview .publish-bar").wait_for(timeout=20000)
    page.locator("#preview .diff .add", has_text="Edited in the review UI").wait_for()
    text = page.locator("#preview").inner_text()
    assert text.index("NFO changes") < text.index("Refresh preview")
    element_shot(page, "#panel-publish", shots, "item-preview")
    page.evaluate("() => { window.__sameDocument = true; }")
    settled(page, "#preview #publish-now")
    page.locator("#publish-now").click()
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

    # 7. The files on disk.
    folder = Path(matrix.path).parent
    nfo = folder / "The Matrix (1999).nfo"
    assert new_plot in nfo.read_text(encoding="utf-8")
    poster_files = sorted(folder.glob("The Matrix (1999)-poster.*"))
    assert len(poster_files) == 1
    # the chosen picture (analysed from its small rendition) is downloaded whole at publish
    assert sha256(poster_files[0]) == db.ArtworkCandidate.get_by_id(asset.id).content_hash
    assert (folder / ".actors").is_dir() and any((folder / ".actors").iterdir())

    # 8. The review walk by keyboard; the shortcuts overlay.
    page.goto(url + "/?view=table")
    page.locator(f"#movie-{alien.id}").get_by_role("button", name="Enrich").click()
    wait_for(
        lambda: db.Event.get_or_none(
            (db.Event.kind == "enrich.done") & (db.Event.movie == alien.id)
        ),
        JOB_SECONDS,
        "enrich.done for Alien",
        daemon,
        log_path,
    )
    page.goto(f"{url}/movies/{matrix.id}")
    page.keyboard.press("?")
    page.locator("#shortcuts[open]").wait_for()
    assert "next item to review" in page.locator("#shortcuts").inner_text()
    page.keyboard.press("Escape")
    page.locator("#shortcuts").wait_for(state="hidden")
    page.keyboard.press("j")
    page.wait_for_url(f"**/movies/{alien.id}")

    # 9. Identify: a TMDB search lists candidates live; a wrong id is said once, in red.
    page.goto(url + "/identify")
    thing = db.Movie.get(db.Movie.path.endswith("The Thing.mkv"))
    assert "The Thing" in page.locator("main").inner_text()
    screenshot(page, shots, "identify")
    page.goto(f"{url}/movies/{thing.id}/identify")
    page.locator(".candidate").first.wait_for()
    page.locator("#search-year").fill("2011")
    page.get_by_role("button", name="Search").click()
    page.locator(
        ".search-state", has_text="Results of your search for “The Thing” (2011)"
    ).wait_for(timeout=JOB_SECONDS * 1000)
    assert "TMDB (60935)" in page.locator(".candidate").first.inner_text()
    assert page.locator(".candidate img.candidate-poster").count() >= 1  # the daemon's thumbnails
    assert "distance" not in page.locator("#identify").inner_text()
    assert db.Movie.get_by_id(thing.id).identification_status == db.UNIDENTIFIED
    screenshot(page, shots, "identify-item")
    page.locator("#paste-id").fill("987654321")
    page.locator("#paste-id").press("Enter")
    page.locator("#identify h1", has_text="Identifying").wait_for(timeout=10000)
    assert page.locator("#toast .tone-success").count() == 0  # never a green "queued"
    alert = page.locator("#identify .notice.tone-danger")
    alert.wait_for(timeout=JOB_SECONDS * 1000)
    message = alert.inner_text()
    assert page.locator("#identify").inner_text().count(message) == 1
    assert "`" not in page.locator("#identify").inner_text()

    # 10. Health, activity, settings.
    page.goto(url + "/health")
    page.locator("svg.chart").first.wait_for()
    page.locator('svg.chart a[aria-label^="Published"]').click()
    page.wait_for_url("**/?filter=published")
    assert page.locator(".poster-card .title").all_inner_texts() == ["The Matrix"]
    page.goto(url + "/health")
    screenshot(page, shots, "dashboard", full_page=False)
    page.goto(url + "/activity")
    page.locator("#activity .timeline").wait_for()
    assert "enrich.done" not in page.locator("#activity").inner_text()  # words, not codes
    failures = page.locator(".failures li", has_text="987654321")
    assert failures.count() == 1 and failures.get_by_role("button", name="Retry").count() == 0
    screenshot(page, shots, "activity")
    page.goto(url + "/settings")
    page.locator("#libraries").get_by_role("button", name="Scan now").click()
    page.locator("#toast", has_text="Scanning Movies").wait_for(timeout=10000)
    page.locator("#provider-tmdb").get_by_role("button", name="Test connection").click()
    page.locator("#provider-tmdb", has_text="reached; the key works").wait_for(
        timeout=JOB_SECONDS * 1000
    )
    screenshot(page, shots, "settings")
    assert config.providers.tmdb.api_key not in page.content()
    assert not csp_violations(page)

    # 11. Dark mode and a phone.
    dark = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme="dark")
    dark_page = dark.new_page()
    watch(dark_page, problems)
    dark_page.goto(f"{url}/movies/{matrix.id}")
    dark_page.locator("#field-plot").wait_for()
    screenshot(dark_page, shots, "item-dark", full_page=False)
    dark_page.goto(url + "/")
    screenshot(dark_page, shots, "library-dark", full_page=False)
    assert not csp_violations(dark_page)
    dark.close()
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone_page = phone.new_page()
    watch(phone_page, problems)
    for path, name in (
        ("/", "library-phone"),
        (f"/movies/{matrix.id}", "item-phone"),
        ("/health", "dashboard-phone"),
        (f"/movies/{thing.id}/identify", None),
        ("/activity", None),
        ("/settings", None),
    ):
        phone_page.goto(url + path)
        # the page's live stream is open (leaving while it connects is an error htmx logs)
        phone_page.wait_for_function("() => window.__live === true")
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
        if name:
            screenshot(phone_page, shots, name, full_page=False)
    # sticky bars: on a phone only the item's action bar stays, and it is small
    phone_page.goto(f"{url}/movies/{matrix.id}")
    phone_page.evaluate("() => window.scrollTo(0, 1500)")
    stuck = phone_page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
             const s = getComputedStyle(e);
             return (s.position === 'sticky' || s.position === 'fixed') && e.offsetHeight > 0
               && e.getBoundingClientRect().top < 5;
           }).reduce((h, e) => h + e.getBoundingClientRect().height, 0)"""
    )
    assert stuck <= 844 * 0.12, f"sticky bars take {stuck}px of a phone's 844"
    # the artwork viewer on a phone
    phone_page.goto(f"{url}/movies/{matrix.id}?tab=artwork")
    phone_page.wait_for_function("() => window.__live === true")  # closing while it connects logs
    phone_page.locator("#art-poster .art-selected .art-zoom").first.click()
    phone_page.locator("#viewer[open]").wait_for()
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not csp_violations(phone_page)
    phone.close()

    assert not problems, "\n".join(problems)
    context.close()


@pytest.fixture
def tv_stack(tmp_path):
    """A TV show as TV enrich leaves it (seasons, episodes, one file without numbers) beside a
    movie, served by the web UI alone (no daemon: a queued job stays queued)."""
    from metarrd.config import parse_config
    from metarrd.web import DevServer, create_app
    from tests.publish.tvshow import UNNUMBERED, build_show
    from tests.web.conftest import Seeder, jpeg

    for name in ("tv", "movies"):
        (tmp_path / name).mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [
                {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
                {"name": "Movies", "path": str(tmp_path / "movies"), "kind": "movie"},
            ],
        }
    )
    app = create_app(config)
    built = build_show(app.extensions["metarrd.runtime"], unnumbered=[UNNUMBERED])
    built.show.numbering_note = "TheTVDB numbers the specials differently from TMDB."
    built.show.save()
    Seeder(config).movie("The Matrix", 1999)
    # previews for the posters (the wall and the season list show them)
    posters = db.ArtworkCandidate.select().where(
        db.ArtworkCandidate.asset_type.in_(("poster", "thumb", "fanart"))
    )
    for i, asset in enumerate(posters):
        target = config.previews_dir / "tv" / f"{i:03d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        size = (200, 300) if asset.asset_type == "poster" else (320, 180)
        target.write_bytes(jpeg((40 + i * 23 % 200, 90, 140), size))
        asset.preview_path = str(target)
        asset.save()
    server = DevServer(app).start()
    try:
        yield built, server.url
    finally:
        server.stop()
        app.extensions["metarrd.runtime"].close()


def test_tv_review_in_a_real_browser(tv_stack, browser, tmp_path):
    """Shows in the library, a show's seasons and episodes, an episode edited, its artwork, the
    breadcrumbs back, the whole show's preview and Publish from it; then a phone."""
    built, url = tv_stack
    show = built.show
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    season = built.seasons[1]
    shots = shots_dir(tmp_path)
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme="light")
    page = context.new_page()
    watch(page, problems)

    # 1. The library: the show beside the movie; the kind tabs narrow it without a reload.
    page.goto(url + "/")
    card = page.locator(f"#movie-{show.id}")
    assert "9 episodes" in card.inner_text()  # S01E04E05 is two, the unnumbered file none
    assert page.locator(".poster-card").count() == 2  # never a season or an episode
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("#kinds label", has_text="Shows").click()
    page.wait_for_function("() => document.querySelectorAll('.poster-card').length === 1")
    assert "kind=show" in page.url and page.evaluate("() => window.__sameDocument") is True
    screenshot(page, shots, "library-shows", full_page=False)

    # 2. The show's page: seasons and episodes, the numbering note, the unmatched file.
    card.locator("a.title").click()
    page.locator("#field-plot").wait_for()
    screenshot(page, shots, "show", full_page=False)
    open_editor(page, "status")  # TMDB's "Returning Series" of an ended show
    page.locator("#field-status input[name=value]").fill("Ended")
    # the words Jellyfin reads as a status (fields.nfo_status), offered
    values = page.locator("#status-choices option").evaluate_all("os => os.map(o => o.value)")
    assert values == ["Continuing", "Ended", "Unreleased"]
    page.keyboard.press("Enter")
    page.locator("#field-status.is-locked .field-value", has_text="Ended").wait_for()
    page.locator("#tab-episodes").click()
    panel = page.locator("#panel-episodes")
    panel.locator(f"#episode-{double.id}").wait_for()
    assert "TheTVDB numbers the specials" in panel.inner_text()
    assert "no season or episode number in the file name" in panel.inner_text()
    order = panel.get_by_label("Episode order")
    assert order.input_value() == "tmdb" and order.locator("option").count() == 4
    screenshot(page, shots, "show-episodes")

    # 3. An episode: breadcrumbs, an edit by keyboard (locked), its artwork.
    panel.locator(f"#episode-{double.id} a").click()
    # a click on a link does not wait for the page it opens: what follows would act on the
    # page it left (the show's, the season's: their own #tab-episodes, #open-publish)
    page.wait_for_url(f"**/movies/{double.id}")
    page.locator("nav.breadcrumbs", has_text="Season 1").wait_for()
    assert "S01E04–E05" in page.locator("h1").inner_text()
    open_editor(page, "title")
    page.locator("#field-title input[name=value]").fill("Thirty-Eight Snub")
    page.keyboard.press("Enter")
    page.locator("#field-title .field-value", has_text="Thirty-Eight Snub").wait_for()
    assert page.locator("#field-title .lock").get_attribute("aria-pressed") == "true"
    # its air date (TMDB's wrong for a regional airing): a day not of the calendar is refused
    # in place, a real one saved and locked
    open_editor(page, "aired")
    page.locator("#field-aired input[name=value]").fill("2008-02-30")
    with page.expect_response(lambda r: r.url.endswith("/fields/aired")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 422  # htmx's request, answered in place (not a plain 303)
    settled(page, "form#field-aired [role=alert]")  # the reason beside the field
    assert "is not a date" in page.locator("#field-aired [role=alert]").inner_text()
    refused = [p for p in problems if "status of 422" in p]  # the browser logs the refusal
    assert len(refused) == 1
    problems.remove(refused[0])
    page.locator("#field-aired input[name=value]").fill("2008-02-17")
    page.keyboard.press("Enter")
    page.locator("#field-aired .field-value", has_text="2008-02-17").wait_for()
    assert page.locator("#field-aired .lock").get_attribute("aria-pressed") == "true"
    page.locator("#tab-artwork").click()
    page.locator("#art-thumb").wait_for()
    screenshot(page, shots, "episode")

    # 4. Back to the season through the breadcrumbs: its episodes only.
    page.locator("nav.breadcrumbs a", has_text="Season 1").click()
    page.wait_for_url(f"**/movies/{season.id}")
    page.locator("#tab-episodes").click()
    page.locator(f"#panel-episodes #episode-{double.id}").wait_for()
    assert page.locator("#panel-episodes .season").count() == 1

    # 5. The whole show's preview from the show's page, and Publish from there.
    page.locator("nav.breadcrumbs a", has_text="Breaking Bad").click()
    page.wait_for_url(f"**/movies/{show.id}")
    page.locator("#open-publish").click()
    settled(page, "#preview #publish-now", timeout=15000)
    assert "tvshow.nfo" in page.locator("#preview").inner_text()
    page.locator("#publish-now").click()
    page.locator("#toast", has_text="Publish queued for").wait_for(timeout=10000)
    assert db.Job.select().where(db.Job.movie == show.id, db.Job.kind == "publish").exists()
    screenshot(page, shots, "show-publish")
    assert not csp_violations(page)
    context.close()

    # 6. A phone: nothing scrolls sideways.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone_page = phone.new_page()
    watch(phone_page, problems)
    for path, name in (
        ("/?kind=show", None),
        (f"/movies/{show.id}?tab=episodes", "show-episodes-phone"),
        (f"/movies/{season.id}?tab=episodes", None),
        (f"/movies/{double.id}", "episode-phone"),
        (f"/movies/{double.id}?tab=publish", None),
    ):
        phone_page.goto(url + path)
        phone_page.wait_for_function("() => window.__live === true")
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
        if name:
            screenshot(phone_page, shots, name, full_page=False)
    assert not csp_violations(phone_page)
    phone.close()
    assert not problems, "\n".join(problems)
