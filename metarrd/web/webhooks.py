"""Radarr and Sonarr "Webhook" connections: `POST /api/webhooks/radarr` and `/api/webhooks/sonarr`.

Authentication: the `[webhooks] token` as the HTTP basic-auth password (any user name) or in an
`X-Api-Key` header, compared in constant time as UTF-8 bytes (_sent_token); an empty token
refuses every call. The handlers
only queue jobs (metarrd/jobs.py) and answer at once:

| Radarr event | what happens | answer |
|---|---|---|
| `Download` | scan `movie.folderPath`; its item (in a folder of several movies, `movieFile`'s) is identified from `tmdbId`/`imdbId`, no search | 202 |
| `Rename` | each `renamedMovieFiles[].previousPath` item follows its file (the movie's folder moved by Radarr unseen, which sends no webhook for it: its item under the old folder, _moved_with_its_folder); no list (Radarr 3): scan the folder | 202 |
| `MovieAdded` | scan `movie.folderPath` with its `tmdbId`/`imdbId` (a folder not there yet: nothing found, nothing created) | 202 |
| `MovieFileDelete`, `MovieDelete` | the item is marked missing, its data kept (found under its old folder when Radarr moved it unseen, for a `MovieDelete` every item of that folder, a second cut added by hand too: _moved_with_its_folder), and our files there that nothing needs go (scan.leftovers); with `deleteReason: upgrade` nothing (the `Download` follows), nor with `manualOverride` (no file deleted: FILE_STAYS); a `MovieDelete` with `deletedFiles: false` keeps the files, and the item stays (the answer says so) | 202 / 200 |

A delete comes before Radarr or Sonarr deletes the files: a path still there is looked at again a
little later (steps.recheck_gone), unless `deletedFiles: false` said the files stay.
| `Test` | nothing | 200 |
| anything else | nothing, one log line | 200 |

Sonarr's payload at Radarr's URL (or Radarr's at Sonarr's) is a 400 naming the right URL
(_other_app), its Test too.

A `Download` whose folder (or file) inside a library is not there is still 202, with a
`webhook.missing` warning saying so; a name sent in the other Unicode form than the disk's
(NFC/NFD) is used as the disk spells it (webhook_payload.disk_spelling); one that matches several
names there the same but for their form, and none exactly, is refused (200, nothing queued, a
`webhook.ignored` warning: _spelled_twice), as `metarrd scan PATH` refuses it; one gone from the
disk (a delete's, a rename's or an upgrade's old file), as its item spells it (_Paths.gone).
Paths in a library whose root does not answer (a hung NFS mount) are not looked at: the scan
is queued, waits for the root, and the 202 says so.

Radarr's and Sonarr's "Method: PUT" option is answered like POST. Bad token 401 (after ten
from one client address within 15 minutes, 429 with Retry-After, right token or not; past 50
from every address together, one token compared every 30 s, except at an address that sent the
right token before: OVERALL_FAILURES, KNOWN_DAYS), empty token 403, a call from a web browser (Origin, Sec-Fetch-*: any page can send one) 403 uncounted,
malformed body 400 (with the field at fault: see webhook_payload.py), a path outside every
library 422 (with the `[webhooks] path_map` entry that would put it inside one), a folder that
a symlink leads out of every library 422 (unless its library sets `follow_symlinks`, as for the
library walk), the `webhooks` stage switched off 503.

Radarr in Docker sees the library under its own path (`/movies/Heat (1995)` for our
`/srv/media/movies/Heat (1995)`), Radarr on Windows under a Windows one
(`D:\\Media\\Movies\\...`): `[webhooks] path_map` translates every path of a payload before it
is checked and queued. A Windows path it does not map is outside every library: 422, naming
the entry to add. Payload shapes: docs/interface.md §4.5 (camelCase keys, PascalCase events).

| Sonarr event | what happens | answer |
|---|---|---|
| `Download` (per file `episodeFile`, or import-complete `episodeFiles[]`) | scan the show folder `series.path`; the show is identified from `tvdbId`/`tmdbId`/`imdbId`, no search, a new one in the episode order of its `type` (`anime`: absolute); an upgrade (`isUpgrade` + `deletedFiles`) makes the episode follow its new file (several single episodes upgraded to one multi-episode file: the first's item follows it, the others merge into it, scan.renames.follow_renames; import-complete sends no `deletedFiles`: the scan pairs them, scan.tv._replaced_by_one) | 202 |
| `Rename` | each `renamedEpisodeFiles[].previousPath` episode follows its file; a published show is published again, so its NFOs and thumbs follow; no list (before 3.0.5): scan the show | 202 |
| `EpisodeFileDelete` | marked missing, data kept; its NFO and thumb go, and `season.nfo` when its folder holds no video (scan.leftovers); with `deleteReason: upgrade` nothing (the `Download` follows); `noLinkedEpisodes` or `manualOverride` delete no file: nothing (FILE_STAYS) | 202 / 200 |
| `SeriesAdd` | scan the show folder with the series' ids (a folder not there yet: nothing found, nothing created, the answer says so) | 202 |
| `SeriesDelete` | the show's items are marked missing when their files are gone, data kept | 202 |
| `Test` | nothing | 200 |

A series folder Sonarr moved with no webhook (MoveSeriesService sends none) and the watcher did not
see: its show item, its seasons and episodes follow it first, in every event's job
(_show_moved_unseen, scan.tv.follow_moved_shows).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from metarrd import db, pathmap, workflow
from metarrd.config import Config, PathMap
from metarrd.files import display
from metarrd.mounts import library_unanswered
from metarrd.paths import deepest_folder, is_inside, is_windows
from metarrd.pipeline import jobs
from metarrd.scan import gone_from_library
from metarrd.spelling import SpelledTwice, in_configured_root
from metarrd.walk import kept_out_on_the_way, leads_out
from metarrd.web import attempts, clients, senders
from metarrd.web.incoming import whole_body
from metarrd.web.webhook_payload import (
    BadPayload,
    disk_spelling,
    ids,
    local_path,
    obj,
    objects,
    other_spellings,
    parse_body,
    sent_join,
    sent_path,
    series_ids,
    series_type,
    suggest_mapping,
    text,
    toml_entry,
)

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")

METHODS = ["POST", "PUT"]  # Radarr and Sonarr let the user choose
# Sonarr renames a whole series in one Rename, its files listed with all their fields, indented:
# about 1.2 KB a file, so a daily show of 10,000 files sends 12 MB. Read only with the token.
MAX_BODY_BYTES = 16 * 1024 * 1024
IGNORED_RADARR = frozenset(
    {"Grab", "Health", "HealthRestored", "ApplicationUpdate", "ManualInteractionRequired"}
)


def _answer(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"ok": status < 400, "message": message, **extra}), status


def _config() -> Config:
    return current_app.config["METARRD"]


# Wrong or missing tokens per client address (an IPv6 /64; behind [web] trusted_proxies, the
# forwarded address) before that address is refused with 429. Radarr and Sonarr send the right
# token or none at all, so a handful of mistakes is already plenty.
MAX_FAILURES, FAILURE_WINDOW = 10, 900.0
# Past 50 from every address together (a botnet, the many /64 networks of one IPv6 allocation),
# one token is compared every 30 s, whoever sends it: at most 2,880 guesses a day, however many
# addresses. Nobody is locked out for good: a comparison is free again 30 s after the last one.
OVERALL_FAILURES, OVERALL_EVERY = 50, 30.0
TOKEN_LIMIT = attempts.Limit(
    "webhook", MAX_FAILURES, FAILURE_WINDOW, overall=OVERALL_FAILURES, overall_every=OVERALL_EVERY
)
# An address that sent the right token within KNOWN_DAYS (the real Radarr and Sonarr) is counted
# on its own, outside the cap over every address, so guessers elsewhere cannot lock it out
# (metarrd/web/senders.py); the KNOWN_SENDERS most recent are remembered.
KNOWN_DAYS, KNOWN_SENDERS = 30, 16
KNOWN_LIMIT = attempts.Limit("webhook-known", MAX_FAILURES, FAILURE_WINDOW)


# Headers every browser adds to a POST another site's page makes it send (and Radarr's and
# Sonarr's .NET HttpClient never sends).
BROWSER_HEADERS = ("Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode")


def _authenticate(source: str) -> tuple[Response, int] | None:
    """None when the caller holds the token; else the refusal to send. Every call is counted
    before its token is compared, and one with the right token is taken back: an address with
    too many failures gets 429 without a comparison, so it learns nothing more.

    A call from a web browser is refused first, uncounted: any page the admin opens can make
    the browser POST here (a cross-site "simple" request needs no CORS), and ten of those would
    lock out the browser's address, 127.0.0.1, and with it a Radarr on the same computer."""
    expected = _config().webhooks.token
    if not expected:
        if (more := attempts.logged_refusal("webhook no token")) is not None:
            log.warning("%s webhook refused: no [webhooks] token is configured%s", source, more)
        return _answer(403, "webhooks are refused: set a token in [webhooks] token first")
    sent_by = next((name for name in BROWSER_HEADERS if name in request.headers), None)
    if sent_by is not None:
        origin = request.headers.get("Origin", "")[:100]
        if (more := attempts.logged_refusal("webhook browser")) is not None:
            log.warning("%s webhook refused: sent by a web browser (%s %r)%s",
                        source, sent_by, origin, more)  # fmt: skip
        return _answer(403, "webhooks are refused from a web browser (it sent " + sent_by + ")")
    client = clients.request_client()
    group = clients.client_group(client)
    known = senders.known(TOKEN_LIMIT.scope, group, KNOWN_DAYS)
    attempt = attempts.reserve(KNOWN_LIMIT if known else TOKEN_LIMIT, group)
    if isinstance(attempt, attempts.Refusal):
        overall = " overall" if attempt.overall else ""
        if (more := attempts.logged_refusal("webhook" + overall)) is not None:
            log.warning("%s webhook refused from %s: too many wrong tokens%s%s",
                        source, client, overall, more)  # fmt: skip
        if attempt.overall:
            message = (
                "too many wrong webhook tokens from many addresses: one token is compared every "
                f"{OVERALL_EVERY:.0f} s; try again in {attempt.retry_after} s"
            )
        else:
            message = f"too many wrong webhook tokens; try again in {attempt.retry_after} s"
        response, status = _answer(429, message)
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response, status
    sent = _sent_token()
    if sent and _token_matches(sent, expected):
        attempts.forgive(attempt)
        senders.remember(TOKEN_LIMIT.scope, group, KNOWN_DAYS, KNOWN_SENDERS)
        return None
    hint = _token_hint()
    log.warning("%s webhook refused from %s: wrong or missing token%s", source, client, hint)
    response, status = _answer(401, "wrong or missing webhook token" + hint)
    response.headers["WWW-Authenticate"] = 'Basic realm="metarrd webhooks"'
    return response, status


