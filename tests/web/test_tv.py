"""The review UI for TV (issue 14 item 4): shows beside movies in the library (never their
seasons or episodes), a show's page with its seasons and episodes, season and episode pages
that reuse the item page with breadcrumbs back to the show, and the whole show's publish
preview. The show is built straight into the database as TV enrich leaves it."""

from __future__ import annotations

import re

import peewee as pw
import pytest

from metarrd import db
from metarrd.config import parse_config
from metarrd.web import create_app, listing
from tests.publish.tvshow import UNNUMBERED, build_show

from .conftest import Client, Seeder


@pytest.fixture
def tv(tmp_path):
    """(client, built show, seeder) of an app with a TV and a Movies library."""
    for name in ("tv", "movies"):
        (tmp_path / name).mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [
                {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
                {"name": "Movies", "path": str(tmp_path / "movies"), "kind": "movie"},
            ],
        }
    )
    app = create_app(config, testing=True)
    rt = app.extensions["metarrd.runtime"]
    built = build_show(rt, unnumbered=[UNNUMBERED])
    built.show.numbering_note = "TheTVDB counts the specials differently"
    built.show.save()
    yield Client(app.test_client()), built, Seeder(config)
    rt.close()


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_library_lists_shows_beside_movies_never_seasons_or_episodes(tv):
    client, built, seed = tv
    seed.movie("The Matrix", 1999)
    page = text(client.get("/"))
    assert f'id="movie-{built.show.id}"' in page
    assert "The Matrix" in page
    # six numbered files hold nine episodes (S01E04E05, S02E01-E03); the file without numbers
    # holds none
    assert "Show&nbsp;· 9 episodes" in page
    assert "1 with a problem" in page
    for item in [*built.seasons.values(), *built.episodes.values()]:
        assert f'id="movie-{item.id}"' not in page
    assert re.search(r'id="count-all">\s*2<', page)


def test_a_show_card_counts_the_episodes_an_air_date_file_was_matched_to(tv):
    """A daily show's file is named by its air date: no numbers in its name, the episode is the
    one identify matched by that date (its ref), and it counts as one."""
    client, built, _seed = tv
    ep = built.episodes[UNNUMBERED]
    ep.aired = "2008-02-11"
    ep.episode_refs = [{"season": 1, "episode": 3, "tmdb_id": 62103, "aired": "2008-02-11"}]
    ep.last_error = None
    ep.identification_status = db.IDENTIFIED
    ep.save()
    page = text(client.get("/?kind=show"))
    assert "Show&nbsp;· 10 episodes" in page
    assert "with a problem" not in page


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [("show", "Breaking Bad", "The Matrix"), ("movie", "The Matrix", "Breaking Bad")],
)
def test_the_kind_tabs_narrow_the_library(tv, kind, shown, hidden):
    client, _built, seed = tv
    seed.movie("The Matrix", 1999)
    page = text(client.hx_get(f"/?kind={kind}&view=table"))
    assert shown in page and hidden not in page
    assert re.search(r'id="count-all" hx-swap-oob="true">1<', page)
    full = text(client.get(f"/?kind={kind}"))
    assert f'name="kind" value="{kind}" checked' in full


def test_the_kind_switch_is_only_for_a_library_of_movies_and_shows(tv):
    """A library of shows alone (a Sonarr-only install) offered All / Movies / Shows, two of
    them leading nowhere: the switch is there once both kinds are; a `?kind=` typed by hand
    still narrows the list, and keeps its switch to go back."""
    client, _built, seed = tv
    page = text(client.get("/"))
    assert "Breaking Bad" in page and 'id="kinds"' not in page
    assert 'name="kind"' not in page
    typed = text(client.get("/?kind=movie"))
    assert "Breaking Bad" not in typed
    assert 'name="kind" value="movie" checked' in typed  # shown, so that All takes it back
    listing.forget_options()
    seed.movie("The Matrix", 1999)
    both = text(client.get("/"))
    assert 'id="kinds"' in both and 'name="kind" value="all" checked' in both


def test_a_library_of_movies_alone_has_no_kind_switch(client, seed):
    seed.movie("The Matrix", 1999)
    seed.movie("Heat", 1995)
    page = text(client.get("/"))
    assert "The Matrix" in page and 'id="kinds"' not in page
    typed = text(client.get("/?kind=show"))
    assert "The Matrix" not in typed and 'name="kind" value="show" checked' in typed


def test_a_show_page_lists_its_seasons_and_episodes_with_their_state_and_reasons(tv):
    client, built, _seed = tv
    show = built.show
    page = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert "Seasons &amp; episodes" in page
    assert "TheTVDB counts the specials differently" in page  # the numbering note
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    loose = built.episodes[UNNUMBERED]
    assert f'href="/movies/{pilot.id}">S01E01<' in page
    assert f'href="/movies/{double.id}">S01E04–E05<' in page
    assert "Episode 1x1 title" in page and "2008-02-11" in page
    assert "no season or episode number in the file name" in page  # the unmatched file's reason
    assert f'href="/movies/{loose.id}">File<' in page
    assert f'href="/movies/{built.seasons[1].id}">Season 1<' in page
    # seasons in order, specials after the numbered ones, unmatched files last
    order = [page.index(f'id="season-{n}"') for n in (1, 2, 3, 0, "none")]
    assert order == sorted(order)
    # the show's own tabs: no streams, a TheTVDB link, "Change show…"
    assert f"themoviedb.org/tv/{show.tmdb_id}" in page
    assert "Change show…" in page


def test_a_show_page_costs_the_same_statements_for_any_number_of_episodes(tv, count_queries):
    client, built, _seed = tv
    url = f"/movies/{built.show.id}/tabs/episodes"
    with count_queries() as few:
        text(client.hx_get(url))
    for i in range(20):
        db.Movie.create(
            library=built.show.library,
            path=f"{built.folder}/Season 02/Breaking Bad - S02E{10 + i}.mkv",
            kind=db.EPISODE,
            show=built.show,
            season=2,
            episodes=[10 + i],
            identification_status=db.IDENTIFIED,
        )
    with count_queries() as many:
        assert "S02E29" in text(client.hx_get(url))
    assert many.count == few.count


def test_season_and_episode_pages_reuse_the_item_page_with_breadcrumbs(tv):
    client, built, _seed = tv
    season = built.seasons[1]
    page = text(client.get(f"/movies/{season.id}"))
    assert 'aria-label="Breadcrumb"' in page
    assert f'href="/movies/{built.show.id}">Breaking Bad<' in page
    assert 'id="field-plot"' in page and 'id="field-premiered"' in page
    assert 'id="field-genres"' not in page
    assert "Identify…" not in page and "Change" not in page.split('id="item-actions"')[1][:2000]
    episodes = text(client.hx_get(f"/movies/{season.id}/tabs/episodes"))
    assert "S01E04–E05" in episodes and "S02E01" not in episodes
    assert "Season 2" not in episodes

    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    page = text(client.get(f"/movies/{double.id}"))
    assert f'href="/movies/{season.id}">Season 1<' in page
    assert "S01E04–E05" in page
    assert "Episodes in this file" in page and "Episode 1x5 title" in page
    for name in ("title", "runtime", "directors", "writers"):
        assert f'id="field-{name}"' in page
    assert 'id="field-set_name"' not in page
    assert text(client.hx_get(f"/movies/{double.id}/tabs/files")).count("Streams") == 1
    assert client.hx_get(f"/movies/{double.id}/tabs/episodes").status_code == 404
    artwork = text(client.hx_get(f"/movies/{double.id}/tabs/artwork"))
    assert 'id="art-thumb"' in artwork
    assert "No candidates for" not in artwork  # a thumb is all an episode has
    season_art = text(client.hx_get(f"/movies/{season.id}/tabs/artwork"))
    assert 'id="art-poster"' in season_art and 'id="art-banner"' in season_art
    assert "No candidates for fanart, landscape: the providers had none." in season_art
    assert "Add your own landscape" in season_art


def test_an_episode_edit_is_locked_and_reaches_its_episode_details(tv):
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    db.Movie.update(publish_state=db.PUBLISHED).where(
        db.Movie.id.in_([pilot.id, built.show.id])
    ).execute()
    answer = client.post(f"/movies/{pilot.id}/fields/title", {"value": "Pilot (uncut)"}, htmx=True)
    assert answer.status_code == 200
    pilot = db.Movie.get_by_id(pilot.id)
    assert pilot.title == "Pilot (uncut)" and "title" in pilot.locked_fields
    assert pilot.episode_details[0]["title"] == "Pilot (uncut)"
    assert pilot.episode_details[0]["plot"] == "What happens in 1x1."
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED  # "Republish?"
    client.post(f"/movies/{built.seasons[1].id}/fields/plot", {"value": "The start."}, htmx=True)
    assert db.Movie.get_by_id(built.seasons[1].id).plot == "The start."


def test_a_season_or_episode_previews_and_publishes_its_whole_show(tv):
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    whole = text(client.hx_get(f"/movies/{built.show.id}/preview")).replace("<wbr>", "")
    assert "tvshow.nfo" in whole and "Breaking Bad - S01E01 - Pilot.nfo" in whole
    from_episode = text(client.hx_get(f"/movies/{pilot.id}/preview"))
    assert "tvshow.nfo" in from_episode and "so it is published as one" in from_episode
    assert "Publish the whole show now" in from_episode
    # Refresh previews the page's own item: the show's preview had Publish now answer with the
    # show's header, which then replaced the episode's on the episode's page
    assert f'hx-get="/movies/{pilot.id}/preview"' in from_episode
    assert f'/movies/{built.show.id}/publish"' in from_episode
    assert f'"page": "{pilot.id}"' in from_episode
    # changed files first: nothing is on disk yet, so nothing is folded as unchanged
    assert "unchanged</summary>" not in from_episode


