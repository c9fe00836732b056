"""A publish whose renames cannot all be done: a name too long for the folder, a target that
cannot be replaced. The item is published without what does not fit, or refused with nothing
changed; never half-published, never with ledger rows for files that did not land."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from metarrd import atomic, db
from metarrd.atomic import TEMP_MARKER
from metarrd.errors import ItemError
from metarrd.publish import publish_item

BASE = "The Matrix (1999)"


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder` (a folder as None), temp files included."""
    out: dict[str, bytes | None] = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            out[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in names:
            path = Path(root) / name
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


def ledger() -> dict[str, tuple[str, str | None]]:
    return {Path(r.path).name: (r.sha256, r.pending_sha256) for r in db.LibraryFile.select()}


def test_an_image_name_too_long_for_the_folder_is_skipped_and_the_rest_publishes(rt, build):
    name = "a" * 237 + " (1999)"  # 244 bytes: `-poster.jpg` fits in 255, `-poster1.jpg` does not
    built = build(name, art={"poster": ["jpeg", "jpeg"], "fanart": ["jpeg"]})

    result = publish_item(rt, built.movie)

    names = set(tree(built.folder))
    assert {f"{name}.nfo", f"{name}-poster.jpg", f"{name}-fanart.jpg"} <= names
    assert f"{name}-poster1.jpg" not in names
    assert any(
        "poster 2" in s and "256 bytes, over the 255-byte limit" in s for s in result.skipped
    )
    assert all(sha and not pending for sha, pending in ledger().values())
    assert built.reload().publish_state == db.PUBLISHED
    assert publish_item(rt, built.movie).written == []  # and the next publish is a no-op


def test_an_nfo_name_too_long_refuses_the_item_before_anything_is_written(rt, build, monkeypatch):
    from metarrd.publish import stage

    monkeypatch.setattr(stage, "_name_max", lambda folder, limits: 20)  # 143 on eCryptfs; here 20
    built = build()
    before = tree(built.folder)

    with pytest.raises(
        ItemError, match=r"NFO's name .* over the 20-byte limit.*nothing was changed"
    ):
        publish_item(rt, built.movie)

    assert tree(built.folder) == before
    assert ledger() == {}


def _refuse_renames_onto(monkeypatch, name: str) -> None:
    """Make the rename of our temp file onto `name` fail as onto a protected file, whichever
    way it goes: a rename over it, or onto a name that must be free (a new name: a hard link,
    else `renameat2(RENAME_NOREPLACE)`, else a rename)."""

    def refusing(real):
        def call(src, dst, *args, **kwargs):
            if TEMP_MARKER in os.fspath(src) and Path(dst).name == name:
                raise PermissionError(errno.EPERM, "Operation not permitted", os.fspath(src))
            return real(src, dst, *args, **kwargs)

        return call

    for call in ("replace", "link", "rename"):
        monkeypatch.setattr(os, call, refusing(getattr(os, call)))
    monkeypatch.setattr(atomic, "_rename_exclusive", refusing(atomic._rename_exclusive))


def test_an_nfo_that_cannot_be_replaced_puts_back_what_landed_before_it(rt, build, kit):
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]})
    publish_item(rt, built.movie)  # ours, then a new poster, the user's own fanart, a new plot
    kit.add_asset(built.movie, "poster", rank=0, score=10.0)
    db.Movie.update(plot="A new plot.").where(db.Movie.id == built.movie.id).execute()
    built.path(f"{BASE}-fanart.jpg").write_bytes(kit.image_bytes("fanart"))
    before, rows = tree(built.folder), ledger()
    mp = pytest.MonkeyPatch()
    _refuse_renames_onto(mp, f"{BASE}.nfo")
    try:
        with pytest.raises(ItemError) as caught:
            publish_item(rt, built.reload())
    finally:
        mp.undo()

    message = str(caught.value)
    assert f"cannot replace {built.path(f'{BASE}.nfo')} (Operation not permitted)" in message
    assert "nothing was changed" in message and TEMP_MARKER not in message
    assert tree(built.folder) == before  # the new poster and fanart were put back
    assert ledger() == rows
    assert built.reload().last_published_at is not None

    result = publish_item(rt, built.reload())  # replaceable again: it publishes
    assert str(built.path(f"{BASE}.nfo")) in result.written and len(result.backed_up) == 1
    assert "A new plot." in built.path(f"{BASE}.nfo").read_text()


def test_a_first_publish_that_fails_leaves_no_file_no_folder_no_ledger_row(rt, build, monkeypatch):
    built = build()
    _refuse_renames_onto(monkeypatch, f"{BASE}.nfo")

    for _ in range(2):  # and every retry the same
        with pytest.raises(ItemError, match="nothing was changed"):
            publish_item(rt, built.reload())
        assert tree(built.folder) == {f"{BASE}.mkv": built.path(f"{BASE}.mkv").read_bytes()}
        assert ledger() == {}
        assert built.reload().publish_state == db.UNPUBLISHED


