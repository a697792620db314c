"""Intake's read doors over fakes (in-memory database and store): every door that takes a code
answers through the one look-up (aduan.web.report_access) and the visibility policy, so a
report the caller may not see is, to them, a report that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes import FakePublisher, FakeStore, NothingRevoked, fake_db

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import reporter_token
from aduan.web.auth import Principal, issue_access_token
from services.intake.app import create_app

SETTINGS = Settings(public_base_url="https://aduan.example")
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PUBLIC, SECRET, MISSING = "PDG-2026-7KQ-4M9-X2A", "PDG-2026-7KQ-4M9-X2B", "PDG-2026-222-222-222"


def _report(report_id: str, code: str, privacy: str, agencies: list[dict]) -> dict:
    return {"_id": report_id, "code": code, "city": "padang", "category": "waste",
            "description": f"{privacy} report", "status": "forwarded", "privacy": privacy,
            "channel": "app", "location": {"lat": -0.95, "lon": 100.4},
            "created_at": NOW, "updated_at": NOW, "agencies": agencies,
            "reporter": {"name": "Siti", "email": "siti@example.id"},
            "device_location": {"lat": -0.9501, "lon": 100.4001, "accuracy_m": 12.0},
            "contact_keys": ["f" * 64],
            "history": [{"at": NOW, "from": "verified", "to": "forwarded",
                         "actor": {"kind": "staff", "id": "op", "role": "operator"},
                         "note": "internal only", "public_response": None}],
            "photos": [{"id": "p1", "public_key": f"{report_id}/p1.jpg",
                        "thumbnail_key": f"{report_id}/p1_t.jpg"}],
            "comments": []}


@pytest.fixture
def client():
    db, store = fake_db(), FakeStore()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_many([
        _report("a" * 32, PUBLIC, "anonymous", [{"code": "DLH", "status": "forwarded"}]),
        _report("b" * 32, SECRET, "confidential",
                [{"code": "DLH", "status": "withdrawn"}, {"code": "PUPR", "status": "accepted"}]),
    ])
    for report_id in ("a" * 32, "b" * 32):
        store.put(store.public_bucket, f"{report_id}/p1.jpg", b"jpeg bytes", "image/jpeg")
    app = create_app(SETTINGS, Backends(SETTINGS, db=db, store=store, publisher=FakePublisher()))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client()


def _staff(role: str, city: str = "padang", agency: str | None = None) -> dict[str, str]:
    token = issue_access_token(SETTINGS, Principal(f"{role}-{agency}", role, city, agency))
    return {"Authorization": f"Bearer {token}"}


def _reporter(report_id: str) -> dict[str, str]:
    return {"X-Reporter-Token": reporter_token(reporter_token_keys(SETTINGS), report_id)}


def _seen(response) -> tuple[int, object]:
    body = response.get_json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, body


def test_a_hidden_report_is_a_missing_one_at_every_public_door(client):
    for path in ("/reports/{}", "/reports/{}/photos/1", "/reports/{}/photos/1/thumbnail"):
        hidden = _seen(client.get(path.format(SECRET)))
        assert hidden[0] == 404 and hidden == _seen(client.get(path.format(MISSING))), path
    comment = client.post(f"/reports/{SECRET}/comments", json={"text": "halo"})
    assert _seen(comment) == _seen(client.post(f"/reports/{MISSING}/comments",
                                               json={"text": "halo"}))
    assert client.get(f"/reports/{PUBLIC}").status_code == 200
    photo = client.get(f"/reports/{PUBLIC}/photos/1")
    assert photo.status_code == 200 and "public" in photo.headers["Cache-Control"]


def test_the_reporter_reads_their_own_report_whole_and_a_typed_code_is_found(client):
    own = client.get(f"/reports/ {SECRET.lower()} ", headers=_reporter("b" * 32))
    assert own.status_code == 200 and own.get_json()["reporter"]["name"] == "Siti"
    assert "internal only" not in own.get_data(as_text=True)
    public = client.get(f"/reports/{PUBLIC}").get_json()
    assert "reporter" not in public and "internal only" not in str(public)
    photo = client.get(f"/reports/{SECRET}/photos/1", headers=_reporter("b" * 32))
    assert photo.status_code == 200 and "private" in photo.headers["Cache-Control"]


# Who asks, as `_staff` arguments: the tokens are made when each test runs, not when the suite
# is collected (a token made then may expire before a long run reaches the test).
@pytest.mark.parametrize(("who", "status"), [
    (("operator",), 200), (("leader",), 200),
    (("officer", "padang", "PUPR"), 200),
    (("officer", "padang", "DLH"), 404),  # withdrawn: not theirs any more
    (("operator", "depok"), 404),
])
def test_staff_read_what_the_policy_lets_them_and_nothing_else_exists(client, who, status):
    headers = _staff(*who)
    answer = client.get(f"/staff/reports/{SECRET}", headers=headers)
    assert answer.status_code == status
    if status == 404:
        assert _seen(answer) == _seen(client.get(f"/staff/reports/{MISSING}", headers=headers))


def test_who_sees_the_reporter_in_the_staff_view(client):
    operator = client.get(f"/staff/reports/{SECRET}", headers=_staff("operator")).get_json()
    assert operator["reporter"]["name"] == "Siti"
    assert operator["history"][0]["note"] == "internal only"
    agency = client.get(f"/staff/reports/{SECRET}", headers=_staff("officer", agency="PUPR"))
    assert agency.get_json()["reporter"] is None
    # The phone's reading says where the reporter stood: shown with the reporter, or not.
    assert operator["device_location"]["accuracy_m"] == 12.0
    assert agency.get_json()["device_location"] is None


def test_the_phone_s_reading_and_the_contact_keys_are_in_no_public_answer(client):
    own = client.get(f"/reports/{SECRET}", headers=_reporter("b" * 32)).get_data(as_text=True)
    public = client.get(f"/reports/{PUBLIC}").get_data(as_text=True)
    listed = client.get("/reports", query_string={"city": "padang", "detail": "full"})
    for text in (own, public, listed.get_data(as_text=True)):
        assert "100.4001" not in text and "f" * 64 not in text


def test_comments_from_the_reporter_and_the_agency_holding_the_report(client):
    assert client.post(f"/reports/{SECRET}/comments", json={"text": "Masih ada"},
                       headers=_reporter("b" * 32)).status_code == 201
    assert client.post(f"/reports/{SECRET}/comments", json={"text": "Kami tangani"},
                       headers=_staff("officer", agency="PUPR")).status_code == 201
    withdrawn = client.post(f"/reports/{SECRET}/comments", json={"text": "x"},
                            headers=_staff("officer", agency="DLH"))
    assert withdrawn.status_code == 404
    stranger_on_public = client.post(f"/reports/{PUBLIC}/comments", json={"text": "x"})
    assert stranger_on_public.status_code == 403
    assert stranger_on_public.get_json()["error"]["code"] == "not_allowed"
    # A leader may read it, not comment: refused as such, not told it does not exist.
    leader = client.post(f"/reports/{SECRET}/comments", json={"text": "x"},
                         headers=_staff("leader"))
    assert leader.status_code == 403


def test_the_public_list_in_full_rows_for_mirrors(client):
    listed = client.get("/reports", query_string={
        "city": "padang", "detail": "full", "code": f"{PUBLIC},{SECRET},{MISSING}"})
    assert listed.status_code == 200, listed.get_json()
    [row] = listed.get_json()["items"]
    assert row["code"] == PUBLIC and row["description"] == "anonymous report"
    assert row["photos"][0]["url"] == f"https://aduan.example/api/v1/reports/{PUBLIC}/photos/1"
    assert "reporter" not in row and "history" not in row
    by_id = client.get("/reports", query_string={"city": "padang", "id": "b" * 32})
    assert by_id.get_json()["items"] == []


def test_a_mirror_may_skip_the_count(client):
    counted = client.get("/reports", query_string={"city": "padang"}).get_json()
    assert counted["total"] == 1
    uncounted = client.get("/reports", query_string={"city": "padang", "with_total": "false"})
    assert uncounted.get_json()["total"] is None
    assert uncounted.get_json()["items"] == counted["items"]
