"""The TV NFOs users already have (`scan/tv_nfo.py`): real `tvshow.nfo` and episode NFOs from
other tools' test suites (tests/nfo/SOURCES.md), and the shapes their writers give them."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from metarrd.scan.nfo_read import MAX_NFO_BYTES, NfoError
from metarrd.scan.tv_nfo import read_episode_nfo, read_season_nfo, read_show_nfo

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


@pytest.mark.parametrize(
    "url",
    [
        # Kodi's TheTVDB scrapers (xbmc/metadata.tvdb.com.python and thetvdb/metadata.tvshows.
        # thetvdb.com.v4.python, resources/lib/nfo.py) read a show's id from a tvshow.nfo's
        # `thetvdb\.com/.*?series/(\d+)` (TheTVDB's id link, `dereferrer/series/<id>`) and
        # `thetvdb\.com[\w=&\?/]+id=(\d+)` (any page of the old site naming the show's id)
        "https://thetvdb.com/dereferrer/series/79511",
        "http://thetvdb.com/?tab=seasonall&id=79511&lid=7",
        # the old site's season and episode pages: the show is `seriesid` (`id` the episode's)
        "https://www.thetvdb.com/?tab=season&seriesid=79511&seasonid=30389&lid=7",
        "https://www.thetvdb.com/?tab=episode&seriesid=79511&seasonid=30389&id=367016&lid=7",
        # Kodi's TheTVDB XML scraper before them (metadata.tvdb.com, NfoUrl):
        # `thetvdb.com/(?:index\.php)?\?tab=series&amp;id=([0-9]+)`
        "http://thetvdb.com/index.php?tab=series&id=79511&lid=7",
    ],
)
def test_thetvdb_urls_kodis_scrapers_read_name_the_show(tmp_path, url):
    """A tvshow.nfo of one of these URLs was "neither XML nor a TMDB/IMDb URL": an error, the
    show identified by its folder name only, where Kodi's scraper takes the show it names."""
    path = tmp_path / "tvshow.nfo"
    path.write_text(url + "\n")
    show = read_show_nfo(path)
    assert (show.tvdb_id, show.tmdb_id, show.imdb_id) == (79511, None, None)
    assert show.source == {"tvdb": "URL"} and show.data.kind == "url"


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


# Kodi 17/18's TMDB TV scraper (metadata.tvshows.themoviedb.org) wrote its API URL as the
# episode guide, and the TMDB id as `<id>`: jellyfin/jellyfin tests/Jellyfin.XbmcMetadata.Tests/
# Test Data/American Gods.nfo, trimmed to these elements
AMERICAN_GODS = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<tvshow>
    <title>American Gods</title>
    <mpaa>Australia:MA</mpaa>
    <playcount>0</playcount>
    <lastplayed></lastplayed>
    <episodeguide>
        <url cache="tmdb-46639-en.json">http://api.themoviedb.org/3/tv/46639?api_key=6a5be4999abf74eba1f9a8311294c267&amp;language=en</url>
    </episodeguide>
    <id>46639</id>
{uniqueids}    <genre>Drama</genre>
    <premiered>2017-04-30</premiered>
</tvshow>
"""


@pytest.mark.parametrize("uniqueids", [False, True])
def test_the_old_tmdb_scrapers_episode_guide_gives_the_tmdb_id(tmp_path, uniqueids):
    """Its `<id>` is then the TMDB id, not TheTVDB's (the TVDB scraper's `<id>`)."""
    ids = (
        '    <uniqueid type="tmdb" default="true">46639</uniqueid>\n'
        '    <uniqueid type="tvdb">253573</uniqueid>\n'
    )
    path = tmp_path / "tvshow.nfo"
    path.write_text(AMERICAN_GODS.replace("{uniqueids}", ids if uniqueids else ""))
    show = read_show_nfo(path)
    assert show.tmdb_id == 46639
    assert show.tvdb_id == (253573 if uniqueids else None)


@pytest.mark.parametrize("tmdb_guide", [False, True])
@pytest.mark.parametrize("uniqueid", ['<uniqueid type="unknown" default="true">{}</uniqueid>',
                                      "<uniqueid>{}</uniqueid>"])  # fmt: skip
def test_an_untyped_show_uniqueid_is_read_as_kodi_17s_id(tmp_path, uniqueid, tmdb_guide):
    """Kodi files an id without a type under "unknown" and exports it so (a Kodi 17 library
    carried into Kodi 18: `<id>` and the same id as `type="unknown"`). It is the old scraper's
    id, as `<id>` is: TheTVDB's, TMDB's when the guide is the TMDB scraper's."""
    guide = (
        "<episodeguide><url>http://api.themoviedb.org/3/tv/46639?language=en</url></episodeguide>"
        if tmdb_guide
        else ""
    )
    number = 46639 if tmdb_guide else 253573
    path = tmp_path / "tvshow.nfo"
    path.write_text(
        f"<tvshow><title>American Gods</title><id>{number}</id>"
        f"{uniqueid.format(number)}{guide}</tvshow>"
    )
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id) == ((46639, None) if tmdb_guide else (None, 253573))
    assert show.data.unknown_elements == ([guide] if guide else [])  # not written back


