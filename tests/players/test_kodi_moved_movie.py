"""A movie whose folder or file was renamed, told to Kodi: the new folder scanned, the watched
state given back to the new entry, then the old entry removed (a Scan alone lists the movie twice
in Kodi, the old entry keeping the play count until the user cleans the library); a new entry
that never shows up leaves the old one, and its watched state, in Kodi."""

from __future__ import annotations

from pathlib import Path

import pytest
from player_fakes import FakeKodi
from player_helpers import add_movie, queue, states
from test_kodi import kodi_player, smb_map

from metarrd import db
from metarrd.players import process_notifications

NAS = "smb://nas/movies/"
# what Kodi 20.1's GetMovies gives of a movie watched halfway through, rated and tagged
WATCHED = {
    "uniqueid": {"tmdb": "949", "imdb": "tt0113277"},
    "playcount": 1,
    "resume": {"position": 1500.0, "total": 10200.0},
    "lastplayed": "2026-11-30 21:04:11",
    "userrating": 8,
    "tag": ["Michael Mann", "to show Sam"],
}


def heat(rt, rel: str, **fields) -> db.Movie:
    movie = add_movie(rt, rel)
    movie.tmdb_id, movie.imdb_id = 949, "tt0113277"
    for name, value in fields.items():
        setattr(movie, name, value)
    movie.save()
    return movie


def adds(kodi: FakeKodi, movieid: int, file: str, tag=()):
    """A Scan of the new folder adds the movie as a new entry, unwatched (the NFO's tags)."""

    def scan(directory):
        if file.removeprefix("stack://").startswith(directory):
            kodi.movies[movieid] = file
            kodi.movie_details[movieid] = {"uniqueid": WATCHED["uniqueid"], "tag": list(tag)}

    kodi.on_scan = scan


def _queued_heat(make_rt, tmp_path, kodi: FakeKodi):
    """A runtime whose Living room is `kodi`, with Heat at `Heat (1995)/` queued for it."""
    rt = make_rt([kodi_player(kodi.url, path_map=smb_map(tmp_path / "movies"))])
    queue(heat(rt, "Heat (1995)/Heat (1995).mkv"))
    return rt


def _heat_tagged_heist_at_its_old_folder(**extra) -> FakeKodi:
    """Kodi holding Heat (id 7) watched at its release folder, tagged "heist" (the NFO's)."""
    old = NAS + "Heat.1995.1080p.BluRay.x264-AMIABLE/Heat.1995.1080p.BluRay.x264-AMIABLE.mkv"
    tagged = {**WATCHED, "tag": ["Michael Mann", "heist", "to show Sam"]}
    return FakeKodi(sources=[NAS], movies={7: old}, movie_details={7: tagged}, **extra)


def _renamed_and_republished_without_heist(make_rt, tmp_path, kodi: FakeKodi):
    """Heat renamed to `Heat (1995)/` (Kodi's Scan adds it as id 8), told before the rename of
    an NFO with "heist", republished with "heist" taken out and told: the batch's report."""
    adds(kodi, 8, NAS + "Heat (1995)/Heat (1995).mkv", tag=["Michael Mann"])
    rt = make_rt([kodi_player(kodi.url, path_map=smb_map(tmp_path / "movies"))])
    movie = heat(rt, "Heat (1995)/Heat (1995).mkv")
    [told] = queue(movie)  # told before the rename, of an NFO with "heist"
    told.state, told.path = "sent", str(tmp_path / "movies" / "Heat.1995" / "Heat.1995.mkv")
    told.kept_state = [{"nfo_tags": ["Michael Mann", "heist"]}]
    told.save()
    queue(movie)
    [report] = process_notifications(rt)
    return report


