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
