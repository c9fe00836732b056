"""MediaInfo's names for codecs, languages, HDR and 3D, in the spelling Kodi writes (pure).

Kodi's `fileinfo/streamdetails` use lower-case codec names (`h264`, `dtshd_ma`), ISO 639-2/B
languages (`ger`, `fre`) and its own `hdrtype` and `stereomode` words; MediaInfo reports Format,
CodecID, HDR_Format, MultiView_Layout and languages in its own words. metarrd.scan.mediainfo calls
these functions on every track; metarrd.scan.streams names the language of external subtitles.
"""

from __future__ import annotations

import re
from typing import Any

from babelfish import Error as BabelfishError
from babelfish import Language

_VIDEO_CODECS = {
    "avc": "h264",
    "hevc": "hevc",
    "av1": "av1",
    "vp8": "vp8",
    "vp9": "vp9",
    "vc-1": "vc1",
    "vvc": "vvc",
    "mpeg-4 visual": "mpeg4",
    "h.263": "h263",
    "theora": "theora",
    "prores": "prores",
    "ffv1": "ffv1",
    "jpeg": "mjpeg",
    "realvideo 4": "rv40",
    "sorenson spark": "flv1",
    "ms-mpeg4 v3": "msmpeg4v3",
}
# Kodi names MPEG-4 Visual in AVI by its fourcc: "xvid", "divx", "dx50".
_MPEG4_FOURCCS = {"xvid": "xvid", "divx": "divx", "dx50": "dx50"}
_WMV_FOURCCS = {"wmv1": "wmv1", "wmv2": "wmv2", "wmv3": "wmv3"}


def video_codec(fmt: str | None, version: str | None = None, codec_id: str | None = None) -> str:
    """Kodi's name for a video codec from MediaInfo's Format (+ Format_Version, CodecID)."""
    name = (fmt or "").strip().lower()
    fourcc = (codec_id or "").strip().lower()
    if name == "mpeg video":
        return "mpeg1video" if (version or "").strip().endswith("1") else "mpeg2video"
    if name == "mpeg-4 visual" and fourcc in _MPEG4_FOURCCS:
        return _MPEG4_FOURCCS[fourcc]
    if fourcc in _WMV_FOURCCS:
        return _WMV_FOURCCS[fourcc]
    return _VIDEO_CODECS.get(name) or re.sub(r"[^a-z0-9]", "", name)


_AUDIO_CODECS = {
    "aac": "aac",
    "ac-3": "ac3",
    "e-ac-3": "eac3",
    "flac": "flac",
    "opus": "opus",
    "vorbis": "vorbis",
    "pcm": "pcm",
    "alac": "alac",
    "truehd": "truehd",
    "amr": "amr_nb",
}


def audio_codec(
    fmt: str | None,
    profile: str | None = None,
    features: str | None = None,
    commercial: str | None = None,
) -> str:
    """Kodi's name for an audio codec: aac, ac3, eac3, dts, dtshd_ma, dtshd_hra, truehd, mp3..."""
    name = (fmt or "").strip().lower()
    extra = f"{profile or ''} {features or ''} {commercial or ''}".lower()
    if "mlp fba" in name:  # Dolby TrueHD (on Blu-ray often carried with an AC-3 core)
        return "truehd"
    if name == "dts":
        if "xll" in extra or "master audio" in extra or re.search(r"\bma\b", extra):
            return "dtshd_ma"
        if "xbr" in extra or "high resolution" in extra or "hra" in extra:
            return "dtshd_hra"
        return "dts"
    if name == "mpeg audio":
        layer = re.search(r"layer\s*(\d)", extra)
        return f"mp{layer.group(1)}" if layer else "mp3"
    if name == "wma":
        return "wmapro" if "pro" in extra else "wmav2"
    return _AUDIO_CODECS.get(name) or re.sub(r"[^a-z0-9]", "", name)


