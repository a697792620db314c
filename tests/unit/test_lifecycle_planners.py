"""The lifecycle's planners (aduan/domain/lifecycle.py), pure: each one's plan on the happy
path and each of its refusals, and which actions each kind of caller is offered in each
status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aduan.domain import lifecycle as lc
from aduan.domain.errors import Conflict, Forbidden, Invalid, NotFound
from aduan.domain.lifecycle import Actor

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
CREATED = NOW - timedelta(days=1)
OPERATOR = Actor(kind="staff", id="op-1", role="operator")
REPORTER = Actor(kind="reporter", id=None, role="reporter")


class FixedDeadlines:
    """Deadlines in plain days, so that each one is known exactly."""

    def forward_due(self, city: str, category: dict[str, Any] | None, start: datetime
                    ) -> datetime:
        return start + timedelta(days=(category or {}).get("forward_days", 3))

    def follow_up_due(self, city: str, category: dict[str, Any] | None, start: datetime
                      ) -> datetime:
        return start + timedelta(days=5)

    def auto_close_at(self, city: str, start: datetime) -> datetime:
        return start + timedelta(days=10)

    def resolution_due(self, city: str, category: dict[str, Any] | None, start: datetime
                       ) -> datetime:
        return start + timedelta(days=(category or {}).get("resolution_days", 10))


DEADLINES = FixedDeadlines()
DLH = {"code": "DLH", "name_id": "Dinas Lingkungan Hidup", "kind": "opd"}
PUPR = {"code": "PUPR", "name_id": "Dinas PUPR", "kind": "opd"}
PDAM = {"code": "PDAM", "name_id": "Perumda Air Minum", "name_en": "Water utility",
        "kind": "vertical", "contact": {"phone": "0751-1"}}


def report(status: str, **fields: Any) -> dict[str, Any]:
    return {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "category": "waste",
            "status": status, "created_at": CREATED, "agencies": [], "photos": [],
            **fields}


def assignment(code: str, status: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "kind": "opd", "status": status,
            "forwarded_at": CREATED, "due_at": CREATED + timedelta(days=5),
            "responded_at": None, "resolution_due_at": CREATED + timedelta(days=10), **fields}


def refused(error: type[Exception], code: str, call, *args: Any, **kwargs: Any
            ) -> dict[str, Any]:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    return caught.value.details or {}


# ---- creation and the photo checks' verdict ------------------------------------------------

def test_a_new_report_starts_submitted_with_its_first_event():
    created, event = lc.new_report({"_id": "r1", "code": "C", "city": "padang"}, REPORTER, NOW)
    assert created["status"] == "submitted" and created["created_at"] == NOW
    assert [(h["from"], h["to"]) for h in created["history"]] == [(None, "submitted")]
    assert (event.key, event.report_id, event.data) == ("report.submitted", "r1",
                                                        {"status": "submitted"})
    assert event.body()["occurred_at"] == NOW.isoformat()


def test_a_judgement_passes_through_verifying_in_the_same_write():
    started = NOW - timedelta(seconds=3)
    plan = lc.plan_judgement(report("submitted"), "needs_review", started, reasons=["stale"],
                             flags=["f"], photos=[{"id": "p"}], duplicate=None)
    assert (plan.target, plan.through, plan.note) == ("needs_review", ("verifying", started),
                                                      "stale")
    assert plan.set["verification"] == {"verdict": "needs_review", "reasons": ["stale"],
                                        "flags": ["f"]}
    again = lc.plan_judgement(report("verifying"), "verified", started, reasons=[], flags=[],
                              photos=[], duplicate=None)
    assert again.through is None and again.note is None


def test_a_judgement_is_refused_once_judged_or_unknown():
    kwargs = {"reasons": [], "flags": [], "photos": [], "duplicate": None}
    refused(Conflict, "illegal_transition", lc.plan_judgement, report("verified"), "verified",
            NOW, **kwargs)
    refused(Invalid, "unknown_verdict", lc.plan_judgement, report("verifying"), "maybe", NOW,
            **kwargs)


# ---- operators -----------------------------------------------------------------------------

def test_verify_keeps_a_waiting_reports_deadline_and_records_the_override():
    due = CREATED + timedelta(days=2)
    plan = lc.plan_verify(report("needs_review", forward_due_at=due), NOW, "ok", OPERATOR,
                          deadlines=DEADLINES, category=None)
    assert plan.target == "verified" and plan.set["forward_due_at"] == due
    assert plan.set["verification.override"] == {"verdict": "verified", "from": "needs_review",
                                                 "note": "ok", "by": "op-1", "at": NOW}
    assert "photos" not in plan.set and plan.effects == ("publish_copies",)


def test_verify_of_a_postponed_report_starts_its_clock_again():
    plan = lc.plan_verify(report("postponed"), NOW, None, OPERATOR, deadlines=DEADLINES,
                          category={"forward_days": 1})
    assert plan.set["forward_due_at"] == NOW + timedelta(days=1)
    assert "verification.override" not in plan.set  # not a verdict of the photo checks


def test_verify_overturns_a_rejection_with_the_photos_published_again():
    photos = [{"id": "p", "public_key": "k.jpg"}]
    plan = lc.plan_verify(report("rejected"), NOW, "GPS just outside", OPERATOR,
                          deadlines=DEADLINES, category=None, photos=photos)
    assert plan.set["photos"] == photos
    assert plan.set["forward_due_at"] == CREATED + timedelta(days=3)
    assert plan.set["verification.override"]["from"] == "rejected"


def test_reject_unpublishes_the_photos_and_records_the_override():
    photo = {"id": "p", "raw_key": "raw", "public_key": "k", "thumbnail_key": "t",
             "public_size": [1, 2]}
    plan = lc.plan_reject(report("needs_review", photos=[photo]), NOW, "fake", OPERATOR)
    assert plan.target == "rejected" and plan.effects == ("withdraw_copies",)
    assert plan.set["photos"] == [{"id": "p", "raw_key": "raw"}]
    assert plan.set["forward_due_at"] is None
    assert plan.set["verification.verdict"] == "rejected"
    postponed = lc.plan_reject(report("postponed"), NOW, "fake", OPERATOR)
    assert "verification.override" not in postponed.set


@pytest.mark.parametrize("planner, start", [
    (lambda r: lc.plan_verify(r, NOW, None, OPERATOR, deadlines=DEADLINES, category=None),
     "verified"),
    (lambda r: lc.plan_reject(r, NOW, "n", OPERATOR), "rejected"),
    (lambda r: lc.plan_postpone(r, NOW, "n", until=NOW.date() + timedelta(days=2),
                                timezone=PADANG_TZ), "forwarded"),
    (lambda r: lc.plan_resume(r, NOW, deadlines=DEADLINES, category=None), "verified"),
    (lambda r: lc.plan_escalate(r, NOW, OPERATOR, "n"), "verified"),
    (lambda r: lc.plan_archive(r, NOW, "n"), "forwarded"),
    (lambda r: lc.plan_confirm(r, NOW, None), "in_progress"),
    (lambda r: lc.plan_auto_close(r, NOW), "closed"),
    (lambda r: lc.plan_reopen(r, NOW, "n", deadlines=DEADLINES, category=None), "closed"),
    (lambda r: lc.plan_duplicate(r, NOW, None, "X", None), "closed"),
])
def test_an_action_from_a_status_it_may_not_start_from_is_refused(planner, start):
    details = refused(Conflict, "illegal_transition", planner, report(start))
    assert details["status"] == start and start not in details["allowed_from"]


PADANG_TZ = "Asia/Jakarta"


def test_postpone_and_archive():
    # NOW is 12:00 in Padang (UTC+7) on 23 November: back on the morning of 30 November.
    until = date(2026, 11, 30)
    postponed = lc.plan_postpone(report("verified"), NOW, "waiting for a photo", until=until,
                                 timezone=PADANG_TZ)
    back_at = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert (postponed.target, postponed.set) == ("postponed", {"forward_due_at": None,
                                                              "postponed_until": back_at})
    assert postponed.details == {"action": "postpone", "until": "2026-11-30"}
    archived = lc.plan_archive(report("needs_review"), NOW, "not a complaint")
    assert (archived.target, archived.details) == ("archived", {"action": "archive"})


@pytest.mark.parametrize("until, code", [
    (date(2026, 11, 23), "postpone_not_in_future"),  # today in Padang
    (date(2026, 11, 22), "postpone_not_in_future"),
    (date(2026, 11, 23) + timedelta(days=lc.POSTPONE_MAX_DAYS + 1), "postpone_too_long"),
])
def test_postpone_takes_a_day_ahead_within_its_limit(until, code):
    refused(Invalid, code, lc.plan_postpone, report("verified"), NOW, "n", until=until,
            timezone=PADANG_TZ)
    furthest = date(2026, 11, 23) + timedelta(days=lc.POSTPONE_MAX_DAYS)
    assert lc.plan_postpone(report("verified"), NOW, "n", until=furthest,
                            timezone=PADANG_TZ).target == "postponed"


def test_a_postponed_report_comes_back_to_the_operators_on_its_day():
    current = report("postponed", postponed_until=NOW - timedelta(minutes=1))
    plan = lc.plan_resume(current, NOW, deadlines=DEADLINES, category={"forward_days": 2})
    assert plan.target == "verified" and lc.plan_key(plan) == "report.returned"
    assert plan.set == {"triage": True, "triage_reason": "postponement_ended",
                        "postponed_until": None, "forward_due_at": NOW + timedelta(days=2)}
    assert plan.note == lc.RESUME_NOTE and plan.details == {"action": "resume"}
    [event] = lc.plan_events(current, plan, Actor(kind="system", id="sweep"), NOW)
    assert (event.key, event.data["from"], event.data["status"]) == (
        "report.returned", "postponed", "verified")
    early = report("postponed", postponed_until=NOW + timedelta(minutes=1))
    refused(Conflict, "not_yet_due", lc.plan_resume, early, NOW, deadlines=DEADLINES,
            category=None)


POSTPONED_UNTIL = NOW + timedelta(days=3)
ORIGINAL = {"_id": "r0", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang", "status": "verified"}
LEAVING_POSTPONED = {
    "verify": lambda r: lc.plan_verify(r, NOW, None, OPERATOR, deadlines=DEADLINES,
                                       category=None),
    "reject": lambda r: lc.plan_reject(r, NOW, "not a complaint", OPERATOR),
    "forward": lambda r: lc.plan_send(r, [DLH], NOW, action="forward", note=None,
                                      deadlines=DEADLINES, category=None),
    "refer": lambda r: lc.plan_send(r, [PDAM], NOW, action="forward", note=None,
                                    deadlines=DEADLINES, category=None),
    "duplicate": lambda r: lc.plan_duplicate(r, NOW, ORIGINAL, ORIGINAL["code"], None),
    "archive": lambda r: lc.plan_archive(r, NOW, "not a complaint"),
    "resume": lambda r: lc.plan_resume({**r, "postponed_until": NOW}, NOW,
                                       deadlines=DEADLINES, category=None),
}


def test_every_action_out_of_postponed_is_tried_below():
    leaving = {name for name, action in lc.ACTIONS.items()
               if "postponed" in action.starts and action.ends - {"postponed"}}
    assert leaving == set(LEAVING_POSTPONED) - {"refer"}


@pytest.mark.parametrize("name", sorted(LEAVING_POSTPONED))
def test_a_report_taken_out_of_postponed_has_no_day_to_come_back(name):
    plan = LEAVING_POSTPONED[name](report("postponed", postponed_until=POSTPONED_UNTIL))
    assert plan.target != "postponed" and plan.set["postponed_until"] is None
    if name != "resume":  # from elsewhere there is none to clear
        assert "postponed_until" not in LEAVING_POSTPONED[name](report("needs_review")).set


def test_postponed_reports_due_back_as_a_query():
    assert lc.postponed_due_filter(NOW) == {"status": "postponed",
                                            "postponed_until": {"$lte": NOW}}


# ---- forwarding, referring, re-routing ---------------------------------------------------

def test_forward_gives_each_agency_its_own_assignment_and_deadline():
    plan = lc.plan_send(report("verified"), [DLH, PUPR], NOW, action="forward", note=None,
                        deadlines=DEADLINES, category=None)
    assert plan.target == "forwarded" and plan.event_body == {"agencies": ["DLH", "PUPR"]}
    assert [(a["code"], a["status"], a["due_at"]) for a in plan.set["agencies"]] == [
        ("DLH", "forwarded", NOW + timedelta(days=5)),
        ("PUPR", "forwarded", NOW + timedelta(days=5))]
    assert plan.set["triage"] is False


def test_forward_sets_each_assignment_its_categorys_resolution_target():
    plan = lc.plan_send(report("verified"), [DLH], NOW, action="forward", note=None,
                        deadlines=DEADLINES, category={"resolution_days": 2})
    [dlh] = plan.set["agencies"]
    assert dlh["resolution_due_at"] == NOW + timedelta(days=2)


def test_a_vertical_body_is_referred_to_alone():
    plan = lc.plan_send(report("verified"), [PDAM], NOW, action="route", note=None,
                        deadlines=DEADLINES, category=None)
    assert plan.target == "referred"
    assert plan.set["referral"] == {"code": "PDAM", "name_id": "Perumda Air Minum",
                                    "name_en": "Water utility", "contact": {"phone": "0751-1"}}
    assert plan.set["auto_close_at"] == NOW + timedelta(days=10)
    refused(Invalid, "referral_not_alone", lc.plan_send, report("verified"), [PDAM, DLH], NOW,
            action="forward", note=None, deadlines=DEADLINES, category=None)


def test_reroute_withdraws_the_agencies_holding_the_report():
    current = report("accepted", agencies=[assignment("DLH", "accepted"),
                                           assignment("DISHUB", "handed_back")])
    plan = lc.plan_send(current, [PUPR], NOW, action="reroute", note="drainage",
                        deadlines=DEADLINES, category=None)
    assert [(a["code"], a["status"]) for a in plan.set["agencies"]] == [
        ("DLH", "withdrawn"), ("DISHUB", "handed_back"), ("PUPR", "forwarded")]
    withdrawn = plan.set["agencies"][0]
    assert withdrawn["due_at"] is None and withdrawn["resolution_due_at"] is None
    assert plan.details == {"action": "reroute", "agencies": ["PUPR"], "withdrawn": ["DLH"],
                            "reason": "not_our_authority"}
    assert current["agencies"][0]["status"] == "accepted"  # the read report is left as it was


def test_sending_is_refused_where_its_action_may_not_start():
    refused(Conflict, "illegal_transition", lc.plan_send, report("forwarded"), [DLH], NOW,
            action="forward", note=None, deadlines=DEADLINES, category=None)
    refused(Conflict, "illegal_transition", lc.plan_send, report("verified"), [DLH], NOW,
            action="reroute", note="n", deadlines=DEADLINES, category=None)
    refused(Conflict, "illegal_transition", lc.plan_send, report("needs_review"), [DLH], NOW,
            action="route", note=None, deadlines=DEADLINES, category=None)


# ---- duplicates ------------------------------------------------------------------------------

def test_a_duplicate_links_its_original_and_withdraws_its_agencies():
    original = {"_id": "o1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang",
                "status": "forwarded"}
    current = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    plan = lc.plan_duplicate(current, NOW, original, original["code"], None)
    assert plan.set["duplicate_of"] == {"code": original["code"], "report_id": "o1"}
    assert plan.set["agencies"][0]["status"] == "withdrawn"
    assert plan.event_body == {"duplicate_of": original["code"]}


@pytest.mark.parametrize("original, code", [
    (None, "unknown_report"),
    ({"_id": "o", "code": "X", "city": "depok", "status": "verified"}, "unknown_report"),
    ({"_id": "r1", "code": "X", "city": "padang", "status": "verified"}, "duplicate_of_itself"),
    ({"_id": "o", "code": "X", "city": "padang", "status": "duplicate"},
     "duplicate_of_duplicate"),
])
def test_a_duplicate_of_what_cannot_be_its_original_is_refused(original, code):
    refused(Invalid, code, lc.plan_duplicate, report("verified"), NOW, original, "X", None)


# ---- agencies ------------------------------------------------------------------------------

def agency_plan(current: dict[str, Any], action: str, agency: str = "DLH", **kwargs: Any
                ) -> lc.Plan:
    return lc.plan_agency(current, NOW, action, agency, kwargs.pop("note", None),
                          deadlines=DEADLINES, category=None, **kwargs)


def test_a_bare_accept_keeps_the_follow_up_clock_running():
    due = CREATED + timedelta(days=5)
    plan = agency_plan(report("forwarded", agencies=[assignment("DLH", "forwarded")]), "accept")
    [mine] = plan.set["agencies"]
    assert (plan.target, mine["status"], mine["due_at"]) == ("accepted", "accepted", due)
    assert mine["responded_at"] is None and mine["accepted_at"] == NOW
    assert plan.routing_key is None and "public_response" not in plan.details
    assert plan.event_body == {"agency": "DLH", "agency_status": "accepted"}


def test_a_public_response_ends_the_follow_up_clock_not_the_resolution_target():
    current = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    plan = agency_plan(current, "accept", public_response="Petugas kami menuju lokasi.")
    [mine] = plan.set["agencies"]
    assert (mine["due_at"], mine["responded_at"]) == (None, NOW)
    assert mine["resolution_due_at"] == CREATED + timedelta(days=10)
    assert plan.details["public_response"] == "Petugas kami menuju lokasi."
    # Answered earlier: its first answer stays the one on record.
    answered = report("accepted", agencies=[assignment("DLH", "accepted", due_at=None,
                                                       responded_at=CREATED)])
    [again] = agency_plan(answered, "start", public_response="Mulai.").set["agencies"]
    assert again["responded_at"] == CREATED


def test_resolving_or_handing_back_ends_the_assignments_clocks():
    current = report("in_progress", agencies=[assignment("DLH", "in_progress")])
    [resolved] = agency_plan(current, "resolve", note="done").set["agencies"]
    assert (resolved["due_at"], resolved["responded_at"], resolved["resolution_due_at"]) == (
        None, NOW, None)
    forwarded = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    [back] = agency_plan(forwarded, "hand_back", note="not ours").set["agencies"]
    assert (back["due_at"], back["responded_at"], back["resolution_due_at"]) == (
        None, None, None)


def test_another_agency_acting_changes_nothing_a_reporter_sees():
    current = report("accepted", agencies=[assignment("DLH", "accepted"),
                                           assignment("PUPR", "forwarded")])
    plan = agency_plan(current, "accept", "PUPR")
    assert plan.target == "accepted" and plan.routing_key == ""


def test_the_last_agency_resolving_resolves_the_report_and_starts_auto_closing():
    current = report("in_progress", agencies=[assignment("DLH", "in_progress"),
                                              assignment("PUPR", "resolved")])
    plan = agency_plan(current, "resolve", note="done", photos=[{"id": "e1"}])
    assert plan.target == "resolved" and plan.set["auto_close_at"] == NOW + timedelta(days=10)
    assert plan.details["photos"] == [{"id": "e1"}] and plan.effects == ("store_evidence",)


def test_the_only_agency_handing_back_returns_the_report_to_triage():
    plan = agency_plan(report("forwarded", agencies=[assignment("DLH", "forwarded")]),
                       "hand_back", note="not ours")
    assert plan.target == "verified" and plan.set["triage"] is True
    assert plan.set["forward_due_at"] == NOW + timedelta(days=3)
    assert plan.routing_key == "report.status_changed"  # not report.verified: no re-routing
    assert plan.details["reason"] == "not_our_authority"


def test_agency_refusals():
    forwarded = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    # Not (or no longer) the agency's: answered as a report it may not see.
    refused(NotFound, "report_not_found", agency_plan, forwarded, "accept", "PUPR")
    details = refused(Conflict, "illegal_transition", agency_plan, forwarded, "resolve")
    assert details["assignment_status"] == "forwarded"
    refused(Invalid, "unknown_action", agency_plan, forwarded, "reroute")
    refused(Conflict, "illegal_transition", agency_plan, report("resolved"), "accept")
    resolved = report("in_progress", agencies=[assignment("DLH", "resolved"),
                                               assignment("PUPR", "in_progress")])
    details = refused(Conflict, "illegal_transition", agency_plan, resolved, "accept")
    assert details["assignment_status"] == "resolved"


# ---- reporters and the system ------------------------------------------------------------

def test_confirm_and_auto_close_end_the_report():
    confirmed = lc.plan_confirm(report("referred"), NOW, None)
    assert (confirmed.target, confirmed.set) == ("closed", {"auto_close_at": None})
    closed = lc.plan_auto_close(report("resolved"), NOW)
    assert closed.target == "closed" and closed.note == lc.AUTO_CLOSE_NOTE
    assert closed.details["public_response"] == lc.AUTO_CLOSE_NOTE


def test_reopen_sends_the_report_back_to_the_agencies_that_resolved_it():
    current = report("resolved", auto_close_at=NOW + timedelta(days=2), agencies=[
        assignment("DLH", "resolved"), assignment("PUPR", "handed_back")])
    plan = lc.plan_reopen(current, NOW, "still there", deadlines=DEADLINES, category=None)
    assert plan.target == "reopened" and plan.event_body == {"agencies": ["DLH"]}
    dlh = plan.set["agencies"][0]
    assert (dlh["status"], dlh["due_at"], dlh["reopened_at"]) == (
        "accepted", NOW + timedelta(days=5), NOW)
    assert (dlh["resolution_due_at"], dlh["responded_at"]) == (NOW + timedelta(days=10), None)
    late = {**current, "auto_close_at": NOW}
    refused(Conflict, "reopen_window_closed", lc.plan_reopen, late, NOW, "n",
            deadlines=DEADLINES, category=None)


def test_a_rating_is_recorded_once_on_a_resolved_or_closed_report():
    plan = lc.plan_rate(report("closed"), NOW, 4, "good")
    assert plan.target is None and plan.set == {"rating": {"score": 4, "comment": "good",
                                                           "at": NOW}}
    assert plan.conditions == {"rating": {"$exists": False},
                               "status": {"$in": ["closed", "resolved"]}}
    refused(Conflict, "already_rated", lc.plan_rate, report("closed", rating={"score": 1}),
            NOW, 4, None)
    refused(Conflict, "illegal_transition", lc.plan_rate, report("forwarded"), NOW, 4, None)


def test_a_comment_is_appended_where_the_counted_comments_still_are():
    plan = lc.plan_comment(report("forwarded", comments=[{}, {}]), {"text": "hi", "at": NOW})
    assert plan.push == {"comments": {"text": "hi", "at": NOW}}
    # ... and where the push mark is as read (its event carries the report to the notifier).
    assert plan.conditions == {"comments.2": {"$exists": False},
                               "push_subscribed": {"$exists": False}}
    assert plan.set == {} and not plan.pinned
    marked = lc.plan_comment(report("forwarded", push_subscribed=True), {"at": NOW})
    assert marked.conditions["push_subscribed"] == {"$exists": True}


def test_a_comment_by_the_agency_holding_the_report_ends_its_follow_up_clock():
    current = report("accepted", comments=[{}], agencies=[
        assignment("DLH", "accepted"), assignment("PUPR", "forwarded")])
    comment = {"text": "Sudah kami jadwalkan.", "at": NOW, "agency": "DLH"}
    plan = lc.plan_comment(current, comment, "DLH")
    dlh, pupr = plan.set["agencies"]
    assert (dlh["due_at"], dlh["responded_at"]) == (None, NOW)
    assert pupr == current["agencies"][1] and current["agencies"][0]["due_at"] is not None
    # In the same write as the comment, only where the report is still as it was read.
    assert plan.push == {"comments": comment} and plan.pinned
    assert plan.conditions == {"comments.1": {"$exists": False}}
    # An agency not holding it (or already answered) changes no clock.
    for agency in ("DISHUB", None):
        assert not lc.plan_comment(current, comment, agency).pinned
    answered = report("accepted", agencies=[assignment("DLH", "accepted", due_at=None)])
    assert lc.plan_comment(answered, comment, "DLH").set == {}


def test_triage_flags_the_report_where_its_status_still_is():
    plan = lc.plan_triage(report("verified"), "no_rule")
    assert plan.set == {"triage": True, "triage_reason": "no_rule"}
    assert plan.conditions == {"status": "verified"} and lc.plan_key(plan) == ""


def test_deadlines_passed():
    due = NOW - timedelta(hours=1)
    current = report("needs_review", forward_due_at=due, agencies=[
        assignment("DLH", "forwarded", due_at=due),
        assignment("PUPR", "handed_back", due_at=due, resolution_due_at=due),
        assignment("DISHUB", "forwarded", due_at=NOW + timedelta(hours=1))])
    assert lc.late_deadlines(current, NOW) == [("forward", None, due), ("follow_up", "DLH", due)]
    assert lc.late_deadlines({**current, "status": "postponed"}, NOW)[0][0] == "follow_up"
    # What the consoles mark late: the report, or one agency's own clock.
    assert lc.is_overdue(current, NOW)
    assert lc.is_overdue(current, NOW, "DLH")
    assert not lc.is_overdue(current, NOW, "PUPR")  # handed back: its clock stopped
    assert not lc.is_overdue(current, NOW, "DISHUB")  # not due yet
    assert not lc.is_overdue(report("verified", forward_due_at=NOW + timedelta(hours=1)), NOW)


def test_a_resolution_target_passed_is_late_until_the_assignment_is_resolved():
    due = NOW - timedelta(hours=1)
    current = report("accepted", agencies=[
        assignment("DLH", "accepted", due_at=None, resolution_due_at=due),
        assignment("PUPR", "resolved", due_at=None, resolution_due_at=None),
        assignment("DISHUB", "withdrawn", due_at=None, resolution_due_at=due)])
    assert lc.late_deadlines(current, NOW) == [("resolution", "DLH", due)]
    assert lc.is_overdue(current, NOW, "DLH") and not lc.is_overdue(current, NOW, "PUPR")


def test_what_is_late_as_a_query():
    active = {"$nin": ["handed_back", "withdrawn"]}
    assert lc.overdue_filter(NOW) == {"$or": [
        {"forward_due_at": {"$lt": NOW}, "status": {"$in": ["needs_review", "verified"]}},
        {"agencies": {"$elemMatch": {"due_at": {"$lt": NOW}, "status": active}}},
        {"agencies": {"$elemMatch": {"resolution_due_at": {"$lt": NOW}, "status": active}}}]}
    assert lc.overdue_filter(NOW, "DLH") == {"$or": [
        {"agencies": {"$elemMatch": {"due_at": {"$lt": NOW}, "status": active,
                                     "code": "DLH"}}},
        {"agencies": {"$elemMatch": {"resolution_due_at": {"$lt": NOW}, "status": active,
                                     "code": "DLH"}}}]}


def test_a_breach_is_checked_against_the_action_table():
    refused(Conflict, "illegal_transition", lc.plan_breach, report("closed"), "forward", None,
            NOW - timedelta(hours=1), NOW)


def test_a_breach_is_planned_once_with_its_escalation():
    due = NOW - timedelta(hours=1)
    plan = lc.plan_breach(report("forwarded"), "follow_up", "DLH", due, NOW)
    assert plan is not None and lc.plan_key(plan) == "report.sla_breached"
    assert plan.event_body["escalate_to"] == [{"role": "agency_head", "agency": "DLH"},
                                              {"role": "leader", "agency": None}]
    key = lc.breach_key("follow_up", "DLH", due)
    assert plan.conditions == {"sla_breaches.key": {"$ne": key}}
    assert lc.plan_breach(report("forwarded", sla_breaches=[{"key": key}]), "follow_up", "DLH",
                          due, NOW) is None
    forward = lc.plan_breach(report("verified"), "forward", None, due, NOW)
    assert forward is not None
    assert forward.push["sla_breaches"]["escalate_to"] == [{"role": "leader", "agency": None}]
    resolution = lc.plan_breach(report("accepted"), "resolution", "DLH", due, NOW)
    assert resolution is not None and resolution.event_body["kind"] == "resolution"
    assert resolution.event_body["escalate_to"] == plan.event_body["escalate_to"]
    # A resolution breach and a follow-up breach of the same due time are two breaches.
    assert lc.breach_key("resolution", "DLH", due) != key


# ---- escalating by hand --------------------------------------------------------------------

ADMIN = Actor(kind="staff", id="adm-1", role="agency_admin", agency="DLH")


def test_an_operator_escalates_to_the_head_of_the_agency_holding_the_report():
    current = report("accepted", agencies=[assignment("DLH", "accepted"),
                                           assignment("PUPR", "handed_back")])
    plan = lc.plan_escalate(current, NOW, OPERATOR, "Tiga minggu tanpa kabar")
    assert plan.target is None and lc.plan_key(plan) == "report.escalated"
    assert plan.push == {"escalations": {"agency": "DLH", "note": "Tiga minggu tanpa kabar",
                                         "by": {"id": "op-1", "role": "operator"}, "at": NOW}}
    assert plan.event_body == {"agency": "DLH", "note": "Tiga minggu tanpa kabar",
                               "by_role": "operator"}
    # Written only while the report's status and the agency's hold on it are as read.
    assert plan.conditions == {"status": "accepted", **lc.agency_holds_filter("DLH")}


def test_an_operator_names_the_agency_when_several_hold_the_report():
    current = report("accepted", agencies=[assignment("DLH", "accepted"),
                                           assignment("PUPR", "forwarded")])
    details = refused(Invalid, "agency_required", lc.plan_escalate, current, NOW, OPERATOR, "n")
    assert details["agencies"] == ["DLH", "PUPR"]
    assert lc.plan_escalate(current, NOW, OPERATOR, "n", "PUPR").event_body["agency"] == "PUPR"
    refused(Invalid, "unknown_agency", lc.plan_escalate, current, NOW, OPERATOR, "n", "DISHUB")


def test_an_agency_admin_escalates_its_own_assignment_only():
    current = report("forwarded", agencies=[assignment("DLH", "forwarded"),
                                            assignment("PUPR", "forwarded")])
    plan = lc.plan_escalate(current, NOW, ADMIN, "Butuh alat berat")
    assert plan.push["escalations"]["agency"] == "DLH"
    assert plan.push["escalations"]["by"] == {"id": "adm-1", "role": "agency_admin"}
    refused(Invalid, "not_your_agency", lc.plan_escalate, current, NOW, ADMIN, "n", "PUPR")
    other = Actor(kind="staff", id="adm-2", role="agency_admin", agency="DISHUB")
    refused(NotFound, "report_not_found", lc.plan_escalate, current, NOW, other, "n")


def test_an_agency_admin_is_offered_escalate_on_its_own_assignment():
    current = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    assert "escalate" in lc.allowed_actions(current, ADMIN)
    assert "escalate" not in lc.allowed_actions(current, officer())
    assert lc.action_forms(["escalate"]) == [
        {"name": "escalate", "note": "required", "inputs": ["agency"], "final": False}]


@pytest.mark.parametrize("actor", [
    Actor(kind="staff", id="o", role="officer", agency="DLH"),
    Actor(kind="staff", id="h", role="agency_head", agency="DLH"),
    Actor(kind="staff", id="l", role="leader"), REPORTER])
def test_others_may_not_escalate(actor):
    current = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    assert not lc.may_take("escalate", actor)
    refused(Forbidden, "not_your_action", lc.plan_escalate, current, NOW, actor, "n")


def test_an_escalation_needs_a_note_and_an_agency_at_work():
    current = report("forwarded", agencies=[assignment("DLH", "forwarded")])
    refused(Invalid, "note_required", lc.plan_escalate, current, NOW, OPERATOR, "")
    refused(Conflict, "illegal_transition", lc.plan_escalate, report("resolved"), NOW,
            OPERATOR, "n")


# ---- who is offered what -----------------------------------------------------------------

def officer(agency: str = "DLH") -> Actor:
    return Actor(kind="staff", id="o", role="officer", agency=agency)


def sent_to(officer_id: str) -> dict[str, Any]:
    """An assignment's `officers` field once it is dispatched to `officer_id`."""
    return {"officers": [{"id": officer_id, "name": officer_id, "status": "assigned"}]}


