"""ENRICH for a TV show: the show, its seasons and its identified episode files in one run
(docs/tv.md "Enrich").

    enrich_show(rt, item) -> TvEnrichResult   # item: the show, or one of its seasons/episodes
                                              # (an episode of an enriched show: it alone, `_scope`)

1. TMDB once per 20 seasons: `/tv/{id}` with the show's appends and `season/N` for every season
   that has files (each season body lists its episodes with crew, guest stars and stills);
   fanart.tv `/v3/tv/{tvdb}` and TheTVDB's series record at the same time, in side threads.
2. Candidates per item (tv_candidates.py); each item's rows go through the movie machinery
   (stage._Enrichment: phase 1B, probes, scores, selection with limits and locks, the cache),
   with one Analyser for the whole show so every probe of every item shares the download
   threads and the per-host cap; items are selected and cached several at once.
3. Cast: the whole run's cast on the show, each episode's guest stars on the episode (numbered
   after the show's cast); one thumbnail download per person for the whole show.
4. Metadata (locked fields never change), `episode_details` per episode of a file, status
   `enriched`, an `enrich.done` event per item, `outdated` for published items that changed.
A season TMDB does not have, or an episode it does not know, is that item's `last_error`;
the rest goes on. In a TheTVDB episode order (docs/tv.md "Episode orders") each episode is
fetched at TMDB's numbers of it (`tv_metadata.tmdb_numbers`), and an episode only TheTVDB has
takes TheTVDB's title, plot and air date as TheTVDB's episode list gives them now (no still,
no guest stars).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from metarrd import cache, db, preferences, workflow
from metarrd.config import Config
from metarrd.enrich import candidates, cast, tv_candidates, tv_metadata
from metarrd.enrich.analysis import Analyser
from metarrd.enrich.caching import select_and_cache
from metarrd.enrich.candidate_store import on_disk, prepare_candidates, write_candidates
from metarrd.enrich.candidates import Candidate
from metarrd.enrich.metadata import CastMember, merge_fields
from metarrd.enrich.selection import provider_name
from metarrd.enrich.stage import PROFILE_SIZE, EnrichResult, _Enrichment
from metarrd.enrich.tv_candidates import SHOW, Target
from metarrd.errors import ItemError, NotFound, ProviderError
from metarrd.fields import CAST_LOCK, DETAIL_FIELDS
from metarrd.image_hosts import fetchable
from metarrd.providers.tmdb import TV_APPENDS
from metarrd.providers.tvdb import language_code
from metarrd.runtime import Runtime
from metarrd.text import count

log = logging.getLogger(__name__)
_tmdb = tv_metadata.tmdb_numbers

MAX_APPENDS = 20  # TMDB's limit on append_to_response items
SIDE_PROVIDERS = ("fanart", "tvdb")


@dataclass
class TvEnrichResult(EnrichResult):
    seasons: int = 0
    episodes: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # item id -> reason
    alone: list[int] = field(default_factory=list)  # the episodes enriched alone (`_scope`)
    # episodes asked for that were not enriched, each with its reason: their outcome, which
    # the caller records (`failed` lists them too; the others it lists are recorded here)
    refused: dict[int, str] = field(default_factory=dict)
    codes: str = ""  # theirs, for the line: "S01E01, S02E03"

    def __str__(self) -> str:
        text = super().__str__()
        head, _, rest = text.partition(": ")
        if self.codes:
            head += f" {self.codes}"
        text = f"{head}: {count(self.seasons, 'season')}, {count(self.episodes, 'episode file')}, {rest}"
        if self.failed:
            first = next(iter(self.failed.values()))
            text += f"; {count(self.failed, 'item')} not enriched, e.g. {first}"
        return text


def enrich_show(
    rt: Runtime, item: db.Movie, manual: bool = True, episodes: list[db.Movie] | None = None
) -> TvEnrichResult:
    """Enrich the show of `item` (a show, season or episode) with its seasons and episodes;
    `item` an episode (or `episodes`, of that show): those episodes alone once the show and
    their seasons are enriched (`_scope`). An episode asked for that cannot be enriched (not
    matched, its file missing, unknown to TMDB) is refused: ItemError for `item` itself, the
    result's `refused` for several, or for those named with their show (the job chain's new
    episodes; its caller records each: it is that item's outcome, not the show's)."""
    if not manual:
        workflow.require(rt.config, "enrichment")
    else:  # the user's own: what the providers say now, not what they said minutes ago
        rt.http.forget_answers()
    show_id = item.id if item.kind == db.SHOW else item.show_id
    show = db.Movie.get_or_none(db.Movie.id == show_id) if show_id else None
    if show is None:
        raise ItemError(f"item {item.id}: its show no longer exists")
    if show.tmdb_id is None:
        raise ItemError("not identified yet: choose its show first")
    if episodes is None and item.kind == db.EPISODE:
        episodes = [item]
    # the one episode asked for: its refusal is this call's error. Of several, each refused
    # one is in the result (those enriched were, though the list is one shorter now)
    alone = item.kind == db.EPISODE and len(episodes or []) == 1
    refused: dict[int, str] = {}
    if episodes:
        refused = _refused(episodes)
        if alone and refused:
            raise ItemError(refused[episodes[0].id])
        episodes = [e for e in episodes if e.id not in refused]
        if not episodes:
            return TvEnrichResult(
                show.id, show.title or "", show.year, failed=dict(refused), refused=refused
            )
    asked = {e.id for e in episodes or []}
    result = _ShowEnrichment(rt, show, _scope(show, episodes), asked).run()
    refused.update((i, why) for i, why in result.failed.items() if i in asked)
    result.failed.update(refused)
    result.refused = refused
    if alone and refused:
        raise ItemError(next(iter(refused.values())))
    return result


def enriches_alone(item: db.Movie) -> bool:
    """Whether `enrich_show` of this item covers it alone, not its whole show (`_scope`): an
    episode of an enriched show whose season is enriched. What the web UI's episode page says
    its Enrich does."""
    if item.kind != db.EPISODE or not item.show_id:
        return False
    show = db.Movie.get_or_none(db.Movie.id == item.show_id)
    return show is not None and _scope(show, [item]) is not None


UNMATCHED = "cannot enrich: matched to no episode of its show"


def _refused(episodes: list[db.Movie]) -> dict[int, str]:
    """Of the episodes asked for, those that cannot be enriched, each with its reason (the
    item is named by whoever reports it)."""
    refused = {}
    for ep in episodes:
        fresh = db.Movie.get_or_none(db.Movie.id == ep.id)
        if fresh is None:
            refused[ep.id] = "cannot enrich: it no longer exists"
        elif fresh.missing:
            refused[ep.id] = f"cannot enrich: its file is missing ({fresh.path})"
        elif fresh.identification_status == db.UNIDENTIFIED or not fresh.episode_refs:
            why = fresh.last_error or ""  # why identify matched none; or this, said before
            refused[ep.id] = why if why.startswith(UNMATCHED) else (
                UNMATCHED + (f" ({why})" if why else ""))  # fmt: skip
    return refused


def _scope(show: db.Movie, episodes: list[db.Movie] | None) -> set[int] | None:
    """The episodes an enrich covers alone (interface.md: "on an episode, that episode and
    what its show needs"); None: the whole show. A show never enriched, or a season of those
    episodes never enriched (a new season), has no data of its own yet: the whole show is
    enriched, as after its identify. Else those episodes alone (their metadata, still and
    guest stars, from one TMDB request: the show's cast and those seasons' episode lists);
    the show, its seasons and its other episodes are left as they are and keep their status."""
    if not episodes or show.identification_status != db.ENRICHED:
        return None
    numbers = {e.season for e in episodes}
    new_season = db.Movie.select().where(
        db.Movie.show == show.id,
        db.Movie.kind == db.SEASON,
        db.Movie.season.in_([n for n in numbers if n is not None]),
        ~db.Movie.missing,
        db.Movie.identification_status != db.ENRICHED,
    )
    if new_season.exists():
        return None
    return {e.id for e in episodes}


class _ItemArt(_Enrichment):
    """One item's artwork through the movie machinery, with the show's shared analyser."""

    def __init__(
        self, rt: Runtime, item: db.Movie, an: Analyser, rows, cache_files, config: Config
    ) -> None:
        super().__init__(rt, item, config)
        self.an = an
        self.rows = {(r.asset_type, r.url): r for r in rows}
        self.cache_files = cache_files
        self.by_source = {c.source_url: c for c in cache_files if c.source_url}
        self.answers: dict[str, list[Candidate]] = {}
        self.before = self.selection()
        self.dropped: set[str] = set()  # previews of candidates no longer listed (`finish`)

    def selection(self) -> list[tuple]:
        return sorted(
            (r.asset_type, r.rank or 0, r.content_hash or r.url)
            for r in self.rows.values()
            if r.is_selected
        )

    def _start_downloads(self, found: list[Candidate]) -> None:
        if self.movie.kind != db.EPISODE:
            super()._start_downloads(found)
            return
        for c in found:  # an episode's thumb is its one still: nothing to compare, so no
            if c.url not in self.pending and self._needs_fetch(c):  # probe: fetched whole once
                self.pending[c.url] = self.an.fetch(c.url, c.provider)

    def add(self, provider: str, found: list[Candidate]) -> None:
        self.answers[provider] = found
        self._start_downloads(found)

    def finish(self) -> bool:
        """Store, score, select and cache; True when the selection changed."""
        self._start_held()  # every provider has answered for this item
        present = on_disk(self.cache_files)  # not under the write lock, nor the scores
        stored = prepare_candidates(
            self.movie.id, self.rows, self.answers, self.movie.locked_asset_types or (),
            (self.cache_files, self.by_source, present), self.pending, self.config.artwork,
        )  # fmt: skip
        with db.write_transaction():
            write_candidates(stored, self.rows)
        self.dropped = stored.dropped
        self.result.candidates = len(self.rows)
        self._take_outcomes()
        select_and_cache(
            self.config, self.movie.id, self.rows, self.outcomes, self.an, self.label, self.unsaved
        )
        self._count_selected()
        return self.selection() != self.before


class _ShowEnrichment:
    def __init__(
        self,
        rt: Runtime,
        show: db.Movie,
        only: set[int] | None = None,
        asked: set[int] = frozenset(),
    ) -> None:
        # the user's artwork limits and languages, read once for the show and all its items
        self.rt, self.config, self.show = rt, preferences.effective(rt.config), show
        self.only = only  # those episodes alone (`_scope`); None: the whole show
        self.asked = asked  # episodes asked for: their failures are their caller's to record
        self.recast = False  # a role went: its person may be played by no item any more
        self.label = f"item {show.id} ({show.title or show.path})"
        self.result = TvEnrichResult(show.id, show.title or "", show.year)
        self.seasons = (
            []
            if only is not None
            else list(
                db.Movie.select().where(
                    (db.Movie.show == show) & (db.Movie.kind == db.SEASON) & ~db.Movie.missing
                )
            )
        )
        self.episodes = [
            e
            for e in db.Movie.select().where(
                (db.Movie.show == show) & (db.Movie.kind == db.EPISODE) & ~db.Movie.missing
            )
            if e.identification_status != db.UNIDENTIFIED
            and e.episode_refs
            and (only is None or e.id in only)
        ]
        if only is not None:
            self.label += " " + ", ".join(_code(e) for e in self.episodes)
            self.result.alone = [e.id for e in self.episodes]
        self.errors: dict[int, str] = {}
        self.arts: dict[int, _ItemArt] = {}
        self.tvdb_text: dict[int, dict[str, Any]] = {}  # TheTVDB's episodes by id (`run`)
        self.not_tmdbs: set[int] = set()  # seasons TMDB numbers otherwise (`_targets`)
        self.english: dict[int, dict[str, Any]] = {}  # season bodies in en-US (`_english`)

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> TvEnrichResult:
        started = time.monotonic()
        show = self.show
        numbers = sorted(
            {s.season for s in self.seasons if s.season is not None}
            | {n[0] for e in self.episodes for r in e.episode_refs if (n := _tmdb(r))}
        )
        before_cast = cast.cast_snapshots([i.id for i in self._items()])
        with (
            Analyser(self.config, self.rt.http, label=self.label) as an,
            ThreadPoolExecutor(len(SIDE_PROVIDERS), thread_name_prefix="providers") as side,
        ):
            asked = {}
            alone = self.only is not None  # episodes alone: their art is TMDB's stills only
            if show.tvdb_id and not alone:
                asked = {n: side.submit(self._ask, n, show.tvdb_id) for n in SIDE_PROVIDERS}
            details, seasons = self._tmdb(numbers)
            tvdb_id = show.tvdb_id or tv_metadata.show_ids(details)["tvdb_id"]
            # the text of episodes only TheTVDB has, as TheTVDB says it now (identify's copy
            # may be an episode's `null` name and overview of the day it was announced)
            own = any(not _tmdb(r) for e in self.episodes for r in e.episode_refs)
            tvdb_text = side.submit(self._tvdb_text, tvdb_id) if own and tvdb_id else None
            if not asked and tvdb_id and not alone:
                asked = {n: side.submit(self._ask, n, tvdb_id) for n in SIDE_PROVIDERS}
            targets = self._targets(seasons)
            self.english = self._english(seasons)
            self._load(targets, an)
            image_base = self.rt.tmdb.image_url("", "original")
            language = self.rt.tmdb.config.language
            found = tv_candidates.from_tmdb_tv(details, seasons, image_base, language)
            for number in self.not_tmdbs:  # TMDB's poster of that number: other episodes'
                found.pop(tv_candidates.season_target(number), None)
            self._hand_out("tmdb", found)
            plans = self._plan_cast(details, seasons, an)
            for name, future in asked.items():
                found, error, skipped = future.result()
                if skipped:
                    self.result.providers_skipped.append(name)
                elif found is None:
                    self.result.provider_errors[name] = error or "failed"
                else:
                    self._hand_out(name, found)
            workers = max(1, min(self.config.enrich.concurrency, len(self.arts)))
            with ThreadPoolExecutor(workers, thread_name_prefix="tv-art") as pool:
                # each item's artwork is written there: under the job's lease check too
                finished = pool.map(db.carry_fence(_ItemArt.finish), self.arts.values())
                changed = dict(zip(self.arts, finished, strict=True))
            for plan in plans.values():
                for future in plan.downloads.values():
                    future.result()
            self.tvdb_text = tvdb_text.result() if tvdb_text is not None else {}
            with db.write_transaction():
                self.rt.require_lease([i.id for i in self._items()], "the show's enrichment")
                self._finish(details, seasons, plans, changed, before_cast, tvdb_id)
            # here, not at the top: the analysis workers' fork server imports this package, and
            # publish (with scan and identify) would add 0.2 s of CPU to each enrich's start
            from metarrd.publish import settle_unit

            settled = settle_unit(self.rt, show.id)  # its files read outside the write lock
            with db.write_transaction():
                self._record_done(settled)
        dropped = {rel for art in self.arts.values() for rel in art.dropped}
        if dropped or self.recast:  # previews the providers no longer list, people no item
            # plays any more with their pictures
            cache.remove_unused(self.config.cache_dir, self.config.previews_dir, set(), dropped)
        self.result.seconds = time.monotonic() - started
        log.info("%s: %s (%.1f s)", self.label, self.result, self.result.seconds)
        return self.result

    def _items(self) -> list[db.Movie]:
        return [self.show, *self.seasons, *self.episodes]

    # --- providers ----------------------------------------------------------------------------

    def _tmdb(self, numbers: list[int]) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        """The show with its appends and every season asked for, 20 appends per request; as
        answered a few minutes ago when it was (each episode of a season import, enriched
        alone, asked the same), unless an episode of the run is missing there (TMDB added it
        since): then asked again."""
        reused = self.rt.http.reused()
        details, seasons = self._ask_tmdb(numbers, reuse=True)
        if self.rt.http.reused() > reused and self._missing(seasons):
            details, seasons = self._ask_tmdb(numbers, reuse=False)
        return details, seasons

    def _missing(self, seasons: dict[int, dict[str, Any]]) -> bool:
        """Whether a TMDB episode of the run's files is not in `seasons`."""
        for ep in self.episodes:
            for ref in ep.episode_refs:
                if (n := _tmdb(ref)) is not None:
                    listed = (seasons.get(n[0]) or {}).get("episodes") or []
                    if not any(e.get("episode_number") == n[1] for e in listed):
                        return True
        return False

    def _ask_tmdb(
        self, numbers: list[int], reuse: bool
    ) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        tmdb, art = self.rt.tmdb, self.config.artwork
        langs = [code.split("-")[0].lower() for code in art.preferred_languages]
        langs += [tmdb.config.language.split("-")[0].lower(), "en", "null"]
        langs = list(dict.fromkeys(langs))
        # episodes alone need the show's cast (their guest stars are numbered after it, its
        # people left out) and their seasons' episode lists, not the show's own data
        base = TV_APPENDS.split(",") if self.only is None else ["aggregate_credits"]
        wanted = [f"season/{n}" for n in numbers]
        first, rest = wanted[: MAX_APPENDS - len(base)], wanted[MAX_APPENDS - len(base) :]
        try:
            details = tmdb.tv(self.show.tmdb_id, append=",".join(base + first),
                              image_languages=langs, reuse=reuse)  # fmt: skip
            bodies = [details]
            for start in range(0, len(rest), MAX_APPENDS):
                chunk = rest[start : start + MAX_APPENDS]
                bodies.append(tmdb.tv(self.show.tmdb_id, append=",".join(chunk), reuse=reuse))
        except NotFound:
            raise ItemError(
                f"TMDB has no show {self.show.tmdb_id} (any more): identify the show again"
            ) from None
        seasons = {}
        for body in bodies:
            for n in numbers:
                season = body.get(f"season/{n}")
                if isinstance(season, dict) and isinstance(season.get("episodes"), list):
                    seasons[n] = season
        return details, seasons

    def _english(self, seasons: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """The `season/N` bodies in English of the seasons whose text TMDB has not in the
        language asked for (`"overview": ""`) for an item of the run that has no plot of its
        own, or an episode TMDB names with a stand-in ("Folge 5", `tv_metadata.english_title`):
        as Kodi's TV scraper asks a season or episode again with `language=en-US`, but 20
        seasons (all their episodes) per request. {} in English, or when TMDB cannot say."""
        tmdb = self.rt.tmdb
        if tmdb.config.language.lower() in ("en", "en-us"):
            return {}
        wanted: set[int] = set()
        for target, item in self.targets.items():
            locked = item.locked_fields or []
            if target[0] == "season" and "plot" not in locked:
                number = target[1]
                season = seasons.get(number) if number not in self.not_tmdbs else None
                if season is not None and not item.plot and not _overview(season):
                    wanted.add(number)
            elif target[0] == "episode":
                # the user's plot, or the English one an earlier enrich gave it
                own_plot = "plot" in locked or (item.plot and len(item.episode_refs) == 1)
                for ref in [r for r in item.episode_refs if _tmdb(r)]:
                    ep = self._episode_json(seasons, ref)
                    stand_in = "title" not in locked and tv_metadata.placeholder_name(
                        ep.get("name"), ep.get("episode_number")
                    )
                    if stand_in or not (own_plot or _overview(ep)):
                        wanted.add(_tmdb(ref)[0])
        out: dict[int, dict[str, Any]] = {}
        numbers = sorted(wanted)
        try:
            for start in range(0, len(numbers), MAX_APPENDS):
                chunk = numbers[start : start + MAX_APPENDS]
                append = ",".join(f"season/{n}" for n in chunk)
                body = tmdb.tv(self.show.tmdb_id, append=append, language="en-US", reuse=True)
                out.update((n, body[f"season/{n}"]) for n in chunk if isinstance(
                    body.get(f"season/{n}"), dict))  # fmt: skip
        except ProviderError as exc:
            log.warning("%s: TMDB's English text unavailable: %s", self.label, exc)
        return out

    def _english_episode(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        """A TMDB episode in English (`_english`); None without it."""
        n = _tmdb(ref)
        listed = (self.english.get(n[0]) or {}).get("episodes") if n else None
        ep = next((e for e in listed or [] if e.get("episode_number") == n[1]), None)
        return ep if isinstance(ep, dict) else None

    def _english_plot(self, ref: dict[str, Any]) -> str | None:
        """A TMDB episode's overview in English (`_english`); None without one."""
        ep = self._english_episode(ref)
        return _overview(ep) if ep is not None else None

    def _ask(self, name: str, tvdb_id: int):
        """fanart.tv or TheTVDB (side thread, no database): (targets, error, skipped)."""
        try:
            client = self.rt.client(name)
            if client is None:
                return None, None, True
            if name == "fanart":
                return tv_candidates.from_fanart_tv(client.tv(tvdb_id)), None, False
            kinds = tv_candidates.tvdb_tv_kinds(client.artwork_types())
            record = client.series(tvdb_id, reuse=True)
            season_type = "dvd" if self.show.ordering == "tvdb:dvd" else "official"
            found = tv_candidates.from_tvdb_tv(record, kinds, client.artwork_host, season_type)
            return found, None, False
        except ProviderError as exc:
            log.warning("%s: %s unavailable: %s", self.label, name, exc)
            return None, str(exc), False

    def _tvdb_text(self, tvdb_id: int) -> dict[int, dict[str, Any]]:
        """TheTVDB's episodes by id, in `[providers.tmdb] language` where TheTVDB has it
        (side thread, no database); {} when TheTVDB cannot say (identify's text stays)."""
        try:
            client = self.rt.client("tvdb")
            if client is None:
                return {}
            language = language_code(self.rt.tmdb.config.language)
            found = client.series_episodes(tvdb_id, language=language, reuse=True)
        except ProviderError as exc:
            log.warning("%s: TheTVDB episodes unavailable: %s", self.label, exc)
            return {}
        return {e["id"]: e for e in found if isinstance(e.get("id"), int)}

    # --- items and their candidates -----------------------------------------------------------

    def _targets(self, seasons: dict[int, dict[str, Any]]) -> dict[Target, db.Movie]:
        """Which item each target is; items TMDB cannot describe get their error instead."""
        title = self.show.title or self.show.path
        targets: dict[Target, db.Movie] = {SHOW: self.show} if self.only is None else {}
        # the seasons of the show's order its matched files are in: in TheTVDB's orders one
        # TMDB may not have (Naruto's aired season 2 is TMDB's S01E07-E09), still a season
        matched = {int(r["season"]) for e in self.episodes for r in e.episode_refs}
        # and those whose files are TMDB's episodes of another season: TMDB's season of that
        # number is other episodes (Futurama's aired season 2 starts with TMDB's S01E10), its
        # name, plot, date and poster not this season's
        self.not_tmdbs = {
            int(r["season"])
            for e in self.episodes
            for r in e.episode_refs
            if (n := _tmdb(r)) and n[0] != int(r["season"])
        }
        for item in self.seasons:
            if item.season not in seasons and item.season not in matched:
                self.errors[item.id] = f"TMDB has no season {item.season} of {title}"
            else:  # without TMDB's: its name stays, its art is fanart.tv's and TheTVDB's
                targets[tv_candidates.season_target(item.season)] = item
        for item in self.episodes:
            problem = None
            for ref in item.episode_refs:
                if not _tmdb(ref):
                    continue  # only on TheTVDB: its text is in the ref
                s, e = _tmdb(ref)
                season = seasons.get(s)
                if season is None:
                    problem = f"TMDB has no season {s} of {title}"
                elif not any(ep.get("episode_number") == e for ep in season["episodes"]):
                    problem = f"TMDB has no episode S{s:02d}E{e:02d} of {title}"
                if problem:
                    break
            if problem:
                self.errors[item.id] = problem
                continue
            first = next((n for r in item.episode_refs if (n := _tmdb(r))), None)
            if first is None:
                targets[("episode", ("tvdb", item.id))] = item  # no TMDB still to look for
            else:
                targets[tv_candidates.episode_target(*first)] = item
        self.targets = targets
        return targets

    def _load(self, targets: dict[Target, db.Movie], an: Analyser) -> None:
        ids = [item.id for item in targets.values()]
        rows: dict[int, list] = {i: [] for i in ids}
        files: dict[int, list] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for r in db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie.in_(part)):
                rows[r.movie_id].append(r)
            for c in db.CacheImageFile.select().where(db.CacheImageFile.movie.in_(part)):
                files[c.movie_id].append(c)
        for item in targets.values():
            self.arts[item.id] = _ItemArt(
                self.rt, item, an, rows[item.id], files[item.id], self.config
            )

    def _hand_out(self, provider: str, found: dict[Target, list[Candidate]]) -> None:
        """Every item hears from a provider that answered (an empty list drops stale rows);
        candidates on a host not the provider's are left out (`candidates.drop_foreign`)."""
        every = [c for listed in found.values() for c in listed]
        kept = set(candidates.drop_foreign(every, self.config.providers, self.label))
        for target, item in self.targets.items():
            self.arts[item.id].add(provider, [c for c in found.get(target, []) if c in kept])

    # --- cast ---------------------------------------------------------------------------------

    def _plan_cast(self, details, seasons, an: Analyser) -> dict[int, cast.CastPlan]:
        """Item id -> its cast plan; one download per person for the whole show."""
        members: dict[int, list[CastMember]] = {}
        show_cast = tv_metadata.show_cast(details, self.config.enrich.max_actors)
        if self.only is None and CAST_LOCK not in (self.show.locked_fields or []):
            members[self.show.id] = show_cast
        regulars = {m.tmdb_id for m in show_cast}
        for target, item in self.targets.items():
            if target[0] != "episode" or CAST_LOCK in (item.locked_fields or []):
                continue
            eps = [self._episode_json(seasons, ref) for ref in item.episode_refs if _tmdb(ref)]
            members[item.id] = tv_metadata.guest_stars(eps, len(show_cast), regulars)
        everyone = {m.tmdb_id: m for group in members.values() for m in group}
        tmdb = self.rt.tmdb
        sizes = (tmdb.configuration().get("images") or {}).get("profile_sizes") or []
        size = PROFILE_SIZE if PROFILE_SIZE in sizes else "original"
        shared = cast.plan_cast(
            list(everyone.values()),
            thumb_url=lambda p: fetchable(self.config.providers, tmdb.image_url(p, "original")),
            download_url=lambda p: tmdb.image_url(p, size),
            analyser=an,
        )
        return {
            item_id: cast.CastPlan(
                group,
                {m.tmdb_id: shared.thumb_urls.get(m.tmdb_id) for m in group},
                {
                    m.tmdb_id: shared.downloads[m.tmdb_id]
                    for m in group
                    if m.tmdb_id in shared.downloads
                },
            )  # fmt: skip
            for item_id, group in members.items()
        }

    @staticmethod
    def _episode_json(seasons, ref) -> dict[str, Any]:
        s, e = _tmdb(ref)
        return next(ep for ep in seasons[s]["episodes"] if ep.get("episode_number") == e)

    # --- metadata and status ------------------------------------------------------------------

    def _finish(self, details, seasons, plans, changed, before_cast, tvdb_id) -> None:
        country = self.rt.tmdb.config.certification_country
        r = self.result
        for item_id, reason in self.errors.items():
            r.failed[item_id] = reason
            if item_id in self.asked:
                continue  # an episode asked for: its outcome, which its caller records
            db.Movie.update(last_error=reason, updated_at=db.now()).where(
                db.Movie.id == item_id
            ).execute()
            db.record_event("enrich.failed", reason, movie=item_id, level="error")
        # read again in one go (a user edit may have landed meanwhile), not one query per item
        current_items = _items_by_id([item.id for item in self.targets.values()])
        updates, to_cast = [], {}
        for target, old in self.targets.items():
            item = current_items[old.id]
            extra: dict[str, Any] = {}
            fill: dict[str, Any] = {}  # English stand-ins: only where the item has none
            if target == SHOW:
                new = tv_metadata.show_fields(details, country, self.rt.tmdb.config.language)
                fill = tv_metadata.show_english_fallback(details, new)
                fill.update((k, new[k]) for k in tv_metadata.SHOW_FILL_ONLY if new.get(k))
                ids = tv_metadata.show_ids(details)
                if ids["imdb_id"] and not item.imdb_id:
                    extra["imdb_id"] = ids["imdb_id"]
                if tvdb_id and not item.tvdb_id:
                    extra["tvdb_id"] = tvdb_id
            elif target[0] == "season":
                season = seasons.get(target[1]) if target[1] not in self.not_tmdbs else None
                new = tv_metadata.season_fields(season) if season is not None else {}
                if season is not None:
                    english = self.english.get(target[1])
                    fill = tv_metadata.season_english_fallback(new, english)
            else:
                blocks = [
                    tv_metadata.episode_detail(self._episode_json(seasons, ref), ref)
                    if _tmdb(ref)
                    else tv_metadata.tvdb_episode_detail(
                        ref, self.tvdb_text.get(ref.get("tvdb_id"))
                    )
                    for ref in item.episode_refs
                ]
                for i, ref in enumerate(item.episode_refs):  # TMDB's "Folge 5": the English
                    title = _tmdb(ref) and tv_metadata.english_title(
                        self._episode_json(seasons, ref), self._english_episode(ref)
                    )
                    if title:
                        blocks[i] = {**blocks[i], "title": title}
                english = [self._english_plot(ref) if _tmdb(ref) else None
                           for ref in item.episode_refs]  # fmt: skip
                users = (item.hints or {}).get("nfo_episodes") or []
                blocks = tv_metadata.english_plots(blocks, english, users)
                blocks = tv_metadata.keep_locked(
                    blocks,
                    list(item.episode_details or []),
                    {name: getattr(item, name) for name in DETAIL_FIELDS},
                    item.locked_fields or [],
                    users,
                )
                new = tv_metadata.episode_fields(blocks)
                if english[0] and not new["plot"]:
                    fill = {"plot": english[0]}
                if item.episode_details != blocks:
                    extra["episode_details"] = blocks
            new = {**new, **fill}
            current = {name: getattr(item, name) for name in new}
            changes = merge_fields(current, new, item.locked_fields or [], fill)
            for name, value in {**changes, **extra}.items():
                setattr(item, name, value)
            plan = plans.get(item.id)
            if plan is not None and (plan.members or target != SHOW):
                to_cast[item.id] = plan  # no cast from TMDB: keep the show's
            updates.append((target, item, changes, extra))
        if self.only is not None:  # the episodes enriched, for the line
            r.codes = ", ".join(_code(item) for t, item, _c, _e in updates if t[0] == "episode")
        self.recast = cast.apply_casts(to_cast)  # every person once, every item's roles at once
        after_casts = cast.cast_snapshots([item.id for _t, item, _c, _e in updates])
        differ = {
            item.id: bool(changes or extra)
            or changed[item.id]
            or after_casts[item.id] != before_cast[item.id]
            for _t, item, changes, extra in updates
        }
        outdated: dict[int, bool] = {}
        for target, item, _changes, _extra in updates:
            item.identification_status = db.ENRICHED
            item.enriched_at = item.updated_at = db.now()
            item.last_error = None
            # the show is published as one unit: a season or episode that changed changes it too
            shown = differ[item.id] or (target == SHOW and any(differ.values()))
            outdated[item.id] = shown and item.publish_state == db.PUBLISHED
            if outdated[item.id]:
                item.publish_state = db.OUTDATED
            item.save(only=item.dirty_fields)  # the columns set here, not all of them
        if self.only is not None and any(differ.values()):  # as the whole show's run says:
            db.mark_outdated(self.show.id)  # published as one unit, the show is "Republish?"
        self._done = (updates, outdated, differ, after_casts)

    def _record_done(self, settled: bool) -> None:
        """The result and an `enrich.done` event per item, once `settle_unit` told whether the
        show is still "Republish?" (`settled`: "Published" again, every item of it)."""
        r = self.result
        updates, outdated, differ, after_casts = self._done
        if settled:
            outdated = dict.fromkeys(outdated, False)
        events, when = [], db.now()  # an `enrich.done` event per item
        # a provider that failed is said on the show's history (each episode's, enriched
        # alone), as a movie's says it: its art and text are missing from the run
        trouble = "".join(
            f"; {provider_name(name)} failed: {why}" for name, why in r.provider_errors.items()
        )
        whole = any(target == SHOW for target, *_ in updates)
        for target, item, changes, _extra in updates:
            after_cast = after_casts[item.id]
            art = self.arts[item.id]
            differs = differ[item.id]
            sub = art.result
            for name in ("candidates", "downloaded", "rejected", "selected", "library_unselected"):
                setattr(r, name, getattr(r, name) + getattr(sub, name))
            r.outdated = r.outdated or outdated[item.id]
            r.changed = r.changed or differs
            if target == SHOW:
                r.title, r.year = item.title or "", item.year
                r.actors = len(after_cast)
                r.fields_changed = sorted(changes)
            elif target[0] == "season":
                r.seasons += 1
            else:
                r.episodes += 1
                if self.only is not None:
                    r.actors += len(after_cast)  # its guest stars
            events.append({
                "created_at": when,
                "kind": "enrich.done",
                # a season's or an episode's, enriched with its show (the show's own: "enriched")
                "message": f"enriched{' with its show' if self.only is None and target != SHOW else ''}: "
                           f"{count(changes, 'field')} updated, "
                           f"{count(sub.selected, 'image')} selected, {count(after_cast, 'actor')}"
                           f"{trouble if target == SHOW or not whole else ''}",
                "movie": item.id,
                "data": {
                    "assets_selected": sub.selected, "actors_found": len(after_cast),
                    "candidates": sub.candidates, "rejected": sub.rejected,
                    "fields_changed": sorted(changes), "provider_errors": r.provider_errors,
                    "outdated": outdated[item.id],
                },
            })  # fmt: skip
        for start in range(0, len(events), 500):  # not an INSERT per item (as publish writes)
            db.Event.insert_many(events[start : start + 500]).execute()


def _items_by_id(ids: list[int]) -> dict[int, db.Movie]:
    """Items by id, in a query per 500."""
    out: dict[int, db.Movie] = {}
    for start in range(0, len(ids), 500):
        out.update(
            (m.id, m) for m in db.Movie.select().where(db.Movie.id.in_(ids[start : start + 500]))
        )
    return out


def _overview(body: dict[str, Any]) -> str | None:
    """A TMDB season's or episode's overview; None for TMDB's `""` (none in the language)."""
    value = body.get("overview")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _code(ep: db.Movie) -> str:
    """`S01E04E05`, else the file's name."""
    if ep.season is None or not ep.episodes:
        return os.path.basename(ep.path)
    return f"S{ep.season:02d}" + "".join(f"E{n:02d}" for n in ep.episodes)
