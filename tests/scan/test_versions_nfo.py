"""Versions of one film in its folder (Jellyfin's: `Heat (1995) - 1080p.mkv` beside
`Heat (1995) - 2160p.mkv`; Kodi's, with "Movies are in separate folders") keep the folder's
`movie.nfo` as their NFO, and its bare art (`poster.jpg`) as theirs, as a movie alone in its
folder does: Jellyfin reads it for its one
movie of those files (a movie of versions is in no mixed folder, MovieNfoSaver and
`MovieNfoProvider`), and writes it there itself; Kodi reads it for each file with separate
folders (VideoTagLoaderNFO FindNFO). A folder of two films keeps none."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree
from PIL import Image

from metarrd import db
from metarrd.identify import identify_many
from metarrd.publish import publish_item
from metarrd.runtime import open_runtime
from metarrd.scan import scan

MEDIA = Path(__file__).resolve().parents[1] / "media"

# Jellyfin's own movie.nfo (MovieNfoSaver), with a tag the user gave the film there
JELLYFIN_NFO = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<movie>
  <plot><![CDATA[A group of high-end professional thieves start to feel the heat.]]></plot>
  <lockdata>false</lockdata>
  <dateadded>2024-02-11 20:14:09</dateadded>
  <title>Heat</title>
  <year>1995</year>
  <tag>Michael Mann</tag>
  <uniqueid type="tmdb">949</uniqueid>
  <uniqueid type="imdb">tt0113277</uniqueid>
  <tmdbid>949</tmdbid>
  <imdbid>tt0113277</imdbid>
</movie>
"""


def _library(tmp_path: Path, names: list[str]) -> Path:
    library = tmp_path / "movies"
    folder = library / "Heat (1995)"
    folder.mkdir(parents=True)
    for name, media in zip(names, ("h264_aac_2audio_sub.mkv", "hevc_hdr10.mkv"), strict=False):
        shutil.copyfile(MEDIA / media, folder / name)
    (folder / "movie.nfo").write_text(JELLYFIN_NFO, encoding="utf-8")
    return library


def test_versions_of_one_film_keep_the_folders_movie_nfo(config_factory, simulator, tmp_path):
    """Before, a second version in the folder made the user's `movie.nfo` no one's: neither
    item took in its ids or the tag given there, and publishing left the tag out of both NFOs
    (a movie alone in the folder kept it)."""
    library = _library(tmp_path, ["Heat (1995) - 1080p.mkv", "Heat (1995) - 2160p.mkv"])
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        report = scan(rt)
        assert len(report.new) == 2
        identify_many(rt, report.new, threads=1)
        items = list(db.Movie.select().order_by(db.Movie.path))
        for item in items:
            assert item.hints.get("nfo_tmdb_id") == 949, item.path
            assert item.tmdb_id == 949
            assert item.date_added.strftime("%Y-%m-%d %H:%M:%S") == "2024-02-11 20:14:09"
        for item in items:
            db.Movie.update(identification_status=db.ENRICHED).where(
                db.Movie.id == item.id
            ).execute()
            publish_item(rt, db.Movie.get_by_id(item.id))
        for item in items:
            nfo = etree.parse(str(Path(item.path).with_suffix(".nfo"))).getroot()
            assert "Michael Mann" in nfo.xpath("tag/text()"), item.path
        assert (library / "Heat (1995)" / "movie.nfo").read_text() == JELLYFIN_NFO
        # a rescan finds nothing changed
        again = scan(rt)
        assert (again.unchanged, again.changed, again.new) == (2, [], [])
    finally:
        rt.close()


def test_two_films_in_one_folder_keep_no_movie_nfo(config_factory, simulator, tmp_path):
    """A folder of two films (a mixed folder to Jellyfin; Kodi without separate folders):
    `movie.nfo` is neither's, as before."""
    library = _library(tmp_path, ["Heat (1995).mkv", "Ronin (1998).mkv"])
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        assert [m.hints.get("nfo_tmdb_id") for m in db.Movie.select()] == [None, None]
    finally:
        rt.close()


def test_versions_of_one_film_keep_the_folders_bare_art(config_factory, simulator, tmp_path):
    """Jellyfin saves a movie of versions' art bare in its folder (`poster.jpg`: no mixed
    folder), and reads it so; Kodi with separate folders too. Before, a second version in the
    folder made it no one's: neither item took it in as the user's picture."""
    library = _library(tmp_path, ["Heat (1995) - 1080p.mkv", "Heat (1995) - 2160p.mkv"])
    folder = library / "Heat (1995)"
    Image.new("RGB", (200, 300), (200, 30, 30)).save(folder / "poster.jpg")
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        for movie in db.Movie.select():
            urls = [Path(a.url).name for a in movie.assets if a.provider == "library"]
            assert urls == ["poster.jpg"], movie.path
    finally:
        rt.close()
