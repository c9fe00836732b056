"""Crash-test helper: one pass of the notification queue in a process of its own, which the test
kills with SIGKILL (a daemon killed mid-way). argv: the configuration (JSON) and the pass's
time (ISO). Only loopback is reached (the fake players)."""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from datetime import datetime

from metarrd.config import parse_config
from metarrd.players import process_notifications
from metarrd.runtime import open_runtime

_connect = socket.socket.connect


def _loopback_only(self, address):
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if inet and not ipaddress.ip_address(address[0]).is_loopback:
        raise OSError(f"notify worker tried to reach {address[0]}")
    return _connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


def main() -> None:
    rt = open_runtime(parse_config(json.loads(sys.argv[1])))
    try:
        for report in process_notifications(rt, now=datetime.fromisoformat(sys.argv[2])):
            print(report, flush=True)
    finally:
        rt.close()


if __name__ == "__main__":
    main()
