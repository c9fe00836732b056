"""A local stand-in for TMDB v3, fanart.tv v3 and TheTVDB v4, with real generated images.

Tests, benchmarks and `metarrd demo` point the provider clients at `Simulator().tmdb_url`,
`.fanart_url` and `.tvdb_url`; see server.py for the fault switches and request accounting.
"""

from __future__ import annotations

from metarrd.simulator.artwork import Asset
from metarrd.simulator.catalog import Catalog, Movie, load_catalog
from metarrd.simulator.server import Hit, Simulator

__all__ = ["Asset", "Catalog", "Hit", "Movie", "Simulator", "load_catalog"]
