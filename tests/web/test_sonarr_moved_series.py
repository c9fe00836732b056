"""A series folder Sonarr moved without a webhook, then Sonarr's next calls, end to end on the
provider simulator (Breaking Bad: TMDB 1396, TheTVDB 81189).

Sonarr moves a series' folder when the user gives it another path (Edit series, "Move files")
or another root folder (the Series Editor): MoveSeriesService moves it and publishes a
SeriesMovedEvent that no notification handles (src/NzbDrone.Core/Tv/MoveSeriesService.cs,
Notifications/NotificationService.cs, 49df353f): no webhook. The watcher does not see a share
written from another computer. Every later call names the new folder (`series.path`) and paths
in it: a Rename's `previousPath` is `series.Path` + the file's old relative path
(RenameEpisodeFileService.RenameFiles), an upgrade's `deletedFiles` likewise
(WebhookBase.BuildOnDownloadPayload), a deleted file's `path` too (WebhookEpisodeFile).

Payloads are shaped as Sonarr's own classes (src/NzbDrone.Core/Notifications/Webhook/:
WebhookImportPayload, WebhookRenamePayload, WebhookRenamedEpisodeFile, WebhookEpisodeDeletePayload,
WebhookSeriesDeletePayload, WebhookSeries, WebhookEpisode, WebhookEpisodeFile); names as its
default formats make them (`{Series Title} - S{season:00}E{episode:00} - {Episode Title}
{Quality Full}`, `Season {season}`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from metarrd import db, workflow
from tests.conftest import make_config
from tests.daemon.conftest import webhook_client

MEDIA = Path(__file__).resolve().parents[1] / "media"
TOKEN = "s3cret-token-for-sonarr"
SERIES = {
    "id": 3, "title": "Breaking Bad", "titleSlug": "breaking-bad", "tvdbId": 81189,
    "tvMazeId": 169, "tmdbId": 1396, "imdbId": "tt0903747", "malIds": [], "aniListIds": [],
    "type": "standard", "year": 2008, "genres": ["Drama", "Crime"], "images": [], "tags": [],
    "originalLanguage": {"id": 1, "name": "English"}, "originalCountry": "US",
}  # fmt: skip
TITLES = {1: "Pilot", 2: "Cat's in the Bag...", 3: "...and the Bag's in the River"}
USERS = "Season 1/Breaking Bad - S01E02 - Cat's in the Bag... WEBDL-1080p.en.srt"


def rel(number: int, quality: str = "WEBDL-1080p") -> str:
    return f"Season 1/Breaking Bad - S01E0{number} - {TITLES[number]} {quality}.mkv"


@pytest.fixture
def sonarr(tmp_path, simulator):
    tv = [{"name": name, "path": str(tmp_path / folder), "kind": "tv"}
          for name, folder in (("TV", "tv"), ("TV 2", "tv2"))]  # fmt: skip
    for library in tv:
        Path(library["path"]).mkdir()
    config = make_config(tmp_path, simulator, libraries={}, library=tv, webhooks={"token": TOKEN})
    client, rt = webhook_client(config)
    workflow.set_stage("auto_publish", True)
    yield client, tmp_path
    rt.close()


def series(folder: Path) -> dict:
    """WebhookSeries: `path` is the series' folder in Sonarr now."""
    return {**SERIES, "path": str(folder)}


def episode_file(folder: Path, name: str, file_id: int) -> dict:
    """WebhookEpisodeFile (Sonarr 4.0.9 and later: `path` is the file's in the series folder)."""
    path = folder / name
    return {"id": file_id, "relativePath": name, "path": str(path), "quality": "WEBDL-1080p",
            "qualityVersion": 1, "releaseGroup": "NTb", "sceneName": None,
            "size": path.stat().st_size if path.exists() else 22859,
            "dateAdded": "2026-12-01T10:00:00Z", "languages": [{"id": 1, "name": "English"}],
            "mediaInfo": {"audioChannels": 2.0, "audioCodec": "AAC", "audioLanguages": ["eng"],
                          "height": 1080, "width": 1920, "subtitles": [], "videoCodec": "h264",
                          "videoDynamicRange": "", "videoDynamicRangeType": ""}}  # fmt: skip


