"""metarrd's name parsing on a corpus of real release and folder names (issue 12 §1).

The corpus and its origins: names_corpus.tsv. `python -m bench.names --failures` prints the same
figures and the misses.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from bench import names as corpus
from metarrd.identify import names
from metarrd.identify.match import normalize_title

CASES = corpus.load_corpus()


def key(title: str | None) -> str | None:
    return normalize_title(title) if title else None


def test_the_corpus_is_broad():
    assert len(CASES) >= 500
    assert any("/" in case.name.strip("/") for case in CASES)  # folder + file pairs


def test_title_and_year_right_for_97_percent_and_better_than_guessit_alone():
    misses = corpus.metarrd_misses(CASES)
    right = 1 - len(misses) / len(CASES)
    guessit_right = 1 - len(corpus.guessit_misses(CASES)) / len(CASES)
    listing = "\n".join(str(miss) for miss in misses)
    assert right >= corpus.FLOOR, f"{right:.3f} right; misses:\n{listing}"
    assert right >= guessit_right, f"{right:.3f} right, guessit alone {guessit_right:.3f}"


def test_the_fast_path_never_disagrees_with_the_full_parser():
    # Disagree: a different year, or a title the matcher reads differently ("M.A.S.H." and
    # "M A S H" are one title to it).
    disagree = []
    for case in CASES:
        for part in PurePosixPath(case.name).parts:
            stem = PurePosixPath(part).stem if part == PurePosixPath(case.name).name else part
            fast = names._title_and_year(stem, fast=True)
            full = names._title_and_year(stem, fast=False)
            if fast[1] != full[1] or key(fast[0]) != key(full[0]):
                disagree.append(f"{stem!r}: fast {fast[:2]}, full {full[:2]}")
    assert not disagree, "\n".join(disagree)
