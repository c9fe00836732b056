"""A daily show's season folder named as an ITEM (`metarrd enrich "The Daily Show/Season 29"`):
its files are named by air date (Sonarr's daily episode format, `{Series Title} - {Air-Date} -
{Episode Title}`, in its `Season {season}` folder), so their season is the one identify matched
(`Movie.episode_numbers`), not a number in their names. That folder names the season item
identify made for them, as a numbered show's `Season 01` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.cli import UsageError, resolve_item

from .conftest import put
from .test_daily_parts import _scan_and_identify


def test_a_daily_shows_season_folder_names_its_season(tv_rt, tmp_path):
    show_dir = tmp_path / "tv" / "The Daily Show"
    for name in (
        "The Daily Show - 2024-01-09 - Chef 2.mkv",
        "The Daily Show 2024-02-15 Part 2.mkv",
    ):
        put(tmp_path / "tv", f"The Daily Show/Season 29/{name}")
    put(tmp_path / "tv", "The Daily Show/Unsorted/The Daily Show - 2024-01-09.mkv")
    _scan_and_identify(tv_rt)
    episodes = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert [e.episode_numbers()[0] for e in episodes] == [29, 29, 29]
    season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 29)

    assert resolve_item(f"{show_dir}/Season 29").id == season.id
    assert resolve_item(f"{show_dir}/Season 29/").id == season.id
    assert resolve_item(f"{show_dir}/Unsorted").id == season.id


def test_a_folder_of_daily_episodes_not_identified_yet_says_to_give_the_show(tv_rt, tmp_path):
    """Scanned, not identified: no season known for them yet; the show is what to give."""
    from metarrd.scan import scan

    put(tmp_path / "tv", "The Daily Show/Season 29/The Daily Show - 2024-01-09 - Chef 2.mkv")
    scan(tv_rt)
    with pytest.raises(UsageError, match="holds episodes with no season number of show item"):
        resolve_item(f"{tmp_path}/tv/The Daily Show/Season 29")


def test_a_daily_shows_year_folder_gets_its_seasons_nfo_and_art_the_players_read(tv_rt, tmp_path):
    """Sonarr files a daily show in `Season {season}` of TheTVDB's aired order, the year
    (`The Daily Show/Season 2024/`); in TMDB's order those episodes are season 29. Kodi keeps
    the numbers of the episode NFO for a file it matched by date (kodi-tv.md §1.2): season 29,
    whose art it reads in the show folder as `season29-poster.jpg` (§2.3), so that art is
    right. Jellyfin makes the folder a season by its name, season 2024 (`SeasonPathParser`:
    "Season 2009" is 2009), and takes its number and metadata from `season.nfo` there
    (`SeasonNfoParser`: `<seasonnumber>` sets its IndexNumber): the folder got none, its
    episodes had no season of their own name, so it stayed season 2024, unnamed and without
    the art of season 29. It gets season 29's `season.nfo`."""
    from lxml import etree

    from metarrd.enrich.tv import enrich_show
    from metarrd.publish import publish_item

    show_dir = tmp_path / "tv" / "The Daily Show"
    for name in ("The Daily Show - 2024-01-09 - Chef 2.mkv", "The Daily Show 2024-02-15.mkv"):
        put(tmp_path / "tv", f"The Daily Show/Season 2024/{name}")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))

    episode_nfo = etree.parse(
        str(show_dir / "Season 2024/The Daily Show - 2024-01-09 - Chef 2.nfo")
    )
    assert episode_nfo.findtext("season") == "29"
    assert (show_dir / "season29-poster.jpg").is_file()  # Kodi's name for season 29's poster
    assert not list(show_dir.glob("season2024*"))
    season_nfo = etree.parse(str(show_dir / "Season 2024/season.nfo")).getroot()
    assert season_nfo.tag == "season" and season_nfo.findtext("seasonnumber") == "29"
    # no copy of the season's art in the folder: Jellyfin reads `season29-*` in the show folder
    # from the season's next refresh on (the refresh that reads season.nfo looked for images
    # first, by the path's 2024), Kodi reads no art in a season folder, Plex looks for
    # `season2024-*` (docs/tv.md, "Publish")
    inside = {p.name for p in (show_dir / "Season 2024").iterdir()}
    assert {n for n in inside if not n.startswith("The Daily Show")} == {"season.nfo"}


