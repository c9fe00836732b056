"""Enriched movies built straight into the database, as ENRICH leaves them: metadata, selected
and unselected artwork with real images in the cache, a cast with thumbnails, stream details.
Plus a loopback image server for the "downloaded again" cases."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import os
import random
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw

from metarrd import cache, db
from metarrd.imaging import analyse_image
from metarrd.runtime import Runtime, open_runtime

_SEED = itertools.count(1)
SIZES = {
    "poster": (40, 60),
    "fanart": (64, 36),
    "clearlogo": (50, 20),
    "clearart": (50, 28),
    "discart": (40, 40),
    "banner": (80, 15),
    "landscape": (64, 36),
    "keyart": (40, 60),
    "thumb": (64, 36),
    "actor": (30, 45),
}
FORMATS = {"jpeg": ("JPEG", "jpg"), "png": ("PNG", "png"), "webp": ("WEBP", "webp")}


def image_bytes(kind: str = "poster", fmt: str = "jpeg", seed: int | None = None) -> bytes:
    """A small real image, different for every seed."""
    seed = next(_SEED) if seed is None else seed
    rng = random.Random(seed)
    size = SIZES.get(kind, (40, 40))
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        box = (
            sorted(rng.randrange(size[0]) for _ in range(2)),
            sorted(rng.randrange(size[1]) for _ in range(2)),
        )
        draw.rectangle(
            (box[0][0], box[1][0], box[0][1], box[1][1]),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    out = io.BytesIO()
    pil_format = FORMATS[fmt][0]
    im.save(out, pil_format, **({"quality": 90} if pil_format == "JPEG" else {}))
    return out.getvalue()


def put_in_cache(rt: Runtime, data: bytes, image_type: str) -> tuple[Path, object]:
    tmp = rt.config.tmp_dir / f"build-{next(_SEED)}"
    tmp.write_bytes(data)
    info = analyse_image(tmp)
    path = cache.store(rt.config.cache_dir, image_type, tmp, info)
    tmp.unlink()
    return path, info


@dataclass
class Enriched:
    movie: db.Movie
    folder: Path
    base: str
    selected: dict[str, list[db.ArtworkCandidate]] = field(default_factory=dict)
    unselected: list[db.ArtworkCandidate] = field(default_factory=list)
    actors: list[db.Actor] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)  # asset url / actor name -> bytes

    def reload(self) -> db.Movie:
        self.movie = db.Movie.get_by_id(self.movie.id)
        return self.movie

    def path(self, name: str) -> Path:
        return self.folder / name


DEFAULT_ART = {"poster": ["jpeg", "jpeg", "jpeg"], "fanart": ["jpeg", "jpeg"], "clearlogo": ["png"]}
DEFAULT_CAST = [
    ("Keanu Reeves", "Neo", "jpeg"),
    ("Carrie-Anne Moss", "Trinity", "jpeg"),
    ("Laurence Fishburne", "Morpheus", "png"),
    ("Hugo Weaving", "Agent Smith", None),  # no image
]


def add_asset(
    rt: Runtime,
    movie: db.Movie,
    asset_type: str,
    *,
    fmt: str = "jpeg",
    selected: bool = True,
    rank: int | None = None,
    score: float = 5.0,
    url: str | None = None,
    data: bytes | None = None,
    cached: bool = True,
) -> tuple[db.ArtworkCandidate, bytes]:
    data = data if data is not None else image_bytes(asset_type, fmt)
    n = next(_SEED)
    url = url or f"https://image.tmdb.org/t/p/original/{asset_type}{n}.{FORMATS[fmt][1]}"
    info = None
    if cached:
        path, info = put_in_cache(rt, data, asset_type)
        db.CacheImageFile.get_or_create(
            movie=movie,
            actor=None,
            image_type=asset_type,
            file_hash=info.sha256,
            defaults={
                "file_path": str(path),
                "file_size": info.size,
                "width": info.width,
                "height": info.height,
                "format": info.format,
                "perceptual_hash": info.phash,
                "source_type": "provider",
                "source_url": url,
                "provider_name": "tmdb",
            },
        )

    asset = db.ArtworkCandidate.create(
        movie=movie,
        asset_type=asset_type,
        provider="tmdb",
        url=url,
        analyzed=True,
        format=fmt,
        file_size=len(data),
        content_hash=hashlib.sha256(data).hexdigest(),
        score=score,
        is_downloaded=cached,
        is_selected=selected,
        selected_by="auto" if selected else None,
        rank=rank,
        width=info.width if info else None,
        height=info.height if info else None,
    )
    return asset, data


def add_actor(
    rt: Runtime,
    movie: db.Movie,
    name: str,
    role: str,
    order: int,
    fmt: str | None = "jpeg",
    *,
    thumb_url: str | None = None,
    data: bytes | None = None,
) -> tuple[db.Actor, bytes | None]:
    n = next(_SEED)
    actor = db.Actor.create(
        tmdb_id=100000 + n,
        name=name,
        name_normalized=name.casefold(),
        thumb_url=thumb_url
        or (f"https://image.tmdb.org/t/p/original/actor{n}.{FORMATS[fmt][1]}" if fmt else None),
    )
    if fmt:
        data = data if data is not None else image_bytes("actor", fmt)
        path, info = put_in_cache(rt, data, "actor")
        db.CacheImageFile.create(
            movie=None,
            actor=actor,
            image_type="actor",
            file_path=str(path),
            file_hash=info.sha256,
            file_size=info.size,
            width=info.width,
            height=info.height,
            format=info.format,
            source_type="provider",
            source_url=actor.thumb_url,
            provider_name="tmdb",
        )
        actor.image_cache_path, actor.image_hash = str(path), info.sha256
        actor.save()
    db.MovieActor.create(movie=movie, actor=actor, role=role, order=order)
    return actor, data


def build_enriched(
    rt: Runtime,
    name: str = "The Matrix (1999)",
    *,
    art: dict[str, list[str]] | None = None,
    unselected: dict[str, int] | None = None,
    cast: list[tuple[str, str, str | None]] | None = None,
    streams: bool = True,
    library: str | None = None,
    **fields,
) -> Enriched:
    """An enriched movie `<library>/<name>/<name>.mkv` with everything ENRICH would leave."""
    lib_cfg = rt.config.library[0] if library is None else rt.config.library_named(library)
    lib = db.Library.get(db.Library.name == lib_cfg.name)
    folder = Path(lib_cfg.path) / name
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{name}.mkv"
    video.write_bytes(b"\x1a\x45\xdf\xa3 not really a movie")
    values = {
        "title": "The Matrix",
        "original_title": "The Matrix",
        "year": 1999,
        "premiered": "1999-03-30",
        "tmdb_id": 603,
        "imdb_id": "tt0133093",
        "plot": "Set in the 22nd century, The Matrix tells the story of a computer hacker.",
        "tagline": "Welcome to the Real World.",
        "runtime": 136,
        "mpaa": "R",
        "rating": 8.2,
        "votes": 24000,
        "genres": ["Action", "Science Fiction"],
        "countries": ["United States of America"],
        "studios": ["Warner Bros. Pictures", "Village Roadshow Pictures"],
        "directors": ["Lana Wachowski", "Lilly Wachowski"],
        "writers": ["Lana Wachowski", "Lilly Wachowski"],
        "tags": ["artificial intelligence"],
        "set_name": "The Matrix Collection",
        "set_overview": "The Matrix films.",
        "date_added": datetime(2024, 5, 6, 7, 8, 9),
        "identification_status": db.ENRICHED,
        "enriched_at": datetime(2024, 5, 6, 8, 0, 0),
    }
    values.update(fields)
    movie = db.Movie.create(library=lib, path=str(video), size=video.stat().st_size, **values)
    built = Enriched(movie, folder, name)
    for asset_type, formats in (DEFAULT_ART if art is None else art).items():
        for i, fmt in enumerate(formats):
            asset, data = add_asset(rt, movie, asset_type, fmt=fmt, rank=i + 1, score=9.0 - i)
            built.selected.setdefault(asset_type, []).append(asset)
            built.images[asset.url] = data
    for asset_type, count in (unselected or {}).items():
        for i in range(count):
            asset, data = add_asset(rt, movie, asset_type, selected=False, score=1.0 - i / 10)
            built.unselected.append(asset)
            built.images[asset.url] = data
    for order, (actor_name, role, fmt) in enumerate(DEFAULT_CAST if cast is None else cast):
        actor, data = add_actor(rt, movie, actor_name, role, order, fmt)
        built.actors.append(actor)
        if data is not None:
            built.images[actor_name] = data
    if streams:
        db.VideoStream.create(
            movie=movie,
            codec="h264",
            width=1920,
            height=800,
            aspect=2.4,
            duration_seconds=8160,
            hdrtype="",
        )
        db.AudioStream.create(movie=movie, codec="dts", language="eng", channels=6)
        db.AudioStream.create(movie=movie, codec="ac3", language="fra", channels=2)
        db.SubtitleStream.create(movie=movie, language="eng")
    return built


def into_one_folder(first, second) -> None:
    """`second`'s video moved into `first`'s folder (built items: two movies of one folder,
    sharing its `.actors/`), and its item told so."""
    video = first.path(Path(second.movie.path).name)
    Path(second.movie.path).rename(video)
    db.Movie.update(path=str(video)).where(db.Movie.id == second.movie.id).execute()


@pytest.fixture
def make_rt(config_factory, request):
    """Runtime factory: `make_rt(player=[...], libraries={...})` (closed after the test). In a
    test with `image_server`, that server stands for TMDB's image host (its re-downloads come
    from there): it is `[providers.tmdb] image_hosts`."""
    made: list[Runtime] = []

    def _make(**sections) -> Runtime:
        if "image_server" in request.fixturenames:
            origin = request.getfixturevalue("image_server").url
            providers = dict(sections.get("providers") or {})
            providers["tmdb"] = {"image_hosts": [origin], **(providers.get("tmdb") or {})}
            sections["providers"] = providers
        runtime = open_runtime(config_factory(**sections))
        made.append(runtime)
        return runtime

    yield _make
    for runtime in made:
        runtime.close()


@pytest.fixture
def rt(make_rt):
    return make_rt()


@pytest.fixture
def build(request, backend):
    """`build(name, runtime=None, **kwargs)`: an enriched movie (see `build_enriched`), by
    default in the `rt` fixture's database, taken when asked for: on the test backend."""

    def _build(name: str = "The Matrix (1999)", *, runtime: Runtime | None = None, **kwargs):
        return build_enriched(runtime or request.getfixturevalue("rt"), name, **kwargs)

    return _build


