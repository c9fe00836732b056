"""An item's publish state after a re-enrich: "Updated – Republish?" exactly when a publish now
would write something different from what was published (docs/enrich.md, "Re-enrichment")."""

from __future__ import annotations

import random

from metarrd import db, demo
from metarrd.config import ASSET_TYPES, load_config
from metarrd.enrich import enrich_item, enrich_items
from metarrd.identify import identify_many
from metarrd.pipeline.steps import after_scan_of
from metarrd.publish import preview_publish, publish_many
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.simulator import Simulator
from metarrd.simulator.artwork import person_asset

from .conftest import make_movie


def _free_ports(count: int) -> int:
    """A port with the `count - 1` after it free too (the demo's web UI, simulator, images),
    below the kernel's ephemeral range: a port the system gave (port 0) is one it gives the next
    outgoing connection too, and the other test pass's could take it between the two starts."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(10000, low - count)
        if all(demo._port_free(port + n) for n in range(count)):
            return port
    raise RuntimeError(f"no {count} free ports in a row")


def _tops() -> list[db.Movie]:
    return list(db.Movie.select().where(db.Movie.kind.in_([db.MOVIE, db.SHOW])))


def _published_demo(tmp_path, sim, movies=(), shows=()):
    """The demo's set-up for these movies and these shows' episode files: scanned, identified,
    enriched and published. Returns the open runtime."""
    demo.make_library(tmp_path / "movies", tuple(movies))
    (tmp_path / "movies").mkdir(exist_ok=True)
    episodes = tuple(e for e in demo.DEMO_EPISODES if e.split(" (")[0] in shows)
    demo.make_tv_library(tmp_path / "tv", episodes)
    config_path = tmp_path / "config.toml"
    config_path.write_text(demo.config_text(tmp_path, sim, 8787), encoding="utf-8")
    rt = open_runtime(load_config(config_path))
    report = scan(rt, None)
    todo = [s.movie_id for s in after_scan_of(rt, report, {}) if s.kind == "identify"]
    assert all(o.identified for o in identify_many(rt, todo))
    assert all(e is None for _m, _r, e in enrich_items(rt, _tops()))
    outcomes = publish_many(rt, _tops())
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert {m.publish_state for m in db.Movie.select()} == {db.PUBLISHED}
    return rt


def _state(title: str, kind: str = db.SHOW) -> str:
    return db.Movie.get(db.Movie.title == title, db.Movie.kind == kind).publish_state


def test_an_episode_changed_upstream_says_republish_on_its_show(tmp_path, simulator):
    """Only an episode changed at TMDB (its title): the episode turned "Republish?", but its
    show, the library's card and the unit that is published, still said "Published"."""
    rt = _published_demo(tmp_path, simulator, shows=("Firefly",))
    try:
        simulator.router.tv.get(1437).episode(1, 11).title = "Trash (extended)"
        (show,) = _tops()
        ((_, result, error),) = enrich_items(rt, [show])
        assert error is None
        assert preview_publish(rt, show).changes
        assert _state("Trash (extended)", db.EPISODE) == db.OUTDATED
        assert _state("Firefly") == db.OUTDATED and result.outdated
    finally:
        rt.close()


def test_a_kept_demo_started_again_re_enriches_without_republish(tmp_path):
    """`metarrd demo --dir PATH`, items published, Ctrl-C, the demo started again, Enrich: the
    simulator's image hosts used to come up on new ports, so every actor's <thumb> URL in the
    NFOs changed and every published item turned "Republish?" (and every picture was
    downloaded again) though nothing had changed."""
    port = _free_ports(5)
    demo.make_library(tmp_path / "movies", ("The Matrix (1999)",))
    demo.make_tv_library(tmp_path / "tv", tuple(e for e in demo.DEMO_EPISODES if "Firefly" in e))
    config_path = tmp_path / "config.toml"
    for run in ("first", "again"):
        with Simulator(**demo.simulator_ports(port)) as sim:
            config_path.write_text(demo.config_text(tmp_path, sim, port), encoding="utf-8")
            rt = open_runtime(load_config(config_path))
            try:
                if run == "first":
                    report = scan(rt, None)
                    todo = [
                        s.movie_id for s in after_scan_of(rt, report, {}) if s.kind == "identify"
                    ]
                    assert all(o.identified for o in identify_many(rt, todo))
                    assert all(e is None for _m, _r, e in enrich_items(rt, _tops()))
                    outcomes = publish_many(rt, _tops())
                    assert not [o for o in outcomes if isinstance(o, Exception)]
                    continue
                results = list(enrich_items(rt, _tops()))
                assert [e for _m, _r, e in results] == [None, None]
                for movie, result, _e in results:
                    assert (result.downloaded, result.outdated) == (0, False), movie.title
                    assert not preview_publish(rt, movie).changes
                states = {m.publish_state for m in db.Movie.select()}
                assert states == {db.PUBLISHED}
            finally:
                rt.close()


