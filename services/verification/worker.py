"""Verification consumer: judges a submitted report's photos and stores publishable copies."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aduan import metrics
from aduan.catalogue import cities
from aduan.config import Settings
from aduan.db import get_db
from aduan.errors import PermanentError
from aduan.logs import setup_logging
from aduan.messaging import Consumer, Delivery, Publisher
from aduan.outbox import flush
from aduan.storage import ObjectStore
from aduan.workflow import Actor, transition
from services.verification.checks import CheckLimits, verdict
from services.verification.images import Rendition
from services.verification.judge import examine_photo

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="verification")


class Verifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = get_db(settings)
        self.store = ObjectStore(settings)
        self.publisher = Publisher(settings)

    def handle(self, delivery: Delivery) -> None:
        report_id = delivery.body.get("report_id")
        report = self.db.reports.find_one({"_id": report_id}) if report_id else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        if report["status"] == "submitted":
            claimed, _ = transition(self.db, report, "verifying", SYSTEM,
                                    correlation_id=delivery.correlation_id)
            report = claimed or self.db.reports.find_one({"_id": report_id})
        if report is None or report["status"] != "verifying":
            log.info("report %s already judged; nothing to do", report_id)
            return
        self._judge(report, delivery.correlation_id)

    def _judge(self, report: dict[str, Any], correlation_id: str | None) -> None:
        city = report["city"]
        limits = CheckLimits(
            city=city,
            margin_m=self.settings.city_margin_m,
            max_age=timedelta(hours=self.settings.photo_max_age_hours),
            future_tolerance=timedelta(minutes=self.settings.photo_future_tolerance_minutes),
        )
        claimed = (report["location"]["lat"], report["location"]["lon"])
        timezone = cities()[city]["timezone"]
        photos, renditions, all_reasons = [], [], []
        for photo in report["photos"]:
            data = self.store.get(self.store.raw_bucket, photo["raw_key"])
            finding = examine_photo(data, limits, timezone, report["created_at"], claimed,
                                    self.settings.max_image_pixels)
            photos.append({**photo, "reasons": finding.reasons, "metadata": finding.metadata})
            renditions.append(finding.rendition)
            all_reasons.extend(r for r in finding.reasons if r not in all_reasons)
        outcome = verdict(all_reasons)
        if outcome != "rejected":
            for photo, rendition in zip(photos, renditions, strict=True):
                if rendition is not None:
                    self._publish_copies(city, report["_id"], photo, rendition)
        updated, events = transition(
            self.db, report, outcome, SYSTEM,
            note=", ".join(all_reasons) or None,
            extra_set={
                "photos": photos,
                "verification": {"verdict": outcome, "reasons": all_reasons},
            },
            correlation_id=correlation_id,
        )
        if updated is None:
            log.info("report %s was judged concurrently", report["_id"])
            return
        metrics.verification_verdicts.labels(outcome).inc()
        for reason in all_reasons:
            metrics.verification_reasons.labels(reason).inc()
        flush(self.db, report["_id"], events, self.publisher)

    def _publish_copies(self, city: str, report_id: str, photo: dict, rendition: Rendition
                        ) -> None:
        # Keys are derived from server-made ids, so a redelivered message overwrites, never adds.
        base = f"{city}/{report_id}/{photo['id']}"
        photo["public_key"] = f"{base}.jpg"
        photo["thumbnail_key"] = f"{base}_thumb.jpg"
        bucket = self.store.public_bucket
        self.store.put(bucket, photo["public_key"], rendition.public_jpeg, "image/jpeg")
        self.store.put(bucket, photo["thumbnail_key"], rendition.thumbnail_jpeg, "image/jpeg")
        photo["public_size"] = [rendition.width, rendition.height]


def main() -> None:
    settings = Settings.from_env()
    setup_logging("verification-worker", settings.log_level)
    verifier = Verifier(settings)
    consumer = Consumer(settings, "verification", verifier.handle)
    consumer.install_signal_handlers()
    consumer.run()
    verifier.publisher.close()


if __name__ == "__main__":
    main()
