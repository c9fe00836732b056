"""A TV library first configured without `kind = "tv"` (the `[[library]]` of
config.example.toml copied for the TV folder, its kind left at "movie"), scanned, then set
right: the next scan makes each episode file its show's episode. It stayed a film, under no
show and unidentified for good, and every show counted no episode, until the database was
deleted by hand."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path, PurePath

import pytest
from PIL import Image

from metarrd import atomic, db, files
from metarrd.cli import main
from metarrd.config import load_config
from metarrd.enrich import add_user_image, change_selection
from metarrd.identify.episodes import episode_marker
from metarrd.publish import apply
from metarrd.scan.kind_change import remove_disowned
from tests.conftest import backend_toml

from .conftest import put

FILES = [
    "Breaking Bad (2008)/Season 1/Breaking Bad - S01E01 - Pilot WEBDL-1080p.mkv",
    "Breaking Bad (2008)/Season 1/Breaking Bad - S01E02 - Cat's in the Bag... WEBDL-1080p.mkv",
    "Firefly (2002)/Firefly - S01E03 - Bushwhacked.mkv",
]
# films in a library scanned with kind = "tv" (set by mistake from the start): each the one
# episode of a show named after its folder, no episode numbers in its name
FILMS = [
    "Heat (1995)/Heat (1995).mkv",
    "The Matrix (1999)/The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv",
    "Inception (2010)/Inception (2010).mkv",
]


def write_config(tmp_path: Path, sim, root: Path, kind: str, *, sqlite: bool = False) -> Path:
    """The config of one library of `kind` at `root`; on the test backend, or on SQLite."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV Shows"\npath = "{root}"\n'
        + (f'kind = "{kind}"\n' if kind != "movie" else "")
        + "[providers]\nmax_retries = 1\n"
        f'[providers.tmdb]\napi_key = "{sim.keys.tmdb_key}"\nbase_url = "{sim.tmdb_url}"\n'
        f'[providers.fanart]\napi_key = "{sim.keys.fanart_key}"\nbase_url = "{sim.fanart_url}"\n'
        f'[providers.tvdb]\napi_key = "{sim.keys.tvdb_key}"\nbase_url = "{sim.tvdb_url}"\n'
        + ("" if sqlite else backend_toml())
    )
    return cfg


def test_files_scanned_as_films_become_episodes_once_the_library_is_tv(
    tmp_path, simulator, backend, capsys
):
    root = tmp_path / "tv"
    for rel in FILES:
        put(root, rel)
    main(["--config", str(write_config(tmp_path, simulator, root, "movie")), "scan"])
    films = {m.path: m.id for m in db.Movie.select().where(db.Movie.kind == db.MOVIE)}
    assert len(films) == len(FILES)  # a movie library: each file a film
    # each says why it matched nothing, and what to do: "TMDB has no match for 'Breaking Bad'"
    # and "for 'Firefly' (2002)" alone sent the user looking at the names
    out = capsys.readouterr().out
    for rel, marker in zip(FILES, ("S01E01", "S01E02", "S01E03"), strict=True):
        line = next(x for x in out.splitlines() if x.startswith("unidentified") and rel in x)
        assert (
            f"named like a TV episode ({marker}): a movie library reads each file as a film; if "
            """library 'TV Shows' holds TV shows, set kind = "tv" in its [[library]]"""
        ) in line

    assert main(["--config", str(write_config(tmp_path, simulator, root, "tv")), "scan"]) == 0
    assert not db.Movie.select().where(db.Movie.kind == db.MOVIE).exists()
    shows = {m.title: m for m in db.Movie.select().where(db.Movie.kind == db.SHOW)}
    assert set(shows) == {"Breaking Bad", "Firefly"}
    episodes = {Path(m.path).name: m for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    assert {n: (m.show_id, m.season, m.episodes) for n, m in episodes.items()} == {
        Path(FILES[0]).name: (shows["Breaking Bad"].id, 1, [1]),
        Path(FILES[1]).name: (shows["Breaking Bad"].id, 1, [2]),
        Path(FILES[2]).name: (shows["Firefly"].id, 1, [3]),
    }
    # the same items (their ids, their history), identified as episodes of their shows
    assert {m.path: m.id for m in episodes.values()} == films
    for m in episodes.values():
        assert m.identification_status == db.IDENTIFIED, m.last_error
        assert m.tmdb_id is not None and m.last_error is None


def test_scan_says_which_order_reads_an_absolute_number(tmp_path, simulator, backend, capsys):
    """`metarrd scan` of HorribleSubs' names prints each file's problem; the way out the product
    has (the show's absolute order) was only in the item's message after identify, which the
    command does not print: the user read "rename it … or map the numbers by hand"."""
    root = tmp_path / "tv"
    put(root, "Naruto/[HorribleSubs] Naruto - 002 [1080p].mkv")
    put(root, "Naruto/Season 1/Naruto - S01E03 - Sasuke and Sakura.mkv")
    cfg = write_config(tmp_path, simulator, root, "tv")
    assert main(["--config", str(cfg), "scan"]) == 1
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "Naruto - 002" in x)
    assert "002 looks like an absolute episode number" in line
    assert f"`metarrd tv order {show.id} absolute`" in line
    assert main(["--config", str(cfg), "tv", "order", str(show.id), "absolute"]) == 0
    ep = db.Movie.get(db.Movie.path.endswith("Naruto - 002 [1080p].mkv"))
    assert (ep.identification_status, ep.season, ep.episodes) == (db.IDENTIFIED, 1, [2])
    capsys.readouterr()
    assert main(["--config", str(cfg), "scan"]) == 0  # read in that order: no problem now
    assert "Naruto - 002" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("Breaking Bad (2008)/Season 1/Breaking Bad - S01E01 - Pilot WEBDL-1080p.mkv", "S01E01"),
        ("Futurama/Staffel 1/Futurama - 1x01 - Space Pilot 3000.mkv", "1x01"),
        (
            "Better Call Saul/S01/Better.Call.Saul.s01.e02.Mijo.1080p.BluRay.x264-ROVERS.mkv",
            "s01.e02",
        ),
        (
            "The Daily Show/Season 2024/The.Daily.Show.2024.01.08.720p.WEB.h264-EDITH.mkv",
            "Season 2024",
        ),
        ("The Matrix (1999)/The.Matrix.1999.1920x1080.BluRay.mkv", None),
        ("Alien (1979)/Alien.1979.DTS-HD.MA.5.1.mkv", None),
        ("Season of the Witch (2011)/Season.of.the.Witch.2011.720p.mkv", None),
        ("S1m0ne (2002)/S1m0ne (2002).mkv", None),
        ("Ocean's 11 (2001)/Ocean's 11 (2001).mkv", None),
        # the film 10x10 (2018), Radarr's naming and a scene name: a title and its year
        ("10x10 (2018)/10x10 (2018) Bluray-1080p.mkv", None),
        ("10x10 (2018)/10x10.2018.1080p.BluRay.x264-SADPANDA.mkv", None),
        ("Doctor Who (2005)/Season 10/Doctor Who (2005) - 10x05 - Oxygen.mkv", "10x05"),
    ],
)
def test_episode_marker(path, marker):
    assert episode_marker(PurePath("/srv/media") / path) == marker


