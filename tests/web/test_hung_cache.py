"""The web UI in front of an image cache whose hard NFS mount hung (`[cache] dir` on shared
storage, as docs/scale-out.md sets it up for several workers): a request for a picture there
must answer, saying why, rather than hang its web thread. The hang is a stat, lstat, scandir
and listdir of the cache made to wait on an Event, as in tests/web/test_hung_mount.py, not a
real NFS server."""

from __future__ import annotations

import logging
import threading

import pytest

from metarrd import db
from tests.conftest import hard_mount
from tests.web.conftest import jpeg


@pytest.fixture
def config(config_factory, tmp_path):
    return config_factory(cache={"dir": str(tmp_path / "nfs-cache")})


@pytest.fixture
def hang(monkeypatch):
    """`hang(folder)`: from then on every stat and listing in `folder` waits (a hard mount whose
    server is gone) until the test ends."""
    mount = hard_mount(monkeypatch)
    try:
        yield mount.hang
    finally:
        mount.release.set()  # no thread of the test left waiting


def _cached(config, name: str, data: bytes):
    path = config.cache_dir / "poster" / "ab" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_the_cast_tab_on_a_hung_cache_answers_and_the_ui_goes_on(
    client, seed, config, hang, finishes, caplog
):
    """The Cast tab of a movie whose cache's NFS mount had stopped answering: each actor's photo
    (twenty requests for a film's cast) hung a web thread for good, and a dozen of them stopped
    the whole UI, pages that need no picture included. The tab now shows initials and says
    why, a photo asked for anyway is a 503 at once, and the hang is logged once."""
    movie = seed.movie("Heat", 1995)
    actors = []
    for i, name in enumerate(("Al Pacino", "Robert De Niro", "Val Kilmer")):
        photo = config.cache_dir / "actor" / "ab" / f"{i}.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(jpeg())
        actor = db.Actor.create(name=name, name_normalized=name.lower(), image_cache_path=photo)
        db.MovieActor.create(movie=movie, actor=actor, order=i)
        actors.append(actor)
    assert client.get(f"/actors/{actors[0].id}/thumb").status_code == 200
    hang(config.cache_dir)
    caplog.set_level(logging.WARNING)
    for actor in actors:
        answer = finishes(lambda actor=actor: client.get(f"/actors/{actor.id}/thumb"))
        assert answer.status_code == 503
        assert "image cache does not answer (a hung network mount?)" in answer.get_data(True)
    html = finishes(lambda: client.hx_get(f"/movies/{movie.id}/tabs/cast")).get_data(True)
    assert "No photos now: the image cache does not answer (a hung network mount?)" in html
    assert "/thumb" not in html and "Robert De Niro" in html
    assert finishes(lambda: client.get("/")).status_code == 200
    hung = [r for r in caplog.records if "does not answer" in r.getMessage()]
    assert len(hung) == 1, [r.getMessage() for r in hung]
    assert f"the image cache {config.cache_dir} does not answer" in hung[0].getMessage()


def test_the_viewer_on_a_hung_cache_answers_and_says_why(client, seed, config, hang, finishes):
    """The full-size viewer of a downloaded poster whose cache hung: the page asked whether the
    full image was there, and the image request read it; both hung for good. The viewer now
    answers at once and says why (the preview is in the shared cache too)."""
    movie = seed.movie("Heat", 1995)
    full = _cached(config, "f00d.jpg", jpeg(size=(200, 300)))
    asset = seed.asset(movie, content_hash="f00d", is_downloaded=True, is_selected=True)
    db.CacheImageFile.create(movie=movie, image_type="poster", file_path=full, file_hash="f00d")
    assert "Shown at preview size" not in client.hx_get(f"/assets/{asset.id}/view").get_data(True)
    assert client.get(f"/assets/{asset.id}/image").get_data() == full.read_bytes()
    hang(config.cache_dir)
    html = finishes(lambda: client.hx_get(f"/assets/{asset.id}/view")).get_data(True)
    # the previews are in the shared cache as well (docs/scale-out.md): no picture, at once
    assert "Not shown: the image cache, which holds its preview too, does not answer" in html
    assert finishes(lambda: client.get(f"/assets/{asset.id}/image")).status_code == 503


