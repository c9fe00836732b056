"""What a disc's own navigation files say about its main title: a DVD's IFO, a Blu-ray's playlists.

MediaInfo reads one stream file of a disc (a VOB, an .m2ts), and a stream file does not know what
the disc's menus know: a VOB carries no language for its audio and subpicture streams, and a
Blu-ray film cut by seamless branching is spread over many .m2ts clips, played in the order a
playlist (`BDMV/PLAYLIST/*.mpls`) gives, whose STN tables hold the languages its .m2ts do not. Both are read here from the headers alone (a DVD's first
IFO sector, 2 KB; a playlist, a few KB), and only from regular files (`open_regular`): a FIFO
named `VTS_01_0.IFO` is refused, never waited on. Given the configured `libraries`, a file whose
path leads out of every one of them (a symlinked IFO, playlist or `PLAYLIST` folder) is not
opened either, unless its library sets `follow_symlinks`: the rule of the user's NFOs and
images. Anything that does not parse raises `DiscInfoError` with the reason; the caller logs it
and keeps what MediaInfo said.

Layouts, from the sources of the players that read them:
- IFO: libdvdread `src/dvdread/ifo_types.h` (`vtsi_mat_t`, `audio_attr_t`, `subp_attr_t`) and
  `src/ifo_read.c` (`ifoRead_VTS`, `read_audio_attr`, `read_subp_attr`, the limits of 8 audio and
  32 subpicture streams), https://code.videolan.org/videolan/libdvdread.
- MPLS: libbluray `src/libbluray/bdnav/mpls_parse.c` (`_parse_header`, `_parse_playlist`,
  `_parse_playitem`, `_parse_stn`, `_parse_stream`), `bdparse.h` (coding types), `bdmv_parse.c` (the versions), and `navigation.c` (`nav_get_title_list`,
  `_filter_repeats`, `_pl_duration`: the main title is the longest playlist that repeats no
  clip segment more than twice; `_pl_guess_main_title`, `_pl_streams_score`: of two as long,
  the one listing more streams), https://code.videolan.org/videolan/libbluray.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from metarrd.files import display, open_regular
from metarrd.paths import is_inside
from metarrd.scan.kodi_codecs import language_code
from metarrd.walk import leads_out


class DiscInfoError(Exception):
    """A navigation file that cannot be used: says which and why."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{display(path)}: {reason}")
        self.path = path
        self.reason = reason


def _read_head(
    path: Path, size: int, cap: int | None = None, libraries: Sequence | None = None
) -> bytes:
    """The first `size` bytes of a regular file (of at most `cap` bytes), or DiscInfoError."""
    with _opened(path, cap, libraries) as handle:
        return handle.read(size)


@contextlib.contextmanager
def _opened(
    path: Path, cap: int | None = None, libraries: Sequence | None = None
) -> Iterator[BinaryIO]:
    """A regular file opened for reading; any failure to open or read it is a DiscInfoError, and
    so is a path that leads out of every one of `libraries` (when given)."""
    if libraries is not None and (target := _outside(path, libraries)) is not None:
        raise DiscInfoError(
            path,
            f"leads to {display(target)} (through a symbolic link), outside every configured "
            "library: not read (set follow_symlinks = true for this library to follow it)",
        )
    try:
        with open_regular(path, cap) as handle:
            yield handle
    except PermissionError:
        raise DiscInfoError(path, "permission denied") from None
    except OSError as exc:  # UnsafeFile (a FIFO, a device, too large) says why in strerror
        raise DiscInfoError(path, f"cannot be read ({exc.strerror or exc})") from None


def _outside(path: Path, libraries: Sequence) -> str | None:
    """Where `path` really is, when a symlink on its way (the file, or a folder of the disc)
    leads out of every library and no library holding it sets `follow_symlinks`; else None."""
    here = os.path.normpath(path)
    if any(lib.follow_symlinks for lib in libraries if is_inside(here, os.path.normpath(lib.path))):
        return None
    return leads_out(path, libraries)


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
DVD_SECTOR = 2048
_VTS_PGCIT = 0x0CC  # uint32: the sector of the title set's program chain table (VTS_PGCIT)
_MAX_PGCS = 9999  # libdvdread: nr_of_pgci_srp < 10000 ("seen max of 1338")

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
    duration_seconds: int | None = None  # its longest program chain's playback time


def read_ifo_streams(ifo: Path, libraries: Sequence | None = None) -> DvdStreams:
    """The audio and subpicture streams a title set's `VTS_xx_0.IFO` (or `.BUP`) declares, and
    the playback time of its longest program chain (the film: None when it cannot be read).
    `libraries`: see `_opened`."""
    with _opened(ifo, None, libraries) as handle:
        head = handle.read(IFO_HEAD_BYTES)
        streams = _ifo_streams(ifo, head)
        duration = _longest_program_chain(handle, head, streams.warnings)
    return replace(streams, duration_seconds=duration)


