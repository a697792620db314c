"""The one status state machine. Every change is a conditional update on the current status,
appends to the history and stores the resulting event in the outbox, all in one atomic write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from aduan.messaging import Event
from aduan.outbox import COLLECTION, outbox_entry

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"verifying"}),
    "verifying": frozenset({"verified", "needs_review", "rejected"}),
    "needs_review": frozenset({"verified", "rejected"}),
    "verified": frozenset({"forwarded", "referred", "archived"}),
    "forwarded": frozenset({"accepted", "verified"}),
    "accepted": frozenset({"in_progress"}),
    "in_progress": frozenset({"resolved"}),
    "resolved": frozenset({"closed", "reopened"}),
    "reopened": frozenset({"forwarded", "in_progress"}),
    "referred": frozenset({"closed"}),
    # An operator may overturn an automatic rejection (issue 4: verdict override).
    "rejected": frozenset({"verified"}),
    "closed": frozenset(),
    "archived": frozenset(),
}

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
    id: str
    role: str | None = None

    def as_doc(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "role": self.role}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def event_key(status: str) -> str | None:
    if status in SILENT_STATUSES:
        return None
    return EVENT_KEYS.get(status, "report.status_changed")


def transition(
    db: Database,
    report: dict[str, Any],
    target: str,
    actor: Actor,
    *,
    note: str | None = None,
    extra_set: dict[str, Any] | None = None,
    correlation_id: str | None = None,
) -> tuple[dict[str, Any] | None, list[Event]]:
    """Moves `report` from its current status to `target`.

    Returns the updated document and the events stored in its outbox, or (None, []) when the
    report was no longer in the status it was read in (someone else moved it first).
    """
    current = report["status"]
    if not can_transition(current, target):
        raise IllegalTransition(f"{current} -> {target}")
    now = datetime.now(UTC)
    entry = {
        "at": now,
        "from": current,
        "to": target,
        "actor": actor.as_doc(),
        "note": note,
    }
    events: list[Event] = []
    key = event_key(target)
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
                    "occurred_at": now.isoformat(),
                },
                correlation_id=correlation_id,
            )
        )
    update: dict[str, Any] = {
        "$set": {"status": target, "updated_at": now, **(extra_set or {})},
        "$push": {"history": entry},
    }
    if events:
        update["$push"]["outbox"] = {"$each": [outbox_entry(e) for e in events]}
    updated = db[COLLECTION].find_one_and_update(
        {"_id": report["_id"], "status": current},
        update,
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        return None, []
    return updated, events
