"""Resumable photo uploads: a photo sent in chunks over a weak signal, then filed with a report
(`"uploads": [id, ...]` in the report JSON, services/intake/api.py).

- `POST /uploads {size, content_type?, sha256?}` opens one (201); `PUT /uploads/<id>/chunks/
  <index>` stores a chunk, in any order, the same bytes again being harmless (other bytes: 409
  `chunk_conflict`); `GET /uploads/<id>` says which chunks are still missing.
- Chunks are objects in the raw bucket under `uploads/<id>/`, named by index and digest (two
  senders of different bytes never overwrite each other's); the upload's state is a document
  in `uploads`, each chunk recorded by one conditional update.
- Filing assembles the chunks and checks the photo exactly as a `photo` file part
  (`aduan.web.photos.check_photo`); the upload is then `used` by that report and its chunks
  deleted. A retry with the same Idempotency-Key is answered from the report, the upload's
  photo digest standing in for the bytes in the request's fingerprint.
- An unfinished upload expires `upload_expiry_s` after it was opened (410 `upload_expired`);
  its chunks are deleted when it is next touched or by the bounded purge each new upload
  runs (`purge_expired`), so the purge keeps up with whatever rate uploads are opened at.
  Documents of used and expired uploads go by the TTL index on `purge_at`; chunks whose
  deletion failed are deleted by a later purge (`chunks_left_since`).
- One address may have `uploads_open_per_ip` unfinished uploads (429 `too_many_uploads`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from minio.error import S3Error
from pymongo.database import Database

from aduan.contracts.uploads import UploadIn
from aduan.domain.upload_chunks import ChunkPlan
from aduan.infra.config import Settings
from aduan.infra.storage import ObjectStore
from aduan.web.app import collaborators
from aduan.web.errors import ApiError
from aduan.web.photos import Photo, check_photo
from aduan.web.validation import parse_json_object, validate

log = logging.getLogger(__name__)

COLLECTION = "uploads"
PREFIX = "uploads"
OPEN, USED, EXPIRED = "open", "used", "expired"
# Documents of used and expired uploads are kept this long: Idempotency-Key retries of the
# report that used one are answered from them, and a late chunk gets 410, not 404.
KEEP = timedelta(days=7)
# Expired uploads whose chunks each new upload deletes: more than one, so the purge catches up
# with whatever a quiet spell left behind.
PURGE_BATCH = 5
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
    for key in store.keys(store.raw_bucket, f"{PREFIX}/{upload_id}/"):
        store.delete(store.raw_bucket, key)


def forget_chunks(db: Database, store: ObjectStore, upload_id: str) -> None:
    """Deletes an expired or used upload's chunks, then says so (`chunks_left_since` gone)."""
    delete_chunks(store, upload_id)
    db[COLLECTION].update_one({"_id": upload_id},
                              {"$unset": {"parts": "", "chunks_left_since": ""}})


def expire(db: Database, store: ObjectStore, doc: dict[str, Any], now: datetime) -> None:
    """Marks an open upload past its time expired and deletes its chunks."""
    marked = db[COLLECTION].update_one(
        {"_id": doc["_id"], "state": OPEN},
        {"$set": {"state": EXPIRED, "purge_at": now + KEEP, "chunks_left_since": now}})
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
    return doc


def _used_error(upload_id: str) -> ApiError:
    return ApiError(409, "upload_used", "This upload was already filed with a report.",
                    {"upload": upload_id})


def client_address() -> str:
    return request.headers.get(CLIENT_ADDRESS_HEADER) or request.remote_addr or ""


@blueprint.post("/uploads")
def open_upload() -> tuple[Response, int]:
    context = collaborators()
    settings, db, store = context.settings, context.db, context.store
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON.")
    body = validate(UploadIn, parse_json_object(request.get_data(), "The body"))
    if body.size > settings.max_photo_bytes:
        raise ApiError(413, "photo_too_large",
                       f"Each photo may be at most {settings.max_photo_bytes} bytes.",
                       {"size": body.size, "max": settings.max_photo_bytes})
    now = _now()
    try:
        purge_expired(db, store, now)
    except Exception:  # the next upload purges them; this one need not fail for it
        log.exception("purging expired uploads failed")
    address = client_address()
    open_count = db[COLLECTION].count_documents(
        {"address": address, "state": OPEN, "expires_at": {"$gt": now}},
        limit=settings.uploads_open_per_ip)
    if open_count >= settings.uploads_open_per_ip:
        raise ApiError(429, "too_many_uploads",
                       "Too many unfinished uploads from this address; finish or file them.",
                       {"limit": settings.uploads_open_per_ip})
    doc = {"_id": uuid.uuid4().hex, "size": body.size, "chunk_size": settings.upload_chunk_bytes,
           "content_type": body.content_type, "sha256": body.sha256, "address": address,
           "state": OPEN, "parts": {}, "created_at": now,
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
        {"$set": {f"parts.{name}": {"key": key, "sha256": digest}}},
        return_document=True)
    if recorded is not None:
        return jsonify(view(recorded))
    # Another request got there first (the same bytes are fine, others a conflict), or the
    # upload expired or was filed meanwhile: an object not recorded is not left behind.
    now_doc = db[COLLECTION].find_one({"_id": upload_id})
    kept = ((now_doc or {}).get("parts") or {}).get(name)
    if kept is None or kept["key"] != key:
        store.delete(store.raw_bucket, key)
    if now_doc is None:
        raise _not_found(upload_id)
    if now_doc["state"] == EXPIRED:
        raise _expired_error(upload_id)
    if now_doc["state"] == USED:
        raise _used_error(upload_id)
    if kept is None or kept["sha256"] != digest:
        raise _conflict(index)
    return jsonify(view(now_doc))


