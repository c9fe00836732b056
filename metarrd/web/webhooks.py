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

Radarr's and Sonarr's "Method: PUT" option is answered like POST. Bad token 401, empty token
403, malformed body 400 (with the field at fault: see webhook_payload.py), a path outside every
library 422 (with the `[webhooks] path_map` entry that would put it inside one), the `webhooks`
stage switched off 503.

Radarr in Docker sees the library under its own path (`/movies/Heat (1995)` for our
`/srv/media/movies/Heat (1995)`): `[webhooks] path_map` translates every path of a payload
before it is checked and queued. TV libraries are not implemented yet: Sonarr's calls are
acknowledged (202 for imports, 200 otherwise) with a body that says so, and a log line.
Payload shapes: docs/interface.md §4.5 (camelCase keys, PascalCase events).
"""

from __future__ import annotations

import hmac
import logging
import posixpath
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from metarrd import db, workflow
from metarrd.config import Config
from metarrd.pipeline import jobs
from metarrd.pipeline.watch import root_of
from metarrd.web.webhook_payload import (
    BadPayload,
    ids,
    local_path,
    obj,
    objects,
    parse_body,
    sent_path,
    suggest_mapping,
    text,
    toml_entry,
)

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")

METHODS = ["POST", "PUT"]  # Radarr and Sonarr let the user choose
IGNORED_RADARR = frozenset(
    {"Grab", "MovieAdded", "Health", "HealthRestored", "ApplicationUpdate",
     "ManualInteractionRequired"}
)  # fmt: skip


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
    if sent and hmac.compare_digest(
        sent.encode("utf-8", "surrogateescape"), expected.encode("utf-8")
    ):
        return None
    log.warning("%s webhook refused from %s: wrong or missing token", source, request.remote_addr)
    response, status = _answer(401, "wrong or missing webhook token")
    response.headers["WWW-Authenticate"] = 'Basic realm="metarrd webhooks"'
    return response, status


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
        body = parse_body(request.get_data(cache=False))
    except BadPayload as exc:
        log.warning("%s webhook: %s", source, exc)
        return _answer(400, str(exc))
    jobs.use_queue(config, if_unset=True)  # the app factory normally did it
    try:
        return handle(config, body)
    except BadPayload as exc:
        log.warning("%s webhook %s: %s", source, body["eventType"][:40], exc)
        return _answer(400, f"{body['eventType'][:40]}: {exc}")


@bp.route("/radarr", methods=METHODS)
def radarr():
    return _guarded("Radarr", _radarr)


@bp.route("/sonarr", methods=METHODS)
def sonarr():
    return _guarded("Sonarr", _sonarr)


# --- Radarr ---------------------------------------------------------------------------------


def _radarr(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if event == "Test":
        log.info("Radarr webhook: test received from %s", text(body, "instanceName", "Radarr"))
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
        log.info("Radarr webhook: unknown event %r ignored", event[:80])
        return _answer(200, f"unknown event {event[:80]!r}: ignored", event=event[:80])
    return handler(config, body)


class _Paths:
    """The paths of one payload, as sent and as we see them (through `[webhooks] path_map`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.sent: dict[str, str] = {}  # ours -> as sent

    def local(self, value: Any, what: str) -> str:
        sent = sent_path(value, what)
        ours = local_path(sent, self.config.webhooks.path_map)
        self.sent.setdefault(ours, sent)
        return ours

    def refuse_outside(self, paths: list[str], event: str) -> tuple[Response, int] | None:
        """The 422 for the first of `paths` outside every library, saying which `path_map`
        entry would put it inside one."""
        roots = [lib.path for lib in self.config.library]
        outside = [p for p in paths if root_of(p, roots) is None]
        if not outside:
            return None
        ours = outside[0]
        sent = self.sent.get(ours, ours)
        shown = sent if sent == ours else f"{sent} (through [webhooks] path_map: {ours})"
        libraries = ", ".join(f"{lib.name}: {lib.path}" for lib in self.config.library)
        message = f"{event}: {shown} is not inside any configured library ({libraries or 'none'})"
        folder = sent if event in ("Download", "MovieDelete") else posixpath.dirname(sent)
        hint = suggest_mapping(folder, roots)
        extra: dict[str, Any] = {}
        if hint is not None:
            message += (
                f". If Radarr sees the library under another path (Docker), add to [webhooks]: "
                f"path_map = [{toml_entry(hint)}]"
            )
            extra["path_map"] = {"from": hint.from_, "to": hint.to}
        log.warning("Radarr webhook %s", message)
        db.record_event("webhook.ignored", message, level="warning", path=ours)
        return _answer(422, message, event=event, **extra)


def _download(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    movie = obj(body, "movie", "", required=True)
    paths = _Paths(config)
    folder = paths.local(movie.get("folderPath"), "movie.folderPath")
    remote = obj(body, "remoteMovie", "")
    renames = _upgrade(body, folder, paths)
    refused = paths.refuse_outside([folder, *renames.values()], "Download")
    if refused:
        return refused
    found = ids(movie) or ids(remote or {})
    job = jobs.enqueue_scan([folder], ids={folder: found} if found else None, renames=renames)
    year = movie.get("year") if type(movie.get("year")) is int else "?"
    what = f"{text(movie, 'title', folder)} ({year})"
    given = f" with tmdb {found.get('tmdb_id')} / imdb {found.get('imdb_id')}" if found else ""
    log.info(
        "Radarr webhook: Download of %s: scan %s queued as job %d%s", what, folder, job.id, given
    )
    db.record_event("webhook.received", f"Radarr imported {what}", path=folder, **found)
    return _answer(202, f"scan of {folder} queued", event="Download", job=job.id)


def _upgrade(body: dict[str, Any], folder: str, paths: _Paths) -> dict[str, str]:
    """An upgrade replaced one file by another: the item follows the new file, keeping its data."""
    movie_file = obj(body, "movieFile", "")
    deleted = objects(body, "deletedFiles", "")
    if body.get("isUpgrade") is not True or movie_file is None or not deleted:
        return {}
    if not isinstance(movie_file.get("path"), str):
        return {}
    new = paths.local(movie_file["path"], "movieFile.path")
    old = [
        paths.local(d["path"], f"deletedFiles[{i}].path")
        for i, d in enumerate(deleted)
        if isinstance(d.get("path"), str)
    ]
    if len(old) != 1 or old[0] == new or not new.startswith(folder + "/"):
        return {}
    return {old[0]: new}


def _rename(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    files = objects(body, "renamedMovieFiles", "")
    if files is None:
        raise BadPayload("no renamedMovieFiles list")
    paths = _Paths(config)
    renames: dict[str, str] = {}
    for i, entry in enumerate(files):
        old = paths.local(entry.get("previousPath"), f"renamedMovieFiles[{i}].previousPath")
        renames[old] = paths.local(entry.get("path"), f"renamedMovieFiles[{i}].path")
    refused = paths.refuse_outside(list(renames.values()), "Rename")
    if refused:
        return refused
    folders = sorted({new.rsplit("/", 1)[0] or "/" for new in renames.values()})
    job = jobs.enqueue_scan(folders, renames=renames)
    for old, new in renames.items():
        log.info("Radarr webhook: Rename %s -> %s queued as job %d", old, new, job.id)
    return _answer(202, f"{len(renames)} renames queued", event="Rename", job=job.id)


def _deleted(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    paths = _Paths(config)
    if event == "MovieFileDelete":
        movie_file = obj(body, "movieFile", "", required=True)
        path = paths.local(movie_file.get("path"), "movieFile.path")
    else:
        movie = obj(body, "movie", "", required=True)
        path = paths.local(movie.get("folderPath"), "movie.folderPath")
    refused = paths.refuse_outside([path], event)
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
        series = obj(body, "series", "") or {}
        files = objects(body, "episodeFiles", "")  # import-complete shape
        if files is None:
            one = obj(body, "episodeFile", "")  # per-file shape
            files = [one] if one is not None else None
        if files is None:
            raise BadPayload("neither episodeFile nor episodeFiles")
        log.info(
            "Sonarr webhook: Download of %s (%d files) ignored: %s",
            text(series, "title", "?"),
            len(files),
            TV_NOT_SUPPORTED,
        )
        return _answer(202, TV_NOT_SUPPORTED, event=event, files=len(files))
    log.info("Sonarr webhook: %s ignored: %s", event[:80], TV_NOT_SUPPORTED)
    return _answer(200, TV_NOT_SUPPORTED, event=event[:80])
