"""The CLI's scan and publish lines for a TV library: they count what the user has (videos,
shows), not the internal items behind them."""

from __future__ import annotations

import shutil

import pytest

from metarrd import db

from .conftest import put

BB = "Breaking Bad (2008)"
BCS = "Better Call Saul (2015)"


@pytest.fixture
def cli_tv(tv_rt, monkeypatch):
    from metarrd import cli

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    return cli


def test_the_scan_line_counts_episode_files_as_the_videos(cli_tv, tmp_path, capsys):
    """`scanned 3 videos: 5 new`: the two new shows were counted among the new videos (a show
    is an item, not a video); the videos are the episode files, the shows are said apart."""
    tv = tmp_path / "tv"
    put(tv, f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(tv, f"{BB}/Season 01/Breaking Bad - S01E02 - Cat.mkv")
    put(tv, f"{BCS}/Season 01/Better Call Saul - S01E01 - Uno.mkv")
    assert cli_tv.main(["scan"]) == 0, capsys.readouterr()
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("scanned 3 videos: 3 new, 0 changed, 0 moved, 0 missing, 0 unchanged;")
    assert "; shows: 2 new; 2 identified" in line

    (tv / BB / "Season 01/Breaking Bad - S01E02 - Cat.mkv").unlink()
    assert cli_tv.main(["scan"]) == 0, capsys.readouterr()
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("scanned 2 videos: 0 new, 0 changed, 0 moved, 1 missing, 2 unchanged;")

    shutil.rmtree(tv / BCS)
    assert cli_tv.main(["scan"]) == 0, capsys.readouterr()
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("scanned 1 video: 0 new, 0 changed, 0 moved, 1 missing, 1 unchanged;")
    assert "; shows: 1 missing; " in line


def test_the_scan_jobs_message_counts_episode_files_as_the_videos(tv_rt, tmp_path):
    """The daemon's scan job said "3 videos: 5 new" for the same reason."""
    from metarrd.pipeline import steps

    tv = tmp_path / "tv"
    put(tv, f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(tv, f"{BB}/Season 01/Breaking Bad - S01E02 - Cat.mkv")
    put(tv, f"{BCS}/Season 01/Better Call Saul - S01E01 - Uno.mkv")
    job = db.Job.create(kind="scan", key="scan:tv", payload={"paths": [str(tv)]})
    assert steps.do_scan(tv_rt, job).message.startswith("3 videos: 3 new, 0 changed,")
