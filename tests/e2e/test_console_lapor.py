"""The console's SP4N-LAPOR! parts end to end (headless chromium driven by tests/e2e/lapor.mjs):
the city's sysadmin edits the topic mapping on #/lapor (a bad mapping refused in words, a topic
added, re-mapped and removed), an operator reads it without edit controls; the page of a report
imported from LAPOR! shows its sync state, and so does that of one the operator forwards to
SP4N-LAPOR from its actions. The API and what the importer reads (services/lapor/topics.py)
are then asked whether it all happened.
Screenshots go to tests/artifacts/console-lapor/."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from lapor_double import LaporDouble, lapor_report
from lapor_helpers import TOKENS, importer, lapor_service_connected, stamp, tracking
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api
from waiting import eventually
from workflow_client import act, bring_to

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from services.lapor.topics import LAPOR_BODY, category_for
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-lapor"


def test_the_sysadmin_edits_the_mapping_and_operators_see_each_reports_sync(stack: Stack):
    settings = Settings.from_env()
    base_url = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    api = f"{base_url}/api/v1"
    db = get_db(settings)
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator LAPOR")
    topic = f"8{uuid.uuid4().int % 10**7}"
    removed = f"7{uuid.uuid4().int % 10**7}"
    made = requests.put(f"{api}/lapor/topics/{removed}", json={"category": "fire"},
                        headers=sysadmin.headers, timeout=10)
    assert made.status_code == 200, made.text

    with LaporDouble(TOKENS) as lapor, lapor_service_connected(stack, lapor):
        # A report imported from the LAPOR! double and verified: its first follow-ups reach
        # LAPOR!; one the operator forwards to LAPOR! on its page; one linked to nothing.
        tracking_id = tracking()
        lapor.reports["padang"] = [lapor_report(tracking_id, stamp(),
                                                topik={"id": "201", "parent_id": "2"})]
        assert importer(settings, lapor).run_city("padang").imported == 1
        imported = db.reports.find_one({"external.id": tracking_id})
        eventually(lambda: requests.get(f"{api}/staff/reports/{imported['code']}",
                                        headers=operator.headers, timeout=10
                                        ).json()["status"] == "needs_review", 60,
                   "the imported report waiting for review")
        verified = act(api, imported["code"], "verify", operator.headers, {"note": "Dicek"})
        assert verified.status_code == 200, verified.text
        eventually(lambda: len(lapor.refs(tracking_id)) == 2 and (requests.get(
            f"{api}/reports/{imported['code']}/lapor", headers=operator.headers, timeout=10
        ).json()["state"] == "in_sync"), 60, "verified and forwarded at LAPOR!")
        forwarded = bring_to(api, settings, "verified")  # forwarded to LAPOR! on its page
        unlinked = bring_to(api, settings, "verified")
        seen = _drive(base_url, sysadmin, operator, topic, removed, imported, forwarded,
                      unlinked)
    _check(seen, api, db, operator, topic, removed, tracking_id, forwarded)


def _drive(base_url, sysadmin, operator, topic, removed, imported, forwarded, unlinked):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return run_script("lapor.mjs", {
        "base_url": base_url, "artifacts": str(ARTIFACTS), "password": PASSWORD,
        "sysadmin": sysadmin.username, "operator": operator.username, "topic": topic,
        "topic_name": "Jembatan penyeberangan", "parent": "1", "removed": removed,
        "first_category": "road", "second_category": "traffic",
        "imported": imported["code"], "forwarded": forwarded["code"],
        "unlinked": unlinked["code"], "forward_note": "Kewenangan kementerian"})


def _check(seen, api, db, operator, topic, removed, tracking_id, forwarded):
    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert "SP4N-LAPOR!" in seen["sysadmin_nav"] and "SP4N-LAPOR!" in seen["operator_nav"]
    assert seen["heading"] == "Sinkronisasi SP4N-LAPOR!"
    assert seen["unlabelled"] == []
    [padang] = seen["status_rows"]
    assert padang[:2] == ["padang", "aktif"]
    assert seen["fallback"] == "Topik tanpa pemetaan masuk ke kategori: other"
    assert (seen["seeded_row"], seen["seeded_choice"]) == ("201", "waste")
    assert seen["refusal"] == ("Terjadi kesalahan: Topik tidak bisa menjadi induknya sendiri. "
                               "(topic_own_parent)")
    assert seen["added_row"] == [topic, "Jembatan penyeberangan", "1"]
    assert seen["added_choice"] == "road"
    assert seen["changed_choice"] == "traffic"
    assert seen["after_change"] == f"Tersimpan: {topic}"
    assert seen["after_remove"] == f"Dihapus: {removed}"
    assert seen["operator_controls"] == 0
    assert seen["operator_mapping"][:3] == ["201", "Sampah dan Kebersihan", "2"]

    imported_card = seen["imported_card"]
    assert tracking_id in imported_card and "diimpor dari LAPOR!" in imported_card
    assert "sinkron" in imported_card and "Terverifikasi ·" in imported_card
    assert "Diteruskan ·" in imported_card
    assert seen["cards_before_forward"] == 0
    assert seen["lapor_choice"] == f"{LAPOR_BODY} — SP4N-LAPOR! (instansi pusat)"
    assert seen["forwarded_status"] == "referred"
    forwarded_card = seen["forwarded_card"]
    assert "diteruskan ke LAPOR!" in forwarded_card and "Tracking ID LAPOR!" in forwarded_card
    assert "null" not in imported_card and "null" not in forwarded_card
    assert "forwarded to LAPOR!" in seen["forwarded_card_en"]
    assert "LAPOR! Tracking ID" in seen["forwarded_card_en"]
    assert seen["unlinked_cards"] == 0
    workflow = requests.get(f"{api}/reports/{forwarded['code']}/workflow",
                            headers=operator.headers, timeout=10).json()
    assert (workflow["status"], workflow["referral"]["code"]) == ("referred", LAPOR_BODY)
    assert workflow["history"][-1]["note"] == "Kewenangan kementerian"

    # What the pages did, asked of the API and of what the importer reads.
    assert category_for(db, "padang", topic) == "traffic"
    assert category_for(db, "padang", removed) is None
    listed = {t["topic_id"]: t for t in requests.get(
        f"{api}/lapor/topics", headers=operator.headers, timeout=10).json()["topics"]}
    assert listed[topic]["parent_id"] == "1" and listed[topic]["name"] == "Jembatan penyeberangan"
    assert removed not in listed
    for name in ("l1-mapping", "l2-own-parent-refused", "l3-topic-added", "l4-topic-remapped",
                 "l5-topic-removed", "l6-imported-report", "l6-forwarded-report",
                 "l7-forwarded-report-en"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
