"""Routing consumer: applies the category's routing rule to each verified report (forward to
its agencies, refer to a vertical body, or leave it to the operators' triage queue) and starts
the forwarding SLA clock of reports waiting for an operator. What routing does to a report is
the lifecycle's `route` and `triage` actions, committed through `aduan.infra.reports`."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.domain.followers import pinned_followers
from aduan.domain.lifecycle import ACTIONS, Actor, Plan, plan_send, plan_triage
from aduan.infra.catalogue_cache import CatalogueCache
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Delivery, Publisher, run_consumer_process
from aduan.infra.outbox import defer_pulls, pull_interval
from aduan.infra.report_snapshots import carried
from aduan.infra.reports import Reports
from aduan.infra.versioned_cache import Versions
from aduan.web.errors import PermanentError
from services.routing.rules import decide, kecamatan_of_report

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="routing")
ROUTED_NOTE = "Diteruskan otomatis menurut kategori laporan."
# What routing acts on: a verified report it sends, or one it leaves to the operators.
ROUTABLE = ACTIONS["route"].starts | ACTIONS["triage"].starts
WRITE_ATTEMPTS = 5


class Router:
    def __init__(self, db: Database, publisher: Publisher | None, deadlines: Deadlines,
                 catalogue: CatalogueCache | None = None) -> None:
        self.db = db
        self.reports = Reports(db, publisher)
        self.deadlines = deadlines
        # Whether the report in hand came with its event (handle): per thread, as a process
        # handles several events at once (ADUAN_CONSUMER_CONCURRENCY).
        self._hand = threading.local()
        # Categories' rules and the agencies: a per-process copy, read again when changed.
        self.catalogue = catalogue or CatalogueCache(Versions(db, 0.0), max_age_s=0.0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Router:
        db = get_db(settings)
        # Published events leave the outbox in one write for many reports.
        defer_pulls(db, pull_interval(settings.outbox_relay_after_s))
        return cls(db, Publisher(settings), Deadlines.from_settings(settings),
                   CatalogueCache(Versions(db, settings.cache_check_s)))

    def handle(self, delivery: Delivery) -> None:
        if delivery.routing_key not in ("report.verified", "report.needs_review"):
            return  # rejections need nothing from routing
        # The report as the verdict left it, carried by the event; read when the event has
        # none (one published by an earlier version) or when a write missed it: each write
        # pins the status and version, so a report changed since is never acted on unread.
        copy = carried(delivery)  # None unless fresh (`report_snapshots.carried`)
        if copy is not None:
            try:
                self._handle(copy, delivery, carried=True)
                return
            except _Stale:
                log.info("report %s changed since its event; read again", copy["_id"])
        report_id = delivery.body.get("report_id")
        for _ in range(WRITE_ATTEMPTS):
            report = self.reports.get(report_id) if report_id else None
            if report is None:
                raise PermanentError(f"no report {report_id!r}")
            try:
                self._handle(report, delivery, carried=False)
                return
            except _Stale:
                # Still to route when read again (only its version moved: a device's push
                # mark) is routed again; acted on by someone else, left as it is.
                log.info("report %s changed while routing; read again", report_id)
        # Never acked with a verified report unrouted: the event is retried.
        raise RuntimeError(f"report {report_id} kept changing while routed; retried later")

    @property
    def _carried(self) -> bool:
        return bool(getattr(self._hand, "carried", False))

    def _handle(self, report: dict[str, Any], delivery: Delivery, carried: bool) -> None:
        self._hand.carried = carried
        report_id = report["_id"]
        if report["status"] not in ROUTABLE:
            log.info("report %s is %s; nothing to route", report_id, report["status"])
            return
        category = self.catalogue.category_of(report)
        facts = self._missing_facts(report, category)
        # The event handled was published: the report's next write takes it out of the outbox.
        published = delivery.message_id
        if report["status"] == "verified":
            self._route({**report, **facts}, category, facts, delivery.correlation_id,
                        published)
        else:
            self._save(report, facts, published)

    def _missing_facts(self, report: dict[str, Any], category: dict[str, Any] | None
                       ) -> dict[str, Any]:
        """Kecamatan and forwarding deadline, where not set yet. They are written with the
        routing decision, in the same write, and each only once (a redelivery changes
        nothing); both follow from the report alone, so concurrent copies agree on them."""
        facts: dict[str, Any] = {}
        if "kecamatan" not in report:
            facts["kecamatan"] = kecamatan_of_report(report)
        if "forward_due_at" not in report:
            facts["forward_due_at"] = self.deadlines.forward_due(
                report["city"], category, report["created_at"])
        return facts

    def _commit(self, report: dict[str, Any], plan: Plan, published: str | None,
                correlation_id: str | None = None) -> bool:
        now = datetime.now(UTC)
        return self._write(report, plan, now, correlation_id, published) is not None

    def _write(self, report: dict[str, Any], plan: Plan, now: datetime,
               correlation_id: str | None, published: str | None) -> dict[str, Any] | None:
        """The commit; a miss on a report taken from the event means: read it, start again.
        Such a write also pins the followers (changed without a version bump): its event
        carries the report to the notifier, who tells them."""
        if self._carried:
            plan = replace(plan, conditions={**plan.conditions, **pinned_followers(report)})
        updated = self.reports.commit(report, plan, SYSTEM, now, correlation_id, published)
        if updated is None and self._carried:
            raise _Stale()
        return updated

    def _save(self, report: dict[str, Any], facts: dict[str, Any],
              published: str | None) -> None:
        """Each fact only where it is still missing (an operator may have set a deadline)."""
        if not facts:
            return
        if not self._commit(report, _facts_plan(facts), published) and len(facts) > 1:
            for name, value in facts.items():
                self._commit(report, _facts_plan({name: value}), published)

    def _route(self, report: dict[str, Any], category: dict[str, Any] | None,
               facts: dict[str, Any], correlation_id: str | None,
               published: str | None) -> None:
        if report.get("agencies"):
            # Handed back or re-verified after an earlier routing: a person decides now.
            self._triage(report, "routed_before", facts, published)
            return
        decision = decide(self.db, report, report.get("kecamatan"), category,
                          self.catalogue.active_agency)
        if decision.kind == "triage":
            self._triage(report, decision.reason or "no_rule", facts, published)
            return
        now = datetime.now(UTC)
        plan = plan_send(report, list(decision.agencies), now, action="route", note=ROUTED_NOTE,
                         deadlines=self.deadlines, category=category)
        plan = replace(plan, set={**facts, **plan.set})
        if self._write(report, plan, now, correlation_id, published) is None:
            # Read (a carried report's miss raised already): the facts are kept where still
            # missing, and the report is read again (`handle`).
            self._save(report, facts, published)
            raise _Stale()

    def _triage(self, report: dict[str, Any], reason: str, facts: dict[str, Any],
                published: str | None) -> None:
        flag = plan_triage(report, reason)
        with_facts = replace(flag, set={**flag.set, **facts},
                             conditions={**flag.conditions, **_missing(facts)})
        if not self._commit(report, with_facts, published) and facts:
            self._commit(report, flag, published)
            self._save(report, facts, published)
        log.info("report %s left to operator triage (%s)", report["_id"], reason)


class _Stale(Exception):
    """A write missed the report as its event carried it."""


def _missing(facts: dict[str, Any]) -> dict[str, Any]:
    return {name: {"$exists": False} for name in facts}


def _facts_plan(facts: dict[str, Any]) -> Plan:
    """Facts that follow from the report alone, each written only where still missing: part
    of triaging a report that waits for the operators (no status change, no event)."""
    return Plan("triage", None, set=facts, conditions=_missing(facts))


def main() -> None:
    run_consumer_process("routing", lambda settings: Router.from_settings(settings).handle)


if __name__ == "__main__":
    main()
