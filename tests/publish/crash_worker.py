"""Crash-test helper: a zygote that imports metarrd once and forks one child per publish, so a
run costs a fork rather than an interpreter start. The test kills the children with SIGKILL.

Protocol (one line each way): `publish <movie id>...` -> `<child pid>` (several ids: one
batch, `publish_many`); `wait <pid>` ->
`exit <code>` or `signal <number>`; `quit`. The zygote never opens the database itself.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import traceback

from metarrd import db
from metarrd.config import parse_config
from metarrd.publish import publish_item, publish_many
from metarrd.runtime import open_runtime

_connect = socket.socket.connect


def _loopback_only(self, address):
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if inet and not ipaddress.ip_address(address[0]).is_loopback:
        raise OSError(f"crash worker tried to reach {address[0]}")
    return _connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


def child(config, movie_ids: list[int]) -> int:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stdout belongs to the protocol
    try:
        rt = open_runtime(config)
        movies = [db.Movie.get_by_id(i) for i in movie_ids]
        if len(movies) == 1:
            publish_item(rt, movies[0])
            return 0
        failures = [o for o in publish_many(rt, movies) if isinstance(o, Exception)]
        for failure in failures:
            print(f"{failure}", file=sys.stderr)
        return 1 if failures else 0
    except BaseException:
        traceback.print_exc()
        return 1


def main() -> None:
    config = parse_config(json.loads(sys.argv[1]))
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "publish":
            pid = os.fork()
            if pid == 0:
                os._exit(child(config, [int(a) for a in args]))
            print(pid, flush=True)
        elif cmd == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            if os.WIFSIGNALED(status):
                print(f"signal {os.WTERMSIG(status)}", flush=True)
            else:
                print(f"exit {os.WEXITSTATUS(status)}", flush=True)
        elif cmd == "quit":
            return


if __name__ == "__main__":
    main()
