"""One error handler renders every error: a page (`error.html`) for a browser, a short message
in the page's toast area for an htmx request. Never a traceback, never a configuration value."""

from __future__ import annotations

import logging
from typing import NoReturn

import flask
from flask import Flask, abort, render_template, request, url_for
from flask.globals import request_ctx
from htmx_flask import make_response
from werkzeug.exceptions import HTTPException, NotFound

from metarrd import db
from metarrd.web import auth, busy
from metarrd.web.incoming import TooManyFields

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Not available",
}


def no_such(what: str) -> str:
    """How every 404 says it, naming what was not found: `There is no item 7 (it may have been
    removed).` (one kind of sentence on every page and toast, not "Unknown …" on some)."""
    return f"There is no {what}."


def not_found(what: str) -> NoReturn:
    """The 404 of a request that names something that does not exist (`no_such`)."""
    abort(404, no_such(what))


def render_error(status: int, message: str):
    title = TITLES.get(status, "Error")
    if request_ctx.url_adapter is None:
        # the Host could not even be routed (`localhost..`: werkzeug's BadHost): no page can
        # be built (its links need the routing), so a plain answer, never a 500
        return flask.Response(f"{title}: {message}\n", status, mimetype="text/plain")
    if request.headers.get("HX-Request"):
        if status == 401:  # back to the page it was on after the login
            return make_response("", 401, redirect=url_for("auth.login", next=auth.return_to()))
        body = render_template("_toast.html", title=title, message=message, tone="danger")
        return make_response(body, status, retarget="#toast", reswap="outerHTML")
    if request.path.startswith(("/live", "/healthz", "/api/")):
        # `ok` as every webhook answer has it (docs/interface.md): Radarr/Sonarr and scripts
        # read it from a 413, 503 or 500 too
        return {"ok": False, "error": title, "message": message}, status
    return render_template("error.html", status=status, title=title, message=message), status


UNAVAILABLE = (
    "The database cannot be reached right now (PostgreSQL restarting, failed over, or at its "
    "connection limit?); nothing was changed. Try again in a moment."
)


def render_unavailable():
    """The 503 of a request that met the database unavailable: a page that reads nothing from
    it (error.html's base reads the login state and the jobs from the database, so rendering
    it failed again, and the browser got a bare 500)."""
    if request.headers.get("HX-Request") or request.path.startswith(("/live", "/healthz", "/api/")):
        return render_error(503, UNAVAILABLE)
    page = render_template("unavailable.html", status=503, title=TITLES[503], message=UNAVAILABLE)
    return page, 503


def _too_large() -> str:
    """What a 413 says: the limit that was passed (werkzeug's own "The data value transmitted
    exceeds the capacity limit." said neither which one nor that it was the file's size)."""
    from metarrd.web import item
    from metarrd.web.formatting import human_size

    if (
        request.endpoint == "item.add_own_image"
        and request.max_content_length != (flask.current_app.config["MAX_CONTENT_LENGTH"])
    ):
        return (
            f"This file is too large: an image may be at most {human_size(item.MAX_UPLOAD_BYTES)}; "
            "nothing was changed."
        )
    limit = request.max_content_length
    if not limit:
        return ""
    return f"This request is too large: at most {human_size(limit)}; nothing was changed."


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413 and not isinstance(exc, TooManyFields):
            return render_error(413, _too_large())
        if isinstance(exc, NotFound) and exc.description == NotFound.description:
            # no route has this address (werkzeug's "The requested URL was not found on the
            # server…"): said as every other 404, naming it
            return render_error(404, no_such(f"page at {request.path[:200]}"))
        return render_error(exc.code or 500, exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if busy.is_busy(exc):  # the daemon held the database longer than every retry
            log.warning("database busy on %s %s: %s", request.method, request.path, exc)
            message = "The database is busy right now. Try again in a moment."
            response = flask.make_response(render_error(503, message))
            response.headers["Retry-After"] = "2"
            return response
        if db.unavailable(exc):  # PostgreSQL restarting, failed over, at its connection limit
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            response = flask.make_response(render_unavailable())
            response.headers["Retry-After"] = "10"
            return response
        log.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(
            500, "The error was logged on the server. Try again, or look at the log."
        )
