"""The webhook URLs a city registers at Meta and at its SMS provider (docs/CHANNELS.md,
deploy/README.md) are public gateway routes to the channels service, the one service the
Ingress, compose's published port and the NetworkPolicies let the internet reach through the
gateway; and the gateway never lets a client name a connector's channel."""

from __future__ import annotations

import re

from aduan.infra.config import Settings
from aduan.web.app import CHANNEL_HEADER
from gateway.context import upstreams
from gateway.proxy import FORWARDED_REQUEST_HEADERS
from gateway.routes import ROUTES
from tools.devstack import ROOT

API = "/api/v1"
DOCS = [ROOT / "docs" / "CHANNELS.md", ROOT / "deploy" / "README.md"]


def _documented_webhooks() -> set[str]:
    found = set()
    for doc in DOCS:
        found |= set(re.findall(r"https://<?[\w. -]*HOST[\w>]*(/api/v1/channels/[\w/]+)",
                                doc.read_text(), re.I))
    return found


def test_every_documented_webhook_is_a_gateway_route_to_the_channels_service() -> None:
    documented = _documented_webhooks()
    assert documented == {f"{API}/channels/whatsapp/webhook", f"{API}/channels/sms"}
    routes = {(route.method, API + route.path): route.service for route in ROUTES}
    assert routes[("GET", f"{API}/channels/whatsapp/webhook")] == "channels"  # the handshake
    assert routes[("POST", f"{API}/channels/whatsapp/webhook")] == "channels"
    assert routes[("POST", f"{API}/channels/sms")] == "channels"


def test_only_the_channels_routes_lead_to_the_channels_service() -> None:
    paths = {route.path for route in ROUTES if route.service == "channels"}
    assert all(path.startswith("/channels/") for path in paths)


def test_the_gateway_forwards_the_senders_proofs_and_never_a_channel_claim() -> None:
    # The SMS provider's secret header is named by a setting: a city's own name reaches the
    # channels service, and no other service.
    settings = Settings(sms_inbound_secret_header="X-Provider-Key")
    forwarded = {name: {h.lower() for h in upstream.forwarded}
                 for name, upstream in upstreams(settings).items()}
    assert "x-hub-signature-256" in forwarded["channels"]
    assert "x-provider-key" in forwarded["channels"]
    assert not any("x-provider-key" in headers for name, headers in forwarded.items()
                   if name != "channels")
    assert not any(CHANNEL_HEADER.lower() in headers for headers in forwarded.values())
    assert CHANNEL_HEADER.lower() not in {h.lower() for h in FORWARDED_REQUEST_HEADERS}
