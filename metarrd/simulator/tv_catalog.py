"""The simulator's TV catalog: hand-written shows (tv_shows.json) expanded into seasons, episodes,
provider ids and image assets.

Every episode is one identity with several numberings: TMDB's (`seasons` in the JSON) and
TheTVDB's season types. TheTVDB's official (aired) order is TMDB's unless `tvdb_seasons`
re-chunks the regular episodes (shows whose providers split seasons differently) or
`tvdb_orders["official"]` lists them; its DVD order is the official one unless
`tvdb_orders["dvd"]` gives it, as season sizes over TMDB's regular episodes (`[13, 6]`) or as
TheTVDB season -> TMDB codes (`{"1": ["1x02", "1x03", ...]}`, Firefly's broadcast order); its
absolute order numbers the regular episodes 1, 2, 3... in season 1. `tvdb_only` names episodes
TheTVDB has and TMDB has not (season -> titles). Specials (season 0) are numbered by each
provider on its own, as on the real services (TheTVDB lists minisodes, webisodes and featurettes
TMDB leaves out, so TMDB's S00E01 is often TheTVDB's S00E04): `tvdb_specials` is TheTVDB's
season 0 in its order, each entry a TMDB special's number or the title of a special only
TheTVDB has; TMDB specials it leaves out follow in TMDB's order. Each provider gives the episode its own id, and
TMDB's episode `external_ids.tvdb_id` joins them, as on the real services. `aired` (season ->
dates) gives real air dates instead of one a week. A daily show lists its seasons as
`{"season": [first air date, episode count, dates of two episodes]}` with one episode per
weekday, and two on each date of the third list (a night of two episodes back to back).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from metarrd.simulator.artwork import Asset, person_asset, plain_asset, stable_int
from metarrd.simulator.catalog import normalise_words, words_match

DATA_FILE = Path(__file__).with_name("tv_shows.json")
TV_GENRES = {
    16: "Animation", 18: "Drama", 35: "Comedy", 80: "Crime", 10759: "Action & Adventure",
    10765: "Sci-Fi & Fantasy", 10767: "Talk",
}  # fmt: skip


@dataclass
class Episode:
    season: int  # TMDB numbering
    number: int
    title: str
    aired: str
    tmdb_id: int
    tvdb_id: int
    tvdb_season: int  # TheTVDB's official (aired) numbering
    tvdb_number: int
    absolute: int | None  # regular episodes only
    still: Asset | None = None
    dvd_season: int | None = None  # TheTVDB's DVD order (None: the official numbers)
    dvd_number: int | None = None
    production_code: str = ""  # TMDB's `production_code` ("" for most episodes)

    def tvdb_numbers(self, season_type: str) -> tuple[int, int]:
        """(seasonNumber, number) in one of TheTVDB's season types."""
        if season_type == "dvd" and self.dvd_season is not None and self.dvd_number is not None:
            return self.dvd_season, self.dvd_number
        if season_type == "absolute":
            return (1, self.absolute) if self.absolute else (0, self.tvdb_number)
        return self.tvdb_season, self.tvdb_number


