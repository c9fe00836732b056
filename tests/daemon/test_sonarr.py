"""Sonarr's webhook drives the TV flow: payloads shaped like Sonarr's own webhook classes
(`src/NzbDrone.Core/Notifications/Webhook/*.cs`: WebhookImportPayload, WebhookImportCompletePayload,
WebhookRenamePayload, WebhookEpisodeDeletePayload, WebhookSeriesAddPayload,
WebhookSeriesDeletePayload; camelCase keys, kodi-tv.md §4)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest
from flask import Flask

from metarrd import db, workflow
from metarrd.config import parse_config
from metarrd.pipeline import jobs
from metarrd.runtime import open_runtime
from metarrd.web import webhooks
from tests.daemon.conftest import webhook_client

TOKEN = "s3cret-token"
KEY = {"X-Api-Key": TOKEN}
MEDIA = Path(__file__).resolve().parents[1] / "media"


def _put(video: Path, source: Path) -> None:
    """`source` copied beside `video`, then moved over it, as Sonarr imports a file."""
    part = video.with_name(video.name + ".partial~")
    shutil.copy2(source, part)
    os.replace(part, video)


@pytest.fixture
def setup(tmp_path, fake_stages):
    (tmp_path / "tv").mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
            "webhooks": {"token": TOKEN},
        }
    )
    client, rt = webhook_client(config)
    yield client, rt, fake_stages, tmp_path / "tv" / "Severance"
    rt.close()


def series(folder: Path) -> dict:
    """WebhookSeries."""
    return {
        "id": 1, "title": "Severance", "titleSlug": "severance", "path": str(folder),
        "tvdbId": 371980, "tvMazeId": 44933, "tmdbId": 95396, "imdbId": "tt11280740",
        "type": "standard", "year": 2022, "genres": ["Drama"], "images": [], "tags": [],
        "originalLanguage": {"id": 1, "name": "English"},
    }  # fmt: skip


def episode_file(folder: Path, rel: str, size: int = 100, **more) -> dict:
    """WebhookEpisodeFile."""
    return {
        "id": 7, "relativePath": rel, "path": str(folder / rel), "quality": "WEBDL-1080p",
        "qualityVersion": 1, "releaseGroup": "GRP", "size": size,
        "dateAdded": "2024-05-01T10:00:00Z", "languages": [{"id": 1, "name": "English"}],
        "mediaInfo": {"audioChannels": 5.1, "audioCodec": "EAC3", "height": 1080, "width": 1920,
                      "videoCodec": "h264", "videoDynamicRange": ""},
        **more,
    }  # fmt: skip


def episodes(*numbers: int) -> list[dict]:
    return [
        {"id": n, "episodeNumber": n, "seasonNumber": 1, "title": f"Ep {n}", "overview": "",
         "airDate": "2022-02-18", "airDateUtc": "2022-02-18T08:00:00Z", "seriesId": 1,
         "tvdbId": 8000000 + n}
        for n in numbers
    ]  # fmt: skip


def per_file(folder: Path, rel: str, **more) -> dict:
    """WebhookImportPayload ("On Import")."""
    return {
        "eventType": "Download", "instanceName": "Sonarr", "applicationUrl": "",
        "series": series(folder), "episodes": episodes(1), "episodeFile": episode_file(folder, rel),
        "isUpgrade": False, "downloadClient": "qBittorrent", "downloadId": "ABC",
        "release": {"releaseTitle": "Severance.S01E01.1080p", "indexer": "x", "size": 100},
        **more,
    }  # fmt: skip


def import_complete(folder: Path, rels: list[str]) -> dict:
    """WebhookImportCompletePayload ("On Import Complete")."""
    return {
        "eventType": "Download", "instanceName": "Sonarr", "applicationUrl": "",
        "series": series(folder), "episodes": episodes(1, 2),
        "episodeFiles": [episode_file(folder, r) for r in rels] + [episode_file(folder, rels[0])],
        "fileCount": len(rels) + 1, "sourcePath": "/downloads/Severance.S01",
        "destinationPath": str(folder), "downloadClient": "qBittorrent",
    }  # fmt: skip


def make_files(folder: Path, *rels: str) -> None:
    for rel in rels:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"\x1a\x45\xdf\xa3 " + rel.encode())


def post(client, body) -> tuple[int, dict]:
    r = client.post("/api/webhooks/sonarr", json=body, headers=KEY)
    return r.status_code, r.get_json()


def items(kind: str) -> list[db.Movie]:
    return list(db.Movie.select().where(db.Movie.kind == kind).order_by(db.Movie.path))


def test_a_download_scans_the_show_and_identifies_it_from_the_series_ids(setup):
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01 - Good News.mkv")
    status, answer = post(client, per_file(folder, "Season 1/Severance - S01E01 - Good News.mkv"))
    assert status == 202 and answer["files"] == 1
    (show,) = items(db.SHOW)
    assert show.path == str(folder)
    assert [e.episodes for e in items(db.EPISODE)] == [[1]]
    assert ("identify", show.id) in [(c[0], c[1]) for c in fake.calls]
    ident = next(c for c in fake.calls if c[0] == "identify" and c[1] == show.id)
    assert ident[2] == {"tmdb_id": 95396, "imdb_id": "tt11280740", "source": "webhook",
                        "tvdb_id": 371980, "series_type": "standard"}  # fmt: skip


def test_a_download_while_scanning_is_off_identifies_from_the_ids_once_it_is_on(setup):
    """`scanning` off, `webhooks` on (docs/daemon.md "Workflow stages"): the Download's scan is
    skipped, and the scan that catches up once scanning is on again found the show new and
    searched TMDB for its folder's name: the series' ids were lost."""
    client, rt, fake, folder = setup
    workflow.set_stage("scanning", False)
    make_files(folder, "Season 1/Severance - S01E01 - Good News.mkv")
    status, answer = post(client, per_file(folder, "Season 1/Severance - S01E01 - Good News.mkv"))
    assert status == 202, answer
    assert items(db.SHOW) == []
    workflow.set_stage("scanning", True)
    jobs.catch_up("scanning")
    (show,) = items(db.SHOW)
    ident = next(c for c in fake.calls if c[0] == "identify" and c[1] == show.id)
    assert (ident[2]["tvdb_id"], ident[2]["tmdb_id"], ident[2]["source"]) == (
        371980,
        95396,
        "webhook",
    )


def test_a_download_while_identification_is_off_is_identified_from_the_ids_once_it_is_on(
    setup,
):
    """The series' ids (TheTVDB's too, and its type) were dropped with the identify the stage
    skipped; the catch-up searched for the folder's name."""
    client, rt, fake, folder = setup
    workflow.set_stage("identification", False)
    make_files(folder, "Season 1/Severance - S01E01 - Good News.mkv")
    assert post(client, per_file(folder, "Season 1/Severance - S01E01 - Good News.mkv"))[0] == 202
    (show,) = items(db.SHOW)
    workflow.set_stage("identification", True)
    jobs.catch_up("identification")
    ident = next(c for c in fake.calls if c[0] == "identify" and c[1] == show.id)
    assert ident[2] == {"tmdb_id": 95396, "imdb_id": "tt11280740", "source": "webhook",
                        "tvdb_id": 371980, "series_type": "standard"}  # fmt: skip


