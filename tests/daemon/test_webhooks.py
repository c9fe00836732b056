"""Radarr/Sonarr webhooks, mounted on a bare Flask app: authentication, the stage switch, every
Radarr event, Sonarr's two Download shapes, and what the queued jobs then do."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import logging
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from metarrd import db, workflow
from metarrd.pipeline import housekeeping, jobs
from metarrd.scan import scan
from tests.conftest import two_cd_rip
from tests.daemon.conftest import webhook_client

TOKEN = "s3cret-token"


@pytest.fixture
def setup(config_factory, fake_stages):
    config = config_factory(webhooks={"token": TOKEN})
    client, rt = webhook_client(config)
    yield client, rt, fake_stages
    rt.close()


def _basic(password: str, user: str = "radarr") -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


KEY = {"X-Api-Key": TOKEN}


def downloaded_heat(rt) -> Path:
    """Radarr's import of Heat in the movie library: its folder, as the scene named it."""
    folder = Path(rt.config.library[0].path) / "Heat.1995.1080p.BluRay-GRP"
    folder.mkdir()
    (folder / "heat.mkv").write_bytes(b"\0" * 2048)
    return folder


def download(folder: Path, tmdb_id=949, imdb_id="tt0113277", **extra):
    return {
        "eventType": "Download",
        "instanceName": "Radarr",
        "movie": {
            "id": 1,
            "title": "Heat",
            "year": 1995,
            "folderPath": str(folder),
            "tmdbId": tmdb_id,
            "imdbId": imdb_id,
        },
        "movieFile": {"relativePath": "heat.mkv", "path": str(folder / "heat.mkv")},
        "isUpgrade": False,
        **extra,
    }


def test_the_token_is_required(setup):
    client, rt, _ = setup
    body = {"eventType": "Test"}
    assert client.post("/api/webhooks/radarr", json=body).status_code == 401
    assert client.post("/api/webhooks/radarr", json=body, headers=_basic("nope")).status_code == 401
    r = client.post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": "nope"})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert client.post("/api/webhooks/radarr", json=body, headers=_basic(TOKEN)).status_code == 200
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 200


def test_an_empty_configured_token_refuses_everything(config_factory):
    client, rt = webhook_client(config_factory())
    r = client.post("/api/webhooks/radarr", json={"eventType": "Test"}, headers=_basic(""))
    assert r.status_code == 403 and "[webhooks] token" in r.get_json()["message"]
    rt.close()


@pytest.mark.parametrize("app", ["radarr", "sonarr"])
def test_the_token_goes_as_the_basic_auth_password_or_in_x_api_key_at_both_urls(setup, app):
    client, _rt, _ = setup
    url, body = f"/api/webhooks/{app}", {"eventType": "Test"}
    for headers in (_basic(TOKEN), _basic(TOKEN, user=""), KEY):
        assert client.post(url, json=body, headers=headers).status_code == 200, headers
    for headers in ({}, _basic("nope"), {"X-Api-Key": "nope"}, {"X-Api-Key": TOKEN[:-1]}):
        assert client.post(url, json=body, headers=headers).status_code == 401, headers


@pytest.mark.parametrize("app", ["radarr", "sonarr"])
def test_an_empty_token_refuses_every_way_of_sending_one(config_factory, app):
    """interface.md: an empty `[webhooks] token` refuses webhooks, at both URLs, whatever is
    sent: nothing, an empty X-Api-Key, an empty password, any password."""
    client, rt = webhook_client(config_factory())
    for headers in ({}, {"X-Api-Key": ""}, _basic(""), _basic("anything"), {"X-Api-Key": "x"}):
        r = client.post(f"/api/webhooks/{app}", json={"eventType": "Test"}, headers=headers)
        assert r.status_code == 403, (headers, r.get_json())
    rt.close()


