"""Plex: a known item's metadata and artwork are refreshed, found by its path; new ones scanned.

The Plex double (player_fakes.FakePlex) is a real HTTP server on 127.0.0.1 answering Plex's JSON
shapes (LukeHagar/plex-api-spec, python-plexapi): `MediaContainer.Metadata[]` with a movie's
`Media[].Part[].file`, a show's `Location[].path` in `/library/metadata/<ratingKey>`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from player_fakes import FakePlex, FakeServer, PlexItem, PlexSection
from player_helpers import add_movie, queue, states

from metarrd import db
from metarrd.players import plex as plex_module
from metarrd.players import process_notifications

TOKEN = "plex-token"
HTML_500 = (500, {"Content-Type": "text/html"}, b"<html><body>Internal error</body></html>")
HTML_PAGE = (200, {"Content-Type": "text/html"}, b"<html><body>Sign in</body></html>")


def plex_player(plex, root, libraries=("Movies",)) -> dict:
    return {
        "name": "Plex",
        "type": "plex",
        "url": plex.url,
        "token": TOKEN,
        "libraries": list(libraries),
        "path_map": [{"from": root, "to": "/data/movies"}],
        "timeout_seconds": 2.0,
    }


def searches(plex) -> list[tuple[str, dict]]:
    """The section listings asked for, without their paging (`pages` has that)."""
    return [
        (r.path, {k: v for k, v in r.query.items() if not k.startswith("X-Plex-Container")})
        for r in plex.requests
        if r.path.endswith("/all")
    ]


def pages(plex) -> list[tuple[int, int]]:
    return [
        (int(r.query["X-Plex-Container-Start"][0]), int(r.query["X-Plex-Container-Size"][0]))
        for r in plex.requests
        if "X-Plex-Container-Start" in r.query
    ]


def test_a_known_movie_gets_its_metadata_refreshed_a_new_one_only_the_scan(make_rt, tmp_path):
    """A poster swapped and published: Plex's partial scan skips a file it has, so the old
    poster stayed. The movie Plex has (found by its part's file) gets a metadata refresh."""
    root = str(tmp_path / "movies")
    items = [
        PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"]),
        # same title, another file: not ours
        PlexItem("43", "2", "Heat", files=["/data/movies/Heat (1986)/Heat (1986).mkv"]),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, root)])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        queue(add_movie(rt, "Alien (1979)/Alien (1979).mkv"))  # new to Plex
        (report,) = process_notifications(rt)

    assert plex.refreshes == [
        ("2", "/data/movies/Heat (1995)"),
        ("2", "/data/movies/Alien (1979)"),
    ]
    assert plex.item_refreshes == ["42"]
    assert [q["title"] for _, q in searches(plex)] == [["Heat"], ["Alien"]]
    assert all(q["type"] == ["1"] for _, q in searches(plex))
    assert states("Plex") == ["sent", "sent"]
    assert "refreshed the metadata of 1 known item" in str(report)


