"""`metarrd scan` of a new show: the episode files its identify leaves unmatched are said, one
line each, as a film left unidentified is. The show's line counted them nowhere: the command
said "1 identified, 0 left unidentified" over a file that would get no NFO."""

from __future__ import annotations

from metarrd import db
from metarrd.cli import main

from .conftest import put
from .test_library_kind_changed import write_config


def test_scan_names_the_episodes_a_new_show_left_unmatched(tmp_path, simulator, backend, capsys):
    root = tmp_path / "tv"
    put(root, "Polder Light/Season 1/Polder Light - S01E01 - The Lock.mkv")
    put(root, "Polder Light/Season 1/Polder Light - S01E07.mkv")  # TMDB has three episodes
    cfg = write_config(tmp_path, simulator, root, "tv")
    assert main(["--config", str(cfg), "scan"]) == 0
    out = capsys.readouterr().out.splitlines()
    seventh = db.Movie.get(db.Movie.path.endswith("Polder Light - S01E07.mkv"))
    assert seventh.identification_status == db.UNIDENTIFIED
    assert f"unidentified: item {seventh.id} ({seventh.path}): {seventh.last_error}" in out
    assert "TMDB has no episode S01E07 of Polder Light" in seventh.last_error
    assert not [line for line in out if "S01E01" in line]  # the one matched: no line
    assert "shows: 1 new; 1 identified, 1 left unidentified" in out[-1]