def test_stage_off_is_503_with_a_clear_body(setup):
    client, rt, _ = setup
    workflow.set_stage("webhooks", False)
    r = client.post("/api/webhooks/radarr", json={"eventType": "Test"}, headers=KEY)
    assert r.status_code == 503
    assert "webhooks stage is switched off" in r.get_json()["message"]


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"[1, 2]", b'{"movie": {}}', b'{"eventType": 3}'],
    ids=["not-json", "a-list", "no-event", "event-not-a-string"],
)
def test_malformed_body_is_400(setup, data):
    client, rt, _ = setup
    r = client.post(
        "/api/webhooks/radarr", data=data, headers={**KEY, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.get_json()["message"].startswith("malformed body")


def test_download_without_movie_is_400(setup):
    client, rt, _ = setup
    r = client.post("/api/webhooks/radarr", json={"eventType": "Download"}, headers=KEY)
    assert r.status_code == 400


def test_test_event_does_nothing(setup):
    client, rt, fake = setup
    body = download(Path("C:\\testpath"), tmdb_id=0) | {"eventType": "Test"}
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 200
    assert db.Job.select().count() == 0 and fake.calls == []


def test_unknown_and_ignored_events_are_200_with_a_log_line(setup, caplog):
    client, rt, _ = setup
    caplog.set_level(logging.INFO, logger="metarrd.web.webhooks")
    for event in ("SomethingNew", "Grab"):
        r = client.post("/api/webhooks/radarr", json={"eventType": event}, headers=KEY)
        assert r.status_code == 200
    assert any("unknown event 'SomethingNew'" in r.getMessage() for r in caplog.records)
    assert db.Job.select().count() == 0


def test_download_scans_the_folder_and_identifies_from_the_ids(setup):
    client, rt, fake = setup
    folder = downloaded_heat(rt)
    r = client.post("/api/webhooks/radarr", json=download(folder), headers=KEY)
    assert r.status_code == 202
    movie = db.Movie.get()
    assert movie.path == str(folder / "heat.mkv")
    assert fake.calls[0] == (
        "identify",
        movie.id,
        {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"},
    )
    assert fake.stages() == ["identify", "enrich"]  # and it stops for review
    # Radarr sends it again (an upgrade with the same file): the item is that movie already
    client.post("/api/webhooks/radarr", json=download(folder), headers=KEY)
    assert fake.stages() == ["identify", "enrich"] and db.Movie.select().count() == 1


def test_a_download_while_scanning_is_off_is_identified_from_its_ids_once_it_is_on(setup):
    """`scanning` off, `webhooks` on: the scan that catches up once scanning is on again
    identified the movie by a search of its folder's name (`Heat.1995.1080p.BluRay-GRP`),
    Radarr's tmdbId lost with the skipped scan."""
    client, rt, fake = setup
    workflow.set_stage("scanning", False)
    folder = downloaded_heat(rt)
    r = client.post("/api/webhooks/radarr", json=download(folder), headers=KEY)
    assert r.status_code == 202
    assert "the scanning stage is switched off: this is kept" in r.get_json()["message"]
    assert db.Movie.select().count() == 0
    workflow.set_stage("scanning", True)
    jobs.enqueue_catch_up("scanning")  # Settings' switch
    movie = db.Movie.get()
    assert fake.calls[0] == (
        "identify", movie.id, {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}
    )  # fmt: skip
    jobs.enqueue_catch_up("scanning")  # each webhook's ids are given once
    assert [c[0] for c in fake.calls].count("identify") == 1


def test_the_ids_of_a_download_held_while_scanning_is_off_outlast_the_daemons_housekeeping(
    setup,
):
    """Scanning off for longer than finished jobs are kept (two months: the NAS's array
    rebuilt): the held webhook's scan is a finished job, read only when scanning is on again.
    The daemon's housekeeping (every 6 h) forgot it with the other old jobs, and the catch-up
    scan identified the movie by a search of its folder's name, Radarr's tmdbId lost."""
    client, rt, fake = setup
    workflow.set_stage("scanning", False)
    folder = downloaded_heat(rt)
    assert (
        client.post("/api/webhooks/radarr", json=download(folder), headers=KEY).status_code == 202
    )
    old = db.Job.create(kind="scan", key="old", state="done", finished_at=db.now())
    months = db.now() - datetime.timedelta(days=2 * housekeeping.JOB_DAYS + 1)
    db.Job.update(finished_at=months).where(db.Job.state == "done").execute()
    housekeeping.forget_old(rt.config)
    assert not db.Job.select().where(db.Job.id == old.id).exists()  # an old one goes
    workflow.set_stage("scanning", True)
    jobs.enqueue_catch_up("scanning")
    movie = db.Movie.get()
    assert fake.calls[0] == (
        "identify", movie.id, {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}
    )  # fmt: skip


def test_a_download_while_identification_is_off_is_identified_from_its_ids_once_it_is_on(
    setup,
):
    """`identification` off, `webhooks` on: the scan made the item and dropped Radarr's ids;
    the identify that catches up once the stage is on again searched TMDB for the folder's
    name (`Heat.1995.1080p.BluRay-GRP`: a guess, where Radarr had said tmdbId 949)."""
    client, rt, fake = setup
    workflow.set_stage("identification", False)
    folder = downloaded_heat(rt)
    assert (
        client.post("/api/webhooks/radarr", json=download(folder), headers=KEY).status_code == 202
    )
    movie = db.Movie.get()
    assert fake.calls == []
    workflow.set_stage("identification", True)
    assert jobs.catch_up("identification") == 1
    assert fake.calls[0] == (
        "identify", movie.id, {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}
    )  # fmt: skip


def test_a_download_does_not_undo_the_users_own_identification(setup):
    """The user identified the movie by hand as another film than Radarr has it as (Radarr's
    movie added wrong: `Heat (1995)` for the 1986 one, tmdbId 949). Radarr's next Download
    of the folder (an upgrade) identified it again from its ids, undoing the user's choice.
    The user's stands; a warning names the disagreement."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Heat (1986)"
    folder.mkdir()
    (folder / "heat.mkv").write_bytes(b"\0" * 2048)
    assert (
        client.post("/api/webhooks/radarr", json=download(folder), headers=KEY).status_code == 202
    )
    movie = db.Movie.get()
    db.Movie.update(tmdb_id=31650, identified_by="manual").where(db.Movie.id == movie.id).execute()
    fake.calls.clear()
    (folder / "heat.mkv").write_bytes(b"\1" * 4096)  # the upgrade, under the same name
    assert (
        client.post("/api/webhooks/radarr", json=download(folder), headers=KEY).status_code == 202
    )
    assert [c for c in fake.calls if c[0] == "identify"] == []
    assert db.Movie.get_by_id(movie.id).tmdb_id == 31650
    warning = db.Event.get(db.Event.kind == "webhook.ignored")
    assert "31650" in warning.message and "949" in warning.message


@pytest.mark.parametrize(
    ("movie_ids", "remote", "given"),
    [
        ({"tmdb_id": 0}, None, {"tmdb_id": None, "imdb_id": "tt0113277", "source": "webhook"}),
        ({"tmdb_id": 949, "imdb_id": ""}, None,
         {"tmdb_id": 949, "imdb_id": None, "source": "webhook"}),
        ({"tmdb_id": 0, "imdb_id": ""}, {"tmdbId": 949, "imdbId": "tt0113277"},
         {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}),
        ({"tmdb_id": 0, "imdb_id": ""}, None, {"tmdb_id": None, "imdb_id": None, "source": None}),
    ],
    ids=["imdb-only", "tmdb-only", "from-remote-movie", "no-id-at-all"],
)  # fmt: skip
def test_a_movie_id_of_0_or_empty_is_no_id(setup, movie_ids, remote, given):
    """WebhookMovie sends `tmdbId: 0` and `imdbId: ""` for a provider the movie is not matched
    on: never an id. The other id, else `remoteMovie`'s, identifies it; with none at all it is
    identified as any new movie is (by its name)."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    (folder / "heat.mkv").write_bytes(b"\0" * 2048)
    body = download(folder, **movie_ids)
    if remote is not None:
        body["remoteMovie"] = {"title": "Heat", "year": 1995, **remote}
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    movie = db.Movie.get()
    assert [c for c in fake.calls if c[0] == "identify"] == [("identify", movie.id, given)]


@pytest.mark.parametrize(
    "imdb_id",
    ["tt\u0660\u0661\u0661\u0663\u0662\u0667\u0667", "tt\u00b2\u00b2", "tt" + "1" * 5000],
    ids=["arabic-indic-digits", "superscripts", "5000-digits"],
)
def test_an_imdb_id_that_is_none_gives_way_to_the_remote_movies_ids(setup, imdb_id):
    """A hostile sender's `imdbId` (digits to str.isdigit() that are not ASCII, or thousands
    of them) is no id: it was handed to the identify stage as the movie's IMDb id, where no
    provider could find it, and it hid the real ids of `remoteMovie`. Radarr's WebhookMovie
    (src/NzbDrone.Core/Notifications/Webhook/WebhookMovie.cs) sends IMDb's own `tt0113277`."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    (folder / "heat.mkv").write_bytes(b"\0" * 2048)
    body = download(folder, tmdb_id=0, imdb_id=imdb_id)
    body["remoteMovie"] = {"title": "Heat", "year": 1995, "tmdbId": 949, "imdbId": "tt0113277"}
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    movie = db.Movie.get()
    given = {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}
    assert [c for c in fake.calls if c[0] == "identify"] == [("identify", movie.id, given)]


def test_download_of_an_upgrade_keeps_the_item(setup, make_movie):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Remux-2160p.mkv")
    old.unlink()
    new.write_bytes(b"\0" * 4096)
    body = download(old.parent, movieFile={"path": str(new)}, isUpgrade=True)
    body["deletedFiles"] = [{"path": str(old)}]
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert item.id == movie.id and item.path == str(new) and not item.missing


@pytest.mark.parametrize(("state", "published"), [(db.PUBLISHED, True), (db.OUTDATED, False)])
def test_an_upgrade_named_as_the_old_file_publishes_a_published_movie_again(
    setup, make_movie, state, published
):
    """Radarr's default movie format without the quality (`{Movie Title} ({Release Year})`)
    names the upgrade as the file it replaces: its Download has `isUpgrade` and a deletedFiles
    entry of the same path (WebhookBase.cs BuildOnDownloadPayload: Path.Combine(movie.Path,
    RelativePath)). The item kept its file but was never published again, as an upgrade is:
    its NFO kept the old file's <streamdetails> (720p for a 2160p remux) and it stayed
    "Published". As for a rename, one "Republish?" waits for the user."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    db.Movie.update(publish_state=state, last_published_at=db.now()).where(
        db.Movie.id == movie.id
    ).execute()
    path = Path(movie.path)
    path.write_bytes(b"\0" * 8192)  # Radarr deleted the old file and moved the new one in
    relative = path.name
    body = download(path.parent, isUpgrade=True)
    body["movieFile"] = {"relativePath": relative, "path": str(path), "size": 8192}
    body["deletedFiles"] = [{"relativePath": relative, "path": str(path), "size": 4096}]

    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202

    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, str(path), False)
    publishes = [c[1] for c in fake.calls if c[0] == "publish"]
    assert publishes == ([movie.id] if published else [])


MEDIA = Path(__file__).resolve().parents[1] / "media"


def _put(video: Path, source: Path) -> None:
    """`source` copied beside `video`, then moved over it, as Radarr imports a file."""
    part = video.with_name(video.name + ".partial~")
    shutil.copy2(source, part)
    os.replace(part, video)


@pytest.mark.parametrize("first", ["watcher", "webhook", "no webhook"])
def test_an_upgrade_named_as_the_old_file_is_published_again_once(setup, make_movie, first):
    """Radarr's upgrade kept under the old file's name (a format without the quality), seen
    by the watcher's scan of the folder before its Download webhook, after it, or with no
    webhook at all (off, or never set up): the same end, the movie published again once, its
    NFO's <streamdetails> being the old file's (H.264 then; HEVC HDR10 now). The watcher's scan
    left it "Published"; the webhook after it published it again."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)")
    path = Path(movie.path)
    _put(path, MEDIA / "h264_aac_2audio_sub.mkv")
    jobs.enqueue_scan([path.parent])  # its streams recorded
    db.Movie.update(
        identification_status=db.ENRICHED, tmdb_id=949, publish_state=db.PUBLISHED,
        last_published_at=db.now(),
    ).where(db.Movie.id == movie.id).execute()  # fmt: skip
    fake.calls.clear()
    _put(path, MEDIA / "hevc_hdr10.mkv")
    body = download(path.parent, isUpgrade=True)
    body["movieFile"] = {"relativePath": path.name, "path": str(path)}
    body["deletedFiles"] = [{"relativePath": path.name, "path": str(path)}]

    if first in ("watcher", "no webhook"):
        jobs.enqueue_scan([path.parent])
    if first != "no webhook":
        assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    if first == "webhook":
        jobs.enqueue_scan([path.parent])

    assert [c[1] for c in fake.calls if c[0] == "publish"] == [movie.id]
    (video,) = db.VideoStream.select().where(db.VideoStream.movie == movie.id)
    assert video.codec == "hevc"


def test_ids_for_a_folder_of_several_movies_go_to_none(setup, make_movie):
    """A library's root sent as the movie's folder (a misconfigured path, a forged payload):
    the scan runs, but the one movie's ids are given to no item, where each of the folder's
    movies was re-identified as that movie before."""
    client, rt, fake = setup
    heat = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    alien = make_movie(rt, "Alien (1979)", identification_status=db.ENRICHED, tmdb_id=348)
    root = Path(rt.config.library[0].path)
    r = client.post("/api/webhooks/radarr", json=download(root, tmdb_id=603), headers=KEY)
    assert r.status_code == 202
    assert fake.calls == []
    assert [db.Movie.get_by_id(m.id).tmdb_id for m in (heat, alien)] == [949, 348]
    (event,) = db.Event.select().where(db.Event.kind == "webhook.ignored")
    assert "holds 2 movies" in event.message
    one = client.post(
        "/api/webhooks/radarr", json=download(Path(heat.path).parent, tmdb_id=603), headers=KEY
    )
    assert one.status_code == 202
    assert [(stage, mid, kw["tmdb_id"]) for stage, mid, kw in fake.calls[:1]] == [
        ("identify", heat.id, 603)
    ]


def test_a_download_beside_a_version_added_by_hand_identifies_the_file_it_imported(setup):
    """Radarr keeps one file a movie; users add another cut by hand beside it ("Blade Runner
    (1982) - Director's Cut.mkv", Kodi's and Jellyfin's versions). Radarr's Download names the
    file it imported (WebhookMovieFile.relativePath): its ids go to that file's item. They went
    to none, the folder holding two movies, with a warning that the ids named one."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Blade Runner (1982)"
    folder.mkdir()
    cut = folder / "Blade Runner (1982) - Director's Cut.mkv"
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", cut)
    hand = db.Movie.create(library=db.Library.get(), path=str(cut), title="Blade Runner",
                           identification_status=db.ENRICHED, tmdb_id=78)  # fmt: skip
    rel = "Blade Runner (1982) {edition-Final Cut} Bluray-1080p.mkv"
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", folder / rel)
    body = {
        "eventType": "Download", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 7, "title": "Blade Runner", "year": 1982, "releaseDate": "1982-06-25",
                  "folderPath": str(folder), "tmdbId": 78, "imdbId": "tt0083658",
                  "overview": "", "genres": [], "images": [], "tags": [],
                  "originalLanguage": {"id": 1, "name": "English"}},
        "remoteMovie": {"tmdbId": 78, "imdbId": "tt0083658", "title": "Blade Runner",
                        "year": 1982},
        "movieFile": {"id": 3, "relativePath": rel, "path": str(folder / rel),
                      "quality": "Bluray-1080p", "qualityVersion": 1, "releaseGroup": "GRP",
                      "sceneName": "Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-GRP",
                      "indexerFlags": "0", "size": 22859, "dateAdded": "2026-12-01T10:00:00Z",
                      "languages": [{"id": 1, "name": "English"}],
                      "sourcePath": "/downloads/Blade.Runner.1982.The.Final.Cut.1080p.BluRay"
                                    ".x264-GRP/br.mkv"},
        "isUpgrade": False, "downloadClient": "qBittorrent", "downloadClientType": "qBittorrent",
        "downloadId": "ABC",
    }  # fmt: skip
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    imported = db.Movie.get(db.Movie.path == str(folder / rel))
    given = {"tmdb_id": 78, "imdb_id": "tt0083658", "source": "webhook"}
    assert [c for c in fake.calls if c[0] == "identify"] == [("identify", imported.id, given)]
    assert db.Movie.get_by_id(hand.id).tmdb_id == 78
    assert not db.Event.select().where(db.Event.kind == "webhook.ignored").exists()


def test_a_download_of_a_folder_that_is_not_there_is_a_warning(setup):
    """A `path_map` that lands in the wrong folder of a library (or a share not mounted): the
    payload passes every check, its scan finds nothing. It was a silent 202."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "movies" / "Heat (1995)"  # one level too deep
    r = client.post("/api/webhooks/radarr", json=download(folder), headers=KEY)
    assert r.status_code == 202
    assert f"{folder} is not there" in r.get_json()["message"]
    (event,) = db.Event.select().where(db.Event.kind == "webhook.missing")
    assert event.level == "warning" and f"Download: {folder} is not there" in event.message
    assert event.data["path"] == str(folder)
    assert fake.calls == [] and db.Movie.select().count() == 0


@pytest.mark.parametrize(("sent_form", "disk_form"), [("NFC", "NFD"), ("NFD", "NFC")])
def test_a_download_spelled_in_the_other_unicode_form_finds_the_folder(setup, sent_form, disk_form):
    """Radarr's database holds `Amélie` NFC, the NAS (a Mac's share) holds it NFD, or the
    other way round: the folder on disk is used, its item identified from the payload's ids."""
    client, rt, fake = setup
    library = Path(rt.config.library[0].path)
    name = "Le Fabuleux Destin d'Amélie Poulain (2001)"
    folder = library / unicodedata.normalize(disk_form, name)
    folder.mkdir()
    video = folder / unicodedata.normalize(disk_form, "Amélie (2001).mkv")
    video.write_bytes(b"\0" * 2048)
    sent = library / unicodedata.normalize(sent_form, name)
    assert not sent.exists()
    body = download(sent, tmdb_id=194, imdb_id="tt0211915")
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202 and r.get_json()["message"] == f"scan of {folder} queued"
    movie = db.Movie.get()
    assert movie.path == str(video)
    assert fake.calls[0] == (
        "identify", movie.id, {"tmdb_id": 194, "imdb_id": "tt0211915", "source": "webhook"}
    )  # fmt: skip
    assert not db.Event.select().where(db.Event.kind == "webhook.missing").exists()


def test_a_download_whose_folder_matches_two_spellings_on_disk_scans_neither(setup, caplog):
    """Radarr sends the title as TMDB spells it, composed (NFC): "Mùa hè chiều thẳng đứng". The
    NAS holds that folder twice, neither NFC: copied from a Mac (decomposed, NFD) and made on
    Windows with a Vietnamese keyboard, whose "ẳ" is "ă" and a combining hook. The webhook took
    the first name the listing gave, and the film's ids went to whichever it was; `metarrd
    scan` refuses such a PATH. Neither is scanned: nothing queued, the movie and both names
    logged and in a `webhook.ignored` warning. A 200: a 4xx pauses Radarr's whole connection."""
    client, rt, fake = setup
    library = Path(rt.config.library[0].path)
    title = "Mùa hè chiều thẳng đứng (2000)"
    names = sorted([unicodedata.normalize("NFD", title), title.replace("ẳ", "ă\u0309")])
    for name in names:
        (library / name).mkdir()
        (library / name / f"{name}.mkv").write_bytes(b"\0" * 2048)
    body = radarr_download(str(library / title))
    body["movie"].update(title="Mùa hè chiều thẳng đứng", year=2000, tmdbId=36095)
    body.update(isUpgrade=False, deletedFiles=[])
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 200
    message = (
        f"Download of Mùa hè chiều thẳng đứng: {library / title} names 2 entries of {library} "
        "whose names are the same but for their Unicode normalisation ("
        + ", ".join(ascii(n) for n in names)
        + "), and is spelled as none of them: nothing is queued; rename one of them"
    )
    assert r.get_json()["message"] == message
    (event,) = db.Event.select().where(db.Event.kind == "webhook.ignored")
    assert event.level == "warning" and event.message == message
    assert message in caplog.text
    assert not db.Job.select().exists() and fake.calls == []
    assert not db.Movie.select().exists()


