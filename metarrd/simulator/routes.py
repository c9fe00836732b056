"""Request routing: auth checks and dispatch to the TMDB, fanart.tv, TheTVDB and image routes."""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field

from metarrd.simulator import fanart, tmdb, tv_others, tv_tmdb, tvdb
from metarrd.simulator.artwork import Asset
from metarrd.simulator.catalog import Catalog
from metarrd.simulator.images import ImageCache
from metarrd.simulator.reply import Reply, html_error_page, json_reply, text_reply
from metarrd.simulator.tv_catalog import load_tv_catalog

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "svg": "image/svg+xml"}
PREVIEW_WIDTH = 200


DEFAULT_TMDB_KEY = "sim-tmdb-key"
DEFAULT_TMDB_TOKEN = "eyJhbGciOiJIUzI1NiJ9.sim-tmdb-read-token.c2ltdWxhdG9y"
DEFAULT_FANART_KEY = "sim-fanart-key"
DEFAULT_TVDB_KEY = "sim-tvdb-key"


@dataclass
class Keys:
    """The credentials the simulator accepts, and the TVDB tokens it has issued."""

    tmdb_key: str = DEFAULT_TMDB_KEY
    tmdb_token: str = DEFAULT_TMDB_TOKEN
    fanart_key: str = DEFAULT_FANART_KEY
    tvdb_key: str = DEFAULT_TVDB_KEY
    tvdb_pin: str | None = None  # when set, /v4/login also needs this pin
    tvdb_tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_tvdb_token(self) -> str:
        token = "eyJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(24)
        with self.lock:
            self.tvdb_tokens.add(token)
        return token

    def tvdb_token_ok(self, header: str) -> bool:
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        with self.lock:
            return token in self.tvdb_tokens


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