@dataclass
class Show:
    id: int
    tvdb_id: int
    imdb_id: str | None
    name: str
    first_air_date: str
    status: str
    type: str
    network: list
    genres: list[int]
    popularity: float
    vote_average: float
    vote_count: int
    overview: str
    rating_us: str
    created_by: list[str]
    runtime: int
    cast: list[list]
    seasons: dict[str, list[str]] = field(default_factory=dict)
    daily: dict[str, list] | None = None
    tvdb_seasons: list[int] | None = None
    tvdb_orders: dict[str, list[int] | dict[str, list[str]]] = field(default_factory=dict)
    tvdb_only: dict[str, list[str]] = field(default_factory=dict)
    tvdb_specials: list[int | str] = field(default_factory=list)
    # TheTVDB's untranslated lists name episodes in the show's original language (English
    # title -> that name), its `/{lang}` lists in English but these (null name and overview)
    tvdb_original: dict[str, str] = field(default_factory=dict)
    tvdb_untranslated: list[str] = field(default_factory=list)
    # ... and these "TBA" in English, TheTVDB's name for an episode not named yet, though the
    # original has a name (v4-api#30: `/episodes/8402147/translations/eng` "TBA" while the
    # episode was "Battle Scars"; Sonarr#7991: a French show's episodes "TBA" in English)
    tvdb_tba: list[str] = field(default_factory=list)
    aired: dict[str, list[str]] = field(default_factory=dict)
    original_name: str | None = None
    original_language: str = "en"
    # TMDB's translations of the show other than English: language -> {"name", "overview"};
    # asked in a language it has none of, TMDB answers `"overview": ""`
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # TMDB's English overview of a season ("1": ...); "" for the others, as for many shows
    season_overviews: dict[str, str] = field(default_factory=dict)
    trailer: str | None = None  # the YouTube key of its one trailer, in English
    # TMDB's production codes of a season's episodes ("1": ["1ACV01", ...]), "" for the others
    production_codes: dict[str, list[str]] = field(default_factory=dict)
    countries: list[str] = field(default_factory=lambda: ["US"])
    episodes: list[Episode] = field(default_factory=list)
    tvdb_extra: list[Episode] = field(default_factory=list)  # TheTVDB only (tmdb_id 0)
    posters: list[Asset] = field(default_factory=list)
    backdrops: list[Asset] = field(default_factory=list)
    logos: list[Asset] = field(default_factory=list)
    season_posters: dict[int, Asset] = field(default_factory=dict)
    fanart: dict[str, list[tuple[Asset, str | None]]] = field(default_factory=dict)
    tvdb_art: list[tuple[Asset, int | None]] = field(default_factory=list)  # (asset, season)

    @property
    def year(self) -> int:
        return int(self.first_air_date[:4])

    @property
    def slug(self) -> str:
        return "-".join(normalise_words(self.name))

    def season_numbers(self) -> list[int]:
        return sorted({e.season for e in self.episodes})

    def season(self, number: int) -> list[Episode]:
        return [e for e in self.episodes if e.season == number]

    def episode(self, season: int, number: int) -> Episode | None:
        return next((e for e in self.episodes if (e.season, e.number) == (season, number)), None)

    def matches(self, query: str) -> bool:
        names = [self.name] + ([self.original_name] if self.original_name else [])
        return any(words_match(normalise_words(query), normalise_words(n)) for n in names)


def _nth(items: list[str] | None, n: int) -> str:
    return items[n - 1] if items and n <= len(items) else ""


def _build_episodes(show: Show) -> None:
    rows: list[tuple[int, int, str, str]] = []
    if show.daily:
        for season, (first, count, *doubles) in show.daily.items():
            twice = set(doubles[0]) if doubles else set()
            day = date.fromisoformat(first)
            for n in range(1, count + 1):
                while day.weekday() >= 5:
                    day += timedelta(days=1)
                guest = random.Random(f"{show.id}-{season}-{n}").choice(
                    ["Guest", "Author", "Senator", "Actor", "Chef", "Scientist"]
                )
                rows.append((int(season), n, f"{guest} {n}", day.isoformat()))
                if day.isoformat() in twice:
                    twice.discard(day.isoformat())  # the next episode airs that night too
                else:
                    day += timedelta(days=1)
    else:
        start = date.fromisoformat(show.first_air_date)
        for season, titles in sorted(show.seasons.items(), key=lambda kv: int(kv[0])):
            s = int(season)
            first = start + timedelta(days=365 * max(s - 1, 0)) if s else start + timedelta(200)
            dates = show.aired.get(season) or []
            for n, title in enumerate(titles, 1):
                day = dates[n - 1] if n <= len(dates) else None
                rows.append((s, n, title, day or (first + timedelta(weeks=n - 1)).isoformat()))
    regular = [r for r in rows if r[0] > 0]
    official = _tvdb_order(show.tvdb_orders.get("official") or show.tvdb_seasons, regular)
    dvd = _tvdb_order(show.tvdb_orders.get("dvd"), regular)
    absolute = {(r[0], r[1]): i for i, r in enumerate(regular, 1)}
    specials, only_tvdb = _tvdb_specials(show.tvdb_specials, [r for r in rows if r[0] == 0])
    official.update(specials)
    for s, e, title, aired in rows:
        ts, te = official.get((s, e), (s, e))
        ds, de = dvd.get((s, e), (None, None))
        show.episodes.append(
            Episode(
                season=s,
                number=e,
                title=title,
                aired=aired,
                tmdb_id=stable_int("tmdb-episode", show.id, s, e, low=60_000, high=5_000_000),
                tvdb_id=stable_int(
                    "tvdb-episode", show.tvdb_id, ts, te, low=100_000, high=9_000_000
                ),
                tvdb_season=ts,
                tvdb_number=te,
                absolute=absolute.get((s, e)),
                dvd_season=ds,
                dvd_number=de,
                production_code=_nth(show.production_codes.get(str(s)), e),
            )
        )
    for n, title in only_tvdb:
        aired = (date.fromisoformat(show.first_air_date) + timedelta(days=190 + n)).isoformat()
        show.tvdb_extra.append(Episode(
            season=0, number=n, title=title, aired=aired, tmdb_id=0,
            tvdb_id=stable_int("tvdb-episode", show.tvdb_id, 0, n, low=100_000, high=9_000_000),
            tvdb_season=0, tvdb_number=n, absolute=None,
        ))  # fmt: skip
    for season, titles in show.tvdb_only.items():
        s = int(season)
        taken = max(
            (e.tvdb_number for e in show.episodes + show.tvdb_extra if e.tvdb_season == s),
            default=0,
        )
        for n, title in enumerate(titles, taken + 1):
            aired = (date.fromisoformat(show.first_air_date) + timedelta(days=1500 + n)).isoformat()
            show.tvdb_extra.append(Episode(
                season=s, number=n, title=title, aired=aired, tmdb_id=0,
                tvdb_id=stable_int("tvdb-episode", show.tvdb_id, s, n, low=100_000, high=9_000_000),
                tvdb_season=s, tvdb_number=n, absolute=None,
            ))  # fmt: skip


