"""The Settings page's library section lists what the latest scan skipped by name and why, so a
movie that "does not show up" can be found there; hostile names are shown escaped."""

from __future__ import annotations

import os

from metarrd import db
from metarrd.scan import skipped as skipped_module
from metarrd.scan.skipped import Skipped, save


def _scanned(library: db.Library, *names: str) -> None:
    """A whole-library scan's skips, stored as the scan stores them."""
    skipped = Skipped(library.path)
    skipped.walked.append(library.path)
    for name in names:
        skipped(os.path.join(library.path, name), "a trailer (its name ends in -trailer)")
    save(library, skipped)


def test_settings_lists_what_the_latest_scan_skipped(client, library):
    _scanned(library, "Heat (1995)/Heat (1995)-trailer.mkv")

    page = client.get("/settings").get_data(as_text=True)

    assert "1 file or folder skipped by name at the latest scan" in page
    assert "<code>Heat (1995)/Heat (1995)-trailer.mkv</code>" in page
    assert "a trailer (its name ends in -trailer)" in page
    # the list also comes with the section that "Scan now" swaps in
    fragment = client.post("/settings/scan", {"library": library.id}, htmx=True)
    assert "Heat (1995)/Heat (1995)-trailer.mkv" in fragment.get_data(as_text=True)


def test_nothing_skipped_shows_nothing(client, library):
    _scanned(library)
    assert "skipped by name" not in client.get("/settings").get_data(as_text=True)


def test_a_long_list_ends_with_how_many_more(client, library, monkeypatch):
    monkeypatch.setattr(skipped_module, "SHOWN", 2)
    _scanned(library, *(f"Heat (1995)/Heat-trailer{n}.mkv" for n in range(5)))

    page = client.get("/settings").get_data(as_text=True)

    assert "5 files or folders skipped by name" in page
    assert page.count("Heat (1995)/Heat-trailer") == 2
    assert "and 3 more" in page


def test_hostile_names_are_shown_escaped(client, library):
    _scanned(
        library,
        "<script>alert(1)</script>-trailer.mkv",
        "\x1b[31mred\r\nline-trailer.mkv",
        "evil\u202egpj.exe-trailer.mkv",
        os.fsdecode(b"caf\xe9-trailer.mkv"),  # not UTF-8 on disk (surrogate-escaped)
    )

    response = client.get("/settings")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;-trailer.mkv" in page
    assert "\\x1b[31mred\\r\\nline-trailer.mkv" in page
    assert "\x1b" not in page and "\u202e" not in page
    assert "evil\\u202egpj.exe-trailer.mkv" in page
    assert "caf\\xe9-trailer.mkv" in page


def test_the_activity_page_says_when_a_scan_skipped_something_new(client, library):
    _scanned(library, "Heat (1995)/Heat (1995)-trailer.mkv")

    page = client.get("/activity").get_data(as_text=True)

    assert "Heat (1995)/Heat (1995)-trailer.mkv skipped by name" in page
    assert "Settings, Libraries lists what the latest scan skipped" in page
    assert "Skipped by name" in page and "Scan skipped" not in page  # not a skipped scan
