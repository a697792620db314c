"""Every action refused with 409 in every status it may not start from, changing nothing; two
people acting at once: exactly one wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from stack_client import submit, wait_for_status
from workflow_client import act, assignment, bearer, place_report, reporter

from aduan.domain.lifecycle import ACTIONS, AGENCY, STATUSES, Actor

pytestmark = pytest.mark.stack

# The assignment DLH holds in each report status, so that agency actions meet a plausible report.
SUB_STATUS = {"forwarded": "forwarded", "accepted": "accepted", "in_progress": "in_progress",
              "resolved": "resolved", "reopened": "accepted", "closed": "resolved"}
BODIES = {
    "verify": {}, "reject": {"note": "n"}, "postpone": {"note": "n"},
    "forward": {"agencies": ["DLH"]},
    "reroute": {"agencies": ["PUPR"], "note": "n"}, "duplicate": {"of": "PDG-2099-000000001"},
    "archive": {"note": "n"}, "accept": {}, "start": {}, "resolve": {"note": "n"},
    "hand_back": {"note": "n"}, "confirm": {}, "reopen": {"note": "n"}, "rate": {"score": 4},
}
CASES = [(action, status) for action in BODIES for status in STATUSES
         if status not in ACTIONS[action].starts]


@pytest.fixture(scope="module")
def original(db):
    return place_report(db, "verified")


@pytest.mark.parametrize("action, status", CASES)
def test_an_action_from_a_status_it_may_not_start_from_is_refused(
        api, db, settings, original, action, status):
    # Where no agency would hold the report, DLH holds it anyway: one withdrawn or that handed
    # it back cannot reach it at all (404, tests/security/test_withdrawn_agency.py),
    # and what must refuse the action here is the state machine.
    sub = SUB_STATUS.get(status, "forwarded")
    report = place_report(db, status, agencies=[assignment("DLH", sub)], version=7)
    if action in ("confirm", "reopen", "rate"):
        headers = reporter(settings, report["_id"])
    elif ACTIONS[action].by == AGENCY:
        headers = bearer(settings, "officer", agency="DLH")
    else:
        headers = bearer(settings, "operator")
    body = {**BODIES[action]}
    if action == "duplicate":
        body["of"] = original["code"]
    photo = fresh_padang_photo() if action == "resolve" else None
    response = act(api, report["code"], action, headers, body, photo=photo)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["status"] == status and error["details"]["action"] == action
    after = db.reports.find_one({"_id": report["_id"]})
    assert after["status"] == status and after["version"] == 7
    assert len(after["history"]) == 1 and after["outbox"] == []
    assert "rating" not in after


@pytest.mark.parametrize("action, sub_status", [
    ("accept", "accepted"), ("start", "forwarded"), ("resolve", "forwarded"),
    ("resolve", "accepted"), ("start", "in_progress"),
])
def test_an_agency_cannot_skip_its_own_steps(api, db, settings, action, sub_status):
    status = {"forwarded": "forwarded", "accepted": "accepted", "in_progress": "in_progress"}
    report = place_report(db, status[sub_status], agencies=[assignment("DLH", sub_status)])
    photo = fresh_padang_photo() if action == "resolve" else None
    response = act(api, report["code"], action, bearer(settings, "officer", agency="DLH"),
                   {"note": "n"} if action == "resolve" else {}, photo=photo)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["assignment_status"] == sub_status


def test_no_evidence_object_is_left_behind_by_a_refused_resolve(api, db, settings, store):
    report = place_report(db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    response = act(api, report["code"], "resolve", bearer(settings, "officer", agency="DLH"),
                   {"note": "n"}, photo=fresh_padang_photo())
    assert response.status_code == 409
    assert store.keys(store.public_bucket, f"padang/{report['_id']}/") == []


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
    report = place_report(db, "verified")
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


def test_a_write_based_on_a_stale_read_matches_nothing(db, settings):
    from aduan.domain.lifecycle import plan_archive, plan_send
    from aduan.infra.calendar import WorkCalendar
    from aduan.infra.deadlines import Deadlines
    from aduan.infra.messaging import Publisher
    from aduan.infra.reports import Reports

    reports = Reports(db, Publisher(settings))
    stale = place_report(db, "verified")
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
    report = place_report(db, "forwarded", agencies=[assignment("PUPR", "forwarded"),
                                                     assignment("DLH", "forwarded")])
    results = _race([
        lambda: act(api, report["code"], "accept", bearer(settings, "officer", agency="PUPR")),
        lambda: act(api, report["code"], "accept", bearer(settings, "officer", agency="DLH")),
    ])
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    stored = db.reports.find_one({"_id": report["_id"]})
    assert stored["status"] == "accepted"
    assert [a["status"] for a in stored["agencies"]] == ["accepted", "accepted"]
    assert len(stored["history"]) == 3


def test_the_reject_action_withdraws_the_public_copies_as_the_verdict_does(api, db, settings,
                                                                          store):
    # One decision, one set of effects, whichever door an operator uses (/verdict is proved in
    # tests/integration/test_verification.py): a three-day-old photo waits for review.
    lat, lon = INSIDE["padang"]
    photo = camera_photo(lat, lon, datetime.now(WIB) - timedelta(days=3))
    response = submit(api, photo, {"city": "padang", "category": "other",
                                   "description": "Lampu jalan mati sejak tiga hari lalu",
                                   "location": {"lat": lat, "lon": lon}})
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], {"needs_review"}, token=receipt["token"])
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
