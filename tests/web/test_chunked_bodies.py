"""A body sent without a Content-Length (`Transfer-Encoding: chunked`: a script's or a proxy's,
never a browser form's) is held to the same limits as one with it: beyond the limit a 413 and
nothing changed. werkzeug stops reading such a body at `max_content_length` without a word, and
what it had read was used as the whole: the first megabyte of a form saved, a webhook's payload
cut at 16 MiB read as if it were all (docs/security.md, "Request bodies")."""

from __future__ import annotations

import io
import os

import pytest

from metarrd import preferences
from metarrd.web import create_app, incoming, webhooks

TOKEN = "k3-Zr9vQ0xY2mW8pL5tN"


def chunked(client, url: str, body: bytes, **headers: str):
    """POST `body` as a WSGI server hands a chunked one over (PEP 3333 servers such as gunicorn
    and werkzeug's set `wsgi.input_terminated`; werkzeug then reads no Content-Length)."""
    flask_client = getattr(client, "c", client)  # conftest's Client: the test client under it
    return flask_client.post(
        url,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", **headers},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_form_over_the_limit_changes_nothing(client):
    form = f"csrf_token={client.token}&languages=de&pad=".encode() + b"a" * (1024 * 1024)
    answer = chunked(
        client, "/settings/artwork", form, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 413
    assert "at most 1.0 MB; nothing was changed" in answer.get_data(as_text=True)
    assert preferences.stored() == {}


def test_a_chunked_form_within_the_limit_is_read_whole(client):
    form = f"csrf_token={client.token}&languages=de&pad=".encode() + b"a" * 1000
    answer = chunked(
        client, "/settings/artwork", form, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 303
    assert preferences.stored()["languages"] == ["de"]


@pytest.fixture
def hook_app(config_factory):
    return create_app(config_factory(webhooks={"token": TOKEN}), testing=True)


def test_a_chunked_webhook_over_the_limit_is_a_413(hook_app, monkeypatch):
    monkeypatch.setattr(webhooks, "MAX_BODY_BYTES", 4096)
    # a Test event followed by white space: cut at the limit, still JSON, answered as a Test
    body = b'{"eventType": "Test", "instanceName": "Radarr"}' + b" " * 8192
    answer = chunked(hook_app.test_client(), "/api/webhooks/radarr", body, **{"X-Api-Key": TOKEN})
    assert answer.status_code == 413
    assert answer.get_json()["ok"] is False


def test_a_chunked_webhook_within_the_limit_is_read(hook_app):
    body = b'{"eventType": "Test", "instanceName": "Radarr"}'
    answer = chunked(hook_app.test_client(), "/api/webhooks/radarr", body, **{"X-Api-Key": TOKEN})
    assert answer.status_code == 200, answer.get_json()


def test_a_chunked_upload_within_the_cap_is_read_whole(client, seed):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from metarrd import db
    from tests.web.conftest import jpeg

    movie = seed.movie("The Matrix")
    boundary, body = encode_multipart(
        {
            "csrf_token": client.token,
            "image": FileStorage(io.BytesIO(jpeg(size=(40, 60))), "mine.jpg"),
        }
    )
    answer = chunked(
        client,
        f"/movies/{movie.id}/artwork/poster/add",
        body,
        **{"Content-Type": f"multipart/form-data; boundary={boundary}", "HX-Request": "true"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    mine = db.ArtworkCandidate.get(db.ArtworkCandidate.provider == "user")
    assert (mine.is_selected, mine.rank) == (True, 1)


def _noise_jpeg(side: int) -> bytes:
    """A photo-like JPEG of some MB: noise does not compress."""
    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def _upload(client, movie, picture: bytes):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(
        {"csrf_token": client.token, "image": FileStorage(io.BytesIO(picture), "mine.jpg")}
    )
    return chunked(
        client,
        f"/movies/{movie.id}/artwork/poster/add",
        body,
        **{"Content-Type": f"multipart/form-data; boundary={boundary}", "HX-Request": "true"},
    )


@pytest.fixture
def spools(monkeypatch):
    """Every temp file a chunked body is spooled to."""
    made = []
    spool = incoming._spool

    def recording(folder):
        made.append(spool(folder))
        return made[-1]

    monkeypatch.setattr(incoming, "_spool", recording)
    return made


def test_a_chunked_upload_of_megabytes_is_spooled_to_disk_not_held(client, seed, spools, config):
    # read whole into memory, each chunked upload held up to 64 MB in its worker until it ended
    from metarrd import db

    movie = seed.movie("The Matrix")
    picture = _noise_jpeg(1400)
    assert len(picture) > 2 * incoming.SPOOL_CHUNKED_BYTES
    answer = _upload(client, movie, picture)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    mine = db.ArtworkCandidate.get(db.ArtworkCandidate.provider == "user")
    assert (mine.is_selected, mine.rank) == (True, 1)
    [spool] = spools
    assert spool._rolled  # on disk under data_dir/tmp, not in memory
    assert spool.closed  # and gone with the request
    assert list(config.tmp_dir.iterdir()) == []


def test_a_chunked_upload_over_the_cap_is_a_413_and_adds_nothing(client, seed, spools, monkeypatch):
    from metarrd import db
    from metarrd.web import item

    monkeypatch.setattr(item, "MAX_UPLOAD_BYTES", 2 * incoming.SPOOL_CHUNKED_BYTES)
    movie = seed.movie("The Matrix")
    picture = _noise_jpeg(1700)
    assert len(picture) > item.MAX_UPLOAD_BYTES + 64 * 1024
    answer = _upload(client, movie, picture)
    assert answer.status_code == 413
    assert not db.ArtworkCandidate.select().where(db.ArtworkCandidate.provider == "user").exists()
    [spool] = spools
    assert spool.closed
