"""Jellyfin: the items it has are refreshed one by one, so side-by-side paths never merge into a
refresh of their whole library; only new paths are reported to `/Library/Media/Updated`.

The Jellyfin double (player_fakes.FakeJellyfin) is a real HTTP server on 127.0.0.1 answering
`GET /Items` and `POST /Items/{id}/Refresh` as Jellyfin's ItemsController and
ItemRefreshController do, and working out what a reported path refreshes as its LibraryMonitor
and FileRefresher do (10.10).
"""

from __future__ import annotations

import logging

import pytest
from player_fakes import FakeJellyfin
from player_helpers import add_movie, queue, states

from metarrd import db
from metarrd.players import jellyfin as jellyfin_module
from metarrd.players import process_notifications
from tests.conftest import hard_mount

HTML_500 = (500, {"Content-Type": "text/html"}, b"<html><body>Internal error</body></html>")


def jelly_player(jelly, root, to, libraries=("Movies",)) -> dict:
    return {
        "name": "Jelly",
        "type": "jellyfin",
        "url": jelly.url,
        "token": "jf-key",
        "libraries": list(libraries),
        "path_map": [{"from": root, "to": to}],
        "timeout_seconds": 2.0,
    }


def test_two_known_shows_told_together_do_not_refresh_their_whole_library(make_rt, tmp_path):
    """Two show folders of one library reported within Jellyfin's minute are siblings: its
    LibraryMonitor rebased them onto their parent, and the library folder was refreshed too
    (every show of the library validated). Each known show is now refreshed by its id."""
    root = tmp_path / "tv"
    shows = ["Breaking Bad (2008)", "Dark (2017)"]
    for name in shows:
        (root / name).mkdir(parents=True)
    known = [f"/media/tv/{name}" for name in shows]
    with FakeJellyfin(locations=["/media/tv"], items=known) as jelly:
        rt = make_rt(
            [jelly_player(jelly, str(root), "/media/tv", libraries=["TV"])],
            library=[{"name": "TV", "path": str(root), "kind": "tv"}],
        )
        lib = db.Library.get(db.Library.name == "TV")
        for name in shows:
            queue(db.Movie.create(library=lib, path=str(root / name), title=name, kind=db.SHOW))
        (report,) = process_notifications(rt)

    assert jelly.refreshed == set(known)  # not /media/tv
    assert jelly.updates == []
    assert jelly.violations == []
    searches = [r.query for r in jelly.requests if r.path == "/Items"]
    assert [q["searchTerm"] for q in searches] == [["Breaking Bad"], ["Dark"]]
    assert all(q["includeItemTypes"] == ["Series"] for q in searches)
    assert states("Jelly") == ["sent", "sent"]
    assert "refreshed 2 known items" in str(report)


def test_movies_side_by_side_are_refreshed_alone_and_a_new_one_still_reported(make_rt, tmp_path):
    """Two movies in one folder: their files are siblings, rebased onto the folder, whose
    nearest item is the library folder. Known ones are refreshed by id; the new one is
    reported, and its library folder finds it."""
    root = str(tmp_path / "movies")
    known = ["/media/movies/Classics/Alien (1979).mkv", "/media/movies/Classics/Heat (1995).mkv"]
    with FakeJellyfin(locations=["/media/movies"], items=known) as jelly:
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        for name in ("Alien (1979)", "Heat (1995)", "Ran (1985)"):
            queue(add_movie(rt, f"Classics/{name}.mkv"))
        process_notifications(rt)

    assert set(jelly.item_refreshes) == set(known)
    assert jelly.updates == [
        [{"Path": "/media/movies/Classics/Ran (1985).mkv", "UpdateType": "Modified"}]
    ]
    assert jelly.violations == []
    assert states("Jelly") == ["sent"] * 3


