"""The catalogue API (services/routing/catalogue_api.py) over the Flask test client and fakes: a
category's resolution target, set and refused in the one error format; nested objects (`sla`,
an agency's `contact`) changed field by field; and no person fields on agencies any more."""

from __future__ import annotations

from typing import Any

import pytest
from routing_world import SETTINGS, routing_client, seeded_db

from aduan.web.auth import Principal, issue_access_token


@pytest.fixture
def db():
    return seeded_db()


@pytest.fixture
def client(db):
    return routing_client(db)


def staff(role: str, city: str = "kotamobagu") -> dict[str, str]:
    principal = Principal(f"{role}-{city}", role, city, None)
    return {"Authorization": f"Bearer {issue_access_token(SETTINGS, principal)}"}


def patch(client, path: str, body: Any, headers: dict[str, str] | None = None):
    # The token is made when the test runs: one made at collection may expire before a long
    # run reaches the test.
    return client.patch(path, json=body, headers=headers or staff("sysadmin"))


def error(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_a_sysadmin_sets_a_categorys_resolution_target(client, db):
    road = next(c for c in client.get("/categories?city=kotamobagu").get_json()["categories"]
                if c["code"] == "road")
    assert road["sla"] == {"resolution_days": 10}  # the seed's default
    changed = patch(client, "/categories/road", {"sla": {"resolution_days": 7}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["sla"] == {"resolution_days": 7}
    # Another target of the same category leaves this one as it is.
    both = patch(client, "/categories/road", {"sla": {"follow_up_days": 3}}).get_json()
    assert both["sla"] == {"resolution_days": 7, "follow_up_days": 3}
    assert both["agencies"] == ["PUPR"]
    # null: back to the setting's target.
    default = patch(client, "/categories/road", {"sla": {"resolution_days": None}}).get_json()
    assert default["sla"] == {"follow_up_days": 3}
    stored = db.categories.find_one({"_id": "kotamobagu:road"})
    assert stored["sla"] == {"follow_up_days": 3} and stored["updated_by"] == "sysadmin-kotamobagu"
    padang = db.categories.find_one({"_id": "padang:road"})
    assert padang["sla"] == {"resolution_days": 10}  # another city's is its own


@pytest.mark.parametrize("days", [0, -1, 366, "5", 2.5, True, [5]])
def test_a_resolution_target_out_of_range_or_not_a_whole_number_is_refused(client, db, days):
    before = db.categories.find_one({"_id": "kotamobagu:waste"})
    response = patch(client, "/categories/waste", {"sla": {"resolution_days": days}})
    assert error(response) == (422, "validation_failed")
    fields = {d["field"] for d in response.get_json()["error"]["details"]}
    assert fields == {"sla.resolution_days"}
    assert db.categories.find_one({"_id": "kotamobagu:waste"}) == before


def test_unknown_sla_fields_and_other_roles_are_refused(client):
    assert error(patch(client, "/categories/waste", {"sla": {"resolve_days": 3}})) == (
        422, "validation_failed")
    assert error(patch(client, "/categories/waste", {"sla": {"resolution_days": 3}},
                       staff("operator"))) == (403, "forbidden")
    assert error(patch(client, "/categories/nothing", {"sla": {"resolution_days": 3}})) == (
        404, "category_not_found")


def test_a_new_category_carries_its_resolution_target(client):
    created = client.post("/categories", headers=staff("sysadmin"), json={
        "code": "social", "name_id": "Kesejahteraan sosial", "name_en": "Social welfare",
        "agencies": ["@kecamatan"], "sla": {"resolution_days": 14}})
    assert created.status_code == 201, created.get_json()
    listed = client.get("/categories?city=kotamobagu").get_json()["categories"]
    assert next(c for c in listed if c["code"] == "social")["sla"] == {"resolution_days": 14}
    refused = client.post("/categories", headers=staff("sysadmin"), json={
        "code": "social2", "name_id": "Sosial", "name_en": "Social",
        "sla": {"resolution_days": 0}})
    assert error(refused) == (422, "validation_failed")


def test_an_agencys_desk_changes_field_by_field_and_people_are_not_the_catalogues(client, db):
    pln = client.get("/agencies/PLN", headers=staff("operator")).get_json()
    assert pln["contact"]["phone"] == "123" and pln["name_id"] == "PT PLN (Persero) UP3 Kotamobagu"
    changed = patch(client, "/agencies/PLN", {"contact": {"email": "pengaduan@pln.example.id",
                                                          "address": "Jl. Adampe Dolot"}})
    assert changed.status_code == 200, changed.get_json()
    contact = changed.get_json()["contact"]
    assert (contact["email"], contact["phone"], contact["address"]) == (
        "pengaduan@pln.example.id", "123", "Jl. Adampe Dolot")
    assert patch(client, "/agencies/PLN", {"contact": {"address": None}}).get_json()[
        "contact"].get("address") is None
    for person in ({"head": {"name": "Kepala"}}, {"liaisons": []}):
        assert error(patch(client, "/agencies/DLH", person)) == (422, "validation_failed")
    # A catalogue seeded before people became users still carries them: they are not shown.
    db.agencies.update_one({"_id": "kotamobagu:DLH"}, {"$set": {
        "head": {"name": "Kepala", "email": "kepala@dlh.example"}, "liaisons": []}})
    shown = client.get("/agencies/DLH", headers=staff("operator")).get_json()
    assert "head" not in shown and "liaisons" not in shown and shown["contact"]["email"]
    listed = client.get("/agencies", headers=staff("operator")).get_json()["agencies"]
    assert not [a for a in listed if "head" in a or "liaisons" in a]
