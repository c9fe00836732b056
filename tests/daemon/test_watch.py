"""The file watcher: settle time, scopes, what is ignored (our temp files, what PUBLISH writes),
and a real inotify/polling watcher on a temp library."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

from metarrd import db, workflow
from metarrd.atomic import TEMP_MARKER
from metarrd.pipeline import jobs
from metarrd.pipeline.watch import Settler, Watcher, collapse, is_ignored, root_of, scope_for
from tests.conftest import HUNG_LOOK_SECONDS

ROOT = "/srv/movies"


def test_settler_waits_until_size_stops_changing():
    sizes = {"/m/a.mkv": (10, 1)}
    s = Settler(5.0, stat=lambda p: sizes.get(p))
    s.note("/m/a.mkv", now=0.0)
    assert s.ready(4.9) == []
    sizes["/m/a.mkv"] = (20, 2)  # still copying
    assert s.ready(5.0) == []
    assert s.ready(9.9) == []
    assert s.ready(10.0) == ["/m/a.mkv"]
    assert s.pending == {}


def test_settler_reports_a_vanished_path_once_it_stayed_gone():
    s = Settler(2.0, stat=lambda p: None)
    s.note("/m/gone.mkv", now=0.0)
    assert s.ready(1.0) == []
    assert s.ready(2.0) == ["/m/gone.mkv"]


def test_root_of_takes_the_longest_root():
    assert root_of("/srv/movies/4k/a.mkv", ["/srv/movies", "/srv/movies/4k"]) == "/srv/movies/4k"
    assert root_of("/srv/moviesX/a.mkv", ["/srv/movies"]) is None


def test_ignored_paths():
    assert is_ignored(f"{ROOT}/M/{TEMP_MARKER}1234-M.nfo", ROOT)
    assert is_ignored(f"{ROOT}/M/.actors/Keanu_Reeves.jpg", ROOT)
    assert not is_ignored(f"{ROOT}/M/M.mkv", ROOT)


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        (f"{ROOT}/The Matrix (1999)/The Matrix (1999).mkv", f"{ROOT}/The Matrix (1999)"),
        (f"{ROOT}/loose.mkv", ROOT),
        (f"{ROOT}/Disc (2001)/VIDEO_TS/VTS_01_1.VOB", f"{ROOT}/Disc (2001)"),
        (f"{ROOT}/Blu (2010)/BDMV/STREAM/00001.m2ts", f"{ROOT}/Blu (2010)"),
        (f"{ROOT}/Flat Blu (2011)/STREAM/00001.m2ts", f"{ROOT}/Flat Blu (2011)"),  # index.bdmv
        (f"{ROOT}/Stacked (1990)/CD2/movie.avi", f"{ROOT}/Stacked (1990)"),
    ],
)
def test_scope_is_the_movie_folder(path, scope):
    assert scope_for(path, ROOT) == scope


def test_collapse():
    assert collapse([f"{ROOT}/A", f"{ROOT}/A/sub", f"{ROOT}/B"], ROOT) == [f"{ROOT}/A", f"{ROOT}/B"]
    assert collapse([f"{ROOT}/A", ROOT], ROOT) == [ROOT]
    assert collapse([f"{ROOT}/{i}" for i in range(5)], ROOT, limit=4) == [ROOT]


# --- the watcher, driven by hand (no threads, a fake clock) --------------------------------------


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture
def manual_watcher(rt):
    clock = Clock()
    calls: list = []
    w = Watcher(rt.config, enqueue=calls.append, clock=clock)
    return w, clock, calls, Path(rt.config.library[0].path)


def test_a_new_file_is_scanned_once_settled(manual_watcher):
    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"
    folder.mkdir()
    video = folder / "Heat (1995).mkv"
    video.write_bytes(b"x" * 100)
    w.handle("added", str(video))
    clock.t = 1.0
    video.write_bytes(b"x" * 200)  # still growing
    w.handle("modified", str(video))
    assert w.tick() is None
    clock.t = 1.0 + w.settler.settle
    assert w.tick() == [str(folder)]
    assert calls == [[str(folder)]]
    assert w.tick() is None


def test_publish_output_never_triggers_a_scan(manual_watcher):
    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"
    (folder / ".actors").mkdir(parents=True)
    for name in ("Heat (1995).nfo", "Heat (1995)-poster.jpg", f"{TEMP_MARKER}ab12-x.nfo"):
        (folder / name).write_bytes(b"x")
        w.handle("added", str(folder / name))
    st = (folder / "Heat (1995).nfo").stat()  # the ledger's record of the NFO publish wrote
    db.LibraryFile.create(
        path=str(folder / "Heat (1995).nfo"), kind="nfo", sha256="-", size=st.st_size,
        mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns,
    )  # fmt: skip
    (folder / ".actors" / "Al_Pacino.jpg").write_bytes(b"x")
    w.handle("added", str(folder / ".actors" / "Al_Pacino.jpg"))
    w.handle("modified", str(folder))
    clock.t = 100.0
    assert w.tick() is None and calls == []


def test_a_copied_folder_is_found_even_without_file_events(manual_watcher):
    w, clock, calls, root = manual_watcher
    folder = root / "Alien (1979)"
    (folder / "Sample").mkdir(parents=True)
    (folder / "Alien (1979).mkv").write_bytes(b"x")
    (folder / "Sample" / "sample.mkv").write_bytes(b"x")
    w.handle("added", str(folder))
    clock.t = 100.0
    assert w.tick() == [str(folder)]


@pytest.mark.parametrize("how", ["files", "folder"])
@pytest.mark.parametrize(
    "disc",
    [
        ("VIDEO_TS.IFO", "VTS_01_0.IFO", "VTS_01_1.VOB", "VTS_01_2.VOB"),
        ("index.bdmv", "PLAYLIST/00800.mpls", "STREAM/00800.m2ts", "STREAM/00801.m2ts"),
    ],
)
def test_a_disc_copied_without_its_video_ts_or_bdmv_folder_is_scanned(manual_watcher, how, disc):
    # A DVD's or Blu-ray's files in the movie folder itself (`VIDEO_TS.IFO` beside the VOBs,
    # `index.bdmv` beside STREAM/: discs the walk and Kodi take as such): before, neither their
    # stream files (not in a VIDEO_TS or BDMV folder) nor the folder copied in counted as a
    # video, so the disc waited for the next full rescan (a day by default).
    w, clock, calls, root = manual_watcher
    folder = root / "Alien (1979)"
    for name in disc:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
        if how == "files":
            w.handle("added", str(folder / name))
    if how == "folder":
        w.handle("added", str(folder))
    clock.t = 100.0
    assert w.tick() == [str(folder)]


def _tv_watcher(config_factory, root: Path) -> tuple[Watcher, Clock, list]:
    """A watcher of one TV library at `root`, on a clock the test moves, and what it enqueued."""
    from metarrd.runtime import open_runtime

    config = config_factory(library=[{"name": "TV", "path": str(root), "kind": "tv"}])
    open_runtime(config).close()
    clock = Clock()
    calls: list = []
    return Watcher(config, enqueue=calls.append, clock=clock), clock, calls


def test_in_a_tv_library_the_episode_rules_decide(config_factory, tmp_path):
    """ "Trailer Park Boys" episodes and an "Extras" show are news in a TV library (the movie
    rules dropped them, so the watcher never scanned them); a show's sample is not."""
    root = tmp_path / "tv"
    w, clock, calls = _tv_watcher(config_factory, root)
    season = root / "Trailer Park Boys" / "Season 1"
    extras = root / "Extras (2005)"
    for folder, name in (
        (season, "Trailer.Park.Boys.S01E01.DVDRip.XviD.avi"),
        (season, "Trailer.Park.Boys.S01E02.sample.avi"),
        (extras, "Extras - S01E01.mkv"),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
        w.handle("added", str(folder / name))
    clock.t = 100.0
    assert w.tick() == sorted([str(season), str(extras)])


def test_in_a_tv_library_what_the_scan_skips_queues_no_scan(config_factory, tmp_path):
    """A show's extras (`Shorts`, `Clips`, `Other`, `Scenes`, as the TV scan skips them, beside
    `Featurettes` and the rest) and a `... - sample` file: before, the watcher queued a scan of
    them, which the scan then ignored. `Specials` is season 0: scanned."""
    root = tmp_path / "tv"
    w, clock, calls = _tv_watcher(config_factory, root)
    show = root / "Doctor Who (2005)"
    for rel in (
        "Featurettes/Confidential.mkv",
        "Behind The Scenes/Making of.mkv",
        "Shorts/Time Crash.mkv",
        "Clips/Clip.mkv",
        "Other/Prequel.mkv",
        "Season 1/Scenes/Scene 1.mkv",
    ):
        (show / rel).parent.mkdir(parents=True, exist_ok=True)
        (show / rel).write_bytes(b"x")
        w.handle("added", str(show / rel))
    shorts = show / "Season 2" / "Shorts"  # a folder copied in whole
    shorts.mkdir(parents=True)
    (shorts / "Pudsey Cutaway.mkv").write_bytes(b"x")
    w.handle("added", str(shorts.parent))
    clock.t = 100.0
    assert w.tick() is None and calls == []

    special = show / "Specials" / "Doctor Who - S00E01 - The Christmas Invasion.mkv"
    special.parent.mkdir()
    special.write_bytes(b"x")
    w.handle("added", str(special))
    clock.t = 200.0
    assert w.tick() == [str(special.parent)]


def test_in_a_movie_library_what_the_walk_skips_queues_no_scan(manual_watcher):
    """`Shorts`, `Other`, `Clips`... beside a movie are its extras (the walk does not enter them),
    and a `Shorts` folder of the library's own is a category: the watcher judges them as the
    walk does. Before, a short in `Heat (1995)/Shorts/` queued a scan of that folder, which took
    it for a movie (and the next full scan marked it missing)."""
    w, clock, calls, root = manual_watcher
    heat = root / "Heat (1995)"
    for rel in ("Heat (1995).mkv", "Shorts/Short.mkv", "Other/Other.mkv", "Extras/x.mkv",
                "Heat (1995)-trailer.mkv", "Featurettes/Making of.mkv"):  # fmt: skip
        (heat / rel).parent.mkdir(parents=True, exist_ok=True)
        (heat / rel).write_bytes(b"x")
    clock.t = 100.0  # the movie is known and settled
    for rel in ("Shorts/Short.mkv", "Other/Other.mkv", "Extras/x.mkv",
                "Featurettes/Making of.mkv"):  # fmt: skip
        w.handle("added", str(heat / rel))
    clock.t = 200.0
    assert w.tick() is None and calls == []

    paperman = root / "Shorts" / "Paperman (2012)" / "Paperman (2012).mkv"
    paperman.parent.mkdir(parents=True)
    paperman.write_bytes(b"x")
    w.handle("added", str(paperman))
    clock.t = 300.0
    assert w.tick() == [str(paperman.parent)]


def test_a_trailer_or_sample_added_to_a_known_folder_is_listed_as_skipped_now(rt, fake_stages):
    """A trailer copied beside a known movie was listed under Settings, Libraries only at the
    next scan of its folder: the watcher took no notice of a video the scan leaves out. Its
    folder is scanned now (not the library), and its deletion takes it off the list."""
    from metarrd.scan import skipped_by_name

    root = Path(rt.config.library[0].path)
    heat = root / "Heat (1995)"
    heat.mkdir()
    (heat / "Heat (1995).mkv").write_bytes(b"\0" * 4096)
    (root / "Alien (1979)").mkdir()
    (root / "Alien (1979)" / "Alien (1979).mkv").write_bytes(b"\0" * 4096)
    jobs.enqueue_scan(None)
    library = db.Library.get()
    assert skipped_by_name([library.id]) == {}

    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    trailer = heat / "Heat (1995)-trailer.mkv"
    trailer.write_bytes(b"x")
    w.handle("added", str(trailer))
    clock.t = 100.0
    assert w.tick() == [str(heat)]
    (entry,) = skipped_by_name([library.id])[library.id]["entries"]
    assert entry[0] == "Heat (1995)/Heat (1995)-trailer.mkv" and "a trailer" in entry[1]

    trailer.unlink()
    w.handle("deleted", str(trailer))
    clock.t = 200.0
    assert w.tick() == [str(heat)]
    assert skipped_by_name([library.id]) == {}

    loose = root / "sample.mkv"  # in the library's root: no walk of the whole library for it
    loose.write_bytes(b"x")
    w.handle("added", str(loose))
    clock.t = 300.0
    assert w.tick() is None


def test_in_a_tv_library_a_skipped_episode_file_queues_a_scan_of_its_folder(
    config_factory, tmp_path
):
    """A sample or trailer in a season folder: its folder is scanned, so the skipped list shows
    it; one in a show's extras folder (already listed as a folder) is not."""
    root = tmp_path / "tv"
    w, clock, calls = _tv_watcher(config_factory, root)
    season = root / "Doctor Who (2005)" / "Season 1"
    season.mkdir(parents=True)
    for name in ("Doctor Who - S01E01 - Rose - sample.mkv", "Doctor Who - S01E01-trailer.mkv"):
        (season / name).write_bytes(b"x")
        w.handle("added", str(season / name))
    (season.parent / "Featurettes").mkdir()
    (season.parent / "Featurettes" / "Making of-trailer.mkv").write_bytes(b"x")
    w.handle("added", str(season.parent / "Featurettes" / "Making of-trailer.mkv"))
    (root / "sample.mkv").write_bytes(b"x")  # a TV root's file is no show's
    w.handle("added", str(root / "sample.mkv"))
    clock.t = 100.0
    assert w.tick() == [str(season)]


def test_a_deleted_movie_folder_is_its_own_scope(manual_watcher, make_movie, rt):
    """Not the library's root: a walk of the whole library for one folder gone."""
    w, clock, calls, root = manual_watcher
    movie = make_movie(rt, "Gone (2000)")
    folder = Path(movie.path).parent
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    w.handle("deleted", str(folder))
    w.handle("deleted", str(root / "not ours"))
    clock.t = 100.0
    assert w.tick() == [str(folder)]


def test_scanning_off_ignores_changes(manual_watcher):
    w, clock, calls, root = manual_watcher
    workflow.set_stage("scanning", False)
    (root / "a.mkv").write_bytes(b"x")
    w.handle("added", str(root / "a.mkv"))
    clock.t = 100.0
    assert w.tick() is None and calls == []


# --- real watchers -----------------------------------------------------------------------------


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _watched(w, timeout=60.0):
    """Until every watch of `w` is live (a change made before that is never reported: the
    inotify watches, or the polling's first snapshot, are not there yet). A set time was too
    short on a loaded machine; `timeout` only bounds a hang."""
    assert _wait_for(lambda: all(e.is_set() for e in w.watching.values()), timeout), w.status()


@contextlib.contextmanager
def _real_watcher(config_factory, *libraries, then=None, full_scan_now=False):
    """A real watcher (inotify, or polling where a library asks for it) on `libraries`
    (`[[library]]` tables; the default "Movies" when none), settling in 0.3 s, with no periodic
    rescan: (the watcher, every scope it queued, in order). `then(paths)` runs after each is
    queued. Started without its start-up rescan unless `full_scan_now`; stopped at the end."""
    from metarrd.runtime import open_runtime

    config = config_factory(
        **({"library": list(libraries)} if libraries else {}),
        daemon={"settle_seconds": 0.3, "full_rescan_hours": 0},
    )
    rt = open_runtime(config)
    calls: list = []

    def enqueue(paths):
        calls.append(paths)
        if then is not None:
            then(paths)

    w = Watcher(config, enqueue=enqueue)
    w.start(full_scan_now=full_scan_now)
    try:
        yield w, calls
    finally:
        w.stop()
        rt.close()


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "polling"])
def test_real_watcher_sees_a_copied_movie(config_factory, poll, tmp_path):
    root = tmp_path / "movies"
    with _real_watcher(
        config_factory, {"name": "Movies", "path": str(root), "poll": poll, "poll_seconds": 1}
    ) as (w, calls):
        _watched(w)
        folder = root / "Heat (1995)"
        folder.mkdir()
        (folder / "Heat (1995).nfo").write_text("<movie/>")
        (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))
        assert _wait_for(lambda: calls), "the new movie was never scanned"
        assert calls == [[str(folder)]]


