"""A published item whose files were deleted from the library (by hand, by Kodi's "Remove
library items", by a cleanup script) before any scan saw it: its Publish refused "already
published and unchanged" while its preview listed the files to write, and only the CLI's
`publish ITEM` wrote them again. A publish is idempotent: its page's Publish now writes what is
missing. A bulk Publish still skips published items (one job each that would write nothing)."""

from __future__ import annotations

from pathlib import Path

from metarrd import db
from metarrd.publish import publish_item
from tests.web.test_tv import published_show_app


def _queued(movie_id: int) -> list[str]:
    return [j.kind for j in db.Job.select().where(db.Job.movie == movie_id)]


def test_a_published_show_missing_its_season_poster_is_published_from_its_page(tmp_path):
    client, rt, built = published_show_app(tmp_path)
    poster = built.folder / "season01-poster.jpg"
    before = poster.read_bytes()
    poster.unlink()
    preview = client.hx_get(f"/movies/{built.show.id}/preview").get_data(as_text=True)
    assert "season01-poster.jpg" in preview.replace("<wbr>", "")
    assert 'id="publish-now"' in preview and f'/movies/{built.show.id}/publish"' in preview
    answer = client.post(f"/movies/{built.show.id}/publish", {"view": "header"}, htmx=True)
    html = answer.get_data(as_text=True)
    assert "cannot publish now" not in html and "Publish queued" in html
    assert _queued(built.show.id) == ["publish"]
    publish_item(rt, built.reload())  # the job's work
    assert poster.read_bytes() == before
    preview = client.hx_get(f"/movies/{built.show.id}/preview").get_data(as_text=True)
    assert 'id="publish-now"' not in preview  # nothing to write: no button
    rt.close()


def test_an_episode_missing_its_nfo_is_published_alone_from_its_page(tmp_path):
    client, rt, built = published_show_app(tmp_path)
    rel, pilot = next(iter(built.episodes.items()))
    nfo = built.path(str(Path(rel).with_suffix(".nfo")))
    assert nfo.is_file()
    nfo.unlink()
    preview = client.hx_get(f"/movies/{pilot.id}/preview").get_data(as_text=True)
    assert 'id="publish-now"' in preview and "this episode now" in preview
    answer = client.post(f"/movies/{pilot.id}/publish", {"view": "header"}, htmx=True)
    assert "Publish queued" in answer.get_data(as_text=True)
    assert _queued(pilot.id) == ["publish"]
    rt.close()


def test_a_published_movie_is_published_again_from_its_page_not_in_bulk(client, seed):
    movie = seed.movie("The Matrix", publish_state=db.PUBLISHED)
    other = seed.movie("Heat", publish_state=db.PUBLISHED)
    html = client.post(f"/movies/{movie.id}/publish", {"view": "row"}, htmx=True).get_data(
        as_text=True
    )
    assert "Publish queued for The Matrix" in html
    assert _queued(movie.id) == ["publish"]
    html = client.post("/bulk", {"action": "publish", "ids": [other.id]}, htmx=True).get_data(
        as_text=True
    )
    assert "it is published already; its own Publish writes again what is missing" in html
    assert _queued(other.id) == []


def test_a_missing_item_is_still_refused(client, seed):
    movie = seed.movie("The Matrix", publish_state=db.PUBLISHED, missing=True)
    html = client.post(f"/movies/{movie.id}/publish", {"view": "row"}, htmx=True).get_data(
        as_text=True
    )
    assert "its video file is missing" in html and _queued(movie.id) == []
