"""The names of the UI's cookies, which are this instance's own.

A browser keeps cookies per host name, not per port (RFC 6265, section 8.5): two metarrd
instances on one computer (`127.0.0.1:8686` and `:8687`, a test instance beside the real one)
would share one `metarrd_session` cookie, each login replacing the other's session (its
signature fails there: the user is logged out) and each instance receiving the other's session
id and CSRF token. So each name carries a tag: a keyed hash of the instance's secret key (one
per database, so every gunicorn worker of an instance agrees, and a restart changes nothing)
and of the port the browser itself addressed (the `Host` it sends, not `[web] bind`: behind a
reverse proxy the two differ, and the browser's is the one its cookie jar fails to tell
apart). An instance started from a copy of another's database, with the same secret key, thus
still gets its own cookies on its own port. The tag says nothing of the key.

The untagged cookies of versions before the tag (`LEGACY`) are deleted when a browser still
sends one: nothing reads them, and a browser would otherwise keep sending a dead session cookie
with every request until it expired.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import Response, current_app, has_request_context, request
from itsdangerous import SignatureExpired, URLSafeTimedSerializer

from metarrd.web import clients
from metarrd.web.hosts import split_host

SESSION = "metarrd_session"
DEVICE = "metarrd_device"
# the untagged names of versions before the tag, with the path each was set on (Flask's session
# cookie on the whole site, the device cookie on the login page only)
LEGACY = ((SESSION, "/"), (DEVICE, "/login"))


def name(base: str) -> str:
    """`base` with this instance's tag, for the request being answered: `metarrd_session_1a2b…`."""
    port = (split_host(request.host)[1] or "") if has_request_context() else ""
    key = str(current_app.secret_key).encode()
    tag = hmac.new(key, f"cookie {base} {port}".encode(), hashlib.sha256).hexdigest()[:12]
    return f"{base}_{tag}"


def forget_legacy(response: Response) -> Response:
    """Delete the untagged cookies of earlier versions that this request still carried."""
    for legacy, path in LEGACY:
        if legacy in request.cookies:
            # `Secure` when the page is: a browser lets no plain-HTTP answer touch a Secure cookie
            response.delete_cookie(
                legacy, path=path, secure=clients.request_is_https(), httponly=True
            )
    return response


def loads(serializer: URLSafeTimedSerializer, raw: str, max_age: float) -> Any:
    """A signed cookie's value (`serializer.loads(raw, max_age=max_age)`), except that one
    signed later than now is good: the clock went back since (NTP setting back the clock of a
    board without a real-time clock, which had run ahead). itsdangerous throws those away
    ("Signature age < 0"): every browser was logged out, and each page left open refused its
    next click. Raises BadSignature (SignatureExpired past `max_age`)."""
    value, signed = serializer.loads(raw, return_timestamp=True)  # the signature alone
    if time.time() - signed.timestamp() > max_age:
        raise SignatureExpired("signed too long ago", payload=value, date_signed=signed)
    return value