def _published(rt, movie) -> db.Movie:
    (outcome,) = publish_many(rt, [db.Movie.get_by_id(movie.id)])
    assert not isinstance(outcome, Exception), outcome
    movie = db.Movie.get_by_id(movie.id)
    assert movie.publish_state == db.PUBLISHED
    return movie


def test_a_tvdb_id_found_by_a_re_enrich_says_republish(rt, simulator):
    """TheTVDB was down at the first enrich (or had no key yet); the movie was published without
    a tvdb <uniqueid>. The next enrich finds the id: the NFO a publish writes now differs, but
    the movie stayed "Published" (the ids were not counted as a change)."""
    movie = make_movie(rt, locked_asset_types=list(ASSET_TYPES))  # the user's own choices
    simulator.fail_5xx(1000, prefix="/v4")
    result = enrich_item(rt, movie)
    assert "tvdb" in result.provider_errors and db.Movie.get_by_id(movie.id).tvdb_id is None
    movie = _published(rt, movie)
    simulator.reset_faults()

    result = enrich_item(rt, movie)

    movie = db.Movie.get_by_id(movie.id)
    assert movie.tvdb_id == 169 and preview_publish(rt, movie).changes
    assert movie.publish_state == db.OUTDATED and result.outdated and result.changed


def test_a_new_picture_of_an_actor_says_republish_on_their_other_movies(tmp_path, simulator):
    """Sean Young plays in Blade Runner and in Dune (1984), both published. TMDB has a new
    picture of her (or a new name: "Ellen Page" became "Elliot Page"): enriching Blade Runner
    changes the person, shared by every item she plays in, so Dune's NFO <thumb> and its
    .actors/ picture would change too, but Dune still said "Published", and its own re-enrich
    saw nothing new (the person had already changed): its library files stayed stale."""
    rt = _published_demo(tmp_path, simulator, movies=("Blade Runner (1982)", "Dune (1984)"))
    try:
        catalog = simulator.catalog
        catalog.people["Sean Young"] = person_asset("Sean Young, 2026", headliner=True)
        catalog.images[catalog.people["Sean Young"].key] = catalog.people["Sean Young"]
        blade_runner = db.Movie.get(db.Movie.title == "Blade Runner")
        assert enrich_item(rt, blade_runner).outdated
        dune = db.Movie.get(db.Movie.title == "Dune")
        assert preview_publish(rt, dune).changes
        assert dune.publish_state == db.OUTDATED
        assert not enrich_item(rt, dune).changed  # (nothing new for Dune itself)
        assert db.Movie.get_by_id(dune.id).publish_state == db.OUTDATED
    finally:
        rt.close()


def test_a_rating_the_nfo_shows_the_same_stays_published(rt, simulator):
    """Someone changed their vote at TMDB: The Matrix went from 8.218 to 8.216 on as many
    votes. The NFO shows the rating to one decimal, 8.2 both times, so a publish would write
    the same files; the movie said "Republish?" all the same. A rating the NFO shows
    differently (8.26: 8.3) still does."""
    matrix = simulator.catalog.get(603)
    movie = make_movie(rt)
    enrich_item(rt, movie)
    movie = _published(rt, movie)

    matrix.vote_average = 8.216
    result = enrich_item(rt, movie)

    movie = db.Movie.get_by_id(movie.id)
    assert movie.rating == 8.216 and not preview_publish(rt, movie).changes
    assert movie.publish_state == db.PUBLISHED and not result.outdated
    event = db.Event.select().where(db.Event.kind == "enrich.done").order_by(-db.Event.id).get()
    assert event.data["outdated"] is False and "republish" not in event.message

    matrix.vote_average = 8.26
    assert enrich_item(rt, movie).outdated
    assert db.Movie.get_by_id(movie.id).publish_state == db.OUTDATED


