"""Thin adapters over the shared HTTP client, one module per metadata provider."""

from __future__ import annotations

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


def unexpected(provider: str, where: str, value: Any, wanted: str) -> ProviderUnavailable:
    """An answer of another shape than the provider documents (a broken mirror or caching
    proxy, a change on their side): retried later, and the item says which field."""
    return ProviderUnavailable(
        provider,
        f"{where} is {kind(value)}, not {wanted}: an answer of an unexpected shape "
        "(a broken mirror or proxy?); try again later",
    )
