"""`analyse_with_preview` must agree with `analyse_image` (it repeats its checks in one decode)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from metarrd.imaging import (
    ImageRejected,
    analyse_image,
    analyse_with_preview,
    hash_distance,
)
from metarrd.simulator.images import bomb_png, encode, garbage, render_picture

GOOD = [
    ("poster.jpg", "photo", 2000, 3000, "jpg"),
    ("backdrop.jpg", "photo", 1920, 1080, "jpg"),
    ("logo.png", "cutout", 800, 310, "png"),
    ("disc.png", "disc", 1000, 1000, "png"),
]


@pytest.mark.parametrize(("name", "style", "width", "height", "ext"), GOOD)
def test_same_facts_as_analyse_image(tmp_path, name, style, width, height, ext):
    path = tmp_path / name
    path.write_bytes(encode(render_picture(name, style, width, height), ext))
    alone = analyse_image(path)
    info, preview = analyse_with_preview(path)
    assert (info.width, info.height, info.format, info.ext, info.sha256, info.size) == (
        alone.width, alone.height, alone.format, alone.ext, alone.sha256, alone.size,
    )  # fmt: skip
    assert hash_distance(info.phash, alone.phash) <= 3
    with Image.open(io.BytesIO(preview)) as im:
        assert im.format == "WEBP" and max(im.size) == min(300, max(width, height))


@pytest.mark.parametrize("mode", ["L", "P", "LA", "RGBA"])
def test_grey_palette_and_transparent_images(tmp_path, mode):
    path = tmp_path / f"{mode}.png"
    image = render_picture("shapes", "cutout", 640, 480).convert(mode)
    image.save(path)
    alone = analyse_image(path)
    info, preview = analyse_with_preview(path)
    assert (info.width, info.height, info.sha256) == (alone.width, alone.height, alone.sha256)
    assert hash_distance(info.phash, alone.phash) <= 3
    assert preview


def _bad(tmp_path, poster: bytes):
    yield "html", b"<!DOCTYPE html><html><body>Just a moment...</body></html>"
    yield "truncated", poster[: len(poster) // 2]
    yield "garbage", garbage(4096)
    yield "svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    yield "empty", b""
    yield "bomb", bomb_png()


def test_same_rejections_as_analyse_image(tmp_path):
    poster = encode(render_picture("p", "photo", 600, 900), "jpg")
    for name, data in _bad(tmp_path, poster):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ImageRejected) as alone:
            analyse_image(path)
        with pytest.raises(ImageRejected) as combined:
            analyse_with_preview(path)
        assert str(combined.value) == str(alone.value), name


def test_the_pixel_cap_applies(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (3000, 3000)).save(path)
    with pytest.raises(ImageRejected, match="megapixel limit"):
        analyse_with_preview(path, max_pixels=1_000_000)
