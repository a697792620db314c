"""Who hears what, in which language, once, and never more than they may: through the real
broker, workers, SMTP sink and a real HTTP SMS provider started here."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import (
    html_of,
    logs_text,
    mails,
    staff_headers,
    submit_depok,
    text_of,
)
from stack_client import pipeline_settled, wait_for_status
from waiting import eventually

from aduan.infra.messaging import Event, Publisher
from services.notification.digest import Digest
from services.notification.senders import SmtpSender
from tools.devstack import ROOT

pytestmark = pytest.mark.stack

LIAISON = "liaison.dlh@depok.example.go.id"
ADMIN = "admin.dlh@depok.example.go.id"
HEAD = "kepala.dlh@depok.example.go.id"
LEADER_EN = "walikota.office@depok.example.go.id"
LEADER_DLH = "asisten.lingkungan@depok.example.go.id"
STAFF_IDS = ["test-admin-dlh", "test-leader-en", "test-leader-dlh", "test-leader-off"]


@pytest.fixture(scope="module", autouse=True)
def depok_staff(db):
    db.agencies.update_one({"_id": "depok:DLH"}, {"$set": {
        "liaison_emails": [LIAISON], "head_email": HEAD, "head_phone": "+62 811-3333-4444"}})
    db.staff_contacts.insert_many([
        {"_id": "test-admin-dlh", "city": "depok", "role": "agency_admin", "agency": "DLH",
         "name": "Admin DLH", "email": ADMIN, "language": "id"},
        {"_id": "test-leader-en", "city": "depok", "role": "leader", "agency": None,
         "name": "Office of the Mayor", "email": LEADER_EN, "language": "en"},
        {"_id": "test-leader-dlh", "city": "depok", "role": "leader", "agency": "DLH",
         "name": "Asisten", "email": LEADER_DLH, "language": "id"},
        {"_id": "test-leader-off", "city": "depok", "role": "leader", "agency": None,
         "email": "silenced.leader@depok.example.go.id", "active": False},
    ])
    yield
    db.agencies.update_one({"_id": "depok:DLH"},
                           {"$unset": {"liaison_emails": "", "head_email": "", "head_phone": ""}})
    db.staff_contacts.delete_many({"_id": {"$in": STAFF_IDS}})


def test_an_english_speaking_reporter_hears_each_step_in_english(api, stack):
    address = "jane.reporter@example.org"
    receipt = submit_depok(api, reporter={"name": "Jane", "email": address, "language": "en"})
    code = receipt["code"]
    eventually(lambda: mails(stack.maildir, address, f"{code}: forwarded"), what="forwarded mail")
    subjects = sorted(m["Subject"] for m in mails(stack.maildir, address))
    assert subjects == [f"Report {code}: forwarded to the agency", f"Report {code}: received"]
    forwarded = mails(stack.maildir, address, "forwarded")[0]
    text = text_of(forwarded)
    assert "Handled by: Environment Agency." in text
    assert f"/api/v1/reports/{code}" in text
    assert "Your report has been forwarded to the responsible agency" in text
    html = html_of(forwarded)
    assert '<html lang="en">' in html and f'/api/v1/reports/{code}">' in html


def test_liaisons_hear_of_a_forwarded_report_but_never_who_reported_it_anonymously(
        api, stack, db):
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
        f"Laporan baru untuk Dinas Lingkungan Hidup: {anonymous['code']}"
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
    # And no log line of any process holds an address or a number in clear.
    logs = logs_text(stack.run_dir)
    for secret in (hidden["email"], "081298765432", LIAISON, ADMIN, "budi@example.id"):
        assert secret not in logs
    assert "s***@example.id" in logs and "l***@depok.example.go.id" in logs


def test_an_sla_breach_reaches_head_and_leaders_once(api, stack, db, settings):
    receipt = submit_depok(api, privacy="confidential",
                           reporter={"name": "Rahasia Sekali", "email": "rahasia@example.id"})
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    due = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    event = Event("report.sla_breached", {
        "report_id": receipt["id"], "code": receipt["code"], "city": "depok",
        "status": "forwarded", "occurred_at": datetime.now(UTC).isoformat(),
        "agency": "DLH", "kind": "follow_up", "due_at": due.isoformat(),
        "escalate_to": [{"role": "agency_head", "agency": "DLH"}, {"role": "leader"}],
    })
    publisher = Publisher(settings)
    publisher.publish(event)
    code = receipt["code"]
    for address in (HEAD, LEADER_EN, LEADER_DLH):
        eventually(lambda a=address: mails(stack.maildir, a, code), what=f"mail to {address}")

    [to_head] = mails(stack.maildir, HEAD, code)
    assert to_head["Subject"] == f"Batas waktu terlewati: laporan {code} (Dinas Lingkungan Hidup)"
    assert "batas waktu 01-12-2026 09:00 WIB" in text_of(to_head)
    assert "dirahasiakan (laporan rahasia)" in text_of(to_head)
    assert "Rahasia Sekali" not in text_of(to_head) and "rahasia@example.id" not in text_of(to_head)
    [to_leader] = mails(stack.maildir, LEADER_EN, code)
    assert to_leader["Subject"] == f"Deadline missed: report {code} (Environment Agency)"
    assert not mails(stack.maildir, "silenced.leader@depok.example.go.id")
    assert not [m for m in mails(stack.maildir, "rahasia@example.id", code)
                if "Batas" in m["Subject"]]  # the reporter is not told of staff deadlines

    publisher.publish(event)  # the broker hands the same event over again
    publisher.close()
    pipeline_settled(api, db)  # whatever a repeat would have sent is sent by now
    for address in (HEAD, LEADER_EN, LEADER_DLH):
        assert len(mails(stack.maildir, address, code)) == 1


def test_the_delivery_log_of_a_report_is_readable_by_its_city_s_operators(
        api, stack, settings):
    receipt = submit_depok(api)
    code = receipt["code"]
    eventually(lambda: mails(stack.maildir, "warga@example.id", f"{code}: diteruskan"),
             what="forwarded mail")
    url = f"{api}/reports/{code}/deliveries"
    operator = staff_headers(settings, "operator")

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
    raw = requests.get(url, headers=staff_headers(settings, "sysadmin", "depok"), timeout=10)
    assert raw.status_code == 200
    assert "warga@example.id" not in raw.text and LIAISON not in raw.text

    assert requests.get(url, timeout=10).status_code == 401
    forbidden = requests.get(url, headers=staff_headers(settings, "agency_admin", agency="DLH"),
                             timeout=10)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    elsewhere = requests.get(url, headers=staff_headers(settings, "operator", "padang"),
                             timeout=10)
    assert elsewhere.status_code == 404
    assert elsewhere.json()["error"]["code"] == "report_not_found"
    unknown = requests.get(f"{api}/reports/DPK-1999-000000/deliveries", headers=operator,
                           timeout=10)
    assert unknown.status_code == 404


def test_leaders_get_a_daily_digest_per_agency_once_a_day(api, stack, db, settings):
    receipt = submit_depok(api)
    wait_for_status(api, receipt["code"], {"forwarded"})
    env = {**stack.env(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    dry = subprocess.run([sys.executable, "-m", "services.notification.digest", "--city",
                          "depok", "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    figures = {f["code"]: f for f in json.loads(dry.stdout)["depok"]}
    assert figures["DLH"]["not_accepted"] >= 1 and figures["DLH"]["new_24h"] >= 1
    assert not mails(stack.maildir, LEADER_EN, "digest")

    digest = Digest(settings, db, SmtpSender(settings))
    first = digest.send("depok")
    assert (first.sent, first.failed) == (2, 0)
    [to_mayor] = mails(stack.maildir, LEADER_EN, "digest")
    assert to_mayor["Subject"] == f"Aduan daily digest for Kota Depok, {first.day}"
    html = html_of(to_mayor)
    assert "<th>Not yet accepted</th>" in html
    dlh = next(row for row in text_of(to_mayor).split("\n\n") if "(DLH)" in row)
    assert f"Not yet accepted: {figures['DLH']['not_accepted']}" in dlh
    assert "Environment Agency (DLH)" in dlh and "(PUPR)" in text_of(to_mayor)
    [to_assistant] = mails(stack.maildir, LEADER_DLH, "Ringkasan harian")
    assert "(DLH)" in text_of(to_assistant) and "(PUPR)" not in text_of(to_assistant)

    again = digest.send("depok")
    assert (again.sent, again.skipped) == (0, 2)
    assert len(mails(stack.maildir, LEADER_EN, "digest")) == 1


@pytest.fixture
def sms_provider(stack):
    """The stack's notification worker restarted with SMS sent to a real local HTTP provider
    that fails its first request; restored afterwards."""
    provider = Receiver(answer=lambda n: 503 if n == 1 else 200,
                        reply=b'{"status": "queued", "message_id": "sms-42"}').start()
    overrides = {
        "SMS_URL": provider.url,
        "SMS_AUTH_HEADER": "X-Api-Key: test-sms-key",
        "SMS_BODY_TEMPLATE": '{"msisdn": "{to}", "message": "{text}", "sender": "{sender}"}',
    }
    [worker] = [name for name in stack.processes if name.startswith("notification-worker")]
    stack.stop_process(worker)
    stack.overrides.update(overrides)
    stack.start_worker("notification-worker")
    try:
        yield provider
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        [worker] = [name for name in stack.processes if name.startswith("notification-worker")]
        stack.stop_process(worker)
        stack.start_worker("notification-worker")
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
