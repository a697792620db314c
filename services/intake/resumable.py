"""Resumable photo uploads: a photo sent in chunks over a weak signal, then filed with a report
(`"uploads": [id, ...]` in the report JSON, services/intake/api.py).

- `POST /uploads {size, content_type?, sha256?}` opens one (201); `PUT /uploads/<id>/chunks/
  <index>` stores a chunk, in any order, the same bytes again being harmless (other bytes: 409
  `chunk_conflict`); `GET /uploads/<id>` says which chunks are still missing.
- Chunks are objects in the raw bucket under `uploads/<id>/`, named by index and digest (two
  senders of different bytes never overwrite each other's); the upload's state is a document
  in `uploads`, each chunk recorded by one conditional update.
- Filing assembles the chunks, one photo at a time into one buffer, and checks the photo
  exactly as a `photo` file part (`aduan.web.photos.check_photo`; the type is judged from
  chunk 0 before the rest is read); the upload is then `used` by that report and its chunks
  deleted. An upload whose bytes fail (declared SHA-256, type, size) is `failed` for good: its
  chunks go and naming it again answers the same error without reading anything. A retry with
  the same Idempotency-Key is answered from the report before anything is assembled, the
  photos' digests (the upload's document, or the report's stored photos once the document is
  gone) standing in for the bytes in the request's fingerprint.
- An unfinished upload expires `upload_expiry_s` after it was opened (410 `upload_expired`);
  its chunks are deleted when it is next touched or by each intake process's purge thread
  (`Purger`, every `upload_purge_every_s`), off the request path. Documents of used, failed and
  expired uploads go by the TTL index on `purge_at`, which is set only once their chunks are
  gone; chunks whose deletion failed are deleted by a later purge (`chunks_left_since`).
- One address may have `uploads_open_per_ip` unfinished uploads active in the last
  `ACTIVE` (429 `too_many_uploads`): one left idle stops counting, so many residents behind
  one carrier-grade NAT address are not locked out for a day.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from flask import Blueprint, Response, jsonify, request
from minio.error import S3Error
from pymongo.database import Database

from aduan.contracts.uploads import UploadIn
from aduan.domain.upload_chunks import ChunkPlan
from aduan.infra.config import Settings
from aduan.infra.storage import ObjectStore
from aduan.web.app import collaborators
from aduan.web.errors import ApiError
from aduan.web.image_types import sniff_image_type
from aduan.web.photos import Photo, check_photo
from aduan.web.validation import parse_json_object, validate

log = logging.getLogger(__name__)

COLLECTION = "uploads"
PREFIX = "uploads"
OPEN, USED, EXPIRED, FAILED = "open", "used", "expired", "failed"
# Documents of used, failed and expired uploads are kept this long after their chunks are gone:
# Idempotency-Key retries of the report that used one are answered from them, and a late chunk
# gets 410, not 404.
KEEP = timedelta(days=7)
# Uploads each pass of the purge cleans (expired ones, then ones whose chunks were left).
PURGE_BATCH = 50
# An open upload counts towards its address's limit while a chunk came in this recently.
ACTIVE = timedelta(minutes=30)
# How long a retry whose upload was just filed by a concurrent request with the same key waits
# for that request's report before answering.
REPLAY_WAIT_S = 2.0
# How long after an upload was used or expired its chunks may still be there (deleted beside
# the answer) before a purge deletes them.
LEFT_GRACE = timedelta(minutes=10)
# The address the gateway saw the caller at (gateway/clients.py); intake is reached through
# the gateway only.
CLIENT_ADDRESS_HEADER = "X-Client-Address"  # the same name as gateway/proxy.py sends

blueprint = Blueprint("intake_uploads", __name__)
_cleaner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-cleaner")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plan(doc: dict[str, Any]) -> ChunkPlan:
    return ChunkPlan(doc["size"], doc["chunk_size"])


def _received(doc: dict[str, Any]) -> list[int]:
    return sorted(int(name[1:]) for name in doc.get("parts") or {})


def view(doc: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(doc)
    # A used upload was complete (its chunks are gone with the report stored).
    received = list(range(plan.chunks)) if doc["state"] == USED else _received(doc)
    missing = plan.missing(received)
    return {"id": doc["_id"], "size": doc["size"], "chunk_size": doc["chunk_size"],
            "chunks": plan.chunks, "received": received, "missing": missing,
            "complete": not missing, "expires_at": _aware(doc["expires_at"]).isoformat()}


def _not_found(upload_id: str) -> ApiError:
    return ApiError(404, "upload_not_found", "No upload has this id.", {"upload": upload_id})


def _expired_error(upload_id: str) -> ApiError:
    return ApiError(410, "upload_expired",
                    "This upload was not finished in time; start a new one.",
                    {"upload": upload_id})


def _part_name(index: int) -> str:
    return f"c{index}"


def chunk_key(upload_id: str, index: int, digest: str) -> str:
    return f"{PREFIX}/{upload_id}/{index}-{digest[:16]}"


def delete_chunks(store: ObjectStore, upload_id: str) -> None:
    """One listing and one batch deletion (S3 DeleteObjects) for all of an upload's chunks."""
    keys = store.keys(store.raw_bucket, f"{PREFIX}/{upload_id}/")
    if keys:
        store.delete_many(store.raw_bucket, keys)


