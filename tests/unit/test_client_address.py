"""Which address a request counts as coming from, with and without trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from unique.net import MAX_ADDRESS_LENGTH, client_address

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        ("203.0.113.7", None, (), "203.0.113.7"),
        ("203.0.113.7", "198.51.100.9", (), "203.0.113.7"),
        ("127.0.0.1", "198.51.100.9", (), "127.0.0.1"),
        ("203.0.113.7", "198.51.100.9", PROXIES, "203.0.113.7"),
        ("10.0.0.1", "198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.0.0.1", "192.0.2.1, 198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.0.0.1", "192.0.2.1, 198.51.100.9, 10.2.3.4", PROXIES, "198.51.100.9"),
        ("10.0.0.1", "10.9.9.9, 10.2.3.4", PROXIES, "10.9.9.9"),
        ("10.0.0.1", "garbage", PROXIES, "10.0.0.1"),
        ("10.0.0.1", "192.0.2.1, not-an-ip", PROXIES, "10.0.0.1"),
        ("10.0.0.1", "", PROXIES, "10.0.0.1"),
        ("2001:db8::1", "2001:db8::2, 2a00::5", PROXIES, "2a00::5"),
        (None, "198.51.100.9", PROXIES, ""),
        ("::ffff:203.0.113.7", None, (), "203.0.113.7"),
        ("::ffff:10.0.0.1", "198.51.100.9", PROXIES, "198.51.100.9"),
        # Zone ids name an interface of the sender's machine: dropped, for peers and hops alike.
        ("fe80::1%eth0", None, (), "fe80::1"),
        ("10.0.0.1", "fe80::2%eth0", PROXIES, "fe80::2"),
        # Text longer than any address is not one, however it parses: the TCP peer stands.
        ("10.0.0.1", "fe80::1%" + "x" * 100, PROXIES, "10.0.0.1"),
        ("10.0.0.1", "198.51.100.9, fe80::1%" + "x" * 100, PROXIES, "10.0.0.1"),
    ],
)
def test_client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
    expected: str,
) -> None:
    assert client_address(peer, forwarded_for, trusted) == expected
    assert len(client_address(peer, forwarded_for, trusted)) <= MAX_ADDRESS_LENGTH
