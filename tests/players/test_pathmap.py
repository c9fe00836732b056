from __future__ import annotations

import pytest

from metarrd import pathmap
from metarrd.config import PathMap, PlayerConfig
from metarrd.pathmap import PathNotMapped, map_path
from metarrd.players import plan


def pm(*pairs: tuple[str, str]) -> tuple[PathMap, ...]:
    return tuple(PathMap(a, b) for a, b in pairs)


def test_no_path_map_means_the_player_sees_our_paths():
    assert map_path("/srv/movies/A (1999)/a.mkv", ()) == "/srv/movies/A (1999)/a.mkv"


def test_longest_prefix_wins_whatever_the_order():
    mapping = pm(("/srv", "/mnt/srv"), ("/srv/movies/4k", "smb://nas/uhd"), ("/srv/movies", "/m"))
    assert map_path("/srv/movies/4k/B/b.mkv", mapping) == "smb://nas/uhd/B/b.mkv"
    assert map_path("/srv/movies/A/a.mkv", mapping) == "/m/A/a.mkv"
    assert map_path("/srv/tv/x.mkv", mapping) == "/mnt/srv/tv/x.mkv"


def test_prefix_matches_whole_components_only():
    mapping = pm(("/srv/movies", "/m"))
    with pytest.raises(PathNotMapped) as err:
        map_path("/srv/movies2/A/a.mkv", mapping, 'Kodi "Den"')
    assert "/srv/movies2/A/a.mkv" in str(err.value)
    assert 'Kodi "Den"' in str(err.value)


def test_trailing_separators_in_the_map_do_not_matter():
    mapping = pm(("/srv/movies/", "smb://nas/movies/"))
    assert map_path("/srv/movies/A/a.mkv", mapping) == "smb://nas/movies/A/a.mkv"
    assert map_path("/srv/movies", mapping) == "smb://nas/movies"


def test_windows_drive_and_unc_targets_get_backslashes():
    assert map_path("/srv/movies/A (1999)/a.mkv", pm(("/srv/movies", "D:\\Movies"))) == (
        "D:\\Movies\\A (1999)\\a.mkv"
    )
    assert map_path("/srv/movies/A/a.mkv", pm(("/srv/movies", "\\\\nas\\movies\\"))) == (
        "\\\\nas\\movies\\A\\a.mkv"
    )
    assert map_path("/srv/movies/A/a.mkv", pm(("/srv/movies", "D:\\"))) == "D:\\A\\a.mkv"


def test_a_windows_sender_path_maps_onto_ours_ignoring_case_and_separator():
    """`[webhooks] path_map` the other way round: Radarr/Sonarr on Windows to our POSIX paths."""
    mapping = pm(("d:\\media", "/srv"), ("D:/Media/TV/", "/srv/tv"), ("\\\\nas\\tv", "/mnt/tv"))
    assert map_path("D:\\Media\\TV\\Show (2010)\\Season 01\\a.mkv", mapping) == (
        "/srv/tv/Show (2010)/Season 01/a.mkv"
    )
    assert map_path("D:\\MEDIA\\Movies\\A (1999)", mapping) == "/srv/Movies/A (1999)"
    assert map_path("\\\\NAS\\TV\\Show\\a.mkv", mapping) == "/mnt/tv/Show/a.mkv"
    assert map_path("D:\\Media\\TV", mapping) == "/srv/tv"
    assert map_path("E:\\x.mkv", pm(("E:\\", "/srv/e"))) == "/srv/e/x.mkv"


def test_a_windows_path_climbs_no_higher_than_windows_would():
    mapping = pm(("D:\\Media\\TV", "/srv/tv"), ("\\\\nas\\tv", "/mnt/tv"))
    assert map_path("D:\\Media\\TV\\Show\\..\\Other\\a.mkv", mapping) == "/srv/tv/Other/a.mkv"
    assert map_path("\\\\nas\\tv\\..\\..\\etc\\passwd", mapping) == "/mnt/tv/etc/passwd"
    with pytest.raises(PathNotMapped, match=r"D:\\etc"):
        map_path("D:\\Media\\TV\\..\\..\\..\\etc", mapping)
    with pytest.raises(PathNotMapped):
        map_path("D:\\Media\\TV2\\a.mkv", mapping)  # whole folders only, as for POSIX