def test_each_movie_is_looked_up_in_its_own_section(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    sections = [
        PlexSection("2", "Films", ["/data/movies"]),
        PlexSection("3", "Kids", ["/data/movies/Kids"]),
    ]
    items = [
        PlexItem("7", "3", "Up", files=["/data/movies/Kids/Up (2009)/Up.2009.1080p.mkv"]),
        PlexItem("8", "2", "Ran", files=["/data/movies/Ran (1985)/Ran (1985).mkv"]),
    ]
    with FakePlex(sections=sections, items=items) as plex:
        rt = make_rt([plex_player(plex, root)])
        queue(add_movie(rt, "Kids/Up (2009)/Up.2009.1080p.mkv"))
        queue(add_movie(rt, "Ran (1985)/Ran (1985).mkv"))
        process_notifications(rt)

    assert [p for p, _ in searches(plex)] == ["/library/sections/3/all", "/library/sections/2/all"]
    assert sorted(plex.item_refreshes) == ["7", "8"]
    assert states("Plex") == ["sent", "sent"]


def test_a_known_show_is_refreshed_by_its_folder(make_rt, tmp_path):
    """A show is told as its folder: the Plex show whose Location is that folder (another copy
    of the show elsewhere is left alone) gets the refresh, by the show's ratingKey."""
    root = str(tmp_path / "tv")
    (tmp_path / "tv" / "Breaking Bad (2008)").mkdir(parents=True)
    items = [
        PlexItem(
            "90", "1", "Breaking Bad", locations=["/data/tv/Backup/Breaking Bad"], type="show"
        ),
        PlexItem(
            "91", "1", "Breaking Bad", locations=["/data/tv/Breaking Bad (2008)"], type="show"
        ),
    ]
    with FakePlex(sections=[PlexSection("1", "TV", ["/data/tv"], "show")], items=items) as plex:
        player = plex_player(plex, root, libraries=["TV"])
        player["path_map"] = [{"from": root, "to": "/data/tv"}]
        rt = make_rt([player], library=[{"name": "TV", "path": root, "kind": "tv"}])
        lib = db.Library.get(db.Library.name == "TV")
        show = db.Movie.create(
            library=lib, path=f"{root}/Breaking Bad (2008)", title="Breaking Bad", kind=db.SHOW
        )
        queue(show)
        process_notifications(rt)

    assert plex.refreshes == [("1", "/data/tv/Breaking Bad (2008)")]
    assert [q["type"] for _, q in searches(plex)] == [["2"]]
    assert plex.item_refreshes == ["91"]
    assert states("Plex") == ["sent"]


def test_a_refresh_plex_fails_fails_only_its_movie_and_names_the_reason(make_rt, tmp_path):
    """Plex answering 500 to one item's refresh, or an HTML page to another's lookup: those
    movies are retried with a plain reason; the others are refreshed and marked sent."""
    root = str(tmp_path / "movies")
    items = [
        PlexItem("1", "2", "Alien", files=["/data/movies/Alien (1979)/Alien (1979).mkv"]),
        PlexItem("2", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"]),
        PlexItem("3", "2", "Ran", files=["/data/movies/Ran (1985)/Ran (1985).mkv"]),
    ]
    fail = {"/library/metadata/1/refresh": HTML_500}
    films = [PlexSection("2", "Films", ["/data/movies"])]
    with FakePlex(sections=films, items=items, fail=fail) as plex:
        rt = make_rt([plex_player(plex, root)])
        for title in ("Alien (1979)", "Heat (1995)", "Ran (1985)"):
            queue(add_movie(rt, f"{title}/{title}.mkv"))
        # the lookup of Heat answers a login page (a proxy in front of Plex)
        real_handle = plex.handle

        def handle(req):
            if req.path.endswith("/all") and req.query.get("title") == ["Heat"]:
                return HTML_PAGE
            return real_handle(req)

        plex.handle = handle
        (report,) = process_notifications(rt)

    assert plex.item_refreshes == ["3"]
    assert (report.sent, report.retrying) == (1, 2)
    assert states("Plex") == ["pending", "pending", "sent"]
    rows = db.PlayerNotification.select().order_by(db.PlayerNotification.id)
    assert "server error (HTTP 500)" in rows[0].last_error
    assert "/library/metadata/1/refresh" in rows[0].last_error
    assert "answered with an HTML page" in rows[1].last_error


def test_a_refused_refresh_says_so_and_the_token_never_shows(make_rt, tmp_path, caplog):
    """A token that may list but not refresh (HTTP 401 on the refresh): a plain reason naming
    the token; the token itself is in no URL, log line or stored reason."""
    root = str(tmp_path / "movies")
    items = [PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"])]
    fail = {"/library/metadata/42/refresh": (401, {"Content-Type": "text/html"}, b"<html/>")}
    caplog.set_level(logging.DEBUG)
    with FakePlex(
        sections=[PlexSection("2", "Films", ["/data/movies"])], items=items, fail=fail
    ) as plex:
        rt = make_rt([plex_player(plex, root)])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    row = db.PlayerNotification.get()
    assert row.state == "failed"
    assert "answered HTTP 401" in row.last_error
    assert "X-Plex-Token" in row.last_error  # the hint: which setting to check
    assert {r.headers["x-plex-token"] for r in plex.requests} == {TOKEN}
    assert not any(TOKEN in str(r.query) or TOKEN in r.path for r in plex.requests)
    assert TOKEN not in caplog.text
    assert TOKEN not in row.last_error
    assert TOKEN not in (db.MediaPlayer.get().last_error or "")


def thirty_movies_published(make_rt, tmp_path) -> FakePlex:
    """30 movies Plex has in one section, published together and told: the Plex double."""
    root = str(tmp_path / "movies")
    items = [
        PlexItem(str(i), "2", f"M{i}", files=[f"/data/movies/M{i}/M{i}.mkv"]) for i in range(30)
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, root)])
        for i in range(30):
            queue(add_movie(rt, f"M{i}/M{i}.mkv"))
        process_notifications(rt)
    return plex


def test_many_movies_of_a_section_are_found_with_one_listing(make_rt, tmp_path):
    """30 movies published together: one listing of the section, not 30 searches."""
    plex = thirty_movies_published(make_rt, tmp_path)

    assert searches(plex) == [("/library/sections/2/all", {"type": ["1"], "includeGuids": ["1"]})]
    assert sorted(plex.item_refreshes, key=int) == [str(i) for i in range(30)]
    assert states("Plex") == ["sent"] * 30


def test_a_movie_plex_titles_otherwise_is_found_by_its_ids(make_rt, tmp_path):
    """`Leon (1994)` is `Léon: The Professional` in Plex and `Der Pate (1972)` is `The
    Godfather`: no title holds the folder's name, so they got the scan only and kept their old
    poster. One listing of the section with its guids finds them by their ids (the Plex agent's
    `Guid`, a legacy agent's `guid`); the file decides: a copy with the same ids elsewhere is
    left alone, and a new movie is left to the scan."""
    root = str(tmp_path / "movies")
    items = [
        PlexItem(
            "7",
            "2",
            "Léon: The Professional",
            files=["/data/movies/Leon (1994)/Leon (1994).mkv"],
            guids=["imdb://tt0110413", "tmdb://101", "tvdb://215"],
        ),
        PlexItem(  # another copy of the same film: not ours
            "9",
            "2",
            "Léon: The Professional",
            files=["/data/movies/Backup/Leon.1994.mkv"],
            guids=["imdb://tt0110413", "tmdb://101"],
        ),
        PlexItem(
            "8",
            "2",
            "The Godfather",
            files=["/data/movies/Der Pate (1972)/Der Pate (1972).mkv"],
            guid="com.plexapp.agents.imdb://tt0068646?lang=de",
        ),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, root)])
        leon = add_movie(rt, "Leon (1994)/Leon (1994).mkv")
        pate = add_movie(rt, "Der Pate (1972)/Der Pate (1972).mkv")
        new = add_movie(rt, "Heat (1995)/Heat (1995).mkv")
        for movie, tmdb, imdb in ((leon, 101, None), (pate, 238, "tt0068646"), (new, 949, None)):
            movie.tmdb_id, movie.imdb_id = tmdb, imdb
            movie.save()
            queue(movie)
        (report,) = process_notifications(rt)

    assert sorted(plex.item_refreshes) == ["7", "8"]
    listings = [q for _, q in searches(plex) if "title" not in q]
    assert listings == [{"type": ["1"], "includeGuids": ["1"]}]  # one, for all three
    assert states("Plex") == ["sent"] * 3
    assert "refreshed the metadata of 2 known items" in str(report)


