"""Text typed or pasted into the web UI, or sent by a script, is made fit to keep in one place
(metarrd/web/incoming.py) as a provider's answer is (metarrd/text.py): no NUL reaches the
database (PostgreSQL refuses one in any text, a 500), and nothing an NFO cannot hold is stored,
so the published NFO says what the page and the database say."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.publish.nfo import render_nfo
from metarrd.publish.stage import movie_data
from metarrd.text import UNFIT
from metarrd.web import auth, create_app


def nfo_text(movie_id: int, tag: str) -> str | None:
    """What the movie's NFO, rendered from its row now, holds in `tag`."""
    root = etree.fromstring(render_nfo(movie_data(db.Movie.get_by_id(movie_id))))
    return root.findtext(tag)


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [
        # a NUL: `curl -d 'value=Ma%00trix'`, a script's C string
        ("title", "Ma\x00trix", "Matrix"),
        # PowerPoint's line break is a vertical tab, and its copy and paste carries it along
        # (python-pptx's changelog: "line-break as a vertical-tab (VT, '\v', ASCII 11/x0B).
        # This is consistent with PowerPoint's copy/paste behavior")
        ("plot", "A hacker learns the truth.\vHe joins the rebels.", "A hacker learns the "
         "truth.\nHe joins the rebels."),
        # Word's page break (form feed) in a pasted outline; U+FFFF, no character at all
        ("outline", "Neo wakes up.\fMorpheus\uffff waits.", "Neo wakes up.\nMorpheus waits."),
        ("tagline", "Free your mind\x01", "Free your mind"),
    ],
)  # fmt: skip
def test_what_no_nfo_can_hold_is_left_out_of_an_edit_as_typed(client, seed, name, typed, stored):
    movie = seed.movie("The Matrix")
    answer = client.post(f"/movies/{movie.id}/fields/{name}", {"value": typed}, htmx=True)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    value = getattr(db.Movie.get_by_id(movie.id), name)
    assert "\x00" not in value and not UNFIT.search(value)
    assert value == stored
    assert nfo_text(movie.id, name) == value  # the NFO says what the page and the database say
    assert name in db.Movie.get_by_id(movie.id).locked_fields


def test_a_list_with_a_nul_keeps_its_names(client, seed):
    movie = seed.movie("The Matrix")
    answer = client.post(f"/movies/{movie.id}/fields/genres", {"value": "Action,\x00 Sci\x00-Fi"})
    assert answer.status_code == 303
    assert db.Movie.get_by_id(movie.id).genres == ["Action", "Sci-Fi"]


@pytest.mark.parametrize("typed", ["\x00", " \x00\x01 ", "\v\f"])
def test_a_title_of_nothing_but_control_characters_is_refused_as_empty(client, seed, typed):
    movie = seed.movie("The Matrix")
    answer = client.post(f"/movies/{movie.id}/fields/title", {"value": typed}, htmx=True)
    assert answer.status_code == 422
    assert "Title: must not be empty" in answer.get_data(as_text=True)
    fresh = db.Movie.get_by_id(movie.id)
    assert fresh.title == "The Matrix" and fresh.locked_fields == []


def test_a_plot_of_nothing_but_control_characters_clears_it(client, seed):
    """What is left is nothing: the plot is cleared, and locked so (enrichment then leaves it
    empty), as when the user empties the text area."""
    movie = seed.movie("The Matrix", plot="A hacker.")
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "\x00\r\n\x1b"}, htmx=True)
    fresh = db.Movie.get_by_id(movie.id)
    assert fresh.plot is None and "plot" in fresh.locked_fields


def test_the_identify_search_sends_no_nul_to_the_daemon(client, seed):
    movie = seed.movie("Matrix", identification_status=db.UNIDENTIFIED, tmdb_id=None)
    answer = client.post(
        f"/movies/{movie.id}/search", {"title": "The\x00 Matrix", "year": "1999"}, htmx=True
    )
    assert answer.status_code == 200
    job = db.Job.get(db.Job.movie == movie.id, db.Job.kind == "search")
    assert job.payload["title"] == "The Matrix"


