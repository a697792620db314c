"""The rule for where a webhook may go (services/notification/webhook_targets.py over the
shared aduan/infra/public_addresses.py).

No test here looks a name up or opens a connection: the resolver is replaced, and literal
addresses need no look-up."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from aduan.infra import public_addresses
from aduan.infra.config import Settings
from aduan.infra.public_addresses import TargetRefused, is_public
from services.notification.webhook_targets import resolve_target

REFUSED = [
    "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "239.255.255.250",
    "255.255.255.255", "192.0.0.170", "198.18.0.1", "::", "::1", "fd00::1", "fd00:ec2::254",
    "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
    "::10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2002:7f00:1::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34",
          "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_loopback_private_link_local_cgnat_multicast_and_metadata_addresses_are_not_public(
        address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_global_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_a_scoped_ipv6_address_is_not_public() -> None:
    assert not is_public(ipaddress.ip_address("2606:4700::1111%eth0"))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answers look-ups from this table; a name not in it fails as an unknown name would."""
    table: dict[str, list[str]] = {}

    def lookup(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such name {host}")
        return table[host]

    monkeypatch.setattr(public_addresses, "_lookup", lookup)
    return table


PRODUCTION = Settings()


def _refusal(settings: Settings, url: str) -> str:
    with pytest.raises(TargetRefused) as refused:
        resolve_target(settings, url)
    return refused.value.code


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:8080/",
    "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "https://100.64.0.1/", "http://0.0.0.0/",
])
def test_a_literal_non_public_address_is_refused_without_any_look_up(dns, url: str) -> None:
    assert _refusal(PRODUCTION, url) == "webhook_address_not_allowed"


def test_a_name_with_any_non_public_address_is_refused(dns) -> None:
    dns["hooks.example"] = ["93.184.216.34", "10.0.0.7"]
    assert _refusal(PRODUCTION, "https://hooks.example/in") == "webhook_address_not_allowed"
    dns["hooks.example"] = ["2606:4700::1111", "::ffff:169.254.169.254"]
    assert _refusal(PRODUCTION, "https://hooks.example/in") == "webhook_address_not_allowed"


def test_a_name_with_only_public_addresses_is_accepted_with_every_address(dns) -> None:
    dns["hooks.example"] = ["93.184.216.34", "2606:4700::1111"]
    target = resolve_target(PRODUCTION, "https://hooks.example/in?x=1")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example", 443)
    assert target.addresses == ("93.184.216.34", "2606:4700::1111")


def test_a_name_that_does_not_resolve_is_refused(dns) -> None:
    assert _refusal(PRODUCTION, "http://nowhere.example/") == "webhook_host_unresolvable"


def test_a_private_host_is_allowed_only_under_the_name_given_in_the_setting(dns) -> None:
    settings = replace(PRODUCTION, webhook_private_hosts="127.0.0.1, intranet.kota")
    dns["intranet.kota"] = ["10.1.2.3"]
    dns["localhost"] = ["127.0.0.1", "::1"]
    assert resolve_target(settings, "http://127.0.0.1:9/h").addresses == ("127.0.0.1",)
    assert resolve_target(settings, "http://INTRANET.kota/h").addresses == ("10.1.2.3",)
    # The same loopback address under another spelling is not covered.
    assert _refusal(settings, "http://localhost:9/h") == "webhook_address_not_allowed"
    assert _refusal(settings, "http://[::ffff:127.0.0.1]:9/h") == "webhook_address_not_allowed"


def test_a_host_outside_the_allow_list_is_refused_before_it_is_looked_up(dns) -> None:
    settings = replace(PRODUCTION, webhook_allowed_hosts="hooks.example")
    assert _refusal(settings, "https://other.example/") == "webhook_host_not_allowed"
    dns["hooks.example"] = ["93.184.216.34"]
    assert resolve_target(settings, "https://hooks.example/").addresses == ("93.184.216.34",)


def test_the_allow_list_does_not_open_private_addresses(dns) -> None:
    settings = replace(PRODUCTION, webhook_allowed_hosts="127.0.0.1,localhost")
    dns["localhost"] = ["127.0.0.1"]
    assert _refusal(settings, "http://127.0.0.1:9/") == "webhook_address_not_allowed"
    assert _refusal(settings, "http://localhost:9/") == "webhook_address_not_allowed"


@pytest.mark.parametrize("url", ["ftp://hooks.example/", "http:///path", "http://[::1/"])
def test_a_url_without_a_usable_host_is_refused(dns, url: str) -> None:
    assert _refusal(PRODUCTION, url) == "webhook_host_not_allowed"
