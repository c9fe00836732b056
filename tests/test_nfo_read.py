"""The NFOs users already have: every flavour read, every hostile or broken file refused clearly."""

from __future__ import annotations

import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from metarrd.scan.nfo_read import MAX_NFO_BYTES, NfoActor, NfoError, parse_nfo, read_nfo

NFO = Path(__file__).parent / "nfo"


# --- flavours -------------------------------------------------------------------------------


def test_kodi_full_nfo_ids_and_fields():
    nfo = read_nfo(NFO / "kodi_full.nfo")
    assert nfo.kind == "full"
    assert (nfo.tmdb_id, nfo.imdb_id, nfo.tvdb_id) == (603, "tt0133093", None)
    f = nfo.fields
    assert f["title"] == "The Matrix"
    assert f["sorttitle"] == "Matrix 1"
    assert f["plot"].endswith("a computer hacker & his fight.")
    assert f["runtime"] == 136
    assert f["mpaa"] == "US:R"
    assert (f["premiered"], f["year"]) == ("1999-03-30", 1999)
    assert f["genres"] == ["Action", "Science Fiction", "Thriller"]  # " / " split, as Kodi does
    assert f["directors"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert f["credits"] == ["Lilly Wachowski", "Lana Wachowski"]
    assert f["studios"] == ["Warner Bros. Pictures", "Village Roadshow Pictures"]
    assert f["tags"] == ["cyberpunk", "dystopia"]
    assert f["countries"] == ["United States of America"]
    assert (f["set_name"], f["set_overview"]) == ("The Matrix Collection", "The Matrix films.")
    assert f["trailer"].startswith("plugin://plugin.video.youtube/")
    assert f["dateadded"] == "2021-05-01 12:00:00"
    assert nfo.warnings == []


def test_kodi_ratings_follow_kodis_rules():
    f = read_nfo(NFO / "kodi_full.nfo").fields
    assert (f["rating"], f["votes"]) == (8.2, 25000)  # the one marked default
    by_name = {r["name"]: r for r in f["ratings"]}
    assert by_name["imdb"]["votes"] == 2012345  # "2,012,345": digits only
    assert by_name["metacritic"]["value"] == 7.3  # 73 of max 100 -> 0..10
    assert "broken" not in by_name  # a value of 0 is dropped


def test_actors_need_a_name():
    nfo = read_nfo(NFO / "kodi_full.nfo")
    assert nfo.actors == [
        NfoActor("Keanu Reeves", "Neo", 0, "https://image.tmdb.org/t/p/original/k.jpg"),
        NfoActor("Laurence Fishburne", "Morpheus", 1, None),
    ]


def test_unknown_elements_are_kept_verbatim_in_order():
    nfo = read_nfo(NFO / "kodi_full.nfo")
    tags = [e.split(">", 1)[0].split()[0].lstrip("<") for e in nfo.unknown_elements]
    assert tags.pop(0) == "ratings"  # kept too: publish writes the user's other ratings back
    assert tags.count("actor") == len(nfo.actors) == 2  # kept: the cast when the item has none
    tags = [t for t in tags if t != "actor"]
    # fileinfo too: publish writes it back when the scan has no stream details (a .strm)
    assert tags == [
        "userrating",
        "top250",
        "playcount",
        "lastplayed",
        "fileinfo",
        "resume",
        "custom_tool_flag",
    ]
    assert nfo.unknown_elements[-1] == (
        '<custom_tool_flag lang="en">keep me &amp; my attributes</custom_tool_flag>'
    )
    assert not any(e.startswith(("<thumb", "<fanart")) for e in nfo.unknown_elements)


def test_radarr_nfo():
    nfo = read_nfo(NFO / "radarr.nfo")
    assert (nfo.kind, nfo.tmdb_id, nfo.imdb_id) == ("full", 1091, "tt0084787")
    assert nfo.fields["rating"] == 8.1
    assert nfo.actors[0].name == "Kurt Russell"
    assert any(e.startswith("<certification>") for e in nfo.unknown_elements)
    assert nfo.warnings == []


@pytest.mark.parametrize(
    ("trailer", "kept"),
    [  # Radarr's XbmcMetadata.cs: "plugin://plugin.video.youtube/play/?video_id=" + the
        # movie's YouTubeTrailerId, empty when TMDB has none; older add-on and web forms too
        ("plugin://plugin.video.youtube/play/?video_id=", None),
        ("plugin://plugin.video.youtube/?action=play_video&videoid=", None),
        ("https://www.youtube.com/watch?v=", None),
        ("plugin://plugin.video.youtube/play/?video_id=5Cf0ZCqTa5Y",
         "plugin://plugin.video.youtube/play/?video_id=5Cf0ZCqTa5Y"),
    ],
)  # fmt: skip
def test_radarrs_trailer_with_no_video_id_is_no_trailer(trailer, kept):
    text = (NFO / "radarr.nfo").read_text(encoding="utf-8")
    data = parse_nfo(text.replace("</movie>", f"<trailer>{trailer}</trailer></movie>").encode(),
                     Path("radarr.nfo"))  # fmt: skip
    assert data.fields.get("trailer") == kept
    assert any("names no video" in w for w in data.warnings) == (kept is None)


def test_jellyfin_nfo_tmdbid_imdbid_and_plain_set():
    nfo = read_nfo(NFO / "jellyfin.nfo")
    assert (nfo.tmdb_id, nfo.imdb_id, nfo.tvdb_id) == (438631, "tt1160419", 12345)
    assert nfo.fields["plot"] == "Paul Atreides travels to Arrakis."  # CDATA
    assert nfo.fields["rating"] == 7.8  # legacy flat <rating>
    assert nfo.fields["set_name"] == "Dune Collection"
    assert any(e.startswith("<art>") for e in nfo.unknown_elements)
    assert any(e.startswith("<tvdbid>") for e in nfo.unknown_elements)  # read, not owned


def test_tiny_media_manager_nfo_id_is_imdb_tmdbid_is_tmdb():
    nfo = read_nfo(NFO / "tmm.nfo")
    assert (nfo.tmdb_id, nfo.imdb_id) == (194, "tt0211915")
    assert nfo.fields["title"] == "Amélie"
    assert nfo.fields["runtime"] == 122  # "122 min": the leading number
    assert (nfo.fields["rating"], nfo.fields["votes"]) == (7.9, 11000)


def test_legacy_numeric_id_is_tmdb(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text("<movie><title>X</title><id>603</id></movie>")
    assert read_nfo(path).tmdb_id == 603


def test_legacy_id_ignored_when_uniqueid_present(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text('<movie><id>999</id><uniqueid type="imdb">tt0133093</uniqueid></movie>')
    nfo = read_nfo(path)
    assert (nfo.tmdb_id, nfo.imdb_id) == (None, "tt0133093")


def test_conflicting_ids_keep_uniqueid_and_say_so(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text('<movie><uniqueid type="TMDB">603</uniqueid><tmdbid>604</tmdbid></movie>')
    nfo = read_nfo(path)
    assert nfo.tmdb_id == 603
    assert nfo.warnings == ["tmdbid/imdbid/tvdbid says tmdb 604 but uniqueid says 603; using 603"]


def test_invalid_ids_are_ignored_with_a_warning(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text('<movie><uniqueid type="imdb">nm0000206</uniqueid><tmdbid>x</tmdbid></movie>')
    nfo = read_nfo(path)
    assert (nfo.tmdb_id, nfo.imdb_id) == (None, None)
    assert len(nfo.warnings) == 2


def test_an_id_of_0_is_no_id_and_no_warning(tmp_path):
    """tinyMediaManager 2.9 writes `<tmdbId>0</tmdbId>` for a movie it knows no TMDB id of
    (its src/test/resources/testmovies/movie with set graphics/movie with set graphics.nfo):
    every scan of such a movie warned "tmdb id '0' is not valid", as if the user's NFO were
    broken. 0 is no id of any site (TMDB's and TheTVDB's start at 1): none, silently."""
    nfo = read_nfo(NFO / "tmm-movie_with_set_graphics.nfo")
    assert (nfo.tmdb_id, nfo.imdb_id, nfo.id_sources) == (None, None, {})
    assert nfo.fields["set_name"] == "MovieWithSetGraphicsCollection"
    assert nfo.warnings == []
    path = tmp_path / "m.nfo"
    path.write_text('<movie><uniqueid type="tmdb">0</uniqueid><tvdbid>00</tvdbid></movie>')
    assert (read_nfo(path).tmdb_id, read_nfo(path).warnings) == (None, [])


def test_url_only_nfos():
    tmdb = read_nfo(NFO / "url_tmdb.nfo")
    assert (tmdb.kind, tmdb.tmdb_id, tmdb.imdb_id) == ("url", 603, None)
    imdb = read_nfo(NFO / "url_imdb.nfo")
    assert (imdb.kind, imdb.tmdb_id, imdb.imdb_id) == ("url", None, "tt0133093")
    assert imdb.fields == {} and imdb.unknown_elements == []


def test_full_nfo_followed_by_url_is_combined():
    nfo = read_nfo(NFO / "combined.nfo")
    assert (nfo.kind, nfo.tmdb_id) == ("combined", 603)
    assert nfo.fields["title"] == "My Own Title For This"


@pytest.mark.parametrize(
    "after",
    [
        "\n<movie><title>Another</title></movie>\n",  # a second copy appended to the file
        "\n-- end of </movie> --\n",  # trailing text naming the root's closing tag
    ],
)
def test_what_follows_the_root_element_is_ignored_as_kodi_ignores_it(tmp_path, after):
    """Kodi's TinyXML reads the first root element and stops at what follows it. The scan cut
    the text at the last `</movie`, so a second `<movie>` after the first (or such text) made
    the whole NFO "not well-formed XML: Extra content at the end of the document"."""
    path = tmp_path / "m.nfo"
    path.write_bytes((NFO / "tmm-kodi.nfo").read_bytes() + after.encode())
    nfo = read_nfo(path)
    assert (nfo.tmdb_id, nfo.imdb_id, nfo.fields["title"]) == (12244, "tt0472033", "9")
    assert not any("Another" in e for e in nfo.unknown_elements)
    assert nfo.warnings == ["what follows the <movie> element ignored, as Kodi ignores it"]


def test_url_inside_a_plot_makes_it_combined_as_for_kodi(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text("<movie><plot>see https://www.imdb.com/title/tt0133093/</plot></movie>")
    nfo = read_nfo(path)
    assert (nfo.kind, nfo.imdb_id) == ("combined", "tt0133093")


def test_broken_xml_with_a_url_falls_back_to_the_url(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text("<movie><title>oops</movie>\nhttps://www.themoviedb.org/movie/603\n")
    nfo = read_nfo(path)
    assert (nfo.kind, nfo.tmdb_id) == ("url", 603)
    assert "not well-formed" in nfo.warnings[0]


def test_root_name_is_not_checked(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text('<tvshow><title>Show</title><uniqueid type="tvdb">81189</uniqueid></tvshow>')
    nfo = read_nfo(path)
    assert (nfo.fields["title"], nfo.tvdb_id) == ("Show", 81189)
    assert "root element is <tvshow>" in nfo.warnings[0]


# --- hostile and broken files ---------------------------------------------------------------


def test_xxe_is_refused():
    with pytest.raises(NfoError, match="declares XML entities") as err:
        read_nfo(NFO / "xxe.nfo")
    assert err.value.path == NFO / "xxe.nfo"
    assert "root:" not in str(err.value)


def test_billion_laughs_is_refused_without_expanding():
    with pytest.raises(NfoError, match="declares XML entities"):
        read_nfo(NFO / "billion_laughs.nfo")


def test_an_nfo_past_the_parsers_limits_is_refused_in_the_users_words(tmp_path):
    # libxml2 said "Excessive depth in document: 256, use XML_PARSE_HUGE option": advice for
    # programmers, shown on the item as if the user could follow it (its other limit, a text
    # node over 10 MB, is past the 5 MB an NFO may have)
    path = tmp_path / "movie.nfo"
    path.write_bytes(b"<movie>" + b"<a>" * 300 + b"</a>" * 300 + b"</movie>")
    with pytest.raises(NfoError, match="too large or too deeply nested") as err:
        read_nfo(path)
    assert "XML_PARSE_HUGE" not in str(err.value)


def test_external_dtd_on_disk_is_never_loaded():
    nfo = read_nfo(NFO / "external_dtd_file.nfo")
    assert (nfo.fields["title"], nfo.tmdb_id) == ("External DTD", 603)
    assert any("external DTD" in w for w in nfo.warnings)


def test_external_dtd_over_http_is_never_fetched(tmp_path):
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            body = b'<!ENTITY leak "LEAKED">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/evil.dtd"
        path = tmp_path / "m.nfo"
        path.write_text(f'<!DOCTYPE movie SYSTEM "{url}"><movie><title>A &leak; B</title></movie>')
        nfo = read_nfo(path)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert "LEAKED" not in nfo.fields["title"]


def test_too_big_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.nfo"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(NfoError) as err:
        read_nfo(path)
    assert err.value.reason == "is 50 MB, larger than the 5 MB limit; ignored"
    assert str(err.value) == f"{path}: is 50 MB, larger than the 5 MB limit; ignored"


def test_file_at_the_limit_is_read(tmp_path):
    path = tmp_path / "big.nfo"
    head = b"<movie><title>Big</title><plot>"
    tail = b"</plot></movie>"
    path.write_bytes(head + b"x" * (MAX_NFO_BYTES - len(head) - len(tail)) + tail)
    assert read_nfo(path).fields["title"] == "Big"


def test_a_file_of_distinct_tags_and_genres_is_read_in_one_pass(tmp_path):
    # 160,000 distinct values in 3.6 MB (under the limit): a duplicate check scanning the list
    # took two minutes here (the limit holds 290,000 such tags); now a set answers each check
    count = 80_000
    path = tmp_path / "many.nfo"
    path.write_text(
        "<movie>"
        + "".join(f"<tag>t{i}</tag><genre>g{i} / g{i}</genre>" for i in range(count))
        + "<tag>t0</tag></movie>"
    )
    assert path.stat().st_size < MAX_NFO_BYTES
    nfo = read_nfo(path)
    # built in one pass, then dropped: longer than an item's field takes (MAX_TEXT characters)
    assert "tags" not in nfo.fields and "genres" not in nfo.fields
    assert [w.split(" is ")[0] for w in nfo.warnings] == ["tags", "genres"]
    assert f"{len(', '.join(f't{i}' for i in range(count))):,} characters" in nfo.warnings[0]


def test_a_title_full_of_comments_is_read_in_one_pass(tmp_path):
    # 600,000 comments in one element (4.2 MB, under the limit): joining itertext() was
    # quadratic over them (minutes); XPath's string() reads the same text in one pass
    path = tmp_path / "comments.nfo"
    path.write_bytes(b"<movie><title>Heat" + b"<!---->" * 600_000 + b" (1995)</title></movie>")
    assert path.stat().st_size < MAX_NFO_BYTES
    assert read_nfo(path).fields["title"] == "Heat (1995)"


@pytest.mark.parametrize("content", [b"", b"   \n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.nfo"
    path.write_bytes(content)
    with pytest.raises(NfoError, match="is empty"):
        read_nfo(path)


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.nfo"
    path.write_bytes(os.urandom(4096) + b"\x00")
    with pytest.raises(NfoError, match="binary data"):
        read_nfo(path)


def test_control_characters_mean_binary(tmp_path):
    path = tmp_path / "garbage.nfo"
    path.write_bytes(bytes(range(1, 32)) * 10)
    with pytest.raises(NfoError, match="binary data"):
        read_nfo(path)


def test_plain_text_without_url(tmp_path):
    path = tmp_path / "notes.nfo"
    path.write_text("Ripped by me in 2004. Great film!\n")
    with pytest.raises(NfoError, match="neither XML nor a TMDB/IMDb URL"):
        read_nfo(path)


def test_broken_xml_without_url(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text("<movie><title>oops</movie>")
    with pytest.raises(NfoError, match="not well-formed XML"):
        read_nfo(path)


def test_an_undefined_entity_is_text_not_a_lookup(tmp_path):
    # nothing is looked up for it: an entity no one defines stays as written, as TinyXML keeps it
    path = tmp_path / "m.nfo"
    path.write_text("<movie><title>A &unknown; B</title><plot>&xxe;</plot></movie>")
    nfo = read_nfo(path)
    assert (nfo.fields["title"], nfo.fields["plot"]) == ("A &unknown; B", "&xxe;")


def test_a_hand_edited_bare_ampersand_and_html_entities_are_repaired(tmp_path):
    # jellyfin-justice-league.nfo (real, tests/nfo/SOURCES.md) edited by hand as users do: a bare
    # '&' in the title and in a URL attribute, HTML entities in the plot
    text = (NFO / "jellyfin-justice-league.nfo").read_text(encoding="utf-8")
    text = text.replace("<title>Justice League</title>", "<title>Justice League & Co</title>")
    text = text.replace('preview="http://image.tmdb.org/t/p/w500/', 'preview="http://x/?a=1&b=')
    text = re.sub(
        r"<plot>.*?</plot>",
        "<plot>Caf&eacute;&nbsp;&lt;ok&gt; &amp; &#233;</plot>",
        text,
        flags=re.S,
    )
    path = tmp_path / "Justice League (2017).nfo"
    path.write_text(text, encoding="utf-8")
    nfo = read_nfo(path)
    assert nfo.tmdb_id == 141052 and nfo.imdb_id == "tt0974015"
    assert nfo.fields["title"] == "Justice League & Co"
    assert nfo.fields["plot"] == "Caf\u00e9\u00a0<ok> & \u00e9"
    assert nfo.warnings[0].startswith("repaired ")
    assert "(first: '&')" in nfo.warnings[0]


@pytest.mark.parametrize(
    "written",
    ["&#x0B;", "&#x05;", "&#11;", "&#x1F;", "&#0;", "&#xFFFE;", "&#xD83D;", "\x0b", "\x1f"],
)
def test_a_control_character_xml_refuses_is_dropped_not_the_whole_nfo(tmp_path, written):
    """Kodi's export writes every character below 32 as `&#xNN;` (TinyXML's EncodeString), so a
    provider's plot holding a stray control character comes out as `&#x0B;`, which XML 1.0
    refuses and Kodi reads back; other tools write it raw. The whole NFO was refused for it
    (its ids, dateadded and values lost); now the character alone is dropped, with a warning."""
    path = tmp_path / "m.nfo"
    path.write_text(
        f"<movie><title>The Matrix</title><plot>Neo{written} wakes.&#x0A;Morpheus &#233;"
        '</plot><uniqueid type="tmdb" default="true">603</uniqueid>'
        "<plot2><![CDATA[&#x0B; stays text here]]></plot2></movie>",
        encoding="utf-8",
    )
    nfo = read_nfo(path)
    assert nfo.tmdb_id == 603
    assert nfo.fields["plot"] == "Neo wakes.\nMorpheus é"
    assert nfo.unknown_elements == ["<plot2>&amp;#x0B; stays text here</plot2>"]  # CDATA's
    assert len(nfo.warnings) == 1 and "dropped 1 character" in nfo.warnings[0]


def test_cdata_and_comments_keep_their_ampersands(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text(
        "<movie><title><![CDATA[Tom & Jerry &eacute;]]></title><!-- a & b -->"
        '<uniqueid type="tmdb">1</uniqueid></movie>'
    )
    nfo = read_nfo(path)
    assert nfo.fields["title"] == "Tom & Jerry &eacute;"
    assert nfo.warnings == []


def test_a_repair_never_makes_markup(tmp_path):
    # HTML's &LT; is '<': it becomes text, never a tag
    path = tmp_path / "m.nfo"
    path.write_text("<movie><title>&LT;set&GT;x&LT;/set&GT;</title></movie>")
    nfo = read_nfo(path)
    assert nfo.fields["title"] == "<set>x</set>"
    assert "set_name" not in nfo.fields


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(NfoError, match="cannot be read"):
        read_nfo(tmp_path / "absent.nfo")
    with pytest.raises(NfoError, match="not a regular file"):
        read_nfo(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.nfo"
    os.mkfifo(fifo)
    with pytest.raises(NfoError, match="not a regular file"):
        read_nfo(fifo)


# --- encodings ------------------------------------------------------------------------------


def test_invalid_utf8_falls_back_to_windows_1252_with_a_warning(tmp_path):
    path = tmp_path / "m.nfo"
    data = '<?xml version="1.0"?><movie><title>Amélie – ok</title></movie>'.encode("cp1252")
    path.write_bytes(data)
    nfo = read_nfo(path)
    assert nfo.fields["title"] == "Amélie – ok"
    first_bad = data.index("é".encode("cp1252"))
    assert nfo.warnings == [f"not valid UTF-8 (byte {first_bad}); read as cp1252"]


def test_declared_encoding_is_used_when_not_utf8(tmp_path):
    path = tmp_path / "m.nfo"
    text = '<?xml version="1.0" encoding="ISO-8859-15"?><movie><title>Prix 5€</title></movie>'
    path.write_bytes(text.encode("iso-8859-15"))
    nfo = read_nfo(path)
    assert nfo.fields["title"] == "Prix 5€"
    assert "read as iso8859-15" in nfo.warnings[0]


def test_utf8_wins_over_a_wrong_declaration(tmp_path):
    path = tmp_path / "m.nfo"
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><movie><title>Léon</title></movie>'
    path.write_bytes(text.encode("utf-8"))
    assert read_nfo(path).fields["title"] == "Léon"


@pytest.mark.parametrize("declared", ["utf-16", "UTF-16", "utf-16LE", "UTF-32"])
@pytest.mark.parametrize("tail", ["", "\n"])  # odd or even length: refused, or read as CJK
def test_a_utf8_file_declaring_utf16_is_read_as_utf8(tmp_path, declared, tail):
    """A .NET tool that serialises through a StringWriter writes `encoding="utf-16"` into
    what it then saves as UTF-8. A declaration readable as 8-bit text cannot be UTF-16's, and
    Kodi ignores it (CCharsetDetection::DetectXmlEncoding, then its UTF-8 check); it was
    decoded as UTF-16 here, and the NFO refused (or read as CJK, "neither XML nor a URL")."""
    path = tmp_path / "m.nfo"
    text = (
        f'<?xml version="1.0" encoding="{declared}"?>\n<movie><title>Amélie</title>'
        f'<uniqueid type="tmdb" default="true">194</uniqueid></movie>{tail}'
    )
    path.write_bytes(text.encode("utf-8"))
    nfo = read_nfo(path)
    assert (nfo.fields["title"], nfo.tmdb_id, nfo.warnings) == ("Amélie", 194, [])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_told_by_its_declaration(tmp_path, codec):
    """UTF-16 without a BOM: Kodi tells it by `<?` in two-byte units (GuessXmlEncoding); it
    was refused here as binary data (its NUL bytes)."""
    path = tmp_path / "m.nfo"
    text = '<?xml version="1.0" encoding="UTF-16"?><movie><title>Ünïcödé</title></movie>'
    path.write_bytes(text.encode(codec))
    assert read_nfo(path).fields["title"] == "Ünïcödé"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
def test_bom_decides(tmp_path, codec):
    path = tmp_path / "m.nfo"
    path.write_bytes("<movie><title>Ünïcödé</title></movie>".encode(codec))
    assert read_nfo(path).fields["title"] == "Ünïcödé"


def test_undecodable_bytes_are_a_clear_error():
    data = b"<movie><title>\x81\x8d\x8f\x90\x9d</title></movie>"  # holes in cp1252
    with pytest.raises(NfoError, match="not valid UTF-8 .* nor Windows-1252"):
        parse_nfo(data, Path("/lib/x.nfo"))


def test_entities_hidden_behind_a_confusing_doctype_are_refused(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text(
        '<!DOCTYPE movie [<!ATTLIST movie a CDATA "]>"> <!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<movie><title>&x;</title></movie>"
    )
    with pytest.raises(NfoError, match="declares XML entities"):
        read_nfo(path)


def test_entity_declaration_with_a_url_is_still_refused(tmp_path):
    path = tmp_path / "m.nfo"
    path.write_text(
        '<!DOCTYPE m [<!ENTITY x "y">]><movie><title>&x;</title></movie>\n'
        "https://www.themoviedb.org/movie/603\n"
    )
    with pytest.raises(NfoError, match="declares XML entities"):
        read_nfo(path)