def test_without_hard_links_what_landed_stays_and_is_recorded(rt, build, kit, monkeypatch):
    """Where there are no hard links (some shares), a file of ours replaced before the rename
    that fails cannot be kept under a link to be put back: the new one stays, recorded as
    ours. The user's file, set aside by a rename before it is replaced, is put back. A new
    name (`-poster1.jpg`, the old poster's rank now) had nothing to put back: it goes (it
    stayed, named among the files that could not be put back, when its rename was one
    over whatever might be there)."""
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    publish_item(rt, built.movie)  # ours, then a new poster, the user's own fanart, a new plot
    kit.add_asset(built.movie, "poster", rank=0, score=10.0)
    db.Movie.update(plot="A new plot.").where(db.Movie.id == built.movie.id).execute()
    fanart = built.path(f"{BASE}-fanart.jpg")
    fanart.write_bytes(kit.image_bytes("fanart"))
    users = fanart.read_bytes()
    _refuse_renames_onto(monkeypatch, f"{BASE}.nfo")

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)

    with pytest.raises(
        ItemError, match=r"could not put back the 1 file written.*: [^,]*-poster\.jpg$"
    ):
        publish_item(rt, built.reload())

    assert not built.path(f"{BASE}-poster1.jpg").exists()
    assert f"{BASE}-poster1.jpg" not in ledger()
    poster = built.path(f"{BASE}-poster.jpg")
    assert ledger()[poster.name] == (hashlib.sha256(poster.read_bytes()).hexdigest(), None)
    assert fanart.read_bytes() == users  # put back, its copy in the cache all the same
    assert db.CacheImageFile.get_or_none(db.CacheImageFile.source_type == "library")
    assert not [n for n in tree(built.folder) if TEMP_MARKER in n]


