"""A user's episode NFO in a TV library, scanned then published over: what is theirs and not
metarrd's (the watch state Kodi's library export writes, their other ids and ratings, the
specials placement) is written back into that episode's own block. The NFOs are real ones from
other tools' test suites (tests/nfo/SOURCES.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.atomic import sha256_file
from metarrd.enrich.metadata import merge_fields
from metarrd.publish import preview_publish, publish_item
from metarrd.scan import scan
from metarrd.scan.tv_nfo import read_show_nfo
from tests.publish.test_tv_publish import blocks
from tests.publish.tvshow import build_show, tv_runtime
from tests.scan.conftest import SAMPLE

NFO = Path(__file__).resolve().parents[1] / "nfo"
KODI_EXPORT = NFO / "jellyfin-The-Bone-Orchard.nfo"
MEDIAELCH_MULTI = NFO / "mediaelch-kodi_v18_episode_American_Dad_S02E03-S02E04.nfo"
JELLYFIN_MULTI = NFO / "jellyfin-Stargate-Atlantis-S01E01-E04.nfo"


@pytest.fixture
def trt(tmp_path):
    rt = tv_runtime(tmp_path)
    yield rt
    rt.close()


def scan_and_publish(rt, rel: str, numbers: tuple[int, list[int]], users_nfo: str) -> Path:
    """An enriched show whose one episode file `rel` has the user's NFO beside it: scanned (as
    a user's library is), then published. Returns the episode NFO's path."""
    built = build_show(rt, files={rel: numbers})
    nfo = built.path(rel).with_suffix(".nfo")
    nfo.write_text(users_nfo, "utf-8")
    scan(rt)
    publish_item(rt, built.reload())
    assert nfo.read_text("utf-8") != users_nfo  # ours now
    return nfo


def test_an_episodes_watch_state_from_kodis_export_is_kept(trt):
    """Kodi's own export of a watched episode: play count, last played, resume point and the
    user's rating stay; our own elements are written once, not twice."""
    users = (
        KODI_EXPORT.read_text("utf-8")
        .replace("<userrating>0</userrating>", "<userrating>9</userrating>")
        .replace("<playcount>0</playcount>", "<playcount>3</playcount>")
        .replace("<lastplayed></lastplayed>", "<lastplayed>2024-03-01</lastplayed>")
        .replace("<position>0.000000</position>", "<position>1312.500000</position>")
        .replace("<total>0.000000</total>", "<total>3480.000000</total>")
    )
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1]), users)

    [block] = blocks(nfo)
    assert block.findtext("playcount") == "3"
    assert block.findtext("lastplayed") == "2024-03-01"
    assert block.findtext("resume/position") == "1312.500000"
    assert block.findtext("resume/total") == "3480.000000"
    assert block.findtext("userrating") == "9"
    assert block.findtext("displayseason") == "-1" and block.findtext("top250") == "0"
    tags = [el.tag for el in block if isinstance(el.tag, str)]
    for owned in ("title", "showtitle", "season", "episode", "aired", "ratings", "dateadded"):
        assert tags.count(owned) == 1, owned
    assert "id" not in tags and "imdbId" not in tags and "thumb" not in tags
    assert block.findtext("dateadded") == "2017-10-07 14:25:47"


def test_each_block_of_a_multi_episode_nfo_keeps_its_own(trt):
    """MediaElch writes E4's block before E3's. Each episode's play count and TVmaze id go back
    into that episode's block (ours are in file-name order), never the other's."""
    users = MEDIAELCH_MULTI.read_text("utf-8").replace(
        "<playcount>0</playcount>", "<playcount>2</playcount>", 1
    )  # the first block: episode 4
    nfo = scan_and_publish(trt, "Season 02/Breaking Bad - S02E03E04.mkv", (2, [3, 4]), users)

    e3, e4 = blocks(nfo)
    assert (e3.findtext("episode"), e4.findtext("episode")) == ("3", "4")
    assert (e3.findtext("playcount"), e4.findtext("playcount")) == ("0", "2")
    tvmaze = [
        [(u.text, u.get("default")) for u in b.iterfind("uniqueid") if u.get("type") == "tvmaze"]
        for b in (e3, e4)
    ]
    assert tvmaze == [[("14153", None)], [("14152", None)]]  # ours (tmdb) stays the default
    for block in (e3, e4):
        assert [u.get("type") for u in block.iterfind("uniqueid")] == ["tmdb", "tvdb", "tvmaze"]
        assert block.findtext("displayepisode") == "-1"
        assert [r.get("name") for r in block.iterfind("ratings/rating")] == ["tmdb", "tvdb"]


