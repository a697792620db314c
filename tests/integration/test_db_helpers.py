"""Database helpers under concurrency, against the real MongoDB-protocol server."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from aduan.catalogue import ensure_seeded
from aduan.db import increment

pytestmark = pytest.mark.stack


def test_concurrent_first_increments_of_one_key_count_every_one(db):
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=16) as pool:
        seen = list(pool.map(lambda _: increment(db.counters, key)["n"], range(64)))
    assert sorted(seen) == list(range(1, 65))
    assert db.counters.find_one({"_id": key})["n"] == 64


def test_seeding_from_several_processes_at_once_is_harmless(db):
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: ensure_seeded(db), range(4)))
    assert db.categories.count_documents({"city": "padang", "code": "waste"}) == 1