@pytest.mark.parametrize("stack", ["files", "folders"])
@pytest.mark.parametrize("deleted", [1, 2], ids=["cd1", "cd2"])
def test_a_stack_part_deleted_under_the_real_watcher_leaves_its_movie(
    config_factory, fake_stages, tmp_path, stack, deleted
):
    """`Magnolia (1999) cd1.avi` + `cd2.avi` (or `CD1/`, `CD2/`) are one item, named by its
    first part. A part deleted under the real watcher: it queues a scan of the movie's folder
    (never the gone part alone, which names no item, or names the whole stack), and the item
    stays, with its id and the part left, named by it."""
    import shutil

    from tests.conftest import two_cd_rip
    from tests.daemon.conftest import _runtime

    rt = _runtime(config_factory, True)
    root = Path(rt.config.library[0].path)
    folder = root / "Magnolia (1999)"
    parts = two_cd_rip(folder, stack)
    jobs.enqueue_scan(None)
    (item,) = db.Movie.select()
    assert item.parts == list(map(str, parts))
    gone = parts[deleted - 1] if stack == "files" else parts[deleted - 1].parent
    left = parts[2 - deleted]
    try:
        with _real_watcher(config_factory) as (w, calls):
            _watched(w)
            shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
            assert _wait_for(lambda: calls), "the deleted part was never reported"
            assert calls == [[str(folder)]]
            jobs.enqueue_scan(calls[0])  # what the daemon's watcher queues (`watch._enqueue_scan`)
            moved = db.Movie.get_by_id(item.id)
            assert (moved.path, moved.parts, moved.missing) == (str(left), [str(left)], False)
            assert db.Movie.select().count() == 1
    finally:
        rt.close()