def test_kodis_unknown_uniqueid_is_not_written_back_beside_ours(trt):
    """Kodi 18+ exporting an episode a Kodi 17 library scraped with TheTVDB: the id had no type,
    so Kodi writes it as `<id>` and `uniqueid type="unknown"` (the type it files an untyped id
    under). It is the episode's TheTVDB id: published, it is ours (`tvdb`) and not repeated
    as "unknown"; the user's other ids (TVmaze) stay."""
    users = KODI_EXPORT.read_text("utf-8").replace(
        '<id>1276153</id>\n    <uniqueid type="tmdb" default="true">1276153</uniqueid>',
        '<id>349101</id>\n    <uniqueid type="unknown" default="true">349101</uniqueid>\n'
        '    <uniqueid type="tvmaze">14152</uniqueid>',
    )
    assert 'type="unknown"' in users
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1]), users)

    [block] = blocks(nfo)
    ids = [(u.get("type"), u.text, u.get("default")) for u in block.iterfind("uniqueid")]
    assert ids == [
        ("tmdb", "62101", "true"),
        ("tvdb", "349101", None),
        ("imdb", "tt5017734", None),  # its <imdbId>: the same episode (TheTVDB's id is ours)
        ("tvmaze", "14152", None),
    ]


def test_each_episodes_original_title_from_jellyfin_is_kept_in_its_block(trt):
    """Jellyfin's multi-episode NFO gives each block an `<originaltitle>` ("Rising (1)", "Rising
    (2)"); no provider has an episode's original title, so each stays in its own block (it was
    dropped as an element we own, though never written for an episode)."""
    users = JELLYFIN_MULTI.read_text("utf-8")
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01-E04.mkv", (1, [1, 2, 3, 4]), users)
    published = blocks(nfo)
    assert [b.findtext("episode") for b in published] == ["1", "2", "3", "4"]
    assert [[o.text for o in b.iterfind("originaltitle")] for b in published] == [
        ["Rising (1)"],
        ["Rising (2)"],
        ["Hide and Seek"],
        ["Thirty-Eight Minutes"],
    ]
    assert [b.findtext("watched") for b in published] == ["false"] * 4


TORCHWOOD = NFO / "mediaelch-kodi_v18_show_Torchwood.nfo"


def test_the_users_season_names_are_kept(trt):
    """MediaElch's Torchwood tvshow.nfo names seasons 3 and 4 (`<namedseason>`, as Kodi's export
    and tinyMediaManager write it). Scanned, season 3's item takes its name, locked so that
    enrich does not put TMDB's back (Kodi shows the NFO's name over any scraper's); season 4
    has no item (no episode on disk) and its name is written back as it was. Before, the user's
    names were replaced by the season items' on publish."""
    built = build_show(trt)
    users = (
        TORCHWOOD.read_text("utf-8")
        .replace(">424<", ">1396<")
        .replace("tt0485301", "tt0903747")
        .replace(">79511<", ">81189<")
        .replace('<namedseason number="3">', '<namedseason number="1">Season 1</namedseason>\n'
                 '    <namedseason number="3">')
    )  # fmt: skip
    built.path("tvshow.nfo").write_text(users, "utf-8")
    scan(trt)
    seasons = {
        s.season: s
        for s in db.Movie.select().where(db.Movie.show == built.show, db.Movie.kind == db.SEASON)
    }
    assert seasons[3].title == "Children of Earth" and "title" in seasons[3].locked_fields
    assert seasons[1].title == "Season 1" and "title" not in (seasons[1].locked_fields or [])
    assert merge_fields({"title": "Children of Earth"}, {"title": "Season 3"},
                        seasons[3].locked_fields) == {}  # fmt: skip

    publish_item(trt, built.reload())
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    named = [(n.get("number"), n.text) for n in root.iterfind("namedseason")]
    assert named == [
        ("0", "Specials"),
        ("1", "Season 1"),
        ("2", "Season 2"),
        ("3", "Children of Earth"),
        ("4", "Miracle Day"),
    ]

    # season 4 comes later, after our tvshow.nfo replaced theirs: its item takes their name
    (built.folder / "Season 04").mkdir()
    (built.folder / "Season 04" / "Breaking Bad - S04E01.mkv").write_bytes(SAMPLE.read_bytes())
    scan(trt)
    season = db.Movie.get(
        db.Movie.show == built.show, db.Movie.kind == db.SEASON, db.Movie.season == 4
    )
    assert season.title == "Miracle Day"


def test_a_new_shows_seasons_are_named_by_its_tvshow_nfo(trt):
    """A show scanned for the first time: its season items are made after tvshow.nfo is read,
    by its episodes, and take the name it gives them."""
    folder = Path(trt.config.library[0].path) / "Torchwood"
    (folder / "Season 03").mkdir(parents=True)
    (folder / "Season 03" / "Torchwood - S03E01.mkv").write_bytes(SAMPLE.read_bytes())
    (folder / "tvshow.nfo").write_bytes(TORCHWOOD.read_bytes())
    scan(trt)
    season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 3)
    assert season.title == "Children of Earth" and season.locked_fields == ["title"]


