"""A city set up from nothing, as its IT team would: the platform admin's command-line tool makes
the city's sysadmin; the sysadmin adds an agency, a category with its targets and the staff with
their contacts, all through the API. Reports then go down every path (forwarded, escalated by
hand, dispatched to an officer, resolved with evidence that fails its checks, late for a
follow-up, postponed and back) and each email reaches exactly the people it should: every mail
about a report is counted, by address, against the list of who should have it.

The one write into the database here moves a deadline into the past (`_as_if_time_passed`):
only time makes a deadline pass. Kotamobagu (WITA) keeps these reports apart from the other
tests' Padang and Depok ones; codes and addresses are new on every run.
"""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import mails, sms_through, text_of
from photo_factory import INSIDE, WIB, camera_photo
from stack_client import REPORT, pipeline_settled, submit, wait_for_status
from staff_accounts import Staff, city_sysadmin, staff_through_api
from waiting import eventually
from workflow_client import act, workflow

from tools.devstack import ROOT

pytestmark = pytest.mark.stack

CITY = "kotamobagu"
LAT, LON = INSIDE[CITY]
ROLES_OF_CITY = ("operator", "leader", "leader_en", "leader_off", "liaison", "head",
                 "officer_a", "officer_b", "other_admin")


@dataclass
class City:
    suffix: str
    agency: str  # the sysadmin's new agency
    other_agency: str
    category: str  # routed to `agency`
    triage_category: str  # no rule: the operators decide
    sysadmin: Staff
    people: dict[str, Staff]
    addresses: dict[str, str]
    phones: dict[str, str]  # as the directory keeps them: +62...
    ids: dict[str, str]

    def everyone(self) -> set[str]:
        return set(self.addresses.values())


def _letters(n: int) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


