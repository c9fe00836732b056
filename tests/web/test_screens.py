"""The identify, activity and settings screens."""

from __future__ import annotations

import secrets
import time

import pytest

from metarrd import db, workflow
from metarrd.web.identify import parse_id

CANDIDATES = [
    {
        "tmdb_id": 1091,
        "title": "The Thing",
        "original_title": "The Thing",
        "year": 1982,
        "overview": "Antarctica.",
        "distance": 0.21,
        "penalties": {"year": 0.2, "title": 0.01},
        "recommendation": "medium",
    },
    {"tmdb_id": 60935, "title": "The Thing", "year": 2011, "distance": 0.3, "penalties": {}},
]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("603", (603, None)),
        (" tt0133093 ", (None, "tt0133093")),
        ("TT0133093", (None, "tt0133093")),
        ("https://www.themoviedb.org/movie/603-the-matrix", (603, None)),
        ("https://www.imdb.com/title/tt0133093/", (None, "tt0133093")),
    ],
)
def test_parse_id(text, ids):
    assert parse_id(text) == ids


# "²" and "٣" pass str.isdigit(); int() then put Python's own words on the page ("invalid
# literal for int()", "Exceeds the limit (4300 digits)"), and the whole paste with them
@pytest.mark.parametrize("text", ["", "matrix", "0", "tt12", "-5", "²", "٣", "9" * 5000])
def test_parse_id_refuses(text):
    with pytest.raises(ValueError, match="neither a TMDB id"):
        parse_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://www.themoviedb.org/movie/0",
        "themoviedb.org/movie/" + "9" * 30,
        "themoviedb.org/movie/" + "9" * 5000,
    ],
)
def test_a_movie_address_whose_number_is_no_id_is_refused(text):
    # 0 read as "no id" queued an automatic identification while the page said "Looking up"
    with pytest.raises(ValueError, match="is no id"):
        parse_id(text)


def test_identify_list_and_empty_state(client, seed):
    assert "Everything is identified" in client.get("/identify").get_data(as_text=True)
    seed.movie("The Thing", None, identification_status=db.UNIDENTIFIED, candidates=CANDIDATES)
    seed.movie("Gone", identification_status=db.UNIDENTIFIED, missing=True)
    html = client.get("/identify").get_data(as_text=True)
    assert "2 candidates; best: <bdi>The Thing</bdi> (1982)" in html
    assert "Gone" not in html


def test_identify_item_shows_candidates_with_their_explanation(client, seed):
    movie = seed.movie("The Thing", None, identification_status=db.UNIDENTIFIED)
    movie.candidates = CANDIDATES
    movie.save()
    html = client.get(f"/movies/{movie.id}/identify").get_data(as_text=True)
    assert "Which movie is this?" in html
    assert "TMDB (1091)" in html and "TMDB (60935)" in html
    assert 'href="https://www.themoviedb.org/movie/1091"' in html
    assert "Likely match" in html and "Antarctica." in html
    assert "distance" not in html and "low match" not in html  # one wording
    partial = client.hx_get(f"/movies/{movie.id}/identify").get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="identify"')


def test_choosing_a_candidate_queues_a_manual_identify(client, seed):
    movie = seed.movie("The Thing", None, identification_status=db.UNIDENTIFIED)
    html = client.post(f"/movies/{movie.id}/identify", {"id": "1091"}, htmx=True).get_data(
        as_text=True
    )
    assert "Identifying…" in html and "looking it up on TMDB" in html
    assert "tone-success" not in html and "queued" not in html  # no green "done" before it is
    job = db.Job.get(db.Job.movie == movie.id)
    assert job.kind == "identify" and job.payload["tmdb_id"] == 1091 and job.manual
    assert job.payload["source"] == "manual"


def test_pasting_an_imdb_url(client, seed):
    movie = seed.movie("The Matrix", identification_status=db.IDENTIFIED)
    client.post(f"/movies/{movie.id}/identify", {"id": "https://www.imdb.com/title/tt0133093/"})
    job = db.Job.get(db.Job.movie == movie.id)
    assert job.payload["imdb_id"] == "tt0133093" and job.payload["tmdb_id"] is None


def test_pasting_nonsense_explains_itself(client, seed):
    movie = seed.movie("The Thing", None, identification_status=db.UNIDENTIFIED)
    html = client.post(f"/movies/{movie.id}/identify", {"id": "the thing"}, htmx=True).get_data(
        as_text=True
    )
    assert "is neither a TMDB id" in html
    assert not db.Job.select().exists()


