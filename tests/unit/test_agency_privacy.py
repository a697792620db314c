"""An agency's own business on a report it holds with another agency: its field officers (names,
user ids), their evidence checks and the escalations to it. The workflow view shows them to the
agency's staff and to the city's staff outside agencies (operators, leaders, sysadmins), not
to the other agency's staff nor to the reporter; the officers' list of an agency answers like
its neighbours (404 `agency_not_found`, 403 `not_your_agency`). Routing over fakes."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from photo_factory import INSIDE, WIB, camera_photo
from routing_world import SETTINGS, assignment, place, routing_client, seeded_db

from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import reporter_token
from aduan.web.auth import Principal, issue_access_token


@pytest.fixture
def db():
    db = seeded_db()
    # The users the gateway keeps (its own door writes them; routing only reads them).
    db.users.insert_one({"_id": "ani", "username": "ani", "name": "Ani Petugas",
                         "role": "officer", "city": "padang", "agency": "DLH"})
    return db


@pytest.fixture
def client(db):
    return routing_client(db)


def staff(role: str, agency: str | None = None, user: str | None = None) -> dict[str, str]:
    principal = Principal(user or f"{role}-{agency or 'padang'}", role, "padang", agency)
    return {"Authorization": f"Bearer {issue_access_token(SETTINGS, principal)}"}


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def held(client, db) -> dict[str, Any]:
    """A report DLH and PUPR hold: DLH's admin dispatched Ani, who visited and resolved with a photo
    taken days ago far away (flagged); an operator escalated to each agency."""
    report = place(db, "forwarded", agencies=[assignment("DLH", "forwarded"),
                                              assignment("PUPR", "forwarded")])
    url = f"/reports/{report['code']}/actions"
    ok(client.post(f"{url}/dispatch", json={"officers": ["ani"]},
                   headers=staff("agency_admin", "DLH", "eka")))
    for agency, note in (("DLH", "Catatan untuk DLH"), ("PUPR", "Catatan untuk PUPR")):
        ok(client.post(f"{url}/escalate", json={"agency": agency, "note": note},
                       headers=staff("operator")))
    ok(client.post(f"{url}/visit", json={"note": "Dicek"},
                   headers=staff("officer", "DLH", "ani")))
    lat, lon = INSIDE["padang"]
    old_far = camera_photo(lat + 0.01, lon, datetime.now(WIB) - timedelta(days=3))
    ok(client.post(f"{url}/resolve", headers=staff("officer", "DLH", "ani"),
                   data={"data": json.dumps({"note": "Selesai"}),
                         "photo": (io.BytesIO(old_far), "evidence.jpg", "image/jpeg")},
                   content_type="multipart/form-data"))
    return report


def view(client, report: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return ok(client.get(f"/reports/{report['code']}/workflow", headers=headers))


def dlh(shown: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in shown["agencies"] if a["code"] == "DLH")


def test_the_agencys_staff_and_the_citys_see_its_officers_flag_and_escalations(client, held):
    for headers in (staff("agency_admin", "DLH", "eka"), staff("agency_head", "DLH"),
                    staff("officer", "DLH", "ani"), staff("operator"), staff("leader"),
                    staff("sysadmin")):
        shown = view(client, held, headers)
        mine = dlh(shown)
        assert [o["id"] for o in mine["officers"]] == ["ani"]
        assert set(mine["evidence_flag"]["reasons"]) == {"far_from_report", "stale_photo"}
        dispatch = next(e for e in shown["history"] if e.get("action") == "dispatch")
        assert dispatch["officers"] == ["ani"] and dispatch["by"]["id"] == "eka"
        assert next(e for e in shown["history"] if e.get("action") == "resolve")[
            "officer"] == "ani"
    for headers in (staff("operator"), staff("leader")):
        assert [e["agency"] for e in view(client, held, headers)["escalations"]] == [
            "DLH", "PUPR"]
    assert [e["note"] for e in view(client, held, staff("agency_head", "DLH"))[
        "escalations"]] == ["Catatan untuk DLH"]


@pytest.mark.parametrize("who", ["reporter", "agency_admin", "officer", "agency_head"])
def test_the_reporter_and_the_other_agency_see_none_of_it(client, held, who):
    if who == "reporter":
        headers = {"X-Reporter-Token": reporter_token(reporter_token_keys(SETTINGS),
                                                      held["_id"])}
    else:
        headers = staff(who, "PUPR")
    shown = view(client, held, headers)
    mine = dlh(shown)
    assert "officers" not in mine and "evidence_flag" not in mine
    assert mine["status"] == "resolved" and mine["resolved_at"]  # the public facts remain
    text = json.dumps(shown)
    for secret in ('"ani"', "Ani Petugas", '"eka"', "far_from_report", "Catatan untuk DLH"):
        assert secret not in text, (who, secret)
    assert [e.get("action") for e in shown["history"]][-3:] == ["dispatch", "visit", "resolve"]
    escalations = shown.get("escalations")
    assert escalations is None if who == "reporter" else [
        e["note"] for e in escalations] == ["Catatan untuk PUPR"]


def test_the_officers_list_answers_like_its_neighbours(client):
    listed = ok(client.get("/agencies/DLH/officers", headers=staff("agency_admin", "DLH")))
    assert [o["id"] for o in listed["officers"]] == ["ani"]
    assert ok(client.get("/agencies/DLH/officers", headers=staff("leader")))["officers"]
    for headers in (staff("leader"), staff("agency_admin", "DLH")):
        unknown = client.get("/agencies/NOPE/officers", headers=headers)
        assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (
            404, "agency_not_found")
    other = client.get("/agencies/PUPR/officers", headers=staff("agency_admin", "DLH"))
    assert (other.status_code, other.get_json()["error"]["code"]) == (403, "not_your_agency")
