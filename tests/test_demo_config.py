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


def test_a_kept_demos_command_after_the_demo_stopped_says_to_start_it_again(tmp_path, capsys):
    """`metarrd --config DIR/config.toml enrich 1` after the kept demo stopped tried each
    request 5 times, 20 s an item, and said `connection failed (WatchedHTTPConnectionPool(
    host='127.0.0.1', port=8788): Max retries exceeded …) … gave up after 5 attempts`: nothing
    told the user that the demo's simulator, which those URLs name, runs only with the demo."""
    from metarrd.cli import main
    from metarrd.simulator import Simulator

    with Simulator() as sim:
        cfg = write_config(tmp_path, sim, 8790)
        for folder in ("movies", "tv"):
            (tmp_path / folder).mkdir()
        # while it runs, the commands run (nothing to enrich in an empty library)
        assert main(["--config", str(cfg), "enrich", "--all"]) == 0
        assert capsys.readouterr().err == ""
    for command in (["enrich", "--all"], ["scan"], ["identify", "1", "--tmdb", "603"]):
        assert main(["--config", str(cfg), *command]) == 1
        err = capsys.readouterr().err
        assert err.startswith(
            f"metarrd: {cfg} is a kept demo's configuration: its providers are the demo's "
            f"simulator on {sim.url}, which is not running (the demo has stopped); "
            "start the demo again, `"
        ), err
        assert f"demo --dir {tmp_path} --port 8790`" in err
        assert err.count("\n") == 1
    # the daemon: the demo runs one itself, beside which a second exits
    assert main(["--config", str(cfg), "run"]) == 1
    err = capsys.readouterr().err
    assert err.endswith("--port 8790`, it runs the daemon with its simulator\n"), err
    # what needs no provider still runs
    assert main(["--config", str(cfg), "list"]) == 0
    # the demo's file pointed at other providers: their own errors, never the demo's word
    text = cfg.read_text("utf-8")
    for url in (sim.tmdb_url, sim.fanart_url, sim.tvdb_url):
        text = text.replace(url, "http://127.0.0.1:9/3")
    cfg.write_text(text, "utf-8")
    assert main(["--config", str(cfg), "enrich", "--all"]) == 0
    assert "demo" not in capsys.readouterr().err