def test_a_preview_on_a_hung_data_folder_is_a_503(client, seed, config, hang, finishes):
    """The previews are in the data folder, on a share too in some set-ups: each candidate's
    preview of the Artwork tab hung its request the same way."""
    movie = seed.movie("Heat", 1995)
    asset = seed.asset(movie)
    rel = asset.preview_path.split("/previews/")[1]
    assert client.get(f"/previews/{rel}").status_code == 200
    hang(config.previews_dir)
    answer = finishes(lambda: client.get(f"/previews/{rel}"))
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    # the tab itself still renders (it names the previews, it does not open them)
    assert finishes(lambda: client.hx_get(f"/movies/{movie.id}/tabs/artwork")).status_code == 200


def test_healthz_says_the_cache_does_not_answer(client, config, hang, finishes):
    """/healthz said nothing of a hung cache (pictures missing everywhere, no reason given); it
    now says so, without failing: a restart would not bring the mount back."""
    assert client.get("/healthz").get_json()["cache"] == "ok"
    hang(config.cache_dir)
    answer = finishes(lambda: client.get("/healthz"))
    assert answer.get_json()["cache"] == "does not answer (a hung network mount?)"
    assert answer.status_code == 200


def test_a_cast_tab_s_photos_asked_at_once_make_one_look_and_one_log_line(
    client, seed, config, hang, caplog
):
    """The browser asks for a Cast tab's photos all at once: each request that came before the
    first look had timed out started a look of its own, so each left a thread stuck in the
    hung mount and logged the hang again (a line per photo). They now wait on the one look."""
    movie = seed.movie("Heat", 1995)
    actors = []
    for i in range(6):
        photo = config.cache_dir / "actor" / "ab" / f"{i}.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(jpeg())
        actor = db.Actor.create(name=f"A{i}", name_normalized=f"a{i}", image_cache_path=photo)
        db.MovieActor.create(movie=movie, actor=actor, order=i)
        actors.append(actor)
    hang(config.cache_dir)
    caplog.set_level(logging.WARNING)
    together = threading.Barrier(len(actors))
    answers: dict[int, int] = {}

    def ask(actor):
        together.wait()
        answers[actor.id] = client.get(f"/actors/{actor.id}/thumb").status_code

    browser = [threading.Thread(target=ask, args=(a,), daemon=True) for a in actors]
    for thread in browser:
        thread.start()
    for thread in browser:
        thread.join(10)
    assert answers == {actor.id: 503 for actor in actors}
    hung = [r for r in caplog.records if "does not answer" in r.getMessage()]
    assert len(hung) == 1, [r.getMessage() for r in hung]


@pytest.fixture
def published(app, config):
    """An enriched movie whose pictures are in the cache, published."""
    from tests.publish.conftest import build_enriched

    heat = build_enriched(app.extensions["metarrd.runtime"], "Heat (1995)")
    db.Movie.update(publish_state=db.PUBLISHED).where(db.Movie.id == heat.movie.id).execute()
    return heat.movie


def test_the_publish_preview_on_a_hung_cache_answers(client, published, config, hang, finishes):
    """The Preview & publish tab (read again after every edit) of a movie whose library
    answered but whose cache's NFS mount had hung: the plan looked at each picture to copy from
    the cache, and the request hung for good. It now says why there is nothing to preview."""
    assert "Heat (1995).nfo" in client.hx_get(f"/movies/{published.id}/preview").get_data(True)
    hang(config.cache_dir)
    html = finishes(lambda: client.hx_get(f"/movies/{published.id}/preview")).get_data(True)
    assert "Nothing to preview now: the image cache does not answer (a hung network mount?)" in (
        html
    )


def test_an_edit_of_a_published_item_on_a_hung_cache_is_saved(
    client, published, config, hang, finishes
):
    """Editing a published movie while the cache hung: the check whether its library files were
    already what a publish would write ("Published" again) looked at its pictures in the cache
    inside a write transaction, so the request hung holding the database's write lock, and the
    daemon and every tab waited with it. The edit is saved; the item stays "Updated –
    Republish?"."""
    hang(config.cache_dir)
    answer = finishes(
        lambda: client.post(f"/movies/{published.id}/fields/plot", {"value": "A crew."}, htmx=True)
    )
    assert answer.status_code == 200
    saved = db.Movie.get_by_id(published.id)
    assert (saved.plot, saved.publish_state) == ("A crew.", db.OUTDATED)