def _ifo_streams(ifo: Path, head: bytes) -> DvdStreams:
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


def _longest_program_chain(handle: BinaryIO, head: bytes, warnings: list[str]) -> int | None:
    """The playback time in seconds of the longest program chain of the VTS_PGCIT (pgcit_t:
    count, zero, last byte; then pgci_srp_t of 8 bytes, the PGC's start at 4; a PGC's
    playback_time at 4), reading only the table and each PGC's first 8 bytes."""
    (sector,) = struct.unpack_from(">I", head, _VTS_PGCIT)
    table_at = sector * DVD_SECTOR
    handle.seek(table_at)
    table = handle.read(8) if sector else b""  # sector 0 is the VTSI_MAT itself
    if len(table) < 8:
        warnings.append(f"no program chain table at sector {sector}: duration from the VOBs")
        return None
    (count,) = struct.unpack_from(">H", table, 0)
    if count > _MAX_PGCS:
        warnings.append(f"says {count} program chains: duration from the VOBs")
        return None
    pointers = handle.read(8 * count)
    if len(pointers) < 8 * count:
        warnings.append("the program chain table is truncated: duration from the VOBs")
        return None
    longest: int | None = None
    for n in range(count):
        (start,) = struct.unpack_from(">I", pointers, 8 * n + 4)
        handle.seek(table_at + start)
        pgc = handle.read(8)
        seconds = _dvd_seconds(pgc[4:8]) if len(pgc) == 8 else None
        if seconds is None:
            warnings.append(f"program chain {n + 1}: no playback time, left out")
        elif longest is None or seconds > longest:
            longest = seconds
    return longest


def _dvd_seconds(time: bytes) -> int | None:
    """dvd_time_t: hour, minute, second in BCD, then the frame rate (2 bits: 1 is 25 fps, 3 is
    29.97) and the frames in BCD (libdvdnav's dvdnav_convert_time); None when not BCD."""
    hour, minute, second, frame_u = time
    if any(b & 0x0F > 9 or b >> 4 > 9 for b in (hour, minute, second)) or frame_u & 0x0F > 9:
        return None
    digits = [(b >> 4) * 10 + (b & 0x0F) for b in (hour, minute, second)]
    if digits[1] > 59 or digits[2] > 59:
        return None
    frames = ((frame_u >> 4) & 0x03) * 10 + (frame_u & 0x0F)
    fps = {1: 25.0, 3: 30000 / 1001}.get(frame_u >> 6)
    fraction = frames / fps if fps else 0.0
    return round(digits[0] * 3600 + digits[1] * 60 + digits[2] + fraction)


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


# --- Blu-ray: BDMV/PLAYLIST/*.mpls ----------------------------------------------------------

_MPLS_VERSIONS = frozenset({b"0100", b"0200", b"0240", b"0300"})
MAX_MPLS_BYTES = 1024 * 1024  # a real playlist is a few KB; 999 PlayItems fit far below this
MAX_PLAYLISTS = 4096  # a disc with obfuscation has a few hundred to 2000
TICKS_PER_SECOND = 45_000
MAX_SECONDS = 5_000_000  # as scan.mediainfo: longer is a broken file
_CLIP_ID = re.compile(rb"^[0-9]{5}$")
_REPEATS = 2  # libbluray's _filter_repeats(pl, 2): a segment played 3 times is obfuscation


@dataclass(frozen=True)
class PlayItem:
    clip: str  # "00800": BDMV/STREAM/00800.m2ts
    in_time: int  # 45 kHz ticks
    out_time: int
    raw: bytes = field(default=b"", repr=False, compare=False)  # the PlayItem, for its STN


@dataclass(frozen=True)
class Playlist:
    path: Path
    items: list[PlayItem]

    @property
    def ticks(self) -> int:
        return sum(i.out_time - i.in_time for i in self.items)

    @property
    def duration_seconds(self) -> int:
        return round(self.ticks / TICKS_PER_SECOND)

    @property
    def clips(self) -> list[str]:
        """The clips in play order, each once."""
        return list(dict.fromkeys(i.clip for i in self.items))

    @property
    def longest_item(self) -> PlayItem:
        """The longest PlayItem: its clip is the one MediaInfo reads for the stream details."""
        return max(self.items, key=lambda i: i.out_time - i.in_time)


