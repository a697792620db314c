"""The sysadmin's staff directory end to end (headless chromium driven by tests/e2e/admin.mjs):
a city's sysadmin, made through the API, adds the head of an agency with contacts on #/admin
(a bad phone number refused first), changes its email, and the head signs in on the leaders'
page and changes its own phone number (#/me). The API is then asked whether the account is as
the page said. Screenshots go to tests/artifacts/console-admin/."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from staff_accounts import PASSWORD, city_sysadmin

from aduan.infra.catalogue import seed_agencies
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-admin"


def test_a_sysadmin_keeps_the_staff_directory_in_the_console(stack: Stack):
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    sysadmin = city_sysadmin(api, "padang")
    agency = seed_agencies("padang")[0]["code"]
    head = f"kepala-{uuid.uuid4().hex[:8]}"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "sysadmin": sysadmin.username, "head": head, "agency": agency,
              "password": PASSWORD}
    seen = run_script("admin.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert "#/admin" in seen["nav"]
    assert seen["unlabelled"] == []
    assert "Nomor telepon tidak valid" in seen["refusal"] and "invalid_phone" in seen["refusal"]
    assert "+6281234567890" in seen["row"] and "kepala.uji@padang.example.go.id" in seen["row"]
    assert "Kepala.Baru@padang.example.go.id" in seen["edited"]
    assert "#/leader" in seen["head_nav"] and "#/agency" not in seen["head_nav"]
    assert "#/admin" not in seen["head_nav"]
    assert seen["own_phone"] == "+6281311112222"

    users = requests.get(f"{api}/users", headers=sysadmin.headers, timeout=10).json()["items"]
    [stored] = [u for u in users if u["username"] == head]
    assert (stored["role"], stored["agency"], stored["name"], stored["email"], stored["phone"],
            stored["language"]) == ("agency_head", agency, "Kepala Dinas Uji",
                                    "Kepala.Baru@padang.example.go.id", "+6281311112222", "en")
    for name in ("a1-bad-phone-refused", "a2-head-added", "a3-email-edited",
                 "a4-head-lands-on-leader-page", "a5-head-edits-own-phone"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