def test_an_image_of_ones_own_on_a_hung_cache_is_refused_saying_why(
    client, seed, config, hang, finishes
):
    """The user's own poster, uploaded while the cache's mount hung: the request stored it in
    the cache and hung for good. It is now refused at once, saying why (nothing is added)."""
    import io

    movie = seed.movie("Heat", 1995)
    hang(config.cache_dir)
    answer = finishes(
        lambda: client.post(
            f"/movies/{movie.id}/artwork/poster/add",
            {"image": (io.BytesIO(jpeg()), "mine.jpg")},
            htmx=True,
            content_type="multipart/form-data",
        )
    )
    assert answer.status_code == 422  # refused: nothing was added
    assert "the image cache does not answer (a hung network mount?)" in answer.get_data(True)
    assert not db.ArtworkCandidate.select().exists()


@pytest.fixture
def looks(monkeypatch):
    """The looks at a folder (`mounts.root_identity`'s threads) made from now on, on a clock
    that stands still until the test moves it (`looks.clock[0] += s`)."""
    from metarrd import cache, mounts

    class Looks(list):
        clock = [1000.0]

    made = Looks()

    class Counted(mounts._Check):
        def start(self) -> None:
            made.append(self.path)
            super().start()

    monkeypatch.setattr(mounts, "_Check", Counted)
    monkeypatch.setattr(mounts, "_hanging", {})
    monkeypatch.setattr(cache, "_answered", {})
    monkeypatch.setattr(cache, "clock", lambda: made.clock[0])
    return made


def test_a_poster_wall_s_pictures_make_one_look_at_the_cache_not_one_each(
    client, seed, config, looks
):
    """A poster wall's page asks for its 48 posters at once (and hundreds with a bigger page):
    each picture request started a thread and stat the previews folder to see whether its
    mount hung, 48 threads and stats for one page. A good look now stands for a second
    (`cache.ANSWERED_FOR`): one look for the page, and another once that second is over."""
    from metarrd import cache

    movie = seed.movie("Heat", 1995)
    names = [seed.asset(movie).preview_path.split("/previews/")[1] for _ in range(48)]
    for name in names:
        assert client.get(f"/previews/{name}").status_code == 200
    assert looks == [str(config.previews_dir)]
    looks.clock[0] += cache.ANSWERED_FOR  # the second is over: the next picture looks again
    assert client.get(f"/previews/{names[0]}").status_code == 200
    assert looks == [str(config.previews_dir)] * 2


def test_a_photo_asked_while_a_look_at_the_cache_hangs_waits_on_that_look(
    client, seed, config, monkeypatch, finishes
):
    """The cache's mount hangs a moment after a good look, and a page (here /healthz) looks
    again and hangs there: a photo asked for then, within the second a good look stands for,
    waits on that look and is a 503, rather than trust the good one and open its file (its
    request would hang for good)."""
    from metarrd import cache, mounts

    mount = hard_mount(monkeypatch)
    monkeypatch.setattr(cache, "clock", lambda: 1000.0)  # all within the second
    try:
        photo = config.cache_dir / "actor" / "ab" / "0.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(jpeg())
        actor = db.Actor.create(
            name="Al Pacino", name_normalized="al pacino", image_cache_path=photo
        )
        assert client.get(f"/actors/{actor.id}/thumb").status_code == 200
        monkeypatch.setattr(mounts, "ROOT_CHECK_TIMEOUT", 3.0)  # the page's look waits that long
        mount.hang(config.cache_dir)
        page = threading.Thread(target=lambda: client.get("/healthz"), daemon=True)
        page.start()
        for _ in range(500):
            if mounts.looking(str(config.cache_dir)):
                break
            threading.Event().wait(0.01)
        answer = finishes(lambda: client.get(f"/actors/{actor.id}/thumb"))
        assert answer.status_code == 503
        page.join(10)
    finally:
        mount.release.set()
