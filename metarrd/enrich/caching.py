"""Selecting an item's artwork and putting the selection into the cache (ENRICH, step 4).

`select_and_cache` applies the pure selection (metarrd/selection.py: locks and the user's
choices win, near-duplicates collapse, top N per type) to the `provider_assets` rows, then
downloads every selected image in full (candidates are analysed from a small rendition and their
header only, analysis.py) and moves it into the content-addressed cache. The whole file is checked
against what the probe said: when its real size or format differs (the provider's size or the
header lied), the row takes the real facts, is scored again and selection runs again. An image
that cannot be cached gives its place up (never the user's own choice) and selection runs again
too, at most CACHE_ROUNDS times. Placing runs in the analyser's workers without touching the
database; the rows are written here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from metarrd import cache, db
from metarrd.config import LIBRARY_SOURCE, Config
from metarrd.enrich.analysis import Analyser, AnalysisResult, own_disk_error
from metarrd.enrich.candidate_store import (
    as_pick,
    image_info,
    in_cache,
    insert_all,
    read_choices,
    save_all,
    score_rows,
    set_changed,
    take_info,
    users_choice,
)
from metarrd.enrich.selection import select

log = logging.getLogger(__name__)

CACHE_ROUNDS = 3


def select_and_cache(
    config: Config,
    movie_id: int,
    rows: dict[tuple[str, str], db.ArtworkCandidate],
    outcomes: dict[str, AnalysisResult],
    an: Analyser,
    label: str,
    unsaved: Iterable[db.ArtworkCandidate] = (),
) -> None:
    """Select, then cache the selection; an image that cannot be cached gives its place up.

    `outcomes` (url -> download and analysis) gains the images fetched once more. `unsaved`:
    rows whose changes (the last analyses) are written in the first selection's transaction,
    one write transaction less."""
    placing = _Placing(config, movie_id, rows, outcomes, an, label)
    for round_ in range(CACHE_ROUNDS):
        placing.select(unsaved)
        unsaved = ()
        if not placing.cache_selected(final=round_ == CACHE_ROUNDS - 1):
            break


class _Placing:
    def __init__(
        self,
        config: Config,
        movie_id: int,
        rows: dict[tuple[str, str], db.ArtworkCandidate],
        outcomes: dict[str, AnalysisResult],
        an: Analyser,
        label: str,
    ):
        self.config = config
        self.movie_id = movie_id
        self.rows = rows
        self.outcomes = outcomes
        self.an = an
        self.label = label

    def select(self, unsaved: Iterable[db.ArtworkCandidate] = ()) -> None:
        """Select and save the selection (with `unsaved`'s changes) in one write transaction.
        The selection is made before it, from the rows and the item's locks as they were then.
        Inside, the user's part is read again (`read_choices`: who chose each row, its rank, the
        locks) and the selection made again only if the user changed it meanwhile (a choice, a
        removal, an Undo, a lock): the lock is held to write, and the rows are saved from memory.
        A row deleted meanwhile (the item forgotten) leaves the enrich's rows."""
        rows = list(self.rows.values())
        picks = [as_pick(r) for r in rows]
        locked = self._locked()
        decisions = select(picks, self.config.artwork.limits, locked or [])
        with db.write_transaction():
            save_all(unsaved)
            before = [(r.is_selected, r.selected_by, r.rank) for r in rows]
            now = read_choices(self.movie_id, rows)
            changed = before != [(r.is_selected, r.selected_by, r.rank) for r in rows]
            if now.gone:
                for r in rows:
                    if r.id in now.gone:
                        del self.rows[(r.asset_type, r.url)]
                rows = [r for r in rows if r.id not in now.gone]
            if changed or now.gone or now.locked != set(locked or ()):
                picks = [as_pick(r) for r in rows]
                decisions = select(picks, self.config.artwork.limits, now.locked)
            self._apply(rows, decisions)

    def _locked(self) -> list[str] | None:
        M = db.Movie  # its locks may have changed meanwhile: read them, not the whole row (a
        # show's every season and episode asks; 60 columns cost 8x one in SQL and row building)
        return M.select(M.locked_asset_types).where(M.id == self.movie_id).scalar()

    def _apply(self, rows: list[db.ArtworkCandidate], decisions: list) -> None:
        for row, d in zip(rows, decisions, strict=True):
            if d.locked:
                continue
            if d.selected and not row.is_selected:
                row.selected_at = db.now()
            set_changed(row, is_selected=d.selected, selected_by=d.selected_by, rank=d.rank)
            if row.duplicate_of_id != d.duplicate_of:
                row.duplicate_of = d.duplicate_of
        save_all(rows)

    def cache_selected(self, final: bool = False) -> int:
        """Put every selected image into the cache; returns how many could not be, or turned
        out other than probed (both call for another selection, unless this round is `final`)."""
        todo = [
            r
            for r in self.rows.values()
            if r.is_selected
            and r.provider != LIBRARY_SOURCE
            and not (r.is_downloaded and in_cache(self.config.cache_dir, r))
        ]
        refetch = {  # the picture is known (its rendition): check the file, no decode
            r.url: self.an.fetch(r.url, r.provider, phash=r.perceptual_hash)
            for r in todo
            if not in_cache(self.config.cache_dir, r) and not self._downloaded_now(r)
        }
        for url, future in refetch.items():  # analysed earlier, chosen now: fetch it once more
            self.outcomes[url] = future.result()
        if todo:  # the user may have removed some while they were fetched: not put in the cache
            gone = read_choices(self.movie_id, todo).gone
            todo = [r for r in todo if r.is_selected and r.id not in gone]
        groups: dict[str, list[db.ArtworkCandidate]] = {}
        failed = 0
        rescore = []
        for row in todo:
            outcome = self.outcomes.get(row.url)
            fresh = outcome and outcome.ok and outcome.info.sha256 != row.content_hash
            if fresh and self._measured(row, outcome):
                rescore.append(row)
                if not final and row.selected_by != "user":
                    failed += 1  # placed in the next round if it keeps its place
                    continue
            groups.setdefault(row.url, []).append(row)
        if rescore:
            with db.write_transaction():
                score_rows(rescore, self.config.artwork)
        placing = [self.an.submit(self._place, rows) for rows in groups.values()]
        results = [result for future in placing for result in future.result()]
        with db.write_transaction():
            # the user may have removed or chosen pictures, or locked a type, while they were
            # fetched: their choices as stored now, kept (the rows are saved from memory)
            failing = [row for row, _target, reason in results if reason]
            locked = read_choices(self.movie_id, failing).locked if failing else set()
            for row, _target, reason in results:
                if reason:
                    row.rejected_reason = f"could not be cached: {reason}"
                    row.analyzed = False  # tried again at the next enrich
                    log.warning("%s: %s not cached: %s", self.label, row.asset_type, reason)
                    if not users_choice(row, locked):  # the user's choice stays as made
                        failed += 1
                        set_changed(row, is_selected=False, rank=None, selected_by=None)
                else:
                    set_changed(row, is_downloaded=True)
            self._ensure_cache_rows(
                [(row, target) for row, target, reason in results if not reason]
            )
            save_all(row for row, _target, _reason in results)
        return failed + self._taken_meanwhile(results)

    def _taken_meanwhile(self, results: list[tuple]) -> int:
        """How many placed images are gone from the cache now that their rows are written: the
        same picture was there already (another item's, or a download of ours that one item of
        a show moved in), which `move_into` and `in_cache` relied on, and a clean-up
        (`cache.remove_unused` after an item went, a publish's `drop_unselected`) took it before
        our rows named it. Fetched and placed again in the next round; our rows name it now, so
        no clean-up removes it any more (both look under the write lock). In the last round, the
        publish downloads it again (`sources.asset_image`)."""
        taken = 0
        for row, target, reason in results:
            if reason or target.is_file():
                continue
            taken += 1
            log.info(
                "%s: %s removed from the cache meanwhile: placed again", self.label, row.asset_type
            )
            self.outcomes.pop(row.url, None)  # the bytes went with it: downloaded again
            self.an.forget(row.url)
        return taken

    def _measured(self, row: db.ArtworkCandidate, outcome: AnalysisResult) -> bool:
        """Take the whole file's facts; True when they contradict the probe (to score again)."""
        probed = (row.width, row.height, row.format)
        take_info(row, outcome.info)
        if probed == (row.width, row.height, row.format):
            return False
        log.info(
            "%s: %s from %s is %dx%d %s, not %sx%s %s as probed: scored again",
            self.label, row.asset_type, row.provider, row.width, row.height, row.format, *probed,
        )  # fmt: skip
        return True

    def _downloaded_now(self, row: db.ArtworkCandidate) -> bool:
        outcome = self.outcomes.get(row.url)
        return bool(outcome and outcome.ok and (outcome.path or outcome.cached) is not None)

    def _place(self, rows: list[db.ArtworkCandidate]) -> list[tuple]:
        """Move one download into the cache for each of its rows (in a worker; no database)."""
        results = []
        for row in rows:
            # items of a show share one Analyser and so one download of a picture they all
            # offer (a show's and its seasons' fanart): one item moves it, the others copy
            with self.an.placing(row.url):
                results.append(self._place_one(row))
        return results

    def _place_one(self, row: db.ArtworkCandidate) -> tuple:
        outcome = self.outcomes.get(row.url)
        if in_cache(self.config.cache_dir, row):
            target = cache.cache_path(self.config.cache_dir, row.asset_type, image_info(row))
            return row, target, None
        if outcome is None or not outcome.ok:
            return row, None, outcome.reason if outcome else "not downloaded"
        try:
            if outcome.path is not None:
                target = cache.move_into(
                    self.config.cache_dir, row.asset_type, outcome.path, outcome.info
                )
                outcome.path, outcome.cached = None, target
            elif outcome.cached is not None:  # moved in under another type: a copy
                target = cache.store(
                    self.config.cache_dir, row.asset_type, outcome.cached, outcome.info
                )
            else:
                raise FileNotFoundError("the download is gone")
        except OSError as exc:
            own = own_disk_error(exc)
            if own is not None:
                raise own from None
            return row, None, f"cannot write to the cache: {exc}"
        return row, target, None

    def _ensure_cache_rows(self, placed: list[tuple[db.ArtworkCandidate, Path]]) -> None:
        """A `cache_image_files` row of the item for each placed image it has none for (one
        read, one insert)."""
        if not placed:
            return
        query = db.CacheImageFile.select(
            db.CacheImageFile.image_type, db.CacheImageFile.file_hash
        ).where(
            (db.CacheImageFile.movie == self.movie_id)
            & db.CacheImageFile.actor.is_null()
            & db.CacheImageFile.file_hash.in_(sorted({row.content_hash for row, _ in placed}))
        )
        known = set(query.tuples())
        new = []
        for row, target in placed:
            if (row.asset_type, row.content_hash) in known:
                continue
            known.add((row.asset_type, row.content_hash))
            new.append({
                "movie": self.movie_id, "image_type": row.asset_type, "file_path": str(target),
                "file_hash": row.content_hash, "perceptual_hash": row.perceptual_hash,
                "file_size": row.file_size or 0, "width": row.width, "height": row.height,
                "format": row.format, "source_type": "provider", "source_url": row.url,
                "provider_name": row.provider,
            })  # fmt: skip
        insert_all(db.CacheImageFile, new)
