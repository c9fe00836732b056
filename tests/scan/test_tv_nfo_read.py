"""The TV NFOs users already have (`scan/tv_nfo.py`): real `tvshow.nfo` and episode NFOs from
other tools' test suites (tests/nfo/SOURCES.md), and the shapes their writers give them."""

from __future__ import annotations

import codecs
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


def test_a_utf16_tvshow_nfo_keeps_its_uniqueids(tmp_path):
    # Komet/MediaElch test/resources/show/kodi_v18_show_Torchwood.nfo (uniqueid tmdb 424, tvdb
    # 79511; its <episodeguide> is a bare 424, no ids), saved as Windows Notepad's "Unicode"
    text = (NFO / "mediaelch-kodi_v18_show_Torchwood.nfo").read_text(encoding="utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        path = tmp_path / "tvshow.nfo"
        path.write_bytes(bom + text.encode(codec))
        show = read_show_nfo(path)
        assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (424, 79511, "tt0485301"), codec
        assert show.source == {"tmdb": "uniqueid", "tvdb": "uniqueid", "imdb": "uniqueid"}
        assert show.data.fields["title"] == "Torchwood"
