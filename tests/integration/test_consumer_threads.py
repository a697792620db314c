"""State a consumer's handler keeps must be its thread's own: one process handles several
messages at once (ADUAN_CONSUMER_CONCURRENCY, aduan/infra/messaging.py)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from services.lapor.exporter import Exporter
from services.lapor.sync import SyncStore

pytestmark = pytest.mark.stack


def _in_thread(work):
    result: list = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join(timeout=10)
    return result[0]


def test_two_threads_of_one_exporter_never_hold_a_report_at_once(settings, db):
    exporter = Exporter(settings, db)
    report_id = f"lease-{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    SyncStore(db).link(report_id, "ADN-TEST", "padang", "T-1", "imported", now)

    def acquire() -> bool:
        return exporter.sync.acquire(report_id, exporter.owner, datetime.now(UTC), 60)

    assert acquire()
    # A lease lets its owner in again: another thread of the process is another owner.
    assert _in_thread(lambda: exporter.owner) != exporter.owner
    assert _in_thread(acquire) is False
    exporter.sync.release(report_id, exporter.owner)
    assert _in_thread(acquire) is True
    # Clean-up of the lease document this test made; no API removes a lease.
    exporter.sync.docs.delete_one({"_id": report_id})
