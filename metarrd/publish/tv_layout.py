"""Where PUBLISH puts each file of a TV show (kodi-tv.md §7), and the names Kodi would misread
(kodi-tv.md §1.2). Pure: nothing here touches the disk.

For a show folder `<Show>/` with episode files anywhere below it:

| what | path |
|---|---|
| show NFO | `<Show>/tvshow.nfo` |
| show art | `<Show>/poster.jpg`, `fanart.jpg`, `fanart1.jpg`..., `banner`, `clearlogo`, `clearart`, `landscape`, `characterart`, `keyart` |
| season art | `<Show>/season01-poster.jpg`; season 0: `season-specials-poster.jpg`; all seasons: `season-all-poster.jpg` |
| cast thumbs | `<Show>/.actors/First_Last.jpg` (the show's cast and every guest star) |
| episode NFO | `<episode base>.nfo` (one `<episodedetails>` block per episode of the file) |
| episode thumb | `<episode base>-thumb.<ext>` |
| season NFO | `<Show>/<season folder>/season.nfo` (`season_nfo_folders`): none for a flat show |

Season art is one image per slot (Kodi reads no `season01-poster1.jpg`); show art is ranked like
a disc movie's bare names (`layout.art_name("", ...)`). Names are lower case: Kodi matches
`season<NN>` case-sensitively.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from metarrd.config import ALL_SEASONS, EPISODE_THUMB, SEASON_ART_TYPES, SHOW_ART_TYPES
from metarrd.identify import (
    kodi_air_date,
    kodi_misreading,
    kodi_numbers,
    kodi_rule_reading,
    season_of_folder,
)
from metarrd.publish import layout
from metarrd.scan import kodi_adds_episode

__all__ = [
    "ALL_SEASONS",
    "EPISODE_THUMB",
    "SEASON_ART_TYPES",
    "SHOW_ART_TYPES",
    "kodi_adds_episode",
]

TVSHOW_NFO = "tvshow.nfo"
SEASON_NFO = "season.nfo"  # in a season folder: Jellyfin's and Emby's SeasonNfoProvider


def season_prefix(number: int) -> str:
    """`season01`, `season10`, `season2024`; season 0 is `season-specials`."""
    if number < 0:
        raise layout.LayoutError(f"season {number}: seasons start at 0")
    return "season-specials" if number == 0 else f"season{number:02d}"


def season_art_name(number: int, asset_type: str, ext: str) -> str:
    _check_season_type(asset_type)
    return f"{season_prefix(number)}-{asset_type}.{ext}"


def all_seasons_art_name(asset_type: str, ext: str) -> str:
    """`season-all-poster.jpg` for the show's `season-all-poster` asset (or plain `poster`)."""
    kind = asset_type.removeprefix(ALL_SEASONS)
    _check_season_type(kind)
    return f"{ALL_SEASONS}{kind}.{ext}"


def show_art_name(asset_type: str, rank: int, ext: str) -> str:
    if asset_type not in SHOW_ART_TYPES:
        raise layout.LayoutError(f"{asset_type!r} is no show art type")
    return layout.art_name("", asset_type, rank, ext)


def tvshow_nfo_path(show_folder: Path) -> Path:
    return Path(show_folder) / TVSHOW_NFO


def season_nfo_folders(
    show_folder: Path, number: int, videos: list[Path], dated: Collection[Path] = ()
) -> list[Path]:
    """The season folders of season `number`, where its `season.nfo` goes: each folder right in
    the show folder whose name gives that season (`Season 01`, `Season 1`, `S01`, `Specials`,
    `2`) and that holds a video of it (`videos`: the season's episode files). Jellyfin gives a
    season its folder as path, where it reads `season.nfo`, only when the folder's name parses
    as a season's (SeasonResolver: `SeasonPathParser.Parse(...).IsSeasonFolder`; a season of a
    flat show has no path); so no folder is ever made for it, and a flat show gets none.
    `dated`: the season folders whose name gives another number and whose episodes are all
    files named by air date matched to this season (a daily show's `Season 2024` in Sonarr's
    aired order, TMDB's season 29): Jellyfin's season of that folder is 2024 by its name until
    its `season.nfo` says 29 (`SeasonNfoParser`: `<seasonnumber>` sets its number), Kodi's
    is the episode NFOs' 29; so it gets season 29's."""
    show_folder = Path(show_folder)
    found: list[Path] = []
    for video in videos:
        try:
            parts = Path(video).relative_to(show_folder).parts
        except ValueError:
            continue
        if len(parts) < 2:
            continue
        named = season_of_folder(parts[0], numeric=True)
        if named != number and (named is None or show_folder / parts[0] not in dated):
            continue
        folder = show_folder / parts[0]
        if folder not in found:
            found.append(folder)
    return sorted(found)


