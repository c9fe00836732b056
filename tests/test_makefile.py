"""The Makefile's two virtualenv stamps: `make demo` installs the product alone, `make test` (and
lint) the test extra too, into the same .venv, completing one `make demo` made. `make demo` had
installed the test extra as well: a 550 MB venv for a demo that runs in 320 MB, Playwright's
driver alone 167 MB. Read with `make -n`, which prints the recipes and runs none."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = "pip install --quiet -e .\n"
WITH_TESTS = "pip install --quiet -e '.[test]'\n"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _dry_run(venv: Path, *targets: str) -> str:
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(ROOT), f"VENV={venv}", *targets],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _stamp(venv: Path, name: str) -> None:
    """A stamp as the recipe leaves it: newer than pyproject.toml."""
    stamp = venv / "bin" / name
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    later = max(time.time(), (ROOT / "pyproject.toml").stat().st_mtime) + 60
    os.utime(stamp, (later, later))


def test_make_demo_installs_the_product_without_the_test_extra(tmp_path):
    venv = tmp_path / "venv"
    recipe = _dry_run(venv, "demo")
    assert PRODUCT in recipe
    assert "[test]" not in recipe
    assert recipe.rstrip().endswith(f"{venv}/bin/metarrd demo")


@pytest.mark.parametrize("target", ["test", "lint", "test-scale", "format", "screenshots"])
def test_the_test_targets_install_the_test_extra(tmp_path, target):
    recipe = _dry_run(tmp_path / "venv", target)
    assert WITH_TESTS in recipe
    assert PRODUCT not in recipe  # one install, not the product's and then the extra's


def test_make_test_completes_the_venv_make_demo_made(tmp_path):
    venv = tmp_path / "venv"
    _stamp(venv, ".installed")  # what `make demo` left
    assert PRODUCT not in _dry_run(venv, "demo")  # up to date for the demo
    recipe = _dry_run(venv, "test")
    assert WITH_TESTS in recipe
    # both stamps, so that a later `make demo` installs nothing again
    assert f"touch {venv}/bin/.installed-test {venv}/bin/.installed\n" in recipe


def test_a_complete_venv_is_installed_into_again_only_when_pyproject_changes(tmp_path):
    venv = tmp_path / "venv"
    _stamp(venv, ".installed")
    _stamp(venv, ".installed-test")
    assert "pip install" not in _dry_run(venv, "demo", "lint")
    # pyproject.toml changed since (a dependency added): both recipes run again
    old = (ROOT / "pyproject.toml").stat().st_mtime - 60
    for stamp in (".installed", ".installed-test"):
        os.utime(venv / "bin" / stamp, (old, old))
    assert PRODUCT in _dry_run(venv, "demo")
    assert WITH_TESTS in _dry_run(venv, "lint")
