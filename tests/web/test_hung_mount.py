"""The web UI in front of a library whose hard NFS mount hung (its stat never returns): a page
that looks into the library must answer, saying why, rather than hang its web thread. The hang
is a stat, lstat, scandir and listdir of the library made to wait on an Event, as in
tests/daemon/test_hung_scan.py, not a real NFS server."""

from __future__ import annotations

import pytest

from metarrd import db, mounts
from tests.conftest import hard_mount

TOKEN = "s3cret-token-of-the-test"


@pytest.fixture
def config(config_factory):
    return config_factory(webhooks={"token": TOKEN})


@pytest.fixture
def hung(seed, monkeypatch):
    """A movie on disk in the library `Movies`, whose mount hangs once `hanging` is set (until
    `release` is)."""
    movie = seed.movie("Heat", 1995, plot="A thief.")
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    root = seed.library.path
    mount = hard_mount(monkeypatch, root)
    try:
        yield movie, root, mount.release, mount.hanging
    finally:
        mount.release.set()  # no thread of the test left waiting


def test_the_publish_preview_of_an_item_on_a_hung_mount_answers_instead_of_hanging(
    client, hung, finishes
):
    """The Preview & publish tab (loaded by itself, again after every edit) of a movie whose NFS
    mount had stopped answering spun for ever, and each look took a web thread for good: a
    dozen and the UI answered nothing more until the mount or the server was restarted."""
    movie, root, release, hanging = hung
    assert "Heat (1995).nfo" in client.hx_get(f"/movies/{movie.id}/preview").get_data(True)
    hanging.set()
    answer = finishes(lambda: client.hx_get(f"/movies/{movie.id}/preview"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "does not answer (a hung network mount?)" in html
    assert "the library folder of Movies" in html  # its path, as the UI shows library paths
    # while the first look still hangs, the next one answers at once
    html = finishes(lambda: client.hx_get(f"/movies/{movie.id}/preview")).get_data(True)
    assert "does not answer (a hung network mount?)" in html

    release.set()  # the server is back
    hanging.clear()
    mounts._hanging[root].join(10)  # the hung look returns
    assert "Heat (1995).nfo" in client.hx_get(f"/movies/{movie.id}/preview").get_data(True)


@pytest.mark.parametrize("event", ["Download", "MovieAdded", "MovieDelete"])
def test_a_radarr_webhook_for_a_library_on_a_hung_mount_is_answered(client, hung, finishes, event):
    """Radarr's call for a movie on a library whose NFS mount hung never got an answer, and took a
    web thread for good (a season's import from Sonarr, a call per episode, took them all): the
    webhook looked at the paths (links leading out, a name spelled NFD, a folder not there)
    before the scan, which waits for such a library, was even queued. The scan is queued and the
    answer says the library does not answer."""
    movie, root, release, hanging = hung
    folder = movie.video_path.parent
    body = {
        "eventType": event,
        "movie": {"title": "Heat", "year": 1995, "folderPath": str(folder), "tmdbId": 949},
        "movieFile": {"relativePath": "Heat (1995).mkv"},
        "isUpgrade": False,
        **({"deletedFiles": True} if event == "MovieDelete" else {}),
    }
    hanging.set()
    answer = finishes(
        lambda: client.c.post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": TOKEN})
    )
    assert answer.status_code == 202, answer.get_json()
    if event != "MovieDelete":  # (its answer says the item will be marked missing)
        assert "does not answer (a hung network mount?)" in answer.get_json()["message"]
    job = db.Job.get_by_id(answer.get_json()["job"])
    assert job.kind == "scan" and job.state == "queued"


def test_a_sonarr_import_for_a_library_on_a_hung_mount_is_answered(client, hung, finishes):
    movie, root, release, hanging = hung
    show = movie.video_path.parent  # any folder of the library
    body = {
        "eventType": "Download",
        "series": {"title": "Heat", "path": str(show), "tvdbId": 81189},
        "episodeFiles": [{"relativePath": "Season 01/Heat - S01E01.mkv", "size": 5}],
    }
    hanging.set()
    answer = finishes(
        lambda: client.c.post("/api/webhooks/sonarr", json=body, headers={"X-Api-Key": TOKEN})
    )
    assert answer.status_code == 202, answer.get_json()
    assert "does not answer (a hung network mount?)" in answer.get_json()["message"]


def test_an_edit_of_a_published_item_on_a_hung_mount_is_saved(client, hung, finishes):
    """Editing a published movie whose NFS mount had stopped answering hung the request for good
    while it held the database's write lock: after the edit, the page looked whether the
    library files were already what a publish would write ("Published" again, not "Republish?"),
    inside a write transaction, so the daemon and every other tab waited with it. The edit is
    saved; the item stays "Updated – Republish?" (what the files hold cannot be told)."""
    movie, root, release, hanging = hung
    db.Movie.update(publish_state=db.PUBLISHED).where(db.Movie.id == movie.id).execute()
    hanging.set()
    answer = finishes(
        lambda: client.post(f"/movies/{movie.id}/fields/plot", {"value": "A crew."}, htmx=True)
    )
    assert answer.status_code == 200
    saved = db.Movie.get_by_id(movie.id)
    assert (saved.plot, saved.publish_state) == ("A crew.", db.OUTDATED)


def test_a_path_outside_the_libraries_is_refused_while_one_of_them_hangs(client, hung, finishes):
    """Radarr in Docker, its webhook not mapped yet (`/movies/Heat (1995)`, outside every
    library), while a library's NFS mount hung: the 422's path_map hint looked for the folder's
    names under each library root, a stat under the hung one that never returned, and each call
    took a web thread for good (Radarr retries, a Sonarr import calls once per episode). The
    hint is made without looking under a root that does not answer."""
    movie, root, release, hanging = hung
    body = {
        "eventType": "Download",
        "movie": {"title": "Heat", "year": 1995, "folderPath": "/movies/Heat (1995)"},
        "movieFile": {"relativePath": "Heat (1995).mkv"},
        "isUpgrade": False,
    }
    hanging.set()
    answer = finishes(
        lambda: client.c.post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": TOKEN})
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["path_map"] == {"from": "/movies", "to": root}
    assert db.Job.select().count() == 0
