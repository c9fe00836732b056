"""An episode NFO's untyped `uniqueid` (Kodi 17's export: `<uniqueid>N</uniqueid>`; a library
carried into Kodi 18 exports it as `type="unknown"`) is the episode id of whichever scraper
wrote the episode: TheTVDB's, but AniDB's or TMDB's as well. It joins the file to a TheTVDB
episode only when the tvshow.nfo's episode guide is TheTVDB's, or when TheTVDB's episode of
that id is this show's with the block's numbers or title (docs/tv.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.identify import identify_item
from metarrd.scan import scan

from .conftest import put
from .test_show_nfo_unnamed_ids import ANIDB_SHOW, KODI17_UNIQUEID


def kodi17_episode(title: str, season: int, number: int, uniqueid: str) -> str:
    """An episode as Kodi 17's CVideoInfoTag::Save exports it (the element order and the empty
    `<id>` of tests/nfo/tmm-tvshowepisode-kodi14.2.nfo, tinyMediaManager's sample): the
    scraper's episode id as a `<uniqueid>` without a type."""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<episodedetails>
    <title>{title}</title>
    <showtitle>?</showtitle>
    <rating>0.000000</rating>
    <epbookmark>0.000000</epbookmark>
    <year>0</year>
    <top250>0</top250>
    <season>{season}</season>
    <episode>{number}</episode>
    {uniqueid}
    <displayseason>-1</displayseason>
    <displayepisode>-1</displayepisode>
    <votes>0</votes>
    <outline></outline>
    <plot></plot>
    <id></id>
    <playcount>0</playcount>
</episodedetails>
"""


@pytest.fixture
def tv_catalog():
    from metarrd.simulator.tv_catalog import load_tv_catalog

    return load_tv_catalog()


def _identified(tv_rt, root: Path, folder: str, rel: str) -> db.Movie:
    scan(tv_rt)
    show = db.Movie.get(db.Movie.path == str(root / folder))
    identify_item(tv_rt, show)
    return db.Movie.get(db.Movie.path == str(root / rel))


@pytest.mark.parametrize("typed", ["", ' type="unknown" default="true"'], ids=["kodi17", "kodi18"])
def test_an_anidb_episode_id_is_not_read_as_thetvdbs(tv_rt, tmp_path, tv_catalog, typed):
    """Kodi's AniDB scraper wrote Naruto (its tvshow.nfo's guide is AniDB's) and each episode's
    AniDB id untyped. A number that TheTVDB also has, as the id of another episode of the show
    (AniDB's and TheTVDB's episode ids share a range: the 21 Jump Street sample above has
    250800), joined `S01E08 - The Oath of Pain` to TheTVDB's S01E01 "Enter: Naruto Uzumaki!"."""
    naruto = tv_catalog.get(46260)
    first, oath = naruto.episode(1, 1), naruto.episode(1, 8)
    root = tmp_path / "tv"
    put(root, rel := "Naruto/Season 01/Naruto - S01E08.mkv")
    (root / "Naruto" / "tvshow.nfo").write_text(ANIDB_SHOW.format(uniqueid=KODI17_UNIQUEID))
    uniqueid = f"<uniqueid{typed}>{first.tvdb_id}</uniqueid>"
    (root / rel).with_suffix(".nfo").write_text(kodi17_episode("The Oath of Pain", 1, 8, uniqueid))
    item = _identified(tv_rt, root, "Naruto", rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tmdb_id, item.tvdb_id) == (oath.tmdb_id, oath.tvdb_id)
    assert item.episode_refs[0]["title"] == "The Oath of Pain"


