"""Provider JSON -> candidates with Kodi asset types."""

from __future__ import annotations

from metarrd.enrich.candidates import (
    fanart_language,
    from_fanart,
    from_tmdb,
    from_tvdb,
    tvdb_kinds,
)

BASE = "https://image.tmdb.org/t/p/original"


def tmdb_image(path, lang="en", w=1000, h=1500, avg=5.3, votes=3):
    return {"file_path": path, "iso_639_1": lang, "width": w, "height": h,
            "vote_average": avg, "vote_count": votes, "aspect_ratio": round(w / h, 3)}  # fmt: skip


def test_tmdb_types_urls_and_languages():
    details = {
        "images": {
            "posters": [tmdb_image("/p1.jpg"), tmdb_image("/p2.jpg", lang=None)],
            "backdrops": [tmdb_image("/b1.jpg", lang="xx", w=1920, h=1080)],
            "logos": [tmdb_image("/l1.png", w=1000, h=389)],
        }
    }
    found = {c.url: c for c in from_tmdb(details, BASE + "/")}
    assert found[BASE + "/p1.jpg"].asset_type == "poster"
    assert found[BASE + "/p1.jpg"].language == "en"
    assert found[BASE + "/p2.jpg"].language is None
    assert found[BASE + "/b1.jpg"].asset_type == "fanart"
    assert found[BASE + "/b1.jpg"].language is None  # "xx" is no language
    assert found[BASE + "/l1.png"].asset_type == "clearlogo"
    assert found[BASE + "/p1.jpg"].vote_count == 3


def test_tmdb_svg_logo_becomes_its_png_rendition():
    details = {"images": {"logos": [tmdb_image("/logo.svg", w=800, h=311)]}}
    (logo,) = from_tmdb(details, BASE)
    assert logo.url == BASE + "/logo.png"
    assert logo.metadata["svg_original"] == "/logo.svg"


def test_tmdb_missing_images_and_bad_items_are_ignored():
    assert from_tmdb({}, BASE) == []
    assert from_tmdb({"images": {"posters": [{"file_path": None}, {}]}}, BASE) == []


def fanart_item(url, lang="en", likes="3"):
    return {"id": "1", "url": url, "lang": lang, "likes": likes}


def test_fanart_mapping_follows_kodi():
    data = {
        "name": "X",
        "hdmovielogo": [fanart_item("http://assets.fanart.tv/fanart/movies/1/hdmovielogo/a.png")],
        "movielogo": [fanart_item("http://x/movielogo/b.png", lang="")],
        "hdmovieclearart": [fanart_item("http://x/c.png", lang="00")],
        "moviedisc": [{**fanart_item("http://x/d.png"), "disc": "1", "disc_type": "bluray"}],
        "moviebanner": [fanart_item("http://x/e.jpg")],
        "moviethumb": [fanart_item("http://x/f.jpg")],
        "moviebackground": [fanart_item("http://x/g.jpg", lang="en")],
        "movie4kbackground": [fanart_item("http://x/g4.jpg", lang="")],
        "movieposter": [fanart_item("http://x/h.jpg"), fanart_item("http://x/i.jpg", lang="00"),
                        fanart_item("http://x/j.jpg", lang="")],
        "moviesquare": [fanart_item("http://x/unknown.jpg")],
    }  # fmt: skip
    found = {c.url.rsplit("/", 1)[1]: c for c in from_fanart(data)}
    assert found["a.png"].asset_type == "clearlogo"
    assert found["a.png"].url.startswith("https://assets.fanart.tv/")  # upgraded to https
    assert found["b.png"].asset_type == "clearlogo" and found["b.png"].language == "en"
    assert found["c.png"].asset_type == "clearart" and found["c.png"].language == "en"
    assert found["d.png"].asset_type == "discart"
    assert found["e.jpg"].asset_type == "banner"
    assert found["f.jpg"].asset_type == "landscape"
    assert found["g.jpg"].asset_type == "fanart" and found["g.jpg"].language is None
    assert found["g4.jpg"].asset_type == "fanart"
    assert found["h.jpg"].asset_type == "poster" and found["h.jpg"].language == "en"
    assert found["i.jpg"].asset_type == "keyart" and found["i.jpg"].language is None
    assert found["j.jpg"].asset_type == "keyart"
    assert "unknown.jpg" not in found
    assert found["a.png"].vote_count == 3  # likes


