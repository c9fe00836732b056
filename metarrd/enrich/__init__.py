"""ENRICH: metadata, cast and artwork candidates for an identified item.

Candidates from TMDB, fanart.tv and TheTVDB are analysed, scored, deduplicated and selected (the
automatic selection and the user's manual choices follow one rule set, in `selection`), and the
selection is cached. Nothing in a library folder is touched here.
"""

from __future__ import annotations

from metarrd.enrich.analysis import WORK_PREFIX, sweep_stale
from metarrd.enrich.candidates import MOVIE_ART_TYPES
from metarrd.enrich.choices import SelectionChange, change_selection
from metarrd.enrich.selection import label, provider_name, same_picture_sets
from metarrd.enrich.stage import EnrichResult, enrich_item, enrich_items
from metarrd.enrich.tv import enriches_alone
from metarrd.enrich.user_images import add_user_image

__all__ = [
    "MOVIE_ART_TYPES",
    "WORK_PREFIX",
    "sweep_stale",
    "EnrichResult",
    "SelectionChange",
    "add_user_image",
    "change_selection",
    "enrich_item",
    "enrich_items",
    "enriches_alone",
    "label",
    "provider_name",
    "same_picture_sets",
]
