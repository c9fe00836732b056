"""An enrichment works from its own copy of the item's candidates, read before its providers
answer (a show's, once for all its seasons and episodes) and saved after its downloads: what the
user chooses, removes or locks in the web UI meanwhile must still hold. Each race is made
deterministic by the user's change landing from inside the step between the read and the write."""

from __future__ import annotations

import pytest

from metarrd import db, preferences
from metarrd.enrich import candidate_store, enrich_item
from metarrd.enrich.choices import change_selection
from metarrd.web.edits import toggle_type_lock

from .conftest import make_movie

A = db.ArtworkCandidate


def _german_poster_then_english(rt) -> tuple[db.Movie, db.ArtworkCandidate]:
    """The Matrix enriched in German (its German poster chosen), then the languages set to
    English: TMDB, asked for `include_image_language=en,null`, no longer lists that poster."""
    preferences.save({"languages": ["de"]})
    movie = make_movie(rt)
    enrich_item(rt, movie)
    poster = A.get(A.movie == movie.id, A.asset_type == "poster", A.rank == 1)
    assert poster.language == "de" and poster.selected_by == "auto"
    preferences.save({"languages": ["en"]})
    return db.Movie.get_by_id(movie.id), poster


def _user_meanwhile(monkeypatch, change) -> list:
    """`change` (the user's, in the web UI) lands once the candidates were planned from the rows
    read before, and before their write transaction."""
    real = candidate_store.plan_candidates
    planned = []

    def then_the_user(movie_id, rows, answers, locked_types=()):
        stored = real(movie_id, rows, answers, locked_types)
        planned.extend(stored.gone)  # no longer listed, as the rows read before say
        change()
        return stored

    monkeypatch.setattr(candidate_store, "plan_candidates", then_the_user)
    return planned


@pytest.mark.parametrize(
    ("op", "choice"),
    [("down", (True, "user", 2)), ("remove", (False, "user", None))],  # (is_selected, by, rank)
)
def test_a_picture_the_user_chooses_while_it_is_dropped_keeps_its_row(
    rt, simulator, monkeypatch, op, choice
):
    """Moved down (kept, second) or removed (never picked again, even when TMDB lists it again
    after the languages go back to German): either way the row is the user's now."""
    movie, poster = _german_poster_then_english(rt)
    planned = _user_meanwhile(monkeypatch, lambda: change_selection(rt.config, poster.id, op))

    enrich_item(rt, movie)

    assert poster.id in planned  # planned to go as no longer listed, then the user's
    kept = A.get_or_none(A.id == poster.id)
    assert kept is not None and (kept.is_selected, kept.selected_by, kept.rank) == choice
    assert (rt.config.previews_dir / kept.preview_path).is_file()


def test_a_type_the_user_locks_while_its_picture_is_dropped_keeps_it(rt, simulator, monkeypatch):
    movie, poster = _german_poster_then_english(rt)
    planned = _user_meanwhile(monkeypatch, lambda: toggle_type_lock(movie.id, "poster"))

    enrich_item(rt, movie)

    assert poster.id in planned
    kept = A.get_or_none(A.id == poster.id)
    assert kept is not None and kept.is_selected and kept.rank == 1  # left exactly as it was
    spare = A.select().where(A.movie == movie.id, A.provider == "tmdb", A.language == "de")
    assert {r.asset_type for r in spare} == {"poster"}  # unchosen German images still go