def test_the_year_folders_season_nfo_names_season_29_and_its_own_folder_keeps_no_title(
    tv_rt, tmp_path
):
    """Jellyfin names a season by its folder's number (`SeasonResolver`: "Season 2024" for
    `Season 2024/`) and keeps that name when `season.nfo`'s `<seasonnumber>` makes it 29; only
    a `<title>` there renames it (`BaseNfoParser`: `title` sets the item's Name), so season 29
    was labelled "Season 2024". Its season.nfo names it; a folder of the same season whose
    name gives its number (`Season 29/`) keeps no `<title>` for a generic name: Jellyfin's
    default there, in the user's language, is right. Kodi reads no season.nfo (kodi-tv.md
    §2.3): its season names come from tvshow.nfo's `<namedseason>`."""
    from lxml import etree

    from metarrd.enrich.tv import enrich_show
    from metarrd.publish import publish_item

    show_dir = tmp_path / "tv" / "The Daily Show"
    put(tmp_path / "tv", "The Daily Show/Season 2024/The Daily Show - 2024-01-09 - Chef 2.mkv")
    put(tmp_path / "tv", "The Daily Show/Season 29/The Daily Show 2024-01-10.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))

    year = etree.parse(str(show_dir / "Season 2024/season.nfo")).getroot()
    assert (year.findtext("seasonnumber"), year.findtext("title")) == ("29", "Season 29")
    own = etree.parse(str(show_dir / "Season 29/season.nfo")).getroot()
    assert (own.findtext("seasonnumber"), own.find("title")) == ("29", None)


def test_season_29s_nfo_in_the_year_folder_is_its_file_once_the_season_is_hidden(tv_rt, tmp_path):
    """Season 29 left without files (its date files matched to no episode now: another
    episode order, or the show changed) is hidden, and what publish wrote for it goes. Its
    `season.nfo` in `Season 2024/` was not counted as its file (the folder's name gives 2024):
    with that folder read-only the file stays, Jellyfin keeps showing the folder as season 29,
    and the season was made "Unpublished" all the same, without a word; an episode published
    alone left that file too. The NFO says which season it is (`<seasonnumber>29`): it is
    season 29's, to remove, or to stay saying why."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.publish import publish_item
    from tests.publish.conftest import read_only

    show_dir = tmp_path / "tv" / "The Daily Show"
    for name in ("The Daily Show - 2024-01-09 - Chef 2.mkv", "The Daily Show 2024-02-15.mkv"):
        put(tmp_path / "tv", f"The Daily Show/Season 2024/{name}")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))
    nfo = show_dir / "Season 2024/season.nfo"
    assert nfo.is_file()
    season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 29)
    assert season.publish_state == db.PUBLISHED
    M = db.Movie
    M.update(episode_refs=[]).where(M.kind == db.EPISODE).execute()
    M.update(missing=True).where(M.id == season.id).execute()

    with read_only(show_dir / "Season 2024"):
        result = publish_item(tv_rt, db.Movie.get_by_id(show.id))
        assert nfo.is_file()
    assert not (show_dir / "season29-poster.jpg").exists()  # the show folder can be written
    assert any("holds no episode file now" in n for n in result.skipped)
    left = db.Movie.get_by_id(season.id)
    assert left.publish_state == db.OUTDATED
    assert "cannot write into" in left.last_error and "Season 2024" in left.last_error

    result = publish_item(tv_rt, db.Movie.get_by_id(show.id))  # writable again
    assert not nfo.exists()
    assert db.Movie.get_by_id(season.id).publish_state == db.UNPUBLISHED


def test_an_episode_published_alone_takes_the_hidden_season_29s_nfo_from_the_year_folder(
    tv_rt, tmp_path
):
    """Another order puts the date files of `Season 2024/` in another season (here 30), and
    season 29 is left without files, hidden. The episode page's Publish, on the published
    show, removes what publish wrote for season 29: its `season29-poster.jpg`, and its
    `season.nfo` in `Season 2024/`, which says 29 (it was left, and Jellyfin went on numbering
    the folder 29 beside episode NFOs saying 30)."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.publish import publish_item

    show_dir = tmp_path / "tv" / "The Daily Show"
    name = "The Daily Show - 2024-01-09 - Chef 2.mkv"
    put(tmp_path / "tv", f"The Daily Show/Season 2024/{name}")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))
    nfo = show_dir / "Season 2024/season.nfo"
    assert nfo.is_file() and (show_dir / "season29-poster.jpg").is_file()
    M = db.Movie
    episode = M.get(M.kind == db.EPISODE)
    refs = [{**r, "season": 30} for r in episode.episode_refs]
    M.update(episode_refs=refs).where(M.id == episode.id).execute()
    M.update(missing=True).where(M.kind == db.SEASON, M.season == 29).execute()

    result = publish_item(tv_rt, M.get_by_id(episode.id))
    assert not nfo.exists()
    assert not (show_dir / "season29-poster.jpg").exists()
    assert "season.nfo" in {Path(p).name for p in result.removed}
    assert (show_dir / f"Season 2024/{Path(name).stem}.nfo").is_file()  # its episode's
