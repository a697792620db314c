"""Shared fixtures. Unit tests need nothing; `stack` starts the real platform once per session
(its own ports, data folders and queue namespace, so a running `make up` is left alone)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from aduan.config import Settings
from aduan.devstack import ROOT, Stack, test_profile
from aduan.messaging import delete_topology


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    # ADUAN_TEST_SLOT=N shifts ports, data folders and queue names, so that several test runs
    # (one per work tree) can share this machine and its broker.
    profile = test_profile(int(os.environ.get("ADUAN_TEST_SLOT", "0") or 0))
    running = Stack(profile, ROOT / ".run" / profile.name)
    running.down()  # whatever a crashed earlier run left behind
    os.environ.update(running.env())
    delete_topology(Settings.from_env())
    try:
        running.up()
    except Exception:
        running.down()
        raise
    yield running
    running.down()
