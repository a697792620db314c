"""The report lifecycle: every status, every action (who may take it, from which status, to
which status, with which side effects and which event), and the planners that decide what an
action does to a report. Pure: no database, broker or web here. A planner reads a report as it
was loaded and returns a `Plan`, or refuses with a domain error; `aduan.infra.reports` commits a
plan in one conditional write (status and version pinned, history, outbox) and publishes its
events; each service's edge carries out the plan's side effects and maps refusals to HTTP.

A report forwarded to several agencies has one assignment per agency, each with its own
sub-status; the report's status is derived from them (`overall_status`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aduan.domain.errors import Conflict, Forbidden, Invalid, report_not_found
from aduan.domain.report_types import (
    has_point,
    has_resolution_target,
    needs_public_response,
    sla_category,
    type_of,
)
from aduan.domain.roles import ACTING_AGENCY_ROLES, AGENCY_ADMIN, AGENCY_HEAD, LEADER, OFFICER

# ---- statuses ----------------------------------------------------------------------------

STATUSES = ("submitted", "verifying", "needs_review", "verified", "postponed", "forwarded",
            "accepted", "in_progress", "resolved", "reopened", "referred", "rejected", "closed",
            "archived", "duplicate")
TERMINAL = frozenset({"closed", "archived", "duplicate"})
# Statuses in which the city still owes the report a forward (its forwarding clock runs).
AWAITING_FORWARD = ("needs_review", "verified")
# The photo checks' verdicts a person may still overturn (verify or reject, also through
# verification's /verdict): the override is recorded on the report's verification.
OVERTURNABLE = frozenset({"needs_review", "rejected"})
# Statuses in which the report is with one or more agencies.
WITH_AGENCIES = ("forwarded", "accepted", "in_progress", "reopened")

# Sub-statuses of one agency's assignment.
ASSIGNMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "forwarded": frozenset({"accepted", "handed_back", "withdrawn"}),
    "accepted": frozenset({"in_progress", "handed_back", "withdrawn"}),
    "in_progress": frozenset({"resolved", "handed_back", "withdrawn"}),
    "resolved": frozenset({"accepted", "withdrawn"}),  # back to work when the reporter reopens
    "handed_back": frozenset(),
    "withdrawn": frozenset(),
}
INACTIVE_ASSIGNMENTS = frozenset({"handed_back", "withdrawn"})
# When an assignment reached each sub-status.
ASSIGNMENT_TIMES = {"accepted": "accepted_at", "in_progress": "started_at",
                    "resolved": "resolved_at", "handed_back": "handed_back_at"}

def can_move_assignment(current: str, target: str) -> bool:
    return target in ASSIGNMENT_TRANSITIONS.get(current, frozenset())


def agency_may_move(current: str, target: str) -> bool:
    """A step an agency takes on its own assignment: a resolved one goes back to work only
    when the reporter reopens the report, not by the agency accepting it again."""
    return current != "resolved" and can_move_assignment(current, target)


def active_assignments(assignments: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in assignments if a["status"] not in INACTIVE_ASSIGNMENTS]


def overall_status(assignments: Iterable[dict[str, Any]]) -> str:
    """The report's status from its agencies' sub-statuses: resolved once every active agency
    has resolved, in progress as soon as one works on it, and back to `verified` (the triage
    queue) when every agency handed it back."""
    statuses = {a["status"] for a in active_assignments(assignments)}
    if not statuses:
        return "verified"
    if statuses == {"resolved"}:
        return "resolved"
    if statuses & {"in_progress", "resolved"}:
        return "in_progress"
    if "accepted" in statuses:
        return "accepted"
    return "forwarded"


# ---- who may do what: the one action table -------------------------------------------------

OPERATOR, AGENCY, REPORTER, SYSTEM, ANYONE = "operator", "agency", "reporter", "system", "anyone"
STAFF = "staff"  # an operator or an agency's staff (each column's own rules apply)
# What an agency action can make of the report: its status follows its agencies' sub-statuses.
_FOLLOWS_AGENCIES = frozenset({"forwarded", "accepted", "in_progress", "resolved", "verified"})


@dataclass(frozen=True)
class Action:
    by: str  # operator | agency | staff | reporter | system | anyone (who may see the report)
    starts: frozenset[str]  # the report statuses it may start from
    ends: frozenset[str] = frozenset()  # the statuses it may lead to; empty: no status change
    event: str | None = None  # its event's key; None: the end status's own (`event_key`)
    effects: tuple[str, ...] = ()  # side effects the edge carries out (see EFFECTS)
    note: str = "optional"  # required | optional | none: what a person must write with it
    inputs: tuple[str, ...] = ()  # more fields it takes (agencies, of, photos, score, text)
    assignment_to: str | None = None  # an agency action: where its own assignment moves
    through: str | None = None  # a silent status it passes on its way, in the same write
    roles: tuple[str, ...] = ()  # only these roles of the `by` column; empty: any of them


EFFECTS = {
    "publish_copies": "before the write: render the public copies a photo lacks",
    "withdraw_copies": "after the write: delete the public copies of the report's photos",
    "store_evidence": "before the write: store the evidence photos (deleted if it fails)",
}

_ALL = frozenset(STATUSES)
_OPEN_ALL = frozenset(WITH_AGENCIES)
ACTIONS: dict[str, Action] = {
    "submit": Action(REPORTER, frozenset(), frozenset({"submitted"}), "report.submitted",
                     note="none"),
    "judge": Action(SYSTEM, frozenset({"submitted", "verifying"}),
                    frozenset({"verified", "needs_review", "rejected"}), note="none",
                    through="verifying"),
    # An operator may also overturn an automatic rejection (a GPS fix just outside a
    # simplified boundary): `verify` from `rejected`.
    "verify": Action(OPERATOR, frozenset({"needs_review", "postponed", "rejected"}),
                     frozenset({"verified"}), effects=("publish_copies",)),
    "reject": Action(OPERATOR, frozenset({"needs_review", "postponed"}), frozenset({"rejected"}),
                     effects=("withdraw_copies",), note="required"),
    "postpone": Action(OPERATOR, frozenset({"needs_review", "verified"}),
                       frozenset({"postponed"}), note="required", inputs=("until",)),
    # The day a postponed report is due back, the sweep returns it to the operators' queue.
    "resume": Action(SYSTEM, frozenset({"postponed"}), frozenset({"verified"}),
                     "report.returned", note="none"),
    "forward": Action(OPERATOR, frozenset({"needs_review", "verified", "postponed"}),
                      frozenset({"forwarded", "referred"}), inputs=("agencies",)),
    "reroute": Action(OPERATOR, _OPEN_ALL, frozenset({"forwarded", "referred"}),
                      note="required", inputs=("agencies",)),
    "duplicate": Action(OPERATOR, frozenset({"needs_review", "verified", "postponed",
                                             "forwarded", "accepted"}),
                        frozenset({"duplicate"}), inputs=("of",)),
    "archive": Action(OPERATOR, frozenset({"needs_review", "verified", "postponed"}),
                      frozenset({"archived"}), note="required"),
    "route": Action(SYSTEM, frozenset({"verified"}), frozenset({"forwarded", "referred"}),
                    note="none"),
    "triage": Action(SYSTEM, frozenset({"verified", "needs_review"}), note="none"),
    # Taking a report up and handing it back are the agency admins'; officers act only on
    # what was dispatched to them (`officer_may_act`).
    "accept": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, assignment_to="accepted",
                     roles=(AGENCY_ADMIN,)),
    "start": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, assignment_to="in_progress"),
    "resolve": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, effects=("store_evidence",),
                      note="required", inputs=("photos",), assignment_to="resolved"),
    "hand_back": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, note="required",
                        assignment_to="handed_back", roles=(AGENCY_ADMIN,)),
    # Field officers (see the section below): a forwarded assignment is accepted when it is
    # dispatched, an accepted one in progress at an officer's visit; otherwise neither moves.
    "dispatch": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, event="report.dispatched",
                       inputs=("officers",), assignment_to="accepted",
                       roles=(AGENCY_ADMIN,)),
    "visit": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, effects=("store_evidence",),
                    note="required", inputs=("photos",), assignment_to="in_progress",
                    roles=(OFFICER,)),
    "confirm": Action(REPORTER, frozenset({"resolved", "referred"}), frozenset({"closed"})),
    "reopen": Action(REPORTER, frozenset({"resolved"}), frozenset({"reopened"}),
                     note="required"),
    "rate": Action(REPORTER, frozenset({"resolved", "closed"}), note="none",
                   inputs=("score",)),
    "comment": Action(ANYONE, _ALL, note="none", inputs=("text",)),
    "auto_close": Action(SYSTEM, frozenset({"resolved", "referred"}), frozenset({"closed"}),
                         note="none"),
    "breach": Action(SYSTEM, _ALL - TERMINAL, event="report.sla_breached", note="none"),
    # To the head of an agency holding the report: no status change.
    "escalate": Action(STAFF, _OPEN_ALL, event="report.escalated", note="required",
                       inputs=("agency",), roles=(OPERATOR, AGENCY_ADMIN)),
}


def _agency_results(status: str, action: Action) -> set[str]:
    """What one agency's move can make of a report that is `status`: tried on every mix of
    up to three agencies' sub-statuses that gives that status (a reopened report's agencies
    are back at work: accepted)."""
    shown_as = "accepted" if status == "reopened" else status
    results = set()
    for count in range(1, 4):
        for mix in itertools.product(("forwarded", "accepted", "in_progress", "resolved"),
                                     repeat=count):
            if overall_status([{"status": s} for s in mix]) != shown_as:
                continue
            for index, current in enumerate(mix):
                if agency_may_move(current, action.assignment_to or ""):
                    moved = [*mix[:index], action.assignment_to, *mix[index + 1:]]
                    results.add(overall_status([{"status": s} for s in moved]))
    return results & action.ends


def _graph() -> dict[str, frozenset[str]]:
    graph: dict[str, set[str]] = {status: set() for status in STATUSES}
    for action in ACTIONS.values():
        for start in action.starts:
            if action.through is not None and start != action.through:
                graph[start].add(action.through)
            elif action.assignment_to is None:
                graph[start] |= action.ends
            else:
                graph[start] |= _agency_results(start, action)
    return {status: frozenset(ends) for status, ends in graph.items()}


# The state machine the actions make: every committed status change must be an edge of it.
TRANSITIONS: dict[str, frozenset[str]] = _graph()

# Transitions that matter outside the service making them get their own event key.
EVENT_KEYS: dict[str, str] = {
    "verified": "report.verified",
    "needs_review": "report.needs_review",
    "rejected": "report.rejected",
    "forwarded": "report.forwarded",
    "referred": "report.referred",
}
SILENT_STATUSES = frozenset({"verifying"})
# On the report: some device registered for its Web Push notices (set once, never unset; the
# notifier reads its subscriptions only then: services/notification/push_subscriptions.py).
DEVICES_MARK = "push_subscribed"
COMMENTED = "report.commented"  # a comment (plan_comment): no status change


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def event_key(status: str) -> str | None:
    if status in SILENT_STATUSES:
        return None
    return EVENT_KEYS.get(status, "report.status_changed")


# ---- who holds a report, what is late ------------------------------------------------------

def agency_holds(report: dict[str, Any], agency: str | None) -> bool:
    """Whether `agency` is working on the report now. Only then may its staff read the report
    and comment or act on it: from the moment it is withdrawn (re-routed, marked duplicate) or
    hands the report back, the report is no longer theirs."""
    return agency is not None and any(
        a["code"] == agency and a["status"] not in INACTIVE_ASSIGNMENTS
        for a in report.get("agencies") or [])


def agency_holds_filter(agency: str) -> dict[str, Any]:
    """`agency_holds` as a query on reports."""
    return {"agencies": {"$elemMatch": {"code": agency,
                                        "status": {"$nin": sorted(INACTIVE_ASSIGNMENTS)}}}}


# An assignment's clocks (its field: the deadline), each ended by the planners: the follow-up
# at a public response or resolving (`ends_follow_up`) or an agency comment (`plan_comment`),
# the resolution when the assignment is resolved, handed back or withdrawn.
ASSIGNMENT_CLOCKS = {"follow_up": "due_at", "resolution": "resolution_due_at"}
BREACH_KINDS = ("forward", *ASSIGNMENT_CLOCKS)


def overdue_filter(now: datetime, agency: str | None = None) -> dict[str, Any]:
    """Reports past a deadline now: not forwarded in time, or an active agency (`agency`, or
    any) that has not answered or resolved in time."""
    active: dict[str, Any] = {"status": {"$nin": sorted(INACTIVE_ASSIGNMENTS)}}
    if agency is not None:
        active["code"] = agency
    clauses: list[dict[str, Any]] = [
        {"agencies": {"$elemMatch": {field: {"$lt": now}, **active}}}
        for field in ASSIGNMENT_CLOCKS.values()]
    if agency is None:
        clauses.insert(0, {"forward_due_at": {"$lt": now},
                           "status": {"$in": list(AWAITING_FORWARD)}})
    return {"$or": clauses}


def late_deadlines(report: dict[str, Any], now: datetime
                   ) -> list[tuple[str, str | None, datetime]]:
    """The deadlines of `report` passed at `now`, as (kind, agency, due): `forward` while it
    waits for an operator; for each active agency `follow_up` while it has not answered the
    reporter, `resolution` while it has not resolved."""
    late: list[tuple[str, str | None, datetime]] = []
    due = report.get("forward_due_at")
    if report.get("status") in AWAITING_FORWARD and due is not None and due < now:
        late.append(("forward", None, due))
    for assignment in report.get("agencies") or []:
        if assignment["status"] in INACTIVE_ASSIGNMENTS:
            continue
        for kind, name in ASSIGNMENT_CLOCKS.items():
            due = assignment.get(name)
            if due is not None and due < now:
                late.append((kind, assignment["code"], due))
    return late


def is_overdue(report: dict[str, Any], now: datetime, agency: str | None = None) -> bool:
    """Past a deadline now; with `agency`, past one of that agency's own deadlines. What the
    consoles mark late, as the sweep and the figures see it."""
    return any(agency is None or (kind != "forward" and late == agency)
               for kind, late, _ in late_deadlines(report, now))


def postponed_due_filter(now: datetime) -> dict[str, Any]:
    """Postponed reports whose day to come back has come (the sweep's `resume`)."""
    return {"status": "postponed", "postponed_until": {"$lte": now}}


# ---- who is acting -----------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    kind: str  # reporter | staff | system
    id: str | None
    role: str | None = None
    agency: str | None = None  # the agency an agency_admin or officer acts for

    def as_doc(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "role": self.role, "agency": self.agency}

    @property
    def acts_as(self) -> str:
        """The column of the action table this actor may take actions of."""
        if self.kind in (REPORTER, SYSTEM):
            return self.kind
        acting = self.agency and self.role in ACTING_AGENCY_ROLES  # not agency_head
        return AGENCY if acting else self.role or ""


def may_take(name: str, actor: Actor) -> bool:
    """Whether `actor`'s kind and role may take the action `name` at all: its column of the
    table (`staff`: an operator or an agency's staff) and its `roles` where it names them.
    Whether the report's status allows it is the planner's."""
    action = ACTIONS[name]
    column = actor.acts_as
    allowed = column in (OPERATOR, AGENCY) if action.by == STAFF else action.by == column
    return allowed and (not action.roles or actor.role in action.roles)


def allowed_actions(report: dict[str, Any], actor: Actor) -> list[str]:
    """The actions `actor` may take on `report` now, in the table's order: what the console
    draws its buttons from. (A planner may still refuse: a duplicate of an unknown report.)"""
    allowed = []
    for name, action in ACTIONS.items():
        if not may_take(name, actor) or report["status"] not in action.starts:
            continue
        if action.by == AGENCY:
            mine = own_assignment(report, actor.agency)
            if mine is None or not agency_may_act(name, mine, actor):
                continue
        if action.by == STAFF and actor.acts_as == AGENCY \
                and own_assignment(report, actor.agency) is None:
            continue
        if name == "rate" and report.get("rating") is not None:
            continue
        allowed.append(name)
    return allowed


def action_forms(names: Iterable[str]) -> list[dict[str, Any]]:
    """What a client needs to draw each action: its name, whether a note is required, the
    fields it takes and whether it is final for the report (to warn before it)."""
    return [{"name": name, "note": ACTIONS[name].note, "inputs": list(ACTIONS[name].inputs),
             "final": bool(ACTIONS[name].ends) and ACTIONS[name].ends <= TERMINAL | {"rejected"}}
            for name in names]


# ---- plans and events --------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What an action does to a report. `target` None: no status change (a rating, a comment,
    a breach, a triage flag), written only where `conditions` still hold. Otherwise the write
    pins the status and version that were read and appends `details` to the history."""

    action: str
    target: str | None
    note: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    push: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    event_body: dict[str, Any] = field(default_factory=dict)
    routing_key: str | None = None  # None: the action's or target status's usual event; "": none
    conditions: dict[str, Any] = field(default_factory=dict)
    through: tuple[str, datetime] | None = None  # a silent status passed in the same write
    # Without a status change: written only where the report's version is still the one read,
    # and bumps it (it changes what versioned writes change too, e.g. an assignment's clock).
    pinned: bool = False
    # More events of the same write besides its own: (routing key, body fields).
    also: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def effects(self) -> tuple[str, ...]:
        return ACTIONS[self.action].effects


@dataclass(frozen=True)
class ReportEvent:
    """An event about one report, as consumers receive it (`body`)."""

    key: str
    report_id: str
    code: str
    city: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "code": self.code, "city": self.city,
                **self.data, "occurred_at": self.occurred_at.isoformat()}


def plan_key(plan: Plan) -> str:
    if plan.routing_key is not None:
        return plan.routing_key
    if plan.target is None:
        return ACTIONS[plan.action].event or ""
    return event_key(plan.target) or ""


def history_entries(report: dict[str, Any], plan: Plan, actor: Actor, now: datetime
                    ) -> list[dict[str, Any]]:
    """The history entries a plan appends: none without a status change."""
    if plan.target is None:
        return []
    current = report["status"]
    entries = []
    if plan.through is not None:
        through, reached_at = plan.through
        if not can_transition(current, through) or event_key(through) is not None:
            raise Conflict("illegal_transition", f"{current} -> {through}",
                           {"status": current, "action": plan.action})
        entries.append({"at": reached_at, "from": current, "to": through,
                        "actor": actor.as_doc(), "note": None})
        current = through
    if not can_transition(current, plan.target):
        raise Conflict("illegal_transition", f"{current} -> {plan.target}",
                       {"status": current, "action": plan.action})
    entries.append({"at": now, "from": current, "to": plan.target, "actor": actor.as_doc(),
                    "note": plan.note, **plan.details})
    return entries


def plan_events(report: dict[str, Any], plan: Plan, actor: Actor, now: datetime
                ) -> list[ReportEvent]:
    also = [ReportEvent(extra_key, report["_id"], report["code"], report["city"], now, body)
            for extra_key, body in plan.also]
    key = plan_key(plan)
    if not key:
        return also
    data = dict(plan.event_body)
    if plan.target is not None:
        source = plan.through[0] if plan.through else report["status"]
        data = {"from": source, "status": plan.target, "actor_role": actor.role or actor.kind,
                **data}
    return [ReportEvent(key, report["_id"], report["code"], report["city"], now, data), *also]


# ---- deadlines the planners need ---------------------------------------------------------

class Deadlines(Protocol):
    """Service levels in a city's working days (`aduan.infra.deadlines` computes them)."""

    def forward_due(self, city: str, category: dict[str, Any] | None, start: datetime
                    ) -> datetime: ...

    def follow_up_due(self, city: str, category: dict[str, Any] | None, start: datetime
                      ) -> datetime: ...

    def auto_close_at(self, city: str, start: datetime) -> datetime: ...

    def resolution_due(self, city: str, category: dict[str, Any] | None, start: datetime
                       ) -> datetime: ...


