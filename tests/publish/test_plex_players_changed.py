"""A Plex player added to a library, or taken off it, after its movies were published: what
a publish writes for Plex (the poster's copy at `<base>.<ext>`, a folder stack's fanart
beside its first part) changed for each of them, and the next configuration load marks the
ones whose files are not so "Republish?" (`publish.follow_players`). Before, a library a
Plex player was added to showed no poster of ours in Plex until each movie was published
again for another reason."""

from __future__ import annotations

from metarrd import db
from metarrd.publish import follow_players, preview_publish, publish_item
from metarrd.publish.layout import KEEP, LEAVE, REMOVE
from tests.publish.test_plex_poster import BASE, plex
from tests.publish.test_stacks import make_folder_stack


def state(movie: db.Movie) -> str:
    return db.Movie.get_by_id(movie.id).publish_state


def test_a_plex_added_marks_the_published_movies_its_poster_copy_is_missing_from(
    make_rt, build, tmp_path
):
    libraries = {"Movies": tmp_path / "movies"}
    rt = make_rt(libraries=libraries)
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    assert follow_players() == 0 and state(built.movie) == db.PUBLISHED
    unpublished = build("Heat (1995)", runtime=rt)  # waits for review: left as it is

    rt = make_rt(libraries=libraries, player=[plex()])  # the config now has a Plex
    assert follow_players() == 1
    assert state(built.movie) == db.OUTDATED
    assert state(unpublished.movie) == db.UNPUBLISHED
    assert follow_players() == 0  # once per change of players

    result = publish_item(rt, built.reload())
    assert result.written == [str(built.path(f"{BASE}.jpg"))]  # nothing else changed
    assert state(built.movie) == db.PUBLISHED
    assert built.path(f"{BASE}.jpg").read_bytes() == built.path(f"{BASE}-poster.jpg").read_bytes()

    rt = make_rt(libraries=libraries)  # Plex taken off again: our copy is to go
    assert follow_players() == 1 and state(built.movie) == db.OUTDATED
    plan = preview_publish(rt, built.reload())
    assert [a.path.name for a in plan.actions if a.action not in (KEEP, LEAVE)] == [f"{BASE}.jpg"]
    assert plan.by_action(REMOVE)[0].path.name == f"{BASE}.jpg"


def test_a_movie_that_has_what_plex_reads_stays_published(make_rt, build, tmp_path):
    """Published while a Plex showed it, before this check ever ran (an older version): its copy
    is there, nothing to do. One whose poster Plex cannot read gets no copy: nothing to do."""
    libraries = {"Movies": tmp_path / "movies"}
    rt = make_rt(libraries=libraries, player=[plex()])
    done = build(runtime=rt)
    publish_item(rt, done.movie)
    webp = build("Heat (1995)", runtime=rt, art={"poster": ["webp"]})
    publish_item(rt, webp.movie)
    db.Meta.delete().where(db.Meta.key == "plex_libraries").execute()  # never checked yet

    assert follow_players() == 0
    assert state(done.movie) == state(webp.movie) == db.PUBLISHED


def test_another_librarys_plex_marks_nothing_here(make_rt, build, tmp_path):
    libraries = {"Movies": tmp_path / "movies", "Other": tmp_path / "other"}
    rt = make_rt(libraries=libraries)
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    follow_players()

    make_rt(libraries=libraries, player=[plex(["Other"])])
    assert follow_players() == 0
    assert state(built.movie) == db.PUBLISHED


def test_a_folder_stack_is_marked_for_its_fanart_beside_its_first_part(make_rt, build, tmp_path):
    libraries = {"Movies": tmp_path / "movies"}
    rt = make_rt(libraries=libraries)
    built = make_folder_stack(lambda *a, **k: build(*a, runtime=rt, **k))
    publish_item(rt, built.movie)
    follow_players()

    rt = make_rt(libraries=libraries, player=[plex()])
    assert follow_players() == 1
    result = publish_item(rt, built.reload())
    cd1 = built.folder / "CD1"
    assert sorted(result.written) == [str(cd1 / "Heat (1995) cd1-fanart.jpg"),
                                      str(cd1 / "Heat (1995) cd1.jpg")]  # fmt: skip
    make_rt(libraries=libraries, player=[plex()])
    assert follow_players() == 0 and state(built.movie) == db.PUBLISHED


def test_the_web_app_reads_the_change_when_it_starts(make_rt, build, config_factory):
    from metarrd.web import create_app

    rt = make_rt()
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    follow_players()

    app = create_app(config_factory(player=[plex()]), testing=True)
    try:
        assert state(built.movie) == db.OUTDATED
    finally:
        app.extensions["metarrd.runtime"].close()


def test_a_plex_switched_off_keeps_its_poster_copies(make_rt, build, tmp_path):
    """`enabled = false` switches off what metarrd tells the player, not what Plex reads:
    Plex reads the library's files whether told or not, so its poster copies stay (no
    "Republish?" for every movie, none removed), and a new publish writes them as before."""
    libraries = {"Movies": tmp_path / "movies"}
    rt = make_rt(libraries=libraries, player=[plex()])
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    follow_players()
    assert built.path(f"{BASE}.jpg").is_file()

    rt = make_rt(libraries=libraries, player=[{**plex(), "enabled": False}])
    assert follow_players() == 0 and state(built.movie) == db.PUBLISHED
    other = build("Heat (1995)", runtime=rt)
    publish_item(rt, other.movie)
    assert other.path("Heat (1995).jpg").is_file()
    plan = preview_publish(rt, built.reload())
    assert [a.path.name for a in plan.actions if a.action not in (KEEP, LEAVE)] == []
