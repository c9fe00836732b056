"""The people no item plays any more go, with their cached pictures (docs/enrich.md, "Cast"):
on a library with churn (Radarr upgrades, items re-identified, casts TMDB changed) the actors'
rows and the image cache grew for ever."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

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


def _people(rt, count: int) -> tuple[list[db.Actor], list[Path], Path]:
    """`count` people no item plays, each with a picture in the cache; and The Matrix playing
    one other, whose picture the last of them names too (the same bytes: one cache file).
    Returns the people, their own pictures, and the shared one."""
    movie = make_movie(rt)

    def picture(n: int) -> Path:
        data = f"TMDB profile picture {n}".encode()
        digest = hashlib.sha256(data).hexdigest()
        path = Path(rt.config.cache_dir) / "actor" / digest[:2] / f"{digest}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def person(n: int, path: Path) -> db.Actor:
        actor = db.Actor.create(
            tmdb_id=6384 + n, name=f"Person {n}", name_normalized=f"person {n}",
            image_cache_path=str(path), image_hash=path.stem,
        )  # fmt: skip
        db.CacheImageFile.create(
            actor=actor, image_type="actor", file_path=str(path), file_hash=path.stem,
            file_size=path.stat().st_size,
        )  # fmt: skip
        return actor

    shared = picture(0)
    db.MovieActor.create(movie=movie, actor=person(0, shared), role="Neo", order=0)
    pictures = [picture(n) for n in range(1, count)]
    people = [person(n, p) for n, p in enumerate(pictures, 1)]
    people.append(person(count, shared))
    return people, pictures, shared


def _transactions(monkeypatch, at_each) -> list[int]:
    """Counts the write transactions; `at_each(n)` runs as the n-th begins (n from 0)."""
    real, begun = db.write_transaction, []

    def counted(**kwargs):
        at_each(len(begun))
        begun.append(db.Actor.select().count())
        return real(**kwargs)

    monkeypatch.setattr(db, "write_transaction", counted)
    return begun


def _others_can_write() -> None:
    """The write lock is free: no transaction open here, and (SQLite) another connection
    takes the lock at once, with no busy timeout."""
    assert not db.database.in_transaction()
    if not db.is_postgresql():
        other = sqlite3.connect(db.database.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('web', 'an edit')")
            other.execute("COMMIT")
        finally:
            other.close()


@pytest.mark.parametrize("batch", [3, 500])
def test_many_people_go_in_batches_with_the_write_lock_let_go_in_between(rt, monkeypatch, batch):
    """The first clean-up after upgrading to a version that removes the people no item plays
    took all of them (100,000 on a big library's database) and their pictures in one
    transaction: the web UI's and the queue's writes waited for all of it (on SQLite past
    `busy_timeout`: "database is locked"). They go `PEOPLE_A_TRANSACTION` at a time, the
    lock let go between two; the end is the same: all of them gone with their pictures but the
    one another person's row still names."""
    people, pictures, shared = _people(rt, 7)
    monkeypatch.setattr(cache, "PEOPLE_A_TRANSACTION", batch, raising=False)
    monkeypatch.setattr(cache, "LET_IN", 0, raising=False)
    begun = _transactions(monkeypatch, lambda n: n and _others_can_write())

    removed = cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())

    assert removed == len(pictures)
    assert not any(p.exists() for p in pictures) and shared.is_file()
    assert [a.name for a in db.Actor.select()] == ["Person 0"]
    assert db.CacheImageFile.select().count() == 1
    assert begun == ([8, 5, 2] if batch == 3 else [8])  # people there as each began
    # (the other connection's write is SQLite's: PostgreSQL has no file lock to take)
    wrote = batch == 3 and not db.is_postgresql()
    assert (db.Meta.get_or_none(db.Meta.key == "web") is not None) == wrote


@pytest.mark.parametrize(("asks_in", "holds"), [(0, 0.3), (1, 0.1)])
def test_a_writer_waiting_for_the_lock_gets_in_between_two_batches(rt, monkeypatch, asks_in, holds):
    """Another connection (the web UI's, a worker's) asks for the write lock while a batch
    holds it, and waits: on SQLite its busy handler sleeps between tries, longer and longer
    (100 ms once it has waited a quarter of a second), and a next batch begun at once took
    the lock again before it woke, every time, so its write waited for the whole clean-up
    (past `busy_timeout`: "database is locked"). It gets in between two batches, the people
    of the last one still there. Each batch holds the lock a while, as a big library's do.
    Asking in the first batch (it may have waited from before the clean-up: the pause is as
    long as its longest sleep), or in a later one after a pause no one took the lock in (it
    began to wait in that batch, 100 ms ago at most: the pause is as long as its sleeps are
    then, 25 ms)."""
    people, pictures, shared = _people(rt, 7)
    monkeypatch.setattr(cache, "PEOPLE_A_TRANSACTION", 3, raising=False)
    forget, seen, writers, batches = cache.forget_unlinked_actors, [], [], []

    def other_writer() -> None:
        try:
            with db.write_transaction():
                seen.append(db.Actor.select().count())
                db.set_meta("web", "an edit")
        finally:
            db.database.close()

    def slow_batch(*args, **kwargs):
        if len(batches) == asks_in:  # the lock held: the other connection asks for it, waits
            writers.append(threading.Thread(target=other_writer))
            writers[0].start()
        batches.append(args)
        time.sleep(holds)
        return forget(*args, **kwargs)

    monkeypatch.setattr(cache, "forget_unlinked_actors", slow_batch)
    removed = cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())
    writers[0].join()

    assert removed == len(pictures) and shared.is_file()
    assert [a.name for a in db.Actor.select()] == ["Person 0"]
    assert len(batches) == 3 and db.get_meta("web") == "an edit"
    assert seen in ([5], [2]) if asks_in == 0 else seen == [2]  # in before the last batch


