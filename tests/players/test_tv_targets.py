"""A published show is told to players as its show folder, never its library root."""

from __future__ import annotations

from metarrd.config import PathMap, PlayerConfig
from metarrd.players.plan import coalesce, make_target


def test_a_show_target_is_its_folder():
    player = PlayerConfig(
        name="Den", type="jellyfin", url="http://127.0.0.1:1",
        path_map=(PathMap(from_="/srv/tv", to="/data/tv"),),
    )  # fmt: skip
    t = make_target(1, "/srv/tv/Breaking Bad (2008)", player, ["/srv/tv"], is_show=True)
    assert (t.folder, t.mapped_folder, t.root) == (
        "/srv/tv/Breaking Bad (2008)",
        "/data/tv/Breaking Bad (2008)",
        "/srv/tv",
    )
    (group,) = coalesce([t], player, 5)
    assert group.mapped_folder == "/data/tv/Breaking Bad (2008)"
