"""`metarrd publish` by hand, with a media player configured: the player is told by this
process, as the command says (`telling Kodi "Living room"`), not left waiting for a daemon the user
may not run (README, "Real setup", step 4: scan, enrich, publish, before any service)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from metarrd import db
from metarrd.cli import main
from tests.conftest import providers_toml

sys.path.insert(0, str(Path(__file__).resolve().parent / "players"))
from player_fakes import FakeKodi  # noqa: E402

MEDIA = Path(__file__).resolve().parent / "media" / "h264_aac_2audio_sub.mkv"


@pytest.fixture(autouse=True)
def fast_kodi_polling(monkeypatch):
    from metarrd.players import kodi, notify

    monkeypatch.setattr(kodi, "SCAN_POLL_SECONDS", 0.001)
    monkeypatch.setattr(kodi, "SCAN_START_SECONDS", 0.05)
    monkeypatch.setattr(kodi, "SCAN_WAIT_SECONDS", 2.0)
    notify._busy.clear()


def _config(tmp_path: Path, simulator, kodi_url: str) -> tuple[Path, Path]:
    root = tmp_path / "movies"
    (root / "Alien (1979)").mkdir(parents=True)
    shutil.copy2(MEDIA, root / "Alien (1979)" / "Alien (1979).mkv")
    cfg = tmp_path / "config.toml"
    # the player as config.example.toml's "Living room" reads, at the fake Kodi; its default
    # notify window (5 s) left as a user leaves it
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{root}"\n'
        + providers_toml(simulator, fanart=False)
        + f'[[player]]\nname = "Living room"\ntype = "kodi"\nurl = "{kodi_url}"\n'
        'username = "kodi"\npassword = "secret"\nlibraries = ["Movies"]\n'
    )
    return cfg, root


def test_publish_by_hand_tells_the_player_before_it_returns(tmp_path, simulator, capsys):
    with FakeKodi(sources=[str(tmp_path / "movies") + "/"]) as kodi:
        cfg, root = _config(tmp_path, simulator, kodi.url)
        assert main(["--config", str(cfg), "scan"]) == 0
        assert main(["--config", str(cfg), "enrich", "--all"]) == 0
        capsys.readouterr()
        assert main(["--config", str(cfg), "publish", "--all"]) == 0
        out = capsys.readouterr().out
        assert 'telling Kodi "Living room"' in out
        # Kodi was asked to scan the new movie's folder, by this command
        assert kodi.called("VideoLibrary.Scan"), kodi.calls
        assert 'Kodi "Living room": 1 sent' in out
        states = [n.state for n in db.PlayerNotification.select()]
        assert states == ["sent"]


def test_publish_by_hand_says_when_the_player_is_not_answering(tmp_path, simulator, capsys):
    with FakeKodi() as kodi:
        url = kodi.url
    cfg, root = _config(tmp_path, simulator, url)  # nothing listens there any more
    assert main(["--config", str(cfg), "scan"]) == 0
    assert main(["--config", str(cfg), "enrich", "--all"]) == 0
    capsys.readouterr()
    # the files are written: the publish succeeded; the player is retried by the daemon
    assert main(["--config", str(cfg), "publish", "--all"]) == 0
    out, err = capsys.readouterr()
    assert (root / "Alien (1979)" / "Alien (1979).nfo").is_file()
    assert 'Kodi "Living room": 0 sent, 1 to retry: connection refused at 127.0.0.1:' in out
    assert out.count('Kodi "Living room"') == 2  # the publish line's, and this line's start
    assert "metarrd run" in out
    assert [n.state for n in db.PlayerNotification.select()] == ["pending"]


def test_a_folder_renamed_by_hand_is_told_by_metarrd_scan_itself(tmp_path, simulator, capsys):
    """A movie folder renamed by hand (Radarr's "Rename Folder" without its webhook, or a file
    manager): `metarrd scan` follows it with our files and queues the players told about the
    old folder. By hand, the scan tells them before it returns, as publish does."""
    with FakeKodi(sources=[str(tmp_path / "movies") + "/"]) as kodi:
        cfg, root = _config(tmp_path, simulator, kodi.url)
        assert main(["--config", str(cfg), "scan"]) == 0
        assert main(["--config", str(cfg), "enrich", "--all"]) == 0
        assert main(["--config", str(cfg), "publish", "--all"]) == 0
        assert kodi.scans == [f"{root}/Alien (1979)/"]
        capsys.readouterr()

        (root / "Alien (1979)").rename(root / "Alien (1979) [1080p]")
        assert main(["--config", str(cfg), "scan"]) == 0
        out = capsys.readouterr().out
        assert kodi.scans[1:] == [f"{root}/Alien (1979) [1080p]/"], kodi.calls
        assert 'Kodi "Living room": 1 sent' in out
        assert {n.state for n in db.PlayerNotification.select()} == {"sent"}


def test_publish_by_hand_beside_a_running_daemon_leaves_the_players_to_it(
    tmp_path, simulator, capsys
):
    """`metarrd publish` by hand while `metarrd run` is up (the README's step 4 done again
    after the service was started): the command sent the rows itself, and the daemon's own
    notify pass (another item's publish) could send the same rows at the same time, two
    RefreshMovies of one watched movie racing (the second noted the first's reset play count
    as the movie's). With a live daemon the rows are its own: one notify job is queued for it,
    and this process tells Kodi nothing."""
    import json
    import time

    with FakeKodi(sources=[str(tmp_path / "movies") + "/"]) as kodi:
        cfg, root = _config(tmp_path, simulator, kodi.url)
        assert main(["--config", str(cfg), "scan"]) == 0
        assert main(["--config", str(cfg), "enrich", "--all"]) == 0
        # the heartbeat `metarrd run` writes every HEALTH_CHECK_SECONDS (pipeline/daemon.py)
        beat = {"at": time.time(), "pid": 4242, "watcher": {"inotify": "ok"},
                "consumer": {"alive": 2, "workers": 2, "scheduler": True}}  # fmt: skip
        db.set_meta("daemon.heartbeat", json.dumps(beat))
        capsys.readouterr()
        assert main(["--config", str(cfg), "publish", "--all"]) == 0
        out = capsys.readouterr().out
        assert kodi.calls == []
        assert 'Kodi "Living room": the running daemon tells it\n' in out  # one: "it"
        assert [n.state for n in db.PlayerNotification.select()] == ["pending"]
        assert db.Job.select().where(db.Job.kind == "notify").count() == 1


def test_players_left_to_the_daemon_are_one_player_or_several():
    """`… tells them` said of the one player of the configuration read as several: "… them"
    only for several, each named as every message names a player (`Kodi "Living room"`)."""
    from metarrd.cli import _left_to_the_daemon

    assert _left_to_the_daemon(['Kodi "Living room"']) == (
        'Kodi "Living room": the running daemon tells it'
    )
    assert _left_to_the_daemon(['Kodi "Bedroom"', 'Plex "Living room"']) == (
        'Kodi "Bedroom", Plex "Living room": the running daemon tells them'
    )


def test_players_test_with_a_name_no_player_has_lists_the_names(tmp_path, simulator, capsys):
    """`metarrd players test Livingroom` said "no player named 'Livingroom'" and nothing more:
    the user opened the configuration to see how the player is spelt there ("Living room")."""
    cfg, _root = _config(tmp_path, simulator, "http://127.0.0.1:9")
    assert main(["--config", str(cfg), "players", "test", "Livingroom"]) == 2
    err = capsys.readouterr().err
    assert 'no player named "Livingroom" (the configuration\'s: Kodi "Living room")' in err


def test_players_test_without_a_player_says_so_and_exits_0(tmp_path, capsys):
    """The README says to delete the example's "Living room" when there is no player: `metarrd
    players test` then said `metarrd: no [[player]] configured` with exit 2, a usage or
    configuration error, for a configuration `config check` finds right. Nothing failed: it
    says what there is to add and exits 0. A NAME there is still no player of: exit 2."""
    (tmp_path / "movies").mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{tmp_path / "movies"}"\n'
        '[providers.tmdb]\napi_key = "k"\n'
    )
    assert main(["--config", str(cfg), "players", "test"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"no [[player]] in {cfg}: no media player to test.")
    assert "docs/players.md" in out
    assert err == ""
    assert main(["--config", str(cfg), "players", "test", "Living room"]) == 2
    err = capsys.readouterr().err
    assert err == f'metarrd: no player named "Living room": {cfg} has no [[player]]\n'
