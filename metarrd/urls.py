"""URLs as logs, messages, pages and the database may show them (pure, no network)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def redact(url: str) -> str:
    """The URL without its query string (where API keys travel) and without the user and
    password some put before its host (`http://kodi:secret@host:8080/`): what logs, messages
    and pages may show."""
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    netloc = f"…@{host}" if at else host
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?…" if parts.query else "")


# a query argument whose name is a whole word that ends as a key's, a token's or a password's
# does: `api_key`, `apikey`, `X-Api-Key`, `api-key`, `client_key`, `key`, `X-Plex-Token`,
# `access_token`, `password`. (Only the names the providers use were hidden: a webhook token put
# in the URL as `?X-Api-Key=`, the header's name, went into the access log as sent.)
_SECRET_RE = re.compile(
    r"(?<![\w.-])([\w.-]*(?:key|token|secret|passw(?:or)?d|pwd|pass|auth))=[^&\s]+", re.I
)


def scrub(text: str) -> str:
    """Remove anything that looks like a key from free text (exception messages, an access
    log's request line): `apikey=…`, `X-Api-Key=…`."""
    return _SECRET_RE.sub(r"\1=…", text)


# `scheme://user:password@`: the user information of a URL inside free text. Greedy up to the
# last `@` before the host's end, as Kodi reads it (a password may hold a raw `@`). A scheme is
# at most 64 characters (Kodi's are a few): unbounded, each word start of a long run such as
# `a.a.a.…` (a request path or header in an access log line) was scanned to the run's end, time
# growing with the square of its length: 14 s of CPU for the 64 KiB path the development
# server accepts, 0.6 s for a gunicorn access line of 8 KB headers, every log record paying it.
_USER_INFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,63}://)[^/\s?#]*@")


def hide_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it written `…`: a player's paths as
    its answers and our `path_map` give them (Kodi hands a `ftp://`, `davs://` or `sftp://`
    source back with the password written in it, and strips it from `smb://` ones only), for
    messages, pages and log lines. `ftp://kodi:s3cret@nas/movies/` -> `ftp://…@nas/movies/`."""
    return _USER_INFO.sub(r"\1…@", text)
