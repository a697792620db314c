"""Status messages to a WhatsApp reporter (services/notification/whatsapp.py) over the
in-memory fakes: a WhatsApp report is told in its chat, not by SMS, and not of its filing; the
24-hour window is read when sending (free text inside, the template outside); STOP refuses
the delivery; SMS STOP likewise (aduan/infra/sms_reach.py). The stack proves the same against
the Graph API double (tests/integration/test_whatsapp_status.py).
The report, the conversation's last message time and the STOP record are written into the
fake as the bot leaves them: the time of a resident's message is not the API caller's to set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeAnswer, FakeEmail, FakeSms, FakeWebhooks, fake_db

from aduan.infra import sms_reach
from aduan.infra.config import Settings
from aduan.infra.messaging import Delivery
from aduan.infra.whatsapp_graph import GraphApi
from aduan.infra.whatsapp_reach import CONVERSATIONS, OPTOUTS
from services.notification import templates
from services.notification.deliveries import DeliveryFailed, DeliveryRejected
from services.notification.senders import Senders
from services.notification.whatsapp import (
    WhatsAppMessage,
    request_body,
    send_whatsapp,
    status_message,
)
from services.notification.worker import Notifier

SETTINGS = Settings(sms_url="http://sms.invalid/send", public_base_url="https://aduan.example",
                    whatsapp_phone_number_id="1098", whatsapp_access_token="token")
NOW = datetime.now(UTC)
WA_ID = "6281234567890"


class FakeWhatsApp:
    def __init__(self) -> None:
        self.sent: list[tuple[str, WhatsAppMessage, bool]] = []

    def send(self, to: str, message: WhatsAppMessage, in_window: bool) -> str:
        self.sent.append((to, message, in_window))
        return "HTTP 200 id=wamid.1"


def _report(channel: str = "whatsapp") -> dict:
    return {"_id": "r1", "code": "PDG-2026-3HW-6P2-Z9C", "city": "padang", "category": "waste",
            "description": "Sampah menumpuk", "status": "needs_review", "privacy": "public",
            "channel": channel, "agencies": [], "created_at": NOW, "updated_at": NOW,
            "history": [], "reporter": {"phone": f"+{WA_ID}", "language": "id"}}


def _event(key: str, message_id: str = "m1", **body) -> Delivery:
    return Delivery(routing_key=key, body={"report_id": "r1", **body}, message_id=message_id,
                    correlation_id=None, type=None, attempts=1)


def _setup(channel: str = "whatsapp"):
    db = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what the intake wrote.
    db.reports.insert_one(_report(channel))
    whatsapp, sms = FakeWhatsApp(), FakeSms()
    notifier = Notifier(SETTINGS, db, Senders(FakeEmail(), sms, FakeWebhooks(), whatsapp))
    return db, notifier, whatsapp, sms


def test_a_whatsapp_report_hears_in_its_chat_not_by_sms_and_not_of_its_filing():
    db, notifier, whatsapp, sms = _setup()
    notifier.handle(_event("report.submitted", status="submitted"))
    assert whatsapp.sent == [] and sms.sent == []
    notifier.handle(_event("report.needs_review", "m2", status="needs_review"))
    [(to, message, in_window)] = whatsapp.sent
    assert to == f"+{WA_ID}" and in_window is False  # the number never wrote: no window
    assert message.parameters[:2] == ("PDG-2026-3HW-6P2-Z9C", "diperiksa petugas")
    assert sms.sent == []
    assert [d["channel"] for d in db.deliveries.find()] == ["whatsapp"]


def test_the_window_is_read_when_sending():
    db, notifier, whatsapp, _ = _setup()
    # What the bot's store writes when the resident wrote (services/channels/conversations.py).
    db[CONVERSATIONS].insert_one({"_id": WA_ID, "last_inbound_at": NOW - timedelta(hours=2)})
    notifier.handle(_event("report.needs_review", status="needs_review"))
    assert whatsapp.sent[-1][2] is True
    db[CONVERSATIONS].update_one({"_id": WA_ID},
                                 {"$set": {"last_inbound_at": NOW - timedelta(hours=25)}})
    notifier.handle(_event("report.needs_review", "m3", status="needs_review"))
    assert whatsapp.sent[-1][2] is False


def test_stop_refuses_the_delivery_for_good():
    db, notifier, whatsapp, _ = _setup()
    db[OPTOUTS].insert_one({"_id": WA_ID, "at": NOW})  # the bot's record of STOP
    notifier.handle(_event("report.needs_review", status="needs_review"))
    assert whatsapp.sent == []
    [delivery] = db.deliveries.find()
    assert delivery["result"] == "rejected" and "STOP" in delivery["error"]


def test_an_sms_stop_refuses_sms_deliveries():
    db, notifier, _, sms = _setup("sms")
    sms_reach.opt_out(db, "0812 3456 7890")
    notifier.handle(_event("report.needs_review", status="needs_review"))
    assert sms.sent == []
    [delivery] = db.deliveries.find()
    assert delivery["channel"] == "sms" and delivery["result"] == "rejected"
    sms_reach.opt_in(db, f"+{WA_ID}")
    notifier.handle(_event("report.needs_review", "m2", status="needs_review"))
    assert len(sms.sent) == 1


def test_free_text_inside_the_window_the_template_outside():
    message = status_message("id", "PDG-1", "accepted", "https://a.example/#/track/PDG-1/t",
                             None, "complaint", "Truk datang\nbesok pagi")
    inside = request_body(SETTINGS, "+62 812-345", message, True)
    assert inside["to"] == "62812345" and inside["type"] == "text"
    assert "Truk datang\nbesok pagi" in inside["text"]["body"]
    outside = request_body(SETTINGS, "+62 812-345", message, False)
    assert outside["type"] == "template"
    assert outside["template"]["name"] == SETTINGS.whatsapp_status_template
    values = [p["text"] for p in outside["template"]["components"][0]["parameters"]]
    assert values[0] == "PDG-1" and "\n" not in values[1] and "besok pagi" in values[1]
    assert values[2] == "https://a.example/#/track/PDG-1/t"


class _Graph:
    """A session for the Graph API client answering in turn; keeps the bodies it was sent."""

    def __init__(self, *answers: FakeAnswer) -> None:
        self.answers = list(answers)
        self.sent: list[dict] = []

    def request(self, method: str, url: str, json: dict, timeout: float, headers: dict,
                allow_redirects: bool) -> FakeAnswer:
        assert (method, url) == ("POST", "https://graph.facebook.com/v21.0/1098/messages")
        assert headers["Authorization"] == "Bearer token" and not allow_redirects
        self.sent.append(json)
        return self.answers.pop(0)


def _send(*answers: FakeAnswer, in_window: bool = True) -> tuple[str, list[dict]]:
    graph = _Graph(*answers)
    status = send_whatsapp(GraphApi(SETTINGS, graph), SETTINGS, "+6281", MESSAGE, in_window)
    return status, graph.sent


MESSAGE = WhatsAppMessage("Aduan: laporan PDG-1 diterima", ("PDG-1", "diterima", "l"), "id")


def test_sent_keeps_the_message_id():
    status, _ = _send(FakeAnswer(200, {"messages": [{"id": "wamid.X"}]}))
    assert status == "HTTP 200 text id=wamid.X"


def test_a_closed_window_at_meta_sends_the_template_instead():
    status, sent = _send(FakeAnswer(400, {"error": {"code": 131047}}),
                         FakeAnswer(200, {"messages": [{"id": "wamid.Y"}]}))
    assert status == "HTTP 200 template id=wamid.Y"
    assert [b["type"] for b in sent] == ["text", "template"]


def test_which_answers_are_retried_and_which_refused():
    for status in (401, 429, 500, 503):
        with pytest.raises(DeliveryFailed):
            _send(FakeAnswer(status, {}), in_window=False)
    # not a WhatsApp number
    with pytest.raises(DeliveryRejected) as refused:
        _send(FakeAnswer(400, {"error": {"code": 131026}}), in_window=False)
    assert "6281" not in str(refused.value)  # never the number
    assert "131026" in str(refused.value)


def test_a_referral_names_the_body_in_the_template_too():
    referral = templates.Referral("Perumda Air Minum", phone="0751-1")
    message = status_message("id", "PDG-1", "referred", "l", referral, "complaint", None)
    assert "Perumda Air Minum" in message.text
    assert message.parameters[1].endswith("ke Perumda Air Minum 0751-1")
