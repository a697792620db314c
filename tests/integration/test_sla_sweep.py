"""The SLA sweep: each breach emitted once with its escalation, postponed reports returned to
the operators on their day, and auto-closing; the clocks it watches (a follow-up ends only at
an answer the reporter reads) and escalations by hand, read in the escalations inbox.

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
from workflow_client import act, bearer, bring_to, workflow

from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Publisher
from services.routing.sweep import Sweep

pytestmark = pytest.mark.stack


@pytest.fixture()
def sweep(db, settings):
    passes = Sweep(db, Publisher(settings), Deadlines.from_settings(settings))
    yield passes
    passes.publisher.close()


def _as_if_time_passed(db, report: dict, deadline: str, when: datetime) -> None:
    """The one write a test makes on a report: `deadline` (forward_due_at, auto_close_at,
    postponed_until, an assignment's agencies.<i>.resolution_due_at) moved to `when`. The API
    cannot do it: only time makes a deadline pass, and a test does not wait days for it."""
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
    # Sent to three agencies: DLH does not answer, PUPR accepts answering the reporter,
    # DISHUB hands it back.
    report = bring_to(api, settings, "verified")
    operator = bearer(settings, "operator")
    for agency, action, body in ((None, "forward", {"agencies": ["DLH", "PUPR", "DISHUB"]}),
                                 ("PUPR", "accept", {"public_response": "Segera kami tangani."}),
                                 ("DISHUB", "hand_back", {"note": "Bukan kewenangan kami"})):
        headers = operator if agency is None else bearer(settings, "agency_admin",
                                                          agency=agency)
        done = act(api, report["code"], action, headers, body)
        assert done.status_code == 200, done.text
    first = sweep.once(later)
    assert first["follow_up"] >= 1
    second = sweep.once(later)
    assert second["follow_up"] == second["forward"] == second["resolution"] == 0
    tap.caught_up(sweep.publisher)
    events = tap.events(report["_id"], "report.sla_breached")
    # By then DLH and PUPR have both missed their resolution target too; PUPR answered.
    assert sorted((e["kind"], e["agency"]) for e in events) == [
        ("follow_up", "DLH"), ("resolution", "DLH"), ("resolution", "PUPR")]
    [event] = [e for e in events if e["kind"] == "follow_up"]
    assert event["escalate_to"] == [{"role": "agency_head", "agency": "DLH"},
                                    {"role": "leader", "agency": None}]
    breaches = db.reports.find_one({"_id": report["_id"]})["sla_breaches"]
    assert sorted((b["kind"], b["agency"]) for b in breaches) == [
        ("follow_up", "DLH"), ("resolution", "DLH"), ("resolution", "PUPR")]
    view = requests.get(f"http://127.0.0.1:{_routing_port()}/reports/{report['code']}/workflow",
                        headers=bearer(settings, "leader"), timeout=10).json()
    assert view["sla_breaches"][0]["escalate_to"][0]["role"] == "agency_head"


def _routing_port() -> int:
    import os

    return int(os.environ["ADUAN_ROUTING_URL"].rsplit(":", 1)[1])


def test_a_bare_accept_keeps_the_follow_up_clock_an_answer_stops_it(api, settings, sweep, tap):
    # Three "waste" reports routed to DLH, which accepts each: bare, with an answer to the
    # reporter, and bare followed by a comment of its staff (which the reporter reads).
    dlh = bearer(settings, "agency_admin", agency="DLH")
    bare = bring_to(api, settings, "accepted")
    answered, commented = (bring_to(api, settings, "forwarded") for _ in range(2))
    done = act(api, answered["code"], "accept", dlh,
               {"public_response": "Petugas kami jadwalkan besok."})
    assert done.status_code == 200, done.text
    assert act(api, commented["code"], "accept", dlh).status_code == 200
    posted = requests.post(f"{api}/reports/{commented['code']}/comments", headers=dlh,
                           json={"text": "Sudah kami jadwalkan besok pagi."}, timeout=10)
    assert posted.status_code == 201, posted.text
    operator = bearer(settings, "operator")
    [running] = workflow(api, bare["code"], operator)["agencies"]
    assert running["due_at"] is not None and running["responded_at"] is None
    inbox = requests.get(f"{api}/inbox", headers=dlh, timeout=10).json()["reports"]
    [row] = [r for r in inbox if r["code"] == bare["code"]]
    assert (row["due_at"], row["resolution_due_at"]) == (running["due_at"],
                                                         running["resolution_due_at"])
    for stopped in (answered, commented):
        [mine] = workflow(api, stopped["code"], operator)["agencies"]
        assert mine["due_at"] is None and mine["responded_at"] is not None, mine
        assert mine["resolution_due_at"] is not None  # the resolution target still runs
    # A pass once the follow-up deadline has passed: only the bare accept is late.
    sweep.once(datetime.fromisoformat(running["due_at"]) + timedelta(minutes=1))
    tap.caught_up(sweep.publisher)
    follow_ups = {name: [e for e in tap.events(r["_id"], "report.sla_breached")
                         if e["kind"] == "follow_up"]
                  for name, r in (("bare", bare), ("answered", answered),
                                  ("commented", commented))}
    assert [e["agency"] for e in follow_ups["bare"]] == ["DLH"]
    assert follow_ups["answered"] == follow_ups["commented"] == []


def test_a_missed_resolution_target_escalates_once(api, db, settings, tap):
    report = bring_to(api, settings, "forwarded")  # "waste": routed to DLH
    done = act(api, report["code"], "accept", bearer(settings, "agency_admin", agency="DLH"),
               {"public_response": "Kami tangani minggu ini."})
    assert done.status_code == 200, done.text
    due = datetime.now(UTC) - timedelta(minutes=5)
    _as_if_time_passed(db, report, "agencies.0.resolution_due_at", due)
    [event] = tap.wait(report["_id"], "report.sla_breached")
    assert event == {**event, "kind": "resolution", "agency": "DLH",
                     "escalate_to": [{"role": "agency_head", "agency": "DLH"},
                                     {"role": "leader", "agency": None}]}
    _later_sweep_passes(api, db, settings, tap)
    assert len(tap.events(report["_id"], "report.sla_breached")) == 1
    view = workflow(api, report["code"], bearer(settings, "operator"))
    assert [(b["kind"], b["agency"]) for b in view["sla_breaches"]] == [("resolution", "DLH")]
    assert view["agencies"][0]["overdue"] is True


def test_a_postponed_report_comes_back_to_the_operators_on_its_day(api, db, settings, tap):
    operator = bearer(settings, "operator")
    report = bring_to(api, settings, "verified")
    too_far = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    for until, code in ((too_far, "postpone_too_long"), (past, "postpone_not_in_future")):
        refused = act(api, report["code"], "postpone", operator, {"note": "n", "until": until})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    missing = act(api, report["code"], "postpone", operator, {"note": "n"})
    assert missing.status_code == 422
    until = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    view = act(api, report["code"], "postpone", operator,
               {"note": "Menunggu anggaran", "until": until}).json()
    day_before = (datetime.fromisoformat(until) - timedelta(days=1)).date().isoformat()
    assert view["status"] == "postponed"
    assert view["postponed_until"] == f"{day_before}T17:00:00+00:00"  # 00:00 in Padang (WIB)
    queued = requests.get(f"{api}/queue", headers=operator, timeout=10).json()["reports"]
    [row] = [r for r in queued if r["code"] == report["code"]]
    assert row["postponed_until"] == view["postponed_until"]
    _as_if_time_passed(db, report, "postponed_until", datetime.now(UTC) - timedelta(minutes=1))
    [event] = tap.wait(report["_id"], "report.returned")
    assert (event["from"], event["status"]) == ("postponed", "verified")
    view = workflow(api, report["code"], operator)
    assert (view["status"], view["triage"], view["postponed_until"]) == ("verified", True, None)
    assert view["history"][-1]["action"] == "resume" and view["forward_due_at"]
    # Back in the operators' queue, and routing left it there: no verified or forwarded event.
    queue = requests.get(f"{api}/queue", headers=operator, timeout=10).json()["reports"]
    assert report["code"] in [r["code"] for r in queue]
    _later_sweep_passes(api, db, settings, tap)
    assert len(tap.events(report["_id"], "report.returned")) == 1
    assert tap.events(report["_id"], "report.forwarded") == []
    assert workflow(api, report["code"], operator)["status"] == "verified"


def test_an_escalation_reaches_the_heads_escalations_inbox(api, settings, tap):
    report = bring_to(api, settings, "accepted")  # "waste": DLH holds it
    operator = bearer(settings, "operator")
    admin = bearer(settings, "agency_admin", agency="DLH", user="admin-dlh")
    for who, body, status, code in (
            (bearer(settings, "officer", agency="DLH"), {"note": "n"}, 403, "not_your_action"),
            (bearer(settings, "agency_admin", agency="PUPR"), {"note": "n"}, 404,
             "report_not_found"),
            (operator, {}, 422, None), (operator, {"note": "n", "agency": "PUPR"}, 422,
                                        "unknown_agency")):
        refused = act(api, report["code"], "escalate", who, body)
        assert refused.status_code == status, refused.text
        assert code is None or refused.json()["error"]["code"] == code
    head = bearer(settings, "agency_head", agency="DLH")
    assert act(api, report["code"], "escalate", head, {"note": "n"}).status_code == 403
    view = act(api, report["code"], "escalate", operator,
               {"note": "Tiga minggu belum ada kabar."})
    assert view.status_code == 200, view.text
    assert view.json()["status"] == "accepted"  # no status change
    view = act(api, report["code"], "escalate", admin, {"note": "Butuh alat berat."}).json()
    assert [(e["agency"], e["by"]["role"]) for e in view["escalations"]] == [
        ("DLH", "operator"), ("DLH", "agency_admin")]
    events = tap.wait(report["_id"], "report.escalated", count=2)
    assert [(e["agency"], e["note"], e["by_role"]) for e in events] == [
        ("DLH", "Tiga minggu belum ada kabar.", "operator"),
        ("DLH", "Butuh alat berat.", "agency_admin")]
    assert "escalate" in [a["name"] for a in view["actions"]]

    def inbox(headers: dict) -> list[dict]:
        response = requests.get(f"{api}/escalations", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return [row for row in response.json()["escalations"] if row["code"] == report["code"]]

    rows = inbox(head)
    assert [(r["agency"], r["note"], r["by"]["role"]) for r in rows] == [
        ("DLH", "Butuh alat berat.", "agency_admin"),
        ("DLH", "Tiga minggu belum ada kabar.", "operator")]  # newest first
    assert rows[0]["status"] == "accepted" and rows[0]["agency_name"]
    assert inbox(bearer(settings, "agency_head", agency="PUPR")) == []
    assert len(inbox(bearer(settings, "leader"))) == len(inbox(operator)) == 2
    assert inbox(bearer(settings, "leader", city="depok")) == []
    for role, agency in (("officer", "DLH"), ("agency_admin", "DLH")):
        response = requests.get(f"{api}/escalations", timeout=10,
                                headers=bearer(settings, role, agency=agency))
        assert response.status_code == 403


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
    # Per agency: forward, first response, follow-up (an answer the reporter read), resolve.
    assert csv.text.splitlines()[1] == "DLH,2,74.0,146.0,4.0,4.0,4.0,4.0,24.0,24.0,1,1,0,50.0"
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
