"""Run the provider simulator in the foreground: python -m metarrd.simulator [--port N]."""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import threading

from metarrd.simulator.server import IMAGE_HOSTS, Simulator


def catalog_summary(sim: Simulator) -> str:
    """What it serves: "18 movies, 12 TV shows (…), 1904 images" (the shows and their images
    had been counted as images only)."""
    shows = sim.router.tv.shows.values()
    episodes = sum(len(show.episodes) for show in shows)
    return (
        f"{len(sim.catalog.movies)} movies, {len(shows)} TV shows ({episodes} episodes), "
        f"{len(sim.catalog.images)} images"
    )


def image_ports(port: int) -> dict[str, int]:
    """The image hosts' ports for `--port N`: N+1, N+2, N+3 (TMDB, fanart.tv, TheTVDB), each
    when free, else any. They had been any free port at every start: the artwork candidates'
    URLs of the items enriched before were gone once it started again, and every actor's
    `<thumb>` URL changed, so each published item turned "Republish?" at its next enrich, as
    `metarrd demo` keeps its own fixed for a kept demo."""
    if not port:
        return {}

    def free(p: int) -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return 0
        return p

    return {name: free(port + 1 + n) for n, name in enumerate(IMAGE_HOSTS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m metarrd.simulator",
        description="Serve fake TMDB, fanart.tv and TheTVDB APIs with generated images.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port on 127.0.0.1, the image hosts on the three after it: the same URLs at every "
        "start, for a configuration to keep (default: any free ones)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds per request")
    parser.add_argument("--candidates", type=int, default=None, help="image candidates per movie")
    parser.add_argument("--extra-movies", type=int, default=0, help="synthetic movies to add")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    sim = Simulator(
        args.port,
        latency=args.latency / 1000,
        candidates_per_movie=args.candidates,
        extra_movies=args.extra_movies,
        image_ports=image_ports(args.port),
    )
    with sim:
        print(f"TMDB      {sim.tmdb_url}   api_key={sim.tmdb_key}")
        print(f"          Authorization: Bearer {sim.tmdb_token}")
        print(f"fanart.tv {sim.fanart_url}  api_key={sim.fanart_key}")
        print(f'TheTVDB   {sim.tvdb_url}  POST /login {{"apikey": "{sim.tvdb_key}"}}')
        print(f"{catalog_summary(sim)}. Ctrl-C stops.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