def _conflict(index: int) -> ApiError:
    return ApiError(409, "chunk_conflict",
                    "This chunk was already received with other bytes.", {"index": index})


# ---- filing: the uploads a report names ----------------------------------------------------


@dataclass
class Pending:
    """One upload a report names: its photo (None until assembled, or when it was used by
    this very report already and only its digest is needed for the fingerprint)."""

    upload_id: str
    doc: dict[str, Any]
    sha256: str | None = None
    photo: Photo | None = None


@dataclass
class UploadedPhotos:
    """The uploads one report submission names, from checking them to using them up."""

    settings: Settings
    db: Database
    store: ObjectStore
    ids: list[str]
    pending: list[Pending] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)

    def check(self, report_id: str) -> None:
        """Every named upload exists, is complete, unused (or used by `report_id`: a retry),
        and its assembled photo passes the checks of a photo file part."""
        if len(set(self.ids)) != len(self.ids):
            raise ApiError(422, "duplicate_upload", "An upload is named twice.")
        now = _now()
        for upload_id in self.ids:
            doc = _live(self.db, self.store, upload_id, now)
            if doc["state"] == USED:
                if doc.get("report_id") != report_id:
                    raise _used_error(upload_id)
                self.pending.append(Pending(upload_id, doc, sha256=doc["photo_sha256"]))
                continue
            missing = _plan(doc).missing(_received(doc))
            if missing:
                raise ApiError(422, "upload_incomplete", "Some chunks of an upload are missing.",
                               {"upload": upload_id, "missing": missing})
            photo = self._assemble(doc)
            self.pending.append(Pending(upload_id, doc, hashlib.sha256(photo.data).hexdigest(),
                                        photo))

    @property
    def digests(self) -> list[str]:
        return [item.sha256 or "" for item in self.pending]

    def photos(self) -> list[Photo]:
        """Every named upload's photo; one this report used already is assembled again from
        its chunks (they are deleted only once the report exists)."""
        for item in self.pending:
            if item.photo is None:
                if not item.doc.get("parts"):
                    raise _expired_error(item.upload_id)
                item.photo = self._assemble(item.doc)
        return [item.photo for item in self.pending if item.photo is not None]

    def _assemble(self, doc: dict[str, Any]) -> Photo:
        plan, parts = _plan(doc), doc["parts"]
        try:
            data = b"".join(self.store.get(self.store.raw_bucket, parts[_part_name(i)]["key"])
                            for i in range(plan.chunks))
        except S3Error as err:  # expired (and purged) while this request read it
            if err.code not in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                raise
            raise _expired_error(doc["_id"]) from err
        if doc.get("sha256") and hashlib.sha256(data).hexdigest() != doc["sha256"]:
            raise ApiError(422, "upload_checksum_mismatch",
                           "The assembled photo does not have the SHA-256 given for it.",
                           {"upload": doc["_id"]})
        return check_photo(data, max_bytes=self.settings.max_photo_bytes,
                           name=f"upload {doc['_id']}")

    def claim(self, report_id: str) -> None:
        """Marks every upload used by `report_id`; 409 `upload_used` if another report took
        one meanwhile (those this call claimed are then given back)."""
        now = _now()
        for item in self.pending:
            taken = self.db[COLLECTION].update_one(
                {"_id": item.upload_id, "state": OPEN},
                {"$set": {"state": USED, "report_id": report_id, "photo_sha256": item.sha256,
                          "used_at": now, "purge_at": now + KEEP, "chunks_left_since": now}})
            if taken.modified_count:
                self.claimed.append(item.upload_id)
                continue
            again = self.db[COLLECTION].find_one({"_id": item.upload_id},
                                                 {"report_id": 1, "state": 1})
            if again is None or again.get("report_id") != report_id:
                self.release(report_id)
                if again is None or again["state"] == EXPIRED:  # it ran out meanwhile
                    raise _expired_error(item.upload_id)
                raise _used_error(item.upload_id)

    def release(self, report_id: str) -> None:
        """Gives back the uploads this call claimed (the report was not stored)."""
        for upload_id in self.claimed:
            self.db[COLLECTION].update_one(
                {"_id": upload_id, "state": USED, "report_id": report_id},
                {"$set": {"state": OPEN},
                 "$unset": {"report_id": "", "photo_sha256": "", "used_at": "",
                            "purge_at": "", "chunks_left_since": ""}})
        self.claimed = []

    def finish(self) -> None:
        """The report is stored: its uploads' chunks go, beside the answer."""
        for upload_id in self.claimed:
            _cleaner.submit(self._forget_chunks, upload_id)

    def _forget_chunks(self, upload_id: str) -> None:
        try:
            forget_chunks(self.db, self.store, upload_id)
        except Exception:  # a later purge deletes them (`chunks_left_since`)
            log.exception("chunks of upload %s not deleted", upload_id)
