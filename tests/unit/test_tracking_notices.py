"""The messages of tracking (services/notification/audiences.py): a comment tells the other
side, a step's public response reaches the reporter, a referral names the body and how to reach
it and mails the body's desk, and the reporter's link carries their token in the fragment while
staff get the staff page. Over an in-memory database (tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes import fake_db

from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import reporter_token
from services.notification.audiences import Planner
from services.notification.privacy import webhook_payload

SETTINGS = Settings(sms_url="http://sms.invalid/send", public_base_url="https://aduan.example")
NOW = datetime(2026, 11, 23, 5, 0, 0, 123456, tzinfo=UTC)
CODE = "DPK-2026-3HW-6P2-Z9C"
LINK = f"https://aduan.example/#/track/{CODE}/{reporter_token(reporter_token_keys(SETTINGS), 'r1')}"


def _user(user_id: str, role: str, agency: str | None = None) -> dict:
    return {"_id": user_id, "username": user_id, "role": role, "city": "depok", "agency": agency,
            "email": f"{user_id}@depok.example.go.id", "phone": None, "language": "id",
            "disabled": False}


def _report(**fields) -> dict:
    return {"_id": "r1", "code": CODE, "city": "depok", "category": "waste",
            "description": "Sampah menumpuk", "status": "accepted", "privacy": "anonymous",
            "location": {"lat": -6.37, "lon": 106.82},
            "kecamatan": {"code": "beji", "name": "Beji"},
            "reporter": {"name": "Siti", "email": "siti@example.id", "phone": "081234567890",
                         "language": "id"},
            "agencies": [{"code": "DLH", "status": "accepted"},
                         {"code": "PUPR", "status": "withdrawn"}],
            "comments": [], "history": [], **fields}


@pytest.fixture
def planner() -> Planner:
    db = fake_db()
    # What the user API and the catalogue would have stored: the planner only reads them.
    db.users.insert_many([_user("admin-dlh", "agency_admin", "DLH"),
                          _user("admin-pupr", "agency_admin", "PUPR"),
                          _user("operator", "operator")])
    db.agencies.insert_many([
        {"_id": "depok:DLH", "city": "depok", "code": "DLH", "name_id": "Dinas Lingkungan Hidup",
         "name_en": "Environment Agency", "kind": "opd"},
        {"_id": "depok:PDAM", "city": "depok", "code": "PDAM", "kind": "vertical",
         "name_id": "Perumda Air Minum", "name_en": "Water utility",
         "contact": {"email": "pengaduan@pdam.example.id", "phone": "021 777"}},
    ])
    return Planner(SETTINGS, db)


def _comment(by: str, text: str, agency: str | None = None) -> dict:
    return {"id": "c1", "at": NOW, "by": by, "author_id": None, "text": text, "agency": agency}


def test_the_reporter_s_comment_goes_to_the_agencies_holding_the_report(planner):
    report = _report(comments=[_comment("reporter", "Masih menumpuk")])
    notices = planner.plan("report.commented", {"author": "reporter", "comment_id": "c1"}, report)
    assert [(n.audience, n.address) for n in notices] == [
        ("agency_admin", "admin-dlh@depok.example.go.id")]  # PUPR no longer holds it
    [notice] = notices
    assert "Masih menumpuk" in notice.email.text and "Siti" not in notice.email.text
    assert f"https://aduan.example/#/staff/report/{CODE}" in notice.email.text
    # No agency holds it yet: the operators.
    waiting = {**report, "status": "verified", "agencies": []}
    assert [n.address for n in planner.plan("report.commented", {"comment_id": "c1"}, waiting)
            ] == ["operator@depok.example.go.id"]


def test_a_staff_comment_goes_to_the_reporter_with_their_link(planner):
    report = _report(comments=[_comment("agency_admin", "Dijadwalkan besok", "DLH")])
    notices = planner.plan("report.commented", {"author": "agency_admin", "agency": "DLH",
                                                "comment_id": "c1"}, report)
    assert [(n.audience, n.channel) for n in notices] == [("reporter", "email"),
                                                          ("reporter", "sms")]
    email, sms = notices
    assert "Dinas Lingkungan Hidup menulis" in email.email.text
    assert "Dijadwalkan besok" in email.email.text and LINK in email.email.text
    assert LINK in sms.sms
    # A comment the report does not hold (a redelivery after a purge) tells no one.
    assert planner.plan("report.commented", {"comment_id": "zz"}, report) == []


def test_a_step_s_public_response_reaches_the_reporter(planner):
    # History as BSON stores it: milliseconds only.
    entry = {"at": NOW.replace(microsecond=123000), "from": "forwarded", "to": "accepted",
             "public_response": "Petugas meluncur hari ini."}
    report = _report(history=[entry])
    body = {"status": "accepted", "occurred_at": NOW.isoformat()}
    [email, _] = planner.plan("report.status_changed", body, report)
    assert "Tanggapan:\nPetugas meluncur hari ini." in email.email.text
    other = {"status": "accepted", "occurred_at": NOW.replace(second=9).isoformat()}
    [email, _] = planner.plan("report.status_changed", other, report)
    assert "Tanggapan" not in email.email.text


def test_a_referral_names_the_body_and_mails_its_desk(planner):
    referral = {"code": "PDAM", "name_id": "Perumda Air Minum", "name_en": "Water utility",
                "contact": {"phone": "021 777"}}
    report = _report(status="referred", agencies=[], referral=referral)
    notices = planner.plan("report.referred", {"status": "referred", "referral": referral},
                           report)
    by_audience = {(n.audience, n.channel): n for n in notices}
    told = by_audience[("reporter", "email")].email.text
    assert "Perumda Air Minum" in told and "Telepon: 021 777" in told
    assert "dirujuk ke Perumda Air Minum 021 777" in by_audience[("reporter", "sms")].sms
    # The desk's email is the catalogue's now (added after the referral was recorded).
    desk = by_audience[("vertical_body", "email")]
    assert desk.address == "pengaduan@pdam.example.id"
    text = desk.email.text
    assert "Sampah menumpuk" in text and "siti@example.id" not in text and "Siti" not in text
    assert f"https://aduan.example/#/track/{CODE}" in text and LINK not in text


@pytest.mark.parametrize("privacy", ["public", "confidential"])
def test_a_body_outside_the_city_never_learns_who_reported(planner, privacy):
    referral = {"code": "PDAM", "name_id": "Perumda Air Minum", "name_en": "Water utility"}
    report = _report(status="referred", agencies=[], referral=referral, privacy=privacy)
    notices = planner.plan("report.referred", {"status": "referred", "referral": referral},
                           report)
    [desk] = [n for n in notices if n.audience == "vertical_body"]
    text = desk.email.text
    assert "Sampah menumpuk" in text and "Siti" not in text and "081234567890" not in text
    assert "Pelapor: tidak dibagikan ke luar pemerintah kota" in text
    # A confidential report has no public page: no link that would answer "not found".
    page = f"https://aduan.example/#/track/{CODE}"
    assert (page in text) == (privacy == "public")
    assert ("Laporan ini rahasia" in text) == (privacy == "confidential")


def test_a_comment_s_webhook_names_its_author_never_its_words():
    body = {"report_id": "r1", "code": CODE, "city": "depok", "author": "reporter",
            "agency": None, "comment_id": "c1", "occurred_at": NOW.isoformat(),
            "text": "Nomor saya 0812..."}  # never in the event; the payload would drop it too
    payload = webhook_payload("d1", "report.commented", body, _report(), "city")
    assert payload["event"] == "report.commented"
    assert payload["data"] == {"author": "reporter", "agency": None, "comment_id": "c1"}
