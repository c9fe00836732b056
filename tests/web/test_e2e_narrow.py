"""In a real headless Chromium at a small phone's width (375 px: an iPhone SE, 13 mini; 320 px:
the narrowest a browser's "mobile" emulation offers), without the daemon: what the page offers
is on the screen, not cut at its right edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from tests.web.test_e2e import csp_violations, tv_stack, watch  # noqa: F401 - `tv_stack` is a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("width", [375, 320])
def test_every_link_of_the_navigation_is_on_a_small_phones_screen(site, browser, width):
    # Found walking the demo at 375 px: the bar showed "Library Identify Health Activity Settir",
    # Settings cut in half at the screen's edge, in a bar scrolled sideways with its scroll bar
    # hidden: nothing told there was more, and the page the user sought was a swipe away.
    url, seed = site
    seed.movie("Heat", 1995)
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(url + "/settings")
    links = page.locator(".topbar nav a")
    assert links.all_inner_texts() == ["Library", "Identify", "Health", "Activity", "Settings"]
    for n in range(links.count()):
        box = links.nth(n).bounding_box()
        name = links.nth(n).inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name} is cut: {box}"
    nav = page.locator(".topbar nav")
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth"), "the bar scrolls sideways"
    if width == 375:  # one row of links on a common phone
        tops = {round(links.nth(n).bounding_box()["y"]) for n in range(links.count())}
        assert len(tops) == 1, tops
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [375, 320])
def test_every_tab_of_an_item_is_on_a_small_phones_screen(site, browser, width):
    # Found walking the demo at 375 px: The Matrix's tabs read "Overview Artwork Cast Files &
    # stre", cut at the screen's edge in a row scrolled sideways with its scroll bar hidden:
    # History and "Preview & publish" were nowhere to be seen.
    url, seed = site
    movie = seed.movie("The Matrix", 1999)
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{movie.id}")
    tabs = page.locator(".tabs .tab")
    names = tabs.all_inner_texts()
    assert names[0] == "Overview" and names[-1] == "Preview & publish", names
    for n in range(tabs.count()):
        box = tabs.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{names[n]} is cut: {box}"
    assert page.locator(".tabs").evaluate("n => n.scrollWidth <= n.clientWidth")
    # the tabs still work: History opens in place
    page.locator("#tab-history").click()
    page.locator('#tab-history[aria-current="page"]').wait_for()
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [375, 1366])
def test_the_files_tab_shows_the_whole_path_of_the_file(site, browser, width):
    # Found walking the demo at 375 px: the Files & streams tab, the place to read which file
    # this is, showed "Breaking Bad (2008)/Season 01/Breaking B…", the whole path in a tooltip
    # a phone cannot open. On a computer a path of more than about 100 characters was cut too.
    # The name is Radarr's "Standard Movie Format" with its edition and quality tokens
    # ({Movie CleanTitle} ({Release Year}) {edition-{Edition Tags}} {[Quality Full]}).
    url, seed = site
    movie = seed.movie("The Lord of the Rings The Fellowship of the Ring", 2001)
    name = (
        "The Lord of the Rings The Fellowship of the Ring (2001)"
        " {edition-Extended Edition} [Bluray-2160p Proper].mkv"
    )
    db.Movie.update(path=str(Path(movie.path).parent / name)).where(
        db.Movie.id == movie.id
    ).execute()
    problems: list[str] = []
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{movie.id}?tab=files")
    path = page.locator("#item-tabs p.path")
    assert path.inner_text() == f"{Path(movie.path).parent.name}/{name}"
    assert path.evaluate("p => p.scrollWidth <= p.clientWidth"), "the path is cut"
    box = path.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [375, 1366])
def test_each_artwork_limit_box_stays_in_its_own_cell(site, browser, width):
    # Found walking the demo's Settings: the "characterart" box stuck out of its cell, over the
    # "season-all-poster" label beside it on a computer, and past the card's edge on a phone
    # (the longest type name, one word the line cannot break, and a box of fixed width).
    url, _seed = site
    problems: list[str] = []
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    watch(page, problems)
    page.goto(url + "/settings")
    limits = page.locator("fieldset.limits")
    outer = limits.bounding_box()
    labels = limits.locator("label")
    assert "characterart" in labels.all_inner_texts()
    for n in range(labels.count()):
        cell = labels.nth(n).bounding_box()
        box = labels.nth(n).locator("input").bounding_box()
        name = labels.nth(n).inner_text()
        assert (
            cell["x"] <= box["x"] and box["x"] + box["width"] <= cell["x"] + cell["width"] + 0.5
        ), f"{name}'s box sticks out of its cell: {box} {cell}"
        assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 0.5, name
    assert problems == [] and csp_violations(page) == []


def test_a_seasons_episode_rows_line_up_on_a_phone(tv_stack, browser):  # noqa: F811
    # Found walking the demo at 375 px: on Breaking Bad's "Seasons & episodes", the title and
    # still of "S01E04–E05" (a file of two episodes, named as Sonarr names a multi-episode
    # file) stood further right than those of S01E01 and S01E02 above it: each row sized its
    # own number column.
    built, url = tv_stack
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{built.show.id}?tab=episodes")
    rows = page.locator(".episodes tbody tr")
    codes = rows.locator("td.episode-code").all_inner_texts()
    assert "S01E04–E05" in codes and "S01E01" in codes, codes
    starts = {
        round(rows.nth(n).locator("td").nth(1).bounding_box()["x"]) for n in range(rows.count())
    }
    assert len(starts) == 1, f"the titles start at {sorted(starts)}"
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [375, 1366])
def test_a_health_bars_number_is_whole_in_a_large_library(site, browser, width):
    # Found walking the demo at 375 px: Artwork coverage's "15 of 15" read "15 of 1", the end of
    # the number past the chart's edge. The numbers had room for about seven characters, so a
    # library of a thousand movies read "0 of 12" for "0 of 1200" on any screen.
    url, seed = site
    seed.many(1200)
    problems: list[str] = []
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    watch(page, problems)
    page.goto(url + "/health")
    values = page.locator("svg.chart .bar-value")
    assert "0 of 1200" in values.all_text_contents()
    cut = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart .bar-value')].filter(t => {
             const box = t.getBBox(); const view = t.ownerSVGElement.viewBox.baseVal;
             return box.x < 0 || box.x + box.width > view.width;
           }).map(t => t.textContent)"""
    )
    assert cut == [], f"cut at the chart's edge: {cut}"
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [375, 320])
def test_the_activitys_queue_is_on_a_small_phones_screen(site, browser, width):  # noqa: F811
    # Found walking the demo at 390 px: the activity's "Queued and running" table was wider
    # than the screen, its Status column cut to "Waiti" at the right edge, the page scrolled
    # sideways.
    url, seed = site
    movie = seed.movie("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964)
    db.Job.create(kind="identify", movie=movie, key=f"identify:{movie.id}", state="queued")
    db.Job.create(kind="enrich", movie=movie, key=f"enrich:{movie.id}", state="running")
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(url + "/activity")
    cells = page.locator("table.jobs tbody td")
    assert cells.count() == 8
    for n in range(cells.count()):
        box = cells.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (cells.nth(n).inner_text(), box)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert sorted(page.locator("table.jobs .job-state").all_inner_texts()) == ["Running", "Waiting"]
    assert problems == [] and csp_violations(page) == []


def test_the_identify_lists_choose_button_reads_in_its_middle_on_a_phone(site, browser):
    # Found walking the demo at 390 px: on the Identify list each row's "Choose…" is as wide as
    # the card, as a phone's main button is, but its word sat at the left edge of the blue bar,
    # the rest of it empty, so it read as a coloured strip with a label beside it.
    url, seed = site
    seed.movie(
        "The Thing",
        None,
        identification_status=db.UNIDENTIFIED,
        tmdb_id=None,
        candidates=[{"tmdb_id": 1091, "title": "The Thing", "year": 1982}],
        last_error="no confident match for 'The Thing': 2 candidates, best 'The Thing' (1982)",
    )
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(url + "/identify")
    button = page.locator(".identify-row .btn", has_text="Choose")
    gaps = button.evaluate(
        """b => { const r = document.createRange(); r.selectNodeContents(b);
                  const t = r.getBoundingClientRect(), o = b.getBoundingClientRect();
                  return [t.left - o.left, o.right - t.right]; }"""
    )
    assert abs(gaps[0] - gaps[1]) <= 2, f"the label is not in the button's middle: {gaps}"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [390, 375])
