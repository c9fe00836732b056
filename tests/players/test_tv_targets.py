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


def test_a_folder_stack_and_an_episode_in_a_season_folder_take_the_players_own_paths():
    """The daemon's paths are not the player's (Kodi on Windows reaching the NAS's share): a
    folder stack is told as the folder above its `CD1/`, `CD2/` in the player's form, its first
    part too (Kodi's `stack://`, Plex's `Part.file`, Jellyfin's item); an episode Kodi stores
    in a season folder under the show's mapped folder reads back as our path."""
    from metarrd.players.kodi_tv import our_path
    from metarrd.players.plan import stack_folder

    player = PlayerConfig(
        name="Den", type="kodi", url="http://127.0.0.1:1",
        path_map=(PathMap(from_="/srv/media", to="\\\\nas\\media"),),
    )  # fmt: skip
    parts = [
        "/srv/media/Movies/Heat (1995)/CD1/heat-a.avi",
        "/srv/media/Movies/Heat (1995)/CD2/heat-b.avi",
    ]
    folder = stack_folder(parts[0], parts)
    t = make_target(1, parts[0], player, ["/srv/media/Movies"], folder=folder)
    assert (t.folder, t.mapped_folder, t.mapped_path) == (
        "/srv/media/Movies/Heat (1995)",
        "\\\\nas\\media\\Movies\\Heat (1995)",
        "\\\\nas\\media\\Movies\\Heat (1995)\\CD1\\heat-a.avi",
    )
    (group,) = coalesce([t], player, 5)
    assert group.mapped_folder == "\\\\nas\\media\\Movies\\Heat (1995)"

    show = make_target(2, "/srv/media/TV/Bluey (2018)", player, ["/srv/media/TV"], is_show=True)
    assert show.mapped_folder == "\\\\nas\\media\\TV\\Bluey (2018)"
    kodi_file = "\\\\nas\\media\\TV\\Bluey (2018)\\Season 01\\Bluey - S01E01.mkv"
    assert our_path(kodi_file, show.mapped_folder, show.folder) == (
        "/srv/media/TV/Bluey (2018)/Season 01/Bluey - S01E01.mkv"
    )