def test_a_season_met_after_its_tvshow_nfo_was_read_takes_its_name(trt):
    """The season items of a show whose tvshow.nfo (MediaElch's Torchwood) was read without
    them taking its `<namedseason>` names (read by a metarrd before names were read, or while
    a season had no item): a later scan names them at once, without tvshow.nfo changing; a
    title the user locked stays, and a name the user then turned down is not forced back.
    Before, only a change of tvshow.nfo offered its names to existing seasons, and publish
    wrote "The Third" over the user's "Children of Earth" in tvshow.nfo."""
    built = build_show(trt)
    users = (
        TORCHWOOD.read_text("utf-8")
        .replace(">424<", ">1396<")
        .replace('<namedseason number="3">', '<namedseason number="2">Two</namedseason>\n'
                 '    <namedseason number="3">')
    )  # fmt: skip
    built.path("tvshow.nfo").write_text(users, "utf-8")
    show = built.reload()
    show.nfo_extra = read_show_nfo(built.path("tvshow.nfo")).data.unknown_elements
    show.source_nfo_hash = sha256_file(built.path("tvshow.nfo"))  # read before
    show.save()
    two = built.seasons[2]
    two.title, two.locked_fields = "The User's Two", ["title"]
    two.save()

    scan(trt)
    seasons = {n: db.Movie.get_by_id(s.id) for n, s in built.seasons.items()}
    assert seasons[3].title == "Children of Earth" and seasons[3].locked_fields == ["title"]
    assert seasons[2].title == "The User's Two"
    publish_item(trt, built.reload())
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    named = dict((n.get("number"), n.text) for n in root.iterfind("namedseason"))
    assert (named["2"], named["3"], named["4"]) == ("The User's Two", "Children of Earth",
                                                    "Miracle Day")  # fmt: skip

    # the user unlocks season 3 and takes TMDB's name: the next scans leave it
    three = seasons[3]
    three.title, three.locked_fields = "Season 3", []
    three.save()
    scan(trt)
    assert db.Movie.get_by_id(three.id).title == "Season 3"


def test_a_season_name_in_another_language_is_no_name_of_the_users(trt):
    """Kodi's export in German names its seasons "Staffel 1": that is the season's default,
    not a name the user chose, so it is not locked against TMDB's; "Season 2 - The Road" is the
    user's, although it starts like a default. Before, any name but the English "Season N" was
    locked, and a season.nfo title starting "Season 2" was not read at all."""
    folder = Path(trt.config.library[0].path) / "Torchwood"
    for n in (1, 2):
        (folder / f"Season 0{n}").mkdir(parents=True)
        (folder / f"Season 0{n}" / f"Torchwood - S0{n}E01.mkv").write_bytes(SAMPLE.read_bytes())
    (folder / "tvshow.nfo").write_text(
        '<tvshow><title>Torchwood</title><namedseason number="1">Staffel 1</namedseason></tvshow>'
    )
    (folder / "Season 02" / "season.nfo").write_text(
        "<season><seasonnumber>2</seasonnumber><title>Season 2 - The Road</title></season>"
    )
    scan(trt)
    one, two = (db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == n) for n in (1, 2))
    assert (one.title, one.locked_fields or []) == ("Staffel 1", [])
    assert (two.title, two.locked_fields) == ("Season 2 - The Road", ["title"])


JELLYFIN_SEASON = NFO / "jellyfin-Season-01.nfo"


