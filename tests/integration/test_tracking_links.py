"""Tracking people can use (issue 18, section 3), through the real stack: receipts and messages
link to the console's tracking page (the reporter's with their token in the URL fragment), a
reporter gets their access back on another device by a one-time code, comments tell the other
side, status messages carry the agency's public response, and a referral tells the resident
which body and how to reach it while the body's desk gets the report by email. Everything is
set up through the public API; the mail arrives in the stack's sink."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import mails, one_time_code, sms_through, submit_depok, text_of
from photo_factory import INSIDE, WIB, camera_photo
from stack_client import REPORT, submit, wait_for_status
from staff_accounts import city_sysadmin, staff_through_api
from waiting import eventually
from workflow_client import act, bearer

from aduan.infra.catalogue import seed_categories

pytestmark = pytest.mark.stack

DLH = next(c for c in seed_categories("depok") if c["code"] == "waste")["agencies"][0]


def _mail(stack, to: str, subject: str):
    return eventually(lambda: mails(stack.maildir, to, subject), 30,
                      f"a mail to {to} about {subject!r}")[0]


def test_the_receipt_and_the_reporter_s_messages_link_to_the_console_page(api, stack, settings):
    address = "link.reporter@example.id"
    receipt = submit_depok(api, reporter={"name": "Rina", "email": address, "language": "id"})
    code, token = receipt["code"], receipt["token"]
    page = f"{settings.public_base_url}/#/track/{code}"
    assert receipt["tracking_url"] == page
    assert receipt["tracking_link"] == f"{page}/{token}"
    received = text_of(_mail(stack, address, f"Laporan {code}: diterima"))
    # The token travels in the fragment, which browsers never send: not in the JSON API's
    # address, not as a query parameter.
    assert f"{page}/{token}" in received and "/api/v1/" not in received and "?" not in received
    console = requests.get(f"{settings.public_base_url}/", timeout=10)
    assert console.status_code == 200 and "text/html" in console.headers["Content-Type"]


def test_a_reporter_gets_their_access_back_on_another_device_by_a_one_time_code(api, stack):
    address = "lupa.token@example.id"
    receipt = submit_depok(api, reporter={"name": "Dewi", "email": address, "language": "en"})
    code = receipt["code"]
    _mail(stack, address, f"Report {code}: received")

    def ask(contact: str) -> tuple[int, dict]:
        answer = requests.post(f"{api}/tracking/recover", json={"code": code, "contact": contact},
                               timeout=10)
        body = answer.json()
        body.pop("request_id", None)
        return answer.status_code, body

    # No oracle: a stranger's guess, an unknown report and the reporter's own address all get
    # the same answer.
    stranger = ask("someone.else@example.id")
    unknown = requests.post(f"{api}/tracking/recover", timeout=10,
                            json={"code": "DPK-2026-222-222-222", "contact": address})
    assert stranger[0] == 202 and (unknown.status_code, {
        k: v for k, v in unknown.json().items() if k != "request_id"}) == stranger
    assert ask(address.upper()) == stranger
    message = _mail(stack, address, f"Access code for report {code}")
    otp = one_time_code(message)
    assert "/#/track/" not in text_of(message)
    # The stranger's request (made first) sent nothing: the one code mail is the reporter's.
    assert len(mails(stack.maildir, address, "Access code")) == 1

    def verify(otp_given: str) -> requests.Response:
        return requests.post(f"{api}/tracking/verify", json={"code": code, "otp": otp_given},
                             timeout=10)

    wrong = verify(f"{(int(otp) + 1) % 10 ** 6:06d}")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "invalid_code")
    right = verify(otp)
    assert right.status_code == 200, right.text
    token = right.json()["token"]
    assert token == receipt["token"] and right.json()["tracking_link"].endswith(f"/{token}")
    mine = requests.get(f"{api}/reports/{code}", headers={"X-Reporter-Token": token}, timeout=10)
    assert mine.json()["reporter"]["email"] == address  # the reporter's own view
    again = verify(otp)  # used once
    assert (again.status_code, again.json()["error"]["code"]) == (422, "invalid_code")


def test_comments_tell_the_other_side_and_steps_carry_the_public_response(
        api, stack, settings):
    reporter_mail = "komentar.warga@example.id"
    admin_mail = f"admin.komentar.{DLH.lower()}@depok.example.go.id"
    sysadmin = city_sysadmin(api, "depok")
    staff_through_api(api, sysadmin, "agency_admin", "depok", DLH, email=admin_mail,
                      name="Admin Komentar")
    receipt = submit_depok(api, reporter={"email": reporter_mail, "language": "id"})
    code, token = receipt["code"], receipt["token"]
    wait_for_status(api, code, {"forwarded"}, token=token)
    _mail(stack, admin_mail, code)  # the forwarded report reached the agency's admin

    said = requests.post(f"{api}/reports/{code}/comments", json={"text": "Baunya makin parah"},
                         headers={"X-Reporter-Token": token}, timeout=10)
    assert said.status_code == 201, said.text
    to_agency = text_of(_mail(stack, admin_mail, f"Komentar pelapor pada laporan {code}"))
    assert "Baunya makin parah" in to_agency and reporter_mail not in to_agency
    assert f"/#/staff/report/{code}" in to_agency

    agency = bearer(settings, "agency_admin", city="depok", agency=DLH)
    answered = requests.post(f"{api}/reports/{code}/comments", headers=agency, timeout=10,
                             json={"text": "Truk dijadwalkan besok pagi"})
    assert answered.status_code == 201, answered.text
    to_reporter = text_of(_mail(stack, reporter_mail, f"Tanggapan baru untuk laporan {code}"))
    assert "Truk dijadwalkan besok pagi" in to_reporter
    assert f"/#/track/{code}/{token}" in to_reporter

    accepted = act(api, code, "accept", agency,
                   {"public_response": "Kami terima, petugas meluncur hari ini."})
    assert accepted.status_code == 200, accepted.text
    step = text_of(_mail(stack, reporter_mail, f"Laporan {code}: diterima instansi"))
    assert "Tanggapan:\r\nKami terima, petugas meluncur hari ini." in step


def test_a_referral_names_the_body_and_its_desk_gets_the_report(api, stack, settings):
    desk = "pengaduan@pdam-jambi.example.co.id"
    sysadmin = bearer(settings, "sysadmin", city="jambi")
    patched = requests.patch(f"{api}/agencies/PDAM", headers=sysadmin, timeout=10,
                             json={"contact": {"email": desk, "phone": "0741 123456"}})
    assert patched.status_code == 200, patched.text
    reporter_mail = "rujukan.warga@example.id"
    lat, lon = INSIDE["jambi"]
    photo = camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=20))
    filed = submit(api, photo, {**REPORT, "city": "jambi", "category": "water",
                                "location": {"lat": lat, "lon": lon},
                                "description": "Air PDAM tidak mengalir tiga hari",
                                "privacy": "anonymous",
                                "reporter": {"name": "Rahasia", "email": reporter_mail,
                                             "language": "id"}})
    assert filed.status_code == 202, filed.text
    code = filed.json()["code"]
    to_desk = _mail(stack, desk, code)
    text = text_of(to_desk)
    assert "Air PDAM tidak mengalir tiga hari" in text
    # An anonymous reporter stays anonymous to the body; no contact of theirs is ever sent.
    assert "Rahasia" not in text and reporter_mail not in text
    assert f"/#/track/{code}" in text and "/#/staff/" not in text
    told = text_of(_mail(stack, reporter_mail, f"Laporan {code}: dirujuk"))
    assert "Perumda Air Minum Tirta Mayang Kota Jambi" in told and "0741 123456" in told
    shown = requests.get(f"{api}/reports/{code}", timeout=10).json()
    assert shown["referral"]["contact"]["phone"] == "0741 123456"
    assert shown["stages"]["city"]  # the stage bar's place, for anyone who may see it


def test_by_sms_the_code_and_the_answers_reach_a_phone_only_reporter_and_webhooks_hear(
        api, stack, settings):
    provider = Receiver(reply=b'{"status": "queued", "message_id": "sms-7"}').start()
    hook = Receiver().start()
    sysadmin = bearer(settings, "sysadmin", city="depok")
    subscription = requests.post(f"{api}/webhooks", headers=sysadmin, timeout=10, json={
        "url": hook.url, "secret": "webhook-secret-for-tests-0002", "city": "depok",
        "events": ["report.commented"], "owner": "city"})
    assert subscription.status_code == 201, subscription.text
    try:
        with sms_through(stack, provider):
            receipt = submit_depok(api, reporter={"phone": "0812-5555-4444", "language": "id"})
            code = receipt["code"]
            wait_for_status(api, code, {"forwarded"}, token=receipt["token"])

            def texts() -> list[str]:
                return [json.loads(r.body)["message"] for r in provider.received
                        if json.loads(r.body)["msisdn"] == "+6281255554444"]

            asked = requests.post(f"{api}/tracking/recover", timeout=10,
                                  json={"code": code, "contact": "+62 812 5555 4444"})
            assert asked.status_code == 202
            sms = eventually(lambda: [t for t in texts() if "kode akses" in t], 30,
                             "the code by SMS")[0]
            otp = re.search(r"\b(\d{6})\b", sms).group(1)
            opened = requests.post(f"{api}/tracking/verify", json={"code": code, "otp": otp},
                                   timeout=10)
            assert opened.json()["token"] == receipt["token"]

            agency = bearer(settings, "agency_admin", city="depok", agency=DLH)
            said = requests.post(f"{api}/reports/{code}/comments", headers=agency, timeout=10,
                                 json={"text": "Petugas datang sore ini"})
            assert said.status_code == 201, said.text
            answer = eventually(lambda: [t for t in texts() if "menanggapi" in t], 30,
                                "the comment by SMS")[0]
            assert f"/#/track/{code}/{receipt['token']}" in answer
        delivered = eventually(lambda: [json.loads(r.body) for r in hook.received
                                        if json.loads(r.body)["report"]["code"] == code], 30,
                               "the comment's webhook")[0]
        assert delivered["event"] == "report.commented"
        assert delivered["data"]["author"] == "agency_admin"
        assert delivered["data"]["agency"] == DLH and delivered["data"]["comment_id"]
        assert "Petugas datang" not in json.dumps(delivered)
    finally:
        requests.delete(f"{api}/webhooks/{subscription.json()['id']}", headers=sysadmin,
                        timeout=10)
        provider.stop()
        hook.stop()
