"""One HTTP request to an address already checked (`aduan.infra.public_addresses`), not to
whatever the name resolves to now: webhooks' POSTs and Open311's `media_url` GET.

The connection goes to one of `Target.addresses` (in order, the next one when a connection
cannot be opened); the Host header, TLS SNI and the certificate's host name check all use the
name from the URL, so https servers behind shared hosting and their certificates work as they
would with a plain client. No proxy from the environment is used and no redirect is followed:
either would send the request somewhere that was never checked (a caller that follows a
redirect checks its Location as it checked the URL).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError

from aduan.infra.public_addresses import Target

_local = threading.local()
CA_FILE = certifi.where()  # the CAs a server's certificate must chain to
MAX_POOLS = 64  # per thread; past it the oldest are closed (subscriptions come and go)
CHUNK_BYTES = 64 * 1024


class BodyTooLarge(HTTPError):
    """The answer's body is longer than the caller accepts (announced or as it came)."""


class TooSlow(HTTPError):
    """The whole answer did not arrive within the time allowed."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""


def _new_pool(target: Target, address: str, timeout_s: float) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    if target.scheme == "https":
        context = ssl.create_default_context(cafile=CA_FILE)
        return urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, maxsize=1, retries=False,
            ssl_context=context, server_hostname=target.host, assert_hostname=target.host)
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1,
                                      retries=False)


def _kept_pool(target: Target, address: str, timeout_s: float) -> urllib3.HTTPConnectionPool:
    """Kept per thread and per (name, address), so keep-alive connections are reused."""
    pools: dict[tuple, urllib3.HTTPConnectionPool] = getattr(_local, "pools", None) or {}
    _local.pools = pools
    key = (target.scheme, target.host, address, target.port)
    pool = pools.get(key)
    if pool is None:
        while len(pools) >= MAX_POOLS:
            pools.pop(next(iter(pools))).close()
        pool = pools[key] = _new_pool(target, address, timeout_s)
    return pool


def _path_and_host(url: str) -> tuple[str, str]:
    """The request's path and its Host header: the name and port as the URL writes them,
    without any user:password@ part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    host = f"{host}:{parts.port}" if parts.port else host
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), host


def _each_address(target: Target, attempt: Callable[[str], Answer]) -> Answer:
    failure: NewConnectionError | None = None
    for address in target.addresses:
        try:
            return attempt(address)
        except NewConnectionError as err:  # try the host's next address
            failure = err
    assert failure is not None  # a Target always has at least one address
    raise failure


def post(target: Target, url: str, body: bytes, headers: dict[str, str],
         timeout_s: float, max_bytes: int | None = None) -> Answer:
    """Raises urllib3.exceptions.HTTPError when no answer came. With `max_bytes`, the answer's
    body is read only as far as that and within about `timeout_s` in all: the status is what
    the caller judges, and a body that is longer, or that trickles on past the time allowed,
    closes the connection (it is not kept) instead of holding the caller, or its memory."""
    path, host = _path_and_host(url)
    headers = {**headers, "Host": host}
    deadline = time.monotonic() + timeout_s

    def attempt(address: str) -> Answer:
        response = _kept_pool(target, address, timeout_s).urlopen(
            "POST", path, body=body, headers=headers, redirect=False, retries=False,
            assert_same_host=False, preload_content=max_bytes is None)
        if max_bytes is not None:
            try:
                _read(response, max_bytes, deadline)
            except (HTTPError, OSError):  # too long, too slow, or broken: the status stands
                response.close()
            response.release_conn()  # kept when read to its end, else a closed one given back
        return Answer(response.status)

    return _each_address(target, attempt)


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > max_bytes:
        raise BodyTooLarge(f"{announced} bytes announced")
    body = bytearray()
    # What has come so far, not a whole chunk's wait; never decompressed (no bombs: the cap
    # is on the bytes that travel, and the caller judges those).
    while chunk := response.read1(CHUNK_BYTES, decode_content=False):
        body += chunk
        if len(body) > max_bytes:
            raise BodyTooLarge(f"more than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise TooSlow("the body came too slowly")
    return bytes(body)


def get(target: Target, url: str, headers: dict[str, str], timeout_s: float,
        max_bytes: int) -> Answer:
    """One GET on a connection of its own, closed after it. The body is read only for a 2xx
    answer, at most `max_bytes` of it (BodyTooLarge past that) and within about `timeout_s`
    in all (TooSlow); a redirect's Location is in the headers, for the caller to check.
    Raises urllib3.exceptions.HTTPError when no whole answer came."""
    path, host = _path_and_host(url)
    headers = {**headers, "Host": host}
    deadline = time.monotonic() + timeout_s

    def attempt(address: str) -> Answer:
        pool = _new_pool(target, address, timeout_s)
        try:
            response = pool.urlopen("GET", path, headers=headers, redirect=False,
                                    retries=False, assert_same_host=False,
                                    preload_content=False)
            try:
                answer_headers = {k.lower(): v for k, v in response.headers.items()}
                body = _read(response, max_bytes, deadline) \
                    if 200 <= response.status < 300 else b""
                return Answer(response.status, answer_headers, body)
            finally:
                response.close()
        finally:
            pool.close()

    return _each_address(target, attempt)
