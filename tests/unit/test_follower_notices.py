"""Who hears of a report residents follow ("me too"): its public steps and the staff's comments,
while it is public, with the public tracking page and nothing of the reporter, to confirmed
followers only; a pending follower hears one thing, the message that asks them to confirm (the
planner over an in-memory database, tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import fake_db

from aduan.infra.config import Settings
from services.notification.audiences import Planner

SETTINGS = Settings(public_base_url="https://aduan.example", sms_url="http://sms.invalid/send")
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
CODE = "PDG-2026-7KQ-4M9-XAA"


def _report(**fields) -> dict:
    return {"_id": "r1", "code": CODE, "city": "padang", "category": "waste",
            "description": "Sampah menumpuk", "status": "forwarded", "privacy": "public",
            "location": {"lat": -0.95, "lon": 100.4}, "created_at": NOW,
            "agencies": [{"code": "DLH", "status": "forwarded"}], "history": [],
            "reporter": {"name": "Siti", "email": "siti@example.id", "phone": "081234567890",
                         "language": "id"}, **fields}


FOLLOWERS = [{"id": "f1", "email": "tetangga@example.id", "phone": None, "language": "en",
              "at": NOW, "requested_at": NOW, "confirmed_at": NOW},
             {"id": "f2", "email": None, "phone": "+6281200000002", "language": "id",
              "at": NOW, "requested_at": NOW, "confirmed_at": NOW}]
RECENT = datetime.now(UTC) - timedelta(minutes=5)
PENDING = [{"id": "p1", "email": "orang.lain@example.id", "phone": None, "language": "en",
            "at": RECENT, "requested_at": RECENT, "confirmed_at": None},
           {"id": "p2", "email": None, "phone": "+6281200000009", "language": "id",
            "at": RECENT, "requested_at": RECENT, "confirmed_at": None}]


def _heard(report: dict, key: str, **body) -> list:
    planner = Planner(SETTINGS, fake_db())
    notices = planner.plan(key, {"report_id": report["_id"], "code": report["code"], **body},
                           report)
    return [n for n in notices if n.audience == "follower"]


def test_followers_hear_a_public_report_s_steps_without_the_reporter():
    report = _report(status="in_progress", followers=FOLLOWERS)
    notices = _heard(report, "report.status_changed", status="in_progress")
    assert {(n.channel, n.address) for n in notices} == {
        ("email", "tetangga@example.id"), ("sms", "+6281200000002")}
    email = next(n for n in notices if n.channel == "email").email
    assert email.subject == f"Report you follow {report['code']}: in progress"
    assert f"https://aduan.example/#/track/{report['code']}" in email.text
    # Their own link stops them; the SMS has no room for it.
    assert f"https://aduan.example/#/unfollow/{report['code']}/f1/" in email.text
    assert "#/unfollow/" not in next(n for n in notices if n.channel == "sms").sms
    for text in (email.text, next(n for n in notices if n.channel == "sms").sms):
        assert "Siti" not in text and "siti@" not in text and "/api/v1" not in text


@pytest.mark.parametrize("changes, key, body", [
    ({"privacy": "confidential"}, "report.status_changed", {"status": "in_progress"}),
    ({"status": "rejected"}, "report.rejected", {"status": "rejected"}),
    ({}, "report.sla_breached", {"agency": "DLH", "kind": "follow_up"}),
])
def test_followers_hear_nothing_the_public_may_not_read(changes, key, body):
    report = _report(followers=FOLLOWERS, **changes)
    assert _heard(report, key, **body) == []


def test_followers_hear_the_staff_s_comments_but_not_the_reporter_s():
    comments = [{"id": "c1", "by": "agency_admin", "agency": "DLH", "text": "Besok dibersihkan",
                 "at": NOW},
                {"id": "c2", "by": "reporter", "text": "Nomor saya 0812", "at": NOW}]
    report = _report(followers=FOLLOWERS, comments=comments)
    staff = _heard(report, "report.commented", comment_id="c1", author="agency_admin")
    assert {n.channel for n in staff} == {"email", "sms"}
    assert "Besok dibersihkan" in next(n for n in staff if n.channel == "email").email.text
    assert _heard(report, "report.commented", comment_id="c2", author="reporter") == []


def test_a_pending_follower_hears_nothing_of_the_report():
    comments = [{"id": "c1", "by": "agency_admin", "agency": "DLH", "text": "Besok", "at": NOW}]
    report = _report(status="in_progress", followers=FOLLOWERS + PENDING, comments=comments)
    for key, body in (("report.status_changed", {"status": "in_progress"}),
                      ("report.commented", {"comment_id": "c1", "author": "agency_admin"})):
        assert {n.address for n in _heard(report, key, **body)} == {
            "tetangga@example.id", "+6281200000002"}


def test_a_pending_follower_is_asked_once_to_confirm_with_their_own_link():
    report = _report(followers=FOLLOWERS + PENDING)
    [email] = _heard(report, "report.follow_requested", follower_id="p1")
    assert (email.channel, email.address) == ("email", "orang.lain@example.id")
    assert email.email.subject == f"Confirm: follow report {CODE}?"
    assert f"https://aduan.example/#/follow/{CODE}/p1/" in email.email.text
    assert "Siti" not in email.email.text and "#/unfollow/" not in email.email.text
    [sms] = _heard(report, "report.follow_requested", follower_id="p2")
    assert sms.channel == "sms" and f"#/follow/{CODE}/p2/" in sms.sms
    assert sms.sms.startswith("Aduan: konfirmasi")
    # Confirmed already, expired, or unknown: no message.
    expired = {**PENDING[0], "requested_at": NOW - timedelta(days=30)}
    for follower_id, followers in (("f1", FOLLOWERS), ("p1", [expired]), ("zz", PENDING)):
        assert _heard(_report(followers=followers), "report.follow_requested",
                      follower_id=follower_id) == []


def test_followers_stored_before_double_opt_in_still_hear():
    legacy = [{"id": "f0", "email": "lama@example.id", "phone": None, "language": "id",
               "at": NOW}]
    report = _report(status="in_progress", followers=legacy)
    assert [n.address for n in _heard(report, "report.status_changed", status="in_progress")] \
        == ["lama@example.id"]
