"""Real image bytes for the simulator, generated deterministically from a picture seed.

A *picture* is an abstract drawing (a smooth random colour field plus a few bold shapes) that is
defined in normalised coordinates, so the same picture rendered at 2000x3000 and at 1000x1426 looks
the same to a perceptual hash: that is how the simulator makes near-duplicates across providers.
Different seeds give unrelated drawings and so distant hashes.

Styles: ``photo`` (opaque, JPEG or PNG), ``cutout`` (logo/clearart: shapes on full transparency),
``disc`` (a round disc with a hole on transparency).
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import threading
import zlib
from collections import OrderedDict
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps

BOMB_SIZE = 25_000
JPEG_QUALITY = 85


def _rng(seed: str) -> random.Random:
    return random.Random(hashlib.sha256(seed.encode(errors="surrogatepass")).digest())


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _shapes(rng: random.Random, count: int) -> list[tuple[str, tuple[float, ...], tuple]]:
    """Bold shapes in normalised coordinates: (kind, (x0, y0, x1, y1), colour)."""
    shapes = []
    for _ in range(count):
        x0, y0 = rng.uniform(-0.1, 0.8), rng.uniform(-0.1, 0.8)
        x1, y1 = x0 + rng.uniform(0.15, 0.6), y0 + rng.uniform(0.15, 0.6)
        kind = rng.choice(("rect", "ellipse", "triangle"))
        shapes.append((kind, (x0, y0, x1, y1), _colour(rng)))
    return shapes


def _draw_shapes(draw: ImageDraw.ImageDraw, shapes, width: int, height: int, alpha=None) -> None:
    for kind, (x0, y0, x1, y1), colour in shapes:
        box = (x0 * width, y0 * height, x1 * width, y1 * height)
        fill = colour if alpha is None else (*colour, alpha)
        if kind == "rect":
            draw.rectangle(box, fill=fill)
        elif kind == "ellipse":
            draw.ellipse(box, fill=fill)
        else:
            draw.polygon(
                [(box[0], box[3]), ((box[0] + box[2]) / 2, box[1]), (box[2], box[3])], fill=fill
            )


def _field(rng: random.Random, width: int, height: int) -> Image.Image:
    """A smooth random colour field: a 4x4 grid of grey levels blown up bicubically, then tinted."""
    grid = Image.new("L", (4, 4))
    grid.putdata([rng.randrange(256) for _ in range(16)])
    grey = grid.resize((width, height), Image.Resampling.BICUBIC)
    return ImageOps.colorize(grey, _colour(rng), _colour(rng))


@lru_cache(maxsize=1)
def _grain_tile() -> Image.Image:
    return Image.effect_noise((512, 512), 24)


def _grain(width: int, height: int) -> Image.Image:
    """Film grain, so JPEGs weigh what real posters weigh; invisible to a perceptual hash."""
    tile = _grain_tile()
    grain = Image.new("L", (width, height))
    for x in range(0, width, 512):
        for y in range(0, height, 512):
            grain.paste(tile, (x, y))
    return Image.merge("RGB", (grain, grain, grain))


def render_picture(seed: str, style: str, width: int, height: int) -> Image.Image:
    """The picture `seed` drawn at width x height (RGB for photo, RGBA otherwise)."""
    rng = _rng(seed)
    if style == "photo":
        image = _field(rng, width, height)
        _draw_shapes(ImageDraw.Draw(image), _shapes(rng, 5), width, height)
        return Image.blend(image, _grain(width, height), 0.1)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if style == "disc":
        art = _field(rng, width, height).convert("RGBA")
        _draw_shapes(ImageDraw.Draw(art), _shapes(rng, 4), width, height)
        mask = Image.new("L", (width, height), 0)
        mask_draw = ImageDraw.Draw(mask)
        mask_draw.ellipse((0, 0, width - 1, height - 1), fill=255)
        mask_draw.ellipse((width * 0.44, height * 0.44, width * 0.56, height * 0.56), fill=0)
        image.paste(art, (0, 0), mask)
        return image
    # cutout: letter-like bars and blobs, opaque, on transparency
    draw = ImageDraw.Draw(image)
    bars = rng.randint(4, 7)
    for i in range(bars):
        x0 = 0.04 + i * 0.92 / bars + rng.uniform(0, 0.02)
        x1 = x0 + 0.92 / bars * rng.uniform(0.5, 0.9)
        y0, y1 = rng.uniform(0.05, 0.4), rng.uniform(0.6, 0.95)
        draw.rectangle(
            (x0 * width, y0 * height, x1 * width, y1 * height), fill=(*_colour(rng), 255)
        )
    _draw_shapes(draw, _shapes(rng, 2), width, height, alpha=255)
    return image


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "jpg":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def render_svg(seed: str, width: int, height: int) -> bytes:
    """An SVG logo for the picture: same style of bars as the PNG rendition, as vector shapes."""
    rng = _rng(seed)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    bars = rng.randint(4, 7)
    for i in range(bars):
        x0 = 0.04 + i * 0.92 / bars + rng.uniform(0, 0.02)
        x1 = x0 + 0.92 / bars * rng.uniform(0.5, 0.9)
        y0, y1 = rng.uniform(0.05, 0.4), rng.uniform(0.6, 0.95)
        r, g, b = _colour(rng)
        parts.append(
            f'<rect x="{x0 * width:.1f}" y="{y0 * height:.1f}" width="{(x1 - x0) * width:.1f}" '
            f'height="{(y1 - y0) * height:.1f}" fill="rgb({r},{g},{b})"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts).encode()


class ImageCache:
    """A thread-safe LRU of encoded images, bounded by total bytes. Concurrent requests for the
    same image wait for one rendering instead of each drawing it."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._rendering: dict[tuple, threading.Lock] = {}

    def _cached(self, key: tuple) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def get(self, seed: str, style: str, width: int, height: int, fmt: str) -> bytes:
        key = (seed, style, width, height, fmt)
        data = self._cached(key)
        if data is not None:
            return data
        with self._lock:
            key_lock = self._rendering.setdefault(key, threading.Lock())
        with key_lock:
            data = self._cached(key)
            if data is None:
                data = render(seed, style, width, height, fmt)
                self._store(key, data)
        with self._lock:
            self._rendering.pop(key, None)
        return data

    def _store(self, key: tuple, data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._size += len(data)
            while self._size > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)


def render(seed: str, style: str, width: int, height: int, fmt: str) -> bytes:
    """Encoded bytes of the picture at this size: jpg, png or svg."""
    if fmt == "svg":
        return render_svg(seed, width, height)
    return encode(render_picture(seed, style, width, height), fmt)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


@lru_cache(maxsize=1)
def bomb_png() -> bytes:
    """A valid 25000x25000 8-bit grey PNG of zeros (625 MB decoded, ~600 KB on the wire).

    Built cheaply: after a full flush the deflate state is reset, so the compressed form of one
    block of rows can be repeated; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    """
    rows_per_block, blocks = 100, BOMB_SIZE // 100
    block = b"\0" * ((BOMB_SIZE + 1) * rows_per_block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    total = len(block) * blocks
    adler = ((total % 65521) << 16) | 1
    stream = b"\x78\xda" + segment * blocks + b"\x03\x00" + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", BOMB_SIZE, BOMB_SIZE, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )


def garbage(length: int, seed: str = "garbage") -> bytes:
    """Deterministic bytes that are no image format at all."""
    return _rng(seed).randbytes(length)