# ---- planners ----------------------------------------------------------------------------

def illegal(report: dict[str, Any], action: str, **details: Any) -> Conflict:
    return Conflict(
        "illegal_transition",
        f"The action '{action}' is not possible while the report is {report['status']}.",
        {"status": report["status"], "action": action, **details},
    )


def check_allowed(report: dict[str, Any], action: str) -> None:
    starts = ACTIONS[action].starts
    if report["status"] not in starts:
        raise illegal(report, action, allowed_from=sorted(starts))


def new_report(fields: dict[str, Any], actor: Actor, now: datetime
               ) -> tuple[dict[str, Any], ReportEvent]:
    """A report as submitted: its first status, the first history entry and the event that
    starts its journey. `fields` hold the report's own data, `_id` and `code` included."""
    report = {**fields, "status": "submitted", "created_at": now, "updated_at": now,
              "history": [{"at": now, "from": None, "to": "submitted",
                           "actor": actor.as_doc(), "note": None}]}
    event = ReportEvent(ACTIONS["submit"].event or "", report["_id"], report["code"],
                        report["city"], now, {"status": "submitted"})
    return report, event


def plan_judgement(report: dict[str, Any], outcome: str, started_at: datetime, *,
                   reasons: list[str], flags: list[str], photos: list[dict[str, Any]],
                   duplicate: dict[str, Any] | None) -> Plan:
    """The photo checks' verdict; `verifying` is recorded with it, in the same write."""
    check_allowed(report, "judge")
    if outcome not in ACTIONS["judge"].ends:
        raise Invalid("unknown_verdict", f"No verdict {outcome!r}.", {"verdict": outcome})
    return Plan(
        "judge", outcome, note=", ".join(reasons) or None,
        set={"photos": photos,
             "verification": {"verdict": outcome, "reasons": reasons, "flags": flags},
             "possible_duplicate_of": duplicate},
        through=(ACTIONS["judge"].through or "", started_at)
        if report["status"] != ACTIONS["judge"].through else None,
    )


