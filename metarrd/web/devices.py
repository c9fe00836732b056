"""Browsers that have logged in before ("device cookies", as OWASP calls them), so that guessing
cannot lock the admin out.

The login's caps count per client address, and past 50 failures from every address together
one password is checked every 30 s, whoever sends it (metarrd/web/auth.py). A refused guess
costs the guesser nothing, so a few addresses polling the login take each check the moment it
is free, for as long as they like; a guesser behind the admin's own address (a reverse proxy
not in `[web] trusted_proxies`, a shared NAT) locks that address out. Either way the admin could
not log in.

A successful login therefore leaves a second cookie, valid for `DAYS` and sent only to
`/login`: a random device id, signed with the app's secret key and the password it was earned
with (a password change ends every device cookie). A login attempt that carries a valid one is
counted per device (five failures in 15 minutes, as for an address), not per address nor
against the cap over every address. It cannot be forged; a stolen one buys its thief five
guesses a quarter of an hour, no more.
"""

from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from metarrd.web import cookies

DAYS = 365
PATH = "/login"


def _serializer(password_version: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"metarrd-device {password_version}")


def known_device(password_version: str) -> str | None:
    """The id of this browser's valid device cookie, or None."""
    raw = request.cookies.get(cookies.name(cookies.DEVICE))
    if not raw or not password_version:
        return None
    try:
        device = cookies.loads(_serializer(password_version), raw, DAYS * 86400)
    except BadSignature:
        return None
    return device if isinstance(device, str) and device else None


def remember(
    response: Response, device: str | None, password_version: str, *, secure: bool
) -> Response:
    """Give `response` this browser's device cookie (a new id unless it had one)."""
    value = _serializer(password_version).dumps(device or secrets.token_urlsafe(18))
    response.set_cookie(
        cookies.name(cookies.DEVICE),
        value,
        max_age=DAYS * 86400,
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
    return response
