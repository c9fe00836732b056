"""Lighthouse (the npm package, pinned in .ci/install-lighthouse.sh) scores the library, item
and identify pages of `metarrd demo`: accessibility and best practices at least 0.95, on a phone
and on a desktop. A missing Lighthouse or browser FAILS the test (CI installs both)."""

from __future__ import annotations

import pytest

from bench import lighthouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_accessibility_and_best_practices_score_at_least_095():
    if not lighthouse.LIGHTHOUSE.exists():
        pytest.fail(f"no Lighthouse at {lighthouse.LIGHTHOUSE}: run .ci/install-lighthouse.sh")
    results = lighthouse.run(("mobile", "desktop"))
    assert {(s.page, s.category) for s in results} == {
        (page, category)
        for page in ("library", "item", "identify")
        for category in lighthouse.CATEGORIES
    }
    low = [
        f"{s.page} {s.form_factor} {s.category}: {s.score:.2f} ({', '.join(s.failing)})"
        for s in results
        if s.score < lighthouse.TARGET
    ]
    assert not low, "\n".join(low)