def test_a_download_does_not_undo_the_users_identification_of_the_show(setup):
    """The user identified the show by hand as another one than Sonarr's series (TMDB
    95396): the next Download kept it, with a warning."""
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01.mkv", "Season 1/Severance - S01E02.mkv")
    post(client, per_file(folder, "Season 1/Severance - S01E01.mkv"))
    (show,) = items(db.SHOW)
    db.Movie.update(tmdb_id=1399, tvdb_id=None, identified_by="manual").where(
        db.Movie.id == show.id
    ).execute()
    fake.calls.clear()
    post(client, per_file(folder, "Season 1/Severance - S01E02.mkv", episodes=episodes(2)))
    assert [c for c in fake.calls if c[0] == "identify" and c[1] == show.id] == []
    assert db.Movie.get_by_id(show.id).tmdb_id == 1399
    assert db.Event.get(db.Event.kind == "webhook.ignored", db.Event.movie == show.id)


@pytest.mark.parametrize(
    ("sent", "given"),
    [
        ({"tvdbId": 0}, {"tmdb_id": 95396, "imdb_id": "tt11280740"}),
        ({"tvdbId": 0, "tmdbId": 0}, {"tmdb_id": None, "imdb_id": "tt11280740"}),
        ({"tmdbId": 0, "imdbId": ""}, {"tmdb_id": None, "imdb_id": None, "tvdb_id": 371980}),
    ],
    ids=["tmdb-and-imdb", "imdb-only", "tvdb-only"],
)
@pytest.mark.parametrize("event", ["Download", "SeriesAdd"])
def test_a_series_unknown_to_a_provider_is_identified_from_the_others(setup, sent, given, event):
    """WebhookSeries sends 0 (and "" for imdbId) for a provider the series is not matched on:
    0 is no id, and the show is identified from the ids it has, without a search. With
    `tvdbId: 0` the other ids were taken for a movie's and applied to no item: the show was
    searched for by name instead."""
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01.mkv")
    body = per_file(folder, "Season 1/Severance - S01E01.mkv")
    if event == "SeriesAdd":  # WebhookSeriesAddPayload
        body = {"eventType": "SeriesAdd", "instanceName": "Sonarr", "applicationUrl": "",
                "series": series(folder)}  # fmt: skip
    body["series"].update(sent)
    assert post(client, body)[0] == 202
    (show,) = items(db.SHOW)
    idents = [c[2] for c in fake.calls if c[:2] == ("identify", show.id)]
    assert idents == [{**given, "source": "webhook", "series_type": "standard"}]


def test_a_series_unknown_to_every_provider_is_identified_by_its_name(setup):
    """`tvdbId: 0, tmdbId: 0, imdbId: ""`: no id at all, so the show goes the way of any new
    show (its folder's name), never identified as id 0."""
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01.mkv")
    body = per_file(folder, "Season 1/Severance - S01E01.mkv")
    body["series"].update(tvdbId=0, tmdbId=0, imdbId="")
    assert post(client, body)[0] == 202
    (show,) = items(db.SHOW)
    idents = [c[2] for c in fake.calls if c[:2] == ("identify", show.id)]
    assert idents == [{"tmdb_id": None, "imdb_id": None, "source": None}]


def test_both_shapes_of_the_same_import_are_handled_once(setup):
    client, rt, fake, folder = setup
    rels = ["Season 1/Severance - S01E01.mkv", "Season 1/Severance - S01E02.mkv"]
    make_files(folder, *rels)
    status, answer = post(client, import_complete(folder, rels))
    assert status == 202 and answer["files"] == 2  # the repeated file counted once
    status, _ = post(client, per_file(folder, rels[0]))
    assert status == 202
    assert len(items(db.SHOW)) == 1
    assert [e.episodes for e in items(db.EPISODE)] == [[1], [2]]
    show = items(db.SHOW)[0]
    assert [c[0] for c in fake.calls if c[1] == show.id].count("identify") == 1


# Sonarr before 4.0.9 (v3.0.9.1549 e4c0e80e, v4.0.8.2223 14005d8d): WebhookEpisodeFile.Path was
# `episodeFile.Path`, which ImportApprovedEpisodes.cs sets to the file it imports from
# (`localEpisode.Path`) and never to where the file went; `relativePath` is the file's place under
# `series.path`. Fixed by a9b93dd9c ("Paths for renamed episode files in Custom Script and
# Webhook"). Webhook.cs / WebhookImportPayload.cs / WebhookImportCompletePayload.cs at those tags.
SOURCE = "/downloads/complete/tv/Severance.S01E01.1080p.WEB.H264-GRP"


@pytest.mark.parametrize("shape", ["episodeFile", "episodeFiles"])
def test_a_download_from_sonarr_before_4_0_9_finds_the_file_in_the_show(setup, shape):
    """Its `path` is the download client's copy, outside every library: every import was a
    422 "not inside any configured library" and the show was never scanned."""
    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, rel)
    sent = episode_file(folder, rel, path=f"{SOURCE}/severance.s01e01.1080p.web.h264-grp.mkv")
    body = per_file(folder, rel, episodeFile=sent)
    if shape == "episodeFiles":  # "On Import Complete" (4.0.8 has it)
        del body["episodeFile"]
        body.update(episodeFiles=[sent], sourcePath=SOURCE, destinationPath=str(folder))
    status, answer = post(client, body)
    assert status == 202, answer
    assert [e.path for e in items(db.EPISODE)] == [str(folder / rel)]


def test_an_upgrade_from_sonarr_before_4_0_9_moves_the_episode(setup):
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance - S01E01 - 720p.mkv", "Season 1/Severance - S01E01 - 1080p.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (ep,) = items(db.EPISODE)
    (folder / old).unlink()
    make_files(folder, new)
    sent = episode_file(folder, new, path=f"{SOURCE}/severance.s01e01.1080p.web.h264-grp.mkv")
    upgrade = per_file(folder, new, episodeFile=sent, isUpgrade=True,
                       deletedFiles=[episode_file(folder, old)])  # fmt: skip
    assert post(client, upgrade)[0] == 202
    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (ep.id, str(folder / new), False)