def test_while_others_keep_taking_the_lock_every_fourth_pause_lets_all_in(rt, monkeypatch):
    """The pause after a batch is as long as the busy handler's sleeps of a connection that
    began to wait as the batch did; one that woke in the pause before to find another had
    taken the lock first sleeps longer (100 ms). While other connections take the lock in
    every pause, one in four is the full `LET_IN` (as the first is: one may have waited from
    before), which wakes every one waiting, whatever it began."""
    if db.is_postgresql():
        pytest.skip("PostgreSQL queues the waiters: no pause")
    people, pictures, shared = _people(rt, 19)
    monkeypatch.setattr(cache, "PEOPLE_A_TRANSACTION", 3, raising=False)
    monkeypatch.setattr(cache, "LET_IN", 0.2)  # told from the others, however long they are
    pauses: list[float] = []
    monkeypatch.setattr(cache, "sleep", pauses.append)
    _transactions(monkeypatch, lambda n: n and _others_can_write())

    cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())

    assert [a.name for a in db.Actor.select()] == ["Person 0"]
    full = cache.LET_IN + cache.OVERSLEEP
    assert [p == full for p in pauses] == [True, False, False, False, True, False]
    assert all(p < full for p in pauses[1:4])


def test_a_clean_up_killed_between_two_batches_leaves_each_whole(rt, monkeypatch):
    """Killed after its first batch (a restart, the OOM killer): the people of that batch are
    gone with their pictures, the others are there with theirs, no picture named by no row;
    the next clean-up takes the rest."""
    people, pictures, shared = _people(rt, 7)
    monkeypatch.setattr(cache, "PEOPLE_A_TRANSACTION", 3, raising=False)
    monkeypatch.setattr(cache, "LET_IN", 0, raising=False)

    def killed(n: int) -> None:
        if n == 1:
            raise KeyboardInterrupt

    begun = _transactions(monkeypatch, killed)
    with pytest.raises(KeyboardInterrupt):
        cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())
    monkeypatch.undo()

    assert begun == [8]
    left = {a.name for a in db.Actor.select()}
    assert left == {"Person 0", *(a.name for a in people[3:])}
    assert [p.exists() for p in pictures] == [False] * 3 + [True] * 3
    named = {p for (p,) in db.CacheImageFile.select(db.CacheImageFile.file_path).tuples()}
    on_disk = {str(p) for p in Path(rt.config.cache_dir).rglob("*.jpg")}
    assert on_disk == named  # every picture left is named by a row, and every row's is there

    cache.remove_unused(rt.config.cache_dir, rt.config.previews_dir, set(), set())
    assert [a.name for a in db.Actor.select()] == ["Person 0"]
    assert not any(p.exists() for p in pictures) and shared.is_file()


def test_the_clean_up_removes_nothing_outside_the_cache_whatever_the_spelling(rt, tmp_path):
    """`remove_unused` removes what no row names from the cache alone, told by the names'
    text (100,000 people's pictures at once): a name spelt with `//` or `/./` (a `[cache] dir`
    written so in another host's config) is in the cache as `Path` reads it, and a candidate
    holding its content keeps it all the same; a name with `..` never is, even one that leads
    back in; nor the user's copies in `backup/`, nor a file of the library or a folder beside
    the cache whose name begins with the cache's."""
    cache_dir = rt.config.cache_dir
    digest = hashlib.sha256(b"Keanu Reeves").hexdigest()
    root = str(cache_dir)
    poster = hashlib.sha256(b"The Matrix poster").hexdigest()
    db.ArtworkCandidate.create(
        movie=make_movie(rt), asset_type="poster", provider="tmdb", content_hash=poster,
        url="https://image.tmdb.org/t/p/original/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg",
        is_downloaded=True,
    )  # fmt: skip

    def picture(name: str) -> Path:
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xe0 JFIF")
        return path

    gone = {
        f"{root}/actor/{digest[:2]}/{digest}.jpg",
        f"{root}//actor/{digest[:2]}/{digest}.png",
        f"{root}/./actor/{digest[:2]}/{digest}.webp",
    }
    kept = {
        f"{root}/actor/../actor/{digest[:2]}/{digest}.gif",
        f"{root}/actor/{digest[:2]}/../../../outside.jpg",
        f"{root}/backup/{digest[:2]}/movie.nfo",
        f"{root}/actor/{digest[:2]}/{digest}",
        f"{root}-old/actor/{digest[:2]}/{digest}.jpg",
        f"{root}//poster/./{poster[:2]}/{poster}.jpg",
        str(tmp_path / "movies" / "The Matrix (1999)" / "poster.jpg"),
    }
    for name in gone | kept:
        picture(name)
    removed = cache.remove_unused(cache_dir, rt.config.previews_dir, gone | kept, set())
    assert removed == len(gone)
    assert not any(Path(name).exists() for name in gone)
    assert all(Path(name).is_file() for name in kept)
