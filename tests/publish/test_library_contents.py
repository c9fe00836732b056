"""Publishing into a library that holds surprises: a FIFO or a `/dev/zero` link where an image
goes, symlinked folders that lead out of the library, actor names Windows cannot hold."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from metarrd import db
from metarrd.errors import ItemError
from metarrd.publish import apply, layout, publish_item

BASE = "The Matrix (1999)"


def test_a_fifo_at_a_target_name_is_left_alone_and_the_rest_publishes(rt, build, finishes):
    built = build()
    fifo = built.path(f"{BASE}-poster.jpg")
    os.mkfifo(fifo)

    result = finishes(lambda: publish_item(rt, built.movie), 30)

    assert Path(fifo).is_fifo()
    assert any("FIFO" in s and "left as it is" in s for s in result.skipped)
    # the publish line (CLI, history, activity) names it, not Hugo Weaving's missing photo
    assert "2 skipped (" in str(result) and "poster.jpg: a FIFO (named pipe)" in str(result)
    assert result.skipped[-1] == "actor Hugo Weaving: no image, nothing written to .actors"
    assert built.path(f"{BASE}.nfo").is_file() and built.path(f"{BASE}-fanart.jpg").is_file()
    assert not db.LibraryFile.get_or_none(db.LibraryFile.path == str(fifo))
    assert not list(rt.config.tmp_dir.iterdir())


def test_a_link_to_dev_zero_at_a_target_name_is_not_copied_without_end(rt, build, finishes):
    built = build()
    link = built.path(f"{BASE}-poster.jpg")
    link.symlink_to("/dev/zero")

    result = finishes(lambda: publish_item(rt, built.movie), 30)

    assert link.is_symlink() and os.readlink(link) == "/dev/zero"
    assert any("character device" in s for s in result.skipped)
    assert not list(rt.config.tmp_dir.iterdir())  # nothing copied into data_dir/tmp
    assert built.path(f"{BASE}.nfo").is_file()


def test_a_user_image_too_large_to_back_up_is_left_alone(rt, build, monkeypatch):
    from metarrd.publish import sources

    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1000)
    built = build()
    big = built.path(f"{BASE}-poster.jpg")
    big.write_bytes(b"\xff" * 5000)

    result = publish_item(rt, built.movie)

    assert big.read_bytes() == b"\xff" * 5000
    assert any("over the" in s for s in result.skipped)


def _linked_folder(rt, tmp_path, name: str) -> Path:
    """`<library>/<name>` as a symlink to a folder outside every library."""
    outside = tmp_path / "outside" / name
    outside.mkdir(parents=True)
    (Path(rt.config.library[0].path) / name).symlink_to(outside)
    return outside


def test_publish_never_writes_through_a_symlink_that_leaves_the_library(rt, build, tmp_path):
    outside = _linked_folder(rt, tmp_path, BASE)
    built = build()

    with pytest.raises(ItemError, match="outside every configured library"):
        publish_item(rt, built.movie)

    assert sorted(p.name for p in outside.iterdir()) == [f"{BASE}.mkv"]


def test_a_symlink_to_another_library_is_published(make_rt, build, tmp_path):
    rt = make_rt(libraries={"Movies": tmp_path / "movies", "More": tmp_path / "more"})
    target = tmp_path / "more" / "Elsewhere"
    target.mkdir()
    (tmp_path / "movies" / BASE).symlink_to(target)
    built = build(runtime=rt)

    publish_item(rt, built.movie)

    assert (target / f"{BASE}.nfo").is_file()


def test_follow_symlinks_lets_publish_write_where_the_library_links(make_rt, build, tmp_path):
    rt = make_rt()
    lib = dataclasses.replace(rt.config.library[0], follow_symlinks=True)
    rt.config = dataclasses.replace(rt.config, library=(lib,))
    outside = _linked_folder(rt, tmp_path, BASE)
    built = build(runtime=rt)

    publish_item(rt, built.movie)

    assert (outside / f"{BASE}.nfo").is_file()


@pytest.mark.parametrize(
    "name",
    ["Con", "CON", "prn", "Aux", "NUL", "Com1", "LPT9", "con.", "Nul.Air", "COM¹"],
)
def test_device_names_windows_reserves_get_no_actors_file(name):
    assert layout.actor_file_name(name, "jpg") is None
    assert layout.actor_variants(Path("/m"), name) == []
    assert "Windows reserves" in layout.why_no_actor_file(name)


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("Conan O'Brien", "Conan_O'Brien.jpg"),
        ("Com 1", "Com_1.jpg"),
        ("COM10", "COM10.jpg"),
        ("Robert Downey Jr.", "Robert_Downey_Jr..jpg"),  # Kodi's exact name; .jpg follows
        ('A<b>c:d"e|f?g*h', "A_b_c_d_e_f_g_h.jpg"),
    ],
)
def test_other_actor_names_keep_kodis_spelling(name, file_name):
    assert layout.actor_file_name(name, "jpg") == file_name


def test_an_actor_named_con_is_left_to_the_nfo_thumb_url(rt, build):
    built = build(art={}, cast=[("Con", "Himself", "jpeg"), ("Keanu Reeves", "Neo", "jpeg")])

    result = publish_item(rt, built.movie)

    assert sorted(p.name for p in built.path(".actors").iterdir()) == ["Keanu_Reeves.jpg"]
    assert any("Con" in s and "Windows reserves" in s for s in result.skipped)
    assert "<name>Con</name>" in built.path(f"{BASE}.nfo").read_text()


def test_a_batch_remembers_real_paths_and_still_sees_every_symlink(tmp_path):
    """`apply._realpath` answers what `os.path.realpath` does: a symlinked folder at any depth,
    a relative link, a link to a link, a missing folder, asked in any order with one memo."""
    (tmp_path / "lib" / "A" / "deep").mkdir(parents=True)
    (tmp_path / "out" / "x").mkdir(parents=True)
    (tmp_path / "lib" / "A" / "link").symlink_to(tmp_path / "out")
    (tmp_path / "lib" / "rel").symlink_to("A/link")
    (tmp_path / "lib" / "A" / "deep" / "up").symlink_to("../../..")
    paths = [
        tmp_path / "lib" / "A" / "deep",
        tmp_path / "lib" / "A" / "link" / "x",
        tmp_path / "lib" / "rel" / "x",
        tmp_path / "lib" / "A" / "deep" / "up" / "out",
        tmp_path / "lib" / "missing" / "y",
        tmp_path / "lib",
    ]
    memo: dict[str, str] = {}
    for path in paths + paths[::-1]:
        assert apply._realpath(str(path), memo) == os.path.realpath(path), path


@pytest.mark.parametrize("what", ["fifo", "folder", "link to a fifo"])
def test_no_nfo_can_be_written_where_a_fifo_or_folder_is_so_the_item_fails(
    rt, build, finishes, tmp_path, what
):
    built = build()
    nfo = built.path(f"{BASE}.nfo")
    if what == "fifo":
        os.mkfifo(nfo)
    elif what == "folder":
        nfo.mkdir()
        (nfo / "keep.txt").write_text("the user's")
    else:
        os.mkfifo(tmp_path / "pipe")
        nfo.symlink_to(tmp_path / "pipe")
    before = sorted(os.listdir(built.folder))

    with pytest.raises(ItemError, match="nothing was changed"):
        finishes(lambda: publish_item(rt, built.movie), 30)

    assert sorted(os.listdir(built.folder)) == before
    assert os.path.lexists(nfo) and not nfo.is_file()
    movie = built.reload()
    assert movie.publish_state == db.UNPUBLISHED and not movie.published_nfo_hash
    assert not db.LibraryFile.select().exists()


@pytest.mark.parametrize(
    ("name", "target"),
    [
        (f"{BASE}-poster.jpg", "/mnt/unmounted-nas/posters/matrix.jpg"),  # dangling
        (f"{BASE}-fanart.jpg", f"{BASE}-fanart.jpg"),  # a loop
        (f"{BASE}.nfo", "/mnt/unmounted-nas/matrix.nfo"),
    ],
)
def test_a_link_that_leads_nowhere_at_a_target_name_is_noted_and_replaced(rt, build, name, target):
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]})
    link = built.path(name)
    link.symlink_to(target)

    result = publish_item(rt, built.movie)

    assert link.is_file() and not link.is_symlink()
    assert any(f"symbolic link to {target!r}" in s and "replaced" in s for s in result.skipped)
    assert built.reload().publish_state == db.PUBLISHED
    assert publish_item(rt, built.movie).written == []


@pytest.mark.parametrize("name", [f"{BASE}.nfo", f"{BASE}-poster.jpg", f"{BASE}-fanart.jpg"])
def test_a_link_to_a_file_outside_every_library_is_replaced_never_copied(rt, build, tmp_path, name):
    """The user's file at a name we write is copied into the cache before it is replaced; a
    symlink there to a file outside every library is not the library's: its target (here a
    stand-in for /etc/passwd) is neither copied into data_dir nor touched, the link is replaced,
    and a note says so."""
    built = build()
    secret = tmp_path / "outside" / "secret"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    link = built.path(name)
    link.symlink_to(secret)

    result = publish_item(rt, built.movie)

    assert link.is_file() and not link.is_symlink()  # replaced: the link, not its target
    assert secret.read_bytes() == b"root:x:0:0:root:/root:/bin/bash\n"
    data = Path(rt.config.cache_dir).parent
    copied = [p for p in data.rglob("*") if p.is_file() and p.read_bytes() == secret.read_bytes()]
    assert copied == []
    assert any(
        f"{name} is a symbolic link to {secret}, outside every configured library: not copied"
        in note
        for note in result.skipped
    )
    assert str(link) not in result.backed_up
    assert built.reload().publish_state == db.PUBLISHED


def test_a_link_into_the_library_or_one_that_follows_links_is_backed_up(make_rt, build, tmp_path):
    rt = make_rt()
    built = build(runtime=rt)
    own = built.folder / "mine.nfo"
    own.write_text("<movie><title>mine</title></movie>")
    built.path(f"{BASE}.nfo").symlink_to(own)  # inside the library

    result = publish_item(rt, built.movie)

    assert [Path(p).name for p in result.backed_up] == [f"{BASE}.nfo"]
    assert own.read_text() == "<movie><title>mine</title></movie>"

    lib = dataclasses.replace(rt.config.library[0], follow_symlinks=True)
    rt.config = dataclasses.replace(rt.config, library=(lib,))
    heat = build("Heat (1995)", runtime=rt)
    outside = tmp_path / "outside" / "poster.jpg"
    outside.parent.mkdir()
    outside.write_bytes(b"not an image, only the user's")
    heat.path("Heat (1995)-poster.jpg").symlink_to(outside)  # the library follows links

    result = publish_item(rt, heat.movie)

    assert [Path(p).name for p in result.backed_up] == ["Heat (1995)-poster.jpg"]


def test_an_actors_folder_linked_out_while_publishing_is_not_written_through(
    rt, build, tmp_path, monkeypatch
):
    """`.actors/` is refused as a symlink when publish checks the folder; one not there yet
    is made with the first actor image. Someone who may write the movie folder (a download
    client's user, a share's guest) who puts a link there in between (while the user's own
    poster is backed up) had the actor images written into the folder it leads to, outside
    every library: `mkdir -p` took the link for the folder."""
    from metarrd.publish import sources

    outside = tmp_path / "outside"
    outside.mkdir()
    built = build()
    built.path(f"{BASE}-poster.jpg").write_bytes(b"the user's own poster")
    back_up = sources.back_up

    def link_meanwhile(*args, **kwargs):
        if not built.path(".actors").is_symlink():
            built.path(".actors").symlink_to(outside)
        return back_up(*args, **kwargs)

    monkeypatch.setattr(sources, "back_up", link_meanwhile)

    with pytest.raises(ItemError, match=".actors"):
        publish_item(rt, built.movie)

    assert list(outside.iterdir()) == []


def test_a_link_put_in_place_after_the_look_is_not_backed_up(rt, build, tmp_path, monkeypatch):
    """Before a publish replaces the user's file it is copied into the cache or backup/; one
    that is a link out of every library is not (`/etc/passwd` would land in backup/). A link
    swapped in after that look, just before the copy, was copied all the same."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:secret of another user")
    built = build()
    poster = built.path(f"{BASE}-poster.jpg")
    poster.write_bytes(b"the user's own poster")
    looked = apply._link_out_of_libraries

    def swapped_after_the_look(rt, action):
        note = looked(rt, action)
        if note is None and action.path == poster:
            poster.unlink()
            poster.symlink_to(secret)
        return note

    monkeypatch.setattr(apply, "_link_out_of_libraries", swapped_after_the_look)

    result = publish_item(rt, built.movie)

    kept = [p.read_bytes() for d in (rt.config.cache_dir, rt.config.backup_dir)
            for p in Path(d).rglob("*") if p.is_file()]  # fmt: skip
    assert secret.read_bytes() not in kept
    assert any("put there while it was being read" in s for s in result.skipped), result.skipped


def test_a_movie_folder_linked_out_while_publishing_gets_nothing_written_there(
    rt, build, tmp_path, monkeypatch
):
    """Publish checks that the movie's folder leads to no place outside every library, then
    backs up the user's files, then writes. Someone who may write the library who swaps the
    folder for a link to a folder outside in between had our NFO and images written there."""
    from metarrd.publish import sources

    elsewhere = tmp_path / "outside" / "elsewhere"
    elsewhere.mkdir(parents=True)
    built = build()
    built.path(f"{BASE}-poster.jpg").write_bytes(b"the user's own poster")
    back_up = sources.back_up

    def swap_meanwhile(*args, **kwargs):
        copy = back_up(*args, **kwargs)
        if not built.folder.is_symlink():
            built.folder.rename(tmp_path / "outside" / "moved")
            built.folder.symlink_to(elsewhere)
        return copy

    monkeypatch.setattr(sources, "back_up", swap_meanwhile)

    with pytest.raises(ItemError, match="outside every configured library"):
        publish_item(rt, built.movie)

    assert list(elsewhere.iterdir()) == []
