"""Crash safety for real: publishing processes killed with SIGKILL at random instants.

Between runs the selection, the cast and the plot change, and now and then the "user" drops
their own file at a target name or edits one of ours. After every kill:
- every library file is whole: its bytes are one of the images, one of the NFOs rendered for a
  state so far, or a user's file (never partial, never empty);
- no user file is lost: it is still in the folder, or in the cache with a `library` row;
- every ledger row stands for a whole file, and a row whose recorded lstat still matches the
  file (a republish trusts it without reading) holds that file's SHA-256.
Every tenth run, and at the end, an uninterrupted publish must complete the exact layout.
Run with one movie per publish, and with three movies in one batch (`publish_many`: one pair
of durability barriers for all three).

Set METARRD_CRASH_SEED to replay a failing sequence.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metarrd import db
from metarrd.atomic import TEMP_MARKER
from metarrd.publish import layout, movie_data, preview_publish
from metarrd.publish.layout import KEEP
from metarrd.publish.nfo import render_nfo

KILLS = 200
MAX_RUNS = 700
WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Zygote:
    @staticmethod
    def settings(config) -> dict:
        """The worker's configuration, as the test's."""
        return {
            "data_dir": config.data_dir,
            "library": [{"name": lib.name, "path": lib.path} for lib in config.library],
            "providers": {
                "timeout_seconds": 5.0,
                "max_retries": 0,
                # the test's image server, standing for TMDB's image host
                "tmdb": {"image_hosts": list(config.providers.tmdb.image_hosts)},
            },
            "database": {"url": config.database.url},  # the test's backend (PostgreSQL or "")
        }

    def __init__(self, config, stderr: Path) -> None:
        raw = self.settings(config)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.stderr = open(stderr, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(raw)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
        )
        assert self.ask("") == "ready"

    def ask(self, line: str) -> str:
        if line:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def run(self, movie_ids: list[int], kill_after: float | None) -> tuple[str, float]:
        """Publish in a forked child; SIGKILL it after `kill_after` seconds (None: let it end)."""
        started = time.monotonic()
        pid = int(self.ask(f"publish {' '.join(map(str, movie_ids))}"))
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)  # a zombie that already ended ignores it
        outcome = self.ask(f"wait {pid}")
        return outcome, time.monotonic() - started

    def close(self) -> None:
        self.ask("quit")
        self.proc.wait(timeout=10)
        self.stderr.close()


class World:
    """The movie, its possible states, and everything the checks need to know."""

    def __init__(self, rt, built, kit, rng: random.Random) -> None:
        self.rt, self.built, self.kit, self.rng = rt, built, kit, rng
        self.movie_id = built.movie.id
        self.assets = [a for assets in built.selected.values() for a in assets]
        self.roles = {
            r.actor_id: (r.role, r.order)
            for r in db.MovieActor.select().where(db.MovieActor.movie == self.movie_id)
        }
        self.image_shas = {sha(b) for b in built.images.values()}
        self.nfo_shas: set[str] = set()
        self.user_files: set[str] = set()
        self.version = 0

    def change_state(self) -> None:
        self.version += 1
        rng = self.rng
        by_type: dict[str, list] = {}
        for a in self.assets:
            by_type.setdefault(a.asset_type, []).append(a)
        with db.database.atomic():
            for asset_type, assets in by_type.items():
                keep = rng.sample(
                    assets, rng.randint(1 if asset_type == "poster" else 0, len(assets))
                )
                for a in assets:
                    rank = keep.index(a) + 1 if a in keep else None
                    db.ArtworkCandidate.update(is_selected=a in keep, rank=rank).where(
                        db.ArtworkCandidate.id == a.id
                    ).execute()
            db.MovieActor.delete().where(db.MovieActor.movie == self.movie_id).execute()
            for actor_id, (role, order) in self.roles.items():
                if rng.random() < 0.7:
                    db.MovieActor.create(
                        movie=self.movie_id, actor=actor_id, role=role, order=order
                    )
            db.Movie.update(plot=f"Plot, version {self.version}.").where(
                db.Movie.id == self.movie_id
            ).execute()
        self.nfo_shas.add(sha(render_nfo(movie_data(db.Movie.get_by_id(self.movie_id)))))

    def interfere(self) -> None:
        """The user drops a file at a target name, or edits one of ours."""
        folder, base = self.built.folder, self.built.base
        data = self.kit.image_bytes("poster", self.rng.choice(["jpeg", "png"]))
        choice = self.rng.random()
        if choice < 0.4:
            target = folder / layout.art_name(base, "poster", self.rng.randint(1, 3), "jpg")
        elif choice < 0.7:
            (folder / ".actors").mkdir(exist_ok=True)
            target = folder / ".actors" / "Keanu_Reeves.jpg"
        else:
            target = folder / f"{base}.nfo"
            data = f"<movie><title>user edit {self.rng.random()}</title></movie>\n".encode()
        if target.exists():  # the user overwrites their own earlier file: that one is gone
            self.user_files.discard(sha(target.read_bytes()))
        target.write_bytes(data)
        self.user_files.add(sha(data))

    def library_files(self) -> dict[Path, bytes]:
        out = {}
        for directory in (self.built.folder, self.built.folder / ".actors"):
            if directory.is_dir():
                for p in directory.iterdir():
                    if p.is_file() and not p.name.startswith(TEMP_MARKER) and p.suffix != ".mkv":
                        out[p] = p.read_bytes()
        return out

    def check_whole_and_nothing_lost(self, context: str) -> None:
        present = set()
        for path, data in self.library_files().items():
            digest = sha(data)
            present.add(digest)
            assert digest in self.image_shas | self.nfo_shas | self.user_files, (
                f"{context}: {path.name} is not a whole known file ({len(data)} bytes)"
            )
        for digest in self.user_files - present:
            row = db.CacheImageFile.get_or_none(
                db.CacheImageFile.file_hash == digest, db.CacheImageFile.source_type == "library"
            )
            assert row is not None, f"{context}: a user file vanished without a cache copy"
            assert sha(Path(row.file_path).read_bytes()) == digest, context
        for entry in db.LibraryFile.select().where(db.LibraryFile.movie == self.movie_id):
            name = Path(entry.path).name
            whole = self.image_shas | self.nfo_shas
            # "" only for a new path whose write was under way (`pending_sha256`)
            assert entry.sha256 in whole | ({""} if entry.pending_sha256 else set()), name
            assert entry.pending_sha256 in whole | {None}, f"{context}: ledger {name}"
            try:
                st = os.lstat(entry.path)
            except FileNotFoundError:
                continue  # removed, its row not yet dropped: the next publish forgets it
            if (st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (
                entry.size,
                entry.mtime_ns,
                entry.ctime_ns,
            ):
                data = Path(entry.path).read_bytes()
                assert sha(data) == entry.sha256, f"{context}: ledger trusts a changed {name}"

    def check_complete(self, context: str) -> None:
        """The exact layout for the current state, and nothing left to do."""
        folder, base = self.built.folder, self.built.base
        expected: dict[Path, bytes] = {}
        selected = (
            db.ArtworkCandidate.select()
            .where(db.ArtworkCandidate.movie == self.movie_id, db.ArtworkCandidate.is_selected)
            .order_by(db.ArtworkCandidate.asset_type, db.ArtworkCandidate.rank)
        )
        ranks: dict[str, int] = {}
        for a in selected:
            ranks[a.asset_type] = ranks.get(a.asset_type, 0) + 1
            ext = layout.ext_for_format(a.format)
            name = layout.art_name(base, a.asset_type, ranks[a.asset_type], ext)
            expected[folder / name] = self.built.images[a.url]
        for role in db.MovieActor.select().where(db.MovieActor.movie == self.movie_id):
            actor = role.actor
            data = self.built.images.get(actor.name)
            if data:
                ext = "png" if data.startswith(b"\x89PNG") else "jpg"
                expected[layout.actor_path(folder, actor.name, ext)] = data
        movie = db.Movie.get_by_id(self.movie_id)
        expected[folder / f"{base}.nfo"] = render_nfo(movie_data(movie))
        actual = self.library_files()
        for path in set(actual) - set(expected):  # the user's own, at a name we do not use now
            assert sha(actual.pop(path)) in self.user_files, f"{context}: {path.name} is extra"
        assert sorted(actual) == sorted(expected), context
        for path, data in expected.items():
            assert actual[path] == data, f"{context}: {path.name} differs"
        temps = [p for p in folder.rglob(f"{TEMP_MARKER}*")]
        assert temps == [], f"{context}: temp files left: {temps}"
        plan = preview_publish(self.rt, movie)
        assert {a.action for a in plan.actions if a.action != "leave"} == {KEEP}, context
        assert movie.publish_state == db.PUBLISHED and movie.last_error is None, context
        rows = db.LibraryFile.select().where(db.LibraryFile.movie == self.movie_id)
        ledger = {Path(e.path): e.sha256 for e in rows}
        assert ledger == {p: sha(d) for p, d in expected.items()}, context


CAST = [
    ("Keanu Reeves", "Neo", "jpeg"),
    ("Carrie-Anne Moss", "Trinity", "jpeg"),
    ("Laurence Fishburne", "Morpheus", "png"),
    ("Hugo Weaving", "Agent Smith", "jpeg"),
    ("Joe Pantoliano", "Cypher", "jpeg"),
    ("Gloria Foster", "Oracle", None),
]


@pytest.mark.slow
@pytest.mark.parametrize("batch", [1, 3])
def test_sigkill_at_random_points_never_breaks_or_loses_a_file(
    rt, build, kit, image_server, tmp_path, batch
):
    seed = int(os.environ.get("METARRD_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    worlds = []
    for n in range(batch):
        built = build(
            "The Matrix (1999)" if n == 0 else f"The Matrix {n + 1} (200{n + 2})",
            art={"poster": ["jpeg"] * 4, "fanart": ["jpeg"] * 4, "clearlogo": ["png", "png"]},
            cast=CAST,
        )
        # Publishing drops unselected images from the cache; selected again, they are
        # downloaded again: from here.
        for asset in [a for assets in built.selected.values() for a in assets]:
            asset.url = image_server.serve(f"art/{asset.id}", built.images[asset.url])
            built.images[asset.url] = image_server.files[f"/art/{asset.id}"]
            db.ArtworkCandidate.update(url=asset.url).where(
                db.ArtworkCandidate.id == asset.id
            ).execute()
        worlds.append(World(rt, built, kit, rng))
    ids = [w.movie_id for w in worlds]
    zygote = Zygote(rt.config, tmp_path / "worker.log")
    try:
        for world in worlds:
            world.change_state()
        outcome, took = zygote.run(ids, None)
        assert outcome == "exit 0", (tmp_path / "worker.log").read_text()
        durations = [took]  # of whole publishes: the kills land within a typical one
        for world in worlds:
            world.check_complete(f"seed {seed}, first publish")
        kills = runs = 0
        while kills < KILLS and runs < MAX_RUNS:
            runs += 1
            context = f"seed {seed}, run {runs}"
            for world in worlds:
                if rng.random() < 0.6:
                    world.change_state()
                if rng.random() < 0.1:
                    world.interfere()
            whole = runs % 10 == 0
            typical = statistics.median(durations[-15:])
            outcome, took = zygote.run(ids, None if whole else rng.uniform(0, typical))
            if outcome == f"signal {signal.SIGKILL}":
                kills += 1
            else:
                assert outcome == "exit 0", f"{context}: {(tmp_path / 'worker.log').read_text()}"
                durations.append(took)
            for world in worlds:
                world.check_whole_and_nothing_lost(context)
                if whole:
                    world.check_complete(context)
        assert kills >= KILLS, f"seed {seed}: only {kills} of {runs} runs were killed in time"
        outcome, _ = zygote.run(ids, None)
        assert outcome == "exit 0"
        for world in worlds:
            world.check_whole_and_nothing_lost(f"seed {seed}, final")
            world.check_complete(f"seed {seed}, final")
        assert any(world.user_files for world in worlds), "the run never planted a user file"
    finally:
        zygote.close()
