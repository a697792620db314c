"""Routing consumer: forwards each verified report to the agency its category belongs to."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aduan.config import Settings
from aduan.db import get_db
from aduan.errors import PermanentError
from aduan.geo import kecamatan_of
from aduan.logs import setup_logging
from aduan.messaging import Consumer, Delivery, Publisher
from aduan.outbox import flush
from aduan.workflow import Actor, transition

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="routing")
KECAMATAN_MARGIN_M = 500.0


class Router:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = get_db(settings)
        self.publisher = Publisher(settings)

    def handle(self, delivery: Delivery) -> None:
        if delivery.routing_key != "report.verified":
            return  # reviews and rejections wait for an operator; nothing to route yet
        report_id = delivery.body.get("report_id")
        report = self.db.reports.find_one({"_id": report_id}) if report_id else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        if report["status"] != "verified":
            log.info("report %s is %s; nothing to route", report_id, report["status"])
            return
        self._route(report, delivery.correlation_id)

    def _route(self, report: dict[str, Any], correlation_id: str | None) -> None:
        city = report["city"]
        category = self.db.categories.find_one({"city": city, "code": report["category"]})
        location = report["location"]
        area = kecamatan_of(city, location["lat"], location["lon"], KECAMATAN_MARGIN_M)
        kecamatan = {"code": area.code, "name": area.name} if area else None
        if category is None or not category.get("agency"):
            self.db.reports.update_one(
                {"_id": report["_id"], "status": "verified"},
                {"$set": {"triage": True, "kecamatan": kecamatan}},
            )
            log.warning("no routing rule for %s/%s; left to operator triage",
                        city, report["category"])
            return
        agency = self.db.agencies.find_one({"city": city, "code": category["agency"]})
        now = datetime.now(UTC)
        assignment = {
            "code": category["agency"],
            "name": agency["name_id"] if agency else category["agency"],
            "status": "forwarded",
            "forwarded_at": now,
        }
        updated, events = transition(
            self.db, report, "forwarded", SYSTEM,
            note=f"diteruskan ke {assignment['code']}",
            extra_set={"agencies": [assignment], "kecamatan": kecamatan, "triage": False},
            correlation_id=correlation_id,
        )
        if updated is not None:
            flush(self.db, report["_id"], events, self.publisher)


def main() -> None:
    settings = Settings.from_env()
    setup_logging("routing-worker", settings.log_level)
    router = Router(settings)
    consumer = Consumer(settings, "routing", router.handle)
    consumer.install_signal_handlers()
    consumer.run()
    router.publisher.close()


if __name__ == "__main__":
    main()