def test_a_show_named_otherwise_is_found_by_its_ids(make_rt, tmp_path):
    """A show folder in another language (`Haus des Geldes (2017)`, Plex's `Money Heist`):
    found by its tvdb id among the section's shows, its folder read from /library/metadata;
    a copy with the same id in another folder is not refreshed."""
    root = str(tmp_path / "tv")
    (tmp_path / "tv" / "Haus des Geldes (2017)").mkdir(parents=True)
    items = [
        PlexItem(
            "90",
            "1",
            "Money Heist",
            locations=["/data/tv/Backup/La casa de papel"],
            type="show",
            guids=["tvdb://327417", "tmdb://71446"],
        ),
        PlexItem(
            "91",
            "1",
            "Money Heist",
            locations=["/data/tv/Haus des Geldes (2017)"],
            type="show",
            guids=["imdb://tt6468322", "tmdb://71446", "tvdb://327417"],
        ),
    ]
    with FakePlex(sections=[PlexSection("1", "TV", ["/data/tv"], "show")], items=items) as plex:
        player = plex_player(plex, root, libraries=["TV"])
        player["path_map"] = [{"from": root, "to": "/data/tv"}]
        rt = make_rt([player], library=[{"name": "TV", "path": root, "kind": "tv"}])
        lib = db.Library.get(db.Library.name == "TV")
        show = db.Movie.create(
            library=lib,
            path=f"{root}/Haus des Geldes (2017)",
            title="Haus des Geldes",
            kind=db.SHOW,
            tvdb_id=327417,
        )
        queue(show)
        process_notifications(rt)

    assert plex.item_refreshes == ["91"]
    assert [q for _, q in searches(plex)] == [
        {"type": ["2"], "title": ["Haus des Geldes"]},
        {"type": ["2"], "includeGuids": ["1"]},
    ]
    assert states("Plex") == ["sent"]


