"""The one status state machine. Every change is a conditional update on the status and the
version the caller read, appends to the append-only history and stores the resulting event in
the outbox, all in one atomic write: of two people acting on the same report at once, one wins
and the other's write matches nothing.

A report forwarded to several agencies has one assignment per agency, each with its own
sub-status; the report's status is derived from them (`overall_status`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.infra.messaging import Event
from aduan.infra.outbox import COLLECTION, outbox_entry
from aduan.infra.report_metrics import observe_transition

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"verifying"}),
    "verifying": frozenset({"verified", "needs_review", "rejected"}),
    "needs_review": frozenset({"verified", "rejected", "postponed", "forwarded", "referred",
                               "archived", "duplicate"}),
    "verified": frozenset({"forwarded", "referred", "postponed", "archived", "duplicate"}),
    "postponed": frozenset({"verified", "rejected", "forwarded", "referred", "archived",
                            "duplicate"}),
    # Same-status moves: another agency of a multi-agency report acted, or a re-route.
    "forwarded": frozenset({"forwarded", "accepted", "verified", "referred", "duplicate"}),
    "accepted": frozenset({"accepted", "in_progress", "forwarded", "verified", "referred",
                           "duplicate"}),
    "in_progress": frozenset({"in_progress", "resolved", "accepted", "forwarded", "verified",
                              "referred"}),
    "resolved": frozenset({"closed", "reopened"}),
    "reopened": frozenset({"reopened", "accepted", "in_progress", "forwarded", "verified",
                           "referred"}),
    "referred": frozenset({"closed"}),
    # An operator may overturn an automatic rejection (issue 4: verdict override).
    "rejected": frozenset({"verified"}),
    "closed": frozenset(),
    "archived": frozenset(),
    "duplicate": frozenset(),
}
STATUSES = tuple(TRANSITIONS)

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
# Statuses in which the city still owes the report a forward (its forwarding clock runs).
AWAITING_FORWARD = ("needs_review", "verified")


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
    any) that has not responded in time. The SLA sweep and the staff lists share it."""
    late_agency: dict[str, Any] = {"due_at": {"$lt": now},
                                   "status": {"$nin": sorted(INACTIVE_ASSIGNMENTS)}}
    if agency is not None:
        return {"agencies": {"$elemMatch": {"code": agency, **late_agency}}}
    return {"$or": [
        {"forward_due_at": {"$lt": now}, "status": {"$in": list(AWAITING_FORWARD)}},
        {"agencies": {"$elemMatch": late_agency}},
    ]}

# Transitions that matter outside the service making them get their own event key.
EVENT_KEYS: dict[str, str] = {
    "verified": "report.verified",
    "needs_review": "report.needs_review",
    "rejected": "report.rejected",
    "forwarded": "report.forwarded",
    "referred": "report.referred",
}
SILENT_STATUSES = frozenset({"verifying"})


class IllegalTransition(ValueError):
    pass


@dataclass(frozen=True)
class Actor:
    kind: str  # reporter | staff | system
    id: str | None
    role: str | None = None
    agency: str | None = None  # the agency an agency_admin or officer acts for

    def as_doc(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "role": self.role, "agency": self.agency}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def can_move_assignment(current: str, target: str) -> bool:
    return target in ASSIGNMENT_TRANSITIONS.get(current, frozenset())


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


def event_key(status: str) -> str | None:
    if status in SILENT_STATUSES:
        return None
    return EVENT_KEYS.get(status, "report.status_changed")


def _version_filter(report: dict[str, Any]) -> dict[str, Any]:
    if "version" in report:
        return {"version": report["version"]}
    return {"version": {"$exists": False}}


