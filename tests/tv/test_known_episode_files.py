"""A rescan takes a known episode file as it was without its name's rules (`_ShowWalk.known`:
same path, size and mtime, and identity where recorded); what changed is still seen: a file
replaced, renamed, copied over, a new file beside the known ones, a show folder renamed. The
name rules are counted by wrapping the walk's `is_episode_file`."""

from __future__ import annotations

import os
import shutil

import pytest

from metarrd import db
from metarrd.scan import scan
from metarrd.scan import tv as tv_scan

from .conftest import put

SHOW = "Breaking Bad (2008)"
FILES = (
    "Season 01/Breaking Bad - S01E01.mkv",
    "Season 01/Breaking Bad - S01E02.mkv",
    "Season 02/Breaking Bad - S02E01.mkv",
)


@pytest.fixture
def show(tv_rt, tmp_path):
    for rel in FILES:
        put(tmp_path / "tv", f"{SHOW}/{rel}")
    report = scan(tv_rt)
    assert len(report.new) == 1 + len(FILES) and not report.errors, report
    return tmp_path / "tv" / SHOW


@pytest.fixture
def asked(monkeypatch) -> list[str]:
    """The names the TV walk asks the episode name rules of, in order."""
    names: list[str] = []
    rule = tv_scan.is_episode_file

    def counted(name: str) -> bool:
        names.append(name)
        return rule(name)

    monkeypatch.setattr(tv_scan, "is_episode_file", counted)
    return names


def _item(path) -> db.Movie:
    return db.Movie.get(db.Movie.path == str(path))


def test_an_unchanged_rescan_asks_no_name_rule_of_a_known_episode_file(tv_rt, show, asked):
    report = scan(tv_rt)
    assert report.unchanged == len(FILES) and not (report.new or report.changed), report
    assert asked == [], asked  # every file of the show was asked, at every rescan


def test_a_known_file_replaced_by_one_of_the_same_size_is_read_again(tv_rt, show, asked):
    path = show / FILES[0]
    before = _item(path)
    replacement = path.with_name("replacement.tmp")
    shutil.copyfile(path, replacement)  # the same size, another mtime
    os.utime(replacement, ns=(before.mtime_ns + 5 * 10**9, before.mtime_ns + 5 * 10**9))
    os.replace(replacement, path)
    report = scan(tv_rt)
    assert report.changed == [before.id] and report.unchanged == len(FILES) - 1, report
    assert _item(path).mtime_ns == before.mtime_ns + 5 * 10**9
    assert asked == [path.name], asked  # its name asked again, the others' not


def test_a_renamed_known_file_is_followed(tv_rt, show, asked):
    old = show / FILES[1]
    item = _item(old)
    new = old.with_name("Breaking Bad - S01E02 - Cat's in the Bag.mkv")
    old.rename(new)
    report = scan(tv_rt)
    assert report.moved == [item.id] and not (report.new or report.missing), report
    assert _item(new).id == item.id
    assert asked == [new.name], asked


def test_a_known_file_copied_over_is_taken_by_its_size_and_mtime(tv_rt, show, asked):
    """Copied over with its mtime (`cp -p`, rsync -a): another inode, the same size and
    mtime. An episode's identity is not recorded: the same file, as a movie's is (by size and
    mtime, `scan.stage`); where one is recorded (an episode that was a film), the walk asks
    its name's rules again, and the file is still the same episode."""
    path = show / FILES[0]
    item = _item(path)
    ino = path.stat().st_ino
    copy = path.with_name("copy.tmp")
    shutil.copy2(path, copy)
    os.replace(copy, path)
    assert path.stat().st_ino != ino
    report = scan(tv_rt)
    assert report.unchanged == len(FILES) and not (report.changed or report.new), report
    assert asked == [], asked
    st = path.stat()
    db.Movie.update(file_id=f"{st.st_dev}:{st.st_ino}").where(db.Movie.id == item.id).execute()
    shutil.copy2(path, copy)
    os.replace(copy, path)
    report = scan(tv_rt)
    assert report.unchanged == len(FILES) and not (report.changed or report.new), report
    assert asked == [path.name], asked  # another identity than recorded: the rules again
    assert _item(path).id == item.id and not _item(path).missing


def test_a_new_file_beside_known_ones_is_found_and_alone_asked(tv_rt, show, asked):
    new = put(show.parent, f"{SHOW}/Season 01/Breaking Bad - S01E03.mkv")
    extra = put(show.parent, f"{SHOW}/Season 01/Breaking Bad - S01E03-sample.mkv")
    report = scan(tv_rt)
    assert len(report.new) == 1 and report.unchanged == len(FILES), report
    assert db.Movie.get_by_id(report.new[0]).path == str(new)
    assert sorted(asked) == sorted([new.name, extra.name]), asked
    assert not db.Movie.select().where(db.Movie.path == str(extra)).exists()  # a sample


def test_a_renamed_show_folder_keeps_its_episodes_known(tv_rt, show, asked):
    item = _item(show)
    moved = show.with_name("Breaking Bad (2008) {tvdb-81189}")
    show.rename(moved)
    report = scan(tv_rt)
    assert report.moved == [item.id] and not (report.new or report.missing), report
    assert report.unchanged == len(FILES), report
    assert _item(moved).id == item.id
    assert asked == [], asked  # its episodes followed it before the walk: known there
