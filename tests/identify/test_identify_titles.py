"""IDENTIFY searches every title a name gives a film ("Title A AKA Title B"), on the provider
simulator, and still never guesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from tests.identify.conftest import identified

SAMPLE = Path(__file__).resolve().parents[1] / "media" / "h264_aac_2audio_sub.mkv"


@pytest.mark.parametrize(
    "rel",
    [  # a romanisation TMDB does not know, then the English title
        "Sen to Chihiro no Kami Kakushi AKA Spirited Away (2001)/"
        "Sen to Chihiro no Kami Kakushi AKA Spirited Away (2001).mkv",
        "Sen.to.Chihiro.no.Kami.Kakushi.aka.Spirited.Away.2001.1080p.BluRay.x264-GRP.mkv",
        "Sen.to.Chihiro.no.Kami.Kakushi.(aka.Spirited.Away).2001.DVDRip.XviD.avi",
        # the French title, and the English one in parentheses
        "Le Voyage de Chihiro (Spirited Away) (2001)/Le Voyage de Chihiro (Spirited Away) (2001).mkv",
        # the movie's folder under its English title, the file under the original
        "Spirited Away (2001)/Sen to Chihiro no Kami Kakushi (2001).mkv",
    ],
)
def test_when_the_first_title_finds_nothing_the_second_is_searched(
    config_factory, simulator, tmp_path, rel
):
    """Before, only "Sen to Chihiro no Kami Kakushi" was searched: TMDB has nothing of that
    name, and the film stayed unidentified though its English title was in the name."""
    movie = identified(config_factory, simulator, tmp_path, rel)
    assert (movie.tmdb_id, movie.identification_status) == (129, db.IDENTIFIED)
    assert movie.identified_by == "search"


def test_the_second_title_is_held_to_the_same_rules(config_factory, simulator, tmp_path):
    # "Dune" without a year is two films: the user decides, with both offered
    movie = identified(config_factory, simulator, tmp_path, "Arrakis AKA Dune/Arrakis AKA Dune.mkv")
    assert (movie.tmdb_id, movie.identification_status) == (None, db.UNIDENTIFIED)
    assert {841, 438631} <= {c["tmdb_id"] for c in movie.candidates}
    assert "'Arrakis' or 'Dune'" in movie.last_error


def test_a_confident_first_title_is_not_searched_further(config_factory, simulator, tmp_path):
    dune_searches = simulator.count("/3/search/movie?query=Dune&")
    movie = identified(
        config_factory, simulator, tmp_path, "Heat AKA Dune (1995)/Heat AKA Dune (1995).mkv"
    )
    assert movie.tmdb_id == 949
    assert simulator.count("/3/search/movie?query=Dune&") == dune_searches


@pytest.mark.parametrize(
    "rel",
    [
        "movie.mkv",  # a generic name at the library's root: no movie folder to name it
        "0e895c37245186812cb08aab1529cf8ee389dd05.mkv",  # Radarr's HashedReleaseFixture
        "Movies/Vrq6e1Aba3U amCjuEgV5R2QvdsLEGYF3YQAQkw8.mkv",  # Radarr's CrapParserFixture
    ],
)
def test_a_name_that_gives_no_title_is_not_searched_by_its_file_name(
    config_factory, simulator, tmp_path, rel
):
    """The name reading gives no title (a generic or obfuscated name): identify searched TMDB
    for the file name itself ("movie", the hash), the search the name reading is there to
    spare ("finds nothing or something wrong"). It says so instead."""
    before = len(simulator.requests)
    movie = identified(config_factory, simulator, tmp_path, rel)
    assert movie.identification_status == db.UNIDENTIFIED
    assert "no title could be read from the name" in movie.last_error
    assert not [h for h in simulator.requests[before:] if "/search/" in h.path]


def test_a_title_from_the_users_nfo_is_searched_when_the_name_gives_none(
    config_factory, simulator, tmp_path
):
    library = tmp_path / "movies"
    library.mkdir()
    (library / "movie.nfo").write_text("<movie><title>Heat</title><year>1995</year></movie>")
    movie = identified(config_factory, simulator, tmp_path, "movie.mkv")
    assert (movie.tmdb_id, movie.identification_status) == (949, db.IDENTIFIED)


@pytest.mark.parametrize(
    "rel",
    [
        "기생충 Parasite (2019)/기생충 Parasite (2019).mkv",
        "Movies/Parasite 기생충 (2019).mkv",
    ],
)
def test_a_title_in_two_scripts_is_searched_as_each(config_factory, simulator, tmp_path, rel):
    """The original title and the English one side by side, as CJK and Russian libraries name
    films ("霸王别姬 Farewell My Concubine (1993)"): searched as one title, which no film has,
    it stayed unidentified."""
    movie = identified(config_factory, simulator, tmp_path, rel)
    assert (movie.tmdb_id, movie.identification_status) == (496243, db.IDENTIFIED)