def read_playlist(path: Path, libraries: Sequence | None = None) -> Playlist:
    """A .mpls file's PlayItems (clip names, in and out times). `libraries`: see `_opened`."""
    data = _read_head(path, MAX_MPLS_BYTES, MAX_MPLS_BYTES, libraries)
    if len(data) < 8 or data[:4] != b"MPLS":
        raise DiscInfoError(path, "not a Blu-ray playlist (no MPLS header)")
    if data[4:8] not in _MPLS_VERSIONS:
        raise DiscInfoError(path, f"unknown playlist version {data[4:8]!r}")
    if len(data) < 40:
        raise DiscInfoError(path, f"truncated: {len(data)} bytes, shorter than the header")
    (list_pos,) = struct.unpack_from(">I", data, 8)
    if list_pos < 40 or list_pos + 10 > len(data):
        raise DiscInfoError(path, f"the PlayList at byte {list_pos} is outside the file")
    (count,) = struct.unpack_from(">H", data, list_pos + 6)
    pos = list_pos + 10
    items = []
    for n in range(1, count + 1):
        if pos + 2 > len(data):
            raise DiscInfoError(path, f"truncated: PlayItem {n} of {count} is missing")
        (length,) = struct.unpack_from(">H", data, pos)
        item = data[pos + 2 : pos + 2 + length]
        if length < 20 or len(item) < length:
            raise DiscInfoError(path, f"PlayItem {n} of {count} is truncated or too short")
        if not _CLIP_ID.match(item[:5]):
            raise DiscInfoError(path, f"PlayItem {n} names no clip ({item[:5]!r})")
        in_time, out_time = struct.unpack_from(">II", item, 12)
        if out_time < in_time:
            raise DiscInfoError(path, f"PlayItem {n} ends before it starts")
        items.append(PlayItem(item[:5].decode("ascii"), in_time, out_time, item))
        pos += 2 + length
    if not items:
        raise DiscInfoError(path, "no PlayItems")
    return Playlist(path, items)


# STN_table stream_attributes coding types that carry a language (_parse_stream)
_AUDIO_CODINGS = frozenset({0x03, 0x04, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0xA1, 0xA2})
_PG_CODINGS = frozenset({0x90, 0x91})  # presentation graphics (and interactive) subtitles
_TEXT_SUBTITLE = 0x92  # a text subtitle: a character code byte before the language


@dataclass(frozen=True)
class BdStream:
    """A stream of a PlayItem's STN table: its PID in the clip (None: in another) and language."""

    pid: int | None
    language: str


@dataclass(frozen=True)
class BdStreams:
    audio: list[BdStream]
    subtitles: list[BdStream]
    warnings: list[str]


def playitem_streams(playlist: Playlist, item: PlayItem) -> BdStreams:
    """The primary audio and subtitle (PG, text) streams a PlayItem's STN_table lists, with the
    languages a Blu-ray keeps in its playlists, not in its .m2ts (libbluray's _parse_stn)."""
    stn = _stn_table(playlist, item)
    n_video, n_audio, n_pg, _ig, _sec_audio, _sec_video, n_pip_pg = stn[2:9]
    pos = 14  # reserved, the counts, reserved
    found: dict[str, list[BdStream]] = {"video": [], "audio": [], "subtitle": []}
    warnings: list[str] = []
    for kind, count in (("video", n_video), ("audio", n_audio), ("subtitle", n_pg + n_pip_pg)):
        for n in range(1, count + 1):
            entry, pos = _length_prefixed(stn, pos)
            attrs, pos = _length_prefixed(stn, pos)
            if entry is None or attrs is None or not entry or not attrs:
                raise DiscInfoError(
                    playlist.path, f"the STN table of clip {item.clip} is truncated"
                )
            language = _stn_language(attrs, f"{kind} stream {n} of clip {item.clip}", warnings)
            found[kind].append(BdStream(_stn_pid(entry), language))
    return BdStreams(found["audio"], found["subtitle"], warnings)


def _stn_table(playlist: Playlist, item: PlayItem) -> bytes:
    """A PlayItem's STN_table (its length first, then reserved, the stream counts...)."""
    body = item.raw
    pos = 32  # clip, codec, flags, stc_id, in, out, UO mask, random access, still mode/time
    if len(body) > 10 and body[10] & 0x10:  # is_multi_angle: angle count, flags, more clips
        angles = body[pos] if len(body) > pos else 1
        pos += 2 + 10 * (max(angles, 1) - 1)
    if len(body) < pos + 2:
        raise DiscInfoError(playlist.path, f"PlayItem of clip {item.clip} has no STN table")
    (length,) = struct.unpack_from(">H", body, pos)
    stn = body[pos + 2 : pos + 2 + length]
    if len(stn) < length or length < 14:
        raise DiscInfoError(playlist.path, f"the STN table of clip {item.clip} is truncated")
    return stn