def test_a_block_scanned_before_is_held_to_the_show_too(tv_rt, tmp_path, tv_catalog):
    """An episode scanned by an earlier version, unchanged since (a scan does not read it
    again), has no word of which of its NFO's ids name no site: its TheTVDB id is checked as
    an untyped one is (the AniDB-scraped Naruto above), not taken on trust."""
    naruto = tv_catalog.get(46260)
    first, oath = naruto.episode(1, 1), naruto.episode(1, 8)
    root = tmp_path / "tv"
    put(root, rel := "Naruto/Season 01/Naruto - S01E08.mkv")
    (root / "Naruto" / "tvshow.nfo").write_text(ANIDB_SHOW.format(uniqueid=KODI17_UNIQUEID))
    uniqueid = f"<uniqueid>{first.tvdb_id}</uniqueid>"
    (root / rel).with_suffix(".nfo").write_text(kodi17_episode("The Oath of Pain", 1, 8, uniqueid))
    scan(tv_rt)
    item = db.Movie.get(db.Movie.path == str(root / rel))
    hints = dict(item.hints)
    hints["nfo_episodes"] = [
        {k: v for k, v in b.items() if k != "unnamed"} for b in hints["nfo_episodes"]
    ]
    db.Movie.update(hints=hints).where(db.Movie.id == item.id).execute()
    item = _identified(tv_rt, root, "Naruto", rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tmdb_id, item.tvdb_id) == (oath.tmdb_id, oath.tvdb_id)


def test_an_unnamed_id_does_not_keep_a_special_from_its_title(tv_rt, tmp_path, tv_catalog):
    """Sonarr named TheTVDB's special S00E01 "Inside Breaking Bad"; Kodi 17's TMDB scraper
    matched the file by its numbers to TMDB's S00E01 ("Good Cop Bad Cop") and its export wrote
    that episode's TMDB id untyped. Read as a TheTVDB id that no episode of the show has, it
    kept the title in the name from joining TheTVDB's special: the file took TMDB's S00E01."""
    bb = tv_catalog.get(1396)
    tmdbs = bb.episode(0, 1)
    inside = next(e for e in bb.tvdb_extra if (e.tvdb_season, e.tvdb_number) == (0, 1))
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01.mkv")
    put(root, rel := "Breaking Bad (2008)/Specials/Breaking Bad - S00E01 - Inside Breaking Bad.mkv")
    nfo = kodi17_episode(tmdbs.title, 0, 1, f"<uniqueid>{tmdbs.tmdb_id}</uniqueid>")
    (root / rel).with_suffix(".nfo").write_text(nfo)
    item = _identified(tv_rt, root, "Breaking Bad (2008)", rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tvdb_id, item.tmdb_id) == (inside.tvdb_id, None)


THETVDB_SHOW = (  # Kodi 14/17's TheTVDB scraper, as tests/nfo/tmm-tvshow-kodi17.0.nfo
    '<tvshow><title>Firefly</title><episodeguide><url cache="78874-en.xml">'
    "http://thetvdb.com/api/1D62F2F90030C444/series/78874/all/en.zip</url>"
    "</episodeguide><id>78874</id>"
    '<uniqueid type="unknown" default="true">78874</uniqueid></tvshow>'
)


@pytest.mark.parametrize(
    ("guide", "tvdb"),
    [(True, True), (False, True), (True, False)],
    ids=["thetvdb-guide", "no-tvshow-nfo", "thetvdb-guide-without-thetvdb"],
)
def test_kodis_thetvdb_scrapers_untyped_ids_still_join(
    tv_rt, tmp_path, tv_catalog, monkeypatch, guide, tvdb
):
    """Kodi 14/17's TheTVDB scraper: TheTVDB-numbered files, each episode's TheTVDB id untyped.
    With its tvshow.nfo (TheTVDB's v1 zip as the guide) the id is TheTVDB's, joined by TMDB's
    `/find` even without TheTVDB; without one, TheTVDB's episode of that id has the block's
    numbers."""
    firefly = tv_catalog.get(1437)
    train = next(e for e in firefly.episodes if e.tvdb_numbers("official") == (1, 1))
    root = tmp_path / "tv"
    folder = "Firefly (2002)"
    put(root, rel := f"{folder}/Season 01/Firefly - S01E01.mkv")
    if guide:
        (root / folder / "tvshow.nfo").write_text(THETVDB_SHOW)
    nfo = kodi17_episode("?", 1, 1, f"<uniqueid>{train.tvdb_id}</uniqueid>")
    (root / rel).with_suffix(".nfo").write_text(nfo)
    if not tvdb:
        real = type(tv_rt).client
        monkeypatch.setattr(  # no [providers.tvdb] api_key
            type(tv_rt), "client", lambda self, name: None if name == "tvdb" else real(self, name)
        )
    item = _identified(tv_rt, root, folder, rel)
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert (item.tvdb_id, item.tmdb_id) == (train.tvdb_id, train.tmdb_id)
