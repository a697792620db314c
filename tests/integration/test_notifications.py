"""Who hears what, in which language, once, and never more than they may: through the real
broker, workers, SMTP sink and a real HTTP SMS provider started here. Everyone who hears is a
user of Depok made through the API (the platform admin's command-line tool makes a sysadmin,
who adds the staff with their contacts): nothing is written into the database by hand. The
events of steps other services take (an escalation, a dispatch, flagged evidence, a report
back from postponement, a breach) are published here as those services publish them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import (
    html_of,
    logs_text,
    mails,
    sms_through,
    submit_depok,
    text_of,
)
from stack_client import pipeline_settled, wait_for_status
from staff_accounts import Staff, city_sysadmin, staff_through_api
from waiting import eventually

from aduan.infra.catalogue import seed_agencies, seed_categories
from aduan.infra.messaging import Event, Publisher
from services.notification.digest import Digest
from services.notification.senders import SmtpSender
from tools.devstack import ROOT

pytestmark = pytest.mark.stack

# The agency Depok's catalogue sends waste reports to, and another one, as the catalogue ships.
_WASTE = next(c for c in seed_categories("depok") if c["code"] == "waste")
DLH = _WASTE["agencies"][0]
_NAMES = {a["code"]: a for a in seed_agencies("depok")}
DLH_ID, DLH_EN = _NAMES[DLH]["name_id"], _NAMES[DLH]["name_en"]
PUPR = next(code for code in _NAMES if code != DLH and _NAMES[code]["kind"] == "opd")

LIAISON = "liaison.dlh@depok.example.go.id"
ADMIN = "admin.dlh@depok.example.go.id"
ADMIN_OFF = "mantan.admin.dlh@depok.example.go.id"
HEAD = "kepala.dlh@depok.example.go.id"
HEAD_PUPR = "kepala.pupr@depok.example.go.id"
ADMIN_PUPR = "admin.pupr@depok.example.go.id"
LEADER_EN = "walikota.office@depok.example.go.id"
LEADER_OFF = "silenced.leader@depok.example.go.id"
OPERATOR = "operator@depok.example.go.id"
OFFICER = "petugas.a@depok.example.go.id"
OFFICER_B = "petugas.b@depok.example.go.id"
SYSADMIN_MAIL = "sysadmin@depok.example.go.id"


@dataclass
class Directory:
    sysadmin: Staff
    staff: dict[str, Staff]  # by address
    ids: dict[str, str]  # user id by address

    @property
    def addresses(self) -> set[str]:
        return set(self.ids)


@pytest.fixture(scope="module")
def depok(api) -> Directory:
    """Depok's staff as its sysadmin adds them: two admins and a head of DLH, the admin and
    head of PUPR, a leader reading English, an operator, two officers of DLH, and an admin and
    a leader whose accounts the sysadmin then disables."""
    sysadmin = city_sysadmin(api, "depok")
    people = [
        (LIAISON, "agency_admin", DLH, {"name": "Penghubung DLH"}),
        (ADMIN, "agency_admin", DLH, {"name": "Admin DLH"}),
        (ADMIN_OFF, "agency_admin", DLH, {}),
        (HEAD, "agency_head", DLH, {"name": "Kepala DLH", "phone": "0811-3333-4444"}),
        (HEAD_PUPR, "agency_head", PUPR, {}),
        (ADMIN_PUPR, "agency_admin", PUPR, {}),
        (LEADER_EN, "leader", None, {"name": "Office of the Mayor", "language": "en"}),
        (LEADER_OFF, "leader", None, {}),
        (OPERATOR, "operator", None, {}),
        (OFFICER, "officer", DLH, {"name": "Andi Petugas"}),
        (OFFICER_B, "officer", DLH, {}),
        (SYSADMIN_MAIL, "sysadmin", None, {}),
    ]
    staff, ids = {}, {}
    for address, role, agency, contact in people:
        staff[address], user = staff_through_api(api, sysadmin, role, "depok", agency,
                                                 email=address, **contact)
        assert user["email"] == address
        ids[address] = user["id"]
    for gone in (ADMIN_OFF, LEADER_OFF):
        disabled = requests.patch(f"{api}/users/{ids[gone]}", json={"disabled": True},
                                  headers=sysadmin.headers, timeout=10)
        assert disabled.status_code == 200, disabled.text
    return Directory(sysadmin, staff, ids)


def staff_told(stack, depok: Directory, code: str, subject: str | None = None) -> list[str]:
    """The directory's addresses mailed about report `code` (with `subject` in the subject),
    one entry per mail."""
    return sorted(m["To"] for m in mails(stack.maildir, contains=code)
                  if m["To"] in depok.addresses and (subject is None or subject in m["Subject"]))


def publish(settings, *events: Event) -> None:
    publisher = Publisher(settings)
    try:
        for event in events:
            publisher.publish(event)
    finally:
        publisher.close()


def staff_event(key: str, receipt: dict, **body) -> Event:
    """An event of the shape the routing service publishes, handed to the broker by the test:
    here every audience and language is checked against the directory in one place. That the
    actions publish these events and the right people then hear them, end to end, is
    test_city_operations.py's (escalate, dispatch, evidence, breaches, a postponed return)."""
    return Event(key, {"report_id": receipt["id"], "code": receipt["code"], "city": "depok",
                       "occurred_at": datetime.now(UTC).isoformat(), **body})


