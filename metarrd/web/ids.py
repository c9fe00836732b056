"""Numbers from a URL (ids, pages, cursors) that SQLite can hold. SQLite's INTEGER is 64 bits:
a bigger Python int raises OverflowError in the driver, which would be a 500. An id that big
names nothing (404); a page or cursor that big is read as absent."""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_INT = 2**63 - 1  # 19 digits; the length is checked first (int() refuses 4,300+ digits)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number above MAX_INT is a 404 at once. (A ValidationError
    would let the router go on and answer 405 when a rule of another method has the same shape.)"""

    def to_python(self, value: str) -> int:
        number = parse_int(value)
        if number is None:
            # said as every 404 says it (errors.no_such)
            raise NotFound(f"There is nothing numbered {value[:24]} here.")
        return number


def parse_int(text: str | None, default: int | None = None) -> int | None:
    """`text` as a non-negative int SQLite can hold, else `default`."""
    if text and len(text) <= 19 and text.isascii() and text.isdigit() and int(text) <= MAX_INT:
        return int(text)
    return default
