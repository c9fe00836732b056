"""tvshow.nfo and episode NFOs: golden files byte for byte, and the kodi-tv.md §2/§7 rules.

Regenerate the golden files deliberately with `METARRD_REGEN_GOLDEN=1 pytest tests/publish`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from lxml import etree

from metarrd.publish import tv_layout
from metarrd.publish.tv_nfo import (
    AudioDetails,
    CastMember,
    EpisodeData,
    Rating,
    SeasonData,
    ShowData,
    VideoDetails,
    episode_guide,
    render_episodes,
    render_season,
    render_tvshow,
)
from tests.publish.test_nfo import check_golden

SHOW = ShowData(
    title="Game of Thrones",
    original_title="Game of Thrones",
    plot="Seven noble families fight for control of Westeros. See themoviedb.org/tv/1399 .",
    mpaa="TV-MA",
    premiered="2011-04-17",
    year=2010,
    status="Ended",
    ratings=(Rating("tmdb", 8.4, 22000, default=True),),
    tmdb_id=1399,
    tvdb_id=121361,
    imdb_id="tt0944947",
    genres=("Sci-Fi & Fantasy / Drama", "Action & Adventure"),
    studios=("HBO",),
    actors=(
        CastMember(
            "Emilia Clarke", "Daenerys Targaryen", 0, "https://image.tmdb.org/t/p/original/e.jpg"
        ),
        CastMember("Kit Harington", "Jon Snow", 1, None),
    ),
    named_seasons=((0, "Specials"), (1, "Season 1"), (8, "The Last Watch")),
    episodeguide=True,
    date_added=datetime(2024, 5, 6, 7, 8, 9),
    extra=("<userrating>9</userrating>", "<episodeguide>old</episodeguide>"),
)

EPISODES = [
    EpisodeData(
        title=title,
        show_title="Game of Thrones",
        season=1,
        episode=n,
        plot=f"Plot of episode {n}.",
        runtime=62,
        aired=f"2011-04-{16 + n}",
        ratings=(Rating("tmdb", 7.9 + n / 10, 300, default=True),),
        tmdb_id=63055 + n,
        tvdb_id=3254640 + n,
        directors=("Tim Van Patten",),
        writers=("David Benioff, D. B. Weiss",),
        actors=(
            CastMember("Sean Bean", "Ned Stark", 0, "https://image.tmdb.org/t/p/original/s.jpg"),
        ),
        video=(VideoDetails("h264", 1.778, 1920, 1080, 3720),),
        audio=(AudioDetails("aac", "eng", 2),),
        date_added=datetime(2024, 5, 6, 7, 8, 9),
    )
    for n, title in ((1, "Winter Is Coming"), (2, "The Kingsroad"))
]


def test_tvshow_nfo_matches_the_golden_file():
    check_golden("tvshow.nfo", render_tvshow(SHOW))


def test_multi_episode_nfo_matches_the_golden_file():
    check_golden("episode-multi.nfo", render_episodes(EPISODES))


# the season of GoT TMDB names "Season 1" has a name of its own in this test; the user's
# elements are those of Jellyfin's SeasonNfoSaver (tests/nfo/jellyfin-Season-01.nfo)
SEASON = SeasonData(
    number=1,
    title="The Kingsroad Years",
    plot="Trouble is brewing in the Seven Kingdoms. See themoviedb.org/tv/1399 .",
    premiered="2011-04-17",
    extra=(
        "<lockdata>true</lockdata>",
        "<title>Season 1</title>",
        "<releasedate>2011-04-10</releasedate>",
        "<art><poster>/media/Game of Thrones/Season 1/folder.jpg</poster></art>",
    ),
)


def test_season_nfo_matches_the_golden_file():
    check_golden("season.nfo", render_season(SEASON))


def test_season_nfo_rules():
    """Jellyfin's BaseNfoParser keeps the last date it reads (`premiered`, `aired`,
    `releasedate` alike): the user's other date goes with ours; with none of ours it stays."""
    root = etree.fromstring(render_season(SEASON))
    assert root.tag == "season"
    assert [el.tag for el in root] == [
        "seasonnumber", "title", "plot", "premiered", "year", "lockdata", "art"
    ]  # fmt: skip
    assert root.findtext("title") == "The Kingsroad Years"
    assert "themoviedb.org/tv/1399" not in render_season(SEASON).decode()  # Kodi's scraper regex
    bare = etree.fromstring(render_season(replace(SEASON, title=None, premiered=None)))
    assert bare.find("title") is None
    assert bare.findtext("releasedate") == "2011-04-10"


