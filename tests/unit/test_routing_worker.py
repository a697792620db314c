"""The routing consumer and the SLA sweep over fakes: routing by the category's rule, triage
with the report's facts written once, a redelivery that changes nothing, breaches recorded
and announced once, silent reports closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakePublisher
from prometheus_client import REGISTRY
from routing_world import DEADLINES, assignment, place, seeded_db, stored

from aduan.infra.messaging import Delivery
from aduan.infra.report_snapshots import snapshot_in, with_snapshot
from aduan.web.errors import PermanentError
from services.routing.sweep import Sweep
from services.routing.worker import Router


def delivery(report: dict[str, Any], key: str = "report.verified") -> Delivery:
    return Delivery(routing_key=key, body={"report_id": report["_id"]}, message_id="m1",
                    correlation_id="c1", type=None, attempts=1)


@pytest.fixture
def router() -> Router:
    return Router(seeded_db(), FakePublisher(), DEADLINES)


def test_a_verified_report_goes_to_its_categorys_agency_once(router):
    report = place(router.db, "verified")
    router.handle(delivery(report))
    routed = stored(router.db, report)
    assert routed["status"] == "forwarded" and routed["agencies"][0]["code"] == "DLH"
    assert routed["kecamatan"]["name"] and routed["forward_due_at"] > report["created_at"]
    assert routed["history"][-1]["actor"] == {"kind": "system", "id": "routing",
                                              "role": None, "agency": None}
    assert router.reports.publisher.keys() == ["report.forwarded"]
    assert router.reports.publisher.published[0].correlation_id == "c1"
    router.handle(delivery(report))  # redelivered
    assert stored(router.db, report) == routed
    assert router.reports.publisher.keys() == ["report.forwarded"]


def test_a_kecamatan_rule_adds_the_office_of_the_reports_kecamatan(router):
    report = place(router.db, "verified", category="flood")
    router.handle(delivery(report))
    codes = [a["code"] for a in stored(router.db, report)["agencies"]]
    assert codes[0] == "PUPR" and codes[1].startswith("KEC-") and len(codes) == 2


def test_a_vertical_category_is_referred(router):
    report = place(router.db, "verified", category="electricity")
    router.handle(delivery(report))
    referred = stored(router.db, report)
    assert referred["status"] == "referred" and referred["referral"]["code"] == "PLN"
    assert router.reports.publisher.keys() == ["report.referred"]


def test_no_rule_leaves_the_report_to_triage_with_its_facts(router):
    report = place(router.db, "verified", category="other")
    router.handle(delivery(report))
    waiting = stored(router.db, report)
    assert waiting["status"] == "verified" and waiting["triage"] is True
    assert waiting["triage_reason"] == "no_rule" and waiting["forward_due_at"]
    assert "kecamatan" in waiting and router.reports.publisher.published == []
    router.handle(delivery(report))
    assert stored(router.db, report) == waiting


def test_a_report_routed_before_is_left_to_a_person(router):
    report = place(router.db, "verified", agencies=[assignment("DLH", "handed_back")],
                   kecamatan=None, forward_due_at=datetime.now(UTC) + timedelta(days=3))
    router.handle(delivery(report))
    waiting = stored(router.db, report)
    assert (waiting["status"], waiting["triage_reason"]) == ("verified", "routed_before")
    assert waiting["forward_due_at"] == report["forward_due_at"].replace(
        microsecond=report["forward_due_at"].microsecond // 1000 * 1000)


def test_a_report_waiting_for_review_gets_its_facts_once(router):
    report = place(router.db, "needs_review")
    router.handle(delivery(report, "report.needs_review"))
    first = stored(router.db, report)
    assert first["status"] == "needs_review" and first["forward_due_at"] and "kecamatan" in first
    assert "triage" not in first
    # An operator set another deadline meanwhile (written straight into the fake: a unit test
    # of the worker; staff edits through the API are the workflow stack tests'): a redelivery
    # keeps it.
    later = first["forward_due_at"] + timedelta(days=1)
    router.db.reports.update_one({"_id": report["_id"]}, {"$set": {"forward_due_at": later}})
    router.handle(delivery(report, "report.needs_review"))
    assert stored(router.db, report)["forward_due_at"] == later


def test_only_one_fact_is_written_when_the_other_is_known(router):
    due = datetime(2030, 1, 2, tzinfo=UTC)
    report = place(router.db, "needs_review", forward_due_at=due)
    router.handle(delivery(report, "report.needs_review"))
    facts = stored(router.db, report)
    assert facts["forward_due_at"] == due and facts["kecamatan"]["name"]


def test_what_routing_does_not_handle(router):
    rejected = place(router.db, "rejected")
    router.handle(delivery(rejected, "report.rejected"))
    forwarded = place(router.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    router.handle(delivery(forwarded))
    for untouched in (rejected, forwarded):
        assert not {"forward_due_at", "kecamatan", "triage"} & set(stored(router.db, untouched))
    with pytest.raises(PermanentError):
        router.handle(delivery({"_id": "missing"}))


def test_a_postponed_report_returned_to_the_operators_is_not_routed(router):
    # "waste" has a rule (DLH), yet a report back from a postponement waits for a person.
    returned = place(router.db, "verified", triage=True, triage_reason="postponement_ended",
                     forward_due_at=datetime.now(UTC) + timedelta(days=3))
    router.handle(delivery(returned, "report.returned"))
    assert stored(router.db, returned)["agencies"] == []
    assert router.reports.publisher.published == []


# ---- the SLA sweep -----------------------------------------------------------------------

NOW = datetime.now(UTC)


@pytest.fixture
def sweep() -> Sweep:
    return Sweep(seeded_db(), FakePublisher(), DEADLINES)


def test_a_late_forward_breaches_once_and_escalates_to_the_leaders(sweep):
    due = NOW - timedelta(hours=1)
    report = place(sweep.db, "needs_review", forward_due_at=due)
    counted = REGISTRY.get_sample_value("aduan_sla_breaches_total", {"kind": "forward"}) or 0
    nothing = {"forward": 0, "follow_up": 0, "resolution": 0, "returned": 0, "closed": 0}
    assert sweep.once(NOW) == {**nothing, "forward": 1}
    assert sweep.once(NOW) == nothing
    assert REGISTRY.get_sample_value("aduan_sla_breaches_total",
                                     {"kind": "forward"}) == counted + 1
    [event] = sweep.publisher.published
    assert event.routing_key == "report.sla_breached"
    assert event.body == {**event.body, "report_id": report["_id"], "kind": "forward",
                          "agency": None, "escalate_to": [{"role": "leader", "agency": None}]}
    [breach] = stored(sweep.db, report)["sla_breaches"]
    assert (breach["kind"], breach["detected_at"]) == ("forward", NOW.replace(
        microsecond=NOW.microsecond // 1000 * 1000))
    assert stored(sweep.db, report)["outbox"] == []


def test_only_active_agencies_that_have_not_answered_breach(sweep):
    due = NOW - timedelta(hours=1)
    report = place(sweep.db, "accepted", agencies=[
        assignment("DLH", "forwarded", due_at=due),
        assignment("PUPR", "accepted", due_at=None, responded_at=NOW),
        assignment("DISHUB", "handed_back", due_at=due)])
    assert sweep.once(NOW)["follow_up"] == 1
    [event] = sweep.publisher.published
    assert (event.body["agency"], event.body["escalate_to"][0]) == (
        "DLH", {"role": "agency_head", "agency": "DLH"})
    assert [b["agency"] for b in stored(sweep.db, report)["sla_breaches"]] == ["DLH"]


def test_with_the_broker_down_a_breach_is_still_recorded_once(sweep):
    report = place(sweep.db, "verified", forward_due_at=NOW - timedelta(hours=1))
    sweep.publisher.down = True
    assert sweep.once(NOW)["forward"] == 1
    assert sweep.once(NOW)["forward"] == 0
    [waiting] = stored(sweep.db, report)["outbox"]  # for the relay
    assert waiting["routing_key"] == "report.sla_breached"


def test_silent_resolved_and_referred_reports_close_themselves(sweep):
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(days=3)
    silent = place(sweep.db, "resolved", agencies=[assignment("DLH", "resolved")],
                   auto_close_at=past)
    referred = place(sweep.db, "referred", auto_close_at=past)
    waiting = place(sweep.db, "resolved", auto_close_at=future)
    assert sweep.once(NOW)["closed"] == 2
    closed = stored(sweep.db, silent)
    assert closed["status"] == "closed" and closed["auto_close_at"] is None
    assert (closed["history"][-1]["action"], closed["history"][-1]["actor"]["id"]) == (
        "auto_close", "routing-sweep")
    assert stored(sweep.db, referred)["status"] == "closed"
    assert stored(sweep.db, waiting)["status"] == "resolved"
    assert sweep.publisher.keys() == ["report.status_changed"] * 2
    assert sweep.once(NOW)["closed"] == 0


def test_a_missed_resolution_target_breaches_once_and_escalates_to_the_head(sweep):
    due = NOW - timedelta(hours=1)
    report = place(sweep.db, "accepted", agencies=[
        assignment("DLH", "accepted", due_at=None, responded_at=NOW - timedelta(days=3),
                   resolution_due_at=due),
        assignment("PUPR", "resolved", due_at=None, resolution_due_at=None)])
    assert sweep.once(NOW)["resolution"] == 1
    assert sweep.once(NOW)["resolution"] == 0
    [event] = sweep.publisher.published
    assert event.body == {**event.body, "kind": "resolution", "agency": "DLH",
                          "escalate_to": [{"role": "agency_head", "agency": "DLH"},
                                          {"role": "leader", "agency": None}]}
    [breach] = stored(sweep.db, report)["sla_breaches"]
    assert (breach["kind"], breach["agency"]) == ("resolution", "DLH")


def test_a_postponed_report_returns_to_the_operators_on_its_day(sweep):
    due = place(sweep.db, "postponed", postponed_until=NOW - timedelta(minutes=1))
    later = place(sweep.db, "postponed", postponed_until=NOW + timedelta(days=1))
    assert sweep.once(NOW)["returned"] == 1
    back = stored(sweep.db, due)
    assert (back["status"], back["triage"], back["postponed_until"]) == ("verified", True, None)
    assert back["forward_due_at"] > NOW
    assert (back["history"][-1]["action"], back["history"][-1]["actor"]["id"]) == (
        "resume", "routing-sweep")
    assert sweep.publisher.keys() == ["report.returned"]
    assert stored(sweep.db, later)["status"] == "postponed"
    assert sweep.once(NOW)["returned"] == 0


# ---- the report carried by its event (aduan/infra/report_snapshots.py) --------------------

def carrying(report: dict[str, Any], attempts: int = 0) -> Delivery:
    return Delivery(routing_key="report.verified",
                    body=with_snapshot({"report_id": report["_id"]}, report), message_id="m2",
                    correlation_id="c2", type=None, attempts=attempts)


def counting_reads(router: Router) -> list[str]:
    reads: list[str] = []
    read = router.reports.get

    def get(report_id: str):
        reads.append(report_id)
        return read(report_id)
    router.reports.get = get  # type: ignore[method-assign]
    return reads


def test_a_report_its_event_carries_is_routed_without_reading_it(router):
    reads = counting_reads(router)
    report = place(router.db, "verified")
    router.handle(carrying(stored(router.db, report)))
    routed = stored(router.db, report)
    assert routed["status"] == "forwarded" and reads == []
    [event] = router.reports.publisher.published
    assert snapshot_in(event.body) == {k: v for k, v in routed.items() if k != "outbox"}


def test_a_report_changed_since_its_event_is_read_again_before_anything_is_done(router):
    reads = counting_reads(router)
    report = place(router.db, "verified")
    carried = stored(router.db, report)
    # Written straight into the fake: an operator's edit between the verdict and routing,
    # bumping the version as every status-pinned write does.
    router.db.reports.update_one({"_id": report["_id"]},
                                 {"$set": {"category": "electricity"}, "$inc": {"version": 1}})
    router.handle(carrying(carried))
    referred = stored(router.db, report)
    assert reads == [report["_id"]] and referred["status"] == "referred"
    assert router.reports.publisher.keys() == ["report.referred"]

    rejected = place(router.db, "verified")
    carried = stored(router.db, rejected)
    # Written straight into the fake, as above: rejected by an operator in between.
    router.db.reports.update_one({"_id": rejected["_id"]},
                                 {"$set": {"status": "rejected"}, "$inc": {"version": 1}})
    router.handle(carrying(carried))
    assert stored(router.db, rejected)["status"] == "rejected"
    assert router.reports.publisher.keys() == ["report.referred"]


def test_a_follower_who_came_since_the_verdict_is_in_the_report_the_forwarding_carries(router):
    reads = counting_reads(router)
    report = place(router.db, "verified")
    carried = stored(router.db, report)
    follower = {"id": "f1", "email": "tetangga@example.id", "phone": None, "language": "id",
                "at": carried["created_at"], "requested_at": carried["created_at"],
                "confirmed_at": carried["created_at"]}
    # Written straight into the fake, as plan_confirm leaves it: a "verified" report is public,
    # and followers change without a version bump (they pin followers_rev).
    router.db.reports.update_one({"_id": report["_id"]},
                                 {"$set": {"followers": [follower], "followers_rev": 1}})
    router.handle(carrying(carried))
    assert reads == [report["_id"]]
    [event] = router.reports.publisher.published
    assert [f["id"] for f in snapshot_in(event.body)["followers"]] == ["f1"]
