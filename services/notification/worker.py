"""Notification consumer: tells reporters about each step of their report, once."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from aduan import metrics
from aduan.config import Settings
from aduan.db import get_db
from aduan.errors import PermanentError
from aduan.logs import mask_email, setup_logging
from aduan.messaging import Consumer, Delivery
from services.notification.email import send_email
from services.notification.templates import render_status_message

log = logging.getLogger(__name__)

# Steps a reporter is told about.
REPORTER_EVENTS = frozenset({
    "report.submitted", "report.rejected", "report.forwarded", "report.referred",
    "report.status_changed",
})


class Notifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = get_db(settings)

    def handle(self, delivery: Delivery) -> None:
        if delivery.routing_key not in REPORTER_EVENTS:
            return
        report_id = delivery.body.get("report_id")
        report = self.db.reports.find_one({"_id": report_id}) if report_id else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        email = (report.get("reporter") or {}).get("email")
        if email:
            self._email_reporter(delivery, report, email)

    def _email_reporter(self, delivery: Delivery, report: dict[str, Any], email: str) -> None:
        status = delivery.body.get("status", report["status"])
        recipient_hash = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
        delivery_id = f"{delivery.message_id}:email:{recipient_hash}"
        if not self._claim(delivery_id, report, delivery, email):
            return
        agency = next((a["name"] for a in report.get("agencies", [])), None)
        message = render_status_message(
            (report.get("reporter") or {}).get("language", "id"),
            report["code"],
            status,
            f"{self.settings.public_base_url}/api/v1/reports/{report['code']}",
            agency if status == "forwarded" else None,
        )
        try:
            send_email(self.settings, email, message, delivery_id.replace(":", "."))
        except Exception as err:
            self.db.deliveries.update_one(
                {"_id": delivery_id},
                {"$set": {"result": "failed", "error": str(err)[:300]}, "$inc": {"attempts": 1}},
            )
            metrics.notifications_sent.labels("email", "failed").inc()
            raise
        self.db.deliveries.update_one(
            {"_id": delivery_id},
            {"$set": {"result": "sent", "sent_at": datetime.now(UTC)}, "$inc": {"attempts": 1}},
        )
        metrics.notifications_sent.labels("email", "sent").inc()
        log.info("emailed %s about %s", mask_email(email), report["code"])

    def _claim(self, delivery_id: str, report: dict, delivery: Delivery, email: str) -> bool:
        """Records the delivery before sending; False when it was already sent."""
        try:
            self.db.deliveries.insert_one({
                "_id": delivery_id,
                "report_id": report["_id"],
                "event": delivery.routing_key,
                "channel": "email",
                "recipient": mask_email(email),
                "result": "pending",
                "attempts": 0,
                "created_at": datetime.now(UTC),
            })
        except DuplicateKeyError:
            earlier = self.db.deliveries.find_one({"_id": delivery_id}, {"result": 1})
            return not (earlier and earlier["result"] == "sent")
        return True


def main() -> None:
    settings = Settings.from_env()
    setup_logging("notification-worker", settings.log_level)
    consumer = Consumer(settings, "notification", Notifier(settings).handle)
    consumer.install_signal_handlers()
    consumer.run()


if __name__ == "__main__":
    main()
