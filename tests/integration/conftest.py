"""Fixtures for tests that run against the real platform started by the `stack` fixture."""

from __future__ import annotations

import pytest

from aduan.infra.config import Settings


@pytest.fixture(scope="module")
def o311(stack) -> str:
    """The gateway's Open311 GeoReport v2 root."""
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/open311/v2"


@pytest.fixture(scope="module")
def api_key(db) -> str:
    """An Open311 client's key for every city, made on the server with the gateway's own key
    store: a key a city's sysadmin makes through the API is walled to that city."""
    from gateway import api_keys

    return api_keys.create(db, "open311-client", "test", None)[1]


@pytest.fixture()
def tap(settings: Settings):
    from workflow_client import EventTap

    events = EventTap(settings)
    yield events
    events.close()