def test_a_symlinked_folder_leading_out_of_the_library_queues_no_scan(config_factory, tmp_path):
    """watchfiles' inotify watcher follows symlinked folders (it has no way not to): a link in
    the library to a folder outside every library (`Elsewhere -> /srv/downloads`, or `/`) made
    each change there a scan of `Movies/Elsewhere/...`, which the walk never enters
    (`follow_symlinks = false`) and the scan refused as led out, over and over. Seen with a
    real watcher: the change out there came as `<root>/Elsewhere/<name>`."""

    root, outside = tmp_path / "movies", tmp_path / "downloads"
    root.mkdir()
    outside.mkdir()
    (root / "Elsewhere").symlink_to(outside)
    with _real_watcher(config_factory, {"name": "Movies", "path": str(root)}) as (w, calls):
        _watched(w)
        (outside / "Alien (1979).mkv").write_bytes(os.urandom(1000))
        time.sleep(1.0)  # reported (or not) before the film below
        folder = root / "Heat (1995)"
        folder.mkdir()
        (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))
        assert _wait_for(lambda: [str(folder)] in calls), "the new movie was never scanned"
        time.sleep(0.5)
        assert calls == [[str(folder)]]


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "polling"])
def test_the_start_up_rescan_waits_until_the_library_is_watched(config_factory, poll, tmp_path):
    """A movie copied in just after the start-up rescan walked its folder is seen by the watcher:
    that rescan is enqueued once the watches are live. (Enqueued before them, the change fell
    between the two, and the item kept a path that no longer existed: the soak test, 1 in 20.)"""
    root = tmp_path / "movies"
    root.mkdir()
    folder = root / "Heat (1995)"

    def copy_in(paths):
        if paths is None:  # the rescan has walked the library: now the user copies a movie in
            folder.mkdir()
            (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))

    library = {"name": "Movies", "path": str(root), "poll": poll, "poll_seconds": 1}
    with _real_watcher(config_factory, library, then=copy_in, full_scan_now=True) as (w, calls):
        # (the watches set up first, as long as `_watched` allows them)
        assert _wait_for(lambda: [str(folder)] in calls, 60), f"never scanned: {calls}"
        assert calls[0] is None
        assert w.watching["poll-Movies" if poll else "watch"].is_set()


# --- supervision: a watcher thread that dies is restarted, and says so --------------------------


def test_a_library_holding_a_name_that_is_not_utf8_is_still_watched(config_factory, tmp_path):
    """watchfiles' inotify dies at every start on such a name ("Unable to decode path"):
    the watcher falls back to polling and still sees a new movie."""
    root = tmp_path / "movies"
    root.mkdir()
    os.mkdir(os.fsencode(root) + b"/Caf\xe9 (2001)")
    with _real_watcher(
        config_factory, {"name": "Movies", "path": str(root), "poll_seconds": 1}
    ) as (w, calls):
        _watched(w)  # by polling: inotify refused the name before it watched anything
        folder = root / "Heat (1995)"
        folder.mkdir()
        (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))
        assert _wait_for(lambda: [str(folder)] in calls), "the new movie was never scanned"
        assert set(w.status().values()) == {"ok"}


def test_a_watcher_thread_that_dies_is_restarted_with_a_catch_up_scan(
    config_factory, tmp_path, monkeypatch
):
    from metarrd.pipeline import watch
    from metarrd.runtime import open_runtime

    monkeypatch.setattr(watch, "RESTART_FIRST_SECONDS", 0.5)
    config = config_factory(daemon={"settle_seconds": 0.3, "full_rescan_hours": 0})
    rt = open_runtime(config)
    calls: list = []
    w = Watcher(config, enqueue=calls.append)
    deaths = []

    def dies_once(libs, polling, watching):
        if not deaths:
            deaths.append(1)
            raise RuntimeError("Unable to decode path")  # as watchfiles does while polling
        w._now_watching(watching)
        w.stop_event.wait()

    monkeypatch.setattr(w, "_watch_source", dies_once)
    w.start(full_scan_now=False)
    try:
        seen: list[str] = []
        assert _wait_for(
            lambda: seen.append(w.status().get("watch", "")) or "restarting" in seen[-1]
        )
        assert "Unable to decode path" in seen[-1]
        assert _wait_for(lambda: w.status()["watch"] == "ok" and calls == [None])
        assert w.restarts == 1
    finally:
        w.stop()
        rt.close()


@pytest.mark.parametrize("order", ["from-first", "to-first"])
def test_a_folder_moved_to_another_library_keeps_its_item(config_factory, fake_stages, tmp_path,
                                                          order):  # fmt: skip
    """`mv "Movies/Heat (1995)" "Movies 4K/"`: the watcher sees the folder leave one library and
    arrive in the other, one scan for both. Each library was scanned on its own, and a move was
    only looked for among the scanned library's items: the movie became a new, unidentified
    item in the other library, and the old one, with the user's choices and locks, stayed
    missing. Whichever library the scan walks first, the item follows its file."""
    from tests.daemon.conftest import _runtime

    movies, uhd = tmp_path / "movies", tmp_path / "movies4k"
    libraries = [{"name": "Movies", "path": str(movies)}, {"name": "4K", "path": str(uhd)}]
    rt = _runtime(config_factory, True,
                  library=libraries if order == "from-first" else libraries[::-1])  # fmt: skip
    for root in (movies, uhd):
        root.mkdir(exist_ok=True)
    heat = movies / "Heat (1995)"
    heat.mkdir()
    (heat / "Heat (1995).mkv").write_bytes(b"\0" * 4096)
    jobs.enqueue_scan(None)
    (movie,) = db.Movie.select()
    db.Movie.update(
        identification_status=db.ENRICHED, tmdb_id=949, title="Heat", locked_fields=["title"]
    ).where(db.Movie.id == movie.id).execute()
    fake_stages.calls.clear()

    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    heat.rename(uhd / heat.name)
    w.handle("deleted", str(heat))
    w.handle("added", str(uhd / heat.name))
    clock.t = 100.0
    assert w.tick() == sorted([str(heat), str(uhd / heat.name)])
    assert db.Job.select().where(db.Job.kind == "scan").count() == 2  # the first full scan, this
    (item,) = db.Movie.select()
    new = uhd / "Heat (1995)" / "Heat (1995).mkv"
    assert (item.id, item.path, item.missing) == (movie.id, str(new), False)
    assert item.library.name == "4K"
    assert (item.tmdb_id, item.title, item.locked_fields) == (949, "Heat", ["title"])
    assert fake_stages.calls == []
    rt.close()


def test_an_upgrade_copied_in_slowly_is_scanned_once_it_is_complete(rt, fake_stages, make_movie):
    """Radarr's upgrade (UpgradeMediaFileService.UpgradeMovieFile) deletes the old file, then
    moves the new one in: across file systems a copy that takes minutes. The deleted file settled
    first and its folder was scanned with the new file half-copied: a new item from a partial
    file, the old item missing; the webhook's Download that names the upgrade, sent once the
    copy is done, then found the new path taken, and the user's item stayed missing. Now the
    folder waits until the copy has settled too, and is scanned once."""
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Remux-2160p.mkv")
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    scans = db.Job.select().where(db.Job.kind == "scan")
    old.unlink()
    w.handle("deleted", str(old))
    with open(new, "wb") as out:
        for t in (0.1, 2.0, 4.0, 6.0, 8.0):  # growing for 8 s, settle_seconds is 5
            clock.t = t
            out.write(b"\0" * 1024)
            out.flush()
            os.utime(new, ns=(int(t * 1e9) + 10**18,) * 2)  # an mtime that moves on
            w.handle("modified", str(new))
            w.tick()
    assert scans.count() == 0 and not db.Movie.get_by_id(movie.id).missing
    clock.t = 9.0
    jobs.enqueue_scan([str(old.parent)], renames={str(old): str(new)})  # the webhook's Download
    clock.t = 8.0 + w.settler.settle
    assert w.tick() == [str(old.parent)]
    assert scans.count() == 2
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing, item.tmdb_id) == (movie.id, str(new), False, 949)


def test_a_tick_with_nothing_settled_looks_at_no_path_still_settling(rt, fake_stages, monkeypatch):
    """A copy of thousands of files keeps them all settling for a while: a tick that has nothing
    ready must not find each one's scope (a stat of each, every tick) to hold nothing back."""
    folder = Path(rt.config.library[0].path) / "Big Copy"
    folder.mkdir()
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    for n in range(50):
        video = folder / f"Movie {n} (2001).mkv"
        video.write_bytes(b"\0")
        w.handle("added", str(video))
    looked: list[str] = []
    scope = w._scope
    monkeypatch.setattr(w, "_scope", lambda path: looked.append(path) or scope(path))
    clock.t = 1.0
    assert w.tick() is None
    assert looked == []


def _a_published_heat(rt, name: str) -> Path:
    """`Heat (1995)/<name>`, scanned, then identified, locked and published as the user left it."""
    folder = Path(rt.config.library[0].path) / "Heat (1995)"
    folder.mkdir()
    video = folder / name
    video.write_bytes(b"\0" * 4096)
    jobs.enqueue_scan(None)
    db.Movie.update(
        identification_status=db.ENRICHED, tmdb_id=949, locked_fields=["title"],
        publish_state=db.PUBLISHED,
    ).execute()  # fmt: skip
    return video


