"""The configuration `metarrd demo` writes holds the simulator's provider keys: `metarrd config
check` (config_check._secrets_readable) wants such a file 0600, and warned about the demo's own."""

from __future__ import annotations

import os
import stat

import pytest

from metarrd import atomic
from metarrd.config_check import check_file
from metarrd.demo import DEMO_HEADER, write_config
from tests.conftest import umask


@pytest.fixture
def umask_022():
    """The usual login shell's umask, under which `write_text` made the file 0644."""
    with umask(0o022):
        yield


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _mode_warnings(path) -> list[str]:
    _read, _config, problems = check_file(path)
    return [p.message for p in problems if "chmod" in p.message]


def test_the_demos_config_is_0600_and_config_check_says_nothing_of_it(
    tmp_path, simulator, umask_022, monkeypatch
):
    seen: list[int] = []  # the mode of the file while the keys go into it
    write = atomic._write

    def watched(out, data):
        seen.append(stat.S_IMODE(os.fstat(out).st_mode))
        write(out, data)

    monkeypatch.setattr(atomic, "_write", watched)
    path = write_config(tmp_path, simulator, 8787)
    assert path == tmp_path / "config.toml"
    assert path.read_text("utf-8").startswith(DEMO_HEADER)
    assert _mode(path) == 0o600 and seen and set(seen) == {0o600}
    assert _mode_warnings(path) == []
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(atomic.TEMP_MARKER)]


def test_an_earlier_demos_0644_config_is_rewritten_0600(tmp_path, simulator, umask_022):
    """`metarrd demo --dir PATH` reuses the folder of an earlier run, whose config.toml an
    earlier version wrote 0644: the new one replaces it 0600 (the demo's own file)."""
    old = tmp_path / "config.toml"
    old.write_text(f"{DEMO_HEADER}: an earlier run\n", encoding="utf-8")
    old.chmod(0o644)
    path = write_config(tmp_path, simulator, 8787)
    assert _mode(path) == 0o600 and "earlier run" not in path.read_text("utf-8")