def tmm_season_nfo(number: int, title: str, plot: str) -> str:
    """A season.nfo as tinyMediaManager writes it into a season folder (its
    TvShowSeasonGenericXmlConnector: the elements and their order, the show's ids)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        "<!--created on 2024-03-02 10:11:12 - tinyMediaManager 5.0.2-->\r\n<season>\r\n"
        f"  <seasonnumber>{number}</seasonnumber>\r\n  <title>{title}</title>\r\n"
        f"  <showtitle>Breaking Bad</showtitle>\r\n  <sorttitle>{title}</sorttitle>\r\n"
        f"  <year/>\r\n  <plot>{plot}</plot>\r\n  <tvdbid>81189</tvdbid>\r\n"
        "  <imdbid>tt0903747</imdbid>\r\n  <tmdbid>1396</tmdbid>\r\n"
        '  <uniqueid type="tmdb">1396</uniqueid>\r\n  <premiered>2009-03-08</premiered>\r\n'
        "  <!--tinyMediaManager meta data-->\r\n</season>\r\n"
    )


def test_the_season_names_and_plots_of_the_users_season_nfos_are_kept(trt):
    """Jellyfin, Emby and tinyMediaManager write the season's name and plot into the season
    folder's season.nfo; Kodi reads none, only tvshow.nfo's `<namedseason>`. Scanned, the season
    item takes them, locked as a `<namedseason>` name is (enrich keeps TMDB's away), and our
    tvshow.nfo names the season so Kodi shows it too; Jellyfin's default "Season 1" names
    nothing. Published, each season.nfo of the user's is backed up into the cache, as their
    tvshow.nfo is, and replaced by ours, which says the same name and plot and keeps their
    elements we do not write (Jellyfin's `<lockdata>`, `<art>`)."""
    built = build_show(trt)
    nfos = {
        "Season 01/season.nfo": JELLYFIN_SEASON.read_bytes(),
        "Season 02/season.nfo": tmm_season_nfo(
            2, "The Second Year", "Walt &amp; Jesse go into business."
        ).encode(),
        "Specials/season.nfo": b"<season><title>Minisodes</title><plot/></season>",
    }
    for rel, body in nfos.items():
        built.path(rel).write_bytes(body)
    scan(trt)
    seasons = {n: db.Movie.get_by_id(s.id) for n, s in built.seasons.items()}
    assert seasons[2].title == "The Second Year"
    assert seasons[2].plot == "Walt & Jesse go into business."
    assert {"title", "plot"} <= set(seasons[2].locked_fields)
    tmdb = {"title": "Season 2", "plot": "TMDB's overview.", "premiered": "2009-03-08"}
    assert set(merge_fields(tmdb, tmdb | {"title": "x"}, seasons[2].locked_fields)) == set()
    assert merge_fields({}, tmdb, seasons[2].locked_fields) == {"premiered": "2009-03-08"}
    assert seasons[0].title == "Minisodes" and seasons[0].locked_fields == ["title"]
    assert seasons[1].title == "Season 1" and not seasons[1].locked_fields

    plan = {a.path: (a.action, a.backup) for a in preview_publish(trt, built.reload()).actions}
    for rel in nfos:  # the preview says theirs is backed up and replaced, as for tvshow.nfo
        assert plan[built.path(rel)] == ("replace", True), rel
    result = publish_item(trt, built.reload())
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    named = [(n.get("number"), n.text) for n in root.iterfind("namedseason")]
    assert named == [
        ("0", "Minisodes"),
        ("1", "Season 1"),
        ("2", "The Second Year"),
        ("3", "The Third"),
    ]
    backups = {
        r.source_url: Path(r.file_path).read_bytes()
        for r in db.CacheImageFile.select()
        if r.source_type == "library"
    }
    for rel, body in nfos.items():
        assert str(built.path(rel)) in result.backed_up, rel
        assert backups[str(built.path(rel))] == body, rel  # theirs, byte for byte
    second = etree.parse(str(built.path("Season 02/season.nfo"))).getroot()
    assert second.findtext("title") == "The Second Year"
    assert second.findtext("plot") == "Walt & Jesse go into business."
    jellyfins = etree.parse(str(built.path("Season 01/season.nfo"))).getroot()
    assert jellyfins.find("title") is None  # Jellyfin's default, no name
    assert jellyfins.findtext("lockdata") == "false"
    assert jellyfins.find("art/poster") is not None

    # renamed in Jellyfin: the season takes the new name, and our tvshow.nfo is out of date
    body = nfos["Season 02/season.nfo"].replace(b"The Second Year", b"Year Two")
    built.path("Season 02/season.nfo").write_bytes(body)
    os.utime(built.path("Season 02/season.nfo"), (1_700_000_000, 1_700_000_000))
    scan(trt)
    assert db.Movie.get_by_id(seasons[2].id).title == "Year Two"
    assert built.reload().publish_state == db.OUTDATED
    publish_item(trt, built.reload())
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    assert ("2", "Year Two") in [(n.get("number"), n.text) for n in root.iterfind("namedseason")]
    ours = etree.parse(str(built.path("Season 02/season.nfo"))).getroot()
    assert ours.findtext("title") == "Year Two"


def test_a_new_shows_seasons_are_named_by_their_season_nfo(trt):
    """A show scanned for the first time: its season items are made by its episodes, then take
    their season folder's season.nfo; one whose `<seasonnumber>` is not its folder's season is
    not taken (a warning), nor one in a folder the scan does not enter."""
    folder = Path(trt.config.library[0].path) / "Torchwood"
    for n in (3, 4):
        (folder / f"Season 0{n}").mkdir(parents=True)
        (folder / f"Season 0{n}" / f"Torchwood - S0{n}E01.mkv").write_bytes(SAMPLE.read_bytes())
    (folder / "Season 03" / "season.nfo").write_text(
        tmm_season_nfo(3, "Children of Earth", "Five days."), "utf-8"
    )
    (folder / "Season 04" / "season.nfo").write_text(
        tmm_season_nfo(5, "Miracle Day", "Nobody dies."), "utf-8"
    )
    (folder / "Extras").mkdir()
    (folder / "Extras" / "season.nfo").write_text(tmm_season_nfo(4, "Not it", "x"), "utf-8")
    (folder / "Season 05").mkdir()
    (folder / "Season 05" / "Torchwood - S05E01.mkv").write_bytes(SAMPLE.read_bytes())
    outside = Path(trt.config.data_dir) / "season.nfo"  # a link out of every library: not read
    outside.write_text(tmm_season_nfo(5, "Elsewhere", "x"), "utf-8")
    (folder / "Season 05" / "season.nfo").symlink_to(outside)
    report = scan(trt)
    season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 3)
    assert (season.title, season.plot) == ("Children of Earth", "Five days.")
    assert season.locked_fields == ["title", "plot"]
    season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 4)
    assert (season.title, season.plot, season.locked_fields) == ("Season 4", None, [])
    warned = [e.message for e in db.Event.select() if "seasonnumber" in e.message]
    assert warned and "Season 04" in warned[0]
    assert db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 5).title == "Season 5"
    assert any("outside every configured library" in why for _path, why in report.errors)