def test_many_shows_of_a_section_cost_a_bounded_number_of_lookups(make_rt, tmp_path):
    """Publishing 30 shows of one section cost a title search and a /library/metadata request
    per show (60 requests, more with namesakes). Now: one listing of the section's shows and
    one /library/metadata request for the folders of those that share a name or an id."""
    root = str(tmp_path / "tv")
    items, shows = [], []
    for i in range(30):
        folder = f"Show {i} ({1990 + i})"
        (tmp_path / "tv" / folder).mkdir(parents=True)
        shows.append(folder)
        items.append(
            PlexItem(str(100 + i), "1", f"Show {i}", locations=[f"/data/tv/{folder}"], type="show")
        )
    # a show Plex titles otherwise, found by its id; a namesake elsewhere is not ours
    items[0].title, items[0].guids = "Erste Serie", ["tvdb://5000"]
    items.append(PlexItem("999", "1", "Show 1", locations=["/data/tv/Old/Show 1"], type="show"))
    with FakePlex(sections=[PlexSection("1", "TV", ["/data/tv"], "show")], items=items) as plex:
        player = plex_player(plex, root, libraries=["TV"])
        player["path_map"] = [{"from": root, "to": "/data/tv"}]
        rt = make_rt([player], library=[{"name": "TV", "path": root, "kind": "tv"}])
        lib = db.Library.get(db.Library.name == "TV")
        for i, folder in enumerate(shows):
            queue(
                db.Movie.create(
                    library=lib,
                    path=f"{root}/{folder}",
                    title=folder,
                    kind=db.SHOW,
                    tvdb_id=5000 + i,
                )
            )
        process_notifications(rt)

    assert searches(plex) == [("/library/sections/1/all", {"type": ["2"], "includeGuids": ["1"]})]
    metadata = [r.path for r in plex.requests if r.method == "GET" and "/metadata/" in r.path]
    assert len(metadata) == 1
    assert "999" not in plex.item_refreshes
    assert sorted(plex.item_refreshes, key=int) == [str(100 + i) for i in range(30)]
    assert states("Plex") == ["sent"] * 30


