"""`metarrd scan` on a library of hard cases: every item that carries enough information is
identified, none wrongly, the rest stay unidentified with candidates and a reason."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from pathlib import Path

from metarrd import db
from metarrd.cli import main

from .conftest import EXPECTED, SAMPLE, put, write_config


def run_cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def listing(config: Path, capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert run_cli(config, "list", "--json") == 0
    items = json.loads(capsys.readouterr().out)
    return {unicodedata.normalize("NFC", it["path"]): it for it in items}


def test_hard_cases_identified_correctly_and_never_wrongly(cli_config, hard_library, capsys):
    code = run_cli(cli_config, "scan")
    out = capsys.readouterr()
    items = listing(cli_config, capsys)

    expected = {str(hard_library / rel): tmdb for rel, tmdb in EXPECTED.items()}
    assert sorted(items) == sorted(expected), "samples, trailers, extras, hidden: not movies"
    for path, tmdb_id in expected.items():
        item = items[path]
        assert set(item) >= {
            "id",
            "path",
            "title",
            "year",
            "tmdb_id",
            "imdb_id",
            "identification_status",
            "publish_state",
            "last_error",
        }
        assert item["publish_state"] == "unpublished"
        if tmdb_id is None:
            assert item["identification_status"] == "unidentified", path
            assert item["tmdb_id"] is None, path
            assert item["last_error"], f"{path}: says why"
        else:
            assert item["tmdb_id"] == tmdb_id, path
            assert item["identification_status"] == "identified", path
    assert items[str(hard_library / "Dune (2021)/Dune (2021).mkv")]["imdb_id"] == "tt1160419"
    # the corrupt media file is an error (exit 1), and the scan went on
    assert code == 1
    assert "Broken (2005)" in out.err
    assert "unidentified: " in out.out


def test_unsure_items_keep_their_candidates(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    movie = db.Movie.get(db.Movie.path == str(hard_library / "Dune/Dune.mkv"))
    ids = [c["tmdb_id"] for c in movie.candidates]
    assert 841 in ids and 438631 in ids
    assert "no confident match" in movie.last_error
    assert all("penalties" in c and "distance" in c for c in movie.candidates)


def test_hostile_nfos_are_refused_with_a_clear_error(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    parasite = db.Movie.get(
        db.Movie.path == str(hard_library / "Parasite (2019)/Parasite (2019).mkv")
    )
    assert parasite.tmdb_id == 496243
    assert "entit" in parasite.last_error.lower()
    assert "root:" not in (parasite.title or "") + (parasite.last_error or "")
    bomb = db.Movie.get(db.Movie.title.contains("Totally Unknown"))
    assert "lol" not in (bomb.title or "")
    assert "entit" in bomb.last_error.lower()


def test_user_nfo_values_imported_and_unknown_elements_kept(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    thing = db.Movie.get(db.Movie.path == str(hard_library / "The Thing/The Thing.mkv"))
    assert thing.identified_by == "nfo"
    assert thing.plot == "My own words about this film."
    assert any("<mytool>keep me</mytool>" in e for e in thing.nfo_extra)


def test_stream_details_recorded(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    movie = db.Movie.get(db.Movie.tmdb_id == 438631)
    video = list(movie.video_streams)
    audio = list(movie.audio_streams)
    subs = list(movie.subtitle_streams)
    assert [(v.codec, v.width, v.height) for v in video] == [("h264", 160, 90)]
    assert sorted((a.codec, a.language, a.channels) for a in audio) == [
        ("aac", "eng", 2),
        ("ac3", "fre", 6),
    ]
    assert [s.language for s in subs] == ["ger"]


def test_rescan_is_incremental_and_keeps_items(cli_config, hard_library, capsys, simulator):
    run_cli(cli_config, "scan")
    before = {m.path: m.id for m in db.Movie.select()}
    simulator.reset_requests()
    assert run_cli(cli_config, "scan") == 0  # unchanged files, old errors are not news
    out = capsys.readouterr().out
    assert "0 new, 0 changed" in out
    assert simulator.count("/3/") == 0, "nothing unchanged is looked up again"

    # moved: same file, new folder -> same item, data kept
    old = hard_library / "Heat (1995)/Heat (1995).mkv"
    new_dir = hard_library / "Crime" / "Heat (1995)"
    new_dir.mkdir(parents=True)
    os.rename(old, new_dir / old.name)
    # deleted: item marked missing, data kept
    gone = hard_library / "Leon (1994)/Leon (1994).mkv"
    gone.unlink()
    run_cli(cli_config, "scan")
    heat = db.Movie.get_by_id(before[str(old)])
    assert heat.path == str(new_dir / old.name) and heat.tmdb_id == 949 and not heat.missing
    leon = db.Movie.get_by_id(before[str(gone)])
    assert leon.missing and leon.tmdb_id == 101
    assert db.Movie.select().count() == len(before)
    # and it comes back
    shutil.copy2(SAMPLE, gone)
    run_cli(cli_config, "scan")
    assert not db.Movie.get_by_id(leon.id).missing


def test_locks_hold_after_a_rescan(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    thing = db.Movie.get(db.Movie.path == str(hard_library / "The Thing/The Thing.mkv"))
    thing.plot = "Edited in the UI."
    thing.locked_fields = ["plot"]
    thing.save()
    nfo = hard_library / "The Thing/The Thing.nfo"
    nfo.write_text(nfo.read_text().replace("My own words", "Changed by another tool"))
    run_cli(cli_config, "scan")
    assert db.Movie.get_by_id(thing.id).plot == "Edited in the UI."


def test_scan_of_one_path_only(cli_config, hard_library, capsys):
    target = hard_library / "Dune (1984)"
    assert run_cli(cli_config, "scan", str(target)) == 0
    assert [m.tmdb_id for m in db.Movie.select()] == [841]


def test_existing_artwork_is_cached_as_library_candidates(cli_config, hard_library, caplog):
    from PIL import Image

    folder = hard_library / "Dune (1984)"
    Image.new("RGB", (200, 300), (200, 30, 30)).save(folder / "poster.jpg")
    Image.new("RGB", (320, 180), (30, 30, 200)).save(folder / "Dune (1984)-fanart.jpg")
    (folder / "fanart1.jpg").write_bytes(b"<html>not an image</html>")
    run_cli(cli_config, "scan")
    # the user's own file, said as a file (it was "the provider returned an HTML page")
    said = "fanart1.jpg: existing artwork skipped: the file is an HTML page, not an image"
    assert any(said in r.getMessage() for r in caplog.records)
    movie = db.Movie.get(db.Movie.tmdb_id == 841)
    assert said in movie.last_error  # its page says it too (it was in the log alone)
    assets = {a.asset_type: a for a in movie.assets if a.provider == "library"}
    assert set(assets) == {"poster", "fanart"}
    for asset in assets.values():
        cached = db.CacheImageFile.get(db.CacheImageFile.file_hash == asset.content_hash)
        path = Path(cached.file_path)
        assert path.read_bytes() == Path(asset.url).read_bytes()
        assert path.parent.parent.parent.name == "cache" and path.suffix == ".jpg"
        assert path.name == f"{asset.content_hash}.jpg"


def test_tmdb_key_refused_is_an_error_per_item_and_the_scan_goes_on(
    tmp_path, hard_library, simulator, capsys
):
    cfg = write_config(
        tmp_path / "bad.toml",
        tmp_path / "data",
        {"Movies": hard_library},
        simulator,
        tmdb_key="wrong",
    )
    assert run_cli(cfg, "scan") == 1
    err = capsys.readouterr().err
    assert "refused our credentials (HTTP 401)" in err
    assert "wrong" not in err, "API keys never reach a message"
    items = listing(cfg, capsys)
    assert len(items) == len(EXPECTED)
    assert all(i["identification_status"] == "unidentified" for i in items.values())
    assert all(i["last_error"] for i in items.values())


def test_tmdb_outage_and_rate_limits(tmp_path, simulator, capsys):
    lib = tmp_path / "lib"
    put(lib, "Alien (1979)/Alien (1979).mkv")
    put(lib, "Heat (1995)/Heat (1995).mkv")
    cfg = write_config(tmp_path / "c.toml", tmp_path / "data", {"Movies": lib}, simulator)
    simulator.fail_429(2, retry_after=0, prefix="/3/")  # 0 means wait 1 s
    assert run_cli(cfg, "scan") == 0
    assert {m.tmdb_id for m in db.Movie.select()} == {348, 949}

    put(lib, "Blade Runner (1982)/Blade Runner (1982).mkv")
    simulator.fail_5xx(50, status=503, prefix="/3/")
    assert run_cli(cfg, "scan") == 1
    assert "server error (HTTP 503)" in capsys.readouterr().err
    br = db.Movie.get(db.Movie.title == "Blade Runner")
    assert br.identification_status == "unidentified" and "503" in br.last_error


def test_missing_library_folder_is_reported_and_other_libraries_scanned(
    tmp_path, simulator, capsys
):
    lib = tmp_path / "lib"
    put(lib, "Alien (1979)/Alien (1979).mkv")
    cfg = write_config(
        tmp_path / "c.toml",
        tmp_path / "data",
        {"Gone": tmp_path / "nowhere", "Movies": lib},
        simulator,
    )
    assert run_cli(cfg, "scan") == 1
    assert "library 'Gone': library folder does not exist" in capsys.readouterr().err
    assert db.Movie.get().tmdb_id == 348


def test_manual_identify(cli_config, hard_library, capsys):
    run_cli(cli_config, "scan")
    dune = db.Movie.get(db.Movie.path == str(hard_library / "Dune/Dune.mkv"))
    assert run_cli(cli_config, "identify", str(dune.id), "--tmdb", "438631") == 0
    assert db.Movie.get_by_id(dune.id).tmdb_id == 438631
    assert run_cli(cli_config, "identify", dune.path, "--imdb", "tt0087182") == 0
    fresh = db.Movie.get_by_id(dune.id)
    assert (fresh.tmdb_id, fresh.identified_by) == (841, "manual")
    assert run_cli(cli_config, "identify", str(dune.id), "--tmdb", "999999999") == 1
    assert "unknown to TMDB" in capsys.readouterr().err
    assert run_cli(cli_config, "identify", "424242", "--tmdb", "1") == 2


def test_a_path_that_climbs_out_of_the_library_is_refused(tmp_path, simulator, capsys):
    lib = tmp_path / "lib"
    put(lib, "Alien (1979)/Alien (1979).mkv")
    put(tmp_path, "outside/Heat (1995)/Heat (1995).mkv")
    cfg = write_config(tmp_path / "c.toml", tmp_path / "data", {"Movies": lib}, simulator)
    sneaky = f"{lib}/../outside/Heat (1995)"
    assert run_cli(cfg, "scan", sneaky) == 1
    assert "not inside any configured library" in capsys.readouterr().err
    assert db.Movie.select().count() == 0


def test_root_of_never_takes_dot_dot_for_inside():
    from metarrd.pipeline.watch import root_of

    assert root_of("/srv/movies/A (1999)/a.mkv", ["/srv/movies"]) == "/srv/movies"
    assert root_of("/srv/movies/../etc/passwd", ["/srv/movies"]) is None
    assert root_of("/srv/movies-old/x.mkv", ["/srv/movies"]) is None


def test_identified_as_another_film_the_old_films_images_leave_the_cache(
    cli_config, hard_library, tmp_path
):
    """An item matched to the wrong film, enriched, then identified by the user as the right
    one: the wrong film's candidates went, and its cached images and previews stayed on disk
    with nothing to ever remove them. Now they go, except what another item or the user's own
    image still uses."""
    run_cli(cli_config, "scan")
    dune = db.Movie.get(db.Movie.path == str(hard_library / "Dune/Dune.mkv"))
    other = db.Movie.get(db.Movie.id != dune.id)
    assert run_cli(cli_config, "identify", str(dune.id), "--tmdb", "438631") == 0
    data = tmp_path / "data"

    def cached(movie, image_type, digest, source_type="provider"):
        path = data / "cache" / image_type / digest[:2] / f"{digest}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(digest.encode())
        db.CacheImageFile.create(movie=movie.id, image_type=image_type, file_path=str(path),
                                 file_hash=digest, source_type=source_type)  # fmt: skip
        return path

    def candidate(movie, digest, provider="tmdb"):
        rel = f"{digest[:2]}/{digest}.webp"
        (data / "previews" / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / "previews" / rel).write_bytes(b"RIFF")
        db.ArtworkCandidate.create(movie=movie.id, asset_type="poster", provider=provider,
                                   url=f"https://x/{digest}", preview_path=rel)  # fmt: skip
        return data / "previews" / rel

    wrong = cached(dune, "poster", "a" * 64)
    shared = cached(dune, "fanart", "b" * 64)
    cached(other, "fanart", "b" * 64)
    own = cached(dune, "poster", "c" * 64, source_type="library")
    wrong_preview = candidate(dune, "d" * 64)
    own_preview = candidate(dune, "e" * 64, provider="library")

    assert run_cli(cli_config, "identify", str(dune.id), "--imdb", "tt0087182") == 0

    assert db.Movie.get_by_id(dune.id).tmdb_id == 841
    assert not wrong.exists() and not wrong_preview.exists()
    assert shared.exists() and own.exists() and own_preview.exists()
    left = db.CacheImageFile.select().where(db.CacheImageFile.movie == dune.id)
    assert [r.file_path for r in left] == [str(own)]
