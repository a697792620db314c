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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aduan.domain.errors import Conflict, Invalid, report_not_found

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
# What an agency action can make of the report: its status follows its agencies' sub-statuses.
_FOLLOWS_AGENCIES = frozenset({"forwarded", "accepted", "in_progress", "resolved", "verified"})


@dataclass(frozen=True)
class Action:
    by: str  # operator | agency | reporter | system | anyone (who may see the report)
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
                       frozenset({"postponed"}), note="required"),
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
    "accept": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, assignment_to="accepted"),
    "start": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, assignment_to="in_progress"),
    "resolve": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, effects=("store_evidence",),
                      note="required", inputs=("photos",), assignment_to="resolved"),
    "hand_back": Action(AGENCY, _OPEN_ALL, _FOLLOWS_AGENCIES, note="required",
                        assignment_to="handed_back"),
    "confirm": Action(REPORTER, frozenset({"resolved", "referred"}), frozenset({"closed"})),
    "reopen": Action(REPORTER, frozenset({"resolved"}), frozenset({"reopened"}),
                     note="required"),
    "rate": Action(REPORTER, frozenset({"resolved", "closed"}), note="none",
                   inputs=("score",)),
    "comment": Action(ANYONE, _ALL, note="none", inputs=("text",)),
    "auto_close": Action(SYSTEM, frozenset({"resolved", "referred"}), frozenset({"closed"}),
                         note="none"),
    "breach": Action(SYSTEM, _ALL - TERMINAL, event="report.sla_breached", note="none"),
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


def overdue_filter(now: datetime, agency: str | None = None) -> dict[str, Any]:
    """Reports past a deadline now: not forwarded in time, or an active agency (`agency`, or
    any) that has not responded in time."""
    late_agency: dict[str, Any] = {"due_at": {"$lt": now},
                                   "status": {"$nin": sorted(INACTIVE_ASSIGNMENTS)}}
    if agency is not None:
        return {"agencies": {"$elemMatch": {"code": agency, **late_agency}}}
    return {"$or": [
        {"forward_due_at": {"$lt": now}, "status": {"$in": list(AWAITING_FORWARD)}},
        {"agencies": {"$elemMatch": late_agency}},
    ]}


def late_deadlines(report: dict[str, Any], now: datetime
                   ) -> list[tuple[str, str | None, datetime]]:
    """The deadlines of `report` passed at `now`, as (kind, agency, due): `forward` while it
    waits for an operator, `follow_up` for each active agency that has not responded."""
    late: list[tuple[str, str | None, datetime]] = []
    due = report.get("forward_due_at")
    if report.get("status") in AWAITING_FORWARD and due is not None and due < now:
        late.append(("forward", None, due))
    for assignment in report.get("agencies") or []:
        due = assignment.get("due_at")
        if due is not None and due < now and assignment["status"] not in INACTIVE_ASSIGNMENTS:
            late.append(("follow_up", assignment["code"], due))
    return late


def is_overdue(report: dict[str, Any], now: datetime, agency: str | None = None) -> bool:
    """Past a deadline now; with `agency`, past that agency's own follow-up deadline. What the
    consoles mark late, as the sweep and the figures see it."""
    return any(agency is None or (kind == "follow_up" and late == agency)
               for kind, late, _ in late_deadlines(report, now))


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
        return AGENCY if self.agency and self.role != OPERATOR else self.role or ""


def allowed_actions(report: dict[str, Any], actor: Actor) -> list[str]:
    """The actions `actor` may take on `report` now, in the table's order: what the console
    draws its buttons from. (A planner may still refuse: a duplicate of an unknown report.)"""
    allowed = []
    for name, action in ACTIONS.items():
        if action.by != actor.acts_as or report["status"] not in action.starts:
            continue
        if action.roles and actor.role not in action.roles:
            continue
        if action.by == AGENCY:
            mine = own_assignment(report, actor.agency)
            if mine is None or not agency_may_move(mine["status"], action.assignment_to
                                                       or ""):
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
    key = plan_key(plan)
    if not key:
        return []
    data = dict(plan.event_body)
    if plan.target is not None:
        source = plan.through[0] if plan.through else report["status"]
        data = {"from": source, "status": plan.target, "actor_role": actor.role or actor.kind,
                **data}
    return [ReportEvent(key, report["_id"], report["code"], report["city"], now, data)]


# ---- deadlines the planners need ---------------------------------------------------------

class Deadlines(Protocol):
    """Service levels in a city's working days (`aduan.infra.deadlines` computes them)."""

    def forward_due(self, city: str, category: dict[str, Any] | None, start: datetime
                    ) -> datetime: ...

    def follow_up_due(self, city: str, category: dict[str, Any] | None, start: datetime
                      ) -> datetime: ...

    def auto_close_at(self, city: str, start: datetime) -> datetime: ...


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