def _sent_token() -> bytes | None:
    """The token the caller sent, as the bytes it sent: the `X-Api-Key` header, else the
    basic-auth password (_token_matches compares them).

    A WSGI server hands a header over as text decoded from ISO-8859-1 (PEP 3333: gunicorn, and
    werkzeug's own server), one character a byte: a token sent as UTF-8, `sésame`, arrives as
    `sÃ©same`. The header is turned back into its bytes; a character no byte stands for (a
    server that decoded the header itself) is text already. The basic-auth credentials are
    base64-decoded here, not by werkzeug, which decodes them as UTF-8 and drops the header when
    they are not: Radarr and Sonarr send them in ISO-8859-1 (ManagedHttpDispatcher.cs:
    `Encoding.GetEncoding("ISO-8859-1").GetBytes(user + ":" + password)`)."""
    header = request.headers.get("X-Api-Key")
    if header:
        try:
            return header.encode("latin-1")
        except UnicodeEncodeError:
            return header.encode("utf-8", "replace")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(" \t"), validate=True)
    except (binascii.Error, ValueError):
        return None
    _user, colon, password = decoded.partition(b":")
    return password if colon and password else None


def _token_hint() -> str:
    """What the refused caller left out, when its call shows it: the Webhook connection's fields
    (Radarr's and Sonarr's WebhookSettings.cs: Username, Password, Headers) filled in otherwise
    than the token wants. Their *Test* button shows only the status; their log, the body."""
    where = "put [webhooks] token in the webhook connection's Password"
    if request.headers.get("X-Api-Key"):
        return ""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(" \t"), validate=True)
        except (binascii.Error, ValueError):
            return ""
        user, _colon, password = decoded.partition(b":")
        # WebhookProxy.cs sends basic auth when Username or Password is set: "Username:"
        return f": a user name came, with no password; {where}" if user and not password else ""
    if scheme:
        return ""
    if request.args:  # Radarr and Sonarr call the URL as typed, `?apikey=…` and all
        return f": none was sent (a token in the URL is not read); {where}"
    return f": none was sent; {where} (any user name), or in an X-Api-Key header"


