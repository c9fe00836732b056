"""The acceptance contract (the shared interface.md) end to end through the real command line, on
one config file with a movie and a TV library against the provider simulator: `list --json`'s
fields and types for movies, shows and episodes, `publish --all` covering both kinds, the cache
layout they leave, and `identify` of a show given by its folder with each of its id options."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from metarrd.cli import main
from metarrd.config import ASSET_TYPES
from tests.conftest import providers_toml

MEDIA = Path(__file__).resolve().parent / "media" / "h264_aac_mono.mp4"
MOVIES = ["The Matrix (1999)/The Matrix (1999).mkv", "Heat (1995)/Heat.1995.1080p.BluRay.mkv"]
EPISODES = [
    "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02E03.mkv",
    "Breaking Bad (2008)/Specials/Breaking Bad - S00E01.mkv",
    "Futurama (1999)/Futurama.1x01.Space.Pilot.3000.mkv",
]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def libraries(tmp_path, simulator) -> tuple[Path, Path, Path]:
    """(config file, movie library, TV library), as a user writes them."""
    movies, tv = tmp_path / "movies", tmp_path / "tv"
    for root, names in ((movies, MOVIES), (tv, EPISODES)):
        for name in names:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(MEDIA, root / name)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{movies}"\nkind = "movie"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator)
        + f'[providers.tvdb]\napi_key = "{simulator.keys.tvdb_key}"\n'
        f'base_url = "{simulator.tvdb_url}"\n'
    )
    return cfg, movies, tv


def cli(cfg: Path, *args: str) -> int:
    return main(["--config", str(cfg), *args])


def listed(cfg: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert cli(cfg, "list", "--json") == 0
    return json.loads(capsys.readouterr().out)


def _int_or_none(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _check_fields(entries: list[dict], movies: Path, tv: Path) -> None:
    for e in entries:  # every element: the movie fields
        assert isinstance(e["id"], int) and Path(e["path"]).is_absolute(), e
        assert e["title"] is None or isinstance(e["title"], str), e
        assert _int_or_none(e["year"]) and _int_or_none(e["tmdb_id"]), e
        assert e["imdb_id"] is None or isinstance(e["imdb_id"], str), e
        assert e["identification_status"] in ("unidentified", "identified", "enriched"), e
        assert e["publish_state"] in ("unpublished", "published", "outdated"), e
        assert e["last_error"] is None or isinstance(e["last_error"], str), e
    kinds = {e["path"]: e["kind"] for e in entries}
    assert kinds == {
        **{str(movies / name): "movie" for name in MOVIES},
        str(tv / "Breaking Bad (2008)"): "show",
        str(tv / "Futurama (1999)"): "show",
        **{str(tv / name): "episode" for name in EPISODES},
    }
    shows = {e["id"]: e for e in entries if e["kind"] == "show"}
    episodes = [e for e in entries if e["kind"] == "episode"]
    for show in shows.values():
        assert _int_or_none(show["tvdb_id"]) and isinstance(show["episode_count"], int), show
        assert show["episode_count"] == sum(e["show_id"] == show["id"] for e in episodes)
    for ep in episodes:
        assert ep["show_id"] in shows and Path(ep["path"]).parent.is_relative_to(
            shows[ep["show_id"]]["path"]
        )
        assert isinstance(ep["season"], int) and not isinstance(ep["season"], bool), ep
        assert ep["episodes"] and all(type(n) is int for n in ep["episodes"]), ep
        assert ep["aired"] is None or DATE.fullmatch(ep["aired"]), ep
        assert _int_or_none(ep["tvdb_id"]), ep


def test_list_json_publish_all_and_the_cache_as_the_contract_says(libraries, capsys):
    cfg, movies, tv = libraries
    assert cli(cfg, "scan") == 0
    entries = listed(cfg, capsys)
    _check_fields(entries, movies, tv)
    by_path = {e["path"]: e for e in entries}
    double = by_path[str(tv / EPISODES[1])]
    assert (double["season"], double["episodes"], double["title"]) == (1, [2, 3], None)
    assert DATE.fullmatch(double["aired"]) and double["tmdb_id"] and double["tvdb_id"]
    special = by_path[str(tv / EPISODES[2])]
    assert (special["season"], special["episodes"]) == (0, [1])
    show = by_path[str(tv / "Breaking Bad (2008)")]
    assert (show["tmdb_id"], show["tvdb_id"], show["imdb_id"]) == (1396, 81189, "tt0903747")
    assert show["episode_count"] == 3 and double["show_id"] == show["id"]
    assert {e["identification_status"] for e in entries} == {"identified"}

    assert cli(cfg, "enrich", "--all") == 0
    assert cli(cfg, "publish", "--all") == 0  # movies and shows, with the shows' episodes
    entries = listed(cfg, capsys)
    _check_fields(entries, movies, tv)
    assert {(e["identification_status"], e["publish_state"]) for e in entries} == {
        ("enriched", "published")
    }
    by_path = {e["path"]: e for e in entries}
    assert by_path[str(tv / EPISODES[1])]["title"] == "Cat's in the Bag..."  # the first one's
    assert by_path[str(tv / EPISODES[0])]["title"] == "Pilot"
    assert (tv / "Breaking Bad (2008)" / "tvshow.nfo").is_file()
    assert (tv / "Futurama (1999)" / "Futurama.1x01.Space.Pilot.3000.nfo").is_file()
    assert (movies / "Heat (1995)" / "Heat.1995.1080p.BluRay.nfo").is_file()

    # <data_dir>/cache/<asset_type>/<hash[0:2]>/<hash>.<ext>, the ext from the real format,
    # actor thumbnails under cache/actor/, nothing else
    cache = cfg.parent / "data" / "cache"
    files = [p for p in cache.rglob("*") if not p.is_dir()]
    types = {p.relative_to(cache).parts[0] for p in files}
    assert {"poster", "fanart", "actor", "characterart", "season-all-poster"} <= types
    assert types <= {*ASSET_TYPES, "actor"}
    extension = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
    for path in files:
        asset_type, prefix, name = path.relative_to(cache).parts
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert (prefix, path.stem) == (digest[:2], digest), path
        with Image.open(path) as image:
            assert path.suffix == extension[image.format], path


def test_identify_a_show_by_its_folder_with_each_id_and_scan_it_by_path(libraries, capsys):
    """`identify ITEM (--tmdb ID | --tvdb ID | --imdb TT)` takes a show, ITEM its folder's path;
    `scan PATH` takes a show folder or an episode file."""
    cfg, _movies, tv = libraries
    folder = tv / "Futurama (1999)"
    assert cli(cfg, "scan", str(folder)) == 0
    for option, value in (("--tvdb", "73871"), ("--imdb", "tt0149460"), ("--tmdb", "615")):
        assert cli(cfg, "identify", f"{folder}/", option, value) == 0, capsys.readouterr().err
        by_path = {e["path"]: e for e in listed(cfg, capsys)}
        show = by_path[str(folder)]
        assert (show["tmdb_id"], show["tvdb_id"], show["imdb_id"]) == (615, 73871, "tt0149460")
        assert show["identification_status"] == "identified"
        pilot = by_path[str(tv / EPISODES[3])]
        assert (pilot["identification_status"], pilot["episodes"]) == ("identified", [1])
    second = folder / "Season 1" / "Futurama - S01E02.mkv"
    second.parent.mkdir()
    shutil.copy2(MEDIA, second)
    assert cli(cfg, "scan", str(second)) == 0
    ep = {e["path"]: e for e in listed(cfg, capsys)}[str(second)]
    assert (ep["kind"], ep["season"], ep["episodes"]) == ("episode", 1, [2])
    assert ep["identification_status"] == "identified" and DATE.fullmatch(ep["aired"])
    # an episode file as ITEM: enrich takes what its show needs, publish writes its files
    assert cli(cfg, "enrich", str(second)) == 0
    assert cli(cfg, "publish", str(second)) == 0
    assert (second.parent / "Futurama - S01E02.nfo").is_file()


def test_a_scan_while_tmdb_is_down_is_identified_by_the_next_scan(libraries, simulator, capsys):
    """README's "try it by hand": `metarrd scan` while TMDB does not answer fails each new item
    (exit 1, a line each). Run again once TMDB is back, the scan found them unchanged and
    identified none ("0 identified"): they stayed unidentified for good, with no command short
    of `identify ITEM --tmdb ID` by hand. The scan tries them again."""
    cfg, movies, tv = libraries
    simulator.fail_5xx(10_000, status=503, prefix="/3/search")
    assert cli(cfg, "scan", str(movies / "Heat (1995)"), str(tv / "Futurama (1999)")) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("503" in line for line in err), err
    simulator.reset_faults()
    assert cli(cfg, "scan", str(movies / "Heat (1995)"), str(tv / "Futurama (1999)")) == 0
    assert "2 identified, 0 left unidentified" in capsys.readouterr().out
    by_path = {e["path"]: e for e in listed(cfg, capsys)}
    heat, futurama = by_path[str(movies / MOVIES[1])], by_path[str(tv / "Futurama (1999)")]
    assert (heat["tmdb_id"], heat["identification_status"], heat["last_error"]) == (
        949, "identified", None,
    )  # fmt: skip
    assert (futurama["tmdb_id"], futurama["identification_status"]) == (615, "identified")
    assert by_path[str(tv / EPISODES[3])]["identification_status"] == "identified"
    # identified now: a scan again asks TMDB nothing
    searches = simulator.count("/3/search")
    assert cli(cfg, "scan", str(movies / "Heat (1995)"), str(tv / "Futurama (1999)")) == 0
    assert simulator.count("/3/search") == searches


def test_the_users_own_pictures_are_cached_as_found_named_by_their_real_format(libraries, capsys):
    """interface.md, Files: the cache holds exactly the bytes found in the library, `<ext>` from
    the real format (a PNG saved as `-poster.jpg`), actor thumbnails under cache/actor/; and
    what publish replaces of the user's is in it first."""
    cfg, movies, _tv = libraries
    folder = movies / "Heat (1995)"
    (folder / ".actors").mkdir()
    pictures = {
        folder / "Heat.1995.1080p.BluRay-poster.jpg": ("PNG", (400, 600), "poster", ".png"),
        folder / "fanart.webp": ("WEBP", (1280, 720), "fanart", ".webp"),
        folder / ".actors" / "Al_Pacino.jpg": ("JPEG", (300, 450), "actor", ".jpg"),
    }
    found = {}
    for i, (path, (fmt, size, _type, _ext)) in enumerate(pictures.items()):
        Image.new("RGB", size, (40 * i, 90, 160)).save(path, fmt)
        found[path] = path.read_bytes()
    assert cli(cfg, "scan", str(folder)) == 0
    assert cli(cfg, "enrich", str(folder)) == 0
    assert cli(cfg, "publish", str(folder)) == 0, capsys.readouterr().err
    assert (folder / ".actors" / "Al_Pacino.jpg").read_bytes() != found[
        folder / ".actors" / "Al_Pacino.jpg"
    ]
    cache = cfg.parent / "data" / "cache"
    for path, (_fmt, _size, asset_type, ext) in pictures.items():
        digest = hashlib.sha256(found[path]).hexdigest()
        cached = cache / asset_type / digest[:2] / f"{digest}{ext}"
        assert cached.read_bytes() == found[path], path
    assert {p.name for p in cache.iterdir()} <= {*ASSET_TYPES, "actor"}


