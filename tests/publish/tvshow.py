"""Enriched TV shows built straight into the database, as TV enrich leaves them (the contract in
issue 14): show, season and episode items with metadata, selected artwork with real images in
the cache, the show's cast and guest stars, `episode_details` per episode of a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from metarrd import db
from metarrd.config import parse_config
from metarrd.runtime import Runtime, open_runtime
from tests.publish.conftest import add_actor, add_asset

# relative path -> (season, episodes); None: a name without numbers (scan's error)
HARD_CASE = {
    "Season 01/Breaking Bad - S01E01 - Pilot.mkv": (1, [1]),
    "Season 01/Breaking.Bad.s01.e02.mkv": (1, [2]),
    "Season 1/Breaking Bad S01E04E05.mkv": (1, [4, 5]),
    "Season 02/Breaking Bad - S02E01-E03.mkv": (2, [1, 2, 3]),
    "Specials/Breaking Bad - S00E01 - Making Of.mkv": (0, [1]),
    "Breaking Bad - S03E01.mkv": (3, [1]),
}
UNNUMBERED = "Specials/Breaking Bad - Special - Behind the Scenes.mkv"
SEASON_TITLES = {0: "Specials", 1: "Season 1", 2: "Season 2", 3: "The Third"}
SHOW_ART = {
    "poster": ["jpeg", "jpeg"],
    "fanart": ["jpeg", "jpeg"],
    "banner": ["jpeg"],
    "clearlogo": ["png"],
    "characterart": ["png"],
    "season-all-poster": ["jpeg"],
}


def tv_runtime(tmp_path: Path, **sections) -> Runtime:
    (tmp_path / "tv").mkdir(exist_ok=True)
    data = {
        "data_dir": str(tmp_path / "data"),
        "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
        **sections,
    }
    return open_runtime(parse_config(data))


@dataclass
class Show:
    show: db.Movie
    folder: Path
    seasons: dict[int, db.Movie] = field(default_factory=dict)
    episodes: dict[str, db.Movie] = field(default_factory=dict)  # relative path -> item
    images: dict[str, bytes] = field(default_factory=dict)  # file name we expect -> bytes

    def path(self, rel: str) -> Path:
        return self.folder / rel

    def reload(self) -> db.Movie:
        self.show = db.Movie.get_by_id(self.show.id)
        return self.show


def build_show(
    rt: Runtime,
    name: str = "Breaking Bad (2008)",
    *,
    files: dict[str, tuple[int, list[int]]] | None = None,
    unnumbered: list[str] = (),
    art: dict[str, list[str]] | None = None,
    thumbs: bool = True,
) -> Show:
    lib_cfg = rt.config.library[0]
    lib = db.Library.get(db.Library.name == lib_cfg.name)
    folder = Path(lib_cfg.path) / name
    folder.mkdir(parents=True, exist_ok=True)
    show = db.Movie.create(
        library=lib,
        path=str(folder),
        kind=db.SHOW,
        title="Breaking Bad",
        original_title="Breaking Bad",
        year=2008,
        premiered="2008-01-20",
        status="Ended",
        studios=["AMC"],
        genres=["Drama", "Crime"],
        rating=8.9,
        votes=15000,
        mpaa="TV-MA",
        tmdb_id=1396,
        tvdb_id=81189,
        imdb_id="tt0903747",
        plot="A chemistry teacher diagnosed with cancer turns to making meth.",
        identification_status=db.ENRICHED,
        date_added=datetime(2024, 5, 6, 7, 8, 9),
        enriched_at=datetime(2024, 5, 6, 8, 0, 0),
    )
    built = Show(show, folder)
    for asset_type, formats in (SHOW_ART if art is None else art).items():
        for i, fmt in enumerate(formats):
            add_asset(rt, show, asset_type, fmt=fmt, rank=i + 1, score=9.0 - i)
    add_actor(rt, show, "Bryan Cranston", "Walter White", 0, "jpeg")
    add_actor(rt, show, "Aaron Paul", "Jesse Pinkman", 1, "png")
    files = HARD_CASE if files is None else files
    for number in sorted({s for s, _ in files.values()}):
        season = db.Movie.create(
            library=lib,
            path=str(folder / f"#season-{number:02d}"),
            kind=db.SEASON,
            show=show,
            season=number,
            title=SEASON_TITLES.get(number),
            identification_status=db.ENRICHED,
        )
        add_asset(rt, season, "poster", rank=1)
        if number == 1:
            add_asset(rt, season, "banner", rank=1)
        built.seasons[number] = season
    guest_done = False
    for rel, (season, numbers) in files.items():
        video = folder / rel
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(b"\x1a\x45\xdf\xa3 not really an episode " + rel.encode())
        details = [
            {
                "season": season,
                "episode": n,
                "title": f"Episode {season}x{n} title",
                "plot": f"What happens in {season}x{n}.",
                "aired": f"2008-0{min(season, 9) + 1}-{10 + n:02d}",
                "runtime": 47,
                "rating": 8.0 + n / 10,
                "directors": ["Vince Gilligan"],
                "writers": ["Vince Gilligan", "Peter Gould"],
                "tmdb_id": 62000 + season * 100 + n,
                "tvdb_id": 349000 + season * 100 + n,
            }
            for n in numbers
        ]
        first = details[0]
        ep = db.Movie.create(
            library=lib,
            path=str(video),
            size=video.stat().st_size,
            kind=db.EPISODE,
            show=show,
            season=season,
            episodes=numbers,
            title=first["title"],
            plot=first["plot"],
            aired=first["aired"],
            runtime=47,
            rating=first["rating"],
            tmdb_id=first["tmdb_id"],
            tvdb_id=first["tvdb_id"],
            directors=first["directors"],
            writers=first["writers"],
            episode_details=details,
            identification_status=db.ENRICHED,
            date_added=datetime(2024, 5, 6, 7, 8, 9),
        )
        if thumbs:
            add_asset(rt, ep, "thumb", rank=1)
        if not guest_done:
            add_actor(rt, ep, "Bob Odenkirk", "Saul Goodman", 0, "jpeg")
            guest_done = True
        built.episodes[rel] = ep
    for rel in unnumbered:
        video = folder / rel
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(b"unnumbered")
        built.episodes[rel] = db.Movie.create(
            library=lib,
            path=str(video),
            kind=db.EPISODE,
            show=show,
            season=None,
            episodes=[],
            identification_status=db.UNIDENTIFIED,
            last_error="no season or episode number in the file name",
        )
    return built
