"""Ranking TMDB search results against the hints of a video, beets style.

Each candidate gets a distance in 0..1: a weighted sum of named penalties (title, year,
obscurity) whose parts add up to the distance, so the UI can say why. The best candidate is
"strong" (safe to apply without asking) only when its title matches exactly after
normalisation, its year settles it, and nothing else comes close:

- exact title + same year, and no equally-known candidate with the same title and year;
- exact title, no year in the name, and no other candidate of that title "within reach"
  (at least a tenth of its votes): "Dune" without a year stays for the user (1984 or 2021);
- a year off by one (festival vs release date) is "medium" when the title is unique and
  "low" when another film has the same title;
- a partial title ("Leon" for "Léon: The Professional", i.e. the part before a colon or
  " - ") is never exact: at best "medium". TMDB's original title often is the short one
  (original_title "Léon"), and an exact original-title match counts as exact.

Everything here is pure: no HTTP, no config.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from metarrd.providers import finite, whole

WEIGHTS = {"title": 3.0, "year": 1.5, "obscurity": 0.5}
PARTIAL_TITLE_PENALTY = 0.25
MEDIUM_MAX_DISTANCE = 0.2
LOW_MAX_DISTANCE = 0.4
CLEAR_GAP = 0.1  # the runner-up must be at least this much further away for "strong"
REACH_FACTOR = 10  # a same-title rival with >= 1/10 of the votes is "within reach"
RECOMMENDATIONS = ("strong", "medium", "low", "none")

_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_APOSTROPHES = re.compile(r"['’`´ʼ]")
_NON_WORD = re.compile(r"[\W_]+")
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>the|a|an)$")
_LEADING_ARTICLES = ("the", "a", "an")
_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_GLUED_PLUS = re.compile(r"(?<=[^\W_])\+(?=[^\W_])")
_SUBTITLE_SPLIT = re.compile(r"\s*(?::|\s-\s|\s–\s)\s*")


def normalize_title(s: str) -> str:
    """A comparison key: accents folded, casefolded, punctuation and "&"/"+"/"and" folded
    (a "+" between two words is a "/" Radarr wrote in a file name: "Face+Off"),
    a leading (or trailing ", The") English article dropped, roman numerals 2..39
    written as digits ("Rocky II" == "Rocky 2"). Not for display."""
    text = unicodedata.normalize("NFKC", s)
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().translate(_FOLD).strip()
    trailing = _TRAILING_ARTICLE.match(text)
    if trailing:
        text = f"{trailing.group('article')} {trailing.group('rest')}"
    text = _GLUED_PLUS.sub(" ", text)  # "Face+Off": Radarr's and Sonarr's "/" in a file name
    text = text.replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHES.sub("", text)
    words = _NON_WORD.sub(" ", text).split()
    if len(words) > 1 and words[0] in _LEADING_ARTICLES:
        words = words[1:]
    return " ".join(_roman_to_digits(word, first=i == 0) for i, word in enumerate(words))


def _roman_to_digits(word: str, *, first: bool) -> str:
    if not word or not _ROMAN.match(word) or (word == "i" and first):
        return word
    total = 0
    for i, ch in enumerate(word):
        value = _ROMAN_VALUES[ch]
        following = _ROMAN_VALUES[word[i + 1]] if i + 1 < len(word) else 0
        total += -value if value < following else value
    return str(total) if total >= 1 else word


@dataclass(frozen=True)
class SearchResult:
    """One TMDB search result, as much of it as ranking and the UI need."""

    tmdb_id: int
    title: str
    original_title: str | None = None
    year: int | None = None
    popularity: float = 0.0
    vote_count: int = 0
    overview: str | None = None
    poster_path: str | None = None

    @classmethod
    def from_tmdb(cls, result: dict) -> SearchResult:
        """Build from one item of TMDB's /search/movie `results` (release_date may be "")."""
        date = result.get("release_date") or ""
        year = int(date[:4]) if re.match(r"\d{4}", date) else None
        return cls(
            tmdb_id=int(result["id"]),
            title=result.get("title") or result.get("original_title") or "",
            original_title=result.get("original_title"),
            year=year,
            popularity=finite(result.get("popularity")) or 0.0,
            vote_count=whole(result.get("vote_count")) or 0,
            overview=result.get("overview") or None,
            poster_path=result.get("poster_path"),
        )


