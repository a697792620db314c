"""Events are never lost and never take effect twice, through the real broker and workers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from photo_factory import fresh_padang_photo
from stack_client import REPORT, pipeline_settled, submit, wait_for_status
from waiting import eventually

from aduan.contracts.reports import ReportIn
from aduan.infra.messaging import Event, Publisher
from aduan.web.photos import Photo, sniff_image_type
from aduan.web.validation import validate
from services.intake.submission import Intake

pytestmark = pytest.mark.stack


def _mail_count(stack, code: str) -> int:
    return sum(code.encode() in path.read_bytes() for path in stack.maildir.glob("*.eml"))


def test_redelivered_events_have_no_second_effect(api, stack, db, store, settings):
    receipt = submit(api, fresh_padang_photo()).json()
    wait_for_status(api, receipt["code"], {"forwarded"})
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": receipt["id"], "result": "sent"}) == 2, what="both emails sent")
    before = db.reports.find_one({"_id": receipt["id"]})
    mails_before = _mail_count(stack, receipt["code"])
    public_before = store.keys(store.public_bucket, f"padang/{receipt['id']}/")
    assert mails_before == 2 and len(public_before) == 2

    # The broker redelivers every event of this report (same message ids, as after a crash).
    publisher = Publisher(settings)
    for delivery in db.deliveries.find({"report_id": receipt["id"]}):
        message_id = delivery["_id"].split(":")[0]
        status = delivery["event"].removeprefix("report.")
        publisher.publish(Event(delivery["event"], {"report_id": receipt["id"],
                                                    "status": status}, message_id=message_id))
    publisher.publish(Event("report.verified", {"report_id": receipt["id"]}))
    publisher.close()
    pipeline_settled(api, db)  # every consumer has handled the repeats by now

    after = db.reports.find_one({"_id": receipt["id"]})
    assert after["history"] == before["history"]
    assert after["status"] == "forwarded"
    assert _mail_count(stack, receipt["code"]) == mails_before
    assert store.keys(store.public_bucket, f"padang/{receipt['id']}/") == public_before


def test_an_event_the_broker_could_not_take_is_relayed_later(api, db, store, settings):
    # A real publisher whose broker is unreachable: the report must still be stored with its
    # event, acknowledged, and later sent by the outbox relay process of the running stack.
    unreachable = replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    intake = Intake(unreachable, db, store, Publisher(unreachable))
    photo = fresh_padang_photo()
    accepted = intake.submit(validate(ReportIn, REPORT),
                             [Photo(photo, sniff_image_type(photo) or "")], None, "relay-test")
    intake.announce(accepted)  # the publish fails: the event stays in the outbox
    receipt = accepted.receipt
    stored = db.reports.find_one({"_id": receipt["id"]})
    assert stored["status"] == "submitted"
    assert [e["routing_key"] for e in stored["outbox"]] == ["report.submitted"]

    view = wait_for_status(api, receipt["code"], {"forwarded"}, timeout_s=30)
    assert view["agencies"] == ["DLH"]
    # Its last event leaves the outbox once the broker confirmed it, just after the status.
    eventually(lambda: db.reports.find_one({"_id": receipt["id"]})["outbox"] == [], 20,
               "the outbox cleared")


def test_an_event_queued_by_the_earlier_version_without_the_report_is_handled_once(
        api, stack, db, store, settings):
    """A message already queued when this version deploys carries no `report`
    (aduan/infra/report_snapshots.py): verification, routing and the notifier read the report
    instead, and the same event again (the relay's copy, also without the report: the outbox
    holds none and the relay sends none) changes nothing."""
    unreachable = replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    intake = Intake(unreachable, db, store, Publisher(unreachable))
    photo = fresh_padang_photo()
    accepted = intake.submit(validate(ReportIn, REPORT),
                             [Photo(photo, sniff_image_type(photo) or "")], None, "earlier")
    intake.announce(accepted)  # not published: the event waits in the outbox for the relay
    receipt = accepted.receipt
    [entry] = db.reports.find_one({"_id": receipt["id"]})["outbox"]
    assert "report" not in entry["body"]  # the copy is added as the event is published
    # The earlier version's event: the same, without the report. Queued now, well before the
    # relay's copy (it waits until the entry is outbox_relay_after_s old), so handled first.
    earlier = dict(entry["body"])
    publisher = Publisher(settings)
    publisher.publish(Event("report.submitted", earlier, message_id=entry["message_id"],
                            correlation_id="earlier"))
    publisher.close()

    wait_for_status(api, receipt["code"], {"forwarded"}, timeout_s=30)
    eventually(lambda: db.reports.find_one({"_id": receipt["id"]})["outbox"] == [], 20,
               "the relay's copy published")
    pipeline_settled(api, db)  # the relay's copy has been handled by every consumer by now
    report = db.reports.find_one({"_id": receipt["id"]})
    assert [h["to"] for h in report["history"]] == ["submitted", "verifying", "verified",
                                                    "forwarded"]
    assert db.deliveries.count_documents({"report_id": receipt["id"], "result": "sent"}) == 2
    assert _mail_count(stack, receipt["code"]) == 2
