"""Leaders' figures, computed one way from report documents: the statistics API (`GET /stats`),
the leaders' daily digest and the stage-duration metrics all come from here. Pure: no
database (`aduan.infra.figures` fetches what they need).

The rules they share:
- a report's stage: `aduan.domain.stages` (Kiniko, Sigap); one agency's stage is its own latest
  assignment's (`kiniko_stage_for_agency`);
- overdue now: `aduan.domain.lifecycle.is_overdue` (`late_deadlines`), as the SLA sweep and
  staff lists see it (an active agency past its follow-up `due_at` before it answered or its
  `resolution_due_at` before it resolved; a report not forwarded by its `forward_due_at`);
- what ends a follow-up: `aduan.domain.lifecycle.ends_follow_up` (a `public_response`, or the
  agency resolving), or a comment of the agency's staff, as the planners stop the clock;
- a deadline is met when it is answered before it is due, missed once it has passed.

The statistics API, exactly from each report's history (no estimate, no sampling):
- counts of reports (by the day they came in) by stage (Kiniko, Sigap and the city's own view,
  `aduan.domain.stages.StageView`), status, agency, kecamatan, category, channel, report type
  (`by_type`: complaint, aspiration, information request) and period;
- per agency: time to forward (submission to the report reaching that agency), time to first
  response (forward to the agency's first action), time to follow-up (forward to its first
  response the reporter can read: what ends a follow-up, above) and time to resolve (forward
  to the agency resolving; aspirations apart: an agency's reports are also counted by type,
  and an aspiration's follow-up is not a time to resolve), as median and p90 (nearest rank) in
  hours;
- per field officer (an assignment's `officers`): time to first visit (assigned to first visit)
  and time to resolve (assigned to resolved), median and p90 in hours;
- ratings (1-5, the reporter's `rating`) per agency, category and month (the month the report
  came in, as `by_period`): how many were rated, the average, the distribution 1..5 and the
  share rated of the reports that could be rated (resolved or closed, or rated). A rating
  counts for every agency that resolved the report (`none` when none did: a referral);
- SLA compliance: every deadline a report met or missed. A forwarding clock runs from
  submission (or from when a postponed or handed-back report was taken up again) to the
  operators' decision; a follow-up clock runs from each forward (or reopening) of an agency to
  its first response the reporter can read (what ends a follow-up, above; SP4N-LAPOR!'s
  follow-up), and is cancelled when the agency hands the report back (or, never answered, is
  reopened or sent again). A deadline still running counts as pending; one cancelled before it
  was due (postponed, withdrawn, handed back) does not count; one passed without a response
  counts as missed.

The digest, per agency: reports by its stage (not yet accepted / accepted or in progress /
done), new in the last 24 hours, overdue now, and the response time (forwarded → accepted by
the agency) over the reports forwarded in the last 30 days; and for the city, the reports not
yet forwarded (waiting for the operators, past the forwarding deadline, new, the oldest).

The metrics: how long the stage a status change completes took (submit_to_forward,
forward_to_accept, accept_to_resolve), from the latest entry into its start status, so a
re-routed or reopened report is timed from when the current round began.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aduan.domain.lifecycle import (
    AWAITING_FORWARD,
    INACTIVE_ASSIGNMENTS,
    WITH_AGENCIES,
    Deadlines,
    ends_follow_up,
    is_overdue,
    late_deadlines,
)
from aduan.domain.report_types import ASPIRATION, REPORT_TYPES, type_of
from aduan.domain.stages import (
    DEFAULT_VIEW,
    KINIKO_STAGES,
    SIGAP_STAGES,
    StageView,
    kiniko_stage,
    kiniko_stage_for_agency,
    sigap_stage,
)

PERIODS = ("day", "week", "month")
# The operators' decisions that end a forwarding clock.
FORWARD_DECISIONS = frozenset({"forwarded", "referred", "archived", "duplicate", "rejected"})
# The actions that hand a report to agencies (and start their follow-up clocks).
SENDING_ACTIONS = frozenset({"route", "forward", "reroute"})


def aware(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (a client that is not tz-aware reads naive
    ones); None for anything else."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def entered_at(report: dict[str, Any], status: str, *, after: datetime | None = None,
               latest: bool = False) -> datetime | None:
    """When the report's status became `status`: the first time (at or after `after`), or the
    latest time."""
    history = report.get("history") or []
    for entry in reversed(history) if latest else history:
        at = aware(entry.get("at"))
        if entry.get("to") == status and at is not None and (after is None or at >= after):
            return at
    return None


# ---- deadlines -------------------------------------------------------------------------------

@dataclass
class Clock:
    """One deadline a report had: when it started, was due and was answered (or cancelled)."""

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
        # Passed as `late_deadlines` has it (the sweep and the staff lists).
        return "missed" if self.due < now else "pending"


# Back to `verified` from these, a report's forwarding clock starts again (taken up after a
# postponement, or every agency handed it back).
TAKEN_UP_AGAIN = frozenset({"postponed", *WITH_AGENCIES})


def forward_clocks(report: dict[str, Any], deadlines: Deadlines,
                   category: dict[str, Any] | None) -> list[Clock]:
    clocks: list[Clock] = []
    running: Clock | None = None
    for entry in report.get("history", []):
        to, at = entry["to"], entry["at"]
        if running is None and (
                (to in AWAITING_FORWARD and not clocks and entry["from"] in ("verifying", None))
                or (to == "verified" and entry["from"] in TAKEN_UP_AGAIN)):
            start = report["created_at"] if not clocks else at
            running = Clock(start, deadlines.forward_due(report["city"], category, start))
            clocks.append(running)
        elif running is not None and to in FORWARD_DECISIONS:
            running.ended = at
            running = None
        elif running is not None and to == "postponed":
            running.ended, running.cancelled = at, True
            running = None
    return clocks


def agency_steps(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's history with the comments of agencies' staff in it, in time order: such a
    comment answers the reporter (a step with a `public_response`), as `plan_comment` has it.
    The assignment's `responded_at` keeps only the latest round's answer (a reopening clears
    it); the comments keep every round's."""
    comments = [{"at": c["at"], "agency": c["agency"], "comment": True, "public_response": True}
                for c in report.get("comments") or []
                if c.get("agency") and isinstance(c.get("at"), datetime)]
    steps = list(report.get("history", []))
    if comments:  # stable: a history entry stays before a comment of the same instant
        steps.extend(comments)
        steps.sort(key=lambda step: aware(step["at"]) or datetime.min.replace(tzinfo=UTC))
    return steps


