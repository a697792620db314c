"""The SLA sweep: a loop process that finds deadlines passed and reports closed with no reply.

Reports breached earlier and still late come back in every pass; their breach keys are read
with them, so they cost no write. Every late report is looked at in each pass, none starved.

- A forwarding deadline passed while the report still waits for an operator, an agency's
  follow-up deadline passed with no answer to the reporter, or its resolution target passed
  with the assignment unresolved (`late_deadlines`): the lifecycle's `breach` (`plan_breach`)
  records the escalation (head of agency, leaders) on the report and emits
  `report.sla_breached`, once per breach: the breach's key is pushed by the same conditional
  write that stores the event in the outbox, so another pass or another copy of the sweep
  finds it there and does nothing.
- A postponed report whose day has come goes back to the operators' queue (`resume`,
  `report.returned`).
- A resolved (or referred) report the reporter left unanswered past its auto-close time is
  closed by the system (`auto_close`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from pymongo.database import Database

from aduan.domain.lifecycle import (
    ACTIONS,
    BREACH_KINDS,
    Actor,
    late_deadlines,
    overdue_filter,
    plan_auto_close,
    plan_breach,
    plan_resume,
    postponed_due_filter,
)
from aduan.infra import metrics
from aduan.infra.catalogue import category_of
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.deadlines import Deadlines
from aduan.infra.logs import setup_logging
from aduan.infra.messaging import Publisher
from aduan.infra.reports import Reports
from aduan.infra.shutdown import stop_on_signals

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="routing-sweep")
# What the breach planner reads of a late report.
LATE_FIELDS = {"code": 1, "city": 1, "status": 1, "forward_due_at": 1, "agencies": 1,
               "sla_breaches.key": 1}


class Sweep:
    def __init__(self, db: Database, publisher: Publisher | None, deadlines: Deadlines) -> None:
        self.db = db
        self.publisher = publisher
        self.deadlines = deadlines
        self.reports = Reports(db, publisher)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sweep:
        return cls(get_db(settings), Publisher(settings), Deadlines.from_settings(settings))

    def once(self, now: datetime) -> dict[str, int]:
        """One pass at `now`: how many breaches of each kind it recorded, how many postponed
        reports it returned to the operators, how many reports it closed."""
        counts = {**dict.fromkeys(BREACH_KINDS, 0), "returned": 0, "closed": 0}
        for report in self.db.reports.find(overdue_filter(now), LATE_FIELDS):
            for kind, agency, due in late_deadlines(report, now):
                plan = plan_breach(report, kind, agency, due, now)
                if plan is not None and self.reports.commit(report, plan, SYSTEM, now, None):
                    metrics.sla_breaches.labels(kind).inc()
                    counts[kind] += 1
        for report in self.db.reports.find(postponed_due_filter(now)):
            plan = plan_resume(report, now, deadlines=self.deadlines,
                               category=category_of(self.db, report))
            if self.reports.commit(report, plan, SYSTEM, now, None):
                counts["returned"] += 1
        unanswered = self.db.reports.find(
            {"auto_close_at": {"$lt": now},
             "status": {"$in": sorted(ACTIONS["auto_close"].starts)}})
        for report in unanswered:
            if self.reports.commit(report, plan_auto_close(report, now), SYSTEM, now, None):
                counts["closed"] += 1
        return counts


def run(settings: Settings) -> None:
    setup_logging("routing-sweep", settings.log_level)
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    stop = stop_on_signals(threading.Event())
    sweep = Sweep.from_settings(settings)
    log.info("SLA sweep running every %.1fs", settings.sla_sweep_interval_s)
    while not stop.is_set():
        started = time.monotonic()
        try:
            counts = sweep.once(datetime.now(UTC))
            if any(counts.values()):
                log.info("sweep: %s", counts)
        except Exception:  # the sweep must outlive any single failure of Mongo or the broker
            log.exception("sweep pass failed")
        stop.wait(max(0.0, settings.sla_sweep_interval_s - (time.monotonic() - started)))
    if sweep.publisher is not None:
        sweep.publisher.close()


if __name__ == "__main__":
    run(Settings.from_env())
