"""SCAN: the library's files become items.

The walk's results are recorded as items with their stream details (read in a MediaInfo worker
process), the user's NFO and artwork are taken in, and renamed or vanished files are followed.
Public entry points are named here; the other modules of this package are its own.
"""

from __future__ import annotations

from metarrd.scan.kind_change import guards_in_database
from metarrd.scan.kodi_episodes import KodiOnly, kodi_adds_episode, kodi_only_videos
from metarrd.scan.leftovers import remove_left_behind
from metarrd.scan.local_files import (
    VideoPlace,
    art_base_name,
    base_name,
    classify_image,
    disc_file,
    folder_stack_art,
    has_own_folder,
    ledger_folder,
    movie_folder,
    nfo_present,
)
from metarrd.scan.renames import (
    follow_renames,
    gone_from_library,
    gone_share,
    mark_gone,
    stack_folders,
)
from metarrd.scan.skipped import load as skipped_by_name
from metarrd.scan.stage import ScanReport, apply_nfo_values, probe, scan, scan_library
from metarrd.scan.tv import follow_moved_shows

__all__ = [
    "VideoPlace",
    "art_base_name",
    "base_name",
    "classify_image",
    "disc_file",
    "folder_stack_art",
    "guards_in_database",
    "has_own_folder",
    "ledger_folder",
    "movie_folder",
    "nfo_present",
    "kodi_adds_episode",
    "kodi_only_videos",
    "KodiOnly",
    "ScanReport",
    "apply_nfo_values",
    "follow_moved_shows",
    "follow_renames",
    "gone_from_library",
    "gone_share",
    "mark_gone",
    "probe",
    "remove_left_behind",
    "scan",
    "scan_library",
    "skipped_by_name",
    "stack_folders",
]
