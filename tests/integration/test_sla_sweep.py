"""The SLA sweep: each breach emitted once with its escalation, and auto-closing.

Reports are brought to their status through the gateway (`workflow_client.bring_to`). A
deadline, though, passes only with time: routing sets one working days away, auto-closing
days away. Where the running sweep must find a deadline already passed, the test moves that
one deadline of an API-made report into the past (`_as_if_time_passed`), as if the days had
gone by; a pass run by the test itself is told a later time instead (`sweep.once(later)`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
import stats_fixture as fx
from waiting import eventually
from workflow_client import act, bearer, bring_to

from aduan.infra.messaging import Publisher
from services.routing.sweep import Sweep

pytestmark = pytest.mark.stack


@pytest.fixture()
def sweep(db, settings):
    passes = Sweep(db, Publisher(settings))
    yield passes
    passes.publisher.close()


def _as_if_time_passed(db, report: dict, deadline: str, when: datetime) -> None:
    """The one write a test makes on a report: `deadline` (forward_due_at, auto_close_at) moved
    to `when`. The API cannot do it: only time makes a deadline pass, and a test does not wait
    days for it."""
    moved = db.reports.update_one({"_id": report["_id"]}, {"$set": {deadline: when}})
    assert moved.matched_count == 1


def test_the_running_sweep_emits_a_forward_breach_once(api, db, settings, tap):
    due = datetime.now(UTC) - timedelta(minutes=5)
    report = bring_to(api, settings, "verified")  # no routing rule: waits for an operator
    _as_if_time_passed(db, report, "forward_due_at", due)
    [event] = tap.wait(report["_id"], "report.sla_breached")
    assert event == {**event, "report_id": report["_id"], "code": report["code"],
                     "city": "padang", "agency": None, "kind": "forward",
                     "escalate_to": [{"role": "leader", "agency": None}]}
    assert datetime.fromisoformat(event["due_at"]) == due.replace(microsecond=due.microsecond
                                                                  // 1000 * 1000)
    _later_sweep_passes(api, db, settings, tap)
    assert len(tap.events(report["_id"], "report.sla_breached")) == 1
    stored = db.reports.find_one({"_id": report["_id"]})
    assert [b["kind"] for b in stored["sla_breaches"]] == ["forward"]
    assert stored["outbox"] == []


def _later_sweep_passes(api, db, settings, tap) -> None:
    """Returns once the running sweep has made at least one whole pass after the ones already
    seen: sentinel reports made late one after another, each breach awaited before the next
    is made late. The third one's pass started after the second's finished, which started
    after the first one's was under way."""
    sentinels = [bring_to(api, settings, "verified") for _ in range(3)]
    for sentinel in sentinels:
        _as_if_time_passed(db, sentinel, "forward_due_at",
                           datetime.now(UTC) - timedelta(minutes=5))
        tap.wait(sentinel["_id"], "report.sla_breached")
    # No API removes a report: the sentinels, late and breached, would otherwise stay in every
    # overdue list and figure of the tests that follow.
    db.reports.delete_many({"_id": {"$in": [s["_id"] for s in sentinels]}})


def test_a_late_agency_breaches_once_and_escalates_to_its_head(api, db, settings, sweep,
                                                                 tap):
    later = datetime.now(UTC) + timedelta(days=30)  # a pass run "in the future": the agencies'
    # follow-up deadlines, working days away, have passed by then.
    # Sent to three agencies: DLH does not answer, PUPR accepts, DISHUB hands it back.
    report = bring_to(api, settings, "verified")
    operator = bearer(settings, "operator")
    for agency, action, body in ((None, "forward", {"agencies": ["DLH", "PUPR", "DISHUB"]}),
                                 ("PUPR", "accept", {}),
                                 ("DISHUB", "hand_back", {"note": "Bukan kewenangan kami"})):
        headers = operator if agency is None else bearer(settings, "officer", agency=agency)
        done = act(api, report["code"], action, headers, body)
        assert done.status_code == 200, done.text
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


def test_an_agency_that_answered_in_time_never_breaches(api, settings, sweep, tap):
    report = bring_to(api, settings, "accepted")  # "waste": routed to DLH, which accepts
    sweep.once(datetime.now(UTC) + timedelta(days=30))
    tap.caught_up(sweep.publisher)
    assert tap.events(report["_id"], "report.sla_breached") == []


def test_resolved_reports_close_themselves_when_the_reporter_stays_silent(api, db, settings,
                                                                         tap):
    silent = bring_to(api, settings, "resolved")
    referred = bring_to(api, settings, "referred")  # "water": referred to PDAM
    waiting = bring_to(api, settings, "resolved")  # its reporter has days left to answer
    past = datetime.now(UTC) - timedelta(minutes=1)
    for late in (silent, referred):
        _as_if_time_passed(db, late, "auto_close_at", past)
    eventually(lambda: [db.reports.find_one({"_id": r["_id"]})["status"]
                        for r in (silent, referred)] == ["closed", "closed"],
               10, "both reports closed by the sweep")
    closed = db.reports.find_one({"_id": silent["_id"]})
    assert closed["status"] == "closed"
    assert closed["history"][-1]["action"] == "auto_close"
    assert closed["history"][-1]["actor"]["kind"] == "system"
    assert db.reports.find_one({"_id": referred["_id"]})["status"] == "closed"
    assert db.reports.find_one({"_id": waiting["_id"]})["status"] == "resolved"
    # Closed once (its earlier changes, accepted to resolved, came through the gateway).
    changes = tap.wait(silent["_id"], "report.status_changed", count=4)
    assert [e["status"] for e in changes].count("closed") == 1


def test_stats_on_the_known_fixture_through_the_gateway(api, db, settings):
    # A known data set of February 2025 (tests/stats_fixture.py), written as it stands: its
    # figures are of durations and deadlines long past, which only time could make through
    # the API.
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


def test_breaches_are_counted_in_the_routing_metrics(api, stack, db, settings, tap):
    report = bring_to(api, settings, "needs_review")  # a stale photo waits for review
    _as_if_time_passed(db, report, "forward_due_at", datetime.now(UTC) - timedelta(minutes=1))
    tap.wait(report["_id"], "report.sla_breached")
    port = stack.profile.http_ports["routing"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'aduan_sla_breaches_total{kind="forward"}' in text
