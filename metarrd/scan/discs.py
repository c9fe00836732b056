"""What a disc's own navigation files say about its main title: a DVD's IFO.

MediaInfo reads one stream file of a disc (a VOB), and a stream file does not know what the
disc's menus know: a VOB carries no language for its audio and subpicture streams. They are read
here from the header alone (a DVD's first IFO sector, 2 KB), and only from a regular file
(`open_regular`): a FIFO named `VTS_01_0.IFO` is refused, never waited on. Anything that does not
parse raises `DiscInfoError` with the reason; the caller logs it and keeps what MediaInfo said.

The layout, from the source of the players that read it: libdvdread `src/dvdread/ifo_types.h`
(`vtsi_mat_t`, `audio_attr_t`, `subp_attr_t`) and `src/ifo_read.c` (`ifoRead_VTS`,
`read_audio_attr`, `read_subp_attr`, the limits of 8 audio and 32 subpicture streams),
https://code.videolan.org/videolan/libdvdread.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from metarrd.files import display, open_regular
from metarrd.scan.kodi_codecs import language_code


class DiscInfoError(Exception):
    """A navigation file that cannot be used: says which and why."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{display(path)}: {reason}")
        self.path = path
        self.reason = reason


def _read_head(path: Path, size: int, cap: int | None = None) -> bytes:
    """The first `size` bytes of a regular file (of at most `cap` bytes), or DiscInfoError."""
    try:
        with open_regular(path, cap) as handle:
            return handle.read(size)
    except PermissionError:
        raise DiscInfoError(path, "permission denied") from None
    except OSError as exc:  # UnsafeFile (a FIFO, a device, too large) says why in strerror
        raise DiscInfoError(path, f"cannot be read ({exc.strerror or exc})") from None


# --- DVD: VTS_xx_0.IFO ----------------------------------------------------------------------

# Offsets in the VTSI_MAT (vtsi_mat_t), the first sector of VTS_xx_0.IFO
_VTS_ID = b"DVDVIDEO-VTS"
_AUDIO_COUNT = 0x202  # uint16 (libdvdread reads the low byte, nr_of_vts_audio_streams, 0x203)
_AUDIO_ATTRS = 0x204  # audio_attr_t vts_audio_attr[8], 8 bytes each
_SUBP_COUNT = 0x254  # uint16 (nr_of_vts_subp_streams at 0x255)
_SUBP_ATTRS = 0x256  # subp_attr_t vts_subp_attr[32], 6 bytes each
_MAX_AUDIO = 8
_MAX_SUBP = 32
IFO_HEAD_BYTES = 2048  # one sector: the whole VTSI_MAT

# audio_attr_t.audio_format, the top 3 bits of byte 0 (libdvdread's ifo_print.c names them)
_DVD_AUDIO_CODECS = {0: "ac3", 2: "mp2", 3: "mp2", 4: "pcm", 6: "dts"}


@dataclass(frozen=True)
class DvdStream:
    """An audio (codec, language, channels) or subpicture (language only) stream of a title set."""

    codec: str
    language: str
    channels: int = 0


@dataclass(frozen=True)
class DvdStreams:
    audio: list[DvdStream]
    subtitles: list[DvdStream]
    warnings: list[str]


def read_ifo_streams(ifo: Path) -> DvdStreams:
    """The audio and subpicture streams a title set's `VTS_xx_0.IFO` (or `.BUP`) declares."""
    head = _read_head(ifo, IFO_HEAD_BYTES)
    if len(head) < len(_VTS_ID) or head[: len(_VTS_ID)] != _VTS_ID:
        raise DiscInfoError(ifo, "not a DVD title set IFO (no DVDVIDEO-VTS header)")
    if len(head) < _SUBP_ATTRS:
        raise DiscInfoError(ifo, f"truncated: {len(head)} bytes, the stream table ends later")
    (n_audio,) = struct.unpack_from(">H", head, _AUDIO_COUNT)
    (n_subp,) = struct.unpack_from(">H", head, _SUBP_COUNT)
    if n_audio > _MAX_AUDIO:
        raise DiscInfoError(ifo, f"says {n_audio} audio streams, a DVD has at most {_MAX_AUDIO}")
    if n_subp > _MAX_SUBP:
        raise DiscInfoError(ifo, f"says {n_subp} subtitle streams, a DVD has at most {_MAX_SUBP}")
    if len(head) < _SUBP_ATTRS + 6 * n_subp:
        raise DiscInfoError(ifo, f"truncated: {len(head)} bytes, the stream table ends later")
    warnings: list[str] = []
    audio = []
    for i in range(n_audio):
        attr = head[_AUDIO_ATTRS + 8 * i : _AUDIO_ATTRS + 8 * i + 8]
        audio_format, lang_type = attr[0] >> 5, (attr[0] >> 2) & 0x03
        language = _ifo_language(attr[2:4], lang_type, f"audio stream {i + 1}", warnings)
        codec = _DVD_AUDIO_CODECS.get(audio_format, "")
        channels = (attr[1] & 0x07) + 1
        audio.append(DvdStream(codec=codec, language=language, channels=channels))
    subtitles = []
    for i in range(n_subp):
        attr = head[_SUBP_ATTRS + 6 * i : _SUBP_ATTRS + 6 * i + 6]
        language = _ifo_language(attr[2:4], attr[0] & 0x03, f"subtitle stream {i + 1}", warnings)
        subtitles.append(DvdStream(codec="", language=language))
    return DvdStreams(audio=audio, subtitles=subtitles, warnings=warnings)


def _ifo_language(raw: bytes, lang_type: int, what: str, warnings: list[str]) -> str:
    """The ISO 639-1 code of an attribute (two ASCII letters), when its type says it has one
    (lang_type 1); anything else is no language, and garbage is said so."""
    if lang_type != 1 or raw in (b"\0\0", b"\xff\xff", b"  "):  # set, but to nothing
        return ""
    if not (raw.isascii() and raw.isalpha()):
        warnings.append(f"{what}: language bytes {raw.hex()} are not a language code")
        return ""
    code = language_code(raw.decode("ascii").lower())
    if not code:
        warnings.append(f"{what}: {raw.decode('ascii')!r} is not a language code")
    return code


def title_set_ifo(folder: Path, names: list[str], title_set: str) -> Path | None:
    """The IFO of title set `VTS_xx` in `folder`: `VTS_xx_0.IFO`, else its backup `.BUP`."""
    for wanted in (f"{title_set}_0.IFO", f"{title_set}_0.BUP"):
        for name in names:
            if name.upper() == wanted:
                return folder / name
    return None