@pytest.mark.parametrize("current, actor, expected", [
    (report("needs_review"), OPERATOR,
     ["verify", "reject", "postpone", "forward", "duplicate", "archive"]),
    (report("rejected"), OPERATOR, ["verify"]),
    (report("verified"), OPERATOR, ["postpone", "forward", "duplicate", "archive"]),
    (report("accepted", agencies=[assignment("DLH", "accepted")]), OPERATOR,
     ["reroute", "duplicate", "escalate"]),
    (report("closed"), OPERATOR, []),
    # An agency takes its own steps one by one: its admin takes the report up or hands it
    # back, an officer works on what was dispatched to it.
    (report("forwarded", agencies=[assignment("DLH", "forwarded")]), ADMIN,
     ["accept", "hand_back", "dispatch", "escalate"]),
    (report("forwarded", agencies=[assignment("PUPR", "forwarded")]), ADMIN, []),
    (report("accepted", agencies=[assignment("DLH", "accepted")]), ADMIN,
     ["start", "hand_back", "dispatch", "escalate"]),
    (report("accepted", agencies=[assignment("DLH", "accepted", **sent_to("o"))]), officer(),
     ["start", "visit"]),
    (report("in_progress", agencies=[assignment("DLH", "in_progress", **sent_to("o"))]),
     officer(), ["resolve", "visit"]),
    # Nothing dispatched to the officer (yet, or to others): nothing to do but comment
    # (intake's comments, not a workflow action).
    (report("forwarded", agencies=[assignment("DLH", "forwarded")]), officer(), []),
    (report("accepted", agencies=[assignment("DLH", "accepted")]), officer(), []),
    (report("in_progress", agencies=[assignment("DLH", "in_progress", **sent_to("x"))]),
     officer(), []),
    # Resolved: nothing more until the reporter reopens.
    (report("in_progress", agencies=[assignment("DLH", "resolved"),
                                     assignment("PUPR", "in_progress")]), officer(), []),
    (report("forwarded", agencies=[assignment("DLH", "withdrawn"),
                                   assignment("PUPR", "forwarded")]), officer(), []),
    (report("resolved"), REPORTER, ["confirm", "reopen", "rate"]),
    (report("closed", rating={"score": 5}), REPORTER, []),
    (report("referred"), REPORTER, ["confirm"]),
    (report("needs_review"), Actor(kind="staff", id="l", role="leader"), []),
])
def test_the_actions_each_caller_is_offered(current, actor, expected):
    assert lc.allowed_actions(current, actor) == expected


def test_an_operator_acts_as_an_operator_even_with_an_agency():
    assert Actor(kind="staff", id="o", role="operator", agency="DLH").acts_as == "operator"
    assert officer().acts_as == "agency"


def test_action_forms_say_what_each_action_needs():
    assert lc.action_forms(["reject", "forward", "resolve", "duplicate"]) == [
        {"name": "reject", "note": "required", "inputs": [], "final": True},
        {"name": "forward", "note": "optional", "inputs": ["agencies"], "final": False},
        {"name": "resolve", "note": "required", "inputs": ["photos"], "final": False},
        {"name": "duplicate", "note": "optional", "inputs": ["of"], "final": True},
    ]


def test_every_status_change_an_action_makes_is_in_the_state_machine():
    assert lc.can_transition("rejected", "verified")  # an operator overturns a rejection
    assert lc.can_transition("forwarded", "verified")  # every agency handed it back
    assert not lc.can_transition("forwarded", "resolved")  # no agency skips its own steps
    for action in lc.ACTIONS.values():
        if action.assignment_to is None and action.through is None:
            for start in action.starts:
                assert action.ends <= lc.TRANSITIONS[start]
