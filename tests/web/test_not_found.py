"""Every 404 of the web app says one kind of sentence, naming what was not found ("There is no
artwork type 'clearart' for this item."), on the error page and in an htmx toast alike: some
said "Unknown artwork type …", others "There is no such provider." (which one?), an image or
a season's episode order a bare werkzeug "The requested URL was not found on the server"."""

from __future__ import annotations

import html

import pytest

from metarrd import db


def _message(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


@pytest.fixture
def things(seed):
    movie = seed.movie("The Matrix")
    season = seed.movie("Season 1", year=None, kind=db.SEASON)
    return movie, seed.asset(movie, preview=False), season


def test_every_404_names_what_is_not_there_in_one_kind_of_sentence(client, things):
    movie, bare, season = things
    m = movie.id
    cases = [
        ("get", "/movies/4242", "There is no item 4242 (it may have been removed)."),
        ("get", "/movies/4242/row", "There is no item 4242 (it may have been removed)."),
        ("get", f"/movies/{m}/tabs/nonsense", "There is no 'nonsense' tab on this item's page."),
        ("get", f"/movies/{m}/fields/path/edit", "There is no editable field 'path' on this item."),
        ("post", "/assets/99999/use", "There is no artwork 99999 (the item was enriched again?)."),
        ("post", f"/assets/{bare.id}/explode", "There is no artwork action 'explode'."),
        ("get", "/assets/99999/view", "There is no artwork 99999 (the item was enriched again?)."),
        (
            "post",
            f"/movies/{m}/artwork/nope/lock",
            "There is no artwork type 'nope' for this item.",
        ),
        ("get", f"/assets/{bare.id}/image", f"There is no image of artwork {bare.id} (nor its"),
        ("get", "/actors/9999/thumb", "There is no image of actor 9999."),
        ("get", "/previews/poster/zz.webp", "There is no preview 'poster/zz.webp'."),
        ("post", "/settings/providers/nope/test", "There is no provider 'nope'."),
        ("get", "/settings/providers/nope", "There is no provider 'nope'."),
        ("post", "/settings/workflow/nope", "There is no workflow stage 'nope'."),
        ("post", "/settings/players/5/test", "There is no player 5 in the configuration"),
        ("post", f"/movies/{season.id}/episode-order", f"There is no show {season.id} (item"),
        ("get", "/no/such/page", "There is no page at /no/such/page."),
        ("get", "/movies/99999999999999999999", "There is nothing numbered 99999999999999999999"),
    ]
    for method, url, said in cases:
        form = {"value": "on", "order": "dvd"}
        page = client.get(url) if method == "get" else client.post(url, form)
        assert page.status_code == 404, url
        assert said in _message(page), (url, _message(page)[-600:])
        assert "Not found" in _message(page)  # the one error page
        toast = client.hx_get(url) if method == "get" else client.post(url, form, htmx=True)
        assert toast.status_code == 404 and said in _message(toast), url
        assert 'id="toast"' in _message(toast)


def test_the_400s_of_a_wrong_choice_name_it(client, seed):
    stage = client.post("/settings/workflow/enrichment", {"value": "maybe"})
    assert stage.status_code == 400
    assert "There is no stage setting 'maybe': a stage is switched on or off." in _message(stage)
    bulk = client.post("/bulk", {"action": "explode"})
    assert bulk.status_code == 400
    assert "There is no bulk action 'explode': choose Enrich" in _message(bulk)
