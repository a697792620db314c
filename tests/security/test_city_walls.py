"""Every city is walled off: a city's sysadmin (or operator) tries to administer another city
through the public API and is refused, or sees nothing of it. Accounts come about the way they
do in production: the platform admin from the command-line tool on the server, each city's
sysadmin from the platform admin over the API, the rest from their city's sysadmin."""

from __future__ import annotations

import json
import uuid

import pika
import pytest
import requests
from http_receiver import free_port
from notification_helpers import submit_depok
from photo_factory import fresh_padang_photo
from stack_client import pipeline_settled, submit
from staff_accounts import PASSWORD, Staff, make_platform_admin, sign_in
from waiting import eventually

from aduan.infra.messaging import connect, exchange_name

pytestmark = pytest.mark.stack

SECRET = "webhook-secret-for-walls-01"


def _create_user(api: str, admin: Staff, role: str, city: str, agency: str | None = None
                 ) -> requests.Response:
    username = f"{role.replace('_', '-')}-{city}-{uuid.uuid4().hex[:6]}"
    return requests.post(f"{api}/users", headers=admin.headers, timeout=10, json={
        "username": username, "password": PASSWORD, "role": role, "city": city,
        **({"agency": agency} if agency else {})})


def _staff(api: str, admin: Staff, role: str, city: str) -> tuple[Staff, str]:
    created = _create_user(api, admin, role, city)
    assert created.status_code == 201, created.text
    user = created.json()
    return sign_in(api, user["username"], role), user["id"]


@pytest.fixture(scope="module")
def platform(api) -> Staff:
    return make_platform_admin(api)


@pytest.fixture(scope="module")
def padang(api, platform) -> Staff:
    return _staff(api, platform, "sysadmin", "padang")[0]


@pytest.fixture(scope="module")
def depok(api, platform) -> tuple[Staff, str]:
    return _staff(api, platform, "sysadmin", "depok")


def _subscribe(api: str, admin: Staff, **fields) -> requests.Response:
    # Port of nothing on this machine: deliveries stay pending, which is all these tests need.
    body = {"url": f"http://127.0.0.1:{free_port()}/hook", "secret": SECRET,
            "events": ["report.submitted"], **fields}
    return requests.post(f"{api}/webhooks", json=body, headers=admin.headers, timeout=10)


# ---- users and API keys (gateway) -------------------------------------------------------------

def test_sysadmin_of_padang_creates_an_operator_in_depok_is_refused(api, db, padang):
    refused = _create_user(api, padang, "operator", "depok")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "other_city"
    assert not db.users.find_one({"username": json.loads(refused.request.body)["username"]})
    assert _create_user(api, padang, "operator", "padang").status_code == 201


def test_sysadmin_of_padang_resets_depoks_sysadmin_is_refused(api, padang, depok):
    depok_admin, depok_id = depok
    for change in ({"password": "dikuasai-padang-123"}, {"disabled": True},
                   {"role": "operator"}):
        refused = requests.patch(f"{api}/users/{depok_id}", json=change, headers=padang.headers,
                                 timeout=10)
        assert refused.status_code == 404, change
        assert refused.json()["error"]["code"] == "user_not_found"
    # Depok's sysadmin still signs in with their own password and is still a sysadmin.
    again = sign_in(api, depok_admin.username, "sysadmin")
    me = requests.get(f"{api}/auth/me", headers=again.headers, timeout=10).json()
    assert me["role"] == "sysadmin" and not me["disabled"]


def test_sysadmin_of_padang_lists_users_and_sees_no_other_city(api, padang, depok, platform):
    listed = requests.get(f"{api}/users", headers=padang.headers, timeout=10)
    assert listed.status_code == 200
    users = listed.json()["items"]
    assert users and {u["city"] for u in users} == {"padang"}
    assert depok[0].username not in {u["username"] for u in users}
    assert platform.username not in {u["username"] for u in users}
    everyone = requests.get(f"{api}/users", headers=platform.headers, timeout=10).json()["items"]
    assert {"padang", "depok"} <= {u["city"] for u in everyone}
    nowhere = _create_user(api, platform, "sysadmin", "atlantis")
    assert nowhere.status_code == 422 and nowhere.json()["error"]["code"] == "unknown_city"


