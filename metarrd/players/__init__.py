"""Telling media players (Kodi, Jellyfin, Plex) that published movies changed.

- `test_players(rt, name=None)`: the connection test behind `metarrd players test`.
- `process_notifications(rt, now=None, players=None)`: send the due, coalesced notification
  batches that PUBLISH queued; the daemon calls it periodically and shortly after a publish.
- `bring_forward(seconds, now, threshold)`: after the wall clock went back by `seconds`, the pending
  notifications' times as much sooner (the daemon's lease heartbeat notices it).
- `due_in(rt, now=None)`: seconds until the next batch (or look at a `checking` row) is due
  (None: nothing pending).

See docs/players.md.
"""

from __future__ import annotations

from metarrd.players.check import test_players
from metarrd.players.notify import PlayerReport, bring_forward, due_in, process_notifications

__all__ = ["PlayerReport", "bring_forward", "due_in", "process_notifications", "test_players"]
