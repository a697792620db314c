"""The WhatsApp channel end to end: Meta's webhook deliveries (the documented payloads, signed
as Meta signs them) through the gateway to the channels service, replies and photo downloads
against the suite's double of the Graph API (tests/whatsapp_double.py), reports filed with
intake."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import whatsapp_double as meta
from photo_factory import spot_of_its_own
from waiting import eventually
from whatsapp_double import WhatsAppDouble
from whatsapp_helpers import (
    channels_through,
    deliver,
    new_number,
    restart_channels,
    rng,
    say,
    start_http,
    texts_to,
    webhook_of,
    whatsapp_photo,
)

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def graph(stack) -> Iterator[WhatsAppDouble]:
    """The channels service pointed at the Graph API double; restored afterwards."""
    with WhatsAppDouble() as double, channels_through(stack, double):
        yield double


@pytest.fixture()
def webhook(api) -> str:
    return webhook_of(api)


def test_the_webhook_handshake_echoes_the_challenge_only_for_the_verify_token(graph, webhook):
    ok = requests.get(webhook, params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                       "hub.verify_token": meta.VERIFY_TOKEN}, timeout=10)
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert ok.headers["Content-Type"].startswith("text/plain")
    wrong = requests.get(webhook, params={"hub.mode": "subscribe", "hub.challenge": "1",
                                          "hub.verify_token": "guess"}, timeout=10)
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "verification_failed"


def test_a_conversation_from_greeting_to_tracking_code(graph, webhook, api, db):
    wa_id = new_number()
    lat, lon = spot_of_its_own(rng, "padang")
    photo = whatsapp_photo()
    media_id = meta.new_media_id()
    graph.add_media(media_id, photo)

    say(webhook, wa_id, meta.text(wa_id, "Halo"))
    [greeting] = graph.messages_to(wa_id)
    assert greeting["type"] == "interactive" and greeting["interactive"]["type"] == "list"
    rows = greeting["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) <= 10 and {"id": "cat:waste", "title": "Sampah"} in rows

    say(webhook, wa_id, meta.list_reply(wa_id, "cat:waste", "Sampah"))
    say(webhook, wa_id, meta.text(wa_id, "Sampah menumpuk di depan pasar sejak Senin lalu"))
    say(webhook, wa_id, meta.image(wa_id, media_id))
    say(webhook, wa_id, meta.location(wa_id, lat, lon, "Pasar Raya", "Jl. Pasar Raya"))
    confirm = meta.button_reply(wa_id, "confirm", "Kirim")
    say(webhook, wa_id, confirm)

    last = texts_to(graph, wa_id)[-1]
    assert "Kode pelacakan" in last
    code = last.split("Kode pelacakan: ")[1].split()[0]
    assert "/#/track/" + code in last
    report = db.reports.find_one({"code": code})
    assert report["channel"] == "whatsapp" and report["category"] == "waste"
    assert report["external"] == {"system": "whatsapp", "id": confirm["id"]}
    assert report["reporter"]["phone"] == f"+{wa_id}"
    assert report["location"]["lat"] == pytest.approx(lat)
    assert len(report["photos"]) == 1
    assert f"/v21.0/{media_id}" in graph.paths_asked()  # looked up, then downloaded
    assert f"/v21.0/download/{media_id}" in graph.paths_asked()
    token = last.split(f"/#/track/{code}/")[1].split()[0]  # the reporter's own link
    mine = requests.get(f"{api}/reports/{code}", headers={"X-Reporter-Token": token},
                        timeout=10)
    assert mine.status_code == 200 and mine.json()["code"] == code
    conversation = db.wa_conversations.find_one({"_id": wa_id})
    assert conversation["state"]["step"] == "idle" and conversation["outbox"] == []
    assert conversation["last_inbound_at"] is not None
    assert db.wa_media.count_documents({"wa_id": wa_id}) == 0  # filed, so let go
    # WhatsApp stripped the EXIF: no camera proof, so an operator looks first (the default).
    judged = eventually(lambda: db.reports.find_one(
        {"code": code, "status": {"$nin": ["submitted", "verifying"]}}), 60, "the verdict")
    assert judged["status"] == "needs_review"
    assert judged["verification"]["reasons"] == ["no_camera_proof"]


def test_a_message_delivered_twice_is_one_step(graph, webhook, db):
    wa_id = new_number()
    say(webhook, wa_id, meta.text(wa_id, "Halo"))
    choice = meta.list_reply(wa_id, "cat:road", "Jalan")
    say(webhook, wa_id, choice)
    say(webhook, wa_id, choice)  # Meta retries
    description = meta.text(wa_id, "Jalan berlubang besar di depan sekolah dasar")
    say(webhook, wa_id, description)
    say(webhook, wa_id, description)
    assert len(graph.messages_to(wa_id)) == 3  # greeting, description asked, photo asked
    conversation = db.wa_conversations.find_one({"_id": wa_id})
    assert conversation["state"]["step"] == "photo"
    assert conversation["processed"].count(description["id"]) == 1


def test_a_forged_signature_is_refused_and_nothing_is_stored(graph, webhook, db):
    wa_id = new_number()
    forged = deliver(webhook, wa_id, meta.text(wa_id, "Halo"), secret="not-the-app-secret")
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_signature"
    raw, _ = meta.signed(meta.envelope(wa_id, meta.text(wa_id, "Halo")))
    unsigned = requests.post(webhook, data=raw, headers={"Content-Type": "application/json"},
                             timeout=10)
    assert unsigned.status_code == 401
    # Signed, then changed on the way: the signature is of the raw bytes.
    _, headers = meta.signed(meta.envelope(wa_id, meta.text(wa_id, "Halo")))
    tampered = requests.post(webhook, data=raw.replace(b"Halo", b"HALO"), headers=headers,
                             timeout=10)
    assert tampered.status_code == 401
    # Far bigger than any delivery of Meta's (media come by id): refused before any hashing.
    padded = meta.text(wa_id, "Halo " + "x" * 300_000)
    big = deliver(webhook, wa_id, padded)
    assert big.status_code == 413, big.text
    assert db.wa_conversations.find_one({"_id": wa_id}) is None
    assert graph.messages_to(wa_id) == []


def test_stop_means_no_more_messages_until_mulai(graph, webhook, db):
    wa_id = new_number()
    say(webhook, wa_id, meta.text(wa_id, "Halo"))
    say(webhook, wa_id, meta.text(wa_id, "STOP"))
    assert "MULAI" in texts_to(graph, wa_id)[-1]
    assert db.wa_optouts.find_one({"_id": wa_id}) is not None
    sent = len(graph.messages_to(wa_id))
    say(webhook, wa_id, meta.text(wa_id, "Halo lagi"))
    say(webhook, wa_id, meta.list_reply(wa_id, "cat:waste"))
    assert len(graph.messages_to(wa_id)) == sent
    say(webhook, wa_id, meta.text(wa_id, "MULAI"))
    assert db.wa_optouts.find_one({"_id": wa_id}) is None
    assert graph.messages_to(wa_id)[-1]["interactive"]["type"] == "list"


def test_a_restart_of_the_channels_service_keeps_the_conversation(graph, webhook, stack, db):
    wa_id = new_number()
    say(webhook, wa_id, meta.text(wa_id, "Halo"))
    say(webhook, wa_id, meta.list_reply(wa_id, "cat:street_light"))
    restart_channels(stack)
    say(webhook, wa_id, meta.text(wa_id, "Lampu jalan mati sejak tiga hari"))
    assert db.wa_conversations.find_one({"_id": wa_id})["state"] == {
        **db.wa_conversations.find_one({"_id": wa_id})["state"],
        "step": "photo", "category": "street_light"}
    assert "Lewati" in str(graph.messages_to(wa_id)[-1])


def test_a_reply_the_graph_api_could_not_take_is_sent_on_the_next_delivery(graph, webhook,
                                                                            db):
    wa_id = new_number()
    hello = meta.text(wa_id, "Halo")
    graph.answer = lambda _: 503
    try:
        refused = deliver(webhook, wa_id, hello)
    finally:
        graph.answer = lambda _: 200
    assert refused.status_code == 503  # so Meta delivers it again
    pending = db.wa_conversations.find_one({"_id": wa_id})
    assert pending["state"]["step"] == "category" and len(pending["outbox"]) == 1
    assert graph.messages_to(wa_id) == []
    say(webhook, wa_id, hello)  # Meta's retry: the message is not handled again
    [greeting] = graph.messages_to(wa_id)
    assert greeting["interactive"]["type"] == "list"
    after = db.wa_conversations.find_one({"_id": wa_id})
    assert after["outbox"] == [] and after["rev"] == pending["rev"]


def test_a_report_confirmed_while_intake_is_down_is_filed_once_on_metas_retry(
        graph, webhook, stack, db):
    wa_id = new_number()
    lat, lon = spot_of_its_own(rng, "padang")
    for message in (meta.text(wa_id, "Halo"), meta.list_reply(wa_id, "cat:drainage"),
                    meta.text(wa_id, "Saluran air tersumbat dan meluap ke jalan"),
                    meta.button_reply(wa_id, "skip"), meta.location(wa_id, lat, lon)):
        say(webhook, wa_id, message)
    confirm = meta.button_reply(wa_id, "confirm")
    stack.stop_process("intake")
    try:
        down = deliver(webhook, wa_id, confirm)
    finally:
        start_http(stack, "intake")
    assert down.status_code == 503
    assert db.wa_conversations.find_one({"_id": wa_id})["filing"]["key"] == \
        f"wa:{confirm['id']}"
    say(webhook, wa_id, confirm)  # Meta's retry
    say(webhook, wa_id, confirm)  # and another
    [report] = db.reports.find({"external.id": confirm["id"]})
    assert report["channel"] == "whatsapp" and report["photos"] == []
    codes = [b for b in texts_to(graph, wa_id) if report["code"] in b]
    assert len(codes) == 1
    assert db.wa_conversations.find_one({"_id": wa_id})["filing"] is None


def test_signed_deliveries_without_a_message_of_ours_change_nothing(graph, webhook, db):
    wa_id = new_number()
    statuses = meta.envelope(wa_id, meta.text(wa_id, "Halo"))
    value = statuses["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": "wamid.OUT1", "status": "delivered", "recipient_id": wa_id,
                          "timestamp": "1700000000"}]
    del value["messages"]
    other_number = meta.envelope(wa_id, meta.text(wa_id, "Halo"))
    other_number["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "1"
    odd = meta.envelope(wa_id, {"type": "text", "text": {"body": "no sender, no id"}})
    for payload in (statuses, other_number, odd):
        raw, headers = meta.signed(payload)
        taken = requests.post(webhook, data=raw, headers=headers, timeout=30)
        assert taken.status_code == 200, taken.text
    for raw in (b"[1, 2]", b"not json"):
        _, headers = meta.signed({})
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(
            meta.APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        refused = requests.post(webhook, data=raw, headers=headers, timeout=30)
        assert refused.status_code == 400, refused.text
    assert db.wa_conversations.find_one({"_id": wa_id}) is None
    assert graph.messages_to(wa_id) == []


def test_messages_of_one_number_delivered_at_once_are_each_taken_once(graph, webhook, db):
    """Meta may post a number's messages in parallel deliveries: each is one step, none lost,
    and each reply is sent once."""
    wa_id = new_number()
    for message in (meta.text(wa_id, "Halo"), meta.list_reply(wa_id, "cat:waste"),
                    meta.text(wa_id, "Sampah berserakan di taman kota sejak pagi"),
                    meta.button_reply(wa_id, "skip")):
        say(webhook, wa_id, message)
    images = []
    for _ in range(3):
        media_id = meta.new_media_id()
        graph.add_media(media_id, whatsapp_photo())
        images.append(meta.image(wa_id, media_id))
    with ThreadPoolExecutor(len(images)) as pool:
        answers = list(pool.map(lambda m: deliver(webhook, wa_id, m), images))
    assert [a.status_code for a in answers] == [200] * len(images)
    conversation = db.wa_conversations.find_one({"_id": wa_id})
    assert sorted(conversation["state"]["photos"]) == sorted(m["image"]["id"] for m in images)
    assert all(conversation["processed"].count(m["id"]) == 1 for m in images)
    added = [t for t in texts_to(graph, wa_id) if t.startswith("Foto ditambahkan")]
    assert sorted(added) == [f"Foto ditambahkan ({n})." for n in (1, 2, 3)]
    assert conversation["outbox"] == []


def test_a_location_outside_the_city_is_asked_again(graph, webhook, db):
    wa_id = new_number()
    for message in (meta.text(wa_id, "Halo"), meta.list_reply(wa_id, "cat:waste"),
                    meta.text(wa_id, "Sampah menumpuk di pinggir jalan raya"),
                    meta.button_reply(wa_id, "skip")):
        say(webhook, wa_id, message)
    depok = spot_of_its_own(rng, "depok")
    say(webhook, wa_id, meta.location(wa_id, *depok, "Beji"))
    assert "di luar wilayah Kota Padang" in texts_to(graph, wa_id)[-1]
    assert db.wa_conversations.find_one({"_id": wa_id})["state"]["step"] == "location"
    say(webhook, wa_id, meta.location(wa_id, *spot_of_its_own(rng, "padang")))
    assert db.wa_conversations.find_one({"_id": wa_id})["state"]["step"] == "confirm"


def test_the_access_token_goes_to_no_media_url_but_metas(graph, webhook, db):
    """A media lookup naming another origin (played by the double: the same server under
    another address) gets no download, so no token; the photo is not taken."""
    wa_id = new_number()
    for message in (meta.text(wa_id, "Halo"), meta.list_reply(wa_id, "cat:waste"),
                    meta.text(wa_id, "Sampah menumpuk di pinggir jalan raya")):
        say(webhook, wa_id, message)
    media_id = meta.new_media_id()
    graph.add_media(media_id, whatsapp_photo(),
                    url=f"http://localhost:{graph.port}/v21.0/download/{media_id}")
    say(webhook, wa_id, meta.image(wa_id, media_id))
    assert f"/v21.0/{media_id}" in graph.paths_asked()
    assert f"/v21.0/download/{media_id}" not in graph.paths_asked()
    conversation = db.wa_conversations.find_one({"_id": wa_id})
    assert conversation["state"]["photos"] == [] and conversation["state"]["step"] == "photo"