def hdr_type(
    hdr_format: str | None, compatibility: str | None = None, transfer: str | None = None
) -> str:
    """Kodi's hdrtype: "dolbyvision", "hdr10plus", "hdr10", "hlg" or "" for SDR.

    As Kodi (CDVDDemuxFFmpeg::DetermineHdrType): Dolby Vision, then the transfer, then the
    metadata. An HLG stream may carry ST 2086 mastering or ST 2094-40 (HLG+) metadata, which
    MediaInfo names in HDR_Format as it would for HDR10 and HDR10+: it is still HLG.
    """
    text = f"{hdr_format or ''} {compatibility or ''}".lower()
    trc = (transfer or "").lower()
    if "dolby vision" in text:
        return "dolbyvision"
    if trc in {"hlg", "arib std-b67"}:
        return "hlg"
    if "hdr10+" in text or "2094 app 4" in text:
        return "hdr10plus"
    if "hdr10" in text or "2086" in text or trc in {"pq", "smpte st 2084"}:
        return "hdr10"
    if "hlg" in text:
        return "hlg"
    return ""


# MediaInfo's MultiView_Layout -> Kodi's stereomode (the Matroska StereoMode names).
_STEREO_LAYOUTS = (
    ("side by side (left", "left_right"),
    ("side by side (right", "right_left"),
    ("top-bottom (left", "top_bottom"),
    ("top-bottom (right", "bottom_top"),
    ("checkerboard (left", "checkerboard_lr"),
    ("checkerboard (right", "checkerboard_rl"),
    ("row interleaved (left", "row_interleaved_lr"),
    ("row interleaved (right", "row_interleaved_rl"),
    ("column interleaved (left", "col_interleaved_lr"),
    ("column interleaved (right", "col_interleaved_rl"),
    ("anaglyph (cyan/red)", "anaglyph_cyan_red"),
    ("anaglyph (green/magenta)", "anaglyph_green_magenta"),
    ("both eyes laced in one block (left", "block_lr"),
    ("both eyes laced in one block (right", "block_rl"),
)


def stereo_mode(layout: str | None) -> str:
    text = (layout or "").strip().lower()
    for prefix, mode in _STEREO_LAYOUTS:
        if text.startswith(prefix):
            return mode
    return ""


def frame_aspect(dar: str | float | None, width: int, height: int, stereomode: str = "") -> float:
    """Display aspect of the whole frame, 2 decimals. MediaInfo gives 3D streams per eye."""
    try:
        aspect = float(dar) if dar not in (None, "") else 0.0
    except (TypeError, ValueError):
        aspect = 0.0
    if aspect <= 0 and width > 0 and height > 0:
        return round(width / height, 2)
    if stereomode in {"left_right", "right_left"}:
        aspect *= 2
    elif stereomode in {"top_bottom", "bottom_top"}:
        aspect /= 2
    return round(aspect, 2)


def language_code(value: str | None) -> str:
    """ISO 639-2/B code ("eng", "fre", "ger") from 639-1, 639-2/T, 639-2/B, IETF or English name.

    A container's language may be any ISO 639-3 code (IETF tags use them: `yue`), kept as it
    is. Unknown or undetermined languages give "".
    """
    return _language_code(value, any_iso_639_3=True)


def name_tag_language(tag: str | None) -> str:
    """The language a tag of a file name names (`Movie.fr.srt`), as `language_code`, but as Kodi
    reads a subtitle's name (CUtil::GetExternalStreamDetailsFromFilename, LangCodeExpander):
    an ISO 639-1 or 639-2 code or an English name. A code only ISO 639-3 has is a word of the
    name, no language: `cht` (Chinese subtitle packs' "traditional") is not Cholón."""
    return _language_code(tag, any_iso_639_3=False)


def _language_code(value: str | None, any_iso_639_3: bool) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    primary = re.split(r"[-_ /]", text, maxsplit=1)[0] if len(text) > 3 else text
    language = _parse_language(primary, any_iso_639_3) or _parse_language(text, any_iso_639_3)
    if language is None or language.alpha3 == "und":
        return ""
    try:
        return language.alpha3b
    except BabelfishError:  # no separate bibliographic code
        return language.alpha3


def _parse_language(text: str, any_iso_639_3: bool = True) -> Language | None:
    lowered = text.lower()
    attempts: list[Any] = []
    if len(lowered) == 2:
        attempts = [lambda: Language.fromalpha2(lowered)]
    elif len(lowered) == 3:
        attempts = [lambda: Language.fromalpha3b(lowered)]
        if any_iso_639_3:
            attempts.append(lambda: Language(lowered))
        else:
            attempts.append(lambda: Language.fromalpha3t(lowered))
    elif lowered.isalpha():
        attempts = [lambda: Language.fromname(text.strip().title())]
    for attempt in attempts:
        try:
            return attempt()
        except (BabelfishError, ValueError, KeyError):
            continue
    return None
