"""Where a provider's images may come from (pure, no network).

The image URLs fanart.tv and TheTVDB put in their JSON, and the image base TMDB's
`/configuration` gives, are fetched by the daemon: an answer that a compromised or spoofed
provider, a broken mirror or a man in the middle of a plain-http mirror wrote could otherwise
make it fetch `http://192.168.1.1/…`, `http://127.0.0.1:8080/api/…` or the cloud metadata
address from inside the user's network. So a provider's image URL is fetched (and kept as a
candidate, or as an actor's `<thumb>`) only when its scheme is http or https and its host is
one of that provider's image hosts:

- `[providers.X] image_hosts`, when set: those origins, host and port exactly;
- else, with the official API (`base_url` on the provider's own API host), the image hosts
  the provider uses (docs/providers.md §1.7, §2.2, §3.4: image.tmdb.org, assets.fanart.tv,
  artworks.thetvdb.com), on the standard ports;
- else (a mirror, a caching proxy, the simulator): the host name of `base_url`, on any port
  (each of the simulator's providers serves its images on a port of its own).

User-added images have their own rule (user_urls.py: public addresses only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

from metarrd.config import ProvidersConfig

# provider -> (its official API host, the hosts its images come from)
OFFICIAL: dict[str, tuple[str, frozenset[str]]] = {
    "tmdb": ("api.themoviedb.org", frozenset({"image.tmdb.org"})),
    # v3 data names assets.fanart.tv; tinyMediaManager fetched from assetcache.fanart.tv for a while
    "fanart": ("webservice.fanart.tv", frozenset({"assets.fanart.tv", "assetcache.fanart.tv"})),
    "tvdb": ("api4.thetvdb.com", frozenset({"artworks.thetvdb.com"})),
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split(url: str) -> SplitResult:
    """`url`'s parts as the request reaches them: urllib3's parse_url (requests', and a
    browser's) ends the host at a backslash, urlsplit does not: it read
    `http://127.0.0.1:8080\\@image.tmdb.org/` as image.tmdb.org's, fetched from 127.0.0.1."""
    return urlsplit(url.strip().replace("\\", "/"))


@lru_cache(maxsize=4096)
def _host_port(url: str) -> tuple[str, int] | None:
    """(host name, port) of an http(s) URL; None for another scheme or an unreadable one.
    Kept for the URLs met last: an enrich checks each candidate's address more than once, and
    each check reads the provider's configured addresses again (urlsplit and `hostname` were
    about 5% of the enrich process's own CPU time under a profiler, yappi, in `python -m
    bench.enrich --latencies 0`; 0.5% with this cache)."""
    try:
        parts = _split(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        return parts.hostname.lower().rstrip("."), parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is not a number, an unclosed [ of an IPv6 address
        return None


def shown_host(url: str) -> str:
    """The host (and port) of `url` as a log line names it; never its user or password."""
    try:
        parts = _split(url)
    except ValueError:
        return "an unreadable address"
    netloc = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return f"{parts.scheme or 'no'} scheme" + (f" ({netloc})" if netloc else "")
    return netloc or "no host"


def refused_host(providers: ProvidersConfig, provider: str, url: str) -> str | None:
    """None when `url` may be fetched as an image of `provider` (tmdb, fanart, tvdb; any other
    is not this rule's); else the host it names (`shown_host`), for the message."""
    if provider not in OFFICIAL:
        return None
    found = _host_port(url)
    if found is not None:
        pairs, any_port = allowed(providers, provider)
        if found in pairs or found[0] in any_port:
            return None
    return shown_host(url)


def allowed(
    providers: ProvidersConfig, provider: str
) -> tuple[frozenset[tuple[str, int]], frozenset[str]]:
    """(the (host, port) pairs, the hosts on any port) that `provider`'s images may come from."""
    config = getattr(providers, provider)
    own = [h for h in (_host_port(e) for e in config.image_hosts) if h is not None]
    if own:
        return frozenset(own), frozenset()
    api_host, image_hosts = OFFICIAL[provider]
    base = _host_port(config.base_url)
    if base is None or base[0] == api_host:
        pairs = {(h, p) for h in image_hosts for p in _DEFAULT_PORTS.values()}
        return frozenset(pairs), frozenset()
    return frozenset(), frozenset({base[0]})


def refusal(provider: str, host: str) -> str:
    """The words for a refused image address: what the logs and the item's notes say."""
    return (
        f"{provider} gave an image address on {host}, not one of {provider}'s image hosts: "
        f"not fetched (set [providers.{provider}] image_hosts if your mirror serves them there)"
    )


def redirects(providers: ProvidersConfig, provider: str) -> Callable[[str], str | None]:
    """What a download of `provider`'s image asks of each redirect (`HttpClient.download`): a
    redirect is followed only to its image hosts too, or one of them sent on to 192.168.1.1
    (a plain-http mirror's man in the middle) was fetched all the same."""

    def refused(url: str) -> str | None:
        host = refused_host(providers, provider, url)
        return None if host is None else refusal(provider, host)

    return refused


def fetchable(providers: ProvidersConfig, url: str, provider: str = "tmdb") -> str | None:
    """`url` when it is on `provider`'s image hosts, else None (an actor's `<thumb>` left out:
    a player would fetch it from the user's network)."""
    return None if refused_host(providers, provider, url) else url
