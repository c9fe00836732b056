"""SIGKILL during a show's publish (like test_crash.py for movies): after every kill no library
file is torn, no file of the user's is lost, and a player scanning with local information only
never meets our `tvshow.nfo` with `episodeguide` beside an episode without its NFO; the next
publish finishes the layout, and one more changes nothing."""

from __future__ import annotations

import os
import random
import signal
import statistics
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from metarrd import db
from tests.publish.test_crash import Zygote
from tests.publish.tvshow import build_show, tv_runtime

KILLS = int(os.environ.get("METARRD_TV_CRASH_KILLS", "60"))


class TvZygote(Zygote):
    @staticmethod
    def settings(config) -> dict:  # a TV library: its kind goes along
        return {
            "data_dir": config.data_dir,
            "library": [
                {"name": lib.name, "path": lib.path, "kind": "tv"} for lib in config.library
            ],
            "providers": {"timeout_seconds": 5.0, "max_retries": 0},
        }


def check(folder: Path, user: dict[Path, bytes], context: str) -> None:
    videos = [p for p in folder.rglob("*.mkv")]
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix == ".mkv" or path in user:
            continue
        if ".metarrd-tmp" in path.name:
            continue  # a temp file: no player reads it, the next publish removes it
        if path.suffix == ".nfo":
            text = path.read_text("utf-8")
            assert text.startswith("<?xml"), f"{context}: {path} is torn"
            body = text.split("?>", 1)[1]
            if path.name in ("tvshow.nfo", "season.nfo"):
                etree.fromstring(body.encode())
            else:
                for block in body.split("</episodedetails>"):
                    if block.strip():
                        etree.fromstring((block + "</episodedetails>").encode())
        else:
            with Image.open(path) as im:
                im.load()  # a torn image fails here
    for path, data in user.items():
        assert path.read_bytes() == data, f"{context}: the user's {path.name} changed"
    show_nfo = folder / "tvshow.nfo"
    if show_nfo.exists() and "<episodeguide>" in show_nfo.read_text("utf-8"):
        for video in videos:
            assert video.with_suffix(".nfo").exists(), (
                f"{context}: tvshow.nfo has episodeguide but {video.name} has no NFO"
            )


@pytest.mark.slow
def test_sigkill_during_a_show_publish(tmp_path):
    seed = int(os.environ.get("METARRD_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    rt = tv_runtime(tmp_path)
    try:
        built = build_show(rt)
        folder = built.folder
        user = {folder / "season.nfo": b"the user's", folder / "Season 01" / "notes.txt": b"mine"}
        for path, data in user.items():
            path.write_bytes(data)
        zygote = TvZygote(rt.config, tmp_path / "worker.log")
        try:
            durations = []
            kills = runs = 0
            while kills < KILLS and runs < KILLS * 3:
                runs += 1
                context = f"seed {seed}, run {runs}"
                if rng.random() < 0.5:  # the data changes: every NFO is rewritten
                    db.Movie.update(plot=f"Plot version {runs}").where(
                        db.Movie.show == built.show.id
                    ).execute()
                    db.Movie.update(plot=f"Show plot {runs}").where(
                        db.Movie.id == built.show.id
                    ).execute()
                if rng.random() < 0.1 and (folder / "tvshow.nfo").exists():
                    (folder / "tvshow.nfo").unlink()  # the user deletes ours
                whole = not durations or runs % 10 == 0
                kill = None if whole else rng.uniform(0, statistics.median(durations[-15:]))
                outcome, took = zygote.run([built.show.id], kill)
                if outcome == f"signal {signal.SIGKILL}":
                    kills += 1
                else:
                    assert outcome == "exit 0", (
                        f"{context}: {(tmp_path / 'worker.log').read_text()}"
                    )
                    durations.append(took)
                check(folder, user, context)
            assert kills >= KILLS // 2, f"seed {seed}: only {kills} of {runs} runs were killed"
            assert zygote.run([built.show.id], None)[0] == "exit 0"
            check(folder, user, f"seed {seed}, final")
            for video in folder.rglob("*.mkv"):
                assert video.with_suffix(".nfo").exists()
            assert "<episodeguide>" in (folder / "tvshow.nfo").read_text()
            assert not [p for p in folder.rglob("*") if ".metarrd-tmp" in p.name]
            from metarrd.publish import publish_item

            again = publish_item(rt, db.Movie.get_by_id(built.show.id))
            assert again.written == [] and again.removed == []
        finally:
            zygote.close()
    finally:
        rt.close()
