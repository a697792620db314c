"""Escalation in the console end to end (headless chromium driven by tests/e2e/escalation.mjs):
an operator escalates a report the agency DLH holds from its page, with a note; the head of
DLH, made by the city's sysadmin through the user API, finds it in the "Eskalasi" list linked
from the navigation and opens the report from there. The API is then asked whether it really
happened. Screenshots go to tests/artifacts/console-escalation/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from workflow_client import bring_to, workflow

from aduan.infra.config import Settings
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-escalation"
NOTE = "Tiga minggu tanpa kabar dari OPD, mohon perhatian."


def test_an_operator_escalates_and_the_head_of_the_agency_sees_it(stack: Stack):
    settings = Settings.from_env()
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    report = bring_to(api, settings, "accepted")  # "waste": routed to DLH, which accepted
    code = report["code"]
    [agency] = [a["code"] for a in report["workflow"]["agencies"]]
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")
    head, _ = staff_through_api(api, sysadmin, "agency_head", "padang", agency,
                                name="Kepala Dinas")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "code": code, "operator": operator.username, "head": head.username,
              "password": PASSWORD, "note": NOTE}
    seen = run_script("escalation.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["escalate_label"] == "Eskalasi ke kepala OPD"
    assert "Eskalasi" not in seen["operator_nav"]  # the list is the heads' and the leaders'
    assert seen["status_after"] == "accepted"  # an escalation changes no status
    assert NOTE in seen["report_escalations"][0]
    assert "Eskalasi" in seen["head_nav"]
    assert seen["heading"] == "Eskalasi ke kepala OPD"
    assert seen["row"][0] == code and seen["row"][1].startswith(agency)
    assert seen["row"][2] == NOTE and seen["row"][3] == "Operator"
    assert seen["link"] == f"#/staff/report/{code}"
    assert seen["head_report_status"] == "accepted" and seen["head_actions"] == 0

    [escalation] = workflow(api, code, operator.headers)["escalations"]
    assert (escalation["agency"], escalation["note"], escalation["by"]["role"]) == (
        agency, NOTE, "operator")
    listed = requests.get(f"{api}/escalations", headers=head.headers, timeout=10).json()
    assert [row["note"] for row in listed["escalations"] if row["code"] == code] == [NOTE]
    for name in ("e1-operator-escalated", "e2-head-escalations", "e3-head-report"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
