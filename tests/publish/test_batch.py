"""Publishing in batches, and what a publish costs: queries that do not grow with the files,
two durability barriers per batch, unchanged files known by their lstat without being read."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import peewee as pw
import pytest

from metarrd import atomic, db
from metarrd.errors import DatabaseLost, ItemError
from metarrd.publish import apply, publish_item, publish_many, sources, stage
from metarrd.publish.layout import KEEP, REPLACE
from tests.conftest import sqlite_statements
from tests.publish.conftest import into_one_folder

BASE = "The Matrix (1999)"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def counting_queries():
    """The SQL statements a publish sends to SQLite (the sqlite3 trace callback), one per
    query: the rows of one `executemany` (SQLite runs the statement once per row, in C)
    count once."""
    statements: list[str] = []

    def trace(sql: str) -> None:
        if not (statements and sql[:60] == statements[-1][:60] and sql.startswith(MANY)):
            statements.append(sql)

    connection = db.database.connection()
    if not hasattr(connection, "set_trace_callback"):
        pytest.skip("counts statements with SQLite's trace callback (the plan is the same SQL)")
    connection.set_trace_callback(trace)
    try:
        yield statements
    finally:
        connection.set_trace_callback(None)


MANY = ("INSERT INTO library_files (path", "DELETE FROM library_files", "UPDATE movies SET last_p")


def test_the_queries_of_a_publish_do_not_grow_with_its_files(rt, build):
    small = build("Small (2001)", art={"poster": ["jpeg"]}, cast=[("Solo", "Role", "jpeg")])
    big = build(
        "Big (2002)",
        art={"poster": ["jpeg"] * 4, "fanart": ["jpeg"] * 4, "clearlogo": ["png"]},
        cast=[(f"Actor {n}", "Role", "jpeg") for n in range(8)],
    )
    counts = {}
    for built in (small, big):
        with counting_queries() as first:
            result = publish_item(rt, built.movie)
        with counting_queries() as again:
            publish_item(rt, built.movie)
        counts[built.base] = (len(first), len(again), len(result.written))
    (q_small, r_small, w_small), (q_big, r_big, w_big) = counts.values()
    assert w_big > 5 * w_small
    assert q_big == q_small and r_big == r_small, counts
    assert q_small <= 26, counts  # 26: the check that nothing changed while it was published


def test_a_batch_costs_the_queries_and_barriers_of_one_publish(rt, build, monkeypatch):
    built = [build(f"Movie {n} (200{n})") for n in range(6)]
    syncs: list[Path] = []
    real = atomic._syncfs
    monkeypatch.setattr(atomic, "_syncfs", lambda path: syncs.append(path) or real(path))
    with counting_queries() as one:
        publish_item(rt, built[0].movie)
    barriers_one, syncs[:] = len(syncs), []
    with counting_queries() as five:
        outcomes = publish_many(rt, [b.movie for b in built[1:]])
    assert all(not isinstance(o, Exception) and len(o.written) == 10 for o in outcomes)
    assert barriers_one == len(syncs) == 2  # one syncfs before the renames, one after
    assert len(five) == len(one), (one, five)


def test_a_batch_publishes_each_item_as_alone_and_fails_only_the_broken_one(rt, build):
    first, broken, last = build("First (2001)"), build("Broken (2002)"), build("Last (2003)")
    db.Movie.update(identification_status=db.IDENTIFIED).where(
        db.Movie.id == broken.movie.id
    ).execute()
    outcomes = publish_many(rt, [first.movie, broken.movie, last.movie, first.movie])
    assert isinstance(outcomes[1], ItemError) and "not enriched yet" in str(outcomes[1])
    assert outcomes[0] is outcomes[3] and outcomes[0].movie_id == first.movie.id
    for built, outcome in ((first, outcomes[0]), (last, outcomes[2])):
        assert len(outcome.written) == 10 and built.reload().publish_state == db.PUBLISHED
        ledger = {
            Path(e.path): e
            for e in db.LibraryFile.select().where(db.LibraryFile.movie == built.movie.id)
        }
        assert len(ledger) == 10
        for path, entry in ledger.items():
            st = os.lstat(path)
            assert entry.sha256 == sha(path.read_bytes())
            assert (entry.size, entry.mtime_ns, entry.ctime_ns) == (
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
            )
    assert sorted(p.name for p in broken.folder.iterdir()) == ["Broken (2002).mkv"]
    assert db.Movie.get_by_id(broken.movie.id).publish_state == db.UNPUBLISHED


def test_a_failure_while_writing_one_item_leaves_the_batch_going(rt, build, monkeypatch):
    ok, full = build("Fine (2001)"), build("Full (2002)")
    real = atomic._write_temp

    def full_disk(tmp, target, data, **kwargs):
        if "Full (2002)" in str(target):
            raise OSError(28, "No space left on device", str(target))
        return real(tmp, target, data, **kwargs)

    monkeypatch.setattr(atomic, "_write_temp", full_disk)
    good, bad = publish_many(rt, [ok.movie, full.movie])
    assert len(good.written) == 10
    assert isinstance(bad, ItemError) and "No space left" in str(bad)
    assert sorted(p.name for p in full.folder.iterdir()) == ["Full (2002).mkv"]  # no temp files


def test_a_republish_reads_no_unchanged_file(rt, build, monkeypatch):
    built = build()
    publish_item(rt, built.movie)
    reads: list[Path] = []
    real = stage.sha256_file
    monkeypatch.setattr(stage, "sha256_file", lambda p: reads.append(p) or real(p))
    result = publish_item(rt, built.movie)
    assert reads == [] and result.written == [] and len(result.kept) == 10


@pytest.mark.parametrize("how", ["edited", "edited, mtime put back"])
def test_a_same_size_edit_is_seen_by_its_times(rt, build, how, monkeypatch):
    """The trade: a file whose size, mtime and ctime all match the ledger is not read; any edit
    changes the ctime (even one that puts the mtime back, which a user cannot do to a ctime)."""
    built = build()
    publish_item(rt, built.movie)
    poster = built.path(f"{BASE}-poster.jpg")
    before = os.lstat(poster)
    data = bytearray(poster.read_bytes())
    data[-3] ^= 0xFF  # same size, other bytes
    with open(poster, "r+b") as fh:
        fh.write(data)
    if how == "edited, mtime put back":
        os.utime(poster, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = publish_item(rt, built.movie)
    assert str(poster) in result.written and str(poster) in result.backed_up
    assert db.CacheImageFile.get_or_none(db.CacheImageFile.file_hash == sha(bytes(data)))


def test_a_ledger_row_from_before_times_were_recorded_is_read_once(rt, build, monkeypatch):
    built = build()
    publish_item(rt, built.movie)
    db.LibraryFile.update(mtime_ns=None, ctime_ns=None).execute()  # as migration 5 leaves them
    reads: list[Path] = []
    real = stage.sha256_file
    monkeypatch.setattr(stage, "sha256_file", lambda p: reads.append(p) or real(p))
    plan_actions = {a.action for a in stage.preview_publish(rt, built.movie).actions}
    assert plan_actions <= {KEEP, "leave"} and REPLACE not in plan_actions
    reads.clear()
    publish_item(rt, built.movie)  # reads every file once, records its times
    assert len(reads) == 10
    reads.clear()
    publish_item(rt, built.movie)
    assert reads == []


def test_a_file_the_folder_listing_lacks_is_not_looked_up(rt, build, monkeypatch):
    """A first publish lists the folder and `.actors/` and lstats none of the names it is about
    to write; a name the listing has, in any case, still is."""
    built = build()
    own = built.folder / f"{BASE.upper()}-POSTER.JPG"  # the user's, in other letters
    own.write_bytes(b"mine")
    looked: list[str] = []
    real = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: looked.append(str(p)) or real(p, *a, **k))
    wanted = stage.preview_publish(rt, built.movie).by_action(stage.WRITE)
    assert wanted
    ours = (built.folder, built.folder / ".actors")
    names = {Path(p).name for p in looked if Path(p).parent in ours}
    assert names == {f"{BASE}-poster.jpg"} and f"{BASE}-poster.jpg" in {a.path.name for a in wanted}


def test_an_item_failing_in_a_shared_actors_folder_it_made_leaves_it_to_the_others(
    rt, build, monkeypatch
):
    """Two movies of one folder, no `.actors/` yet: the first makes it, the second writes into
    it too. The first failing (its NFO on a full disk) must not remove the folder from under the
    second's actor image, still being written on a writer thread."""
    first = build(
        "Alien (1979)", art={"poster": ["jpeg"]}, cast=[("Sigourney Weaver", "Ripley", "jpeg")]
    )
    second = build(
        "Aliens (1986)", art={"poster": ["jpeg"]}, cast=[("Michael Biehn", "Hicks", "jpeg")]
    )
    into_one_folder(first, second)
    removed = threading.Event()
    real_write, real_remove = atomic._write_temp, apply._remove_made

    def write(tmp, target, data, **kwargs):
        if target.name == "Alien (1979).nfo":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        if target.name == "Michael_Biehn.jpg":
            removed.wait(0.5)  # written after the first item's clean-up, if there is one now
        return real_write(tmp, target, data, **kwargs)

    def remove_made(job):
        try:
            return real_remove(job)
        finally:
            removed.set()

    monkeypatch.setattr(atomic, "_write_temp", write)
    monkeypatch.setattr(apply, "_remove_made", remove_made)
    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert isinstance(outcomes[0], ItemError) and "No space left" in str(outcomes[0])
    assert not isinstance(outcomes[1], ItemError), outcomes[1]
    assert first.path(".actors/Michael_Biehn.jpg").read_bytes() == second.images["Michael Biehn"]
    assert not first.path(".actors/Sigourney_Weaver.jpg").exists()
    names = [p.name for p in first.folder.rglob("*")]
    assert not [n for n in names if n.startswith(atomic.TEMP_MARKER)], names