def test_fanart_error_bodies_and_svgs_give_nothing():
    assert from_fanart({"status": "error", "error message": "Not found"}) == []
    assert from_fanart(None) == []
    assert from_fanart({"hdmovielogo": [fanart_item("http://x/logo.svg")]}) == []


def test_fanart_language_rules():
    assert fanart_language("fanart", "en") is None
    assert fanart_language("poster", "cz") == "cs"
    assert fanart_language("poster", "de") == "de"


ARTWORK_TYPES = [
    {"id": 2, "name": "Poster", "recordType": "series"},
    {"id": 14, "name": "Poster", "recordType": "movie"},
    {"id": 15, "name": "Background", "recordType": "movie"},
    {"id": 16, "name": "Banner", "recordType": "movie"},
    {"id": 18, "name": "Icon", "recordType": "movie"},
    {"id": 24, "name": "ClearArt", "recordType": "movie"},
    {"id": 25, "name": "ClearLogo", "recordType": "movie"},
]


def test_tvdb_types_are_looked_up_by_name():
    assert tvdb_kinds(ARTWORK_TYPES) == {
        14: "poster", 15: "fanart", 16: "banner", 24: "clearart", 25: "clearlogo",
    }  # fmt: skip


def test_tvdb_candidates():
    kinds = tvdb_kinds(ARTWORK_TYPES)
    arts = [
        {"id": 1, "image": "/banners/movies/1/posters/a.jpg", "type": 14, "language": "eng",
         "score": 100000, "width": 680, "height": 1000, "includesText": True},
        {"id": 2, "image": "https://art.example/b.jpg", "type": 15, "language": "fra",
         "includesText": False},
        {"id": 3, "image": "https://art.example/c.svg", "type": 25, "language": "eng"},
        {"id": 4, "image": "https://art.example/icon.png", "type": 18, "language": "eng"},
        {"id": 5, "image": "https://art.example/d.png", "type": 25, "language": "deu"},
    ]  # fmt: skip
    found = {c.url.rsplit("/", 1)[1]: c for c in from_tvdb(arts, kinds, "https://artworks.x/")}
    assert found["a.jpg"].url == "https://artworks.x/banners/movies/1/posters/a.jpg"
    assert found["a.jpg"].asset_type == "poster" and found["a.jpg"].language == "en"
    assert found["a.jpg"].vote_count == 100000
    assert found["b.jpg"].asset_type == "fanart" and found["b.jpg"].language is None
    assert found["d.png"].asset_type == "clearlogo" and found["d.png"].language == "de"
    assert "c.svg" not in found and "icon.png" not in found


def test_tvdb_languages_beyond_the_common_ones_become_iso_639_1():
    """TheTVDB v4 tags artwork with its own language ids (GET /languages; a captured list:
    xfuentes/smart-video-processor tests/common/TVDBLanguages.ts): ISO 639-2/T for most, "pt"
    for Portuguese - Brazil beside "por" for Portugal, "zhtw" for Chinese - Taiwan. A
    Vietnamese, Indonesian, Croatian or Taiwanese user's own-language art stayed "vie", "ind",
    "hrv", "zhtw", matched none of their languages and was picked only after everything else."""
    kinds = tvdb_kinds(ARTWORK_TYPES)
    tags = {"vie": "vi", "ind": "id", "hrv": "hr", "cat": "ca", "slk": "sk", "bul": "bg",
            "srp": "sr", "fas": "fa", "zhtw": "zh", "zho": "zh", "pt": "pt", "por": "pt",
            "ger": "de", "eng": "en"}  # fmt: skip
    arts = [
        {"id": i, "image": f"https://art.example/{code}.jpg", "type": 14, "language": code,
         "width": 680, "height": 1000, "includesText": True}
        for i, code in enumerate(tags)
    ]  # fmt: skip
    found = {c.url.rsplit("/", 1)[1][:-4]: c.language for c in from_tvdb(arts, kinds, "x")}
    assert found == tags