def follow_up_clocks(report: dict[str, Any], deadlines: Deadlines,
                     category: dict[str, Any] | None) -> list[tuple[str, Clock]]:
    clocks: list[tuple[str, Clock]] = []
    running: dict[str, Clock] = {}
    for entry in agency_steps(report):
        at, action = entry["at"], entry.get("action")
        agency = entry.get("agency")
        if agency in running and ends_follow_up(entry):
            running.pop(agency).ended = at
        elif agency in running and entry.get("agency_to") in INACTIVE_ASSIGNMENTS:
            clock = running.pop(agency)
            clock.ended, clock.cancelled = at, True
        for code in entry.get("withdrawn", []):
            if code in running:
                clock = running.pop(code)
                clock.ended, clock.cancelled = at, True
        starts = (action in SENDING_ACTIONS and entry.get("to") == "forwarded") \
            or action == "reopen"
        if starts:
            for code in entry.get("agencies", []):
                if code in running:  # a round never answered: it ends where the next begins
                    old = running.pop(code)
                    old.ended, old.cancelled = at, True
                clock = Clock(at, deadlines.follow_up_due(report["city"], category, at))
                running[code] = clock
                clocks.append((code, clock))
    # A public response outside the history (an agency's comment): the assignment's
    # `responded_at` ends the clock that was running then.
    for assignment in report.get("agencies") or []:
        clock = running.get(assignment.get("code"))
        responded = aware(assignment.get("responded_at"))
        if clock is not None and responded is not None and responded >= aware(clock.start):
            clock.ended = responded
    return clocks


# ---- the statistics API ----------------------------------------------------------------------