def test_a_new_episode_found_while_tmdb_is_down_is_identified_by_the_next_scan(
    libraries, simulator, capsys
):
    """Sonarr brings an episode of a show already identified while TMDB does not answer: the
    scan fails it (exit 1, its line). Run again once TMDB is back, the episode was unchanged and
    tried by nothing: it stayed unidentified for good (the movies' and shows' retry left
    episodes out)."""
    cfg, _movies, tv = libraries
    show = tv / "Futurama (1999)"
    assert cli(cfg, "scan", str(show)) == 0
    new = show / "Futurama.1x02.The.Series.Has.Landed.mkv"
    shutil.copy2(MEDIA, new)
    simulator.fail_5xx(10_000, status=503, prefix="/3/tv")
    assert cli(cfg, "scan", str(show)) == 1
    err = capsys.readouterr().err
    assert "503" in err and "1x02" in err, err
    simulator.reset_faults()
    assert cli(cfg, "scan", str(show)) == 0
    by_path = {e["path"]: e for e in listed(cfg, capsys)}
    assert by_path[str(new)]["identification_status"] == "identified", by_path[str(new)]
    assert by_path[str(new)]["episodes"] == [2] and by_path[str(new)]["last_error"] is None
    # a file TMDB has no episode for is not asked about again at every scan
    (show / "Futurama.1x99.mkv").write_bytes(MEDIA.read_bytes())
    assert cli(cfg, "scan", str(show)) == 0  # S01E99: no such episode, said once
    assert "TMDB has no episode S01E99" in capsys.readouterr().out
    asked = simulator.count("/3/tv")
    assert cli(cfg, "scan", str(show)) == 0
    assert simulator.count("/3/tv") == asked
