"""An episode's thumb as the tools a library is migrated from saved it, beside the `-thumb`
name Kodi reads: Jellyfin's image saver ("save artwork into media folders", its default
convention) writes it as `metadata/<episode>.jpg` in the episode's folder
(ImageSaver.GetStandardSavePath), which its EpisodeLocalImageProvider reads; tinyMediaManager's
episode thumb naming `[filename].*` (TvShowEpisodeThumbNaming.FILENAME) writes `<episode>.jpg`,
which Jellyfin and Plex read. The scan took `<episode>-thumb.*` only: the user's thumbs were
never offered, and TMDB's still took their place at `<episode>-thumb.jpg`, which Jellyfin reads
before the `metadata/` one."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PIL import Image

from metarrd import db

from .conftest import put

NFO = Path(__file__).resolve().parent.parent / "nfo"
ROSE = "Doctor Who - S01E01 - Rose"
PILOT = "Breaking Bad - S01E01 - Pilot"


def image(path: Path, colour: tuple[int, int, int]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1920, 1080), colour).save(path, quality=95)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def thumbs(video: Path) -> set[str]:
    item = db.Movie.get(db.Movie.path == str(video))
    rows = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == item.id)
        & (db.ArtworkCandidate.provider == "library")
        & (db.ArtworkCandidate.asset_type == "thumb")
    )
    return {str(Path(r.url).relative_to(video.parent)) for r in rows}


def test_the_users_episode_thumbs_under_other_names_are_theirs(
    tv_rt, tmp_path, monkeypatch, capsys
):
    from metarrd import cli

    tv_rt.http.backoff = 0.05
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    root = tmp_path / "tv"
    rose = put(root, f"Doctor Who (2005)/Season 1/{ROSE}.mkv")
    (root / "Doctor Who (2005)/tvshow.nfo").write_text(
        "<tvshow><title>Doctor Who</title><tmdbid>57243</tmdbid></tvshow>"
    )
    jellyfin = image(rose.parent / f"metadata/{ROSE}.jpg", (200, 40, 40))
    image(rose.parent / "metadata/Doctor Who - S01E02 - The End of the World.jpg", (1, 2, 3))
    pilot = put(root, f"Breaking Bad (2008)/Season 01/{PILOT}.mkv")
    shutil.copy(NFO / "tmm-kodi-tvshow.nfo", root / "Breaking Bad (2008)/tvshow.nfo")
    tmm = image(pilot.parent / f"{PILOT}.jpg", (40, 200, 40))
    users = {p: p.read_bytes() for p in root.rglob("*.jpg")}

    assert cli.main(["scan"]) == 0
    assert thumbs(rose) == {f"metadata/{ROSE}.jpg"}
    assert thumbs(pilot) == {f"{PILOT}.jpg"}

    assert cli.main(["enrich", "--all"]) == 0
    assert cli.main(["publish", "--all"]) == 0
    capsys.readouterr()
    for video, chosen in ((rose, jellyfin), (pilot, tmm)):
        published = video.with_name(video.stem + "-thumb.jpg")
        assert hashlib.sha256(published.read_bytes()).hexdigest() == chosen, video.name
    for path, data in users.items():
        assert path.read_bytes() == data, path
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    assert cli.main(["scan"]) == 0
    assert cli.main(["publish", "--all"]) == 0
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before