def test_season_nfo_folders_are_folders_named_for_their_season():
    """Jellyfin reads season.nfo only in a folder whose name parses as a season's
    (SeasonResolver: `IsSeasonFolder`); a flat show's seasons have none."""
    show = tv_layout.Path("/tv/Show")
    videos = [
        show / "Season 01/Show - S01E01.mkv",
        show / "Season 1/Show - S01E02.mkv",
        show / "Season 01/Disc 2/Show - S01E03.mkv",
        show / "Show - S01E04.mkv",
        show / "Part One/Show - S01E05.mkv",
        show / "Season 02/Show - S01E06.mkv",  # misfiled: season 2's folder
        tv_layout.Path("/elsewhere/Show - S01E07.mkv"),
    ]
    assert tv_layout.season_nfo_folders(show, 1, videos) == [show / "Season 01", show / "Season 1"]
    assert tv_layout.season_nfo_folders(show, 1, [show / "Show - S01E01.mkv"]) == []
    specials = [show / "Specials/Show - S00E01.mkv"]
    assert tv_layout.season_nfo_folders(show, 0, specials) == [show / "Specials"]


def test_tvshow_nfo_rules():
    root = etree.fromstring(render_tvshow(SHOW))
    assert [u.get("default") for u in root.findall("uniqueid")] == ["true", None, None]
    assert root.findtext("year") == "2011"  # from premiered
    assert [g.text for g in root.findall("genre")] == [
        "Sci-Fi & Fantasy",
        "Drama",
        "Action & Adventure",
    ]
    assert len(root.findall("episodeguide")) == 1  # the user's old one is not repeated
    assert "themoviedb.org/tv/1399" not in render_tvshow(SHOW).decode()
    assert "themoviedb.org/tv/1399" in root.findtext("plot")  # same value for XML readers
    without = etree.fromstring(render_tvshow(ShowData(title="X", tmdb_id=1, episodeguide=False)))
    assert without.find("episodeguide") is None


# Jellyfin's SeriesStatus (MediaBrowser.Model/Entities/SeriesStatus.cs): what its
# SeriesNfoParser's `Enum.TryParse(status, true, ...)` takes, in any letter case (10.8 has no
# Unreleased: no status there, as TMDB's "Planned" never was one; 10.9.2's
# TvParserHelpers.TryParseSeriesStatus takes a few of TMDB's words too, none of these)
JELLYFIN_SERIES_STATUS = ("Continuing", "Ended", "Unreleased")


def _jellyfin_reads(text: str) -> str | None:
    """The SeriesStatus `Enum.TryParse(text, ignoreCase: true)` gives, or None (no status)."""
    return next((n for n in JELLYFIN_SERIES_STATUS if n.casefold() == text.casefold()), None)


# TMDB's `status` of a show (its TV details' documented values), then what Sonarr and Kodi's old
# TheTVDB scraper wrote (a user's tvshow.nfo the scan took), then a user's own words
@pytest.mark.parametrize(
    ("status", "written"),
    [
        ("Returning Series", "Continuing"),
        ("Ended", "Ended"),
        ("Canceled", "Ended"),
        ("Planned", "Unreleased"),
        ("In Production", "Unreleased"),
        ("Pilot", "Continuing"),
        ("Continuing", "Continuing"),
        ("Upcoming", "Unreleased"),
        ("continuing", "Continuing"),
        ("On hiatus", "On hiatus"),
        (None, None),
        ("  ", None),
    ],
)
def test_a_shows_status_is_written_as_jellyfin_reads_it(status, written):
    """Jellyfin reads `<status>` as its SeriesStatus enum and leaves a show with no status for
    any other text: before 10.9.2 TMDB's "Returning Series" and "Canceled" were no status, and
    "Planned" and "In Production" still are. Kodi shows the text as it is."""
    root = etree.fromstring(render_tvshow(replace(SHOW, status=status)))
    assert root.findtext("status") == written
    if written is not None and written != "On hiatus":  # the user's words: Kodi's alone
        assert _jellyfin_reads(written) == written


