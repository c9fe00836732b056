"""Name-parsing benchmark: title + year right on a corpus of real release names, and the time.

    python -m bench.names [--failures]

The corpus is tests/identify/names_corpus.tsv (its header says where each block comes from).
Accuracy: the share of names for which metarrd's `parse_hints` gives the expected title (as
`normalize_title` compares them) and year; beside it plain guessit on the same path, the bar the
issue set. Time: parsing every name once with cold caches; the floor is guessit alone on the
same names, since a name that needs guessit cannot cost less than guessit.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from guessit import guessit

from bench._common import best_of, report
from metarrd.identify import names
from metarrd.identify.match import normalize_title

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "identify" / "names_corpus.tsv"
ROOT = PurePosixPath("/library")
# The bar for metarrd's figure (issue 12): well above plain guessit's.
FLOOR = 0.97
_VIDEO_SUFFIXES = {
    ".avi", ".divx", ".flv", ".iso", ".m2ts", ".m4v", ".mkv", ".mov", ".mp4", ".mpg", ".ogm",
    ".ts", ".vob", ".webm", ".wmv",
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    year: int | None
    line: int

    @property
    def path(self) -> PurePosixPath:
        """Where the name sits in a library: below ROOT, as a video file."""
        name = self.name.lstrip("/")
        if PurePosixPath(name).suffix.lower() not in _VIDEO_SUFFIXES:
            name += ".mkv"
        return ROOT / name


@dataclass(frozen=True)
class Miss:
    case: Case
    title: str | None
    year: int | None

    def __str__(self) -> str:
        want = f"{self.case.title!r} {self.case.year}"
        return f"line {self.case.line}: {self.case.name!r}\n    want {want}, got {self.title!r} {self.year}"


def load_corpus(path: Path = CORPUS) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, title, year, *_note = line.split("\t")
        cases.append(Case(name, title, int(year) if year else None, number))
    return cases


def is_right(case: Case, title: str | None, year: int | None) -> bool:
    return (
        title is not None
        and normalize_title(title) == normalize_title(case.title)
        and year == case.year
    )


def metarrd_misses(cases: list[Case]) -> list[Miss]:
    misses = []
    for case in cases:
        hints = names.parse_hints(case.path, ROOT)
        if not is_right(case, hints.title, hints.year):
            misses.append(Miss(case, hints.title, hints.year))
    return misses


def guessit_alone(case: Case) -> tuple[str | None, int | None]:
    """Plain guessit on the name as it sits in the library (folders included)."""
    guess = guessit(str(case.path.relative_to(ROOT)), {"type": "movie"})
    title, year = guess.get("title"), guess.get("year")
    title = title[0] if isinstance(title, list) else title
    year = year[0] if isinstance(year, list) else year
    return (str(title) if title else None), (year if isinstance(year, int) else None)


def guessit_misses(cases: list[Case]) -> list[Miss]:
    misses = []
    for case in cases:
        title, year = guessit_alone(case)
        if not is_right(case, title, year):
            misses.append(Miss(case, title, year))
    return misses


def _parse_all_cold(cases: list[Case]) -> None:
    names._guess.cache_clear()
    for case in cases:
        names.parse_hints(case.path, ROOT)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.names")
    ap.add_argument("--failures", action="store_true", help="list the names metarrd gets wrong")
    args = ap.parse_args(argv)
    cases = load_corpus()
    ours, theirs = metarrd_misses(cases), guessit_misses(cases)
    n = len(cases)
    for label, misses in (("metarrd", ours), ("guessit alone", theirs)):
        right = (n - len(misses)) / n
        print(
            f"{label + ' title+year right':<46} {right:8.3f}    floor {FLOOR:8.3f}    "
            f"ratio {right / FLOOR:6.3f}x  ({n - len(misses)}/{n} names)",
            flush=True,
        )
    if args.failures:
        for miss in ours:
            print(miss)

    seconds = best_of(3, lambda: _parse_all_cold(cases))
    floor = best_of(3, lambda: [guessit_alone(case) for case in cases])
    report(
        f"parse {n} names ({seconds / n * 1000:.2f} ms a name)",
        seconds,
        floor,
        count=n,
        unit="names",
    )


if __name__ == "__main__":
    main()