def test_publish_from_an_episode_page_queues_the_show_and_answers_with_the_episodes_header(tv):
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    answer = client.post(
        f"/movies/{built.show.id}/publish", {"view": "header", "page": str(pilot.id)}, htmx=True
    )
    body = text(answer)
    assert "Publish queued for Breaking Bad" in body
    assert f"/movies/{pilot.id}/header" in body  # the page's own header, not the show's
    job = db.Job.get(db.Job.kind == "publish")
    assert job.movie_id == built.show.id


def test_season_and_episode_pages_follow_their_shows_live_events(tv):
    """Publish (or Enrich) on an episode page acts on the show, and the daemon's publish.done
    names the show: the episode page, listening to its own id only, said "Enriched –
    Unpublished" until reloaded although the episode was published."""
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    show = built.show.id
    for item in (pilot.id, built.seasons[1].id):
        page = text(client.get(f"/movies/{item}"))
        header = re.search(r'<header id="item-header"[^>]*>', page).group(0)
        assert f'hx-trigger="sse:movie-{item}, sse:movie-{show}"' in header
        tabs = re.search(r'<div id="item-tabs"[^>]*>', page).group(0)
        assert f'hx-trigger="sse:movie-{item}-data, sse:movie-{show}-data"' in tabs
    show_page = text(client.get(f"/movies/{show}"))
    assert f'hx-trigger="sse:movie-{show}"' in show_page


def test_an_episodes_edit_refreshes_its_shows_card_live(tv):
    """An episode's edit turns its published show "Republish?", but the event named only the
    episode: the show's card in an open library stayed "Published" while the "Changed –
    republish" count beside it went up."""
    from metarrd.web import live, queries

    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    show = built.show.id
    db.Movie.update(publish_state=db.PUBLISHED).where(
        (db.Movie.id == show) | (db.Movie.show == show)
    ).execute()
    cursor = queries.live_cursor()
    client.post(f"/movies/{pilot.id}/fields/title", {"value": "Pilot (uncut)"}, htmx=True)
    text_ = live.messages(live.new_events(cursor))
    assert f"event: movie-{pilot.id}\n" in text_ and f"event: movie-{show}\n" in text_
    assert f"event: movie-{show}-data\n" not in text_  # the user's own edit: no tab reload
    assert text_.endswith("event: activity\ndata: 1\n\n")
    card = text(client.hx_get(f"/movies/{show}/row"))
    assert "Republish?" in card


def test_the_review_walk_never_leads_into_a_republish_shows_seasons_and_episodes(tv):
    """A published show changed ("Republish?", its seasons and episodes with it): the walk
    counted and visited those seasons and episodes ("To review: 1 of 9", then "Next" opened
    "Season 1") while the library listed two items to review."""
    client, built, seed = tv
    show = built.show.id
    db.Movie.update(publish_state=db.OUTDATED).where(
        (db.Movie.id == show) | (db.Movie.show == show)
    ).execute()
    alien = seed.movie("Alien", 1979)  # "To review", before "Breaking Bad" by title
    page = text(client.get(f"/movies/{alien.id}"))
    assert "To review: 1 of 2" in page
    assert re.search(rf'id="review-next"[^>]*href="/movies/{show}"', page)


def test_a_shows_card_refreshes_with_its_episode_count_and_bulk_acts_on_shows(tv):
    client, built, seed = tv
    card = text(client.hx_get(f"/movies/{built.show.id}/row"))
    assert "Show&nbsp;· 9 episodes" in card
    table_row = text(client.hx_get(f"/movies/{built.show.id}/row?view=table"))
    assert "Show&nbsp;· 9 episodes" in table_row
    movie = seed.movie("Alien", 1979)
    movie_card = text(client.hx_get(f"/movies/{movie.id}/row"))
    assert "episode" not in movie_card
    answer = client.post(
        "/bulk", {"action": "enrich", "ids": [str(built.show.id), str(movie.id)]}, htmx=True
    )
    assert "Enrich queued for 2 of 2 items" in text(answer)


def test_bulk_identify_skips_a_season_with_the_reason_instead_of_queueing_a_failing_job(tv):
    client, built, _seed = tv
    season = built.seasons[1]
    before = db.Job.select().count()
    answer = client.post("/bulk", {"action": "identify", "ids": [str(season.id)]}, htmx=True)
    assert "a season is identified with its show" in text(answer)
    assert db.Job.select().count() == before


def test_an_unknown_kind_lists_everything(tv):
    client, built, seed = tv
    seed.movie("Alien", 1979)
    page = text(client.hx_get("/?kind=episode&view=table"))
    assert "Alien" in page and "Breaking Bad" in page
    assert re.search(r'id="count-all" hx-swap-oob="true">2<', page)


def test_an_episodes_files_tab_lists_what_was_written_beside_it(tv):
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    stem = pilot.path.rsplit(".", 1)[0]
    for path, kind in (
        (stem + ".nfo", "nfo"),
        (stem + "-thumb.jpg", "art"),
        (f"{built.folder}/tvshow.nfo", "nfo"),
        (f"{built.folder}/Season 01/Breaking.Bad.s01.e02.nfo", "nfo"),
    ):
        db.LibraryFile.create(movie=built.show, path=path, kind=kind, sha256="0" * 64, size=10)
    files = text(client.hx_get(f"/movies/{pilot.id}/tabs/files"))
    assert "Breaking Bad - S01E01 - Pilot.nfo" in files
    assert "Breaking Bad - S01E01 - Pilot-thumb.jpg" in files
    assert "tvshow.nfo" not in files and "s01.e02" not in files
    show_files = text(client.hx_get(f"/movies/{built.show.id}/tabs/files"))
    assert "tvshow.nfo" in show_files and "Streams" not in show_files


def test_an_episodes_files_tab_leaves_out_an_episode_whose_name_starts_alike(tv):
    """`Show 1x1.mkv` listed the NFO and thumb of `Show 1x10.mkv` (and of 1x11 to 1x19) as its
    own: the files were found by the name's start (`Show 1x1%`). Kodi's are `<name>.nfo` and
    `<name>-thumb.<ext>`; a `_` or `%` in the name is no wildcard either."""
    client, built, _seed = tv
    folder = f"{built.folder}/Season 01"
    one, ten = (
        db.Movie.create(library=built.show.library, path=f"{folder}/Show_100% 1x{n}.mkv",
                        kind=db.EPISODE, show=built.show, season=1, episodes=[n], title=f"E{n}")
        for n in (1, 10)
    )  # fmt: skip
    for stem in (f"{folder}/Show_100% 1x1", f"{folder}/Show_100% 1x10"):
        for path, kind in ((stem + ".nfo", "nfo"), (stem + "-thumb.jpg", "art")):
            db.LibraryFile.create(movie=built.show, path=path, kind=kind, sha256="0" * 64, size=1)
    files = text(client.hx_get(f"/movies/{one.id}/tabs/files"))
    assert "Show_100% 1x1.nfo" in files and "Show_100% 1x1-thumb.jpg" in files
    assert "1x10" not in files
    assert "Show_100% 1x10-thumb.jpg" in text(client.hx_get(f"/movies/{ten.id}/tabs/files"))


def test_an_episodes_files_are_looked_up_by_path_not_among_the_whole_shows(tv, monkeypatch):
    """bench.web's daily show of 30 seasons x 500 files has some 30,000 ledger rows (an NFO and
    a thumb each): an episode's Files tab read them all (SEARCH by the show's id, then the
    names compared) to list its two. It now asks for its own names by the path index."""
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    stem = pilot.path.rsplit(".", 1)[0]
    for path in (stem + ".nfo", stem + "-thumb.png"):
        db.LibraryFile.create(movie=built.show, path=path, kind="nfo", sha256="0" * 64, size=1)
    seen: list[tuple[str, tuple]] = []
    real = db.database.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        seen.append((sql, params))
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.database.obj, "execute_sql", recording)
    files = text(client.hx_get(f"/movies/{pilot.id}/tabs/files"))
    monkeypatch.undo()
    assert "Pilot.nfo" in files and "Pilot-thumb.png" in files
    ledger = [(q, p) for q, p in seen if 'FROM "library_files"' in q]
    assert ledger
    if not isinstance(db.database.obj, pw.SqliteDatabase):
        pytest.skip("reads SQLite's query plan")
    for sql, params in ledger:
        plan = " ".join(r[-1] for r in db.database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "library_files_path" in plan, plan


def test_an_episodes_header_shows_its_thumb_and_its_seasons_poster(tv):
    client, built, seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    thumb = seed.asset(double, "thumb", is_selected=True, rank=1, url="http://127.0.0.1:9/t.jpg")
    poster = seed.asset(
        built.seasons[1], "poster", is_selected=True, rank=0, url="http://127.0.0.1:9/p.jpg"
    )
    header = text(client.hx_get(f"/movies/{double.id}/header"))
    for asset in (thumb, poster):
        assert asset.preview_path.rsplit("/", 1)[-1] in header


def test_a_show_page_lists_each_episode_with_its_thumb(tv, count_queries):
    """Each episode row shows its selected still, as players list episodes; a numbered episode
    without one has an empty frame; the thumbs cost one statement for any number of episodes."""
    client, built, seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    thumb = seed.asset(pilot, "thumb", is_selected=True, rank=1, url="http://127.0.0.1:9/t.jpg")
    seed.asset(double, "thumb", is_selected=False, url="http://127.0.0.1:9/u.jpg")
    url = f"/movies/{built.show.id}/tabs/episodes"
    with count_queries() as counted:
        page = text(client.hx_get(url))
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<tr id="episode-(\d+)">(.*?)</tr>', page, re.S)
    }
    still = thumb.preview_path.rsplit("/", 1)[-1]
    assert re.search(rf'class="ep-thumb" src="[^"]*/{still}"', rows[str(pilot.id)])
    assert 'class="ep-thumb thumb-empty"' in rows[str(double.id)]  # not selected: no still
    assert "ep-thumb" not in rows[str(built.episodes[UNNUMBERED].id)]  # matched to no episode
    statements = [q for q in counted.statements if "provider_assets" in q]
    assert len(statements) == 2  # the seasons' posters, the episodes' thumbs


