"""Every action refused with 409 in every status it may not start from, changing nothing; two
people acting at once: exactly one wins. Every report is brought to its status through the
gateway, as people bring it there (`workflow_client.bring_to`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from photo_factory import fresh_padang_photo
from waiting import eventually
from workflow_client import act, bearer, bring_to, reporter

from aduan.domain.lifecycle import ACTIONS, AGENCY, STATUSES, Actor

pytestmark = pytest.mark.stack

BODIES = {
    "verify": {}, "reject": {"note": "n"}, "postpone": {"note": "n", "until": "2099-01-01"},
    "forward": {"agencies": ["DLH"]},
    "reroute": {"agencies": ["PUPR"], "note": "n"}, "duplicate": {"of": "PDG-2099-000000001"},
    "archive": {"note": "n"}, "accept": {}, "start": {}, "resolve": {"note": "n"},
    "hand_back": {"note": "n"}, "confirm": {}, "reopen": {"note": "n"}, "rate": {"score": 4},
    "escalate": {"note": "n"},
}
# Statuses no one can hold a report in through the API: `verifying` is passed through in the
# write that judges the photo, `submitted` lasts until the photo checks pick the report up.
# The state machine's refusals from them are proved over the workflow layer in
# tests/unit/test_workflow_refusals.py.
PASSING = {"submitted", "verifying"}
# Statuses in which DLH holds the report (routed there as "waste"). In the others no agency
# does, and an agency is answered 404 before the state machine is asked
# (tests/security/test_withdrawn_agency.py); the state machine's refusal of agency actions
# there is proved in tests/unit/test_workflow_refusals.py.
HELD = {"forwarded", "accepted", "in_progress", "resolved", "reopened", "closed"}
CASES = [(action, status) for action in BODIES for status in STATUSES
         if status not in ACTIONS[action].starts and status not in PASSING
         and (ACTIONS[action].by != AGENCY or status in HELD)]


@pytest.fixture(scope="module")
def reports(api, settings, db):
    """One report in each status, brought there through the gateway when first asked for and
    shared: every action below is refused and changes nothing."""
    made: dict[str, dict] = {}

    def in_status(status: str) -> dict:
        if status not in made:
            report = bring_to(api, settings, status)
            # The events of its last step published and pulled from its outbox.
            eventually(lambda: db.reports.find_one({"_id": report["_id"]})["outbox"] == [], 10,
                       f"{report['code']}'s outbox emptied")
            made[status] = report
        return made[status]

    return in_status


@pytest.mark.parametrize("action, status", CASES)
def test_an_action_from_a_status_it_may_not_start_from_is_refused(
        api, db, settings, reports, action, status):
    report = reports(status)
    if action in ("confirm", "reopen", "rate"):
        headers = reporter(settings, report["_id"])
    elif ACTIONS[action].by == AGENCY:
        headers = bearer(settings, "agency_admin", agency="DLH")
    else:
        headers = bearer(settings, "operator")
    body = {**BODIES[action]}
    if action == "duplicate":
        body["of"] = reports("verified")["code"]
    photo = fresh_padang_photo() if action == "resolve" else None
    before = db.reports.find_one({"_id": report["_id"]})
    response = act(api, report["code"], action, headers, body, photo=photo)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["status"] == status and error["details"]["action"] == action
    after = db.reports.find_one({"_id": report["_id"]})
    assert after["status"] == status and after["version"] == before["version"]
    assert len(after["history"]) == len(before["history"]) and after["outbox"] == []
    assert "rating" not in after


@pytest.mark.parametrize("action, sub_status", [
    ("accept", "accepted"), ("start", "forwarded"), ("resolve", "forwarded"),
    ("resolve", "accepted"), ("start", "in_progress"),
])
def test_an_agency_cannot_skip_its_own_steps(api, settings, reports, action, sub_status):
    report = reports(sub_status)  # DLH's assignment is in the report's own status
    photo = fresh_padang_photo() if action == "resolve" else None
    response = act(api, report["code"], action, bearer(settings, "agency_admin", agency="DLH"),
                   {"note": "n"} if action == "resolve" else {}, photo=photo)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["assignment_status"] == sub_status


def test_no_evidence_object_is_left_behind_by_a_refused_resolve(api, settings, store, reports):
    report = reports("forwarded")
    response = act(api, report["code"], "resolve", bearer(settings, "agency_admin", agency="DLH"),
                   {"note": "n"}, photo=fresh_padang_photo())
    assert response.status_code == 409
    # (The report's own photo has its public copies under padang/<id>/: evidence has its own.)
    assert store.keys(store.public_bucket, f"padang/{report['_id']}/evidence/") == []


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_two_operators_forwarding_at_once_exactly_one_wins(api, db, settings, attempt):
    report = bring_to(api, settings, "verified")
    first, second = bearer(settings, "operator", user="op-1"), bearer(settings, "operator",
                                                                       user="op-2")
    results = _race([
        lambda: act(api, report["code"], "forward", first, {"agencies": ["DLH"]}),
        lambda: act(api, report["code"], "forward", second, {"agencies": ["PUPR"]}),
    ])
    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409).json()["error"]
    assert loser["code"] in ("concurrent_update", "illegal_transition")
    stored = db.reports.find_one({"_id": report["_id"]})
    forwards = [h for h in stored["history"] if h.get("action") == "forward"]
    assert len(forwards) == 1 and len(stored["agencies"]) == 1
    winner = next(r for r in results if r.status_code == 200).json()
    assert stored["agencies"][0]["code"] == winner["agencies"][0]["code"]


def test_a_write_based_on_a_stale_read_matches_nothing(api, db, settings):
    from aduan.domain.lifecycle import plan_archive, plan_send
    from aduan.infra.calendar import WorkCalendar
    from aduan.infra.deadlines import Deadlines
    from aduan.infra.messaging import Publisher
    from aduan.infra.reports import Reports

    reports = Reports(db, Publisher(settings))
    # A report waiting in the operators' queue, as an operator would have read it.
    stale = db.reports.find_one({"_id": bring_to(api, settings, "verified")["_id"]})
    now = datetime.now(UTC)
    operator = Actor(kind="staff", id="op", role="operator")
    dlh = list(db.agencies.find({"city": "padang", "code": "DLH"}))
    plan = plan_send(stale, dlh, now, action="forward", note=None,
                     deadlines=Deadlines(settings, WorkCalendar()), category=None)
    assert reports.commit(stale, plan, operator, now, None) is not None
    again = plan_archive({**stale}, now, "n")  # planned on the stale copy: still valid
    assert reports.commit(stale, again, operator, now, None) is None
    assert db.reports.find_one({"_id": stale["_id"]})["status"] == "forwarded"
    reports.publisher.close()


def test_two_agencies_accepting_at_once_both_succeed(api, db, settings):
    # An operator forwards a report without a routing rule to both agencies.
    report = bring_to(api, settings, "verified")
    forwarded = act(api, report["code"], "forward", bearer(settings, "operator"),
                    {"agencies": ["PUPR", "DLH"]})
    assert forwarded.status_code == 200, forwarded.text
    before = db.reports.find_one({"_id": report["_id"]})
    results = _race([
        lambda: act(api, report["code"], "accept", bearer(settings, "agency_admin", agency="PUPR")),
        lambda: act(api, report["code"], "accept", bearer(settings, "agency_admin", agency="DLH")),
    ])
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    stored = db.reports.find_one({"_id": report["_id"]})
    assert stored["status"] == "accepted"
    assert [a["status"] for a in stored["agencies"]] == ["accepted", "accepted"]
    assert len(stored["history"]) == len(before["history"]) + 2


def test_the_reject_action_withdraws_the_public_copies_as_the_verdict_does(api, db, settings,
                                                                          store):
    # One decision, one set of effects, whichever door an operator uses (/verdict is proved in
    # tests/integration/test_verification.py): a three-day-old photo waits for review.
    receipt = bring_to(api, settings, "needs_review")
    public_key = db.reports.find_one({"code": receipt["code"]})["photos"][0]["public_key"]
    assert store.exists(store.public_bucket, public_key)
    operator = bearer(settings, "operator")
    rejected = act(api, receipt["code"], "reject", operator, {"note": "Foto dari internet"})
    assert rejected.status_code == 200, rejected.text
    stored = db.reports.find_one({"code": receipt["code"]})
    assert stored["status"] == "rejected" and "public_key" not in stored["photos"][0]
    assert stored["verification"]["override"]["from"] == "needs_review"
    assert not store.exists(store.public_bucket, public_key)
    # The verify action overturns the rejection, as the verdict does: the copies come back.
    verified = act(api, receipt["code"], "verify", operator, {"note": "Foto asli, terlambat"})
    assert verified.status_code == 200, verified.text
    stored = db.reports.find_one({"code": receipt["code"]})
    assert stored["verification"]["override"]["from"] == "rejected"
    assert store.exists(store.public_bucket, stored["photos"][0]["public_key"])