def test_a_control_character_in_the_library_search_is_left_out(client, seed):
    seed.movie("The Matrix")
    answer = client.get("/?q=Mat%01rix")
    assert answer.status_code == 200
    assert "The Matrix</a>" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "password",
    [
        "correct\x01horse",  # Ctrl-A, typed at the terminal's prompt
        # `printf 'caf\xe9 horse\n' | metarrd passwd` in the C locale: Python reads the Latin-1
        # byte as a lone surrogate (PEP 540), and hashing it raised UnicodeEncodeError
        "caf\udce9 horse",
    ],
)
def test_a_password_the_login_form_cannot_send_is_refused(client, password):
    with pytest.raises(ValueError, match="login form cannot send it"):
        auth.set_password(password)
    assert auth.password_hash() is None


def test_a_title_of_ten_megabytes_is_refused_with_a_toast_that_says_why(client, seed):
    """A script's (or a paste's) 10 MB value: a 413 before the form is read, nothing stored, and
    a toast that says what was too large and by how much (werkzeug's own sentence, "The data
    value transmitted exceeds the capacity limit.", said neither)."""
    movie = seed.movie("The Matrix")
    url = f"/movies/{movie.id}/fields/title"
    answer = client.post(url, {"value": "x" * 10_000_000}, htmx=True)
    assert answer.status_code == 413 and answer.headers["HX-Retarget"] == "#toast"
    text = answer.get_data(as_text=True)
    assert "at most 1.0 MB; nothing was changed." in text
    fresh = db.Movie.get_by_id(movie.id)
    assert fresh.title == "The Matrix" and fresh.locked_fields == []
    # one field's own limit is a 422 with the form and the reason beside it
    answer = client.post(url, {"value": "x" * 30_000}, htmx=True)
    assert answer.status_code == 422
    assert "Title: too long (30000 characters, at most 20000)" in answer.get_data(as_text=True)


def test_the_identify_search_sends_a_name_pasted_from_a_mac_composed(client, seed):
    """A name copied from a Mac's Finder is decomposed (NFD: HFS+ keeps names so; mpv-player/
    mpv#1492, renpy/renpy#2327); a search service indexed NFC does not match it
    (oflisback/obsidian-bridge.nvim#43). Identify sends the titles it reads from file names NFC
    (identify/names.py): a search typed or pasted by hand goes to TMDB the same way."""
    movie = seed.movie("Amelie", identification_status=db.UNIDENTIFIED, tmdb_id=None)
    pasted = "Le Fabuleux Destin d'Ame\u0301lie Poulain"
    client.post(f"/movies/{movie.id}/search", {"title": pasted}, htmx=True)
    job = db.Job.get(db.Job.movie == movie.id, db.Job.kind == "search")
    assert job.payload["title"] == "Le Fabuleux Destin d'Am\u00e9lie Poulain"


