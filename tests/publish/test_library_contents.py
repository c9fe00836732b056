"""Publishing into a library that holds surprises: a FIFO or a `/dev/zero` link where an image
goes, symlinked folders that lead out of the library, actor names Windows cannot hold."""

from __future__ import annotations

import os
from pathlib import Path

from metarrd import db
from metarrd.publish import publish_item

BASE = "The Matrix (1999)"


def test_a_fifo_at_a_target_name_is_left_alone_and_the_rest_publishes(rt, build, finishes):
    built = build()
    fifo = built.path(f"{BASE}-poster.jpg")
    os.mkfifo(fifo)

    result = finishes(lambda: publish_item(rt, built.movie), 30)

    assert Path(fifo).is_fifo()
    assert any("FIFO" in s and "left as it is" in s for s in result.skipped)
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