def test_an_english_speaking_reporter_hears_each_step_in_english(api, stack):
    address = "jane.reporter@example.org"
    receipt = submit_depok(api, reporter={"name": "Jane", "email": address, "language": "en"})
    code = receipt["code"]
    eventually(lambda: mails(stack.maildir, address, f"{code}: forwarded"), what="forwarded mail")
    subjects = sorted(m["Subject"] for m in mails(stack.maildir, address))
    assert subjects == [f"Report {code}: forwarded to the agency", f"Report {code}: received"]
    forwarded = mails(stack.maildir, address, "forwarded")[0]
    text = text_of(forwarded)
    assert f"Handled by: {DLH_EN}." in text
    # The console's tracking page, with the reporter's token in the fragment (helper C).
    link = f"/#/track/{code}/{receipt['token']}"
    assert link in text and "/api/v1/" not in text
    assert "Your report has been forwarded to the responsible agency" in text
    html = html_of(forwarded)
    assert '<html lang="en">' in html and f'{link}">' in html


def test_liaisons_hear_of_a_forwarded_report_but_never_who_reported_it_anonymously(
        api, stack, db, depok):
    hidden = {"name": "Siti Rahasia", "email": "siti.rahasia@example.id",
              "phone": "081298765432", "language": "id"}
    anonymous = submit_depok(api, privacy="anonymous", reporter=hidden)
    public = submit_depok(api, reporter={"name": "Budi Terbuka", "email": "budi@example.id"})
    for receipt in (anonymous, public):
        eventually(lambda r=receipt: mails(stack.maildir, LIAISON, r["code"]),
                 what="liaison mail")
        eventually(lambda r=receipt: mails(stack.maildir, ADMIN, r["code"]), what="admin mail")

    [to_liaison] = mails(stack.maildir, LIAISON, anonymous["code"])
    assert to_liaison["Subject"] == \
        f"Laporan baru untuk {DLH_ID}: {anonymous['code']}"
    for part in (text_of(to_liaison), html_of(to_liaison)):
        assert "Siti" not in part and "siti.rahasia" not in part
        assert "98765432" not in part
        assert "dirahasiakan (laporan anonim)" in part
        assert "Sampah menumpuk di pinggir jalan" in part  # agencies need the description
        assert "Kec. Beji" in part

    [public_mail] = mails(stack.maildir, LIAISON, public["code"])
    assert "Pelapor: Budi Terbuka" in text_of(public_mail)
    assert "budi@example.id" not in text_of(public_mail)

    # The anonymous reporter is still told about their own report.
    assert mails(stack.maildir, hidden["email"], anonymous["code"])
    # Exactly DLH's active admins heard: not the disabled one, not PUPR's, no one else.
    pipeline_settled(api, db)
    for receipt in (anonymous, public):
        assert staff_told(stack, depok, receipt["code"]) == [ADMIN, LIAISON]
    # And no log line of any process holds an address or a number in clear.
    logs = logs_text(stack.run_dir)
    for secret in (hidden["email"], "081298765432", LIAISON, ADMIN, "budi@example.id"):
        assert secret not in logs
    assert "s***@example.id" in logs and "l***@depok.example.go.id" in logs