def _renamed_under_the_watcher(rt, old: Path, new: Path) -> list[str] | None:
    """`old` renamed to `new` as the watcher sees it (a delete, an add), settled: its scopes."""
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    old.rename(new)
    w.handle("deleted", str(old))
    w.handle("added", str(new))
    clock.t = 100.0
    return w.tick()


def test_a_movie_file_renamed_in_its_folder_keeps_its_item(rt, fake_stages):
    """A file renamed where it is (`heat.1995.1080p.mkv` to `Heat (1995).mkv` by a renamer, or
    Radarr without the webhook): same folder, same size and mtime, a new name. The scan took it
    for a new movie, identified afresh, and the old item with the user's choices went missing.
    Its published NFO bears the old name: "Updated – Republish?", as after a webhook's rename."""
    old = _a_published_heat(rt, "heat.1995.1080p.bluray.x264.mkv")
    folder, new = old.parent, old.parent / "Heat (1995).mkv"
    (movie,) = db.Movie.select()
    fake_stages.calls.clear()
    assert _renamed_under_the_watcher(rt, old, new) == [str(folder)]
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing) == (movie.id, str(new), False)
    assert (item.tmdb_id, item.locked_fields, fake_stages.calls) == (949, ["title"], [])
    assert item.publish_state == db.OUTDATED  # its NFO is named after the old file


def test_a_movie_file_upgraded_in_its_folder_keeps_its_item(rt, fake_stages):
    """An upgrade without the webhook: Radarr (or the user) deletes `Heat.1995.720p.mkv` and
    puts `Heat.1995.1080p.mkv` in its place, another size and mtime. It was a new movie,
    identified afresh, and the old item with the user's locks went missing; now the item
    follows the new file, as the webhook's upgrade makes it."""
    old = _a_published_heat(rt, "Heat.1995.720p.BluRay.x264-GRP.mkv")
    folder, new = old.parent, old.parent / "Heat.1995.1080p.mkv"
    (movie,) = db.Movie.select()
    fake_stages.calls.clear()
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    old.unlink()
    w.handle("deleted", str(old))
    new.write_bytes(b"\0" * 8192)
    w.handle("added", str(new))
    clock.t = 100.0
    assert w.tick() == [str(folder)]
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing, item.size) == (movie.id, str(new), False, 8192)
    assert (item.tmdb_id, item.locked_fields, fake_stages.calls) == (949, ["title"], [])
    assert item.publish_state == db.OUTDATED  # its NFO is named after the old file


def test_an_episode_file_renamed_in_its_folder_keeps_its_item(config_factory, fake_stages,
                                                              tmp_path):  # fmt: skip
    """Sonarr without its webhook, or a renamer, renames `severance.s01e01.1080p.mkv` to
    `Severance - S01E01 - Good News.mkv` where it is: the episode took a new item and the
    old one, with what the user set on it, went missing, as for a movie."""
    from tests.daemon.conftest import _runtime

    root = tmp_path / "tv"
    root.mkdir()
    rt = _runtime(config_factory, True, library=[{"name": "TV", "path": str(root), "kind": "tv"}])
    season = root / "Severance" / "Season 1"
    season.mkdir(parents=True)
    old, new = season / "severance.s01e01.1080p.web.mkv", season / "Severance - S01E01.mkv"
    old.write_bytes(b"\0" * 4096)
    jobs.enqueue_scan(None)
    (episode,) = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    db.Movie.update(title="Good News About Hell", locked_fields=["title"]).where(
        db.Movie.id == episode.id
    ).execute()
    assert _renamed_under_the_watcher(rt, old, new) == [str(season)]
    (item,) = db.Movie.select().where(db.Movie.kind == db.EPISODE)
    assert (item.id, item.path, item.missing) == (episode.id, str(new), False)
    assert (item.title, item.locked_fields) == ("Good News About Hell", ["title"])
    rt.close()


def test_a_renamed_or_deleted_movie_folder_is_scanned_without_walking_the_library(rt, fake_stages):
    """A movie folder renamed (`Heat` to `Heat (1995)`) or deleted made the watcher walk the
    whole library (the vanished folder's parent, its root): one folder's change cost a walk of
    thousands on a NAS. Now the scan walks the folder it went to and finds the item there; a
    folder gone marks its items missing. Also when the old folder's scan ran first (the two
    changes settled a tick apart): the item, marked missing, follows its file."""
    root = Path(rt.config.library[0].path)
    for name in ("Heat", "Alien (1979)", "Up (2009)"):
        (root / name).mkdir()
        (root / name / f"{name}.mkv").write_bytes(name.encode() * 1000)
    jobs.enqueue_scan(None)
    heat, alien, up = (db.Movie.get(db.Movie.title.startswith(n)) for n in ("Heat", "Alien", "Up"))
    clock = Clock()
    w = Watcher(rt.config, clock=clock)

    def last_scan():
        return db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc()).get()

    (root / "Heat").rename(root / "Heat (1995)")
    w.handle("deleted", str(root / "Heat"))
    w.handle("added", str(root / "Heat (1995)"))
    clock.t = 10.0
    assert w.tick() == [str(root / "Heat"), str(root / "Heat (1995)")]
    assert last_scan().message.startswith("1 video: 0 new")  # the new folder alone was walked
    item = db.Movie.get_by_id(heat.id)
    assert (item.path, item.missing) == (str(root / "Heat (1995)" / "Heat.mkv"), False)

    for f in (root / "Alien (1979)").iterdir():
        f.unlink()
    (root / "Alien (1979)").rmdir()
    w.handle("deleted", str(root / "Alien (1979)"))
    clock.t = 20.0
    assert w.tick() == [str(root / "Alien (1979)")]
    assert last_scan().message == "1 items marked missing"
    assert db.Movie.get_by_id(alien.id).missing

    (root / "Up (2009)").rename(root / "Up")
    w.handle("deleted", str(root / "Up (2009)"))
    clock.t = 30.0
    assert w.tick() == [str(root / "Up (2009)")]
    assert db.Movie.get_by_id(up.id).missing
    w.handle("added", str(root / "Up"))
    clock.t = 40.0
    assert w.tick() == [str(root / "Up")]
    item = db.Movie.get_by_id(up.id)
    assert (item.path, item.missing) == (str(root / "Up" / "Up (2009).mkv"), False)
    assert db.Movie.select().count() == 3


def test_a_library_whose_share_is_gone_marks_nothing_missing(rt, fake_stages, make_movie):
    """The share not mounted (its root gone): neither a scan of the library (the Settings
    button) nor one of a folder in it takes its movies for gone."""
    movie = make_movie(rt, "Heat (1995)")
    root = Path(rt.config.library[0].path)
    root.rename(root.with_name("unmounted"))
    for scope in (root, root / "Heat (1995)"):
        jobs.enqueue_scan([str(scope)])
        assert not db.Movie.get_by_id(movie.id).missing


# --- NFOs: the user's (another tool's) edits are scanned, what PUBLISH wrote is not -------------

NFOS = Path(__file__).resolve().parents[1] / "nfo"  # real NFOs of other tools (SOURCES.md)
MEDIA = Path(__file__).resolve().parents[1] / "media"


def test_an_nfo_written_by_another_tool_is_scanned_once_settled(manual_watcher):
    """tinyMediaManager (or MediaElch, or Jellyfin) writes `Alien (1979).nfo` beside a movie
    metarrd knows: the watcher took only videos, and the NFO waited for the daily rescan."""
    w, clock, calls, root = manual_watcher
    folder = root / "Alien (1979)"
    folder.mkdir()
    (folder / "Alien (1979).mkv").write_bytes(b"x")
    nfo = folder / "Alien (1979).nfo"
    nfo.write_bytes((NFOS / "mediaelch-kodi_v18_Alien_1979.nfo").read_bytes())
    w.handle("added", str(nfo))
    clock.t = 1.0
    w.handle("modified", str(nfo))
    assert w.tick() is None  # still settling
    clock.t = 1.0 + w.settler.settle
    assert w.tick() == [str(folder)]
    assert calls == [[str(folder)]]


def test_a_tvshow_and_a_season_nfo_edited_elsewhere_are_scanned(config_factory, tmp_path):
    root = tmp_path / "tv"
    w, clock, calls = _tv_watcher(config_factory, root)
    show = root / "Torchwood"
    season = show / "Season 01"
    season.mkdir(parents=True)
    (season / "Torchwood.S01E01.mkv").write_bytes(b"x")
    (show / "tvshow.nfo").write_bytes((NFOS / "mediaelch-kodi_v18_show_Torchwood.nfo").read_bytes())
    (season / "season.nfo").write_bytes((NFOS / "jellyfin-Season-01.nfo").read_bytes())
    w.handle("modified", str(show / "tvshow.nfo"))
    w.handle("added", str(season / "season.nfo"))
    (root / "stray.nfo").write_bytes(b"x")  # in no show: nothing a scan reads
    w.handle("added", str(root / "stray.nfo"))
    clock.t = 100.0
    assert w.tick() == [str(show)]