def test_an_untyped_episode_uniqueid_is_thetvdbs(tmp_path):
    """Kodi 14's export (tinyMediaManager's kodi14.2.nfo): `<uniqueid>250800</uniqueid>` is
    the TVDB scraper's episode id (its thumb is thetvdb.com's), not TMDB's; Kodi 18+ exports the
    same id as `type="unknown"`."""
    first, second = read_episode_nfo(PILOT)
    assert (first.data.tvdb_id, first.data.tmdb_id) == (250800, None)
    path = tmp_path / "S01E01.nfo"
    path.write_text(
        PILOT.read_text("utf-8").replace(
            "<uniqueid>250800</uniqueid>",
            '<uniqueid type="unknown" default="true">250800</uniqueid>',
        )
    )
    first, _ = read_episode_nfo(path)
    assert (first.data.tvdb_id, first.data.tmdb_id) == (250800, None)
    assert not [e for e in first.data.unknown_elements if "uniqueid" in e]


def test_jellyfins_tvshow_nfo_names_its_thetvdb_id_in_id_without_a_warning(tmp_path):
    """Jellyfin's and Emby's SeriesNfoSaver (jellyfin/jellyfin MediaBrowser.XbmcMetadata/Savers/
    SeriesNfoSaver.cs @ c3ed1407) write no uniqueid: the TheTVDB id as `<id>` (and `<tvdbid>`)
    beside `<tmdbid>` and `<imdb_id>`. Kodi files `<id>` with an untyped uniqueid, the scraper's
    id: TheTVDB's in a tvshow.nfo. Read as TMDB's, it "disagreed" with `<tmdbid>` and every
    scan of the show warned that the NFO's ids disagree."""
    show = read_show_nfo(NFO / "jellyfin-tvshow.nfo")
    assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (424, 79511, "tt0485301")
    assert show.data.warnings == []
    # a show Jellyfin knows no TheTVDB id of has no `<id>`; one with `<id>` alone is TheTVDB's
    path = tmp_path / "tvshow.nfo"
    text = (NFO / "jellyfin-tvshow.nfo").read_text("utf-8")
    path.write_text(text.replace("<tvdbid>79511</tvdbid>", ""), "utf-8")
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (424, 79511, "tt0485301")
    assert show.data.warnings == []


def test_kodi_16s_empty_uniqueid_leaves_the_legacy_id_read(tmp_path):
    """Kodi 16's export (tinyMediaManager src/test/resources/tvshow_nfo/kodi16.1.nfo, these
    lines of it) writes an empty `<uniqueid></uniqueid>` beside `<id>77585</id>`: no uniqueid
    names an id, so `<id>` (TheTVDB's) is the show's, as it is without one."""
    path = tmp_path / "tvshow.nfo"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<tvshow>\n'
        "    <title>21 Jump Street</title>\n    <showtitle>21 Jump Street</showtitle>\n"
        "    <rating>7.400000</rating>\n    <uniqueid></uniqueid>\n    <id>77585</id>\n"
        "    <genre>Action</genre>\n</tvshow>\n"
    )
    show = read_show_nfo(path)
    assert (show.tvdb_id, show.tmdb_id, show.source) == (77585, None, {"tvdb": "<id>"})


