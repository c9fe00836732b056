"""Fault switches: rules that match request paths and say how to misbehave. Thread-safe.

A pattern is a URL path prefix ("/3/movie/603", "/t/p/"), a glob when it holds '*' or '?'
("/t/p/*/abc.jpg": one TMDB file at every size), a full URL (its path is used), or None for
every request. Count-limited rules (429, 5xx) disappear once used up; the others stay until reset.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

CORRUPT_MODES = ("truncated", "html", "garbage")


def normalise_pattern(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    if pattern.startswith(("http://", "https://")):
        return urlsplit(pattern).path
    return pattern


def matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return True
    if "*" in pattern or "?" in pattern:
        return fnmatchcase(path, pattern)
    return path.startswith(pattern)


@dataclass
class Rule:
    kind: str  # latency | hang | challenge | 429 | 5xx | not_found | redirect | corrupt | bomb
    pattern: str | None
    value: object = None  # seconds, Retry-After, status, (status, Location) or corrupt mode
    remaining: int | None = None  # None = until reset


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self.latency = 0.0  # seconds added to every request

    def add(self, kind: str, pattern: str | None, value: object = None, count: int | None = None):
        if count is not None and count <= 0:
            return
        with self._lock:
            self._rules.append(Rule(kind, normalise_pattern(pattern), value, count))

    def take(self, kind: str, path: str) -> Rule | None:
        """The first rule of this kind matching the path, using up one of its count."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and matches(rule.pattern, path):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def delay(self, path: str) -> float:
        with self._lock:
            extra = sum(
                float(r.value)
                for r in self._rules
                if r.kind == "latency" and matches(r.pattern, path)
            )
            return self.latency + extra

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self.latency = 0.0
