"""A tvshow.nfo's number that names no site (the legacy `<id>`, a `uniqueid` without a type) is
the id of whichever scraper wrote the file. Read as TheTVDB's (Kodi's TheTVDB scraper, Sonarr,
Jellyfin and Emby wrote it so), except when its episode guide is AniDB's, and taken only when
TMDB's show of that number bears the NFO's or the folder's title, or the guide names the same
TheTVDB id. Otherwise the show is searched by its folder's name, or stays unidentified with
the reason."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.identify import identify_item
from metarrd.scan import scan
from metarrd.scan.tv_nfo import read_show_nfo

from .conftest import put

# As Kodi's AniDB scraper writes a show (scudlee-xbmc-addons, metadata.anidb.net/anidb.xml:
# GetDetailsExt's `<id>$$20</id>`, the anime's AniDB id; its `<episodeguide>` is AniDB's HTTP
# API address with `aid=`), and Kodi 17's export of it. The number is one TMDB's /find knows
# as TheTVDB's id of another show (81189: Breaking Bad).
ANIDB_SHOW = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<tvshow>
    <title>Naruto</title>
    <id>81189</id>
    {uniqueid}
    <episodeguide>
        <url gzip="yes" cache="81189.xml">http://api.anidb.net:9001/httpapi?request=anime&amp;client=xbmcscrap&amp;clientver=1&amp;protover=1&amp;aid=81189</url>
    </episodeguide>
</tvshow>
"""
KODI17_UNIQUEID = '<uniqueid type="unknown" default="true">81189</uniqueid>'


def _show(tv_rt, tmp_path, folder: str, nfo: str) -> db.Movie:
    tv = tmp_path / "tv"
    put(tv, f"{folder}/Season 01/{folder} - S01E01.mkv")
    (tv / folder / "tvshow.nfo").write_text(nfo, encoding="utf-8")
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(tv / folder))
    identify_item(tv_rt, show)
    return db.Movie.get_by_id(show.id)


@pytest.mark.parametrize("uniqueid", ["", KODI17_UNIQUEID])
def test_an_anidb_scrapers_id_is_not_read_as_thetvdbs(tmp_path, uniqueid):
    path = tmp_path / "tvshow.nfo"
    path.write_text(ANIDB_SHOW.format(uniqueid=uniqueid), encoding="utf-8")
    show = read_show_nfo(path)
    assert (show.tvdb_id, show.tmdb_id, show.source) == (None, None, {})
    assert any("AniDB's" in w for w in show.data.warnings)


@pytest.mark.parametrize("uniqueid", ["", KODI17_UNIQUEID])
def test_a_show_scraped_from_anidb_is_not_identified_as_another(tv_rt, tmp_path, uniqueid):
    """Before, `<id>81189</id>` was looked up as TheTVDB's: this Naruto became Breaking Bad."""
    show = _show(tv_rt, tmp_path, "Naruto", ANIDB_SHOW.format(uniqueid=uniqueid))
    assert (show.tmdb_id, show.identified_by) == (46260, "search")


def test_an_unconfirmed_id_is_held_to_the_title(tv_rt, tmp_path):
    """No guide says whose `<id>` is: TMDB's show of that TheTVDB id must bear the NFO's or the
    folder's title. Before, this Naruto became Breaking Bad by its `<id>`."""
    nfo = "<tvshow><title>Naruto</title><id>81189</id></tvshow>"
    show = _show(tv_rt, tmp_path, "Naruto", nfo)
    assert (show.tmdb_id, show.identified_by) == (46260, "search")


def test_an_id_bearing_the_shows_title_is_taken(tv_rt, tmp_path):
    # Kodi's TheTVDB scraper's `<id>` alone (as Kodi 16 exported it, no guide), the right show
    nfo = "<tvshow><title>Breaking Bad</title><id>81189</id></tvshow>"
    show = _show(tv_rt, tmp_path, "BB", nfo)
    assert (show.tmdb_id, show.identified_by) == (1396, "nfo")


def test_without_any_title_to_go_by_it_stays_unidentified_and_says_why(tv_rt, tmp_path):
    nfo = "<tvshow><title>Kaze no Tani</title><id>81189</id></tvshow>"
    show = _show(tv_rt, tmp_path, "Kaze no Tani", nfo)
    assert (show.tmdb_id, show.identification_status) == (None, db.UNIDENTIFIED)
    assert "81189 (read as TheTVDB's)" in show.last_error
    assert "'Breaking Bad' (2008)" in show.last_error
