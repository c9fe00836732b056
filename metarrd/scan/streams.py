"""Stream details of a video file, in the spelling Kodi writes under `fileinfo/streamdetails`.

`read_stream_details` asks MediaInfo (pymediainfo's wheel bundles libmediainfo) about one file or
disc folder and turns its tracks into small dataclasses; `external_subtitle_paths` finds the
subtitle files that sit next to a video. The mapping from MediaInfo's names to Kodi's lower-case
codec names, ISO 639-2/B languages and HDR types is pure and lives in metarrd.kodi_codecs. A
disc's main title, and what its navigation files add to MediaInfo's reading of one of its stream
files (a DVD's stream languages, a Blu-ray's playlist), come from metarrd.scan.discs.

libmediainfo is C++ and a damaged file can kill the process that parses it (a malformed ISO
raises SIGFPE in the bundled version), so parsing runs in a long-lived worker process
(metarrd.scan.mediainfo) spoken to over a pipe: a crash costs that one file a StreamReadError, never
the daemon.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import select
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metarrd.files import UnsafeFile, display, is_utf8, open_regular
from metarrd.scan import discs
from metarrd.scan.discs import Playlist
from metarrd.scan.kodi_codecs import language_code, name_tag_language
from metarrd.walk import BLURAY_INDEXES, DISC_IMAGES, NO_STREAMS

log = logging.getLogger(__name__)

# Files MediaInfo may name without listing their tracks: a disc image it cannot look into, and
# a Windows Media Center recording (`.wtv`: MediaInfo knows the container, not its streams).
# Such a file has no stream details, not a "no video track" error: it has its video.
MEDIAINFO_BLIND = DISC_IMAGES | {".wtv"}

SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".vtt", ".sub", ".idx", ".sup"})
SUBTITLE_FOLDERS = frozenset({"subs", "subtitles"})
# Name parts of an external subtitle that describe it but are not a language.
_SUBTITLE_FLAGS = frozenset(
    {"forced", "sdh", "cc", "default", "full", "foreign", "signs", "commentary"}
)


class StreamReadError(Exception):
    """A file could not be read as a video: says which file and why."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int
    height: int
    aspect: float
    duration_seconds: int
    stereomode: str = ""
    hdrtype: str = ""
    language: str = ""


@dataclass(frozen=True)
class AudioStream:
    codec: str
    language: str
    channels: int


@dataclass(frozen=True)
class SubtitleStream:
    language: str
    external: bool = False
    path: Path | None = None


