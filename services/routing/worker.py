"""Routing consumer: applies the category's routing rule to each verified report (forward to
its agencies, refer to a vertical body, or leave it to the operators' triage queue) and starts
the forwarding SLA clock of reports waiting for an operator."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aduan.domain.lifecycle import Actor
from aduan.infra.calendar import calendar_from_setting
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Delivery, Publisher, run_consumer_process
from aduan.web.errors import PermanentError
from services.routing.actions import Workflow
from services.routing.rules import decide, kecamatan_of_report

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="routing")


class Router:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = get_db(settings)
        self.publisher = Publisher(settings)
        deadlines = Deadlines(settings, calendar_from_setting(settings.holiday_categories))
        self.workflow = Workflow(settings, self.db, self.publisher, deadlines)

    def handle(self, delivery: Delivery) -> None:
        if delivery.routing_key not in ("report.verified", "report.needs_review"):
            return  # rejections need nothing from routing
        report_id = delivery.body.get("report_id")
        report = self.db.reports.find_one({"_id": report_id}) if report_id else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        if report["status"] not in ("verified", "needs_review"):
            log.info("report %s is %s; nothing to route", report_id, report["status"])
            return
        category = self.workflow.category_of(report)
        facts = self._missing_facts(report, category)
        if report["status"] == "verified":
            self._route({**report, **facts}, category, facts, delivery.correlation_id)
        else:
            self._save(report, facts)

    def _missing_facts(self, report: dict[str, Any], category: dict[str, Any] | None
                       ) -> dict[str, Any]:
        """Kecamatan and forwarding deadline, where not set yet. They are written with the
        routing decision, in the same write, and each only once (a redelivery changes
        nothing); both follow from the report alone, so concurrent copies agree on them."""
        facts: dict[str, Any] = {}
        if "kecamatan" not in report:
            facts["kecamatan"] = kecamatan_of_report(report)
        if "forward_due_at" not in report:
            facts["forward_due_at"] = self.workflow.deadlines.forward_due(
                report["city"], category, report["created_at"])
        return facts

    def _save(self, report: dict[str, Any], facts: dict[str, Any]) -> None:
        """Each fact only where it is still missing (an operator may have set a deadline)."""
        if not facts:
            return
        done = self.db.reports.update_one({"_id": report["_id"], **_missing(facts)},
                                          {"$set": facts})
        if done.matched_count == 0 and len(facts) > 1:
            for name, value in facts.items():
                self.db.reports.update_one({"_id": report["_id"], **_missing({name: value})},
                                           {"$set": {name: value}})

    def _route(self, report: dict[str, Any], category: dict[str, Any] | None,
               facts: dict[str, Any], correlation_id: str | None) -> None:
        if report.get("agencies"):
            # Handed back or re-verified after an earlier routing: a person decides now.
            self._triage(report, "routed_before", facts)
            return
        decision = decide(self.db, report, report.get("kecamatan"), category)
        if decision.kind == "triage":
            self._triage(report, decision.reason or "no_rule", facts)
            return
        now = datetime.now(UTC)
        plan = self.workflow.send_plan(report, list(decision.agencies), now, action="route",
                                       note="Diteruskan otomatis menurut kategori laporan.",
                                       category=category)
        plan = replace(plan, set={**facts, **plan.set})
        if self.workflow.apply(report, plan, SYSTEM, now, correlation_id) is None:
            self._save(report, facts)
            log.info("report %s changed while routing; left as it is", report["_id"])

    def _triage(self, report: dict[str, Any], reason: str, facts: dict[str, Any]) -> None:
        flag = {"triage": True, "triage_reason": reason}
        left = self.db.reports.update_one(
            {"_id": report["_id"], "status": "verified", **_missing(facts)},
            {"$set": {**flag, **facts}},
        )
        if left.matched_count == 0 and facts:
            self.db.reports.update_one({"_id": report["_id"], "status": "verified"},
                                       {"$set": flag})
            self._save(report, facts)
        log.info("report %s left to operator triage (%s)", report["_id"], reason)


def _missing(facts: dict[str, Any]) -> dict[str, Any]:
    return {name: {"$exists": False} for name in facts}


def main() -> None:
    run_consumer_process("routing", lambda settings: Router(settings).handle)


if __name__ == "__main__":
    main()
