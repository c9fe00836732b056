"""What happens after a job: pure functions of its outcome and the workflow switches.

The jobs module runs a stage, then enqueues the `Step`s these return. Exactly as the design
document says: enrichment follows identification when `enrichment` is on; publish follows only an
*automatic* enrich, and only when `auto_publish` (and `publishing`) is on; players are told after
a publish, once the coalescing window has passed; a publish that had to leave pictures out is
tried again later, with backoff, until it is complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """A follow-up job to enqueue."""

    kind: str
    movie_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    manual: bool = False
    delay: float = 0.0  # seconds before it may run


@dataclass
class Outcome:
    message: str
    follow: list[Step] = field(default_factory=list)


def after_scan(
    unidentified: Iterable[int], given_ids: dict[int, dict[str, Any]], stages: dict[str, bool]
) -> list[Step]:
    """New or changed items still unidentified are identified; items a webhook named are
    identified from its ids without searching."""
    if not stages["identification"]:
        return []
    steps = [
        Step("identify", mid, {**_ids(ids), "source": "webhook"})
        for mid, ids in sorted(given_ids.items())
    ]
    steps += [Step("identify", mid) for mid in sorted(set(unidentified) - set(given_ids))]
    return steps


def _ids(ids: dict[str, Any]) -> dict[str, Any]:
    found = {"tmdb_id": ids.get("tmdb_id"), "imdb_id": ids.get("imdb_id")}
    if ids.get("tvdb_id"):  # Sonarr's series
        found["tvdb_id"] = ids["tvdb_id"]
    if ids.get("series_type"):  # Sonarr's series type: a new show's episode order
        found["series_type"] = ids["series_type"]
    return found


def after_identify(
    movie_id: int,
    identified: bool,
    manual: bool,
    stages: dict[str, bool],
    kind: str = "movie",
    episodes: Iterable[int] = (),
) -> list[Step]:
    """Enrichment follows. For TV it follows the show's identify (which identifies its
    episodes), once: enriching the show enriches its seasons and episodes (docs/tv.md). A new
    episode of a known show (`episodes`: identified alone) is its show's enrich of those
    episodes (`{"episodes": [...]}`; several new ones fold into one job: `jobs.merge_payload`),
    which covers them alone once the show and their seasons are enriched (enrich/tv.py)."""
    if kind not in ("movie", "show"):
        return []
    if identified and stages["enrichment"]:
        payload = {"episodes": sorted(set(episodes))} if episodes else {}
        return [Step("enrich", movie_id, payload, manual=manual)]
    return []


def after_enrich(
    movie_id: int, manual: bool, stages: dict[str, bool], alone: Iterable[int] | None = None
) -> list[Step]:
    """The review gate: only an automatic enrich with auto_publish on goes on to publish. The
    episodes enriched `alone` (not None) are published alone (publish/tv.py `_scope`), not
    their show; none of them (all refused): nothing is."""
    if not manual and stages["auto_publish"] and stages["publishing"]:
        if alone is not None:
            return [Step("publish", i) for i in sorted(set(alone))]
        return [Step("publish", movie_id)]
    return []


# An episode the providers do not list yet (aired today: TMDB adds it within hours or days) is
# matched again by itself after 1 h, 6 h, 24 h and 72 h; then its error is left to the user.
EPISODE_RETRY_DELAYS = (3600.0, 21600.0, 86400.0, 259200.0)


def retry_unlisted(episode_ids: Iterable[int], tries: int, stages: dict[str, bool]) -> list[Step]:
    """Identify again later the episodes no provider lists yet (`tries` retries so far)."""
    if not stages["identification"] or tries >= len(EPISODE_RETRY_DELAYS):
        return []
    payload = {"episode_retry": tries + 1}
    delay = EPISODE_RETRY_DELAYS[tries]
    return [Step("identify", i, dict(payload), delay=delay) for i in sorted(set(episode_ids))]


# A publish that left pictures out (provider down) is completed by itself: again after 30 min,
# 2 h, 8 h and 24 h, until nothing is missing; then the item keeps its warnings for the user.
PICTURE_RETRY_DELAYS = (1800.0, 7200.0, 28800.0, 86400.0)


def after_publish(
    has_players: bool,
    window: float,
    movie_id: int | None = None,
    pictures_missing: bool = False,
    tries: int = 0,
) -> list[Step]:
    """Players are told after the coalescing window, so a burst of publishes is one batch. A
    publish without some pictures is tried again later (`tries` retries so far)."""
    steps = [Step("notify", delay=window)] if has_players else []
    if pictures_missing and movie_id is not None and tries < len(PICTURE_RETRY_DELAYS):
        payload = {"picture_retry": tries + 1}
        steps.append(Step("publish", movie_id, payload, delay=PICTURE_RETRY_DELAYS[tries]))
    return steps


def after_notify(due_in: float | None) -> list[Step]:
    """Batches still waiting (retries, rows that arrived meanwhile) get another pass."""
    return [] if due_in is None else [Step("notify", delay=max(due_in, 1.0))]
