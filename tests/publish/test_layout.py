"""Layout names as Kodi reads them (docs/kodi-layout.md §1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from metarrd.publish import layout, nfo

FOLDER = Path("/srv/movies/The Matrix (1999)")
BASE = "The Matrix (1999)"


def test_nfo_sits_beside_the_video():
    assert layout.nfo_path(FOLDER, BASE) == FOLDER / "The Matrix (1999).nfo"


@pytest.mark.parametrize(
    ("asset_type", "rank", "ext", "name"),
    [
        ("poster", 1, "jpg", "The Matrix (1999)-poster.jpg"),
        ("poster", 2, "jpg", "The Matrix (1999)-poster1.jpg"),
        ("fanart", 2, "jpg", "The Matrix (1999)-fanart1.jpg"),
        ("fanart", 5, "jpg", "The Matrix (1999)-fanart4.jpg"),
        ("clearlogo", 1, "png", "The Matrix (1999)-clearlogo.png"),
        ("keyart", 1, "webp", "The Matrix (1999)-keyart.webp"),
    ],
)
def test_art_names_follow_the_rank(asset_type, rank, ext, name):
    assert layout.art_name(BASE, asset_type, rank, ext) == name
    assert layout.art_path(FOLDER, BASE, asset_type, rank, ext) == FOLDER / name


@pytest.mark.parametrize(
    ("asset_type", "rank", "ext", "name"),
    [
        ("poster", 1, "jpg", "poster.jpg"),
        ("poster", 2, "jpg", "poster1.jpg"),
        ("fanart", 1, "jpg", "fanart.jpg"),
        ("fanart", 3, "jpg", "fanart2.jpg"),
        ("clearlogo", 1, "png", "clearlogo.png"),
    ],
)
def test_a_discs_art_has_bare_names_kodis_folder_pass_reads(asset_type, rank, ext, name):
    # a VIDEO_TS/BDMV movie has no <base> for artwork (`local_files.art_base_name` is "")
    assert layout.art_name("", asset_type, rank, ext) == name
    assert layout.art_path(FOLDER, "", asset_type, rank, ext) == FOLDER / name
    assert layout.art_slot(name, "") == (asset_type, rank)
    assert layout.art_slot(layout.art_name(BASE, asset_type, rank, ext), BASE) == (asset_type, rank)


def test_a_discs_slot_variants_are_the_bare_names_at_every_extension():
    names = [p.name for p in layout.art_variants(FOLDER, "", "fanart", 2)]
    assert names == [f"fanart1.{ext}" for ext in layout.IMAGE_EXTS]


@pytest.mark.parametrize(
    ("name", "base"),
    [("The Matrix (1999)-poster.jpg", ""), ("poster.jpg", BASE), ("Other-poster.jpg", BASE)],
)
def test_a_name_of_another_layout_has_no_slot(name, base):
    with pytest.raises(layout.LayoutError):
        layout.art_slot(name, base)


@pytest.mark.parametrize("bad_type", ["fan-art", "poster/../x", "", "Poster", "a" * 26])
def test_art_types_kodi_would_drop_are_refused(bad_type):
    with pytest.raises(layout.LayoutError):
        layout.art_name(BASE, bad_type, 1, "jpg")


def test_rank_starts_at_one():
    with pytest.raises(layout.LayoutError):
        layout.art_name(BASE, "poster", 0, "jpg")


@pytest.mark.parametrize(
    ("fmt", "ext"), [("jpeg", "jpg"), ("JPEG", "jpg"), ("png", "png"), ("webp", "webp")]
)
def test_extension_follows_the_real_format(fmt, ext):
    assert layout.ext_for_format(fmt) == ext


def test_unknown_format_uses_the_fallback_or_fails():
    assert layout.ext_for_format(None, fallback=".png") == "png"
    with pytest.raises(layout.LayoutError):
        layout.ext_for_format("tiff", fallback=".tif")


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("Keanu Reeves", "Keanu_Reeves.jpg"),
        ("Carrie-Anne Moss", "Carrie-Anne_Moss.jpg"),
        ("  Hugo Weaving ", "Hugo_Weaving.jpg"),
        ("AC/DC", "AC_DC.jpg"),
        ('Dwayne "The Rock" Johnson', "Dwayne__The_Rock__Johnson.jpg"),
        ("What? Who: Me*", "What__Who__Me_.jpg"),
        ("back\\slash<>|", "back_slash___.jpg"),
        ("Zoë Saldaña", "Zoë_Saldaña.jpg"),
        # Kodi compares the whole name: the trailing dot stays, then the extension follows
        ("Robert Downey Jr.", "Robert_Downey_Jr..jpg"),
    ],
)
def test_actor_file_names(name, file_name):
    assert layout.actor_file_name(name, "jpg") == file_name
    assert layout.actor_path(FOLDER, name, "jpg") == FOLDER / ".actors" / file_name


@pytest.mark.parametrize(
    "name",
    [
        "Zoe\u0308 Saldan\u0303a",  # decomposed, as some TMDB people are spelt
        "Zoë Saldaña",
        "Keanu Reeves",
        "Robert Downey Jr.",
        "  Hugo Weaving ",
        # provider text is not always valid XML (TV-Rename #481: "dodgy characters in the
        # TVDB description"): what the NFO leaves out of the name, the file name leaves out too
        "Keanu\x08 Reeves",
        "\x1fCarrie-Anne Moss\x02",
        "Hugo\ufffe Weaving",
    ],
)
def test_an_actor_file_is_named_as_kodi_looks_it_up_from_the_nfo(name):
    """Kodi takes the NFO's `<actor><name>` (trimmed), puts `_` for each space and compares
    that with every `.actors/` stem byte for byte (`CVideoInfoScanner::FetchActorThumbs`): the
    file is named after exactly what the NFO says, never another Unicode form of it."""
    nfo_bytes = nfo.render_nfo(nfo.MovieData(title="x", actors=(nfo.CastMember(name, "", 0),)))
    in_nfo = etree.fromstring(nfo_bytes).findtext("actor/name").strip()
    assert layout.actor_file_name(name, "jpg") == in_nfo.replace(" ", "_") + ".jpg"


@pytest.mark.parametrize(
    "hostile",
    [
        "..",
        "../../etc/passwd",
        "/etc/passwd",
        ".bashrc",
        "....",
        "a\0b",
        "\0",
        "x/../../y",
        "\\..\\",
    ],
)
def test_no_actor_name_leaves_the_actors_folder(hostile):
    path = layout.actor_path(FOLDER, hostile, "jpg")
    if path is None:
        return
    assert path.parent == FOLDER / ".actors"
    assert not path.name.startswith(".")
    assert "/" not in path.name and "\0" not in path.name
    assert ".." not in path.parts


@pytest.mark.parametrize("empty", ["", "   ", "...", "\x00\x01", "/", "_"])
def test_names_that_leave_nothing_give_no_file(empty):
    assert layout.actor_file_name(empty, "jpg") is None


def test_very_long_names_are_cut_to_fit_the_file_system():
    name = "Ä" * 400
    file_name = layout.actor_file_name(name, "png")
    assert file_name is not None and file_name.endswith(".png")
    assert len(file_name.encode("utf-8")) <= 255
    file_name.encode("utf-8").decode("utf-8")  # cut on a character boundary


def test_only_formats_kodi_lists_in_actors_are_written():
    assert layout.actor_file_name("Keanu Reeves", "png") == "Keanu_Reeves.png"
    assert layout.actor_file_name("Keanu Reeves", "webp") is None
    assert layout.actor_file_name("Keanu Reeves", "gif") is None


def test_variants_cover_every_extension_of_a_slot():
    variants = {p.name for p in layout.art_variants(FOLDER, BASE, "poster", 2)}
    assert "The Matrix (1999)-poster1.png" in variants
    assert "The Matrix (1999)-poster1.jpeg" in variants
    actor = {p.name for p in layout.actor_variants(FOLDER, "Keanu Reeves")}
    assert actor == {"Keanu_Reeves.jpg", "Keanu_Reeves.png", "Keanu_Reeves.tbn"}
