"""A small rendition shows the same picture as its original, to the perceptual hash."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from metarrd.enrich.selection import DUPLICATE_DISTANCE, hash_distance
from metarrd.imaging import analyse_image, analyse_with_preview


def _phash(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return analyse_with_preview(path)[0].phash


@pytest.mark.parametrize("size", ["w185", "w300", "w342", "w500"])
def test_tmdb_renditions_hash_like_their_originals(simulator, tmp_path, size):
    art = simulator.catalog.get(603).images
    for asset in [*art.posters[:4], *art.backdrops[:3], *art.logos[:1]]:
        if asset.ext == "svg":
            continue
        original = requests.get(simulator.image_url(asset), timeout=10).content
        small = requests.get(simulator.image_url(asset, size), timeout=10).content
        a = analyse_image(_write(tmp_path, "o", original)).phash
        b = _phash(small, tmp_path, "s")
        assert hash_distance(a, b) <= DUPLICATE_DISTANCE, (asset.key, size)


def test_fanart_previews_and_tvdb_thumbnails_hash_like_their_originals(simulator, tmp_path):
    art = simulator.catalog.get(603).images
    pairs = [
        (simulator.image_url(a), simulator.image_url(a).replace("/fanart/", "/preview/"))
        for assets in art.fanart.values()
        for a in assets[:1]
    ]
    tvdb = simulator.image_host("tvdb")
    pairs += [(tvdb + a.key, tvdb + a.thumb_key) for a in art.tvdb]
    for url, small_url in pairs:
        original = requests.get(url, timeout=10).content
        small = requests.get(small_url, timeout=10)
        assert small.status_code == 200 and small.headers["Content-Type"].startswith("image/")
        a = analyse_image(_write(tmp_path, "o", original)).phash
        assert hash_distance(a, _phash(small.content, tmp_path, "s")) <= DUPLICATE_DISTANCE, url


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_pillow_resizes_of_a_real_photo_hash_alike(tmp_path, fmt):
    """Not our drawings: real images (the docs' screenshots), saved as JPEG and PNG."""
    from pathlib import Path

    shots = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    photos = sorted(shots.glob("*.png"))[:3]
    if not photos:
        pytest.skip("no screenshots under docs/")
    for photo in photos:
        with Image.open(photo) as im:
            im = im.convert("RGB")
            big = im.resize((im.width * 2, im.height * 2), Image.Resampling.LANCZOS)
            hashes = []
            for width in (big.width, 500, 300, 200):
                copy = big.resize((width, round(big.height * width / big.width)), Image.LANCZOS)
                out = io.BytesIO()
                copy.save(out, fmt, **({"quality": 80} if fmt == "JPEG" else {}))
                hashes.append(_phash(out.getvalue(), tmp_path, f"r.{fmt.lower()}"))
        for h in hashes[1:]:
            assert hash_distance(hashes[0], h) <= DUPLICATE_DISTANCE, photo.name


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path
