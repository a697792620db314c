"""The staff intake desk end to end (headless chromium driven by tests/e2e/desk.mjs): an operator
files a caller's report at "Loket pengaduan" without a photo; the caller's email brings the code
and their tracking link; a new browser context opens that link and nothing else, sees the stage
bar and comments; the operator hears of the comment, answers on the report's page, and the
caller hears of the answer. The API and the mail sink are then asked whether it all happened.
Screenshots go to tests/artifacts/console-desk/."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from notification_helpers import mails, text_of
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from waiting import eventually

from aduan.infra.config import Settings
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-desk"
RUN = uuid.uuid4().hex[:6]  # the mail sink outlives a run: this run's addresses are its own
CALLER = f"penelepon.{RUN}@example.id"
OPERATOR_EMAIL = f"operator.desk.{RUN}@padang.example.go.id"
ADDRESS = "Jl. Pasar Raya No. 1, depan los ikan"
WALK_IN_ADDRESS = "Gang Surau, RT 02 RW 05, Kelurahan Jati"
COMMENT = "Sampahnya sekarang sudah sampai ke jalan, mohon segera diangkut."
ANSWER = "Terima kasih, laporan Anda sedang kami periksa."


def test_a_caller_filed_at_the_desk_follows_the_report_with_the_link_alone(stack: Stack):
    settings = Settings.from_env()
    base_url = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{base_url}/api/v1"
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Loket",
                                    email=OPERATOR_EMAIL, language="id")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": base_url, "artifacts": str(ARTIFACTS), "operator": operator.username,
              "password": PASSWORD, "category": "waste", "address": ADDRESS,
              "description": "Penelepon: sampah menumpuk di depan pasar sejak kemarin",
              "caller_name": "Bu Rina", "caller_email": CALLER,
              "walk_in_description": "Warga datang: lampu jalan mati di gang sebelah surau",
              "walk_in_address": WALK_IN_ADDRESS}

    desk = run_script("desk.mjs", {**config, "phase": "desk"})
    assert desk["outside_requests"] == [] and desk["page_errors"] == []
    assert "Loket pengaduan" in desk["operator_nav"]
    assert desk["heading"] == "Catat laporan untuk warga"
    assert desk["channels"] == ["Call center 112", "Datang langsung", "Pemantauan media",
                                "Media sosial", "SP4N-LAPOR!"]
    assert desk["types"] == ["Pengaduan", "Aspirasi", "Permintaan informasi"]
    assert desk["unlabelled"] == []
    assert "Kategori" in desk["incomplete"] and "Uraian" in desk["incomplete"]
    assert desk["spot"].startswith("Titik di peta: -0.")
    code = desk["code"]
    assert re.fullmatch(r"PDG-\d{4}-[0-9A-Z-]+", code)
    assert desk["sent_to"] == f"Kode dan tautan pelacakan akan dikirim ke: email {CALLER}"
    assert desk["tracking_url"] == f"{settings.public_base_url}/#/track/{code}"
    assert desk["form_cleared"] is True and desk["phone_overflow"] is False
    assert desk["walk_in_sent_to"] == ("Tanpa telepon atau email: bacakan kode ini kepada "
                                       "pelapor.")
    assert WALK_IN_ADDRESS in desk["walk_in_page"]
    walk_in = requests.get(f"{api}/staff/reports/{desk['walk_in_code']}",
                           headers=operator.headers, timeout=10).json()
    assert (walk_in["channel"], walk_in["no_photo"]) == ("walk_in", True)
    assert not (walk_in["reporter"] or {}).get("email") and not walk_in["reporter"].get("phone")
    assert walk_in["location"]["address"] == WALK_IN_ADDRESS
    assert walk_in["location"].get("lat") is None  # told, not geocoded

    # What the desk filed: the caller's report, marked no_photo, waiting for an operator.
    report = requests.get(f"{api}/staff/reports/{code}", headers=operator.headers,
                          timeout=10).json()
    assert (report["channel"], report["type"], report["no_photo"]) == ("call_centre",
                                                                       "complaint", True)
    assert report["location"]["address"] == ADDRESS and report["location"]["lat"] < 0
    assert report["reporter"]["email"] == CALLER and report["reporter"]["name"] == "Bu Rina"
    eventually(lambda: requests.get(f"{api}/staff/reports/{code}", headers=operator.headers,
                                    timeout=10).json()["status"] == "needs_review",
               what=f"{code} in the operators' review")

    # The caller's email: the code and their link, the token in the fragment.
    receipt = eventually(lambda: mails(stack.maildir, CALLER, code),
                         what="the caller's receipt email")[0]
    found = re.search(re.escape(f"{settings.public_base_url}/#/track/{code}/") + r"\S+",
                      text_of(receipt))
    assert found, text_of(receipt)
    link = found.group(0)  # the stack's public_base_url is its gateway: the console

    seen = run_script("desk.mjs", {**config, "phase": "follow", "code": code, "link": link,
                                   "resident_comment": COMMENT, "operator_answer": ANSWER})
    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    token = link.rsplit("/", 1)[1]
    assert token not in seen["address_bar"]  # taken out of the address bar once stored
    assert len(seen["stages"]) >= 3 and len(seen["current_stage"]) == 1
    assert seen["resident_status"] == "needs_review"
    assert "null" not in seen["resident_text"]
    assert COMMENT in seen["staff_page"]
    assert ANSWER in seen["resident_after"]

    # Each side heard of the other's comment.
    eventually(lambda: mails(stack.maildir, OPERATOR_EMAIL, code),
               what="the operator told of the caller's comment")
    answered = f"Tanggapan baru untuk laporan {code}"
    [told] = eventually(lambda: mails(stack.maildir, CALLER, answered),
                        what="the caller told of the operator's answer")
    assert ANSWER in text_of(told) and link in text_of(told)
    comments = requests.get(f"{api}/staff/reports/{code}", headers=operator.headers,
                            timeout=10).json()["comments"]
    assert [(c["by"], c["text"]) for c in comments] == [("reporter", COMMENT),
                                                        ("operator", ANSWER)]
    for name in ("d1-desk-empty", "d2-desk-filled", "d3-desk-filed", "d4-desk-phone",
                 "d5-walk-in-report",
                 "f1-resident-link", "f2-resident-commented", "f3-operator-answered",
                 "f4-resident-answer"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
