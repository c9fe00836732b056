"""A season folder's `season.nfo`, which Jellyfin and Emby read for a season's name, plot and
date (Kodi reads none: it takes season names from tvshow.nfo's `<namedseason>` alone).

What the players do, from their sources (jellyfin/jellyfin):
- `MediaBrowser.XbmcMetadata/Providers/SeasonNfoProvider.cs`: `Path.Combine(info.Path,
  "season.nfo")`, the season's path being its folder;
- `Emby.Server.Implementations/Library/Resolvers/TV/SeasonResolver.cs`: a season has that path
  only when its folder's name parses as a season's (`IsSeasonFolder`); a flat show's seasons
  have none;
- `MediaBrowser.XbmcMetadata/Parsers/SeasonNfoParser.cs` + `BaseNfoParser.cs`: root `<season>`,
  `seasonnumber`, `title`/`seasonname`, `plot`, `premiered` (or `aired`, `releasedate`), `year`;
- `MediaBrowser.XbmcMetadata/Savers/SeasonNfoSaver.cs` + `BaseNfoSaver.cs`: what Jellyfin writes
  back over it when its NFO saver is on (`<plot>`, `<lockdata>`, `<dateadded>`, `<title>`,
  `<year>`, `<premiered>`, `<releasedate>`, `<seasonnumber>` last).
Sonarr #8671 asks for it; tinyMediaManager writes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.publish import preview_publish, publish_item, settle_unit
from metarrd.scan import scan
from tests.publish.tvshow import build_show, tv_runtime

FILES = {
    "Season 01/Breaking Bad - S01E01 - Pilot.mkv": (1, [1]),
    "Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv": (2, [1]),
    "Season 02/Breaking Bad - S02E02 - Grilled.mkv": (2, [2]),
}
PLOT = "Walt and Jesse try to find a way to get their product to the masses."


@pytest.fixture
def trt(tmp_path):
    rt = tv_runtime(tmp_path)
    yield rt
    rt.close()


def named_second_season(trt):
    """A show in Sonarr's layout (`Season 01/`, `Season 02/`) whose season 2 has TMDB's name,
    plot and air date (as enrich leaves them: nothing locked)."""
    built = build_show(trt, files=FILES)
    db.Movie.update(title="The Second", plot=PLOT, premiered="2009-03-08").where(
        db.Movie.id == built.seasons[2].id
    ).execute()
    return built


def season_nfo(built, folder: str) -> etree._Element:
    return etree.parse(str(built.path(f"{folder}/season.nfo"))).getroot()


def test_each_season_folder_gets_its_season_nfo(trt):
    """Before, the season's plot and date (TMDB's, or edited on the review page) reached no
    player: Kodi takes only the name, from tvshow.nfo."""
    built = named_second_season(trt)
    plan = preview_publish(trt, built.show)
    listed = {a.path: a.action for a in plan.actions}
    for folder in ("Season 01", "Season 02"):
        assert listed[built.path(f"{folder}/season.nfo")] == "write"  # the preview says so

    publish_item(trt, built.show)

    second = season_nfo(built, "Season 02")
    assert second.tag == "season"
    assert [(el.tag, el.text) for el in second] == [
        ("seasonnumber", "2"),
        ("title", "The Second"),
        ("plot", PLOT),
        ("premiered", "2009-03-08"),
        ("year", "2009"),
    ]
    first = season_nfo(built, "Season 01")
    assert [(el.tag, el.text) for el in first] == [("seasonnumber", "1")]  # "Season 1": no name
    ledger = {Path(r.path): r.movie_id for r in db.LibraryFile.select()}
    for folder in ("Season 01", "Season 02"):
        assert ledger[built.path(f"{folder}/season.nfo")] == built.show.id
    again = publish_item(trt, built.reload())
    assert again.written == [] and not preview_publish(trt, built.reload()).changes


def test_a_flat_show_gets_no_season_nfo_and_no_folder(trt):
    """All episodes in the show folder (no season folders): Jellyfin's seasons have no folder,
    so no path to read a season.nfo from; none is written and no folder is made for one."""
    files = {"Breaking Bad - S01E01.mkv": (1, [1]), "Breaking Bad - S02E01.mkv": (2, [1])}
    built = build_show(trt, files=files)
    publish_item(trt, built.show)
    assert not list(built.folder.rglob("season.nfo"))
    assert [p for p in built.folder.iterdir() if p.is_dir()] == [built.path(".actors")]


def test_a_folder_not_named_for_its_season_gets_none(trt):
    """`Breaking Bad/Part One/...S01E01.mkv`: Jellyfin does not take `Part One` for a season
    folder (SeasonPathParser), so it would read no season.nfo there."""
    built = build_show(trt, files={"Part One/Breaking Bad - S01E01.mkv": (1, [1])})
    publish_item(trt, built.show)
    assert not built.path("Part One/season.nfo").exists()


def test_our_season_nfo_read_back_by_the_scan_changes_nothing(trt):
    """The round trip: scanned again, our own season.nfo (in the ledger) is not taken for the
    user's. Rewritten by Jellyfin's NFO saver with the same values it read from ours, it is read,
    and values the season already has are no edit of the user's: nothing is locked (enrich keeps
    updating them) and the show does not ask to be republished. Before, the name and plot of
    Jellyfin's rewrite were locked on the season as if the user had typed them."""
    built = named_second_season(trt)
    publish_item(trt, built.show)
    scan(trt)
    season = db.Movie.get_by_id(built.seasons[2].id)
    assert (season.title, season.plot, season.locked_fields or []) == ("The Second", PLOT, [])
    assert built.reload().publish_state == db.PUBLISHED
    assert not preview_publish(trt, built.reload()).changes

    # as Jellyfin's SeasonNfoSaver writes it (BaseNfoSaver's order), from what it read in ours
    jellyfins = (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<season>\n'
        f"  <plot><![CDATA[{PLOT}]]></plot>\n  <outline><![CDATA[{PLOT}]]></outline>\n"
        "  <lockdata>false</lockdata>\n  <dateadded>2024-05-06 07:08:09</dateadded>\n"
        "  <title>The Second</title>\n  <year>2009</year>\n"
        "  <premiered>2009-03-08</premiered>\n  <releasedate>2009-03-08</releasedate>\n"
        "  <seasonnumber>2</seasonnumber>\n</season>"
    )
    path = built.path("Season 02/season.nfo")
    path.write_text(jellyfins, "utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    scan(trt)
    season = db.Movie.get_by_id(built.seasons[2].id)
    assert (season.title, season.plot, season.locked_fields or []) == ("The Second", PLOT, [])
    assert built.reload().publish_state == db.PUBLISHED


def test_publishing_one_episode_leaves_the_other_seasons_season_nfo(trt):
    """An episode of a published show publishes alone; the season.nfo of another season is
    no sidecar of a gone video (`season` names no episode file) and stays."""
    built = named_second_season(trt)
    publish_item(trt, built.show)
    second = built.path("Season 02/season.nfo")
    before = second.read_bytes()
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    db.Movie.update(plot="A new plot.").where(db.Movie.id == pilot.id).execute()
    result = publish_item(trt, db.Movie.get_by_id(pilot.id))
    assert result.removed == []
    assert second.read_bytes() == before
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(second)) is not None


