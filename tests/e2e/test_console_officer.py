"""The field officers' console end to end (headless chromium driven by tests/e2e/officer.mjs):
an agency admin, made with an officer by the city's sysadmin through the user API, dispatches
a forwarded report from its page; the officer, on a phone-sized screen, finds it in its tasks,
records a visit with a photo and resolves with an evidence photo taken days ago; the admin
sees the officer's times and the flag. The API is then asked whether it really happened.
Screenshots go to tests/artifacts/console-officer/."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from console_driver import run_script
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from workflow_client import bring_to, workflow

from aduan.infra.config import Settings
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-officer"


def test_an_officer_visits_and_resolves_from_a_phone(stack: Stack, tmp_path):
    settings = Settings.from_env()
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    report = bring_to(api, settings, "forwarded")
    code, agency = report["code"], report["workflow"]["agencies"][0]["code"]
    sysadmin = city_sysadmin(api, "padang")
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", agency,
                                 name="Admin Kebersihan")
    officer, officer_user = staff_through_api(api, sysadmin, "officer", "padang", agency,
                                              name="Rina Petugas")
    lat, lon = INSIDE["padang"]
    visit_photo, evidence = tmp_path / "visit.jpg", tmp_path / "evidence.jpg"
    visit_photo.write_bytes(fresh_padang_photo())
    evidence.write_bytes(camera_photo(lat, lon, datetime.now(WIB) - timedelta(days=3)))
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {
        "base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS), "code": code,
        "agency": agency, "admin": admin.username, "officer": officer.username,
        "officer_id": officer_user["id"], "password": PASSWORD,
        "visit_photo": str(visit_photo), "evidence": str(evidence),
    }
    seen = run_script("officer.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert "Rina Petugas" in seen["officers_offered"]
    assert seen["capture"] == "environment"
    assert seen["unlabelled"] == []
    assert seen["horizontal_scroll"] is False  # fits a 390 px wide phone
    assert seen["map_link"] == f"geo:{lat},{lon}?q={lat},{lon}"
    assert seen["after_visit"] == "in_progress" and seen["after_resolve"] == "resolved"
    assert "Foto lama" in seen["flag"]
    assert "Selesai" in seen["officer_line"]

    view = workflow(api, code, admin.headers)
    mine = next(a for a in view["agencies"] if a["code"] == agency)
    [entry] = mine["officers"]
    assert entry["id"] == officer_user["id"] and entry["status"] == "resolved"
    assert entry["assigned_at"] <= entry["first_visit_at"] <= entry["resolved_at"]
    assert mine["evidence_flag"]["reasons"] == ["stale_photo"]
    visit = next(e for e in view["history"] if e.get("action") == "visit")
    assert visit["officer"] == officer_user["id"] and visit["photos"]
    for name in ("o1-admin-dispatched", "o2-officer-tasks", "o4-officer-resolved",
                 "o5-admin-sees-flag"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
