"""Provider JSON of one show -> artwork candidates per item: the show, each season, each
episode (pure; docs/tv.md "Enrich", kodi-tv.md §3.3).

A target is `SHOW`, `("season", n)` or `("episode", (season, episode))`. The movie rules of
candidates.py hold (languages, renditions, SVG, stated sizes); what TV adds:
- TMDB: the show's posters, backdrops and logos; each season's poster (`season/N` appended to the
  show call, or its `images` when asked for; a bare `poster_path` has the asked language only
  when the show's original language is that one, else its language is unknown); each
  episode's still as its `thumb`.
- fanart.tv `/v3/tv/{tvdb}`: tvposter -> poster (keyart without text), showbackground and
  show4kbackground -> fanart (and, by its `season`, season N fanart or `season-all-fanart`),
  hdtvlogo/clearlogo -> clearlogo, hdclearart/clearart -> clearart, characterart, tvthumb ->
  landscape, tvbanner -> banner; seasonposter / seasonbanner / seasonthumb -> season N poster / banner / landscape, or
  on the show `season-all-poster` / `-banner` / `-landscape` for `season` "all" (or empty).
- TheTVDB: series Poster, Background, Banner, ClearArt, ClearLogo; season Poster, Background,
  Banner by `seasonId` (the series' seasons of the show's order say which number each id is).
"""

from __future__ import annotations

from typing import Any

from metarrd.enrich.candidates import (
    FANART_MOVIE_KEYS,
    TMDB_SMALL,
    TVDB_TYPE_NAMES,
    Candidate,
    _int,
    _is_svg,
    fanart_language,
    fanart_preview,
    fanart_url,
    from_tmdb,
    tmdb_language,
    tvdb_image_url,
    tvdb_language,
    unique,
)

SHOW = ("show", None)
Target = tuple[str, Any]
STILL_SMALL = "w300"
SEASON_TYPES = ("poster", "fanart", "banner", "landscape")
ALL_SEASONS = ("", "all")

# fanart.tv TV key -> (Kodi type on the show, nominal width, height)
FANART_SHOW_KEYS: dict[str, tuple[str, int, int]] = {
    "tvposter": ("poster", 1000, 1426),
    "showbackground": ("fanart", 1920, 1080),
    "show4kbackground": ("fanart", 3840, 2160),
    "hdtvlogo": ("clearlogo", 800, 310),
    "clearlogo": ("clearlogo", 400, 155),
    "hdclearart": ("clearart", 1000, 562),
    "clearart": ("clearart", 500, 281),
    "characterart": ("characterart", 512, 512),
    "tvthumb": ("landscape", 1000, 562),
    "tvbanner": ("banner", 1000, 185),
}
# fanart.tv season key -> (Kodi season type, nominal width, height)
FANART_SEASON_KEYS: dict[str, tuple[str, int, int]] = {
    "seasonposter": ("poster", 1000, 1426),
    "seasonbanner": ("banner", 1000, 185),
    "seasonthumb": ("landscape", 1000, 562),
}
assert set(FANART_SHOW_KEYS).isdisjoint(FANART_MOVIE_KEYS)


def season_target(number: int) -> Target:
    return ("season", int(number))


def episode_target(season: int, episode: int) -> Target:
    return ("episode", (int(season), int(episode)))


def _add(out: dict[Target, list[Candidate]], target: Target, c: Candidate) -> None:
    out.setdefault(target, []).append(c)


def _done(out: dict[Target, list[Candidate]]) -> dict[Target, list[Candidate]]:
    return {target: unique(found) for target, found in out.items()}


# --- TMDB ------------------------------------------------------------------------------------


def from_tmdb_tv(
    details: dict[str, Any],
    seasons: dict[int, dict[str, Any]],
    image_base: str,
    language: str = "en-US",
) -> dict[Target, list[Candidate]]:
    """The show's images, each season's poster and each episode's still. `language` is the
    one the show was asked in (`[providers.tmdb] language`)."""
    out: dict[Target, list[Candidate]] = {SHOW: from_tmdb(details, image_base)}
    base = image_base.rstrip("/")
    sizes_base = base.rsplit("/", 1)[0]
    # a season's `poster_path` is in the asked language, else the show's original language,
    # else the best rated (TMDB image-languages doc): known only when those two are one
    asked = language.split("-")[0].lower()
    poster_language = asked if details.get("original_language") == asked else None
    for number, season in seasons.items():
        target = season_target(number)
        if season.get("images"):
            out[target] = [c for c in from_tmdb(season, image_base) if c.asset_type == "poster"]
        elif isinstance(season.get("poster_path"), str):
            path = season["poster_path"]
            _add(out, target, Candidate("poster", "tmdb", f"{base}{path}", poster_language,
                                        small_url=f"{sizes_base}/{TMDB_SMALL['poster']}{path}",
                                        metadata={"file_path": path}))  # fmt: skip
        for ep in season.get("episodes") or []:
            path = ep.get("still_path") if isinstance(ep, dict) else None
            if not isinstance(path, str) or not path.startswith("/") or _is_svg(path):
                continue
            number_e = _int(ep.get("episode_number"))
            if number_e is None:
                continue
            _add(out, episode_target(number, number_e), Candidate(
                "thumb", "tmdb", f"{base}{path}", tmdb_language(ep.get("iso_639_1")),
                vote_average=None, small_url=f"{sizes_base}/{STILL_SMALL}{path}",
                metadata={"file_path": path},
            ))  # fmt: skip
    return _done(out)