@dataclass(frozen=True)
class StreamDetails:
    video: list[VideoStream] = field(default_factory=list)
    audio: list[AudioStream] = field(default_factory=list)
    subtitles: list[SubtitleStream] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings), the inverse of `from_dict`."""
        return {
            "video": [vars(v).copy() for v in self.video],
            "audio": [vars(a).copy() for a in self.audio],
            "subtitles": [
                {"language": s.language, "external": s.external, "path": _str_or_none(s.path)}
                for s in self.subtitles
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamDetails:
        return cls(
            video=[VideoStream(**v) for v in data.get("video", [])],
            audio=[AudioStream(**a) for a in data.get("audio", [])],
            subtitles=[
                SubtitleStream(
                    language=s.get("language", ""),
                    external=bool(s.get("external", False)),
                    path=Path(s["path"]) if s.get("path") else None,
                )
                for s in data.get("subtitles", [])
            ],
        )


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


# --- reading --------------------------------------------------------------------------------


def read_stream_details(path: Path, libraries: Sequence | None = None) -> StreamDetails:
    """Stream details of a video file or a VIDEO_TS/BDMV disc folder, with external subtitles.

    Raises StreamReadError when the file cannot be opened, is not a media file or has no video
    track. A disc folder without stream files gives empty details; so does a disc image (.iso)
    or a `.wtv` recording that MediaInfo cannot look into, and a `.strm` file (a stream's URL) or `.disc` media stub
    (never opened).
    `libraries` (the configured ones): a disc's navigation file that leads out of every one of
    them is not read (`discs._opened`).
    """
    path = Path(path)
    if path.is_dir():
        title = _disc_title(path, libraries)
        if title is None:
            if _is_disc_folder(path):
                log.info("%s: disc folder without stream files, no stream details", path)
                return StreamDetails()
            raise StreamReadError(path, "a folder, but not a DVD or Blu-ray structure")
        return _disc_details(title, libraries)
    if path.suffix.lower() in NO_STREAMS:  # a stream's URL, a stub: nothing here to read
        return StreamDetails()
    try:
        details = _read_media(path)
    except StreamReadError as exc:
        if path.suffix.lower() in MEDIAINFO_BLIND and exc.reason == NO_VIDEO:
            log.info("%s: MediaInfo cannot look inside it, no stream details", path)
            return StreamDetails()
        raise
    external = [
        SubtitleStream(language=language, external=True, path=sub)
        for sub in external_subtitle_paths(path)
        for language in _subtitle_languages(path, sub)
    ]
    return replace(details, subtitles=details.subtitles + external)


def read_stack_details(parts: Sequence[Path]) -> StreamDetails:
    """Details of a stacked movie (cd1, cd2...): the first part's, with the total duration."""
    return _with_durations_of(read_stream_details(parts[0]), [Path(p) for p in parts[1:]])


def _with_durations_of(details: StreamDetails, others: Sequence[Path]) -> StreamDetails:
    """`details` with the durations of the files `others` (the other parts) added to its own."""
    if not others or not details.video:
        return details
    total = details.video[0].duration_seconds
    for other in others:
        total += _read_media(other).video[0].duration_seconds
    video = [replace(details.video[0], duration_seconds=total), *details.video[1:]]
    return replace(details, video=video)


NO_VIDEO = "no video track found"


def _read_media(path: Path) -> StreamDetails:
    return _read_media_ids(path)[0]


def _read_media_ids(path: Path) -> tuple[StreamDetails, dict[str, Any]]:
    """`_read_media`, with the ids of its audio and subtitle tracks (the worker's "ids")."""
    _check_readable(path)
    return _worker.parse_with_ids(path)


# --- the MediaInfo worker process -----------------------------------------------------------
# Protocol: one JSON line per request {"path": <hex of the file name's bytes>}, one JSON line
# per answer {"details": {...}, "ids": {"audio": [...], "subtitles": [...]}} (the tracks' ids,
# a transport stream's PIDs, in the order of details' audio and subtitles; null when MediaInfo
# has none) or {"error": "<reason>"}. A dead worker is restarted once.

PARSE_TIMEOUT_SECONDS = 300.0
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class _Worker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def parse(self, path: Path) -> StreamDetails:
        return self.parse_with_ids(path)[0]

    def parse_with_ids(self, path: Path) -> tuple[StreamDetails, dict[str, Any]]:
        request = json.dumps({"path": os.fsencode(path).hex()}) + "\n"
        with self._lock:
            for attempt in (1, 2):
                answer = self._ask(request, path)
                if answer is not None:
                    break
                log.warning("%s: MediaInfo worker died (attempt %d)", path, attempt)
            else:
                raise StreamReadError(
                    path, "MediaInfo crashed reading it (damaged or unusual file)"
                )
        if "error" in answer:
            raise StreamReadError(path, answer["error"])
        ids = answer.get("ids")
        return StreamDetails.from_dict(answer["details"]), ids if isinstance(ids, dict) else {}

    def _ask(self, request: str, path: Path) -> dict[str, Any] | None:
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(request)
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], PARSE_TIMEOUT_SECONDS)
            if not ready:
                self.stop()
                raise StreamReadError(
                    path, f"MediaInfo took longer than {PARSE_TIMEOUT_SECONDS:.0f} s, gave up"
                )
            line = process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        answer = None
        if line:
            try:
                answer = json.loads(line)
            except ValueError:
                log.warning("%s: MediaInfo worker answered garbage, restarting it", path)
        if answer is None:
            self.stop()
        return answer

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p
            )
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from metarrd.scan.mediainfo import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                env=env,
                # not in the terminal's process group: Ctrl-C is for the daemon, which stops
                # the worker itself (closing its stdin ends its loop; a dead parent does too)
                start_new_session=True,
            )
        return self._process

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        process.kill()
        process.wait()


_worker = _Worker()
atexit.register(_worker.stop)


STREAMS_REFUSED = "streams_refused"
"""An item's hint: the reading of its file, or of the user's NFO beside it, was refused
(permission denied), so a scan reads it again once they can be opened (`opens_now`), which a
permission fixed changes no size nor mtime of; while they cannot, the file is unchanged as any
other (not read again, not said again)."""


def opens_now(paths: Sequence[Path | str]) -> bool:
    """Can each of these files be opened for reading now (`STREAMS_REFUSED`)?"""
    try:
        for path in paths:
            with open_regular(path):
                pass
    except OSError:
        return False
    return True


def _check_readable(path: Path) -> None:
    """Open the file ourselves so a missing or unreadable file gets an honest reason, and so
    MediaInfo is never handed a FIFO or a device (it would block or read without end)."""
    try:
        with open_regular(path) as handle:
            first = handle.read(1)
    except UnsafeFile as exc:
        raise StreamReadError(path, exc.strerror) from exc
    except PermissionError as exc:
        raise StreamReadError(path, "permission denied") from exc
    except FileNotFoundError as exc:
        raise StreamReadError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise StreamReadError(path, "a folder, not a file") from exc
    except OSError as exc:
        raise StreamReadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not first:
        raise StreamReadError(path, "empty file (0 bytes)")


# --- disc folders ---------------------------------------------------------------------------

_VOB_TITLE = re.compile(r"^vts_\d\d_[1-9]\.vob$", re.IGNORECASE)


def _is_disc_folder(folder: Path) -> bool:
    names = {name.upper() for name in _listdir(folder)}
    disc = {"VIDEO_TS", "BDMV"}
    return bool(names & (disc | {"VIDEO_TS.IFO"} | BLURAY_INDEXES)) or folder.name.upper() in disc


def disc_stream_file(folder: Path) -> Path | None:
    """The file of the disc's main title MediaInfo reads (`disc_title_files`)."""
    title = _disc_title(folder)
    return title.main if title is not None else None


def disc_title_files(folder: Path) -> list[Path]:
    """The files of a DVD's or Blu-ray's main title, in play order.

    A DVD's is its largest title set of VOBs (a DVD splits a title into VTS_xx_1.VOB,
    VTS_xx_2.VOB... of at most 1 GB each, so one VOB is a fifth of a movie). A Blu-ray's is the
    clips of its main playlist (`BDMV/PLAYLIST/*.mpls`, metarrd.scan.discs.main_playlist: with
    seamless branching a film is many .m2ts clips), or its largest BDMV/STREAM/*.m2ts when no
    playlist can be used. The larger of the two when a folder holds both.

    `folder` may be the movie folder holding VIDEO_TS or BDMV, or one of those folders itself,
    or a movie folder holding a DVD's files itself (VIDEO_TS.IFO and the VOBs, no VIDEO_TS), or
    a Blu-ray's (index.bdmv, PLAYLIST/ and STREAM/, no BDMV).
    """
    title = _disc_title(folder)
    return title.files if title is not None else []


@dataclass(frozen=True)
class _DiscTitle:
    files: list[Path]  # in play order
    main: Path  # the file MediaInfo reads
    playlist: Playlist | None = None  # a Blu-ray's: its duration is the title's
    ifo: Path | None = None  # a DVD title set's VTS_xx_0.IFO: its stream languages


def _disc_title(folder: Path, libraries: Sequence | None = None) -> _DiscTitle | None:
    titles: list[_DiscTitle] = []
    for name, sub in _disc_dirs(folder):
        if name == "VIDEO_TS":
            names = _listdir(sub)
            sets: dict[str, list[Path]] = {}
            for n in names:
                if _VOB_TITLE.match(n):  # VTS_01_1.VOB: title set "VTS_01"
                    sets.setdefault(n[:6].upper(), []).append(sub / n)
            for title_set, files in sets.items():
                ifo = discs.title_set_ifo(sub, names, title_set)
                titles.append(_DiscTitle(files, max(files, key=_size), ifo=ifo))
        elif name == "BDMV":
            stream = _child_dir(sub, "STREAM")
            if stream is not None:
                titles.extend(_bluray_titles(sub, stream, libraries))
    best: _DiscTitle | None = None
    best_size = 0
    for title in titles:
        sized = [(_size(p), p) for p in title.files]
        size = sum(n for n, _ in sized)
        if size > best_size:
            best, best_size = replace(title, files=[p for n, p in sized if n > 0]), size
    return best


def _bluray_titles(bdmv: Path, stream: Path, libraries: Sequence | None = None) -> list[_DiscTitle]:
    """The main playlist's title, else one title per .m2ts (the largest wins)."""
    clips = {}
    for n in _listdir(stream):
        if _is_m2ts(n):
            clips.setdefault(n.rsplit(".", 1)[0].upper(), stream / n)
    warnings: list[str] = []
    playlist = discs.main_playlist(bdmv, set(clips), warnings, libraries)
    for warning in warnings:
        log.warning("%s", warning)
    if playlist is None:
        if warnings:
            log.warning(
                "%s: no playlist could be used, the largest .m2ts is the title", display(bdmv)
            )
        return [_DiscTitle([p], p) for p in clips.values()]
    files = [clips[c] for c in playlist.clips]
    return [_DiscTitle(files, clips[playlist.longest_item.clip], playlist=playlist)]


def _disc_details(title: _DiscTitle, libraries: Sequence | None = None) -> StreamDetails:
    """MediaInfo's details of the title's main file, with the title's duration (the playlist's,
    the IFO's longest program chain's, or the sum of its VOBs') and a DVD's audio and subtitle
    streams as its IFO declares them."""
    details, ids = _read_media_ids(title.main)
    if title.playlist is not None:
        details = _with_duration(details, title.playlist.duration_seconds)
        return _with_playlist_streams(details, ids, title.playlist)
    declared = _ifo_streams(title.ifo, libraries) if title.ifo is not None else None
    if declared is not None and declared.duration_seconds:
        details = _with_duration(details, declared.duration_seconds)
    else:
        details = _with_durations_of(details, [p for p in title.files if p != title.main])
    if declared is not None:
        details = _with_ifo_streams(details, declared)
    return details


def _with_duration(details: StreamDetails, seconds: int) -> StreamDetails:
    if not details.video:
        return details
    video = replace(details.video[0], duration_seconds=seconds)
    return replace(details, video=[video, *details.video[1:]])


def _with_playlist_streams(
    details: StreamDetails, ids: dict[str, Any], playlist: Playlist
) -> StreamDetails:
    """A Blu-ray keeps its streams' languages in its playlists, not in its .m2ts (an .m2ts that
    has them is off the spec, and the playlist's win, as in libbluray): the audio tracks get
    theirs by PID from the STN table of the PlayItem MediaInfo read the clip of, and the
    subtitles are the table's presentation graphics streams (MediaInfo's kept when it has none
    or cannot be read)."""
    try:
        declared = discs.playitem_streams(playlist, playlist.longest_item)
    except discs.DiscInfoError as exc:
        log.warning("%s; audio and subtitle languages from the .m2ts", exc)
        return details
    for warning in declared.warnings:
        log.warning("%s: %s", display(playlist.path), warning)
    languages = {s.pid: s.language for s in declared.audio if s.pid is not None and s.language}
    pids = ids.get("audio")
    audio = details.audio
    if isinstance(pids, list) and len(pids) == len(audio):
        audio = [
            replace(a, language=languages.get(p, a.language))
            for a, p in zip(audio, pids, strict=True)
        ]
    subtitles = [SubtitleStream(language=s.language) for s in declared.subtitles]
    return replace(details, audio=audio, subtitles=subtitles or details.subtitles)


def _ifo_streams(ifo: Path, libraries: Sequence | None = None) -> discs.DvdStreams | None:
    """What the title set's IFO declares; None (logged) when it cannot be read."""
    try:
        declared = discs.read_ifo_streams(ifo, libraries)
    except discs.DiscInfoError as exc:
        log.warning("%s; audio and subtitle languages left unknown", exc)
        return None
    for warning in declared.warnings:
        log.warning("%s: %s", display(ifo), warning)
    return declared


def _with_ifo_streams(details: StreamDetails, declared: discs.DvdStreams) -> StreamDetails:
    """A VOB's streams have no language: the title set's IFO lists them with theirs (as Kodi
    gets them from libdvdnav)."""
    audio = [AudioStream(a.codec, a.language, a.channels) for a in declared.audio]
    subtitles = [SubtitleStream(language=s.language) for s in declared.subtitles]
    return replace(
        details,
        audio=audio or details.audio,
        subtitles=subtitles or details.subtitles,
    )