def _token_matches(sent: bytes, expected: str) -> bool:
    """`sent` is the token as its UTF-8 bytes (RFC 7617's charset, curl, a browser) or as its
    ISO-8859-1 bytes (Radarr's and Sonarr's basic auth; Python's http.client for a header),
    each compared in constant time. A character beyond ISO-8859-1 (`€`) only the UTF-8 form
    holds: Radarr and Sonarr send it as `?` (config_check warns)."""
    forms = [expected.encode("utf-8")]
    if all(ord(c) < 256 for c in expected):
        forms.append(expected.encode("latin-1"))
    return any([hmac.compare_digest(sent, form) for form in forms])  # every form compared


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
        body = parse_body(whole_body(request, cache=False))
    except BadPayload as exc:
        log.warning("%s webhook: %s", source, exc)
        return _answer(400, str(exc))
    jobs.use_queue(config, if_unset=True)  # the app factory normally did it
    try:
        response, status = handle(config, body)
    except BadPayload as exc:
        log.warning("%s webhook %s: %s", source, body["eventType"][:40], exc)
        return _answer(400, f"{body['eventType'][:40]}: {exc}")
    except SpelledTwice as exc:
        return _spelled_twice(source, body, exc)
    if status == 202 and not workflow.is_enabled(config, "scanning"):
        # its scan is skipped: what it said waits for the scan that catches up (jobs.py)
        answer = response.get_json()
        answer["message"] += (
            "; the scanning stage is switched off: this is kept for the scan once it is on again"
        )
        return jsonify(answer), status
    return response, status


def _spelled_twice(source: str, body: dict[str, Any], exc: SpelledTwice) -> tuple[Response, int]:
    """The answer to a payload path whose name matches several on disk that differ only in
    their Unicode normalisation, and none exactly (`spelling.SpelledTwice`): the file or folder
    it means cannot be told, so nothing is queued (a scan of one would give the other's ids, a
    delete mark the wrong one missing), as `metarrd scan PATH` refuses such a PATH. The log
    line and the `webhook.ignored` warning name the movie or show and the names. A 200: a
    failed call (4xx) pauses the whole connection in Radarr and Sonarr, the other movies' calls
    lost with it (docs/daemon.md)."""
    event = body["eventType"][:40]
    what = body.get("movie") if source == "Radarr" else body.get("series")
    title = text(what, "title", "?") if isinstance(what, dict) else "?"
    path = os.path.join(exc.folder, exc.name)
    message = (
        f"{event} of {title}: {display(path)} names {exc}, and is spelled as none of them: "
        "nothing is queued; rename one of them"
    )
    log.warning("%s webhook %s", source, message)
    db.record_event("webhook.ignored", message, level="warning", path=path)
    return _answer(200, message, event=event)


@bp.route("/radarr", methods=METHODS)
@bp.route("/radarr/", methods=METHODS)  # as typed in Radarr's URL box: the same webhook, no 404
def radarr():
    return _guarded("Radarr", _radarr)


@bp.route("/sonarr", methods=METHODS)
@bp.route("/sonarr/", methods=METHODS)
def sonarr():
    return _guarded("Sonarr", _sonarr)


# --- Radarr ---------------------------------------------------------------------------------


def _other_app(body: dict[str, Any], source: str) -> tuple[Response, int] | None:
    """The 400 for a payload of the other app: Sonarr's at Radarr's URL (it names a `series`
    and no `movie`), or Radarr's at Sonarr's. Without it, the *Test* button of a connection
    given the wrong URL answered "test received", and every later call of that app was a 400
    on a field it never sends (or, for Health and Grab, quietly "nothing to do"). Payloads:
    Radarr's and Sonarr's WebhookBase.cs (BuildTestPayload: `movie`; `series`, `episodes`)."""
    own, other = ("movie", "series") if source == "Radarr" else ("series", "movie")
    if not isinstance(body.get(other), dict) or own in body:
        return None
    sender = "Sonarr" if source == "Radarr" else "Radarr"
    event = body["eventType"][:40]
    message = (
        f"{event}: this is {sender}'s payload (it names a {other}), sent to {source}'s webhook: "
        f"set {sender}'s webhook URL to /api/webhooks/{sender.lower()}"
    )
    log.warning("%s webhook %s", source, message)
    db.record_event("webhook.ignored", message, level="warning")
    return _answer(400, message, event=event)


