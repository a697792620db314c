"""Webhooks through the real gateway, consumer, dispatcher process and a real HTTP receiver
started here: managed by sysadmins, signed, retried, parked, redelivered, once, privately."""

from __future__ import annotations

import json

import pytest
import requests
from http_receiver import Receiver, free_port
from notification_helpers import staff_headers, submit_depok
from stack_client import pipeline_settled
from waiting import eventually

from aduan.infra.messaging import Event, Publisher
from services.notification.signing import verify_signature

pytestmark = pytest.mark.stack

SECRET = "webhook-secret-for-tests-0001"


@pytest.fixture
def subscribe(api, settings):
    """Creates subscriptions through the API; deletes whatever is left afterwards."""
    created: list[str] = []
    admin = staff_headers(settings, "sysadmin", "depok")

    def create(url: str, **fields) -> dict:
        body = {"url": url, "secret": SECRET, "events": ["report.forwarded"], "city": "depok",
                **fields}
        response = requests.post(f"{api}/webhooks", json=body, headers=admin, timeout=10)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        return response.json()

    yield create
    for subscription_id in created:
        requests.delete(f"{api}/webhooks/{subscription_id}", headers=admin, timeout=10)


def _webhook_deliveries(db, report_id: str, subscription_id: str) -> list[dict]:
    return list(db.deliveries.find({"report_id": report_id, "channel": "webhook",
                                    "subscription_id": subscription_id}))


def _one(db, report_id: str, subscription_id: str, **condition) -> dict | None:
    found = _webhook_deliveries(db, report_id, subscription_id)
    if len(found) == 1 and all(found[0].get(k) == v for k, v in condition.items()):
        return found[0]
    return None


def test_only_sysadmins_manage_subscriptions_and_bad_ones_change_nothing(api, settings, db):
    admin = staff_headers(settings, "sysadmin", "depok")
    url = f"{api}/webhooks"
    # Port 9 (discard) on this machine: test stacks send webhooks nowhere else.
    good = {"url": "http://127.0.0.1:9/aduan", "secret": SECRET,
            "events": ["report.forwarded"]}
    before = db.webhook_subscriptions.count_documents({})

    assert requests.post(url, json=good, timeout=10).status_code == 401
    operator = requests.post(url, json=good, headers=staff_headers(settings, "operator"),
                             timeout=10)
    assert operator.status_code == 403
    assert requests.get(url, headers=staff_headers(settings, "operator"),
                        timeout=10).status_code == 403
    refused = [
        (b"{not json", 400, "invalid_json"),
        ({**good, "url": "javascript:alert(1)"}, 422, "validation_failed"),
        ({**good, "secret": "short"}, 422, "validation_failed"),
        ({**good, "events": ["report.deleted"]}, 422, "validation_failed"),
        ({**good, "city": "atlantis"}, 403, "other_city"),  # a sysadmin has one city
        ({**good, "url": "https://hooks.example/aduan"}, 422, "webhook_host_not_allowed"),
        ({**good, "owner": "agency"}, 422, "agency_required"),
        ({**good, "agency": "NOPE"}, 422, "unknown_agency"),
        ({**good, "$where": "1"}, 400, "forbidden_key"),
    ]
    for body, status, code in refused:
        kwargs = {"data": body, "headers": {**admin, "Content-Type": "application/json"}} \
            if isinstance(body, bytes) else {"json": body, "headers": admin}
        response = requests.post(url, timeout=10, **kwargs)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert db.webhook_subscriptions.count_documents({}) == before

    created = requests.post(url, json={**good, "owner": "agency", "agency": "DLHK",
                                       "city": "depok"}, headers=admin, timeout=10)
    assert created.status_code == 201
    subscription = created.json()
    assert created.headers["Location"] == f"/api/v1/webhooks/{subscription['id']}"
    assert "secret" not in subscription and SECRET not in created.text
    listed = requests.get(url, headers=admin, timeout=10)
    assert subscription["id"] in [s["id"] for s in listed.json()["webhooks"]]
    assert SECRET not in listed.text

    assert requests.delete(f"{url}/{subscription['id']}", headers=admin,
                           timeout=10).status_code == 204
    again = requests.delete(f"{url}/{subscription['id']}", headers=admin, timeout=10)
    assert again.status_code == 404 and again.json()["error"]["code"] == "webhook_not_found"
    assert subscription["id"] not in [
        s["id"] for s in requests.get(url, headers=admin, timeout=10).json()["webhooks"]]


