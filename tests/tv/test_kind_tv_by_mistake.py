"""A movie library given `kind = "tv"` by mistake (a valid value: no config check catches it),
scanned, then set back. The TV scan read every film in a folder as an episode of a show named
after it (`Heat (1995)/Heat (1995).mkv`, no episode numbers) and wiped what it was as a film:
its identification, locks, cast; the films at the root or in an extras-named folder were
deleted with their history. Setting the kind back made fresh unidentified films. A config
mistake never destroys the user's work: the films stay as they are, and the scan says why."""

from __future__ import annotations

from metarrd import db
from metarrd.scan import kind_change

from .conftest import put
from .test_library_kind_changed import FILES, FILMS, _run, write_config

MOVIES = [
    "Heat (1995)/Heat (1995).mkv",
    "The Matrix (1999)/The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv",
    "Inception (2010)/Inception (2010) cd1.mkv",
    "Inception (2010)/Inception (2010) cd2.mkv",
    "Ronin.1998.1080p.BluRay.x264-AMIABLE.mkv",  # at the root; TMDB finds it not: unidentified
]


def _films() -> dict[int, tuple]:
    M = db.Movie
    return {
        m.id: (m.path, m.kind, m.identification_status, m.tmdb_id, m.title, m.locked_fields)
        for m in M.select().where(M.kind == db.MOVIE)
    }


def test_a_movie_library_set_to_tv_by_mistake_keeps_its_films(tmp_path, simulator, backend, capsys):
    root = tmp_path / "movies"
    for rel in MOVIES:
        put(root, rel)
    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0, capsys.readouterr()
    heat = db.Movie.get(db.Movie.path == str(root / MOVIES[0]))
    assert heat.identification_status != db.UNIDENTIFIED  # the scan identified it
    db.Movie.update(title="Heat (Director's Definitive Edition)", locked_fields=["title"]).where(
        db.Movie.id == heat.id
    ).execute()  # the user's edit, locked
    before = _films()
    assert len(before) == 4  # Inception's two parts are one film
    capsys.readouterr()

    tv = write_config(tmp_path, simulator, root, "tv")
    _run(tv, "scan")
    err = capsys.readouterr().err
    said = (
        'kind = "tv" but 4 of its 4 films do not read as episodes (no season and episode '
        "numbers, air date or absolute number in their names): they are kept as films"
    )
    assert said in err
    assert _films() == before  # not one converted, not one removed
    assert not db.Movie.select().where(db.Movie.kind != db.MOVIE).exists()  # no show of a film
    assert (
        db.Event.select()
        .where(db.Event.kind == "scan.warning", db.Event.message.contains(said))
        .exists()
    )  # the web's events show it
    _run(tv, "scan")
    assert said in capsys.readouterr().err  # said at each scan
    events = db.Event.select().where(db.Event.message.contains(said))
    assert events.count() == 1  # its event once, not at each scan
    assert _films() == before

    movies = write_config(tmp_path, simulator, root, "movie")  # set back
    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert _films() == before  # set back: as they were


