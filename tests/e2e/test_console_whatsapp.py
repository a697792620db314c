"""A report filed on WhatsApp in the console end to end (headless chromium driven by
tests/e2e/whatsapp.mjs): a resident's conversation through the webhook (Meta's signed payloads,
the Graph API played by tests/whatsapp_double.py) files it with a photo WhatsApp stripped of
EXIF; it waits for an operator, who reads on its page that it came by WhatsApp and that its
photo has no camera proof, in both languages; in a city whose policy accepts such photos
("flag"), the next one went on and its page notes the reason. Screenshots go to
tests/artifacts/console-whatsapp/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from console_driver import run_script
from photo_factory import spot_of_its_own
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from waiting import eventually
from whatsapp_double import WhatsAppDouble
from whatsapp_helpers import (
    channels_through,
    file_by_whatsapp,
    new_number,
    rng,
    webhook_of,
    whatsapp_photo,
)

from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-whatsapp"


def _restart_verification(stack: Stack) -> None:
    names = [n for n in stack.processes if n.startswith("verification-worker")]
    for name in names:
        stack.stop_process(name)
    for copy in range(len(names)):
        stack.start_worker("verification-worker", copy)


@contextmanager
def verification_policy(stack: Stack, policy: str) -> Iterator[None]:
    """The stack's verification workers restarted with ADUAN_VERIFICATION_POLICIES = policy;
    restored afterwards."""
    stack.overrides["VERIFICATION_POLICIES"] = policy
    _restart_verification(stack)
    try:
        yield
    finally:
        stack.overrides.pop("VERIFICATION_POLICIES")
        _restart_verification(stack)


def test_an_operator_sees_a_whatsapp_report_and_why_its_photo_proves_nothing(stack: Stack,
                                                                             db):
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{gateway}/api/v1"
    wa_id = new_number()
    lat, lon = spot_of_its_own(rng, "padang")
    with WhatsAppDouble() as graph, channels_through(stack, graph):
        code, _ = file_by_whatsapp(webhook_of(api), graph, wa_id, "waste",
                                   "Sampah menumpuk di tepi jalan sejak kemarin", lat, lon,
                                   whatsapp_photo())
        # Generous: the box is shared, and the workers restart below.
        eventually(lambda: db.reports.find_one({"code": code, "status": "needs_review"}),
                   120, what=f"{code} waiting for an operator")
        with verification_policy(stack, '{"padang": {"checks": {"no_camera_proof": "flag"}}}'):
            lat, lon = spot_of_its_own(rng, "padang")
            flagged_code, _ = file_by_whatsapp(
                webhook_of(api), graph, new_number(), "road",
                "Jalan berlubang di depan sekolah, berbahaya", lat, lon, whatsapp_photo())
            flagged = eventually(lambda: db.reports.find_one(
                {"code": flagged_code, "verification.verdict": {"$exists": True}}),
                120, what=f"{flagged_code} judged by the restarted workers")
    assert flagged["verification"] == {"verdict": "verified", "reasons": [],
                                       "flags": ["no_camera_proof"]}
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    seen = run_script("whatsapp.mjs", {
        "base_url": gateway, "artifacts": str(ARTIFACTS), "code": code,
        "flagged_code": flagged_code,
        "operator": operator.username, "password": PASSWORD})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["channel"] == "Kanal: WhatsApp"
    assert "Foto dari WhatsApp/LAPOR!: tanpa bukti kamera (lokasi dari laporan)" in \
        seen["verification"]
    assert "Tanpa EXIF" not in seen["verification"]
    assert "Photo from WhatsApp/LAPOR!: no camera proof (location from the report)" in \
        seen["verification_en"]
    assert f"+{wa_id}" in seen["page"]  # the reporter's number, to call back
    assert seen["photos"] == [True] and seen["flagged_photos"] == [True]
    assert seen["flags"] == ("Check notes: Photo from WhatsApp/LAPOR!: no camera proof "
                             "(location from the report)")
    assert ": verified" in seen["flagged_verification"]
    for name in ("w1-whatsapp-report", "w2-whatsapp-report-en", "w3-whatsapp-report-accepted"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
