"""MediaInfo itself, inside the worker process: the one module that imports pymediainfo.

libmediainfo is C++ and a damaged file can kill the process that parses it, so it never runs in
the daemon: metarrd.scan.streams starts `python -c "from metarrd.scan.mediainfo import serve; serve()"`
and asks it about one file at a time over a pipe (the protocol is described there). `serve`
turns MediaInfo's tracks into StreamDetails with Kodi's names (metarrd.scan.kodi_codecs).
"""

from __future__ import annotations

import json
import locale
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

from pymediainfo import MediaInfo

from metarrd.scan.kodi_codecs import (
    audio_codec,
    frame_aspect,
    hdr_type,
    language_code,
    stereo_mode,
    video_codec,
)
from metarrd.scan.streams import (
    NO_VIDEO,
    AudioStream,
    StreamDetails,
    StreamReadError,
    SubtitleStream,
    VideoStream,
)

# Locales whose character set is UTF-8, of which most systems have one: glibc and musl have
# `C.UTF-8` built in (glibc since 2.35; Debian's and Ubuntu's before that too).
UTF8_LOCALES = ("C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8")


def _utf8_names() -> None:
    """libmediainfo turns the file name it is given back into bytes by the C library's
    LC_CTYPE: in the `C` locale (`LC_ALL=C` or `POSIX` under systemd, cron, on a NAS), which
    Python leaves as it is when LC_ALL is set (it reads names as UTF-8 all the same, in its
    UTF-8 mode), every name out of ASCII failed to open. File names are UTF-8 bytes here (the
    daemon sends their bytes; os.fsdecode gives them back), so LC_CTYPE is a UTF-8 one."""
    if sys.getfilesystemencoding() != "utf-8":
        return  # a Latin-1 locale: its names are its own, as the C library reads them
    current = locale.setlocale(locale.LC_CTYPE)
    if "utf" in current.lower().replace("-", ""):
        return
    for name in UTF8_LOCALES:
        try:
            locale.setlocale(locale.LC_CTYPE, name)
            return
        except locale.Error:
            continue


def serve() -> None:
    """The worker's loop: read requests on stdin, answer on the original stdout."""
    _utf8_names()
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything libmediainfo prints goes to stderr, not into the protocol
    for line in sys.stdin:
        filename = os.fsdecode(bytes.fromhex(json.loads(line)["path"]))
        try:
            details, ids = _parse_media_ids(filename)
            answer: dict[str, Any] = {"details": details.to_dict(), "ids": ids}
        except StreamReadError as exc:
            answer = {"error": exc.reason}
        except Exception as exc:  # keep serving: the parent gets a reason, not a dead pipe
            answer = {"error": f"MediaInfo could not read it ({exc})"}
        try:
            answers.write(json.dumps(answer) + "\n")
            answers.flush()
        except BrokenPipeError:  # the daemon is gone (killed): nobody to answer, stop quietly
            return


def _parse_media(filename: str) -> StreamDetails:
    """MediaInfo's tracks -> StreamDetails (no external subtitles). Runs in the worker."""
    return _parse_media_ids(filename)[0]


def _parse_media_ids(filename: str) -> tuple[StreamDetails, dict[str, list[int | None]]]:
    """`_parse_media`, with the ids of the audio and subtitle tracks, in the same order (in a
    transport stream, the PID a Blu-ray's playlist names the stream by)."""
    path = Path(filename)
    try:
        info = MediaInfo.parse(filename)
    except Exception as exc:  # libmediainfo reports failures as assorted exception types
        raise StreamReadError(path, f"MediaInfo could not read it ({exc})") from None
    general = info.general_tracks[0] if info.general_tracks else None
    if not info.video_tracks:
        known = general is not None and general.format
        reason = NO_VIDEO if known or info.audio_tracks else "not a media file"
        raise StreamReadError(path, reason)
    container_seconds = _seconds(general.duration) if general is not None else 0
    texts = [t for t in info.text_tracks if not _not_a_subtitle(t.format)]
    details = StreamDetails(
        video=[_video_stream(t, container_seconds) for t in info.video_tracks],
        audio=[_audio_stream(t) for t in info.audio_tracks],
        subtitles=[SubtitleStream(language=language_code(t.language)) for t in texts],
    )
    ids = {
        "audio": [_track_id(t) for t in info.audio_tracks],
        "subtitles": [_track_id(t) for t in texts],
    }
    return details, ids


def _not_a_subtitle(fmt: str | None) -> bool:
    """Text tracks Kodi lists as no subtitle stream: closed captions inside the video (EIA-608,
    EIA-708), and DVB teletext, its subtitle pages too (`Teletext Subtitle`): Kodi's demuxer
    makes a teletext stream of it (DVDDemuxFFmpeg.cpp, "videoplayer.teletextenabled", on by
    default), which CDVDFileInfo::DemuxerToStreamDetails leaves out."""
    upper = (fmt or "").upper()
    return upper.startswith(("EIA-", "TELETEXT"))


def _track_id(track: Any) -> int | None:
    number = _finite(track.track_id)
    return int(number) if number is not None and 0 <= number <= MAX_NUMBER else None


def _video_stream(track: Any, container_seconds: int) -> VideoStream:
    width = _int(track.width)
    height = _int(track.height)
    stereomode = stereo_mode(track.multiview_layout)
    return VideoStream(
        codec=video_codec(track.format, track.format_version, track.codec_id),
        width=width,
        height=height,
        aspect=frame_aspect(track.display_aspect_ratio, width, height, stereomode),
        duration_seconds=container_seconds or _seconds(track.duration),
        stereomode=stereomode,
        hdrtype=hdr_type(
            track.hdr_format, track.hdr_format_compatibility, track.transfer_characteristics
        ),
        language=language_code(track.language),
    )


def _audio_stream(track: Any) -> AudioStream:
    return AudioStream(
        codec=audio_codec(
            track.format,
            track.format_profile,
            track.format_additionalfeatures,
            track.commercial_name,
        ),
        language=language_code(track.language),
        channels=_channels(track.channel_s),
    )


# --- number parsing -------------------------------------------------------------------------


# What MediaInfo reads from the file's own headers is the file's word: a corrupt or crafted
# Matroska `Duration` of 1e300 ms is reported as such. A number no INTEGER column takes
# (PostgreSQL's are 32 bits; SQLite's 64) failed the whole scan; it is "unknown" (0) instead.
MAX_NUMBER = 2**31 - 1
MAX_SECONDS = 5_000_000  # 58 days (the longest film, Logistics, is 857 hours): longer is broken


def _int(value: Any) -> int:
    number = _finite(value)
    return int(number) if number is not None and 0 <= number <= MAX_NUMBER else 0


def _seconds(milliseconds: Any) -> int:
    number = _finite(milliseconds)
    seconds = round(number / 1000) if number is not None else 0
    return seconds if 0 <= seconds <= MAX_SECONDS else 0


def _finite(value: Any) -> float | None:
    try:
        number = float(value)  # a 400-digit int overflows: OverflowError
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _channels(value: Any) -> int:
    """MediaInfo's Channel(s): an int, or text like "8 / 6" for layered streams (take the most)."""
    if isinstance(value, int):
        return value if 0 <= value <= MAX_NUMBER else 0
    numbers = [int(n) for n in re.findall(r"(?<![0-9])[0-9]{1,9}(?![0-9])", str(value or ""))]
    return max(numbers, default=0)
