"""Where the providers' images may come from (metarrd/image_hosts.py): their documented hosts,
the configured ones, never an address a provider's answer makes up."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from metarrd.config import ProvidersConfig, parse_config
from metarrd.enrich.candidates import from_fanart, from_tvdb, tvdb_image_url
from metarrd.errors import ConfigError, ProviderError
from metarrd.http import HttpClient
from metarrd.image_hosts import fetchable, redirects, refused_host
from metarrd.providers.tvdb import ARTWORK_HOST

OFFICIAL = ProvidersConfig()  # every base_url the providers' own

# what the providers' answers hold (docs/providers.md §1.7, §2.4, §3.3)
REAL = [
    ("tmdb", "https://image.tmdb.org/t/p/w500/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"),
    ("tmdb", "http://image.tmdb.org/t/p/original/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"),
    (
        "fanart",
        "http://assets.fanart.tv/fanart/movies/550/hdmovielogo/fight-club-5232c108a0b11.png",
    ),
    (
        "fanart",
        "https://assets.fanart.tv/preview/tv/355730/tvposter/the-wheel-of-time-64b009de9548d.jpg",
    ),
    ("tvdb", "https://artworks.thetvdb.com/banners/posters/81189-10.jpg"),
    ("tvdb", tvdb_image_url("/banners/v4/series/81189/posters/5f4c2a1b.jpg", ARTWORK_HOST)),
]


@pytest.mark.parametrize(("provider", "url"), REAL)
def test_the_real_shapes_of_the_providers_image_addresses_pass(provider, url):
    assert refused_host(OFFICIAL, provider, url) is None


@pytest.mark.parametrize(
    ("provider", "url", "host"),
    [
        ("fanart", "http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("fanart", "http://192.168.1.1/cgi-bin/luci", "192.168.1.1"),
        ("tvdb", "http://127.0.0.1:8080/api/v2/config", "127.0.0.1:8080"),
        ("tvdb", "file:///etc/passwd", "file scheme"),
        ("tvdb", "gopher://artworks.thetvdb.com/x", "gopher scheme (artworks.thetvdb.com)"),
        ("fanart", "https://assets.fanart.tv.example.net/x.jpg", "assets.fanart.tv.example.net"),
        ("fanart", "https://assets.fanart.tv:8443/fanart/x.jpg", "assets.fanart.tv:8443"),
        ("fanart", "https://user:pw@10.0.0.1/x.jpg", "10.0.0.1"),  # never the password
        ("fanart", "https://image.tmdb.org/t/p/original/x.jpg", "image.tmdb.org"),  # TMDB's
        ("tmdb", "https://artworks.thetvdb.com/banners/x.jpg", "artworks.thetvdb.com"),
        ("tmdb", "http://[::1]:9/x.jpg", "[::1]:9"),
        ("tmdb", "http://image.tmdb.org:notaport/x.jpg", "image.tmdb.org:notaport"),
    ],
)
def test_an_address_off_the_providers_image_hosts_is_refused_naming_its_host(provider, url, host):
    assert refused_host(OFFICIAL, provider, url) == host
    assert fetchable(OFFICIAL, url, provider) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080\\@image.tmdb.org/t/p/original/x.jpg",
        "http://127.0.0.1:8080\\image.tmdb.org/t/p/original/x.jpg",
        "https://127.0.0.1:8080\\.image.tmdb.org:443/x.jpg",
    ],
)
def test_a_backslash_ends_the_host_as_it_does_for_the_request(url):
    """requests (urllib3's parse_url) ends the host at a backslash, urlsplit read the name after
    it: an answer naming `http://127.0.0.1:8080\\@image.tmdb.org/...` was fetched from the loopback
    address as an image of TMDB's."""
    assert urlsplit(requests.Request("GET", url).prepare().url).netloc == "127.0.0.1:8080"
    assert refused_host(OFFICIAL, "tmdb", url) == "127.0.0.1:8080"
    assert fetchable(OFFICIAL, url) is None


def test_images_of_others_than_the_providers_are_not_this_rules():
    assert refused_host(OFFICIAL, "user", "http://192.168.1.1/x.jpg") is None
    assert refused_host(OFFICIAL, "library", "/srv/media/movies/x/poster.jpg") is None


def _config(**providers) -> ProvidersConfig:
    return parse_config({"data_dir": "/var/lib/metarrd", "providers": providers}).providers


def test_configured_image_hosts_are_the_only_ones_host_and_port_exactly():
    config = _config(
        fanart={"base_url": "http://127.0.0.1:8790/v3", "image_hosts": ["http://127.0.0.1:8792"]}
    )
    assert refused_host(config, "fanart", "http://127.0.0.1:8792/fanart/movies/603/a.jpg") is None
    assert refused_host(config, "fanart", "http://127.0.0.1:8790/secret") == "127.0.0.1:8790"
    assert refused_host(config, "fanart", "http://assets.fanart.tv/fanart/a.jpg") == (
        "assets.fanart.tv"
    )
    # set for the official API too (a caching proxy in front of the images)
    config = _config(tvdb={"image_hosts": ["https://artcache.lan"]})
    assert refused_host(config, "tvdb", "https://artcache.lan:443/banners/a.jpg") is None
    assert refused_host(config, "tvdb", "https://artworks.thetvdb.com/banners/a.jpg") == (
        "artworks.thetvdb.com"
    )


def test_a_mirror_without_image_hosts_serves_its_images_from_its_own_host_only():
    config = _config(tvdb={"base_url": "http://mirror.lan:8080/v4"})
    assert refused_host(config, "tvdb", "http://mirror.lan:8083/banners/a.jpg") is None
    assert refused_host(config, "tvdb", "http://192.168.1.1/") == "192.168.1.1"
    assert refused_host(config, "tvdb", "https://artworks.thetvdb.com/banners/a.jpg") == (
        "artworks.thetvdb.com"
    )


def test_an_image_host_that_is_not_an_address_is_a_config_error():
    with pytest.raises(ConfigError, match=r"providers\.fanart\.image_hosts\[0\]"):
        _config(fanart={"image_hosts": ["assets.fanart.tv"]})


def test_the_candidates_keep_the_addresses_the_answer_gave():
    """The rule looks at the address as the candidate has it: fanart.tv's http:// made https,
    TheTVDB's `/banners/...` path put on its artworks host."""
    (fanart,) = from_fanart({"movieposter": [{"url": REAL[2][1], "lang": "en", "likes": "1"}]})
    assert fanart.url.startswith("https://assets.fanart.tv/fanart/")
    assert refused_host(OFFICIAL, "fanart", fanart.url) is None
    assert refused_host(OFFICIAL, "fanart", fanart.small_url) is None
    art = {"type": 1, "image": "/banners/movies/169/posters/1.jpg", "thumbnail": REAL[4][1]}
    (tvdb,) = from_tvdb([art], {1: "poster"}, ARTWORK_HOST)
    assert tvdb.url == "https://artworks.thetvdb.com/banners/movies/169/posters/1.jpg"
    assert refused_host(OFFICIAL, "tvdb", tvdb.url) is None


def test_tvdbs_site_relative_paths_go_to_the_configured_image_host():
    """A mirror's TheTVDB answer with `/banners/...` paths: they are put on its image host, the
    one whose images are fetched, not on its API's host:port (which would be refused)."""
    from metarrd.providers.tvdb import TvdbClient

    config = _config(
        tvdb={"base_url": "http://10.0.0.5:8080/v4", "image_hosts": ["http://10.0.0.5:8081/"]}
    )
    host = TvdbClient(config.tvdb, http=None).artwork_host
    url = tvdb_image_url("/banners/v4/movie/169/posters/1.jpg", host)
    assert url == "http://10.0.0.5:8081/banners/v4/movie/169/posters/1.jpg"
    assert refused_host(config, "tvdb", url) is None
    assert TvdbClient(OFFICIAL.tvdb, http=None).artwork_host == ARTWORK_HOST


class _Hits(BaseHTTPRequestHandler):
    """Redirects /img to `_Hits.to`; records every path asked."""

    to = ""
    seen: list[str] = []

    def do_GET(self):  # noqa: N802
        _Hits.seen.append(f"{self.server.server_address[1]}{self.path}")
        if self.path == "/img":
            self.send_response(302)
            self.send_header("Location", _Hits.to)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def two_ports():
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Hits) for _ in range(2)]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}).start()
    _Hits.seen = []
    yield [srv.server_address[1] for srv in servers]
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_a_redirect_off_the_image_hosts_is_not_followed(two_ports):
    """An image host (or a man in the middle of a plain-http one) answering 302 to an address
    of the user's network: the download stops there, the address is never asked."""
    images, lan = two_ports
    config = _config(fanart={"image_hosts": [f"http://127.0.0.1:{images}"]})
    _Hits.to = f"http://127.0.0.1:{lan}/cgi-bin/luci"
    client = HttpClient(timeout=2, max_retries=0)
    with pytest.raises(ProviderError, match=f"not followed: fanart gave .* 127.0.0.1:{lan}"):
        client.download(
            f"http://127.0.0.1:{images}/img",
            io.BytesIO(),
            provider="fanart",
            redirects=redirects(config, "fanart"),
        )
    assert _Hits.seen == [f"{images}/img"]
    _Hits.to = f"http://127.0.0.1:{images}/fanart/a.jpg"  # on its own hosts: followed
    client.download(
        f"http://127.0.0.1:{images}/img",
        io.BytesIO(),
        provider="fanart",
        redirects=redirects(config, "fanart"),
    )
    assert _Hits.seen[1:] == [f"{images}/img", f"{images}/fanart/a.jpg"]