def test_a_film_named_as_no_episode_stays_a_film_in_a_tv_library(
    tmp_path, simulator, backend, capsys
):
    """A TV library first scanned as a movie library, with the show's film beside its episodes
    (Serenity in Firefly's folder): once set to TV the numbered files become episodes; the film,
    whose name has no episode numbers, stays the film it was, with its identification, and the
    scan says so. It was made an episode, its identification wiped."""
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    serenity = put(root, "Firefly (2002)/Serenity (2005).mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    film = db.Movie.get(db.Movie.path == str(serenity))
    db.Movie.update(locked_fields=["plot"], plot="Serenity, the film.").where(
        db.Movie.id == film.id
    ).execute()
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 1
    err = capsys.readouterr().err
    assert "Serenity (2005).mkv" in err and "reads as no episode" in err
    after = db.Movie.get_by_id(film.id)
    assert (after.kind, after.show_id, after.plot, after.locked_fields) == (
        db.MOVIE, None, "Serenity, the film.", ["plot"]
    )  # fmt: skip
    episodes = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert sorted(e.path for e in episodes) == sorted(str(root / rel) for rel in FILES)


def test_a_film_left_out_by_the_tv_scan_carrying_the_users_work_is_kept(
    tmp_path, simulator, backend, capsys
):
    """A film the TV scan does not walk (a show's `Shorts/`) goes when nothing of the user's is
    on it; one the user locked stays, with its locks and history, for the kind set back."""
    root = tmp_path / "tv"
    for rel in FILES[:2]:
        put(root, rel)
    extra = put(root, "Breaking Bad (2008)/Shorts/Breaking Bad - Good Cop Bad Cop.mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    film = db.Movie.get(db.Movie.path == str(extra))
    db.Movie.update(title="Good Cop / Bad Cop", locked_fields=["title"]).where(
        db.Movie.id == film.id
    ).execute()
    capsys.readouterr()

    tv = write_config(tmp_path, simulator, root, "tv")
    assert _run(tv, "scan") == 0, capsys.readouterr()
    kept = db.Movie.get_by_id(film.id)
    assert (kept.kind, kept.title, kept.locked_fields) == (
        db.MOVIE, "Good Cop / Bad Cop", ["title"]
    )  # fmt: skip
    said = db.Event.select().where(
        db.Event.kind == "scan.warning",
        db.Event.movie == film.id,
        db.Event.message.contains("kept as a film"),
    )
    assert said.count() == 1
    assert _run(tv, "scan") == 0, capsys.readouterr()
    assert said.count() == 1  # said once, not at each scan


def test_a_film_the_user_locks_while_the_tv_scan_weighs_it_is_kept(
    tmp_path, simulator, backend, capsys, monkeypatch
):
    """The user locks a film left out by the TV scan (in the web, or another host's job) just
    after the scan found nothing of the user's on it, before its write transaction: it was
    deleted with the lock the user had just made, as the transaction read the films again but
    not their locks."""
    root = tmp_path / "tv"
    for rel in FILES[:2]:
        put(root, rel)
    extra = put(root, "Breaking Bad (2008)/Shorts/Breaking Bad - Good Cop Bad Cop.mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    film = db.Movie.get(db.Movie.path == str(extra))
    capsys.readouterr()
    weighed = kind_change.carries_user_work

    def then_the_user_locks_it(item: db.Movie) -> bool:
        worked = weighed(item)
        if item.id == film.id:  # the user's edit, committed right after the scan looked
            db.Movie.update(title="Good Cop / Bad Cop", locked_fields=["title"]).where(
                db.Movie.id == film.id
            ).execute()
        return worked

    monkeypatch.setattr(kind_change, "carries_user_work", then_the_user_locks_it)
    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    kept = db.Movie.get_or_none(db.Movie.id == film.id)
    assert kept is not None
    assert (kept.kind, kept.title, kept.locked_fields) == (
        db.MOVIE, "Good Cop / Bad Cop", ["title"]
    )  # fmt: skip


def test_a_show_with_no_episode_goes_once_the_library_is_a_movie_library(
    tmp_path, simulator, backend, capsys
):
    """A TV library holding only a show folder with no episode yet (Sonarr makes the series
    folder when the series is added), set to a movie library: the show goes with its seasons,
    once. It stayed for good, and each movie rescan took the library's kind for changed again."""
    root = tmp_path / "tv"
    (root / "The Last of Us (2023)").mkdir(parents=True)
    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    assert db.Movie.select().where(db.Movie.kind == db.SHOW).count() == 1

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    assert not db.Movie.select().exists()


def test_a_show_the_user_locked_stays_once_the_library_is_a_movie_library(
    tmp_path, simulator, backend, capsys
):
    """A show whose fields the user locked is kept (marked missing) when its library becomes
    a movie library, said once, for the kind set back; its episodes become films (the library's
    most are films: its kind = "tv" was the mistake)."""
    root = tmp_path / "tv"
    for rel in [*FILES[:2], *FILMS]:
        put(root, rel)
    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 1, capsys.readouterr()
    show = db.Movie.get(
        db.Movie.kind == db.SHOW, db.Movie.path == str(root / "Breaking Bad (2008)")
    )
    db.Movie.update(plot="Walter White's story.", locked_fields=["plot"]).where(
        db.Movie.id == show.id
    ).execute()

    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0, capsys.readouterr()
    kept = db.Movie.get_by_id(show.id)
    assert (kept.kind, kept.plot, kept.locked_fields, kept.missing) == (
        db.SHOW, "Walter White's story.", ["plot"], True
    )  # fmt: skip
    assert db.Movie.select().where(db.Movie.kind == db.MOVIE).count() == 5
    said = db.Event.select().where(db.Event.kind == "scan.warning", db.Event.movie == show.id)
    assert said.count() == 1
    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert said.count() == 1  # said once


def _items() -> dict[int, tuple]:
    M = db.Movie
    return {
        m.id: (m.path, m.kind, m.show_id, m.season, m.episodes, m.title, m.locked_fields, m.missing)
        for m in M.select()
    }


def test_a_tv_library_whose_kind_is_removed_by_mistake_keeps_its_episodes(
    tmp_path, simulator, backend, capsys
):
    """A TV library's `kind = "tv"` removed by mistake (a config edit gone wrong): the movie scan
    made each episode a film, wiping its locks and edits, and dropped the shows. Its files still
    read as episodes: nothing is converted nor dropped, the scan says why (its event once), and
    the kind set back finds everything as it was."""
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    tv = write_config(tmp_path, simulator, root, "tv")
    assert _run(tv, "scan") == 0, capsys.readouterr()
    pilot = db.Movie.get(db.Movie.path == str(root / FILES[0]))
    db.Movie.update(title="Pilot (extended)", locked_fields=["title"]).where(
        db.Movie.id == pilot.id
    ).execute()  # the user's edit, locked
    show = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(root / "Firefly (2002)"))
    db.Movie.update(plot="Captain Mal's crew.", locked_fields=["plot"]).where(
        db.Movie.id == show.id
    ).execute()
    before = _items()
    assert sum(1 for i in before.values() if i[1] == db.EPISODE) == 3
    capsys.readouterr()

    movies = write_config(tmp_path, simulator, root, "movie")
    _run(movies, "scan")
    said = 'no kind = "tv" but 3 of its 3 episodes read as episodes: kept as episodes'
    assert said in capsys.readouterr().err
    assert _items() == before  # not one converted, dropped nor made a film
    events = db.Event.select().where(
        db.Event.kind == "scan.warning", db.Event.message.contains(said)
    )
    assert events.count() == 1
    _run(movies, "scan")
    assert said in capsys.readouterr().err
    assert events.count() == 1  # said once, not at each scan
    assert _items() == before

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0  # set back
    assert _items() == before


def test_a_tv_library_of_films_becomes_a_movie_library(tmp_path, simulator, backend, capsys):
    """Films scanned first with `kind = "tv"` (each an episode of a show named after its
    folder), then the kind removed, rightly: their names read as no episode, so they become
    films, the same items, and the shows go. What the user edited and locked that a film has
    too (its title, its plot) stays; it was reset with the rest."""
    root = tmp_path / "movies"
    for rel in MOVIES[:3]:
        put(root, rel)
    _run(write_config(tmp_path, simulator, root, "tv"), "scan")
    episodes = {m.path: m.id for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    assert len(episodes) == 3, capsys.readouterr()
    heat = episodes[str(root / MOVIES[0])]
    db.Movie.update(
        title="Heat (Director's Definitive Edition)",
        plot="A crew of thieves and the detective after them.",
        locked_fields=["title", "plot"],
    ).where(db.Movie.id == heat).execute()
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    assert "kept as episodes" not in capsys.readouterr().err
    assert not db.Movie.select().where(db.Movie.kind != db.MOVIE).exists()
    assert {m.path: m.id for m in db.Movie.select()} == episodes
    film = db.Movie.get_by_id(heat)
    assert (film.title, film.plot, film.locked_fields) == (
        "Heat (Director's Definitive Edition)",
        "A crew of thieves and the detective after them.",
        ["title", "plot"],
    )


def test_a_partial_scan_of_a_tv_library_whose_kind_is_removed_follows_the_library(
    tmp_path, simulator, backend, capsys
):
    """The guard is the library's, not the scan's scope's: `kind = "tv"` removed by mistake,
    then a scan of one folder (`metarrd scan PATH`, a watcher's or a webhook's) whose one
    episode reads as none: of the scope, none of 1 reads as an episode, so it was made a film,
    its lock and edit lost, though 3 of the library's 4 episodes read as episodes."""
    root = tmp_path / "tv"
    for rel in [*FILES, FILMS[0]]:
        put(root, rel)
    _run(write_config(tmp_path, simulator, root, "tv"), "scan")  # 1: Heat reads as no episode
    heat = db.Movie.get(db.Movie.path == str(root / FILMS[0]))
    assert heat.kind == db.EPISODE
    db.Movie.update(title="Heat (extended)", locked_fields=["title"]).where(
        db.Movie.id == heat.id
    ).execute()
    before = _items()
    capsys.readouterr()

    movies = write_config(tmp_path, simulator, root, "movie")
    _run(movies, "scan", str(root / "Heat (1995)"))
    assert 'no kind = "tv" but 3 of its 4 episodes read as episodes' in capsys.readouterr().err
    assert _items() == before


def test_a_partial_scan_of_a_movie_library_set_to_tv_follows_the_library(
    tmp_path, simulator, backend, capsys
):
    """The mirror: `kind = "tv"` set by mistake on a movie library, then a scan of the one folder
    whose film reads as an episode: of the scope, 1 of 1 does, so it was made an episode (its
    identification and locks reset), though 4 of the library's 5 films read as none."""
    root = tmp_path / "movies"
    for rel in [*MOVIES, FILES[0]]:
        put(root, rel)
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") in (0, 1)
    film = db.Movie.get(db.Movie.path == str(root / FILES[0]))
    db.Movie.update(title="Pilot (extended)", locked_fields=["title"]).where(
        db.Movie.id == film.id
    ).execute()
    before = _films()
    assert len(before) == 5
    capsys.readouterr()

    tv = write_config(tmp_path, simulator, root, "tv")
    _run(tv, "scan", str(root / "Breaking Bad (2008)"))
    assert 'kind = "tv" but 4 of its 5 films do not read as episodes' in capsys.readouterr().err
    assert _films() == before
    assert not db.Movie.select().where(db.Movie.kind != db.MOVIE).exists()


def test_a_partial_scan_of_a_folder_with_no_episode_follows_the_library(
    tmp_path, simulator, backend, capsys
):
    """`kind = "tv"` removed by mistake, then a scan of a show's folder with no episode yet
    (Sonarr makes a series' folder when it is added): no episode in the scope, so no guard, and
    the show went (its id, its identification), though all the library's episodes read as
    episodes."""
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    (root / "The Last of Us (2023)").mkdir()
    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    assert db.Movie.get(db.Movie.path == str(root / "The Last of Us (2023)")).kind == db.SHOW
    before = _items()
    capsys.readouterr()

    movies = write_config(tmp_path, simulator, root, "movie")
    _run(movies, "scan", str(root / "The Last of Us (2023)"))
    assert 'no kind = "tv" but 3 of its 3 episodes read as episodes' in capsys.readouterr().err
    assert _items() == before


def test_a_new_episode_waits_while_a_tv_librarys_episodes_are_kept(
    tmp_path, simulator, backend, capsys
):
    """`kind = "tv"` removed by mistake, its episodes kept: Sonarr meanwhile brings an episode
    into a show's folder, a new season's folder, and a new show. Each was made a film (a full
    scan; a scan of its folder alone, the watcher's or a webhook's, which found no TV item in
    its scope, did not even ask the guard), and an episode only once the kind was set back. They
    wait with the rest, the scan says so, and the kind set back makes them episodes."""
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    movies = write_config(tmp_path, simulator, root, "movie")
    _run(movies, "scan")
    capsys.readouterr()
    new = [
        "Firefly (2002)/Firefly - S01E04 - Jaynestown.mkv",
        "Breaking Bad (2008)/Season 2/Breaking Bad - S02E01 - Seven Thirty-Seven WEBDL-1080p.mkv",
        "The Bear (2022)/Season 1/The.Bear.S01E01.System.1080p.HULU.WEB-DL.DDP5.1.H.264-NTb.mkv",
    ]
    for rel in new:
        put(root, rel)

    _run(movies, "scan", str(root / "Breaking Bad (2008)" / "Season 2"))  # its folder alone
    assert "1 new files in its shows' folders or named as episodes wait" in capsys.readouterr().err
    _run(movies, "scan")
    assert "3 new files in its shows' folders or named as episodes wait" in capsys.readouterr().err
    assert not db.Movie.select().where(db.Movie.kind == db.MOVIE).exists()

    _run(write_config(tmp_path, simulator, root, "tv"), "scan")  # set back
    M = db.Movie
    assert {m.path for m in M.select().where(M.kind == db.EPISODE)} == {
        str(root / rel) for rel in [*FILES, *new]
    }


def test_config_check_says_the_kind_guards_a_scan_would_hold(tmp_path, simulator, capsys):
    """The guards of a library's kind changed were said at scan time only: `config check`, run
    after the config edit and before the daemon's next scan, said the config was OK. It reads
    the database (read only, SQLite; none is made where there is none) and says what the scan
    would. Both ways: `kind = "tv"` removed from a TV library, set on a movie library."""
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    tv = write_config(tmp_path, simulator, root, "tv", sqlite=True)
    database = tmp_path / "data" / "metarrd.db"
    assert _run(tv, "config", "check") == 0
    assert not database.exists()  # none made
    assert _run(tv, "scan") == 0, capsys.readouterr()
    assert database.is_file()
    capsys.readouterr()
    assert _run(tv, "config", "check") == 0
    assert "kind" not in capsys.readouterr().err  # as scanned: nothing to say

    movies = write_config(tmp_path, simulator, root, "movie", sqlite=True)
    assert _run(movies, "config", "check") == 0  # a warning
    said = capsys.readouterr()
    assert (
        'warning: library "TV Shows".kind: library TV Shows: no kind = "tv" but 3 of its 3 '
        "episodes read as episodes: kept as episodes" in said.err
    )

    films, other = tmp_path / "movies", tmp_path / "m"
    other.mkdir()
    for rel in FILMS:
        put(films, rel)
    _run(write_config(other, simulator, films, "movie", sqlite=True), "scan")
    capsys.readouterr()
    assert _run(write_config(other, simulator, films, "tv", sqlite=True), "config", "check") == 0
    assert 'kind = "tv" but 3 of its 3 films do not read as episodes' in capsys.readouterr().err
