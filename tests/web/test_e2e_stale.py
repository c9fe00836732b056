"""In a real headless Chromium, without the daemon: what htmx swaps in leaves nothing of the
page saying the old value."""

from __future__ import annotations

import pytest

from metarrd import db
from tests.web.test_e2e import csp_violations, open_editor, settled, tv_stack, watch  # noqa: F401 - `tv_stack` is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_edited_title_is_the_windows_title_too(site, browser):
    # Found walking the demo: Heat's title edited to "Heat (Director's Cut)" changed the field
    # and the page's heading, and the browser's tab (and its history, and a bookmark made
    # then) still read "Heat · metarrd" until a reload.
    url, seed = site
    movie = seed.movie("Heat", 1995)
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{movie.id}")
    assert page.title() == "Heat · metarrd"
    open_editor(page, "title")
    page.locator("#input-title").fill("Heat (Director's Cut)")
    page.locator("#input-title").press("Enter")
    page.locator("#item-header h1", has_text="Heat (Director's Cut)").wait_for()
    page.wait_for_function('() => document.title === "Heat (Director\'s Cut) · metarrd"')
    assert db.Movie.get_by_id(movie.id).title == "Heat (Director's Cut)"
    # the header's own refresh (the daemon changed the item) keeps it too, not "Heat" again
    page.evaluate("() => { document.getElementById('item-header').dataset.old = '1'; }")
    page.evaluate(f"() => htmx.trigger('#item-header', 'sse:movie-{movie.id}')")
    page.locator("#item-header:not([data-old])").wait_for()  # swapped for a new one
    settled(page, "#item-header h1")
    assert page.title() == "Heat (Director's Cut) · metarrd"
    assert page.locator("title").count() == 1  # in the head, none left in the body
    assert problems == [] and csp_violations(page) == []


def test_back_to_a_search_shows_its_words_and_switches_again(site, browser):
    # Found walking the demo: "dune" typed in the search, Movies clicked, then Back: the address
    # and the posters were the search's (?q=dune&kind=all, the two Dunes) but the search box was
    # empty and Movies still ticked. htmx keeps the page's HTML for Back, and a typed value or
    # a ticked switch is no attribute of it: the page restored said another search than it showed.
    url, seed = site
    seed.movie("Dune", 1984)
    seed.movie("Dune", 2021)
    seed.movie("Heat", 1995)
    seed.movie("Breaking Bad", 2008, kind=db.SHOW)  # the Kind switch is for a library of both
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(url + "/")
    page.locator("#q").fill("dune")
    page.wait_for_url("**q=dune**")
    page.locator(".poster-card .title", has_text="Heat").wait_for(state="detached")
    page.locator('#kinds input[value="show"]').check()
    page.wait_for_url("**kind=show**")
    settled(page, "#library")
    page.go_back()
    page.wait_for_url("**kind=all**")
    assert "q=dune" in page.url
    assert page.locator(".poster-card .title").all_inner_texts() == ["Dune", "Dune"]
    assert page.locator("#q").input_value() == "dune"
    assert page.locator("#kinds input:checked").get_attribute("value") == "all"
    # forward again: the shows of "dune" (none), Shows ticked
    page.go_forward()
    page.wait_for_url("**kind=show**")
    assert page.locator("#kinds input:checked").get_attribute("value") == "show"
    assert page.locator("#q").input_value() == "dune"
    assert problems == [] and csp_violations(page) == []


def test_a_tables_header_sort_is_the_sort_box_and_stays_through_a_filter(site, browser):
    # Found walking the demo: in the table, the Year header sorted the rows (?sort=year) while
    # the Sort box above still said "Title A–Z"; a click on a state chip then sent the box's
    # "title" and the rows were by title again. "State" the other way had no entry in the box.
    url, seed = site
    seed.movie("Heat", 1995)
    seed.movie("Alien", 1979)
    seed.movie("Dune", 2021)
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(url + "/?view=table")
    page.locator("th.col-year a.sort").click()
    page.wait_for_url("**sort=year**")
    settled(page, "#library")
    assert page.locator("#sort").input_value() == "year"
    page.locator('#filters input[value="unpublished"]').check()
    page.wait_for_url("**filter=unpublished**")
    settled(page, "#library")
    assert "sort=year" in page.url
    assert page.locator("td.col-title a.title").all_inner_texts() == ["Alien", "Heat", "Dune"]
    # State, both ways: the box follows
    for sort in ("state", "-state"):
        page.locator("th.col-state a.sort").click()
        # this click's own sort: the second one's URL matched /-?state/ before it was sent
        page.wait_for_function(
            "(s) => new URLSearchParams(location.search).get('sort') === s", arg=sort
        )
        settled(page, "#library")
        # the box follows the restored address once the swap is in (a wrong box times out)
        page.wait_for_function(
            "(s) => document.querySelector('#sort').value === s", arg=sort, timeout=10000
        )
    assert problems == [] and csp_violations(page) == []


