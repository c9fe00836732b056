"""An enrichment works from its own copy of the item's candidates, read before its providers
answer (a show's, once for all its seasons and episodes) and saved after its downloads: what the
user chooses, removes or locks in the web UI meanwhile must still hold. Each race is made
deterministic by the user's change landing from inside the step between the read and the write."""

from __future__ import annotations

import pytest

from metarrd import db, preferences
from metarrd.enrich import caching, candidate_store, enrich_item, stage
from metarrd.enrich.choices import change_selection
from metarrd.identify import forget_enrichment
from metarrd.web.edits import read_snapshot, restore_selection, selection_snapshot, toggle_type_lock

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


def test_a_picture_dropped_as_the_item_is_forgotten_is_not_kept_by_a_lock(
    rt, simulator, monkeypatch
):
    """The item is identified as another film (its provider rows go) and its poster type locked
    while the enrich plans: the poster it was to drop, selected in a type now locked, is gone,
    not the user's to keep, and stays out of the rows the enrich goes on with."""
    movie, poster = _german_poster_then_english(rt)

    def forgotten_then_locked():
        with db.write_transaction():
            forget_enrichment(db.Movie.get_by_id(movie.id))
        toggle_type_lock(movie.id, "poster")

    planned = _user_meanwhile(monkeypatch, forgotten_then_locked)
    real = stage.select_and_cache
    went_on_with = []

    def select_and_cache(config, movie_id, rows, *args):
        went_on_with.extend(row.id for row in rows.values())
        return real(config, movie_id, rows, *args)

    monkeypatch.setattr(stage, "select_and_cache", select_and_cache)

    enrich_item(rt, movie)

    assert poster.id in planned
    assert poster.id not in went_on_with
    assert A.get_or_none(A.id == poster.id) is None


def test_a_choice_the_user_undoes_while_the_enrich_selects_stays_undone(rt, simulator, monkeypatch):
    """The user removed the #1 poster (the type locked, the others moved up), the enrich read
    that, and then the user's Undo put it back (the type unlocked) before the selection's write:
    the enrich selects from the Undo, not from its copy (the poster removed by the user, so
    another one would fill its place beside the poster Undo gave back)."""
    movie = make_movie(rt)
    enrich_item(rt, movie)
    poster = A.get(A.movie == movie.id, A.asset_type == "poster", A.rank == 1)
    auto = _selected_posters(movie.id)
    assert {by for _rank, _id, by in auto} == {"auto"}
    before = selection_snapshot(movie.id, "poster")
    change_selection(rt.config, poster.id, "remove")
    assert poster.id not in {i for _rank, i, _by in _selected_posters(movie.id)}
    real = caching.select
    undone = []

    def then_undo(picks, limits, locked_types=()):
        picks = list(picks)
        if not undone:  # the enrich's copy: the poster removed by the user, the type locked
            assert ("poster" in locked_types, poster.id) in {(True, p.id) for p in picks}
            restore_selection(movie.id, read_snapshot(before))
            undone.append(_selected_posters(movie.id))
        return real(picks, limits, locked_types)

    monkeypatch.setattr(caching, "select", then_undo)

    enrich_item(rt, db.Movie.get_by_id(movie.id))

    assert undone == [auto]
    assert _selected_posters(movie.id) == auto


def test_a_picture_the_user_removes_while_it_is_fetched_is_not_cached(rt, simulator, monkeypatch):
    """Removed while the selection's downloads are awaited: its download is not moved into the
    cache (a multi-MB original nobody uses) and the row stays as the user left it."""
    movie = make_movie(rt)
    real = caching._Placing._downloaded_now
    removed = []

    def meanwhile(self, row):
        if row.asset_type == "poster" and not removed:
            removed.append(row.id)
            change_selection(rt.config, row.id, "remove")
        return real(self, row)

    monkeypatch.setattr(caching._Placing, "_downloaded_now", meanwhile)

    enrich_item(rt, movie)

    row = A.get_by_id(removed[0])
    assert (row.is_selected, row.selected_by, row.is_downloaded) == (False, "user", False)
    assert row.content_hash  # downloaded and analysed, then left out of the cache
    assert not candidate_store.in_cache(rt.config.cache_dir, row)
    C = db.CacheImageFile
    assert not C.select().where(C.movie == movie.id, C.file_hash == row.content_hash).exists()


def _cache_fails_after(monkeypatch, change) -> list:
    """Caching the first selected poster fails (its download is gone), and while it was being
    placed the user made `change(row)` in the web UI."""
    real = caching._Placing._place_one
    seen = []

    def placing(self, row):
        if row.asset_type != "poster" or seen:
            return real(self, row)
        seen.append(row.id)
        change(row)
        return row, None, "not downloaded"

    monkeypatch.setattr(caching._Placing, "_place_one", placing)
    return seen


def test_a_picture_the_user_removes_while_it_is_cached_stays_removed(rt, simulator, monkeypatch):
    movie = make_movie(rt)
    seen = _cache_fails_after(
        monkeypatch, lambda row: change_selection(rt.config, row.id, "remove")
    )

    enrich_item(rt, movie)

    removed = A.get_by_id(seen[0])
    assert (removed.is_selected, removed.selected_by) == (False, "user")  # never picked again
    assert removed.rejected_reason == "could not be cached: not downloaded"
    monkeypatch.undo()
    db.Movie.update(locked_asset_types=[]).where(db.Movie.id == movie.id).execute()

    enrich_item(rt, db.Movie.get_by_id(movie.id))

    again = A.get_by_id(seen[0])
    assert (again.is_selected, again.selected_by) == (False, "user")
    assert A.get_or_none(A.movie == movie.id, A.asset_type == "poster", A.is_selected)


def _selected_posters(movie_id: int) -> list[tuple]:
    rows = A.select().where(A.movie == movie_id, A.asset_type == "poster", A.is_selected)
    return sorted((r.rank, r.id, r.selected_by) for r in rows)


def test_a_picture_whose_type_the_user_locks_while_it_is_cached_stays(rt, simulator, monkeypatch):
    """A locked type is left exactly as it is: a picture of it that cannot be cached keeps its
    place (as the user's own choice does), and no other takes it."""
    movie = make_movie(rt)
    as_locked = []

    def lock(row):
        toggle_type_lock(movie.id, "poster")
        as_locked.extend(_selected_posters(movie.id))

    seen = _cache_fails_after(monkeypatch, lock)

    enrich_item(rt, movie)

    assert seen[0] in {i for _rank, i, _by in as_locked}
    assert _selected_posters(movie.id) == as_locked


def test_a_choice_a_re_enrich_follows_at_once_answers_the_choice_made(rt, simulator, monkeypatch):
    """The user makes a poster #1 and a re-enrich's write transaction follows the choice's
    commit at once, replacing the item's candidates: the choice read its candidate back after
    its commit, so the web request that made it answered 500 for a choice that was made. It is
    read under the choice's own lock."""
    from metarrd.enrich import choices

    movie = make_movie(rt)
    enrich_item(rt, movie)
    second = A.get(A.movie == movie.id, A.asset_type == "poster", A.rank == 2)
    real_info = choices.log.info

    def then_a_re_enrich(*args):
        A.delete().where(A.movie == movie.id).execute()  # as a re-enrich replacing them would
        real_info(*args)

    monkeypatch.setattr(choices.log, "info", then_a_re_enrich)
    change = change_selection(rt.config, second.id, "use")
    assert (change.asset.id, change.asset.rank, change.asset.selected_by) == (second.id, 1, "user")
