"""Report types in the console end to end (headless chromium driven by
tests/e2e/report_types.mjs): the resident's form follows what the category asks of the chosen
type (a complaint about waste needs a photo and a place; an information request neither), a
request filed without either reaches the operators' review, and the operator reads its type and
"no photo" in the queue and on the report page; once an agency answers a request, its reporter
reads "Dijawab" (answered) on the tracking page. Screenshots: tests/artifacts/console-types/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from console_driver import run_script
from photo_factory import INSIDE
from stack_client import submit, wait_for_status
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from workflow_client import act, bearer

from aduan.infra.config import Settings
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-types"


def test_a_resident_asks_for_information_without_photo_or_place(stack: Stack):
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    sysadmin = city_sysadmin(f"{gateway}/api/v1", "padang")
    operator, _ = staff_through_api(f"{gateway}/api/v1", sysadmin, "operator", "padang",
                                    name="Operator Jenis")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    seen = run_script("report_types.mjs", {
        "base_url": gateway, "artifacts": str(ARTIFACTS), "operator": operator.username,
        "password": PASSWORD,
        "description": "Berapa lama izin usaha mikro terbit dan apa saja syaratnya?"})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["unlabelled"] == []
    assert seen["complaint_waste"]["photo"] == "required"
    assert seen["complaint_waste"]["photo_label"] == "Foto (kamera)"
    assert seen["complaint_waste"]["location_label"] == "Lokasi"
    assert seen["request"]["photo"] == "optional"
    assert seen["request"]["photo_label"] == "Foto (kamera, opsional)"
    assert seen["request"]["location_label"] == "Lokasi (opsional)"
    assert "permits" in seen["request"]["categories"]
    assert seen["code"].startswith("PDG-")
    assert seen["staff_type"] == "Permintaan informasi Tanpa foto"
    assert "Permintaan informasi" in seen["queue_row"] and "Tanpa foto" in seen["queue_row"]
    for name in ("t1-information-request-form", "t2-information-request-tracked",
                 "t3-operator-reads-type-and-no-photo", "t4-queue-no-photo"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_the_reporter_reads_that_their_request_was_answered(stack: Stack, settings: Settings):
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{gateway}/api/v1"
    lat, lon = INSIDE["padang"]
    filed = submit(api, None, {
        "city": "padang", "category": "permits", "type": "information_request",
        "channel": "app", "location": {"lat": lat, "lon": lon},
        "description": "Apa syarat izin mendirikan warung di depan rumah?"})
    assert filed.status_code == 202, filed.text
    receipt = filed.json()
    wait_for_status(api, receipt["code"], {"needs_review"}, token=receipt["token"])
    assert act(api, receipt["code"], "verify", bearer(settings, "operator")).status_code == 200
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    agency = bearer(settings, "agency_admin", agency="DPMPTSP")
    answer = "Cukup NIB lewat OSS; tidak ada biaya."
    for action, body in (("accept", {}), ("start", {}),
                         ("resolve", {"note": "Dijawab", "public_response": answer})):
        done = act(api, receipt["code"], action, agency, body)
        assert done.status_code == 200, f"{action}: {done.text}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = run_script("report_answered.mjs", {
        "base_url": gateway, "artifacts": str(ARTIFACTS), "code": receipt["code"],
        "token": receipt["token"]})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["status"] == "Dijawab" and seen["status_en"] == "Answered"
    assert "Dijawab" in seen["history"] and "Diselesaikan" not in seen["history"]
    assert answer in seen["responses"]
    # Answered, not done: the reporter's buttons say so too.
    assert (seen["confirm"], seen["reopen"]) == ("Sudah terjawab, terima kasih",
                                                 "Belum terjawab, buka lagi")
    assert (ARTIFACTS / "t5-request-answered.png").stat().st_size > 10_000
