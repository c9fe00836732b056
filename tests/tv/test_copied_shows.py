"""A show folder or an episode copied to its new place, then deleted at the old one (Sonarr's
*Move series* to a root folder on another disk, `rsync -a` then `rm -r`, `mv` across mounts,
`cp -r "Season 1" "Season 01"`): the copies are other files (new inodes), which a scan that
runs before the old ones go makes new items. When the old files go, those merge back: the
show, its seasons and episodes keep their ids, identification, edits and locks.

Sonarr's default naming (its Settings > Media Management defaults, `{Series Title} ({Series
Year})` folders, `Season {season:00}`, `{Series Title} ({Series Year}) - S{season:00}E{episode:00}
- {Episode Title} [{Quality Full}]`): src/NzbDrone.Core/Organizer/FileNameBuilder.cs and
NamingConfig.cs in Sonarr/Sonarr."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db
from metarrd.atomic import sha256_file
from metarrd.config import parse_config
from metarrd.publish import publish_item
from metarrd.scan import mark_gone, scan
from tests.conftest import backend_sections

from .conftest import downloaded, put

HEVC = Path(__file__).resolve().parent.parent / "media" / "hevc_hdr10.mkv"
SHOW = "The Expanse (2015)"
FILES = (
    "Season 01/The Expanse (2015) - S01E01 - Dulcinea [WEBDL-1080p].mkv",
    "Season 01/The Expanse (2015) - S01E02 - The Big Empty [WEBDL-1080p].mkv",
    "Season 02/The Expanse (2015) - S02E01 - Safe [WEBDL-1080p].mkv",
)


@pytest.fixture
def rt(tmp_path, simulator):
    """Two TV libraries, as Sonarr's two root folders on two disks."""
    from metarrd.runtime import open_runtime

    for name in ("tv", "tv2"):
        (tmp_path / name).mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [
                {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
                {"name": "TV 2", "path": str(tmp_path / "tv2"), "kind": "tv"},
            ],
            "providers": {
                "tmdb": {"api_key": simulator.keys.tmdb_key, "base_url": simulator.tmdb_url},
            },
            **backend_sections(),
        }
    )
    runtime = open_runtime(config)
    yield runtime
    runtime.close()


def _library(rt, tmp_path) -> dict[str, int]:
    """The show scanned, the user's work on it: relative path -> item id."""
    for rel in FILES:
        put(tmp_path / "tv", f"{SHOW}/{rel}")
    scan(rt)
    show = tmp_path / "tv" / SHOW
    ids = {
        str(Path(m.path).relative_to(show)): m.id for m in db.Movie.select() if m.path != str(show)
    }
    ids[""] = db.Movie.get(db.Movie.kind == db.SHOW).id
    db.Movie.update(tvdb_id=280619, tmdb_id=63639, identification_status=db.IDENTIFIED).where(
        db.Movie.kind == db.SHOW
    ).execute()
    db.Movie.update(title="My own title", locked_fields=["title"]).where(
        db.Movie.kind == db.EPISODE
    ).execute()
    return ids


def _followed(ids: dict[str, int], new_show: Path) -> None:
    """Every item is the one it was, at its place in the copy, the user's work kept; none else."""
    items = {m.id: m for m in db.Movie.select()}
    assert set(items) == set(ids.values())
    for rel, item_id in ids.items():
        item = items[item_id]
        assert not item.missing, item.path
        if rel == "":
            assert item.path == str(new_show) and item.tvdb_id == 280619
        elif item.kind == db.EPISODE:
            assert item.path == str(new_show / rel) and item.title == "My own title"
        else:  # a season
            assert Path(item.path).parent == new_show


