"""The inbound SMS endpoint (services/channels/sms_inbound.py) over the in-memory database, a
fake of intake's HTTP API and a fake SMS provider for the answers (both handed to the channels
app): the provider's secret, the form, and what each kind of text becomes. The stack proves
the same through the gateway (tests/integration/test_sms_inbound.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakeAnswer, FakeSms, fake_db

from aduan.infra import sms_reach
from aduan.infra.backends import Backends
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from services.channels.app import create_app
from services.channels.sms_inbound import SmsInbound
from services.channels.sms_links import InProgress, SmsLinks

SETTINGS = Settings(sms_inbound_secret="s3cret", sms_inbound_city="padang",
                    intake_url="http://intake.invalid")
PHONE = "081234567890"


class FakeIntake:
    """The part of intake's HTTP API the channel uses: filing, reading with the reporter's
    token, commenting. Keeps what it was sent."""

    def __init__(self) -> None:
        self.filed: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.comments: list[tuple[str, str, str]] = []
        self.status = "needs_review"
        self.down = False
        self.filing_answer: FakeAnswer | None = None  # instead of filing
        self.while_commenting: Callable[[], None] | None = None  # called once, mid-POST

    def post(self, url: str, **kwargs: Any) -> FakeAnswer:
        if self.down:
            return FakeAnswer(503)
        if url.endswith("/reports") and self.filing_answer is not None:
            return self.filing_answer
        if url.endswith("/reports"):
            report = json.loads(dict(kwargs["files"])["report"][1])
            self.filed.append((report, kwargs["headers"]))
            number = len(self.filed)
            return FakeAnswer(202, {"id": f"r{number}", "code": f"PDG-2026-AAA-BBB-C{number}C",
                                "token": "t"})
        code = url.split("/reports/")[1].split("/")[0]
        if self.while_commenting is not None:
            meanwhile, self.while_commenting = self.while_commenting, None
            meanwhile()
        self.comments.append((code, kwargs["json"]["text"], kwargs["headers"]["X-Reporter-Token"]))
        return FakeAnswer(201, {"id": "c1"})

    def get(self, url: str, **kwargs: Any) -> FakeAnswer:
        return FakeAnswer(200, {"status": self.status})


def _world(sender: FakeSms | None):
    db = fake_db()
    ensure_seeded(db)  # the city's catalogue, as every service seeds it at start-up
    intake = FakeIntake()
    app = create_app(SETTINGS, Backends(SETTINGS, db=db),
                     sms=SmsInbound(SETTINGS, db, intake, sender))  # type: ignore[arg-type]
    return app.test_client(), db, intake


@pytest.fixture
def world():
    """Without an SMS provider: no answers are sent."""
    return _world(None)


@pytest.fixture
def answered():
    """With an SMS provider: the world and the answers it sent."""
    sms = FakeSms()
    return (*_world(sms), sms)


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


def test_without_a_message_id_the_same_text_from_the_number_is_one_message_for_hours():
    links = SmsLinks(fake_db(), timedelta(days=30))
    at = datetime(2099, 11, 30, 10, 5, 59, tzinfo=UTC)  # TTL-purged after (mongomock too)
    first = links.text_key("+62811", "SAMPAH di pasar", at)
    assert links.text_key("+62811", "SAMPAH di pasar", at + timedelta(seconds=2)) == first
    assert links.text_key("+62811", "SAMPAH di pasar", at + timedelta(hours=5)) == first
    assert links.text_key("+62811", "SAMPAH di jalan", at) != first
    assert links.text_key("+62822", "SAMPAH di pasar", at) != first
    # Past SAME_TEXT_KEPT the same words are a new message, kept as such from then on.
    later = links.text_key("+62811", "SAMPAH di pasar", at + timedelta(hours=7))
    assert later != first
    assert links.text_key("+62811", "SAMPAH di pasar", at + timedelta(hours=8)) == later


def test_a_resend_without_a_message_id_is_the_same_report(world):
    client, _, intake = world
    for _ in range(2):
        _sms(client, "SAMPAH Jl. Sudirman # menumpuk tiga hari")
    [first, again] = [headers["Idempotency-Key"] for _, headers in intake.filed]
    assert first == again and first.startswith("sms:padang:")


def test_control_characters_become_spaces_as_intake_would_refuse_them(world):
    client, _, intake = world
    # C1 (U+009B starts a terminal control sequence), DEL, a lone CR: not only C0.
    answer = _sms(client, "SAMPAH Jl. Sudirman # menumpuk\x9btiga\x7fhari\rdi sana")
    assert answer.get_json()["result"] == "filed"
    [(report, _)] = intake.filed
    assert report["description"] == "menumpuk tiga hari di sana"


def test_a_reply_is_the_reporters_comment_once_even_starting_with_a_keyword(world):
    client, _, intake = world
    _sms(client, "BANJIR Jl. Veteran # genangan setinggi lutut")
    for _ in range(2):  # the provider's retry of the same message
        answer = _sms(client, "Air sudah masuk rumah", message_id="p-2")
        assert answer.get_json() == {"result": "commented", "code": "PDG-2026-AAA-BBB-C1C"}
    [(code, text, token)] = intake.comments
    assert (code, text) == ("PDG-2026-AAA-BBB-C1C", "Air sudah masuk rumah") and token


def test_a_retry_arriving_while_the_reply_is_posted_is_not_a_second_comment(world):
    client, _, intake = world
    _sms(client, "BANJIR Jl. Veteran # genangan setinggi lutut")
    retried = []
    intake.while_commenting = lambda: retried.append(
        _sms(client, "Air sudah masuk rumah", message_id="p-3"))
    first = _sms(client, "Air sudah masuk rumah", message_id="p-3")
    assert first.get_json() == {"result": "commented", "code": "PDG-2026-AAA-BBB-C1C"}
    [meanwhile] = retried
    assert meanwhile.status_code == 503  # the provider delivers it again later
    assert meanwhile.get_json()["error"]["code"] == "message_in_progress"
    again = _sms(client, "Air sudah masuk rumah", message_id="p-3")
    assert again.get_json() == {"result": "commented", "code": "PDG-2026-AAA-BBB-C1C"}
    assert len(intake.comments) == 1


def test_a_claim_left_by_a_dead_process_is_taken_over_and_a_failed_one_released():
    links = SmsLinks(fake_db(), timedelta(days=30))
    at = datetime(2099, 11, 30, 10, 0, tzinfo=UTC)
    dead = links.claim("p-4", at)
    with pytest.raises(InProgress):
        links.claim("p-4", at + timedelta(seconds=30))
    taken = links.claim("p-4", at + timedelta(minutes=3))
    links.record_comment("p-4", dead, "PDG-X")  # the dead one's late write changes nothing
    assert links.commented("p-4") is None
    links.release("p-4", taken)  # intake refused or was down: the next delivery tries again
    links.record_comment("p-4", links.claim("p-4", at + timedelta(minutes=4)), "PDG-1")
    assert links.commented("p-4")["code"] == "PDG-1"


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


def test_the_answers_speak_the_language_of_the_numbers_last_report(answered):
    client, _, _, sms = answered
    said = sms.sent
    _sms(client, "Halo?")
    _sms(client, "FLOODING at Simpang Haru # water knee deep since noon")
    _sms(client, "STOP")
    assert said[0][0] == "+6281234567890" and "untuk melapor" in said[0][1]
    assert said[1][1].startswith("Aduan: you will get no more SMS")


def test_a_report_without_its_place_is_answered_with_the_format(answered):
    client, _, intake, sms = answered
    intake.filing_answer = FakeAnswer(422, {"error": {"code": "location_required"}})
    answer = _sms(client, "SAMPAH # sampah menumpuk tiga hari")
    assert answer.get_json() == {"result": "refused", "reason": "location_required"}
    assert [text for _, text in sms.sent] == [
        "Aduan: laporan belum lengkap. Kirim SAMPAH lokasi # keterangan (minimal 10 huruf)."]