def episodes(number: int) -> list[dict]:
    """WebhookEpisode."""
    return [{"id": 100 + number, "episodeNumber": number, "seasonNumber": 1,
             "title": TITLES[number], "overview": "", "airDate": "2008-01-20",
             "airDateUtc": "2008-01-21T03:00:00Z", "seriesId": 3, "tvdbId": 349231 + number}]  # fmt: skip


def download(folder: Path, name: str, number: int, file_id: int, deleted=()) -> dict:
    """WebhookImportPayload (BuildOnDownloadPayload)."""
    return {"eventType": "Download", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(folder), "episodes": episodes(number),
            "episodeFile": {**episode_file(folder, name, file_id),
                            "sourcePath": "/downloads/Breaking.Bad.S01.1080p.WEB-DL/x.mkv"},
            "release": {"releaseTitle": "Breaking.Bad.S01.1080p.WEB-DL.DD5.1.H.264-NTb",
                        "indexer": "Indexer", "size": 22859},
            "isUpgrade": bool(deleted), "downloadClient": "qBittorrent",
            "downloadClientType": "qBittorrent", "downloadId": "ABC",
            **({"deletedFiles": list(deleted)} if deleted else {})}  # fmt: skip


def send(client, body: dict) -> None:
    answer = client.post("/api/webhooks/sonarr", json=body, headers={"X-Api-Key": TOKEN})
    assert answer.status_code == 202, answer.get_json()