def test_tinymediamanagers_season_nfos_in_the_show_folder_are_read(trt):
    """tinyMediaManager's season NFO naming "seasonXX.nfo" (TvShowSeasonNfoNaming.SEASON, and
    SEASON_FOLDER for a show without season folders) writes `season02.nfo` and, for season 0,
    `season-specials.nfo` into the show folder, not a season folder; its reader takes
    `season(\\d{2,}|-specials)?.nfo`. They name their season as a season folder's season.nfo
    does; one whose `<seasonnumber>` is not its name's season is not taken (a warning). Before,
    only `season.nfo` in a season folder was read: these names were lost on publish."""
    folder = Path(trt.config.library[0].path) / "Torchwood"
    folder.mkdir(parents=True)
    for name in ("Torchwood - S00E01.mkv", "Torchwood - S02E01.mkv", "Torchwood - S03E01.mkv"):
        (folder / name).write_bytes(SAMPLE.read_bytes())
    (folder / "season02.nfo").write_text(tmm_season_nfo(2, "The Second", "Two."), "utf-8")
    (folder / "season-specials.nfo").write_text(tmm_season_nfo(0, "Extras", "x"), "utf-8")
    (folder / "season03.nfo").write_text(tmm_season_nfo(4, "Not Three", "x"), "utf-8")
    scan(trt)
    named = {
        s.season: (s.title, s.plot) for s in db.Movie.select().where(db.Movie.kind == db.SEASON)
    }
    assert named == {0: ("Extras", "x"), 2: ("The Second", "Two."), 3: ("Season 3", None)}
    warned = [e.message for e in db.Event.select() if "seasonnumber" in e.message]
    assert len(warned) == 1 and "season03.nfo" in warned[0]


def test_an_episodes_rating_genres_studio_and_dates_from_kodis_export_are_kept(trt):
    """Kodi's episode reader (CVideoInfoTag::ParseNative) takes `<mpaa>`, `<sorttitle>`,
    `<premiered>`, `<year>`, `<genre>`, `<studio>`, `<tagline>`, `<outline>`, `<country>`,
    `<tag>` and `<trailer>` of an episode too; no TV provider gives them for an episode, so they
    are the user's. They were dropped on publish as elements we own, though never written for an
    episode; each is written back into its block, once."""
    users = (
        KODI_EXPORT.read_text("utf-8")
        .replace("<outline></outline>", "<outline>Shadow meets Wednesday.</outline>")
        .replace("<tagline></tagline>", "<tagline>Believe</tagline>")
        .replace("<showtitle>", "<sorttitle>Bone Orchard</sorttitle>\n    <showtitle>")
        .replace("<studio>Starz</studio>", "<studio>Starz</studio><country>US</country>"
                 "<tag>Pilot</tag><set><name>Gods</name></set>")
        .replace("<trailer></trailer>", "<trailer>plugin://plugin.video.youtube/play/?video_id=y</trailer>")
    )  # fmt: skip
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1]), users)

    [block] = blocks(nfo)
    assert block.findtext("mpaa") == "16"
    assert block.findtext("sorttitle") == "Bone Orchard"
    assert block.findtext("premiered") == "2017-04-30" and block.findtext("year") == "2017"
    assert [g.text for g in block.iterfind("genre")] == ["Drama", "Mystery", "Sci-Fi & Fantasy"]
    assert [s.text for s in block.iterfind("studio")] == ["Starz"]
    assert block.findtext("outline") == "Shadow meets Wednesday."
    assert block.findtext("tagline") == "Believe"
    assert block.findtext("country") == "US" and block.findtext("tag") == "Pilot"
    assert block.findtext("set/name") == "Gods"
    assert block.findtext("trailer") == "plugin://plugin.video.youtube/play/?video_id=y"
    tags = [el.tag for el in block if isinstance(el.tag, str)]
    for kept in ("mpaa", "sorttitle", "premiered", "year", "outline", "tagline", "set"):
        assert tags.count(kept) == 1, kept
    assert "thumb" not in tags  # the art is written as a file


