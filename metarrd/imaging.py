"""Image analysis: real size and format from the header, SHA-256, perceptual hash, sanity checks.

Decoding is kept cheap: the size comes from the header alone, and the perceptual hash is computed
from a reduced decode (JPEG draft mode decodes at 1/8 scale), so analysing a candidate costs far
less than downloading it. Anything that is not a sane raster image raises `ImageRejected` with a
reason a person can read.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import imagehash
from PIL import Image, UnidentifiedImageError

from metarrd.errors import MetarrdError
from metarrd.files import MAX_FILE_BYTES, open_regular
from metarrd.scratch import temp_beside

FORMATS = {
    "JPEG": ("jpeg", "jpg"),
    "PNG": ("png", "png"),
    "WEBP": ("webp", "webp"),
    "GIF": ("gif", "gif"),
}
# A JPEG carrying a second picture in an MPF segment (Android's Ultra HDR gain map, a camera's
# large preview) opens in Pillow as "MPO"; every decoder, Kodi's and browsers', shows its first
# picture, a plain JPEG: it is a JPEG for us
SAME_AS = {"MPO": "JPEG"}
# The only decoders Image.open tries. Without `formats` it hands the bytes to every plugin whose
# signature matches, before FORMATS is checked: an EPS (`%!PS`) is read line by line to its
# `%%EndComments` in Python, a minute of CPU for 60 MB of short lines named `poster.jpg`.
OPENED = tuple(FORMATS)
MAX_IMAGE_BYTES = 64 * 1024 * 1024  # an image downloaded or uploaded: no larger file is read
DEFAULT_MAX_PIXELS = 80_000_000
# Every scan of a progressive JPEG walks every block of the picture, however little it holds: a
# few hundred KB of near-empty scans keep libjpeg busy for minutes (libjpeg-turbo's LJT-01-003,
# issue #284). A real progressive JPEG has about ten; NVIDIA DALI stops at 500, as we do.
MAX_JPEG_SCANS = 500
# The memory one image's decode may take (`decode_bytes`), for an image from elsewhere (a
# provider's candidate, an upload, an address the user gave): the pixel cap alone let a
# 10000x8000 PNG, a few hundred KB on the wire, take 600-700 MB to preview (measured with
# ru_maxrss; tests/test_imaging.py), and an 8000x8000 WebP nearly 1 GB. 192 MB still takes an
# 8K (7680x4320) PNG, a 4K (3840x2160) WebP and any baseline JPEG under the pixel cap.
DECODE_BUDGET = 192 * 1024 * 1024
log = logging.getLogger(__name__)


# what Pillow raises for a corrupt or truncated file: mostly OSError ("image file is
# truncated"), but struct.error, IndexError and EOFError from a header cut short (a GIF's next
# frame)
CORRUPT = (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error)


class ImageRejected(MetarrdError):
    """The bytes are not an image we can use (the reason says why)."""


class NotAnImage(ImageRejected):
    """The bytes are another kind of file (`what`: "an HTML page", "JSON"). Said as a file
    ("the file is an HTML page, not an image": an upload, a file in the library); where they
    are a download's, `returned_by` says whose answer they were."""

    def __init__(self, what: str) -> None:
        super().__init__(what)  # the only argument: it is pickled back from a worker process
        self.what = what

    def __str__(self) -> str:
        return f"the file is {self.what}, not an image"

    def returned_by(self, who: str) -> str:
        return f"{who} returned {self.what}, not an image"


def download_reason(exc: ImageRejected, who: str = "the provider") -> str:
    """Why a download (an answer of `who`) is not an image we can use."""
    return exc.returned_by(who) if isinstance(exc, NotAnImage) else str(exc)


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # jpeg | png | webp | gif
    ext: str  # jpg | png | webp | gif
    sha256: str
    size: int
    phash: str  # 16 hex digits


def _kind(im: Image.Image) -> str | None:
    """The image's format as FORMATS names it (Pillow's name, or the one it is the same as)."""
    return SAME_AS.get(im.format or "", im.format)


