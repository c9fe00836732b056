"""Imported first by the analysis workers' fork server (enrich.analysts), never by the daemon.

A worker is forked with the fork server's own signal handlers restored, and ignored Ctrl-C only
once its initializer ran (`analysts._watch`). A Ctrl-C in that window (the daemon stopping just as
an enrich started its workers) killed the new worker with a KeyboardInterrupt, which broke the pool,
and the interpreter's exit then waited for good on the broken pool's other worker
(tests/test_demo_stop.py, about 1 run in 10). Ignoring SIGINT here, before the fork server saves
its handlers, makes every worker ignore it from its first instruction; the daemon stops them.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