def _streams_score(playlist: Playlist) -> int:
    """libbluray's `_pl_streams_score`, its choice between two playlists of the same duration:
    twice the most audio streams a PlayItem lists, plus the most PG subtitle streams; an STN
    table that cannot be read counts none (its fault is told when it is the title's)."""
    audio = pg = 0
    for item in playlist.items:
        try:
            stn = _stn_table(playlist, item)
        except DiscInfoError:
            continue
        audio, pg = max(audio, stn[3]), max(pg, stn[4])
    return 2 * audio + pg


def _length_prefixed(data: bytes, pos: int) -> tuple[bytes | None, int]:
    """The block at `pos` that its first byte says the length of, and the position after it."""
    if pos >= len(data) or pos + 1 + data[pos] > len(data):
        return None, len(data)
    return data[pos + 1 : pos + 1 + data[pos]], pos + 1 + data[pos]


def _stn_pid(entry: bytes) -> int | None:
    """The PID of a stream_entry of type 1, a stream of the PlayItem's own clip; None for the
    other types (2, 3, 4: a stream of a SubPath's clip, another .m2ts with PIDs of its own)."""
    return int.from_bytes(entry[1:3], "big") if entry[0] == 1 and len(entry) >= 3 else None


def _stn_language(attrs: bytes, what: str, warnings: list[str]) -> str:
    coding = attrs[0]
    at = 2 if coding in _AUDIO_CODINGS or coding == _TEXT_SUBTITLE else 1
    if coding not in _AUDIO_CODINGS | _PG_CODINGS | {_TEXT_SUBTITLE}:
        return ""  # video: no language
    raw = attrs[at : at + 3]
    if len(raw) < 3 or raw in (b"\0\0\0", b"   "):
        return ""
    if not (raw.isascii() and raw.isalpha()):
        warnings.append(f"{what}: language bytes {raw.hex()} are not a language code")
        return ""
    code = language_code(raw.decode("ascii").lower())
    if not code and raw.lower() != b"und":
        warnings.append(f"{what}: {raw.decode('ascii')!r} is not a language code")
    return code


def main_playlist(
    bdmv: Path, clips: set[str], warnings: list[str], libraries: Sequence | None = None
) -> Playlist | None:
    """The main feature's playlist of a BDMV folder: the longest one whose clips are all in
    `clips` (the STREAM folder's clip names), leaving out those that play one clip segment more
    than twice (libbluray's, Kodi's and MakeMKV's sign of an obfuscation playlist). Of playlists
    of the same length (a film and its copy with fewer languages or another angle), the one
    listing more audio and subtitle streams, as libbluray's `_pl_guess_main_title` ends; then
    the first by name, whatever order the folder lists them in. Each playlist
    that cannot be read adds a reason to `warnings` (those whose clips are missing add one line
    in all, and only when no playlist can be used); None when none can."""
    folder = _child(bdmv, "PLAYLIST")
    if folder is None:
        return None
    names = sorted(n for n in _names(folder) if n.lower().endswith((".mpls", ".mpl")))
    if len(names) > MAX_PLAYLISTS:
        warnings.append(f"{display(folder)}: {len(names)} playlists, only {MAX_PLAYLISTS} read")
    best: Playlist | None = None
    best_key = (0, 0)
    elsewhere: list[str] = []  # playlists of clips not in STREAM
    for name in names[:MAX_PLAYLISTS]:
        if name.startswith("."):
            continue
        try:
            playlist = read_playlist(folder / name, libraries)
        except DiscInfoError as exc:
            warnings.append(f"{exc}; not a candidate for the main title")
            continue
        segments = Counter((i.clip, i.in_time, i.out_time) for i in playlist.items)
        if max(segments.values()) > _REPEATS:
            continue  # obfuscation: a loop of one segment made to look like the longest title
        where = display(playlist.path)
        missing = [c for c in playlist.clips if c not in clips]
        if missing:  # a rip of the main movie only keeps every playlist: no fault of its own
            elsewhere.append(f"{where} plays clip {missing[0]}")
            continue
        if playlist.duration_seconds > MAX_SECONDS:
            warnings.append(f"{where}: {playlist.ticks} ticks long, broken, not the main title")
            continue
        key = (playlist.ticks, _streams_score(playlist))
        if best is None or key > best_key:
            best, best_key = playlist, key
    if best is None and elsewhere:
        warnings.append(
            f"{display(folder)}: {len(elsewhere)} playlists play clips that are not in STREAM "
            f"({elsewhere[0]})"
        )
    return best


def _child(folder: Path, upper_name: str) -> Path | None:
    for name in _names(folder):
        if name.upper() == upper_name and (folder / name).is_dir():
            return folder / name
    return None


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []
