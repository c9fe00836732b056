"""A show folder that is a symbolic link into a second NAS share (`TV/Breaking Bad (2008)` ->
`/mnt/nas2/Breaking Bad (2008)`), the share not mounted: the link leads nowhere. The full scan
marked the show and its episodes missing, as if the user had deleted them; the link is
reported as a folder that cannot be read is, and they keep their state."""

from __future__ import annotations

import shutil

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import put


@pytest.fixture
def rt(tmp_path, config_factory):
    tv = tmp_path / "tv"
    tv.mkdir()
    # a link out of the library is followed only with follow_symlinks (walk.may_follow)
    library = [{"name": "TV", "path": str(tv), "kind": "tv", "follow_symlinks": True}]
    runtime = open_runtime(config_factory(library=library))
    yield runtime
    runtime.close()


def test_a_show_linked_into_a_share_not_mounted_keeps_its_items(tmp_path, rt):
    tv = tmp_path / "tv"
    nas2 = tmp_path / "mnt" / "nas2"
    shared = nas2 / "Breaking Bad (2008)"
    put(shared, "Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    put(shared, "Season 01/Breaking Bad - S01E02 - Cat's in the Bag.mkv")
    put(tv, "The Wire (2002)/Season 01/The Wire - S01E01 - The Target.mkv")
    link = tv / "Breaking Bad (2008)"
    link.symlink_to(shared, target_is_directory=True)
    scan(rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(link))
    kept = {m.id for m in db.Movie.select().where(db.Movie.path.startswith(str(link)))}
    assert len(kept) >= 3  # the show and its two episodes (and their season)

    shutil.move(shared, tmp_path / "Breaking Bad (2008)")  # nas2 unmounted: left empty
    for scope in (None, [link], [link / "Season 01"]):
        report = scan(rt, scope)
        assert report.missing == [], scope
        assert [path for path, _ in report.errors] == [str(link)], scope
        assert "which does not exist (a disk or share not mounted?)" in report.errors[0][1]
        assert not db.Movie.select().where(db.Movie.missing).exists(), scope

    link.unlink()  # the user took the show out of the library: gone
    assert show.id in scan(rt).missing
    assert {m.id for m in db.Movie.select().where(db.Movie.missing)} == kept
