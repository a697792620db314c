"""Fixtures for the attack tests: the real platform started by the root `stack` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from attackers import file_report, settle
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from staff_accounts import make_staff
from workflow_client import act


@pytest.fixture(scope="session")
def operator(db, api):
    return make_staff(db, api, "operator")


@pytest.fixture(scope="session")
def hidden_reports(api, operator) -> dict[str, dict[str, Any]]:
    """One report the public may not see for each reason, placed through the API: not yet
    judged, judged against, put aside by an operator, or confidential."""
    no_gps = camera_photo(None, None, datetime.now(WIB) - timedelta(minutes=5))
    outside = camera_photo(*INSIDE["depok"], datetime.now(WIB) - timedelta(minutes=5))
    receipts = {
        "needs_review": file_report(api, no_gps, description="Rahasia: menunggu petugas"),
        "rejected": file_report(api, outside, description="Rahasia: foto dari luar kota"),
        "postponed": file_report(api, no_gps, description="Rahasia: ditunda petugas"),
        "archived": file_report(api, no_gps, description="Rahasia: diarsipkan petugas"),
        "confidential": file_report(api, fresh_padang_photo(), privacy="confidential",
                                    description="Rahasia: laporan rahasia warga"),
    }
    for status, receipt in receipts.items():
        settle(api, receipt, {"forwarded"} if status == "confidential"
               else {"rejected"} if status == "rejected" else {"needs_review"})
    for action, status in (("postpone", "postponed"), ("archive", "archived")):
        body = {"note": "cek lapangan"}
        if action == "postpone":
            body["until"] = (datetime.now(WIB) + timedelta(days=7)).date().isoformat()
        done = act(api, receipts[status]["code"], action, operator.headers, body)
        assert done.status_code == 200, done.text
    return receipts