@pytest.fixture
def sim_tv(tmp_path, simulator, backend):
    """(client, runtime) of an app on the simulator with a TV library, the queue immediate: a
    job the page queues runs at once, as the daemon would run it."""
    from metarrd.pipeline import jobs, queue
    from tests.tv.conftest import tv_config

    config = tv_config(tmp_path, simulator)
    app = create_app(config, testing=True)
    queue.configure(config, immediate=True)
    rt = app.extensions["metarrd.runtime"]
    rt.http.backoff = 0.05
    jobs.bind(rt)
    yield Client(app.test_client()), rt
    rt.close()


def test_switching_the_episode_order_on_the_show_page_matches_the_episodes_again(sim_tv, tmp_path):
    from metarrd.identify import identify_many
    from metarrd.scan import scan
    from tests.tv.conftest import put

    client, rt = sim_tv
    rel = "Firefly (2002)/Season 01/Firefly - S01E01 - The Train Job.mkv"  # Sonarr's numbering
    put(tmp_path / "tv", rel)
    scan(rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    identify_many(rt, [show.id], threads=1)
    ep = db.Movie.get(db.Movie.kind == db.EPISODE)
    assert ep.episode_refs[0]["title"] == "Serenity"  # TMDB's S01E01
    page = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert 'name="order"' in page and '<option value="tmdb" selected>TMDB aired order' in page
    assert f'action="/movies/{show.id}/episode-order"' in page

    answer = client.post(f"/movies/{show.id}/episode-order", {"order": "tvdb"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("tab=episodes")
    assert [j.kind for j in db.Job.select().order_by(db.Job.id)] == ["identify", "enrich"]
    # the Activity page: no search was made ("identified by a TMDB search" had said one was)
    done = db.Event.select().where(db.Event.kind == "identify.done", db.Event.movie == show.id)
    message = done.order_by(db.Event.id.desc()).get().message
    assert message == (
        "episode order changed: kept as Firefly (2002) [tmdb tv 1437], identified by a TMDB search"
    )
    assert db.Movie.get_by_id(show.id).identified_by == "search"
    ep = db.Movie.get_by_id(ep.id)
    assert ep.episode_refs[0]["title"] == "The Train Job"
    assert ep.identification_status == db.ENRICHED and ep.title == "The Train Job"
    page = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert '<option value="tvdb" selected>TheTVDB aired order' in page
    assert "S01E01 (TheTVDB aired order) is S01E02 (TMDB)" in page  # the numbering note
    assert "The Train Job" in page

    refused = client.post(f"/movies/{show.id}/episode-order", {"order": "production"})
    assert refused.status_code == 303
    assert db.Movie.get_by_id(show.id).ordering == "tvdb:official"
    assert client.post(f"/movies/{ep.id}/episode-order", {"order": "dvd"}).status_code == 404
    forged = client.c.post(f"/movies/{show.id}/episode-order", data={"order": "dvd"})
    assert forged.status_code == 400  # no CSRF token
    assert db.Movie.get_by_id(show.id).ordering == "tvdb:official"


def test_the_show_page_says_file_names_title_thetvdbs_order_until_it_is_switched(sim_tv, tmp_path):
    """The numbering note about Sonarr's names matched in TMDB's order is shown over the
    order's select, where the user switches it, as the UI says messages (no CLI command); the
    switch matches the episodes again and the note goes."""
    from metarrd.identify import identify_many
    from metarrd.scan import scan
    from tests.tv.conftest import put

    client, rt = sim_tv
    put(tmp_path / "tv", "Firefly (2002)/Season 1/Firefly - S01E01 - The Train Job WEBDL-720p.mkv")
    scan(rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    identify_many(rt, [show.id], threads=1)
    page = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert (
        "1 file name(s) title their episode as TheTVDB&#39;s aired order numbers it, not "
        "TMDB&#39;s (e.g. S01E01 &#39;The Train Job&#39;, TMDB&#39;s &#39;Serenity&#39;): "
        "Sonarr&#39;s names; switch the show&#39;s episode order to TheTVDB aired order: on "
        "the show page"
    ) in page
    assert "tv order" not in page

    client.post(f"/movies/{show.id}/episode-order", {"order": "tvdb"})
    page = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert "title their episode" not in page
    ep = db.Movie.get(db.Movie.kind == db.EPISODE)
    assert ep.identification_status == db.ENRICHED and ep.title == "The Train Job"


def test_artwork_of_another_level_is_neither_added_nor_locked(tv):
    """A crafted POST named a type the item's kind does not have: a movie's season-all-poster
    was chosen as #1 and its publish preview answered 500 (movie publish has no name for it); a
    season's clearlogo or an episode's poster was chosen where no tab shows it."""
    import io

    from .conftest import jpeg

    client, built, seed = tv
    movie = seed.movie("The Matrix", 1999)
    season, episode = built.seasons[1], built.episodes[UNNUMBERED]
    for item, kind in ((movie, "season-all-poster"), (season, "clearlogo"), (episode, "poster")):
        image = {"image": (io.BytesIO(jpeg(size=(300, 450))), "mine.jpg")}
        added = client.post(
            f"/movies/{item.id}/artwork/{kind}/add", image, content_type="multipart/form-data"
        )
        assert added.status_code == 404, (item.kind, kind)
        assert client.post(f"/movies/{item.id}/artwork/{kind}/lock").status_code == 404
        assert db.Movie.get_by_id(item.id).locked_asset_types in (None, [])
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").exists()
    assert client.get(f"/movies/{movie.id}/preview").status_code == 200
    # the types each level has are still taken
    image = {"image": (io.BytesIO(jpeg(size=(300, 450))), "mine.jpg")}
    ok = client.post(
        f"/movies/{built.show.id}/artwork/season-all-poster/add",
        image,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 303
    assert client.post(f"/movies/{season.id}/artwork/poster/lock").status_code == 303


def test_a_file_of_two_episodes_is_listed_with_both_titles(tv):
    """S01E04E05 holds two episodes: the show's and the season's lists, the episode's own
    header and its page title name both, not only the first."""
    client, built, _seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    both = "Episode 1x4 title / Episode 1x5 title"
    for url in (
        f"/movies/{built.show.id}?tab=episodes",
        f"/movies/{built.seasons[1].id}?tab=episodes",
    ):
        row = re.search(rf'<tr id="episode-{double.id}">.*?</tr>', text(client.get(url)), re.S)
        assert row and both in row.group(0), url
    page = text(client.get(f"/movies/{double.id}"))
    assert re.search(rf"<h1>.*{both}.*</h1>", page)
    assert f"<title>{both}" in page
    header = text(client.hx_get(f"/movies/{double.id}/header"))
    assert both in header
    three = text(client.get(f"/movies/{built.seasons[2].id}?tab=episodes"))
    assert "Episode 2x1 title / Episode 2x2 title / Episode 2x3 title" in three


def test_a_file_named_by_air_date_is_listed_as_the_episode_identify_matched(tv):
    """A daily show's file ("The Daily Show - 2024-03-05") has no numbers in its name; identify
    matched it by air date. It was listed among the files "not matched to an episode", with the
    advice to rename it; it is the episode it was matched to, in its season."""
    client, built, _seed = tv
    rel = "Season 01/Breaking Bad - 2008-02-10.mkv"
    video = built.path(rel)
    video.write_bytes(b"by date")
    ep = db.Movie.create(
        library=built.show.library_id,
        path=str(video),
        kind=db.EPISODE,
        show=built.show,
        season=None,
        episodes=[],
        aired="2008-02-10",
        title="Cancer Man",
        episode_refs=[{"season": 1, "episode": 6, "tmdb_id": 62106, "aired": "2008-02-10"}],
        identification_status=db.IDENTIFIED,
        identified_by="air date",
    )
    for url in (
        f"/movies/{built.show.id}?tab=episodes",
        f"/movies/{built.seasons[1].id}?tab=episodes",
    ):
        page = text(client.get(url))
        season_1 = re.search(r'<section class="season" id="season-1".*?</section>', page, re.S)
        assert season_1 and f'<tr id="episode-{ep.id}">' in season_1.group(0), url
        assert ">S01E06</a>" in season_1.group(0)
    page = text(client.get(f"/movies/{built.show.id}?tab=episodes"))
    unmatched = re.search(r'<section class="season" id="season-none".*?</section>', page, re.S)
    assert unmatched and f'id="episode-{ep.id}"' not in unmatched.group(0)
    episode = text(client.get(f"/movies/{ep.id}"))
    assert f'href="/movies/{built.seasons[1].id}">Season 1</a>' in episode  # the breadcrumbs
    assert '<span aria-current="page">S01E06</span>' in episode


def test_an_episode_file_matched_to_no_episode_is_headed_by_its_file_name(tv):
    """A file without numbers (and so without a title) was headed "— (no title)": the code of
    no episode and no name. Its page is headed by its file name, as the seasons list names it."""
    client, built, _seed = tv
    ep = built.episodes[UNNUMBERED]
    page = text(client.get(f"/movies/{ep.id}"))
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "Breaking Bad - Special - Behind the Scenes.mkv" in h1
    assert "—" not in h1 and "(no title)" not in h1
    assert "<title>Breaking Bad - Special - Behind the Scenes.mkv" in page


def test_the_activity_page_names_seasons_and_episodes_after_their_show(tv):
    """The activity page named a season "Season 1" (every show has one), a file of two episodes
    by its first, and an untitled file "item 14"."""
    client, built, _seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    unnumbered = built.episodes[UNNUMBERED]
    for item in (built.seasons[1], double, unnumbered):
        db.record_event("enrich.done", "enriched with its show", movie=item)
    db.Job.create(kind="enrich", movie=double, state="queued", key=f"enrich:{double.id}")
    page = text(client.get("/activity"))
    assert ">Breaking Bad · Season 1</" in page
    assert ">Breaking Bad · S01E04–E05 Episode 1x4 title / Episode 1x5 title</" in page
    assert ">Breaking Bad · Breaking Bad - Special - Behind the Scenes.mkv</" in page
    assert f"item {unnumbered.id}" not in page


def test_settings_count_a_tv_librarys_shows_and_episode_files(tv):
    """Settings said "TV 14 items" for one show: its show, season and episode items together."""
    client, _built, seed = tv
    seed.movie("The Matrix", 1999)
    page = text(client.get("/settings"))
    assert '<strong>TV</strong> <span class="muted">1 show, 7 episode files</span>' in page
    assert '<strong>Movies</strong> <span class="muted">1 movie</span>' in page


def test_the_shows_tab_of_a_library_without_shows_does_not_call_it_empty(client, seed):
    """The Shows tab over movies only said "Your library is empty: metarrd has not found any
    video yet", next to a Movies tab full of them."""
    seed.movie("Heat", 1995)
    page = text(client.get("/?kind=show"))
    assert "Your library is empty" not in page
    assert "No show in your libraries yet." in page
    page = re.sub(r"\s+", " ", text(client.get("/?kind=show&filter=missing")))
    assert "Your library is empty" not in page and "No show in “Missing”." in page


def test_an_episode_of_an_unidentified_show_sends_to_identifying_the_show(tv):
    """An episode of a show not identified yet said "Unidentified", offered no button, and
    "Enrich and publish act on the whole show": nothing said what to do. It links to the
    show's Identify page."""
    client, built, _seed = tv
    db.Movie.update(identification_status=db.UNIDENTIFIED, tmdb_id=None).where(
        db.Movie.id == built.show.id
    ).execute()
    ep = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    db.Movie.update(identification_status=db.UNIDENTIFIED).where(db.Movie.id == ep.id).execute()
    for item in (ep, built.seasons[1]):
        page = text(client.get(f"/movies/{item.id}"))
        assert "Its show is not identified yet" in page
        assert f'href="/movies/{built.show.id}/identify">identify <bdi>Breaking Bad</bdi>' in page
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == ep.id).execute()
    db.ArtworkCandidate.delete().where(db.ArtworkCandidate.movie == ep.id).execute()
    artwork = text(client.get(f"/movies/{ep.id}?tab=artwork"))
    assert "Enrich its show to fetch candidates, or add" in artwork  # no Enrich of its own
    db.Movie.update(identification_status=db.ENRICHED).where(db.Movie.id == built.show.id).execute()
    page = text(client.get(f"/movies/{ep.id}"))
    assert "Its show is not identified yet" not in page
    assert "Enrich acts on this episode alone; publish on the whole show." in page


def test_an_air_date_episodes_header_shows_its_seasons_poster_not_its_shows(tv):
    """A daily show's file has no season in its name: the season is the one identify matched."""
    client, built, seed = tv
    ep = built.episodes[UNNUMBERED]
    assert ep.season is None
    ep.episode_refs = [{"season": 1, "episode": 3, "tmdb_id": 62103, "aired": "2008-02-11"}]
    ep.save()
    season = seed.asset(
        built.seasons[1], "poster", is_selected=True, rank=0, url="http://127.0.0.1:9/s.jpg"
    )
    show = seed.asset(
        built.show, "poster", is_selected=True, rank=0, url="http://127.0.0.1:9/w.jpg"
    )
    header = text(client.hx_get(f"/movies/{ep.id}/header"))
    assert season.preview_path.rsplit("/", 1)[-1] in header
    assert show.preview_path.rsplit("/", 1)[-1] not in header


def published_show_app(tmp_path):
    """(client, runtime, built show) of an app with one TV library, its show published whole."""
    from metarrd.publish import publish_item

    (tmp_path / "tv").mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
        }
    )
    app = create_app(config, testing=True)
    rt = app.extensions["metarrd.runtime"]
    built = build_show(rt)
    publish_item(rt, db.Movie.get_by_id(built.show.id))
    return Client(app.test_client()), rt, built


def test_an_episode_edit_put_back_makes_its_published_show_published_again(tmp_path):
    client, rt, built = published_show_app(tmp_path)
    ep = next(iter(built.episodes.values()))
    unit = [built.show.id, ep.id]

    def states() -> set[str]:
        return {m.publish_state for m in db.Movie.select().where(db.Movie.id.in_(unit))}

    assert states() == {db.PUBLISHED}
    old = db.Movie.get_by_id(ep.id).plot or ""
    client.post(f"/movies/{ep.id}/fields/plot", {"value": old + " More."}, htmx=True)
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED
    client.post(f"/movies/{ep.id}/fields/plot", {"value": old}, htmx=True)
    assert states() == {db.PUBLISHED}
    rt.close()


def test_an_edit_landing_while_an_undo_is_checked_stays_to_republish(tmp_path, monkeypatch):
    """An edit put back is checked against the library files (`settle`); an edit of another
    episode that landed between that check and the "Published" it then wrote (a second tab, a
    second user) was called published, its change never written. The files are read outside
    the write lock, so the other edit lands at once; the short write that follows sees it, and
    the show stays "Republish?"."""
    import threading

    from metarrd.publish import settle
    from metarrd.web import edits

    _client, rt, built = published_show_app(tmp_path)
    first, other = list(built.episodes.values())[:2]
    db.mark_outdated(first.id)  # the first edit, which the user then put back
    real_check = settle.written_as_wanted
    editor: list[threading.Thread] = []

    def check_meanwhile(rt_, show):
        answer = real_check(rt_, show)

        def user_edit():
            with db.write_transaction():
                db.Movie.update(plot="Edited in another tab.").where(
                    db.Movie.id == other.id
                ).execute()
                db.mark_outdated(other.id)

        editor.append(threading.Thread(target=user_edit))
        editor[0].start()
        editor[0].join(10)  # lands now: the check holds no write lock
        assert not editor[0].is_alive()
        return answer

    monkeypatch.setattr(settle, "written_as_wanted", check_meanwhile)
    edits.settle(rt, db.Movie.get_by_id(first.id))
    editor[0].join()
    assert db.Movie.get_by_id(other.id).publish_state == db.OUTDATED
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED
    rt.close()


# --- an episode of a published show: it alone, or the whole show --------------------------------


@pytest.fixture
def published(tmp_path):
    """(client, runtime, built show) of a show published whole, then its pilot's title and the
    show's plot edited: the pilot and the show "Republish?"."""
    client, rt, built = published_show_app(tmp_path)
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    client.post(f"/movies/{pilot.id}/fields/title", {"value": "Pilot (uncut)"}, htmx=True)
    client.post(f"/movies/{built.show.id}/fields/plot", {"value": "A new plot."}, htmx=True)
    assert db.Movie.get_by_id(pilot.id).publish_state == db.OUTDATED
    yield client, rt, built
    rt.close()


def planned(preview: str) -> set[str]:
    """The files a preview lists as written, replaced or removed (relative to the show)."""
    import html

    changed = preview.split('<details class="unchanged">')[0]
    found = re.findall(r'<li class="plan-(\w+)">.*?<code>(.*?)</code>', changed, re.S)
    return {html.unescape(path.replace("<wbr>", "")) for _action, path in found}


def changed_on_disk(folder, run) -> set[str]:
    """The files under `folder` that `run()` wrote, replaced or removed."""

    def state() -> dict[str, tuple[int, int]]:
        return {
            str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*")
            if p.is_file()
        }

    before = state()
    run()
    after = state()
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def test_an_episode_of_a_published_show_previews_and_publishes_that_episode_alone(published):
    """The user fixed one episode's title of a published show: its page previewed, and its
    Publish queued, the whole show (tvshow.nfo with the show's plot nobody had reviewed, every
    episode), although `publish EPISODE` now writes that episode alone. The page offers the
    episode alone, with the whole show one click away; what the preview lists is exactly what
    the queued job writes."""
    from metarrd.pipeline import steps

    client, rt, built = published
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    tab = text(client.hx_get(f"/movies/{pilot.id}/tabs/publish"))
    assert '<nav class="publish-scope" aria-label="What to publish">' in tab
    assert re.search(r'id="scope-episode"[^>]*aria-current="true"', tab)
    assert f'hx-get="/movies/{pilot.id}/tabs/publish?scope=show"' in tab
    assert f'hx-get="/movies/{pilot.id}/preview"' in tab

    preview = text(client.hx_get(f"/movies/{pilot.id}/preview"))
    assert planned(preview) == {"Season 01/Breaking Bad - S01E01 - Pilot.nfo"}
    assert "Republish this episode now" in preview and "Only this episode" in preview
    assert f'hx-post="/movies/{pilot.id}/republish"' in preview
    assert f'hx-get="/movies/{pilot.id}/preview"' in preview  # Refresh: the same plan

    answer = text(client.post(f"/movies/{pilot.id}/republish",
                              {"view": "header", "page": str(pilot.id)}, htmx=True))  # fmt: skip
    assert "Republish queued for Breaking Bad · S01E01 Pilot (uncut)" in answer
    assert f"/movies/{pilot.id}/header" in answer
    job = db.Job.get(db.Job.kind == "publish")
    assert job.movie_id == pilot.id
    written = changed_on_disk(built.folder, lambda: steps.do_publish(rt, job))
    assert written == planned(preview)
    assert "Pilot (uncut)" in built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").read_text()
    assert "A new plot." not in built.path("tvshow.nfo").read_text()  # not reviewed: left alone
    assert db.Movie.get_by_id(pilot.id).publish_state == db.PUBLISHED
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED


def test_the_whole_show_is_one_click_away_from_an_episode_page(published):
    from metarrd.pipeline import steps

    client, rt, built = published
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    tab = text(client.hx_get(f"/movies/{pilot.id}/tabs/publish?scope=show"))
    assert re.search(r'id="scope-show"[^>]*aria-current="true"', tab)
    assert f'hx-get="/movies/{pilot.id}/preview?scope=show"' in tab
    # a live refresh of the tab keeps the whole show
    assert f'hx-get="/movies/{pilot.id}/tabs/publish?scope=show" hx-target="this"' in tab
    page = text(client.get(f"/movies/{pilot.id}?tab=publish&scope=show"))
    assert f'hx-get="/movies/{pilot.id}/preview?scope=show"' in page

    preview = text(client.hx_get(f"/movies/{pilot.id}/preview?scope=show"))
    files = planned(preview)
    assert {"tvshow.nfo", "Season 01/Breaking Bad - S01E01 - Pilot.nfo"} <= files
    assert "Republish the whole show now" in preview
    assert f'hx-post="/movies/{built.show.id}/republish"' in preview
    assert f'"page": "{pilot.id}"' in preview
    assert f'hx-get="/movies/{pilot.id}/preview?scope=show"' in preview  # Refresh keeps it

    client.post(f"/movies/{built.show.id}/republish",
                {"view": "header", "page": str(pilot.id)}, htmx=True)  # fmt: skip
    job = db.Job.get(db.Job.kind == "publish")
    assert job.movie_id == built.show.id
    assert changed_on_disk(built.folder, lambda: steps.do_publish(rt, job)) == files
    assert "A new plot." in built.path("tvshow.nfo").read_text()


def test_an_episode_header_says_what_publish_acts_on(published):
    client, rt, built = published
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    header = text(client.hx_get(f"/movies/{pilot.id}/header"))
    assert "Enrich and publish act on this episode alone" in header
    assert "Enrich and publish act on the whole show." not in header


def test_an_episode_header_says_what_enrich_acts_on(published):
    """`enrich EPISODE` of an enriched show enriches that episode alone (docs/tv.md "Enrich"):
    the header said "Enrich acts on the whole show" all the same. A season not enriched yet (a
    new one) still has its whole show enriched, and the header says so."""
    client, rt, built = published
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    assert "Enrich and publish act on this episode alone" in text(
        client.hx_get(f"/movies/{pilot.id}/header")
    )
    db.Movie.update(identification_status=db.IDENTIFIED).where(
        db.Movie.id == built.seasons[1].id
    ).execute()
    header = text(client.hx_get(f"/movies/{pilot.id}/header"))
    assert "Enrich acts on the whole show (its season is not enriched yet)" in header
    assert "publish on this episode alone" in header
    db.Movie.update(last_published_at=None, publish_state=db.UNPUBLISHED).where(
        db.Movie.id == built.show.id
    ).execute()
    assert "Enrich and publish act on the whole show: <a href=" in text(
        client.hx_get(f"/movies/{pilot.id}/header")
    )


def test_each_episode_of_a_file_has_its_own_air_date_to_edit_and_lock(tv):
    """A file of two episodes (Sonarr's `S01E04E05`, kodi-tv.md 2.4: one `<episodedetails>`
    block each, each with its own `<aired>`): tinyMediaManager lists and edits each episode of
    such a file on its own. Only the first episode's air date was on the page; the second's
    (its block's) could be neither edited nor locked, and an enrich put TMDB's back."""
    client, built, seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    first, second = (d["aired"] for d in double.episode_details)
    db.Movie.update(publish_state=db.PUBLISHED).where(
        db.Movie.id.in_([double.id, built.show.id])
    ).execute()
    page = text(client.get(f"/movies/{double.id}"))
    field = re.search(r'<div class="field[^"]*" id="field-aired-2">.*?</div>\s*<button', page, re.S)
    assert field and "Aired (S01E05)" in field.group(0) and second in field.group(0)
    form = text(client.get(f"/movies/{double.id}/fields/aired-2/edit"))
    assert f'value="{second}"' in form and 'placeholder="YYYY-MM-DD"' in form

    # saved as shown: locked, nothing changed, the published show stays published
    answer = client.post(f"/movies/{double.id}/fields/aired-2", {"value": second}, htmx=True)
    assert answer.status_code == 200 and 'aria-pressed="true"' in answer.get_data(as_text=True)
    item = db.Movie.get_by_id(double.id)
    assert "aired-2" in item.locked_fields and "aired" not in item.locked_fields
    assert db.Movie.get_by_id(built.show.id).publish_state == db.PUBLISHED

    answer = client.post(f"/movies/{double.id}/fields/aired-2", {"value": "31/03/2008"}, htmx=True)
    assert answer.status_code == 422 and "is not a date" in answer.get_data(as_text=True)
    answer = client.post(f"/movies/{double.id}/fields/aired-2", {"value": "2008-03-02"}, htmx=True)
    assert answer.status_code == 200 and "2008-03-02" in answer.get_data(as_text=True)
    item = db.Movie.get_by_id(double.id)
    assert [d["aired"] for d in item.episode_details] == [first, "2008-03-02"]
    assert item.aired == first  # the item's own date is its first episode's
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED  # "Republish?"
    assert "Aired (S01E05) edited and locked" in text(
        client.get(f"/movies/{double.id}?tab=history")
    )

    client.post(f"/movies/{double.id}/fields/aired-2/lock", htmx=True)
    assert "aired-2" not in db.Movie.get_by_id(double.id).locked_fields
    assert client.post(f"/movies/{double.id}/fields/aired-2/lock").status_code == 303
    assert "aired-2" in db.Movie.get_by_id(double.id).locked_fields

    # no such episode in the file, a single episode's file, a movie, a name of no block field
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    movie = seed.movie("The Matrix", 1999)
    for item_id, name in [(double.id, "aired-3"), (pilot.id, "aired-2"), (movie.id, "aired-2"),
                          (double.id, "aired-1"), (double.id, "aired-02"), (double.id, "runtime-2")]:  # fmt: skip
        assert client.get(f"/movies/{item_id}/fields/{name}/edit").status_code == 404, name
        assert (
            client.post(f"/movies/{item_id}/fields/{name}", {"value": "2008-01-01"}).status_code
            == 404
        )
        assert client.post(f"/movies/{item_id}/fields/{name}/lock").status_code == 404


def test_each_episode_of_a_file_has_its_own_title_and_plot_to_edit_and_lock(tv):
    """`S01E04E05`: each episode has its own `<title>` and `<plot>` in its own `<episodedetails>`
    block (kodi-tv.md 2.4; Kodi shows each episode of the file with its block's). TMDB's title of
    the second can be a stand-in ("Episode 5", TMDB's "TBA" of a new episode) or of another
    language: only the first's title and plot were on the page, the second's could be neither
    edited nor locked. Each is now its own field, edited and locked in its own block."""
    client, built, _seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    titles = [d["title"] for d in double.episode_details]
    plots = [d["plot"] for d in double.episode_details]
    db.Movie.update(publish_state=db.PUBLISHED).where(
        db.Movie.id.in_([double.id, built.show.id])
    ).execute()
    page = text(client.get(f"/movies/{double.id}"))
    listed = page.split('class="plain episode-details"', 1)[1].split("</ul>", 1)[0]
    for name, label in (("title-2", "Title (S01E05)"), ("aired-2", "Aired (S01E05)"),
                        ("plot-2", "Plot (S01E05)")):  # fmt: skip
        assert f'id="field-{name}"' in listed and label in listed, name
    assert 'href="#field-title"' in listed and 'id="field-title-1"' not in page
    form = text(client.get(f"/movies/{double.id}/fields/plot-2/edit"))
    assert '<textarea id="input-plot-2"' in form  # a plot is edited in a text area
    form = text(client.get(f"/movies/{double.id}/fields/title-2/edit"))
    assert f'value="{titles[1]}"' in form and "<textarea" not in form

    # saved as shown: locked, nothing changed, the published show stays published
    answer = client.post(f"/movies/{double.id}/fields/title-2", {"value": titles[1]}, htmx=True)
    assert answer.status_code == 200 and 'aria-pressed="true"' in answer.get_data(as_text=True)
    assert "title-2" in db.Movie.get_by_id(double.id).locked_fields
    assert db.Movie.get_by_id(built.show.id).publish_state == db.PUBLISHED

    answer = client.post(f"/movies/{double.id}/fields/title-2", {"value": "  "}, htmx=True)
    assert answer.status_code == 422 and "must not be empty" in answer.get_data(as_text=True)
    answer = client.post(f"/movies/{double.id}/fields/title-2", {"value": "Gray Matter"}, htmx=True)
    assert answer.status_code == 200 and "Gray Matter" in answer.get_data(as_text=True)
    plot = "Walt's family stages an intervention.\r\n\r\nSkyler urges him to get treatment."
    answer = client.post(f"/movies/{double.id}/fields/plot-2", {"value": plot}, htmx=True)
    assert answer.status_code == 200
    item = db.Movie.get_by_id(double.id)
    assert [d["title"] for d in item.episode_details] == [titles[0], "Gray Matter"]
    assert [d["plot"] for d in item.episode_details] == [plots[0], plot.replace("\r\n", "\n")]
    assert (item.title, item.plot) == (titles[0], plots[0])  # the item's are the first's
    assert {"title-2", "plot-2"} <= set(item.locked_fields)
    assert not {"title", "plot"} & set(item.locked_fields)
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED  # "Republish?"
    history = text(client.get(f"/movies/{double.id}?tab=history"))
    assert "Title (S01E05) edited and locked" in history
    assert "Plot (S01E05) edited and locked" in history
    assert f"{titles[0]} / Gray Matter" in text(client.get(f"/movies/{double.id}"))  # heading

    client.post(f"/movies/{double.id}/fields/plot-2/lock", htmx=True)
    assert "plot-2" not in db.Movie.get_by_id(double.id).locked_fields
    for name in ("title-3", "plot-3"):  # no third episode in this file
        assert client.get(f"/movies/{double.id}/fields/{name}/edit").status_code == 404


def test_lock_fields_in_bulk_locks_each_episodes_own_air_date_too(tv):
    """and each later episode's own title and plot (`title-2`, `plot-2`)."""
    client, built, _seed = tv
    double = built.episodes["Season 1/Breaking Bad S01E04E05.mkv"]
    three = built.episodes["Season 02/Breaking Bad - S02E01-E03.mkv"]
    from metarrd.web import edits

    assert edits.lock_all_fields([double.id, three.id]) == 2
    assert {"aired", "aired-2"} <= set(db.Movie.get_by_id(double.id).locked_fields)
    assert "aired-3" not in db.Movie.get_by_id(double.id).locked_fields
    assert {"aired-2", "aired-3"} <= set(db.Movie.get_by_id(three.id).locked_fields)
    assert {"title-2", "plot-2", "title-3", "plot-3"} <= set(
        db.Movie.get_by_id(three.id).locked_fields
    )
    assert "title-3" not in db.Movie.get_by_id(double.id).locked_fields


def test_a_long_shows_tab_lists_its_seasons_and_leaves_their_files_to_their_pages(
    tv, count_queries, monkeypatch
):
    """bench.web with a daily show of 30 seasons x 500 files (The Daily Show, Jeopardy!): its
    "Seasons & episodes" tab was one row per file, 6.4 MB of HTML. Past tv.SHOW_FILES_LISTED
    files the tab lists the seasons (name, count, state, link); each season's page lists its
    own files. The same rows and statements for 10 more files as for 200 more."""
    from metarrd.web import tv as web_tv

    client, built, _seed = tv
    monkeypatch.setattr(web_tv, "SHOW_FILES_LISTED", 8, raising=False)
    season2 = built.seasons[2]
    url = f"/movies/{built.show.id}/tabs/episodes"
    pages, counts, added = [], [], 0
    for more in (10, 200):
        db.Movie.insert_many(
            {
                "library": built.show.library_id,
                "path": f"{built.folder}/Season 02/Breaking Bad - S02E{100 + n}.mkv",
                "kind": db.EPISODE,
                "show": built.show.id,
                "season": 2,
                "episodes": [100 + n],
                "identification_status": db.IDENTIFIED,
            }
            for n in range(added, more)
        ).execute()
        added = more
        with count_queries() as q:
            pages.append(text(client.hx_get(url)))
        counts.append(q.count)
    few, many = pages
    assert few.count('<tr id="episode-') == many.count('<tr id="episode-') <= 8
    assert counts[0] == counts[1], counts
    # season 2 says how many files it holds and where they are listed
    assert f"/movies/{season2.id}?tab=episodes" in many
    assert re.search(r">\s*20[0-9] files<", many)
    # the season's own pages list every one of its files (the last one on the last page)
    season_tab = text(client.hx_get(f"/movies/{season2.id}/tabs/episodes?page=999"))
    assert "S02E299" in season_tab
    # the file without numbers has no season page: listed on the show's
    assert f'id="episode-{built.episodes[UNNUMBERED].id}"' in many


def test_a_whole_shows_preview_lists_a_bounded_number_of_files(tv, monkeypatch):
    """bench.web's daily show of 30 seasons x 500 files: its "Preview & publish" listed every
    file it would write, 191 bytes each (a 3 MB fragment). Each list stops at
    formatting.PLAN_FILES_LISTED and says how many more; the summary still counts them all."""
    from metarrd.web import formatting

    client, built, _seed = tv
    url = f"/movies/{built.show.id}/preview"
    every = planned(text(client.hx_get(url)))
    assert len(every) > 5
    monkeypatch.setattr(formatting, "PLAN_FILES_LISTED", 3, raising=False)
    preview = text(client.hx_get(url))
    assert len(planned(preview)) == 3
    assert f"and {len(every) - 3} more" in preview
    assert f"{len(every)} files to change" in preview


def test_a_republished_shows_unchanged_files_are_listed_up_to_the_same_bound(
    published, monkeypatch
):
    """A republish of the whole long show after one edit: nearly every file is unchanged, and
    the folded list of them stops at the same bound."""
    from metarrd.web import formatting

    client, _rt, built = published
    url = f"/movies/{built.show.id}/preview"
    unchanged = re.search(r"(\d+) files unchanged</summary>", text(client.hx_get(url)))
    assert unchanged and int(unchanged[1]) > 5
    monkeypatch.setattr(formatting, "PLAN_FILES_LISTED", 3, raising=False)
    folded = text(client.hx_get(url)).split('<details class="unchanged">')[1]
    assert f"{unchanged[1]} files unchanged</summary>" in folded
    assert len(re.findall(r'<li class="plan-', folded)) == 3
    assert f"and {int(unchanged[1]) - 3} more" in folded


def test_a_seasons_and_an_episodes_pages_read_one_season_by_the_index(tv, monkeypatch):
    """bench.web's daily show of 30 seasons x 500 files: a season's page and each episode's
    (its season's poster, the breadcrumbs) asked for one season with `show_id = ? AND kind = ?
    AND season = ?`, which the `show_id` index answered by reading all 15,030 rows of the show.
    Schema 12's (show_id, kind, season) index reads that season's only."""
    client, built, _seed = tv
    if not isinstance(db.database.obj, pw.SqliteDatabase):
        pytest.skip("reads SQLite's query plan")
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    seen: list[tuple[str, tuple]] = []
    real = db.database.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        seen.append((sql, params))
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.database.obj, "execute_sql", recording)
    for url in (f"/movies/{built.seasons[1].id}", f"/movies/{built.seasons[1].id}/tabs/episodes",
                f"/movies/{pilot.id}", f"/movies/{pilot.id}/tabs/files"):  # fmt: skip
        text(client.get(url))
    monkeypatch.undo()
    by_season = [
        (sql, params)
        for sql, params in seen
        if 'FROM "movies"' in sql and re.search(r'"season" (=|IN) ', sql.split("WHERE", 1)[-1])
    ]
    assert len(by_season) >= 3
    for sql, params in by_season:
        plan = " ".join(r[-1] for r in db.database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "season=?" in plan, (plan, sql)


def test_identify_messages_about_a_show_show_no_command_line(tv):
    """Two messages of identify/tv.py, word for word as the daemon stored them for a library
    with `The Office/` (no year: TMDB has the 2005 and the 2001 one) and Naruto named as
    HorribleSubs names it (`[HorribleSubs] Naruto - 001 [1080p].mkv`): the UI showed "(or
    --tvdb ID)" and "metarrd tv order 11 absolute" where the page has the choice itself."""
    client, built, _seed = tv
    show = built.show
    show.identification_status = db.UNIDENTIFIED
    show.last_error = (
        "no confident match for the show 'The Office': best 'The Office' (2005), no year in "
        "the name, and 'The Office' (2001) has the same title; "
        f"run `metarrd identify {show.id} --tmdb ID` (or --tvdb ID)"
    )
    show.save()
    ep = built.episodes[UNNUMBERED]
    ep.last_error = (
        "[HorribleSubs] Naruto - 001 [1080p].mkv: 001 looks like an absolute episode number "
        "(anime numbering); Kodi reads it as season 0 episode 1 (a special). Rename it with its "
        "season and episode (S01E01 if the show has one season) or map the numbers by hand; or "
        "switch the show's episode order to absolute (TheTVDB's absolute numbering): "
        f"`metarrd tv order {show.id} absolute` or the show page"
    )
    ep.save()
    pages = [
        text(client.get(f"/movies/{show.id}/identify")),
        text(client.get("/identify")),
        text(client.get("/")),
        text(client.get(f"/movies/{show.id}?tab=episodes")),
        text(client.get(f"/movies/{ep.id}")),
    ]
    for page in pages:
        assert "--tvdb" not in page and "tv order" not in page and "metarrd identify" not in page
    assert "&#39;The Office&#39; (2001) has the same title</" in pages[0]
    assert "(TheTVDB&#39;s absolute numbering): on the show page" in pages[3]


def test_a_season_of_an_identified_show_is_not_enriched_and_its_page_leads_to_the_show(tv):
    """As the daemon leaves `Breaking Bad (2008)/Season 01/` and `Specials/` after the scan and
    the show's identify (enrichment off, or not run yet): the show identified, its season items
    as scan created them, unidentified (a season is never identified on its own; enrichment of
    the show enriches it). The season page said "Unidentified" in red ("its show is not
    identified yet") and "Enrich and publish act on the whole show." with no button and no
    link: a dead end."""
    client, built, _seed = tv
    show = built.show
    db.Movie.update(identification_status=db.IDENTIFIED, publish_state=db.UNPUBLISHED).where(
        (db.Movie.id == show.id) | (db.Movie.show == show.id)
    ).execute()
    db.Movie.update(identification_status=db.UNIDENTIFIED).where(
        (db.Movie.show == show.id) & (db.Movie.kind == db.SEASON)
    ).execute()
    season = built.seasons[1]
    page = text(client.get(f"/movies/{season.id}"))
    header = page.split('id="item-header"', 1)[1]
    assert ">Identified – Not enriched</span>" in header
    assert ">Unidentified<" not in header
    assert f'act on the whole show: <a href="/movies/{show.id}"><bdi>{show.title}</bdi></a>' in page
    tab = text(client.get(f"/movies/{show.id}?tab=episodes"))
    assert ">Unidentified<" not in tab
    # a season of a show nobody identified yet stays "Unidentified", and leads to its identify
    db.Movie.update(identification_status=db.UNIDENTIFIED).where(db.Movie.id == show.id).execute()
    page = text(client.get(f"/movies/{season.id}"))
    assert ">Unidentified</span>" in page.split('id="item-header"', 1)[1]
    assert f'href="/movies/{show.id}/identify">identify' in page


def test_a_hidden_seasons_page_says_hidden_not_missing(tv):
    """A season hidden for holding no episode file (another episode order put its files in
    other seasons, or only the user's season art is there: docs/tv.md) keeps its item, and
    its page stays reachable (an old link, the activity page): its header said "Missing" in
    red, "the video file is gone from the library", though no file of it is gone; a season
    has none. It says it is hidden and why, and "Republish?" while what publish wrote for it
    is still there, to go with the show's next publish. A season of a show whose folder is
    gone is missing."""
    client, built, _seed = tv
    show, season = built.show, built.seasons[1]

    def header() -> str:
        return text(client.get(f"/movies/{season.id}")).split('id="item-header"', 1)[1]

    db.Movie.update(missing=True, publish_state=db.UNPUBLISHED).where(
        db.Movie.id == season.id
    ).execute()
    page = header()
    assert ">Hidden – No episode file</span>" in page and "no episode file is in it" in page
    assert ">Missing<" not in page and "the video file is gone" not in page
    db.Movie.update(publish_state=db.OUTDATED).where(db.Movie.id == season.id).execute()
    page = header()
    assert ">Hidden – Republish?</span>" in page and "goes at the next publish" in page
    db.Movie.update(missing=True).where(db.Movie.id == show.id).execute()
    assert ">Missing</span>" in header()


def test_a_season_page_shows_its_show_folder_never_its_key(tv):
    """A season item's path is a key (`Breaking Bad (2008)/#season-01`, scan/tv.py
    `season_path`), no file: the season page's header showed it as the item's path, "#season-01"
    and all. Its pictures are written in the show's folder (`season01-poster.jpg`): that is the
    path it shows, and the full one on hover."""
    client, built, _seed = tv
    season = built.seasons[1]
    assert "#season-" in season.path
    page = text(client.get(f"/movies/{season.id}"))
    assert "#season-" not in page
    folder = season.path.rsplit("/", 1)[0]
    assert f'<p class="path muted small" title="{folder}">' in page


def test_a_tab_the_page_has_not_opens_the_overview_at_its_own_address(tv):
    """A stale bookmark (`?tab=` of a tab renamed since), another kind's tab (a movie's or an
    episode's Cast on a season page), a typo: the page silently showed its Overview while the
    address kept claiming the other tab, which is what the user then copies or reloads. It is
    sent to the item's own address, whose tab bar shows the Overview as the current tab (a 404
    would strand the bookmark)."""
    client, built, seed = tv
    season = built.seasons[1]
    movie = seed.movie()
    for item, asked in ((season, "cast"), (season, "bogus"), (movie, ""), (movie, "Artwork")):
        answer = client.get(f"/movies/{item.id}?tab={asked}&scope=show")
        assert answer.status_code == 302, (item.kind, answer.status_code)
        assert answer.headers["Location"] == f"/movies/{item.id}?scope=show"
        page = text(client.get(answer.headers["Location"]))
        current = re.findall(r'id="tab-(\w+)"[^>]*aria-current="page"', page)
        assert current == ["overview"], current
        assert 'id="panel-overview"' in page
    # a tab this kind has stays where it is
    page = text(client.get(f"/movies/{season.id}?tab=episodes"))
    assert re.findall(r'id="tab-(\w+)"[^>]*aria-current="page"', page) == ["episodes"]


def test_the_specials_pictures_are_named_specials_in_the_publish_plan(tv):
    """The Specials page (Sonarr's and Kodi's `Specials` folder, season 0) is "Specials" in its
    heading, breadcrumbs and the show's seasons, while its publish plan said "new season 0
    poster" beside `season-specials-poster.jpg`. The plan names it as the pages do."""
    client, built, _seed = tv
    specials = built.seasons[0]
    for item in (specials, built.show):
        plan = text(client.hx_get(f"/movies/{item.id}/preview")).replace("<wbr>", "")
        assert "<code>season-specials-poster.jpg</code>" in plan
        assert "new Specials poster" in plan
        assert not re.search(r"(?i)season 0\b", plan), item.kind
        assert "new season 1 poster" in plan and "new season 1 banner" in plan
    page = text(client.get(f"/movies/{specials.id}"))
    assert not re.search(r"(?i)season 0\b", page)
    assert '<span aria-current="page">Specials</span>' in page


def _add_season_files(built, season: int, numbers) -> None:
    db.Movie.insert_many(
        {
            "library": built.show.library_id,
            "path": f"{built.folder}/Season {season:02d}/Breaking Bad - S{season:02d}E{n:03d}.mkv",
            "kind": db.EPISODE,
            "show": built.show.id,
            "season": season,
            "episodes": [n],
            "identification_status": db.IDENTIFIED,
        }
        for n in numbers
    ).execute()


def test_a_long_seasons_page_lists_its_files_a_page_at_a_time(tv, count_queries, monkeypatch):
    """A daily show's season of 500 files (The Daily Show, Jeopardy!), a long anime season
    (One Piece's 61 or Sonarr's absolute-numbered Detective Conan): the season's page was one
    210 KB page of every file. It lists them tv.SEASON_FILES_PAGE at a time, in number order,
    with Previous / Next at the page's own address: the same statements, rows and (but for the
    counts) bytes for 10 more files as for 200 more, and every file on exactly one page."""
    from metarrd.web import tv as web_tv

    client, built, _seed = tv
    monkeypatch.setattr(web_tv, "SEASON_FILES_PAGE", 8, raising=False)
    season2 = built.seasons[2]
    # a file named by air date, matched to S02E150 by identify: listed among them in its place
    by_date = db.Movie.create(
        library=built.show.library_id,
        path=f"{built.folder}/Season 02/Breaking Bad - 2009-06-01.mkv",
        kind=db.EPISODE,
        show=built.show,
        season=None,
        episodes=[],
        episode_refs=[{"season": 2, "episode": 150, "aired": "2009-06-01"}],
        identification_status=db.IDENTIFIED,
    )
    url = f"/movies/{season2.id}/tabs/episodes"
    pages, counts, added = [], [], 0
    for more in (10, 200):
        _add_season_files(built, 2, range(100 + added, 100 + more))
        added = more
        with count_queries() as q:
            pages.append(text(client.hx_get(url)))
        counts.append(q.count)
    few, many = pages
    assert counts[0] == counts[1], counts
    assert few.count('<tr id="episode-') == many.count('<tr id="episode-') == 8
    assert abs(len(many) - len(few)) < 40, (len(few), len(many))
    ids = {
        str(m.id)
        for m in db.Movie.select(db.Movie.id).where(
            db.Movie.show == built.show.id, db.Movie.season == 2, db.Movie.kind == db.EPISODE
        )
    } | {str(by_date.id)}
    total = len(ids)
    assert total > 200
    assert f"Episodes 1–8 of {total}" in many and f"page 1 of {-(-total // 8)}" in many
    assert 'rel="prev"' not in many
    # every file once, in number order, following Next from the first page to the last
    seen, page_url, walked = [], url, 0
    while page_url:
        page = text(client.hx_get(page_url))
        seen += re.findall(r'<tr id="episode-(\d+)"', page)
        codes = re.findall(r'class="episode-code"><a href="[^"]+">(S02E\d+)<', page)
        assert codes == sorted(codes, key=lambda c: int(c[4:])), codes
        nxt = re.search(r'rel="next" href="([^"]+)" hx-get="([^"]+)"', page)
        if nxt:  # the link's address is the full page's, which opens on that page too
            assert nxt.group(1).startswith(f"/movies/{season2.id}?tab=episodes&amp;page=")
        page_url = nxt.group(2).replace("&amp;", "&") if nxt else None
        walked += 1
    assert sorted(seen) == sorted(ids) and walked == -(-total // 8)
    assert 'rel="prev"' in page and 'rel="next"' not in page
    # the full page at a page's address lists that page, and its live refresh keeps it
    full = text(client.get(f"/movies/{season2.id}?tab=episodes&page=2"))
    assert f"Episodes 9–16 of {total}" in full
    assert f'hx-get="/movies/{season2.id}/tabs/episodes?page=2"' in full
    # a stale link past the last page: the last page
    assert f"page {walked} of {walked}" in text(client.hx_get(f"{url}?page=999"))
    assert f"page 1 of {walked}" in text(client.hx_get(f"{url}?page=x"))
    # the show's tab still counts them all
    show_tab = text(client.hx_get(f"/movies/{built.show.id}/tabs/episodes"))
    assert re.search(rf">\s*{total} files<", show_tab)


def test_the_overview_redirect_keeps_a_hostile_query_as_query(tv):
    """The ?tab= redirect passed the rest of the query to url_for as keywords: `movie_id=` (a
    scanner's or a crafted link's) was a 500, `_external=1` made the Location absolute from
    the request's Host header, `_anchor=` added a fragment, and a repeated key lost its other
    values. The rest of the query stays a query, every value, on the item's own path."""
    client, _built, seed = tv
    movie = seed.movie()
    for query, kept in (
        ("movie_id=7", "movie_id=7"),
        ("_external=1&_scheme=https", "_external=1&_scheme=https"),
        ("_anchor=x", "_anchor=x"),
        ("a=1&a=2", "a=1&a=2"),
        ("next=//evil.example", "next=%2F%2Fevil.example"),
        ("x=%0d%0aSet-Cookie:%20a=b", "x=%0D%0ASet-Cookie%3A+a%3Db"),
    ):
        answer = client.get(f"/movies/{movie.id}?tab=bogus&{query}")
        assert answer.status_code == 302, (query, answer.status_code)
        assert answer.headers["Location"] == f"/movies/{movie.id}?{kept}", query
        assert "Set-Cookie" not in answer.headers
    assert client.get(f"/movies/{movie.id}?tab=bogus").headers["Location"] == f"/movies/{movie.id}"


def test_enrich_on_a_season_says_it_enriches_the_whole_show(tv):
    # Found walking the demo: Enrich on Breaking Bad's Season 1 answered "Enrich queued for
    # Breaking Bad · Season 1" beside the action bar's "Enrich and publish act on the whole
    # show: Breaking Bad", and the daemon then enriched the show with every season and episode.
    client, built, _seed = tv
    season = built.seasons[1]
    answer = client.post(f"/movies/{season.id}/enrich", {"view": "header"}, htmx=True)
    body = text(answer)
    assert "Enrich queued for Breaking Bad (the whole show)" in body
    assert "Enrich queued for Breaking Bad · Season 1" not in body
    # an episode enriched alone (its show and season are) is still named as itself
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    body = text(client.post(f"/movies/{pilot.id}/enrich", {"view": "header"}, htmx=True))
    assert "Enrich queued for Breaking Bad · S01E01 " in body


def test_an_episodes_guest_stars_panel_is_headed_as_its_tab(tv):
    # Found walking the demo: an episode's "Guest stars" tab opened a panel headed "Cast" (the
    # heading a screen reader's list of headings reads; a show's and a movie's stay "Cast").
    client, built, _seed = tv
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    body = text(client.hx_get(f"/movies/{pilot.id}/tabs/cast"))
    assert '<h2 class="visually-hidden">Guest stars</h2>' in body
    assert '<h2 class="visually-hidden">Cast</h2>' not in body
    show = text(client.hx_get(f"/movies/{built.show.id}/tabs/cast"))
    assert '<h2 class="visually-hidden">Cast</h2>' in show


def test_the_workflow_switches_say_they_act_on_shows_too(tv):
    # Found walking the demo's Settings, beside its "Demo TV" library: "Identification:
    # Scanned movies are matched to TMDB", "Enrichment: Identified movies get metadata…",
    # "Auto publish: Enriched movies are published…": each switch acts on TV shows as well
    # (pipeline/chain.py chains every kind alike).
    client, _built, _seed = tv
    page = text(client.get("/settings"))
    assert "Scanned movies and shows are matched to TMDB" in page
    assert "Identified movies and shows get metadata and artwork automatically" in page
    assert "Enriched movies and shows are published without waiting for your review" in page


def test_a_file_named_by_air_date_not_matched_is_not_told_to_take_numbers(tv):
    # Found walking the demo's The Daily Show: a file named by air date that TMDB lists no
    # episode of yet ("The Daily Show - 2024-02-16 - Guest.mkv", looked for again later) was
    # listed under the advice "rename them with season and episode numbers (S01E02) and scan
    # again", a daily show's files being named by date as Sonarr names them.
    client, built, _seed = tv
    video = built.path("Season 01/Breaking Bad - 2008-06-01.mkv")
    video.write_bytes(b"by date")
    db.Movie.create(
        library=built.show.library_id, path=str(video), kind=db.EPISODE, show=built.show,
        season=None, episodes=[], aired="2008-06-01", identification_status=db.UNIDENTIFIED,
        last_error="TMDB has no episode of Breaking Bad aired on 2008-06-01",
    )  # fmt: skip
    page = text(client.get(f"/movies/{built.show.id}?tab=episodes"))
    unmatched = re.search(r'<section class="season" id="season-none".*?</section>', page, re.S)
    hint = re.sub(r"\s+", " ", unmatched.group(0))
    assert (
        "A file named by air date is matched to the episode TMDB lists on that day, and looked"
        " for again over the next days while it lists none" in hint
    )
    assert "rename the others with season and episode numbers (S01E02)" in hint


def test_an_episode_page_says_its_shows_last_publish_failed_with_a_link_to_it(tv, monkeypatch):
    """The whole show's publish fails (the disk is full: no file of it lands). The show's page
    and the activity say so; the pages of its episodes and seasons, which publish with it, said
    nothing, though none of their files was written. They say it now, with a link to the show;
    once the show publishes, they say nothing more of it."""
    import errno

    from metarrd import atomic
    from metarrd.errors import MetarrdError
    from metarrd.publish import publish_item

    client, built, _seed = tv
    rt = client.application.extensions["metarrd.runtime"]
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    real_write = atomic._write_temp

    def full(tmp, target, data, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(atomic, "_write_temp", full)
    with pytest.raises(MetarrdError) as failed:
        publish_item(rt, built.show)
    db.record_failure("publish", built.show.id, str(failed.value))  # as the job runner does
    for item in (pilot, built.seasons[1]):
        page = text(client.get(f"/movies/{item.id}"))
        (notice,) = re.findall(r'<p class="notice tone-danger"[^>]*>(.*?)</p>', page, re.S)
        assert "The last publish in this show failed" in notice
        assert "No space left on device" in notice
        assert f'href="/movies/{built.show.id}"' in notice
    monkeypatch.setattr(atomic, "_write_temp", real_write)
    publish_item(rt, built.show)
    assert "last publish failed" not in text(client.get(f"/movies/{pilot.id}"))


@pytest.fixture
def queued_tv(tmp_path, simulator, backend):
    """(client, runtime) of an app on the simulator with a TV library and a real queue: nothing
    the pages queue runs until the test drains it, as a busy daemon would run it later."""
    from metarrd.pipeline import jobs, queue
    from tests.tv.conftest import tv_config

    config = tv_config(tmp_path, simulator)
    app = create_app(config, testing=True)
    queue.configure(config, immediate=False)
    rt = app.extensions["metarrd.runtime"]
    rt.http.backoff = 0.05
    jobs.bind(rt)
    yield Client(app.test_client()), rt
    queue.configure(config, immediate=True)
    rt.close()


def _the_office(rt, tmp_path) -> db.Movie:
    """Sonarr's folder of the British The Office, named as the American one: identified as
    that by its year (TMDB tv 2316)."""
    from metarrd.identify import identify_many
    from metarrd.scan import scan
    from tests.tv.conftest import put

    put(tmp_path / "tv", "The Office (2005)/Season 01/The Office - S01E01 - Downsize.mkv")
    scan(rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    identify_many(rt, [show.id], threads=1)
    show = db.Movie.get_by_id(show.id)
    assert show.tmdb_id == 2316
    return show


def test_an_order_switched_after_the_show_was_changed_keeps_the_users_show(queued_tv, tmp_path):
    """The user changes the show to the British The Office (Identify page), then switches its
    episode order before the daemon got to it: the one identify job queued identifies the show
    they chose, in the order they chose. The switch had queued the show's TMDB id as the page
    read it (the American one's), which replaced the user's choice in the queued job."""
    from tests.daemon.conftest import drain

    client, rt = queued_tv
    show = _the_office(rt, tmp_path)
    client.post(f"/movies/{show.id}/identify", {"id": "2996", "from": "candidate"})
    client.post(f"/movies/{show.id}/episode-order", {"order": "tvdb"})
    drain()
    show = db.Movie.get_by_id(show.id)
    assert (show.tmdb_id, show.title, show.identified_by) == (2996, "The Office", "manual")
    assert show.ordering == "tvdb:official"
    ep = db.Movie.get(db.Movie.kind == db.EPISODE)
    assert ep.episode_refs[0]["title"] == "Downsize"


def test_an_order_switch_queued_before_the_show_was_changed_keeps_the_new_show(queued_tv, tmp_path):
    """The episode order switched on the show page, its job waiting; meanwhile the show is
    changed to the British The Office (`metarrd identify SHOW --tmdb 2996` in a shell, or the
    Identify page's job, run first by another worker). The switch's job matches the episodes
    of the show as it is then: it had identified it back as the id it was queued with,
    forgetting the user's new show."""
    from metarrd.identify import identify_item
    from tests.daemon.conftest import drain

    client, rt = queued_tv
    show = _the_office(rt, tmp_path)
    client.post(f"/movies/{show.id}/episode-order", {"order": "tvdb"})
    identify_item(rt, db.Movie.get_by_id(show.id), tmdb_id=2996, source="manual")
    drain()
    show = db.Movie.get_by_id(show.id)
    assert (show.tmdb_id, show.identified_by, show.ordering) == (2996, "manual", "tvdb:official")
    ep = db.Movie.get(db.Movie.kind == db.EPISODE)
    assert ep.episode_refs[0]["title"] == "Downsize"
    done = db.Event.select().where(db.Event.kind == "identify.done", db.Event.movie == show.id)
    assert (
        done.order_by(db.Event.id.desc())
        .get()
        .message.startswith(
            "episode order changed: kept as The Office (2001) [tmdb tv 2996], identified by hand"
        )
    )
