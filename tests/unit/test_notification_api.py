"""The notification service's HTTP API over an in-memory database: webhook subscriptions of
the caller's city, parked deliveries and their redelivery, a report's delivery log. The
integration tests (test_webhooks.py, test_notifications.py) prove it through the gateway."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes import NothingRevoked, fake_db

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.web.auth import Principal, issue_access_token
from services.notification.app import create_app

# No other process to wait for after a webhook change (aduan/infra/versioned_cache.py).
SETTINGS = Settings(cache_check_s=0.0)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
HOOK = "https://93.184.216.34/aduan"  # a public address: no name to resolve
SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.agencies.insert_one({"_id": "depok:DLH", "city": "depok", "code": "DLH"})
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.reports.insert_many([
        {"_id": "r1", "code": "DPK-2026-3HW-6P2-Z9C", "city": "depok", "status": "forwarded"},
        {"_id": "r2", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "status": "forwarded"},
    ])
    return database


@pytest.fixture
def client(db):
    app = create_app(SETTINGS, Backends(SETTINGS, db=db))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client()


def _as(role: str, city: str = "depok") -> dict[str, str]:
    token = issue_access_token(SETTINGS, Principal(f"{role}-{city}", role, city))
    return {"Authorization": f"Bearer {token}"}


def _subscribe(client, **fields):
    return client.post("/webhooks", headers=_as("sysadmin"), json={
        "url": HOOK, "secret": SECRET, "events": ["report.forwarded"], **fields})


def test_a_sysadmin_subscribes_their_own_city(client):
    created = _subscribe(client, owner="agency", agency="DLH")
    assert created.status_code == 201
    view = created.get_json()
    assert (view["city"], view["agency"], view["owner"]) == ("depok", "DLH", "agency")
    assert "secret" not in view
    assert created.headers["Location"] == f"/api/v1/webhooks/{view['id']}"
    assert [w["id"] for w in client.get("/webhooks", headers=_as("sysadmin")).get_json()[
        "webhooks"]] == [view["id"]]
    assert client.get("/webhooks", headers=_as("sysadmin", "padang")).get_json() == {
        "webhooks": []}
    assert client.get("/webhooks", headers=_as("operator")).status_code == 403


@pytest.mark.parametrize("fields, status, code", [
    ({"city": "padang"}, 403, "other_city"),
    ({"url": "http://10.1.2.3/hook"}, 422, "webhook_address_not_allowed"),
    ({"owner": "agency"}, 422, "agency_required"),
    ({"agency": "PUPR"}, 422, "unknown_agency"),
    ({"secret": "short"}, 422, "validation_failed"),
])
def test_a_subscription_that_cannot_work_is_refused(client, db, fields, status, code):
    refused = _subscribe(client, **fields)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (status, code)
    assert db.webhook_subscriptions.count_documents({}) == 0


def _delivery(db, delivery_id: str, result: str, city: str = "depok") -> None:
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.deliveries.insert_one({
        "_id": delivery_id, "report_id": "r1", "city": city, "event": "report.forwarded",
        "message_id": "m1", "channel": "webhook", "audience": "city",
        "recipient": "https://93.184.216.34/…", "subscription_id": "s1", "payload": "{}",
        "result": result, "attempts": 6, "created_at": NOW, "updated_at": NOW})


def test_deleting_a_subscription_cancels_its_pending_deliveries(client, db):
    subscription = _subscribe(client).get_json()["id"]
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.deliveries.insert_one({"_id": "d1", "channel": "webhook", "city": "depok",
                              "subscription_id": subscription, "result": "pending"})
    assert client.delete(f"/webhooks/{subscription}", headers=_as("sysadmin")).status_code == 204
    assert db.deliveries.find_one({"_id": "d1"})["result"] == "cancelled"
    again = client.delete(f"/webhooks/{subscription}", headers=_as("sysadmin"))
    assert again.get_json()["error"]["code"] == "webhook_not_found"


def test_a_parked_delivery_is_listed_and_redelivered_once(client, db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.webhook_subscriptions.insert_one({"_id": "s1", "active": True, "city": "depok"})
    _delivery(db, "d1", "parked")
    _delivery(db, "d2", "parked", city="padang")
    operator = _as("operator")
    listed = client.get("/webhook-deliveries?result=parked", headers=operator).get_json()
    assert [d["id"] for d in listed["deliveries"]] == ["d1"]
    assert client.get("/webhook-deliveries?limit=0", headers=operator).status_code == 400
    redelivered = client.post("/webhook-deliveries/d1/redeliver", headers=operator)
    assert redelivered.status_code == 202
    assert (redelivered.get_json()["result"], redelivered.get_json()["attempts"]) == (
        "pending", 0)
    twice = client.post("/webhook-deliveries/d1/redeliver", headers=operator)
    assert (twice.status_code, twice.get_json()["error"]["code"]) == (409, "not_parked")
    elsewhere = client.post("/webhook-deliveries/d2/redeliver", headers=operator)
    assert elsewhere.get_json()["error"]["code"] == "delivery_not_found"


def test_a_report_s_delivery_log_is_its_city_s_only(client, db):
    _delivery(db, "d1", "sent")
    mine = client.get("/reports/DPK-2026-3HW-6P2-Z9C/deliveries", headers=_as("operator"))
    assert [d["id"] for d in mine.get_json()["deliveries"]] == ["d1"]
    other = client.get("/reports/PDG-2026-7KQ-4M9-X2A/deliveries", headers=_as("operator"))
    assert (other.status_code, other.get_json()["error"]["code"]) == (404, "report_not_found")