def _disc_dirs(folder: Path) -> list[tuple[str, Path]]:
    """("VIDEO_TS" or "BDMV", the folder with its files) for each disc structure of `folder`."""
    own = folder.name.upper()
    if own in {"VIDEO_TS", "BDMV"}:
        return [(own, folder)]
    found = [(n, c) for n in ("VIDEO_TS", "BDMV") if (c := _child_dir(folder, n)) is not None]
    names = {n.upper() for n in _listdir(folder)}
    if "VIDEO_TS.IFO" in names:  # as the walk: a DVD's files out of their VIDEO_TS folder
        found.append(("VIDEO_TS", folder))
    if names & BLURAY_INDEXES and "STREAM" in names:  # a Blu-ray's out of its BDMV folder
        found.append(("BDMV", folder))
    return found


def _child_dir(folder: Path, upper_name: str) -> Path | None:
    for name in _listdir(folder):
        if name.upper() == upper_name and (folder / name).is_dir():
            return folder / name
    return None


def _is_m2ts(name: str) -> bool:
    return name.lower().endswith((".m2ts", ".mts"))


def _listdir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        log.warning("%s: cannot list folder: %s", folder, exc)
        return []


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# --- external subtitles ---------------------------------------------------------------------


def external_subtitle_paths(video: Path) -> list[Path]:
    """Subtitle files for `video`: `<base>.srt`, `<base>.<lang>[.<flags>].<ext>`, also in Subs/.

    A VobSub `.sub` that has its `.idx` next to it is listed once, as the `.idx` (which names
    the languages of the `.sub`'s streams).
    """
    base = video.stem.casefold()
    here = _listdir(video.parent)  # listed once: a first scan asks this of every video
    listings = [(video.parent, here)]
    listings += [
        (video.parent / n, _listdir(video.parent / n))
        for n in here
        if n.lower() in SUBTITLE_FOLDERS
    ]
    found: list[Path] = []
    for folder, names in listings:
        idx_stems = {Path(n).stem.casefold() for n in names if n.lower().endswith(".idx")}
        for name in names:
            stem, ext = os.path.splitext(name)
            if ext.lower() not in SUBTITLE_EXTENSIONS or name.startswith("."):
                continue
            if not is_utf8(name):  # could not be stored; the walk reports such videos
                log.warning("%s: subtitle skipped: the name is not UTF-8", display(folder / name))
                continue
            folded = stem.casefold()
            if folded != base and not folded.startswith(base + "."):
                continue
            if ext.lower() == ".sub" and folded in idx_stems:
                continue
            found.append(folder / name)
    return found


MAX_IDX_BYTES = 16 * 1024 * 1024  # far above a real index: a short line per subtitle shown
_IDX_ID = re.compile(rb"^id:\s*(\S\S)", re.IGNORECASE)


def _subtitle_languages(video: Path, subtitle: Path) -> list[str]:
    """One language per subtitle stream of the file: a VobSub `.idx` names each of its `.sub`'s
    streams on an `id: en, index: 0` line (Kodi lists them so); other files hold one."""
    if subtitle.suffix.lower() == ".idx":
        try:
            with open_regular(subtitle, MAX_IDX_BYTES) as handle:
                lines = handle.read().splitlines()
            ids = [m.group(1) for line in lines if (m := _IDX_ID.match(line))]
        except OSError as exc:  # unreadable, too large: the name's language, as for the others
            log.warning("%s: cannot read the VobSub index: %s", display(subtitle), exc)
            ids = []
        if ids:
            return [language_code(i.decode("ascii", "replace")) for i in ids]
    return [subtitle_language(video, subtitle)]


def subtitle_language(video: Path, subtitle: Path) -> str:
    """The language named in a subtitle file's name after the video's base: `.en.`, `.fre.`...

    `hi` is "hearing impaired" next to another language (`Movie.en.hi.srt`, as Bazarr names
    them) and Hindi alone (`Movie.hi.srt`), as Kodi and Jellyfin read it.
    """
    tags = subtitle.stem[len(video.stem) :].split(".")
    hindi = ""
    for tag in tags:
        if tag.casefold() == "hi":
            hindi = name_tag_language(tag)
        elif tag and tag.casefold() not in _SUBTITLE_FLAGS:
            code = name_tag_language(tag)
            if code:
                return code
    return hindi
