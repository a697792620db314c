"""Web Push on the real stack: devices subscribe through the gateway, the notification worker
encrypts and signs each message and POSTs it to the suite's push service (tests/push_double.py,
which checks the VAPID signature and decrypts with the keys the test made), once per event and
device, retried when the push service fails, and never with anything of the reporter."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from photo_factory import fresh_padang_photo
from push_double import DROP, TRICKLE, PushDouble, PushReceived, subscription_id
from stack_client import REPORT, pipeline_settled
from waiting import eventually
from workflow_client import act, bearer, bring_to

from aduan.domain.roles import OPERATOR
from aduan.infra.config import Settings
from aduan.infra.messaging import Event, Publisher
from services.intake import comments
from services.notification.push_subscriptions import endpoint_key

pytestmark = pytest.mark.stack

# What the reporter gave (stack_client.REPORT): none of it may travel in a push message.
PERSONAL = (REPORT["reporter"]["name"], REPORT["reporter"]["email"], REPORT["description"])


@pytest.fixture(scope="module")
def push(settings: Settings) -> Iterator[PushDouble]:
    with PushDouble(vapid_public_key=settings.vapid_public_key) as double:
        yield double
    assert not double.refusals, double.refusals  # every POST was signed and encrypted right


def subscribe(api: str, code: str, subscription: dict[str, Any], token: str | None = None,
              language: str = "id") -> requests.Response:
    headers = {"X-Reporter-Token": token} if token else {}
    return requests.post(f"{api}/reports/{code}/push", headers=headers, timeout=10,
                         json={"subscription": subscription, "language": language})


def device(api: str, push: PushDouble, code: str, token: str | None = None,
           language: str = "id") -> tuple[dict[str, Any], str]:
    subscription = push.subscription()
    answer = subscribe(api, code, subscription, token, language)
    assert answer.status_code == 201, answer.text
    assert answer.json()["role"] == ("reporter" if token else "follower")
    return subscription, subscription_id(subscription)


def forwarded(api: str, settings: Settings, db, **changes: Any) -> dict[str, Any]:
    """A report brought to "forwarded" whose news of it has gone out (the reporter's email),
    so a device subscribed from now on hears only of what happens next."""
    report = bring_to(api, settings, "forwarded", **changes)
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": report["_id"], "event": "report.forwarded", "result": "sent"}), 60,
        f"{report['code']}'s forwarding told")
    return report


def agency(settings: Settings, report: dict[str, Any]) -> dict[str, str]:
    return bearer(settings, "agency_admin", agency=report["workflow"]["agencies"][0]["code"])


def step(api: str, settings: Settings, report: dict[str, Any], action: str) -> None:
    if action == "resolve_with_photo":
        done = act(api, report["code"], "resolve", agency(settings, report),
                   {"note": "Sudah ditangani"}, photo=fresh_padang_photo())
        assert done.status_code == 200, done.text
        return
    done = act(api, report["code"], action, agency(settings, report))
    assert done.status_code == 200, done.text


def no_personal_data(message: PushReceived) -> None:
    text = message.raw.decode()
    for personal in PERSONAL:
        assert personal not in text, f"{personal!r} travelled in a push message"
    assert set(message.payload) == {"code", "title", "body", "url", "stage", "status"}


def push_deliveries(db, report_id: str) -> list[dict[str, Any]]:
    return list(db.deliveries.find({"report_id": report_id, "channel": "push"}))


def test_the_key_is_served_and_bad_subscriptions_are_refused(api, settings, push, db):
    key = requests.get(f"{api}/push/key", timeout=10)
    assert key.status_code == 200 and key.json() == {"public_key": settings.vapid_public_key}
    report = forwarded(api, settings, db)
    secret = forwarded(api, settings, db, privacy="confidential")
    good = push.subscription()
    p256dh, auth = good["keys"]["p256dh"], good["keys"]["auth"]
    off_curve = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).rstrip(b"=").decode()
    cases = [
        ({"endpoint": "http://localhost:9/push/x", "keys": good["keys"]},
         "push_endpoint_not_https"),
        ({"endpoint": "ftp://127.0.0.1/push/x", "keys": good["keys"]}, "push_endpoint_not_https"),
        ({"endpoint": "https://10.1.2.3/push/x", "keys": good["keys"]},
         "push_address_not_allowed"),
        ({"endpoint": "https://push.example.com/x", "keys": good["keys"]},
         "push_host_not_allowed"),
        ({"endpoint": "", "keys": good["keys"]}, "invalid_push_endpoint"),
        ({"endpoint": good["endpoint"] + "x" * 2100, "keys": good["keys"]},
         "invalid_push_endpoint"),
        ({"endpoint": good["endpoint"]}, "invalid_push_keys"),
        ({"endpoint": good["endpoint"], "keys": {"p256dh": p256dh[:-4], "auth": auth}},
         "invalid_push_keys"),
        ({"endpoint": good["endpoint"], "keys": {"p256dh": off_curve, "auth": auth}},
         "invalid_push_keys"),
        ({"endpoint": good["endpoint"], "keys": {"p256dh": p256dh, "auth": auth + "AAAA"}},
         "invalid_push_keys"),
        ({"endpoint": good["endpoint"], "keys": {"p256dh": p256dh, "auth": "!!notbase64!!"}},
         "invalid_push_keys"),
        ("https://push.example.com/x", "invalid_push_subscription"),
    ]
    for subscription, code in cases:
        answer = subscribe(api, report["code"], subscription)  # type: ignore[arg-type]
        assert answer.status_code == 422, (subscription, answer.text)
        assert answer.json()["error"]["code"] == code, (subscription, answer.text)
    odd = [
        (requests.post(f"{api}/reports/{report['code']}/push", data="{}", timeout=10,
                       headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type"),
        (requests.post(f"{api}/reports/{report['code']}/push", data="{", timeout=10,
                       headers={"Content-Type": "application/json"}), 400, "invalid_json"),
        (requests.post(f"{api}/reports/{report['code']}/push", timeout=10,
                       json={"subscription": good, "language": "fr"}), 422, "invalid_language"),
        (requests.post(f"{api}/reports/{report['code']}/push", timeout=10,
                       json={"subscription": good, "email": "x@example.id"}), 422,
         "invalid_push_subscription"),
        # A wrong token is a missing report (never a quiet fall back to following); a
        # confidential report cannot be followed; a code that does not exist is missing.
        (subscribe(api, report["code"], good, token="wrong-token"), 404, "report_not_found"),
        (subscribe(api, secret["code"], good), 404, "report_not_found"),
        (subscribe(api, "PDG-0000-XXXX", good), 404, "report_not_found"),
        (requests.delete(f"{api}/push/subscriptions", json={}, timeout=10), 422,
         "invalid_push_endpoint"),
    ]
    for answer, status, code in odd:
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert db.push_subscriptions.count_documents(
        {"report_id": {"$in": [report["_id"], secret["_id"]]}}) == 0


def test_a_status_change_reaches_the_reporters_device_once(api, settings, push, db, tap):
    report = forwarded(api, settings, db)
    code = report["code"]
    _, sid = device(api, push, code, report["token"], "en")
    again = subscribe(api, code, push.subscription(), report["token"])  # another device
    assert again.status_code == 201

    step(api, settings, report, "accept")
    [message] = push.wait_for(sid)
    assert message.payload["code"] == code and message.payload["url"] == f"/#/track/{code}"
    assert message.payload["status"] == "accepted"
    assert message.payload["title"] == f"{code}: Accepted"
    assert message.payload["body"] == "Your report is now accepted by the agency."
    assert message.claims["sub"] == settings.vapid_subject
    assert message.headers.get("TTL") == str(settings.push_ttl_s)
    no_personal_data(message)

    # The broker hands the worker the same event again (same message id, as after a crash):
    # the delivery log has it, nothing is pushed twice.
    [accepted] = tap.wait(report["_id"], "report.status_changed")
    logged = push_deliveries(db, report["_id"])[0]
    publisher = Publisher(settings)
    publisher.publish(Event("report.status_changed", accepted,
                            message_id=logged["message_id"]))
    publisher.close()
    pipeline_settled(api, db)
    assert len(push.messages(sid)) == 1 and push.attempts(sid) == [201]
    recorded = [d for d in push_deliveries(db, report["_id"])
                if d["message_id"] == logged["message_id"]]
    assert len(recorded) == 2 and all(d["result"] == "sent" for d in recorded)
    # The log names the device by its host and a digest, never by its endpoint.
    assert all(d["recipient"].startswith("push:127.0.0.1#") for d in recorded)
    assert not any(sid in d["recipient"] for d in recorded)


def test_a_failing_push_service_is_tried_again(api, settings, push, db):
    report = forwarded(api, settings, db)
    _, sid = device(api, push, report["code"], report["token"])
    push.answer(sid, 500)  # once
    step(api, settings, report, "accept")
    [message] = push.wait_for(sid)
    assert message.payload["status"] == "accepted"
    assert push.attempts(sid) == [500, 201]

    push.answer(sid, 429)  # too many requests, once
    step(api, settings, report, "start")
    messages = push.wait_for(sid, 2)
    assert [m.payload["status"] for m in messages] == ["accepted", "in_progress"]
    assert push.attempts(sid) == [500, 201, 429, 201]

    push.answer(sid, DROP)  # the connection breaks without an answer, once
    step(api, settings, report, "resolve_with_photo")
    messages = push.wait_for(sid, 3)
    assert messages[2].payload["status"] == "resolved"
    assert push.attempts(sid) == [500, 201, 429, 201, DROP, 201]
    logged = push_deliveries(db, report["_id"])
    assert sorted(d["attempts"] for d in logged) == [2, 2, 2]
    assert {d["result"] for d in logged} == {"sent"}


def test_a_subscription_the_push_service_says_is_gone_is_removed(api, settings, push, db):
    first = forwarded(api, settings, db)
    second = forwarded(api, settings, db)
    subscription, sid = device(api, push, first["code"], first["token"])
    assert subscribe(api, second["code"], subscription, second["token"]).status_code == 201
    key = endpoint_key(subscription["endpoint"])
    assert db.push_subscriptions.count_documents({"endpoint_key": key}) == 2

    push.answer_always(sid, 410)  # the browser dropped the subscription
    step(api, settings, first, "accept")
    assert push.wait_for_attempts(sid, 1) == [410]
    eventually(lambda: db.push_subscriptions.count_documents({"endpoint_key": key}) == 0, 30,
               "every subscription of the gone endpoint removed")
    eventually(lambda: [d["result"] for d in push_deliveries(db, first["_id"])] == ["rejected"],
               30, "the push delivery recorded as refused for good")

    # The other report moves too: no attempt is made to the gone endpoint.
    step(api, settings, second, "accept")
    pipeline_settled(api, db)
    assert push.attempts(sid) == [410]
    assert push_deliveries(db, second["_id"]) == []


def test_a_device_the_push_service_does_not_know_404_is_removed_too(api, settings, push, db):
    report = forwarded(api, settings, db)
    subscription, sid = device(api, push, report["code"], report["token"])
    push.answer_always(sid, 404)
    step(api, settings, report, "accept")
    assert push.wait_for_attempts(sid, 1) == [404]
    eventually(lambda: db.push_subscriptions.count_documents(
        {"endpoint_key": endpoint_key(subscription["endpoint"])}) == 0, 30,
        "the unknown endpoint's subscription removed")
    eventually(lambda: [d["result"] for d in push_deliveries(db, report["_id"])] == ["rejected"],
               30, "the push delivery recorded as refused for good")
    step(api, settings, report, "start")
    pipeline_settled(api, db)
    assert push.attempts(sid) == [404]  # never tried again


def test_a_push_service_that_trickles_its_answer_does_not_hold_the_worker(
        api, settings, push, db):
    """The push service answers 201 and then sends its body a byte at a time, forever: the
    send gives up reading after ADUAN_PUSH_TIMEOUT_S (2 s here), and the worker goes on to
    the next event (another report's email)."""
    report = forwarded(api, settings, db)
    _, sid = device(api, push, report["code"], report["token"])
    push.answer_always(sid, TRICKLE)
    step(api, settings, report, "accept")
    assert push.wait_for_attempts(sid, 1) == [TRICKLE]
    other = forwarded(api, settings, db)  # its forwarding told by email: the worker moved on
    eventually(lambda: [d["result"] for d in push_deliveries(db, report["_id"])] == ["sent"],
               30, "the push recorded as sent (the service said 201)")
    eventually(lambda: push.trickling == 0, 30, "the worker closed the trickling connection")
    push.answer_always(sid, None)
    assert other["code"] != report["code"] and push.attempts(sid) == [TRICKLE]


def test_a_follower_hears_the_public_steps_and_nothing_of_the_reporter(api, settings, push,
                                                                         db):
    report = forwarded(api, settings, db)
    code = report["code"]
    _, reporter = device(api, push, code, report["token"])
    _, follower = device(api, push, code, language="en")

    step(api, settings, report, "accept")
    [heard] = push.wait_for(follower)
    assert heard.payload["body"] == "The report you follow is now accepted by the agency."
    assert heard.payload["url"] == f"/#/track/{code}"
    no_personal_data(heard)
    [told] = push.wait_for(reporter)
    assert told.payload["body"] == "Status laporan Anda sekarang: diterima instansi."

    # The agency answers in a comment: both devices hear who answered, not what was written.
    staff_text = "Petugas kami datang besok pagi"
    commented = requests.post(f"{api}/reports/{code}/comments", json={"text": staff_text},
                              headers=agency(settings, report), timeout=10)
    assert commented.status_code in (200, 201), commented.text
    heard_comment = push.wait_for(follower, 2)[1]
    assert heard_comment.payload["title"] == f"New response: {code}"
    assert "responded to the report you follow" in heard_comment.payload["body"]
    assert staff_text not in heard_comment.raw.decode()
    assert "menanggapi laporan Anda" in push.wait_for(reporter, 2)[1].payload["body"]

    # The reporter's own comment is theirs: no device hears of it.
    mine = requests.post(f"{api}/reports/{code}/comments", json={"text": "Terima kasih"},
                         headers={"X-Reporter-Token": report["token"]}, timeout=10)
    assert mine.status_code in (200, 201), mine.text
    pipeline_settled(api, db)
    assert len(push.messages(follower)) == 2 and len(push.messages(reporter)) == 2


def test_a_confidential_report_pushes_to_its_reporter_only_and_nothing_personal(
        api, settings, push, db):
    report = forwarded(api, settings, db, privacy="confidential")
    refused = subscribe(api, report["code"], push.subscription())
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "report_not_found")
    _, sid = device(api, push, report["code"], report["token"])
    step(api, settings, report, "accept")
    [message] = push.wait_for(sid)
    no_personal_data(message)
    assert [d["audience"] for d in push_deliveries(db, report["_id"])] == ["reporter"]


def test_unsubscribed_devices_hear_nothing_more(api, settings, push, db):
    first = forwarded(api, settings, db)
    second = forwarded(api, settings, db)
    subscription, sid = device(api, push, first["code"], first["token"])
    assert subscribe(api, second["code"], subscription).status_code == 201
    endpoint = {"endpoint": subscription["endpoint"]}

    # One report: that one falls silent, the other still speaks.
    gone = requests.delete(f"{api}/reports/{first['code']}/push", json=endpoint, timeout=10)
    assert gone.status_code == 204, gone.text
    step(api, settings, first, "accept")
    step(api, settings, second, "accept")
    [message] = push.wait_for(sid)
    assert message.payload["code"] == second["code"]

    # Every report (the app's "turn off"); unknown endpoints are answered the same.
    for body in (endpoint, {"endpoint": "https://push.example.com/never-subscribed"}):
        off = requests.delete(f"{api}/push/subscriptions", json=body, timeout=10)
        assert off.status_code == 204, off.text
    step(api, settings, second, "start")
    pipeline_settled(api, db)
    assert len(push.messages(sid)) == 1 and push.attempts(sid) == [201]
    assert db.push_subscriptions.count_documents(
        {"endpoint_key": endpoint_key(subscription["endpoint"])}) == 0


def push_reads(stack) -> float:
    """The notification processes' reads of push subscriptions so far (the HTTP service and
    its worker share one registry folder, served on the service's /metrics)."""
    port = stack.profile.http_ports["notification"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("aduan_database_commands_seconds_count{")
               and 'command="find"' in line and 'collection="push_subscriptions"' in line)


def test_a_report_no_device_subscribed_to_costs_no_read_of_subscriptions(
        api, settings, push, db, stack):
    report = forwarded(api, settings, db)
    pipeline_settled(api, db)
    before = push_reads(stack)
    step(api, settings, report, "accept")
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": report["_id"], "event": "report.status_changed", "result": "sent"}), 60,
        f"{report['code']}'s acceptance told by email")
    pipeline_settled(api, db)
    assert push_reads(stack) == before
    assert "push_subscribed" not in db.reports.find_one({"_id": report["_id"]})

    # Once a device subscribes, the report is marked and its next step is read for and pushed.
    _, sid = device(api, push, report["code"], report["token"])
    assert db.reports.find_one({"_id": report["_id"]})["push_subscribed"] is True
    subscribed = push_reads(stack)
    step(api, settings, report, "start")
    [message] = push.wait_for(sid)
    assert message.payload["status"] == "in_progress"
    assert push_reads(stack) > subscribed


def test_a_device_subscribed_while_a_comment_is_written_hears_of_it(
        api, settings, push, db, store):
    """The device subscribes between the moment a staff member's comment read the report
    (unmarked) and its write: the write, made only where the mark is as read, misses and is
    made again from the report as it now is, so its event carries the mark and the device
    hears of the comment. The comment is written by the intake's own code, from the report as
    the API read it before the device registered; a step after it is heard too."""
    report = forwarded(api, settings, db)
    read_before = db.reports.find_one({"_id": report["_id"]})
    _, sid = device(api, push, report["code"], report["token"])
    assert db.reports.find_one({"_id": report["_id"]})["push_subscribed"] is True
    publisher = Publisher(settings)
    try:
        comments.add_comment(settings, db, store, read_before, OPERATOR, "op-push",
                             "Petugas kami menuju lokasi.", None, None, publisher)
    finally:
        publisher.close()
    [heard] = push.wait_for(sid)
    assert heard.payload["status"] == "forwarded"
    no_personal_data(heard)
    step(api, settings, report, "accept")
    assert push.wait_for(sid, 2)[1].payload["status"] == "accepted"