def test_sysadmin_makes_someone_a_platform_admin_is_refused(api, padang):
    refused = _create_user(api, padang, "platform_admin", "padang")
    assert refused.status_code == 422
    operator = _create_user(api, padang, "operator", "padang").json()
    promoted = requests.patch(f"{api}/users/{operator['id']}", json={"role": "platform_admin"},
                              headers=padang.headers, timeout=10)
    assert promoted.status_code == 422


def test_sysadmin_of_padang_revokes_depoks_api_key_is_refused(api, padang, depok):
    depok_admin = depok[0]
    created = requests.post(f"{api}/api-keys", json={"name": "aplikasi-depok"},
                            headers=depok_admin.headers, timeout=10)
    assert created.status_code == 201 and created.json()["city"] == "depok"
    key_id = created.json()["id"]
    listed = requests.get(f"{api}/api-keys", headers=padang.headers, timeout=10).json()["items"]
    assert key_id not in {k["id"] for k in listed}
    refused = requests.delete(f"{api}/api-keys/{key_id}", headers=padang.headers, timeout=10)
    assert refused.status_code == 404
    still = requests.get(f"{api}/api-keys", headers=depok_admin.headers, timeout=10).json()
    assert [k["revoked_at"] for k in still["items"] if k["id"] == key_id] == [None]


# ---- webhooks and their deliveries (notification) --------------------------------------------

def test_sysadmin_of_padang_subscribes_a_webhook_to_depok_is_refused(api, db, padang):
    before = db.webhook_subscriptions.count_documents({})
    refused = _subscribe(api, padang, city="depok")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "other_city"
    assert db.webhook_subscriptions.count_documents({}) == before


def test_sysadmin_of_padang_registers_a_webhook_without_city_hears_no_depok_report(
        api, db, padang):
    created = _subscribe(api, padang, owner="city")
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert subscription["city"] == "padang"
    try:
        confidential = submit_depok(api, privacy="confidential",
                                    description="Rahasia warga Depok")
        # Once the sentinel is through and the consumers are quiet, so is the Depok report.
        sentinel = pipeline_settled(api, db)
        scheduled = {d["report_id"] for d in db.deliveries.find(
            {"subscription_id": subscription["id"]}, {"report_id": 1})}
        assert sentinel["id"] in scheduled
        assert confidential["id"] not in scheduled
    finally:
        requests.delete(f"{api}/webhooks/{subscription['id']}", headers=padang.headers,
                        timeout=10)


def test_sysadmin_of_padang_lists_and_deletes_depoks_webhooks_is_refused(api, padang, depok):
    depok_admin = depok[0]
    created = _subscribe(api, depok_admin)
    assert created.status_code == 201 and created.json()["city"] == "depok"
    subscription_id = created.json()["id"]
    try:
        listed = requests.get(f"{api}/webhooks", headers=padang.headers, timeout=10).json()
        assert subscription_id not in {s["id"] for s in listed["webhooks"]}
        assert {s["city"] for s in listed["webhooks"]} <= {"padang"}
        refused = requests.delete(f"{api}/webhooks/{subscription_id}", headers=padang.headers,
                                  timeout=10)
        assert refused.status_code == 404
        theirs = requests.get(f"{api}/webhooks", headers=depok_admin.headers, timeout=10).json()
        assert subscription_id in {s["id"] for s in theirs["webhooks"]}
    finally:
        requests.delete(f"{api}/webhooks/{subscription_id}", headers=depok_admin.headers,
                        timeout=10)