def test_a_choice_undone_is_published_again_at_the_next_enrich(tmp_path, simulator):
    """Another poster for Breaking Bad, then Undo: the files are the published ones again, but
    the show kept saying "Republish?" (the undo marks it, web/edits.py), and the next enrich,
    which changed nothing, left it so."""
    from metarrd.enrich.choices import change_selection
    from metarrd.web import edits

    rt = _published_demo(tmp_path, simulator, shows=("Breaking Bad",))
    try:
        show = db.Movie.get(db.Movie.title == "Breaking Bad", db.Movie.kind == db.SHOW)
        A = db.ArtworkCandidate
        before = edits.selection_snapshot(show.id, "poster")
        other = A.get(A.movie == show.id, A.asset_type == "poster", ~A.is_selected)
        change_selection(rt.config, other.id, "use")
        assert _state("Breaking Bad") == db.OUTDATED
        edits.restore_selection(show.id, edits.read_snapshot(before))
        assert not preview_publish(rt, show).changes

        ((_, result, error),) = enrich_items(rt, [show])

        assert error is None and not result.outdated
        assert {m.publish_state for m in db.Movie.select()} == {db.PUBLISHED}
    finally:
        rt.close()


def test_a_new_episode_in_a_published_show_says_republish_on_the_show(tmp_path, simulator):
    """Sonarr put a new episode into a published show; scanned, identified and enriched with
    its show, it has no NFO yet, but the show's card still said "Published"."""
    rt = _published_demo(tmp_path, simulator, shows=("Firefly",))
    try:
        demo.make_tv_library(tmp_path / "tv", ("Firefly (2002)/Season 01/Firefly - S01E02.mkv",))
        report = scan(rt, None)
        todo = [s.movie_id for s in after_scan_of(rt, report, {}) if s.kind == "identify"]
        assert todo and all(o.identified for o in identify_many(rt, todo))
        (show,) = _tops()

        ((_, result, error),) = enrich_items(rt, [show])

        assert error is None and preview_publish(rt, show).changes
        assert _state("Firefly") == db.OUTDATED and result.outdated
    finally:
        rt.close()


def _check_watched(monkeypatch) -> list[bool]:
    """Each look whether an item's library files are what a publish would write, as whether it
    was made inside a database transaction (there it held the write lock while it read them)."""
    from metarrd.publish import settle

    seen: list[bool] = []
    real = settle.written_as_wanted

    def watched(rt_, item):
        seen.append(db.database.in_transaction())
        return real(rt_, item)

    monkeypatch.setattr(settle, "written_as_wanted", watched)
    return seen


def test_a_re_enrich_reads_the_movies_files_outside_the_write_transaction(
    rt, simulator, monkeypatch
):
    """A re-enrich that changed nothing a publish would write looked at the published files
    inside its last write transaction: on a slow NFS server the web UI and the other jobs
    waited as long. It reads them outside; the movie is "Published" again all the same."""
    matrix = simulator.catalog.get(603)
    matrix.vote_average = 8.218  # the simulator's catalog is shared with the tests before
    movie = make_movie(rt)
    enrich_item(rt, movie)
    movie = _published(rt, movie)
    seen = _check_watched(monkeypatch)

    matrix.vote_average = 8.216  # the NFO's 8.2 all the same
    result = enrich_item(rt, movie)

    assert seen == [False]
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED and not result.outdated
    event = db.Event.select().where(db.Event.kind == "enrich.done").order_by(-db.Event.id).get()
    assert event.data["outdated"] is False


def test_a_shows_re_enrich_reads_its_files_outside_the_write_transaction(
    tmp_path, simulator, monkeypatch
):
    """The same for a show (its episodes' files, hundreds for a long show): a choice undone,
    then an enrich that changes nothing reads them outside the write lock, and the show and
    every item of it are "Published" again."""
    from metarrd.enrich.choices import change_selection
    from metarrd.web import edits

    rt = _published_demo(tmp_path, simulator, shows=("Breaking Bad",))
    try:
        show = db.Movie.get(db.Movie.title == "Breaking Bad", db.Movie.kind == db.SHOW)
        A = db.ArtworkCandidate
        before = edits.selection_snapshot(show.id, "poster")
        other = A.get(A.movie == show.id, A.asset_type == "poster", ~A.is_selected)
        change_selection(rt.config, other.id, "use")
        edits.restore_selection(show.id, edits.read_snapshot(before))
        assert _state("Breaking Bad") == db.OUTDATED
        seen = _check_watched(monkeypatch)

        ((_, result, error),) = enrich_items(rt, [show])

        assert error is None and not result.outdated
        assert seen == [False]
        assert {m.publish_state for m in db.Movie.select()} == {db.PUBLISHED}
    finally:
        rt.close()


