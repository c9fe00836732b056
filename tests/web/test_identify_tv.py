"""The identify page of a TV show: its search is TMDB's TV search, its candidates are shows
(Doctor Who 1963 and 2005 told apart by the year they first aired), it takes a TMDB TV id, a
TheTVDB id or an IMDb id or their sites' addresses, and a choice identifies the show and its
episodes. The web queues; the jobs run at once (immediate mode, as the daemon would) against
the simulator."""

from __future__ import annotations

import re

import pytest

from metarrd import db
from metarrd.web import create_app
from metarrd.web.identify import parse_show_id
from tests.tv.conftest import tv_config
from tests.web.conftest import Client


@pytest.fixture
def tv_stack(tmp_path, simulator):
    from metarrd.pipeline import jobs, queue

    config = tv_config(tmp_path, simulator)
    app = create_app(config, testing=True)
    queue.configure(config, immediate=True)
    jobs.bind(app.extensions["metarrd.runtime"])
    client = Client(app.test_client())
    client.config = config
    yield client
    queue.configure(config, immediate=True)
    app.extensions["metarrd.runtime"].close()


def make_show(title: str = "Doctor Who", year: int | None = None) -> tuple[db.Movie, db.Movie]:
    """An unidentified show folder with one episode file, as the scan leaves them."""
    lib = db.Library.get(db.Library.name == "TV")
    name = f"{title} ({year})" if year else title
    show = db.Movie.create(
        library=lib,
        path=f"{lib.path}/{name}",
        kind=db.SHOW,
        title=title,
        year=year,
        identification_status=db.UNIDENTIFIED,
        hints={"folder_title": title, "folder_year": year},
    )
    episode = db.Movie.create(
        library=lib,
        path=f"{lib.path}/{name}/Season 01/{title} - S01E01.mkv",
        kind=db.EPISODE,
        show=show,
        season=1,
        episodes=[1],
        identification_status=db.UNIDENTIFIED,
    )
    return show, episode


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("1396", ("tmdb", 1396)),
        ("https://www.themoviedb.org/tv/1396-breaking-bad", ("tmdb", 1396)),
        ("tmdb-1396", ("tmdb", 1396)),
        ("tvdb-81189", ("tvdb", 81189)),
        ("TVDB 81189", ("tvdb", 81189)),
        ("{tvdb-81189}", ("tvdb", 81189)),
        ("[tvdbid-81189]", ("tvdb", 81189)),
        ("https://thetvdb.com/?tab=series&id=81189", ("tvdb", 81189)),
        ("https://thetvdb.com/dereferrer/series/81189", ("tvdb", 81189)),
        ("tt0903747", ("imdb", "tt0903747")),
        ("https://www.imdb.com/title/tt0903747/", ("imdb", "tt0903747")),
    ],
)
def test_parse_show_id(text, ids):
    assert parse_show_id(text) == ids


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("breaking bad", "is neither a TMDB TV id"),
        ("²", "is neither a TMDB TV id"),  # str.isdigit() says yes, int() no
        ("9" * 5000, "is neither a TMDB TV id"),
        ("https://www.themoviedb.org/tv/" + "9" * 5000, "is no id"),
        ("tvdb-0", "is neither a TMDB TV id"),
        ("https://www.themoviedb.org/movie/603-the-matrix", "a movie's page on TMDB"),
        ("https://thetvdb.com/series/breaking-bad", "does not hold the id"),
        # 0 read as "no id" queued an automatic identification; 30 digits a lookup that fails
        ("https://www.themoviedb.org/tv/0", "is no id"),
        ("https://thetvdb.com/dereferrer/series/" + "9" * 30, "is no id"),
    ],
)
def test_parse_show_id_refuses(text, says):
    with pytest.raises(ValueError, match=says):
        parse_show_id(text)