# Komet/MediaElch test/resources/show/kodi_v18_show_Game_of_Thrones_TvDb_episode_guide.nfo:
# the episode guide Kodi 18's TheTVDB scraper wrote (tMM and TVRename write it so too)
TVDB_LOGIN_GUIDE = (
    '<episodeguide>\n        <url post="yes" cache="auth.json">https://api.thetvdb.com/login?'
    "{&quot;apikey&quot;:&quot;439DFEBA9D3059C6&quot;,&quot;id&quot;:121361}|Content-Type="
    "application/json</url>\n    </episodeguide>"
)


@pytest.mark.parametrize(
    "guide",
    [TVDB_LOGIN_GUIDE, TVDB_LOGIN_GUIDE.replace("&quot;", "'").replace(":121361", ":'121361'")],
)
def test_kodi_18s_thetvdb_episode_guide_gives_the_tvdb_id(tmp_path, guide):
    path = tmp_path / "tvshow.nfo"
    path.write_text(f"<tvshow><title>Game of Thrones</title>{guide}</tvshow>")
    show = read_show_nfo(path)
    assert (show.tvdb_id, show.source) == (121361, {"tvdb": "episodeguide"})


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


# --- episode NFOs that are only a URL ---------------------------------------------------------


@pytest.mark.parametrize(
    "url, ids, numbers",
    [
        ("https://www.themoviedb.org/tv/1399/season/1/episode/2", {"tmdb": 1399}, (1, 2)),
        ("https://www.themoviedb.org/tv/1399-game-of-thrones/season/1/episode/2\r\n",
         {"tmdb": 1399}, (1, 2)),
        ("https://thetvdb.com/?tab=series&id=121361", {"tvdb": 121361}, (None, None)),
        # the old site's episode page: its show is `seriesid`, `id` is the episode's
        ("https://www.thetvdb.com/?tab=episode&seriesid=121361&seasonid=364731&id=3254641"
         "&lid=7", {"tvdb": 121361}, (None, None)),
        # an IMDb URL in an episode NFO is the episode's own title: no show id
        ("https://www.imdb.com/title/tt1668746/", None, None),
    ],
)  # fmt: skip
def test_an_episode_nfo_that_is_only_a_url_names_its_show(tmp_path, url, ids, numbers):
    path = tmp_path / "Game of Thrones - S01E02.nfo"
    path.write_text(url)
    [episode] = read_episode_nfo(path)
    if ids is None:  # read as a URL NFO of that title
        assert (episode.show_ids, episode.data.imdb_id) == ({}, "tt1668746")
        return
    assert episode.show_ids == ids and (episode.season, episode.episode) == numbers
    assert episode.data.kind == "url"
    assert (episode.data.tmdb_id, episode.data.tvdb_id) == (None, None)  # not the episode's
    [warning] = episode.data.warnings
    assert "holds only a URL" in warning


def test_an_episode_nfo_that_is_another_scrapers_url_is_a_warning(tmp_path):
    """TheTVDB's episode page names the episode by TheTVDB's id, not its show: no id metarrd
    reads, but still a URL NFO (the kind Kodi's TheTVDB scraper takes), so a warning rather
    than the episode's scan error; text that is neither XML nor a URL stays an error."""
    path = tmp_path / "Game of Thrones - S01E02.nfo"
    path.write_text("https://thetvdb.com/series/game-of-thrones/episodes/3254641\n")
    [episode] = read_episode_nfo(path)
    assert (episode.show_ids, episode.data.kind, episode.season) == ({}, "url", None)
    [warning] = episode.data.warnings
    assert "names no show" in warning
    path.write_text("not a URL, not XML")
    with pytest.raises(NfoError):
        read_episode_nfo(path)


# --- multi-episode NFOs -------------------------------------------------------------------------

# Komet/MediaElch test/resources/show/kodi_v18_episode_American_Dad_S02E03-S02E04.nfo: one XML
# declaration, then an <episodes> root around two <episodedetails> blocks, S02E04 first
AMERICAN_DAD = NFO / "mediaelch-kodi_v18_episode_American_Dad_S02E03-S02E04.nfo"
AMERICAN_DAD_EPISODES = [(2, 4, 306170, "Con Heir"), (2, 3, 306167, "All About Steve")]


def _summary(path: Path) -> list[tuple]:
    return [
        (e.season, e.episode, e.data.tvdb_id, e.data.fields.get("title"))
        for e in read_episode_nfo(path)
    ]