def forget_chunks(db: Database, store: ObjectStore, upload_id: str) -> None:
    """Deletes a used, failed or expired upload's chunks. Their record goes first, so a late
    duplicate chunk stored meanwhile finds none and deletes its own object (`put_chunk`); only
    once the objects are gone does the document get its `purge_at` (the TTL index never takes
    a document whose chunks are still there)."""
    db[COLLECTION].update_one({"_id": upload_id}, {"$unset": {"parts": ""}})
    delete_chunks(store, upload_id)
    db[COLLECTION].update_one({"_id": upload_id}, {"$unset": {"chunks_left_since": ""},
                                                   "$set": {"purge_at": _now() + KEEP}})


def expire(db: Database, store: ObjectStore, doc: dict[str, Any], now: datetime) -> None:
    """Marks an open upload past its time expired and deletes its chunks."""
    marked = db[COLLECTION].update_one(
        {"_id": doc["_id"], "state": OPEN},
        {"$set": {"state": EXPIRED, "chunks_left_since": now}})
    if marked.modified_count:
        forget_chunks(db, store, doc["_id"])


def purge_expired(db: Database, store: ObjectStore, now: datetime,
                  limit: int = PURGE_BATCH) -> int:
    """Expires up to `limit` open uploads past their time (oldest first), and deletes the
    chunks up to `limit` used or expired ones still have a while after (their deletion
    failed or was cut short); how many uploads it cleaned."""
    due = list(db[COLLECTION].find({"state": OPEN, "expires_at": {"$lte": now}},
                                   {"_id": 1}).sort("expires_at", 1).limit(limit))
    for doc in due:
        expire(db, store, doc, now)
    left = list(db[COLLECTION].find({"chunks_left_since": {"$lte": now - LEFT_GRACE}},
                                    {"_id": 1}).limit(limit))
    for doc in left:
        forget_chunks(db, store, doc["_id"])
    return len(due) + len(left)


class Purger:
    """Each intake process's purge of expired uploads and left chunks, every `every_s` on a
    daemon thread started by the process's first request (so a forked worker has its own)."""

    def __init__(self, db: Database, store: ObjectStore, every_s: float) -> None:
        self.db, self.store, self.every_s = db, store, every_s
        self._pid: int | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="upload-purge", daemon=True).start()

    def _run(self) -> None:
        while True:
            # Jitter, so the processes of a fleet do not all purge in the same second.
            time.sleep(self.every_s * random.uniform(0.5, 1.5))
            try:
                while purge_expired(self.db, self.store, _now()) >= PURGE_BATCH:
                    pass  # a backlog: the next batch now
            except Exception:  # MongoDB or the store away for a moment: the next pass
                log.exception("purging expired uploads failed")


