"""The WhatsApp webhook's pure parts: Meta's signature over the raw body, Meta's message shapes
read as the bot's Incoming, and the bot's replies as the Graph API's documented bodies."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import whatsapp_double as meta

from aduan.domain.conversation import Incoming, buttons, choice_list, text
from services.channels.whatsapp_api import graph_message
from services.channels.whatsapp_webhook import incoming_of, signature_valid

SECRET = "app-secret"


def test_the_signature_is_an_hmac_of_the_exact_raw_bytes():
    raw, headers = meta.signed(meta.envelope("628123456789", meta.text("628123456789", "Hi")),
                               SECRET)
    assert signature_valid(SECRET, raw, headers["X-Hub-Signature-256"])
    assert not signature_valid(SECRET, raw + b" ", headers["X-Hub-Signature-256"])
    # The same JSON serialised otherwise is other bytes: never re-serialised before checking.
    reformatted = json.dumps(json.loads(raw), indent=1).encode()
    assert not signature_valid(SECRET, reformatted, headers["X-Hub-Signature-256"])
    assert not signature_valid("other", raw, headers["X-Hub-Signature-256"])
    bare = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert not signature_valid(SECRET, raw, bare)  # without "sha256="
    assert not signature_valid(SECRET, raw, None)
    assert not signature_valid(SECRET, raw, "sha256=")


def test_meta_message_shapes_as_the_bot_reads_them():
    wa = "628123456789"
    assert incoming_of(meta.text(wa, "halo")) == Incoming("text", text="halo")
    assert incoming_of(meta.image(wa, "m1", caption="lubang")) == Incoming(
        "image", media_id="m1", text="lubang")
    assert incoming_of(meta.location(wa, -0.95, 100.35, "Pasar", "Jl. A")) == Incoming(
        "location", lat=-0.95, lon=100.35, address="Pasar, Jl. A")
    assert incoming_of(meta.list_reply(wa, "cat:waste")) == Incoming("choice", choice="cat:waste")
    assert incoming_of(meta.button_reply(wa, "confirm")) == Incoming("choice", choice="confirm")
    assert incoming_of({"type": "audio", "audio": {"id": "a1"}}).kind == "other"
    assert incoming_of({"type": "location", "location": {"latitude": "x"}}).kind == "other"


def test_replies_are_the_graph_apis_documented_bodies_within_its_limits():
    assert graph_message(text("Halo")) == {
        "type": "text", "text": {"body": "Halo", "preview_url": False}}
    rows = [(f"cat:{n}", "Kategori dengan nama yang sangat panjang sekali") for n in range(10)]
    listed = graph_message(choice_list("Pilih", "Pilih kategori", rows))
    assert listed["type"] == "interactive" and listed["interactive"]["type"] == "list"
    [section] = listed["interactive"]["action"]["sections"]
    assert len(section["rows"]) == 10
    assert all(len(r["title"]) <= 24 for r in section["rows"])
    assert len(listed["interactive"]["action"]["button"]) <= 20
    pressed = graph_message(buttons("Kirim?", [("confirm", "Kirim"), ("cancel", "Batal")]))
    assert pressed["interactive"]["type"] == "button"
    assert pressed["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "confirm", "title": "Kirim"}},
        {"type": "reply", "reply": {"id": "cancel", "title": "Batal"}}]


def test_an_unknown_city_stops_the_channel_at_start():
    from aduan.infra.config import Settings
    from services.channels.whatsapp_webhook import WhatsApp

    with pytest.raises(ValueError, match="ADUAN_WHATSAPP_CITY"):
        WhatsApp.of(Settings(whatsapp_phone_number_id="1", whatsapp_city="atlantis"), None)
    assert WhatsApp.of(Settings(whatsapp_city="atlantis"), None)  # the channel is off
