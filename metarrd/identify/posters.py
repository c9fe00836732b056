"""Small posters for the identify page's candidates: the daemon fetches each candidate's TMDB
poster at thumbnail size (w185), checks it like any image and keeps only its preview (under
`Config.previews_dir`, content-addressed), so the page shows them without calling TMDB.
A poster that cannot be had is simply left out: the candidate is listed without one."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from metarrd import cache
from metarrd.errors import MetarrdError
from metarrd.image_hosts import redirects, refusal, refused_host
from metarrd.imaging import ImageRejected, analyse_with_preview, write_preview
from metarrd.runtime import Runtime
from metarrd.scratch import scratch_path

log = logging.getLogger(__name__)

SIZE = "w185"
MAX_BYTES = 2 * 1024 * 1024  # a w185 poster is some 15 KB
MAX_PIXELS = 1_000_000


def add_posters(rt: Runtime, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`candidates` (as stored in movies.candidates) with a "preview" (relative to the previews
    folder) for each one whose poster could be fetched."""
    previews = Path(rt.config.previews_dir)
    if rt.config.shared_cache and cache.unanswered(previews):  # in `[cache] dir` (a hung mount?)
        return candidates  # listed without posters, as a worker stuck in a stat there would not
    tmp_dir = Path(rt.config.tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for candidate in candidates:
        candidate = dict(candidate)
        path = candidate.get("poster_path")
        if path and not candidate.get("preview"):
            candidate["preview"] = _preview(rt, str(path), previews, tmp_dir)
        out.append(candidate)
    return out


def _preview(rt: Runtime, poster_path: str, previews: Path, tmp_dir: Path) -> str | None:
    tmp = scratch_path(tmp_dir, "candidate", ".part")
    try:
        url = rt.tmdb.image_url(poster_path, SIZE)
        if (host := refused_host(rt.config.providers, "tmdb", url)) is not None:
            log.warning("candidate poster %s: %s", poster_path, refusal("tmdb", host))
            return None
        with open(tmp, "wb") as out:
            rt.http.download(
                url, out, provider="tmdb", max_bytes=MAX_BYTES,
                redirects=redirects(rt.config.providers, "tmdb"),
            )  # fmt: skip
        info, data = analyse_with_preview(tmp, max_pixels=MAX_PIXELS)
        return write_preview(previews, tmp, info.sha256, data)  # w185: the poster itself
    except (MetarrdError, ImageRejected, OSError) as exc:
        log.info("candidate poster %s not fetched: %s", poster_path, exc)
        return None
    finally:
        tmp.unlink(missing_ok=True)