def test_the_sticky_action_bar_of_an_item_in_the_review_queue_is_small_on_a_phone(
    site, browser, width
):
    # Found walking the demo at 390 px: reviewing Inception (11 of 14), the action bar that
    # stays at the top took 127 px of the 844 in three rows (Enrich and Publish…, "Change
    # movie…" alone below them, then ← Previous and "Next to review →"): every field scrolled
    # under it.
    url, seed = site
    first, middle, _ = (
        seed.movie(t, y) for t, y in (("Alien", 1979), ("Heat", 1995), ("Up", 2009))
    )
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{middle.id}")
    assert page.locator("#review-prev").is_visible() and page.locator("#review-next").is_visible()
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    bar = page.locator(".action-bar").evaluate(
        "b => { const r = b.getBoundingClientRect(); return [r.top, r.height]; }"
    )
    assert bar[0] <= 1, f"the action bar does not stay at the top: {bar}"
    assert bar[1] <= 844 * 0.12, f"the action bar takes {bar[1]}px of a phone's 844"
    for name in ("Enrich", "Publish…", "Change movie…", "← Previous", "Next to review →"):
        box = page.locator(".action-bar .btn", has_text=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name} is cut: {box}"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert problems == [] and csp_violations(page) == []


def test_log_out_sits_on_the_brands_row_on_a_phone(site, browser):
    # Found on the demo with a password set, at 390 px: "Log out" took a third row of the top
    # bar of its own, under the brand and the row of links, pushing every page 36 px down.
    from metarrd.web import auth

    url, seed = site
    seed.movie("Heat", 1995)
    auth.set_password("correct horse")
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(url + "/login")
    page.fill("#password", "correct horse")
    page.keyboard.press("Enter")
    page.locator(".topbar nav").wait_for()
    brand = page.locator(".topbar .brand").bounding_box()
    logout = page.get_by_role("button", name="Log out").bounding_box()
    assert (
        logout["y"] < brand["y"] + brand["height"] and brand["y"] < logout["y"] + logout["height"]
    )
    assert logout["x"] + logout["width"] <= 390
    for n in range(page.locator(".topbar nav a").count()):
        box = page.locator(".topbar nav a").nth(n).bounding_box()
        assert box["x"] + box["width"] <= 390 and box["y"] >= brand["y"] + brand["height"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert problems == [] and csp_violations(page) == []


# Where a line of a file's name may end: after a folder, a word's hyphen or underscore, before its
# extension, or at a space; anywhere else it cut a word in two (".jp" on one line, "g" on the
# next).
BREAKS_AFTER = "/-._ )"

# For each line break inside each file name of the publish preview: the characters on either
# side of it. A break is where the next character's box sits lower than the one before it.
NAME_BREAKS = """() => [...document.querySelectorAll('.plan li > span:not(.op) > code')].flatMap(code => {
  const walk = document.createTreeWalker(code, NodeFilter.SHOW_TEXT), range = document.createRange();
  const chars = [];
  for (let text = walk.nextNode(); text; text = walk.nextNode()) {
    for (let i = 0; i < text.data.length; i++) {
      range.setStart(text, i); range.setEnd(text, i + 1);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (rects.length) chars.push([text.data[i], rects[0].top]);
    }
  }
  const s = chars.map(c => c[0]).join(''), breaks = [];
  for (let i = 1; i < chars.length; i++)
    if (chars[i][1] > chars[i - 1][1] + 2) breaks.push([s, s.slice(0, i), s.slice(i)]);
  return breaks;
})"""


@pytest.mark.parametrize("width", [375, 320])
def test_the_publish_previews_file_names_break_between_words_on_a_phone(site, browser, width):
    # Found walking the demo at 390 px: Inception's Preview & publish listed its files as
    # "Inception (2010)-fanart1.jp g" and ".actors/Joseph_Gordon-Levitt.jpg" cut as ".actors/Joseph_Gord onLevitt",
    # each name cut anywhere, its "new" column 5.8 rem wide beside it (a quarter of the row for a word of
    # three letters). Names as Kodi's artwork and its .actors folder have them.
    url, seed = site
    movie = seed.movie("Inception", 2010, tmdb_id=27205)
    for kind in ("poster", "fanart", "clearlogo", "landscape"):
        for rank in (1, 2):
            seed.asset(movie, kind, is_selected=True, rank=rank)
    for n, name in enumerate(("Leonardo DiCaprio", "Joseph Gordon-Levitt", "Ken Watanabe")):
        actor = db.Actor.create(
            name=name, name_normalized=name.lower(), thumb_url=f"http://127.0.0.1:9/{n}.jpg"
        )
        db.MovieActor.create(movie=movie, actor=actor, order=n)
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{movie.id}?tab=publish")
    page.locator(".plan li").first.wait_for()
    names = page.locator(".plan li > span:not(.op) > code").all_inner_texts()
    assert {"Inception (2010)-clearlogo1.jpg", ".actors/Joseph_Gordon-Levitt.jpg"} <= set(names)
    breaks = page.evaluate(NAME_BREAKS)
    cut = [f"{before}|{after}" for _, before, after in breaks if before[-1] not in BREAKS_AFTER]
    assert cut == [], f"file names cut inside a word: {cut}"
    for row in page.locator(".plan li:visible").all():
        op, name = (row.locator("> span").nth(n).bounding_box() for n in (0, 1))
        assert op["width"] < name["width"] / 3, f"the verb's column starves the name: {op} {name}"
        assert name["x"] + name["width"] <= width
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert problems == [] and csp_violations(page) == []


def test_the_sticky_action_bar_of_a_queued_item_is_two_rows_on_the_narrowest_phone(site, browser):
    # Found at 320 px (the narrowest a browser's "mobile" emulation offers): reviewing Heat, the
    # bar that stays at the top was three rows, 121 px (Enrich and Publish…, "Change movie…",
    # then ← Previous and "Next to review →"). Each action stays there, under its own name.
    url, seed = site
    _, middle, _ = (seed.movie(t, y) for t, y in (("Alien", 1979), ("Heat", 1995), ("Up", 2009)))
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": 320, "height": 568}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{middle.id}")
    bar = page.locator(".action-bar")
    named = [
        bar.get_by_role("button", name="Enrich", exact=True),
        bar.get_by_role("link", name="Publish…", exact=True),
        bar.get_by_role("link", name="Change movie…", exact=True),
        bar.get_by_role("link", name="← Previous", exact=True),
        bar.get_by_role("link", name="Next to review →", exact=True),
    ]
    rows = set()
    for action in named:
        box = action.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
        rows.add(round(box["y"] + box["height"] / 2))
    assert len(rows) <= 2, f"the actions are in {len(rows)} rows: {sorted(rows)}"
    assert bar.bounding_box()["height"] <= 90
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [390, 320])
def test_a_phone_shows_how_many_items_are_left_to_review(site, browser, width):
    # Found walking the demo at 390 px: "To review: 11 of 14" was hidden on a phone to keep the
    # action bar small, so "Next to review →" gave no idea how many were left.
    url, seed = site
    queue = [seed.movie(f"Film {n:02d}", 1990 + n) for n in range(14)]
    problems: list[str] = []
    page = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    watch(page, problems)
    page.goto(f"{url}/movies/{queue[10].id}")
    count = page.locator(".review-walk").get_by_text("11/14", exact=True)
    assert count.is_visible()
    box = count.bounding_box()
    assert box["width"] > 10 and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    walk = page.get_by_role("navigation", name="Review queue")
    assert "To review: 11 of 14" in walk.text_content()  # what a screen reader says
    # and the bar stays two rows: the actions, then "Change movie…" and the walk
    rows = {
        round(b["y"] + b["height"] / 2)
        for b in (
            page.locator(".action-bar .btn:visible").nth(n).bounding_box()
            for n in range(page.locator(".action-bar .btn:visible").count())
        )
    }
    assert len(rows) <= 2, sorted(rows)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert problems == [] and csp_violations(page) == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_table_view_names_an_item_to_review_as_its_filter_and_poster_do(site, browser, width):
    # Found walking the demo: the poster wall's badges and the filter read "To review", the
    # table view's state column "Enriched – Unpublished": two names for one state, side by side.
    url, seed = site
    seed.movie("Heat", 1995, publish_state=db.UNPUBLISHED)
    problems: list[str] = []
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    watch(page, problems)
    page.goto(url + "/?view=wall")
    poster = page.locator(".poster-card .badge").inner_text()
    page.goto(url + "/?view=table")
    chip = page.locator("#filters label.chip", has=page.locator("input[value=unpublished]"))
    assert chip.inner_text().split()[:2] == ["To", "review"]
    badge = page.locator(".library-table .col-state .badge")
    assert badge.is_visible()
    assert badge.inner_text() == poster == "To review"
    assert "ready for your review" in badge.get_attribute("title")
    assert problems == [] and csp_violations(page) == []


