"""A second film kept in the first one's folder, its file named without a year: "The Matrix
(1999)/The Matrix Reloaded.mkv", "Alien (1979)/Aliens.mkv". The folder's title and year speak
(Kodi's "movies are in separate folders" reading; `names.py`), and found the first film, which
the file is not. Now the film found must bear the file's own title too (its title, original or
an alternative title), else the item stays for the user with both films' candidates.

Names as users keep them (Kodi forum and wiki's "Naming video files/Movies" layout, one film a
folder, a sequel added to the folder of the film it follows)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.identify import identify_many
from metarrd.identify.names import parse_hints
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from tests.identify.conftest import identified

SAMPLE = Path(__file__).resolve().parents[1] / "media" / "h264_aac_2audio_sub.mkv"


@pytest.mark.parametrize(
    ("rel", "first"),
    [
        ("The Matrix (1999)/The Matrix Reloaded.mkv", "'The Matrix' (1999)"),
        ("Alien (1979)/Aliens.mkv", "'Alien' (1979)"),
        ("Alien (1979)/Alien Resurrection.mkv", "'Alien' (1979)"),
        ("The Matrix (1999) {tmdb-603}/The Matrix Reloaded.mkv", "'The Matrix' (1999)"),
    ],
)
def test_a_sequel_in_the_first_films_folder_is_not_the_first_film(
    config_factory, simulator, tmp_path, rel, first
):
    """Before, each was identified as the first film, by search (or the folder's id tag)."""
    movie = identified(config_factory, simulator, tmp_path, rel)
    assert (movie.tmdb_id, movie.identification_status) == (None, db.UNIDENTIFIED)
    file_title = Path(rel).stem
    assert f"the folder names {first}, but the file is named {file_title!r}" in movie.last_error
    assert movie.candidates  # the folder's film among them, for the user to choose


@pytest.mark.parametrize(
    ("rel", "tmdb_id"),
    [  # the file names the folder's film: its original title, an alternative one, its edition
        ("Spirited Away (2001)/Sen to Chihiro no Kamikakushi.mkv", 129),
        ("Blade Runner (1982)/Blade Runner Final Cut.mkv", 78),
        ("Léon (1994)/Leon The Professional.mkv", 101),
        ("The Matrix (1999)/The.Matrix.1080p.BluRay.x264-GRP.mkv", 603),
        ("The Matrix (1999)/movie.mkv", 603),
        ("The Matrix (1999)/Matrix.mkv", 603),  # the title without its article
    ],
)
def test_a_file_naming_the_folders_film_is_that_film(
    config_factory, simulator, tmp_path, rel, tmdb_id
):
    movie = identified(config_factory, simulator, tmp_path, rel)
    assert (movie.tmdb_id, movie.identification_status) == (tmdb_id, db.IDENTIFIED)


def test_the_users_nfo_still_decides(config_factory, simulator, tmp_path):
    library = tmp_path / "movies"
    video = library / "Alien (1979)" / "Aliens.mkv"
    video.parent.mkdir(parents=True)
    shutil.copyfile(SAMPLE, video)
    video.with_suffix(".nfo").write_text('<movie><uniqueid type="tmdb">348</uniqueid></movie>')
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        identify_many(rt, [movie.id], threads=1)
        assert db.Movie.get_by_id(movie.id).tmdb_id == 348
    finally:
        rt.close()


def test_the_file_title_is_read_only_where_the_folder_speaks():
    root = Path("/m")
    assert parse_hints(root / "The Matrix (1999)/The Matrix Reloaded.mkv", root).file_title == (
        "The Matrix Reloaded"
    )
    for rel in (
        "The Matrix (1999)/The Matrix (1999).mkv",
        "Alien (1979)/Aliens (1986).mkv",  # the file speaks: its own year
        "Toy Story (1995)/Toy Story 2.mkv",  # a numbered sequel: the file speaks
        "Heat (1995)/heat.mkv",
        "Heat (1995)/Heat CD1.avi",
    ):
        assert parse_hints(root / rel, root).file_title is None, rel