def test_each_block_keeps_its_own_mpaa_and_studio(trt):
    """MediaElch's multi-episode NFO: each block's `<mpaa>` and `<studio>` go back into it."""
    users = MEDIAELCH_MULTI.read_text("utf-8").replace(
        "<mpaa>TV-14</mpaa>", "<mpaa>TV-MA</mpaa>", 1
    )  # the first block: episode 4
    nfo = scan_and_publish(trt, "Season 02/Breaking Bad - S02E03E04.mkv", (2, [3, 4]), users)
    e3, e4 = blocks(nfo)
    assert (e3.findtext("mpaa"), e4.findtext("mpaa")) == ("TV-14", "TV-MA")
    assert [b.findtext("studio") for b in (e3, e4)] == ["TBS", "TBS"]


def test_the_users_plot_and_aired_stay_when_tmdb_has_none(trt):
    """TMDB has no overview, air date or votes for many episodes (specials, new or non-English
    ones): enrich leaves the item's plot and rating (the user's NFO's) as they are, an empty
    value never erasing one, but publish wrote the NFO from TMDB's empty block, so Kodi's
    export's `<plot>`, `<aired>` and rating of the episode were gone."""
    rel = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    built = build_show(trt, files={rel: (1, [1])})
    nfo = built.path(rel).with_suffix(".nfo")
    nfo.write_text(KODI_EXPORT.read_text("utf-8"), "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    assert ep.plot.startswith("When Shadow Moon is released")  # the NFO's, taken at scan
    tmdb_has_none = {"plot": None, "aired": None, "rating": None, "votes": None}
    ep.episode_details = [{**ep.episode_details[0], **tmdb_has_none}]
    ep.save()
    publish_item(trt, built.reload())

    [block] = blocks(nfo)
    assert block.findtext("plot").startswith("When Shadow Moon is released")
    assert block.findtext("aired") == "2017-04-30"
    assert len(block.findall("aired")) == 1 and len(block.findall("plot")) == 1
    [rating] = block.iterfind("ratings/rating")
    assert (rating.get("name"), rating.findtext("value"), rating.findtext("votes")) == (
        "tmdb",
        "7.5",  # as ours are written
        "31",
    )


def test_an_episodes_imdb_id_from_the_users_nfo_is_kept(trt):
    """Kodi's export via Jellyfin (`<imdbId>`), or a `uniqueid type="imdb"`: the episode's IMDb
    id is read, and no TV provider metarrd asks gives one, so publish wrote none and it was
    gone. It is written back with ours, unless the user's block named another episode (its
    TMDB id is not the one identify found): then its IMDb id is that other episode's."""
    same = KODI_EXPORT.read_text("utf-8").replace("1276153", "62101")  # identify's id
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1]), same)
    [block] = blocks(nfo)
    ids = [(u.get("type"), u.text) for u in block.iterfind("uniqueid")]
    assert ids == [("tmdb", "62101"), ("tvdb", "349101"), ("imdb", "tt5017734")]
    assert block.find("imdbId") is None


def test_an_imdb_id_of_another_episode_is_not_carried_over(trt):
    other = KODI_EXPORT.read_text("utf-8")  # TMDB 1276153: not the episode identify found
    nfo = scan_and_publish(trt, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1]), other)
    [block] = blocks(nfo)
    assert [u.get("type") for u in block.iterfind("uniqueid")] == ["tmdb", "tvdb"]


def test_a_season_renamed_in_the_users_nfo_is_renamed_again(trt):
    """The lock the scan put on a season's NFO name keeps TMDB's away, not the user's next name
    for it (renamed in Kodi and exported again); a name the user gave on the item page stays."""
    built = build_show(trt)
    nfo = built.path("tvshow.nfo")
    nfo.write_text(TORCHWOOD.read_text("utf-8"), "utf-8")
    scan(trt)
    seasons = built.seasons
    assert db.Movie.get_by_id(seasons[3].id).title == "Children of Earth"
    db.Movie.update(title="Mine", locked_fields=["title"]).where(
        db.Movie.id == seasons[0].id
    ).execute()  # the item page's edit of the specials' name
    renamed = TORCHWOOD.read_text("utf-8").replace("Children of Earth", "CoE")
    nfo.write_text(renamed.replace('number="4"', 'number="0"'), "utf-8")
    os.utime(nfo, (1_700_000_000, 1_700_000_000))
    scan(trt)
    assert db.Movie.get_by_id(seasons[3].id).title == "CoE"
    assert db.Movie.get_by_id(seasons[0].id).title == "Mine"


