"""The people no item plays any more go, with their cached pictures (docs/enrich.md, "Cast"):
on a library with churn (Radarr upgrades, items re-identified, casts TMDB changed) the actors'
rows and the image cache grew for ever."""

from __future__ import annotations

from pathlib import Path

from metarrd import cache, db
from metarrd.enrich import enrich_item
from metarrd.identify import identify_item

from .conftest import make_movie


def _pictured(movie: db.Movie) -> list[db.Actor]:
    return [role.actor for role in movie.cast() if role.actor.image_cache_path]


def _kept(actor: db.Actor) -> bool:
    return db.Actor.select().where(db.Actor.tmdb_id == actor.tmdb_id).exists()


def _cache_rows(actor: db.Actor) -> int:
    return db.CacheImageFile.select().where(db.CacheImageFile.actor == actor.id).count()


def test_a_person_dropped_from_a_cast_goes_with_their_picture(rt, simulator, monkeypatch):
    """TMDB dropped a person from The Matrix's cast (a re-enrich gives the new cast): the
    person stayed in `actors`, their picture in the cache, though no item plays them. While a
    second copy of the film, not enriched again yet, still plays them, they stay."""
    first = make_movie(rt)
    enrich_item(rt, first)
    second = make_movie(rt, title="The Matrix (Extended)")
    enrich_item(rt, second)
    gone = _pictured(first)[-1]
    picture = Path(gone.image_cache_path)
    assert picture.is_file() and _cache_rows(gone) == 1
    matrix = simulator.catalog.get(603)
    monkeypatch.setattr(matrix, "cast", [c for c in matrix.cast if c[0] != gone.name])
    enrich_item(rt, db.Movie.get_by_id(first.id))
    assert _kept(gone) and picture.is_file()  # the second copy still plays them

    enrich_item(rt, db.Movie.get_by_id(second.id))

    assert not _kept(gone) and _cache_rows(gone) == 0
    assert not picture.exists()
    for actor in _pictured(db.Movie.get_by_id(first.id)):  # the others' pictures stay
        assert Path(actor.image_cache_path).is_file()


def test_the_cast_of_a_movie_identified_again_goes_with_its_pictures(rt, simulator):
    """ "Change movie…": an enriched item was The Thing (1982), it is now Alien. The old film's
    roles went, but its people stayed in `actors` with their pictures in the cache."""
    movie = make_movie(rt, tmdb_id=1091, imdb_id="tt0084787", title="The Thing", year=1982)
    enrich_item(rt, movie)
    people = _pictured(movie)
    assert people
    pictures = [Path(a.image_cache_path) for a in people]
    assert all(p.is_file() for p in pictures)

    identify_item(rt, db.Movie.get_by_id(movie.id), tmdb_id=348)

    assert not any(_kept(actor) for actor in people)
    assert not any(p.exists() for p in pictures)
    assert db.CacheImageFile.select().where(db.CacheImageFile.actor.is_null(False)).count() == 0


def _dropped_from_the_matrix(rt, simulator, monkeypatch) -> tuple[db.Movie, db.Actor, Path]:
    movie = make_movie(rt)
    enrich_item(rt, movie)
    gone = _pictured(movie)[-1]
    matrix = simulator.catalog.get(603)
    monkeypatch.setattr(matrix, "cast", [c for c in matrix.cast if c[0] != gone.name])
    return movie, gone, Path(gone.image_cache_path)


def test_a_person_dropped_by_an_enrich_killed_before_the_clean_up_goes_at_the_next(
    rt, simulator, monkeypatch
):
    """The enrich commits the new cast, then removes what no row uses any more: killed in
    between (a restart, the OOM killer), the person's rows were gone already and their cached
    picture, named by no row, stayed in the cache for good. The next clean-up, whatever
    deletion calls it, takes them and their picture."""
    movie, gone, picture = _dropped_from_the_matrix(rt, simulator, monkeypatch)
    remove_unused = cache.remove_unused
    monkeypatch.setattr(cache, "remove_unused", lambda *args: 0)  # killed before it ran
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert picture.is_file()
    monkeypatch.setattr(cache, "remove_unused", remove_unused)

    remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())

    assert not _kept(gone) and not picture.exists()


def test_a_person_dropped_while_the_cache_does_not_answer_goes_once_it_does(
    rt, simulator, monkeypatch
):
    """The cache on a hung mount while an enrich drops a person: nothing is removed there
    then, and their rows went all the same, so their picture stayed for good once the mount
    answered. They go at the first clean-up after it answers."""
    movie, gone, picture = _dropped_from_the_matrix(rt, simulator, monkeypatch)
    cache_dir = rt.config.cache_dir
    unanswered = cache.unanswered
    monkeypatch.setattr(cache, "unanswered", lambda folder, **kw: folder == cache_dir)
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert picture.is_file()
    monkeypatch.setattr(cache, "unanswered", unanswered)

    cache.remove_unused(cache_dir, rt.config.previews_dir, set(), set())

    assert not _kept(gone) and not picture.exists()
