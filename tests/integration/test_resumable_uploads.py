"""Resumable photo uploads (issue 20, "weak signal"), through the real stack: chunks in any
order, sent twice, missing at filing; size limits; an assembled file that is no photo; one
photo filed once whatever the retries; expiry and the per-address cap on an intake started
with short limits. Everything is set up through the public API; the database and the object
store are only read, to check what was kept."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests
from photo_factory import INSIDE, PHOTOS, WIB, camera_photo
from stack_client import REPORT, raw_object_count, wait_for_status
from upload_client import (
    CHUNK,
    big_padang_photo,
    chunk_keys,
    chunks_of,
    error_code,
    file_report,
    open_upload,
    put_chunk,
    started,
    uploaded,
)
from waiting import eventually

pytestmark = pytest.mark.stack

def test_chunks_sent_out_of_order_make_the_photo_that_is_filed(api, db, store):
    photo = big_padang_photo()
    upload = started(api, photo)
    pieces = chunks_of(photo, upload["chunk_size"])
    assert upload["chunks"] == len(pieces) == 8 and upload["chunk_size"] == CHUNK
    assert (upload["received"], upload["missing"], upload["complete"]) == (
        [], list(range(8)), False)
    order = list(range(8))
    random.Random(20).shuffle(order)
    for sent, index in enumerate(order, start=1):
        answer = put_chunk(api, upload["id"], index, pieces[index])
        assert answer.status_code == 200, answer.text
        assert answer.json()["received"] == sorted(order[:sent])
    progress = requests.get(f"{api}/uploads/{upload['id']}", timeout=10).json()
    assert (progress["missing"], progress["complete"]) == ([], True)

    filed = file_report(api, [upload["id"]])
    assert filed.status_code == 202, filed.text
    report = db.reports.find_one({"_id": filed.json()["id"]})
    [kept] = report["photos"]
    assert kept["sha256"] == hashlib.sha256(photo).hexdigest() and kept["size"] == len(photo)
    assert store.get(store.raw_bucket, kept["raw_key"]) == photo
    view = wait_for_status(api, filed.json()["code"], {"forwarded", "needs_review", "rejected"})
    verdict = db.reports.find_one({"_id": filed.json()["id"]})["verification"]
    # (Other tests file the same sample photo: a near-identical earlier one is only flagged.)
    assert (verdict["verdict"], verdict["reasons"]) == ("verified", [])
    assert view["status"] == "forwarded" and len(view["photos"]) == 1
    # Used up: its chunks go, and it cannot be filed again by another report.
    eventually(lambda: chunk_keys(store, upload["id"]) == [], 30, "the chunks deleted")
    again = requests.get(f"{api}/uploads/{upload['id']}", timeout=10).json()
    assert (again["complete"], again["missing"]) == (True, [])
    assert error_code(file_report(api, [upload["id"]])) == (409, "upload_used")
    assert error_code(put_chunk(api, upload["id"], 0, pieces[0])) == (409, "upload_used")


def test_a_chunk_sent_twice_is_kept_once_and_other_bytes_are_a_conflict(api, db, store):
    photo = big_padang_photo()
    upload = started(api, photo)
    pieces = chunks_of(photo)
    assert put_chunk(api, upload["id"], 3, pieces[3]).status_code == 200
    repeat = put_chunk(api, upload["id"], 3, pieces[3])
    assert repeat.status_code == 200 and repeat.json()["received"] == [3]
    other = bytes(reversed(pieces[3]))
    conflict = put_chunk(api, upload["id"], 3, other)
    assert error_code(conflict) == (409, "chunk_conflict")
    assert conflict.json()["error"]["details"] == {"index": 3}
    assert len(chunk_keys(store, upload["id"])) == 1  # the other bytes were not kept
    for index, piece in enumerate(pieces):
        assert put_chunk(api, upload["id"], index, piece).status_code == 200
    filed = file_report(api, [upload["id"]])
    assert filed.status_code == 202, filed.text
    [kept] = db.reports.find_one({"_id": filed.json()["id"]})["photos"]
    assert kept["sha256"] == hashlib.sha256(photo).hexdigest()


def test_filing_with_chunks_missing_names_them_and_keeps_nothing(api, db, store):
    photo = big_padang_photo()
    upload = started(api, photo)
    pieces = chunks_of(photo)
    for index in (0, 1, 2, 4, 6):
        assert put_chunk(api, upload["id"], index, pieces[index]).status_code == 200
    reports, objects = db.reports.count_documents({}), raw_object_count(store)
    refused = file_report(api, [upload["id"]])
    assert error_code(refused) == (422, "upload_incomplete")
    assert refused.json()["error"]["details"] == {"upload": upload["id"], "missing": [3, 5, 7]}
    assert (db.reports.count_documents({}), raw_object_count(store)) == (reports, objects)
    # The resident's phone resumes: it asks what is missing and sends just that.
    missing = requests.get(f"{api}/uploads/{upload['id']}", timeout=10).json()["missing"]
    for index in missing:
        assert put_chunk(api, upload["id"], index, pieces[index]).status_code == 200
    assert file_report(api, [upload["id"]]).status_code == 202


def test_unknown_uploads_are_404_and_a_report_may_not_name_one_twice(api):
    unknown = uuid.uuid4().hex
    assert error_code(requests.get(f"{api}/uploads/{unknown}", timeout=10)) == (
        404, "upload_not_found")
    assert error_code(put_chunk(api, unknown, 0, b"x")) == (404, "upload_not_found")
    assert error_code(file_report(api, [unknown])) == (404, "upload_not_found")
    twice = uploaded(api, big_padang_photo())
    assert error_code(file_report(api, [twice, twice])) == (422, "duplicate_upload")


def test_size_limits(api, settings):
    too_big = open_upload(api, {"size": settings.max_photo_bytes + 1})
    assert error_code(too_big) == (413, "photo_too_large")
    assert error_code(open_upload(api, {"size": 0})) == (422, "validation_failed")
    size = 2 * CHUNK + 1000  # two whole chunks and a last one of 1000 bytes
    upload = open_upload(api, {"size": size}).json()
    assert upload["chunks"] == 3
    short = put_chunk(api, upload["id"], 0, b"\xff" * (CHUNK - 1))
    assert error_code(short) == (422, "chunk_size_mismatch")
    assert short.json()["error"]["details"] == {"index": 0, "expected": CHUNK,
                                                "received": CHUNK - 1}
    assert error_code(put_chunk(api, upload["id"], 2, b"\xff" * 1001)) == (
        422, "chunk_size_mismatch")
    assert error_code(put_chunk(api, upload["id"], 3, b"\xff" * 1000)) == (
        422, "chunk_out_of_range")
    # More than a chunk is refused by the gateway before it is read.
    assert error_code(put_chunk(api, upload["id"], 0, b"\xff" * (CHUNK + 1))) == (
        413, "payload_too_large")
    assert requests.get(f"{api}/uploads/{upload['id']}", timeout=10).json()["received"] == []


def test_a_file_that_is_no_photo_is_refused_once_assembled(api, db, store):
    fake = b"this is not a photo at all " * 30_000  # ~800 KB of text in four chunks
    upload = started(api, fake, with_digest=False)
    for index, piece in enumerate(chunks_of(fake)):
        assert put_chunk(api, upload["id"], index, piece).status_code == 200
    reports = db.reports.count_documents({})
    assert error_code(file_report(api, [upload["id"]])) == (415, "unsupported_photo_type")
    assert db.reports.count_documents({}) == reports
    # A digest the assembled bytes do not have is refused too.
    photo = big_padang_photo()
    lying = open_upload(api, {"size": len(photo), "sha256": "0" * 64}).json()
    for index, piece in enumerate(chunks_of(photo)):
        assert put_chunk(api, lying["id"], index, piece).status_code == 200
    assert error_code(file_report(api, [lying["id"]])) == (422, "upload_checksum_mismatch")


@pytest.mark.parametrize("sample, reason", [("bomb_30000x30000.png", "too_many_pixels"),
                                            ("DSCN0010_truncated60.jpg", "corrupt_image")])
def test_a_bomb_or_a_truncated_photo_from_chunks_is_rejected_as_a_file_is(api, db, sample,
                                                                           reason):
    filed = file_report(api, [uploaded(api, (PHOTOS / sample).read_bytes())])
    assert filed.status_code == 202, filed.text
    # A rejected report leaves the public's view: read what the verifier wrote.
    report = eventually(lambda: db.reports.find_one(
        {"_id": filed.json()["id"], "verification": {"$exists": True}}), 30, "the verdict")
    assert report["status"] == "rejected" and reason in report["verification"]["reasons"]


def test_a_retry_with_the_same_idempotency_key_files_the_uploaded_photo_once(api, db, store):
    photo = big_padang_photo()
    upload_id = uploaded(api, photo)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = file_report(api, [upload_id], headers=key)
    assert first.status_code == 202, first.text
    # The answer was lost on the way; the phone retries, before and after the chunks went.
    again = file_report(api, [upload_id], headers=key)
    assert (again.status_code, again.json()) == (202, first.json())
    eventually(lambda: chunk_keys(store, upload_id) == [], 30, "the chunks deleted")
    late = file_report(api, [upload_id], headers=key)
    assert (late.status_code, late.json()) == (202, first.json())
    assert db.reports.count_documents({"idempotency_key": key["Idempotency-Key"]}) == 1
    assert len(db.reports.find_one({"_id": first.json()["id"]})["photos"]) == 1
    # The same key with other fields is still the known 422.
    other = {**REPORT, "description": "Jalan berlubang di depan sekolah dasar"}
    assert error_code(file_report(api, [upload_id], other, key)) == (
        422, "idempotency_key_reused")


def test_a_photo_file_and_an_upload_together_make_a_two_photo_report(api, db):
    photo = big_padang_photo()
    lat, lon = INSIDE["padang"]
    small = camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=5))
    filed = file_report(api, [uploaded(api, photo)], photo=small)
    assert filed.status_code == 202, filed.text
    kept = db.reports.find_one({"_id": filed.json()["id"]})["photos"]
    assert [p["sha256"] for p in kept] == [hashlib.sha256(small).hexdigest(),
                                           hashlib.sha256(photo).hexdigest()]


def test_the_gateway_says_where_the_caller_is_whatever_the_caller_claims(api, db):
    upload = open_upload(api, {"size": 10}, headers={"X-Client-Address": "198.51.100.9"})
    assert db.uploads.find_one({"_id": upload.json()["id"]})["address"] == "127.0.0.1"


def test_the_declared_type_is_only_kept_and_the_bytes_decide(api, db):
    # Whatever File.type a browser gives (HEIF, WebP...) opens an upload; the photo is judged
    # from its bytes when it is filed.
    for declared in ("image/heif", "image/webp"):
        opened = open_upload(api, {"size": 10, "content_type": declared})
        assert opened.status_code == 201, opened.text
    assert error_code(open_upload(api, {"size": 10, "content_type": "jpeg please"})) == (
        422, "validation_failed")
    assert error_code(open_upload(api, {"size": 10, "colour": "red"})) == (
        422, "validation_failed")


def test_one_upload_filed_at_once_by_two_reports_goes_to_one(api, db):
    upload_id = uploaded(api, big_padang_photo())
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: file_report(api, [upload_id]), range(2)))
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    [winner] = [a for a in answers if a.status_code == 202]
    [loser] = [a for a in answers if a.status_code == 409]
    assert loser.json()["error"]["code"] == "upload_used"
    assert db.uploads.find_one({"_id": upload_id})["report_id"] == winner.json()["id"]


def test_retries_racing_with_one_key_make_one_report(api, db):
    upload_id = uploaded(api, big_padang_photo())
    key = {"Idempotency-Key": uuid.uuid4().hex}
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda _: file_report(api, [upload_id], headers=key), range(3)))
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({a.json()["code"] for a in answers}) == 1
    assert db.reports.count_documents({"idempotency_key": key["Idempotency-Key"]}) == 1


def test_an_iphone_heic_photo_in_chunks_is_kept_as_sent(api, db, store):
    heic = (PHOTOS / "iphone_13_pro_max.HEIC").read_bytes()  # 2.1 MB: 9 chunks
    filed = file_report(api, [uploaded(api, heic)])
    assert filed.status_code == 202, filed.text
    [kept] = db.reports.find_one({"_id": filed.json()["id"]})["photos"]
    assert kept["content_type"] == "image/heic" and kept["raw_key"].endswith(".heic")
    assert store.get(store.raw_bucket, kept["raw_key"]) == heic  # never re-encoded


# ---- expiry and the per-address cap: an intake with short limits ---------------------------

EXPIRY_S = 4


def made_up_address() -> dict[str, str]:
    """A client address of its own (TEST-NET-3), as the gateway would tell intake: the
    uploads other tests left open from this machine's address do not count against it."""
    return {"X-Client-Address": f"203.0.113.{random.randrange(1, 255)}:{uuid.uuid4().hex[:6]}"}


