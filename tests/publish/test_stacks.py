"""A stacked movie (`Heat (1995) cd1.mkv` + `cd2.mkv`) published the way Kodi reads it: artwork
under the stacked title, the NFO under the first part's name; a stack published earlier under the
first part's name is renamed on the next publish, nothing of the user's lost."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from metarrd import db
from metarrd.publish import preview_publish, publish_item
from metarrd.publish import stage as publish_stage
from metarrd.publish.layout import LEAVE, REMOVE, WRITE
from metarrd.scan import local_files

TITLE = "Heat (1995)"
ART = {"poster": ["jpeg", "jpeg"], "fanart": ["jpeg"], "clearlogo": ["png"]}
CAST = [("Al Pacino", "Vincent Hanna", "jpeg")]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def stack(build):
    """An enriched `Heat (1995)` whose video is `Heat (1995)<sep>cd1.mkv` + `cd2.mkv`."""

    def _stack(sep: str = " cd"):
        built = build(TITLE, art=ART, cast=CAST, title="Heat", year=1995, tmdb_id=949)
        (built.folder / f"{TITLE}.mkv").unlink()
        parts = [built.folder / f"{TITLE}{sep}{n}.mkv" for n in (1, 2)]
        for part in parts:
            part.write_bytes(b"\x1a\x45\xdf\xa3 part")
        db.Movie.update(path=str(parts[0]), parts=[str(p) for p in parts]).where(
            db.Movie.id == built.movie.id
        ).execute()
        built.reload()
        return built

    return _stack


def test_a_stacks_art_is_named_after_the_stacked_title(rt, stack):
    built = stack()
    publish_item(rt, built.movie)

    names = set(files_in(built.folder))
    assert names == {
        f"{TITLE} cd1.mkv",
        f"{TITLE} cd2.mkv",
        f"{TITLE} cd1.nfo",  # Kodi reads the first part's NFO first; Jellyfin only that one
        f"{TITLE}-poster.jpg",
        f"{TITLE}-poster1.jpg",
        f"{TITLE}-fanart.jpg",
        f"{TITLE}-clearlogo.png",
    }
    assert (built.folder / ".actors" / "Al_Pacino.jpg").is_file()
    poster = built.selected["poster"][0]
    assert files_in(built.folder)[f"{TITLE}-poster.jpg"] == built.images[poster.url]


@pytest.mark.parametrize("sep", [".part", "-pt", "_disc", " DVD ", ".disk"])
def test_other_stacking_forms_take_the_stacked_title_too(rt, stack, sep):
    built = stack(sep)
    publish_item(rt, built.movie)
    names = set(files_in(built.folder))
    assert {f"{TITLE}{sep}1.nfo", f"{TITLE}-poster.jpg", f"{TITLE}-fanart.jpg"} <= names


def test_a_stack_published_under_its_first_parts_name_is_renamed_nothing_lost(
    rt, stack, kit, monkeypatch
):
    built = stack()
    # what earlier versions did: art under the first part's name, recorded in the ledger
    with monkeypatch.context() as old:
        old.setattr(publish_stage, "art_base_name", local_files.base_name)
        publish_item(rt, built.movie)
    old_names = {f"{TITLE} cd1-{slot}" for slot in ("poster.jpg", "poster1.jpg", "fanart.jpg")}
    old_names.add(f"{TITLE} cd1-clearlogo.png")
    before = files_in(built.folder)
    assert old_names <= set(before)
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert old_names <= ledger
    # the user edited one of ours since, and has an image of their own under the old name
    edited = kit.image_bytes("fanart", "jpeg")
    built.path(f"{TITLE} cd1-fanart.jpg").write_bytes(edited)
    own = kit.image_bytes("banner", "jpeg")
    built.path(f"{TITLE} cd1-banner.jpg").write_bytes(own)

    plan = preview_publish(rt, built.movie)
    actions = {a.path.name: a for a in plan.actions}
    for name in old_names:
        new = name.replace(" cd1-", "-")
        assert actions[new].action == WRITE, new
        assert actions[name].action == REMOVE, name
    assert actions[f"{TITLE} cd1-fanart.jpg"].backup  # changed since we wrote it
    assert not actions[f"{TITLE} cd1-poster.jpg"].backup  # ours, unchanged
    assert actions[f"{TITLE} cd1-banner.jpg"].action == LEAVE

    result = publish_item(rt, built.movie)

    after = files_in(built.folder)
    for name in old_names - {f"{TITLE} cd1-fanart.jpg"}:
        assert name not in after
        assert after[name.replace(" cd1-", "-")] == before[name]  # same bytes, new name
    assert f"{TITLE} cd1-fanart.jpg" not in after
    assert after[f"{TITLE}-fanart.jpg"] == before[f"{TITLE} cd1-fanart.jpg"]
    assert after[f"{TITLE} cd1-banner.jpg"] == own  # the user's, left alone
    assert after[f"{TITLE} cd1.nfo"] == before[f"{TITLE} cd1.nfo"]  # the NFO keeps its name
    assert [Path(p).name for p in result.backed_up] == [f"{TITLE} cd1-fanart.jpg"]
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(edited))
    assert row.source_type == "library" and Path(row.file_path).read_bytes() == edited
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert not ledger & old_names
    assert {n.replace(" cd1-", "-") for n in old_names} <= ledger

    # and from then on a publish changes nothing
    stamp = {n: os.stat(built.path(n)).st_mtime_ns for n in after}
    again = publish_item(rt, built.movie)
    assert not again.written and not again.removed
    assert {n: os.stat(built.path(n)).st_mtime_ns for n in files_in(built.folder)} == stamp