def test_a_path_outside_every_library_is_not_looked_at(setup, tmp_path, monkeypatch):
    """A name beyond ASCII was looked for in the other Unicode form anywhere on this machine:
    a folder outside every library was listed (one on a dead network mount would have hung the
    call), and the 422 told the name found there, "through [webhooks] path_map", with no
    path_map set."""
    import os

    client, rt, fake = setup
    (tmp_path / "private" / unicodedata.normalize("NFD", "Amélie (2001)")).mkdir(parents=True)
    sent = tmp_path / "private" / unicodedata.normalize("NFC", "Amélie (2001)")
    listed = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(path) or scandir(path))
    r = client.post("/api/webhooks/radarr", json=download(sent), headers=KEY)
    assert r.status_code == 422
    assert r.get_json()["message"].startswith(f"Download: {sent} is not inside any configured")
    assert listed == []


def movie_added(folder, add_method: str = "manual") -> dict:
    """WebhookAddedPayload (Radarr src/NzbDrone.Core/Notifications/Webhook/WebhookBase.cs
    BuildOnMovieAdded: `movie` a WebhookMovie, `addMethod` an AddMovieMethod, camelCase)."""
    return {
        "eventType": "MovieAdded", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-04",
                  "folderPath": str(folder), "tmdbId": 949, "imdbId": "tt0113277",
                  "overview": "Obsessive master thief...", "tags": []},
        "addMethod": add_method,
    }  # fmt: skip


def test_a_movie_added_scans_its_folder_and_identifies_it_from_the_ids(setup):
    """A movie added to Radarr whose folder holds it already (a library import): it was a 200
    that did nothing, so the movie waited for the watcher or a rescan, and was then identified
    by a name search instead of Radarr's ids (as Sonarr's SeriesAdd is)."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    (folder / "Heat (1995).mkv").write_bytes(b"\0" * 2048)
    r = client.post("/api/webhooks/radarr", json=movie_added(folder), headers=KEY)
    assert r.status_code == 202 and r.get_json()["message"] == f"scan of {folder} queued"
    movie = db.Movie.get()
    assert movie.path == str(folder / "Heat (1995).mkv")
    assert fake.calls[0] == (
        "identify", movie.id, {"tmdb_id": 949, "imdb_id": "tt0113277", "source": "webhook"}
    )  # fmt: skip


def test_a_movie_added_before_its_download_is_202_and_creates_nothing(setup):
    """Radarr adds a movie before downloading it: its folder is not there yet. No warning (it
    is no mistake), nothing created; the Download scans the folder when it comes."""
    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    r = client.post("/api/webhooks/radarr", json=movie_added(folder, "list"), headers=KEY)
    assert r.status_code == 202 and "is not there yet" in r.get_json()["message"]
    assert not folder.exists()
    assert db.Movie.select().count() == 0 and fake.calls == []
    assert not db.Event.select().where(db.Event.kind == "webhook.missing").exists()
    r = client.post("/api/webhooks/radarr", json=movie_added("/elsewhere/Heat"), headers=KEY)
    assert r.status_code == 422


def test_download_outside_every_library_is_422(setup):
    client, rt, _ = setup
    r = client.post("/api/webhooks/radarr", json=download(Path("/elsewhere/Heat")), headers=KEY)
    assert r.status_code == 422 and "not inside any configured library" in r.get_json()["message"]
    assert db.Job.select().count() == 0


def radarr_renamed(client, movie: db.Movie):
    """Radarr renamed the movie's file to `Heat (1995) {tmdb-949}.mkv` and says so (the Rename
    payload's fields we read): our answer, and the new path."""
    old = Path(movie.path)
    new = old.with_name("Heat (1995) {tmdb-949}.mkv")
    old.rename(new)
    body = {
        "eventType": "Rename",
        "movie": {"folderPath": str(old.parent), "tmdbId": 949},
        "renamedMovieFiles": [{"previousPath": str(old), "path": str(new)}],
    }
    return client.post("/api/webhooks/radarr", json=body, headers=KEY), new


def test_rename_moves_the_item_with_its_file(setup, make_movie):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    answer, new = radarr_renamed(client, movie)
    assert answer.status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.identification_status) == (movie.id, str(new), db.ENRICHED)
    assert fake.calls == []


@pytest.mark.parametrize(("state", "published"), [(db.PUBLISHED, True), (db.OUTDATED, False)])
def test_a_rename_publishes_a_published_movie_again_and_nothing_to_review(
    setup, make_movie, state, published
):
    """A Sonarr rename publishes the episode that was published again, so its NFO follows the
    file; a Radarr rename left the movie's NFO and art at the old name, beside no video (Kodi
    found none for the new one) until the user pressed Republish. A movie "Republish?" (a
    change not reviewed yet) still waits for the user."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    db.Movie.update(publish_state=state, last_published_at=db.now()).where(
        db.Movie.id == movie.id
    ).execute()
    answer, _new = radarr_renamed(client, movie)
    assert answer.status_code == 202
    publishes = [c[1] for c in fake.calls if c[0] == "publish"]
    assert publishes == ([movie.id] if published else [])


def _radarr_file(folder: Path, rel: str, file_id: int = 1) -> dict:
    """WebhookMovieFile (src/NzbDrone.Core/Notifications/Webhook/WebhookMovieFile.cs)."""
    return {"id": file_id, "relativePath": rel, "path": str(folder / rel),
            "quality": "Bluray-1080p", "qualityVersion": 1, "releaseGroup": "GRP",
            "sceneName": "Heat.1995.1080p.BluRay.x264-GRP", "indexerFlags": "0", "size": 4096,
            "dateAdded": "2026-12-01T10:00:00Z", "languages": [{"id": 1, "name": "English"}]}  # fmt: skip


def _radarr_movie(folder: Path) -> dict:
    """WebhookMovie: `folderPath` is the movie's path in Radarr now."""
    return {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-18",
            "folderPath": str(folder), "tmdbId": 949, "imdbId": "tt0113277", "tags": []}  # fmt: skip


def _moved_unseen(rt, make_movie, to: Path) -> tuple[db.Movie, Path]:
    """A published Heat whose folder Radarr then moved to `to` (MoveMovieService: a new root
    folder, or a folder format with `{tmdb-949}` applied by the Movie Editor), which sends no
    webhook; the watcher did not see it (off, or a share written from another computer)."""
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", movie.path)
    scan(rt)  # its size, time and streams recorded, as for any file scanned
    db.Movie.update(publish_state=db.PUBLISHED, last_published_at=db.now()).where(
        db.Movie.id == movie.id
    ).execute()
    to.parent.mkdir(parents=True, exist_ok=True)
    # the library holds other movies: a root left empty is a share not mounted, where nothing
    # is taken for gone (scan.stage.unmounted, scan.gone_from_library)
    (Path(movie.path).parent.parent / "Ronin (1998)").mkdir()
    Path(movie.path).parent.rename(to)
    return movie, to


@pytest.mark.parametrize("where", ["folder-renamed", "root-folder-changed"])
def test_a_rename_after_radarr_moved_the_folder_unseen_publishes_the_movie_again(
    config_factory, fake_stages, tmp_path, make_movie, where
):
    """Radarr moves a movie's folder with no webhook; its next Rename names the old file under
    the new folder (`previousPath`: the folder Radarr has now, the name the file had). No item
    was there: the scan found the file moved and the item followed it, but was not published
    again, so our NFO and art kept the old file's name beside it (Kodi read no NFO for the
    movie) and it waited as "Republish?". It is published again, as after any rename."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    root = libraries["Movies" if where == "folder-renamed" else "Movies 4K"]
    movie, folder = _moved_unseen(rt, make_movie, root / "Heat (1995) {tmdb-949}")
    previous, rel = "Heat (1995).mkv", "Heat (1995) {tmdb-949} Bluray-1080p.mkv"
    (folder / previous).rename(folder / rel)
    body = {
        "eventType": "Rename", "instanceName": "Radarr", "applicationUrl": "",
        "movie": _radarr_movie(folder),
        "renamedMovieFiles": [{**_radarr_file(folder, rel), "previousRelativePath": previous,
                               "previousPath": str(folder / previous)}],
    }  # fmt: skip
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, str(folder / rel), False)
    assert [c[1] for c in fake_stages.calls if c[0] == "publish"] == [movie.id]
    rt.close()


def test_an_upgrade_after_radarr_moved_the_folder_unseen_keeps_the_item(
    config_factory, fake_stages, tmp_path, make_movie
):
    """The same unseen move, then an upgrade (Download with `isUpgrade`, `deletedFiles` naming
    the old file under the new folder): the new file became a second item of the film, and
    the old one, with the user's work, stayed "Published" at a path gone until a full scan
    marked it missing. The item follows the new file and is published again."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    movie, folder = _moved_unseen(rt, make_movie, libraries["Movies 4K"] / "Heat (1995)")
    previous, rel = "Heat (1995).mkv", "Heat (1995) Remux-2160p.mkv"
    (folder / previous).unlink()
    shutil.copy2(MEDIA / "h264_aac_2audio_sub.mkv", folder / rel)
    body = {
        "eventType": "Download", "instanceName": "Radarr", "applicationUrl": "",
        "movie": _radarr_movie(folder),
        "remoteMovie": {"tmdbId": 949, "imdbId": "tt0113277", "title": "Heat", "year": 1995},
        "movieFile": {**_radarr_file(folder, rel, 2), "sourcePath": "/downloads/Heat/h.mkv"},
        "isUpgrade": True, "downloadClient": "qBittorrent", "downloadClientType": "qBittorrent",
        "downloadId": "ABC",
        "deletedFiles": [{**_radarr_file(folder, previous), "recycleBinPath": None}],
    }  # fmt: skip
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, str(folder / rel), False)
    assert [c[1] for c in fake_stages.calls if c[0] == "publish"] == [movie.id]
    rt.close()


@pytest.mark.parametrize("event", ["MovieFileDelete", "MovieDelete"])
def test_a_delete_after_radarr_moved_the_folder_unseen_marks_the_item_missing(
    config_factory, fake_stages, tmp_path, make_movie, event
):
    """The same unseen move, then the movie's file or the movie deleted in Radarr: the delete
    names the new folder, where no item was, and the item stayed "Published" at a path gone
    until a full scan. It is marked missing, its data kept."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    movie, folder = _moved_unseen(rt, make_movie, libraries["Movies 4K"] / "Heat (1995)")
    file = _radarr_file(folder, "Heat (1995).mkv")
    shutil.rmtree(folder)  # here before the call; Radarr's own order: test_deleted_leftovers
    body = {"eventType": event, "instanceName": "Radarr", "applicationUrl": "",
            "movie": _radarr_movie(folder)}  # fmt: skip
    if event == "MovieFileDelete":
        body |= {"movieFile": file, "deleteReason": "manual"}
    else:
        body |= {"deletedFiles": True, "movieFolderSize": 4096}
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.missing, item.tmdb_id) == (movie.id, True, 949)
    rt.close()


def test_a_movie_delete_after_radarr_moved_a_folder_of_two_cuts_unseen_marks_both_missing(
    config_factory, fake_stages, tmp_path, make_movie
):
    """The same unseen move of a folder that holds two cuts of the film: Radarr's file and a
    Director's Cut the user added by hand (an item of the same film). Radarr's MovieDelete
    with `deletedFiles` deletes the whole folder (MediaFileDeletionService on MoviesDeletedEvent),
    so both are gone: both were found, which of the two moved could not be told, and neither
    was marked missing. Both are, their data kept; an item of the film elsewhere stays."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    theatrical = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    cut_path = Path(theatrical.path).with_name("Heat (1995) - Director's Cut.mkv")
    cut_path.write_bytes(b"not really a movie either")
    cut = db.Movie.create(library=theatrical.library, path=str(cut_path), title="Heat",
                          identification_status=db.ENRICHED, tmdb_id=949)  # fmt: skip
    other = make_movie(rt, "Heat (1995) 4K", identification_status=db.ENRICHED, tmdb_id=949)
    folder = libraries["Movies 4K"] / "Heat (1995)"
    folder.parent.mkdir(parents=True, exist_ok=True)
    cut_path.parent.rename(folder)  # Radarr moves it, no webhook
    shutil.rmtree(folder)  # then deletes the movie with its files
    body = movie_delete(folder)
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    missing = {m.id: m.missing for m in db.Movie.select()}
    assert missing == {theatrical.id: True, cut.id: True, other.id: False}
    assert db.Movie.get_by_id(cut.id).tmdb_id == 949
    rt.close()