def test_a_re_enrich_on_a_hung_library_mount_ends_and_stays_to_republish(
    rt, simulator, monkeypatch
):
    """A published movie re-enriched while its library's hard NFS mount hung (a stat that
    never returns): the look whether its files were what a publish would write hung the job,
    holding the database's write lock, until the mount came back. It is not made: the enrich
    ends and the movie stays "Updated – Republish?". The hang is a stat, lstat, scandir and
    listdir of the library made to wait on an Event, as in tests/web/test_hung_mount.py."""
    import threading

    from tests.conftest import hard_mount

    matrix = simulator.catalog.get(603)
    matrix.vote_average = 8.218
    movie = make_movie(rt)
    enrich_item(rt, movie)
    movie = _published(rt, movie)
    db.mark_outdated(movie.id)  # an edit, put back: only the files can tell
    root = rt.config.library[0].path
    mount = hard_mount(monkeypatch, root)
    release, hanging = mount.release, mount.hanging
    outcome: list = []
    job = threading.Thread(target=lambda: outcome.append(enrich_item(rt, movie)), daemon=True)
    try:
        hanging.set()
        job.start()
        job.join(30)
        assert not job.is_alive(), "the enrich hung on the library's mount"
    finally:
        release.set()
        job.join()
    assert outcome and db.Movie.get_by_id(movie.id).publish_state == db.OUTDATED


def test_a_re_enrich_looks_at_its_cached_pictures_outside_the_write_transaction(rt, monkeypatch):
    """A re-enrich looked whether each picture of the item it had cached was still there (a
    stat each) inside its write transaction: with the image cache on a slow NFS server (`[cache]
    dir`, docs/scale-out.md), the web UI and every other job waited for every stat. They are
    made before it."""
    import os

    movie = make_movie(rt)
    enrich_item(rt, movie)
    cache_dir = str(rt.config.cache_dir)
    inside: list[str] = []
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        named = isinstance(path, (str, os.PathLike))  # not a file descriptor
        if named and os.fspath(path).startswith(cache_dir) and db.database.in_transaction():
            inside.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert inside == []


def test_an_item_never_published_is_settled_with_one_small_query(rt, monkeypatch):
    """`settle_unit` runs after every enrich and every edit in the UI; an item not "Updated –
    Republish?" (never published: a whole library's first `enrich --all`) has nothing to settle.
    It read the item's whole row (some 60 columns) before asking that; now one EXISTS answers,
    and the row is read only for a unit that may be settled."""
    from metarrd.publish import settle_unit

    from .test_candidate_store import statements

    movie = make_movie(rt)
    with statements(monkeypatch) as seen:
        assert settle_unit(rt, movie.id) is False
        assert settle_unit(rt, movie.id + 1000) is False  # gone meanwhile
    assert len(seen) == 2 and all(sql.startswith("SELECT EXISTS") for sql in seen), seen


def test_an_item_removed_while_its_mounts_are_looked_at_is_not_settled(rt, simulator, monkeypatch):
    """A published movie "Republish?" is merged away or removed (a rescan, a Radarr delete)
    while `settle_unit` asks whether its library and the cache answer: it read the row again
    with `get_by_id`, and the enrich or the web edit that called it failed on the missing row."""
    from metarrd import mounts
    from metarrd.publish import settle_unit

    movie = make_movie(rt)
    enrich_item(rt, movie)
    movie = _published(rt, movie)
    db.mark_outdated(movie.id)
    real = mounts.library_unanswered

    def removed_meanwhile(root):
        db.Movie.delete().where(db.Movie.id == movie.id).execute()
        return real(root)

    monkeypatch.setattr(mounts, "library_unanswered", removed_meanwhile)
    assert settle_unit(rt, movie.id) is False