def _live(db: Database, store: ObjectStore, upload_id: str, now: datetime) -> dict[str, Any]:
    """The upload, past its time expired on the spot: 404 / 410 otherwise."""
    doc = db[COLLECTION].find_one({"_id": upload_id})
    if doc is None:
        raise _not_found(upload_id)
    if doc["state"] == OPEN and _aware(doc["expires_at"]) <= now:
        expire(db, store, doc, now)
        raise _expired_error(upload_id)
    if doc["state"] == EXPIRED:
        raise _expired_error(upload_id)
    if doc["state"] == FAILED:
        raise _failed_error(doc)
    return doc


def _failed_error(doc: dict[str, Any]) -> ApiError:
    """The error the upload's bytes got when it was first filed, again."""
    error = doc.get("error") or {}
    return ApiError(error.get("status", 422), error.get("code", "upload_failed"),
                    error.get("message", "This upload's photo was refused; start a new one."),
                    {**(error.get("details") or {}), "upload": doc["_id"]})


def _used_error(upload_id: str) -> ApiError:
    return ApiError(409, "upload_used", "This upload was already filed with a report.",
                    {"upload": upload_id})


def client_address() -> str:
    return request.headers.get(CLIENT_ADDRESS_HEADER) or request.remote_addr or ""


@blueprint.post("/uploads")
def open_upload() -> tuple[Response, int]:
    context = collaborators()
    settings, db = context.settings, context.db
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON.")
    body = validate(UploadIn, parse_json_object(request.get_data(), "The body"))
    if body.size > settings.max_photo_bytes:
        raise ApiError(413, "photo_too_large",
                       f"Each photo may be at most {settings.max_photo_bytes} bytes.",
                       {"size": body.size, "max": settings.max_photo_bytes})
    now = _now()
    address = client_address()
    open_count = db[COLLECTION].count_documents(
        {"address": address, "state": OPEN, "expires_at": {"$gt": now},
         "updated_at": {"$gt": now - ACTIVE}},
        limit=settings.uploads_open_per_ip)
    if open_count >= settings.uploads_open_per_ip:
        raise ApiError(429, "too_many_uploads",
                       "Too many unfinished uploads from this address; finish or file them.",
                       {"limit": settings.uploads_open_per_ip})
    doc = {"_id": uuid.uuid4().hex, "size": body.size, "chunk_size": settings.upload_chunk_bytes,
           "content_type": body.content_type, "sha256": body.sha256, "address": address,
           "state": OPEN, "parts": {}, "created_at": now, "updated_at": now,
           "expires_at": now + timedelta(seconds=settings.upload_expiry_s)}
    db[COLLECTION].insert_one(doc)
    return jsonify(view(doc)), 201


@blueprint.get("/uploads/<upload_id>")
def get_upload(upload_id: str) -> Response:
    context = collaborators()
    return jsonify(view(_live(context.db, context.store, upload_id, _now())))


@blueprint.put("/uploads/<upload_id>/chunks/<int:index>")
def put_chunk(upload_id: str, index: int) -> Response:
    context = collaborators()
    db, store = context.db, context.store
    # Read whatever the answer: a body left unread would spoil the gateway's kept-alive
    # connection for its next request. The gateway lets at most a chunk's size through.
    data = request.get_data(cache=False)
    doc = _live(db, store, upload_id, _now())
    if doc["state"] == USED:
        raise _used_error(upload_id)
    _plan(doc).check_chunk(index, len(data))
    digest = hashlib.sha256(data).hexdigest()
    name = _part_name(index)
    kept = (doc.get("parts") or {}).get(name)
    if kept is not None:
        if kept["sha256"] != digest:
            raise _conflict(index)
        return jsonify(view(doc))
    key = chunk_key(upload_id, index, digest)
    store.put(store.raw_bucket, key, data, "application/octet-stream")
    recorded = db[COLLECTION].find_one_and_update(
        {"_id": upload_id, "state": OPEN, f"parts.{name}": {"$exists": False}},
        {"$set": {f"parts.{name}": {"key": key, "sha256": digest}, "updated_at": _now()}},
        return_document=True)
    if recorded is not None:
        return jsonify(view(recorded))
    # Another request got there first (the same bytes are fine, others a conflict), or the
    # upload expired or was filed meanwhile: an object not recorded is not left behind.
    now_doc = db[COLLECTION].find_one({"_id": upload_id})
    kept = ((now_doc or {}).get("parts") or {}).get(name)
    if kept is None or kept["key"] != key or now_doc["state"] in (EXPIRED, FAILED):
        # Not recorded (forget_chunks takes the record before the objects, so a chunk stored
        # after that deletion began is found here), or the upload will never be assembled.
        store.delete(store.raw_bucket, key)
    if now_doc is None:
        raise _not_found(upload_id)
    if now_doc["state"] == EXPIRED:
        raise _expired_error(upload_id)
    if now_doc["state"] == FAILED:
        raise _failed_error(now_doc)
    if now_doc["state"] == USED:
        raise _used_error(upload_id)
    if kept is None or kept["sha256"] != digest:
        raise _conflict(index)
    return jsonify(view(now_doc))