def test_a_refresh_jellyfin_fails_fails_only_its_item(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    known = [
        "/media/movies/Alien (1979)/Alien (1979).mkv",
        "/media/movies/Heat (1995)/Heat (1995).mkv",
    ]
    with FakeJellyfin(locations=["/media/movies"], items=known) as jelly:
        alien = f"/Items/{jelly.item_id(known[0])}/Refresh"
        real_handle = jelly.handle
        jelly.handle = lambda req: HTML_500 if req.path == alien else real_handle(req)
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        for name in ("Alien (1979)", "Heat (1995)", "Ran (1985)"):
            queue(add_movie(rt, f"{name}/{name}.mkv"))
        (report,) = process_notifications(rt)

    assert jelly.item_refreshes == [known[1]]
    assert jelly.updates == [
        [{"Path": "/media/movies/Ran (1985)/Ran (1985).mkv", "UpdateType": "Modified"}]
    ]
    assert states("Jelly") == ["pending", "sent", "sent"]
    row = db.PlayerNotification.get(db.PlayerNotification.state == "pending")
    assert "server error (HTTP 500)" in row.last_error
    assert (report.sent, report.retrying) == (2, 1)


def test_a_jellyfin_without_a_usable_items_search_gets_the_paths_reported(make_rt, tmp_path):
    """An `/Items` that answers an HTML page (a proxy, an old server): the movie is reported
    by its path, as before, instead of failing again and again."""
    root = str(tmp_path / "movies")
    known = ["/media/movies/Heat (1995)/Heat (1995).mkv"]
    page = (200, {"Content-Type": "text/html"}, b"<html><body>Jellyfin</body></html>")
    with FakeJellyfin(locations=["/media/movies"], items=known) as jelly:
        real_handle = jelly.handle
        jelly.handle = lambda req: page if req.path == "/Items" else real_handle(req)
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    assert jelly.updates == [[{"Path": known[0], "UpdateType": "Modified"}]]
    assert states("Jelly") == ["sent"]


def test_a_movie_jellyfin_names_otherwise_is_found_among_all_movies(make_rt, tmp_path):
    """`Der Pate (1972)` is `The Godfather` in Jellyfin: no search by the folder's or file's
    name finds it, so its path was reported, and the report of two side-by-side paths rebases
    onto the library folder. An identified movie not found by name is looked for among all
    movies (one listing for the batch; `/Items` has no filter by an id's value), where its path
    finds it. `Leon` finds `Léon: The Professional` by name (Jellyfin drops diacritics); a copy
    elsewhere is not refreshed; a new movie is still reported."""
    root = str(tmp_path / "movies")
    pate = "/media/movies/Der Pate (1972)/Der Pate (1972).mkv"
    leon = "/media/movies/Leon (1994)/Leon (1994).mkv"
    copy = "/media/movies/Backup/The Godfather (1972).mkv"
    names = {pate: "The Godfather", leon: "Léon: The Professional", copy: "The Godfather"}
    with FakeJellyfin(locations=["/media/movies"], items=[pate, leon, copy], names=names) as jelly:
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        for name, tmdb in (("Der Pate (1972)", 238), ("Leon (1994)", 101), ("Heat (1995)", 949)):
            movie = add_movie(rt, f"{name}/{name}.mkv")
            movie.tmdb_id = tmdb
            movie.save()
            queue(movie)
        (report,) = process_notifications(rt)

    assert sorted(jelly.item_refreshes) == [pate, leon]
    assert jelly.updates == [
        [{"Path": "/media/movies/Heat (1995)/Heat (1995).mkv", "UpdateType": "Modified"}]
    ]
    listings = [
        r.query for r in jelly.requests if r.path == "/Items" and "searchTerm" not in r.query
    ]
    assert len(listings) == 1 and listings[0]["includeItemTypes"] == ["Movie"]
    assert jelly.violations == []
    assert states("Jelly") == ["sent"] * 3
    assert "refreshed 2 known items" in str(report)


def test_a_windows_jellyfin_finds_a_known_movie_whatever_the_case_of_the_path_map(
    make_rt, tmp_path
):
    """Jellyfin on Windows has `D:\\Movies\\...`; the path_map says `d:\\movies`. The exact
    comparison missed the known movie, whose path was then reported instead of refreshed."""
    root = str(tmp_path / "movies")
    known = "D:\\Movies\\Heat (1995)\\Heat (1995).mkv"
    with FakeJellyfin(locations=["D:\\Movies"], items=[known]) as jelly:
        rt = make_rt([jelly_player(jelly, root, "d:\\movies")])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    assert jelly.item_refreshes == [known]
    assert jelly.updates == []
    assert states("Jelly") == ["sent"]


def test_a_token_that_may_not_refresh_items_gets_the_paths_reported(make_rt, tmp_path, caplog):
    """A user's token, not an administrator's API key: `/Items` answers, but
    `POST /Items/<id>/Refresh` (RequiresElevation) is 403. The batch stopped on 'refused our
    credentials' and was retried until it failed, though `/Library/Media/Updated` (any user)
    worked before items were refreshed by id. The paths are reported as before, with one
    warning saying which key refreshes items by themselves."""
    root = str(tmp_path / "movies")
    known = [
        "/media/movies/Alien (1979)/Alien (1979).mkv",
        "/media/movies/Heat (1995)/Heat (1995).mkv",
    ]
    with FakeJellyfin(locations=["/media/movies"], items=known, admin=False) as jelly:
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        for name in ("Alien (1979)", "Heat (1995)"):
            queue(add_movie(rt, f"{name}/{name}.mkv"))
        caplog.set_level(logging.WARNING)
        (report,) = process_notifications(rt)
        tried = [r.path for r in jelly.requests if r.path.endswith("/Refresh")]

    assert len(tried) == 1  # not once per item
    assert jelly.updates == [[{"Path": p, "UpdateType": "Modified"} for p in known]]
    assert states("Jelly") == ["sent", "sent"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "administrator's API key" in warnings[0]
    assert "administrator's API key" in str(report)


def test_all_movies_are_listed_in_pages(make_rt, tmp_path, monkeypatch):
    """The listing of all movies (for one not found by name) came in one answer: for a library
    of thousands it could outlast `timeout_seconds`. It comes in pages (`startIndex`, `limit`;
    `TotalRecordCount` tells when it is complete)."""
    monkeypatch.setattr(jellyfin_module, "LISTING_PAGE", 4)
    root = str(tmp_path / "movies")
    known = [f"/media/movies/M{i} (2000)/M{i} (2000).mkv" for i in range(9)]
    pate = "/media/movies/Der Pate (1972)/Der Pate (1972).mkv"
    with FakeJellyfin(
        locations=["/media/movies"], items=[*known, pate], names={pate: "The Godfather"}
    ) as jelly:
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        movie = add_movie(rt, "Der Pate (1972)/Der Pate (1972).mkv")
        movie.tmdb_id = 238
        movie.save()
        queue(movie)
        process_notifications(rt)

    listed = [r.query for r in jelly.requests if r.path == "/Items" and "searchTerm" not in r.query]
    assert [(q["startIndex"], q["limit"]) for q in listed] == [
        (["0"], ["4"]),
        (["4"], ["4"]),
        (["8"], ["4"]),
    ]
    assert jelly.item_refreshes == [pate]
    assert states("Jelly") == ["sent"]


def test_a_sign_in_page_that_answers_every_path_is_not_taken_for_jellyfin(make_rt, tmp_path):
    """A URL that reaches a reverse proxy's sign-in page (oauth2-proxy, Authelia, a NAS's web
    UI) answers every path with 200 and an HTML page. `/Items` fails, so the path is reported;
    the report answered the same page and was taken as sent, so the movie never reached
    Jellyfin and nothing showed the failure. Jellyfin answers `/Library/Media/Updated` with 204
    and no body (LibraryController.PostUpdatedMedia); an HTML page is not that answer."""
    root = str(tmp_path / "movies")
    page = (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Sign in</body></html>")
    with FakeJellyfin(locations=["/media/movies"]) as jelly:
        jelly.handle = lambda req: page
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    assert states("Jelly") == ["pending"]  # retried, not marked sent
    row = db.PlayerNotification.get()
    assert "/Library/Media/Updated answered with an HTML page" in row.last_error


def test_a_dvd_in_the_library_folder_is_its_video_ts_item_not_the_whole_library(make_rt, tmp_path):
    """A DVD copied straight into the library's folder, `movies/VIDEO_TS/`: Jellyfin has it as
    the movie at `movies/VIDEO_TS` (the library's folder is no movie, MovieResolver.IsInvalid;
    `VIDEO_TS/` holds `VIDEO_TS.IFO`, IsDvdFile). Looked for at the library's folder, it was
    not found, and that folder was reported: Jellyfin refreshed the whole library."""
    root = tmp_path / "movies"
    dvd = "/media/movies/VIDEO_TS"
    heat = "/media/movies/Heat (1995)/Heat (1995).mkv"
    with FakeJellyfin(
        locations=["/media/movies"],
        items=[heat, dvd],
        kinds={dvd: "Movie"},
        names={dvd: "Alien"},
    ) as jelly:
        rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
        (root / "VIDEO_TS").mkdir(parents=True)
        (root / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        disc = db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True)
        disc.tmdb_id = 348
        disc.save()
        queue(disc)
        process_notifications(rt)

    assert jelly.item_refreshes == [dvd]
    assert jelly.refreshed == {dvd}  # not /media/movies
    assert jelly.updates == []
    assert jelly.violations == []
    assert states("Jelly") == ["sent"]


@pytest.mark.parametrize("disc", ["Alien (1979)/VIDEO_TS", "Blade Runner (1982)/BDMV"])
def test_a_disc_in_its_own_folder_is_the_item_at_that_folder(make_rt, tmp_path, disc):
    """A DVD's or Blu-ray's item is the folder holding its `VIDEO_TS/` or `BDMV/`
    (MovieResolver.FindMovie: `IsDvdDirectory`, `IsBluRayDirectory`), found by that folder's
    name; a movie of the same name in the folder beside it is another."""
    root = tmp_path / "movies"
    folder = disc.split("/")[0]
    item = f"/media/movies/{folder}"
    other = f"/media/movies/{folder} Extended/{folder}.mkv"
    with FakeJellyfin(
        locations=["/media/movies"], items=[other, item], kinds={item: "Movie"}
    ) as jelly:
        rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
        (root / disc).mkdir(parents=True)
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root / folder), title=folder, is_disc=True))
        process_notifications(rt)

    assert jelly.item_refreshes == [item]
    assert jelly.updates == []
    assert states("Jelly") == ["sent"]