@dataclass
class AgencyTimes:
    reports: set[str] = field(default_factory=set)
    types: Counter = field(default_factory=Counter)  # its reports by type (report_types)
    to_forward: list[float] = field(default_factory=list)
    to_first_response: list[float] = field(default_factory=list)
    to_follow_up: list[float] = field(default_factory=list)
    to_resolve: list[float] = field(default_factory=list)
    sla: Counter = field(default_factory=Counter)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of them at or
    below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"count": 0, "median_hours": None, "p90_hours": None}
    return {"count": len(seconds),
            "median_hours": round(median(seconds) / 3600, 2),
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


def agency_times(report: dict[str, Any], agencies: dict[str, AgencyTimes]) -> None:
    """Per agency, from its first forward: when it got the report, first acted, first gave a
    response the reporter can read, resolved."""
    forwarded_at: dict[str, datetime] = {}
    responded: set[str] = set()
    followed_up: set[str] = set()
    resolved: set[str] = set()
    report_type = type_of(report)
    for entry in agency_steps(report):
        if entry.get("action") in SENDING_ACTIONS and entry["to"] == "forwarded":
            for code in entry.get("agencies", []):
                if code not in forwarded_at:
                    forwarded_at[code] = entry["at"]
                    times = agencies.setdefault(code, AgencyTimes())
                    times.reports.add(report["_id"])
                    times.types[report_type] += 1
                    times.to_forward.append((entry["at"] - report["created_at"]).total_seconds())
        code = entry.get("agency")
        if code in forwarded_at:
            elapsed = (entry["at"] - forwarded_at[code]).total_seconds()
            if code not in responded and not entry.get("comment"):  # an action, not a word
                responded.add(code)
                agencies[code].to_first_response.append(elapsed)
            if ends_follow_up(entry) and code not in followed_up:
                followed_up.add(code)
                agencies[code].to_follow_up.append(elapsed)
            # An aspiration is followed up, not repaired: its time is not a time to resolve.
            if entry.get("agency_to") == "resolved" and code not in resolved \
                    and report_type != ASPIRATION:
                resolved.add(code)
                agencies[code].to_resolve.append(elapsed)
    # A public response outside the history (an agency's comment) ends the follow-up clock
    # too: the assignment's `responded_at` says when.
    for assignment in report.get("agencies") or []:
        code, at = assignment.get("code"), aware(assignment.get("responded_at"))
        if code in forwarded_at and code not in followed_up and at is not None:
            followed_up.add(code)
            agencies[code].to_follow_up.append(
                max(0.0, (at - aware(forwarded_at[code])).total_seconds()))


# ---- field officers --------------------------------------------------------------------------

@dataclass
class OfficerTimes:
    agency: str
    officer: str
    name: str | None = None
    assignments: int = 0
    visited: int = 0
    resolved: int = 0
    to_first_visit: list[float] = field(default_factory=list)
    to_resolve: list[float] = field(default_factory=list)


def officer_times(report: dict[str, Any], officers: dict[tuple[str, str], OfficerTimes]
                  ) -> None:
    """Per (agency, officer), from each assignment's `officers` entries: assigned, first visit,
    resolved. An officer taken off the report (`removed`) is not counted."""
    for assignment in report.get("agencies") or []:
        for entry in assignment.get("officers") or []:
            if not isinstance(entry, dict) or not entry.get("id") or \
                    entry.get("status") == "removed":
                continue
            key = (assignment["code"], str(entry["id"]))
            times = officers.setdefault(key, OfficerTimes(*key))
            times.name = entry.get("name") or times.name
            times.assignments += 1
            assigned = aware(entry.get("assigned_at"))
            visited, done = aware(entry.get("first_visit_at")), aware(entry.get("resolved_at"))
            if visited is not None:
                times.visited += 1
                if assigned is not None:
                    times.to_first_visit.append(max(0.0, (visited - assigned).total_seconds()))
            if done is not None:
                times.resolved += 1
                if assigned is not None:
                    times.to_resolve.append(max(0.0, (done - assigned).total_seconds()))


# ---- ratings ---------------------------------------------------------------------------------

SCORES = (1, 2, 3, 4, 5)
# A report the reporter could rate (plan_rate's statuses).
RATEABLE = frozenset({"resolved", "closed"})
NO_AGENCY = "none"


@dataclass
class Ratings:
    rateable: int = 0
    scores: Counter = field(default_factory=Counter)

    def add(self, score: int | None) -> None:
        self.rateable += 1
        if score is not None:
            self.scores[score] += 1

    def figures(self) -> dict[str, Any]:
        rated = sum(self.scores.values())
        total = sum(score * count for score, count in self.scores.items())
        return {"rated": rated, "rateable": self.rateable,
                "share_rated_pct": round(100 * rated / self.rateable, 1)
                if self.rateable else None,
                "average": round(total / rated, 2) if rated else None,
                "distribution": {str(score): self.scores[score] for score in SCORES}}


def rating_score(report: dict[str, Any]) -> int | None:
    score = (report.get("rating") or {}).get("score")
    return score if isinstance(score, int) and score in SCORES else None


def rated_agencies(report: dict[str, Any]) -> list[str]:
    """The agencies a rating of the report is about: those whose latest assignment resolved
    it (or, when none resolved, every agency still holding it); `none` without any."""
    latest = {a["code"]: a.get("status") for a in report.get("agencies") or []}
    resolved = sorted(code for code, status in latest.items() if status == "resolved")
    if resolved:
        return resolved
    holding = sorted(code for code, status in latest.items()
                     if status not in ("handed_back", "withdrawn"))
    return holding or [NO_AGENCY]


def could_be_rated(report: dict[str, Any]) -> bool:
    return report["status"] in RATEABLE or rating_score(report) is not None


class RatingTable:
    """Ratings by agency, category and month, and their totals along each."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, str], Ratings] = {}

    def add(self, report: dict[str, Any], month: str, agencies: Iterable[str]) -> None:
        if not could_be_rated(report):
            return
        score = rating_score(report)
        for agency in agencies:
            key = (agency, report["category"], month)
            self.cells.setdefault(key, Ratings()).add(score)

    DIMENSIONS = ("agency", "category", "month")

    def along(self, dimension: str) -> dict[str, Ratings]:
        """The ratings summed per agency, category or month."""
        index = self.DIMENSIONS.index(dimension)
        totals: dict[str, Ratings] = {}
        for key, cell in self.cells.items():
            total = totals.setdefault(key[index], Ratings())
            total.rateable += cell.rateable
            total.scores.update(cell.scores)
        return totals

    def figures(self, overall: Ratings) -> dict[str, Any]:
        def listed(dimension: str) -> list[dict[str, Any]]:
            return [{dimension: key, **cell.figures()}
                    for key, cell in sorted(self.along(dimension).items())]

        return {
            "overall": overall.figures(),
            "by_agency": listed("agency"),
            "by_category": listed("category"),
            "by_month": listed("month"),
            "rows": [{"agency": a, "category": c, "month": m, **cell.figures()}
                     for (a, c, m), cell in sorted(self.cells.items())],
        }


class Statistician:
    """The figures of `GET /stats` for one city's reports."""

    def __init__(self, deadlines: Deadlines, categories: dict[str, dict[str, Any]],
                 timezone: str, view: StageView = DEFAULT_VIEW) -> None:
        self.deadlines = deadlines
        self.categories = categories
        self.zone = ZoneInfo(timezone)
        self.view = view

    def forward_clocks(self, report: dict[str, Any]) -> list[Clock]:
        return forward_clocks(report, self.deadlines, self.categories.get(report["category"]))

    def follow_up_clocks(self, report: dict[str, Any]) -> list[tuple[str, Clock]]:
        return follow_up_clocks(report, self.deadlines,
                                self.categories.get(report["category"]))

    def compute(self, reports: Iterable[dict[str, Any]], now: datetime, period: str,
                agency: str | None = None) -> dict[str, Any]:
        """The figures of `reports`; with `agency` (a head of agency's view), of the reports
        ever given to it, its own times, officers and ratings only."""
        counts: dict[str, Counter] = {name: Counter() for name in (
            "kiniko", "sigap", "city", "status", "agency", "kecamatan", "category", "channel",
            "period", "type")}
        agencies: dict[str, AgencyTimes] = {}
        officers: dict[tuple[str, str], OfficerTimes] = {}
        ratings = RatingTable()
        overall_ratings = Ratings()
        sla = {"forward": Counter(), "follow_up": Counter()}
        total = 0
        for report in reports:
            if agency is not None and all(a["code"] != agency
                                          for a in report.get("agencies") or []):
                continue
            total += 1
            counts["kiniko"][kiniko_stage(report) or "none"] += 1
            counts["sigap"][sigap_stage(report) or "none"] += 1
            counts["city"][self.view.stage(report) or "none"] += 1
            counts["status"][report["status"]] += 1
            counts["kecamatan"][(report.get("kecamatan") or {}).get("name") or "unknown"] += 1
            counts["category"][report["category"]] += 1
            counts["channel"][report.get("channel") or "app"] += 1
            counts["type"][type_of(report)] += 1
            counts["period"][period_of(report["created_at"], self.zone, period)] += 1
            for code in {a["code"] for a in report.get("agencies", [])}:
                counts["agency"][code] += 1
            agency_times(report, agencies)
            officer_times(report, officers)
            rated = [code for code in rated_agencies(report) if agency in (None, code)]
            ratings.add(report, period_of(report["created_at"], self.zone, "month"), rated)
            if could_be_rated(report) and rated:
                overall_ratings.add(rating_score(report))
            for clock in self.forward_clocks(report):
                outcome = clock.outcome(now)
                if outcome:
                    sla["forward"][outcome] += 1
            for code, clock in self.follow_up_clocks(report):
                outcome = clock.outcome(now)
                if outcome:
                    if agency in (None, code):
                        sla["follow_up"][outcome] += 1
                    agencies.setdefault(code, AgencyTimes()).sla[outcome] += 1
        overall = sla["forward"] + sla["follow_up"]
        if agency is not None:
            agencies = {code: t for code, t in agencies.items() if code == agency}
            officers = {key: t for key, t in officers.items() if key[0] == agency}
            counts["agency"] = Counter({agency: counts["agency"][agency]})
        return {
            "total": total,
            "agency": agency,
            "stage_view": {"name": self.view.name, "stages": list(self.view.codes)},
            "by_stage": {
                "kiniko": {s: counts["kiniko"][s] for s in (*KINIKO_STAGES, "none")},
                "sigap": {s: counts["sigap"][s] for s in (*SIGAP_STAGES, "none")},
                "city": {s: counts["city"][s] for s in (*self.view.codes, "none")},
            },
            "by_status": dict(sorted(counts["status"].items())),
            "by_agency": dict(sorted(counts["agency"].items())),
            "by_kecamatan": dict(sorted(counts["kecamatan"].items())),
            "by_category": dict(sorted(counts["category"].items())),
            "by_channel": dict(sorted(counts["channel"].items())),
            "by_type": {t: counts["type"][t] for t in REPORT_TYPES},
            "by_period": dict(sorted(counts["period"].items())),
            "agencies": [
                {"agency": code, "reports": len(times.reports),
                 # Aspirations apart: counted, but not in the time to resolve.
                 "by_type": {t: times.types[t] for t in REPORT_TYPES},
                 "time_to_forward": summary(times.to_forward),
                 "time_to_first_response": summary(times.to_first_response),
                 "time_to_follow_up": summary(times.to_follow_up),
                 "time_to_resolve": summary(times.to_resolve),
                 "sla": compliance(times.sla)}
                for code, times in sorted(agencies.items())
            ],
            "officers": [
                {"agency": times.agency, "officer": times.officer, "name": times.name,
                 "assignments": times.assignments, "visited": times.visited,
                 "resolved": times.resolved,
                 "time_to_first_visit": summary(times.to_first_visit),
                 "time_to_resolve": summary(times.to_resolve)}
                for _, times in sorted(officers.items())
            ],
            "ratings": ratings.figures(overall_ratings),
            "sla": {"forward": compliance(sla["forward"]),
                    "follow_up": compliance(sla["follow_up"]),
                    "overall": compliance(overall)},
        }


# ---- the leaders' daily digest ---------------------------------------------------------------

# An agency's Kiniko stage → the digest's column.
DIGEST_STAGES = {"not_accepted": "not_accepted", "accepted": "in_work", "done": "done"}
RESPONSE_WINDOW = timedelta(days=30)
NEW_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class AgencyDigest:
    code: str
    name_id: str
    name_en: str
    not_accepted: int
    in_work: int
    done: int
    new_24h: int
    overdue: int
    mean_response_h: float | None
    median_response_h: float | None
    responses: int


def accepted_at(report: dict[str, Any], assignment: dict[str, Any],
                forwarded_at: datetime) -> datetime | None:
    """When the agency accepted: its assignment's `accepted_at`, else the first acceptance in
    the history since it was forwarded."""
    return aware(assignment.get("accepted_at")) or entered_at(report, "accepted",
                                                             after=forwarded_at)


def agency_digest(agency: dict[str, Any], reports: Iterable[dict[str, Any]],
                  now: datetime) -> AgencyDigest:
    """The digest row of one agency from the reports it was given."""
    counts = {"not_accepted": 0, "in_work": 0, "done": 0}
    new = overdue = 0
    response_hours: list[float] = []
    for report in reports:
        column = DIGEST_STAGES.get(kiniko_stage_for_agency(report, agency["code"]) or "")
        if column is None:  # not given to it, handed back or withdrawn
            continue
        counts[column] += 1
        if is_overdue(report, now, agency["code"]):
            overdue += 1
        assignment = [a for a in report["agencies"] if a["code"] == agency["code"]][-1]
        forwarded_at = aware(assignment.get("forwarded_at"))
        if forwarded_at is None:
            continue
        if now - forwarded_at <= NEW_WINDOW:
            new += 1
        accepted = accepted_at(report, assignment, forwarded_at)
        if accepted and now - forwarded_at <= RESPONSE_WINDOW:
            response_hours.append((accepted - forwarded_at).total_seconds() / 3600)
    return AgencyDigest(
        code=agency["code"], name_id=agency.get("name_id", agency["code"]),
        name_en=agency.get("name_en") or agency.get("name_id", agency["code"]),
        **counts, new_24h=new, overdue=overdue,
        mean_response_h=mean(response_hours) if response_hours else None,
        median_response_h=median(response_hours) if response_hours else None,
        responses=len(response_hours),
    )


@dataclass(frozen=True)
class AwaitingForward:
    """The digest's "not yet forwarded" row: reports the operators still owe a forward
    (`lifecycle.AWAITING_FORWARD`), those past their forwarding deadline, those new in the last
    24 hours, and how long the oldest has waited."""

    waiting: int
    overdue: int
    new_24h: int
    oldest_h: float | None


def awaiting_forward(reports: Iterable[dict[str, Any]], now: datetime) -> AwaitingForward:
    waiting = overdue = new = 0
    oldest: datetime | None = None
    for report in reports:
        if report.get("status") not in AWAITING_FORWARD:
            continue
        waiting += 1
        if any(kind == "forward" for kind, _, _ in late_deadlines(report, now)):
            overdue += 1
        created = aware(report.get("created_at"))
        if created is not None:
            new += now - created <= NEW_WINDOW
            oldest = created if oldest is None else min(oldest, created)
    return AwaitingForward(waiting, overdue, new, None if oldest is None
                           else round((now - oldest).total_seconds() / 3600, 1))


# ---- stage durations (metrics) ---------------------------------------------------------------

# Stage completed by reaching a status: (stage, status that started it; None = submission).
METRIC_STAGES: dict[str, tuple[str, str | None]] = {
    "forwarded": ("submit_to_forward", None),
    "accepted": ("forward_to_accept", "forwarded"),
    "resolved": ("accept_to_resolve", "accepted"),
}


def stage_started_at(report: dict[str, Any], start_status: str | None) -> datetime | None:
    """The latest entry into `start_status` (None: the report's submission)."""
    if start_status is None:
        return aware(report.get("created_at"))
    return entered_at(report, start_status, latest=True)


def completed_stage(updated: dict[str, Any], target: str, now: datetime
                    ) -> tuple[str, float] | None:
    """The stage that reaching `target` at `now` completes and how long it took (seconds), or
    None. `updated` is the report after the change: its history ends with this transition."""
    stage = METRIC_STAGES.get(target)
    if stage is None:
        return None
    name, start_status = stage
    earlier = {**updated, "history": (updated.get("history") or [])[:-1]}
    started = stage_started_at(earlier, start_status)
    if started is None:
        return None
    return name, max(0.0, (now - started).total_seconds())
