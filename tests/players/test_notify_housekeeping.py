"""A player told of the same items again and again (each Radarr upgrade publishes and tells
again): the finished rows it leaves are forgotten but the newest of each item, which the next
move of the item is told against (metarrd/pipeline/housekeeping.py)."""

from __future__ import annotations

import os

from player_fakes import FakeJellyfin, FakeKodi
from player_helpers import add_movie, kodi_player, queue

from metarrd import db
from metarrd.pipeline import housekeeping
from metarrd.players import process_notifications
from metarrd.publish import tell_players_moved

TITLES = ["Alien (1979)", "Heat (1995)", "Ran (1985)"]
CYCLES = 12


def test_items_told_again_and_again_keep_one_finished_row_each_per_player(make_rt, tmp_path):
    root = tmp_path / "movies"
    N = db.PlayerNotification
    with (
        FakeKodi(sources=["smb://nas/movies/"]) as kodi,
        FakeJellyfin(locations=["/media/movies"]) as jelly,
    ):
        jellyfin = {
            "name": "Jelly", "type": "jellyfin", "url": jelly.url, "token": "jf-key",
            "libraries": ["Movies"], "path_map": [{"from": str(root), "to": "/media/movies"}],
        }  # fmt: skip
        rt = make_rt([kodi_player(kodi.url, root), jellyfin])
        movies = [add_movie(rt, f"{t}/{t}.mkv") for t in TITLES]
        kept_state = None
        for cycle in range(CYCLES):
            for movie in movies:
                queue(movie)  # what each publish of an upgrade queues
            reports = process_notifications(rt)
            assert sorted((r.player, r.sent, r.failed) for r in reports) == [
                ("Jelly", 3, 0),
                ("Kodi", 3, 0),
            ], cycle
            if cycle == 1:  # a watched state Kodi has not been given back yet stays with it
                kept_state = N.select().where(N.movie == movies[0].id).order_by(N.id).first()
                N.update(kept_state=[{"nfo_tags": ["mine"]}]).where(N.id == kept_state.id).execute()
            housekeeping.forget_old()
            assert N.select().count() <= 2 * len(movies) + 1, cycle
        assert N.select().where(N.id == kept_state.id).exists()
        assert {r.state for r in N.select()} == {"sent"}

        # the newest row of each is what the player was told: a moved movie is told anew
        moved = root / "Heat (1995) [r1]"
        os.rename(root / "Heat (1995)", moved)
        heat = movies[1]
        db.Movie.update(path=str(moved / "Heat (1995).mkv")).where(db.Movie.id == heat.id).execute()
        assert tell_players_moved([heat.id]) == 1
        pending = N.select().where(N.state == "pending")
        assert sorted((n.player.name, n.path) for n in pending) == [
            ("Jelly", str(moved / "Heat (1995).mkv")),
            ("Kodi", str(moved / "Heat (1995).mkv")),
        ]
