"""End to end in a real headless Chromium: a show folder named "Doctor Who" (no year) is left
unidentified by the daemon (`metarrd run`, a separate process) with both Doctor Whos as
candidates; the user searches TMDB's TV shows for the 2005 one and picks it, and the daemon
identifies the show and its episode. Providers from the simulator."""

from __future__ import annotations

import shutil

import pytest

from metarrd import db
from metarrd.demo import sample_video
from tests.web.test_e2e import (
    JOB_SECONDS,
    csp_violations,
    screenshot,
    shots_dir,
    toml_config,
    wait_for,
    watch,
    web_and_daemon,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EPISODE = "Doctor Who/Season 01/Doctor Who - S01E01.mkv"


@pytest.fixture
def tv_daemon(tmp_path, simulator):
    """A TV library with one show folder, the daemon process, the web server thread."""
    (tmp_path / "movies").mkdir()
    video = tmp_path / "tv" / EPISODE
    video.parent.mkdir(parents=True)
    shutil.copyfile(sample_video(), video)
    config_path = tmp_path / "config.toml"
    tv = f'\n[[library]]\nname = "TV"\npath = "{tmp_path / "tv"}"\nkind = "tv"\n'
    text = toml_config(tmp_path, simulator)
    config_path.write_text(text.replace("[providers]", tv + "[providers]", 1))
    with web_and_daemon(config_path, tmp_path) as (_config, server, log_path, daemon):
        show = wait_for(
            lambda: db.Movie.get_or_none(db.Movie.kind == db.SHOW, db.Movie.candidates != "[]"),
            JOB_SECONDS,
            "the daemon to scan the show and leave it for the user",
            daemon,
            log_path,
        )
        yield show, server.url, log_path, daemon


def test_search_and_pick_a_show_in_a_real_browser(tv_daemon, browser, tmp_path):
    show, url, log_path, daemon = tv_daemon
    shots = shots_dir(tmp_path)
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme="light")
    page = context.new_page()
    watch(page, problems)

    # 1. The list holds the show; its page says "show" and lists both Doctor Whos.
    page.goto(url + "/identify")
    page.locator(f"#movie-{show.id}", has_text="Show").wait_for()
    page.locator(f"#movie-{show.id}").get_by_role("link", name="Choose…").click()
    page.locator("#identify h1", has_text="Which show is this?").wait_for()
    # the page follows the daemon live: on a busy machine its identify may still be storing
    # the candidates when the page is first drawn
    years = page.locator(".candidate .candidate-main strong + .year")
    years.nth(1).wait_for(timeout=JOB_SECONDS * 1000)
    names = years.all_inner_texts()
    assert sorted(names) == ["1963", "2005"]

    # 2. A TMDB TV search: the daemon answers, the page follows live, each show with its
    # poster, the year it first aired and its own TMDB TV page.
    assert page.locator("#search-title").input_value() == "Doctor Who"
    page.get_by_role("button", name="Search").click()
    page.locator(".search-state", has_text="Results of your search for “Doctor Who”,").wait_for(
        timeout=JOB_SECONDS * 1000
    )
    for tmdb_id, year in ((57243, 2005), (121, 1963)):
        row = page.locator(".candidate", has_text=f"first aired {year}")
        assert row.locator("img.candidate-poster").count() == 1  # the daemon's thumbnail
        assert row.locator(f'a[href="https://www.themoviedb.org/tv/{tmdb_id}"]').count() == 1
    screenshot(page, shots, "identify-show")

    # 3. Pick it: the daemon identifies the show and its episode; the page says so.
    page.get_by_role("button", name="This one: Doctor Who (2005), TMDB TV 57243").click()
    page.locator("#identify h1", has_text="This is Doctor Who").wait_for(timeout=JOB_SECONDS * 1000)
    assert "2005" in page.locator("#identify h1").inner_text()
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.identified_by) == (57243, "manual")
    episode = wait_for(
        lambda: db.Movie.get_or_none(
            db.Movie.kind == db.EPISODE, db.Movie.identification_status != db.UNIDENTIFIED
        ),
        JOB_SECONDS,
        "the episode to follow its show",
        daemon,
        log_path,
    )
    assert episode.episode_refs[0]["title"] == "Rose"
    assert not csp_violations(page)
    context.close()
    assert not problems, "\n".join(problems)