def test_a_fifo_at_season_nfo_skips_only_it(trt):
    built = named_second_season(trt)
    fifo = built.path("Season 02/season.nfo")
    os.mkfifo(fifo)
    result = publish_item(trt, built.show)
    assert fifo.is_fifo()
    assert any("Season 02/season.nfo is a FIFO" in n for n in result.skipped)
    assert built.path("Season 01/season.nfo").is_file()
    assert built.path("tvshow.nfo").is_file()


def test_a_season_plot_edited_after_publish_asks_to_republish_and_lands(trt):
    """The review page's edit of a season's plot and date marks the show "Republish?". Before,
    no file held them, so the check whether its files are already as a publish would write them
    (`settle_unit`) called the show "Published" again and the edit reached no player."""
    built = named_second_season(trt)
    publish_item(trt, built.show)
    season = built.seasons[2]
    db.Movie.update(plot="Edited by hand.", premiered="2009-03-01").where(
        db.Movie.id == season.id
    ).execute()
    db.mark_outdated(season.id)
    assert not settle_unit(trt, built.show.id)
    assert built.reload().publish_state == db.OUTDATED
    publish_item(trt, built.reload())
    second = season_nfo(built, "Season 02")
    assert (second.findtext("plot"), second.findtext("premiered")) == (
        "Edited by hand.",
        "2009-03-01",
    )
