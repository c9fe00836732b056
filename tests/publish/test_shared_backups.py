"""The copies of the user's files a publish replaces, when several hosts share the image cache
(docs/scale-out.md: `[cache] dir` on shared storage, or PostgreSQL).

A publish copies the user's own NFO (a tinyMediaManager or Kodi export at `<base>.nfo`, the
name we write) before replacing it: images into the cache, anything else into `backup/`. That
was `<data_dir>/backup` of whichever host published: the worker on the NAS kept the user's NFO
on the NAS's own disk, and the web UI's host (or a worker on another host) found a row naming a
file it did not have. With a shared cache they go into its `backup/`, as the previews do.

Two "hosts" here are two configurations with their own data folders and one cache folder, on
one database (SQLite's file of the first host, opened by both: PostgreSQL in real life)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from metarrd import cache, db
from metarrd.publish import publish_item
from metarrd.runtime import Runtime, open_runtime
from tests.conftest import make_config
from tests.publish.conftest import build_enriched

BASE = "The Matrix (1999)"
# the shape of tinyMediaManager's movie NFO (its own <!--created on ... - tinyMediaManager-->
# comment and elements we do not write); the user's words, which must never be lost
USER_NFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
    b"<!--created on 2024-03-02 18:11:54 - tinyMediaManager 5.0.2-->\n<movie>\n"
    b"  <title>The Matrix</title>\n  <userrating>9.0</userrating>\n"
    b"  <tagline>My own words</tagline>\n</movie>\n"
)


@pytest.fixture
def hosts(tmp_path, simulator):
    """(web host's runtime, NAS worker's runtime): own data folders, one shared cache and one
    database (the web host's file)."""
    shared = {"dir": str(tmp_path / "nfs" / "metarrd-cache")}
    libraries = {"Movies": tmp_path / "movies"}
    web, nas = (
        make_config(tmp_path / host, simulator, libraries=libraries, cache=shared)
        for host in ("web", "nas")
    )
    rt_web = open_runtime(web)
    nas.data_path.mkdir(parents=True)
    yield rt_web, Runtime(nas)  # the NAS's process, on the same database
    rt_web.close()


def nfo_backup() -> db.CacheImageFile:
    return db.CacheImageFile.get(
        db.CacheImageFile.file_hash == hashlib.sha256(USER_NFO).hexdigest()
    )


def copy_kept_on_its_disk(built, data_path: Path) -> Path:
    """The user's NFO copied into `<data_dir>/backup` of one host, as before the cache was
    shared, with its row: the copy."""
    sha = hashlib.sha256(USER_NFO).hexdigest()
    old = data_path / "backup" / "nfo" / sha[:2] / f"{sha}.nfo"
    old.parent.mkdir(parents=True)
    old.write_bytes(USER_NFO)
    db.CacheImageFile.create(
        movie=built.movie.id, actor=None, image_type="nfo", file_hash=sha, file_path=str(old),
        file_size=len(USER_NFO), source_type="library", source_url=str(built.path(f"{BASE}.nfo")),
        provider_name="library",
    )  # fmt: skip
    return old


def test_the_users_nfo_a_worker_replaced_is_found_on_every_host(hosts):
    """The worker on the NAS published over the user's NFO: its copy was in the NAS's own
    data folder, which the web host does not have."""
    web, nas = hosts
    built = build_enriched(web)
    built.path(f"{BASE}.nfo").write_bytes(USER_NFO)

    result = publish_item(nas, built.movie)

    assert result.backed_up == [str(built.path(f"{BASE}.nfo"))]
    row = nfo_backup()
    assert nas.config.backup_dir == web.config.backup_dir  # the shared cache's backup/
    shutil.rmtree(nas.config.data_path)  # the NAS's own disk: not on the web host
    assert Path(row.file_path).read_bytes() == USER_NFO
    assert Path(row.file_path).is_relative_to(web.config.cache_dir / "backup" / "nfo")


def test_a_copy_kept_on_one_hosts_disk_before_is_still_named_and_moves_to_the_shared_one(hosts):
    """Backups made before the cache was shared stay where they are and their rows still name
    them; when the same file is copied again (the user put their NFO back, the next publish
    replaces it again) the row names the shared copy, and the old one is left as it is."""
    web, nas = hosts
    built = build_enriched(web)
    old = copy_kept_on_its_disk(built, nas.config.data_path)
    built.path(f"{BASE}.nfo").write_bytes(USER_NFO)

    publish_item(nas, built.movie)

    row = nfo_backup()
    assert Path(row.file_path).is_relative_to(web.config.backup_dir)
    assert Path(row.file_path).read_bytes() == USER_NFO
    assert old.read_bytes() == USER_NFO  # nothing of the user's removed


def test_the_users_nfo_stays_in_the_shared_cache_when_its_item_goes(hosts):
    """A scan that merges an item into another (`scan.stage`, an upgrade's extra copy) takes
    its rows with it and removes the cache files no row uses any more (`cache.remove_unused`):
    in the shared cache's backup/ that would have been the user's NFO, kept for good in
    `<data_dir>/backup`, outside the cache, on one host."""
    web, nas = hosts
    built = build_enriched(web)
    built.path(f"{BASE}.nfo").write_bytes(USER_NFO)
    publish_item(nas, built.movie)
    kept = Path(nfo_backup().file_path)

    files, previews = cache.files_of(built.movie.id)
    assert str(kept) in files
    db.Movie.delete().where(db.Movie.id == built.movie.id).execute()
    cache.remove_unused(web.config.cache_dir, web.config.previews_dir, files, previews)

    assert kept.read_bytes() == USER_NFO


def test_one_host_keeps_its_backups_in_its_data_folder(make_rt):
    """A single host on SQLite without `[cache] dir`: `<data_dir>/backup`, as before."""
    rt = make_rt()
    if rt.config.shared_cache:
        pytest.skip("PostgreSQL: the cache may be shared")
    built = build_enriched(rt)
    built.path(f"{BASE}.nfo").write_bytes(USER_NFO)
    publish_item(rt, built.movie)
    assert Path(nfo_backup().file_path).is_relative_to(rt.config.data_path / "backup" / "nfo")


def test_moving_an_installations_copies_into_the_cache_moves_their_rows(make_rt, capsys):
    """What `db migrate-to` does once the rows are in PostgreSQL (`tests/scale/test_migrate_to.py`),
    on the database open here: the files and the rows naming them move together, and a copy
    that cannot move (the cache's backup/ is there already) stays where its row names it."""
    from metarrd.cli import _backups_into_cache

    rt = make_rt()
    built = build_enriched(rt)
    sha = hashlib.sha256(USER_NFO).hexdigest()
    old = copy_kept_on_its_disk(built, rt.config.data_path)
    (rt.config.cache_dir / "backup").mkdir()
    _backups_into_cache(rt.config)
    assert "stay in" in capsys.readouterr().err
    assert Path(nfo_backup().file_path).read_bytes() == USER_NFO == old.read_bytes()

    (rt.config.cache_dir / "backup").rmdir()
    _backups_into_cache(rt.config)
    moved = Path(nfo_backup().file_path)
    assert moved == rt.config.cache_dir / "backup" / "nfo" / sha[:2] / f"{sha}.nfo"
    assert moved.read_bytes() == USER_NFO and not old.exists()