def test_a_movie_delete_after_items_of_the_film_went_from_two_folders_marks_neither(
    config_factory, fake_stages, tmp_path, make_movie
):
    """Two items of the film gone from two folders when Radarr deletes a movie folder where
    none was: which one Radarr had moved cannot be told, so neither is marked missing here
    (the next scan finds what is gone)."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    one = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    two = make_movie(rt, "Heat (1995) 4K", identification_status=db.ENRICHED, tmdb_id=949)
    shutil.rmtree(Path(one.path).parent)
    shutil.rmtree(Path(two.path).parent)
    folder = libraries["Movies 4K"] / "Heat (1995)"
    assert (
        client.post("/api/webhooks/radarr", json=movie_delete(folder), headers=KEY).status_code
        == 202
    )
    assert [m.missing for m in db.Movie.select()] == [False, False]


@pytest.mark.parametrize("event", ["MovieFileDelete", "MovieDelete"])
def test_a_delete_in_one_library_leaves_the_movie_of_a_library_not_mounted(
    config_factory, fake_stages, tmp_path, make_movie, event
):
    """Heat in two libraries, 'Movies' and 'Movies 4K' (a second Radarr instance for 4K, a
    common setup), and the first's share not mounted (its mount point left, empty) when the
    4K one deletes its copy. The first library's Heat is not taken for moved and gone: it is
    not marked missing, as the scan marks nothing missing under a root left empty
    (scan.stage.unmounted)."""
    libraries = {"Movies": tmp_path / "movies", "Movies 4K": tmp_path / "movies4k"}
    client, rt = webhook_client(config_factory(libraries=libraries, webhooks={"token": TOKEN}))
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    shutil.copy2(MEDIA / "h264_aac_mono.mp4", movie.path)
    scan(rt)
    Path(movie.path).parent.rename(tmp_path / "share")  # `movies/` left empty: not mounted
    folder = libraries["Movies 4K"] / "Heat (1995)"  # the 4K copy, deleted in Radarr 4K
    body = {"eventType": event, "instanceName": "Radarr 4K", "applicationUrl": "",
            "movie": _radarr_movie(folder)}  # fmt: skip
    if event == "MovieFileDelete":
        body |= {"movieFile": _radarr_file(folder, "Heat (1995).mkv"), "deleteReason": "manual"}
    else:
        body |= {"deletedFiles": True, "movieFolderSize": 4096}
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, movie.path, False)
    rt.close()


@pytest.mark.parametrize("event", ["Rename", "Download"])
def test_a_rename_or_upgrade_spelled_in_the_other_unicode_form_publishes_it_again(
    setup, make_movie, event
):
    """Radarr sends `Amélie` NFC, the item holds it NFD (a Mac's share). The old file is gone,
    so the disk cannot say how it was spelled: its item was found by the scan (same size and
    time; a file replaced in its folder), but stayed "Republish?", its NFO and art at the old
    name beside no video, as a rename or upgrade did before it was published again."""
    client, rt, fake = setup
    nfd = unicodedata.normalize("NFD", "Amélie (2001)")
    movie = make_movie(rt, nfd, identification_status=db.ENRICHED, tmdb_id=194)
    db.Movie.update(publish_state=db.PUBLISHED, last_published_at=db.now()).where(
        db.Movie.id == movie.id
    ).execute()
    video = Path(movie.path)
    name = "Amélie (2001) {tmdb-194} [Bluray-1080p].mkv"
    new = video.with_name(unicodedata.normalize("NFD", name))
    folder = Path(rt.config.library[0].path) / unicodedata.normalize("NFC", "Amélie (2001)")
    old = {"relativePath": "Amélie (2001).mkv", "path": str(folder / "Amélie (2001).mkv")}
    sent = {"relativePath": name, "path": str(folder / name)}
    if event == "Rename":
        video.rename(new)
        body = radarr_rename(str(folder))
        body["renamedMovieFiles"] = [{**sent, "previousRelativePath": old["relativePath"],
                                      "previousPath": old["path"]}]  # fmt: skip
    else:
        video.unlink()
        new.write_bytes(b"a better copy")
        body = radarr_download(str(folder))
        body["movie"].update(title="Amélie", year=2001, tmdbId=194, imdbId="tt0211915")
        body.update(movieFile={**sent, "size": 13}, deletedFiles=[{**old, "recycleBinPath": ""}])
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202
    item = db.Movie.get_by_id(movie.id)
    assert (item.path, item.missing) == (str(new), False)
    assert [c[1] for c in fake.calls if c[0] == "publish"] == [movie.id]


@pytest.mark.parametrize("event", ["MovieFileDelete", "MovieDelete"])
def test_deletes_mark_the_item_missing_and_keep_it(setup, make_movie, event):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    video = Path(movie.path)
    video.unlink()
    body = {
        "eventType": event,
        "movie": {"folderPath": str(video.parent), "tmdbId": 949},
        "movieFile": {"path": str(video)},
        "deleteReason": "manual",
    }
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    item = db.Movie.get_by_id(movie.id)
    assert item.missing and item.tmdb_id == 949 and item.identification_status == db.ENRICHED


@pytest.mark.parametrize(("sent_form", "disk_form"), [("NFC", "NFD"), ("NFD", "NFC")])
@pytest.mark.parametrize("event", ["MovieFileDelete", "MovieDelete"])
def test_a_delete_spelled_in_the_other_unicode_form_marks_the_item_missing(
    setup, make_movie, event, sent_form, disk_form
):
    """Radarr's database holds `Amélie` NFC, the scan stored it as the disk (a Mac's share)
    spells it, NFD. A Download finds the folder on disk in the other form; a delete cannot,
    the file or folder being gone: it matched no item, was answered 202 "will be marked
    missing", and nothing was (no log line), until the watcher or the next rescan."""
    import shutil

    client, rt, fake = setup
    name = "Le Fabuleux Destin d'Amélie Poulain (2001)"
    movie = make_movie(rt, unicodedata.normalize(disk_form, name), tmdb_id=194)
    video = Path(movie.path)
    shutil.rmtree(video.parent) if event == "MovieDelete" else video.unlink()
    folder = Path(rt.config.library[0].path) / unicodedata.normalize(sent_form, name)
    body = movie_delete(folder) if event == "MovieDelete" else radarr_file_delete(str(folder))
    body.get("movieFile", {})["relativePath"] = unicodedata.normalize(sent_form, f"{name}.mkv")
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202 and "will be marked missing" in r.get_json()["message"]
    item = db.Movie.get_by_id(movie.id)
    assert item.missing and item.tmdb_id == 194 and item.path == str(video)


@pytest.mark.parametrize("event", ["MovieFileDelete", "MovieDelete"])
def test_a_delete_whose_sibling_in_the_other_unicode_form_stays_marks_its_own_item(
    setup, make_movie, event
):
    """A Linux disk holds `Léon (1994)` twice: composed (NFC, Radarr's, as its database spells
    it) and decomposed (NFD, copied from a Mac), two items. Radarr deletes its own folder (the
    file, then the empty folder with "Delete empty folders") and says so, NFC: the look for the
    disk's spelling found the NFD sibling, the job marked nothing there (it is there), and the
    deleted item stayed until the watcher or the next rescan. The item spelled as sent is
    missing; the sibling's stays."""
    import shutil

    client, rt, fake = setup
    name = "Léon (1994)"
    radarrs = make_movie(rt, unicodedata.normalize("NFC", name), tmdb_id=101)
    copied = make_movie(rt, unicodedata.normalize("NFD", name), tmdb_id=101)
    folder = Path(radarrs.path).parent
    shutil.rmtree(folder)
    assert Path(copied.path).exists()
    body = movie_delete(folder) if event == "MovieDelete" else radarr_file_delete(str(folder))
    body.get("movieFile", {})["relativePath"] = Path(radarrs.path).name
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202, r.get_json()
    assert (
        r.get_json()["message"]
        == f"{Path(radarrs.path) if event == 'MovieFileDelete' else folder}: its item will be marked missing"
    )
    assert db.Movie.get_by_id(radarrs.id).missing
    assert not db.Movie.get_by_id(copied.id).missing


@pytest.mark.parametrize("deleted", ["before", "after our first look"])
def test_a_file_delete_of_a_stacks_second_part_rescans_its_movie(setup, monkeypatch, deleted):
    """`Magnolia (1999) cd1.avi` and `cd2.avi` in the movie's folder are one item (a stack,
    Kodi's default rules), named by its first part. A MovieFileDelete of `cd2` named no item:
    the job marked nothing and said nothing more, and the item kept a part that is gone. The
    movie's folder is scanned: the item stays, with its one part. Radarr calls before it
    deletes the file: the folder is scanned again a little later, as for any delete."""

    from metarrd.scan import scan

    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Magnolia (1999)"
    cd1, cd2 = two_cd_rip(folder)
    (item_id,) = scan(rt, [folder]).new
    assert db.Movie.get_by_id(item_id).parts == [str(cd1), str(cd2)]
    _part_deleted(monkeypatch, deleted, cd2)
    body = radarr_file_delete(str(folder))
    body["movieFile"].update(relativePath=cd2.name, path=str(cd2))
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202, r.get_json()
    item = db.Movie.get_by_id(item_id)
    assert not item.missing and item.path == str(cd1) and item.parts == [str(cd1)]


@pytest.mark.parametrize("deleted", ["before", "after our first look"])
def test_a_file_delete_of_a_stacks_first_part_keeps_its_movie(setup, monkeypatch, deleted):
    """A MovieFileDelete of `Magnolia (1999) cd1.avi`, the first part, which names the item,
    while `cd2.avi` stays: the whole movie was marked missing, and the next scan made `cd2` a
    new item. The item stays, named by `cd2` now, with its id and the user's locks. Radarr
    calls before it deletes the file: looked at again a little later, as for any delete."""

    from metarrd.scan import scan

    client, rt, fake = setup
    folder = Path(rt.config.library[0].path) / "Magnolia (1999)"
    cd1, cd2 = two_cd_rip(folder)
    (item_id,) = scan(rt, [folder]).new
    db.Movie.update(title="Magnolia", locked_fields=["title"]).where(
        db.Movie.id == item_id
    ).execute()
    _part_deleted(monkeypatch, deleted, cd1)
    body = radarr_file_delete(str(folder))
    body["movieFile"].update(relativePath=cd1.name, path=str(cd1))
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202, r.get_json()
    (item,) = db.Movie.select().where(db.Movie.path.startswith(str(folder)))
    assert (item.id, item.path, item.parts, item.missing) == (item_id, str(cd2), [str(cd2)], False)
    assert (item.title, item.locked_fields) == ("Magnolia", ["title"])


def _part_deleted(monkeypatch, deleted: str, part: Path) -> None:
    """A stack's `part` deleted "before" the webhook comes, or in Radarr's order
    (`_deleted_after_our_first_look`): gone once the job's scan of its folder ran."""
    import metarrd.scan

    if deleted == "before":
        part.unlink()
        return
    real = metarrd.scan.scan

    def scanned_then_deleted(*args):
        report = real(*args)
        part.unlink(missing_ok=True)
        return report

    monkeypatch.setattr(metarrd.scan, "scan", scanned_then_deleted)


def _deleted_after_our_first_look(monkeypatch, *paths: Path) -> None:
    """Radarr's order: its EventAggregator runs the notification (a synchronous handler) first,
    MediaFileDeletionService.HandleAsync deletes the folder afterwards, on a task of its own
    (Radarr src/NzbDrone.Core/Messaging/Events/EventAggregator.cs). So the webhook's job finds
    the files still there; they are gone by the time it looks again."""
    import shutil

    import metarrd.scan

    real = metarrd.scan.mark_gone

    def mark_gone(config, gone):
        found = real(config, gone)
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        return found

    monkeypatch.setattr(metarrd.scan, "mark_gone", mark_gone)


def movie_delete(folder: Path, deleted_files: bool = True) -> dict:
    """WebhookMovieDeletePayload (Radarr WebhookBase.cs BuildOnMovieDelete)."""
    return {
        "eventType": "MovieDelete", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-04",
                  "folderPath": str(folder), "tmdbId": 949, "imdbId": "tt0113277",
                  "overview": "Obsessive master thief...", "tags": []},
        "deletedFiles": deleted_files, "movieFolderSize": 18,
    }  # fmt: skip