def test_an_immutable_nfo_refuses_the_item_with_nothing_changed(rt, build, kit):
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]})
    nfo = built.path(f"{BASE}.nfo")
    nfo.write_text("<movie><title>the user's own</title></movie>")
    built.path(f"{BASE}-poster.jpg").write_bytes(kit.image_bytes("poster"))
    if subprocess.run(["chattr", "+i", str(nfo)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not permitted here")
    try:
        before = tree(built.folder)
        with pytest.raises(ItemError, match="cannot replace .*nothing was changed"):
            publish_item(rt, built.movie)
        assert tree(built.folder) == before
        assert ledger() == {}
    finally:
        subprocess.run(["chattr", "-i", str(nfo)], check=True)


@pytest.mark.parametrize("owner", ["no item", "a missing item", "a missing item deleted meanwhile"])
def test_a_publish_put_back_gives_back_the_row_it_took(rt, build, kit, monkeypatch, owner):
    """The poster at the path this item publishes its poster to is ours, its ledger row
    another's: owned by no item (a show's, a TV library set to a movie library, its removal
    killed), or by a missing item (`The Matrix (1999).avi`, replaced by the `.mkv`). The
    publish takes the row before its renames (`_record_intent`); put back, it deleted the row,
    so the poster put back was no one's: never removed, and read as the user's by every scan
    and publish after. The row is given back as it was, and the poster goes as it would have
    (`remove_disowned`); a missing item deleted meanwhile (its rows owned by no item then,
    `ON DELETE SET NULL`) gets nothing back: the row is owned by no item."""
    from metarrd.publish import apply
    from metarrd.scan.kind_change import remove_disowned

    built = build(art={"poster": ["jpeg"]}, cast=[])
    poster = built.path(f"{BASE}-poster.jpg")
    old = kit.image_bytes("poster")
    poster.write_bytes(old)
    other = None
    if owner != "no item":
        other = db.Movie.create(
            library=built.movie.library, path=str(built.path(f"{BASE}.avi")), title="The Matrix",
            year=1999, missing=True,
        )  # fmt: skip
    L = db.LibraryFile
    L.create(movie=other, path=str(poster), kind="art", size=len(old),
             sha256=hashlib.sha256(old).hexdigest(), pending_sha256="ab" * 32)  # fmt: skip
    rows = {r.path: r.__data__ for r in L.select()}
    _refuse_renames_onto(monkeypatch, f"{BASE}.nfo")
    if owner == "a missing item deleted meanwhile":  # by another process, the rows taken
        record_intent = apply._record_intent

        def then_deleted(jobs):
            record_intent(jobs)
            db.Movie.delete().where(db.Movie.id == other.id).execute()

        monkeypatch.setattr(apply, "_record_intent", then_deleted)
        rows[str(poster)]["movie"] = None

    with pytest.raises(ItemError, match="nothing was changed"):
        publish_item(rt, built.movie)

    assert poster.read_bytes() == old  # put back
    assert {r.path: r.__data__ for r in L.select()} == rows
    if owner != "a missing item":
        remove_disowned(db.Library.get())
        assert not poster.exists() and not L.select().exists()


@pytest.mark.parametrize("owner", ["no item", "a missing item"])
@pytest.mark.parametrize("changed", [False, True])
def test_a_file_of_ours_owned_by_no_item_is_replaced_with_no_copy_kept(
    rt, build, kit, changed, owner
):
    """The poster at the path this item publishes its poster to is one metarrd wrote for what
    the library was before its kind changed (a show's, a TV library set to a movie library),
    its row owned by no item, its removal (`remove_disowned`) not done yet; or for a missing
    item (`The Matrix (1999).avi`, replaced by the `.mkv`, not merged yet), which no longer
    owns a name (`stage._clashes`). The publish copied it into the cache as the user's picture
    (kept for good) before replacing it, though the ledger's hash says metarrd wrote it: it is
    replaced as ours, the row the item's. Saved by the user since (not what the row says), it
    is theirs, copied first as before."""
    built = build(art={"poster": ["jpeg"]}, cast=[])
    poster = built.path(f"{BASE}-poster.jpg")
    ours = kit.image_bytes("poster")
    other = None
    if owner == "a missing item":
        other = db.Movie.create(
            library=built.movie.library, path=str(built.path(f"{BASE}.avi")), title="The Matrix",
            year=1999, missing=True,
        )  # fmt: skip
    db.LibraryFile.create(movie=other, path=str(poster), kind="art", size=len(ours),
                          sha256=hashlib.sha256(ours).hexdigest())  # fmt: skip
    there = kit.image_bytes("poster") if changed else ours
    poster.write_bytes(there)

    result = publish_item(rt, built.movie)

    assert str(poster) in result.written and poster.read_bytes() != there
    assert result.backed_up == ([str(poster)] if changed else [])
    C = db.CacheImageFile
    copies = [Path(c.file_path) for c in C.select().where(C.source_type == "library")]
    assert [p.read_bytes() for p in copies] == ([there] if changed else [])
    assert db.LibraryFile.get(db.LibraryFile.path == str(poster)).movie_id == built.movie.id


def test_a_removal_failing_after_the_renames_leaves_the_rows_taken_with_the_item(
    rt, build, kit, monkeypatch
):
    """The item's renames all landed, then the removal of an old file of its failed (EIO: a
    share gone bad): the item fails, its renames stay. The row it took (the poster's, owned
    by a missing item, `The Matrix (1999).avi` replaced by the `.mkv`) names the bytes that
    landed there (`pending_sha256`): it stays the item's, so the next publish knows the
    poster for its own and keeps it. Given back to the missing item, it would name bytes no
    longer there, and the next publish would copy the item's own poster into the cache as
    the user's."""
    from metarrd.publish import apply

    built = build(art={"poster": ["jpeg"]}, cast=[])
    poster, banner = built.path(f"{BASE}-poster.jpg"), built.path(f"{BASE}-banner.jpg")
    old = kit.image_bytes("poster")
    poster.write_bytes(old)
    ours = kit.image_bytes("banner")
    banner.write_bytes(ours)
    missing = db.Movie.create(
        library=built.movie.library, path=str(built.path(f"{BASE}.avi")), title="The Matrix",
        year=1999, missing=True,
    )  # fmt: skip
    L = db.LibraryFile
    L.create(movie=missing, path=str(poster), kind="art", size=len(old),
             sha256=hashlib.sha256(old).hexdigest())  # fmt: skip
    L.create(movie=built.movie, path=str(banner), kind="art", size=len(ours),
             sha256=hashlib.sha256(ours).hexdigest())  # fmt: skip
    unlink = apply._unlink_unless_saved

    def share_gone_bad(action, *args):
        if action.path == banner:
            raise OSError(errno.EIO, "Input/output error", str(banner))
        return unlink(action, *args)

    monkeypatch.setattr(apply, "_unlink_unless_saved", share_gone_bad)
    with pytest.raises(ItemError, match="Input/output error"):
        publish_item(rt, built.movie)
    monkeypatch.undo()

    landed = hashlib.sha256(poster.read_bytes()).hexdigest()
    assert poster.read_bytes() != old
    row = L.get(L.path == str(poster))
    assert (row.movie_id, row.pending_sha256) == (built.movie.id, landed)

    result = publish_item(rt, built.movie)
    assert str(poster) in result.kept and result.backed_up == []
    assert not banner.exists()
