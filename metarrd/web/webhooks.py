"""Radarr and Sonarr "Webhook" connections: `POST /api/webhooks/radarr` and `/api/webhooks/sonarr`.

Authentication: the `[webhooks] token` as the HTTP basic-auth password (any user name) or in an
`X-Api-Key` header, compared in constant time; an empty token refuses every call. The handlers
only queue jobs (metarrd/jobs.py) and answer at once:

| Radarr event | what happens | answer |
|---|---|---|
| `Download` | scan `movie.folderPath`; its item is identified from `tmdbId`/`imdbId`, no search | 202 |
| `Rename` | each `renamedMovieFiles[].previousPath` item follows its file to `path` | 202 |
| `MovieFileDelete`, `MovieDelete` | the item is marked missing, its data kept | 202 |
| `Test` | nothing | 200 |
| anything else | nothing, one log line | 200 |

Bad token 401, empty token 403, malformed body 400, a path outside every library 422, the
`webhooks` stage switched off 503. TV libraries are not implemented yet: Sonarr's calls are
acknowledged (202 for imports, 200 otherwise) with a body that says so, and a log line.
Payload shapes: ../shared/reference/kodi-sources.md section 6 (camelCase keys, PascalCase events).
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from metarrd import db, workflow
from metarrd.config import Config
from metarrd.pipeline import jobs
from metarrd.pipeline.watch import root_of

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")

IGNORED_RADARR = frozenset(
    {"Grab", "MovieAdded", "Health", "HealthRestored", "ApplicationUpdate",
     "ManualInteractionRequired"}
)  # fmt: skip


class BadPayload(Exception):
    """The body is not a payload we understand (400)."""


def _answer(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"ok": status < 400, "message": message, **extra}), status


def _config() -> Config:
    return current_app.config["METARRD"]


def _authenticate(source: str) -> tuple[Response, int] | None:
    """None when the caller holds the token; else the refusal to send."""
    expected = _config().webhooks.token
    if not expected:
        log.warning("%s webhook refused: no [webhooks] token is configured", source)
        return _answer(403, "webhooks are refused: set a token in [webhooks] token first")
    auth = request.authorization
    sent = request.headers.get("X-Api-Key") or (auth.password if auth is not None else None)
    if sent and hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        return None
    log.warning("%s webhook refused from %s: wrong or missing token", source, request.remote_addr)
    response, status = _answer(401, "wrong or missing webhook token")
    response.headers["WWW-Authenticate"] = 'Basic realm="metarrd webhooks"'
    return response, status


def _payload() -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise BadPayload("malformed body: expected a JSON object")
    event = body.get("eventType")
    if not isinstance(event, str) or not event:
        raise BadPayload("malformed body: no eventType")
    return body


def _guarded(source: str, handle) -> tuple[Response, int]:
    refused = _authenticate(source)
    if refused is not None:
        return refused
    config = _config()
    if not workflow.is_enabled(config, "webhooks"):
        log.info("%s webhook ignored: the webhooks stage is switched off", source)
        return _answer(
            503,
            "the webhooks stage is switched off "
            "(turn it on with `metarrd workflow set webhooks on` or in Settings)",
        )
    try:
        body = _payload()
    except BadPayload as exc:
        log.warning("%s webhook: %s", source, exc)
        return _answer(400, str(exc))
    jobs.use_queue(config, if_unset=True)  # the app factory normally did it
    try:
        return handle(config, body)
    except BadPayload as exc:
        log.warning("%s webhook %s: %s", source, body.get("eventType"), exc)
        return _answer(400, str(exc))


@bp.post("/radarr")
def radarr():
    return _guarded("Radarr", _radarr)


@bp.post("/sonarr")
def sonarr():
    return _guarded("Sonarr", _sonarr)


# --- Radarr ---------------------------------------------------------------------------------


def _radarr(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if event == "Test":
        log.info("Radarr webhook: test received from %s", body.get("instanceName") or "Radarr")
        return _answer(200, "test received; nothing to do", event=event)
    if event in IGNORED_RADARR:
        log.info("Radarr webhook: %s event needs nothing from us", event)
        return _answer(200, f"{event}: nothing to do", event=event)
    handler = {
        "Download": _download,
        "Rename": _rename,
        "MovieFileDelete": _deleted,
        "MovieDelete": _deleted,
    }.get(event)
    if handler is None:
        log.info("Radarr webhook: unknown event %r ignored", event)
        return _answer(200, f"unknown event {event!r}: ignored", event=event)
    return handler(config, body)


def _movie(body: dict[str, Any]) -> dict[str, Any]:
    movie = body.get("movie")
    if not isinstance(movie, dict):
        raise BadPayload(f"{body['eventType']}: no movie object")
    return movie


def _path(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or "\x00" in value:
        raise BadPayload(f"{what} is not an absolute path: {value!r}")
    return os.path.normpath(value)  # "/lib/../etc" must not pass for a path inside /lib


def _outside(config: Config, paths: list[str], event: str) -> tuple[Response, int] | None:
    roots = [lib.path for lib in config.library]
    outside = [p for p in paths if root_of(p, roots) is None]
    if not outside:
        return None
    message = f"{event}: {outside[0]} is not inside any configured library"
    log.warning("Radarr webhook %s", message)
    db.record_event("webhook.ignored", message, level="warning", path=outside[0])
    return _answer(422, message, event=event)


def _download(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    movie = _movie(body)
    folder = _path(movie.get("folderPath"), "movie.folderPath")
    refused = _outside(config, [folder], "Download")
    if refused:
        return refused
    ids = _ids(movie) or _ids(body.get("remoteMovie") or {})
    renames = _upgrade(body, folder)
    job = jobs.enqueue_scan([folder], ids={folder: ids} if ids else None, renames=renames)
    what = f"{movie.get('title') or folder} ({movie.get('year') or '?'})"
    given = f" with tmdb {ids.get('tmdb_id')} / imdb {ids.get('imdb_id')}" if ids else ""
    log.info(
        "Radarr webhook: Download of %s: scan %s queued as job %d%s", what, folder, job.id, given
    )
    db.record_event("webhook.received", f"Radarr imported {what}", path=folder, **ids)
    return _answer(202, f"scan of {folder} queued", event="Download", job=job.id)


def _upgrade(body: dict[str, Any], folder: str) -> dict[str, str]:
    """An upgrade replaced one file by another: the item follows the new file, keeping its data."""
    new = (
        (body.get("movieFile") or {}).get("path")
        if isinstance(body.get("movieFile"), dict)
        else None
    )
    deleted = body.get("deletedFiles")
    if not body.get("isUpgrade") or not isinstance(new, str) or not isinstance(deleted, list):
        return {}
    old = [d.get("path") for d in deleted if isinstance(d, dict) and isinstance(d.get("path"), str)]
    if len(old) != 1 or old[0] == new or not new.startswith(folder + "/"):
        return {}
    return {old[0]: new}


def _ids(movie: dict[str, Any]) -> dict[str, Any]:
    tmdb_id = movie.get("tmdbId")
    imdb_id = movie.get("imdbId")
    ids: dict[str, Any] = {}
    if isinstance(tmdb_id, int) and not isinstance(tmdb_id, bool) and tmdb_id > 0:
        ids["tmdb_id"] = tmdb_id
    if isinstance(imdb_id, str) and imdb_id.startswith("tt") and imdb_id[2:].isdigit():
        ids["imdb_id"] = imdb_id
    return ids


def _rename(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    files = body.get("renamedMovieFiles")
    if not isinstance(files, list):
        raise BadPayload("Rename: no renamedMovieFiles list")
    renames: dict[str, str] = {}
    for i, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise BadPayload(f"Rename: renamedMovieFiles[{i}] is not an object")
        old = _path(entry.get("previousPath"), f"renamedMovieFiles[{i}].previousPath")
        renames[old] = _path(entry.get("path"), f"renamedMovieFiles[{i}].path")
    refused = _outside(config, list(renames.values()), "Rename")
    if refused:
        return refused
    folders = sorted({new.rsplit("/", 1)[0] or "/" for new in renames.values()})
    job = jobs.enqueue_scan(folders, renames=renames)
    for old, new in renames.items():
        log.info("Radarr webhook: Rename %s -> %s queued as job %d", old, new, job.id)
    return _answer(202, f"{len(renames)} renames queued", event="Rename", job=job.id)


def _deleted(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if event == "MovieFileDelete":
        movie_file = body.get("movieFile")
        if not isinstance(movie_file, dict):
            raise BadPayload("MovieFileDelete: no movieFile object")
        path = _path(movie_file.get("path"), "movieFile.path")
    else:
        path = _path(_movie(body).get("folderPath"), "movie.folderPath")
    refused = _outside(config, [path], event)
    if refused:
        return refused
    job = jobs.enqueue_scan([], gone=[path])
    log.info("Radarr webhook: %s of %s: marking its item missing (job %d)", event, path, job.id)
    return _answer(202, f"{path}: its item will be marked missing", event=event, job=job.id)


# --- Sonarr ---------------------------------------------------------------------------------


TV_NOT_SUPPORTED = "TV libraries are not supported yet: nothing was done"


def _sonarr(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if event == "Test":
        log.info("Sonarr webhook: test received (%s)", TV_NOT_SUPPORTED)
        return _answer(200, f"test received; {TV_NOT_SUPPORTED}", event=event)
    if event == "Download":
        if isinstance(body.get("episodeFiles"), list):  # import-complete shape
            paths = [f.get("path") for f in body["episodeFiles"] if isinstance(f, dict)]
        elif isinstance(body.get("episodeFile"), dict):  # per-file shape
            paths = [body["episodeFile"].get("path")]
        else:
            raise BadPayload("Download: neither episodeFile nor episodeFiles")
        series = (body.get("series") or {}).get("title") or "?"
        log.info(
            "Sonarr webhook: Download of %s (%d files) ignored: %s",
            series,
            len(paths),
            TV_NOT_SUPPORTED,
        )
        return _answer(202, TV_NOT_SUPPORTED, event=event, files=len(paths))
    log.info("Sonarr webhook: %s ignored: %s", event, TV_NOT_SUPPORTED)
    return _answer(200, TV_NOT_SUPPORTED, event=event)
