"""Image analysis in worker processes: same facts as in the daemon, errors come back, and an
image that crashes its process is rejected while the others are analysed."""

from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from metarrd.enrich import analysts
from metarrd.enrich.analysis import Analyser
from metarrd.imaging import ImageRejected, analyse_with_preview
from metarrd.simulator.images import encode, render_picture

CAP = 80_000_000


def _poster() -> bytes:
    return encode(render_picture("poster", "photo", 185, 278), "jpg")


def test_the_analysis_runs_in_a_worker_process_unless_there_are_none():
    assert analysts.run(1, os.getpid) != os.getpid()
    assert analysts.run(0, os.getpid) == os.getpid()
    assert analysts.default_processes() >= 1


def test_an_analysis_takes_no_thread_of_the_daemons_between_it_and_its_worker(tmp_path):
    """The analysis thread talks to its worker straight over a pipe: a ProcessPoolExecutor's
    manager and feeder threads handed every image on, a quarter of the daemon's CPU in an
    enrich at 0 ms (bench.enrich)."""
    import threading

    analysts.shutdown()
    before = set(threading.enumerate())
    with ThreadPoolExecutor(2) as callers:
        calls = [
            callers.submit(analysts.run, 2, analysts.examine_small, _poster(), tmp_path, CAP)
            for _ in range(6)
        ]
        assert all(c.result(timeout=60)[0].width == 185 for c in calls)
        callers_threads = set(callers._threads)
    assert len(analysts.worker_pids()) == 2
    assert set(threading.enumerate()) - before - callers_threads == set()


def test_a_worker_ignores_ctrl_c_from_its_first_instruction():
    # before its initializer ran, a Ctrl-C at the daemon's stop killed a starting worker, which
    # broke the pool; the exit then waited on it for good (tests/test_demo_stop.py, 1 run in 10)
    import signal

    bare = analysts._Worker(analysts._context(), initializer=int)  # int(pid): no _watch
    try:
        assert bare.call(signal.getsignal, (signal.SIGINT,)) == (True, signal.SIG_IGN)
    finally:
        bare.close()


def test_a_new_worker_has_what_an_analysis_needs_from_its_fork_server():
    # imported once in the fork server, not by each worker on its first image: the enrich
    # modules a task names (its pickled function), scipy.fftpack (imagehash.phash's first call)
    # and Pillow's plugins. A worker spent 0.3 s of CPU and 30 MB of memory of its own on them.
    wanted = ["metarrd.enrich.analysts", "scipy.fftpack", "PIL.WebPImagePlugin"]
    bare = analysts._Worker(analysts._context(), initializer=int)  # nothing run there yet
    try:
        ok, loaded = bare.call(eval, (f"[m in __import__('sys').modules for m in {wanted!r}]",))
        assert ok and dict(zip(wanted, loaded, strict=True)) == dict.fromkeys(wanted, True)
    finally:
        bare.close()


def test_the_workers_are_named_for_the_benchmarks_cpu_accounting():
    worker = analysts.run(1, os.getpid)
    assert worker in analysts.worker_pids()
    analysts.shutdown()
    assert analysts.worker_pids() == []


def test_a_worker_ignores_ctrl_c_which_is_for_the_daemon():
    import signal

    worker = analysts.run(1, os.getpid)
    os.kill(worker, signal.SIGINT)  # what Ctrl-C sends to the whole process group
    assert analysts.run(1, os.getpid) == worker


def test_a_ctrl_c_reaches_a_worker_which_ignores_it_itself():
    """The fork server is started with SIGINT blocked (for a Ctrl-C during its imports): a
    worker inherited the blocked signal for good, and a Ctrl-C never reached it at all, so the
    test above passed whether the worker ignored it or not."""
    import signal

    bare = analysts._Worker(analysts._context(), initializer=int)
    try:
        ok, blocked = bare.call(signal.pthread_sigmask, (signal.SIG_BLOCK, set()))
        assert ok and signal.SIGINT not in blocked
    finally:
        bare.close()


def test_a_worker_ignores_ctrl_c_even_from_a_fork_server_that_did_not(tmp_path):
    """`_watch` ignores SIGINT too, in case the fork server was started without
    metarrd.worker_boot: here the worker is given back Python's own Ctrl-C handler, as such a fork
    server leaves it, unblocked, before `_watch` runs in it; a Ctrl-C then, and it analyses on."""
    import signal

    bare = analysts._Worker(analysts._context(), initializer=int)  # int(pid): no _watch yet
    try:
        assert bare.call(signal.signal, (signal.SIGINT, signal.default_int_handler))[0]
        assert bare.call(signal.pthread_sigmask, (signal.SIG_UNBLOCK, {signal.SIGINT}))[0]
        assert bare.call(analysts._watch, (os.getpid(),)) == (True, None)
        os.kill(bare.pid, signal.SIGINT)  # what Ctrl-C sends to the whole process group
        ok, answer = bare.call(analysts.examine_small, (_poster(), tmp_path, CAP))
        assert ok and answer[0].width == 185, answer
    finally:
        bare.close()