def test_a_show_moved_to_another_disk_seen_before_the_old_folder_went_keeps_its_items(rt, tmp_path):
    """Sonarr moves the series to its root folder on another disk: it copies the folder, then
    deletes the old one. The watcher scanned the copy first: a new show with new episodes; the
    old folder's deletion marked the show and its episodes missing, the user's edits and
    identification on them, and the copy was to identify and edit again."""
    ids = _library(rt, tmp_path)
    old, new = tmp_path / "tv" / SHOW, tmp_path / "tv2" / SHOW
    nfo = old / "tvshow.nfo"  # what we published: ours where it is copied to
    nfo.write_text("<tvshow><title>The Expanse</title></tvshow>")
    ours = db.LibraryFile.create(
        movie=ids[""], path=str(nfo), kind="nfo", sha256=sha256_file(nfo), size=nfo.stat().st_size
    )
    poster = old / "poster.jpg"  # the poster we published, chosen by the user
    Image.new("RGB", (200, 300), (30, 60, 90)).save(poster)
    db.LibraryFile.create(
        movie=ids[""], path=str(poster), kind="art", sha256=sha256_file(poster),
        size=poster.stat().st_size,
    )  # fmt: skip
    chosen = db.ArtworkCandidate.create(
        movie=ids[""], asset_type="poster", provider="tmdb", url="https://image.tmdb.org/p.jpg",
        is_selected=True, selected_by="user",
    )  # fmt: skip
    shutil.copytree(old, new)  # new inodes, same names, sizes and mtimes

    report = scan(rt, [new])
    assert len(report.new) == 1 + 3  # the copy is new meanwhile: a show and its episodes
    # identified meanwhile (the pipeline's identify after the scan), as the same show
    copies = [i for i in report.new if i not in ids.values()]
    db.Movie.update(tvdb_id=280619, identification_status=db.IDENTIFIED).where(
        db.Movie.id.in_(copies), db.Movie.kind == db.SHOW
    ).execute()
    db.Movie.update(tmdb_id=db.Movie.id + 1000, identification_status=db.IDENTIFIED).where(
        db.Movie.id.in_(copies), db.Movie.kind == db.EPISODE
    ).execute()

    shutil.rmtree(old)
    assert mark_gone(rt.config, [str(old)]) == []  # the watcher's scan of the folder that went

    _followed(ids, new)
    show = db.Movie.get_by_id(ids[""])
    assert show.library.name == "TV 2"
    assert db.LibraryFile.get_by_id(ours.id).path == str(new / "tvshow.nfo")
    # our poster, which the copy's scan took for the user's, is no candidate of the show: the
    # user's choice is its one selected poster still
    posters = db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == show.id)
    assert [(a.id, a.is_selected) for a in posters] == [(chosen.id, True)]
    assert db.LibraryFile.get(db.LibraryFile.kind == "art").path == str(new / "poster.jpg")
    C = db.CacheImageFile  # nor a copy of the user's (the bytes the ledger says we wrote)
    assert not C.select().where(C.source_type == "library").exists()
    assert db.Event.get(db.Event.kind == "scan.renamed", db.Event.movie == show.id)
    report = scan(rt)  # the full scans agree: nothing new, nothing missing
    assert not report.new and not report.missing
    _followed(ids, new)


def test_a_show_folder_copied_renamed_and_the_old_one_deleted_found_by_a_full_scan(rt, tmp_path):
    """`cp -r` (the copies' mtimes are new) to `Breaking Bad (2008)`-style naming, then
    `rm -r` of the old folder, between two full scans: the show follows its copy."""
    ids = _library(rt, tmp_path)
    old = tmp_path / "tv" / SHOW
    new = tmp_path / "tv" / "The Expanse (2015) {tvdb-280619}"
    shutil.copytree(old, new, copy_function=shutil.copy)
    scan(rt)  # both folders: the copy is a new show
    shutil.rmtree(old)

    report = scan(rt)

    assert not report.new and not report.missing
    assert ids[""] in report.moved and len(report.merged) == 1 + 2 + 3
    _followed(ids, new)


def test_a_show_folder_copied_then_deleted_in_one_scan_follows_it_without_its_mtimes(rt, tmp_path):
    """The copy and the deletion both done before a scan (`mv` across mounts, `cp -r` + `rm -r`
    while the daemon was stopped): the folder is a rename, though the copies' mtimes are new."""
    ids = _library(rt, tmp_path)
    old = tmp_path / "tv" / SHOW
    new = tmp_path / "tv" / "The.Expanse.2015"
    shutil.copytree(old, new, copy_function=shutil.copy)
    shutil.rmtree(old)

    report = scan(rt)

    assert not report.new and not report.missing
    _followed(ids, new)


