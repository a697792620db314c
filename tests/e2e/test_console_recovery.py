"""The reporter on another device, in the console (tests/e2e/recovery.mjs): a confidential report
that another browser cannot see, opened again with a one-time code sent to the reporter's
email, and the tracking link from a message opened on a third browser, its token taken out of
the address bar. Screenshots: tests/artifacts/recovery/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from console_driver import run_script
from photo_factory import fresh_padang_photo
from stack_client import REPORT, submit, wait_for_status

from tools.devstack import Stack

pytestmark = pytest.mark.stack
ARTIFACTS = Path(__file__).parent.parent / "artifacts" / "recovery"


def test_a_reporter_opens_a_hidden_report_on_another_device_by_code_and_by_link(
        stack: Stack):
    base_url = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    email = "pelapor.ponsel.baru@example.id"
    filed = submit(f"{base_url}/api/v1", fresh_padang_photo(), {
        **REPORT, "privacy": "confidential",
        "reporter": {"name": "Nur", "email": email, "language": "id"}})
    assert filed.status_code == 202, filed.text
    receipt = filed.json()
    wait_for_status(f"{base_url}/api/v1", receipt["code"], {"forwarded"}, token=receipt["token"])
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    seen = run_script("recovery.mjs", {
        "base_url": base_url, "artifacts": str(ARTIFACTS), "maildir": str(stack.maildir),
        "code": receipt["code"], "email": email, "link": receipt["tracking_link"]})

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert "report_not_found" in seen["first_message"]  # a hidden report, to this browser
    assert "Anda pelapornya?" in seen["recover_text"]
    assert "Bila kontak sesuai" in seen["sent_message"]
    assert seen["kept"] is True and seen["created"].endswith(" WIB")  # Padang's, not WITA
    for text in (seen["recovered_text"], seen["link_text"]):
        assert REPORT["description"] in text and "null" not in text
        assert "Anda pelapornya?" not in text
    assert seen["link_hash"] == f"#/track/{receipt['code']}"  # the token left the address bar
    assert seen["link_kept"] is True
    # The fragment never left the browser: in no request line, no Referer, no server log.
    assert seen["token_sent_in"] == []
    logs = "".join(p.read_text(errors="replace") for p in (stack.run_dir / "logs").glob("*.log"))
    assert receipt["token"] not in logs
    for name in ("01-recovery-asked", "02-recovered", "03-opened-from-link"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
