"""Helpers for the player tests: movies and queued notifications made the way PUBLISH makes them."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

from metarrd import db


def free_port() -> int:
    """A loopback port that nothing listens on (a player that is switched off)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kodi_player(url: str, root: str | Path, **extra) -> dict:
    """A `[[player]]` entry of a Kodi at `url` with FakeKodi's login, for the Movies library:
    its folder `root` is Kodi's source `smb://nas/movies`."""
    return {
        "name": "Kodi",
        "type": "kodi",
        "url": url,
        "username": "kodi",
        "password": "secret",
        "libraries": ["Movies"],
        "path_map": [{"from": str(root), "to": "smb://nas/movies"}],
        **extra,
    }


def add_movie(rt, rel: str, library: str = "Movies") -> db.Movie:
    lib_cfg = rt.config.library_named(library)
    path = Path(lib_cfg.path) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"video")
    lib = db.Library.get(db.Library.name == library)
    return db.Movie.create(library=lib, path=str(path), title=Path(rel).stem)


def queue(movie: db.Movie, created=None) -> list[db.PlayerNotification]:
    """What PUBLISH does: one pending row per player showing the movie's library."""
    rows = []
    links = db.PlayerLibrary.select().where(db.PlayerLibrary.library == movie.library)
    for link in links:
        fields = {"player": link.player, "movie": movie, "path": movie.path, "state": "pending"}
        if created is not None:
            fields.update(created_at=created, next_attempt_at=created)
        rows.append(db.PlayerNotification.create(**fields))
    return rows


def states(player: str) -> list[str]:
    query = (
        db.PlayerNotification.select()
        .join(db.MediaPlayer)
        .where(db.MediaPlayer.name == player)
        .order_by(db.PlayerNotification.id)
    )
    return [row.state for row in query]


def later(minutes: float = 0, seconds: float = 0):
    return db.now() + timedelta(minutes=minutes, seconds=seconds)
