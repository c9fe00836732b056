"""Provider text made fit for the database and the NFO (metarrd/text.py), and the one place
that applies it: every provider's JSON answer (HttpClient.get_json)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from lxml import etree

from metarrd.text import count, fit, fit_json

# What providers' users typed or pasted, as such text has been met in the wild:
# - C0 controls in plots and titles: TV-Rename/tvrename#481 ("dodgy characters in the TVDB
#   description"), omdbapi/OMDb-API#53 (plots holding U+001F, U+0008, U+001D, U+001A, U+000B),
#   cvarelaruiz/owi2plex#9 (lxml: "All strings must be XML compatible" on EPG titles),
#   jellyfin/jellyfin#13114 (Jellyfin's NFO saver: "hexadecimal value 0x.., is an invalid
#   character" from a provider's metadata);
# - lone surrogates: pymedusa/Medusa#8365 ("surrogates not allowed" from the database write);
# - U+FFFF: ArtifexSoftware/pdf2docx#324 (lxml refuses it).
HOSTILE = "Le\x00on\x07: The \ud800Pro\x1ffessional\ufffe\uffff\x0b"


def test_what_xml_and_the_databases_refuse_is_taken_out_the_rest_kept():
    assert fit(HOSTILE) == "Leon: The \ufffdProfessional"
    kept = "Amélie\t(2001)\r\nאהבה \u202eבמבט\u202c 😀 \x7f\x85"  # tab/CR/LF, bidi, emoji, C1
    assert fit(kept) is kept


def test_what_is_left_is_accepted_by_lxml_sqlite_and_postgresql():
    """lxml raised "All strings must be XML compatible" on the NUL and the controls, sqlite3
    "surrogates not allowed" on the lone surrogate; PostgreSQL refuses NUL in text ("A string
    literal cannot contain NUL (0x00) characters"), which SQLite stores."""
    text = fit(HOSTILE)
    etree.SubElement(etree.Element("movie"), "title").text = text
    text.encode("utf-8")
    assert "\x00" not in text
    with sqlite3.connect(":memory:") as con:
        assert con.execute("select ?", (text,)).fetchone() == (text,)


def test_every_string_of_an_answer_is_fit_keys_included_other_values_as_they_are():
    body = json.dumps(
        {
            "title": HOSTILE,
            "cast": [{"name": "A\x00B", "id": 3, "order": None}],
            "genres": [{"name": "Dra\ud83dma"}],
            "ok\x00": True,
            "vote": 7.5,
        }  # fmt: skip
    ).encode()
    assert fit_json(json.loads(body), body) == {
        "title": "Leon: The \ufffdProfessional",
        "cast": [{"name": "AB", "id": 3, "order": None}],
        "genres": [{"name": "Dra\ufffdma"}],
        "ok": True,
        "vote": 7.5,
    }


def test_unfit_text_written_raw_is_found_too():
    """TMDB writes its text raw in UTF-8 (`ensure_ascii=False`), so U+FFFF comes as its bytes
    EF BF BF, not as an escape."""
    raw = '{"name": "Se7en\uffff\ufffe"}'.encode()
    assert b"\xef\xbf\xbf" in raw and b"\\u" not in raw
    assert fit_json(json.loads(raw), raw) == {"name": "Se7en"}


def test_an_answer_that_cannot_hold_unfit_text_is_not_walked():
    """Most answers hold nothing to take out: their bytes say so (no escape of a control
    character or a surrogate, no U+FFFE/U+FFFF, no raw control byte), and the decoded value is
    handed on as it is, not copied string by string (a long show's episode list is megabytes)."""
    clean = {"name": "Amélie", "overview": "Line\nbreak & \u2028 \u0026"}
    body = json.dumps(clean).encode()  # ASCII escapes: \u00e9, \n, \u2028, &
    decoded = json.loads(body)
    assert fit_json(decoded, body) is decoded
    raw = json.dumps(clean, ensure_ascii=False).encode()
    decoded = json.loads(raw)
    assert fit_json(decoded, raw) is decoded
    # an escaped backslash before `u0000` is text, not NUL: looked at, left as it is
    literal = rb'{"name": "C:\\u0000"}'
    assert fit_json(json.loads(literal), literal) == {"name": "C:\\u0000"}


def test_a_backspace_or_form_feed_in_its_short_escape_is_found_too():
    """JSON writes U+0008 and U+000C as `\\b` and `\\f` (RFC 8259 §7; Python's json, Ruby's
    JSON, which TMDB's Rails API answers with): OMDb-API#53's plots hold U+0008. Such an
    answer's bytes hold no `\\u0008`, and the character was handed on to the database, while
    the NFO writer left it out (the published file then differs from what the page says)."""
    body = json.dumps({"overview": "Part one\fPart two\b.", "name": "C:\\files"}).encode()
    assert b"\\f" in body and b"\\b" in body and b"\\u" not in body
    assert fit_json(json.loads(body), body) == {
        "overview": "Part onePart two.",
        "name": "C:\\files",
    }


def test_a_count_says_its_noun_in_the_number_s_form_never_with_an_s_in_brackets():
    """Messages said "1 episode(s) identified", "refreshed 2 known item(s)": `count` is the
    one helper, for an int or what is counted."""
    assert count(1, "episode") == "1 episode"
    assert count(0, "episode") == "0 episodes"
    assert count(["a", "b"], "known item") == "2 known items"
    assert count(3, "library", "libraries") == "3 libraries"
    assert count({"x": 1}, "library", "libraries") == "1 library"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("/srv/tv/Cartoons", False),
        ("D:\\Media\\TV", True),  # a basic string would double its backslashes
        ('/srv/tv/Kids\' "Cartoons"', False),
        ("/srv/tv/Séries\x7f", False),  # DEL: TOML forbids it raw
        ("C:\\it's", False),
    ],
)
def test_a_toml_string_reads_back_as_its_value(value, literal):
    """One `toml_string` for every line the user is told to paste into config.toml (the config
    check's, the webhooks' path_map hint, a folder of shows' [[library]] line, the demo's
    config), where three copies had their own rules."""
    import tomllib

    from metarrd.text import toml_string

    for prefer in (False, True):
        text = toml_string(value, prefer_literal=prefer)
        assert tomllib.loads(f"v = {text}")["v"] == value
        assert text.startswith("'") == (
            literal or (prefer and "'" not in value and value.isprintable())
        )
