"""Login, sessions and CSRF protection for the review UI.

- A login is required when `[web] bind` is not a loopback address, or whenever an admin password
  is set (a reverse proxy in front of a loopback bind makes the UI public too).
- One admin password; its scrypt hash lives in the database `meta` table (`metarrd passwd`).
- The Flask secret key is generated once and stored in `meta` too, so sessions survive restarts
  and the web and gunicorn workers agree.
- A session expires `[web] session_hours` after login, and at once when the password changes or
  the user logs out: the cookie carries a session id whose (hashed) row in `web_sessions` must
  exist, so a copy of the cookie dies with the session.
- Wrong passwords are counted per client address in `login_failures` (five in 15 minutes lock
  the address out; an IPv6 client's /64 counts as one address; behind a reverse proxy listed in
  `[web] trusted_proxies` the address is the one the proxy forwards: metarrd/web/clients.py),
  the same for every gunicorn worker and across restarts. Past 50 failures from every address
  together, one password is checked every 30 seconds. A browser that logged in before counts
  by its signed device cookie instead, outside both caps (metarrd/web/devices.py), so guessers
  cannot lock the admin out. Each attempt is
  counted before its password is checked (metarrd/web/attempts.py), so parallel guesses cannot
  slip past the count while the slow scrypt checks run.
- Every state-changing request carries the session's CSRF token (form field `csrf_token` or the
  `X-CSRF-Token` header that base.html gives every htmx request).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import logging
import secrets
import sys
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.security import check_password_hash, generate_password_hash

from metarrd import db
from metarrd.config import is_loopback_bind
from metarrd.web import attempts, clients, cookies, devices
from metarrd.web.hosts import (
    host_allowed,
    is_loopback_host,
    is_loopback_origin,
    origin_allowed,
)
from metarrd.web.incoming import fit_typed

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

PASSWORD_KEY = "web_password_hash"
SECRET_KEY = "web_secret_key"
MIN_PASSWORD_LENGTH = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints anyone may reach: the login form, static files, the health check.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "health.healthz"})
# Blueprints that authenticate themselves (webhooks use the [webhooks] token).
SELF_AUTHENTICATED = frozenset({"webhooks"})
HOST_EXEMPT = frozenset({"health.healthz"})


# --- secrets and the password ---------------------------------------------------------------


def secret_key() -> str:
    """The Flask secret key, created on first use and kept in the database."""
    key = db.get_meta(SECRET_KEY)
    if not key:
        with db.write_transaction():
            key = db.get_meta(SECRET_KEY)
            if not key:
                key = secrets.token_hex(32)
                db.set_meta(SECRET_KEY, key)
    return key


def password_hash() -> str | None:
    return db.get_meta(PASSWORD_KEY) or None


def set_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if "\r" in password or "\n" in password:
        # a browser's password field strips line breaks from what it holds (HTML's value
        # sanitization); getpass keeps the CR of a piped file's Windows line end
        raise ValueError(
            "the password holds a line break (a file with Windows line ends?), which the "
            "login form's password field cannot hold"
        )
    if fit_typed(password) != password:
        # the login form's password is read as every typed text is (incoming.py): it could
        # never match; a byte the terminal's encoding cannot read (`surrogateescape`) could
        # not even be hashed
        raise ValueError(
            "the password holds a control character or a byte that is no text in this "
            "terminal's encoding; the login form cannot send it as it is"
        )
    with db.write_transaction():
        db.set_meta(PASSWORD_KEY, generate_password_hash(password, method="scrypt"))
        db.WebSession.delete().execute()  # every session logs in again
    db.record_event("auth.password_changed", "the admin password of the web UI was changed")
    log.info("web admin password changed")


def check_password(password: str) -> bool:
    stored = password_hash()
    return bool(stored) and check_password_hash(stored, password)


def set_password_interactive() -> int:
    """`metarrd passwd`: ask twice on the terminal, store the hash. Exit status 0, or 2."""
    try:
        first = getpass.getpass("New admin password for the web UI: ")
        second = getpass.getpass("Repeat it: ")
    except (EOFError, KeyboardInterrupt):
        print("metarrd: password unchanged", file=sys.stderr)
        return 2
    if first != second:
        print("metarrd: the two passwords differ; password unchanged", file=sys.stderr)
        return 2
    try:
        set_password(first)
    except ValueError as exc:
        print(f"metarrd: {exc}; password unchanged", file=sys.stderr)
        return 2
    print("Password set. Every open web session has to log in again.")
    return 0


# Headers that reverse proxies and tunnels (nginx, Caddy, Traefik, Apache, cloudflared) add: a
# request carrying one came through a proxy, whatever the address of the connection.
PROXY_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Real-IP",
    "CF-Connecting-IP",
)


def from_this_computer() -> bool:
    """This request comes from a browser on this computer, straight: a loopback peer, a loopback
    `Host` (and `Origin`, when sent), no proxy's header. A reverse proxy in front of a loopback
    bind passes the public name (allowed_hosts) or adds X-Forwarded-For; either way the
    request is from elsewhere, and a loopback bind no longer means "only this computer"."""
    peer = clients.parse_address(request.remote_addr)
    if peer is None or not peer.is_loopback:
        return False
    if not is_loopback_host(request.host):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and not is_loopback_origin(origin):
        return False
    return not any(name in request.headers for name in PROXY_HEADERS)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with `Secure` on the cookie whenever the browser reached
    us over HTTPS (directly or through a trusted TLS proxy): that cookie then never travels
    over plain HTTP, where anyone on the network could read it. Over plain HTTP a `Secure`
    cookie would not be kept at all, so there it is left off."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or clients.request_is_https()

    def get_cookie_name(self, app) -> str:
        return cookies.name(cookies.SESSION)  # this instance's own (metarrd/web/cookies.py)

    def open_session(self, app, request):
        """Flask's, but a cookie signed later than now (the clock went back since) is good
        (`cookies.loads`): the server's session and its login time say how long it lasts."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        raw = request.cookies.get(self.get_cookie_name(app))
        if not raw:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        try:
            return self.session_class(cookies.loads(serializer, raw, max_age))
        except BadSignature:
            return self.session_class()


