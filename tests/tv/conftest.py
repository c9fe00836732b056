"""TV fixtures: a runtime on the simulator with a TV library, and a hard-case TV library built
from real tiny media files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from metarrd import cache, db
from metarrd.config import Config, parse_config
from metarrd.imaging import analyse_image, write_preview
from tests.conftest import backend_sections

MEDIA = Path(__file__).resolve().parent.parent / "media"
SAMPLE = MEDIA / "h264_aac_mono.mp4"


def tv_config(tmp_path: Path, sim, **tmdb):
    """A config with a "Movies" and a "TV" library (kind tv), wired to the simulator; `tmdb`:
    more `[providers.tmdb]` settings (`language="de-DE"`)."""
    data = {
        "data_dir": str(tmp_path / "data"),
        "library": [
            {"name": "Movies", "path": str(tmp_path / "movies"), "kind": "movie"},
            {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
        ],
        "providers": {
            "timeout_seconds": 5.0,
            "max_retries": 2,
            "tmdb": {"api_key": sim.keys.tmdb_key, "base_url": sim.tmdb_url, **tmdb},
            "fanart": {"api_key": sim.keys.fanart_key, "base_url": sim.fanart_url},
            "tvdb": {"api_key": sim.keys.tvdb_key, "base_url": sim.tvdb_url},
        },
        **backend_sections(),  # PostgreSQL and Redis when the tests are switched to them
    }
    (tmp_path / "tv").mkdir(exist_ok=True)
    (tmp_path / "movies").mkdir(exist_ok=True)
    return parse_config(data)


@pytest.fixture
def tv_rt(tmp_path, simulator, backend):
    from metarrd.runtime import open_runtime

    rt = open_runtime(tv_config(tmp_path, simulator))
    yield rt
    rt.close()


def put(root: Path, rel: str, source: Path = SAMPLE) -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def downloaded(
    config: Config, tmp_path: Path, item_id: int, kind: str, colour: tuple
) -> tuple[Path, Path]:
    """An image the enrich step downloaded from TMDB for the item, as it keeps it: its file in
    the image cache (a cache row, a downloaded candidate) and the UI's preview of it."""
    source = tmp_path / f"{kind}-{colour}.jpg"
    Image.new("RGB", (400, 225), colour).save(source)
    info = analyse_image(source)
    path = cache.store(config.cache_dir, kind, source, info)
    url = f"https://image.tmdb.org/t/p/original/{info.sha256[:20]}.jpg"
    db.CacheImageFile.create(
        movie=item_id, image_type=kind, file_path=str(path), file_hash=info.sha256,
        file_size=info.size, source_url=url, provider_name="tmdb",
    )  # fmt: skip
    rel = write_preview(config.previews_dir, path, info.sha256)
    db.ArtworkCandidate.create(
        movie=item_id, asset_type=kind, provider="tmdb", url=url, content_hash=info.sha256,
        analyzed=True, is_downloaded=True, preview_path=rel,
    )  # fmt: skip
    return path, config.previews_dir / rel


