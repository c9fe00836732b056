"""Imported first by the analysis workers' fork server (enrich.analysts), never by the daemon.

A worker is forked with the fork server's own signal handlers restored, and ignored Ctrl-C only
once its initializer ran (`analysts._watch`). A Ctrl-C in that window (the daemon stopping just as
an enrich started its workers) killed the new worker with a KeyboardInterrupt, which broke the pool,
and the interpreter's exit then waited for good on the broken pool's other worker
(tests/test_demo_stop.py, about 1 run in 10). Ignoring SIGINT here, before the fork server saves
its handlers, makes every worker ignore it from its first instruction; the daemon stops them.

The fork server is started with SIGINT blocked (`analysts._start_fork_server`), for a Ctrl-C
before this line; once it is ignored it is unblocked again, as multiprocessing's resource tracker
does: blocked, it stayed blocked in every worker for good, and a Ctrl-C never reached one at all,
so that nothing, not even a test, could tell whether a worker ignored it.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a Ctrl-C pending since the start is dropped)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

# What every worker needs on its first image, imported once here in the fork server rather than
# by each worker on its own: imagehash.phash imports scipy.fftpack on its first call (0.2 s of
# CPU), and Pillow loads its format plugins on the first open and the first WebP save. Shared
# by the workers forked from here instead of copied into each.
import scipy.fftpack  # noqa: E402, F401
from PIL import Image  # noqa: E402

Image.init()
