"""Fixtures for tests that run against the real platform started by the `stack` fixture."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from aduan.config import Settings
from aduan.db import get_db
from aduan.devstack import Stack
from aduan.storage import ObjectStore


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def api(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"


@pytest.fixture(scope="session")
def db(settings: Settings) -> Database:
    return get_db(settings)


@pytest.fixture(scope="session")
def store(settings: Settings) -> ObjectStore:
    return ObjectStore(settings)


@pytest.fixture()
def tap(settings: Settings):
    from workflow_client import EventTap

    events = EventTap(settings)
    yield events
    events.close()
