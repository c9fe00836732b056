"""Text as the web app reads it from a request: the one place where what a browser or a script
typed is made fit to keep (metarrd/text.py, as a provider's answer is).

Every query argument and form field, names and values, goes through `fit` where werkzeug
parses it, so no route sees a NUL (no PostgreSQL text holds one: psycopg2 refuses the
statement, a 500) or another character an NFO cannot hold (the NFO writer leaves it out, and
the published file then differs from what the database and the page say). A vertical tab or a
form feed is a line break first: PowerPoint's and Word's own, carried along when their text is
pasted into a plot (python-pptx's changelog: "line-break as a vertical-tab ... consistent with
PowerPoint's copy/paste behavior"). Nothing else changes: a title typed in NFD stays NFD, as
a value sent back as the page showed it must stay equal to what is stored (edits.set_field).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from htmx_flask.requests import HtmxAwareRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from metarrd.text import fit

_LINE_BREAKS = str.maketrans({"\v": "\n", "\f": "\n"})


def fit_typed(text: str) -> str:
    """What a user typed or pasted, without what the database or an NFO cannot hold."""
    return fit(text.translate(_LINE_BREAKS))


def _pairs(mapping: Any) -> Iterable[tuple[Any, Any]]:
    if mapping is None:
        return ()
    if isinstance(mapping, MultiDict):
        return mapping.items(multi=True)
    if isinstance(mapping, Mapping):
        return ((k, v) for k, vs in mapping.items() for v in (vs if isinstance(vs, list) else [vs]))
    return mapping


def _fit_value(value: Any) -> Any:
    return fit_typed(value) if isinstance(value, str) else value  # a file stays a file


class FitMultiDict(ImmutableMultiDict):
    """The arguments or the form of a request, every text in them `fit_typed`."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__([(_fit_value(k), _fit_value(v)) for k, v in _pairs(mapping)])


class FitRequest(HtmxAwareRequest):
    """The request (htmx_flask's, with `request.htmx`) whose `args`, `form` and `values` hold
    fit text only."""

    parameter_storage_class = FitMultiDict
