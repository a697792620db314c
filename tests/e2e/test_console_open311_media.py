"""An Open311 report whose media_url the gateway refused, in the console end to end (headless
chromium driven by tests/e2e/open311_media.mjs): filed with the spec's own form, it waits for
an operator, who reads on the report page why it has no photo, in both languages.
Screenshots go to tests/artifacts/console-open311-media/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from waiting import eventually

from gateway import api_keys
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-open311-media"


def test_an_operator_reads_why_an_open311_report_has_no_photo(stack: Stack, db):
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{gateway}/api/v1"
    key = api_keys.create(db, "open311-console-client", "test", None)[1]
    form = {"api_key": key, "jurisdiction_id": "padang", "service_code": "waste",
            "lat": "-0.9726", "long": "100.4057", "address_string": "Jl. Bypass",
            "description": "Sampah menumpuk di tepi jalan sejak kemarin",
            "media_url": "http://169.254.169.254/latest/meta-data/"}
    created = requests.post(f"{gateway}/open311/v2/requests.json", data=form, timeout=30)
    assert created.status_code == 200, created.text
    code = created.json()[0]["service_request_id"]
    eventually(lambda: db.reports.find_one({"code": code, "status": "needs_review"}),
               what=f"{code} waiting for an operator")
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    seen = run_script("open311_media.mjs", {
        "base_url": gateway, "artifacts": str(ARTIFACTS), "code": code,
        "operator": operator.username, "password": PASSWORD})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["why"] == ("Gambar dari media_url (Open311) tidak dapat diambil: "
                           "alamat internal, ditolak")
    assert seen["why_en"] == ("The Open311 media_url picture could not be fetched: "
                              "an internal address, refused")
    assert "no_photo" in seen["verification"] or "foto" in seen["verification"].lower()
    for name in ("m1-media-url-refused", "m2-media-url-refused-en"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
