"""Ctrl-C on `metarrd demo` stops quietly and completely (issue 11 item 17).

A terminal's Ctrl-C sends SIGINT to the whole foreground process group, the MediaInfo worker
included, while pages hold /live streams: so the signal goes to the group here, with three
streams open and enrich jobs running. Wanted: exit status 0, no traceback, no -wal/-shm left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))  # the simulator takes the next one
            except OSError:
                continue
            return port
    raise RuntimeError("no two free ports in a row")


def _hold_live(url: str, stop: threading.Event) -> None:
    try:
        with urllib.request.urlopen(url + "/live", timeout=30) as answer:
            while not stop.is_set() and answer.read(1):
                pass
    except OSError:
        pass


@pytest.mark.slow
@pytest.mark.parametrize("keep", [True, False], ids=["--dir", "temp-dir"])
def test_ctrl_c_on_the_demo_is_quiet_and_leaves_no_wal(tmp_path, keep):
    port = _free_port_pair()
    base = tmp_path / "demo"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": str(tmp_path),  # where the demo's temp dir goes without --dir
    }
    args = [sys.executable, "-m", "metarrd.cli", "demo", "--port", str(port)]
    proc = subprocess.Popen(
        [*args, "--dir", str(base)] if keep else args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell gives it
    )
    out_lines: list[str] = []
    started = threading.Event()

    def read_stdout() -> None:
        for line in proc.stdout:
            out_lines.append(line)
            if " started: enrich " in line:
                started.set()

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    stop_streams = threading.Event()
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
                    if json.loads(answer.read())["ok"]:
                        break
            except OSError:
                pass
            assert proc.poll() is None, "".join(out_lines)
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.2)
        for _ in range(3):
            threading.Thread(target=_hold_live, args=(url, stop_streams), daemon=True).start()
        assert started.wait(90), "no enrich job started"
        time.sleep(0.5)  # the streams are held, MediaInfo has run, a job is running
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        stop_streams.set()
        reader.join(timeout=10)
        err = proc.stderr.read()
    output = "".join(out_lines)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "Traceback" not in output, err[-5000:]
    assert "KeyboardInterrupt" not in err and "OperationalError" not in err + output
    if keep:
        assert "everything is kept in" in output
        left = sorted(p.name for p in (base / "data").iterdir())
        assert "metarrd.db" in left
        assert not [n for n in left if n.endswith(("-wal", "-shm", "-journal"))], left
    else:
        assert "stopped and cleaned up" in output
        assert not list(tmp_path.glob("metarrd-demo-*")), "the temp dir is removed"
