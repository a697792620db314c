"""Where the platform may send a request to a URL someone else chose: the one rule, shared by
the notification service's webhooks and the gateway's Open311 `media_url` fetch.

A URL a client or a subscriber names would otherwise let them make requests into the platform's
own network (server-side request forgery): the cloud metadata service, the database, the
broker's management UI. The rule (`HostRule`):

1. only http and https;
2. a host written as an IP address must be a public address;
3. when `allowed_hosts` is set, the host must be one of those names, or under a domain written
   with a leading dot (`.push.apple.com`: any host under push.apple.com), checked before any
   look-up, so a name outside the list is never even resolved;
4. the host is resolved and *every* address it has must be public;
5. `private_hosts` names hosts (exactly as written in the URL) exempt from 2 and 4, for a
   receiver inside the city's own network; empty in production, test stacks name their
   loopback servers there.

"Public" means globally routable: not loopback, private, link-local (which holds the cloud
metadata address 169.254.169.254), shared CGNAT space (100.64.0.0/10, Alibaba's metadata
100.100.100.200), multicast, unspecified, reserved or documentation space, in IPv4 or IPv6
(unique local fc00::/7 holds AWS's fd00:ec2::254); an IPv4 address inside an IPv6 one
(IPv4-mapped, IPv4-compatible, 6to4, NAT64) is judged as that IPv4 address.

`resolve_target` answers the checked addresses; `aduan.infra.pinned_http` connects to one of
those, never to the name again, so a DNS answer that changes between check and connect
(rebinding) cannot slip a private address in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Listed although `is_global` already excludes them: the rule must not depend on how one
# Python version's ipaddress classifies a range.
_NEVER = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
    "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

# The reasons a URL is refused; a caller's codes are `<prefix>_<reason>`.
ADDRESS_NOT_ALLOWED = "address_not_allowed"
HOST_NOT_ALLOWED = "host_not_allowed"
HOST_UNRESOLVABLE = "host_unresolvable"
_MESSAGES = {
    ADDRESS_NOT_ALLOWED: "{what} may only reach public addresses.",
    HOST_NOT_ALLOWED: "{what} may not reach this host.",
    HOST_UNRESOLVABLE: "The host name of the URL does not resolve.",
}
_NO_HOST = "The URL has no valid http or https host."


class TargetRefused(Exception):
    """`code` is the stable error code (`<prefix>_<reason>`, e.g. webhook_address_not_allowed,
    media_url_host_unresolvable); `reason` the part after the prefix."""

    def __init__(self, code: str, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class HostRule:
    """Who uses the rule (`prefix` of the error codes, `what` in the messages) and its two
    settings, as comma-separated host names."""

    prefix: str
    what: str
    private_hosts: str = ""
    allowed_hosts: str = ""

    def refused(self, reason: str, message: str = "") -> TargetRefused:
        return TargetRefused(f"{self.prefix}_{reason}",
                             message or _MESSAGES[reason].format(what=self.what), reason)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL, lower case, without brackets
    port: int
    addresses: tuple[str, ...]  # every address checked, in the resolver's order


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether the platform may connect to this address for someone else's URL."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
    if any(address.version == net.version and address in net for net in _NEVER):
        return False
    return address.is_global and not address.is_multicast


def _csv(value: str) -> set[str]:
    return {part.strip().lower().strip("[]") for part in value.split(",") if part.strip()}


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_listed(host: str, allowed: set[str]) -> bool:
    """`host` is a name of the list, or under one of its `.domain` entries."""
    return host in allowed or any(entry.startswith(".") and len(entry) > 1
                                  and host.endswith(entry) for entry in allowed)


def _lookup(host: str, port: int) -> list[str]:
    """Every address of `host` (a seam for unit tests: they answer without any DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_target(rule: HostRule, url: str) -> Target:
    """The URL's host and its checked addresses; TargetRefused when the rule refuses it."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # a malformed IPv6 literal or port
        raise rule.refused(HOST_NOT_ALLOWED, _NO_HOST) from None
    if parts.scheme not in ("http", "https") or not host:
        raise rule.refused(HOST_NOT_ALLOWED, _NO_HOST)
    port = port or (443 if parts.scheme == "https" else 80)
    exempt = host in _csv(rule.private_hosts)
    literal = _literal(host)
    if literal is not None and not exempt and not is_public(literal):
        raise rule.refused(ADDRESS_NOT_ALLOWED)
    allowed = _csv(rule.allowed_hosts)
    if allowed and not host_listed(host, allowed):
        raise rule.refused(HOST_NOT_ALLOWED)
    if literal is not None:
        return Target(parts.scheme, host, port, (str(literal),))
    try:
        addresses = _lookup(host, port)
    except (OSError, UnicodeError):
        raise rule.refused(HOST_UNRESOLVABLE) from None
    if not addresses:
        raise rule.refused(HOST_UNRESOLVABLE)
    if not exempt and not all(is_public(ipaddress.ip_address(a)) for a in addresses):
        raise rule.refused(ADDRESS_NOT_ALLOWED)
    return Target(parts.scheme, host, port, tuple(addresses))