def test_a_shows_edited_title_is_its_breadcrumbs_too(site, browser):
    # Found reviewing a new show: its title edited on its page changed the heading and the
    # window's title, and the breadcrumbs above them ("Shows › Breaking Bad") kept the old one
    # until a reload; so did a season's, whose header follows its show's events ("Change
    # show…" to another show, a title edited in another tab).
    url, seed = site
    show = seed.movie("Breaking Bad", 2008, kind=db.SHOW)
    season = db.Movie.create(
        library=show.library, path=f"{show.path}/#season-01", kind=db.SEASON, show=show,
        season=1, identification_status=db.ENRICHED,
    )  # fmt: skip
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    crumbs = page.locator("nav.breadcrumbs")
    page.goto(f"{url}/movies/{show.id}")
    assert crumbs.inner_text().split("\n") == ["Shows", "Breaking Bad"]
    open_editor(page, "title")
    page.locator("#input-title").fill("Breaking Bad (US)")
    page.locator("#input-title").press("Enter")
    page.locator("#item-header h1", has_text="Breaking Bad (US)").wait_for()
    page.wait_for_function('() => document.title === "Breaking Bad (US) · metarrd"')
    assert crumbs.inner_text().split("\n") == ["Shows", "Breaking Bad (US)"]
    assert crumbs.count() == 1
    # a season's header refreshes on its show's event: its breadcrumbs with it
    page.goto(f"{url}/movies/{season.id}")
    assert crumbs.inner_text().split("\n") == ["Shows", "Breaking Bad (US)", "Season 1"]
    db.Movie.update(title="Breaking Bad").where(db.Movie.id == show.id).execute()
    page.evaluate(f"() => htmx.trigger('#item-header', 'sse:movie-{show.id}')")
    page.locator("nav.breadcrumbs a:text-is('Breaking Bad')").wait_for()
    settled(page, "#item-header h1")
    assert crumbs.inner_text().split("\n") == ["Shows", "Breaking Bad", "Season 1"]
    assert crumbs.count() == 1
    assert problems == [] and csp_violations(page) == []


def test_an_episode_page_shows_the_shows_publish_it_queued(tv_stack, browser):  # noqa: F811
    # Found reviewing a new show: an episode's "Publish the whole show now" (the show never
    # published) said "Publish queued for Breaking Bad" in a toast that fades, and the header
    # went on as if nothing were queued, its Enrich ready to be pressed; its season's page the
    # same. The show's page said "Publish queued".
    built, url = tv_stack
    show, season = built.show, built.seasons[1]
    episode = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{episode.id}?tab=publish")
    page.locator("#publish-now", has_text="Publish the whole show now").click()
    page.locator("#toast", has_text="Publish queued for Breaking Bad").wait_for()
    job = page.locator("#item-header .job")
    job.filter(has_text="Publish queued (the whole show)").wait_for()
    assert db.Job.get().movie_id == show.id
    enrich = page.locator("#item-actions button", has_text="Enrich")
    assert enrich.is_disabled()  # the buttons wait for it, as on the show's page
    db.Job.delete().execute()  # done: the next refresh (every 3 s while a job shows) clears it
    job.first.wait_for(state="detached", timeout=10000)
    assert enrich.is_enabled()
    db.Job.create(movie=show, kind="publish", key=f"publish:{show.id}", state="running")
    page.goto(f"{url}/movies/{season.id}")
    assert job.all_inner_texts() == ["Publish running (the whole show)"]
    page.goto(f"{url}/movies/{show.id}")  # the show's own page says it as it did
    assert job.all_inner_texts() == ["Publish running"]
    assert problems == [] and csp_violations(page) == []


def test_the_navigation_counts_a_publish_queued_from_the_page(tv_stack, browser):  # noqa: F811
    # Found reviewing a new show: "Publish the whole show now" said "Publish queued for
    # Breaking Bad" and the header "Publish queued", while the navigation's work in progress
    # read "Idle" until the daemon's next event (a bulk action records one; a single one none).
    built, url = tv_stack
    episode = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    movie = db.Movie.get(db.Movie.title == "The Matrix")
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    indicator = page.locator("#jobs-indicator")
    page.goto(f"{url}/movies/{episode.id}?tab=publish")
    assert indicator.inner_text() == "Idle"
    page.locator("#publish-now").click()
    page.locator("#toast", has_text="Publish queued for Breaking Bad").wait_for()
    page.locator("#jobs-indicator", has_text="0 running · 1 queued").wait_for()
    # a movie's Enrich from its header the same
    page.goto(f"{url}/movies/{movie.id}")
    page.locator("#item-actions button", has_text="Enrich").click()
    page.locator("#toast", has_text="Enrich queued for The Matrix").wait_for()
    page.locator("#jobs-indicator", has_text="0 running · 2 queued").wait_for()
    assert db.Job.select().count() == 2
    assert problems == [] and csp_violations(page) == []


def test_a_job_in_a_header_over_a_backdrop_reads_as_its_other_words_do(tv_stack, browser):  # noqa: F811
    # Found reviewing a new show: "Publish queued (the whole show)" beside an episode's badge,
    # over its still darkened, was the page's grey for a light background (#5f6873 on the
    # header's #0b0d10, 3.4:1 where small text needs 4.5), where its other muted words are light.
    built, url = tv_stack
    episode = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    db.Job.create(movie=episode, kind="enrich", key=f"enrich:{episode.id}")
    page = browser.new_context(
        viewport={"width": 1366, "height": 900}, color_scheme="light"
    ).new_page()
    page.goto(f"{url}/movies/{episode.id}")
    assert page.locator("#item-header.has-backdrop").count() == 1
    job = page.locator("#item-header .job")
    assert job.inner_text() == "Enrich queued"
    color = job.evaluate("el => getComputedStyle(el).color")
    aired = page.locator("#item-header .year, #item-header .muted").first
    assert color == aired.evaluate("el => getComputedStyle(el).color") == "rgb(201, 208, 216)"