def plan_verify(report: dict[str, Any], now: datetime, note: str | None, actor: Actor, *,
                deadlines: Deadlines, category: dict[str, Any] | None,
                photos: list[dict[str, Any]] | None = None) -> Plan:
    """`photos`: the report's photos with their public copies (the `publish_copies` effect),
    needed when the report was rejected and its copies withdrawn."""
    check_allowed(report, "verify")
    # A postponed report's clock starts again when it is taken up.
    start = now if report["status"] == "postponed" else report["created_at"]
    due = deadlines.forward_due(report["city"], category, start)
    if report["status"] == "needs_review" and report.get("forward_due_at"):
        due = report["forward_due_at"]
    changes: dict[str, Any] = {"forward_due_at": due,
                               **_override(report, "verified", note, actor, now)}
    if photos is not None:
        changes["photos"] = photos
    return Plan("verify", "verified", note, set=changes, details={"action": "verify"})


def plan_reject(report: dict[str, Any], now: datetime, note: str | None, actor: Actor) -> Plan:
    """The public copies go (`withdraw_copies`): a rejected report is not shown."""
    check_allowed(report, "reject")
    return Plan("reject", "rejected", note,
                set={"forward_due_at": None,
                     "photos": [unpublished(photo) for photo in report.get("photos", [])],
                     **_override(report, "rejected", note, actor, now)},
                details={"action": "reject"})


def plan_postpone(report: dict[str, Any], now: datetime, note: str | None) -> Plan:
    check_allowed(report, "postpone")
    return Plan("postpone", "postponed", note, set={"forward_due_at": None},
                details={"action": "postpone"})


def plan_archive(report: dict[str, Any], now: datetime, note: str | None) -> Plan:
    check_allowed(report, "archive")
    return Plan("archive", "archived", note, details={"action": "archive"})


def _withdraw_all(assignments: list[dict[str, Any]], now: datetime) -> list[str]:
    withdrawn = []
    for assignment in assignments:
        if assignment["status"] not in INACTIVE_ASSIGNMENTS:
            assignment.update(status="withdrawn", withdrawn_at=now, due_at=None)
            withdrawn.append(assignment["code"])
    return withdrawn


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
                         "auto_close_at": deadlines.auto_close_at(city, now)})
    due = deadlines.follow_up_due(city, category, now)
    assignments += [
        {"code": agency["code"], "name": agency["name_id"], "kind": agency["kind"],
         "status": "forwarded", "forwarded_at": now, "due_at": due, "responded_at": None}
        for agency in agencies
    ]
    return Plan(action, "forwarded", note, details=details, event_body={"agencies": codes},
                set={"agencies": assignments, "triage": False})


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
                set={"duplicate_of": link, "agencies": assignments},
                details={"action": "duplicate", "duplicate_of": original["code"],
                         "withdrawn": withdrawn},
                event_body={"duplicate_of": original["code"]})


def own_assignment(report: dict[str, Any], agency: str | None) -> dict[str, Any] | None:
    """The assignment `agency` is working on in `report` (an agency has at most one active)."""
    return next((a for a in report.get("agencies") or []
                 if a["code"] == agency and a["status"] not in INACTIVE_ASSIGNMENTS), None)


def plan_agency(report: dict[str, Any], now: datetime, action: str, agency: str,
                note: str | None, *, deadlines: Deadlines, category: dict[str, Any] | None,
                photos: list[dict[str, Any]] | None = None) -> Plan:
    """An agency moves its own assignment; the report's status follows its agencies."""
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
    mine["status"] = target
    mine[ASSIGNMENT_TIMES[target]] = now
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
    assignments = [dict(a) for a in report.get("agencies", [])]
    reopened = []
    for assignment in assignments:
        if assignment["status"] == "resolved":
            assignment.update(status="accepted", reopened_at=now, due_at=due, responded_at=None)
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


def plan_comment(report: dict[str, Any], comment: dict[str, Any]) -> Plan:
    """A comment is appended where the report still has the comments that were counted (the
    daily limits were checked against them)."""
    count = len(report.get("comments", []))
    return Plan("comment", None, push={"comments": comment},
                conditions={f"comments.{count}": {"$exists": False}})


def plan_triage(report: dict[str, Any], reason: str) -> Plan:
    """Left to the operators: no rule sends it, or it was routed before."""
    return Plan("triage", None, set={"triage": True, "triage_reason": reason},
                conditions={"status": report["status"]})


def escalation(kind: str, agency: str | None) -> list[dict[str, Any]]:
    leaders = {"role": "leader", "agency": None}
    if kind == "follow_up":
        return [{"role": "head_of_agency", "agency": agency}, leaders]
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