def test_an_interrupt_while_an_item_waits_for_its_writes_is_not_taken_for_their_error(
    rt, build, monkeypatch
):
    """Ctrl-C (or the daemon's second SIGTERM) while the batch waits for a failing item's
    temp files stops the publish; it was kept as one more error of the item, and lost."""
    built = build(art={"poster": ["jpeg"]}, cast=[])
    waiting = threading.Event()
    real_write, real_staged = atomic._write_temp, apply._staged

    def write(tmp, target, data, **kwargs):
        if target.suffix == ".jpg":  # written: removed again when the NFO fails
            return real_write(tmp, target, data, **kwargs)
        waiting.wait(2)  # the NFO: the batch is waiting for it now
        time.sleep(0.1)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        time.sleep(0.2)
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    def staged(job, batch):
        waiting.set()
        return real_staged(job, batch)

    monkeypatch.setattr(atomic, "_write_temp", write)
    monkeypatch.setattr(apply, "_staged", staged)
    with pytest.raises(KeyboardInterrupt):
        publish_many(rt, [built.movie])
    assert sorted(p.name for p in built.folder.iterdir()) == [f"{BASE}.mkv"]  # no temp files


def test_an_item_whose_write_fails_stops_writing_and_frees_its_room_at_once(rt, build, monkeypatch):
    """On a nearly full disk: the first "no space" of an item cancels its writes not started
    yet, and its temp files go as they land, not when the batch comes to collect the item after
    the next items' writes: the room is theirs again."""
    first, second = build("Alien (1979)"), build("Aliens (1986)")
    real_write, real_discard = atomic._write_temp, atomic.AtomicBatch.discard
    tried: list[str] = []
    discarded_by: list[str] = []
    lock = threading.Lock()

    def write(tmp, target, data, **kwargs):
        if first.folder in target.parents:
            with lock:
                tried.append(target.name)
                fail = len(tried) == 1
            if fail:
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
            time.sleep(0.1)  # the ones already running when it failed end later
        return real_write(tmp, target, data, **kwargs)

    def discard(self, staged):
        if any(first.folder in s.target.parents for s in staged):
            discarded_by.append(threading.current_thread().name)
        return real_discard(self, staged)

    monkeypatch.setattr(atomic, "_write_temp", write)
    monkeypatch.setattr(atomic.AtomicBatch, "discard", discard)
    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert isinstance(outcomes[0], ItemError) and "No space left" in str(outcomes[0])
    assert not isinstance(outcomes[1], ItemError), outcomes[1]
    # those running then (and one a free writer took before the callbacks were on), of 10
    assert 1 <= len(tried) <= atomic.WRITERS + 1, tried
    if len(tried) > 1:  # some were running when it failed: gone as they landed
        assert any(name.startswith("metarrd-write") for name in discarded_by), discarded_by
    assert not list(first.folder.rglob(f"{atomic.TEMP_MARKER}*"))


