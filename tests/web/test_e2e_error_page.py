"""In a real headless Chromium: the error page's big status number ("404") stands centred
above its title, as the rest of the page does. It stood at the left of a 36rem box (`.empty p`
is that wide, centred by its auto margins; the status's own `margin: 0` took them away), a
hand's width off the centre on a desktop."""

from __future__ import annotations

import pytest

from tests.web.test_e2e import csp_violations, watch

pytestmark = [pytest.mark.e2e]

# the middle of what a selector's text covers on the screen (its characters, not its box)
TEXT_MIDDLE = """(sel) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(sel));
  const rect = range.getBoundingClientRect();
  return rect.left + rect.width / 2;
}"""


def test_the_status_number_stands_centred_above_the_title(site, browser):
    url, _seed = site
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    watch(page, problems)
    answer = page.goto(f"{url}/no/such/page")
    assert answer is not None and answer.status == 404
    status = page.evaluate(TEXT_MIDDLE, ".error-page .status")
    title = page.evaluate(TEXT_MIDDLE, ".error-page h1")
    assert page.locator(".error-page .status").inner_text() == "404"
    assert abs(status - title) < 2, (status, title)
    # the page's own 404 is the one thing the console says
    assert [p for p in problems if "status of 404" not in p] == []
    assert csp_violations(page) == []
