"""The client's address, the same way everywhere (API throttles, the failed-authentication
counter, admin login lockout).

Only the proxies the operator declares (RELAIS_TRUSTED_PROXIES) are believed. The peer
(REMOTE_ADDR) is the client unless it is one of them. From one of them, X-Forwarded-For (in
which each proxy appends the address it received the request from) is read from the right:
entries that are trusted proxies are hops, the first that is not is the client; when every
entry is a trusted proxy, the leftmost; without the header, the peer. An entry that is not
an address ends the walk: the client is the hop that recorded it (the entry to its right),
or UNKNOWN when it is the rightmost, so a forged value never makes a new client.

This is the walk of uvicorn's and gunicorn's `forwarded_allow_ips` (`host:port` entries
included), and the result is the same for a request the server already rewrote (REMOTE_ADDR
replaced by the client it found, a non-address included) as for the request it received.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

# Who a request is when its client cannot be named (a forged value where the hop that
# passed it on is unknown): one identity for all of them, never a new one per value.
UNKNOWN = "0.0.0.0"  # noqa: S104 - an identity, not an address to bind

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(value: str) -> Address | None:
    """`value` (an address, or `host:port`, `[v6]:port`) as an address, None when it is not
    one. An IPv4-mapped IPv6 address is its IPv4 address."""
    value = value.strip()
    # No address is that long: such a value is not parsed, nor kept in the cache below.
    return _parse(value) if len(value) <= 64 else None


@lru_cache(maxsize=4096)
def _parse(value: str) -> Address | None:
    if value.startswith("["):
        value, bracket, _port = value[1:].partition("]")
        if not bracket:
            return None
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address: Address, proxies) -> bool:
    return any(address in network for network in proxies)


def client_ip(request) -> str:
    """The client's address (see the module's docstring); UNKNOWN when it cannot be named."""
    meta = request.META
    proxies = settings.RELAIS_TRUSTED_PROXIES
    peer = _address(meta.get("REMOTE_ADDR") or "")
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "") if proxies else ""
    if (peer is not None and not _trusted(peer, proxies)) or not forwarded.strip():
        return str(peer) if peer is not None else UNKNOWN
    # The peer is a trusted proxy, or a forwarded value the server put there.
    hop = None
    for entry in reversed(forwarded.split(",")):
        address = _address(entry)
        if address is None:
            break  # the hop that recorded it is the client
        if not _trusted(address, proxies):
            return str(address)
        hop = address
    return str(hop) if hop is not None else UNKNOWN