def test_a_movie_delete_before_radarr_deleted_the_folder_marks_it_missing(
    setup, make_movie, monkeypatch
):
    """The MovieDelete (`deletedFiles: true`) came while the folder was still there: its job
    marked nothing, and the item stayed until the watcher (off on a share without polling) or
    the periodic rescan noticed. The job looks again a little later, without a worker waiting."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    folder = Path(movie.path).parent
    _deleted_after_our_first_look(monkeypatch, folder)
    r = client.post("/api/webhooks/radarr", json=movie_delete(folder), headers=KEY)
    assert r.status_code == 202
    item = db.Movie.get_by_id(movie.id)
    assert item.missing and item.tmdb_id == 949 and item.identification_status == db.ENRICHED
    assert db.Job.select().where(db.Job.kind == "scan").count() == 2  # the webhook's, one more


def test_a_movie_file_delete_before_the_file_went_marks_it_missing(setup, make_movie, monkeypatch):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    video = Path(movie.path)
    _deleted_after_our_first_look(monkeypatch, video)
    body = {
        "eventType": "MovieFileDelete", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "folderPath": str(video.parent),
                  "tmdbId": 949, "imdbId": "tt0113277"},
        "movieFile": {"id": 12, "relativePath": video.name, "path": str(video), "size": 18},
        "deleteReason": "manual",
    }  # fmt: skip
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    assert db.Movie.get_by_id(movie.id).missing


def test_a_file_delete_in_a_folder_the_share_denies_for_a_moment_marks_nothing_missing(
    setup, make_movie, monkeypatch
):
    """A MovieFileDelete whose folder, on a NAS share, answers EACCES for a moment (a permission
    the NAS changed; CIFS gives the same for a session being re-established): the file may well
    be there, so the item is not marked missing. `os.path.exists` was False for it as for a
    deleted file. Payload: Radarr WebhookMovieFileDeletePayload.cs."""
    import errno
    import os

    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    video = Path(movie.path)
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if os.fspath(path).startswith(str(video.parent) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    body = radarr_file_delete(str(video.parent))
    body["movieFile"].update(relativePath=video.name, path=str(video))
    with monkeypatch.context() as m:
        m.setattr(os, "stat", stat)
        assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    item = db.Movie.get_by_id(movie.id)
    assert not item.missing and item.tmdb_id == 949 and video.exists()


def test_a_movie_delete_whose_folder_stays_is_given_up_with_one_log_line(setup, make_movie, caplog):
    """Radarr could not delete the folder (or the user put it back): a few more looks, then one
    log line; the item is left as it is."""
    from metarrd.pipeline import steps

    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    folder = Path(movie.path).parent
    caplog.set_level(logging.INFO, logger="metarrd.pipeline.steps")
    r = client.post("/api/webhooks/radarr", json=movie_delete(folder), headers=KEY)
    assert r.status_code == 202
    assert not db.Movie.get_by_id(movie.id).missing
    scans = db.Job.select().where(db.Job.kind == "scan").count()
    assert scans == 1 + len(steps.RECHECK_DELAYS)
    still = [r for r in caplog.records if "is still there" in r.getMessage()]
    assert len(still) == 1 and str(folder) in still[0].getMessage()


def test_a_movie_delete_that_keeps_the_files_is_not_looked_at_again(setup, make_movie):
    """Radarr's Delete without "Delete movie files" (`deletedFiles: false`): the files stay,
    so the item stays as it is; the answer said "its item will be marked missing"."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    folder = Path(movie.path).parent
    body = movie_delete(folder, deleted_files=False)
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202
    message = r.get_json()["message"]
    assert "will be marked missing" not in message
    assert message == (
        f"{folder}: Radarr keeps its files, so its item stays as it is "
        "(marked missing only if its files are gone)"
    )
    assert not db.Movie.get_by_id(movie.id).missing
    assert db.Job.select().where(db.Job.kind == "scan").count() == 1


def test_a_file_delete_for_an_upgrade_keeps_the_item_the_download_moves_it(setup, make_movie):
    """Radarr with "On Movie File Delete For Upgrade" on: the old file's MovieFileDelete
    (`deleteReason: upgrade`, DeleteMediaFileReason.Upgrade as Radarr's camel-case enum
    converter writes it) comes before the Download that names the new file. The item was marked
    missing in between, with a "is gone" event, as for a file the user deleted. Payload fields:
    Radarr src/NzbDrone.Core/Notifications/Webhook/WebhookMovieFileDeletePayload.cs,
    WebhookMovieFile.cs (1b9662d)."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Remux-2160p.mkv")
    old.unlink()
    body = {
        "eventType": "MovieFileDelete", "instanceName": "Radarr",
        "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-04",
                  "folderPath": str(old.parent), "tmdbId": 949, "imdbId": "tt0113277",
                  "overview": "Obsessive master thief...", "genres": ["Action", "Crime"],
                  "images": [], "tags": [], "originalLanguage": {"id": 1, "name": "English"}},
        "movieFile": {"id": 12, "relativePath": old.name, "path": str(old),
                      "quality": "Bluray-1080p", "qualityVersion": 1, "releaseGroup": "GRP",
                      "sceneName": "Heat.1995.1080p.BluRay.x264-GRP", "indexerFlags": "0",
                      "size": 18, "dateAdded": "2024-01-02T03:04:05Z",
                      "languages": [{"id": 1, "name": "English"}]},
        "deleteReason": "upgrade",
    }  # fmt: skip
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 200, r.get_json()
    assert not db.Movie.get_by_id(movie.id).missing
    assert not db.Event.select().where(db.Event.kind == "scan.missing").exists()
    new.write_bytes(b"\0" * 4096)
    upgrade = download(old.parent, movieFile={"path": str(new)}, isUpgrade=True)
    upgrade["deletedFiles"] = [{"path": str(old), "recycleBinPath": "/recycle/Heat (1995).mkv"}]
    assert client.post("/api/webhooks/radarr", json=upgrade, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing, item.tmdb_id) == (movie.id, str(new), False, 949)


# Radarr before 5.10.1 (v4.7.5.7809 e8e54fdf, v5.9.1.9070 fc4f4ab2): WebhookMovieFile.Path was
# `movieFile.Path`, which the database does not hold (TableMapping.cs `.Ignore(f => f.Path)`) and
# ImportApprovedMovie.cs sets to the file imported from. So a Rename's and a MovieFileDelete's
# file had no `path` (Json.cs drops nulls) and a Download's was the download client's copy;
# `relativePath` under `movie.folderPath` was right. Fixed upstream by 2700a6cf8.
def test_a_rename_from_radarr_before_5_10_1_moves_the_item(setup, make_movie):
    """It was a 400 "renamedMovieFiles[0].path is not an absolute path: None"."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Bluray-1080p.mkv")
    old.rename(new)
    body = {
        "eventType": "Rename", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-04",
                  "folderPath": str(old.parent), "tmdbId": 949, "imdbId": "tt0113277"},
        "renamedMovieFiles": [{"id": 12, "relativePath": new.name, "quality": "Bluray-1080p",
                               "qualityVersion": 1, "size": 18,
                               "dateAdded": "2024-01-02T03:04:05Z",
                               "previousRelativePath": old.name, "previousPath": str(old)}],
    }  # fmt: skip
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202, r.get_json()
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.identification_status) == (movie.id, str(new), db.ENRICHED)


@pytest.mark.parametrize(("reason", "status"), [("manual", 202), ("upgrade", 200)])
def test_a_file_delete_from_radarr_before_5_10_1_is_understood(setup, make_movie, reason, status):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    video = Path(movie.path)
    video.unlink()
    body = {
        "eventType": "MovieFileDelete", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "folderPath": str(video.parent),
                  "tmdbId": 949, "imdbId": "tt0113277"},
        "movieFile": {"id": 12, "relativePath": video.name, "quality": "Bluray-1080p",
                      "qualityVersion": 1, "size": 18, "dateAdded": "2024-01-02T03:04:05Z"},
        "deleteReason": reason,
    }  # fmt: skip
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == status, r.get_json()
    assert db.Movie.get_by_id(movie.id).missing is (reason == "manual")


@pytest.mark.parametrize("reason", ["noLinkedEpisodes", "manualOverride"])
@pytest.mark.parametrize("source", ["radarr", "sonarr"])
def test_a_file_delete_that_deletes_no_file_queues_nothing(setup, make_movie, source, reason):
    """Radarr and Sonarr send a file delete when they drop the file's database row alone,
    leaving the file on disk (MediaFileService.Delete touches no file): `noLinkedEpisodes`
    (Sonarr's MediaFileTableCleanupService, a file no episode points at any more),
    `manualOverride` (ImportApprovedMovie.cs / ImportApprovedEpisodes.cs, a Manual Import of
    a file already in place). The answer said the item "will be marked missing", and three
    delayed scans looked for a delete that never comes. Reasons as DeleteMediaFileReason.cs,
    camel-cased by Json.cs's StringEnumConverter."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    video = Path(movie.path)
    if source == "radarr":
        body = radarr_file_delete(str(video.parent))
        body["movieFile"].update(relativePath=video.name, path=str(video))
    else:
        body = sonarr_file_delete(str(video.parent))
        body["episodeFile"].update(relativePath=video.name, path=str(video))
    body["deleteReason"] = reason
    r = client.post(f"/api/webhooks/{source}", json=body, headers=KEY)
    assert r.status_code == 200, r.get_json()
    assert "keeps the file" in r.get_json()["message"]
    assert db.Job.select().count() == 0 and not db.Movie.get_by_id(movie.id).missing


def test_a_rename_from_radarr_3_scans_the_movie_folder(setup, make_movie):
    """Radarr 3's Rename names only the movie (v3.2.2.5080 2bca1a71: Webhook.cs OnMovieRename,
    WebhookRenamePayload.cs, WebhookMovie.cs); `renamedMovieFiles` came with Radarr 4.0
    (94b481a66). It was a 400 "no renamedMovieFiles list": the item stayed at its old path."""
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Bluray-1080p.mkv")
    old.rename(new)
    body = {
        "eventType": "Rename",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-04",
                  "folderPath": str(old.parent), "tmdbId": 949, "imdbId": "tt0113277"},
    }  # fmt: skip
    r = client.post("/api/webhooks/radarr", json=body, headers=KEY)
    assert r.status_code == 202, r.get_json()
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, str(new), False)
    assert item.identification_status == db.ENRICHED


def test_sonarr_test_and_bad_token(setup):
    client, rt, _ = setup
    assert (
        client.post("/api/webhooks/sonarr", json={"eventType": "Test"}, headers=KEY).status_code
        == 200
    )
    assert client.post("/api/webhooks/sonarr", json={"eventType": "Test"}).status_code == 401


# BuildTestPayload of Radarr's and Sonarr's src/NzbDrone.Core/Notifications/Webhook/
# WebhookBase.cs, as Json.cs writes it (camelCase, nulls left out, WebhookEventType PascalCase)
RADARR_TEST = {
    "movie": {"id": 1, "title": "Test Title", "year": 1970, "releaseDate": "1970-01-01",
              "folderPath": "C:\\testpath", "tmdbId": 0, "tags": ["test-tag"]},
    "remoteMovie": {"tmdbId": 1234, "imdbId": "5678", "title": "Test title", "year": 1970},
    "release": {"quality": "Test Quality", "qualityVersion": 1, "releaseGroup": "Test Group",
                "releaseTitle": "Test Title", "indexer": "Test Indexer", "size": 9999999,
                "customFormatScore": 0},
    "eventType": "Test", "instanceName": "Radarr", "applicationUrl": "",
}  # fmt: skip
SONARR_TEST = {
    "series": {"id": 1, "title": "Test Title", "path": "C:\\testpath", "tvdbId": 1234,
               "tvMazeId": 0, "tmdbId": 0, "type": "standard", "year": 0,
               "tags": ["test-tag"]},
    "episodes": [{"id": 123, "episodeNumber": 1, "seasonNumber": 1, "title": "Test title",
                  "seriesId": 0, "tvdbId": 0}],
    "eventType": "Test", "instanceName": "Sonarr", "applicationUrl": "",
}  # fmt: skip


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [("radarr", RADARR_TEST, 200), ("sonarr", SONARR_TEST, 200),
     ("radarr", SONARR_TEST, 400), ("sonarr", RADARR_TEST, 400)],
    ids=["radarr", "sonarr", "sonarr-at-radarr", "radarr-at-sonarr"],
)  # fmt: skip
def test_a_test_at_the_other_apps_url_fails_and_says_which_url(setup, url, body, status):
    """Sonarr's connection given Radarr's URL (or the other way round): its *Test* button
    answered "test received", and every Download that followed was a 400 "movie: expected an
    object" (a Grab or Health, quietly nothing). The Test fails now, saying which URL."""
    client, rt, _ = setup
    r = client.post(f"/api/webhooks/{url}", json=body, headers=KEY)
    assert r.status_code == status, r.get_json()
    if status == 400:
        sender = body["instanceName"].lower()
        assert (
            f"set {body['instanceName']}'s webhook URL to /api/webhooks/{sender}"
            in (r.get_json()["message"])
        )
    assert db.Job.select().count() == 0


