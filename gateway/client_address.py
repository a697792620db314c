"""Which address a request comes from, for rate limits and logs.

`X-Forwarded-For` is anyone's to write, so it is read only when the direct peer is one of
`ADUAN_TRUSTED_PROXIES` (the load balancers in front of the gateway). Each proxy appends the
address it got the request from, so the list is read from the right: trusted proxies are
skipped and the first address that is not one is the client. Whatever stands left of it was
written by the client and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks(setting: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in setting.split(",") if part.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address,
             networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted_proxies: str) -> str:
    """`peer` is the TCP peer's address; `forwarded_for` every X-Forwarded-For header value."""
    networks = trusted_networks(trusted_proxies)
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    if not _trusted(peer_address, networks):
        return str(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: stop at the last one we trust
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