def transition(
    db: Database,
    report: dict[str, Any],
    target: str,
    actor: Actor,
    *,
    note: str | None = None,
    extra_set: dict[str, Any] | None = None,
    correlation_id: str | None = None,
    details: dict[str, Any] | None = None,
    event_body: dict[str, Any] | None = None,
    routing_key: str | None = None,
    now: datetime | None = None,
    via: tuple[str, datetime] | None = None,
) -> tuple[dict[str, Any] | None, list[Event]]:
    """Moves `report` from its current status to `target`.

    `details` go into the history entry (action, agencies, evidence photos, reason, ...),
    `event_body` into the event; `routing_key` replaces the status's usual event key, and an
    empty string sends no event. `via` (status, when) passes through a silent intermediate
    status in the same write, with its own history entry: verification's `verifying`, which
    need not cost a write of its own. Returns the updated document and the events stored in
    its outbox, or (None, []) when the report changed since it was read (someone else acted
    first).
    """
    current = report["status"]
    now = now or datetime.now(UTC)
    entries = []
    if via is not None:
        through, reached_at = via
        if not can_transition(current, through) or event_key(through) is not None:
            raise IllegalTransition(f"{current} -> {through}")
        entries.append({"at": reached_at, "from": current, "to": through,
                        "actor": actor.as_doc(), "note": None})
        current = through
    if not can_transition(current, target):
        raise IllegalTransition(f"{current} -> {target}")
    entry = {
        "at": now,
        "from": current,
        "to": target,
        "actor": actor.as_doc(),
        "note": note,
        **(details or {}),
    }
    entries.append(entry)
    events: list[Event] = []
    key = event_key(target) if routing_key is None else routing_key
    if key:
        events.append(
            Event(
                routing_key=key,
                body={
                    "report_id": report["_id"],
                    "code": report["code"],
                    "city": report["city"],
                    "from": current,
                    "status": target,
                    "actor_role": actor.role or actor.kind,
                    "occurred_at": now.isoformat(),
                    **(event_body or {}),
                },
                correlation_id=correlation_id,
            )
        )
    update: dict[str, Any] = {
        "$set": {"status": target, "updated_at": now, **(extra_set or {})},
        "$push": {"history": {"$each": entries}},
        "$inc": {"version": 1},
    }
    if events:
        update["$push"]["outbox"] = {"$each": [outbox_entry(e) for e in events]}
    # A plain update rather than find-and-modify: the filter pins the version that was read, so
    # the result is known without reading it back (and SecantusDB's find-and-modify scans the
    # whole collection).
    updated = after_image(report, update)  # before the write: an unknown shape writes nothing
    result = db[COLLECTION].update_one(
        {"_id": report["_id"], "status": report["status"], **_version_filter(report)}, update)
    if result.matched_count == 0:
        return None, []
    if via is not None:
        observe_transition({**updated, "history": updated["history"][:-1]}, via[0], via[1])
    observe_transition(updated, target, now)
    return updated, events


def after_image(report: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`report` as a `$set` (dotted paths too), `$push` (with `$each`) and `$inc` update leaves
    it: the document a matching conditional update wrote, times at BSON's millisecond
    precision. Fields other writers change without a version bump (outbox removals, SLA
    breaches, comments, ratings) are as they were read. Other update shapes are refused."""
    if set(update) - {"$set", "$push", "$inc"}:
        raise ValueError(f"after_image does not know {sorted(update)}")
    after = copy.deepcopy(report)
    for path, value in update.get("$set", {}).items():
        parent, name = _parent(after, path)
        parent[name] = _as_stored(value)
    for path, value in update.get("$push", {}).items():
        parent, name = _parent(after, path)
        modifiers = isinstance(value, dict) and any(key.startswith("$") for key in value)
        if modifiers and set(value) != {"$each"}:
            raise ValueError(f"after_image does not know $push modifiers {sorted(value)}")
        items = value["$each"] if modifiers else [value]
        parent[name] = [*parent.get(name, []), *_as_stored(items)]
    for path, value in update.get("$inc", {}).items():
        parent, name = _parent(after, path)
        parent[name] = parent.get(name, 0) + value
    return after


def _as_stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(v) for v in value]
    return value


def _parent(document: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, name = path.split(".")
    for part in [*parents, name]:
        if part.isdigit() or part.startswith("$"):
            raise ValueError(f"after_image does not follow array positions: {path}")
    for part in parents:
        child = document.setdefault(part, {})
        if not isinstance(child, dict):  # MongoDB refuses such a write: no image to give
            raise ValueError(f"{path}: {part} is not a document")
        document = child
    return document, name
