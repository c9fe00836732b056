"""What a scan leaves out by name (samples, trailers, extras) is kept for the user, per library:
the latest scan's only, bounded, written once per scan and not at all when it is unchanged.
(tinyMediaManager's and Sonarr's users ask "why does my movie not show up?": there, a file taken
for a sample or an extra leaves no trace.)"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from metarrd import db
from metarrd.runtime import Runtime, open_runtime
from metarrd.scan import scan, skipped_by_name
from metarrd.scan import skipped as skipped_module

from .conftest import put


@pytest.fixture
def movies(tmp_path, config_factory):
    root = tmp_path / "movies"
    rt = open_runtime(config_factory(libraries={"Movies": root}))
    yield rt, root
    rt.close()


@pytest.fixture
def tv_runtime(tmp_path, backend):
    """`with tv_runtime() as rt`: a runtime whose one library is the TV library at
    `tmp_path/tv`, closed after."""
    from metarrd.config import parse_config

    @contextlib.contextmanager
    def _open() -> Iterator[Runtime]:
        config = parse_config(
            {
                "data_dir": str(tmp_path / "data"),
                "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
                **backend,
            }
        )
        rt = open_runtime(config)
        try:
            yield rt
        finally:
            rt.close()

    return _open


def listed(name: str = "Movies") -> dict:
    library = db.Library.get(db.Library.name == name)
    return skipped_by_name([library.id]).get(library.id, {"entries": [], "total": 0})


def touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"not a movie")


def test_a_scan_keeps_what_it_skipped_and_why(movies):
    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(
        root,
        "Heat (1995)/Heat (1995)-trailer.mkv",
        "Heat (1995)/Extras/Making of.mkv",
        # a real release's sample, in its folder as scene rules name them
        "Heat (1995)/Sample/heat-sample.mkv",
    )

    report = scan(rt)

    assert report.skipped == 3
    assert listed() == {
        "entries": [
            ("Heat (1995)/Extras", "a folder of extras, by its name: not scanned"),
            (
                "Heat (1995)/Heat (1995)-trailer.mkv",
                'a trailer ("trailer" in its name, as -trailer or .trailer)',
            ),
            ("Heat (1995)/Sample", "a folder of samples, by its name: not scanned"),
        ],
        "total": 3,
    }


def test_only_the_latest_scan_is_kept_and_an_unchanged_rescan_writes_nothing(movies, monkeypatch):
    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(root, "Heat (1995)/Heat (1995)-trailer.mkv", "Heat (1995)/Heat (1995)-sample.mkv")
    scan(rt)
    assert listed()["total"] == 2

    [event] = db.Event.select().where(db.Event.kind == "scan.skipped")
    assert event.message == (
        "Library Movies: Heat (1995)/Heat (1995)-sample.mkv skipped by name, a sample "
        '("sample" in its name, as -sample or .sample) and 1 more; Settings, Libraries lists '
        "what the latest scan skipped"
    )

    writes = []
    real_set_meta = db.set_meta
    monkeypatch.setattr(db, "set_meta", lambda *a: writes.append(a) or real_set_meta(*a))
    scan(rt)
    assert writes == []  # unchanged: not one write
    assert db.Event.select().where(db.Event.kind == "scan.skipped").count() == 1

    (root / "Heat (1995)" / "Heat (1995)-trailer.mkv").unlink()
    scan(rt)
    assert len(writes) == 1
    assert [path for path, _rule in listed()["entries"]] == ["Heat (1995)/Heat (1995)-sample.mkv"]
    assert db.Event.select().where(db.Event.kind == "scan.skipped").count() == 1  # nothing new

    (root / "Heat (1995)" / "Heat (1995)-sample.mkv").unlink()
    scan(rt)
    assert listed() == {"entries": [], "total": 0}


def test_the_list_is_bounded_with_the_count_of_the_rest(movies, monkeypatch):
    rt, root = movies
    monkeypatch.setattr(skipped_module, "SHOWN", 3)
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(root, *(f"Heat (1995)/Heat (1995)-featurette{n}.mkv" for n in range(1, 8)))

    scan(rt)

    got = listed()
    assert len(got["entries"]) == 3
    assert got["total"] == 7


def test_a_scan_of_one_folder_replaces_only_that_folders_entries(movies):
    """The watcher scans one folder at a time: what the full scan listed elsewhere stays."""
    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    put(root, "Alien (1979)/Alien (1979).mkv")
    touch(root, "Heat (1995)/Heat (1995)-trailer.mkv", "Alien (1979)/Alien (1979)-trailer.mkv")
    scan(rt)

    (root / "Heat (1995)" / "Heat (1995)-trailer.mkv").unlink()
    touch(root, "Heat (1995)/Heat (1995)-featurette.mkv")
    scan(rt, [root / "Heat (1995)"])

    assert [path for path, _rule in listed()["entries"]] == [
        "Alien (1979)/Alien (1979)-trailer.mkv",
        "Heat (1995)/Heat (1995)-featurette.mkv",
    ]
    assert listed()["total"] == 2


def test_a_scope_in_an_extras_folder_is_listed_as_that_folder(movies):
    """A webhook or the watcher naming `Heat (1995)/Extras/x.mkv`: not walked, and said why."""
    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(root, "Heat (1995)/Extras/Making of.mkv")

    report = scan(rt, [root / "Heat (1995)" / "Extras" / "Making of.mkv"])

    assert report.found == 0
    assert listed()["entries"] == [
        ("Heat (1995)/Extras", "a folder of extras, by its name: not scanned")
    ]


def test_hostile_names_are_kept_escaped(movies):
    """A name with a terminal escape, a line break, an RTL override or bytes that are not UTF-8
    is stored as it can be shown: escaped, one line, in reading order."""
    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(
        root,
        "Heat (1995)/\x1b[31mred\nline-trailer.mkv",
        "Heat (1995)/evil\u202egpj.exe-sample.mkv",
    )
    bad = os.fsencode(root / "Heat (1995)") + b"/caf\xe9-trailer.mkv"
    with open(bad, "wb") as f:
        f.write(b"x")

    scan(rt)

    paths = [path for path, _rule in listed()["entries"]]
    assert paths == [
        "Heat (1995)/\\x1b[31mred\\nline-trailer.mkv",
        "Heat (1995)/caf\\xe9-trailer.mkv",
        "Heat (1995)/evil\\u202egpj.exe-sample.mkv",
    ]


def test_a_tv_scan_keeps_its_skipped_episodes_and_extras_folders(tmp_path, tv_runtime):
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    touch(
        root,
        "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - sample.mkv",
        "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02-featurette.mkv",
        "Breaking Bad (2008)/Featurettes/Inside.mkv",
        "Breaking Bad (2008)/Clips/Clip.mkv",  # Jellyfin's and Plex's extras, in a show
        "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.nfo",
    )
    with tv_runtime() as rt:
        report = scan(rt)

    assert report.skipped == 4
    assert listed("TV")["entries"] == [
        ("Breaking Bad (2008)/Clips", "a folder of extras, by its name: not scanned"),
        ("Breaking Bad (2008)/Featurettes", "a folder of extras, by its name: not scanned"),
        (
            "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - sample.mkv",
            'a sample ("sample" in its name, as -sample or .sample)',
        ),
        (
            "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02-featurette.mkv",
            "an extra (its name ends in -featurette)",
        ),
    ]


def test_a_tv_scan_of_one_episode_file_keeps_what_its_folder_listed(tmp_path, tv_runtime):
    """Sonarr's webhook scans one episode file: its season folder is not walked again, so the
    sample listed there stays listed."""
    root = tmp_path / "tv"
    season = "Breaking Bad (2008)/Season 01"
    put(root, f"{season}/Breaking Bad - S01E01 - Pilot.mkv")
    touch(root, f"{season}/Breaking Bad - S01E01 - sample.mkv")
    with tv_runtime() as rt:
        scan(rt)
        put(root, f"{season}/Breaking Bad - S01E02 - Cat's in the Bag.mkv")
        scan(rt, [root / season / "Breaking Bad - S01E02 - Cat's in the Bag.mkv"])

    assert [path for path, _rule in listed("TV")["entries"]] == [
        f"{season}/Breaking Bad - S01E01 - sample.mkv"
    ]


def test_a_tv_scan_leaves_out_what_a_nomedia_file_keeps_out_of_kodi(tmp_path, tv_runtime):
    """Kodi leaves a folder holding `.nomedia` out of its scan, whole (xbmc/video/
    VideoInfoScanner.cpp, DoScan: `if (HasNoMedia(strDirectory)) return true;`). A show folder
    so marked (a recording the user keeps out of Kodi) was read, identified and published
    into; a season folder so marked gave its episodes all the same, and so did a scan of it
    alone (Sonarr's webhook, the watcher)."""
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(root, "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv")
    touch(root, "Breaking Bad (2008)/Season 02/.nomedia")
    put(root, "Kids Recordings/Peppa Pig - S01E01 - Muddy Puddles.mkv")
    touch(root, "Kids Recordings/.nomedia")
    with tv_runtime() as rt:
        scan(rt)
        scan(rt, [root / "Breaking Bad (2008)/Season 02"])
        scan(rt, [root / "Kids Recordings/Peppa Pig - S01E01 - Muddy Puddles.mkv"])
        paths = sorted(os.path.relpath(m.path, root) for m in db.Movie.select())

    assert paths == [
        "Breaking Bad (2008)",
        "Breaking Bad (2008)/#season-01",  # the season's item
        "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    ]
    rule = "a folder holding a .nomedia file (Kodi does not scan it): not scanned"
    assert listed("TV")["entries"] == [
        ("Breaking Bad (2008)/Season 02", rule),
        ("Kids Recordings", rule),
    ]


def test_a_tv_scan_leaves_out_a_show_an_empty_dot_ignore_keeps_out_of_jellyfin(
    tmp_path, tv_runtime
):
    """Jellyfin's empty `.ignore` (DotIgnoreIgnoreRule.cs: "Empty file means ignore
    everything") in a show folder: the show was read, identified and published into."""
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(root, "Bluey (2018)/Season 01/Bluey - S01E01 - Magic Xylophone.mkv")
    (root / "Bluey (2018)" / ".ignore").touch()
    with tv_runtime() as rt:
        scan(rt)
        shows = [os.path.relpath(m.path, root) for m in db.Movie.select() if m.kind == db.SHOW]

    assert shows == ["Breaking Bad (2008)"]
    assert listed("TV")["entries"] == [
        (
            "Bluey (2018)",
            "a folder holding an empty .ignore file (Jellyfin does not scan it): not scanned",
        )
    ]


def test_a_scan_whose_claim_was_lost_leaves_the_list_of_the_scan_that_took_over(movies):
    """A scan job frozen past its lease (SIGSTOP, a paused VM) and taken over by another
    worker (docs/scale-out.md, the fence): its list of what it skipped was written outside
    any write transaction, unchecked, over the list of the scan that took over; and two
    scans of two folders of one library read and wrote the list each on its own."""
    from metarrd.errors import LeaseLost

    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    touch(root, "Heat (1995)/Heat (1995)-trailer.mkv")
    scan(rt)
    before = listed()
    # a release's sample copied in since (scene rules name it so), seen by the stale scan only
    touch(root, "Heat (1995)/heat-sample.mkv")

    def lost() -> None:
        raise LeaseLost("job 1: taken over by other-host:4242:abcdef")

    with db.fenced_by(lost), pytest.raises(LeaseLost):
        scan(rt, [root / "Heat (1995)"])

    assert listed() == before


def test_a_scan_of_a_folder_a_dot_ignore_pattern_leaves_out_lists_it_and_takes_nothing(movies):
    """A Radarr webhook or the watcher names a folder that a pattern of the library's
    `.ignore` keeps out of Jellyfin (DotIgnoreIgnoreRule, 10.11: `Kids/`): the scan of it
    alone took its video for a movie, as the full walk does not; now it is listed with the
    pattern, as a `.nomedia` folder is, and the watcher does not take the video."""
    from metarrd.pipeline.watch import is_scanned_video

    rt, root = movies
    put(root, "Heat (1995)/Heat (1995).mkv")
    put(root, "Kids/Bluey - The Movie (2025).mkv")
    (root / ".ignore").write_text("Kids/\n")

    scan(rt, [root / "Kids"])
    scan(rt, [root / "Kids" / "Bluey - The Movie (2025).mkv"])
    assert [m.path for m in db.Movie.select()] == []
    rule = (
        f"matched by the pattern `Kids/` in {root}/.ignore (Jellyfin does not scan it): not scanned"
    )
    assert listed()["entries"] == [("Kids", rule)]
    assert not is_scanned_video(str(root / "Kids" / "Bluey - The Movie (2025).mkv"), str(root))
    scan(rt)
    assert [os.path.relpath(m.path, root) for m in db.Movie.select()] == [
        "Heat (1995)/Heat (1995).mkv"
    ]


@pytest.mark.parametrize("above", [False, True], ids=["in the root", "above the root"])
def test_a_tv_scan_leaves_out_what_an_ignore_file_pattern_matches(tmp_path, tv_runtime, above):
    """A Jellyfin `.ignore` of patterns (DotIgnoreIgnoreRule, 10.11; its docs' `specials/`,
    `*.avi`) in the library's root, or above it (FindIgnoreFile looks up to the file system's
    root), and a Plex `.plexignore` in a show (`Season 02/*`, the `Folder/*` form of Plex's
    "Excluding New Content with .plexignore"): the TV scan read, identified and published all
    they matched, and a scan of a season alone (Sonarr's webhook, the watcher) did too."""
    root = tmp_path / "tv"
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(root, "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02 - Cat's in the Bag.avi")
    put(root, "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv")
    put(root, "Kids Recordings/Peppa Pig - S01E01 - Muddy Puddles.mkv")
    ignore = (tmp_path if above else root) / ".ignore"
    ignore.write_text("# not for Jellyfin\nKids Recordings/\n*.avi\n")
    (root / "Breaking Bad (2008)" / ".plexignore").write_text("Season 02/*\n")
    with tv_runtime() as rt:
        scan(rt, [root / "Breaking Bad (2008)/Season 02"])
        scan(rt, [root / "Kids Recordings"])
        scan(
            rt,
            [root / "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02 - Cat's in the Bag.avi"],
        )
        assert [m.path for m in db.Movie.select() if m.kind == db.EPISODE] == []
        scan(rt)
        episodes = sorted(
            os.path.relpath(m.path, root) for m in db.Movie.select() if m.kind == db.EPISODE
        )

    assert episodes == ["Breaking Bad (2008)/Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    jellyfin = f"in {ignore} (Jellyfin does not scan it): not scanned"
    plex = f"in {root}/Breaking Bad (2008)/.plexignore (Plex does not scan it): not scanned"
    assert listed("TV")["entries"] == [
        (
            "Breaking Bad (2008)/Season 01/Breaking Bad - S01E02 - Cat's in the Bag.avi",
            f"matched by the pattern `*.avi` {jellyfin}",
        ),
        (
            "Breaking Bad (2008)/Season 02/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv",
            f"matched by the pattern `Season 02/*` {plex}",
        ),
        ("Kids Recordings", f"matched by the pattern `Kids Recordings/` {jellyfin}"),
    ]
