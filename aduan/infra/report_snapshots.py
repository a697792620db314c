"""The report as an event leaves it, carried in the event (`report` in its body), so that the
consumers (verification, routing, notification) need not read it back.

The snapshot is the document the write that made the event left (`Reports.write`'s after-image,
or the new report), without its outbox, as MongoDB Extended JSON in one string: dates and
numbers come back as they were stored, and the outbox (in the report document, where the event
waits until published) keeps a plain string rather than `$`-named fields.

What the consumers rely on: a status change is a conditional write on the status and version
that were read, so a consumer whose write misses after it took the report from the event reads
it again (routing, verification); the notifier tells people of the report as it was when the
step happened, and reads it afresh when the event is retried. An event without a snapshot (one
published by an earlier version, still queued when this one deploys; a report too big to carry)
is handled by reading the report, as before.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from bson import json_util
from bson.json_util import JSONMode, JSONOptions

FIELD = "report"
# Past this, the event carries no snapshot (its consumers read the report): a report with
# hundreds of followers or comments would otherwise ride along in every event and outbox entry.
MAX_CHARS = 24_000
OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)


def with_snapshot(body: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """`body` with the report's snapshot, unless it is too big to carry."""
    encoded = json_util.dumps({k: v for k, v in report.items() if k != "outbox"},
                              json_options=OPTIONS)
    return {**body, FIELD: encoded} if len(encoded) <= MAX_CHARS else body


def snapshot_in(body: dict[str, Any]) -> dict[str, Any] | None:
    """The report an event carries (None: read it), checked to be the one the event names."""
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
    return report