def test_a_workers_facts_and_preview_are_the_daemons(tmp_path):
    data = _poster()
    info, rel = analysts.run(1, analysts.examine_small, data, tmp_path, CAP)
    assert (info, (tmp_path / rel).read_bytes()) == analyse_with_preview(data)


def test_a_rejection_in_a_worker_comes_back_with_its_reason(tmp_path):
    html = b"<!DOCTYPE html><html><body>Just a moment...</body></html>"
    with pytest.raises(ImageRejected, match="HTML page"):
        analysts.run(1, analysts.examine_small, html, tmp_path, CAP)
    with pytest.raises(ImageRejected, match="megapixel limit"):
        analysts.run(1, analysts.examine_small, _poster(), tmp_path, 10_000)


def test_an_image_that_crashes_its_process_is_rejected_and_the_others_are_analysed(tmp_path):
    """`ctypes.string_at(0)` reads address 0: a segmentation fault, as a codec bug would be."""
    data = _poster()
    with ThreadPoolExecutor(8) as pool:
        crash = pool.submit(analysts.run, 1, ctypes.string_at, 0)
        others = [
            pool.submit(analysts.run, 1, analysts.examine_small, data, tmp_path, CAP)
            for _ in range(12)
        ]
        with pytest.raises(ImageRejected, match="crashed the decoder"):
            crash.result(timeout=60)
        assert all(o.result(timeout=60)[0].width == 185 for o in others)
    assert analysts.run(1, os.getpid) != os.getpid()  # a new pool serves the next images


@pytest.mark.parametrize("processes", [0, 2])
def test_a_probe_gives_the_same_outcome_in_workers_or_threads(make_rt, simulator, processes):
    fanart = simulator.catalog.get(603).images.fanart["movieposter"][0]
    url = simulator.image_url(fanart)
    small = url.replace("/fanart/", "/preview/")
    rt = make_rt(enrich={"analysis_processes": processes})
    with Analyser(rt.config, rt.http) as an:
        assert an.processes == processes
        probed = an.probe(url, "fanart", small_url=small).result()
        whole = an.fetch(url, "fanart").result()
    rendition = requests.get(small, timeout=10).content
    assert probed.ok and (probed.info.width, probed.info.height) == (fanart.width, fanart.height)
    assert (rt.config.previews_dir / probed.preview).read_bytes() == rendition
    assert whole.ok and len(whole.info.sha256) == 64 and whole.preview.endswith(".webp")


def test_the_workers_end_when_the_daemon_is_killed():
    """SIGKILL says nothing to the workers: they watch the process that started them, else
    they and the fork server would live on, blocked on their queue."""
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import os, sys, time\n"
        "from metarrd.enrich import analysts\n"
        "print(analysts.run(2, os.getpid), flush=True)\n"
        "time.sleep(60)\n"
    )
    daemon = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(daemon.stdout.readline())
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
    deadline = time.monotonic() + 20
    while analysts.pid_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not analysts.pid_alive(worker)


def test_where_no_worker_can_run_the_images_are_analysed_in_threads(tmp_path, monkeypatch, caplog):
    """Workers that die before they answer (here: at start-up) are no image's fault: nothing is
    rejected, the analysis goes on in the daemon's threads, and the log says why, once."""
    real = analysts._Worker

    def dying(context, initializer=None):
        return real(context, initializer=os._exit)  # os._exit(the daemon's pid): it ends at once

    analysts.shutdown()
    monkeypatch.setattr(analysts, "_Worker", dying)
    monkeypatch.setattr(analysts, "_unavailable", None)
    data = _poster()
    try:
        with caplog.at_level("WARNING", logger="metarrd.enrich.analysts"):
            first = analysts.run(2, analysts.examine_small, data, tmp_path, CAP)
            again = analysts.run(2, analysts.examine_small, data, tmp_path, CAP)
    finally:
        analysts.shutdown()
    assert first == again and first[0].width == 185
    assert analysts._unavailable == "they die before they answer"
    warned = [r.getMessage() for r in caplog.records if "cannot run here" in r.getMessage()]
    assert len(warned) == 1


def test_an_image_retried_alone_after_a_crash_keeps_its_own_error(tmp_path, monkeypatch):
    """An image whose worker died under it (killed: the OOM killer) is tried again in a process
    of its own; what its own analysis raises there (its temp file gone: OSError) is its
    outcome, not "crashed the decoder"."""

    def dying(pool):  # the pool's worker dies under it, as when killed under another load
        pool._free.acquire()
        return analysts._Worker(pool.context, initializer=os._exit)

    analysts.shutdown()
    monkeypatch.setattr(analysts._Pool, "take", dying)
    gone = tmp_path / "00001.part"
    try:
        with pytest.raises(FileNotFoundError):
            analysts.run(1, analysts.examine_whole, gone, tmp_path, CAP, True, None)
    finally:
        analysts.shutdown()


