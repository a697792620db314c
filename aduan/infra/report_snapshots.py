"""The report as an event leaves it, carried in the event (`report` in its body), so that the
consumers (verification, routing, notification) need not read it back.

The snapshot is the document the write that made the event left (`Reports.write`'s after-image,
or the new report), without its outbox, as MongoDB Extended JSON in one string: dates and
numbers come back as they were stored, and the outbox (in the report document, where the event
waits until published) keeps a plain string rather than `$`-named fields.

A copy is used only fresh (`carried`): on the event's first delivery (not a retry, not a
broker redelivery, not an operator's replay of a parked message) and within `MAX_AGE_S` of the
write; an event that waited in a backlog, was relayed late (the relay sends none) or replayed
is handled from the report as it is now. The copy is not stored in the report's outbox: it is
added to the message as it is published, from the document the write left.

What the consumers rely on: a status change is a conditional write on the status and version
that were read, so a consumer whose write misses after it took the report from the event reads
it again (routing, verification); the notifier tells people of the report as it was when the
step happened, and reads it afresh when the event is retried. An event without a snapshot (one
published by an earlier version, still queued when this one deploys; a report too big to carry)
is handled by reading the report, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bson import json_util
from bson.json_util import JSONMode, JSONOptions

if TYPE_CHECKING:
    from aduan.infra.messaging import Delivery

FIELD = "report"
# Past this, the event carries no snapshot (its consumers read the report): a report with
# hundreds of followers or comments would otherwise ride along in every event and outbox entry.
MAX_CHARS = 24_000
OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)
# When the copy was made, inside the encoded copy (the event's own fields stay as they were).
TAKEN_AT = "_snapshot_taken_at"
# Older than this, a copy is not trusted: the report may have changed since (an unfollow, a
# report made private, an operator's rejection), so its consumers read it.
MAX_AGE_S = 10.0


def with_snapshot(body: dict[str, Any], report: dict[str, Any],
                  now: datetime | None = None) -> dict[str, Any]:
    """`body` with the report's snapshot taken `now`, unless it is too big to carry."""
    taken = (now or datetime.now(UTC)).isoformat()
    encoded = json_util.dumps({**{k: v for k, v in report.items() if k != "outbox"},
                               TAKEN_AT: taken}, json_options=OPTIONS)
    return {**body, FIELD: encoded} if len(encoded) <= MAX_CHARS else body


def without_snapshot(body: dict[str, Any]) -> dict[str, Any]:
    """`body` as stored or relayed: consumers of an event sent late read the report."""
    return {k: v for k, v in body.items() if k != FIELD}


def carried(delivery: Delivery, max_age_s: float = MAX_AGE_S,
            now: datetime | None = None) -> dict[str, Any] | None:
    """The report the delivered event carries when it may be trusted (see the module's
    docstring); None: read it."""
    if delivery.attempts or delivery.redelivered or delivery.replayed:
        return None
    report = snapshot_in(delivery.body, with_time=True)
    if report is None:
        return None
    taken = report.pop(TAKEN_AT, None)
    try:
        age = ((now or datetime.now(UTC)) - datetime.fromisoformat(taken)).total_seconds()
    except (TypeError, ValueError):  # no time (an earlier version's copy): not trusted
        return None
    return report if -max_age_s <= age <= max_age_s else None


def snapshot_in(body: dict[str, Any], with_time: bool = False) -> dict[str, Any] | None:
    """The report an event carries (None: read it), checked to be the one the event names;
    however old it is (`carried` says whether it may be used)."""
    encoded = body.get(FIELD)
    if not isinstance(encoded, str):
        return None
    try:
        report = json_util.loads(encoded, json_options=OPTIONS)
    except (ValueError, TypeError):
        return None
    if not isinstance(report, dict) or report.get("_id") != body.get("report_id") \
            or not isinstance(report.get("status"), str):
        return None
    if not with_time:
        report.pop(TAKEN_AT, None)
    return report