def published_files(folder: Path) -> set[str]:
    """The files under the show folder, the videos and the user's subtitle left out."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix not in (".mkv", ".srt") and ".actors" not in p.parts
    }


def imported_then_moved(client, root: Path, where: str) -> tuple[Path, Path, dict[int, int]]:
    """Two episodes imported and published, a subtitle of the user's beside the second; then
    Sonarr moves the series folder (no webhook, the watcher blind to it): renamed in its root
    folder (`{Series TitleYear}`), or into another root folder, another library here."""
    old = root / "tv" / "Breaking Bad"
    for number in (1, 2):
        (old / rel(number)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MEDIA / "h264_aac_mono.mp4", old / rel(number))
        send(client, download(old, rel(number), number, number))
    (old / USERS).write_text("1\n00:00:01,000 --> 00:00:02,000\nSay my name.\n")
    (show,) = db.Movie.select().where(db.Movie.kind == db.SHOW)
    assert (show.publish_state, (old / "tvshow.nfo").exists()) == (db.PUBLISHED, True)
    ids = {m.episodes[0]: m.id for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    new = (
        root / "tv" / "Breaking Bad (2008)" if where == "renamed" else root / "tv2" / "Breaking Bad"
    )
    # the library holds other shows: a root left empty is a share not mounted, where nothing
    # is taken for gone (scan.stage.unmounted; test_a_show_behind_a_share_not_mounted_...)
    (root / "tv" / "The Wire (2002)" / "Season 1").mkdir(parents=True)
    old.rename(new)
    return old, new, ids


def the_show_followed(old: Path, new: Path, show_id: int) -> None:
    """One show, its own item, in the new folder; no item left at the old one."""
    (show,) = db.Movie.select().where(db.Movie.kind == db.SHOW)
    assert (show.id, show.path, show.missing) == (show_id, str(new), False)
    assert show.publish_state == db.PUBLISHED
    left = [m.path for m in db.Movie.select() if m.path.startswith(str(old) + "/")]
    assert left == []
    # our files (tvshow.nfo, season art, episode NFOs and thumbs) known as ours where they are
    rows = {r.path for r in db.LibraryFile.select()}
    assert {str(new / "tvshow.nfo"), str(new / "season01-poster.jpg")} <= rows
    assert all(os.path.exists(path) for path in rows), sorted(rows)
    for item in db.Movie.select().where(~db.Movie.missing, db.Movie.kind == db.EPISODE):
        assert os.path.exists(item.path) and item.publish_state == db.PUBLISHED, item.path
    assert (new / USERS).exists()  # the user's subtitle


@pytest.mark.parametrize("where", ["renamed", "root-folder"])
def test_a_rename_after_sonarr_moved_the_series_publishes_the_episode_again(sonarr, where):
    """Sonarr's Rename (a new episode format) names the old file under the new folder: no item
    was there. The scan found the show and the file moved, but the episode was not published
    again (our NFO and thumb kept the old file's name; Kodi reads no NFO for the episode) and
    it and its show waited as "Republish?". Now the show follows its folder first, and the
    episode its file, as when nothing moved."""
    client, root = sonarr
    old, new, ids = imported_then_moved(client, root, where)
    show_id = db.Movie.get(db.Movie.kind == db.SHOW).id
    renamed = rel(1).replace(" WEBDL-1080p", " [WEBDL-1080p]")
    os.rename(new / rel(1), new / renamed)
    send(client, {"eventType": "Rename", "instanceName": "Sonarr", "applicationUrl": "",
                  "series": series(new),
                  "renamedEpisodeFiles": [{**episode_file(new, renamed, 1),
                                           "previousRelativePath": rel(1),
                                           "previousPath": str(new / rel(1))}]})  # fmt: skip
    the_show_followed(old, new, show_id)
    assert db.Movie.get_by_id(ids[1]).path == str(new / renamed)
    stem = renamed.removesuffix(".mkv")
    gone = rel(1).removesuffix(".mkv")
    files = published_files(new)
    assert {f"{stem}.nfo", f"{stem}-thumb.jpg", "tvshow.nfo", "Season 1/season.nfo"} <= files
    assert {f"{gone}.nfo", f"{gone}-thumb.jpg"}.isdisjoint(files)


@pytest.mark.parametrize("where", ["renamed", "root-folder"])
def test_an_upgrade_after_sonarr_moved_the_series_keeps_the_episode(sonarr, where):
    """An upgrade's `deletedFiles` names the old file under the new folder: the episode item
    followed the new file through the scan, but was not published again (our NFO and thumb
    at the old file's name, "Republish?")."""
    client, root = sonarr
    old, new, ids = imported_then_moved(client, root, where)
    show_id = db.Movie.get(db.Movie.kind == db.SHOW).id
    before = episode_file(new, rel(1), 1)
    (new / rel(1)).unlink()  # UpgradeMediaFileService: the old file to the recycle bin
    better = rel(1, "Bluray-1080p")
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", new / better)
    send(client, download(new, better, 1, 4, [{**before, "recycleBinPath": None}]))
    the_show_followed(old, new, show_id)
    assert db.Movie.get_by_id(ids[1]).path == str(new / better)
    files = published_files(new)
    assert {better.replace(".mkv", ".nfo"), better.replace(".mkv", "-thumb.jpg")} <= files
    assert {rel(1).replace(".mkv", ".nfo"), rel(1).replace(".mkv", "-thumb.jpg")}.isdisjoint(files)


@pytest.mark.parametrize("where", ["renamed", "root-folder"])
def test_a_download_after_sonarr_moved_the_series_adds_to_the_same_show(sonarr, where):
    client, root = sonarr
    old, new, ids = imported_then_moved(client, root, where)
    show_id = db.Movie.get(db.Movie.kind == db.SHOW).id
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", new / rel(3))
    send(client, download(new, rel(3), 3, 3))
    the_show_followed(old, new, show_id)
    assert db.Movie.select().where(db.Movie.kind == db.EPISODE).count() == 3
    assert rel(3).replace(".mkv", ".nfo") in published_files(new)


@pytest.mark.parametrize("where", ["renamed", "root-folder"])
def test_a_file_delete_after_sonarr_moved_the_series_marks_the_episode_missing(sonarr, where):
    """An EpisodeFileDelete names the file in the new folder, where no item was: the episode
    and its show stayed "Published" at the old folder, gone, until a full scan."""
    client, root = sonarr
    old, new, ids = imported_then_moved(client, root, where)
    show_id = db.Movie.get(db.Movie.kind == db.SHOW).id
    deleted = episode_file(new, rel(2), 2)
    (new / rel(2)).unlink()
    send(client, {"eventType": "EpisodeFileDelete", "instanceName": "Sonarr",
                  "applicationUrl": "", "series": series(new), "episodes": episodes(2),
                  "episodeFile": deleted, "deleteReason": "manual"})  # fmt: skip
    the_show_followed(old, new, show_id)
    gone = db.Movie.get_by_id(ids[2])
    assert (gone.path, gone.missing) == (str(new / rel(2)), True)
    assert rel(2).replace(".mkv", ".nfo") not in published_files(new)
    assert rel(1).replace(".mkv", ".nfo") in published_files(new)


@pytest.mark.parametrize("where", ["renamed", "root-folder"])
def test_a_series_delete_after_sonarr_moved_the_series_marks_it_missing(sonarr, where):
    """A SeriesDelete names the new folder: the show and its episodes stayed "Published", not
    missing, at the old folder, gone."""
    client, root = sonarr
    old, new, ids = imported_then_moved(client, root, where)
    shutil.rmtree(new)
    send(client, {"eventType": "SeriesDelete", "instanceName": "Sonarr", "applicationUrl": "",
                  "series": series(new), "deletedFiles": True})  # fmt: skip
    assert [m.missing for m in db.Movie.select()] == [True] * db.Movie.select().count()
    assert db.Movie.select().where(db.Movie.kind == db.SHOW).count() == 1


def test_a_show_behind_a_share_not_mounted_is_not_taken_for_moved(sonarr):
    """The same series in two libraries (a 'TV' library, and an 'Anime' one another Sonarr
    instance imports into): the first library's share is not mounted (its mount point left,
    empty) when the second's Sonarr imports the series' first episode. The show of the first
    library is not gone, and is not moved into the second's new folder: the scan's own rule
    for a library root left empty (nothing is marked missing there, scan.stage.unmounted)."""
    client, root = sonarr
    old = root / "tv" / "Breaking Bad"
    (old / rel(1)).parent.mkdir(parents=True)
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", old / rel(1))
    send(client, download(old, rel(1), 1, 1))
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert (show.path, show.publish_state) == (str(old), db.PUBLISHED)
    old.rename(root / "share-not-mounted")  # `tv/` left empty, as an unmounted share leaves it
    other = root / "tv2" / "Breaking Bad"
    (other / rel(2)).parent.mkdir(parents=True)
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", other / rel(2))  # its own download
    send(client, download(other, rel(2), 2, 7))
    kept = db.Movie.get_by_id(show.id)
    assert (kept.path, kept.missing) == (str(old), False)
    firsts = db.Movie.select().where(db.Movie.path.startswith(str(old) + "/"), db.Movie.missing)
    assert list(firsts) == []
    assert db.Movie.select().where(db.Movie.kind == db.SHOW, db.Movie.path == str(other)).exists()


def test_a_show_behind_a_share_not_mounted_is_not_taken_for_renamed_by_the_scan(sonarr):
    """As above, the same episode file in both libraries (a hard link of the one download, or
    a copy keeping its time): the scan of the second library's new folder took the first
    library's show, its folder not there, for one renamed into it (same files, same name)."""
    client, root = sonarr
    old = root / "tv" / "Breaking Bad"
    (old / rel(1)).parent.mkdir(parents=True)
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", old / rel(1))
    send(client, download(old, rel(1), 1, 1))
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    other = root / "tv2" / "Breaking Bad"
    (other / rel(1)).parent.mkdir(parents=True)
    os.link(old / rel(1), other / rel(1))
    old.rename(root / "share-not-mounted")  # `tv/` left empty, as an unmounted share leaves it
    send(client, download(other, rel(1), 1, 7))
    kept = db.Movie.get_by_id(show.id)
    assert (kept.path, kept.missing) == (str(old), False)
    assert db.Movie.select().where(db.Movie.kind == db.SHOW, db.Movie.path == str(other)).exists()
