"""The review UI: a Flask app (one blueprint per screen) rendering Jinja pages and the htmx
partials the pages include. It only reads the database, records the user's manual choices and
queues jobs; it never calls a provider or writes into a library.

`create_app(config)` is the factory (gunicorn: `metarrd.web.wsgi:app`); `serve_dev(config)` runs
werkzeug's threaded server for `metarrd web` and `metarrd demo`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
import tempfile
import threading
from pathlib import Path

from flask import Flask, Request, current_app, request, session
from htmx_flask import Htmx
from werkzeug.serving import BaseWSGIServer, make_server

from metarrd import db
from metarrd.config import Config
from metarrd.web import cookies, incoming
from metarrd.web.ids import IdConverter
from metarrd.web.incoming import FitRequest

log = logging.getLogger(__name__)

# Content-Security-Policy: only our own scripts, styles and images (previews are served by us).
MAX_FLASH_CHARS = 400  # a flashed message longer than this is cut (see _short_flashes)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def asset_dir(name: str) -> Path:
    """`templates/` or `static/`: at the top of the source tree (development, editable installs),
    or under `<prefix>/share/metarrd/` where a wheel install puts them (pyproject data-files)."""
    source_tree = Path(__file__).resolve().parent.parent.parent / name
    for candidate in (source_tree, Path(sys.prefix) / "share" / "metarrd" / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"metarrd is installed without its {name}/ folder (looked in {source_tree})")


SPOOL_BYTES = 500 * 1024  # a form's file up to this stays in memory (werkzeug's own default)


class SpoolUnderData(Request):
    """The request (mixed into the class htmx-flask installs), whose form files over
    SPOOL_BYTES are spooled under data_dir/tmp, not in the system's temp folder: /tmp is a
    tmpfs on Debian 13, Arch and Fedora (the unit's PrivateTmp one too), where an upload of up
    to 64 MB was held in memory until its request ended."""

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        folder = current_app.config["METARRD"].tmp_dir
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="rb+", dir=folder)


def create_app(config: Config, *, testing: bool = False) -> Flask:
    """The web application for `config`: opens (and migrates) the database."""
    from metarrd.pipeline import jobs
    from metarrd.publish import follow_players
    from metarrd.runtime import open_runtime

    app = Flask(
        __name__,
        template_folder=str(asset_dir("templates")),
        static_folder=str(asset_dir("static")),
    )
    rt = open_runtime(config)
    follow_players()  # a Plex player added or taken off: its movies to republish
    jobs.use_queue(config)  # jobs go to the queue file the daemon consumes
    app.config.update(
        METARRD=config,
        TESTING=testing,
        SECRET_KEY=_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=_dt.timedelta(hours=config.web.session_hours),
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        LIVE_POLL_SECONDS=0.5,  # how often the live stream looks for new events
        LIVE_MAX_SECONDS=120.0,  # a stream ends after this; the browser reconnects and resumes
        # A stream learns that its tab is gone only when it writes: a comment every 2 s frees
        # the slot of a page the user left (15 s let quick page hops hold them all, and a tab
        # that then found none logged an error in the browser's console).
        LIVE_HEARTBEAT_SECONDS=2.0,
        LIVE_MAX_STREAMS=10,  # held streams per process (wsgi.py: per gunicorn worker)
        LIVE_BUSY_RETRY_MS=5000,  # when all are held: a short answer, the browser asks again
    )
    app.extensions["metarrd.runtime"] = rt
    from metarrd.web.auth import SessionInterface

    app.session_interface = SessionInterface()  # `Secure` cookie over HTTPS
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    Htmx(app)  # installs its request class; ours adds to it (after Htmx, or it is replaced):
    # every typed text made fit (incoming.py), and uploads spooled under data_dir/tmp
    app.request_class = type("Request", (SpoolUnderData, FitRequest), {})
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from metarrd.web import (
        activity,
        auth,
        dashboard,
        errors,
        files,
        health,
        identify,
        item,
        library,
        live,
        settings,
        templating,
        tv,
        webhooks,
    )

    modules = (
        auth,
        health,
        files,
        library,
        item,
        identify,
        activity,
        dashboard,
        settings,
        live,
        webhooks,
        tv,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    templating.init_app(app)
    errors.init_app(app)

    @app.before_request
    def _open_db():
        try:
            db.database.connect(reuse_if_open=True)
        except Exception as exc:
            # /healthz answers its own body, its database check failing (docs/interface.md)
            if request.endpoint != health.bp.name + ".healthz" or not db.unavailable(exc):
                raise

    @app.before_request
    def _upload_limit():
        # one route takes an image file, the webhooks a whole series' files; every other
        # request stays under MAX_CONTENT_LENGTH (set before the CSRF check reads the form).
        # The image only from a browser that may use the UI: the CSRF check reads (and spools
        # to a temp file) the whole form before the login is asked for, so anyone who can
        # reach a login page could make each request park 64 MB in /tmp. And only a multipart
        # form, which werkzeug streams to a temp file: a urlencoded body (a script's; the page's
        # form is multipart) is read whole into memory, 64 MB a request held in the worker.
        if request.endpoint == "item.add_own_image":
            multipart = request.mimetype == "multipart/form-data"
            if multipart and (not auth.login_required() or auth.is_logged_in()):
                request.max_content_length = item.MAX_UPLOAD_BYTES + 64 * 1024
        elif request.blueprint == webhooks.bp.name:
            request.max_content_length = webhooks.MAX_BODY_BYTES
            return  # read only after the token is checked (webhooks._guarded)
        if request.content_length is None and request.method not in auth.SAFE_METHODS:
            # chunked: werkzeug would cut it at the limit; counted while spooled to a temp file
            incoming.spool_body(request, current_app.config["METARRD"].tmp_dir)

    app.before_request(auth.guard)

    @app.teardown_request
    def _close_db(_exc):
        if not db.database.is_closed():
            db.database.close()

    @app.after_request
    def _short_flashes(response):
        # a message that repeats what the user typed (20,000 characters in a number field) would
        # push the session cookie past the 4 KB browsers store: the new cookie, and the message
        # in it, would be dropped in silence
        flashes = session.get("_flashes") if "_flashes" in session else None
        if flashes and any(len(message) > MAX_FLASH_CHARS for _tone, message in flashes):
            session["_flashes"] = [
                (tone, message if len(message) <= MAX_FLASH_CHARS
                 else message[: MAX_FLASH_CHARS - 1] + "…")
                for tone, message in flashes
            ]  # fmt: skip
        return response

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # no other site may embed what we serve (`<img src="http://127.0.0.1:8787/assets/1/
        # image">` told any page, by its onload and size, which items a loopback UI holds)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response

    app.after_request(cookies.forget_legacy)

    return app


def _secret_key() -> str:
    from metarrd.web.auth import secret_key

    return secret_key()


def parse_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


class DevServer:
    """werkzeug's threaded server in a background thread (tests, the demo)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="metarrd-web", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DevServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_dev(config: Config, bind: str | None = None) -> int:
    """`metarrd web`: the development server (production: gunicorn with gthread workers)."""
    from metarrd.web.auth import is_loopback_bind, password_hash

    bind = bind or config.web.bind
    host, port = parse_bind(bind)
    if bind != config.web.bind:
        import dataclasses

        config = dataclasses.replace(config, web=dataclasses.replace(config.web, bind=bind))
    app = create_app(config)
    if not is_loopback_bind(bind):
        if password_hash() is None:
            log.warning(
                "web UI bound to %s: a login is required, and nobody can log in until an "
                "admin password is set (`metarrd passwd`)",
                bind,
            )
        else:
            log.info("web UI bound to %s: a login is required", bind)
    server = make_server(host, port, app, threaded=True)
    log.info("web UI at http://%s:%d/", host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("web UI stopped")
    finally:
        server.server_close()
    return 0