def test_an_sla_breach_reaches_head_and_leaders_once(api, stack, db, settings, depok):
    receipt = submit_depok(api, privacy="confidential",
                           reporter={"name": "Rahasia Sekali", "email": "rahasia@example.id"})
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    due = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    event = staff_event("report.sla_breached", receipt, status="forwarded", agency=DLH,
                        kind="follow_up", due_at=due.isoformat(), escalate_to=[])
    publish(settings, event)
    code = receipt["code"]
    for address in (HEAD, LEADER_EN):
        eventually(lambda a=address: mails(stack.maildir, a, code), what=f"mail to {address}")

    [to_head] = mails(stack.maildir, HEAD, code)
    assert to_head["Subject"] == f"Batas waktu terlewati: laporan {code} ({DLH_ID})"
    assert "batas waktu 01-12-2026 09:00 WIB" in text_of(to_head)
    assert "dirahasiakan (laporan rahasia)" in text_of(to_head)
    assert "Rahasia Sekali" not in text_of(to_head) and "rahasia@example.id" not in text_of(to_head)
    [to_leader] = mails(stack.maildir, LEADER_EN, code)
    assert to_leader["Subject"] == f"Deadline missed: report {code} ({DLH_EN})"

    publish(settings, event)  # the broker hands the same event over again
    pipeline_settled(api, db)  # whatever a repeat would have sent is sent by now
    breach = "Batas waktu"
    assert staff_told(stack, depok, code, breach) + staff_told(stack, depok, code, "Deadline") \
        == [HEAD, LEADER_EN]  # once each; not PUPR's head, not the disabled leader
    assert not [m for m in mails(stack.maildir, "rahasia@example.id", code)
                if breach in m["Subject"]]  # the reporter is not told of staff deadlines


def test_each_step_of_the_city_s_work_reaches_exactly_whom_it_concerns(
        api, stack, db, settings, depok):
    receipt = submit_depok(api)
    code = receipt["code"]
    wait_for_status(api, code, {"forwarded"}, token=receipt["token"])
    publish(settings,
            staff_event("report.sla_breached", receipt, agency=None, kind="forward",
                        due_at=datetime.now(UTC).isoformat()),
            staff_event("report.escalated", receipt, agency=DLH, by_role="operator",
                        note="Sudah tiga minggu tanpa tindakan"),
            staff_event("report.dispatched", receipt, agency=DLH,
                        officers=[depok.ids[OFFICER]]),
            staff_event("report.evidence_flagged", receipt, agency=DLH,
                        officer=depok.ids[OFFICER], reasons=["too_far"]),
            staff_event("report.returned", receipt))
    expected = {
        "Laporan baru untuk": [ADMIN, LIAISON],  # the forward itself
        "Deadline missed": [LEADER_EN],
        "Batas waktu terlewati": [OPERATOR],  # a forward deadline: leaders and operators
        "Eskalasi laporan": [HEAD],
        "Tugas baru": [OFFICER],  # the officer named, not the other officer of DLH
        "Periksa bukti": [ADMIN, LIAISON],
        "kembali ke antrean": [OPERATOR],
    }
    eventually(lambda: all(staff_told(stack, depok, code, subject) == told
                           for subject, told in expected.items()),
               what="every step told to its people")
    pipeline_settled(api, db)
    assert staff_told(stack, depok, code) == sorted(a for told in expected.values()
                                                    for a in told)
    [escalated] = mails(stack.maildir, HEAD, f"Eskalasi laporan {code}")
    assert "dieskalasikan kepada Anda oleh operator" in text_of(escalated)
    assert "Sudah tiga minggu tanpa tindakan" in text_of(escalated)
    [flagged] = mails(stack.maildir, LIAISON, f"Periksa bukti penyelesaian laporan {code}")
    assert f"oleh Andi Petugas ({DLH_ID})" in text_of(flagged)
    reporter_subjects = [m["Subject"] for m in mails(stack.maildir, "warga@example.id", code)]
    assert sorted(reporter_subjects) == [f"Laporan {code}: diterima",
                                         f"Laporan {code}: diteruskan ke instansi"]