@dataclass(frozen=True)
class Match:
    """A candidate with its distance; `penalties` maps names to their share of `distance`
    (they add up to it) and `reasons` says in words what decided `recommendation`."""

    candidate: SearchResult
    distance: float
    penalties: dict[str, float]
    recommendation: str
    reasons: tuple[str, ...] = field(default=())


def rank_candidates(
    hints_title: str | None, hints_year: int | None, candidates: list[SearchResult]
) -> list[Match]:
    """Score and sort candidates, best first; duplicates (same tmdb_id) count once."""
    unique = list({c.tmdb_id: c for c in reversed(candidates)}.values())[::-1]
    key = normalize_title(hints_title) if hints_title else ""
    scored = [_score(key, hints_year, c) for c in unique]
    scored.sort(key=lambda s: (s[1], -s[0].vote_count, -s[0].popularity, s[0].tmdb_id))
    matches = [Match(c, dist, pens, _by_distance(dist)) for c, dist, pens, _ in scored]
    if not matches:
        return matches
    recommendation, reasons = _recommend_best(hints_year, scored)
    matches[0] = replace(matches[0], recommendation=recommendation, reasons=reasons)
    if recommendation != "strong":  # the others cannot be better bets than the best
        matches[1:] = [
            replace(m, recommendation=_weaker(m.recommendation, recommendation))
            for m in matches[1:]
        ]
    return matches


def is_confident(matches: list[Match]) -> bool:
    """True when the best match may be applied without asking the user."""
    return bool(matches) and matches[0].recommendation == "strong"


def search_plan(title: str, year: int | None) -> list[dict]:
    """TMDB /search/movie attempts in order, as Kodi's TMDB scraper makes them: with the
    year, year-1, year+1, then without a year (stop at the first that returns results).
    A trailing article ("Matrix, The") is moved to the front, and a "+" between two words
    ("Face+Off", as Radarr writes "Face/Off" in a file name) is a space."""
    query = re.sub(r"\s+", " ", _GLUED_PLUS.sub(" ", title)).strip()
    trailing = re.match(r"^(?P<rest>.+),\s*(?P<article>the|a|an)$", query, re.IGNORECASE)
    if trailing:
        query = f"{trailing.group('article')} {trailing.group('rest')}"
    if year is None:
        return [{"query": query}]
    return [
        {"query": query, "year": year},
        {"query": query, "year": year - 1},
        {"query": query, "year": year + 1},
        {"query": query},
    ]


def _title_penalty(key: str, candidate: SearchResult) -> float:
    best = 1.0
    for title in (candidate.title, candidate.original_title):
        if not title or not key:
            continue
        other = normalize_title(title)
        if other == key or other.replace(" ", "") == key.replace(" ", ""):
            return 0.0
        main = _SUBTITLE_SPLIT.split(title, maxsplit=1)[0]
        if main != title and normalize_title(main) == key:
            best = min(best, PARTIAL_TITLE_PENALTY)
        best = min(best, 1.0 - SequenceMatcher(None, key, other).ratio())
    return best


def _year_penalty(hint: int, year: int | None) -> float:
    if year is None:
        return 0.5
    return {0: 0.0, 1: 0.5, 2: 0.8}.get(abs(hint - year), 1.0)


def _obscurity_penalty(candidate: SearchResult) -> float:
    return 1.0 - min(1.0, math.log10(1 + max(candidate.vote_count, 0)) / 3)


