"""Poison messages end in the parking queue; operators list and replay them over the API."""

from __future__ import annotations

import pika
import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import pipeline_settled, submit, wait_for_status
from staff_accounts import make_platform_admin, make_staff
from waiting import eventually

from aduan.infra.messaging import connect, exchange_name

pytestmark = pytest.mark.stack


def _publish_raw(settings, routing_key: str, body: bytes, message_id: str) -> None:
    connection = connect(settings)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(exchange_name(settings), routing_key, body,
                          properties=pika.BasicProperties(delivery_mode=2,
                                                          message_id=message_id,
                                                          type=routing_key))
    connection.close()


def _parked(api, headers, consumer: str) -> list[dict]:
    response = requests.get(f"{api}/ops/queues/{consumer}/parked", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _of_report(items: list[dict], report_id: str) -> list[dict]:
    return [m for m in items if isinstance(m["body"], dict)
            and m["body"].get("report_id") == report_id]


def _at_least(count: int, items: list) -> list | None:
    return items if len(items) >= count else None


def _wait_parked(api, headers, consumer: str, message_id: str, timeout_s: float = 20) -> dict:
    [found] = eventually(lambda: [m for m in _parked(api, headers, consumer)
                                  if m["message_id"] == message_id],
                         timeout_s, f"{message_id} parked by {consumer}", every_s=0.3)
    return found


def test_a_poison_message_is_parked_listed_and_stays_listed(api, db, settings):
    # Its city cannot be read, so only the platform admin sees it (a city's staff see theirs).
    admin = make_platform_admin(api).headers
    _publish_raw(settings, "report.submitted", b"\x00\x01 not json", "poison-1")
    parked = _wait_parked(api, admin, "verification", "poison-1")
    assert parked["attempts"] == 1 and "not JSON" in parked["last_error"]
    # Listing does not consume: it is still there.
    assert any(m["message_id"] == "poison-1" for m in _parked(api, admin, "verification"))
    operator = make_staff(db, api, "operator").headers
    assert not any(m["message_id"] == "poison-1"
                   for m in _parked(api, operator, "verification"))


def test_mail_that_failed_while_smtp_was_down_is_parked_then_replayed(api, db, stack):
    operator = make_staff(db, api, "operator").headers
    stack.stop_process("smtp")
    try:
        receipt = submit(api, fresh_padang_photo()).json()
        wait_for_status(api, receipt["code"], {"forwarded"})
        parked = eventually(lambda: _at_least(2, _of_report(
            _parked(api, operator, "notification"), receipt["id"])), 30,
            "both emails of the report parked", every_s=0.3)
        assert sorted(m["routing_key"] for m in parked) == ["report.forwarded",
                                                            "report.submitted"]
        assert all(m["attempts"] == 3 for m in parked)  # ADUAN_MAX_ATTEMPTS in tests
        # The report each event carries (the reporter's contact in it) is not listed; the
        # replay below sends the messages as they were.
        assert all("report" not in m["body"] and m["body"]["code"] == receipt["code"]
                   for m in parked)
    finally:
        stack.start_smtp()
        stack.wait_infrastructure()

    replay = requests.post(f"{api}/ops/queues/notification/parked/replay", headers=operator,
                           json={"message_ids": [m["message_id"] for m in parked]}, timeout=10)
    assert replay.status_code == 200 and replay.json()["replayed"] == 2
    def mails() -> list:
        return sorted(p for p in stack.maildir.glob("*.eml")
                      if receipt["code"].encode() in p.read_bytes())

    sent = eventually(lambda: _at_least(2, mails()), 20, "both replayed emails sent",
                      every_s=0.3)
    pipeline_settled(api, db)  # a repeat of either email would have been sent by now
    assert len(sent) == 2 and mails() == sent
    assert not _of_report(_parked(api, operator, "notification"), receipt["id"])


def test_replay_needs_an_operator(api, db):
    leader = make_staff(db, api, "leader").headers
    response = requests.post(f"{api}/ops/queues/routing/parked/replay", headers=leader,
                             json={}, timeout=10)
    assert response.status_code == 403