# Sonarr's UpgradeMediaFileService.UpgradeEpisodeFile (src/NzbDrone.Core/MediaFiles/
# UpgradeMediaFileService.cs, 49df353f) deletes every file that held one of the new file's
# episodes, and BuildOnDownloadPayload (Notifications/Webhook/WebhookBase.cs) lists them all in
# `deletedFiles`, with `isUpgrade: true` and the new file's `episodes`
SINGLES = ("Season 1/Severance - S01E01.mkv", "Season 1/Severance - S01E02.mkv")
DOUBLE = "Season 1/Severance - S01E01-E02.mkv"


def upgraded_to_one(client, folder: Path) -> tuple[db.Movie, db.Movie]:
    """Both single episodes imported, then replaced by one multi-episode file."""
    make_files(folder, *SINGLES)
    post(client, per_file(folder, SINGLES[0]))
    post(client, per_file(folder, SINGLES[1], episodes=episodes(2)))
    first, second = items(db.EPISODE)
    return first, second


def edited_title(item: db.Movie, title: str) -> None:
    """The user's edit of the item's title on its page, which locks it."""
    db.Movie.update(title=title, locked_fields=["title"]).where(db.Movie.id == item.id).execute()


def published_then_edited(client, folder: Path) -> db.Movie:
    """Both single episodes imported and published, then the first's title edited: the first."""
    first, second = upgraded_to_one(client, folder)
    (show,) = items(db.SHOW)
    published(folder, show, first, second)
    edited_title(first, "Good News About Hell")
    return first


def upgrade_to_one(client, folder: Path) -> tuple[int, dict]:
    for rel in SINGLES:
        (folder / rel).unlink()
    make_files(folder, DOUBLE)
    deleted = [episode_file(folder, rel, recycleBinPath=None) for rel in SINGLES]
    body = per_file(folder, DOUBLE, episodes=episodes(1, 2), isUpgrade=True, deletedFiles=deleted)
    return post(client, body)


def the_first_follows_the_double(first: db.Movie, folder: Path, fake) -> None:
    """After `published_then_edited` and the upgrade to DOUBLE: the only episode item is the
    first's, on the double with the user's edit and both episodes, its new episode numbers
    identified again and its publish waiting for the user."""
    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (first.id, str(folder / DOUBLE), False)
    assert (kept.title, kept.locked_fields, kept.episodes) == (
        "Good News About Hell",
        ["title"],
        [1, 2],
    )
    assert kept.publish_state == db.OUTDATED
    assert ("identify", first.id) in [c[:2] for c in fake.calls]


def test_two_episodes_upgraded_to_one_file_follow_it_as_one_item(setup):
    """The first episode's item follows the multi-episode file with its review state and the
    user's edits; the second's merges into it, so our NFO and thumb of both old names go at its
    next publish (publish.tv._orphan_sidecar: no episode has those videos any more). Both
    stayed behind, missing, and a new item with none of the user's work took the file. Other
    episode numbers: identified again, and its publish waits for the user ("Republish?")."""
    client, rt, fake, folder = setup
    first = published_then_edited(client, folder)
    status, answer = upgrade_to_one(client, folder)
    assert status == 202, answer
    the_first_follows_the_double(first, folder, fake)


def test_the_second_episode_of_a_double_upgraded_alone_does_not_take_the_firsts_data(setup):
    """Sonarr upgrades one episode of a multi-episode file alone (a proper of E02): it deletes
    `S01E01-E02.mkv` and imports `S01E02.mkv` with that file in `deletedFiles`
    (UpgradeMediaFileService; E01 has no file until it is grabbed again). The double's item,
    whose title, locks and thumb are its first episode's, followed the E02 file: E02 was
    published with E01's title. It stays, missing, with its data; E02 is an item of its own."""
    client, rt, fake, folder = setup
    make_files(folder, DOUBLE)
    post(client, per_file(folder, DOUBLE, episodes=episodes(1, 2)))
    (double,) = items(db.EPISODE)
    edited_title(double, "Good News About Hell")
    (folder / DOUBLE).unlink()
    make_files(folder, SINGLES[1])
    body = per_file(folder, SINGLES[1], episodes=episodes(2), isUpgrade=True,
                    deletedFiles=[episode_file(folder, DOUBLE)])  # fmt: skip
    assert post(client, body)[0] == 202
    (second,) = [e for e in items(db.EPISODE) if e.path == str(folder / SINGLES[1])]
    assert second.id != double.id and second.title != "Good News About Hell"
    kept = db.Movie.get_by_id(double.id)
    assert (kept.path, kept.missing, kept.title) == (
        str(folder / DOUBLE),
        True,
        "Good News About Hell",
    )


def test_the_first_episode_of_a_double_upgraded_alone_takes_its_data(setup):
    """The other way round (a proper of E01): the double's item follows E01's file, as its
    data is that episode's; E02's file comes as an item of its own."""
    client, rt, fake, folder = setup
    make_files(folder, DOUBLE)
    post(client, per_file(folder, DOUBLE, episodes=episodes(1, 2)))
    (double,) = items(db.EPISODE)
    (folder / DOUBLE).unlink()
    make_files(folder, SINGLES[0])
    body = per_file(folder, SINGLES[0], isUpgrade=True, deletedFiles=[episode_file(folder, DOUBLE)])
    assert post(client, body)[0] == 202
    (first,) = items(db.EPISODE)
    assert (first.id, first.path, first.episodes) == (double.id, str(folder / SINGLES[0]), [1])


# the multi-episode file in its season folder (the watcher's scan pairs it itself), or in
# another one, where only the webhook's `deletedFiles` tells (the series' season folder format
# changed from `Season {season}` to Sonarr's default `Season {season:00}` since the singles)
@pytest.mark.parametrize("double", [DOUBLE, "Season 01/Severance - S01E01-E02.mkv"])
def test_an_upgrade_the_watcher_scanned_first_is_followed_all_the_same(setup, double):
    """The watcher's scan (5 s after the last write: `daemon.settle_seconds`) ran before the
    webhook came (Sonarr imports extra files and writes its metadata first, or the webhook's
    scan waited behind it): the multi-episode file was a new item, which the webhook's rename
    then left alone, and both episodes stayed missing with the user's edits."""
    client, rt, fake, folder = setup
    first, second = upgraded_to_one(client, folder)
    edited_title(first, "Good News About Hell")
    for rel in SINGLES:
        (folder / rel).unlink()
    make_files(folder, double)
    jobs.enqueue_scan([str(folder)])  # the watcher's
    assert len(items(db.EPISODE)) == (1 if double == DOUBLE else 3)
    deleted = [episode_file(folder, rel) for rel in SINGLES]
    body = per_file(folder, double, episodes=episodes(1, 2), isUpgrade=True, deletedFiles=deleted)
    assert post(client, body)[0] == 202
    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (first.id, str(folder / double), False)
    assert (kept.title, kept.episodes) == ("Good News About Hell", [1, 2])


