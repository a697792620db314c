"""Which address a request counts against (gateway/client_address.py) and the sign-in waits
(gateway/login_throttle.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aduan.infra.config import Settings
from gateway.client_address import client_address
from gateway.login_throttle import backoff_s

PROXIES = "10.0.0.0/8, 192.0.2.1"


@pytest.mark.parametrize("peer, forwarded, expected", [
    # No trusted proxy in front: the header is anyone's to write.
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
    # From a trusted proxy: the right-most address it did not add itself.
    ("10.1.1.1", ["198.51.100.7"], "198.51.100.7"),
    ("10.1.1.1", ["6.6.6.6, 198.51.100.7, 10.2.2.2"], "198.51.100.7"),
    ("10.1.1.1", ["6.6.6.6", "198.51.100.7, 192.0.2.1"], "198.51.100.7"),
    # Garbage a client wrote left of the real address is never reached.
    ("10.1.1.1", ["not-an-address, 198.51.100.7"], "198.51.100.7"),
    # Garbage at the right end: the last proxy we trust is what we know.
    ("10.1.1.1", ["198.51.100.7, bogus"], "10.1.1.1"),
    ("10.1.1.1", [], "10.1.1.1"),
    ("10.1.1.1", ["10.3.3.3"], "10.3.3.3"),  # only proxies: the farthest one
    ("::ffff:10.1.1.1", ["[2001:db8::5]"], "2001:db8::5"),
])
def test_the_client_is_the_right_most_untrusted_address(peer, forwarded, expected) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("10.1.1.1", ["198.51.100.7"], "") == "10.1.1.1"


def test_sign_in_waits_double_after_the_threshold_up_to_the_cap() -> None:
    settings = replace(Settings(), login_failures_before_backoff=3, login_backoff_max_s=60)
    assert [backoff_s(settings, n) for n in range(1, 10)] == [0, 0, 2, 4, 8, 16, 32, 60, 60]
    assert backoff_s(settings, 10_000) == 60
