"""A season's own art in its season folder, as the tools a library is migrated from wrote it:
Jellyfin's image saver ("save artwork into media folders", its default convention) writes a
season's poster as `Season 1/folder.jpg` and its backdrop as `Season 1/backdrop.jpg`
(ImageSaver.GetStandardSavePath: the season's own folder); tinyMediaManager's "season folder"
naming writes `Season 01/season01.jpg` (TvShowSeasonPosterNaming.SEASON_FOLDER). The scan read
season art in the show folder only (`season01-poster.jpg`): these were never offered, and our
`season01-poster.jpg`, which Jellyfin reads before the season folder's
(LocalImageProvider.PopulateSeasonImagesFromSeriesFolder first), replaced the user's choice
in every player."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PIL import Image

from metarrd import db

from .conftest import put

NFO = Path(__file__).resolve().parent.parent / "nfo"
JELLYFIN_SHOW = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<tvshow>
  <plot><![CDATA[The Doctor travels through time and space.]]></plot>
  <lockdata>false</lockdata>
  <dateadded>2023-04-01 10:00:00</dateadded>
  <title>Doctor Who</title>
  <year>2005</year>
  <tmdbid>57243</tmdbid>
  <tvdbid>78804</tvdbid>
  <imdb_id>tt0436992</imdb_id>
  <season>-1</season>
  <episode>-1</episode>
</tvshow>
"""


def image(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=95)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_art(show: db.Movie) -> dict[tuple[int | None, str], set[str]]:
    """(season, type) -> the names, relative to the show folder, of the user's images found for
    the show (season None) and its seasons."""
    out: dict[tuple[int | None, str], set[str]] = {}
    items = db.Movie.select().where(
        (db.Movie.id == show.id) | ((db.Movie.show == show.id) & (db.Movie.kind == db.SEASON))
    )
    for item in items:
        for c in db.ArtworkCandidate.select().where(
            (db.ArtworkCandidate.movie == item.id) & (db.ArtworkCandidate.provider == "library")
        ):
            key = (item.season, c.asset_type)
            out.setdefault(key, set()).add(str(Path(c.url).relative_to(show.path)))
    return out


def run(cli, *args) -> None:
    assert cli.main(list(args)) == 0


def test_season_art_in_season_folders_is_the_users(tv_rt, tmp_path, monkeypatch, capsys):
    from metarrd import cli

    tv_rt.http.backoff = 0.05
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    root = tmp_path / "tv"
    # Jellyfin, "save artwork into media folders"
    who = root / "Doctor Who (2005)"
    put(root, "Doctor Who (2005)/Season 1/Doctor Who - S01E01 - Rose.mkv")
    (who / "tvshow.nfo").write_text(JELLYFIN_SHOW)
    shutil.copy(NFO / "jellyfin-Season-01.nfo", who / "Season 1/season.nfo")
    image(who / "folder.jpg", (680, 1000), (90, 10, 10))
    image(who / "backdrop.jpg", (1280, 720), (10, 90, 10))
    poster = image(who / "Season 1/folder.jpg", (2000, 3000), (200, 120, 40))
    image(who / "Season 1/backdrop.jpg", (1920, 1080), (40, 120, 200))
    image(who / "Season 1/Doctor Who - S01E01 - Rose-thumb.jpg", (640, 360), (9, 9, 9))
    # tinyMediaManager, season poster naming "season folder"; a name of another season, and
    # a folder no season's, are not taken
    bb = root / "Breaking Bad (2008)"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(root, "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv")
    shutil.copy(NFO / "tmm-kodi-tvshow.nfo", bb / "tvshow.nfo")
    image(bb / "Season 01/season01.jpg", (1000, 1500), (1, 200, 1))
    image(bb / "Season 02/season01.jpg", (1000, 1500), (2, 200, 2))
    image(bb / "Extras/folder.jpg", (1000, 1500), (3, 200, 3))
    users = {p: p.read_bytes() for p in root.rglob("*.jpg")}

    run(cli, "scan")
    capsys.readouterr()
    show = db.Movie.get(db.Movie.path == str(who))
    assert library_art(show) == {
        (None, "poster"): {"folder.jpg"},
        (None, "fanart"): {"backdrop.jpg"},
        (1, "poster"): {"Season 1/folder.jpg"},
        (1, "fanart"): {"Season 1/backdrop.jpg"},
    }
    bad = db.Movie.get(db.Movie.path == str(bb))
    assert library_art(bad) == {(1, "poster"): {"Season 01/season01.jpg"}}

    run(cli, "enrich", "--all")
    run(cli, "publish", "--all")
    capsys.readouterr()
    # the user's season poster, the best there is, is the one every player shows
    published = who / "season01-poster.jpg"
    assert hashlib.sha256(published.read_bytes()).hexdigest() == poster
    for path, data in users.items():  # theirs stay as they were
        assert path.read_bytes() == data, path
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    run(cli, "scan")
    run(cli, "publish", "--all")
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_a_shows_extrafanart_is_the_users(tv_rt, tmp_path, monkeypatch, capsys):
    """tinyMediaManager writes a show's extra backdrops as `extrafanart/fanartN.jpg`
    (TvShowExtraFanartNaming.FOLDER_EXTRAFANART), as Ember and MediaElch did, and Jellyfin shows
    them as the series' backdrops (LocalImageProvider.PopulateBackdropsFromExtraFanart). A
    movie's `extrafanart/` was offered as its fanart; a show's never was. A video there is no
    episode (an extras folder), and what is no picture is not taken."""
    from metarrd import cli

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    root = tmp_path / "tv"
    bb = root / "Breaking Bad (2008)"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    shutil.copy(NFO / "tmm-kodi-tvshow.nfo", bb / "tvshow.nfo")
    image(bb / "fanart.jpg", (1920, 1080), (5, 5, 90))
    image(bb / "extrafanart/fanart1.jpg", (1920, 1080), (5, 90, 5))
    image(bb / "extrafanart/fanart2.jpg", (1280, 720), (90, 5, 5))
    (bb / "extrafanart/Thumbs.db").write_bytes(b"not a picture")

    run(cli, "scan")
    capsys.readouterr()
    show = db.Movie.get(db.Movie.path == str(bb))
    assert library_art(show) == {
        (None, "fanart"): {"fanart.jpg", "extrafanart/fanart1.jpg", "extrafanart/fanart2.jpg"}
    }