# --- fanart.tv -------------------------------------------------------------------------------


def _fanart_candidate(kind: str, img: dict, key: str, size: tuple[int, int]) -> Candidate | None:
    url = img.get("url")
    if not isinstance(url, str) or not url or _is_svg(url):
        return None
    raw = img.get("lang")
    base_kind = kind.removeprefix("season-all-")
    if key == "tvposter" and str(raw or "").strip() in ("", "00"):
        kind = base_kind = "keyart"
    language = fanart_language(base_kind, raw) if base_kind != "characterart" else None
    return Candidate(
        asset_type=kind, provider="fanart", url=fanart_url(url),
        small_url=fanart_preview(fanart_url(url)), language=language,
        vote_count=_int(img.get("likes")) or 0, width=size[0], height=size[1],
        metadata={"key": key, "id": img.get("id"), "lang": raw, "season": img.get("season")},
    )  # fmt: skip


def from_fanart_tv(data: dict[str, Any] | None) -> dict[Target, list[Candidate]]:
    """Candidates from fanart.tv `/v3/tv/{tvdb_id}`; unknown keys are ignored."""
    out: dict[Target, list[Candidate]] = {}
    if not isinstance(data, dict) or data.get("status") == "error":
        return out
    for key, (kind, w, h) in FANART_SHOW_KEYS.items():
        for img in data.get(key) or []:
            if not isinstance(img, dict):
                continue
            c = _fanart_candidate(kind, img, key, (w, h))
            if c is None:
                continue
            _add(out, SHOW, c)
            if kind != "fanart" or "season" not in img:
                continue
            season = str(img.get("season") or "").strip().lower()
            if season in ALL_SEASONS:
                _add(out, SHOW, _fanart_candidate("season-all-fanart", img, key, (w, h)))
            elif season.isdigit():
                _add(out, season_target(int(season)), c)
    for key, (kind, w, h) in FANART_SEASON_KEYS.items():
        for img in data.get(key) or []:
            if not isinstance(img, dict):
                continue
            season = str(img.get("season") or "").strip().lower()
            if season in ALL_SEASONS:
                c = _fanart_candidate(f"season-all-{kind}", img, key, (w, h))
                target = SHOW
            elif season.isdigit():
                c, target = _fanart_candidate(kind, img, key, (w, h)), season_target(int(season))
            else:
                continue
            if c is not None:
                _add(out, target, c)
    return _done(out)


# --- TheTVDB ---------------------------------------------------------------------------------


def tvdb_tv_kinds(artwork_types: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Type id -> (record type "series" | "season", Kodi art type), from `/artwork/types`."""
    kinds = {}
    for t in artwork_types or []:
        if not isinstance(t, dict):
            continue
        record = str(t.get("recordType") or "").lower()
        name = "".join(str(t.get("name") or "").lower().split())
        type_id = _int(t.get("id"))
        kind = TVDB_TYPE_NAMES.get(name)
        if type_id is None or kind is None or record not in ("series", "season"):
            continue
        if record == "season" and kind not in SEASON_TYPES:
            continue
        kinds[type_id] = (record, kind)
    return kinds


def from_tvdb_tv(
    record: dict[str, Any] | None,
    kinds: dict[int, tuple[str, str]],
    artwork_host: str,
    season_type: str = "official",
) -> dict[Target, list[Candidate]]:
    """Candidates from the `artworks` of `/series/{id}/extended`. Season art is that of the
    seasons of `season_type` (the show's order: "dvd" for TheTVDB's DVD order, else
    "official"): the series' `seasons` list every season type's seasons, each with its own
    id and art (DVD season 1 of Futurama holds aired seasons 1 and 2's episodes; the absolute
    order's season 1 all of them), so another type's season N is not this order's season N."""
    out: dict[Target, list[Candidate]] = {}
    if not isinstance(record, dict):
        return out
    numbers = {}
    for s in record.get("seasons") or []:
        if (
            isinstance(s, dict)
            and _int(s.get("id")) is not None
            and _int(s.get("number")) is not None
        ):
            kind = s.get("type") if isinstance(s.get("type"), dict) else {}
            if str(kind.get("type") or "official").lower() == season_type:
                numbers[_int(s["id"])] = _int(s["number"])
    for art in record.get("artworks") or []:
        if not isinstance(art, dict):
            continue
        record_kind = kinds.get(_int(art.get("type")) or -1)
        image = art.get("image")
        if record_kind is None or not isinstance(image, str) or not image or _is_svg(image):
            continue
        record_type, kind = record_kind
        if record_type == "season":
            number = numbers.get(_int(art.get("seasonId")) or -1)
            if number is None:
                continue
            target = season_target(number)
        else:
            target = SHOW
        language = tvdb_language(art.get("language"))
        if art.get("includesText") is False and kind in ("poster", "fanart"):
            language = None
        thumb = art.get("thumbnail")
        width, height = _int(art.get("width")), _int(art.get("height"))
        _add(out, target, Candidate(
            asset_type=kind, provider="tvdb", url=tvdb_image_url(image, artwork_host),
            language=language, vote_count=_int(art.get("score")), width=width, height=height,
            small_url=tvdb_image_url(thumb, artwork_host) if isinstance(thumb, str) and thumb
            else None,
            size_exact=bool(width and height),
            metadata={"id": art.get("id"), "type": art.get("type")},
        ))  # fmt: skip
    return _done(out)