def test_an_nfo_where_the_scan_does_not_go_queues_no_scan(manual_watcher):
    w, clock, calls, root = manual_watcher
    for rel in ("Heat (1995)/Featurettes/making-of.nfo", "Heat (1995)/notes.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
        w.handle("added", str(root / rel))
    clock.t = 100.0
    assert w.tick() is None and calls == []


def _published_alien(rt) -> Path:
    """`Alien (1979)` beside MediaElch's NFO, scanned, identified and published: our NFO."""
    from metarrd.publish import publish_item
    from metarrd.scan import scan

    folder = Path(rt.config.library[0].path) / "Alien (1979)"
    folder.mkdir()
    (folder / "Alien (1979).mkv").write_bytes((MEDIA / "h264_aac_2audio_sub.mkv").read_bytes())
    (folder / "Alien (1979).nfo").write_bytes(
        (NFOS / "mediaelch-kodi_v18_Alien_1979.nfo").read_bytes()
    )
    scan(rt)
    db.Movie.update(identification_status=db.ENRICHED, tmdb_id=348).execute()
    publish_item(rt, db.Movie.get())
    return folder


def test_what_publish_wrote_queues_no_scan_and_a_later_edit_of_it_does(rt, monkeypatch):
    """A publish renames its temp files onto the NFO (and art): the watcher sees the temp file
    come and go and the NFO appear. Ours by the ledger's size and mtime: no scan. The user then
    edits our NFO in a text editor: a scan of the folder."""
    from metarrd import atomic

    temps: list[Path] = []
    real = atomic.temp_path_for
    monkeypatch.setattr(atomic, "temp_path_for", lambda t, *a: temps.append(p := real(t, *a)) or p)
    folder = _published_alien(rt)
    nfo = folder / "Alien (1979).nfo"
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(nfo)) is not None
    clock = Clock()
    calls: list = []
    w = Watcher(rt.config, enqueue=calls.append, clock=clock)
    assert any(t.name.endswith(".nfo") for t in temps)
    for tmp in temps:  # as inotify reports a write through a temp file renamed into place
        w.handle("added", str(tmp))
        w.handle("modified", str(tmp))
        w.handle("deleted", str(tmp))
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(".mkv"):
                continue  # not written by the publish
            w.handle("added", os.path.join(dirpath, name))
            w.handle("modified", os.path.join(dirpath, name))
    clock.t = 100.0
    assert w.tick() is None and calls == []

    with open(nfo, "ab") as out:  # the user's edit: size and mtime are no longer ours
        out.write(b"<!-- edited -->\n")
    w.handle("modified", str(nfo))
    clock.t = 200.0
    assert w.tick() == [str(folder)]


def test_an_nfo_publish_is_still_renaming_queues_no_scan(manual_watcher):
    """The ledger row of a write under way (`pending_sha256`: renamed, not yet recorded): the
    file is ours by its content."""
    import hashlib

    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"
    folder.mkdir()
    nfo = folder / "Heat (1995).nfo"
    nfo.write_bytes(b"<movie><title>Heat</title></movie>")
    db.LibraryFile.create(
        path=str(nfo), kind="nfo", sha256="", size=0,
        pending_sha256=hashlib.sha256(nfo.read_bytes()).hexdigest(),
    )  # fmt: skip
    w.handle("added", str(nfo))
    clock.t = 100.0
    assert w.tick() is None and calls == []


@pytest.mark.parametrize("recorded", ["pending", "settled"])
def test_a_link_put_at_our_nfo_is_neither_followed_nor_taken_for_ours(
    manual_watcher, tmp_path, monkeypatch, recorded
):
    """Our NFO replaced by a symbolic link to a file out of the library holding the same
    bytes: a publish writes no link, so it is not ours (its folder is scanned), and what it
    leads to is neither opened nor looked at. The watcher followed it and hashed the file
    outside, taking the link for the NFO it wrote."""
    import hashlib

    import metarrd.pipeline.watch as watch

    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"
    folder.mkdir()
    nfo = folder / "Heat (1995).nfo"
    data = b"<movie><title>Heat</title></movie>"
    outside = tmp_path / "elsewhere" / "Heat (1995).nfo"
    outside.parent.mkdir()
    outside.write_bytes(data)
    os.utime(outside, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    nfo.symlink_to(outside)
    sha = hashlib.sha256(data).hexdigest()
    if recorded == "pending":  # renamed, not yet recorded: ours by its content
        db.LibraryFile.create(path=str(nfo), kind="nfo", sha256="", size=0, pending_sha256=sha)
    else:  # recorded after the write: ours by its size and mtime
        db.LibraryFile.create(
            path=str(nfo), kind="nfo", sha256=sha, size=len(data),
            mtime_ns=1_700_000_000_123_456_789,
        )  # fmt: skip
    opened: list[str] = []
    real_hash = watch.sha256_file
    monkeypatch.setattr(
        watch, "sha256_file", lambda p, **kw: opened.append(str(p)) or real_hash(p, **kw)
    )
    w.handle("added", str(nfo))
    clock.t = 100.0
    assert w.tick() == [str(folder)]
    assert opened == []


def test_a_fifo_at_our_nfo_does_not_block_the_watcher(manual_watcher):
    """A FIFO put where the ledger records our NFO is no file of ours: never opened (an open
    for reading would wait for a writer), its folder scanned."""
    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"
    folder.mkdir()
    nfo = folder / "Heat (1995).nfo"
    os.mkfifo(nfo)
    db.LibraryFile.create(path=str(nfo), kind="nfo", sha256="", size=0, pending_sha256="0" * 64)
    w.handle("added", str(nfo))
    clock.t = 100.0
    assert w.tick() == [str(folder)]


def test_the_ledger_is_asked_once_for_a_whole_publish(manual_watcher, monkeypatch):
    """A publish of hundreds of movies: the NFOs settled in one tick cost one ledger query."""
    import metarrd.pipeline.watch as watch

    w, clock, calls, root = manual_watcher
    asked: list[int] = []
    real = watch._published
    monkeypatch.setattr(watch, "_published", lambda paths: asked.append(len(paths)) or real(paths))
    for i in range(300):
        folder = root / f"Movie {i} (2000)"
        folder.mkdir()
        (folder / f"Movie {i} (2000).nfo").write_bytes(b"x")
        w.handle("added", str(folder / f"Movie {i} (2000).nfo"))
    clock.t = 100.0
    assert len(w.tick()) == 1  # more folders than MAX_SCOPES_PER_LIBRARY: the library
    assert asked == [300]


def test_a_movie_nfo_edited_elsewhere_reaches_its_item(rt, fake_stages):
    """The user fixes the plot in MediaElch's `Alien (1979).nfo` beside a movie metarrd knows.
    The watcher's scan of the folder found the video unchanged (size, mtime) and never read the
    NFO again: the edit was lost until the video itself changed. A scan of the folder with
    nothing new reads nothing again."""
    folder = Path(rt.config.library[0].path) / "Alien (1979)"
    folder.mkdir()
    (folder / "Alien (1979).mkv").write_bytes(b"\0" * 4096)
    nfo = folder / "Alien (1979).nfo"
    nfo.write_bytes((NFOS / "mediaelch-kodi_v18_Alien_1979.nfo").read_bytes())
    jobs.enqueue_scan(None)
    (movie,) = db.Movie.select()
    assert movie.plot.startswith("During its return")
    nfo.write_bytes(nfo.read_bytes().replace(b"<plot>During", b"<plot>Edited. During"))
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    w.handle("modified", str(nfo))
    clock.t = 100.0
    assert w.tick() == [str(folder)]
    (item,) = db.Movie.select()
    assert (item.id, item.plot[:18]) == (movie.id, "Edited. During its")
    job = jobs.enqueue_scan([str(folder)])
    assert ", 0 changed," in db.Job.get_by_id(job.id).message


def test_show_season_and_episode_nfos_edited_elsewhere_reach_their_items(
    config_factory, fake_stages, tmp_path
):
    """Jellyfin (or the user) rewrites `tvshow.nfo`, `season.nfo` and an episode NFO of a show
    metarrd knows. The show's and the season's were read again by the watcher's scan; the
    episode's was not (its video unchanged) until the file itself changed."""
    from tests.daemon.conftest import _runtime

    root = tmp_path / "tv"
    root.mkdir()
    rt = _runtime(config_factory, True, library=[{"name": "TV", "path": str(root), "kind": "tv"}])
    show = root / "American Gods"
    season = show / "Season 01"
    season.mkdir(parents=True)
    (season / "American.Gods.S01E01.mkv").write_bytes(b"\0" * 4096)
    nfos = {
        show / "tvshow.nfo": "mediaelch-kodi_v18_show_Torchwood.nfo",
        season / "season.nfo": "jellyfin-Season-01.nfo",
        season / "American.Gods.S01E01.nfo": "jellyfin-The-Bone-Orchard.nfo",
    }
    for path, name in nfos.items():
        path.write_bytes((NFOS / name).read_bytes())
    jobs.enqueue_scan(None)
    edits = [(b"<plot>Captain", b"<plot>Edited. Captain"), (b"<plot />", b"<plot>Edited.</plot>"),
             (b"<plot>When", b"<plot>Edited. When")]  # fmt: skip
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    for path, (old, new) in zip(nfos, edits, strict=True):
        assert old in path.read_bytes()
        path.write_bytes(path.read_bytes().replace(old, new))
        w.handle("modified", str(path))
    clock.t = 100.0
    assert w.tick() == [str(show)]
    plots = {m.kind: (m.plot or "")[:8] for m in db.Movie.select()}
    assert plots == {db.SHOW: "Edited. ", db.SEASON: "Edited.", db.EPISODE: "Edited. "}
    job = jobs.enqueue_scan([str(show)])
    assert ", 0 changed," in db.Job.get_by_id(job.id).message
    rt.close()


@pytest.mark.parametrize("how", ["folder", "symlink"])
def test_a_library_root_replaced_while_watched_is_watched_again(
    config_factory, tmp_path, monkeypatch, how
):
    """A share mounted again on its mount point (or unmounted: the empty mount point shows), a
    library folder swapped for another (`mv`), a symlinked root pointed elsewhere: inotify still
    watched the folder it had opened, and nothing the user copied into the library was seen until
    the daily rescan. The watcher now notices the root is another folder, watches it again and
    queues a full rescan."""
    from metarrd.pipeline import watch

    monkeypatch.setattr(watch, "ROOT_CHECK_SECONDS", 0.2, raising=False)
    root = tmp_path / "movies"
    first, second = tmp_path / "share-a", tmp_path / "share-b"
    first.mkdir()
    second.mkdir()
    if how == "symlink":
        root.symlink_to(first)
    else:
        root.mkdir()
    with _real_watcher(config_factory, {"name": "Movies", "path": str(root)}) as (w, calls):
        assert _wait_for(lambda: w.watching["watch"].is_set())
        if how == "symlink":
            link = tmp_path / "new-link"
            link.symlink_to(second)
            link.replace(root)  # `ln -sfn`, atomically
        else:
            root.rename(first / "old")
            root.mkdir()
        assert _wait_for(lambda: None in calls, 10), f"no rescan of the new root: {calls}"
        folder = root / "Heat (1995)"
        folder.mkdir()
        (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))
        assert _wait_for(lambda: [str(folder)] in calls, 10), f"never scanned: {calls}"