def test_a_folder_moved_away_while_its_item_publishes_is_not_made_again(rt, build, monkeypatch):
    """The user moves a movie's folder after the plan was made: its artwork's temp files fail,
    and its `.actors/` must not make the folder anew (mkdir -p) for the rest to land in: a
    folder with our files and no video, where the user's movie no longer is."""
    built = build("Alien (1979)", cast=[("Sigourney Weaver", "Ripley", "jpeg")])
    other = build("Aliens (1986)")
    moved = built.folder.with_name("Alien (1979) [moved]")
    real_prepare = stage._prepare

    def prepare(rt_, item, **kwargs):
        prepared = real_prepare(rt_, item, **kwargs)
        if item.movie.id == built.movie.id:
            built.folder.rename(moved)
        return prepared

    made = threading.Event()
    real_make_dir, real_write = atomic.AtomicBatch.make_dir, atomic._write_temp

    def make_dir(self, directory, **kwargs):
        try:
            return real_make_dir(self, directory, **kwargs)
        finally:
            made.set()

    def write(tmp, target, data, **kwargs):  # the writers are busy: the art goes in after
        made.wait(2)
        return real_write(tmp, target, data, **kwargs)

    monkeypatch.setattr(stage, "_prepare", prepare)
    monkeypatch.setattr(atomic.AtomicBatch, "make_dir", make_dir)
    monkeypatch.setattr(atomic, "_write_temp", write)
    outcomes = publish_many(rt, [built.reload(), other.reload()])

    assert isinstance(outcomes[0], ItemError), outcomes[0]
    assert "the folder is gone" in str(outcomes[0]) or "No such file" in str(outcomes[0])
    assert not built.folder.exists()
    assert sorted(p.name for p in moved.iterdir()) == ["Alien (1979).mkv"]
    assert not isinstance(outcomes[1], ItemError), outcomes[1]


