"""In a real headless Chromium, without the daemon (rows seeded, the web server in a thread): the
library's state counts end on what the database holds when the daemon's events come in bursts.

Found by bulk-enriching a TV library (Breaking Bad, Doctor Who, Naruto, The Daily Show, The
Office) from the poster wall: every card turned "To review" while the chips stayed on "Not
enriched 1 · To review 4" for minutes. The counts followed `sse:activity` with htmx's
`throttle:1s`, which drops (not defers) an event inside its window: the last enrich.done, a
fraction of a second after the one before it, was never counted."""

from __future__ import annotations

import pytest

from metarrd import db
from tests.web.test_e2e import csp_violations, watch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def enrich_done(movie: db.Movie) -> None:
    """What the daemon's enrich leaves: the item enriched, and its event."""
    with db.write_transaction():
        db.Movie.update(identification_status=db.ENRICHED).where(db.Movie.id == movie.id).execute()
        db.record_event("enrich.done", "enriched", movie=movie)


def test_the_counts_end_on_the_last_of_two_close_events(site, browser):
    url, seed = site
    shows = [seed.movie(t, 2000 + i, identification_status=db.IDENTIFIED) for i, t in
             enumerate(("Breaking Bad", "Doctor Who"))]  # fmt: skip
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watch(page, problems)
    page.goto(url + "/")
    page.wait_for_function("() => window.__live === true")  # the stream is open (htmx:sseOpen)
    enrich_done(shows[0])
    page.wait_for_function(
        "() => document.getElementById('count-unpublished').textContent.trim() === '1'",
        polling=50,
        timeout=5000,
    )
    enrich_done(shows[1])  # within the second after the counts were refreshed
    page.locator(f"#movie-{shows[1].id} .badge", has_text="To review").wait_for(timeout=5000)
    # the counts follow (the dropped event left them on "1 · 1" for good, however long one
    # waits; a loaded machine takes longer than the page's promise of 2 s)
    page.wait_for_function(
        "() => ['identified', 'unpublished'].map((k) =>"
        " document.getElementById('count-' + k).textContent.trim()).join() === '0,2'",
        polling=100,
        timeout=15000,
    )
    assert problems == [] and csp_violations(page) == []