def test_a_receiver_down_then_up_gets_the_event_once_and_signed(
        api, stack, db, settings, subscribe):
    receiver = Receiver(port=free_port())  # nothing listens there yet: the receiver is down
    subscription = subscribe(receiver.url, events=["report.submitted"], owner="city")
    receipt = submit_depok(api)
    try:
        eventually(lambda: (d := _one(db, receipt["id"], subscription["id"]))
                 and d["attempts"] >= 2, every_s=0.02, what="two failed attempts")
        receiver.start()
        delivered = eventually(lambda: _one(db, receipt["id"], subscription["id"], result="sent"),
                             what="delivery")
        # A later report's delivery arriving means the dispatcher has made its later passes:
        # a second attempt at the first delivery would have reached the receiver by then.
        later = submit_depok(api)
        eventually(lambda: _one(db, later["id"], subscription["id"], result="sent"),
                   what="the later report's delivery")
    finally:
        receiver.stop()

    [request] = [r for r in receiver.received if receipt["code"].encode() in r.body]
    assert verify_signature(SECRET, request.headers["X-Aduan-Signature"], request.body)
    assert not verify_signature("another-secret-entirely", request.headers["X-Aduan-Signature"],
                                request.body)
    assert request.headers["X-Aduan-Event"] == "report.submitted"
    assert request.headers["X-Aduan-Delivery"] == delivered["_id"]
    payload = json.loads(request.body)
    assert payload["id"] == delivered["_id"] and payload["event"] == "report.submitted"
    assert payload["report"]["code"] == receipt["code"]
    assert payload["report"]["description"].startswith("Sampah menumpuk")
    assert "reporter" not in payload["report"] and "warga@example.id" not in request.body.decode()
    assert delivered["attempts"] >= 2 and delivered["provider_status"] == "HTTP 200"

    # The broker hands the same event over again: nothing new is scheduled or sent.
    publisher = Publisher(settings)
    publisher.publish(Event("report.submitted", {"report_id": receipt["id"],
                                                 "code": receipt["code"],
                                                 "status": "submitted"},
                            message_id=delivered["message_id"]))
    publisher.close()
    pipeline_settled(api, db)  # the repeated event has been handled by now
    assert len(_webhook_deliveries(db, receipt["id"], subscription["id"])) == 1
    assert len([r for r in receiver.received if receipt["code"].encode() in r.body]) == 1

    port = stack.profile.http_ports["notification"]
    metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert 'aduan_notifications_total{channel="webhook",result="sent"}' in metrics
    assert 'aduan_notifications_total{channel="webhook",result="failed"}' in metrics


def test_a_receiver_that_always_fails_is_parked_after_n_attempts_then_redelivered(
        api, db, settings, subscribe):
    answer = {"status": 500}
    with Receiver(answer=lambda _: answer["status"]) as receiver:
        subscription = subscribe(receiver.url, owner="agency", agency="DLHK")
        receipt = submit_depok(api)
        parked = eventually(lambda: _one(db, receipt["id"], subscription["id"], result="parked"),
                          what="parked delivery")
        assert parked["attempts"] == settings.webhook_max_attempts
        assert len(receiver.received) == settings.webhook_max_attempts
        assert parked["provider_status"] == "HTTP 500"

        listing = f"{api}/webhook-deliveries"
        depok_operator = staff_headers(settings, "operator", "depok")
        listed = requests.get(listing, headers=depok_operator, timeout=10)
        assert listed.status_code == 200
        [shown] = [d for d in listed.json()["deliveries"] if d["id"] == parked["_id"]]
        assert shown["result"] == "parked" and shown["recipient"].endswith("/…")
        padang = requests.get(listing, headers=staff_headers(settings, "operator", "padang"),
                              timeout=10)
        assert parked["_id"] not in [d["id"] for d in padang.json()["deliveries"]]
        bad = requests.get(f"{listing}?result=lost", headers=depok_operator, timeout=10)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_parameter"

        redeliver = f"{listing}/{parked['_id']}/redeliver"
        assert requests.post(redeliver, headers=staff_headers(settings, "operator", "padang"),
                             timeout=10).status_code == 404
        assert requests.post(redeliver, headers=staff_headers(settings, "agency_admin",
                                                              agency="DLHK"),
                             timeout=10).status_code == 403
        unknown = requests.post(f"{listing}/nothing:webhook:here/redeliver",
                                headers=depok_operator, timeout=10)
        assert unknown.status_code == 404

        answer["status"] = 200
        accepted = requests.post(redeliver, headers=depok_operator, timeout=10)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["result"] == "pending" and accepted.json()["redeliveries"] == 1
        delivered = eventually(lambda: _one(db, receipt["id"], subscription["id"], result="sent"),
                             what="redelivered delivery")
        assert delivered["attempts"] == 1
        assert len(receiver.received) == settings.webhook_max_attempts + 1
        last = receiver.received[-1]
        assert last.headers["X-Aduan-Delivery"] == parked["_id"]
        assert verify_signature(SECRET, last.headers["X-Aduan-Signature"], last.body)

        twice = requests.post(redeliver, headers=depok_operator, timeout=10)
        assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_parked"


