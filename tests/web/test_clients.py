"""The client address behind trusted reverse proxies, and how lockouts group addresses."""

from __future__ import annotations

import pytest

from metarrd.web.clients import client_address, client_group, trusted_networks

NGINX = trusted_networks(("127.0.0.1/32", "::1/128"))
TWO_HOPS = trusted_networks(("127.0.0.1/32", "10.0.0.0/8"))


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "trusted", "client"),
    [
        ("203.0.113.9", ["198.51.100.7"], (), "203.0.113.9"),  # nothing trusted: the peer
        ("203.0.113.9", ["198.51.100.7"], NGINX, "203.0.113.9"),  # the peer is no proxy of ours
        ("127.0.0.1", ["198.51.100.7"], NGINX, "198.51.100.7"),
        ("127.0.0.1", ["1.2.3.4, 198.51.100.7"], NGINX, "198.51.100.7"),  # forged left part
        ("127.0.0.1", ["1.2.3.4", "198.51.100.7"], NGINX, "198.51.100.7"),  # two headers
        ("127.0.0.1", ["1.2.3.4, 198.51.100.7, 10.1.2.3"], TWO_HOPS, "198.51.100.7"),
        ("127.0.0.1", ["10.1.2.3"], TWO_HOPS, "10.1.2.3"),  # only proxies: the farthest one
        ("127.0.0.1", [], NGINX, "127.0.0.1"),  # straight to the port, no proxy
        ("127.0.0.1", ["garbage"], NGINX, "127.0.0.1"),  # a broken proxy: the last one trusted
        ("127.0.0.1", ["198.51.100.7:51234"], NGINX, "198.51.100.7"),
        ("::1", ["[2001:db8::5]:443"], NGINX, "2001:db8::5"),
        ("::ffff:127.0.0.1", ["198.51.100.7"], NGINX, "198.51.100.7"),  # IPv4 on a v6 socket
        (None, ["198.51.100.7"], NGINX, "?"),
    ],
)
def test_client_address(remote_addr, forwarded_for, trusted, client):
    assert client_address(remote_addr, forwarded_for, trusted) == client


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("?", "?"),
    ],
)
def test_client_group(address, group):
    assert client_group(address) == group