def _scan_count(source: Path | bytes) -> int:
    """How many scans (SOS markers) a JPEG holds. Inside a scan's data a 0xFF byte is always
    followed by 0x00 or a restart marker, so every FF DA is a scan of the file (or of an EXIF
    thumbnail, a second MPF picture: a few more, never hundreds)."""
    if isinstance(source, bytes):
        return source.count(b"\xff\xda")
    count, carry = 0, b""
    with open_regular(source, MAX_FILE_BYTES) as fh:
        while chunk := fh.read(1024 * 1024):
            count += (carry + chunk).count(b"\xff\xda")
            carry = chunk[-1:]
    return count


def sniffed(head: bytes) -> ImageRejected | None:
    """What bytes that are not an image are instead (None: nothing known)."""
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return NotAnImage("an HTML page")
    if text.startswith(b"<?xml") and b"<svg" in text or text.startswith(b"<svg"):
        return ImageRejected("SVG is not a raster image")
    if text.startswith((b"{", b"[")):
        return NotAnImage("JSON")
    if not head:
        return ImageRejected("the file is empty")
    return None


def not_an_image(head: bytes) -> ImageRejected:
    """Why bytes that no image decoder reads are refused."""
    return sniffed(head) or ImageRejected("not an image in a known format")


def _read(source: Path | bytes, keep: int = 0) -> tuple[bytes, str, int, bytes | None]:
    """(first 4 KB, SHA-256, size, the whole file when it is at most `keep` bytes), in one pass.
    `source`: a file, or a download's bytes already in memory (a small rendition)."""
    if isinstance(source, bytes):
        return (
            source[:4096],
            hashlib.sha256(source).hexdigest(),
            len(source),
            (source if len(source) <= keep else None),
        )
    digest = hashlib.sha256()
    size = 0
    whole: bytes | None = None
    with open_regular(source, MAX_FILE_BYTES) as fh:
        head = fh.read(4096)
        fh.seek(0)
        while chunk := fh.read(1024 * 1024):
            whole = chunk if size == 0 else None  # one chunk: the file is this small
            digest.update(chunk)
            size += len(chunk)
    return head, digest.hexdigest(), size, whole if size <= keep else None


def _other_format(head: bytes) -> str | None:
    """The format another Pillow plugin would take `head` for, by its signature alone (the
    plugin never reads the file), for the message; None when none would."""
    if len(head) < 16:  # DIB's check unpacks 4 bytes, whatever it is given
        return None
    Image.init()
    for name, (_factory, accept) in Image.OPEN.items():
        if name not in OPENED and accept is not None and accept(head[:16]):
            return name
    return None


def _open_checked(
    source: Path | bytes, head: bytes, max_pixels: int, budget: int | None = None
) -> Image.Image:
    """Open lazily (header only) and refuse what is not a sane raster image of ours, nor one
    whose decode would take more than `budget` bytes (`decode_bytes`; None: not asked)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(
                io.BytesIO(source) if isinstance(source, bytes) else source, formats=OPENED
            )
    except UnidentifiedImageError:
        if (other := _other_format(head)) is not None:
            raise ImageRejected(f"unsupported image format {other}") from None
        raise not_an_image(head) from None
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"decompression bomb refused ({exc})") from None
    except CORRUPT as exc:
        raise ImageRejected(f"unreadable image ({exc})") from None
    width, height = im.size
    problem = None
    if _kind(im) not in FORMATS:
        problem = f"unsupported image format {im.format}"
    elif width <= 0 or height <= 0:
        problem = "image has no pixels"
    elif width * height > max_pixels:
        problem = (
            f"{width}x{height} is {width * height / 1e6:.0f} megapixels, over the "
            f"{max_pixels / 1e6:.0f} megapixel limit (decompression bomb?)"
        )
    elif _bogus_sampling(im):
        problem = "unreadable image (its JPEG header gives a sampling factor outside 1-4)"
    elif budget is not None and (cost := decode_bytes(im)) > budget:
        name = "WebP" if im.format == "WEBP" else _kind(im)
        problem = (
            f"decoding this {width}x{height} {name} would take {cost / 2**20:.0f} MB of memory, "
            f"over the {budget / 2**20:.0f} MB one picture may take (make it smaller, or save "
            "it as a baseline JPEG, which is decoded at a reduced scale)"
        )
    elif (
        budget is not None
        and _kind(im) == "JPEG"
        and im.info.get("progressive")
        and (scans := _scan_count(source)) > MAX_JPEG_SCANS
    ):
        problem = (
            f"a progressive JPEG of {scans} scans (a real one has about ten; each scan costs "
            "the decoding of the whole picture again): refused as a decoding bomb"
        )
    if problem:
        im.close()
        raise ImageRejected(problem)
    return im


# EXIF orientation -> what turns the stored pixels upright (as Pillow's ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8) an opened image's header carries; 1 without one. A phone held
    upright stores the sensor's landscape pixels with 6 ("rotate 90° clockwise to show"); Kodi
    (its texture cache: CPicture::CacheTexture with the decoder's orientation) and browsers
    show the picture turned. Read from the header's EXIF bytes only: Pillow's getexif() would
    load a whole PNG to look for a late eXIf chunk."""
    raw = im.info.get("exif")
    if not raw:
        return 1
    try:
        exif = Image.Exif()
        exif.load(raw)
        value = exif.get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block is a picture shown as stored
        return 1
    return value if value in _UPRIGHT else 1