# The events metarrd needs nothing from, as Radarr and Sonarr send them: BuildOnGrabPayload,
# BuildHealthPayload, BuildHealthRestoredPayload (no applicationUrl), BuildApplicationUpdatePayload
# and BuildManualInteractionRequiredPayload of src/NzbDrone.Core/Notifications/Webhook/
# WebhookBase.cs (Radarr 1b9662d5, Sonarr 49df353f), with WebhookGrabPayload.cs,
# WebhookRelease.cs, WebhookGrabbedRelease.cs, WebhookHealthPayload.cs (`level`: HealthCheckResult,
# camel-cased), WebhookManualInteractionPayload.cs, WebhookDownloadClientItem.cs and
# WebhookDownloadStatusMessage.cs. Their movie or series lies in no library here (Radarr's root
# folder in its container): they still need nothing, so a 422 would only pause the connection.
_RADARR_MOVIE = {
    "id": 7, "title": "Heat", "year": 1995, "releaseDate": "1996-06-25",
    "folderPath": "/movies/Heat (1995)", "tmdbId": 949, "imdbId": "tt0113277",
    "overview": "Obsessive master thief...", "genres": ["Crime"], "images": [], "tags": [],
    "originalLanguage": {"id": 1, "name": "English"},
}  # fmt: skip
_SONARR_SERIES = {
    "id": 3, "title": "Severance", "titleSlug": "severance", "path": "/tv/Severance",
    "tvdbId": 371980, "tvMazeId": 44933, "tmdbId": 95396, "imdbId": "tt11280740",
    "type": "standard", "year": 2022, "genres": ["Drama"], "images": [], "tags": [],
    "originalLanguage": {"id": 1, "name": "English"}, "originalCountry": "us",
}  # fmt: skip
_EPISODES = [
    {"id": 41, "episodeNumber": 1, "seasonNumber": 2, "title": "Hello, Ms. Cobel",
     "overview": "", "airDate": "2025-01-17", "airDateUtc": "2025-01-17T02:00:00Z",
     "seriesId": 3, "tvdbId": 10190497},
]  # fmt: skip
_RELEASE = {
    "quality": "WEBDL-1080p", "qualityVersion": 1, "releaseGroup": "FLUX",
    "releaseTitle": "Severance.S02E01.1080p.ATVP.WEB-DL.DDP5.1.H.264-FLUX",
    "indexer": "Example (Prowlarr)", "size": 3221225472, "customFormatScore": 0,
    "customFormats": [], "languages": [{"id": 1, "name": "English"}], "indexerFlags": [],
}  # fmt: skip
_DOWNLOAD = {
    "downloadClient": "qBittorrent", "downloadClientType": "qBittorrent",
    "downloadId": "4F2A9C0E1B7D3A5C6E8F0A1B2C3D4E5F6A7B8C9D",
    "customFormatInfo": {"customFormats": [], "customFormatScore": 0},
}  # fmt: skip
_HEALTH = {
    "level": "warning", "message": "Indexers unavailable due to failures: Example",
    "type": "IndexerStatusCheck",
    "wikiUrl": "https://wiki.servarr.com/radarr/system#indexers-are-unavailable-due-to-failures",
}  # fmt: skip
_MANUAL = {
    "downloadInfo": {"quality": "WEBDL-1080p", "qualityVersion": 1,
                     "title": "Heat.1995.1080p.WEB-DL", "size": 3221225472},
    "downloadStatus": "Warning",
    "downloadStatusMessages": [{"title": "Heat.1995.1080p.WEB-DL",
                                "messages": ["Unable to determine if file is a sample"]}],
    "release": {"releaseTitle": "Heat.1995.1080p.WEB-DL", "indexer": "Example",
                "size": 3221225472, "indexerFlags": []},
}  # fmt: skip
IGNORED_PAYLOADS = [
    ("radarr", {"eventType": "Grab", "instanceName": "Radarr", "applicationUrl": "",
                "movie": _RADARR_MOVIE, "remoteMovie": {"tmdbId": 949, "imdbId": "tt0113277",
                                                        "title": "Heat", "year": 1995},
                "release": {**_RELEASE, "releaseTitle": "Heat.1995.1080p.BluRay.x264-GRP"},
                **_DOWNLOAD}),
    ("radarr", {"eventType": "Health", "instanceName": "Radarr", "applicationUrl": "",
                **_HEALTH}),
    ("radarr", {"eventType": "HealthRestored", "instanceName": "Radarr", **_HEALTH}),
    ("radarr", {"eventType": "ApplicationUpdate", "instanceName": "Radarr", "applicationUrl": "",
                "message": "Radarr updated from 5.15.1.9463 to 5.16.3.9541",
                "previousVersion": "5.15.1.9463", "newVersion": "5.16.3.9541"}),
    ("radarr", {"eventType": "ManualInteractionRequired", "instanceName": "Radarr",
                "applicationUrl": "", "movie": _RADARR_MOVIE, **_DOWNLOAD, **_MANUAL}),
    ("sonarr", {"eventType": "Grab", "instanceName": "Sonarr", "applicationUrl": "",
                "series": _SONARR_SERIES, "episodes": _EPISODES, "release": _RELEASE,
                **_DOWNLOAD}),
    ("sonarr", {"eventType": "Health", "instanceName": "Sonarr", **_HEALTH}),
    ("sonarr", {"eventType": "HealthRestored", "instanceName": "Sonarr", **_HEALTH}),
    ("sonarr", {"eventType": "ApplicationUpdate", "instanceName": "Sonarr",
                "message": "Sonarr updated from 4.0.10.2544 to 4.0.11.2680",
                "previousVersion": "4.0.10.2544", "newVersion": "4.0.11.2680"}),
    ("sonarr", {"eventType": "ManualInteractionRequired", "instanceName": "Sonarr",
                "applicationUrl": "", "series": _SONARR_SERIES, "episodes": _EPISODES,
                **_DOWNLOAD, **_MANUAL,
                "release": {**_MANUAL["release"], "releaseType": "singleEpisode"}}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "body"), IGNORED_PAYLOADS, ids=[f"{s}-{b['eventType']}" for s, b in IGNORED_PAYLOADS]
)
def test_the_events_we_need_nothing_from_are_200_as_the_arrs_send_them(setup, source, body):
    client, rt, fake = setup
    r = client.post(f"/api/webhooks/{source}", json=body, headers=KEY)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == f"{body['eventType']}: nothing to do"
    assert db.Job.select().count() == 0 and fake.calls == []
    assert db.Event.select().count() == 0


# --- hostile and odd bodies (with a valid token): 400 with a reason, never a 500 ---------------


def radarr_download(folder: str) -> dict:
    """Every field Radarr's WebhookImportPayload sends for a Download (WebhookBase.cs)."""
    return {
        "eventType": "Download",
        "instanceName": "Radarr",
        "applicationUrl": "",
        "movie": {
            "id": 1, "title": "Heat", "year": 1995, "releaseDate": "1996-06-25",
            "folderPath": folder, "tmdbId": 949, "imdbId": "tt0113277",
            "overview": "Obsessive master thief...", "tags": ["hd"],
        },
        "remoteMovie": {"tmdbId": 949, "imdbId": "tt0113277", "title": "Heat", "year": 1995},
        "movieFile": {
            "id": 12, "relativePath": "Heat (1995).mkv", "path": f"{folder}/Heat (1995).mkv",
            "quality": "Bluray-1080p", "qualityVersion": 1, "releaseGroup": "GRP",
            "sceneName": "Heat.1995.1080p.BluRay-GRP", "indexerFlags": "0", "size": 2048,
            "dateAdded": "2024-05-01T10:00:00Z",
            "mediaInfo": {"audioChannels": 5.1, "audioCodec": "DTS", "audioLanguages": ["eng"],
                          "height": 1080, "width": 1920, "subtitles": ["eng"],
                          "videoCodec": "x264", "videoDynamicRange": "",
                          "videoDynamicRangeType": ""},
        },
        "release": {"quality": "Bluray-1080p", "qualityVersion": 1, "releaseGroup": "GRP",
                    "releaseTitle": "Heat.1995.1080p.BluRay-GRP", "indexer": "Example",
                    "size": 2048, "customFormatScore": 0, "customFormats": []},
        "isUpgrade": True,
        "downloadClient": "qBittorrent", "downloadClientType": "qBittorrent",
        "downloadId": "ABCDEF",
        "customFormatInfo": {"customFormats": [], "customFormatScore": 0},
        "deletedFiles": [{"id": 11, "relativePath": "Heat.avi", "path": f"{folder}/Heat.avi",
                          "recycleBinPath": ""}],
    }  # fmt: skip


def radarr_rename(folder: str) -> dict:
    return {
        "eventType": "Rename", "instanceName": "Radarr",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "folderPath": folder, "tmdbId": 949},
        "renamedMovieFiles": [{"id": 12, "relativePath": "Heat (1995).mkv",
                               "path": f"{folder}/Heat (1995).mkv",
                               "previousRelativePath": "heat.mkv",
                               "previousPath": f"{folder}/heat.mkv"}],
    }  # fmt: skip


def radarr_file_delete(folder: str) -> dict:
    return {
        "eventType": "MovieFileDelete", "instanceName": "Radarr",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "folderPath": folder, "tmdbId": 949},
        "movieFile": {"id": 12, "relativePath": "heat.mkv", "path": f"{folder}/heat.mkv",
                      "size": 2048},
        "deleteReason": "manual",
    }  # fmt: skip


def radarr_movie_delete(folder: str) -> dict:
    return {
        "eventType": "MovieDelete", "instanceName": "Radarr",
        "movie": {"id": 1, "title": "Heat", "year": 1995, "folderPath": folder, "tmdbId": 949},
        "deletedFiles": True, "movieFolderSize": 2048,
    }  # fmt: skip


def sonarr_download(folder: str = "/tv/Severance") -> dict:
    return {
        "eventType": "Download", "instanceName": "Sonarr",
        "series": {"id": 1, "title": "Severance", "path": folder, "tvdbId": 371980},
        "episodes": [{"id": 1, "episodeNumber": 1, "seasonNumber": 1, "title": "Good News"}],
        "episodeFile": {"id": 1, "relativePath": "S01E01.mkv", "path": f"{folder}/S01E01.mkv"},
        "isUpgrade": False,
    }  # fmt: skip


def _sonarr_file(folder: str, rel: str, **more) -> dict:
    """WebhookEpisodeFile as Sonarr v4 writes it (src/NzbDrone.Core/Notifications/Webhook/
    WebhookEpisodeFile.cs): `size` is a long, `languages` a list, `mediaInfo` an object."""
    return {
        "id": 7, "relativePath": rel, "path": f"{folder}/{rel}", "quality": "WEBDL-1080p",
        "qualityVersion": 1, "releaseGroup": "GRP", "sceneName": "Severance.S01E01.1080p",
        "size": 1_500_000_000, "dateAdded": "2024-05-01T10:00:00Z",
        "languages": [{"id": 1, "name": "English"}],
        "mediaInfo": {"audioChannels": 5.1, "height": 1080, "videoCodec": "h264"}, **more,
    }  # fmt: skip


def sonarr_upgrade(folder: str) -> dict:
    """WebhookImportPayload of an upgrade (WebhookBase.cs BuildOnDownloadPayload)."""
    return {
        **sonarr_download(folder),
        "episodeFile": _sonarr_file(folder, "Season 1/S01E01.mkv", sourcePath="/dl/x.mkv"),
        "isUpgrade": True,
        "deletedFiles": [_sonarr_file(folder, "Season 1/S01E01.avi", recycleBinPath="")],
    }


