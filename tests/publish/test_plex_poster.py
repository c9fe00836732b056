"""A movie's poster where Plex reads it: Plex's Local Media Assets (the "Plex Movie" agent's
"Use local assets", the legacy "Local Media Assets (Movies)" agent) take a movie's poster from
`poster`/`default`/`cover`/`movie`/`folder.<ext>` (in a folder of one movie) or `<video
name>.<ext>`, never from Kodi's `<base>-poster.jpg` (LocalMedia.bundle `localmedia.findAssets`,
`(poster|default|cover|movie|folder|<root file>)-?[0-9]?.<ext>`; support.plex.tv "Local Media
Assets – Movies"). So with a Plex player showing the library, the poster goes to `<base>.<ext>`
too; Kodi reads no such name for a movie, Jellyfin reads it as the same poster."""

from __future__ import annotations

from pathlib import Path

from metarrd import db
from metarrd.publish import preview_publish, publish_item
from metarrd.publish.layout import REMOVE, REPLACE, WRITE
from tests.publish.test_stacks import heat_stacked, make_folder_stack

BASE = "The Matrix (1999)"


def plex(libraries=("Movies",)) -> dict:
    return {"name": "Plex", "type": "plex", "url": "http://127.0.0.1:9", "libraries": [*libraries]}


def test_a_library_plex_shows_gets_the_poster_under_the_videos_name(make_rt, build):
    rt = make_rt(player=[plex()])
    built = build(runtime=rt, art={"poster": ["png", "jpeg"], "fanart": ["jpeg"]})
    plan = preview_publish(rt, built.movie)
    action = next(a for a in plan.actions if a.path.name == f"{BASE}.png")
    assert action.action == WRITE and action.wanted.label == "poster for Plex"

    result = publish_item(rt, built.movie)

    poster = built.path(f"{BASE}-poster.png").read_bytes()  # Kodi's and Jellyfin's names stay
    assert built.path(f"{BASE}.png").read_bytes() == poster  # the poster's own format
    assert poster == built.images[built.selected["poster"][0].url]
    assert built.path(f"{BASE}-poster1.jpg").exists() and built.path(f"{BASE}-fanart.jpg").exists()
    assert not built.path(f"{BASE}.jpg").exists()  # rank 1 only: Plex takes no rank
    assert str(built.folder / f"{BASE}.png") in result.written
    ledger = {Path(e.path) for e in db.LibraryFile.select()}
    assert built.folder / f"{BASE}.png" in ledger
    again = publish_item(rt, built.movie)
    assert not again.written and not again.removed


def test_no_plex_no_copy_and_a_plex_taken_off_the_library_takes_it_away(make_rt, build, tmp_path):
    libraries = {"Movies": tmp_path / "movies", "Other": tmp_path / "other"}
    rt = make_rt(libraries=libraries, player=[plex(["Other"])])
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    assert not built.path(f"{BASE}.jpg").exists()

    player = db.MediaPlayer.get(db.MediaPlayer.name == "Plex")
    link = db.PlayerLibrary.create(player=player, library=built.movie.library_id)
    publish_item(rt, built.reload())
    assert built.path(f"{BASE}.jpg").read_bytes() == built.path(f"{BASE}-poster.jpg").read_bytes()

    link.delete_instance()  # Plex no longer shows the library: our copy goes, nothing else
    plan = preview_publish(rt, built.reload())
    assert [a.action for a in plan.actions if a.path.name == f"{BASE}.jpg"] == [REMOVE]
    publish_item(rt, built.reload())
    assert not built.path(f"{BASE}.jpg").exists()
    assert built.path(f"{BASE}-poster.jpg").exists()


def test_a_plex_switched_off_still_gets_its_copy(make_rt, build):
    """`enabled = false` stops what metarrd tells Plex, not what Plex reads of the library."""
    rt = make_rt(player=[{**plex(), "enabled": False}])
    assert [p.enabled for p in db.MediaPlayer.select()] == [False]
    built = build(runtime=rt)
    publish_item(rt, built.movie)
    assert built.path(f"{BASE}.jpg").read_bytes() == built.path(f"{BASE}-poster.jpg").read_bytes()


def test_the_users_own_poster_at_that_name_is_copied_into_the_cache_first(make_rt, build):
    rt = make_rt(player=[plex()])
    built = build(runtime=rt)
    own = built.images[built.selected["fanart"][0].url]  # a real image, not the poster
    built.path(f"{BASE}.jpg").write_bytes(own)
    plan = preview_publish(rt, built.movie)
    action = next(a for a in plan.actions if a.path.name == f"{BASE}.jpg")
    assert action.action == REPLACE and action.backup

    publish_item(rt, built.movie)

    assert built.path(f"{BASE}.jpg").read_bytes() == built.path(f"{BASE}-poster.jpg").read_bytes()
    kept = [p.read_bytes() for p in rt.config.cache_dir.rglob("*") if p.is_file()]
    assert own in kept


def test_a_stack_takes_its_first_parts_name_as_plex_does(make_rt, build):
    """Plex's root file is the first part's name (`Heat (1995) cd1`); Kodi's art keeps the
    stacked title (`Heat (1995)-poster.jpg`)."""
    rt = make_rt(player=[plex()])
    built = heat_stacked(
        lambda *a, **k: build(*a, runtime=rt, **k),
        ["Heat (1995) cd1.mkv", "Heat (1995) cd2.mkv"],
        b"\x1a\x45\xdf\xa3 part",
    )
    publish_item(rt, built.movie)
    poster = built.path("Heat (1995)-poster.jpg").read_bytes()
    assert built.path("Heat (1995) cd1.jpg").read_bytes() == poster
    assert not built.path("Heat (1995).jpg").exists()


