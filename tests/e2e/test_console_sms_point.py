"""An SMS report's place completed in the console (headless chromium driven by
tests/e2e/sms_point.mjs): a resident's SMS ("SAMPAH <address> # <what>") through the inbound
webhook files a report with an address and no point; the operator opens it, reads that it came
by SMS and has no point yet, marks the place on the map and verifies; the API then shows the
point beside the address and the kecamatan it lies in. Screenshots go to
tests/artifacts/console-sms-point/."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from waiting import eventually

from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-sms-point"
SECRET = "test-sms-inbound-secret"
ADDRESS = "Jl. Proklamasi dekat masjid"


def _restart_channels(stack: Stack) -> None:
    stack.stop_process("channels")
    stack.start_http("channels")
    port = stack.profile.http_ports["channels"]

    def ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    eventually(ready, 60, "the channels service ready again", every_s=0.2)


@pytest.fixture()
def inbound_sms(stack: Stack) -> Iterator[None]:
    """The channels service with the inbound SMS secret (for Padang); restored afterwards."""
    overrides = {"SMS_INBOUND_SECRET": SECRET, "SMS_INBOUND_CITY": "padang"}
    stack.overrides.update(overrides)
    _restart_channels(stack)
    try:
        yield
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        _restart_channels(stack)


def test_an_operator_marks_where_an_sms_report_is_and_verifies_it(stack: Stack, inbound_sms):
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{gateway}/api/v1"
    sent = requests.post(f"{api}/channels/sms", headers={"X-Sms-Secret": SECRET}, timeout=30,
                         data={"from": f"0812{random.randrange(10**7, 10**8)}",
                               "text": f"SAMPAH {ADDRESS} # sampah dibakar tiap malam"})
    assert sent.status_code == 200, sent.text
    code = sent.json()["code"]
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")

    def waiting() -> bool:
        view = requests.get(f"{api}/reports/{code}/workflow", headers=operator.headers,
                            timeout=10).json()
        return view["status"] == "needs_review" and bool(view["forward_due_at"])

    eventually(waiting, 60, f"{code} waiting for an operator")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    seen = run_script("sms_point.mjs", {"base_url": gateway, "artifacts": str(ARTIFACTS),
                                        "code": code, "operator": operator.username,
                                        "password": PASSWORD})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["channel"] == "Kanal: SMS"
    assert ADDRESS in seen["address"]
    assert seen["hint"].startswith("Laporan ini belum punya titik")
    assert seen["picked"].startswith("Titik dipilih: -0.")
    assert seen["status_after"] != "needs_review"
    view = requests.get(f"{api}/staff/reports/{code}", headers=operator.headers,
                        timeout=10).json()
    assert view["location"]["address"] == ADDRESS
    assert isinstance(view["location"]["lat"], float) and view["kecamatan"]["name"]
    for name in ("s1-sms-report-without-point", "s2-point-marked", "s3-verified-with-point"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