def test_kodis_unknown_uniqueid_of_an_item_scanned_before_is_not_written():
    """An item scanned before the scan read `type="unknown"` as one of our ids holds it among
    the user's elements: it is the same id as one of ours under Kodi's name for no type."""
    extra = ('<uniqueid type="unknown" default="true">3254641</uniqueid>',
             '<uniqueid type="tvmaze">4952</uniqueid>')  # fmt: skip
    block = etree.fromstring(render_episodes([replace(EPISODES[0], extra=extra)]).split(b"?>")[1])
    ids = [(u.get("type"), u.text) for u in block.iterfind("uniqueid")]
    assert ids == [("tmdb", "63056"), ("tvdb", "3254641"), ("tvmaze", "4952")]


def test_episode_guide_json():
    assert (
        episode_guide(1399, 121361, "tt0944947")
        == '{"tmdb":"1399","tvdb":"121361","imdb":"tt0944947"}'
    )
    assert episode_guide(None, 121361, None) == '{"tvdb":"121361"}'
    assert episode_guide(None, None, "nonsense") is None


def test_a_multi_episode_nfo_has_one_declaration_and_a_block_per_episode():
    text = render_episodes(EPISODES).decode()
    assert text.count("<?xml") == 1
    assert text.count("<episodedetails>") == 2
    with pytest.raises(ValueError):
        render_episodes([])


@pytest.mark.parametrize(
    ("name", "season", "episodes", "warned"),
    [
        ("Show - S01E01 - Pilot.mkv", 1, [1], False),
        ("Show S01E04E05.mkv", 1, [4, 5], False),
        ("Show - 1x03 - Bag.mkv", 1, [3], False),
        ("Show - S02E01-E03.mkv", 2, [1, 2, 3], True),
        ("Show - S02E01-03.mkv", 2, [1, 2, 3], True),
        ("Show - S01E01-E02.mkv", 1, [1, 2], False),
        ("Show - 2024-03-05 - Guest.mkv", 2024, [], False),
    ],
)
def test_names_kodi_would_misread(name, season, episodes, warned):
    assert bool(tv_layout.misread_warning(name, season, episodes)) is warned


@pytest.mark.parametrize(
    ("name", "season", "episodes", "kodi"),
    [
        # anime with absolute numbers, identified through the absolute order (kodi-tv.md §6:
        # Kodi turns 1050 into S10E50, `- 001 -` into a special, and an NFO cannot fix it)
        ("One Piece - 1050 [1080p].mkv", 21, [159], "Kodi numbers it S10E50"),
        ("[SubsPlease] One Piece - 1050 (1080p) [ABCD1234].mkv", 21, [159], "S10E50"),
        ("Naruto - 001 - Enter Naruto.mkv", 1, [1], "Kodi numbers it S00E01"),
        ("名探偵コナン 第195話.mkv", 9, [12], "Kodi skips it"),
        ("Show - 05 - Title.mkv", 2, [5], "Kodi skips it"),
        ("Show - Episode 5.mkv", 1, [5], "Kodi skips it"),  # `Episode` is no `e5` to Kodi
        # Sonarr's names: Kodi's loop goes on past the episode (`-720` is E720 to it)
        ("kill-roy-was-here-e07-720p.mkv", 1, [7], "Kodi numbers it S01E07E720"),
        ("[Jumonji-Giri]_[F-B]_Series_Title_Ep04_(0b0e2c10).mkv", 1, [4], "S01E04E02"),
    ],
)
def test_absolute_and_bare_names_kodi_would_misread_or_skip_are_warned_about(
    name, season, episodes, kodi
):
    warning = tv_layout.misread_warning(name, season, episodes)
    named = f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)
    assert warning and kodi in warning and named in warning, warning


@pytest.mark.parametrize(
    ("name", "season", "episodes"),
    [
        ("Show - E05 - Title.mkv", 1, [5]),  # Kodi's `e05` rule, season 1: the same
        ("Show.Ep.05.mkv", 1, [5]),
        ("Mini Series Part 2.mkv", 1, [2]),  # its Part rule
        ("Mini.Series.Pt.VI.mkv", 1, [6]),
        ("Show 1003 Title.mkv", 10, [3]),  # `foo.1003`: S10E03, as read
        ("Show - 2024-03-05 - Guest.mkv", 2024, [12]),  # by its air date
        # multi-episode names of Sonarr's MultiEpisodeParserFixture: Kodi's loop reads every
        # episode with the rule that matched (they were warned as S01E03 alone, not S01E03E04)
        ("Series.Title.103.104.720p.HDTV.X264-DIMENSION.mkv", 1, [3, 4]),
        ("Series.Title.E07-E08.180612.1080p-NEXT.mkv", 1, [7, 8]),
        ("8x01_02 - Free Falling.mkv", 8, [1, 2]),
        ("2x04x05.720p.BluRay-FUTV.mkv", 2, [4, 5]),
    ],
)
def test_names_kodi_reads_alike_by_its_other_rules_are_not_warned_about(name, season, episodes):
    assert tv_layout.misread_warning(name, season, episodes) is None