@pytest.fixture
def kit(request, backend):
    """The builder's parts for tests that change a built movie: `kit.add_asset(movie, type,
    ...)`, `kit.add_actor(movie, name, role, order, fmt)`, `kit.image_bytes(kind, fmt)`."""
    runtime = request.getfixturevalue("rt")
    return SimpleNamespace(
        add_asset=functools.partial(add_asset, runtime),
        add_actor=functools.partial(add_actor, runtime),
        image_bytes=image_bytes,
    )


class ImageServer:
    """Serves `files` (path -> bytes) on 127.0.0.1; anything else is a 404."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.statuses: dict[str, int] = {}  # path -> error status to answer instead
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.requests.append(self.path)
                if self.path in outer.statuses:
                    self.send_error(outer.statuses[self.path])
                    return
                data = outer.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client killed mid-download (the crash test) is not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve(self, name: str, data: bytes) -> str:
        """Serve `data` at /<name>; returns its URL."""
        self.files[f"/{name}"] = data
        return f"{self.url}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def image_server():
    server = ImageServer()
    yield server
    server.close()


@contextlib.contextmanager
def read_only(folder: Path):
    """A folder nobody can create files in, even root (chattr +i when permissions do not bind)."""
    os.chmod(folder, 0o555)
    immutable = False
    probe = folder / ".probe"
    try:
        probe.touch()
    except PermissionError:
        pass
    else:
        probe.unlink()
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        if done.returncode != 0:
            os.chmod(folder, 0o755)
            pytest.skip("cannot make a folder read-only for root here")
        immutable = True
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        os.chmod(folder, 0o755)