def test_a_windows_path_is_never_ours_as_it_is():
    with pytest.raises(PathNotMapped):
        map_path("D:\\Media\\a.mkv", ())
    with pytest.raises(PathNotMapped):
        map_path("D:\\Media\\a.mkv", pm(("/", "/srv")))  # a POSIX `from` holds no Windows path


def test_root_mappings():
    assert map_path("/a/b.mkv", pm(("/", "smb://nas/root"))) == "smb://nas/root/a/b.mkv"
    assert map_path("/srv/a.mkv", pm(("/srv", "/"))) == "/a.mkv"


def test_kodi_folder_has_exactly_one_trailing_separator():
    assert pathmap.kodi_folder("smb://nas/movies/A (1999)") == "smb://nas/movies/A (1999)/"
    assert pathmap.kodi_folder("/m/A/") == "/m/A/"
    assert pathmap.kodi_folder("D:\\Movies\\A") == "D:\\Movies\\A\\"


def test_is_under():
    assert pathmap.is_under("smb://nas/movies/A", "smb://nas/movies/")
    assert pathmap.is_under("/m", "/m")
    assert not pathmap.is_under("/movies2/A", "/movies")
    assert pathmap.is_under("d:\\movies\\A", "D:\\Movies")  # Windows ignores case
    assert not pathmap.is_under("/Movies/A", "/movies")


def test_multipath_sources_are_split_and_decoded():
    source = "multipath://%2fsrv%2fa%2f/smb%3a%2f%2fnas%2fb%2f/"
    assert pathmap.kodi_source_paths(source) == ["/srv/a/", "smb://nas/b/"]
    assert pathmap.kodi_source_paths("/srv/a/") == ["/srv/a/"]


PLAYER = PlayerConfig(name="Den", type="kodi", url="http://x", path_map=pm(("/lib", "smb://n/l")))


def target(key: int, path: str, root: str = "/lib", is_disc: bool = False) -> plan.Target:
    return plan.make_target(key, path, PLAYER, [root], is_disc)


def test_target_maps_file_and_folder():
    t = target(1, "/lib/A (1999)/A (1999).mkv")
    assert (t.folder, t.root) == ("/lib/A (1999)", "/lib")
    assert t.mapped_path == "smb://n/l/A (1999)/A (1999).mkv"
    assert t.mapped_folder == "smb://n/l/A (1999)"


def test_disc_folder_is_the_movie_folder():
    assert target(1, "/lib/B/VIDEO_TS", is_disc=True).folder == "/lib/B"
    assert target(1, "/lib/B", is_disc=True).folder == "/lib/B"


def test_coalesce_names_few_folders_and_merges_many():
    few = [target(i, f"/lib/M{i}/m.mkv") for i in range(3)]
    assert [g.mapped_folder for g in plan.coalesce(few, PLAYER, 3)] == [
        "smb://n/l/M0",
        "smb://n/l/M1",
        "smb://n/l/M2",
    ]
    many = few + [target(9, "/lib/M9/m.mkv"), target(10, "/lib/M0/other.mkv")]
    groups = plan.coalesce(many, PLAYER, 3)
    assert [(g.mapped_folder, len(g.targets)) for g in groups] == [("smb://n/l", 5)]


def test_coalesce_finds_the_deepest_common_folder():
    ts = [target(i, f"/lib/hd/M{i}/m.mkv") for i in range(5)]
    assert [g.folder for g in plan.coalesce(ts, PLAYER, 1)] == ["/lib/hd"]


def test_coalesce_keeps_libraries_apart():
    player = PlayerConfig(name="P", type="plex", url="http://x")
    ts = [plan.make_target(i, f"/a/M{i}/m.mkv", player, ["/a", "/b"]) for i in range(3)]
    ts += [plan.make_target(9, "/b/X/x.mkv", player, ["/a", "/b"])]
    groups = plan.coalesce(ts, player, 2)
    assert [(g.folder, len(g.targets)) for g in groups] == [("/a", 3), ("/b/X", 1)]
