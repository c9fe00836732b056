"""Thin adapters over the shared HTTP client, one module per metadata provider."""

from __future__ import annotations

import math
from typing import Any

from metarrd.errors import ProviderUnavailable


def kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a text", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def whole(value: Any) -> int | None:
    """A provider's number as a whole number (an int, a float or a text of digits, as `int`
    reads them); None for anything else: a list, an object, true/false, and JSON's `1e999`
    (infinity) or `NaN`, which a broken mirror or proxy may send where a number belongs."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def finite(value: Any) -> float | None:
    """A provider's number as a finite float (as `float` reads it); None for anything else,
    infinity and NaN among them."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def number(value: Any) -> float | None:
    """A JSON number (not a text, not true/false) that is finite, as a float; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite(value)


def positive(value: Any) -> int | None:
    """A JSON number above 0 as a whole number (a runtime in minutes); None for 0, a negative
    one, infinity, NaN, or what is no number."""
    value = number(value)
    return int(value) if value is not None and value > 0 else None


def has_id(result: Any) -> bool:
    """A search or find result with a whole-number `id` (TMDB's): one without can be no
    candidate, and is left out as an entry that is no object is."""
    ident = result.get("id") if isinstance(result, dict) else None
    return isinstance(ident, int) and not isinstance(ident, bool) and ident > 0


def unexpected(provider: str, where: str, value: Any, wanted: str) -> ProviderUnavailable:
    """An answer of another shape than the provider documents (a broken mirror or caching
    proxy, a change on their side): retried later, and the item says which field."""
    return ProviderUnavailable(
        provider,
        f"{where} is {kind(value)}, not {wanted}: an answer of an unexpected shape "
        "(a broken mirror or proxy?); try again later",
    )