def test_an_episode_with_the_users_edits_is_kept_when_another_takes_its_file(setup):
    """The second episode's edits have no place in the multi-episode file's item (one title,
    the first episode's): its item stays, missing, with them, and says why."""
    client, rt, fake, folder = setup
    first, second = upgraded_to_one(client, folder)
    edited_title(second, "Half Loop")
    assert upgrade_to_one(client, folder)[0] == 202
    followed, left = items(db.EPISODE)
    assert (followed.id, followed.path) == (first.id, str(folder / DOUBLE))
    assert (left.id, left.title, left.missing) == (second.id, "Half Loop", True)
    warning = db.Event.get(db.Event.movie == second.id, db.Event.kind == "scan.warning")
    assert DOUBLE in warning.message


def test_two_episodes_upgraded_to_one_file_by_import_complete_follow_it(setup):
    """Sonarr's "On Import Complete" call (WebhookImportCompletePayload.cs and WebhookBase.cs
    BuildOnImportCompletePayload, 49df353f) has `episodeFiles` and no `isUpgrade` nor
    `deletedFiles`: a user with only that trigger on had both episodes left missing with
    their review state and edits, and the multi-episode file a bare new item. The scan pairs
    them: the first episode's item follows the file, the second's merges into it."""
    client, rt, fake, folder = setup
    first = published_then_edited(client, folder)
    for rel in SINGLES:
        (folder / rel).unlink()
    make_files(folder, DOUBLE)
    body = import_complete(folder, [DOUBLE])
    assert "deletedFiles" not in body and "isUpgrade" not in body
    status, answer = post(client, body)
    assert status == 202, answer
    the_first_follows_the_double(first, folder, fake)


def test_an_upgrade_while_scanning_is_off_is_followed_once_it_is_on(setup):
    """What only the payload says (which files the new one replaced) is not lost either: the
    catch-up scan makes the first episode's item follow the file. Both went missing, and a
    new item took the file."""
    client, rt, fake, folder = setup
    first, second = upgraded_to_one(client, folder)
    workflow.set_stage("scanning", False)
    assert upgrade_to_one(client, folder)[0] == 202
    assert [e.id for e in items(db.EPISODE)] == [first.id, second.id]
    workflow.set_stage("scanning", True)
    jobs.catch_up("scanning")
    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (first.id, str(folder / DOUBLE), False)


def renamed(folder: Path, old: str, new: str) -> dict:
    """WebhookRenamePayload: one file renamed."""
    return {
        "eventType": "Rename", "instanceName": "Sonarr", "series": series(folder),
        "renamedEpisodeFiles": [
            {**episode_file(folder, new), "previousRelativePath": old,
             "previousPath": str(folder / old)}
        ],
    }  # fmt: skip


def published(folder: Path, show: db.Movie, *eps: db.Movie, state: str = db.PUBLISHED) -> None:
    """The show published (its `tvshow.nfo` there) and these episodes in `state`."""
    (folder / "tvshow.nfo").write_text("<tvshow/>")
    db.Movie.update(
        identification_status=db.ENRICHED, publish_state=db.PUBLISHED, last_published_at=db.now()
    ).where(db.Movie.id.in_([show.id] + [e.id for e in eps])).execute()
    db.Movie.update(publish_state=state).where(db.Movie.id.in_([e.id for e in eps])).execute()


def publishes(fake) -> list[int]:
    return [c[1] for c in fake.calls if c[0] == "publish"]


def test_a_rename_moves_the_episode_and_republishes_it_alone(setup):
    """The episode's NFO and thumb follow its file: it alone is published (what the user had
    reviewed), not the show, whose changes the user has not reviewed may wait ("Republish?":
    auto_publish is off). It published the whole show."""
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance.S01E01.mkv", "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(folder, show, ep)
    db.Movie.update(publish_state=db.OUTDATED).where(db.Movie.id == show.id).execute()
    (folder / old).rename(folder / new)
    status, _ = post(client, renamed(folder, old, new))
    assert status == 202
    (moved,) = items(db.EPISODE)
    assert (moved.id, moved.path) == (ep.id, str(folder / new))
    assert publishes(fake) == [ep.id]


def test_a_rename_that_moved_our_nfo_and_thumb_keeps_them_ours(setup):
    """Sonarr's disk scan adopts our episode NFO and `-thumb.jpg` as its own Kodi metadata
    (named after the video; its Kodi metadata switched on or not:
    src/NzbDrone.Core/Extras/Metadata/ExistingMetadataImporter.cs, XbmcMetadata.cs
    FindMetadataFile), and its Rename moves them after the video (MetadataService.cs
    MoveFilesAfterRename, XbmcMetadata.GetFilenameAfterMove) before the webhook comes. The
    ledger named the old paths: the scan took our NFO for the user's (its title into the
    episode), and the next publish knew neither file for ours."""
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance.S01E01.mkv", "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(folder, show, ep, state=db.OUTDATED)
    ours = {
        ".nfo": b"<episodedetails><title>Good News (as published)</title></episodedetails>",
        "-thumb.jpg": b"\xff\xd8\xff\xe0 our thumb",
    }
    for suffix, data in ours.items():  # as PUBLISH recorded them (rows on the show item)
        path = folder / old.replace(".mkv", suffix)
        path.write_bytes(data)
        db.LibraryFile.create(movie=show.id, path=str(path), kind="art" if "thumb" in suffix
                              else "nfo", sha256=hashlib.sha256(data).hexdigest(),
                              size=len(data))  # fmt: skip
    (folder / old).rename(folder / new)
    for suffix in ours:  # Sonarr's MoveFilesAfterRename
        (folder / old.replace(".mkv", suffix)).rename(folder / new.replace(".mkv", suffix))

    assert post(client, renamed(folder, old, new))[0] == 202

    rows = {Path(r.path).name for r in db.LibraryFile.select()}
    assert rows == {Path(new.replace(".mkv", suffix)).name for suffix in ours}
    moved = db.Movie.get_by_id(ep.id)
    assert (moved.path, moved.title, moved.source_nfo_hash) == (str(folder / new), ep.title, None)


def test_a_rename_publishes_nothing_the_user_has_not_reviewed(setup):
    """An episode "Republish?" (a change not reviewed yet) is not published by a rename, nor is
    its show: both wait for the user, as with auto_publish off they should."""
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance.S01E01.mkv", "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(folder, show, ep, state=db.OUTDATED)
    (folder / old).rename(folder / new)
    assert post(client, renamed(folder, old, new))[0] == 202
    assert publishes(fake) == []
    assert db.Movie.get_by_id(ep.id).publish_state == db.OUTDATED