def test_the_users_runtime_and_crew_stay_when_tmdb_has_none(trt):
    """TMDB has no runtime of many episodes and no crew of many others: the user's `<runtime>`,
    `<director>` and `<credits>` (Kodi's export) stay in the NFO, as they stay on the item."""
    rel = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"
    built = build_show(trt, files={rel: (1, [1])})
    nfo = built.path(rel).with_suffix(".nfo")
    users = KODI_EXPORT.read_text("utf-8").replace("<runtime>0</runtime>", "<runtime>57</runtime>")
    nfo.write_text(users, "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    tmdb_has_none = {"runtime": None, "directors": [], "writers": []}
    ep.episode_details = [{**ep.episode_details[0], **tmdb_has_none}]
    ep.save()
    publish_item(trt, built.reload())

    [block] = blocks(nfo)
    assert block.findtext("runtime") == "57"
    assert [d.text for d in block.iterfind("director")] == ["David Slade"]
    assert [c.text for c in block.iterfind("credits")] == ["Bryan Fuller", "Michael Green"]


def test_each_episode_of_a_multi_episode_file_keeps_its_own_blocks_values(trt):
    """MediaElch's American Dad S02E03-S02E04 NFO (E4's block first). TMDB has no overview,
    crew or rating of E4, then no E4 at all: E4's block keeps its own title, plot, writer and
    director from the user's E4 block, as the file's first episode keeps those of its block
    (through the item). Before, only the first episode could fall back to the user's values:
    E4 was written "Episode 4" with no plot, its user's text gone."""
    rel = "Season 02/Breaking Bad - S02E03E04.mkv"
    built = build_show(trt, files={rel: (2, [3, 4])})
    nfo = built.path(rel).with_suffix(".nfo")
    # TMDB's blocks as an enrich after this scan makes them: the scan puts the values of an NFO
    # it reads after an enrich into the blocks (tests/tv/test_rescan_users_nfo.py)
    e3_tmdb, e4_tmdb = db.Movie.get_by_id(built.episodes[rel].id).episode_details
    nfo.write_text(MEDIAELCH_MULTI.read_text("utf-8"), "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    tmdb_has_none = {"plot": None, "rating": None, "votes": None, "directors": [], "writers": []}
    ep.episode_details = [e3_tmdb, {**e4_tmdb, **tmdb_has_none}]
    ep.save()
    publish_item(trt, built.reload())
    e3, e4 = blocks(nfo)
    assert e3.findtext("title") == "Episode 2x3 title"  # TMDB's, where it has one
    assert e4.findtext("title") == "Episode 2x4 title"
    assert e4.findtext("plot").startswith("When Stan's father passes away")
    assert [c.text for c in e4.iterfind("credits")] == ["Steve Hely"]
    assert [d.text for d in e4.iterfind("director")] == ["Albert Calleros"]
    assert len(e4.findall("plot")) == 1

    # TMDB has no E4 at all: the user's block gives its title too
    ep.episode_details = [e3_tmdb]
    ep.save()
    publish_item(trt, built.reload())
    e3, e4 = blocks(nfo)
    assert (e3.findtext("title"), e4.findtext("title")) == ("Episode 2x3 title", "Con Heir")
    assert e4.findtext("plot").startswith("When Stan's father passes away")
    assert [c.text for c in e4.iterfind("credits")] == ["Steve Hely"]


def test_each_block_of_a_multi_episode_nfo_keeps_its_own_flat_rating(trt):
    """Jellyfin's Stargate Atlantis S01E01-E04 NFO (its test data) rates each episode with a
    flat `<rating>`, as Sonarr's episode NFO writer (XbmcMetadata.cs) and Kodi up to 16 write
    it. TMDB has no rating of E2 and E4: their blocks keep their own (7.9, 7.5), as E1 keeps
    its through the item. Before, a later block's flat rating was read and then lost: it is
    no `<ratings>` kept among the block's own elements, and only the first block's values
    reached the item."""
    rel = "Season 01/Breaking Bad - S01E01-E04.mkv"
    built = build_show(trt, files={rel: (1, [1, 2, 3, 4])})
    nfo = built.path(rel).with_suffix(".nfo")
    nfo.write_text(JELLYFIN_MULTI.read_text("utf-8"), "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    e1, e2, e3, e4 = ep.episode_details
    tmdb_has_none = {"rating": None, "votes": None}
    ep.episode_details = [e1, {**e2, **tmdb_has_none}, e3, {**e4, **tmdb_has_none}]
    ep.save()
    publish_item(trt, built.reload())
    published = blocks(nfo)
    values = [[r.findtext("value") for r in b.iterfind("ratings/rating")] for b in published]
    assert values[1] == ["7.9"]
    assert values[3] == ["7.5"]
    assert (values[0], values[2]) == ([f"{e1['rating']:.1f}"], [f"{e3['rating']:.1f}"])  # TMDB's


def test_a_season_nfos_sort_title_date_added_and_dates_are_kept_in_ours(trt):
    """tinyMediaManager's season.nfo (TvShowSeasonGenericXmlConnector) holds the season's
    `<sorttitle>` and `<premiered>`; Jellyfin's (tests/nfo/jellyfin-Season-01.nfo, its
    BaseNfoSaver) its `<dateadded>`, `<premiered>`, `<year>`. These are fields nfo_read takes,
    not elements it leaves aside, so only the backup kept them: the season.nfo we wrote had no
    sort title, date added or date (the season has none of its own from TMDB here), which
    Jellyfin then read back as the season's. They stay in ours, as in an episode's block."""
    built = build_show(trt)
    built.path("Season 01/season.nfo").write_bytes(JELLYFIN_SEASON.read_bytes())
    tmm = tmm_season_nfo(2, "The Second Year", "Walt goes into business.")
    built.path("Season 02/season.nfo").write_text(tmm, "utf-8")
    scan(trt)
    # as an older metarrd read them (no sort title kept): read again by the next scan, unchanged
    for season in db.Movie.select().where(db.Movie.show == built.show, db.Movie.kind == db.SEASON):
        hints = dict(season.hints)
        hints.pop("season_nfo_read", None)
        if "season_nfo" in hints:
            extra = [e for e in hints["season_nfo"]["extra"] if "sorttitle" not in e]
            season.hints = {**hints, "season_nfo": {**hints["season_nfo"], "extra": extra}}
            season.save()
    scan(trt)
    publish_item(trt, built.reload())
    second = etree.parse(str(built.path("Season 02/season.nfo"))).getroot()
    assert second.findtext("sorttitle") == "The Second Year"
    assert second.findtext("premiered") == "2009-03-08"
    first = etree.parse(str(built.path("Season 01/season.nfo"))).getroot()
    assert first.findtext("dateadded") == "2020-06-14 17:26:51"
    assert (first.findtext("premiered"), first.findtext("year")) == ("2019-11-08", "2019")
    assert [a.findtext("name") for a in first.iterfind("actor")] == [
        "Olivia Rodrigo",
        "Kate Reinders",
    ]
    assert len(first.findall("premiered")) == 1 and first.find("seasonnumber").text == "1"


def test_each_episode_of_a_file_gets_its_own_edited_air_date_in_its_own_block(trt):
    """MediaElch's NFO of American Dad `S02E03-S02E04` (tests/nfo/SOURCES.md), which writes
    E4's block first, each block with its own `<aired>`. The user edits the second episode's
    date (E4, `aired-2`) on the item page: that date goes into E4's block, E3's keeps its own,
    and a re-scan of the NFO we wrote leaves both as they are."""
    from metarrd.web import edits

    rel = "Season 02/Breaking Bad - S02E03E04.mkv"
    built = build_show(trt, files={rel: (2, [3, 4])})
    nfo = built.path(rel).with_suffix(".nfo")
    nfo.write_text(MEDIAELCH_MULTI.read_text("utf-8"), "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    e3_aired = ep.episode_details[0]["aired"]
    edits.set_field(ep.id, "aired-2", "2005-10-09")
    publish_item(trt, built.reload())
    by_number = {b.findtext("episode"): b for b in blocks(nfo)}
    assert by_number["4"].findtext("aired") == "2005-10-09"
    assert by_number["3"].findtext("aired") == e3_aired
    assert all(len(b.findall("aired")) == 1 for b in by_number.values())
    scan(trt)
    publish_item(trt, built.reload())
    by_number = {b.findtext("episode"): b for b in blocks(nfo)}
    assert [by_number[n].findtext("aired") for n in "34"] == [e3_aired, "2005-10-09"]


def test_each_episode_of_a_file_gets_its_own_edited_title_and_plot_in_its_own_block(trt):
    """MediaElch's NFO of American Dad `S02E03-S02E04` (tests/nfo/SOURCES.md), E4's block
    first, each with its own `<title>` and `<plot>`, scanned as a user's library is. The user
    corrects the second episode's (E4's) title and plot on the item page (`title-2`, `plot-2`):
    they go into E4's block, E3's keeps its own, and a re-scan of the NFO we wrote (its blocks
    read back, kodi-tv.md 2.4) leaves both as they are."""
    from metarrd.web import edits

    rel = "Season 02/Breaking Bad - S02E03E04.mkv"
    built = build_show(trt, files={rel: (2, [3, 4])})
    nfo = built.path(rel).with_suffix(".nfo")
    nfo.write_text(MEDIAELCH_MULTI.read_text("utf-8"), "utf-8")
    scan(trt)
    ep = db.Movie.get_by_id(built.episodes[rel].id)
    e3 = (ep.episode_details[0]["title"], ep.episode_details[0]["plot"])
    edits.set_field(ep.id, "title-2", "Con Heir (Part 2)")
    edits.set_field(ep.id, "plot-2", "Stan meets his real father, a spy.")
    publish_item(trt, built.reload())
    for _ in range(2):  # published, then scanned back and published again
        by_number = {b.findtext("episode"): b for b in blocks(nfo)}
        assert by_number["4"].findtext("title") == "Con Heir (Part 2)"
        assert by_number["4"].findtext("plot") == "Stan meets his real father, a spy."
        assert (by_number["3"].findtext("title"), by_number["3"].findtext("plot")) == e3
        for block in by_number.values():
            assert len(block.findall("title")) == len(block.findall("plot")) == 1
        scan(trt)
        publish_item(trt, built.reload())
    ep = db.Movie.get_by_id(ep.id)
    assert ep.episode_details[1]["title"] == "Con Heir (Part 2)"
    assert {"title-2", "plot-2"} <= set(ep.locked_fields)