def _conflict(index: int) -> ApiError:
    return ApiError(409, "chunk_conflict",
                    "This chunk was already received with other bytes.", {"index": index})


# ---- filing: the uploads a report names ----------------------------------------------------

GONE_CODES = {"NoSuchKey", "NoSuchObject", "NotFound"}


class UploadGone(ApiError):
    """The chunks of an upload this very report used are gone: a concurrent request with the
    same Idempotency-Key stored the report and deleted them (services/intake/submission.py
    answers from that report)."""

    def __init__(self, upload_id: str) -> None:
        error = _expired_error(upload_id)
        super().__init__(error.status, error.code, error.message, error.details)


@dataclass
class Pending:
    """One upload a report names: its document (None once gone with time), its photo's
    digest once known, and its photo once assembled."""

    upload_id: str
    doc: dict[str, Any] | None
    sha256: str | None = None
    photo: Photo | None = None


@dataclass
class UploadedPhotos:
    """The uploads one report submission names, from checking them to using them up. Nothing
    is assembled before the submission is known to be new (`replay_digests` serves a retry)
    and before every named upload was checked (`check`)."""

    settings: Settings
    db: Database
    store: ObjectStore
    ids: list[str]
    pending: list[Pending] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)

    def read(self, report_id: str) -> None:
        """The named uploads' documents; 422 `duplicate_upload`."""
        if len(set(self.ids)) != len(self.ids):
            raise ApiError(422, "duplicate_upload", "An upload is named twice.")
        docs = {doc["_id"]: doc for doc in self.db[COLLECTION].find({"_id": {"$in": self.ids}})}
        self.pending = [Pending(upload_id, docs.get(upload_id)) for upload_id in self.ids]
        for item in self.pending:
            if item.doc and item.doc["state"] == USED and item.doc.get("report_id") == report_id:
                item.sha256 = item.doc["photo_sha256"]

    def replay_digests(self, report_id: str, stored: list[str], offset: int) -> list[str]:
        """The uploads' photo digests for the fingerprint of a retry whose report exists
        (`stored`: its photos' digests, the first `offset` from file parts): an upload this
        report used gives its own; one whose document went with time the report's photo in
        its place; an open complete upload its photo's (assembled once, then kept on it);
        any other "" (it is not this report's: the fingerprint differs)."""
        digests = []
        for position, item in enumerate(self.pending):
            if item.sha256:
                digests.append(item.sha256)
            elif item.doc is None:
                index = offset + position
                digests.append(stored[index] if index < len(stored) else "")
            elif item.doc["state"] == OPEN and not self._missing(item.doc):
                digests.append(self._digest_of_open(item))
            else:
                digests.append("")
        return digests

    def _digest_of_open(self, item: Pending) -> str:
        """The declared SHA-256 (the resident app always sends it; bytes that differ fail at
        assembly), else the one kept from an earlier assembly, else assembled now."""
        doc = item.doc or {}
        if doc.get("sha256") or doc.get("assembled_sha256"):
            return doc.get("sha256") or doc["assembled_sha256"]
        try:
            item.photo = self._assemble(doc)
        except ApiError:
            return ""
        return item.photo.sha256

    @staticmethod
    def _missing(doc: dict[str, Any]) -> list[int]:
        return _plan(doc).missing(_received(doc))

    def check(self, report_id: str) -> None:
        """Every named upload exists, is complete and unused (or used by `report_id`: a
        retry racing the first submission); nothing is read from the store yet."""
        now = _now()
        for item in self.pending:
            if item.doc is None:
                raise _not_found(item.upload_id)
            doc = item.doc
            if doc["state"] == OPEN and _aware(doc["expires_at"]) <= now:
                expire(self.db, self.store, doc, now)
                raise _expired_error(item.upload_id)
            if doc["state"] == EXPIRED:
                raise _expired_error(item.upload_id)
            if doc["state"] == FAILED:
                raise _failed_error(doc)
            if doc["state"] == USED and doc.get("report_id") != report_id:
                raise _used_error(item.upload_id)
        for item in self.pending:
            missing = self._missing(item.doc or {}) if (item.doc or {})["state"] == OPEN else []
            if missing:
                raise ApiError(422, "upload_incomplete", "Some chunks of an upload are missing.",
                               {"upload": item.upload_id, "missing": missing})

    @property
    def digests(self) -> list[str]:
        return [item.sha256 or "" for item in self.pending]

    def photos(self, report_id: str) -> list[Photo]:
        """Every named upload's photo, assembled one at a time; one this report used already
        is assembled again from its chunks (they are deleted only once the report exists):
        `UploadGone` when they are gone."""
        for item in self.pending:
            if item.photo is None:
                doc = item.doc or {}
                if doc.get("state") == USED and not doc.get("parts"):
                    raise UploadGone(item.upload_id)
                try:
                    item.photo = self._assemble(doc)
                except ApiError as err:
                    if err.code == "upload_expired":  # chunks gone while this request read
                        raise self._why_gone(item, report_id) from err
                    raise
            item.sha256 = item.photo.sha256
        return [item.photo for item in self.pending if item.photo is not None]

    def _why_gone(self, item: Pending, report_id: str) -> ApiError:
        """The chunks went while this request read them: the upload was filed meanwhile (by
        this very report: `UploadGone`; by another: 409 `upload_used`) or expired (410)."""
        now_doc = self.db[COLLECTION].find_one({"_id": item.upload_id},
                                               {"state": 1, "report_id": 1})
        if now_doc is not None and now_doc["state"] == USED:
            if now_doc.get("report_id") == report_id:
                return UploadGone(item.upload_id)
            return _used_error(item.upload_id)
        return _expired_error(item.upload_id)

    def _assemble(self, doc: dict[str, Any]) -> Photo:
        """The upload's photo in one buffer of its size; chunk 0 first, so bytes of no photo
        type are refused before the rest is read. Bytes that fail a check (declared SHA-256,
        type, size) make the upload `failed` (`_fail`): it is never read again."""
        plan, parts = _plan(doc), doc["parts"]
        buffer = bytearray(plan.size)
        view_ = memoryview(buffer)
        digest = hashlib.sha256()
        try:
            for index in range(plan.chunks):
                data = self.store.get(self.store.raw_bucket, parts[_part_name(index)]["key"])
                start = index * plan.chunk_size
                if len(data) != plan.expected_length(index):
                    raise _expired_error(doc["_id"])  # not the chunk recorded: start again
                view_[start:start + len(data)] = data
                digest.update(data)
                if index == 0:
                    self._check_type(doc, data)
        except S3Error as err:  # expired (and purged) while this request read it
            if err.code not in GONE_CODES:
                raise
            raise _expired_error(doc["_id"]) from err
        finally:
            view_.release()
        hex_digest = digest.hexdigest()
        if doc.get("sha256") and hex_digest != doc["sha256"]:
            self._fail(doc, ApiError(
                422, "upload_checksum_mismatch",
                "The assembled photo does not have the SHA-256 given for it.",
                {"upload": doc["_id"]}))
        max_bytes = self.settings.max_photo_bytes
        try:  # the checks of a file part; the type from the first 16 bytes (all it looks at)
            judged = check_photo(bytes(buffer[:16]), max_bytes=max_bytes,
                                 name=f"upload {doc['_id']}")
        except ApiError as err:
            self._fail(doc, err)
        if len(buffer) > max_bytes:
            self._fail(doc, ApiError(413, "photo_too_large",
                                     f"Each photo may be at most {max_bytes} bytes."))
        # The buffer itself, not a copy of it (a phone's photo is up to max_photo_bytes).
        photo = Photo(data=buffer, content_type=judged.content_type)  # type: ignore[arg-type]
        photo.__dict__["sha256"] = hex_digest  # computed while assembling (cached_property)
        if doc.get("state") == OPEN and not doc.get("assembled_sha256"):
            # A retry of a filed report with this open upload finds the digest here.
            self.db[COLLECTION].update_one({"_id": doc["_id"], "state": OPEN},
                                           {"$set": {"assembled_sha256": hex_digest}})
        return photo

    def _check_type(self, doc: dict[str, Any], head: bytes) -> None:
        if sniff_image_type(head[:16]) is None:
            try:  # the same 415 a file part gets
                check_photo(head[:16], max_bytes=self.settings.max_photo_bytes,
                            name=f"upload {doc['_id']}")
            except ApiError as err:
                self._fail(doc, err)

    def _fail(self, doc: dict[str, Any], error: ApiError) -> NoReturn:
        """An open upload whose bytes were refused is `failed` for good, its chunks deleted:
        naming it again answers `error` without reading them."""
        error.details = {**(error.details or {}), "upload": doc["_id"]}
        failed = self.db[COLLECTION].update_one(
            {"_id": doc["_id"], "state": OPEN},
            {"$set": {"state": FAILED, "chunks_left_since": _now(),
                      "error": {"status": error.status, "code": error.code,
                                "message": error.message, "details": error.details}}})
        if failed.modified_count:
            _cleaner.submit(_forget_quietly, self.db, self.store, doc["_id"])
        raise error

    def claim(self, report_id: str) -> None:
        """Marks every upload used by `report_id`; 409 `upload_used` if another report took
        one meanwhile (those this call claimed are then given back)."""
        now = _now()
        for item in self.pending:
            if self._take(item, report_id, now):
                continue
            again = self.db[COLLECTION].find_one({"_id": item.upload_id},
                                                 {"report_id": 1, "state": 1})
            if again is None or again.get("report_id") != report_id:
                self.release(report_id)
                if again is None or again["state"] == EXPIRED:  # it ran out meanwhile
                    raise _expired_error(item.upload_id)
                raise _used_error(item.upload_id)

    def _take(self, item: Pending, report_id: str, now: datetime) -> bool:
        taken = self.db[COLLECTION].update_one(
            {"_id": item.upload_id, "state": OPEN},
            {"$set": {"state": USED, "report_id": report_id, "photo_sha256": item.sha256,
                      "used_at": now, "chunks_left_since": now}})
        if taken.modified_count:
            self.claimed.append(item.upload_id)
        return bool(taken.modified_count)

    def confirm(self, report_id: str) -> None:
        """The report is stored by this call: an upload another request with the same key
        had claimed, and gave back when its own attempt failed, is claimed again."""
        now = _now()
        for item in self.pending:
            if item.upload_id not in self.claimed:
                self._take(item, report_id, now)

    def release(self, report_id: str) -> None:
        """Gives back the uploads this call claimed (the report was not stored)."""
        for upload_id in self.claimed:
            self.db[COLLECTION].update_one(
                {"_id": upload_id, "state": USED, "report_id": report_id},
                {"$set": {"state": OPEN},
                 "$unset": {"report_id": "", "photo_sha256": "", "used_at": "",
                            "chunks_left_since": ""}})
        self.claimed = []

    def finish(self) -> None:
        """The report is stored: its uploads' chunks go, beside the answer."""
        for upload_id in self.claimed:
            _cleaner.submit(_forget_quietly, self.db, self.store, upload_id)


def _forget_quietly(db: Database, store: ObjectStore, upload_id: str) -> None:
    try:
        forget_chunks(db, store, upload_id)
    except Exception:  # a later purge deletes them (`chunks_left_since`)
        log.exception("chunks of upload %s not deleted", upload_id)
