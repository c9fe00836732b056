"""PUBLISH: the Kodi layout (NFO, artwork, .actors/) written atomically into the library.

`layout` names the files and plans what changes, `nfo` renders, `sources` says where each file's
bytes come from (the cache, a re-download, the user's own file), `gather` reads a batch's rows,
`stage` is the stage and `apply` writes a batch of plans under one pair of durability barriers;
`settle` tells whether an item "Updated – Republish?" already is as a publish would write it;
`plex` adds what Plex reads, and marks the movies a change of Plex players leaves to republish.
"""

from __future__ import annotations

from metarrd.publish.apply import tell_players_moved
from metarrd.publish.nfo import users_actors
from metarrd.publish.plex import follow_players
from metarrd.publish.settle import settle_unit, written_as_wanted
from metarrd.publish.stage import (
    PublishResult,
    movie_data,
    preview_publish,
    publish_item,
    publish_many,
)
from metarrd.publish.tv import publishes_alone
from metarrd.publish.tv_layout import episode_sidecar_paths

__all__ = [
    "PublishResult",
    "episode_sidecar_paths",
    "follow_players",
    "movie_data",
    "preview_publish",
    "publish_item",
    "publish_many",
    "publishes_alone",
    "settle_unit",
    "tell_players_moved",
    "users_actors",
    "written_as_wanted",
]
