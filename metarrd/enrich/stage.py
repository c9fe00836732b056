"""The ENRICH stage: everything the review needs, on local disk (docs/enrich.md).

    enrich_item(rt, movie) -> EnrichResult

1. Ask TMDB (details with images, credits, release dates, videos, keywords), fanart.tv and
   TheTVDB at the same time. TMDB is required; a provider without a key is skipped and one that
   fails is reported, never failing the others.
2. Candidates become `provider_assets` rows (Kodi types; candidate_store.py). Phase 1B: a candidate
   whose URL is the source of a cached file, or whose (known) picture matches a cached file of
   the item that is at least as large (the user's library artwork included), counts as
   downloaded: no fetch.
3. Every candidate not analysed before is analysed once from the bytes that decide (analysis.py):
   its small rendition (perceptual hash, preview) and its real size and format (the provider's
   exact size, or the image header by Range request); probes start as soon as each provider has
   answered, and cast thumbnails download alongside.
4. Score, collapse near-duplicates, select the top N per type (locks and the user's choices
   win; see selection.py), then download the selected images in full, check each against what
   the probe said (re-selecting when it lied) and move them into the cache (caching.py).
5. Metadata (locked fields never change), cast, status `enriched`, the `enrich.done`
   event, and `outdated` when a published item changed in anything the library shows.

Database writes are batched into a few transactions; worker threads never touch the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import peewee as pw

from metarrd import cache, db, preferences, workflow
from metarrd.config import LIBRARY_SOURCE, Config
from metarrd.enrich import candidates, cast
from metarrd.enrich.analysis import Analyser, AnalysisResult, next_rank
from metarrd.enrich.caching import select_and_cache
from metarrd.enrich.candidate_store import (
    in_cache,
    on_disk,
    prepare_candidates,
    save_all,
    score_rows,
    take_info,
    write_candidates,
)
from metarrd.enrich.candidates import Candidate
from metarrd.enrich.metadata import (
    cast_members,
    english_fallback,
    merge_fields,
    movie_fields,
    provided_marks,
    tags_with_keywords,
)
from metarrd.enrich.score import ImageFacts, Preferences, score_image
from metarrd.enrich.selection import provider_name
from metarrd.errors import ItemError, MetarrdError, NotFound, ProviderError
from metarrd.fields import CAST_LOCK, KEYWORDS_HINT, PROVIDED_HINT
from metarrd.image_hosts import fetchable
from metarrd.imaging import write_preview
from metarrd.runtime import Runtime

log = logging.getLogger(__name__)

SIDE_PROVIDERS = ("fanart", "tvdb")
ASKS = 5  # requests `ask` sends at once: TMDB details, the side providers, two look-ups
PROFILE_SIZE = "h632"  # cast thumbnails for the cache; the NFO keeps the original URL
WRITE_BATCH = 32  # analysed rows per transaction while the downloads go on


def whole_decode_dear(url: str) -> bool:
    """Whether decoding the whole image at `url` costs far more than its rendition's analysis
    and a request: a PNG (fanart.tv's logos, clear art and discs; TMDB's logos) has no reduced
    decode, as a JPEG's 1/8-scale draft is. The simulator's fanart.tv PNGs of about 1000 px cost
    16 ms each decoded whole, against ~2 ms for the rendition's analysis and the whole file's
    check together (imaging.check_whole). For the JPEGs the extra request cost more wall time
    than it saved (bench.enrich, 50 ms: 1.11x -> 1.21x with every likely pick so analysed)."""
    return urlsplit(url).path.lower().endswith(".png")


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
            text += f"; {provider_name(provider)} failed: {reason}"
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


def enrich_item(
    rt: Runtime, movie: db.Movie, manual: bool = True, episodes: list[db.Movie] | None = None
) -> EnrichResult:
    """Run the ENRICH job for one identified movie; raise MetarrdError when it cannot. A show
    with `episodes` of it: those episodes (enrich/tv.py `_scope`; those refused are in the
    result's `refused`)."""
    return _begin(rt, movie, manual, episodes=episodes)()


def _begin(
    rt: Runtime,
    movie: db.Movie,
    manual: bool,
    ahead: Executor | None = None,
    on_drained: Callable[[], None] | None = None,
    episodes: list[db.Movie] | None = None,
) -> Callable[[], EnrichResult]:
    """Check the item and return what enriches it. With `ahead` (a pool), a movie's providers
    are asked at once, on that pool, so that their answers are in before its turn comes;
    `on_drained()` is called once none of its downloads waits to start (Analyser.when_drained;
    movies only). A TV item: its show, or `episodes` of that show (enrich/tv.py `_scope`)."""
    if not manual:
        workflow.require(rt.config, "enrichment")
    fresh = db.Movie.get_or_none(db.Movie.id == movie.id)
    if fresh is None:
        raise ItemError(f"item {movie.id} no longer exists")
    if fresh.kind != db.MOVIE:  # a show with its seasons and episodes, or episodes alone
        from metarrd.enrich.tv import enrich_show

        return lambda: enrich_show(rt, fresh, manual=manual, episodes=episodes)
    if fresh.tmdb_id is None:
        raise ItemError("not identified yet: choose its movie first")
    job = _Enrichment(rt, fresh)
    job.on_drained = on_drained
    if ahead is not None:
        job.ask(ahead)
    return job.run


class _Turn:
    """A movie's place among the `items` that download at once (`take`), given back once none
    of its downloads waits to start (what is left of it is in flight, or selection, a few whole
    files and the database) or when it ends, whichever comes first."""

    def __init__(self, slots: threading.Semaphore) -> None:
        self._slots = slots
        self._held = False
        self._lock = threading.Lock()

    def take(self) -> None:
        self._slots.acquire()
        with self._lock:
            self._held = True

    def give_back(self) -> None:
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._slots.release()


def enrich_items(
    rt: Runtime, movies: Iterable[db.Movie], *, manual: bool = True
) -> Iterator[tuple[db.Movie, EnrichResult | None, Exception | None]]:
    """Enrich several movies at once (`[enrich] items`), so that provider latency overlaps;
    every download shares the runtime's one HttpClient and so its per-host cap. Yields
    (movie, result, error) in the order given (the items of one show together: one run of that
    show, its whole or the episodes asked for, `enrich_show`), each as soon as it and those
    before it are done. The error is a MetarrdError, or any other exception (a bug) for its
    caller to report: one item's failure never stops the others (an episode refused in a run
    of several gets its own error).

    Keeping the image hosts busy from the first movie to the last:
    - `items` movies download at once; a movie gives its turn to the next as soon as none of
      its downloads waits to start, not when it ends (its selection, whole files and writes
      follow), so one wave of movies does not leave the hosts idle while it finishes;
    - the next movie waits for a turn with its providers already asked (`_begin` with a
      pool), so it starts its downloads the moment it has a turn. (One, not `items`: on a
      CPU-bound run more movies at once only add contention; bench.enrich.)
    """
    runs: list[list[db.Movie]] = []  # a movie, or the items of one show: never two runs of it
    shows: dict[int | None, list[db.Movie]] = {}
    for movie in movies:
        if movie.kind == db.MOVIE:
            runs.append([movie])
            continue
        show = movie.id if movie.kind == db.SHOW else movie.show_id
        if show not in shows:
            runs.append(shows.setdefault(show, []))
        shows[show].append(movie)
    if not runs:  # nothing to enrich (`enrich --all` before anything was identified)
        return
    workers = max(1, min(rt.config.enrich.items, len(runs)))
    slots = threading.Semaphore(workers)

    def run(items: list[db.Movie], ahead: Executor) -> tuple[EnrichResult | None, Exception | None]:
        turn = _Turn(slots)
        movie = items[0]
        episodes = [i for i in items if i.kind == db.EPISODE]
        if len(items) == 1 or len(episodes) < len(items):
            episodes = None  # one item as it is; a show or season among them: the whole show
        try:
            job = _begin(rt, movie, manual, ahead, turn.give_back, episodes)  # asked first
            turn.take()
            return job(), None
        except MetarrdError as exc:
            return None, exc
        except Exception as exc:  # a full data_dir, or a bug, fails this item only
            if isinstance(exc, OSError | pw.OperationalError) and db.is_disk_full(exc):
                return None, db.disk_full(exc)
            return None, exc
        finally:
            turn.give_back()

    threads = min(workers + 1, len(runs))  # those downloading or finishing, one asked ahead
    with (
        ThreadPoolExecutor(threads * ASKS, thread_name_prefix="ask") as ahead,
        ThreadPoolExecutor(threads, thread_name_prefix="enrich") as pool,
    ):
        results = pool.map(db.carry_fence(run), runs, [ahead] * len(runs))
        for items, (result, error) in zip(runs, results, strict=True):
            refused = getattr(result, "refused", None) or {}
            for movie in items:
                if movie.id in refused:
                    yield movie, None, ItemError(refused[movie.id])
                else:
                    yield movie, result, error


class _Enrichment:
    def __init__(self, rt: Runtime, movie: db.Movie, config: Config | None = None):
        self.rt = rt
        # the user's limits and languages (a show's items share the show's: one read per show)
        self.config = config or preferences.effective(rt.config)
        self.movie = movie
        self.label = f"item {movie.id} ({movie.title or movie.path})"
        self.result = EnrichResult(movie.id, movie.title or "", movie.year)
        self.rows: dict[tuple[str, str], db.ArtworkCandidate] = {}
        self.cache_files: list[db.CacheImageFile] = []
        self.pending: dict[str, Future[AnalysisResult]] = {}  # url -> download + analysis
        self.outcomes: dict[str, AnalysisResult] = {}
        self.unsaved: list[db.ArtworkCandidate] = []  # analysed, saved with the selection
        self.recast = False  # a role went: its person may be played by no item any more
        self.previews: dict[int, Future[str | None]] = {}  # library row id -> preview
        self.tvdb_id: int | None = movie.tvdb_id
        self.an: Analyser | None = None
        self.held: dict[str, list[tuple[tuple, Candidate]]] = {}  # type -> likely picks
        self.asked: dict[str, Future] | None = None  # provider -> its answer (`ask`)
        self.rank = next_rank()  # at a host's cap, items that started earlier go first
        self.on_drained: Callable[[], None] | None = None  # called when no download waits

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> EnrichResult:
        started = time.monotonic()
        movie = self.movie
        before_art = self._art_snapshot()
        before_cast = cast.cast_snapshot(movie.id)
        self._load_rows()
        tmdb = self.rt.tmdb
        with (
            Analyser(self.config, self.rt.http, label=self.label, rank=self.rank) as an,
            ThreadPoolExecutor(ASKS, thread_name_prefix="providers") as side,
        ):
            self.an = an
            asked = self.asked or self.ask(side)
            details = asked["tmdb"].result()
            providers = self.config.providers
            found = candidates.from_tmdb(details, tmdb.image_url("", "original"))
            answers = {"tmdb": candidates.drop_foreign(found, providers, self.label)}
            self._start_downloads(answers["tmdb"])
            plan = self._plan_cast(tmdb, details)
            self._preview_library_rows()
            side_answers = {asked[name]: name for name in SIDE_PROVIDERS}
            for future in as_completed(side_answers):  # each provider's probes start at once
                name, answer = side_answers[future], future.result()
                if answer.skipped:
                    self.result.providers_skipped.append(name)
                elif answer.candidates is None:
                    self.result.provider_errors[name] = answer.error or "failed"
                else:
                    answers[name] = candidates.drop_foreign(
                        answer.candidates, providers, self.label
                    )
                    self._start_downloads(answers[name])
                self.tvdb_id = answer.tvdb_id or self.tvdb_id
            answers = {name: answers[name] for name in ("tmdb", *SIDE_PROVIDERS) if name in answers}
            errors, r = self.result.provider_errors, self.result  # in provider order, as before
            r.providers_skipped.sort(key=SIDE_PROVIDERS.index)
            r.provider_errors = {name: errors[name] for name in SIDE_PROVIDERS if name in errors}
            self._start_held()
            present = on_disk(self.cache_files)  # not under the write lock, nor the scores
            stored = prepare_candidates(
                movie.id, self.rows, answers, movie.locked_asset_types or (),
                (self.cache_files, self.by_source, present), self.pending, self.config.artwork,
            )  # fmt: skip
            with db.write_transaction():
                self.rt.require_lease([movie.id], "its enrichment")
                write_candidates(stored, self.rows)
            dropped = stored.dropped
            self.result.candidates = len(self.rows)
            if self.on_drained is not None:  # the next movie starts when the hosts are free
                an.when_drained(self.on_drained)
            self._take_outcomes()  # while the downloads go on
            select_and_cache(
                self.config, movie.id, self.rows, self.outcomes, self.an, self.label, self.unsaved
            )
            self._count_selected()
            for future in [*plan.downloads.values(), *self.previews.values()]:
                future.result()  # wait outside the transaction
            with db.write_transaction():
                self.rt.require_lease([movie.id], "its enrichment")
                self._finish(details, plan, before_art, before_cast)
            # here, not at the top: the analysis workers' fork server imports this package, and
            # publish (with scan and identify) would add 0.2 s of CPU to each enrich's start
            from metarrd.publish import settle_unit

            if settle_unit(self.rt, movie.id):  # its files read outside the write lock
                self.result.outdated = False
            with db.write_transaction():
                self._record_done()
        if dropped or self.recast:  # previews the providers no longer list, people no item
            # plays any more with their pictures
            cache.remove_unused(self.config.cache_dir, self.config.previews_dir, set(), dropped)
        self.result.seconds = time.monotonic() - started
        log.info("%s: %s (%.1f s)", self.label, self.result, self.result.seconds)
        return self.result

    # --- providers ----------------------------------------------------------------------------

    def ask(self, pool: Executor) -> dict[str, Future]:
        """Ask TMDB (the details), fanart.tv and TheTVDB at the same time, on `pool`, at this
        item's rank; with them TMDB's configuration and TheTVDB's artwork types (fetched once,
        then kept: one round trip less after the details). Network only, no database, so it
        can run ahead of the enrichment (`enrich_items`)."""
        tmdb = self.rt.tmdb

        def ranked(fn, *args):
            with self.rt.http.ranked(self.rank):
                return fn(*args)

        self.asked = {"tmdb": pool.submit(ranked, self._tmdb_details, tmdb)}
        self.asked.update({name: pool.submit(ranked, self._ask, name) for name in SIDE_PROVIDERS})
        pool.submit(ranked, tmdb.configuration)  # image addresses: not one more round trip later
        tvdb = self.rt.client("tvdb")
        if tvdb is not None:  # its image types, while it looks the movie up
            pool.submit(ranked, tvdb.artwork_types)
        return self.asked

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

    # --- candidates (rows: metarrd/candidate_store.py) ---------------------------------------------

    def _load_rows(self) -> None:
        movie = self.movie
        query = db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie)
        self.rows = {(r.asset_type, r.url): r for r in query}
        self.cache_files = list(db.CacheImageFile.select().where(db.CacheImageFile.movie == movie))
        self.by_source = {c.source_url: c for c in self.cache_files if c.source_url}

    def _needs_fetch(self, c: Candidate) -> bool:
        row = self.rows.get((c.asset_type, c.url))
        if row is not None and (row.analyzed or row.provider == LIBRARY_SOURCE):
            return False
        cached = self.by_source.get(c.url)
        return cached is None or not Path(cached.file_path).is_file()

    def _start_downloads(self, found: list[Candidate]) -> None:
        """Start the analysis of each new candidate from its small rendition, except the
        likely picks (`_likely_picks`), held until every provider has answered."""
        todo = [
            c for c in dict.fromkeys(found) if c.url not in self.pending and self._needs_fetch(c)
        ]
        likely = self._likely_picks(todo)
        for c in todo:
            if c.url in likely:
                self.held.setdefault(c.asset_type, []).append((likely[c.url], c))
            else:
                self._probe(c)

    def _probe(self, c: Candidate) -> None:
        if c.url not in self.pending:
            self.pending[c.url] = self.an.probe(
                c.url, c.provider, small_url=c.small_url, stated=(c.width, c.height),
                exact=c.size_exact,
            )  # fmt: skip

    def _likely_picks(self, found: list[Candidate]) -> dict[str, tuple]:
        """{url: rank key} of the candidates that will most likely be selected: per type never
        seen before (no rows: no earlier analysis, no user's own image, no choice, no lock),
        the best `limit` of this provider's answer by the score their stated size, language
        and votes give, when that size is exact (then it is the score the analysis confirms,
        unless the file is broken or a near-duplicate of a better one). A selected image is
        downloaded whole anyway: fetching it whole at once saves its rendition, a request on
        the busiest host, and the time to the end of the item."""
        if not found:
            return {}
        locked = set(self.movie.locked_asset_types or ())
        seen = {asset_type for asset_type, _url in self.rows}
        limits = self.config.artwork.limits
        prefs = Preferences(
            self.config.artwork.preferred_languages, self.config.artwork.provider_priority
        )
        by_type: dict[str, list[tuple[tuple, Candidate]]] = {}
        for c in found:
            if c.asset_type in locked or c.asset_type in seen or not c.size_exact:
                continue
            if not (c.width and c.height and c.small_url):
                continue
            facts = ImageFacts(c.asset_type, c.provider, c.width, c.height, c.language,
                               c.vote_average, c.vote_count)  # fmt: skip
            score = score_image(facts, prefs)
            key = (score.foreign, score.tier, -score.total, -(c.width * c.height))
            by_type.setdefault(c.asset_type, []).append((key, c))
        likely: dict[str, tuple] = {}
        for asset_type, group in by_type.items():
            group.sort(key=lambda kc: kc[0])
            for key, c in group[: max(0, int(limits.get(asset_type, 1)))]:
                likely[c.url] = key
        return likely

    def _start_held(self) -> None:
        """Every provider has answered: the best `limit` of each type's likely picks are
        fetched whole, the others from their rendition. A likely pick is analysed from the whole
        file (a JPEG decodes at 1/8 scale: no request more is cheaper), except a PNG, which
        decodes only in full: its rendition too then (Analyser.pick, whole_decode_dear)."""
        limits = self.config.artwork.limits
        for asset_type, group in self.held.items():
            group.sort(key=lambda kc: kc[0])
            keep = max(0, int(limits.get(asset_type, 1)))
            for n, (_key, c) in enumerate(group):
                if n < keep and c.url not in self.pending:
                    if whole_decode_dear(c.url):
                        self.pending[c.url] = self.an.pick(c.url, c.provider, small_url=c.small_url)
                    else:
                        self.pending[c.url] = self.an.fetch(c.url, c.provider)
                else:
                    self._probe(c)
        self.held = {}

    # --- analysis (scoring: asset_rows; selection and cache: metarrd/caching.py) ---------

    def _take_outcomes(self) -> None:
        """Record each analysis and its score as its download finishes, in batched writes; the
        last batch is left in `unsaved`, for the selection's write transaction."""
        by_url: dict[str, list[db.ArtworkCandidate]] = {}
        for row in self.rows.values():
            by_url.setdefault(row.url, []).append(row)
        urls = {future: url for url, future in self.pending.items()}
        batch: list[db.ArtworkCandidate] = []
        for future in as_completed(urls):
            outcome = self.outcomes[urls[future]] = future.result()
            for row in by_url.get(outcome.url, []):
                self._record(row, outcome)
                batch.append(row)
            if len(batch) >= WRITE_BATCH or len(self.outcomes) == len(urls):
                score_rows(batch, self.config.artwork, save=False)  # the lock held to write only
                if len(self.outcomes) < len(urls):  # the last: with the selection (`unsaved`)
                    with db.write_transaction():
                        save_all(batch)
                    batch = []
        self.unsaved = batch
        self.result.downloaded = sum(1 for o in self.outcomes.values() if o.ok or o.size)
        self.result.rejected = sum(1 for r in self.rows.values() if r.rejected_reason)

    def _record(self, row: db.ArtworkCandidate, outcome: AnalysisResult) -> None:
        row.analyzed_at = db.now()
        if outcome.ok:
            take_info(row, outcome.info)
            row.analyzed, row.rejected_reason = True, None
            row.preview_path = outcome.preview or row.preview_path
            row.is_downloaded = in_cache(self.config.cache_dir, row)
        else:
            row.analyzed = not outcome.retry  # a download problem is tried again next time
            row.rejected_reason = outcome.reason
            log.info(
                "%s: %s from %s skipped: %s",
                self.label, row.asset_type, row.provider, outcome.reason,
            )  # fmt: skip

    # --- selection counts, cast, previews, metadata, status -----------------------------------

    def _count_selected(self) -> None:
        self.result.selected = sum(1 for r in self.rows.values() if r.is_selected)
        self.result.library_unselected = sum(
            1
            for r in self.rows.values()
            if r.provider == LIBRARY_SOURCE and not r.is_selected and not r.rejected_reason
        )

    def _art_snapshot(self) -> list[tuple]:
        query = db.ArtworkCandidate.select().where(
            (db.ArtworkCandidate.movie == self.movie.id) & db.ArtworkCandidate.is_selected
        )
        return sorted((r.asset_type, r.rank or 0, r.content_hash or r.url) for r in query)

    def _plan_cast(self, tmdb, details: dict[str, Any]) -> cast.CastPlan:
        if CAST_LOCK in (self.movie.locked_fields or []):
            return cast.CastPlan([])
        members = cast_members(details, self.config.enrich.max_actors)
        sizes = (tmdb.configuration().get("images") or {}).get("profile_sizes") or []
        size = PROFILE_SIZE if PROFILE_SIZE in sizes else "original"
        return cast.plan_cast(
            members,
            thumb_url=lambda p: fetchable(self.config.providers, tmdb.image_url(p, "original")),
            download_url=lambda p: tmdb.image_url(p, size),
            analyser=self.an,
        )

    def _preview_library_rows(self) -> None:
        """The user's own images get a preview too (from their cached copy)."""
        by_hash = {(c.image_type, c.file_hash): c for c in self.cache_files}
        for row in self.rows.values():
            cached = by_hash.get((row.asset_type, row.content_hash))
            if row.provider == LIBRARY_SOURCE and not row.preview_path and cached is not None:
                self.previews[row.id] = self.an.submit(
                    write_preview, self.config.previews_dir, Path(cached.file_path),
                    row.content_hash, cpu=True,
                )  # fmt: skip

    def _finish(self, details, plan, before_art, before_cast) -> None:
        for row_id, future in self.previews.items():
            rel = future.result()
            if rel:
                db.ArtworkCandidate.update(preview_path=rel).where(
                    db.ArtworkCandidate.id == row_id
                ).execute()
        movie = db.Movie.get_by_id(self.movie.id)  # a user edit may have landed meanwhile
        tmdb_config = self.rt.tmdb.config
        current = {name: getattr(movie, name) for name in db.EDITABLE_FIELDS}
        new = movie_fields(details, tmdb_config.certification_country, tmdb_config.language)
        keywords, hints = new["tags"], dict(movie.hints or {})
        if "tags" not in (movie.locked_fields or []):
            new["tags"] = tags_with_keywords(movie.tags, hints.get(KEYWORDS_HINT), keywords)
            if hints.get(KEYWORDS_HINT) != keywords:
                movie.hints = {**hints, KEYWORDS_HINT: keywords}
        fallback = english_fallback(details, new)  # no translation into the language asked for
        changes = merge_fields(current, {**new, **fallback}, movie.locked_fields or [], fallback)
        for name, value in changes.items():
            setattr(movie, name, value)
        after = {name: getattr(movie, name) for name in db.EDITABLE_FIELDS}
        movie.hints = {
            **(movie.hints or {}),
            PROVIDED_HINT: provided_marks(after, {**new, **fallback}),
        }
        if plan.members and CAST_LOCK not in (movie.locked_fields or []):
            self.recast = cast.apply_cast(movie.id, plan)  # no cast from TMDB: keep ours
        after_cast = cast.cast_snapshot(movie.id)
        self.result.actors = len(after_cast)
        imdb = details.get("imdb_id") or (details.get("external_ids") or {}).get("imdb_id")
        ids = {}  # an id found now: the NFO's <uniqueid>s change too
        if imdb and not movie.imdb_id:
            ids["imdb_id"] = movie.imdb_id = imdb
        if self.tvdb_id and not movie.tvdb_id:
            ids["tvdb_id"] = movie.tvdb_id = self.tvdb_id
        changed = (
            bool(changes or ids) or after_cast != before_cast or self._art_snapshot() != before_art
        )
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

    def _record_done(self) -> None:
        """The `enrich.done` event, once `settle_unit` told whether it is still "Republish?"."""
        r = self.result
        db.record_event(
            "enrich.done",
            str(r),
            movie=self.movie.id,
            assets_selected=r.selected,
            actors_found=r.actors,
            candidates=r.candidates,
            rejected=r.rejected,
            fields_changed=r.fields_changed,
            provider_errors=r.provider_errors,
            outdated=r.outdated,
        )
