"""Report stage durations and status counts, observed where every status change happens
(`aduan.domain.lifecycle.transition`), labelled by agency code.

Stages (SP4N-LAPOR!'s and Padang Kiniko's): submit_to_forward (report created → forwarded),
forward_to_accept (forwarded → accepted by the agency), accept_to_resolve (accepted →
resolved). Each is measured from the latest entry into its start status, so a re-routed or
reopened report is timed from when the current round began.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aduan.infra import metrics
from aduan.infra.catalogue import seed

# Stage completed by reaching a status: (stage, status that started it; None = submission).
STAGES: dict[str, tuple[str, str | None]] = {
    "forwarded": ("submit_to_forward", None),
    "accepted": ("forward_to_accept", "forwarded"),
    "resolved": ("accept_to_resolve", "accepted"),
}
NO_AGENCY = "none"
OTHER_AGENCY = "other"


@cache
def known_agencies() -> frozenset[str]:
    return frozenset(agency["code"] for agency in seed()["agencies"])


def agency_label(code: Any) -> str:
    """Bounded label values: the catalogue's agency codes, else `other`."""
    return code if code in known_agencies() else OTHER_AGENCY


def agency_labels(report: dict[str, Any]) -> list[str]:
    codes = [a.get("code") for a in report.get("agencies") or [] if isinstance(a, dict)]
    labels = sorted({agency_label(code) for code in codes if code})
    return labels or [NO_AGENCY]


def stage_started_at(report: dict[str, Any], start_status: str | None) -> datetime | None:
    if start_status is None:
        return _aware(report.get("created_at"))
    for entry in reversed(report.get("history") or []):
        if entry.get("to") == start_status:
            return _aware(entry.get("at"))
    return None


def observe_transition(updated: dict[str, Any], target: str, now: datetime) -> None:
    """Counts the status change and, where it completes a stage, observes how long the stage
    took. `updated` is the report after the change (its history ends with this transition)."""
    agencies = agency_labels(updated)
    for agency in agencies:
        metrics.report_transitions.labels(target, agency).inc()
    stage = STAGES.get(target)
    if stage is None:
        return
    name, start_status = stage
    # The history's last entry is this very transition: look for the start before it.
    earlier = {**updated, "history": (updated.get("history") or [])[:-1]}
    started = stage_started_at(earlier, start_status)
    if started is None:
        return
    seconds = max(0.0, (now - started).total_seconds())
    for agency in agencies:
        metrics.report_stage_duration.labels(name, agency).observe(seconds)


def _aware(value: Any) -> datetime | None:
    # MongoDB hands back naive UTC datetimes unless the client is tz-aware.
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
