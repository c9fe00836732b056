"""Movie names read by older rules (`identify.MOVIE_NAME_RULES`): a rescan skips an unchanged
video, so a fix to how names are read never reached a movie already in the library. Its name is
read again (the name only, not the file); a movie not identified yet is identified by its new
reading, one identified keeps its film."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.identify import MOVIE_NAME_RULES
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.scan import stage as scan_stage

from .conftest import put, scanned_with_users_work

REL = "Heat (1995)/Heat (1995).mkv"


@pytest.fixture
def rt(config_factory):
    runtime = open_runtime(config_factory())
    yield runtime
    runtime.close()


def _as_older_rules_read_it(movie_id: int, **columns) -> None:
    """The item as a scan by older rules left it: another reading, no rules recorded."""
    movie = db.Movie.get_by_id(movie_id)
    hints = {k: v for k, v in movie.hints.items() if k != "name_rules"}
    hints.update(name_title="Heat 1995", name_year=None)
    db.Movie.update(hints=hints, **columns).where(db.Movie.id == movie_id).execute()


def test_an_unidentified_movie_read_by_older_rules_is_read_again(rt, tmp_path):
    put(tmp_path / "movies", REL)
    (movie_id,) = scan(rt).new
    assert db.Movie.get_by_id(movie_id).hints["name_rules"] == MOVIE_NAME_RULES
    _as_older_rules_read_it(movie_id, title="Heat 1995", year=None)

    report = scan(rt)

    movie = db.Movie.get_by_id(movie_id)
    assert (movie.hints["name_title"], movie.hints["name_year"]) == ("Heat", 1995)
    assert (movie.title, movie.year) == ("Heat", 1995)  # what the list shows until identified
    assert movie.hints["name_rules"] == MOVIE_NAME_RULES
    assert report.changed == [movie_id] and report.unchanged == 0  # identified after the scan
    assert report.touched == [movie_id]


def test_an_identified_movie_keeps_its_film_and_its_titles(rt, tmp_path):
    """Identified, published, locked: the new reading is recorded (the identify page searches
    by it), and nothing else changes: no identify behind the user's back."""
    item = scanned_with_users_work(rt, tmp_path / "movies", REL, tmdb_id=949)
    db.Movie.update(title="Heat", year=1995, locked_fields=["plot", "title"]).where(
        db.Movie.id == item.id
    ).execute()
    _as_older_rules_read_it(item.id)

    report = scan(rt)

    movie = db.Movie.get_by_id(item.id)
    assert (movie.hints["name_title"], movie.hints["name_year"]) == ("Heat", 1995)
    assert movie.hints["name_rules"] == MOVIE_NAME_RULES
    assert (movie.tmdb_id, movie.identification_status) == (949, db.ENRICHED)
    assert (movie.title, movie.year, movie.publish_state) == ("Heat", 1995, db.PUBLISHED)
    assert report.touched == [] and report.unchanged == 1


def test_a_title_the_user_gave_is_kept(rt, tmp_path):
    """Unidentified, with a title that is not the old reading (the user's NFO, an edit): the new
    reading is searched by, the title stays."""
    put(tmp_path / "movies", REL)
    (movie_id,) = scan(rt).new
    _as_older_rules_read_it(movie_id, title="My Heat", year=2001)

    scan(rt)

    movie = db.Movie.get_by_id(movie_id)
    assert movie.hints["name_title"] == "Heat"
    assert (movie.title, movie.year) == ("My Heat", 2001)


def test_a_name_that_reads_the_same_is_marked_and_its_file_not_read(rt, tmp_path, monkeypatch):
    put(tmp_path / "movies", REL)
    (movie_id,) = scan(rt).new
    movie = db.Movie.get_by_id(movie_id)
    hints = {k: v for k, v in movie.hints.items() if k != "name_rules"}
    db.Movie.update(hints=hints).where(db.Movie.id == movie_id).execute()
    read = []
    monkeypatch.setattr(scan_stage, "read_stream_details", lambda p: read.append(p))

    report = scan(rt)

    assert read == [] and report.unchanged == 1 and report.touched == []
    assert db.Movie.get_by_id(movie_id).hints["name_rules"] == MOVIE_NAME_RULES
    assert scan(rt).unchanged == 1