def upright(im: Image.Image, turn: int) -> Image.Image:
    """`im` (decoded) turned as EXIF orientation `turn` says the picture is shown."""
    return im.transpose(_UPRIGHT[turn]) if turn in _UPRIGHT else im


def shown_size(size: tuple[int, int], turn: int) -> tuple[int, int]:
    """The size of the picture as shown: width and height swapped by a quarter turn (5-8)."""
    return (size[1], size[0]) if turn >= 5 else size


def analyse_image(
    path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS, budget: int | None = None
) -> ImageInfo:
    """The facts of an image file. `budget`: refuse one whose decode would take more memory
    (`decode_bytes`; DECODE_BUDGET for an image from elsewhere); None for the user's own
    library files, taken as they are."""
    path = Path(path)
    head, sha, size, _ = _read(path)
    with _open_checked(path, head, max_pixels, budget) as im:
        turn = orientation(im)
        width, height = shown_size(im.size, turn)  # before the draft decode shrinks it
        fmt, ext = FORMATS[_kind(im)]
        try:
            phash = perceptual_hash(im, turn)
        except CORRUPT as exc:
            raise ImageRejected(f"truncated or corrupt image data ({exc})") from None
        return ImageInfo(width, height, fmt, ext, sha, size, phash)


def perceptual_hash(im: Image.Image, turn: int = 1) -> str:
    """The hash of the picture as shown (`turn`: its EXIF orientation)."""
    if _kind(im) == "JPEG":
        im.draft("RGB", (64, 64))
    im.load()
    im = _eight_bit(upright(_shrunk(im, PREVIEW_SIZE), turn))
    if im.mode in ("RGBA", "LA", "P", "PA"):
        # flatten transparency onto white so logos hash by their shapes
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, rgba)
    return str(imagehash.phash(im.convert("L")))


def hash_distance(a: str, b: str) -> int:
    return imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b)


PREVIEW_SIZE = 300
# A preview is first box-reduced by the largest whole factor that keeps it at least the preview's
# size, then resampled bilinearly the rest of the way. For the PNGs no draft decode shrinks
# (fanart.tv's logos, clear art and discs, 800-1000 px with alpha) the resampling was the
# largest part of the analysis: a 1000x1000 disc took 8.7 ms to resize with a gap of 2, 3.7 ms
# with 1. An area average, then a short bilinear step: no visible difference at 300 px.
REDUCING_GAP = 1.0