@pytest.fixture(scope="module")
def intake(stack) -> Iterator[str]:
    """Intake restarted with uploads that expire after EXPIRY_S, 3 open per address and a purge
    every second; with the stack's own settings again afterwards. Yields intake's own
    address."""
    def restart(overrides: dict[str, str | None]) -> None:
        stack.stop_process("intake")
        for name, value in overrides.items():
            if value is None:
                stack.overrides.pop(name, None)
            else:
                stack.overrides[name] = value
        stack.start_http("intake")
        stack.wait_services()

    before = {name: stack.overrides.get(name)
              for name in ("UPLOAD_EXPIRY_S", "UPLOADS_OPEN_PER_IP", "UPLOAD_PURGE_EVERY_S")}
    restart({"UPLOAD_EXPIRY_S": str(EXPIRY_S), "UPLOADS_OPEN_PER_IP": "3",
             "UPLOAD_PURGE_EVERY_S": "1"})
    try:
        yield f"http://127.0.0.1:{stack.profile.http_ports['intake']}"
    finally:
        restart(before)


def test_an_unfinished_upload_expires_and_its_chunks_go(api, store, intake):
    photo = big_padang_photo()
    upload = started(intake, photo, headers=made_up_address())
    pieces = chunks_of(photo)
    assert put_chunk(intake, upload["id"], 0, pieces[0]).status_code == 200
    assert len(chunk_keys(store, upload["id"])) == 1
    assert datetime.fromisoformat(upload["expires_at"]) <= (
        datetime.now(WIB) + timedelta(seconds=EXPIRY_S))
    # (A response is falsy when it is no success: the probe hands back its error code.)
    gone = eventually(lambda: (lambda r: error_code(r) if r.status_code == 410 else None)(
        put_chunk(api, upload["id"], 1, pieces[1])), 20, "the upload expired", every_s=0.5)
    assert gone == (410, "upload_expired")
    # The purge that expired it may still be deleting its chunks as this 410 is given.
    eventually(lambda: chunk_keys(store, upload["id"]) == [], 30, "the chunks deleted")
    assert error_code(requests.get(f"{api}/uploads/{upload['id']}", timeout=10)) == (
        410, "upload_expired")
    assert error_code(file_report(api, [upload["id"]])) == (410, "upload_expired")