# A photo's fields that point at its public copies.
PUBLIC_PHOTO_FIELDS = ("public_key", "thumbnail_key", "public_size")


def unpublished(photo: dict[str, Any]) -> dict[str, Any]:
    """A photo without its public copies (the report no longer points at them)."""
    return {k: v for k, v in photo.items() if k not in PUBLIC_PHOTO_FIELDS}


def _override(report: dict[str, Any], verdict: str, note: str | None, actor: Actor,
              now: datetime) -> dict[str, Any]:
    """A person overturning the photo checks' verdict is recorded on the verification."""
    if report["status"] not in OVERTURNABLE:
        return {}
    return {"verification.verdict": verdict,
            "verification.override": {"verdict": verdict, "from": report["status"],
                                      "note": note, "by": actor.id, "at": now}}


def _off_postponed(report: dict[str, Any]) -> dict[str, Any]:
    """What every plan taking a report out of `postponed` sets: it no longer has a day to come
    back on (the sweep's `resume` and the console's "postponed until" read it)."""
    return {"postponed_until": None} if report["status"] == "postponed" else {}


def plan_verify(report: dict[str, Any], now: datetime, note: str | None, actor: Actor, *,
                deadlines: Deadlines, category: dict[str, Any] | None,
                photos: list[dict[str, Any]] | None = None,
                place: dict[str, Any] | None = None) -> Plan:
    """`photos`: the report's photos with their public copies (the `publish_copies` effect),
    needed when the report was rejected and its copies withdrawn. `place`: {lat, lon,
    kecamatan} the operator gave a report that has no point (its address is kept), so that
    routing by kecamatan works from here on; a point the report has is never replaced."""
    check_allowed(report, "verify")
    if place is not None and has_point(report):
        raise Conflict("report_has_point", "This report has its point already.",
                       {"location": report.get("location")})
    # A postponed report's clock starts again when it is taken up.
    start = now if report["status"] == "postponed" else report["created_at"]
    due = deadlines.forward_due(report["city"], category, start)
    if report["status"] == "needs_review" and report.get("forward_due_at"):
        due = report["forward_due_at"]
    changes: dict[str, Any] = {"forward_due_at": due, **_off_postponed(report),
                               **_override(report, "verified", note, actor, now)}
    if photos is not None:
        changes["photos"] = photos
    details: dict[str, Any] = {"action": "verify"}
    if place is not None:
        changes["location"] = {**(report.get("location") or {}), "lat": place["lat"],
                               "lon": place["lon"]}
        changes["kecamatan"] = place.get("kecamatan")
        details["located"] = {"lat": place["lat"], "lon": place["lon"]}
    return Plan("verify", "verified", note, set=changes, details=details)


