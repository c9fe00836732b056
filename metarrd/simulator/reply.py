"""What a route hands back to the HTTP layer: status, body bytes, content type, extra headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: sent as `\ud800`, as JavaScript's JSON does
        body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, headers=headers or {})


def text_reply(status: int, text: str, content_type: str = "text/plain;charset=utf-8") -> Reply:
    return Reply(status, text.encode(), content_type)


def html_error_page(status: int, reason: str) -> Reply:
    """The kind of page a CDN or proxy sends instead of an image."""
    page = (
        f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>"
        f"<body><center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>\n"
    )
    return Reply(status, page.encode(), "text/html; charset=utf-8")