def test_an_items_actors_folder_is_made_with_one_mkdir(rt, build, monkeypatch):
    """A movie's `.actors/` is made once for its whole cast, with one mkdir. It was made sure of
    once per actor image, and made with an lstat before and after its mkdir: bench/publish.py
    (six actors a movie) made 1,800 `make_dir` calls for 306 folders, and four system calls
    for each folder made. Still checked: the folder above it (`test_a_folder_moved_away_...`),
    a link put there (`test_an_actors_folder_linked_out_while_publishing_...`)."""
    cast = ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss", "Hugo Weaving"]
    built = build(cast=[(name, "Role", "jpeg") for name in cast])
    actors = str(built.folder / ".actors")
    calls: list[str] = []
    for name in ("mkdir", "lstat"):
        real = getattr(os, name)

        def counted(path, *args, _real=real, _name=name, **kwargs):
            if os.fspath(path) == actors:
                calls.append(_name)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    make_dir = atomic.AtomicBatch.make_dir
    made: list[str] = []
    monkeypatch.setattr(
        atomic.AtomicBatch,
        "make_dir",
        lambda self, d, **k: made.append(d) or make_dir(self, d, **k),
    )

    result = publish_item(rt, built.movie)

    assert sum(Path(p).parent == built.folder / ".actors" for p in result.written) == 4
    assert made == [built.folder / ".actors"]
    # the lstat is `_check_writable`'s (a link there refuses the item before anything changes)
    assert sorted(calls) == ["lstat", "mkdir"]


