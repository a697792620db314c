"""The SLA sweep: each breach emitted once with its escalation, and auto-closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
import stats_fixture as fx
from waiting import eventually
from workflow_client import assignment, bearer, place_report

from aduan.infra.messaging import Publisher
from services.routing.sweep import Sweep

pytestmark = pytest.mark.stack


@pytest.fixture()
def sweep(db, settings):
    passes = Sweep(db, Publisher(settings))
    yield passes
    passes.publisher.close()


def test_the_running_sweep_emits_a_forward_breach_once(db, tap):
    due = datetime.now(UTC) - timedelta(minutes=5)
    report = place_report(db, "verified", forward_due_at=due)
    [event] = tap.wait(report["_id"], "report.sla_breached")
    assert event == {**event, "report_id": report["_id"], "code": report["code"],
                     "city": "padang", "agency": None, "kind": "forward",
                     "escalate_to": [{"role": "leader", "agency": None}]}
    assert datetime.fromisoformat(event["due_at"]) == due.replace(microsecond=due.microsecond
                                                                  // 1000 * 1000)
    _later_sweep_passes(db, tap)
    assert len(tap.events(report["_id"], "report.sla_breached")) == 1
    stored = db.reports.find_one({"_id": report["_id"]})
    assert [b["kind"] for b in stored["sla_breaches"]] == ["forward"]
    assert stored["outbox"] == []


def _later_sweep_passes(db, tap) -> None:
    """Returns once the running sweep has made at least one whole pass after the ones already
    seen: late sentinel reports placed one after another, each breach awaited before the
    next is placed. The third one's pass started after the second's finished, which started
    after the first one's was under way."""
    # Placed in the database: only a report whose forwarding deadline has already passed makes
    # the sweep act now, and one filed through the API gets a deadline working days away; no
    # API removes a report, so the sentinels are removed the same way.
    placed = []
    for _ in range(3):
        sentinel = place_report(db, "verified",
                                forward_due_at=datetime.now(UTC) - timedelta(minutes=5))
        placed.append(sentinel["_id"])
        tap.wait(sentinel["_id"], "report.sla_breached")
    db.reports.delete_many({"_id": {"$in": placed}})


def test_a_late_agency_breaches_once_and_escalates_to_its_head(db, settings, sweep, tap):
    now = datetime.now(UTC)
    later = now + timedelta(days=30)  # a pass run "in the future": deadlines below have passed
    report = place_report(db, "forwarded", agencies=[
        assignment("DLH", "forwarded", due_at=now + timedelta(days=7)),
        assignment("PUPR", "accepted", due_at=None),
        assignment("DISHUB", "handed_back", due_at=now + timedelta(days=7)),
    ])
    first = sweep.once(later)
    assert first["follow_up"] >= 1
    second = sweep.once(later)
    assert second["follow_up"] == 0 and second["forward"] == 0
    [event] = tap.wait(report["_id"], "report.sla_breached")
    assert event["kind"] == "follow_up" and event["agency"] == "DLH"
    assert event["escalate_to"] == [{"role": "head_of_agency", "agency": "DLH"},
                                    {"role": "leader", "agency": None}]
    tap.caught_up(sweep.publisher)
    assert len(tap.events(report["_id"], "report.sla_breached")) == 1
    breaches = db.reports.find_one({"_id": report["_id"]})["sla_breaches"]
    assert [(b["kind"], b["agency"]) for b in breaches] == [("follow_up", "DLH")]
    view = requests.get(f"http://127.0.0.1:{_routing_port()}/reports/{report['code']}/workflow",
                        headers=bearer(settings, "leader"), timeout=10).json()
    assert view["sla_breaches"][0]["escalate_to"][0]["role"] == "head_of_agency"


def _routing_port() -> int:
    import os

    return int(os.environ["ADUAN_ROUTING_URL"].rsplit(":", 1)[1])


def test_an_agency_that_answered_in_time_never_breaches(db, sweep, tap):
    now = datetime.now(UTC)
    report = place_report(db, "accepted", agencies=[
        assignment("DLH", "accepted", due_at=None, responded_at=now)])
    sweep.once(now + timedelta(days=30))
    tap.caught_up(sweep.publisher)
    assert tap.events(report["_id"], "report.sla_breached") == []