def test_a_renamed_movie_folder_replaces_kodis_old_entry_keeping_its_watched_state(
    make_rt, tmp_path
):
    """`Heat.1995.1080p.BluRay.x264-AMIABLE/` renamed by hand to `Heat (1995)/` (the old
    folder is gone on our side)."""
    old = NAS + "Heat.1995.1080p.BluRay.x264-AMIABLE/Heat.1995.1080p.BluRay.x264-AMIABLE.mkv"
    new = NAS + "Heat (1995)/Heat (1995).mkv"
    with FakeKodi(sources=[NAS], movies={7: old}, movie_details={7: WATCHED}) as kodi:
        adds(kodi, 8, new, tag=["Michael Mann"])
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == [{"movieid": 7}]
    assert kodi.scans == [NAS + "Heat (1995)/"]
    assert kodi.called("VideoLibrary.SetMovieDetails") == [
        {
            "movieid": 8,
            "playcount": 1,
            "resume": {"position": 1500.0, "total": 10200.0},
            "lastplayed": "2026-11-30 21:04:11",
            "userrating": 8,
            "tag": ["Michael Mann", "to show Sam"],
        }
    ]
    assert list(kodi.movies) == [8] and kodi.movie_details[8]["playcount"] == 1
    # one look for a moved movie: the library root, by file and uniqueid
    lookups = [c for c in kodi.called("VideoLibrary.GetMovies") if c["filter"]["value"] == NAS]
    assert [c["properties"] for c in lookups] == [["file", "uniqueid"]]
    assert report.done == [
        f"scanned {NAS}Heat (1995)/ and removed the movie at {old} (renamed); "
        "kept its watched state"
    ]
    # the old entry goes last: once the new one is there and has the watched state
    order = [m for m, _p in kodi.calls if m.startswith(("VideoLibrary.S", "VideoLibrary.R"))]
    assert order == [
        "VideoLibrary.Scan",
        "VideoLibrary.SetMovieDetails",
        "VideoLibrary.RemoveMovie",
    ]
    assert states("Living room") == ["sent"] and kodi.violations == []


def test_a_file_renamed_in_its_folder_and_a_renamed_stack_are_moved_too(make_rt, tmp_path):
    """Radarr's rename of a file in place (`Heat.1995.mkv` -> `Heat (1995).mkv`), and a
    stack whose folder was renamed (Kodi's file `stack://<cd1> , <cd2>`)."""
    old = NAS + "Heat (1995)/Heat.1995.mkv"
    cd = "Alien (1979)/Alien (1979) cd{}.avi"
    old_stack = f"stack://{NAS}Alien/Alien cd1.avi , {NAS}Alien/Alien cd2.avi"
    new_stack = f"stack://{NAS}{cd.format(1)} , {NAS}{cd.format(2)}"
    alien = {"uniqueid": {"tmdb": "348"}, "playcount": 3}
    with FakeKodi(
        sources=[NAS], movies={7: old, 9: old_stack}, movie_details={7: WATCHED, 9: alien}
    ) as kodi:

        def scan(directory):
            for movieid, file, uniqueid in ((8, NAS + "Heat (1995)/Heat (1995).mkv", "949"),
                                            (10, new_stack, "348")):  # fmt: skip
                if file.removeprefix("stack://").startswith(directory):
                    kodi.movies[movieid] = file
                    kodi.movie_details[movieid] = {"uniqueid": {"tmdb": uniqueid}}

        kodi.on_scan = scan
        rt = _queued_heat(make_rt, tmp_path, kodi)
        add_movie(rt, cd.format(2))
        queue(heat(rt, cd.format(1), tmdb_id=348, imdb_id=None))
        process_notifications(rt)
    removed = sorted(c["movieid"] for c in kodi.called("VideoLibrary.RemoveMovie"))
    assert removed == [7, 9]
    assert sorted(kodi.movies) == [8, 10]
    assert kodi.movie_details[8]["playcount"] == 1 and kodi.movie_details[10]["playcount"] == 3
    assert kodi.violations == []


def test_a_renamed_dvd_folder_is_moved_by_its_ifo(make_rt, tmp_path):
    """A DVD's file in Kodi is its `VIDEO_TS/VIDEO_TS.IFO`."""
    old = NAS + "Heat DVD/VIDEO_TS/VIDEO_TS.IFO"
    new = NAS + "Heat (1995)/VIDEO_TS/VIDEO_TS.IFO"
    with FakeKodi(sources=[NAS], movies={7: old}, movie_details={7: WATCHED}) as kodi:
        adds(kodi, 8, new)
        rt = make_rt([kodi_player(kodi.url, path_map=smb_map(tmp_path / "movies"))])
        disc = Path(rt.config.library_named("Movies").path) / "Heat (1995)" / "VIDEO_TS"
        disc.mkdir(parents=True)
        (disc / "VIDEO_TS.IFO").write_bytes(b"dvd")
        lib = db.Library.get(db.Library.name == "Movies")
        movie = db.Movie.create(
            library=lib, path=str(disc), title="Heat", is_disc=True, tmdb_id=949
        )
        queue(movie)
        process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == [{"movieid": 7}]
    assert kodi.scans == [NAS + "Heat (1995)/"]
    assert list(kodi.movies) == [8] and kodi.movie_details[8]["playcount"] == 1


