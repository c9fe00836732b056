"""The ENRICH stage: everything the review needs, on local disk (design document, job 1).

    enrich_item(rt, movie) -> EnrichResult

1. Ask TMDB (details with images, credits, release dates, videos, keywords), fanart.tv and
   TheTVDB at the same time. TMDB is required; a provider without a key is skipped and one that
   fails is reported, never failing the others.
2. Candidates become `provider_assets` rows (Kodi types). Phase 1B: a candidate whose URL is the
   source of a cached file, or whose (known) picture matches a cached file of the item that is
   at least as large (the user's library artwork included), counts as downloaded: no fetch.
3. Every candidate not analysed before is downloaded once and analysed in the same worker,
   with a preview; downloads start as soon as each provider has answered, and cast thumbnails
   download alongside.
4. Score, collapse near-duplicates, select the top N per type (locks and the user's choices
   win; see selection.py), and move the selected images from their temp files into the cache.
5. Metadata (locked fields never change), cast, status `enriched`, the `enrichment.complete`
   event, and `outdated` when a published item changed in anything the library shows.

Database writes are batched into a few transactions; worker threads never touch the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metarrd import actors, cache, candidates, db, workflow
from metarrd.analysis import Analyser, Outcome, write_preview
from metarrd.candidates import Candidate
from metarrd.errors import ItemError, MetarrdError, NotFound, ProviderError
from metarrd.imaging import FORMATS, ImageInfo
from metarrd.metadata import cast_members, merge_fields, movie_fields
from metarrd.runtime import Runtime
from metarrd.score import ImageFacts, Preferences, score_image
from metarrd.selection import Pick, same_picture, select

log = logging.getLogger(__name__)

LIBRARY = "library"
SIDE_PROVIDERS = ("fanart", "tvdb")
PROVIDER_NAMES = {"tmdb": "TMDB", "fanart": "fanart.tv", "tvdb": "TheTVDB"}
EXTENSIONS = dict(FORMATS.values())  # jpeg -> jpg
PROFILE_SIZE = "h632"  # cast thumbnails for the cache; the NFO keeps the original URL
CACHE_ROUNDS = 3
WRITE_BATCH = 32  # analysed rows per transaction while the downloads go on
OWN = ("cache_file",)  # keys of provider_metadata that enrich writes, kept across refreshes


@dataclass
class EnrichResult:
    movie_id: int
    title: str = ""
    year: int | None = None
    candidates: int = 0
    downloaded: int = 0  # images fetched by this run
    rejected: int = 0
    selected: int = 0
    actors: int = 0
    fields_changed: list[str] = field(default_factory=list)
    provider_errors: dict[str, str] = field(default_factory=dict)
    providers_skipped: list[str] = field(default_factory=list)
    library_unselected: int = 0  # the user's own images that lost their place
    changed: bool = False  # anything the library shows changed
    outdated: bool = False
    seconds: float = 0.0

    def __str__(self) -> str:
        name = f"{self.title} ({self.year})" if self.year else self.title
        text = (
            f"enriched {name}: {self.candidates} candidates ({self.downloaded} downloaded, "
            f"{self.rejected} rejected), {self.selected} selected, {self.actors} actors"
        )
        if self.fields_changed:
            text += f", {len(self.fields_changed)} fields updated"
        for provider, reason in self.provider_errors.items():
            text += f"; {PROVIDER_NAMES.get(provider, provider)} failed: {reason}"
        if self.library_unselected:
            text += f"; {self.library_unselected} of your library images not selected (kept)"
        if self.outdated:
            text += "; published files are outdated: republish"
        return text


@dataclass
class _Answer:
    """What one provider gave: candidates, or None when skipped or failed."""

    provider: str
    candidates: list[Candidate] | None
    error: str | None = None
    skipped: bool = False
    tvdb_id: int | None = None


def enrich_item(rt: Runtime, movie: db.Movie, manual: bool = True) -> EnrichResult:
    """Run the ENRICH job for one identified movie; raise MetarrdError when it cannot."""
    if not manual:
        workflow.require(rt.config, "enrichment")
    fresh = db.Movie.get_or_none(db.Movie.id == movie.id)
    if fresh is None:
        raise ItemError(f"item {movie.id} no longer exists")
    if fresh.tmdb_id is None:
        raise ItemError("not identified yet: choose its movie first")
    try:
        return _Enrichment(rt, fresh).run()
    except MetarrdError as exc:
        db.Movie.update(last_error=str(exc), updated_at=db.now()).where(
            db.Movie.id == fresh.id
        ).execute()
        log.warning("item %d (%s): enrichment failed: %s", fresh.id, fresh.path, exc)
        raise


class _Enrichment:
    def __init__(self, rt: Runtime, movie: db.Movie):
        self.rt = rt
        self.config = rt.config
        self.movie = movie
        self.label = f"item {movie.id} ({movie.title or movie.path})"
        self.result = EnrichResult(movie.id, movie.title or "", movie.year)
        self.rows: dict[tuple[str, str], db.ProviderAsset] = {}
        self.cache_files: list[db.CacheImageFile] = []
        self.pending: dict[str, Future[Outcome]] = {}  # url -> download + analysis
        self.outcomes: dict[str, Outcome] = {}
        self.previews: dict[int, Future[str | None]] = {}  # library row id -> preview
        self.tvdb_id: int | None = movie.tvdb_id
        self.an: Analyser | None = None

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> EnrichResult:
        started = time.monotonic()
        movie = self.movie
        before_art = self._art_snapshot()
        before_cast = actors.cast_snapshot(movie.id)
        self._load_rows()
        tmdb = self.rt.tmdb
        with (
            Analyser(self.config, self.rt.http, label=self.label) as an,
            ThreadPoolExecutor(len(SIDE_PROVIDERS), thread_name_prefix="providers") as side,
        ):
            self.an = an
            asked = {name: side.submit(self._ask, name) for name in SIDE_PROVIDERS}
            details = self._tmdb_details(tmdb)
            answers = {"tmdb": candidates.from_tmdb(details, tmdb.image_url("", "original"))}
            self._start_downloads(answers["tmdb"])
            plan = self._plan_cast(tmdb, details)
            self._preview_library_rows()
            for name, future in asked.items():
                answer = future.result()
                if answer.skipped:
                    self.result.providers_skipped.append(name)
                elif answer.candidates is None:
                    self.result.provider_errors[name] = answer.error or "failed"
                else:
                    answers[name] = answer.candidates
                    self._start_downloads(answer.candidates)
                self.tvdb_id = answer.tvdb_id or self.tvdb_id
            with db.write_transaction():
                self._store_candidates(answers)
                self._match_cache()
                self._score(row for row in self.rows.values() if row.url not in self.pending)
            self._take_outcomes()  # while the downloads go on
            self._select_and_cache()
            for future in [*plan.downloads.values(), *self.previews.values()]:
                future.result()  # wait outside the transaction
            with db.write_transaction():
                self._finish(details, plan, before_art, before_cast)
        self.result.seconds = time.monotonic() - started
        log.info("%s: %s (%.1f s)", self.label, self.result, self.result.seconds)
        return self.result

    # --- providers ----------------------------------------------------------------------------

    def _tmdb_details(self, tmdb) -> dict[str, Any]:
        art = self.config.artwork
        langs = [code.split("-")[0].lower() for code in art.preferred_languages]
        langs += [tmdb.config.language.split("-")[0].lower(), "en", "null"]
        try:
            return tmdb.movie(self.movie.tmdb_id, image_languages=list(dict.fromkeys(langs)))
        except NotFound:
            raise ItemError(
                f"TMDB has no movie {self.movie.tmdb_id} (any more): identify the item again"
            ) from None

    def _ask(self, name: str) -> _Answer:
        """fanart.tv or TheTVDB (in a side thread; no database)."""
        try:
            client = self.rt.client(name)
            if client is None:
                return _Answer(name, None, skipped=True)
            if name == "fanart":
                data = client.movie(self.movie.tmdb_id, self.movie.imdb_id)
                return _Answer(name, candidates.from_fanart(data))
            tvdb_id = self.movie.tvdb_id or client.find_movie(
                self.movie.imdb_id, self.movie.tmdb_id
            )
            if not tvdb_id:
                return _Answer(name, [])
            kinds = candidates.tvdb_kinds(client.artwork_types())
            found = candidates.from_tvdb(client.movie_artworks(tvdb_id), kinds, client.artwork_host)
            return _Answer(name, found, tvdb_id=tvdb_id)
        except ProviderError as exc:
            log.warning("%s: %s unavailable: %s", self.label, name, exc)
            return _Answer(name, None, error=str(exc))

    # --- candidates ---------------------------------------------------------------------------

    def _load_rows(self) -> None:
        movie = self.movie
        query = db.ProviderAsset.select().where(db.ProviderAsset.movie == movie)
        self.rows = {(r.asset_type, r.url): r for r in query}
        self.cache_files = list(db.CacheImageFile.select().where(db.CacheImageFile.movie == movie))
        self.by_source = {c.source_url: c for c in self.cache_files if c.source_url}

    def _needs_fetch(self, c: Candidate) -> bool:
        row = self.rows.get((c.asset_type, c.url))
        if row is not None and (row.analyzed or row.provider == LIBRARY):
            return False
        cached = self.by_source.get(c.url)
        return cached is None or not Path(cached.file_path).is_file()

    def _start_downloads(self, found: list[Candidate]) -> None:
        for c in found:
            if c.url not in self.pending and self._needs_fetch(c):
                self.pending[c.url] = self.an.fetch(c.url, c.provider)

    def _store_candidates(self, answers: dict[str, list[Candidate]]) -> None:
        """Insert new candidates, refresh known ones, drop those a provider no longer lists."""
        movie = self.movie
        new = []
        for provider, found in answers.items():
            listed = {(c.asset_type, c.url) for c in found}
            for key, row in list(self.rows.items()):
                if row.provider == provider and key not in listed and row.selected_by != "user":
                    row.delete_instance()
                    del self.rows[key]
            for c in found:
                row = self.rows.get((c.asset_type, c.url))
                ours = {k: v for k, v in (row.provider_metadata if row else {}).items() if k in OWN}
                values = {
                    "language": c.language,
                    "vote_average": c.vote_average,
                    "vote_count": c.vote_count,
                    "api_width": c.width,
                    "api_height": c.height,
                    "provider_metadata": {**c.metadata, **ours},
                }
                if row is None:
                    new.append({"movie": movie.id, "asset_type": c.asset_type,
                                "provider": c.provider, "url": c.url, **values})  # fmt: skip
                    continue
                _set(row, **values)
                _save(row)
        for start in range(0, len(new), 200):
            db.ProviderAsset.insert_many(new[start : start + 200]).execute()
        if new:
            query = db.ProviderAsset.select().where(db.ProviderAsset.movie == movie)
            self.rows = {(r.asset_type, r.url): r for r in query}
        self.result.candidates = len(self.rows)

    def _match_cache(self) -> None:
        """Phase 1B: candidates whose picture the cache already holds count as downloaded."""
        files = [c for c in self.cache_files if Path(c.file_path).is_file()]
        for row in self.rows.values():
            if row.provider == LIBRARY or row.url in self.pending or row.is_downloaded:
                continue
            match = None if row.analyzed else self.by_source.get(row.url)
            if match is None and row.analyzed and not row.rejected_reason:
                match = next((f for f in files if _same_cached(row, f)), None)
            if match is None or not Path(match.file_path).is_file():
                continue
            _adopt(row, match)
            _save(row)

    # --- analysis and scoring -----------------------------------------------------------------

    def _take_outcomes(self) -> None:
        """Record each analysis and its score as its download finishes, in batched writes."""
        by_url: dict[str, list[db.ProviderAsset]] = {}
        for row in self.rows.values():
            by_url.setdefault(row.url, []).append(row)
        urls = {future: url for url, future in self.pending.items()}
        batch: list[db.ProviderAsset] = []
        for future in as_completed(urls):
            outcome = self.outcomes[urls[future]] = future.result()
            for row in by_url.get(outcome.url, []):
                self._record(row, outcome)
                batch.append(row)
            if len(batch) >= WRITE_BATCH or len(self.outcomes) == len(urls):
                with db.write_transaction():
                    self._score(batch)
                batch = []
        self.result.downloaded = sum(1 for o in self.outcomes.values() if o.ok or o.size)
        self.result.rejected = sum(1 for r in self.rows.values() if r.rejected_reason)

    def _record(self, row: db.ProviderAsset, outcome: Outcome) -> None:
        row.analyzed_at = db.now()
        if outcome.ok:
            _take_info(row, outcome.info)
            row.analyzed, row.rejected_reason = True, None
            row.preview_path = outcome.preview or row.preview_path
            row.is_downloaded = self._in_cache(row)
        else:
            row.analyzed = not outcome.retry  # a download problem is tried again next time
            row.rejected_reason = outcome.reason
            log.info(
                "%s: %s from %s skipped: %s",
                self.label, row.asset_type, row.provider, outcome.reason,
            )  # fmt: skip

    def _score(self, rows: Iterable[db.ProviderAsset]) -> None:
        """Score the rows (unchanged scores are not rewritten) and save what changed."""
        prefs = Preferences(
            self.config.artwork.preferred_languages, self.config.artwork.provider_priority
        )
        for row in rows:
            if _eligible(row):
                facts = ImageFacts(
                    row.asset_type, row.provider, row.width, row.height,
                    row.language if row.provider != LIBRARY else None,
                    row.vote_average, row.vote_count,
                )  # fmt: skip
                score = score_image(facts, prefs)
                _set(row, score=score.total, score_breakdown=score.breakdown())
            else:
                _set(row, score=None, score_breakdown={})
            _save(row)

    # --- selection and cache ------------------------------------------------------------------

    def _select_and_cache(self) -> None:
        """Select, then cache the selection; an image that cannot be cached gives its place up."""
        for _round in range(CACHE_ROUNDS):
            with db.write_transaction():
                self._select()
            if not self._cache_selected():
                break
        self.result.selected = sum(1 for r in self.rows.values() if r.is_selected)
        self.result.library_unselected = sum(
            1
            for r in self.rows.values()
            if r.provider == LIBRARY and not r.is_selected and not r.rejected_reason
        )

    def _select(self) -> None:
        movie = db.Movie.get_by_id(self.movie.id)  # locks may have changed meanwhile
        rows = list(self.rows.values())
        decisions = select(
            [_pick(r) for r in rows], self.config.artwork.limits, movie.locked_asset_types or []
        )
        for row, d in zip(rows, decisions, strict=True):
            if d.locked:
                continue
            if d.selected and not row.is_selected:
                row.selected_at = db.now()
            _set(row, is_selected=d.selected, selected_by=d.selected_by, rank=d.rank)
            if row.duplicate_of_id != d.duplicate_of:
                row.duplicate_of = d.duplicate_of
            _save(row)

    def _cache_selected(self) -> int:
        """Put every selected image into the cache; returns how many could not be."""
        todo = [
            r
            for r in self.rows.values()
            if r.is_selected
            and r.provider != LIBRARY
            and not (r.is_downloaded and self._in_cache(r))
        ]
        refetch = {
            r.url: self.an.fetch(r.url, r.provider)
            for r in todo
            if not self._in_cache(r) and not self._downloaded_now(r)
        }
        for url, future in refetch.items():  # analysed earlier, chosen now: fetch it once more
            self.outcomes[url] = future.result()
        groups: dict[str, list[db.ProviderAsset]] = {}
        for row in todo:
            outcome = self.outcomes.get(row.url)
            if outcome and outcome.ok and outcome.info.sha256 != row.content_hash:
                _take_info(row, outcome.info)  # the provider changed the file meanwhile
            groups.setdefault(row.url, []).append(row)
        placing = [self.an.submit(self._place, rows) for rows in groups.values()]
        failed = 0
        with db.write_transaction():
            for future in placing:
                for row, target, reason in future.result():
                    if reason:
                        row.rejected_reason = f"could not be cached: {reason}"
                        row.analyzed = False  # tried again at the next enrich
                        log.warning("%s: %s not cached: %s", self.label, row.asset_type, reason)
                        if row.selected_by != "user":  # the user's choice stays chosen
                            failed += 1
                            _set(row, is_selected=False, rank=None, selected_by=None)
                    else:
                        self._ensure_cache_row(row, target)
                        row.is_downloaded = True
                    _save(row)
        return failed

    def _downloaded_now(self, row: db.ProviderAsset) -> bool:
        outcome = self.outcomes.get(row.url)
        return bool(outcome and outcome.ok and outcome.path is not None)

    def _place(self, rows: list[db.ProviderAsset]) -> list[tuple]:
        """Move one download into the cache for each of its rows (in a worker; no database)."""
        placed, results = None, []
        for row in rows:
            outcome = self.outcomes.get(row.url)
            if self._in_cache(row):
                target = cache.cache_path(self.config.cache_dir, row.asset_type, _info(row))
                results.append((row, target, None))
                continue
            if outcome is None or not outcome.ok:
                results.append((row, None, outcome.reason if outcome else "not downloaded"))
                continue
            try:
                if outcome.path is not None:
                    target = cache.move_into(
                        self.config.cache_dir, row.asset_type, outcome.path, outcome.info
                    )
                    outcome.path = None
                elif placed is not None:
                    target = cache.store(
                        self.config.cache_dir, row.asset_type, placed, outcome.info
                    )
                else:
                    raise FileNotFoundError("the download is gone")
            except OSError as exc:
                results.append((row, None, f"cannot write to the cache: {exc}"))
                continue
            placed = target
            results.append((row, target, None))
        return results

    def _in_cache(self, row: db.ProviderAsset) -> bool:
        if not (row.content_hash and row.format in EXTENSIONS):
            return False
        return cache.cache_path(self.config.cache_dir, row.asset_type, _info(row)).is_file()

    def _ensure_cache_row(self, row: db.ProviderAsset, target: Path) -> None:
        exists = (
            db.CacheImageFile.select()
            .where(
                (db.CacheImageFile.movie == self.movie.id)
                & db.CacheImageFile.actor.is_null()
                & (db.CacheImageFile.image_type == row.asset_type)
                & (db.CacheImageFile.file_hash == row.content_hash)
            )
            .exists()
        )
        if not exists:
            db.CacheImageFile.create(
                movie=self.movie.id,
                image_type=row.asset_type,
                file_path=str(target),
                file_hash=row.content_hash,
                perceptual_hash=row.perceptual_hash,
                file_size=row.file_size or 0,
                width=row.width,
                height=row.height,
                format=row.format,
                source_type="provider",
                source_url=row.url,
                provider_name=row.provider,
            )

    def _art_snapshot(self) -> list[tuple]:
        query = db.ProviderAsset.select().where(
            (db.ProviderAsset.movie == self.movie.id) & db.ProviderAsset.is_selected
        )
        return sorted((r.asset_type, r.rank or 0, r.content_hash or r.url) for r in query)

    # --- cast, previews, metadata, status -----------------------------------------------------

    def _plan_cast(self, tmdb, details: dict[str, Any]) -> actors.CastPlan:
        if actors.CAST_LOCK in (self.movie.locked_fields or []):
            return actors.CastPlan([])
        members = cast_members(details, self.config.enrich.max_actors)
        sizes = (tmdb.configuration().get("images") or {}).get("profile_sizes") or []
        size = PROFILE_SIZE if PROFILE_SIZE in sizes else "original"
        return actors.plan_cast(
            members,
            thumb_url=lambda p: tmdb.image_url(p, "original"),
            download_url=lambda p: tmdb.image_url(p, size),
            analyser=self.an,
        )

    def _preview_library_rows(self) -> None:
        """The user's own images get a preview too (from their cached copy)."""
        by_hash = {(c.image_type, c.file_hash): c for c in self.cache_files}
        for row in self.rows.values():
            cached = by_hash.get((row.asset_type, row.content_hash))
            if row.provider == LIBRARY and not row.preview_path and cached is not None:
                self.previews[row.id] = self.an.submit(
                    write_preview, self.config.previews_dir, Path(cached.file_path),
                    row.content_hash, cpu=True,
                )  # fmt: skip

    def _finish(self, details, plan, before_art, before_cast) -> None:
        for row_id, future in self.previews.items():
            rel = future.result()
            if rel:
                db.ProviderAsset.update(preview_path=rel).where(
                    db.ProviderAsset.id == row_id
                ).execute()
        movie = db.Movie.get_by_id(self.movie.id)  # a user edit may have landed meanwhile
        tmdb_config = self.rt.tmdb.config
        current = {name: getattr(movie, name) for name in db.EDITABLE_FIELDS}
        new = movie_fields(details, tmdb_config.certification_country, tmdb_config.language)
        changes = merge_fields(current, new, movie.locked_fields or [])
        for name, value in changes.items():
            setattr(movie, name, value)
        if plan.members and actors.CAST_LOCK not in (movie.locked_fields or []):
            actors.apply_cast(movie.id, plan)  # no cast from TMDB: keep ours
        after_cast = actors.cast_snapshot(movie.id)
        self.result.actors = len(after_cast)
        imdb = details.get("imdb_id") or (details.get("external_ids") or {}).get("imdb_id")
        if imdb and not movie.imdb_id:
            movie.imdb_id = imdb
        if self.tvdb_id and not movie.tvdb_id:
            movie.tvdb_id = self.tvdb_id
        changed = bool(changes) or after_cast != before_cast or self._art_snapshot() != before_art
        movie.identification_status = db.ENRICHED
        movie.enriched_at = movie.updated_at = db.now()
        movie.last_error = None
        if changed and movie.publish_state == db.PUBLISHED:
            movie.publish_state = db.OUTDATED
            self.result.outdated = True
        movie.save()
        r = self.result
        r.title, r.year = movie.title or "", movie.year
        r.fields_changed, r.changed = sorted(changes), changed
        db.record_event(
            "enrichment.complete",
            str(r),
            movie=movie,
            assets_selected=r.selected,
            actors_found=r.actors,
            candidates=r.candidates,
            rejected=r.rejected,
            fields_changed=r.fields_changed,
            provider_errors=r.provider_errors,
            outdated=r.outdated,
        )