def test_settings_with_long_paths_of_no_hyphen_fit_a_phones_screen(backend, browser, tmp_path):
    """A data folder and a library whose folders' names hold no hyphen or space
    (`/srv/mediaserver_storage_of_the_household_library_movies_uhd_collection`): each name was
    one unbreakable word, and the settings page scrolled sideways on a phone (459 px at 390 px
    wide; CI's temp paths happened to hold hyphens, where the browser breaks a line)."""
    from metarrd.web import DevServer, create_app
    from tests.conftest import make_config

    long = tmp_path / "mediaserver_storage_of_the_household_library_movies_uhd_collection"
    config = make_config(long, libraries={"Movies": long / "movies_in_ultra_high_definition"})
    server = DevServer(create_app(config)).start()
    try:
        page = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        ).new_page()
        page.goto(server.url + "/settings")
        assert page.locator("code", has_text=str(long)).count() == 1  # the data folder, shown
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"/settings scrolls sideways on a phone ({width}px)"
    finally:
        server.stop()
        if not db.database.is_closed():
            db.database.close()


@pytest.mark.parametrize("width", [375, 320])
def test_add_your_own_picture_fits_a_small_phones_screen(tv_stack, browser, width):  # noqa: F811
    # Found reviewing a new show at 320 px: "Add your own poster" opened a form whose file box
    # ("Choose File  No file chosen", as wide as the browser draws it) stood past the card's
    # edge, and the whole page scrolled sideways; a season's, an episode's and a movie's too.
    built, url = tv_stack
    page = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    problems: list[str] = []
    watch(page, problems)
    episode = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    for item in (built.show, built.seasons[1], episode):
        page.goto(f"{url}/movies/{item.id}?tab=artwork")
        add = page.locator("details.art-add").first
        add.locator("summary").click()
        form = add.locator("form.add-own")
        form.wait_for()
        card = page.locator("#panel-artwork").bounding_box()
        for control in ("input[type=file]", "input[type=url]", "button"):
            box = form.locator(control).bounding_box()
            assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5, (item.kind, control)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, item.kind
    assert problems == [] and csp_violations(page) == []


def test_an_items_state_is_whole_in_its_header_on_the_narrowest_phone(tv_stack, browser):  # noqa: F811
    # Found reviewing a new show at 320 px: its header's badge, "Enriched – Unpublished" on
    # one line beside the poster, ran 22 px past the header, which cut it at "Unpublishe";
    # an episode's, a season's and a movie's the same.
    built, url = tv_stack
    page = browser.new_context(
        viewport={"width": 320, "height": 700}, is_mobile=True, has_touch=True
    ).new_page()
    problems: list[str] = []
    watch(page, problems)
    movie = db.Movie.get(db.Movie.title == "The Matrix")
    episode = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    for item in (built.show, built.seasons[1], episode, movie):
        page.goto(f"{url}/movies/{item.id}")
        badge = page.locator("#item-header .state .badge")
        assert badge.inner_text() == "Enriched – Unpublished"
        inner = page.locator("#item-header .item-title").bounding_box()
        box = badge.bounding_box()
        assert box["x"] + box["width"] <= inner["x"] + inner["width"] + 0.5, (item.kind, box)
    assert problems == [] and csp_violations(page) == []