def test_a_folder_stack_has_it_beside_its_first_part(make_rt, build):
    """Plex looks in the first part's folder (`CD1/`); Kodi's art stays in the folder above."""
    rt = make_rt(player=[plex()])
    built = make_folder_stack(lambda *a, **k: build(*a, runtime=rt, **k))
    publish_item(rt, built.movie)
    poster = built.path("Heat (1995)-poster.jpg").read_bytes()
    assert (built.folder / "CD1" / "Heat (1995) cd1.jpg").read_bytes() == poster


def test_a_disc_has_its_bare_poster_only(make_rt, build):
    """A disc's poster is `poster.jpg` already, a name Plex reads in a movie's own folder."""
    rt = make_rt(player=[plex()])
    built = build(runtime=rt)
    Path(built.movie.path).unlink()
    (built.folder / "VIDEO_TS").mkdir()
    db.Movie.update(path=str(built.folder), parts=[str(built.folder)], is_disc=True).where(
        db.Movie.id == built.movie.id
    ).execute()
    publish_item(rt, built.reload())
    names = {p.name for p in built.folder.iterdir()}
    assert "poster.jpg" in names
    assert not {n for n in names if n.startswith(BASE) and n.endswith(".jpg")}


def test_its_copy_stays_with_the_poster_while_the_picture_cannot_be_had(
    make_rt, build, image_server
):
    rt = make_rt(providers={"max_retries": 0}, player=[plex()])
    built = build(runtime=rt, art={"poster": ["jpeg"]}, cast=[])
    publish_item(rt, built.movie)
    copy = built.path(f"{BASE}.jpg")
    before = copy.read_bytes()
    image_server.statuses["/poster.jpg"] = 503
    db.ArtworkCandidate.update(url=f"{image_server.url}/poster.jpg").execute()
    db.CacheImageFile.delete().execute()  # the cache lost it, the provider is down
    db.Movie.update(plot="A new plot.").execute()

    result = publish_item(rt, built.movie)

    assert result.warnings[0].startswith("published without poster 1")
    assert str(copy) not in result.removed
    assert copy.read_bytes() == before == built.path(f"{BASE}-poster.jpg").read_bytes()
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(copy)) is not None
    nfo = built.path(f"{BASE}.nfo")
    assert nfo.exists() and "A new plot." in nfo.read_text()  # the NFO is still ours
    assert not [p for p in rt.config.backup_dir.rglob("*") if p.is_file()]


def test_a_webp_poster_gets_no_copy_plex_cannot_read(make_rt, build):
    """Plex's Local Media Assets read `.jpg`, `.jpeg`, `.png` and `.tbn` only (LocalMedia.bundle
    `config.IMAGE_EXTS`): a `<base>.webp` showed nothing in Plex. The publish says why."""
    rt = make_rt(player=[plex()])
    built = build(runtime=rt, art={"poster": ["webp"], "fanart": ["jpeg"]})

    result = publish_item(rt, built.movie)

    assert built.path(f"{BASE}-poster.webp").exists()  # Kodi's and Jellyfin's poster stays
    assert not built.path(f"{BASE}.webp").exists()
    assert [n for n in result.skipped if "Plex reads no .webp poster" in n] == [
        "poster for Plex not written: Plex reads no .webp poster (only .jpg, .jpeg, .png, "
        ".tbn); choose a JPEG or PNG poster for Plex to show it"
    ]


def test_a_copy_of_a_webp_poster_written_before_goes(make_rt, build):
    """An older version wrote `<base>.webp` (ours, in the ledger): Plex never read it; it goes."""
    rt = make_rt(player=[plex()])
    built = build(runtime=rt, art={"poster": ["webp"]})
    copy = built.path(f"{BASE}.webp")
    publish_item(rt, built.movie)
    data = built.path(f"{BASE}-poster.webp").read_bytes()
    copy.write_bytes(data)
    entry = db.LibraryFile.get(db.LibraryFile.path == str(built.path(f"{BASE}-poster.webp")))
    db.LibraryFile.create(
        movie=built.movie.id, path=str(copy), kind="art", sha256=entry.sha256, size=entry.size
    )

    result = publish_item(rt, built.reload())

    assert str(copy) in result.removed and not copy.exists()


def test_a_folder_stacks_fanart_is_copied_beside_its_first_part(make_rt, build):
    """Plex looks for the background in the first part's folder only, as `fanart`, `art`,
    `background`, `backdrop` or `<root file>-fanart` (LocalMedia.bundle `findAssets`); a
    folder stack's fanart is in the folder above, where Kodi reads it: Plex showed none."""
    rt = make_rt(player=[plex()])
    built = make_folder_stack(lambda *a, **k: build(*a, runtime=rt, **k))
    publish_item(rt, built.movie)
    fanart = built.path("Heat (1995)-fanart.jpg").read_bytes()
    assert (built.folder / "CD1" / "Heat (1995) cd1-fanart.jpg").read_bytes() == fanart
    assert not list((built.folder / "CD2").glob("*.jpg"))


def test_a_folder_stack_without_plex_has_no_fanart_beside_its_parts(make_rt, build):
    rt = make_rt()
    built = make_folder_stack(lambda *a, **k: build(*a, runtime=rt, **k))
    publish_item(rt, built.movie)
    assert not list((built.folder / "CD1").glob("*.jpg"))
