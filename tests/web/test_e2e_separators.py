"""In a real headless Chromium: a list shown as "Adventure · Fantasy · Action" wraps between
its names, never so that a line starts with the " · " (a phone showed "· WingNut Films" at the
start of a line of an item's studios). Swept across narrow widths, as where it falls moves with
every width."""

from __future__ import annotations

import pytest

from metarrd import db
from tests.web.test_e2e import csp_violations, watch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Each "·" the page shows in text, and whether it is the first thing on its line: its rect's
# top below the one of the last visible character before it. A "·" drawn by CSS (`::before`,
# `::after`) is no text: the other check below reads those.
SEPARATORS_AT_LINE_START = """(root) => {
  const chars = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      if (!node.data[i].trim()) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (rect) chars.push({c: node.data[i], top: rect.top, after: node.data.slice(i, i + 24)});
    }
  }
  return chars.filter((ch, k) => ch.c === '·' && k > 0 && ch.top - chars[k - 1].top > 2)
    .map((ch) => ch.after);
}"""

# A child of a `.ids` line that starts a line of its own while a CSS separator is drawn before it.
PSEUDO_SEPARATORS_AT_LINE_START = """(root) => {
  const kids = [...root.children];
  return kids.filter((kid, k) => {
    if (k === 0) return false;
    const before = getComputedStyle(kid, '::before').content;
    const first = kid.getClientRects()[0], prev = kids[k - 1].getClientRects();
    return before && before !== 'none' && first.top - prev[prev.length - 1].top > 2;
  }).map((kid) => kid.textContent);
}"""


def test_no_line_of_a_list_starts_with_its_separator(site, browser):
    url, seed = site
    # TMDB's record of The Fellowship of the Ring (movie/120): its genres, production
    # companies and countries, directors and writers, and some of its keywords
    movie = seed.movie(
        "The Lord of the Rings: The Fellowship of the Ring",
        2001,
        tmdb_id=120,
        imdb_id="tt0120737",
        genres=["Adventure", "Fantasy", "Action"],
        studios=["New Line Cinema", "WingNut Films", "The Saul Zaentz Company"],
        countries=["New Zealand", "United States of America"],
        directors=["Peter Jackson"],
        writers=["Fran Walsh", "Philippa Boyens", "Peter Jackson"],
        tags=["based on novel or book", "elves", "dwarf", "magic", "hobbit", "quest", "orcs"],
        enriched_at=db.now(),
        last_published_at=db.now(),
    )
    # a show's card: "Show · 3 episodes · 1 with a problem" under its poster, two a row on a phone
    show = seed.movie("Breaking Bad", 2008, kind=db.SHOW, tmdb_id=1396)
    for n in (1, 2, 3):
        seed.movie(
            f"Episode {n}",
            2008,
            kind=db.EPISODE,
            show=show,
            season=1,
            episodes=[n],
            last_error="no season or episode number in the file name" if n == 3 else None,
        )
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    watch(page, problems)
    found: dict[str, list[str]] = {}
    for path, ready in ((f"/movies/{movie.id}", "#field-studios"), ("/", ".kind-line")):
        page.goto(f"{url}{path}")
        page.locator(ready).first.wait_for()
        for width in range(300, 760, 6):
            page.set_viewport_size({"width": width, "height": 844})
            bad = page.locator("main").evaluate(SEPARATORS_AT_LINE_START)
            bad += (
                page.locator(".ids").evaluate(PSEUDO_SEPARATORS_AT_LINE_START)
                if "movies" in path
                else []
            )
            if bad:
                found[f"{path} at {width} px"] = bad
    assert found == {}
    assert "with a problem" in page.locator(".kind-line").first.inner_text()
    page.goto(f"{url}/movies/{movie.id}")
    # the names are still apart, in the text a reader copies
    studios = page.locator("#field-studios .field-value").inner_text()
    assert studios == "New Line Cinema\u00a0· WingNut Films\u00a0· The Saul Zaentz Company"
    assert problems == [] and csp_violations(page) == []
