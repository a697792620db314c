"""What accepting a report costs the database (issue 21): a first submission with an
Idempotency-Key is one insert, no read before it; its retry is still answered from the first
submission, found by that insert's duplicate `_id`."""

from __future__ import annotations

import hashlib
import json

from fakes import FakePublisher, FakeStore, fake_db
from test_intake_submission import PHOTO, SETTINGS, payload, raw_keys

from services.intake.submission import Intake, fingerprint


class CountingReports:
    """The fake database's `reports` with its reads and writes counted by name."""

    def __init__(self, collection) -> None:
        self._collection = collection
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        attribute = getattr(self._collection, name)
        if callable(attribute):
            def counted(*args, **kwargs):
                self.calls.append(name)
                return attribute(*args, **kwargs)
            return counted
        return attribute


def test_a_first_submission_with_a_key_is_one_insert_and_its_retry_the_same_answer():
    db = fake_db()
    intake = Intake(SETTINGS, db, FakeStore(), FakePublisher())
    counting = CountingReports(db.reports)
    intake.reports.db = {"reports": counting}  # type: ignore[assignment]
    intake.db = type("Db", (), {"reports": counting})()  # type: ignore[assignment]
    first = intake.submit(payload(), [PHOTO], "key-1", None)
    assert counting.calls == ["insert_one"]
    counting.calls.clear()
    again = intake.submit(payload(), [PHOTO], "key-1", None)
    assert again.receipt == first.receipt and again.events == []
    assert counting.calls[0] == "insert_one"  # refused as a duplicate, then read to answer
    assert db.reports.count_documents({}) == 1
    assert len(raw_keys(intake)) == 1  # the retry's photo copy was deleted again


def test_a_photo_is_hashed_once_and_the_request_print_is_the_one_earlier_reports_hold():
    """Photo.sha256 serves the fingerprint and the stored record; the fingerprint is the same
    value as before (a retry of a report filed by an earlier version still matches)."""
    intake = Intake(SETTINGS, fake_db(), FakeStore(), FakePublisher())
    accepted = intake.submit(payload(), [PHOTO], "key-3", None)
    report = intake.db.reports.find_one({"_id": accepted.report_id})
    assert report["photos"][0]["sha256"] == hashlib.sha256(PHOTO.data).hexdigest()
    fields = payload().model_dump(mode="json")
    for name, empty in (("uploads", []), ("device_location", None)):
        if fields.get(name) == empty:
            fields.pop(name, None)
    earlier = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
    earlier.update(hashlib.sha256(PHOTO.data).digest())
    assert report["fingerprint"] == fingerprint(payload(), [PHOTO]) == earlier.hexdigest()