def test_a_rename_from_sonarr_before_3_0_5_scans_the_show(setup):
    """Its Rename names only the series (b815d27a: WebhookRenamePayload.cs, WebhookPayload.cs);
    `renamedEpisodeFiles` came with 3c4534940. It was a 400 "no renamedEpisodeFiles list"."""
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance.S01E01.mkv", "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (ep,) = items(db.EPISODE)
    (folder / old).rename(folder / new)
    status, answer = post(client, {"eventType": "Rename", "series": series(folder)})
    assert status == 202, answer
    (moved,) = items(db.EPISODE)
    assert (moved.id, moved.path, moved.missing) == (ep.id, str(folder / new), False)


def test_a_rename_into_another_season_takes_the_new_names_numbers(setup):
    """Sonarr names a file after its episode's numbers as they are now (RenameEpisodeFileService
    .cs: FileNameBuilder.BuildFilePath; previousPath is series.Path + the old relativePath):
    a special TheTVDB moved into season 1 is renamed from `Specials/…S00E05` to `Season 1/…
    S01E05`. The item followed the file, but a renamed file keeps its size and time, so the
    scan took it for unchanged and the item stayed S00E05, with the special's identification."""
    client, rt, fake, folder = setup
    old, new = "Specials/Severance - S00E05.mkv", "Season 1/Severance - S01E05.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (ep,) = items(db.EPISODE)
    assert (ep.season, ep.episodes) == (0, [5])
    db.Movie.update(identification_status=db.IDENTIFIED, tmdb_id=1234567).where(
        db.Movie.id == ep.id
    ).execute()
    (folder / "Season 1").mkdir()
    (folder / old).rename(folder / new)
    (folder / "Specials").rmdir()  # Sonarr deletes the folder it emptied
    fake.calls.clear()

    status, answer = post(client, renamed(folder, old, new))

    assert status == 202, answer
    (moved,) = items(db.EPISODE)
    assert (moved.id, moved.path, moved.missing) == (ep.id, str(folder / new), False)
    assert (moved.season, moved.episodes) == (1, [5])
    # identified again, as S01E05: the special's id was dropped for it
    assert ("identify", ep.id) in [c[:2] for c in fake.calls]


def test_an_upgrade_named_as_the_old_file_publishes_the_episode_again_alone(setup):
    """An episode format without the quality names the upgrade as the file it replaced: the
    Download's `deletedFiles` holds the new file's own path (WebhookBase.cs
    BuildOnDownloadPayload). The episode was not published again, its NFO's <streamdetails>
    the old file's; as after a rename, it alone is published again."""
    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01 - Good News About Hell.mkv"
    make_files(folder, rel)
    post(client, per_file(folder, rel))
    (show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(folder, show, ep)
    (folder / rel).write_bytes(b"\x1a\x45\xdf\xa3 the 2160p upgrade, bigger than the old file")
    fake.calls.clear()
    body = per_file(folder, rel, isUpgrade=True, deletedFiles=[episode_file(folder, rel)])

    assert post(client, body)[0] == 202

    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.missing) == (ep.id, str(folder / rel), False)
    assert publishes(fake) == [ep.id]


def test_a_rename_to_the_same_numbers_opens_no_file(setup, monkeypatch):
    """A whole series renamed to another format (the episode titles added) keeps each file's
    numbers: the names are read, no file is opened again (a thousand probes on a share)."""
    from metarrd.scan import tv

    client, rt, fake, folder = setup
    old, new = "Season 1/Severance.S01E01.mkv", "Season 1/Severance - S01E01 - Good News.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (ep,) = items(db.EPISODE)
    probed = []
    real = tv.probe_episode
    monkeypatch.setattr(tv, "probe_episode", lambda c, d, t, path, *a: probed.append(path)
                        or real(c, d, t, path, *a))  # fmt: skip
    (folder / old).rename(folder / new)

    assert post(client, renamed(folder, old, new))[0] == 202

    (moved,) = items(db.EPISODE)
    assert (moved.id, moved.path, moved.season, moved.episodes) == (
        ep.id,
        str(folder / new),
        1,
        [1],
    )
    assert probed == []