def test_an_unidentified_dvd_in_the_library_folder_is_found_by_its_title(make_rt, tmp_path):
    """A DVD copied straight into the library's folder with no provider ids: its folder is the
    library's, whose name (`movies`) was its only search; nothing found and no ids to list all
    movies by, the library's folder was reported, and Jellyfin refreshed the whole library. Its
    title in our database finds it."""
    root = tmp_path / "movies"
    dvd = "/media/movies/VIDEO_TS"
    heat = "/media/movies/Heat (1995)/Heat (1995).mkv"
    with FakeJellyfin(
        locations=["/media/movies"], items=[heat, dvd], kinds={dvd: "Movie"}, names={dvd: "Alien"}
    ) as jelly:
        rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
        (root / "VIDEO_TS").mkdir(parents=True)
        (root / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True))
        process_notifications(rt)

    searches = [r.query["searchTerm"] for r in jelly.requests if r.path == "/Items"]
    assert searches == [["Alien"]]  # not the library's folder's name
    assert jelly.item_refreshes == [dvd]
    assert jelly.refreshed == {dvd}  # not /media/movies
    assert jelly.updates == []
    assert states("Jelly") == ["sent"]


@pytest.mark.parametrize(
    ("files", "known", "refreshed", "reported"),
    [
        # Jellyfin's one movie of two versions: Path the highest resolution, 720p its
        # LocalAlternateVersions (VideoListResolver.OrganizeAlternateVersions)
        (["Heat (1995) - 720p.mkv", "Heat (1995) - 1080p.mkv"], ["Heat (1995) - 1080p.mkv"], 1, []),
        # named as its folder: that one is the Path, whatever the other's resolution
        (["Heat (1995) - 2160p.mkv", "Heat (1995).mkv"], ["Heat (1995).mkv"], 1, []),
        (["Heat (1995) [Director's Cut].mkv", "Heat (1995).mkv"], ["Heat (1995).mkv"], 1, []),
        # `Heat (1995) 720p` is no version (a space, not `-`, `_`, `.` or `[`): a movie of
        # its own, not in Jellyfin yet; the other is not taken for it
        (["Heat (1995) 720p.mkv"], ["Heat (1995) - 1080p.mkv"], 0, ["Heat (1995) 720p.mkv"]),
    ],
)
def test_a_version_of_a_movie_is_its_jellyfin_movie(
    make_rt, tmp_path, files, known, refreshed, reported
):
    """`Heat (1995)/Heat (1995) - 1080p.mkv` and `Heat (1995) - 720p.mkv`: Kodi (and metarrd)
    have two movies, Jellyfin one, whose `Path` is one of them and the other its alternate
    version, no item in `/Items`. That one was not found, and its path was reported: its
    nearest item up is the library's folder, refreshed whole. It is Jellyfin's movie."""
    root = str(tmp_path / "movies")
    folder = "/media/movies/Heat (1995)"
    with FakeJellyfin(locations=["/media/movies"], items=[f"{folder}/{f}" for f in known]) as jelly:
        rt = make_rt([jelly_player(jelly, root, "/media/movies")])
        for name in files:
            queue(add_movie(rt, f"Heat (1995)/{name}"))
        process_notifications(rt)

    assert jelly.item_refreshes == [f"{folder}/{known[0]}"] * refreshed
    updates = [u["Path"] for batch in jelly.updates for u in batch]
    assert updates == [f"{folder}/{f}" for f in reported]
    if refreshed:
        assert jelly.refreshed == {f"{folder}/{known[0]}"}  # not /media/movies
    assert states("Jelly") == ["sent"] * len(files)


