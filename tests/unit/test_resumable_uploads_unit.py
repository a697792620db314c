"""Resumable uploads over the in-memory fakes (tests/fakes.py), for what the stack cannot be
made to do on cue: the report's photo failing to store after the upload was claimed, two
requests with one Idempotency-Key interleaved step by step, a deletion failing, the clock
moved (through `resumable._now`, the module's one clock)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakePublisher, FakeStore, NothingRevoked, fake_db
from minio.error import S3Error
from photo_factory import INSIDE, WIB, camera_photo
from waiting import eventually

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from services.intake import resumable
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


def _client(store: FakeStore, settings: Settings = SETTINGS):
    db = fake_db()
    app = create_app(settings, Backends(settings, db=db, store=store,
                                        publisher=FakePublisher()))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client(), db


def _uploaded(client, photo: bytes, declare: bool = True) -> str:
    body = {"size": len(photo)}
    if declare:
        body["sha256"] = hashlib.sha256(photo).hexdigest()
    opened = client.post("/uploads", json=body)
    assert opened.status_code == 201, opened.get_json()
    upload = opened.get_json()
    size = upload["chunk_size"]
    for index in reversed(range(upload["chunks"])):
        sent = client.put(f"/uploads/{upload['id']}/chunks/{index}",
                          data=photo[index * size:(index + 1) * size],
                          content_type="application/octet-stream")
        assert sent.status_code == 200, sent.get_json()
    return upload["id"]


def _file(client, upload_id: str, key: str, **fields):
    return client.post("/reports", headers={"Idempotency-Key": key}, data={
        "report": json.dumps({**REPORT, **fields, "uploads": [upload_id]})},
        content_type="multipart/form-data")


def _photo() -> bytes:
    return camera_photo(*INSIDE["padang"], datetime.now(WIB) - timedelta(minutes=5))


@pytest.fixture
def clock(monkeypatch):
    """Moves intake's upload clock: `clock(timedelta)` is that long from now."""
    def move(by: timedelta) -> None:
        monkeypatch.setattr(resumable, "_now", lambda: datetime.now(UTC) + by)
    return move


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


def test_expired_uploads_are_purged_off_the_request_path(clock):
    store = FakeStore()
    client, db = _client(store)
    left = [_uploaded(client, _photo()) for _ in range(7)]
    clock(timedelta(days=1, minutes=1))  # their time is over
    # Opening an upload purges nothing (a resident's request does not wait for it)...
    assert client.post("/uploads", json={"size": 10}).status_code == 201
    assert db.uploads.count_documents({"_id": {"$in": left}, "state": "open"}) == 7
    # ...the purge does, in batches, and the documents get their TTL once the chunks are gone.
    assert resumable.purge_expired(db, store, resumable._now(), limit=5) == 5
    assert db.uploads.count_documents({"_id": {"$in": left}, "state": "expired"}) == 5
    purger = resumable.Purger(db, store, every_s=0.01)
    purger.ensure_running()
    eventually(lambda: db.uploads.count_documents(
        {"_id": {"$in": left}, "state": "expired", "purge_at": {"$exists": True}}) == 7, 10,
        "the purge thread expired the rest")
    assert store.keys(store.raw_bucket, "uploads/") == []
    assert db.uploads.find_one({"_id": left[0]})["purge_at"] > datetime.now(UTC)


def test_only_recently_active_uploads_count_towards_an_address_limit(clock):
    client, _ = _client(FakeStore(), Settings(upload_chunk_bytes=64 * 1024,
                                              uploads_open_per_ip=3))
    headers = {"X-Client-Address": "198.51.100.9"}
    opened = [client.post("/uploads", json={"size": 10}, headers=headers) for _ in range(3)]
    assert {r.status_code for r in opened} == {201}
    fourth = client.post("/uploads", json={"size": 10}, headers=headers)
    assert (fourth.status_code, fourth.get_json()["error"]["code"]) == (429, "too_many_uploads")
    # A chunk keeps an upload active; left idle for half an hour, the others stop counting
    # (a carrier-grade NAT address is many residents, and a phone may give up on an upload).
    clock(timedelta(minutes=20))
    kept = opened[0].get_json()["id"]
    assert client.put(f"/uploads/{kept}/chunks/0", data=b"0123456789",
                      content_type="application/octet-stream").status_code == 200
    clock(timedelta(minutes=31))
    more = [client.post("/uploads", json={"size": 10}, headers=headers) for _ in range(2)]
    assert {r.status_code for r in more} == {201}
    third = client.post("/uploads", json={"size": 10}, headers=headers)
    assert third.status_code == 429  # the active one and the two new ones


