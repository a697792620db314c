"""Fixtures for the attack tests: the real platform started by the root `stack` fixture."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from aduan.config import Settings
from aduan.db import get_db
from aduan.devstack import Stack


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def api(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"


@pytest.fixture(scope="session")
def db(settings: Settings) -> Database:
    return get_db(settings)
