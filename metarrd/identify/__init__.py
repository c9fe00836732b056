"""IDENTIFY: an item gets its TMDB id, never by a guess.

Ids in the user's NFO, then id tags in names, then a ranked search whose distance explains
itself; anything less than a confident match stays unidentified with its candidates.
"""

from __future__ import annotations

from metarrd.identify.episodes import (
    EPISODE_ORDERS,
    FOLDER_NUMBERS,
    NAME_RULES,
    EpisodeName,
    absolute_numbers,
    absolute_order_hint,
    episode_folders,
    kodi_air_date,
    kodi_misreading,
    kodi_numbers,
    kodi_rule_reading,
    names_no_season,
    order_label,
    order_of,
    parse_episode,
    season_of_folder,
    show_folder_hints,
    show_title,
)
from metarrd.identify.names import NAME_RULES as MOVIE_NAME_RULES
from metarrd.identify.names import NameHints, parse_hints
from metarrd.identify.posters import add_posters
from metarrd.identify.seasons import (
    name_season,
    named_seasons,
    offer_season_name,
    season_item,
    season_path,
)
from metarrd.identify.stage import (
    ORDER_CHANGED,
    IdentifyResult,
    candidate_dicts,
    forget_enrichment,
    identify_item,
    identify_many,
    manual_identify,
    search,
)
from metarrd.identify.tv import (
    search_shows,
    set_episode_order,
    sonarr_switch,
    unlisted,
    unlisted_episodes,
)

__all__ = [
    "ORDER_CHANGED",
    "EPISODE_ORDERS",
    "MOVIE_NAME_RULES",
    "NAME_RULES",
    "EpisodeName",
    "absolute_numbers",
    "absolute_order_hint",
    "episode_folders",
    "kodi_air_date",
    "kodi_misreading",
    "kodi_numbers",
    "kodi_rule_reading",
    "names_no_season",
    "order_label",
    "order_of",
    "set_episode_order",
    "sonarr_switch",
    "unlisted",
    "unlisted_episodes",
    "parse_episode",
    "FOLDER_NUMBERS",
    "season_of_folder",
    "show_folder_hints",
    "show_title",
    "NameHints",
    "parse_hints",
    "add_posters",
    "name_season",
    "named_seasons",
    "offer_season_name",
    "season_item",
    "season_path",
    "IdentifyResult",
    "candidate_dicts",
    "forget_enrichment",
    "identify_item",
    "identify_many",
    "manual_identify",
    "search",
    "search_shows",
]