class Router:
    def __init__(self, catalog: Catalog, keys: Keys, images: ImageCache) -> None:
        self.catalog = catalog
        self.keys = keys
        self.images = images
        self.base_url = ""  # the APIs' host, set once the port is known
        self.image_hosts: dict[str, str] = {}  # provider -> its images' host, set with it
        self.tv = load_tv_catalog()  # TV shows (tv_catalog.py); their images served like movies'
        catalog.images.update(self.tv.images)

    def __call__(self, req: Request) -> Reply:
        path = req.path
        if path.startswith("/3/"):
            return self.tmdb(req)
        if path.startswith("/v3/"):
            return self.fanart(req)
        if path.startswith("/v4/"):
            return self.tvdb(req)
        if req.method in ("GET", "HEAD"):
            return self.image(path)
        return text_reply(405, "Method Not Allowed")

    # --- TMDB ---------------------------------------------------------------------------------

    def tmdb(self, req: Request) -> Reply:
        auth = req.headers.get("authorization", "")
        if not (
            req.params.get("api_key") == self.keys.tmdb_key
            or auth == f"Bearer {self.keys.tmdb_token}"
        ):
            return tmdb.error(7)
        if req.method not in ("GET", "HEAD"):
            return tmdb.error(34)
        parts = req.path[3:].strip("/").split("/")
        if parts == ["configuration"]:
            return json_reply(200, tmdb.configuration(self.image_hosts["tmdb"] + "/t/p/"))
        if parts == ["search", "movie"]:
            return tmdb.search_movies(self.catalog, req.params)
        if len(parts) == 2 and parts[0] == "find":
            movies = json.loads(tmdb.find(self.catalog, parts[1], req.params).body)
            source = req.params.get("external_source", "")
            return tv_tmdb.find(self.tv, parts[1], source, movies["movie_results"])
        if parts == ["search", "tv"]:
            return tv_tmdb.search_tv(self.tv, req.params)
        if parts[0] == "tv":
            return tv_tmdb.route(self.tv, parts[1:], req.params)
        if parts[0] == "movie" and len(parts) in (2, 3) and parts[1].isdigit():
            movie = self.catalog.get(int(parts[1]))
            if movie is None:
                return tmdb.error(34)
            if len(parts) == 2:
                return tmdb.details(self.catalog, movie, req.params)
            if parts[2] in tmdb.APPENDABLE:
                sub = tmdb.sub_resource(self.catalog, movie, parts[2], req.params)
                return json_reply(200, {"id": movie.id, **sub})
        return tmdb.error(34)

    # --- fanart.tv ----------------------------------------------------------------------------

    def fanart(self, req: Request) -> Reply:
        key = req.params.get("api_key") or req.headers.get("api-key")
        if key != self.keys.fanart_key:
            return json_reply(401, fanart.BAD_KEY)
        tv_match = re.fullmatch(r"/v3/tv/([^/]+)/?", req.path)
        if tv_match is not None:
            return tv_others.fanart_tv(self.tv, tv_match.group(1), self.image_hosts["fanart"])
        match = re.fullmatch(r"/v3/movies/([^/]+)/?", req.path)
        if match is None:
            return json_reply(404, fanart.NOT_FOUND)
        return fanart.movie_art(self.catalog, match.group(1), self.image_hosts["fanart"])

    # --- TheTVDB ------------------------------------------------------------------------------

    def tvdb(self, req: Request) -> Reply:
        if req.path.rstrip("/") == "/v4/login":
            return self.tvdb_login(req)
        if not self.keys.tvdb_token_ok(req.headers.get("authorization", "")):
            return json_reply(401, {"status": "failure", "message": "Unauthorized", "data": None})
        parts = req.path[4:].strip("/").split("/")
        api = self.base_url + "/v4"
        images = self.image_hosts["tvdb"]
        if parts == ["search"]:
            return tvdb.search(self.catalog, req.params, api, images)
        if len(parts) == 3 and parts[:2] == ["search", "remoteid"]:
            return tvdb.search_remote_id(self.catalog, parts[2], images)
        if parts == ["artwork", "types"]:
            return tvdb.artwork_types()
        if parts[0] == "series":
            # API links and site-relative paths in there: TV keeps one host (tv_others.py)
            return tv_others.series(self.tv, parts[1:], req.params, self.base_url)
        if parts[0] == "movies" and len(parts) == 2:
            return tvdb.movie(self.catalog, parts[1], images, req.params, extended=False)
        if parts[0] == "movies" and len(parts) == 3 and parts[2] == "extended":
            return tvdb.movie(self.catalog, parts[1], images, req.params, extended=True)
        return tvdb.failure(404, "NotFoundException: route not found")

    def tvdb_login(self, req: Request) -> Reply:
        if req.method != "POST":
            return tvdb.failure(405, "MethodNotAllowed: use POST")
        try:
            payload = json.loads(req.body or b"{}")
        except ValueError:
            return tvdb.failure(400, "InvalidJSON: the request body is not valid JSON")
        if not isinstance(payload, dict) or payload.get("apikey") != self.keys.tvdb_key:
            return tvdb.failure(401, "InvalidAPIKey: API Key is not valid")
        if self.keys.tvdb_pin is not None and payload.get("pin") != self.keys.tvdb_pin:
            status = 400 if "pin" not in payload else 401
            return tvdb.failure(status, "InvalidPin: a valid subscriber PIN is required")
        return tvdb.success({"token": self.keys.issue_tvdb_token()})

    # --- image hosts --------------------------------------------------------------------------

    def image(self, path: str) -> Reply:
        found = self.resolve_image(path)
        if found is None:
            return html_error_page(404, "Not Found")
        asset, width, height, ext = found
        data = self.images.get(asset.picture, asset.style, width, height, ext)
        return Reply(200, data, CONTENT_TYPES[ext], {"Cache-Control": "public, max-age=31536000"})

    def resolve_image(self, path: str) -> tuple[Asset, int, int, str] | None:
        """(asset, width, height, ext) served at this path, or None."""
        if path.startswith("/t/p/"):
            size, _, file_name = path[5:].partition("/")
            asset = self.catalog.tmdb_file("/" + file_name)
            if asset is None or size not in tmdb.ALL_SIZES:
                return None
            if asset.ext == "svg":
                return asset, asset.width, asset.height, "svg"
            return asset, *scaled(asset.width, asset.height, size), asset.ext
        if path.startswith("/preview/"):
            asset = self.catalog.images.get("/fanart/" + path[9:])
            if asset is None:
                return None
            return asset, *scaled(asset.width, asset.height, f"w{PREVIEW_WIDTH}"), asset.ext
        asset = self.catalog.images.get(path)
        if asset is not None and not path.startswith("/t/p"):
            return asset, asset.width, asset.height, asset.ext
        if path.startswith("/banners/"):
            stem, dot, ext = path.rpartition(".")
            if stem.endswith("_t"):
                asset = self.catalog.images.get(stem[:-2] + dot + ext)
                if asset is not None:
                    return asset, *asset.thumb_size, asset.ext
        return None


def scaled(width: int, height: int, size: str) -> tuple[int, int]:
    """The size TMDB serves for 'original', 'wN' or 'hN' (never upscaled)."""
    if size == "original":
        return width, height
    target = int(size[1:])
    if size[0] == "w":
        new_width = min(target, width)
        return new_width, max(1, round(height * new_width / width))
    new_height = min(target, height)
    return max(1, round(width * new_height / height)), new_height