# tinyMediaManager src/test/resources/tvshowepisode_nfo/kodi14.2.nfo: two blocks back to back
# after one declaration, no root around them (Kodi's own layout)
PILOT = NFO / "tmm-tvshowepisode-kodi14.2.nfo"
PILOT_EPISODES = [(1, 1, "Pilot (1)"), (1, 2, "Pilot (2)")]


def _numbers_and_titles(path: Path) -> list[tuple]:
    return [(e.season, e.episode, e.data.fields["title"]) for e in read_episode_nfo(path)]


def test_back_to_back_blocks():
    assert _numbers_and_titles(PILOT) == PILOT_EPISODES


def test_blocks_inside_a_wrapper_root():
    assert _summary(AMERICAN_DAD) == AMERICAN_DAD_EPISODES


@pytest.mark.parametrize("root", ["kodimultiepisode", "xbmcmultiepisode"])
def test_blocks_inside_medusas_and_sickbeards_root(tmp_path, root):
    # Medusa (pymedusa/Medusa medusa/metadata/kodi_12plus.py) names the root around the blocks
    # <kodimultiepisode>, SickBeard/SickRage (metadata/xbmc) <xbmcmultiepisode>; Kodi reads
    # each block from its <episodedetails on (NfoFile.cpp), whatever is around it
    text = AMERICAN_DAD.read_text(encoding="utf-8").replace("episodes>", f"{root}>")
    path = tmp_path / "American Dad S02E03-E04.nfo"
    path.write_text(text, encoding="utf-8")
    assert _summary(path) == AMERICAN_DAD_EPISODES


def test_a_windows_1252_multi_episode_nfo_is_read_with_a_warning(tmp_path):
    text = PILOT.read_text(encoding="utf-8").replace("Pilot (1)", "Pilot – Café")
    path = tmp_path / "S01E01E02.nfo"
    path.write_bytes(text.encode("cp1252"))
    episodes = read_episode_nfo(path)
    assert [e.data.fields["title"] for e in episodes] == ["Pilot – Café", "Pilot (2)"]
    for episode in episodes:
        assert len(episode.data.warnings) == 1
        assert episode.data.warnings[0].endswith("read as cp1252")


