"""Resumable uploads over the in-memory fakes (tests/fakes.py), for what the stack cannot be
made to do on cue: the report's photo failing to store after the upload was claimed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from fakes import FakePublisher, FakeStore, NothingRevoked, fake_db
from photo_factory import INSIDE, WIB, camera_photo
from waiting import eventually

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from services.intake.app import create_app

SETTINGS = Settings(upload_chunk_bytes=64 * 1024)
REPORT = {"category": "waste", "description": "Sampah menumpuk di pinggir jalan",
          "location": {"lat": INSIDE["padang"][0], "lon": INSIDE["padang"][1]}}


class BrokenReportStore(FakeStore):
    """Keeps chunks; refuses to store a report's photo while `broken`."""

    broken = True

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        if self.broken and not key.startswith("uploads/"):
            raise ConnectionError("store down")
        super().put(bucket, key, data, content_type)


def _client(store: FakeStore):
    db = fake_db()
    app = create_app(SETTINGS, Backends(SETTINGS, db=db, store=store,
                                        publisher=FakePublisher()))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client(), db


def _uploaded(client, photo: bytes) -> str:
    opened = client.post("/uploads", json={"size": len(photo),
                                           "sha256": hashlib.sha256(photo).hexdigest()})
    assert opened.status_code == 201, opened.get_json()
    upload = opened.get_json()
    size = upload["chunk_size"]
    for index in reversed(range(upload["chunks"])):
        sent = client.put(f"/uploads/{upload['id']}/chunks/{index}",
                          data=photo[index * size:(index + 1) * size],
                          content_type="application/octet-stream")
        assert sent.status_code == 200, sent.get_json()
    return upload["id"]


def _file(client, upload_id: str, key: str):
    return client.post("/reports", headers={"Idempotency-Key": key}, data={
        "report": json.dumps({**REPORT, "uploads": [upload_id]})},
        content_type="multipart/form-data")


def test_an_upload_claimed_by_a_report_that_was_not_stored_is_given_back():
    store = BrokenReportStore()
    client, db = _client(store)
    photo = camera_photo(*INSIDE["padang"], datetime.now(WIB) - timedelta(minutes=5))
    upload_id = _uploaded(client, photo)
    failed = _file(client, upload_id, "k-1")
    assert failed.status_code == 503
    doc = db.uploads.find_one({"_id": upload_id})
    assert doc["state"] == "open" and "report_id" not in doc
    assert client.get(f"/uploads/{upload_id}").get_json()["complete"] is True
    # The store is back: the phone's retry files it, with the same key.
    store.broken = False
    filed = _file(client, upload_id, "k-1")
    assert filed.status_code == 202, filed.get_json()
    report = db.reports.find_one({"_id": filed.get_json()["id"]})
    assert report["photos"][0]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert db.uploads.find_one({"_id": upload_id})["state"] == "used"


def test_expired_uploads_are_purged_a_few_at_a_time_by_new_ones():
    store = FakeStore()
    client, db = _client(store)
    photo = camera_photo(*INSIDE["padang"], datetime.now(WIB) - timedelta(minutes=5))
    left = [_uploaded(client, photo) for _ in range(7)]
    # Their time is over: a unit test over the in-memory fake moves the clock by writing the
    # deadline (the stack test waits for a short expiry instead).
    db.uploads.update_many({"_id": {"$in": left}},
                           {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    assert client.post("/uploads", json={"size": 10}).status_code == 201
    expired = db.uploads.count_documents({"_id": {"$in": left}, "state": "expired"})
    assert expired == 5  # one new upload purges at most five
    assert client.post("/uploads", json={"size": 10}).status_code == 201
    assert db.uploads.count_documents({"_id": {"$in": left}, "state": "expired"}) == 7
    assert store.keys(store.raw_bucket, "uploads/") == []
    assert db.uploads.find_one({"_id": left[0]})["purge_at"] > datetime.now(UTC)


class FlakyDeleteStore(FakeStore):
    """Refuses to delete chunks while `broken`."""

    broken = True
    refused = 0

    def delete(self, bucket: str, key: str) -> None:
        if self.broken and key.startswith("uploads/"):
            self.refused += 1
            raise ConnectionError("store down")
        super().delete(bucket, key)


def test_chunks_a_failed_deletion_left_are_deleted_by_a_later_purge():
    store = FlakyDeleteStore()
    client, db = _client(store)
    photo = camera_photo(*INSIDE["padang"], datetime.now(WIB) - timedelta(minutes=5))
    upload_id = _uploaded(client, photo)
    assert _file(client, upload_id, "k-2").status_code == 202
    # The deletion beside the answer failed (logged): the chunks are still there.
    eventually(lambda: store.refused, 5, "the deletion tried")
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/")
    store.broken = False
    assert client.post("/uploads", json={"size": 10}).status_code == 201
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/")  # not before the grace
    # Ten minutes on: a unit test over the in-memory fake moves the clock by writing the
    # moment (the stack cannot be made to fail a deletion on cue).
    db.uploads.update_one({"_id": upload_id}, {"$set": {
        "chunks_left_since": datetime.now(UTC) - timedelta(minutes=11)}})
    assert client.post("/uploads", json={"size": 10}).status_code == 201
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/") == []
    assert "chunks_left_since" not in db.uploads.find_one({"_id": upload_id})
