"""The inbound SMS endpoint (services/channels/sms_inbound.py) over the in-memory database and a
fake of intake's HTTP API: the provider's secret, the form, and what each kind of text becomes.
The stack proves the same through the gateway (tests/integration/test_sms_inbound.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes import fake_db

from aduan.infra import sms_reach
from aduan.infra.backends import Backends
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from services.channels.app import create_app
from services.channels.sms_inbound import EXTENSION, message_key

SETTINGS = Settings(sms_inbound_secret="s3cret", sms_inbound_city="padang",
                    intake_url="http://intake.invalid")
PHONE = "081234567890"


@dataclass
class Answer:
    status_code: int
    body: Any = field(default_factory=dict)

    def json(self) -> Any:
        return self.body


class FakeIntake:
    """The part of intake's HTTP API the channel uses: filing, reading with the reporter's
    token, commenting. Keeps what it was sent."""

    def __init__(self) -> None:
        self.filed: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.comments: list[tuple[str, str, str]] = []
        self.status = "needs_review"
        self.down = False

    def post(self, url: str, **kwargs: Any) -> Answer:
        if self.down:
            return Answer(503)
        if url.endswith("/reports"):
            report = json.loads(dict(kwargs["files"])["report"][1])
            self.filed.append((report, kwargs["headers"]))
            number = len(self.filed)
            return Answer(202, {"id": f"r{number}", "code": f"PDG-2026-AAA-BBB-C{number}C",
                                "token": "t"})
        code = url.split("/reports/")[1].split("/")[0]
        self.comments.append((code, kwargs["json"]["text"], kwargs["headers"]["X-Reporter-Token"]))
        return Answer(201, {"id": "c1"})

    def get(self, url: str, **kwargs: Any) -> Answer:
        return Answer(200, {"status": self.status})


@pytest.fixture
def world():
    db = fake_db()
    ensure_seeded(db)  # the city's catalogue, as every service seeds it at start-up
    app = create_app(SETTINGS, Backends(SETTINGS, db=db))
    intake = FakeIntake()
    app.extensions[EXTENSION].session = intake
    return app.test_client(), db, intake


def _sms(client, text: str, secret: str | None = "s3cret", **form: str):
    headers = {"X-Sms-Secret": secret} if secret is not None else {}
    return client.post("/sms", data={"from": PHONE, "text": text, **form}, headers=headers)


def test_off_without_a_secret_and_401_with_a_wrong_one(world):
    client, _, intake = world
    off = create_app(Settings(), Backends(Settings(), db=fake_db())).test_client()
    answer = off.post("/sms", data={"from": PHONE, "text": "SAMPAH di pasar raya"})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == \
        "channel_not_configured"
    for secret in (None, "", "s3cret ", "S3CRET"):
        refused = _sms(client, "SAMPAH di depan pasar raya", secret)
        assert refused.status_code == 401
    assert intake.filed == []


def test_a_report_is_filed_as_the_sms_connector(world):
    client, db, intake = world
    answer = _sms(client, "SAMPAH Jl. Sudirman # menumpuk tiga hari", message_id="p-1")
    assert answer.status_code == 200
    assert answer.get_json() == {"result": "filed", "code": "PDG-2026-AAA-BBB-C1C"}
    [(report, headers)] = intake.filed
    assert headers["X-Aduan-Channel"] == "sms" and headers["Idempotency-Key"] == "sms:padang:p-1"
    assert report == {"city": "padang", "category": "waste", "type": "complaint",
                      "description": "menumpuk tiga hari", "channel": "sms",
                      "location": {"address": "Jl. Sudirman"}, "external_id": "p-1",
                      "reporter": {"phone": "+6281234567890", "language": "id"}}
    assert db.sms_reports.find_one({"_id": "r1"})["phone"] == "+6281234567890"


def test_the_key_without_a_message_id_is_sender_text_and_minute():
    at = datetime(2026, 11, 30, 10, 5, 59, tzinfo=UTC)
    assert message_key("+62", "a", None, at) == message_key("+62", "a", None,
                                                            at.replace(second=0))
    assert message_key("+62", "a", None, at) != message_key("+62", "b", None, at)
    assert message_key("+62", "a", "id-9", at) == "id-9"


def test_a_reply_is_the_reporters_comment_once_even_starting_with_a_keyword(world):
    client, _, intake = world
    _sms(client, "BANJIR Jl. Veteran # genangan setinggi lutut")
    for _ in range(2):  # the provider's retry of the same message
        answer = _sms(client, "Air sudah masuk rumah", message_id="p-2")
        assert answer.get_json() == {"result": "commented", "code": "PDG-2026-AAA-BBB-C1C"}
    [(code, text, token)] = intake.comments
    assert (code, text) == ("PDG-2026-AAA-BBB-C1C", "Air sudah masuk rumah") and token


def test_a_reply_when_the_report_is_closed_gets_the_format(world):
    client, _, intake = world
    _sms(client, "BANJIR Jl. Veteran # genangan setinggi lutut")
    intake.status = "closed"
    assert _sms(client, "Terima kasih").get_json() == {"result": "help"}
    assert intake.comments == []


def test_stop_and_start(world):
    client, db, _ = world
    assert _sms(client, "stop").get_json() == {"result": "stopped"}
    assert sms_reach.opted_out(db, PHONE)
    assert _sms(client, "MULAI").get_json() == {"result": "started"}
    assert not sms_reach.opted_out(db, PHONE)
    _sms(client, "STOP")
    _sms(client, "SAMPAH Jl. Sudirman # menumpuk tiga hari")  # reporting asks for answers
    assert not sms_reach.opted_out(db, PHONE)


def test_intake_down_is_503_for_the_provider_to_retry(world):
    client, _, intake = world
    intake.down = True
    answer = _sms(client, "SAMPAH Jl. Sudirman # menumpuk tiga hari")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "intake_unavailable"


def test_bad_forms(world):
    client, _, intake = world
    assert _sms(client, "SAMPAH x", message_id="has space").status_code == 422
    assert client.post("/sms", json={"from": PHONE, "text": "x"},
                       headers={"X-Sms-Secret": "s3cret"}).status_code == 415
    assert _sms(client, "x" * 1601).status_code == 422
    assert _sms(client, "SAMPAH").get_json() == {"result": "incomplete"}
    assert intake.filed == []


def test_the_answers_speak_the_language_of_the_numbers_last_report(world, monkeypatch):
    client, _, _ = world
    handler = client.application.extensions[EXTENSION]
    handler.settings = replace(SETTINGS, sms_url="http://sms.invalid")
    said: list[tuple[str, str]] = []
    monkeypatch.setattr("services.channels.sms_inbound.sms_provider.post",
                        lambda settings, to, text: said.append((to, text)) or Answer(200))
    _sms(client, "Halo?")
    _sms(client, "FLOODING at Simpang Haru # water knee deep since noon")
    _sms(client, "STOP")
    assert said[0][0] == "+6281234567890" and "untuk melapor" in said[0][1]
    assert said[1][1].startswith("Aduan: you will get no more SMS")


def test_a_report_without_its_place_is_answered_with_the_format(world, monkeypatch):
    client, _, intake = world
    said: list[str] = []
    handler = client.application.extensions[EXTENSION]
    handler.settings = replace(SETTINGS, sms_url="http://sms.invalid")
    monkeypatch.setattr("services.channels.sms_inbound.sms_provider.post",
                        lambda settings, to, text: said.append(text) or Answer(200))
    monkeypatch.setattr(intake, "post", lambda url, **kw: Answer(422, {"error": {
        "code": "location_required"}}))
    answer = _sms(client, "SAMPAH # sampah menumpuk tiga hari")
    assert answer.get_json() == {"result": "refused", "reason": "location_required"}
    assert said == ["Aduan: laporan belum lengkap. Kirim SAMPAH lokasi # keterangan "
                    "(minimal 10 huruf)."]