@pytest.mark.parametrize(
    ("discs", "known"),
    [
        # one Jellyfin movie at the first disc's folder, the second its AdditionalParts
        # (MovieResolver.GetMultiDiscMovie; StackResolver stacks the folders by their names)
        (
            [
                "The Sound of Music (1965) (Disc 01)/VIDEO_TS",
                "The Sound of Music (1965) (Disc 02)/VIDEO_TS",
            ],
            ["The Sound of Music (1965) (Disc 01)"],
        ),
        (
            ["The Sound of Music (1965) - Disc 1/BDMV", "The Sound of Music (1965) - Disc 2/BDMV"],
            ["The Sound of Music (1965) - Disc 1"],
        ),
        # `Disc 1` alone is no stack's part (a separator must come before `Disc`): each disc
        # folder is a Jellyfin movie of its own, as in Kodi, found by the title in our database
        (["Disc 1/VIDEO_TS", "Disc 2/VIDEO_TS"], ["Disc 1", "Disc 2"]),
    ],
)
def test_the_discs_of_a_multi_disc_movie_are_their_jellyfin_movie(make_rt, tmp_path, discs, known):
    """`The Sound of Music (1965)/... (Disc 01)/VIDEO_TS` and `(Disc 02)/VIDEO_TS`: Kodi (and
    metarrd) have two movies, Jellyfin one at the first disc's folder. The second was not
    found, and its folder was reported: its nearest item up is the library's folder, refreshed
    whole. It is Jellyfin's movie."""
    root = tmp_path / "movies"
    folder = "/media/movies/The Sound of Music (1965)"
    items = [f"{folder}/{k}" for k in known]
    with FakeJellyfin(
        locations=["/media/movies"],
        items=items,
        kinds=dict.fromkeys(items, "Movie"),
        names=dict.fromkeys(items, "The Sound of Music"),
    ) as jelly:
        rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
        lib = db.Library.get(db.Library.name == "Movies")
        for disc in discs:
            (root / "The Sound of Music (1965)" / disc).mkdir(parents=True)
            path = root / "The Sound of Music (1965)" / disc.split("/")[0]
            queue(
                db.Movie.create(
                    library=lib, path=str(path), title="The Sound of Music", is_disc=True
                )
            )
        process_notifications(rt)

    assert sorted(jelly.item_refreshes) == items
    assert jelly.refreshed == set(items)  # not /media/movies
    assert jelly.updates == []
    assert states("Jelly") == ["sent", "sent"]