def is_season_file(
    show_folder: Path, path: Path, number: int, said: Mapping[Path, int] | None = None
) -> bool:
    """Whether `path` is a name publish gives a file of season `number`: its art in the show
    folder (`season02-poster.jpg`, `season-specials-banner.jpg`) or a `season.nfo` in a folder
    right in the show folder whose name gives that season, or that says it is that season's
    (`said`: path -> its `<seasonnumber>`): a daily show's `Season 2024/` holds season 29's
    (`season_nfo_folders`'s `dated`), which its name does not tell once its files went."""
    show_folder, path = Path(show_folder), Path(path)
    if path.parent == show_folder:
        return path.name.startswith(f"{season_prefix(number)}-")
    if path.name != SEASON_NFO or path.parent.parent != show_folder:
        return False
    if said is not None and path in said:
        return said[path] == number
    return season_of_folder(path.parent.name, numeric=True) == number


def episode_nfo_path(video: Path) -> Path:
    video = Path(video)
    return video.with_name(f"{video.stem}.{layout.NFO_EXT}")


def episode_thumb_path(video: Path, ext: str) -> Path:
    video = Path(video)
    return video.with_name(f"{video.stem}-{EPISODE_THUMB}.{ext}")


def episode_sidecar_paths(video: Path) -> list[Path]:
    """Every path PUBLISH may write beside the video: its NFO and its thumb in each image
    format (`layout.ext_for_format` gives one of `layout.IMAGE_EXTS`): what a look-up by path
    finds, where `is_episode_sidecar`'s prefix would read every row of the show."""
    return [episode_nfo_path(video), *(episode_thumb_path(video, e) for e in layout.IMAGE_EXTS)]


def is_episode_sidecar(name: str, video_stem: str) -> bool:
    """Whether `name` is the NFO or thumb PUBLISH writes for the video `<video_stem>.<ext>`."""
    return name == f"{video_stem}.{layout.NFO_EXT}" or name.startswith(
        f"{video_stem}-{EPISODE_THUMB}."
    )


def _check_season_type(asset_type: str) -> None:
    if asset_type not in SEASON_ART_TYPES:
        raise layout.LayoutError(f"{asset_type!r} is no season art type")


# --- how Kodi 21 and older read a name (kodi-tv.md §1.2) ------------------------------------------


def _named(season: int, episodes: list[int]) -> str:
    return f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)


def misread_warning(
    file_name: str, season: int | None, episodes: list[int], aired: str | None = None
) -> str | None:
    """Why Kodi would read this episode file otherwise than metarrd does (and so show other
    episodes, or lose some), with what to do; None when it reads the same."""
    if kodi_numbers(file_name) is not None and season is not None and episodes:
        why = kodi_misreading(file_name, season, episodes)
        return f"{file_name}: {why}" if why else None
    if season is not None and episodes:  # no SxxEyy, no 1x02: absolute numbers, a bare title
        kind, read = kodi_rule_reading(file_name)
        named = f"S{season:02d}" + "".join(f"E{e:02d}" for e in episodes)
        if kind == "none":
            return (
                f"{file_name}: Kodi skips it (none of its name rules matches): it will not "
                f"appear in Kodi; naming it {named} is read the same by every player"
            )
        if read is not None and read != (season, list(episodes)):
            return (
                f"{file_name}: Kodi numbers it {_named(*read)} by its name, not {named}, and "
                f"its NFO does not change that; naming it {named} is read the same by every "
                "player"
            )
    if not aired:
        return None
    # by Kodi's own rule order: `Show.2024.03.05.1080p` is read by its yyyy.mm.dd rule (the
    # later `03.05.1080` never counts); `Show 2011 04 18` (no . or -) is numbered S20E11
    kodi_date = kodi_air_date(file_name)
    kind, read = kodi_rule_reading(file_name)
    if kodi_date is not None and kodi_date != aired:
        return (
            f"{file_name}: Kodi reads the date in its name as {kodi_date} (month.day.year), "
            f"not {aired}; naming it {aired} is read the same by every player"
        )
    if kind == "numbers" and read is not None:
        return (
            f"{file_name}: Kodi reads no air date from it (its date rules read {aired} or "
            f"mm.dd.yyyy, with . or -) and numbers it {_named(*read)} by its name; naming it "
            f"{aired} is read the same by every player"
        )
    if kind == "none":
        return (
            f"{file_name}: Kodi reads no air date from it (its date rules read {aired} or "
            f"mm.dd.yyyy, with . or -) and skips it; naming it {aired} is read the same by "
            "every player"
        )
    return None