def _tv_enriched(tmp_path: Path, sim, root: Path, capsys) -> Path:
    """Breaking Bad's first two episodes and three films (`FILMS`: fewer than half the library
    reads as episodes, so a change of kind is not guarded) in a TV library, scanned and
    enriched; the config file."""
    for rel in [*FILES[:2], *FILMS]:
        put(root, rel)
    tv = write_config(tmp_path, sim, root, "tv")
    assert _run(tv, "scan") == 1  # the films: "no season and episode numbers"
    assert _run(tv, "enrich", "--all") == 0, capsys.readouterr()
    return tv


def _run(cfg: Path, *args: str) -> int:
    return main(["--config", str(cfg), *args])


def test_episodes_become_films_once_a_tv_library_is_a_movie_library(
    tmp_path, simulator, backend, capsys
):
    """The reverse: a TV library scanned and published, then set to a movie library (its
    `kind = "tv"` removed). Each episode item becomes a film, the same item (its id, its
    history), read again as a new one; the shows and seasons go (a movie library has none:
    they were marked missing and the files counted unchanged, every file an episode still);
    what was published for the show's art passes to the films, whose publish removes what it
    does not want. The NFOs metarrd wrote for the show, its seasons and its episodes go with
    the scan: Kodi's movie scan reads a video's `<name>.nfo`, or the one NFO in a movie's
    folder (our tvshow.nfo, with "Movies are in separate folders": VideoTagLoaderNFO.cpp
    FindNFO), as the film's whatever its root, so the film was "Pilot" with the episode's TMDB
    id, or the show itself, until the film's publish, which an episode's name seldom allows (no
    film matches it)."""
    root = tmp_path / "tv"
    tv = _tv_enriched(tmp_path, simulator, root, capsys)
    assert _run(tv, "publish", "--all") == 0, capsys.readouterr()
    show_dir = root / "Breaking Bad (2008)"
    assert (show_dir / "tvshow.nfo").is_file()
    episodes = {m.path: m.id for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    assert len(episodes) == 5  # Heat, The Matrix, Inception: one each
    on_disk = sorted(p for p in root.rglob("*") if p.is_file())
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    out = capsys.readouterr().out
    assert not db.Movie.select().where(db.Movie.kind != db.MOVIE).exists()
    films = list(db.Movie.select())
    assert {m.path: m.id for m in films} == episodes
    for m in films:
        assert not m.missing and m.show_id is None and m.season is None and not m.episodes
        assert m.size == (Path(m.path)).stat().st_size  # read again, as a new film is
        assert db.Event.select().where(db.Event.movie == m.id).exists()  # its history kept
    assert "2 unchanged" not in out, out
    nfos = [p for p in on_disk if p.suffix == ".nfo"]
    assert show_dir / "tvshow.nfo" in nfos and Path(root / FILES[0]).with_suffix(".nfo") in nfos
    left = sorted(p for p in root.rglob("*") if p.is_file())
    assert left == [p for p in on_disk if p.suffix != ".nfo"]  # the art stays, for now
    L = db.LibraryFile
    owners = dict(L.select(L.path, L.movie).tuples())
    assert {Path(p) for p in owners} == {p for p in left if p.suffix != ".mkv"}
    assert set(owners.values()) <= set(episodes.values())
    assert owners[str(show_dir / "poster.jpg")] in episodes.values()
    pilot = root / FILES[0]
    thumb = pilot.with_name(pilot.stem + "-thumb.jpg")
    assert owners[str(thumb)] == episodes[str(pilot)]


WORKER = Path(__file__).with_name("kind_change_worker.py")
REPO = Path(__file__).resolve().parents[2]


def test_a_scan_killed_before_it_removed_the_nfos_of_what_was_a_tv_library_leaves_them_to_the_next(
    tmp_path, simulator, backend, capsys
):
    """The movie scan that makes a TV library's episodes films commits, then removes our NFOs
    of its shows, seasons and episodes; killed in between (SIGKILL, a power cut), their ledger
    rows were gone with the commit and the files stayed for good, no longer known as ours:
    Kodi's movie scan read the show's and the episodes' NFOs as the films'. The next scan
    removes them; one the user edited meanwhile is theirs and stays, and the scan says so."""
    root = tmp_path / "tv"
    tv = _tv_enriched(tmp_path, simulator, root, capsys)
    assert _run(tv, "publish", "--all") == 0, capsys.readouterr()
    nfos = sorted(root.rglob("*.nfo"))
    show_nfo, pilot_nfo = (
        root / "Breaking Bad (2008)/tvshow.nfo",
        (root / FILES[0]).with_suffix(".nfo"),
    )
    assert show_nfo in nfos and pilot_nfo in nfos
    movies = write_config(tmp_path, simulator, root, "movie")

    child = subprocess.run(
        [sys.executable, str(WORKER), str(movies), str(root)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert not db.Movie.select().where(db.Movie.kind != db.MOVIE).exists()  # committed
    assert sorted(root.rglob("*.nfo")) == nfos  # none removed yet
    pilot_nfo.write_text(
        pilot_nfo.read_text().replace("</episodedetails>", "<tag>mine</tag></episodedetails>")
    )

    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert sorted(root.rglob("*.nfo")) == [pilot_nfo]
    assert "<tag>mine</tag>" in pilot_nfo.read_text()
    assert not db.LibraryFile.select().where(db.LibraryFile.path.endswith(".nfo")).exists()
    warning = db.Event.get(
        db.Event.kind == "scan.warning", db.Event.message.contains(str(pilot_nfo))
    )
    assert "changed since" in warning.message


def test_a_films_left_out_by_the_tv_scan_goes_its_published_files_to_its_show(
    tmp_path, simulator, backend, capsys
):
    """A movie library set to TV: a film the TV scan does not walk (a show's `Shorts/`, extras
    to Jellyfin and Plex inside a show, a category folder to a movie library's walk: Breaking
    Bad's minisodes) stayed a film under no show. It goes; the NFO metarrd published for it (its
    ledger's) passes to the show, whose publish removes it; the video stays."""
    root = tmp_path / "tv"
    for rel in FILES[:2]:
        put(root, rel)
    extra = put(root, "Breaking Bad (2008)/Shorts/Breaking Bad - Good Cop Bad Cop.mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    film = db.Movie.get(db.Movie.path == str(extra))
    # the NFO a publish wrote for it as a film (its ledger row)
    nfo = extra.with_suffix(".nfo")
    nfo.write_bytes(b"<movie><title>Good Cop Bad Cop</title></movie>\n")
    stat = nfo.stat()
    db.LibraryFile.create(
        movie=film.id, path=str(nfo), kind="nfo", size=stat.st_size,
        sha256=hashlib.sha256(nfo.read_bytes()).hexdigest(),
        mtime_ns=stat.st_mtime_ns, ctime_ns=stat.st_ctime_ns,
    )  # fmt: skip
    capsys.readouterr()

    tv = write_config(tmp_path, simulator, root, "tv")
    assert _run(tv, "scan") == 0, capsys.readouterr()
    assert not db.Movie.select().where(db.Movie.kind == db.MOVIE).exists()
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    assert db.LibraryFile.get(db.LibraryFile.path == str(nfo)).movie_id == show.id
    assert _run(tv, "enrich", "--all") == 0, capsys.readouterr()
    assert _run(tv, "publish", "--all") == 0, capsys.readouterr()
    assert not nfo.exists() and extra.is_file()
    assert (root / "Breaking Bad (2008)/tvshow.nfo").is_file()


def _cache_files() -> set[str]:
    C = db.CacheImageFile
    return {p for (p,) in C.select(C.file_path).tuples()}


def _previews_dir(cfg: Path) -> Path:
    """Where the config keeps the UI's previews: `<data_dir>/previews`, or the shared cache's
    `previews/` on PostgreSQL (`Config.previews_dir`)."""
    return load_config(cfg).previews_dir


def _previews(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def _still_used(path: str) -> bool:
    C, A = db.CacheImageFile, db.ArtworkCandidate
    if C.select().where(C.file_path == path).exists():
        return True
    if db.Actor.select().where(db.Actor.image_cache_path == path).exists():
        return True
    digest, kind = Path(path).stem, Path(path).parent.parent.name
    return (
        A.select()
        .where(A.content_hash == digest, A.asset_type == kind, A.is_downloaded | A.is_selected)
        .exists()
    )


def test_the_cache_files_of_what_goes_are_removed_unless_still_used(
    tmp_path, simulator, backend, capsys
):
    """The episodes' provider images (their thumbs), the show's and its seasons' (posters,
    fanart, cast): their rows go when the TV library is a movie library, and so do the files in
    metarrd's image cache that no row uses any more, and the previews of the UI; they stayed,
    unused, for good."""
    root = tmp_path / "tv"
    tv = _tv_enriched(tmp_path, simulator, root, capsys)
    before = _cache_files()
    previews_dir = _previews_dir(tv)
    previews = _previews(previews_dir)
    assert before and previews
    assert all(Path(p).is_file() for p in before)

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    left = [p for p in before if Path(p).exists() and not _still_used(p)]
    assert not left, left
    assert any(not Path(p).exists() for p in before)  # the show's art went
    A = db.ArtworkCandidate
    used = {p for (p,) in A.select(A.preview_path).where(A.preview_path.is_null(False)).tuples()}
    unused = [p for p in _previews(previews_dir) if str(p.relative_to(previews_dir)) not in used]
    assert not unused, unused
    assert sorted(p for p in root.rglob("*") if p.is_file())  # the library's files stay


def _ledger(movie: db.Movie, path: Path, body: bytes) -> None:
    path.write_bytes(body)
    stat = path.stat()
    db.LibraryFile.create(
        movie=movie.id, path=str(path), kind="nfo" if path.suffix == ".nfo" else "art",
        size=stat.st_size, sha256=hashlib.sha256(body).hexdigest(),
        mtime_ns=stat.st_mtime_ns, ctime_ns=stat.st_ctime_ns,
    )  # fmt: skip


def test_the_files_published_for_a_film_no_item_takes_are_removed_unless_changed(
    tmp_path, simulator, backend, capsys
):
    """A movie library set to TV, with a film at its root (the TV walk reads shows in folders:
    a file at the root is no show's), unidentified (TMDB has no film of Breaking Bad's
    minisode). The film goes, and no show's folder holds what metarrd
    published for it: its NFO and poster stayed on disk with their ledger rows owned by no
    item, which no publish ever removes. Ours unchanged since go; one the user edited since
    stays, the user's now, and the scan says so."""
    root = tmp_path / "tv"
    for rel in FILES[:2]:
        put(root, rel)
    film = put(root, "Breaking Bad - Good Cop Bad Cop.mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    item = db.Movie.get(db.Movie.path == str(film))
    assert item.identification_status == db.UNIDENTIFIED  # no work of the user's to keep
    nfo, poster = film.with_suffix(".nfo"), film.with_name(film.stem + "-poster.jpg")
    _ledger(item, nfo, b"<movie><title>The Matrix</title></movie>\n")
    _ledger(item, poster, b"\xff\xd8\xff\xe0 our poster")
    poster.write_bytes(b"\xff\xd8\xff\xe0 the user's own poster")  # edited since
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 1
    assert "a video file directly in a TV library root" in capsys.readouterr().err
    assert not db.Movie.select().where(db.Movie.kind == db.MOVIE).exists()
    assert not nfo.exists()  # ours, unchanged
    assert poster.read_bytes() == b"\xff\xd8\xff\xe0 the user's own poster"
    assert film.is_file()  # the video is never touched
    assert not db.LibraryFile.select().where(db.LibraryFile.movie.is_null()).exists()
    warning = db.Event.get(db.Event.kind == "scan.warning", db.Event.message.contains(poster.name))
    assert "changed since" in warning.message


def test_a_save_of_the_users_while_our_file_is_removed_is_kept(
    tmp_path, simulator, backend, capsys, monkeypatch
):
    """The film's NFO of ours, read (unchanged: ours, to remove), then saved by the user in
    place (an editor's save, a tool's) before it was unlinked: the user's save went with it,
    and no copy was kept. It stays now, the user's, and the scan says so."""
    root = tmp_path / "tv"
    put(root, FILES[0])
    film = put(root, "Breaking Bad - Good Cop Bad Cop.mkv")
    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0
    nfo = film.with_suffix(".nfo")
    _ledger(db.Movie.get(db.Movie.path == str(film)), nfo, b"<movie><title>ours</title></movie>\n")
    users = b"<movie><title>Good Cop Bad Cop</title><tag>mine</tag></movie>\n"
    real, saved = files.open_regular, []

    @contextlib.contextmanager
    def read_then_saved(path, *args, **kwargs):
        with real(path, *args, **kwargs) as fh:
            yield fh
        L = db.LibraryFile
        owned = L.select().where(L.path == str(nfo), L.movie.is_null(False)).exists()
        if Path(path) == nfo and not saved and not owned:  # read to be removed: saved now
            saved.append(True)
            nfo.write_bytes(users)

    monkeypatch.setattr(files, "open_regular", read_then_saved)
    monkeypatch.setattr(atomic, "open_regular", read_then_saved)
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 1
    assert saved and nfo.read_bytes() == users
    assert not [p for p in root.iterdir() if p.name.startswith(atomic.TEMP_MARKER)]
    warning = db.Event.get(db.Event.kind == "scan.warning", db.Event.message.contains(nfo.name))
    assert "changed since" in warning.message


def test_the_cache_files_of_a_film_that_becomes_an_episode_are_removed_unless_still_used(
    tmp_path, simulator, backend, capsys
):
    """A movie library's file identified and enriched as a film (by hand here; TMDB's search
    finds films named as episodes: Sherlock's S04E00 is the film The Abominable Bride), then the
    library set to TV: the item becomes an episode and the film's provider rows go, and with
    them the film's posters and fanart in metarrd's image cache and their previews, unless
    another row uses them; they stayed, unused, for good."""
    root = tmp_path / "tv"
    put(root, FILES[0])
    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0
    assert _run(movies, "identify", str(root / FILES[0]), "--tmdb", "603") == 0
    assert _run(movies, "enrich", "--all") == 0, capsys.readouterr()
    before = _cache_files()
    assert before and all(Path(p).is_file() for p in before)
    previews_dir = _previews_dir(movies)
    assert _previews(previews_dir)

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    assert db.Movie.get(db.Movie.path == str(root / FILES[0])).kind == db.EPISODE
    left = [p for p in before if Path(p).exists() and not _still_used(p)]
    assert not left, left
    assert any(not Path(p).exists() for p in before)
    A = db.ArtworkCandidate
    used = {p for (p,) in A.select(A.preview_path).where(A.preview_path.is_null(False)).tuples()}
    unused = [p for p in _previews(previews_dir) if str(p.relative_to(previews_dir)) not in used]
    assert not unused, unused


def test_the_files_published_for_a_show_with_no_film_are_removed_unless_changed(
    tmp_path, simulator, backend, capsys
):
    """Sonarr makes a series' folder when the series is added, before any episode is there:
    the TV scan makes it a show with no episode, which metarrd enriches and publishes (its
    tvshow.nfo, poster, fanart). The library set to a movie library, the show goes, and no
    film is left in its folder to take what metarrd published for it: those files stayed with
    their ledger rows owned by no item, which no publish ever removes (Kodi's movie scan leaves
    a folder without a video alone: they were litter). Ours unchanged since go; one the user
    edited since stays, the user's now, and the scan says so."""
    root = tmp_path / "tv"
    for rel in [FILES[0], *FILMS]:
        put(root, rel)
    (root / "Firefly (2002)").mkdir()
    tv = write_config(tmp_path, simulator, root, "tv")
    assert _run(tv, "scan") == 1  # the films: "no season and episode numbers"
    firefly = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(root / "Firefly (2002)"))
    assert not db.Movie.select().where(db.Movie.show == firefly.id).exists()
    assert _run(tv, "enrich", "--all") == 0, capsys.readouterr()
    assert _run(tv, "publish", "--all") == 0, capsys.readouterr()
    ours = {p for p in (root / "Firefly (2002)").rglob("*") if p.is_file()}
    assert {root / "Firefly (2002)/tvshow.nfo", root / "Firefly (2002)/poster.jpg"} <= ours
    assert any(p.parent.name == ".actors" for p in ours)
    L = db.LibraryFile
    assert {Path(p) for (p,) in L.select(L.path).where(L.movie == firefly.id).tuples()} == ours
    edited = root / "Firefly (2002)/tvshow.nfo"
    edited.write_text(edited.read_text().replace("</tvshow>", "<tag>mine</tag></tvshow>"))
    capsys.readouterr()

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0, capsys.readouterr()
    assert not db.Movie.select().where(db.Movie.kind == db.SHOW).exists()
    assert list((root / "Firefly (2002)").rglob("*")) == [edited]  # and no `.actors/` left
    assert "<tag>mine</tag>" in edited.read_text()
    assert not L.select().where(L.movie.is_null()).exists()
    warning = db.Event.get(db.Event.kind == "scan.warning", db.Event.message.contains(str(edited)))
    assert "changed since" in warning.message
    assert not (root / FILES[0]).with_suffix(".nfo").exists()  # the episode's: Kodi read it
    assert (root / FILES[0]).is_file()


def _png(rgb: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, "PNG")
    return buf.getvalue()


def test_an_episode_that_becomes_a_film_keeps_the_users_artwork_and_cast(
    tmp_path, simulator, backend, capsys
):
    """An episode the user worked on (a still of their own chosen as its thumb, its cast and air
    date locked), its library set to a movie library, rightly: the film keeps the chosen thumb
    (a film has `<base>-thumb` too: kodi.md), with its cached image, and the locked cast. Its
    provider candidates, cast and choices were all dropped with its enrichment, the cached
    image of the user's upload removed. The air date a film has no place for is said, with its
    value, in the scan's event."""
    root = tmp_path / "tv"
    tv = _tv_enriched(tmp_path, simulator, root, capsys)
    config = load_config(tv)
    pilot = db.Movie.get(db.Movie.path == str(root / FILES[0]))
    mine = add_user_image(config, pilot.id, "thumb", data=_png((9, 8, 7), (1280, 720)))
    change_selection(config, mine.id, "use")
    cast = [
        (r.actor_id, r.role) for r in db.MovieActor.select().where(db.MovieActor.movie == pilot.id)
    ]
    assert cast, "the simulator's Pilot has guest stars"
    db.Movie.update(aired="2008-01-20", locked_fields=["cast", "aired"]).where(
        db.Movie.id == pilot.id
    ).execute()
    cached = Path(
        db.CacheImageFile.get(
            db.CacheImageFile.movie == pilot.id, db.CacheImageFile.file_hash == mine.content_hash
        ).file_path
    )

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0, capsys.readouterr()
    film = db.Movie.get_by_id(pilot.id)
    assert (film.kind, film.locked_fields, film.locked_asset_types) == (
        db.MOVIE, ["cast"], ["thumb"]
    )  # fmt: skip
    kept = db.ArtworkCandidate.get_by_id(mine.id)
    assert (kept.movie_id, kept.provider, kept.is_selected, kept.rank) == (
        pilot.id,
        "user",
        True,
        1,
    )
    assert cached.is_file()
    assert [
        (r.actor_id, r.role) for r in db.MovieActor.select().where(db.MovieActor.movie == pilot.id)
    ] == cast
    said = db.Event.get(db.Event.movie == pilot.id, db.Event.kind == "scan.warning").message
    assert "no place for these of your locks as an episode" in said
    assert 'aired = "2008-01-20"' in said


def test_a_show_folder_that_becomes_a_film_gives_it_the_users_show_artwork(
    tmp_path, simulator, backend, capsys
):
    """A film scanned as a TV library's show of one episode (`Heat (1995)/Heat (1995).mkv`), a
    poster of the user's chosen for the show and its plot locked; the library set to a movie
    library: the show's folder is the film's, which takes a copy of the chosen poster and the
    plot (kodi.md: a film has `<base>-poster`). The show stays (missing) with its own, for the
    kind set back. The film had none of it."""
    root = tmp_path / "tv"
    tv = _tv_enriched(tmp_path, simulator, root, capsys)
    config = load_config(tv)
    heat_dir = root / "Heat (1995)"
    show = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(heat_dir))
    mine = add_user_image(config, show.id, "poster", data=_png((200, 10, 10), (600, 900)))
    change_selection(config, mine.id, "use")
    db.Movie.update(plot="Two men, one city.", locked_fields=["plot"]).where(
        db.Movie.id == show.id
    ).execute()
    episode = db.Movie.get(db.Movie.path == str(heat_dir / "Heat (1995).mkv"))

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0, capsys.readouterr()
    film = db.Movie.get_by_id(episode.id)
    assert (film.kind, film.plot, film.locked_fields, film.locked_asset_types) == (
        db.MOVIE, "Two men, one city.", ["plot"], ["poster"]
    )  # fmt: skip
    poster = db.ArtworkCandidate.get(db.ArtworkCandidate.movie == film.id)
    assert (poster.provider, poster.content_hash, poster.is_selected) == (
        "user",
        mine.content_hash,
        True,
    )
    assert Path(
        db.CacheImageFile.get(
            db.CacheImageFile.movie == film.id, db.CacheImageFile.file_hash == mine.content_hash
        ).file_path
    ).is_file()
    kept = db.Movie.get_by_id(show.id)
    assert (kept.kind, kept.missing, kept.locked_asset_types) == (db.SHOW, True, ["poster"])
    assert db.ArtworkCandidate.get_by_id(mine.id).movie_id == show.id


def test_a_film_that_becomes_an_episode_keeps_the_thumb_the_user_added(
    tmp_path, simulator, backend, capsys
):
    """The reverse of the above: a film of a movie library the user worked on (a thumb and a
    poster of their own chosen), the library set to TV. The episode keeps the user's thumb (an
    episode has `<base>-thumb` too: kodi-tv.md 2.4), chosen, its type locked, with its cached
    image and preview; it was dropped with the film's provider images. The poster an episode
    has no place for goes, with its cached image (no row left to use it), said in the scan's
    warning."""
    root = tmp_path / "tv"
    put(root, FILES[0])
    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0
    assert _run(movies, "identify", str(root / FILES[0]), "--tmdb", "603") == 0
    assert _run(movies, "enrich", "--all") == 0, capsys.readouterr()
    config = load_config(movies)
    film = db.Movie.get(db.Movie.path == str(root / FILES[0]))
    thumb = add_user_image(config, film.id, "thumb", data=_png((9, 8, 7), (1280, 720)))
    poster = add_user_image(config, film.id, "poster", data=_png((7, 8, 9), (400, 600)))
    for mine in (thumb, poster):
        change_selection(config, mine.id, "use")
    C, A = db.CacheImageFile, db.ArtworkCandidate
    cached = {
        m.asset_type: Path(C.get(C.movie == film.id, C.file_hash == m.content_hash).file_path)
        for m in (thumb, poster)
    }

    assert _run(write_config(tmp_path, simulator, root, "tv"), "scan") == 0, capsys.readouterr()
    episode = db.Movie.get_by_id(film.id)
    assert (episode.kind, episode.locked_asset_types) == (db.EPISODE, ["thumb"])
    kept = A.get_by_id(thumb.id)
    assert (kept.movie_id, kept.provider, kept.is_selected, kept.selected_by, kept.rank) == (
        film.id, "user", True, "user", 1
    )  # fmt: skip
    assert (config.previews_dir / kept.preview_path).is_file()
    assert C.select().where(C.movie == film.id, C.file_hash == thumb.content_hash).exists()
    assert cached["thumb"].is_file()
    assert not A.select().where(A.id == poster.id).exists()
    assert not C.select().where(C.file_hash == poster.content_hash).exists()
    assert not cached["poster"].exists()
    said = db.Event.get(db.Event.movie == film.id, db.Event.kind == "scan.warning").message
    assert "no place for these images you added to the film (removed): poster" in said


def test_a_show_folder_that_becomes_a_film_gives_it_the_shows_locked_cast(
    tmp_path, simulator, backend, capsys
):
    """`Heat (1995)/Heat (1995).mkv` scanned as a TV library's show of one episode, the show's
    cast kept by the user (locked: Heat's leads, as TMDB lists them); the library set to a movie
    library: the film takes a copy of that cast, locked, as it takes the show's locked fields
    and chosen artwork. It had none: the episode's cast went with its enrichment. The show
    keeps its own."""
    root = tmp_path / "tv"
    _tv_enriched(tmp_path, simulator, root, capsys)
    heat_dir = root / "Heat (1995)"
    show = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(heat_dir))
    cast = [
        (1158, "Al Pacino", "Lt. Vincent Hanna"),
        (380, "Robert De Niro", "Neil McCauley"),
        (5576, "Val Kilmer", "Chris Shiherlis"),
    ]
    for order, (tmdb_id, name, role) in enumerate(cast):
        actor = db.Actor.create(tmdb_id=tmdb_id, name=name, name_normalized=name.casefold())
        db.MovieActor.create(movie=show.id, actor=actor.id, role=role, order=order)
    db.Movie.update(locked_fields=["cast"]).where(db.Movie.id == show.id).execute()
    episode = db.Movie.get(db.Movie.path == str(heat_dir / "Heat (1995).mkv"))

    assert _run(write_config(tmp_path, simulator, root, "movie"), "scan") == 0, capsys.readouterr()
    film = db.Movie.get_by_id(episode.id)
    assert (film.kind, film.locked_fields) == (db.MOVIE, ["cast"])
    R, A = db.MovieActor, db.Actor

    def roles(item: int) -> list[tuple[int, str, int]]:
        query = R.select(A.tmdb_id, R.role, R.order).join(A).where(R.movie == item)
        return sorted(query.tuples(), key=lambda r: r[2])

    expected = [(tmdb_id, role, order) for order, (tmdb_id, _, role) in enumerate(cast)]
    assert roles(film.id) == expected
    assert roles(show.id) == expected  # the show (kept, missing) keeps its own
    said = db.Event.get(db.Event.movie == film.id, db.Event.message.contains("its folder was"))
    assert "(cast)" in said.message


def test_our_files_behind_a_share_not_there_wait_for_it_to_be_removed(
    tmp_path, simulator, backend, capsys
):
    """A show's folder a link to another NAS (`Firefly (2002)` -> `/mnt/nas2/Firefly (2002)`),
    nas2 not mounted when the kind change's removal runs: its tvshow.nfo is not found, but is
    not gone. Its ledger row was deleted all the same, so once nas2 was back our tvshow.nfo
    stayed for good, known as no one's (the user's), and Kodi's movie scan read it as the
    film's. The row waits for the share; the scan that finds the file removes it."""
    root = tmp_path / "tv"
    put(root, FILMS[0])
    nas = tmp_path / "nas2"
    share = nas / "Firefly (2002)"
    share.mkdir(parents=True)
    (root / "Firefly (2002)").symlink_to(share, target_is_directory=True)
    movies = write_config(tmp_path, simulator, root, "movie")
    movies.write_text(
        movies.read_text().replace("[providers]", "follow_symlinks = true\n[providers]")
    )
    assert _run(movies, "scan") == 0, capsys.readouterr()
    body = b"<tvshow><title>Firefly</title></tvshow>\n"
    nfo = root / "Firefly (2002)/tvshow.nfo"
    nfo.write_bytes(body)
    L = db.LibraryFile
    L.create(movie=None, path=str(nfo), kind="nfo", size=len(body),
             sha256=hashlib.sha256(body).hexdigest())  # fmt: skip
    nas.rename(tmp_path / "nas2-unmounted")  # the link leads nowhere

    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert L.select().where(L.path == str(nfo), L.movie.is_null()).exists()

    (tmp_path / "nas2-unmounted").rename(nas)  # mounted again
    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert not nfo.exists() and share.is_dir()
    assert not L.select().where(L.movie.is_null()).exists()


@pytest.mark.parametrize(
    "error",
    [
        OSError(5, "Input/output error"),  # EIO: a NAS's disk, a dropped SMB session
        PermissionError(13, "Permission denied"),  # an SMB server: the file is open in Kodi
    ],
    ids=["EIO", "EACCES"],
)
def test_our_file_not_removed_for_an_io_error_is_removed_at_the_next_scan(
    tmp_path, simulator, backend, capsys, monkeypatch, error
):
    """The tvshow.nfo of a show that went with the library's kind, its removal refused by the
    NAS for a while (an I/O error, an SMB server refusing to rename a file a player holds
    open): its ledger row was deleted and the scan said it was changed since, the user's, so
    our file stayed for good and Kodi's movie scan read the show's NFO as the film's. The row
    stays, the scan says so once, and the next scan removes the file."""
    root = tmp_path / "tv"
    put(root, FILMS[0])
    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0, capsys.readouterr()
    body = b"<tvshow><title>Firefly</title></tvshow>\n"
    nfo = root / "Firefly (2002)/tvshow.nfo"
    nfo.parent.mkdir()
    nfo.write_bytes(body)
    L = db.LibraryFile
    L.create(movie=None, path=str(nfo), kind="nfo", size=len(body),
             sha256=hashlib.sha256(body).hexdigest())  # fmt: skip
    rename = os.rename

    def refused(src, dst, *args, **kwargs):
        if Path(src) == nfo:
            raise type(error)(error.errno, error.strerror, str(src))
        return rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", refused)
    for _ in range(2):
        assert _run(movies, "scan") == 0, capsys.readouterr()
        assert nfo.read_bytes() == body
        assert L.select().where(L.path == str(nfo), L.movie.is_null()).exists()
    E = db.Event
    assert not E.select().where(E.message.contains("were changed since")).exists()
    warnings = list(E.select().where(E.kind == "scan.warning", E.message.contains(str(nfo))))
    assert len(warnings) == 1 and error.strerror in warnings[0].message  # said once

    monkeypatch.setattr(os, "rename", rename)  # the NAS lets go
    assert _run(movies, "scan") == 0, capsys.readouterr()
    assert not nfo.exists()
    assert not L.select().where(L.movie.is_null()).exists()
    assert not E.select().where(E.message.contains("were changed since")).exists()


def test_a_film_published_where_a_row_is_owned_by_no_item_keeps_its_new_file(
    tmp_path, simulator, backend, capsys, monkeypatch
):
    """The NFO of an episode of a TV library set to a movie library, its row owned by no item
    (a kind change killed before it removed it), at the path a film publishes its NFO to. The
    publish records the bytes about to land (`pending_sha256`) before the renames, its item
    only after: another process's removal of what no item owns, between the two, found the
    film's new NFO ours and owned by no one, and removed it. The intent takes the row."""
    root = tmp_path / "tv"
    film = put(root, FILMS[0])
    movies = write_config(tmp_path, simulator, root, "movie")
    assert _run(movies, "scan") == 0, capsys.readouterr()
    item = db.Movie.get(db.Movie.path == str(film))
    assert item.identification_status == db.IDENTIFIED, item.last_error
    assert _run(movies, "enrich", "--all") == 0, capsys.readouterr()
    nfo = film.with_suffix(".nfo")
    old = b"<episodedetails><title>Heat</title></episodedetails>\n"
    nfo.write_bytes(old)
    L = db.LibraryFile
    L.create(movie=None, path=str(nfo), kind="nfo", size=len(old),
             sha256=hashlib.sha256(old).hexdigest())  # fmt: skip
    record_ledger, raced = apply._record_ledger, []

    def after_another_workers_removal(jobs):  # landed, not yet in the ledger
        raced.append(nfo.read_bytes())
        remove_disowned(db.Library.get())
        record_ledger(jobs)

    monkeypatch.setattr(apply, "_record_ledger", after_another_workers_removal)
    assert _run(movies, "publish", "--all") == 0, capsys.readouterr()
    assert raced and b"<movie>" in raced[0]
    assert nfo.read_bytes() == raced[0]  # the film's NFO stays
    assert L.get(L.path == str(nfo)).movie_id == item.id