def login_required() -> bool:
    """A login is needed unless the bind is loopback, no password is set and the request is
    from a browser on this computer (not through a reverse proxy): without a password, then,
    nobody from elsewhere gets in."""
    config = current_app.config["METARRD"]
    return (
        not is_loopback_bind(config.web.bind)
        or password_hash() is not None
        or not from_this_computer()
    )


def _password_version(stored: str | None) -> str:
    return stored[-16:] if stored else ""


def is_logged_in() -> bool:
    auth = session.get("auth")
    if not isinstance(auth, dict):
        return False
    hours = current_app.config["METARRD"].web.session_hours
    if time.time() - float(auth.get("at", 0)) > hours * 3600:
        return False
    if not hmac.compare_digest(str(auth.get("pv", "")), _password_version(password_hash())):
        return False
    return _session_alive(auth.get("sid"), hours * 3600)


# --- CSRF ----------------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    # as bytes: compare_digest refuses str that is not ASCII (a TypeError, a 500)
    return bool(expected) and hmac.compare_digest(
        str(expected).encode(), str(sent).encode("utf-8", "surrogateescape")
    )


# --- the guard every request passes --------------------------------------------------------


def _host_refusal() -> str | None:
    """Why this request's Host (or, on a POST, Origin) is refused; None when it is allowed."""
    web = current_app.config["METARRD"].web
    host = request.host
    if not host_allowed(host, web.bind, web.allowed_hosts):
        return f"Host {host[:100]!r}"
    origin = request.headers.get("Origin")
    unsafe = request.method not in SAFE_METHODS
    if unsafe and origin is not None and not origin_allowed(origin, web.bind, web.allowed_hosts):
        return f"Origin {origin[:100]!r}"
    return None


def guard():
    """before_request: Host and Origin (DNS rebinding), CSRF on unsafe methods, then the login
    check. Webhooks (their own token) and the health check (for load balancers and Docker,
    which use any name) answer to any Host."""
    endpoint = request.endpoint or ""
    if request.blueprint in SELF_AUTHENTICATED or endpoint in HOST_EXEMPT:
        return None
    refused = _host_refusal()
    if refused is not None:
        log.warning("refused %s %s: %s is not allowed", request.method, request.path, refused)
        abort(
            400,
            f"This server does not answer to {refused}. If that is how you reach it, add the "
            "name to [web] allowed_hosts in the configuration.",
        )
    if request_ctx.url_adapter is None:  # a Host werkzeug cannot route (`localhost..`): no
        # page, not even the login redirect, can be built for it
        abort(400, f"The Host {request.host[:100]!r} is no host name.")
    routed = request.routing_exception is None  # a 404 or 405 reaches no view: say that
    if routed and request.method not in SAFE_METHODS and not _csrf_ok():
        log.warning("refused %s %s: missing or wrong CSRF token", request.method, request.path)
        abort(400, "This form was out of date or came from another site. Reload the page.")
    if endpoint in PUBLIC_ENDPOINTS or not login_required() or is_logged_in():
        return None
    if request.path.startswith("/live") or request.headers.get("HX-Request"):
        abort(401)
    return redirect(url_for("auth.login", next=return_to()))