def test_the_head_of_an_agency_reads_its_reports_and_takes_no_action(api, depok):
    receipt = submit_depok(api)
    code = receipt["code"]
    wait_for_status(api, code, {"forwarded"}, token=receipt["token"])
    head, other_head = depok.staff[HEAD], depok.staff[HEAD_PUPR]
    view = requests.get(f"{api}/staff/reports/{code}", headers=head.headers, timeout=10)
    assert view.status_code == 200, view.text
    listed = requests.get(f"{api}/staff/reports", params={"code": code}, headers=head.headers,
                          timeout=10).json()["items"]
    assert [r["code"] for r in listed] == [code]
    workflow = requests.get(f"{api}/reports/{code}/workflow", headers=head.headers, timeout=10)
    assert workflow.status_code == 200 and workflow.json()["actions"] == []
    accept = requests.post(f"{api}/reports/{code}/actions/accept", json={},
                           headers=head.headers, timeout=10)
    assert (accept.status_code, accept.json()["error"]["code"]) == (403, "forbidden")
    comment = requests.post(f"{api}/reports/{code}/comments", json={"text": "Segera"},
                            headers=head.headers, timeout=10)
    assert comment.status_code == 403
    assert requests.get(f"{api}/staff/reports/{code}", headers=other_head.headers,
                        timeout=10).status_code == 404
    accepted = requests.post(f"{api}/reports/{code}/actions/accept", json={},
                             headers=depok.staff[LIAISON].headers, timeout=10)
    assert accepted.status_code == 200, accepted.text  # the agency's admin still acts


def test_the_delivery_log_of_a_report_is_readable_by_its_city_s_operators(api, stack, depok):
    receipt = submit_depok(api)
    code = receipt["code"]
    eventually(lambda: mails(stack.maildir, "warga@example.id", f"{code}: diteruskan"),
             what="forwarded mail")
    url = f"{api}/reports/{code}/deliveries"
    operator = depok.staff[OPERATOR].headers

    def sent_log():
        log = requests.get(url, headers=operator, timeout=10).json()["deliveries"]
        return log if sum(d["result"] == "sent" for d in log) >= 4 else None

    log = eventually(sent_log, what="four deliveries sent")
    to_reporter = [d for d in log if d["audience"] == "reporter"]
    assert {d["event"] for d in to_reporter} == {"report.submitted", "report.forwarded"}
    for delivery in to_reporter:
        assert delivery["channel"] == "email" and delivery["recipient"] == "w***@example.id"
        assert delivery["attempts"] == 1 and delivery["result"] == "sent"
        assert delivery["provider_status"].startswith("250")
    assert {d["recipient"] for d in log if d["audience"] == "agency_admin"} == \
        {"l***@depok.example.go.id", "a***@depok.example.go.id"}
    raw = requests.get(url, headers=depok.sysadmin.headers, timeout=10)
    assert raw.status_code == 200
    assert "warga@example.id" not in raw.text and LIAISON not in raw.text

    assert requests.get(url, timeout=10).status_code == 401
    forbidden = requests.get(url, headers=depok.staff[LIAISON].headers, timeout=10)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    padang_admin = city_sysadmin(api, "padang")
    elsewhere = requests.get(url, headers=padang_admin.headers, timeout=10)
    assert elsewhere.status_code == 404
    assert elsewhere.json()["error"]["code"] == "report_not_found"
    unknown = requests.get(f"{api}/reports/DPK-1999-000000/deliveries", headers=operator,
                           timeout=10)
    assert unknown.status_code == 404


