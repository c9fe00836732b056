"""Text from outside made fit to keep: the one place that takes out of a provider's answer what
the database or an NFO cannot hold (pure, no I/O). And `count`, the one way a message says how
many of a thing ("1 episode", "3 episodes", never "3 episode(s)").

A JSON string may hold what no UTF-8 text may (a lone UTF-16 surrogate, `"\\ud800"`: SQLite's
driver and PostgreSQL's refuse to encode it) and what XML 1.0 forbids (NUL and the other C0
control characters but tab, newline and carriage return; U+FFFE and U+FFFF: lxml refuses them,
"All strings must be XML compatible"). PostgreSQL refuses NUL in a text column too. A lone
surrogate becomes U+FFFD (what a UTF-16 decoder puts for one), the others are dropped.
Everything else stays as the provider wrote it, bidi controls included (they belong to Arabic
and Hebrew titles and are valid XML). The web app makes what is typed fit by the same rule
(web/incoming.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sized
from typing import Any

# what XML 1.0 cannot hold; the NFO writer leaves it out of what else it writes (publish/nfo.py)
UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# what in a JSON body may decode to an unfit character: an escape of one (`\u0000`, `\ud800`,
# `\uffff`; a valid pair too, which costs a walk and no change), the short escapes of U+0008 and
# U+000C (`\b`, `\f`: how Python's and Ruby's JSON write them), U+FFFE/U+FFFF in UTF-8, a raw
# control byte (no valid JSON holds one in a string; a UTF-16 body holds NULs)
_SUSPECT = re.compile(
    rb"\\(?:u(?:00[01]|[dD][89a-fA-F]|[fF]{3}[eEfF])|[bf])|\xef\xbf[\xbe\xbf]"
    rb"|[\x00-\x08\x0b\x0c\x0e-\x1f]"
)


def count(things: Sized | int, word: str, plural: str | None = None) -> str:
    """`3 warnings`, `1 warning`, `0 warnings`: a number and its noun in the number's form
    (`things` a count, or what is counted); `plural` where adding an s is wrong ("libraries")."""
    n = things if isinstance(things, int) else len(things)
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _replacement(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def fit(text: str) -> str:
    """`text` without what the database or an XML 1.0 file cannot hold (see the module)."""
    return UNFIT.sub(_replacement, text) if UNFIT.search(text) else text


def fit_json(value: Any, body: bytes | None = None) -> Any:
    """A decoded JSON value with every string in it (keys too) `fit`. Given the `body` it was
    decoded from, a body that cannot hold an unfit character is not walked."""
    if body is not None and not _SUSPECT.search(body):
        return value
    if isinstance(value, str):
        return fit(value)
    if isinstance(value, list):
        return [fit_json(v) for v in value]
    if isinstance(value, dict):
        return {fit(k): fit_json(v) for k, v in value.items()}
    return value


def toml_string(value: str, prefer_literal: bool = False) -> str:
    """`value` as a TOML string, for a line the user pastes into config.toml: a literal one
    (`'D:\\Media'`) where a basic one would double its backslashes, or anywhere with
    `prefer_literal`, when it holds no `'` and prints; else a basic one, with JSON's escapes
    (TOML's) and DEL's, which TOML forbids raw."""
    if ("\\" in value or prefer_literal) and "'" not in value and value.isprintable():
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