def _radarr(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if wrong := _other_app(body, "Radarr"):
        return wrong
    if event == "Test":
        log.info("Radarr webhook: test received from %s", text(body, "instanceName", "Radarr"))
        return _answer(200, "test received; nothing to do", event=event)
    if event in IGNORED_RADARR:
        log.info("Radarr webhook: %s event needs nothing from us", event)
        return _answer(200, f"{event}: nothing to do", event=event)
    handler = {
        "Download": _download,
        "Rename": _rename,
        "MovieAdded": _movie_added,
        "MovieFileDelete": _deleted,
        "MovieDelete": _deleted,
    }.get(event)
    if handler is None:
        log.info("Radarr webhook: unknown event %r ignored", event[:80])
        return _answer(200, f"unknown event {event[:80]!r}: ignored", event=event[:80])
    return handler(config, body)


class _Paths:
    """The paths of one payload, as sent and as we see them (through `[webhooks] path_map`)."""

    def __init__(self, config: Config, source: str = "Radarr") -> None:
        self.config, self.source = config, source
        self.sent: dict[str, str] = {}  # ours -> as sent
        self.folders: set[str] = set()  # ours, of the paths sent as folders (not files)
        self.roots: dict[str, bool] = {}  # library root -> it does not answer

    def inside(self, path: str) -> bool:
        return deepest_folder(path, [lib.path for lib in self.config.library]) is not None

    def hung(self, path: str) -> str | None:
        """The library root holding `path` when it does not answer (a hard NFS mount whose
        server is gone: every stat there waits for ever, and the call's thread with it): the
        paths there are not looked at; the scan queued waits for the root (its job makes the
        same look). The watcher's look (`mounts.library_unanswered`), once per root and payload."""
        root = deepest_folder(path, [lib.path for lib in self.config.library])
        if root is None:
            return None
        if root not in self.roots:
            self.roots[root] = library_unanswered(root)
        return root if self.roots[root] else None

    def mapped(self, value: Any, what: str) -> str:
        """The path sent, through `path_map`, its library root spelled as configured; not
        looked up on disk (`local` does)."""
        ours = local_path(sent_path(value, what), self.config.webhooks.path_map)
        # its library root as configured, before the look at a hung root, which compares
        # paths as spelled: sent in the other normalisation, disk_spelling looked below a
        # hung root, and the call never answered
        return in_configured_root(ours, [lib.path for lib in self.config.library])

    def local(self, value: Any, what: str, *, folder: bool = False) -> str:
        sent = sent_path(value, what)
        ours = self.mapped(value, what)
        if not self.hung(ours):
            ours = disk_spelling(ours, [lib.path for lib in self.config.library])
        self.sent.setdefault(ours, sent)
        if folder:
            self.folders.add(ours)
        return ours

    def gone(self, value: Any, what: str, *, folder: bool = False) -> str:
        """A path the payload says is gone (deleted, or renamed: `previousPath`), as our items
        spell it. `local` spells a path as the disk does; once gone, the disk no longer tells:
        a name Radarr sends NFC whose item holds it NFD (a Mac's share) matched no item, and
        the delete was lost (a rename was found by the scan, but not published again)."""
        ours = self.local(value, what, folder=folder)
        if ours.isascii() or not self.inside(ours) or self.hung(ours):
            return ours
        # a name gone, whose sibling spelled in the other normalisation is still there (a
        # Linux disk keeps "Léon" NFC and NFD side by side): `local` found that sibling, but
        # an item spelled as sent is the one deleted; the sibling's items are not
        mapped = self.mapped(value, what)
        if mapped != ours and not os.path.lexists(mapped) and _items_at(mapped, folder):
            return self._spelled(mapped, ours, folder)
        if _items_at(ours, folder) or os.path.lexists(ours):
            return ours
        for spelled in other_spellings(ours):
            if _items_at(spelled, folder):
                return self._spelled(spelled, ours, folder)
        return ours

    def _spelled(self, spelled: str, ours: str, folder: bool) -> str:
        """`spelled`, the items' spelling of `ours` (as `local` found it), noted as sent so."""
        self.sent.setdefault(spelled, self.sent[ours])
        if folder:
            self.folders.add(spelled)
        return spelled

    def refuse_outside(self, paths: list[str], event: str) -> tuple[Response, int] | None:
        """The 422 for the first of `paths` outside every library, saying which `path_map`
        entry would put it inside one."""
        roots = [lib.path for lib in self.config.library]
        outside = [p for p in paths if deepest_folder(p, roots) is None]
        if not outside:
            return self._refuse_led_out(paths, event)
        ours = outside[0]
        sent = self.sent.get(ours, ours)
        shown = sent if sent == ours else f"{sent} (through [webhooks] path_map: {ours})"
        libraries = ", ".join(f"{lib.name}: {lib.path}" for lib in self.config.library)
        message = f"{event}: {shown} is not inside any configured library ({libraries or 'none'})"
        folder = sent if ours in self.folders else pathmap.parent(sent)
        # the hint looks for the folder's names under each root: never under one that does not
        # answer (a stat there never returns, and the call's thread with it)
        hint = suggest_mapping(folder, roots, lambda p: not self.hung(p) and os.path.exists(p))
        extra: dict[str, Any] = {}
        if is_windows(ours):  # not mapped, never ours as it is: say what to add
            above = pathmap.parent(folder)  # Radarr's root folder, most likely
            above = above if is_windows(above) else folder  # (not above a drive)
            example = hint or PathMap(above, "<that folder here>")
            message += (
                f". {self.source} sends Windows paths (it runs on Windows, or sees the library "
                "through a Windows share): add to [webhooks] a path_map entry from the Windows "
                f"folder that holds them to that folder here: path_map = [{toml_entry(example)}]"
            )
        elif hint is not None:
            message += (
                f". If {self.source} sees the library under another path (Docker), add to "
                f"[webhooks]: path_map = [{toml_entry(hint)}]"
            )
        if hint is not None:
            extra["path_map"] = {"from": hint.from_, "to": hint.to}
        log.warning("%s webhook %s", self.source, message)
        db.record_event("webhook.ignored", message, level="warning", path=ours)
        return _answer(422, message, event=event, **extra)

    def warn_missing(self, paths: list[str], event: str) -> str | None:
        """A warning for the first of `paths` (inside a library) that is not on disk here: a
        `path_map` that maps into the wrong folder of a library, a share not mounted, a name
        spelled otherwise (disk_spelling found no NFC/NFD variant either). The scan is queued
        anyway (the files may land in a moment); its result would say nothing."""
        for path in paths:
            if root := self.hung(path):
                message = f"{event}: library root {root} does not answer (a hung network mount?)"
                log.warning("%s webhook %s; its scan waits for it", self.source, message)
                return f"{message}; its scan waits for it"
            if os.path.exists(path):
                continue
            sent = self.sent.get(path, path)
            shown = path if sent == path else f"{path} (sent as {sent})"
            message = (
                f"{event}: {shown} is not there; its scan will find nothing. Check that "
                f"{self.source} and metarrd see the same files (the [webhooks] path_map, a share "
                "that is not mounted, a name spelled otherwise)"
            )
            log.warning("%s webhook %s", self.source, message)
            db.record_event("webhook.missing", message, level="warning", path=path)
            return message
        return self.warn_kept_out(paths, event)

    def warn_kept_out(self, paths: list[str], event: str) -> str | None:
        """A warning for the first of `paths` (on disk, inside a library) that the players
        leave out of their scan, and so does ours: a `.nomedia`, an empty `.ignore` or a
        pattern of a `.ignore` or `.plexignore` on its way (`walk.kept_out_on_the_way`). The
        scan is queued all the same: it lists the folder or file among what was skipped, with
        the same reason; the answer says it now, where it was a bare "scan queued"."""
        roots = [os.path.normpath(lib.path) for lib in self.config.library]
        for path in map(os.path.normpath, paths):
            root = deepest_folder(path, roots)
            if root is None or (kept := kept_out_on_the_way(path, root)) is None:
                continue
            where, rule = kept
            message = f"{event}: {where} is not scanned: {rule}"
            log.warning("%s webhook %s", self.source, message)
            db.record_event("webhook.ignored", message, level="warning", path=path)
            return message
        return None

    def _refuse_led_out(self, paths: list[str], event: str) -> tuple[Response, int] | None:
        """The 422 for the first of `paths` (inside a library) whose folder a symlink leads out
        of every library, unless its library sets `follow_symlinks`: the library walk does not
        follow such a link (walk.may_follow), so a webhook's scan does not either."""
        libraries = self.config.library
        for path in map(os.path.normpath, paths):  # as deepest_folder saw them
            if self.hung(path):  # the scan, once the root answers, does not follow the link
                continue
            lib = max(
                (lib for lib in libraries if is_inside(path, os.path.normpath(lib.path))),
                key=lambda lib: len(os.path.normpath(lib.path)),
            )
            folder = path if os.path.isdir(path) else os.path.dirname(path)
            real = leads_out(folder, libraries, follow_symlinks=lib.follow_symlinks)
            if real is None:
                continue
            message = (
                f"{event}: {folder} leads to {real}, outside every configured library: not "
                f"followed (set follow_symlinks = true for library {lib.name} to follow it)"
            )
            log.warning("webhook %s", message)
            db.record_event("webhook.ignored", message, level="warning", path=path)
            return _answer(422, message, event=event)
        return None


def _items_at(path: str, folder: bool) -> bool:
    """Whether an item is at `path`, or under it (a `folder`)."""
    if not folder:  # one indexed look-up: a rename lists a whole series' files
        return db.Movie.select().where(db.Movie.path == path).exists()
    prefix = path.rstrip("/") + "/"
    query = db.Movie.select(db.Movie.path).where(
        (db.Movie.path == path) | db.Movie.path.startswith(prefix)
    )
    return any(is_inside(movie.path, path) for movie in query)  # LIKE ignores case; paths do not


def _names_a_file(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("path"), str) or isinstance(entry.get("relativePath"), str)


def _file_path(
    entry: dict[str, Any], folder: Any, where: str, paths: _Paths, *, gone: bool = False
) -> str:
    """Where a file of the payload is: its `relativePath` under the movie's or show's `folder`
    (as sent), else its `path`. Before Radarr 5.10.1 and Sonarr 4.0.9 (Radarr 2700a6cf8, Sonarr
    a9b93dd9c: WebhookMovieFile.cs, WebhookEpisodeFile.cs) `path` was the file's in-memory one:
    in a Download the download client's copy (`/downloads/...`: "outside every library"), in a
    Rename or a file delete none at all. `relativePath` was right in every version. A file
    `gone` (deleted, or an upgrade's old one) is spelled as its item spells it (_Paths.gone)."""
    relative = entry.get("relativePath")
    value = entry.get("path")
    if isinstance(relative, str) and relative and isinstance(folder, str) and folder:
        value = sent_join(folder, relative)
    return (paths.gone if gone else paths.local)(value, f"{where}.path")


def _download(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    movie = obj(body, "movie", "", required=True)
    paths = _Paths(config)
    folder = paths.local(movie.get("folderPath"), "movie.folderPath", folder=True)
    remote = obj(body, "remoteMovie", "")
    renames = _upgrade(body, movie.get("folderPath"), folder, paths)
    refused = paths.refuse_outside([folder, *renames.values()], "Download")
    if refused:
        return refused
    found = ids(movie) or ids(remote or {})
    named = {**found, **_imported(body, movie.get("folderPath"), folder, paths)} if found else {}
    job = jobs.enqueue_scan([folder], ids={folder: named} if named else None, renames=renames)
    year = movie.get("year") if type(movie.get("year")) is int else "?"
    what = f"{text(movie, 'title', folder)} ({year})"
    given = f" with tmdb {found.get('tmdb_id')} / imdb {found.get('imdb_id')}" if found else ""
    log.info(
        "Radarr webhook: Download of %s: scan %s queued as job %d%s", what, folder, job.id, given
    )
    db.record_event("webhook.received", f"Radarr imported {what}", path=folder, **found)
    missing = paths.warn_missing([folder], "Download")
    return _answer(202, missing or f"scan of {folder} queued", event="Download", job=job.id)


def _imported(body: dict[str, Any], sent: Any, folder: str, paths: _Paths) -> dict[str, str]:
    """`{"file": path}`, the file a Download imported (its `movieFile`), when it is inside the
    movie's folder: the folder's ids go to its item when the folder holds other movies too (a
    cut the user put beside Radarr's file: steps._items_named). A file path that cannot be
    used (not absolute, spelled as two names on disk) names none: the folder's scan goes on."""
    movie_file = obj(body, "movieFile", "")
    if movie_file is None or not _names_a_file(movie_file):
        return {}
    try:
        path = _file_path(movie_file, sent, "movieFile", paths)
    except (BadPayload, SpelledTwice):
        return {}
    return {"file": path} if is_inside(path, folder) and path != folder else {}


def _movie_added(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    """A movie added to Radarr (WebhookAddedPayload: `movie`, `addMethod`; Radarr
    src/NzbDrone.Core/Notifications/Webhook/WebhookBase.cs BuildOnMovieAdded): its folder is
    scanned with its ids, as Sonarr's SeriesAdd, so a movie already on disk (a library import)
    is identified without a search. Radarr mostly adds a movie before downloading it: a folder
    that is not there yet is no mistake (nothing is created; the Download scans it)."""
    movie = obj(body, "movie", "", required=True)
    paths = _Paths(config)
    folder = paths.local(movie.get("folderPath"), "movie.folderPath", folder=True)
    refused = paths.refuse_outside([folder], "MovieAdded")
    if refused:
        return refused
    found = ids(movie)
    job = jobs.enqueue_scan([folder], ids={folder: found} if found else None)
    how = text(body, "addMethod", "")[:40]
    log.info("Radarr webhook: MovieAdded (%s) of %s: scan queued as job %d",
             how or "?", folder, job.id)  # fmt: skip
    message = f"scan of {folder} queued"
    if root := paths.hung(folder):
        message = f"{message}; library root {root} does not answer (a hung network mount?)"
    elif not os.path.exists(folder):
        message = f"{folder} is not there yet (the Download scans it); {message}"
    return _answer(202, message, event="MovieAdded", job=job.id)


def _upgrade(body: dict[str, Any], sent: Any, folder: str, paths: _Paths) -> dict[str, str]:
    """An upgrade replaced one file by another: the item follows the new file, keeping its data.
    `sent` is the movie's folder as sent, `folder` as we see it."""
    movie_file = obj(body, "movieFile", "")
    deleted = objects(body, "deletedFiles", "")
    if body.get("isUpgrade") is not True or movie_file is None or not deleted:
        return {}
    if not _names_a_file(movie_file):
        return {}
    new = _file_path(movie_file, sent, "movieFile", paths)
    old = [
        _file_path(d, sent, f"deletedFiles[{i}]", paths, gone=True)
        for i, d in enumerate(deleted)
        if _names_a_file(d)
    ]
    if len(old) != 1 or not new.startswith(folder + "/"):
        return {}
    # the same path (a movie format without the quality): the item stays, and is published
    # again as for a rename, its NFO's <streamdetails> being the old file's (follow_renames)
    moved = _moved_with_its_folder(old[0], obj(body, "movie", "") or {}, paths)
    return {old[0]: new, **dict.fromkeys(moved, new)}


def _rename(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    files = objects(body, "renamedMovieFiles", "")
    movie = obj(body, "movie", "", required=files is None) or {}
    paths = _Paths(config)
    if files is None:  # Radarr 3 names only the movie (the files came with Radarr 4: 94b481a66)
        folder = paths.local(movie.get("folderPath"), "movie.folderPath", folder=True)
        return _rescan(paths, folder, "Radarr")
    renames: dict[str, str] = {}
    for i, entry in enumerate(files):
        where = f"renamedMovieFiles[{i}]"
        old = paths.gone(entry.get("previousPath"), f"{where}.previousPath")
        renames[old] = _file_path(entry, movie.get("folderPath"), where, paths)
        for moved in _moved_with_its_folder(old, movie, paths):
            renames[moved] = renames[old]
    refused = paths.refuse_outside(list(renames.values()), "Rename")
    if refused:
        return refused
    folders = sorted({new.rsplit("/", 1)[0] or "/" for new in renames.values()})
    job = jobs.enqueue_scan(folders, renames=renames)
    for old, new in renames.items():
        log.info("Radarr webhook: Rename %s -> %s queued as job %d", old, new, job.id)
    return _answer(202, f"{len(files)} renames queued", event="Rename", job=job.id)


def _moved_with_its_folder(
    old: str, movie: dict[str, Any], paths: _Paths, *, folder: bool = False
) -> list[str]:
    """Where the item of a file Radarr names as gone (a Rename's `previousPath`, an upgrade's
    `deletedFiles`, a deleted `movieFile`) is, when its movie folder was moved since without
    our seeing it: Radarr moves a folder to another root folder, or renames it (Edit movie,
    Movie Editor), with no webhook (MoveMovieService sends none), and the watcher does not see
    a share's changes made from another computer. Radarr then names the old file under the new
    folder (`movie.folderPath` + its relative path). The item is the one of Radarr's movie (its
    `tmdbId`), not missing, at the same relative path under another folder, whose file is gone
    from there: only when exactly one is. None (an empty list) when an item is at `old` (the
    watcher saw the move), or nothing else fits: the scan finds the file, and the item stays
    where it was. `old` a `folder` (a MovieDelete's): the items of the movie whose files are
    gone, wherever, when they were in one folder: Radarr deletes the movie's whole folder
    (MediaFileDeletionService, on MoviesDeletedEvent with DeleteFiles), so a second cut added
    there by hand (`Heat (1995) - Director's Cut.mkv`, an item of the same film) goes too. Gone
    from several folders: which one moved cannot be told, none."""
    tmdb_id = ids(movie).get("tmdb_id")
    if not tmdb_id or not paths.inside(old) or paths.hung(old) or _items_at(old, folder):
        return []
    try:
        here = paths.mapped(movie.get("folderPath"), "movie.folderPath")
    except BadPayload:
        return []
    if folder:
        rest = ""
    elif is_inside(old, here, "/") and old.rstrip("/") != here.rstrip("/"):
        rest = "/" + old[len(here.rstrip("/")) + 1 :]
    else:
        return []
    query = db.Movie.select(db.Movie.path, db.Movie.is_disc).where(
        db.Movie.tmdb_id == tmdb_id, db.Movie.kind == db.MOVIE, ~db.Movie.missing
    )
    found = {p: disc for p, disc in query.tuples() if p != old and p.endswith(rest)}
    if not folder:
        one = _the_one_gone(list(found), paths)
        return [one] if one else []
    gone = _gone_of(list(found), paths)
    return sorted(gone) if len({_folder_of(p, found[p]) for p in gone}) == 1 else []


def _folder_of(path: str, is_disc: bool) -> str:
    """The movie folder of an item at `path` (local_files.movie_folder, from the path alone: the
    item's files may be gone)."""
    if is_disc and path.rsplit("/", 1)[-1].upper() not in ("VIDEO_TS", "BDMV"):
        return path
    return path.rsplit("/", 1)[0] or "/"


def _the_one_gone(found: list[str], paths: _Paths) -> str | None:
    """The one of `found` (the paths of items of the movie or series a payload names, kept
    elsewhere) that is gone from its library (not under a root that does not answer): the
    item Radarr or Sonarr moved unseen (_moved_with_its_folder, _show_moved_unseen). None when
    none is, or several are: which one moved cannot be told."""
    gone = _gone_of(found, paths)
    return gone[0] if len(gone) == 1 else None


def _gone_of(found: list[str], paths: _Paths) -> list[str]:
    """The paths of `found` gone from their library, as the scan has it
    (`scan.gone_from_library`): not under a root that does not answer, nor an item of a library
    whose root is missing or left empty (a share not mounted, the same series kept in another
    library), nor one that cannot be looked at, nor one behind a share's empty mount point; it
    would be moved, or marked missing, while its files are all there."""
    return [
        path
        for path in found
        if paths.inside(path) and not paths.hung(path) and gone_from_library(paths.config, path)
    ]


def _rescan(paths: _Paths, folder: str, source: str) -> tuple[Response, int]:
    """A Rename that does not say which files moved: the folder's scan finds each file renamed
    where it is (same size and time: scan.stage._moved_from), and its item follows it."""
    refused = paths.refuse_outside([folder], "Rename")
    if refused:
        return refused
    job = jobs.enqueue_scan([folder])
    log.info("%s webhook: Rename in %s without its files: scan queued as job %d",
             source, folder, job.id)  # fmt: skip
    return _answer(202, f"scan of {folder} queued", event="Rename", job=job.id)


def _deleted(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    paths = _Paths(config)
    if event == "MovieFileDelete":
        movie_file = obj(body, "movieFile", "", required=True)
        movie = obj(body, "movie", "") or {}
        path = _file_path(movie_file, movie.get("folderPath"), "movieFile", paths, gone=True)
        if body.get("deleteReason") == "upgrade":
            # "On Movie File Delete For Upgrade": the Download (isUpgrade) that follows makes
            # the item follow its new file, data kept; marking it missing meanwhile was wrong
            log.info("Radarr webhook: %s deleted for an upgrade; its item is kept", path)
            return _answer(200, f"{path}: deleted for an upgrade; kept for the new file",
                           event=event)  # fmt: skip
        if kept := _file_stays(body, path, event, "Radarr"):
            return kept
    else:
        movie = obj(body, "movie", "", required=True)
        path = paths.gone(movie.get("folderPath"), "movie.folderPath", folder=True)
    refused = paths.refuse_outside([path], event)
    if refused:
        return refused
    # Radarr calls us before it deletes the files (its EventAggregator runs the notification
    # first, MediaFileDeletionService.HandleAsync afterwards): a path still there is looked at
    # again a little later; a MovieDelete without "Delete files" leaves them for good
    kept = body.get("deletedFiles") is False
    # its folder moved by Radarr unseen: the item, where we last saw it, is marked missing too
    moved = [] if kept else _moved_with_its_folder(path, movie, paths,
                                                   folder=event == "MovieDelete")  # fmt: skip
    job = jobs.enqueue_scan([], gone=[path, *moved], recheck=not kept)
    if kept:  # the job marks missing only what is gone: the files stay, so does the item
        log.info("Radarr webhook: %s of %s, its files kept: its item stays (job %d)",
                 event, path, job.id)  # fmt: skip
        message = (
            f"{path}: Radarr keeps its files, so its item stays as it is "
            "(marked missing only if its files are gone)"
        )
        return _answer(202, message, event=event, job=job.id)
    log.info("Radarr webhook: %s of %s: marking its item missing (job %d)", event, path, job.id)
    return _answer(202, f"{path}: its item will be marked missing", event=event, job=job.id)


# DeleteMediaFileReason values (Radarr's and Sonarr's src/NzbDrone.Core/MediaFiles/
# DeleteMediaFileReason.cs, camel-cased by their JSON settings) for which they only drop the
# file's database row and leave the file on disk: MediaFileService.Delete touches no file (the
# disk is MediaFileDeletionService's, for `manual`). `noLinkedEpisodes`: Sonarr's
# MediaFileTableCleanupService, a file on disk no episode points at any more (an episode
# TheTVDB removed); `manualOverride`: ImportApprovedMovie / ImportApprovedEpisodes, a Manual
# Import of a file already in place, whose older row of the same relative path goes.
FILE_STAYS = frozenset({"noLinkedEpisodes", "manualOverride"})


def _file_stays(
    body: dict[str, Any], path: str, event: str, source: str
) -> tuple[Response, int] | None:
    """The 200 for a file delete that deletes no file (FILE_STAYS): nothing is marked missing,
    no later look is queued."""
    reason = body.get("deleteReason")
    if not isinstance(reason, str) or reason not in FILE_STAYS:
        return None
    log.info("%s webhook: %s of %s (%s): %s keeps the file; nothing to do",
             source, event, path, reason, source)  # fmt: skip
    return _answer(200, f"{path}: {reason}: {source} keeps the file, so its item stays",
                   event=event)  # fmt: skip


# --- Sonarr ---------------------------------------------------------------------------------
# kodi-tv.md §4. The show folder is `series.path`; each file is its `relativePath` under it
# (else its `path`: _file_path). Ids from the series (`tvdbId`, `tmdbId`, `imdbId`)
# identify the show without searching.

IGNORED_SONARR = IGNORED_RADARR  # Sonarr's WebhookEventType.cs: the same five


def _sonarr(config: Config, body: dict[str, Any]) -> tuple[Response, int]:
    event = body["eventType"]
    if wrong := _other_app(body, "Sonarr"):
        return wrong
    if event == "Test":
        log.info("Sonarr webhook: test received from %s", text(body, "instanceName", "Sonarr"))
        return _answer(200, "test received; nothing to do", event=event)
    if event in IGNORED_SONARR:
        log.info("Sonarr webhook: %s event needs nothing from us", event)
        return _answer(200, f"{event}: nothing to do", event=event)
    handler = {
        "Download": _sonarr_download,
        "Rename": _sonarr_rename,
        "EpisodeFileDelete": _sonarr_file_deleted,
        "SeriesAdd": _sonarr_series_add,
        "SeriesDelete": _sonarr_series_deleted,
    }.get(event)
    if handler is None:
        log.info("Sonarr webhook: unknown event %r ignored", event[:80])
        return _answer(200, f"unknown event {event[:80]!r}: ignored", event=event[:80])
    series = obj(body, "series", "", required=True)
    if event == "Download":  # the files' shape first: its errors name the field at fault
        objects(body, "episodeFiles", "")
        obj(body, "episodeFile", "")
    paths = _Paths(config, "Sonarr")
    show = paths.local(series.get("path"), "series.path", folder=True)
    return handler(body, series, show, paths)


def _show_ids(
    show: str, found: dict[str, Any], series: dict[str, Any]
) -> dict[str, dict[str, Any]] | None:
    """The series' ids for the scan of its folder, marked as a show's: a series Sonarr has no
    TheTVDB id for (`tvdbId: 0`) still names a show. No id at all: None, so the show is
    identified as any new show is (by its folder's name). With the series' `type` (`anime`,
    `daily`, `standard`): the episode order a new show starts in (identify.tv._default_order)."""
    if not found:
        return None
    kind = series_type(series)
    return {show: {**found, "kind": db.SHOW, **({"series_type": kind} if kind else {})}}


def _show_moved_unseen(series: dict[str, Any], show: str, paths: _Paths) -> dict[str, str]:
    """`{old folder: show}` when the series' show item is still at another folder, gone: Sonarr
    moved the series' folder (Edit series with another path, the Series Editor's new root
    folder: MoveSeriesService) and sends no webhook for that (its SeriesMovedEvent reaches no
    notification), and the watcher does not see a share's changes made from another computer.
    Every later call names paths in the new folder (`series.path`), where no item was: a
    Rename's `previousPath` and an upgrade's `deletedFiles` named no item (the scan found the
    show and its files moved, but the episode was not published again: our NFO and thumb kept
    the old name), a delete marked nothing missing (the show stayed "Published" at a folder
    gone). The job moves the show, its seasons and episodes there first (renames: the scan's
    tv.follow_moved_shows), as the watcher's scan of a renamed show folder does. The show is
    the one item of the series (its `tvdbId`, else `tmdbId`) not missing, at another folder,
    gone: none when an item is at `show` (the watcher saw the move)."""
    found = series_ids(series)
    tvdb_id, tmdb_id = found.get("tvdb_id"), found.get("tmdb_id")
    if not (tvdb_id or tmdb_id) or not paths.inside(show) or paths.hung(show):
        return {}
    if _items_at(show, False):
        return {}
    M = db.Movie
    same = (M.tvdb_id == tvdb_id) if tvdb_id else (M.tmdb_id == tmdb_id)
    query = M.select(M.path).where(same, M.kind == db.SHOW, ~M.missing, M.path != show)
    old = _the_one_gone([path for (path,) in query.tuples()], paths)
    if old is None:
        return {}
    log.info("Sonarr webhook: the show at %s is at %s now (moved by Sonarr)", old, show)
    return {old: show}


def _sonarr_download(body, series, show, paths) -> tuple[Response, int]:
    """Both shapes: per file (`episodeFile`, "On Import") and import-complete (`episodeFiles`);
    the same file twice (by path and size) counts once, and with both toggles on Sonarr's second
    call merges into the queued scan (or rescans unchanged files: nothing happens twice)."""
    entries = objects(body, "episodeFiles", "")
    where = "episodeFiles[{}]"
    if entries is None:
        one = obj(body, "episodeFile", "")
        if one is None:
            raise BadPayload("neither episodeFile nor episodeFiles")
        entries, where = [one], "episodeFile"
    files: dict[tuple[str, int | None], str] = {}
    for i, entry in enumerate(entries):
        path = _file_path(entry, series.get("path"), where.format(i), paths)
        size = entry.get("size")  # a long in Sonarr's WebhookEpisodeFile; a list is no key
        files.setdefault((path, size if type(size) is int else None), path)
    renames = _sonarr_upgrade(body, series, show, list(files.values()), paths)
    renames = {**_show_moved_unseen(series, show, paths), **renames}
    refused = paths.refuse_outside([show, *files.values(), *renames.values()], "Download")
    if refused:
        return refused
    found = series_ids(series)
    job = jobs.enqueue_scan([show], ids=_show_ids(show, found, series), renames=renames)
    what = text(series, "title", show)
    log.info(
        "Sonarr webhook: Download of %d files of %s: scan %s queued as job %d",
        len(files), what, show, job.id,
    )  # fmt: skip
    db.record_event("webhook.received", f"Sonarr imported {len(files)} files of {what}",
                    path=show, **found)  # fmt: skip
    missing = paths.warn_missing([show, *files.values()], "Download")
    return _answer(202, missing or f"scan of {show} queued", event="Download", job=job.id,
                   files=len(files))  # fmt: skip


def _sonarr_upgrade(body, series, show, new_files, paths) -> dict[str, str]:
    """An upgrade replaced files by one: the episode item follows the new file, keeping its
    data (its NFO and thumb follow on the next publish). Sonarr lists in `deletedFiles` every
    file that held one of the new file's episodes (UpgradeMediaFileService): two single
    episodes upgraded to one multi-episode file name both, and the first episode's item
    follows it, the other merging into it (scan.renames.follow_renames)."""
    deleted = objects(body, "deletedFiles", "")
    if body.get("isUpgrade") is not True or not deleted or len(new_files) != 1:
        return {}
    new = new_files[0]
    old = [
        _file_path(d, series.get("path"), f"deletedFiles[{i}]", paths, gone=True)
        for i, d in enumerate(deleted)
        if _names_a_file(d)
    ]
    if not new.startswith(show + "/"):
        return {}
    return {path: new for path in old}  # the new file's own path too: follow_renames


def _sonarr_rename(body, series, show, paths) -> tuple[Response, int]:
    entries = objects(body, "renamedEpisodeFiles", "")
    if entries is None:  # Sonarr before 3.0.5 names only the series (3c4534940 added the files)
        return _rescan(paths, show, "Sonarr")
    renames: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"renamedEpisodeFiles[{i}]"
        old = entry.get("previousPath")
        if old is None and isinstance(entry.get("previousRelativePath"), str):
            old = sent_join(str(series.get("path")), entry["previousRelativePath"])
        old = paths.gone(old, f"{where}.previousPath")
        renames[old] = _file_path(entry, series.get("path"), where, paths)
    renames = {**_show_moved_unseen(series, show, paths), **renames}
    refused = paths.refuse_outside([show, *renames.values()], "Rename")
    if refused:
        return refused
    job = jobs.enqueue_scan([show], renames=renames)
    log.info(
        "Sonarr webhook: Rename of %d files of %s queued as job %d", len(entries), show, job.id
    )
    return _answer(202, f"{len(entries)} renames queued", event="Rename", job=job.id)


def _sonarr_file_deleted(body, series, show, paths) -> tuple[Response, int]:
    episode_file = obj(body, "episodeFile", "", required=True)
    path = _file_path(episode_file, series.get("path"), "episodeFile", paths, gone=True)
    if body.get("deleteReason") == "upgrade":
        # a Download with isUpgrade follows: the episode keeps its data and follows the new file
        log.info("Sonarr webhook: %s deleted for an upgrade; its data is kept", path)
        return _answer(200, f"{path}: deleted for an upgrade; kept for the new file",
                       event="EpisodeFileDelete")  # fmt: skip
    if kept := _file_stays(body, path, "EpisodeFileDelete", "Sonarr"):
        return kept
    refused = paths.refuse_outside([path], "EpisodeFileDelete")
    if refused:
        return refused
    moved = _show_moved_unseen(series, show, paths)  # found in the new folder first
    job = jobs.enqueue_scan([], gone=[path], recheck=True, renames=moved)  # before the file goes
    log.info("Sonarr webhook: EpisodeFileDelete of %s: marking it missing (job %d)", path, job.id)
    return _answer(202, f"{path}: its item will be marked missing", event="EpisodeFileDelete",
                   job=job.id)  # fmt: skip


def _sonarr_series_add(body, series, show, paths) -> tuple[Response, int]:
    refused = paths.refuse_outside([show], "SeriesAdd")
    if refused:
        return refused
    found = series_ids(series)
    job = jobs.enqueue_scan([show], ids=_show_ids(show, found, series))
    log.info("Sonarr webhook: SeriesAdd of %s: scan queued as job %d", show, job.id)
    message = f"scan of {show} queued"
    if root := paths.hung(show):
        message = f"{message}; library root {root} does not answer (a hung network mount?)"
    elif not os.path.exists(show):  # added before any download: no mistake, nothing is created
        message = f"{show} is not there yet (the Download scans it); {message}"
    return _answer(202, message, event="SeriesAdd", job=job.id)


def _sonarr_series_deleted(body, series, show, paths) -> tuple[Response, int]:
    show = paths.gone(series.get("path"), "series.path", folder=True)
    refused = paths.refuse_outside([show], "SeriesDelete")
    if refused:
        return refused
    # before Sonarr deletes the folder (as Radarr's MovieDelete): looked at again while there
    kept = body.get("deletedFiles") is False
    # moved unseen: the show follows its folder first; that folder gone already, the show is
    # marked missing where we last saw it (unless Sonarr keeps the files)
    moved = _show_moved_unseen(series, show, paths)
    gone = [show, *([] if kept else moved)]
    job = jobs.enqueue_scan([], gone=gone, recheck=not kept, renames=moved)
    log.info("Sonarr webhook: SeriesDelete of %s%s: its items are marked missing if gone (job %d)",
             show, ", its files kept" if kept else "", job.id)  # fmt: skip
    message = (
        f"{show}: Sonarr keeps its files, so its items stay as they are (marked missing only "
        "if their files are gone)"
        if kept  # "Delete" without "Delete Files": as Radarr's MovieDelete, the answer says so
        else f"{show}: its items will be marked missing once gone"
    )
    return _answer(202, message, event="SeriesDelete", job=job.id)
