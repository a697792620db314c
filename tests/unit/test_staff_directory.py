"""The staff directory over fakes: the city's sysadmin keeps users' contacts (name, email,
phone, language) through the user API, each checked and normalised; staff keep their own;
the head of an agency reads its agency's reports and takes none of its actions."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fakes import NothingRevoked, seeded_fake_db

from aduan.domain import lifecycle as lc
from aduan.domain.visibility import staff_conditions, staff_may_see
from aduan.infra.config import Settings
from aduan.web.app import provide
from aduan.web.auth import Principal
from gateway.app import API, create_app
from gateway.context import Gateway
from gateway.users import NewUser, create_user

PASSWORD = "a-long-password"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """Argon2 at its cheapest: these tests are about contacts, not passwords (a second each
    with the product's parameters)."""
    monkeypatch.setattr("gateway.users._hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def client():
    settings = Settings()
    db = seeded_fake_db()  # the catalogue every service seeds: Padang's agencies (DLH, ...)
    app = create_app(settings)
    provide(app, Gateway(settings, db, {}))  # type: ignore[arg-type]
    app.extensions["aduan_revocations"] = NothingRevoked()
    create_user(db, NewUser("admin.padang", PASSWORD, "sysadmin", "padang"))
    test_client = app.test_client()
    token = test_client.post(f"{API}/auth/login", json={
        "username": "admin.padang", "password": PASSWORD}).get_json()["access_token"]
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


def _add(client, **fields):
    body = {"username": "kepala.dlh", "password": PASSWORD, "role": "agency_head",
            "city": "padang", "agency": "DLH", **fields}
    return client.post(f"{API}/users", json=body)


def test_a_user_carries_contacts_normalised(client):
    answer = _add(client, name="Kepala DLH", email=" Kepala@DLH.Padang.example.go.id ",
                  phone="0811-2233-4455", language="en")
    assert answer.status_code == 201, answer.get_json()
    user = answer.get_json()
    assert (user["name"], user["email"], user["phone"], user["language"]) == (
        "Kepala DLH", "Kepala@dlh.padang.example.go.id", "+6281122334455", "en")
    listed = client.get(f"{API}/users").get_json()["items"]
    assert next(u for u in listed if u["username"] == "kepala.dlh")["phone"] == "+6281122334455"


@pytest.mark.parametrize("field, value, code", [
    ("email", "not-an-address", "invalid_email"),
    ("email", "two@@example.id", "invalid_email"),
    ("phone", "call me maybe", "invalid_phone"),
    ("phone", "0812", "invalid_phone"),
])
def test_a_bad_email_or_phone_is_refused_with_a_stable_code(client, field, value, code):
    answer = _add(client, **{field: value})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert (error["code"], error["details"]) == (code, {"field": field})
    changed = client.patch(f"{API}/users/nobody", json={field: value})
    assert changed.status_code == 404  # the user is looked up first: nothing leaks
    user_id = _add(client).get_json()["id"]
    refused = client.patch(f"{API}/users/{user_id}", json={field: value})
    assert refused.get_json()["error"]["code"] == code


def test_an_unknown_language_and_agency_are_refused(client):
    assert _add(client, language="fr").get_json()["error"]["code"] == "validation_failed"
    unknown = _add(client, agency="NOPE")
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (422, "unknown_agency")
    assert _add(client, agency=None).get_json()["error"]["code"] == "agency_required"


def test_staff_are_bound_only_to_an_active_city_agency(client):
    db = client.application.extensions["aduan"].db
    # An agency deactivated in the catalogue (routing's API, not this app's: written here).
    db.agencies.update_one({"city": "padang", "code": "DINKES"}, {"$set": {"active": False}})
    for agency in ("DINKES", "PDAM"):  # inactive; a vertical body (referred to, not forwarded)
        refused = _add(client, agency=agency)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (
            422, "unknown_agency"), agency
    user_id = _add(client).get_json()["id"]
    moved = client.patch(f"{API}/users/{user_id}", json={"agency": "PDAM"})
    assert (moved.status_code, moved.get_json()["error"]["code"]) == (422, "unknown_agency")
    assert client.patch(f"{API}/users/{user_id}", json={"agency": "PUPR"}).status_code == 200


def test_the_sysadmin_changes_and_clears_contacts_and_moves_a_user_out_of_its_agency(client):
    user_id = _add(client, email="kepala@dlh.example.go.id", phone="08112233445").get_json()["id"]
    changed = client.patch(f"{API}/users/{user_id}", json={"phone": "", "name": "Bu Kepala"})
    assert changed.get_json()["phone"] is None and changed.get_json()["name"] == "Bu Kepala"
    assert changed.get_json()["email"] == "kepala@dlh.example.go.id"  # untouched
    leader = client.patch(f"{API}/users/{user_id}", json={"role": "leader", "agency": None})
    assert (leader.get_json()["role"], leader.get_json()["agency"]) == ("leader", None)
    mismatch = client.patch(f"{API}/users/{user_id}", json={"role": "agency_head"})
    assert mismatch.get_json()["error"]["code"] == "agency_mismatch"


def test_staff_edit_their_own_contacts_and_nothing_else(client):
    _add(client, username="ops.padang", role="operator", agency=None)
    token = client.post(f"{API}/auth/login", json={
        "username": "ops.padang", "password": PASSWORD}).get_json()["access_token"]
    mine = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    changed = client.patch(f"{API}/auth/me", json={"email": "ops@padang.example.go.id",
                                                   "language": "en"}, environ_base=mine)
    assert changed.status_code == 200
    assert (changed.get_json()["email"], changed.get_json()["language"]) == (
        "ops@padang.example.go.id", "en")
    refused = client.patch(f"{API}/auth/me", json={"role": "sysadmin"}, environ_base=mine)
    assert refused.get_json()["error"]["code"] == "validation_failed"
    assert client.patch(f"{API}/auth/me", json={"name": "x"}).status_code == 200  # the admin


HEAD = lc.Actor(kind="staff", id="h1", role="agency_head", agency="DLH")
HEAD_PRINCIPAL = Principal("h1", "agency_head", "padang", "DLH")


@pytest.mark.parametrize("status, assignment", [
    ("forwarded", "forwarded"), ("accepted", "accepted"), ("in_progress", "in_progress"),
    ("resolved", "resolved")])
def test_the_head_of_an_agency_takes_none_of_its_actions(status, assignment):
    report = {"status": status, "city": "padang",
              "agencies": [{"code": "DLH", "status": assignment}]}
    assert lc.allowed_actions(report, HEAD) == []
    admin = lc.Actor(kind="staff", id="a1", role="agency_admin", agency="DLH")
    assert HEAD.acts_as == "agency_head" and admin.acts_as == "agency"


def test_the_head_of_an_agency_reads_what_its_agency_holds_or_held():
    held = {"city": "padang", "agencies": [{"code": "DLH", "status": "withdrawn"}]}
    holds = {"city": "padang", "agencies": [{"code": "DLH", "status": "accepted"}]}
    other = {"city": "padang", "agencies": [{"code": "PUPR", "status": "accepted"}]}
    assert staff_may_see(held, HEAD_PRINCIPAL) and staff_may_see(holds, HEAD_PRINCIPAL)
    assert not staff_may_see(other, HEAD_PRINCIPAL)
    assert staff_conditions(HEAD_PRINCIPAL) == {"city": "padang", "agencies.code": "DLH"}
    officer = Principal("o1", "officer", "padang", "DLH")
    assert not staff_may_see(held, officer) and staff_may_see(holds, officer)


def test_a_contact_edit_keeps_the_user_signed_in_and_a_role_change_does_not(client):
    user_id = _add(client, username="ops.padang", role="operator", agency=None).get_json()["id"]
    session = client.post(f"{API}/auth/login", json={
        "username": "ops.padang", "password": PASSWORD}).get_json()

    def refresh() -> int:
        answer = client.post(f"{API}/auth/refresh",
                             json={"refresh_token": session["refresh_token"]})
        if answer.status_code == 200:
            session["refresh_token"] = answer.get_json()["refresh_token"]
        return answer.status_code

    same = client.patch(f"{API}/users/{user_id}", json={"name": "Ops", "role": "operator",
                                                        "agency": None, "disabled": False})
    assert same.status_code == 200 and refresh() == 200
    client.patch(f"{API}/users/{user_id}", json={"role": "leader"})
    assert refresh() == 401
