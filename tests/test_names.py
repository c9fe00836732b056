"""Identification hints from file and folder names."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from metarrd.identify.names import NameHints, parse_hints

LIB = Path("/lib")


def hints(path: str, root: Path | None = LIB) -> NameHints:
    return parse_hints(Path(path), root)


@pytest.mark.parametrize(
    ("path", "tmdb_id", "imdb_id"),
    [
        ("/lib/The Matrix (1999) {tmdb-603}.mkv", 603, None),
        ("/lib/The Matrix (1999) [tmdbid-603].mkv", 603, None),
        ("/lib/The Matrix (1999) {tmdb=603}.mkv", 603, None),
        ("/lib/The Matrix (1999) [tmdbid=603].mkv", 603, None),
        ("/lib/The Matrix (1999) {imdb-tt0133093}.mkv", None, "tt0133093"),
        ("/lib/The Matrix (1999) [imdbid-tt0133093].mkv", None, "tt0133093"),
        ("/lib/The Matrix (1999) {imdb-tt0133093} {tmdb-603}.mkv", 603, "tt0133093"),
        ("/lib/The.Matrix.1999.tt0133093.1080p.mkv", None, "tt0133093"),
        ("/lib/Movie tt12345678 (2020).mkv", None, "tt12345678"),
        ("/lib/The Matrix (1999) {tvdb-123}.mkv", None, None),
        ("/lib/The Matrix (1999) {tmdb-abc}.mkv", None, None),
        ("/lib/Matt1234567 (2020).mkv", None, None),  # not a bare id: glued to letters
    ],
)
def test_id_tags(path, tmdb_id, imdb_id):
    h = hints(path)
    assert (h.tmdb_id, h.imdb_id) == (tmdb_id, imdb_id)
    assert h.title and "tmdb" not in h.title and "tt0" not in h.title


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("The Matrix (1999).mkv", "The Matrix", 1999),
        ("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", "The Matrix", 1999),
        ("2001: A Space Odyssey (1968).mkv", "2001: A Space Odyssey", 1968),
        ("2001.A.Space.Odyssey.1968.1080p.BluRay.mkv", "2001 A Space Odyssey", 1968),
        ("1917 (2019).mkv", "1917", 2019),
        ("1917.2019.1080p.BluRay.x264-GRP.mkv", "1917", 2019),
        ("1917.mkv", "1917", None),
        ("Blade Runner 2049 (2017).mkv", "Blade Runner 2049", 2017),
        ("Blade.Runner.2049.2017.2160p.UHD.mkv", "Blade Runner 2049", 2017),
        ("Mission: Impossible - Fallout (2018).mkv", "Mission: Impossible - Fallout", 2018),
        ("Mission Impossible - Fallout 2018 1080p.mkv", "Mission Impossible - Fallout", 2018),
        ("Harry Potter and the Deathly Hallows Part 2 (2011).mkv",
         "Harry Potter and the Deathly Hallows Part 2", 2011),
        ("Harry.Potter.and.the.Deathly.Hallows.Part.2.2011.1080p.mkv",
         "Harry Potter and the Deathly Hallows Part 2", 2011),
        ("Kill.Bill.Vol.1.2003.1080p.mkv", "Kill Bill Vol. 1", 2003),
        ("Matrix, The (1999).mkv", "The Matrix", 1999),
        ("Dune.mkv", "Dune", None),
        ("Movie (1899).mkv", "Movie", None),  # years 1900-2099 only
    ],
)  # fmt: skip
def test_title_and_year(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year, h.source) == (title, year, "file")


@pytest.mark.parametrize(
    "name",
    [
        "The Matrix (1999) - cd1.avi",
        "The Matrix (1999) part2.avi",
        "The.Matrix.1999.CD2.avi",
        "The Matrix cd1.avi",
        "The Matrix - Disc 2.avi",
    ],
)
def test_stack_markers_are_not_in_the_title(name):
    assert hints(f"/lib/{name}").title == "The Matrix"


def test_edition_tag_is_removed_from_the_title():
    h = hints("/lib/Alien (1979)/Alien (1979) {edition-Director's Cut} {tmdb-348}.mkv")
    assert (h.title, h.year, h.edition, h.tmdb_id) == ("Alien", 1979, "Director's Cut", 348)


def test_edition_guessed_from_a_scene_name():
    assert hints("/lib/Alien.1979.Directors.Cut.1080p.BluRay.mkv").edition == "Director's Cut"


def test_per_movie_folder_ids_win_over_the_files():
    h = hints("/lib/The Matrix (1999) {tmdb-603}/The Matrix (1999) {tmdb-604}.mkv")
    assert h.tmdb_id == 603


def test_ids_from_folder_when_the_file_has_none():
    h = hints("/lib/The Matrix (1999) [imdbid-tt0133093]/The.Matrix.1999.1080p.mkv")
    assert (h.imdb_id, h.title, h.year) == ("tt0133093", "The Matrix", 1999)


def test_scene_folder_names_an_obfuscated_file():
    h = hints("/lib/The.Matrix.1999.1080p.BluRay.x264-GRP/grp-tm1080.mkv")
    assert (h.title, h.year, h.source) == ("The Matrix", 1999, "folder")


@pytest.mark.parametrize("stem", ["movie", "Movie", "video", "film"])
def test_generic_file_names_use_the_folder(stem):
    h = hints(f"/lib/Dune (1984)/{stem}.mkv")
    assert (h.title, h.year, h.source) == ("Dune", 1984, "folder")


def test_folder_gives_the_year_the_file_lacks():
    assert hints("/lib/1917 (2019)/1917.mkv") == NameHints("1917", 2019, None, None, None, "folder")


def test_file_with_title_and_year_wins_over_its_folder():
    h = hints("/lib/Dune/Dune (2021).mkv")
    assert (h.title, h.year, h.source) == ("Dune", 2021, "file")


def test_shared_folder_is_not_the_movie():
    h = hints("/lib/Star Wars Collection {tmdb-10}/Star Wars (1977).mkv")
    assert (h.title, h.year, h.tmdb_id) == ("Star Wars", 1977, None)


def test_never_above_the_library_root():
    assert hints("/lib/The Matrix (1999) {tmdb-603}/Matrix.mkv", Path("/lib")).tmdb_id == 603
    h = hints("/The Matrix (1999) {tmdb-603}/Matrix.mkv", Path("/The Matrix (1999) {tmdb-603}"))
    assert (h.title, h.year, h.tmdb_id, h.source) == ("Matrix", None, None, "file")
    h = hints("/lib/movie.mkv")
    assert h == NameHints(None, None, None, None, None, "none")


def test_without_a_library_root_the_parent_folder_counts():
    assert hints("/x/The Matrix (1999)/movie.mkv", None).title == "The Matrix"
    assert hints("movie.mkv", None).title is None


@pytest.mark.parametrize(
    "path",
    [
        "/lib/The Matrix (1999)/VIDEO_TS/VIDEO_TS.IFO",
        "/lib/The Matrix (1999)/VIDEO_TS",
        "/lib/The Matrix (1999)/BDMV/index.bdmv",
        "/lib/The Matrix (1999)/BDMV/STREAM/00001.m2ts",
        "/lib/The Matrix (1999)/CD1/matrix.avi",
    ],
)
def test_disc_structures_and_cd_folders_use_the_movie_folder(path):
    h = hints(path)
    assert (h.title, h.year, h.source) == ("The Matrix", 1999, "folder")


def test_disc_structure_at_the_library_root_has_no_name():
    assert hints("/lib/VIDEO_TS/VIDEO_TS.IFO").title is None


def test_unicode_is_returned_nfc():
    decomposed = unicodedata.normalize("NFD", "/lib/Amélie (2001)/Amélie (2001).mkv")
    h = hints(decomposed)
    assert h.title == unicodedata.normalize("NFC", "Amélie")
    assert unicodedata.is_normalized("NFC", h.title)
    assert hints("/lib/千と千尋の神隠し (2001).mkv").title == "千と千尋の神隠し"
