"""The web UI in front of a library whose hard NFS mount hung (its stat never returns): a page
that looks into the library must answer, saying why, rather than hang its web thread. The hang
is a stat, lstat, scandir and listdir of the library made to wait on an Event, as in
tests/daemon/test_hung_scan.py, not a real NFS server."""

from __future__ import annotations

import os
import threading

import pytest

from metarrd.pipeline import watch


@pytest.fixture
def hung(seed, monkeypatch):
    """A movie on disk in the library `Movies`, whose mount hangs once `hanging` is set (until
    `release` is)."""
    movie = seed.movie("Heat", 1995, plot="A thief.")
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    root = seed.library.path
    release, hanging = threading.Event(), threading.Event()

    def waits(real):
        def call(path, *args, **kwargs):
            if hanging.is_set() and os.fspath(path).startswith(root):
                release.wait(60)  # the stat of a hard mount: until the server is back
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(watch, "ROOT_CHECK_TIMEOUT", 0.3)
    monkeypatch.setattr(watch, "_hanging", {})
    for name in ("stat", "lstat", "scandir", "listdir"):
        monkeypatch.setattr(os, name, waits(getattr(os, name)))
    try:
        yield movie, root, release, hanging
    finally:
        release.set()  # no thread of the test left waiting


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
    watch._hanging[root].join(10)  # the hung look returns
    assert "Heat (1995).nfo" in client.hx_get(f"/movies/{movie.id}/preview").get_data(True)
