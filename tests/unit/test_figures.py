"""The leaders' figures computed one way (aduan/domain/figures.py): the digest's rows, the
overdue rule shared with the SLA sweep and the staff lists, and the metrics' stage durations.
The statistics API's figures: tests/unit/test_stats.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import fake_db

from aduan.domain.figures import (
    Clock,
    agency_digest,
    completed_stage,
    mean,
    median,
    stage_started_at,
)
from aduan.domain.lifecycle import is_overdue, late_deadlines, overdue_filter

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
H = timedelta(hours=1)
DLH = {"code": "DLH", "name_id": "Dinas Lingkungan Hidup"}


def _assigned(status: str, forwarded_hours_ago: float, own: str,
              accepted_after_h: float | None = None, due_in_h: float | None = None) -> dict:
    forwarded = NOW - forwarded_hours_ago * H
    history = [{"to": "forwarded", "at": forwarded}]
    if accepted_after_h is not None:
        history.append({"to": "accepted", "at": forwarded + accepted_after_h * H})
    assignment = {"code": "DLH", "status": own, "forwarded_at": forwarded,
                  "due_at": NOW + due_in_h * H if due_in_h is not None else None}
    return {"status": status, "agencies": [assignment], "history": history}


# ---- the digest ------------------------------------------------------------------------------

def test_digest_counts_the_agency_s_own_stage_overdue_and_response_times():
    reports = [
        _assigned("forwarded", 2, "forwarded", due_in_h=20),       # new, not accepted
        _assigned("forwarded", 24 * 7, "forwarded", due_in_h=-24 * 6),  # a week late: overdue
        _assigned("forwarded", 10, "forwarded", due_in_h=-1),       # its deadline passed
        _assigned("accepted", 30, "accepted", accepted_after_h=4),
        _assigned("in_progress", 50, "in_progress", accepted_after_h=8),
        _assigned("closed", 24 * 8, "resolved", accepted_after_h=2),  # done
        _assigned("forwarded", 5, "accepted"),  # the agency is further on than the report
        {"status": "rejected", "agencies": [{"code": "DLH", "status": "withdrawn"}],
         "history": []},
        {"status": "forwarded", "agencies": [{"code": "PUPR", "status": "forwarded",
                                              "forwarded_at": NOW}]},
    ]
    figures = agency_digest(DLH, reports, NOW)
    assert (figures.not_accepted, figures.in_work, figures.done) == (3, 3, 1)
    assert figures.new_24h == 3
    assert figures.overdue == 2
    assert figures.responses == 3
    assert figures.mean_response_h == pytest.approx(14 / 3)
    assert figures.median_response_h == pytest.approx(4.0)
    assert (figures.name_id, figures.name_en) == ("Dinas Lingkungan Hidup",) * 2


def test_digest_stages_and_overdue_are_the_agency_s_own_as_everywhere_else():
    another_accepted = {"status": "accepted", "history": [], "agencies": [
        {"code": "PUPR", "status": "accepted", "forwarded_at": NOW - 3 * H},
        {"code": "DLH", "status": "forwarded", "forwarded_at": NOW - 3 * H,
         "due_at": NOW + H}]}
    withdrawn = {"status": "in_progress", "history": [], "agencies": [
        {"code": "DLH", "status": "withdrawn", "forwarded_at": NOW - 50 * H, "due_at": None},
        {"code": "PUPR", "status": "in_progress", "forwarded_at": NOW - 40 * H}]}
    # Accepted in time long ago and still at work: slow, but no deadline of its is running.
    accepted_long_ago = _assigned("accepted", 24 * 8, "accepted", accepted_after_h=3)
    figures = agency_digest(DLH, [another_accepted, withdrawn, accepted_long_ago], NOW)
    assert (figures.not_accepted, figures.in_work, figures.done) == (1, 1, 0)
    assert figures.overdue == 0
    assert figures.responses == 1 and figures.median_response_h == pytest.approx(3.0)


def test_the_latest_assignment_of_an_agency_counts():
    again = {"status": "forwarded", "history": [], "agencies": [
        {"code": "DLH", "status": "handed_back", "forwarded_at": NOW - 90 * H},
        {"code": "DLH", "status": "forwarded", "forwarded_at": NOW - 2 * H,
         "due_at": NOW - H}]}
    figures = agency_digest(DLH, [again], NOW)
    assert (figures.not_accepted, figures.new_24h, figures.overdue) == (1, 1, 1)


def test_digest_overdue_counts_a_passed_resolution_target_too():
    # Answered in time (no follow-up clock running) but not resolved by its target: overdue,
    # as the sweep, the staff lists and the statistics have it.
    late_resolution = _assigned("accepted", 24 * 12, "accepted", accepted_after_h=2)
    late_resolution["agencies"][0]["resolution_due_at"] = NOW - H
    in_time = _assigned("accepted", 24, "accepted", accepted_after_h=2)
    in_time["agencies"][0]["resolution_due_at"] = NOW + 24 * H
    figures = agency_digest(DLH, [late_resolution, in_time], NOW)
    assert (figures.in_work, figures.overdue) == (2, 1)
    assert is_overdue(late_resolution, NOW, "DLH") and not is_overdue(in_time, NOW, "DLH")


# ---- overdue: one rule, as a query and over a document ---------------------------------------

def _late_cases() -> list[dict]:
    past, future = NOW - H, NOW + H
    cases = [
        {"status": "verified", "forward_due_at": past, "agencies": []},
        {"status": "needs_review", "forward_due_at": future, "agencies": []},
        {"status": "postponed", "forward_due_at": past, "agencies": []},
        {"status": "forwarded", "agencies": [{"code": "DLH", "status": "forwarded",
                                              "due_at": past}]},
        {"status": "forwarded", "agencies": [{"code": "DLH", "status": "forwarded",
                                              "due_at": future}]},
        {"status": "accepted", "agencies": [{"code": "DLH", "status": "accepted",
                                             "due_at": None}]},
        {"status": "forwarded", "agencies": [
            {"code": "DLH", "status": "withdrawn", "due_at": past},
            {"code": "PUPR", "status": "forwarded", "due_at": past}]},
        {"status": "reopened", "agencies": [{"code": "PUPR", "status": "accepted",
                                             "due_at": past}]},
    ]
    return [{"_id": f"r{n}", "code": f"DPK-{n}", "city": "depok", **case}
            for n, case in enumerate(cases)]


def test_overdue_over_a_report_is_the_overdue_query():
    db = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_many(_late_cases())
    everyone = {r["_id"] for r in db.reports.find(overdue_filter(NOW))}
    assert everyone == {r["_id"] for r in _late_cases() if late_deadlines(r, NOW)}
    assert everyone == {"r0", "r3", "r6", "r7"}
    for agency in ("DLH", "PUPR"):
        found = {r["_id"] for r in db.reports.find(overdue_filter(NOW, agency))}
        assert found == {r["_id"] for r in _late_cases() if is_overdue(r, NOW, agency)}
    assert not is_overdue(_late_cases()[6], NOW, "DLH")  # withdrawn: no longer its


def test_a_deadline_is_missed_once_passed_and_met_when_answered_before():
    due = NOW
    assert Clock(NOW - H, due).outcome(NOW) == "pending"
    assert Clock(NOW - H, due).outcome(NOW + timedelta(seconds=1)) == "missed"
    assert Clock(NOW - H, due, ended=NOW - timedelta(seconds=1)).outcome(NOW + H) == "met"
    assert Clock(NOW - H, due, ended=NOW).outcome(NOW + H) == "missed"
    assert Clock(NOW - H, due, ended=NOW - H / 2, cancelled=True).outcome(NOW + H) is None
    assert Clock(NOW - H, due, ended=NOW + H, cancelled=True).outcome(NOW + H) == "missed"


# ---- stage durations (metrics) ---------------------------------------------------------------

def test_a_transition_completes_the_stage_it_ends_timed_from_the_latest_start():
    created = NOW - 10 * H
    report = {"created_at": created.replace(tzinfo=None), "history": [
        {"to": "forwarded", "at": NOW - 8 * H}, {"to": "verified", "at": NOW - 6 * H},
        {"to": "forwarded", "at": NOW - 4 * H}, {"to": "accepted", "at": NOW}]}
    assert completed_stage(report, "accepted", NOW) == ("forward_to_accept", 4 * 3600.0)
    forwarded = {**report, "history": report["history"][:3]}
    assert completed_stage(forwarded, "forwarded", NOW - 4 * H) == ("submit_to_forward",
                                                                    6 * 3600.0)
    assert completed_stage(report, "in_progress", NOW) is None
    assert completed_stage({**report, "history": [{"to": "resolved", "at": NOW}]},
                           "resolved", NOW) is None  # never accepted: no start
    assert stage_started_at(report, None) == created


def test_median_and_mean_are_the_standard_library_s():
    import statistics

    for values in ([3.0], [1.0, 4.0], [5.0, 1.0, 3.0], [0.1, 0.2, 0.3, 10.0], [2.5] * 7):
        assert median(values) == statistics.median(values)
        assert mean(values) == statistics.fmean(values)
