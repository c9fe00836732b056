"""Image analysis reports the real size and format, and refuses what is not a sane image."""

from __future__ import annotations

import pytest
from PIL import Image

from metarrd.imaging import ImageRejected, analyse_image, hash_distance


@pytest.mark.parametrize(
    ("size", "fmt", "ext"), [((2000, 3000), "JPEG", "jpg"), ((800, 310), "PNG", "png")]
)
def test_real_size_and_format(tmp_path, size, fmt, ext):
    path = tmp_path / f"img.{ext}"
    Image.new("RGB", size, (120, 40, 200)).save(path, fmt)
    info = analyse_image(path)
    assert (info.width, info.height, info.ext) == (*size, ext)
    assert info.size == path.stat().st_size and len(info.sha256) == 64


def test_same_picture_other_size_hashes_close(tmp_path):
    def picture():
        return Image.effect_noise((40, 60), 90).resize((400, 600)).convert("RGB")

    base = picture()
    base.save(tmp_path / "a.jpg")
    base.resize((200, 300)).save(tmp_path / "b.jpg")
    picture().save(tmp_path / "c.jpg")
    a, b, c = (analyse_image(tmp_path / n) for n in ("a.jpg", "b.jpg", "c.jpg"))
    assert hash_distance(a.phash, b.phash) <= 4 < hash_distance(a.phash, c.phash)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<!DOCTYPE html><html><body>502</body></html>", "HTML page"),
        (b"", "empty"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b'{"status_code": 34}', "JSON"),
    ],
)
def test_not_images_say_what_they_are(tmp_path, data, reason):
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    with pytest.raises(ImageRejected, match=reason):
        analyse_image(path)


def test_truncated_and_oversized(tmp_path):
    path = tmp_path / "t.jpg"
    Image.new("RGB", (600, 900), (10, 200, 30)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ImageRejected, match="truncated or corrupt"):
        analyse_image(path)
    big = tmp_path / "big.png"
    Image.new("1", (5000, 5000)).save(big)
    with pytest.raises(ImageRejected, match="megapixel limit"):
        analyse_image(big, max_pixels=10_000_000)
