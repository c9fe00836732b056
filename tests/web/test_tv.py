"""The review UI for TV (issue 14 item 4): shows beside movies in the library (never their
seasons or episodes), a show's page with its seasons and episodes, season and episode pages
that reuse the item page with breadcrumbs back to the show, and the whole show's publish
preview. The show is built straight into the database as TV enrich leaves it."""

from __future__ import annotations

import re

import pytest

from metarrd.config import parse_config
from metarrd.web import create_app
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
    assert "Show · 7 episodes" in page  # six numbered files and one without numbers
    for item in [*built.seasons.values(), *built.episodes.values()]:
        assert f'id="movie-{item.id}"' not in page
    assert re.search(r'id="count-all">\s*2<', page)


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
