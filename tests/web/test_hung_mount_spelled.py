"""A webhook's path whose library root the sender spells in the other Unicode normalisation
than the configuration (a share "vidéos" the NAS and the configuration name decomposed, NFD; a
Radarr whose database holds it composed, NFC), while that root's hard NFS mount hangs. The hang
is a stat, lstat, scandir and listdir made to wait on an Event (tests/conftest.py hard_mount)."""

from __future__ import annotations

import unicodedata

import pytest

from metarrd import db
from tests.conftest import hard_mount

TOKEN = "s3cret-token-of-the-test"


@pytest.fixture
def config(config_factory, tmp_path):
    root = tmp_path / unicodedata.normalize("NFD", "vidéos")
    return config_factory(webhooks={"token": TOKEN}, libraries={"Movies": root})


def test_a_radarr_import_whose_root_is_spelled_otherwise_on_a_hung_mount_is_answered(
    client, seed, monkeypatch, finishes
):
    """The look at the hung roots compared the path as sent and found it in no library; the
    look for the disk's spelling of its names then listed the root, and the call took a web
    thread for good, never answered. It is answered, as a call spelled as configured is, and
    its scan queued for the root as configured."""
    movie = seed.movie("Amélie", 2001)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    root = seed.library.path
    mount = hard_mount(monkeypatch, root)
    try:
        mount.hang(root)
        folder = unicodedata.normalize("NFC", str(movie.video_path.parent))
        body = {
            "eventType": "Download",
            "movie": {"title": "Amélie", "year": 2001, "folderPath": folder, "tmdbId": 194},
            "movieFile": {"relativePath": "Amélie (2001).mkv"},
            "isUpgrade": False,
        }
        answer = finishes(
            lambda: client.c.post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": TOKEN})
        )
        assert answer.status_code == 202, answer.get_json()
        assert "does not answer (a hung network mount?)" in answer.get_json()["message"]
        job = db.Job.get_by_id(answer.get_json()["job"])
        assert job.kind == "scan" and job.state == "queued"
        # its root as configured: the scan's own look at the hung roots finds it, and waits
        assert job.payload["paths"] == [str(movie.video_path.parent)]
    finally:
        mount.release.set()  # no thread of the test left waiting
