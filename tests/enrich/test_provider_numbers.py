"""Provider answers whose numbers are of another type or out of range (a broken mirror or
caching proxy; JSON's `1e999` is read as infinity, `NaN` as not-a-number), over real HTTP from
the simulator: the field is left empty or the entry left out, the rest of the item goes on.
Found by fuzzing the provider answers (stop 49): each failed the item with "internal error"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.enrich import candidates, enrich_item
from metarrd.identify import identify_many
from metarrd.identify.tv import tv_search_result
from metarrd.scan import scan
from metarrd.simulator import fanart as sim_fanart
from metarrd.simulator import tmdb as sim_tmdb
from metarrd.simulator.reply import json_reply

from .conftest import make_movie

MEDIA = Path(__file__).parent.parent / "media"
INF = float("inf")


@pytest.mark.parametrize(
    "odd", [{"popularity": [81.9]}, {"vote_count": INF}, {"vote_count": float("nan")},
            {"popularity": "high", "vote_count": {"n": 1}}]
)  # fmt: skip
def test_a_search_answer_with_odd_numbers_and_results_without_an_id_still_identifies(
    rt, simulator, monkeypatch, odd
):
    """ "internal error: KeyError: 'id'" for a result without an id, TypeError, ValueError or
    OverflowError for a popularity or vote count that is no number: identification failed for
    good. A result without a whole-number id is left out as a result that is no object is; an
    odd popularity or vote count counts as none."""
    real_item, real_search = sim_tmdb.search_item, sim_tmdb.search_movies

    def item(movie, lang):
        return {**real_item(movie, lang), **odd}

    def search(catalog, params):
        body = json.loads(real_search(catalog, params).body)
        strays = [{"title": "The Matrix"}, {"id": "abc", "title": "The Matrix"}, {"id": INF}]
        return json_reply(200, {**body, "results": strays + body["results"]})

    monkeypatch.setattr(sim_tmdb, "search_item", item)
    monkeypatch.setattr(sim_tmdb, "search_movies", search)
    folder = Path(rt.config.library[0].path) / "The Matrix (1999)"
    folder.mkdir(parents=True)
    shutil.copy(MEDIA / "h264_aac_mono.mp4", folder / "The Matrix (1999).mp4")
    scan(rt, None)

    (result,) = identify_many(rt, [db.Movie.get().id])
    assert result.identified, result.reason
    assert db.Movie.get().tmdb_id == 603


def test_a_tv_search_result_with_odd_numbers_is_read(rt):
    found = tv_search_result({"id": 1396, "name": "Breaking Bad", "popularity": [1],
                              "vote_count": INF, "first_air_date": "2008-01-20"})  # fmt: skip
    assert (found.tmdb_id, found.popularity, found.vote_count, found.year) == (
        1396, 0.0, 0, 2008
    )  # fmt: skip


def test_details_with_numbers_out_of_range_still_enrich(rt, simulator, monkeypatch):
    """A runtime of `1e999` (infinity): OverflowError; a trailer whose type is a list or whose
    size is infinite: TypeError, OverflowError. Now no runtime, and the trailer still chosen."""
    matrix = simulator.catalog.get(603)
    monkeypatch.setattr(matrix, "runtime", INF)
    monkeypatch.setattr(matrix, "vote_average", float("nan"))
    real_videos = sim_tmdb.videos

    def videos(movie, params):
        body = real_videos(movie, params)
        good = body["results"][0]
        odd = [{**good, "key": "odd1", "type": ["Trailer"]}, {**good, "key": "odd2", "size": INF},
               {**good, "key": "odd3", "size": [1080], "official": True}]  # fmt: skip
        return {"results": [*odd, good]}

    monkeypatch.setattr(sim_tmdb, "videos", videos)
    movie = make_movie(rt)

    enrich_item(rt, movie)
    movie = db.Movie.get_by_id(movie.id)
    assert not movie.last_error, movie.last_error
    assert movie.title == "The Matrix" and movie.runtime is None and movie.rating is None
    assert movie.trailer and movie.trailer.endswith(matrix.trailer)


@pytest.mark.parametrize("likes", [INF, "lots", [3]])
def test_fanart_images_with_odd_numbers_are_candidates(rt, simulator, monkeypatch, likes):
    real = sim_fanart.movie_art

    def answer(catalog, movie_id, base_url):
        body = json.loads(real(catalog, movie_id, base_url).body)
        for poster in body["movieposter"]:
            poster.update(likes=likes, width=INF)
        return json_reply(200, body)

    monkeypatch.setattr(sim_fanart, "movie_art", answer)
    found = candidates.from_fanart(rt.client("fanart").movie(603))
    posters = [c for c in found if c.asset_type == "poster"]
    assert posters and all(c.vote_count == 0 for c in posters)


@pytest.mark.parametrize("ident", [None, "603", INF, "drop"])
def test_details_without_their_id_are_an_answer_of_an_unexpected_shape(
    rt, simulator, monkeypatch, ident
):
    """Details without a whole-number `id`: identification by the NFO's id failed with
    "internal error: KeyError: 'id'" (or TypeError, OverflowError); now the provider is
    unavailable for the item, which says which field, and it is tried again later."""
    real = sim_tmdb.details

    def details(catalog, movie, params):
        body = json.loads(real(catalog, movie, params).body)
        body.pop("id") if ident == "drop" else body.update(id=ident)
        return json_reply(200, body)

    monkeypatch.setattr(sim_tmdb, "details", details)
    folder = Path(rt.config.library[0].path) / "The Matrix (1999)"
    folder.mkdir(parents=True)
    shutil.copy(MEDIA / "h264_aac_mono.mp4", folder / "m.mp4")
    (folder / "m.nfo").write_text('<movie><uniqueid type="tmdb">603</uniqueid></movie>')
    scan(rt, None)

    (result,) = identify_many(rt, [db.Movie.get().id])
    assert not result.identified
    assert "internal error" not in result.reason
    assert "/movie/603: id is" in result.reason and "unexpected shape" in result.reason