def browser_value(page: str, name: str, textarea: bool) -> str:
    """What a browser sends back for a field's edit form left untouched (HTML's rules: the
    parser turns CR LF and a lone CR into LF; an <input> strips line breaks from its value; a
    <textarea> is sent with every line break as CR LF)."""
    if textarea:
        match = re.search(rf'<textarea id="input-{name}"[^>]*>(.*?)</textarea>', page, re.S)
        text = html.unescape(match.group(1)).replace("\r\n", "\n").replace("\r", "\n")
        return text.removeprefix("\n").replace("\n", "\r\n")
    match = re.search(rf'<input id="input-{name}" name="value" value="([^"]*)"', page)
    return html.unescape(match.group(1)).replace("\r\n", "\n").replace("\r", "").replace("\n", "")


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        # TMDB overviews hold CR LF (its editors paste them), some both it and a bare LF
        ("plot", "Paris, 1997.\r\n\r\nAmélie finds a box of a boy's treasures.\nShe sets out."),
        ("plot", "Paris, 1997.\r\rAmélie finds a box."),  # lone CRs (old Mac line ends)
        # a one-line field with a line break (a hand-written NFO's wrapped <tagline>): the
        # input showed it with the break taken out ("Onesmall"), and an untouched Save stored that
        ("tagline", "One small\nstep"),
        # a list, one name per line in its text area; TMDB's keyword "paris, france" holds a comma
        ("tags", ["paris, france", "montmartre"]),
    ],
)
def test_an_untouched_save_keeps_the_value_and_changes_nothing_to_republish(
    client, seed, name, stored
):
    """Saving locks the field (the form says so), but a value sent back as the page showed it
    is no edit: the item stays "Published" and keeps its value as it was."""
    movie = seed.movie("Amélie", publish_state=db.PUBLISHED, **{name: stored})
    page = client.hx_get(f"/movies/{movie.id}/fields/{name}/edit").get_data(as_text=True)
    sent = browser_value(page, name, textarea=name in ("plot", "tags"))
    hidden = dict(re.findall(r'<input type="hidden" name="(list)" value="([^"]*)"', page))
    answer = client.post(f"/movies/{movie.id}/fields/{name}", {"value": sent, **hidden}, htmx=True)
    assert answer.status_code == 200
    fresh = db.Movie.get_by_id(movie.id)
    assert getattr(fresh, name) == stored
    assert fresh.publish_state == db.PUBLISHED
    assert name in fresh.locked_fields


def test_a_webhook_title_with_a_nul_is_recorded_without_it(config_factory, tmp_path):
    """Radarr's payload carries the movie's title as Radarr has it (from TMDB, whose editors'
    text held control characters: TV-Rename/tvrename#481, omdbapi/OMDb-API#53), and the event
    "Radarr imported Heat (1995)" is a text row: a NUL in it was a 500 on PostgreSQL, and
    Radarr retried the webhook and then marked the connection failing. The paths are used as
    sent (a Linux file name may hold a control character), the title of the message is fit."""
    token = "k3-Zr9vQ0xY2mW8pL5tN"
    app = create_app(config_factory(webhooks={"token": token}), testing=True)
    folder = Path(app.config["METARRD"].library[0].path) / "Heat (1995)"
    folder.mkdir()
    (folder / "Heat (1995).mkv").write_bytes(b"\0" * 2048)
    body = {
        "eventType": "Download",
        "movie": {"title": "Heat\u0000\u0007", "year": 1995, "folderPath": str(folder)},
        "movieFile": {"relativePath": "Heat (1995).mkv"},
    }
    answer = app.test_client().post("/api/webhooks/radarr", json=body, headers={"X-Api-Key": token})
    assert answer.status_code == 202, answer.get_json()
    event = db.Event.get(db.Event.kind == "webhook.received")
    assert event.message == "Radarr imported Heat (1995)"


@pytest.mark.parametrize("password", ["secret pass\r", "secret\npass"])
def test_a_password_with_a_line_break_is_refused(client, password):
    """`metarrd passwd < password.txt`, the file saved with Windows line ends: getpass strips
    the LF and keeps the CR ("secret pass\\r"), and a browser's password field can hold no line
    break (HTML: its value is sanitized by stripping newlines): the login said "Wrong password."
    to the very password the user had set."""
    with pytest.raises(ValueError, match="line break"):
        auth.set_password(password)
    assert auth.password_hash() is None


@pytest.mark.parametrize(
    "pasted", ["tt٠١٣٣٠٩٣", "https://www.imdb.com/title/tt٠١٣٣٠٩٣/"]
)  # Arabic-Indic digits: what a bare TMDB id of them ("٣") already is, no id
def test_an_imdb_id_in_other_digits_is_refused_not_looked_up(client, seed, pasted):
    movie = seed.movie("Matrix", identification_status=db.UNIDENTIFIED, tmdb_id=None)
    answer = client.post(f"/movies/{movie.id}/identify", {"id": pasted}, htmx=True)
    assert "is neither a TMDB id" in answer.get_data(as_text=True)
    assert not db.Job.select().where(db.Job.movie == movie.id).exists()