def return_to() -> str | None:
    """Where the login leads back to: this page, for a plain GET; for a form's POST (whose
    address, fetched after the login, would be a 405) or an htmx request (a fragment), the page
    the browser shows (`HX-Current-URL`, else `Referer`), when it is one of ours."""
    if request.method in SAFE_METHODS and not request.headers.get("HX-Request"):
        return request.full_path.rstrip("?")
    shown = request.headers.get("HX-Current-URL") or request.referrer or ""
    try:
        parts = urlsplit(shown)
    except ValueError:  # `http://[::1`
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


# --- login / logout -------------------------------------------------------------------------

MAX_FAILURES, FAILURE_WINDOW = 5, 900.0
# Past 50 failures from every address together, one password is checked every 30 s.
OVERALL_FAILURES, OVERALL_EVERY = 50, 30.0
LOGIN_LIMIT = attempts.Limit(
    "login", MAX_FAILURES, FAILURE_WINDOW, overall=OVERALL_FAILURES, overall_every=OVERALL_EVERY
)
# A browser that logged in before counts on its own, outside both caps (metarrd/web/devices.py).
DEVICE_LIMIT = attempts.Limit("login-device", MAX_FAILURES, FAILURE_WINDOW)


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogateescape")).hexdigest()


def _start_session() -> str:
    """A new server-side session; returns the id the cookie carries."""
    sid = secrets.token_urlsafe(32)
    now = time.time()
    hours = current_app.config["METARRD"].web.session_hours
    with db.write_transaction():
        db.WebSession.delete().where(db.WebSession.created_at < now - hours * 3600).execute()
        db.WebSession.create(sid_hash=_sid_hash(sid), created_at=now)
    return sid


def _session_alive(sid: object, seconds: float) -> bool:
    """Is the server's session `sid` there and younger than `seconds`? One made later than now
    (the clock went back since: its cookie and login time are good, `cookies.loads`) counts as
    made now, in its row, once for every copy of its cookie: it lasts its hours from then, not
    for as long as the clock had run ahead (30 days ahead, 30 days more)."""
    if not isinstance(sid, str) or not sid:
        return False
    S, key, now = db.WebSession, _sid_hash(sid), time.time()
    row = S.get_or_none(S.sid_hash == key)
    if row is None:
        return False
    if row.created_at > now:
        with db.write_transaction():
            S.update(created_at=now).where(S.sid_hash == key, S.created_at > now).execute()
        return True
    return now - row.created_at <= seconds


def end_session() -> None:
    """Log this browser out: its server-side session ends, whoever holds a copy of the cookie."""
    auth = session.get("auth")
    sid = auth.get("sid") if isinstance(auth, dict) else None
    if isinstance(sid, str) and sid:
        with db.write_transaction():
            db.WebSession.delete().where(db.WebSession.sid_hash == _sid_hash(sid)).execute()
    session.clear()


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None. Browsers drop tabs and newlines from a
    URL and read a backslash as a slash, so `/\t/evil.example` is `//evil.example` to them: any
    control character, white space or backslash refuses the target, and what is left must be a
    path (no scheme, no host) that starts with one slash."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _next_page() -> str:
    return safe_next(request.args.get("next")) or url_for("library.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    stored = password_hash()
    if not login_required():
        return redirect(url_for("library.index"))
    error = None
    status = 200
    retry_after = None
    if request.method == "POST":
        addr = clients.request_client()
        device = devices.known_device(_password_version(stored))
        limit, counted = (
            (DEVICE_LIMIT, f"device {device}")
            if device
            else (LOGIN_LIMIT, clients.client_group(addr))
        )
        if stored is None:
            error = "No admin password is set yet."
            status = 403
        elif isinstance(attempt := attempts.reserve(limit, counted), attempts.Refusal):
            status, retry_after = 429, attempt.retry_after
            overall = " overall" if attempt.overall else ""
            if (more := attempts.logged_refusal("login" + overall)) is not None:
                log.warning("web login from %s refused: too many failures%s%s", addr, overall, more)
            if attempt.overall:
                error = (
                    "Too many failed logins from many addresses: one password is checked every "
                    f"{OVERALL_EVERY:.0f} seconds. Try again in {retry_after} seconds."
                )
            else:
                error = "Too many failed attempts. Wait a quarter of an hour and try again."
        elif check_password(request.form.get("password", "")):
            attempts.forgive(attempt)
            end_session()
            session.permanent = True
            session["auth"] = {
                "at": time.time(),
                "pv": _password_version(stored),
                "sid": _start_session(),
            }
            log.info("web login from %s", addr)
            return devices.remember(
                redirect(_next_page(), code=303),
                device,
                _password_version(stored),
                secure=clients.request_is_https(),
            )
        else:
            log.warning("failed web login from %s", addr)
            error = "Wrong password."
            status = 401
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return (
        render_template("login.html", error=error, no_password=stored is None),
        status,
        headers,
    )


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("auth.login"), code=303)