def sonarr_import_complete(folder: str) -> dict:
    """WebhookImportCompletePayload (BuildOnImportCompletePayload)."""
    return {
        "eventType": "Download", "instanceName": "Sonarr",
        "series": {"id": 1, "title": "Severance", "path": folder, "tvdbId": 371980},
        "episodeFiles": [_sonarr_file(folder, "Season 1/S01E01.mkv"),
                         _sonarr_file(folder, "Season 1/S01E02.mkv")],
        "sourcePath": "/downloads/Severance.S01", "destinationPath": folder,
    }  # fmt: skip


def sonarr_rename(folder: str) -> dict:
    """WebhookRenamePayload (BuildOnRenamePayload, WebhookRenamedEpisodeFile)."""
    return {
        "eventType": "Rename", "instanceName": "Sonarr",
        "series": {"id": 1, "title": "Severance", "path": folder, "tvdbId": 371980},
        "renamedEpisodeFiles": [_sonarr_file(
            folder, "Season 1/Severance - S01E01.mkv", previousRelativePath="Season 1/S01E01.mkv",
            previousPath=f"{folder}/Season 1/S01E01.mkv")],
    }  # fmt: skip


def sonarr_file_delete(folder: str) -> dict:
    """WebhookEpisodeDeletePayload (BuildOnEpisodeFileDelete)."""
    return {
        "eventType": "EpisodeFileDelete", "instanceName": "Sonarr",
        "series": {"id": 1, "title": "Severance", "path": folder, "tvdbId": 371980},
        "episodeFile": _sonarr_file(folder, "Season 1/S01E01.mkv"), "deleteReason": "manual",
    }  # fmt: skip


def sonarr_series_delete(folder: str) -> dict:
    """WebhookSeriesDeletePayload (BuildOnSeriesDelete)."""
    return {
        "eventType": "SeriesDelete", "instanceName": "Sonarr",
        "series": {"id": 1, "title": "Severance", "path": folder, "tvdbId": 371980},
        "deletedFiles": True,
    }  # fmt: skip


def post_raw(client, source: str, data: bytes, method: str = "POST"):
    return client.open(
        f"/api/webhooks/{source}",
        method=method,
        data=data,
        headers={**KEY, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("source", "data", "reason"),
    [
        ("radarr", b'{"eventType": "Download", "movie": {"folderPath": "/m/\\ud800"}}',
         "not valid Unicode"),
        ("radarr", b'{"eventType": "Test", "instanceName": "\\udfff"}', "not valid Unicode"),
        ("radarr", b"[" * 100_000, "nested too deeply"),
        ("radarr", b'{"eventType": "Download", "movie": ' + b"[" * 100 + b"]" * 100 + b"}",
         "nested too deeply"),
        ("radarr", b'{"eventType": "Download", "movie": {"folderPath": "/m/Heat"}, '
                   b'"remoteMovie": [1]}', "remoteMovie"),
        ("radarr", b'{"eventType": "Download", "movie": {"folderPath": "/m/Heat"}, '
                   b'"movieFile": "x", "isUpgrade": true}', "movieFile"),
        ("radarr", b'{"eventType": "Download", "movie": {"folderPath": "/m"}, "isUpgrade": true,'
                   b' "movieFile": {"path": "/m/a.mkv"}, "deletedFiles": "x"}', "deletedFiles"),
        ("sonarr", b'{"eventType": "Download", "series": "str", "episodeFile": {"path": "/x"}}',
         "series"),
        ("sonarr", b'{"eventType": "Download", "series": {"title": 3}, "episodeFiles": [1]}',
         "episodeFiles[0]"),
        ("radarr", b'\xff\xfe{"eventType": "Test"}', "malformed body"),
    ],
    ids=["surrogate-path", "surrogate-name", "deep-nesting", "deep-movie", "remoteMovie-list",
         "movieFile-string", "deletedFiles-string", "series-string", "episodeFiles-number",
         "not-utf8"],
)  # fmt: skip
def test_malformed_bodies_are_400_with_a_reason(setup, source, data, reason):
    client, rt, _ = setup
    r = post_raw(client, source, data)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert reason in r.get_json()["message"]
    assert db.Job.select().count() == 0


@pytest.mark.parametrize("source", ["radarr", "sonarr"])
def test_a_title_or_path_of_megabytes_is_not_stored_or_logged_whole(setup, caplog, source):
    """A body may be 16 MiB (a whole series' rename): one title or path of a megabyte went
    whole into a log line and an event row, which the Activity page and every open tab's live
    stream then carried. No path is longer than Linux allows (PATH_MAX, 4096 bytes): a longer
    one is a 400; a title is cut in messages."""
    client, rt, _ = setup
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    huge = "x" * 1_000_000
    body = sonarr_download(str(folder)) if source == "sonarr" else download(folder)
    body["series" if source == "sonarr" else "movie"]["title"] = huge
    assert client.post(f"/api/webhooks/{source}", json=body, headers=KEY).status_code == 202
    long_path = f"/elsewhere/{'x' * 200}" * 5_000
    body["series" if source == "sonarr" else "movie"].update(path=long_path, folderPath=long_path)
    r = client.post(f"/api/webhooks/{source}", json=body, headers=KEY)
    assert r.status_code == 400 and len(r.get_data()) < 2_000
    assert "longer than" in r.get_json()["message"]
    assert max(len(e.message) for e in db.Event.select()) < 2_000
    assert max(len(r.getMessage()) for r in caplog.records) < 2_000


def _variants(value, path=()):
    """(path, replacement) for every value nested in `value`: each turned into the wrong type."""
    wrong = ([1], "str", 7, None, {}, True, -1, 1.5e308, 2**70, "", "\u0000", "../../etc")
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _variants(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _variants(inner, (*path, i))
    for replacement in wrong:
        if path and replacement != value:
            yield path, replacement


def _replaced(body, path, replacement):
    import copy

    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    return body


@pytest.mark.parametrize(
    ("source", "make"),
    [("radarr", radarr_download), ("radarr", radarr_rename), ("radarr", radarr_file_delete),
     ("radarr", radarr_movie_delete), ("radarr", movie_added), ("sonarr", sonarr_download),
     ("sonarr", sonarr_upgrade), ("sonarr", sonarr_import_complete), ("sonarr", sonarr_rename),
     ("sonarr", sonarr_file_delete), ("sonarr", sonarr_series_delete)],
    ids=["Download", "Rename", "MovieFileDelete", "MovieDelete", "MovieAdded", "sonarr-Download",
         "sonarr-upgrade", "sonarr-ImportComplete", "sonarr-Rename", "sonarr-EpisodeFileDelete",
         "sonarr-SeriesDelete"],
)  # fmt: skip
def test_no_field_of_a_real_payload_with_the_wrong_type_is_a_500(setup, monkeypatch, source, make):
    client, rt, _ = setup
    queued = []
    monkeypatch.setattr(jobs, "enqueue_scan", lambda *a, **kw: queued.append(a) or db.Job(id=1))
    folder = str(Path(rt.config.library[0].path) / "Heat (1995)")
    body = make(folder)
    assert client.post(f"/api/webhooks/{source}", json=body, headers=KEY).status_code < 300
    tried = 0
    for path, replacement in _variants(body):
        r = client.post(
            f"/api/webhooks/{source}", json=_replaced(body, path, replacement), headers=KEY
        )
        assert r.status_code in (200, 202, 400, 422), (path, replacement, r.status_code)
        assert r.get_json()["message"], (path, replacement)
        tried += 1
    assert tried > 20


def test_put_is_accepted_like_post(setup):
    """Radarr's and Sonarr's webhook connection offer "Method: PUT"."""
    client, rt, _ = setup
    for source in ("radarr", "sonarr"):
        r = post_raw(client, source, b'{"eventType": "Test"}', method="PUT")
        assert r.status_code == 200, r.get_data(as_text=True)
        assert post_raw(client, source, b"{}", method="PUT").status_code == 400


def test_put_through_the_whole_app_meets_no_csrf_check(config_factory):
    from metarrd.web import create_app

    app = create_app(config_factory(webhooks={"token": TOKEN}), testing=True)
    c = app.test_client()
    r = c.put("/api/webhooks/radarr", json={"eventType": "Test"}, headers=KEY)
    assert r.status_code == 200 and r.get_json()["ok"] is True
    wrong = c.put("/movies/1", data={})
    assert wrong.status_code == 405
    assert "another site" not in wrong.get_data(as_text=True)


# --- [webhooks] path_map: Radarr in Docker sees the library under another path -----------------


@pytest.fixture
def docker_setup(config_factory, fake_stages, tmp_path):
    """The library is /…/srv/media/movies for us; Radarr's container mounts it at /movies."""

    library = tmp_path / "srv" / "media" / "movies"

    def make(to: str | None = None, from_: str = "/movies"):
        """`to`: the path_map entry for `from_` ("LIBRARY" is the library); None: no path_map."""
        path_map = [{"from": from_, "to": to.replace("LIBRARY", str(library))}] if to else []
        config = config_factory(
            libraries={"Movies": library}, webhooks={"token": TOKEN, "path_map": path_map}
        )
        client, rt = webhook_client(config)
        folder = library / "Heat (1995)"
        folder.mkdir(parents=True)
        (folder / "Heat (1995).mkv").write_bytes(b"\0" * 2048)
        made.append(rt)
        return client, library

    made: list = []
    yield make
    for rt in made:
        rt.close()


def test_a_container_path_without_path_map_is_422_naming_the_mapping(docker_setup):
    client, library = docker_setup()
    r = client.post(
        "/api/webhooks/radarr", json=radarr_download("/movies/Heat (1995)"), headers=KEY
    )
    assert r.status_code == 422
    body = r.get_json()
    assert "/movies/Heat (1995) is not inside any configured library" in body["message"]
    assert f'path_map = [{{ from = "/movies", to = "{library}" }}]' in body["message"]
    assert body["path_map"] == {"from": "/movies", "to": str(library)}
    assert db.Job.select().count() == 0


@pytest.mark.parametrize(("typed", "sent"), [("NFC", "NFD"), ("NFD", "NFC")])
def test_a_path_map_from_typed_in_the_other_unicode_form_still_maps(docker_setup, typed, sent):
    """Radarr on a Mac reads its SMB share through macOS's client, which lists names NFD (a
    Samba share on XFS seen by mount_smbfs: steelpangolin.wordpress.com 2009/05/18, "Unicorn
    Support Would Be Easier"): it sends `/Volumes/Vidéos/...` decomposed, where the `from`
    typed into the TOML is NFC (or the other way round). The path was no entry's: a 422 whose
    suggested entry read the same as the one already there."""
    client, library = docker_setup("LIBRARY", unicodedata.normalize(typed, "/Volumes/Vidéos"))
    folder = unicodedata.normalize(sent, "/Volumes/Vidéos/Heat (1995)")
    r = client.post("/api/webhooks/radarr", json=radarr_download(folder), headers=KEY)
    assert r.status_code == 202, r.get_json()
    assert db.Movie.get().path == str(library / "Heat (1995)" / "Heat (1995).mkv")


def test_a_container_path_is_accepted_through_path_map(docker_setup):
    client, library = docker_setup("LIBRARY")
    r = client.post(
        "/api/webhooks/radarr", json=radarr_download("/movies/Heat (1995)"), headers=KEY
    )
    assert r.status_code == 202, r.get_json()
    movie = db.Movie.get()
    assert movie.path == str(library / "Heat (1995)" / "Heat (1995).mkv")
    job = db.Job.get(db.Job.kind == "scan")
    assert job.payload["paths"] == [str(library / "Heat (1995)")]
    assert job.payload["ids"] == {
        str(library / "Heat (1995)"): {
            "tmdb_id": 949, "imdb_id": "tt0113277", "file": movie.path  # mapped as well
        }
    }  # fmt: skip


def test_rename_and_deletes_are_mapped_too(docker_setup):
    client, library = docker_setup("LIBRARY")
    folder = library / "Heat (1995)"
    old, new = folder / "Heat (1995).mkv", folder / "Heat (1995) {tmdb-949}.mkv"
    old.rename(new)
    body = radarr_rename("/movies/Heat (1995)")
    body["renamedMovieFiles"][0].update(
        previousPath="/movies/Heat (1995)/Heat (1995).mkv",
        path="/movies/Heat (1995)/Heat (1995) {tmdb-949}.mkv",
        relativePath="Heat (1995) {tmdb-949}.mkv",  # Radarr's path is folderPath + relativePath
    )
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    scans = db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc())
    assert scans[0].payload["renames"] == {str(old): str(new)}
    body = radarr_file_delete("/movies/Heat (1995)")
    body["movieFile"]["path"] = "/movies/Heat (1995)/Heat (1995) {tmdb-949}.mkv"
    body["movieFile"]["relativePath"] = "Heat (1995) {tmdb-949}.mkv"
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    scans = db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc())
    assert scans[0].payload["gone"] == [str(new)]


