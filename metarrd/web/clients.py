"""Who is asking: the client address of a request, for the lockouts and the log lines.

By default it is the peer of the connection (`REMOTE_ADDR`). `X-Forwarded-For` is anyone's to
write, so it is read only when that peer is in `[web] trusted_proxies` (networks: "127.0.0.1/32"
for nginx on the same host). The client is then the right-most address of the header that is not
a trusted proxy itself: each proxy appends the peer it saw, and everything left of that is what
the client sent (nginx's `$proxy_add_x_forwarded_for` keeps a forged `X-Forwarded-For: 1.2.3.4`
and appends the real address after it). An entry that is no address, where only a trusted proxy
writes, stops the walk at the last proxy that wrote a good one.

Lockouts count per `client_group`: an IPv4 address, or the /64 network of an IPv6 address (one
customer's network: an address in it costs nothing, so rotating addresses must not reset a count).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable, Sequence

from flask import current_app, request

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_GROUP_PREFIX = 64


def parse_address(text: str | None) -> IPAddress | None:
    """An address as a header or the server gives it: `1.2.3.4`, `2001:db8::1`, also with a port
    (`1.2.3.4:5678`, `[2001:db8::1]:5678`); None for anything else."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """`[web] trusted_proxies` as networks (`metarrd config check` refuses a bad entry; one
    that slipped through is left out, with a log line)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            log.warning("web.trusted_proxies: %r is not a network; ignored", entry)
    return tuple(networks)


def _trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def client_address(
    remote_addr: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> str:
    """The client's address: the peer, or when the peer is a trusted proxy, the right-most
    untrusted address of its `X-Forwarded-For` (every header of that name, in order)."""
    peer = parse_address(remote_addr)
    if peer is None:
        return (remote_addr or "?")[:100]
    if not _trusted(peer, trusted):
        return str(peer)
    client = peer
    hops = ",".join(forwarded_for).split(",") if forwarded_for else []
    for entry in reversed(hops):
        address = parse_address(entry)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)


def client_group(address: str) -> str:
    """What a lockout counts by: an IPv4 address, an IPv6 address's /64."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(parsed) if parsed is not None else address


def request_is_https() -> bool:
    """The browser reached us over HTTPS: this very connection (TLS, or gunicorn's own
    `forwarded_allow_ips`), or a trusted proxy says so in `X-Forwarded-Proto` (the first entry:
    the scheme of the client-facing hop). From anyone else the header is ignored."""
    if request.is_secure:
        return True
    peer = parse_address(request.remote_addr)
    trusted = trusted_networks(current_app.config["METARRD"].web.trusted_proxies)
    if peer is None or not _trusted(peer, trusted):
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0]
    return proto.strip().lower() == "https"


def request_client() -> str:
    """This request's client address (see the module docstring)."""
    trusted = trusted_networks(current_app.config["METARRD"].web.trusted_proxies)
    return client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"), trusted)