def test_an_episode_copied_to_another_season_folder_then_deleted_keeps_its_item(rt, tmp_path):
    """`cp -r "Season 01" "Season 1"`, the watcher scans the copy, then `rm -r "Season 01"`."""
    ids = _library(rt, tmp_path)
    show = tmp_path / "tv" / SHOW
    shutil.copytree(show / "Season 01", show / "Season 1", copy_function=shutil.copy)
    assert len(scan(rt, [show / "Season 1"]).new) == 2
    shutil.rmtree(show / "Season 01")

    report = scan(rt, [show])

    assert not report.new and not report.missing and len(report.merged) == 2
    for rel in FILES[:2]:
        item = db.Movie.get_by_id(ids[rel])
        assert item.path == str(show / "Season 1" / Path(rel).name) and not item.missing
        assert item.title == "My own title"
    assert db.Movie.select().where(db.Movie.kind == db.EPISODE).count() == 3
    # the watcher's way: the season folder that went is marked gone, its copy scanned before
    shutil.copytree(show / "Season 02", show / "Season 2")
    scan(rt, [show / "Season 2"])
    shutil.rmtree(show / "Season 02")
    assert mark_gone(rt.config, [str(show / "Season 02")]) == []
    item = db.Movie.get_by_id(ids[FILES[2]])
    assert Path(item.path).parent.name == "Season 2" and item.title == "My own title"


def test_an_episode_copied_then_deleted_before_a_scan_follows_it_without_its_mtime(rt, tmp_path):
    ids = _library(rt, tmp_path)
    show = tmp_path / "tv" / SHOW
    (show / "Season 1").mkdir()
    old = show / FILES[0]
    shutil.copy(old, show / "Season 1" / old.name)
    old.unlink()
    scan(rt, [show / "Season 01"])  # the watcher: the folder it left first

    report = scan(rt, [show / "Season 1"])

    assert not report.new and report.moved == [ids[FILES[0]]]
    assert db.Movie.get_by_id(ids[FILES[0]]).path == str(show / "Season 1" / old.name)


def test_another_file_or_a_copy_the_user_worked_on_is_not_merged(rt, tmp_path):
    """Never two different files: the same name with another size in another folder is another
    file; nor a copy the user already edited or locked, whose work would be lost."""
    ids = _library(rt, tmp_path)
    show = tmp_path / "tv" / SHOW
    first, second = show / FILES[0], show / FILES[1]
    put(show, "Season 1/" + first.name, HEVC)  # another file under that name
    shutil.copy(second, show / "Season 1" / second.name)
    scan(rt, [show / "Season 1"])
    db.Movie.update(locked_fields=["plot"]).where(
        db.Movie.path == str(show / "Season 1" / second.name)
    ).execute()
    first.unlink()
    second.unlink()

    report = scan(rt, [show])

    assert sorted(report.missing) == sorted([ids[FILES[0]], ids[FILES[1]]])
    assert not report.merged
    assert db.Movie.select().where(db.Movie.kind == db.EPISODE).count() == 5


def test_two_copies_of_an_episode_are_not_merged_into_one_item(rt, tmp_path):
    """The old file copied to two season folders: which one is the move cannot be told."""
    ids = _library(rt, tmp_path)
    show = tmp_path / "tv" / SHOW
    old = show / FILES[0]
    for folder in ("Season 1", "Specials"):
        (show / folder).mkdir()
        shutil.copy2(old, show / folder / old.name)
    scan(rt)
    old.unlink()

    report = scan(rt)

    assert report.missing == [ids[FILES[0]]] and not report.merged


def test_a_show_whose_old_folder_went_first_follows_its_copy_when_it_comes(rt, tmp_path):
    """The other order: the old folder seen gone first (its items missing), the copy coming at
    a later scan (`rsync -r` without `-t`, then the watcher scans the folder that came). The
    old library holds another show, as a real one does: a root left empty is a share not
    mounted, whose shows are unseen, not gone (`scan.stage.unmounted`), and never followed."""
    ids = _library(rt, tmp_path)
    (tmp_path / "tv" / "Firefly (2002)").mkdir()
    old, new = tmp_path / "tv" / SHOW, tmp_path / "tv2" / "The Expanse"
    shutil.copytree(old, tmp_path / "elsewhere", copy_function=shutil.copy)
    shutil.rmtree(old)
    mark_gone(rt.config, [str(old)])
    assert db.Movie.get_by_id(ids[""]).missing
    (tmp_path / "elsewhere").rename(new)

    report = scan(rt, [new])

    assert not report.new and report.moved == [ids[""]]
    _followed(ids, new)