def _tvdb_specials(
    spec: list[int | str], specials: list[tuple]
) -> tuple[dict[tuple[int, int], tuple[int, int]], list[tuple[int, str]]]:
    """TMDB (0, n) -> TheTVDB (0, m) by `tvdb_specials`, and TheTVDB's own specials (m, title)."""
    if not spec:
        return {}, []
    numbers: dict[tuple[int, int], tuple[int, int]] = {}
    only: list[tuple[int, str]] = []
    for m, entry in enumerate(spec, 1):
        if isinstance(entry, int):
            numbers[(0, entry)] = (0, m)
        else:
            only.append((m, entry))
    m = len(spec)
    for s, e, *_ in specials:
        if (s, e) not in numbers:
            m += 1
            numbers[(s, e)] = (0, m)
    return numbers, only


def _tvdb_order(spec, regular: list[tuple]) -> dict[tuple[int, int], tuple[int, int]]:
    """TMDB (season, episode) -> TheTVDB (season, number) in one season type: season sizes
    over TMDB's regular episodes in order, or TheTVDB season -> TMDB codes ("1x02")."""
    numbers: dict[tuple[int, int], tuple[int, int]] = {}
    if isinstance(spec, list):
        index = 0
        for tvdb_season, size in enumerate(spec, 1):
            for n in range(1, size + 1):
                s, e, *_ = regular[index]
                numbers[(s, e)] = (tvdb_season, n)
                index += 1
    elif isinstance(spec, dict):
        for tvdb_season, codes in spec.items():
            for n, code in enumerate(codes, 1):
                s, _, e = code.partition("x")
                numbers[(int(s), int(e))] = (int(tvdb_season), n)
    return numbers


def _build_art(show: Show) -> list[Asset]:
    sid = show.id
    made: list[Asset] = []

    def tmdb(seed: str, kind: str, style: str, w: int, h: int, ext: str, lang, rating: float):
        asset = plain_asset(f"tv-{sid}-{seed}", kind, style, w, h, ext)
        asset = Asset(asset.key, asset.picture, kind, style, w, h, ext, lang, rating, 3)
        made.append(asset)
        return asset

    show.posters = [
        tmdb("poster-0", "poster", "photo", 1000, 1500, "jpg", "en", 5.6),
        tmdb("poster-1", "poster", "photo", 680, 1000, "jpg", None, 5.3),
    ]
    show.backdrops = [tmdb("backdrop-0", "backdrop", "photo", 1920, 1080, "jpg", None, 5.5)]
    show.logos = [tmdb("logo-0", "logo", "cutout", 800, 310, "png", "en", 5.4)]
    for s in show.season_numbers():  # a foreign show's season posters: in its own language
        lang = show.original_language
        show.season_posters[s] = tmdb(f"season-{s}", "poster", "photo", 680, 1000, "jpg", lang, 5)
    for ep in show.episodes:
        ep.still = tmdb(
            f"still-{ep.season}-{ep.number}", "still", "photo", 1280, 720, "jpg", None, 5
        )

    def fanart(key: str, w: int, h: int, ext: str, style: str, lang: str, season: str | None):
        seed = f"tv-{sid}-fanart-{key}-{season}"
        rng = random.Random(seed)
        name = f"{show.slug}-{rng.getrandbits(52):013x}.{ext}"
        asset = Asset(
            f"/fanart/tv/{show.tvdb_id}/{key}/{name}", seed, key, style, w, h, ext, lang,
            float(rng.randint(0, 9)), 0, stable_int(seed, low=10_000, high=400_000),
        )  # fmt: skip
        show.fanart.setdefault(key, []).append((asset, season))
        made.append(asset)

    fanart("tvposter", 1000, 1426, "jpg", "photo", "en", None)
    fanart("tvposter", 1000, 1426, "jpg", "photo", "00", None)
    fanart("showbackground", 1920, 1080, "jpg", "photo", "", "all")
    fanart("show4kbackground", 3840, 2160, "jpg", "photo", "", "all")
    fanart("hdtvlogo", 800, 310, "png", "cutout", "en", None)
    fanart("hdclearart", 1000, 562, "png", "cutout", "en", None)
    fanart("characterart", 512, 512, "png", "cutout", "", None)
    fanart("tvthumb", 1000, 562, "jpg", "photo", "en", None)
    fanart("tvbanner", 1000, 185, "jpg", "photo", "en", None)
    for s in show.season_numbers():
        fanart("seasonposter", 1000, 1426, "jpg", "photo", "en", str(s))
        fanart("seasonthumb", 1000, 562, "jpg", "photo", "en", str(s))
        fanart("seasonbanner", 1000, 185, "jpg", "photo", "en", str(s))
        fanart("showbackground", 1920, 1080, "jpg", "photo", "", str(s))
    for key, w, h in (("seasonposter", 1000, 1426), ("seasonthumb", 1000, 562),
                      ("seasonbanner", 1000, 185)):  # fmt: skip
        fanart(key, w, h, "jpg", "photo", "en", "all")

    def tvdb(type_id: int, folder: str, w: int, h: int, ext: str, style: str, season=None):
        seed = f"tv-{sid}-tvdb-{type_id}-{season}"
        rng = random.Random(seed)
        asset = Asset(
            f"/banners/series/{show.tvdb_id}/{folder}/{rng.getrandbits(64):016x}.{ext}", seed,
            str(type_id), style, w, h, ext, "eng", float(rng.randint(10_000, 90_000)), 0,
            stable_int(seed, low=1_000_000, high=70_000_000), type_id,
        )  # fmt: skip
        show.tvdb_art.append((asset, season))
        made.append(asset)

    tvdb(2, "posters", 680, 1000, "jpg", "photo")
    tvdb(3, "backgrounds", 1920, 1080, "jpg", "photo")
    tvdb(1, "banners", 758, 140, "jpg", "photo")
    tvdb(23, "clearlogo", 800, 310, "png", "cutout")
    tvdb(22, "clearart", 1000, 562, "png", "cutout")
    for s in sorted({e.tvdb_season for e in show.episodes}):
        tvdb(7, "seasons", 680, 1000, "jpg", "photo", s)
        tvdb(6, "seasonswide", 758, 140, "jpg", "photo", s)
        tvdb(8, "seasonsbackground", 1920, 1080, "jpg", "photo", s)
    return made


