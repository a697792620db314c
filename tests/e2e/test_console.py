"""The web console end to end: headless chromium (driven by tests/e2e/journey.mjs with
playwright-core) against the real platform; then the database and the API are asked whether
what the pages showed really happened. Screenshots go to tests/artifacts/console/."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from stack_client import submit, wait_for_status
from staff_accounts import PASSWORD, make_staff

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console"


@pytest.fixture(scope="module")
def base_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"


def _doubtful_report(api: str) -> str:
    """A photo taken three days ago: Padang's policy sends it to review (stale_photo)."""
    lat, lon = INSIDE["padang"]
    photo = camera_photo(lat, lon, datetime.now(WIB) - timedelta(days=3))
    response = submit(api, photo, {"city": "padang", "category": "other",
                                   "description": "Lampu jalan mati sejak tiga hari lalu",
                                   "location": {"lat": lat, "lon": lon}})
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], {"needs_review"}, token=receipt["token"])
    return receipt["code"]


def test_a_report_goes_from_a_phone_to_done_and_into_the_leaders_chart(base_url, tmp_path):
    db = get_db(Settings.from_env())
    api = f"{base_url}/api/v1"
    operator = make_staff(db, api, "operator")
    agency = make_staff(db, api, "agency_admin", agency="DLH")
    leader = make_staff(db, api, "leader")
    photo, evidence = tmp_path / "photo.jpg", tmp_path / "evidence.jpg"
    photo.write_bytes(fresh_padang_photo())
    evidence.write_bytes(fresh_padang_photo())
    doubtful = _doubtful_report(api)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    lat, lon = INSIDE["padang"]
    config = {
        "base_url": base_url, "artifacts": str(ARTIFACTS), "photo": str(photo),
        "evidence": str(evidence), "lat": lat, "lon": lon,
        # "other" has no routing rule: the report waits in the operators' queue to be forwarded.
        "category": "other", "description": "Sampah menumpuk di depan pasar sejak kemarin",
        "operator": operator.username, "agency_user": agency.username, "agency": "DLH",
        "leader": leader.username, "password": PASSWORD, "doubtful": doubtful,
    }
    seen = run_script("journey.mjs", config)

    assert seen["outside_requests"] == []  # every asset from the gateway's own origin
    assert seen["page_errors"] == []
    assert seen["capture"] == "environment"
    assert seen["token_kept"] is True
    assert "report_not_found" in seen["unknown_code_message"]
    assert "invalid_credentials" in seen["bad_login_message"]
    assert seen["resident_stage"] == "Selesai"
    # The tracking page's text: no stray "null", times in the city's zone whatever the
    # browser's (the visitor's is Asia/Jayapura, WIT), the stage bar for anyone who may see
    # the report, the recovery form for a browser without the token.
    for text in (seen["tracking_text"], seen["public_tracking_text"]):
        assert "null" not in text and "undefined" not in text and "[object" not in text
        assert "Riwayat" in text and "Tanggapan" in text and "WIB" in text
    assert seen["resident_created"].endswith(" WIB") and seen["public_created"].endswith(" WIB")
    assert seen["public_created"] == seen["resident_created"]
    assert seen["public_stage"] == "Selesai"
    assert "Anda pelapornya?" in seen["public_tracking_text"]
    assert "Anda pelapornya?" not in seen["tracking_text"]
    assert seen["chart_drawn"] is True
    assert seen["unlabelled"] == {"submit": [], "operator_report": [], "agency_report": [],
                                  "leader": []}
    assert "Petugas kebersihan menuju lokasi" in seen["resident_responses"]
    # The agency's public response reaches the resident; its internal note does not.
    assert "Sampah sudah diangkut, terima kasih" in seen["resident_responses"]
    assert "Truk DLH" not in seen["resident_responses"]
    assert "Catatan internal (tidak terlihat publik)" in seen["agency_labels"]
    assert "Tanggapan publik" in seen["agency_labels"]
    assert seen["agency_sla_summary"].startswith("DLH: Menunggu respons")
    assert seen["csv_name"].startswith("aduan-padang-agencies-")

    overridden = db.reports.find_one({"code": doubtful})
    assert overridden["status"] == "verified"
    assert overridden["history"][-1]["actor"]["role"] == "operator"
    assert "Foto lama" in seen["doubtful_reasons"]

    report = db.reports.find_one({"code": seen["code"]})
    assert report["status"] == "closed"
    assert report["channel"] == "web"
    assert report["rating"]["score"] == 5
    moves = [(e["to"], e["actor"].get("role")) for e in report["history"]]
    assert ("forwarded", "operator") in moves
    assert ("resolved", "agency_admin") in moves
    resolved = next(e for e in report["history"] if e["to"] == "resolved")
    assert resolved["photos"], "the evidence photo was stored with the resolution"

    stats = requests.get(f"{api}/stats", headers=leader.headers, timeout=10).json()
    assert seen["leader_total"] == stats["total"] >= 1
    assert seen["leader_stage_counts"]["Selesai"] == stats["by_stage"]["kiniko"]["done"] >= 1
    assert "DLH" in seen["leader_agencies"]
    for name in ("01-resident-submit", "05-agency-inbox", "07-resident-done",
                 "09-leader-dashboard"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
