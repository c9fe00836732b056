"""The demo's "other commands" line must be a command the user can paste into another shell."""

from __future__ import annotations

import os
import shutil
import stat
import sys

from metarrd.demo import shell_command


def _script(folder):
    folder.mkdir(parents=True)
    path = folder / "metarrd"
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_make_demo_names_the_venv_script_that_is_on_no_path(tmp_path, monkeypatch):
    # README's quick start: `make demo` runs `.venv/bin/metarrd demo` (Makefile) and creates the
    # venv without activating it. The line used to say `metarrd --config … list`, which a new
    # user's shell answers with "metarrd: command not found".
    _script(tmp_path / ".venv" / "bin")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert shutil.which("metarrd") is None
    assert shell_command(".venv/bin/metarrd") == ".venv/bin/metarrd"


def test_an_installed_metarrd_on_path_is_called_by_its_name(tmp_path, monkeypatch):
    script = _script(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    assert shell_command(str(script)) == "metarrd"


def test_another_metarrd_on_path_is_not_the_one_named(tmp_path, monkeypatch):
    # an older install on PATH would read this demo's config with other code
    _script(tmp_path / "old")
    ours = _script(tmp_path / "new venv" / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'old'}{os.pathsep}/usr/bin:/bin")
    assert shell_command(str(ours)) == f"'{ours}'"


def test_python_dash_m_is_named_as_such():
    command = shell_command("/somewhere/metarrd/__main__.py")
    assert command.endswith(" -m metarrd")
    assert sys.executable in command


def test_a_port_in_use_names_the_whole_command_to_run_instead(tmp_path, monkeypatch, capsys):
    """`make demo` with port 8787 taken said "try --port 8797": `make demo` takes no --port, and
    the venv's script that does is on no PATH. The line is the command to paste, on stderr."""
    import argparse
    import socket

    from metarrd.demo import run_demo

    _script(tmp_path / ".venv" / "bin")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", [".venv/bin/metarrd", "demo"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_demo(argparse.Namespace(port=port, dir=None)) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.endswith(f"choose another: `.venv/bin/metarrd demo --port {port + 10}`\n")
        kept = tmp_path / "my demo"
        assert run_demo(argparse.Namespace(port=port, dir=str(kept))) == 2
        err = capsys.readouterr().err
        assert err.endswith(f"demo --port {port + 10} --dir '{kept}'`\n")
        assert not kept.exists()  # nothing made
