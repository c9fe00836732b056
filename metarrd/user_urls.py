"""The user's own image URLs (an image the user adds to an item by hand, enrich/user_images.py).

A URL is fetched through the project's HTTP client (its timeouts, retries, size cap and
User-Agent), never through a proxy (the environment's HTTP_PROXY is ignored: a proxy's address
is all a connection would see), and only from public addresses (no server-side request
forgery): http(s) only, no user:password in it, and every address the name resolves to must be
a global unicast address, unless it lies in a network listed in `[artwork] user_url_allow`.
Loopback, link-local (cloud metadata at 169.254.169.254), private, carrier-grade NAT, multicast
and reserved addresses are refused, and so is an IPv6 address that carries one of them (NAT64,
IPv4-compatible). The check is made again for every connection (a redirect, a
DNS answer that changed in between) *before* it is opened, the connection goes to one of the
addresses just checked, and the address it actually reached is checked once more. A refused
address gets one answer, whatever listens there, so the redirects cannot scan ports. Each
lookup is waited for until the request's deadline at most (`deadline.lookup`; the check before
the request, the connect and headers limit): a dead DNS server does not hold the page for its
resolver's timeouts.

A user's image has its own, shorter deadline for its body (`USER_BODY_SECONDS`), after the
usual one for connect and headers: someone waits for it in the web page (or a worker does,
when it is fetched again), and a host that drips an image of at most `MAX_IMAGE_BYTES` has no
business holding either for the providers' 5 minutes.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from metarrd.config import Config
from metarrd.deadline import Overdue, WatchedAdapter, connect_first, lookup, watched
from metarrd.errors import EditRefused
from metarrd.http import HttpClient
from metarrd.imaging import MAX_IMAGE_BYTES

log = logging.getLogger(__name__)

PROVIDER = "user"
# the candidate URL of an upload (`upload:<sha256>`): no address, its cached copy is all there is
UPLOAD_KEY = "upload:"
MAX_REDIRECTS = 3
# the longest a user's image may take to arrive once its headers came, however it drips: 64 MB
# (MAX_IMAGE_BYTES, larger is refused) in 120 s is 4.5 Mbit/s, a slow ADSL line's; the posters
# and fanart people paste (1 to 10 MB) need less than 1 Mbit/s. With the headers' 60 s, someone
# adding an image by its address waits 3 minutes at most for a host that never ends its answer
# (the body is not retried; a host that drips its headers, 3 tries of 60 s)
USER_BODY_SECONDS = 120.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeAddress(EditRefused):
    """The URL leads to an address the server must not fetch from."""


class UnreadableAddress(EditRefused):
    """The URL cannot be parsed at all (`http://[::1`, a port out of range): a bad request."""


def allowed_networks(config: Config) -> list[Network]:
    nets = []
    for text in config.artwork.user_url_allow:
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            log.warning("artwork.user_url_allow: %r is not a network; ignored", text)
    return nets


# IPv6 networks whose last 32 bits are an IPv4 address a connection reaches: NAT64's
# well-known prefix (RFC 6052), IPv4-compatible (RFC 4291, deprecated) and SIIT's
# IPv4-translated (RFC 2765) addresses (IPv4-mapped ones are `ipv4_mapped`)
_EMBEDDING = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")]
# IPv6 networks some Python versions call global, refused: NAT64's local-use prefix (RFC 8215,
# a network's own translator), the deprecated site-local addresses (RFC 3879), and 6to4
# (RFC 3056, deprecated by RFC 7526), whose relay reaches the IPv4 address in bits 16-47
_PRIVATE_V6 = [ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "fec0::/10", "2002::/16")]


def _reached(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list:
    """`ip`, and the IPv4 address it carries, when a connection to it reaches that one (an
    address of a DNS64 resolver leads to its IPv4 address through the network's NAT64)."""
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in _EMBEDDING):
        return [ip, ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return [ip]


def address_allowed(address: str, allow: list[Network]) -> bool:
    """A public unicast address, or one inside a network the configuration allows; an IPv6
    address that carries an IPv4 one (`_reached`) only when that one is allowed too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return all(_allowed(each, allow) for each in _reached(ip))


def _allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: list[Network]) -> bool:
    if any(ip in net for net in allow):
        return True
    if any(ip in net for net in _PRIVATE_V6):
        return False
    return ip.is_global and not ip.is_multicast


def refusal(host: str) -> UnsafeAddress:
    """The one answer for an address that is not fetched, wherever it was met and whatever
    listens there (a different answer for an open port would make a port scanner of us)."""
    return UnsafeAddress(
        f"{host} is a local or private address; only public addresses are fetched "
        "(an administrator can allow a network with [artwork] user_url_allow)"
    )


def public_addresses(
    host: str, port: int, allow: list[Network], *, seconds: float | None = None
) -> list:
    """Every address `host` resolves to (getaddrinfo's answers), when each of them may be
    fetched from; UnsafeAddress otherwise. OSError or ValueError when the name cannot be
    resolved; `Overdue` when that takes past the current deadline, or `seconds` (`lookup`)."""
    infos = lookup(host, port, seconds=seconds)
    if not all(address_allowed(str(info[4][0]), allow) for info in infos):
        raise refusal(host)
    return infos


def check_url(url: str, allow: list[Network], *, seconds: float | None = None) -> str:
    """`url` when it may be fetched (see the module's rules), else UnsafeAddress/EditRefused;
    its host's lookup is waited for `seconds` at most."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnreadableAddress(f"that address cannot be read ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise EditRefused("only an http:// or https:// address can be fetched")
    if not parts.hostname:
        raise EditRefused("that address has no host name")
    if parts.username or parts.password:
        raise EditRefused("an address with a user name or password is not fetched")
    try:
        public_addresses(parts.hostname, port, allow, seconds=seconds)
    except Overdue as exc:  # a dead DNS server: "img.example could not be looked up within 60 s"
        raise EditRefused(str(exc)) from None
    except (OSError, ValueError):
        raise EditRefused(f"{parts.hostname} cannot be found") from None
    return url


def _guarded(base: type, allow: list[Network]) -> type:
    """A urllib3 connection class that checks every address of the host before connecting,
    connects to one of those very addresses (no second lookup that could answer otherwise),
    and checks the address it actually reached."""

    class Guarded(base):  # type: ignore[misc, valid-type]
        def _new_conn(self):
            try:
                infos = public_addresses(self._dns_host, self.port, allow)
            except (OSError, ValueError) as exc:  # Overdue too: the request says it
                raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
            try:
                sock = connect_first(infos, self.port, self)
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"connection to {self.host} timed out (timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                raise NewConnectionError(self, f"cannot connect: {exc}") from exc
            if not address_allowed(sock.getpeername()[0], allow):
                sock.close()
                raise refusal(self.host)
            return sock

    return Guarded


class PublicOnlyAdapter(WatchedAdapter):
    """requests' adapter whose every connection (redirects included) is checked, and goes
    straight to the host: through a proxy, the peer checked would be the proxy. Its
    connections are cut at their request's deadline, as every one of `HttpClient`'s is (a
    host that drips its headers held a page thread for as long as it liked)."""

    def __init__(self, allow: list[Network]) -> None:
        self._allow = allow
        super().__init__(max_retries=0)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        return super().send(request, stream, timeout, verify, cert, proxies=None)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        allow = self._allow

        class Pool(HTTPConnectionPool):
            ConnectionCls = _guarded(HTTPConnection, allow)

        class TlsPool(HTTPSConnectionPool):
            ConnectionCls = _guarded(HTTPSConnection, allow)

        self.poolmanager.pool_classes_by_scheme = {"http": watched(Pool), "https": watched(TlsPool)}


def public_client(config: Config) -> HttpClient:
    """The project's HTTP client (provider timeouts and retries), fetching from public
    addresses only, and never through a proxy (HTTP_PROXY and the like are ignored: the
    proxy would be the only address the check sees); a body has `USER_BODY_SECONDS`, and a
    request past its deadline is not tried again: the user waits in the page for it."""
    p = config.providers
    client = HttpClient(
        timeout=p.timeout_seconds,
        max_retries=min(p.max_retries, 2),
        per_host=2,
        use_proxies=False,
        body_timeout=USER_BODY_SECONDS,
        retry_overdue=False,  # a host that did not answer within its deadline: not thrice
    )
    adapter = PublicOnlyAdapter(allowed_networks(config))
    client.session.mount("http://", adapter)
    client.session.mount("https://", adapter)
    client.session.max_redirects = MAX_REDIRECTS
    return client


def fetch(config: Config, url: str, target: Path, *, client: HttpClient | None = None) -> str:
    """Download the user's image at `url` into the file `target`, by the rules above (checked,
    public addresses only, no proxy); returns the URL as fetched. Raises UnsafeAddress (or
    EditRefused) for an address that is not fetched, a MetarrdError (ProviderError) when the
    fetch fails. Used when the image is added, and whenever it has to be fetched again (the
    cache lost it): the name that was public then may lead elsewhere now."""
    own = client is None
    http = client or public_client(config)
    try:
        source = check_url(url, allowed_networks(config), seconds=http.header_timeout)
        with open(target, "wb") as out:
            http.download(source, out, provider=PROVIDER, max_bytes=MAX_IMAGE_BYTES)
    except OSError as exc:  # raised inside a connection: an UnsafeAddress wrapped
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, UnsafeAddress):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, UnsafeAddress):
            raise cause from None
        raise EditRefused(f"cannot fetch that image ({exc.__class__.__name__})") from None
    finally:
        if own:
            http.close()
    return source
