"""Fixtures for the player tests: a runtime on temp dirs with players; fast Kodi polling."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from metarrd.players import notify
from metarrd.runtime import open_runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))  # player_fakes, player_helpers


@pytest.fixture(autouse=True)
def fast_kodi_polling(monkeypatch):
    """Kodi scan polling without real waiting; the bounds stay finite."""
    from metarrd.players import kodi, kodi_state

    monkeypatch.setattr(kodi, "SCAN_POLL_SECONDS", 0.001)
    monkeypatch.setattr(kodi, "SCAN_START_SECONDS", 0.05)
    monkeypatch.setattr(kodi, "SCAN_WAIT_SECONDS", 2.0)
    monkeypatch.setattr(kodi_state, "REFRESH_WAIT_SECONDS", 2.0)
    notify._busy.clear()


@pytest.fixture
def make_rt(config_factory):
    """make_rt(players=[...], daemon={...}) -> Runtime with the library Movies (tmp/movies)."""
    made = []

    def factory(players, **sections):
        sections.setdefault("daemon", {"notify_window_seconds": 0, "notify_retry_minutes": 30})
        config = config_factory(player=players, **sections)
        rt = open_runtime(config)
        made.append(rt)
        return rt

    yield factory
    for rt in made:
        rt.close()
