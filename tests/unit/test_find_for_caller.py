"""Find a report for this caller (aduan.web.report_access): one look-up by code for every
service, answering 404 `report_not_found` to anyone who may not see the report, exactly as for
a code that does not exist."""

from __future__ import annotations

import pytest
from fakes import fake_db
from flask import Flask

from aduan.infra.keyring import Keyring
from aduan.infra.tokens import reporter_token
from aduan.web.auth import Principal
from aduan.web.errors import ApiError
from aduan.web.report_access import (
    Caller,
    find_for_caller,
    find_for_request,
    lookup,
    staff_report,
)

KEYS = Keyring.of("k" * 32)
CODE = "PDG-2026-7KQ-4M9-X2A"
OPERATOR = Principal("op", "operator", "padang")
DLH = Principal("dlh", "officer", "padang", agency="DLH")
PUPR = Principal("pupr", "officer", "padang", agency="PUPR")
DEPOK = Principal("depok", "operator", "depok")


@pytest.fixture()
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.reports.insert_many([
        {"_id": "a" * 32, "code": CODE, "city": "padang", "status": "forwarded",
         "privacy": "confidential", "agencies": [{"code": "DLH", "status": "accepted"}]},
        {"_id": "b" * 32, "code": "PDG-2026-7KQ-4M9-X2B", "city": "padang",
         "status": "in_progress", "privacy": "public",
         "agencies": [{"code": "DLH", "status": "withdrawn"},
                      {"code": "PUPR", "status": "in_progress"}]},
    ])
    return database


def _reporter(report_id: str = "a" * 32) -> Caller:
    return Caller(reporter_token=reporter_token(KEYS, report_id), token_keys=KEYS)


def _refused(db, code: str, caller: Caller, audiences=("staff", "reporter", "public")) -> dict:
    with pytest.raises(ApiError) as refused:
        find_for_caller(db, code, caller, audiences)
    assert refused.value.status == 404
    return {"code": refused.value.code, "message": refused.value.message}


def test_a_code_as_typed_is_found(db):
    assert lookup(db, f"  {CODE.lower()} ")["_id"] == "a" * 32
    assert lookup(db, "PDG-2026-NOPE") is None
    assert lookup(db, "x" * 10_000) is None
    found = find_for_caller(db, CODE.lower(), Caller(staff=OPERATOR))
    assert (found.report["code"], found.audience, found.is_reporter) == (CODE, "staff", False)


def test_a_hidden_report_is_answered_as_a_missing_one_to_everyone_who_may_not_see_it(db):
    missing = _refused(db, "PDG-2026-222-222-222", Caller())
    assert missing == {"code": "report_not_found", "message": missing["message"]}
    for caller in (Caller(), _reporter("b" * 32), Caller(staff=PUPR), Caller(staff=DEPOK),
                   Caller(reporter_token="nonsense", token_keys=KEYS)):
        assert _refused(db, CODE, caller) == missing, caller


def test_each_audience_finds_what_it_may_see(db):
    assert find_for_caller(db, CODE, Caller(staff=DLH)).audience == "staff"
    reporter = find_for_caller(db, CODE, _reporter())
    assert (reporter.audience, reporter.is_reporter) == ("reporter", True)
    public = find_for_caller(db, "PDG-2026-7KQ-4M9-X2B", Caller(staff=DLH))
    assert public.audience == "public"  # withdrawn: DLH reads it as anyone does


def test_a_door_open_to_some_audiences_only(db):
    _refused(db, CODE, Caller(staff=OPERATOR), ("reporter", "public"))
    _refused(db, "PDG-2026-7KQ-4M9-X2B", Caller(), ("staff",))
    assert find_for_caller(db, CODE, _reporter(), ("reporter",)).audience == "reporter"


def test_staff_of_another_city_or_agency_get_404_not_403(db):
    assert staff_report(db, CODE, OPERATOR)["_id"] == "a" * 32
    assert staff_report(db, CODE, DLH)["_id"] == "a" * 32
    for staff in (PUPR, DEPOK):
        with pytest.raises(ApiError) as refused:
            staff_report(db, CODE, staff)
        assert (refused.value.status, refused.value.code) == (404, "report_not_found")
    with pytest.raises(ApiError) as public_but_not_held:
        staff_report(db, "PDG-2026-7KQ-4M9-X2B", DLH)
    assert public_but_not_held.value.status == 404


class _Settings:
    token_secret = "k" * 32
    token_previous_secrets = ""


def test_the_caller_of_a_request_is_read_from_its_headers(db):
    app = Flask(__name__)
    token = reporter_token(KEYS, "a" * 32)
    with app.test_request_context(headers={"X-Reporter-Token": token}):
        found = find_for_request(db, _Settings(), CODE, ("reporter", "public"))
        assert found.audience == "reporter"
    # A door for the public and reporters leaves the Authorization header unread.
    with app.test_request_context(headers={"Authorization": "Bearer nonsense"}):
        found = find_for_request(db, _Settings(), "PDG-2026-7KQ-4M9-X2B", ("reporter", "public"))
        assert found.audience == "public"