class FlakyDeleteStore(FakeStore):
    """Refuses to delete chunks while `broken`."""

    broken = True
    refused = 0

    def delete(self, bucket: str, key: str) -> None:
        if self.broken and key.startswith("uploads/"):
            self.refused += 1
            raise ConnectionError("store down")
        super().delete(bucket, key)


def test_chunks_a_failed_deletion_left_are_deleted_by_a_later_purge(clock):
    store = FlakyDeleteStore()
    client, db = _client(store)
    upload_id = _uploaded(client, _photo())
    assert _file(client, upload_id, "k-2").status_code == 202
    # The deletion beside the answer failed (logged): the chunks are still there, and the
    # document has no TTL yet (it would take the only record of them).
    eventually(lambda: store.refused, 5, "the deletion tried")
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/")
    assert "purge_at" not in db.uploads.find_one({"_id": upload_id})
    store.broken = False
    resumable.purge_expired(db, store, resumable._now())
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/")  # not before the grace
    clock(timedelta(minutes=11))
    resumable.purge_expired(db, store, resumable._now())
    assert store.keys(store.raw_bucket, f"uploads/{upload_id}/") == []
    doc = db.uploads.find_one({"_id": upload_id})
    assert "chunks_left_since" not in doc and doc["purge_at"] > datetime.now(UTC)


class CountingStore(FakeStore):
    """Counts the chunk reads; a missing object is S3's NoSuchKey, as from the real store."""

    chunk_gets = 0

    def get(self, bucket: str, key: str) -> bytes:
        if key.startswith("uploads/"):
            self.chunk_gets += 1
        if key not in self.objects[bucket]:
            raise S3Error(None, "NoSuchKey", "gone", key, "r", "h")  # type: ignore[arg-type]
        return super().get(bucket, key)


def _error(answer) -> tuple[int, str]:
    return answer.status_code, answer.get_json()["error"]["code"]


def test_an_upload_whose_bytes_fail_is_failed_for_good_and_not_read_again():
    store = CountingStore()
    client, db = _client(store)
    photo = _photo()
    # A declared SHA-256 the bytes do not have.
    opened = client.post("/uploads", json={"size": len(photo), "sha256": "ab" * 32}).get_json()
    size = opened["chunk_size"]
    for index in range(opened["chunks"]):
        client.put(f"/uploads/{opened['id']}/chunks/{index}",
                   data=photo[index * size:(index + 1) * size],
                   content_type="application/octet-stream")
    first = _file(client, opened["id"], "k-sum")
    assert _error(first) == (422, "upload_checksum_mismatch")
    assert first.get_json()["error"]["details"]["upload"] == opened["id"]
    assert db.uploads.find_one({"_id": opened["id"]})["state"] == "failed"
    eventually(lambda: store.keys(store.raw_bucket, f"uploads/{opened['id']}/") == [], 5,
               "the failed upload's chunks deleted")
    reads = store.chunk_gets
    again = _file(client, opened["id"], "k-sum-2")
    assert _error(again) == (422, "upload_checksum_mismatch")
    assert store.chunk_gets == reads  # answered from the document
    assert client.get(f"/uploads/{opened['id']}").status_code == 422


def test_bytes_of_no_photo_type_are_refused_after_reading_only_the_first_chunk():
    store = CountingStore()
    client, db = _client(store)
    junk = b"%PDF-1.7 " + bytes(200 * 1024)  # four chunks of 64 KiB
    upload_id = _uploaded(client, junk)
    reads = store.chunk_gets
    assert _error(_file(client, upload_id, "k-pdf")) == (415, "unsupported_photo_type")
    assert store.chunk_gets == reads + 1
    assert db.uploads.find_one({"_id": upload_id})["state"] == "failed"
    assert _error(_file(client, upload_id, "k-pdf")) == (415, "unsupported_photo_type")
    assert store.chunk_gets == reads + 1


@pytest.mark.parametrize("declared", [True, False])
def test_a_key_reused_for_another_report_reads_a_new_upload_at_most_once(declared: bool):
    store = CountingStore()
    client, db = _client(store)
    assert _file(client, _uploaded(client, _photo()), "k-used").status_code == 202
    other = _uploaded(client, _photo(), declare=declared)
    reads = store.chunk_gets
    for _ in range(3):
        refused = _file(client, other, "k-used", description="Lain sama sekali, jalan rusak")
        assert _error(refused) == (422, "idempotency_key_reused")
    chunks = client.get(f"/uploads/{other}").get_json()["chunks"]
    # The declared SHA-256 stands in for the bytes; without one, the digest of the first
    # assembly is kept on the upload.
    assert store.chunk_gets == reads + (0 if declared else chunks)
    assert db.uploads.find_one({"_id": other})["state"] == "open"  # still the phone's to file


