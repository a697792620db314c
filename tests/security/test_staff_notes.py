"""Item: what staff write for each other (an action's `note`) never reaches the reporter or
the public; what they write for them (`public_response`) does."""

from __future__ import annotations

import pytest
import requests
from attackers import every_answer_about, file_report, settle
from photo_factory import fresh_padang_photo
from staff_accounts import make_staff
from workflow_client import act

pytestmark = pytest.mark.stack

SECRET = "KATA-RAHASIA-7731 nomor HP kepala dinas 0812"
ANSWER = "Tim kebersihan sudah mengangkut sampahnya"


def test_resident_and_public_read_every_answer_and_never_find_the_internal_note(api, db):
    receipt = file_report(api, fresh_padang_photo())
    code = receipt["code"]
    settle(api, receipt, {"forwarded"})
    dlh = make_staff(db, api, "agency_admin", agency="DLH").headers
    for action, body, photo in (
            ("accept", {"note": f"accept {SECRET}", "public_response": "Laporan diterima"},
             None),
            ("start", {"note": f"start {SECRET}"}, None),
            ("resolve", {"note": f"resolve {SECRET}", "public_response": ANSWER},
             fresh_padang_photo())):
        done = act(api, code, action, dlh, body, photo=photo)
        assert done.status_code == 200, done.text

    answers = every_answer_about(api, receipt)
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert "KATA-RAHASIA" not in answer.text and "0812" not in answer.text, name
    for name in ("public view", "reporter view", "reporter workflow"):
        responses = [e.get("public_response") for e in answers[name].json()["history"]]
        assert ANSWER in responses and "Laporan diterima" in responses, name
        for entry in answers[name].json()["history"]:
            by = entry["by"]["kind"] if isinstance(entry["by"], dict) else entry["by"]
            assert "note" not in entry or by == "reporter", (name, entry)

    # Staff of the report still read the internal note, apart from the public response.
    staff = requests.get(f"{api}/reports/{code}/workflow", headers=dlh, timeout=10).json()
    resolved = [e for e in staff["history"] if e.get("action") == "resolve"][-1]
    assert resolved["note"] == f"resolve {SECRET}" and resolved["public_response"] == ANSWER


def test_reporter_cannot_post_a_public_response_in_the_agencys_name(api):
    receipt = file_report(api, fresh_padang_photo())
    settle(api, receipt, {"forwarded"})
    forged = act(api, receipt["code"], "reopen", {"X-Reporter-Token": receipt["token"]},
                 {"note": "buka", "public_response": "Dinas: laporan ini palsu"})
    assert forged.status_code == 422, forged.text
    assert forged.json()["error"]["code"] == "validation_failed"
