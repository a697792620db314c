"""Fixtures for tests that run against the real platform started by the `stack` fixture."""

from __future__ import annotations

import pytest

from aduan.infra.config import Settings


@pytest.fixture()
def tap(settings: Settings):
    from workflow_client import EventTap

    events = EventTap(settings)
    yield events
    events.close()
