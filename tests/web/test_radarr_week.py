"""A Radarr user's first week, end to end: Radarr's webhook calls, in the order Radarr makes
them, into the real identify, enrich and publish on the provider simulator (Blade Runner, TMDB
78). What Radarr does to the folder between its calls is done here by hand, as its source does
it: the import, a trailer and a forced subtitle put beside it, an upgrade (Radarr recycles the
old file and the extra files it adopted, ours among them: ExtraFileService.HandleAsync of
MovieFileDeletedEvent), a rename (it moves our NFO, which it adopts as Kodi metadata, and our
numbered art, which it adopts as "other extra files", to the new name: MetadataService and
ExtraFileManager.MoveFile), a cut the user puts beside Radarr's file by hand, and Radarr's file
deleted. Each step leaves one item for each video, our files named after their video, nothing of
the user's touched.

Payloads are shaped as Radarr's own classes (src/NzbDrone.Core/Notifications/Webhook/:
WebhookImportPayload, WebhookMovieFileDeletePayload, WebhookRenamePayload, WebhookMovie,
WebhookMovieFile with its mediaInfo, WebhookRenamedMovieFile); names as its FileNameBuilder
makes them (`{Movie CleanTitle} ({Release Year}) {edition-{Edition Tags}} {Quality Full}`)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from metarrd import db, workflow
from tests.conftest import make_config
from tests.daemon.conftest import webhook_client

MEDIA = Path(__file__).resolve().parents[1] / "media"
TOKEN = "s3cret-token-for-radarr"
TITLE = "Blade Runner (1982)"
FINAL_CUT = "Blade Runner (1982) {edition-Final Cut}"


@pytest.fixture
def radarr(tmp_path, simulator):
    sim = simulator
    config = make_config(tmp_path, sim, webhooks={"token": TOKEN})
    client, rt = webhook_client(config)
    workflow.set_stage("auto_publish", True)
    folder = tmp_path / "movies" / TITLE
    folder.mkdir()
    yield client, folder
    rt.close()


def movie(folder: Path) -> dict:
    """WebhookMovie."""
    return {"id": 7, "title": "Blade Runner", "year": 1982, "releaseDate": "1982-06-25",
            "folderPath": str(folder), "tmdbId": 78, "imdbId": "tt0083658",
            "overview": "In the smog-choked dystopian Los Angeles of 2019...",
            "genres": ["Science Fiction", "Drama", "Thriller"], "images": [], "tags": [],
            "originalLanguage": {"id": 1, "name": "English"}}  # fmt: skip


def movie_file(folder: Path, rel: str, file_id: int, quality: str) -> dict:
    """WebhookMovieFile (Radarr 5.10.1 and later: `path` is the file's in the movie folder)."""
    return {"id": file_id, "relativePath": rel, "path": str(folder / rel), "quality": quality,
            "qualityVersion": 1, "releaseGroup": "GRP",
            "sceneName": f"Blade.Runner.1982.The.Final.Cut.{quality}.x264-GRP",
            "indexerFlags": "0", "size": (folder / rel).stat().st_size if (folder / rel).exists()
            else 22859, "dateAdded": "2026-12-01T10:00:00Z",
            "languages": [{"id": 1, "name": "English"}],
            "mediaInfo": {"audioChannels": 2.0, "audioCodec": "AAC", "audioLanguages": ["eng"],
                          "height": 1080, "width": 1920, "subtitles": ["eng"],
                          "videoCodec": "x264", "videoDynamicRange": "",
                          "videoDynamicRangeType": ""}}  # fmt: skip


def download(folder: Path, rel: str, file_id: int, quality: str, deleted: list[dict]) -> dict:
    """WebhookImportPayload (WebhookBase.BuildOnDownloadPayload)."""
    return {"eventType": "Download", "instanceName": "Radarr", "applicationUrl": "",
            "movie": movie(folder),
            "remoteMovie": {"tmdbId": 78, "imdbId": "tt0083658", "title": "Blade Runner",
                            "year": 1982},
            "movieFile": {**movie_file(folder, rel, file_id, quality),
                          "sourcePath": f"/downloads/Blade.Runner.1982.{quality}/br.mkv"},
            "release": {"quality": quality, "qualityVersion": 1, "releaseGroup": "GRP",
                        "releaseTitle": f"Blade.Runner.1982.The.Final.Cut.{quality}.x264-GRP",
                        "indexer": "Indexer", "size": 22859, "customFormatScore": 0,
                        "customFormats": [], "indexerFlags": []},
            "isUpgrade": bool(deleted), "downloadClient": "qBittorrent",
            "downloadClientType": "qBittorrent", "downloadId": "ABC",
            "customFormatInfo": {"customFormats": [], "customFormatScore": 0},
            **({"deletedFiles": deleted} if deleted else {})}  # fmt: skip


def file_delete(folder: Path, file: dict, reason: str) -> dict:
    """WebhookMovieFileDeletePayload."""
    return {"eventType": "MovieFileDelete", "instanceName": "Radarr", "applicationUrl": "",
            "movie": movie(folder), "movieFile": file, "deleteReason": reason}  # fmt: skip


def send(client, body: dict, status: int = 202) -> None:
    answer = client.post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": TOKEN})
    assert answer.status_code == status, answer.get_json()


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def ours(folder: Path, base: str) -> set[str]:
    """The NFO and the art published for the video named `base` (not the user's trailer and
    subtitle named after it)."""
    art = re.compile(re.escape(base) + r"(\.nfo|-[a-z]+[0-9]*\.(jpg|png))")
    return {n for n in names(folder) if art.fullmatch(n)}


def items() -> dict[str, tuple]:
    """What `metarrd list --json` says of each item, by its file's name."""
    entries = [m.as_list_entry() for m in db.Movie.select()]
    return {
        Path(e["path"]).name: (e["tmdb_id"], e["identification_status"], e["publish_state"],
                               e["missing"], e["last_error"])
        for e in entries
    }  # fmt: skip


def test_a_week_of_radarr(radarr):
    client, folder = radarr
    first = f"{FINAL_CUT} Bluray-1080p"
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", folder / f"{first}.mkv")
    send(client, download(folder, f"{first}.mkv", 1, "Bluray-1080p", []))
    published = ours(folder, first)
    assert {f"{first}.nfo", f"{first}-poster.jpg", f"{first}-fanart1.jpg"} <= published
    assert items() == {f"{first}.mkv": (78, db.ENRICHED, db.PUBLISHED, False, None)}
    assert "Final Cut" not in (folder / f"{first}.nfo").read_text()  # no title of ours

    # a trailer and a forced subtitle put beside it (Radarr's Import Extra Files, the user)
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", folder / f"{first}-trailer.mp4")
    (folder / f"{first}.en.forced.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi.\n")
    send(client, download(folder, f"{first}.mkv", 1, "Bluray-1080p", []))
    assert list(items()) == [f"{first}.mkv"]  # no item for the trailer, none for the subtitle

    # an upgrade: Radarr says the old file goes for it, recycles it with the extra files it
    # adopted (our NFO and art), imports the new one, then tells the Download
    old = movie_file(folder, f"{first}.mkv", 1, "Bluray-1080p")
    send(client, file_delete(folder, old, "upgrade"), 200)
    for name in {f"{first}.mkv"} | published:
        (folder / name).unlink()
    second = f"{FINAL_CUT} Remux-2160p"
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", folder / f"{second}.mkv")
    send(client, download(folder, f"{second}.mkv", 2, "Remux-2160p", [old]))
    assert items() == {f"{second}.mkv": (78, db.ENRICHED, db.PUBLISHED, False, None)}
    assert ours(folder, first) == set()
    assert {p.replace(first, second) for p in published} == ours(folder, second)

    # a rename (the user's new naming): Radarr moves the video, then our NFO and the first of
    # our numbered art of each extension to the new name, and tells the Rename
    third = f"{FINAL_CUT} [Remux-2160p]"
    os.rename(folder / f"{second}.mkv", folder / f"{third}.mkv")
    for old_name, new_name in [(".nfo", ".nfo"), ("-fanart1.jpg", ".jpg"),
                               ("-clearlogo1.png", ".png")]:  # fmt: skip
        os.rename(folder / f"{second}{old_name}", folder / f"{third}{new_name}")
    send(client, {"eventType": "Rename", "instanceName": "Radarr", "applicationUrl": "",
                  "movie": movie(folder),
                  "renamedMovieFiles": [{**movie_file(folder, f"{third}.mkv", 2, "Remux-2160p"),
                                         "previousRelativePath": f"{second}.mkv",
                                         "previousPath": str(folder / f"{second}.mkv")}]})  # fmt: skip
    assert items() == {f"{third}.mkv": (78, db.ENRICHED, db.PUBLISHED, False, None)}
    assert ours(folder, second) == set()
    assert {p.replace(first, third) for p in published} == ours(folder, third)
    assert {f"{third}.jpg", f"{third}.png"}.isdisjoint(names(folder))  # ours, gone

    # the user puts another cut beside Radarr's file; Radarr's next Download names its own
    cut = "Blade Runner (1982) - Director's Cut"
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", folder / f"{cut}.mp4")
    send(client, download(folder, f"{third}.mkv", 2, "Remux-2160p", []))
    assert items() == {
        f"{third}.mkv": (78, db.ENRICHED, db.PUBLISHED, False, None),
        f"{cut}.mp4": (78, db.ENRICHED, db.PUBLISHED, False, None),
    }
    assert f"{cut}.nfo" in names(folder)
    assert not db.Event.select().where(db.Event.kind == "webhook.ignored").exists()

    # Radarr's file deleted (here before the call; Radarr's own order is looked at again
    # later: test_webhooks): our files for it go, the cut's, and what both use, stay
    (folder / f"{third}.mkv").unlink()
    send(client, file_delete(folder, movie_file(folder, f"{third}.mkv", 2, "Remux-2160p"),
                             "manual"))  # fmt: skip
    assert items()[f"{third}.mkv"][3] is True  # missing, its data kept
    assert ours(folder, third) == set()
    assert {f"{cut}.mp4", f"{cut}.nfo", f"{cut}-poster.jpg"} <= names(folder)
    assert (folder / ".actors" / "Harrison_Ford.jpg").exists()
    assert {f"{first}-trailer.mp4", f"{first}.en.forced.srt"} <= names(folder)  # the user's
