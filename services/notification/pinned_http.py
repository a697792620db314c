"""One HTTP POST to an address already checked, not to whatever the name resolves to now.

The connection goes to one of `Target.addresses` (in order, the next one when a connection
cannot be opened); the Host header, TLS SNI and the certificate's host name check all use the
name from the URL, so https receivers behind shared hosting and their certificates work as
they would with a plain client. No proxy from the environment is used and no redirect is
followed: either would send the request somewhere that was never checked.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import NewConnectionError

from services.notification.webhook_targets import Target

_local = threading.local()
CA_FILE = certifi.where()  # the CAs a receiver's certificate must chain to
MAX_POOLS = 64  # per thread; past it the oldest are closed (subscriptions come and go)


@dataclass(frozen=True)
class Answer:
    status: int


def _pool(target: Target, address: str, timeout_s: float) -> urllib3.HTTPConnectionPool:
    """Kept per thread and per (name, address), so keep-alive connections are reused."""
    pools: dict[tuple, urllib3.HTTPConnectionPool] = getattr(_local, "pools", None) or {}
    _local.pools = pools
    key = (target.scheme, target.host, address, target.port)
    pool = pools.get(key)
    if pool is None:
        while len(pools) >= MAX_POOLS:
            pools.pop(next(iter(pools))).close()
        timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
        if target.scheme == "https":
            context = ssl.create_default_context(cafile=CA_FILE)
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, maxsize=1, retries=False,
                ssl_context=context, server_hostname=target.host,
                assert_hostname=target.host)
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout,
                                              maxsize=1, retries=False)
        pools[key] = pool
    return pool


def post(target: Target, url: str, body: bytes, headers: dict[str, str],
         timeout_s: float) -> Answer:
    """Raises urllib3.exceptions.HTTPError when no answer came."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {**headers, "Host": parts.netloc}
    failure: NewConnectionError | None = None
    for address in target.addresses:
        try:
            response = _pool(target, address, timeout_s).urlopen(
                "POST", path, body=body, headers=headers, redirect=False, retries=False,
                assert_same_host=False, preload_content=True)
        except NewConnectionError as err:  # try the host's next address
            failure = err
            continue
        return Answer(response.status)
    assert failure is not None  # a Target always has at least one address
    raise failure
