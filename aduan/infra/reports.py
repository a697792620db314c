"""The reports collection: the one place a report is created and changed.

`commit` writes a lifecycle plan as one conditional update: a status change pins the status
and version that were read, sets the new status, appends the history and pushes the events into
the report's outbox, all in one atomic write; of two people acting on the same report at once,
one wins and the other's write matches nothing. A plan without a status change (a rating, a
comment, a breach) is written where its own conditions still hold. The events are then
published and pulled from the outbox; the relay (`aduan.infra.outbox`) sends whatever a crash
or a broker outage left there.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.domain.errors import Conflict, report_not_found
from aduan.domain.lifecycle import (
    Actor,
    Plan,
    ReportEvent,
    history_entries,
    plan_events,
)
from aduan.infra.messaging import Event, Publisher
from aduan.infra.outbox import COLLECTION, flush, outbox_entry
from aduan.infra.report_metrics import observe_transition
from aduan.infra.report_snapshots import with_snapshot

MAX_ATTEMPTS = 5
Planner = Callable[[dict[str, Any], datetime], Plan]


def as_message(event: ReportEvent, correlation_id: str | None,
               report: dict[str, Any] | None = None) -> Event:
    """The event as published; with `report`, carrying it as the write left it
    (`aduan.infra.report_snapshots`)."""
    body = event.body() if report is None else with_snapshot(event.body(), report)
    return Event(routing_key=event.key, body=body, correlation_id=correlation_id)


def carrying(message: Event, report: dict[str, Any]) -> Event:
    """The stored event `message` as published: the same message carrying `report`."""
    return replace(message, body=with_snapshot(message.body, report))


class Reports:
    def __init__(self, db: Database, publisher: Publisher | None) -> None:
        self.db = db
        self.publisher = publisher

    def get(self, report_id: str) -> dict[str, Any] | None:
        return self.db[COLLECTION].find_one({"_id": report_id})

    def by_code(self, code: str, projection: dict[str, Any] | None = None
                ) -> dict[str, Any] | None:
        return self.db[COLLECTION].find_one({"code": code}, projection)

    # ---- creating ----------------------------------------------------------------------

    def create(self, report: dict[str, Any], event: ReportEvent, correlation_id: str | None
               ) -> Event:
        """Inserts a new report with its first event in the outbox (a duplicate `_id` or code
        raises pymongo's DuplicateKeyError); `publish` sends the event afterwards."""
        # Stored without the report's copy (the document would carry a copy of itself until
        # the event is pulled); the message published carries it.
        stored = as_message(event, correlation_id)
        self.db[COLLECTION].insert_one({**report, "outbox": [outbox_entry(stored)]})
        return carrying(stored, report)

    # ---- changing ----------------------------------------------------------------------

    def write(self, report: dict[str, Any], plan: Plan, actor: Actor, now: datetime,
              correlation_id: str | None, published: str | None = None
              ) -> tuple[dict[str, Any] | None, list[Event]]:
        """One conditional write of `plan`: the report as it now is and the events stored in
        its outbox, or (None, []) when the report changed since it was read.

        `published`: the message id of the event of this report a consumer is handling. It was
        received, so it was published: the same write takes it out of the outbox, and the
        publisher's deferred pull then finds nothing to change (no write)."""
        entries = history_entries(report, plan, actor, now)
        planned = plan_events(report, plan, actor, now)
        update: dict[str, Any] = {}
        push: dict[str, Any] = dict(plan.push)
        if plan.target is not None:
            update["$set"] = {"status": plan.target, "updated_at": now, **plan.set}
            push["history"] = {"$each": entries}
            update["$inc"] = {"version": 1}
            condition = {**plan.conditions, "status": report["status"],
                         **_version_filter(report)}
        else:
            if plan.set:
                update["$set"] = dict(plan.set)
            condition = dict(plan.conditions)
            if plan.pinned:
                condition.update(_version_filter(report))
                update["$inc"] = {"version": 1}
        if push:
            update["$push"] = push
        # A plain update rather than find-and-modify: the filter pins what was read, so the
        # result is known without reading it back (and SecantusDB's find-and-modify scans the
        # whole collection).
        updated = after_image(report, update)  # before the write: an unknown shape writes nothing
        stored = [as_message(e, correlation_id) for e in planned]
        entries_out = [outbox_entry(e) for e in stored]
        if entries_out:
            updated["outbox"] = [*updated.get("outbox", []), *_as_stored(entries_out)]
        if not self._update({"_id": report["_id"], **condition}, update, entries_out,
                            published):
            return None, []
        # The events as published carry the report as this write left it, so consumers need
        # not read it; the outbox holds them without it (the relay sends them so).
        events = [carrying(e, updated) for e in stored]
        if plan.target is not None:
            if plan.through is not None:
                observe_transition({**updated, "history": updated["history"][:-1]},
                                   plan.through[0], plan.through[1])
            observe_transition(updated, plan.target, now)
        return updated, events

    def _update(self, condition: dict[str, Any], update: dict[str, Any],
                entries: list[dict[str, Any]], published: str | None) -> bool:
        """`update` where `condition` holds, `entries` added to the outbox and `published`
        taken out of it; False when nothing matched."""
        reports = self.db[COLLECTION]
        if published is not None and not entries:
            pull = {**update, "$pull": {"outbox": {"message_id": published}}}
            return reports.update_one(condition, pull).matched_count > 0
        if published is not None:
            # A $push and a $pull of one array in one update are refused (MongoDB and
            # SecantusDB alike), so the outbox is set to the new events, where it holds no
            # other event than the published one (the usual case). Otherwise (another event
            # not yet taken out) the events are pushed, and `published` is left to its
            # publisher's pull: one more command, rare.
            only_published = {"outbox": {"$not": {"$elemMatch": {
                "message_id": {"$ne": published}}}}}
            replaced = {**update, "$set": {**update.get("$set", {}), "outbox": entries}}
            if reports.update_one({**condition, **only_published}, replaced).matched_count:
                return True
        if entries:
            update = {**update, "$push": {**update.get("$push", {}),
                                          "outbox": {"$each": entries}}}
        return reports.update_one(condition, update).matched_count > 0

    def publish(self, report_id: str, events: list[Event]) -> bool:
        """Publishes events already in the report's outbox; False leaves them to the relay."""
        if not events or self.publisher is None:
            return not events
        return flush(self.db, report_id, events, self.publisher)

    def commit(self, report: dict[str, Any], plan: Plan, actor: Actor, now: datetime,
               correlation_id: str | None, published: str | None = None
               ) -> dict[str, Any] | None:
        """`write`, then `publish`; None when the report changed since it was read."""
        updated, events = self.write(report, plan, actor, now, correlation_id, published)
        if updated is not None:
            self.publish(report["_id"], events)
        return updated

    def perform(self, report_id: str, planner: Planner, actor: Actor,
                correlation_id: str | None) -> dict[str, Any]:
        """Reads, plans and commits until the write goes through: when someone else changed the
        report in between, it is read and planned again, so an action that is still valid goes
        through (two agencies accepting at once) and one that no longer is (two operators
        forwarding at once) is refused as `concurrent_update`."""
        for attempt in range(MAX_ATTEMPTS):
            report = self.get(report_id)
            if report is None:
                raise report_not_found()
            now = datetime.now(UTC)
            try:
                plan = planner(report, now)
            except Conflict as err:
                if attempt > 0:
                    raise Conflict(
                        "concurrent_update",
                        "Someone else changed this report while you acted; reload it.",
                        {"status": report["status"], "refused": err.code}) from err
                raise
            updated = self.commit(report, plan, actor, now, correlation_id)
            if updated is not None:
                return updated
        raise Conflict("concurrent_update",
                       "This report is changing too often right now; reload it and retry.")


def _version_filter(report: dict[str, Any]) -> dict[str, Any]:
    if "version" in report:
        return {"version": report["version"]}
    return {"version": {"$exists": False}}


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
