"""Artwork score, 0-100, as docs/enrich.md describes it, with a reason for every point (pure).

| factor     | max | how                                                                      |
|------------|-----|--------------------------------------------------------------------------|
| resolution | 30  | full marks at the type's ideal size; each halving of the pixels costs 5  |
| aspect     | 20  | full marks at the type's ideal ratio, 0 at the type's tolerance          |
| language   | 20  | 1st preferred language 20, each next one 5 less (min 10); no text: 20    |
|            |     | for fanart/keyart/thumb, 12 otherwise; any other language 0; a fanart    |
|            |     | with text (a titled backdrop) 8 less than its language's points          |
| votes      | 20  | TMDB average (5 neutral, 6+ full) shrunk by n/(n+3); fanart.tv likes     |
|            |     | l/(l+5); TheTVDB score/100000; the user's own library image: full        |
| provider   | 10  | position in `provider_priority`: 10, 9, 8, ...; unlisted 5; the user's   |
|            |     | library 10 unless "library" is listed                                     |

Selection orders by language before score (`tier`): every image in the first preferred language
before one in the second, as Kodi's scraper lists the user's language's images first and English
ones after (tmdb.py `_get_images_with_fallback`): a German poster nobody voted for yet is a
German user's poster, not the English one with 40 votes. A poster without text comes after every
language (Kodi lists none), the user's own image (language unknown) competes with the first.

A picture's `foreign` flag (language neither preferred nor textless; or any text on a fanart)
lets selection use such images only after every fitting one, as Kodi does: its TMDB scraper
keeps the user's language, English or textless images, and takes fanart from the textless
backdrops only (tmdb.py `_parse_artwork`: `fanart = _get_images(backdrops, urlbases, None)`;
the titled ones are its `landscape`). TMDB tags a backdrop with a language when it carries text.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from metarrd.config import LIBRARY_SOURCE
from metarrd.enrich.selection import provider_name

# type -> (ideal width, ideal height, aspect tolerance as a ratio factor)
IDEAL: dict[str, tuple[int, int, float]] = {
    "poster": (2000, 3000, 1.5),
    "keyart": (2000, 3000, 1.5),
    "fanart": (3840, 2160, 1.5),
    "thumb": (1920, 1080, 1.5),
    "landscape": (1000, 562, 1.5),
    "clearlogo": (800, 310, 2.5),
    "clearart": (1000, 562, 2.0),
    "discart": (1000, 1000, 1.15),
    "banner": (1000, 185, 1.5),
    "characterart": (1000, 1000, 1.5),  # fanart.tv: 512x512 is common, square-ish cutouts
}
# TV's "all seasons" art is scored as its type (docs/tv.md)
IDEAL.update({f"season-all-{t}": IDEAL[t] for t in ("poster", "banner", "landscape", "fanart")})
TEXTLESS_IDEAL = frozenset({"fanart", "keyart", "thumb", "season-all-fanart"})
TEXTLESS_POINTS = 12
# backdrops: shown behind the player's own text, so text on them does not fit (Kodi: textless only)
BACKDROPS = frozenset({"fanart", "season-all-fanart"})
TITLED_BACKDROP_COST = 8
HALVING_COST = 5.0


@dataclass(frozen=True)
class ImageFacts:
    asset_type: str
    provider: str
    width: int
    height: int
    language: str | None
    vote_average: float | None = None
    vote_count: int | None = None


@dataclass(frozen=True)
class Preferences:
    languages: tuple[str, ...] = ("en",)
    provider_priority: tuple[str, ...] = ("tmdb", "fanart", "tvdb")


@dataclass(frozen=True)
class Factor:
    name: str
    points: float
    max_points: int
    reason: str


@dataclass(frozen=True)
class Score:
    total: float
    factors: tuple[Factor, ...]
    foreign: bool = False  # in a language the user did not ask for
    # the language's place: 0 the first preferred language (or no text where none is ideal, or
    # the user's own image), 1 the second...; textless where text belongs after every language
    tier: int = 0

    def breakdown(self) -> dict[str, Any]:
        """JSON for `provider_assets.score_breakdown` (the UI shows it)."""
        return {
            "total": self.total,
            "foreign": self.foreign,
            "tier": self.tier,
            "factors": [
                {"name": f.name, "points": f.points, "max": f.max_points, "reason": f.reason}
                for f in self.factors
            ],
        }


def _r(x: float) -> float:
    return round(x, 1)


def resolution(facts: ImageFacts) -> Factor:
    width, height, _tol = IDEAL.get(facts.asset_type, IDEAL["fanart"])
    ratio = (facts.width * facts.height) / (width * height)
    if ratio >= 1:
        return Factor("resolution", 30, 30, f"{facts.width}x{facts.height}: ideal size or more")
    halvings = -math.log2(ratio)
    points = max(0.0, 30 - HALVING_COST * halvings)
    return Factor(
        "resolution",
        _r(points),
        30,
        f"{facts.width}x{facts.height}: {ratio:.0%} of the {width}x{height} ideal",
    )


def aspect(facts: ImageFacts) -> Factor:
    width, height, tolerance = IDEAL.get(facts.asset_type, IDEAL["fanart"])
    ideal = width / height
    actual = facts.width / facts.height
    off = abs(math.log(actual / ideal)) / math.log(tolerance)
    points = 20 * max(0.0, 1 - off)
    if off < 0.02:
        reason = f"ratio {actual:.2f}: ideal for a {facts.asset_type}"
    else:
        reason = f"ratio {actual:.2f} where {ideal:.2f} is ideal"
    return Factor("aspect", _r(points), 20, reason)


def language(facts: ImageFacts, prefs: Preferences) -> tuple[Factor, bool, int]:
    """The language factor, whether the image is foreign, and its language's tier."""
    lang = facts.language
    wanted = [code.split("-")[0].lower() for code in prefs.languages]
    if lang is None:
        if facts.asset_type in TEXTLESS_IDEAL:
            return Factor("language", 20, 20, "no text: ideal for this type"), False, 0
        tier = 0 if facts.provider == LIBRARY_SOURCE else len(wanted)
        return Factor("language", TEXTLESS_POINTS, 20, "no text (or unknown)"), False, tier
    if lang in wanted:
        i = wanted.index(lang)
        points = max(10, 20 - 5 * i)
        place = "first" if i == 0 else f"number {i + 1}"
        if facts.asset_type in BACKDROPS:
            points -= TITLED_BACKDROP_COST
            reason = f"{lang}: text on a backdrop (your {place} language); textless is ideal"
            return Factor("language", points, 20, reason), True, i
        return Factor("language", points, 20, f"{lang}: your {place} language"), False, i
    return Factor("language", 0, 20, f"{lang}: not one of your languages"), True, len(wanted)