# relative path -> (season, episodes, aired, problem word) as the scan must read them
EPISODES = {
    "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv": (1, [1], None, None),
    "Breaking Bad (2008)/Season 01/Breaking.Bad.s01.e02.mkv": (1, [2], None, None),
    "Breaking Bad (2008)/Season 01/Breaking Bad - 1x03 - Bag.mkv": (1, [3], None, None),
    "Breaking Bad (2008)/Season 1/Breaking Bad S01E04E05.mkv": (1, [4, 5], None, None),
    "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01-E03.mkv": (2, [1, 2, 3], None, None),
    "Breaking Bad (2008)/Season 02/Breaking Bad - S02E04-06.mkv": (2, [4, 5, 6], None, None),
    "Breaking Bad (2008)/Specials/Breaking Bad - S00E01 - Good Cop.mkv": (0, [1], None, None),
    "Breaking Bad (2008)/Season 00/Breaking Bad - S00E02.mkv": (0, [2], None, None),
    "Breaking Bad (2008)/Specials/Breaking Bad - Special - Behind the Scenes.mkv": (
        None,
        [],
        None,
        "no season and episode numbers",
    ),  # fmt: skip
    "Doctor Who (2005)/Doctor Who - S01E01 - Rose.mkv": (1, [1], None, None),
    "Doctor Who (1963)/Season 1/Doctor Who - S01E01 - An Unearthly Child.mkv": (1, [1], None, None),
    "The Daily Show/Season 29/The Daily Show - 2024-01-09 - Guest.mkv": (
        None,
        [],
        "2024-01-09",
        None,
    ),
    "Naruto/Naruto - 001 - Enter Naruto Uzumaki.mkv": (None, [], None, "absolute"),
    "Better Call Saul {tvdb-273181}/Season 1/Better Call Saul - S01E02 - Mijo.mkv": (
        1,
        [2],
        None,
        None,
    ),
    "Whatever {tmdb-615}/Futurama - S01E10 - A Flight to Remember.mkv": (1, [10], None, None),
    "My Chemistry Show/Season 3/Breaking Bad S03E01.mkv": (3, [1], None, None),
}
NOT_EPISODES = [
    "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - sample.mkv",
    "Breaking Bad (2008)/Extras/Making of.mkv",
    "Breaking Bad (2008)/Featurettes/Cast Interview.mkv",
    "Breaking Bad (2008)/Behind The Scenes/On Set.mkv",
    "Breaking Bad (2008)/Season 01/.metarrd-tmp-abc.mkv",
]
# show folder -> TMDB TV id it must be identified as (None: stays unidentified)
SHOWS = {
    "Breaking Bad (2008)": 1396,
    "Doctor Who (2005)": 57243,
    "Doctor Who (1963)": 121,
    "The Daily Show": 2224,
    "Naruto": 46260,
    "Better Call Saul {tvdb-273181}": 60059,
    "Whatever {tmdb-615}": 615,
    "My Chemistry Show": 1396,  # its tvshow.nfo says so (legacy <id> = TheTVDB id)
}
TVSHOW_NFO_LEGACY = """<?xml version="1.0" encoding="UTF-8"?>
<tvshow><title>My Chemistry Show</title><id>81189</id>
<episodeguide><url cache="81189.xml">http://thetvdb.com/api/1D62F2F90030C444/series/81189/all/en.zip</url></episodeguide>
</tvshow>
"""
EPISODE_NFO_MULTI = """<?xml version="1.0" encoding="UTF-8"?>
<episodedetails><title>Thirty-Eight Snub</title><season>1</season><episode>4</episode>
<uniqueid type="tvdb">349235</uniqueid></episodedetails>
<episodedetails><title>Open House</title><season>1</season><episode>5</episode></episodedetails>
"""
HOSTILE_NFO = """<?xml version="1.0"?>
<!DOCTYPE tvshow [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<tvshow><title>&xxe;</title></tvshow>
"""


@pytest.fixture
def tv_library(tmp_path) -> Path:
    root = tmp_path / "tv"
    for rel in [*EPISODES, *NOT_EPISODES]:
        put(root, rel)
    (root / "My Chemistry Show/tvshow.nfo").write_text(TVSHOW_NFO_LEGACY)
    (root / "Breaking Bad (2008)/Season 1/Breaking Bad S01E04E05.nfo").write_text(EPISODE_NFO_MULTI)
    (root / "Doctor Who (1963)/tvshow.nfo").write_text(HOSTILE_NFO)
    from PIL import Image

    Image.new("RGB", (400, 600), (200, 30, 30)).save(root / "Breaking Bad (2008)/poster.jpg")
    Image.new("RGB", (400, 600), (30, 200, 30)).save(
        root / "Breaking Bad (2008)/season01-poster.jpg"
    )
    Image.new("RGB", (640, 360), (30, 30, 200)).save(
        root / "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg"
    )
    return root