def test_a_day_first_date_is_warned_about():
    warning = tv_layout.misread_warning("Show - 05.03.2024 - Guest.mkv", None, [], "2024-03-05")
    assert warning and "month.day.year" in warning


@pytest.mark.parametrize(
    "name, aired",
    [
        # scene daily names: Kodi's yyyy.mm.dd rule reads them; `03.05.1080` (the resolution
        # after the date) was taken for Kodi's mm.dd.yyyy reading and warned about
        ("The.Daily.Show.2024.03.05.1080p.WEB.h264-EDITH.mkv", "2024-03-05"),
        ("Show.2024-03-05.1080p.WEB.mkv", "2024-03-05"),
        ("Show - 2024-03-05 - Guest WEBDL-1080p.mkv", "2024-03-05"),
    ],
)
def test_dates_kodi_reads_first_are_not_warned_about(name, aired):
    assert tv_layout.misread_warning(name, None, [], aired) is None


@pytest.mark.parametrize(
    "name, aired, kodi",
    [
        # Sonarr DailyEpisodeParserFixture: no . or - between the parts, so no Kodi date rule
        # reads it and its "foo.103" rule numbers it
        ("Series Title 2011 04 18 Emma Roberts HDTV XviD BFF.mkv", "2011-04-18", "S20E11"),
        # no 25th month: Kodi's mm.dd.yyyy rule gives no date and the year is read as S20E24
        ("Show - 25.03.2024 - Guest.mkv", "2024-03-25", "S20E24"),
    ],
)
def test_dates_kodi_does_not_read_are_warned_about(name, aired, kodi):
    warning = tv_layout.misread_warning(name, None, [], aired)
    assert warning and "Kodi reads no air date" in warning and kodi in warning


def test_season_art_names():
    assert tv_layout.season_art_name(1, "poster", "jpg") == "season01-poster.jpg"
    assert tv_layout.season_art_name(12, "banner", "png") == "season12-banner.png"
    assert tv_layout.season_art_name(0, "fanart", "jpg") == "season-specials-fanart.jpg"
    assert (
        tv_layout.all_seasons_art_name("season-all-landscape", "jpg") == "season-all-landscape.jpg"
    )
    assert tv_layout.show_art_name("fanart", 2, "jpg") == "fanart1.jpg"


def test_a_users_element_full_of_scraper_urls_is_written_in_one_pass():
    """A user's tvshow.nfo or episode block (under the 5 MB limit) whose kept element repeats
    `thetvdb.com/` and `imdb.com/title/tt1` (Kodi's scrapers would take the first as the
    show's URL): each slash is written `&#47;` as before, but each replacement searched and
    rebuilt the whole text again, 300,000 times (hours of one publish, the show's lease
    lost)."""
    count = 150_000
    note = "<note>" + "thetvdb.com/ imdb.com/title/tt1 " * count + "</note>"
    text = render_tvshow(replace(SHOW, extra=(note,))).decode()
    assert text.count("thetvdb.com&#47; imdb.com&#47;title/tt1 ") == count
    assert "thetvdb.com/" not in text and "imdb.com/title" not in text
    episode = render_episodes([replace(EPISODES[0], extra=(note,))]).split(b"?>", 1)[1]
    [kept] = etree.fromstring(episode).iter("note")
    assert kept.text.count("thetvdb.com/ imdb.com/title/tt1") == count  # same value when read


def test_a_multi_episode_nfo_says_its_own_last_episode_never_the_users_stale_one():
    """Jellyfin's EpisodeNfoSaver writes a two-episode file's NFO as one block with
    `<episodenumberend>2</episodenumberend>` (MediaBrowser.XbmcMetadata/Savers/EpisodeNfoSaver.cs);
    Jellyfin's EpisodeNfoParser takes it from the first block and then the largest of it and the
    later blocks' `<episode>`, Emby's reads the first block only. A value kept from the user's
    NFO after the file was split or renumbered (E01-E03 once, E01E02 now) would show 1-3: the
    first block says the file's real last episode, no block repeats the user's."""
    stale = ("<episodenumberend>3</episodenumberend>", "<playcount>1</playcount>")
    both = [replace(EPISODES[0], extra=stale), replace(EPISODES[1], extra=stale)]
    first, second = _blocks(render_episodes(both))
    assert [e.text for e in first.iter("episodenumberend")] == ["2"]
    assert first.findtext("playcount") == "1"  # the rest of the user's block stays
    assert second.find("episodenumberend") is None and second.findtext("playcount") == "1"
    # a file of one episode now (split): no range at all
    (alone,) = _blocks(render_episodes([both[0]]))
    assert alone.find("episodenumberend") is None


