"""Who hears each event, derived from the city's users and their roles (the staff directory):
the planner over an in-memory database (tests/fakes.py). The integration tests prove the same
with users made through the gateway and mail through a real SMTP sink."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes import fake_db

from aduan.domain import lifecycle
from aduan.infra.config import Settings
from services.notification import contacts
from services.notification.audiences import STAFF_EVENTS, Planner

SETTINGS = Settings(sms_url="http://sms.invalid/send", public_base_url="https://aduan.example")
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
CODE = "DPK-2026-3HW-6P2-Z9C"


def user(user_id: str, role: str, agency: str | None = None, city: str = "depok",
         **contact) -> dict:
    return {"_id": user_id, "username": user_id, "role": role, "city": city, "agency": agency,
            "name": user_id.title(), "email": f"{user_id}@{city}.example.go.id", "phone": None,
            "language": "id", "disabled": False, **contact}


STAFF = [
    user("admin-dlh", "agency_admin", "DLH", phone="+6281100000001"),
    user("admin-dlh-en", "agency_admin", "DLH", language="en"),
    user("admin-dlh-gone", "agency_admin", "DLH", disabled=True),
    user("admin-pupr", "agency_admin", "PUPR"),
    user("head-dlh", "agency_head", "DLH", phone="0811-0000-0002"),
    user("head-pupr", "agency_head", "PUPR"),
    user("mayor", "leader", language="en"),
    user("operator", "operator"),
    user("officer-a", "officer", "DLH", name="Andi"),
    user("officer-b", "officer", "DLH"),
    user("officer-pupr", "officer", "PUPR"),
    user("sysadmin", "sysadmin"),
    user("mayor-padang", "leader", city="padang"),
    user("operator-padang", "operator", city="padang"),
]


@pytest.fixture
def planner() -> Planner:
    db = fake_db()
    # What the gateway's user API and the catalogue would have stored: the planner only reads
    # them (users are made through the API in tests/integration/test_notifications.py).
    db.users.insert_many([dict(u) for u in STAFF])
    db.agencies.insert_many([
        {"_id": "depok:DLH", "city": "depok", "code": "DLH", "name_id": "Dinas Lingkungan Hidup",
         "name_en": "Environment Agency"},
        {"_id": "depok:PUPR", "city": "depok", "code": "PUPR", "name_id": "Dinas PUPR",
         "name_en": "Public Works"},
    ])
    db.categories.insert_one({"_id": "depok:waste", "city": "depok", "code": "waste",
                              "name_id": "Sampah", "name_en": "Waste"})
    return Planner(SETTINGS, db)


def report(**fields) -> dict:
    return {"_id": "r1", "code": CODE, "city": "depok", "category": "waste",
            "description": "Sampah menumpuk", "status": "forwarded", "privacy": "confidential",
            "location": {"lat": -6.37, "lon": 106.82}, "kecamatan": {"code": "x", "name": "Beji"},
            "agencies": [{"code": "DLH", "status": "forwarded"}], "created_at": NOW,
            "reporter": {"name": "Siti", "email": "siti@example.id", "phone": "081234567890",
                         "language": "id"}, **fields}


def heard(planner: Planner, key: str, **body) -> dict[str, set[str]]:
    """{channel: addresses} the planner would tell of this event; never the reporter."""
    notices = planner.plan(key, {"report_id": "r1", "code": CODE, **body}, report())
    assert all("siti" not in n.address and "81234567890" not in n.address for n in notices)
    for notice in notices:  # staff never read who filed a confidential report
        if notice.email is not None:
            assert "Siti" not in notice.email.text and "siti@" not in notice.email.html
    found: dict[str, set[str]] = {"email": set(), "sms": set()}
    for notice in notices:
        found[notice.channel].add(notice.address.split("@")[0])
    return found


def test_a_forwarded_report_reaches_the_agency_s_active_admins_and_the_reporter(planner):
    notices = planner.plan("report.forwarded", {"report_id": "r1", "agencies": ["DLH"]},
                           report())
    by_address = {n.address.split("@")[0]: n for n in notices if n.channel == "email"}
    assert set(by_address) == {"admin-dlh", "admin-dlh-en", "siti"}
    assert by_address["admin-dlh-en"].email.subject == f"New report for Environment Agency: {CODE}"
    assert by_address["admin-dlh"].audience == "agency_admin"
    assert {n.address for n in notices if n.channel == "sms"} == {"+6281100000001",
                                                                  "+6281234567890"}


@pytest.mark.parametrize("kind, expected", [
    ("forward", {"mayor", "operator"}),
    ("follow_up", {"head-dlh", "mayor"}),
    ("resolution", {"head-dlh", "mayor"}),
])
def test_an_sla_breach_reaches_whoever_its_kind_concerns(planner, kind, expected):
    body = {"agency": None if kind == "forward" else "DLH", "kind": kind,
            "due_at": "2026-12-01T02:00:00+00:00"}
    found = heard(planner, "report.sla_breached", **body)
    assert found["email"] == expected
    if kind != "forward":
        assert found["sms"] == {"+6281100000002"}  # the head's number, normalised


def test_breach_texts_say_which_deadline_in_the_reader_s_language(planner):
    body = {"report_id": "r1", "agency": "DLH", "kind": "resolution",
            "due_at": "2026-12-01T02:00:00+00:00"}
    notices = {n.address.split("@")[0]: n for n in planner.plan("report.sla_breached", body,
                                                                report()) if n.email}
    assert notices["mayor"].email.subject == f"Deadline missed: report {CODE} (Environment Agency)"
    assert "did not resolve report" in notices["mayor"].email.text
    assert "01-12-2026 09:00 WIB" in notices["mayor"].email.text
    assert "belum menyelesaikan laporan" in notices["head-dlh"].email.text


def test_an_escalation_reaches_the_agency_s_head_with_the_note(planner):
    body = {"report_id": "r1", "agency": "DLH", "note": "Tiga minggu tanpa tindakan",
            "by_role": "operator"}
    assert heard(planner, "report.escalated", **body)["email"] == {"head-dlh"}
    [to_head] = [n for n in planner.plan("report.escalated", body, report())
                 if n.channel == "email"]
    assert to_head.email.subject == f"Eskalasi laporan {CODE} (Dinas Lingkungan Hidup)"
    assert "dieskalasikan kepada Anda oleh operator" in to_head.email.text
    assert "Catatan:\nTiga minggu tanpa tindakan" in to_head.email.text
    assert "dirahasiakan (laporan rahasia)" in to_head.email.text


def test_a_dispatch_reaches_the_named_officers_of_the_agency_only(planner):
    body = {"agency": "DLH", "officers": ["officer-a", "officer-pupr", "admin-dlh", "nobody"]}
    assert heard(planner, "report.dispatched", **body)["email"] == {"officer-a"}
    [to_officer] = planner.plan("report.dispatched", {"report_id": "r1", **body}, report())
    assert to_officer.email.subject == f"Tugas baru: laporan {CODE}"


def test_flagged_evidence_reaches_the_agency_s_admins_with_the_officer_and_reasons(planner):
    body = {"report_id": "r1", "agency": "DLH", "officer": "officer-a",
            "reasons": ["too_far", "too_old"]}
    assert heard(planner, "report.evidence_flagged", **body)["email"] == {"admin-dlh",
                                                                          "admin-dlh-en"}
    texts = {n.address.split("@")[0]: n.email.text
             for n in planner.plan("report.evidence_flagged", body, report()) if n.email}
    assert "oleh Andi (Dinas Lingkungan Hidup)" in texts["admin-dlh"]
    assert "Reasons: too_far, too_old" in texts["admin-dlh-en"]


def test_a_report_back_from_postponement_reaches_the_city_s_operators(planner):
    assert heard(planner, "report.returned")["email"] == {"operator"}


@pytest.mark.parametrize("key", sorted(STAFF_EVENTS))
def test_staff_events_are_heard_and_never_by_the_reporter(planner, key):
    assert planner.anyone_hears(key, {})
    body = {"report_id": "r1", "agency": "DLH", "kind": "follow_up", "officers": ["officer-a"]}
    assert not [n for n in planner.plan(key, body, report()) if n.audience == "reporter"]


def test_a_head_is_a_leader_of_its_own_agency_only(planner):
    db = planner.db
    assert [c.user_id for c in contacts.leaders(db, "depok")] == ["mayor"]
    assert [c.user_id for c in contacts.leaders(db, "depok", "DLH")] == ["mayor", "head-dlh"]
    assert [c.user_id for c in contacts.heads(db, "depok")] == ["head-dlh", "head-pupr"]
    assert [c.user_id for c in contacts.operators(db, "padang")] == ["operator-padang"]
    assert contacts.officers(db, "depok", None, ["officer-a"]) == []


def test_a_breach_s_escalate_to_names_the_agency_head_role_routing_writes(planner):
    # Routing's breach names whom to tell beyond the kind's own audience (here: no agency,
    # so only `escalate_to` brings PUPR's head in); the role is the users' own, agency_head.
    escalate_to = lifecycle.escalation("resolution", "PUPR")
    assert escalate_to[0] == {"role": "agency_head", "agency": "PUPR"}
    found = contacts.escalation(planner.db, "depok", None, "forward", escalate_to)
    assert {c.user_id for c in found} == {"mayor", "operator", "head-pupr"}
    old_alias = [{"role": "head_of_agency", "agency": "PUPR"}]
    assert "head-pupr" not in {c.user_id for c in contacts.escalation(
        planner.db, "depok", None, "forward", old_alias)}