def votes(facts: ImageFacts) -> Factor:
    provider = facts.provider
    count = facts.vote_count or 0
    if provider == LIBRARY_SOURCE:
        return Factor("votes", 20, 20, "your own image: counts as fully endorsed")
    if provider == "tmdb":
        avg = facts.vote_average or 0.0
        if count <= 0 or avg <= 0:
            return Factor("votes", 0, 20, "no TMDB votes yet")
        value = min(1.0, max(0.0, avg - 5.0)) * count / (count + 3)
        return Factor("votes", _r(20 * value), 20, f"TMDB: {avg:.1f} average from {count} votes")
    if provider == "fanart":
        value = count / (count + 5)
        return Factor("votes", _r(20 * value), 20, f"fanart.tv: {count} likes")
    if provider == "tvdb":
        value = min(1.0, max(0, count) / 100_000)
        return Factor("votes", _r(20 * value), 20, f"TheTVDB: score {count}")
    return Factor("votes", 0, 20, "no community votes")


def provider_priority(facts: ImageFacts, prefs: Preferences) -> Factor:
    order = list(prefs.provider_priority)
    name = facts.provider
    shown = provider_name(name)  # TheTVDB, as the pages name it: not its key, tvdb
    if name in order:
        points = max(0, 10 - order.index(name))
        return Factor(
            "provider", points, 10, f"{shown}: number {order.index(name) + 1} in priority"
        )
    if name == LIBRARY_SOURCE:
        return Factor("provider", 10, 10, "from your library")
    return Factor("provider", 5, 10, f"{shown}: not in your provider priority")


def score_image(facts: ImageFacts, prefs: Preferences) -> Score:
    """The 0-100 score of one analysed image. Pure, so kept for the same facts and preferences
    (`_kept`): an enrich scores most candidates twice with the same facts, by their stated size
    to choose what to fetch whole, then as analysed."""
    # a number's type shows in the reasons (1000 and 1000.0 are equal, their text is not)
    types = tuple(map(type, (facts.width, facts.height, facts.vote_average, facts.vote_count)))
    try:
        hash((facts, prefs))
    except TypeError:  # a list where a tuple belongs: scored all the same, not kept
        return _score(facts, prefs)
    return _kept(facts, prefs, types)


@functools.lru_cache(maxsize=4096)
def _kept(facts: ImageFacts, prefs: Preferences, _types: tuple[type, ...]) -> Score:
    return _score(facts, prefs)


def _score(facts: ImageFacts, prefs: Preferences) -> Score:
    if facts.width <= 0 or facts.height <= 0:
        raise ValueError("an image without a size cannot be scored")
    lang, foreign, tier = language(facts, prefs)
    factors = (
        resolution(facts),
        aspect(facts),
        lang,
        votes(facts),
        provider_priority(facts, prefs),
    )
    total = _r(sum(f.points for f in factors))
    return Score(total, factors, foreign, tier)
