"""Which `Host` (and, on a POST, which `Origin`) the UI answers to: the defence against DNS
rebinding. A web page on evil.example whose name the attacker re-points at 127.0.0.1 talks to our
loopback UI *as evil.example*: same-origin to the browser, so it could read a page (and its CSRF
token) and switch `auto_publish` on. The browser still sends `Host: evil.example`, and that is
what we refuse.

Allowed by default: the loopback names (`localhost`, `127.0.0.1`, any 127.x address, `[::1]`) on
any port (an SSH tunnel or a local proxy may change the port, but no other site can make a
browser send a loopback name), the host of `[web] bind`, and, when the bind is a wildcard
(`0.0.0.0`, `[::]`), any IP address (a rebinding attack needs a name). Names under which the UI
is reached otherwise (`nas.local`, a reverse proxy's `metarrd.example.com`) go into
`[web] allowed_hosts`: `name` (any port), `name:port`, `.example.com` (it and its subdomains),
or `*` (no check at all).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
# A browser sends no port for its scheme's own, in the Host and in the Origin (werkzeug also drops
# an explicit `:443` over HTTPS): no port is 80 or 443 (behind a TLS proxy the Host does not say
# which), so an allowed_hosts entry `name:443` matches `https://name/`.
DEFAULT_PORTS = {"http": "80", "https": "443"}


def split_host(value: str) -> tuple[str, str | None]:
    """`Host` header -> (lower-case name or address without brackets, port or None)."""
    value = value.strip().lower()
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        # anything but `:port` after the bracket (`[::1]x`) is kept as a port no check accepts
        return address, (rest[1:] if rest.startswith(":") else rest or None)
    if value.count(":") == 1:
        name, _, port = value.partition(":")
        return name.rstrip("."), port
    return value.rstrip("."), None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _loopback_name(name: str) -> bool:
    ip = _ip(name)
    return name in LOOPBACK_NAMES or (ip is not None and ip.is_loopback)


def is_loopback_host(host_header: str) -> bool:
    """A `Host` that names this computer (`localhost`, `127.x`, `[::1]`, any port): what a
    browser on this computer sends, and what no other site can make a browser send."""
    name, port = split_host(host_header)
    return bool(name) and (port is None or port.isdigit()) and _loopback_name(name)


def _origin_parts(origin: str) -> tuple[str, str]:
    """(scheme, host[:port]) of an `Origin` header; ("", "") for one that is no URL at all
    (`http://[::1`: urlsplit raises ValueError on an unclosed bracket)."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return "", ""
    return parts.scheme, parts.netloc


def is_loopback_origin(origin: str) -> bool:
    """An `Origin` header of a page served under a loopback name."""
    scheme, netloc = _origin_parts(origin)
    return scheme in ("http", "https") and is_loopback_host(netloc)


def host_allowed(
    host_header: str,
    bind: str,
    allowed: Sequence[str],
    default_ports: Sequence[str] = tuple(DEFAULT_PORTS.values()),
) -> bool:
    """Whether the UI answers to `host_header`; a name without a port is on one of
    `default_ports` (an Origin's scheme says which)."""
    name, port = split_host(host_header)
    if not name or (port is not None and not port.isdigit()):
        return False
    ip = _ip(name)
    if _loopback_name(name):
        return True
    bind_name, _bind_port = split_host(bind.rpartition(":")[0] + ":0")
    if name == bind_name or (bind_name in WILDCARDS and ip is not None):
        return True
    for entry in allowed:
        entry = entry.strip().lower()
        if entry == "*":
            return True
        if entry.startswith("."):
            if name == entry[1:] or name.endswith(entry):
                return True
            continue
        entry_name, entry_port = split_host(entry)
        if entry_name == name and entry_port in (None, port):
            return True
        if entry_name == name and port is None and entry_port in default_ports:
            return True
    return False


def origin_allowed(origin: str, bind: str, allowed: Sequence[str]) -> bool:
    """An `Origin` header (`http://host:port`, or `null` from a sandboxed or file:// page)."""
    scheme, netloc = _origin_parts(origin)
    if scheme not in ("http", "https") or not netloc:
        return False
    return host_allowed(netloc, bind, allowed, (DEFAULT_PORTS[scheme],))
