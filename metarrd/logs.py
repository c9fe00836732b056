"""Log lines that untrusted text cannot forge.

A request path (`/%0A2026-12-05 00:00:00 INFO metarrd.web.auth: web login from ...`: Werkzeug
decodes `%0A` in `request.path`), a header, a webhook's path or a file name (a Linux file name may
hold a newline) reaches log messages as it is. Every log record's message, whoever logs it, has
its control characters escaped as Python writes them (`\\n`, `\\r`, `\\x1b`, `\\u2028`): one
record is one line, and no escape sequence reaches a terminal. The user and password of a URL
in it (a Kodi path `ftp://kodi:secret@nas/movies/`, as the player and our `path_map` give it)
are written `…` (`urls.hide_credentials`), and so is a key in a query string (`apikey=…`,
`urls.scrub`: a webhook token put in the URL, in the request line `metarrd web` logs). Tabs
stay; a traceback (the record's `exc_info`, formatted apart from the message) keeps its lines.

Each line of the daemon's log starts with its local time and that time's offset from UTC
(`2026-10-25 02:30:00,000+0200`): the hour a summer time ends is lived twice, and a line of
either is told apart; a line read beside another machine's log, a player's or a NAS's, is
placed (`LineFormatter`).

`install()` puts the record class in place for the whole process: `metarrd` (cli.main) and the
web app under gunicorn (web.wsgi) call it before their first log line.
"""

from __future__ import annotations

import logging
import re
import time

from metarrd.urls import hide_credentials, scrub

# C0 but tab, DEL, C1 (NEL U+0085 included), and the Unicode line and paragraph separators
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with its control characters written as escapes (`\\n`, `\\x1b`, `\\u2028`)."""
    return _CONTROL.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class SafeRecord(logging.LogRecord):
    """A log record whose message cannot hold a line break or a terminal escape, nor the
    password of a URL (`ftp://kodi:secret@nas/` is logged `ftp://…@nas/`: a player's path),
    nor a key in a query string (`?apikey=…`: a webhook token put in the URL, in a request
    line the server logs)."""

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return escape_controls(scrub(hide_credentials(super().getMessage())))


def install() -> None:
    """Every log record of this process is a SafeRecord (idempotent)."""
    logging.setLogRecordFactory(SafeRecord)


class LineFormatter(logging.Formatter):
    """A formatter whose `%(asctime)s` is the local time with its offset from UTC, taken at the
    record's own instant (`+0200`, then `+0100` in the hour after a summer time ends)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt:
            return super().formatTime(record, datefmt)
        local = self.converter(record.created)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", local)
        return f"{stamp},{int(record.msecs):03d}{time.strftime('%z', local)}"


def configure(*, level: int, stream, timed: bool) -> None:
    """The process's log lines on `stream`: `timed` (the daemon, the web server, the demo),
    each with its time and offset (`LineFormatter`), level and logger; else level and message."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        LineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        if timed
        else logging.Formatter("%(levelname)s: %(message)s")
    )
    logging.basicConfig(level=level, handlers=[handler])
