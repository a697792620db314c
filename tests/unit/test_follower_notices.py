"""Who hears of a report residents follow ("me too"): its public steps and the staff's comments,
while it is public, with the public tracking page and nothing of the reporter (the planner over
an in-memory database, tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime

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
              "at": NOW},
             {"id": "f2", "email": None, "phone": "+6281200000002", "language": "id",
              "at": NOW}]


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