def test_resolved_reports_close_themselves_when_the_reporter_stays_silent(db, tap):
    past = datetime.now(UTC) - timedelta(minutes=1)
    silent = place_report(db, "resolved", agencies=[assignment("DLH", "resolved")],
                          auto_close_at=past)
    referred = place_report(db, "referred", auto_close_at=past)
    waiting = place_report(db, "resolved", agencies=[assignment("DLH", "resolved")],
                           auto_close_at=datetime.now(UTC) + timedelta(days=10))
    eventually(lambda: [db.reports.find_one({"_id": r["_id"]})["status"]
                        for r in (silent, referred)] == ["closed", "closed"],
               10, "both reports closed by the sweep")
    closed = db.reports.find_one({"_id": silent["_id"]})
    assert closed["status"] == "closed"
    assert closed["history"][-1]["action"] == "auto_close"
    assert closed["history"][-1]["actor"]["kind"] == "system"
    assert db.reports.find_one({"_id": referred["_id"]})["status"] == "closed"
    assert db.reports.find_one({"_id": waiting["_id"]})["status"] == "resolved"
    assert len(tap.wait(silent["_id"], "report.status_changed")) == 1


def test_stats_on_the_known_fixture_through_the_gateway(api, db, settings):
    db.reports.delete_many({"_id": {"$in": [r["_id"] for r in fx.reports()]}})
    db.reports.insert_many(fx.reports())
    leader = bearer(settings, "leader", city=fx.CITY)
    query = "from=2025-02-01&to=2025-02-28&period=week"
    result = requests.get(f"{api}/stats?{query}", headers=leader, timeout=10)
    assert result.status_code == 200, result.text
    figures = result.json()
    for key, expected in fx.EXPECTED_COUNTS.items():
        assert figures[key] == expected, key
    assert figures["by_period"] == fx.EXPECTED_WEEKS
    assert figures["agencies"] == fx.EXPECTED_AGENCIES
    # The forward clock of D is still running today too, far past its deadline: missed now.
    assert figures["sla"]["follow_up"] == fx.EXPECTED_SLA["follow_up"]
    assert figures["sla"]["forward"] == {"met": 1, "missed": 2, "pending": 0,
                                         "compliance_pct": 33.3}
    csv = requests.get(f"{api}/stats.csv?{query}", headers=leader, timeout=10)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    assert csv.text.splitlines()[1] == "DLH,2,74.0,146.0,4.0,4.0,24.0,24.0,1,1,0,50.0"
    counts = requests.get(f"{api}/stats.csv?{query}&table=counts", headers=leader, timeout=10)
    assert "category,waste,3" in counts.text.splitlines()
    # Outside the range, other cities: nothing of the fixture.
    march = requests.get(f"{api}/stats?from=2025-03-01&to=2025-03-31", headers=leader,
                         timeout=10).json()
    assert march["total"] == 0
    depok = requests.get(f"{api}/stats?{query}", headers=bearer(settings, "leader", city="depok"),
                         timeout=10).json()
    assert depok["total"] == 0


def test_stats_access_and_bad_queries(api, settings):
    assert requests.get(f"{api}/stats", timeout=10).status_code == 401
    officer = requests.get(f"{api}/stats", headers=bearer(settings, "officer", agency="DLH"),
                           timeout=10)
    assert officer.status_code == 403
    operator = bearer(settings, "operator")
    assert requests.get(f"{api}/stats", headers=operator, timeout=10).status_code == 200
    for query, code in (("from=2025-13-01", "invalid_date"),
                        ("from=2025-03-02&to=2025-03-01", "invalid_range"),
                        ("from=2015-01-01&to=2025-01-01", "invalid_range"),
                        ("period=year", "invalid_period")):
        response = requests.get(f"{api}/stats?{query}", headers=operator, timeout=10)
        assert response.status_code == 422 and response.json()["error"]["code"] == code, query
    table = requests.get(f"{api}/stats.csv?table=x", headers=operator, timeout=10)
    assert table.status_code == 422


def test_breaches_are_counted_in_the_routing_metrics(stack, db, tap):
    report = place_report(db, "needs_review",
                          forward_due_at=datetime.now(UTC) - timedelta(minutes=1))
    tap.wait(report["_id"], "report.sla_breached")
    port = stack.profile.http_ports["routing"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'aduan_sla_breaches_total{kind="forward"}' in text