def test_a_token_that_may_not_refresh_fails_at_once_with_which_token_to_use(
    make_rt, tmp_path, caplog
):
    """A shared user's token lists the sections but gets HTTP 401 on PUT .../refresh (an
    owner-only request). That stayed on the rows as 'check the token' and was retried every
    few minutes for the whole retry window. It never will be allowed: the known movies fail at
    once, saying which token to use, one error line for the batch; a new movie (no refresh
    needed) is sent; nothing is left to retry."""
    root = str(tmp_path / "movies")
    items = [
        PlexItem("41", "2", "Alien", files=["/data/movies/Alien (1979)/Alien (1979).mkv"]),
        PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"]),
    ]
    owner_only = (401, {"Content-Type": "text/html"}, b"<html>401 Unauthorized</html>")
    fail = {f"/library/metadata/{k}/refresh": owner_only for k in ("41", "42")}
    with FakePlex(
        sections=[PlexSection("2", "Films", ["/data/movies"])], items=items, fail=fail
    ) as plex:
        rt = make_rt([plex_player(plex, root)])
        for title in ("Alien (1979)", "Heat (1995)", "Ran (1985)"):
            queue(add_movie(rt, f"{title}/{title}.mkv"))
        caplog.set_level(logging.WARNING)
        (report,) = process_notifications(rt)
        refreshes = [r.path for r in plex.requests if r.method == "PUT"]
        assert process_notifications(rt, now=db.now() + timedelta(minutes=10)) == []

    assert refreshes == ["/library/metadata/41/refresh"]  # Heat's would be refused too
    assert states("Plex") == ["failed", "failed", "sent"]
    assert (report.sent, report.retrying, report.failed) == (1, 0, 2)
    reason = db.PlayerNotification.get().last_error
    assert "may list the library but not refresh its items" in reason
    assert "owns this Plex Media Server" in reason
    assert db.MediaPlayer.get().last_error == reason
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [reason]


def test_a_token_that_may_not_scan_fails_the_batch_at_once(make_rt, tmp_path):
    """The partial scan is owner-only too: refused after the sections were listed, every
    folder of the batch fails at once with the same reason, and only one scan is tried."""
    root = str(tmp_path / "movies")
    owner_only = (401, {"Content-Type": "text/html"}, b"<html>401 Unauthorized</html>")
    with FakePlex(
        sections=[PlexSection("2", "Films", ["/data/movies"])],
        fail={"/library/sections/2/refresh": owner_only},
    ) as plex:
        rt = make_rt([plex_player(plex, root)])
        for title in ("Alien (1979)", "Heat (1995)"):
            queue(add_movie(rt, f"{title}/{title}.mkv"))
        process_notifications(rt)
        scans = [r for r in plex.requests if r.path.endswith("/refresh")]

    assert len(scans) == 1
    assert states("Plex") == ["failed", "failed"]
    assert "may list the library but not scan it" in db.PlayerNotification.get().last_error


def test_a_windows_plex_finds_a_known_movie_whatever_the_case_of_the_path_map(make_rt, tmp_path):
    """A Plex on Windows lists `D:\\Movies\\...`; the path_map says `d:\\movies` (Windows
    ignores case, and the scan of that folder works). The part's file was compared exactly, so
    the known movie was never found and kept its old poster."""
    root = str(tmp_path / "movies")
    part = "D:\\Movies\\Heat (1995)\\Heat (1995).mkv"
    items = [PlexItem("42", "2", "Heat", files=[part])]
    with FakePlex(sections=[PlexSection("2", "Films", ["D:\\Movies"])], items=items) as plex:
        player = plex_player(plex, root)
        player["path_map"] = [{"from": root, "to": "d:\\movies"}]
        rt = make_rt([player])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    assert plex.refreshes == [("2", "d:\\movies\\Heat (1995)")]
    assert plex.item_refreshes == ["42"]
    assert states("Plex") == ["sent"]