@pytest.mark.parametrize("disc", ["VIDEO_TS", "video_ts"])
def test_a_dvd_in_the_library_folder_not_found_is_reported_by_its_video_ts(make_rt, tmp_path, disc):
    """A DVD copied straight into the library's folder that no search finds (Jellyfin named
    it otherwise, and it has no provider ids): its folder, the library's, was reported, and
    Jellyfin refreshed the whole library for it. Its `VIDEO_TS/` is reported, where Jellyfin
    has the DVD's movie (MovieResolver, `IsDvdFile`)."""
    root = tmp_path / "movies"
    item = f"/media/movies/{disc}"
    with FakeJellyfin(
        locations=["/media/movies"], items=[item], kinds={item: "Movie"}, names={item: disc}
    ) as jelly:
        rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
        (root / disc).mkdir(parents=True)
        (root / disc / f"{disc[:8]}.IFO").write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True))
        process_notifications(rt)

    assert jelly.updates == [[{"Path": item, "UpdateType": "Modified"}]]
    assert jelly.refreshed == {item}  # not /media/movies
    assert states("Jelly") == ["sent"]


def test_a_dvd_in_a_hung_library_folder_is_reported_by_that_folder(
    make_rt, tmp_path, monkeypatch, finishes, caplog
):
    """Whether a DVD copied straight into the library's folder has its `VIDEO_TS/` there was a
    stat of that folder in the notify job: on a hard NFS mount whose server is gone it never
    returned, and the job, and every notification after it, hung for good. The look gives up
    after a few seconds: the library's folder is reported, and the log says why."""
    root = tmp_path / "movies"
    (root / "VIDEO_TS").mkdir(parents=True)
    (root / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"disc")
    mount = hard_mount(monkeypatch, root / "VIDEO_TS", calls=("stat",))
    try:
        with FakeJellyfin(locations=["/media/movies"]) as jelly:
            rt = make_rt([jelly_player(jelly, str(root), "/media/movies")])
            lib = db.Library.get(db.Library.name == "Movies")
            queue(db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True))
            mount.hanging.set()
            finishes(lambda: process_notifications(rt))
    finally:
        mount.release.set()

    assert jelly.updates == [[{"Path": "/media/movies", "UpdateType": "Modified"}]]
    assert states("Jelly") == ["sent"]
    assert f"{root}/VIDEO_TS does not answer (a hung network mount?)" in caplog.text
