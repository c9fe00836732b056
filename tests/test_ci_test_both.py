"""`.ci/test-both.sh` (`make test`): pass 1 in the foreground, pass 2 (`make test-scale`)
beside it, its output kept in a file. Run here on a copy of the script with a stand-in
pytest and Makefile (no services, no suite)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _tree(tmp_path: Path, pass1: str, scale: str) -> Path:
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "test-both.sh", tmp_path / ".ci" / "test-both.sh")
    (tmp_path / "Makefile").write_text(f"test-scale:\n\t@{scale}\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pytest").write_text(f"#!/bin/sh\n{pass1}\n")
    (bin_dir / "pytest").chmod(0o755)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "shm").mkdir()
    return tmp_path


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tree / "tmp"), "METARRD_TEST_TMPFS": str(tree / "shm")}


def _run(tree: Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    env = env or _env(tree)
    return subprocess.Popen(
        ["bash", str(tree / ".ci" / "test-both.sh"), str(tree / "bin")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kwargs,
    )


@pytest.mark.parametrize(("pass1_rc", "scale_rc"), [(0, 0), (1, 0), (0, 2)])
def test_either_pass_failing_fails_make_test(tmp_path, pass1_rc, scale_rc):
    tree = _tree(tmp_path, f"exit {pass1_rc}", f"echo scale said this; exit {scale_rc}")
    out, _ = _run(tree).communicate(timeout=60)
    assert "scale said this" in out
    assert (_run(tree).wait(timeout=60) == 0) == (pass1_rc == scale_rc == 0)
    assert list((tree / "tmp").iterdir()) == []
    # a failed test's tmp_path is kept for a look (pytest keeps the failed ones' alone)
    assert (list((tree / "shm").iterdir()) == []) == (pass1_rc == scale_rc == 0)
    assert ("temp files are kept in" in out) == (not pass1_rc == scale_rc == 0)


def test_both_passes_keep_their_temp_files_on_the_tmpfs_and_it_is_emptied(tmp_path):
    """The tests' temp files (tmp_path, tempfile) go in a folder of the run's own on the tmpfs
    (/dev/shm): on this machine's disk each fsync of the suite waited for it. Both passes get
    the same folder, written to as the tests write theirs; it is removed at the end."""
    write = 'echo "{0} TMPDIR=$TMPDIR"; echo x > "$TMPDIR/{0}"; ls "$TMPDIR"'
    tree = _tree(tmp_path, write.format("pass1"), write.format("scale").replace("$", "$$"))
    out, _ = _run(tree).communicate(timeout=60)
    [folder] = {line.split("TMPDIR=")[1] for line in out.splitlines() if "TMPDIR=" in line}
    assert Path(folder).parent == tree / "shm" and Path(folder).name.startswith("metarrd-test.")
    assert "pass1 TMPDIR=" in out and "scale TMPDIR=" in out  # the same folder, for both
    assert "exit 0" in out
    assert list((tree / "shm").iterdir()) == [] and list((tree / "tmp").iterdir()) == []


def test_without_a_writable_tmpfs_the_temp_files_stay_in_tmpdir(tmp_path):
    tree = _tree(tmp_path, 'echo "TMPDIR=$TMPDIR"', "true")
    (tree / "shm").rmdir()
    out, _ = _run(tree).communicate(timeout=60)
    assert f"TMPDIR={tree / 'tmp'}\n" in out


def test_a_tmpfs_with_too_little_room_leaves_the_temp_files_in_tmpdir(tmp_path):
    """A container's /dev/shm is often 64 MB: the suite would fail there for want of room."""
    tree = _tree(tmp_path, 'echo "TMPDIR=$TMPDIR"', "true")
    env = {"METARRD_TEST_TMPFS_NEED_KB": str(2**62)}  # more than any disk has
    out, _ = _run(tree, env={**_env(tree), **env}).communicate(timeout=60)
    assert f"TMPDIR={tree / 'tmp'}\n" in out
    assert list((tree / "shm").iterdir()) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_still_shows_what_pass_2_said(tmp_path, sig, status):
    """Ctrl-C during pass 1 (the long one) ended pass 2 and removed its log unread: a failure
    pass 2 had already reported was never seen. Now what it wrote so far is printed, pass 2's
    processes are ended, and its log file is removed. The exit status says which signal it was,
    as a shell's does (128 + its number): a CI runner's TERM (a timeout) read as a Ctrl-C."""
    started = tmp_path / "pass1-started"
    scale_pid = tmp_path / "scale.pid"
    tree = _tree(
        tmp_path,
        f"touch {started}; sleep 60",
        f"echo FAILED tests/scale/test_leases.py::test_x; echo $$$$ > {scale_pid}; sleep 60",
    )
    run = _run(tree, start_new_session=True)
    logs = tree / "tmp"
    for _ in range(400):  # until pass 1 runs and pass 2 has written its line
        if (
            started.exists()
            and scale_pid.exists()
            and any(p.stat().st_size for p in logs.iterdir())
        ):
            break
        time.sleep(0.05)
    else:
        run.kill()
        pytest.fail("the passes did not start")
    os.killpg(run.pid, sig)  # Ctrl-C: the terminal's foreground process group
    out, _ = run.communicate(timeout=60)
    assert run.returncode == status
    assert "FAILED tests/scale/test_leases.py::test_x" in out
    assert "interrupted" in out
    assert list(logs.iterdir()) == []
    assert list((tree / "shm").iterdir()) == []
    with pytest.raises(ProcessLookupError):
        os.kill(int(scale_pid.read_text()), 0)
