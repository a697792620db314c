"""The leaders' figures (`aduan.domain.figures`) as CSV tables: one row per agency, per field
officer, per (agency, category, month) of ratings, or one per counted key."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aduan.domain.figures import SCORES

AGENCY_COLUMNS = (
    "agency", "reports", "time_to_forward_median_h", "time_to_forward_p90_h",
    "time_to_first_response_median_h", "time_to_first_response_p90_h",
    "time_to_follow_up_median_h", "time_to_follow_up_p90_h",
    "time_to_resolve_median_h", "time_to_resolve_p90_h",
    "sla_met", "sla_missed", "sla_pending", "sla_compliance_pct",
)
OFFICER_COLUMNS = (
    "agency", "officer", "name", "assignments", "visited", "resolved",
    "time_to_first_visit_median_h", "time_to_first_visit_p90_h",
    "time_to_resolve_median_h", "time_to_resolve_p90_h",
)
RATING_COLUMNS = ("agency", "category", "month", "rated", "rateable", "share_rated_pct",
                  "average", *(f"score_{score}" for score in SCORES))
COUNTED = ("status", "agency", "kecamatan", "category", "channel", "type", "period")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _times(summary: dict[str, Any]) -> list[Any]:
    return [summary["median_hours"], summary["p90_hours"]]


def agencies_csv(figures: dict[str, Any]) -> str:
    return _table(AGENCY_COLUMNS, (
        [row["agency"], row["reports"], *_times(row["time_to_forward"]),
         *_times(row["time_to_first_response"]), *_times(row["time_to_follow_up"]),
         *_times(row["time_to_resolve"]),
         row["sla"]["met"], row["sla"]["missed"], row["sla"]["pending"],
         row["sla"]["compliance_pct"]]
        for row in figures["agencies"]))


def officers_csv(figures: dict[str, Any]) -> str:
    return _table(OFFICER_COLUMNS, (
        [row["agency"], row["officer"], row["name"], row["assignments"], row["visited"],
         row["resolved"], *_times(row["time_to_first_visit"]), *_times(row["time_to_resolve"])]
        for row in figures["officers"]))


def ratings_csv(figures: dict[str, Any]) -> str:
    return _table(RATING_COLUMNS, (
        [row["agency"], row["category"], row["month"], row["rated"], row["rateable"],
         row["share_rated_pct"], row["average"],
         *(row["distribution"][str(score)] for score in SCORES)]
        for row in figures["ratings"]["rows"]))


def counts_csv(figures: dict[str, Any]) -> str:
    rows: list[tuple[str, str, int]] = []
    for view, stages in figures["by_stage"].items():
        rows += [(f"stage_{view}", stage, count) for stage, count in stages.items()]
    for dimension in COUNTED:
        rows += [(dimension, key, count) for key, count in figures[f"by_{dimension}"].items()]
    return _table(("dimension", "key", "reports"), rows)


TABLES: dict[str, Callable[[dict[str, Any]], str]] = {
    "agencies": agencies_csv, "officers": officers_csv, "ratings": ratings_csv,
    "counts": counts_csv,
}
