"""The WhatsApp webhook (services/channels/whatsapp_webhook.py) over the in-memory database, a
fake Graph API session and a fake of intake: signed deliveries of shapes Meta does not send
are taken as "other" (never a 500), and the pending work of a number whose holder died is
answered 503 so Meta delivers again, not 200 with the report left unfiled. The stack proves
the conversation itself through the gateway (tests/integration/test_whatsapp.py).
A lease running out is written into the fake (time passing), which no API can do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import whatsapp_double as meta
from fakes import FakeAnswer, fake_db

from aduan.infra.backends import Backends
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from aduan.infra.whatsapp_graph import GraphApi
from services.channels import whatsapp_webhook
from services.channels.app import create_app

SETTINGS = Settings(whatsapp_phone_number_id=meta.PHONE_NUMBER_ID,
                    whatsapp_access_token=meta.ACCESS_TOKEN,
                    whatsapp_app_secret=meta.APP_SECRET, whatsapp_api_url="https://graph.test",
                    intake_url="http://intake.invalid")
WA_ID = "6281234567890"


class FakeGraph:
    """The Graph API's send, as the one client's session: keeps the bodies sent; `during_send`
    runs inside each send (time passing, another process)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.during_send = lambda: None

    def request(self, method: str, url: str, **kwargs: Any) -> FakeAnswer:
        self.during_send()
        self.sent.append(kwargs["json"])
        return FakeAnswer(200, {"messages": [{"id": f"wamid.OUT{len(self.sent)}"}]})


class FakeIntake:
    def __init__(self) -> None:
        self.filed: list[dict[str, str]] = []

    def post(self, url: str, **kwargs: Any) -> FakeAnswer:
        self.filed.append(kwargs["headers"])
        return FakeAnswer(202, {"id": "r1", "code": "PDG-2026-AAA-BBB", "token": "t",
                            "tracking_link": "https://aduan.example/#/track/PDG-2026-AAA-BBB/t"})


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(whatsapp_webhook, "WAIT_FOR_HOLDER_S", 0.3)
    db = fake_db()
    ensure_seeded(db)
    app = create_app(SETTINGS, Backends(SETTINGS, db=db))
    whatsapp = app.extensions["aduan"].whatsapp
    graph, intake = FakeGraph(), FakeIntake()
    whatsapp.api = GraphApi(SETTINGS, graph)
    whatsapp.intake = intake
    return app.test_client(), whatsapp, graph, intake


def deliver(client, message: dict[str, Any]):
    raw, headers = meta.signed(meta.envelope(WA_ID, message))
    return client.post("/whatsapp/webhook", data=raw, headers=headers)


@pytest.mark.parametrize("content", [
    {"type": "text", "text": "not an object"},
    {"type": "text", "text": {"body": ["a list"]}},
    {"type": "interactive", "interactive": "list_reply"},
    {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": "cat:road"}},
    {"type": "interactive", "interactive": {"type": ["x"], "x": {}}},
    {"type": "image", "image": ["m1"]},
    {"type": "image", "image": {"id": 12345}},
    {"type": "location", "location": [1, 2]},
    {"type": "button", "button": 7},
])
def test_a_signed_message_of_another_shape_is_taken_as_other_not_a_500(world, content):
    client, whatsapp, graph, _ = world
    assert deliver(client, meta.text(WA_ID, "Halo")).status_code == 200
    message = {"from": WA_ID, "id": meta.new_wamid(), "timestamp": "1700000000", **content}
    answer = deliver(client, message)
    assert answer.status_code == 200, answer.text
    conversation = whatsapp.store.pending(WA_ID)
    assert message["id"] in conversation.processed
    assert conversation.state["step"] == "category"  # asked again for a category
    assert graph.sent[-1]["interactive"]["type"] == "list"


def test_a_forged_page_of_the_category_list_is_not_a_500(world):
    client, _, graph, _ = world
    deliver(client, meta.text(WA_ID, "Halo"))
    answer = deliver(client, meta.list_reply(WA_ID, "more:x"))
    assert answer.status_code == 200, answer.text
    assert graph.sent[-1]["interactive"]["action"]["sections"][0]["rows"]


def _to_confirm(client) -> dict[str, Any]:
    for message in (meta.text(WA_ID, "Halo"), meta.list_reply(WA_ID, "cat:road"),
                    meta.text(WA_ID, "Jalan berlubang besar di depan sekolah"),
                    meta.button_reply(WA_ID, "skip"),
                    meta.location(WA_ID, -0.95, 100.35)):
        assert deliver(client, message).status_code == 200
    return meta.button_reply(WA_ID, "confirm")


def test_the_retry_of_a_delivery_whose_holder_died_is_answered_503_until_the_work_is_done(
        world):
    client, whatsapp, graph, intake = world
    confirm = _to_confirm(client)
    # A process took the confirmation, holds the lease and dies before filing it.
    real_carry_out = whatsapp_webhook.carry_out
    whatsapp_webhook.carry_out = lambda wa, wa_id: wa.store.claim(wa_id)
    try:
        assert deliver(client, confirm).status_code == 200
    finally:
        whatsapp_webhook.carry_out = real_carry_out
    assert whatsapp.store.pending(WA_ID).filing is not None
    retried = deliver(client, confirm)  # Meta's retry, while the dead holder's lease runs
    assert retried.status_code == 503, retried.text
    assert intake.filed == []
    whatsapp.db.wa_conversations.update_one(  # the lease ran out
        {"_id": WA_ID}, {"$set": {"lease_until": datetime.now(UTC) - timedelta(seconds=1)}})
    assert deliver(client, confirm).status_code == 200  # the next retry files it
    assert [h["Idempotency-Key"] for h in intake.filed] == [f"wa:{confirm['id']}"]
    assert "PDG-2026-AAA-BBB" in graph.sent[-1]["text"]["body"]
    assert whatsapp.store.pending(WA_ID).filing is None


def test_the_lease_is_renewed_before_each_reply_so_slow_sends_are_not_sent_twice(world):
    client, whatsapp, graph, _ = world
    assert deliver(client, meta.text(WA_ID, "Halo")).status_code == 200
    conversation = whatsapp.store.pending(WA_ID)
    replies = [{"kind": "text", "body": f"reply {n}"} for n in range(3)]
    assert whatsapp.store.advance(conversation, "wamid.extra", conversation.state, replies,
                                  None, datetime.now(UTC))
    claims: list[str | None] = []

    def slow_send() -> None:
        # Each send takes 100 s of the 120 s lease; meanwhile a second process tries to claim.
        lease_until = whatsapp.db.wa_conversations.find_one({"_id": WA_ID})["lease_until"]
        whatsapp.db.wa_conversations.update_one(
            {"_id": WA_ID}, {"$set": {"lease_until": lease_until - timedelta(seconds=100)}})
        claims.append(whatsapp.store.claim(WA_ID))

    graph.during_send = slow_send
    token = whatsapp.store.claim(WA_ID)
    try:
        whatsapp_webhook._send(whatsapp, WA_ID, token)
    finally:
        whatsapp.store.release(WA_ID, token)
    assert claims == [None, None, None]  # never taken from a holder still sending
    assert [m["text"]["body"] for m in graph.sent[-3:]] == ["reply 0", "reply 1", "reply 2"]
