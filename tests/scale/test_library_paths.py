"""A worker host that mounts a library at another path than the others (docs/scale-out.md:
"every host mounts the libraries at the same paths"). Two "hosts" are two configurations on one
database, each with its own data_dir; the library's files are the same (hard links), reached by
each host under its own mount point. Runs on both backends (SQLite: two configurations of one
host's database, as after a library moved)."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from metarrd import db
from metarrd.config import parse_config
from metarrd.runtime import Runtime, open_runtime
from metarrd.scan import scan
from tests.conftest import backend_sections, make_config

SAMPLE = Path(__file__).resolve().parents[1] / "media" / "h264_aac_mono.mp4"


def two_mounts(tmp_path: Path, *names: str) -> tuple[Path, Path]:
    """The same share seen at /mnt/a/movies on host A and /mnt/b/movies on host B."""
    a, b = tmp_path / "mnt-a" / "movies", tmp_path / "mnt-b" / "movies"
    for name in names:
        for root in (a, b):
            (root / Path(name).parent).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE, a / name)
        os.link(a / name, b / name)
    return a, b


def test_a_worker_that_mounts_the_library_elsewhere_moves_no_item(tmp_path, backend, caplog):
    """Host B's worker, whose fstab mounts the share at another folder, ran the scan that host A's
    watcher queued: its walk found every item at its own path and moved them all there (12 of 12
    'moved' in a two-host run), and A's next scan moved them back, each time. The item's path is
    the one the players (path_map), Radarr's webhooks and A's publish go by."""
    a, b = two_mounts(tmp_path, "Heat (1995)/Heat (1995).mp4", "Alien (1979)/Alien (1979).mp4")
    host_a = make_config(tmp_path / "host-a", libraries={"Movies": a})
    host_b = make_config(tmp_path / "host-b", libraries={"Movies": b})
    rt_a = open_runtime(host_a)
    try:
        assert scan(rt_a).errors == []
        before = {m.id: m.path for m in db.Movie.select()}
        assert sorted(Path(p).parent.name for p in before.values()) == [
            "Alien (1979)",
            "Heat (1995)",
        ]
        with caplog.at_level(logging.WARNING, logger="metarrd.db"):
            db.mirror_config(host_b)  # host B's worker starts
        db.mirror_config(host_a)  # host A's web UI restarts

        report = scan(Runtime(host_b))  # the scan job runs on host B
        assert [m for m in report.errors] == [
            (
                str(b),
                f"library 'Movies' is at {a} in the shared database (another host's "
                f"configuration), at {b} in this one's: not scanned. Every host mounts the "
                "libraries at the same paths (docs/scale-out.md); a path edited on purpose (a "
                "library moved to another disk): restart every metarrd process with the edited "
                "configuration",
            )
        ]
        assert {m.id: m.path for m in db.Movie.select()} == before
        assert not db.Movie.select().where(db.Movie.missing).exists()
        failed = db.Event.select().where(db.Event.kind == "scan.failed").get()
        assert str(a) in failed.message and str(b) in failed.message

        assert scan(rt_a).errors == []  # on host A, as before
        assert {m.id: m.path for m in db.Movie.select()} == before
        # and B's start said what it did to the shared row, in its log
        assert f"library Movies: its path is now {b} (was {a})" in caplog.text
    finally:
        rt_a.close()


def test_a_library_moved_to_another_disk_on_one_host_goes_on_after_the_restart(tmp_path, backend):
    """One host, one database: the user copied the library to a new disk and edited its
    `[[library]] path`; `metarrd scan` (or the web UI's restart) took the new path while the
    daemon still ran with the old configuration. The daemon's scan is refused, and its message
    had told only of another host's mounts ("every host mounts the libraries at the same
    paths"), not that the daemon takes the edited path at its restart; after it, it goes on."""
    old, new = two_mounts(tmp_path, "Heat (1995)/Heat (1995).mp4", "Alien (1979)/Alien (1979).mp4")
    before_edit = make_config(tmp_path / "host", libraries={"Movies": old})
    daemon = open_runtime(before_edit)
    try:
        assert scan(daemon).errors == []
        ids = sorted(m.id for m in db.Movie.select())
        edited = make_config(tmp_path / "host", libraries={"Movies": new})
        db.mirror_config(edited)  # `metarrd scan` run with the edited configuration
        assert scan(Runtime(edited)).errors == []
        at_new = {m.id: m.path for m in db.Movie.select()}
        assert all(Path(p).is_relative_to(new) for p in at_new.values())

        (path, reason), *more = scan(daemon).errors  # the daemon, not restarted yet
        assert not more and str(old) in reason and str(new) in reason
        assert "restart every metarrd process with the edited configuration" in reason
        assert {m.id: m.path for m in db.Movie.select()} == at_new

        db.mirror_config(edited)  # the daemon restarted
        assert scan(Runtime(edited)).errors == []
        assert {m.id: m.path for m in db.Movie.select()} == at_new
        assert sorted(m.id for m in db.Movie.select().where(~db.Movie.missing)) == ids
    finally:
        daemon.close()


def host(tmp_path: Path, root: Path | str, kind: str = "movie"):
    name = "TV" if kind == "tv" else "Movies"
    return parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": name, "path": str(root), "kind": kind}],
            **backend_sections(),
        }
    )


def test_a_tv_library_mounted_elsewhere_is_not_scanned_either(tmp_path, backend):
    a, b = two_mounts(tmp_path, "Dark (2017)/Season 1/Dark.S01E01.mp4")
    host_a, host_b = host(tmp_path / "host-a", a, "tv"), host(tmp_path / "host-b", b, "tv")
    rt_a = open_runtime(host_a)
    try:
        assert scan(rt_a).errors == []
        before = {m.id: m.path for m in db.Movie.select()}
        assert str(a / "Dark (2017)") in before.values()

        report = scan(Runtime(host_b))
        assert len(report.errors) == 1 and "not scanned" in report.errors[0][1]
        assert {m.id: m.path for m in db.Movie.select()} == before
        assert not db.Movie.select().where(db.Movie.missing).exists()
    finally:
        rt_a.close()


def test_the_same_path_written_otherwise_is_the_same_mount(tmp_path, backend):
    a, _ = two_mounts(tmp_path, "Heat (1995)/Heat (1995).mp4")
    host_a = host(tmp_path / "host-a", a)
    rt_a = open_runtime(host_a)
    try:
        db.mirror_config(host(tmp_path / "host-b", f"{a}/"))  # B's config: "/mnt/movies/"
        assert scan(rt_a).errors == []
        assert [Path(m.path).parent.name for m in db.Movie.select()] == ["Heat (1995)"]
    finally:
        rt_a.close()
