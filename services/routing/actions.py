"""What each workflow action does to a report, and the one way actions are carried out.

A planner looks at the report as read and returns a `Plan` (target status, fields to set, the
history details) or refuses with an ApiError. `Workflow.perform` applies the plan with the
conditional update of `aduan.domain.lifecycle.transition`; when someone else changed the report in
between, it reads it again and re-plans, so an action that is still valid goes through (two
agencies accepting at once), and one that no longer is (two operators forwarding at once) is
refused with 409 `concurrent_update`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.domain.lifecycle import (
    INACTIVE_ASSIGNMENTS,
    Actor,
    can_move_assignment,
    can_transition,
    overall_status,
)
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Publisher
from aduan.infra.outbox import flush
from aduan.infra.reports import transition
from aduan.web.errors import ApiError

MAX_ATTEMPTS = 5

# The report statuses each action may start from (agency actions also check the sub-status of
# the agency's own assignment).
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "verify": frozenset({"needs_review", "postponed"}),
    "reject": frozenset({"needs_review", "postponed"}),
    "postpone": frozenset({"needs_review", "verified"}),
    "forward": frozenset({"needs_review", "verified", "postponed"}),
    "reroute": frozenset({"forwarded", "accepted", "in_progress", "reopened"}),
    "duplicate": frozenset({"needs_review", "verified", "postponed", "forwarded", "accepted"}),
    "archive": frozenset({"needs_review", "verified", "postponed"}),
    "accept": frozenset({"forwarded", "accepted", "in_progress", "reopened"}),
    "start": frozenset({"forwarded", "accepted", "in_progress", "reopened"}),
    "resolve": frozenset({"forwarded", "accepted", "in_progress", "reopened"}),
    "hand_back": frozenset({"forwarded", "accepted", "in_progress", "reopened"}),
    "confirm": frozenset({"resolved", "referred"}),
    "reopen": frozenset({"resolved"}),
    "auto_close": frozenset({"resolved", "referred"}),
}
AGENCY_MOVES = {"accept": "accepted", "start": "in_progress", "resolve": "resolved",
                "hand_back": "handed_back"}
SUB_STATUS_TIMES = {"accepted": "accepted_at", "in_progress": "started_at",
                    "resolved": "resolved_at", "handed_back": "handed_back_at"}


@dataclass(frozen=True)
class Plan:
    target: str
    note: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    event_body: dict[str, Any] = field(default_factory=dict)
    routing_key: str | None = None  # None: the target status's usual event; "": no event


Planner = Callable[[dict[str, Any], datetime], Plan]


def illegal(report: dict[str, Any], action: str, **details: Any) -> ApiError:
    return ApiError(
        409, "illegal_transition",
        f"The action '{action}' is not possible while the report is {report['status']}.",
        {"status": report["status"], "action": action, **details},
    )


def check_allowed(report: dict[str, Any], action: str) -> None:
    if report["status"] not in ALLOWED_FROM[action]:
        raise illegal(report, action, allowed_from=sorted(ALLOWED_FROM[action]))


def _referral(body: dict[str, Any]) -> dict[str, Any]:
    return {"code": body["code"], "name_id": body["name_id"], "name_en": body.get("name_en"),
            "contact": body.get("contact") or {}}


class Workflow:
    def __init__(self, settings: Settings, db: Database, publisher: Publisher,
                 deadlines: Deadlines) -> None:
        self.settings = settings
        self.db = db
        self.publisher = publisher
        self.deadlines = deadlines

    # ---- carrying out ----------------------------------------------------------------------

    def apply(self, report: dict[str, Any], plan: Plan, actor: Actor, now: datetime,
              correlation_id: str | None) -> dict[str, Any] | None:
        """One conditional write; None when the report changed since it was read."""
        updated, events = transition(
            self.db, report, plan.target, actor, note=plan.note, extra_set=plan.set,
            correlation_id=correlation_id, details=plan.details, event_body=plan.event_body,
            routing_key=plan.routing_key, now=now,
        )
        if updated is not None:
            flush(self.db, report["_id"], events, self.publisher)
        return updated

    def perform(self, report_id: str, planner: Planner, actor: Actor,
                correlation_id: str | None) -> dict[str, Any]:
        for attempt in range(MAX_ATTEMPTS):
            report = self.db.reports.find_one({"_id": report_id})
            if report is None:
                raise ApiError(404, "report_not_found", "No report has this tracking code.")
            now = datetime.now(UTC)
            try:
                plan = planner(report, now)
            except ApiError as err:
                if attempt > 0 and err.status == 409:
                    raise ApiError(409, "concurrent_update",
                                   "Someone else changed this report while you acted; reload it.",
                                   {"status": report["status"], "refused": err.code}) from err
                raise
            updated = self.apply(report, plan, actor, now, correlation_id)
            if updated is not None:
                return updated
        raise ApiError(409, "concurrent_update",
                       "This report is changing too often right now; reload it and retry.")

    # ---- building blocks -------------------------------------------------------------------

    def category_of(self, report: dict[str, Any]) -> dict[str, Any] | None:
        return self.db.categories.find_one({"city": report["city"], "code": report["category"]})

    def agencies_by_code(self, city: str, codes: list[str]) -> list[dict[str, Any]]:
        found = {a["code"]: a for a in self.db.agencies.find(
            {"city": city, "code": {"$in": codes}, "active": {"$ne": False}})}
        missing = [code for code in codes if code not in found]
        if missing:
            raise ApiError(422, "unknown_agency", "No active agency of this city has this code.",
                           {"agencies": missing})
        return [found[code] for code in codes]

    def send_plan(self, report: dict[str, Any], agencies: list[dict[str, Any]], now: datetime,
                  *, action: str, note: str | None, withdraw: bool = False,
                  category: dict[str, Any] | None = None) -> Plan:
        """Forwarding to city agencies (each its own assignment), or referring to one vertical
        body; `withdraw` (re-routing) takes the report away from the agencies holding it.
        `category`: the report's category document, if the caller has read it already."""
        city = report["city"]
        assignments = [dict(a) for a in report.get("agencies", [])]
        withdrawn = []
        if withdraw:
            for assignment in assignments:
                if assignment["status"] not in INACTIVE_ASSIGNMENTS:
                    assignment.update(status="withdrawn", withdrawn_at=now, due_at=None)
                    withdrawn.append(assignment["code"])
        codes = [a["code"] for a in agencies]
        details: dict[str, Any] = {"action": action, "agencies": codes}
        if withdraw:
            details.update(withdrawn=withdrawn, reason="not_our_authority")
        if any(a["kind"] == "vertical" for a in agencies):
            if len(agencies) != 1:
                raise ApiError(422, "referral_not_alone",
                               "A vertical body is referred to on its own, not with agencies.",
                               {"agencies": codes})
            referral = _referral(agencies[0])
            return Plan("referred", note, details=details, event_body={"referral": referral},
                        set={"agencies": assignments, "referral": referral, "triage": False,
                             "auto_close_at": self.deadlines.auto_close_at(city, now)})
        due = self.deadlines.follow_up_due(city, category or self.category_of(report), now)
        assignments += [
            {"code": agency["code"], "name": agency["name_id"], "kind": agency["kind"],
             "status": "forwarded", "forwarded_at": now, "due_at": due, "responded_at": None}
            for agency in agencies
        ]
        return Plan("forwarded", note, details=details, event_body={"agencies": codes},
                    set={"agencies": assignments, "triage": False})

    # ---- operators -------------------------------------------------------------------------

    def plan_verify(self, report: dict[str, Any], now: datetime, note: str | None) -> Plan:
        check_allowed(report, "verify")
        # A postponed report's clock starts again when it is taken up.
        start = now if report["status"] == "postponed" else report["created_at"]
        due = self.deadlines.forward_due(report["city"], self.category_of(report), start)
        if report["status"] == "needs_review" and report.get("forward_due_at"):
            due = report["forward_due_at"]
        return Plan("verified", note, set={"forward_due_at": due},
                    details={"action": "verify"})

    def plan_reject(self, report: dict[str, Any], now: datetime, note: str) -> Plan:
        check_allowed(report, "reject")
        return Plan("rejected", note, set={"forward_due_at": None},
                    details={"action": "reject"})

    def plan_postpone(self, report: dict[str, Any], now: datetime, note: str) -> Plan:
        check_allowed(report, "postpone")
        return Plan("postponed", note, set={"forward_due_at": None},
                    details={"action": "postpone"})

    def plan_forward(self, report: dict[str, Any], now: datetime, codes: list[str],
                     note: str | None) -> Plan:
        check_allowed(report, "forward")
        agencies = self.agencies_by_code(report["city"], codes)
        return self.send_plan(report, agencies, now, action="forward", note=note)

    def plan_reroute(self, report: dict[str, Any], now: datetime, codes: list[str],
                     note: str) -> Plan:
        check_allowed(report, "reroute")
        agencies = self.agencies_by_code(report["city"], codes)
        return self.send_plan(report, agencies, now, action="reroute", note=note, withdraw=True)

    def plan_duplicate(self, report: dict[str, Any], now: datetime, of: str,
                       note: str | None) -> Plan:
        check_allowed(report, "duplicate")
        original = self.db.reports.find_one({"code": of}, {"city": 1, "code": 1, "status": 1})
        if original is None or original["city"] != report["city"]:
            raise ApiError(422, "unknown_report", "No report of this city has this code.",
                           {"of": of})
        if original["_id"] == report["_id"]:
            raise ApiError(422, "duplicate_of_itself", "A report cannot duplicate itself.")
        if original["status"] == "duplicate":
            raise ApiError(422, "duplicate_of_duplicate",
                           "Mark it as a duplicate of the original report instead.", {"of": of})
        assignments = [dict(a) for a in report.get("agencies", [])]
        withdrawn = []
        for assignment in assignments:
            if assignment["status"] not in INACTIVE_ASSIGNMENTS:
                assignment.update(status="withdrawn", withdrawn_at=now, due_at=None)
                withdrawn.append(assignment["code"])
        link = {"code": original["code"], "report_id": original["_id"]}
        return Plan("duplicate", note, set={"duplicate_of": link, "agencies": assignments},
                    details={"action": "duplicate", "duplicate_of": original["code"],
                             "withdrawn": withdrawn},
                    event_body={"duplicate_of": original["code"]})

    def plan_archive(self, report: dict[str, Any], now: datetime, note: str) -> Plan:
        check_allowed(report, "archive")
        return Plan("archived", note, details={"action": "archive"})

    # ---- agencies --------------------------------------------------------------------------

    def plan_agency(self, report: dict[str, Any], now: datetime, action: str, agency: str,
                    note: str | None, photos: list[dict[str, Any]] | None = None) -> Plan:
        check_allowed(report, action)
        assignments = [dict(a) for a in report.get("agencies", [])]
        mine = next((a for a in assignments
                     if a["code"] == agency and a["status"] not in INACTIVE_ASSIGNMENTS), None)
        if mine is None:
            raise ApiError(403, "not_assigned", "This report is not assigned to your agency.",
                           {"agency": agency})
        target = AGENCY_MOVES[action]
        previous = mine["status"]
        if not can_move_assignment(previous, target):
            raise illegal(report, action, assignment_status=previous)
        mine["status"] = target
        mine[SUB_STATUS_TIMES[target]] = now
        if mine.get("due_at") is not None:  # the agency's first response ends its SLA clock
            mine["due_at"] = None
            mine["responded_at"] = mine.get("responded_at") or now
        overall = overall_status(assignments)
        if not can_transition(report["status"], overall):
            raise illegal(report, action, assignment_status=previous)
        details: dict[str, Any] = {"action": action, "agency": agency,
                                   "agency_from": previous, "agency_to": target}
        if action == "hand_back":
            details["reason"] = "not_our_authority"
        if photos:
            details["photos"] = photos
        changes: dict[str, Any] = {"agencies": assignments}
        # Another agency of the same report acting changes nothing a reporter would see.
        routing_key = "" if overall == report["status"] else None
        if overall == "resolved":
            changes["auto_close_at"] = self.deadlines.auto_close_at(report["city"], now)
        if overall == "verified":  # every agency handed it back: the operators decide again
            changes["triage"] = True
            changes["forward_due_at"] = self.deadlines.forward_due(
                report["city"], self.category_of(report), now)
            routing_key = "report.status_changed"  # not report.verified: no automatic routing
        return Plan(overall, note, set=changes, details=details, routing_key=routing_key,
                    event_body={"agency": agency, "agency_status": target})

    # ---- reporters and the system ----------------------------------------------------------

    def plan_confirm(self, report: dict[str, Any], now: datetime, note: str | None) -> Plan:
        check_allowed(report, "confirm")
        return Plan("closed", note, set={"auto_close_at": None},
                    details={"action": "confirm"})

    def plan_reopen(self, report: dict[str, Any], now: datetime, note: str) -> Plan:
        check_allowed(report, "reopen")
        closes_at = report.get("auto_close_at")
        if closes_at is not None and now >= closes_at:
            raise ApiError(409, "reopen_window_closed",
                           "The time to reopen this report has passed.",
                           {"closed_at": closes_at.isoformat()})
        due = self.deadlines.follow_up_due(report["city"], self.category_of(report), now)
        assignments = [dict(a) for a in report.get("agencies", [])]
        reopened = []
        for assignment in assignments:
            if assignment["status"] == "resolved":
                assignment.update(status="accepted", reopened_at=now, due_at=due,
                                  responded_at=None)
                reopened.append(assignment["code"])
        return Plan("reopened", note, set={"agencies": assignments, "auto_close_at": None},
                    details={"action": "reopen", "agencies": reopened},
                    event_body={"agencies": reopened})

    def plan_auto_close(self, report: dict[str, Any], now: datetime) -> Plan:
        check_allowed(report, "auto_close")
        closing = "Ditutup otomatis: tidak ada tanggapan pelapor."
        return Plan("closed", closing, set={"auto_close_at": None},
                    details={"action": "auto_close", "public_response": closing})

    def rate(self, report: dict[str, Any], score: int, comment: str | None,
             now: datetime) -> dict[str, Any]:
        """A rating is not a status change: it is recorded once, by a conditional update."""
        if report["status"] not in ("resolved", "closed"):
            raise illegal(report, "rate", allowed_from=["closed", "resolved"])
        rating = {"score": score, "comment": comment, "at": now}
        done = self.db.reports.update_one(
            {"_id": report["_id"], "rating": {"$exists": False},
             "status": {"$in": ["resolved", "closed"]}},
            {"$set": {"rating": rating}},
        )
        if done.matched_count == 0:
            raise ApiError(409, "already_rated", "This report has already been rated.")
        return rating