# --- small helpers -----------------------------------------------------------------------------


def _set(row: db.BaseModel, **values: Any) -> None:
    """Assign only what differs, so that saving writes only real changes."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _save(row: db.BaseModel) -> None:
    if row.dirty_fields:
        row.save(only=row.dirty_fields)


def _eligible(row: db.ProviderAsset) -> bool:
    return bool(
        row.analyzed and not row.rejected_reason and (row.width or 0) > 0 and (row.height or 0) > 0
    )


def _pick(row: db.ProviderAsset) -> Pick:
    foreign = bool((row.score_breakdown or {}).get("foreign"))
    return Pick(
        id=row.id,
        asset_type=row.asset_type,
        eligible=_eligible(row) and row.score is not None,
        score=row.score or 0.0,
        foreign=foreign,
        pixels=(row.width or 0) * (row.height or 0),
        phash=row.perceptual_hash,
        content_hash=row.content_hash,
        selected=row.is_selected,
        selected_by=row.selected_by,
        rank=row.rank,
    )


def _info(row: db.ProviderAsset) -> ImageInfo:
    return ImageInfo(
        row.width or 0, row.height or 0, row.format, EXTENSIONS[row.format],
        row.content_hash, row.file_size or 0, row.perceptual_hash or "",
    )  # fmt: skip


def _take_info(row: db.ProviderAsset, info: ImageInfo) -> None:
    row.width, row.height, row.format = info.width, info.height, info.format
    row.file_size, row.content_hash, row.perceptual_hash = info.size, info.sha256, info.phash


def _same_cached(row: db.ProviderAsset, cached: db.CacheImageFile) -> bool:
    """The cache holds this candidate's bytes, or (from the user's library) its picture at least
    as large. A provider download is never adopted by another candidate: near-duplicates of it
    are collapsed by selection instead, so every row keeps its own provenance."""
    if cached.image_type != row.asset_type:
        return False
    if cached.file_hash == row.content_hash:
        return True
    if cached.source_type != LIBRARY:
        return False
    big_enough = (cached.width or 0) * (cached.height or 0) >= (row.width or 0) * (row.height or 0)
    a = Pick(0, row.asset_type, True, phash=row.perceptual_hash)
    b = Pick(1, row.asset_type, True, phash=cached.perceptual_hash)
    return big_enough and same_picture(a, b)


def _adopt(row: db.ProviderAsset, cached: db.CacheImageFile) -> None:
    """The candidate is the cached file (phase 1B): take its analysis, no download."""
    row.analyzed, row.analyzed_at, row.rejected_reason = True, db.now(), None
    row.width, row.height, row.format = cached.width, cached.height, cached.format
    row.file_size, row.content_hash = cached.file_size, cached.file_hash
    row.perceptual_hash = cached.perceptual_hash
    row.is_downloaded = True
    row.provider_metadata = {**(row.provider_metadata or {}), "cache_file": cached.id}