def test_landing_an_item_looks_at_its_own_files_not_the_whole_batch(tmp_path, monkeypatch):
    """`land` of one item's temp files took them out of the batch by rebuilding the list of
    every file staged: 50 items of 12 files (bench/publish.py's batch) went over 600, 588,
    576... entries, one item after the other. Now each file it lands is taken out alone."""
    items = [[tmp_path / f"Movie {i:02d} (1999)-{kind}.jpg" for kind in KINDS] for i in range(50)]
    looked: list[int] = []
    monkeypatch.setattr(atomic, "id", lambda o: looked.append(1) or id(o), raising=False)
    with atomic.AtomicBatch() as batch:
        staged = [[batch.stage(path, path.name.encode()) for path in item] for item in items]
        batch.make_durable()
        looked.clear()
        for item in staged:
            batch.land(item)
        assert len(looked) == 50 * len(KINDS)
        assert batch.staged == []
        batch.finish()
    assert all(p.read_bytes() == p.name.encode() for item in items for p in item)


KINDS = ("poster", "poster1", "fanart", "fanart1", "clearlogo", "landscape")


def test_a_folders_name_limit_is_asked_once_for_it_and_its_new_actors_folder(
    rt, build, monkeypatch
):
    """The file-name limit (`PC_NAME_MAX`, a `statfs`) of a movie's folder was asked for its
    NFO and artwork, then, for `.actors/` not made yet, of `.actors/` (ENOENT) and of the
    movie folder again: three a movie (bench/publish.py). The movie folder's answer stands
    for the `.actors/` made in it."""
    built = build(cast=[("Keanu Reeves", "Neo", "jpeg"), ("Hugo Weaving", "Agent Smith", "jpeg")])
    asked: list[str] = []
    pathconf = os.pathconf
    monkeypatch.setattr(os, "pathconf", lambda p, n: asked.append(str(p)) or pathconf(p, n))

    result = publish_item(rt, built.movie)

    assert sum("/.actors/" in p for p in result.written) == 2
    assert asked.count(str(built.folder)) == 1
    assert len(asked) <= 2  # `.actors/` itself (not there yet), then nothing more


def test_an_items_files_are_one_task_of_the_writer_threads(rt, build, monkeypatch):
    """A movie's dozen files went to the writer threads one by one, each with its future, its
    lock, two callbacks and its hand-overs of the interpreter lock between four threads: more
    CPU than writing the files (bench/publish.py: 385 futex calls a movie). Now one task per
    item writes them in landing order; two items still go to two writers."""
    first, second = build("Alien (1979)"), build("Aliens (1986)")
    pool = atomic._writer_pool()
    submitted: list[int] = []  # files per task
    submit = pool.submit

    def counted(fn, *args):
        submitted.append(len(args[0]) if isinstance(args[0], list) else 1)
        return submit(fn, *args)

    monkeypatch.setattr(pool, "submit", counted)

    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert [len(r.written) for r in outcomes] == [10, 10]
    assert submitted == [10, 10]