def test_a_big_section_is_listed_in_pages(make_rt, tmp_path, monkeypatch):
    """The listing of a whole section came in one answer: for a section of thousands of movies
    (megabytes of JSON) it could take longer than `timeout_seconds`, and the batch was retried
    until it failed. It is asked for in pages, as python-plexapi does."""
    monkeypatch.setattr(plex_module, "LISTING_PAGE", 8)
    plex = thirty_movies_published(make_rt, tmp_path)

    assert pages(plex) == [(0, 8), (8, 8), (16, 8), (24, 8)]
    assert sorted(plex.item_refreshes, key=int) == [str(i) for i in range(30)]
    assert states("Plex") == ["sent"] * 30


class Redirector(FakeServer):
    """A Plex URL that redirects elsewhere (a reverse proxy's sign-in, a moved server, or a
    hostile answer on the network): every request goes on to `target` with a 302."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target

    def handle(self, req):
        return 302, {"Location": self.target + req.path}, b""


def test_a_redirect_to_another_host_does_not_carry_the_plex_token(make_rt, tmp_path):
    """requests drops `Authorization` on a redirect to another host and keeps every other
    header, so the `X-Plex-Token` (the owner's token: full control of the server) went along
    to whatever host a Plex URL's redirect named (python-plexapi sends the token in this
    header too)."""
    root = str(tmp_path / "movies")
    with (
        FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=[]) as other,
        Redirector(other.url.replace("127.0.0.1", "localhost")) as plex,
    ):
        rt = make_rt([plex_player(plex, root)])
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        process_notifications(rt)

    assert other.requests  # the redirect was followed
    assert all("x-plex-token" not in r.headers for r in other.requests)


def test_a_disc_in_the_section_folder_is_not_taken_for_the_movies_below_it(make_rt, tmp_path):
    """A DVD copied straight into the library's folder, `movies/VIDEO_TS/`: its folder is the
    section's, and every movie Plex has below it was taken for the disc, so Heat got the
    disc's metadata refresh and the disc none. Plex lists a DVD as its `VIDEO_TS.IFO` then its
    biggest VOB (Plex Movie Scanner: `movie.parts.append(video_ts)`, then `biggestFile`); the
    disc is the item with those parts."""
    root = tmp_path / "movies"
    items = [
        PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"]),
        PlexItem(
            "43",
            "2",
            "Alien",
            files=["/data/movies/VIDEO_TS/VIDEO_TS.IFO", "/data/movies/VIDEO_TS/VTS_01_1.VOB"],
            parts=True,
            guids=["tmdb://348"],
        ),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, str(root))])
        add_movie(rt, "Heat (1995)/Heat (1995).mkv")
        for name in ("VIDEO_TS.IFO", "VTS_01_1.VOB"):
            (root / "VIDEO_TS").mkdir(exist_ok=True)
            (root / "VIDEO_TS" / name).write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        disc = db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True)
        disc.tmdb_id = 348
        disc.save()
        queue(disc)
        process_notifications(rt)

    assert plex.refreshes == [("2", "/data/movies")]
    assert plex.item_refreshes == ["43"]
    assert states("Plex") == ["sent"]


@pytest.mark.parametrize(
    ("disc", "parts"),
    [
        ("Alien (1979)/VIDEO_TS", ["VIDEO_TS/VIDEO_TS.IFO", "VIDEO_TS/VTS_01_1.VOB"]),
        ("Alien (1979)", ["VIDEO_TS.IFO", "VTS_01_1.VOB"]),  # its files out of VIDEO_TS/
        ("Blade Runner (1982)", ["BDMV/STREAM/00000.m2ts", "BDMV/STREAM/00001.m2ts"]),
        ("Blade Runner (1982)", ["bdmv/stream/00000.m2ts"]),  # off a share that lower-cases
    ],
)
def test_a_disc_in_its_own_folder_is_found_by_its_files(make_rt, tmp_path, disc, parts):
    """A DVD in its folder is the Plex item with its `VIDEO_TS.IFO` (in VIDEO_TS/ or beside
    it); a Blu-ray, the one with its `BDMV/STREAM/` files (Plex Movie Scanner). A movie in a
    folder beside the disc's, whose title holds the same name, is another."""
    root = tmp_path / "movies"
    folder = disc.removesuffix("/VIDEO_TS")
    title = folder.split(" (")[0]
    items = [
        PlexItem("41", "2", f"{title} 2", files=[f"/data/movies/{title} 2/{title} 2.mkv"]),
        PlexItem("42", "2", title, [f"/data/movies/{folder}/{p}" for p in parts], parts=True),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, str(root))])
        for part in parts:
            (root / folder / part).parent.mkdir(parents=True, exist_ok=True)
            (root / folder / part).write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root / disc), title=title, is_disc=True))
        process_notifications(rt)

    assert plex.refreshes == [("2", f"/data/movies/{folder}")]
    assert plex.item_refreshes == ["42"]
    assert states("Plex") == ["sent"]


