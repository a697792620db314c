"""Accepting a report (services/intake/submission.py) over in-memory collaborators: the
receipt, the report created by the lifecycle with its event in the outbox, publishing after
the answer, idempotent retries and tracking-code collisions. The integration tests prove the
same through the gateway on the real servers."""

from __future__ import annotations

import pytest
from fakes import FakePublisher, FakeStore, fake_db
from photo_factory import fresh_padang_photo
from pymongo.errors import DuplicateKeyError
from stack_client import REPORT

from aduan.contracts.reports import ReportIn
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.report_snapshots import snapshot_in, without_snapshot
from aduan.infra.tokens import token_matches
from aduan.web.errors import ApiError
from aduan.web.photos import Photo
from aduan.web.validation import validate
from services.intake import submission
from services.intake.submission import Intake

SETTINGS = Settings(public_base_url="https://aduan.example")
PHOTO = Photo(fresh_padang_photo(), "image/jpeg")


@pytest.fixture
def intake() -> Intake:
    return Intake(SETTINGS, fake_db(), FakeStore(), FakePublisher())


def payload(**changes) -> ReportIn:
    return validate(ReportIn, {**REPORT, **changes})


def raw_keys(intake: Intake) -> list[str]:
    return intake.store.keys(intake.store.raw_bucket)


def test_a_report_is_stored_with_its_event_and_announced_after_the_answer(intake):
    accepted = intake.submit(payload(), [PHOTO], None, "req-1")
    receipt = accepted.receipt
    assert receipt["status"] == "submitted" and receipt["id"] == accepted.report_id
    # The console's tracking page; the filing client's link adds the token in the fragment.
    assert receipt["tracking_url"] == f"https://aduan.example/#/track/{receipt['code']}"
    assert receipt["tracking_link"] == f"{receipt['tracking_url']}/{receipt['token']}"
    assert token_matches(reporter_token_keys(SETTINGS), receipt["id"], receipt["token"])
    report = intake.db.reports.find_one({"_id": receipt["id"]})
    assert report["code"] == receipt["code"] and report["status"] == "submitted"
    assert report["city"] == "padang" and report["request_id"] == "req-1"
    assert report["geo"]["coordinates"] == [REPORT["location"]["lon"], REPORT["location"]["lat"]]
    [entry] = report["history"]
    assert (entry["from"], entry["to"], entry["actor"]["kind"]) == (None, "submitted", "reporter")
    [photo] = report["photos"]
    assert raw_keys(intake) == [photo["raw_key"]] and photo["size"] == len(PHOTO.data)
    # Stored with its event before the answer; published beside it.
    [stored] = report["outbox"]
    assert stored["routing_key"] == "report.submitted" and stored["correlation_id"] == "req-1"
    assert intake.reports.publisher.published == []
    intake.announce(accepted)
    [event] = intake.reports.publisher.published
    assert event.message_id == stored["message_id"]
    # The outbox holds the event without the report's copy; the one published carries it.
    assert snapshot_in(stored["body"]) is None
    assert snapshot_in(event.body)["code"] == receipt["code"]
    assert without_snapshot(event.body) == stored["body"] and event.body["status"] == "submitted"
    assert intake.db.reports.find_one({"_id": receipt["id"]})["outbox"] == []


def test_with_the_broker_down_the_event_waits_in_the_outbox(intake):
    intake.reports.publisher.down = True
    accepted = intake.submit(payload(), [PHOTO], None, None)
    intake.announce(accepted)  # does not raise: the relay sends it later
    report = intake.db.reports.find_one({"_id": accepted.report_id})
    assert [e["routing_key"] for e in report["outbox"]] == ["report.submitted"]


def test_a_retry_with_the_same_key_is_answered_as_the_first(intake):
    first = intake.submit(payload(), [PHOTO], "key-1", None)
    again = intake.submit(payload(), [PHOTO], "key-1", None)
    assert again.receipt == first.receipt and again.events == []
    assert intake.db.reports.count_documents({}) == 1
    assert len(raw_keys(intake)) == 1  # the retry stored no photo
    other = intake.submit(payload(), [PHOTO], "key-2", None)
    assert other.report_id != first.report_id


def test_a_key_reused_for_another_request_is_refused(intake):
    intake.submit(payload(), [PHOTO], "key-1", None)
    with pytest.raises(ApiError) as refused:
        intake.submit(payload(description="Lampu jalan mati sejak seminggu"), [PHOTO], "key-1",
                      None)
    assert (refused.value.status, refused.value.code) == (422, "idempotency_key_reused")
    assert intake.db.reports.count_documents({}) == 1


def test_a_code_already_taken_is_drawn_again(intake, monkeypatch):
    taken = intake.submit(payload(), [PHOTO], None, None).receipt["code"]
    draws = iter([taken, "PDG-2026-7KQ-4M9-X2B"])
    monkeypatch.setattr(submission, "tracking_code", lambda city, now: next(draws))
    accepted = intake.submit(payload(), [PHOTO], None, None)
    assert accepted.receipt["code"] == "PDG-2026-7KQ-4M9-X2B"
    report = intake.db.reports.find_one({"_id": accepted.report_id})
    assert report["code"] == "PDG-2026-7KQ-4M9-X2B"
    [stored] = report["outbox"]
    assert stored["body"]["code"] == "PDG-2026-7KQ-4M9-X2B"
    assert accepted.events[0].body["code"] == "PDG-2026-7KQ-4M9-X2B"


def test_when_every_draw_collides_nothing_is_kept(intake, monkeypatch):
    taken = intake.submit(payload(), [PHOTO], None, None).receipt["code"]
    kept = raw_keys(intake)
    monkeypatch.setattr(submission, "tracking_code", lambda city, now: taken)
    with pytest.raises(DuplicateKeyError):
        intake.submit(payload(), [PHOTO], None, None)
    assert intake.db.reports.count_documents({}) == 1
    assert raw_keys(intake) == kept  # the new report's photo was deleted