def test_a_search_becomes_a_search_job_with_the_typed_title(client, seed):
    movie = seed.movie("Thing", None, identification_status=db.UNIDENTIFIED, hints={"x": 1})
    html = client.post(
        f"/movies/{movie.id}/search", {"title": " The  Thing ", "year": "1982"}, htmx=True
    ).get_data(as_text=True)
    assert "Searching TMDB for “The Thing” (1982)…" in html  # until the job is done
    assert 'value="The Thing"' in html and 'value="1982"' in html
    assert "every 3s" in html
    job = db.Job.get(db.Job.movie == movie.id)
    assert job.kind == "search" and job.payload == {"title": "The Thing", "year": 1982}
    assert db.Movie.get_by_id(movie.id).hints == {"x": 1}  # a search changes nothing else
    bad = client.post(f"/movies/{movie.id}/search", {"title": "x", "year": "19"}, htmx=True)
    assert "is not a year" in bad.get_data(as_text=True)
    empty = client.post(f"/movies/{movie.id}/search", {"title": " "}, htmx=True)
    assert "Type a title" in empty.get_data(as_text=True)
    assert db.Job.select().count() == 1


def test_a_year_of_digits_int_cannot_read_is_not_a_year(client, seed):
    """A year "²" passes str.isdigit() but not int(): the search answered 500."""
    movie = seed.movie("Thing", None, identification_status=db.UNIDENTIFIED)
    for year in ("²", "19²2"):
        bad = client.post(f"/movies/{movie.id}/search", {"title": "x", "year": year}, htmx=True)
        assert bad.status_code == 200 and "is not a year" in bad.get_data(as_text=True)
    assert not db.Job.select().exists()


def test_a_message_repeating_a_huge_input_is_cut_so_the_session_cookie_survives(client, seed):
    """Without htmx the answer is a flashed message in the session cookie: 20,000 characters of
    it made a cookie browsers refuse to store, and the message was lost."""
    movie = seed.movie("Thing", None, identification_status=db.UNIDENTIFIED)
    typed = secrets.token_hex(10_000)  # what compression cannot shrink below 4 KB
    answer = client.post(f"/movies/{movie.id}/search", {"title": "x", "year": typed})
    assert answer.status_code == 303
    assert len(answer.headers["Set-Cookie"]) < 4000
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert typed[:100] in page and "…" in page


def test_a_search_job_lists_its_candidates_on_the_page(sim_stack):
    """The search box end to end: the web queues, the job (immediate mode, as the daemon would)
    asks the simulator, the page shows the candidates and the item stays unidentified."""
    from metarrd.web import live, queries

    client, seed = sim_stack
    movie = seed.movie("Thing", None, identification_status=db.UNIDENTIFIED, tmdb_id=None)
    cursor = queries.live_cursor()
    html = client.post(
        f"/movies/{movie.id}/search", {"title": "The Thing", "year": "1982"}, htmx=True
    ).get_data(as_text=True)
    assert "Results of your search for “The Thing” (1982)" in html
    assert "TMDB (1091)" in html and "Sure match" in html and "exact title and year" in html
    fresh = db.Movie.get_by_id(movie.id)
    assert fresh.identification_status == db.UNIDENTIFIED and fresh.tmdb_id is None
    assert [j.kind for j in db.Job.select()] == ["search"]
    # the event an open page follows: its movie-<id> message refreshes the identify page
    events = live.new_events(cursor)
    assert (movie.id, "search.done") in [(m, k) for _i, m, k in events]
    assert f"event: movie-{movie.id}\n" in live.messages(events)
    html = client.post(f"/movies/{movie.id}/search", {"title": "The Thing"}, htmx=True).get_data(
        as_text=True
    )
    assert "TMDB (1091)" in html and "TMDB (60935)" in html  # without the year: both films
    nothing = client.post(f"/movies/{movie.id}/search", {"title": "Qwxzv Plorth"}, htmx=True)
    assert "TMDB found nothing for “Qwxzv Plorth”" in nothing.get_data(as_text=True)


