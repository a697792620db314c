"""Leaders' figures, computed exactly from each report's history (no estimate, no sampling).

- Counts of reports (by the day they came in) by stage, status, agency, kecamatan, category,
  channel and period.
- Per agency: time to forward (submission to the report reaching that agency), time to first
  response (forward to the agency's first action) and time to resolve (forward to the agency
  resolving), as median and p90 (nearest rank) in hours.
- SLA compliance: every deadline a report met or missed. A forwarding clock runs from submission
  (or from when a postponed or handed-back report was taken up again) to the operators' decision;
  a follow-up clock runs from each forward (or reopening) of an agency to its first action. A
  deadline still running counts as pending; one cancelled before it was due (postponed,
  withdrawn) does not count; one passed without a response counts as missed.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aduan.domain.stages import KINIKO_STAGES, SIGAP_STAGES, kiniko_stage, sigap_stage
from services.routing.sla import Deadlines

FORWARD_DECISIONS = frozenset({"forwarded", "referred", "archived", "duplicate", "rejected"})
SENDING_ACTIONS = frozenset({"route", "forward", "reroute"})
PERIODS = ("day", "week", "month")


@dataclass
class Clock:
    start: datetime
    due: datetime
    ended: datetime | None = None
    cancelled: bool = False

    def outcome(self, now: datetime) -> str | None:
        """met | missed | pending, or None when cancelled before it was due."""
        if self.ended is not None:
            if self.cancelled:
                return None if self.ended < self.due else "missed"
            return "met" if self.ended < self.due else "missed"
        return "missed" if now >= self.due else "pending"


@dataclass
class AgencyFigures:
    reports: set[str] = field(default_factory=set)
    to_forward: list[float] = field(default_factory=list)
    to_first_response: list[float] = field(default_factory=list)
    to_resolve: list[float] = field(default_factory=list)
    sla: Counter = field(default_factory=Counter)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of them at or
    below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"count": 0, "median_hours": None, "p90_hours": None}
    return {"count": len(seconds),
            "median_hours": round(statistics.median(seconds) / 3600, 2),
            "p90_hours": round(percentile(seconds, 0.9) / 3600, 2)}


def compliance(counter: Counter) -> dict[str, Any]:
    decided = counter["met"] + counter["missed"]
    return {"met": counter["met"], "missed": counter["missed"], "pending": counter["pending"],
            "compliance_pct": round(100 * counter["met"] / decided, 1) if decided else None}


def period_of(moment: datetime, zone: ZoneInfo, period: str) -> str:
    local = moment.astimezone(zone)
    if period == "day":
        return local.date().isoformat()
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


class Statistician:
    def __init__(self, deadlines: Deadlines, categories: dict[str, dict[str, Any]],
                 timezone: str) -> None:
        self.deadlines = deadlines
        self.categories = categories
        self.zone = ZoneInfo(timezone)

    def forward_clocks(self, report: dict[str, Any]) -> list[Clock]:
        city, category = report["city"], self.categories.get(report["category"])
        clocks: list[Clock] = []
        running: Clock | None = None
        for entry in report.get("history", []):
            to, at = entry["to"], entry["at"]
            if running is None and (
                    (to in ("needs_review", "verified") and not clocks and entry["from"]
                     in ("verifying", None))
                    or (to == "verified" and entry["from"] in ("postponed", "forwarded",
                                                               "accepted", "in_progress",
                                                               "reopened"))):
                start = report["created_at"] if not clocks else at
                running = Clock(start, self.deadlines.forward_due(city, category, start))
                clocks.append(running)
            elif running is not None and to in FORWARD_DECISIONS:
                running.ended = at
                running = None
            elif running is not None and to == "postponed":
                running.ended, running.cancelled = at, True
                running = None
        return clocks

    def follow_up_clocks(self, report: dict[str, Any]) -> list[tuple[str, Clock]]:
        city, category = report["city"], self.categories.get(report["category"])
        clocks: list[tuple[str, Clock]] = []
        running: dict[str, Clock] = {}
        for entry in report.get("history", []):
            at, action = entry["at"], entry.get("action")
            agency = entry.get("agency")
            if agency in running:
                running.pop(agency).ended = at
            for code in entry.get("withdrawn", []):
                if code in running:
                    clock = running.pop(code)
                    clock.ended, clock.cancelled = at, True
            starts = (action in SENDING_ACTIONS and entry["to"] == "forwarded") \
                or action == "reopen"
            if starts:
                for code in entry.get("agencies", []):
                    clock = Clock(at, self.deadlines.follow_up_due(city, category, at))
                    running[code] = clock
                    clocks.append((code, clock))
        return clocks

    def compute(self, reports: Iterable[dict[str, Any]], now: datetime, period: str
                ) -> dict[str, Any]:
        counts: dict[str, Counter] = {name: Counter() for name in (
            "kiniko", "sigap", "status", "agency", "kecamatan", "category", "channel", "period")}
        agencies: dict[str, AgencyFigures] = {}
        sla = {"forward": Counter(), "follow_up": Counter()}
        total = 0
        for report in reports:
            total += 1
            counts["kiniko"][kiniko_stage(report) or "none"] += 1
            counts["sigap"][sigap_stage(report) or "none"] += 1
            counts["status"][report["status"]] += 1
            counts["kecamatan"][(report.get("kecamatan") or {}).get("name") or "unknown"] += 1
            counts["category"][report["category"]] += 1
            counts["channel"][report.get("channel") or "app"] += 1
            counts["period"][period_of(report["created_at"], self.zone, period)] += 1
            for code in {a["code"] for a in report.get("agencies", [])}:
                counts["agency"][code] += 1
            self._agency_times(report, agencies)
            for clock in self.forward_clocks(report):
                outcome = clock.outcome(now)
                if outcome:
                    sla["forward"][outcome] += 1
            for code, clock in self.follow_up_clocks(report):
                outcome = clock.outcome(now)
                if outcome:
                    sla["follow_up"][outcome] += 1
                    agencies.setdefault(code, AgencyFigures()).sla[outcome] += 1
        overall = sla["forward"] + sla["follow_up"]
        return {
            "total": total,
            "by_stage": {
                "kiniko": {s: counts["kiniko"][s] for s in (*KINIKO_STAGES, "none")},
                "sigap": {s: counts["sigap"][s] for s in (*SIGAP_STAGES, "none")},
            },
            "by_status": dict(sorted(counts["status"].items())),
            "by_agency": dict(sorted(counts["agency"].items())),
            "by_kecamatan": dict(sorted(counts["kecamatan"].items())),
            "by_category": dict(sorted(counts["category"].items())),
            "by_channel": dict(sorted(counts["channel"].items())),
            "by_period": dict(sorted(counts["period"].items())),
            "agencies": [
                {"agency": code, "reports": len(figures.reports),
                 "time_to_forward": summary(figures.to_forward),
                 "time_to_first_response": summary(figures.to_first_response),
                 "time_to_resolve": summary(figures.to_resolve),
                 "sla": compliance(figures.sla)}
                for code, figures in sorted(agencies.items())
            ],
            "sla": {"forward": compliance(sla["forward"]),
                    "follow_up": compliance(sla["follow_up"]),
                    "overall": compliance(overall)},
        }

    @staticmethod
    def _agency_times(report: dict[str, Any], agencies: dict[str, AgencyFigures]) -> None:
        """Per agency, from its first forward: when it got the report, first acted, resolved."""
        forwarded_at: dict[str, datetime] = {}
        responded: set[str] = set()
        resolved: set[str] = set()
        for entry in report.get("history", []):
            if entry.get("action") in SENDING_ACTIONS and entry["to"] == "forwarded":
                for code in entry.get("agencies", []):
                    if code not in forwarded_at:
                        forwarded_at[code] = entry["at"]
                        figures = agencies.setdefault(code, AgencyFigures())
                        figures.reports.add(report["_id"])
                        figures.to_forward.append(
                            (entry["at"] - report["created_at"]).total_seconds())
            code = entry.get("agency")
            if code in forwarded_at:
                elapsed = (entry["at"] - forwarded_at[code]).total_seconds()
                if code not in responded:
                    responded.add(code)
                    agencies[code].to_first_response.append(elapsed)
                if entry.get("agency_to") == "resolved" and code not in resolved:
                    resolved.add(code)
                    agencies[code].to_resolve.append(elapsed)


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
