"""What the identify tests share: one video (and its NFO) in a movie library, scanned and
identified on the provider simulator."""

from __future__ import annotations

import shutil
from pathlib import Path

from metarrd import db
from metarrd.identify import identify_many
from metarrd.runtime import open_runtime
from metarrd.scan import scan

SAMPLE = Path(__file__).resolve().parents[1] / "media" / "h264_aac_2audio_sub.mkv"


def identified(config_factory, simulator, tmp_path, rel: str, nfo: str | None = None) -> db.Movie:
    """The movie `rel` (under the library) is, once scanned and identified; `nfo`: its NFO."""
    library = tmp_path / "movies"
    video = library / rel
    video.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE, video)
    if nfo is not None:
        video.with_suffix(".nfo").write_text(nfo, encoding="utf-8")
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        identify_many(rt, [movie.id], threads=1)
        return db.Movie.get_by_id(movie.id)
    finally:
        rt.close()
