"""Photos of channels that strip or do not vouch for EXIF (WhatsApp, SP4N-LAPOR!): the camera
checks give way to `no_camera_proof` (review by default; a city may accept them), while the
screenshot check and the duplicate look-up still run. Over the verification worker with
in-memory collaborators (tests/fakes.py)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakePublisher, FakeStore, fake_db
from photo_factory import INSIDE, camera_photo
from PIL import Image

from aduan.domain.codes import new_code
from aduan.domain.lifecycle import Actor, new_report
from aduan.infra.config import Settings
from aduan.infra.messaging import Delivery
from aduan.infra.reports import Reports
from services.verification.policy import load_policies
from services.verification.worker import Verifier

REPORTER = Actor(kind="reporter", id=None)


def verifier(policies: str = "") -> Verifier:
    settings = Settings(verification_policies=policies)
    return Verifier(settings, fake_db(), FakeStore(), FakePublisher(), load_policies(settings))


def as_whatsapp_sends(photo: bytes, size: tuple[int, int] | None = None, fmt: str = "JPEG"
                      ) -> bytes:
    """Re-encoded without EXIF (and resized), as WhatsApp hands photos on."""
    picture = Image.open(io.BytesIO(photo)).convert("RGB")
    if size:
        picture = picture.resize(size)
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def judged(worker: Verifier, photo: bytes, channel: str, place: tuple[float, float] | None
           = INSIDE["padang"], connector: bool = True) -> dict:
    """`connector`: filed by the channel's connector (with the other system's id), as every
    WhatsApp report and every imported LAPOR! report is; False: by staff from the desk."""
    report_id = uuid.uuid4().hex
    raw_key = f"padang/{report_id}/p1.jpg"
    worker.store.put(worker.store.raw_bucket, raw_key, photo, "image/jpeg")
    fields = {"_id": report_id, "code": new_code("PDG", 2026), "city": "padang",
              "category": "waste", "description": "Sampah menumpuk", "privacy": "public",
              "channel": channel,
              "photos": [{"id": "p1", "raw_key": raw_key, "content_type": "image/jpeg"}]}
    if place:
        fields["location"] = {"lat": place[0], "lon": place[1]}
    if connector and channel in ("whatsapp", "sp4n_lapor"):
        fields["external"] = {"system": channel, "id": f"ext-{report_id}"}
    report, event = new_report(fields, REPORTER, datetime.now(UTC))
    reports = Reports(worker.db, FakePublisher())
    reports.publish(report_id, [reports.create(report, event, None)])
    worker.handle(Delivery(routing_key="report.submitted", body={"report_id": report_id},
                           message_id=uuid.uuid4().hex, correlation_id="r", type=None,
                           attempts=1))
    return worker.db.reports.find_one({"_id": report_id})


def old_photo_from_another_city() -> bytes:
    """Everything the camera checks refuse: taken in Depok, two months ago."""
    return camera_photo(*INSIDE["depok"], datetime.now(UTC) - timedelta(days=60))


def test_the_same_stripped_photo_is_held_for_exif_from_the_app_and_for_no_proof_from_whatsapp():
    worker = verifier()
    stripped = as_whatsapp_sends(camera_photo(*INSIDE["padang"], datetime.now(UTC)))
    from_app = judged(worker, stripped, "app")
    assert from_app["verification"]["reasons"] == ["exif_missing"]
    from_whatsapp = judged(verifier(), stripped, "whatsapp")
    assert from_whatsapp["status"] == "needs_review"
    assert from_whatsapp["verification"]["reasons"] == ["no_camera_proof"]


@pytest.mark.parametrize("channel", ["whatsapp", "sp4n_lapor"])
def test_camera_checks_do_not_run_on_a_photo_without_camera_proof(channel):
    """A LAPOR! attachment keeps its EXIF, but it is another system's: not ours to judge."""
    report = judged(verifier(), old_photo_from_another_city(), channel)
    assert report["status"] == "needs_review"
    assert report["verification"]["reasons"] == ["no_camera_proof"]


def test_staff_filing_sp4n_lapor_from_the_desk_get_the_camera_checks():
    """No connector vouched for where the photo came from: the desk's upload is judged as the
    app's would be."""
    report = judged(verifier(), old_photo_from_another_city(), "sp4n_lapor", connector=False)
    assert "no_camera_proof" not in report["verification"]["reasons"]
    assert "outside_city" in report["verification"]["reasons"]


@pytest.mark.parametrize("action, status, flags", [("off", "verified", []),
                                                    ("flag", "verified", ["no_camera_proof"])])
def test_a_city_may_accept_photos_without_camera_proof(action, status, flags):
    worker = verifier(f'{{"padang": {{"checks": {{"no_camera_proof": "{action}"}}}}}}')
    stripped = as_whatsapp_sends(camera_photo(*INSIDE["padang"], datetime.now(UTC)))
    report = judged(worker, stripped, "whatsapp")
    assert report["status"] == status
    assert report["verification"] == {"verdict": status, "reasons": [], "flags": flags}
    assert report["photos"][0]["public_key"]  # published like any accepted photo


def test_the_screenshot_check_still_runs_on_its_strong_signs_only():
    worker = verifier('{"padang": {"checks": {"no_camera_proof": "off"}}}')
    base = camera_photo(*INSIDE["padang"], datetime.now(UTC))
    tall = judged(worker, as_whatsapp_sends(base, (540, 1170)), "whatsapp")  # a phone screen
    assert tall["verification"]["reasons"] == ["screenshot"]
    # 16:9 scaled to 1600 pixels has a screen's exact size, and is a camera picture all the same.
    wide = judged(worker, as_whatsapp_sends(base, (1600, 900)), "whatsapp")
    assert wide["status"] == "verified"


def test_the_duplicate_look_up_still_runs():
    worker = verifier()
    stripped = as_whatsapp_sends(camera_photo(*INSIDE["padang"], datetime.now(UTC)))
    first = judged(worker, stripped, "whatsapp")
    second = judged(worker, stripped, "whatsapp")
    assert second["possible_duplicate_of"]["code"] == first["code"]
    assert second["verification"]["flags"] == ["possible_duplicate"]


@pytest.mark.parametrize("channel", ["whatsapp", "sp4n_lapor"])
def test_a_point_outside_the_city_is_outside_city_though_the_camera_checks_do_not_run(channel):
    """Without camera proof the report's own point is all there is: a pin in Depok for a
    Padang report is not verified and forwarded, even where the city accepts such photos."""
    worker = verifier('{"padang": {"checks": {"no_camera_proof": "off"}}}')
    stripped = as_whatsapp_sends(camera_photo(*INSIDE["padang"], datetime.now(UTC)))
    outside = judged(worker, stripped, channel, INSIDE["depok"])
    assert outside["status"] == "rejected"  # outside_city rejects by default
    assert outside["verification"]["reasons"] == ["outside_city"]
    inside = judged(verifier('{"padang": {"checks": {"no_camera_proof": "off"}}}'), stripped,
                    channel, INSIDE["padang"])
    assert inside["status"] == "verified"
    # Where no_camera_proof holds a photo for review, both reasons are named.
    held = judged(verifier(), stripped, channel, INSIDE["depok"])
    assert held["verification"]["reasons"] == ["outside_city", "no_camera_proof"]
