"""Which address a request came from, given the TCP peer and the proxies we trust.

The answer is stored (last use, audit events) in columns of 45 characters, the longest textual
IP address, so it is always a plain address: an IPv6 zone id (``fe80::1%eth0``) names an interface
of the sender's machine, means nothing here and can be arbitrarily long, and is dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from unique.config import IPNetwork

# The longest textual form of an IP address (an IPv4-mapped IPv6 address written in full).
MAX_ADDRESS_LENGTH = 45


@lru_cache(maxsize=4096)
def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A plain address: IPv4 clients of a dual-stack listener (``::ffff:a.b.c.d``) as IPv4, IPv6
    without its zone id; None for anything else, including text longer than any address.

    Cached: every request parses its peer's address, and the same few peers recur."""
    text = value.strip()
    if len(text) > MAX_ADDRESS_LENGTH:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(int(address))
    return address


def is_trusted_proxy(peer: str, trusted: Sequence[IPNetwork]) -> bool:
    address = _parse(peer)
    return address is not None and _is_trusted(address, trusted)


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[IPNetwork]
) -> bool:
    return any(address in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str:
    """The client's IP address.

    ``X-Forwarded-For`` is believed only when the peer is a trusted proxy, and then only as far as
    the chain of trusted proxies goes: the client is the right-most entry that is not itself
    trusted. Anything a client wrote further left is ignored, since a client can write anything.
    """
    peer_address = _parse(peer) if peer else None
    if peer_address is None:
        return ""
    if not forwarded_for or not _is_trusted(peer_address, trusted):
        return str(peer_address)
    client = peer_address
    for entry in reversed(forwarded_for.split(",")):
        hop = _parse(entry)
        if hop is None:
            break
        client = hop
        if not _is_trusted(hop, trusted):
            break
    return str(client)
