"""`analyse_with_preview` must agree with `analyse_image` (it repeats its checks in one decode)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from metarrd.imaging import (
    ImageRejected,
    analyse_image,
    analyse_with_preview,
    hash_distance,
    preview_ext,
    write_preview,
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
    assert analyse_with_preview(path.read_bytes()) == (info, preview)  # a download in memory


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


OWN = [
    ("w185.jpg", "photo", 185, 278, "jpg"),  # TMDB's poster rendition
    ("w300.jpg", "photo", 300, 169, "jpg"),  # TMDB's backdrop rendition
    ("preview.png", "cutout", 200, 77, "png"),  # fanart.tv's preview of a logo
    ("small.webp", "photo", 240, 135, "webp"),
    # TheTVDB's thumbnails, half their image (docs/providers.md): a poster's, a banner's, a logo's
    ("posters/81189-1_t.jpg", "photo", 340, 500, "jpg"),
    ("graphical/81189-g_t.jpg", "photo", 379, 70, "jpg"),
    ("clearlogo_t.png", "cutout", 400, 155, "png"),
]


@pytest.mark.parametrize(("name", "style", "width", "height", "ext"), OWN)
def test_a_small_rendition_is_its_own_preview(tmp_path, name, style, width, height, ext):
    path = tmp_path / name.replace("/", "-")
    picture = render_picture(name, style, width, height)
    if ext == "webp":
        picture.convert("RGB").save(path, "WEBP")
    else:
        path.write_bytes(encode(picture, ext))
    alone = analyse_image(path)
    info, preview = analyse_with_preview(path)
    assert preview == path.read_bytes() and preview_ext(preview) == ext  # no resize, no encode
    assert analyse_with_preview(path.read_bytes()) == (info, preview)  # a download in memory
    assert (info.width, info.height, info.sha256) == (alone.width, alone.height, alone.sha256)
    assert hash_distance(info.phash, alone.phash) <= 3


def _webp_preview(path) -> tuple[int, int]:
    info, preview = analyse_with_preview(path)
    assert preview_ext(preview) == "webp"
    with Image.open(io.BytesIO(preview)) as im:
        assert im.format == "WEBP"
        return im.size


def test_what_cannot_be_shown_as_it_is_gets_a_webp_preview(tmp_path):
    picture = render_picture("p", "photo", 342, 513)
    big = tmp_path / "fanart_t.jpg"  # TheTVDB's 960x540 thumbnail of a 1920x1080 background
    big.write_bytes(encode(render_picture("b", "photo", 960, 540), "jpg"))
    assert _webp_preview(big) == (300, 169)
    tall = tmp_path / "w780.jpg"  # over twice the box: resized
    tall.write_bytes(encode(render_picture("t", "photo", 402, 603), "jpg"))
    assert _webp_preview(tall) == (200, 300)
    cmyk = tmp_path / "cmyk.jpg"  # some browsers show CMYK JPEGs inverted
    picture.resize((180, 270)).convert("CMYK").save(cmyk, "JPEG")
    assert _webp_preview(cmyk) == (180, 270)
    heavy = tmp_path / "noise.png"  # fits, but heavier than its WebP by far
    Image.effect_noise((290, 290), 90).convert("RGB").save(heavy)
    assert heavy.stat().st_size > 64 * 1024 and _webp_preview(heavy) == (290, 290)
    animated = tmp_path / "animated.png"
    frames = [Image.new("RGB", (100, 100), c) for c in ("red", "blue")]
    frames[0].save(animated, save_all=True, append_images=frames[1:])
    assert _webp_preview(animated) == (100, 100)


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
        with pytest.raises(ImageRejected) as in_memory:
            analyse_with_preview(data)
        assert str(in_memory.value) == str(alone.value), name


def test_the_pixel_cap_applies(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (3000, 3000)).save(path)
    with pytest.raises(ImageRejected, match="megapixel limit"):
        analyse_with_preview(path, max_pixels=1_000_000)


def test_a_large_transparent_image_previews_without_dark_fringes(tmp_path):
    # fanart.tv's discs and clear art: box-reduced then resampled, on premultiplied alpha, so the
    # half-transparent edge of a white shape stays white (a plain average would grey it)
    path = tmp_path / "disc.png"
    image = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (201, 201, 799, 799))
    image.save(path)
    info, preview = analyse_with_preview(path)
    with Image.open(io.BytesIO(preview)) as im:
        assert im.size == (300, 300)
        pixels = np.asarray(im.convert("RGBA")).reshape(-1, 4)
    edge = pixels[(pixels[:, 3] >= 32) & (pixels[:, 3] <= 223)]
    assert len(edge) and edge[:, :3].min() >= 230


def test_a_truncated_small_rendition_is_rejected_not_kept_as_its_own_preview(tmp_path):
    whole = encode(render_picture("w185", "photo", 185, 278), "jpg")
    path = tmp_path / "w185.jpg"
    path.write_bytes(whole[: len(whole) // 2])  # cut off mid-download
    with pytest.raises(ImageRejected, match="truncated"):
        analyse_with_preview(path)


def test_a_preview_is_written_once_into_a_folder_made_when_missing(tmp_path):
    data = encode(render_picture("p", "photo", 185, 278), "jpg")
    info, preview = analyse_with_preview(data)
    previews = tmp_path / "previews"
    rel = write_preview(previews, data, info.sha256, preview)
    target = previews / rel
    assert rel == f"{info.sha256[:2]}/{info.sha256}.jpg" and target.read_bytes() == data
    before = target.stat().st_mtime_ns
    assert write_preview(previews, data, info.sha256, preview) == rel  # once per content
    assert target.stat().st_mtime_ns == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp name left
    made = write_preview(previews, data, "ab" * 32)  # made from the bytes when not given
    with Image.open(previews / made) as im:
        assert im.format == "WEBP" and im.size == (185, 278)
