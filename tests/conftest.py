"""Shared fixtures. Unit tests need nothing; `stack` starts the real platform once per session
(its own ports, data folders and queue namespace, so a running `make up` is left alone)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.messaging import delete_topology
from aduan.infra.storage import ObjectStore
from tools.devstack import ROOT, Stack, test_profile


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    # ADUAN_TEST_SLOT=N shifts ports, data folders and queue names, so that several test runs
    # (one per work tree) can share this machine and its broker.
    profile = test_profile(int(os.environ.get("ADUAN_TEST_SLOT", "0") or 0))
    running = Stack(profile, ROOT / ".run" / profile.name)
    running.down()  # whatever a crashed earlier run left behind
    os.environ.update(running.env())
    running.ensure_rabbitmq()  # before the first connection: a wedged broker is restarted
    delete_topology(Settings.from_env())
    try:
        running.up()
    except Exception:
        running.down()
        raise
    yield running
    running.down()


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