def test_a_show_page_searches_tv_shows_and_tells_doctor_who_apart(tv_stack, simulator):
    client = tv_stack
    show, _episode = make_show()
    page = client.get(f"/movies/{show.id}/identify").get_data(as_text=True)
    assert "Which show is this?" in page and "Search TMDB TV shows" in page
    assert 'value="Doctor Who"' in page and "tvdb-81189" in page  # the TV paste hint
    before = len(simulator.requests)
    html = client.post(f"/movies/{show.id}/search", {"title": "Doctor Who"}, htmx=True).get_data(
        as_text=True
    )
    assert [h.path for h in simulator.requests[before:] if "/search/movie" in h.path] == []
    assert "Results of your search for “Doctor Who”" in html
    assert 'href="https://www.themoviedb.org/tv/121"' in html
    assert 'href="https://www.themoviedb.org/tv/57243"' in html
    assert "first aired 1963" in html and "first aired 2005" in html
    assert 'aria-label="This one: Doctor Who (1963), TMDB TV 121"' in html
    assert 'aria-label="This one: Doctor Who (2005), TMDB TV 57243"' in html
    assert html.count('<img class="candidate-poster"') == 2  # the daemon's thumbnails
    assert db.Movie.get_by_id(show.id).identification_status == db.UNIDENTIFIED


def test_choosing_a_show_identifies_it_and_its_episodes(tv_stack):
    client = tv_stack
    show, episode = make_show()
    client.post(f"/movies/{show.id}/search", {"title": "Doctor Who"}, htmx=True)
    html = client.post(f"/movies/{show.id}/identify", {"id": "57243"}, htmx=True).get_data(
        as_text=True
    )
    job = db.Job.get(db.Job.movie == show.id, db.Job.kind == "identify")
    assert job.state == "done" and job.payload["tmdb_id"] == 57243 and job.manual
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.year, fresh.identified_by) == (57243, 2005, "manual")
    # the history and the activity say how in words, as for a movie ("by manual" before)
    history = client.get(f"/movies/{show.id}?tab=history").get_data(as_text=True)
    activity = client.get("/activity").get_data(as_text=True)
    for page in (history, activity):
        assert "identified by hand as Doctor Who (2005)" in page
        assert "by manual" not in page
    assert fresh.identification_status in (db.IDENTIFIED, db.ENRICHED)
    ep = db.Movie.get_by_id(episode.id)
    assert ep.identification_status != db.UNIDENTIFIED and ep.episode_refs[0]["title"] == "Rose"
    assert (
        "This is <bdi>Doctor Who</bdi>" in html
        and 'href="https://www.themoviedb.org/tv/57243"' in html
    )


@pytest.mark.parametrize(
    ("pasted", "tmdb_id", "year"),
    [
        ("tvdb-76107", 121, 1963),
        ("https://thetvdb.com/?tab=series&id=78804", 57243, 2005),
        ("https://www.imdb.com/title/tt0056751/", 121, 1963),
        ("https://www.themoviedb.org/tv/57243-doctor-who", 57243, 2005),
    ],
)
def test_a_pasted_id_identifies_the_show(tv_stack, pasted, tmdb_id, year):
    show, _episode = make_show()
    tv_stack.post(f"/movies/{show.id}/identify", {"id": pasted}, htmx=True)
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.year) == (tmdb_id, year)


def test_a_tvdb_id_reaches_the_job_as_such(tv_stack):
    from metarrd.pipeline import queue

    queue.configure(tv_stack.config)  # a real queue file: the job waits for a worker
    show, _episode = make_show()
    html = tv_stack.post(f"/movies/{show.id}/identify", {"id": "tvdb-78804"}, htmx=True)
    assert "Identifying…" in html.get_data(as_text=True)
    job = db.Job.get(db.Job.movie == show.id)
    assert job.payload == {
        "tmdb_id": None, "imdb_id": None, "tvdb_id": 78804, "source": "manual",
        "pasted": "tvdb-78804",
    }  # fmt: skip


def test_a_wrong_paste_on_a_show_explains_itself(tv_stack):
    show, _episode = make_show()
    html = tv_stack.post(
        f"/movies/{show.id}/identify", {"id": "https://www.themoviedb.org/movie/603"}, htmx=True
    ).get_data(as_text=True)
    assert "a movie&#39;s page on TMDB" in html or "a movie's page on TMDB" in html
    assert not db.Job.select().exists()


