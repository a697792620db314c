"""The SLA sweep: a loop process that finds deadlines passed and reports closed with no reply.

Reports breached earlier and still late come back in every pass; their breach keys are read
with them, so they cost no write. Every late report is looked at in each pass, none starved.

- A forwarding deadline passed while the report still waits for an operator, or an agency's
  follow-up deadline passed with no response from it: `report.sla_breached` is emitted and the
  escalation (head of agency, leaders) recorded on the report, once per breach: the breach's
  key is pushed by the same conditional update that stores the event in the outbox, so another
  pass or another copy of the sweep finds it there and does nothing.
- A resolved (or referred) report the reporter left unanswered past its auto-close time is
  closed by the system.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.domain.lifecycle import AWAITING_FORWARD, INACTIVE_ASSIGNMENTS, Actor
from aduan.infra import metrics
from aduan.infra.calendar import calendar_from_setting
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.deadlines import Deadlines
from aduan.infra.logs import setup_logging
from aduan.infra.messaging import Event, Publisher
from aduan.infra.outbox import flush, outbox_entry
from services.routing.actions import Workflow

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="routing-sweep")
AUTO_CLOSING = ("resolved", "referred")


def escalation(kind: str, agency: str | None) -> list[dict[str, Any]]:
    leaders = {"role": "leader", "agency": None}
    if kind == "follow_up":
        return [{"role": "head_of_agency", "agency": agency}, leaders]
    return [leaders]


def breach_key(kind: str, agency: str | None, due_at: datetime) -> str:
    return f"{kind}:{agency or '-'}:{due_at.isoformat()}"


def record_breach(db: Database, publisher: Publisher, report: dict[str, Any], kind: str,
                  agency: str | None, due_at: datetime, now: datetime) -> bool:
    """Records one breach and emits its event; False when it was recorded before."""
    key = breach_key(kind, agency, due_at)
    if key in {b["key"] for b in report.get("sla_breaches", [])}:
        return False  # known from the read: no write needed
    escalate_to = escalation(kind, agency)
    event = Event(routing_key="report.sla_breached", body={
        "report_id": report["_id"], "code": report["code"], "city": report["city"],
        "agency": agency, "kind": kind, "due_at": due_at.isoformat(),
        "escalate_to": escalate_to, "occurred_at": now.isoformat(),
    })
    breach = {"key": key, "kind": kind, "agency": agency, "due_at": due_at,
              "detected_at": now, "escalate_to": escalate_to}
    recorded = db.reports.update_one(
        {"_id": report["_id"], "sla_breaches.key": {"$ne": key}},
        {"$push": {"sla_breaches": breach, "outbox": outbox_entry(event)}},
    )
    if recorded.matched_count == 0:
        return False
    metrics.sla_breaches.labels(kind).inc()
    flush(db, report["_id"], [event], publisher)
    return True


def sweep_once(db: Database, publisher: Publisher, workflow: Workflow, now: datetime
               ) -> dict[str, int]:
    counts = {"forward": 0, "follow_up": 0, "closed": 0}
    late_forward = db.reports.find(
        {"forward_due_at": {"$lt": now}, "status": {"$in": list(AWAITING_FORWARD)}},
        {"code": 1, "city": 1, "forward_due_at": 1, "sla_breaches.key": 1},
    )
    for report in late_forward:
        if record_breach(db, publisher, report, "forward", None, report["forward_due_at"], now):
            counts["forward"] += 1
    late_agencies = db.reports.find(
        {"agencies.due_at": {"$lt": now}},
        {"code": 1, "city": 1, "agencies": 1, "sla_breaches.key": 1},
    )
    for report in late_agencies:
        for assignment in report["agencies"]:
            due = assignment.get("due_at")
            if due is None or due >= now or assignment["status"] in INACTIVE_ASSIGNMENTS:
                continue
            if record_breach(db, publisher, report, "follow_up", assignment["code"], due, now):
                counts["follow_up"] += 1
    unanswered = db.reports.find(
        {"auto_close_at": {"$lt": now}, "status": {"$in": list(AUTO_CLOSING)}},
    )
    for report in unanswered:
        plan = workflow.plan_auto_close(report, now)
        if workflow.apply(report, plan, SYSTEM, now, None) is not None:
            counts["closed"] += 1
    return counts


def run(settings: Settings) -> None:
    setup_logging("routing-sweep", settings.log_level)
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    db = get_db(settings)
    publisher = Publisher(settings)
    deadlines = Deadlines(settings, calendar_from_setting(settings.holiday_categories))
    workflow = Workflow(settings, db, publisher, deadlines)
    log.info("SLA sweep running every %.1fs", settings.sla_sweep_interval_s)
    while not stop.is_set():
        started = time.monotonic()
        try:
            counts = sweep_once(db, publisher, workflow, datetime.now(UTC))
            if any(counts.values()):
                log.info("sweep: %s", counts)
        except Exception:  # the sweep must outlive any single failure of Mongo or the broker
            log.exception("sweep pass failed")
        stop.wait(max(0.0, settings.sla_sweep_interval_s - (time.monotonic() - started)))
    publisher.close()


if __name__ == "__main__":
    run(Settings.from_env())
