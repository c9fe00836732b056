"""Players told of the same items again and again (each Radarr upgrade publishes and tells
again): the finished rows they leave are forgotten but the newest of each item, which the next
move of the item is told against, and those whose kept state is still read
(metarrd/pipeline/housekeeping.py)."""

from __future__ import annotations

import os

from player_fakes import FakeJellyfin, FakeKodi
from player_helpers import kodi_player

from metarrd import db
from metarrd.pipeline import housekeeping
from metarrd.players import kodi_kept, process_notifications
from metarrd.players.kodi_tv import Watched
from metarrd.publish import publish_item, tell_players_moved
from tests.publish.conftest import build_enriched

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
        built = [
            build_enriched(rt, t, title=t[:-7], tmdb_id=100 + n, tags=["ours"])
            for n, t in enumerate(TITLES)
        ]
        watched = None
        for cycle in range(CYCLES):
            for item in built:  # an upgrade: published again, each player told again
                db.Movie.update(plot=f"Cut {cycle}.").where(db.Movie.id == item.movie.id).execute()
                publish_item(rt, item.reload())
            reports = process_notifications(rt)
            assert sorted((r.player, r.sent, r.failed) for r in reports) == [
                ("Jelly", 3, 0),
                ("Kodi", 3, 0),
            ], cycle
            if cycle == 1:  # a watched state Kodi has not been given back yet stays with it
                watched = N.select().where(N.movie == built[0].movie.id).order_by(N.id).first()
                kodi_kept.keep(watched.id, [Watched("S01E01.mkv", 1, 1, {"playcount": 1})])
            housekeeping.forget_old()
            assert N.select().count() <= 2 * len(built) + 1, cycle
        assert {r.state for r in N.select()} == {"sent"}
        assert N.select().where(N.id == watched.id).exists()
        kodi_row = db.MediaPlayer.get(db.MediaPlayer.name == "Kodi")
        for item in built:  # the tags of the NFO Kodi read last are still known
            newest = N.select().where(N.movie == item.movie.id, N.player == kodi_row)
            newest = newest.order_by(N.id.desc()).first()
            assert kodi_kept.told_tags(newest.id) == ["ours"]

        # the newest row of each is what the player was told: a moved movie is told anew
        heat = built[1].reload()
        moved = root / "Heat (1995) [r1]"
        os.rename(built[1].folder, moved)
        video = moved / "Heat (1995).mkv"
        db.Movie.update(path=str(video)).where(db.Movie.id == heat.id).execute()
        assert tell_players_moved([heat.id]) == 1
        pending = N.select().where(N.state == "pending")
        assert sorted((n.player.name, n.path) for n in pending) == [
            ("Jelly", str(video)),
            ("Kodi", str(video)),
        ]
