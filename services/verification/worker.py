"""Verification consumer: judges a submitted report's photos and stores publishable copies."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from aduan.domain.lifecycle import Actor
from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.images import ALLOWED_FORMATS, enable_heif
from aduan.infra.messaging import Delivery, Publisher, run_consumer_process
from aduan.infra.outbox import flush
from aduan.infra.reports import transition
from aduan.infra.storage import ObjectStore
from aduan.web.errors import PermanentError
from services.verification.copies import publish_copies
from services.verification.duplicates import DuplicateMatch, find_duplicate, remember
from services.verification.judge import PhotoFinding, examine_photo
from services.verification.policy import Policy, load_policies

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="verification")


def _union(lists: list[list[str]]) -> list[str]:
    merged: list[str] = []
    for items in lists:
        merged.extend(item for item in items if item not in merged)
    return merged


class Verifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policies = load_policies(settings)  # a bad policy stops the worker at start
        self.formats = enable_heif() if settings.heif_enabled else ALLOWED_FORMATS
        self.db = get_db(settings)
        self.store = ObjectStore(settings)
        self.publisher = Publisher(settings)

    def handle(self, delivery: Delivery) -> None:
        report_id = delivery.body.get("report_id")
        report = self.db.reports.find_one({"_id": report_id}) if report_id else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        # `verifying` is recorded with the verdict, in the same write; a report left in it by
        # an earlier version of this worker is judged all the same.
        if report["status"] not in ("submitted", "verifying"):
            log.info("report %s already judged; nothing to do", report_id)
            return
        self._judge(report, delivery.correlation_id)

    def _examine(self, report: dict[str, Any], photo: dict[str, Any], policy: Policy
                 ) -> tuple[PhotoFinding, DuplicateMatch | None]:
        data = self.store.get(self.store.raw_bucket, photo["raw_key"])
        started = time.perf_counter()
        claimed = (report["location"]["lat"], report["location"]["lon"])
        finding = examine_photo(data, policy, report["created_at"], claimed,
                                self.settings.max_image_pixels, self.formats)
        match = None
        if finding.rendition is not None:
            value = finding.rendition.dhash
            if policy.enabled("possible_duplicate"):
                match = find_duplicate(self.db, report["city"], value, report["created_at"],
                                       report["_id"], policy.duplicate_max_distance)
            remember(self.db, report["city"], report, photo["id"], value)
        metrics.verification_photo_duration.observe(time.perf_counter() - started)
        return finding, match

    def _judge(self, report: dict[str, Any], correlation_id: str | None) -> None:
        started_at = datetime.now(UTC)
        city = report["city"]
        policy = self.policies[city]
        photos, renditions, reasons, flags = [], [], [], []
        duplicate: DuplicateMatch | None = None
        for photo in report["photos"]:
            finding, match = self._examine(report, photo, policy)
            found = list(finding.reasons)
            entry = {**photo, "metadata": finding.metadata}
            if match is not None:
                found.append("possible_duplicate")
                entry["possible_duplicate_of"] = match.as_doc()
                if duplicate is None or match.distance < duplicate.distance:
                    duplicate = match
            decided, flagged = policy.split(found)
            photos.append({**entry, "reasons": decided, "flags": flagged})
            renditions.append(finding.rendition)
            reasons.append(decided)
            flags.append(flagged)
        all_reasons, all_flags = _union(reasons), _union(flags)
        outcome = policy.verdict(all_reasons)
        if outcome != "rejected":
            photos = [
                publish_copies(self.store, city, report["_id"], photo, rendition)
                if rendition is not None else photo
                for photo, rendition in zip(photos, renditions, strict=True)
            ]
        updated, events = transition(
            self.db, report, outcome, SYSTEM,
            note=", ".join(all_reasons) or None,
            extra_set={
                "photos": photos,
                "verification": {"verdict": outcome, "reasons": all_reasons, "flags": all_flags},
                "possible_duplicate_of": duplicate.as_doc() if duplicate else None,
            },
            correlation_id=correlation_id,
            via=("verifying", started_at) if report["status"] == "submitted" else None,
        )
        if updated is None:
            log.info("report %s was judged concurrently", report["_id"])
            return
        metrics.verification_verdicts.labels(outcome).inc()
        for reason in all_reasons + all_flags:
            metrics.verification_reasons.labels(reason).inc()
        if duplicate is not None:
            metrics.verification_duplicates.inc()
        flush(self.db, report["_id"], events, self.publisher)


def main() -> None:
    run_consumer_process("verification", lambda settings: Verifier(settings).handle)


if __name__ == "__main__":
    main()
