"""What every unit test starts from."""

from __future__ import annotations

import atexit

import pytest

from aduan.infra import outbox


@pytest.fixture(autouse=True)
def pulls_at_once():
    """Each unit test starts and ends with the outbox's process-wide switch off (published
    events pulled at once, `aduan.infra.outbox.defer_pulls`) and no exit hook of a test's
    DeferredPulls left registered for the test run's exit."""
    outbox._deferred = None
    yield
    atexit.unregister(outbox._pull_at_exit)
    outbox._deferred = None
