"""A library of the hard identification cases, built from real tiny media files."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

MEDIA = Path(__file__).resolve().parent.parent / "media"
SAMPLE = MEDIA / "h264_aac_2audio_sub.mkv"

KODI_NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
    <title>The Thing</title>
    <plot>My own words about this film.</plot>
    <uniqueid type="tmdb" default="true">1091</uniqueid>
    <mytool>keep me</mytool>
</movie>
"""

XXE_NFO = """<?xml version="1.0"?>
<!DOCTYPE movie [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<movie><title>&xxe;</title></movie>
"""

BOMB_NFO = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<movie><title>&lol3;</title></movie>
"""


def put(root: Path, rel: str, source: Path = SAMPLE) -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def scanned_with_users_work(rt, movies: Path, rel: str, tmdb_id: int = 27205):
    """A movie put at `rel`, scanned, then identified, enriched, published and given the
    user's own locked plot: what a rename or an upgrade must keep."""
    from metarrd import db
    from metarrd.scan import scan

    video = put(movies, rel)
    (movie_id,) = scan(rt, [video.parent]).new
    db.Movie.update(
        tmdb_id=tmdb_id,
        identification_status=db.ENRICHED,
        publish_state=db.PUBLISHED,
        plot="My own words.",
        locked_fields=["plot"],
    ).where(db.Movie.id == movie_id).execute()
    return db.Movie.get_by_id(movie_id)


# relative path -> expected TMDB id (None: must stay unidentified)
EXPECTED = {
    "The.Matrix.1999.1080p.BluRay.x264-GRP/The.Matrix.1999.1080p.BluRay.x264-GRP.mkv": 603,
    "Dune (1984)/Dune (1984).mkv": 841,
    "Dune (2021)/Dune (2021).mkv": 438631,
    "Dune/Dune.mkv": None,  # same title, two films, no year: the user decides
    "Amélie (2001)/Amélie (2001).mkv": 194,  # written NFD on disk below
    "Leon (1994)/Leon (1994).mkv": 101,
    "Whatever I Named It {tmdb-550}/Whatever I Named It {tmdb-550}.mkv": 550,
    "Chihiro [imdbid-tt0245429]/Chihiro [imdbid-tt0245429].mkv": 129,
    "The Thing/The Thing.mkv": 1091,  # the user's NFO says so
    "unsorted/film.mkv": 348,  # URL-only NFO with an IMDb URL
    "Heat (1995)/Heat (1995).mkv": 949,  # not the 1986 Heat
    "Inception (2010)/Inception (2010) cd1.mkv": 27205,  # a stack: one item
    "Totally Unknown Film (2003)/Totally Unknown Film (2003).mkv": None,
    "Parasite (2019)/Parasite (2019).mkv": 496243,  # hostile NFO beside it
    "Broken (2005)/Broken (2005).mkv": None,  # corrupt media file
    "Kettle Creek (2009)/Kettle Creek (2009).mkv": 283145,
}


@pytest.fixture
def hard_library(tmp_path) -> Path:
    root = tmp_path / "movies"
    for rel in EXPECTED:
        src = MEDIA / "corrupt.mkv" if rel.startswith("Broken") else SAMPLE
        if rel.startswith("Amélie"):
            rel = unicodedata.normalize("NFD", rel)
        put(root, rel, src)
    put(root, "Inception (2010)/Inception (2010) cd2.mkv")
    put(root, "Heat (1995)/Heat (1995)-trailer.mkv")
    put(root, "Heat (1995)/Sample/heat-sample.mkv")
    put(root, "Heat (1995)/Extras/Making of.mkv")
    (root / "The Thing/The Thing.nfo").write_text(KODI_NFO)
    (root / "unsorted/film.nfo").write_text("https://www.imdb.com/title/tt0078748/\n")
    (root / "Parasite (2019)/Parasite (2019).nfo").write_text(XXE_NFO)
    (root / "Totally Unknown Film (2003)/Totally Unknown Film (2003).nfo").write_text(BOMB_NFO)
    (root / ".hidden/secret.mkv").parent.mkdir()
    shutil.copy2(SAMPLE, root / ".hidden/secret.mkv")
    return root


def write_config(
    path: Path, data_dir: Path, libraries: dict[str, Path], sim, *, tmdb_key=None
) -> Path:
    lines = [f'data_dir = "{data_dir}"']
    for name, lib in libraries.items():
        lines += ["[[library]]", f'name = "{name}"', f'path = "{lib}"', 'kind = "movie"']
    lines += [
        "[providers]",
        "timeout_seconds = 5.0",
        "max_retries = 2",  # two 429s may land on one request when items identify side by side
        "[providers.tmdb]",
        f'api_key = "{tmdb_key or sim.keys.tmdb_key}"',
        f'base_url = "{sim.tmdb_url}"',
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def cli_config(tmp_path, hard_library, simulator):
    return write_config(
        tmp_path / "config.toml", tmp_path / "data", {"Movies": hard_library}, simulator
    )
