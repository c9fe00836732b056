"""In a real headless Chromium, the review UI open while the library changes underneath it: the
daemon's scan (run here in-process on the web's database, as its job would) changes an item,
and the open page follows through /live without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from tests.web.test_e2e import csp_violations, settled, watch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PILOT = "Season 1/Breaking Bad - S01E01 - Pilot.mkv"
SECOND = "Season 1/Breaking Bad - S01E02 - Cat's in the Bag.mkv"
LAST = "Season 2/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv"


@pytest.fixture
def published_stack(tmp_path):
    """(runtime, built show, url): a TV show published whole, scanned since, served by the web
    UI alone (the test runs the daemon's work itself)."""
    from metarrd.config import parse_config
    from metarrd.publish import publish_item
    from metarrd.scan.stage import scan
    from metarrd.web import DevServer, create_app
    from tests.publish.tvshow import build_show

    (tmp_path / "tv").mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
        }
    )
    app = create_app(config)
    rt = app.extensions["metarrd.runtime"]
    built = build_show(rt, files={PILOT: (1, [1]), SECOND: (1, [2]), LAST: (2, [1])})
    scan(rt)
    publish_item(rt, built.reload())
    assert db.Movie.get_by_id(built.show.id).publish_state == db.PUBLISHED
    server = DevServer(app).start()
    try:
        yield rt, built, server.url
    finally:
        server.stop()
        rt.close()


def test_an_episode_nfo_deleted_by_hand_turns_the_open_show_page_republish(
    published_stack, browser
):
    # Found with a published show's page open while an episode's NFO was deleted by hand
    # (Kodi's "Remove library items" does the same): the watcher's scan of its folder made the
    # show "Updated – Republish?" in the database, and the page went on saying "Published", its
    # Preview without Publish now, until a reload: the scan marked it without an event, so
    # /live said nothing of it (nor did its history).
    from metarrd.scan.stage import scan

    rt, built, url = published_stack
    show = built.show
    nfo = built.path(str(Path(PILOT).with_suffix(".nfo")))
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{show.id}?tab=publish")
    assert page.locator("#item-header .badge").first.inner_text() == "Published"
    page.locator("#panel-publish").wait_for()
    settled(page, "#panel-publish")
    assert page.locator("#publish-now").count() == 0  # nothing to write
    page.wait_for_function("() => window.__live === true")  # the stream is open
    nfo.unlink()
    scan(rt, [built.folder])  # the watcher's scan for it: its show's folder
    assert db.Movie.get_by_id(show.id).publish_state == db.OUTDATED
    page.locator("#item-header .badge", has_text="Republish?").wait_for(timeout=15000)
    page.locator("#publish-now").wait_for(timeout=15000)
    settled(page, "#item-header")
    # the episode too, not only its show: its row, its page, its history saying why
    pilot = built.episodes[PILOT]
    page.goto(f"{url}/movies/{show.id}?tab=episodes")
    assert page.locator(f"#episode-{pilot.id} .badge").inner_text() == "Republish?"
    others = [e.id for rel, e in built.episodes.items() if rel != PILOT]
    assert {page.locator(f"#episode-{i} .badge").inner_text() for i in others} == {"Published"}
    page.goto(f"{url}/movies/{pilot.id}?tab=history")
    assert page.locator("#item-header .badge").first.inner_text() == "Updated – Republish?"
    assert nfo.name in page.locator("#panel-history").inner_text()
    assert problems == [] and csp_violations(page) == []


def test_the_open_episode_list_follows_a_rescan(published_stack, browser):
    # A show's Episodes tab open while Sonarr imports S01E03 (its file copied in) and S01E02's
    # file is deleted: the scan of the show's folder records both, and the list follows.
    from metarrd.scan.stage import scan

    rt, built, url = published_stack
    show = built.show
    second = built.episodes[SECOND]
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{show.id}?tab=episodes")
    panel = page.locator("#panel-episodes")
    panel.locator(f"#episode-{second.id}").wait_for()
    assert panel.locator("tr[id^=episode-]").count() == 3
    page.wait_for_function("() => window.__live === true")
    third = built.folder / "Season 1" / "Breaking Bad - S01E03 - ...And the Bag's in the River.mkv"
    third.write_bytes(b"\x1a\x45\xdf\xa3 not really an episode S01E03")
    (built.folder / SECOND).unlink()
    scan(rt, [built.folder])
    new = db.Movie.get(db.Movie.path == str(third))
    assert db.Movie.get_by_id(second.id).missing
    panel.locator(f"#episode-{new.id}").wait_for(timeout=15000)
    settled(page, "#panel-episodes")
    assert panel.locator("tr[id^=episode-]").count() == 4
    row = panel.locator(f"#episode-{second.id} .badge")
    assert row.inner_text() == "Missing"
    # the gone episode's own page says so, and offers no Publish of it
    page.goto(f"{url}/movies/{second.id}?tab=publish")
    assert page.locator("#item-header .badge").first.inner_text() == "Missing"
    settled(page, "#panel-publish")
    assert page.locator("#publish-now").count() == 0
    assert problems == [] and csp_violations(page) == []
