"""The TV NFOs users already have (`scan/tv_nfo.py`): real `tvshow.nfo` and episode NFOs from
other tools' test suites (tests/nfo/SOURCES.md), and the shapes their writers give them."""

from __future__ import annotations

from pathlib import Path

from metarrd.scan.tv_nfo import read_show_nfo

NFO = Path(__file__).resolve().parents[1] / "nfo"


# --- tvshow.nfo ids -----------------------------------------------------------------------------


def test_a_thetvdb_url_alone_is_a_url_nfo():
    # jellyfin/jellyfin tests/Jellyfin.XbmcMetadata.Tests/Test Data/Tvdb.nfo: what Sonarr's
    # "Series Metadata URL" option writes (XbmcMetadata.cs), the URL and nothing else
    show = read_show_nfo(NFO / "jellyfin-Tvdb.nfo")
    assert (show.tvdb_id, show.tmdb_id, show.imdb_id) == (121361, None, None)
    assert show.source == {"tvdb": "URL"}
    assert show.data.kind == "url"


def test_a_themoviedb_tv_url_alone_is_a_url_nfo(tmp_path):
    path = tmp_path / "tvshow.nfo"
    path.write_text("https://www.themoviedb.org/tv/1399-game-of-thrones\n")
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id) == (1399, None)
    assert show.source == {"tmdb": "URL"}


def test_a_url_after_the_xml_comes_after_its_uniqueids(tmp_path):
    path = tmp_path / "tvshow.nfo"
    path.write_text(
        '<tvshow><title>Game of Thrones</title><uniqueid type="tmdb">1399</uniqueid></tvshow>\n'
        "https://www.thetvdb.com/?tab=series&id=121361\n"
    )
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id) == (1399, 121361)
    assert show.source == {"tmdb": "uniqueid", "tvdb": "URL"}
    assert show.data.kind == "combined"
