"""Report stage durations and status counts, observed where every status change is committed,
labelled by agency code.

Stages (SP4N-LAPOR!'s and Padang Kiniko's): submit_to_forward (report created → forwarded),
forward_to_accept (forwarded → accepted by the agency), accept_to_resolve (accepted →
resolved); how long one took is `aduan.domain.figures.completed_stage`.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from aduan.domain.figures import completed_stage
from aduan.infra import metrics
from aduan.infra.catalogue import seeded_opd_codes

NO_AGENCY = "none"
OTHER_AGENCY = "other"


@cache
def known_agencies() -> frozenset[str]:
    return seeded_opd_codes()


def agency_label(code: Any) -> str:
    """Bounded label values: the catalogue's agency codes, else `other`."""
    return code if code in known_agencies() else OTHER_AGENCY


def agency_labels(report: dict[str, Any]) -> list[str]:
    codes = [a.get("code") for a in report.get("agencies") or [] if isinstance(a, dict)]
    labels = sorted({agency_label(code) for code in codes if code})
    return labels or [NO_AGENCY]


def observe_transition(updated: dict[str, Any], target: str, now: datetime) -> None:
    """Counts the status change and, where it completes a stage, observes how long the stage
    took. `updated` is the report after the change (its history ends with this transition)."""
    agencies = agency_labels(updated)
    for agency in agencies:
        metrics.report_transitions.labels(target, agency).inc()
    completed = completed_stage(updated, target, now)
    if completed is None:
        return
    name, seconds = completed
    for agency in agencies:
        metrics.report_stage_duration.labels(name, agency).observe(seconds)