def _ok(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


@pytest.fixture(scope="module")
def city(api: str) -> City:
    suffix = _letters(6)
    sysadmin = city_sysadmin(api, CITY)

    agency, other = f"PASAR-{suffix.upper()}", f"LAIN-{suffix.upper()}"
    for code, name in ((agency, "Dinas Pasar Uji"), (other, "Dinas Lain Uji")):
        _ok(requests.post(f"{api}/agencies", headers=sysadmin.headers, timeout=10, json={
            "code": code, "kind": "opd", "name_id": f"{name} {suffix}",
            "name_en": f"Test agency {code}",
            "contact": {"email": f"pengaduan.{code.lower()}@kotamobagu.example.go.id"}}), 201)
    category, triage = f"pasar_{suffix}", f"usulan_{suffix}"
    _ok(requests.post(f"{api}/categories", headers=sysadmin.headers, timeout=10, json={
        "code": category, "name_id": "Kebersihan pasar", "name_en": "Market cleanliness",
        "agencies": [agency],
        "sla": {"forward_days": 1, "follow_up_days": 5, "resolution_days": 2}}), 201)
    _ok(requests.post(f"{api}/categories", headers=sysadmin.headers, timeout=10, json={
        "code": triage, "name_id": "Usulan warga", "name_en": "Residents' suggestions",
        "agencies": []}), 201)

    roles = {"operator": ("operator", None), "leader": ("leader", None),
             "leader_en": ("leader", None), "leader_off": ("leader", None),
             "liaison": ("agency_admin", agency), "head": ("agency_head", agency),
             "officer_a": ("officer", agency), "officer_b": ("officer", agency),
             "other_admin": ("agency_admin", other)}
    people, addresses, phones, ids = {}, {}, {}, {}
    for key, (role, of) in roles.items():
        addresses[key] = f"{key.replace('_', '.')}.{suffix}@kotamobagu.example.go.id"
        people[key], user = staff_through_api(
            api, sysadmin, role, CITY, of, name=f"{key} {suffix}", email=addresses[key],
            language="en" if key == "leader_en" else "id",
            phone=f"0811{random.randint(10_000_000, 99_999_999)}")
        ids[key] = user["id"]
        phones[key] = user["phone"]
    # A leader who left: the sysadmin disables the account, and it hears nothing more.
    _ok(requests.patch(f"{api}/users/{ids['leader_off']}", json={"disabled": True},
                       headers=sysadmin.headers, timeout=10))
    return City(suffix, agency, other, category, triage, sysadmin, people, addresses, phones,
                ids)


def _submit(api: str, category: str, email: str) -> dict[str, Any]:
    photo = camera_photo(LAT, LON, datetime.now(WIB) - timedelta(minutes=20))
    body = {**REPORT, "city": CITY, "category": category,
            "location": {"lat": LAT, "lon": LON},
            "reporter": {"name": "Warga Kotamobagu", "email": email, "language": "id"}}
    return _ok(submit(api, photo, body), 202)


def _recipients(stack, code: str) -> Counter[str]:
    """How many mails about report `code` each address got."""
    return Counter(message["To"] for message in mails(stack.maildir) if code in
                   message["Subject"] + text_of(message))


def _as_if_time_passed(db, report_id: str, changes: dict[str, Any]) -> None:
    """The one write a test makes on a report: a deadline moved into the past. Only time makes
    a deadline pass, and a test does not wait days for it."""
    assert db.reports.update_one({"_id": report_id}, {"$set": changes}).matched_count == 1


def _staff_only(city: City, counts: Counter[str], reporter: str) -> dict[str, int]:
    return {address: n for address, n in counts.items() if address != reporter}


def _forwarded(api: str, city: City) -> tuple[dict[str, Any], str]:
    reporter = f"warga.{_letters(8)}@example.id"
    receipt = _submit(api, city.category, reporter)
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return receipt, reporter


def test_a_forwarded_report_reaches_its_liaison_admin_and_no_other_staff(api, stack, db, city):
    receipt, reporter = _forwarded(api, city)
    code = receipt["code"]
    liaison = city.addresses["liaison"]
    eventually(lambda: mails(stack.maildir, liaison, code), what="the liaison's mail")
    pipeline_settled(api, db)  # whatever else this report would have sent is sent by now
    counts = _recipients(stack, code)
    assert _staff_only(city, counts, reporter) == {liaison: 1}
    assert counts[reporter] == 2  # received, forwarded
    assert "Dinas Pasar Uji" in text_of(mails(stack.maildir, liaison, code)[0])


def test_an_operator_escalates_by_hand_and_the_head_hears_and_sees_it(api, stack, db, city):
    receipt, reporter = _forwarded(api, city)
    code = receipt["code"]
    _ok(act(api, code, "escalate", city.people["operator"].headers,
            {"note": "Sudah tiga kali dilaporkan warga pasar."}))
    head = city.addresses["head"]
    eventually(lambda: mails(stack.maildir, head, code), what="the head's mail")
    inbox = _ok(requests.get(f"{api}/escalations", headers=city.people["head"].headers,
                             timeout=10))
    [mine] = [item for item in inbox["escalations"] if item["code"] == code]
    assert mine["agency"] == city.agency
    assert mine["note"] == "Sudah tiga kali dilaporkan warga pasar."
    pipeline_settled(api, db)
    assert _staff_only(city, _recipients(stack, code), reporter) == {
        city.addresses["liaison"]: 1, head: 1}


def test_a_bare_accept_keeps_the_clock_and_the_late_follow_up_reaches_head_and_leaders_once(
        api, stack, db, city):
    receipt, reporter = _forwarded(api, city)
    code = receipt["code"]
    _ok(act(api, code, "accept", city.people["liaison"].headers, {}))
    [assignment] = workflow(api, code, city.people["operator"].headers)["agencies"]
    assert assignment["due_at"] is not None  # no public response yet: the clock still runs
    late = datetime.now(UTC) - timedelta(minutes=5)
    _as_if_time_passed(db, receipt["id"], {"agencies.0.due_at": late})
    expected = {city.addresses[k] for k in ("head", "leader", "leader_en")}
    for address in expected:
        eventually(lambda a=address: mails(stack.maildir, a, code),
                   what=f"breach mail to {address}")
    pipeline_settled(api, db)
    counts = _staff_only(city, _recipients(stack, code), reporter)
    assert counts == {city.addresses["liaison"]: 1, **{a: 1 for a in expected}}
    [english] = mails(stack.maildir, city.addresses["leader_en"], code)
    assert english["Subject"].startswith("Deadline missed")
    assert "WITA" in text_of(english)


def test_a_public_response_stops_the_follow_up_clock(api, city):
    receipt, _ = _forwarded(api, city)
    code = receipt["code"]
    _ok(act(api, code, "accept", city.people["liaison"].headers,
            {"public_response": "Petugas kami akan datang besok pagi."}))
    [assignment] = workflow(api, code, city.people["operator"].headers)["agencies"]
    assert assignment["due_at"] is None and assignment["responded_at"] is not None
    assert assignment["resolution_due_at"] is not None  # the resolution target still runs


def test_an_officer_dispatched_hears_and_evidence_that_fails_reaches_the_liaison(
        api, stack, db, city):
    receipt, reporter = _forwarded(api, city)
    code = receipt["code"]
    liaison = city.people["liaison"]
    _ok(act(api, code, "dispatch", liaison.headers, {"officers": [city.ids["officer_a"]]}))
    officer = city.addresses["officer_a"]
    eventually(lambda: mails(stack.maildir, officer, code), what="the officer's mail")
    tasks = _ok(requests.get(f"{api}/tasks", headers=city.people["officer_a"].headers,
                             timeout=10))
    assert code in [task["code"] for task in tasks["items"]]
    _ok(act(api, code, "visit", city.people["officer_a"].headers,
            {"note": "Sudah dicek di lokasi."}))
    # Evidence taken a month ago, far from the report: the resolution stands, flagged.
    stale = camera_photo(LAT + 0.05, LON, datetime.now(WIB) - timedelta(days=30))
    _ok(act(api, code, "resolve", city.people["officer_a"].headers,
            {"note": "Sudah dibersihkan."}, photo=stale))
    eventually(lambda: mails(stack.maildir, city.addresses["liaison"], code)[1:],
               what="the liaison told of the flagged evidence")
    pipeline_settled(api, db)
    counts = _staff_only(city, _recipients(stack, code), reporter)
    assert counts == {city.addresses["liaison"]: 2, officer: 1}


def test_a_postponed_report_comes_back_to_the_operators_after_its_date(api, stack, db, city):
    reporter = f"warga.{_letters(8)}@example.id"
    receipt = _submit(api, city.triage_category, reporter)
    code = receipt["code"]
    wait_for_status(api, code, {"verified"}, token=receipt["token"])
    until = (date.today() + timedelta(days=7)).isoformat()
    _ok(act(api, code, "postpone", city.people["operator"].headers,
            {"note": "Menunggu anggaran tahun depan.", "until": until}))
    _as_if_time_passed(db, receipt["id"],
                       {"postponed_until": datetime.now(UTC) - timedelta(minutes=1)})
    wait_for_status(api, code, {"verified"}, token=receipt["token"])
    operator = city.addresses["operator"]
    eventually(lambda: mails(stack.maildir, operator, code), what="the operators told")
    pipeline_settled(api, db)
    assert _staff_only(city, _recipients(stack, code), reporter) == {operator: 1}


def test_the_daily_digest_reaches_leaders_and_the_head_with_their_rows(api, stack, city):
    _forwarded(api, city)
    env = {**stack.env(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "services.notification.digest", "--city", CITY],
                   env=env, capture_output=True, text=True, timeout=120, check=True)
    leader = mails(stack.maildir, city.addresses["leader"], "Ringkasan harian")
    assert len(leader) == 1
    text = text_of(leader[0])
    assert f"({city.agency})" in text and f"({city.other_agency})" in text
    [head] = mails(stack.maildir, city.addresses["head"], "Ringkasan harian")
    assert f"({city.agency})" in text_of(head) and f"({city.other_agency})" not in text_of(head)
    assert not mails(stack.maildir, city.addresses["leader_off"])
    assert not mails(stack.maildir, city.addresses["liaison"], "Ringkasan harian")


def test_staff_with_a_phone_get_their_sms_and_nobody_else_does(api, stack, db, city):
    provider = Receiver().start()
    try:
        with sms_through(stack, provider):
            receipt, _ = _forwarded(api, city)
            code = receipt["code"]
            _ok(act(api, code, "escalate", city.people["liaison"].headers,
                    {"note": "Butuh keputusan kepala dinas."}))
            expected = {city.phones["liaison"], city.phones["head"]}

            def texted() -> set[str]:
                bodies = [json.loads(r.body) for r in provider.received]
                return {b["msisdn"] for b in bodies if code in b["message"]}

            eventually(lambda: texted() == expected or None, what="SMS to liaison and head")
            pipeline_settled(api, db)
            assert texted() == expected
            assert len([r for r in provider.received if code in r.body.decode()]) == 2
    finally:
        provider.stop()