def test_a_path_map_target_spelled_with_a_double_slash_still_works(docker_setup, tmp_path):
    """`to = "/srv//media/movies"` is the library all the same (the 422 check normalises
    paths); the symlink check after it raised ValueError for it: a 500."""
    library = tmp_path / "srv" / "media" / "movies"
    client, _ = docker_setup(str(library).replace("/media/", "//media/"))
    r = client.post(
        "/api/webhooks/radarr", json=radarr_download("/movies/Heat (1995)"), headers=KEY
    )
    assert r.status_code == 202, r.get_data(as_text=True)


def test_a_mapped_path_still_outside_says_both_paths(docker_setup):
    client, library = docker_setup("/srv/elsewhere")
    r = client.post(
        "/api/webhooks/radarr", json=radarr_download("/movies/Heat (1995)"), headers=KEY
    )
    assert r.status_code == 422
    message = r.get_json()["message"]
    assert (
        "/movies/Heat (1995) (through [webhooks] path_map: /srv/elsewhere/Heat (1995))" in message
    )


WINDOWS = "D:\\Media\\Movies\\Heat (1995)"  # Radarr on Windows: its root folder D:\Media\Movies


def windows_download(folder: str = WINDOWS) -> dict:
    """Radarr on Windows joins the file to the folder with a backslash (Path.Combine)."""
    body = radarr_download(folder)
    body["movieFile"]["path"] = folder + "\\Heat (1995).mkv"
    return body


def test_a_windows_path_without_path_map_is_422_saying_what_to_add(docker_setup):
    """Radarr on Windows sends `D:\\...` paths: they were refused with 400 "not an absolute
    path", which told the user nothing to do. Now the 422 names the path_map entry."""
    client, library = docker_setup()
    r = client.post("/api/webhooks/radarr", json=windows_download(), headers=KEY)
    assert r.status_code == 422
    body = r.get_json()
    assert f"{WINDOWS} is not inside any configured library" in body["message"]
    assert "Radarr sends Windows paths" in body["message"]
    assert f"path_map = [{{ from = 'D:\\Media\\Movies', to = \"{library}\" }}]" in body["message"]
    assert body["path_map"] == {"from": "D:\\Media\\Movies", "to": str(library)}
    assert db.Job.select().count() == 0


@pytest.mark.parametrize(
    ("from_", "folder"),
    [
        ("D:\\Media\\Movies", WINDOWS),
        ("d:\\media\\movies", WINDOWS),  # Windows ignores case, the drive letter's too
        ("D:/Media/Movies/", WINDOWS),
        ("D:\\", "D:\\Heat (1995)"),
        ("\\\\nas\\movies", "\\\\NAS\\Movies\\Heat (1995)"),
    ],
    ids=["drive", "other-case", "forward-slashes", "drive-root", "unc"],
)
def test_a_windows_path_is_accepted_through_path_map(docker_setup, from_, folder):
    client, library = docker_setup("LIBRARY", from_)
    r = client.post("/api/webhooks/radarr", json=windows_download(folder), headers=KEY)
    assert r.status_code == 202, r.get_json()
    job = db.Job.get(db.Job.kind == "scan")
    assert job.payload["paths"] == [str(library / "Heat (1995)")]
    assert db.Movie.get().path == str(library / "Heat (1995)" / "Heat (1995).mkv")


def test_windows_renames_and_deletes_are_mapped_too(docker_setup):
    client, library = docker_setup("LIBRARY", "D:\\Media\\Movies")
    folder = library / "Heat (1995)"
    old, new = folder / "Heat (1995).mkv", folder / "Heat (1995) {tmdb-949}.mkv"
    old.rename(new)
    body = radarr_rename(WINDOWS)
    body["renamedMovieFiles"][0].update(
        previousPath=WINDOWS + "\\Heat (1995).mkv",
        path=WINDOWS + "\\Heat (1995) {tmdb-949}.mkv",
        relativePath="Heat (1995) {tmdb-949}.mkv",
    )
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    scans = db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc())
    assert scans[0].payload["renames"] == {str(old): str(new)}
    body = radarr_file_delete(WINDOWS)
    body["movieFile"]["path"] = WINDOWS + "\\Heat (1995) {tmdb-949}.mkv"
    body["movieFile"]["relativePath"] = "Heat (1995) {tmdb-949}.mkv"
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    scans = db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc())
    assert scans[0].payload["gone"] == [str(new)]


@pytest.mark.parametrize(
    "folder",
    ["D:\\Media\\Movies\\..\\Private\\Heat (1995)", "D:\\Media\\Movies\\Heat (1995)\\..\\..\\.."],
    ids=["sideways", "above-the-drive"],
)
def test_a_windows_path_cannot_climb_out_of_its_mapping(docker_setup, folder):
    """`..` is resolved as Windows resolves it before the path is mapped: what it leads to is
    outside the `from` folder, so it is not mapped, and not taken for a library folder."""
    client, library = docker_setup("LIBRARY", "D:\\Media\\Movies")
    r = client.post("/api/webhooks/radarr", json=windows_download(folder), headers=KEY)
    assert r.status_code == 422
    assert "Radarr sends Windows paths" in r.get_json()["message"]
    assert db.Job.select().count() == 0


def test_a_folder_that_a_symlink_leads_out_of_every_library_is_422(setup, tmp_path):
    """Radarr's Download (WebhookImportPayload, WebhookBase.cs BuildOnDownloadPayload) names
    `movie.folderPath`, here a symlink in the library to a folder outside it: the library walk
    does not follow such a link (walk.may_follow), so neither does the webhook's scan, which
    recorded, identified and enriched its videos before (and the next full scan marked them
    missing again)."""
    client, rt, fake = setup
    outside = tmp_path / "outside" / "Heat (1995)"
    outside.mkdir(parents=True)
    (outside / "Heat (1995).mkv").write_bytes(b"\0" * 2048)
    link = Path(rt.config.library[0].path) / "Heat (1995)"
    link.symlink_to(outside)
    r = client.post("/api/webhooks/radarr", json=radarr_download(str(link)), headers=KEY)
    assert r.status_code == 422
    assert f"{link} leads to {outside}, outside every configured library" in r.get_json()["message"]
    assert "follow_symlinks" in r.get_json()["message"]
    assert db.Job.select().count() == 0 and db.Movie.select().count() == 0
    # a link to a folder in a library is followed, as the walk does
    inside = Path(rt.config.library[0].path) / "Heat.1995.1080p"
    inside.mkdir()
    (inside / "heat.mkv").write_bytes(b"\0" * 2048)
    link.unlink()
    link.symlink_to(inside)
    r = client.post("/api/webhooks/radarr", json=radarr_download(str(link)), headers=KEY)
    assert r.status_code == 202


def test_a_symlink_out_of_a_library_that_follows_symlinks_is_scanned(config_factory, fake_stages,
                                                                     tmp_path):  # fmt: skip
    library = tmp_path / "movies"
    library.mkdir()
    config = config_factory(webhooks={"token": TOKEN})
    config = dataclasses.replace(
        config,
        library=tuple(dataclasses.replace(lib, follow_symlinks=True) for lib in config.library),
    )
    client, rt = webhook_client(config)
    try:
        outside = tmp_path / "outside" / "Heat (1995)"
        outside.mkdir(parents=True)
        (outside / "Heat (1995).mkv").write_bytes(b"\0" * 2048)
        link = Path(config.library[0].path) / "Heat (1995)"
        link.symlink_to(outside)
        r = client.post("/api/webhooks/radarr", json=radarr_download(str(link)), headers=KEY)
        assert r.status_code == 202
    finally:
        rt.close()


@pytest.mark.parametrize(
    ("folder", "roots", "on_disk", "expected"),
    [
        ("/movies/Heat (1995)", ["/srv/media/movies"], {"/srv/media/movies/Heat (1995)"},
         ("/movies", "/srv/media/movies")),
        ("/data/media/movies/Heat (1995)", ["/srv/films", "/srv/movies"], set(),
         ("/data/media/movies", "/srv/movies")),
        ("/downloads/Heat (1995)", ["/srv/films"], set(), ("/downloads", "/srv/films")),
        ("/downloads/Heat (1995)", ["/srv/a", "/srv/b"], set(), None),
    ],
    ids=["found-on-disk", "same-folder-name", "only-library", "no-guess"],
)  # fmt: skip
def test_suggest_mapping(folder, roots, on_disk, expected):
    from metarrd.web.webhook_payload import suggest_mapping

    hint = suggest_mapping(folder, roots, exists=on_disk.__contains__)
    assert (hint.from_, hint.to) == expected if expected else hint is None


def test_path_map_entries_must_be_absolute(config_factory):
    from metarrd.errors import ConfigError

    with pytest.raises(ConfigError, match=r"webhooks.path_map\[0\].to: must be an absolute path"):
        config_factory(webhooks={"path_map": [{"from": "/movies", "to": "movies"}]})
    with pytest.raises(ConfigError, match=r"webhooks.path_map\[0\].from: must be an absolute"):
        config_factory(webhooks={"path_map": [{"from": "D:Movies", "to": "/srv/movies"}]})
    with pytest.raises(ConfigError, match=r"webhooks.path_map\[0\].to: must be an absolute path"):
        config_factory(webhooks={"path_map": [{"from": "/movies", "to": "D:\\Movies"}]})


def test_a_path_map_from_windows_is_allowed(config_factory):
    """The sender's side may be a Windows folder (Radarr/Sonarr on Windows); ours is POSIX."""
    for from_ in ("D:\\Media\\Movies", "d:/media/movies", "\\\\nas\\movies"):
        config = config_factory(webhooks={"path_map": [{"from": from_, "to": "/srv/movies"}]})
        assert config.webhooks.path_map[0].from_ == from_


@pytest.mark.parametrize(
    ("marker", "content", "where", "rule"),
    [
        # Jellyfin 10.11's .ignore of patterns (DotIgnoreIgnoreRule), in the library's root
        (".ignore", "Kids/\n", "Kids", "matched by the pattern `Kids/` in {root}/.ignore "
         "(Jellyfin does not scan it): not scanned"),
        # Kodi's .nomedia (CVideoInfoScanner::HasNoMedia) in the folder itself
        ("Kids/.nomedia", "", "Kids", "a folder holding a .nomedia file (Kodi does not scan "
         "it): not scanned"),
    ],
    ids=["dot-ignore-pattern", "nomedia"],
)  # fmt: skip
def test_a_download_into_a_folder_the_players_leave_out_says_so(
    setup, marker, content, where, rule
):
    """Radarr imports a film into a folder the user keeps out of Jellyfin or Kodi: the answer
    was a bare "scan of … queued", and the scan then took nothing, telling it only in the
    library's list of what was skipped. Now the answer and a `webhook.ignored` warning give
    the folder and the reason, the list's own."""
    client, rt, fake = setup
    root = Path(rt.config.library[0].path)
    folder = root / "Kids" / "Bluey - The Movie (2025)"
    folder.mkdir(parents=True)
    (folder / "Bluey - The Movie (2025).mkv").write_bytes(b"\x1a\x45\xdf\xa3")
    (root / marker).write_text(content)

    r = client.post("/api/webhooks/radarr", json=download(folder), headers=KEY)

    message = f"Download: {root / where} is not scanned: {rule.format(root=root)}"
    assert r.status_code == 202 and r.get_json()["message"] == message
    (event,) = db.Event.select().where(db.Event.kind == "webhook.ignored")
    assert event.message == message and event.data["path"] == str(folder)
    assert db.Movie.select().count() == 0