def plan_reject(report: dict[str, Any], now: datetime, note: str | None, actor: Actor) -> Plan:
    """The public copies go (`withdraw_copies`): a rejected report is not shown."""
    check_allowed(report, "reject")
    return Plan("reject", "rejected", note,
                set={"forward_due_at": None, **_off_postponed(report),
                     "photos": [unpublished(photo) for photo in report.get("photos", [])],
                     **_override(report, "rejected", note, actor, now)},
                details={"action": "reject"})


# How far ahead a report may be postponed.
POSTPONE_MAX_DAYS = 90


def plan_postpone(report: dict[str, Any], now: datetime, note: str | None, *, until: date,
                  timezone: str) -> Plan:
    """Out of the operators' queue until the day `until` (in the city's `timezone`): that
    morning the sweep returns it (`plan_resume`)."""
    check_allowed(report, "postpone")
    today = now.astimezone(ZoneInfo(timezone)).date()
    if until <= today:
        raise Invalid("postpone_not_in_future", "Postpone until a day after today.",
                      {"until": until.isoformat(), "today": today.isoformat()})
    if until > today + timedelta(days=POSTPONE_MAX_DAYS):
        raise Invalid("postpone_too_long",
                      f"A report may be postponed by at most {POSTPONE_MAX_DAYS} days.",
                      {"until": until.isoformat(), "max_days": POSTPONE_MAX_DAYS})
    back_at = datetime.combine(until, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    return Plan("postpone", "postponed", note,
                set={"forward_due_at": None, "postponed_until": back_at},
                details={"action": "postpone", "until": until.isoformat()})


RESUME_NOTE = "Kembali ke antrean operator: masa penundaan telah berakhir."


def plan_resume(report: dict[str, Any], now: datetime, *, deadlines: Deadlines,
                category: dict[str, Any] | None) -> Plan:
    """A postponed report whose day has come goes back to the operators' queue with its
    forwarding clock started again; `report.returned`, not `report.verified`: routing leaves
    it to the operators."""
    check_allowed(report, "resume")
    until = report.get("postponed_until")
    if until is None or until > now:
        raise Conflict("not_yet_due", "This report is postponed to a later day.",
                       {"until": until.isoformat() if until else None})
    return Plan("resume", "verified", RESUME_NOTE,
                set={"triage": True, "triage_reason": "postponement_ended",
                     **_off_postponed(report),
                     "forward_due_at": deadlines.forward_due(report["city"], category, now)},
                details={"action": "resume"}, routing_key=ACTIONS["resume"].event)


def plan_archive(report: dict[str, Any], now: datetime, note: str | None) -> Plan:
    check_allowed(report, "archive")
    return Plan("archive", "archived", note, set=_off_postponed(report),
                details={"action": "archive"})


def _withdraw_all(assignments: list[dict[str, Any]], now: datetime) -> list[str]:
    withdrawn = []
    for assignment in assignments:
        if assignment["status"] not in INACTIVE_ASSIGNMENTS:
            assignment.update(status="withdrawn", withdrawn_at=now, due_at=None,
                              resolution_due_at=None)
            withdrawn.append(assignment["code"])
    return withdrawn


def _resolution_due(report: dict[str, Any], category: dict[str, Any] | None, now: datetime,
                    deadlines: Deadlines) -> datetime | None:
    """The resolution target of the report's type (`aduan.domain.report_types`): a complaint's
    is the category's; an information request is answered within its KIP days; an aspiration
    has none unless its category sets one."""
    report_type = type_of(report)
    if not has_resolution_target(category, report_type):
        return None
    return deadlines.resolution_due(report["city"], sla_category(category, report_type), now)


def _referral(body: dict[str, Any]) -> dict[str, Any]:
    return {"code": body["code"], "name_id": body["name_id"], "name_en": body.get("name_en"),
            "contact": body.get("contact") or {}}


def plan_send(report: dict[str, Any], agencies: list[dict[str, Any]], now: datetime, *,
              action: str, note: str | None, deadlines: Deadlines,
              category: dict[str, Any] | None) -> Plan:
    """Forwarding to city agencies (each its own assignment), or referring to one vertical
    body: `forward` and `route` send, `reroute` first takes the report away from the agencies
    holding it. `agencies`: the catalogue's documents of the agencies named, all active."""
    check_allowed(report, action)
    city = report["city"]
    assignments = [dict(a) for a in report.get("agencies", [])]
    withdrawn = _withdraw_all(assignments, now) if action == "reroute" else []
    codes = [a["code"] for a in agencies]
    details: dict[str, Any] = {"action": action, "agencies": codes}
    if action == "reroute":
        details.update(withdrawn=withdrawn, reason="not_our_authority")
    if any(a["kind"] == "vertical" for a in agencies):
        if len(agencies) != 1:
            raise Invalid("referral_not_alone",
                          "A vertical body is referred to on its own, not with agencies.",
                          {"agencies": codes})
        referral = _referral(agencies[0])
        return Plan(action, "referred", note, details=details, event_body={"referral": referral},
                    set={"agencies": assignments, "referral": referral, "triage": False,
                         "auto_close_at": deadlines.auto_close_at(city, now),
                         **_off_postponed(report)})
    due = deadlines.follow_up_due(city, category, now)
    resolution_due = _resolution_due(report, category, now, deadlines)
    assignments += [
        {"code": agency["code"], "name": agency["name_id"], "kind": agency["kind"],
         "status": "forwarded", "forwarded_at": now, "due_at": due, "responded_at": None,
         "resolution_due_at": resolution_due}
        for agency in agencies
    ]
    return Plan(action, "forwarded", note, details=details, event_body={"agencies": codes},
                set={"agencies": assignments, "triage": False, **_off_postponed(report)})


def plan_duplicate(report: dict[str, Any], now: datetime, original: dict[str, Any] | None,
                   of: str, note: str | None) -> Plan:
    """`original`: the report with code `of` (its `_id`, `code`, `city`, `status`), if any."""
    check_allowed(report, "duplicate")
    if original is None or original["city"] != report["city"]:
        raise Invalid("unknown_report", "No report of this city has this code.", {"of": of})
    if original["_id"] == report["_id"]:
        raise Invalid("duplicate_of_itself", "A report cannot duplicate itself.")
    if original["status"] == "duplicate":
        raise Invalid("duplicate_of_duplicate",
                      "Mark it as a duplicate of the original report instead.", {"of": of})
    assignments = [dict(a) for a in report.get("agencies", [])]
    withdrawn = _withdraw_all(assignments, now)
    link = {"code": original["code"], "report_id": original["_id"]}
    return Plan("duplicate", "duplicate", note,
                set={"duplicate_of": link, "agencies": assignments, **_off_postponed(report)},
                details={"action": "duplicate", "duplicate_of": original["code"],
                         "withdrawn": withdrawn},
                event_body={"duplicate_of": original["code"]})


def own_assignment(report: dict[str, Any], agency: str | None) -> dict[str, Any] | None:
    """The assignment `agency` is working on in `report` (an agency has at most one active)."""
    return next((a for a in report.get("agencies") or []
                 if a["code"] == agency and a["status"] not in INACTIVE_ASSIGNMENTS), None)


def ends_follow_up(step: dict[str, Any]) -> bool:
    """Whether an agency's step (its history entry, or the details of one being planned) ends
    its follow-up clock: an answer the reporter reads (a `public_response`) or resolving (the
    reporter is asked to confirm it); a bare accept, start, dispatch or visit does not. A
    comment of the agency's staff ends it too (`plan_comment`: the reporter reads every
    comment). The planners stop the clock by it, the figures (`aduan.domain.figures`) count
    a follow-up by it."""
    return bool(step.get("public_response")) or step.get("agency_to") == "resolved"


def _responded(assignment: dict[str, Any], now: datetime) -> None:
    """The follow-up clock ends: the agency answered the reporter."""
    if assignment.get("due_at") is not None:
        assignment["due_at"] = None
        assignment["responded_at"] = assignment.get("responded_at") or now


def plan_agency(report: dict[str, Any], now: datetime, action: str, agency: str,
                note: str | None, *, deadlines: Deadlines, category: dict[str, Any] | None,
                photos: list[dict[str, Any]] | None = None,
                public_response: str | None = None) -> Plan:
    """An agency moves its own assignment; the report's status follows its agencies. Its
    follow-up clock ends only at an answer the reporter reads (`public_response`; resolving
    is one: the reporter is asked to confirm it), not at a bare accept; its resolution clock
    when it resolves or hands the report back."""
    check_allowed(report, action)
    target = ACTIONS[action].assignment_to
    if ACTIONS[action].by != AGENCY or target is None:
        raise Invalid("unknown_action", f"'{action}' is not an agency's action.")
    assignments = [dict(a) for a in report.get("agencies", [])]
    mine = own_assignment({"agencies": assignments}, agency)
    if mine is None:  # taken from the agency since it was read: no longer theirs to see
        raise report_not_found()
    previous = mine["status"]
    if not agency_may_move(previous, target):
        raise illegal(report, action, assignment_status=previous)
    if target == "resolved" and needs_public_response(report) and not public_response:
        # An information request is resolved by its answer, which the reporter reads.
        raise Invalid("public_response_required",
                      "Answering an information request needs the answer (public_response).",
                      {"field": "public_response"})
    mine["status"] = target
    mine[ASSIGNMENT_TIMES[target]] = now
    if ends_follow_up({"public_response": public_response, "agency_to": target}):
        _responded(mine, now)
    if target in ("resolved", "handed_back"):
        mine["resolution_due_at"] = None
    if target == "handed_back":
        mine["due_at"] = None
    overall = overall_status(assignments)
    if not can_transition(report["status"], overall):
        raise illegal(report, action, assignment_status=previous)
    details: dict[str, Any] = {"action": action, "agency": agency,
                               "agency_from": previous, "agency_to": target}
    if action == "hand_back":
        details["reason"] = "not_our_authority"
    if photos:
        details["photos"] = photos
    if public_response:
        details["public_response"] = public_response
    changes: dict[str, Any] = {"agencies": assignments}
    # Another agency of the same report acting changes nothing a reporter would see.
    routing_key = "" if overall == report["status"] else None
    if overall == "resolved":
        changes["auto_close_at"] = deadlines.auto_close_at(report["city"], now)
    if overall == "verified":  # every agency handed it back: the operators decide again
        changes["triage"] = True
        changes["forward_due_at"] = deadlines.forward_due(report["city"], category, now)
        routing_key = "report.status_changed"  # not report.verified: no automatic routing
    return Plan(action, overall, note, set=changes, details=details, routing_key=routing_key,
                event_body={"agency": agency, "agency_status": target})


def plan_confirm(report: dict[str, Any], now: datetime, note: str | None) -> Plan:
    check_allowed(report, "confirm")
    return Plan("confirm", "closed", note, set={"auto_close_at": None},
                details={"action": "confirm"})


def plan_reopen(report: dict[str, Any], now: datetime, note: str | None, *,
                deadlines: Deadlines, category: dict[str, Any] | None) -> Plan:
    check_allowed(report, "reopen")
    closes_at = report.get("auto_close_at")
    if closes_at is not None and now >= closes_at:
        raise Conflict("reopen_window_closed", "The time to reopen this report has passed.",
                       {"closed_at": closes_at.isoformat()})
    due = deadlines.follow_up_due(report["city"], category, now)
    resolution_due = _resolution_due(report, category, now, deadlines)
    assignments = [dict(a) for a in report.get("agencies", [])]
    reopened = []
    for assignment in assignments:
        if assignment["status"] == "resolved":
            assignment.update(status="accepted", reopened_at=now, due_at=due, responded_at=None,
                              resolution_due_at=resolution_due)
            _officers_back_at_work(assignment)
            reopened.append(assignment["code"])
    return Plan("reopen", "reopened", note,
                set={"agencies": assignments, "auto_close_at": None},
                details={"action": "reopen", "agencies": reopened},
                event_body={"agencies": reopened})


AUTO_CLOSE_NOTE = "Ditutup otomatis: tidak ada tanggapan pelapor."


def plan_auto_close(report: dict[str, Any], now: datetime) -> Plan:
    check_allowed(report, "auto_close")
    return Plan("auto_close", "closed", AUTO_CLOSE_NOTE, set={"auto_close_at": None},
                details={"action": "auto_close", "public_response": AUTO_CLOSE_NOTE})


def plan_rate(report: dict[str, Any], now: datetime, score: int, comment: str | None) -> Plan:
    """A rating is not a status change: it is recorded once."""
    if report["status"] not in ACTIONS["rate"].starts:
        raise illegal(report, "rate", allowed_from=sorted(ACTIONS["rate"].starts))
    if report.get("rating") is not None:
        raise Conflict("already_rated", "This report has already been rated.")
    rating = {"score": score, "comment": comment, "at": now}
    return Plan("rate", None, set={"rating": rating},
                conditions={"rating": {"$exists": False},
                            "status": {"$in": sorted(ACTIONS["rate"].starts)}})


def plan_comment(report: dict[str, Any], comment: dict[str, Any], agency: str | None = None,
                 ) -> Plan:
    """A comment is appended where the report still has the comments that were counted (the
    daily limits were checked against them). Every comment is read by the reporter: one by
    the staff of `agency` holding the report answers them and ends that agency's follow-up
    clock, in the same write (pinned to the version read)."""
    count = len(report.get("comments", []))
    conditions = {f"comments.{count}": {"$exists": False}}
    # `report.commented` tells the other side (the reporter, or the staff handling it).
    event = {"author": comment.get("by"), "agency": agency, "comment_id": comment.get("id")}
    assignments = [dict(a) for a in report.get("agencies") or []]
    mine = own_assignment({"agencies": assignments}, agency)
    if mine is None or mine.get("due_at") is None:
        # Unpinned, it is still written only where the push mark is as read: the event carries
        # the report, and a device registered since the read must hear of the comment (the
        # mark is set once, so this misses at most once: the caller reads again).
        marked = {DEVICES_MARK: {"$exists": bool(report.get(DEVICES_MARK))}}
        return Plan("comment", None, push={"comments": comment},
                    conditions={**conditions, **marked}, routing_key=COMMENTED,
                    event_body=event)
    _responded(mine, comment["at"])
    return Plan("comment", None, set={"agencies": assignments}, push={"comments": comment},
                conditions=conditions, pinned=True, routing_key=COMMENTED, event_body=event)


def answered(plan: Plan, public_response: str | None) -> Plan:
    """A staff action with its answer to the reporter and the public, kept in its history
    entry (agency actions take it in `plan_agency`, where it also ends a clock)."""
    if not public_response:
        return plan
    return replace(plan, details={**plan.details, "public_response": public_response})


def plan_triage(report: dict[str, Any], reason: str) -> Plan:
    """Left to the operators: no rule sends it, or it was routed before."""
    return Plan("triage", None, set={"triage": True, "triage_reason": reason},
                conditions={"status": report["status"]})


def escalation(kind: str, agency: str | None) -> list[dict[str, Any]]:
    leaders = {"role": LEADER, "agency": None}
    if kind in ASSIGNMENT_CLOCKS:
        return [{"role": AGENCY_HEAD, "agency": agency}, leaders]
    return [leaders]


def breach_key(kind: str, agency: str | None, due_at: datetime) -> str:
    return f"{kind}:{agency or '-'}:{due_at.isoformat()}"


def plan_breach(report: dict[str, Any], kind: str, agency: str | None, due_at: datetime,
                now: datetime) -> Plan | None:
    """A passed deadline, recorded once with its escalation; None when it was recorded."""
    check_allowed(report, "breach")
    key = breach_key(kind, agency, due_at)
    if key in {b["key"] for b in report.get("sla_breaches", [])}:
        return None
    escalate_to = escalation(kind, agency)
    breach = {"key": key, "kind": kind, "agency": agency, "due_at": due_at,
              "detected_at": now, "escalate_to": escalate_to}
    return Plan("breach", None, push={"sla_breaches": breach},
                event_body={"agency": agency, "kind": kind, "due_at": due_at.isoformat(),
                             "escalate_to": escalate_to},
                conditions={"sla_breaches.key": {"$ne": key}})


def plan_escalate(report: dict[str, Any], now: datetime, actor: Actor, note: str | None,
                  agency: str | None = None) -> Plan:
    """To the head of an agency holding the report, with a note; no status change. An agency
    admin escalates its own assignment; an operator names the agency when several hold it."""
    check_allowed(report, "escalate")
    if not may_take("escalate", actor):
        raise Forbidden("not_your_action", "Your role may not escalate reports.",
                        {"action": "escalate", "role": actor.role})
    if not note:
        raise Invalid("note_required", "Say why the report is escalated.", {"field": "note"})
    holding = [a["code"] for a in active_assignments(report.get("agencies") or [])]
    if actor.acts_as == AGENCY:
        if actor.agency not in holding:
            raise report_not_found()
        if agency not in (None, actor.agency):
            raise Invalid("not_your_agency", "Escalate your own agency's assignment only.",
                          {"agency": agency})
        agency = actor.agency
    elif agency is None:
        if len(holding) != 1:
            raise Invalid("agency_required", "Name the agency to escalate to.",
                          {"agencies": holding})
        agency = holding[0]
    elif agency not in holding:
        raise Invalid("unknown_agency", "No agency of this report by this code holds it.",
                      {"agency": agency, "agencies": holding})
    entry = {"agency": agency, "note": note, "by": {"id": actor.id, "role": actor.role},
             "at": now}
    return Plan("escalate", None, push={"escalations": entry},
                event_body={"agency": agency, "note": note, "by_role": actor.role},
                conditions={"status": report["status"], **agency_holds_filter(agency)})


# ---- field officers (petugas lapangan) -----------------------------------------------------
# An agency admin dispatches its assignment to officers of the agency (`dispatch`: each gets an
# entry in the assignment's `officers`, with its own times); an officer records visits
# (`visit`) and resolves; every entry keeps when it was assigned, first visited and resolved,
# and the history entries name the officer. An officer acts only on an assignment dispatched
# to it (its admins on any of the agency's); accepting and handing back are the admins'.

OFFICER_STATUSES = ("assigned", "visited", "resolved", "removed")
# The officers' own actions; `resolve` is the agencies' (an officer's records its times).
OFFICER_ACTIONS = ("dispatch", "visit")
# Actions with evidence photos that may come without one.
PHOTOS_OPTIONAL = frozenset({"visit"})
# The assignment statuses an agency may dispatch or visit from (forwarded: dispatching is the
# agency taking the report up, it is accepted in the same write).
_DISPATCHABLE = frozenset({"forwarded", "accepted", "in_progress"})
_VISITABLE = frozenset({"accepted", "in_progress"})


def active_officers(assignment: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in assignment.get("officers") or [] if o["status"] != "removed"]


def officer_entry(assignment: dict[str, Any], officer: str | None) -> dict[str, Any] | None:
    return next((o for o in active_officers(assignment) if o["id"] == officer), None)


def officer_may_act(assignment: dict[str, Any], actor: Actor) -> bool:
    """An officer acts on an assignment only once it is dispatched to it (not before, not
    after it was removed); the agency's admins act on any of the agency's."""
    return actor.role != OFFICER or officer_entry(assignment, actor.id) is not None


def check_officer(report: dict[str, Any], actor: Actor) -> None:
    """Refuses an officer's action on its agency's assignment not dispatched to it."""
    mine = own_assignment(report, actor.agency)
    if mine is not None and not officer_may_act(mine, actor):
        raise Forbidden("not_your_task", "This report is not assigned to you.",
                        {"officers": [o["id"] for o in active_officers(mine)]})


def agency_may_act(name: str, assignment: dict[str, Any], actor: Actor) -> bool:
    """Whether `actor` of the agency may take the agency action `name` on its `assignment`."""
    if not officer_may_act(assignment, actor):
        return False
    if name == "dispatch":
        return assignment["status"] in _DISPATCHABLE
    if name == "visit":
        return assignment["status"] in _VISITABLE
    return agency_may_move(assignment["status"], ACTIONS[name].assignment_to or "")


def _officers_back_at_work(assignment: dict[str, Any]) -> None:
    """A reopened assignment's officers who resolved it have it to do again: visited, their
    times kept (the next resolution is their new `resolved_at`)."""
    if assignment.get("officers"):
        assignment["officers"] = [{**o, "status": "visited"} if o["status"] == "resolved"
                                  else o for o in assignment["officers"]]


def officer_tasks_filter(agency: str, officer: str) -> dict[str, Any]:
    """Reports whose assignment of `agency` (held now) is dispatched to `officer`: its tasks."""
    return {"agencies": {"$elemMatch": {
        "code": agency, "status": {"$nin": sorted(INACTIVE_ASSIGNMENTS)},
        "officers": {"$elemMatch": {"id": officer, "status": {"$ne": "removed"}}}}}}


def _without_move(report: dict[str, Any], action: str, assignments: list[dict[str, Any]],
                  previous: str, note: str | None, details: dict[str, Any],
                  public_response: str | None, now: datetime) -> Plan:
    """An agency action that leaves its assignment's status as it is: recorded in the
    history with the report's status as its agencies make it (a reopened report whose agency
    dispatches again is accepted)."""
    overall = overall_status(assignments)
    if not can_transition(report["status"], overall):
        raise illegal(report, action, assignment_status=previous)
    mine = own_assignment({"agencies": assignments}, details["agency"])
    if public_response and mine is not None:
        _responded(mine, now)
        details = {**details, "public_response": public_response}
    routing_key = "" if overall == report["status"] else None
    return Plan(action, overall, note, set={"agencies": assignments}, details=details,
                routing_key=routing_key,
                event_body={"agency": details["agency"], "agency_status": previous})


def _mine_in(plan: Plan, agency: str) -> dict[str, Any]:
    mine = own_assignment({"agencies": plan.set["agencies"]}, agency)
    assert mine is not None  # the planner found it
    return mine


def _agency_step(report: dict[str, Any], now: datetime, action: str, actor: Actor,
                 note: str | None, movable: frozenset[str], *, deadlines: Deadlines,
                 category: dict[str, Any] | None, photos: list[dict[str, Any]] | None,
                 public_response: str | None) -> Plan:
    """`action` on the actor's agency's assignment: moved as the table says where it still
    can be (`plan_agency`), else recorded without moving it."""
    check_allowed(report, action)
    if not may_take(action, actor):
        raise Forbidden("not_your_action", f"Your role may not take the action '{action}'.",
                        {"action": action, "role": actor.role})
    agency = actor.agency or ""
    mine = own_assignment(report, agency)
    if mine is None:
        raise report_not_found()
    check_officer(report, actor)
    if mine["status"] not in movable:
        raise illegal(report, action, assignment_status=mine["status"])
    if agency_may_move(mine["status"], ACTIONS[action].assignment_to or ""):
        return plan_agency(report, now, action, agency, note, deadlines=deadlines,
                           category=category, photos=photos, public_response=public_response)
    details: dict[str, Any] = {"action": action, "agency": agency,
                               "agency_from": mine["status"], "agency_to": mine["status"]}
    if photos:
        details["photos"] = photos
    return _without_move(report, action, [dict(a) for a in report.get("agencies", [])],
                         mine["status"], note, details, public_response, now)


def plan_dispatch(report: dict[str, Any], now: datetime, actor: Actor,
                  officers: list[dict[str, Any]], note: str | None, *, deadlines: Deadlines,
                  category: dict[str, Any] | None, public_response: str | None = None) -> Plan:
    """The agency admin gives its assignment to `officers` (the users named, each an active
    officer of the agency: `_id`, `name`), the whole list: officers no longer named are
    removed, newly named ones assigned. A forwarded assignment is accepted with it."""
    plan = _agency_step(report, now, "dispatch", actor, note, _DISPATCHABLE,
                        deadlines=deadlines, category=category, photos=None,
                        public_response=public_response)
    agency = actor.agency or ""
    mine = _mine_in(plan, agency)
    entries = [dict(o) for o in mine.get("officers") or []]
    named = {o["_id"]: o for o in officers}
    removed = []
    for entry in entries:
        if entry["status"] != "removed" and entry["id"] not in named:
            entry.update(status="removed", removed_at=now)
            removed.append(entry["id"])
    added = []
    for officer_id, user in named.items():
        at = next((i for i, e in enumerate(entries) if e["id"] == officer_id), None)
        if at is not None and entries[at]["status"] != "removed":
            continue
        entry = {"id": officer_id, "name": user.get("name") or user.get("username"),
                 "assigned_at": now, "first_visit_at": None, "resolved_at": None,
                 "status": "assigned"}
        if at is None:
            entries.append(entry)
        else:  # named again after being removed: assigned afresh
            entries[at] = entry
        added.append(officer_id)
    mine["officers"] = entries
    kept = [e["id"] for e in entries if e["status"] != "removed"]
    return replace(plan, details={**plan.details, "officers": kept, "added": added,
                                  "removed": removed},
                   also=(("report.dispatched", {"agency": agency, "officers": added,
                                                "removed": removed}),))


def plan_visit(report: dict[str, Any], now: datetime, actor: Actor, note: str | None, *,
               deadlines: Deadlines, category: dict[str, Any] | None,
               photos: list[dict[str, Any]] | None = None,
               public_response: str | None = None) -> Plan:
    """An officer of the assignment was on the spot: its progress note (and photos); the
    first visit is its `first_visit_at`, and an accepted assignment is now in progress."""
    plan = _agency_step(report, now, "visit", actor, note, _VISITABLE, deadlines=deadlines,
                        category=category, photos=photos, public_response=public_response)
    entry = officer_entry(_mine_in(plan, actor.agency or ""), actor.id)
    assert entry is not None
    entry.update(status="visited", first_visit_at=entry.get("first_visit_at") or now)
    return replace(plan, details={**plan.details, "officer": actor.id})


def officer_resolution(plan: Plan, actor: Actor, now: datetime,
                       evidence_reasons: list[str]) -> Plan:
    """A resolution (`plan_agency`'s) as its resolver made it: an officer's entry records when
    it resolved (and, if it never recorded a visit, visited); evidence photos that fail the
    photo checks flag the assignment for its admins (`evidence_flag`, event
    `report.evidence_flagged`), and a resolution with good evidence clears an old flag."""
    agency = actor.agency or ""
    mine = _mine_in(plan, agency) if plan.set.get("agencies") else None
    if mine is None:
        return plan
    details = dict(plan.details)
    entry = officer_entry(mine, actor.id) if actor.role == OFFICER else None
    if entry is not None:
        entry.update(status="resolved", resolved_at=now,
                     first_visit_at=entry.get("first_visit_at") or now)
        details["officer"] = actor.id
    also = plan.also
    if evidence_reasons:
        mine["evidence_flag"] = {"officer": actor.id, "reasons": evidence_reasons, "at": now}
        details["evidence_reasons"] = evidence_reasons
        also = (*also, ("report.evidence_flagged", {"agency": agency, "officer": actor.id,
                                                    "reasons": evidence_reasons}))
    elif mine.get("evidence_flag"):
        mine["evidence_flag"] = None
    return replace(plan, details=details, also=also)
