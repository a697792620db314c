"""Report types in the console end to end (headless chromium driven by
tests/e2e/report_types.mjs): the resident's form follows what the category asks of the chosen
type (a complaint about waste needs a photo and a place; an information request neither), a
request filed without either reaches the operators' review, and the operator reads its type and
"no photo" in the queue and on the report page. Screenshots: tests/artifacts/console-types/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from console_driver import run_script
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api

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
