"""A long season's page in Chromium (docs/ui.md "TV shows"): a daily show's season of 250
files listed 100 at a time, its pages reached by keyboard, each at its own address, and the
page's shortcuts and row links working on every page."""

from __future__ import annotations

import re

from metarrd import db
from tests.web.test_e2e import tv_stack, watch  # noqa: F401 - `tv_stack` is a fixture


def test_a_long_seasons_pages_by_keyboard_in_a_real_browser(tv_stack, browser):  # noqa: F811
    built, url = tv_stack
    season = built.seasons[2]
    db.Movie.insert_many(
        {  # The Daily Show's way: a season of a few hundred numbered files (Sonarr's S25E101)
            "library": built.show.library_id,
            "path": f"{built.folder}/Season 02/Breaking Bad - S02E{n:03d}.mkv",
            "kind": db.EPISODE,
            "show": built.show.id,
            "season": 2,
            "episodes": [n],
            "identification_status": db.IDENTIFIED,
        }
        for n in range(100, 350)
    ).execute()
    total = (
        db.Movie.select()
        .where(db.Movie.show == built.show.id, db.Movie.season == 2, db.Movie.kind == db.EPISODE)
        .count()
    )
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    watch(page, problems)
    rows = page.locator("#panel-episodes tr[id^=episode-]")

    page.goto(f"{url}/movies/{season.id}?tab=episodes")
    assert rows.count() == 100
    assert f"Episodes 1–100 of {total}" in page.locator("#panel-episodes .pager").first.inner_text()
    # the keyboard: Tab reaches Next (a real link), Enter opens page 2 in place
    page.evaluate("() => { window.__sameDocument = true; }")
    nxt = page.locator("#panel-episodes a[rel=next]").first
    for _ in range(400):
        page.keyboard.press("Tab")
        if nxt.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached Next")
    page.keyboard.press("Enter")
    page.locator("#panel-episodes .pager", has_text=f"Episodes 101–200 of {total}").first.wait_for()
    assert rows.count() == 100 and page.evaluate("() => window.__sameDocument") is True
    assert re.search(r"[?&]page=2\b", page.url) and "tab=episodes" in page.url
    assert page.locator("#tab-episodes").get_attribute("aria-current") == "page"
    # the address is the page's: a reload (or a bookmark) opens page 2 again
    page.reload()
    page.locator("#panel-episodes .pager", has_text=f"Episodes 101–200 of {total}").first.wait_for()
    # the last page holds the rest, and no Next
    page.locator("#panel-episodes a[rel=next]").first.click()
    # the last page's own pager ("of {total}" alone is the page before's too)
    page.locator(
        "#panel-episodes .pager", has_text=f"Episodes 201–{total} of {total}"
    ).first.wait_for()
    page.wait_for_function("() => /page=3/.test(location.search)")
    assert rows.count() == total - 200 and page.locator("#panel-episodes a[rel=next]").count() == 0
    # a row's number is its link for the keyboard: it opens that episode
    last = rows.last
    code = last.locator(".episode-code a").inner_text()
    href = last.locator(".episode-code a").get_attribute("href")
    last.locator(".episode-code a").focus()
    page.keyboard.press("Enter")
    # the season's own breadcrumbs say "Season 2" too: wait for the episode's page
    page.wait_for_url(f"**{href}")
    page.locator("nav.breadcrumbs", has_text="Season 2").wait_for()
    assert code in page.locator("h1").inner_text()
    # the shortcuts still work after the season's pages: back, then `o` opens the Overview
    page.go_back()
    page.wait_for_url(re.compile(rf"/movies/{season.id}\?(.*&)?page=3\b"))
    page.locator("#panel-episodes").wait_for()
    page.locator("body").press("o")
    page.locator("#panel-overview").wait_for()
    assert not problems, "\n".join(problems)
    context.close()