def test_a_proper_copied_in_before_the_old_file_went_takes_over_its_episode(rt, tmp_path):
    """A repack imported beside the old file by hand (or by a tool that deletes the old file
    last), Sonarr's naming with its `{Quality Full}`: a scan in between made it a new item,
    and the old one, with the user's edits, went missing when its file was deleted. The
    episode follows the one file of its numbers left in its folder, with that file's streams."""
    ids = _library(rt, tmp_path)
    season = tmp_path / "tv" / SHOW / "Season 01"
    old = season / Path(FILES[0]).name
    new = put(season, "The Expanse (2015) - S01E01 - Dulcinea [Bluray-1080p Proper].mkv", HEVC)
    assert len(scan(rt, [season]).new) == 1
    old.unlink()

    report = scan(rt, [season])

    assert not report.new and not report.missing and report.moved == [ids[FILES[0]]]
    item = db.Movie.get_by_id(ids[FILES[0]])
    assert (item.path, item.size, item.title) == (str(new), HEVC.stat().st_size, "My own title")
    assert db.VideoStream.get(db.VideoStream.movie == item.id).codec.lower() in ("hevc", "h265")
    assert db.Movie.select().where(db.Movie.kind == db.EPISODE).count() == 3
    # two files of the episode kept (two qualities), the old one deleted: neither takes it
    put(season, "The Expanse (2015) - S01E02 - The Big Empty [Bluray-2160p].mkv", HEVC)
    put(season, "The Expanse (2015) - S01E02 - The Big Empty [HDTV-720p].mkv", HEVC)
    scan(rt, [season])
    (season / Path(FILES[1]).name).unlink()
    assert scan(rt, [season]).missing == [ids[FILES[1]]]


# tinyMediaManager's tvshow.nfo (its comment and an element we do not write): the user's words
USERS_TVSHOW_NFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
    b"<!--created on 2024-03-02 18:11:54 - tinyMediaManager 5.0.2-->\n<tvshow>\n"
    b"  <title>The Expanse</title>\n  <userrating>9.5</userrating>\n</tvshow>\n"
)


def test_the_users_nfo_the_copys_publish_replaced_stays_the_shows(rt, tmp_path):
    """The copy published before the old folder went (the watcher saw the copy first and the
    pipeline published it): the copy of the user's tvshow.nfo that publish took before writing
    ours is the only one left once the old folder is deleted. The merge dropped its row as one
    of our own files the copy's scan took for the user's (its path is in the ledger now), and
    nothing named the copy any more."""
    old, new = tmp_path / "tv" / SHOW, tmp_path / "tv2" / SHOW
    old.mkdir(parents=True)
    (old / "tvshow.nfo").write_bytes(USERS_TVSHOW_NFO)
    ids = _library(rt, tmp_path)
    shutil.copytree(old, new)
    report = scan(rt, [new])
    (copy,) = [i for i in report.new if db.Movie.get_by_id(i).kind == db.SHOW]
    db.Movie.update(tvdb_id=280619, tmdb_id=63639, identification_status=db.ENRICHED).where(
        db.Movie.id == copy
    ).execute()
    result = publish_item(rt, db.Movie.get_by_id(copy))
    assert str(new / "tvshow.nfo") in result.backed_up
    assert (new / "tvshow.nfo").read_bytes() != USERS_TVSHOW_NFO

    shutil.rmtree(old)
    assert mark_gone(rt.config, [str(old)]) == []

    C = db.CacheImageFile
    (row,) = C.select().where(C.source_type == "library", C.image_type == "nfo")
    assert row.movie_id == ids[""] and Path(row.file_path).read_bytes() == USERS_TVSHOW_NFO


def test_a_show_whose_old_folder_cannot_be_looked_at_does_not_follow_its_copy(
    rt, tmp_path, monkeypatch
):
    """Sonarr's *Move series* copied the show to the other disk (scanned: new items), and its
    delete webhook came while the old folder, still there, could not be looked at (EACCES: a
    NAS share's permissions reset, `tv` made 0700 by another user). `mark_gone` keeps what
    cannot be looked at (`is_gone`), but `follow_copies` took `os.path.lexists` False for gone
    and merged the old items into the copy: the show and its episodes left files that were
    there. Nothing follows, nothing is missing; the copy stays its own show."""
    from tests.conftest import no_entry

    ids = _library(rt, tmp_path)
    old, new = tmp_path / "tv" / SHOW, tmp_path / "tv2" / SHOW
    shutil.copytree(old, new)
    copies = scan(rt, [new]).new
    assert len(copies) == 1 + 3
    with monkeypatch.context() as m:
        no_entry(m, tmp_path / "tv")
        assert mark_gone(rt.config, [str(old)]) == []
        report = scan(rt)  # the full scans decide nothing either
    assert not report.missing
    for rel, item_id in ids.items():
        item = db.Movie.get_by_id(item_id)
        assert not item.missing and Path(item.path).is_relative_to(old), rel
    assert all(db.Movie.get_or_none(db.Movie.id == i) for i in copies)