def _blocks(data: bytes) -> list[etree._Element]:
    return list(etree.fromstring(b"<all>" + data.split(b"?>", 1)[1] + b"</all>"))


def test_a_specials_place_is_written_as_kodi_and_sonarr_write_it():
    """Sonarr's Kodi metadata (`Extras/Metadata/Consumers/Xbmc/XbmcMetadata.cs`): a season-0
    episode aired after a season gets `<displayafterseason>`, else one aired before an episode
    `<displayseason>` + `<displayepisode>`; Kodi's `ParseNative` and Jellyfin's
    `EpisodeNfoParser` read those names. The user's own placement is kept instead of ours."""

    def block(ep: EpisodeData) -> etree._Element:
        return etree.fromstring(render_episodes([ep]).split(b"?>", 1)[1])

    special = EpisodeData(title="Special", show_title="Show", season=0, episode=3)
    after = block(replace(special, placement={"after_season": 2}))
    assert after.findtext("displayafterseason") == "2" and after.find("displayseason") is None
    before = block(replace(special, placement={"before_season": 3, "before_episode": 4}))
    assert (before.findtext("displayseason"), before.findtext("displayepisode")) == ("3", "4")
    assert before.find("displayafterseason") is None
    users = block(
        replace(special, placement={"after_season": 2}, extra=("<displayseason>5</displayseason>",))
    )
    assert (
        users.findall("displayseason")[0].text == "5" and users.find("displayafterseason") is None
    )
    assert len(users.findall("displayseason")) == 1
    regular = block(replace(special, season=1, placement={"before_season": 1}))
    assert regular.find("displayseason") is None  # only a special is placed


def test_kodis_no_place_of_minus_one_does_not_keep_a_special_from_its_place():
    """Kodi's export (`CVideoInfoTag::Save`), MediaElch and tinyMediaManager write
    `<displayseason>-1</displayseason><displayepisode>-1</displayepisode>` into every block
    (tests/nfo/tmm-tvshowepisode-kodi14.2.nfo, mediaelch-kodi_v18_episode_American_Dad...):
    -1 places nothing, but it was taken for the user's own placement, so a special of such a
    library never got TheTVDB's place, and Jellyfin, reading every element, met the -1 last."""
    from pathlib import Path

    from metarrd.scan.tv_nfo import read_episode_nfo

    nfo = Path(__file__).resolve().parents[1] / "nfo" / "tmm-tvshowepisode-kodi14.2.nfo"
    users = tuple(read_episode_nfo(nfo)[0].data.unknown_elements)
    assert "<displayseason>-1</displayseason>" in users
    special = EpisodeData(title="Special", show_title="Show", season=0, episode=3, extra=users)
    block = etree.fromstring(
        render_episodes(
            [replace(special, placement={"before_season": 3, "before_episode": 4})]
        ).split(b"?>", 1)[1]
    )
    assert [e.text for e in block.iterfind("displayseason")] == ["3"]
    assert [e.text for e in block.iterfind("displayepisode")] == ["4"]
    kept = etree.fromstring(render_episodes([special]).split(b"?>", 1)[1])  # no place of ours
    assert kept.findtext("displayseason") == "-1"


def test_an_episodes_production_code_replaces_the_users_and_the_users_stays_without_one():
    """`<code>` (Kodi's production code, kodi-tv.md 2.4) is written once: TMDB's in place of
    the user's block's (MediaElch's "2ACV01"), the user's kept when TMDB has none."""

    def codes(ep: EpisodeData) -> list[str]:
        block = etree.fromstring(render_episodes([ep]).split(b"?>", 1)[1])
        return [el.text for el in block.iter("code")]

    users = replace(EPISODES[0], extra=("<code>2ACV01</code>",))
    assert codes(replace(users, code="1ACV01")) == ["1ACV01"]
    assert codes(users) == ["2ACV01"]
    assert codes(replace(EPISODES[0], code="1ACV01")) == ["1ACV01"]