GUEST_POOL = 40  # guest stars recur: each episode draws two from its show's pool
CREW_POOL = 3


def episode_people(show: Show, ep: Episode) -> tuple[list[tuple[str, str]], str, str]:
    """(guest stars as (name, character), director, writer) of one episode (deterministic)."""
    picks = sorted({stable_int("guest", show.id, ep.season, ep.number, i, high=GUEST_POOL)
                    for i in range(2)})  # fmt: skip
    guests = [(f"{show.name} Guest {n}", f"Visitor {n}") for n in picks]
    director = f"{show.name} Director {stable_int('dir', show.id, ep.season, ep.number, high=4)}"
    writer = f"{show.name} Writer {stable_int('wri', show.id, ep.season, ep.number, high=4)}"
    return guests, director, writer


class TvCatalog:
    """Every show, indexed by TMDB id, TheTVDB id, IMDb id and episode ids."""

    def __init__(self, shows: list[Show]) -> None:
        self.shows = {s.id: s for s in shows}
        self.by_tvdb = {s.tvdb_id: s for s in shows}
        self.by_imdb = {s.imdb_id: s for s in shows if s.imdb_id}
        self.images: dict[str, Asset] = {}
        self.episodes_by_tvdb: dict[int, tuple[Show, Episode]] = {}
        self.episodes_by_tmdb: dict[int, tuple[Show, Episode]] = {}
        for show in shows:
            _build_episodes(show)
            for asset in _build_art(show):
                self.images[asset.key] = asset
            names = [(name, True) for name, *_ in show.cast]
            names += [(f"{show.name} Guest {n}", False) for n in range(GUEST_POOL)]
            for name, headliner in names:
                face = person_asset(name, headliner)
                if face is not None:
                    self.images[face.key] = face
            for ep in show.episodes:
                self.episodes_by_tvdb[ep.tvdb_id] = (show, ep)
                self.episodes_by_tmdb[ep.tmdb_id] = (show, ep)

    def get(self, show_id: int) -> Show | None:
        return self.shows.get(show_id)

    def search(self, query: str, year: int | None = None) -> list[Show]:
        hits = [s for s in self.shows.values() if s.matches(query)]
        if year is not None:
            hits = [s for s in hits if s.year == year]
        return sorted(hits, key=lambda s: (-s.popularity, s.id))


def load_tv_catalog() -> TvCatalog:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return TvCatalog([Show(**entry) for entry in raw])