def test_the_ledger_and_the_status_of_a_batch_are_each_one_statement_run(rt, build):
    """SQLite's `executemany` runs its statement once a row, letting go of the interpreter lock
    each time: beside busy threads each row then waited for it, with the write lock held. The
    intent rows, the ledger rows, the removed files' rows and the items' status are each written
    by one run of one statement for the batch."""
    built = [build(f"Movie {n} (200{n})") for n in range(3)]
    with sqlite_statements() as seen:
        outcomes = publish_many(rt, [b.movie for b in built])
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    files = sum(len(o.written) for o in outcomes)
    assert files > 3 * 5, outcomes
    assert _runs(seen) == {"intent": 1, "ledger": 1, "forget": 0, "status": 1}, seen
    for b in built:
        db.MovieActor.delete().where(db.MovieActor.movie == b.movie.id).execute()
    with sqlite_statements() as seen:
        outcomes = publish_many(rt, [b.reload() for b in built])
    assert sum(len(o.removed) for o in outcomes) >= 3 * 2, outcomes
    assert _runs(seen)["forget"] == 1, seen
    rows = db.LibraryFile.select().where(db.LibraryFile.path.contains("/.actors/"))
    assert not rows.exists()
    assert {m.publish_state for m in db.Movie.select()} == {db.PUBLISHED}


def _runs(statements: list[str]) -> dict[str, int]:
    """How many times each of the publish's batch writes ran."""
    kinds = {
        "intent": "INSERT INTO library_files (path, movie_id, kind, sha256, size, written_at, "
        "cache_file_id, pending_sha256)",
        "ledger": "INSERT INTO library_files (path, movie_id, kind, sha256, size, written_at, "
        "cache_file_id, mtime_ns",
        "forget": "DELETE FROM",
        "status": "UPDATE movies SET last_published_at",
    }
    runs = dict.fromkeys(kinds, 0)
    for sql in statements:
        sql = sql.lstrip().replace('"', "")
        for kind, start in kinds.items():
            if sql.startswith(start) and ("library_files" in sql or kind == "status"):
                runs[kind] += 1
    return runs