def test_leaders_get_a_daily_digest_per_agency_once_a_day(api, stack, db, settings, depok):
    receipt = submit_depok(api)
    wait_for_status(api, receipt["code"], {"forwarded"})
    env = {**stack.env(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    dry = subprocess.run([sys.executable, "-m", "services.notification.digest", "--city",
                          "depok", "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    figures = {f["code"]: f for f in json.loads(dry.stdout)["depok"]["agencies"]}
    assert figures[DLH]["not_accepted"] >= 1 and figures[DLH]["new_24h"] >= 1
    assert not mails(stack.maildir, LEADER_EN, "digest")

    digest = Digest(settings, db, SmtpSender(settings))
    first = digest.send("depok")
    assert (first.sent, first.failed) == (3, 0)  # the leader, the heads of DLH and PUPR
    [to_mayor] = mails(stack.maildir, LEADER_EN, "digest")
    assert to_mayor["Subject"] == f"Aduan daily digest for Kota Depok, {first.day}"
    html = html_of(to_mayor)
    assert "<th>Not yet accepted</th>" in html
    dlh = next(row for row in text_of(to_mayor).split("\n\n") if f"({DLH})" in row)
    assert f"Not yet accepted: {figures[DLH]['not_accepted']}" in dlh
    assert f"{DLH_EN} ({DLH})" in dlh and f"({PUPR})" in text_of(to_mayor)
    [to_head] = mails(stack.maildir, HEAD, "Ringkasan harian")
    assert f"({DLH})" in text_of(to_head) and f"({PUPR})" not in text_of(to_head)
    assert not mails(stack.maildir, LEADER_OFF)

    again = digest.send("depok")
    assert (again.sent, again.skipped) == (0, 3)
    assert len(mails(stack.maildir, LEADER_EN, "digest")) == 1


@pytest.fixture
def sms_provider(stack):
    """The stack's notification worker restarted with SMS sent to a real local HTTP provider
    that fails its first request; restored afterwards."""
    provider = Receiver(answer=lambda n: 503 if n == 1 else 200,
                        reply=b'{"status": "queued", "message_id": "sms-42"}').start()
    try:
        with sms_through(stack, provider):
            yield provider
    finally:
        provider.stop()


def test_reporters_hear_by_sms_through_the_http_provider_once(api, stack, db, settings,
                                                               sms_provider):
    receipt = submit_depok(api, reporter={"phone": "0812-7777-6666", "language": "id"})
    code = receipt["code"]
    sent = eventually(lambda: list(db.deliveries.find(
        {"report_id": receipt["id"], "channel": "sms", "result": "sent"})) if db.deliveries.
        count_documents({"report_id": receipt["id"], "channel": "sms", "result": "sent"}) == 2
        else None, what="two SMS sent")
    requests_made = sms_provider.received
    assert len(requests_made) == 3  # one refused with 503, retried, then both steps sent
    bodies = [json.loads(r.body) for r in requests_made]
    assert {b["msisdn"] for b in bodies} == {"+6281277776666"}
    assert {b["sender"] for b in bodies} == {"ADUAN"}
    assert all(r.headers["X-Api-Key"] == "test-sms-key" for r in requests_made)
    texts = sorted({b["message"] for b in bodies})
    assert any(f"laporan {code} diterima." in t for t in texts)
    assert any(f"laporan {code} diteruskan ke instansi." in t for t in texts)
    assert sorted(d["attempts"] for d in sent) == [1, 2]
    assert {d["provider_status"] for d in sent} == {"HTTP 200 id=sms-42"}
    assert {d["recipient"] for d in sent} == {"***666"}

    # The broker hands the submitted event over again: no second SMS.
    first = db.deliveries.find_one({"report_id": receipt["id"], "event": "report.submitted",
                                    "channel": "sms"})
    publisher = Publisher(settings)
    publisher.publish(Event("report.submitted", {"report_id": receipt["id"], "code": code,
                                                 "status": "submitted"},
                            message_id=first["message_id"]))
    publisher.close()
    pipeline_settled(api, db)  # whatever a repeat would have sent is sent by now
    assert len(sms_provider.received) == 3
    logs = logs_text(stack.run_dir)
    assert "81277776666" not in logs and "0812-7777-6666" not in logs


def test_contacts_the_sysadmin_changes_are_the_ones_used_next(api, stack, db, depok):
    sysadmin = depok.sysadmin
    _, newcomer = staff_through_api(api, sysadmin, "agency_admin", "depok", DLH,
                                    email="lama@depok.example.go.id", name="Admin Baru")
    changed = requests.patch(f"{api}/users/{newcomer['id']}",
                             json={"email": "Baru@Depok.Example.go.id", "language": "en"},
                             headers=sysadmin.headers, timeout=10)
    assert changed.status_code == 200 and changed.json()["email"] == "Baru@depok.example.go.id"
    bad = requests.patch(f"{api}/users/{newcomer['id']}", json={"phone": "nomor saya"},
                         headers=sysadmin.headers, timeout=10)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_phone")
    receipt = submit_depok(api)
    code = receipt["code"]
    [to_newcomer] = eventually(lambda: mails(stack.maildir, "Baru@depok.example.go.id", code),
                               what="mail to the new address")
    assert to_newcomer["Subject"] == f"New report for {DLH_EN}: {code}"
    requests.patch(f"{api}/users/{newcomer['id']}", json={"disabled": True},
                   headers=sysadmin.headers, timeout=10).raise_for_status()
    later = submit_depok(api)
    pipeline_settled(api, db)
    assert mails(stack.maildir, LIAISON, later["code"])
    assert not mails(stack.maildir, "Baru@depok.example.go.id", later["code"])
    assert not mails(stack.maildir, "lama@depok.example.go.id")
