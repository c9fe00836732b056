"""Artwork preferences a user changes in the web UI: limits per type and preferred languages.

The configuration's `[artwork]` gives the defaults; what the user sets is stored in the database
(the `meta` table, key `artwork.preferences`, JSON) and wins. Every process reads it where it
uses the artwork settings (`effective(config)`), so the daemon follows a change at its next
enrich without a restart, as it does for the workflow switches."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from metarrd import db
from metarrd.config import ASSET_TYPES, Config

KEY = "artwork.preferences"
MAX_LIMIT = 20
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


class PreferenceError(ValueError):
    """A value of the settings form refused; `field` is the form's name of it ("limit-fanart",
    "languages"), for the page to mark and focus that box."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def stored() -> dict[str, Any]:
    """What the user set: {"limits": {type: n}, "languages": [code, ...]} (parts may be absent)."""
    try:
        value = json.loads(db.get_meta(KEY) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def effective(config: Config) -> Config:
    """`config` with the user's artwork preferences applied (the config when there are none)."""
    prefs = stored()
    if not prefs:
        return config
    art = config.artwork
    limits = dict(art.limits)
    for asset_type, n in (prefs.get("limits") or {}).items():
        if asset_type in ASSET_TYPES and isinstance(n, int) and 0 <= n <= MAX_LIMIT:
            limits[asset_type] = n
    languages = (
        tuple(
            code
            for code in prefs.get("languages") or ()
            if isinstance(code, str) and LANGUAGE_RE.match(code)
        )
        or art.preferred_languages
    )
    artwork = dataclasses.replace(art, limits=limits, preferred_languages=languages)
    return dataclasses.replace(config, artwork=artwork)


def parse(limits: dict[str, str], languages: str) -> dict[str, Any]:
    """The settings form checked: whole numbers 0..MAX_LIMIT per known type, two-letter language
    codes (ISO 639-1). Raises PreferenceError with a sentence a user can act on."""
    out: dict[str, int] = {}
    for asset_type, raw in limits.items():
        if asset_type not in ASSET_TYPES:
            raise ValueError(f"{asset_type!r} is not an artwork type")
        raw = raw.strip()
        if not raw.isdigit() or not 0 <= int(raw) <= MAX_LIMIT:
            raise PreferenceError(
                f"{asset_type}: {raw!r} is not a number from 0 to {MAX_LIMIT}",
                f"limit-{asset_type}",
            )
        out[asset_type] = int(raw)
    codes = [c.strip().lower() for c in languages.replace(" ", ",").split(",") if c.strip()]
    bad = [c for c in codes if not LANGUAGE_RE.match(c)]
    if bad:
        raise PreferenceError(
            f"{bad[0]!r} is not a two-letter language code (en, fr, de, …)", "languages"
        )
    if not codes:
        raise PreferenceError("name at least one language (en, fr, de, …)", "languages")
    return {"limits": out, "languages": list(dict.fromkeys(codes))}


def save(prefs: dict[str, Any]) -> None:
    with db.write_transaction():
        db.set_meta(KEY, json.dumps(prefs, sort_keys=True))
        db.record_event("settings.changed", "artwork preferences changed", **prefs)


def reset() -> None:
    with db.write_transaction():
        db.Meta.delete().where(db.Meta.key == KEY).execute()
        db.record_event("settings.changed", "artwork preferences back to the configuration's")
