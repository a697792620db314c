"""Possible duplicates in the console end to end (headless chromium driven by
tests/e2e/duplicates.mjs): two reports of the same category 20 m apart, filed through the API;
the operator, made by the city's sysadmin through the user API, opens the later one, finds the
earlier one listed and marks the report its duplicate in one click. The API is then asked
whether it really happened. Screenshots go to tests/artifacts/console-duplicates/."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from photo_factory import moved_north, photo_of_its_own, spot_of_its_own
from stack_client import REPORT, submit, wait_for_status
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api

from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-duplicates"


def _file(api: str, rng: random.Random, lat: float, lon: float) -> str:
    """A "waste" report at the spot with a fresh camera photo of a picture of its own."""
    response = submit(api, photo_of_its_own(rng, lat, lon),
                      {**REPORT, "location": {"lat": lat, "lon": lon}})
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return receipt["code"]


def test_an_operator_marks_a_report_a_duplicate_of_the_one_listed_beside_it(stack: Stack):
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    rng = random.Random()
    spot = spot_of_its_own(rng, "padang")
    first = _file(api, rng, *spot)
    second = _file(api, rng, *moved_north(spot, 20))
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "first": first, "second": second, "operator": operator.username,
              "password": PASSWORD}
    seen = run_script("duplicates.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["heading"] == "Mungkin laporan yang sama"
    assert first in seen["entry"] and "lokasi dekat, kategori sama" in seen["entry"]
    assert "20 m" in seen["entry"]
    assert seen["link"] == f"#/staff/report/{first}"
    assert seen["button"] == "Tandai duplikat dari laporan ini"
    assert seen["status_after"] == "duplicate" and seen["buttons_after"] == 0

    view = requests.get(f"{api}/staff/reports/{second}", headers=operator.headers,
                        timeout=10).json()
    assert view["status"] == "duplicate"
    history = requests.get(f"{api}/reports/{second}/workflow", headers=operator.headers,
                           timeout=10).json()["history"]
    assert history[-1]["to"] == "duplicate"
    for name in ("d1-possible-duplicates", "d2-marked-duplicate"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
