"""The public scorecard of a city's agencies, as SP4N-LAPOR! publishes one for institutions:
per agency, over the last 30 or 90 days, the reports it received, the median time to follow
up and to resolve, the share of its deadlines met and the reporters' average rating.

Nothing is counted here: every figure is the leaders' (`aduan.domain.figures.Statistician`,
over every report of the city that came in during the days, confidential ones included), and
this module only picks what the public is shown. No report, code, place or reporter is in it,
so a confidential report is counted and never shown.
"""

from __future__ import annotations

from typing import Any

from aduan.domain.report_types import REPORT_TYPES

DAYS = (30, 90)
# The city's own agencies and kecamatan offices; vertical bodies (PDAM, PLN, ...) are
# referred to, not held to the city's service levels.
KINDS = ("opd", "kecamatan")


def scorecard_rows(figures: dict[str, Any], agencies: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """One row per active agency of `agencies` (the catalogue's documents) and per agency the
    figures name, the busiest first. `figures`: what `Statistician.compute` returned."""
    times = {row["agency"]: row for row in figures["agencies"]}
    ratings = {row["agency"]: row for row in figures["ratings"]["by_agency"]}
    named = {a["code"]: a for a in agencies}
    codes = {a["code"] for a in agencies
             if a.get("kind", "opd") in KINDS and a.get("active", True)} | set(times)
    rows = []
    for code in codes:
        agency, row = named.get(code, {}), times.get(code)
        rating = ratings.get(code) or {}
        sla = row["sla"] if row else {}
        rows.append({
            "agency": code,
            "name_id": agency.get("name_id") or code,
            "name_en": agency.get("name_en") or agency.get("name_id") or code,
            "kind": agency.get("kind", "opd"),
            "received": row["reports"] if row else 0,
            # Aspirations and information requests apart, as the leaders' agency table has them.
            "received_by_type": {t: (row or {}).get("by_type", {}).get(t, 0)
                                 for t in REPORT_TYPES},
            "median_follow_up_hours": row["time_to_follow_up"]["median_hours"] if row
            else None,
            "median_resolution_hours": row["time_to_resolve"]["median_hours"] if row
            else None,
            "resolved": row["time_to_resolve"]["count"] if row else 0,
            "within_sla_pct": sla.get("compliance_pct"),
            "deadlines_decided": sla.get("met", 0) + sla.get("missed", 0),
            "average_rating": rating.get("average"),
            "ratings": rating.get("rated", 0),
        })
    rows.sort(key=lambda r: (-r["received"], r["name_id"].lower(), r["agency"]))
    return rows


def scorecard(figures: dict[str, Any], agencies: list[dict[str, Any]], days: int
              ) -> dict[str, Any]:
    """The public answer: the days it covers, the city's total and the agencies' rows."""
    return {"city": figures["city"], "days": days, "from": figures["from"],
            "to": figures["to"], "computed_at": figures["computed_at"],
            "reports": figures["total"], "agencies": scorecard_rows(figures, agencies)}
