"""The routing service over HTTP (services/routing/app.py), built from its settings and fakes:
the workflow view offers each caller the actions it may take now, actions answer with the
view or with the lifecycle's refusal in the one error format, and the queue, inbox and
catalogue read the same database."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from photo_factory import fresh_padang_photo
from routing_world import SETTINGS, assignment, place, routing_client, seeded_db, stored

from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import reporter_token
from aduan.web.auth import Principal, issue_access_token


@pytest.fixture
def db():
    return seeded_db()


@pytest.fixture
def client(db):
    return routing_client(db)


def staff(role: str, agency: str | None = None, city: str = "padang") -> dict[str, str]:
    principal = Principal(f"{role}-{agency or city}", role, city, agency)
    return {"Authorization": f"Bearer {issue_access_token(SETTINGS, principal)}"}


def reporter(report: dict[str, Any]) -> dict[str, str]:
    return {"X-Reporter-Token": reporter_token(reporter_token_keys(SETTINGS), report["_id"])}


def offered(client, report: dict[str, Any], headers: dict[str, str]) -> list[str]:
    response = client.get(f"/reports/{report['code']}/workflow", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [action["name"] for action in response.get_json()["actions"]]


def action(client, report: dict[str, Any], name: str, headers: dict[str, str],
           body: dict[str, Any] | None = None):
    return client.post(f"/reports/{report['code']}/actions/{name}", json=body or {},
                       headers=headers)


def error(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_the_view_offers_each_caller_what_it_may_do_now(client, db):
    waiting = place(db, "needs_review")
    assert offered(client, waiting, staff("operator")) == [
        "verify", "reject", "postpone", "forward", "duplicate", "archive"]
    assert offered(client, waiting, staff("leader")) == []
    held = place(db, "accepted", agencies=[assignment("DLH", "accepted")])
    assert offered(client, held, staff("agency_admin", "DLH")) == [
        "start", "hand_back", "dispatch", "escalate"]
    assert offered(client, held, staff("officer", "DLH")) == []  # dispatched to nobody
    done = place(db, "resolved", agencies=[assignment("DLH", "resolved")])
    assert offered(client, done, reporter(done)) == ["confirm", "reopen", "rate"]
    view = client.get(f"/reports/{done['code']}/workflow", headers=reporter(done)).get_json()
    assert "triage" not in view and "sla_breaches" not in view
    reject = client.get(f"/reports/{waiting['code']}/workflow",
                        headers=staff("operator")).get_json()["actions"][1]
    assert reject == {"name": "reject", "note": "required", "inputs": [], "final": True}


def test_an_action_answers_with_the_view_after_it(client, db):
    report = place(db, "verified")
    response = action(client, report, "forward", staff("operator"),
                      {"agencies": ["DLH"], "public_response": "Diteruskan"})
    assert response.status_code == 200, response.get_json()
    view = response.get_json()
    assert view["status"] == "forwarded" and view["agencies"][0]["code"] == "DLH"
    assert [a["name"] for a in view["actions"]] == ["reroute", "duplicate", "escalate"]
    assert view["history"][-1]["public_response"] == "Diteruskan"
    assert stored(db, report)["status"] == "forwarded"


def test_the_lifecycles_refusals_reach_the_client_in_the_one_error_format(client, db):
    operator = staff("operator")
    closed = place(db, "closed")
    refused = action(client, closed, "archive", operator, {"note": "n"})
    assert error(refused) == (409, "illegal_transition")
    assert refused.get_json()["error"]["details"]["status"] == "closed"
    assert refused.get_json()["request_id"]
    verified = place(db, "verified")
    assert error(action(client, verified, "forward", operator, {"agencies": ["NOPE"]})) == (
        422, "unknown_agency")
    assert error(action(client, verified, "reject", operator)) == (422, "validation_failed")
    assert error(action(client, verified, "fly", operator)) == (404, "unknown_action")
    assert error(action(client, verified, "accept", staff("agency_admin", "DLH"))) == (
        404, "report_not_found")  # an agency sees only what it holds
    assert error(action(client, verified, "forward", staff("leader"),
                        {"agencies": ["DLH"]}))[0] == 403
    assert stored(db, verified)["status"] == "verified"


def test_the_reporters_rating_is_taken_once(client, db):
    report = place(db, "closed")
    first = action(client, report, "rate", reporter(report), {"score": 5, "comment": "Cepat"})
    assert first.status_code == 200 and first.get_json()["rating"]["score"] == 5
    assert error(action(client, report, "rate", reporter(report), {"score": 1})) == (
        409, "already_rated")
    assert error(action(client, report, "rate", {}, {"score": 1})) == (
        401, "reporter_token_required")


def test_resolving_takes_evidence_photos(client, db):
    report = place(db, "in_progress", agencies=[assignment("DLH", "in_progress")])
    dlh = staff("agency_admin", "DLH")
    assert error(action(client, report, "resolve", dlh, {"note": "Selesai"})) == (
        422, "evidence_required")
    response = client.post(
        f"/reports/{report['code']}/actions/resolve", headers=dlh,
        data={"data": json.dumps({"note": "Selesai"}),
              "photo": (io.BytesIO(fresh_padang_photo()), "evidence.jpg", "image/jpeg")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    view = response.get_json()
    assert view["status"] == "resolved"
    [photo] = view["history"][-1]["photos"]
    assert photo["url"].startswith("https://aduan.example")


def test_the_queue_and_the_inbox(client, db):
    waiting = place(db, "needs_review")
    held = place(db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    queue = client.get("/queue", headers=staff("operator")).get_json()["reports"]
    assert [r["code"] for r in queue] == [waiting["code"]]
    inbox = client.get("/inbox", headers=staff("officer", "DLH")).get_json()
    assert [(r["code"], r["assignment_status"]) for r in inbox["reports"]] == [
        (held["code"], "forwarded")]
    assert client.get("/inbox", headers=staff("officer")).status_code == 403


def test_the_inbox_names_each_report_s_stage_in_its_city_s_own_view(client, db):
    held = place(db, "accepted", city="depok",
                 agencies=[assignment("DLHK", "accepted")])
    [row] = client.get("/inbox", headers=staff("agency_admin", "DLHK", "depok")
                       ).get_json()["reports"]
    assert row["code"] == held["code"]
    assert row["stage"] == "in_process"  # Sigap's, not Kiniko's "accepted"
    assert row["stages"]["city"] == "in_process" and row["stages"]["kiniko"] == "accepted"


def test_the_catalogue(client):
    categories = client.get("/categories").get_json()
    assert categories["city"] == "padang"
    assert "waste" in [c["code"] for c in categories["categories"]]
    agencies = client.get("/agencies?kind=vertical", headers=staff("operator")).get_json()
    assert {a["code"] for a in agencies["agencies"]} == {"PDAM", "PLN", "BPN", "POLRI",
                                                        "SP4N-LAPOR"}
    assert client.get("/agencies/NOPE", headers=staff("operator")).status_code == 404


def test_who_may_escalate_and_where_escalations_are_read(client, db):
    report = place(db, "accepted", agencies=[assignment("DLH", "accepted"),
                                             assignment("PUPR", "forwarded")])
    refused = action(client, report, "escalate", staff("officer", "DLH"), {"note": "n"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_your_action"
    assert action(client, report, "escalate", staff("agency_head", "DLH"),
                  {"note": "n"}).status_code == 403
    several = action(client, report, "escalate", staff("operator"), {"note": "n"})
    assert several.status_code == 422
    assert several.get_json()["error"]["code"] == "agency_required"
    for headers, body in ((staff("operator"), {"note": "Lama sekali", "agency": "PUPR"}),
                          (staff("agency_admin", "DLH"), {"note": "Perlu alat berat"})):
        done = action(client, report, "escalate", headers, body)
        assert done.status_code == 200, done.get_json()
    assert [e["agency"] for e in stored(db, report)["escalations"]] == ["PUPR", "DLH"]

    def listed(headers: dict[str, str]) -> list[tuple[str, str]]:
        response = client.get("/escalations", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [(row["agency"], row["note"]) for row in response.get_json()["escalations"]]

    assert listed(staff("agency_head", "DLH")) == [("DLH", "Perlu alat berat")]
    assert listed(staff("leader")) == listed(staff("operator")) == [
        ("DLH", "Perlu alat berat"), ("PUPR", "Lama sekali")]  # newest first
    assert listed(staff("leader", city="depok")) == []
    for role, agency in (("agency_admin", "DLH"), ("officer", "DLH"), ("sysadmin", None)):
        assert client.get("/escalations", headers=staff(role, agency)).status_code == 403


def test_postpone_needs_a_day(client, db):
    report = place(db, "verified")
    for body in ({"note": "n"}, {"note": "n", "until": "besok"}, {"note": "n", "until": 20261201}):
        assert action(client, report, "postpone", staff("operator"), body).status_code == 422
    assert stored(db, report)["status"] == "verified"