def test_a_stack_and_a_movie_in_the_section_folder_are_found_by_their_files(make_rt, tmp_path):
    """A folder stack (`Heat (1995)/CD1/`, `CD2/`) is one Plex movie with a part in each (Plex
    Movie Scanner: `foundCDsubdirs`), scanned at the folder above its parts; a movie file
    straight in the section's folder beside a movie folder of the same title is the item with
    that file, not the one in the folder (nor is a disc's file ever taken for it)."""
    root = tmp_path / "movies"
    heat = "/data/movies/Heat (1995)"
    items = [
        PlexItem(
            "41", "2", "Heat", [f"{heat}/CD1/Heat cd1.mkv", f"{heat}/CD2/Heat cd2.mkv"], parts=True
        ),
        PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1986)/Heat (1986).mkv"]),
        PlexItem("43", "2", "Heat", files=["/data/movies/Heat.1986.mkv"]),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, str(root))])
        stack = add_movie(rt, "Heat (1995)/CD1/Heat cd1.mkv")
        second = add_movie(rt, "Heat (1995)/CD2/Heat cd2.mkv")
        stack.parts = [stack.path, second.path]
        stack.save()
        second.delete_instance()
        queue(stack)
        queue(add_movie(rt, "Heat.1986.mkv"))
        process_notifications(rt)

    assert plex.refreshes == [("2", heat), ("2", "/data/movies")]
    assert plex.item_refreshes == ["41", "43"]
    assert states("Plex") == ["sent", "sent"]


def test_an_unidentified_disc_in_the_section_folder_is_found_by_its_title(make_rt, tmp_path):
    """A DVD copied straight into the library's folder with no provider ids: the section
    folder's name (`movies`) was its only search, so Plex only scanned it and never refreshed
    its metadata. Its title in our database finds it."""
    root = tmp_path / "movies"
    items = [
        PlexItem("42", "2", "Heat", files=["/data/movies/Heat (1995)/Heat (1995).mkv"]),
        PlexItem(
            "43",
            "2",
            "Alien",
            files=["/data/movies/VIDEO_TS/VIDEO_TS.IFO", "/data/movies/VIDEO_TS/VTS_01_1.VOB"],
        ),
    ]
    with FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])], items=items) as plex:
        rt = make_rt([plex_player(plex, str(root))])
        for name in ("VIDEO_TS.IFO", "VTS_01_1.VOB"):
            (root / "VIDEO_TS").mkdir(exist_ok=True)
            (root / "VIDEO_TS" / name).write_bytes(b"disc")
        lib = db.Library.get(db.Library.name == "Movies")
        queue(db.Movie.create(library=lib, path=str(root), title="Alien", is_disc=True))
        process_notifications(rt)

    assert plex.item_refreshes == ["43"]
    assert states("Plex") == ["sent"]
