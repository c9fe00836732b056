"""What the scan keeps of a user's ratings and ids for publish to write back (real NFOs from
other tools' test suites: tests/nfo/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from metarrd.scan.nfo_read import read_nfo

NFO = Path(__file__).resolve().parents[1] / "nfo"


def test_a_uniqueid_of_a_type_we_do_not_read_is_kept_for_publish():
    # Jellyfin's test NFO: its collection id as `uniqueid type="tmdbcol"`
    nfo = read_nfo(NFO / "jellyfin-lilo-and-stitch.nfo")
    assert '<uniqueid type="tmdbcol" default="false">97020</uniqueid>' in nfo.unknown_elements
    # MediaElch's Kodi v20 tvshow.nfo: tvmaze beside the imdb and tvdb ids we read
    show = read_nfo(NFO / "mediaelch-kodi_v20_show_Game_of_Thrones_TvDb_episode_guide.nfo")
    ids = [e for e in show.unknown_elements if e.startswith("<uniqueid")]
    assert ids == ['<uniqueid type="tvmaze">82</uniqueid>']
    assert (show.imdb_id, show.tvdb_id) == ("tt0944947", 121361)


def test_only_a_tmdb_rating_is_the_items_own_the_other_names_stay_the_users():
    # Jellyfin's Justice League: imdb is the default, themoviedb one of four others
    nfo = read_nfo(NFO / "jellyfin-justice-league.nfo")
    assert (nfo.fields["rating"], nfo.fields["votes"]) == (6.2, 7788)  # themoviedb's
    assert len(nfo.fields["ratings"]) == 5
    assert sum(e.startswith("<ratings>") for e in nfo.unknown_elements) == 1
    # MediaElch's show rates on TheTVDB only: that is no TMDB rating
    show = read_nfo(NFO / "mediaelch-kodi_v20_show_Game_of_Thrones_TvDb_episode_guide.nfo")
    assert "rating" not in show.fields and "votes" not in show.fields
    assert [r["name"] for r in show.fields["ratings"]] == ["tvdb"]
