"""Accepting a report: photos stored, the report created (`aduan.domain.lifecycle.new_report`)
and stored with its event in the outbox (`Reports.create`); the event is published beside the
answer (or, should that fail, by the outbox relay)."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ServerSelectionTimeoutError

from aduan.contracts.reports import ReportIn
from aduan.domain.codes import new_code
from aduan.domain.keywords import keywords
from aduan.domain.lifecycle import Actor, new_report
from aduan.infra import metrics
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Event, Publisher
from aduan.infra.reports import Reports
from aduan.infra.storage import ObjectStore
from aduan.infra.tokens import idempotent_report_id, reporter_token
from aduan.infra.tracking_links import reporter_link, tracking_page
from aduan.web.errors import ApiError
from aduan.web.photos import EXTENSIONS, Photo
from services.intake.reporter_contacts import contact_keys
from services.intake.resumable import REPLAY_WAIT_S, UploadedPhotos, UploadGone

log = logging.getLogger(__name__)
# How long photos of a submission refused for want of the database wait for it to answer
# whether the report was stored after all (`Intake._forget_photos`).
FORGET_WAIT_S = 120.0
REPORTER = Actor(kind="reporter", id=None)


def fingerprint(payload: ReportIn, photos: list[Photo], uploaded: list[str] = ()) -> str:
    """The request's fingerprint: its fields and its photos' SHA-256, those of file parts then
    `uploaded` (the hex digests of resumable uploads' photos). The uploads' ids are not in it:
    a retry that had to upload a photo again (its first upload's document gone with time) is
    the same request."""
    fields = payload.model_dump(mode="json")
    fields.pop("uploads", None)
    # Left out when not given, so reports filed before this field existed keep their print.
    if fields.get("device_location") is None:
        fields.pop("device_location", None)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
    for photo in photos:
        digest.update(bytes.fromhex(photo.sha256))
    for hex_digest in uploaded:
        digest.update(bytes.fromhex(hex_digest))
    return digest.hexdigest()


# Draws of a tracking code before giving up; two in a row colliding is already ~1e-26.
CODE_DRAWS = 5


def tracking_code(city: str, now: datetime) -> str:
    return new_code(cities()[city]["code_prefix"], now.year)


def receipt(report: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return {
        "id": report["_id"],
        "code": report["code"],
        "status": "submitted",
        "token": reporter_token(reporter_token_keys(settings), report["_id"]),
        "tracking_url": tracking_page(settings, report["code"]),
        "tracking_link": reporter_link(settings, report),
    }


@dataclass(frozen=True)
class Accepted:
    """A stored report: the client's receipt, and the events still to publish (none for a
    retry answered from an earlier submission)."""

    receipt: dict[str, Any]
    report_id: str
    events: list[Event]


class Intake:
    def __init__(self, settings: Settings, db: Database, store: ObjectStore,
                 publisher: Publisher | None) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.reports = Reports(db, publisher)
        # Publishing happens beside the answer, not before it: the event is stored already.
        self._announcer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="announce")

    def submit(
        self,
        payload: ReportIn,
        photos: list[Photo],
        idempotency_key: str | None,
        request_id: str | None,
        filed_by: str | None = None,
        uploaded: UploadedPhotos | None = None,
    ) -> Accepted:
        """`uploaded`: the resumable uploads the report names (services/intake/resumable.py),
        checked, used up by this report, and their chunks deleted once it is stored."""
        city = payload.city or self.settings.default_city
        if idempotency_key:
            report_id = idempotent_report_id(self.settings.token_secret, idempotency_key)
        else:
            report_id = uuid.uuid4().hex
        if uploaded is None:
            # A retry of a report with file parts only is found by the insert itself (its
            # `_id` comes from the key: DuplicateKeyError, answered from the first submission,
            # its photos stored again then deleted), which saves every first submission a read.
            return self._create(payload, photos, idempotency_key, request_id, filed_by, city,
                                report_id, fingerprint(payload, photos))
        # Uploads: a retry is answered before any is assembled or claimed.
        uploaded.read(report_id)
        if idempotency_key:
            earlier = self._replay_uploads(report_id, payload, photos, uploaded)
            if earlier:
                return Accepted(earlier, report_id, [])
        uploaded.check(report_id)
        try:
            all_photos = [*photos, *uploaded.photos(report_id)]
        except UploadGone:
            # Used by this very report, whose chunks are gone: a concurrent request with the
            # same key stored it (after this one looked) and deleted them. Answer as it did.
            earlier = self._replay_uploads(report_id, payload, photos, uploaded,
                                           wait_s=REPLAY_WAIT_S) if idempotency_key else None
            if earlier is None:
                raise
            return Accepted(earlier, report_id, [])
        request_print = fingerprint(payload, photos, uploaded.digests)
        uploaded.claim(report_id)
        try:
            accepted = self._create(payload, all_photos, idempotency_key, request_id, filed_by,
                                    city, report_id, request_print)
        except BaseException:
            uploaded.release(report_id)
            raise
        if accepted.events:  # stored by this call (not answered from a concurrent one)
            uploaded.confirm(report_id)
        uploaded.finish()
        return accepted

    def _replay_uploads(self, report_id: str, payload: ReportIn, photos: list[Photo],
                        uploaded: UploadedPhotos, wait_s: float = 0.0) -> dict[str, Any] | None:
        """The first submission's answer when the key's report exists (waiting up to `wait_s`
        for it), the uploads' digests taken without assembling what that report used."""
        deadline = time.monotonic() + wait_s
        while True:
            earlier = self.db.reports.find_one({"_id": report_id},
                                               {"code": 1, "fingerprint": 1, "photos.sha256": 1})
            if earlier is not None or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if earlier is None:
            return None
        stored = [photo.get("sha256", "") for photo in earlier.get("photos") or []]
        digests = uploaded.replay_digests(report_id, stored, len(photos))
        return self._answer(earlier, fingerprint(payload, photos, digests))

    def _create(self, payload: ReportIn, photos: list[Photo], idempotency_key: str | None,
                request_id: str | None, filed_by: str | None, city: str, report_id: str,
                request_print: str) -> Accepted:
        now = datetime.now(UTC)
        stored_photos = self._store_photos(city, report_id, photos)
        location = payload.location
        fields: dict[str, Any] = {
            "_id": report_id,
            "code": tracking_code(city, now),
            "city": city,
            "category": payload.category,
            "type": payload.type,
            "description": payload.description,
            # Null where the type lets it go without one; an address alone has no point.
            "location": location.model_dump() if location else None,
            "channel": payload.channel,
            "privacy": payload.privacy,
            "reporter": payload.reporter.model_dump() if payload.reporter else None,
            "photos": stored_photos,
            # Skips the photo checks and goes to an operator (`report_types.NO_PHOTO`).
            "no_photo": not stored_photos,
            "request_id": request_id,
            "fingerprint": request_print,
            "keywords": keywords(payload.description, location.address if location else None),
            "filed_by": filed_by,
        }
        if location is not None and location.has_point:
            fields["geo"] = {"type": "Point", "coordinates": [location.lon, location.lat]}
        if payload.media_fetch_failed and not stored_photos:  # Open311: why there is no photo
            fields["media_fetch_failed"] = payload.media_fetch_failed
        if idempotency_key:
            fields["idempotency_key"] = idempotency_key
        if payload.device_location is not None:  # the phone's own reading, a second proof
            fields["device_location"] = payload.device_location.model_dump()
        if contacts := contact_keys(payload.reporter.model_dump() if payload.reporter else None,
                                    reporter_token_keys(self.settings)):
            fields["contact_keys"] = contacts  # the reporter's other reports, after recovery
        if payload.external_id is not None:  # only from a connector (services/intake/api.py)
            fields["external"] = {"system": payload.channel, "id": payload.external_id}
        for draw in range(CODE_DRAWS):
            report, event = new_report(fields, REPORTER, now)
            try:
                message = self.reports.create(report, event, request_id)
                break
            except ConnectionFailure as err:  # the database is away: answered 503
                self._forget_photos(report_id, stored_photos, err)
                raise
            except DuplicateKeyError:
                if self.db.reports.find_one({"_id": report_id}, {"_id": 1}) is not None:
                    # A concurrent retry with the same key won the race: answer as it did.
                    self._delete_photos(stored_photos)
                    earlier = self._replay(report_id, request_print) if idempotency_key \
                        else None
                    if earlier is None:
                        raise
                    return Accepted(earlier, report_id, [])
                if draw == CODE_DRAWS - 1:
                    self._delete_photos(stored_photos)
                    raise
                # Another report holds this random code: draw a new one.
                fields["code"] = tracking_code(city, now)
        metrics.reports_submitted.labels(city, payload.channel).inc()
        return Accepted(receipt(report, self.settings), report_id, [message])

    def announce_later(self, accepted: Accepted) -> None:
        if accepted.events:
            self._announcer.submit(self.announce, accepted)

    def announce(self, accepted: Accepted) -> None:
        """Publishes the accepted report's event. The event is in the report's outbox already,
        so this may run after the client has its answer; if it fails, the relay sends it."""
        if not accepted.events:
            return
        try:
            self.reports.publish(accepted.report_id, accepted.events)
        except Exception:  # the outbox relay publishes it later
            log.exception("event of report %s left to the relay", accepted.report_id)

    def _replay(self, report_id: str, request_print: str) -> dict[str, Any] | None:
        earlier = self.db.reports.find_one({"_id": report_id}, {"code": 1, "fingerprint": 1})
        if earlier is None:
            return None
        return self._answer(earlier, request_print)

    def _answer(self, earlier: dict[str, Any], request_print: str) -> dict[str, Any]:
        if earlier["fingerprint"] != request_print:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request.",
            )
        return receipt(earlier, self.settings)

    def _store_photos(self, city: str, report_id: str, photos: list[Photo]) -> list[dict]:
        stored = []
        for photo in photos:
            photo_id = uuid.uuid4().hex
            key = f"{city}/{report_id}/{photo_id}.{EXTENSIONS[photo.content_type]}"
            self.store.put(self.store.raw_bucket, key, photo.data, photo.content_type)
            stored.append(
                {
                    "id": photo_id,
                    "raw_key": key,
                    "content_type": photo.content_type,
                    "size": len(photo.data),
                    "sha256": photo.sha256,
                }
            )
        return stored

    def _forget_photos(self, report_id: str, stored: list[dict], err: ConnectionFailure) -> None:
        """Best effort, when the insert failed for want of the database: deletes the photos
        this request stored. When the write may have reached the database (a connection lost
        after it was sent), they are deleted only once the report is known not to be there,
        looked up in the background until the database answers: a report is never left
        pointing at deleted photos."""
        if not stored:
            return
        if isinstance(err, ServerSelectionTimeoutError):  # never sent: nothing was stored
            self._delete_photos_quietly(report_id, stored)
            return
        threading.Thread(target=self._forget_when_known, args=(report_id, stored),
                         name="forget-photos", daemon=True).start()

    def _forget_when_known(self, report_id: str, stored: list[dict],
                           wait_s: float = FORGET_WAIT_S) -> None:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if self.db.reports.find_one({"_id": report_id}, {"_id": 1}) is None:
                    self._delete_photos_quietly(report_id, stored)
                return
            except ConnectionFailure:
                if time.monotonic() >= deadline:
                    log.warning("photos of %s kept: can't tell whether it was stored",
                                report_id)
                    return
                time.sleep(1.0)

    def _delete_photos_quietly(self, report_id: str, stored: list[dict]) -> None:
        try:
            self._delete_photos(stored)
        except Exception:  # best effort: the answer is 503 whatever happens here
            log.exception("photos of unstored report %s left in the object store", report_id)

    def _delete_photos(self, stored: list[dict]) -> None:
        for photo in stored:
            self.store.delete(self.store.raw_bucket, photo["raw_key"])