def test_activity_shows_jobs_failures_and_events(client, seed):
    movie = seed.movie("The Matrix")
    db.Job.create(kind="enrich", movie=movie, key="enrich:1", state="running", progress=0.4)
    db.Job.create(kind="scan", key="scan", state="queued")
    failed = db.Job.create(
        kind="publish", movie=movie, key="publish:1", state="failed", error="folder is read-only"
    )
    db.record_event("publish.failed", "folder is read-only", movie=movie, level="error")
    html = client.get("/activity").get_data(as_text=True)
    assert "1 waiting&nbsp;· 1 running&nbsp;· 0 done&nbsp;· 1 failed" in html
    assert "folder is read-only" in html
    assert f"/jobs/{failed.id}/retry" in html and "Publish failed" in html
    assert "publish.failed" not in html  # no raw event codes
    assert html.count("folder is read-only</") <= 2  # the failure and its event, once each
    answer = client.post(f"/jobs/{failed.id}/retry", htmx=True).get_data(as_text=True)
    assert "Queued again as job" in answer
    again = db.Job.select().where(db.Job.key == "publish:1", db.Job.state == "queued").get()
    assert again.id != failed.id
    assert f"/jobs/{failed.id}/retry" not in answer  # settled: newer work for the same key
    refused = client.post(f"/jobs/{again.id}/retry", htmx=True).get_data(as_text=True)
    assert "is queued, not failed" in refused


def test_activity_empty_states(client):
    html = client.get("/activity").get_data(as_text=True)
    assert "Nothing queued" in html and "No failures" in html and "No events yet" in html
    partial = client.hx_get("/activity").get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="activity"')


def test_settings_switch_a_stage(client):
    html = client.get("/settings").get_data(as_text=True)
    assert "The review gate." in html and 'id="stage-auto_publish"' in html
    answer = client.post("/settings/workflow/auto_publish", {"value": "on"}, htmx=True)
    assert 'aria-checked="true"' in answer.get_data(as_text=True)
    assert workflow.all_stages(client.application.config["METARRD"])["auto_publish"] is True
    client.post("/settings/workflow/auto_publish", {"value": "off"})
    assert workflow.all_stages(client.application.config["METARRD"])["auto_publish"] is False
    assert client.post("/settings/workflow/nope", {"value": "on"}).status_code == 404
    assert client.post("/settings/workflow/scanning", {"value": "maybe"}).status_code == 400


def test_settings_switching_enrichment_on_again_queues_what_it_skipped(client, seed):
    """Movies identified while `enrichment` was off wait for it: switched on in Settings, it
    queues one catch-up job, which queues an automatic enrich for each in the worker
    (tests/daemon/test_jobs.py); switched on when it is on already, nothing."""
    seed.movie("Heat", 1995, identification_status=db.IDENTIFIED)
    seed.movie("Alien", 1979)  # enriched already
    client.post("/settings/workflow/enrichment", {"value": "off"})
    client.post("/settings/workflow/enrichment", {"value": "on"}, htmx=True)
    queued = list(db.Job.select())
    assert [(j.kind, j.payload) for j in queued] == [("catch_up", {"stages": {"enrichment": 0}})]
    client.post("/settings/workflow/enrichment", {"value": "on"}, htmx=True)
    assert db.Job.select().count() == 1


def test_settings_provider_status_and_empty_players(client):
    db.record_event(
        "enrich.done",
        "enriched X",
        provider_errors={"fanart": "fanart.tv answered 503"},
    )
    html = client.get("/settings").get_data(as_text=True)
    assert "fanart.tv answered 503" in html
    assert "no key" in html  # the test config has no keys
    assert "No media player is configured" in html