@pytest.mark.parametrize("change", ["inode", "device"])
def test_a_polled_root_numbered_anew_is_not_watched_again_unless_another_share_is_there(
    config_factory, tmp_path, monkeypatch, change
):
    """Some file systems number a folder anew once their cache let it go: an rclone mount
    after each `--dir-cache-time` (rclone/rclone#9830), exfat-fuse (its `movies` folder stat
    8016, then 8018 after the kernel dropped its caches), SMB mounted `noserverino`. A polled
    library's root was taken for another folder at each new number: watched again, the whole
    share walked for a new snapshot, and a full rescan, every few minutes. The poller looks by
    path, so only another device (a share mounted or unmounted there) is another folder."""
    from metarrd import mounts
    from metarrd.pipeline import watch

    monkeypatch.setattr(watch, "ROOT_CHECK_SECONDS", 0.2)
    root = tmp_path / "movies"
    root.mkdir()
    real, looks = mounts.folder_identity, []

    def renumbered(path):
        identity = real(path)
        if identity is None or path != str(root):
            return identity
        looks.append(path)
        device, inode = identity
        return (device, inode + len(looks)) if change == "inode" else (device + len(looks), inode)

    library = {"name": "Movies", "path": str(root), "poll": True, "poll_seconds": 1}
    with _real_watcher(config_factory, library) as (w, calls):
        _watched(w)
        monkeypatch.setattr(mounts, "folder_identity", renumbered)
        assert _wait_for(lambda: len(looks) >= 5 or None in calls, 10), calls
        if change == "device":
            assert None in calls  # a share mounted there: a full rescan
            return
        folder = root / "Heat (1995)"
        folder.mkdir()
        (folder / "Heat (1995).mkv").write_bytes(os.urandom(1000))
        assert _wait_for(lambda: [str(folder)] in calls, 10), f"never scanned: {calls}"
        assert None not in calls


def test_a_library_root_on_a_hung_mount_does_not_stall_the_watcher(
    config_factory, tmp_path, monkeypatch
):
    """A hard NFS mount whose server is gone: a stat of the library root never returns. The
    watcher's root check ran that stat in its own thread, which then never came back: no
    change in any library was seen again, and the daemon could not stop it. Now the check runs
    in a thread of its own and the root counts as unreachable after a timeout; the other
    library is still watched, the hung check is not started again while it hangs, and once
    the root answers it is watched again after a full rescan. (The hang is a stat made to
    wait on an Event, not a real NFS server.)"""
    import threading

    from metarrd import mounts
    from metarrd.pipeline import watch

    monkeypatch.setattr(watch, "ROOT_CHECK_SECONDS", 0.2)
    monkeypatch.setattr(mounts, "ROOT_CHECK_TIMEOUT", HUNG_LOOK_SECONDS)
    nfs, local = tmp_path / "nfs", tmp_path / "local"
    nfs.mkdir()
    local.mkdir()
    hang, release = threading.Event(), threading.Event()
    stats_of_nfs: list[str] = []  # the root checks that reached the stat while it hung
    checks_of_nfs: list[str] = []  # every root check of it

    real_identity = mounts.folder_identity

    def identity(path):
        if path == str(nfs) and hang.is_set() and not release.is_set():
            stats_of_nfs.append(path)
            release.wait(60)  # the stat of a hard mount: until the server is back
        return real_identity(path)

    monkeypatch.setattr(mounts, "folder_identity", identity)
    real_check = mounts.root_identity

    def counted(path, *args, **kwargs):
        if path == str(nfs) and hang.is_set():
            checks_of_nfs.append(path)
        return real_check(path, *args, **kwargs)

    monkeypatch.setattr(watch, "root_identity", counted)
    libraries = {"name": "NFS", "path": str(nfs)}, {"name": "Local", "path": str(local)}
    made: list[str] = []
    polls = [0]

    def a_new_film_is_scanned(root: Path) -> bool:
        # a new folder now and then: one made while the watch is set up again may go unseen
        if polls[0] % 20 == 0:
            folder = root / f"Film {len(made)} (2001)"
            folder.mkdir()
            (folder / f"{folder.name}.mkv").write_bytes(os.urandom(1000))
            made.append(str(folder))
        polls[0] += 1
        return any(m in (scopes or []) for scopes in calls for m in made)

    with _real_watcher(config_factory, *libraries) as (w, calls):
        try:
            assert _wait_for(lambda: w.watching["watch"].is_set())
            hang.set()
            assert _wait_for(lambda: stats_of_nfs, 10)
            assert _wait_for(lambda: a_new_film_is_scanned(local), 10), f"stalled: {calls}"
            assert _wait_for(lambda: len(checks_of_nfs) >= 4, 10)  # checked again meanwhile...
            assert len(stats_of_nfs) == 1  # ...without a second stat while the first hangs
            assert None not in calls  # no rescan of a library that does not answer
            release.set()
            assert _wait_for(lambda: None in calls, 10), f"no rescan once it answers: {calls}"
            made.clear()
            polls[0] = 0
            assert _wait_for(lambda: a_new_film_is_scanned(nfs), 10), f"not watched: {calls}"
            assert w.status() == {"watch": "ok", "watch-handler": "ok"}
        finally:
            release.set()  # before the watcher stops: its root check waits on it


def test_the_watcher_starts_while_a_library_root_hangs(
    config_factory, tmp_path, monkeypatch, finishes
):
    """The daemon started while the NAS of a hard NFS mount was down: the watcher's start
    looked up the file system of each root (realpath: a stat of the root, which never
    returned), and the daemon never got to "ready" (nor to its signal handlers). Now a root
    whose check hangs is skipped there: the start goes on, and the root is watched once it
    answers. (The hang is a stat made to wait on an Event, not a real NFS server.)"""
    import threading

    from metarrd import mounts
    from metarrd.pipeline import watch

    monkeypatch.setattr(mounts, "ROOT_CHECK_TIMEOUT", HUNG_LOOK_SECONDS)
    nfs = tmp_path / "nfs"
    nfs.mkdir()
    release = threading.Event()
    real_identity, looked_up = mounts.folder_identity, []

    def hung(path):
        if path == str(nfs):
            release.wait(60)  # the stat of a hard mount: until the server is back
        return real_identity(path)

    def file_system(path):
        looked_up.append(str(path))
        hung(str(path))  # realpath stats the root as well
        return None

    monkeypatch.setattr(mounts, "folder_identity", hung)
    monkeypatch.setattr(watch, "network_filesystem", file_system)
    config = config_factory(
        library=[{"name": "NFS", "path": str(nfs)}],
        daemon={"settle_seconds": 0.3, "full_rescan_hours": 0},
    )
    w = Watcher(config, enqueue=lambda paths: None)
    try:
        finishes(lambda: w.start(full_scan_now=False))
        assert looked_up == []
    finally:
        release.set()
        w.stop()


# what watchfiles 1.x raises when inotify_add_watch says ENOSPC (notify's ErrorKind::MaxFilesWatch,
# "OS file watch limit reached."): an OSError while it sets up the watches, and, since notify
# 8.2 reports a folder it could not watch later (notify-rs #698), watchfiles' "error in underlying
# watcher" RuntimeError out of a running watch
_LIMIT_AT_START = OSError('OS file watch limit reached. about ["/srv/movies/Heat (1995)"]')
_LIMIT_LATER = RuntimeError(
    'error in underlying watcher: OS file watch limit reached. about ["/srv/movies/New (2024)"]'
)