@pytest.mark.parametrize("first", ["watcher", "webhook", "no webhook"])
def test_an_upgrade_named_as_the_old_file_is_published_again_once(setup, first):
    """Sonarr's upgrade kept under the old file's name, seen by the watcher's scan before its
    Download webhook, after it, or with no webhook: the episode is published again once,
    alone, its NFO's <streamdetails> being the old file's (real files: H.264, then HEVC)."""
    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01 - Good News About Hell.mkv"
    video = folder / rel
    video.parent.mkdir(parents=True)
    _put(video, MEDIA / "h264_aac_2audio_sub.mkv")
    post(client, per_file(folder, rel))
    (show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(folder, show, ep)
    fake.calls.clear()
    _put(video, MEDIA / "hevc_hdr10.mkv")
    body = per_file(folder, rel, isUpgrade=True, deletedFiles=[episode_file(folder, rel)])

    if first in ("watcher", "no webhook"):
        jobs.enqueue_scan([video.parent])
    if first != "no webhook":
        assert post(client, body)[0] == 202
    if first == "webhook":
        jobs.enqueue_scan([video.parent])

    assert publishes(fake) == [ep.id]
    (stream,) = db.VideoStream.select().where(db.VideoStream.movie == ep.id)
    assert stream.codec == "hevc"


def test_a_delete_for_an_upgrade_keeps_the_episode_the_download_moves_it(setup):
    client, rt, fake, folder = setup
    old, new = "Season 1/Severance - S01E01 - 720p.mkv", "Season 1/Severance - S01E01 - 1080p.mkv"
    make_files(folder, old)
    post(client, per_file(folder, old))
    (ep,) = items(db.EPISODE)
    db.Movie.update(identification_status=db.ENRICHED, title="Good News").where(
        db.Movie.id == ep.id
    ).execute()
    (folder / old).unlink()
    body = {"eventType": "EpisodeFileDelete", "series": series(folder), "episodes": episodes(1),
            "episodeFile": episode_file(folder, old), "deleteReason": "upgrade"}  # fmt: skip
    status, _ = post(client, body)
    assert status == 200
    assert not db.Movie.get_by_id(ep.id).missing
    make_files(folder, new)
    upgrade = per_file(folder, new, isUpgrade=True,
                       deletedFiles=[episode_file(folder, old, recycleBinPath="/bin/x.mkv")])  # fmt: skip
    assert post(client, upgrade)[0] == 202
    (kept,) = items(db.EPISODE)
    assert (kept.id, kept.path, kept.title) == (ep.id, str(folder / new), "Good News")


def test_a_manual_delete_marks_the_episode_missing_and_keeps_its_data(setup):
    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01.mkv"
    make_files(folder, rel)
    post(client, per_file(folder, rel))
    (folder / rel).unlink()
    body = {"eventType": "EpisodeFileDelete", "series": series(folder), "episodes": episodes(1),
            "episodeFile": episode_file(folder, rel), "deleteReason": "manual"}  # fmt: skip
    assert post(client, body)[0] == 202
    (ep,) = items(db.EPISODE)
    assert ep.missing


def test_a_series_added_before_its_folder_exists_says_so(setup):
    """Sonarr adds a series before anything is downloaded (WebhookSeriesAddPayload, Sonarr
    src/NzbDrone.Core/Notifications/Webhook/WebhookBase.cs BuildOnSeriesAdd): its folder is not
    there yet. The answer said "scan of … queued" as if something would be found; it says the
    folder is not there yet, as Radarr's MovieAdded does, and nothing is created."""
    client, rt, fake, folder = setup
    body = {"eventType": "SeriesAdd", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(folder)}  # fmt: skip
    status, answer = post(client, body)
    assert status == 202
    assert answer["message"] == (
        f"{folder} is not there yet (the Download scans it); scan of {folder} queued"
    )
    assert not folder.exists() and db.Movie.select().count() == 0
    make_files(folder, "Season 1/Severance - S01E01.mkv")  # a library import: it is there
    assert post(client, body)[1]["message"] == f"scan of {folder} queued"


def test_series_add_and_delete(setup):
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01.mkv")
    status, _ = post(client, {"eventType": "SeriesAdd", "series": series(folder)})
    assert status == 202
    (show,) = items(db.SHOW)
    ident = next(c for c in fake.calls if c[0] == "identify" and c[1] == show.id)
    assert ident[2]["tvdb_id"] == 371980
    body = {"eventType": "SeriesDelete", "series": series(folder), "deletedFiles": False}
    assert post(client, body)[0] == 202
    assert not db.Movie.get_by_id(show.id).missing  # the folder is still there
    (folder / "Season 1/Severance - S01E01.mkv").unlink()
    (folder / "Season 1").rmdir()
    folder.rmdir()
    assert post(client, {**body, "deletedFiles": True})[0] == 202
    assert all(m.missing for m in db.Movie.select() if m.kind in (db.SHOW, db.EPISODE))


@pytest.mark.parametrize("event", ["SeriesDelete", "EpisodeFileDelete"])
def test_a_delete_before_sonarr_deleted_the_files_marks_them_missing(setup, monkeypatch, event):
    """Sonarr calls the webhook before it deletes the files: its EventAggregator runs the
    notification first, MediaFileDeletionService.HandleAsync deletes the show folder afterwards
    (Sonarr src/NzbDrone.Core/Messaging/Events/EventAggregator.cs). The job found them still
    there and marked nothing; it now looks again a little later."""
    import shutil

    import metarrd.scan

    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01.mkv"
    make_files(folder, rel)
    assert post(client, {"eventType": "SeriesAdd", "series": series(folder)})[0] == 202
    real = metarrd.scan.mark_gone

    def mark_gone(config, gone):  # Sonarr's deletion finishes after our first look
        found = real(config, gone)
        if event == "SeriesDelete":
            shutil.rmtree(folder, ignore_errors=True)
        elif (folder / rel).exists():
            (folder / rel).unlink()
        return found

    monkeypatch.setattr(metarrd.scan, "mark_gone", mark_gone)
    if event == "SeriesDelete":
        body = {"eventType": "SeriesDelete", "instanceName": "Sonarr", "applicationUrl": "",
                "series": series(folder), "deletedFiles": True}  # fmt: skip
    else:
        body = {"eventType": "EpisodeFileDelete", "series": series(folder),
                "episodes": episodes(1), "episodeFile": episode_file(folder, rel),
                "deleteReason": "manual"}  # fmt: skip
    assert post(client, body)[0] == 202
    (ep,) = items(db.EPISODE)
    assert ep.missing
    if event == "SeriesDelete":
        assert all(m.missing for m in db.Movie.select())


@pytest.mark.parametrize("deleted", [True, False], ids=["files-deleted", "files-kept"])
def test_a_series_delete_after_sonarr_moved_the_folder_unseen(setup, monkeypatch, deleted):
    """Sonarr moved the series folder (MoveSeriesService: no webhook), then the user deletes the
    series: the SeriesDelete names the new folder, still there when Sonarr calls. The show,
    not found there, stayed "Published" at its old folder, gone, with its episodes. It follows
    its folder first: marked missing once Sonarr deleted the files, or, the files kept, there
    with its data, not missing."""
    import metarrd.scan

    client, rt, fake, folder = setup
    rel = "Season 1/Severance - S01E01.mkv"
    make_files(folder, rel)
    assert post(client, per_file(folder, rel))[0] == 202
    (show,) = items(db.SHOW)
    published(folder, show, *items(db.EPISODE))  # identified from the series' ids
    db.Movie.update(tvdb_id=371980, tmdb_id=95396).where(db.Movie.id == show.id).execute()
    moved = folder.with_name("Severance (2022)")
    folder.rename(moved)
    real = metarrd.scan.mark_gone

    def mark_gone(config, gone):  # Sonarr's deletion finishes after our first look
        found = real(config, gone)
        if deleted:
            shutil.rmtree(moved, ignore_errors=True)
        return found

    monkeypatch.setattr(metarrd.scan, "mark_gone", mark_gone)
    body = {"eventType": "SeriesDelete", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(moved), "deletedFiles": deleted}  # fmt: skip
    assert post(client, body)[0] == 202
    assert [(m.id, m.path) for m in items(db.SHOW)] == [(show.id, str(moved))]
    assert [m.path for m in items(db.EPISODE)] == [str(moved / rel)]
    assert {m.missing for m in db.Movie.select()} == {deleted}


def test_test_event_and_a_path_outside_every_library(setup, tmp_path):
    client, rt, fake, folder = setup
    status, answer = post(client, {"eventType": "Test", "series": {"id": 1, "title": "Test Title",
                          "path": "C:\\testpath", "tvdbId": 1234, "tags": ["test-tag"]},
                          "episodes": [{"id": 123, "episodeNumber": 1, "seasonNumber": 1,
                                        "title": "Test title"}]})  # fmt: skip
    assert status == 200 and db.Job.select().count() == 0
    status, answer = post(client, per_file(tmp_path / "elsewhere", "S01E01.mkv"))
    assert status == 422 and "not inside any configured library" in answer["message"]


def test_a_series_delete_that_keeps_the_files_keeps_the_seasons(setup):
    """Sonarr's "Delete" without "Delete Files" (WebhookSeriesDeletePayload, WebhookBase.cs
    BuildOnSeriesDelete: `series` and `deletedFiles: false`): the show folder stays, so no item
    of it is missing, its season items (whose paths are no files) included."""
    client, rt, fake, folder = setup
    make_files(folder, "Season 1/Severance - S01E01.mkv", "Season 2/Severance - S02E01.mkv")
    assert post(client, {"eventType": "SeriesAdd", "instanceName": "Sonarr",
                         "series": series(folder)})[0] == 202  # fmt: skip
    assert len(items(db.SEASON)) == 2
    body = {"eventType": "SeriesDelete", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(folder), "deletedFiles": False}  # fmt: skip
    status, answer = post(client, body)
    assert status == 202
    assert [m.kind for m in db.Movie.select() if m.missing] == []
    # as for Radarr's MovieDelete: not "will be marked missing once gone"
    assert "Sonarr keeps its files, so its items stay" in answer["message"], answer


def test_a_show_folder_that_a_symlink_leads_out_of_every_library_is_422(setup, tmp_path):
    """SeriesAdd (WebhookSeriesAddPayload) naming a show folder that is a symlink out of every
    library: not scanned, as the library walk would not follow it (walk.may_follow)."""
    client, rt, fake, folder = setup
    outside = tmp_path / "elsewhere" / "Severance"
    make_files(outside, "Season 1/Severance - S01E01.mkv")
    folder.symlink_to(outside)
    status, answer = post(client, {"eventType": "SeriesAdd", "series": series(folder)})
    assert status == 422 and "outside every configured library" in answer["message"]
    status, answer = post(client, per_file(folder, "Season 1/Severance - S01E01.mkv"))
    assert status == 422
    assert db.Job.select().count() == 0 and db.Movie.select().count() == 0


def test_a_rename_of_a_long_running_show_is_not_too_large(tmp_path):
    """Sonarr renames a whole series in one Rename (WebhookRenamePayload: one
    WebhookRenamedEpisodeFile per file, every WebhookEpisodeFile field and the previous paths),
    serialised indented (NzbDrone.Common/Serializer/Newtonsoft.Json/Json.cs): about 1.2 KB a
    file, so a show of 1,000 files (a daily show, a long anime) sends more than 1 MiB. That
    was refused with 413, and without the renames every episode lost its item to a new one."""
    from metarrd.web import create_app

    (tmp_path / "tv").mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
            "webhooks": {"token": TOKEN},
        }
    )
    app = create_app(config, testing=True)
    folder = tmp_path / "tv" / "The Daily Show"
    files = []
    for n in range(1, 1001):
        new = f"Season 2015/The Daily Show - 2015x{n:04d} - Guest {n} [WEBDL-720p][h264]-GRP.mkv"
        old = f"Season 2015/The.Daily.Show.2015x{n:04d}.Guest.{n}.720p.WEB.h264-GRP.mkv"
        files.append({**episode_file(folder, new, sceneName=old[12:-4]),
                      "previousRelativePath": old, "previousPath": str(folder / old)})  # fmt: skip
    body = {"eventType": "Rename", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(folder), "renamedEpisodeFiles": files}  # fmt: skip
    data = json.dumps(body, indent=2).encode()
    assert len(data) > 1024 * 1024
    r = app.test_client().post(
        "/api/webhooks/sonarr", data=data, headers={**KEY, "Content-Type": "application/json"}
    )
    assert r.status_code == 202, r.get_data(as_text=True)[:200]
    assert r.get_json()["message"] == "1000 renames queued"
    too_large = b" " * webhooks.MAX_BODY_BYTES + data
    r = app.test_client().post(
        "/api/webhooks/sonarr", data=too_large, headers={**KEY, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


def windows_per_file(show: str, rel: str) -> dict:
    """WebhookImportPayload from Sonarr on Windows: `series.path` and the file's `path` as
    Windows spells them, `relativePath` with backslashes (Path.Combine)."""
    body = per_file(Path("/unused"), rel)
    body["series"]["path"] = show
    rel = rel.replace("/", "\\")
    body["episodeFile"].update(relativePath=rel, path=f"{show}\\{rel}")
    return body


def windows_setup(tmp_path, from_: str | None):
    """A TV library holding Severance; `from_`: the Windows folder `[webhooks] path_map` maps
    onto the library (None: no path_map)."""
    library = tmp_path / "srv" / "tv"
    path_map = [{"from": from_, "to": str(library)}] if from_ else []
    (library / "Severance" / "Season 1").mkdir(parents=True)
    (library / "Severance" / "Season 1" / "Severance - S01E01.mkv").write_bytes(b"\x1a\x45\xdf\xa3")
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(library), "kind": "tv"}],
            "webhooks": {"token": TOKEN, "path_map": path_map},
        }
    )
    client, rt = webhook_client(config)
    return client, rt, library


