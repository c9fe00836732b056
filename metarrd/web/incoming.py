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

import io
import tempfile
from collections.abc import Iterable, Mapping
from typing import IO, Any

from htmx_flask.requests import HtmxAwareRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from metarrd.text import fit

SPOOL_CHUNKED_BYTES = 1024 * 1024  # a chunked body past this is spooled to disk (spool_body)
_READ_BYTES = 64 * 1024

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


class TooManyFields(RequestEntityTooLarge):
    """A 413 for a form within the size limit but with more fields than any of ours."""


class FormParser(FormDataParser):
    """werkzeug's form parser, with its limit on a multipart form's parts (`max_form_parts`,
    Flask's MAX_FORM_PARTS: 1,000) held by a urlencoded form too. werkzeug leaves that one
    unbounded, and the CSRF check reads the form of any POST before the login is asked for: a
    1 MB body of `&a=` is 330,000 fields, over a second of one worker's CPU to split and fit,
    sent by anyone who can reach the login page. No form of the UI has more than a few hundred
    fields (a bulk action: the 200 items of a page)."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict
    ) -> Any:
        body = stream.read()  # at most max_content_length: werkzeug limited the stream
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise TooManyFields(
                f"This request has too many fields: at most {self.max_form_parts:,}; "
                "nothing was changed."
            )
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


def whole_body(request: Any, *, cache: bool = True) -> bytes:
    """The body of `request` (kept for the form's parser when `cache`); a 413 when it came
    without a Content-Length (`Transfer-Encoding: chunked`: a script's or a proxy's, never a
    browser form's) and reached `max_content_length`. werkzeug stops reading such a body at
    the limit without a word (a body with a Content-Length over it is a 413 before a byte is
    read), and what it had read was used as the whole: a form's first megabyte saved, a
    webhook's payload cut at 16 MiB read as if it were all. (A chunked body of exactly the
    limit is refused too: what follows cannot be told apart without reading on.)"""
    data = request.get_data(cache=cache)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(data) >= limit:
        raise RequestEntityTooLarge()
    return data


def spool_body(request: Any, folder: Any) -> None:
    """Read the body of `request`, sent without a Content-Length, into a temp file under
    `folder` (in memory up to SPOOL_CHUNKED_BYTES) that its form is parsed from, as werkzeug
    spools a file of a body with one; a 413 when it reaches `max_content_length` (whole_body).
    Read whole into memory, a chunked upload held its 64 MB (item.MAX_UPLOAD_BYTES) in the
    worker until the request ended, one for each sent at once: a small NAS's RAM. The file is
    closed (and so gone) with the request (FitRequest.close)."""
    limit = request.max_content_length
    spool = _spool(folder)
    request._spooled_body = spool  # closed with the request, whatever happens from here
    size = 0
    while chunk := request.stream.read(_READ_BYTES):
        size += len(chunk)
        if limit is not None and size >= limit:
            raise RequestEntityTooLarge()
        spool.write(chunk)
    spool.seek(0)
    request.__dict__["stream"] = spool  # what the form's parser reads (werkzeug's cached_property)


def _spool(folder: Any) -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_CHUNKED_BYTES, mode="w+b", dir=folder)


class FitRequest(HtmxAwareRequest):
    """The request (htmx_flask's, with `request.htmx`) whose `args`, `form` and `values` hold
    fit text only, and whose urlencoded form has at most `max_form_parts` fields."""

    parameter_storage_class = FitMultiDict
    form_data_parser_class = FormParser

    def close(self) -> None:
        spool = self.__dict__.pop("_spooled_body", None)
        if spool is not None:
            spool.close()
        super().close()
