"""An image the user added (provider "user") survives re-enrichment, stays #1 and is published
from the cache like any other."""

from __future__ import annotations

import io

from PIL import Image

from metarrd import db
from metarrd.enrich import add_user_image, change_selection, enrich_item
from tests.enrich.conftest import make_movie


def test_a_users_own_poster_survives_re_enrichment(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    buf = io.BytesIO()
    Image.new("RGB", (400, 600), (1, 2, 3)).save(buf, "PNG")
    mine = add_user_image(rt.config, movie.id, "poster", data=buf.getvalue())
    change_selection(rt.config, mine.id, "use")
    enrich_item(rt, db.Movie.get_by_id(movie.id))  # the providers answer again
    again = db.ArtworkCandidate.get_by_id(mine.id)
    assert (again.provider, again.is_selected, again.rank) == ("user", True, 1)
    assert "poster" in db.Movie.get_by_id(movie.id).locked_asset_types
