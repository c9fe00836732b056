"""TV fixtures: a runtime on the simulator with a TV library, and a hard-case TV library built
from real tiny media files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metarrd.config import parse_config

MEDIA = Path(__file__).resolve().parent.parent / "media"
SAMPLE = MEDIA / "h264_aac_mono.mp4"


def tv_config(tmp_path: Path, sim):
    """A config with a "Movies" and a "TV" library (kind tv), wired to the simulator."""
    data = {
        "data_dir": str(tmp_path / "data"),
        "library": [
            {"name": "Movies", "path": str(tmp_path / "movies"), "kind": "movie"},
            {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
        ],
        "providers": {
            "timeout_seconds": 5.0,
            "max_retries": 2,
            "tmdb": {"api_key": sim.keys.tmdb_key, "base_url": sim.tmdb_url},
            "fanart": {"api_key": sim.keys.fanart_key, "base_url": sim.fanart_url},
            "tvdb": {"api_key": sim.keys.tvdb_key, "base_url": sim.tvdb_url},
        },
    }
    (tmp_path / "tv").mkdir(exist_ok=True)
    (tmp_path / "movies").mkdir(exist_ok=True)
    return parse_config(data)


@pytest.fixture
def tv_rt(tmp_path, simulator):
    from metarrd.runtime import open_runtime

    rt = open_runtime(tv_config(tmp_path, simulator))
    yield rt
    rt.close()


def put(root: Path, rel: str, source: Path = SAMPLE) -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target
