"""The leaders' figures (`aduan.domain.figures`) as CSV tables: one row per agency, or one per
counted key."""

from __future__ import annotations

import csv
import io
from typing import Any

AGENCY_COLUMNS = (
    "agency", "reports", "time_to_forward_median_h", "time_to_forward_p90_h",
    "time_to_first_response_median_h", "time_to_first_response_p90_h",
    "time_to_resolve_median_h", "time_to_resolve_p90_h",
    "sla_met", "sla_missed", "sla_pending", "sla_compliance_pct",
)


def agencies_csv(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AGENCY_COLUMNS)
    for row in figures["agencies"]:
        writer.writerow([
            row["agency"], row["reports"],
            row["time_to_forward"]["median_hours"], row["time_to_forward"]["p90_hours"],
            row["time_to_first_response"]["median_hours"],
            row["time_to_first_response"]["p90_hours"],
            row["time_to_resolve"]["median_hours"], row["time_to_resolve"]["p90_hours"],
            row["sla"]["met"], row["sla"]["missed"], row["sla"]["pending"],
            row["sla"]["compliance_pct"],
        ])
    return out.getvalue()


def counts_csv(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("dimension", "key", "reports"))
    for view, stages in figures["by_stage"].items():
        for stage, count in stages.items():
            writer.writerow((f"stage_{view}", stage, count))
    for dimension in ("status", "agency", "kecamatan", "category", "channel", "period"):
        for key, count in figures[f"by_{dimension}"].items():
            writer.writerow((dimension, key, count))
    return out.getvalue()
