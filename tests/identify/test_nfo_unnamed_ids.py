"""A number in an NFO that names no site (a legacy `<id>`, a `uniqueid` without a type) is the id
of whichever scraper wrote the file: Kodi up to 17 wrote its scraper's id there. Taken as TMDB's
only when TMDB's film of that number bears a title the NFO or the file's name gives; otherwise
the item is identified by its name, or stays unidentified with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from metarrd import db
from metarrd.identify.match import names_one_of
from tests.identify.conftest import identified

SAMPLE = Path(__file__).resolve().parents[1] / "media" / "h264_aac_2audio_sub.mkv"

# As the AniDB movie scraper of Kodi's XML scraper days writes a movie's details: the anime's
# AniDB id in `<id>` (scudlee-xbmc-addons, metadata.movies.anidb.net.mod/anidb.xml,
# GetDetailsExt: `<id>$$20</id>` with `$$20` the `<anime id="...">` of AniDB's reply), its
# main (romanised) title as `<title>`, the official English one as `<originaltitle>`. Kodi's
# export of such a library (Kodi 17) keeps that `<id>`. The number here is one TMDB knows
# as another film (348: Alien).
ANIDB_NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
    <title>Sen to Chihiro no Kamikakushi</title>
    <originaltitle>Spirited Away</originaltitle>
    <year>2001</year>
    <id>348</id>
</movie>
"""


def test_another_sites_number_in_id_is_not_taken_for_tmdbs(config_factory, simulator, tmp_path):
    """Before, `<id>348</id>` made this Spirited Away "Alien (1979)", identified by its NFO."""
    movie = identified(
        config_factory, simulator, tmp_path, "Spirited Away (2001)/Spirited Away (2001).mkv",
        ANIDB_NFO,
    )  # fmt: skip
    assert (movie.tmdb_id, movie.identification_status) == (129, db.IDENTIFIED)
    assert movie.identified_by == "search"


def test_with_no_name_to_go_by_it_stays_unidentified_and_says_why(
    config_factory, simulator, tmp_path
):
    nfo = ANIDB_NFO.replace("Sen to Chihiro no Kamikakushi", "Kaze no Tani").replace(
        "Spirited Away", "Nausicaa"
    )
    movie = identified(config_factory, simulator, tmp_path, "anime/movie.mkv", nfo)
    assert (movie.tmdb_id, movie.identification_status) == (None, db.UNIDENTIFIED)
    assert "<id> 348" in movie.last_error
    assert "'Alien' (1979)" in movie.last_error and "another site's" in movie.last_error


def test_a_tmdb_number_in_id_is_taken_when_its_film_bears_the_title(
    config_factory, simulator, tmp_path
):
    # Kodi 17's export with its TMDB scraper, and a file name that says nothing
    nfo = "<movie><title>Inception</title><id>27205</id></movie>"
    movie = identified(config_factory, simulator, tmp_path, "films/movie.mkv", nfo)
    assert (movie.tmdb_id, movie.identified_by) == (27205, "nfo")
    # an untyped uniqueid is that same number (Kodi files it under "unknown"); TMDB's
    # alternative title is the NFO's
    nfo = '<movie><title>Der Wüstenplanet</title><uniqueid type="unknown">841</uniqueid></movie>'
    db.Movie.delete().execute()
    shutil.rmtree(tmp_path / "movies")
    movie = identified(config_factory, simulator, tmp_path, "films/movie.mkv", nfo)
    assert (movie.tmdb_id, movie.identified_by) == (841, "nfo")


def test_a_typed_tmdb_id_is_taken_as_it_is(config_factory, simulator, tmp_path):
    # `uniqueid type="tmdb"` says whose it is: no title is asked of it
    nfo = '<movie><title>My own title</title><uniqueid type="tmdb">348</uniqueid></movie>'
    movie = identified(config_factory, simulator, tmp_path, "films/movie.mkv", nfo)
    assert (movie.tmdb_id, movie.identified_by) == (348, "nfo")


def test_names_one_of():
    assert names_one_of(["Léon: The Professional", "Léon"], ["Leon"])
    assert names_one_of(["Inception"], ["inception"])
    assert names_one_of(["Star Wars"], ["Star Wars: Episode IV - A New Hope"])
    assert not names_one_of(["Alien"], ["Aliens"])
    assert not names_one_of(["Star Wars: The Last Jedi"], ["Star Wars: A New Hope"])
    assert not names_one_of(["Alien"], [])