def _score(
    key: str, year: int | None, candidate: SearchResult
) -> tuple[SearchResult, float, dict[str, float], float]:
    raw = {"title": _title_penalty(key, candidate)}
    if year is not None:
        raw["year"] = _year_penalty(year, candidate.year)
    raw["obscurity"] = _obscurity_penalty(candidate)
    total_weight = sum(WEIGHTS[name] for name in raw)
    penalties = {name: round(WEIGHTS[name] * p / total_weight, 4) for name, p in raw.items()}
    return candidate, round(sum(penalties.values()), 4), penalties, raw["title"]


def _by_distance(distance: float) -> str:
    if distance <= MEDIUM_MAX_DISTANCE:
        return "medium"
    if distance <= LOW_MAX_DISTANCE:
        return "low"
    return "none"


def _recommend_best(
    year: int | None, scored: list[tuple[SearchResult, float, dict[str, float], float]]
) -> tuple[str, tuple[str, ...]]:
    best, best_distance, _, title_penalty = scored[0]
    fallback = _by_distance(best_distance)
    if title_penalty > 0:
        reason = "title is not an exact match"
        if fallback == "medium":
            reason = "title only partly matches"
        return fallback, (reason,)

    rivals = [
        c
        for c, _, _, tp in scored[1:]
        if tp == 0 and c.vote_count * REACH_FACTOR >= best.vote_count
    ]
    far_rivals = {
        c.tmdb_id for c, _, _, tp in scored[1:] if tp == 0 and c.tmdb_id not in _ids(rivals)
    }
    year_diff = None if year is None or best.year is None else abs(year - best.year)

    if year is None:
        if rivals:
            return "low", (f"no year in the name, and {_label(rivals[0])} has the same title",)
    elif year_diff is None:
        return _weaker(fallback, "medium"), ("candidate has no year",)
    elif year_diff == 1:
        if rivals:
            return "low", (f"year off by one, and {_label(rivals[0])} has the same title",)
        return "medium", ("year off by one",)
    elif year_diff > 1:
        return "low", (f"year differs by {year_diff}",)
    else:
        same_year = [c for c in rivals if c.year == best.year]
        if same_year:
            return "low", (f"{_label(same_year[0])} has the same title and year",)

    runner_up = next((s for s in scored[1:] if s[0].tmdb_id not in far_rivals), None)
    if runner_up is not None and runner_up[1] - best_distance < CLEAR_GAP:
        return "medium", (f"{_label(runner_up[0])} is close behind",)
    if year is None:
        return "strong", ("exact title, the only well-known film of that title",)
    return "strong", ("exact title and year",)


def _weaker(a: str, b: str) -> str:
    return max(a, b, key=RECOMMENDATIONS.index)


def _ids(candidates: list[SearchResult]) -> set[int]:
    return {c.tmdb_id for c in candidates}


def _label(candidate: SearchResult) -> str:
    year = f" ({candidate.year})" if candidate.year else ""
    return f"{candidate.title!r}{year}"  # quoted as identify's other messages quote a title


def names_one_of(titles: list[str], names: list[str]) -> bool:
    """Whether one of `names` (what the user's NFO or file name calls a film or show) is one of
    `titles` (the provider's title, original title and alternative titles): the same after
    normalisation (spaces aside), or one's main title, before a subtitle, the other's whole
    title ("Leon" for "Léon: The Professional"). No close spelling counts: this says whether an
    id that may be another site's names the same work, and a near title is another work as
    often as not ("Alien", "Aliens")."""

    def keys(texts: list[str], *, main: bool) -> set[str]:
        forms = [t for t in texts if t]
        if main:
            forms += [_SUBTITLE_SPLIT.split(t, maxsplit=1)[0] for t in forms]
        return {normalize_title(f).replace(" ", "") for f in forms} - {""}

    return bool(
        keys(names, main=False) & keys(titles, main=True)
        or keys(names, main=True) & keys(titles, main=False)
    )
