"""The visibility policy (aduan.domain.visibility): who sees which report and which of its
fields. Pure functions; the conditions are checked against an in-memory database too, so the
query form and the rule on one report cannot drift apart."""

from __future__ import annotations

import pytest
from fakes import fake_db

from aduan.domain import visibility
from aduan.domain.visibility import (
    PUBLIC_STATUSES,
    audience_of,
    is_public,
    public_conditions,
    reporter_name_for_staff,
    shown_texts,
    staff_conditions,
    staff_may_see,
    staff_see_reporter,
    webhook_share,
)
from aduan.web.auth import Principal

ALL_STATUSES = ("submitted", "verifying", "needs_review", "verified", "postponed", "forwarded",
                "accepted", "in_progress", "resolved", "closed", "reopened", "referred",
                "rejected", "archived", "duplicate")
PRIVACIES = ("public", "anonymous", "confidential")

OPERATOR = Principal("op", "operator", "padang")
LEADER = Principal("lead", "leader", "padang")
DLH = Principal("dlh", "officer", "padang", agency="DLH")
PUPR = Principal("pupr", "agency_admin", "padang", agency="PUPR")
DEPOK = Principal("depok", "operator", "depok")


def _report(status: str = "forwarded", privacy: str = "public", city: str = "padang",
            agencies: tuple[tuple[str, str], ...] = (("DLH", "accepted"),), n: int = 0) -> dict:
    return {"_id": f"r{n}", "code": f"PDG-2026-{n:06d}", "city": city, "status": status,
            "privacy": privacy, "agencies": [{"code": c, "status": s} for c, s in agencies],
            "reporter": {"name": "Siti", "email": "siti@example.id", "phone": "0812"}}


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("privacy", PRIVACIES)
def test_public_once_let_through_and_never_confidential(status, privacy):
    expected = status in PUBLIC_STATUSES and privacy != "confidential"
    assert is_public(_report(status, privacy)) is expected


def test_the_public_conditions_select_what_is_public_and_nothing_else():
    db = fake_db()
    reports = [_report(s, p, n=i) for i, (s, p) in enumerate(
        (s, p) for s in ALL_STATUSES for p in PRIVACIES)]
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_many(reports)
    found = {r["_id"] for r in db.reports.find(public_conditions())}
    assert found == {r["_id"] for r in reports if is_public(r)}
    narrowed = public_conditions({"closed", "rejected", "nonsense"})
    assert narrowed["status"] == {"$in": ["closed"]}  # asking cannot widen the rule
    assert {r["status"] for r in db.reports.find(narrowed)} == {"closed"}


def test_staff_see_their_city_and_agencies_only_what_they_hold_now():
    held = _report("in_progress", "confidential")
    assert staff_may_see(held, OPERATOR) and staff_may_see(held, LEADER)
    assert staff_may_see(held, DLH) and not staff_may_see(held, PUPR)
    assert not staff_may_see(held, DEPOK)
    for gone in ("withdrawn", "handed_back"):
        assert not staff_may_see(_report(agencies=(("DLH", gone),)), DLH)
    assert not staff_may_see(_report(agencies=()), DLH)


def test_the_staff_conditions_are_the_same_rule_as_a_query():
    db = fake_db()
    holdings = ((("DLH", "accepted"),), (("DLH", "withdrawn"), ("PUPR", "forwarded")),
                (("DLH", "handed_back"),), ())
    cases = [(agencies, city) for agencies in holdings for city in ("padang", "depok")]
    reports = [_report(agencies=agencies, city=city, n=i)
               for i, (agencies, city) in enumerate(cases)]
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_many(reports)
    for staff in (OPERATOR, LEADER, DLH, PUPR, DEPOK):
        found = {r["_id"] for r in db.reports.find(staff_conditions(staff))}
        assert found == {r["_id"] for r in reports if staff_may_see(r, staff)}, staff


@pytest.mark.parametrize(("report", "staff", "reporter", "audience"), [
    (_report("needs_review"), None, False, None),
    (_report("needs_review"), None, True, "reporter"),
    (_report("forwarded"), None, False, "public"),
    (_report("forwarded", "confidential"), None, False, None),
    (_report("forwarded", "confidential"), PUPR, False, None),  # not theirs: a stranger
    (_report("forwarded", "confidential"), DEPOK, False, None),
    (_report("forwarded", "confidential"), DLH, False, "staff"),
    (_report("forwarded"), PUPR, False, "public"),
    (_report("rejected"), OPERATOR, True, "staff"),  # staff first: they see the most
    (_report("rejected"), DEPOK, True, "reporter"),
])
def test_the_audience_of_a_caller(report, staff, reporter, audience):
    assert audience_of(report, staff=staff, reporter=reporter) == audience


def test_only_staff_read_internal_notes_and_the_reporter_reads_their_own_words():
    staff_entry = {"actor": {"kind": "staff"}, "note": "internal", "public_response": "Dijawab"}
    reporter_entry = {"actor": {"kind": "reporter"}, "note": "Belum beres"}
    assert shown_texts(staff_entry, staff=True) == {"public_response": "Dijawab",
                                                    "note": "internal"}
    assert shown_texts(staff_entry, staff=False, reporter=True) == {"public_response": "Dijawab"}
    assert shown_texts(staff_entry, staff=False) == {"public_response": "Dijawab"}
    assert shown_texts(reporter_entry, staff=False, reporter=True)["note"] == "Belum beres"
    assert "note" not in shown_texts(reporter_entry, staff=False)


@pytest.mark.parametrize("privacy", PRIVACIES)
def test_operators_see_every_reporter_other_staff_only_a_public_one(privacy):
    report = _report(privacy=privacy)
    assert staff_see_reporter(report, "operator")
    for role in ("leader", "officer", "agency_admin", "sysadmin", None):
        assert staff_see_reporter(report, role) is (privacy == "public")


def test_mails_to_staff_name_the_reporter_of_a_public_report_only():
    assert reporter_name_for_staff(_report(privacy="public")) == "Siti"
    assert reporter_name_for_staff({**_report(), "reporter": None}) == ""
    assert reporter_name_for_staff(_report(privacy="anonymous")) is None
    assert reporter_name_for_staff(_report(privacy="confidential")) is None


def test_webhooks_get_a_confidential_report_by_who_owns_them():
    secret = _report(privacy="confidential")
    assert [webhook_share(o, secret) for o in ("city", "agency", "client")] == [
        "whole", "facts", "nothing"]
    assert {webhook_share(o, _report(privacy="anonymous"))
            for o in ("city", "agency", "client")} == {"whole"}


def test_the_policy_imports_no_io():
    source = visibility.__file__
    with open(source, encoding="utf-8") as module:
        imports = [line for line in module if line.startswith(("import ", "from "))]
    assert all(line.startswith(("from __future__", "from typing", "from aduan.domain"))
               for line in imports), imports