def test_sysadmin_of_padang_reads_and_redelivers_depoks_webhook_deliveries_is_refused(
        api, db, padang, depok):
    depok_admin = depok[0]
    subscription = _subscribe(api, depok_admin).json()
    try:
        receipt = submit_depok(api)
        delivery = eventually(lambda: db.deliveries.find_one(
            {"report_id": receipt["id"], "subscription_id": subscription["id"]}),
            what="the Depok delivery scheduled")
        for result in ("pending", "parked", "sent"):
            listed = requests.get(f"{api}/webhook-deliveries", params={"result": result},
                                  headers=padang.headers, timeout=10)
            assert listed.status_code == 200
            assert {d["city"] for d in listed.json()["deliveries"]} <= {"padang"}
            assert delivery["_id"] not in {d["id"] for d in listed.json()["deliveries"]}
        redeliver = requests.post(f"{api}/webhook-deliveries/{delivery['_id']}/redeliver",
                                  headers=padang.headers, timeout=10)
        assert redeliver.status_code == 404
        log = requests.get(f"{api}/reports/{receipt['code']}/deliveries",
                           headers=padang.headers, timeout=10)
        assert log.status_code == 404
        assert requests.get(f"{api}/reports/{receipt['code']}/deliveries",
                            headers=depok_admin.headers, timeout=10).status_code == 200
    finally:
        requests.delete(f"{api}/webhooks/{subscription['id']}", headers=depok_admin.headers,
                        timeout=10)


# ---- parked messages (every consuming service) -----------------------------------------------

def _park_depok_message(settings, message_id: str) -> None:
    """An event of a Depok report no one has: verification parks it at once."""
    body = json.dumps({"report_id": f"missing-{message_id}", "code": "DPK-2026-999999",
                       "city": "depok", "status": "submitted"}).encode()
    connection = connect(settings)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange_name(settings), "report.submitted", body,
                              properties=pika.BasicProperties(
                                  delivery_mode=2, message_id=message_id,
                                  type="report.submitted", content_type="application/json"))
    finally:
        connection.close()


def _parked_ids(api: str, staff: Staff) -> set[str]:
    response = requests.get(f"{api}/ops/queues/verification/parked", headers=staff.headers,
                            timeout=10)
    assert response.status_code == 200, response.text
    return {m["message_id"] for m in response.json()["items"]}


def test_operator_of_padang_lists_and_replays_depoks_parked_messages_is_refused(
        api, settings, padang, platform):
    operator = _staff(api, padang, "operator", "padang")[0]
    message_id = f"depok-parked-{uuid.uuid4().hex[:8]}"
    _park_depok_message(settings, message_id)
    eventually(lambda: message_id in _parked_ids(api, platform), what="the Depok message parked")
    for staff in (operator, padang):
        assert message_id not in _parked_ids(api, staff)
        replay = requests.post(f"{api}/ops/queues/verification/parked/replay",
                               json={"message_ids": [message_id]}, headers=staff.headers,
                               timeout=10)
        assert replay.status_code == 200 and replay.json()["replayed"] == 0
    assert message_id in _parked_ids(api, platform)


# ---- the catalogue (routing) ------------------------------------------------------------------

def test_sysadmin_of_padang_edits_a_depok_agency_is_refused(api, padang, depok):
    def codes(staff: Staff) -> set[str]:
        listed = requests.get(f"{api}/agencies", headers=staff.headers, timeout=10).json()
        return {a["code"] for a in listed["agencies"]}

    depok_only = sorted(codes(depok[0]) - codes(padang))
    assert depok_only, "the seed catalogue gives Depok agencies Padang lacks"
    target = depok_only[0]
    refused = requests.patch(f"{api}/agencies/{target}", json={"name_id": "Diambil alih"},
                             headers=padang.headers, timeout=10)
    assert refused.status_code == 404
    theirs = requests.get(f"{api}/agencies/{target}", headers=depok[0].headers, timeout=10)
    assert theirs.json()["name_id"] != "Diambil alih"


def test_a_padang_report_is_still_administered_by_padang(api, db, padang):
    """The wall is not a closed door: Padang's sysadmin reads Padang's delivery log."""
    receipt = submit(api, fresh_padang_photo()).json()
    eventually(lambda: db.deliveries.find_one({"report_id": receipt["id"]}),
               what="a delivery of the Padang report")
    log = requests.get(f"{api}/reports/{receipt['code']}/deliveries", headers=padang.headers,
                       timeout=10)
    assert log.status_code == 200