@pytest.mark.parametrize("error", [_LIMIT_AT_START, _LIMIT_LATER], ids=["at-start", "later"])
def test_the_inotify_watch_limit_falls_back_to_polling_with_a_rescan(
    config_factory, tmp_path, monkeypatch, error
):
    """A 50,000-folder library over `fs.inotify.max_user_watches`. Reached while watching (a
    new folder inotify could not watch), the watcher thread died with a traceback, /healthz
    said it was restarting, and it started inotify again at the edge of the limit. Now both
    fall back to polling that library, and a full rescan finds what the lost watch missed."""
    import watchfiles

    polled: list = []

    def fake_watch(*roots, stop_event, force_polling, **kwargs):
        if not force_polling:
            if isinstance(error, OSError):
                raise error
            stop_event.is_set()  # the watches are live...
            raise error  # ...then a new folder cannot be watched
        polled.append(roots)
        while not stop_event.is_set():
            time.sleep(0.05)
        yield from ()

    monkeypatch.setattr(watchfiles, "watch", fake_watch)
    scan_now = isinstance(error, OSError)
    with _real_watcher(config_factory, full_scan_now=scan_now) as (w, calls):
        assert _wait_for(lambda: polled and None in calls, 10), (polled, calls)
        assert w.restarts == 0 and w.status()["watch"] == "ok"


def test_a_library_on_a_network_share_watched_by_inotify_is_a_warning_at_start(
    config_factory, tmp_path, monkeypatch, caplog
):
    """A CIFS share watched by inotify sees nothing another machine copies in: the daemon's log
    says so when it starts watching, naming `poll = true` (`config check` warns too)."""
    from metarrd import files
    from metarrd.runtime import open_runtime

    movies = tmp_path / "movies"
    info = tmp_path / "mountinfo"
    info.write_text(
        "27 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
        f"98 27 0:52 / {movies} rw,relatime shared:60 - cifs //nas/movies rw,vers=3.1.1\n"
    )
    monkeypatch.setattr(files, "MOUNTINFO", info)
    config = config_factory(daemon={"full_rescan_hours": 0})
    rt = open_runtime(config)
    w = Watcher(config, enqueue=lambda paths: None)
    monkeypatch.setattr(w, "_watch_source", lambda libs, polling, watching: w.stop_event.wait())
    with caplog.at_level("WARNING", logger="metarrd.pipeline.watch"):
        w.start(full_scan_now=False)
    w.stop()
    rt.close()
    assert any(
        "is on a cifs share" in r.message and "poll = true" in r.message for r in caplog.records
    )


def test_changes_settled_while_the_database_is_away_are_scanned_once_it_is_back(rt, tmp_path):
    """PostgreSQL restarted (or Redis, or the database locked past its timeout) at the moment
    the watcher queued the scan of what had settled: the paths were taken out of the settler
    before the enqueue failed, so those changes were never scanned (until the next full
    rescan, a day later by default); a full rescan whose enqueue failed was lost the same
    way. Both are queued at a later tick instead."""
    import contextlib

    import peewee as pw

    clock = Clock()
    calls: list = []
    failures = {"left": 2}  # the full rescan's enqueue, then the settled change's

    def enqueue(paths):
        if failures["left"]:
            failures["left"] -= 1
            raise pw.OperationalError("server closed the connection unexpectedly")
        calls.append(paths)

    w = Watcher(rt.config, enqueue=enqueue, clock=clock)
    root = Path(rt.config.library[0].path)
    video = root / "Heat (1995)" / "Heat (1995).mkv"
    video.parent.mkdir()
    video.write_bytes(b"x" * 100)
    w.handle("added", str(video))
    w._full_scan_when_watching("start")
    for step in range(60):  # the ticks that follow, as the handler thread runs them
        clock.t = 100.0 + step
        with contextlib.suppress(pw.OperationalError):  # the thread logs it and goes on
            w.tick()
    assert failures["left"] == 0
    assert sorted(calls, key=str) == sorted([None, [str(video.parent)]], key=str)


def test_a_folder_deleted_while_the_database_is_away_is_still_scanned(manual_watcher, monkeypatch):
    """A folder deleted while PostgreSQL restarted: whether items were in it is asked of the
    database, which failed, and the deletion was dropped: its items stayed "present" until
    the next full rescan. It is scanned (a scan of a folder that held nothing costs little)."""
    import peewee as pw

    w, clock, calls, root = manual_watcher
    folder = root / "Heat (1995)"

    def away(*args, **kwargs):
        raise pw.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(w, "_holds_items", away)
    w.handle("deleted", str(folder))
    monkeypatch.undo()
    clock.t = 100.0
    assert w.tick() == [str(folder)]


def test_a_renamed_or_deleted_show_folder_is_scanned_without_walking_the_tv_library(
    config_factory, fake_stages, tmp_path
):
    """Sonarr renames a series folder (its Series Folder Format `{Series TitleYear}`: `The
    Office` to `The Office (US) (2005)`) or deletes a series with its files: the vanished
    show folder's scope was the TV library's root, so one show's change walked every show of
    the library. Now the scan walks the folder it went to, the show follows it, and a show
    folder gone marks its items missing, as for a movie folder."""
    from tests.daemon.conftest import _runtime

    root = tmp_path / "tv"
    root.mkdir()
    rt = _runtime(config_factory, True, library=[{"name": "TV", "path": str(root), "kind": "tv"}])
    for show, name in (
        ("The Office", "The.Office.US.S01E01.720p.WEB-DL.mkv"),
        ("Severance", "Severance.S01E01.1080p.WEB.mkv"),
        ("Dexter", "Dexter.S01E01.720p.BluRay.mkv"),
    ):
        (root / show / "Season 1").mkdir(parents=True)
        (root / show / "Season 1" / name).write_bytes(show.encode() * 1000)
    jobs.enqueue_scan(None)
    office, severance = (
        db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(root / name))
        for name in ("The Office", "Severance")
    )
    clock = Clock()
    w = Watcher(rt.config, clock=clock)

    def last_scan():
        return db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc()).get()

    old, new = root / "The Office", root / "The Office (US) (2005)"
    old.rename(new)
    w.handle("deleted", str(old))
    w.handle("added", str(new))
    clock.t = 10.0
    assert w.tick() == [str(old), str(new / "Season 1")]
    assert last_scan().message.startswith("1 video: 0 new")  # the new folder alone was walked
    item = db.Movie.get_by_id(office.id)
    assert (item.path, item.missing) == (str(new), False)

    # `rm -r`: inotify tells of each file and folder, the show's folder last
    gone = root / "Severance"
    for event in (
        gone / "Season 1" / "Severance.S01E01.1080p.WEB.mkv",
        gone / "Season 1",
        gone,
    ):
        (event.unlink if event.suffix == ".mkv" else event.rmdir)()
        w.handle("deleted", str(event))
    clock.t = 20.0
    assert w.tick() == [str(gone)]
    assert last_scan().message.endswith("items marked missing")
    assert db.Movie.get_by_id(severance.id).missing
    assert db.Movie.select().where(db.Movie.show == severance.id, ~db.Movie.missing).count() == 0
    dexter = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(root / "Dexter"))
    assert not dexter.missing
    rt.close()


def test_a_movie_folder_that_cannot_be_read_is_not_taken_for_deleted(rt, fake_stages, monkeypatch):
    """A polled SMB/NFS library (`poll = true`) whose movie folder the NAS denies for a while
    (an ACL reset, NFS root_squash: EACCES; a flaky share: EIO). notify's poll watcher skips
    what its walk cannot read and reports it removed (notify/src/poll.rs `rescan`: a path not
    seen again is a `Remove`), so the watcher is told the folder was deleted. Its scan took
    the folder for gone (`os.path.exists` is False on any error) and marked its movie missing,
    which the scan of a folder that cannot be read never does (docs/failure-modes.md)."""
    root = Path(rt.config.library[0].path)
    folder = root / "Heat (1995)"
    folder.mkdir()
    (folder / "Heat (1995).mkv").write_bytes(b"\0" * 4096)
    (root / "Ronin (1998)").mkdir()
    (root / "Ronin (1998)" / "Ronin (1998).mkv").write_bytes(b"\1" * 4096)
    jobs.enqueue_scan(None)
    heat = db.Movie.get(db.Movie.path == str(folder / "Heat (1995).mkv"))
    clock = Clock()
    w = Watcher(rt.config, clock=clock)

    real_stat, real_scandir = os.stat, os.scandir

    def denied(path) -> bool:
        return os.fspath(path) == str(folder) or os.fspath(path).startswith(f"{folder}{os.sep}")

    def stat(path, *args, **kwargs):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def scandir(path="."):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "scandir", scandir)
    w.handle("deleted", str(folder / "Heat (1995).mkv"))
    w.handle("deleted", str(folder))
    clock.t = 10.0
    assert w.tick() == [str(folder)]
    assert not db.Movie.get_by_id(heat.id).missing
    monkeypatch.undo()  # readable again: the next scan finds it unchanged
    jobs.enqueue_scan([str(folder)])
    assert not db.Movie.get_by_id(heat.id).missing


