"""`metarrd scan` of a new show: the episode files its identify leaves unmatched are said, one
line each, as a film left unidentified is. The show's line counted them nowhere: the command
said "1 identified, 0 left unidentified" over a file that would get no NFO."""

from __future__ import annotations

import tomllib

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


def test_a_folder_of_shows_is_said_to_be_one(tmp_path, simulator, backend, capsys):
    """`TV/Cartoons/Futurama (1999)/Season 01/…`: a category folder in a TV library. Kodi takes
    `Cartoons` for the show (kodi-tv.md §1.2: the show is the folder), and so does the scan; its search found nothing, and
    the reason said only "TMDB has no TV show matching 'Cartoons'"."""
    root = tmp_path / "tv"
    put(root, "Cartoons/Futurama (1999)/Season 01/Futurama - S01E03 - I, Roommate.mkv")
    put(root, "Cartoons/Futurama (1999)/Season 02/Futurama - S02E01.mkv")
    put(root, "Cartoons/Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    put(root, "Breaking Bad (2008)/Season 1/Breaking Bad - S01E01 - Pilot.mkv")
    put(root, "Breaking Bad (2008)/Extras/Season 1/Inside Breaking Bad - S01E01.mkv")
    cfg = write_config(tmp_path, simulator, root, "tv")
    main(["--config", str(cfg), "scan"])
    out = capsys.readouterr().out
    cartoons = db.Movie.get(db.Movie.path == str(root / "Cartoons"))
    assert cartoons.identification_status == db.UNIDENTIFIED
    assert cartoons.last_error == (
        "TMDB has no TV show matching 'Cartoons'; its files are in show folders of their own "
        "below it (Firefly (2002), Futurama (1999)): Kodi takes each folder right in a TV "
        "library for one show, so a folder of shows is a library of its own: [[library]] "
        f"path = '{root / 'Cartoons'}', kind = \"tv\""
    )
    assert cartoons.last_error in out
    bb = db.Movie.get(db.Movie.path == str(root / "Breaking Bad (2008)"))
    assert bb.identification_status == db.IDENTIFIED  # a show: not said to be a folder of them


def test_the_library_line_of_a_folder_of_shows_is_valid_toml(tmp_path, simulator, backend, capsys):
    """A category folder named with a `'` and a `"`: the `[[library]]` line the reason gives
    is pasted into config.toml; it was Python's repr of the path (`'…/Kids\\' "Saturday
    Morning" Cartoons'`), which is no TOML."""
    root = tmp_path / "tv"
    folder = root / 'Kids\' "Saturday Morning" Cartoons'
    put(folder, "Futurama (1999)/Season 01/Futurama - S01E03 - I, Roommate.mkv")
    put(folder, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    main(["--config", str(write_config(tmp_path, simulator, root, "tv")), "scan"])
    capsys.readouterr()
    line = db.Movie.get(db.Movie.path == str(folder)).last_error.split("[[library]] ", 1)[1]
    assert tomllib.loads(line.replace(", kind = ", "\nkind = ")) == {
        "path": str(folder),
        "kind": "tv",
    }


SONARR_FIREFLY = [  # Sonarr's default naming: TheTVDB's aired order, which aired The Train Job first
    "Firefly (2002)/Season 1/Firefly - S01E01 - The Train Job WEBDL-720p.mkv",
    "Firefly (2002)/Season 1/Firefly - S01E02 - Bushwhacked WEBDL-720p.mkv",
    "Firefly (2002)/Season 1/Firefly - S01E11 - Serenity WEBDL-720p.mkv",
]


def test_names_titled_in_thetvdbs_order_are_said_to_be(tmp_path, simulator, backend, capsys):
    """A Sonarr library scanned by hand (no webhook, no NFO) is matched in TMDB's aired order,
    the default: `S01E01 - The Train Job` got TMDB's S01E01, "Serenity", its plot and its
    still, and the show's note said only that the two orders differ. The file names' own
    episode titles say which order they follow."""
    root = tmp_path / "tv"
    for rel in SONARR_FIREFLY:
        put(root, rel)
    cfg = write_config(tmp_path, simulator, root, "tv")
    assert main(["--config", str(cfg), "scan"]) == 0
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert show.ordering == "tmdb:default"
    assert (
        "3 file name(s) title their episode as TheTVDB's aired order numbers it, not TMDB's "
        "(e.g. S01E01 'The Train Job', TMDB's 'Serenity'): Sonarr's names; switch the show's "
        f"episode order to TheTVDB aired order: `metarrd tv order {show.id} tvdb` or the show page"
    ) in show.numbering_note
    assert main(["--config", str(cfg), "tv", "order", str(show.id), "tvdb"]) == 0
    show = db.Movie.get_by_id(show.id)
    assert "title their episode" not in (show.numbering_note or "")
    first = db.Movie.get(db.Movie.path.endswith("S01E01 - The Train Job WEBDL-720p.mkv"))
    assert first.episode_refs[0]["title"] == "The Train Job"


def test_names_titled_as_tmdb_numbers_them_say_nothing(tmp_path, simulator, backend):
    root = tmp_path / "tv"
    put(root, "Firefly (2002)/Season 1/Firefly - S01E01 - Serenity.mkv")
    put(root, "Firefly (2002)/Season 1/Firefly - S01E02 - The Train Job.mkv")
    assert main(["--config", str(write_config(tmp_path, simulator, root, "tv")), "scan"]) == 0
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert "title their episode" not in (show.numbering_note or "")
