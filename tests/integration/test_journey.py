"""A report's whole journey through the gateway and every service, all of them real processes."""

from __future__ import annotations

import email
from email import policy

import piexif
import pytest
import requests
from photo_factory import fresh_padang_photo
from PIL import Image
from stack_client import REPORT, submit, wait_for_status
from waiting import eventually

from aduan.domain.codes import well_formed

pytestmark = pytest.mark.stack


def _emails_for(maildir, code: str, timeout_s: float = 20) -> list[email.message.EmailMessage]:
    """The report's emails, once the forwarded one is among them."""
    def found() -> list[email.message.EmailMessage]:
        messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                    for path in maildir.glob("*.eml")]
        return [m for m in messages if code in m["Subject"]]

    return eventually(lambda: (mine := found()) and any("diteruskan" in m["Subject"]
                                                        for m in mine) and mine,
                      timeout_s, f"the forwarded email of {code}", every_s=0.2)


def test_a_fresh_local_photo_reaches_the_right_agency_and_the_reporter_hears(
        api, stack, db, store):
    response = submit(api, fresh_padang_photo())
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["status"] == "submitted"
    assert well_formed(receipt["code"]) and receipt["code"].startswith("PDG-")
    assert response.headers["X-Request-Id"]

    view = wait_for_status(api, receipt["code"], {"forwarded", "rejected", "needs_review"},
                           token=receipt["token"])
    assert view["status"] == "forwarded", view.get("verification")
    assert view["agencies"] == ["DLH"]
    assert view["kecamatan"]["name"] == "Lubuk Begalung"
    steps = [(h["from"], h["to"]) for h in view["history"]]
    assert steps == [(None, "submitted"), ("submitted", "verifying"),
                     ("verifying", "verified"), ("verified", "forwarded")]
    times = [h["at"] for h in view["history"]]
    assert times == sorted(times)

    # The public copy is served through a presigned URL and carries no EXIF at all.
    [photo] = view["photos"]
    public = requests.get(photo["url"], timeout=10)
    assert public.status_code == 200
    assert piexif.load(public.content)["GPS"] == {}
    assert not Image.open(__import__("io").BytesIO(public.content)).getexif()
    assert requests.get(photo["thumbnail_url"], timeout=10).status_code == 200

    # The original stays private: no anonymous read of the raw bucket.
    report = db.reports.find_one({"code": receipt["code"]})
    raw_key = report["photos"][0]["raw_key"]
    anonymous = requests.get(
        f"http://{store_endpoint(stack)}/{store.raw_bucket}/{raw_key}", timeout=10)
    assert anonymous.status_code in (401, 403)

    # Every event's outbox entry is published and cleared (the last one just after the
    # status it announces was written).
    eventually(lambda: db.reports.find_one({"_id": report["_id"]})["outbox"] == [], 20,
               "the outbox cleared")

    messages = _emails_for(stack.maildir, receipt["code"])
    subjects = sorted(m["Subject"] for m in messages)
    assert f"Laporan {receipt['code']}: diteruskan ke instansi" in subjects
    assert f"Laporan {receipt['code']}: diterima" in subjects
    forwarded = next(m for m in messages if "diteruskan" in m["Subject"])
    assert forwarded["To"] == REPORT["reporter"]["email"]
    body = forwarded.get_body(preferencelist=("plain",)).get_content()
    assert "Dinas Lingkungan Hidup" in body and receipt["code"] in body


def store_endpoint(stack) -> str:
    return f"127.0.0.1:{stack.profile.s3_port}"


def test_the_public_view_hides_the_reporter_and_the_reporter_view_shows_it(api):
    receipt = submit(api, fresh_padang_photo()).json()
    # The public sees a report once it is verified (the reporter from the start).
    public = wait_for_status(api, receipt["code"], {"forwarded"})
    assert "reporter" not in public and "verification" not in public
    own = requests.get(f"{api}/reports/{receipt['code']}",
                       headers={"X-Reporter-Token": receipt["token"]}, timeout=10).json()
    assert own["reporter"]["email"] == REPORT["reporter"]["email"]


def test_a_confidential_report_is_not_public_at_all(api):
    receipt = submit(api, fresh_padang_photo(), {**REPORT, "privacy": "confidential"}).json()
    public = requests.get(f"{api}/reports/{receipt['code']}", timeout=10)
    assert public.status_code == 404
    assert public.json()["error"]["code"] == "report_not_found"
    forged = requests.get(f"{api}/reports/{receipt['code']}",
                          headers={"X-Reporter-Token": "forged"}, timeout=10)
    assert forged.status_code == 404
    own = requests.get(f"{api}/reports/{receipt['code']}",
                       headers={"X-Reporter-Token": receipt["token"]}, timeout=10)
    assert own.status_code == 200


def test_a_photo_from_outside_the_city_is_rejected_with_its_reason(api):
    from datetime import datetime, timedelta

    from photo_factory import INSIDE, WIB, camera_photo

    photo = camera_photo(*INSIDE["depok"], datetime.now(WIB) - timedelta(minutes=5))
    receipt = submit(api, photo).json()
    view = wait_for_status(api, receipt["code"], {"rejected", "forwarded", "needs_review"},
                           token=receipt["token"])
    assert view["status"] == "rejected"
    assert view["verification"]["reasons"] == ["outside_city"]
    assert view["photos"] == []  # nothing of a rejected report is published


def test_every_service_serves_health_readiness_and_metrics(stack):
    for service, port in stack.profile.http_ports.items():
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/healthz", timeout=5).json()["status"] == "ok", service
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200, service
        # The gateway's on its internal listener only (tests/security/test_internal_endpoints.py).
        metrics = requests.get(f"http://127.0.0.1:{stack.profile.metrics_port(service)}/metrics",
                               timeout=5)
        assert metrics.status_code == 200, service
        assert "aduan_http_request_duration_seconds" in metrics.text, service


def test_consumer_metrics_reach_the_service_metrics_endpoint(stack, api):
    receipt = submit(api, fresh_padang_photo()).json()
    wait_for_status(api, receipt["code"], {"forwarded"})
    port = stack.profile.http_ports["verification"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    queue = f"{stack.profile.namespace}.verification"
    assert f'aduan_messages_handled_total{{outcome="acked",queue="{queue}"}}' in text
    assert 'aduan_verification_verdicts_total{verdict="verified"}' in text
