"""Radarr/Sonarr webhooks, mounted on a bare Flask app: authentication, the stage switch, every
Radarr event, Sonarr's two Download shapes, and what the queued jobs then do."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from flask import Flask

from metarrd import db, workflow
from metarrd.pipeline import jobs, queue
from metarrd.runtime import open_runtime
from metarrd.web import webhooks

TOKEN = "s3cret-token"


@pytest.fixture
def setup(config_factory, fake_stages):
    config = config_factory(webhooks={"token": TOKEN})
    rt = open_runtime(config)
    queue.configure(config, immediate=True)
    jobs.bind(rt)
    app = Flask(__name__)
    app.config["METARRD"] = config
    app.register_blueprint(webhooks.bp)
    yield app.test_client(), rt, fake_stages
    rt.close()


def _basic(password: str, user: str = "radarr") -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


KEY = {"X-Api-Key": TOKEN}


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
    config = config_factory()
    rt = open_runtime(config)
    app = Flask(__name__)
    app.config["METARRD"] = config
    app.register_blueprint(webhooks.bp)
    r = app.test_client().post(
        "/api/webhooks/radarr", json={"eventType": "Test"}, headers=_basic("")
    )
    assert r.status_code == 403 and "[webhooks] token" in r.get_json()["message"]
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
    folder = Path(rt.config.library[0].path) / "Heat.1995.1080p.BluRay-GRP"
    folder.mkdir()
    (folder / "heat.mkv").write_bytes(b"\0" * 2048)
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


def test_download_outside_every_library_is_422(setup):
    client, rt, _ = setup
    r = client.post("/api/webhooks/radarr", json=download(Path("/elsewhere/Heat")), headers=KEY)
    assert r.status_code == 422 and "not inside any configured library" in r.get_json()["message"]
    assert db.Job.select().count() == 0


def test_rename_moves_the_item_with_its_file(setup, make_movie):
    client, rt, fake = setup
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) {tmdb-949}.mkv")
    old.rename(new)
    body = {
        "eventType": "Rename",
        "movie": {"folderPath": str(old.parent), "tmdbId": 949},
        "renamedMovieFiles": [{"previousPath": str(old), "path": str(new)}],
    }
    assert client.post("/api/webhooks/radarr", json=body, headers=KEY).status_code == 202
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.identification_status) == (movie.id, str(new), db.ENRICHED)
    assert fake.calls == []


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


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "Download", "series": {"title": "Severance"},
         "episodeFile": {"path": "/tv/Severance/S01E01.mkv"}},
        {"eventType": "Download", "series": {"title": "Severance"},
         "episodeFiles": [{"path": "/tv/Severance/S01E01.mkv"}, {"path": "/tv/S01E02.mkv"}]},
    ],
    ids=["per-file", "import-complete"],
)  # fmt: skip
def test_sonarr_downloads_are_acknowledged_tv_not_supported(setup, body, caplog):
    client, rt, _ = setup
    caplog.set_level(logging.INFO, logger="metarrd.web.webhooks")
    r = client.post("/api/webhooks/sonarr", json=body, headers=KEY)
    assert r.status_code == 202 and "TV libraries are not supported yet" in r.get_json()["message"]
    assert any("Sonarr webhook: Download of Severance" in r.getMessage() for r in caplog.records)
    assert db.Job.select().count() == 0


def test_sonarr_test_and_bad_token(setup):
    client, rt, _ = setup
    assert (
        client.post("/api/webhooks/sonarr", json={"eventType": "Test"}, headers=KEY).status_code
        == 200
    )
    assert client.post("/api/webhooks/sonarr", json={"eventType": "Test"}).status_code == 401
