"""Numbers no SQLite INTEGER can hold (ids, pages, cursors) are a 404 or are ignored, never a 500:
every route with an `<int:...>` part and every numeric argument is tried. A title of thousands of
spaces (a hostile movie.nfo) in a message is shown at once."""

from __future__ import annotations

import pytest

from metarrd import db

HUGE = "9" * 23  # > 2**63 - 1: "Python int too large to convert to SQLite INTEGER"
JUST_TOO_BIG = str(2**63)  # 19 digits, like the largest id SQLite holds


@pytest.mark.parametrize("huge", [HUGE, JUST_TOO_BIG, "9" * 5000])
def test_every_int_route_answers_404_for_a_huge_id(app, client, huge):
    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(rules) >= 10
    for rule in rules:
        url = rule.rule
        for part in ("movie_id", "asset_id", "job_id", "actor_id", "index"):
            url = url.replace(f"<int:{part}>", huge)
        url = (
            url.replace("<any(enrich, publish, republish):action>", "enrich")
            .replace("<name>", "plot")
            .replace("<asset_type>", "poster")
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                answer = client.get(url)
            else:
                answer = client.post(url, data={"value": "x", "id": "603", "title": "x"})
            assert answer.status_code == 404, (method, url, answer.status_code)


@pytest.mark.parametrize(
    "url",
    [
        f"/?page={HUGE}",
        f"/?per_page={HUGE}",
        f"/identify?page={HUGE}",
        f"/identify?page={2**63 - 1}",
        f"/live?after={HUGE}",
        f"/?page={'9' * 5000}",
    ],
)
def test_huge_numbers_in_arguments_are_not_an_error(app, client, url):
    app.config.update(LIVE_MAX_SECONDS=0.1, LIVE_POLL_SECONDS=0.05)
    answer = client.get(url)
    answer.get_data()  # a stream fails while it runs, not when it starts
    assert answer.status_code == 200, url


def test_a_huge_last_event_id_is_ignored(app, client):
    app.config.update(LIVE_MAX_SECONDS=0.1, LIVE_POLL_SECONDS=0.05)
    answer = client.get("/live", headers={"Last-Event-ID": HUGE})
    assert answer.status_code == 200 and "retry:" in answer.get_data(as_text=True)


def test_bulk_with_huge_ids_skips_them(client, seed):
    movie = seed.movie("The Matrix")
    answer = client.post("/bulk", {"action": "enrich", "ids": [HUGE, str(movie.id)]})
    assert answer.status_code == 303
    assert db.Job.select().where(db.Job.movie == movie.id).count() == 1


# A NUL character is text to SQLite but no PostgreSQL text can hold one: psycopg2 refused the
# statement ("A string literal cannot contain NUL (0x00) characters") and the page was a 500.


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("/?q=Mat%00rix", "The Matrix</a>"),
        ("/counts?q=Mat%00rix", '<span class="count" id="count-all" hx-swap-oob="true">1</span>'),
        ("/?q=Matrix&poster_lang=e%00n", "Nothing matches"),
    ],
)
def test_a_nul_in_the_search_or_a_facet_is_dropped(client, seed, url, found):
    seed.movie("The Matrix")
    answer = client.get(url)
    assert answer.status_code == 200, url
    assert found in answer.get_data(as_text=True)


def test_a_bulk_action_with_a_nul_in_the_search_is_no_error(client, seed):
    movie = seed.movie("The Matrix")
    answer = client.post("/bulk", {"action": "lock", "all_matching": "1", "q": "Mat\x00rix"})
    assert answer.status_code == 303
    assert db.Movie.get_by_id(movie.id).locked_fields


@pytest.mark.parametrize("name", ["title", "plot", "tagline", "trailer", "genres"])
def test_a_field_with_a_nul_is_stored_without_it(client, seed, name):
    """Left out where the web reads the form (metarrd/web/incoming.py), as from a provider's
    answer: the value saved is what the page then shows and the NFO holds (it was refused)."""
    movie = seed.movie("The Matrix")
    answer = client.post(f"/movies/{movie.id}/fields/{name}", {"value": "Ma\x00trix"}, htmx=True)
    assert answer.status_code == 200
    value = getattr(db.Movie.get_by_id(movie.id), name)
    assert value == (["Matrix"] if name == "genres" else "Matrix")


# A movie.nfo whoever may write the library can put there (a download client's user, a share's
# guest: docs/security.md) keeps the white space inside its <title> (nfo_read strips only its
# ends), and messages name the item by it (`item 3 (Heat … (1995)): cannot publish: …`,
# publish/apply.py). The patterns that take command lines out of a message (formatting.py's
# `plain_message`) tried each start inside such a run, and each split of it: 1,000 spaces took
# 0.6 s, 3,000 some 16 s, 20,000 hours (in one regex call, which holds the GIL throughout), for
# each message on the page, each time it was shown.
def test_a_title_of_much_white_space_in_a_message_is_shown_at_once(client, seed, finishes):
    movie = seed.movie("Heat" + " " * 3_000 + "x", 1995)
    message = f"{movie.label}: cannot publish: the folder is read-only; choose one in the UI"
    db.Movie.update(last_error=message).where(db.Movie.id == movie.id).execute()
    db.record_event("publish.failed", message, level="error", movie=movie.id)
    for url in ("/", "/activity"):
        page = finishes(lambda url=url: client.get(url), 5.0)
        assert page.status_code == 200 and "cannot publish" in page.get_data(as_text=True)