def test_expired_uploads_nobody_comes_back_to_are_purged_in_the_background(db, store, intake):
    photo = big_padang_photo()
    address = made_up_address()
    left = []
    for _ in range(3):
        upload = started(intake, photo, headers=address)
        assert put_chunk(intake, upload["id"], 0, photo[:CHUNK]).status_code == 200
        left.append(upload["id"])

    # Nobody asks about these again, nor opens another upload: intake's purge thread expires
    # them and deletes their chunks; then (not before) their documents get their TTL.
    def purged() -> bool:
        return all(chunk_keys(store, upload_id) == [] for upload_id in left) and \
            db.uploads.count_documents({"_id": {"$in": left}, "state": "expired",
                                        "purge_at": {"$exists": True}}) == len(left)

    eventually(purged, 30, "the abandoned uploads' chunks purged", every_s=0.5)


def test_one_address_may_have_only_so_many_unfinished_uploads(intake):
    mine, other = made_up_address(), made_up_address()
    opened = [open_upload(intake, {"size": 10}, mine) for _ in range(3)]
    assert {r.status_code for r in opened} == {201}
    fourth = open_upload(intake, {"size": 10}, mine)
    assert error_code(fourth) == (429, "too_many_uploads")
    assert fourth.json()["error"]["details"] == {"limit": 3}
    assert open_upload(intake, {"size": 10}, other).status_code == 201  # not held up
    # Once they expire, the address may open new ones.
    eventually(lambda: open_upload(intake, {"size": 10}, mine).status_code == 201, 20,
               "a new upload once the others expired", every_s=0.5)