def test_the_next_scan_identifies_it_by_its_new_reading(tmp_path, simulator):
    """Left unidentified by an older reading (no year: two films named Heat), it is identified
    by the scan after the fix, with nothing touched on disk."""
    from metarrd.cli import main

    from .conftest import write_config

    movies = tmp_path / "movies"
    put(movies, REL)
    config = write_config(tmp_path / "config.toml", tmp_path / "data", {"M": movies}, simulator)
    assert main(["--config", str(config), "scan"]) == 0
    movie = db.Movie.get()
    assert movie.tmdb_id == 949
    hints = {k: v for k, v in movie.hints.items() if k != "name_rules"}
    hints.update(name_title="Heat", name_year=None)  # as an older reading left it
    db.Movie.update(
        hints=hints, title="Heat", year=None, tmdb_id=None, identification_status=db.UNIDENTIFIED
    ).where(db.Movie.id == movie.id).execute()

    assert main(["--config", str(config), "scan"]) == 0

    movie = db.Movie.get_by_id(movie.id)
    assert (movie.tmdb_id, movie.identification_status, movie.year) == (949, db.IDENTIFIED, 1995)


@pytest.mark.parametrize(
    "old, new",
    [
        ("Dune/Dune.mkv", "Dune/Dune (2021).mkv"),  # renamed in its folder
        ("Dune/Dune.mkv", "Dune (2021)/Dune.mkv"),  # renamed with its folder
        ("Movies/Dune.mkv", "Dune (2021)/Dune.mkv"),  # moved into a folder of its own
    ],
)
def test_an_unidentified_movie_renamed_by_the_user_is_identified_by_its_new_name(
    tmp_path, simulator, old, new
):
    """Left unidentified (two films named Dune), the user renames it to say which: the scan
    took it for the same item moved, kept the old title and never searched again."""
    from metarrd.cli import main

    from .conftest import write_config

    movies = tmp_path / "movies"
    put(movies, old)
    config = write_config(tmp_path / "config.toml", tmp_path / "data", {"M": movies}, simulator)
    main(["--config", str(config), "scan"])
    movie = db.Movie.get()
    assert (movie.identification_status, movie.year) == (db.UNIDENTIFIED, None)
    (movies / new).parent.mkdir(exist_ok=True)
    (movies / old).rename(movies / new)

    assert main(["--config", str(config), "scan"]) == 0

    movie = db.Movie.get_by_id(movie.id)
    assert movie.path == str(movies / new)
    assert (movie.tmdb_id, movie.identification_status, movie.year) == (438631, "identified", 2021)


def test_an_identified_movie_renamed_keeps_its_film(rt, tmp_path):
    """Identified (here by the user, against the name), then renamed: still the film the user
    chose, not identified again by its new name."""
    movies = tmp_path / "movies"
    item = scanned_with_users_work(rt, movies, "Dune/Dune.mkv", tmdb_id=841)
    (movies / "Dune").rename(movies / "Dune (2021)")

    report = scan(rt)

    assert report.moved == [item.id] and report.touched == []
    movie = db.Movie.get_by_id(item.id)
    assert (movie.tmdb_id, movie.identification_status) == (841, db.ENRICHED)
    assert movie.hints["name_year"] == 2021


def test_the_rules_are_read_in_the_scans_query_and_a_bad_row_fails_no_query(rt, tmp_path):
    """The scan reads each item's name rules in its query (`db.json_int`: 10,000 rows' hints
    decoded in Python cost a rescan of 10,000 a sixth more); text that is not JSON reads as no
    rules, and fails not the query of every other row."""
    put(tmp_path / "movies", REL)
    put(tmp_path / "movies", "Alien (1979)/Alien (1979).mkv")
    heat, alien = sorted(scan(rt).new)
    # read as the scan reads it: the cursor's own values, no field's conversion of them
    query = db.Movie.select(db.Movie.id, db.json_int(db.Movie.hints, "name_rules"))
    db.database.execute_sql("UPDATE movies SET hints = %s WHERE id = %s"
                            .replace("%s", db.database.param), ("{not json", heat))  # fmt: skip
    rows = dict(db.database.execute(query))
    assert rows[heat] is None and rows[alien] == MOVIE_NAME_RULES  # an integer on either backend
    assert scan_stage._name_rules(rows[alien]) == MOVIE_NAME_RULES
    # a number no integer column holds fails not the query either (PostgreSQL casts the digits)
    db.database.execute_sql("UPDATE movies SET hints = %s WHERE id = %s"
                            .replace("%s", db.database.param),
                            ('{"name_rules": 123456789012345678901}', heat))  # fmt: skip
    rows = dict(db.database.execute(query))
    assert rows[heat] != MOVIE_NAME_RULES and rows[alien] == MOVIE_NAME_RULES