# a child's code whose fork server imports `slowboot` (of the test's tmp_path) first
SLOW_FORK_SERVER = (
    "import os, signal, threading, time\n"
    "import multiprocessing.forkserver as fs\n"
    "from metarrd.enrich import analysts\n"
    "real = analysts._context\n"
    "def slow():\n"
    "    context = real()\n"
    "    context.set_forkserver_preload(\n"
    "        ['slowboot', 'metarrd.worker_boot', 'metarrd.enrich.analysts'])\n"
    "    return context\n"
    "analysts._context = slow\n"
)


def test_a_ctrl_c_while_the_fork_server_starts_does_not_kill_it(tmp_path):
    """A Ctrl-C to the process group while the fork server is still importing (before
    metarrd.worker_boot ignores SIGINT) killed it with a KeyboardInterrupt on the terminal
    (tests/test_demo_stop.py under load). Here the fork server's first import waits until the
    Ctrl-C has been sent to it: the Ctrl-C lands in the middle of its imports, on any machine.
    (The workers' own SIG_IGN is test_a_worker_ignores_ctrl_c_from_its_first_instruction's: the
    fork server would live on without it, as multiprocessing's fork server ignores SIGINT itself
    once its imports are done, which drops a pending one.)"""
    import subprocess
    import sys

    booting, sent = tmp_path / "booting", tmp_path / "sent"
    (tmp_path / "slowboot.py").write_text(  # the fork server's first import waits for the Ctrl-C
        "import os, time\n"
        f"open({str(booting)!r}, 'w').close()\n"
        f"while not os.path.exists({str(sent)!r}):\n"
        "    time.sleep(0.01)\n"
    )
    code = SLOW_FORK_SERVER + (
        "def ctrl_c():\n"
        f"    while not os.path.exists({str(booting)!r}):\n"
        "        time.sleep(0.01)\n"
        "    os.kill(fs._forkserver._forkserver_pid, signal.SIGINT)\n"
        f"    open({str(sent)!r}, 'w').close()\n"
        "threading.Thread(target=ctrl_c, daemon=True).start()\n"
        "worker = analysts.run(1, os.getpid)\n"
        "print(worker != os.getpid(), flush=True)\n"
        "print(analysts.pid_alive(fs._forkserver._forkserver_pid), flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "KeyboardInterrupt" not in done.stderr, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "True"]  # a worker's answer; the fork server lives on


def test_a_fork_server_killed_as_it_starts_is_started_again_after_a_back_off(tmp_path):
    """The fork server SIGKILLed while it starts (the OOM killer): the analysis raised its
    EOFError, or fell back to the daemon's threads for the rest of its life. Now the image is
    analysed in a thread, workers are left alone for a back-off (a server that always dies
    does not loop), and once it has passed the fork server is started again and serves."""
    import subprocess
    import sys

    mark = tmp_path / "booting"
    (tmp_path / "slowboot.py").write_text(  # the first fork server waits here to be killed
        "import os, time\n"
        f"mark = {str(mark)!r}\n"
        "if not os.path.exists(mark):\n"
        "    open(mark, 'w').close()\n"
        "    time.sleep(60)\n"
    )
    code = SLOW_FORK_SERVER + (
        "killed = []\n"
        "def oom_kill():\n"
        f"    while not os.path.exists({str(mark)!r}):\n"
        "        time.sleep(0.01)\n"
        "    killed.append(fs._forkserver._forkserver_pid)\n"
        "    os.kill(killed[0], signal.SIGKILL)\n"
        "threading.Thread(target=oom_kill, daemon=True).start()\n"
        "me = os.getpid()\n"
        "print(analysts.run(1, os.getpid) == me, flush=True)\n"
        "print(analysts.run(1, os.getpid) == me, fs._forkserver._forkserver_pid == killed[0])\n"
        "os.waitid(os.P_PID, killed[0], os.WEXITED | os.WNOWAIT)  # it is dead by now\n"
        "analysts._retry_at = 0.0  # the back-off has passed\n"
        "print(analysts.run(1, os.getpid) != me, fs._forkserver._forkserver_pid != killed[0])\n"
        "print(analysts._unavailable, flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, backing_off, again, unavailable = done.stdout.splitlines()
    assert first == "True"  # analysed in a thread, not an EOFError
    assert backing_off == "True True"  # in a thread again, no new fork server yet
    assert again == "True True"  # a new fork server's worker
    assert unavailable == "None"
    assert done.stderr.count("cannot run here") == 1  # said once


def test_a_whole_image_analysed_without_a_preview_is_held_to_the_decode_budget(tmp_path):
    """A provider's whole image whose picture no rendition told (no phash) and that needs no
    preview was analysed by analyse_image with no decode budget: a 3600x3600 WebP of a few KB
    (198 MB to decode) was decoded whole in the worker, where the same image with a preview
    asked for is refused from its header."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3600, 3600), (200, 30, 30)).save(buf, "WEBP", method=0)
    path = tmp_path / "00001.part"
    path.write_bytes(buf.getvalue())
    for preview in (True, False):
        with pytest.raises(ImageRejected, match="198 MB of memory"):
            analysts.examine_whole(path, tmp_path, CAP, preview, None)
