"""An operator overrides the verdict on a report's photos, with a note.

needs_review → verified | rejected, and rejected → verified (an automatic rejection that was
wrong, e.g. a GPS fix just outside a simplified boundary). Publishing follows the verdict: a
report made verified gets its public copies (rendered now if the worker never made them); a
report made rejected has them withdrawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator
from pymongo.database import Database

from aduan.domain.lifecycle import Actor, can_transition, transition
from aduan.infra import metrics
from aduan.infra.images import ImageRejected, open_image, render
from aduan.infra.messaging import Publisher
from aduan.infra.outbox import flush
from aduan.infra.storage import ObjectStore
from aduan.web.auth import Principal
from aduan.web.errors import ApiError
from aduan.web.validation import Strict
from services.verification.copies import delete_copies, publish_copies, unpublished

log = logging.getLogger(__name__)
OVERRIDABLE = frozenset({"needs_review", "rejected"})


class VerdictIn(Strict):
    verdict: Literal["verified", "rejected"]
    note: str = Field(min_length=1, max_length=2000)

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a note is required")
        return value


def _not_overridable(report: dict[str, Any], target: str) -> ApiError:
    return ApiError(409, "verdict_not_overridable",
                    f"A report that is {report['status']} cannot be made {target}.",
                    {"status": report["status"], "verdict": target})


@dataclass
class VerdictOverride:
    db: Database
    store: ObjectStore
    publisher: Publisher
    max_pixels: int
    formats: frozenset[str]

    def apply(self, code: str, change: VerdictIn, principal: Principal,
              correlation_id: str | None) -> dict[str, Any]:
        report = self.db.reports.find_one({"code": code}) if len(code) <= 40 else None
        if report is None:
            raise ApiError(404, "report_not_found", "No report has this tracking code.")
        if principal.city != report["city"]:
            raise ApiError(403, "other_city", "This report belongs to another city.",
                           {"city": report["city"]})
        target = change.verdict
        if report["status"] not in OVERRIDABLE or not can_transition(report["status"], target):
            raise _not_overridable(report, target)
        photos = self._photos_for(report, target)
        now = datetime.now(UTC)
        override = {"verdict": target, "from": report["status"], "note": change.note,
                    "by": principal.user_id, "at": now}
        updated, events = transition(
            self.db, report, target,
            Actor(kind="staff", id=principal.user_id, role=principal.role),
            note=change.note,
            extra_set={"photos": photos, "verification.verdict": target,
                       "verification.override": override},
            correlation_id=correlation_id,
        )
        if updated is None:  # someone moved the report since it was read
            current = self.db.reports.find_one({"_id": report["_id"]}, {"status": 1}) or report
            raise _not_overridable({**report, "status": current["status"]}, target)
        metrics.verification_overrides.labels(target).inc()
        flush(self.db, report["_id"], events, self.publisher)
        if target == "rejected":
            self._withdraw(report["photos"])
        return {"code": updated["code"], "status": updated["status"],
                "verification": {**updated.get("verification", {}),
                                 "override": {**override, "at": now.isoformat()}}}

    def _withdraw(self, photos: list[dict[str, Any]]) -> None:
        # The report no longer points at the copies, so a failure here only leaves an orphan.
        for photo in photos:
            try:
                delete_copies(self.store, photo)
            except Exception as err:  # any S3 failure: log it, the verdict already stands
                log.warning("copies of photo %s not deleted: %s", photo.get("id"), err)

    def _photos_for(self, report: dict[str, Any], target: str) -> list[dict[str, Any]]:
        if target == "rejected":
            return [unpublished(photo) for photo in report["photos"]]
        return [photo if photo.get("public_key") else self._publish(report, photo)
                for photo in report["photos"]]

    def _publish(self, report: dict[str, Any], photo: dict[str, Any]) -> dict[str, Any]:
        data = self.store.get(self.store.raw_bucket, photo["raw_key"])
        try:
            rendition = render(open_image(data, self.max_pixels, self.formats))
        except ImageRejected as rejected:
            log.info("photo %s stays unpublished: %s", photo["id"], rejected.reason)
            return photo
        return publish_copies(self.store, report["city"], report["_id"], photo, rendition)