def test_the_cache_files_of_a_merged_copys_items_go_unless_still_used(rt, tmp_path):
    """The copy's show and episodes, enriched meanwhile (their posters, fanart and thumbs
    downloaded into metarrd's image cache), merge into the old ones: their rows go, and with
    them the files and previews no row uses now; the copy's poster that the old show has too
    (the same image) stays. They stayed on disk, unused, for good."""
    ids = _library(rt, tmp_path)
    old, new = tmp_path / "tv" / SHOW, tmp_path / "tv2" / SHOW
    kept = downloaded(rt.config, tmp_path, ids[""], "poster", (30, 60, 90))
    shutil.copytree(old, new)
    scan(rt, [new])
    copy = db.Movie.get(db.Movie.path == str(new))
    episode = db.Movie.get(db.Movie.path == str(new / FILES[0]))
    db.Movie.update(tvdb_id=280619, identification_status=db.IDENTIFIED).where(
        db.Movie.id == copy.id
    ).execute()
    shared = downloaded(rt.config, tmp_path, copy.id, "poster", (30, 60, 90))
    assert shared == kept  # one file in the cache, by content
    dropped = [
        downloaded(rt.config, tmp_path, copy.id, "fanart", (200, 10, 10)),
        downloaded(rt.config, tmp_path, episode.id, "thumb", (10, 200, 10)),
    ]
    assert all(p.is_file() for pair in [kept, *dropped] for p in pair)
    shutil.rmtree(old)

    assert mark_gone(rt.config, [str(old)]) == []

    _followed(ids, new)
    assert not [p for pair in dropped for p in pair if p.exists()]
    assert all(p.is_file() for p in kept)


def test_the_cache_files_of_an_episode_copys_item_go_unless_still_used(rt, tmp_path):
    """`cp -r "Season 01" "Season 1"`, the copy scanned and its episode's thumb downloaded,
    then `rm -r "Season 01"`: the copy's item merges into the old one, and the thumb's file in
    metarrd's image cache and its preview go with its rows; the old item's own stay."""
    ids = _library(rt, tmp_path)
    show = tmp_path / "tv" / SHOW
    kept = downloaded(rt.config, tmp_path, ids[FILES[0]], "thumb", (40, 40, 160))
    shutil.copytree(show / "Season 01", show / "Season 1", copy_function=shutil.copy)
    scan(rt, [show / "Season 1"])
    copy = db.Movie.get(db.Movie.path == str(show / "Season 1" / Path(FILES[0]).name))
    dropped = downloaded(rt.config, tmp_path, copy.id, "thumb", (160, 40, 40))
    shutil.rmtree(show / "Season 01")

    report = scan(rt, [show])

    assert len(report.merged) == 2 and copy.id in report.merged
    assert not [p for p in dropped if p.exists()]
    assert all(p.is_file() for p in kept)


def test_the_cache_files_of_a_propers_item_go_when_it_takes_over_its_episode(rt, tmp_path):
    """The proper copied in beside the old file, scanned, its thumb downloaded meanwhile; then
    the old file deleted: the proper's item merges into the episode's, and its thumb's file in
    metarrd's image cache and its preview go with its rows; the episode's own stay."""
    ids = _library(rt, tmp_path)
    season = tmp_path / "tv" / SHOW / "Season 01"
    kept = downloaded(rt.config, tmp_path, ids[FILES[0]], "thumb", (70, 70, 70))
    new = put(season, "The Expanse (2015) - S01E01 - Dulcinea [Bluray-1080p Proper].mkv", HEVC)
    scan(rt, [season])
    proper = db.Movie.get(db.Movie.path == str(new))
    dropped = downloaded(rt.config, tmp_path, proper.id, "thumb", (140, 70, 0))
    (season / Path(FILES[0]).name).unlink()

    report = scan(rt, [season])

    assert report.moved == [ids[FILES[0]]] and report.merged == [proper.id]
    assert not [p for p in dropped if p.exists()]
    assert all(p.is_file() for p in kept)