@pytest.mark.parametrize(
    "bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_a_utf16_multi_episode_nfo(tmp_path, bom, codec):
    text = PILOT.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "S01E01E02.nfo"
    path.write_bytes(bom + text.encode(codec))
    assert _numbers_and_titles(path) == PILOT_EPISODES


def test_each_block_has_its_own_air_date_and_a_bad_one_is_that_episodes_warning(tmp_path):
    """MediaElch wrote each block of this S02E03-S02E04 NFO with its own `<aired>` (E4's first),
    which Kodi reads per block as it reads `<premiered>` (CVideoInfoTag::ParseNative:
    `XMLUtils::GetDate(movie, "aired", m_firstAired)`). Only the first block's reached the
    scan's caller, and none was checked. A date that is none (a hand edit) is a warning naming
    that block's episode, the other block keeps its own; a day-first date is read as Kodi does."""
    assert [(e.episode, e.aired) for e in read_episode_nfo(AMERICAN_DAD)] == [
        (4, "2005-10-02"), (3, "2005-09-25")]  # fmt: skip
    text = AMERICAN_DAD.read_text(encoding="utf-8")
    path = tmp_path / "American Dad! - S02E03-E04.nfo"
    path.write_text(text.replace("<aired>2005-10-02<", "<aired>2005-13-02<").replace(
        "<aired>2005-09-25<", "<aired>25.09.2005<"), encoding="utf-8")  # fmt: skip
    e4, e3 = read_episode_nfo(path)
    assert (e4.aired, e3.aired) == (None, "2005-09-25")
    assert e4.data.warnings == ["S02E04: <aired> '2005-13-02' is not a date; ignored"]
    assert e3.data.warnings == ["S02E03: <aired> '25.09.2005' read as 2005-09-25"]
    assert "<aired>2005-13-02</aired>" in e4.data.unknown_elements  # the user's, still kept


def test_sonarrs_episode_nfo_keeps_its_own_id_and_names_no_thetvdb_episode():
    """An episode NFO as Sonarr's Kodi metadata wrote it before it added the episode's TheTVDB
    uniqueid (tests/nfo/jellyfin-Sonarr-Thumb.nfo): its only id, `type="sonarr"` and default,
    is Sonarr's own database id, no episode's: kept for publish, read as no provider's id (else
    identify would join the file by it), the file's numbers and text read."""
    [block] = read_episode_nfo(NFO / "jellyfin-Sonarr-Thumb.nfo")
    assert (block.season, block.episode) == (1, 8)
    assert (block.data.tmdb_id, block.data.tvdb_id, block.data.imdb_id) == (None, None, None)
    assert block.data.fields["title"].startswith("Sometimes a Genius's Every Action")
    assert '<uniqueid type="sonarr" default="true">4289</uniqueid>' in block.data.unknown_elements
    assert any(e.startswith("<fileinfo>") for e in block.data.unknown_elements)
    assert block.data.warnings == []


def test_a_broken_block_costs_only_its_own_episode(tmp_path):
    """Kodi reads each block from its `<episodedetails` on, on its own (NfoFile.cpp): a typo in
    one block of a hand-edited multi-episode NFO loses that episode's values only. Here the
    whole file was an error, and the first episode's title, plot and play state were not read
    (so not kept on publish either)."""
    text = PILOT.read_text(encoding="utf-8").replace(
        "<title>Pilot (2)</title>", "<title>Pilot (2)</titel>"
    )
    path = tmp_path / "S01E01E02.nfo"
    path.write_text(text, encoding="utf-8")
    [first] = read_episode_nfo(path)
    assert (first.season, first.episode, first.data.fields["title"]) == (1, 1, "Pilot (1)")
    [warning] = first.data.warnings
    assert warning.startswith("<episodedetails> block 2 of 2 (S01E02) ignored: is not well-formed")
    path.write_text(text.replace("<title>Pilot (1)</title>", "<title>Pilot (1)</titel>"))
    with pytest.raises(NfoError, match="not well-formed"):  # nothing left to read
        read_episode_nfo(path)


def test_a_multi_episode_nfo_declaring_entities_is_refused(tmp_path):
    path = tmp_path / "x.nfo"
    path.write_text(
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<kodimultiepisode>'
        "<episodedetails><title>&xxe;</title></episodedetails>"
        "<episodedetails><title>b</title></episodedetails></kodimultiepisode>"
    )
    with pytest.raises(NfoError, match="declares XML entities"):
        read_episode_nfo(path)


def test_an_nfo_swapped_for_a_fifo_after_a_check_does_not_block_the_scan(tmp_path, monkeypatch):
    """A check (stat) then a plain open(): a FIFO put there in between blocked the reading
    thread for good. The NFO is opened only as a regular file, whatever a check said."""
    import os
    import threading

    fifo = tmp_path / "tvshow.nfo"
    os.mkfifo(fifo)
    regular = os.stat(__file__)  # what a check made just before the swap saw
    monkeypatch.setattr(os, "stat", lambda *a, **k: regular)
    outcome = []

    def read():
        try:
            read_show_nfo(fifo)
        except NfoError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock it: a writer that opens and closes the FIFO
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert outcome and "not a regular file" in outcome[0]


def test_named_seasons_are_read_as_kodi_reads_them(tmp_path):
    """`<namedseason number="N">` (Kodi 16+, MediaElch's Torchwood: tests/nfo/SOURCES.md): the
    season names, by number; as Kodi's reader (a std::map insert), the first of a number wins, and
    one without a name or a number is no name."""
    show = read_show_nfo(NFO / "mediaelch-kodi_v18_show_Torchwood.nfo")
    assert show.named_seasons == {3: "Children of Earth", 4: "Miracle Day"}
    nfo = tmp_path / "tvshow.nfo"
    nfo.write_text(
        '<tvshow><title>x</title><namedseason number=" 0 ">Extras</namedseason>'
        '<namedseason number="2">Two</namedseason><namedseason number="2">Again</namedseason>'
        '<namedseason number="3"></namedseason><namedseason>None</namedseason>'
        '<namedseason number="x">No</namedseason><namedseason number="-1">No</namedseason>'
        "</tvshow>",
        "utf-8",
    )
    assert read_show_nfo(nfo).named_seasons == {0: "Extras", 2: "Two"}


def test_an_episodes_set_is_kept_once(tmp_path):
    """A block's `<set>` is kept for publish once: as written when it has attributes
    (Jellyfin's `tmdbcolid`), else as read."""
    nfo = tmp_path / "S01E01.nfo"
    nfo.write_text(
        '<episodedetails><title>x</title><set tmdbcolid="1"><name>A</name></set>'
        "<mpaa>TV-14</mpaa></episodedetails>",
        "utf-8",
    )
    [block] = read_episode_nfo(nfo)
    kept = [e for e in block.data.unknown_elements if e.startswith("<set")]
    assert kept == ['<set tmdbcolid="1"><name>A</name></set>']
    assert "<mpaa>TV-14</mpaa>" in block.data.unknown_elements


# --- season.nfo ----------------------------------------------------------------------------------


def test_jellyfins_season_nfo_is_read():
    """Jellyfin's own test season.nfo (SeasonNfoSaver: root `<season>`, tests/nfo/SOURCES.md):
    its number, its default title; an empty `<plot />` is no plot, the show's `<tvdbid>` and the
    cast are not the season's."""
    season = read_season_nfo(NFO / "jellyfin-Season-01.nfo")
    assert (season.number, season.title, season.plot) == (1, "Season 1", None)
    assert not any("root element" in w for w in season.data.warnings)


def test_a_season_nfo_as_tinymediamanager_and_jellyfin_write_it(tmp_path):
    """tinyMediaManager's writer (TvShowSeasonGenericXmlConnector: seasonnumber, title,
    showtitle, sorttitle, year, plot, the show's ids, premiered, lockdata, its closing comment)
    with Windows line ends; Jellyfin 10.9+ also reads `<seasonname>` for the name."""
    nfo = tmp_path / "season.nfo"
    nfo.write_bytes(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b"<!--created on 2024-03-02 10:11:12 - tinyMediaManager 5.0.2-->\r\n<season>\r\n"
        b"  <seasonnumber>3</seasonnumber>\r\n  <title>Children of Earth</title>\r\n"
        b"  <showtitle>Torchwood</showtitle>\r\n  <sorttitle>Children of Earth</sorttitle>\r\n"
        b"  <year/>\r\n  <plot>Five days that changed the world &amp; Jack.</plot>\r\n"
        b"  <tvdbid>79511</tvdbid>\r\n  <imdbid>tt0485301</imdbid>\r\n  <tmdbid>424</tmdbid>\r\n"
        b'  <uniqueid type="tmdb">424</uniqueid>\r\n  <premiered>2009-07-06</premiered>\r\n'
        b"  <lockdata>true</lockdata>\r\n  <!--tinyMediaManager meta data-->\r\n</season>\r\n"
    )
    season = read_season_nfo(nfo)
    assert (season.number, season.title) == (3, "Children of Earth")
    assert season.plot == "Five days that changed the world & Jack."
    nfo.write_text(
        "<season><seasonname>Miracle Day</seasonname><seasonnumber> 4 </seasonnumber></season>"
    )
    assert (read_season_nfo(nfo).number, read_season_nfo(nfo).title) == (4, "Miracle Day")


def test_a_hostile_or_odd_season_nfo_is_refused(tmp_path):
    """The season.nfo reader is the hardened one of every NFO: entities, a file over the size
    cap and a FIFO are refused with the reason."""
    import os

    nfo = tmp_path / "season.nfo"
    nfo.write_text(
        '<?xml version="1.0"?><!DOCTYPE season [<!ENTITY a "aaaaaaaaaa">]>'
        "<season><title>&a;&a;</title></season>"
    )
    with pytest.raises(NfoError, match="entit"):
        read_season_nfo(nfo)
    nfo.write_bytes(b"<season><title>x</title>" + b" " * MAX_NFO_BYTES + b"</season>")
    with pytest.raises(NfoError, match="larger than"):
        read_season_nfo(nfo)
    nfo.unlink()
    os.mkfifo(nfo)
    with pytest.raises(NfoError, match="not a regular file"):
        read_season_nfo(nfo)


# --- hostile sizes ------------------------------------------------------------------------------


def test_a_tvshow_nfo_made_to_stall_the_id_search_is_read_in_one_pass(tmp_path):
    """A tvshow.nfo under the size limit (4.6 MB) whose comment repeats `<uniqueid ` and
    `imdb.`, and whose episode guide repeats Kodi 18's `api.thetvdb.com/login?{` with no `}`:
    the id patterns (`<uniqueid(\\s[^>]*)?>`, `imdb\\.[a-z.]+/title/`, `\\{[^}]*?"id"`) had no
    bound, so each of the 100,000s of starts scanned to the end of the text: hours, stopping
    the scan of every show behind it. The real ids are read; a URL NFO of `imdb.` alike."""
    path = tmp_path / "tvshow.nfo"
    body = (
        "<tvshow><title>Breaking Bad</title>"
        + "<!-- "
        + "<uniqueid " * 150_000
        + "imdb." * 300_000
        + "-->"
        + "<episodeguide>"
        + "api.thetvdb.com/login?{" * 60_000
        + "</episodeguide>"
        + '<uniqueid type="tmdb">1396</uniqueid></tvshow>'
    )
    path.write_text(body)
    assert path.stat().st_size < MAX_NFO_BYTES
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (1396, None, None)

    url = tmp_path / "S01E01.nfo"
    url.write_text("https://www.themoviedb.org/tv/1396 " + "imdb." * 900_000)
    assert url.stat().st_size < MAX_NFO_BYTES
    [episode] = read_episode_nfo(url)
    assert episode.show_ids == {"tmdb": 1396}


def test_an_episode_nfo_of_300000_blocks_is_read_up_to_its_cap(tmp_path):
    """A 5 MB episode NFO of 300,000 `<episodedetails/>` blocks: every block was read and kept
    in the item's hints (each its ids, values and elements): a JSON of tens of MB on one item,
    loaded with it everywhere. A file holds one block per episode (Kodi reads at most 50 of one
    name): the first 100 are read, with a warning."""
    path = tmp_path / "S01E01.nfo"
    path.write_text(
        "<episodedetails><title>Pilot</title><season>1</season><episode>1</episode>"
        "</episodedetails>" + "<episodedetails/>" * 290_000
    )
    assert path.stat().st_size < MAX_NFO_BYTES
    blocks = read_episode_nfo(path)
    assert len(blocks) == 100
    assert (blocks[0].season, blocks[0].episode, blocks[0].data.fields["title"]) == (1, 1, "Pilot")
    assert "holds 290,001 <episodedetails> blocks" in blocks[0].data.warnings[0]
    assert blocks[-1].data.fields == {}  # read to its end, not into the next block


def test_an_episode_guide_of_json_nested_100000_deep_is_no_guide(tmp_path):
    """Kodi 19.5+'s episode guide is a line of JSON (`{"tmdb":"1396",...}`); one nested 100,000
    deep (0.2 MB) made `json.loads` raise RecursionError, which no reader's caller expects:
    the scan of the whole show failed and none of its episodes was recorded. It is no guide;
    the show's other ids are read."""
    path = tmp_path / "tvshow.nfo"
    deep = '{"tmdb":' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(
        f"<tvshow><title>Breaking Bad</title><episodeguide>{deep}</episodeguide>"
        '<uniqueid type="tvdb">81189</uniqueid></tvshow>'
    )
    show = read_show_nfo(path)
    assert (show.tmdb_id, show.tvdb_id) == (None, 81189)


def test_season_names_and_a_guide_full_of_comments_are_read_in_one_pass(tmp_path):
    """A tvshow.nfo (4.2 MB) whose `<namedseason>` and `<episodeguide>` hold 300,000 comments
    each: their text was joined from itertext(), quadratic over comments (minutes at each scan
    of the show, which now offers the names to its seasons every time); XPath's string() reads
    the same text in one pass."""
    path = tmp_path / "tvshow.nfo"
    path.write_text(
        '<tvshow><title>Torchwood</title><namedseason number="3">Children'
        + "<!---->" * 300_000
        + ' of Earth</namedseason><episodeguide>{"tmdb":"1396"'
        + "<!---->" * 300_000
        + "}</episodeguide></tvshow>"
    )
    assert path.stat().st_size < MAX_NFO_BYTES
    show = read_show_nfo(path)
    assert show.named_seasons == {3: "Children of Earth"}
    assert (show.tmdb_id, show.source["tmdb"]) == (1396, "episodeguide")
