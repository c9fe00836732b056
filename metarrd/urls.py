"""URLs as logs, messages, pages and the database may show them (pure, no network)."""

from __future__ import annotations

from urllib.parse import urlsplit


def redact(url: str) -> str:
    """The URL without its query string (where API keys travel) and without the user and
    password some put before its host (`http://kodi:secret@host:8080/`): what logs, messages
    and pages may show."""
    parts = urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    netloc = f"…@{host}" if at else host
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?…" if parts.query else "")
