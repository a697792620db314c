"""The operator's verdict override (POST /reports/<code>/verdict) over in-memory collaborators:
the same decision as the workflow's verify and reject, with the same effects on the public
copies; and what it refuses. Reports are judged first by the real worker on real photos."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakePublisher, FakeStore, fake_db
from photo_factory import INSIDE, camera_photo

from aduan.domain.codes import new_code
from aduan.domain.lifecycle import Actor, new_report
from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.messaging import Delivery
from aduan.infra.reports import Reports
from aduan.web.auth import Principal, issue_access_token
from services.verification.app import create_app
from services.verification.policy import load_policies
from services.verification.worker import Verifier

SETTINGS = Settings()
POLICIES = load_policies(SETTINGS)


class NoRevocations:
    """Nobody was signed out (the real check reads the settings' database)."""

    def revoked(self, db, user_id: str, issued_at: float) -> bool:
        return False


class Platform:
    def __init__(self) -> None:
        self.db = fake_db()
        self.store = FakeStore()
        self.publisher = FakePublisher()
        self.verifier = Verifier(SETTINGS, self.db, self.store, FakePublisher(), POLICIES)
        self.app = create_app(SETTINGS, Backends(SETTINGS, db=self.db, store=self.store,
                                                 publisher=self.publisher))
        self.app.extensions["aduan_revocations"] = NoRevocations()
        self.client = self.app.test_client()

    def judged(self, gps_city: str | None) -> dict:
        """A Padang report judged by the worker; its photo's GPS in `gps_city` (None: none)."""
        report_id = uuid.uuid4().hex
        lat, lon = INSIDE[gps_city] if gps_city else (None, None)
        photo = camera_photo(lat, lon, datetime.now(UTC) - timedelta(minutes=20))
        raw_key = f"padang/{report_id}/p1.jpg"
        self.store.put(self.store.raw_bucket, raw_key, photo, "image/jpeg")
        fields = {"_id": report_id, "code": new_code("PDG", 2026),
                  "city": "padang", "category": "roads", "description": "Jalan berlubang",
                  "privacy": "public", "channel": "app",
                  "location": {"lat": INSIDE["padang"][0], "lon": INSIDE["padang"][1]},
                  "photos": [{"id": "p1", "raw_key": raw_key, "content_type": "image/jpeg"}]}
        report, event = new_report(fields, Actor(kind="reporter", id=None), datetime.now(UTC))
        submissions = Reports(self.db, FakePublisher())  # intake's own publisher
        submissions.publish(report_id, [submissions.create(report, event, None)])
        self.verifier.handle(Delivery("report.submitted", {"report_id": report_id}, "m1",
                                      None, None, 1))
        return self.report(report_id)

    def report(self, report_id: str) -> dict:
        return self.db.reports.find_one({"_id": report_id})

    def override(self, code: str, body: dict, role: str = "operator", city: str = "padang"):
        token = issue_access_token(SETTINGS, Principal(f"{role}-1", role, city))
        return self.client.post(f"/reports/{code}/verdict", json=body,
                                headers={"Authorization": f"Bearer {token}"})

    def public_keys(self) -> list[str]:
        return self.store.keys(self.store.public_bucket)


@pytest.fixture
def platform() -> Platform:
    return Platform()


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    return response.get_json()["error"]


def test_operator_verifies_a_report_in_review(platform):
    report = platform.judged(None)
    assert report["status"] == "needs_review"
    copies = platform.public_keys()
    answer = platform.override(report["code"], {"verdict": "verified",
                                                "note": "Lokasi dicek: benar."})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["code"] == report["code"] and body["status"] == "verified"
    assert body["verification"]["reasons"] == ["gps_missing"]  # what the checks found stays
    assert body["verification"]["verdict"] == "verified"
    override = body["verification"]["override"]
    assert (override["verdict"], override["from"], override["note"], override["by"]) == (
        "verified", "needs_review", "Lokasi dicek: benar.", "operator-1")
    assert datetime.fromisoformat(override["at"])
    after = platform.report(report["_id"])
    entry = after["history"][-1]
    assert (entry["from"], entry["to"], entry["note"], entry["action"]) == (
        "needs_review", "verified", "Lokasi dicek: benar.", "verify")
    assert entry["actor"] == {"kind": "staff", "id": "operator-1", "role": "operator",
                              "agency": None}
    assert after["forward_due_at"] > after["created_at"]
    [event] = platform.publisher.published
    assert event.routing_key == "report.verified" and event.body["from"] == "needs_review"
    assert after["outbox"] == []
    assert platform.public_keys() == copies  # its copies were made by the worker already


def test_operator_rejects_a_report_in_review_and_its_copies_are_withdrawn(platform):
    report = platform.judged(None)
    assert len(platform.public_keys()) == 2
    answer = platform.override(report["code"], {"verdict": "rejected",
                                                "note": "Foto dari internet."})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "rejected"
    after = platform.report(report["_id"])
    assert after["status"] == "rejected" and after["forward_due_at"] is None
    assert after["verification"]["override"]["from"] == "needs_review"
    assert "public_key" not in after["photos"][0] and "public_size" not in after["photos"][0]
    assert platform.public_keys() == []
    assert platform.publisher.keys() == ["report.rejected"]
    again = platform.override(report["code"], {"verdict": "rejected", "note": "x"})
    assert _error(again, 409, "verdict_not_overridable")["details"] == {
        "status": "rejected", "verdict": "rejected"}


def test_operator_overturns_an_automatic_rejection_and_its_copies_are_made(platform):
    report = platform.judged("depok")  # taken in Depok, reported in Padang
    assert report["status"] == "rejected" and platform.public_keys() == []
    answer = platform.override(report["code"], {"verdict": "verified",
                                                "note": "GPS kamera salah; lokasi benar."})
    assert answer.status_code == 200, answer.get_json()
    after = platform.report(report["_id"])
    [photo] = after["photos"]
    assert after["status"] == "verified" and photo["public_size"]
    assert platform.public_keys() == sorted([photo["public_key"], photo["thumbnail_key"]])
    public = platform.store.get(platform.store.public_bucket, photo["public_key"])
    assert public.startswith(b"\xff\xd8") and b"Exif\x00\x00" not in public
    assert after["verification"]["override"]["from"] == "rejected"


def test_a_report_that_moved_on_is_not_overridable(platform):
    report = platform.judged("padang")
    assert report["status"] == "verified"
    for verdict in ("verified", "rejected"):
        refused = platform.override(report["code"], {"verdict": verdict, "note": "x"})
        assert _error(refused, 409, "verdict_not_overridable")["details"] == {
            "status": "verified", "verdict": verdict}
    assert platform.report(report["_id"])["history"] == report["history"]
    assert platform.publisher.published == []


def test_only_an_operator_of_the_report_s_city_overrides(platform):
    report = platform.judged(None)
    body = {"verdict": "verified", "note": "x"}
    _error(platform.client.post(f"/reports/{report['code']}/verdict", json=body), 401,
           "authentication_required")
    for role in ("leader", "officer", "agency_admin", "sysadmin"):
        _error(platform.override(report["code"], body, role), 403, "forbidden")
    # Another city's report is, to this operator, a report that does not exist.
    _error(platform.override(report["code"], body, city="depok"), 404, "report_not_found")
    _error(platform.override("PDG-1999-999999", body), 404, "report_not_found")
    for bad in ({"verdict": "verified"}, {"verdict": "forwarded", "note": "x"},
                {"verdict": "verified", "note": "   "}):
        _error(platform.override(report["code"], bad), 422, "validation_failed")
    assert platform.report(report["_id"])["status"] == "needs_review"
    assert platform.publisher.published == []