def test_settings_player_connection_test(config_factory, monkeypatch):
    import metarrd.players
    from metarrd.web import create_app

    config = config_factory(
        player=[{"name": "Living room", "type": "kodi", "url": "http://127.0.0.1:9"}]
    )
    app = create_app(config, testing=True)
    calls = []

    def fake_test_players(rt, name=None):
        calls.append(name)
        return [(name, False, "Kodi does not answer at http://127.0.0.1:9")]

    monkeypatch.setattr(metarrd.players, "test_players", fake_test_players)
    c = app.test_client()
    page = c.get("/settings").get_data(as_text=True)
    assert "Living room" in page and "Test connection" in page
    assert "<strong>Kodi &#34;Living room&#34;</strong>" in page  # as every message names it
    token = page.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = c.post(
        "/settings/players/0/test", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    html = answer.get_data(as_text=True)
    assert "Failed:" in html and "Kodi does not answer" in html
    assert calls == ["Living room"]
    assert c.post("/settings/players/5/test", headers={"X-CSRF-Token": token}).status_code == 404


def test_a_password_in_a_player_url_is_never_shown_or_stored(config_factory, monkeypatch):
    """Kodi's user and password put in the player's URL: the requests keep them (from the
    configuration), the settings page, the database and the messages do not. (A Plex token
    in a query of the URL is refused by the configuration check: test_config.py.)"""
    from metarrd.players.transport import Endpoint
    from metarrd.web import create_app

    url = "http://kodi:KODIPASS123@127.0.0.1:9/"
    config = config_factory(player=[{"name": "Living room", "type": "kodi", "url": url}])
    app = create_app(config, testing=True)
    page = app.test_client().get("/settings").get_data(as_text=True)
    assert "Living room" in page and "127.0.0.1:9" in page
    assert "KODIPASS123" not in page
    (row,) = db.MediaPlayer.select()
    assert row.url == "http://…@127.0.0.1:9/"
    assert Endpoint(config.player[0], None, "", "").url("/jsonrpc").startswith("http://kodi:KODI")


def test_a_player_switched_off_says_so_on_the_settings_page(config_factory):
    from metarrd.web import create_app

    players = [
        {"name": "Living room", "type": "kodi", "url": "http://127.0.0.1:9"},
        {"name": "Bedroom", "type": "kodi", "url": "http://127.0.0.1:9", "enabled": False},
    ]
    app = create_app(config_factory(player=players), testing=True)
    page = app.test_client().get("/settings").get_data(as_text=True)
    living, bedroom = page.split("Bedroom")[0], page.split("Bedroom")[1]
    assert "switched off" not in living.split("Living room")[1]
    assert "switched off" in bedroom.split("</li>")[0]
    assert {p.name: p.enabled for p in db.MediaPlayer.select()} == {
        "Living room": True,
        "Bedroom": False,
    }


def test_running_enrich_shows_images_analysed_and_the_nav_shows_work(client, seed):
    movie = seed.movie("The Matrix")
    db.Job.create(kind="enrich", movie=movie, key="enrich:1", state="running", progress=0.0)
    db.Job.create(kind="enrich", movie=seed.movie("Alien"), key="enrich:2", state="queued")
    seed.asset(movie, analyzed=True)
    seed.asset(movie, analyzed=False)
    seed.asset(movie, analyzed=False, rejected_reason="too small")
    html = client.get("/activity").get_data(as_text=True)
    assert "2 of 3 images analysed" in html
    assert 'id="jobs-indicator"' in html and "1 running&nbsp;· 1 queued" in html
    nav = client.hx_get("/jobs/indicator").get_data(as_text=True)
    assert nav.lstrip().startswith('<a id="jobs-indicator"') and "every 4s" in nav


def test_a_retry_due_later_is_no_work_going_on_in_the_navigation(client, seed, count_queries):
    """`The Daily Show/The Daily Show 2024-03-05.mkv`, a date TMDB lists no episode for yet:
    identify queues a retry of the episode due later (`{"episode_retry": 1, "due": …}`), as it
    does for a picture that could not be had. The navigation said "0 running · 1 queued" with a
    spinner, asking every 4 s, for the hour it waits; the item's header already skipped it."""
    show = seed.movie("The Daily Show", 1996)
    db.Job.create(
        kind="identify",
        movie=show,
        key=f"identify:{show.id}",
        state="queued",
        payload={"episode_retry": 1, "due": time.time() + 3600},
    )
    nav = client.hx_get("/jobs/indicator").get_data(as_text=True)
    assert "Idle" in nav and "queued" not in nav and "every 4s" not in nav
    # one due now, and one without a due time, are work going on; still one statement
    db.Job.create(kind="identify", movie=show, key="identify:x", state="queued",
                  payload={"episode_retry": 1, "due": time.time() - 5})  # fmt: skip
    db.Job.create(kind="enrich", movie=show, key=f"enrich:{show.id}", state="queued")
    with count_queries() as q:
        from metarrd.web import progress

        jobs = progress.summary()
    assert (jobs.running, jobs.queued) == (0, 2)
    assert len([s for s in q.statements if "jobs" in s and "events" not in s]) == 1


def test_bulk_work_shows_n_of_n(client, seed):
    jobs = [
        db.Job.create(kind="enrich", movie=seed.movie(f"M{i}"), key=f"enrich:{i}", state=state)
        for i, state in enumerate(["done", "done", "failed", "queued"])
    ]
    db.record_event(
        "bulk.queued", "Enrich queued for 4 items", action="enrich", jobs=[j.id for j in jobs]
    )
    html = client.get("/activity").get_data(as_text=True)
    assert "3 of 4" in html and "(1 failed)" in html
    assert "Enrich: 3 of 4" in client.hx_get("/jobs/indicator").get_data(as_text=True)


def test_a_retry_is_offered_only_where_it_can_help(client, seed):
    movie = seed.movie("The Thing", identification_status=db.UNIDENTIFIED)
    bad_id = db.Job.create(
        kind="identify",
        movie=movie,
        key="identify:1",
        state="failed",
        payload={"tmdb_id": 999999999},
        error="TMDB has no movie 999999999",
    )
    flaky = db.Job.create(
        kind="enrich",
        movie=seed.movie("Heat"),
        key="enrich:9",
        state="failed",
        error="TMDB unavailable (gave up after 5 attempts)",
    )
    html = client.get("/activity").get_data(as_text=True)
    assert f"/jobs/{bad_id.id}/retry" not in html and "Choose another…" in html
    assert f"/jobs/{flaky.id}/retry" in html


def test_health_dashboard_charts_link_to_the_library(client, seed):
    a = seed.movie("A")
    seed.movie("B", publish_state=db.PUBLISHED)
    seed.asset(a, "poster", is_selected=True, rank=1, language="fr")
    db.record_event("enrich.failed", "TMDB unavailable", movie=a, level="error")
    html = client.get("/health").get_data(as_text=True)
    assert "<svg" in html and "Items per state" in html
    assert 'href="/?filter=published" aria-label="Published: 1"' in html
    assert 'href="/?missing_art=poster" aria-label="poster: 1 of 2"' in html
    assert 'aria-label="French: 1"' in html and 'href="/?poster_lang=fr"' in html
    assert "1 error " in html
    assert 'style="' not in html  # the CSP forbids inline styles
    from tests.web.test_library import titles

    assert titles(client.get("/?poster_lang=fr").get_data(as_text=True)) == ["A"]


def test_an_unknown_id_is_said_once_in_red_and_never_green(client, seed):
    movie = seed.movie("The Thing", None, identification_status=db.UNIDENTIFIED)
    movie.last_error = "TMDB has no movie 99999999"
    movie.save()
    db.Job.create(
        kind="identify",
        movie=movie,
        key=f"identify:{movie.id}",
        state="failed",
        manual=True,
        payload={"tmdb_id": 99999999},
        error="TMDB has no movie 99999999",
    )
    html = client.get(f"/movies/{movie.id}/identify").get_data(as_text=True)
    assert html.count("TMDB has no movie 99999999") == 1
    assert 'class="notice tone-danger" role="alert">TMDB has no movie' in html


def test_identified_items_say_what_they_are_and_no_command_lines_show():
    from metarrd.web.formatting import plain_message

    raw = (
        "no confident match for 'The Thing': 2 candidates, best 'The Thing' (1982); "
        "choose one in the UI or run `metarrd identify 12 --tmdb ID`"
    )
    assert plain_message(raw) == (
        "no confident match for 'The Thing': 2 candidates, best 'The Thing' (1982)"
    )
    assert (
        plain_message(
            "cannot publish: not enriched (it is identified; run `metarrd enrich 3` first)"
        )
        == "cannot publish: not enriched"
    )
    assert plain_message("matched to tmdb 603 by radarr/sonarr") == (
        "matched to TMDB 603 by Radarr/Sonarr"
    )


def test_scan_now_queues_a_scan_of_that_library(client, library):
    html = client.get("/settings").get_data(as_text=True)
    assert "Scan now" in html and library.name in html
    answer = client.post("/settings/scan", {"library": str(library.id)}, htmx=True)
    assert "Scanning Movies" in answer.get_data(as_text=True)
    job = db.Job.get(db.Job.kind == "scan")
    assert job.payload["paths"] == [library.path]
    assert client.post("/settings/scan", {"library": "999"}).status_code == 404


def test_artwork_preferences_are_stored_in_the_database_and_win(client, config):
    from metarrd import preferences

    html = client.get("/settings").get_data(as_text=True)
    assert 'id="limit-poster"' in html and 'value="3"' in html
    bad = client.post("/settings/artwork", {"limit-poster": "lots", "languages": "en"}, htmx=True)
    assert bad.status_code == 422 and "not a number from 0 to 20" in bad.get_data(as_text=True)
    bad = client.post("/settings/artwork", {"limit-poster": "2", "languages": "english"}, htmx=True)
    assert "not a two-letter language code" in bad.get_data(as_text=True)
    form = {f"limit-{t}": str(n) for t, n in config.artwork.limits.items()}
    form.update({"limit-poster": "1", "languages": "fr, en"})
    ok = client.post("/settings/artwork", form, htmx=True).get_data(as_text=True)
    assert "Artwork settings saved" in ok and "Back to the configuration" in ok
    effective = preferences.effective(config).artwork
    assert effective.limits["poster"] == 1 and effective.preferred_languages == ("fr", "en")
    assert config.artwork.limits["poster"] == 3  # the configuration itself is unchanged
    client.post("/settings/artwork", {"reset": "1"}, htmx=True)
    assert preferences.effective(config) is config


def test_the_artwork_form_shows_the_limit_in_force_and_saving_it_unchanged_keeps_it(client, config):
    """A type `[artwork.limits]` leaves out (a show's characterart, its season-all-* art) is
    selected once (enrich: `limits.get(type, 1)`), but the Settings form showed it as 0, and
    saving the form as shown, to change the languages only, set each to 0: no character art
    nor all-seasons art was fetched any more."""
    import re

    from metarrd import preferences
    from metarrd.config import ASSET_TYPES

    assert "characterart" not in config.artwork.limits
    html = client.get("/settings").get_data(as_text=True)
    boxes = dict(re.findall(r'<input id="limit-([a-z-]+)"([^>]*)>', html))
    assert set(boxes) == set(ASSET_TYPES)
    shown = {t: re.search(r'value="(\d+)"', box).group(1) for t, box in boxes.items()}
    assert shown["characterart"] == shown["season-all-poster"] == "1"
    assert shown["poster"] == "3"
    assert "changed" not in boxes["characterart"]  # the configuration's own, not the user's
    form = {f"limit-{t}": n for t, n in shown.items()}
    form["languages"] = "de, en"
    ok = client.post("/settings/artwork", form, htmx=True).get_data(as_text=True)
    assert "Artwork settings saved" in ok
    limits = preferences.effective(config).artwork.limits
    assert limits["characterart"] == limits["season-all-fanart"] == 1


def test_the_artwork_limit_set_in_the_ui_caps_manual_choices(client, seed, config):
    from metarrd import preferences

    preferences.save({"limits": {"poster": 1}, "languages": ["en"]})
    movie = seed.movie("The Matrix")
    seed.asset(movie, is_selected=True, rank=1)
    other = seed.asset(movie, score=0.1)
    html = client.post(f"/assets/{other.id}/add", htmx=True).get_data(as_text=True)
    assert "the limit; remove one first" in html


def test_an_identified_item_says_what_it_is_instead_of_asking(client, seed):
    movie = seed.movie("Heat", 1995, identification_status=db.IDENTIFIED, tmdb_id=949)
    html = client.get(f"/movies/{movie.id}/identify").get_data(as_text=True)
    assert "This is <bdi>Heat</bdi>" in html and "Which movie is this?" not in html
    assert 'href="https://www.themoviedb.org/movie/949"' in html


def test_test_connection_for_a_provider_is_a_job_for_the_daemon(client, config):
    html = client.get("/settings").get_data(as_text=True)
    assert 'id="provider-tmdb"' in html
    row = client.post("/settings/providers/tmdb/test", htmx=True).get_data(as_text=True)
    assert row.lstrip().startswith('<tr id="provider-tmdb"') and "testing…" in row
    job = db.Job.get(db.Job.kind == "probe")
    assert job.payload == {"providers": ["tmdb"]}
    db.Job.update(state="done").execute()
    db.record_event("probe.done", "tmdb: reached", provider="tmdb", result="reached; the key works")
    row = client.hx_get("/settings/providers/tmdb").get_data(as_text=True)
    assert "reached; the key works" in row and "testing…" not in row
    assert client.post("/settings/providers/nope/test").status_code == 404


def test_settings_say_proper_nouns_and_counts_properly(client, seed):
    seed.movie("A")
    html = client.get("/settings").get_data(as_text=True)
    assert "Radarr/Sonarr" in html and "Radarr/sonarr" not in html
    assert "built-in method" not in html and "1 movie<" in html
