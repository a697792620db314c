"""Shared fixtures. Unit tests need nothing; `stack` starts the real platform once per session
(its own ports, data folders and queue namespace, so a running `make up` is left alone)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from aduan.devstack import ROOT, Stack, test_profile


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    # ADUAN_TEST_SLOT=N: this run's own ports, data folders, database, buckets and queues.
    profile = test_profile(int(os.environ.get("ADUAN_TEST_SLOT", "0")))
    running = Stack(profile, ROOT / ".run" / profile.name)
    running.down()  # whatever a crashed earlier run left behind
    os.environ.update(running.env())
    _delete_test_queues()
    try:
        running.up()
    except Exception:
        running.down()
        raise
    yield running
    running.down()


def _delete_test_queues() -> None:
    from aduan.config import Settings
    from aduan.messaging import CONSUMERS, all_queue_names, connect

    settings = Settings.from_env()
    connection = connect(settings)
    try:
        channel = connection.channel()
        for name in all_queue_names(settings, CONSUMERS):
            channel.queue_delete(name)
    finally:
        connection.close()