@contextlib.contextmanager
def refused(event: str, when: str):
    """The database refuses an `event` (INSERT, DELETE) of a `cache_image_files` row for which
    `when` holds (SQL of both dialects, on `NEW` or `OLD`): a real error of the database's own
    at that very statement (a trigger's, as SQLite raises `RAISE(ABORT)` and PostgreSQL a
    PL/pgSQL `RAISE`), for one item of a batch only."""
    if db.is_postgresql():
        when = when.replace("%", "%%")  # psycopg2 formats the statement
        db.database.execute_sql(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            f"IF {when} THEN RAISE EXCEPTION 'disk I/O error'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        db.database.execute_sql(
            f"CREATE TRIGGER refuse BEFORE {event} ON cache_image_files "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    else:
        db.database.execute_sql(
            f"CREATE TRIGGER refuse BEFORE {event} ON cache_image_files WHEN {when} "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
    try:
        yield
    finally:
        if db.is_postgresql():
            db.database.execute_sql("DROP TRIGGER refuse ON cache_image_files")
            db.database.execute_sql("DROP FUNCTION refuse()")
        else:
            db.database.execute_sql("DROP TRIGGER refuse")


@pytest.mark.parametrize("where", ["at its name", "set aside by a publish killed"])
def test_a_copy_whose_row_the_database_refuses_fails_its_item_alone(rt, build, kit, where):
    """The user's own poster at the name the middle item publishes its poster to (or a file a
    killed publish set aside there, `_recover_aside`) is copied into the cache first; the
    database refuses the copy's row (an error of its own, no OSError, no full disk). That
    error went through `apply_all` and ended the whole batch, the items after it unpublished:
    the item fails alone, saying which file and why, its folder as it was; the others
    publish."""
    first, broken, last = build("First (2001)"), build("Broken (2002)"), build("Last (2003)")
    users = kit.image_bytes("poster")
    poster = broken.path("Broken (2002)-poster.jpg")
    if where == "at its name":
        poster.write_bytes(users)
    else:
        poster = poster.with_name(f"{atomic.ASIDE_MARKER}0badcafe-{poster.name}")
        poster.write_bytes(users)
    before = {p.name: p.read_bytes() for p in broken.folder.iterdir()}

    with refused("INSERT", "NEW.source_url LIKE '/%/Broken (2002)/%'"):
        outcomes = publish_many(rt, [first.movie, broken.movie, last.movie])

    assert isinstance(outcomes[1], ItemError), outcomes[1]
    assert f"{poster}, " in str(outcomes[1]) and "disk I/O error" in str(outcomes[1])
    assert str(outcomes[1]).endswith("nothing was changed")
    assert {p.name: p.read_bytes() for p in broken.folder.iterdir()} == before
    assert not db.LibraryFile.select().where(db.LibraryFile.movie == broken.movie.id).exists()
    for built, outcome in ((first, outcomes[0]), (last, outcomes[2])):
        assert len(outcome.written) == 10 and built.reload().publish_state == db.PUBLISHED
    log = db.PublishLog.get(db.PublishLog.movie == broken.movie.id)
    assert not log.ok and log.message == str(outcomes[1])


def test_a_cache_clean_up_failing_after_a_batch_leaves_its_items_published(rt, build):
    """After the batch is published and recorded, each item's unselected downloads leave the
    cache (`drop_unselected`). The first item's clean-up fails (the database refuses it: an
    error of its own, or SQLite's lock held past its timeout by a long scan). That error went
    out of `apply_all`: the batch's outcomes were lost though every item was published, and the
    next items' clean-up never ran. The downloads stay for the next publish, said in the log;
    every item is published, and the others' clean-up is done."""
    first, last = (build(n, unselected={"poster": 1}) for n in ("First (2001)", "Last (2003)"))
    C = db.CacheImageFile

    def downloads(built) -> list[Path]:
        hashes = [a.content_hash for a in built.unselected]
        return [Path(c.file_path) for c in C.select().where(C.file_hash.in_(hashes))]

    kept, dropped = downloads(first), downloads(last)
    assert kept and dropped and all(p.exists() for p in kept + dropped)

    with refused("DELETE", f"OLD.movie_id = {first.movie.id}"):
        outcomes = publish_many(rt, [first.movie, last.movie])

    assert [type(o) for o in outcomes] == [apply.PublishResult] * 2, outcomes
    assert [len(o.written) for o in outcomes] == [10, 10]
    assert [o.cache_removed for o in outcomes] == [0, len(dropped)]
    assert all(p.exists() for p in kept) and not any(p.exists() for p in dropped)
    assert downloads(first) == kept
    for built in (first, last):
        assert built.reload().publish_state == db.PUBLISHED


def test_a_copy_whose_row_meets_sqlites_lock_fails_its_item_alone_to_be_run_again(
    rt, build, kit, monkeypatch
):
    """The copy's row meets SQLite's write lock held past its timeout by another process (a
    sqlite3 shell left in a transaction). Its item fails alone, as for any database error,
    and as `DatabaseLost`: its job runs again later (`pipeline.jobs._record`), as any job
    that met the lock; the others publish."""
    if db.is_postgresql():
        pytest.skip("SQLite's lock")
    fine, locked = build("Fine (2001)"), build("Locked (2002)")
    poster = locked.path("Locked (2002)-poster.jpg")
    poster.write_bytes(kit.image_bytes("poster"))
    real = sources._library_row

    def past_the_lock(movie_id, *args):
        if movie_id == locked.movie.id:
            raise pw.OperationalError("database is locked")
        return real(movie_id, *args)

    monkeypatch.setattr(sources, "_library_row", past_the_lock)

    ok, failed = publish_many(rt, [fine.movie, locked.movie])

    assert len(ok.written) == 10
    assert isinstance(failed, DatabaseLost), failed
    assert f"{poster}, replaced by this publish, could not be copied" in str(failed)
    assert "the database is locked: another process has been writing" in str(failed)