def test_a_movie_folder_gone_and_back_is_scanned_without_walking_the_library(rt, fake_stages):
    """A movie folder deleted and put back under its name within the settle time (restored
    from a backup with `rm -r` then `cp -a`, `rsync --delete-before`; a polled share that
    could not list it for one poll: notify's poll watcher reports it removed, then created):
    its deletion, settled with the folder there again, was scoped as a file in the library's
    root, so the whole library was walked for one folder."""
    root = Path(rt.config.library[0].path)
    for name in ("Heat (1995)", "Ronin (1998)"):
        (root / name).mkdir()
        (root / name / f"{name}.mkv").write_bytes(name.encode() * 1000)
    jobs.enqueue_scan(None)
    heat = db.Movie.get(db.Movie.title.startswith("Heat"))
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    folder = root / "Heat (1995)"
    folder.rename(root.parent / "backup")
    w.handle("deleted", str(folder / "Heat (1995).mkv"))
    w.handle("deleted", str(folder))
    (root.parent / "backup").rename(folder)
    w.handle("added", str(folder))
    scans = []
    for clock.t in (10.0, 20.0):  # the deletions settle again once their paths stop changing
        scans.append(w.tick())
    assert [s for s in scans if s] == [[str(folder)]]  # one scan, of the folder
    last = db.Job.select().where(db.Job.kind == "scan").order_by(db.Job.id.desc()).get()
    assert last.message.startswith("1 video: 0 new")  # the folder alone was walked
    item = db.Movie.get_by_id(heat.id)
    assert (item.path, item.missing) == (str(folder / "Heat (1995).mkv"), False)


def test_changes_lost_with_a_name_that_is_not_utf8_are_found_by_a_rescan(config_factory, tmp_path):
    """A movie copied into its folder with a Latin-1 subtitle beside it (`Am\\xe9lie.srt`, as
    old Windows releases name them): watchfiles' inotify raises "Unable to decode path" for
    the whole batch of changes, the video's among them. The watcher went on polling, whose
    first snapshot holds the video: never scanned, until the periodic full rescan (a day).
    Now the switch queues a full rescan once the poll watches."""
    root = tmp_path / "movies"
    folder = root / "Amélie (2001)"
    folder.mkdir(parents=True)
    with _real_watcher(
        config_factory, {"name": "Movies", "path": str(root), "poll_seconds": 1}
    ) as (w, calls):
        assert _wait_for(lambda: all(e.is_set() for e in w.watching.values()))
        time.sleep(0.5)
        (folder / "Amélie (2001).mkv").write_bytes(os.urandom(1000))
        with open(os.fsencode(folder) + b"/Am\xe9lie.srt", "wb") as f:
            f.write(b"1\n00:00:01,000 --> 00:00:02,000\nBonjour\n")
        assert _wait_for(lambda: None in calls or [str(folder)] in calls), calls


def test_a_share_gone_whose_mount_point_holds_hidden_files_marks_nothing_missing(
    rt, fake_stages, make_movie
):
    """The share unmounted, and its mount point not quite empty: a Mac that browsed the
    library's folder (re-shared over Samba) left a `.DS_Store` there (Finder writes one on
    network shares unless DSDontWriteNetworkStores is set), a desktop a `.Trash-1000`, a
    Synology its `@eaDir`. Nothing the walk would ever look at, but the root was "not empty":
    a full rescan and the watcher's scan of a folder gone there marked every movie missing.
    (Sonarr takes a root folder without subfolders for one not mounted: DiskScanService,
    `GetDirectories(rootFolder).Empty()`.)"""
    movie = make_movie(rt, "Heat (1995)")
    other = make_movie(rt, "Ronin (1998)")
    root = Path(rt.config.library[0].path)
    root.rename(root.with_name("unmounted"))
    root.mkdir()
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + b"\0" * 100)
    (root / ".Trash-1000").mkdir()
    (root / "@eaDir").mkdir()
    for scope in (None, [str(root / "Heat (1995)")]):
        jobs.enqueue_scan(scope)
        assert not db.Movie.select().where(db.Movie.missing).exists(), scope
    for f in (root / ".DS_Store", root / ".Trash-1000", root / "@eaDir"):
        (f.unlink if f.is_file() else f.rmdir)()
    root.rmdir()
    root.with_name("unmounted").rename(root)  # mounted again: a real deletion is still one
    for f in Path(other.path).parent.iterdir():
        f.unlink()
    Path(other.path).parent.rmdir()
    jobs.enqueue_scan([str(Path(other.path).parent)])
    assert db.Movie.get_by_id(other.id).missing and not db.Movie.get_by_id(movie.id).missing


def test_an_upgrade_copied_in_as_a_partial_file_is_scanned_once_it_is_renamed(
    rt, fake_stages, make_movie
):
    """Radarr's upgrade deletes the old file, then transfers the new one; across file systems
    it copies to `<name>.partial~` and renames it when the copy is done (Radarr and Sonarr
    DiskTransferService: `tempTargetPath = targetPath + ".partial~"`). The partial file is no
    video, so nothing held the folder: the deleted file settled, the folder was scanned while
    the copy went on for minutes, and the user's item was missing until the rename."""
    movie = make_movie(rt, "Heat (1995)", identification_status=db.ENRICHED, tmdb_id=949)
    old = Path(movie.path)
    new = old.with_name("Heat (1995) Remux-2160p.mkv")
    partial = new.with_name(new.name + ".partial~")
    clock = Clock()
    w = Watcher(rt.config, clock=clock)
    scans = db.Job.select().where(db.Job.kind == "scan")
    old.unlink()
    w.handle("deleted", str(old))
    with open(partial, "wb") as out:
        for t in (0.1, 2.0, 4.0, 6.0, 8.0, 10.0):  # copying for 10 s, settle_seconds is 5
            clock.t = t
            out.write(b"\0" * 1024)
            out.flush()
            os.utime(partial, ns=(int(t * 1e9) + 10**18,) * 2)
            w.handle("added" if t < 1 else "modified", str(partial))
            assert w.tick() is None, t
    assert scans.count() == 0 and not db.Movie.get_by_id(movie.id).missing
    partial.rename(new)
    w.handle("deleted", str(partial))
    w.handle("added", str(new))
    clock.t = 10.0 + w.settler.settle
    assert w.tick() == [str(old.parent)]
    assert scans.count() == 1
    (item,) = db.Movie.select()
    assert (item.id, item.path, item.missing, item.tmdb_id) == (movie.id, str(new), False, 949)


def test_a_folder_renamed_in_case_only_on_a_share_ignoring_case_walks_its_parent(
    manual_watcher, config_factory, tmp_path, monkeypatch
):
    """A CIFS mount of a Samba, Windows or macOS share looks names up ignoring case: after
    Radarr renames `heat (1995)` to `Heat (1995)` (or Sonarr `the office` to `The Office`),
    the old name still answers. That folder is not "deleted and back": a scan of it under
    its old name would keep the item at the old spelling and make the new one a duplicate.
    Only the listing of the parent tells; the parent is scanned, as before."""
    w, clock, calls, root = manual_watcher
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # the server's case-insensitive lookup
        try:
            return real_stat(path, *args, **kwargs)
        except FileNotFoundError:
            parent, name = os.path.split(os.fspath(path))
            for entry in os.listdir(parent):
                if entry.casefold() == name.casefold():
                    return real_stat(os.path.join(parent, entry), *args, **kwargs)
            raise

    (root / "Heat (1995)").mkdir()
    (root / "Ronin (1998)").mkdir()
    tv_root = tmp_path / "tv"
    tv, tv_clock, tv_calls = _tv_watcher(config_factory, tv_root)
    (tv_root / "The Office" / "Season 1").mkdir(parents=True)
    monkeypatch.setattr(os, "stat", stat)
    assert os.path.isdir(root / "heat (1995)")  # the old spelling answers
    assert w.scopes([str(root / "heat (1995)")]) == [str(root)]
    assert w.scopes([str(root / "Ronin (1998)")]) == [str(root / "Ronin (1998)")]  # back
    assert tv.scopes([str(tv_root / "the office")]) == [str(tv_root)]


def test_a_tv_path_below_a_folder_we_may_not_enter_has_a_scope(tmp_path, monkeypatch):
    """A change in `Season 2/Part A/`, once Sonarr (another user, umask 077) made `Season 2/`
    0700 (watched before, or polled): the look for the nearest folder still there
    (`existing_ancestor`) used `Path.is_dir`, which raises on EACCES: the watcher's whole batch
    of settled changes was held and tried again every few seconds, for ever, none of them
    scanned. Its scope is the season folder, whose scan reports it."""
    from metarrd.pipeline.watch import tv_scope
    from tests.conftest import no_entry

    season = tmp_path / "tv" / "The Wire (2002)" / "Season 2"
    (season / "Part A").mkdir(parents=True)
    changed = season / "Part A" / "The Wire - S02E01 - Ebb Tide.mkv"
    with monkeypatch.context() as m:
        no_entry(m, season)
        scope = tv_scope(str(changed), str(tmp_path / "tv"))
    assert scope == str(season)
