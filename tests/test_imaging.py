"""Image analysis reports the real size and format, and refuses what is not a sane image."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageOps

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


# --- memory: what one image from elsewhere may take to preview --------------------------------
# Each image is made by Pillow in a subprocess (its pixels never in this process) and analysed
# in another, whose peak resident memory (ru_maxrss) is measured around the call alone.

MAKE = """
import sys
from PIL import Image
mode, w, h, fmt, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
options = {"PNG": {"transparency": 0} if mode == "P" else {}, "WEBP": {"method": 0},
           "JPEG": {}, "PJPEG": {"progressive": True}}[fmt]
Image.new(mode, (w, h), 0).save(path, "JPEG" if fmt == "PJPEG" else fmt, **options)
"""

MEASURE = """
import resource, sys
from metarrd.imaging import ImageRejected, analyse_with_preview
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    info, preview = analyse_with_preview(sys.argv[1])
    answer = f"{info.width}x{info.height} preview {len(preview)} bytes"
except ImageRejected as exc:
    answer = f"rejected: {exc}"
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grown // 1024, answer)
"""


def _made(tmp_path, mode, size, fmt):
    path = tmp_path / f"{mode}-{size[0]}x{size[1]}.{fmt.lower()}"
    run = [sys.executable, "-c", MAKE, mode, str(size[0]), str(size[1]), fmt, str(path)]
    subprocess.run(run, check=True, timeout=300)
    return path


def _peak_mb(path) -> tuple[int, str]:
    """(MB the analysis of `path` grew the peak memory of a fresh process by, its answer)"""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    ).stdout
    grown, answer = out.split(" ", 1)
    return int(grown), answer.strip()


@pytest.mark.parametrize(
    ("mode", "fmt", "was"),
    [
        ("P", "PNG", 605),  # a logo's palette with a transparent colour: made RGBA whole, then
        ("LA", "PNG", 734),  # premultiplied whole by Pillow's resize (MB before the fix)
        ("L", "PNG", 299),  # a grey scan: made RGB whole
    ],
)
def test_an_image_at_the_pixel_cap_is_previewed_without_full_size_copies(tmp_path, mode, fmt, was):
    """A 10000x8000 image (80 megapixels, the default cap) that Pillow decodes whole took
    several times its decoded size to preview: each conversion on the way made a full-size
    copy. Now the decode is the only full-size thing (80 MB for one byte a pixel; LA is kept
    in four: its 305 MB are over the decode budget and refused from the header)."""
    grown, answer = _peak_mb(_made(tmp_path, mode, (10000, 8000), fmt))
    if mode == "LA":
        assert answer.startswith("rejected: decoding this 10000x8000 PNG would take 305 MB")
        assert grown < 40
    else:
        assert answer.startswith("10000x8000 preview")
        assert grown < 130, f"{grown} MB (was {was} MB before)"


@pytest.mark.parametrize(
    ("mode", "size", "fmt", "was"),
    [
        ("RGB", (10000, 8000), "PNG", 306),  # a few hundred KB on the wire
        ("RGB", (5000, 5000), "WEBP", 380),  # libwebp's canvases: 16 bytes a pixel
        ("RGB", (10000, 8000), "PJPEG", 235),  # progressive: every DCT coefficient kept
    ],
)
def test_an_image_over_the_decode_budget_is_refused_from_its_header(tmp_path, mode, size, fmt, was):
    """Under the pixel cap, yet hundreds of MB to decode: refused before any decode, with the
    reason (several such uploads at once took a NAS's memory)."""
    grown, answer = _peak_mb(_made(tmp_path, mode, size, fmt))
    assert answer.startswith(f"rejected: decoding this {size[0]}x{size[1]}"), answer
    assert "MB of memory, over the 192 MB one picture may take" in answer
    assert grown < 40, f"{grown} MB (was {was} MB before)"


def test_a_baseline_jpeg_at_the_pixel_cap_is_still_taken_at_reduced_scale(tmp_path):
    grown, answer = _peak_mb(_made(tmp_path, "RGB", (10000, 8000), "JPEG"))
    assert answer.startswith("10000x8000 preview") and grown < 60


# --- EXIF orientation ------------------------------------------------------------------------


def _sideways_photo(path, size):
    """What a phone held upright saves: the sensor's landscape pixels, and EXIF Orientation 6
    ("rotate 90° clockwise to show"; iPhone and Android cameras alike). The top of the stored
    pixels (red) is the right of the picture as shown; its bottom (blue), the left."""
    width, height = size
    im = Image.new("RGB", size, (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, width, height // 2))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(path, "JPEG", exif=exif, quality=95)


@pytest.mark.parametrize("size", [(1200, 800), (240, 160)])  # previewed / its own preview
def test_a_phone_photo_is_measured_and_previewed_as_it_is_shown(tmp_path, size):
    """Kodi shows artwork upright: its texture cache applies the EXIF orientation the image
    decoder read (xbmc TextureCacheJob.cpp -> CPicture::CacheTexture(texture->GetOrientation())),
    as browsers do. A portrait poster photographed with a phone was taken as landscape: its
    width and height swapped (scored against the poster shape as a wide picture), its preview
    lying on its side."""
    from metarrd.imaging import analyse_with_preview

    path = tmp_path / "IMG_0001.jpg"
    _sideways_photo(path, size)
    shown = (size[1], size[0])
    info, preview = analyse_with_preview(path)
    assert (info.width, info.height) == shown
    assert (analyse_image(path).width, analyse_image(path).height) == shown
    with Image.open(io.BytesIO(preview)) as small:
        upright = ImageOps.exif_transpose(small).convert("RGB")
    w, h = upright.size
    assert w < h  # portrait, as shown
    assert upright.getpixel((w - 3, h // 2))[0] > 200  # red on the right
    assert upright.getpixel((2, h // 2))[2] > 200  # blue on the left
    # the picture's hash is that of the upright picture
    straight = tmp_path / "straight.jpg"
    Image.open(path).transpose(Image.Transpose.ROTATE_270).save(straight, quality=95)
    assert hash_distance(info.phash, analyse_image(straight).phash) <= 4
    assert hash_distance(analyse_image(path).phash, analyse_image(straight).phash) <= 4


def test_a_16_bit_grey_png_is_previewed_and_hashed_as_it_looks(tmp_path):
    """A black-and-white poster scanned or exported at 16 bits (GIMP's "16-bit precision",
    scanners' 48/16-bit modes) opens in Pillow as I;16, whose conversion to 8 bits clips every
    value over 255 to white: the preview came out white, and every such picture got the hash
    of a white page, so two different scans were folded as copies of the same picture."""
    from metarrd.imaging import analyse_with_preview

    def scan(name, seed):
        # a ramp from black (top) to white, with a coarse pattern of its own on the lower half
        picture = Image.linear_gradient("L").resize((600, 900))
        noise = Image.effect_noise((6, 5), 120 + seed).resize((600, 450)).point(lambda v: v // 2)
        picture.paste(noise, (0, 450))
        im = picture.convert("I").point(lambda v: v * 257).convert("I;16")  # 0..65535
        path = tmp_path / name
        im.save(path, "PNG")
        assert Image.open(path).mode == "I;16"
        return path

    a, b = scan("a.png", 0), scan("b.png", 60)
    info, preview = analyse_with_preview(a)
    with Image.open(io.BytesIO(preview)) as small:
        grey = small.convert("L")
        top, quarter = grey.getpixel((100, 5)), grey.getpixel((100, grey.height // 4))
    assert top < 20 and 40 < quarter < 90  # dark at the top, dark grey a quarter down
    other = analyse_with_preview(b)[0]
    assert hash_distance(info.phash, other.phash) > 10
    assert hash_distance(analyse_image(a).phash, analyse_image(b).phash) > 10


def test_a_jpeg_carrying_a_second_picture_is_a_jpeg(tmp_path):
    """Android's Ultra HDR photos (Pixel 8 and later, Android 14) and many cameras' JPEGs carry
    a second picture (the HDR gain map, a large preview) in an MPF segment; Pillow opens those
    as format "MPO". Every JPEG decoder (Kodi's, browsers') shows the first picture, a plain
    baseline JPEG; we refused the file: "unsupported image format MPO"."""
    from metarrd.imaging import analyse_with_preview, read_header

    photo = Image.new("RGB", (1200, 1800), (200, 30, 30))
    gain_map = Image.new("L", (300, 450), 128).convert("RGB")
    path = tmp_path / "PXL_20240301_123456789.jpg"
    photo.save(path, "MPO", save_all=True, append_images=[gain_map])
    assert Image.open(path).format == "MPO"
    info, preview = analyse_with_preview(path)
    assert (info.width, info.height, info.format, info.ext) == (1200, 1800, "jpeg", "jpg")
    assert Image.open(io.BytesIO(preview)).size == (200, 300)
    assert analyse_image(path).format == "jpeg"
    header = read_header(path.read_bytes()[:4096])
    assert header is not None and (header.format, header.width) == ("jpeg", 1200)


def _with_scans_repeated(data: bytes, times: int) -> bytes:
    """A progressive JPEG with its last scan (a refinement that says "nothing changed" in a few
    bytes, by the EOB runs of a one-colour picture) sent `times` more times before its end."""
    last = data.rindex(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    return data[:end] + data[last:end] * times + data[end:]


def test_a_progressive_jpeg_of_thousands_of_scans_is_refused_before_decoding(tmp_path):
    """libjpeg-turbo's LJT-01-003 (libjpeg-turbo issue #284: "over 1000 14-megapixel
    progressive scans" in 38 KB, a minute in jpeg_start_decompress): every scan walks every
    block of the image however little it holds. A 6000x6000 picture with 2000 such scans is
    435 KB; decoding its preview took 43 s of CPU (ru_utime), and a 64 MB upload of them would
    take hours, holding the one decode a process runs at a time. The standard allows it, so
    decoders cap the scans (NVIDIA DALI: 500); a real progressive JPEG has about ten."""
    from metarrd.imaging import analyse_with_preview

    buf = io.BytesIO()
    Image.new("RGB", (1500, 1000), (120, 60, 30)).save(buf, "JPEG", progressive=True)
    ordinary = buf.getvalue()
    assert ordinary.count(b"\xff\xda") == 10
    assert analyse_with_preview(ordinary)[0].width == 1500
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(_with_scans_repeated(ordinary, 600))
    with pytest.raises(ImageRejected, match="a progressive JPEG of 610 scans"):
        analyse_with_preview(bomb)


def test_a_file_of_another_format_is_refused_without_its_decoder_reading_it(tmp_path, monkeypatch):
    """Image.open hands the bytes to every Pillow plugin whose signature matches before the
    format is checked: a `poster.jpg` that is an EPS (`%!PS`) of 60 MB of short lines was read
    line by line to its `%%EndComments` in Python, a minute of CPU, then refused. Only the four
    formats of ours are opened now; the others are named by their signature alone."""
    from PIL import EpsImagePlugin

    from metarrd.imaging import analyse_with_preview, make_preview

    opened = []
    real_open = EpsImagePlugin.EpsImageFile._open
    monkeypatch.setattr(
        EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(1) or real_open(self)
    )
    eps = tmp_path / "poster.jpg"
    Image.new("RGB", (40, 60), (200, 30, 30)).save(eps, "EPS")
    assert eps.read_bytes().startswith(b"%!PS")
    for analyse in (analyse_image, analyse_with_preview):
        with pytest.raises(ImageRejected, match="unsupported image format EPS"):
            analyse(eps)
    with pytest.raises(OSError):
        make_preview(eps)
    assert opened == []
    ordinary = tmp_path / "ordinary.jpg"  # the four formats of ours still open
    for fmt in ("JPEG", "PNG", "WEBP", "GIF"):
        Image.new("RGB", (40, 60), (200, 30, 30)).save(ordinary, fmt)
        assert analyse_with_preview(ordinary)[0].format == fmt.lower()


@pytest.mark.parametrize("sampling", [0x00, 0x10, 0x50])
def test_a_progressive_jpeg_with_bogus_sampling_factors_is_refused_with_a_reason(
    tmp_path, sampling
):
    """Found by fuzzing (stop 49): a progressive JPEG whose header gives its colour components
    a sampling factor of 0 (a corrupt download) made the decode-memory estimate divide by zero,
    and the candidate failed with ZeroDivisionError instead of a reason. libjpeg refuses any
    factor outside 1-4 ("Bogus sampling factors")."""
    from metarrd.imaging import DECODE_BUDGET, analyse_with_preview

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, "JPEG", progressive=True)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc2")
    for component in range(data[sof + 9]):
        data[sof + 11 + 3 * component] = sampling
    path = tmp_path / "bogus.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageRejected, match="sampling factor"):
        analyse_with_preview(bytes(data))
    with pytest.raises(ImageRejected, match="sampling factor"):
        analyse_image(path, budget=DECODE_BUDGET)


@pytest.mark.parametrize("cut", [4, 8])
def test_a_gif_cut_short_in_its_second_frames_header_is_refused_with_a_reason(tmp_path, cut):
    """Found by fuzzing (stop 49): a small GIF whose next frame's header is cut short (a
    broken download or upload) raised Pillow's `struct.error` or IndexError out of the look
    for a second frame, and the image failed with "internal error" instead of a reason."""
    from metarrd.imaging import analyse_with_preview

    buf = io.BytesIO()
    Image.new("P", (20, 20), 1).save(buf, "GIF")
    data = buf.getvalue()[:-1] + b"," + bytes(cut)  # the trailer `;` now a frame's start
    path = tmp_path / "cut.gif"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(ImageRejected, match="truncated or corrupt image data"):
            analyse_with_preview(source)
