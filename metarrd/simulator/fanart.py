"""fanart.tv v3 movie responses (docs/providers.md §2): numbers as strings, absolute URLs."""

from __future__ import annotations

from metarrd.simulator.artwork import FANART_KEYS, Asset
from metarrd.simulator.catalog import Catalog, Movie
from metarrd.simulator.reply import Reply, json_reply

NOT_FOUND = {"status": "error", "error message": "Not found"}
BAD_KEY = {"status": "error", "error message": "Invalid project key or no project key was given."}


def lookup(catalog: Catalog, movie_id: str) -> Movie | None:
    """A movie by TMDB id or IMDb tt id, as fanart.tv accepts both."""
    if movie_id.startswith("tt"):
        return catalog.by_imdb.get(movie_id)
    return catalog.get(int(movie_id)) if movie_id.isdigit() else None


def _item(asset: Asset, base_url: str, index: int) -> dict:
    item = {
        "id": str(asset.ident),
        "url": base_url + asset.key,
        "lang": asset.lang or "",
        "likes": str(int(asset.rating)),
    }
    if asset.kind == "moviedisc":
        item["disc"] = "1"
        item["disc_type"] = ("bluray", "dvd", "3d")[index % 3]
    return item


def movie_art(catalog: Catalog, movie_id: str, base_url: str) -> Reply:
    movie = lookup(catalog, movie_id)
    if movie is None or not movie.images.fanart:
        return json_reply(404, NOT_FOUND)
    body: dict = {
        "name": movie.title,
        "tmdb_id": str(movie.id),
        "imdb_id": movie.imdb_id or "",
    }
    # Like the real service, some records list every key (empty ones too), others only filled ones.
    with_empty_keys = movie.id % 2 == 0
    for key in FANART_KEYS:
        assets = sorted(movie.images.fanart.get(key, []), key=lambda a: -a.rating)
        if assets or with_empty_keys:
            body[key] = [_item(asset, base_url, i) for i, asset in enumerate(assets)]
    return json_reply(200, body)