def test_a_copy_kodi_has_at_a_folder_still_there_is_only_scanned(make_rt, tmp_path):
    """Two copies of one movie (a 4K one beside it): both stay."""
    other = NAS + "Heat (1995) 2160p/Heat (1995).mkv"
    with FakeKodi(sources=[NAS], movies={7: other}, movie_details={7: WATCHED}) as kodi:
        rt = make_rt([kodi_player(kodi.url, path_map=smb_map(tmp_path / "movies"))])
        add_movie(rt, "Heat (1995) 2160p/Heat (1995).mkv")
        queue(heat(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == []
    assert kodi.scans == [NAS + "Heat (1995)/"]


def test_a_movie_kodi_never_had_is_only_scanned(make_rt, tmp_path):
    with FakeKodi(sources=[NAS], movies={7: NAS + "Alien/Alien.mkv"}) as kodi:
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == []
    assert kodi.called("VideoLibrary.SetMovieDetails") == []
    assert kodi.scans == [NAS + "Heat (1995)/"]
    assert report.done == [f"scanned {NAS}Heat (1995)/ for 1 new movie"]


def test_an_unwatched_renamed_movie_is_scanned_and_its_old_entry_removed(make_rt, tmp_path):
    old = NAS + "Heat/Heat.mkv"
    details = {7: {"uniqueid": {"tmdb": "949"}, "playcount": 0}}
    with FakeKodi(sources=[NAS], movies={7: old}, movie_details=details) as kodi:
        adds(kodi, 8, NAS + "Heat (1995)/Heat (1995).mkv")
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == [{"movieid": 7}]
    assert kodi.called("VideoLibrary.SetMovieDetails") == []
    assert report.done == [f"scanned {NAS}Heat (1995)/ and removed the movie at {old} (renamed)"]


def test_camel_case_kodi_gets_camel_case_remove_and_set(make_rt, tmp_path):
    old = NAS + "Heat/Heat.mkv"
    with FakeKodi(
        sources=[NAS], movies={7: old}, movie_details={7: WATCHED}, version=(21, 0, 0), camel=True
    ) as kodi:
        adds(kodi, 8, NAS + "Heat (1995)/Heat (1995).mkv")
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == [{"movieId": 7}]
    assert [c["movieId"] for c in kodi.called("VideoLibrary.SetMovieDetails")] == [8]
    assert report.sent == 1 and kodi.violations == []


def test_a_movie_moved_out_of_every_kodi_source_is_not_removed_from_kodi(make_rt, tmp_path):
    """Its new folder would be scanned for nothing: the old entry stays, the row is retried
    (a source may be added)."""
    path_map = [{"from": str(tmp_path / "movies"), "to": "smb://other/movies"}]
    movies = {7: "smb://other/movies/Heat/Heat.mkv"}
    with FakeKodi(sources=[NAS], movies=movies, movie_details={7: WATCHED}) as kodi:
        rt = make_rt([kodi_player(kodi.url, path_map=path_map)])
        queue(heat(rt, "Heat (1995)/Heat (1995).mkv"))
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveMovie") == [] and kodi.scans == []
    assert report.retrying == 1 and "no Kodi video source holds" in report.error
    assert 7 in kodi.movies


def test_a_renamed_movie_kodi_does_not_find_at_its_new_folder_keeps_its_old_entry(
    make_rt, tmp_path
):
    """The Scan of the new folder adds nothing (Kodi 20.1 answers "OK" to a Scan of a folder it
    cannot read: a path_map to a share Kodi mounts elsewhere, a scan that failed). The old entry
    was removed first, and the movie and its play count, resume point and rating were gone from
    Kodi. Now the old entry stays as it was and the row is retried, naming the reason."""
    old = NAS + "Heat.1995.1080p.BluRay.x264-AMIABLE/Heat.1995.1080p.BluRay.x264-AMIABLE.mkv"
    with FakeKodi(sources=[NAS], movies={7: old}, movie_details={7: WATCHED}) as kodi:
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.scans == [NAS + "Heat (1995)/"]
    assert kodi.called("VideoLibrary.RemoveMovie") == []
    assert kodi.called("VideoLibrary.SetMovieDetails") == []
    assert kodi.movies == {7: old} and kodi.movie_details[7]["playcount"] == 1
    assert report.retrying == 1
    assert f"{NAS}Heat (1995)/Heat (1995).mkv did not show up in Kodi" in report.error
    assert f"its old entry at {old} is kept" in report.error


def test_a_renamed_movie_kodi_found_at_its_new_folder_first_takes_the_old_entrys_state(
    make_rt, tmp_path
):
    """Radarr renamed `Heat.1995.1080p.BluRay.x264-AMIABLE/` to `Heat (1995)/` and Kodi's own
    scan (its library update on start-up, or Radarr's "Update library") added the new folder
    before metarrd told it: Kodi listed Heat twice, the old entry holding the play count,
    resume point, rating and tags, the new one refreshed and unwatched. The old entry's state
    goes to the new one, which keeps it across its refresh, and the old entry is removed."""
    old = NAS + "Heat.1995.1080p.BluRay.x264-AMIABLE/Heat.1995.1080p.BluRay.x264-AMIABLE.mkv"
    new = NAS + "Heat (1995)/Heat (1995).mkv"
    fresh = {"uniqueid": WATCHED["uniqueid"], "playcount": 0, "tag": ["Michael Mann"]}
    with FakeKodi(
        sources=[NAS], movies={7: old, 8: new}, movie_details={7: WATCHED, 8: fresh}
    ) as kodi:
        rt = _queued_heat(make_rt, tmp_path, kodi)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshMovie") == [{"movieid": 8, "ignorenfo": False}]
    assert kodi.called("VideoLibrary.RemoveMovie") == [{"movieid": 7}]
    assert kodi.scans == []
    assert list(kodi.movies) == [8]
    kept = kodi.movie_details[8]
    assert kept["playcount"] == 1 and kept["userrating"] == 8
    assert kept["lastplayed"] == "2026-11-30 21:04:11"
    assert kept["resume"] == {"position": 1500.0, "total": 10200.0}
    assert kept["tag"] == ["Michael Mann", "to show Sam"]
    # the old entry goes last, once the new one has the state after its refresh
    order = [m for m, _p in kodi.calls if m.startswith(("VideoLibrary.S", "VideoLibrary.R"))]
    assert order[-2:] == ["VideoLibrary.SetMovieDetails", "VideoLibrary.RemoveMovie"]
    assert report.sent == 1 and report.done == [
        "refreshed 1 known movie",
        f"removed the movie at {old} (renamed; Kodi had it at {new} already); "
        "kept its watched state",
    ]


def test_a_renamed_movie_does_not_get_back_a_tag_metarrd_took_out_of_its_nfo(make_rt, tmp_path):
    """The old entry's tags are the NFO's Kodi read when it was last told (noted in that row)
    and the user's own; renamed and republished with "heist" taken out in metarrd, the new
    entry gets the new NFO's tags and the user's "to show Sam", not "heist" again."""
    with _heat_tagged_heist_at_its_old_folder() as kodi:
        report = _renamed_and_republished_without_heist(make_rt, tmp_path, kodi)
    assert report.sent == 1, report.error
    assert list(kodi.movies) == [8]
    assert kodi.movie_details[8]["tag"] == ["Michael Mann", "to show Sam"]


def test_a_renamed_movie_does_not_get_back_a_tag_kodi_spells_otherwise_than_its_nfo(
    make_rt, tmp_path
):
    """As above, the NFO Kodi read having `heist` (a TMDB keyword), which Kodi links to the
    `Heist` a user made first (`WHERE name LIKE`, ASCII case folded) and lists so: by its
    spelling that was the user's own, and the new entry got it back, though metarrd took it
    out of the NFO."""
    with _heat_tagged_heist_at_its_old_folder(tag_names=["Heist"]) as kodi:
        assert kodi.movie_details[7]["tag"] == ["Michael Mann", "Heist", "to show Sam"]
        report = _renamed_and_republished_without_heist(make_rt, tmp_path, kodi)
    assert report.sent == 1, report.error
    assert list(kodi.movies) == [8]
    assert kodi.movie_details[8]["tag"] == ["Michael Mann", "to show Sam"]


@pytest.mark.parametrize("disc", ["VIDEO_TS/VIDEO_TS.IFO", "BDMV/index.bdmv"])
def test_a_disc_in_the_library_root_is_not_taken_for_the_movies_below_it(make_rt, tmp_path, disc):
    """A DVD (Blu-ray) copied straight into the library's folder, `movies/VIDEO_TS/`: Kodi
    lists its `VIDEO_TS/` as the disc `movies/VIDEO_TS/VIDEO_TS.IFO` (`CFileItemList::
    StackFolders`, `GetOpticalMediaPath`) and adds it as a movie of its own. Its folder is the
    library's, so every movie Kodi has below it was taken for the disc: Heat was refreshed in
    its place, and the disc never scanned."""
    heat = NAS + "Heat (1995)/Heat (1995).mkv"
    with FakeKodi(sources=[NAS], movies={7: heat}) as kodi:
        adds(kodi, 8, NAS + disc)
        rt = make_rt([kodi_player(kodi.url, path_map=smb_map(tmp_path / "movies"))])
        add_movie(rt, "Heat (1995)/Heat (1995).mkv")
        root = Path(rt.config.library_named("Movies").path)
        (root / disc).parent.mkdir(parents=True)
        (root / disc).write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True))
        [report] = process_notifications(rt)
    assert report.sent == 1, report.error
    assert kodi.called("VideoLibrary.RefreshMovie") == []
    assert kodi.scans == [NAS]
    assert sorted(kodi.movies) == [7, 8]
