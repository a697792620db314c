"""The leaders' page end to end (headless chromium driven by tests/e2e/leader.mjs): reports
are brought to done through the API, one handled by a field officer, two rated by their
reporters; a city leader and the head of the agency, made by the city's sysadmin through the
user API, read their figures. What the pages show is compared with `GET /stats`.
Screenshots go to tests/artifacts/console-leader/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from photo_factory import fresh_padang_photo
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from workflow_client import act, bring_to

from aduan.infra.config import Settings
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-leader"


def _ok(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_leader_and_a_head_of_agency_read_their_figures(stack: Stack):
    settings = Settings.from_env()
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    rated = [bring_to(api, settings, "closed"), bring_to(api, settings, "closed", channel="web")]
    for report, score in zip(rated, (5, 3), strict=True):
        _ok(act(api, report["code"], "rate", {"X-Reporter-Token": report["token"]},
                {"score": score}))
    agency = rated[0]["workflow"]["agencies"][0]["code"]
    sysadmin = city_sysadmin(api, "padang")
    leader, _ = staff_through_api(api, sysadmin, "leader", "padang", name="Wali Kota")
    head, _ = staff_through_api(api, sysadmin, "agency_head", "padang", agency,
                                name="Kepala Dinas")
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", agency)
    officer, officer_user = staff_through_api(api, sysadmin, "officer", "padang", agency,
                                              name="Rina Petugas")
    # One report handled by a field officer: dispatched, visited, resolved.
    code = bring_to(api, settings, "forwarded", agency=agency)["code"]
    _ok(act(api, code, "dispatch", admin.headers, {"officers": [officer_user["id"]]}))
    _ok(act(api, code, "visit", officer.headers, {"note": "Sudah dicek"},
            photo=fresh_padang_photo()))
    _ok(act(api, code, "resolve", officer.headers, {"note": "Sudah diangkut"},
            photo=fresh_padang_photo()))
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "leader": leader.username, "head": head.username, "password": PASSWORD}
    seen = run_script("leader.mjs", config)
    assert seen["outside_requests"] == [] and seen["page_errors"] == []

    stats = _ok(requests.get(f"{api}/stats", headers=leader.headers, timeout=20))
    page = seen["leader"]
    assert page["total"] == stats["total"] and page["agency"] is None
    assert float(page["rating_average"]) == stats["ratings"]["overall"]["average"]
    # Padang's own stages (Kiniko's four), then "outside the pipeline".
    assert page["stages"] == ["Belum diteruskan admin", "Belum diterima OPD/camat", "Diterima",
                              "Selesai", "Di luar alur"]
    assert ["Situs web", str(stats["by_channel"]["web"])] in page["channels"]
    assert any(row[0] == agency and row[1] == "waste" for row in page["ratings"])
    assert any(row[0] == agency for row in page["agency_times"])
    assert any(row[0] == "Rina Petugas" and row[1] == agency for row in page["officer_times"])
    assert page["charts_drawn"] and page["unlabelled"] == []

    own = _ok(requests.get(f"{api}/stats", headers=head.headers, timeout=20))
    mine = seen["head"]
    assert mine["agency"] == agency == own["agency"]
    assert mine["total"] == own["total"] == stats["by_agency"][agency]
    assert [row[0] for row in mine["agency_times"]] == [agency]
    assert {row[0] for row in mine["ratings"]} == {agency}
    assert "Pimpinan" in mine["nav"]  # the head of an agency finds the page
    for name in ("leader", "agency-head"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