@pytest.mark.parametrize(
    ("from_", "show"),
    [
        ("D:\\Media\\TV", "D:\\Media\\TV\\Severance"),
        ("d:\\MEDIA\\tv\\", "D:\\Media\\TV\\Severance"),
        ("\\\\nas\\tv", "\\\\NAS\\TV\\Severance"),
    ],
    ids=["drive", "other-case", "unc"],
)
def test_a_windows_series_is_scanned_through_path_map(tmp_path, fake_stages, from_, show):
    """Sonarr on Windows sends `D:\\Media\\TV\\Severance` (or a UNC share): a `[webhooks]
    path_map` entry from that Windows folder maps it, backslashes and all, matched ignoring
    case as Windows does. It was refused with 400 "not an absolute path"."""
    client, rt, library = windows_setup(tmp_path, from_)
    try:
        status, answer = post(client, windows_per_file(show, "Season 1/Severance - S01E01.mkv"))
        assert status == 202, answer
        (item,) = items(db.SHOW)
        assert item.path == str(library / "Severance")
        (ep,) = items(db.EPISODE)
        assert ep.path == str(library / "Severance" / "Season 1" / "Severance - S01E01.mkv")
    finally:
        rt.close()


def test_a_windows_series_without_path_map_is_422_saying_what_to_add(tmp_path, fake_stages):
    client, rt, library = windows_setup(tmp_path, None)
    try:
        body = windows_per_file("D:\\Media\\TV\\Severance", "Season 1/Severance - S01E01.mkv")
        status, answer = post(client, body)
        assert status == 422
        assert "Sonarr sends Windows paths" in answer["message"]
        assert answer["path_map"] == {"from": "D:\\Media\\TV", "to": str(library)}
        assert db.Job.select().count() == 0
    finally:
        rt.close()


def test_a_windows_relative_path_cannot_leave_the_show(tmp_path, fake_stages):
    """A file named only by its `relativePath` is joined to the show folder as Windows joins
    paths, and `..` resolved before the mapping: `..\\..\\..\\etc\\x.mkv` is outside it."""
    client, rt, library = windows_setup(tmp_path, "D:\\Media\\TV")
    try:
        body = windows_per_file("D:\\Media\\TV\\Severance", "Season 1/Severance - S01E01.mkv")
        del body["episodeFile"]["path"]
        body["episodeFile"]["relativePath"] = "..\\..\\..\\etc\\x.mkv"
        status, answer = post(client, body)
        assert status == 422 and "D:\\etc\\x.mkv is not inside" in answer["message"]
        assert db.Job.select().count() == 0
    finally:
        rt.close()