def test_confidential_reports_reach_only_the_webhooks_allowed_to_see_them(
        api, db, settings, subscribe):
    with Receiver() as receiver:
        base = f"http://127.0.0.1:{receiver.port}"
        city = subscribe(f"{base}/city", owner="city")
        agency = subscribe(f"{base}/agency", owner="agency", agency="DLHK")
        client = subscribe(f"{base}/client", owner="client")
        other_agency = subscribe(f"{base}/pupr", owner="agency", agency="PUPR")
        receipt = submit_depok(api, privacy="confidential",
                               description="Rahasia: pembuangan limbah oleh tetangga saya",
                               reporter={"name": "Pelapor Rahasia", "email": "pr@example.id"})
        for subscription in (city, agency):
            eventually(lambda s=subscription: _one(db, receipt["id"], s["id"], result="sent"),
                     what="delivery")
        pipeline_settled(api, db)  # every delivery this event could cause is scheduled by now
        for subscription in (client, other_agency):
            assert _webhook_deliveries(db, receipt["id"], subscription["id"]) == []
        by_path = {r.path: json.loads(r.body) for r in receiver.received
                   if receipt["code"].encode() in r.body}
        assert set(by_path) == {"/city", "/agency"}
        assert by_path["/city"]["report"]["description"].startswith("Rahasia: pembuangan")
        assert by_path["/city"]["report"]["location"]["lat"] < 0
        assert "description" not in by_path["/agency"]["report"]
        assert "location" not in by_path["/agency"]["report"]
        assert by_path["/agency"]["report"]["kecamatan"]["name"] == "Beji"
        for r in receiver.received:
            assert b"Pelapor Rahasia" not in r.body and b"pr@example.id" not in r.body


def test_deleting_a_subscription_cancels_what_it_had_pending(api, db, settings, subscribe):
    receiver = Receiver(port=free_port())  # down, so the delivery stays pending
    subscription = subscribe(receiver.url, events=["report.submitted"])
    receipt = submit_depok(api)
    eventually(lambda: _one(db, receipt["id"], subscription["id"]), what="scheduled delivery")
    admin = staff_headers(settings, "sysadmin", "depok")
    assert requests.delete(f"{api}/webhooks/{subscription['id']}", headers=admin,
                           timeout=10).status_code == 204
    cancelled = eventually(lambda: _one(db, receipt["id"], subscription["id"],
                                      result="cancelled"), what="cancelled delivery")
    assert cancelled["error"] == "subscription deleted"
    refused = requests.post(f"{api}/webhook-deliveries/{cancelled['_id']}/redeliver",
                            headers=admin, timeout=10)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_deleted"


def test_a_subscription_made_or_deleted_through_the_api_is_in_effect_when_answered(
        api, db, settings, subscribe):
    """Every notification process keeps the subscriptions in memory (services/notification/
    subscription_cache.py): the API answers once each has read the change, so the very next
    report's first event is matched against it, both ways."""
    receiver = Receiver(port=free_port())  # down: the deliveries stay scheduled, in the log
    first = subscribe(receiver.url, events=["report.submitted"])
    before = submit_depok(api)
    eventually(lambda: _one(db, before["id"], first["id"]), what="the new subscription's delivery")

    admin = staff_headers(settings, "sysadmin", "depok")
    assert requests.delete(f"{api}/webhooks/{first['id']}", headers=admin,
                           timeout=10).status_code == 204
    second = subscribe(receiver.url, events=["report.submitted"])
    after = submit_depok(api)
    # Both subscriptions are matched in the one handling of the event: once the second one's
    # delivery is scheduled, the deleted one would have had its own by then.
    eventually(lambda: _one(db, after["id"], second["id"]), what="the second's delivery")
    assert _webhook_deliveries(db, after["id"], first["id"]) == []
    assert _one(db, before["id"], first["id"], result="cancelled")
