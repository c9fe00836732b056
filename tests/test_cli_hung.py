"""The command line on a NAS whose hard NFS mount hung: a library root or the image cache (`[cache]
dir`) whose stat never returns. `scan`, `enrich` and `publish` run by hand look first, as the
daemon's jobs do (pipeline/steps.py), and say which folder does not answer instead of hanging
the terminal (a process in uninterruptible I/O that Ctrl-C cannot stop). The hang is a stat,
lstat, scandir and listdir made to wait on an Event, as in tests/daemon/test_hung_cache.py, not
a real NFS server."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from metarrd import db
from metarrd.cli import main
from tests.conftest import hard_mount, providers_toml

MEDIA = Path(__file__).resolve().parent / "media" / "h264_aac_2audio_sub.mkv"


@pytest.fixture
def nas(tmp_path, simulator, monkeypatch):
    """Two movie libraries and an image cache on "NFS"; `hang(folder)` makes that folder's mount
    stop answering (until the test ends)."""
    roots = {"movies": tmp_path / "nas-movies", "films": tmp_path / "nas-films"}
    for root, name in ((roots["movies"], "Heat (1995)"), (roots["films"], "Alien (1979)")):
        (root / name).mkdir(parents=True)
        shutil.copy2(MEDIA, root / name / f"{name}.mkv")
    cache = tmp_path / "nas-cache"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[cache]\ndir = "{cache}"\n'
        f'[[library]]\nname = "Movies"\npath = "{roots["movies"]}"\n'
        f'[[library]]\nname = "Films"\npath = "{roots["films"]}"\n' + providers_toml(simulator)
    )
    mount = hard_mount(
        monkeypatch, calls=("stat", "lstat", "scandir", "listdir", "unlink", "rmdir")
    )
    try:
        yield cfg, roots, cache, mount.hang
    finally:
        mount.release.set()  # no thread of the test left waiting


def cli(cfg: Path, *args: str) -> int:
    return main(["--config", str(cfg), *args])


def test_scan_by_hand_skips_a_library_whose_mount_hangs(nas, finishes, capsys):
    """`metarrd scan` with one library's NFS mount hung hung the terminal for good, in a stat
    Ctrl-C cannot interrupt. It scans the libraries that answer, names the one that does not
    on stderr, and exits 1."""
    cfg, roots, cache, hang = nas
    hang(roots["movies"])
    assert finishes(lambda: cli(cfg, "scan")) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"library root {roots['movies']} does not answer (a hung network mount?); not scanned"
    ]
    assert "scanned 1 video: 1 new" in out
    assert [Path(m.path).name for m in db.Movie.select()] == ["Alien (1979).mkv"]

    heat = roots["movies"] / "Heat (1995)"
    assert finishes(lambda: cli(cfg, "scan", str(heat))) == 1
    out, err = capsys.readouterr()
    assert f"library root {roots['movies']} does not answer" in err
    assert "scanned 0 videos" in out


def test_scan_enrich_publish_by_hand_while_the_image_cache_hangs(nas, finishes, capsys):
    """`[cache] dir` on a NAS that stopped answering: `scan` (a movie's own poster is copied
    there), `enrich` (every picture is stored there) and `publish` (its pictures are copied
    from there) hung the terminal. Each says the cache does not answer and exits 1."""
    cfg, roots, cache, hang = nas
    assert cli(cfg, "scan") == 0
    capsys.readouterr()
    hang(cache)
    for command in (["scan"], ["enrich", "--all"], ["publish", "--all"]):
        assert finishes(lambda c=command: cli(cfg, *c)) == 1, command
        err = capsys.readouterr().err
        assert err.splitlines() == [
            f"metarrd: the image cache {cache} does not answer (a hung network mount?); "
            "try again once it does"
        ], command


def test_publish_by_hand_fails_the_items_of_a_library_whose_mount_hangs(nas, finishes, capsys):
    """`publish --all` with one library hung: its items fail, one line each naming the root,
    and the items of the other library are published."""
    cfg, roots, cache, hang = nas
    assert cli(cfg, "scan") == 0
    assert cli(cfg, "enrich", "--all") == 0
    capsys.readouterr()
    heat = db.Movie.get(db.Movie.path.contains("Heat"))
    hang(roots["movies"])
    assert finishes(lambda: cli(cfg, "publish", "--all")) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"item {heat.id} ({heat.path}): library root {roots['movies']} does not answer "
        "(a hung network mount?)"
    ]
    assert (roots["films"] / "Alien (1979)" / "Alien (1979).nfo").is_file()
    assert db.Movie.get_by_id(heat.id).publish_state == "unpublished"


def test_a_scan_path_gone_in_a_library_whose_mount_hangs_marks_nothing_missing(
    nas, finishes, capsys
):
    """A PATH deleted by hand is marked missing by `metarrd scan PATH`; one in a library whose
    mount hangs is not looked at (a NAS that went away is not a deletion): one line, exit 1,
    its item as it was."""
    cfg, roots, cache, hang = nas
    assert cli(cfg, "scan") == 0
    heat = roots["movies"] / "Heat (1995)"
    shutil.rmtree(heat)
    capsys.readouterr()
    hang(roots["movies"])
    assert finishes(lambda: cli(cfg, "scan", str(heat))) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"library root {roots['movies']} does not answer (a hung network mount?); not scanned"
    ]
    assert "0 missing" in out
    assert not db.Movie.select().where(db.Movie.missing).exists()


def test_a_scan_path_typed_in_the_other_normalisation_than_its_hung_root_does_not_hang(
    tmp_path, simulator, monkeypatch, finishes, capsys
):
    """A NAS share mounted at "vidéos", its name decomposed (NFD) as the NAS keeps it and as the
    configuration copied it, and `metarrd scan "…/vidéos/Heat (1995)"` typed on a keyboard
    (NFC) while that mount hangs: the look at the hung roots compared the PATH as typed and
    found it in no library, and the look for the disk's spelling then listed the root, which
    hung the terminal for good. The PATH is the hung library's: said, not scanned, exit 1."""
    root = tmp_path / unicodedata.normalize("NFD", "vidéos")
    (root / "Heat (1995)").mkdir(parents=True)
    shutil.copy2(MEDIA, root / "Heat (1995)" / "Heat (1995).mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{root}"\n' + providers_toml(simulator, fanart=False)
    )
    assert cli(cfg, "scan") == 0
    typed = unicodedata.normalize("NFC", str(root / "Heat (1995)"))
    capsys.readouterr()
    assert cli(cfg, "scan", typed) == 0  # answering: the folder the disk spells so
    assert "scanned 1 video: 0 new, 0 changed, 0 moved, 0 missing, 1 unchanged" in (
        capsys.readouterr().out
    )
    mount = hard_mount(monkeypatch, calls=("stat", "lstat", "scandir", "listdir"))
    try:
        mount.hang(root)
        assert finishes(lambda: cli(cfg, "scan", typed)) == 1
        err = capsys.readouterr().err
        assert err.splitlines() == [
            f"library root {root} does not answer (a hung network mount?); not scanned"
        ]
        assert not db.Movie.select().where(db.Movie.missing).exists()
    finally:
        mount.release.set()