@pytest.mark.parametrize("event", ["SeriesAdd", "SeriesDelete", "Rename", "Download"])
def test_a_container_path_is_422_naming_the_path_map_for_every_event(tmp_path, event):
    """Sonarr in Docker sends its own `series.path` (WebhookSeries.Path), "/tv/Severance" for
    our <library>/Severance: every event's 422 names the `[webhooks] path_map` entry, and
    Sonarr. SeriesAdd, SeriesDelete and Rename (whose first path is the show folder, not a
    file) gave no entry: the guess started from the folder's parent."""
    library = tmp_path / "srv" / "media" / "shows"
    (library / "Severance").mkdir(parents=True)
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(library), "kind": "tv"}],
            "webhooks": {"token": TOKEN},
        }
    )
    rt = open_runtime(config)
    try:
        app = Flask(__name__)
        app.config["METARRD"] = config
        app.register_blueprint(webhooks.bp)
        sent = Path("/tv/Severance")
        body = {"eventType": event, "instanceName": "Sonarr", "series": series(sent),
                "deletedFiles": False,
                "renamedEpisodeFiles": [{**episode_file(sent, "Severance - S01E01.mkv"),
                                         "previousPath": str(sent / "S01E01.mkv")}]}  # fmt: skip
        if event == "Download":
            body = per_file(sent, "Season 1/Severance - S01E01.mkv")
        status, answer = post(app.test_client(), body)
        assert status == 422
        assert answer["path_map"] == {"from": "/tv", "to": str(library)}
        assert "If Sonarr sees the library under another path" in answer["message"]
    finally:
        rt.close()


def test_a_download_into_a_show_folder_that_is_not_there_is_a_warning(setup):
    """Sonarr's series path mapped to a folder that is not the show's here: a warning on the
    Activity page, where it was a silent 202."""
    client, rt, fake, show = setup
    r = client.post(
        "/api/webhooks/sonarr", json=per_file(show, "Season 1/Severance - S01E01.mkv"), headers=KEY
    )
    assert r.status_code == 202 and f"{show} is not there" in r.get_json()["message"]
    (event,) = db.Event.select().where(db.Event.kind == "webhook.missing")
    assert event.level == "warning"
    assert fake.calls == []


def test_a_download_of_a_show_spelled_nfd_on_disk_finds_it(setup):
    """Sonarr sends `Pokémon` NFC, the disk holds it NFD: the show's folder is scanned."""
    client, rt, fake, _ = setup
    library = Path(rt.config.library[0].path)
    show = library / unicodedata.normalize("NFD", "Pokémon (1997)")
    video = show / "Season 1" / "Pokémon - S01E01.mkv"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"\0" * 2048)
    sent = library / unicodedata.normalize("NFC", "Pokémon (1997)")
    body = per_file(sent, "Season 1/Pokémon - S01E01.mkv")
    r = client.post("/api/webhooks/sonarr", json=body, headers=KEY)
    assert r.status_code == 202 and r.get_json()["message"] == f"scan of {show} queued"
    assert db.Movie.get(db.Movie.kind == db.SHOW).path == str(show)
    assert not db.Event.select().where(db.Event.kind == "webhook.missing").exists()


@pytest.mark.parametrize("event", ["EpisodeFileDelete", "SeriesDelete"])
def test_a_delete_of_a_show_spelled_nfd_on_disk_marks_it_missing(setup, event):
    """Sonarr sends `Pokémon` NFC, the scan stored it as the disk spells it, NFD: once deleted,
    the disk can no longer say, and the delete matched no item (a 202 and nothing marked)."""
    import shutil

    client, rt, fake, _ = setup
    library = Path(rt.config.library[0].path)
    show = library / unicodedata.normalize("NFD", "Pokémon (1997)")
    rel = unicodedata.normalize("NFD", "Season 1/Pokémon - S01E01.mkv")
    make_files(show, rel)
    sent = library / unicodedata.normalize("NFC", "Pokémon (1997)")
    assert post(client, {"eventType": "SeriesAdd", "series": series(sent)})[0] == 202
    (ep,) = items(db.EPISODE)
    if event == "SeriesDelete":
        shutil.rmtree(show)
        body = {"eventType": "SeriesDelete", "series": series(sent), "deletedFiles": True}
    else:
        (show / rel).unlink()
        body = {"eventType": "EpisodeFileDelete", "series": series(sent), "episodes": episodes(1),
                "episodeFile": episode_file(sent, unicodedata.normalize("NFC", rel)),
                "deleteReason": "manual"}  # fmt: skip
    assert post(client, body)[0] == 202
    assert db.Movie.get_by_id(ep.id).missing


def test_a_rename_of_an_episode_spelled_nfd_on_disk_publishes_it_again(setup):
    """Sonarr sends `Pokémon` NFC, the episode's item holds it NFD: its old file gone, it was
    moved by the scan (same size and time) but not published again, its NFO and thumb left
    at the old name."""
    client, rt, fake, _ = setup
    library = Path(rt.config.library[0].path)
    show = library / unicodedata.normalize("NFD", "Pokémon (1997)")
    old, new = (
        "Season 1/Pokémon.S01E01.mkv",
        "Season 1/Pokémon - S01E01 - Pokémon, I Choose You!.mkv",
    )
    make_files(show, unicodedata.normalize("NFD", old))
    sent = library / unicodedata.normalize("NFC", "Pokémon (1997)")
    assert post(client, per_file(sent, old))[0] == 202
    (tv_show,) = items(db.SHOW)
    (ep,) = items(db.EPISODE)
    published(show, tv_show, ep)
    (show / unicodedata.normalize("NFD", old)).rename(show / unicodedata.normalize("NFD", new))
    assert post(client, renamed(sent, old, new))[0] == 202
    moved = db.Movie.get_by_id(ep.id)
    assert (moved.path, moved.missing) == (str(show / unicodedata.normalize("NFD", new)), False)
    assert publishes(fake) == [ep.id]


def test_a_download_of_an_episode_a_plexignore_leaves_out_says_so(setup):
    """An episode Sonarr imports into a season the show's `.plexignore` keeps out of Plex
    (`Season 2/*`, the `Folder/*` form of Plex's "Excluding New Content with .plexignore"):
    the answer was a bare "scan queued" and the episode was taken. Now neither."""
    client, rt, fake, folder = setup
    rel = "Season 2/Severance - S02E01 - Hello, Ms. Cobel.mkv"
    make_files(folder, rel)
    (folder / ".plexignore").write_text("# kept for later\nSeason 2/*\n")
    status, answer = post(client, per_file(folder, rel))
    assert status == 202
    assert answer["message"] == (
        f"Download: {folder / rel} is not scanned: matched by the pattern `Season 2/*` in "
        f"{folder}/.plexignore (Plex does not scan it): not scanned"
    )
    assert items(db.EPISODE) == []
