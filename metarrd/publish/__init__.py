"""PUBLISH: the Kodi layout (NFO, artwork, .actors/) written atomically into the library.

`layout` names the files and plans what changes, `nfo` renders, `sources` says where each file's
bytes come from (the cache, a re-download, the user's own file), and `stage` applies the plan.
"""

from __future__ import annotations

from metarrd.publish.stage import PublishResult, movie_data, preview_publish, publish_item

__all__ = ["PublishResult", "movie_data", "preview_publish", "publish_item"]
