"""The daemon's full scan (at its start, then every `full_rescan_hours`: the safety net) tries
again the movies and shows whose identify failed: an identify job that failed its last retry
while TMDB was down left its item unidentified, and every later scan found it unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

from metarrd import db
from metarrd.identify import identify_many
from metarrd.pipeline import steps
from metarrd.runtime import open_runtime

MEDIA = Path(__file__).resolve().parent.parent / "media" / "h264_aac_mono.mp4"


def _identify_steps(rt, payload: dict, key: str) -> list[int]:
    job = db.Job.create(kind="scan", key=key, payload=payload)
    return [s.movie_id for s in steps.do_scan(rt, job).follow if s.kind == "identify"]


def test_a_full_scan_identifies_again_what_failed_and_a_folders_scan_its_own(
    config_factory, simulator, tmp_path
):
    rt = open_runtime(config_factory(simulator))
    try:
        for name in ("Heat (1995)", "Alien (1979)"):
            (tmp_path / "movies" / name).mkdir()
            shutil.copy2(MEDIA, tmp_path / "movies" / name / f"{name}.mkv")
        assert len(_identify_steps(rt, {}, "scan:1")) == 2  # new: identified after the scan
        heat = db.Movie.get(db.Movie.path.contains("Heat"))
        alien = db.Movie.get(db.Movie.path.contains("Alien"))
        simulator.fail_5xx(10_000, status=503, prefix="/3/search")
        assert all(o.error for o in identify_many(rt, [heat.id, alien.id]))
        simulator.reset_faults()
        assert identify_many(rt, [alien.id])[0].identified  # the UI's Retry, say

        assert _identify_steps(rt, {}, "scan:2") == [heat.id]
        folder = str(tmp_path / "movies" / "Heat (1995)")
        assert _identify_steps(rt, {"paths": [folder]}, "scan:3") == [heat.id]
        other = str(tmp_path / "movies" / "Alien (1979)")
        assert _identify_steps(rt, {"paths": [other]}, "scan:4") == []
        assert identify_many(rt, [heat.id])[0].identified
        assert _identify_steps(rt, {}, "scan:5") == []
    finally:
        rt.close()


def test_a_full_scan_identifies_again_an_episode_whose_identify_failed_not_one_unmatched(
    tmp_path, simulator, backend
):
    """Sonarr's new episode of a known show, its identify failed while TMDB was down: the full
    scan tries it again; an episode TMDB has no such number for is not asked about again."""
    from tests.tv.conftest import put, tv_config

    rt = open_runtime(tv_config(tmp_path, simulator))
    try:
        tv = tmp_path / "tv"
        put(tv, "Futurama (1999)/Futurama.1x01.Space.Pilot.3000.mkv")
        put(tv, "Firefly (2002)/Firefly - S01E01 - Serenity.mkv")
        assert all(o.identified for o in identify_many(rt, _identify_steps(rt, {}, "scan:1")))
        unknown = put(tv, "Futurama (1999)/Futurama.1x99.mkv")
        assert len(found := _identify_steps(rt, {}, "scan:2")) == 1
        no_such = found[0]
        assert db.Movie.get_by_id(no_such).path == str(unknown)
        outcome = identify_many(rt, [no_such])[0]
        assert not outcome.identified and "S01E99" in outcome.reason
        new = put(tv, "Futurama (1999)/Futurama.1x02.The.Series.Has.Landed.mkv")
        assert len(found := _identify_steps(rt, {}, "scan:2b")) == 1
        episode = found[0]
        assert db.Movie.get_by_id(episode).path == str(new)
        simulator.fail_5xx(10_000, status=503, prefix="/3/tv")
        assert identify_many(rt, [episode])[0].error
        simulator.reset_faults()

        assert _identify_steps(rt, {}, "scan:3") == [episode]
        show = str(tv / "Futurama (1999)")
        assert _identify_steps(rt, {"paths": [show]}, "scan:4") == [episode]
        assert _identify_steps(rt, {"paths": [str(tv / "Firefly (2002)")]}, "scan:5") == []
        assert identify_many(rt, [episode])[0].identified
        assert _identify_steps(rt, {}, "scan:6") == []
    finally:
        rt.close()