def test_a_refused_paste_or_search_keeps_what_the_user_typed(tv_stack):
    """A paste that is no id, or a search with a wrong year, came back with the paste field
    emptied and the search box reset to the folder's title: the user typed it all again."""
    show, _episode = make_show()
    pasted = "https://thetvdb.com/series/doctor-who-2005"  # a page by name: it holds no id
    html = tv_stack.post(f"/movies/{show.id}/identify", {"id": pasted}, htmx=True).get_data(
        as_text=True
    )
    assert f'value="{pasted}" aria-invalid="true" autofocus' in html
    answer = tv_stack.post(
        f"/movies/{show.id}/search",
        {"title": "Doctor Who Confidential", "year": "20005"},
        htmx=True,
    )
    html = answer.get_data(as_text=True)
    assert "&#39;20005&#39; is not a year." in html or "'20005' is not a year." in html
    assert 'id="search-title" name="title" value="Doctor Who Confidential"' in html
    assert 'id="search-year" name="year" value="20005"' in html
    assert not db.Job.select().exists()
    fresh = tv_stack.get(f"/movies/{show.id}/identify").get_data(as_text=True)
    assert 'id="search-title" name="title" value="Doctor Who"' in fresh
    assert "aria-invalid" not in fresh


def test_a_pasted_id_whose_lookup_fails_stays_in_its_field(tv_stack):
    """A pasted id is looked up by a job: when TMDB knows no such show the job fails, and the
    page said why above an empty field; the user typed (or found) the address again to fix it.
    The field keeps it, marked invalid and described by the failure; a candidate's "This one"
    that fails puts nothing in it."""
    show, _episode = make_show()
    pasted = "https://www.themoviedb.org/tv/99999999-no-such-show"
    tv_stack.post(f"/movies/{show.id}/identify", {"id": pasted}, htmx=True)
    assert db.Job.get(db.Job.movie == show.id, db.Job.kind == "identify").state == "failed"
    html = tv_stack.get(f"/movies/{show.id}/identify").get_data(as_text=True)
    assert 'id="identify-failed"' in html
    field = re.search(r'<input id="paste-id"[^>]*>', html).group(0)
    assert f'value="{pasted}"' in field and 'aria-invalid="true"' in field
    assert 'aria-describedby="identify-failed"' in field and "autofocus" not in field
    tv_stack.post(f"/movies/{show.id}/identify", {"id": "99999999", "from": "candidate"}, htmx=True)
    html = tv_stack.get(f"/movies/{show.id}/identify").get_data(as_text=True)
    assert 'id="identify-failed"' in html
    assert "value=" not in re.search(r'<input id="paste-id"[^>]*>', html).group(0)


def test_the_chosen_candidate_is_not_marked_unsure(tv_stack):
    """The Identify page of a show identified by hand: the candidate chosen said "current" and
    still "Unsure: check it", though the user had checked it and chosen it."""
    show, _episode = make_show()
    candidates = [
        {"tmdb_id": 57243, "title": "Doctor Who", "year": 2005, "recommendation": "weak"},
        {"tmdb_id": 121, "title": "Doctor Who", "year": 1963, "recommendation": "weak"},
    ]
    db.Movie.update(candidates=candidates).where(db.Movie.id == show.id).execute()
    tv_stack.post(f"/movies/{show.id}/identify", {"id": "57243", "from": "candidate"}, htmx=True)
    assert db.Movie.get_by_id(show.id).tmdb_id == 57243
    html = tv_stack.get(f"/movies/{show.id}/identify").get_data(as_text=True)
    current, other = re.findall(r'<li class="candidate[^"]*">.*?</li>', html, re.S)
    assert "is-current" in current and ">current<" in current
    assert "Unsure: check it" not in current and "Unsure: check it" in other


def test_an_episode_page_is_its_shows_and_takes_no_id(tv_stack):
    show, episode = make_show()
    answer = tv_stack.get(f"/movies/{episode.id}/identify")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/movies/{show.id}/identify")
    html = tv_stack.post(f"/movies/{episode.id}/identify", {"id": "57243"}, htmx=True)
    assert "choose its show" in html.get_data(as_text=True)
    assert not db.Job.select().exists()


def test_the_identify_list_holds_unidentified_shows_not_episodes(tv_stack):
    show, episode = make_show("Doctor Who")
    html = tv_stack.get("/identify").get_data(as_text=True)
    assert f'id="movie-{show.id}"' in html and f'id="movie-{episode.id}"' not in html
    assert "Show</span>" in html