def test_a_retry_after_the_upload_document_went_is_answered_from_the_report():
    client, db = _client(CountingStore())
    photo = _photo()
    upload_id = _uploaded(client, photo)
    filed = _file(client, upload_id, "k-week")
    assert filed.status_code == 202
    # Seven days on, the TTL index removed the used upload's document (mongomock runs no TTL
    # monitor, so the test removes it as the index would).
    db.uploads.delete_one({"_id": upload_id})
    retry = _file(client, upload_id, "k-week")
    assert retry.status_code == 202, retry.get_json()
    assert retry.get_json()["code"] == filed.get_json()["code"]
    # The phone was told 404 before and uploaded the photo again: the same request.
    again = _uploaded(client, photo)
    retry = _file(client, again, "k-week")
    assert retry.status_code == 202, retry.get_json()
    assert retry.get_json()["code"] == filed.get_json()["code"]
    assert db.reports.count_documents({}) == 1


class SteppedStore(CountingStore):
    """Lets a test run code when the first request stores the report's photo, and hold the
    second request (another thread) when it stores the report's photo (`hold_second`) or
    reads a chunk (`hold_second_read`)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_report_photo = None
        self.hold_second = None
        self.hold_second_read = None

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        if not key.startswith("uploads/"):
            if threading.current_thread() is threading.main_thread():
                if self.on_report_photo:
                    hook, self.on_report_photo = self.on_report_photo, None
                    hook()
            elif self.hold_second:
                self.hold_second()
        super().put(bucket, key, data, content_type)

    def get(self, bucket: str, key: str) -> bytes:
        if (key.startswith("uploads/") and self.hold_second_read
                and threading.current_thread() is not threading.main_thread()):
            self.hold_second_read()
        return super().get(bucket, key)


def _in_thread(call) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    return thread, result


def test_a_retry_whose_upload_was_filed_meanwhile_by_its_twin_gets_the_same_answer():
    """A claims the upload; B (same key) sees it used by this very report but finds no report
    yet; A stores the report and deletes the chunks; B, assembling, finds them gone: it is
    answered from A's report, not 410 upload_expired."""
    store = SteppedStore()
    client, db = _client(store)
    upload_id = _uploaded(client, _photo())
    b_reading, a_done = threading.Event(), threading.Event()

    def hold_b() -> None:
        b_reading.set()
        assert a_done.wait(10)

    def start_b() -> None:  # A has claimed the upload and is storing the report's photo
        store.hold_second_read = hold_b
        started.append(_in_thread(lambda: _file(client, upload_id, "k-race")))
        assert b_reading.wait(10)

    started: list = []
    store.on_report_photo = start_b
    first = _file(client, upload_id, "k-race")
    assert first.status_code == 202
    eventually(lambda: store.keys(store.raw_bucket, f"uploads/{upload_id}/") == [], 5,
               "A's chunks deleted")
    a_done.set()
    [(thread, result)] = started
    thread.join(10)
    assert result[0].status_code == 202, result[0].get_json()
    assert result[0].get_json()["code"] == first.get_json()["code"]
    assert db.reports.count_documents({}) == 1


def test_an_upload_stays_used_when_the_twin_that_claimed_it_failed():
    """A claims; B (same key) sees the upload used by this report and goes on; A cannot store
    the photo and gives the upload back; B stores the report: the upload is used by it, its
    chunks deleted, not open again for another report."""
    store = SteppedStore()
    client, db = _client(store)
    upload_id = _uploaded(client, _photo())
    b_storing, a_failed = threading.Event(), threading.Event()

    def hold_b() -> None:  # B has checked, assembled and claimed (A's claim is its own)
        b_storing.set()
        assert a_failed.wait(10)

    def start_b_then_fail() -> None:
        store.hold_second = hold_b
        started.append(_in_thread(lambda: _file(client, upload_id, "k-twin")))
        assert b_storing.wait(10)
        raise ConnectionError("store down for A")

    started: list = []
    store.on_report_photo = start_b_then_fail
    failed = _file(client, upload_id, "k-twin")
    assert failed.status_code == 503
    a_failed.set()
    [(thread, result)] = started
    thread.join(10)
    assert result[0].status_code == 202, result[0].get_json()
    doc = db.uploads.find_one({"_id": upload_id})
    assert (doc["state"], doc["report_id"]) == ("used", result[0].get_json()["id"])
    eventually(lambda: store.keys(store.raw_bucket, f"uploads/{upload_id}/") == [], 5,
               "B's chunks deleted")