def preview_box(image_size: tuple[int, int], size: int = PREVIEW_SIZE) -> tuple[int, int]:
    """The preview's own size (longest side `size`): JPEG draft mode then decodes at the
    smallest scale (down to 1/8) that still covers it."""
    width, height = image_size
    scale = min(1.0, size / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


# What Pillow keeps a decoded pixel in (the others: 4 bytes, RGB included)
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
# Pillow decodes every WebP through libwebp's animation decoder: its canvas, the previous canvas
# and the frame (RGBA each), then Pillow's own copy (measured: 15.3 bytes a pixel)
WEBP_BYTES_PER_PIXEL = 16


def _bogus_sampling(im: Image.Image) -> bool:
    """A JPEG whose header gives a component a sampling factor outside 1-4, which libjpeg
    refuses ("Bogus sampling factors") and `decode_bytes` would divide by (a corrupt file)."""
    layers = getattr(im, "layer", None) if _kind(im) == "JPEG" else None
    return any(not (1 <= h <= 4 and 1 <= v <= 4) for _, h, v, _ in layers or ())


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _draft_scale(image_size: tuple[int, int], box: tuple[int, int]) -> int:
    """The scale (1, 2, 4 or 8) JPEG draft mode decodes at for `box` (as Pillow picks it)."""
    most = min(image_size[0] // box[0], image_size[1] // box[1])
    return next(s for s in (8, 4, 2, 1) if most >= s)


def decode_bytes(im: Image.Image, size: int = PREVIEW_SIZE) -> int:
    """The memory the decode of an opened (not loaded) image takes to make its preview, from
    its header alone. A JPEG decodes at the reduced scale of draft mode, plus, when progressive,
    libjpeg's buffer of every DCT coefficient of the whole image (64 two-byte coefficients a
    block of 8x8, per component at its sampling); the others decode whole."""
    width, height = im.size
    if _kind(im) == "JPEG":
        scale = _draft_scale(im.size, preview_box(im.size, size))
        cost = _ceil_div(width, scale) * _ceil_div(height, scale) * 4
        if im.info.get("progressive"):
            layers = getattr(im, "layer", None) or [("", 1, 1, 0)] * len(im.getbands())
            h_max = max(layer[1] for layer in layers)
            v_max = max(layer[2] for layer in layers)
            for _, h, v, _ in layers:
                blocks_x = _ceil_div(_ceil_div(width * h, h_max), 8)
                blocks_y = _ceil_div(_ceil_div(height * v, v_max), 8)
                cost += blocks_x * blocks_y * 128
        return cost
    if im.format == "WEBP":
        return width * height * WEBP_BYTES_PER_PIXEL
    return width * height * _BYTES_PER_PIXEL.get(im.mode, 4)


def _eight_bit(im: Image.Image) -> Image.Image:
    """A 16-bit grey image (Pillow's I;16: a PNG scanned or exported at 16 bits) scaled to
    8 bits; Pillow's own conversion clips every value over 255 to white. Others as they are."""
    if not im.mode.startswith("I;16"):
        return im
    return im.convert("I").point(lambda v: v * (1 / 256)).convert("L")


def _shrunk(im: Image.Image, size: int) -> Image.Image:
    """A loaded image brought down towards the preview's `size` with no second copy of the
    whole: box-averaged to twice that size where Pillow can without one (L, RGB, CMYK), else
    by nearest pixels to four times it (a palette image, one with alpha: Pillow converts those
    whole, to RGB(A) and to premultiplied alpha, before any resize). The rest of the way is
    the caller's, on the small image. `im` itself when it is small already."""
    longest = max(im.size)
    if im.mode in ("L", "RGB", "CMYK", "I", "F"):
        factor = longest // (2 * size)
        return im.reduce(factor) if factor >= 2 else im
    factor = longest / (4 * size)
    if factor < 2:
        return im
    width, height = im.size
    box = (max(1, round(width / factor)), max(1, round(height / factor)))
    return im.resize(box, Image.Resampling.NEAREST)


def make_preview(source: Path | bytes, *, size: int = PREVIEW_SIZE, quality: int = 75) -> bytes:
    """A small WebP of the image (longest side `size` px) for the review UI.

    Only for files `analyse_image` accepted (its pixel cap has been checked). Kept cheap, as it
    runs for every candidate: JPEGs are decoded in draft mode at the smallest scale that still
    covers the preview, then box-reduced and resampled bilinearly (REDUCING_GAP); WebP at its
    fastest method.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(
            io.BytesIO(source) if isinstance(source, bytes) else source, formats=OPENED
        ) as im:
            if _kind(im) == "JPEG":
                im.draft("RGB", preview_box(im.size, size))
            im.load()
            small = _eight_bit(_shrunk(im, size))
            if small.mode not in ("RGB", "RGBA"):
                alpha = "A" in im.mode or "transparency" in im.info
                small = small.convert("RGBA" if alpha else "RGB")
            small.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP)
            small = upright(small, orientation(im))
            out = io.BytesIO()
            small.save(out, "WEBP", quality=quality, method=0)
    return out.getvalue()


OWN_PREVIEW_BYTES = 64 * 1024  # a small rendition this size or less is its own preview
# ... and at most this many times the preview box on its longest side. TheTVDB's thumbnails are
# half their image: 340x500 for a poster (about 20 KB), 379x70 for a banner, 400x155 for a logo.
# Resizing and encoding one of those cost about 3 ms of its 3.5 ms of analysis, for a preview
# the page shows at the same size (the art grid scales every preview to its cell; a browser on
# a high-density screen shows more of it); one of 960x540 is still made small.
OWN_PREVIEW_SCALE = 2


def _own_preview(im: Image.Image, length: int, size: int) -> bool:
    """Whether the image can be shown as it is, as its own preview: not much larger than the
    preview box, small on disk, one frame, in a format and colour mode every browser shows."""
    if (
        max(im.size) > size * OWN_PREVIEW_SCALE
        or length > OWN_PREVIEW_BYTES
        or getattr(im, "is_animated", False)
    ):
        return False
    if _kind(im) == "JPEG":
        return im.mode in ("RGB", "L")  # not CMYK: some browsers show it inverted
    return im.format in ("PNG", "WEBP")


def analyse_with_preview(
    source: Path | bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, size: int = PREVIEW_SIZE
) -> tuple[ImageInfo, bytes]:
    """`analyse_image` and `make_preview` from a single decode (what enrich runs per candidate).

    Same checks and rejection reasons as `analyse_image` (tests/enrich/test_imaging.py holds the
    two together). The perceptual hash is taken from the preview-sized image instead of the
    1/8-scale decode; imagehash reduces both to 32x32 first, so the hashes agree to within a bit
    or two, well inside near-duplicate matching. Costs about a third less than the two calls.

    An image within twice the preview box (a provider's small rendition: TMDB `w185` posters,
    `w300` backdrops, fanart.tv's previews, most of TheTVDB's thumbnails; OWN_PREVIEW_SCALE) and
    small on disk is its own preview: its bytes come back as they are
    (JPEG, PNG or WebP; `preview_ext` tells which), without the resize and the WebP encode that
    cost two thirds of a rendition's analysis, and without a second lossy encode.

    `source`: a file, or the bytes of a download kept in memory (a small rendition: no temp
    file written, read back and removed).
    """
    if not isinstance(source, bytes):
        source = Path(source)
    head, sha, length, whole = _read(source, keep=OWN_PREVIEW_BYTES)
    with _open_checked(source, head, max_pixels, DECODE_BUDGET) as im:
        turn = orientation(im)
        width, height = shown_size(im.size, turn)
        fmt, ext = FORMATS[_kind(im)]
        try:
            own = whole is not None and _own_preview(im, length, size)  # reads frames (a GIF's)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if own and _kind(im) == "JPEG":
                    # the preview is the bytes: the hash needs grey at 64 px or more only, which
                    # libjpeg decodes at a reduced scale, without colour (0.7 -> 0.3 ms a w185)
                    im.draft("L", (64, 64))
                    im.load()
                    grey = upright(im if im.mode == "L" else im.convert("L"), turn)
                    phash = str(imagehash.phash(grey))
                    return ImageInfo(width, height, fmt, ext, sha, length, phash), whole
                if _kind(im) == "JPEG" and not own:
                    im.draft("RGB", preview_box(im.size, size))
                im.load()
                small = _eight_bit(im if own else _shrunk(im, size))
                if small.mode not in ("RGB", "RGBA"):
                    alpha = "A" in im.mode or "transparency" in im.info
                    small = small.convert("RGBA" if alpha else "RGB")
                if not own:
                    small.thumbnail(
                        (size, size), Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP
                    )
                small = upright(small, turn)  # its own preview: the browser turns the bytes
                flat = small
                if small.mode == "RGBA":  # hash logos by their shapes, as perceptual_hash does
                    bg = Image.new("RGBA", small.size, (255, 255, 255, 255))
                    flat = Image.alpha_composite(bg, small)
                phash = str(imagehash.phash(flat.convert("L")))  # from 32x32 either way
                if own:
                    preview = whole
                else:
                    out = io.BytesIO()
                    small.save(out, "WEBP", quality=75, method=0)
                    preview = out.getvalue()
        except CORRUPT as exc:
            raise ImageRejected(f"truncated or corrupt image data ({exc})") from None
    return ImageInfo(width, height, fmt, ext, sha, length, phash), preview


def preview_ext(data: bytes) -> str:
    """The file extension of preview bytes: an image's own (`analyse_with_preview`), else WebP."""
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data.startswith(b"\x89PNG"):
        return "png"
    return "webp"


def preview_relpath(sha256: str, ext: str = "webp") -> str:
    return f"{sha256[:2]}/{sha256}.{ext}"


def write_preview(
    previews_dir: Path, source: Path | bytes, sha256: str, data: bytes | None = None
) -> str | None:
    """Keep the preview of an accepted image (once per content): `data` when already made (a
    WebP, or a small rendition's own bytes: preview_ext), else made from `source` (a file or
    an image's bytes). None when it cannot be made.

    Written to a temp name and renamed, so no reader sees half a preview; not fsynced: a preview
    is derived data that a later enrich simply makes again. Its folder is made when the first
    write finds it missing (not asked for each of the hundreds of previews of an enrich).
    """
    rel = preview_relpath(sha256, preview_ext(data) if data else "webp")
    target = Path(previews_dir) / rel
    if target.exists():
        return rel
    tmp = temp_beside(target)  # named by its process: a daemon's start leaves it while it lives
    try:
        if data is None:
            data = make_preview(source)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        name = source.name if isinstance(source, Path) else f"image {sha256[:12]}"
        log.warning("preview of %s failed: %s", name, exc)
        return None
    return rel


@dataclass(frozen=True)
class Header:
    """What the first bytes of an image say: its real size and format."""

    width: int
    height: int
    format: str  # jpeg | png | webp | gif
    ext: str


def read_header(head: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Header | None:
    """The size and format in the first bytes of an image; None when they do not reach that far
    (a JPEG with a large EXIF block). Raises ImageRejected for what is no image of ours."""
    from PIL import ImageFile

    parser = ImageFile.Parser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser.feed(head)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"decompression bomb refused ({exc})") from None
    except CORRUPT as exc:
        raise ImageRejected(f"unreadable image ({exc})") from None
    im = parser.image
    if im is None:
        if len(head) >= 16 and (known := sniffed(head)) is not None:
            raise known
        return None
    width, height = im.size
    if _kind(im) not in FORMATS:
        raise ImageRejected(f"unsupported image format {im.format}")
    if width <= 0 or height <= 0:
        raise ImageRejected("image has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(
            f"{width}x{height} is {width * height / 1e6:.0f} megapixels, over the "
            f"{max_pixels / 1e6:.0f} megapixel limit (decompression bomb?)"
        )
    fmt, ext = FORMATS[_kind(im)]
    return Header(width, height, fmt, ext)


def check_whole(
    path: Path, phash: str, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageInfo | None:
    """The facts of a whole downloaded image without decoding it, for an image whose picture
    is known already (`phash`, from its small rendition): size and format from the header,
    SHA-256 and length from one read, and a complete ending (JPEG EOI, PNG IEND, GIF trailer,
    WebP RIFF length). None when the header is not at the start: decode it (`analyse_image`).
    Raises ImageRejected like `analyse_image`."""
    path = Path(path)
    head, sha, size, _ = _read(path)
    header = read_header(head, max_pixels=max_pixels)
    if header is None:
        return None
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if not _complete(header.format, head, tail, size):
        raise ImageRejected("truncated or corrupt image data (the file ends early)")
    return ImageInfo(header.width, header.height, header.format, header.ext, sha, size, phash)


def _complete(fmt: str, head: bytes, tail: bytes, size: int) -> bool:
    if fmt == "jpeg":
        return b"\xff\xd9" in tail
    if fmt == "png":
        return b"IEND" in tail[-16:]
    if fmt == "gif":
        return tail.rstrip(b"\0").endswith(b";")
    if fmt == "webp":
        return len(head) >= 8 and int.from_bytes(head[4:8], "little") + 8 <= size
    return True
